/* The activation catalogue: table integrity, name lookup, every derivative
 * against central finite differences of its forward function, known values,
 * output and derivative ranges, numerical stability for large |z|, and the
 * kernels and output functions against the element functions they are built
 * on (kernels/activation_elements.h). */
#include "check.h"
#include "internal.h" /* nnc_output_forward */
#include "kernels/activation_elements.h"
#include "nnc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NNC_DOUBLE
#define FD_H 1e-4      /* finite-difference step */
#define FD_ABS 2e-8    /* |d - fd| <= FD_ABS + FD_REL |fd| */
#define FD_REL 2e-8
#define VALUE_TOL 1e-13 /* relative tolerance of known values */
#else
#define FD_H 1e-2
#define FD_ABS 1e-4
#define FD_REL 2e-4
#define VALUE_TOL 3e-6
#endif

#define NGRID 400

static const double stability_z[] = {1e4, -1e4, 1e3, -1e3, 100, -100, 88.8, -88.8,
                                     50, -50, 0};
#define NSTAB (sizeof stability_z / sizeof stability_z[0])

/* f(z) and f'(z) at one point, through the table's array kernels. */
static void eval1(const nnc_activation_info *info, double param, double z, double *a,
                  double *d)
{
    nnc_real zr = (nnc_real)z, ar, dr;
    info->forward(&zr, &ar, 1, param);
    info->derivative_fn(&zr, &ar, &dr, 1, param);
    *a = (double)ar;
    *d = (double)dr;
}

/* The points where the derivative jumps (finite differences skip them). */
static int kinks(nnc_activation id, double param, double *k)
{
    switch (id) {
    case NNC_ACT_STEP: k[0] = param; return 1;
    case NNC_ACT_RELU:
    case NNC_ACT_LEAKY_RELU:
    case NNC_ACT_ELU:
    case NNC_ACT_SELU: k[0] = 0; return 1;
    case NNC_ACT_HARD_SIGMOID: k[0] = -3; k[1] = 3; return 2;
    case NNC_ACT_HARD_TANH: k[0] = -1; k[1] = 1; return 2;
    default: return 0;
    }
}

static void test_table(void)
{
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        CHECK(info != NULL);
        if (!info)
            continue;
        CHECK((int)info->id == i);
        CHECK(info->name && info->name[0]);
        CHECK(info->formula && info->formula[0]);
        CHECK(info->derivative && info->derivative[0]);
        CHECK(info->output_range && info->output_range[0]);
        CHECK(info->derivative_range && info->derivative_range[0]);
        CHECK(info->forward != NULL);
        CHECK(info->derivative_fn != NULL);
        CHECK(info->plot_min < info->plot_max);
        CHECK(isfinite(info->default_param));
        /* Names are unique and lower-case identifiers. */
        for (const char *p = info->name; *p; p++)
            CHECK((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int j = 0; j < i; j++)
            CHECK(strcmp(info->name, nnc_activation_get((nnc_activation)j)->name) != 0);
        /* Empty arrays are fine. */
        info->forward(NULL, NULL, 0, info->default_param);
        info->derivative_fn(NULL, NULL, NULL, 0, info->default_param);
    }
    CHECK(nnc_activation_get(NNC_ACT_COUNT) == NULL);
    CHECK(nnc_activation_get((nnc_activation)-1) == NULL);

    /* The textbook's rows and parameters. */
    CHECK(strcmp(nnc_activation_get(NNC_ACT_SIGMOID)->derivative, "a(1-a)") == 0);
    CHECK(strcmp(nnc_activation_get(NNC_ACT_SIGMOID)->derivative_range, "(0, 0.25]") == 0);
    CHECK(nnc_activation_get(NNC_ACT_SIGMOID)->plot_min == -7);
    CHECK(nnc_activation_get(NNC_ACT_ELU)->plot_max == 4);
    CHECK(strcmp(nnc_activation_get(NNC_ACT_STEP)->param_name, "threshold") == 0);
    CHECK(strcmp(nnc_activation_get(NNC_ACT_LEAKY_RELU)->param_name, "alpha") == 0);
    CHECK(nnc_activation_get(NNC_ACT_LEAKY_RELU)->default_param == 0.01);
    CHECK(strcmp(nnc_activation_get(NNC_ACT_ELU)->param_name, "alpha") == 0);
    CHECK(nnc_activation_get(NNC_ACT_ELU)->default_param == 1.0);
    CHECK(nnc_activation_get(NNC_ACT_SIGMOID)->param_name == NULL);
}

static void test_names(void)
{
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        nnc_activation id = NNC_ACT_COUNT;
        const char *name = nnc_activation_get((nnc_activation)i)->name;
        CHECK_OK(nnc_activation_from_name(name, &id));
        CHECK((int)id == i);
    }
    struct {
        const char *name;
        nnc_activation id;
    } cases[] = {
        {"Leaky-ReLU", NNC_ACT_LEAKY_RELU}, {"LEAKY_relu", NNC_ACT_LEAKY_RELU},
        {"Sigmoid", NNC_ACT_SIGMOID},       {"hard-sigmoid", NNC_ACT_HARD_SIGMOID},
        {"GELU-ERF", NNC_ACT_GELU_ERF},     {"BenIdentity", NNC_ACT_BENIDENTITY},
        {"swish", NNC_ACT_SILU},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nnc_activation id = NNC_ACT_COUNT;
        CHECK_OK(nnc_activation_from_name(cases[i].name, &id));
        CHECK(id == cases[i].id);
    }

    const char *bad[] = {"nosuch", "", "relu6", "sigmoi", "leaky relu", "gelu"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nnc_activation id = NNC_ACT_COUNT;
        CHECK_STATUS(nnc_activation_from_name(bad[i], &id), NNC_ERR_ARGUMENT);
        CHECK(id == NNC_ACT_COUNT); /* untouched on failure */
    }
    nnc_activation id = NNC_ACT_COUNT;
    CHECK_STATUS(nnc_activation_from_name("nosuch", &id), NNC_ERR_ARGUMENT);
    const char *msg = nnc_last_error();
    CHECK(strstr(msg, "nosuch") != NULL);
    for (int i = 0; i < NNC_ACT_COUNT; i++)
        CHECK(strstr(msg, nnc_activation_get((nnc_activation)i)->name) != NULL);
    CHECK_STATUS(nnc_activation_from_name(NULL, &id), NNC_ERR_ARGUMENT);
}

/* Central differences of the forward kernel over n points of [lo, hi]. */
static void check_fd(nnc_activation act, double param, double lo, double hi)
{
    const nnc_activation_info *info = nnc_activation_get(act);
    nnc_real z[NGRID], zp[NGRID], zm[NGRID], a[NGRID], ap[NGRID], am[NGRID], d[NGRID];
    double k[2];
    int nk = kinks(act, param, k);
    size_t n = 0;
    for (int i = 0; i < NGRID; i++) {
        /* An irrational offset keeps the grid off the kinks and round numbers. */
        double x = lo + (i + 0.6180339887498949) * (hi - lo) / NGRID;
        int near = 0;
        for (int j = 0; j < nk; j++)
            near |= fabs(x - k[j]) <= 2 * FD_H;
        if (near)
            continue;
        z[n] = (nnc_real)x;
        zp[n] = (nnc_real)(x + FD_H);
        zm[n] = (nnc_real)(x - FD_H);
        n++;
    }
    info->forward(z, a, n, param);
    info->derivative_fn(z, a, d, n, param);
    info->forward(zp, ap, n, param);
    info->forward(zm, am, n, param);
    int bad = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double fd = ((double)ap[i] - (double)am[i]) / ((double)zp[i] - (double)zm[i]);
        double err = fabs((double)d[i] - fd);
        double tol = FD_ABS + FD_REL * fabs(fd);
        if (err / tol > worst)
            worst = err / tol;
        if (!(err <= tol)) {
            if (bad++ < 3)
                fprintf(stderr, "%s(param %g): f'(%.9g) = %.9g, finite difference %.9g\n",
                        info->name, param, (double)z[i], (double)d[i], fd);
        }
    }
    CHECK(bad == 0);
    CHECK(n > NGRID - 10);
    if (getenv("NNC_TEST_VERBOSE"))
        printf("%-12s param %-5g [%g, %g]: worst error %.3f of tolerance\n", info->name,
               param, lo, hi, worst);
}

static void test_derivatives(void)
{
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        check_fd((nnc_activation)i, info->default_param, info->plot_min, info->plot_max);
        check_fd((nnc_activation)i, info->default_param, -12, 12);
    }
    /* The textbook's plotted parameters and a few others. */
    check_fd(NNC_ACT_STEP, 0.3, -5, 5);
    check_fd(NNC_ACT_LEAKY_RELU, 0.2, -5, 5);
    check_fd(NNC_ACT_ELU, 0.8, -4, 4);
    check_fd(NNC_ACT_ELU, 1.5, -4, 4);
}

static void expect(nnc_activation act, double param, double z, double want_a,
                   double want_d)
{
    double a, d;
    eval1(nnc_activation_get(act), param, z, &a, &d);
    double ta = VALUE_TOL * (fabs(want_a) > 1 ? fabs(want_a) : 1);
    double td = VALUE_TOL * (fabs(want_d) > 1 ? fabs(want_d) : 1);
    if (!(fabs(a - want_a) <= ta) || !(fabs(d - want_d) <= td)) {
        check_failures++;
        fprintf(stderr, "%s(%g; param %g) = %.17g, %.17g; want %.17g, %.17g\n",
                nnc_activation_get(act)->name, z, param, a, d, want_a, want_d);
    }
    check_count++;
}

static void test_values(void)
{
    const double e1 = exp(-1.0);
    expect(NNC_ACT_IDENTITY, 0, 3.5, 3.5, 1);
    expect(NNC_ACT_STEP, 0, 0, 0, 0);
    expect(NNC_ACT_STEP, 0, 0.25, 1, 0);
    expect(NNC_ACT_STEP, 0.3, 0.25, 0, 0);
    expect(NNC_ACT_STEP, 0.3, 0.3, 0, 0); /* strictly above the threshold */
    expect(NNC_ACT_STEP, 0.3, 0.35, 1, 0);
    expect(NNC_ACT_SIGMOID, 0, 0, 0.5, 0.25);
    expect(NNC_ACT_SIGMOID, 0, 1, 0.7310585786300049, 0.19661193324148185);
    expect(NNC_ACT_SIGMOID, 0, -1, 0.2689414213699951, 0.19661193324148185);
    expect(NNC_ACT_TANH, 0, 0, 0, 1);
    expect(NNC_ACT_TANH, 0, 0.5, 0.46211715726000974, 0.7864477329659274);
    expect(NNC_ACT_RELU, 0, 2, 2, 1);
    expect(NNC_ACT_RELU, 0, -2, 0, 0);
    expect(NNC_ACT_RELU, 0, 0, 0, 0);
    expect(NNC_ACT_LEAKY_RELU, 0.01, -2, -0.02, 0.01);
    expect(NNC_ACT_LEAKY_RELU, 0.01, 2, 2, 1);
    expect(NNC_ACT_SOFTPLUS, 0, 0, 0.6931471805599453, 0.5);
    expect(NNC_ACT_SOFTPLUS, 0, 2, 2.1269280110429727, 0.8807970779778823);
    expect(NNC_ACT_ELU, 1.0, -1, e1 - 1, e1);
    expect(NNC_ACT_ELU, 0.8, -1, -0.5056964470628461, 0.8 * e1);
    expect(NNC_ACT_ELU, 0.8, 2, 2, 1);
    expect(NNC_ACT_BENIDENTITY, 0, 0, 0, 1);
    expect(NNC_ACT_BENIDENTITY, 0, 1, 1.2071067811865475, 1.3535533905932737);
    expect(NNC_ACT_GELU_TANH, 0, 0, 0, 0.5);
    expect(NNC_ACT_GELU_TANH, 0, 1, 0.8411919906082768, 1.0829640838457826);
    expect(NNC_ACT_GELU_ERF, 0, 0, 0, 0.5);
    expect(NNC_ACT_GELU_ERF, 0, 1, 0.8413447460685429,
           0.8413447460685429 + 0.24197072451914337);
    expect(NNC_ACT_GELU_ERF, 0, -1, -0.15865525393145707,
           0.15865525393145707 - 0.24197072451914337);
    expect(NNC_ACT_SILU, 0, 0, 0, 0.5);
    expect(NNC_ACT_SILU, 0, 1, 0.7310585786300049, 0.9276705118714868);
    expect(NNC_ACT_MISH, 0, 1, 0.8650983882673103, 1.0490362200997922);
    expect(NNC_ACT_SELU, 0, 1, 1.0507009873554805, 1.0507009873554805);
    expect(NNC_ACT_SELU, 0, -1, -1.1113307378125625, 1.7580993408473766 * e1);
    expect(NNC_ACT_SOFTSIGN, 0, 1, 0.5, 0.25);
    expect(NNC_ACT_SOFTSIGN, 0, -3, -0.75, 0.0625);
    expect(NNC_ACT_HARD_SIGMOID, 0, 0, 0.5, 1.0 / 6);
    expect(NNC_ACT_HARD_SIGMOID, 0, 1.5, 0.75, 1.0 / 6);
    expect(NNC_ACT_HARD_SIGMOID, 0, 3.5, 1, 0);
    expect(NNC_ACT_HARD_SIGMOID, 0, -3.5, 0, 0);
    expect(NNC_ACT_HARD_TANH, 0, 0.5, 0.5, 1);
    expect(NNC_ACT_HARD_TANH, 0, 2, 1, 0);
    expect(NNC_ACT_HARD_TANH, 0, -2, -1, 0);
}

/* Closed bounds of a and f'(z) with the default parameter (closed, because
 * rounding reaches the limits of open ranges). */
static const struct {
    nnc_activation id;
    double a_lo, a_hi, d_lo, d_hi;
} bounds[] = {
    {NNC_ACT_IDENTITY, -INFINITY, INFINITY, 1, 1},
    {NNC_ACT_STEP, 0, 1, 0, 0},
    {NNC_ACT_SIGMOID, 0, 1, 0, 0.25},
    {NNC_ACT_TANH, -1, 1, 0, 1},
    {NNC_ACT_RELU, 0, INFINITY, 0, 1},
    {NNC_ACT_LEAKY_RELU, -INFINITY, INFINITY, 0.01, 1},
    {NNC_ACT_SOFTPLUS, 0, INFINITY, 0, 1},
    {NNC_ACT_ELU, -1, INFINITY, 0, 1},
    {NNC_ACT_BENIDENTITY, -INFINITY, INFINITY, 0.5, 1.5},
    {NNC_ACT_GELU_TANH, -0.17005, INFINITY, -0.12900, 1.12900},
    {NNC_ACT_GELU_ERF, -0.16998, INFINITY, -0.12891, 1.12891},
    {NNC_ACT_SILU, -0.27847, INFINITY, -0.09984, 1.09984},
    {NNC_ACT_MISH, -0.30885, INFINITY, -0.11253, 1.08850},
    {NNC_ACT_SELU, -1.7580993408473766, INFINITY, 0, 1.7580993408473766},
    {NNC_ACT_SOFTSIGN, -1, 1, 0, 1},
    {NNC_ACT_HARD_SIGMOID, 0, 1, 0, 1.0 / 6},
    {NNC_ACT_HARD_TANH, -1, 1, 0, 1},
};

static void test_ranges(void)
{
    CHECK(sizeof bounds / sizeof bounds[0] == NNC_ACT_COUNT);
    const double slack = 1e-6;
    for (size_t r = 0; r < sizeof bounds / sizeof bounds[0]; r++) {
        const nnc_activation_info *info = nnc_activation_get(bounds[r].id);
        int bad = 0;
        for (int i = 0; i <= 4000; i++) {
            double z = -60 + i * 0.03;
            double a, d;
            eval1(info, info->default_param, z, &a, &d);
            int ok = a >= bounds[r].a_lo - slack && a <= bounds[r].a_hi + slack &&
                     d >= bounds[r].d_lo - slack && d <= bounds[r].d_hi + slack;
            if (!ok && bad++ < 3)
                fprintf(stderr, "%s(%g) = %.9g, f' = %.9g: outside [%g, %g] x [%g, %g]\n",
                        info->name, z, a, d, bounds[r].a_lo, bounds[r].a_hi,
                        bounds[r].d_lo, bounds[r].d_hi);
        }
        CHECK(bad == 0);
    }
    /* The step takes only the values 0 and 1. */
    for (int i = 0; i <= 200; i++) {
        double a, d;
        eval1(nnc_activation_get(NNC_ACT_STEP), 0.3, -5 + i * 0.05, &a, &d);
        CHECK(a == 0 || a == 1);
    }
}

static void test_stability(void)
{
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        double params[2] = {info->default_param, info->param_name ? 0.5 : 0};
        for (int p = 0; p < 2; p++) {
            nnc_real z[NSTAB], a[NSTAB], d[NSTAB];
            for (size_t k = 0; k < NSTAB; k++)
                z[k] = (nnc_real)stability_z[k];
            info->forward(z, a, NSTAB, params[p]);
            info->derivative_fn(z, a, d, NSTAB, params[p]);
            for (size_t k = 0; k < NSTAB; k++) {
                if (!isfinite((double)a[k]) || !isfinite((double)d[k])) {
                    check_failures++;
                    fprintf(stderr, "%s(%g; param %g) = %g, f' = %g: not finite\n",
                            info->name, stability_z[k], params[p], (double)a[k],
                            (double)d[k]);
                }
                check_count++;
            }
        }
    }

    double a, d;
    const double tiny = 1e-30;
#define AT(act, param, z) eval1(nnc_activation_get(act), param, z, &a, &d)
    AT(NNC_ACT_SIGMOID, 0, 1e4);
    CHECK(a == 1 && d == 0);
    AT(NNC_ACT_SIGMOID, 0, -1e4);
    CHECK(a == 0 && d == 0);
    AT(NNC_ACT_SIGMOID, 0, -88.8);
    CHECK(a > 0 && a < 1e-38 && d >= 0 && d <= a);
    AT(NNC_ACT_TANH, 0, 1e4);
    CHECK(a == 1 && d == 0);
    AT(NNC_ACT_TANH, 0, -1e4);
    CHECK(a == -1 && d == 0);
    AT(NNC_ACT_SOFTPLUS, 0, 1e4);
    CHECK(a == 1e4 && d == 1);
    AT(NNC_ACT_SOFTPLUS, 0, -1e4);
    CHECK(a >= 0 && a < tiny && d >= 0 && d < tiny);
    AT(NNC_ACT_SOFTPLUS, 0, -50);
    CHECK_NEAR(a / exp(-50.0), 1, 1e-5); /* relative accuracy in the left tail */
    AT(NNC_ACT_ELU, 1.0, -1e4);
    CHECK(a == -1 && d == 0);
    AT(NNC_ACT_ELU, 0.8, -1e4);
    CHECK_NEAR(a, -0.8, 1e-7);
    AT(NNC_ACT_SELU, 0, -1e4);
    CHECK_NEAR(a, -1.7580993408473766, 1e-6);
    CHECK(d == 0);
    AT(NNC_ACT_SELU, 0, 1e4);
    CHECK_NEAR(a, 1.0507009873554805e4, 1e-2);
    AT(NNC_ACT_BENIDENTITY, 0, 1e4);
    CHECK_NEAR(a, 14999.5 + 0.25e-4, 1e-2);
    CHECK_NEAR(d, 1.5, 1e-6);
    AT(NNC_ACT_BENIDENTITY, 0, -1e4);
    CHECK_NEAR(a, -5000.5 + 0.25e-4, 1e-2);
    CHECK_NEAR(d, 0.5, 1e-6);
    AT(NNC_ACT_SOFTSIGN, 0, 1e4);
    CHECK_NEAR(a, 1e4 / 10001.0, 1e-6);
    CHECK_NEAR(d, 1 / (10001.0 * 10001.0), 1e-12);
    nnc_activation smooth[] = {NNC_ACT_GELU_TANH, NNC_ACT_GELU_ERF, NNC_ACT_SILU,
                               NNC_ACT_MISH};
    for (size_t i = 0; i < sizeof smooth / sizeof smooth[0]; i++) {
        AT(smooth[i], 0, 1e4);
        CHECK(a == 1e4);
        CHECK(d == 1);
        AT(smooth[i], 0, -1e4);
        CHECK(a <= 0 && a > -tiny);
        CHECK(fabs(d) < tiny);
        AT(smooth[i], 0, 50);
        CHECK_NEAR(a, 50, 1e-4);
        CHECK_NEAR(d, 1, 1e-6);
        AT(smooth[i], 0, -50);
        CHECK(a <= 0 && a > -1e-15);
        CHECK(fabs(d) < 1e-15);
    }
    AT(NNC_ACT_HARD_SIGMOID, 0, 1e4);
    CHECK(a == 1 && d == 0);
    AT(NNC_ACT_HARD_TANH, 0, -1e4);
    CHECK(a == -1 && d == 0);
#undef AT
}

/* The kernels are element-wise, so calling them in place gives the same bits. */
static void test_in_place(void)
{
    enum { N = 64 };
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        nnc_real z[N], a[N], d[N], buf[N], dbuf[N];
        for (int k = 0; k < N; k++)
            z[k] = (nnc_real)(-8 + 16.0 * (k + 0.37) / N);
        info->forward(z, a, N, info->default_param);
        info->derivative_fn(z, a, d, N, info->default_param);
        memcpy(buf, z, sizeof buf);
        info->forward(buf, buf, N, info->default_param);
        CHECK(memcmp(buf, a, sizeof buf) == 0);
        memcpy(dbuf, a, sizeof dbuf);
        info->derivative_fn(z, dbuf, dbuf, N, info->default_param);
        CHECK(memcmp(dbuf, d, sizeof dbuf) == 0);
    }
}

/* Each activation's element functions, by catalogue row: the NAME_f and
 * NAME_df that its kernels apply and export-c's files call. */
static const struct {
    nnc_activation id;
    nnc_real (*f)(nnc_real z, nnc_real p);
    nnc_real (*df)(nnc_real z, nnc_real a, nnc_real p);
} elements[] = {
    {NNC_ACT_IDENTITY, identity_f, identity_df},
    {NNC_ACT_STEP, step_f, step_df},
    {NNC_ACT_SIGMOID, sigmoid_f, sigmoid_df},
    {NNC_ACT_TANH, tanh_f, tanh_df},
    {NNC_ACT_RELU, relu_f, relu_df},
    {NNC_ACT_LEAKY_RELU, leaky_relu_f, leaky_relu_df},
    {NNC_ACT_SOFTPLUS, softplus_f, softplus_df},
    {NNC_ACT_ELU, elu_f, elu_df},
    {NNC_ACT_BENIDENTITY, benidentity_f, benidentity_df},
    {NNC_ACT_GELU_TANH, gelu_tanh_f, gelu_tanh_df},
    {NNC_ACT_GELU_ERF, gelu_erf_f, gelu_erf_df},
    {NNC_ACT_SILU, silu_f, silu_df},
    {NNC_ACT_MISH, mish_f, mish_df},
    {NNC_ACT_SELU, selu_f, selu_df},
    {NNC_ACT_SOFTSIGN, softsign_f, softsign_df},
    {NNC_ACT_HARD_SIGMOID, hard_sigmoid_f, hard_sigmoid_df},
    {NNC_ACT_HARD_TANH, hard_tanh_f, hard_tanh_df},
};

/* Every row's kernels give its element functions' bits, element by element,
 * for every length up to three blocks (whole and partial blocks), with a
 * non-default parameter; and its c_source is the call of NAME_f that
 * export-c writes. */
static void test_elements(void)
{
    enum { N = 48 };
    CHECK(sizeof elements / sizeof elements[0] == NNC_ACT_COUNT);
    for (size_t e = 0; e < sizeof elements / sizeof elements[0]; e++) {
        const nnc_activation_info *info = nnc_activation_get(elements[e].id);
        const double param = info->param_name ? 0.3 : 0;
        const nnc_real p = (nnc_real)param;
        char call[64];
        snprintf(call, sizeof call, "a = %s_f(z, (nnc_real)param);\n", info->name);
        CHECK(strcmp(info->c_source, call) == 0);
        nnc_real z[N], a[N], d[N];
        for (int k = 0; k < N; k++)
            z[k] = (nnc_real)(-9 + 18.0 * (k + 0.29) / N);
        z[5] = 0;
        z[7] = (nnc_real)param;
        z[11] = (nnc_real)1e4;
        z[13] = (nnc_real)-1e4;
        int same = 1;
        for (size_t n = 1; n <= N; n++) {
            info->forward(z, a, n, param);
            info->derivative_fn(z, a, d, n, param);
            for (size_t k = 0; k < n; k++) {
                const nnc_real fa = elements[e].f(z[k], p), fd = elements[e].df(z[k], a[k], p);
                same &= memcmp(&fa, &a[k], sizeof fa) == 0;
                same &= memcmp(&fd, &d[k], sizeof fd) == 0;
            }
        }
        if (!same)
            fprintf(stderr, "%s: the kernels differ from %s_f/%s_df\n", info->name, info->name,
                    info->name);
        CHECK(same);
    }
}

/* The output functions are the elements' nnc_logistic and nnc_softmax_row. */
static void test_output_elements(void)
{
    enum { M = 3, N = 7 };
    nnc_real z[M * N], a[M * N], want[M * N];
    for (int k = 0; k < M * N; k++)
        z[k] = (nnc_real)(-30 + 60.0 * (k + 0.41) / (M * N));
    nnc_output_forward(NNC_TASK_BINARY, z, a, M, N);
    for (int k = 0; k < M * N; k++)
        want[k] = nnc_logistic(z[k]);
    CHECK(memcmp(a, want, sizeof a) == 0);
    nnc_output_forward(NNC_TASK_MULTICLASS, z, a, M, N);
    for (int r = 0; r < M; r++)
        nnc_softmax_row(z + r * N, want + r * N, N);
    CHECK(memcmp(a, want, sizeof a) == 0);
}

int main(void)
{
    test_table();
    test_names();
    test_derivatives();
    test_values();
    test_ranges();
    test_stability();
    test_in_place();
    test_elements();
    test_output_elements();
    return check_report("test_activation");
}
