/* The activation kernels as a template: activation.c includes this file for
 * the portable path, activation_avx2.c and activation_avx512.c for the SIMD
 * paths, each with ACT_TARGET set to its target attribute, so that the
 * compiler vectorises the same loops for SSE2, AVX2 and AVX-512.  In the
 * float build, exp, expm1, tanh and log1p are vmath.h's, whose operations
 * are all correctly rounded basic arithmetic: every compilation gives the
 * same bits.  The rest (erfc, sqrt, and all of the double build) is libm,
 * called element by element in the same way on every path.
 *
 * The includer defines ACT_TARGET (empty, or __attribute__((target(...))))
 * and ACT_KERNEL_TABLE (the name of this instance's table of kernels). */
#include "activation_paths.h"
#include "real_math.h"

#include <string.h>

#define ONE ((nnc_real)1)
#define HALF ((nnc_real)0.5)
#define ZERO ((nnc_real)0)

/* SELU's fixed constants (Klambauer et al. 2017). */
#define SELU_LAMBDA 1.0507009873554805
#define SELU_ALPHA 1.6732632423543772

/* 1/sqrt(2), sqrt(2/pi), 1/sqrt(2*pi); GELU's cubic coefficient. */
#define INV_SQRT2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588
#define INV_SQRT_2PI 0.39894228040143267794
#define GELU_C 0.044715

/* Every kernel applies an element function (below: NAME_f(z, p) and
 * NAME_df(z, a, p), p the row's parameter as nnc_real) in blocks of
 * ACT_BLOCK values, into a local array that is then copied out.  A full
 * block is a loop of constant trip count, which the compiler makes straight
 * vector code with no scalar remainder.  The last, partial block runs the
 * same loop over the whole block with the reads past the end masked off
 * (masked vector loads on AVX2 and AVX-512; those lanes compute f(0), which
 * is dropped), so that a batch of 10 is not done one element at a time.
 * Writing to the local array first means that the compiler need not worry
 * whether the output overlaps the input (it may: a == z is allowed). */
#define ACT_BLOCK 16

/* GCC unrolls a short loop of a cheap element function (relu, identity)
 * completely before its vectoriser sees it, and then leaves it as 16
 * scalar selects stored one by one and read back as a vector; kept a
 * loop, it becomes one vector operation. */
#if defined(__GNUC__) && !defined(__clang__)
#define ACT_NO_EARLY_UNROLL _Pragma("GCC unroll 1")
#else
#define ACT_NO_EARLY_UNROLL
#endif

#define ACT_FORWARD(name, elem)                                                          \
    static ACT_TARGET void name(const nnc_real *z, nnc_real *a, size_t n, double param)  \
    {                                                                                    \
        const nnc_real p = (nnc_real)param;                                              \
        for (size_t i0 = 0; i0 < n; i0 += ACT_BLOCK) {                                   \
            const size_t len = n - i0 < ACT_BLOCK ? n - i0 : ACT_BLOCK;                  \
            nnc_real ab[ACT_BLOCK];                                                      \
            if (len == ACT_BLOCK) {                                                      \
                ACT_NO_EARLY_UNROLL                                                      \
                for (size_t i = 0; i < ACT_BLOCK; i++)                                   \
                    ab[i] = elem(z[i0 + i], p);                                          \
                memcpy(a + i0, ab, sizeof ab);                                           \
            } else {                                                                     \
                for (size_t i = 0; i < ACT_BLOCK; i++)                                   \
                    ab[i] = elem(i < len ? z[i0 + i] : ZERO, p);                         \
                memcpy(a + i0, ab, len * sizeof *ab);                                    \
            }                                                                            \
        }                                                                                \
    }

#define ACT_DERIVATIVE(name, elem)                                                       \
    static ACT_TARGET void name(const nnc_real *z, const nnc_real *a, nnc_real *d,       \
                                size_t n, double param)                                  \
    {                                                                                    \
        const nnc_real p = (nnc_real)param;                                              \
        for (size_t i0 = 0; i0 < n; i0 += ACT_BLOCK) {                                   \
            const size_t len = n - i0 < ACT_BLOCK ? n - i0 : ACT_BLOCK;                  \
            nnc_real db[ACT_BLOCK];                                                      \
            if (len == ACT_BLOCK) {                                                      \
                ACT_NO_EARLY_UNROLL                                                      \
                for (size_t i = 0; i < ACT_BLOCK; i++)                                   \
                    db[i] = elem(z[i0 + i], a[i0 + i], p);                               \
                memcpy(d + i0, db, sizeof db);                                           \
            } else {                                                                     \
                for (size_t i = 0; i < ACT_BLOCK; i++)                                   \
                    db[i] = elem(i < len ? z[i0 + i] : ZERO, i < len ? a[i0 + i] : ZERO, \
                                 p);                                                     \
                memcpy(d + i0, db, len * sizeof *db);                                    \
            }                                                                            \
        }                                                                                \
    }


/* ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^(-|z|)). */
static inline nnc_real stable_softplus(nnc_real z)
{
    nnc_real m = z > ZERO ? z : ZERO;
    return m + R_LOG1P(R_EXP(-R_FABS(z)));
}

/* ---- identity ---------------------------------------------------- */

static inline nnc_real identity_f(nnc_real z, nnc_real p) { return (void)p, z; }
static inline nnc_real identity_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)a, (void)p, ONE;
}

/* ---- step: 1 above the threshold p, else 0 ------------------------- */

static inline nnc_real step_f(nnc_real z, nnc_real p) { return z > p ? ONE : ZERO; }
/* Zero everywhere (undefined at the threshold): why the step cannot learn. */
static inline nnc_real zero_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)a, (void)p, ZERO;
}

/* ---- sigmoid ------------------------------------------------------- */

static inline nnc_real sigmoid_f(nnc_real z, nnc_real p) { return (void)p, nnc_logistic(z); }
/* The textbook's a(1-a). */
static inline nnc_real sigmoid_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, a * (ONE - a);
}

/* ---- tanh ---------------------------------------------------------- */

/* The textbook writes 2/(1+e^(-2z)) - 1, which is tanh(z); R_TANH (through
 * expm1) is accurate near 0 where that form cancels, and saturates cleanly. */
static inline nnc_real tanh_f(nnc_real z, nnc_real p) { return (void)p, R_TANH(z); }
static inline nnc_real tanh_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, ONE - a * a;
}

/* ---- ReLU and leaky ReLU (slope p below 0) -------------------------- */

static inline nnc_real relu_f(nnc_real z, nnc_real p) { return (void)p, z > ZERO ? z : ZERO; }
/* 1 for z > 0, else 0 (the value at the kink z = 0 is taken as 0). */
static inline nnc_real relu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z > ZERO ? ONE : ZERO;
}

static inline nnc_real leaky_relu_f(nnc_real z, nnc_real p) { return z > ZERO ? z : p * z; }
static inline nnc_real leaky_relu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, z > ZERO ? ONE : p;
}

/* ---- softplus ------------------------------------------------------ */

static inline nnc_real softplus_f(nnc_real z, nnc_real p) { return (void)p, stable_softplus(z); }
/* e^z/(1+e^z) = sigmoid(z); since e^(-a) = 1/(1+e^z) = 1 - sigmoid(z), this is
 * 1 - e^(-a) = -expm1(-a): one call, accurate in both tails. */
static inline nnc_real softplus_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, -R_EXPM1(-a);
}

/* ---- ELU (p = alpha) ----------------------------------------------- */

/* alpha(e^z - 1) via expm1: exact near 0, tends to -alpha. */
static inline nnc_real elu_f(nnc_real z, nnc_real p) { return z > ZERO ? z : p * R_EXPM1(z); }
/* alpha e^z for z <= 0 (not a + alpha, which cancels as z -> -inf). */
static inline nnc_real elu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, z > ZERO ? ONE : p * R_EXP(z);
}

/* ---- BenIdentity --------------------------------------------------- */

/* sqrt(z^2 + 1), which is |z| to working precision once |z| > 1e18; the
 * cut-off keeps z^2 from overflowing in float. */
static inline nnc_real ben_root(nnc_real z)
{
    nnc_real m = R_FABS(z);
    return m > (nnc_real)1e18 ? m : R_SQRT(z * z + ONE);
}

static inline nnc_real benidentity_f(nnc_real z, nnc_real p)
{
    return (void)p, (ben_root(z) - ONE) * HALF + z;
}
static inline nnc_real benidentity_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z / (2 * ben_root(z)) + ONE;
}

/* ---- GELU, tanh approximation -------------------------------------- */

/* z clamped to [-1e4, 1e4]: beyond, sigmoid(2u) below is exactly 0 or 1
 * anyway, and the clamp keeps z^3 finite. */
static inline nnc_real gelu_clamp(nnc_real z)
{
    return z > (nnc_real)1e4 ? (nnc_real)1e4 : z < (nnc_real)-1e4 ? (nnc_real)-1e4 : z;
}

/* 0.5 z (1 + tanh(u)) with u = sqrt(2/pi)(z + 0.044715 z^3).  Since
 * 1 + tanh(u) = 2 sigmoid(2u), this is z sigmoid(2u), which keeps its
 * relative accuracy for negative z instead of cancelling to 0. */
static inline nnc_real gelu_tanh_2u(nnc_real z)
{
    nnc_real c = gelu_clamp(z);
    return (nnc_real)(2 * SQRT_2_OVER_PI) * (c + (nnc_real)GELU_C * c * c * c);
}

static inline nnc_real gelu_tanh_f(nnc_real z, nnc_real p)
{
    return (void)p, z * nnc_logistic(gelu_tanh_2u(z));
}
/* d/dz [z s(2u)] = s + z s(1-s) 2u', with 2u' = 2 sqrt(2/pi)(1 + 3·0.044715 z^2).
 * z is clamped in the polynomial as above, so s(1-s) = 0 meets a finite
 * factor and never makes inf*0. */
static inline nnc_real gelu_tanh_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real c = gelu_clamp(z);
    nnc_real s = nnc_logistic(gelu_tanh_2u(z));
    nnc_real du = (nnc_real)(2 * SQRT_2_OVER_PI) * (ONE + (nnc_real)(3 * GELU_C) * c * c);
    return s + c * s * (ONE - s) * du;
}

/* ---- GELU, exact (erf) --------------------------------------------- */

/* z Phi(z) with Phi(z) = (1 + erf(z/sqrt2))/2 = erfc(-z/sqrt2)/2: erfc keeps
 * the left tail accurate where 1 + erf would cancel. */
static inline nnc_real gelu_erf_f(nnc_real z, nnc_real p)
{
    return (void)p, z * HALF * R_ERFC(-z * (nnc_real)INV_SQRT2);
}
/* Phi(z) + z phi(z), phi(z) = e^(-z^2/2)/sqrt(2pi); e^(-inf) = 0 meets a
 * finite z, so no inf*0. */
static inline nnc_real gelu_erf_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real cdf = HALF * R_ERFC(-z * (nnc_real)INV_SQRT2);
    nnc_real pdf = (nnc_real)INV_SQRT_2PI * R_EXP(-HALF * z * z);
    return cdf + z * pdf;
}

/* ---- SiLU (swish) -------------------------------------------------- */

static inline nnc_real silu_f(nnc_real z, nnc_real p) { return (void)p, z * nnc_logistic(z); }
/* s + z s(1-s) = s + a(1-s) with s = sigmoid(z). */
static inline nnc_real silu_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)p;
    nnc_real s = nnc_logistic(z);
    return s + a * (ONE - s);
}

/* ---- Mish ---------------------------------------------------------- */

static inline nnc_real mish_f(nnc_real z, nnc_real p)
{
    return (void)p, z * R_TANH(stable_softplus(z));
}
/* t + z (1 - t^2) sigmoid(z) with t = tanh(softplus(z)): for large z,
 * 1 - t^2 = 0 meets a finite z, for very negative z sigmoid(z) -> 0. */
static inline nnc_real mish_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real t = R_TANH(stable_softplus(z));
    return t + z * (ONE - t * t) * nnc_logistic(z);
}

/* ---- SELU ---------------------------------------------------------- */

static inline nnc_real selu_f(nnc_real z, nnc_real p)
{
    (void)p;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    return z > ZERO ? l * z : la * R_EXPM1(z);
}
static inline nnc_real selu_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    return z > ZERO ? l : la * R_EXP(z);
}

/* ---- softsign ------------------------------------------------------ */

static inline nnc_real softsign_f(nnc_real z, nnc_real p)
{
    return (void)p, z / (ONE + R_FABS(z));
}
/* 1/(1+|z|)^2, written as a product of two quotients so that (1+|z|)^2
 * cannot overflow. */
static inline nnc_real softsign_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real r = ONE / (ONE + R_FABS(z));
    return r * r;
}

/* ---- hard sigmoid (PyTorch's: clamp(z/6 + 1/2, 0, 1)) --------------- */

static inline nnc_real hard_sigmoid_f(nnc_real z, nnc_real p)
{
    (void)p;
    nnc_real v = z / (nnc_real)6 + HALF;
    return v < ZERO ? ZERO : v > ONE ? ONE : v;
}
static inline nnc_real hard_sigmoid_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    return z > (nnc_real)-3 && z < (nnc_real)3 ? ONE / (nnc_real)6 : ZERO;
}

/* ---- hard tanh: clamp(z, -1, 1) ------------------------------------ */

static inline nnc_real hard_tanh_f(nnc_real z, nnc_real p)
{
    return (void)p, z < -ONE ? -ONE : z > ONE ? ONE : z;
}
static inline nnc_real hard_tanh_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z > -ONE && z < ONE ? ONE : ZERO;
}

/* ---- the kernels, and this instance's table of them ------------------ */

#define ACT_KERNELS(name)                                                                \
    ACT_FORWARD(name##_forward, name##_f)                                                \
    ACT_DERIVATIVE(name##_derivative, name##_df)
ACT_KERNELS(identity)
ACT_FORWARD(step_forward, step_f)
ACT_DERIVATIVE(zero_derivative, zero_df)
ACT_KERNELS(sigmoid)
ACT_KERNELS(tanh)
ACT_KERNELS(relu)
ACT_KERNELS(leaky_relu)
ACT_KERNELS(softplus)
ACT_KERNELS(elu)
ACT_KERNELS(benidentity)
ACT_KERNELS(gelu_tanh)
ACT_KERNELS(gelu_erf)
ACT_KERNELS(silu)
ACT_KERNELS(mish)
ACT_KERNELS(selu)
ACT_KERNELS(softsign)
ACT_KERNELS(hard_sigmoid)
ACT_KERNELS(hard_tanh)
#undef ACT_KERNELS

const nnc_act_kernels ACT_KERNEL_TABLE[NNC_ACT_COUNT] = {
    [NNC_ACT_IDENTITY] = {identity_forward, identity_derivative},
    [NNC_ACT_STEP] = {step_forward, zero_derivative},
    [NNC_ACT_SIGMOID] = {sigmoid_forward, sigmoid_derivative},
    [NNC_ACT_TANH] = {tanh_forward, tanh_derivative},
    [NNC_ACT_RELU] = {relu_forward, relu_derivative},
    [NNC_ACT_LEAKY_RELU] = {leaky_relu_forward, leaky_relu_derivative},
    [NNC_ACT_SOFTPLUS] = {softplus_forward, softplus_derivative},
    [NNC_ACT_ELU] = {elu_forward, elu_derivative},
    [NNC_ACT_BENIDENTITY] = {benidentity_forward, benidentity_derivative},
    [NNC_ACT_GELU_TANH] = {gelu_tanh_forward, gelu_tanh_derivative},
    [NNC_ACT_GELU_ERF] = {gelu_erf_forward, gelu_erf_derivative},
    [NNC_ACT_SILU] = {silu_forward, silu_derivative},
    [NNC_ACT_MISH] = {mish_forward, mish_derivative},
    [NNC_ACT_SELU] = {selu_forward, selu_derivative},
    [NNC_ACT_SOFTSIGN] = {softsign_forward, softsign_derivative},
    [NNC_ACT_HARD_SIGMOID] = {hard_sigmoid_forward, hard_sigmoid_derivative},
    [NNC_ACT_HARD_TANH] = {hard_tanh_forward, hard_tanh_derivative},
};
