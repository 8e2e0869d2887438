/* The training step of a small network with one hidden layer (the seed's
 * 1-H-1 fits) in one function, on the SIMD paths
 * (small_step_simd.h, compiled in kernels_avx512.c and kernels_avx2.c).
 *
 * For such shapes a training step is a single chain of dependent
 * operations (each weight's gradient feeds the next step's forward pass),
 * and the general path spends more on setting up its products (tiles,
 * masks, transposed copies) and on calls than on the arithmetic.  The
 * fused step computes every element with the same chain of fused
 * multiply-adds, in the same order, so it leaves the same bits. */
#include "kernels.h"

int nnc_small_step_fits(int path, nnc_task task, int n_in, int hidden, int n_out)
{
    if (path != NNC_PATH_AVX512 && path != NNC_PATH_AVX2)
        return 0; /* the portable path keeps the general products */
    /* (softmax mixes a row's outputs: the general path) */
    return (task == NNC_TASK_FITTING || task == NNC_TASK_BINARY) && n_in >= 1 &&
           n_in <= NNC_SMALL_STEP_MAX_IO && n_out >= 1 && n_out <= NNC_SMALL_STEP_MAX_IO &&
           hidden >= 1 && hidden <= NNC_SMALL_STEP_MAX_HIDDEN;
}

int nnc_small_fit_fits(int path, nnc_task task, int n_in, int hidden, int n_out, int m)
{
    const int lanes = 64 / (int)sizeof(nnc_real); /* an AVX-512 vector */
    return path == NNC_PATH_AVX512 && nnc_small_step_fits(path, task, n_in, hidden, n_out) &&
           n_in == 1 && n_out == 1 && 2 * hidden <= lanes && m >= 1 &&
           m <= lanes / hidden * NNC_SMALL_FIT_MAX_GROUPS;
}

int nnc_small_step(const nnc_small_step_args *s, int *diverged)
{
    return s->path == NNC_PATH_AVX512 ? nnc_small_step_avx512(s, diverged)
                                      : nnc_small_step_avx2(s, diverged);
}
