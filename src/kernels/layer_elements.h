/* The inference-time arithmetic of the layers that are not dense, one
 * element at a time, written once: the library's batch-norm and dropout
 * layers (src/core) call these, and export-c copies this text into its
 * files (after real_math.h's, as it does activation_elements.h), so that
 * the exported forward pass computes the same bits. */
#ifndef NNC_LAYER_ELEMENTS_H
#define NNC_LAYER_ELEMENTS_H

#include "real_math.h"

/* The textbook's batch-norm epsilon (ch14): x̂ = (x − μ) / √(σ² + eps). */
#define NNC_BATCHNORM_EPS ((nnc_real)1e-5)
/* The running statistics' momentum: r = m·r + (1 − m)·batch value. */
#define NNC_BATCHNORM_MOMENTUM ((nnc_real)0.9)

/* Batch norm with the running statistics: γ·x̂ + β, x̂ = (x − mean) /
 * √(var + eps), each operation rounded to nnc_real. */
static inline nnc_real nnc_batchnorm_element(nnc_real x, nnc_real mean, nnc_real var,
                                             nnc_real gamma, nnc_real beta)
{
    const nnc_real xhat = (x - mean) / R_SQRT(var + NNC_BATCHNORM_EPS);
    return gamma * xhat + beta;
}

/* Dropout at inference: the book's scaling by the share kept, x·(1 − rate)
 * (training drops values and does not scale). */
static inline nnc_real nnc_dropout_element(nnc_real x, double rate)
{
    return x * (nnc_real)(1.0 - rate);
}

#endif
