/* The training loop against the textbook: its checkpoint arithmetic and
 * validation split, its printed sin_111 figures, its 1-1-1 and 1-2-1 runs
 * from its own starting weights, determinism, divergence and early stop. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

static const char *data_path(const char *file)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", NNC_DATA_DIR, file);
    return buf;
}

static nnc_dataset *load(const char *file)
{
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_load_npz(&ds, data_path(file)));
    return ds;
}

static nnc_net *make_net(int hidden, nnc_activation act, int batch)
{
    nnc_layer_spec specs[2] = {{hidden, act, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, specs, batch));
    return net;
}

static void schedule(void)
{
    nnc_train_options o = nnc_train_options_default();
    int nt, nv, ipe;
    long ck;
    /* 500 sine rows, batch 10: 50 validate, 450 train, 45 iterations an
     * epoch, a check every 45·50 = 2250 iterations. */
    CHECK_OK(nnc_train_schedule(500, &o, &nt, &nv, &ipe, &ck));
    CHECK(nt == 450 && nv == 50 && ipe == 45 && ck == 2250);
    o.batch_size = 7; /* ceil(450/7) = 65 */
    CHECK_OK(nnc_train_schedule(500, &o, &nt, &nv, &ipe, &ck));
    CHECK(ipe == 65 && ck == 3250);
    o.batch_size = -1; /* the whole set: one iteration an epoch */
    CHECK_OK(nnc_train_schedule(1000, &o, &nt, &nv, &ipe, &ck));
    CHECK(nt == 900 && nv == 100 && ipe == 1 && ck == 50);
    o.batch_size = 10;
    o.checkpoint = 0.1; /* int(45 · 0.1) = 4 */
    CHECK_OK(nnc_train_schedule(500, &o, &nt, &nv, &ipe, &ck));
    CHECK(ck == 4);
    o.checkpoint = 0.001; /* int(0.045) = 0 → every iteration */
    CHECK_OK(nnc_train_schedule(500, &o, &nt, &nv, &ipe, &ck));
    CHECK(ck == 1);
    o.checkpoint = 50;
    CHECK_STATUS(nnc_train_schedule(9, &o, &nt, &nv, &ipe, &ck), NNC_ERR_ARGUMENT);
    o.batch_size = 0;
    CHECK_STATUS(nnc_train_schedule(500, &o, &nt, &nv, &ipe, &ck), NNC_ERR_ARGUMENT);
}

/* The textbook's trained sin_111 weights score exactly what it printed. */
static void textbook_sin_111_figures(void)
{
    nnc_dataset *train = load("ch08.train.npz"), *test = load("ch08.test.npz");
    nnc_net *net = make_net(1, NNC_ACT_SIGMOID, 64);
    CHECK_OK(nnc_net_load_textbook(net, data_path("ch09-weights/sin_111")));
    double loss_valid, acc_valid, acc_test;
    /* Validation: the first int(500/10) = 50 rows of the training file. */
    CHECK_OK(nnc_net_evaluate(net, nnc_dataset_x(train), nnc_dataset_y(train), 50,
                              &loss_valid, &acc_valid));
    CHECK_OK(nnc_net_evaluate(net, nnc_dataset_x(test), nnc_dataset_y(test), 100, NULL,
                              &acc_test));
    CHECK_NEAR(loss_valid, 0.038609, 1e-6);
    CHECK_NEAR(acc_valid, 0.821760, 1e-6);
    CHECK_NEAR(acc_test, 0.8575700023301912, 1e-6);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
}

typedef struct counter {
    int calls, stop_at;
} counter;

static int count_checks(const nnc_checkpoint *c, void *user)
{
    (void)c;
    counter *k = user;
    k->calls++;
    return k->stop_at && k->calls >= k->stop_at;
}

/* Trains 1-H-1 from the textbook's starting weights with the seed run's
 * settings (eta 0.05, batch 10, 5000 epochs) and returns the test R². */
static double seed_run(int hidden, uint64_t seed, nnc_train_result *result)
{
    nnc_dataset *train = load("ch08.train.npz"), *test = load("ch08.test.npz");
    nnc_net *net = make_net(hidden, NNC_ACT_SIGMOID, 10);
    CHECK_OK(nnc_net_load_textbook_init(net, data_path("ch09-weights/sin_111"),
                                        NNC_INIT_XAVIER));
    nnc_train_options o = nnc_train_options_default();
    o.eta = 0.05;
    o.max_epoch = 5000;
    o.seed = seed;
    counter k = {0, 0};
    CHECK_OK(nnc_train(net, train, &o, count_checks, &k, result));
    CHECK(k.calls == (int)result->history_count);
    double acc;
    CHECK_OK(nnc_net_evaluate(net, nnc_dataset_x(test), nnc_dataset_y(test), 100, NULL, &acc));
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
    return acc;
}

static void textbook_seed_runs(void)
{
    nnc_train_result r;
    double acc = seed_run(1, 1, &r);
    CHECK_NEAR(acc, 0.8576, 0.01);
    /* 5000 epochs of 45 iterations, a check every 2250: 100 checks at
     * total_iteration 2249, 4499, ..., 224999; the last in epoch 4999. */
    CHECK(r.history_count == 100);
    int arithmetic_ok = 1;
    for (size_t i = 0; i < r.history_count; i++)
        arithmetic_ok &= r.history[i].total_iteration == 2250 * (long)(i + 1) - 1 &&
                         r.history[i].epoch == 50 * (int)(i + 1) - 1;
    CHECK(arithmetic_ok);
    CHECK(r.history[99].epoch == 4999 && r.history[99].total_iteration == 224999);
    CHECK(r.iterations == 225000 && !r.stopped_early && r.epochs_run == 5000);
    /* The textbook's last check: loss_valid 0.038609, accuracy_valid 0.821760. */
    CHECK_NEAR(r.history[99].loss_valid, 0.0386, 0.004);
    CHECK_NEAR(r.history[99].accuracy_valid, 0.8218, 0.02);
    nnc_train_result_free(&r);

    acc = seed_run(2, 1, &r);
    CHECK_NEAR(acc, 0.988, 0.01);
    CHECK_NEAR(r.history[r.history_count - 1].loss_valid, 0.0044, 0.002);
    nnc_train_result_free(&r);
}

/* Same seed: bitwise-identical weights and history.  Another seed: not. */
static void determinism(void)
{
    nnc_dataset *train = load("ch09.train.npz");
    nnc_train_options o = nnc_train_options_default();
    o.max_epoch = 300;
    o.checkpoint = 10;
    nnc_net *nets[3];
    nnc_train_result res[3];
    uint64_t seeds[3] = {99, 99, 100};
    for (int i = 0; i < 3; i++) {
        nets[i] = make_net(3, NNC_ACT_SIGMOID, 10);
        nnc_rng rng;
        nnc_rng_seed(&rng, 5); /* the same starting weights for all three */
        CHECK_OK(nnc_net_init(nets[i], NNC_INIT_XAVIER, &rng));
        o.seed = seeds[i];
        CHECK_OK(nnc_train(nets[i], train, &o, NULL, NULL, &res[i]));
    }
    size_t bytes = nnc_net_parameter_count(nets[0]) * sizeof(nnc_real);
    CHECK(memcmp(nnc_net_parameters(nets[0]), nnc_net_parameters(nets[1]), bytes) == 0);
    CHECK(res[0].history_count == res[1].history_count);
    CHECK(memcmp(res[0].history, res[1].history,
                 res[0].history_count * sizeof(nnc_checkpoint)) == 0);
    CHECK(memcmp(nnc_net_parameters(nets[0]), nnc_net_parameters(nets[2]), bytes) != 0);
    for (int i = 0; i < 3; i++) {
        nnc_net_free(nets[i]);
        nnc_train_result_free(&res[i]);
    }
    nnc_dataset_free(train);
}

/* The composite fit (1-3-1, eta 0.5) stops once loss_valid <= 0.001. */
static void early_stop(void)
{
    nnc_dataset *train = load("ch09.train.npz"), *test = load("ch09.test.npz");
    nnc_net *net = make_net(3, NNC_ACT_SIGMOID, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    nnc_train_options o = nnc_train_options_default();
    nnc_train_result r;
    CHECK_OK(nnc_train(net, train, &o, NULL, NULL, &r));
    CHECK(r.stopped_early);
    CHECK(r.history[r.history_count - 1].loss_valid <= 0.001);
    CHECK(r.history_count < 2 || r.history[r.history_count - 2].loss_valid > 0.001);
    CHECK(r.epochs_run < 10000);
    double acc;
    CHECK_OK(nnc_net_evaluate(net, nnc_dataset_x(test), nnc_dataset_y(test), 200, NULL, &acc));
    CHECK_NEAR(acc, 0.97, 0.025);
    printf("composite 1-3-1 stopped at epoch %d, test accuracy %.6f\n",
           r.history[r.history_count - 1].epoch, acc);
    nnc_train_result_free(&r);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
}

/* A learning rate that blows up stops cleanly with the last good weights. */
static void divergence_and_interrupt(void)
{
    nnc_dataset *train = load("ch08.train.npz");
    nnc_net *net = make_net(8, NNC_ACT_RELU, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 2);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    nnc_train_options o = nnc_train_options_default();
    o.eta = 1e6;
    o.checkpoint = 1;
    nnc_train_result r;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, &r), NNC_ERR_DIVERGED);
    CHECK(strstr(nnc_last_error(), "diverged at epoch") != NULL);
    int finite = 1;
    const nnc_real *P = nnc_net_parameters(net);
    for (size_t i = 0; i < nnc_net_parameter_count(net); i++)
        finite &= isfinite(P[i]);
    CHECK(finite);
    CHECK(r.history_count >= 1);
    nnc_train_result_free(&r);

    /* The callback can stop training after its third check. */
    o.eta = 0.1;
    counter k = {0, 3};
    CHECK_STATUS(nnc_train(net, train, &o, count_checks, &k, &r), NNC_ERR_INTERRUPTED);
    CHECK(k.calls == 3 && r.history_count == 3 && r.epochs_run == 3);
    nnc_train_result_free(&r);

    /* A batch larger than the network's buffers is refused up front. */
    o.batch_size = 11;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    nnc_net_free(net);
    nnc_dataset_free(train);
}

int main(void)
{
    schedule();
    textbook_sin_111_figures();
    textbook_seed_runs();
    determinism();
    early_stop();
    divergence_and_interrupt();
    return check_report("test_train");
}
