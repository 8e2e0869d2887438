/* The training step.
 *
 * nnc_reference_step is the step as the textbook writes it, and the
 * definition of what every other path computes: forward layer by layer;
 * the loss gradient; backward layer by layer, each layer giving dW, dB and
 * dX; then one optimizer update over the net's parameter block.
 *
 * The other paths are specialisations of it for SGD, each proved bit for
 * bit against it by the tests (tests/test_step.c, test_kernels.c,
 * test_threads.c).  plan_applies states when each may run, and
 * nnc_net_plan picks the first that applies, fastest first:
 *   OpenBLAS     the products through OpenBLAS (not bit for bit, by design)
 *   small fit    1-h-1 nets in registers across steps (small_fit_simd.h)
 *   small step   one-hidden-layer nets in one fused function (small_step_simd.h)
 *   fused        the reference's passes, with the SGD step fused into the
 *                weight gradients' products (nnc_descent) and, with
 *                threads, the weights in column panels
 *   reference    everything else: any optimizer. */
#include "net_private.h"

#include <string.h>

void nnc_forward_pass(nnc_net *net, nnc_exec ex, const nnc_real *X, const uint32_t *rows,
                      int m)
{
    const nnc_real *in = X;
    for (int l = 0; l < net->n_layers; l++) {
        layer *L = &net->layers[l];
        L->kind->forward(ex, L, in, l == 0 ? rows : NULL, m);
        in = L->A;
    }
    layer *out = &net->layers[net->n_layers - 1];
    nnc_output_forward(net->task, out->Z, out->A, m, out->n_out);
}

int nnc_backward_pass(nnc_net *net, nnc_exec ex, const nnc_real *X, const uint32_t *rows,
                      const nnc_real *Y, int m, nnc_descent descent)
{
    /* The loss gradient by the output layer's Z: A − Y (the loss fused
     * with the task's output function), into its dZ. */
    const int last = net->n_layers - 1;
    layer *out = &net->layers[last];
    nnc_output_loss_gradient(out->A, Y, out->dZ, m, out->n_out);
    const nnc_real *dA = out->dZ;
    int finite = 1;
    for (int l = last; l >= 0; l--) {
        layer *L = &net->layers[l];
        const nnc_real *in = l > 0 ? net->layers[l - 1].A : X;
        nnc_real *dX = l > 0 ? net->dA : NULL; /* the previous layer's dA */
        finite &= L->kind->backward(ex, L, in, l > 0 ? NULL : rows, m, dA, dX, net->Wt,
                                    descent);
        dA = dX;
    }
    return finite;
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

/* The batch's targets, rows rows[0..m) of Y, into the net's Yb. */
static void gather_targets(nnc_net *net, const nnc_real *Y, const uint32_t *rows, int m)
{
    const int n_out = net->layers[net->n_layers - 1].n_out;
    for (int r = 0; r < m; r++)
        copy_row(net->Yb + (size_t)r * n_out, Y + (size_t)rows[r] * n_out, n_out);
}

int nnc_reference_step(nnc_net *net, const nnc_real *X, const uint32_t *rows,
                       const nnc_real *Y, int m, double eta)
{
    nnc_exec ex = net->ex;
    ex.blas = 0; /* nnc's own products: the bits every path keeps */
    gather_targets(net, Y, rows, m);
    nnc_net_optimizer_lookahead(net); /* NAG's look-ahead point; a no-op for the others */
    /* forward: layer by layer, then the output function */
    nnc_forward_pass(net, ex, X, rows, m);
    /* backward: the loss gradient, then dW, dB, dX layer by layer */
    nnc_backward_pass(net, ex, X, rows, net->Yb, m, (nnc_descent){0, 0});
    nnc_net_add_regularization_gradient(net, m); /* the book's L2 and L1 terms */
    /* update: the optimizer over the parameter block */
    return nnc_net_optimizer_update(net, net->optimizer, eta);
}

/* Whether plan may run a step of m rows of net: each path's preconditions,
 * here and nowhere else. */
static int plan_applies(const nnc_net *net, nnc_step_plan plan, int m)
{
    /* The fast paths fuse plain SGD on dense layers, unregularised. */
    const int sgd = net->optimizer == nnc_optimizer_sgd() && net->l1 == 0 && net->l2 == 0 &&
                    net->all_dense,
              blas = net->ex.blas;
    const layer *H = &net->layers[0], *O = &net->layers[net->n_layers - 1];
    switch (plan) {
    case NNC_PLAN_OPENBLAS: /* SGD folded into OpenBLAS's products */
        return sgd && blas;
    case NNC_PLAN_SMALL_FIT: /* 1-h-1, few rows, on AVX-512 */
        return sgd && !blas && net->n_layers == 2 &&
               nnc_small_fit_fits(net->ex.path, net->task, H->n_in, H->n_out, O->n_out, m);
    case NNC_PLAN_SMALL_STEP: /* one small hidden layer, fitting or binary, SIMD */
        return sgd && !blas && net->n_layers == 2 &&
               nnc_small_step_fits(net->ex.path, net->task, H->n_in, H->n_out, O->n_out);
    case NNC_PLAN_FUSED: /* SGD fused into nnc's own products */
        return sgd && !blas;
    case NNC_PLAN_REFERENCE: /* any net, any optimizer */
        return 1;
    default:
        return 0;
    }
}

nnc_step_plan nnc_net_plan(const nnc_net *net, int m)
{
    if (net->forced_plan >= 0 && plan_applies(net, (nnc_step_plan)net->forced_plan, m))
        return (nnc_step_plan)net->forced_plan;
    static const nnc_step_plan fastest_first[] = {NNC_PLAN_OPENBLAS, NNC_PLAN_SMALL_FIT,
                                                  NNC_PLAN_SMALL_STEP, NNC_PLAN_FUSED};
    for (size_t i = 0; i < sizeof fastest_first / sizeof fastest_first[0]; i++)
        if (plan_applies(net, fastest_first[i], m))
            return fastest_first[i];
    return NNC_PLAN_REFERENCE;
}

void nnc_net_force_plan(nnc_net *net, int plan) { net->forced_plan = plan; }

const char *nnc_step_plan_name(nnc_step_plan plan)
{
    static const char *const names[] = {"reference", "small fit", "small step", "fused",
                                        "openblas"};
    return (unsigned)plan < NNC_PLAN_COUNT ? names[plan] : "unknown";
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

/* The small fit's and the small step's steps: one call does them all. */
static int small_steps(nnc_net *net, const nnc_real *X, const nnc_real *Y, const uint32_t *rows,
                       int m, int count, double eta, int packed, int (*after)(void *),
                       void *after_ctx, int *diverged)
{
    layer *H = &net->layers[0], *O = &net->layers[1];
    nnc_small_step_args s = {
        .path = net->ex.path, .task = net->task,
        .n_in = H->n_in, .hidden = H->n_out, .n_out = O->n_out,
        .act = H->act, .param = H->spec.param,
        .params = {H->W, H->B, O->W, O->B}, .grads = {H->dW, H->dB, O->dW, O->dB},
        .eta = (nnc_real)eta, .packed = packed,
        .run = {.X = X, .Y = Y, .rows = rows, .m = m, .count = count, .after = after,
                .after_ctx = after_ctx}};
    return nnc_small_step(&s, diverged);
}

/* The fused, OpenBLAS and reference steps, one call each. */
static int layered_steps(nnc_net *net, nnc_step_plan plan, const nnc_real *X,
                         const nnc_real *Y, const uint32_t *rows, int m, int count, double eta,
                         int (*after)(void *), void *after_ctx, int *diverged)
{
    /* The fused forward pass reads the batch rows where they are (the
     * first layer's product packs them), the weight gradients descend
     * into the weights from their products; only the targets are
     * gathered.  With threads, the weights of the layers worth splitting
     * are in column panels through these steps (nnc_gemm_panel); not for
     * one step, where the two copies would cost more than they save. */
    const int n_out = net->layers[net->n_layers - 1].n_out;
    const nnc_descent descent = {1, (nnc_real)eta};
    if (count > 1 && plan == NNC_PLAN_FUSED)
        weights_to_panels(net, m);
    int taken = 0;
    while (taken < count) {
        const uint32_t *batch = rows + (size_t)taken * (size_t)m;
        if (plan == NNC_PLAN_REFERENCE) {
            *diverged = !nnc_reference_step(net, X, batch, Y, m, eta);
        } else if (plan == NNC_PLAN_OPENBLAS) { /* OpenBLAS reads whole matrices */
            nnc_gather_rows(net->Xb, net->Yb, X, Y, batch, m, net->n_inputs, n_out);
            nnc_forward_pass(net, net->ex, net->Xb, NULL, m);
            *diverged = !nnc_backward_pass(net, net->ex, net->Xb, NULL, net->Yb, m, descent);
        } else {
            gather_targets(net, Y, batch, m);
            nnc_forward_pass(net, net->ex, X, batch, m);
            *diverged = !nnc_backward_pass(net, net->ex, X, batch, net->Yb, m, descent);
        }
        taken++;
        if (*diverged || (after && after(after_ctx)))
            break;
    }
    weights_from_panels(net);
    return taken;
}

int nnc_net_train_steps(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                        const uint32_t *rows, int m, int count, double eta,
                        int (*after)(void *), void *after_ctx, int *bad)
{
    int diverged = 0, taken;
    const nnc_step_plan plan = nnc_net_plan(net, m);
    const int training = net->training;
    net->training = 1; /* dropout's masks, batch norm's batch statistics */
    if (plan == NNC_PLAN_SMALL_FIT || plan == NNC_PLAN_SMALL_STEP)
        taken = small_steps(net, X, Y, rows, m, count, eta, plan == NNC_PLAN_SMALL_FIT, after,
                            after_ctx, &diverged);
    else
        taken = layered_steps(net, plan, X, Y, rows, m, count, eta, after, after_ctx,
                              &diverged);
    if (plan != NNC_PLAN_REFERENCE) /* the reference's update counts its own */
        net->opt_steps += taken;
    net->training = training;
    net->forward_rows = 0; /* the work buffers do not hold this batch */
    *bad = diverged ? nnc_nonfinite_parameter(net) : -1;
    return taken;
}

int nnc_net_train_step(nnc_net *net, const nnc_real *X, const nnc_real *Y,
                       const uint32_t *rows, int m, double eta)
{
    int bad;
    (void)nnc_net_train_steps(net, X, Y, rows, m, 1, eta, NULL, NULL, &bad);
    return bad;
}
