/* nnc train: the textbook's training run, its log, and its run folder. */
#include "cli.h"
#include "framework.h"
#include "options.h"
#include "progress.h"
#include "report.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Inputs, then one width per layer. */
#define MAX_WIDTHS (NNC_MAX_LAYERS + 1)

static const char train_intro[] =
    "usage: nnc train [sin|composite] [options]\n"
    "\n"
    "Trains a network of dense layers with mini-batch gradient descent, printing the\n"
    "textbook's log at every check, then `testing...` and the test accuracy, and\n"
    "writes <out>/<name>/: model.nnc (the model: see `nnc predict`), wb1.npz,\n"
    "wb2.npz, ... (the textbook's weight files), history.csv, hyperparameters.txt,\n"
    "history.svg, result.svg and report.html.  After a divergence the last good\n"
    "weights are saved and the exit status is 3.\n"
    "A progress bar runs on stderr when it is a terminal; Ctrl-C stops training at\n"
    "the next batch and saves what was learned.\n"
    "\n";

typedef struct train_args {
    cli_data_source data;
    const char *init_from, *name, *out;
    nnc_task task;
    nnc_init init;
    nnc_train_options opt;
    int widths[MAX_WIDTHS], n_widths; /* from --layers, or 0 */
    int hidden[MAX_WIDTHS], n_hidden; /* from --hidden */
    char activation_text[256];
    int save, no_save, quiet;
    int normalize;          /* --normalize minmax */
    int threads;            /* --threads N (nnc_net_set_threads) */
    const char *kernels;    /* --kernels NAME (nnc_net_set_kernels) */
    const char *resume;     /* --resume FILE */
    const char *optimizer;  /* --optimizer SPEC, or NULL: the model's, or sgd */
    cli_dropout dropout;    /* --dropout */
    int batchnorm;          /* --batchnorm */
    unsigned given;         /* which options the command line set (GIVEN_*) */
    char *resumed_data[6];  /* --resume: copies of the model's data settings */
} train_args;

/* Options a resumed run may or may not change. */
enum {
    GIVEN_ETA = 1, GIVEN_BATCH = 2, GIVEN_EPOCHS = 4, GIVEN_EPS = 8, GIVEN_CHECKPOINT = 16,
    GIVEN_SEED = 32, GIVEN_NETWORK = 64, GIVEN_TASK = 128, GIVEN_SPLIT = 256,
    GIVEN_L1 = 512, GIVEN_L2 = 1024, GIVEN_LR_SCHEDULE = 2048, GIVEN_PATIENCE = 4096,
    GIVEN_STOP = 8192
};

static int read_normalize(const char *cmd, const char *name, const char *value, void *dest)
{
    if (strcmp(value, "minmax") != 0 && strcmp(value, "none") != 0) {
        cli_error(cmd, "%s: '%s' is not none or minmax", name, value);
        return 0;
    }
    *(int *)dest = strcmp(value, "minmax") == 0;
    return 1;
}

/* A run name is one folder: not a path, "." or "..", and no control characters. */
static int read_run_name(const char *cmd, const char *name, const char *value, void *dest)
{
    if (strchr(value, '/') || strcmp(value, ".") == 0 || strcmp(value, "..") == 0) {
        cli_error(cmd, "%s: '%s' is not a plain folder name", name, value);
        return 0;
    }
    for (const char *c = value; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            cli_error(cmd, "%s: a folder name may not hold control characters", name);
            return 0;
        }
    }
    if (strlen(value) > 255) {
        cli_error(cmd, "%s: a folder name has at most 255 bytes (got %zu)", name,
                  strlen(value));
        return 0;
    }
    *(const char **)dest = value;
    return 1;
}

/* The data rows of train's table (see cli_data_source). */
#define TRAIN_DATA_ROWS(a)                                                                   \
    {.type = CLI_TEXT, .name = "data:"},                                                      \
    {.type = CLI_ARG, .name = "sin | composite",                                              \
     .help = "a built-in textbook data set (default: sin)"},                                  \
    {.type = CLI_ARG, .name = "--train FILE --test FILE",                                     \
     .help = ".npz (keys data, label), .csv (numbers, header optional)\n"                     \
             "or IDX images (MNIST format, raw or .gz; pixels / 255)"},                       \
    CLI_OPT_DATA_FILES(&(a)->data),                                                           \
    {.type = CLI_STRING, .name = "--label", .metavar = "COLS", .dest = &(a)->data.label,       \
     .help = "CSV label columns, 0-based, negative from the end\n(default: -1, the last)"},   \
    CLI_OPT_IDX_LABELS(&(a)->data),                                                           \
    {.type = CLI_CUSTOM, .name = "--task", .metavar = "NAME", .dest = &(a)->task,             \
     .parse = cli_read_task,                                                                  \
     .help = "fitting | binary (labels 0 and 1) | multiclass\n(default: fitting)"},           \
    CLI_OPT_MAX_MEMORY(&(a)->data.max_memory)

/* hidden, layers, activation: the cli_widths_dest and cli_text_dest of
 * --hidden, --layers and --activation. */
#define TRAIN_NETWORK_ROWS(a)                                                                \
    {.type = CLI_TEXT, .name = "network:"},                                                   \
    {.type = CLI_CUSTOM, .name = "--hidden", .metavar = "N[,N...]", .dest = &hidden,          \
     .def = "3", .parse = cli_read_layers, .help = "hidden layer widths (default: %D)"},          \
    {.type = CLI_CUSTOM, .name = "--layers", .metavar = "1,3,1", .dest = &layers,             \
     .parse = cli_read_layers, .help = "all widths, inputs first and outputs last"},              \
    {.type = CLI_CUSTOM, .name = "--activation", .metavar = "NAME[:P]", .dest = &activation,  \
     .def = CLI_DEFAULT_ACTIVATION, .parse = cli_read_text,                                 \
     .help = "hidden activation, or one per hidden layer\n"                                   \
             "separated by commas (default: %D;\nsee `nnc activations`)"},                    \
    {.type = CLI_CUSTOM, .name = "--init", .metavar = "NAME", .dest = &(a)->init,             \
     .def = "xavier", .parse = cli_read_init,                                                 \
     .help = "zero | normal | xavier | msra (default: %D)"},                                  \
    {.type = CLI_STRING, .name = "--init-from", .metavar = "DIR", .dest = &(a)->init_from,    \
     .help = "start from the textbook's w_<in>_<out>_<Init>_init.npz"}

#define TRAIN_TRAINING_ROWS(a)                                                               \
    {.type = CLI_TEXT, .name = "training:"},                                                  \
    {.type = CLI_POSITIVE, .name = "--eta", .metavar = "X", .dest = &(a)->opt.eta,            \
     .help = "learning rate (default: %D)"},                                                  \
    {.type = CLI_INT, .name = "--batch", .metavar = "N", .dest = &(a)->opt.batch_size,        \
     .min = -1, .max = 100000000, .help = "mini-batch size, -1 for the whole set (default: %D)"},     \
    {.type = CLI_INT, .name = "--epochs", .metavar = "N", .dest = &(a)->opt.max_epoch,        \
     .min = 1, .max = 100000000, .help = "maximum epochs (default: %D)"},                     \
    {.type = CLI_NONNEG, .name = "--eps", .metavar = "X", .dest = &(a)->opt.eps,              \
     .help = "stop when loss_valid <= X (default: %D)"},                                      \
    {.type = CLI_POSITIVE, .name = "--checkpoint", .metavar = "E",                            \
     .dest = &(a)->opt.checkpoint, .help = "epochs between checks (default: %D)"},            \
    {.type = CLI_SEED, .name = "--seed", .metavar = "N", .dest = &(a)->opt.seed,              \
     .help = "seed of the run's random numbers (default: %D)"},                               \
    {.type = CLI_INT, .name = "--threads", .metavar = "N", .dest = &(a)->threads, .min = 1,    \
     .max = 256,                                                                              \
     .help = "threads that share each large batch product and\n"                              \
             "update, 1 to 256; every N gives bitwise the same\n"                             \
             "weights, and small networks stay on one thread\n" CLI_THREADS_DEFAULT_HELP},    \
    {.type = CLI_CUSTOM, .name = "--kernels", .metavar = "NAME", .dest = &(a)->kernels,       \
     .parse = cli_read_kernels, .help = CLI_KERNELS_HELP},                                    \
    {.type = CLI_CUSTOM, .name = "--normalize", .metavar = "none|minmax",                     \
     .dest = &(a)->normalize, .def = "none", .parse = read_normalize,                         \
     .help = "scale inputs (and fitting targets) to [0, 1] by the\n"                          \
             "training set's min and max; the model file keeps the\n"                         \
             "scaling, so `nnc predict` takes raw values (default: %D)"},                      \
    {.type = CLI_STRING, .name = "--resume", .metavar = "FILE", .dest = &(a)->resume,         \
     .help = "carry on from a model.nnc: same network, weights,\n"                            \
             "scaling, epoch count and shuffle order; --epochs, --eta,\n"                     \
             "--eps and --checkpoint may change, the rest may not;\n"                         \
             "the data is the model's own unless given again\n"                               \
             "(other data needs as many training rows: the\n"                                 \
             "shuffle order is kept).\n"                                                      \
             "Writes into FILE's folder unless --out/--name say else"}

/* The book's framework (ch10–16): framework.c reads these. */
#define TRAIN_FRAMEWORK_ROWS(a)                                                              \
    {.type = CLI_TEXT, .name = "framework (the book's ch10-16):"},                            \
    {.type = CLI_CUSTOM, .name = "--split", .metavar = "first|shuffled",                      \
     .dest = &(a)->opt.split, .def = "first", .parse = cli_read_split,                        \
     .help = "validation rows: the first tenth (ch09) or a tenth\n"                           \
             "drawn from --seed (ch10 on) (default: %D)"},                                    \
    {.type = CLI_CUSTOM, .name = "--shuffle", .metavar = "epoch|once|none",                   \
     .dest = &(a)->opt.shuffle, .def = "epoch", .parse = cli_read_shuffle,                    \
     .help = "the training order: reshuffled every epoch, shuffled\n"                         \
             "once, or as the split leaves it (default: %D)"},                                \
    {.type = CLI_CUSTOM, .name = "--optimizer", .metavar = "NAME[:K=V,...]",                  \
     .dest = &(a)->optimizer, .def = "sgd", .parse = cli_read_optimizer,                      \
     .help = "sgd | momentum | nag | adagrad | adadelta | rmsprop |\n"                        \
             "adam | adamw, e.g. adam:beta1=0.9,beta2=0.999\n"                                \
             "(see `nnc optimizers`; default: %D)"},                                          \
    {.type = CLI_CUSTOM, .name = "--lr-schedule", .metavar = "SCHEDULE", .dest = &(a)->opt,   \
     .parse = cli_read_lr_schedule,                                                           \
     .help = "constant | step:every=E,factor=F | cosine: the\n"                               \
             "learning rate by epoch (default: constant)"},                                   \
    {.type = CLI_NONNEG, .name = "--l2", .metavar = "X", .dest = &(a)->opt.l2,                \
     .help = "L2 regularisation: dW += X*W/m, cost X/2m*sum w^2\n(default: %D)"},             \
    {.type = CLI_NONNEG, .name = "--l1", .metavar = "X", .dest = &(a)->opt.l1,                \
     .help = "L1 regularisation: dW += X*sign(W)/m, cost X/m*sum|w|\n(default: %D)"},         \
    {.type = CLI_CUSTOM, .name = "--dropout", .metavar = "R[,R...]", .dest = &(a)->dropout,   \
     .parse = cli_read_dropout,                                                               \
     .help = "a dropout layer after each hidden layer, rate R in\n"                           \
             "[0, 1), or one rate per hidden layer (0: none)"},                               \
    {.type = CLI_FLAG, .name = "--batchnorm", .dest = &(a)->batchnorm,                        \
     .help = "batch norm before each hidden activation"},                                     \
    {.type = CLI_INT, .name = "--patience", .metavar = "N", .dest = &(a)->opt.patience,       \
     .min = 1, .max = 100000000,                                                              \
     .help = "early stopping: stop after N checks without a new\n"                            \
             "best loss_valid and keep the best weights"},                                    \
    {.type = CLI_CUSTOM, .name = "--stop", .metavar = "loss:X|diff:X", .dest = &(a)->opt,     \
     .parse = cli_read_stop,                                                                  \
     .help = "stop when loss_valid <= X (as --eps), or when it\n"                             \
             "changes by less than X at more than 3 checks in a row"}

#define TRAIN_OUTPUT_ROWS(a)                                                                 \
    {.type = CLI_TEXT, .name = "output:"},                                                    \
    {.type = CLI_CUSTOM, .name = "--name", .metavar = "NAME", .dest = &(a)->name,             \
     .parse = read_run_name, .help = "run name (default: <data>_<widths>, e.g. sin_131)"},    \
    {.type = CLI_STRING, .name = "--out", .metavar = "DIR", .dest = &(a)->out, .def = ".",    \
     .help = "parent folder of the run folder (default: %D)"},                                \
    {.type = CLI_FLAG, .name = "--no-save", .dest = &(a)->no_save,                            \
     .help = "write nothing (so not with --out or --name)"},                                  \
    {.type = CLI_FLAG, .name = "--quiet", .short_name = "-q", .dest = &(a)->quiet,            \
     .help = "no progress bar (it shows only on a terminal anyway)"},                         \
    CLI_OPT_HELP("this text")

/* The options that do not go together, and the data set named as an argument. */
static int check_train_args(const cli_command *c, int n_args, char **args, train_args *a)
{
    if (n_args > 1) {
        cli_error("train", "unexpected argument '%s'", args[2]);
        return 0;
    }
    a->data.builtin = n_args ? args[1] : NULL;
    static const char *const network[] = {"--hidden",    "--layers",    "--activation",
                                          "--init",      "--init-from", "--normalize",
                                          "--dropout",   "--batchnorm"};
    for (size_t k = 0; k < sizeof network / sizeof network[0]; k++)
        if (cli_given(c, network[k]))
            a->given |= GIVEN_NETWORK;
    static const struct {
        const char *flag;
        unsigned bit;
    } tracked[] = {{"--eta", GIVEN_ETA},     {"--batch", GIVEN_BATCH},
                   {"--epochs", GIVEN_EPOCHS}, {"--eps", GIVEN_EPS},
                   {"--checkpoint", GIVEN_CHECKPOINT}, {"--seed", GIVEN_SEED},
                   {"--task", GIVEN_TASK}, {"--split", GIVEN_SPLIT},
                   {"--shuffle", GIVEN_SPLIT}, {"--optimizer", GIVEN_SPLIT},
                   {"--l1", GIVEN_L1}, {"--l2", GIVEN_L2},
                   {"--lr-schedule", GIVEN_LR_SCHEDULE}, {"--patience", GIVEN_PATIENCE},
                   {"--stop", GIVEN_STOP}};
    for (size_t t = 0; t < sizeof tracked / sizeof tracked[0]; t++)
        if (cli_given(c, tracked[t].flag))
            a->given |= tracked[t].bit;
    a->save = !a->no_save;
    if (a->opt.batch_size == 0) {
        cli_error("train", "--batch must be positive, or -1 for the whole set");
        return 0;
    }
    if (cli_given(c, "--hidden") && a->n_widths) {
        cli_error("train", "give --hidden or --layers, not both");
        return 0;
    }
    if (!a->save && (a->name || strcmp(a->out, ".") != 0)) {
        cli_error("train", "--no-save writes nothing, so %s has no use; leave one out",
                  a->name ? "--name" : "--out");
        return 0;
    }
    if (a->save && strcmp(a->out, ".") != 0 && !cli_check_out_dir("train", "--out", a->out))
        return 0;
    if (a->resume && !a->data.builtin && !a->data.train_path && !a->data.test_path &&
        (a->data.label || a->data.train_labels || a->data.test_labels)) {
        cli_error("train", "%s goes with --train/--test; without them --resume carries on "
                  "with the model's own data and label columns",
                  a->data.label ? "--label" : a->data.train_labels ? "--train-labels"
                                                                   : "--test-labels");
        return 0;
    }
    if (a->resume && (a->given & (GIVEN_NETWORK | GIVEN_BATCH | GIVEN_SEED | GIVEN_SPLIT))) {
        cli_error("train", "--resume takes the network, its scaling, the batch size, the "
                  "split, the shuffle, the optimizer and the random state from the model "
                  "file; --hidden, --layers, --activation, --init, --init-from, --normalize, "
                  "--dropout, --batchnorm, --batch, --seed, --split, --shuffle and "
                  "--optimizer cannot change them");
        return 0;
    }
    if (cli_given(c, "--stop") && cli_given(c, "--eps")) {
        cli_error("train", "--eps X is --stop loss:X: give one of them");
        return 0;
    }
    if (!a->resume && (a->given & GIVEN_CHECKPOINT) && a->opt.checkpoint > a->opt.max_epoch) {
        char ck[32];
        cli_format_number(ck, sizeof ck, a->opt.checkpoint);
        cli_error("train", "--checkpoint %s is more than --epochs %d: no check would run, "
                  "so nothing would be logged or validated", ck, a->opt.max_epoch);
        return 0;
    }
    return 1;
}

/* Reads the command line into *a: CLI_PARSE_OK, or CLI_PARSE_HELP after
 * printing --help, or CLI_PARSE_ERROR after printing the error. */
static int parse_args(int argc, char **argv, train_args *a)
{
    a->opt = nnc_train_options_default();
    a->threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX);
    cli_widths_dest hidden = {a->hidden, NNC_MAX_LAYERS - 1, &a->n_hidden, 0};
    cli_widths_dest layers = {a->widths, MAX_WIDTHS, &a->n_widths, 1};
    cli_text_dest activation = {a->activation_text, sizeof a->activation_text};
    cli_opt rows[] = {TRAIN_DATA_ROWS(a), TRAIN_NETWORK_ROWS(a), TRAIN_TRAINING_ROWS(a),
                      TRAIN_FRAMEWORK_ROWS(a), TRAIN_OUTPUT_ROWS(a)};
    cli_command command = {.name = "train", .intro = train_intro, .column = 26,
                           .outro = "Each option may be given once.\n", CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed == CLI_PARSE_OK && !check_train_args(&command, n_args, argv, a))
        return CLI_PARSE_ERROR;
    return parsed;
}

/* Builds the layer list from the widths and the activation text, with
 * batch norm and dropout where asked (*n_layers: how many). */
static int build_specs(const train_args *a, const int *widths, int n_dense,
                       nnc_layer_spec *specs, int *n_layers)
{
    nnc_layer_spec dense[NNC_MAX_LAYERS];
    for (int l = 0; l < n_dense; l++)
        dense[l] = (nnc_layer_spec){.units = widths[l + 1], .activation = NNC_ACT_IDENTITY};
    return cli_parse_activation_list("train", a->activation_text, n_dense - 1, dense) &&
           cli_expand_layers("train", dense, n_dense, &a->dropout, a->batchnorm, specs,
                             n_layers);
}

/* Ctrl-C: the handler only raises this flag; training stops at the next
 * update, and the run is saved as it stands.  (A signal handler can reach
 * nothing else, so this one flag is the CLI's only global state.) */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends the process at once */
}

typedef struct run_log {
    progress bar;
    FILE *text;          /* a copy of stdout's log, for the report */
    char *text_buf;
    size_t text_len;
} run_log;

/* Prints one line of the log to stdout and to its copy. */
static void log_line(run_log *log, const char *line)
{
    progress_clear(&log->bar);
    fputs(line, stdout);
    fputc('\n', stdout);
    if (log->text) {
        fputs(line, log->text);
        fputc('\n', log->text);
    }
}

/* Prints one check in the textbook's exact format. */
static int print_check(const nnc_checkpoint *c, void *user)
{
    run_log *log = user;
    char line[128];
    snprintf(line, sizeof line, "epoch=%d, total_iteration=%ld", c->epoch, c->total_iteration);
    log_line(log, line);
    snprintf(line, sizeof line, "loss_train=%.6f, accuracy_train=%f", c->loss_train,
             c->accuracy_train);
    log_line(log, line);
    snprintf(line, sizeof line, "loss_valid=%.6f, accuracy_valid=%f", c->loss_valid,
             c->accuracy_valid);
    log_line(log, line);
    fflush(stdout);
    progress_check(&log->bar, c);
    return 0;
}

static int on_step(int epoch, long total_iteration, void *user)
{
    progress_step(&((run_log *)user)->bar, epoch, total_iteration);
    return interrupted;
}

/* Whether the run uses any of the book's framework options (the settings
 * files then record them all; a run without them writes what it always
 * did). */
static int uses_framework(const train_args *a, const nnc_net *net)
{
    const nnc_train_options *o = &a->opt;
    int layers = 0;
    for (int l = 0; l < nnc_net_layers(net); l++)
        layers |= nnc_net_layer(net, l).kind != NNC_LAYER_DENSE;
    char spec[256];
    const int sgd = nnc_net_optimizer_spec(net, spec, sizeof spec) == NNC_OK && !strcmp(spec, "sgd");
    return layers || o->split || o->shuffle || o->lr_schedule || o->l1 > 0 || o->l2 > 0 ||
           o->patience > 0 || o->stop_diff > 0 || !sgd;
}

/* The framework's settings, "key = value" lines, and the weight
 * statistics that show what L1/L2 did. */
static void put_framework_settings(FILE *f, const train_args *a, const nnc_net *net)
{
    if (!uses_framework(a, net))
        return;
    char spec[256], sched[64], x[32];
    if (nnc_net_optimizer_spec(net, spec, sizeof spec) != NNC_OK)
        snprintf(spec, sizeof spec, "?");
    cli_format_lr_schedule(sched, sizeof sched, &a->opt);
    fprintf(f, "split = %s\nshuffle = %s\noptimizer = %s\nlr_schedule = %s\n",
            cli_split_name(a->opt.split), cli_shuffle_name(a->opt.shuffle), spec, sched);
    cli_format_shortest(x, sizeof x, a->opt.l1);
    fprintf(f, "l1 = %s\n", x);
    cli_format_shortest(x, sizeof x, a->opt.l2);
    fprintf(f, "l2 = %s\npatience = %d\n", x, a->opt.patience);
    cli_format_shortest(x, sizeof x, a->opt.stop_diff);
    fprintf(f, "stop_diff = %s\n", x);
    fputs("network = ", f);
    for (int l = 0; l < nnc_net_layers(net); l++) {
        const nnc_layer_spec L = nnc_net_layer(net, l);
        fprintf(f, "%s%s", l ? "," : "", nnc_layer_kind_name(L.kind));
        if (L.kind == NNC_LAYER_DROPOUT) {
            cli_format_shortest(x, sizeof x, L.rate);
            fprintf(f, ":%s", x);
        } else {
            fprintf(f, ":%d", L.units);
        }
    }
    const nnc_weight_stats st = nnc_net_weight_stats(net);
    cli_format_shortest(x, sizeof x, st.abs_sum);
    fprintf(f, "\nweights_abs_sum = %s\nweights_total = %ld\nweights_little = %ld\n"
            "weights_zero = %ld\n", x, st.total, st.little, st.zero);
}

/* Writes history.csv and hyperparameters.txt, keeping the latter's text in
 * *settings for the report. */
static int save_settings(const char *dir, const train_args *a, const nnc_net *net,
                         const int *widths, int n_widths, const nnc_train_result *r,
                         double test_accuracy, const char *data_name, char **settings)
{
    char path[4200];
    char *text;
    size_t len;
    snprintf(path, sizeof path, "%s/history.csv", dir);
    if (!cli_write_history("train", path, r->history, r->history_count))
        return 0;

    FILE *f = open_memstream(&text, &len);
    if (!f) {
        cli_error("train", "out of memory");
        return 0;
    }
    fprintf(f, "# nnc %s: the settings and outcome of this training run\n", nnc_version());
    /* Names and paths come from the command line and the file system: each
     * is escaped so that none can add a line (a forged result) of its own. */
    static const char *const text_keys[] = {"data", "train_file", "test_file",
                                            "label_columns", "train_labels", "test_labels"};
    const char *text_values[] = {data_name, a->data.train_path, a->data.test_path,
                                 a->data.label, a->data.train_labels, a->data.test_labels};
    for (int k = 0; k < 6; k++) {
        if (!text_values[k])
            continue;
        fprintf(f, "%s = ", text_keys[k]);
        cli_put_value(f, text_values[k], NULL);
        fputc('\n', f);
    }
    fprintf(f, "task = %s\nlayers = ", nnc_task_name(a->task));
    for (int i = 0; i < n_widths; i++)
        fprintf(f, "%s%d", i ? "," : "", widths[i]);
    fputs("\nactivation = ", f);
    cli_put_value(f, a->activation_text, NULL);
    fprintf(f, "\ninit = %s\n", nnc_init_name(a->init));
    if (a->init_from) {
        fputs("init_from = ", f);
        cli_put_value(f, a->init_from, NULL);
        fputc('\n', f);
    }
    fprintf(f, "normalize = %s\n", a->normalize ? "minmax" : "none");
    char eta[32], eps[32], ck[32];
    cli_format_shortest(eta, sizeof eta, a->opt.eta);
    cli_format_shortest(eps, sizeof eps, a->opt.eps);
    cli_format_shortest(ck, sizeof ck, a->opt.checkpoint);
    fprintf(f, "eta = %s\nbatch = %d\nmax_epoch = %d\neps = %s\ncheckpoint = %s\n", eta,
            a->opt.batch_size, a->opt.max_epoch, eps, ck);
    fprintf(f, "seed = %llu\nreal = %s\n", (unsigned long long)a->opt.seed,
            sizeof(nnc_real) == 8 ? "double" : "float");
    put_framework_settings(f, a, net);
    fprintf(f, "n_train = %d\nn_valid = %d\niterations_per_epoch = %d\n", r->n_train,
            r->n_valid, r->iterations_per_epoch);
    fprintf(f, "checkpoint_iteration = %ld\nepochs_run = %d\niterations = %ld\n",
            r->checkpoint_iteration, r->epochs_run, r->iterations);
    fprintf(f, "stopped_early = %d\n", r->stopped_early);
    if (r->history_count) {
        const nnc_checkpoint *c = &r->history[r->history_count - 1];
        char loss[32], acc[32];
        cli_format_shortest(loss, sizeof loss, c->loss_valid);
        cli_format_shortest(acc, sizeof acc, c->accuracy_valid);
        fprintf(f, "loss_valid = %s\naccuracy_valid = %s\n", loss, acc);
    }
    if (!isnan(test_accuracy)) {
        char acc[32];
        cli_format_shortest(acc, sizeof acc, test_accuracy);
        fprintf(f, "test_accuracy = %s\n", acc);
    }
    if (interrupted)
        fprintf(f, "interrupted = 1\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/hyperparameters.txt", dir);
    *settings = strdup(text);
    return cli_write_text("train", path, text, len) && *settings;
}

/* Saves a chart as dir/file and keeps its SVG text for the report. */
static int save_chart(const char *dir, const char *file, nnc_status made, nnc_plot *plot,
                      const char *caption, report_figure *fig, char **svg_text)
{
    char path[4200];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    nnc_status s = made;
    if (s == NNC_OK)
        s = nnc_plot_save(plot, path);
    if (s == NNC_OK)
        s = nnc_plot_svg(plot, svg_text, &len);
    nnc_plot_free(plot);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        return 0;
    }
    fig->caption = caption;
    fig->svg = *svg_text;
    return 1;
}

static int all_dense(const nnc_net *net)
{
    for (int l = 0; l < nnc_net_layers(net); l++)
        if (nnc_net_layer(net, l).kind != NNC_LAYER_DENSE)
            return 0;
    return 1;
}

/* The run folder: weights, history, settings, charts and the report. */
static int save_run(const char *dir, const train_args *a, nnc_net *net, const cli_data *data,
                    const int *widths, int n_widths, const nnc_train_result *r,
                    double test_accuracy, const char *name, const char *log)
{
    nnc_status s = NNC_OK;
    if (all_dense(net))
        s = nnc_net_save_textbook(net, dir);
    else
        fprintf(stderr, "nnc train: note: no wb1..wb%d.npz: the textbook's weight files hold "
                "dense layers only, not batch norm or dropout (model.nnc holds them)\n",
                n_widths - 1);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        return 0;
    }
    char *settings = NULL, *svgs[2] = {NULL, NULL};
    report_figure figs[2];
    int n_figs = 0, ok = save_settings(dir, a, net, widths, n_widths, r, test_accuracy,
                                       data->name, &settings);
    /* The textbook's chart title: bz:<batch>,eta:<eta>,ne:<hidden widths>. */
    char title[256], eta[32];
    cli_format_shortest(eta, sizeof eta, a->opt.eta);
    int k = snprintf(title, sizeof title, "bz:%d,eta:%s,ne:", a->opt.batch_size, eta);
    for (int i = 1; i < n_widths - 1 && k < (int)sizeof title; i++)
        k += snprintf(title + k, sizeof title - (size_t)k, "%s%d", i > 1 ? "-" : "", widths[i]);
    nnc_plot *plot = NULL;
    if (ok && r->history_count > 0) {
        s = nnc_chart_history(&plot, r->history, r->history_count, title);
        ok = save_chart(dir, "history.svg", s, plot, "Training history: loss and accuracy "
                        "against epoch, on the last mini-batch and the validation set",
                        &figs[n_figs], &svgs[n_figs]);
        n_figs += ok;
    }
    int n_in = widths[0], n_out = widths[n_widths - 1];
    if (ok && a->task == NNC_TASK_FITTING && n_in == 1 && n_out == 1) {
        s = nnc_chart_fit(&plot, net, data->train, data->test, title);
        ok = save_chart(dir, "result.svg", s, plot, "Fit result: training samples, the true "
                        "test curve and the network's prediction", &figs[n_figs],
                        &svgs[n_figs]);
        n_figs += ok;
    } else if (ok && a->task != NNC_TASK_FITTING && n_in == 2) {
        s = nnc_chart_decision(&plot, net, data->train, data->first_label, title);
        ok = save_chart(dir, "result.svg", s, plot, "Decision regions with the training "
                        "samples", &figs[n_figs], &svgs[n_figs]);
        n_figs += ok;
    }
    if (ok) {
        char shape[512], path[4200];
        int n = 0;
        for (int i = 0; i < n_widths && n < (int)sizeof shape; i++)
            n += snprintf(shape + n, sizeof shape - (size_t)n, "%s%d", i ? "-" : "", widths[i]);
        report_info info = {name, shape, settings, log, figs, n_figs};
        snprintf(path, sizeof path, "%s/report.html", dir);
        ok = report_write(path, &info);
    }
    free(settings);
    free(svgs[0]);
    free(svgs[1]);
    return ok;
}

/* The folder holding `path` ("." when it has none) and that folder's name. */
static int split_model_path(const char *path, char *dir, size_t dir_size, char *name,
                            size_t name_size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, dir_size, ".");
    else if (snprintf(dir, dir_size, "%.*s", (int)(slash - path), slash == path ? "/" : path) >=
             (int)dir_size)
        return 0;
    if (slash == path)
        snprintf(dir, dir_size, "/");
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        base = "run";
    return snprintf(name, name_size, "%s", base) < (int)name_size;
}

/* --resume: the model file, its network rebuilt for this run's batch size,
 * and the options it was trained with, overridden by the command line's. */
static int load_resume(train_args *a, nnc_model *model)
{
    if (cli_load_model("train", a->resume, 1, model) != CLI_OK)
        return 0; /* it said why, with a hint when --resume names a folder */
    if (!model->has_state) {
        cli_error("train", "%s has no training state (it was converted or exported, not "
                  "trained by nnc train), so it cannot be resumed", a->resume);
        return 0;
    }
    nnc_task task = nnc_net_task(model->net);
    if ((a->given & GIVEN_TASK) && a->task != task) {
        cli_error("train", "--task %s does not match %s, a %s model", nnc_task_name(a->task),
                  a->resume, nnc_task_name(task));
        return 0;
    }
    a->task = task;
    /* No data on the command line: the data the model was trained on. */
    cli_data_source *d = &a->data;
    if (!d->builtin && !d->train_path && !d->test_path) {
        /* Copies: the model's entries are replaced when it is saved again. */
        static const char *const keys[] = {"data", "train_file", "test_file",
                                           "label_columns", "train_labels", "test_labels"};
        const char **slots[] = {&d->builtin, &d->train_path, &d->test_path,
                                &d->label, &d->train_labels, &d->test_labels};
        for (int k = 0; k < 6; k++) {
            const char *v = nnc_model_get_meta(model, keys[k]);
            if (v && !(a->resumed_data[k] = strdup(v))) {
                cli_error("train", "out of memory");
                return 0;
            }
            *slots[k] = a->resumed_data[k];
        }
        if (d->train_path || (d->builtin && !cli_is_builtin(d->builtin)))
            d->builtin = NULL; /* a file's stem, not a built-in set */
    }
    nnc_train_options given = a->opt;
    a->opt = model->state.options;
    if (a->given & GIVEN_ETA)
        a->opt.eta = given.eta;
    if (a->given & GIVEN_EPOCHS)
        a->opt.max_epoch = given.max_epoch;
    if (a->given & GIVEN_EPS)
        a->opt.eps = given.eps;
    if (a->given & GIVEN_CHECKPOINT)
        a->opt.checkpoint = given.checkpoint;
    if (a->given & GIVEN_L1)
        a->opt.l1 = given.l1;
    if (a->given & GIVEN_L2)
        a->opt.l2 = given.l2;
    if (a->given & GIVEN_LR_SCHEDULE) {
        a->opt.lr_schedule = given.lr_schedule;
        a->opt.lr_every = given.lr_every;
        a->opt.lr_factor = given.lr_factor;
    }
    if (a->given & GIVEN_PATIENCE)
        a->opt.patience = given.patience;
    if (a->given & GIVEN_STOP) {
        a->opt.eps = given.eps;
        a->opt.stop_diff = given.stop_diff;
    }
    a->opt.resume = &model->state;
    if (model->state.epoch >= a->opt.max_epoch) {
        cli_error("train", "%s has already trained %d epochs; give a larger --epochs to "
                  "carry on", a->resume, model->state.epoch);
        return 0;
    }
    return 1;
}

/* A network of the same layers as `from`, with its weights, and work
 * buffers for `batch` rows. */
static nnc_status rebuild_net(nnc_net **out, nnc_net *from, int batch)
{
    nnc_layer_spec specs[NNC_MAX_LAYERS];
    int n_layers = nnc_net_layers(from);
    if (n_layers > NNC_MAX_LAYERS) /* cmd_train checked it: never reached */
        return NNC_ERR_ARGUMENT;
    for (int l = 0; l < n_layers; l++)
        specs[l] = nnc_net_layer(from, l);
    nnc_status s = nnc_net_create(out, nnc_net_task(from), nnc_net_inputs(from), n_layers,
                                  specs, batch);
    if (s != NNC_OK)
        return s;
    memcpy(nnc_net_parameters(*out), nnc_net_parameters(from),
           nnc_net_parameter_count(from) * sizeof(nnc_real));
    for (int l = 0; l < n_layers; l++) {
        nnc_real *mean = nnc_net_running_mean(from, l), *var = nnc_net_running_var(from, l);
        if (mean) { /* batch norm's running statistics */
            memcpy(nnc_net_running_mean(*out, l), mean, (size_t)specs[l].units * sizeof *mean);
            memcpy(nnc_net_running_var(*out, l), var, (size_t)specs[l].units * sizeof *var);
        }
    }
    /* The optimizer as it stands: its spec, state and count of updates. */
    char spec[256];
    s = nnc_net_optimizer_spec(from, spec, sizeof spec);
    if (s == NNC_OK)
        s = nnc_net_set_optimizer(*out, spec);
    if (s != NNC_OK)
        return s;
    size_t n_from, n_to;
    const nnc_real *state = nnc_net_optimizer_state(from, &n_from);
    nnc_real *to = nnc_net_optimizer_state(*out, &n_to);
    if (n_from && n_from == n_to)
        memcpy(to, state, n_from * sizeof *state);
    nnc_net_set_optimizer_steps(*out, nnc_net_optimizer_steps(from));
    return NNC_OK;
}

/* Min–max scaling from the training set, applied to both sets (fitting
 * targets too), or the resumed model's own scaling. */
static int scale_data(const train_args *a, cli_data *data, nnc_model *model)
{
    nnc_status s = NNC_OK;
    if (!a->resume && a->normalize) {
        s = nnc_scaling_minmax(&model->x_scaling, nnc_dataset_x(data->train),
                               nnc_dataset_rows(data->train), nnc_dataset_inputs(data->train));
        if (s == NNC_OK && a->task == NNC_TASK_FITTING)
            s = nnc_scaling_minmax(&model->y_scaling, nnc_dataset_y(data->train),
                                   nnc_dataset_rows(data->train),
                                   nnc_dataset_outputs(data->train));
    }
    if (s == NNC_OK)
        s = nnc_dataset_scale(data->train, &model->x_scaling, &model->y_scaling);
    if (s == NNC_OK)
        s = nnc_dataset_scale(data->test, &model->x_scaling, &model->y_scaling);
    if (s != NNC_OK)
        cli_status_error("train", s);
    return s == NNC_OK;
}

/* Sets a provenance entry from a printf format. */
static nnc_status meta(nnc_model *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static nnc_status meta(nnc_model *m, const char *key, const char *fmt, ...)
{
    char value[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    return nnc_model_set_meta(m, key, value);
}

static const char *outcome_name(nnc_status ts, const nnc_train_result *r)
{
    if (ts == NNC_ERR_DIVERGED)
        return "diverged";
    if (ts == NNC_ERR_INTERRUPTED)
        return "interrupted";
    return r->stopped_early ? "stopped_early" : "finished";
}

/* The provenance a model file carries: where it came from and how it did. */
static nnc_status describe_model(nnc_model *m, const train_args *a, const cli_data *data,
                                 const int *widths, int n_widths, const nnc_train_result *r,
                                 nnc_status ts, double test_accuracy)
{
    char when[32], num[32], layers[512];
    cli_utc_now(when, sizeof when);
    int k = 0;
    for (int i = 0; i < n_widths && k < (int)sizeof layers; i++)
        k += snprintf(layers + k, sizeof layers - (size_t)k, "%s%d", i ? "," : "", widths[i]);
    nnc_status s = meta(m, "created", "%s", when);
    if (s == NNC_OK)
        s = meta(m, "data", "%s", data->name);
    if (s == NNC_OK && a->data.train_path)
        s = meta(m, "train_file", "%s", a->data.train_path);
    if (s == NNC_OK && a->data.test_path)
        s = meta(m, "test_file", "%s", a->data.test_path);
    if (s == NNC_OK && a->data.label)
        s = meta(m, "label_columns", "%s", a->data.label);
    if (s == NNC_OK && a->data.train_labels)
        s = meta(m, "train_labels", "%s", a->data.train_labels);
    if (s == NNC_OK && a->data.test_labels)
        s = meta(m, "test_labels", "%s", a->data.test_labels);
    if (s == NNC_OK && data->sha256[0])
        s = meta(m, "train_sha256", "%s", data->sha256);
    if (s == NNC_OK)
        s = meta(m, "task", "%s", nnc_task_name(a->task));
    if (s == NNC_OK)
        s = meta(m, "layers", "%s", layers);
    if (s == NNC_OK && !a->resume)
        s = meta(m, "activation", "%s", a->activation_text);
    if (s == NNC_OK && !a->resume)
        s = meta(m, "init", "%s", a->init_from ? a->init_from : nnc_init_name(a->init));
    if (s == NNC_OK && !a->resume)
        s = meta(m, "normalize", "%s", a->normalize ? "minmax" : "none");
    if (s == NNC_OK && a->resume)
        s = meta(m, "resumed_from", "%s", a->resume);
    cli_format_shortest(num, sizeof num, a->opt.eta);
    if (s == NNC_OK)
        s = meta(m, "eta", "%s", num);
    if (s == NNC_OK)
        s = meta(m, "batch", "%d", a->opt.batch_size);
    if (s == NNC_OK)
        s = meta(m, "max_epoch", "%d", a->opt.max_epoch);
    cli_format_shortest(num, sizeof num, a->opt.eps);
    if (s == NNC_OK)
        s = meta(m, "eps", "%s", num);
    cli_format_shortest(num, sizeof num, a->opt.checkpoint);
    if (s == NNC_OK)
        s = meta(m, "checkpoint", "%s", num);
    if (s == NNC_OK)
        s = meta(m, "seed", "%llu", (unsigned long long)a->opt.seed);
    if (s == NNC_OK)
        s = meta(m, "real", "%s", sizeof(nnc_real) == 8 ? "double" : "float");
    if (s == NNC_OK)
        s = meta(m, "outcome", "%s", outcome_name(ts, r));
    if (s == NNC_OK)
        s = meta(m, "epochs_run", "%d", r->epochs_run);
    if (s == NNC_OK)
        s = meta(m, "iterations", "%ld", r->iterations);
    if (s == NNC_OK && r->history_count) {
        const nnc_checkpoint *c = &r->history[r->history_count - 1];
        cli_format_shortest(num, sizeof num, c->loss_valid);
        s = meta(m, "loss_valid", "%s", num);
        cli_format_shortest(num, sizeof num, c->accuracy_valid);
        if (s == NNC_OK)
            s = meta(m, "accuracy_valid", "%s", num);
    }
    if (s == NNC_OK && !isnan(test_accuracy)) {
        cli_format_shortest(num, sizeof num, test_accuracy);
        s = meta(m, "test_accuracy", "%s", num);
    }
    return s;
}

/* Appends this run's checks to a resumed model's history, in r. */
static int join_history(const nnc_model *prev, nnc_train_result *r)
{
    if (!prev->history_count)
        return 1;
    size_t n = prev->history_count + r->history_count;
    nnc_checkpoint *all = malloc(n * sizeof *all);
    if (!all) {
        cli_error("train", "out of memory");
        return 0;
    }
    memcpy(all, prev->history, prev->history_count * sizeof *all);
    if (r->history_count)
        memcpy(all + prev->history_count, r->history, r->history_count * sizeof *all);
    free(r->history);
    r->history = all;
    r->history_count = n;
    return 1;
}

/* What was learned is never lost: when the model cannot be written where
 * asked, it goes to the current folder, else $TMPDIR, else /tmp, under a
 * new name, and the message says where.  Returns 1 if it was written. */
static int rescue_model(const nnc_model *m, const char *wanted)
{
    const char *tmpdir = getenv("TMPDIR");
    const char *places[] = {".", tmpdir && *tmpdir ? tmpdir : "/tmp", "/tmp"};
    char when[32], path[4200];
    cli_utc_now(when, sizeof when);
    for (char *c = when; *c; c++)
        *c = *c == ':' ? '-' : *c;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/nnc-rescued-%s-%ld.nnc", places[i], when,
                 (long)getpid());
        struct stat st;
        if (stat(path, &st) == 0 || nnc_model_save(m, path) != NNC_OK)
            continue;
        fprintf(stderr, "nnc train: the model could not be written to %s, so it was saved "
                "as %s instead (carry on with: nnc train --resume %s)\n", wanted, path, path);
        return 1;
    }
    cli_error("train", "the model could not be written anywhere (%s, ., $TMPDIR, /tmp): what "
              "was learned is lost", wanted);
    return 0;
}

/* Writes dir/model.nnc: the network, its scaling, the state to resume from,
 * the whole history and provenance (dir_ok 0: the run folder is gone, so
 * the model is rescued elsewhere; 0 is returned either way it fails). */
static int save_model(const char *dir, int dir_ok, nnc_model *m, const train_args *a,
                      const cli_data *data, const int *widths, int n_widths,
                      nnc_train_result *r, nnc_status ts, double test_accuracy)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.nnc", dir);
    m->label_base = data->first_label;
    nnc_train_state_free(&m->state);
    m->state = r->state;
    m->has_state = 1;
    r->state.order = NULL; /* now the model's, as is best_params */
    r->state.best_params = NULL;
    free(m->history);
    m->history = malloc((r->history_count ? r->history_count : 1) * sizeof *m->history);
    if (!m->history) {
        cli_error("train", "out of memory");
        return 0;
    }
    if (r->history_count)
        memcpy(m->history, r->history, r->history_count * sizeof *m->history);
    m->history_count = r->history_count;
    nnc_status s = describe_model(m, a, data, widths, n_widths, r, ts, test_accuracy);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        return 0;
    }
    if (!dir_ok) {
        rescue_model(m, path);
        return 0;
    }
    s = nnc_model_save(m, path);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        rescue_model(m, path);
        return 0;
    }
    return 1;
}

/* One training run from its parsed arguments to its saved folder. */
typedef struct train_run {
    train_args a;
    nnc_model model;  /* the model being built (or resumed); owns the net once saved */
    cli_data data;
    nnc_net *net;
    nnc_train_plan plan;
    nnc_train_result result;
    run_log log;
    int widths[MAX_WIDTHS], n_widths;
    nnc_layer_spec specs[NNC_MAX_LAYERS]; /* a new network's layers */
    int n_layers;
    char name[256], dir[4096];
    int lock_fd;
} train_run;

/* The widths of the network: the resumed model's, --layers, or the data's
 * inputs, --hidden and the data's outputs; checked against the data. */
static int choose_widths(train_run *run)
{
    train_args *a = &run->a;
    int *widths = run->widths;
    int n_in = nnc_dataset_inputs(run->data.train), n_out = nnc_dataset_outputs(run->data.train);
    if (a->resume) {
        const nnc_net *net = run->model.net;
        /* Checked before copying: the model reader holds to the same limit,
         * but widths[] must not depend on that. */
        if (nnc_net_layers(net) > NNC_MAX_LAYERS) {
            cli_error("train", "%s has %d layers, more than the %d a network may have",
                      a->resume, nnc_net_layers(net), NNC_MAX_LAYERS);
            return 0;
        }
        /* The dense layers' widths (batch norm and dropout keep theirs). */
        run->n_widths = 1;
        widths[0] = nnc_net_inputs(net);
        for (int l = 0; l < nnc_net_layers(net); l++)
            if (nnc_net_layer(net, l).kind == NNC_LAYER_DENSE)
                widths[run->n_widths++] = nnc_net_layer(net, l).units;
    } else if (a->n_widths) {
        memcpy(widths, a->widths, (size_t)a->n_widths * sizeof *widths);
        run->n_widths = a->n_widths;
    } else {
        widths[0] = n_in;
        memcpy(widths + 1, a->hidden, (size_t)a->n_hidden * sizeof *widths);
        widths[a->n_hidden + 1] = n_out;
        run->n_widths = a->n_hidden + 2;
    }
    int n_widths = run->n_widths;
    if (widths[0] != n_in || widths[n_widths - 1] != n_out) {
        cli_error("train", "%s%s starts with %d and ends with %d, but the data has %d inputs "
                  "and %d outputs", a->resume ? "the model " : "--layers",
                  a->resume ? a->resume : "", widths[0], widths[n_widths - 1], n_in, n_out);
        return 0;
    }
    if (a->task == NNC_TASK_MULTICLASS && n_out < 2) {
        cli_error("train", "a multiclass (softmax) network needs at least 2 outputs, but the "
                  "training labels hold a single class");
        return 0;
    }
    return 1;
}

/* A resumed run carries on the model's classes and shuffle order: the data
 * must number its classes alike and have as many training rows (other data
 * of as many rows is taken, with a note). */
static int check_resumed_data(const train_run *run)
{
    const train_args *a = &run->a;
    const nnc_model *model = &run->model;
    const cli_data *data = &run->data;
    if (a->task == NNC_TASK_MULTICLASS && data->first_label != model->label_base) {
        cli_error("train", "%s numbers its classes from label %d, but the smallest training "
                  "label here is %d: every class would shift by %lld", a->resume,
                  model->label_base, data->first_label,
                  (long long)data->first_label - model->label_base);
        return 0;
    }
    const char *was = nnc_model_get_meta(model, "train_sha256");
    int other = was && data->sha256[0] && strcmp(was, data->sha256) != 0;
    nnc_train_plan plan;
    if (nnc_train_plan_for(nnc_dataset_rows(data->train), &a->opt, 0, &plan) == NNC_OK &&
        plan.n_train != model->state.n_order) {
        cli_error("train", "%s was trained on %s of %d training rows; this data has %d "
                  "(%d rows less the %d validation rows). --resume carries on the "
                  "model's shuffle order, so it takes only data of as many training "
                  "rows", a->resume, other ? "other data" : "data", model->state.n_order,
                  plan.n_train, plan.n_train + plan.n_valid, plan.n_valid);
        return 0;
    }
    if (other)
        fprintf(stderr, "nnc train: note: %s was trained on other data (SHA-256 %.12s..., "
                "now %.12s...) of as many training rows; carrying on with this data\n",
                a->resume, was, data->sha256);
    return 1;
}

/* Makes the network (the resumed model's, or a new one initialised) with
 * work buffers for `work_rows` rows, on the threads and kernels asked for.
 * Returns CLI_OK or the exit status after an error. */
static int create_net(train_run *run, int work_rows)
{
    train_args *a = &run->a;
    nnc_status s;
    if (a->resume) {
        s = rebuild_net(&run->net, run->model.net, work_rows);
    } else {
        s = nnc_net_create(&run->net, a->task, run->widths[0], run->n_layers, run->specs,
                           work_rows);
        if (s == NNC_OK && a->init_from) {
            s = nnc_net_load_textbook_init(run->net, a->init_from, a->init);
        } else if (s == NNC_OK) {
            nnc_rng rng;
            nnc_rng_seed(&rng, a->opt.seed);
            s = nnc_net_init(run->net, a->init, &rng);
        }
        if (s == NNC_OK && a->optimizer)
            s = nnc_net_set_optimizer(run->net, a->optimizer);
    }
    if (s == NNC_OK)
        s = nnc_net_set_threads(run->net, a->threads);
    if (s == NNC_OK && a->kernels)
        s = nnc_net_set_kernels(run->net, a->kernels);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    return CLI_OK;
}

/* The run folder: beside the resumed model unless --out/--name say else,
 * else <out>/<name> with the name from --name or <data>_<widths>. */
static int choose_run_dir(train_run *run)
{
    const train_args *a = &run->a;
    char *name = run->name;
    size_t size = sizeof run->name;
    int dir_ok;
    if (a->resume && !a->name && strcmp(a->out, ".") == 0) {
        dir_ok = split_model_path(a->resume, run->dir, sizeof run->dir, name, size);
    } else {
        if (a->name) {
            snprintf(name, size, "%s", a->name);
        } else {
            int k = snprintf(name, size, "%s_", run->data.name);
            for (int i = 0; i < run->n_widths && k < (int)size; i++)
                k += snprintf(name + k, size - (size_t)k, "%d", run->widths[i]);
            /* From a file's name: a control character (a newline) has no
             * place in a folder's. */
            for (char *c = name; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '_';
        }
        dir_ok = snprintf(run->dir, sizeof run->dir, "%s/%s", a->out, name) <
                 (int)sizeof run->dir;
    }
    if (!dir_ok) {
        cli_error("train", "output path too long");
        return 0;
    }
    return !a->save || cli_check_out_dir("train", "run folder", run->dir);
}

/* Everything that can fail when saving is tried before training, so that
 * no run is lost to a bad name or folder: that the model file can record
 * the run's settings, and the run folder, made now and locked for the
 * whole run so that a second run cannot mix its files into it.  Returns
 * CLI_OK or the exit status after an error. */
static int prepare_save(train_run *run)
{
    nnc_model probe = {0};
    nnc_train_result none = {0};
    nnc_status s = describe_model(&probe, &run->a, &run->data, run->widths, run->n_widths,
                                  &none, NNC_OK, NAN);
    nnc_model_free(&probe);
    if (s != NNC_OK) {
        cli_error("train", "%s: the model file could not record this run, so it was "
                  "not started", nnc_last_error());
        return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    if (!cli_make_dirs("train", run->dir) || !cli_lock_dir("train", run->dir, &run->lock_fd))
        return CLI_USAGE;
    return CLI_OK;
}

/* Whether the run regularises (L1, L2, dropout or early stopping): the book's
 * ch16 drivers then print the weight statistics after testing. */
static int regularised(const train_args *a, const nnc_net *net)
{
    int dropout = 0;
    for (int l = 0; l < nnc_net_layers(net); l++)
        dropout |= nnc_net_layer(net, l).kind == NNC_LAYER_DROPOUT;
    return a->opt.l1 > 0 || a->opt.l2 > 0 || a->opt.patience > 0 || dropout;
}

/* The book's four lines: total weights abs sum, total, little, zero. */
static void log_weight_stats(run_log *log, const nnc_net *net)
{
    const nnc_weight_stats st = nnc_net_weight_stats(net);
    char line[128];
    snprintf(line, sizeof line, "total weights abs sum=%f", st.abs_sum);
    log_line(log, line);
    snprintf(line, sizeof line, "total weights =%ld", st.total);
    log_line(log, line);
    snprintf(line, sizeof line, "little weights =%ld", st.little);
    log_line(log, line);
    snprintf(line, sizeof line, "zero weights =%ld", st.zero);
    log_line(log, line);
}

/* Classification: a warning when the validation rows lack a class the
 * training rows have (the first tenth of data sorted by class, say). */
static void warn_missing_classes(const train_run *run)
{
    const train_args *a = &run->a;
    const nnc_dataset *d = run->data.train;
    if (a->task == NNC_TASK_FITTING || a->resume)
        return;
    const int rows = nnc_dataset_rows(d), n_out = nnc_dataset_outputs(d);
    const int classes = a->task == NNC_TASK_BINARY ? 2 : n_out;
    uint32_t *valid = malloc((size_t)rows * sizeof *valid), *train = malloc((size_t)rows * sizeof *train);
    unsigned char *seen = calloc((size_t)classes * 2, 1);
    if (valid && train && seen &&
        nnc_train_split_rows(rows, &a->opt, valid, train) == NNC_OK) {
        nnc_train_plan p;
        (void)nnc_train_plan_for(rows, &a->opt, 0, &p);
        const nnc_real *Y = nnc_dataset_y(d);
        for (int set = 0; set < 2; set++)
            for (int i = 0; i < (set ? p.n_train : p.n_valid); i++) {
                const nnc_real *y = Y + (size_t)(set ? train[i] : valid[i]) * n_out;
                int k = 0;
                if (a->task == NNC_TASK_BINARY)
                    k = y[0] > 0.5;
                else
                    for (int j = 1; j < n_out; j++)
                        k = y[j] > y[k] ? j : k;
                seen[set * classes + k] = 1;
            }
        for (int k = 0; k < classes; k++)
            if (seen[classes + k] && !seen[k]) {
                fprintf(stderr, "nnc train: warning: the validation set (%s) has no sample of "
                        "class %d, which the training set has; its accuracy will mislead "
                        "(--split shuffled draws the validation rows at random)\n",
                        a->opt.split == NNC_SPLIT_FIRST ? "the first tenth of the rows"
                                                        : "a tenth drawn by --seed",
                        run->data.first_label + k);
                break;
            }
    }
    free(valid), free(train), free(seen);
}

/* Trains, logging every check, then tests what was learned (also after
 * Ctrl-C).  Returns the exit status; *ts is nnc_train's status. */
static int train_and_test(train_run *run, nnc_status *ts, double *test_accuracy)
{
    train_args *a = &run->a;
    run_log *log = &run->log;
    progress_init(&log->bar, stderr, a->quiet, a->opt.max_epoch, run->plan.total_iterations);
    log->text = open_memstream(&log->text_buf, &log->text_len);
    a->opt.on_step = on_step;
    a->opt.step_user = log;
    interrupted = 0;
    signal(SIGINT, on_interrupt);
    *ts = nnc_train(run->net, run->data.train, &a->opt, print_check, log, &run->result);
    signal(SIGINT, SIG_DFL);
    progress_clear(&log->bar);
    int status = CLI_OK;
    *test_accuracy = NAN;
    if (*ts == NNC_ERR_DIVERGED) {
        cli_status_error("train", *ts);
        status = CLI_DIVERGED;
    } else if (*ts == NNC_ERR_INTERRUPTED) {
        fprintf(stderr, "nnc train: interrupted after %ld iterations (epoch %d); saving what "
                "was learned\n", run->result.iterations, run->result.epochs_run - 1);
        status = CLI_INTERRUPTED;
    } else if (*ts != NNC_OK) {
        cli_status_error("train", *ts);
        status = *ts == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    if (*ts == NNC_OK || *ts == NNC_ERR_INTERRUPTED) {
        log_line(log, "testing...");
        const nnc_dataset *test = run->data.test;
        nnc_status s = nnc_net_evaluate(run->net, nnc_dataset_x(test), nnc_dataset_y(test),
                                        nnc_dataset_rows(test), NULL, test_accuracy);
        if (s != NNC_OK) {
            cli_status_error("train", s);
            status = CLI_FAILED;
        } else {
            char num[32];
            cli_format_shortest(num, sizeof num, *test_accuracy);
            log_line(log, num);
            if (regularised(a, run->net))
                log_weight_stats(log, run->net);
        }
        fflush(stdout);
    }
    if (log->text)
        fclose(log->text);
    return status;
}

/* Whatever was learned is kept: after divergence, the last good weights.
 * The model file goes first: it is what a resumed run needs.  Returns 1 if
 * everything was written. */
static int save_outputs(train_run *run, nnc_status ts, double test_accuracy)
{
    nnc_net_free(run->model.net); /* a resumed model's copy for max_batch 1 */
    run->model.net = run->net;
    run->net = NULL;
    /* The folder was made before training; made again in case it went
     * meanwhile.  If the model cannot be written there, save_model
     * writes it elsewhere and says where. */
    int ok = join_history(&run->model, &run->result);
    int dir_ok = ok && cli_make_dirs("train", run->dir);
    ok = ok && save_model(run->dir, dir_ok, &run->model, &run->a, &run->data, run->widths,
                          run->n_widths, &run->result, ts, test_accuracy);
    ok = ok && save_run(run->dir, &run->a, run->model.net, &run->data, run->widths,
                        run->n_widths, &run->result, test_accuracy, run->name,
                        run->log.text_buf ? run->log.text_buf : "");
    if (ok)
        fprintf(stderr, "nnc train: saved %s/ (model.nnc, weights wb1..wb%d.npz, "
                "history, charts; see report.html)\n", run->dir, run->n_widths - 1);
    return ok;
}

/* The checks and preparations between the loaded data and training: the
 * network, the plan, the run folder.  Returns CLI_OK or the exit status. */
static int prepare_run(train_run *run)
{
    train_args *a = &run->a;
    if (!choose_widths(run) || (a->resume && !check_resumed_data(run)) ||
        (!a->resume &&
         !build_specs(a, run->widths, run->n_widths - 1, run->specs, &run->n_layers)) ||
        !scale_data(a, &run->data, &run->model))
        return CLI_USAGE;
    int rows = nnc_dataset_rows(run->data.train);
    int work_rows = cli_work_rows(a->opt.batch_size, rows);
    if (!cli_train_plan("train", rows, &a->opt, a->resume ? run->model.state.total_iteration : 0,
                        &run->plan) ||
        !cli_check_net_memory("train", a->resume ? a->resume : a->n_widths ? "--layers" : "--hidden",
                              run->widths, run->n_widths, work_rows, 1))
        return CLI_USAGE;
    int status = create_net(run, work_rows);
    if (status != CLI_OK)
        return status;
    warn_missing_classes(run);
    if (!choose_run_dir(run))
        return CLI_USAGE;
    if (a->resume)
        a->normalize = run->model.x_scaling.n > 0; /* as the model was trained */
    return a->save ? prepare_save(run) : CLI_OK;
}

static void free_run(train_run *run)
{
    cli_unlock_dir(run->lock_fd);
    free(run->log.text_buf);
    nnc_train_result_free(&run->result);
    nnc_net_free(run->net);
    nnc_model_free(&run->model);
    cli_free_data(&run->data);
    for (int k = 0; k < 6; k++)
        free(run->a.resumed_data[k]);
}

int cmd_train(int argc, char **argv)
{
    train_run run = {.lock_fd = -1};
    int status = parse_args(argc, argv, &run.a);
    if (status != CLI_PARSE_OK)
        return cli_parse_status(status);
    run.data.exit_status = CLI_USAGE;
    if ((run.a.resume && !load_resume(&run.a, &run.model)) ||
        !cli_load_data("train", &run.a.data, run.a.task, &run.data)) {
        status = run.data.exit_status;
        free_run(&run);
        return status;
    }
    status = prepare_run(&run);
    if (status == CLI_OK) {
        nnc_status ts;
        double test_accuracy;
        status = train_and_test(&run, &ts, &test_accuracy);
        if (run.a.save && (ts == NNC_OK || ts == NNC_ERR_DIVERGED || ts == NNC_ERR_INTERRUPTED) &&
            !save_outputs(&run, ts, test_accuracy))
            status = CLI_FAILED;
    }
    free_run(&run);
    return status;
}
