/* The matrix kernels: every path this machine can run (portable, AVX2,
 * AVX-512) against a plain reference loop with the same chain of fused
 * multiply-adds, bit for bit, for the three products of training (forward
 * with bias and activation, dW = Xᵀ·dZ/m, dX = dZ·Wᵀ) over many shapes:
 * 1×1, odd sizes, sizes around the vector widths, and 64×784×128; then
 * whole nets trained on each path, bit for bit against the portable one;
 * and the fused step of small one-hidden-layer nets (nnc_small_step)
 * against the general forward and backward pass.  In a build with OpenBLAS,
 * its backend against the exact products, to rounding. */
#include "check.h"
#include "core/dense.h"
#include "internal.h"
#include "kernels/kernels.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static nnc_rng rng;

/* memcheck (the valgrind build) runs this ~130x slower, the sanitizers ~3x:
 * there (NNC_TEST_MEMCHECK) every loop keeps its edge cases (each size of
 * the list as m and as n, each kernel path, a split among threads) but not
 * every combination, and the 784-wide shapes give way to smaller ones that
 * are still cut among threads.  The float and double builds, and CI's runs
 * (NNC_TESTS_FULL), run everything. */
#ifdef NNC_TEST_MEMCHECK
enum { MEMCHECK = 1 };
#else
enum { MEMCHECK = 0 };
#endif

static nnc_real *random_matrix(size_t count)
{
    nnc_real *v = malloc((count ? count : 1) * sizeof *v);
    for (size_t i = 0; i < count; i++) {
        /* Mixed magnitudes, so that the rounding of each step matters. */
        double u = 2 * nnc_rng_uniform(&rng) - 1;
        v[i] = (nnc_real)(u * (i % 7 == 0 ? 1000.0 : i % 3 == 0 ? 1e-3 : 1.0));
    }
    return v;
}

/* The contract of kernels.h, written out: start (or +0), one fma per kk in
 * order, then the scale. */
static void reference(nnc_real *C, const nnc_real *A, size_t a_rs, size_t a_cs,
                      const nnc_real *B, const nnc_real *start, int m, int k, int n,
                      int use_scale, nnc_real scale)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            nnc_real acc = start ? start[j] : 0;
            for (int kk = 0; kk < k; kk++)
                acc = NNC_FMA(A[i * a_rs + kk * a_cs], B[(size_t)kk * n + j], acc);
            C[(size_t)i * n + j] = use_scale ? acc * scale : acc;
        }
}

static int same_bits(const nnc_real *a, const nnc_real *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Forward (Z = X·W + B, A = relu(Z)), dW = Xᵀ·dZ·s and dX = dZ·Wᵀ for one
 * shape on the given path and pool (NULL: one thread); the batch X is m
 * shuffled rows of a 2m-row set (X2) read in place through their row
 * numbers, the references use them gathered.  Then the training step's
 * form: the gradients descending into W and B from their products. */
static void check_shape_on(int path, nnc_pool *pool, int m, int k, int n)
{
    const nnc_exec ex = {path, pool, 0};
    const nnc_activation_info *relu = nnc_activation_get(NNC_ACT_RELU);
    nnc_real *X2 = random_matrix((size_t)2 * m * k), *X = malloc((size_t)m * k * sizeof *X);
    uint32_t *rows = malloc((size_t)2 * m * sizeof *rows);
    for (int i = 0; i < 2 * m; i++)
        rows[i] = (uint32_t)i;
    nnc_rng_shuffle(&rng, rows, (size_t)2 * m);
    for (int i = 0; i < m; i++)
        memcpy(X + (size_t)i * k, X2 + (size_t)rows[i] * k, (size_t)k * sizeof *X);
    nnc_real *W = random_matrix((size_t)k * n);
    nnc_real *B = random_matrix((size_t)n), *dZ = random_matrix((size_t)m * n);
    nnc_real *Z = calloc((size_t)m * n, sizeof *Z), *A = calloc((size_t)m * n, sizeof *A);
    nnc_real *R = calloc((size_t)m * n, sizeof *R), *RA = calloc((size_t)m * n, sizeof *RA);
    nnc_real *RW = calloc((size_t)k * n, sizeof *RW);
    nnc_real *dX = calloc((size_t)m * k, sizeof *dX), *RX = calloc((size_t)m * k, sizeof *RX);
    nnc_real *Wt = calloc((size_t)k * n, sizeof *Wt);

    /* Forward with bias and the activation fused, rows in place. */
    nnc_dense_forward(ex, &(nnc_dense){k, n, W, B, 0, relu, 0}, (nnc_batch){X2, rows, m}, Z, A);
    reference(R, X, (size_t)k, 1, W, B, m, k, n, 0, 0);
    relu->forward(R, RA, (size_t)m * n, 0);
    int ok_z = same_bits(Z, R, (size_t)m * n), ok_a = same_bits(A, RA, (size_t)m * n);
    /* Plain matmul (start +0, no activation). */
    nnc_matmul(ex, Z, X, W, m, k, n);
    reference(R, X, (size_t)k, 1, W, NULL, m, k, n, 0, 0);
    int ok_mm = same_bits(Z, R, (size_t)m * n);
    /* The blocks of rows in a rotated order (first_row), rows through the
     * table as the forward pass reads them: the same bits. */
    reference(R, X, (size_t)k, 1, W, B, m, k, n, 0, 0);
    for (int first = 1; first < 2 * m; first += m / 2 + 1) {
        nnc_gemm_args rot = {.a = {.p = X2, .rs = (size_t)k, .cs = 1, .rows_i = rows},
                             .b = {.p = W}, .C = Z, .start = B, .m = m, .k = k, .n = n,
                             .first_row = first, .ex = ex};
        memset(Z, 0, (size_t)m * n * sizeof *Z);
        nnc_gemm(&rot);
        ok_mm &= same_bits(Z, R, (size_t)m * n);
    }
    /* dW = Xᵀ·dZ / m: row p of dW gathers X[r][p]·dZ[r][j] over r. */
    const nnc_real s = (nnc_real)1 / (nnc_real)m;
    reference(RW, X, 1, (size_t)k, dZ, NULL, k, m, n, 1, s);
    /* dX = dZ·Wᵀ: dX[i][p] gathers dZ[i][j]·W[p][j] over j. */
    nnc_transpose(path, Wt, W, k, n);
    nnc_matmul(ex, dX, dZ, Wt, m, n, k);
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) {
            nnc_real acc = 0;
            for (int j = 0; j < n; j++)
                acc = NNC_FMA(dZ[(size_t)i * n + j], W[(size_t)p * n + j], acc);
            RX[(size_t)i * k + p] = acc;
        }
    int ok_x = same_bits(dX, RX, (size_t)m * k);
    /* dense_backward, with dB right after dW (as in a net: one product for
     * both when small) and apart (two): dB[j] = s·(0 + dZ[0][j] + ...). */
    nnc_real *dWB = calloc((size_t)(k + 1) * n, sizeof *dWB);
    nnc_real *dB = calloc((size_t)n, sizeof *dB), *RB = calloc((size_t)n, sizeof *RB);
    for (int j = 0; j < n; j++) {
        nnc_real acc = 0;
        for (int r = 0; r < m; r++)
            acc += dZ[(size_t)r * n + j];
        RB[j] = acc * s;
    }
    memset(dX, 0, (size_t)m * k * sizeof *dX);
    int ok_b = nnc_dense_backward(ex, &(nnc_dense){k, n, W, NULL, 0, NULL, 0},
                              (nnc_batch){X2, rows, m}, dZ, dWB, dWB + (size_t)k * n, dX, Wt,
                              (nnc_descent){0, 0}) == 1;
    ok_b = ok_b && same_bits(dWB, RW, (size_t)k * n) &&
           same_bits(dWB + (size_t)k * n, RB, n) && same_bits(dX, RX, (size_t)m * k);
    memset(dWB, 0, (size_t)k * n * sizeof *dWB);
    nnc_dense_backward(ex, &(nnc_dense){k, n, W, NULL, 0, NULL, 0},
                   (nnc_batch){X, NULL, m}, dZ, dWB, dB, NULL, Wt, (nnc_descent){0, 0});
    ok_b = ok_b && same_bits(dWB, RW, (size_t)k * n) && same_bits(dB, RB, n);
    /* The descent, in the net's layout (B right after W) and apart:
     * w − step·dw, a multiply and a subtract; dX from W as it was. */
    const nnc_real step = (nnc_real)0.3;
    nnc_real *WB = malloc((size_t)(k + 1) * n * sizeof *WB), *W1 = malloc((size_t)k * n * sizeof *W1);
    nnc_real *B1 = malloc((size_t)n * sizeof *B1);
    memcpy(WB, W, (size_t)k * n * sizeof *WB);
    memcpy(WB + (size_t)k * n, B, (size_t)n * sizeof *WB);
    memcpy(W1, W, (size_t)k * n * sizeof *W1);
    memcpy(B1, B, (size_t)n * sizeof *B1);
    for (size_t i = 0; i < (size_t)k * n; i++)
        RW[i] = W[i] - step * RW[i];
    for (int j = 0; j < n; j++)
        RB[j] = B[j] - step * RB[j];
    memset(dX, 0, (size_t)m * k * sizeof *dX);
    int ok_d = nnc_dense_backward(ex, &(nnc_dense){k, n, WB, WB + (size_t)k * n, 0, NULL, 0},
                              (nnc_batch){X2, rows, m}, dZ, dWB, dWB + (size_t)k * n, dX, Wt,
                              (nnc_descent){1, step}) == 1 &&
               same_bits(WB, RW, (size_t)k * n) && same_bits(WB + (size_t)k * n, RB, n) &&
               same_bits(dX, RX, (size_t)m * k);
    ok_d = ok_d && nnc_dense_backward(ex, &(nnc_dense){k, n, W1, B1, 0, NULL, 0},
                                  (nnc_batch){X2, rows, m}, dZ, dWB, dB, NULL, Wt,
                                  (nnc_descent){1, step}) == 1 &&
           same_bits(W1, RW, (size_t)k * n) && same_bits(B1, RB, n);
    /* A NaN in dZ's last row reaches every weight of its column: refused. */
    dZ[(size_t)(m - 1) * n + n - 1] = (nnc_real)NAN;
    ok_d = ok_d && nnc_dense_backward(ex, &(nnc_dense){k, n, W1, B1, 0, NULL, 0},
                                  (nnc_batch){X2, rows, m}, dZ, dWB, dB, NULL, Wt,
                                  (nnc_descent){1, step}) == 0;
    free(dWB), free(dB), free(RB), free(WB), free(W1), free(B1);
    if (!(ok_z && ok_a && ok_mm && ok_x && ok_b && ok_d))
        fprintf(stderr, "path %s, %d threads, m=%d k=%d n=%d: Z %d A %d matmul %d dX %d "
                "back %d descent %d\n", nnc_kernel_path_name(path), nnc_pool_threads(pool), m,
                k, n, ok_z, ok_a, ok_mm, ok_x, ok_b, ok_d);
    CHECK(ok_z && ok_a && ok_mm && ok_x && ok_b && ok_d);
    free(X2), free(X), free(rows), free(W), free(B), free(dZ), free(Z), free(A), free(R);
    free(RA), free(RW), free(dX), free(RX), free(Wt);
}

static void check_shape(int path, int m, int k, int n) { check_shape_on(path, NULL, m, k, n); }

/* Weights in column panels of pw (the layout of a threaded training run,
 * nnc_gemm_panel): the layout itself, then dense_forward and the descent of
 * dense_backward (with dX) on them give the row-major results bit for bit. */
static void check_panels_on(int path, nnc_pool *pool, int m, int k, int n, int pw)
{
    const nnc_exec ex = {path, pool, 0};
    const nnc_activation_info *relu = nnc_activation_get(NNC_ACT_RELU);
    const size_t kn = (size_t)k * n, mn = (size_t)m * n;
    nnc_real *X = random_matrix((size_t)m * k), *W = random_matrix(kn), *B = random_matrix((size_t)n);
    nnc_real *dZ = random_matrix(mn), *P = malloc(kn * sizeof *P), *back = malloc(kn * sizeof *back);
    nnc_real *Z = calloc(mn, sizeof *Z), *A = calloc(mn, sizeof *A);
    nnc_real *Zp = calloc(mn, sizeof *Zp), *Ap = calloc(mn, sizeof *Ap);
    nnc_real *dW = calloc(kn, sizeof *dW), *Wt = calloc(kn, sizeof *Wt);
    nnc_real *dX = calloc((size_t)m * k, sizeof *dX), *dXp = calloc((size_t)m * k, sizeof *dXp);
    nnc_real *B1 = malloc((size_t)n * sizeof *B1), *B2 = malloc((size_t)n * sizeof *B2);
    nnc_real *dB = calloc((size_t)n, sizeof *dB);
    nnc_to_panels(P, W, k, n, pw);
    int ok_layout = 1;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < n; j++) {
            const int j0 = j / pw * pw, w = n - j0 < pw ? n - j0 : pw;
            ok_layout &= P[(size_t)k * j0 + (size_t)i * w + (j - j0)] == W[(size_t)i * n + j];
        }
    nnc_from_panels(back, P, k, n, pw);
    ok_layout &= same_bits(back, W, kn);
    nnc_dense_forward(ex, &(nnc_dense){k, n, W, B, 0, relu, 0}, (nnc_batch){X, NULL, m}, Z, A);
    nnc_dense_forward(ex, &(nnc_dense){k, n, P, B, pw, relu, 0}, (nnc_batch){X, NULL, m}, Zp, Ap);
    const int ok_fwd = same_bits(Z, Zp, mn) && same_bits(A, Ap, mn);
    const nnc_real step = (nnc_real)0.25;
    memcpy(B1, B, (size_t)n * sizeof *B1);
    memcpy(B2, B, (size_t)n * sizeof *B2);
    int ok_back = nnc_dense_backward(ex, &(nnc_dense){k, n, W, B1, 0, NULL, 0},
                                 (nnc_batch){X, NULL, m}, dZ, dW, dB, dX, Wt,
                                 (nnc_descent){1, step}) == 1;
    ok_back &= nnc_dense_backward(ex, &(nnc_dense){k, n, P, B2, pw, NULL, 0},
                              (nnc_batch){X, NULL, m}, dZ, dW, dB, dXp, Wt,
                              (nnc_descent){1, step}) == 1;
    nnc_from_panels(back, P, k, n, pw);
    ok_back &= same_bits(back, W, kn) && same_bits(B1, B2, (size_t)n) &&
               same_bits(dX, dXp, (size_t)m * k);
    if (!(ok_layout && ok_fwd && ok_back))
        fprintf(stderr, "panels of %d, path %s, %d threads, m=%d k=%d n=%d: layout %d "
                "forward %d backward %d\n", pw, nnc_kernel_path_name(path),
                nnc_pool_threads(pool), m, k, n, ok_layout, ok_fwd, ok_back);
    CHECK(ok_layout && ok_fwd && ok_back);
    free(X), free(W), free(B), free(dZ), free(P), free(back), free(Z), free(A), free(Zp);
    free(Ap), free(dW), free(Wt), free(dX), free(dXp), free(B1), free(B2), free(dB);
}

/* The test has teeth: for the large shape, an unfused a*b + c chain (or one
 * that adds the bias last) gives different bits somewhere. */
static void check_fma_matters(void)
{
    int m = 64, k = 784, n = 128;
    nnc_real *X = random_matrix((size_t)m * k), *W = random_matrix((size_t)k * n);
    nnc_real *B = random_matrix((size_t)n);
    nnc_real *Z = calloc((size_t)m * n, sizeof *Z);
    nnc_dense_forward((nnc_exec){nnc_kernel_best_path(), NULL, 0},
                  &(nnc_dense){k, n, W, B, 0, NULL, 0}, (nnc_batch){X, NULL, m}, Z, NULL);
    int differ = 0;
    for (int i = 0; i < m && !differ; i++)
        for (int j = 0; j < n; j++) {
            nnc_real acc = 0;
            for (int kk = 0; kk < k; kk++)
                acc += X[(size_t)i * k + kk] * W[(size_t)kk * n + j];
            acc += B[j];
            if (memcmp(&acc, &Z[(size_t)i * n + j], sizeof acc) != 0)
                differ = 1;
        }
    CHECK(differ);
    free(X), free(W), free(B), free(Z);
}

/* A whole net trained a few steps on each path: the same bits as on the
 * portable path (forward, backward, both updates).  Widths cross the
 * vector widths; the first layer has a single input, as the S workload. */
static void train_steps(nnc_net *net, const nnc_real *X, const nnc_real *Y, int m)
{
    for (int step = 0; step < 5; step++) {
        CHECK_OK(nnc_net_forward(net, X, m));
        CHECK_OK(nnc_net_backward(net, X, Y, m));
        if (step % 2)
            nnc_net_sgd_update(net, 0.05);
        else
            CHECK(nnc_net_sgd_update_checked(net, 0.05) == -1);
    }
    CHECK_OK(nnc_net_forward(net, X, m));
}

static void check_net_paths(int n_in, int h1, int h2, int n_out, int m)
{
    nnc_layer_spec specs[3] = {{h1, NNC_ACT_SIGMOID, 0}, {h2, NNC_ACT_TANH, 0},
                               {n_out, NNC_ACT_IDENTITY, 0}};
    nnc_real *X = random_matrix((size_t)m * n_in), *Y = random_matrix((size_t)m * n_out);
    for (size_t i = 0; i < (size_t)m * n_in; i++)
        X[i] = X[i] / 1000; /* keep the sigmoids away from saturation */
    nnc_net *ref = NULL;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        nnc_net *net;
        CHECK_OK(nnc_net_create(&net, NNC_TASK_FITTING, n_in, 3, specs, m));
        CHECK(nnc_net_kernel_path(net) == nnc_kernel_best_path());
        nnc_rng r;
        nnc_rng_seed(&r, 5);
        CHECK_OK(nnc_net_init(net, NNC_INIT_XAVIER, &r));
        if (!nnc_net_set_kernel_path(net, path)) {
            CHECK(!nnc_kernel_path_available(path));
            CHECK(nnc_net_kernel_path(net) == nnc_kernel_best_path());
            nnc_net_free(net);
            continue;
        }
        CHECK(nnc_net_kernel_path(net) == path);
        train_steps(net, X, Y, m);
        if (!ref) {
            ref = net; /* the portable path, always available */
            continue;
        }
        size_t n = nnc_net_parameter_count(net);
        int ok = same_bits(nnc_net_parameters(net), nnc_net_parameters(ref), n) &&
                 same_bits(nnc_net_output(net), nnc_net_output(ref), (size_t)m * n_out);
        for (int l = 0; l < 3; l++) {
            nnc_layer_spec s = nnc_net_layer(net, l);
            size_t fan_in = l == 0 ? (size_t)n_in : (size_t)nnc_net_layer(net, l - 1).units;
            ok = ok &&
                 same_bits(nnc_net_weight_grad(net, l), nnc_net_weight_grad(ref, l),
                           fan_in * (size_t)s.units) &&
                 same_bits(nnc_net_bias_grad(net, l), nnc_net_bias_grad(ref, l),
                           (size_t)s.units);
        }
        if (!ok)
            fprintf(stderr, "net %d-%d-%d-%d, batch %d: path %s differs from portable\n",
                    n_in, h1, h2, n_out, m, nnc_kernel_path_name(path));
        CHECK(ok);
        nnc_net_free(net);
    }
    CHECK(ref != NULL);
    nnc_net *net = ref;
    CHECK(!nnc_net_set_kernel_path(net, -1) && !nnc_net_set_kernel_path(net, NNC_PATH_COUNT));
    CHECK(nnc_net_kernel_path(net) == NNC_PATH_PORTABLE);
    nnc_net_free(ref);
    free(X), free(Y);
}


/* Two nets of the same shape on kernel path `path`, with the same Xavier
 * weights drawn from seed: the net under test and its twin. */
static void twin_nets(nnc_net **a, nnc_net **b, nnc_task task, int n_in, int depth,
                      const nnc_layer_spec *specs, int max_batch, int path, uint64_t seed)
{
    CHECK_OK(nnc_net_create(a, task, n_in, depth, specs, max_batch));
    CHECK_OK(nnc_net_create(b, task, n_in, depth, specs, max_batch));
    CHECK(nnc_net_set_kernel_path(*a, path) && nnc_net_set_kernel_path(*b, path));
    nnc_rng r;
    nnc_rng_seed(&r, seed);
    CHECK_OK(nnc_net_init(*a, NNC_INIT_XAVIER, &r));
    memcpy(nnc_net_parameters(*b), nnc_net_parameters(*a),
           nnc_net_parameter_count(*a) * sizeof(nnc_real));
}

/* One nnc_net_train_step of net on rows rows[0..m) of (X, Y), and the same
 * step of twin through nnc_net_forward, nnc_net_backward and
 * nnc_net_sgd_update_checked on the rows gathered into (Xb, Yb): the
 * step's verdict if both give the same, else -2. */
static int step_both(nnc_net *net, nnc_net *twin, const nnc_real *X, const nnc_real *Y,
                     const uint32_t *rows, int m, nnc_real *Xb, nnc_real *Yb, double eta)
{
    int a = nnc_net_train_step(net, X, Y, rows, m, eta);
    nnc_gather_rows(Xb, Yb, X, Y, rows, m, nnc_net_inputs(twin), nnc_net_outputs(twin));
    CHECK_OK(nnc_net_forward(twin, Xb, m));
    CHECK_OK(nnc_net_backward(twin, Xb, Yb, m));
    int b = nnc_net_sgd_update_checked(twin, eta);
    return a == b ? a : -2;
}

/* nnc_net_train_step (the fused nnc_small_step where the shape fits) against
 * nnc_net_forward + nnc_net_backward + nnc_net_sgd_update_checked on a twin
 * net: the same gradients, weights and verdict, bit for bit, step after
 * step, on every path this machine runs; and a diverging step names the
 * same layer. */
static void check_small_step(int path, nnc_task task, int n_in, int h, int n_out, int m,
                             nnc_activation act, double param)
{
    nnc_layer_spec specs[2] = {{h, act, param}, {n_out, NNC_ACT_IDENTITY, 0}};
    /* The batch: m of the 2m rows of a data set (X, Y), in shuffled order;
     * the twin gets them gathered into (Xb, Yb). */
    const int n = 2 * m;
    nnc_real *X = random_matrix((size_t)n * n_in), *Y = random_matrix((size_t)n * n_out);
    for (size_t i = 0; i < (size_t)n * n_in; i++)
        X[i] = X[i] / 1000;
    for (size_t i = 0; i < (size_t)n * n_out; i++)
        Y[i] = task == NNC_TASK_BINARY ? (nnc_real)(Y[i] > 0) : Y[i];
    uint32_t *rows = malloc((size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    nnc_rng_shuffle(&rng, rows, (size_t)n);
    /* The twin's batch (Xb, Yb). */
    nnc_real *Xb = malloc((size_t)m * n_in * sizeof *Xb);
    nnc_real *Yb = malloc((size_t)m * n_out * sizeof *Yb);
    CHECK(rows && Xb && Yb);
    /* The fused step keeps the gradients; the general one descends
     * straight from their products. */
    const int keeps_gradients = nnc_small_step_fits(path, task, n_in, h, n_out);
    nnc_net *fused, *general;
    twin_nets(&fused, &general, task, n_in, 2, specs, m, path, 9);
    int ok = 1;
    for (int step = 0; step < 4 && ok; step++) {
        if (step == 3) /* the last one diverges: a NaN input */
            X[(size_t)rows[m - 1] * n_in] = (nnc_real)NAN;
        int v = step_both(fused, general, X, Y, rows, m, Xb, Yb, 0.3);
        ok = step < 3 ? v == -1 : v >= 0;
        if (step == 3)
            break; /* NaNs may differ in their sign and payload bits */
        ok = ok && same_bits(nnc_net_parameters(fused), nnc_net_parameters(general),
                             nnc_net_parameter_count(fused));
        for (int l = 0; l < 2 * keeps_gradients; l++) {
            size_t fan_in = l == 0 ? (size_t)n_in : (size_t)h, units = l == 0 ? h : n_out;
            ok = ok &&
                 same_bits(nnc_net_weight_grad(fused, l), nnc_net_weight_grad(general, l),
                           fan_in * units) &&
                 same_bits(nnc_net_bias_grad(fused, l), nnc_net_bias_grad(general, l), units);
        }
    }
    if (!ok)
        fprintf(stderr, "small step %d-%d-%d (%s, %s), batch %d, path %s: differs\n", n_in, h,
                n_out, nnc_task_name(task), nnc_activation_get(act)->name, m,
                nnc_kernel_path_name(path));
    CHECK(ok);
    nnc_net_free(fused);
    nnc_net_free(general);
    free(X), free(Y), free(Xb), free(Yb), free(rows);
}

static void check_small_steps(void)
{
    static const int batches[] = {1, 3, 4, 7, 8, 9, 10, 16, 17, 33};
    /* 1-h-1 with h up to 8 and m up to 16·(16/h) rows take the packed
     * fit on AVX-512 (small_fit_simd.h), the rest small_step_body. */
    static const int shapes[][3] = {{1, 1, 1}, {1, 3, 1}, {1, 16, 1}, {2, 5, 3},
                                    {3, 9, 2}, {8, 16, 8}, {4, 8, 1}, {1, 15, 2},
                                    {1, 2, 1}, {1, 5, 1}, {1, 8, 1}};
    static const nnc_activation acts[] = {NNC_ACT_SIGMOID, NNC_ACT_TANH, NNC_ACT_RELU,
                                          NNC_ACT_ELU, NNC_ACT_SOFTPLUS};
    int fused = 0;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path))
            continue;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
                const int *sh = shapes[s];
                nnc_task task = (s + b) % 3 == 0 ? NNC_TASK_BINARY : NNC_TASK_FITTING;
                nnc_activation act = acts[(s * 3 + b) % (sizeof acts / sizeof *acts)];
                fused += nnc_small_step_fits(path, task, sh[0], sh[1], sh[2]);
                check_small_step(path, task, sh[0], sh[1], sh[2], batches[b], act, 0.7);
            }
        /* Shapes it leaves to the general path train the same way too. */
        CHECK(!nnc_small_step_fits(path, NNC_TASK_MULTICLASS, 2, 3, 3));
        CHECK(!nnc_small_step_fits(path, NNC_TASK_FITTING, 1, NNC_SMALL_STEP_MAX_HIDDEN + 1, 1));
        CHECK(!nnc_small_step_fits(path, NNC_TASK_FITTING, NNC_SMALL_STEP_MAX_IO + 1, 3, 1));
        check_small_step(path, NNC_TASK_MULTICLASS, 2, 3, 3, 10, NNC_ACT_SIGMOID, 0);
        check_small_step(path, NNC_TASK_FITTING, 1, 17, 1, 10, NNC_ACT_SIGMOID, 0);
    }
    CHECK(!nnc_small_step_fits(NNC_PATH_PORTABLE, NNC_TASK_FITTING, 1, 3, 1));
    /* On a SIMD machine, the fused step did run. */
    CHECK(fused > 0 || nnc_kernel_best_path() == NNC_PATH_PORTABLE);
    printf("small steps: %d fused cases, bit for bit\n", fused);
}

/* The hook of nnc_net_train_steps in check_train_steps: counts its calls,
 * and asks to stop at call number stop_at (1-based; 0: never). */
typedef struct hook_count {
    int calls, stop_at;
} hook_count;

static int count_calls(void *p)
{
    hook_count *c = p;
    return ++c->calls == c->stop_at;
}

/* nnc_net_train_steps (count steps in one call) against count calls of
 * nnc_net_train_step on the same consecutive batches, bit for bit, on
 * every path: all the steps with the hook after each; stopped by the hook
 * after the third; stopped by a NaN in the fifth batch (which names the
 * same layer, and is not followed by the hook). */
static void check_train_steps_on(int path, nnc_task task, int depth, const int *widths,
                                 nnc_activation act, int m)
{
    enum { STEPS = 7 };
    nnc_layer_spec specs[3];
    for (int l = 0; l < depth; l++)
        specs[l] = (nnc_layer_spec){widths[l + 1], l + 1 < depth ? act : NNC_ACT_IDENTITY, 0.7};
    const int n_in = widths[0], n_out = widths[depth], n = STEPS * m + 3;
    nnc_real *X = random_matrix((size_t)n * n_in), *Y = random_matrix((size_t)n * n_out);
    for (size_t i = 0; i < (size_t)n * n_in; i++)
        X[i] = X[i] / 1000;
    for (size_t i = 0; i < (size_t)n * n_out; i++)
        Y[i] = task == NNC_TASK_BINARY       ? (nnc_real)(Y[i] > 0)
               : task == NNC_TASK_MULTICLASS ? (nnc_real)(i % n_out == i / n_out % n_out)
                                             : Y[i];
    uint32_t *rows = malloc((size_t)n * sizeof *rows);
    CHECK(rows != NULL);
    for (int i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    nnc_rng_shuffle(&rng, rows, (size_t)n);
    int ok = 1;
    for (int variant = 0; variant < 3; variant++) {
        nnc_net *one, *many;
        twin_nets(&one, &many, task, n_in, depth, specs, m, path, 11);
        /* variant 0: all steps; 1: the hook stops after the third; 2: the
         * fifth batch's last row is NaN. */
        const int expect = variant == 0 ? STEPS : variant == 1 ? 3 : 5;
        const size_t poisoned = (size_t)rows[5 * m - 1] * n_in;
        const nnc_real saved = X[poisoned];
        if (variant == 2)
            X[poisoned] = (nnc_real)NAN;
        hook_count hc = {0, variant == 1 ? 3 : 0};
        int bad_many = -2, bad_one = -1;
        const int taken = nnc_net_train_steps(many, X, Y, rows, m, STEPS, 0.3, count_calls,
                                              &hc, &bad_many);
        for (int k = 0; k < expect; k++)
            bad_one = nnc_net_train_step(one, X, Y, rows + (size_t)k * m, m, 0.3);
        ok = ok && taken == expect && bad_many == bad_one &&
             (variant == 2 ? bad_many >= 0 && hc.calls == expect - 1
                           : bad_many == -1 && hc.calls == expect);
        if (variant < 2) /* (NaNs may differ in their sign and payload bits) */
            ok = ok && same_bits(nnc_net_parameters(one), nnc_net_parameters(many),
                                 nnc_net_parameter_count(one));
        X[poisoned] = saved;
        nnc_net_free(one);
        nnc_net_free(many);
    }
    if (!ok)
        fprintf(stderr, "train steps: depth %d, %d inputs, %s, batch %d, path %s: differ\n",
                depth, n_in, nnc_activation_get(act)->name, m, nnc_kernel_path_name(path));
    CHECK(ok);
    free(X), free(Y), free(rows);
}

static void check_train_steps(void)
{
    static const int fit1[] = {1, 1, 1}, fit3[] = {1, 3, 1}, fit8[] = {1, 8, 1},
                     fit16[] = {1, 16, 1}, wide[] = {2, 5, 3}, deep[] = {5, 17, 9, 3};
    int cases = 0;
    const int before = check_failures;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path))
            continue;
        check_train_steps_on(path, NNC_TASK_FITTING, 2, fit3, NNC_ACT_SIGMOID, 10);
        check_train_steps_on(path, NNC_TASK_FITTING, 2, fit1, NNC_ACT_SIGMOID, 10);
        check_train_steps_on(path, NNC_TASK_BINARY, 2, fit8, NNC_ACT_TANH, 17);
        check_train_steps_on(path, NNC_TASK_FITTING, 2, fit16, NNC_ACT_SIGMOID, 10);
        check_train_steps_on(path, NNC_TASK_FITTING, 2, wide, NNC_ACT_RELU, 9);
        check_train_steps_on(path, NNC_TASK_MULTICLASS, 3, deep, NNC_ACT_RELU, 12);
        cases += 6;
    }
    printf("train steps: %d cases, %s\n", cases,
           check_failures == before ? "bit for bit" : "MISMATCH");
}

/* nnc_net_train_step's general path (a net of three layers: the batch
 * rows read in place, the updates fused into the weight gradients'
 * products) against nnc_net_forward + nnc_net_backward +
 * nnc_net_sgd_update_checked on the gathered rows: the same parameters and
 * verdicts, bit for bit, on a path with the given threads; a NaN input
 * makes both name the same layer. */
static void check_general_step(int path, int threads, nnc_task task, int n_in, int h1, int h2,
                               int n_out, int m)
{
    nnc_layer_spec specs[3] = {{h1, NNC_ACT_RELU, 0}, {h2, NNC_ACT_TANH, 0},
                               {n_out, NNC_ACT_IDENTITY, 0}};
    const int n = 2 * m + 3;
    nnc_real *X = random_matrix((size_t)n * n_in), *Y = calloc((size_t)n * n_out, sizeof *Y);
    for (size_t i = 0; i < (size_t)n * n_in; i++)
        X[i] = X[i] / 1000;
    for (int r = 0; r < n; r++)
        for (int j = 0; j < n_out; j++)
            Y[(size_t)r * n_out + j] = task == NNC_TASK_MULTICLASS
                                           ? (nnc_real)(j == r % n_out)
                                           : (nnc_real)nnc_rng_uniform(&rng);
    uint32_t *rows = malloc((size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    nnc_real *Xb = malloc((size_t)m * n_in * sizeof *Xb);
    nnc_real *Yb = malloc((size_t)m * n_out * sizeof *Yb);
    nnc_net *step_net, *twin;
    twin_nets(&step_net, &twin, task, n_in, 3, specs, m, path, 3);
    CHECK_OK(nnc_net_set_threads(step_net, threads));
    int ok = 1;
    for (int step = 0; step < 4 && ok; step++) {
        nnc_rng_shuffle(&rng, rows, (size_t)n);
        if (step == 3) /* the last one diverges: a NaN input */
            X[(size_t)rows[0] * n_in + n_in - 1] = (nnc_real)NAN;
        int v = step_both(step_net, twin, X, Y, rows, m, Xb, Yb, 0.2);
        ok = step < 3 ? v == -1 : v >= 0;
        if (step < 3)
            ok = ok && same_bits(nnc_net_parameters(step_net), nnc_net_parameters(twin),
                                 nnc_net_parameter_count(twin));
    }
    if (!ok)
        fprintf(stderr, "general step %d-%d-%d-%d (%s), batch %d, path %s, %d threads: "
                "differs\n", n_in, h1, h2, n_out, nnc_task_name(task), m,
                nnc_kernel_path_name(path), threads);
    CHECK(ok);
    nnc_net_free(step_net);
    nnc_net_free(twin);
    free(X), free(Y), free(Xb), free(Yb), free(rows);
}

static void check_general_steps(void)
{
    int cases = 0;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path))
            continue;
        for (int threads = 1; threads <= 3; threads += MEMCHECK ? 2 : 1) {
            if (!MEMCHECK)
                check_general_step(path, threads, NNC_TASK_MULTICLASS, 784, 128, 64, 10, 64);
            else if (threads == 3) /* products of 2.6M multiply-adds: cut */
                check_general_step(path, threads, NNC_TASK_MULTICLASS, 200, 200, 64, 10, 64);
            check_general_step(path, threads, NNC_TASK_FITTING, 5, 17, 9, 3, 23);
            check_general_step(path, threads, NNC_TASK_BINARY, 33, 40, 16, 1, 7);
            if (!MEMCHECK || threads == 3)
                check_general_step(path, threads, NNC_TASK_MULTICLASS, 300, 31, 17, 4, 300);
            cases += !MEMCHECK || threads == 3 ? 4 : 2;
        }
    }
    printf("general steps: %d cases, bit for bit\n", cases);
}

#ifdef NNC_HAVE_OPENBLAS
/* C (m, n; row stride ldc) against scale·(start + A'B) computed in double:
 * within 2·(k + 2)·ε of the sum of the terms' magnitudes, a bound that
 * holds for any order of summation (OpenBLAS picks its own), while a wrong
 * operand, transpose or stride is off by far more. */
static int near_product(const nnc_real *C, size_t ldc, const nnc_real *A, size_t a_rs,
                        size_t a_cs, const nnc_real *B, const nnc_real *start, int m, int k,
                        int n, double scale)
{
    const double eps = sizeof(nnc_real) == sizeof(float) ? FLT_EPSILON : DBL_EPSILON;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double r = start ? start[j] : 0, mag = fabs(r);
            for (int kk = 0; kk < k; kk++) {
                double t = (double)A[(size_t)i * a_rs + (size_t)kk * a_cs] * B[(size_t)kk * n + j];
                r += t;
                mag += fabs(t);
            }
            if (!(fabs(C[(size_t)i * ldc + j] - r * scale) <=
                  2.0 * (k + 2) * eps * mag * fabs(scale) + DBL_MIN))
                return 0;
        }
    return 1;
}

/* The three products of training through OpenBLAS (exb) for one shape,
 * against the exact ones; the descent fused into dW's product; and a
 * product OpenBLAS cannot take (rows in place) left to nnc's own kernels,
 * bit for bit. */
static void check_openblas_shape(int m, int k, int n)
{
    const nnc_exec ex = {nnc_kernel_best_path(), NULL, 0}, exb = {ex.path, NULL, 1};
    const nnc_activation_info *relu = nnc_activation_get(NNC_ACT_RELU);
    nnc_real *X = random_matrix((size_t)m * k), *W = random_matrix((size_t)k * n);
    nnc_real *B = random_matrix((size_t)n), *dZ = random_matrix((size_t)m * n);
    nnc_real *Z = calloc((size_t)m * n, sizeof *Z), *A = calloc((size_t)m * n, sizeof *A);
    nnc_real *RA = calloc((size_t)m * n, sizeof *RA), *dW = calloc((size_t)k * n, sizeof *dW);
    nnc_real *U = malloc((size_t)k * n * sizeof *U), *dX = calloc((size_t)m * k, sizeof *dX);
    nnc_real *Wt = calloc((size_t)k * n, sizeof *Wt);

    /* Forward: Z = X·W + B, A = relu(Z) (nnc's relu on OpenBLAS's Z). */
    nnc_dense_forward(exb, &(nnc_dense){k, n, W, B, 0, relu, 0}, (nnc_batch){X, NULL, m}, Z, A);
    relu->forward(Z, RA, (size_t)m * n, 0);
    CHECK(near_product(Z, (size_t)n, X, (size_t)k, 1, W, B, m, k, n, 1));
    CHECK(same_bits(A, RA, (size_t)m * n));
    /* dW = Xᵀ·dZ/m: A' is X transposed in place (leading dimension k). */
    const nnc_real inv_m = (nnc_real)1 / (nnc_real)m;
    nnc_gemm_args g = {.a = {.p = X, .rs = 1, .cs = (size_t)k}, .b = {.p = dZ}, .C = dW, .m = k,
                       .k = m, .n = n, .use_scale = 1, .scale = inv_m, .ex = exb};
    CHECK(nnc_openblas_fits(&g));
    CHECK(nnc_gemm(&g) == 1);
    CHECK(near_product(dW, (size_t)n, X, 1, (size_t)k, dZ, NULL, k, m, n, inv_m));
    /* The same product descending into U = W: U ≈ W − 0.5·dW. */
    memcpy(U, W, (size_t)k * n * sizeof *U);
    g.u.p = U;
    g.u.step = (nnc_real)0.5;
    CHECK(nnc_gemm(&g) == 1);
    const double eps = sizeof(nnc_real) == sizeof(float) ? FLT_EPSILON : DBL_EPSILON;
    int near = 1;
    for (size_t i = 0; i < (size_t)k * n; i++) {
        double want = (double)W[i] - 0.5 * (double)dW[i];
        near &= fabs(U[i] - want) <= 4 * eps * (fabs(W[i]) + fabs(dW[i])) + (m + 2) * eps * 1e3;
    }
    CHECK(near);
    /* dX = dZ·Wᵀ. */
    nnc_transpose(ex.path, Wt, W, k, n);
    nnc_matmul(exb, dX, dZ, Wt, m, n, k);
    CHECK(near_product(dX, (size_t)k, dZ, (size_t)n, 1, Wt, NULL, m, n, k, 1));
    /* Leading dimensions above the width (A' a block of a wider matrix:
     * X's first k − 1 columns), a bias and a scale together. */
    if (k > 1) {
        nnc_gemm_args gt = {.a = {.p = X, .rs = 1, .cs = (size_t)k}, .b = {.p = dZ}, .C = dW,
                            .m = k - 1, .k = m, .n = n, .ex = exb};
        CHECK(nnc_gemm(&gt) == 1);
        CHECK(near_product(dW, (size_t)n, X, 1, (size_t)k, dZ, NULL, k - 1, m, n, 1));
        nnc_gemm_args gn = {.a = {.p = X, .rs = (size_t)k, .cs = 1}, .b = {.p = W}, .C = Z,
                            .start = B, .m = m, .k = k - 1, .n = n, .use_scale = 1,
                            .scale = (nnc_real)0.25, .ex = exb};
        CHECK(nnc_gemm(&gn) == 1);
        CHECK(near_product(Z, (size_t)n, X, (size_t)k, 1, W, B, m, k - 1, n, 0.25));
    }
    /* A NaN reaching U is reported, as on every path. */
    dZ[0] = NAN;
    CHECK(nnc_gemm(&g) == 0);

    /* Rows read in place through a row table: not for OpenBLAS; nnc's
     * kernels run it, the same bits as without exb. */
    uint32_t *rows = malloc((size_t)m * sizeof *rows);
    for (int i = 0; i < m; i++)
        rows[i] = (uint32_t)(m - 1 - i);
    nnc_real *Z2 = calloc((size_t)m * n, sizeof *Z2), *A2 = calloc((size_t)m * n, sizeof *A2);
    nnc_gemm_args gr = {.a = {.p = X, .rs = (size_t)k, .cs = 1, .rows_i = rows}, .b = {.p = W},
                        .C = Z, .start = B, .m = m, .k = k, .n = n, .ex = exb};
    CHECK(!nnc_openblas_fits(&gr));
    nnc_dense_forward(exb, &(nnc_dense){k, n, W, B, 0, relu, 0}, (nnc_batch){X, rows, m}, Z, A);
    nnc_dense_forward(ex, &(nnc_dense){k, n, W, B, 0, relu, 0}, (nnc_batch){X, rows, m}, Z2, A2);
    CHECK(same_bits(Z, Z2, (size_t)m * n) && same_bits(A, A2, (size_t)m * n));
    /* Neither panels nor a strided A' (both strides above 1). */
    gr.a.rows_i = NULL;
    gr.b.panel = 32;
    CHECK(!nnc_openblas_fits(&gr));
    gr.b.panel = 0;
    gr.a.cs = 2;
    CHECK(nnc_openblas_fits(&gr) == (k == 1)); /* k 1: A' is a column, read with stride 2 */
    CHECK(nnc_gemm_panel(exb, 64, 784, 128) == 0);
    free(rows);
    free(Z2);
    free(A2);
    free(X);
    free(W);
    free(B);
    free(dZ);
    free(Z);
    free(A);
    free(RA);
    free(dW);
    free(U);
    free(dX);
    free(Wt);
}

static void check_openblas(void)
{
    int before = check_failures;
    static const int shapes[][3] = {{64, 784, 128}, {64, 128, 64}, {64, 64, 10}, {1, 1, 1},
                                    {7, 3, 5},      {10, 1, 3},    {1, 9, 4},   {33, 17, 65}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        check_openblas_shape(shapes[s][0], shapes[s][1], shapes[s][2]);
    printf("openblas: %s\n", check_failures == before ? "near the exact products" : "MISMATCH");
}
#endif

int main(void)
{
    nnc_rng_seed(&rng, 11);
    static const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17,
                                23, 24, 25, 31, 32, 33, 47, 48, 49, 64, 65};
    const int n_sizes = (int)(sizeof sizes / sizeof *sizes);
    int tested = 0;
    for (int path = 0; path < NNC_PATH_COUNT; path++) {
        if (!nnc_kernel_path_available(path)) {
            printf("path %s: not available here, skipped\n", nnc_kernel_path_name(path));
            continue;
        }
        tested++;
        int before = check_failures;
        /* Every m and n over the list (they cover the tile edges), with a
         * few depths; then the shapes of a 784-128-64-10 network. */
        const int b_step = MEMCHECK ? 6 : 1; /* memcheck: every 6th n, another per m */
        for (int a = 0; a < n_sizes; a++)
            for (int b = MEMCHECK ? a % b_step : 0; b < n_sizes; b += b_step)
                check_shape(path, sizes[a],
                            sizes[(a + b) % 5 == 0 ? b : (a * 7 + b) % n_sizes], sizes[b]);
        for (int a = 0; a < n_sizes; a++)
            for (int b = MEMCHECK ? (a + 3) % b_step : 0; b < n_sizes; b += b_step)
                check_shape(path, sizes[a], 1 + (a * 31 + b * 17) % 100, sizes[b]);
        if (!MEMCHECK)
            check_shape(path, 64, 784, 128);
        check_shape(path, 64, 128, 64);
        check_shape(path, 64, 64, 10);
        check_shape(path, 10, 1, 3);
        check_shape(path, 10, 3, 1);
        check_shape(path, 13, 200, 129);
        check_shape(path, 300, 20, 33); /* dW's k (the batch) in two blocks */
        /* Panels without a pool: one after the other, the same bits. */
        check_panels_on(path, NULL, 23, 50, 70, 32);
        check_panels_on(path, NULL, 5, 9, 3, 2);
        CHECK(nnc_gemm_panel((nnc_exec){path, NULL, 0}, 64, 784, 128) == 0);
        /* Large enough to be cut among threads: rows split at every count
         * (under memcheck, 3 threads on the best path). */
        const int splits = !MEMCHECK || path == nnc_kernel_best_path();
        for (int threads = MEMCHECK ? 3 : 2; splits && threads <= (MEMCHECK ? 3 : 4); threads++) {
            nnc_pool *pool;
            CHECK_OK(nnc_pool_create(&pool, threads));
            if (!MEMCHECK)
                check_shape_on(path, pool, 64, 784, 128);
            check_shape_on(path, pool, 37, 300, 200);
            check_shape_on(path, pool, 5, 1000, 500);
            /* Weights in panels: the width a net would take, and uneven
             * ones; one panel a task, or more panels than threads. */
            const nnc_exec ex = {path, pool, 0};
            const int pw = nnc_gemm_panel(ex, 64, 784, 128);
            CHECK(pw > 0 && pw % (int)(128 / sizeof(nnc_real)) == 0 &&
                  (128 + pw - 1) / pw >= 2 && (128 + pw - 1) / pw <= threads);
            if (!MEMCHECK)
                check_panels_on(path, pool, 64, 784, 128, pw);
            check_panels_on(path, pool, 37, 300, 100, 48);
            check_panels_on(path, pool, 64, 128, 64, 16);
            CHECK(nnc_gemm_panel(ex, 10, 3, 64) == 0); /* too small to split */
            nnc_pool_free(pool);
        }
        printf("path %s: %s\n", nnc_kernel_path_name(path),
               check_failures == before ? "bit for bit" : "MISMATCH");
    }
    CHECK(tested >= 1);
    CHECK(nnc_kernel_path_available(NNC_PATH_PORTABLE));
    CHECK(nnc_kernel_path_available(nnc_kernel_best_path()));
    CHECK(!nnc_kernel_path_available(-1) && !nnc_kernel_path_available(NNC_PATH_COUNT));
    if (!MEMCHECK) /* arithmetic only, and 13M multiply-adds */
        check_fma_matters();
    check_net_paths(1, 3, 2, 1, 10);
    check_net_paths(5, 17, 9, 3, 23);
    check_net_paths(33, 40, 16, 2, 7);
    check_small_steps();
    check_general_steps();
    check_train_steps();
#ifdef NNC_HAVE_OPENBLAS
    check_openblas();
#else
    printf("openblas: not in this build, skipped\n");
#endif
    return check_report("test_kernels");
}
