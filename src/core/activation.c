/* The activation catalogue: one table row per function, each with its formulas
 * as text, its ranges, its default plot range and parameter, and a forward and
 * derivative kernel that work on whole arrays, built on the element functions
 * of kernels/activation_elements.h.
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
#include <stdio.h>
#include <string.h>

/* The kernels, compiled here for the portable path: the catalogue's own
 * forward and derivative_fn. */
#define ACT_TARGET
#include "kernels/activation_kernels.h"

/* A row's c_source: one call of its element function (activation_elements.h,
 * whose text export-c writes into its files). */
#define C_CALL(elem) "a = " #elem "(z, (nnc_real)param);\n"

/* ---- the catalogue -------------------------------------------------- */

static const nnc_activation_info catalogue[] = {
    [NNC_ACT_IDENTITY] = {NNC_ACT_IDENTITY, "identity", "a = z", "1", "(-inf, inf)", "{1}",
                          -5, 5, NULL, 0, identity_forward, identity_derivative,
                          C_CALL(identity_f)},
    [NNC_ACT_STEP] = {NNC_ACT_STEP, "step", "a = 1 if z > t else 0", "0", "{0, 1}", "{0}",
                      -5, 5, "threshold", 0, step_forward, step_derivative, C_CALL(step_f)},
    [NNC_ACT_SIGMOID] = {NNC_ACT_SIGMOID, "sigmoid", "a = 1/(1+e^(-z))", "a(1-a)", "(0, 1)",
                         "(0, 0.25]", -7, 7, NULL, 0, sigmoid_forward, sigmoid_derivative,
                         C_CALL(sigmoid_f)},
    [NNC_ACT_TANH] = {NNC_ACT_TANH, "tanh", "a = 2/(1+e^(-2z)) - 1", "1-a^2", "(-1, 1)",
                      "(0, 1]", -7, 7, NULL, 0, tanh_forward, tanh_derivative, C_CALL(tanh_f)},
    [NNC_ACT_RELU] = {NNC_ACT_RELU, "relu", "a = max(0, z)", "1 if z > 0 else 0",
                      "[0, inf)", "{0, 1}", -5, 5, NULL, 0, relu_forward, relu_derivative,
                      C_CALL(relu_f)},
    [NNC_ACT_LEAKY_RELU] = {NNC_ACT_LEAKY_RELU, "leaky_relu", "a = z if z > 0 else alpha*z",
                            "1 if z > 0 else alpha", "(-inf, inf)", "{alpha, 1}", -5, 5,
                            "alpha", 0.01, leaky_relu_forward, leaky_relu_derivative,
                            C_CALL(leaky_relu_f)},
    [NNC_ACT_SOFTPLUS] = {NNC_ACT_SOFTPLUS, "softplus", "a = ln(1+e^z)", "e^z/(1+e^z)",
                          "(0, inf)", "(0, 1)", -5, 5, NULL, 0, softplus_forward,
                          softplus_derivative, C_CALL(softplus_f)},
    [NNC_ACT_ELU] = {NNC_ACT_ELU, "elu", "a = z if z > 0 else alpha*(e^z-1)",
                     "1 if z > 0 else alpha*e^z", "(-alpha, inf)", "(0, max(1, alpha)]", -4,
                     4, "alpha", 1.0, elu_forward, elu_derivative, C_CALL(elu_f)},
    [NNC_ACT_BENIDENTITY] = {NNC_ACT_BENIDENTITY, "benidentity", "a = (sqrt(z^2+1)-1)/2 + z",
                             "z/(2*sqrt(z^2+1)) + 1", "(-inf, inf)", "(0.5, 1.5)", -7, 7,
                             NULL, 0, benidentity_forward, benidentity_derivative,
                             C_CALL(benidentity_f)},
    [NNC_ACT_GELU_TANH] = {NNC_ACT_GELU_TANH, "gelu_tanh",
                           "a = z/2*(1+tanh(u)), u = sqrt(2/pi)*(z+0.044715z^3)",
                           "(1+t)/2 + z/2*(1-t^2)*u', t = tanh(u)", "[-0.170, inf)",
                           "[-0.129, 1.129]", -4, 4, NULL, 0, gelu_tanh_forward,
                           gelu_tanh_derivative, C_CALL(gelu_tanh_f)},
    [NNC_ACT_GELU_ERF] = {NNC_ACT_GELU_ERF, "gelu_erf", "a = z*Phi(z) = z/2*(1+erf(z/sqrt2))",
                          "Phi(z) + z*phi(z)", "[-0.170, inf)", "[-0.129, 1.129]", -4, 4,
                          NULL, 0, gelu_erf_forward, gelu_erf_derivative, C_CALL(gelu_erf_f)},
    [NNC_ACT_SILU] = {NNC_ACT_SILU, "silu", "a = z/(1+e^(-z))", "s + z*s(1-s), s = sigmoid(z)",
                      "[-0.278, inf)", "[-0.100, 1.100]", -6, 6, NULL, 0, silu_forward,
                      silu_derivative, C_CALL(silu_f)},
    [NNC_ACT_MISH] = {NNC_ACT_MISH, "mish", "a = z*tanh(ln(1+e^z))",
                      "t + z(1-t^2)*sigmoid(z), t = tanh(ln(1+e^z))", "[-0.309, inf)",
                      "[-0.113, 1.089]", -6, 6, NULL, 0, mish_forward, mish_derivative,
                      C_CALL(mish_f)},
    [NNC_ACT_SELU] = {NNC_ACT_SELU, "selu", "a = l*z if z > 0 else l*k*(e^z-1)",
                      "l if z > 0 else l*k*e^z (l=1.0507, k=1.6733)", "(-1.7581, inf)",
                      "(0, 1.7581]", -4, 4, NULL, 0, selu_forward, selu_derivative,
                      C_CALL(selu_f)},
    [NNC_ACT_SOFTSIGN] = {NNC_ACT_SOFTSIGN, "softsign", "a = z/(1+|z|)", "1/(1+|z|)^2",
                          "(-1, 1)", "(0, 1]", -7, 7, NULL, 0, softsign_forward,
                          softsign_derivative, C_CALL(softsign_f)},
    [NNC_ACT_HARD_SIGMOID] = {NNC_ACT_HARD_SIGMOID, "hard_sigmoid",
                              "a = clamp(z/6 + 1/2, 0, 1)", "1/6 if -3 < z < 3 else 0",
                              "[0, 1]", "{0, 1/6}", -5, 5, NULL, 0, hard_sigmoid_forward,
                              hard_sigmoid_derivative, C_CALL(hard_sigmoid_f)},
    [NNC_ACT_HARD_TANH] = {NNC_ACT_HARD_TANH, "hard_tanh", "a = clamp(z, -1, 1)",
                           "1 if -1 < z < 1 else 0", "[-1, 1]", "{0, 1}", -3, 3, NULL, 0,
                           hard_tanh_forward, hard_tanh_derivative, C_CALL(hard_tanh_f)},
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
