/* The activation kernels compiled once per kernel path (portable, AVX2,
 * AVX-512: activation_kernels.h included by core/activation.c,
 * activation_avx2.c and activation_avx512.c), and the calls that pick the
 * path's copy.  Every copy gives the same bits; the catalogue's own
 * forward and derivative_fn are the portable ones. */
#ifndef NNC_ACTIVATION_PATHS_H
#define NNC_ACTIVATION_PATHS_H

#include "nnc.h"

typedef struct nnc_act_kernels {
    nnc_act_forward_fn forward;
    nnc_act_derivative_fn derivative;
} nnc_act_kernels;

/* The SIMD paths' tables, indexed by nnc_activation (they exist on x86-64
 * GCC/Clang builds only). */
extern const nnc_act_kernels nnc_act_kernels_avx2[NNC_ACT_COUNT];
extern const nnc_act_kernels nnc_act_kernels_avx512[NNC_ACT_COUNT];

/* act->forward / act->derivative_fn compiled for `path` (an NNC_PATH_* this
 * machine runs; activation_paths.c). */
void nnc_activation_forward_on(int path, const nnc_activation_info *act, const nnc_real *z,
                               nnc_real *a, size_t n, double param);
void nnc_activation_derivative_on(int path, const nnc_activation_info *act,
                                  const nnc_real *z, const nnc_real *a, nnc_real *d,
                                  size_t n, double param);

#endif
