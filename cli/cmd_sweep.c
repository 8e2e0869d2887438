/* nnc sweep: a grid of training runs over hidden units, learning rate and
 * batch size (the textbook's 9.7 study), run in parallel, each from the
 * same initial weights for its shape, with a table and comparison charts. */
#include "cli.h"
#include "options.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "sweep"

static const char sweep_intro[] =
    "usage: nnc sweep [sin|composite] [options]\n"
    "\n"
    "Trains one network with one hidden layer for every combination of --hidden,\n"
    "--eta and --batch (the textbook's 9.7 study).  All runs of one shape start\n"
    "from the same initial weights (drawn with --seed) and shuffle with --seed,\n"
    "so every run is deterministic whatever the number of threads.  Prints a\n"
    "Markdown table and writes into --out: sweep.csv, sweep.md,\n"
    "histories/<shape>_eta<eta>_bz<batch>.csv, loss_by_eta.svg, loss_by_batch.svg,\n"
    "loss_by_hidden.svg (validation loss per value of each varied parameter, the\n"
    "others at their first value) and accuracy_heatmap.svg (test accuracy over\n"
    "hidden x eta at the first batch size).\n"
    "\n";

enum { MAX_LIST = 256, MAX_RUNS = 10000 };

typedef struct sweep_args {
    cli_data_source data;
    nnc_task task;
    nnc_init init;
    nnc_activation activation;
    double act_param;
    const char *activation_text;
    int hidden[MAX_LIST], n_hidden;
    double eta[MAX_LIST];
    int n_eta;
    int batch[MAX_LIST], n_batch;
    int max_epoch;
    double eps, checkpoint;
    uint64_t seed;
    int jobs, quiet;
    const char *out;
} sweep_args;

/* The outcome of one run of the grid. */
typedef struct sweep_run {
    int h, e, b;              /* indices into the lists */
    nnc_status status;        /* NNC_OK, NNC_ERR_DIVERGED, or another failure */
    char error[256];          /* the failure's message */
    nnc_train_result result;
    double test_accuracy;     /* NaN unless the run finished */
    double seconds;
} sweep_run;

typedef struct sweep_state {
    const sweep_args *a;
    const cli_data *data;
    nnc_net **templates; /* one initialised net per hidden width */
    sweep_run *runs;
    int n_runs;
    int next, done;      /* guarded by lock */
    pthread_mutex_t lock;
} sweep_state;

/* --- arguments ------------------------------------------------------- */

/* A value listed twice would run the same training twice, into one file. */
static int check_distinct(const char *flag, const double *v, int n)
{
    for (int i = 1; i < n; i++) {
        for (int j = 0; j < i; j++) {
            if (v[i] == v[j]) {
                char num[32];
                cli_format_number(num, sizeof num, v[i]);
                cli_error(CMD, "%s: %s is listed twice", flag, num);
                return 0;
            }
        }
    }
    return 1;
}

static int parse_int_list(const char *flag, const char *text, long min, long max,
                          int allow_minus_one, int *out, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list(CMD, flag, text, &v, &n))
        return 0;
    if (n > MAX_LIST) {
        cli_error(CMD, "%s: at most %d values", flag, MAX_LIST);
        free(v);
        return 0;
    }
    if (!check_distinct(flag, v, n)) {
        free(v);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int ok = v[i] == floor(v[i]) &&
                 ((v[i] >= (double)min && v[i] <= (double)max) ||
                  (allow_minus_one && v[i] == -1));
        if (!ok) {
            char num[32];
            cli_format_number(num, sizeof num, v[i]);
            cli_error(CMD, "%s: '%s' is not a whole number from %ld to %ld%s", flag, num,
                      min, max, allow_minus_one ? " (or -1)" : "");
            free(v);
            return 0;
        }
        out[i] = (int)v[i];
    }
    free(v);
    *count = n;
    return 1;
}

static int parse_eta_list(const char *text, double *out, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list(CMD, "--eta", text, &v, &n))
        return 0;
    if (n > MAX_LIST) {
        cli_error(CMD, "--eta: at most %d values", MAX_LIST);
        free(v);
        return 0;
    }
    if (!check_distinct("--eta", v, n)) {
        free(v);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (!(v[i] > 0)) {
            char num[32];
            cli_format_number(num, sizeof num, v[i]);
            cli_error(CMD, "--eta must be positive (got %s)", num);
            free(v);
            return 0;
        }
        out[i] = v[i];
    }
    free(v);
    *count = n;
    return 1;
}

static int read_hidden_list(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)cmd;
    sweep_args *a = dest;
    return parse_int_list(name, value, 1, 1000000, 0, a->hidden, &a->n_hidden);
}

static int read_batch_list(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)cmd;
    sweep_args *a = dest;
    return parse_int_list(name, value, 1, 100000000, 1, a->batch, &a->n_batch);
}

static int read_eta_list(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)cmd;
    (void)name;
    sweep_args *a = dest;
    return parse_eta_list(value, a->eta, &a->n_eta);
}

static int read_one_activation(const char *cmd, const char *name, const char *value, void *dest)
{
    sweep_args *a = dest;
    if (strchr(value, ',')) {
        cli_error(cmd, "%s: '%s' is a list, but a sweep's networks have one hidden layer: "
                  "give one activation", name, value);
        return 0;
    }
    if (!cli_parse_activation(cmd, value, &a->activation, &a->act_param))
        return 0;
    a->activation_text = value;
    return 1;
}

/* The options that do not go together, and the data set named as an argument. */
static int check_sweep_args(const cli_command *c, int n_args, char **args, sweep_args *a)
{
    if (n_args > 1) {
        cli_error(CMD, "unexpected argument '%s'", args[2]);
        return 0;
    }
    a->data.builtin = n_args ? args[1] : NULL;
    long n_runs = (long)a->n_hidden * a->n_eta * a->n_batch;
    if (n_runs > MAX_RUNS) {
        cli_error(CMD, "--hidden, --eta and --batch list %d x %d x %d = %ld runs; a sweep "
                  "makes at most %d", a->n_hidden, a->n_eta, a->n_batch, n_runs, MAX_RUNS);
        return 0;
    }
    if (cli_given(c, "--checkpoint") && a->checkpoint > a->max_epoch) {
        char ck[32];
        cli_format_number(ck, sizeof ck, a->checkpoint);
        cli_error(CMD, "--checkpoint %s is more than --epochs %d: no check would run, so no "
                  "run would record a loss", ck, a->max_epoch);
        return 0;
    }
    if (!cli_check_out_dir(CMD, "--out", a->out))
        return 0;
    if (!a->data.builtin && !a->data.train_path && !a->data.test_path)
        a->data.builtin = "composite";
    return 1;
}

/* Reads the command line into *a: CLI_PARSE_OK, or CLI_PARSE_HELP after
 * printing --help, or CLI_PARSE_ERROR after printing the error. */
static int parse_args(int argc, char **argv, sweep_args *a)
{
    /* The fixed settings default as nnc train's do; the grid has its own. */
    nnc_train_options d = nnc_train_options_default();
    a->max_epoch = d.max_epoch;
    a->eps = d.eps;
    a->checkpoint = d.checkpoint;
    a->seed = d.seed;
    a->jobs = cli_online_cpus(1024);
    cli_opt rows[] = {
        {.type = CLI_TEXT, .name = "data:"},
        {.type = CLI_ARG, .name = "sin | composite",
         .help = "a built-in textbook data set (default: composite)"},
        {.type = CLI_ARG, .name = "--train FILE --test FILE",
         .help = ".npz (keys data, label) or .csv"},
        CLI_OPT_DATA_FILES(&a->data),
        {.type = CLI_STRING, .name = "--label", .metavar = "COLS", .dest = &a->data.label,
         .help = "CSV label columns (default: -1, the last)"},
        CLI_OPT_IDX_LABELS(&a->data),
        {.type = CLI_CUSTOM, .name = "--task", .metavar = "NAME", .dest = &a->task,
         .parse = cli_read_task,
         .help = "fitting | binary (labels 0 and 1) | multiclass\n(default: fitting)"},
        CLI_OPT_MAX_MEMORY(&a->data.max_memory),
        {.type = CLI_TEXT,
         .name = "grid (comma-separated lists of distinct values; at most 10000 runs in all):"},
        {.type = CLI_CUSTOM, .name = "--hidden", .metavar = "LIST", .dest = a, .def = "4",
         .parse = read_hidden_list, .help = "hidden layer widths (default: %D)"},
        {.type = CLI_CUSTOM, .name = "--eta", .metavar = "LIST", .dest = a, .def = "0.1",
         .parse = read_eta_list, .help = "learning rates (default: %D)"},
        {.type = CLI_CUSTOM, .name = "--batch", .metavar = "LIST", .dest = a, .def = "10",
         .parse = read_batch_list, .help = "mini-batch sizes, -1 for the whole set (default: %D)"},
        {.type = CLI_TEXT, .name = "fixed settings:"},
        {.type = CLI_CUSTOM, .name = "--activation", .metavar = "NAME[:P]", .dest = a,
         .def = CLI_DEFAULT_ACTIVATION, .parse = read_one_activation,
         .help = "hidden activation (default: %D)"},
        {.type = CLI_CUSTOM, .name = "--init", .metavar = "NAME", .dest = &a->init,
         .def = "xavier", .parse = cli_read_init,
         .help = "zero | normal | xavier | msra (default: %D)"},
        {.type = CLI_INT, .name = "--epochs", .metavar = "N", .dest = &a->max_epoch, .min = 1,
         .max = 100000000, .help = "maximum epochs (default: %D)"},
        {.type = CLI_NONNEG, .name = "--eps", .metavar = "X", .dest = &a->eps,
         .help = "stop when loss_valid <= X (default: %D)"},
        {.type = CLI_POSITIVE, .name = "--checkpoint", .metavar = "E", .dest = &a->checkpoint,
         .help = "epochs between checks (default: %D)"},
        {.type = CLI_SEED, .name = "--seed", .metavar = "N", .dest = &a->seed,
         .help = "seed of the initial weights and the shuffles (default: %D)"},
        {.type = CLI_TEXT, .name = "running:"},
        {.type = CLI_INT, .name = "--jobs", .metavar = "N", .dest = &a->jobs, .min = 1,
         .max = 1024, .help = "runs in parallel (default: the number of online CPUs)"},
        {.type = CLI_STRING, .name = "--out", .metavar = "DIR", .dest = &a->out, .def = "sweep",
         .help = "output folder (default: %D)"},
        {.type = CLI_FLAG, .name = "--quiet", .short_name = "-q", .dest = &a->quiet,
         .help = "no progress lines on stderr"},
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {
        .name = CMD, .intro = sweep_intro, .column = 26, CLI_OPTS(rows),
        .outro = "Each option may be given once; a list may not hold a value twice.\n"};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed == CLI_PARSE_OK && !check_sweep_args(&command, n_args, argv, a))
        return CLI_PARSE_ERROR;
    return parsed;
}

/* --- running the grid ------------------------------------------------ */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void shape_name(char *buf, size_t size, const cli_data *d, int hidden)
{
    snprintf(buf, size, "%d-%d-%d", nnc_dataset_inputs(d->train), hidden,
             nnc_dataset_outputs(d->train));
}

static void run_name(char *buf, size_t size, const sweep_state *st, const sweep_run *r)
{
    char shape[64], eta[32];
    shape_name(shape, sizeof shape, st->data, st->a->hidden[r->h]);
    cli_format_number(eta, sizeof eta, st->a->eta[r->e]);
    snprintf(buf, size, "%s_eta%s_bz%d", shape, eta, st->a->batch[r->b]);
}

/* The last check with a finite validation loss, or NULL. */
static const nnc_checkpoint *last_good_check(const nnc_train_result *res)
{
    for (size_t i = res->history_count; i > 0; i--)
        if (isfinite(res->history[i - 1].loss_valid))
            return &res->history[i - 1];
    return NULL;
}

static void execute_run(sweep_state *st, sweep_run *r)
{
    const sweep_args *a = st->a;
    const cli_data *d = st->data;
    double t0 = now_seconds();
    nnc_layer_spec specs[2] = {
        {a->hidden[r->h], a->activation, a->act_param},
        {nnc_dataset_outputs(d->train), NNC_ACT_IDENTITY, 0},
    };
    nnc_net *net = NULL;
    nnc_status s = nnc_net_create(&net, a->task, nnc_dataset_inputs(d->train), 2, specs,
                                  cli_work_rows(a->batch[r->b], nnc_dataset_rows(d->train)));
    if (s == NNC_OK) {
        /* The shape's one set of initial weights. */
        nnc_net *t = st->templates[r->h];
        memcpy(nnc_net_parameters(net), nnc_net_parameters(t),
               nnc_net_parameter_count(t) * sizeof(nnc_real));
        nnc_train_options o = nnc_train_options_default();
        o.eta = a->eta[r->e];
        o.batch_size = a->batch[r->b];
        o.max_epoch = a->max_epoch;
        o.eps = a->eps;
        o.checkpoint = a->checkpoint;
        o.seed = a->seed;
        s = nnc_train(net, d->train, &o, NULL, NULL, &r->result);
        if (s == NNC_OK)
            s = nnc_net_evaluate(net, nnc_dataset_x(d->test), nnc_dataset_y(d->test),
                                 nnc_dataset_rows(d->test), NULL, &r->test_accuracy);
    }
    if (s != NNC_OK) {
        const char *msg = nnc_last_error();
        snprintf(r->error, sizeof r->error, "%s", msg[0] ? msg : nnc_strerror(s));
        r->test_accuracy = NAN;
    }
    r->status = s;
    nnc_net_free(net);
    r->seconds = now_seconds() - t0;
}

static void report_run(const sweep_state *st, const sweep_run *r, int done)
{
    char name[128];
    run_name(name, sizeof name, st, r);
    const nnc_checkpoint *c = last_good_check(&r->result);
    fprintf(stderr, "nnc sweep: [%d/%d] %s: ", done, st->n_runs, name);
    if (r->status == NNC_ERR_DIVERGED)
        fprintf(stderr, "diverged (%s)", r->error);
    else if (r->status != NNC_OK)
        fprintf(stderr, "failed: %s", r->error);
    else if (r->result.stopped_early)
        fprintf(stderr, "reached eps at epoch %d", r->result.epochs_run);
    else
        fprintf(stderr, "eps not reached in %d epochs", r->result.epochs_run);
    if (c && r->status == NNC_OK)
        fprintf(stderr, ", loss_valid=%.6f, test=%.6f", c->loss_valid, r->test_accuracy);
    fprintf(stderr, " (%.2f s)\n", r->seconds);
}

static void *worker(void *arg)
{
    sweep_state *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        int k = st->next < st->n_runs ? st->next++ : -1;
        pthread_mutex_unlock(&st->lock);
        if (k < 0)
            return NULL;
        execute_run(st, &st->runs[k]);
        pthread_mutex_lock(&st->lock);
        int done = ++st->done;
        if (!st->a->quiet)
            report_run(st, &st->runs[k], done);
        pthread_mutex_unlock(&st->lock);
    }
}

/* --- outputs --------------------------------------------------------- */

static const char *status_word(nnc_status s)
{
    return s == NNC_OK ? "ok" : s == NNC_ERR_DIVERGED ? "diverged" : "failed";
}

static int write_csv(const char *path, const sweep_state *st)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        cli_error(CMD, "out of memory");
        return 0;
    }
    fprintf(f, "hidden,eta,batch,epochs_to_eps,stopped_early,status,final_loss_valid,"
               "final_accuracy_valid,test_accuracy,seconds\n");
    for (int k = 0; k < st->n_runs; k++) {
        const sweep_run *r = &st->runs[k];
        const nnc_checkpoint *c = last_good_check(&r->result);
        char eta[32], num[32];
        cli_format_number(eta, sizeof eta, st->a->eta[r->e]);
        fprintf(f, "%d,%s,%d,", st->a->hidden[r->h], eta, st->a->batch[r->b]);
        if (r->status == NNC_OK && r->result.stopped_early)
            fprintf(f, "%d", r->result.epochs_run);
        fprintf(f, ",%d,%s,", r->result.stopped_early, status_word(r->status));
        if (c) {
            cli_format_number(num, sizeof num, c->loss_valid);
            fprintf(f, "%s,", num);
            cli_format_number(num, sizeof num, c->accuracy_valid);
            fprintf(f, "%s,", num);
        } else {
            fprintf(f, ",,");
        }
        if (isfinite(r->test_accuracy)) {
            cli_format_number(num, sizeof num, r->test_accuracy);
            fprintf(f, "%s", num);
        }
        fprintf(f, ",%.3f\n", r->seconds);
    }
    fclose(f);
    return cli_write_text(CMD, path, text, len);
}

/* The Markdown report: the settings, then one table row per run. */
static int build_markdown(const sweep_state *st, double wall, char **text, size_t *len)
{
    const sweep_args *a = st->a;
    FILE *f = open_memstream(text, len);
    if (!f) {
        cli_error(CMD, "out of memory");
        return 0;
    }
    char eps[32], ck[32];
    cli_format_number(eps, sizeof eps, a->eps);
    cli_format_number(ck, sizeof ck, a->checkpoint);
    /* The data's name comes from a file's: escaped, so that it can neither
     * add a line nor (in Markdown) start a table cell or emphasis. */
    fputs("Sweep on ", f);
    cli_put_value(f, st->data->name, "|*_`[]<>");
    fprintf(f, " (%s): activation %s, init %s, max %d epochs, eps %s, "
               "checkpoint %s, seed %llu, %s; %d runs on %d threads in %.1f s.\n\n",
            nnc_task_name(a->task), a->activation_text,
            nnc_init_name(a->init), a->max_epoch, eps, ck, (unsigned long long)a->seed,
            sizeof(nnc_real) == 8 ? "double" : "float", st->n_runs, a->jobs, wall);
    fprintf(f, "| shape | η | batch | epochs to reach eps | final loss_valid "
               "| test accuracy | time (s) |\n");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < st->n_runs; k++) {
        const sweep_run *r = &st->runs[k];
        const nnc_checkpoint *c = last_good_check(&r->result);
        char shape[64], eta[32], epochs[32], loss[32], acc[32];
        shape_name(shape, sizeof shape, st->data, a->hidden[r->h]);
        cli_format_number(eta, sizeof eta, a->eta[r->e]);
        if (r->status == NNC_ERR_DIVERGED)
            snprintf(epochs, sizeof epochs, "diverged");
        else if (r->status != NNC_OK)
            snprintf(epochs, sizeof epochs, "failed");
        else if (r->result.stopped_early)
            snprintf(epochs, sizeof epochs, "%d", r->result.epochs_run);
        else
            snprintf(epochs, sizeof epochs, "not reached");
        if (c)
            snprintf(loss, sizeof loss, "%.6f", c->loss_valid);
        else
            snprintf(loss, sizeof loss, "-");
        if (isfinite(r->test_accuracy))
            snprintf(acc, sizeof acc, "%.6f", r->test_accuracy);
        else
            snprintf(acc, sizeof acc, "-");
        fprintf(f, "| %s | %s | %d | %s | %s | %s | %.2f |\n", shape, eta,
                a->batch[r->b], epochs, loss, acc, r->seconds);
    }
    fclose(f);
    return 1;
}

static int grid_index(const sweep_args *a, int h, int e, int b)
{
    return (h * a->n_eta + e) * a->n_batch + b;
}

static int save_plot(nnc_plot *plot, nnc_status s, const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (s == NNC_OK)
        s = nnc_plot_save(plot, path);
    nnc_plot_free(plot);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        return 0;
    }
    return 1;
}

/* Validation loss against epoch, one curve per value of parameter `which`
 * (0 hidden, 1 eta, 2 batch), the other two at their first value. */
static int chart_loss(const sweep_state *st, int which, const char *dir)
{
    const sweep_args *a = st->a;
    static const char *const files[] = {"loss_by_hidden.svg", "loss_by_eta.svg",
                                        "loss_by_batch.svg"};
    int count = which == 0 ? a->n_hidden : which == 1 ? a->n_eta : a->n_batch;
    if (count < 2)
        return 1;
    char title[256], shape[64], eta[32];
    shape_name(shape, sizeof shape, st->data, a->hidden[0]);
    cli_format_number(eta, sizeof eta, a->eta[0]);
    if (which == 0)
        snprintf(title, sizeof title, "validation loss by hidden units (eta %s, batch %d)",
                 eta, a->batch[0]);
    else if (which == 1)
        snprintf(title, sizeof title, "validation loss by learning rate (%s, batch %d)",
                 shape, a->batch[0]);
    else
        snprintf(title, sizeof title, "validation loss by batch size (%s, eta %s)", shape,
                 eta);
    nnc_plot *plot = NULL;
    nnc_status s = nnc_plot_create(&plot, 720, 480, 1, 1, title);
    if (s == NNC_OK)
        s = nnc_plot_axes(plot, 0, NULL, "epoch", "loss_valid", 1);
    for (int v = 0; s == NNC_OK && v < count; v++) {
        int h = which == 0 ? v : 0, e = which == 1 ? v : 0, b = which == 2 ? v : 0;
        const sweep_run *r = &st->runs[grid_index(a, h, e, b)];
        const nnc_train_result *res = &r->result;
        size_t n = res->history_count;
        double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
        if (!x || !y) {
            free(x);
            free(y);
            nnc_plot_free(plot);
            cli_error(CMD, "out of memory");
            return 0;
        }
        /* Epochs completed at each check, so that batch sizes compare. */
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)(res->history[i].total_iteration + 1) / res->iterations_per_epoch;
            y[i] = res->history[i].loss_valid;
        }
        char label[64];
        if (which == 0)
            shape_name(label, sizeof label, st->data, a->hidden[v]);
        else if (which == 1) {
            char num[32];
            cli_format_number(num, sizeof num, a->eta[v]);
            snprintf(label, sizeof label, "eta %s", num);
        } else
            snprintf(label, sizeof label, "batch %d", a->batch[v]);
        if (r->status == NNC_ERR_DIVERGED)
            strncat(label, " (diverged)", sizeof label - strlen(label) - 1);
        s = nnc_plot_series(plot, 0, label, x, y, n, NNC_PLOT_LINE);
        free(x);
        free(y);
    }
    return save_plot(plot, s, dir, files[which]);
}

/* Test accuracy over hidden (rows) x eta (columns) at the first batch size. */
static int chart_heatmap(const sweep_state *st, const char *dir)
{
    const sweep_args *a = st->a;
    if (a->n_hidden < 2 || a->n_eta < 2)
        return 1;
    int nx = a->n_eta, ny = a->n_hidden;
    double *values = malloc((size_t)nx * (size_t)ny * sizeof *values);
    char (*xl)[32] = malloc((size_t)nx * sizeof *xl);
    char (*yl)[64] = malloc((size_t)ny * sizeof *yl);
    const char **xp = malloc((size_t)nx * sizeof *xp), **yp = malloc((size_t)ny * sizeof *yp);
    if (!values || !xl || !yl || !xp || !yp) {
        free(values), free(xl), free(yl), free(xp), free(yp);
        cli_error(CMD, "out of memory");
        return 0;
    }
    for (int h = 0; h < ny; h++) {
        shape_name(yl[h], sizeof yl[h], st->data, a->hidden[h]);
        yp[h] = yl[h];
        for (int e = 0; e < nx; e++)
            values[h * nx + e] = st->runs[grid_index(a, h, e, 0)].test_accuracy;
    }
    for (int e = 0; e < nx; e++) {
        cli_format_number(xl[e], sizeof xl[e], a->eta[e]);
        xp[e] = xl[e];
    }
    char title[128];
    snprintf(title, sizeof title, "test accuracy (batch %d)", a->batch[0]);
    nnc_plot *plot = NULL;
    nnc_status s = nnc_plot_create(&plot, 640, 480, 1, 1, title);
    if (s == NNC_OK)
        s = nnc_plot_axes(plot, 0, NULL, "learning rate eta", "shape", 0);
    if (s == NNC_OK)
        s = nnc_plot_grid(plot, 0, 0, nx, 0, ny, nx, ny, values, 1);
    if (s == NNC_OK)
        s = nnc_plot_categories(plot, 0, 'x', xp, nx);
    if (s == NNC_OK)
        s = nnc_plot_categories(plot, 0, 'y', yp, ny);
    free(values), free(xl), free(yl), free(xp), free(yp);
    return save_plot(plot, s, dir, "accuracy_heatmap.svg");
}

static int write_outputs(const sweep_state *st, const char *md, size_t md_len)
{
    const char *dir = st->a->out;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/histories", dir) >= (int)sizeof path) {
        cli_error(CMD, "output path too long");
        return 0;
    }
    if (!cli_make_dirs(CMD, path))
        return 0;
    for (int k = 0; k < st->n_runs; k++) {
        char name[128];
        run_name(name, sizeof name, st, &st->runs[k]);
        snprintf(path, sizeof path, "%s/histories/%s.csv", dir, name);
        if (!cli_write_history(CMD, path, st->runs[k].result.history,
                               st->runs[k].result.history_count))
            return 0;
    }
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    if (!write_csv(path, st))
        return 0;
    char *copy = malloc(md_len ? md_len : 1);
    if (!copy) {
        cli_error(CMD, "out of memory");
        return 0;
    }
    memcpy(copy, md, md_len);
    snprintf(path, sizeof path, "%s/sweep.md", dir);
    if (!cli_write_text(CMD, path, copy, md_len))
        return 0;
    for (int which = 0; which < 3; which++)
        if (!chart_loss(st, which, dir))
            return 0;
    return chart_heatmap(st, dir);
}

/* Every batch size must fit the split and make a schedule of a sane number
 * of checks, no two may train alike, and the runs side by side must fit in
 * memory; nnc_train checks the rest. */
static int check_grid(const sweep_args *a, const cli_data *data)
{
    int n_in = nnc_dataset_inputs(data->train), n_out = nnc_dataset_outputs(data->train);
    int rows = nnc_dataset_rows(data->train);
    nnc_train_options probe = nnc_train_options_default();
    probe.checkpoint = a->checkpoint;
    probe.max_epoch = a->max_epoch;
    int widest = 0, biggest = 0, effective[MAX_LIST];
    for (int b = 0; b < a->n_batch; b++) {
        probe.batch_size = a->batch[b];
        nnc_train_plan plan;
        if (!cli_train_plan(CMD, rows, &probe, 0, &plan))
            return 0;
        int work_rows = cli_work_rows(a->batch[b], rows);
        biggest = work_rows > biggest ? work_rows : biggest;
        effective[b] = plan.batch;
        for (int c = 0; c < b; c++) {
            /* The list holds distinct values, so two that train alike are
             * two that the library clamps to the whole training set. */
            if (effective[c] == effective[b]) {
                cli_error(CMD, "--batch: %d and %d both mean the whole training set of %d "
                          "rows, the same run twice", a->batch[c], a->batch[b], plan.n_train);
                return 0;
            }
        }
    }
    for (int h = 0; h < a->n_hidden; h++)
        widest = a->hidden[h] > widest ? a->hidden[h] : widest;
    int n_runs = a->n_hidden * a->n_eta * a->n_batch, shape[3] = {n_in, widest, n_out};
    return cli_check_net_memory(CMD, "--hidden", shape, 3, biggest,
                                a->jobs < n_runs ? a->jobs : n_runs);
}

/* The outputs' folder is made and locked before any run, so that a bad
 * folder costs no training and a second sweep (or train) into the same
 * one is refused instead of mixing files. */
static int make_out_dirs(const sweep_args *a, int *lock_fd)
{
    char hist_dir[4200];
    if (snprintf(hist_dir, sizeof hist_dir, "%s/histories", a->out) >= (int)sizeof hist_dir) {
        cli_error(CMD, "output path too long");
        return 0;
    }
    return cli_make_dirs(CMD, a->out) && cli_lock_dir(CMD, a->out, lock_fd) &&
           cli_make_dirs(CMD, hist_dir);
}

/* The runs in grid order, and one set of initial weights per shape, drawn
 * as nnc train draws them.  Returns CLI_OK or the exit status. */
static int plan_runs(sweep_state *st)
{
    const sweep_args *a = st->a;
    int n_in = nnc_dataset_inputs(st->data->train), n_out = nnc_dataset_outputs(st->data->train);
    st->n_runs = a->n_hidden * a->n_eta * a->n_batch;
    st->runs = calloc((size_t)st->n_runs, sizeof *st->runs);
    st->templates = calloc((size_t)a->n_hidden, sizeof *st->templates);
    if (!st->runs || !st->templates) {
        cli_error(CMD, "out of memory");
        return CLI_FAILED;
    }
    for (int h = 0; h < a->n_hidden; h++) {
        nnc_layer_spec specs[2] = {{a->hidden[h], a->activation, a->act_param},
                                   {n_out, NNC_ACT_IDENTITY, 0}};
        nnc_rng rng;
        nnc_rng_seed(&rng, a->seed);
        nnc_status s = nnc_net_create(&st->templates[h], a->task, n_in, 2, specs, 1);
        if (s == NNC_OK)
            s = nnc_net_init(st->templates[h], a->init, &rng);
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            return CLI_USAGE;
        }
    }
    for (int h = 0, k = 0; h < a->n_hidden; h++)
        for (int e = 0; e < a->n_eta; e++)
            for (int b = 0; b < a->n_batch; b++, k++) {
                st->runs[k].h = h;
                st->runs[k].e = e;
                st->runs[k].b = b;
                st->runs[k].test_accuracy = NAN;
            }
    return CLI_OK;
}

/* Runs the grid on a->jobs threads (or here, if none can start); returns
 * the wall-clock seconds it took. */
static double run_grid(sweep_state *st, sweep_args *a)
{
    int jobs = a->jobs < st->n_runs ? a->jobs : st->n_runs;
    a->jobs = jobs;
    if (!a->quiet)
        fprintf(stderr, "nnc sweep: %d runs (%d hidden x %d eta x %d batch) on %d thread%s\n",
                st->n_runs, a->n_hidden, a->n_eta, a->n_batch, jobs, jobs == 1 ? "" : "s");
    double t0 = now_seconds();
    pthread_mutex_init(&st->lock, NULL);
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    int started = 0;
    if (threads) {
        for (; started < jobs; started++)
            if (pthread_create(&threads[started], NULL, worker, st) != 0)
                break;
    }
    if (started == 0) /* no threads at all: do the work here */
        worker(st);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&st->lock);
    return now_seconds() - t0;
}

/* Prints the table, writes the files and says how the runs went; returns
 * the exit status. */
static int report_grid(sweep_state *st, double wall)
{
    const sweep_args *a = st->a;
    int status = CLI_OK;
    char *md = NULL;
    size_t md_len = 0;
    if (!build_markdown(st, wall, &md, &md_len))
        return CLI_FAILED;
    fwrite(md, 1, md_len, stdout);
    fflush(stdout);
    if (!write_outputs(st, md, md_len))
        status = CLI_FAILED;
    free(md);
    int diverged = 0, failed = 0;
    for (int k = 0; k < st->n_runs; k++) {
        diverged += st->runs[k].status == NNC_ERR_DIVERGED;
        failed += st->runs[k].status != NNC_OK && st->runs[k].status != NNC_ERR_DIVERGED;
    }
    if (failed) {
        cli_error(CMD, "%d of %d runs failed", failed, st->n_runs);
        if (status == CLI_OK)
            status = CLI_FAILED;
    }
    if (!a->quiet && status == CLI_OK)
        fprintf(stderr, "nnc sweep: wrote %s/ (sweep.csv, sweep.md, histories/, charts)%s\n",
                a->out, diverged ? "; some runs diverged" : "");
    return status;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_args a = {0};
    int parsed = parse_args(argc, argv, &a);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    cli_data data;
    if (!cli_load_data(CMD, &a.data, a.task, &data))
        return data.exit_status;
    int lock_fd = -1;
    if (!check_grid(&a, &data) || !make_out_dirs(&a, &lock_fd)) {
        cli_unlock_dir(lock_fd);
        cli_free_data(&data);
        return CLI_USAGE;
    }
    sweep_state st = {0};
    st.a = &a;
    st.data = &data;
    int status = plan_runs(&st);
    if (status == CLI_OK)
        status = report_grid(&st, run_grid(&st, &a));
    cli_unlock_dir(lock_fd);
    if (st.runs)
        for (int k = 0; k < st.n_runs; k++)
            nnc_train_result_free(&st.runs[k].result);
    if (st.templates)
        for (int h = 0; h < a.n_hidden; h++)
            nnc_net_free(st.templates[h]);
    free(st.runs);
    free(st.templates);
    cli_free_data(&data);
    return status;
}
