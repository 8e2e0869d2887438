/* Every fast path of the training step against the reference step
 * (src/core/step.c), bit for bit: two nets with the same weights, one
 * forced through the reference step (nnc_net_force_plan), the other on the
 * path the planner picks (checked to be the one under test), several
 * steps in one nnc_net_train_steps call, on every kernel path this machine
 * runs:
 *   - the packed small fit (1-h-1, AVX-512), and the small step forced on
 *     those same shapes;
 *   - the small step: 1..8 inputs and outputs, up to 16 hidden units,
 *     fitting and binary;
 *   - the fused general step: several layers, multiclass too, with and
 *     without a pool of 2 threads, with the weights in column panels.
 * Cases of an odd number of steps (3 or more) put a NaN in the third
 * batch: both stop there and name the same layer.
 * Then the planner's choices: other shapes, OpenBLAS, another optimizer. */
#include "check.h"
#include "internal.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

#ifdef NNC_TEST_MEMCHECK
enum { MEMCHECK = 1 };
#else
enum { MEMCHECK = 0 };
#endif

static nnc_rng rng;

/* A case: the net's shape (widths[0] inputs, then each layer's units), its
 * hidden activation and task, the batch, the steps, the threads, the kernel
 * path, and the plan the planner must pick. */
typedef struct step_case {
    nnc_task task;
    int depth;
    const int *widths;
    nnc_activation act;
    int m, steps, threads, path;
    nnc_step_plan plan;
} step_case;

static nnc_net *make_net(const step_case *c, uint64_t seed)
{
    nnc_layer_spec specs[8];
    for (int l = 0; l < c->depth; l++)
        specs[l] = (nnc_layer_spec){c->widths[l + 1],
                                    l + 1 < c->depth ? c->act : NNC_ACT_IDENTITY, 0.7};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, c->task, c->widths[0], c->depth, specs, c->m));
    CHECK(nnc_net_set_kernel_path(net, c->path));
    CHECK_OK(nnc_net_set_threads(net, c->threads));
    nnc_rng r;
    nnc_rng_seed(&r, seed);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    return net;
}

/* A data set of n rows for the case: small inputs, targets of its task. */
static void make_data(const step_case *c, int n, nnc_real **X, nnc_real **Y)
{
    const int n_in = c->widths[0], n_out = c->widths[c->depth];
    *X = malloc((size_t)n * n_in * sizeof **X);
    *Y = malloc((size_t)n * n_out * sizeof **Y);
    CHECK(*X && *Y);
    for (size_t i = 0; i < (size_t)n * n_in; i++)
        (*X)[i] = (nnc_real)(2 * nnc_rng_uniform(&rng) - 1);
    for (size_t i = 0; i < (size_t)n * n_out; i++) {
        const double u = nnc_rng_uniform(&rng);
        (*Y)[i] = c->task == NNC_TASK_BINARY       ? (nnc_real)(u > 0.5)
                  : c->task == NNC_TASK_MULTICLASS ? (nnc_real)(i % n_out == i / n_out % n_out)
                                                   : (nnc_real)(2 * u - 1);
    }
}

/* The case's steps on its planned path (with force not -1: the plan
 * forced) and through the reference step: the same parameters, bit for
 * bit, and the same verdict. */
static int check_forced(const step_case *c, int force)
{
    const int n = c->steps * c->m + 5;
    nnc_real *X, *Y;
    make_data(c, n, &X, &Y);
    uint32_t *rows = malloc((size_t)n * sizeof *rows);
    CHECK(rows != NULL);
    for (int i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    nnc_rng_shuffle(&rng, rows, (size_t)n);
    nnc_net *fast = make_net(c, 5), *ref = make_net(c, 5);
    nnc_net_force_plan(ref, NNC_PLAN_REFERENCE);
    nnc_net_force_plan(fast, force);
    const nnc_step_plan plan = nnc_net_plan(fast, c->m);
    int ok = plan == c->plan && nnc_net_plan(ref, c->m) == NNC_PLAN_REFERENCE;
    /* With poison, the last row of the third batch holds a NaN: both stop
     * there, naming the same layer (the NaNs' bits may differ). */
    const int poison = c->steps >= 3 && c->steps % 2, expect = poison ? 3 : c->steps;
    if (poison)
        X[(size_t)rows[3 * c->m - 1] * c->widths[0]] = (nnc_real)NAN;
    int bad_fast = -2, bad_ref = -2;
    const int taken_fast =
        nnc_net_train_steps(fast, X, Y, rows, c->m, c->steps, 0.3, NULL, NULL, &bad_fast);
    const int taken_ref =
        nnc_net_train_steps(ref, X, Y, rows, c->m, c->steps, 0.3, NULL, NULL, &bad_ref);
    ok = ok && taken_fast == expect && taken_ref == expect && bad_fast == bad_ref &&
         (poison ? bad_ref >= 0
                 : bad_ref == -1 && memcmp(nnc_net_parameters(fast), nnc_net_parameters(ref),
                                           nnc_net_parameter_count(ref) * sizeof(nnc_real)) == 0);
    if (!ok) {
        fprintf(stderr, "%s path (planned %s) on %s, %d threads, %d layers (", 
                nnc_step_plan_name(c->plan), nnc_step_plan_name(plan),
                nnc_kernel_path_name(c->path), c->threads, c->depth);
        for (int l = 0; l <= c->depth; l++)
            fprintf(stderr, "%s%d", l ? "-" : "", c->widths[l]);
        fprintf(stderr, ", %s, %s), batch %d: differs from the reference step\n",
                nnc_task_name(c->task), nnc_activation_get(c->act)->name, c->m);
    }
    CHECK(ok);
    nnc_net_free(fast);
    nnc_net_free(ref);
    free(X), free(Y), free(rows);
    return ok;
}

static int check_case(const step_case *c) { return check_forced(c, -1); }

static const nnc_activation acts[] = {NNC_ACT_SIGMOID, NNC_ACT_TANH, NNC_ACT_RELU,
                                      NNC_ACT_ELU, NNC_ACT_SOFTPLUS};
#define N_ACTS (int)(sizeof acts / sizeof acts[0])

/* The small fit, and the small step forced on the same shapes. */
static int check_small_fit(int path)
{
    int cases = 0;
    const int lanes = 64 / (int)sizeof(nnc_real);
    for (int h = 1; 2 * h <= lanes; h++)
        for (int m = 1; m <= lanes / h * NNC_SMALL_FIT_MAX_GROUPS; m += (MEMCHECK ? 13 : 3)) {
            const int widths[] = {1, h, 1};
            step_case c = {(h + m) % 2 ? NNC_TASK_FITTING : NNC_TASK_BINARY, 2, widths,
                           acts[(h + m) % N_ACTS], m, 4 + m / 3 % 2, 1, path,
                           NNC_PLAN_SMALL_FIT};
            cases += check_case(&c);
            c.plan = NNC_PLAN_SMALL_STEP;
            cases += check_forced(&c, NNC_PLAN_SMALL_STEP);
        }
    return cases;
}

/* The small step: every count of inputs and outputs, several hidden widths. */
static int check_small_step(int path)
{
    int cases = 0;
    static const int hidden[] = {1, 2, 5, 8, 9, 16};
    static const int batches[] = {1, 7, 10, 17, 33};
    for (int n_in = 1; n_in <= NNC_SMALL_STEP_MAX_IO; n_in++)
        for (int n_out = 1; n_out <= NNC_SMALL_STEP_MAX_IO; n_out++)
            for (int k = 0; k < (MEMCHECK ? 1 : 3); k++) {
                const int i = n_in * 7 + n_out * 3 + k;
                const int h = hidden[i % 6], m = batches[i % 5];
                const int widths[] = {n_in, h, n_out};
                step_case c = {i % 2 ? NNC_TASK_FITTING : NNC_TASK_BINARY, 2, widths,
                               acts[i % N_ACTS], m, 4 + (k == 1), 1, path,
                               NNC_PLAN_SMALL_STEP};
                if (nnc_small_fit_fits(path, c.task, n_in, h, n_out, m))
                    continue; /* the small fit's, above */
                cases += check_case(&c);
            }
    return cases;
}

/* The fused general step: deeper nets, multiclass, a pool, column panels
 * (a 784-128-64-10 net with batch 64 splits its first layer's products). */
static int check_fused(int path)
{
    static const int deep[] = {5, 17, 9, 3}, wide[] = {12, 40, 33, 2}, two[] = {2, 20, 3},
                     mnist[] = {784, 128, 64, 10}, big_small[] = {9, 17, 1};
    const step_case cases[] = {
        {NNC_TASK_MULTICLASS, 3, deep, NNC_ACT_RELU, 12, 5, 1, path, NNC_PLAN_FUSED},
        {NNC_TASK_FITTING, 3, wide, NNC_ACT_TANH, 10, 4, 1, path, NNC_PLAN_FUSED},
        {NNC_TASK_BINARY, 3, wide, NNC_ACT_SIGMOID, 9, 5, 2, path, NNC_PLAN_FUSED},
        {NNC_TASK_MULTICLASS, 2, two, NNC_ACT_ELU, 16, 4, 2, path, NNC_PLAN_FUSED},
        {NNC_TASK_FITTING, 2, big_small, NNC_ACT_SIGMOID, 10, 4, 1, path, NNC_PLAN_FUSED},
        {NNC_TASK_MULTICLASS, 3, mnist, NNC_ACT_RELU, 64, MEMCHECK ? 2 : 4, 1, path,
         NNC_PLAN_FUSED},
        {NNC_TASK_MULTICLASS, 3, mnist, NNC_ACT_RELU, 64, MEMCHECK ? 2 : 4, 2, path,
         NNC_PLAN_FUSED},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        n += check_case(&cases[i]);
    return n;
}

/* The planner: the portable path has no fused small steps, OpenBLAS takes
 * its own path, another optimizer the reference step, a forced plan that
 * does not apply is not taken. */
static void check_planner(void)
{
    const int fit[] = {1, 3, 1}, softmax[] = {2, 3, 3};
    step_case c = {NNC_TASK_FITTING, 2, fit, NNC_ACT_SIGMOID, 10, 1, 1, NNC_PATH_PORTABLE,
                   NNC_PLAN_FUSED};
    nnc_net *net = make_net(&c, 1);
    CHECK(nnc_net_plan(net, 10) == NNC_PLAN_FUSED);
    nnc_net_force_plan(net, NNC_PLAN_SMALL_STEP); /* not on the portable path */
    CHECK(nnc_net_plan(net, 10) == NNC_PLAN_FUSED);
    nnc_net_force_plan(net, -1);
    if (nnc_kernels_available("openblas")) {
        CHECK_OK(nnc_net_set_kernels(net, "openblas"));
        CHECK(nnc_net_plan(net, 10) == NNC_PLAN_OPENBLAS);
        CHECK(nnc_net_set_kernel_path(net, NNC_PATH_PORTABLE));
    }
    CHECK_STATUS(nnc_net_set_optimizer(net, "no such optimizer"), NNC_ERR_ARGUMENT);
    CHECK_OK(nnc_net_set_optimizer(net, "sgd"));
    CHECK(nnc_net_plan(net, 10) == NNC_PLAN_FUSED);
    nnc_net_free(net);
    if (nnc_kernel_path_available(NNC_PATH_AVX512)) {
        c.path = NNC_PATH_AVX512;
        net = make_net(&c, 1);
        CHECK(nnc_net_plan(net, 10) == NNC_PLAN_SMALL_FIT);
        CHECK(nnc_net_plan(net, 1000) == NNC_PLAN_SMALL_STEP);
        nnc_net_force_plan(net, NNC_PLAN_FUSED);
        CHECK(nnc_net_plan(net, 10) == NNC_PLAN_FUSED);
        nnc_net_free(net);
        c.widths = softmax;
        c.task = NNC_TASK_MULTICLASS;
        net = make_net(&c, 1);
        CHECK(nnc_net_plan(net, 10) == NNC_PLAN_FUSED);
        nnc_net_free(net);
    }
    CHECK(!strcmp(nnc_step_plan_name(NNC_PLAN_REFERENCE), "reference"));
}

int main(void)
{
    nnc_rng_seed(&rng, 2026);
    check_planner();
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path))
            continue;
        int fit = 0, small = 0;
        if (nnc_small_fit_fits(path, NNC_TASK_FITTING, 1, 1, 1, 1))
            fit = check_small_fit(path);
        if (nnc_small_step_fits(path, NNC_TASK_FITTING, 1, 1, 1))
            small = check_small_step(path);
        const int fused = check_fused(path);
        printf("%s: small fit %d, small step %d, fused %d cases as the reference step "
               "(bit for bit, or the same verdict)\n",
               nnc_kernel_path_name(path), fit, small, fused);
    }
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures != 0;
}
