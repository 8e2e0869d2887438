/* nnc eval: scores a model file, a run folder (its model.nnc) or the
 * textbook's weight files (wb1.npz, ...) on a data set, as the textbook's
 * checks and test do. */
#include "cli.h"
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char eval_intro[] =
    "usage: nnc eval --model MODEL [sin|composite | --train FILE --test FILE] [options]\n"
    "\n"
    "Prints loss_valid and accuracy_valid on the validation set (the first tenth\n"
    "of the training file) and the test accuracy, in the textbook's formats.\n"
    "\n";

static const char eval_outro[] =
    "A model file or run folder brings its own task, activations, input and target\n"
    "scaling, and the data it was trained on: the data and --activation given here\n"
    "replace the model's (a warning says when the data differs), and --task must\n"
    "match it.  Weight files hold only weights: the defaults are sin, --task\n"
    "fitting and --activation " CLI_DEFAULT_ACTIVATION ".\n"
    "Each option may be given once.\n";

/* What the command line gave. */
typedef struct eval_args {
    const char *model;
    cli_data_source src;
    const char *activation; /* NULL: not given */
    nnc_task task;
    int task_given, threads;
} eval_args;

static int data_given(const cli_data_source *d)
{
    return d->builtin || d->train_path || d->test_path || d->label || d->train_labels ||
           d->test_labels;
}

/* Scores net on the validation rows and the test set, and prints them. */
static int score(nnc_net *net, const cli_data *data)
{
    double loss_valid, acc_valid, acc_test;
    /* The validation rows are those nnc_train set aside. */
    nnc_train_options defaults = nnc_train_options_default();
    nnc_train_plan plan;
    int n_valid = nnc_train_plan_for(nnc_dataset_rows(data->train), &defaults, 0, &plan) ==
                          NNC_OK
                      ? plan.n_valid
                      : 0;
    if (n_valid < 1) {
        cli_error("eval", "the training data has fewer than 10 rows: no validation set");
        return CLI_USAGE;
    }
    nnc_status s = nnc_net_evaluate(net, nnc_dataset_x(data->train), nnc_dataset_y(data->train),
                                    n_valid, &loss_valid, &acc_valid);
    if (s == NNC_OK)
        s = nnc_net_evaluate(net, nnc_dataset_x(data->test), nnc_dataset_y(data->test),
                             nnc_dataset_rows(data->test), NULL, &acc_test);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    char num[32];
    cli_format_shortest(num, sizeof num, acc_test);
    printf("loss_valid=%.6f, accuracy_valid=%f\ntesting...\n%s\n", loss_valid, acc_valid, num);
    return CLI_OK;
}

/* The network's input and output widths must be the data's. */
static int shapes_match(const char *model, const nnc_net *net, const cli_data *data)
{
    int n_in = nnc_dataset_inputs(data->train), n_out = nnc_dataset_outputs(data->train);
    if (nnc_net_inputs(net) == n_in && nnc_net_outputs(net) == n_out)
        return 1;
    cli_error("eval", "%s: the weights take %d inputs and give %d outputs; the data has "
              "%d and %d", model, nnc_net_inputs(net), nnc_net_outputs(net), n_in, n_out);
    return 0;
}

/* The data: the command line's (src as given), else the one the model was
 * trained on (its provenance, as nnc train --resume reads it), else sin.
 * Returns the name the model records for its data, or NULL. */
static const char *model_data_source(const nnc_model *model, const char *file,
                                     cli_data_source *src)
{
    const char *recorded = nnc_model_get_meta(model, "data");
    if (data_given(src))
        return recorded;
    static const char *const keys[] = {"data", "train_file", "test_file",
                                       "label_columns", "train_labels", "test_labels"};
    const char **slots[] = {&src->builtin, &src->train_path, &src->test_path,
                            &src->label, &src->train_labels, &src->test_labels};
    for (int k = 0; k < 6; k++)
        *slots[k] = nnc_model_get_meta(model, keys[k]);
    if (src->train_path || (src->builtin && !cli_is_builtin(src->builtin)))
        src->builtin = NULL; /* a file's stem, not a built-in set */
    if (!src->builtin && !src->train_path && !src->test_path) {
        src->builtin = "sin";
        fprintf(stderr, "nnc eval: note: %s records no training data (it was not "
                "made by nnc train); evaluating on sin\n", file);
        return NULL;
    }
    return recorded;
}

/* A model file: its task, activations, scaling and (unless given) data. */
static int eval_model_file(const eval_args *a, const char *file)
{
    nnc_model model = {0};
    int rc = cli_load_model("eval", file, 256, &model);
    if (rc != CLI_OK)
        return rc;
    nnc_net *net = model.net;
    nnc_task task = nnc_net_task(net);
    int n_layers = nnc_net_layers(net);
    cli_data data = {0};
    int have_data = 0;
    rc = CLI_USAGE;
    if (a->task_given && a->task != task) {
        cli_error("eval", "--task %s does not match %s, a %s model", nnc_task_name(a->task),
                  file, nnc_task_name(task));
        goto done;
    }
    if (a->activation) {
        if (n_layers == 1) {
            cli_error("eval", "--activation: %s has a single layer, with no hidden "
                      "activation to choose", file);
            goto done;
        }
        nnc_layer_spec specs[NNC_MAX_LAYERS];
        for (int l = 0; l < n_layers; l++)
            specs[l] = nnc_net_layer(net, l);
        if (!cli_parse_activation_list("eval", a->activation, n_layers - 1, specs))
            goto done;
        nnc_net *other = NULL;
        nnc_status s = nnc_net_create(&other, task, nnc_net_inputs(net), n_layers, specs, 256);
        if (s != NNC_OK) {
            cli_status_error("eval", s);
            rc = s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
            goto done;
        }
        memcpy(nnc_net_parameters(other), nnc_net_parameters(net),
               nnc_net_parameter_count(net) * sizeof(nnc_real));
        nnc_net_free(net);
        model.net = net = other;
    }
    cli_data_source src = a->src;
    const char *recorded = model_data_source(&model, file, &src);
    if (!cli_load_data("eval", &src, task, &data)) {
        rc = data.exit_status;
        goto done;
    }
    have_data = 1;
    const char *was = nnc_model_get_meta(&model, "train_sha256");
    if (was && data.sha256[0] && strcmp(was, data.sha256) != 0)
        fprintf(stderr, "nnc eval: warning: %s was trained on other data (%s, SHA-256 "
                "%.12s...; this data %s, %.12s...): the figures are for this data\n", file,
                recorded ? recorded : "unnamed", was, data.name ? data.name : "", data.sha256);
    if (task == NNC_TASK_MULTICLASS && data.first_label != model.label_base) {
        cli_error("eval", "%s numbers its classes from label %d, but the smallest training "
                  "label here is %d: every class would shift by %lld", file,
                  model.label_base, data.first_label,
                  (long long)data.first_label - model.label_base);
        goto done;
    }
    if (!shapes_match(file, net, &data))
        goto done;
    nnc_status s = nnc_dataset_scale(data.train, &model.x_scaling, &model.y_scaling);
    if (s == NNC_OK)
        s = nnc_dataset_scale(data.test, &model.x_scaling, &model.y_scaling);
    if (s == NNC_OK)
        s = nnc_net_set_threads(net, a->threads);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        rc = s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
        goto done;
    }
    rc = score(net, &data);
done:
    if (have_data)
        cli_free_data(&data);
    nnc_model_free(&model);
    return rc;
}

/* A folder of the textbook's weight files: the command line (or the
 * defaults) give everything but the weights. */
static int eval_textbook(const eval_args *a)
{
    const char *model = a->model;
    nnc_activation act;
    double param;
    if (!cli_parse_activation("eval", a->activation ? a->activation : CLI_DEFAULT_ACTIVATION, &act, &param))
        return CLI_USAGE;
    enum { MAX_WIDTHS = NNC_MAX_LAYERS + 1 };
    int widths[MAX_WIDTHS], n_layers;
    nnc_status s = nnc_textbook_shape(model, widths, MAX_WIDTHS, &n_layers);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        return CLI_USAGE;
    }
    if (n_layers == 1 && a->activation) {
        cli_error("eval", "--activation: the weights in %s make a single layer, with no "
                  "hidden activation to choose", model);
        return CLI_USAGE;
    }
    cli_data_source src = a->src;
    if (!data_given(&src))
        src.builtin = "sin";
    cli_data data;
    if (!cli_load_data("eval", &src, a->task, &data))
        return data.exit_status;
    int status = CLI_USAGE;
    nnc_net *net = NULL;
    nnc_layer_spec specs[MAX_WIDTHS] = {{0}};
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
    s = nnc_net_create(&net, a->task, n_in, n_layers, specs, 256);
    if (s == NNC_OK)
        s = nnc_net_set_threads(net, a->threads);
    if (s == NNC_OK)
        s = nnc_net_load_textbook(net, model);
    if (s != NNC_OK) {
        cli_status_error("eval", s);
        status = s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
        goto done;
    }
    status = score(net, &data);
done:
    nnc_net_free(net);
    cli_free_data(&data);
    return status;
}

int cmd_eval(int argc, char **argv)
{
    eval_args a = {.task = NNC_TASK_FITTING,
                   .threads = cli_online_cpus(CLI_DEFAULT_THREADS_MAX)};
    cli_opt rows[] = {
        {.type = CLI_STRING, .name = "--model", .metavar = "MODEL", .dest = &a.model,
         .help = "a model file (.nnc), a run folder of nnc train (its\n"
                 "model.nnc), or a folder of the textbook's weight\n"
                 "files wb1.npz, wb2.npz, ... (keys weights, bias)\n(required)"},
        {.type = CLI_ARG, .name = "sin | composite", .help = "a built-in data set"},
        {.type = CLI_ARG, .name = "--train FILE --test FILE",
         .help = ".npz (keys data, label) or .csv (numbers, header optional)"},
        CLI_OPT_DATA_FILES(&a.src),
        {.type = CLI_STRING, .name = "--label", .metavar = "COLS", .dest = &a.src.label,
         .help = "CSV label columns, 0-based, negative from the end\n(default: -1, the last)"},
        CLI_OPT_IDX_LABELS(&a.src),
        {.type = CLI_CUSTOM, .name = "--task", .metavar = "NAME", .dest = &a.task,
         .parse = cli_read_task, .help = "fitting | binary (labels 0 and 1) | multiclass"},
        CLI_OPT_MAX_MEMORY(&a.src.max_memory),
        {.type = CLI_STRING, .name = "--activation", .metavar = "NAME[:P]", .dest = &a.activation,
         .help = "the hidden layers' activation, or one per hidden layer\n"
                 "separated by commas"},
        CLI_OPT_THREADS_OF_PRODUCTS(&a.threads),
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {.name = "eval", .intro = eval_intro, .outro = eval_outro,
                           .column = 26, CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (n_args > 1) {
        cli_error("eval", "unexpected argument '%s'", argv[2]);
        return CLI_USAGE;
    }
    a.src.builtin = n_args ? argv[1] : NULL;
    a.task_given = cli_given(&command, "--task");
    if (!a.model) {
        cli_error("eval", "--model MODEL is required (see nnc eval --help)");
        return CLI_USAGE;
    }
    /* A run folder holds model.nnc beside its wb*.npz: the model file
     * records what the weight files do not. */
    struct stat st;
    if (stat(a.model, &st) != 0 && errno == ENOENT) {
        cli_error("eval", "%s: no such model file or folder (give a model file, a run "
                  "folder holding model.nnc, or a folder of wb1.npz, wb2.npz, ...)", a.model);
        return CLI_USAGE;
    }
    if (stat(a.model, &st) == 0 && S_ISDIR(st.st_mode)) {
        char inner[4200];
        int n = snprintf(inner, sizeof inner, "%s/model.nnc", a.model);
        if (n > 0 && (size_t)n < sizeof inner && stat(inner, &st) == 0)
            return eval_model_file(&a, inner);
        return eval_textbook(&a);
    }
    return eval_model_file(&a, a.model);
}
