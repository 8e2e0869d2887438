/* The textbook's training loop: epochs of shuffled mini-batches, a check
 * every `checkpoint` epochs, early stop on loss_valid <= eps. */
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

void nnc_train_result_free(nnc_train_result *result)
{
    if (result) {
        free(result->history);
        result->history = NULL;
        result->history_count = 0;
    }
}

static int all_finite(const nnc_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Copies rows idx[0..m) of X (·, n_in) and Y (·, n_out) into the batch buffers. */
static void gather_rows(nnc_real *Xb, nnc_real *Yb, const nnc_real *X, const nnc_real *Y,
                        const uint32_t *idx, int m, int n_in, int n_out)
{
    for (int r = 0; r < m; r++) {
        memcpy(Xb + (size_t)r * n_in, X + (size_t)idx[r] * n_in, (size_t)n_in * sizeof *X);
        memcpy(Yb + (size_t)r * n_out, Y + (size_t)idx[r] * n_out,
               (size_t)n_out * sizeof *Y);
    }
}

nnc_status nnc_train(nnc_net *net, const nnc_dataset *data, const nnc_train_options *o,
                     nnc_checkpoint_fn on_check, void *user, nnc_train_result *result)
{
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
    long total_iters = (long)o->max_epoch * ipe;
    size_t max_checks = (size_t)(total_iters / ck_iter) + 1;
    size_t n_params = nnc_net_parameter_count(net);

    /* Everything the loop needs, allocated once before it starts. */
    uint32_t *idx = malloc((size_t)n_train * sizeof *idx);
    nnc_real *Xb = malloc((size_t)bs * n_in * sizeof *Xb);
    nnc_real *Yb = malloc((size_t)bs * n_out * sizeof *Yb);
    nnc_real *good = malloc(n_params * sizeof *good);
    nnc_checkpoint *history = malloc(max_checks * sizeof *history);
    if (!idx || !Xb || !Yb || !good || !history) {
        free(idx), free(Xb), free(Yb), free(good), free(history);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_train: out of memory");
    }
    const nnc_real *X = nnc_dataset_x(data), *Y = nnc_dataset_y(data);
    nnc_real *params = nnc_net_parameters(net);
    memcpy(good, params, n_params * sizeof *good);
    for (int i = 0; i < n_train; i++)
        idx[i] = (uint32_t)(n_valid + i);
    nnc_rng rng;
    nnc_rng_seed(&rng, o->seed);

    nnc_train_result r = {0};
    r.iterations_per_epoch = ipe;
    r.checkpoint_iteration = ck_iter;
    r.n_train = n_train;
    r.n_valid = n_valid;
    int good_epoch = -1;
    s = NNC_OK;
    int stop = 0;
    for (int epoch = 0; epoch < o->max_epoch && !stop; epoch++) {
        r.epochs_run = epoch + 1;
        nnc_rng_shuffle(&rng, idx, (size_t)n_train);
        for (int it = 0; it < ipe && !stop; it++) {
            int start = it * bs, m = n_train - start < bs ? n_train - start : bs;
            gather_rows(Xb, Yb, X, Y, idx + start, m, n_in, n_out);
            nnc_net_forward(net, Xb, m);
            nnc_net_backward(net, Xb, Yb, m);
            nnc_net_sgd_update(net, o->eta);
            r.iterations++;
            long total = (long)epoch * ipe + it;
            if (o->on_step && o->on_step(epoch, total, o->step_user)) {
                s = nnc_fail(NNC_ERR_INTERRUPTED,
                             "training stopped by the caller at epoch %d, iteration %ld",
                             epoch, total);
                stop = 1;
                break;
            }
            if ((total + 1) % ck_iter != 0)
                continue;
            /* A check: train metrics on this (last) mini-batch with the
             * updated weights, validation metrics on the whole set. */
            nnc_checkpoint c = {.epoch = epoch, .total_iteration = total};
            nnc_metric_sums train_sums = {0};
            nnc_net_forward(net, Xb, m);
            nnc_metric_accumulate(nnc_net_task(net), nnc_net_output(net), Yb, m, n_out,
                                  &train_sums);
            c.loss_train = nnc_metric_loss(&train_sums);
            c.accuracy_train = nnc_metric_accuracy(nnc_net_task(net), &train_sums);
            nnc_net_evaluate(net, X, Y, n_valid, &c.loss_valid, &c.accuracy_valid);
            history[r.history_count++] = c;
            int caller_stops = on_check && on_check(&c, user);
            if (!isfinite(c.loss_train) || !isfinite(c.loss_valid) ||
                !all_finite(params, n_params)) {
                memcpy(params, good, n_params * sizeof *good);
                char kept[64] = "the initial weights";
                if (good_epoch >= 0)
                    snprintf(kept, sizeof kept, "the weights of the check at epoch %d",
                             good_epoch);
                s = nnc_fail(NNC_ERR_DIVERGED,
                             "training diverged at epoch %d, iteration %ld (loss_train=%g, "
                             "loss_valid=%g); restored %s",
                             epoch, total, c.loss_train, c.loss_valid, kept);
                stop = 1;
            } else if (caller_stops) {
                s = nnc_fail(NNC_ERR_INTERRUPTED,
                             "training stopped by the caller at epoch %d", epoch);
                stop = 1;
            } else if (c.loss_valid <= o->eps) {
                r.stopped_early = 1;
                stop = 1;
            }
            if (s == NNC_OK) {
                memcpy(good, params, n_params * sizeof *good);
                good_epoch = epoch;
            }
        }
    }
    free(idx), free(Xb), free(Yb), free(good);
    r.history = history;
    if (result)
        *result = r;
    else
        free(history);
    return s;
}
