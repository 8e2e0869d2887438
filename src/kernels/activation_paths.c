/* The activation kernels of a kernel path: the SIMD paths' own copies, and
 * on the portable path the catalogue row's functions, which are the
 * portable copy (core/activation.c).  Taking them from the row, not by
 * name, keeps the kernels free of any reference into core. */
#include "activation_paths.h"
#include "kernels.h"

/* The SIMD path's copy of act's kernels, or NULL for the portable path. */
static const nnc_act_kernels *simd_kernels(int path, const nnc_activation_info *act)
{
    switch (path) {
#if defined(__GNUC__) && defined(__x86_64__)
    case NNC_PATH_AVX512:
        return &nnc_act_kernels_avx512[act->id];
    case NNC_PATH_AVX2:
        return &nnc_act_kernels_avx2[act->id];
#endif
    default:
        return NULL;
    }
}

void nnc_activation_forward_on(int path, const nnc_activation_info *act, const nnc_real *z,
                               nnc_real *a, size_t n, double param)
{
    const nnc_act_kernels *k = simd_kernels(path, act);
    (k ? k->forward : act->forward)(z, a, n, param);
}

void nnc_activation_derivative_on(int path, const nnc_activation_info *act,
                                  const nnc_real *z, const nnc_real *a, nnc_real *d,
                                  size_t n, double param)
{
    const nnc_act_kernels *k = simd_kernels(path, act);
    (k ? k->derivative : act->derivative_fn)(z, a, d, n, param);
}
