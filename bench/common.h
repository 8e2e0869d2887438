/* Helpers shared by the C programs of the benchmark (bench/README.md): the
 * clock, peak memory, the RESULT line, and the workloads' shared files (the
 * S data set, the initial weights).  Header-only, no dependency on nnc, so
 * the peers (straight_s.c, fann_s.c, openblas_m.c) use it too. */
#ifndef NNC_BENCH_COMMON_H
#define NNC_BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak resident memory of this process in MB (ru_maxrss is in KiB on Linux). */
static inline double bench_peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* FLOP of one training sample through dense layers of widths w[0..n]: the
 * three matrix products, a multiply-add counted as 2: forward 2·P, weight
 * gradient 2·P, input gradient 2·(P − P_first) (none for the first layer). */
static inline double bench_train_flop_per_sample(const int *w, int n_layers)
{
    double p = 0, p1 = (double)w[0] * w[1];
    for (int l = 0; l < n_layers; l++)
        p += (double)w[l] * w[l + 1];
    return 2 * p + 2 * p + 2 * (p - p1);
}

static inline void bench_result(const char *name, const char *workload, double seconds,
                                int epochs, double loss, double accuracy, double gflop)
{
    printf("RESULT name=%s workload=%s seconds=%.6f epochs=%d loss=%.6g accuracy=%.6g "
           "gflops=%.4g peak_rss_mb=%.1f\n",
           name, workload, seconds, epochs, loss, accuracy, gflop / seconds,
           bench_peak_rss_mb());
}

/* Workload S's validation metrics, as nnc computes them: MSE/2 and
 * R² = 1 − MSE/Var(y), from one prediction per row added in turn. */
typedef struct bench_fit {
    double se, sy, syy;
    int n;
} bench_fit;

static inline void bench_fit_add(bench_fit *f, double prediction, double y)
{
    double d = prediction - y;
    f->se += d * d;
    f->sy += y;
    f->syy += y * y;
    f->n++;
}

static inline void bench_fit_end(const bench_fit *f, double *loss, double *r2)
{
    double n = f->n, var = f->syy / n - (f->sy / n) * (f->sy / n);
    *loss = f->se / n / 2;
    *r2 = 1 - (f->se / n) / var;
}

static inline void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

/* The S data set: a CSV "x,y" with a header line; rows into x[], y[]. */
static inline int bench_read_s_csv(const char *path, double **x, double **y)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bench_die("cannot open the S data file");
    char line[256];
    int cap = 1024, n = 0;
    *x = malloc(sizeof **x * (size_t)cap);
    *y = malloc(sizeof **y * (size_t)cap);
    if (!fgets(line, sizeof line, f)) /* header */
        bench_die("empty S data file");
    while (fgets(line, sizeof line, f)) {
        double a, b;
        if (sscanf(line, "%lf,%lf", &a, &b) != 2)
            continue;
        if (n == cap) {
            cap *= 2;
            *x = realloc(*x, sizeof **x * (size_t)cap);
            *y = realloc(*y, sizeof **y * (size_t)cap);
        }
        (*x)[n] = a;
        (*y)[n] = b;
        n++;
    }
    fclose(f);
    return n;
}

/* Initial weights: S: a text file of 2·H numbers (W1 (1, H) then W2 (H, 1));
 * M: raw little-endian float32, W1 (784, 128), W2 (128, 64), W3 (64, 10),
 * each row-major (n_in, n_out).  Biases start at 0. */
static inline void bench_read_text_numbers(const char *path, double *out, int n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bench_die("cannot open the initial weights");
    for (int i = 0; i < n; i++)
        if (fscanf(f, "%lf", &out[i]) != 1)
            bench_die("too few numbers in the initial weights");
    fclose(f);
}

static inline void bench_read_f32(const char *path, float *out, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f || fread(out, sizeof *out, n, f) != n)
        bench_die("cannot read the M initial weights");
    fclose(f);
}

/* PCG32 for the peers' shuffles (nnc uses its own nnc_rng). */
typedef struct bench_rng {
    uint64_t state, inc;
} bench_rng;

static inline uint32_t bench_rng_u32(bench_rng *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

static inline void bench_rng_seed(bench_rng *r, uint64_t seed)
{
    r->state = 0;
    r->inc = (seed << 1u) | 1u;
    bench_rng_u32(r);
    r->state += seed;
    bench_rng_u32(r);
}

static inline void bench_shuffle(bench_rng *r, int *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(bench_rng_u32(r) % (uint32_t)(i + 1));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Argument parsing: --name value pairs. */
static inline const char *bench_arg(int argc, char **argv, const char *name,
                                    const char *fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

/* The options every program of the benchmark takes, with the workload's
 * defaults: S (hidden 3, 5000 epochs, eta 0.5, batch 10), M (1 epoch,
 * eta 0.1, batch 64, Debian's Fashion-MNIST folder) or F (20 epochs,
 * eta 0.001, batch 128, the same folder, Adam). */
typedef struct bench_options {
    int hidden, epochs, batch;
    int threads; /* --threads N: nnc's own threads (nnc_m only; default 1) */
    const char *kernels; /* --kernels NAME: nnc_net_set_kernels (nnc_m only; auto) */
    const char *optimizer; /* --optimizer SPEC: nnc_net_set_optimizer (nnc_m, nnc_f) */
    double eta;
    uint64_t seed;
    const char *data, *init; /* --data FILE|DIR, --init FILE (may be NULL) */
} bench_options;

static inline bench_options bench_parse(int argc, char **argv, char workload)
{
    int f = workload == 'F', m = workload == 'M' || f;
    bench_options o;
    o.hidden = atoi(bench_arg(argc, argv, "--hidden", "3"));
    o.epochs = atoi(bench_arg(argc, argv, "--epochs", f ? "20" : m ? "1" : "5000"));
    o.batch = atoi(bench_arg(argc, argv, "--batch", f ? "128" : m ? "64" : "10"));
    o.optimizer = bench_arg(argc, argv, "--optimizer", f ? "adam" : "sgd");
    o.threads = atoi(bench_arg(argc, argv, "--threads", "1"));
    o.kernels = bench_arg(argc, argv, "--kernels", "auto");
    o.eta = atof(bench_arg(argc, argv, "--eta", f ? "0.001" : m ? "0.1" : "0.5"));
    o.seed = strtoull(bench_arg(argc, argv, "--seed", "1"), NULL, 10);
    o.data = bench_arg(argc, argv, "--data", m ? "/usr/share/datasets/fashion-mnist" : NULL);
    o.init = bench_arg(argc, argv, "--init", NULL);
    if (o.hidden < 1 || o.hidden > 1000 || o.epochs < 1 || o.batch < 1 || o.threads < 1)
        bench_die("bad --hidden, --epochs, --batch or --threads");
    return o;
}

#endif
