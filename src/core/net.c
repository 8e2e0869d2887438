/* A network of dense layers.  Parameters live in one block (layer by layer:
 * W then B), gradients in a block of the same layout, and the per-layer
 * work buffers (Z, A, dZ) are sized once for max_batch rows. */
#include "net_private.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A layer's kind and its rules: dropout and batch norm keep their input's
 * width and follow a dense layer (the first reads the batch rows in place);
 * the output layer is dense. */
static nnc_status check_kind(const nnc_layer_spec *s, int l, int n_layers, int n_in)
{
    if ((unsigned)s->kind >= NNC_LAYER_KIND_COUNT)
        return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: unknown kind %d", l + 1, (int)s->kind);
    if (s->kind == NNC_LAYER_DENSE)
        return NNC_OK;
    const char *name = nnc_layer_kind_name(s->kind);
    if (l == 0 || l == n_layers - 1)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "layer %d: a %s layer cannot be the %s layer (it goes between dense "
                        "layers)", l + 1, name, l == 0 ? "first" : "output");
    if (s->units != n_in)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "layer %d: a %s layer keeps its input's width, %d, but has %d units",
                        l + 1, name, n_in, s->units);
    if (s->kind == NNC_LAYER_DROPOUT &&
        (!(s->rate >= 0 && s->rate < 1) || s->activation != NNC_ACT_IDENTITY))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "layer %d: dropout's rate must be in [0, 1) (got %g) and its "
                        "activation identity", l + 1, s->rate);
    return NNC_OK;
}

static int checked_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

nnc_status nnc_net_create(nnc_net **out, nnc_task task, int n_inputs, int n_layers,
                          const nnc_layer_spec *specs, int max_batch)
{
    if (!out || !specs)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_create: NULL argument");
    if ((unsigned)task > NNC_TASK_MULTICLASS)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_create: invalid task %d", (int)task);
    if (n_inputs <= 0 || n_layers <= 0 || max_batch <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_create: inputs (%d), layers (%d) and max_batch (%d) "
                        "must be positive", n_inputs, n_layers, max_batch);
    if (n_layers > NNC_MAX_LAYERS)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_create: %d layers, more than the %d a network may have",
                        n_layers, NNC_MAX_LAYERS);
    size_t n_params = 0, n_work = 0, widest = (size_t)n_inputs, wt = 0;
    int n_in = n_inputs;
    size_t n_stats = 0; /* batch norm's running statistics and batch values */
    for (int l = 0; l < n_layers; l++) {
        const nnc_layer_spec *s = &specs[l];
        if (s->units <= 0)
            return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: units must be positive (got %d)",
                            l + 1, s->units);
        nnc_status bad = check_kind(s, l, n_layers, n_in);
        if (bad != NNC_OK)
            return bad;
        if (!nnc_activation_get(s->activation))
            return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: invalid activation %d", l + 1,
                            (int)s->activation);
        if (l == n_layers - 1 && s->activation != NNC_ACT_IDENTITY)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "layer %d is the output layer: its function comes from the "
                            "task (%s); give it the identity activation",
                            l + 1, nnc_task_name(task));
        if (l == n_layers - 1 && task == NNC_TASK_MULTICLASS && s->units < 2)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "a multiclass (softmax) output needs at least 2 units, got %d",
                            s->units);
        size_t w, z;
        const int dense = s->kind == NNC_LAYER_DENSE;
        if (!checked_mul(dense ? (size_t)n_in + 1 : 2, (size_t)s->units, &w) ||
            !checked_mul((size_t)max_batch, (size_t)s->units, &z) || z > SIZE_MAX / 4 ||
            n_params > SIZE_MAX / 2 - w || n_work > SIZE_MAX / 8 - 3 * z)
            return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: network too large", l + 1);
        if (s->kind == NNC_LAYER_DROPOUT)
            w = 0;
        n_params += w;
        n_work += 3 * z;
        if (s->kind == NNC_LAYER_BATCHNORM)
            n_stats += z + 4 * (size_t)s->units; /* x̂, then μ, 1/σ, running μ and σ² */
        if (dense && l > 0 && w - (size_t)s->units > wt)
            wt = w - (size_t)s->units;
        if ((size_t)s->units > widest)
            widest = (size_t)s->units;
        n_in = s->units;
    }
    size_t scratch, yb = (size_t)max_batch * (size_t)specs[n_layers - 1].units;
    if (!checked_mul(widest, (size_t)max_batch, &scratch) || scratch > SIZE_MAX / 4 - wt ||
        n_work > SIZE_MAX / sizeof(nnc_real) - (scratch + wt + yb) ||
        n_stats > SIZE_MAX / sizeof(nnc_real) / 2)
        return nnc_fail(NNC_ERR_ARGUMENT, "network too large");

    nnc_net *net = calloc(1, sizeof *net);
    if (net) {
        net->layers = calloc((size_t)n_layers, sizeof *net->layers);
        net->params = calloc(n_params, sizeof *net->params);
        net->grads = calloc(n_params, sizeof *net->grads);
        net->work = calloc(n_work + scratch + wt + yb, sizeof *net->work);
        net->stats = calloc(n_stats ? n_stats : 1, sizeof *net->stats);
    }
    if (!net || !net->layers || !net->params || !net->grads || !net->work || !net->stats) {
        nnc_net_free(net);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_net_create: out of memory");
    }
    net->task = task;
    net->n_inputs = n_inputs;
    net->n_layers = n_layers;
    net->max_batch = max_batch;
    net->n_params = n_params;
    net->ex.path = nnc_kernel_best_path();
    net->optimizer = nnc_optimizer_sgd();
    net->forced_plan = -1;
    net->all_dense = 1;
    for (int l = 0; l < n_layers; l++)
        net->all_dense &= specs[l].kind == NNC_LAYER_DENSE;
    size_t p = 0, w = 0, st = 0;
    n_in = n_inputs;
    nnc_rng_seed(&net->dropout_rng, 0);
    for (int l = 0; l < n_layers; l++) {
        layer *L = &net->layers[l];
        static const layer_kind *const kinds[] = {&nnc_dense_layer, &nnc_dropout_layer,
                                                  &nnc_batchnorm_layer};
        L->kind = kinds[specs[l].kind];
        L->spec = specs[l];
        L->n_in = n_in;
        L->n_out = specs[l].units;
        L->act = l < n_layers - 1 ? nnc_activation_get(specs[l].activation) : NULL;
        L->training = &net->training;
        L->rng = &net->dropout_rng;
        const size_t units = (size_t)L->n_out;
        L->n_w = specs[l].kind == NNC_LAYER_DENSE       ? (size_t)L->n_in * units
                 : specs[l].kind == NNC_LAYER_BATCHNORM ? units
                                                        : 0;
        L->n_b = specs[l].kind == NNC_LAYER_DROPOUT ? 0 : units;
        L->W = net->params + p;
        L->dW = net->grads + p;
        p += L->n_w;
        L->B = net->params + p;
        L->dB = net->grads + p;
        p += L->n_b;
        if (specs[l].kind == NNC_LAYER_BATCHNORM) {
            L->xhat = net->stats + st;
            st += (size_t)max_batch * units;
            L->mean = net->stats + st;
            L->inv_std = L->mean + units;
            L->running_mean = L->inv_std + units;
            L->running_var = L->running_mean + units;
            st += 4 * units;
            for (size_t j = 0; j < units; j++) {
                L->W[j] = 1; /* γ = 1, β = 0 (calloc): x̂ itself at the start */
                L->running_var[j] = 1;
            }
        }
        size_t z = (size_t)max_batch * L->n_out;
        L->Z = net->work + w;
        L->A = L->Z + z;
        L->dZ = L->A + z;
        w += 3 * z;
        n_in = L->n_out;
    }
    net->dA = net->work + w;
    net->Wt = net->dA + scratch;
    net->Yb = net->Wt + wt;
    *out = net;
    return NNC_OK;
}

void nnc_net_free(nnc_net *net)
{
    if (!net)
        return;
    nnc_pool_free(net->ex.pool);
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net->work);
    free(net->Xb);
    free(net->opt_state);
    free(net->stats);
    free(net);
}

int nnc_net_kernel_path(const nnc_net *net) { return net->ex.path; }
const char *nnc_net_kernel_name(const nnc_net *net)
{
    return net->ex.blas ? "openblas" : nnc_kernel_path_name(net->ex.path);
}

/* The kernels named `name`: a built-in path, or OpenBLAS (blas) for the
 * products with the best built-in path for the rest; 0 if no such name. */
static int kernels_named(const char *name, int *path, int *blas)
{
    *blas = !strcmp(name, "openblas");
    if (*blas || !strcmp(name, "auto")) {
        *path = nnc_kernel_best_path();
        return 1;
    }
    for (*path = 0; *path < NNC_PATH_COUNT; ++*path)
        if (!strcmp(name, nnc_kernel_path_name(*path)))
            return 1;
    return 0;
}

/* 1 if this build has the OpenBLAS backend. */
static int have_openblas(void)
{
#ifdef NNC_HAVE_OPENBLAS
    return 1;
#else
    return 0;
#endif
}

int nnc_kernels_available(const char *name)
{
    int path, blas;
    return name && kernels_named(name, &path, &blas) && (!blas || have_openblas()) &&
           nnc_kernel_path_available(path);
}

nnc_status nnc_net_set_kernels(nnc_net *net, const char *name)
{
    int path, blas;
    if (!net || !name)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_kernels: NULL %s",
                        net ? "name" : "network");
    if (!kernels_named(name, &path, &blas))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_set_kernels: no kernels named \"%s\" (auto, avx512, avx2, "
                        "portable, openblas)", name);
    if (blas && !have_openblas())
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_set_kernels: this nnc was built without OpenBLAS (install "
                        "libopenblas-dev and rebuild; CMake option NNC_OPENBLAS)");
    if (!nnc_kernel_path_available(path))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_kernels: this CPU cannot run the %s kernels",
                        name);
    if (blas && !net->Xb) {
        net->Xb = malloc((size_t)net->max_batch * (size_t)net->n_inputs * sizeof *net->Xb);
        if (!net->Xb)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_net_set_kernels: out of memory");
    }
    net->ex.path = path;
    net->ex.blas = blas;
    return NNC_OK;
}

int nnc_net_set_kernel_path(nnc_net *net, int path)
{
    if (!nnc_kernel_path_available(path))
        return 0;
    net->ex.path = path;
    net->ex.blas = 0;
    return 1;
}

nnc_status nnc_net_set_threads(nnc_net *net, int n_threads)
{
    if (!net)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_threads: NULL network");
    if (n_threads < 1 || n_threads > NNC_MAX_THREADS)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_set_threads: %d threads; give 1 (no pool) to %d",
                        n_threads, NNC_MAX_THREADS);
    if (n_threads == nnc_net_threads(net))
        return NNC_OK;
    nnc_pool *pool = NULL;
    if (n_threads > 1) {
        nnc_status s = nnc_pool_create(&pool, n_threads);
        if (s != NNC_OK)
            return s; /* the net keeps its threads */
    }
    nnc_pool_free(net->ex.pool);
    net->ex.pool = pool;
    return NNC_OK;
}

int nnc_net_threads(const nnc_net *net) { return nnc_pool_threads(net->ex.pool); }

nnc_task nnc_net_task(const nnc_net *net) { return net->task; }
int nnc_net_layers(const nnc_net *net) { return net->n_layers; }
int nnc_net_inputs(const nnc_net *net) { return net->n_inputs; }
int nnc_net_outputs(const nnc_net *net) { return net->layers[net->n_layers - 1].n_out; }
int nnc_net_max_batch(const nnc_net *net) { return net->max_batch; }
size_t nnc_net_parameter_count(const nnc_net *net) { return net->n_params; }
nnc_real *nnc_net_parameters(nnc_net *net) { return net->params; }

nnc_layer_spec nnc_net_layer(const nnc_net *net, int l)
{
    if (l < 0 || l >= net->n_layers) {
        nnc_layer_spec none = {.units = 0};
        return none;
    }
    return net->layers[l].spec;
}

static layer *layer_at(const nnc_net *net, int l)
{
    return net && l >= 0 && l < net->n_layers ? &net->layers[l] : NULL;
}

nnc_real *nnc_net_weights(nnc_net *net, int l)
{
    layer *L = layer_at(net, l);
    return L ? L->W : NULL;
}

nnc_real *nnc_net_bias(nnc_net *net, int l)
{
    layer *L = layer_at(net, l);
    return L ? L->B : NULL;
}

const nnc_real *nnc_net_weight_grad(const nnc_net *net, int l)
{
    layer *L = layer_at(net, l);
    return L ? L->dW : NULL;
}

const nnc_real *nnc_net_bias_grad(const nnc_net *net, int l)
{
    layer *L = layer_at(net, l);
    return L ? L->dB : NULL;
}

static nnc_status check_rows(const nnc_net *net, const void *X, int m, const char *fn)
{
    if (!X)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: NULL input", fn);
    if (m <= 0 || m > net->max_batch)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: %d rows; this network takes 1 to %d at once",
                        fn, m, net->max_batch);
    return NNC_OK;
}

nnc_status nnc_net_forward(nnc_net *net, const nnc_real *X, int m)
{
    nnc_status s = check_rows(net, X, m, "nnc_net_forward");
    if (s != NNC_OK)
        return s;
    nnc_forward_pass(net, net->ex, X, NULL, m);
    net->forward_rows = m;
    return NNC_OK;
}

const nnc_real *nnc_net_output(const nnc_net *net)
{
    return net->layers[net->n_layers - 1].A;
}

nnc_status nnc_net_backward(nnc_net *net, const nnc_real *X, const nnc_real *Y, int m)
{
    nnc_status s = check_rows(net, X, m, "nnc_net_backward");
    if (s != NNC_OK)
        return s;
    if (!Y)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_backward: NULL targets");
    if (m != net->forward_rows)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_net_backward: %d rows, but the last forward pass had %d", m,
                        net->forward_rows);
    nnc_backward_pass(net, net->ex, X, NULL, Y, m, (nnc_descent){0, 0});
    nnc_net_add_regularization_gradient(net, m);
    return NNC_OK;
}

/* nnc_net_train_batches, its errors naming fn (the public call made). */
static nnc_status train_batches(nnc_net *net, const nnc_dataset *data, const uint32_t *rows,
                                int m, int count, double eta, const char *fn)
{
    if (!net || !data || !rows)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: NULL argument", fn);
    nnc_status s = check_rows(net, rows, m, fn);
    if (s != NNC_OK)
        return s;
    if (count < 0 || (count > 0 && (size_t)m > SIZE_MAX / sizeof *rows / (size_t)count))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: %d batches of %d rows", fn, count, m);
    if (nnc_dataset_inputs(data) != net->n_inputs ||
        nnc_dataset_outputs(data) != nnc_net_outputs(net))
        return nnc_fail(NNC_ERR_SHAPE,
                        "%s: the data set has %d inputs and %d outputs, the network %d "
                        "and %d", fn, nnc_dataset_inputs(data),
                        nnc_dataset_outputs(data), net->n_inputs, nnc_net_outputs(net));
    const uint32_t n = (uint32_t)nnc_dataset_rows(data);
    const size_t total = (size_t)m * (size_t)count;
    for (size_t r = 0; r < total; r++)
        if (rows[r] >= n)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "%s: row number %u (at %zu) is past the data set's %u rows", fn,
                            (unsigned)rows[r], r, (unsigned)n);
    if (count == 0)
        return NNC_OK;
    int bad;
    const int taken = nnc_net_train_steps(net, nnc_dataset_x(data), nnc_dataset_y(data), rows,
                                          m, count, eta, NULL, NULL, &bad);
    if (bad >= 0)
        return nnc_fail(NNC_ERR_DIVERGED, "%s: layer %d's %s became NaN/Inf at batch %d", fn,
                        bad / 2 + 1, bad % 2 ? "bias" : "weights", taken - 1);
    return NNC_OK;
}

nnc_status nnc_net_train_batches(nnc_net *net, const nnc_dataset *data, const uint32_t *rows,
                                 int m, int count, double eta)
{
    return train_batches(net, data, rows, m, count, eta, "nnc_net_train_batches");
}

nnc_status nnc_net_train_batch(nnc_net *net, const nnc_dataset *data, const uint32_t *rows,
                               int m, double eta)
{
    return train_batches(net, data, rows, m, 1, eta, "nnc_net_train_batch");
}

void nnc_net_sgd_update(nnc_net *net, double eta)
{
    /* The checked update's pass (the same p − step·g), its verdict unused. */
    (void)nnc_net_optimizer_update(net, nnc_optimizer_sgd(), eta);
}

int nnc_nonfinite_parameter(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        if (!nnc_all_finite(L->W, L->n_w))
            return 2 * l;
        if (!nnc_all_finite(L->B, L->n_b))
            return 2 * l + 1;
    }
    return 0; /* not reached: the block holds exactly the layers' values */
}

int nnc_net_sgd_update_checked(nnc_net *net, double eta)
{
    /* One pass over the whole block, as the plain update; only when it
     * finds a NaN/Inf are the layers searched for the first one. */
    return nnc_net_optimizer_update(net, nnc_optimizer_sgd(), eta) ? -1
                                                                   : nnc_nonfinite_parameter(net);
}

int nnc_net_nonfinite_layer(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        size_t n = (size_t)net->forward_rows * L->n_out;
        if (!nnc_all_finite(L->Z, n) || !nnc_all_finite(L->A, n))
            return l;
    }
    return -1;
}

nnc_status nnc_net_predict(nnc_net *net, const nnc_real *X, int m, nnc_real *out)
{
    if (!net || !X || !out || m < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_predict: invalid argument");
    int n_out = nnc_net_outputs(net);
    for (int start = 0; start < m; start += net->max_batch) {
        int rows = m - start < net->max_batch ? m - start : net->max_batch;
        nnc_status s = nnc_net_forward(net, X + (size_t)start * net->n_inputs, rows);
        if (s != NNC_OK)
            return s;
        memcpy(out + (size_t)start * n_out, nnc_net_output(net),
               (size_t)rows * n_out * sizeof *out);
    }
    return NNC_OK;
}

nnc_status nnc_net_evaluate(nnc_net *net, const nnc_real *X, const nnc_real *Y, int m,
                            double *loss, double *accuracy)
{
    if (!net || !X || !Y || m <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_evaluate: need at least one row");
    int n_out = nnc_net_outputs(net);
    nnc_metric_sums sums = {0};
    for (int start = 0; start < m; start += net->max_batch) {
        int rows = m - start < net->max_batch ? m - start : net->max_batch;
        nnc_status s = nnc_net_forward(net, X + (size_t)start * net->n_inputs, rows);
        if (s != NNC_OK)
            return s;
        nnc_metric_accumulate(net->task, nnc_net_output(net), Y + (size_t)start * n_out,
                              rows, n_out, &sums);
    }
    if (loss)
        *loss = nnc_metric_loss(&sums);
    if (accuracy)
        *accuracy = nnc_metric_accuracy(net->task, &sums);
    return NNC_OK;
}

/* ---- Layer kinds, training mode, regularisation ------------------------ */

const char *nnc_layer_kind_name(nnc_layer_kind kind)
{
    static const char *const names[] = {"dense", "dropout", "batchnorm"};
    return (unsigned)kind < NNC_LAYER_KIND_COUNT ? names[kind] : "unknown";
}

nnc_status nnc_layer_kind_from_name(const char *name, nnc_layer_kind *out)
{
    for (int k = 0; name && k < NNC_LAYER_KIND_COUNT; k++)
        if (!strcmp(name, nnc_layer_kind_name((nnc_layer_kind)k))) {
            if (out)
                *out = (nnc_layer_kind)k;
            return NNC_OK;
        }
    return nnc_fail(NNC_ERR_ARGUMENT,
                    "unknown layer kind \"%s\" (known: dense, dropout, batchnorm)",
                    name ? name : "(null)");
}

void nnc_net_set_training(nnc_net *net, int training) { net->training = training != 0; }
int nnc_net_training(const nnc_net *net) { return net->training; }
nnc_rng *nnc_net_dropout_rng(nnc_net *net) { return &net->dropout_rng; }

void nnc_net_layer_sizes(const nnc_net *net, int l, size_t *n_weights, size_t *n_bias)
{
    const int ok = net && l >= 0 && l < net->n_layers;
    *n_weights = ok ? net->layers[l].n_w : 0;
    *n_bias = ok ? net->layers[l].n_b : 0;
}

nnc_real *nnc_net_running_mean(nnc_net *net, int index)
{
    return net && index >= 0 && index < net->n_layers ? net->layers[index].running_mean : NULL;
}

nnc_real *nnc_net_running_var(nnc_net *net, int index)
{
    return net && index >= 0 && index < net->n_layers ? net->layers[index].running_var : NULL;
}

nnc_status nnc_net_set_regularization(nnc_net *net, double l1, double l2)
{
    if (!net)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_regularization: NULL net");
    if (!(l1 >= 0) || !(l2 >= 0) || !isfinite(l1) || !isfinite(l2))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "regularisation must be finite and >= 0 (got l1 %g, l2 %g)", l1, l2);
    net->l1 = l1;
    net->l2 = l2;
    return NNC_OK;
}

void nnc_net_regularization(const nnc_net *net, double *l1, double *l2)
{
    *l1 = net->l1;
    *l2 = net->l2;
}

double nnc_net_regularization_cost(const nnc_net *net, int m)
{
    if (!net || m <= 0 || (net->l1 == 0 && net->l2 == 0))
        return 0;
    double squares = 0, absolute = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        if (L->spec.kind != NNC_LAYER_DENSE)
            continue;
        for (size_t i = 0, n = (size_t)L->n_in * L->n_out; i < n; i++) {
            const double w = L->W[i];
            squares += w * w;
            absolute += fabs(w);
        }
    }
    return net->l2 / (2.0 * m) * squares + net->l1 / m * absolute;
}

void nnc_net_add_regularization_gradient(nnc_net *net, int m)
{
    if (net->l1 == 0 && net->l2 == 0)
        return;
    const nnc_real l2 = (nnc_real)(net->l2 / m), l1 = (nnc_real)(net->l1 / m);
    for (int l = 0; l < net->n_layers; l++) {
        layer *L = &net->layers[l];
        if (L->spec.kind != NNC_LAYER_DENSE)
            continue;
        for (size_t i = 0, n = (size_t)L->n_in * L->n_out; i < n; i++) {
            const nnc_real w = L->W[i];
            const nnc_real sign = (nnc_real)((w > 0) - (w < 0));
            L->dW[i] = L->dW[i] + l2 * w + l1 * sign;
        }
    }
}

nnc_weight_stats nnc_net_weight_stats(const nnc_net *net)
{
    nnc_weight_stats st = {0};
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        if (L->spec.kind != NNC_LAYER_DENSE)
            continue;
        const size_t n = (size_t)L->n_in * L->n_out;
        for (size_t i = 0; i < n; i++) {
            const double w = fabs((double)L->W[i]);
            st.abs_sum += w;
            st.little += w <= 0.01;
            st.zero += w <= 1e-4;
        }
        st.total += (long)n;
    }
    return st;
}
