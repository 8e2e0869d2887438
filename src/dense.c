/* The fully-connected layer: dense_forward / dense_backward pairs. */
#include "kernels.h"

void dense_forward(nnc_real *Z, nnc_real *A, const nnc_real *X, const nnc_real *W,
                   const nnc_real *B, int m, int n_in, int n_out,
                   const nnc_activation_info *act, double param)
{
    /* One pass: each Z[i][j] starts at B[j] and gathers X[i][p]·W[p][j]
     * for p in order; each finished block of rows goes through act. */
    nnc_gemm_args g = {.C = Z, .A = X, .a_rs = (size_t)n_in, .a_cs = 1, .B = W, .start = B,
                       .m = m, .k = n_in, .n = n_out, .act = act, .Aout = A,
                       .param = param};
    nnc_gemm(&g);
}

void dense_backward(nnc_real *dW, nnc_real *dB, nnc_real *dX, const nnc_real *dZ,
                    const nnc_real *X, const nnc_real *W, int m, int n_in, int n_out,
                    nnc_real *Wt)
{
    const nnc_real inv_m = (nnc_real)1 / (nnc_real)m;
    matmul_at_b(dW, X, dZ, m, n_in, n_out, inv_m);
    column_sums(dB, dZ, m, n_out, inv_m);
    if (dX)
        matmul_a_bt(dX, dZ, W, m, n_out, n_in, Wt);
}

void activation_backward(nnc_real *dZ, const nnc_real *dA, const nnc_real *Z,
                         const nnc_real *A, size_t count, const nnc_activation_info *act,
                         double param)
{
    /* First dZ = f'(Z, A), then dZ ⊙= dA. */
    act->derivative_fn(Z, A, dZ, count, param);
    for (size_t i = 0; i < count; i++)
        dZ[i] *= dA[i];
}
