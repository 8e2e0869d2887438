/* nnc plot: redraws training histories (history.csv of `nnc train`) as SVG,
 * one run as the textbook's figure 9-10, several overlaid for comparison. */
#include "cli.h"
#include "options.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "plot"

static const char plot_intro[] =
    "usage: nnc plot FILE.csv [FILE.csv ...] [--out FILE.svg] [--title T] [--log]\n"
    "\n"
    "Draws training histories written by 'nnc train' (history.csv, columns\n"
    "epoch,total_iteration,loss_train,accuracy_train,loss_valid,accuracy_valid).\n"
    "One file: loss and accuracy against epoch, train and validation (the\n"
    "textbook's figure 9-10), titled from hyperparameters.txt beside it.\n"
    "Several files: their validation loss and accuracy overlaid, one curve per\n"
    "file, labelled by the file's folder (the run name) or its name.\n"
    "\n";

typedef struct history {
    const char *path;
    size_t max_memory; /* --max-memory, 0: the default */
    nnc_checkpoint *rows;
    size_t count;
    char label[128];
} history;

static int column_index(char **names, size_t cols, const char *name)
{
    for (size_t i = 0; i < cols; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* The folder part of path ("." if none), malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 1;
    if (slash == path)
        len = 1; /* "/file" */
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, slash ? path : ".", len);
    d[len] = '\0';
    return d;
}

/* Curve label: the parent folder's name (the run name), else the file name. */
static void label_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash > path) {
        const char *start = slash;
        while (start > path && start[-1] != '/')
            start--;
        size_t len = (size_t)(slash - start);
        if (len > 0 && !(len == 1 && start[0] == '.') &&
            !(len == 2 && start[0] == '.' && start[1] == '.')) {
            snprintf(buf, size, "%.*s", (int)len, start);
            return;
        }
    }
    snprintf(buf, size, "%s", slash ? slash + 1 : path);
}

static int read_history(history *h)
{
    nnc_csv_options opt = {-1, ',', h->max_memory};
    nnc_array a;
    char **names = NULL;
    nnc_status s = nnc_csv_read_file(h->path, &opt, &a, &names);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        return 0;
    }
    size_t rows = a.shape[0], cols = a.shape[1];
    static const char *const need[] = {"epoch", "loss_train", "accuracy_train", "loss_valid",
                                       "accuracy_valid"};
    int idx[5];
    int ok = 1;
    if (!names) {
        cli_error(CMD, "%s: no header line (want columns epoch,total_iteration,loss_train,"
                       "accuracy_train,loss_valid,accuracy_valid)", h->path);
        ok = 0;
    }
    for (int k = 0; k < 5 && ok; k++) {
        idx[k] = column_index(names, cols, need[k]);
        if (idx[k] < 0) {
            cli_error(CMD, "%s: no column '%s' (not a history.csv of nnc train?)", h->path,
                      need[k]);
            ok = 0;
        }
    }
    int it = ok ? column_index(names, cols, "total_iteration") : -1;
    if (ok) {
        h->rows = calloc(rows ? rows : 1, sizeof *h->rows);
        if (!h->rows) {
            cli_error(CMD, "out of memory");
            ok = 0;
        }
    }
    for (size_t r = 0; r < rows && ok; r++) {
        const double *row = a.data + r * cols;
        nnc_checkpoint *c = &h->rows[r];
        /* Converting a double outside int's (long's) range is undefined:
         * the file's counts are checked first. */
        double ep = row[idx[0]], ti = it >= 0 ? row[it] : 0;
        if (!(ep >= 0 && ep <= INT_MAX && ep == floor(ep))) {
            cli_error(CMD, "%s: data row %zu: epoch %g is not a whole number from 0 to %d",
                      h->path, r + 1, ep, INT_MAX);
            ok = 0;
            break;
        }
        /* (double)LONG_MAX rounds up to 2^63 with a 64-bit long: the bound
         * is 2^53 there (every whole double below it is exact). */
        double ti_max = LONG_MAX < 9007199254740992 ? (double)LONG_MAX : 9007199254740992.0;
        if (!(ti >= 0 && ti <= ti_max && ti == floor(ti))) {
            cli_error(CMD, "%s: data row %zu: total_iteration %g is not a whole number from "
                           "0 to %.0f", h->path, r + 1, ti, ti_max);
            ok = 0;
            break;
        }
        c->epoch = (int)ep;
        c->total_iteration = (long)ti;
        c->loss_train = row[idx[1]];
        c->accuracy_train = row[idx[2]];
        c->loss_valid = row[idx[3]];
        c->accuracy_valid = row[idx[4]];
    }
    h->count = ok ? rows : 0;
    if (names)
        nnc_csv_free_names(names, cols);
    nnc_array_free(&a);
    return ok;
}

/* "bz:10,eta:0.5,ne:3" from the hyperparameters.txt beside a history, as
 * nnc train titles its charts; 0 if that file is missing or incomplete. */
static int title_from_settings(const char *csv_path, char *buf, size_t size)
{
    char *dir = dir_of(csv_path);
    if (!dir)
        return 0;
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    if (!path) {
        free(dir);
        return 0;
    }
    snprintf(path, n, "%s/hyperparameters.txt", dir);
    free(dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return 0;
    char line[512], batch[64] = "", eta[64] = "", layers[256] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (sscanf(line, "batch = %63s", batch) == 1 || sscanf(line, "eta = %63s", eta) == 1 ||
            sscanf(line, "layers = %255s", layers) == 1)
            continue;
    }
    fclose(f);
    if (!batch[0] || !eta[0] || !layers[0])
        return 0;
    /* the hidden widths: layers without the first and last entries */
    const char *first = strchr(layers, ','), *last = strrchr(layers, ',');
    char hidden[256] = "";
    if (first && last > first) {
        size_t len = (size_t)(last - first - 1);
        memcpy(hidden, first + 1, len);
        hidden[len] = '\0';
        for (char *p = hidden; *p; p++)
            if (*p == ',')
                *p = '-';
    }
    snprintf(buf, size, "bz:%s,eta:%s,ne:%s", batch, eta, hidden);
    return 1;
}

/* Several runs: validation loss and accuracy, one curve per file. */
static nnc_status chart_compare(nnc_plot **out, const history *hs, int n, const char *title,
                                int log_y)
{
    nnc_plot *p = NULL;
    nnc_status s = nnc_plot_create(&p, 1100, 460, 2, 1, title);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 0, "Validation loss", "epoch", "loss", log_y);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 1, "Validation accuracy", "epoch", "accuracy", 0);
    for (int i = 0; i < n && s == NNC_OK; i++) {
        size_t m = hs[i].count ? hs[i].count : 1;
        double *buf = malloc(3 * m * sizeof *buf);
        if (!buf) {
            nnc_plot_free(p);
            return NNC_ERR_MEMORY;
        }
        double *ep = buf, *loss = buf + m, *acc = buf + 2 * m;
        for (size_t r = 0; r < hs[i].count; r++) {
            ep[r] = hs[i].rows[r].epoch;
            loss[r] = hs[i].rows[r].loss_valid;
            acc[r] = hs[i].rows[r].accuracy_valid;
        }
        s = nnc_plot_series(p, 0, hs[i].label, ep, loss, hs[i].count, NNC_PLOT_LINE);
        if (s == NNC_OK)
            s = nnc_plot_series(p, 1, hs[i].label, ep, acc, hs[i].count, NNC_PLOT_LINE);
        free(buf);
    }
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}

/* What the command line gave. */
typedef struct plot_args {
    const char *out, *title;
    int log_y;
    size_t max_memory;
} plot_args;

/* --out: a file (no "-": a chart does not go to standard output). */
static int read_out_svg(const char *cmd, const char *name, const char *value, void *dest)
{
    if (!cli_check_out_file(cmd, name, value))
        return 0;
    *(const char **)dest = value;
    return 1;
}

/* Reads the command line: options into *a, the history files into hs[0..*n-1]
 * (hs holds argc entries).  CLI_PARSE_OK, or CLI_PARSE_HELP after printing
 * --help, or CLI_PARSE_ERROR after printing the error. */
static int parse_args(int argc, char **argv, plot_args *a, history *hs, int *n)
{
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--out", .metavar = "FILE.svg", .dest = &a->out,
         .parse = read_out_svg,
         .help = "where to write (default: history.svg next to the one\n"
                 "input, comparison.svg in the current folder for several)"},
        {.type = CLI_STRING, .name = "--title", .metavar = "T", .dest = &a->title,
         .help = "the figure's title"},
        {.type = CLI_FLAG, .name = "--log", .dest = &a->log_y, .help = "log-scale loss axis"},
        {.type = CLI_SIZE, .name = "--max-memory", .metavar = "SIZE", .dest = &a->max_memory,
         .help = "refuse a history that would need more memory (256M,\n"
                 "4G; default: half the physical memory)"},
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {
        .name = CMD, .intro = plot_intro, .column = 18, CLI_OPTS(rows),
        .outro = "The path written is printed on stdout.  Each option and file may be given\n"
                 "once.\n"};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return parsed;
    *n = 0;
    for (int i = 1; i <= n_args; i++) {
        const char *arg = argv[i];
        if (!arg[0]) {
            cli_error(CMD, "an empty argument where a history file's name should be");
            return CLI_PARSE_ERROR;
        }
        for (int k = 0; k < *n; k++) {
            if (strcmp(hs[k].path, arg) == 0) {
                cli_error(CMD, "%s given twice: each history is drawn once", arg);
                return CLI_PARSE_ERROR;
            }
        }
        hs[(*n)++].path = arg;
    }
    if (*n == 0) {
        cli_error(CMD, "no history file given (try 'nnc plot --help')");
        return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}

/* Draws the histories (one: the textbook's figure; several: compared) and
 * saves the chart to --out or its default path, which it prints.  Returns
 * the exit status. */
static int draw(const plot_args *a, history *hs, int n)
{
    const char *out = a->out, *title = a->title;
    char *default_out = NULL;
    nnc_plot *plot = NULL;
    char auto_title[256];
    nnc_status s;
    int rc = CLI_OK;
    if (n == 1) {
        if (!title)
            title = title_from_settings(hs[0].path, auto_title, sizeof auto_title)
                        ? auto_title
                        : hs[0].label;
        s = nnc_chart_history(&plot, hs[0].rows, hs[0].count, title);
        if (s == NNC_OK && a->log_y)
            s = nnc_plot_axes(plot, 0, "Loss", "epoch", "loss", 1);
    } else {
        s = chart_compare(&plot, hs, n, title ? title : "Validation loss and accuracy",
                          a->log_y);
    }
    int defaulted = !out;
    if (s == NNC_OK && !out) {
        if (n == 1) {
            char *dir = dir_of(hs[0].path);
            size_t len = dir ? strlen(dir) + 16 : 0;
            default_out = dir ? malloc(len) : NULL;
            if (default_out)
                snprintf(default_out, len, "%s/history.svg", dir);
            free(dir);
            if (!default_out)
                s = NNC_ERR_MEMORY;
            out = default_out;
        } else {
            out = "comparison.svg";
        }
    }
    /* --out was checked as it was parsed; the default path is checked here. */
    if (s == NNC_OK && defaulted && !cli_check_out_file(CMD, "the chart", out)) {
        rc = CLI_USAGE;
    } else {
        if (s == NNC_OK)
            s = nnc_plot_save(plot, out);
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            rc = CLI_FAILED;
        } else {
            printf("%s\n", out);
        }
    }
    nnc_plot_free(plot);
    free(default_out);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    plot_args a = {0};
    int n = 0;
    history *hs = calloc((size_t)(argc > 1 ? argc : 1), sizeof *hs);
    if (!hs) {
        cli_error(CMD, "out of memory");
        return CLI_FAILED;
    }
    int parsed = parse_args(argc, argv, &a, hs, &n);
    int rc = parsed == CLI_PARSE_OK ? CLI_OK : cli_parse_status(parsed);
    for (int i = 0; i < n && rc == CLI_OK; i++) {
        hs[i].max_memory = a.max_memory;
        if (!read_history(&hs[i]))
            rc = CLI_USAGE;
        label_of(hs[i].path, hs[i].label, sizeof hs[i].label);
    }
    if (rc == CLI_OK && parsed == CLI_PARSE_OK)
        rc = draw(&a, hs, n);
    for (int i = 0; i < n; i++)
        free(hs[i].rows);
    free(hs);
    return rc;
}
