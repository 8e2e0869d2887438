/* Workload M in C on OpenBLAS (libopenblas-dev, one thread), the way one
 * writes it by hand around cblas_sgemm (bench/README.md): float32, the same
 * initial weights, batches of 64 rows gathered from a shuffled index every
 * epoch (the last batch 32 rows), ReLU, softmax with the max shift,
 * dZ = (A − Y)/m, and each weight update fused into the gradient product
 * (W ← W − eta·Aᵀ·dZ: sgemm with beta = 1) after dZ·Wᵀ has used the old W.
 *
 *   openblas_m --init m_init.f32 [--epochs 1] [--data /usr/share/datasets/fashion-mnist]
 *
 * Times the training loop only; the test evaluation follows, untimed. */
#include <cblas.h>
#include <zlib.h>

#include "common.h"

void openblas_set_num_threads(int num_threads);

/* An IDX file of unsigned bytes (gzip): its items and dimensions. */
static unsigned char *read_idx(const char *path, int *n, int *item)
{
    gzFile f = gzopen(path, "rb");
    unsigned char h[16];
    if (!f || gzread(f, h, 4) != 4 || h[2] != 8)
        bench_die("cannot read an IDX file");
    int ndim = h[3];
    size_t total = 1;
    *item = 1;
    for (int d = 0; d < ndim; d++) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4)
            bench_die("short IDX header");
        size_t v = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        if (d == 0)
            *n = (int)v;
        else
            *item *= (int)v;
        total *= v;
    }
    unsigned char *data = malloc(total);
    if (!data || gzread(f, data, (unsigned)total) != (int)total)
        bench_die("short IDX file");
    gzclose(f);
    return data;
}

static void load(const char *dir, const char *part, float **X, int **labels, int *n)
{
    char p[1024];
    int item, nl, one;
    snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte.gz", dir, part);
    unsigned char *img = read_idx(p, n, &item);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte.gz", dir, part);
    unsigned char *lab = read_idx(p, &nl, &one);
    if (item != 784 || nl != *n)
        bench_die("unexpected Fashion-MNIST shapes");
    *X = malloc(sizeof **X * (size_t)*n * 784);
    *labels = malloc(sizeof **labels * (size_t)*n);
    for (size_t i = 0; i < (size_t)*n * 784; i++)
        (*X)[i] = img[i] / 255.0f;
    for (int i = 0; i < *n; i++)
        (*labels)[i] = lab[i];
    free(img);
    free(lab);
}

enum { N0 = 784, N1 = 128, N2 = 64, N3 = 10 };
static float *W1, *W2, *W3, B1[N1], B2[N2], B3[N3];

/* Z = X·W + B (m, n) = (m, k)·(k, n), rows of B broadcast. */
static void dense(const float *X, const float *W, const float *B, float *Z, int m, int k, int n)
{
    for (int r = 0; r < m; r++)
        memcpy(Z + (size_t)r * n, B, sizeof *Z * (size_t)n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, X, k, W, n, 1.0f,
                Z, n);
}

static void relu(float *Z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        Z[i] = Z[i] > 0 ? Z[i] : 0;
}

static void softmax(float *Z, int m)
{
    for (int r = 0; r < m; r++) {
        float *z = Z + (size_t)r * N3, mx = z[0], s = 0;
        for (int j = 1; j < N3; j++)
            mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < N3; j++)
            s += z[j] = expf(z[j] - mx);
        for (int j = 0; j < N3; j++)
            z[j] /= s;
    }
}

/* B −= eta·Σrows dZ. */
static void bias_update(float *B, const float *dZ, int m, int n, float eta)
{
    for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++)
            B[j] -= eta * dZ[(size_t)r * n + j];
}

int main(int argc, char **argv)
{
    bench_options o = bench_parse(argc, argv, 'M');
    int epochs = o.epochs, batch = o.batch;
    const char *dir = o.data, *init_path = o.init;
    uint64_t seed = o.seed;
    float eta = (float)o.eta;
    if (!init_path)
        bench_die("usage: openblas_m --init FILE [--epochs E] [--data DIR]");
    openblas_set_num_threads(1);

    float *X, *Xt;
    int *L, *Lt, n, nt;
    load(dir, "train", &X, &L, &n);
    load(dir, "t10k", &Xt, &Lt, &nt);
    const size_t total = N0 * N1 + N1 * N2 + N2 * N3;
    float *w = malloc(sizeof *w * total);
    bench_read_f32(init_path, w, total);
    W1 = w;
    W2 = W1 + N0 * N1;
    W3 = W2 + N1 * N2;

    const int mb = batch > nt ? batch : nt; /* buffers also serve the test pass */
    float *Xb = malloc(sizeof *Xb * (size_t)batch * N0);
    float *A1 = malloc(sizeof *A1 * (size_t)mb * N1), *A2 = malloc(sizeof *A2 * (size_t)mb * N2);
    float *A3 = malloc(sizeof *A3 * (size_t)mb * N3);
    float *D1 = malloc(sizeof *D1 * (size_t)batch * N1), *D2 = malloc(sizeof *D2 * (size_t)batch * N2);
    int *idx = malloc(sizeof *idx * (size_t)n), *yb = malloc(sizeof *yb * (size_t)batch);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    bench_rng rng;
    bench_rng_seed(&rng, seed);

    double t0 = bench_now();
    for (int e = 0; e < epochs; e++) {
        bench_shuffle(&rng, idx, n);
        for (int start = 0; start < n; start += batch) {
            int m = n - start < batch ? n - start : batch;
            for (int r = 0; r < m; r++) {
                memcpy(Xb + (size_t)r * N0, X + (size_t)idx[start + r] * N0, sizeof *Xb * N0);
                yb[r] = L[idx[start + r]];
            }
            dense(Xb, W1, B1, A1, m, N0, N1);
            relu(A1, (size_t)m * N1);
            dense(A1, W2, B2, A2, m, N1, N2);
            relu(A2, (size_t)m * N2);
            dense(A2, W3, B3, A3, m, N2, N3);
            softmax(A3, m);
            /* dZ3 = (A3 − Y)/m, in place. */
            const float inv = 1.0f / (float)m;
            for (int r = 0; r < m; r++) {
                A3[(size_t)r * N3 + yb[r]] -= 1.0f;
                for (int j = 0; j < N3; j++)
                    A3[(size_t)r * N3 + j] *= inv;
            }
            /* dA2 = dZ3·W3ᵀ (old W3), then W3 −= eta·A2ᵀ·dZ3. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, N2, N3, 1.0f, A3, N3, W3,
                        N3, 0.0f, D2, N2);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N2, N3, m, -eta, A2, N2, A3,
                        N3, 1.0f, W3, N3);
            bias_update(B3, A3, m, N3, eta);
            for (size_t i = 0; i < (size_t)m * N2; i++)
                D2[i] = A2[i] > 0 ? D2[i] : 0;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, N1, N2, 1.0f, D2, N2, W2,
                        N2, 0.0f, D1, N1);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N1, N2, m, -eta, A1, N1, D2,
                        N2, 1.0f, W2, N2);
            bias_update(B2, D2, m, N2, eta);
            for (size_t i = 0; i < (size_t)m * N1; i++)
                D1[i] = A1[i] > 0 ? D1[i] : 0;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N0, N1, m, -eta, Xb, N0, D1,
                        N1, 1.0f, W1, N1);
            bias_update(B1, D1, m, N1, eta);
        }
    }
    double seconds = bench_now() - t0;

    dense(Xt, W1, B1, A1, nt, N0, N1);
    relu(A1, (size_t)nt * N1);
    dense(A1, W2, B2, A2, nt, N1, N2);
    relu(A2, (size_t)nt * N2);
    dense(A2, W3, B3, A3, nt, N2, N3);
    softmax(A3, nt);
    double loss = 0, correct = 0;
    for (int r = 0; r < nt; r++) {
        const float *a = A3 + (size_t)r * N3;
        int best = 0;
        for (int j = 1; j < N3; j++)
            best = a[j] > a[best] ? j : best;
        correct += best == Lt[r];
        loss -= log((double)a[Lt[r]]);
    }
    const int widths[] = {N0, N1, N2, N3};
    double gflop = bench_train_flop_per_sample(widths, 3) * n * epochs * 1e-9;
    bench_result("openblas", "M", seconds, epochs, loss / nt, correct / nt, gflop);
    return isfinite(loss) ? 0 : 1;
}
