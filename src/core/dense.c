/* The fully-connected layer: nnc_dense_forward / nnc_dense_backward on the
 * kernels, and the dense kind of layer (net_private.h) built on them. */
#include "net_private.h"

/* The most values of the transposed input that nnc_dense_backward copies (on
 * the stack) to compute dW and dB in one product. */
enum { SMALL_XT = 256 };

void nnc_dense_forward(nnc_exec ex, const nnc_dense *d, nnc_batch in, nnc_real *Z, nnc_real *A)
{
    /* One pass: each Z[i][j] starts at B[j] and gathers X[R(i)][p]·W[p][j]
     * for p in order; each finished block of rows goes through act. */
    nnc_gemm_args g = {.a = {.p = in.X, .rs = (size_t)d->n_in, .cs = 1, .rows_i = in.rows},
                       .b = {.p = d->W, .panel = d->panel}, .C = Z, .start = d->B, .m = in.m,
                       .k = d->n_in, .n = d->n_out, .act = d->act, .Aout = A, .param = d->param,
                       .ex = ex};
    nnc_gemm(&g);
}

int nnc_dense_backward(nnc_exec ex, const nnc_dense *d, nnc_batch in, const nnc_real *dZ,
                   nnc_real *dW, nnc_real *dB, nnc_real *dX, nnc_real *Wt, nnc_descent descent)
{
    const int m = in.m, n_in = d->n_in, n_out = d->n_out, panel = d->panel;
    const int descend = descent.on;
    const nnc_real step = descent.step, *X = in.X;
    const uint32_t *rows = in.rows;
    nnc_real *W = d->W, *B = d->B;
    const nnc_real inv_m = (nnc_real)1 / (nnc_real)m;
    int finite = 1;
    /* dX needs W as it was: transposed before any descent. */
    if (dX && panel) /* Wᵀ's rows j0.. are panel j0's columns */
        for (int j0 = 0; j0 < n_out; j0 += panel) {
            const int w = n_out - j0 < panel ? n_out - j0 : panel;
            nnc_transpose(ex.path, Wt + (size_t)j0 * n_in, W + (size_t)j0 * n_in, n_in, w);
        }
    else if (dX)
        nnc_transpose(ex.path, Wt, W, n_in, n_out);
    if (!panel && dB == dW + (size_t)n_in * n_out && (!descend || B == W + (size_t)n_in * n_out) &&
        (size_t)(n_in + 1) * (size_t)m <= SMALL_XT) {
        /* Small shapes, dB right after dW (the net's gradient block): one
         * product for both, [Xᵀ; 1…1]·dZ/m, so the chains of dW and dB run
         * side by side.  Row p of Xᵀ is X's column p; dB's row of ones
         * gives fma(1, dZ[r][j], acc), the rounded sum of column_sums: the
         * same bits as the two products below. */
        nnc_real xt[SMALL_XT];
        for (int p = 0; p < n_in; p++)
            for (int r = 0; r < m; r++)
                xt[(size_t)p * m + r] = X[(size_t)(rows ? rows[r] : (uint32_t)r) * n_in + p];
        for (int r = 0; r < m; r++)
            xt[(size_t)n_in * m + r] = 1;
        nnc_gemm_args g = {.a = {.p = xt, .rs = (size_t)m, .cs = 1}, .b = {.p = dZ}, .C = dW,
                           .m = n_in + 1, .k = m, .n = n_out, .use_scale = 1, .scale = inv_m,
                           .ex = ex, .u = {.p = descend ? W : NULL, .step = step}};
        finite = nnc_gemm(&g);
    } else {
        /* dW (n_in, n_out): row p, step r reads X[R(r)][p] (Xᵀ in place);
         * dB: a product with A' = 1 everywhere, fma(1, x, acc) = x + acc. */
        static const nnc_real one = 1;
        nnc_gemm_args gw = {.a = {.p = X, .rs = 1, .cs = (size_t)n_in, .rows_k = rows},
                            .b = {.p = dZ}, .C = dW, .m = n_in, .k = m, .n = n_out,
                            .use_scale = 1, .scale = inv_m, .ex = ex,
                            .u = {.p = descend ? W : NULL, .panel = descend ? panel : 0,
                                  .step = step}};
        nnc_gemm_args gb = {.a = {.p = &one}, .b = {.p = dZ}, .C = dB, .m = 1, .k = m, .n = n_out,
                            .use_scale = 1, .scale = inv_m, .ex = ex,
                            .u = {.p = descend ? B : NULL, .step = step}};
        finite = nnc_gemm(&gw) & nnc_gemm(&gb);
    }
    if (dX)
        nnc_matmul(ex, dX, dZ, Wt, m, n_out, n_in);
    return finite;
}

/* dZ = dA ⊙ f'(Z, A) over elements [b, e): first dZ = f'(Z, A), then
 * dZ ⊙= dA. */
static void activation_backward_range(int path, nnc_real *dZ, const nnc_real *dA,
                                      const nnc_real *Z,
                                      const nnc_real *A, size_t b, size_t e,
                                      const nnc_activation_info *act, double param)
{
    nnc_activation_derivative_on(path, act, Z + b, A + b, dZ + b, e - b, param);
    for (size_t i = b; i < e; i++)
        dZ[i] *= dA[i];
}

/* The fewest elements of nnc_activation_backward worth a thread of their own. */
enum { ACTIVATION_MIN_PART = 16384 };

typedef struct activation_backward_args {
    int path;
    nnc_real *dZ;
    const nnc_real *dA, *Z, *A;
    size_t count;
    const nnc_activation_info *act;
    double param;
} activation_backward_args;

/* Piece `part` of nnc_activation_backward (cut at cache lines of 64 bytes). */
static void activation_backward_piece(void *arg, int part, int parts)
{
    const activation_backward_args *a = arg;
    size_t b, e;
    nnc_pool_piece(a->count, part, parts, 64 / sizeof(nnc_real), &b, &e);
    activation_backward_range(a->path, a->dZ, a->dA, a->Z, a->A, b, e, a->act, a->param);
}

void nnc_activation_backward(nnc_exec ex, nnc_real *dZ, const nnc_real *dA, const nnc_real *Z,
                         const nnc_real *A, size_t count, const nnc_activation_info *act,
                         double param)
{
    int parts = ex.pool ? nnc_pool_parts(ex.pool, (double)count, ACTIVATION_MIN_PART,
                                         NNC_MAX_THREADS) : 1;
    if (parts > 1) {
        activation_backward_args a = {ex.path, dZ, dA, Z, A, count, act, param};
        nnc_pool_run(ex.pool, activation_backward_piece, &a, parts);
    } else {
        activation_backward_range(ex.path, dZ, dA, Z, A, 0, count, act, param);
    }
}

/* The layer's parameters as the kernels take them. */
static nnc_dense dense_of(const layer *L)
{
    return (nnc_dense){L->n_in, L->n_out, L->W, L->B, L->panel, L->act, L->spec.param};
}

/* The dense layer of a net: X (m, n_in) → Z = X·W + B, A = f(Z), both
 * (m, n_out); W (n_in, n_out), B (1, n_out). */
static void dense_layer_forward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows,
                                int m)
{
    const nnc_dense d = dense_of(L);
    nnc_dense_forward(ex, &d, (nnc_batch){X, rows, m}, L->Z, L->A);
}

/* dA (m, n_out) → dZ = dA ⊙ f'(Z, A) (the output layer's dA is its dZ
 * already), then dW, dB and dX (m, n_in) from dZ. */
static int dense_layer_backward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows,
                                int m, const nnc_real *dA, nnc_real *dX, nnc_real *Wt,
                                nnc_descent descent)
{
    const nnc_real *dZ = dA;
    if (L->act) {
        nnc_activation_backward(ex, L->dZ, dA, L->Z, L->A, (size_t)m * L->n_out, L->act,
                            L->spec.param);
        dZ = L->dZ;
    }
    const nnc_dense d = dense_of(L);
    return nnc_dense_backward(ex, &d, (nnc_batch){X, rows, m}, dZ, L->dW, L->dB, dX, Wt, descent);
}

const layer_kind nnc_dense_layer = {.name = "dense", .forward = dense_layer_forward,
                                    .backward = dense_layer_backward};
