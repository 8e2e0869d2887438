/* nnc eval: scores the textbook's weight files (wb1.npz, ...) on a data set,
 * as the textbook's checks and test do. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char eval_usage[] =
    "usage: nnc eval --model DIR [sin|composite | --train FILE --test FILE] [options]\n"
    "\n"
    "Loads DIR/wb1.npz, wb2.npz, ... (keys weights, bias) and prints loss_valid and\n"
    "accuracy_valid on the validation set (the first tenth of the training file)\n"
    "and the test accuracy, in the textbook's formats.\n"
    "\n"
    "  --model DIR             folder with the weight files (required)\n"
    "  sin | composite         a built-in data set (default: sin)\n"
    "  --train FILE --test FILE  .npz (keys data, label) or .csv (numbers, header optional)\n"
    "  --label COLS            CSV label columns, 0-based, negative from the end\n"
    "                          (default: -1, the last)\n"
    "  --task NAME             fitting | binary (labels 0 and 1) | multiclass\n"
    "                          (default: fitting)\n"
    CLI_MAX_MEMORY_HELP
    "  --activation NAME[:P]   the hidden layers' activation (default: sigmoid)\n"
    "  --threads N             threads that share each large product, 1 to 256; the\n"
    "                          same numbers whatever N (default: the number of\n"
    "                          online CPUs, at most %d)\n"
    "  -h, --help              this text\n"
    "Each option may be given once.\n";

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL;
    cli_data_source src = {0};
    const char *activation = "sigmoid";
    nnc_task task = NNC_TASK_FITTING;
    int activation_given = 0, threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX);
    cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int m = 0;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            printf(eval_usage, CLI_DEFAULT_THREADS_MAX);
            return CLI_OK;
        }
        int d = cli_data_option("eval", argc, argv, &i, &src, &seen);
        if (d < 0)
            return CLI_USAGE;
        if (d > 0)
            continue;
#define OPTION(flag) ((v = cli_option("eval", argc, argv, &i, flag, &m, &seen)) != NULL || m)
        if (OPTION("--model")) {
            model = v;
        } else if (OPTION("--activation")) {
            activation = v;
            activation_given = 1;
        } else if (OPTION("--task")) {
            if (v && nnc_task_from_name(v, &task) != NNC_OK) {
                cli_status_error("eval", NNC_ERR_ARGUMENT);
                return CLI_USAGE;
            }
        } else if (OPTION("--threads")) {
            if (v && !cli_parse_int("eval", "--threads", v, 1, 256, &threads))
                return CLI_USAGE;
        } else if (arg[0] == '-') {
            cli_error("eval", "unknown option '%s' (see nnc eval --help)", arg);
            return CLI_USAGE;
        } else if (!src.builtin) {
            src.builtin = arg;
        } else {
            cli_error("eval", "unexpected argument '%s'", arg);
            return CLI_USAGE;
        }
#undef OPTION
        if (m && !v)
            return CLI_USAGE;
    }
    if (!model) {
        cli_error("eval", "--model DIR is required (see nnc eval --help)");
        return CLI_USAGE;
    }
    nnc_activation act;
    double param;
    if (!cli_parse_activation("eval", activation, &act, &param))
        return CLI_USAGE;

    enum { MAX_WIDTHS = 65 };
    int widths[MAX_WIDTHS], n_layers;
    nnc_status s = nnc_textbook_shape(model, widths, MAX_WIDTHS, &n_layers);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        return CLI_USAGE;
    }
    if (n_layers == 1 && activation_given) {
        cli_error("eval", "--activation: the weights in %s make a single layer, with no "
                  "hidden activation to choose", model);
        return CLI_USAGE;
    }
    cli_data data;
    if (!cli_load_data("eval", &src, task, &data))
        return data.exit_status;
    int status = CLI_USAGE;
    nnc_net *net = NULL;
    nnc_layer_spec specs[MAX_WIDTHS];
    for (int l = 0; l < n_layers; l++) {
        specs[l].units = widths[l + 1];
        specs[l].activation = l < n_layers - 1 ? act : NNC_ACT_IDENTITY;
        specs[l].param = l < n_layers - 1 ? param : 0;
    }
    int n_in = nnc_dataset_inputs(data.train), n_out = nnc_dataset_outputs(data.train);
    if (widths[0] != n_in || widths[n_layers] != n_out) {
        cli_error("eval", "%s: the weights take %d inputs and give %d outputs; the data has "
                  "%d and %d", model, widths[0], widths[n_layers], n_in, n_out);
        goto done;
    }
    s = nnc_net_create(&net, task, n_in, n_layers, specs, 256);
    if (s == NNC_OK)
        s = nnc_net_set_threads(net, threads);
    if (s == NNC_OK)
        s = nnc_net_load_textbook(net, model);
    double loss_valid, acc_valid, acc_test;
    int n_valid = nnc_dataset_rows(data.train) / 10;
    if (s == NNC_OK && n_valid < 1) {
        cli_error("eval", "the training data has fewer than 10 rows: no validation set");
        goto done;
    }
    if (s == NNC_OK)
        s = nnc_net_evaluate(net, nnc_dataset_x(data.train), nnc_dataset_y(data.train),
                             n_valid, &loss_valid, &acc_valid);
    if (s == NNC_OK)
        s = nnc_net_evaluate(net, nnc_dataset_x(data.test), nnc_dataset_y(data.test),
                             nnc_dataset_rows(data.test), NULL, &acc_test);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        goto done;
    }
    char num[32];
    cli_format_shortest(num, sizeof num, acc_test);
    printf("loss_valid=%.6f, accuracy_valid=%f\ntesting...\n%s\n", loss_valid, acc_valid, num);
    status = CLI_OK;
done:
    nnc_net_free(net);
    cli_free_data(&data);
    return status;
}
