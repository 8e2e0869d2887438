/* The activation kernels compiled for AVX-512 (activation_kernels.h). */
#if defined(__GNUC__) && defined(__x86_64__)
#define ACT_TARGET __attribute__((target("avx512f")))
#define ACT_KERNEL_TABLE nnc_act_kernels_avx512
#include "activation_kernels.h"
#endif
