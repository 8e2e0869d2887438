/* The textbook's batch norm layer (ch14), with the activation after it:
 * A = f(γ ⊙ x̂ + β).  In training x̂ normalises each column by the batch's
 * mean and population variance, and the running statistics follow them
 * (momentum 0.9); at inference the running statistics stand in for them
 * (nnc_batchnorm_element, which export-c shares). */
#include "kernels/layer_elements.h"
#include "net_private.h"

/* Training: the batch's μ and 1/√(σ² + eps) per column of X (m, n), x̂, and
 * the running statistics updated. */
static void batch_statistics(layer *L, const nnc_real *X, int m)
{
    const int n = L->n_out;
    const nnc_real mom = NNC_BATCHNORM_MOMENTUM, rest = (nnc_real)1 - NNC_BATCHNORM_MOMENTUM;
    for (int j = 0; j < n; j++) {
        double sum = 0, squares = 0;
        for (int r = 0; r < m; r++)
            sum += X[(size_t)r * n + j];
        const double mu = sum / m;
        for (int r = 0; r < m; r++) {
            const double d = X[(size_t)r * n + j] - mu;
            squares += d * d;
        }
        const nnc_real var = (nnc_real)(squares / m);
        L->mean[j] = (nnc_real)mu;
        L->inv_std[j] = (nnc_real)1 / R_SQRT(var + NNC_BATCHNORM_EPS);
        L->running_mean[j] = mom * L->running_mean[j] + rest * L->mean[j];
        L->running_var[j] = mom * L->running_var[j] + rest * var;
    }
    for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++) {
            const size_t i = (size_t)r * n + j;
            L->xhat[i] = (X[i] - L->mean[j]) * L->inv_std[j];
        }
}

/* X (m, n) → Z = γ ⊙ x̂ + β (m, n), A = f(Z). */
static void batchnorm_forward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows,
                              int m)
{
    (void)rows; /* never the first layer */
    const int n = L->n_out;
    const nnc_real *gamma = L->W, *beta = L->B;
    if (*L->training) {
        batch_statistics(L, X, m);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) {
                const size_t i = (size_t)r * n + j;
                L->Z[i] = gamma[j] * L->xhat[i] + beta[j];
            }
    } else {
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) {
                const size_t i = (size_t)r * n + j;
                L->Z[i] = nnc_batchnorm_element(X[i], L->running_mean[j], L->running_var[j],
                                                gamma[j], beta[j]);
            }
    }
    nnc_activation_forward_on(ex.path, L->act, L->Z, L->A, (size_t)m * n, L->spec.param);
}

/* dA (m, n) → dZ = dA ⊙ f'(Z, A); dγ = Σrows dZ ⊙ x̂ / m, dβ = Σrows dZ / m;
 * dX = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) with dx̂ = dZ ⊙ γ, the
 * batch statistics' own gradients included (per-row gradients, as the
 * dense layer's dX). */
static int batchnorm_backward(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows,
                              int m, const nnc_real *dA, nnc_real *dX, nnc_real *Wt,
                              nnc_descent descent)
{
    (void)X, (void)rows, (void)Wt, (void)descent;
    const int n = L->n_out;
    nnc_activation_backward(ex, L->dZ, dA, L->Z, L->A, (size_t)m * n, L->act, L->spec.param);
    const nnc_real *gamma = L->W;
    for (int j = 0; j < n; j++) {
        double sum = 0, sum_xhat = 0;
        for (int r = 0; r < m; r++) {
            const size_t i = (size_t)r * n + j;
            sum += L->dZ[i];
            sum_xhat += (double)L->dZ[i] * L->xhat[i];
        }
        L->dB[j] = (nnc_real)(sum / m);
        L->dW[j] = (nnc_real)(sum_xhat / m);
        if (!dX)
            continue;
        const double mean_d = sum * gamma[j] / m, mean_dx = sum_xhat * gamma[j] / m;
        for (int r = 0; r < m; r++) {
            const size_t i = (size_t)r * n + j;
            const double dxhat = (double)L->dZ[i] * gamma[j];
            dX[i] = (nnc_real)(L->inv_std[j] * (dxhat - mean_d - L->xhat[i] * mean_dx));
        }
    }
    return 1;
}

const layer_kind nnc_batchnorm_layer = {.name = "batchnorm", .forward = batchnorm_forward,
                                        .backward = batchnorm_backward};
