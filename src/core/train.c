/* The textbook's training loop: epochs of shuffled mini-batches, a check
 * every `checkpoint` epochs, early stop on loss_valid <= eps.  A run can be
 * resumed exactly from the state another one stopped in, and every update
 * is checked for NaN/Inf so that a diverging run stops at once, with the
 * weights of its last good check. */
#include "internal.h"

#include <math.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nnc_train_options nnc_train_options_default(void)
{
    /* Zeroed whole, padding included, so that options and the states made
     * from them compare and hash by their bytes. */
    nnc_train_options o;
    memset(&o, 0, sizeof o);
    o.eta = 0.5;
    o.batch_size = 10;
    o.max_epoch = 10000;
    o.eps = 0.001;
    o.checkpoint = 50;
    o.seed = 1;
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

/* The generators a run derives from its seed besides the shuffle's (which
 * nnc_rng_seed(seed) gives, as it always has): each its own stream. */
enum { RNG_SPLIT = 1, RNG_DROPOUT = 2 };
static nnc_rng derived_rng(uint64_t seed, int purpose)
{
    nnc_rng r;
    nnc_rng_seed(&r, seed + 0x9e3779b97f4a7c15ULL * (uint64_t)purpose);
    return r;
}

/* The split's rows (n_valid, n_train of plan): the first tenth and the
 * rest, or both from one shuffle of all the rows (the book's Shuffle()
 * before GenerateValidationSet()). */
static nnc_status split_rows(int rows, const nnc_train_options *o, const nnc_train_plan *p,
                             uint32_t *valid, uint32_t *train)
{
    uint32_t *all = malloc((size_t)rows * sizeof *all);
    if (!all)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    for (int i = 0; i < rows; i++)
        all[i] = (uint32_t)i;
    if (o->split == NNC_SPLIT_SHUFFLED) {
        nnc_rng r = derived_rng(o->resume ? o->resume->options.seed : o->seed, RNG_SPLIT);
        nnc_rng_shuffle(&r, all, (size_t)rows);
    }
    memcpy(valid, all, (size_t)p->n_valid * sizeof *valid);
    memcpy(train, all + p->n_valid, (size_t)p->n_train * sizeof *train);
    free(all);
    return NNC_OK;
}

nnc_status nnc_train_split_rows(int rows, const nnc_train_options *o, uint32_t *valid,
                                uint32_t *train)
{
    nnc_train_plan p;
    nnc_status s = nnc_train_plan_for(rows, o, 0, &p);
    if (s != NNC_OK)
        return s;
    if ((unsigned)o->split > NNC_SPLIT_SHUFFLED)
        return nnc_fail(NNC_ERR_ARGUMENT, "unknown split %d", (int)o->split);
    if (!valid || !train)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_train_split_rows: NULL argument");
    return split_rows(rows, o, &p, valid, train);
}

/* The learning rate of an epoch under the options' schedule. */
static double epoch_eta(const nnc_train_options *o, int epoch)
{
    switch (o->lr_schedule) {
    case NNC_LR_STEP:
        return o->eta * pow(o->lr_factor, (double)(epoch / o->lr_every));
    case NNC_LR_COSINE:
        return o->eta * (1 + cos(M_PI * epoch / o->max_epoch)) / 2;
    default:
        return o->eta;
    }
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

/* A resume state comes from a file: it must fit this split and schedule:
 * its order a permutation of the split's training rows train (n_train of
 * rows).  seen: `rows` bytes of scratch. */
static nnc_status check_resume(const nnc_train_state *st, const uint32_t *train, int n_train,
                               int n_valid, int ipe, int first_split, unsigned char *seen)
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
    const uint32_t rows = (uint32_t)(n_train + n_valid);
    memset(seen, 0, rows);
    for (int i = 0; i < n_train; i++)
        seen[train[i]] = 1; /* a training row not yet in the order */
    for (int i = 0; i < n_train; i++) {
        uint32_t v = st->order[i];
        if (v >= rows || seen[v] == 0) {
            if (first_split)
                return nnc_fail(NNC_ERR_ARGUMENT,
                                "resume state: order[%d] = %lu is not a training row (%d to %d)",
                                i, (unsigned long)v, n_valid, n_valid + n_train - 1);
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "resume state: order[%d] = %lu is not a training row of this "
                            "split (the seed's shuffled split)", i, (unsigned long)v);
        }
        if (seen[v] == 2)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "resume state: row %lu appears twice in the sample order "
                            "(again at order[%d])",
                            (unsigned long)v, i);
        seen[v] = 2;
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
    nnc_real *good_opt_state; /* the optimizer's state there, n_opt_state values */
    size_t n_opt_state;
    long good_opt_steps;
    nnc_rng good_dropout_rng;
    nnc_real *good_stats; /* batch norm's running statistics there (n_stats) */
    size_t n_stats;
    nnc_real *Xb, *Yb; /* a check's mini-batch, gathered */
    /* The split: its rows, and the validation rows gathered when they are
     * not the first n_valid (Xv, Yv point into the data set then). */
    uint32_t *train_rows, *valid_rows;
    const nnc_real *Xv, *Yv;
    nnc_real *valid_copy;
    /* Early stopping and StopDiff as they stand (nnc_train_state's). */
    nnc_real *best_params;
    double best_loss, last_loss;
    int stale_checks, small_diffs;
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

/* The options of the book's framework (split, shuffle, schedule,
 * regularisation, stopping): each known and in range. */
static nnc_status check_framework_options(const nnc_train_options *o)
{
    if ((unsigned)o->split > NNC_SPLIT_SHUFFLED)
        return nnc_fail(NNC_ERR_ARGUMENT, "unknown split %d", (int)o->split);
    if ((unsigned)o->shuffle > NNC_SHUFFLE_NONE)
        return nnc_fail(NNC_ERR_ARGUMENT, "unknown shuffle %d", (int)o->shuffle);
    if ((unsigned)o->lr_schedule > NNC_LR_COSINE)
        return nnc_fail(NNC_ERR_ARGUMENT, "unknown learning-rate schedule %d",
                        (int)o->lr_schedule);
    if (o->lr_schedule == NNC_LR_STEP && o->lr_every < 1)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "the step schedule needs every >= 1 epochs (got %d)", o->lr_every);
    if (o->lr_schedule == NNC_LR_STEP && !(o->lr_factor > 0 && o->lr_factor <= 1))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "the step schedule's factor must be in (0, 1] (got %g)", o->lr_factor);
    if (!(o->l1 >= 0) || !(o->l2 >= 0) || !isfinite(o->l1) || !isfinite(o->l2))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "l1 and l2 must be finite and >= 0 (got l1 %g, l2 %g)", o->l1, o->l2);
    if (o->patience < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "patience must be >= 0 checks (got %d)",
                        o->patience);
    if (!(o->stop_diff >= 0) || !isfinite(o->stop_diff))
        return nnc_fail(NNC_ERR_ARGUMENT, "stop_diff must be finite and >= 0 (got %g)",
                        o->stop_diff);
    return NNC_OK;
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
    nnc_status bad = check_framework_options(o);
    if (bad != NNC_OK)
        return bad;
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
static nnc_status start_position(trainer *t, const nnc_train_options *o)
{
    const nnc_train_plan *plan = &t->plan;
    position *at = &t->at;
    const nnc_train_state *resume = o->resume;
    *at = (position){0, 0, 0, {0, 0}};
    const int rows = plan->n_train + plan->n_valid;
    t->train_rows = malloc((size_t)plan->n_train * sizeof *t->train_rows);
    t->valid_rows = malloc((size_t)(plan->n_valid ? plan->n_valid : 1) * sizeof *t->valid_rows);
    if (!t->train_rows || !t->valid_rows)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    nnc_status s = split_rows(rows, o, plan, t->valid_rows, t->train_rows);
    if (s != NNC_OK)
        return s;
    if (!resume) {
        nnc_rng_seed(&at->rng, o->seed);
        return NNC_OK;
    }
    unsigned char *seen = malloc((size_t)rows);
    if (!seen)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    s = check_resume(resume, t->train_rows, plan->n_train, plan->n_valid,
                     plan->iterations_per_epoch, o->split == NNC_SPLIT_FIRST, seen);
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
        free(t->good_params), free(t->r.history), free(t->good_opt_state),
        free(t->best_params), free(t->good_stats);
    t->order = t->next_order = t->good_order = NULL;
    t->Xb = t->Yb = t->good_params = t->good_opt_state = t->best_params = t->good_stats = NULL;
    t->r.history = NULL;
}

/* What the trainer holds outside the result, freed however the run ends. */
static void free_split(trainer *t)
{
    free(t->train_rows), free(t->valid_rows), free(t->valid_copy);
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
    (void)nnc_net_optimizer_state(t->net, &t->n_opt_state);
    t->good_opt_state = malloc((t->n_opt_state ? t->n_opt_state : 1) * sizeof(nnc_real));
    for (int l = 0; l < nnc_net_layers(t->net); l++)
        if (nnc_net_running_mean(t->net, l))
            t->n_stats += 2 * (size_t)nnc_net_layer(t->net, l).units;
    t->good_stats = malloc((t->n_stats ? t->n_stats : 1) * sizeof(nnc_real));
    if (t->o->patience > 0)
        t->best_params = malloc(t->n_params * sizeof *t->best_params);
    if (!t->order || !t->next_order || !t->good_order || !t->Xb || !t->Yb ||
        !t->good_params || !t->r.history || !t->good_opt_state || !t->good_stats ||
        (t->o->patience > 0 && !t->best_params)) {
        free_buffers(t);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    }
    return NNC_OK;
}

/* The validation rows where run_check reads them: the first n_valid rows
 * of the data set in place, or the shuffled split's gathered once. */
static nnc_status gather_validation(trainer *t)
{
    const int nv = t->plan.n_valid;
    t->Xv = t->X;
    t->Yv = t->Y;
    if (t->o->split == NNC_SPLIT_FIRST || nv == 0)
        return NNC_OK;
    const size_t width = (size_t)t->n_in + (size_t)t->n_out;
    t->valid_copy = malloc((size_t)nv * width * sizeof *t->valid_copy);
    if (!t->valid_copy)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    nnc_real *Xv = t->valid_copy, *Yv = t->valid_copy + (size_t)nv * (size_t)t->n_in;
    nnc_gather_rows(Xv, Yv, t->X, t->Y, t->valid_rows, nv, t->n_in, t->n_out);
    t->Xv = Xv;
    t->Yv = Yv;
    return NNC_OK;
}

/* Early stopping's and StopDiff's bookkeeping at the start: none yet (NaN),
 * or as the resumed state left it. */
static void start_stopping_rules(trainer *t, const nnc_train_options *o)
{
    const nnc_train_state *st = o->resume;
    t->best_loss = t->last_loss = NAN;
    if (!st)
        return;
    t->last_loss = st->last_loss;
    t->small_diffs = st->small_diffs;
    if (t->best_params && st->best_params && st->n_best == t->n_params) {
        memcpy(t->best_params, st->best_params, t->n_params * sizeof *t->best_params);
        t->best_loss = st->best_loss;
        t->stale_checks = st->stale_checks;
    }
}

/* Copies batch norm's running statistics out of the net (to 1) or back
 * into it (to 0), layer by layer, mean then variance. */
static void copy_running_stats(nnc_net *net, nnc_real *buf, int out)
{
    size_t k = 0;
    for (int l = 0; l < nnc_net_layers(net); l++) {
        nnc_real *stats[2] = {nnc_net_running_mean(net, l), nnc_net_running_var(net, l)};
        const size_t units = stats[0] ? (size_t)nnc_net_layer(net, l).units : 0;
        for (int j = 0; units && j < 2; j++, k += units)
            memcpy(out ? buf + k : stats[j], out ? stats[j] : buf + k, units * sizeof *buf);
    }
}

/* What a divergence rolls back to: the weights, the order, the optimizer's
 * state, batch norm's running statistics and the dropout generator as
 * they stand now. */
static void remember_good_point(trainer *t)
{
    copy_running_stats(t->net, t->good_stats, 1);
    memcpy(t->good_params, t->params, t->n_params * sizeof *t->params);
    memcpy(t->good_order, t->order, (size_t)t->plan.n_train * sizeof *t->order);
    size_t n;
    const nnc_real *state = nnc_net_optimizer_state(t->net, &n);
    if (n)
        memcpy(t->good_opt_state, state, n * sizeof *state);
    t->good_opt_steps = nnc_net_optimizer_steps(t->net);
    t->good_dropout_rng = *nnc_net_dropout_rng(t->net);
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
    if (s == NNC_OK)
        s = gather_validation(t);
    if (s != NNC_OK)
        return s;
    const size_t order_bytes = (size_t)p->n_train * sizeof *t->order;
    memcpy(t->order, o->resume ? o->resume->order : t->train_rows, order_bytes);
    start_stopping_rules(t, o);
    *nnc_net_dropout_rng(net) =
        o->resume ? o->resume->dropout_rng : derived_rng(o->seed, RNG_DROPOUT);
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
    remember_good_point(t);
    t->good_at = t->at;
    /* A check follows update k when (k + 1) % checkpoint_iteration == 0:
     * counted down instead of divided every step. */
    t->to_check = p->checkpoint_iteration - t->at.total % p->checkpoint_iteration;
    t->ahead = t->at.rng;
    t->ahead_epoch = -1;
    t->picks_per_update = ((size_t)p->n_train + (size_t)p->iterations_per_epoch - 1) /
                          (size_t)p->iterations_per_epoch;
    if (o->shuffle != NNC_SHUFFLE_EPOCH)
        t->picks_per_update = 0; /* no epoch after the first draws a shuffle */
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
    if (t->o->shuffle != NNC_SHUFFLE_EPOCH) { /* once: before the first epoch only */
        if (t->o->shuffle == NNC_SHUFFLE_ONCE && t->at.epoch == 0)
            nnc_rng_shuffle(&t->at.rng, t->order, n);
        return;
    }
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
                                          epoch_eta(t->o, t->at.epoch), after_step, &b, &bad);
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
    int l = overflowing_layer(t->net, t->Xb, last->rows, t->Xv, t->plan.n_valid);
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
    nnc_net_set_training(t->net, 0); /* dropout and batch norm as at inference */
    nnc_metric_sums train_sums = {0};
    const nnc_task task = nnc_net_task(t->net);
    nnc_gather_rows(t->Xb, t->Yb, t->X, t->Y, t->order + last->iteration * t->plan.batch,
                    last->rows, t->n_in, t->n_out);
    nnc_net_forward(t->net, t->Xb, last->rows);
    nnc_metric_accumulate(task, nnc_net_output(t->net), t->Yb, last->rows, t->n_out,
                          &train_sums);
    c->loss_train = nnc_metric_loss(&train_sums);
    c->accuracy_train = nnc_metric_accuracy(task, &train_sums);
    nnc_net_evaluate(t->net, t->Xv, t->Yv, t->plan.n_valid, &c->loss_valid,
                     &c->accuracy_valid);
    if (t->o->l1 > 0 || t->o->l2 > 0) { /* the book's J: the loss and the cost */
        c->loss_train += nnc_net_regularization_cost(t->net, last->rows);
        c->loss_valid += nnc_net_regularization_cost(t->net, t->plan.n_valid);
    }
    nnc_net_set_training(t->net, 1);
    if (!isfinite(c->loss_train) || !isfinite(c->loss_valid))
        return diverged_at_check(t, last, c);
    return NNC_OK;
}

/* A good check: its weights, order and position are what a later
 * divergence rolls back to. */
static void remember_good_check(trainer *t)
{
    remember_good_point(t);
    t->good_at = settled(t->at, t->plan.iterations_per_epoch);
    t->good_is_check = 1;
}

/* After a divergence: the weights of the last good check (or of the start)
 * back in the net, and the message says which (finish_result puts the state
 * there too). */
static nnc_status roll_back(trainer *t)
{
    memcpy(t->params, t->good_params, t->n_params * sizeof *t->params);
    size_t n;
    nnc_real *state = nnc_net_optimizer_state(t->net, &n);
    if (n)
        memcpy(state, t->good_opt_state, n * sizeof *state);
    nnc_net_set_optimizer_steps(t->net, t->good_opt_steps);
    *nnc_net_dropout_rng(t->net) = t->good_dropout_rng;
    copy_running_stats(t->net, t->good_stats, 0);
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
    r->state.dropout_rng = *nnc_net_dropout_rng(t->net);
    r->state.best_loss = t->best_loss;
    r->state.stale_checks = t->stale_checks;
    r->state.best_params = t->best_params;
    r->state.n_best = t->best_params ? t->n_params : 0;
    r->state.last_loss = t->last_loss;
    r->state.small_diffs = t->small_diffs;
    free(rolled_back ? t->order : t->good_order);
    free(t->next_order);
    free(t->Xb), free(t->Yb), free(t->good_params), free(t->good_opt_state), free(t->good_stats);
    r->iterations = t->at.total;
    if (result)
        *result = *r;
    else
        nnc_train_result_free(r);
}

/* The book's early stopping and StopDiff after a good check c: 2 when the
 * patience has run out (the best check's weights are back in the net), 3
 * when loss_valid has changed by less than stop_diff at more than 3
 * checks in a row, else 0. */
static int stopping_rules(trainer *t, const nnc_checkpoint *c)
{
    const nnc_train_options *o = t->o;
    if (o->stop_diff > 0) {
        const int small = !isnan(t->last_loss) && fabs(c->loss_valid - t->last_loss) < o->stop_diff;
        t->small_diffs = small ? t->small_diffs + 1 : 0;
        t->last_loss = c->loss_valid;
        if (t->small_diffs > 3)
            return 3;
    }
    if (o->patience > 0) {
        if (isnan(t->best_loss) || c->loss_valid < t->best_loss) {
            t->best_loss = c->loss_valid;
            t->stale_checks = 0;
            memcpy(t->best_params, t->params, t->n_params * sizeof *t->params);
        } else if (++t->stale_checks >= o->patience) {
            memcpy(t->params, t->best_params, t->n_params * sizeof *t->params);
            return 2;
        }
    }
    return 0;
}

/* The textbook's loop: for each epoch a shuffled order, for each mini-batch
 * an update, at every checkpoint_iteration-th update a check and the stop
 * tests; a divergence rolls back to the last good check. */
nnc_status nnc_train(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o,
                     nnc_checkpoint_fn on_check, void *user, nnc_train_result *result)
{
    trainer t;
    memset(&t, 0, sizeof t); /* the result's padding too: it is handed over whole */
    nnc_status s = check_arguments(net, data, o, result, &t.plan);
    if (s != NNC_OK)
        return s;
    double l1, l2;
    nnc_net_regularization(net, &l1, &l2);
    const int training = nnc_net_training(net);
    s = start_position(&t, o);
    if (s == NNC_OK)
        s = start_run(&t, net, data, o);
    if (s == NNC_OK)
        s = nnc_net_set_regularization(net, o->l1, o->l2);
    if (s != NNC_OK) {
        free_split(&t);
        free_buffers(&t);
        return s;
    }
    nnc_net_set_training(net, 1);
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
                } else if ((t.r.stopped_early = stopping_rules(&t, &c)) != 0) {
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
    free_split(&t);
    nnc_net_set_training(net, training);
    (void)nnc_net_set_regularization(net, l1, l2);
    return s;
}
