/* The textbook's dropout layer (ch16), not the inverted kind: in training
 * each value is kept or dropped, unscaled; at inference every value is
 * scaled by the share kept, 1 − rate (layer_elements.h). */
#include "kernels/layer_elements.h"
#include "net_private.h"

/* X (m, n) → A (m, n).  Training: mask_ij = (uniform > rate), one draw per
 * value in row-major order from the net's dropout generator, kept in Z for
 * the backward pass; A = X ⊙ mask.  Inference: A = X·(1 − rate). */
static void dropout_forward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows, int m)
{
    (void)ex;
    (void)rows; /* never the first layer: X is the previous layer's A */
    const size_t count = (size_t)m * (size_t)L->n_out;
    const double rate = L->spec.rate;
    if (*L->training) {
        for (size_t i = 0; i < count; i++) {
            L->Z[i] = nnc_rng_uniform(L->rng) > rate ? (nnc_real)1 : (nnc_real)0;
            L->A[i] = X[i] * L->Z[i];
        }
    } else {
        for (size_t i = 0; i < count; i++)
            L->A[i] = nnc_dropout_element(X[i], rate);
    }
}

/* dA (m, n) → dX = dA ⊙ mask (the mask of the last training forward;
 * dX may be dA itself). */
static int dropout_backward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows,
                            int m, const nnc_real *dA, nnc_real *dX, nnc_real *Wt,
                            nnc_descent descent)
{
    (void)ex, (void)X, (void)rows, (void)Wt, (void)descent;
    const size_t count = (size_t)m * (size_t)L->n_out;
    for (size_t i = 0; dX && i < count; i++)
        dX[i] = dA[i] * L->Z[i];
    return 1;
}

const layer_kind nnc_dropout_layer = {.name = "dropout", .forward = dropout_forward,
                                      .backward = dropout_backward};
