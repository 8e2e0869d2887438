/* The activation catalogue: one table row per function, each with its formulas
 * as text, its ranges, its default plot range and parameter, and a forward and
 * derivative kernel that work on whole arrays.
 *
 * Every kernel is element-wise (it reads z[i] and a[i] before writing the
 * output's element i), so calling it in place (a == z, or d == z or d == a) is
 * safe.  The loops carry no dependencies between elements, so the compiler can
 * vectorise them.
 *
 * Numerical stability: every formula is written so that finite z gives finite
 * a and f'(z) in float and double, with the right limits for large |z|
 * (checked in tests/test_activation.c for |z| up to 1e4). */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Math in the precision of nnc_real: the float functions in a float build. */
#ifdef NNC_DOUBLE
#define R_EXP exp
#define R_EXPM1 expm1
#define R_LOG1P log1p
#define R_TANH tanh
#define R_ERFC erfc
#define R_SQRT sqrt
#define R_FABS fabs
#else
#define R_EXP expf
#define R_EXPM1 expm1f
#define R_LOG1P log1pf
#define R_TANH tanhf
#define R_ERFC erfcf
#define R_SQRT sqrtf
#define R_FABS fabsf
#endif

#define ONE ((nnc_real)1)
#define HALF ((nnc_real)0.5)
#define ZERO ((nnc_real)0)

/* The rows' c_source text uses the same names, spelled out for the build's
 * precision: C_REAL is the type, C_FN(exp) the libm call ("expf" or "exp"),
 * C_CAST(x) rounds a double constant as (nnc_real)x does; C_ONE etc. are
 * exact literals. */
#define C_STR(x) #x
#define C_XSTR(x) C_STR(x)
#ifdef NNC_DOUBLE
#define C_REAL "double"
#define C_FN(f) #f
#define C_ONE "1.0"
#define C_HALF "0.5"
#define C_ZERO "0.0"
#else
#define C_REAL "float"
#define C_FN(f) #f "f"
#define C_ONE "1.0f"
#define C_HALF "0.5f"
#define C_ZERO "0.0f"
#endif
#define C_CAST(x) "(" C_REAL ")(" C_XSTR(x) ")"

/* SELU's fixed constants (Klambauer et al. 2017). */
#define SELU_LAMBDA 1.0507009873554805
#define SELU_ALPHA 1.6732632423543772

/* 1/sqrt(2), sqrt(2/pi), 1/sqrt(2*pi); GELU's cubic coefficient. */
#define INV_SQRT2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588
#define INV_SQRT_2PI 0.39894228040143267794
#define GELU_C 0.044715

/* Logistic sigmoid without overflow: with e = e^(-|z|) in (0, 1],
 * sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0. */
static inline nnc_real stable_sigmoid(nnc_real z)
{
    nnc_real e = R_EXP(-R_FABS(z));
    nnc_real r = ONE / (ONE + e);
    return z >= ZERO ? r : e * r;
}

/* ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^(-|z|)). */
static inline nnc_real stable_softplus(nnc_real z)
{
    nnc_real m = z > ZERO ? z : ZERO;
    return m + R_LOG1P(R_EXP(-R_FABS(z)));
}

/* ---- identity ---------------------------------------------------- */

static void identity_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i];
}

static void identity_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                size_t n, double param)
{
    (void)z, (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = ONE;
}

/* ---- step: 1 above the threshold, else 0 --------------------------- */

static void step_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    const nnc_real t = (nnc_real)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] > t ? ONE : ZERO;
}

/* Zero everywhere (undefined at the threshold): why the step cannot learn. */
static void zero_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)z, (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = ZERO;
}

/* ---- sigmoid ------------------------------------------------------- */

static void sigmoid_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = stable_sigmoid(z[i]);
}

/* The textbook's a(1-a). */
static void sigmoid_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                               size_t n, double param)
{
    (void)z, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = a[i] * (ONE - a[i]);
}

/* ---- tanh ---------------------------------------------------------- */

/* The textbook writes 2/(1+e^(-2z)) - 1, which is tanh(z); the library's tanh
 * is accurate near 0 where that form cancels, and saturates cleanly. */
static void tanh_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = R_TANH(z[i]);
}

static void tanh_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)z, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = ONE - a[i] * a[i];
}

/* ---- ReLU and leaky ReLU ------------------------------------------- */

static void relu_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] > ZERO ? z[i] : ZERO;
}

/* 1 for z > 0, else 0 (the value at the kink z = 0 is taken as 0). */
static void relu_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > ZERO ? ONE : ZERO;
}

static void leaky_relu_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    const nnc_real alpha = (nnc_real)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] > ZERO ? z[i] : alpha * z[i];
}

static void leaky_relu_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                  size_t n, double param)
{
    (void)a;
    const nnc_real alpha = (nnc_real)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > ZERO ? ONE : alpha;
}

/* ---- softplus ------------------------------------------------------ */

static void softplus_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = stable_softplus(z[i]);
}

/* e^z/(1+e^z) = sigmoid(z); since e^(-a) = 1/(1+e^z) = 1 - sigmoid(z), this is
 * 1 - e^(-a) = -expm1(-a): one call, accurate in both tails. */
static void softplus_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                size_t n, double param)
{
    (void)z, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = -R_EXPM1(-a[i]);
}

/* ---- ELU ----------------------------------------------------------- */

/* alpha(e^z - 1) via expm1: exact near 0, tends to -alpha. */
static void elu_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    const nnc_real alpha = (nnc_real)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] > ZERO ? z[i] : alpha * R_EXPM1(z[i]);
}

/* alpha e^z for z <= 0 (not a + alpha, which cancels as z -> -inf). */
static void elu_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                           double param)
{
    (void)a;
    const nnc_real alpha = (nnc_real)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > ZERO ? ONE : alpha * R_EXP(z[i]);
}

/* ---- BenIdentity --------------------------------------------------- */

/* sqrt(z^2 + 1), which is |z| to working precision once |z| > 1e18; the
 * cut-off keeps z^2 from overflowing in float. */
static inline nnc_real ben_root(nnc_real z)
{
    nnc_real m = R_FABS(z);
    return m > (nnc_real)1e18 ? m : R_SQRT(z * z + ONE);
}

static void benidentity_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = (ben_root(z[i]) - ONE) * HALF + z[i];
}

static void benidentity_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                   size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] / (2 * ben_root(z[i])) + ONE;
}

/* ---- GELU, tanh approximation -------------------------------------- */

/* 0.5 z (1 + tanh(u)) with u = sqrt(2/pi)(z + 0.044715 z^3).  Since
 * 1 + tanh(u) = 2 sigmoid(2u), this is z sigmoid(2u), which keeps its
 * relative accuracy for negative z instead of cancelling to 0. */
static inline nnc_real gelu_tanh_2u(nnc_real z)
{
    /* Clamped: beyond |z| = 1e4 sigmoid(2u) is exactly 0 or 1 anyway, and
     * the clamp keeps z^3 finite. */
    nnc_real c = z > (nnc_real)1e4 ? (nnc_real)1e4 : z < (nnc_real)-1e4 ? (nnc_real)-1e4 : z;
    return (nnc_real)(2 * SQRT_2_OVER_PI) * (c + (nnc_real)GELU_C * c * c * c);
}

static void gelu_tanh_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] * stable_sigmoid(gelu_tanh_2u(z[i]));
}

/* d/dz [z s(2u)] = s + z s(1-s) 2u', with 2u' = 2 sqrt(2/pi)(1 + 3·0.044715 z^2).
 * z is clamped in the polynomial as above, so s(1-s) = 0 meets a finite
 * factor and never makes inf*0. */
static void gelu_tanh_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                 size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real x = z[i];
        nnc_real c = x > (nnc_real)1e4 ? (nnc_real)1e4 : x < (nnc_real)-1e4 ? (nnc_real)-1e4 : x;
        nnc_real s = stable_sigmoid(gelu_tanh_2u(x));
        nnc_real du = (nnc_real)(2 * SQRT_2_OVER_PI) * (ONE + (nnc_real)(3 * GELU_C) * c * c);
        d[i] = s + c * s * (ONE - s) * du;
    }
}

/* ---- GELU, exact (erf) --------------------------------------------- */

/* z Phi(z) with Phi(z) = (1 + erf(z/sqrt2))/2 = erfc(-z/sqrt2)/2: erfc keeps
 * the left tail accurate where 1 + erf would cancel. */
static void gelu_erf_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] * HALF * R_ERFC(-z[i] * (nnc_real)INV_SQRT2);
}

/* Phi(z) + z phi(z), phi(z) = e^(-z^2/2)/sqrt(2pi); e^(-inf) = 0 meets a
 * finite z, so no inf*0. */
static void gelu_erf_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real x = z[i];
        nnc_real cdf = HALF * R_ERFC(-x * (nnc_real)INV_SQRT2);
        nnc_real pdf = (nnc_real)INV_SQRT_2PI * R_EXP(-HALF * x * x);
        d[i] = cdf + x * pdf;
    }
}

/* ---- SiLU (swish) -------------------------------------------------- */

static void silu_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] * stable_sigmoid(z[i]);
}

/* s + z s(1-s) = s + a(1-s) with s = sigmoid(z). */
static void silu_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real s = stable_sigmoid(z[i]);
        d[i] = s + a[i] * (ONE - s);
    }
}

/* ---- Mish ---------------------------------------------------------- */

static void mish_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] * R_TANH(stable_softplus(z[i]));
}

/* t + z (1 - t^2) sigmoid(z) with t = tanh(softplus(z)): for large z,
 * 1 - t^2 = 0 meets a finite z, for very negative z sigmoid(z) -> 0. */
static void mish_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real x = z[i];
        nnc_real t = R_TANH(stable_softplus(x));
        d[i] = t + x * (ONE - t * t) * stable_sigmoid(x);
    }
}

/* ---- SELU ---------------------------------------------------------- */

static void selu_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] > ZERO ? l * z[i] : la * R_EXPM1(z[i]);
}

static void selu_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d, size_t n,
                            double param)
{
    (void)a, (void)param;
    const nnc_real l = (nnc_real)SELU_LAMBDA, la = (nnc_real)(SELU_LAMBDA * SELU_ALPHA);
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > ZERO ? l : la * R_EXP(z[i]);
}

/* ---- softsign ------------------------------------------------------ */

static void softsign_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] / (ONE + R_FABS(z[i]));
}

/* 1/(1+|z|)^2, written as a product of two quotients so that (1+|z|)^2
 * cannot overflow. */
static void softsign_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real r = ONE / (ONE + R_FABS(z[i]));
        d[i] = r * r;
    }
}

/* ---- hard sigmoid (PyTorch's: clamp(z/6 + 1/2, 0, 1)) --------------- */

static void hard_sigmoid_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++) {
        nnc_real v = z[i] / (nnc_real)6 + HALF;
        a[i] = v < ZERO ? ZERO : v > ONE ? ONE : v;
    }
}

static void hard_sigmoid_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                    size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > (nnc_real)-3 && z[i] < (nnc_real)3 ? ONE / (nnc_real)6 : ZERO;
}

/* ---- hard tanh: clamp(z, -1, 1) ------------------------------------ */

static void hard_tanh_forward(const nnc_real *z, nnc_real *a, size_t n, double param)
{
    (void)param;
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] < -ONE ? -ONE : z[i] > ONE ? ONE : z[i];
}

static void hard_tanh_derivative(const nnc_real *z, const nnc_real *a, nnc_real *d,
                                 size_t n, double param)
{
    (void)a, (void)param;
    for (size_t i = 0; i < n; i++)
        d[i] = z[i] > -ONE && z[i] < ONE ? ONE : ZERO;
}

/* ---- the same, as C text (nnc_activation_info.c_source) ------------- */

/* s = stable_sigmoid(v), with the scratch names e and r. */
#define C_SIGMOID(v)                                                               \
    C_REAL " e = " C_FN(exp) "(-" C_FN(fabs) "(" v "));\n" C_REAL " r = " C_ONE       \
    " / (" C_ONE " + e);\n" C_REAL " s = " v " >= " C_ZERO " ? r : e * r;\n"
/* sp = stable_softplus(z). */
#define C_SOFTPLUS                                                                 \
    C_REAL " m = z > " C_ZERO " ? z : " C_ZERO ";\n" C_REAL " sp = m + " C_FN(log1p) \
    "(" C_FN(exp) "(-" C_FN(fabs) "(z)));\n"

#define C_SRC_IDENTITY "a = z;\n"
#define C_SRC_STEP                                                                 \
    "const " C_REAL " t = (" C_REAL ")param;\na = z > t ? " C_ONE " : " C_ZERO ";\n"
#define C_SRC_SIGMOID C_SIGMOID("z") "a = s;\n"
#define C_SRC_TANH "a = " C_FN(tanh) "(z);\n"
#define C_SRC_RELU "a = z > " C_ZERO " ? z : " C_ZERO ";\n"
#define C_SRC_LEAKY_RELU                                                           \
    "const " C_REAL " alpha = (" C_REAL ")param;\na = z > " C_ZERO                  \
    " ? z : alpha * z;\n"
#define C_SRC_SOFTPLUS C_SOFTPLUS "a = sp;\n"
#define C_SRC_ELU                                                                  \
    "const " C_REAL " alpha = (" C_REAL ")param;\na = z > " C_ZERO                  \
    " ? z : alpha * " C_FN(expm1) "(z);\n"
#define C_SRC_BENIDENTITY                                                          \
    C_REAL " m = " C_FN(fabs) "(z);\n" C_REAL " root = m > " C_CAST(1e18)          \
    " ? m : " C_FN(sqrt) "(z * z + " C_ONE ");\na = (root - " C_ONE ") * " C_HALF " + z;\n"
#define C_SRC_GELU_TANH                                                            \
    C_REAL " c = z > " C_CAST(1e4) " ? " C_CAST(1e4) " : z < " C_CAST(-1e4) " ? "  \
    C_CAST(-1e4) " : z;\n" C_REAL " u2 = " C_CAST(2 * SQRT_2_OVER_PI) " * (c + "   \
    C_CAST(GELU_C) " * c * c * c);\n" C_SIGMOID("u2") "a = z * s;\n"
#define C_SRC_GELU_ERF                                                             \
    "a = z * " C_HALF " * " C_FN(erfc) "(-z * " C_CAST(INV_SQRT2) ");\n"
#define C_SRC_SILU C_SIGMOID("z") "a = z * s;\n"
#define C_SRC_MISH C_SOFTPLUS "a = z * " C_FN(tanh) "(sp);\n"
#define C_SRC_SELU                                                                 \
    "const " C_REAL " l = " C_CAST(SELU_LAMBDA) ", la = "                          \
    C_CAST(SELU_LAMBDA * SELU_ALPHA) ";\na = z > " C_ZERO " ? l * z : la * "        \
    C_FN(expm1) "(z);\n"
#define C_SRC_SOFTSIGN "a = z / (" C_ONE " + " C_FN(fabs) "(z));\n"
#define C_SRC_HARD_SIGMOID                                                         \
    C_REAL " v = z / " C_CAST(6) " + " C_HALF ";\na = v < " C_ZERO " ? " C_ZERO      \
    " : v > " C_ONE " ? " C_ONE " : v;\n"
#define C_SRC_HARD_TANH                                                            \
    "a = z < -" C_ONE " ? -" C_ONE " : z > " C_ONE " ? " C_ONE " : z;\n"

/* ---- the catalogue -------------------------------------------------- */

static const nnc_activation_info catalogue[] = {
    [NNC_ACT_IDENTITY] = {NNC_ACT_IDENTITY, "identity", "a = z", "1", "(-inf, inf)", "{1}",
                          -5, 5, NULL, 0, identity_forward, identity_derivative,
                          C_SRC_IDENTITY},
    [NNC_ACT_STEP] = {NNC_ACT_STEP, "step", "a = 1 if z > t else 0", "0", "{0, 1}", "{0}",
                      -5, 5, "threshold", 0, step_forward, zero_derivative, C_SRC_STEP},
    [NNC_ACT_SIGMOID] = {NNC_ACT_SIGMOID, "sigmoid", "a = 1/(1+e^(-z))", "a(1-a)", "(0, 1)",
                         "(0, 0.25]", -7, 7, NULL, 0, sigmoid_forward, sigmoid_derivative,
                         C_SRC_SIGMOID},
    [NNC_ACT_TANH] = {NNC_ACT_TANH, "tanh", "a = 2/(1+e^(-2z)) - 1", "1-a^2", "(-1, 1)",
                      "(0, 1]", -7, 7, NULL, 0, tanh_forward, tanh_derivative, C_SRC_TANH},
    [NNC_ACT_RELU] = {NNC_ACT_RELU, "relu", "a = max(0, z)", "1 if z > 0 else 0",
                      "[0, inf)", "{0, 1}", -5, 5, NULL, 0, relu_forward, relu_derivative,
                      C_SRC_RELU},
    [NNC_ACT_LEAKY_RELU] = {NNC_ACT_LEAKY_RELU, "leaky_relu", "a = z if z > 0 else alpha*z",
                            "1 if z > 0 else alpha", "(-inf, inf)", "{alpha, 1}", -5, 5,
                            "alpha", 0.01, leaky_relu_forward, leaky_relu_derivative,
                            C_SRC_LEAKY_RELU},
    [NNC_ACT_SOFTPLUS] = {NNC_ACT_SOFTPLUS, "softplus", "a = ln(1+e^z)", "e^z/(1+e^z)",
                          "(0, inf)", "(0, 1)", -5, 5, NULL, 0, softplus_forward,
                          softplus_derivative, C_SRC_SOFTPLUS},
    [NNC_ACT_ELU] = {NNC_ACT_ELU, "elu", "a = z if z > 0 else alpha*(e^z-1)",
                     "1 if z > 0 else alpha*e^z", "(-alpha, inf)", "(0, max(1, alpha)]", -4,
                     4, "alpha", 1.0, elu_forward, elu_derivative, C_SRC_ELU},
    [NNC_ACT_BENIDENTITY] = {NNC_ACT_BENIDENTITY, "benidentity", "a = (sqrt(z^2+1)-1)/2 + z",
                             "z/(2*sqrt(z^2+1)) + 1", "(-inf, inf)", "(0.5, 1.5)", -7, 7,
                             NULL, 0, benidentity_forward, benidentity_derivative,
                             C_SRC_BENIDENTITY},
    [NNC_ACT_GELU_TANH] = {NNC_ACT_GELU_TANH, "gelu_tanh",
                           "a = z/2*(1+tanh(u)), u = sqrt(2/pi)*(z+0.044715z^3)",
                           "(1+t)/2 + z/2*(1-t^2)*u', t = tanh(u)", "[-0.170, inf)",
                           "[-0.129, 1.129]", -4, 4, NULL, 0, gelu_tanh_forward,
                           gelu_tanh_derivative, C_SRC_GELU_TANH},
    [NNC_ACT_GELU_ERF] = {NNC_ACT_GELU_ERF, "gelu_erf", "a = z*Phi(z) = z/2*(1+erf(z/sqrt2))",
                          "Phi(z) + z*phi(z)", "[-0.170, inf)", "[-0.129, 1.129]", -4, 4,
                          NULL, 0, gelu_erf_forward, gelu_erf_derivative, C_SRC_GELU_ERF},
    [NNC_ACT_SILU] = {NNC_ACT_SILU, "silu", "a = z/(1+e^(-z))", "s + z*s(1-s), s = sigmoid(z)",
                      "[-0.278, inf)", "[-0.100, 1.100]", -6, 6, NULL, 0, silu_forward,
                      silu_derivative, C_SRC_SILU},
    [NNC_ACT_MISH] = {NNC_ACT_MISH, "mish", "a = z*tanh(ln(1+e^z))",
                      "t + z(1-t^2)*sigmoid(z), t = tanh(ln(1+e^z))", "[-0.309, inf)",
                      "[-0.113, 1.089]", -6, 6, NULL, 0, mish_forward, mish_derivative,
                      C_SRC_MISH},
    [NNC_ACT_SELU] = {NNC_ACT_SELU, "selu", "a = l*z if z > 0 else l*k*(e^z-1)",
                      "l if z > 0 else l*k*e^z (l=1.0507, k=1.6733)", "(-1.7581, inf)",
                      "(0, 1.7581]", -4, 4, NULL, 0, selu_forward, selu_derivative,
                      C_SRC_SELU},
    [NNC_ACT_SOFTSIGN] = {NNC_ACT_SOFTSIGN, "softsign", "a = z/(1+|z|)", "1/(1+|z|)^2",
                          "(-1, 1)", "(0, 1]", -7, 7, NULL, 0, softsign_forward,
                          softsign_derivative, C_SRC_SOFTSIGN},
    [NNC_ACT_HARD_SIGMOID] = {NNC_ACT_HARD_SIGMOID, "hard_sigmoid",
                              "a = clamp(z/6 + 1/2, 0, 1)", "1/6 if -3 < z < 3 else 0",
                              "[0, 1]", "{0, 1/6}", -5, 5, NULL, 0, hard_sigmoid_forward,
                              hard_sigmoid_derivative, C_SRC_HARD_SIGMOID},
    [NNC_ACT_HARD_TANH] = {NNC_ACT_HARD_TANH, "hard_tanh", "a = clamp(z, -1, 1)",
                           "1 if -1 < z < 1 else 0", "[-1, 1]", "{0, 1}", -3, 3, NULL, 0,
                           hard_tanh_forward, hard_tanh_derivative, C_SRC_HARD_TANH},
};

_Static_assert(sizeof catalogue / sizeof catalogue[0] == NNC_ACT_COUNT,
               "one catalogue row per nnc_activation");

/* Other accepted spellings; the catalogue's own names stay unique. */
static const struct {
    const char *alias;
    nnc_activation id;
} aliases[] = {
    {"swish", NNC_ACT_SILU},
};

const nnc_activation_info *nnc_activation_get(nnc_activation id)
{
    if ((int)id < 0 || (int)id >= NNC_ACT_COUNT)
        return NULL;
    return &catalogue[id];
}

/* Case-insensitive equality with '-' and '_' taken as the same character. */
static int same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca == '-')
            ca = '_';
        if (cb == '-')
            cb = '_';
        if (ca != cb)
            return 0;
        if (ca == '\0')
            return 1;
    }
}

nnc_status nnc_activation_from_name(const char *name, nnc_activation *out)
{
    if (!name || !out)
        return nnc_fail(NNC_ERR_ARGUMENT, "activation name: NULL argument");
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        if (same_name(name, catalogue[i].name)) {
            *out = catalogue[i].id;
            return NNC_OK;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (same_name(name, aliases[i].alias)) {
            *out = aliases[i].id;
            return NNC_OK;
        }
    }
    char list[512];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; i < NNC_ACT_COUNT && len < sizeof list; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                         catalogue[i].name);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return nnc_fail(NNC_ERR_ARGUMENT, "unknown activation '%.64s' (valid names: %s)", name,
                    list);
}
