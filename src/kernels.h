/* The batch-level kernels of training: matrix products (matrix.c, with the
 * SIMD paths in kernels_avx512.c and kernels_avx2.c) and the dense layer
 * built on them (dense.c).  Shapes are (rows, columns), row-major.
 *
 * Determinism: every element of every product is one chain of fused
 * multiply-adds in a fixed order,
 *     acc = start;  acc = fma(a_k, b_k, acc) for k = 0, 1, ..., K-1
 * (start = the bias for the forward pass, else +0), then at most one
 * rounding multiplication by a scale.  Every path (AVX-512, AVX2, portable
 * fma()) vectorises across output columns and blocks over rows only, never
 * splitting k, so all give the same bits whatever the blocking; cli's
 * export-c writes the same chain for its forward pass. */
#ifndef NNC_KERNELS_H
#define NNC_KERNELS_H

#include "nnc.h"

#if defined(__GNUC__)
#define NNC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NNC_ALWAYS_INLINE inline
#endif

#ifdef NNC_DOUBLE
#define NNC_FMA fma
#else
#define NNC_FMA fmaf
#endif

/* The general product, every product below is one of its uses:
 *   C[i][j] = scale·(fma chain over kk of A'(i,kk)·B[kk][j] from start[j])
 * with A'(i,kk) = A[i·a_rs + kk·a_cs], B (k, n) row-major, C (m, n)
 * row-major; start NULL means +0, scale applies only when use_scale.
 * When act is not NULL, each finished block of whole rows of C is also
 * passed through act->forward into Aout (same layout as C), while in cache. */
typedef struct nnc_gemm_args {
    nnc_real *C;
    const nnc_real *A;
    size_t a_rs, a_cs;
    const nnc_real *B;
    const nnc_real *start;
    int m, k, n;
    int use_scale;
    nnc_real scale;
    const nnc_activation_info *act;
    nnc_real *Aout;
    double param;
} nnc_gemm_args;

void nnc_gemm(const nnc_gemm_args *g);

/* The implementation paths, for tests and benchmarks. */
enum { NNC_PATH_AUTO = -1, NNC_PATH_PORTABLE = 0, NNC_PATH_AVX2 = 1, NNC_PATH_AVX512 = 2,
       NNC_PATH_COUNT = 3 };
/* 1 if this machine (and this build) can run the path. */
int nnc_kernel_path_available(int path);
/* Forces a path (NNC_PATH_AUTO: the best available); returns 0 if the path
 * is not available (nothing changes).  Not thread-safe: tests only. */
int nnc_kernel_force_path(int path);
/* The path nnc_gemm takes now. */
int nnc_kernel_path(void);
const char *nnc_kernel_path_name(int path);

/* The per-path entry points (same contract as nnc_gemm). */
void nnc_gemm_portable(const nnc_gemm_args *g);
void nnc_gemm_avx2(const nnc_gemm_args *g);
void nnc_gemm_avx512(const nnc_gemm_args *g);

/* C = A·B.  A is (m, k), B is (k, n); C is (m, n). */
void matmul(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n);
/* C = scale·Aᵀ·B.  A is (m, k), B is (m, n); C is (k, n). */
void matmul_at_b(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k, int n,
                 nnc_real scale);
/* C = A·Bᵀ.  A is (m, n), B is (k, n); C is (m, k).  Bt is scratch of
 * k·n values (B is transposed into it, so the chain runs along rows). */
void matmul_a_bt(nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int n, int k,
                 nnc_real *Bt);
/* out = scale·(column sums of A).  A is (m, n); out is (1, n). */
void column_sums(nnc_real *out, const nnc_real *A, int m, int n, nnc_real scale);

/* Z = X·W + B (each element fma(x_k, w_kj, ·) over k in order, starting
 * from B[j]), then A = act(Z).
 * X is (m, n_in), W is (n_in, n_out), B is (1, n_out); Z and A are (m, n_out).
 * act NULL: no activation (A is not written). */
void dense_forward(nnc_real *Z, nnc_real *A, const nnc_real *X, const nnc_real *W,
                   const nnc_real *B, int m, int n_in, int n_out,
                   const nnc_activation_info *act, double param);

/* Given dZ (m, n_out) of this layer:
 *   dW = Xᵀ·dZ / m   (n_in, n_out)
 *   dB = Σrows dZ / m (1, n_out)
 *   dX = dZ·Wᵀ        (m, n_in), skipped when dX is NULL (first layer);
 *                     Wt is scratch of n_in·n_out values for it. */
void dense_backward(nnc_real *dW, nnc_real *dB, nnc_real *dX, const nnc_real *dZ,
                    const nnc_real *X, const nnc_real *W, int m, int n_in, int n_out,
                    nnc_real *Wt);

/* dZ = dA ⊙ act'(Z, A), all `count` long; dZ must not alias dA. */
void activation_backward(nnc_real *dZ, const nnc_real *dA, const nnc_real *Z,
                         const nnc_real *A, size_t count, const nnc_activation_info *act,
                         double param);

#endif
