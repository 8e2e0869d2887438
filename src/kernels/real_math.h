/* Math in the precision of nnc_real, for the activations and the output
 * functions: libm's double functions in a double build; in a float build
 * vmath.h's exp, expm1, tanh and log1p (branch-free, so loops of them
 * vectorise, and the same bits on every kernel path) and libm's float
 * functions for the rest.  export-c writes the same choice into its files (the c_source
 * of src/activation.c, the output functions of cli/cmd_export_c.c). */
#ifndef NNC_REAL_MATH_H
#define NNC_REAL_MATH_H

#include "nnc.h"
#include "vmath.h"

#include <math.h>

#ifdef NNC_DOUBLE
#define R_EXP exp
#define R_EXPM1 expm1
#define R_LOG1P log1p
#define R_TANH tanh
#define R_ERFC erfc
#define R_SQRT sqrt
#define R_FABS fabs
#else
#define R_EXP nnc_expf
#define R_EXPM1 nnc_expm1f
#define R_LOG1P nnc_log1pf
#define R_TANH nnc_tanhf
#define R_ERFC erfcf
#define R_SQRT sqrtf
#define R_FABS fabsf
#endif

/* The logistic sigmoid 1/(1+e^-z) without overflow: with e = e^-|z| in
 * (0, 1], 1/(1+e) for z >= 0 and e/(1+e) below, one division either way.
 * Branch-free, so loops of it vectorise.  (The sigmoid activation, and the
 * binary task's output function.) */
static inline nnc_real nnc_logistic(nnc_real z)
{
    const nnc_real e = R_EXP(-R_FABS(z));
    const nnc_real num = z >= 0 ? (nnc_real)1 : e;
    return num / ((nnc_real)1 + e);
}

#endif
