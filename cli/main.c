/* nnc: the command-line tool.  A small dispatcher over the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"train", cmd_train, "train a network (the textbook's sine fit by default)"},
    {"eval", cmd_eval, "evaluate textbook-format weights on a data set"},
    {"activations", cmd_activations, "list the activation functions, or evaluate one"},
    {"optimizers", cmd_optimizers, "list the optimizers, or draw the ch15.4 contour study"},
    {"steps", cmd_steps, "how many gradient steps Sigmoid and ReLU need (67 vs 2)"},
    {"plot", cmd_plot, "draw training histories (history.csv) as SVG, one run or several"},
    {"sweep", cmd_sweep, "train a grid of hidden sizes, learning rates and batch sizes"},
    {"predict", cmd_predict, "run a model file (.nnc) on inputs and write its predictions"},
    {"convert", cmd_convert, "convert a model file to the textbook's weight files and back"},
    {"export-c", cmd_export_c, "write a model as one dependency-free C source file"},
    {"bench", cmd_bench, "time training of any network on synthetic data (FLOP/s, samples/s)"},
};
enum { COMMAND_COUNT = sizeof commands / sizeof commands[0] };

static void usage(FILE *to)
{
    fprintf(to, "usage: nnc <command> [options]   (nnc <command> --help for its options)\n\n"
                "commands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(to, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n  nnc --version   prints the version\n");
}

/* Output that could not be written is a failure, not a success: flushes and
 * closes stdout, and on an error says "nnc <cmd>: cannot write standard
 * output: <reason>" and turns a successful status into 2 (a failed command
 * keeps its own). */
static int finish_stdout(const char *cmd, int status)
{
    errno = 0;
    int failed = fflush(stdout) != 0, e = errno;
    if (ferror(stdout) && !failed) {
        /* An earlier write failed and its errno is gone: ask the descriptor
         * again with an empty write, which reports a full device (or a
         * closed one); else the error is unknown. */
        failed = 1;
        e = write(STDOUT_FILENO, "", 0) < 0 ? errno : EIO;
    }
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed)
        return status;
    fprintf(stderr, "nnc%s%s: cannot write standard output: %s\n", cmd ? " " : "",
            cmd ? cmd : "", strerror(e ? e : EIO));
    return status == CLI_OK ? CLI_FAILED : status;
}

static int run_main(int argc, char **argv, const char **cmd)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0 ||
        strcmp(name, "--version") == 0) {
        int most = strcmp(name, "help") == 0 ? 3 : 2;
        if (argc > most) {
            fprintf(stderr, "nnc: unexpected argument '%s' after %s\n", argv[most], name);
            return CLI_USAGE;
        }
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            for (int i = 0; i < COMMAND_COUNT; i++) {
                if (strcmp(commands[i].name, argv[2]) == 0) {
                    char help[] = "--help";
                    char *args[] = {argv[2], help, NULL};
                    *cmd = commands[i].name;
                    return commands[i].run(2, args);
                }
            }
            fprintf(stderr, "nnc: unknown command '%s'\n", argv[2]);
            return CLI_USAGE;
        }
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("nnc %s (%s)\n", nnc_version(), sizeof(nnc_real) == 8 ? "double" : "float");
        return CLI_OK;
    }
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0) {
            *cmd = commands[i].name;
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "nnc: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    const char *cmd = NULL;
    int status = run_main(argc, argv, &cmd);
    return finish_stdout(cmd, status);
}
