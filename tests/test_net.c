/* The network: every weight and bias gradient of 3-layer networks, for each
 * task, checked against finite differences of the loss; chunked evaluation;
 * the init rules; argument errors; nnc_net_train_batch and
 * nnc_net_train_batches; choosing the kernels by name (OpenBLAS included,
 * in a build that has it). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { M = 7, N_IN = 3, H1 = 5, H2 = 4 };

static double net_loss(nnc_net *net, const nnc_real *X, const nnc_real *Y)
{
    double loss;
    nnc_net_evaluate(net, X, Y, M, &loss, NULL);
    return loss;
}

static void gradient_check(nnc_task task, int n_out, nnc_activation a1, nnc_activation a2,
                           const char *label)
{
    nnc_layer_spec specs[3] = {{H1, a1, nnc_activation_get(a1)->default_param},
                               {H2, a2, nnc_activation_get(a2)->default_param},
                               {n_out, NNC_ACT_IDENTITY, 0}};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, task, N_IN, 3, specs, M));
    nnc_rng rng;
    nnc_rng_seed(&rng, 7);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    nnc_real X[M * N_IN], Y[M * 3];
    for (int i = 0; i < M * N_IN; i++)
        X[i] = (nnc_real)(2 * nnc_rng_uniform(&rng) - 1);
    for (int r = 0; r < M; r++) {
        for (int j = 0; j < n_out; j++) {
            nnc_real *y = &Y[r * n_out + j];
            if (task == NNC_TASK_FITTING)
                *y = (nnc_real)nnc_rng_normal(&rng);
            else if (task == NNC_TASK_BINARY)
                *y = (nnc_real)(nnc_rng_uniform(&rng) < 0.5);
            else
                *y = (nnc_real)(j == r % n_out);
        }
    }
    /* Biases start at 0; move them so their gradients are exercised too. */
    nnc_real *P = nnc_net_parameters(net);
    size_t count = nnc_net_parameter_count(net);
    for (size_t i = 0; i < count; i++)
        P[i] += (nnc_real)(0.3 * nnc_rng_normal(&rng));

    CHECK_OK(nnc_net_forward(net, X, M));
    CHECK_OK(nnc_net_backward(net, X, Y, M));
    /* The gradient block mirrors the parameter block: W1 B1 W2 B2 W3 B3. */
    nnc_real *G = malloc(count * sizeof *G);
    size_t k = 0;
    int n_in = N_IN;
    for (int l = 0; l < 3; l++) {
        int n = specs[l].units;
        memcpy(G + k, nnc_net_weight_grad(net, l), (size_t)n_in * n * sizeof *G);
        k += (size_t)n_in * n;
        memcpy(G + k, nnc_net_bias_grad(net, l), (size_t)n * sizeof *G);
        k += (size_t)n;
        n_in = n;
    }
    CHECK(k == count);

    const int dbl = sizeof(nnc_real) == 8;
    const double h = dbl ? 1e-6 : 4e-3, rtol = dbl ? 1e-5 : 3e-2, atol = dbl ? 1e-9 : 2e-3;
    int bad = 0;
    for (size_t i = 0; i < count; i++) {
        nnc_real keep = P[i];
        P[i] = (nnc_real)(keep + h);
        double up = net_loss(net, X, Y);
        P[i] = (nnc_real)(keep - h);
        double down = net_loss(net, X, Y);
        P[i] = keep;
        double numeric = (up - down) / (2 * h);
        if (fabs(G[i] - numeric) > atol + rtol * fabs(numeric)) {
            bad++;
            fprintf(stderr, "%s: parameter %zu: backward %.9g, finite difference %.9g\n",
                    label, i, (double)G[i], numeric);
        }
    }
    CHECK(bad == 0);
    free(G);
    nnc_net_free(net);
}

static void chunked_evaluation(void)
{
    /* max_batch 4 over 10 rows: three chunks, same numbers as one pass. */
    nnc_layer_spec specs[2] = {{3, NNC_ACT_TANH, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *small, *big;
    CHECK_OK(nnc_net_create(&small, NNC_TASK_FITTING, 2, 2, specs, 4));
    CHECK_OK(nnc_net_create(&big, NNC_TASK_FITTING, 2, 2, specs, 10));
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    CHECK_OK(nnc_net_init(small, NNC_INIT_NORMAL, &rng));
    memcpy(nnc_net_parameters(big), nnc_net_parameters(small),
           nnc_net_parameter_count(small) * sizeof(nnc_real));
    nnc_real X[20], Y[10], out_small[10];
    for (int i = 0; i < 20; i++)
        X[i] = (nnc_real)nnc_rng_uniform(&rng);
    for (int i = 0; i < 10; i++)
        Y[i] = (nnc_real)nnc_rng_uniform(&rng);
    CHECK_OK(nnc_net_predict(small, X, 10, out_small));
    CHECK_OK(nnc_net_forward(big, X, 10));
    CHECK(memcmp(out_small, nnc_net_output(big), sizeof out_small) == 0);
    double l1, a1, l2, a2;
    CHECK_OK(nnc_net_evaluate(small, X, Y, 10, &l1, &a1));
    CHECK_OK(nnc_net_evaluate(big, X, Y, 10, &l2, &a2));
    CHECK_NEAR(l1, l2, 1e-15);
    CHECK_NEAR(a1, a2, 1e-15);
    /* Too many rows at once for the buffers is an error, not an overflow. */
    CHECK_STATUS(nnc_net_forward(small, X, 5), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "1 to 4") != NULL);
    nnc_net_free(small);
    nnc_net_free(big);
}

static void init_rules(void)
{
    nnc_layer_spec specs[2] = {{200, NNC_ACT_RELU, 0}, {100, NNC_ACT_IDENTITY, 0}};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 300, 2, specs, 1));
    nnc_rng rng;
    /* Xavier: U(±√(6/(n_in+n_out))): bounds and variance t²/3. */
    nnc_rng_seed(&rng, 11);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    const nnc_real *W = nnc_net_weights(net, 0);
    double t = sqrt(6.0 / 500), sq = 0, mx = 0;
    for (int i = 0; i < 300 * 200; i++) {
        sq += (double)W[i] * W[i];
        mx = fabs(W[i]) > mx ? fabs(W[i]) : mx;
    }
    CHECK(mx <= t && mx > 0.99 * t);
    CHECK_NEAR(sq / (300 * 200), t * t / 3, 0.02 * t * t / 3);
    for (int j = 0; j < 200; j++)
        CHECK(nnc_net_bias(net, 0)[j] == 0);
    /* MSRA: N(0, 2/n_out), with n_out as the textbook's code has it. */
    CHECK_OK(nnc_net_init(net, NNC_INIT_MSRA, &rng));
    W = nnc_net_weights(net, 0);
    sq = 0;
    for (int i = 0; i < 300 * 200; i++)
        sq += (double)W[i] * W[i];
    CHECK_NEAR(sq / (300 * 200), 2.0 / 200, 0.02 * 2.0 / 200);
    /* Normal: N(0, 1). */
    CHECK_OK(nnc_net_init(net, NNC_INIT_NORMAL, &rng));
    W = nnc_net_weights(net, 1);
    sq = 0;
    for (int i = 0; i < 200 * 100; i++)
        sq += (double)W[i] * W[i];
    CHECK_NEAR(sq / (200 * 100), 1.0, 0.03);
    CHECK_OK(nnc_net_init(net, NNC_INIT_ZERO, &rng));
    CHECK(nnc_net_weights(net, 1)[1234] == 0);
    /* Same seed, same weights, bit for bit. */
    nnc_net *twin;
    CHECK_OK(nnc_net_create(&twin, NNC_TASK_FITTING, 300, 2, specs, 1));
    nnc_rng r1, r2;
    nnc_rng_seed(&r1, 5);
    nnc_rng_seed(&r2, 5);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r1));
    CHECK_OK(nnc_net_init(twin, NNC_INIT_XAVIER, &r2));
    CHECK(memcmp(nnc_net_parameters(net), nnc_net_parameters(twin),
                 nnc_net_parameter_count(net) * sizeof(nnc_real)) == 0);
    nnc_init init;
    CHECK_OK(nnc_init_from_name("MSRA", &init));
    CHECK(init == NNC_INIT_MSRA);
    CHECK_STATUS(nnc_init_from_name("he", &init), NNC_ERR_ARGUMENT);
    nnc_net_free(twin);
    nnc_net_free(net);
}

static void bad_arguments(void)
{
    nnc_net *net = NULL;
    nnc_layer_spec hidden_out[2] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_SIGMOID, 0}};
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, hidden_out, 10),
                 NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "output layer") != NULL);
    nnc_layer_spec one_class[2] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_MULTICLASS, 1, 2, one_class, 10),
                 NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "softmax") != NULL);
    nnc_layer_spec zero_units[2] = {{0, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, zero_units, 10),
                 NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "layer 1") != NULL);
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 0, 2, one_class, 10),
                 NNC_ERR_ARGUMENT);
    CHECK(net == NULL); /* out-parameter untouched on failure */
}

/* nnc_net_train_batch: a step on rows of a data set is the step on those
 * rows gathered (the kernels' tests prove every path bit for bit; here the
 * public call), and its refusals. */
static void train_batch(void)
{
    enum { ROWS = 20 };
    nnc_real X[ROWS * N_IN], Y[ROWS * 2];
    nnc_rng rng;
    nnc_rng_seed(&rng, 4);
    for (int i = 0; i < ROWS * N_IN; i++)
        X[i] = (nnc_real)nnc_rng_uniform(&rng);
    for (int i = 0; i < ROWS * 2; i++)
        Y[i] = (nnc_real)nnc_rng_uniform(&rng);
    nnc_dataset *data;
    CHECK_OK(nnc_dataset_create(&data, X, Y, ROWS, N_IN, 2));
    nnc_layer_spec specs[3] = {{H1, NNC_ACT_RELU, 0}, {H2, NNC_ACT_TANH, 0},
                               {2, NNC_ACT_IDENTITY, 0}};
    nnc_net *a, *b;
    CHECK_OK(nnc_net_create(&a, NNC_TASK_FITTING, N_IN, 3, specs, M));
    CHECK_OK(nnc_net_create(&b, NNC_TASK_FITTING, N_IN, 3, specs, M));
    CHECK_OK(nnc_net_init(a, NNC_INIT_XAVIER, &rng));
    memcpy(nnc_net_parameters(b), nnc_net_parameters(a),
           nnc_net_parameter_count(a) * sizeof(nnc_real));
    const uint32_t rows[M] = {17, 3, 3, 0, 19, 8, 11};
    nnc_real Xb[M * N_IN], Yb[M * 2];
    for (int r = 0; r < M; r++) {
        memcpy(Xb + r * N_IN, X + rows[r] * N_IN, N_IN * sizeof *Xb);
        memcpy(Yb + r * 2, Y + rows[r] * 2, 2 * sizeof *Yb);
    }
    for (int step = 0; step < 3; step++) {
        CHECK_OK(nnc_net_train_batch(a, data, rows, M, 0.1));
        CHECK_OK(nnc_net_forward(b, Xb, M));
        CHECK_OK(nnc_net_backward(b, Xb, Yb, M));
        nnc_net_sgd_update(b, 0.1);
    }
    CHECK(memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                 nnc_net_parameter_count(a) * sizeof(nnc_real)) == 0);
    /* Refusals, before anything changes. */
    const uint32_t past[2] = {1, ROWS};
    CHECK_STATUS(nnc_net_train_batch(a, data, past, 2, 0.1), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "nnc_net_train_batch: row number 20 (at 1)") != NULL);
    CHECK_STATUS(nnc_net_train_batch(a, data, rows, M + 1, 0.1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_train_batch(a, data, rows, 0, 0.1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_train_batch(a, NULL, rows, 1, 0.1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_train_batch(a, data, NULL, 1, 0.1), NNC_ERR_ARGUMENT);
    nnc_dataset *narrow;
    CHECK_OK(nnc_dataset_create(&narrow, X, Y, ROWS / 2, N_IN, 1));
    CHECK_STATUS(nnc_net_train_batch(a, narrow, rows, 1, 0.1), NNC_ERR_SHAPE);
    CHECK(memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                 nnc_net_parameter_count(a) * sizeof(nnc_real)) == 0);
    /* Divergence is reported, naming the layer. */
    nnc_status st = NNC_OK;
    for (int step = 0; step < 5 && st == NNC_OK; step++)
        st = nnc_net_train_batch(a, data, rows, M, 1e200);
    CHECK(st == NNC_ERR_DIVERGED);
    CHECK(strstr(nnc_last_error(), "NaN/Inf") != NULL && strstr(nnc_last_error(), "layer ") != NULL);
    nnc_net_free(a);
    nnc_net_free(b);
    nnc_dataset_free(data);
    nnc_dataset_free(narrow);
}

/* A data set of `rows` rows of `in` inputs drawn uniformly from [0, 1) by
 * rng, with one-hot targets of `classes` classes in turn (row i is class
 * i % classes). */
static nnc_dataset *class_data(int rows, int in, int classes, nnc_rng *rng)
{
    nnc_real *X = malloc(sizeof *X * (size_t)rows * in);
    nnc_real *Y = calloc((size_t)rows * classes, sizeof *Y);
    for (size_t i = 0; i < (size_t)rows * in; i++)
        X[i] = (nnc_real)nnc_rng_uniform(rng);
    for (int i = 0; i < rows; i++)
        Y[i * classes + i % classes] = 1;
    nnc_dataset *data = NULL;
    CHECK_OK(nnc_dataset_create(&data, X, Y, rows, in, classes));
    free(X);
    free(Y);
    return data;
}

/* nnc_net_train_batches: count batches in one call are count calls of
 * nnc_net_train_batch, bit for bit, on one thread and on two (a net wide
 * enough that its weights go into panels between the steps); and its
 * refusals. */
static void train_batches(void)
{
    enum { ROWS = 96, IN = 600, BATCH = 32, COUNT = 5 }; /* 32·600·128: split */
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    nnc_dataset *data = class_data(ROWS, IN, 4, &rng);
    uint32_t rows[BATCH * COUNT];
    for (int i = 0; i < BATCH * COUNT; i++)
        rows[i] = (uint32_t)((i * 37 + 11) % ROWS);
    nnc_layer_spec specs[3] = {{128, NNC_ACT_RELU, 0}, {64, NNC_ACT_RELU, 0},
                               {4, NNC_ACT_IDENTITY, 0}};
    nnc_net *one, *many, *two;
    CHECK_OK(nnc_net_create(&one, NNC_TASK_MULTICLASS, IN, 3, specs, BATCH));
    CHECK_OK(nnc_net_create(&many, NNC_TASK_MULTICLASS, IN, 3, specs, BATCH));
    CHECK_OK(nnc_net_create(&two, NNC_TASK_MULTICLASS, IN, 3, specs, BATCH));
    CHECK_OK(nnc_net_set_threads(two, 2));
    CHECK_OK(nnc_net_init(one, NNC_INIT_XAVIER, &rng));
    const size_t bytes = nnc_net_parameter_count(one) * sizeof(nnc_real);
    memcpy(nnc_net_parameters(many), nnc_net_parameters(one), bytes);
    memcpy(nnc_net_parameters(two), nnc_net_parameters(one), bytes);
    for (int b = 0; b < COUNT; b++)
        CHECK_OK(nnc_net_train_batch(one, data, rows + b * BATCH, BATCH, 0.1));
    CHECK_OK(nnc_net_train_batches(many, data, rows, BATCH, COUNT, 0.1));
    CHECK_OK(nnc_net_train_batches(two, data, rows, BATCH, COUNT, 0.1));
    CHECK(memcmp(nnc_net_parameters(one), nnc_net_parameters(many), bytes) == 0);
    CHECK(memcmp(nnc_net_parameters(one), nnc_net_parameters(two), bytes) == 0);
    /* No batches: nothing changes.  Refusals, before anything changes: a
     * row past the end in the last batch, a negative count. */
    CHECK_OK(nnc_net_train_batches(two, data, rows, BATCH, 0, 0.1));
    rows[BATCH * COUNT - 2] = ROWS;
    CHECK_STATUS(nnc_net_train_batches(two, data, rows, BATCH, COUNT, 0.1), NNC_ERR_ARGUMENT);
    CHECK_MSG("nnc_net_train_batches: row number 96 (at 158)");
    CHECK_STATUS(nnc_net_train_batches(two, data, rows, BATCH, -1, 0.1), NNC_ERR_ARGUMENT);
    CHECK(memcmp(nnc_net_parameters(one), nnc_net_parameters(two), bytes) == 0);
    /* Divergence names the batch and stops there: the weights are those
     * of the steps up to it, on two threads as on one. */
    rows[BATCH * COUNT - 2] = 0;
    CHECK_STATUS(nnc_net_train_batches(two, data, rows, BATCH, COUNT, 1e30),
                 NNC_ERR_DIVERGED);
    CHECK_MSG("at batch ");
    nnc_status st = NNC_OK;
    for (int b = 0; b < COUNT && st == NNC_OK; b++)
        st = nnc_net_train_batch(one, data, rows + b * BATCH, BATCH, 1e30);
    CHECK(st == NNC_ERR_DIVERGED);
    CHECK(memcmp(nnc_net_parameters(one), nnc_net_parameters(two), bytes) == 0);
    nnc_net_free(one);
    nnc_net_free(many);
    nnc_net_free(two);
    nnc_dataset_free(data);
}

/* nnc_net_set_kernels: the names, the refusals, and training on each
 * available kind: nnc's own paths give the same bits; OpenBLAS gives the
 * same steps to rounding (its sums run in its own order). */
static void kernels_by_name(void)
{
    enum { ROWS = 64, IN = 40, BATCH = 16, COUNT = 4 };
    nnc_rng rng;
    nnc_rng_seed(&rng, 6);
    nnc_dataset *data = class_data(ROWS, IN, 3, &rng);
    uint32_t rows[BATCH * COUNT];
    for (int i = 0; i < BATCH * COUNT; i++)
        rows[i] = (uint32_t)((i * 29 + 5) % ROWS);
    nnc_layer_spec specs[3] = {{24, NNC_ACT_RELU, 0}, {12, NNC_ACT_TANH, 0},
                               {3, NNC_ACT_IDENTITY, 0}};
    nnc_net *ref, *net;
    CHECK_OK(nnc_net_create(&ref, NNC_TASK_MULTICLASS, IN, 3, specs, BATCH));
    CHECK_OK(nnc_net_create(&net, NNC_TASK_MULTICLASS, IN, 3, specs, BATCH));
    CHECK_OK(nnc_net_init(ref, NNC_INIT_XAVIER, &rng));
    const size_t count = nnc_net_parameter_count(ref), bytes = count * sizeof(nnc_real);
    nnc_real *start = malloc(bytes);
    memcpy(start, nnc_net_parameters(ref), bytes);
    CHECK_OK(nnc_net_train_batches(ref, data, rows, BATCH, COUNT, 0.2));
    const nnc_real *want = nnc_net_parameters(ref);

    /* The refusals leave the kernels as they were. */
    const char *before = nnc_net_kernel_name(net);
    CHECK_STATUS(nnc_net_set_kernels(net, "mkl"), NNC_ERR_ARGUMENT);
    CHECK_MSG("no kernels named \"mkl\" (auto, avx512, avx2, portable, openblas)");
    CHECK_STATUS(nnc_net_set_kernels(net, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_set_kernels(NULL, "auto"), NNC_ERR_ARGUMENT);
    CHECK(!nnc_kernels_available("mkl") && !nnc_kernels_available(NULL));
    CHECK(strcmp(nnc_net_kernel_name(net), before) == 0);
    CHECK(nnc_kernels_available("auto") && nnc_kernels_available("portable"));

    static const char *const names[] = {"portable", "avx2", "avx512", "auto", "openblas"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const char *name = names[k];
        if (!nnc_kernels_available(name)) {
            CHECK_STATUS(nnc_net_set_kernels(net, name), NNC_ERR_ARGUMENT);
            CHECK_MSG(strcmp(name, "openblas") ? "this CPU cannot run" : "built without OpenBLAS");
            printf("kernels %s: not available here\n", name);
            continue;
        }
        CHECK_OK(nnc_net_set_kernels(net, name));
        CHECK(strcmp(nnc_net_kernel_name(net), name) == 0 || !strcmp(name, "auto"));
        memcpy(nnc_net_parameters(net), start, bytes);
        CHECK_OK(nnc_net_train_batches(net, data, rows, BATCH, COUNT, 0.2));
        const nnc_real *got = nnc_net_parameters(net);
        if (strcmp(name, "openblas")) {
            CHECK(memcmp(got, want, bytes) == 0);
        } else {
            /* 4 steps of sums over at most 40 terms: far inside 1e-4 of
             * the weights' scale, far outside it if a product were wrong. */
            double worst = 0;
            for (size_t i = 0; i < count; i++)
                worst = fmax(worst, fabs((double)got[i] - (double)want[i]));
            CHECK(worst < 1e-4);
            printf("kernels openblas: largest difference from nnc's %.3g\n", worst);
        }
    }
    nnc_net_free(ref);
    nnc_net_free(net);
    nnc_dataset_free(data);
    free(start);
}

int main(void)
{
    kernels_by_name();
    gradient_check(NNC_TASK_FITTING, 2, NNC_ACT_SIGMOID, NNC_ACT_TANH, "fitting");
    gradient_check(NNC_TASK_BINARY, 1, NNC_ACT_TANH, NNC_ACT_SOFTPLUS, "binary");
    gradient_check(NNC_TASK_MULTICLASS, 3, NNC_ACT_GELU_ERF, NNC_ACT_SIGMOID, "multiclass");
    gradient_check(NNC_TASK_FITTING, 1, NNC_ACT_ELU, NNC_ACT_SILU, "fitting-elu-silu");
    chunked_evaluation();
    init_rules();
    bad_arguments();
    train_batch();
    train_batches();
    return check_report("test_net");
}
