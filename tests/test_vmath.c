/* src/vmath.h (nnc's float exp, expm1 and tanh) against double-precision
 * libm.
 *
 * Accuracy: every 97th float bit pattern (both signs, about 44 million
 * inputs) through each function, the error measured in units in the last
 * place of the float result (the spacing of floats at the exact value;
 * 2^-149 among the subnormals) against the double result, which is exact
 * to far below that.  The largest errors are printed and must be within
 * MAX_ULP; then the special values: +-0, +-inf, NaN, the overflow and
 * underflow edges, subnormal results.
 */
#include "check.h"
#include "vmath.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_ULP 2.0
#define STRIDE 97u

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* |got - want| in units of the float spacing at want (want finite, not
 * above FLT_MAX in magnitude). */
static double ulp_error(float got, double want)
{
    int e;
    frexp(want, &e); /* |want| in [2^(e-1), 2^e) */
    double ulp = ldexp(1.0, (e - 1 > FLT_MIN_EXP - 1 ? e - 1 : FLT_MIN_EXP - 1) - 23);
    if (want == 0)
        ulp = ldexp(1.0, FLT_MIN_EXP - 1 - 23);
    return fabs((double)got - want) / ulp;
}

typedef struct {
    const char *name;
    float (*f)(float);
    double (*ref)(double);
} vm_function;

static float call_exp(float x) { return nnc_expf(x); }
static float call_expm1(float x) { return nnc_expm1f(x); }
static float call_tanh(float x) { return nnc_tanhf(x); }

/* The sweep: returns the largest error, and reports where it was. */
static double sweep(const vm_function *fn)
{
    double worst = 0;
    float worst_x = 0;
    long bad_special = 0;
    for (uint64_t u = 0; u < (1ull << 32); u += STRIDE) {
        float x = from_bits((uint32_t)u);
        if (isnan(x))
            continue;
        float got = fn->f(x);
        double want = fn->ref((double)x);
        if (fabs(want) > FLT_MAX) {
            /* Overflow: +inf, unless the exact value rounds to FLT_MAX. */
            if (!(got == (float)want || (isinf(want) ? 0 : fabs(got) == FLT_MAX)))
                bad_special++;
            continue;
        }
        double err = ulp_error(got, want);
        if (!(err <= worst)) {
            worst = err;
            worst_x = x;
        }
    }
    printf("%s: max error %.3f ulp at x = %a (every %u-th float)\n", fn->name, worst,
           (double)worst_x, STRIDE);
    CHECK(bad_special == 0);
    return worst;
}

static void check_accuracy(void)
{
    const vm_function fns[] = {
        {"nnc_expf", call_exp, exp},
        {"nnc_expm1f", call_expm1, expm1},
        {"nnc_tanhf", call_tanh, tanh},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        double worst = sweep(&fns[i]);
        CHECK(worst <= MAX_ULP);
    }
}

/* Bitwise equality, with every NaN equal to every NaN. */
static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || to_bits(a) == to_bits(b);
}

static void check_special_values(void)
{
    const float inf = INFINITY, nan = NAN;
    /* exp */
    CHECK(same_float(nnc_expf(0.0f), 1.0f) && same_float(nnc_expf(-0.0f), 1.0f));
    CHECK(same_float(nnc_expf(inf), inf) && same_float(nnc_expf(-inf), 0.0f));
    CHECK(isnan(nnc_expf(nan)) && isnan(nnc_expf(-nan)));
    CHECK(same_float(nnc_expf(89.0f), inf) && same_float(nnc_expf(1e30f), inf));
    CHECK(same_float(nnc_expf(88.8f), inf) && nnc_expf(88.72f) < FLT_MAX);
    CHECK(same_float(nnc_expf(-104.0f), 0.0f) && same_float(nnc_expf(-1e30f), 0.0f));
    CHECK(nnc_expf(-87.0f) >= FLT_MIN);       /* still normal */
    CHECK(nnc_expf(-100.0f) > 0 && nnc_expf(-100.0f) < FLT_MIN); /* gradual underflow */
    CHECK(same_float(nnc_expf(-103.5f), from_bits(1)) || nnc_expf(-103.5f) == 0);
    CHECK(same_float(nnc_expf(1.0f), (float)exp(1.0)));
    /* expm1 */
    CHECK(same_float(nnc_expm1f(0.0f), 0.0f));
    CHECK(same_float(nnc_expm1f(-0.0f), 0.0f) || same_float(nnc_expm1f(-0.0f), -0.0f));
    CHECK(same_float(nnc_expm1f(inf), inf) && same_float(nnc_expm1f(-inf), -1.0f));
    CHECK(isnan(nnc_expm1f(nan)));
    CHECK(same_float(nnc_expm1f(-20.0f), -1.0f) && same_float(nnc_expm1f(-1e30f), -1.0f));
    CHECK(same_float(nnc_expm1f(89.0f), inf) && nnc_expm1f(88.72f) < FLT_MAX);
    CHECK(same_float(nnc_expm1f(1e-30f), 1e-30f) && same_float(nnc_expm1f(-1e-30f), -1e-30f));
    CHECK(same_float(nnc_expm1f(FLT_TRUE_MIN), FLT_TRUE_MIN));
    /* tanh: odd, exact signs of zero, saturation */
    CHECK(same_float(nnc_tanhf(0.0f), 0.0f) && same_float(nnc_tanhf(-0.0f), -0.0f));
    CHECK(same_float(nnc_tanhf(inf), 1.0f) && same_float(nnc_tanhf(-inf), -1.0f));
    CHECK(isnan(nnc_tanhf(nan)));
    CHECK(same_float(nnc_tanhf(10.0f), 1.0f) && same_float(nnc_tanhf(-1e4f), -1.0f));
    CHECK(same_float(nnc_tanhf(1e-30f), 1e-30f) && same_float(nnc_tanhf(-1e-30f), -1e-30f));
    for (float x = 1e-6f; x < 20; x *= 1.37f)
        CHECK(same_float(nnc_tanhf(-x), -nnc_tanhf(x)));
}

int main(void)
{
    check_special_values();
    check_accuracy();
    return check_report("test_vmath");
}
