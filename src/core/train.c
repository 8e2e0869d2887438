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

/* SKELETON (issue 19, h-train replaces): the first split only. */
nnc_status nnc_train_split_rows(int rows, const nnc_train_options *o, uint32_t *valid,
                                uint32_t *train)
{
    nnc_train_plan p;
    nnc_status s = nnc_train_plan_for(rows, o, 0, &p);
    if (s != NNC_OK)
        return s;
    if (o->split != NNC_SPLIT_FIRST)
        return nnc_fail(NNC_ERR_ARGUMENT, "the shuffled split is not implemented yet");
    for (int i = 0; i < p.n_valid; i++)
        valid[i] = (uint32_t)i;
    for (int i = 0; i < p.n_train; i++)
        train[i] = (uint32_t)(p.n_valid + i);
    return NNC_OK;
}

void nnc_train_state_free(nnc_train_state *state)
{
    if (state) {
        free(state->order);
        free(state->best_params);
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

/* Where a run stands, without its order array: the epoch, the next update's
 * mini-batch in it and the number of updates made; rng is the shuffle
 * stream once the epoch's order is drawn (at iteration 0 the epoch's
 * shuffle is still to be drawn from it). */
typedef struct position {
    int epoch, iteration;
    long total;
    nnc_rng rng;
} position;

/* An epoch's end is the next one's start: the form a state is saved in. */
static position settled(position at, int iterations_per_epoch)
{
    if (at.iteration == iterations_per_epoch) {
        at.epoch++;
        at.iteration = 0;
    }
    return at;
}

/* One nnc_train run: its arguments and plan, the buffers it allocates once
 * before the loop, where it stands and where its last good check stood. */
typedef struct trainer {
    nnc_net *net;
    const nnc_train_options *o;
    const nnc_real *X, *Y;
    nnc_train_plan plan;
    int n_in, n_out;
    nnc_real *params; /* the net's, updated in place */
    size_t n_params;
    position at;
    uint32_t *order; /* this epoch's sample order */
    long to_check;   /* updates left before the next check */
    /* The next epoch's shuffle, drawn a few picks per update on next_order
     * with its own copy of the RNG (see next_epoch_order). */
    uint32_t *next_order;
    nnc_rng ahead;
    size_t ahead_left;       /* next_order's positions not yet drawn */
    int ahead_epoch;         /* the epoch next_order is for (-1: none) */
    size_t picks_per_update; /* enough that an epoch's updates draw it all */
    /* The last good check, or the start: what a divergence rolls back to. */
    nnc_real *good_params;
    uint32_t *good_order;
    position good_at;
    int good_is_check;
    nnc_real *Xb, *Yb; /* a check's mini-batch, gathered */
    nnc_train_result r; /* what the run fills in: history, counts, state */
} trainer;

/* The last update of one take_steps: what its check, the messages and
 * on_step report.  rows: its mini-batch's. */
typedef struct last_step {
    int epoch, iteration;
    long total;
    int rows;
} last_step;

/* Whether p points into *r. */
static int inside(const void *p, const nnc_train_result *r)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r;
    return r && p && a >= lo && a < lo + sizeof *r;
}

/* The refusals of the arguments, the resume state's aside (start_position);
 * *plan gets the split, the schedule and the checks still to come. */
static nnc_status check_arguments(const nnc_net *net, const nnc_dataset *data,
                                  const nnc_train_options *o, nnc_train_result *result,
                                  nnc_train_plan *plan)
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
    /* Checked before the plan, which checks the split first: with both
     * wrong, this is the refusal the caller sees. */
    if (o->max_epoch <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "max_epoch must be positive (got %d)",
                        o->max_epoch);
    /* The checks counted from where a resumed run starts: its state is
     * checked later (start_position), with messages of its own, so a
     * negative count is not handed to the plan, which would refuse it. */
    const nnc_train_state *resume = o->resume;
    const long done = resume && resume->total_iteration > 0 ? resume->total_iteration : 0;
    nnc_status s = nnc_train_plan_for(nnc_dataset_rows(data), o, done, plan);
    if (s != NNC_OK)
        return s;
    if (plan->batch > nnc_net_max_batch(net))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "batch size %d is larger than the network's max_batch %d",
                        plan->batch, nnc_net_max_batch(net));
    return NNC_OK;
}

/* Where the run starts: a fresh shuffle stream from the seed, or the state
 * it resumes from, checked first against this split and schedule (it may
 * come from a file). */
static nnc_status start_position(const nnc_train_options *o, const nnc_train_plan *plan,
                                 position *at)
{
    const nnc_train_state *resume = o->resume;
    *at = (position){0, 0, 0, {0, 0}};
    if (!resume) {
        nnc_rng_seed(&at->rng, o->seed);
        return NNC_OK;
    }
    unsigned char *seen = malloc((size_t)plan->n_train);
    if (!seen)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    nnc_status s = check_resume(resume, plan->n_train, plan->n_valid,
                                plan->iterations_per_epoch, seen);
    free(seen);
    if (s != NNC_OK)
        return s;
    at->epoch = resume->epoch;
    at->iteration = resume->iteration;
    at->total = resume->total_iteration;
    at->rng = resume->rng;
    return NNC_OK;
}

static void free_buffers(trainer *t)
{
    free(t->order), free(t->next_order), free(t->good_order), free(t->Xb), free(t->Yb),
        free(t->good_params), free(t->r.history);
}

/* Everything the loop needs, allocated once before it starts: the order,
 * the next epoch's, the order and weights at the last good check, a
 * check's mini-batch and the history (room for every check to the end). */
static nnc_status allocate(trainer *t, size_t max_checks)
{
    const size_t n = (size_t)t->plan.n_train, bs = (size_t)t->plan.batch;
    t->order = malloc(n * sizeof *t->order);
    t->next_order = malloc(n * sizeof *t->next_order);
    t->good_order = malloc(n * sizeof *t->good_order);
    t->Xb = malloc(bs * (size_t)t->n_in * sizeof *t->Xb);
    t->Yb = malloc(bs * (size_t)t->n_out * sizeof *t->Yb);
    t->good_params = malloc(t->n_params * sizeof *t->good_params);
    t->r.history = malloc(max_checks * sizeof *t->r.history);
    if (!t->order || !t->next_order || !t->good_order || !t->Xb || !t->Yb ||
        !t->good_params || !t->r.history) {
        free_buffers(t);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    }
    return NNC_OK;
}

/* The trainer at the run's start, t->plan and t->at set: its buffers, the
 * order (the resumed one, or the training rows in file order), the result's
 * fixed fields, and the start as the first good point. */
static nnc_status start_run(trainer *t, nnc_net *net, const nnc_dataset *data,
                            const nnc_train_options *o)
{
    const nnc_train_plan *p = &t->plan;
    t->net = net;
    t->o = o;
    t->X = nnc_dataset_x(data);
    t->Y = nnc_dataset_y(data);
    t->n_in = nnc_dataset_inputs(data);
    t->n_out = nnc_dataset_outputs(data);
    t->params = nnc_net_parameters(net);
    t->n_params = nnc_net_parameter_count(net);
    nnc_status s = allocate(t, (size_t)p->checks + 1);
    if (s != NNC_OK)
        return s;
    const size_t order_bytes = (size_t)p->n_train * sizeof *t->order;
    uint32_t *order = t->order; /* a local: the stores cannot alias *p, the loop vectorises */
    if (o->resume)
        memcpy(order, o->resume->order, order_bytes);
    else
        for (int i = 0, n_train = p->n_train, n_valid = p->n_valid; i < n_train; i++)
            order[i] = (uint32_t)(n_valid + i);
    nnc_train_result *r = &t->r;
    r->iterations_per_epoch = p->iterations_per_epoch;
    r->checkpoint_iteration = p->checkpoint_iteration;
    r->n_train = p->n_train;
    r->n_valid = p->n_valid;
    r->state.options = *o;
    r->state.options.on_step = NULL;
    r->state.options.step_user = NULL;
    r->state.options.resume = NULL;
    if (o->resume) /* the seed the shuffle stream came from */
        r->state.options.seed = o->resume->options.seed;
    r->state.n_order = p->n_train;
    r->epochs_run = t->at.epoch + (t->at.iteration > 0);
    memcpy(t->good_params, t->params, t->n_params * sizeof *t->params);
    memcpy(t->good_order, t->order, order_bytes);
    t->good_at = t->at;
    /* A check follows update k when (k + 1) % checkpoint_iteration == 0:
     * counted down instead of divided every step. */
    t->to_check = p->checkpoint_iteration - t->at.total % p->checkpoint_iteration;
    t->ahead = t->at.rng;
    t->ahead_epoch = -1;
    t->picks_per_update = ((size_t)p->n_train + (size_t)p->iterations_per_epoch - 1) /
                          (size_t)p->iterations_per_epoch;
    return NNC_OK;
}

/* The epoch's order, at its first update.  The shuffle is drawn ahead, a few
 * picks per update of the epoch before, on a copy of the order with its own
 * copy of the RNG, so that its draws overlap the updates' arithmetic; here
 * the last picks are drawn and the epoch takes it over whole (the first
 * epoch a call shuffles has no epoch before it in the call: it draws its
 * shuffle at once).  Either way the draws are those of
 * one nnc_rng_shuffle of the previous order.  at.rng and order stay this
 * epoch's, as a stop or a check records them; the next epoch's look-ahead
 * starts from them. */
static void next_epoch_order(trainer *t)
{
    const size_t n = (size_t)t->plan.n_train;
    if (t->ahead_epoch == t->at.epoch) {
        (void)nnc_rng_shuffle_part(&t->ahead, t->next_order, t->ahead_left, n);
        uint32_t *drawn = t->next_order;
        t->next_order = t->order;
        t->order = drawn;
        t->at.rng = t->ahead;
    } else {
        nnc_rng_shuffle(&t->at.rng, t->order, n);
    }
    memcpy(t->next_order, t->order, n * sizeof *t->order);
    t->ahead = t->at.rng;
    t->ahead_left = n;
    t->ahead_epoch = t->at.epoch + 1;
}

/* What the loop does between the steps of one nnc_net_train_steps call:
 * a share of the next epoch's shuffle (ahead, order, left, picks: see
 * next_epoch_order), then the caller's on_step, but not after the call's
 * last step (not_last counts the steps before it), which the loop reports
 * itself after its check.  total is the next step's number; stopped says
 * on_step asked to stop.  Called after every update: it stays this small. */
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

static nnc_status stopped_by_caller(const last_step *last)
{
    return nnc_fail(NNC_ERR_INTERRUPTED,
                    "training stopped by the caller at epoch %d, iteration %d of the epoch "
                    "(total iteration %ld)",
                    last->epoch, last->iteration, last->total);
}

/* The full batches up to the next check or the epoch's last full batch in
 * one nnc_net_train_steps call (with threads, the weights stay split among
 * them from one step to the next), a short last batch alone.  Stops at an
 * update that leaves a parameter NaN/Inf (NNC_ERR_DIVERGED) or when on_step
 * asks between the steps (NNC_ERR_INTERRUPTED); *last: the last update. */
static nnc_status take_steps(trainer *t, last_step *last)
{
    const int n = t->plan.n_train, bs = t->plan.batch, it = t->at.iteration;
    int m = n - it * bs < bs ? n - it * bs : bs, count = 1;
    if (m == bs)
        count = (int)(n / bs - it < t->to_check ? n / bs - it : t->to_check);
    between_steps b = {.ahead = &t->ahead, .order = t->next_order, .left = t->ahead_left,
                       .picks = t->picks_per_update, .on_step = t->o->on_step,
                       .user = t->o->step_user, .epoch = t->at.epoch, .total = t->at.total,
                       .not_last = count - 1};
    int bad;
    const int taken = nnc_net_train_steps(t->net, t->X, t->Y, t->order + it * bs, m, count,
                                          t->o->eta, after_step, &b, &bad);
    t->ahead_left = b.left;
    *last = (last_step){.epoch = t->at.epoch, .iteration = it + taken - 1,
                        .total = t->at.total + taken - 1, .rows = m};
    t->at.total += taken;
    t->at.iteration += taken;
    t->to_check -= taken;
    if (b.stopped)
        return stopped_by_caller(last);
    if (bad >= 0)
        return nnc_fail(NNC_ERR_DIVERGED,
                        "training diverged at epoch %d, iteration %d of the epoch "
                        "(total iteration %ld): layer %d (%s) is no longer finite",
                        last->epoch, last->iteration, last->total, bad / 2 + 1,
                        bad % 2 ? "bias" : "weights");
    return NNC_OK;
}

/* A check's losses are NaN/Inf with finite weights: the message names the
 * layer whose output overflows, or the loss itself.  t->Xb holds the
 * check's mini-batch. */
static nnc_status diverged_at_check(trainer *t, const last_step *last,
                                    const nnc_checkpoint *c)
{
    int l = overflowing_layer(t->net, t->Xb, last->rows, t->X, t->plan.n_valid);
    char where[128];
    if (l >= 0)
        snprintf(where, sizeof where, "layer %d (its output) is not", l + 1);
    else
        snprintf(where, sizeof where,
                 "layer %d (the output) gives values too large for the loss",
                 nnc_net_layers(t->net));
    return nnc_fail(NNC_ERR_DIVERGED,
                    "training diverged at epoch %d, iteration %d of the epoch (total "
                    "iteration %ld): the weights are finite but %s (loss_train=%g, "
                    "loss_valid=%g)",
                    last->epoch, last->iteration, last->total, where, c->loss_train,
                    c->loss_valid);
}

/* A check after the last update: train metrics on its mini-batch with the
 * updated weights, validation metrics on the whole validation set.  Losses
 * that are NaN/Inf while the weights are finite are a divergence too
 * (NNC_ERR_DIVERGED). */
static nnc_status run_check(trainer *t, const last_step *last, nnc_checkpoint *c)
{
    t->to_check = t->plan.checkpoint_iteration;
    *c = (nnc_checkpoint){.epoch = last->epoch, .total_iteration = last->total};
    nnc_metric_sums train_sums = {0};
    const nnc_task task = nnc_net_task(t->net);
    nnc_gather_rows(t->Xb, t->Yb, t->X, t->Y, t->order + last->iteration * t->plan.batch,
                    last->rows, t->n_in, t->n_out);
    nnc_net_forward(t->net, t->Xb, last->rows);
    nnc_metric_accumulate(task, nnc_net_output(t->net), t->Yb, last->rows, t->n_out,
                          &train_sums);
    c->loss_train = nnc_metric_loss(&train_sums);
    c->accuracy_train = nnc_metric_accuracy(task, &train_sums);
    nnc_net_evaluate(t->net, t->X, t->Y, t->plan.n_valid, &c->loss_valid, &c->accuracy_valid);
    if (!isfinite(c->loss_train) || !isfinite(c->loss_valid))
        return diverged_at_check(t, last, c);
    return NNC_OK;
}

/* A good check: its weights, order and position are what a later
 * divergence rolls back to. */
static void remember_good_check(trainer *t)
{
    memcpy(t->good_params, t->params, t->n_params * sizeof *t->params);
    memcpy(t->good_order, t->order, (size_t)t->plan.n_train * sizeof *t->order);
    t->good_at = settled(t->at, t->plan.iterations_per_epoch);
    t->good_is_check = 1;
}

/* After a divergence: the weights of the last good check (or of the start)
 * back in the net, and the message says which (finish_result puts the state
 * there too). */
static nnc_status roll_back(trainer *t)
{
    memcpy(t->params, t->good_params, t->n_params * sizeof *t->params);
    char kept[128];
    if (t->good_is_check) {
        const nnc_checkpoint *c = &t->r.history[t->r.history_count - 1];
        snprintf(kept, sizeof kept,
                 "the weights of the check at epoch %d (total iteration %ld)", c->epoch,
                 c->total_iteration);
    } else if (t->o->resume) {
        snprintf(kept, sizeof kept,
                 "the weights it resumed from (epoch %d, iteration %d of the epoch)",
                 t->good_at.epoch, t->good_at.iteration);
    } else {
        snprintf(kept, sizeof kept, "the initial weights");
    }
    char what[512];
    snprintf(what, sizeof what, "%s", nnc_last_error());
    return nnc_fail(NNC_ERR_DIVERGED, "%s; restored %s", what, kept);
}

/* Hands the result over (or frees it when result is NULL): the state where
 * the run stands or, rolled back, where the last good check stood; the
 * count of updates includes a diverging one. */
static void finish_result(trainer *t, int rolled_back, nnc_train_result *result)
{
    nnc_train_result *r = &t->r;
    const position *stand = rolled_back ? &t->good_at : &t->at;
    r->state.epoch = stand->epoch;
    r->state.iteration = stand->iteration;
    r->state.total_iteration = stand->total;
    r->state.rng = stand->rng;
    r->state.order = rolled_back ? t->good_order : t->order;
    free(rolled_back ? t->order : t->good_order);
    free(t->next_order);
    free(t->Xb), free(t->Yb), free(t->good_params);
    r->iterations = t->at.total;
    if (result)
        *result = *r;
    else
        nnc_train_result_free(r);
}

/* The textbook's loop: for each epoch a shuffled order, for each mini-batch
 * an update, at every checkpoint_iteration-th update a check and the stop
 * tests; a divergence rolls back to the last good check. */
nnc_status nnc_train(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o,
                     nnc_checkpoint_fn on_check, void *user, nnc_train_result *result)
{
    trainer t = {0};
    nnc_status s = check_arguments(net, data, o, result, &t.plan);
    if (s == NNC_OK)
        s = start_position(o, &t.plan, &t.at);
    if (s == NNC_OK)
        s = start_run(&t, net, data, o);
    if (s != NNC_OK)
        return s;
    int stop = 0;
    while (!stop && t.at.epoch < o->max_epoch) {
        t.r.epochs_run = t.at.epoch + 1;
        if (t.at.iteration == 0)
            next_epoch_order(&t);
        while (!stop && t.at.iteration < t.plan.iterations_per_epoch) {
            last_step last;
            s = take_steps(&t, &last);
            if (s != NNC_OK) { /* diverged, or stopped by on_step */
                stop = 1;
                break;
            }
            if (t.to_check == 0) {
                nnc_checkpoint c;
                s = run_check(&t, &last, &c);
                if (s != NNC_OK) {
                    stop = 1;
                    break;
                }
                t.r.history[t.r.history_count++] = c;
                if (on_check && on_check(&c, user)) {
                    s = nnc_fail(NNC_ERR_INTERRUPTED,
                                 "training stopped by the caller at epoch %d, total "
                                 "iteration %ld", c.epoch, c.total_iteration);
                    stop = 1;
                } else if (c.loss_valid <= o->eps) {
                    t.r.stopped_early = 1;
                    stop = 1;
                }
                remember_good_check(&t);
            }
            /* on_step for the last update, after its check (the updates
             * before it had theirs between the steps); a stop already
             * decided stands. */
            if (o->on_step && o->on_step(last.epoch, last.total, o->step_user) && !stop) {
                s = stopped_by_caller(&last);
                stop = 1;
            }
        }
        t.at = settled(t.at, t.plan.iterations_per_epoch);
    }
    const int diverged = s == NNC_ERR_DIVERGED;
    if (diverged)
        s = roll_back(&t);
    finish_result(&t, diverged, result);
    return s;
}
