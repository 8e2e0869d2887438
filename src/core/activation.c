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
#include "kernels/kernels.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The kernels, compiled here for the portable path. */
#define ACT_TARGET
#define ACT_KERNEL_TABLE nnc_act_kernels_portable
#include "kernels/activation_kernels.h"

/* The copy of the kernels compiled for path, or the portable one. */
static const nnc_act_kernels *kernels_on(int path, nnc_activation id)
{
    switch (path) {
#if defined(__GNUC__) && defined(__x86_64__)
    case NNC_PATH_AVX512:
        return &nnc_act_kernels_avx512[id];
    case NNC_PATH_AVX2:
        return &nnc_act_kernels_avx2[id];
#endif
    default:
        return &nnc_act_kernels_portable[id];
    }
}

void nnc_activation_forward_on(int path, const nnc_activation_info *act, const nnc_real *z,
                               nnc_real *a, size_t n, double param)
{
    kernels_on(path, act->id)->forward(z, a, n, param);
}

void nnc_activation_derivative_on(int path, const nnc_activation_info *act,
                                  const nnc_real *z, const nnc_real *a, nnc_real *d,
                                  size_t n, double param)
{
    kernels_on(path, act->id)->derivative(z, a, d, n, param);
}

/* The rows' c_source text uses the same names, spelled out for the build's
 * precision: C_REAL is the type, C_R(EXP) etc. the name of the very function
 * the kernels call as R_EXP etc. (real_math.h: in float vmath.h's
 * "nnc_expf", whose text export-c writes into its file, or libm's "erfcf";
 * libm's "exp" in double), C_CAST(x) rounds a double constant as
 * (nnc_real)x does; C_ONE etc. are exact literals. */
#define C_STR(x) #x
#define C_XSTR(x) C_STR(x)
#define C_R(f) C_XSTR(R_##f)
#ifdef NNC_DOUBLE
#define C_REAL "double"
#define C_ONE "1.0"
#define C_HALF "0.5"
#define C_ZERO "0.0"
#else
#define C_REAL "float"
#define C_ONE "1.0f"
#define C_HALF "0.5f"
#define C_ZERO "0.0f"
#endif
#define C_CAST(x) "(" C_REAL ")(" C_XSTR(x) ")"

/* ---- the same, as C text (nnc_activation_info.c_source) ------------- */

/* s = nnc_logistic(v) (real_math.h), with the scratch names e and num. */
#define C_SIGMOID(v)                                                               \
    C_REAL " e = " C_R(EXP) "(-" C_R(FABS) "(" v "));\n" C_REAL " num = " v       \
    " >= " C_ZERO " ? " C_ONE " : e;\n" C_REAL " s = num / (" C_ONE " + e);\n"
/* sp = stable_softplus(z). */
#define C_SOFTPLUS                                                                 \
    C_REAL " m = z > " C_ZERO " ? z : " C_ZERO ";\n" C_REAL " sp = m + " C_R(LOG1P)  \
    "(" C_R(EXP) "(-" C_R(FABS) "(z)));\n"

#define C_SRC_IDENTITY "a = z;\n"
#define C_SRC_STEP                                                                 \
    "const " C_REAL " t = (" C_REAL ")param;\na = z > t ? " C_ONE " : " C_ZERO ";\n"
#define C_SRC_SIGMOID C_SIGMOID("z") "a = s;\n"
#define C_SRC_TANH "a = " C_R(TANH) "(z);\n"
#define C_SRC_RELU "a = z > " C_ZERO " ? z : " C_ZERO ";\n"
#define C_SRC_LEAKY_RELU                                                           \
    "const " C_REAL " alpha = (" C_REAL ")param;\na = z > " C_ZERO                  \
    " ? z : alpha * z;\n"
#define C_SRC_SOFTPLUS C_SOFTPLUS "a = sp;\n"
#define C_SRC_ELU                                                                  \
    "const " C_REAL " alpha = (" C_REAL ")param;\na = z > " C_ZERO                  \
    " ? z : alpha * " C_R(EXPM1) "(z);\n"
#define C_SRC_BENIDENTITY                                                          \
    C_REAL " m = " C_R(FABS) "(z);\n" C_REAL " root = m > " C_CAST(1e18)          \
    " ? m : " C_R(SQRT) "(z * z + " C_ONE ");\na = (root - " C_ONE ") * " C_HALF " + z;\n"
#define C_SRC_GELU_TANH                                                            \
    C_REAL " c = z > " C_CAST(1e4) " ? " C_CAST(1e4) " : z < " C_CAST(-1e4) " ? "  \
    C_CAST(-1e4) " : z;\n" C_REAL " u2 = " C_CAST(2 * SQRT_2_OVER_PI) " * (c + "   \
    C_CAST(GELU_C) " * c * c * c);\n" C_SIGMOID("u2") "a = z * s;\n"
#define C_SRC_GELU_ERF                                                             \
    "a = z * " C_HALF " * " C_R(ERFC) "(-z * " C_CAST(INV_SQRT2) ");\n"
#define C_SRC_SILU C_SIGMOID("z") "a = z * s;\n"
#define C_SRC_MISH C_SOFTPLUS "a = z * " C_R(TANH) "(sp);\n"
#define C_SRC_SELU                                                                 \
    "const " C_REAL " l = " C_CAST(SELU_LAMBDA) ", la = "                          \
    C_CAST(SELU_LAMBDA * SELU_ALPHA) ";\na = z > " C_ZERO " ? l * z : la * "        \
    C_R(EXPM1) "(z);\n"
#define C_SRC_SOFTSIGN "a = z / (" C_ONE " + " C_R(FABS) "(z));\n"
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
