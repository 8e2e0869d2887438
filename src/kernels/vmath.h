/* nnc's float exp, expm1, tanh and log1p: straight-line, branch-free
 * arithmetic, so that loops calling them vectorise, and the same bits
 * however they are compiled (scalar, SSE2, AVX2, AVX-512) on any IEEE
 * machine that rounds float operations to float (FLT_EVAL_METHOD 0, no
 * contraction into fused multiply-adds).
 *
 * Only +, -, *, / (each one correctly rounded float operation), comparisons
 * with selects, and exact bit manipulation: no libm, no fma.  This text is
 * also copied verbatim into the files `nnc export-c` writes (float builds),
 * so it must stay plain C99 with no #include (an unsigned int is taken to be
 * 32 bits; C11 builds check it).
 *
 * Accuracy (tests/test_vmath.c sweeps the float range against double libm):
 * nnc_expf within 1 ulp, nnc_expm1f, nnc_tanhf and nnc_log1pf within 2 ulp
 * (measured: 0.98, 1.61, 1.31, 1.44).  Overflow gives +inf, underflow goes
 * gradually to +0 (nnc_expf), NaN gives NaN. */
#ifndef NNC_VMATH_H
#define NNC_VMATH_H

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(unsigned int) == 4 && sizeof(float) == 4, "32-bit unsigned and float");
#endif

/* A float's bits and back (union punning is defined behaviour in C99/C11). */
typedef union nnc_vm_bits {
    float f;
    unsigned int u;
} nnc_vm_bits;

static inline unsigned int nnc_vm_to_bits(float x)
{
    nnc_vm_bits b;
    b.f = x;
    return b.u;
}

static inline float nnc_vm_from_bits(unsigned int u)
{
    nnc_vm_bits b;
    b.u = u;
    return b.f;
}

/* Adding then subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22
 * to the nearest integer (ties to even): the sum lies in [2^23, 2^24), where
 * the float spacing is 1, and its low bits hold that integer. */
#define NNC_VM_ROUND 0x1.8p23f

/* +infinity, without <math.h>'s INFINITY. */
#define NNC_VM_INF nnc_vm_from_bits(0x7f800000u)

/* 2^k for an integer-valued k in [-126, 127]: k goes into the exponent
 * field.  The integer comes from the low bits of k + 1.5 * 2^23, in unsigned
 * arithmetic (wrapping, never undefined, even for a NaN k, whose garbage
 * result the callers multiply by a NaN anyway). */
static inline float nnc_vm_pow2(float k)
{
    unsigned int n = nnc_vm_to_bits(k + NNC_VM_ROUND) - nnc_vm_to_bits(NNC_VM_ROUND);
    return nnc_vm_from_bits((n + 127u) << 23);
}

/* Range reduction x = k ln2 + r with k = round(x / ln2), |r| <= ln2/2 (for
 * |x| below 2^22 ln2; the callers use the result only for |x| up to 104).
 * ln2 is split Cody-Waite style into LN2_HI = 0x1.62e4p-1, whose 15
 * significant bits make k * LN2_HI exact for |k| < 512, so that
 * x - k * LN2_HI is exact too, and LN2_LO, the float nearest ln2 - LN2_HI.
 * Returns e^r - 1 as r + r^2 P(r), with P the degree-5 polynomial of
 * S. Moshier's Cephes expf (a fit of (e^r - 1 - r) / r^2 on |r| <= ln2/2),
 * so a small result keeps its full relative accuracy; *k gets k. */
static inline float nnc_vm_expm1_reduced(float x, float *k)
{
    const float kf = (x * 0x1.715476p+0f + NNC_VM_ROUND) - NNC_VM_ROUND; /* x * log2(e) */
    const float r = (x - kf * 0x1.62e400p-1f) - kf * 0x1.7f7d1cp-20f;
    const float r2 = r * r;
    /* P by Estrin's scheme (three independent pairs, then r^2 steps): a
     * shorter chain of dependent operations than Horner's. */
    const float p01 = 1.6666665459e-1f * r + 5.0000001201e-1f;
    const float p23 = 8.3334519073e-3f * r + 4.1665795894e-2f;
    const float p45 = 1.9875691500e-4f * r + 1.3981999507e-3f;
    const float p = p01 + r2 * (p23 + r2 * p45);
    *k = kf;
    return r + r2 * p;
}

/* e^x.  2^k is applied in two exact halves k1 + k2 (each within [-75, 65],
 * both normal powers of two) so that k can span [-150, 128]: the product
 * (1 + q) 2^k1 is exact, the second multiplication rounds once, into a
 * subnormal or +0 at the bottom of the range.  Outside [-104, 89] (e^-104
 * is below half the least subnormal, e^89 overflows) the reduction's result
 * is meaningless and the selects at the end give +0 or +inf instead; a NaN
 * fails both comparisons and comes through the arithmetic as a NaN.  (The
 * selects come last, after all the arithmetic: a clamp of x to constants
 * before it lets GCC split the loop into paths, which defeats
 * vectorisation.) */
static inline float nnc_expf(float x)
{
    float k;
    const float q = nnc_vm_expm1_reduced(x, &k);
    const float k1 = (k * 0.5f + NNC_VM_ROUND) - NNC_VM_ROUND;
    const float e = (1.0f + q) * nnc_vm_pow2(k1) * nnc_vm_pow2(k - k1);
    const float e_lo = x < -104.0f ? 0.0f : e;
    return x > 89.0f ? NNC_VM_INF : e_lo;
}

/* e^x - 1, accurate near 0 (the result is q itself for |x| <= ln2/2).  With
 * h = 2^(k-1): e^x - 1 = 2^k (1 + q) - 1 = 2 ((h - 1/2) + h q), where h - 1/2
 * is exact for the k where it matters, h stays finite up to k = 128 and the
 * doubling is exact (or overflows to +inf, for x above ln(FLT_MAX)).  Below
 * |x| = 2^-30 the result is x itself (which h q = q/2 would round away
 * among the subnormals; tested on the bits, see nnc_log1pf); below -40,
 * e^x - 1 rounds to -1; above 89 it is +inf: selects at the end, as in
 * nnc_expf. */
static inline float nnc_expm1f(float x)
{
    float k;
    const float q = nnc_vm_expm1_reduced(x, &k);
    const float h = nnc_vm_pow2(k - 1.0f);
    const float em1 = 2.0f * ((h - 0.5f) + h * q);
    const float em1_tiny = (nnc_vm_to_bits(x) & 0x7fffffffu) < 0x30800000u ? x : em1;
    const float em1_lo = x < -40.0f ? -1.0f : em1_tiny;
    return x > 89.0f ? NNC_VM_INF : em1_lo;
}

/* tanh, on |x| with the sign of x (also of +-0) put back bit by bit.  Below
 * |x| = 0.625 an odd polynomial, x + x^3 P(x^2) with the degree-4 P of
 * Cephes' tanhf (a minimax fit on [0, 0.625]); above, 1 - 2 / (e^2|x| + 1),
 * where the subtracted term is at most 0.45 and e^2|x| = +inf (|x| > 44)
 * gives exactly 1.  Both are computed, and a select picks one. */
static inline float nnc_tanhf(float x)
{
    const unsigned int sign = nnc_vm_to_bits(x) & 0x80000000u;
    const float ax = nnc_vm_from_bits(nnc_vm_to_bits(x) ^ sign);
    const float s = ax * ax;
    float p = -5.70498872745e-3f;
    p = p * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    const float t_small = p * s * ax + ax;
    const float t_large = 1.0f - 2.0f / (nnc_expf(2.0f * ax) + 1.0f);
    const float t = ax < 0.625f ? t_small : t_large;
    return nnc_vm_from_bits(nnc_vm_to_bits(t) | sign);
}

/* ln(1 + x).  With u = 1 + x rounded and c = x - (u - 1) the part of x
 * that the rounding lost (computed exactly), ln(1 + x) = ln(u + c), which is
 * ln u + c/u to well below an ulp; c/u is x itself when u = 1.  ln u as in
 * S. Moshier's Cephes logf: u = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln u = e ln2 + ln(1 + f) with f = m - 1, ln(1 + f) = f - f^2/2 + f^3 P(f)
 * with Cephes' degree-8 P, and e ln2 in two parts as in the exp reduction.
 * Ends (selects at the end): |x| < 2^-30 gives x, x = -1 -inf, x < -1 NaN,
 * x = +inf +inf. */
static inline float nnc_log1pf(float x)
{
    const float u = 1.0f + x;
    const float c_over_u = (x - (u - 1.0f)) / u;
    const unsigned int bits = nnc_vm_to_bits(u);
    const float m = nnc_vm_from_bits((bits & 0x007fffffu) | 0x3f000000u); /* [1/2, 1) */
    const float e = (float)(int)(bits >> 23) - 126.0f; /* u = m 2^e for u > 0 */
    const int below = m < 0.707106781186547524f;
    const float f = below ? (m + m) - 1.0f : m - 1.0f;
    const float k = below ? e - 1.0f : e;
    const float f2 = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float y = p * f * f2;
    y = y + k * -2.12194440e-4f;
    y = y - 0.5f * f2;
    const float ln_u = (f + y) + k * 0.693359375f;
    const float r = ln_u + c_over_u;
    /* The ends are tested on the bits of x and u: float comparisons here
     * let GCC merge them with a caller's (nnc_expf's, in softplus) into
     * masks of mixed widths, which it then fails to vectorise.  Tiny |x|
     * (below 2^-30, and -0) gives x: */
    const float r_tiny = (nnc_vm_to_bits(x) & 0x7fffffffu) < 0x30800000u ? x : r;
    const float r_inf = bits == 0x7f800000u ? NNC_VM_INF : r_tiny;
    const float r_zero = bits == 0u ? -NNC_VM_INF : r_inf;
    return bits > 0x80000000u ? nnc_vm_from_bits(0x7fc00000u) : r_zero;
}

#endif
