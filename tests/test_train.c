/* The training loop against the textbook: its checkpoint arithmetic and
 * validation split, its printed sin_111 figures, its 1-1-1 and 1-2-1 runs
 * from its own starting weights, determinism, early stop, resuming exactly
 * (after whole epochs, mid-epoch, after an early stop; untrusted states
 * refused) and divergence caught at the update it happens. */
#include "check.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* nnc_net_sgd_update_checked */

#ifdef NNC_DOUBLE
#define NNC_REAL_LARGEST DBL_MAX
#define NNC_REAL_TINY DBL_MIN
#else
#define NNC_REAL_LARGEST FLT_MAX
#define NNC_REAL_TINY FLT_MIN
#endif

static const char *data_path(const char *file)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", NNC_DATA_DIR, file);
    return buf;
}

static nnc_dataset *load(const char *file)
{
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_load_npz(&ds, data_path(file), 0));
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

/* The plan: the schedule's numbers, the clamped batch and the count of
 * checks nnc_train makes, fresh and resumed. */
static void plan(void)
{
    nnc_train_options o = nnc_train_options_default();
    nnc_train_plan p;
    CHECK_OK(nnc_train_plan_for(500, &o, 0, &p));
    CHECK(p.n_train == 450 && p.n_valid == 50 && p.batch == 10 && p.iterations_per_epoch == 45);
    CHECK(p.checkpoint_iteration == 2250 && p.total_iterations == 450000 && p.checks == 200);
    CHECK_OK(nnc_train_plan_for(500, &o, 4500, &p)); /* two checks made */
    CHECK(p.checks == 198);
    o.batch_size = 1000; /* larger than the training set: the whole of it */
    o.max_epoch = 7;
    o.checkpoint = 2;
    CHECK_OK(nnc_train_plan_for(500, &o, 0, &p));
    CHECK(p.batch == 450 && p.iterations_per_epoch == 1 && p.checks == 3);
    CHECK_OK(nnc_train_plan_for(500, &o, 9, &p)); /* past the end: none left */
    CHECK(p.checks == 0);
    CHECK_STATUS(nnc_train_plan_for(9, &o, 0, &p), NNC_ERR_ARGUMENT);
    o.max_epoch = 0;
    CHECK_STATUS(nnc_train_plan_for(500, &o, 0, &p), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_train_plan_for(500, &o, 0, NULL), NNC_ERR_ARGUMENT);
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

/* The callback can stop training; a batch too large is refused up front. */
static void interrupt_and_arguments(void)
{
    nnc_dataset *train = load("ch08.train.npz");
    nnc_net *net = make_net(8, NNC_ACT_RELU, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 2);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    nnc_train_options o = nnc_train_options_default();
    o.eta = 0.1;
    o.checkpoint = 1;
    nnc_train_result r;
    /* The callback can stop training after its third check: the end of
     * epoch 2, so the state stands at the start of epoch 3. */
    counter k = {0, 3};
    CHECK_STATUS(nnc_train(net, train, &o, count_checks, &k, &r), NNC_ERR_INTERRUPTED);
    CHECK(k.calls == 3 && r.history_count == 3 && r.epochs_run == 3);
    CHECK(r.state.epoch == 3 && r.state.iteration == 0 && r.state.total_iteration == 135 &&
          r.iterations == 135);
    nnc_train_result_free(&r);
    CHECK(r.history == NULL && r.state.order == NULL);

    /* A batch larger than the network's buffers is refused up front; the
     * result is still safe to free. */
    o.batch_size = 11;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, &r), NNC_ERR_ARGUMENT);
    CHECK(r.history == NULL && r.history_count == 0 && r.state.order == NULL);
    nnc_train_result_free(&r);
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    nnc_net_free(net);
    nnc_dataset_free(train);
}

/* ---------------------------------------------------------------------- */
/* Resume                                                                  */
/* ---------------------------------------------------------------------- */

/* 1-3-1 sigmoid on the composite data, the same starting weights each time. */
static nnc_net *composite_net(void)
{
    nnc_net *net = make_net(3, NNC_ACT_SIGMOID, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 7);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    return net;
}

static int same_state(const nnc_train_state *a, const nnc_train_state *b)
{
    return a->epoch == b->epoch && a->iteration == b->iteration &&
           a->total_iteration == b->total_iteration && a->rng.state == b->rng.state &&
           a->rng.inc == b->rng.inc && a->n_order == b->n_order && a->order && b->order &&
           memcmp(a->order, b->order, (size_t)a->n_order * sizeof *a->order) == 0;
}

static int same_params(nnc_net *a, nnc_net *b)
{
    return memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                  nnc_net_parameter_count(a) * sizeof(nnc_real)) == 0;
}

/* The order is a permutation of the training rows. */
static int is_permutation(const nnc_train_state *st, int n_valid, int n_train)
{
    if (st->n_order != n_train || !st->order)
        return 0;
    char *seen = calloc((size_t)n_train, 1);
    int ok = seen != NULL;
    for (int i = 0; ok && i < n_train; i++) {
        uint32_t v = st->order[i];
        ok = v >= (uint32_t)n_valid && v < (uint32_t)(n_valid + n_train) &&
             !seen[v - (uint32_t)n_valid]++;
    }
    free(seen);
    return ok;
}

/* Histories: `whole` equals `a` followed by `b`, bitwise. */
static int histories_join(const nnc_train_result *whole, const nnc_train_result *a,
                          const nnc_train_result *b)
{
    size_t sz = sizeof(nnc_checkpoint);
    return whole->history_count == a->history_count + b->history_count &&
           (a->history_count == 0 ||
            memcmp(whole->history, a->history, a->history_count * sz) == 0) &&
           (b->history_count == 0 ||
            memcmp(whole->history + a->history_count, b->history, b->history_count * sz) ==
                0);
}

typedef struct step_stop {
    long at; /* stop after this total iteration (0-based); -1: never */
    long calls;
    long last;
} step_stop;

static int stop_step(int epoch, long total, void *user)
{
    (void)epoch;
    step_stop *s = user;
    s->calls++;
    s->last = total;
    return total == s->at;
}

/* E epochs straight equal K epochs, then a resume to E: weights, history,
 * counts and state, bitwise. */
static void resume_by_epochs(void)
{
    nnc_dataset *train = load("ch09.train.npz");
    nnc_train_options o = nnc_train_options_default();
    o.max_epoch = 40;
    o.checkpoint = 2.5; /* checks in the middle of epochs too */
    o.eps = 0;          /* no early stop */
    o.seed = 11;
    nnc_net *straight = composite_net(), *split = composite_net();
    nnc_train_result whole, first, second;
    CHECK_OK(nnc_train(straight, train, &o, NULL, NULL, &whole));
    CHECK(whole.state.epoch == 40 && whole.state.iteration == 0 &&
          whole.state.total_iteration == whole.iterations &&
          whole.iterations == 40L * whole.iterations_per_epoch && whole.epochs_run == 40);
    CHECK(is_permutation(&whole.state, whole.n_valid, whole.n_train));
    CHECK(whole.state.options.seed == 11 && whole.state.options.max_epoch == 40 &&
          whole.state.options.resume == NULL && whole.state.options.on_step == NULL);

    o.max_epoch = 17;
    CHECK_OK(nnc_train(split, train, &o, NULL, NULL, &first));
    CHECK(first.state.epoch == 17 && first.state.iteration == 0 && first.epochs_run == 17);
    o.max_epoch = 40;
    o.seed = 12345; /* ignored on resume */
    o.resume = &first.state;
    CHECK_OK(nnc_train(split, train, &o, NULL, NULL, &second));
    CHECK(same_params(straight, split));
    CHECK(histories_join(&whole, &first, &second));
    CHECK(same_state(&whole.state, &second.state));
    CHECK(second.state.options.seed == 11);
    /* The result to fill cannot hold the state to resume from (nor the
     * options): refused, and left intact. */
    nnc_train_state keep = second.state;
    o.resume = &second.state;
    CHECK_STATUS(nnc_train(split, train, &o, NULL, NULL, &second), NNC_ERR_ARGUMENT);
    CHECK(memcmp(&keep, &second.state, sizeof keep) == 0);
    CHECK_STATUS(nnc_train(split, train, &second.state.options, NULL, NULL, &second),
                 NNC_ERR_ARGUMENT);
    CHECK(memcmp(&keep, &second.state, sizeof keep) == 0);
    CHECK(second.epochs_run == 40 && second.iterations == whole.iterations);

    /* Resuming a state at or past max_epoch: nothing to do, state as given. */
    nnc_train_result none;
    size_t bytes = nnc_net_parameter_count(split) * sizeof(nnc_real);
    nnc_real *before = malloc(bytes);
    memcpy(before, nnc_net_parameters(split), bytes);
    o.resume = &second.state;
    o.max_epoch = 30;
    CHECK_OK(nnc_train(split, train, &o, NULL, NULL, &none));
    CHECK(memcmp(before, nnc_net_parameters(split), bytes) == 0);
    CHECK(none.history_count == 0 && same_state(&none.state, &second.state));
    CHECK(none.state.order != second.state.order); /* a copy */
    CHECK(none.iterations == whole.iterations && none.epochs_run == 40);
    free(before);
    nnc_train_result_free(&none);
    nnc_train_result_free(&whole);
    nnc_train_result_free(&first);
    nnc_train_result_free(&second);
    nnc_net_free(straight);
    nnc_net_free(split);
    nnc_dataset_free(train);
}

/* Stopped by on_step in the middle of an epoch (once on a check's
 * iteration), then resumed: the same as never stopping. */
static void resume_mid_epoch(void)
{
    nnc_dataset *train = load("ch09.train.npz");
    nnc_train_options o = nnc_train_options_default();
    o.max_epoch = 12;
    o.checkpoint = 2.5;
    o.eps = 0;
    o.seed = 3;
    nnc_net *straight = composite_net(), *split = composite_net();
    nnc_train_result whole;
    CHECK_OK(nnc_train(straight, train, &o, NULL, NULL, &whole));
    const int ipe = whole.iterations_per_epoch;
    const long ck = whole.checkpoint_iteration;
    /* Stops: mid-epoch, on a check's update, on an epoch's last update. */
    long stops[3] = {ipe * 3 + 17, 2 * ck - 1, (long)ipe * 9 - 1};
    nnc_train_result parts[4];
    const nnc_train_state *from = NULL;
    for (int i = 0; i < 4; i++) {
        step_stop ss = {i < 3 ? stops[i] : -1, 0, -1};
        o.on_step = stop_step;
        o.step_user = &ss;
        o.resume = from;
        nnc_status s = nnc_train(split, train, &o, NULL, NULL, &parts[i]);
        if (i < 3) {
            CHECK(s == NNC_ERR_INTERRUPTED);
            CHECK_MSG("stopped by the caller");
            long next = stops[i] + 1;
            CHECK(parts[i].state.total_iteration == next && parts[i].iterations == next);
            CHECK(parts[i].state.epoch == (int)(next / ipe) &&
                  parts[i].state.iteration == (int)(next % ipe));
            CHECK(parts[i].epochs_run == (int)(stops[i] / ipe) + 1);
        } else {
            CHECK(s == NNC_OK);
        }
        /* on_step saw every update of this part, numbered absolutely. */
        long begin = from ? from->total_iteration : 0;
        CHECK(ss.calls == (i < 3 ? stops[i] + 1 : whole.iterations) - begin);
        from = &parts[i].state;
    }
    CHECK(same_params(straight, split));
    CHECK(same_state(&whole.state, &parts[3].state));
    /* The check on the stopping update is recorded once, before the stop. */
    CHECK(parts[1].history_count >= 1 &&
          parts[1].history[parts[1].history_count - 1].total_iteration == 2 * ck - 1);
    size_t n = 0, sz = sizeof(nnc_checkpoint);
    int joined = 1;
    for (int i = 0; i < 4; i++) {
        joined &= n + parts[i].history_count <= whole.history_count &&
                  (parts[i].history_count == 0 ||
                   memcmp(whole.history + n, parts[i].history, parts[i].history_count * sz) ==
                       0);
        n += parts[i].history_count;
    }
    CHECK(joined && n == whole.history_count);
    for (int i = 0; i < 4; i++)
        nnc_train_result_free(&parts[i]);
    nnc_train_result_free(&whole);
    nnc_net_free(straight);
    nnc_net_free(split);
    nnc_dataset_free(train);
}

/* An early stop by eps, resumed with a smaller eps, continues as a run with
 * the smaller eps from the start. */
static void resume_after_early_stop(void)
{
    nnc_dataset *train = load("ch09.train.npz");
    nnc_train_options o = nnc_train_options_default();
    o.max_epoch = 60;
    o.checkpoint = 5;
    o.eps = 0;
    nnc_net *straight = composite_net(), *split = composite_net();
    nnc_train_result whole, first, second;
    CHECK_OK(nnc_train(straight, train, &o, NULL, NULL, &whole));
    CHECK(whole.history_count == 12);
    /* An eps met by the fourth check at the latest. */
    o.eps = whole.history[3].loss_valid;
    CHECK_OK(nnc_train(split, train, &o, NULL, NULL, &first));
    CHECK(first.stopped_early && first.history_count <= 4);
    const nnc_checkpoint *last = &first.history[first.history_count - 1];
    CHECK(first.state.total_iteration == last->total_iteration + 1);
    o.eps = 0;
    o.resume = &first.state;
    CHECK_OK(nnc_train(split, train, &o, NULL, NULL, &second));
    CHECK(!second.stopped_early);
    CHECK(same_params(straight, split));
    CHECK(histories_join(&whole, &first, &second));
    CHECK(same_state(&whole.state, &second.state));
    nnc_train_result_free(&whole);
    nnc_train_result_free(&first);
    nnc_train_result_free(&second);
    nnc_net_free(straight);
    nnc_net_free(split);
    nnc_dataset_free(train);
}

/* A resume state is untrusted: each inconsistency is refused, weights untouched. */
static void resume_validation(void)
{
    nnc_dataset *train = load("ch08.train.npz"); /* 50 validate, 450 train */
    nnc_net *net = make_net(3, NNC_ACT_SIGMOID, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    nnc_train_options o = nnc_train_options_default();
    o.max_epoch = 3;
    nnc_train_result r;
    CHECK_OK(nnc_train(net, train, &o, NULL, NULL, &r));
    size_t bytes = nnc_net_parameter_count(net) * sizeof(nnc_real);
    nnc_real *before = malloc(bytes);
    memcpy(before, nnc_net_parameters(net), bytes);
    uint32_t order[451];
    memcpy(order, r.state.order, 450 * sizeof *order);
    nnc_train_state st = r.state;
    st.order = order;
    o.max_epoch = 10;
    o.resume = &st;

    st.n_order = 449;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("449 rows, but this data set trains on 450");
    st.n_order = 450;
    uint32_t keep = order[7];
    order[7] = 49; /* a validation row */
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("order[7] = 49 is not a training row (50 to 499)");
    order[7] = 500;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("order[7] = 500");
    order[7] = order[3]; /* a duplicate */
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("appears twice");
    order[7] = keep;
    st.iteration = 45; /* 45 mini-batches an epoch: 0 to 44 */
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("iteration 45 is out of range");
    st.iteration = -1;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    st.iteration = 0;
    st.epoch = -1;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("epoch -1 is negative");
    st.epoch = 3;
    st.total_iteration = 134;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("total_iteration 134 does not match");
    st.total_iteration = 135;
    st.order = NULL;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    st.order = order;
    /* Another batch size changes the schedule: the counts no longer fit. */
    o.batch_size = 5;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK_MSG("batch size");
    CHECK(memcmp(before, nnc_net_parameters(net), bytes) == 0);
    /* The repaired state resumes. */
    o.batch_size = 10;
    nnc_train_result r2;
    CHECK_OK(nnc_train(net, train, &o, NULL, NULL, &r2));
    CHECK(r2.state.epoch == 10 && r2.iterations == 450);
    nnc_train_result_free(&r2);
    nnc_train_result_free(&r);
    free(before);
    nnc_net_free(net);
    nnc_dataset_free(train);
}

/* ---------------------------------------------------------------------- */
/* The loop by hand                                                        */
/* ---------------------------------------------------------------------- */

/* The textbook's loop written plainly with public calls: the epoch's order
 * shuffled whole at its start, one nnc_net_train_batch per mini-batch, a
 * check after every checkpoint_iteration-th update (train metrics on that
 * mini-batch, validation on the first n_valid rows); no early stop.
 * nnc_train's look-ahead shuffle and its several steps per call must give
 * this, bit for bit.  *want gets the history and the state. */
static void train_by_hand(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o,
                          nnc_train_result *want)
{
    nnc_train_plan p;
    CHECK_OK(nnc_train_plan_for(nnc_dataset_rows(data), o, 0, &p));
    memset(want, 0, sizeof *want);
    want->history = calloc((size_t)p.checks + 1, sizeof *want->history);
    uint32_t *order = malloc((size_t)p.n_train * sizeof *order);
    const int n_in = nnc_dataset_inputs(data), n_out = nnc_dataset_outputs(data);
    nnc_real *Xb = malloc((size_t)p.batch * n_in * sizeof *Xb);
    nnc_real *Yb = malloc((size_t)p.batch * n_out * sizeof *Yb);
    const nnc_real *X = nnc_dataset_x(data), *Y = nnc_dataset_y(data);
    for (int i = 0; i < p.n_train; i++)
        order[i] = (uint32_t)(p.n_valid + i);
    nnc_rng rng;
    nnc_rng_seed(&rng, o->seed);
    long total = 0;
    for (int epoch = 0; epoch < o->max_epoch; epoch++) {
        nnc_rng_shuffle(&rng, order, (size_t)p.n_train);
        for (int it = 0; it < p.iterations_per_epoch; it++, total++) {
            const uint32_t *rows = order + (size_t)it * p.batch;
            const int m = p.n_train - it * p.batch < p.batch ? p.n_train - it * p.batch
                                                             : p.batch;
            CHECK_OK(nnc_net_train_batch(net, data, rows, m, o->eta));
            if ((total + 1) % p.checkpoint_iteration)
                continue;
            nnc_checkpoint *c = &want->history[want->history_count++];
            c->epoch = epoch;
            c->total_iteration = total;
            for (int r = 0; r < m; r++) {
                memcpy(Xb + (size_t)r * n_in, X + (size_t)rows[r] * n_in, n_in * sizeof *Xb);
                memcpy(Yb + (size_t)r * n_out, Y + (size_t)rows[r] * n_out,
                       n_out * sizeof *Yb);
            }
            CHECK_OK(nnc_net_evaluate(net, Xb, Yb, m, &c->loss_train, &c->accuracy_train));
            CHECK_OK(nnc_net_evaluate(net, X, Y, p.n_valid, &c->loss_valid,
                                      &c->accuracy_valid));
        }
    }
    want->iterations = total;
    want->epochs_run = o->max_epoch;
    want->state.epoch = o->max_epoch;
    want->state.total_iteration = total;
    want->state.rng = rng;
    want->state.order = order;
    want->state.n_order = p.n_train;
    free(Xb);
    free(Yb);
}

/* Two histories, field by field, bitwise (the structs' padding aside). */
static int same_history(const nnc_train_result *a, const nnc_train_result *b)
{
    int same = a->history_count == b->history_count;
    for (size_t i = 0; same && i < a->history_count; i++) {
        const nnc_checkpoint *x = &a->history[i], *y = &b->history[i];
        same = x->epoch == y->epoch && x->total_iteration == y->total_iteration &&
               memcmp(&x->loss_train, &y->loss_train, sizeof x->loss_train) == 0 &&
               memcmp(&x->accuracy_train, &y->accuracy_train, sizeof x->accuracy_train) ==
                   0 &&
               memcmp(&x->loss_valid, &y->loss_valid, sizeof x->loss_valid) == 0 &&
               memcmp(&x->accuracy_valid, &y->accuracy_valid, sizeof x->accuracy_valid) == 0;
    }
    return same;
}

/* nnc_train equals the loop by hand: weights, history and state, for the
 * fused 1-h-1 step and the general one (a 1-8-4-1 net), with a short last
 * mini-batch, checks inside epochs, on short batches, every update, and one
 * mini-batch an epoch. */
static void textbook_loop_by_hand(void)
{
    nnc_dataset *train = load("ch09.train.npz");
    const struct {
        int batch;
        double checkpoint;
        int max_epoch;
    } runs[] = {{7, 1.3, 9}, {10, 2.5, 8}, {16, 0.5, 6}, {10, 0.001, 2}, {-1, 3, 20}};
    const nnc_layer_spec deep[3] = {{8, NNC_ACT_TANH, 0}, {4, NNC_ACT_RELU, 0},
                                    {1, NNC_ACT_IDENTITY, 0}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        for (int general = 0; general < 2; general++) {
            nnc_train_options o = nnc_train_options_default();
            o.batch_size = runs[i].batch;
            o.checkpoint = runs[i].checkpoint;
            o.max_epoch = runs[i].max_epoch;
            o.eps = -1;
            o.seed = 21 + i;
            o.eta = general ? 0.05 : 0.5;
            const int max_batch = nnc_dataset_rows(train);
            nnc_net *nets[2];
            for (int k = 0; k < 2; k++) {
                nnc_layer_spec small[2] = {{3, NNC_ACT_SIGMOID, 0}, {1, NNC_ACT_IDENTITY, 0}};
                CHECK_OK(nnc_net_create(&nets[k], NNC_TASK_FITTING, 1, general ? 3 : 2,
                                        general ? deep : small, max_batch));
                nnc_rng rng;
                nnc_rng_seed(&rng, 9);
                CHECK_OK(nnc_net_init(nets[k], NNC_INIT_XAVIER, &rng));
            }
            nnc_train_result got, want;
            CHECK_OK(nnc_train(nets[0], train, &o, NULL, NULL, &got));
            train_by_hand(nets[1], train, &o, &want);
            CHECK(want.history_count > 0);
            CHECK(same_params(nets[0], nets[1]));
            CHECK(same_history(&got, &want));
            CHECK(same_state(&got.state, &want.state));
            CHECK(got.iterations == want.iterations && got.epochs_run == want.epochs_run);
            nnc_train_result_free(&got);
            nnc_train_result_free(&want);
            nnc_net_free(nets[0]);
            nnc_net_free(nets[1]);
        }
    nnc_dataset_free(train);
}

/* ---------------------------------------------------------------------- */
/* Divergence                                                              */
/* ---------------------------------------------------------------------- */

/* Keeps a copy of the weights at every check (all checks are good ones:
 * a diverged one is not reported). */
typedef struct keeper {
    nnc_net *net;
    nnc_real *copy;
    int calls;
} keeper;

static int keep_weights(const nnc_checkpoint *c, void *user)
{
    keeper *k = user;
    CHECK(isfinite(c->loss_valid) && isfinite(c->loss_train));
    memcpy(k->copy, nnc_net_parameters(k->net),
           nnc_net_parameter_count(k->net) * sizeof(nnc_real));
    k->calls++;
    return 0;
}

static int all_params_finite(nnc_net *net)
{
    int finite = 1;
    const nnc_real *P = nnc_net_parameters(net);
    for (size_t i = 0; i < nnc_net_parameter_count(net); i++)
        finite &= isfinite(P[i]) != 0;
    return finite;
}

/* The checked update: the same values as the plain one, and the first
 * layer and part holding a NaN/Inf; the largest finite values, subnormals
 * and -0 are finite. */
static void checked_update(void)
{
    nnc_layer_spec specs[3] = {{3, NNC_ACT_TANH, 0}, {2, NNC_ACT_RELU, 0},
                               {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *a = NULL, *b = NULL;
    CHECK_OK(nnc_net_create(&a, NNC_TASK_FITTING, 2, 3, specs, 4));
    CHECK_OK(nnc_net_create(&b, NNC_TASK_FITTING, 2, 3, specs, 4));
    nnc_rng rng;
    nnc_rng_seed(&rng, 4);
    CHECK_OK(nnc_net_init(a, NNC_INIT_XAVIER, &rng));
    size_t bytes = nnc_net_parameter_count(a) * sizeof(nnc_real);
    memcpy(nnc_net_parameters(b), nnc_net_parameters(a), bytes);
    const nnc_real X[8] = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f};
    const nnc_real Y[4] = {1, -1, 0.5f, 0};
    for (int step = 0; step < 3; step++) {
        CHECK_OK(nnc_net_forward(a, X, 4));
        CHECK_OK(nnc_net_backward(a, X, Y, 4));
        CHECK_OK(nnc_net_forward(b, X, 4));
        CHECK_OK(nnc_net_backward(b, X, Y, 4));
        nnc_net_sgd_update(a, 0.3);
        CHECK(nnc_net_sgd_update_checked(b, 0.3) == -1);
    }
    CHECK(memcmp(nnc_net_parameters(a), nnc_net_parameters(b), bytes) == 0);
    /* Gradients are zero now (a fresh net has zero gradients), so the
     * update leaves planted values as they are. */
    nnc_net *c = NULL;
    CHECK_OK(nnc_net_create(&c, NNC_TASK_FITTING, 2, 3, specs, 4));
    nnc_real *w2 = nnc_net_weights(c, 1), *b3 = nnc_net_bias(c, 2), *w1 = nnc_net_weights(c, 0);
    w1[0] = NNC_REAL_LARGEST;
    w1[1] = -NNC_REAL_LARGEST;
    w1[2] = NNC_REAL_TINY / 4; /* subnormal */
    w1[3] = -0.0f;
    CHECK(nnc_net_sgd_update_checked(c, 0.1) == -1);
    b3[0] = (nnc_real)INFINITY;
    CHECK(nnc_net_sgd_update_checked(c, 0.1) == 5); /* layer 3, bias */
    w2[5] = -(nnc_real)INFINITY;
    CHECK(nnc_net_sgd_update_checked(c, 0.1) == 2); /* layer 2, weights */
    b3[0] = 0;
    w2[5] = 0;
    nnc_net_bias(c, 0)[2] = (nnc_real)NAN;
    CHECK(nnc_net_sgd_update_checked(c, 0.1) == 1); /* layer 1, bias */
    nnc_net_free(a);
    nnc_net_free(b);
    nnc_net_free(c);
}

/* The message names where and what; the weights and the state are those of
 * the last good check, bitwise, and training resumes from them. */
static void divergence(void)
{
    nnc_dataset *train = load("ch08.train.npz");
    nnc_net *net = make_net(8, NNC_ACT_RELU, 10);
    nnc_rng rng;
    nnc_rng_seed(&rng, 2);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    size_t bytes = nnc_net_parameter_count(net) * sizeof(nnc_real);
    nnc_real *initial = malloc(bytes);
    memcpy(initial, nnc_net_parameters(net), bytes);

    /* 1. Checks once an epoch: it blows up before the first. */
    nnc_train_options o = nnc_train_options_default();
    o.eta = 1e6;
    o.checkpoint = 1;
    o.max_epoch = 50;
    nnc_train_result r;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, &r), NNC_ERR_DIVERGED);
    printf("%s\n", nnc_last_error());
    CHECK_MSG("training diverged at epoch 0, iteration ");
    CHECK_MSG("of the epoch (total iteration ");
    CHECK_MSG("): ");
    CHECK_MSG("layer ");
    CHECK_MSG("; restored the initial weights");
    /* Where the weights overflow (float), the message names the layer and
     * the part; where only the loss does (double: 1e6 · 1e6 ... stays
     * below 1e308 in the weights a while longer), the layer whose output
     * overflowed, or the output layer. */
    if (strstr(nnc_last_error(), "no longer finite"))
        CHECK(strstr(nnc_last_error(), "(weights) is") || strstr(nnc_last_error(), "(bias) is"));
    else
        CHECK_MSG("the weights are finite but layer ");
    CHECK(memcmp(initial, nnc_net_parameters(net), bytes) == 0);
    CHECK(r.history_count == 0 && r.iterations >= 1);
    nnc_rng fresh;
    nnc_rng_seed(&fresh, o.seed);
    int identity = r.state.n_order == 450;
    for (int i = 0; identity && i < 450; i++)
        identity = r.state.order[i] == (uint32_t)(50 + i);
    CHECK(identity);
    CHECK(r.state.epoch == 0 && r.state.iteration == 0 && r.state.total_iteration == 0 &&
          r.state.rng.state == fresh.state && r.state.rng.inc == fresh.inc);
    nnc_train_result_free(&r);

    /* 2. Five good epochs with a sane rate, the state kept. */
    o.eta = 0.01;
    o.max_epoch = 5;
    nnc_train_result good;
    CHECK_OK(nnc_train(net, train, &o, NULL, NULL, &good));
    nnc_real *at5 = malloc(bytes);
    memcpy(at5, nnc_net_parameters(net), bytes);

    /* 3. Resumed with eta 1e6 and a check after every update: a few checks
     * pass (huge but finite losses), then the weights overflow. */
    o.eta = 1e6;
    o.max_epoch = 50;
    o.checkpoint = 0.001;
    o.resume = &good.state;
    keeper k = {net, malloc(bytes), 0};
    CHECK_STATUS(nnc_train(net, train, &o, keep_weights, &k, &r), NNC_ERR_DIVERGED);
    printf("%s\n", nnc_last_error());
    CHECK(k.calls >= 1 && (size_t)k.calls == r.history_count);
    CHECK_MSG("training diverged at epoch 5, iteration ");
    CHECK_MSG("restored the weights of the check at epoch 5 (total iteration ");
    CHECK(all_params_finite(net));
    CHECK(memcmp(k.copy, nnc_net_parameters(net), bytes) == 0);
    const nnc_checkpoint *last = &r.history[r.history_count - 1];
    CHECK(r.state.total_iteration == last->total_iteration + 1);
    CHECK(r.iterations > r.state.total_iteration); /* the update that overflowed */
    CHECK(is_permutation(&r.state, 50, 450));
    /* The same run stopped by the caller right after that check stands
     * exactly where the divergence left things. */
    memcpy(nnc_net_parameters(net), at5, bytes);
    step_stop ss = {last->total_iteration, 0, -1};
    o.on_step = stop_step;
    o.step_user = &ss;
    nnc_train_result ref;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, &ref), NNC_ERR_INTERRUPTED);
    CHECK(memcmp(k.copy, nnc_net_parameters(net), bytes) == 0);
    CHECK(same_state(&ref.state, &r.state));
    CHECK(ref.history_count == r.history_count &&
          memcmp(ref.history, r.history, r.history_count * sizeof *r.history) == 0);
    nnc_train_result_free(&ref);
    o.on_step = NULL;
    o.step_user = NULL;
    nnc_train_result_free(&r);

    /* 4. Resumed with eta 1e6 and a check only at the end of each epoch: it
     * blows up before one; back to where it resumed from. */
    memcpy(nnc_net_parameters(net), at5, bytes);
    o.checkpoint = 1;
    CHECK_STATUS(nnc_train(net, train, &o, NULL, NULL, &r), NNC_ERR_DIVERGED);
    printf("%s\n", nnc_last_error());
    CHECK_MSG("restored the weights it resumed from (epoch 5, iteration 0 of the epoch)");
    CHECK(memcmp(at5, nnc_net_parameters(net), bytes) == 0);
    CHECK(r.history_count == 0 && same_state(&r.state, &good.state));
    /* Training carries on from the restored state with a sane rate. */
    nnc_train_options sane = o;
    sane.eta = 0.01;
    sane.checkpoint = 1;
    sane.max_epoch = 8;
    sane.resume = &r.state;
    nnc_train_result after;
    CHECK_OK(nnc_train(net, train, &sane, NULL, NULL, &after));
    CHECK(after.history_count >= 1 && after.history[0].total_iteration == 6 * 45 - 1);
    CHECK(after.state.epoch == 8 && after.iterations == 8 * 45);
    CHECK(all_params_finite(net));
    nnc_train_result_free(&after);
    nnc_train_result_free(&r);

    free(k.copy);
    free(at5);
    free(initial);
    nnc_train_result_free(&good);
    nnc_net_free(net);
    nnc_dataset_free(train);
}

typedef struct stop_at_check {
    long total; /* stop at the check after this update */
} stop_at_check;

static int stop_at_total(const nnc_checkpoint *c, void *user)
{
    return c->total_iteration == ((const stop_at_check *)user)->total;
}

/* A divergence after a check in the middle of an epoch and several steps
 * of one call past it: the weights, history and state rolled back are those
 * of a run stopped by the caller at that check.  The rate is raised until a
 * run diverges that way: in float an update overflows the weights inside
 * the call; in double the loss overflows first, at the call's closing
 * check. */
static void divergence_inside_a_call(void)
{
    nnc_dataset *train = load("ch08.train.npz"); /* 45 mini-batches an epoch */
    nnc_train_options o = nnc_train_options_default();
    o.checkpoint = 0.4; /* a check every 18 updates */
    o.max_epoch = 200;
    o.eps = -1;
    int found = 0;
    for (double eta = 0.5; !found && eta < 1e7; eta *= 1.5) {
        o.eta = eta;
        nnc_net *net = make_net(8, NNC_ACT_RELU, 10), *ref = make_net(8, NNC_ACT_RELU, 10);
        nnc_rng rng;
        nnc_rng_seed(&rng, 2);
        CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
        memcpy(nnc_net_parameters(ref), nnc_net_parameters(net),
               nnc_net_parameter_count(net) * sizeof(nnc_real));
        nnc_train_result r;
        nnc_status s = nnc_train(net, train, &o, NULL, NULL, &r);
        const nnc_checkpoint *last = r.history_count ? &r.history[r.history_count - 1] : NULL;
        /* The diverging update is r.iterations - 1; its call began after
         * the check's update, not at it, and the check is mid-epoch. */
        found = s == NNC_ERR_DIVERGED && last && r.iterations - 1 > last->total_iteration + 1 &&
                (last->total_iteration + 1) % 45 != 0;
        if (found) {
            printf("eta %g: %s\n", eta, nnc_last_error());
            char kept[128];
            snprintf(kept, sizeof kept, "restored the weights of the check at epoch %d "
                     "(total iteration %ld)", last->epoch, last->total_iteration);
            CHECK_MSG(kept);
            stop_at_check at = {last->total_iteration};
            nnc_train_result stopped;
            CHECK_STATUS(nnc_train(ref, train, &o, stop_at_total, &at, &stopped),
                         NNC_ERR_INTERRUPTED);
            CHECK(same_params(net, ref));
            CHECK(same_history(&r, &stopped));
            CHECK(same_state(&r.state, &stopped.state));
            CHECK(r.state.iteration > 0 && r.epochs_run == stopped.epochs_run);
            nnc_train_result_free(&stopped);
        }
        nnc_train_result_free(&r);
        nnc_net_free(net);
        nnc_net_free(ref);
    }
    CHECK(found);
    nnc_dataset_free(train);
}

int main(void)
{
    schedule();
    plan();
    textbook_sin_111_figures();
    textbook_seed_runs();
    determinism();
    early_stop();
    interrupt_and_arguments();
    resume_by_epochs();
    resume_mid_epoch();
    resume_after_early_stop();
    resume_validation();
    textbook_loop_by_hand();
    checked_update();
    divergence();
    divergence_inside_a_call();
    return check_report("test_train");
}
