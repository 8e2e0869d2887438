/* Workload S written out by hand (bench/README.md): the obvious scalar C of
 * a 1-H-1 network trained by mini-batch SGD, in float like nnc's default
 * build.  Same schedule as nnc_train: validation = the first n/10 rows,
 * training on the rest reshuffled every epoch, batches of 10 (the last one
 * shorter when they do not divide), dW = Xᵀ·dZ/m, a check every 50 epochs
 * (MSE/2 and R² on the validation set).
 *
 *   straight_s --data s_data.csv --init s_init_h3.txt [--hidden 3] [--epochs 5000]
 *
 * Times the training loop (checks included); prints one RESULT line. */
#include "common.h"

#define MAXH 64

static int H;
static float w1[MAXH], b1[MAXH], w2[MAXH], b2;

static float sigmoidf(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

static float predict(float x)
{
    float out = b2;
    for (int j = 0; j < H; j++)
        out += sigmoidf(x * w1[j] + b1[j]) * w2[j];
    return out;
}

static void validate(const float *x, const float *y, int n, double *loss, double *r2)
{
    bench_fit f = {0};
    for (int i = 0; i < n; i++)
        bench_fit_add(&f, predict(x[i]), y[i]);
    bench_fit_end(&f, loss, r2);
}

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'S');
    H = o.hidden;
    int epochs = o.epochs, batch = o.batch;
    const char *data_path = o.data, *init_path = o.init;
    uint64_t seed = o.seed;
    float eta = (float)o.eta;
    if (!data_path || !init_path || H > MAXH)
        bench_die("usage: straight_s --data FILE --init FILE [--hidden H] [--epochs E]");

    double *xd, *yd, w[2 * MAXH];
    int n = bench_read_s_csv(data_path, &xd, &yd);
    bench_read_text_numbers(init_path, w, 2 * H);
    for (int j = 0; j < H; j++) {
        w1[j] = (float)w[j];
        w2[j] = (float)w[H + j];
        b1[j] = 0;
    }
    b2 = 0;
    float *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = (float)xd[i];
        y[i] = (float)yd[i];
    }
    const int nv = n / 10, nt = n - nv;
    const float *xt = x + nv, *yt = y + nv;
    int *idx = malloc(sizeof *idx * (size_t)nt);
    for (int i = 0; i < nt; i++)
        idx[i] = i;
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    double loss = NAN, r2 = NAN;

    double t0 = bench_now();
    for (int e = 0; e < epochs; e++) {
        bench_shuffle(&rng, idx, nt);
        for (int start = 0; start < nt; start += batch) {
            int m = nt - start < batch ? nt - start : batch;
            float dw1[MAXH] = {0}, db1[MAXH] = {0}, dw2[MAXH] = {0}, db2 = 0;
            for (int r = 0; r < m; r++) {
                float xi = xt[idx[start + r]], a[MAXH], out = b2;
                for (int j = 0; j < H; j++) {
                    a[j] = sigmoidf(xi * w1[j] + b1[j]);
                    out += a[j] * w2[j];
                }
                float dz2 = out - yt[idx[start + r]];
                db2 += dz2;
                for (int j = 0; j < H; j++) {
                    dw2[j] += a[j] * dz2;
                    float dz1 = dz2 * w2[j] * a[j] * (1 - a[j]);
                    dw1[j] += xi * dz1;
                    db1[j] += dz1;
                }
            }
            float s = eta / (float)m;
            for (int j = 0; j < H; j++) {
                w1[j] -= s * dw1[j];
                b1[j] -= s * db1[j];
                w2[j] -= s * dw2[j];
            }
            b2 -= s * db2;
        }
        if ((e + 1) % 50 == 0)
            validate(x, y, nv, &loss, &r2);
    }
    double seconds = bench_now() - t0;

    if (epochs % 50 != 0)
        validate(x, y, nv, &loss, &r2);
    const int widths[] = {1, H, 1};
    double gflop = bench_train_flop_per_sample(widths, 2) * nt * epochs * 1e-9;
    char workload[16];
    snprintf(workload, sizeof workload, "S%d", H);
    bench_result("straight_c", workload, seconds, epochs, loss, r2, gflop);
    return isfinite(loss) ? 0 : 1;
}
