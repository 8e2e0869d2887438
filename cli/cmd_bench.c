/* nnc bench: how fast this machine trains a given network, on synthetic data. */
#include "cli.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "bench"
#define MAX_WIDTHS (NNC_MAX_LAYERS + 1) /* inputs, then one width per layer */

static const char bench_intro[] =
    "usage: nnc bench [options]\n"
    "\n"
    "Times nnc_train, the loop `nnc train` runs, on synthetic data (inputs uniform\n"
    "in [0, 1), random targets of the task) and prints the work of one epoch in\n"
    "FLOP, then for each timed epoch its seconds, samples per second and GFLOP/s,\n"
    "and their median.  A quick check of a network's speed on this machine; the\n"
    "side-by-side comparison with other tools is `make bench` (bench/README.md).\n"
    "\n"
    ;

static const char bench_outro[] =
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

/* Reads the command line into *a: CLI_PARSE_OK, or CLI_PARSE_HELP after
 * printing --help, or CLI_PARSE_ERROR after printing the error. */
static int parse_args(int argc, char **argv, bench_args *a)
{
    a->threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX);
    cli_widths_dest layers = {a->widths, MAX_WIDTHS, &a->n_widths, 1};
    cli_text_dest activation = {a->activation, sizeof a->activation};
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--layers", .metavar = "784,128,64,10", .dest = &layers,
         .def = "784,128,64,10", .parse = cli_read_layers,
         .help = "all widths, inputs first and outputs last\n"
                 "(default: %D, the Fashion-MNIST MLP)"},
        {.type = CLI_CUSTOM, .name = "--activation", .metavar = "NAME[:P]", .dest = &activation,
         .def = "relu", .parse = cli_read_text,
         .help = "hidden activation, or one per hidden layer separated\n"
                 "by commas (default: %D; see `nnc activations`)"},
        {.type = CLI_CUSTOM, .name = "--task", .metavar = "NAME", .dest = &a->task,
         .parse = cli_read_task,
         .help = "fitting | binary | multiclass (default: multiclass\n"
                 "when there are several outputs, else fitting)"},
        {.type = CLI_INT, .name = "--batch", .metavar = "N", .dest = &a->batch, .def = "64",
         .min = 1, .max = 1000000, .help = "mini-batch size (default: %D)"},
        {.type = CLI_INT, .name = "--rows", .metavar = "N", .dest = &a->rows, .def = "60000",
         .min = 1, .max = 100000000, .help = "training rows per epoch (default: %D)"},
        {.type = CLI_INT, .name = "--epochs", .metavar = "N", .dest = &a->epochs, .def = "5",
         .min = 1, .max = 1000000,
         .help = "timed epochs (default: %D), after one untimed warm-up"},
        {.type = CLI_POSITIVE, .name = "--eta", .metavar = "X", .dest = &a->eta, .def = "0.01",
         .help = "learning rate (default: %D)"},
        {.type = CLI_SEED, .name = "--seed", .metavar = "N", .dest = &a->seed, .def = "1",
         .help = "seed of the data and the initial weights (default: %D)"},
        {.type = CLI_INT, .name = "--threads", .metavar = "N", .dest = &a->threads, .min = 1,
         .max = 256,
         .help = "threads that share each large product, 1 to 256\n" CLI_THREADS_DEFAULT_HELP},
        {.type = CLI_CUSTOM, .name = "--kernels", .metavar = "NAME", .dest = &a->kernels,
         .def = "auto", .parse = cli_read_kernels, .help = CLI_KERNELS_HELP},
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {.name = CMD, .intro = bench_intro, .outro = bench_outro,
                           .column = 26, CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return parsed;
    if (n_args) {
        cli_error(CMD, "unexpected argument '%s'", argv[1]);
        return CLI_PARSE_ERROR;
    }
    a->task_given = cli_given(&command, "--task");
    if (!a->task_given)
        a->task = a->widths[a->n_widths - 1] > 1 ? NNC_TASK_MULTICLASS : NNC_TASK_FITTING;
    if (a->task == NNC_TASK_MULTICLASS && a->widths[a->n_widths - 1] < 2) {
        cli_error(CMD, "--task multiclass needs at least 2 outputs (--layers ends in %d)",
                  a->widths[a->n_widths - 1]);
        return CLI_PARSE_ERROR;
    }
    if (a->batch > a->rows) {
        cli_error(CMD, "--batch %d is larger than --rows %d", a->batch, a->rows);
        return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}

/* Training rows plus the rows nnc_train keeps for validation: the smallest
 * data set whose training part (the library's split) has train_rows rows;
 * train_rows itself when none has (nnc_train then says why). */
static int rows_with_validation(int train_rows, const nnc_train_options *o)
{
    for (long n = train_rows; n <= 2L * train_rows + 10 && n <= 1000000000; n++) {
        nnc_train_plan plan;
        if (nnc_train_plan_for((int)n, o, 0, &plan) == NNC_OK && plan.n_train == train_rows)
            return (int)n;
    }
    return train_rows;
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

/* What one benchmark run needs: the parsed options, the layers, the
 * synthetic data and the net. */
typedef struct bench_run {
    bench_args a;
    nnc_layer_spec specs[MAX_WIDTHS];
    nnc_train_options o; /* one epoch per nnc_train call */
    int updates;         /* per epoch, as the library plans them */
    nnc_dataset *data;
    nnc_net *net;
} bench_run;

/* The layers, the training options and plan, the synthetic data and the
 * network.  Returns CLI_OK or the exit status after an error. */
static int set_up(bench_run *run)
{
    const bench_args *a = &run->a;
    const int n_layers = a->n_widths - 1, n_in = a->widths[0], n_out = a->widths[n_layers];
    for (int l = 0; l < n_layers; l++)
        run->specs[l] = (nnc_layer_spec){a->widths[l + 1], NNC_ACT_IDENTITY, 0};
    if (n_layers > 1 && !cli_parse_activation_list(CMD, a->activation, n_layers - 1, run->specs))
        return CLI_USAGE;
    /* The checkpoint lies beyond the epochs, so no validation pass is timed. */
    run->o = nnc_train_options_default();
    run->o.eta = a->eta;
    run->o.batch_size = a->batch;
    run->o.max_epoch = 1;
    run->o.eps = -1;
    run->o.checkpoint = a->epochs + 2;
    run->o.seed = a->seed;
    const int total_rows = rows_with_validation(a->rows, &run->o);
    nnc_train_plan plan;
    run->updates = nnc_train_plan_for(total_rows, &run->o, 0, &plan) == NNC_OK
                       ? plan.iterations_per_epoch
                       : (a->rows + a->batch - 1) / a->batch;
    const double data_bytes = (double)total_rows * (n_in + n_out) * sizeof(nnc_real);
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && 2 * data_bytes > (double)pages * (double)page) {
        cli_error(CMD, "--rows %d with %d inputs and %d outputs: the synthetic data "
                  "needs %.1f GiB (twice, while it is copied), more than this machine's "
                  "%.1f GiB; give fewer --rows",
                  a->rows, n_in, n_out, data_bytes / 1073741824.0,
                  (double)pages * (double)page / 1073741824.0);
        return CLI_USAGE;
    }
    if (!cli_check_net_memory(CMD, "--layers", a->widths, a->n_widths, a->batch, 1))
        return CLI_USAGE;
    nnc_rng rng;
    nnc_rng_seed(&rng, a->seed);
    nnc_status s = make_data(&run->data, a->task, total_rows, n_in, n_out, &rng);
    if (s == NNC_OK)
        s = nnc_net_create(&run->net, a->task, n_in, n_layers, run->specs, a->batch);
    if (s == NNC_OK)
        s = nnc_net_init(run->net, NNC_INIT_XAVIER, &rng);
    if (s == NNC_OK)
        s = nnc_net_set_threads(run->net, a->threads);
    if (s == NNC_OK)
        s = nnc_net_set_kernels(run->net, a->kernels);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        return CLI_FAILED;
    }
    return CLI_OK;
}

/* Prints the network, the training settings and the work of one epoch, as
 * bench/README.md counts it; returns the FLOP of one epoch. */
static double print_work(const bench_run *run)
{
    const bench_args *a = &run->a;
    const int n_layers = a->n_widths - 1;
    double weights = 0, first = (double)a->widths[0] * a->widths[1];
    for (int l = 0; l < n_layers; l++)
        weights += (double)a->widths[l] * a->widths[l + 1];
    const double forward = 2 * weights, input_grads = 2 * (weights - first);
    const double per_sample = forward + forward + input_grads;
    const double per_epoch = per_sample * a->rows;

    char shape[512] = "", acts[512] = "";
    for (int l = 0, k = 0; l < a->n_widths; l++)
        k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%d", l ? "-" : "", a->widths[l]);
    for (int l = 0, k = 0; l < n_layers - 1 && k < (int)sizeof acts - 64; l++) {
        const nnc_activation_info *info = nnc_activation_get(run->specs[l].activation);
        k += snprintf(acts + k, sizeof acts - (size_t)k, "%s%s", l ? "," : "", info->name);
    }
    char g_sample[64], g_fwd[64], g_wgrad[64], g_xgrad[64], g_rows[64];
    format_grouped(g_sample, sizeof g_sample, per_sample);
    format_grouped(g_fwd, sizeof g_fwd, forward);
    format_grouped(g_wgrad, sizeof g_wgrad, forward);
    format_grouped(g_xgrad, sizeof g_xgrad, input_grads);
    format_grouped(g_rows, sizeof g_rows, a->rows);
    printf("network  %s, hidden %s, %s output, %s\n", shape, n_layers > 1 ? acts : "none",
           nnc_task_name(a->task), sizeof(nnc_real) == 8 ? "double" : "float");
    const int blas = strcmp(nnc_net_kernel_name(run->net), "openblas") == 0;
    char threads[64];
    snprintf(threads, sizeof threads, blas ? "OpenBLAS's own threads" : "%d thread%s",
             a->threads, a->threads > 1 ? "s" : "");
    printf("training batch %d, %s synthetic rows per epoch (%d updates), eta %g, "
           "%s kernels, %s\n",
           a->batch, g_rows, run->updates, a->eta, nnc_net_kernel_name(run->net), threads);
    printf("work     %s FLOP per sample (forward %s, weight gradients %s, input "
           "gradients %s)\n         %.4g GFLOP per epoch\n",
           g_sample, g_fwd, g_wgrad, g_xgrad, per_epoch * 1e-9);

    return per_epoch;
}

/* Times a warm-up epoch and a->epochs epochs, one nnc_train call each,
 * carrying the shuffle state on, and prints each, the median and the best.
 * Returns the exit status. */
static int time_epochs(bench_run *run, double per_epoch)
{
    const bench_args *a = &run->a;
    nnc_train_options o = run->o;
    const int updates = run->updates;
    double *times = malloc((size_t)a->epochs * sizeof *times);
    nnc_train_result previous = {0}, result = {0};
    int status = times ? CLI_OK : CLI_FAILED;
    if (!times)
        cli_error(CMD, "out of memory");
    for (int e = 0; status == CLI_OK && e <= a->epochs; e++) {
        if (e > 0) {
            o.resume = &previous.state;
            o.max_epoch = e + 1;
        }
        double t0 = now_seconds();
        nnc_status s = nnc_train(run->net, run->data, &o, NULL, NULL, &result);
        double seconds = now_seconds() - t0;
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            status = s == NNC_ERR_DIVERGED ? CLI_DIVERGED : CLI_FAILED;
            if (s == NNC_ERR_DIVERGED)
                fprintf(stderr, "nnc bench: a smaller --eta keeps random targets finite\n");
        } else if (e == 0) {
            print_epoch("warm-up", seconds, a->rows, updates, per_epoch);
        } else {
            char label[32];
            snprintf(label, sizeof label, "epoch %d", e);
            print_epoch(label, seconds, a->rows, updates, per_epoch);
            times[e - 1] = seconds;
        }
        nnc_train_result_free(&previous);
        previous = result;
        memset(&result, 0, sizeof result);
    }
    if (status == CLI_OK) {
        qsort(times, (size_t)a->epochs, sizeof *times, compare_doubles);
        double median = a->epochs % 2 ? times[a->epochs / 2]
                                     : (times[a->epochs / 2 - 1] + times[a->epochs / 2]) / 2;
        print_epoch("median", median, a->rows, updates, per_epoch);
        print_epoch("best", times[0], a->rows, updates, per_epoch);
    }
    free(times);
    nnc_train_result_free(&previous);
    nnc_train_result_free(&result);
    return status;
}

int cmd_bench(int argc, char **argv)
{
    bench_run run = {0};
    int status = parse_args(argc, argv, &run.a);
    if (status != CLI_PARSE_OK)
        return cli_parse_status(status);
    status = set_up(&run);
    if (status == CLI_OK) {
        double per_epoch = print_work(&run);
        printf("%-8s %11s %11s %13s %9s\n", "", "epoch", "update", "samples/s", "GFLOP/s");
        status = time_epochs(&run, per_epoch);
    }
    nnc_net_free(run.net);
    nnc_dataset_free(run.data);
    return status;
}
