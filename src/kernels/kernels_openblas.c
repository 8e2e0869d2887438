/* The OpenBLAS backend (kernels.h): nnc_gemm's products handed to
 * cblas_sgemm (cblas_dgemm in the double build).  Built only when CMake
 * finds OpenBLAS (NNC_OPENBLAS), used only by a net switched to it
 * (nnc_net_set_kernels(net, "openblas")); tests/test_kernels.c checks it
 * against the built-in kernels.
 *
 * Not bit for bit with them, by design: OpenBLAS orders and splits its
 * sums its own way, and a weight gradient's SGD step is folded into its
 * product (U ← U − step·scale·A'B, one gemm with beta 1) instead of
 * nnc_sgd_element on the rounded gradient; that is its speed.  Where a
 * product keeps a separate update (with a start), it is nnc_sgd_element. */
#include "kernels.h"

#include "internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#ifdef NNC_DOUBLE
#define CBLAS_GEMM cblas_dgemm
#else
#define CBLAS_GEMM cblas_sgemm
#endif

/* A' (m, k) as BLAS sees it: row-major with leading dimension lda (NoTrans),
 * or the transpose of a row-major (k, m) (Trans); 0 if neither. */
static int a_layout(const nnc_gemm_args *g, enum CBLAS_TRANSPOSE *trans, int *lda)
{
    if (g->a.rows_i || g->a.rows_k)
        return 0;
    if (g->a.cs == 1 && (g->a.rs >= (size_t)g->k || g->m == 1)) {
        *trans = CblasNoTrans;
        *lda = g->m == 1 ? g->k : (int)g->a.rs;
        return g->a.rs <= (size_t)INT_MAX;
    }
    if (g->a.rs == 1 && (g->a.cs >= (size_t)g->m || g->k == 1)) {
        *trans = CblasTrans;
        *lda = g->k == 1 ? g->m : (int)g->a.cs;
        return g->a.cs <= (size_t)INT_MAX;
    }
    return 0;
}

int nnc_openblas_fits(const nnc_gemm_args *g)
{
    enum CBLAS_TRANSPOSE trans;
    int lda;
    return g->m >= 1 && g->k >= 1 && g->n >= 1 && !g->b.panel && !g->u.panel &&
           a_layout(g, &trans, &lda);
}

/* 1 if the (m, n) block at M (row stride ld) is all finite. */
static int block_finite(const nnc_real *M, int m, int n, size_t ld)
{
    int finite = 1;
    for (int i = 0; i < m; i++)
        finite &= nnc_all_finite(M + (size_t)i * ld, (size_t)n);
    return finite;
}

int nnc_gemm_openblas(const nnc_gemm_args *g)
{
    enum CBLAS_TRANSPOSE trans = CblasNoTrans;
    int lda = 0;
    (void)a_layout(g, &trans, &lda);
    const int m = g->m, k = g->k, n = g->n;
    const size_t ldb = g->b.ld ? g->b.ld : (size_t)n, ldc = g->ldc ? g->ldc : (size_t)n,
                 ldu = g->u.ld ? g->u.ld : (size_t)n;
    const nnc_real alpha = g->use_scale ? g->scale : (nnc_real)1;
    if (g->u.p && !g->start) {
        /* The descent in the product: U ← U − step·scale·A'B (C unused). */
        CBLAS_GEMM(CblasRowMajor, trans, CblasNoTrans, m, n, k, -g->u.step * alpha, g->a.p, lda,
                   g->b.p, (int)ldb, 1, g->u.p, (int)ldu);
        return block_finite(g->u.p, m, n, ldu);
    }
    /* C = scale·(start + A'B): C's rows start as the bias, beta = scale. */
    if (g->start)
        for (int i = 0; i < m; i++)
            memcpy(g->C + (size_t)i * ldc, g->start, (size_t)n * sizeof *g->C);
    CBLAS_GEMM(CblasRowMajor, trans, CblasNoTrans, m, n, k, alpha, g->a.p, lda, g->b.p, (int)ldb,
               g->start ? alpha : 0, g->C, (int)ldc);
    /* Then row by row, as nnc's portable path: the descent, the activation. */
    nnc_real_bits flags = 0;
    for (int i = 0; i < m; i++)
        flags |= nnc_gemm_finish_row(g, i, ldc, ldu);
    return nnc_flags_finite(flags);
}
