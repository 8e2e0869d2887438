/* nnc bench: how fast this machine trains a given network, on synthetic data. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "bench"
#define MAX_WIDTHS (NNC_MAX_LAYERS + 1) /* inputs, then one width per layer */

static const char bench_usage[] =
    "usage: nnc bench [options]\n"
    "\n"
    "Times nnc_train, the loop `nnc train` runs, on synthetic data (inputs uniform\n"
    "in [0, 1), random targets of the task) and prints the work of one epoch in\n"
    "FLOP, then for each timed epoch its seconds, samples per second and GFLOP/s,\n"
    "and their median.  A quick check of a network's speed on this machine; the\n"
    "side-by-side comparison with other tools is `make bench` (bench/README.md).\n"
    "\n"
    "  --layers 784,128,64,10  all widths, inputs first and outputs last\n"
    "                          (default: 784,128,64,10, the Fashion-MNIST MLP)\n"
    "  --activation NAME[:P]   hidden activation, or one per hidden layer separated\n"
    "                          by commas (default: relu; see `nnc activations`)\n"
    "  --task NAME             fitting | binary | multiclass (default: multiclass\n"
    "                          when there are several outputs, else fitting)\n"
    "  --batch N               mini-batch size (default: 64)\n"
    "  --rows N                training rows per epoch (default: 60000)\n"
    "  --epochs N              timed epochs (default: 5), after one untimed warm-up\n"
    "  --eta X                 learning rate (default: 0.01)\n"
    "  --seed N                seed of the data and the initial weights (default: 1)\n"
    "  --threads N             threads that share each large product, 1 to 256\n"
    "                          (default: the number of online CPUs, at most %d)\n"
    "  --kernels NAME          matrix kernels: auto (nnc's best for this CPU), avx512,\n"
    "                          avx2, portable, or openblas in a build with OpenBLAS\n"
    "                          (its sums agree with nnc's to rounding, not bit for\n"
    "                          bit; its own threads run them) (default: auto)\n"
    "  -h, --help              this text\n"
    "Each option may be given once.\n"
    "\n"
    "FLOP count: a multiply-add is 2 FLOP; per sample 2P for the forward pass, 2P\n"
    "for the weight gradients and 2(P - P1) for the input gradients (none for the\n"
    "first layer), with P the weights of all layers and P1 those of the first.\n"
    "Activations, losses and updates are not counted.\n";

typedef struct bench_args {
    int widths[MAX_WIDTHS], n_widths;
    char activation[256];
    nnc_task task;
    int task_given;
    int batch, rows, epochs, threads;
    const char *kernels; /* --kernels NAME (nnc_net_set_kernels) */
    double eta;
    uint64_t seed;
} bench_args;

/* 1 on success; 0 after printing the error; -1 for --help. */
static int parse_args(int argc, char **argv, bench_args *a)
{
    static const int fashion_mlp[] = {784, 128, 64, 10};
    memcpy(a->widths, fashion_mlp, sizeof fashion_mlp);
    a->n_widths = 4;
    snprintf(a->activation, sizeof a->activation, "relu");
    a->batch = 64;
    a->rows = 60000;
    a->epochs = 5;
    a->eta = 0.01;
    a->seed = 1;
    a->threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX);
    a->kernels = "auto";
    cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int m = 0;
        if (cli_is_flag(arg, "--help|-h"))
            return -1;
#define OPTION(flag) ((v = cli_option(CMD, argc, argv, &i, flag, &m, &seen)) != NULL || m)
        if (OPTION("--layers")) {
            if (v && !cli_parse_widths(CMD, "--layers", v, a->widths, MAX_WIDTHS,
                                       &a->n_widths))
                return 0;
            if (v && a->n_widths < 2) {
                cli_error(CMD, "--layers needs at least two widths (inputs, outputs)");
                return 0;
            }
        } else if (OPTION("--activation")) {
            if (v && strlen(v) >= sizeof a->activation) {
                cli_error(CMD, "--activation: the list is too long (at most %zu characters)",
                          sizeof a->activation - 1);
                return 0;
            }
            if (v)
                snprintf(a->activation, sizeof a->activation, "%s", v);
        } else if (OPTION("--task")) {
            if (v && nnc_task_from_name(v, &a->task) != NNC_OK) {
                cli_status_error(CMD, NNC_ERR_ARGUMENT);
                return 0;
            }
            a->task_given = 1;
        } else if (OPTION("--batch")) {
            if (v && !cli_parse_int(CMD, "--batch", v, 1, 1000000, &a->batch))
                return 0;
        } else if (OPTION("--rows")) {
            if (v && !cli_parse_int(CMD, "--rows", v, 1, 100000000, &a->rows))
                return 0;
        } else if (OPTION("--epochs")) {
            if (v && !cli_parse_int(CMD, "--epochs", v, 1, 1000000, &a->epochs))
                return 0;
        } else if (OPTION("--eta")) {
            if (v && !cli_parse_positive(CMD, "--eta", v, 0, &a->eta))
                return 0;
        } else if (OPTION("--threads")) {
            if (v && !cli_parse_int(CMD, "--threads", v, 1, 256, &a->threads))
                return 0;
        } else if (OPTION("--kernels")) {
            if (v && !cli_parse_kernels(CMD, v))
                return 0;
            if (v)
                a->kernels = v;
        } else if (OPTION("--seed")) {
            if (v && !cli_parse_seed(CMD, v, &a->seed))
                return 0;
        } else if (arg[0] == '-') {
            cli_error(CMD, "unknown option '%s' (see nnc bench --help)", arg);
            return 0;
        } else {
            cli_error(CMD, "unexpected argument '%s'", arg);
            return 0;
        }
#undef OPTION
        if (m && !v)
            return 0; /* the option's value was missing; cli_option said so */
    }
    if (!a->task_given)
        a->task = a->widths[a->n_widths - 1] > 1 ? NNC_TASK_MULTICLASS : NNC_TASK_FITTING;
    if (a->task == NNC_TASK_MULTICLASS && a->widths[a->n_widths - 1] < 2) {
        cli_error(CMD, "--task multiclass needs at least 2 outputs (--layers ends in %d)",
                  a->widths[a->n_widths - 1]);
        return 0;
    }
    if (a->batch > a->rows) {
        cli_error(CMD, "--batch %d is larger than --rows %d", a->batch, a->rows);
        return 0;
    }
    return 1;
}

/* Training rows plus the tenth nnc_train keeps for validation: the
 * smallest n with n - int(n/10) = rows (every count is reached). */
static int rows_with_validation(int rows)
{
    int n = rows;
    while (n - n / 10 < rows)
        n++;
    return n;
}

/* Synthetic data: X uniform in [0, 1); Y uniform in [0, 1) for fitting, 0 or
 * 1 for binary, one-hot of a uniform class for multiclass. */
static nnc_status make_data(nnc_dataset **out, nnc_task task, int rows, int n_in, int n_out,
                            nnc_rng *rng)
{
    nnc_real *X = malloc((size_t)rows * n_in * sizeof *X);
    nnc_real *Y = calloc((size_t)rows * n_out, sizeof *Y);
    nnc_status s = NNC_ERR_MEMORY;
    if (X && Y) {
        for (size_t i = 0; i < (size_t)rows * n_in; i++)
            X[i] = (nnc_real)nnc_rng_uniform(rng);
        for (int r = 0; r < rows; r++) {
            nnc_real *y = Y + (size_t)r * n_out;
            if (task == NNC_TASK_MULTICLASS)
                y[nnc_rng_below(rng, (uint32_t)n_out)] = 1;
            else
                for (int j = 0; j < n_out; j++)
                    y[j] = task == NNC_TASK_BINARY ? (nnc_real)nnc_rng_below(rng, 2)
                                                   : (nnc_real)nnc_rng_uniform(rng);
        }
        s = nnc_dataset_create(out, X, Y, rows, n_in, n_out);
    }
    free(X);
    free(Y);
    return s;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "454,400": a whole number with thousands separators. */
static void format_grouped(char *buf, size_t size, double x)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", x);
    size_t len = strlen(digits), k = 0;
    for (size_t i = 0; i < len && k + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
}

/* "0.2402 s", "12.31 ms", "845.2 us", "95.3 ns": four significant digits. */
static void format_seconds(char *buf, size_t size, double seconds)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1, "s"}, {1e3, "ms"}, {1e6, "us"}, {1e9, "ns"}};
    int u = 0;
    while (u < 3 && seconds * units[u].scale < 1)
        u++;
    double v = seconds * units[u].scale;
    snprintf(buf, size, "%.*f %s", v >= 100 ? 1 : v >= 10 ? 2 : 3, v, units[u].unit);
}

static void print_epoch(const char *label, double seconds, int rows, int updates,
                        double flop_per_epoch)
{
    char samples[64], epoch[32], update[32];
    format_grouped(samples, sizeof samples, rows / seconds);
    format_seconds(epoch, sizeof epoch, seconds);
    format_seconds(update, sizeof update, seconds / updates);
    printf("%-8s %11s %11s %13s %9.2f\n", label, epoch, update, samples,
           flop_per_epoch / seconds * 1e-9);
}

int cmd_bench(int argc, char **argv)
{
    bench_args a = {0};
    int parsed = parse_args(argc, argv, &a);
    if (parsed < 0) {
        printf(bench_usage, CLI_DEFAULT_THREADS_MAX);
        return CLI_OK;
    }
    if (!parsed)
        return CLI_USAGE;
    const int n_layers = a.n_widths - 1, n_in = a.widths[0], n_out = a.widths[n_layers];
    nnc_layer_spec specs[MAX_WIDTHS];
    for (int l = 0; l < n_layers; l++)
        specs[l] = (nnc_layer_spec){a.widths[l + 1], NNC_ACT_IDENTITY, 0};
    if (n_layers > 1 && !cli_parse_activation_list(CMD, a.activation, n_layers - 1, specs))
        return CLI_USAGE;
    const int total_rows = rows_with_validation(a.rows);
    const double data_bytes = (double)total_rows * (n_in + n_out) * sizeof(nnc_real);
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && 2 * data_bytes > (double)pages * (double)page) {
        cli_error(CMD, "--rows %d with %d inputs and %d outputs: the synthetic data "
                  "needs %.1f GiB (twice, while it is copied), more than this machine's "
                  "%.1f GiB; give fewer --rows",
                  a.rows, n_in, n_out, data_bytes / 1073741824.0,
                  (double)pages * (double)page / 1073741824.0);
        return CLI_USAGE;
    }
    if (!cli_check_net_memory(CMD, "--layers", a.widths, a.n_widths, a.batch, 1))
        return CLI_USAGE;

    nnc_rng rng;
    nnc_rng_seed(&rng, a.seed);
    nnc_dataset *data = NULL;
    nnc_net *net = NULL;
    nnc_status s = make_data(&data, a.task, total_rows, n_in, n_out, &rng);
    if (s == NNC_OK)
        s = nnc_net_create(&net, a.task, n_in, n_layers, specs, a.batch);
    if (s == NNC_OK)
        s = nnc_net_init(net, NNC_INIT_XAVIER, &rng);
    if (s == NNC_OK)
        s = nnc_net_set_threads(net, a.threads);
    if (s == NNC_OK)
        s = nnc_net_set_kernels(net, a.kernels);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        nnc_net_free(net);
        nnc_dataset_free(data);
        return CLI_FAILED;
    }

    /* The work of one epoch, as bench/README.md counts it. */
    double weights = 0, first = (double)a.widths[0] * a.widths[1];
    for (int l = 0; l < n_layers; l++)
        weights += (double)a.widths[l] * a.widths[l + 1];
    const double forward = 2 * weights, input_grads = 2 * (weights - first);
    const double per_sample = forward + forward + input_grads;
    const double per_epoch = per_sample * a.rows;
    const int updates = (a.rows + a.batch - 1) / a.batch;

    char shape[512] = "", acts[512] = "";
    for (int l = 0, k = 0; l < a.n_widths; l++)
        k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%d", l ? "-" : "", a.widths[l]);
    for (int l = 0, k = 0; l < n_layers - 1 && k < (int)sizeof acts - 64; l++) {
        const nnc_activation_info *info = nnc_activation_get(specs[l].activation);
        k += snprintf(acts + k, sizeof acts - (size_t)k, "%s%s", l ? "," : "", info->name);
    }
    char g_sample[64], g_fwd[64], g_wgrad[64], g_xgrad[64], g_rows[64];
    format_grouped(g_sample, sizeof g_sample, per_sample);
    format_grouped(g_fwd, sizeof g_fwd, forward);
    format_grouped(g_wgrad, sizeof g_wgrad, forward);
    format_grouped(g_xgrad, sizeof g_xgrad, input_grads);
    format_grouped(g_rows, sizeof g_rows, a.rows);
    printf("network  %s, hidden %s, %s output, %s\n", shape, n_layers > 1 ? acts : "none",
           nnc_task_name(a.task), sizeof(nnc_real) == 8 ? "double" : "float");
    const int blas = strcmp(nnc_net_kernel_name(net), "openblas") == 0;
    char threads[64];
    snprintf(threads, sizeof threads, blas ? "OpenBLAS's own threads" : "%d thread%s", a.threads,
             a.threads > 1 ? "s" : "");
    printf("training batch %d, %s synthetic rows per epoch (%d updates), eta %g, "
           "%s kernels, %s\n",
           a.batch, g_rows, updates, a.eta, nnc_net_kernel_name(net), threads);
    printf("work     %s FLOP per sample (forward %s, weight gradients %s, input "
           "gradients %s)\n         %.4g GFLOP per epoch\n",
           g_sample, g_fwd, g_wgrad, g_xgrad, per_epoch * 1e-9);

    printf("%-8s %11s %11s %13s %9s\n", "", "epoch", "update", "samples/s", "GFLOP/s");
    /* One epoch per nnc_train call, carrying the shuffle state on; the
     * checkpoint lies beyond the epoch, so no validation pass is timed. */
    nnc_train_options o = nnc_train_options_default();
    o.eta = a.eta;
    o.batch_size = a.batch;
    o.max_epoch = 1;
    o.eps = -1;
    o.checkpoint = a.epochs + 2;
    o.seed = a.seed;
    double *times = malloc((size_t)a.epochs * sizeof *times);
    nnc_train_result previous = {0}, result = {0};
    int status = times ? CLI_OK : CLI_FAILED;
    if (!times)
        cli_error(CMD, "out of memory");
    for (int e = 0; status == CLI_OK && e <= a.epochs; e++) {
        if (e > 0) {
            o.resume = &previous.state;
            o.max_epoch = e + 1;
        }
        double t0 = now_seconds();
        s = nnc_train(net, data, &o, NULL, NULL, &result);
        double seconds = now_seconds() - t0;
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            status = s == NNC_ERR_DIVERGED ? CLI_DIVERGED : CLI_FAILED;
            if (s == NNC_ERR_DIVERGED)
                fprintf(stderr, "nnc bench: a smaller --eta keeps random targets finite\n");
        } else if (e == 0) {
            print_epoch("warm-up", seconds, a.rows, updates, per_epoch);
        } else {
            char label[32];
            snprintf(label, sizeof label, "epoch %d", e);
            print_epoch(label, seconds, a.rows, updates, per_epoch);
            times[e - 1] = seconds;
        }
        nnc_train_result_free(&previous);
        previous = result;
        memset(&result, 0, sizeof result);
    }
    if (status == CLI_OK) {
        qsort(times, (size_t)a.epochs, sizeof *times, compare_doubles);
        double median = a.epochs % 2 ? times[a.epochs / 2]
                                     : (times[a.epochs / 2 - 1] + times[a.epochs / 2]) / 2;
        print_epoch("median", median, a.rows, updates, per_epoch);
        print_epoch("best", times[0], a.rows, updates, per_epoch);
    }
    free(times);
    nnc_train_result_free(&previous);
    nnc_train_result_free(&result);
    nnc_net_free(net);
    nnc_dataset_free(data);
    return status;
}
