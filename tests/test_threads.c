/* Threads change nothing but the time: nets trained from the same seed
 * with 1, 2, 3 and 4 threads (nnc_net_set_threads) end with bitwise the
 * same parameters, on every kernel path this machine runs.  The nets are
 * big enough that every split happens (products cut by rows, the SGD
 * update cut into ranges, the activation gradient cut into pieces); a
 * thread count changed between steps changes nothing either; and the
 * argument errors. */
#include "check.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

/* memcheck runs every thread ~130x slower and one at a time, the
 * sanitizers ~3x: there (NNC_TEST_MEMCHECK) each case trains one epoch of
 * three batches (the last one partial once the validation rows are taken)
 * on the best path only (test_kernels checks every path's products), on 1
 * and 3 threads (an uneven split), and the thread count changes after
 * every step.  The float and double builds, and CI's runs with
 * NNC_TESTS_FULL, run them all. */
#ifdef NNC_TEST_MEMCHECK
enum { MEMCHECK = 1 };
#define EPOCHS(n) 1
#define ROWS(n, batch) (3 * (batch))
#else
enum { MEMCHECK = 0 };
#define EPOCHS(n) (n)
#define ROWS(n, batch) (n)
#endif

/* A synthetic set: inputs in [0, 1), multiclass targets one-hot from a
 * fixed rule of the inputs, fitting targets a smooth function of them. */
static nnc_dataset *make_data(int rows, int n_in, int n_out, nnc_task task)
{
    nnc_rng r;
    nnc_rng_seed(&r, 99);
    nnc_real *X = malloc(sizeof *X * (size_t)rows * n_in);
    nnc_real *Y = calloc((size_t)rows * n_out, sizeof *Y);
    for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int p = 0; p < n_in; p++) {
            double x = nnc_rng_uniform(&r);
            X[(size_t)i * n_in + p] = (nnc_real)x;
            s += (p % 3 == 0 ? 1 : -0.5) * x;
        }
        if (task == NNC_TASK_MULTICLASS)
            Y[(size_t)i * n_out + (int)(fabs(s) * 7) % n_out] = 1;
        else
            Y[(size_t)i * n_out] = (nnc_real)sin(s);
    }
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_create(&ds, X, Y, rows, n_in, n_out));
    free(X), free(Y);
    return ds;
}

typedef struct net_case {
    const char *name;
    nnc_task task;
    int n_in, n_layers;
    nnc_layer_spec specs[3];
    int rows, batch, epochs;
} net_case;

/* nnc_train from seed 7 on `threads` threads and the given path; the net
 * is returned (NULL if the path is not available here). */
static nnc_net *train(const net_case *c, const nnc_dataset *ds, int path, int threads,
                      int epochs)
{
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, c->task, c->n_in, c->n_layers, c->specs, c->batch));
    if (!net || !nnc_net_set_kernel_path(net, path)) {
        nnc_net_free(net);
        return NULL;
    }
    CHECK_OK(nnc_net_set_threads(net, threads));
    CHECK(nnc_net_threads(net) == threads);
    nnc_rng r;
    nnc_rng_seed(&r, 7);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    nnc_train_options o = nnc_train_options_default();
    o.eta = 0.05;
    o.batch_size = c->batch;
    o.max_epoch = epochs;
    o.eps = 0; /* never stop early */
    o.checkpoint = 1;
    o.seed = 7;
    nnc_train_result res;
    CHECK_OK(nnc_train(net, ds, &o, NULL, NULL, &res));
    nnc_train_result_free(&res);
    return net;
}

static int same_params(nnc_net *a, nnc_net *b)
{
    size_t n = nnc_net_parameter_count(a);
    return n == nnc_net_parameter_count(b) &&
           memcmp(nnc_net_parameters(a), nnc_net_parameters(b), n * sizeof(nnc_real)) == 0;
}

/* On each path: 1 thread, then 2, 3 and 4, bit for bit; then predictions
 * of the whole set (in chunks of max_batch) on 3 threads against 1.  The
 * best path trains for all c->epochs, the others (slower) for 1. */
static void check_case(const net_case *c)
{
    nnc_dataset *ds = make_data(c->rows, c->n_in, c->specs[c->n_layers - 1].units, c->task);
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path) || (MEMCHECK && path != nnc_kernel_best_path()))
            continue;
        int epochs = path == nnc_kernel_best_path() ? c->epochs : 1;
        nnc_net *ref = train(c, ds, path, 1, epochs);
        CHECK(ref != NULL);
        if (!ref)
            continue;
        int before = check_failures;
        for (int threads = MEMCHECK ? 3 : 2; threads <= (MEMCHECK ? 3 : 4); threads++) {
            nnc_net *net = train(c, ds, path, threads, epochs);
            int ok = net && same_params(net, ref);
            if (!ok)
                fprintf(stderr, "%s, path %s: %d threads differ from 1\n", c->name,
                        nnc_kernel_path_name(path), threads);
            CHECK(ok);
            if (threads == 3 && net) {
                size_t n = (size_t)nnc_dataset_rows(ds) * nnc_net_outputs(net);
                nnc_real *p1 = malloc(n * sizeof *p1), *p3 = malloc(n * sizeof *p3);
                CHECK_OK(nnc_net_predict(ref, nnc_dataset_x(ds), nnc_dataset_rows(ds), p1));
                CHECK_OK(nnc_net_predict(net, nnc_dataset_x(ds), nnc_dataset_rows(ds), p3));
                CHECK(memcmp(p1, p3, n * sizeof *p1) == 0);
                free(p1), free(p3);
            }
            nnc_net_free(net);
        }
        printf("%s, path %s, %d epochs: %s\n", c->name, nnc_kernel_path_name(path), epochs,
               check_failures == before ? MEMCHECK ? "1 and 3 threads bit for bit"
                                                   : "1-4 threads bit for bit"
                                        : "MISMATCH");
        nnc_net_free(ref);
    }
    nnc_dataset_free(ds);
}

/* Steps by hand, the thread count changed between them (1, 2, 4, 3, 1, ...),
 * against steps on one thread. */
static void check_changing_threads(const net_case *c)
{
    nnc_dataset *ds = make_data(c->batch, c->n_in, c->specs[c->n_layers - 1].units, c->task);
    nnc_net *nets[2];
    static const int counts[] = {1, 2, 4, 3, 1, 2};
    for (int k = 0; k < 2; k++) {
        nets[k] = NULL;
        CHECK_OK(nnc_net_create(&nets[k], c->task, c->n_in, c->n_layers, c->specs, c->batch));
        nnc_rng r;
        nnc_rng_seed(&r, 3);
        CHECK_OK(nnc_net_init(nets[k], NNC_INIT_XAVIER, &r));
        const int per_count = MEMCHECK ? 1 : 2; /* steps on each count */
        for (int step = 0; step < 6 * per_count; step++) {
            if (k == 1)
                CHECK_OK(nnc_net_set_threads(nets[k], counts[step / per_count]));
            CHECK_OK(nnc_net_forward(nets[k], nnc_dataset_x(ds), c->batch));
            CHECK_OK(nnc_net_backward(nets[k], nnc_dataset_x(ds), nnc_dataset_y(ds), c->batch));
            nnc_net_sgd_update(nets[k], 0.01);
        }
    }
    CHECK(nnc_net_threads(nets[1]) == 2);
    CHECK(same_params(nets[0], nets[1]));
    nnc_net_free(nets[0]);
    nnc_net_free(nets[1]); /* joins its two threads */
    nnc_dataset_free(ds);
}

static void check_errors(void)
{
    nnc_layer_spec specs[2] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, specs, 10));
    CHECK(nnc_net_threads(net) == 1); /* the default: no pool */
    CHECK_STATUS(nnc_net_set_threads(net, 0), NNC_ERR_ARGUMENT);
    CHECK_MSG("0 threads; give 1 (no pool) to 256");
    CHECK_STATUS(nnc_net_set_threads(net, -3), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_set_threads(net, 257), NNC_ERR_ARGUMENT);
    CHECK_MSG("257 threads");
    CHECK(nnc_net_threads(net) == 1); /* unchanged by the refusals */
    CHECK_STATUS(nnc_net_set_threads(NULL, 2), NNC_ERR_ARGUMENT);
    CHECK_OK(nnc_net_set_threads(net, 2));
    CHECK_STATUS(nnc_net_set_threads(net, 0), NNC_ERR_ARGUMENT);
    CHECK(nnc_net_threads(net) == 2);
    CHECK_OK(nnc_net_set_threads(net, 2)); /* the same count: kept */
    CHECK_OK(nnc_net_set_threads(net, 1));
    CHECK(nnc_net_threads(net) == 1);
    CHECK_OK(nnc_net_set_threads(net, 3));
    nnc_net_free(net); /* with its pool */
}


int main(void)
{
    /* Multiclass ReLU: products of 64×200×256 (cut: into the weights'
     * column panels under nnc_train, by rows in the steps by hand), 68,554
     * parameters (the update cut); fitting with sigmoid and tanh: 128×256
     * activation gradients (cut), 128×256×64 products (cut). */
    const net_case multiclass = {
        "200-256-64-10 relu multiclass", NNC_TASK_MULTICLASS, 200, 3,
        {{256, NNC_ACT_RELU, 0}, {64, NNC_ACT_RELU, 0}, {10, NNC_ACT_IDENTITY, 0}},
        ROWS(1000, 64), 64, EPOCHS(20)};
    const net_case fitting = {
        "8-256-64-1 sigmoid/tanh fitting", NNC_TASK_FITTING, 8, 3,
        {{256, NNC_ACT_SIGMOID, 0}, {64, NNC_ACT_TANH, 0}, {1, NNC_ACT_IDENTITY, 0}},
        ROWS(1500, 128), 128, EPOCHS(10)};
    check_errors();
    check_case(&multiclass);
    check_case(&fitting);
    check_changing_threads(&multiclass);
    check_changing_threads(&fitting);
    return check_report("test_threads");
}
