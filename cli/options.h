/* One option table per subcommand, one parser for all of them.
 *
 * A command lists its options as rows (cli_opt): the name, the type of the
 * value and its range, the default, the help text and where the value goes.
 * cli_parse_options reads the command line against the rows: it checks each
 * value's type and range, refuses an option given twice ("Each option may be
 * given once"), prints --help from the same rows and, for an unknown option,
 * names the nearest known one.  Rows that are not options (a heading, a
 * positional argument's description) only take part in --help. */
#ifndef NNC_CLI_OPTIONS_H
#define NNC_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

typedef enum cli_opt_type {
    CLI_TEXT,     /* not an option: one line of --help, printed as written */
    CLI_ARG,      /* not an option: a help row for a positional argument */
    CLI_HELP,     /* -h/--help: prints the help and stops */
    CLI_FLAG,     /* no value: sets *(int *)dest to 1 */
    CLI_INT,      /* a whole number in [min, max]: int */
    CLI_REAL,     /* a finite number: double */
    CLI_POSITIVE, /* a number > 0: double */
    CLI_NONNEG,   /* a number >= 0: double */
    CLI_SIZE,     /* bytes, or with K, M, G, T: size_t */
    CLI_SEED,     /* a whole number from 0 to 2^64 - 1: uint64_t */
    CLI_STRING,   /* the text itself: const char * */
    CLI_CUSTOM    /* parse(cmd, name, value, dest) reads it */
} cli_opt_type;

/* Reads `value` of the option called `name` (its long name, as messages
 * call it: "--out" also when given as -o) into dest; prints the error and
 * returns 0 when the value is not acceptable. */
typedef int (*cli_opt_parser)(const char *cmd, const char *name, const char *value,
                              void *dest);

typedef struct cli_opt {
    cli_opt_type type;
    const char *name;       /* "--epochs"; CLI_TEXT: the line; CLI_ARG: the left column */
    const char *short_name; /* "-o", or NULL */
    const char *metavar;    /* "N" in "--epochs N"; NULL: no value shown */
    const char *help;       /* lines separated by '\n'; "%D" stands for the default;
                               NULL: no row of its own (a CLI_ARG row or the
                               intro describes it) */
    void *dest;
    const char *def;        /* the default as a command-line value, applied before
                               parsing; NULL: dest keeps the value it holds (a
                               library default), which "%D" shows */
    long min, max;          /* CLI_INT's range */
    cli_opt_parser parse;   /* CLI_CUSTOM */
    int given;              /* set by the parser: the command line gave it */
    char shown_default[32]; /* set by the parser: what "%D" prints */
} cli_opt;

typedef struct cli_command {
    const char *name;         /* "train": messages say "nnc train: ..." */
    const char *intro;        /* --help above the rows: usage, description, blank line */
    const char *outro;        /* --help below the rows (NULL: none) */
    int column;               /* where help texts start, counted from 0 */
    cli_opt *opts;
    int n_opts;
    const char *repeatable;   /* the one option that may be given more than once, or NULL */
} cli_command;

/* What cli_parse_options found. */
enum { CLI_PARSE_ERROR = -1, CLI_PARSE_HELP = 0, CLI_PARSE_OK = 1 };

/* Parses argv[1..argc-1]: options into their rows' dest; the other arguments
 * move, in their order, to argv[1..*n_positional] (as GNU getopt permutes).
 * Returns CLI_PARSE_OK, CLI_PARSE_HELP after printing --help on stdout, or
 * CLI_PARSE_ERROR after printing the error.  A repeatable option's CUSTOM
 * parser is called once per occurrence. */
int cli_parse_options(cli_command *c, int argc, char **argv, int *n_positional);

/* The exit status a command returns for cli_parse_options's result other
 * than CLI_PARSE_OK: 0 after --help, 1 after an error. */
int cli_parse_status(int parsed);

/* 1 if the command line gave the option called name. */
int cli_given(const cli_command *c, const char *name);

/* Prints the command's --help to f. */
void cli_print_help(const cli_command *c, FILE *f);

/* A CLI_CUSTOM parser for a file to write (const char *): "-" (standard
 * output), or a path that cli_check_out_file accepts. */
int cli_read_out_file(const char *cmd, const char *name, const char *value, void *dest);

/* CLI_CUSTOM parsers for an nnc_task (nnc_task_from_name's names) and an
 * nnc_init (nnc_init_from_name's). */
int cli_read_task(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_init(const char *cmd, const char *name, const char *value, void *dest);

/* A CLI_CUSTOM parser for --kernels (const char *): a name that
 * nnc_net_set_kernels takes here (cli_parse_kernels). */
int cli_read_kernels(const char *cmd, const char *name, const char *value, void *dest);
#define CLI_KERNELS_HELP                                                                 \
    "matrix kernels: auto (nnc's best for this CPU), avx512,\n"                          \
    "avx2, portable, or openblas in a build with OpenBLAS\n"                             \
    "(its sums agree with nnc's to rounding, not bit for\n"                              \
    "bit; its own threads run them) (default: auto)"

/* A CLI_CUSTOM parser for a comma list of layer widths (cli_parse_widths)
 * into a cli_widths_dest; all_layers: the list names inputs and outputs too,
 * so it needs at least two. */
typedef struct cli_widths_dest {
    int *widths, max_count, *count, all_layers;
} cli_widths_dest;
int cli_read_layers(const char *cmd, const char *name, const char *value, void *dest);

/* A CLI_CUSTOM parser that copies the value into a cli_text_dest's buffer
 * (an --activation list), refusing one too long for it. */
typedef struct cli_text_dest {
    char *text;
    size_t size;
} cli_text_dest;
int cli_read_text(const char *cmd, const char *name, const char *value, void *dest);

/* Rows that most commands share. */
#define CLI_OPT_HELP(text) {.type = CLI_HELP, .name = "--help", .short_name = "-h", .help = (text)}
#define CLI_OPT_MAX_MEMORY(size_dest)                                                    \
    {.type = CLI_SIZE, .name = "--max-memory", .metavar = "SIZE", .dest = (size_dest),     \
     .help = "refuse input that would need more memory, in bytes\n"                     \
             "or with K, M, G, T (256M, 4G; default: half the\n"                         \
             "physical memory)"}

/* The rows of a cli_data_source's files (src: a cli_data_source *): --train
 * and --test, described by a CLI_ARG row of the command's own words above
 * them, and the IDX label files. */
#define CLI_OPT_DATA_FILES(src)                                                         \
    {.type = CLI_STRING, .name = "--train", .metavar = "FILE", .dest = &(src)->train_path}, \
    {.type = CLI_STRING, .name = "--test", .metavar = "FILE", .dest = &(src)->test_path}
#define CLI_OPT_IDX_LABELS(src)                                                         \
    {.type = CLI_STRING, .name = "--train-labels", .metavar = "FILE",                    \
     .dest = &(src)->train_labels,                                                      \
     .help = "IDX labels of --train (default: the file beside it,\n"                     \
             "named with labels-idx1 for images-idx3); needs\n--task multiclass"},       \
    {.type = CLI_STRING, .name = "--test-labels", .metavar = "FILE",                     \
     .dest = &(src)->test_labels, .help = "IDX labels of --test (likewise)"}

/* --threads of a command that only runs the network forward (int *). */
#define CLI_OPT_THREADS_OF_PRODUCTS(int_dest)                                           \
    {.type = CLI_INT, .name = "--threads", .metavar = "N", .dest = (int_dest), .min = 1,   \
     .max = 256,                                                                        \
     .help = "threads that share each large product, 1 to 256; the\n"                    \
             "same numbers whatever N (default: the number of\n"                         \
             "online CPUs, " CLI_THREADS_MAX_TEXT ")"}

/* Helpers for rows: CLI_OPTS(rows) fills .opts and .n_opts. */
#define CLI_OPTS(rows) .opts = (rows), .n_opts = (int)(sizeof(rows) / sizeof((rows)[0]))

#endif
