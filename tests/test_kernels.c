/* The matrix kernels: every path this machine can run (portable, AVX2,
 * AVX-512) against a plain reference loop with the same chain of fused
 * multiply-adds, bit for bit, for the three products of training (forward
 * with bias and activation, dW = Xᵀ·dZ/m, dX = dZ·Wᵀ) over many shapes:
 * 1×1, odd sizes, sizes around the vector widths, and 64×784×128. */
#include "check.h"
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

static nnc_rng rng;

static nnc_real *random_matrix(size_t count)
{
    nnc_real *v = malloc((count ? count : 1) * sizeof *v);
    for (size_t i = 0; i < count; i++) {
        /* Mixed magnitudes, so that the rounding of each step matters. */
        double u = 2 * nnc_rng_uniform(&rng) - 1;
        v[i] = (nnc_real)(u * (i % 7 == 0 ? 1000.0 : i % 3 == 0 ? 1e-3 : 1.0));
    }
    return v;
}

/* The contract of kernels.h, written out: start (or +0), one fma per kk in
 * order, then the scale. */
static void reference(nnc_real *C, const nnc_real *A, size_t a_rs, size_t a_cs,
                      const nnc_real *B, const nnc_real *start, int m, int k, int n,
                      int use_scale, nnc_real scale)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            nnc_real acc = start ? start[j] : 0;
            for (int kk = 0; kk < k; kk++)
                acc = NNC_FMA(A[i * a_rs + kk * a_cs], B[(size_t)kk * n + j], acc);
            C[(size_t)i * n + j] = use_scale ? acc * scale : acc;
        }
}

static int same_bits(const nnc_real *a, const nnc_real *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Forward (Z = X·W + B, A = relu(Z)), dW = Xᵀ·dZ·s and dX = dZ·Wᵀ for one
 * shape on the current path. */
static void check_shape(int m, int k, int n)
{
    const nnc_activation_info *relu = nnc_activation_get(NNC_ACT_RELU);
    nnc_real *X = random_matrix((size_t)m * k), *W = random_matrix((size_t)k * n);
    nnc_real *B = random_matrix((size_t)n), *dZ = random_matrix((size_t)m * n);
    nnc_real *Z = calloc((size_t)m * n, sizeof *Z), *A = calloc((size_t)m * n, sizeof *A);
    nnc_real *R = calloc((size_t)m * n, sizeof *R), *RA = calloc((size_t)m * n, sizeof *RA);
    nnc_real *dW = calloc((size_t)k * n, sizeof *dW), *RW = calloc((size_t)k * n, sizeof *RW);
    nnc_real *dX = calloc((size_t)m * k, sizeof *dX), *RX = calloc((size_t)m * k, sizeof *RX);
    nnc_real *Wt = calloc((size_t)k * n, sizeof *Wt);

    /* Forward with bias and the activation fused. */
    dense_forward(Z, A, X, W, B, m, k, n, relu, 0);
    reference(R, X, (size_t)k, 1, W, B, m, k, n, 0, 0);
    relu->forward(R, RA, (size_t)m * n, 0);
    int ok_z = same_bits(Z, R, (size_t)m * n), ok_a = same_bits(A, RA, (size_t)m * n);
    /* Plain matmul (start +0, no activation). */
    matmul(Z, X, W, m, k, n);
    reference(R, X, (size_t)k, 1, W, NULL, m, k, n, 0, 0);
    int ok_mm = same_bits(Z, R, (size_t)m * n);
    /* dW = Xᵀ·dZ / m: row p of dW gathers X[r][p]·dZ[r][j] over r. */
    const nnc_real s = (nnc_real)1 / (nnc_real)m;
    matmul_at_b(dW, X, dZ, m, k, n, s);
    reference(RW, X, 1, (size_t)k, dZ, NULL, k, m, n, 1, s);
    int ok_w = same_bits(dW, RW, (size_t)k * n);
    /* dX = dZ·Wᵀ: dX[i][p] gathers dZ[i][j]·W[p][j] over j. */
    matmul_a_bt(dX, dZ, W, m, n, k, Wt);
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) {
            nnc_real acc = 0;
            for (int j = 0; j < n; j++)
                acc = NNC_FMA(dZ[(size_t)i * n + j], W[(size_t)p * n + j], acc);
            RX[(size_t)i * k + p] = acc;
        }
    int ok_x = same_bits(dX, RX, (size_t)m * k);
    if (!(ok_z && ok_a && ok_mm && ok_w && ok_x))
        fprintf(stderr, "path %s, m=%d k=%d n=%d: Z %d A %d matmul %d dW %d dX %d\n",
                nnc_kernel_path_name(nnc_kernel_path()), m, k, n, ok_z, ok_a, ok_mm, ok_w,
                ok_x);
    CHECK(ok_z && ok_a && ok_mm && ok_w && ok_x);
    free(X), free(W), free(B), free(dZ), free(Z), free(A), free(R), free(RA);
    free(dW), free(RW), free(dX), free(RX), free(Wt);
}

/* The test has teeth: for the large shape, an unfused a*b + c chain (or one
 * that adds the bias last) gives different bits somewhere. */
static void check_fma_matters(void)
{
    int m = 64, k = 784, n = 128;
    nnc_real *X = random_matrix((size_t)m * k), *W = random_matrix((size_t)k * n);
    nnc_real *B = random_matrix((size_t)n);
    nnc_real *Z = calloc((size_t)m * n, sizeof *Z);
    dense_forward(Z, NULL, X, W, B, m, k, n, NULL, 0);
    int differ = 0;
    for (int i = 0; i < m && !differ; i++)
        for (int j = 0; j < n; j++) {
            nnc_real acc = 0;
            for (int kk = 0; kk < k; kk++)
                acc += X[(size_t)i * k + kk] * W[(size_t)kk * n + j];
            acc += B[j];
            if (memcmp(&acc, &Z[(size_t)i * n + j], sizeof acc) != 0)
                differ = 1;
        }
    CHECK(differ);
    free(X), free(W), free(B), free(Z);
}

int main(void)
{
    nnc_rng_seed(&rng, 11);
    static const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17,
                                23, 24, 25, 31, 32, 33, 47, 48, 49, 64, 65};
    const int n_sizes = (int)(sizeof sizes / sizeof *sizes);
    int tested = 0;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_force_path(path)) {
            printf("path %s: not available here, skipped\n", nnc_kernel_path_name(path));
            continue;
        }
        CHECK(nnc_kernel_path() == path);
        tested++;
        int before = check_failures;
        /* Every m and n over the list (they cover the tile edges), with a
         * few depths; then the shapes of a 784-128-64-10 network. */
        for (int a = 0; a < n_sizes; a++)
            for (int b = 0; b < n_sizes; b++)
                check_shape(sizes[a], sizes[(a + b) % 5 == 0 ? b : (a * 7 + b) % n_sizes],
                            sizes[b]);
        for (int a = 0; a < n_sizes; a++)
            for (int b = 0; b < n_sizes; b++)
                check_shape(sizes[a], 1 + (a * 31 + b * 17) % 100, sizes[b]);
        check_shape(64, 784, 128);
        check_shape(64, 128, 64);
        check_shape(64, 64, 10);
        check_shape(10, 1, 3);
        check_shape(10, 3, 1);
        check_shape(13, 200, 129);
        printf("path %s: %s\n", nnc_kernel_path_name(path),
               check_failures == before ? "bit for bit" : "MISMATCH");
    }
    CHECK(tested >= 1);
    CHECK(nnc_kernel_force_path(NNC_PATH_AUTO));
    check_fma_matters();
    return check_report("test_kernels");
}
