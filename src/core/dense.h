/* The dense layer's kernels-level functions (dense.c): the products of a
 * fully-connected layer, on the kernels of src/kernels. */
#ifndef NNC_CORE_DENSE_H
#define NNC_CORE_DENSE_H

#include "kernels/kernels.h"

/* A dense layer's parameters as its kernels see them: W (n_in, n_out),
 * row-major or in column panels of `panel` columns (nnc_gemm_panel; 0:
 * row-major), B (1, n_out), and its activation act (NULL: none) with
 * its parameter. */
typedef struct nnc_dense {
    int n_in, n_out;
    nnc_real *W, *B;
    int panel;
    const nnc_activation_info *act;
    double param;
} nnc_dense;

/* The batch a layer reads: m rows of X (·, n_in), row-major; with rows,
 * rows rows[0..m) of X read where they are. */
typedef struct nnc_batch {
    const nnc_real *X;
    const uint32_t *rows;
    int m;
} nnc_batch;

/* Z = X·W + B (each element fma(x_k, w_kj, ·) over k in order, starting
 * from B[j]), then A = act(Z) (not written when act is NULL); Z and A are
 * (m, n_out). */
void nnc_dense_forward(nnc_exec ex, const nnc_dense *d, nnc_batch in, nnc_real *Z, nnc_real *A);

/* Given dZ (m, n_out) of this layer and its input (as nnc_dense_forward's):
 *   dW = Xᵀ·dZ / m   (n_in, n_out), row-major whatever W's panels
 *   dB = Σrows dZ / m (1, n_out); when dB sits right after dW (as in the
 *                     net's gradient block) and the shape is small, both
 *                     come from one product [Xᵀ; 1…1]·dZ/m (the same bits)
 *   dX = dZ·Wᵀ        (m, n_in), skipped when dX is NULL (first layer);
 *                     Wt is scratch of n_in·n_out values for it.
 * With a descent (the training step), the gradients descend into the
 * parameters straight from their products, W and B each element by
 * nnc_sgd_element (dW and dB are then scratch), and dX is that of W before
 * the update.  Returns 0 if an updated parameter is NaN/Inf. */
int nnc_dense_backward(nnc_exec ex, const nnc_dense *d, nnc_batch in, const nnc_real *dZ,
                   nnc_real *dW, nnc_real *dB, nnc_real *dX, nnc_real *Wt, nnc_descent descent);

/* dZ = dA ⊙ act'(Z, A), all `count` long; dZ must not alias dA.  Long
 * arrays are cut into pieces, one per thread of ex.pool. */
void nnc_activation_backward(nnc_exec ex, nnc_real *dZ, const nnc_real *dA, const nnc_real *Z,
                         const nnc_real *A, size_t count, const nnc_activation_info *act,
                         double param);

#endif
