/* Every optimizer against its formula (the book's ch15, and AdamW's),
 * computed here in double from the formula's text, not from nnc: the first
 * three updates of a small net trained through nnc_net_train_batch, and of
 * the standalone nnc_optimizer on the book's z = x²/10 + y²; the spec
 * strings (parsing, refusals, the canonical form reading back to the same
 * values); and bitwise determinism with one thread and two. */
#include "check.h"

#include "nnc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NNC_DOUBLE
#define TOL 1e-10
#else
#define TOL 2e-5
#endif

/* The state of the formula for one parameter block, in double. */
typedef struct formula {
    const char *name;
    double h[4]; /* the row's hyper-parameters, in the table's order */
    double *s0, *s1;
    long t;
} formula;

/* Where the gradient is taken: θ, or NAG's θ − α·v. */
static void formula_point(const formula *f, const double *theta, double *point, size_t n)
{
    for (size_t i = 0; i < n; i++)
        point[i] = strcmp(f->name, "nag") ? theta[i] : theta[i] - f->h[0] * f->s0[i];
}

/* One update of theta by g with learning rate lr, as the formulas read. */
static void formula_step(formula *f, double *theta, const double *g, size_t n, double lr)
{
    f->t++;
    for (size_t i = 0; i < n; i++) {
        double *v = &f->s0[i], *r = &f->s1[i];
        const double gi = g[i];
        if (!strcmp(f->name, "sgd")) {
            theta[i] -= lr * gi;
        } else if (!strcmp(f->name, "momentum")) {
            *v = f->h[0] * *v - lr * gi;
            theta[i] += *v;
        } else if (!strcmp(f->name, "nag")) {
            *v = f->h[0] * *v + lr * gi;
            theta[i] -= *v;
        } else if (!strcmp(f->name, "adagrad")) {
            *v += gi * gi;
            theta[i] -= lr / (f->h[0] + sqrt(*v)) * gi;
        } else if (!strcmp(f->name, "adadelta")) {
            const double a = f->h[0], eps = f->h[1];
            *v = a * *v + (1 - a) * gi * gi;
            const double delta = sqrt((eps + *r) / (eps + *v)) * gi;
            theta[i] -= delta;
            *r = a * *r + (1 - a) * delta * delta;
        } else if (!strcmp(f->name, "rmsprop")) {
            *v = f->h[0] * *v + (1 - f->h[0]) * gi * gi;
            theta[i] -= lr / sqrt(f->h[1] + *v) * gi;
        } else { /* adam, adamw */
            const double b1 = f->h[0], b2 = f->h[1], eps = f->h[2];
            *v = b1 * *v + (1 - b1) * gi;
            *r = b2 * *r + (1 - b2) * gi * gi;
            const double m_hat = *v / (1 - pow(b1, (double)f->t));
            const double v_hat = *r / (1 - pow(b2, (double)f->t));
            const double decay = strcmp(f->name, "adamw") ? 0 : f->h[3] * theta[i];
            theta[i] -= lr * (m_hat / (eps + sqrt(v_hat)) + decay);
        }
    }
}

static formula formula_for(int row, size_t n)
{
    formula f = {.name = nnc_optimizer_name(row)};
    CHECK(nnc_optimizer_hyper(row, NULL, f.h, 4) <= 4);
    f.s0 = calloc(n, sizeof *f.s0);
    f.s1 = calloc(n, sizeof *f.s1);
    CHECK(f.s0 && f.s1);
    return f;
}

static void formula_free(formula *f) { free(f->s0), free(f->s1); }

static int near(double got, double want) { return fabs(got - want) <= TOL * (1 + fabs(want)); }

/* The net's gradient at `point` on the batch (X, Y), layer by layer W then
 * B, as the parameter block is laid out: from a twin of the same shape. */
static void gradient_at(nnc_net *twin, const double *point, const nnc_real *X,
                        const nnc_real *Y, int m, double *g)
{
    const size_t n = nnc_net_parameter_count(twin);
    nnc_real *p = nnc_net_parameters(twin);
    for (size_t i = 0; i < n; i++)
        p[i] = (nnc_real)point[i];
    CHECK_OK(nnc_net_forward(twin, X, m));
    CHECK_OK(nnc_net_backward(twin, X, Y, m));
    size_t at = 0;
    for (int l = 0; l < nnc_net_layers(twin); l++) {
        const size_t w = (size_t)nnc_net_layer(twin, l).units *
                         (size_t)(l ? nnc_net_layer(twin, l - 1).units : nnc_net_inputs(twin));
        const size_t units = (size_t)nnc_net_layer(twin, l).units;
        for (size_t i = 0; i < w; i++)
            g[at + i] = nnc_net_weight_grad(twin, l)[i];
        for (size_t i = 0; i < units; i++)
            g[at + w + i] = nnc_net_bias_grad(twin, l)[i];
        at += w + units;
    }
    CHECK(at == n);
}

/* The first three updates of a 2-3-1 net with optimizer `row` (its
 * defaults), learning rate lr, on one batch of 4 rows. */
static void check_net_updates(int row, double lr)
{
    const nnc_layer_spec specs[] = {{3, NNC_ACT_TANH, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net, *twin;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 2, 2, specs, 4));
    CHECK_OK(nnc_net_create(&twin, NNC_TASK_FITTING, 2, 2, specs, 4));
    CHECK_OK(nnc_net_set_optimizer(net, nnc_optimizer_name(row)));
    nnc_rng r;
    nnc_rng_seed(&r, 11);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    const nnc_real X[8] = {0.1f, 0.9f, -0.4f, 0.3f, 0.7f, -0.8f, 0.2f, 0.5f};
    const nnc_real Y[4] = {0.5f, -0.2f, 0.9f, 0.1f};
    nnc_dataset *data;
    CHECK_OK(nnc_dataset_create(&data, X, Y, 4, 2, 1));
    const uint32_t rows[4] = {0, 1, 2, 3};
    const size_t n = nnc_net_parameter_count(net);
    double *theta = malloc(n * sizeof *theta), *point = malloc(n * sizeof *point),
           *g = malloc(n * sizeof *g);
    CHECK(theta && point && g);
    for (size_t i = 0; i < n; i++)
        theta[i] = nnc_net_parameters(net)[i];
    formula f = formula_for(row, n);
    for (int step = 1; step <= 3; step++) {
        formula_point(&f, theta, point, n);
        gradient_at(twin, point, X, Y, 4, g);
        formula_step(&f, theta, g, n, lr);
        CHECK_OK(nnc_net_train_batch(net, data, rows, 4, lr));
        int all_near = 1;
        for (size_t i = 0; i < n; i++)
            all_near &= near(nnc_net_parameters(net)[i], theta[i]);
        if (!all_near)
            fprintf(stderr, "%s: update %d differs from the formula\n", f.name, step);
        CHECK(all_near);
    }
    CHECK(nnc_net_optimizer_steps(net) == 3);
    formula_free(&f);
    free(theta), free(point), free(g);
    nnc_dataset_free(data);
    nnc_net_free(net);
    nnc_net_free(twin);
}

/* The standalone optimizer on the book's z = x²/10 + y² (gradient
 * (x/5, 2y)), from (−4, 2): three steps against the formula. */
static void check_standalone(int row, double lr)
{
    nnc_optimizer *opt;
    CHECK_OK(nnc_optimizer_create(&opt, nnc_optimizer_name(row), 2));
    nnc_real xy[2] = {-4, 2}, at[2];
    nnc_real grad[2];
    double theta[2] = {-4, 2}, point[2], g[2];
    formula f = formula_for(row, 2);
    for (int step = 1; step <= 3; step++) {
        nnc_optimizer_lookahead(opt, xy, at);
        grad[0] = at[0] / 5, grad[1] = 2 * at[1];
        formula_point(&f, theta, point, 2);
        g[0] = point[0] / 5, g[1] = 2 * point[1];
        formula_step(&f, theta, g, 2, lr);
        CHECK_OK(nnc_optimizer_step(opt, xy, grad, lr));
        CHECK(near(xy[0], theta[0]) && near(xy[1], theta[1]));
    }
    formula_free(&f);
    nnc_optimizer_free(opt);
}

static void check_specs(void)
{
    const nnc_layer_spec specs[] = {{3, NNC_ACT_TANH, 0}, {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 2, 2, specs, 4));
    char buf[256];
    CHECK_OK(nnc_net_set_optimizer(net, "adam:beta1=0.8,eps=1e-7"));
    CHECK_OK(nnc_net_optimizer_spec(net, buf, sizeof buf));
    CHECK(!strcmp(buf, "adam:beta1=0.8,beta2=0.999,eps=1e-07"));
    CHECK_OK(nnc_net_set_optimizer(net, "sgd"));
    CHECK_OK(nnc_net_optimizer_spec(net, buf, sizeof buf));
    CHECK(!strcmp(buf, "sgd"));
    /* Every row's canonical spec reads back to itself, state zeroed. */
    for (int i = 0; i < nnc_optimizer_count(); i++) {
        char again[256];
        CHECK_OK(nnc_net_set_optimizer(net, nnc_optimizer_name(i)));
        nnc_net_set_optimizer_steps(net, 5);
        CHECK_OK(nnc_net_optimizer_spec(net, buf, sizeof buf));
        CHECK_OK(nnc_net_set_optimizer(net, buf));
        CHECK(nnc_net_optimizer_steps(net) == 0);
        CHECK_OK(nnc_net_optimizer_spec(net, again, sizeof again));
        CHECK(!strcmp(buf, again));
        size_t n_state;
        const nnc_real *state = nnc_net_optimizer_state(net, &n_state);
        for (size_t k = 0; k < n_state; k++)
            CHECK(state[k] == 0);
    }
    CHECK_OK(nnc_net_set_optimizer(net, "adamw:weight_decay=0.123456789012345"));
    CHECK_OK(nnc_net_optimizer_spec(net, buf, sizeof buf));
    CHECK(strstr(buf, "weight_decay=0.123456789012345") != NULL);
    CHECK(nnc_net_optimizer_spec(net, buf, 8) == NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_set_optimizer_steps(net, -1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_set_optimizer(net, "adam:eps=0"), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "must be > 0") != NULL);
    static const char *const refused[] = {
        "", "adamx", "adam:", "adam:beta1", "adam:beta1=", "adam:beta1=1", "adam:beta1=-0.1",
        "adam:beta1=0.9,beta1=0.8", "adam:eta=0.1", "adam:gamma=2", "adam:eps=0",
        "adam:eps=nan", "adam:eps=inf", "adam:eps=1e-8x", "momentum:alpha=0.9,", "sgd:alpha=1",
        "adamw:weight_decay=-1", "rmsprop:rho= 0.9", NULL};
    for (int i = 0; refused[i]; i++)
        CHECK_STATUS(nnc_net_set_optimizer(net, refused[i]), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_net_set_optimizer(net, "adam:gamma=2"), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "gamma") && strstr(nnc_last_error(), "beta2"));
    CHECK_STATUS(nnc_net_set_optimizer(net, "adamx"), NNC_ERR_ARGUMENT);
    CHECK(strstr(nnc_last_error(), "rmsprop") != NULL);
    nnc_optimizer *opt;
    CHECK_STATUS(nnc_optimizer_create(&opt, "nope", 2), NNC_ERR_ARGUMENT);
    nnc_net_free(net);
}

/* The same seed and steps give the same bits with one thread and two, on a
 * net whose update the pool cuts into pieces. */
static void check_threads(int row)
{
    const nnc_layer_spec specs[] = {{120, NNC_ACT_RELU, 0}, {3, NNC_ACT_IDENTITY, 0}};
    nnc_net *nets[2];
    enum { ROWS = 32, IN = 100 };
    nnc_real *X = malloc(sizeof(nnc_real) * ROWS * IN), Y[ROWS * 3];
    CHECK(X != NULL);
    nnc_rng r;
    nnc_rng_seed(&r, 4);
    for (int i = 0; i < ROWS * IN; i++)
        X[i] = (nnc_real)nnc_rng_uniform(&r);
    for (int i = 0; i < ROWS * 3; i++)
        Y[i] = (nnc_real)nnc_rng_uniform(&r);
    nnc_dataset *data;
    CHECK_OK(nnc_dataset_create(&data, X, Y, ROWS, IN, 3));
    uint32_t rows[ROWS];
    for (int i = 0; i < ROWS; i++)
        rows[i] = (uint32_t)((i * 7) % ROWS);
    for (int k = 0; k < 2; k++) {
        CHECK_OK(nnc_net_create(&nets[k], NNC_TASK_FITTING, IN, 2, specs, 8));
        CHECK_OK(nnc_net_set_threads(nets[k], k + 1));
        CHECK_OK(nnc_net_set_optimizer(nets[k], nnc_optimizer_name(row)));
        nnc_rng_seed(&r, 9);
        CHECK_OK(nnc_net_init(nets[k], NNC_INIT_XAVIER, &r));
        CHECK_OK(nnc_net_train_batches(nets[k], data, rows, 8, ROWS / 8, 0.01));
    }
    const size_t n = nnc_net_parameter_count(nets[0]);
    CHECK(memcmp(nnc_net_parameters(nets[0]), nnc_net_parameters(nets[1]),
                 n * sizeof(nnc_real)) == 0);
    size_t n0, n1;
    const nnc_real *s0 = nnc_net_optimizer_state(nets[0], &n0),
                   *s1 = nnc_net_optimizer_state(nets[1], &n1);
    CHECK(n0 == n1 && (n0 == 0 || memcmp(s0, s1, n0 * sizeof(nnc_real)) == 0));
    nnc_net_free(nets[0]);
    nnc_net_free(nets[1]);
    nnc_dataset_free(data);
    free(X);
}

int main(void)
{
    CHECK(nnc_optimizer_count() == 8);
    static const char *const names[] = {"sgd",     "momentum", "nag",  "adagrad",
                                        "adadelta", "rmsprop",  "adam", "adamw"};
    for (int i = 0; i < 8; i++)
        CHECK(!strcmp(nnc_optimizer_name(i), names[i]));
    CHECK(nnc_optimizer_name(8) == NULL);
    for (int i = 0; i < nnc_optimizer_count(); i++) {
        check_net_updates(i, 0.05);
        check_standalone(i, i == 0 ? 0.95 : 0.1);
        check_threads(i);
    }
    check_specs();
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures != 0;
}
