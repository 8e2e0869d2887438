/* The batch-level kernels of training: matrix products (matrix.c, with the
 * SIMD paths in kernels_avx512.c and kernels_avx2.c) and the fused small
 * steps (small_step.c); the dense layer built on them is src/core/dense.h.
 * Shapes are (rows, columns), row-major.
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

#include "activation_paths.h"
#include "internal.h"
#include "pool.h"

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

/* The SGD update of one parameter, p − step·g: a multiply and a subtract,
 * never contracted into an fma (-ffp-contract=off), so the same bits on
 * every path.  Every place that applies SGD calls it: the optimizer's
 * update (src/core/optimizer.c), the descent fused into the portable
 * product, the fused small step; the SIMD product and the packed small fit
 * apply it to whole vectors as V_SGD (kernels_simd.h), the same two
 * operations on each lane. */
static inline nnc_real nnc_sgd_element(nnc_real p, nnc_real g, nnc_real step)
{
    return p - step * g;
}

/* The SGD step a training step fuses into a layer's weight-gradient
 * products (on: each parameter becomes nnc_sgd_element(p, g, step) as its
 * gradient g comes out of the product), or none (on 0). */
typedef struct nnc_descent {
    int on;
    nnc_real step;
} nnc_descent;

/* How the kernels run: on which path (NNC_PATH_*, available here), and on
 * which threads (pool NULL: the calling thread alone); with blas (only in
 * a build with NNC_HAVE_OPENBLAS), the products go to OpenBLAS where it can
 * express them (kernels_openblas.c), everything else stays on path.  A net
 * keeps one. */
typedef struct nnc_exec {
    int path;
    nnc_pool *pool;
    int blas;
} nnc_exec;

/* The general product, every product below is one of its uses:
 *   C[i][j] = scale·(fma chain over kk of A'(i,kk)·B[kk][j] from start[j])
 * with A' the operand a, B (k, n) the operand b, C (m, n) row-major with
 * row stride ldc (0: n); start NULL means +0, scale applies only when
 * use_scale.
 * When act is not NULL, each finished block of whole rows of C is also
 * passed through act->forward into Aout (same layout as C), while in cache.
 * When u.p is not NULL (same shape as C), the result descends into it
 * instead, U[i][j] = nnc_sgd_element(U[i][j], C[i][j], u.step), and C is
 * scratch, left unspecified. */
typedef struct nnc_gemm_args {
    /* A'(i,kk) = p[R(i)·rs + K(kk)·cs], R(i) = rows_i ? rows_i[i] : i and
     * K(kk) = rows_k ? rows_k[kk] : kk (row tables: a batch's rows read in
     * place from a data set). */
    struct {
        const nnc_real *p;
        size_t rs, cs;
        const uint32_t *rows_i, *rows_k;
    } a;
    /* B: row stride ld (0: n), or (a weight matrix) column panels of
     * `panel` columns instead of row-major (0), see nnc_gemm_panel. */
    struct {
        const nnc_real *p;
        size_t ld;
        int panel;
    } b;
    nnc_real *C;
    size_t ldc; /* C's and Aout's */
    int m, k, n;
    const nnc_real *start;
    int use_scale;
    nnc_real scale;
    const nnc_activation_info *act;
    nnc_real *Aout;
    double param;
    /* The fused SGD step: U (m × n) with row stride ld (0: n) or in column
     * panels as b's, and the step; p NULL: none. */
    struct {
        nnc_real *p;
        size_t ld;
        int panel;
        nnc_real step;
    } u;
    /* A hint: the SIMD paths run the blocks of rows from the one holding
     * this row (0 .. m−1, else 0), wrapping round.  The order of the blocks
     * never changes a value. */
    int first_row;
    nnc_exec ex; /* the path that runs it, and the threads it may use */
} nnc_gemm_args;

/* Runs g on g->ex.path; returns 0 if a descent left a NaN/Inf in U, else 1.
 * No state: the caller (the net, chosen once in nnc_net_create; or a test)
 * says which path and which pool.  With a pool, a product of at least
 * 2·GEMM_MIN_PART (matrix.c; 2M) multiply-adds is cut into blocks of
 * whole rows of C, one per thread: each element is still its one chain,
 * and the activation and the descent are element-wise, so the bits do not
 * change. */
int nnc_gemm(const nnc_gemm_args *g);

/* Column panels: a matrix of r rows and n columns cut into panels of pw
 * columns (the last may be narrower), panel p (columns j0 = p·pw .. j0 +
 * w) stored row-major with row stride w at offset r·j0.  With a pool, a
 * layer's weights live this way through a run of training steps, one
 * panel per thread: each thread then reads (forward) and updates (weight
 * gradient) only its own panel, which stays in its core's cache.  Row-
 * major weights shared so make every forward pass fetch the other core's
 * freshly written half (bench/README.md, "Measurements behind the
 * kernels").  nnc_gemm_panel gives the width for a
 * product of m × k × n on ex (0: not worth splitting, keep row-major);
 * pw is a multiple of 128 bytes of values. */
int nnc_gemm_panel(nnc_exec ex, int m, int k, int n);
/* Dst = Src in panels of pw columns (to_panels) or back (from_panels);
 * both r × n, not overlapping. */
void nnc_to_panels(nnc_real *dst, const nnc_real *src, int r, int n, int pw);
void nnc_from_panels(nnc_real *dst, const nnc_real *src, int r, int n, int pw);

/* The implementation paths.  Every path gives the same bits. */
enum { NNC_PATH_PORTABLE = 0, NNC_PATH_AVX2 = 1, NNC_PATH_AVX512 = 2, NNC_PATH_COUNT = 3 };
/* 1 if this machine (and this build) can run the path (reads CPU features). */
int nnc_kernel_path_available(int path);
/* The fastest path this machine can run (reads CPU features). */
int nnc_kernel_best_path(void);
const char *nnc_kernel_path_name(int path);

/* The kernel path of a net (chosen in nnc_net_create: the best available). */
int nnc_net_kernel_path(const nnc_net *net);
/* Makes the net run on path; returns 0 (and changes nothing) if this
 * machine cannot run it.  For tests and benchmarks. */
int nnc_net_set_kernel_path(nnc_net *net, int path);

#ifdef NNC_HAVE_OPENBLAS
/* The OpenBLAS backend: whether cblas_?gemm can express g (no row tables,
 * no panels, A' row-major or transposed with its leading dimension, m, k,
 * n ≥ 1), and g through it.  Same contract as nnc_gemm, not the same bits:
 * OpenBLAS orders and splits its sums its own way, and folds the descent
 * into the product (U ← U − step·scale·A'B), so results agree with the
 * built-in paths to rounding, not bit for bit.  The bias, the activation
 * and the NaN check are nnc's own, on g->ex.path.  OpenBLAS's own threads
 * (OPENBLAS_NUM_THREADS) run the product; g->ex.pool is not used. */
int nnc_openblas_fits(const nnc_gemm_args *g);
int nnc_gemm_openblas(const nnc_gemm_args *g);
#endif

/* The per-path entry points (same contract as nnc_gemm). */
int nnc_gemm_portable(const nnc_gemm_args *g);
/* Row i of g's C, finished (C's row strides ldc, U's ldu): its descent into
 * U and its activation into Aout, as the portable path does them; returns
 * the NaN/Inf flags of the descended values (nnc_nonfinite_flag). */
nnc_real_bits nnc_gemm_finish_row(const nnc_gemm_args *g, int i, size_t ldc, size_t ldu);
int nnc_gemm_avx2(const nnc_gemm_args *g);
int nnc_gemm_avx512(const nnc_gemm_args *g);

/* The wrappers below all run on ex (a path available here, and a pool). */
/* C = A·B.  A is (m, k), B is (k, n); C is (m, n). */
void nnc_matmul(nnc_exec ex, nnc_real *C, const nnc_real *A, const nnc_real *B, int m, int k,
            int n);
/* Bt = Bᵀ on path (a copy: any path gives B's bits).  B is (k, n); Bt is
 * (n, k). */
void nnc_transpose(int path, nnc_real *Bt, const nnc_real *B, int k, int n);
void nnc_transpose_avx512(nnc_real *Bt, const nnc_real *B, int k, int n);
void nnc_transpose_avx2(nnc_real *Bt, const nnc_real *B, int k, int n);
/* A run of training steps on consecutive batches of m rows: step k takes
 * rows rows[k·m .. k·m + m) of X and Y, read where they are, up to count
 * steps (at least 1).  After each step that leaves the parameters finite,
 * after(after_ctx) when after is not NULL (the trainer draws the next
 * epoch's order there, while the step's arithmetic is still in flight); a
 * nonzero return stops the steps. */
typedef struct nnc_step_run {
    const nnc_real *X, *Y;
    const uint32_t *rows;
    int m, count;
    int (*after)(void *after_ctx);
    void *after_ctx;
} nnc_step_run;

/* The four arrays of a network with one hidden layer (its parameters, or
 * their gradients): W1 (n_in, hidden), B1 (1, hidden), W2 (hidden, n_out),
 * B2 (1, n_out). */
typedef struct nnc_two_layers {
    nnc_real *W1, *B1, *W2, *B2;
} nnc_two_layers;

/* Training steps of a network with one hidden layer, for small shapes
 * (small_step.c): forward pass, gradients, and the SGD step
 * (nnc_sgd_element) with learning rate eta.  The gradients and parameters
 * come out as the net's reference step (src/core/step.c) leaves them, bit
 * for bit. */
typedef struct nnc_small_step_args {
    int path; /* an NNC_PATH_* this machine runs, for which the shape fits */
    nnc_task task;
    int n_in, hidden, n_out;
    const nnc_activation_info *act; /* the hidden layer's, and its parameter */
    double param;
    nnc_two_layers params, grads;
    nnc_real eta;
    /* The packed 1-h-1 fit (small_fit_simd.h) instead of the general
     * small step: only where nnc_small_fit_fits says it takes the shape. */
    int packed;
    nnc_step_run run;
} nnc_small_step_args;

/* The most inputs (and outputs), and hidden units, nnc_small_step takes. */
#define NNC_SMALL_STEP_MAX_IO 8
#define NNC_SMALL_STEP_MAX_HIDDEN 16

/* 1 if nnc_small_step takes this network on path: a SIMD path, a fitting
 * or binary task, at most NNC_SMALL_STEP_MAX_IO inputs and outputs and
 * NNC_SMALL_STEP_MAX_HIDDEN hidden units. */
int nnc_small_step_fits(int path, nnc_task task, int n_in, int hidden, int n_out);
/* At most this many groups of rows (as many rows as fit a vector) in a
 * batch of the packed fit. */
#define NNC_SMALL_FIT_MAX_GROUPS 16
/* 1 if the packed fit takes this network and batch of m rows on path: a
 * shape nnc_small_step_fits takes, on AVX-512 (its lane permutes), 1 input,
 * 1 output, at least two rows a vector (2·hidden ≤ lanes) and at most
 * NNC_SMALL_FIT_MAX_GROUPS vectors of rows. */
int nnc_small_fit_fits(int path, nnc_task task, int n_in, int hidden, int n_out, int m);
/* The steps: returns how many it took (1..count); *diverged gets 1 when
 * the last of them left a parameter NaN or ±Inf (and so stopped them),
 * else 0. */
int nnc_small_step(const nnc_small_step_args *s, int *diverged);
int nnc_small_step_avx512(const nnc_small_step_args *s, int *diverged);
int nnc_small_step_avx2(const nnc_small_step_args *s, int *diverged);

#endif
