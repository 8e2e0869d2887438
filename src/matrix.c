/* The plain reference versions of the matrix products training needs.
 * Loop orders keep the innermost loop running along contiguous rows. */
#include "kernels.h"

#include <string.h>

void matmul(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n)
{
    for (int i = 0; i < m; i++) {
        nnc_real *c = C + (size_t)i * n;
        const nnc_real *a = A + (size_t)i * k;
        memset(c, 0, (size_t)n * sizeof *c);
        for (int p = 0; p < k; p++) {
            const nnc_real aip = a[p], *b = B + (size_t)p * n;
            for (int j = 0; j < n; j++)
                c[j] += aip * b[j];
        }
    }
}

void matmul_at_b(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n,
                 nnc_real scale)
{
    memset(C, 0, (size_t)k * (size_t)n * sizeof *C);
    for (int r = 0; r < m; r++) {
        const nnc_real *a = A + (size_t)r * k, *b = B + (size_t)r * n;
        for (int p = 0; p < k; p++) {
            const nnc_real arp = a[p];
            nnc_real *c = C + (size_t)p * n;
            for (int j = 0; j < n; j++)
                c[j] += arp * b[j];
        }
    }
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
        C[i] *= scale;
}

void matmul_a_bt(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int n, int k)
{
    for (int i = 0; i < m; i++) {
        const nnc_real *a = A + (size_t)i * n;
        for (int j = 0; j < k; j++) {
            const nnc_real *b = B + (size_t)j * n;
            nnc_real s = 0;
            for (int p = 0; p < n; p++)
                s += a[p] * b[p];
            C[(size_t)i * k + j] = s;
        }
    }
}

void column_sums(nnc_real *out, const nnc_real *A, int m, int n, nnc_real scale)
{
    memset(out, 0, (size_t)n * sizeof *out);
    for (int r = 0; r < m; r++) {
        const nnc_real *a = A + (size_t)r * n;
        for (int j = 0; j < n; j++)
            out[j] += a[j];
    }
    for (int j = 0; j < n; j++)
        out[j] *= scale;
}
