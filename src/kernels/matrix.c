/* The matrix products training needs, all through nnc_gemm: its portable
 * path here, the SIMD paths in kernels_avx512.c / kernels_avx2.c, and the
 * run-time choice between them.  See kernels.h for the one order of
 * operations every path keeps. */
#include "kernels.h"

#include "internal.h"

#include <math.h>
#include <string.h>

/* The portable path: row by row, C's row starts at start (or +0) and
 * gathers fma(A'(i,kk), B[kk][j], ·) for kk in order, which keeps the inner
 * loop along contiguous rows of B and C. */
int nnc_gemm_portable(const nnc_gemm_args *g)
{
    const int m = g->m, k = g->k, n = g->n;
    const size_t ldb = g->b.ld ? g->b.ld : (size_t)n, ldc = g->ldc ? g->ldc : (size_t)n,
                 ldu = g->u.ld ? g->u.ld : (size_t)n;
    nnc_real_bits flags = 0;
    for (int i = 0; i < m; i++) {
        nnc_real *c = g->C + (size_t)i * ldc;
        const size_t r = g->a.rows_i ? g->a.rows_i[i] : (uint32_t)i;
        const nnc_real *a = g->a.p + r * g->a.rs;
        if (g->start)
            memcpy(c, g->start, (size_t)n * sizeof *c);
        else
            for (int j = 0; j < n; j++)
                c[j] = 0;
        for (int kk = 0; kk < k; kk++) {
            const size_t kr = g->a.rows_k ? g->a.rows_k[kk] : (uint32_t)kk;
            const nnc_real aik = a[kr * g->a.cs], *b = g->b.p + (size_t)kk * ldb;
            for (int j = 0; j < n; j++)
                c[j] = NNC_FMA(aik, b[j], c[j]);
        }
        if (g->use_scale)
            for (int j = 0; j < n; j++)
                c[j] *= g->scale;
        flags |= nnc_gemm_finish_row(g, i, ldc, ldu);
    }
    return nnc_flags_finite(flags);
}

nnc_real_bits nnc_gemm_finish_row(const nnc_gemm_args *g, int i, size_t ldc, size_t ldu)
{
    const nnc_real *c = g->C + (size_t)i * ldc;
    nnc_real_bits flags = 0;
    if (g->u.p) {
        nnc_real *u = g->u.p + (size_t)i * ldu;
        for (int j = 0; j < g->n; j++) {
            u[j] = nnc_sgd_element(u[j], c[j], g->u.step);
            flags |= nnc_nonfinite_flag(u[j]);
        }
    }
    if (g->act)
        nnc_activation_forward_on(g->ex.path, g->act, c, g->Aout + (size_t)i * ldc,
                                  (size_t)g->n, g->param);
    return flags;
}

/* The paths this machine can run: pure reads of the CPU's features.  The
 * choice is made by the caller (nnc_net_create keeps it in the net) and
 * travels in nnc_gemm_args, so there is no global state here. */
int nnc_kernel_path_available(int path)
{
    switch (path) {
    case NNC_PATH_PORTABLE:
        return 1;
#if defined(__GNUC__) && defined(__x86_64__)
    case NNC_PATH_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case NNC_PATH_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

int nnc_kernel_best_path(void)
{
    if (nnc_kernel_path_available(NNC_PATH_AVX512))
        return NNC_PATH_AVX512;
    if (nnc_kernel_path_available(NNC_PATH_AVX2))
        return NNC_PATH_AVX2;
    return NNC_PATH_PORTABLE;
}

const char *nnc_kernel_path_name(int path)
{
    static const char *const names[] = {"portable", "avx2", "avx512"};
    return path >= 0 && path < NNC_PATH_COUNT ? names[path] : "unknown";
}

/* g on its path, in this thread. */
static int gemm_here(const nnc_gemm_args *g)
{
    switch (g->ex.path) {
    case NNC_PATH_AVX512:
        return nnc_gemm_avx512(g);
    case NNC_PATH_AVX2:
        return nnc_gemm_avx2(g);
    default:
        return nnc_gemm_portable(g);
    }
}

/* The fewest multiply-adds (m·k·n) worth a thread of their own: below it,
 * handing a piece to another core costs more than it saves.  A product
 * alone, its operands hot in the caller's cache, gains from a few hundred
 * thousand multiply-adds on; inside a training step the pieces' inputs and
 * outputs move between the cores' caches, and only products of millions
 * gain: cut from 2M on, a 784-128-64-10 net's first layer (batch 64: 6.4M)
 * is split and its smaller layers stay whole (bench/README.md,
 * "Measurements behind the kernels"). */
#define GEMM_MIN_PART 1000000.0

typedef struct gemm_split {
    const nnc_gemm_args *g;
    unsigned char finite[NNC_MAX_THREADS]; /* each piece's verdict */
} gemm_split;

/* Piece `part` of a product cut into blocks of rows [i0, i1) of C, A'
 * (through its row table if it has one), Aout and U: the same k and n, so
 * every element is the same chain.  (Blocks of columns would give the same
 * bits too, but a core's hardware prefetcher then runs into the lines its
 * neighbour is writing, row after row.) */
static void gemm_rows(void *arg, int part, int parts)
{
    gemm_split *split = arg;
    const nnc_gemm_args *g = split->g;
    size_t i0, i1;
    nnc_pool_piece((size_t)g->m, part, parts, 1, &i0, &i1);
    nnc_gemm_args piece = *g;
    const size_t ldc = g->ldc ? g->ldc : (size_t)g->n, ldu = g->u.ld ? g->u.ld : (size_t)g->n;
    piece.m = (int)(i1 - i0);
    piece.C = g->C + i0 * ldc;
    if (g->a.rows_i)
        piece.a.rows_i = g->a.rows_i + i0;
    else
        piece.a.p = g->a.p + i0 * g->a.rs;
    if (g->act)
        piece.Aout = g->Aout + i0 * ldc;
    if (g->u.p)
        piece.u.p = g->u.p + i0 * ldu;
    split->finite[part] = (unsigned char)(piece.m > 0 ? gemm_here(&piece) : 1);
}

/* g with a pool: cut into pieces when it is large enough. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int gemm_shared(const nnc_gemm_args *g)
{
    int parts = nnc_pool_parts(g->ex.pool, (double)g->m * g->k * g->n, GEMM_MIN_PART, g->m);
    if (parts == 1)
        return gemm_here(g);
    gemm_split split = {.g = g};
    nnc_pool_run(g->ex.pool, gemm_rows, &split, parts);
    int finite = 1;
    for (int t = 0; t < parts; t++)
        finite &= split.finite[t];
    return finite;
}

/* Panels are cut at multiples of 128 bytes: two cache lines, whole
 * vectors of every path. */
#define PANEL_ALIGN (128 / sizeof(nnc_real))

int nnc_gemm_panel(nnc_exec ex, int m, int k, int n)
{
    if (ex.blas) /* OpenBLAS takes whole row-major operands */
        return 0;
    int parts = ex.pool ? nnc_pool_parts(ex.pool, (double)m * k * n, GEMM_MIN_PART,
                                         (int)((size_t)n / PANEL_ALIGN)) : 1;
    if (parts < 2)
        return 0;
    size_t pw = ((size_t)n + (size_t)parts - 1) / (size_t)parts;
    pw = (pw + PANEL_ALIGN - 1) / PANEL_ALIGN * PANEL_ALIGN;
    return pw < (size_t)n ? (int)pw : 0;
}

/* Panel p of a matrix of r rows, n columns in panels of pw: its first
 * column j0 and width w; the panel starts at offset r·j0. */
#define PANEL_BOUNDS(p, n, pw, j0, w)                                                     \
    const size_t j0 = (size_t)(p) * (size_t)(pw);                                         \
    const size_t w = (size_t)(n) - j0 < (size_t)(pw) ? (size_t)(n) - j0 : (size_t)(pw)

void nnc_to_panels(nnc_real *dst, const nnc_real *src, int r, int n, int pw)
{
    for (int p = 0; p * pw < n; p++) {
        PANEL_BOUNDS(p, n, pw, j0, w);
        for (size_t i = 0; i < (size_t)r; i++)
            memcpy(dst + (size_t)r * j0 + i * w, src + i * (size_t)n + j0, w * sizeof *dst);
    }
}

void nnc_from_panels(nnc_real *dst, const nnc_real *src, int r, int n, int pw)
{
    for (int p = 0; p * pw < n; p++) {
        PANEL_BOUNDS(p, n, pw, j0, w);
        for (size_t i = 0; i < (size_t)r; i++)
            memcpy(dst + i * (size_t)n + j0, src + (size_t)r * j0 + i * w, w * sizeof *dst);
    }
}

/* Panel `p` of a product whose B or U is in panels: the columns [j0, j0 +
 * w) of C, Aout, start and the plain operands, the panel of the panelled
 * one, each with its own row stride. */
static int gemm_panel(const nnc_gemm_args *g, int p)
{
    const int pw = g->b.panel ? g->b.panel : g->u.panel;
    PANEL_BOUNDS(p, g->n, pw, j0, w);
    nnc_gemm_args piece = *g;
    piece.n = (int)w;
    piece.b.panel = piece.u.panel = 0;
    /* Each panel's product starts at its own block of rows (panel p of P
     * at row p·m/P, wrapping round): the threads' first fetches of a
     * batch's rows from memory are then different rows, not the same ones
     * twice. */
    piece.first_row = (int)((long long)p * g->m / ((g->n + pw - 1) / pw));
    piece.ldc = g->ldc ? g->ldc : (size_t)g->n;
    piece.C = g->C + j0;
    if (g->act)
        piece.Aout = g->Aout + j0;
    if (g->start)
        piece.start = g->start + j0;
    if (g->b.panel) {
        piece.b.p = g->b.p + (size_t)g->k * j0;
        piece.b.ld = w;
    } else {
        piece.b.p = g->b.p + j0;
        piece.b.ld = g->b.ld ? g->b.ld : (size_t)g->n;
    }
    if (g->u.p && g->u.panel) {
        piece.u.p = g->u.p + (size_t)g->m * j0;
        piece.u.ld = w;
    } else if (g->u.p) {
        piece.u.p = g->u.p + j0;
        piece.u.ld = g->u.ld ? g->u.ld : (size_t)g->n;
    }
    return gemm_here(&piece);
}

static void gemm_panel_task(void *arg, int p, int parts)
{
    gemm_split *split = arg;
    (void)parts;
    split->finite[p] = (unsigned char)gemm_panel(split->g, p);
}

/* g with B or U in panels: one task a panel, on the pool when the product
 * is worth splitting (else one after the other here). */
static int gemm_panels(const nnc_gemm_args *g)
{
    const int pw = g->b.panel ? g->b.panel : g->u.panel;
    const int panels = (g->n + pw - 1) / pw;
    int finite = 1;
    if (g->ex.pool && panels > 1 && panels <= NNC_MAX_TASKS &&
        (double)g->m * g->k * g->n >= 2 * GEMM_MIN_PART) {
        gemm_split split = {.g = g};
        nnc_pool_run(g->ex.pool, gemm_panel_task, &split, panels);
        for (int p = 0; p < panels; p++)
            finite &= split.finite[p];
    } else {
        for (int p = 0; p < panels; p++)
            finite &= gemm_panel(g, p);
    }
    return finite;
}

int nnc_gemm(const nnc_gemm_args *g)
{
#ifdef NNC_HAVE_OPENBLAS
    if (g->ex.blas && nnc_openblas_fits(g))
        return nnc_gemm_openblas(g);
#endif
    if (g->b.panel || g->u.panel)
        return gemm_panels(g);
    /* No pool (tiny nets, the default): straight to the kernel, the pool's
     * arithmetic kept out of this path. */
    return g->ex.pool ? gemm_shared(g) : gemm_here(g);
}

void nnc_matmul(nnc_exec ex, nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k,
            int n)
{
    nnc_gemm_args g = {.a = {.p = A, .rs = (size_t)k, .cs = 1}, .b = {.p = B}, .C = C, .m = m,
                       .k = k, .n = n, .ex = ex};
    nnc_gemm(&g);
}

void nnc_transpose(int path, nnc_real *Bt, const nnc_real *B, int k, int n)
{
    switch (path) {
    case NNC_PATH_AVX512:
        nnc_transpose_avx512(Bt, B, k, n);
        return;
    case NNC_PATH_AVX2:
        nnc_transpose_avx2(Bt, B, k, n);
        return;
    default:
        for (int j = 0; j < k; j++) {
            const nnc_real *b = B + (size_t)j * n;
            for (int p = 0; p < n; p++)
                Bt[(size_t)p * k + j] = b[p];
        }
    }
}
