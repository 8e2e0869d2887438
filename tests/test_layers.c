/* The layers beside dense: dropout (the book's, not inverted) and batch
 * norm (with its activation after it).  Their gradients against finite
 * differences of the loss (batch norm in training mode, dropout with its
 * mask held fixed by reseeding the generator), their inference arithmetic
 * against the formulas computed here, the running statistics' update,
 * determinism, and the refusals of nnc_net_create. */
#include "check.h"

#include "nnc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { IN = 3, H = 5, OUT = 2, M = 8 };

/* dense(3→5, identity) → batchnorm(5, tanh) → dropout(5, 0.3) → dense(5→2). */
static nnc_net *layered_net(int batchnorm, int dropout)
{
    nnc_layer_spec specs[4];
    int n = 0;
    specs[n++] = (nnc_layer_spec){.units = H, .activation = batchnorm ? NNC_ACT_IDENTITY
                                                                      : NNC_ACT_TANH};
    if (batchnorm)
        specs[n++] = (nnc_layer_spec){.units = H, .activation = NNC_ACT_TANH,
                                      .kind = NNC_LAYER_BATCHNORM};
    if (dropout)
        specs[n++] = (nnc_layer_spec){.units = H, .kind = NNC_LAYER_DROPOUT, .rate = 0.3};
    specs[n++] = (nnc_layer_spec){.units = OUT};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, IN, n, specs, M));
    nnc_rng r;
    nnc_rng_seed(&r, 2);
    CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
    /* γ and β away from 1 and 0, so that their gradients are not special. */
    for (int l = 0; l < n; l++)
        if (specs[l].kind == NNC_LAYER_BATCHNORM)
            for (int j = 0; j < H; j++) {
                nnc_net_weights(net, l)[j] = (nnc_real)(0.8 + 0.1 * j);
                nnc_net_bias(net, l)[j] = (nnc_real)(0.05 * j - 0.1);
            }
    return net;
}

static nnc_real X[M * IN], Y[M * OUT];

static void make_batch(void)
{
    nnc_rng r;
    nnc_rng_seed(&r, 7);
    for (int i = 0; i < M * IN; i++)
        X[i] = (nnc_real)(2 * nnc_rng_uniform(&r) - 1);
    for (int i = 0; i < M * OUT; i++)
        Y[i] = (nnc_real)(2 * nnc_rng_uniform(&r) - 1);
}

/* The loss (MSE/2 averaged over rows) of a training forward pass, the
 * dropout generator reset to `at` first (the same mask every time). */
static double loss_at(nnc_net *net, const nnc_rng *at)
{
    *nnc_net_dropout_rng(net) = *at;
    CHECK_OK(nnc_net_forward(net, X, M));
    const nnc_real *A = nnc_net_output(net);
    double sum = 0;
    for (int i = 0; i < M * OUT; i++)
        sum += 0.5 * ((double)A[i] - Y[i]) * ((double)A[i] - Y[i]);
    return sum / M;
}

/* Every parameter's gradient from nnc_net_backward against the central
 * difference of the loss. */
static void check_gradients(int batchnorm, int dropout)
{
    nnc_net *net = layered_net(batchnorm, dropout);
    nnc_net_set_training(net, 1);
    nnc_rng at;
    nnc_rng_seed(&at, 99);
    (void)loss_at(net, &at);
    CHECK_OK(nnc_net_backward(net, X, Y, M));
#ifdef NNC_DOUBLE
    const double h = 1e-6, tol = 1e-6;
#else
    const double h = 3e-3, tol = 3e-3;
#endif
    int checked = 0;
    for (int l = 0; l < nnc_net_layers(net); l++) {
        const nnc_layer_spec s = nnc_net_layer(net, l);
        if (s.kind == NNC_LAYER_DROPOUT) {
            CHECK(nnc_net_weights(net, l) == NULL || nnc_net_layer(net, l).units == H);
            continue;
        }
        const int in = l == 0 ? IN : H;
        const size_t n_w = s.kind == NNC_LAYER_BATCHNORM ? (size_t)s.units
                                                          : (size_t)in * s.units;
        for (int which = 0; which < 2; which++) {
            nnc_real *p = which ? nnc_net_bias(net, l) : nnc_net_weights(net, l);
            const nnc_real *g = which ? nnc_net_bias_grad(net, l) : nnc_net_weight_grad(net, l);
            const size_t n = which ? (size_t)s.units : n_w;
            for (size_t i = 0; i < n; i++) {
                const double grad = g[i];
                const nnc_real p0 = p[i];
                p[i] = (nnc_real)(p0 + h);
                const double up = loss_at(net, &at);
                p[i] = (nnc_real)(p0 - h);
                const double down = loss_at(net, &at);
                p[i] = p0;
                const double fd = (up - down) / (2 * h);
                if (fabs(grad - fd) > tol * (1 + fabs(fd)))
                    fprintf(stderr, "layer %d %s[%zu]: backward %g, differences %g\n", l + 1,
                            which ? "B" : "W", i, grad, fd);
                CHECK(fabs(grad - fd) <= tol * (1 + fabs(fd)));
                checked++;
            }
        }
    }
    CHECK(checked == (int)nnc_net_parameter_count(net));
    nnc_net_free(net);
}

/* Inference: batch norm from the running statistics, dropout scaled by
 * 1 − rate, computed here from the formulas; and one training forward's
 * update of the running statistics. */
static void check_inference(void)
{
    nnc_net *net = layered_net(1, 1);
    nnc_real *mean = nnc_net_running_mean(net, 1), *var = nnc_net_running_var(net, 1);
    CHECK(mean && var && !nnc_net_running_mean(net, 0) && !nnc_net_running_mean(net, 2));
    for (int j = 0; j < H; j++)
        CHECK(mean[j] == 0 && var[j] == 1);
    /* One training forward: running = 0.9·running + 0.1·batch value. */
    nnc_net_set_training(net, 1);
    CHECK_OK(nnc_net_forward(net, X, M));
    const nnc_real *W1 = nnc_net_weights(net, 0), *B1 = nnc_net_bias(net, 0);
    double z[M][H];
    for (int r = 0; r < M; r++)
        for (int j = 0; j < H; j++) {
            z[r][j] = B1[j];
            for (int p = 0; p < IN; p++)
                z[r][j] += (double)X[r * IN + p] * W1[p * H + j];
        }
    for (int j = 0; j < H; j++) {
        double mu = 0, v = 0;
        for (int r = 0; r < M; r++)
            mu += z[r][j] / M;
        for (int r = 0; r < M; r++)
            v += (z[r][j] - mu) * (z[r][j] - mu) / M;
        CHECK_NEAR(mean[j], 0.1 * mu, 1e-5);
        CHECK_NEAR(var[j], 0.9 + 0.1 * v, 1e-5);
    }
    /* Inference from them. */
    nnc_net_set_training(net, 0);
    CHECK_OK(nnc_net_forward(net, X, M));
    const nnc_real *A = nnc_net_output(net);
    const nnc_real *gamma = nnc_net_weights(net, 1), *beta = nnc_net_bias(net, 1);
    const nnc_real *W2 = nnc_net_weights(net, 3), *B2 = nnc_net_bias(net, 3);
    for (int r = 0; r < M; r++)
        for (int k = 0; k < OUT; k++) {
            double out = B2[k];
            for (int j = 0; j < H; j++) {
                const double xhat = (z[r][j] - mean[j]) / sqrt(var[j] + 1e-5);
                const double a = tanh(gamma[j] * xhat + beta[j]) * (1 - 0.3);
                out += a * W2[j * OUT + k];
            }
            CHECK_NEAR(A[r * OUT + k], out, 1e-5);
        }
    nnc_net_free(net);
}

/* Dropout's mask: about 1 − rate of the values kept, the same mask for the
 * same generator state, and training through it deterministic. */
static void check_dropout_mask(void)
{
    nnc_layer_spec specs[3] = {{200, NNC_ACT_IDENTITY, 0},
                               {200, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, 0.25},
                               {1, NNC_ACT_IDENTITY, 0}};
    nnc_net *net;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, 1, 3, specs, 50));
    /* Every hidden value 1 and the output their sum: the count kept. */
    nnc_real *W = nnc_net_weights(net, 0), *V = nnc_net_weights(net, 2);
    for (int j = 0; j < 200; j++)
        W[j] = 1, V[j] = 1;
    nnc_real x[50], first[50];
    for (int i = 0; i < 50; i++)
        x[i] = 1;
    nnc_net_set_training(net, 1);
    const nnc_rng start = *nnc_net_dropout_rng(net);
    CHECK_OK(nnc_net_forward(net, x, 50));
    double kept = 0;
    for (int i = 0; i < 50; i++) {
        first[i] = nnc_net_output(net)[i];
        kept += first[i];
        CHECK(first[i] == floor(first[i])); /* unscaled: whole counts */
    }
    CHECK(kept / (50 * 200) > 0.72 && kept / (50 * 200) < 0.78);
    *nnc_net_dropout_rng(net) = start;
    CHECK_OK(nnc_net_forward(net, x, 50));
    CHECK(!memcmp(first, nnc_net_output(net), sizeof first));
    nnc_net_set_training(net, 0); /* inference: every value times 0.75 */
    CHECK_OK(nnc_net_forward(net, x, 50));
    for (int i = 0; i < 50; i++)
        CHECK_NEAR(nnc_net_output(net)[i], 150, 1e-3);
    nnc_net_free(net);
}

static void check_refusals(void)
{
    nnc_net *net;
    const nnc_layer_spec dense = {4, NNC_ACT_TANH, 0}, out = {1, NNC_ACT_IDENTITY, 0};
    const struct {
        nnc_layer_spec mid;
        const char *says;
    } bad[] = {
        {{4, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, 1}, "rate"},
        {{4, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, -0.1}, "rate"},
        {{4, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, NAN}, "rate"},
        {{5, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, 0.2}, "width"},
        {{3, NNC_ACT_TANH, 0, NNC_LAYER_BATCHNORM, 0}, "width"},
        {{4, NNC_ACT_TANH, 0, (nnc_layer_kind)9, 0}, "kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const nnc_layer_spec specs[3] = {dense, bad[i].mid, out};
        CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 2, 3, specs, 4), NNC_ERR_ARGUMENT);
        CHECK(strstr(nnc_last_error(), bad[i].says) != NULL);
    }
    const nnc_layer_spec last[2] = {dense, {4, NNC_ACT_IDENTITY, 0, NNC_LAYER_DROPOUT, 0.2}};
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 2, 2, last, 4), NNC_ERR_ARGUMENT);
    const nnc_layer_spec first[2] = {{2, NNC_ACT_TANH, 0, NNC_LAYER_BATCHNORM, 0}, out};
    CHECK_STATUS(nnc_net_create(&net, NNC_TASK_FITTING, 2, 2, first, 4), NNC_ERR_ARGUMENT);
}

/* Training steps through dropout and batch norm: the same seed gives the
 * same bits with one thread and two. */
static void check_determinism(void)
{
    nnc_dataset *data;
    CHECK_OK(nnc_dataset_create(&data, X, Y, M, IN, OUT));
    const uint32_t rows[M] = {3, 1, 4, 0, 5, 2, 7, 6};
    nnc_net *a = layered_net(1, 1), *b = layered_net(1, 1);
    CHECK_OK(nnc_net_set_threads(b, 2));
    CHECK_OK(nnc_net_set_optimizer(a, "adam"));
    CHECK_OK(nnc_net_set_optimizer(b, "adam"));
    for (int k = 0; k < 20; k++) {
        CHECK_OK(nnc_net_train_batch(a, data, rows, M, 0.01));
        CHECK_OK(nnc_net_train_batch(b, data, rows, M, 0.01));
    }
    CHECK(!memcmp(nnc_net_parameters(a), nnc_net_parameters(b),
                  nnc_net_parameter_count(a) * sizeof(nnc_real)));
    CHECK(!memcmp(nnc_net_running_var(a, 1), nnc_net_running_var(b, 1), H * sizeof(nnc_real)));
    CHECK(nnc_net_training(a) == 0); /* the steps leave the mode as they found it */
    nnc_net_free(a);
    nnc_net_free(b);
    nnc_dataset_free(data);
}

int main(void)
{
    make_batch();
    check_gradients(1, 0);
    check_gradients(0, 1);
    check_gradients(1, 1);
    check_inference();
    check_dropout_mask();
    check_refusals();
    check_determinism();
    return check_report("test_layers");
}
