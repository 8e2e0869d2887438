/* The textbook's training loop: epochs of shuffled mini-batches, a check
 * every `checkpoint` epochs, early stop on loss_valid <= eps.  A run can be
 * resumed exactly from the state another one stopped in, and every update
 * is checked for NaN/Inf so that a diverging run stops at once, with the
 * weights of its last good check. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nnc_train_options nnc_train_options_default(void)
{
    nnc_train_options o = {.eta = 0.5,
                           .batch_size = 10,
                           .max_epoch = 10000,
                           .eps = 0.001,
                           .checkpoint = 50,
                           .seed = 1};
    return o;
}

nnc_status nnc_train_schedule(int rows, const nnc_train_options *o, int *n_train,
                              int *n_valid, int *iterations_per_epoch,
                              long *checkpoint_iteration)
{
    if (!o)
        return nnc_fail(NNC_ERR_ARGUMENT, "no training options");
    if (rows < 10)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "training needs at least 10 rows (the first tenth is the "
                        "validation set), got %d", rows);
    if (o->batch_size == 0 || o->batch_size < -1)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "batch size must be positive, or -1 for the whole set (got %d)",
                        o->batch_size);
    if (!(o->checkpoint > 0) || !isfinite(o->checkpoint))
        return nnc_fail(NNC_ERR_ARGUMENT, "checkpoint must be a positive number of epochs");
    /* Validation: the first int(n/10) rows, in file order; the rest trains. */
    int nv = rows / 10, nt = rows - nv;
    int bs = o->batch_size == -1 || o->batch_size > nt ? nt : o->batch_size;
    int ipe = (nt + bs - 1) / bs; /* ceil(n_train / batch) */
    /* checkpoint_iteration = int(ipe · checkpoint), at least one update. */
    double ck = floor(ipe * o->checkpoint);
    if (ck > 1e15)
        return nnc_fail(NNC_ERR_ARGUMENT, "checkpoint of %g epochs is too large",
                        o->checkpoint);
    *n_train = nt;
    *n_valid = nv;
    *iterations_per_epoch = ipe;
    *checkpoint_iteration = ck < 1 ? 1 : (long)ck;
    return NNC_OK;
}

nnc_status nnc_train_plan_for(int rows, const nnc_train_options *o, long done_iterations,
                              nnc_train_plan *plan)
{
    if (!plan)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_train_plan_for: NULL plan");
    nnc_train_plan p = {0};
    nnc_status s = nnc_train_schedule(rows, o, &p.n_train, &p.n_valid, &p.iterations_per_epoch,
                                      &p.checkpoint_iteration);
    if (s != NNC_OK)
        return s;
    if (o->max_epoch <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "max_epoch must be positive (got %d)", o->max_epoch);
    if ((double)o->max_epoch * p.iterations_per_epoch > 9e18)
        return nnc_fail(NNC_ERR_ARGUMENT, "too many iterations");
    if (done_iterations < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_train_plan_for: %ld updates done",
                        done_iterations);
    p.batch = o->batch_size == -1 || o->batch_size > p.n_train ? p.n_train : o->batch_size;
    p.total_iterations = (long)o->max_epoch * p.iterations_per_epoch;
    /* As nnc_train counts them: one check after every checkpoint_iteration-th
     * update, up to the end. */
    const long end = p.total_iterations > done_iterations ? p.total_iterations : done_iterations;
    p.checks = end / p.checkpoint_iteration - done_iterations / p.checkpoint_iteration;
    *plan = p;
    return NNC_OK;
}

void nnc_train_state_free(nnc_train_state *state)
{
    if (state) {
        free(state->order);
        memset(state, 0, sizeof *state);
    }
}

void nnc_train_result_free(nnc_train_result *result)
{
    if (result) {
        free(result->history);
        result->history = NULL;
        result->history_count = 0;
        nnc_train_state_free(&result->state);
    }
}

/* A resume state comes from a file: it must fit this split and schedule.
 * seen: n_train bytes of scratch. */
static nnc_status check_resume(const nnc_train_state *st, int n_train, int n_valid, int ipe,
                               unsigned char *seen)
{
    if (st->n_order != n_train)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "resume state: its sample order has %d rows, but this data set "
                        "trains on %d (%d rows less the %d validation rows)",
                        st->n_order, n_train, n_train + n_valid, n_valid);
    if (!st->order)
        return nnc_fail(NNC_ERR_ARGUMENT, "resume state: no sample order");
    if (st->epoch < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "resume state: epoch %d is negative", st->epoch);
    if (st->iteration < 0 || st->iteration >= ipe)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "resume state: iteration %d is out of range: an epoch has %d "
                        "mini-batches (0 to %d)",
                        st->iteration, ipe, ipe - 1);
    long long want = (long long)st->epoch * ipe + st->iteration;
    if ((long long)st->total_iteration != want)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "resume state: total_iteration %ld does not match epoch %d x %d "
                        "iterations + iteration %d = %lld (was the batch size changed?)",
                        st->total_iteration, st->epoch, ipe, st->iteration, want);
    memset(seen, 0, (size_t)n_train);
    for (int i = 0; i < n_train; i++) {
        uint32_t v = st->order[i];
        if (v < (uint32_t)n_valid || v >= (uint32_t)(n_valid + n_train))
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "resume state: order[%d] = %lu is not a training row (%d to %d)",
                            i, (unsigned long)v, n_valid, n_valid + n_train - 1);
        if (seen[v - (uint32_t)n_valid]++)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "resume state: row %lu appears twice in the sample order "
                            "(again at order[%d])",
                            (unsigned long)v, i);
    }
    return NNC_OK;
}

/* After a check's loss came out NaN/Inf with finite weights: the first
 * layer whose output overflows on the mini-batch or on a chunk of the
 * validation rows, or -1 when every output is finite (the loss itself
 * overflowed). */
static int overflowing_layer(nnc_net *net, const nnc_real *Xb, int m, const nnc_real *X,
                             int n_valid)
{
    nnc_net_forward(net, Xb, m);
    int l = nnc_net_nonfinite_layer(net);
    const int chunk = nnc_net_max_batch(net), n_in = nnc_net_inputs(net);
    for (int start = 0; l < 0 && start < n_valid; start += chunk) {
        int rows = n_valid - start < chunk ? n_valid - start : chunk;
        nnc_net_forward(net, X + (size_t)start * n_in, rows);
        l = nnc_net_nonfinite_layer(net);
    }
    return l;
}

/* Where a run stands, without its order array. */
typedef struct position {
    int epoch, iteration;
    long total;
    nnc_rng rng;
} position;

/* What the loop does between the steps of one nnc_net_train_steps call:
 * a share of the next epoch's shuffle (ahead, order, left, picks: see the
 * loop), then the caller's on_step, but not after the call's last step
 * (not_last counts the steps before it), which the loop reports itself
 * after its check.  total is the next step's number; stopped says on_step
 * asked to stop. */
typedef struct between_steps {
    nnc_rng *ahead;
    uint32_t *order;
    size_t left, picks;
    nnc_step_fn on_step;
    void *user;
    int epoch;
    long total;
    int not_last, stopped;
} between_steps;

static int after_step(void *p)
{
    between_steps *b = p;
    b->left = nnc_rng_shuffle_part(b->ahead, b->order, b->left, b->picks);
    const long t = b->total++;
    if (b->not_last-- > 0 && b->on_step && b->on_step(b->epoch, t, b->user))
        b->stopped = 1;
    return b->stopped;
}

/* Whether p points into *r. */
static int inside(const void *p, const nnc_train_result *r)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r;
    return r && p && a >= lo && a < lo + sizeof *r;
}

nnc_status nnc_train(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o,
                     nnc_checkpoint_fn on_check, void *user, nnc_train_result *result)
{
    /* *result is overwritten: it cannot also hold the options or the state
     * to resume from (that result is left as it is, still to be freed). */
    if (inside(o, result) || (o && inside(o->resume, result)))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_train: the options or the state to resume from lie in the "
                        "result it is to fill; pass another nnc_train_result");
    if (result)
        memset(result, 0, sizeof *result);
    if (!net || !data || !o)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_train: NULL argument");
    const int n_in = nnc_dataset_inputs(data), n_out = nnc_dataset_outputs(data);
    if (n_in != nnc_net_inputs(net) || n_out != nnc_net_outputs(net))
        return nnc_fail(NNC_ERR_SHAPE,
                        "data has %d inputs and %d outputs, the network %d and %d", n_in,
                        n_out, nnc_net_inputs(net), nnc_net_outputs(net));
    if (!(o->eta > 0) || !isfinite(o->eta))
        return nnc_fail(NNC_ERR_ARGUMENT, "learning rate must be positive (got %g)", o->eta);
    if (o->max_epoch <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "max_epoch must be positive (got %d)",
                        o->max_epoch);
    int n_train, n_valid, ipe;
    long ck_iter;
    nnc_status s = nnc_train_schedule(nnc_dataset_rows(data), o, &n_train, &n_valid, &ipe,
                                      &ck_iter);
    if (s != NNC_OK)
        return s;
    int bs = o->batch_size == -1 || o->batch_size > n_train ? n_train : o->batch_size;
    if (bs > nnc_net_max_batch(net))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "batch size %d is larger than the network's max_batch %d", bs,
                        nnc_net_max_batch(net));
    if ((double)o->max_epoch * ipe > 9e18)
        return nnc_fail(NNC_ERR_ARGUMENT, "too many iterations");
    const nnc_train_state *resume = o->resume;
    if (resume) {
        unsigned char *seen = malloc((size_t)n_train);
        if (!seen)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
        s = check_resume(resume, n_train, n_valid, ipe, seen);
        free(seen);
        if (s != NNC_OK)
            return s;
    }
    /* Where this run starts: a fresh shuffle stream, or the resumed one. */
    position at = {0, 0, 0, {0, 0}};
    if (resume) {
        at.epoch = resume->epoch;
        at.iteration = resume->iteration;
        at.total = resume->total_iteration;
        at.rng = resume->rng;
    } else {
        nnc_rng_seed(&at.rng, o->seed);
    }
    long end_total = at.epoch < o->max_epoch ? (long)o->max_epoch * ipe : at.total;
    size_t max_checks = (size_t)(end_total / ck_iter - at.total / ck_iter) + 1;
    size_t n_params = nnc_net_parameter_count(net);

    /* Everything the loop needs, allocated once before it starts: the order,
     * the next epoch's, and the order at the last good check, the batch, the
     * last good weights. */
    uint32_t *idx = malloc((size_t)n_train * sizeof *idx);
    uint32_t *next_idx = malloc((size_t)n_train * sizeof *next_idx);
    uint32_t *good_idx = malloc((size_t)n_train * sizeof *good_idx);
    nnc_real *Xb = malloc((size_t)bs * n_in * sizeof *Xb);
    nnc_real *Yb = malloc((size_t)bs * n_out * sizeof *Yb);
    nnc_real *good = malloc(n_params * sizeof *good);
    nnc_checkpoint *history = malloc(max_checks * sizeof *history);
    if (!idx || !next_idx || !good_idx || !Xb || !Yb || !good || !history) {
        free(idx), free(next_idx), free(good_idx), free(Xb), free(Yb), free(good),
            free(history);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    }
    const nnc_real *X = nnc_dataset_x(data), *Y = nnc_dataset_y(data);
    nnc_real *params = nnc_net_parameters(net);
    if (resume)
        memcpy(idx, resume->order, (size_t)n_train * sizeof *idx);
    else
        for (int i = 0; i < n_train; i++)
            idx[i] = (uint32_t)(n_valid + i);

    nnc_train_result r = {0};
    r.iterations_per_epoch = ipe;
    r.checkpoint_iteration = ck_iter;
    r.n_train = n_train;
    r.n_valid = n_valid;
    r.state.options = *o;
    r.state.options.on_step = NULL;
    r.state.options.step_user = NULL;
    r.state.options.resume = NULL;
    if (resume) /* the seed the shuffle stream came from */
        r.state.options.seed = resume->options.seed;
    r.state.n_order = n_train;

    /* The last good check; the starting point is the first. */
    position good_at = at;
    int good_is_check = 0;
    memcpy(good, params, n_params * sizeof *good);
    memcpy(good_idx, idx, (size_t)n_train * sizeof *idx);

    const nnc_task task = nnc_net_task(net);
    int epoch = at.epoch, it = at.iteration;
    long total = at.total;
    nnc_rng rng = at.rng;
    r.epochs_run = epoch + (it > 0);
    int stop = 0, diverged = 0;
    /* Updates left before the next check: a check follows update t when
     * (t + 1) % ck_iter == 0, counted down instead of divided every step. */
    long to_check = ck_iter - total % ck_iter;
    /* The next epoch's shuffle is drawn a few picks per update, on a copy of
     * the order with its own copy of the RNG (`ahead`), so that its draws
     * overlap the updates' arithmetic; the epoch then takes it over whole.
     * rng and idx stay this epoch's, as a stop or a check records them.
     * ahead_epoch: the epoch next_idx is being shuffled for (-1: none). */
    nnc_rng ahead = rng;
    size_t ahead_left = 0;
    int ahead_epoch = -1;
    const size_t picks_per_update = ((size_t)n_train + (size_t)ipe - 1) / (size_t)ipe;
    while (!stop && epoch < o->max_epoch) {
        r.epochs_run = epoch + 1;
        if (it == 0) {
            if (ahead_epoch == epoch) {
                (void)nnc_rng_shuffle_part(&ahead, next_idx, ahead_left, (size_t)n_train);
                uint32_t *t = idx;
                idx = next_idx;
                next_idx = t;
                rng = ahead;
            } else {
                nnc_rng_shuffle(&rng, idx, (size_t)n_train);
            }
            memcpy(next_idx, idx, (size_t)n_train * sizeof *idx);
            ahead = rng;
            ahead_left = (size_t)n_train;
            ahead_epoch = epoch + 1;
        }
        while (!stop && it < ipe) {
            /* The full batches up to the next check or the epoch's last
             * full batch in one call, each step followed by after_step;
             * a short last batch alone. */
            int m = n_train - it * bs < bs ? n_train - it * bs : bs, count = 1;
            if (m == bs)
                count = (int)(n_train / bs - it < to_check ? n_train / bs - it : to_check);
            between_steps b = {.ahead = &ahead, .order = next_idx, .left = ahead_left,
                               .picks = picks_per_update, .on_step = o->on_step,
                               .user = o->step_user, .epoch = epoch, .total = total,
                               .not_last = count - 1};
            int bad;
            const int taken = nnc_net_train_steps(net, X, Y, idx + it * bs, m, count, o->eta,
                                                  after_step, &b, &bad);
            ahead_left = b.left;
            const long t = total + taken - 1; /* the last update taken, 0-based */
            const int this_it = it + taken - 1, start = this_it * bs;
            total += taken;
            it += taken;
            to_check -= taken;
            if (b.stopped) {
                s = nnc_fail(NNC_ERR_INTERRUPTED,
                             "training stopped by the caller at epoch %d, iteration %d of "
                             "the epoch (total iteration %ld)", epoch, this_it, t);
                stop = 1;
                break;
            }
            if (bad >= 0) {
                s = nnc_fail(NNC_ERR_DIVERGED,
                             "training diverged at epoch %d, iteration %d of the epoch "
                             "(total iteration %ld): layer %d (%s) is no longer finite",
                             epoch, this_it, t, bad / 2 + 1, bad % 2 ? "bias" : "weights");
                stop = diverged = 1;
                break;
            }
            if (to_check == 0) {
                to_check = ck_iter;
                /* A check: train metrics on this (last) mini-batch with the
                 * updated weights, validation metrics on the whole set. */
                nnc_checkpoint c = {.epoch = epoch, .total_iteration = t};
                nnc_metric_sums train_sums = {0};
                nnc_gather_rows(Xb, Yb, X, Y, idx + start, m, n_in, n_out);
                nnc_net_forward(net, Xb, m);
                nnc_metric_accumulate(task, nnc_net_output(net), Yb, m, n_out, &train_sums);
                c.loss_train = nnc_metric_loss(&train_sums);
                c.accuracy_train = nnc_metric_accuracy(task, &train_sums);
                nnc_net_evaluate(net, X, Y, n_valid, &c.loss_valid, &c.accuracy_valid);
                if (!isfinite(c.loss_train) || !isfinite(c.loss_valid)) {
                    int l = overflowing_layer(net, Xb, m, X, n_valid);
                    char where[128];
                    if (l >= 0)
                        snprintf(where, sizeof where, "layer %d (its output) is not", l + 1);
                    else
                        snprintf(where, sizeof where,
                                 "layer %d (the output) gives values too large for the "
                                 "loss", nnc_net_layers(net));
                    s = nnc_fail(NNC_ERR_DIVERGED,
                                 "training diverged at epoch %d, iteration %d of the epoch "
                                 "(total iteration %ld): the weights are finite but %s "
                                 "(loss_train=%g, loss_valid=%g)",
                                 epoch, this_it, t, where, c.loss_train, c.loss_valid);
                    stop = diverged = 1;
                    break;
                }
                history[r.history_count++] = c;
                if (on_check && on_check(&c, user)) {
                    s = nnc_fail(NNC_ERR_INTERRUPTED,
                                 "training stopped by the caller at epoch %d, total "
                                 "iteration %ld", epoch, t);
                    stop = 1;
                } else if (c.loss_valid <= o->eps) {
                    r.stopped_early = 1;
                    stop = 1;
                }
                /* A good check: remember where it stands. */
                memcpy(good, params, n_params * sizeof *good);
                memcpy(good_idx, idx, (size_t)n_train * sizeof *idx);
                good_at.epoch = it == ipe ? epoch + 1 : epoch;
                good_at.iteration = it == ipe ? 0 : it;
                good_at.total = total;
                good_at.rng = rng;
                good_is_check = 1;
            }
            if (o->on_step && o->on_step(epoch, t, o->step_user) && !stop) {
                s = nnc_fail(NNC_ERR_INTERRUPTED,
                             "training stopped by the caller at epoch %d, iteration %d of "
                             "the epoch (total iteration %ld)", epoch, this_it, t);
                stop = 1;
            }
        }
        if (it == ipe) {
            epoch++;
            it = 0;
        }
    }
    if (diverged) {
        /* Back to the last good check, weights and state alike. */
        memcpy(params, good, n_params * sizeof *good);
        char kept[128];
        if (good_is_check)
            snprintf(kept, sizeof kept,
                     "the weights of the check at epoch %d (total iteration %ld)",
                     history[r.history_count - 1].epoch,
                     history[r.history_count - 1].total_iteration);
        else if (resume)
            snprintf(kept, sizeof kept,
                     "the weights it resumed from (epoch %d, iteration %d of the epoch)",
                     good_at.epoch, good_at.iteration);
        else
            snprintf(kept, sizeof kept, "the initial weights");
        char what[512];
        snprintf(what, sizeof what, "%s", nnc_last_error());
        s = nnc_fail(NNC_ERR_DIVERGED, "%s; restored %s", what, kept);
        r.state.epoch = good_at.epoch;
        r.state.iteration = good_at.iteration;
        r.state.total_iteration = good_at.total;
        r.state.rng = good_at.rng;
        r.state.order = good_idx;
        free(idx);
        free(next_idx);
    } else {
        r.state.epoch = epoch;
        r.state.iteration = it;
        r.state.total_iteration = total;
        r.state.rng = rng;
        r.state.order = idx;
        free(good_idx);
        free(next_idx);
    }
    r.iterations = total;
    free(Xb), free(Yb), free(good);
    r.history = history;
    if (result)
        *result = r;
    else
        nnc_train_result_free(&r);
    return s;
}
