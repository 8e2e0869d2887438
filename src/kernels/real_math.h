/* Math in the precision of nnc_real, for the activations and the output
 * functions (activation_elements.h): libm's double functions in a double
 * build; in a float build vmath.h's exp, expm1, tanh and log1p
 * (branch-free, so loops of them vectorise, and the same bits on every
 * kernel path) and libm's float functions for the rest.  export-c copies
 * this text into its files after its own nnc_real (and NNC_DOUBLE) and
 * vmath.h's text, leaving out the #include lines, so that the exported
 * formulas call the same functions. */
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

#endif
