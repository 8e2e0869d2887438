/* The activation kernels as a template: core/activation.c includes this
 * file for the portable path (the catalogue's own forward and derivative),
 * activation_avx2.c and activation_avx512.c for the SIMD paths, each with
 * ACT_TARGET set to its target attribute, so that the compiler vectorises
 * the same loops of the same element functions (activation_elements.h) for
 * SSE2, AVX2 and AVX-512.  In the float build, exp, expm1, tanh and log1p
 * are vmath.h's, whose operations are all correctly rounded basic
 * arithmetic: every compilation gives the same bits.  The rest (erfc, sqrt,
 * and all of the double build) is libm, called element by element in the
 * same way on every path.
 *
 * The includer defines ACT_TARGET (empty, or __attribute__((target(...))))
 * and, for a SIMD path, ACT_KERNEL_TABLE (the name of this instance's table
 * of kernels, which activation_paths.c picks from). */
#include "activation_elements.h"
#include "activation_paths.h"

#include <string.h>

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
                    ab[i] = elem(i < len ? z[i0 + i] : R_ZERO, p);                       \
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
                    db[i] = elem(i < len ? z[i0 + i] : R_ZERO,                           \
                                 i < len ? a[i0 + i] : R_ZERO, p);                       \
                memcpy(d + i0, db, len * sizeof *db);                                    \
            }                                                                            \
        }                                                                                \
    }

/* ---- the kernels, and this instance's table of them ------------------ */

ACT_FORWARD(identity_forward, identity_f)
ACT_DERIVATIVE(identity_derivative, identity_df)
ACT_FORWARD(step_forward, step_f)
ACT_DERIVATIVE(step_derivative, step_df)
ACT_FORWARD(sigmoid_forward, sigmoid_f)
ACT_DERIVATIVE(sigmoid_derivative, sigmoid_df)
ACT_FORWARD(tanh_forward, tanh_f)
ACT_DERIVATIVE(tanh_derivative, tanh_df)
ACT_FORWARD(relu_forward, relu_f)
ACT_DERIVATIVE(relu_derivative, relu_df)
ACT_FORWARD(leaky_relu_forward, leaky_relu_f)
ACT_DERIVATIVE(leaky_relu_derivative, leaky_relu_df)
ACT_FORWARD(softplus_forward, softplus_f)
ACT_DERIVATIVE(softplus_derivative, softplus_df)
ACT_FORWARD(elu_forward, elu_f)
ACT_DERIVATIVE(elu_derivative, elu_df)
ACT_FORWARD(benidentity_forward, benidentity_f)
ACT_DERIVATIVE(benidentity_derivative, benidentity_df)
ACT_FORWARD(gelu_tanh_forward, gelu_tanh_f)
ACT_DERIVATIVE(gelu_tanh_derivative, gelu_tanh_df)
ACT_FORWARD(gelu_erf_forward, gelu_erf_f)
ACT_DERIVATIVE(gelu_erf_derivative, gelu_erf_df)
ACT_FORWARD(silu_forward, silu_f)
ACT_DERIVATIVE(silu_derivative, silu_df)
ACT_FORWARD(mish_forward, mish_f)
ACT_DERIVATIVE(mish_derivative, mish_df)
ACT_FORWARD(selu_forward, selu_f)
ACT_DERIVATIVE(selu_derivative, selu_df)
ACT_FORWARD(softsign_forward, softsign_f)
ACT_DERIVATIVE(softsign_derivative, softsign_df)
ACT_FORWARD(hard_sigmoid_forward, hard_sigmoid_f)
ACT_DERIVATIVE(hard_sigmoid_derivative, hard_sigmoid_df)
ACT_FORWARD(hard_tanh_forward, hard_tanh_f)
ACT_DERIVATIVE(hard_tanh_derivative, hard_tanh_df)

#ifdef ACT_KERNEL_TABLE
const nnc_act_kernels ACT_KERNEL_TABLE[NNC_ACT_COUNT] = {
    [NNC_ACT_IDENTITY] = {identity_forward, identity_derivative},
    [NNC_ACT_STEP] = {step_forward, step_derivative},
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
#endif
