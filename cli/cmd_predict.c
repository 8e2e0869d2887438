/* nnc predict: runs a model file on raw inputs and writes its predictions
 * as CSV, numbers that read back exactly as the model's nnc_real. */
#include "cli.h"
#include "options.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char predict_intro[] =
    "usage: nnc predict MODEL [INPUT] [options]\n"
    "\n"
    "Runs the model file MODEL (.nnc, from nnc train or nnc convert) on raw inputs,\n"
    "one sample per row: the model scales them as it was trained to, and its\n"
    "outputs come back in raw units.  Writes CSV, one row per sample:\n"
    "  fitting      y (or y1,y2,... for several outputs)\n"
    "  binary       label,probability    (label: the model's first label, +1 when\n"
    "                                     the probability is above 0.5)\n"
    "  multiclass   label,p<k>,...       (label: the most probable class, the first\n"
    "                                     on ties; one probability per class)\n"
    "Numbers are written in the fewest digits that read back as exactly the\n"
    "model's value (float, or double in a -DNNC_DOUBLE=ON build).\n"
    "\n"
    ;

static const char predict_outro[] =
    "Each option may be given once.\n"
    "\n"
    "Inputs must be finite numbers that nnc_real holds (NaN, infinity and, in the\n"
    "float build, values beyond +-3.4e38 are refused, naming the sample and column),\n"
    "and so must every output: a sample whose output is not finite (the model's\n"
    "sums overflow on it) is an error naming the sample.  Either way nothing is\n"
    "written, so the output always has one row per sample read.\n"
    "Exit status: 0 done, 1 bad usage or input (a non-finite input or output\n"
    "included), 2 failure while running (out of memory, a write that failed).\n";

/* The exit status for a library failure: bad input unless the machine failed. */
static int status_exit(nnc_status s)
{
    return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
}

int cli_load_model(const char *cmd, const char *path, int max_batch, nnc_model *model)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        char inner[4200];
        snprintf(inner, sizeof inner, "%s/model.nnc", path);
        if (stat(inner, &st) == 0)
            cli_error(cmd, "%s is a folder; its model file is %s", path, inner);
        else
            cli_error(cmd, "%s is a folder, not a model file (textbook weight files "
                      "wb1.npz ... become one with: nnc convert %s MODEL.nnc)", path, path);
        return CLI_USAGE;
    }
    nnc_status s = nnc_model_load(model, path, max_batch);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        return status_exit(s);
    }
    return CLI_OK;
}

/* Standard input, all of it: at most limit bytes (and 1 GiB). */
static int read_stdin(unsigned char **bytes, size_t *len, size_t limit)
{
    if (limit > ((size_t)1 << 30))
        limit = (size_t)1 << 30;
    size_t cap = limit < ((size_t)1 << 16) ? limit : (size_t)1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        cli_error("predict", "out of memory");
        return CLI_FAILED;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= limit) {
                int more = getc(stdin); /* a full buffer, or the end too? */
                if (more == EOF && !ferror(stdin))
                    break;
                char lim[32];
                free(buf);
                cli_error("predict", "standard input: more than %s (see --max-memory)",
                          nnc_format_size(limit, lim, sizeof lim));
                return CLI_USAGE;
            }
            size_t grow = cap > limit / 2 ? limit : cap * 2;
            unsigned char *grown = realloc(buf, grow);
            if (!grown) {
                free(buf);
                cli_error("predict", "out of memory");
                return CLI_FAILED;
            }
            buf = grown;
            cap = grow;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) {
            if (ferror(stdin)) {
                cli_error("predict", "standard input: %s", strerror(errno));
                free(buf);
                return CLI_FAILED;
            }
            break;
        }
    }
    *bytes = buf;
    *len = n;
    return CLI_OK;
}

typedef enum input_kind { INPUT_CSV, INPUT_NPY, INPUT_NPZ } input_kind;

/* What the file holds, by its first bytes: numpy's magic, a zip header, or
 * text.  Told from the bytes read once (a pipe cannot be read again). */
static input_kind sniff(const unsigned char *head, size_t n)
{
    if (n >= 6 && memcmp(head, "\x93NUMPY", 6) == 0)
        return INPUT_NPY;
    if (n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0)
        return INPUT_NPZ;
    if (n >= 4 && memcmp(head, "PK\x05\x06", 4) == 0) /* an empty zip */
        return INPUT_NPZ;
    return INPUT_CSV;
}

/* Reads INPUT into an array; returns an exit status. */
static int read_input(const char *path, const char *key, size_t max_memory, nnc_array *arr,
                      const char **what)
{
    nnc_csv_options opt = {-1, ',', max_memory};
    nnc_status s;
    if (!path || strcmp(path, "-") == 0) {
        if (key) {
            cli_error("predict", "--key applies to .npz files; standard input is read as CSV");
            return CLI_USAGE;
        }
        unsigned char *bytes;
        size_t len;
        if (isatty(STDIN_FILENO))
            fprintf(stderr, "nnc predict: reading CSV samples from the terminal; end with "
                    "Ctrl-D (or give INPUT: see nnc predict --help)\n");
        size_t limit = max_memory ? max_memory : nnc_default_max_memory();
        int rc = read_stdin(&bytes, &len, limit);
        if (rc != CLI_OK)
            return rc;
        *what = "standard input";
        s = nnc_csv_read_memory(bytes, len, "standard input", &opt, arr, NULL);
        free(bytes);
    } else {
        *what = path;
        size_t limit = max_memory ? max_memory : nnc_default_max_memory();
        unsigned char *bytes = NULL;
        size_t len = 0;
        s = nnc_read_file(path, limit, &bytes, &len);
        if (s == NNC_OK) {
            input_kind kind = sniff(bytes, len);
            if (key && kind != INPUT_NPZ) {
                free(bytes);
                cli_error("predict", "--key applies to .npz files; %s is not one", path);
                return CLI_USAGE;
            }
            size_t left = limit > len ? limit - len : 1; /* the bytes stay held */
            opt.max_memory = left;
            if (kind == INPUT_NPY)
                s = nnc_npy_read_memory(bytes, len, path, arr, left);
            else if (kind == INPUT_NPZ)
                s = nnc_npz_read_memory(bytes, len, path, key ? key : "data", arr, left);
            else
                s = nnc_csv_read_memory(bytes, len, path, &opt, arr, NULL);
            free(bytes);
        }
    }
    if (s != NNC_OK) {
        cli_status_error("predict", s);
        return status_exit(s);
    }
    return CLI_OK;
}

#define MAX_LABELS 64

#ifdef NNC_DOUBLE
#define NNC_REAL_MAX DBL_MAX
#else
#define NNC_REAL_MAX FLT_MAX
#endif

/* --label: a comma list of column numbers. */
static int parse_label_columns(const char *text, int *cols, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list("predict", "--label", text, &v, &n))
        return 0;
    int ok = n <= MAX_LABELS;
    for (int i = 0; ok && i < n; i++) {
        /* in range before the cast: a double beyond int converts undefined */
        ok = v[i] > -1e6 && v[i] < 1e6 && v[i] == (double)(int)v[i];
        if (ok)
            cols[i] = (int)v[i];
    }
    free(v);
    if (!ok) {
        cli_error("predict", "--label: '%s' is not a list of at most %d column numbers", text,
                  MAX_LABELS);
        return 0;
    }
    *count = n;
    return 1;
}

/* The samples as nnc_real rows of n_in values, the --label columns left
 * out; returns an exit status. */
static int input_rows(const nnc_array *arr, const char *what, int n_in, const int *labels,
                      int n_labels, nnc_real **X, int *rows)
{
    size_t n_rows, cols, stride;
    if (n_labels > 0 && arr->ndim != 2) {
        cli_error("predict", "%s: --label picks columns of a 2-D table; this is a %d-D array",
                  what, arr->ndim);
        return CLI_USAGE;
    }
    if (arr->ndim == 2) {
        n_rows = arr->shape[0];
        cols = arr->shape[1];
    } else if (arr->ndim == 1 && n_in == 1) {
        n_rows = arr->shape[0];
        cols = 1;
    } else if (arr->ndim == 1) {
        cli_error("predict", "%s: a 1-D array of %zu values; the model takes %d inputs per "
                  "sample: give a 2-D array (samples, %d)", what, arr->shape[0], n_in, n_in);
        return CLI_USAGE;
    } else {
        cli_error("predict", "%s: a %d-D array; expected a 2-D array (samples, %d)", what,
                  arr->ndim, n_in);
        return CLI_USAGE;
    }
    /* keep[c]: column c is an input. */
    stride = cols;
    unsigned char *keep = malloc(cols ? cols : 1);
    if (!keep) {
        cli_error("predict", "out of memory");
        return CLI_FAILED;
    }
    memset(keep, 1, cols ? cols : 1);
    for (int k = 0; k < n_labels; k++) {
        long c = labels[k] < 0 ? (long)cols + labels[k] : labels[k];
        if (c < 0 || c >= (long)cols || !keep[c]) {
            cli_error("predict", "%s: --label: column %d %s (the file has %zu columns)", what,
                      labels[k], c < 0 || c >= (long)cols ? "does not exist" : "is given twice",
                      cols);
            free(keep);
            return CLI_USAGE;
        }
        keep[c] = 0;
    }
    cols -= (size_t)n_labels;
    if (cols != (size_t)n_in) {
        cli_error("predict", "%s: %zu value%s per sample%s, but the model takes %d input%s%s",
                  what, cols, cols == 1 ? "" : "s", n_labels ? " besides the --label columns"
                  : "", n_in, n_in == 1 ? "" : "s", cols > (size_t)n_in && !n_labels ?
                  " (leave label columns out with --label)" : "");
        free(keep);
        return CLI_USAGE;
    }
    if (n_rows > (size_t)INT_MAX) {
        cli_error("predict", "%s: too many samples (%zu)", what, n_rows);
        free(keep);
        return CLI_USAGE;
    }
    nnc_real *x = malloc((n_rows ? n_rows : 1) * cols * sizeof *x);
    if (!x) {
        free(keep);
        cli_error("predict", "out of memory");
        return CLI_FAILED;
    }
    nnc_real *to = x;
    for (size_t i = 0; i < n_rows; i++)
        for (size_t c = 0; c < stride; c++) {
            if (!keep[c])
                continue;
            /* checked in double: a value beyond float would become inf */
            double v = arr->data[i * stride + c];
            if (!isfinite(v) || fabs(v) > NNC_REAL_MAX) {
                cli_error("predict", "%s: sample %zu, column %zu: %g is %s", what, i + 1,
                          c + 1, v,
                          !isfinite(v) ? "not a finite number (NaN and infinity are refused)"
                                       : "beyond the range of float (+-3.4e38)");
                free(keep);
                free(x);
                return CLI_USAGE;
            }
            *to++ = (nnc_real)v;
        }
    free(keep);
    *X = x;
    *rows = (int)n_rows;
    return CLI_OK;
}

/* Every output finite: an overflow inside the model is an error naming the
 * sample, never a printed inf or nan. */
static int outputs_finite(const nnc_real *Y, int rows, int n_out, const char *what)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < n_out; j++) {
            nnc_real y = Y[(size_t)i * (size_t)n_out + (size_t)j];
            if (!isfinite(y)) {
                cli_error("predict", "%s: sample %d: output %d is %s: the model's numbers "
                          "overflow on this sample (inputs far beyond the training data?)",
                          what, i + 1, j + 1, isnan(y) ? "NaN" : "infinite");
                return CLI_USAGE;
            }
        }
    return CLI_OK;
}

/* x in the fewest significant digits (%g) that read back as exactly x in
 * nnc_real; the C locale's '.' (nnc never calls setlocale). */
static void format_real(char *buf, size_t size, nnc_real x)
{
    const int max_digits = sizeof(nnc_real) == sizeof(double) ? 17 : 9;
    for (int p = 1; p <= max_digits; p++) {
        snprintf(buf, size, "%.*g", p, (double)x);
#ifdef NNC_DOUBLE
        if (strtod(buf, NULL) == x)
            return;
#else
        if (strtof(buf, NULL) == x)
            return;
#endif
    }
}

/* The predictions as CSV text. */
static int write_csv(FILE *f, nnc_task task, int label_base, const nnc_real *Y, int rows,
                     int n_out, int header)
{
    char num[40];
    if (header) {
        if (task == NNC_TASK_FITTING && n_out == 1) {
            fputs("y", f);
        } else if (task == NNC_TASK_FITTING) {
            for (int j = 0; j < n_out; j++)
                fprintf(f, "%sy%d", j ? "," : "", j + 1);
        } else if (task == NNC_TASK_BINARY && n_out == 1) {
            fputs("label,probability", f);
        } else if (task == NNC_TASK_BINARY) {
            for (int j = 0; j < n_out; j++)
                fprintf(f, "%slabel%d,probability%d", j ? "," : "", j + 1, j + 1);
        } else {
            fputs("label", f);
            for (int j = 0; j < n_out; j++)
                fprintf(f, ",p%d", label_base + j);
        }
        fputc('\n', f);
    }
    for (int i = 0; i < rows; i++) {
        const nnc_real *y = Y + (size_t)i * (size_t)n_out;
        if (task == NNC_TASK_MULTICLASS) {
            int best = 0;
            for (int j = 1; j < n_out; j++)
                best = y[j] > y[best] ? j : best;
            fprintf(f, "%d", label_base + best);
        }
        for (int j = 0; j < n_out; j++) {
            format_real(num, sizeof num, y[j]);
            if (task == NNC_TASK_BINARY)
                /* As the library's accuracy and charts: class 1 only above one half. */
                fprintf(f, "%s%d,%s", j ? "," : "", label_base + (y[j] > (nnc_real)0.5), num);
            else
                fprintf(f, "%s%s", j || task == NNC_TASK_MULTICLASS ? "," : "", num);
        }
        fputc('\n', f);
    }
    return ferror(f) ? 0 : 1;
}

/* What the command line gave. */
typedef struct predict_args {
    const char *model_path, *input, *key, *out;
    int no_header, labels[MAX_LABELS], n_labels, threads;
    size_t max_memory;
} predict_args;

static int read_label_columns(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)cmd;
    (void)name;
    predict_args *a = dest;
    return parse_label_columns(value, a->labels, &a->n_labels);
}

/* The arguments: MODEL, then INPUT (none or "-": standard input). */
static int take_files(int n_args, char **args, predict_args *a)
{
    for (int k = 1; k <= n_args; k++) {
        if (!args[k][0] && k <= 2) {
            cli_error("predict", "an empty argument where %s's file name should be",
                      k == 2 ? "INPUT" : "MODEL");
            return 0;
        }
    }
    if (n_args > 2) {
        cli_error("predict", "unexpected argument '%s' (one MODEL and one INPUT)", args[3]);
        return 0;
    }
    a->model_path = n_args > 0 ? args[1] : NULL;
    a->input = n_args > 1 ? args[2] : NULL;
    if (!a->model_path) {
        cli_error("predict", "no MODEL given (see nnc predict --help)");
        return 0;
    }
    if (strcmp(a->model_path, "-") == 0) {
        cli_error("predict", "MODEL must be a file (standard input is for the samples)");
        return 0;
    }
    return 1;
}

/* Reads the command line into *a: CLI_PARSE_OK, or CLI_PARSE_HELP after
 * printing --help, or CLI_PARSE_ERROR after printing the error. */
static int parse_args(int argc, char **argv, predict_args *a)
{
    a->threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX);
    cli_opt rows[] = {
        {.type = CLI_ARG, .name = "INPUT",
         .help = ".csv (numbers, header optional), .npy (rows, inputs),\n"
                 ".npz (member data; see --key); - or nothing: CSV on\n"
                 "standard input.  A 1-D array is a column of samples\n"
                 "for a model of one input.  The file's kind is told\n"
                 "by its contents (npy and npz headers), else CSV."},
        {.type = CLI_STRING, .name = "--key", .metavar = "K", .dest = &a->key,
         .help = "the .npz member to read (default: data)"},
        {.type = CLI_CUSTOM, .name = "--label", .metavar = "COLS", .dest = a,
         .parse = read_label_columns,
         .help = "columns to leave out, e.g. the labels of a training\n"
                 "file: 0-based, negative from the end (-1: the last)"},
        {.type = CLI_CUSTOM, .name = "--out", .short_name = "-o", .metavar = "FILE",
         .dest = &a->out, .parse = cli_read_out_file,
         .help = "write the CSV to FILE (through a temporary file and a\n"
                 "rename) instead of standard output (-)"},
        {.type = CLI_FLAG, .name = "--no-header", .dest = &a->no_header,
         .help = "leave out the header line"},
        CLI_OPT_MAX_MEMORY(&a->max_memory),
        CLI_OPT_THREADS_OF_PRODUCTS(&a->threads),
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {.name = "predict", .intro = predict_intro, .outro = predict_outro,
                           .column = 26, CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed == CLI_PARSE_OK && !take_files(n_args, argv, a))
        return CLI_PARSE_ERROR;
    return parsed;
}

/* Reads the inputs and runs the model on them: *Y holds *rows samples'
 * outputs.  Returns the exit status. */
static int predict_inputs(const predict_args *a, nnc_model *model, nnc_real **Y, int *rows,
                          const char **what)
{
    nnc_array arr = {0};
    nnc_real *X = NULL;
    int n_in = nnc_net_inputs(model->net), n_out = nnc_net_outputs(model->net);
    int rc = read_input(a->input, a->key, a->max_memory, &arr, what);
    if (rc == CLI_OK)
        rc = input_rows(&arr, *what, n_in, a->labels, a->n_labels, &X, rows);
    nnc_array_free(&arr);
    if (rc == CLI_OK) {
        *Y = malloc((*rows ? (size_t)*rows : 1) * (size_t)n_out * sizeof **Y);
        if (!*Y) {
            cli_error("predict", "out of memory");
            rc = CLI_FAILED;
        }
    }
    if (rc == CLI_OK && *rows > 0) {
        nnc_status s = nnc_model_predict(model, X, *rows, *Y);
        if (s != NNC_OK) {
            cli_status_error("predict", s);
            rc = CLI_FAILED;
        }
    }
    free(X);
    if (rc == CLI_OK)
        rc = outputs_finite(*Y, *rows, n_out, *what);
    return rc;
}

/* Writes the predictions as CSV to --out or standard output; returns the
 * exit status. */
static int write_predictions(const predict_args *a, const nnc_model *model, const nnc_real *Y,
                             int rows)
{
    char *text = NULL;
    size_t len = 0;
    int rc = CLI_OK;
    FILE *f = open_memstream(&text, &len);
    if (!f || !write_csv(f, nnc_net_task(model->net), model->label_base, Y, rows,
                         nnc_net_outputs(model->net), !a->no_header)) {
        cli_error("predict", "out of memory");
        rc = CLI_FAILED;
    }
    if (f)
        fclose(f);
    if (rc == CLI_OK && a->out && strcmp(a->out, "-") != 0) {
        if (!cli_write_text("predict", a->out, text, len))
            rc = CLI_FAILED;
        text = NULL; /* freed by cli_write_text */
    } else if (rc == CLI_OK) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            cli_error("predict", "writing standard output: %s", strerror(errno));
            rc = CLI_FAILED;
        }
    }
    free(text);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    predict_args a = {0};
    int parsed = parse_args(argc, argv, &a);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    nnc_model model = {0};
    if (!cli_check_model_memory("predict", a.model_path, a.max_memory))
        return CLI_USAGE;
    int rc = cli_load_model("predict", a.model_path, 256, &model);
    if (rc != CLI_OK)
        return rc;
    nnc_status s = nnc_net_set_threads(model.net, a.threads);
    if (s != NNC_OK) {
        cli_status_error("predict", s);
        nnc_model_free(&model);
        return status_exit(s);
    }
    nnc_real *Y = NULL;
    int rows = 0;
    const char *what = "";
    rc = predict_inputs(&a, &model, &Y, &rows, &what);
    if (rc == CLI_OK)
        rc = write_predictions(&a, &model, Y, rows);
    free(Y);
    nnc_model_free(&model);
    return rc;
}
