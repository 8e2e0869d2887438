/* nnc train: the textbook's training run, its log, and its run folder. */
#include "cli.h"
#include "progress.h"
#include "report.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WIDTHS 65

static const char train_usage[] =
    "usage: nnc train [sin|composite] [options]\n"
    "\n"
    "Trains a network of dense layers with mini-batch gradient descent, printing the\n"
    "textbook's log at every check, then `testing...` and the test accuracy, and\n"
    "writes <out>/<name>/: wb1.npz, wb2.npz, ... (the textbook's weight files),\n"
    "history.csv, hyperparameters.txt, history.svg, result.svg and report.html.\n"
    "A progress bar runs on stderr when it is a terminal; Ctrl-C stops training at\n"
    "the next batch and saves what was learned.\n"
    "\n"
    "data:\n"
    "  sin | composite         a built-in textbook data set (default: sin)\n"
    "  --train FILE --test FILE  .npz (keys data, label) or .csv (numbers, header optional)\n"
    "  --label COLS            CSV label columns, 0-based, negative from the end\n"
    "                          (default: -1, the last)\n"
    "  --task NAME             fitting | binary | multiclass (default: fitting)\n"
    "network:\n"
    "  --hidden N[,N...]       hidden layer widths (default: 3)\n"
    "  --layers 1,3,1          all widths, inputs first and outputs last\n"
    "  --activation NAME[:P]   hidden activation, or one per hidden layer\n"
    "                          separated by commas (default: sigmoid;\n"
    "                          see `nnc activations`)\n"
    "  --init NAME             zero | normal | xavier | msra (default: xavier)\n"
    "  --init-from DIR         start from the textbook's w_<in>_<out>_<Init>_init.npz\n"
    "training:\n"
    "  --eta X                 learning rate (default: 0.5)\n"
    "  --batch N               mini-batch size, -1 for the whole set (default: 10)\n"
    "  --epochs N              maximum epochs (default: 10000)\n"
    "  --eps X                 stop when loss_valid <= X (default: 0.001)\n"
    "  --checkpoint E          epochs between checks (default: 50)\n"
    "  --seed N                seed of the run's random numbers (default: 1)\n"
    "output:\n"
    "  --name NAME             run name (default: <data>_<widths>, e.g. sin_131)\n"
    "  --out DIR               parent folder of the run folder (default: .)\n"
    "  --no-save               write nothing\n"
    "  -q, --quiet             no progress bar (it shows only on a terminal anyway)\n"
    "  -h, --help              this text\n";

typedef struct train_args {
    cli_data_source data;
    const char *init_from, *name, *out;
    nnc_task task;
    nnc_init init;
    nnc_train_options opt;
    int widths[MAX_WIDTHS], n_widths; /* from --layers, or 0 */
    int hidden[MAX_WIDTHS], n_hidden; /* from --hidden */
    char activation_text[256];
    int save, quiet;
} train_args;

/* Parses a comma list of positive whole numbers. */
static int parse_widths(const char *flag, const char *text, int *widths, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list("train", flag, text, &v, &n))
        return 0;
    if (n > MAX_WIDTHS) {
        cli_error("train", "%s: at most %d values", flag, MAX_WIDTHS);
        free(v);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (v[i] != floor(v[i]) || v[i] < 1 || v[i] > 1e6) {
            cli_error("train", "%s: '%g' is not a width from 1 to 1000000", flag, v[i]);
            free(v);
            return 0;
        }
        widths[i] = (int)v[i];
    }
    *count = n;
    free(v);
    return 1;
}

static int parse_args(int argc, char **argv, train_args *a)
{
    a->opt = nnc_train_options_default();
    a->task = NNC_TASK_FITTING;
    a->init = NNC_INIT_XAVIER;
    a->out = ".";
    a->save = 1;
    a->hidden[0] = 3;
    a->n_hidden = 1;
    snprintf(a->activation_text, sizeof a->activation_text, "sigmoid");
    int have_hidden = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int m = 0;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(train_usage, stdout);
            exit(CLI_OK);
        }
        if (strcmp(arg, "--no-save") == 0) {
            a->save = 0;
            continue;
        }
        if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            a->quiet = 1;
            continue;
        }
        int d = cli_data_option("train", argc, argv, &i, &a->data);
        if (d < 0)
            return 0;
        if (d > 0)
            continue;
#define OPTION(flag) ((v = cli_option("train", argc, argv, &i, flag, &m)) != NULL || m)
        if (OPTION("--task")) {
            if (v && nnc_task_from_name(v, &a->task) != NNC_OK) {
                cli_status_error("train", NNC_ERR_ARGUMENT);
                return 0;
            }
        } else if (OPTION("--hidden")) {
            if (v && !parse_widths("--hidden", v, a->hidden, &a->n_hidden))
                return 0;
            have_hidden = 1;
        } else if (OPTION("--layers")) {
            if (v && !parse_widths("--layers", v, a->widths, &a->n_widths))
                return 0;
            if (v && a->n_widths < 2) {
                cli_error("train", "--layers needs at least two widths (inputs, outputs)");
                return 0;
            }
        } else if (OPTION("--activation")) {
            if (v)
                snprintf(a->activation_text, sizeof a->activation_text, "%s", v);
        } else if (OPTION("--init")) {
            if (v && nnc_init_from_name(v, &a->init) != NNC_OK) {
                cli_status_error("train", NNC_ERR_ARGUMENT);
                return 0;
            }
        } else if (OPTION("--init-from")) {
            a->init_from = v;
        } else if (OPTION("--eta")) {
            if (v && !cli_parse_double("train", "--eta", v, &a->opt.eta))
                return 0;
            if (v && !(a->opt.eta > 0)) {
                cli_error("train", "--eta must be positive (got %s)", v);
                return 0;
            }
        } else if (OPTION("--batch")) {
            if (v && !cli_parse_int("train", "--batch", v, -1, 100000000, &a->opt.batch_size))
                return 0;
            if (v && a->opt.batch_size == 0) {
                cli_error("train", "--batch must be positive, or -1 for the whole set");
                return 0;
            }
        } else if (OPTION("--epochs")) {
            if (v && !cli_parse_int("train", "--epochs", v, 1, 100000000, &a->opt.max_epoch))
                return 0;
        } else if (OPTION("--eps")) {
            if (v && !cli_parse_double("train", "--eps", v, &a->opt.eps))
                return 0;
        } else if (OPTION("--checkpoint")) {
            if (v && !cli_parse_double("train", "--checkpoint", v, &a->opt.checkpoint))
                return 0;
            if (v && !(a->opt.checkpoint > 0)) {
                cli_error("train", "--checkpoint must be a positive number of epochs");
                return 0;
            }
        } else if (OPTION("--seed")) {
            if (v && !cli_parse_seed("train", v, &a->opt.seed))
                return 0;
        } else if (OPTION("--name")) {
            if (v && (!v[0] || strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)) {
                cli_error("train", "--name: '%s' is not a plain folder name", v);
                return 0;
            }
            a->name = v;
        } else if (OPTION("--out")) {
            a->out = v;
        } else if (arg[0] == '-') {
            cli_error("train", "unknown option '%s' (see nnc train --help)", arg);
            return 0;
        } else if (!a->data.builtin) {
            a->data.builtin = arg;
            continue;
        } else {
            cli_error("train", "unexpected argument '%s'", arg);
            return 0;
        }
#undef OPTION
        if (m && !v)
            return 0; /* the option's value was missing; cli_option said so */
    }
    if (have_hidden && a->n_widths) {
        cli_error("train", "give --hidden or --layers, not both");
        return 0;
    }
    return 1;
}

/* Builds the layer list from the widths and the activation text. */
static int build_specs(const train_args *a, const int *widths, int n_layers,
                       nnc_layer_spec *specs)
{
    char text[256];
    snprintf(text, sizeof text, "%s", a->activation_text);
    int n_acts = 1;
    for (const char *p = text; *p; p++)
        n_acts += *p == ',';
    int n_hidden = n_layers - 1;
    if (n_acts != 1 && n_acts != n_hidden) {
        cli_error("train", "--activation: %d names for %d hidden layers", n_acts, n_hidden);
        return 0;
    }
    char *item = text;
    for (int l = 0; l < n_layers; l++) {
        specs[l].units = widths[l + 1];
        specs[l].activation = NNC_ACT_IDENTITY;
        specs[l].param = 0;
        if (l == n_hidden)
            break;
        if (l == 0 || n_acts > 1) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            if (!cli_parse_activation("train", item, &specs[l].activation, &specs[l].param))
                return 0;
            item = comma ? comma + 1 : item;
        } else {
            specs[l].activation = specs[0].activation;
            specs[l].param = specs[0].param;
        }
    }
    return 1;
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

/* Writes history.csv and hyperparameters.txt, keeping the latter's text in
 * *settings for the report. */
static int save_settings(const char *dir, const train_args *a, const int *widths,
                         int n_widths, const nnc_train_result *r, double test_accuracy,
                         const char *data_name, char **settings)
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
    fprintf(f, "data = %s\n", data_name);
    if (a->data.train_path)
        fprintf(f, "train_file = %s\ntest_file = %s\n", a->data.train_path,
                a->data.test_path);
    if (a->data.label)
        fprintf(f, "label_columns = %s\n", a->data.label);
    fprintf(f, "task = %s\nlayers = ", nnc_task_name(a->task));
    for (int i = 0; i < n_widths; i++)
        fprintf(f, "%s%d", i ? "," : "", widths[i]);
    fprintf(f, "\nactivation = %s\n", a->activation_text);
    fprintf(f, "init = %s\n", nnc_init_name(a->init));
    if (a->init_from)
        fprintf(f, "init_from = %s\n", a->init_from);
    char eta[32], eps[32], ck[32];
    cli_format_shortest(eta, sizeof eta, a->opt.eta);
    cli_format_shortest(eps, sizeof eps, a->opt.eps);
    cli_format_shortest(ck, sizeof ck, a->opt.checkpoint);
    fprintf(f, "eta = %s\nbatch = %d\nmax_epoch = %d\neps = %s\ncheckpoint = %s\n", eta,
            a->opt.batch_size, a->opt.max_epoch, eps, ck);
    fprintf(f, "seed = %llu\nreal = %s\n", (unsigned long long)a->opt.seed,
            sizeof(nnc_real) == 8 ? "double" : "float");
    fprintf(f, "n_train = %d\nn_valid = %d\niterations_per_epoch = %d\n", r->n_train,
            r->n_valid, r->iterations_per_epoch);
    fprintf(f, "checkpoint_iteration = %ld\nepochs_run = %d\niterations = %ld\n",
            r->checkpoint_iteration, r->epochs_run, r->iterations);
    fprintf(f, "stopped_early = %d\n", r->stopped_early);
    if (r->history_count) {
        const nnc_checkpoint *c = &r->history[r->history_count - 1];
        fprintf(f, "loss_valid = %.17g\naccuracy_valid = %.17g\n", c->loss_valid,
                c->accuracy_valid);
    }
    if (!isnan(test_accuracy))
        fprintf(f, "test_accuracy = %.17g\n", test_accuracy);
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

/* The run folder: weights, history, settings, charts and the report. */
static int save_run(const char *dir, const train_args *a, nnc_net *net, const cli_data *data,
                    const int *widths, int n_widths, const nnc_train_result *r,
                    double test_accuracy, const char *name, const char *log)
{
    nnc_status s = nnc_net_save_textbook(net, dir);
    if (s != NNC_OK) {
        cli_status_error("train", s);
        return 0;
    }
    char *settings = NULL, *svgs[2] = {NULL, NULL};
    report_figure figs[2];
    int n_figs = 0, ok = save_settings(dir, a, widths, n_widths, r, test_accuracy,
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
        s = nnc_chart_decision(&plot, net, data->train, title);
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

int cmd_train(int argc, char **argv)
{
    train_args a = {0};
    if (!parse_args(argc, argv, &a))
        return CLI_USAGE;
    cli_data data;
    if (!cli_load_data("train", &a.data, a.task, &data))
        return CLI_USAGE;

    int n_in = nnc_dataset_inputs(data.train), n_out = nnc_dataset_outputs(data.train);
    int widths[MAX_WIDTHS + 2], n_widths;
    if (a.n_widths) {
        memcpy(widths, a.widths, (size_t)a.n_widths * sizeof *widths);
        n_widths = a.n_widths;
        if (widths[0] != n_in || widths[n_widths - 1] != n_out) {
            cli_error("train", "--layers starts with %d and ends with %d, but the data has "
                      "%d inputs and %d outputs", widths[0], widths[n_widths - 1], n_in, n_out);
            cli_free_data(&data);
            return CLI_USAGE;
        }
    } else {
        widths[0] = n_in;
        memcpy(widths + 1, a.hidden, (size_t)a.n_hidden * sizeof *widths);
        widths[a.n_hidden + 1] = n_out;
        n_widths = a.n_hidden + 2;
    }
    int n_layers = n_widths - 1;
    nnc_layer_spec specs[MAX_WIDTHS + 1];
    if (!build_specs(&a, widths, n_layers, specs)) {
        cli_free_data(&data);
        return CLI_USAGE;
    }

    int rows = nnc_dataset_rows(data.train);
    int batch = a.opt.batch_size == -1 || a.opt.batch_size > rows ? rows : a.opt.batch_size;
    nnc_net *net = NULL;
    nnc_status s = nnc_net_create(&net, a.task, n_in, n_layers, specs, batch);
    if (s == NNC_OK) {
        if (a.init_from) {
            s = nnc_net_load_textbook_init(net, a.init_from, a.init);
        } else {
            nnc_rng rng;
            nnc_rng_seed(&rng, a.opt.seed);
            s = nnc_net_init(net, a.init, &rng);
        }
    }
    if (s != NNC_OK) {
        cli_status_error("train", s);
        nnc_net_free(net);
        cli_free_data(&data);
        return CLI_USAGE;
    }

    char name[256], dir[4096];
    if (a.name) {
        snprintf(name, sizeof name, "%s", a.name);
    } else {
        int k = snprintf(name, sizeof name, "%s_", data.name);
        for (int i = 0; i < n_widths && k < (int)sizeof name; i++)
            k += snprintf(name + k, sizeof name - (size_t)k, "%d", widths[i]);
    }
    if (snprintf(dir, sizeof dir, "%s/%s", a.out, name) >= (int)sizeof dir) {
        cli_error("train", "output path too long");
        nnc_net_free(net);
        cli_free_data(&data);
        return CLI_USAGE;
    }

    run_log log = {0};
    int n_train, n_valid, ipe;
    long ck_iter, total_iterations = 0;
    if (nnc_train_schedule(rows, &a.opt, &n_train, &n_valid, &ipe, &ck_iter) == NNC_OK)
        total_iterations = (long)a.opt.max_epoch * ipe;
    progress_init(&log.bar, stderr, a.quiet, a.opt.max_epoch, total_iterations);
    log.text = open_memstream(&log.text_buf, &log.text_len);
    a.opt.on_step = on_step;
    a.opt.step_user = &log;
    interrupted = 0;
    signal(SIGINT, on_interrupt);
    nnc_train_result result = {0};
    nnc_status ts = nnc_train(net, data.train, &a.opt, print_check, &log, &result);
    signal(SIGINT, SIG_DFL);
    progress_clear(&log.bar);
    int status = CLI_OK;
    double test_accuracy = NAN;
    if (ts == NNC_ERR_DIVERGED) {
        cli_status_error("train", ts);
        status = CLI_DIVERGED;
    } else if (ts == NNC_ERR_INTERRUPTED) {
        fprintf(stderr, "nnc train: interrupted after %ld iterations (epoch %d); saving what "
                "was learned\n", result.iterations, result.epochs_run - 1);
        status = CLI_INTERRUPTED;
    } else if (ts != NNC_OK) {
        cli_status_error("train", ts);
        status = CLI_USAGE;
    }
    if (ts == NNC_OK || ts == NNC_ERR_INTERRUPTED) {
        log_line(&log, "testing...");
        s = nnc_net_evaluate(net, nnc_dataset_x(data.test), nnc_dataset_y(data.test),
                             nnc_dataset_rows(data.test), NULL, &test_accuracy);
        if (s != NNC_OK) {
            cli_status_error("train", s);
            status = CLI_FAILED;
        } else {
            char num[32];
            cli_format_shortest(num, sizeof num, test_accuracy);
            log_line(&log, num);
        }
        fflush(stdout);
    }
    if (log.text)
        fclose(log.text);
    /* Whatever was learned is kept: after divergence, the last good weights. */
    if (a.save && (ts == NNC_OK || ts == NNC_ERR_DIVERGED || ts == NNC_ERR_INTERRUPTED)) {
        if (!cli_make_dirs("train", dir) || !save_run(dir, &a, net, &data, widths, n_widths, &result,
                                         test_accuracy, name, log.text_buf ? log.text_buf : ""))
            status = CLI_FAILED;
        else
            fprintf(stderr, "nnc train: saved %s/ (weights wb1..wb%d.npz, history, charts; "
                    "see report.html)\n", dir, n_layers);
    }
    free(log.text_buf);
    nnc_train_result_free(&result);
    nnc_net_free(net);
    cli_free_data(&data);
    return status;
}
