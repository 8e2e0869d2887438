/* nnc_small_step on a SIMD path, as a template: kernels_avx512.c and
 * kernels_avx2.c include it after kernels_simd.h, with the same vector
 * macros, V_ADD, V_LOAD, V_STORE, the row gathers (IT, I_LOAD_ROWS, I_MUL,
 * V_GATHER) and SMALL_STEP_NAME.
 *
 * The lanes are the rows of the batch, W at a time (a chunk of rows); one
 * vector holds a column of X, Z1, A1, Z2, ... for those rows.  So the
 * activation runs on `hidden` full vectors, and every value crosses memory
 * only through full-width stores read back by full-width or scalar loads,
 * which the processor forwards from its store buffer (a masked load of
 * freshly written data would wait for the stores to reach the cache, a
 * stall in the middle of the step's chain of dependent operations).
 *
 * The gradients are chains over the rows r: they run as scalar chains
 * through the chunks' columns, each in a register, in the order r = 0, 1,
 * ..., m−1, from +0, as the products of nnc_dense_backward do; the forward
 * chains are the same as nnc_dense_forward's, the update nnc_sgd_element.
 * So the same bits.  */

/* The activation kernels work in blocks of 16 values: the columns of a
 * chunk take whole blocks, so that they never read a partial block. */
#define SMALL_COLS_PAD (((NNC_SMALL_STEP_MAX_HIDDEN * W + 15) / 16) * 16)

/* The gradients G = chain·inv_m of n parameters P, and each parameter's
 * SGD step nnc_sgd_element(P, G, eta); their NaN/Inf flags into *flags. */
static NNC_ALWAYS_INLINE TGT void small_update(nnc_real *P, nnc_real *G,
                                               const nnc_real *chain, int n,
                                               nnc_real inv_m, nnc_real eta,
                                               nnc_real_bits *flags)
{
    for (int i = 0; i < n; i++) {
        const nnc_real g = chain[i] * inv_m, p = nnc_sgd_element(P[i], g, eta);
        G[i] = g;
        P[i] = p;
        *flags |= nnc_nonfinite_flag(p);
    }
}

/* One step, one function (always inlined, its loops specialised for the
 * seed's 1-input, 1-output fits by the caller): the step is one chain of
 * dependent operations over small arrays held on the stack, which the
 * compiler keeps in registers and cache only when it sees the whole
 * chain; hence longer than the library's usual ~100 lines. */
static NNC_ALWAYS_INLINE TGT int small_step_body(const nnc_small_step_args *s,
                                                  const uint32_t *batch, const int n_in,
                                                  const int n_out)
{
    const int m = s->run.m, h = s->hidden;
    const nnc_real *W1 = s->params.W1, *B1 = s->params.B1, *W2 = s->params.W2, *B2 = s->params.B2;
    /* One chunk's columns: X, Y, dZ2 (n_in or n_out of them), Z1, A1,
     * f'(Z1) then dZ1 (h of them, padded to whole blocks). */
    _Alignas(64) nnc_real x[NNC_SMALL_STEP_MAX_IO][W], y[NNC_SMALL_STEP_MAX_IO][W],
        dz2[NNC_SMALL_STEP_MAX_IO][W];
    _Alignas(64) nnc_real z1[SMALL_COLS_PAD], a1[SMALL_COLS_PAD], dz1[SMALL_COLS_PAD];
    const size_t cols = (((size_t)h * W + 15) / 16) * 16;
    /* The gradients' chains, carried from chunk to chunk. */
    nnc_real gw1[NNC_SMALL_STEP_MAX_IO * NNC_SMALL_STEP_MAX_HIDDEN],
        gw2[NNC_SMALL_STEP_MAX_HIDDEN * NNC_SMALL_STEP_MAX_IO], gb1[NNC_SMALL_STEP_MAX_HIDDEN],
        gb2[NNC_SMALL_STEP_MAX_IO];
    for (int i = 0; i < n_in * h; i++)
        gw1[i] = 0;
    for (int i = 0; i < h * n_out; i++)
        gw2[i] = 0;
    for (int j = 0; j < h; j++)
        gb1[j] = 0;
    for (int o = 0; o < n_out; o++)
        gb2[o] = 0;

    for (int r0 = 0; r0 < m; r0 += W) {
        const int mc = m - r0 < W ? m - r0 : W; /* rows in this chunk */
        /* The chunk's columns of X and Y, gathered from their rows (0 in
         * the lanes past the batch); row · width fits an int, as a data
         * set's size does. */
        const IT rows = I_LOAD_ROWS((const int *)(batch + r0), mc);
        const IT x_at = n_in == 1 ? rows : I_MUL(rows, n_in);
        const IT y_at = n_out == 1 ? rows : I_MUL(rows, n_out);
        for (int p = 0; p < n_in; p++)
            V_STORE(x[p], V_GATHER(s->run.X + p, x_at, mc));
        for (int o = 0; o < n_out; o++)
            V_STORE(y[o], V_GATHER(s->run.Y + o, y_at, mc));

        /* Hidden layer: column j of Z1 = chain over p of fma(x[p], W1[p][j], ·)
         * from B1[j]; A1 = f(Z1), and f'(Z1, A1). */
        for (int j = 0; j < h; j++) {
            VT z = V_SET1(B1[j]);
            for (int p = 0; p < n_in; p++)
                z = V_FMA(V_LOAD(x[p]), V_SET1(W1[p * h + j]), z);
            V_STORE(z1 + (size_t)j * W, z);
        }
        if (s->act->id == NNC_ACT_SIGMOID) {
            /* The seed's sigmoid without the kernel calls: its element
             * functions, inlined and vectorised as the kernels do. */
            for (int j = 0; j < h; j++)
                for (int i = 0; i < W; i++) {
                    const nnc_real z = z1[j * W + i], a = sigmoid_f(z, 0);
                    a1[j * W + i] = a;
                    dz1[j * W + i] = sigmoid_df(z, a, 0);
                }
        } else {
            for (size_t i = (size_t)h * W; i < cols; i++)
                z1[i] = 0;
            nnc_activation_forward_on(s->path, s->act, z1, a1, cols, s->param);
            nnc_activation_derivative_on(s->path, s->act, z1, a1, dz1, cols, s->param);
        }

        /* Output layer: column o of Z2 = chain over j of fma(A1[·][j],
         * W2[j][o], ·) from B2[o]; the output function; dZ2 = A2 − Y. */
        for (int o = 0; o < n_out; o++) {
            VT z = V_SET1(B2[o]);
            for (int j = 0; j < h; j++)
                z = V_FMA(V_LOAD(a1 + (size_t)j * W), V_SET1(W2[j * n_out + o]), z);
            V_STORE(dz2[o], z);
        }
        if (s->task == NNC_TASK_BINARY)
            for (int o = 0; o < n_out; o++)
                for (int i = 0; i < W; i++)
                    dz2[o][i] = nnc_logistic(dz2[o][i]);
        for (int o = 0; o < n_out; o++)
            V_STORE(dz2[o], V_SUB(V_LOAD(dz2[o]), V_LOAD(y[o])));

        /* dZ1 = f'(Z1, A1) ⊙ dA, column j of dA = chain over o of
         * fma(dZ2[·][o], W2[j][o], ·) from +0. */
        for (int j = 0; j < h; j++) {
            VT da = V_ZERO();
            for (int o = 0; o < n_out; o++)
                da = V_FMA(V_LOAD(dz2[o]), V_SET1(W2[j * n_out + o]), da);
            V_STORE(dz1 + (size_t)j * W, V_MUL(V_LOAD(dz1 + (size_t)j * W), da));
        }

        /* This chunk's steps of the gradients' chains:
         *   dW2[j][o] over r of fma(A1[r][j], dZ2[r][o], ·),  dB2[o] of dZ2[r][o],
         *   dW1[p][j] over r of fma(X[r][p], dZ1[r][j], ·),   dB1[j] of dZ1[r][j]
         * (a sum's step fma(1, d, acc) is the rounded acc + d). */
        for (int j = 0; j < h; j++)
            for (int o = 0; o < n_out; o++) {
                nnc_real acc = gw2[j * n_out + o];
                for (int i = 0; i < mc; i++)
                    acc = NNC_FMA(a1[j * W + i], dz2[o][i], acc);
                gw2[j * n_out + o] = acc;
            }
        for (int o = 0; o < n_out; o++) {
            nnc_real acc = gb2[o];
            for (int i = 0; i < mc; i++)
                acc += dz2[o][i];
            gb2[o] = acc;
        }
        for (int p = 0; p < n_in; p++)
            for (int j = 0; j < h; j++) {
                nnc_real acc = gw1[p * h + j];
                for (int i = 0; i < mc; i++)
                    acc = NNC_FMA(x[p][i], dz1[j * W + i], acc);
                gw1[p * h + j] = acc;
            }
        for (int j = 0; j < h; j++) {
            nnc_real acc = gb1[j];
            for (int i = 0; i < mc; i++)
                acc += dz1[j * W + i];
            gb1[j] = acc;
        }
    }

    /* Each chain times 1/m is the gradient; each parameter then takes its
     * SGD step. */
    const nnc_real inv_m = (nnc_real)1 / (nnc_real)m;
    nnc_real_bits flags = 0;
    small_update(s->params.W1, s->grads.W1, gw1, n_in * h, inv_m, s->eta, &flags);
    small_update(s->params.B1, s->grads.B1, gb1, h, inv_m, s->eta, &flags);
    small_update(s->params.W2, s->grads.W2, gw2, h * n_out, inv_m, s->eta, &flags);
    small_update(s->params.B2, s->grads.B2, gb2, n_out, inv_m, s->eta, &flags);
    return nnc_flags_finite(flags);
}

#ifdef V_PERMUTE
#include "small_fit_simd.h"
#endif

TGT int SMALL_STEP_NAME(const nnc_small_step_args *s, int *diverged)
{
#ifdef V_PERMUTE
    if (s->packed)
        return small_fit_steps(s, diverged);
#endif
    *diverged = 0;
    for (int k = 0; k < s->run.count; k++) {
        const uint32_t *batch = s->run.rows + (size_t)k * (size_t)s->run.m;
        /* The seed's fits (one input, one output) with those loops known. */
        const int finite = s->n_in == 1 && s->n_out == 1
                               ? small_step_body(s, batch, 1, 1)
                               : small_step_body(s, batch, s->n_in, s->n_out);
        if (!finite) {
            *diverged = 1;
            return k + 1;
        }
        if (s->run.after && s->run.after(s->run.after_ctx))
            return k + 1;
    }
    return s->run.count;
}

#undef SMALL_COLS_PAD
