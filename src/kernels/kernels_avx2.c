/* nnc_gemm with AVX2 and FMA: 8 floats (4 doubles) a vector, a 6-row ×
 * 2-vector register tile (12 accumulators of the 16 registers), edges by
 * vmaskmov.  Only called when the caller chose this path, which
 * nnc_kernel_path_available says this machine runs. */
#include "kernels.h"
#include "activation_elements.h"
#include "internal.h"

#include <stdint.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TGT __attribute__((target("avx2,fma")))
#define MR_MAX 6
#define GEMM_NAME nnc_gemm_avx2
#define TRANSPOSE_NAME nnc_transpose_avx2
#define MT __m256i
#ifdef NNC_DOUBLE
#define VT __m256d
#define W 4
#define V_SET1 _mm256_set1_pd
#define V_ZERO _mm256_setzero_pd
#define V_FMA _mm256_fmadd_pd
#define V_MUL _mm256_mul_pd
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_LOAD _mm256_loadu_pd
#define V_STORE _mm256_storeu_pd
#define V_MLOAD(mask, p) _mm256_maskload_pd(p, mask)
#define V_MSTORE(p, mask, v) _mm256_maskstore_pd(p, mask, v)
#define V_MASKZ(mask, v) _mm256_and_pd(v, _mm256_castsi256_pd(mask))
static const int64_t mask_table[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
#define MASK_N(n) _mm256_loadu_si256((const __m256i *)(mask_table + 4 - (n)))
/* W row numbers (int32), and a gather of W values at base[rows[i]]. */
static const int32_t row_mask_table[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
#define IT __m128i
#define I_LOAD_ROWS(p, n) \
    _mm_maskload_epi32(p, _mm_loadu_si128((const __m128i *)(row_mask_table + 4 - (n))))
#define I_MUL(iv, k) _mm_mullo_epi32(iv, _mm_set1_epi32(k))
#define V_GATHER(base, iv, n) \
    _mm256_mask_i32gather_pd(_mm256_setzero_pd(), base, iv, _mm256_castsi256_pd(MASK_N(n)), 8)
#else
#define VT __m256
#define W 8
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_FMA _mm256_fmadd_ps
#define V_MUL _mm256_mul_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_LOAD _mm256_loadu_ps
#define V_STORE _mm256_storeu_ps
#define V_MLOAD(mask, p) _mm256_maskload_ps(p, mask)
#define V_MSTORE(p, mask, v) _mm256_maskstore_ps(p, mask, v)
#define V_MASKZ(mask, v) _mm256_and_ps(v, _mm256_castsi256_ps(mask))
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
#define MASK_N(n) _mm256_loadu_si256((const __m256i *)(mask_table + 8 - (n)))
/* Transposes the 8×8 block r[0..8) in place (3 rounds of 8 shuffles). */
#define V_TRANSPOSE(r) transpose8(r)
static inline TGT void transpose8(__m256 r[8])
{
    __m256 t[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++)
        for (int h = 0; h < 2; h++) {
            __m256d a = _mm256_castps_pd(t[4 * i + h]), b = _mm256_castps_pd(t[4 * i + h + 2]);
            r[4 * i + 2 * h] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, b));
            r[4 * i + 2 * h + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, b));
        }
    for (int h = 0; h < 4; h++) {
        t[h] = _mm256_permute2f128_ps(r[h], r[h + 4], 0x20);
        t[h + 4] = _mm256_permute2f128_ps(r[h], r[h + 4], 0x31);
    }
    for (int h = 0; h < 8; h++)
        r[h] = t[h];
}
#define IT __m256i
#define I_LOAD_ROWS(p, n) _mm256_maskload_epi32(p, MASK_N(n))
#define I_MUL(iv, k) _mm256_mullo_epi32(iv, _mm256_set1_epi32(k))
#define V_GATHER(base, iv, n) \
    _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, iv, _mm256_castsi256_ps(MASK_N(n)), 4)
#endif

#include "kernels_simd.h"

#define SMALL_STEP_NAME nnc_small_step_avx2
#include "small_step_simd.h"

#else
int nnc_gemm_avx2(const nnc_gemm_args *g) { return nnc_gemm_portable(g); }
void nnc_transpose_avx2(nnc_real *Bt, const nnc_real *B, int k, int n)
{
    nnc_transpose(NNC_PATH_PORTABLE, Bt, B, k, n);
}
/* Never called: nnc_small_step_fits takes no SIMD path in this build. */
int nnc_small_step_avx2(const nnc_small_step_args *s, int *diverged)
{
    return (void)s, *diverged = 0, 0;
}
#endif
