/* The batch-level kernels of training: matrix products (matrix.c) and the
 * dense layer built on them (dense.c).  Shapes are (rows, columns),
 * row-major. */
#ifndef NNC_KERNELS_H
#define NNC_KERNELS_H

#include "nnc.h"

/* C = A·B.  A is (m, k), B is (k, n); C is (m, n). */
void matmul(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n);
/* C = scale·Aᵀ·B.  A is (m, k), B is (m, n); C is (k, n). */
void matmul_at_b(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n,
                 nnc_real scale);
/* C = A·Bᵀ.  A is (m, n), B is (k, n); C is (m, k). */
void matmul_a_bt(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int n, int k);
/* out = scale·(column sums of A).  A is (m, n); out is (1, n). */
void column_sums(nnc_real *out, const nnc_real *A, int m, int n, nnc_real scale);

/* Z = X·W + B, then A = act(Z).
 * X is (m, n_in), W is (n_in, n_out), B is (1, n_out); Z and A are (m, n_out).
 * act NULL: no activation (A is not written). */
void dense_forward(nnc_real *Z, nnc_real *A, const nnc_real *X, const nnc_real *W,
                   const nnc_real *B, int m, int n_in, int n_out,
                   const nnc_activation_info *act, double param);

/* Given dZ (m, n_out) of this layer:
 *   dW = Xᵀ·dZ / m   (n_in, n_out)
 *   dB = Σrows dZ / m (1, n_out)
 *   dX = dZ·Wᵀ        (m, n_in), skipped when dX is NULL (first layer). */
void dense_backward(nnc_real *dW, nnc_real *dB, nnc_real *dX, const nnc_real *dZ,
                    const nnc_real *X, const nnc_real *W, int m, int n_in, int n_out);

/* dZ = dA ⊙ act'(Z, A), all `count` long; dZ must not alias dA. */
void activation_backward(nnc_real *dZ, const nnc_real *dA, const nnc_real *Z,
                         const nnc_real *A, size_t count, const nnc_activation_info *act,
                         double param);

#endif
