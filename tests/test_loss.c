/* Output functions, losses and metrics: values, stability, and the fused
 * gradient A − Y checked against finite differences of the loss in Z. */
#include "check.h"
#include "internal.h" /* nnc_output_forward, nnc_output_loss_gradient */

#include <string.h>

/* Loss of the task's output function applied to Z, against Y. */
static double loss_of(nnc_task task, const nnc_real *Z, const nnc_real *Y, int m, int n)
{
    nnc_real A[64];
    nnc_output_forward(task, Z, A, m, n);
    nnc_metric_sums s = {0};
    nnc_metric_accumulate(task, A, Y, m, n, &s);
    return nnc_metric_loss(&s);
}

static void check_fused_gradient(nnc_task task, const nnc_real *Z0, const nnc_real *Y, int m,
                                 int n)
{
    nnc_real Z[64], A[64], dZ[64];
    memcpy(Z, Z0, sizeof(nnc_real) * m * n);
    nnc_output_forward(task, Z, A, m, n);
    nnc_output_loss_gradient(A, Y, dZ, m, n);
    const double h = sizeof(nnc_real) == 8 ? 1e-5 : 1e-2;
    const double tol = sizeof(nnc_real) == 8 ? 1e-7 : 2e-3;
    for (int i = 0; i < m * n; i++) {
        nnc_real keep = Z[i];
        Z[i] = (nnc_real)(keep + h);
        double up = loss_of(task, Z, Y, m, n);
        Z[i] = (nnc_real)(keep - h);
        double down = loss_of(task, Z, Y, m, n);
        Z[i] = keep;
        /* The loss averages over m rows; dZ is not yet divided by m. */
        double numeric = (up - down) / (2 * h) * m;
        CHECK_NEAR(dZ[i], numeric, tol * (1 + fabs(numeric)));
    }
}

int main(void)
{
    /* Fitting: loss MSE/2, accuracy R² with the population variance. */
    nnc_real A[4] = {1, 2, 3, 5}, Y[4] = {1, 2, 4, 4};
    nnc_metric_sums s = {0};
    nnc_metric_accumulate(NNC_TASK_FITTING, A, Y, 4, 1, &s);
    CHECK_NEAR(nnc_metric_loss(&s), 2.0 / 8, 1e-12); /* Σe² = 2, /(2·4) */
    double mean = 11.0 / 4, var = (1 + 4 + 16 + 16) / 4.0 - mean * mean;
    CHECK_NEAR(nnc_metric_accuracy(NNC_TASK_FITTING, &s), 1 - (2.0 / 4) / var, 1e-12);

    /* The same sums over two batches equal one pass. */
    nnc_metric_sums s2 = {0};
    nnc_metric_accumulate(NNC_TASK_FITTING, A, Y, 2, 1, &s2);
    nnc_metric_accumulate(NNC_TASK_FITTING, A + 2, Y + 2, 2, 1, &s2);
    CHECK_NEAR(nnc_metric_loss(&s2), nnc_metric_loss(&s), 1e-15);
    CHECK_NEAR(nnc_metric_accuracy(NNC_TASK_FITTING, &s2),
               nnc_metric_accuracy(NNC_TASK_FITTING, &s), 1e-15);

    /* Logistic output: 0.5 at 0, stable at ±1e4. */
    nnc_real Z[4] = {0, 1e4f, -1e4f, 2}, B[4];
    nnc_output_forward(NNC_TASK_BINARY, Z, B, 4, 1);
    CHECK_NEAR(B[0], 0.5, 1e-7);
    CHECK(B[1] == 1 && B[2] == 0);
    CHECK_NEAR(B[3], 1 / (1 + exp(-2.0)), 1e-7);
    /* A confident wrong answer gives a large but finite loss. */
    nnc_real Yb[4] = {0, 0, 1, 1};
    nnc_metric_sums sb = {0};
    nnc_metric_accumulate(NNC_TASK_BINARY, B, Yb, 4, 1, &sb);
    CHECK(isfinite(nnc_metric_loss(&sb)) && nnc_metric_loss(&sb) > 5);
    /* round(a) == y: a=0.5 counts as 0 (numpy rounds half to even). */
    CHECK_NEAR(nnc_metric_accuracy(NNC_TASK_BINARY, &sb), 2.0 / 4, 1e-12);

    /* Softmax: rows sum to 1, max-shifted so 1e4 does not overflow. */
    nnc_real Zs[6] = {1, 2, 3, 1e4f, 0, -1e4f}, S[6];
    nnc_output_forward(NNC_TASK_MULTICLASS, Zs, S, 2, 3);
    CHECK_NEAR(S[0] + S[1] + S[2], 1, 1e-6);
    CHECK_NEAR(S[2], exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0)), 1e-6);
    CHECK(S[3] == 1 && S[4] == 0 && S[5] == 0);
    nnc_real Ys[6] = {0, 0, 1, 0, 1, 0};
    nnc_metric_sums ss = {0};
    nnc_metric_accumulate(NNC_TASK_MULTICLASS, S, Ys, 2, 3, &ss);
    CHECK_NEAR(nnc_metric_accuracy(NNC_TASK_MULTICLASS, &ss), 0.5, 1e-12);
    CHECK(isfinite(nnc_metric_loss(&ss)));
    CHECK_NEAR(nnc_metric_loss(&ss), (-log(S[2]) - log(1e-12)) / 2, 1e-5);

    /* The fused gradient dZ = A − Y is the derivative of each loss in Z. */
    nnc_real Zf[6] = {0.3f, -1.2f, 0.8f, 2.0f, -0.4f, 0.1f};
    nnc_real Yf[6] = {0.5f, -1.0f, 0.0f, 1.5f, 0.2f, -0.3f};
    check_fused_gradient(NNC_TASK_FITTING, Zf, Yf, 3, 2);
    nnc_real Yb2[6] = {1, 0, 0, 1, 1, 0};
    check_fused_gradient(NNC_TASK_BINARY, Zf, Yb2, 6, 1);
    nnc_real Ym[6] = {0, 1, 0, 0, 0, 1};
    check_fused_gradient(NNC_TASK_MULTICLASS, Zf, Ym, 2, 3);

    /* Names. */
    nnc_task t;
    CHECK_OK(nnc_task_from_name("Multiclass", &t));
    CHECK(t == NNC_TASK_MULTICLASS);
    CHECK_STATUS(nnc_task_from_name("regression", &t), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "regression") != NULL);
    return check_report("test_loss");
}
