/* Every activation's f and f' for one element, and the output functions'
 * logistic and softmax: each formula of nnc written once.  The activation
 * kernels of every path (activation_kernels.h), the fused training steps
 * (small_step_simd.h, small_fit_simd.h) and the output function
 * (core/loss.c) call these, and `nnc export-c` copies this text verbatim
 * into its files, so an exported model computes with the very same
 * operations, libm calls and roundings as the library.
 *
 * Activation NAME (its catalogue name) has NAME_f(z, p), its value, and
 * NAME_df(z, a, p), its derivative given z and a = NAME_f(z, p); p is the
 * row's parameter (threshold, alpha) in nnc_real, ignored by most.
 *
 * Because the text travels into exported files, it stays plain C99 whose
 * only dependency is real_math.h (nnc_real, R_EXP and friends): export-c
 * writes its own definition of nnc_real and real_math.h's text before this
 * one, and leaves out the #include lines. */
#ifndef NNC_ACTIVATION_ELEMENTS_H
#define NNC_ACTIVATION_ELEMENTS_H

#include "real_math.h"

#define R_ONE ((nnc_real)1)
#define R_HALF ((nnc_real)0.5)
#define R_ZERO ((nnc_real)0)

/* SELU's fixed constants (Klambauer et al. 2017). */
#define SELU_LAMBDA 1.0507009873554805
#define SELU_ALPHA 1.6732632423543772

/* 1/sqrt(2), sqrt(2/pi), 1/sqrt(2*pi); GELU's cubic coefficient. */
#define INV_SQRT2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588
#define INV_SQRT_2PI 0.39894228040143267794
#define GELU_C 0.044715

/* ---- the logistic function and softmax ---------------------------- */

/* The logistic sigmoid 1/(1+e^-z) without overflow: with e = e^-|z| in
 * (0, 1], 1/(1+e) for z >= 0 and e/(1+e) below, one division either way.
 * Branch-free, so loops of it vectorise.  (The sigmoid activation, the
 * ones built on it, and the binary task's output function.) */
static inline nnc_real nnc_logistic(nnc_real z)
{
    const nnc_real e = R_EXP(-R_FABS(z));
    const nnc_real num = z >= 0 ? R_ONE : e;
    return num / (R_ONE + e);
}

/* softmax(z)_j = e^(z_j - max z) / sum_k e^(z_k - max z) for one row of n
 * values (the multiclass task's output function): the exps (a vectorised
 * loop), their sum in order, the quotients (vectorised).  a may be z. */
static inline void nnc_softmax_row(const nnc_real *z, nnc_real *a, int n)
{
    nnc_real zmax = z[0], sum = 0;
    int j;
    for (j = 1; j < n; j++)
        zmax = z[j] > zmax ? z[j] : zmax;
    for (j = 0; j < n; j++)
        a[j] = R_EXP(z[j] - zmax);
    for (j = 0; j < n; j++)
        sum += a[j];
    for (j = 0; j < n; j++)
        a[j] = a[j] / sum;
}

/* ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^(-|z|)). */
static inline nnc_real stable_softplus(nnc_real z)
{
    nnc_real m = z > R_ZERO ? z : R_ZERO;
    return m + R_LOG1P(R_EXP(-R_FABS(z)));
}

/* ---- identity ---------------------------------------------------- */

static inline nnc_real identity_f(nnc_real z, nnc_real p) { return (void)p, z; }
static inline nnc_real identity_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)a, (void)p, R_ONE;
}

/* ---- step: 1 above the threshold p, else 0 ------------------------- */

static inline nnc_real step_f(nnc_real z, nnc_real p) { return z > p ? R_ONE : R_ZERO; }
/* Zero everywhere (undefined at the threshold): why the step cannot learn. */
static inline nnc_real step_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)a, (void)p, R_ZERO;
}

/* ---- sigmoid ------------------------------------------------------- */

static inline nnc_real sigmoid_f(nnc_real z, nnc_real p)
{
    return (void)p, nnc_logistic(z);
}
/* The textbook's a(1-a). */
static inline nnc_real sigmoid_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, a * (R_ONE - a);
}

/* ---- tanh ---------------------------------------------------------- */

/* The textbook writes 2/(1+e^(-2z)) - 1, which is tanh(z); R_TANH (through
 * expm1) is accurate near 0 where that form cancels, and saturates cleanly. */
static inline nnc_real tanh_f(nnc_real z, nnc_real p) { return (void)p, R_TANH(z); }
static inline nnc_real tanh_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, R_ONE - a * a;
}

/* ---- ReLU and leaky ReLU (slope p below 0) -------------------------- */

static inline nnc_real relu_f(nnc_real z, nnc_real p)
{
    return (void)p, z > R_ZERO ? z : R_ZERO;
}
/* 1 for z > 0, else 0 (the value at the kink z = 0 is taken as 0). */
static inline nnc_real relu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z > R_ZERO ? R_ONE : R_ZERO;
}

static inline nnc_real leaky_relu_f(nnc_real z, nnc_real p)
{
    return z > R_ZERO ? z : p * z;
}
static inline nnc_real leaky_relu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, z > R_ZERO ? R_ONE : p;
}

/* ---- softplus ------------------------------------------------------ */

static inline nnc_real softplus_f(nnc_real z, nnc_real p)
{
    return (void)p, stable_softplus(z);
}
/* e^z/(1+e^z) = sigmoid(z); since e^(-a) = 1/(1+e^z) = 1 - sigmoid(z), this is
 * 1 - e^(-a) = -expm1(-a): one call, accurate in both tails. */
static inline nnc_real softplus_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)z, (void)p, -R_EXPM1(-a);
}

/* ---- ELU (p = alpha) ----------------------------------------------- */

/* alpha(e^z - 1) via expm1: exact near 0, tends to -alpha. */
static inline nnc_real elu_f(nnc_real z, nnc_real p)
{
    return z > R_ZERO ? z : p * R_EXPM1(z);
}
/* alpha e^z for z <= 0 (not a + alpha, which cancels as z -> -inf). */
static inline nnc_real elu_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, z > R_ZERO ? R_ONE : p * R_EXP(z);
}

/* ---- BenIdentity --------------------------------------------------- */

/* sqrt(z^2 + 1), which is |z| to working precision once |z| > 1e18; the
 * cut-off keeps z^2 from overflowing in float. */
static inline nnc_real ben_root(nnc_real z)
{
    nnc_real m = R_FABS(z);
    return m > (nnc_real)1e18 ? m : R_SQRT(z * z + R_ONE);
}

static inline nnc_real benidentity_f(nnc_real z, nnc_real p)
{
    return (void)p, (ben_root(z) - R_ONE) * R_HALF + z;
}
static inline nnc_real benidentity_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z / (2 * ben_root(z)) + R_ONE;
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
    nnc_real du = (nnc_real)(2 * SQRT_2_OVER_PI) * (R_ONE + (nnc_real)(3 * GELU_C) * c * c);
    return s + c * s * (R_ONE - s) * du;
}

/* ---- GELU, exact (erf) --------------------------------------------- */

/* z Phi(z) with Phi(z) = (1 + erf(z/sqrt2))/2 = erfc(-z/sqrt2)/2: erfc keeps
 * the left tail accurate where 1 + erf would cancel. */
static inline nnc_real gelu_erf_f(nnc_real z, nnc_real p)
{
    return (void)p, z * R_HALF * R_ERFC(-z * (nnc_real)INV_SQRT2);
}
/* Phi(z) + z phi(z), phi(z) = e^(-z^2/2)/sqrt(2pi); e^(-inf) = 0 meets a
 * finite z, so no inf*0. */
static inline nnc_real gelu_erf_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real cdf = R_HALF * R_ERFC(-z * (nnc_real)INV_SQRT2);
    nnc_real pdf = (nnc_real)INV_SQRT_2PI * R_EXP(-R_HALF * z * z);
    return cdf + z * pdf;
}

/* ---- SiLU (swish) -------------------------------------------------- */

static inline nnc_real silu_f(nnc_real z, nnc_real p)
{
    return (void)p, z * nnc_logistic(z);
}
/* s + z s(1-s) = s + a(1-s) with s = sigmoid(z). */
static inline nnc_real silu_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)p;
    nnc_real s = nnc_logistic(z);
    return s + a * (R_ONE - s);
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
    return t + z * (R_ONE - t * t) * nnc_logistic(z);
}

/* ---- SELU ---------------------------------------------------------- */

static inline nnc_real selu_f(nnc_real z, nnc_real p)
{
    (void)p;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    return z > R_ZERO ? l * z : la * R_EXPM1(z);
}
static inline nnc_real selu_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    return z > R_ZERO ? l : la * R_EXP(z);
}

/* ---- softsign ------------------------------------------------------ */

static inline nnc_real softsign_f(nnc_real z, nnc_real p)
{
    return (void)p, z / (R_ONE + R_FABS(z));
}
/* 1/(1+|z|)^2, written as a product of two quotients so that (1+|z|)^2
 * cannot overflow. */
static inline nnc_real softsign_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    nnc_real r = R_ONE / (R_ONE + R_FABS(z));
    return r * r;
}

/* ---- hard sigmoid (PyTorch's: clamp(z/6 + 1/2, 0, 1)) --------------- */

static inline nnc_real hard_sigmoid_f(nnc_real z, nnc_real p)
{
    (void)p;
    nnc_real v = z / (nnc_real)6 + R_HALF;
    return v < R_ZERO ? R_ZERO : v > R_ONE ? R_ONE : v;
}
static inline nnc_real hard_sigmoid_df(nnc_real z, nnc_real a, nnc_real p)
{
    (void)a, (void)p;
    return z > (nnc_real)-3 && z < (nnc_real)3 ? R_ONE / (nnc_real)6 : R_ZERO;
}

/* ---- hard tanh: clamp(z, -1, 1) ------------------------------------ */

static inline nnc_real hard_tanh_f(nnc_real z, nnc_real p)
{
    return (void)p, z < -R_ONE ? -R_ONE : z > R_ONE ? R_ONE : z;
}
static inline nnc_real hard_tanh_df(nnc_real z, nnc_real a, nnc_real p)
{
    return (void)a, (void)p, z > -R_ONE && z < R_ONE ? R_ONE : R_ZERO;
}

#endif
