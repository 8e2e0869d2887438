/* A network of dense layers.  Parameters live in one block (layer by layer:
 * W then B), gradients in a block of the same layout, and the per-layer
 * work buffers (Z, A, dZ) are sized once for max_batch rows. */
#include "internal.h"
#include "kernels/kernels.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct layer {
    nnc_layer_spec spec;
    const nnc_activation_info *act; /* NULL for the output layer */
    int n_in, n_out;
    nnc_real *W, *B, *dW, *dB; /* views into the parameter and gradient blocks */
    nnc_real *Z, *A, *dZ;      /* (max_batch, n_out) each */
    int panel;                 /* W's column panels during training steps, or 0 */
} layer;

struct nnc_net {
    nnc_task task;
    int n_inputs, n_layers, max_batch;
    layer *layers;
    size_t n_params;
    nnc_real *params, *grads;
    nnc_real *work;    /* Z, A, dZ of every layer, then the dA scratch */
    nnc_real *dA;      /* (max_batch, widest layer) */
    nnc_real *Wt;      /* room for the largest W of layers 2.. transposed (dX) */
    nnc_real *Yb;      /* (max_batch, outputs): a training step's gathered targets */
    nnc_real *Xb;      /* (max_batch, inputs): its gathered rows, OpenBLAS only */
    int forward_rows;  /* rows of the last forward pass, 0 if none */
    int small;         /* one hidden layer, small enough for nnc_small_step */
    nnc_exec ex;       /* the kernels' path (chosen once at creation) and pool */
};

static int sgd_update(nnc_net *net, nnc_real step);
static int nonfinite_parameter(const nnc_net *net);

/* Whether the net trains through nnc_small_step on its path. */
static int takes_small_step(const nnc_net *net)
{
    return net->n_layers == 2 && !net->ex.blas &&
           nnc_small_step_fits(net->ex.path, net->task, net->n_inputs, net->layers[0].n_out,
                               net->layers[1].n_out);
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
    for (int l = 0; l < n_layers; l++) {
        const nnc_layer_spec *s = &specs[l];
        if (s->units <= 0)
            return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: units must be positive (got %d)",
                            l + 1, s->units);
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
        if (!checked_mul((size_t)n_in + 1, (size_t)s->units, &w) ||
            !checked_mul((size_t)max_batch, (size_t)s->units, &z) || z > SIZE_MAX / 4 ||
            n_params > SIZE_MAX / 2 - w || n_work > SIZE_MAX / 8 - 3 * z)
            return nnc_fail(NNC_ERR_ARGUMENT, "layer %d: network too large", l + 1);
        n_params += w;
        n_work += 3 * z;
        if (l > 0 && w - (size_t)s->units > wt)
            wt = w - (size_t)s->units;
        if ((size_t)s->units > widest)
            widest = (size_t)s->units;
        n_in = s->units;
    }
    size_t scratch, yb = (size_t)max_batch * (size_t)specs[n_layers - 1].units;
    if (!checked_mul(widest, (size_t)max_batch, &scratch) || scratch > SIZE_MAX / 4 - wt ||
        n_work > SIZE_MAX / sizeof(nnc_real) - (scratch + wt + yb))
        return nnc_fail(NNC_ERR_ARGUMENT, "network too large");

    nnc_net *net = calloc(1, sizeof *net);
    if (net) {
        net->layers = calloc((size_t)n_layers, sizeof *net->layers);
        net->params = calloc(n_params, sizeof *net->params);
        net->grads = calloc(n_params, sizeof *net->grads);
        net->work = calloc(n_work + scratch + wt + yb, sizeof *net->work);
    }
    if (!net || !net->layers || !net->params || !net->grads || !net->work) {
        nnc_net_free(net);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_net_create: out of memory");
    }
    net->task = task;
    net->n_inputs = n_inputs;
    net->n_layers = n_layers;
    net->max_batch = max_batch;
    net->n_params = n_params;
    net->ex.path = nnc_kernel_best_path();
    size_t p = 0, w = 0;
    n_in = n_inputs;
    for (int l = 0; l < n_layers; l++) {
        layer *L = &net->layers[l];
        L->spec = specs[l];
        L->n_in = n_in;
        L->n_out = specs[l].units;
        L->act = l < n_layers - 1 ? nnc_activation_get(specs[l].activation) : NULL;
        L->W = net->params + p;
        L->dW = net->grads + p;
        p += (size_t)L->n_in * L->n_out;
        L->B = net->params + p;
        L->dB = net->grads + p;
        p += (size_t)L->n_out;
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
    net->small = takes_small_step(net);
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
    net->small = takes_small_step(net);
    return NNC_OK;
}

int nnc_net_set_kernel_path(nnc_net *net, int path)
{
    if (!nnc_kernel_path_available(path))
        return 0;
    net->ex.path = path;
    net->ex.blas = 0;
    net->small = takes_small_step(net);
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
        nnc_layer_spec none = {0, NNC_ACT_IDENTITY, 0};
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

/* The forward pass of m rows of X (rows rows[0..m) of it, with rows,
 * read where they are by the first layer's product). */
static void forward_pass(nnc_net *net, const nnc_real *X, const uint32_t *rows, int m)
{
    const nnc_real *in = X;
    for (int l = 0; l < net->n_layers; l++) {
        layer *L = &net->layers[l];
        dense_forward(net->ex, L->Z, L->A, in, l == 0 ? rows : NULL, L->W, L->B, m, L->n_in,
                      L->n_out, L->act, L->spec.param, L->panel);
        in = L->A;
    }
    layer *out = &net->layers[net->n_layers - 1];
    nnc_output_forward(net->task, out->Z, out->A, m, out->n_out);
}

nnc_status nnc_net_forward(nnc_net *net, const nnc_real *X, int m)
{
    nnc_status s = check_rows(net, X, m, "nnc_net_forward");
    if (s != NNC_OK)
        return s;
    forward_pass(net, X, NULL, m);
    net->forward_rows = m;
    return NNC_OK;
}

const nnc_real *nnc_net_output(const nnc_net *net)
{
    return net->layers[net->n_layers - 1].A;
}

/* The backward pass after a forward pass of m rows of X (rows rows[0..m)
 * of it, with rows) with targets Y (m, outputs): the gradients, or with
 * descend their descent (dense_backward).  0 if a descended parameter is
 * NaN/Inf. */
static int backward_pass(nnc_net *net, const nnc_real *X, const uint32_t *rows,
                         const nnc_real *Y, int m, int descend, nnc_real step)
{
    /* Output layer: dZ = A − Y (the loss fused with its output function). */
    int last = net->n_layers - 1, finite = 1;
    layer *L = &net->layers[last];
    nnc_output_loss_gradient(L->A, Y, L->dZ, m, L->n_out);
    for (int l = last; l >= 0; l--) {
        L = &net->layers[l];
        const nnc_real *in = l > 0 ? net->layers[l - 1].A : X;
        nnc_real *dX = l > 0 ? net->dA : NULL;
        finite &= dense_backward(net->ex, L->dW, L->dB, dX, L->dZ, in, l > 0 ? NULL : rows,
                                 L->W, L->B, m, L->n_in, L->n_out, net->Wt, descend, step,
                                 L->panel);
        if (l > 0) {
            layer *P = &net->layers[l - 1];
            /* dZ_prev = dA_prev ⊙ σ'(Z_prev, A_prev) */
            activation_backward(net->ex, P->dZ, net->dA, P->Z, P->A, (size_t)m * P->n_out, P->act,
                                P->spec.param);
        }
    }
    return finite;
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
    backward_pass(net, X, NULL, Y, m, 0, 0);
    return NNC_OK;
}

/* Puts the weights of each layer whose products a batch of m rows would
 * split into column panels, one per thread (nnc_gemm_panel), through the
 * layer's dW (scratch during training steps).  Layers not worth it, and
 * every layer without a pool, stay row-major with panel 0. */
static void weights_to_panels(nnc_net *net, int m)
{
    for (int l = 0; l < net->n_layers; l++) {
        layer *L = &net->layers[l];
        L->panel = nnc_gemm_panel(net->ex, m, L->n_in, L->n_out);
        if (L->panel) {
            memcpy(L->dW, L->W, (size_t)L->n_in * L->n_out * sizeof *L->W);
            nnc_to_panels(L->W, L->dW, L->n_in, L->n_out, L->panel);
        }
    }
}

/* Back to row-major (weights_to_panels undone). */
static void weights_from_panels(nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        layer *L = &net->layers[l];
        if (L->panel) {
            memcpy(L->dW, L->W, (size_t)L->n_in * L->n_out * sizeof *L->W);
            nnc_from_panels(L->W, L->dW, L->n_in, L->n_out, L->panel);
            L->panel = 0;
        }
    }
}

/* Copies `width` values: a call to memcpy costs more than the copy for the
 * narrow rows of small networks (the seed's 1-input fits). */
static void copy_row(nnc_real *dst, const nnc_real *src, int width)
{
    if (width <= 4)
        for (int i = 0; i < width; i++)
            dst[i] = src[i];
    else
        memcpy(dst, src, (size_t)width * sizeof *dst);
}

void nnc_gather_rows(nnc_real *Xb, nnc_real *Yb, const nnc_real *X, const nnc_real *Y,
                     const uint32_t *rows, int m, int n_in, int n_out)
{
    for (int r = 0; r < m; r++) {
        copy_row(Xb + (size_t)r * n_in, X + (size_t)rows[r] * n_in, n_in);
        copy_row(Yb + (size_t)r * n_out, Y + (size_t)rows[r] * n_out, n_out);
    }
}

int nnc_net_train_steps(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                        const uint32_t *rows, int m, int count, double eta,
                        int (*after)(void *), void *after_ctx, int *bad)
{
    int taken, diverged = 0;
    if (net->small) {
        layer *H = &net->layers[0], *O = &net->layers[1];
        nnc_small_step_args s = {.path = net->ex.path, .task = net->task, .m = m,
                                 .n_in = H->n_in, .hidden = H->n_out, .n_out = O->n_out,
                                 .X = X, .Y = Y, .rows = rows,
                                 .W1 = H->W, .B1 = H->B, .W2 = O->W, .B2 = O->B,
                                 .dW1 = H->dW, .dB1 = H->dB, .dW2 = O->dW, .dB2 = O->dB,
                                 .act = H->act, .param = H->spec.param,
                                 .eta = (nnc_real)eta, .count = count, .after = after,
                                 .after_ctx = after_ctx};
        taken = nnc_small_step(&s, &diverged);
    } else {
        /* The forward pass reads the batch rows where they are (the first
         * layer's product packs them), the weight gradients descend into
         * the weights from their products; only the targets are gathered.
         * With threads, the weights of the layers worth splitting are in
         * column panels through these steps (nnc_gemm_panel); not for one
         * step, where the two copies would cost more than they save. */
        const int n_out = net->layers[net->n_layers - 1].n_out;
        if (count > 1)
            weights_to_panels(net, m);
        for (taken = 0; taken < count;) {
            const uint32_t *batch = rows + (size_t)taken * (size_t)m;
            const nnc_real *in = X;
            if (net->ex.blas) { /* OpenBLAS reads whole matrices: the rows gathered */
                nnc_gather_rows(net->Xb, net->Yb, X, Y, batch, m, net->n_inputs, n_out);
                in = net->Xb;
                batch = NULL;
            } else {
                for (int r = 0; r < m; r++)
                    copy_row(net->Yb + (size_t)r * n_out, Y + (size_t)batch[r] * n_out, n_out);
            }
            forward_pass(net, in, batch, m);
            diverged = !backward_pass(net, in, batch, net->Yb, m, 1, (nnc_real)eta);
            taken++;
            if (diverged || (after && after(after_ctx)))
                break;
        }
        weights_from_panels(net);
    }
    net->forward_rows = 0; /* the work buffers do not hold this batch */
    *bad = diverged ? nonfinite_parameter(net) : -1;
    return taken;
}

int nnc_net_train_step(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                       const uint32_t *rows, int m, double eta)
{
    int bad;
    (void)nnc_net_train_steps(net, X, Y, rows, m, 1, eta, NULL, NULL, &bad);
    return bad;
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
    (void)sgd_update(net, (nnc_real)eta);
}

/* The IEEE 754 bits of an nnc_real, its exponent field, and one unit of it. */
#ifdef NNC_DOUBLE
typedef uint64_t real_bits;
#define EXPONENT_BITS 0x7ff0000000000000u
#define EXPONENT_ONE 0x0010000000000000u
#else
typedef uint32_t real_bits;
#define EXPONENT_BITS 0x7f800000u
#define EXPONENT_ONE 0x00800000u
#endif
_Static_assert(sizeof(real_bits) == sizeof(nnc_real), "nnc_real is IEEE binary32/64");

/* p −= step·g over n values; 1 if every result is finite.  A value is NaN
 * or ±Inf exactly when its exponent field is all ones, and then (and only
 * then) adding one unit to the field carries into the top bit: OR-ing
 * those sums costs an and, an add and an or per value, and vectorises with
 * the update in both precisions (a float compare does not, in double).
 * The same loop is compiled for AVX-512 and AVX2 too (a multiply and a
 * subtract, never contracted under -std=c11: the same bits on every path)
 * and picked by the net's kernel path. */
static NNC_ALWAYS_INLINE int
sgd_block_body(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    real_bits acc = 0;
    for (size_t i = 0; i < n; i++) {
        nnc_real v = p[i] - step * g[i];
        p[i] = v;
        real_bits b;
        memcpy(&b, &v, sizeof b);
        acc |= (b & EXPONENT_BITS) + EXPONENT_ONE;
    }
    return (acc >> (sizeof acc * 8 - 1)) == 0;
}

static int sgd_block_portable(nnc_real *restrict p, const nnc_real *restrict g, size_t n,
                              nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f"))) static int
sgd_block_avx512(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}

__attribute__((target("avx2"))) static int
sgd_block_avx2(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}
#endif

static int sgd_block(int path, nnc_real *restrict p, const nnc_real *restrict g, size_t n,
                     nnc_real step)
{
    switch (path) {
#if defined(__GNUC__) && defined(__x86_64__)
    case NNC_PATH_AVX512:
        return sgd_block_avx512(p, g, n, step);
    case NNC_PATH_AVX2:
        return sgd_block_avx2(p, g, n, step);
#endif
    default:
        return sgd_block_portable(p, g, n, step);
    }
}

/* The fewest values of the update worth a thread of their own. */
enum { SGD_MIN_PART = 32768 };

typedef struct sgd_args {
    const nnc_net *net;
    nnc_real step;
    unsigned char finite[NNC_MAX_THREADS]; /* each piece's verdict */
} sgd_args;

/* Piece `part` of the update: a range of the block, cut at multiples of a
 * cache line's worth of values. */
static void sgd_piece(void *arg, int part, int parts)
{
    sgd_args *a = arg;
    const nnc_net *net = a->net;
    size_t b, e;
    nnc_pool_piece(net->n_params, part, parts, 64 / sizeof(nnc_real), &b, &e);
    a->finite[part] =
        (unsigned char)sgd_block(net->ex.path, net->params + b, net->grads + b, e - b, a->step);
}

/* p −= step·g over the whole parameter block: in one pass, or in one range
 * per thread when the block is long (every value's update is the same
 * either way; the verdicts are and-ed).  1 if every result is finite. */
static int sgd_update(nnc_net *net, nnc_real step)
{
    int parts = net->ex.pool ? nnc_pool_parts(net->ex.pool, (double)net->n_params,
                                              SGD_MIN_PART, NNC_MAX_THREADS) : 1;
    if (parts == 1)
        return sgd_block(net->ex.path, net->params, net->grads, net->n_params, step);
    sgd_args a = {.net = net, .step = step};
    nnc_pool_run(net->ex.pool, sgd_piece, &a, parts);
    int finite = 1;
    for (int t = 0; t < parts; t++)
        finite &= a.finite[t];
    return finite;
}

/* Whether v[0..n) are all finite (the rare path that names the layer). */
static int all_finite(const nnc_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* 2·l for the first layer l whose weights hold a NaN/Inf, 2·l + 1 for its
 * bias; 0 if none does (the caller knows that one does). */
static int nonfinite_parameter(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        if (!all_finite(L->W, (size_t)L->n_in * L->n_out))
            return 2 * l;
        if (!all_finite(L->B, (size_t)L->n_out))
            return 2 * l + 1;
    }
    return 0; /* not reached: the block holds exactly the layers' values */
}

int nnc_net_sgd_update_checked(nnc_net *net, double eta)
{
    /* One pass over the whole block, as the plain update; only when it
     * finds a NaN/Inf are the layers searched for the first one. */
    return sgd_update(net, (nnc_real)eta) ? -1 : nonfinite_parameter(net);
}

int nnc_net_nonfinite_layer(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer *L = &net->layers[l];
        size_t n = (size_t)net->forward_rows * L->n_out;
        if (!all_finite(L->Z, n) || !all_finite(L->A, n))
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
