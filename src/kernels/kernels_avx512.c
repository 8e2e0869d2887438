/* nnc_gemm with AVX-512F: 16 floats (8 doubles) a vector, a 14-row × 2-vector
 * register tile (28 accumulators and the 2 vectors of B's row among the 32
 * registers; the broadcasts come from memory), masked edges.  Only called
 * when the caller chose this path, which nnc_kernel_path_available says
 * this machine runs. */
#include "kernels.h"
#include "activation_elements.h"
#include "internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TGT __attribute__((target("avx512f")))
#define MR_MAX 14
#define GEMM_NAME nnc_gemm_avx512
#define TRANSPOSE_NAME nnc_transpose_avx512
#ifdef NNC_DOUBLE
#define VT __m512d
#define MT __mmask8
#define W 8
#define V_SET1 _mm512_set1_pd
#define V_ZERO _mm512_setzero_pd
#define V_FMA _mm512_fmadd_pd
#define V_MUL _mm512_mul_pd
#define V_ADD _mm512_add_pd
#define V_SUB _mm512_sub_pd
#define V_LOAD _mm512_loadu_pd
#define V_STORE _mm512_storeu_pd
#define V_MLOAD(mask, p) _mm512_maskz_loadu_pd(mask, p)
#define V_MSTORE(p, mask, v) _mm512_mask_storeu_pd(p, mask, v)
#define V_MASKZ(mask, v) _mm512_maskz_mov_pd(mask, v)
#define MASK_N(n) ((__mmask8)((1u << (n)) - 1u))
/* W row numbers (int32), and a gather of W values at base[rows[i]]. */
#define IT __m256i
#define I_LOAD_ROWS(p, n) _mm512_castsi512_si256(_mm512_maskz_loadu_epi32(MASK_N(n), p))
#define I_MUL(iv, k) _mm256_mullo_epi32(iv, _mm256_set1_epi32(k))
#define V_GATHER(base, iv, n) _mm512_mask_i32gather_pd(_mm512_setzero_pd(), MASK_N(n), iv, base, 8)
/* Lane permutes for the 1-h-1 fit (small_fit_simd.h): an index vector
 * (lane_index[W] through P_LOAD), lanes by index (V_PERMUTEZ: 0 outside
 * the mask), the NaN lanes, and base[rows[idx[q]]] into the lanes q of
 * mask k (0 elsewhere), rows[0..n) read. */
typedef int64_t lane_index;
#define V_PERMUTE(idx, v) _mm512_permutexvar_pd(idx, v)
#define V_PERMUTEZ(k, idx, v) _mm512_maskz_permutexvar_pd(k, idx, v)
#define V_UNORDERED(v) _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q)
#define V_GATHER_ROWS(base, rows, n, idx, k)                                              \
    _mm512_mask_i64gather_pd(                                                           \
        _mm512_setzero_pd(), k,                                                         \
        _mm512_permutexvar_epi64(idx, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(     \
                                          _mm512_maskz_loadu_epi32(MASK_N(n), rows)))), \
        base, 8)
#else
#define VT __m512
#define MT __mmask16
#define W 16
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_FMA _mm512_fmadd_ps
#define V_MUL _mm512_mul_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_LOAD _mm512_loadu_ps
#define V_STORE _mm512_storeu_ps
#define V_MLOAD(mask, p) _mm512_maskz_loadu_ps(mask, p)
#define V_MSTORE(p, mask, v) _mm512_mask_storeu_ps(p, mask, v)
#define V_MASKZ(mask, v) _mm512_maskz_mov_ps(mask, v)
#define MASK_N(n) ((__mmask16)((1u << (n)) - 1u))
/* Transposes the 16×16 block r[0..16) in place (4 rounds of 16 shuffles). */
#define V_TRANSPOSE(r) transpose16(r)
static inline TGT void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++) {
            __m512d a = _mm512_castps_pd(t[4 * i + h]), b = _mm512_castps_pd(t[4 * i + h + 2]);
            r[4 * i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[4 * i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 2; i++)
        for (int h = 0; h < 4; h++) {
            t[8 * i + h] = _mm512_shuffle_f32x4(r[8 * i + h], r[8 * i + h + 4], 0x88);
            t[8 * i + h + 4] = _mm512_shuffle_f32x4(r[8 * i + h], r[8 * i + h + 4], 0xdd);
        }
    for (int h = 0; h < 8; h++) {
        r[h] = _mm512_shuffle_f32x4(t[h], t[h + 8], 0x88);
        r[h + 8] = _mm512_shuffle_f32x4(t[h], t[h + 8], 0xdd);
    }
}
#define IT __m512i
#define I_LOAD_ROWS(p, n) _mm512_maskz_loadu_epi32(MASK_N(n), p)
#define I_MUL(iv, k) _mm512_mullo_epi32(iv, _mm512_set1_epi32(k))
#define V_GATHER(base, iv, n) _mm512_mask_i32gather_ps(_mm512_setzero_ps(), MASK_N(n), iv, base, 4)
/* Lane permutes for the 1-h-1 fit (as above, in float). */
typedef int32_t lane_index;
#define V_PERMUTE(idx, v) _mm512_permutexvar_ps(idx, v)
#define V_PERMUTEZ(k, idx, v) _mm512_maskz_permutexvar_ps(k, idx, v)
#define V_UNORDERED(v) _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)
#define V_GATHER_ROWS(base, rows, n, idx, k)                                             \
    _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k,                                   \
                             _mm512_permutexvar_epi32(idx, _mm512_maskz_loadu_epi32(   \
                                                               MASK_N(n), rows)),      \
                             base, 4)
#endif
#define PIT __m512i
#define P_LOAD(t) _mm512_loadu_si512((const void *)(t))

#include "kernels_simd.h"

#define SMALL_STEP_NAME nnc_small_step_avx512
#include "small_step_simd.h"

#else
int nnc_gemm_avx512(const nnc_gemm_args *g) { return nnc_gemm_portable(g); }
void nnc_transpose_avx512(nnc_real *Bt, const nnc_real *B, int k, int n)
{
    nnc_transpose(NNC_PATH_PORTABLE, Bt, B, k, n);
}
/* Never called: nnc_small_step_fits takes no SIMD path in this build. */
int nnc_small_step_avx512(const nnc_small_step_args *s, int *diverged)
{
    return (void)s, *diverged = 0, 0;
}
#endif
