/* Output functions (identity, logistic, softmax: their element functions
 * are kernels/activation_elements.h's), the fused loss gradient, and the
 * textbook's loss and "accuracy" for each task. */
#include "internal.h"
#include "kernels/activation_elements.h"

#include <math.h>
#include <string.h>
#include <strings.h>

static const char *const task_names[] = {"fitting", "binary", "multiclass"};

const char *nnc_task_name(nnc_task task)
{
    return (unsigned)task < 3 ? task_names[task] : "unknown";
}

nnc_status nnc_task_from_name(const char *name, nnc_task *out)
{
    for (int t = 0; t < 3; t++) {
        if (strcasecmp(name, task_names[t]) == 0) {
            *out = (nnc_task)t;
            return NNC_OK;
        }
    }
    return nnc_fail(NNC_ERR_ARGUMENT,
                    "unknown task '%s' (expected fitting, binary or multiclass)", name);
}

void nnc_output_forward(nnc_task task, const nnc_real *Z, nnc_real *A, int m, int n)
{
    size_t count = (size_t)m * (size_t)n;
    switch (task) {
    case NNC_TASK_FITTING:
        if (A != Z)
            memmove(A, Z, count * sizeof *A);
        return;
    case NNC_TASK_BINARY:
        for (size_t i = 0; i < count; i++)
            A[i] = nnc_logistic(Z[i]);
        return;
    case NNC_TASK_MULTICLASS:
        for (int r = 0; r < m; r++)
            nnc_softmax_row(Z + (size_t)r * n, A + (size_t)r * n, n);
        return;
    }
}

void nnc_output_loss_gradient(const nnc_real *A, const nnc_real *Y, nnc_real *dZ, int m,
                              int n)
{
    size_t count = (size_t)m * (size_t)n;
    for (size_t i = 0; i < count; i++)
        dZ[i] = A[i] - Y[i];
}

/* ln(a) with a clamped away from 0, so a confident wrong answer costs a
 * large finite loss instead of Inf. */
static double safe_log(double a) { return log(a > 1e-12 ? a : 1e-12); }

void nnc_metric_accumulate(nnc_task task, const nnc_real *A, const nnc_real *Y, int m,
                           int n, nnc_metric_sums *sums)
{
    size_t count = (size_t)m * (size_t)n;
    switch (task) {
    case NNC_TASK_FITTING:
        for (size_t i = 0; i < count; i++) {
            double e = (double)A[i] - (double)Y[i];
            sums->sq_err_sum += e * e;
            sums->y_sum += Y[i];
            sums->y_sq_sum += (double)Y[i] * Y[i];
        }
        sums->loss_sum = sums->sq_err_sum / 2;
        break;
    case NNC_TASK_BINARY:
        for (size_t i = 0; i < count; i++) {
            double a = A[i], y = Y[i];
            sums->loss_sum -= y * safe_log(a) + (1 - y) * safe_log(1 - a);
            /* numpy's round(0.5) is 0: the answer is 1 only above one half. */
            sums->correct += (a > 0.5) == (y > 0.5);
        }
        break;
    case NNC_TASK_MULTICLASS:
        for (int r = 0; r < m; r++) {
            const nnc_real *a = A + (size_t)r * n, *y = Y + (size_t)r * n;
            int amax = 0, ymax = 0;
            for (int j = 0; j < n; j++) {
                if (y[j] != 0)
                    sums->loss_sum -= y[j] * safe_log(a[j]);
                amax = a[j] > a[amax] ? j : amax;
                ymax = y[j] > y[ymax] ? j : ymax;
            }
            sums->correct += amax == ymax;
        }
        break;
    }
    sums->rows += m;
    sums->values += (long)count;
}

double nnc_metric_loss(const nnc_metric_sums *sums)
{
    return sums->rows > 0 ? sums->loss_sum / (double)sums->rows : NAN;
}

double nnc_metric_accuracy(nnc_task task, const nnc_metric_sums *sums)
{
    if (sums->rows <= 0)
        return NAN;
    switch (task) {
    case NNC_TASK_FITTING: {
        /* R² = 1 − MSE/Var(y): MSE over rows, Var the population variance
         * of all target values (numpy's np.var). */
        double mean = sums->y_sum / (double)sums->values;
        double var = sums->y_sq_sum / (double)sums->values - mean * mean;
        double mse = sums->sq_err_sum / (double)sums->rows;
        return var > 0 ? 1.0 - mse / var : NAN;
    }
    case NNC_TASK_BINARY:
        return sums->correct / (double)sums->values;
    case NNC_TASK_MULTICLASS:
        return sums->correct / (double)sums->rows;
    }
    return NAN;
}
