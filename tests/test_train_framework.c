/* nnc_train's options from the book's framework (ch10–16): the shuffled
 * split, the shuffle modes, the learning-rate schedules, L1/L2 in the
 * gradient and in the reported loss, early stopping (patience) and
 * StopDiff; each against the loop written plainly with public calls, and
 * resumed runs against unbroken ones, bit for bit, with every optimizer. */
#include "check.h"

#include "nnc.h"

#include <math.h>
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
    CHECK_OK(nnc_dataset_load_npz(&ds, data_path(file), 0));
    return ds;
}

/* A 1-4-1 tanh fitting net, Xavier weights from seed 9. */
static nnc_net *small_net(int max_batch)
{
    const nnc_layer_spec specs[2] = {{4, NNC_ACT_TANH, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, 2, specs, max_batch));
    nnc_rng rng;
    nnc_rng_seed(&rng, 9);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &rng));
    return net;
}

static int same_params(nnc_net *a, nnc_net *b)
{
    return nnc_net_parameter_count(a) == nnc_net_parameter_count(b) &&
           !memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                   nnc_net_parameter_count(a) * sizeof(nnc_real));
}

static nnc_train_options quiet_options(void)
{
    nnc_train_options o = nnc_train_options_default();
    o.eps = -1;
    o.batch_size = 7;
    o.max_epoch = 6;
    o.eta = 0.3;
    o.seed = 5;
    o.checkpoint = 2;
    return o;
}

/* The split: validation and training rows partition the data set; the
 * shuffled split is the seed's (same seed, same split) and not the first
 * tenth. */
static void split(void)
{
    enum { ROWS = 103 };
    nnc_train_options o = quiet_options();
    uint32_t valid[ROWS], train[ROWS], again[ROWS];
    CHECK_OK(nnc_train_split_rows(ROWS, &o, valid, train));
    for (int i = 0; i < 10; i++)
        CHECK(valid[i] == (uint32_t)i);
    for (int i = 0; i < 93; i++)
        CHECK(train[i] == (uint32_t)(10 + i));
    o.split = NNC_SPLIT_SHUFFLED;
    CHECK_OK(nnc_train_split_rows(ROWS, &o, valid, train));
    unsigned char seen[ROWS] = {0};
    int first_tenth = 1;
    for (int i = 0; i < 10; i++)
        seen[valid[i]]++, first_tenth &= valid[i] < 10;
    for (int i = 0; i < 93; i++)
        seen[train[i]]++;
    for (int i = 0; i < ROWS; i++)
        CHECK(seen[i] == 1);
    CHECK(!first_tenth);
    CHECK_OK(nnc_train_split_rows(ROWS, &o, again, train));
    CHECK(!memcmp(again, valid, sizeof(uint32_t) * 10));
    o.seed = 6;
    CHECK_OK(nnc_train_split_rows(ROWS, &o, again, train));
    CHECK(memcmp(again, valid, sizeof(uint32_t) * 10) != 0);
    o.split = (nnc_split)7;
    CHECK_STATUS(nnc_train_split_rows(ROWS, &o, valid, train), NNC_ERR_ARGUMENT);
}

/* The learning rate of an epoch as the schedules define it. */
static double schedule_eta(const nnc_train_options *o, int epoch)
{
    if (o->lr_schedule == NNC_LR_STEP)
        return o->eta * pow(o->lr_factor, epoch / o->lr_every);
    if (o->lr_schedule == NNC_LR_COSINE)
        return o->eta * (1 + cos(3.14159265358979323846 * epoch / o->max_epoch)) / 2;
    return o->eta;
}

/* The loop by hand: the split's training rows, shuffled as the mode says
 * with nnc_rng_seed(seed), one nnc_net_train_batch per mini-batch at the
 * epoch's learning rate. */
static void train_by_hand(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o)
{
    const int rows = nnc_dataset_rows(data);
    nnc_train_plan p;
    CHECK_OK(nnc_train_plan_for(rows, o, 0, &p));
    uint32_t *order = malloc(sizeof *order * (size_t)rows),
             *valid = malloc(sizeof *valid * (size_t)rows);
    CHECK(order && valid);
    CHECK_OK(nnc_train_split_rows(rows, o, valid, order));
    nnc_rng rng;
    nnc_rng_seed(&rng, o->seed);
    for (int epoch = 0; epoch < o->max_epoch; epoch++) {
        if (o->shuffle == NNC_SHUFFLE_EPOCH || (o->shuffle == NNC_SHUFFLE_ONCE && epoch == 0))
            nnc_rng_shuffle(&rng, order, (size_t)p.n_train);
        for (int it = 0; it < p.iterations_per_epoch; it++) {
            const int m = p.n_train - it * p.batch < p.batch ? p.n_train - it * p.batch : p.batch;
            CHECK_OK(nnc_net_train_batch(net, data, order + (size_t)it * p.batch, m,
                                         schedule_eta(o, epoch)));
        }
    }
    free(order);
    free(valid);
}

/* Every split, shuffle and schedule against the loop by hand. */
static void loops_by_hand(void)
{
    nnc_dataset *data = load("ch09.train.npz");
    const int rows = nnc_dataset_rows(data);
    for (int split = 0; split < 2; split++)
        for (int shuffle = 0; shuffle < 3; shuffle++)
            for (int sched = 0; sched < 3; sched++) {
                nnc_train_options o = quiet_options();
                o.split = (nnc_split)split;
                o.shuffle = (nnc_shuffle)shuffle;
                o.lr_schedule = (nnc_lr_schedule)sched;
                o.lr_every = 2;
                o.lr_factor = 0.5;
                nnc_net *a = small_net(rows), *b = small_net(rows);
                nnc_train_result r;
                CHECK_OK(nnc_train(a, data, &o, NULL, NULL, &r));
                train_by_hand(b, data, &o);
                if (!same_params(a, b))
                    fprintf(stderr, "split %d shuffle %d schedule %d differs\n", split,
                            shuffle, sched);
                CHECK(same_params(a, b));
                nnc_train_result_free(&r);
                nnc_net_free(a);
                nnc_net_free(b);
            }
    nnc_dataset_free(data);
}

/* The checks' losses and a copy of the weights at each. */
typedef struct checks_seen {
    nnc_net *net;
    int count;
    double loss[256];
    nnc_real *params[256];
} checks_seen;

static int record_check(const nnc_checkpoint *c, void *user)
{
    checks_seen *s = user;
    const size_t n = nnc_net_parameter_count(s->net);
    if (s->count < 256) {
        s->loss[s->count] = c->loss_valid;
        s->params[s->count] = malloc(n * sizeof(nnc_real));
        memcpy(s->params[s->count], nnc_net_parameters(s->net), n * sizeof(nnc_real));
    }
    s->count++;
    return 0;
}

static void forget_checks(checks_seen *s)
{
    for (int i = 0; i < s->count && i < 256; i++)
        free(s->params[i]);
}

/* Patience: stops after `patience` checks without a strictly lower
 * loss_valid, with the best check's weights; StopDiff: after more than 3
 * checks in a row whose loss_valid moved by less than stop_diff. */
static void stopping(void)
{
    nnc_dataset *data = load("ch09.train.npz");
    const int rows = nnc_dataset_rows(data);
    nnc_train_options o = quiet_options();
    o.max_epoch = 200;
    o.checkpoint = 1;
    o.eta = 0.7; /* large enough that loss_valid goes up and down */
    /* The losses without either rule. */
    nnc_net *net = small_net(rows);
    checks_seen all = {.net = net};
    nnc_train_result r;
    CHECK_OK(nnc_train(net, data, &o, record_check, &all, &r));
    CHECK(all.count == 200 && r.stopped_early == 0);
    nnc_train_result_free(&r);
    nnc_net_free(net);
    for (int patience = 1; patience <= 4; patience++) {
        int best = 0, stale = 0, stop_at = -1;
        for (int i = 1; i < all.count && stop_at < 0; i++) {
            if (all.loss[i] < all.loss[best])
                best = i, stale = 0;
            else if (++stale >= patience)
                stop_at = i;
        }
        CHECK(stop_at > 0);
        o.patience = patience;
        net = small_net(rows);
        checks_seen seen = {.net = net};
        CHECK_OK(nnc_train(net, data, &o, record_check, &seen, &r));
        CHECK(r.stopped_early == 2 && seen.count == stop_at + 1);
        CHECK(!memcmp(nnc_net_parameters(net), all.params[best],
                      nnc_net_parameter_count(net) * sizeof(nnc_real)));
        CHECK(r.state.n_best == nnc_net_parameter_count(net) && r.state.best_params);
        CHECK(r.state.best_loss == all.loss[best]);
        forget_checks(&seen);
        nnc_train_result_free(&r);
        nnc_net_free(net);
    }
    o.patience = 0;
    /* StopDiff at a threshold that the run meets somewhere. */
    double diffs[256];
    for (int i = 1; i < all.count; i++)
        diffs[i] = fabs(all.loss[i] - all.loss[i - 1]);
    const double x = diffs[all.count / 2] * 1.0001;
    int run = 0, stop_at = -1;
    for (int i = 1; i < all.count && stop_at < 0; i++) {
        run = diffs[i] < x ? run + 1 : 0;
        if (run > 3)
            stop_at = i;
    }
    if (stop_at > 0) {
        o.stop_diff = x;
        net = small_net(rows);
        checks_seen seen = {.net = net};
        CHECK_OK(nnc_train(net, data, &o, record_check, &seen, &r));
        CHECK(r.stopped_early == 3 && seen.count == stop_at + 1);
        CHECK(!memcmp(nnc_net_parameters(net), all.params[stop_at],
                      nnc_net_parameter_count(net) * sizeof(nnc_real)));
        forget_checks(&seen);
        nnc_train_result_free(&r);
        nnc_net_free(net);
    }
    CHECK(stop_at > 0);
    forget_checks(&all);
    nnc_dataset_free(data);
}

/* L2 and L1: the reported loss is the book's J (the loss and the cost of
 * the weights); the gradient's terms against finite differences of J. */
static void regularisation(void)
{
    nnc_dataset *data = load("ch09.train.npz");
    const int rows = nnc_dataset_rows(data);
    nnc_train_options o = quiet_options();
    o.l2 = 0.3;
    o.l1 = 0.02;
    o.checkpoint = 1;
    nnc_net *net = small_net(rows);
    nnc_train_result r;
    CHECK_OK(nnc_train(net, data, &o, NULL, NULL, &r));
    const nnc_checkpoint *last = &r.history[r.history_count - 1];
    double loss, acc;
    CHECK_OK(nnc_net_evaluate(net, nnc_dataset_x(data), nnc_dataset_y(data), r.n_valid, &loss,
                              &acc));
    CHECK_OK(nnc_net_set_regularization(net, o.l1, o.l2));
    const double cost = nnc_net_regularization_cost(net, r.n_valid);
    CHECK(cost > 0 && last->loss_valid == loss + cost);
    /* The net's own regularisation is left as it was. */
    CHECK_OK(nnc_net_set_regularization(net, 0, 0));
    nnc_net *other = small_net(rows);
    CHECK_OK(nnc_net_set_regularization(other, 0.1, 0));
    CHECK_OK(nnc_train(other, data, &o, NULL, NULL, NULL));
    CHECK(nnc_net_regularization_cost(other, 10) > 0);
    nnc_net_free(other);
    nnc_train_result_free(&r);
    nnc_net_free(net);
    /* Finite differences of J = loss + cost on a batch of 8 rows, at the
     * initial weights (away from 0, where L1's sign is smooth). */
    net = small_net(rows);
    CHECK_OK(nnc_net_set_regularization(net, o.l1, o.l2));
    const nnc_real *X = nnc_dataset_x(data) + 20, *Y = nnc_dataset_y(data) + 20;
    CHECK_OK(nnc_net_forward(net, X, 8));
    CHECK_OK(nnc_net_backward(net, X, Y, 8));
    const int units = 4;
    nnc_real *W = nnc_net_weights(net, 0);
    const nnc_real *dW = nnc_net_weight_grad(net, 0);
    double grad[4];
    for (int j = 0; j < units; j++)
        grad[j] = dW[j];
    for (int j = 0; j < units; j++) {
#ifdef NNC_DOUBLE
        const double h = 1e-6, tol = 1e-6;
#else
        const double h = 1e-2, tol = 2e-3;
#endif
        const nnc_real w0 = W[j];
        double J[2];
        for (int k = 0; k < 2; k++) {
            W[j] = (nnc_real)(w0 + (k ? h : -h));
            CHECK_OK(nnc_net_evaluate(net, X, Y, 8, &loss, &acc));
            J[k] = loss + nnc_net_regularization_cost(net, 8);
        }
        W[j] = w0;
        CHECK(fabs(w0) > h); /* L1's sign is smooth there */
        CHECK_NEAR(grad[j], (J[1] - J[0]) / (2 * h), tol * (1 + fabs(grad[j])));
    }
    nnc_net_free(net);
    nnc_dataset_free(data);
}

static int stop_at_total(int epoch, long total, void *user)
{
    (void)epoch;
    return total == *(const long *)user;
}

/* N epochs, then N more from the state = 2N in one call, bit for bit, for
 * every optimizer and every option of the framework. */
static void resume(void)
{
    nnc_dataset *data = load("ch09.train.npz");
    const int rows = nnc_dataset_rows(data);
    for (int opt = 0; opt < nnc_optimizer_count(); opt++)
        for (int variant = 0; variant < 4; variant++) {
            nnc_train_options o = quiet_options();
            o.eta = opt == 0 ? 0.3 : 0.01;
            o.max_epoch = 8;
            o.split = variant & 1 ? NNC_SPLIT_SHUFFLED : NNC_SPLIT_FIRST;
            o.shuffle = (nnc_shuffle)(variant % 3);
            o.lr_schedule = (nnc_lr_schedule)(variant % 3);
            o.lr_every = 3;
            o.lr_factor = 0.7;
            o.l2 = variant == 2 ? 0.05 : 0;
            o.patience = variant == 3 ? 50 : 0;
            o.stop_diff = variant == 3 ? 1e-12 : 0;
            nnc_net *whole = small_net(rows), *parts = small_net(rows);
            CHECK_OK(nnc_net_set_optimizer(whole, nnc_optimizer_name(opt)));
            CHECK_OK(nnc_net_set_optimizer(parts, nnc_optimizer_name(opt)));
            nnc_train_result a, b, c;
            CHECK_OK(nnc_train(whole, data, &o, NULL, NULL, &a));
            /* Stopped by the caller after epoch 4's last update (so that the
             * cosine schedule, over max_epoch, is the same in both). */
            nnc_train_plan p;
            CHECK_OK(nnc_train_plan_for(rows, &o, 0, &p));
            long stop_after = 4L * p.iterations_per_epoch - 1;
            nnc_train_options first = o;
            first.on_step = stop_at_total;
            first.step_user = &stop_after;
            CHECK_STATUS(nnc_train(parts, data, &first, NULL, NULL, &b), NNC_ERR_INTERRUPTED);
            nnc_train_options rest = o;
            rest.resume = &b.state;
            CHECK_OK(nnc_train(parts, data, &rest, NULL, NULL, &c));
            if (!same_params(whole, parts))
                fprintf(stderr, "resume with %s, variant %d differs\n",
                        nnc_optimizer_name(opt), variant);
            CHECK(same_params(whole, parts));
            CHECK(a.state.total_iteration == c.state.total_iteration);
            CHECK(!memcmp(a.state.order, c.state.order, sizeof(uint32_t) * (size_t)a.state.n_order));
            nnc_train_result_free(&a);
            nnc_train_result_free(&b);
            nnc_train_result_free(&c);
            nnc_net_free(whole);
            nnc_net_free(parts);
        }
    nnc_dataset_free(data);
}

static void refusals(void)
{
    nnc_dataset *data = load("ch09.train.npz");
    nnc_net *net = small_net(nnc_dataset_rows(data));
    nnc_train_options o = quiet_options();
    o.l2 = -1;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o = quiet_options();
    o.l1 = NAN;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o = quiet_options();
    o.patience = -1;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o = quiet_options();
    o.lr_schedule = NNC_LR_STEP;
    o.lr_every = 0;
    o.lr_factor = 0.5;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o.lr_every = 2;
    o.lr_factor = 1.5;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o = quiet_options();
    o.shuffle = (nnc_shuffle)3;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    o = quiet_options();
    o.stop_diff = -0.1;
    CHECK_STATUS(nnc_train(net, data, &o, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    /* A state of the first split refused by a run on the shuffled one. */
    o = quiet_options();
    nnc_train_result r;
    CHECK_OK(nnc_train(net, data, &o, NULL, NULL, &r));
    nnc_train_options again = o;
    again.split = NNC_SPLIT_SHUFFLED;
    again.resume = &r.state;
    again.max_epoch = 10;
    CHECK_STATUS(nnc_train(net, data, &again, NULL, NULL, NULL), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "not a training row of this split") != NULL);
    nnc_train_result_free(&r);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

int main(void)
{
    split();
    loops_by_hand();
    stopping();
    regularisation();
    resume();
    refusals();
    return check_report("test_train_framework");
}
