/* The optimizer table (src/core/optimizer.c): each row's update against
 * its formula computed here, on every kernel path, with and without a pool
 * of threads; and a net trained with each optimizer through the reference
 * step.  Adding an optimizer adds its check here. */
#include "check.h"
#include "core/optimizer.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static nnc_rng rng;

/* n parameters and gradients of mixed magnitudes (so that each rounding
 * matters), with every optimizer's state zero. */
typedef struct blocks {
    nnc_real *p, *g, *state;
    size_t n;
} blocks;

static blocks make_blocks(size_t n, int state_per_param)
{
    blocks b = {malloc(n * sizeof(nnc_real)), malloc(n * sizeof(nnc_real)),
                calloc(n * (size_t)(state_per_param > 0 ? state_per_param : 1),
                       sizeof(nnc_real)), n};
    CHECK(b.p && b.g && b.state);
    for (size_t i = 0; i < n; i++) {
        const double scale = i % 7 == 0 ? 1000.0 : i % 3 == 0 ? 1e-3 : 1.0;
        b.p[i] = (nnc_real)((2 * nnc_rng_uniform(&rng) - 1) * scale);
        b.g[i] = (nnc_real)((2 * nnc_rng_uniform(&rng) - 1) * scale);
    }
    return b;
}

static void free_blocks(blocks *b) { free(b->p), free(b->g), free(b->state); }

/* One update of opt over b on ex, with learning rate eta (the other
 * hyper-parameters their defaults); its verdict. */
static int run_update(const nnc_optimizer_info *opt, nnc_exec ex, blocks *b, double eta)
{
    double hyper[NNC_OPT_MAX_HYPER];
    memcpy(hyper, opt->hyper_defaults, sizeof hyper);
    hyper[0] = eta;
    /* The first update (t = 1); NAG reads θ from its second state block,
     * where its look-ahead keeps it (the point is θ itself while v = 0). */
    if (opt->lookahead_slot > 0)
        memcpy(b->state + (size_t)opt->lookahead_slot * b->n, b->p, b->n * sizeof *b->p);
    const nnc_opt_blocks ob = {b->p, b->g, opt->state_per_param ? b->state : NULL, b->n, 1};
    return opt->update(ex, &ob, hyper);
}

/* SGD: p − eta·g, the product rounded to nnc_real, then the difference. */
static void check_sgd(nnc_exec ex, size_t n)
{
    const nnc_optimizer_info *sgd = nnc_optimizer_find("sgd");
    CHECK(sgd == nnc_optimizer_sgd() && sgd->state_per_param == 0 && sgd->n_hyper == 1 &&
          !strcmp(sgd->hyper_names[0], "eta"));
    blocks b = make_blocks(n, 0);
    nnc_real *want = malloc(n * sizeof *want);
    CHECK(want != NULL);
    const double eta = 0.37;
    const nnc_real step = (nnc_real)eta;
    for (size_t i = 0; i < n; i++) {
        volatile nnc_real product = step * b.g[i]; /* rounded apart, never an fma */
        want[i] = b.p[i] - product;
    }
    CHECK(run_update(sgd, ex, &b, eta) == 1);
    CHECK(memcmp(b.p, want, n * sizeof *want) == 0);
    /* A NaN or an Inf anywhere, and the verdict says so. */
    b.g[n / 2] = (nnc_real)INFINITY;
    CHECK(run_update(sgd, ex, &b, eta) == 0);
    b.g[n / 2] = 0;
    b.p[n / 2] = (nnc_real)NAN;
    CHECK(run_update(sgd, ex, &b, eta) == 0);
    free(want);
    free_blocks(&b);
}

/* A net trained with optimizer `name` through the reference step moves its
 * parameters as the optimizer moves a copy of them by the gradients
 * nnc_net_forward and nnc_net_backward give. */
static void check_net_with(const char *name)
{
    const nnc_layer_spec specs[] = {{6, NNC_ACT_TANH, 0}, {2, NNC_ACT_IDENTITY, 0}};
    nnc_net *net, *twin;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 3, 2, specs, 8));
    CHECK_OK(nnc_net_create(&twin, NNC_TASK_FITTING, 3, 2, specs, 8));
    CHECK_OK(nnc_net_set_optimizer(net, name));
    nnc_rng r;
    nnc_rng_seed(&r, 3);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    const size_t n = nnc_net_parameter_count(net);
    memcpy(nnc_net_parameters(twin), nnc_net_parameters(net), n * sizeof(nnc_real));
    nnc_real X[8 * 3], Y[8 * 2];
    uint32_t rows[8];
    for (int i = 0; i < 8; i++)
        rows[i] = (uint32_t)(7 - i);
    for (int i = 0; i < 24; i++)
        X[i] = (nnc_real)(2 * nnc_rng_uniform(&rng) - 1);
    for (int i = 0; i < 16; i++)
        Y[i] = (nnc_real)(2 * nnc_rng_uniform(&rng) - 1);
    CHECK(nnc_net_train_step(net, X, Y, rows, 8, 0.2) == -1);
    /* The twin: the batch gathered, the gradients, then the update. */
    nnc_real Xb[8 * 3], Yb[8 * 2];
    nnc_gather_rows(Xb, Yb, X, Y, rows, 8, 3, 2);
    CHECK_OK(nnc_net_forward(twin, Xb, 8));
    CHECK_OK(nnc_net_backward(twin, Xb, Yb, 8));
    const nnc_optimizer_info *opt = nnc_optimizer_find(name);
    blocks b = make_blocks(n, opt->state_per_param);
    memcpy(b.p, nnc_net_parameters(twin), n * sizeof(nnc_real));
    size_t at = 0;
    for (int l = 0; l < 2; l++) {
        const size_t w = (size_t)nnc_net_layer(twin, l).units *
                         (size_t)(l ? specs[0].units : 3);
        memcpy(b.g + at, nnc_net_weight_grad(twin, l), w * sizeof(nnc_real));
        memcpy(b.g + at + w, nnc_net_bias_grad(twin, l), specs[l].units * sizeof(nnc_real));
        at += w + (size_t)specs[l].units;
    }
    CHECK(at == n);
    nnc_exec ex = {nnc_net_kernel_path(net), NULL, 0};
    CHECK(run_update(opt, ex, &b, 0.2) == 1);
    CHECK(memcmp(b.p, nnc_net_parameters(net), n * sizeof(nnc_real)) == 0);
    free_blocks(&b);
    nnc_net_free(net);
    nnc_net_free(twin);
}

int main(void)
{
    nnc_rng_seed(&rng, 18);
    CHECK(nnc_optimizer_count() >= 1 && nnc_optimizer_at(0) == nnc_optimizer_sgd());
    CHECK(nnc_optimizer_at(nnc_optimizer_count()) == NULL && !nnc_optimizer_find("nope"));
    nnc_pool *pool = NULL;
    CHECK_OK(nnc_pool_create(&pool, 2));
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path))
            continue;
        /* Short blocks, odd lengths, and one long enough to be cut among
         * the pool's threads. */
        static const size_t lengths[] = {1, 7, 33, 1000, 200003};
        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
            check_sgd((nnc_exec){path, NULL, 0}, lengths[i]);
            check_sgd((nnc_exec){path, pool, 0}, lengths[i]);
        }
    }
    nnc_pool_free(pool);
    for (int i = 0; i < nnc_optimizer_count(); i++)
        check_net_with(nnc_optimizer_at(i)->name);
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures != 0;
}
