/* nnc steps: the textbook's comparison of saturating and linear activations.
 * How many gradient steps z <- z - eta·f'(z) does it take to move an
 * activation's output a = f(z) from --start down to --target?  With eta 0.2
 * from 0.9 to 0.5 the book finds 67 steps for sigmoid and 2 for ReLU.
 *
 * z and a are carried in double; f and f' are the catalogue's own kernels,
 * evaluated at nnc_real precision, so the answer is the library's. */
#include "cli.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CMD "steps"

static const char steps_intro[] =
    "usage: nnc steps [options]\n"
    "\n"
    "Counts the gradient steps z <- z - eta*f'(z) that take the output a = f(z)\n"
    "of an activation from --start down to --target (the textbook's chapter 8\n"
    "comparison: 67 steps for sigmoid, 2 for relu).\n"
    "\n";

/* f(z) through the catalogue's array kernel, on one element. */
static double eval_f(const nnc_activation_info *info, double param, double z)
{
    nnc_real zr = (nnc_real)z, ar;
    info->forward(&zr, &ar, 1, param);
    return (double)ar;
}

static double eval_df(const nnc_activation_info *info, double param, double z, double a)
{
    nnc_real zr = (nnc_real)z, ar = (nnc_real)a, dr;
    info->derivative_fn(&zr, &ar, &dr, 1, param);
    return (double)dr;
}

/* The closed-form inverses the textbook's own numbers depend on (sigmoid:
 * z = ln(a/(1-a)), ReLU: z = a), and a few more.  Returns 0 where there is
 * none for this a; the caller then bisects. */
static int exact_inverse(nnc_activation id, double param, double a, double *z)
{
    switch (id) {
    case NNC_ACT_IDENTITY: *z = a; return 1;
    case NNC_ACT_SIGMOID:
        if (a <= 0 || a >= 1)
            return 0;
        *z = log(a / (1 - a));
        return 1;
    case NNC_ACT_TANH:
        if (a <= -1 || a >= 1)
            return 0;
        *z = atanh(a);
        return 1;
    case NNC_ACT_RELU:
        if (a <= 0)
            return 0;
        *z = a;
        return 1;
    case NNC_ACT_LEAKY_RELU:
        if (a > 0) {
            *z = a;
            return 1;
        }
        if (param > 0) {
            *z = a / param;
            return 1;
        }
        return 0;
    case NNC_ACT_SOFTPLUS:
        if (a <= 0)
            return 0;
        *z = a > 30 ? a + log(-expm1(-a)) : log(expm1(a));
        return 1;
    case NNC_ACT_ELU:
        if (a > 0) {
            *z = a;
            return 1;
        }
        if (param > 0 && a > -param) {
            *z = log1p(a / param);
            return 1;
        }
        return 0;
    default: return 0;
    }
}

/* Finds z with f(z) = a by bisection: the right-most crossing on an
 * increasing stretch of f, so that descent lowers a from there.  Fails if f
 * never reaches a, or only jumps over it (the step function). */
static int bisect_inverse(const nnc_activation_info *info, double param, double a,
                          double *z)
{
    /* Grid z = sinh(k/100): steps of 0.01 near 0, out to |z| ~ 1.6e6. */
    const int K = 1500;
    double hi = sinh(K / 100.0), f_hi = eval_f(info, param, hi);
    for (int k = K - 1; k >= -K; k--) {
        double lo = sinh(k / 100.0), f_lo = eval_f(info, param, lo);
        if (f_lo < a && f_hi >= a) {
            for (int it = 0; it < 200; it++) {
                double mid = lo + (hi - lo) / 2;
                if (mid <= lo || mid >= hi)
                    break;
                if (eval_f(info, param, mid) >= a)
                    hi = mid;
                else
                    lo = mid;
            }
            f_hi = eval_f(info, param, hi);
            /* At the crossing f meets a, up to nnc_real's rounding. */
            if (fabs(f_hi - a) > 1e-6 * (fabs(a) > 1 ? fabs(a) : 1)) {
                double f_lo_end = eval_f(info, param, lo);
                cli_error(CMD, "%s never takes the value a = %g: it jumps from %g to %g "
                          "near z = %.6g", info->name, a, f_lo_end, f_hi,
                          fabs(hi) < 1e-12 ? 0.0 : hi);
                return 0;
            }
            *z = hi;
            return 1;
        }
        hi = lo;
        f_hi = f_lo;
    }
    cli_error(CMD, "%s never takes the value a = %g (its output range is %s)", info->name,
              a, info->output_range);
    return 0;
}

/* Descent lowers a; a target below every value f takes is never reached. */
static int reachable(const nnc_activation_info *info, double param, double target)
{
    double lowest = INFINITY;
    for (int k = -1500; k <= 1500; k++) {
        double a = eval_f(info, param, sinh(k / 100.0));
        lowest = a < lowest ? a : lowest;
    }
    /* Still falling at the grid's left end: f has no floor there. */
    int unbounded = eval_f(info, param, sinh(-15.0)) < eval_f(info, param, sinh(-14.99));
    if (!unbounded && target < lowest) {
        cli_error(CMD, "--target %g is below every value %s takes (its output range is %s), "
                  "so no number of steps reaches it", target, info->name, info->output_range);
        return 0;
    }
    return 1;
}

static int run_one(nnc_activation id, double param, double start, double target,
                   double eta, int max_steps, int verbose)
{
    const nnc_activation_info *info = nnc_activation_get(id);
    char label[96];
    if (info->param_name)
        snprintf(label, sizeof label, "%s:%g", info->name, param);
    else
        snprintf(label, sizeof label, "%s", info->name);

    double z;
    if (!exact_inverse(id, param, start, &z) && !bisect_inverse(info, param, start, &z))
        return CLI_USAGE;

    if (!reachable(info, param, target))
        return CLI_USAGE;
    double a = start, a1 = start;
    if (verbose)
        printf("%s step 0: z=%.9g, a=%.9g\n", label, z, a);
    for (int k = 1; k <= max_steps; k++) {
        z -= eta * eval_df(info, param, z, a);
        a = eval_f(info, param, z);
        if (!isfinite(z) || !isfinite(a)) {
            printf("%s: a from %g to %g with eta %g diverged at step %d\n", label, start,
                   target, eta, k);
            return CLI_OK;
        }
        if (k == 1)
            a1 = a;
        if (verbose)
            printf("%s step %d: z=%.9g, a=%.9g\n", label, k, z, a);
        if (a <= target) {
            printf("%s: a from %g to %g with eta %g takes %d step%s (step 1: a=%g", label,
                   start, target, eta, k, k == 1 ? "" : "s", a1);
            if (k > 1)
                printf("; step %d: a=%g", k, a);
            printf(")\n");
            return CLI_OK;
        }
    }
    printf("%s: a from %g to %g with eta %g not reached in %d steps (a=%g)\n", label, start,
           target, eta, max_steps, a);
    return CLI_OK;
}

/* The activations to run, in the order given (--activation is repeatable). */
typedef struct steps_activations {
    nnc_activation ids[16];
    double params[16];
    int n;
} steps_activations;

static int add_activation(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)name;
    steps_activations *acts = dest;
    if (acts->n == (int)(sizeof acts->ids / sizeof acts->ids[0])) {
        cli_error(cmd, "too many --activation options");
        return 0;
    }
    if (!cli_parse_activation(cmd, value, &acts->ids[acts->n], &acts->params[acts->n]))
        return 0;
    acts->n++;
    return 1;
}

int cmd_steps(int argc, char **argv)
{
    steps_activations acts = {.n = 0};
    double start, target, eta;
    int max_steps, verbose = 0;
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--activation", .metavar = "NAME[:P]", .dest = &acts,
         .parse = add_activation,
         .help = "activation to run (repeatable; default: " CLI_DEFAULT_ACTIVATION "\n"
                 "and relu)"},
        {.type = CLI_REAL, .name = "--start", .metavar = "A", .dest = &start, .def = "0.9",
         .help = "starting output (default %D)"},
        {.type = CLI_REAL, .name = "--target", .metavar = "A", .dest = &target, .def = "0.5",
         .help = "stop once a <= A (default %D)"},
        {.type = CLI_POSITIVE, .name = "--eta", .metavar = "X", .dest = &eta, .def = "0.2",
         .help = "step size, > 0 (default %D)"},
        {.type = CLI_INT, .name = "--max-steps", .metavar = "N", .dest = &max_steps,
         .def = "10000", .min = 1, .max = 100000000,
         .help = "give up after N steps (default %D)"},
        {.type = CLI_FLAG, .name = "--verbose", .dest = &verbose,
         .help = "print z and a after every step"},
        CLI_OPT_HELP("this help"),
    };
    cli_command command = {.name = CMD, .intro = steps_intro, .column = 25,
                           .outro = "Each option but --activation may be given once.\n",
                           .repeatable = "--activation", CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (n_args) {
        cli_error(CMD, "unexpected argument '%s' (try 'nnc steps --help')", argv[1]);
        return CLI_USAGE;
    }
    if (!(target < start)) {
        cli_error(CMD, "--target (%g) must be below --start (%g)", target, start);
        return CLI_USAGE;
    }
    /* The textbook's comparison: the default hidden activation against relu. */
    if (acts.n == 0 && (!add_activation(CMD, "--activation", CLI_DEFAULT_ACTIVATION, &acts) ||
                        !add_activation(CMD, "--activation", "relu", &acts)))
        return CLI_FAILED;
    for (int k = 0; k < acts.n; k++) {
        int rc = run_one(acts.ids[k], acts.params[k], start, target, eta, max_steps, verbose);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}
