/* The activation kernels compiled for AVX2 (activation_kernels.h). */
#if defined(__GNUC__) && defined(__x86_64__)
#define ACT_TARGET __attribute__((target("avx2")))
#define ACT_KERNEL_TABLE nnc_act_kernels_avx2
#include "activation_kernels.h"
#endif
