/* src/kernels/vmath.h (nnc's float exp, expm1, tanh and log1p) against double-precision
 * libm, and the activation kernels on every kernel path, bit for bit.
 *
 * Accuracy: every 97th float bit pattern (both signs, about 44 million
 * inputs; every 9973rd under valgrind) through each function, the error measured in units in the last
 * place of the float result (the spacing of floats at the exact value;
 * 2^-149 among the subnormals) against the double result, which is exact
 * to far below that.  The largest errors are printed and must be within
 * MAX_ULP; then the special values: +-0, +-inf, NaN, the overflow and
 * underflow edges, subnormal results.
 *
 * Paths: each activation's forward and derivative kernels, compiled for
 * each path this machine runs (activation_kernels.h), on the same inputs
 * (every length from 1 to 40, so that full and partial blocks both occur,
 * and wide-ranging values), must give the portable path's bits, also when
 * run in place. */
#include "check.h"
#include "kernels/kernels.h"
#include "kernels/vmath.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_ULP 2.0
#ifdef NNC_TEST_MEMCHECK
#define STRIDE 9973u
#else
#define STRIDE 97u
#endif

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
static float call_log1p(float x) { return nnc_log1pf(x); }

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
        if (isnan(want)) { /* outside the domain */
            if (!isnan(got))
                bad_special++;
            continue;
        }
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
        {"nnc_log1pf", call_log1p, log1p},
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
    CHECK(same_float(nnc_expm1f(-0.0f), -0.0f));
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
    /* log1p: the ends of the domain */
    CHECK(same_float(nnc_log1pf(0.0f), 0.0f) && same_float(nnc_log1pf(-0.0f), -0.0f));
    CHECK(same_float(nnc_log1pf(-1.0f), -inf) && same_float(nnc_log1pf(inf), inf));
    CHECK(isnan(nnc_log1pf(-1.5f)) && isnan(nnc_log1pf(-inf)) && isnan(nnc_log1pf(nan)));
    CHECK(same_float(nnc_log1pf(1e-30f), 1e-30f) && same_float(nnc_log1pf(FLT_TRUE_MIN), FLT_TRUE_MIN));
    CHECK(same_float(nnc_log1pf(1.0f), (float)log(2.0)));
    CHECK(nnc_log1pf(FLT_MAX) > 88.7f && nnc_log1pf(FLT_MAX) < 88.8f);
}

/* Values over the activations' ranges: large and tiny, both signs, zeros,
 * the kinks, and the saturation of the exps. */
static void fill_inputs(nnc_real *z, size_t n, nnc_rng *rng)
{
    static const double special[] = {0, -0.0, 1, -1, 3, -3, 1e-30, -1e-30, 20, -20,
                                     88, -88, 100, -100, 1e4, -1e4};
    for (size_t i = 0; i < n; i++) {
        double u = 2 * nnc_rng_uniform(rng) - 1;
        z[i] = i % 5 == 4 ? (nnc_real)special[(i / 5) % 16]
                          : (nnc_real)(u * (i % 3 == 0 ? 30.0 : 4.0));
    }
}

static void check_paths(void)
{
    enum { MAX_N = 40 };
    nnc_rng rng;
    nnc_rng_seed(&rng, 11);
    int compared = 0;
    for (int id = 0; id < NNC_ACT_COUNT; id++) {
        const nnc_activation_info *act = nnc_activation_get((nnc_activation)id);
        double param = act->param_name ? 0.3 : 0;
        for (size_t n = 1; n <= MAX_N; n++) {
            nnc_real z[MAX_N], a_ref[MAX_N], d_ref[MAX_N];
            fill_inputs(z, n, &rng);
            act->forward(z, a_ref, n, param);
            act->derivative_fn(z, a_ref, d_ref, n, param);
            for (int path = 0; path < NNC_PATH_COUNT; path++) {
                if (!nnc_kernel_path_available(path))
                    continue;
                nnc_real a[MAX_N], d[MAX_N], buf[MAX_N];
                nnc_activation_forward_on(path, act, z, a, n, param);
                nnc_activation_derivative_on(path, act, z, a_ref, d, n, param);
                memcpy(buf, z, sizeof buf);
                nnc_activation_forward_on(path, act, buf, buf, n, param); /* in place */
                int ok = memcmp(a, a_ref, n * sizeof *a) == 0 &&
                         memcmp(d, d_ref, n * sizeof *d) == 0 &&
                         memcmp(buf, a_ref, n * sizeof *buf) == 0;
                if (!ok)
                    fprintf(stderr, "%s, n = %zu: path %s differs from portable\n", act->name,
                            n, nnc_kernel_path_name(path));
                CHECK(ok);
                compared++;
            }
        }
    }
    printf("activation kernels: %d (activation, length, path) cases bit for bit\n", compared);
}

int main(void)
{
    check_special_values();
    check_accuracy();
    check_paths();
    return check_report("test_vmath");
}
