/* The nnc command-line tool: one file per subcommand, shared helpers here. */
#ifndef NNC_CLI_H
#define NNC_CLI_H

#include "nnc.h"

#include <stdio.h>

/* Each subcommand gets argv[0] = its own name and returns the exit status
 * (none calls exit(): main flushes standard output after every command). */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_activations(int argc, char **argv);
int cmd_optimizers(int argc, char **argv);
int cmd_steps(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_export_c(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Exit statuses: 0 success, 1 bad usage or input, 2 runtime failure,
 * 3 training diverged, 130 interrupted by Ctrl-C (the shell's convention). */
enum { CLI_OK = 0, CLI_USAGE = 1, CLI_FAILED = 2, CLI_DIVERGED = 3, CLI_INTERRUPTED = 130 };

/* Prints "nnc <cmd>: <message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints "nnc <cmd>: <what>: <library message or strerror>" for a failed status. */
void cli_status_error(const char *cmd, nnc_status status);

/* Parse a whole string as a number; on failure print an error naming the
 * flag and return 0 (success returns 1). */
int cli_parse_double(const char *cmd, const char *flag, const char *text, double *out);
int cli_parse_int(const char *cmd, const char *flag, const char *text, long min,
                  long max, int *out);
/* A seed: a whole number from 0 to 2^64 - 1. */
int cli_parse_seed(const char *cmd, const char *text, uint64_t *out);
/* --max-memory SIZE: bytes, or K, M, G, T (powers of 1024): "256M", "4G". */
int cli_parse_size(const char *cmd, const char *flag, const char *text, size_t *out);
/* A model file (twice its size: its bytes and its values) within --max-memory
 * (0: the default); 1 if so, else 0 after an error. */
int cli_check_model_memory(const char *cmd, const char *path, size_t max_memory);
/* --kernels: 1 if nnc_net_set_kernels can take `text` here, else 0 after an
 * error that lists the kernels this build and CPU have. */
int cli_parse_kernels(const char *cmd, const char *text);
/* The hidden layers' activation when none is given: the textbook's. */
#define CLI_DEFAULT_ACTIVATION "sigmoid"
/* "name" or "name:param" (e.g. "leaky_relu:0.02"); param defaults to the
 * catalogue's default. */
int cli_parse_activation(const char *cmd, const char *text, nnc_activation *id,
                         double *param);
/* The hidden layers' activations: one "name[:param]" for all n_hidden
 * layers, or a comma list of one per layer; fills specs[l].activation and
 * .param for l < n_hidden. */
int cli_parse_activation_list(const char *cmd, const char *text, int n_hidden,
                              nnc_layer_spec *specs);
/* The time now as "2024-05-01T12:00:00Z" (UTC), or SOURCE_DATE_EPOCH's when
 * that is set, for reproducible files. */
void cli_utc_now(char *buf, size_t size);
/* A comma-separated list of doubles ("1,2.5,-3"); *out is malloc'ed. */
int cli_parse_double_list(const char *cmd, const char *flag, const char *text,
                          double **out, int *count);

/* Where train/eval take their data from: a built-in set ("sin",
 * "composite") or a pair of files (.npz with keys data/label, .csv with
 * the label columns given by --label, the last one by default, or IDX
 * images, raw or gzip, with their labels from --train-labels/--test-labels
 * or the file beside them named labels-idx1 for images-idx3). */
typedef struct cli_data_source {
    const char *builtin, *train_path, *test_path, *label;
    const char *train_labels, *test_labels; /* IDX label files, or NULL */
    size_t max_memory;                      /* --max-memory; 0: the default */
} cli_data_source;

/* Loads the source.  Multiclass labels become one-hot rows (classes from
 * the smallest to the largest training label).  Prints its own errors;
 * returns 1 on success. */
typedef struct cli_data {
    const char *name;     /* "sin", "composite", or the training file's stem */
    nnc_dataset *train, *test;
    char stem[64];
    char sha256[65];      /* SHA-256 of the training data's bytes, "" if unknown */
    int first_label;      /* multiclass: the label of class 0 (the smallest
                             training label; 0 for IDX); 0 otherwise */
    size_t max_memory;    /* the memory limit the data was loaded under */
    int exit_status;      /* after a failed cli_load_data: CLI_FAILED when out of
                             memory, else CLI_USAGE (bad input, a --max-memory refusal) */
} cli_data;
int cli_load_data(const char *cmd, const cli_data_source *src, nnc_task task,
                  cli_data *out);
void cli_free_data(cli_data *data);
/* 1 if name is one of the built-in data sets. */
int cli_is_builtin(const char *name);

/* A number that must be positive (allow_zero: >= 0); prints "<flag> must be
 * positive (got X)" or "<flag> must be >= 0 (got X)" otherwise. */
int cli_parse_positive(const char *cmd, const char *flag, const char *text, int allow_zero,
                       double *out);

/* Checks, before any work, that outputs can be written where asked, so that a
 * bad path is a usage error (exit 1) and not a failure after the work.
 * A folder to be created if missing (mkdir -p): every part of it that exists
 * is a folder, and the deepest one that exists is writable. */
int cli_check_out_dir(const char *cmd, const char *what, const char *dir);
/* A file written through a temporary file and a rename: not a folder, in a
 * folder that exists and is writable.  `what` names it ("-o", "--out"). */
int cli_check_out_file(const char *cmd, const char *what, const char *path);

/* The most checks one training run may make: each is three log lines, one
 * history row in memory, in history.csv and in the model file. */
enum { CLI_MAX_CHECKS = 1000000 };
/* The library's plan of a run over `rows` rows from total iteration
 * done_iterations (a resumed run's; nnc_train_plan_for: the split, the batch,
 * the schedule), refused with an error when it is not one or makes more than
 * CLI_MAX_CHECKS checks. */
int cli_train_plan(const char *cmd, int rows, const nnc_train_options *o,
                   long done_iterations, nnc_train_plan *plan);
/* The rows a network's work buffers hold for --batch batch_size over a data
 * set of `rows` rows: the batch, or all the rows for -1 or a larger batch.
 * Not the training batch (nnc_train_plan's, at most the training rows): the
 * buffers also serve evaluation, which runs in chunks of this many rows, so
 * that the whole set for -1 is evaluated in one pass as it always was. */
int cli_work_rows(int batch_size, int rows);
/* A comma list of layer widths, whole numbers from 1 to 1000000, at most
 * max_count of them ("784,128,10"). */
int cli_parse_widths(const char *cmd, const char *flag, const char *text, int *widths,
                     int max_count, int *count);
/* A network of these widths (inputs first), copies times over, each with
 * work buffers for `batch` rows, must fit in this machine's memory;
 * `what` names the options that chose it ("--hidden", "--layers"). */
int cli_check_net_memory(const char *cmd, const char *what, const int *widths,
                         int n_widths, int batch, int copies);

/* The number of online CPUs, from 1 to max (1 when unknown). */
int cli_online_cpus(int max);
/* The default --threads: the online CPUs, but no more than this many (a
 * batch's products rarely gain from more). */
#define CLI_DEFAULT_THREADS_MAX 16
/* A macro's value as a string literal: CLI_STRING_OF(CLI_DEFAULT_THREADS_MAX) is "16". */
#define CLI_STRING_OF(x) CLI_STRING_OF_(x)
#define CLI_STRING_OF_(x) #x
/* The words that give --threads' default in help texts. */
#define CLI_THREADS_MAX_TEXT "at most " CLI_STRING_OF(CLI_DEFAULT_THREADS_MAX)
#define CLI_THREADS_DEFAULT_HELP "(default: the number of online CPUs, " CLI_THREADS_MAX_TEXT ")"

/* mkdir -p: creates dir and every missing folder on the way. */
int cli_make_dirs(const char *cmd, const char *dir);
/* Writes text (malloc'ed, freed here) to path through a temporary file. */
int cli_write_text(const char *cmd, const char *path, char *text, size_t len);
/* A training history as CSV: epoch,total_iteration,loss_train,accuracy_train,
 * loss_valid,accuracy_valid, each number the shortest text that reads back
 * as exactly the same double. */
int cli_write_history(const char *cmd, const char *path, const nnc_checkpoint *history,
                      size_t count);

/* Loads a model file for predict and export-c (in cmd_predict.c), printing
 * the error (with a hint when MODEL is a folder); returns CLI_OK, else the
 * exit status. */
int cli_load_model(const char *cmd, const char *path, int max_batch, nnc_model *model);

/* The shortest decimal that reads back as exactly x, written as Python's
 * repr writes a float (0.8575700023301912, 1.0). */
void cli_format_shortest(char *buf, size_t size, double x);
/* For names, tables and messages: whole numbers plainly (10, not 10.0 or
 * 1e+01), others as cli_format_shortest (0.1). */
void cli_format_number(char *buf, size_t size, double x);

/* A value for a text output (hyperparameters.txt, tables, reports) that can
 * neither start a line of its own nor break the file's UTF-8: controls
 * (\n, \t, \r, \xHH for the rest, C1 included), bytes that are not UTF-8
 * (\xHH) and the backslash (\\) are escaped, and so is every character of
 * `also` (NULL: none), written as \ and itself ("|" for a Markdown table).
 * Writes at most size bytes with the '\0' to out (out NULL: nothing) and
 * returns the escaped length, as snprintf. */
size_t cli_escape_value(char *out, size_t size, const char *text, const char *also);
/* Writes text escaped as cli_escape_value to f. */
void cli_put_value(FILE *f, const char *text, const char *also);

/* A run folder is written by one nnc process at a time: cli_lock_dir takes
 * an advisory lock on dir/.nnc.lock (created if missing, and left in place)
 * for as long as *fd stays open, or prints that another run holds it (with
 * its process id) and returns 0.  cli_unlock_dir(-1) does nothing. */
#define CLI_LOCK_FILE ".nnc.lock"
int cli_lock_dir(const char *cmd, const char *dir, int *fd);
void cli_unlock_dir(int fd);

#endif
