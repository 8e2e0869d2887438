/* nnc convert: a model file (.nnc) to the textbook's weight files
 * (wb1.npz, ...) and back. */
#include "cli.h"
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_WIDTHS (NNC_MAX_LAYERS + 1) /* inputs, then one width per layer */

static const char convert_intro[] =
    "usage: nnc convert IN OUT [options]\n"
    "\n"
    "Converts between the two ways nnc keeps a network:\n"
    "  MODEL.nnc -> DIR        writes DIR/wb1.npz, wb2.npz, ... (the textbook's weight\n"
    "                          files: keys weights (inputs, units) and bias (1, units),\n"
    "                          float64); DIR is created if missing.  They hold the\n"
    "                          weights only: the task, activations and scaling stay\n"
    "                          behind (the options to convert back are printed).\n"
    "  DIR -> MODEL.nnc        reads DIR/wb1.npz, ... (the widths come from the files)\n"
    "                          and writes a model file, with the task and activations\n"
    "                          given below; its provenance names DIR.\n"
    "\n"
    "options for DIR -> MODEL.nnc:\n";

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* DIR (wb1.npz ...) -> MODEL.nnc */
static int textbook_to_model(const char *dir, const char *out, nnc_task task,
                             const char *activation, int label_base)
{
    int widths[MAX_WIDTHS], n_layers;
    nnc_status s = nnc_textbook_shape(dir, widths, MAX_WIDTHS, &n_layers);
    if (s != NNC_OK) {
        cli_status_error("convert", s);
        return CLI_USAGE;
    }
    nnc_layer_spec specs[MAX_WIDTHS] = {{0}};
    for (int l = 0; l < n_layers; l++) {
        specs[l].units = widths[l + 1];
        specs[l].activation = NNC_ACT_IDENTITY;
        specs[l].param = 0;
    }
    if (n_layers == 1 && activation) {
        cli_error("convert", "--activation: the weights in %s make a single layer, with no "
                  "hidden activation to choose", dir);
        return CLI_USAGE;
    }
    if (n_layers > 1 &&
        !cli_parse_activation_list("convert", activation ? activation : CLI_DEFAULT_ACTIVATION,
                                   n_layers - 1, specs))
        return CLI_USAGE;
    if (task == NNC_TASK_MULTICLASS && widths[n_layers] < 2) {
        cli_error("convert", "--task multiclass: the weights in %s end in %d output; a softmax "
                  "needs at least 2 units (one output is --task binary)", dir,
                  widths[n_layers]);
        return CLI_USAGE;
    }
    nnc_model model = {0};
    s = nnc_net_create(&model.net, task, widths[0], n_layers, specs, 1);
    if (s != NNC_OK) {
        cli_status_error("convert", s);
        return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    model.label_base = label_base;
    char when[64];
    cli_utc_now(when, sizeof when);
    s = nnc_net_load_textbook(model.net, dir);
    int rc = s == NNC_OK ? CLI_OK : CLI_USAGE;
    if (s == NNC_OK) {
        s = nnc_model_set_meta(&model, "converted_from", dir);
        if (s == NNC_OK)
            s = nnc_model_set_meta(&model, "created", when);
        if (s == NNC_OK)
            s = nnc_model_save(&model, out);
        rc = s == NNC_OK ? CLI_OK : CLI_FAILED;
    }
    if (s != NNC_OK)
        cli_status_error("convert", s);
    else
        fprintf(stderr, "nnc convert: wrote %s (%s, %d layers, from %s)\n", out,
                nnc_task_name(task), n_layers, dir);
    nnc_model_free(&model);
    return rc;
}

/* MODEL.nnc -> DIR (wb1.npz ...) */
static int model_to_textbook(const char *in, const char *dir)
{
    nnc_model model = {0};
    nnc_status s = nnc_model_load(&model, in, 1);
    if (s != NNC_OK) {
        cli_status_error("convert", s);
        return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE;
    }
    int n_layers = nnc_net_layers(model.net), rc = CLI_OK;
    /* A deeper network written there before would leave wb<N+1>.npz behind,
     * and the folder would read back as that network. */
    char path[4200];
    snprintf(path, sizeof path, "%s/wb%d.npz", dir, n_layers + 1);
    struct stat st;
    if (stat(path, &st) == 0) {
        cli_error("convert", "%s already holds wb%d.npz, which this %d-layer model would "
                  "leave behind; remove it or choose another folder", dir, n_layers + 1,
                  n_layers);
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK && !cli_make_dirs("convert", dir))
        rc = CLI_USAGE;
    if (rc == CLI_OK) {
        s = nnc_net_save_textbook(model.net, dir);
        if (s != NNC_OK) {
            cli_status_error("convert", s);
            rc = CLI_FAILED;
        }
    }
    if (rc == CLI_OK) {
        /* What the weight files cannot hold, and how to get it back. */
        char acts[1024] = "";
        size_t k = 0;
        int same = 1;
        for (int l = 0; l + 1 < n_layers; l++) {
            nnc_layer_spec sp = nnc_net_layer(model.net, l), first = nnc_net_layer(model.net, 0);
            same &= sp.activation == first.activation && sp.param == first.param;
        }
        for (int l = 0; l + 1 < n_layers && k < sizeof acts; l++) {
            if (same && l > 0)
                break;
            nnc_layer_spec sp = nnc_net_layer(model.net, l);
            const nnc_activation_info *info = nnc_activation_get(sp.activation);
            char p[40] = "";
            if (info->param_name && sp.param != info->default_param) {
                p[0] = ':';
                cli_format_shortest(p + 1, sizeof p - 1, sp.param);
            }
            k += (size_t)snprintf(acts + k, sizeof acts - k, "%s%s%s", l ? "," : "",
                                  info->name, p);
        }
        fprintf(stderr, "nnc convert: wrote %s/wb1.npz..wb%d.npz; to convert back: nnc "
                "convert %s MODEL.nnc --task %s", dir, n_layers, dir,
                nnc_task_name(nnc_net_task(model.net)));
        if (n_layers > 1)
            fprintf(stderr, " --activation %s", acts);
        if (model.label_base != 0)
            fprintf(stderr, " --label-base %d", model.label_base);
        fputc('\n', stderr);
        if (model.x_scaling.n || model.y_scaling.n)
            fprintf(stderr, "nnc convert: note: the model's %s%s%s scaling is not kept: the "
                    "weight files work on scaled values\n", model.x_scaling.n ? "input" : "",
                    model.x_scaling.n && model.y_scaling.n ? " and " : "",
                    model.y_scaling.n ? "output" : "");
    }
    nnc_model_free(&model);
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *activation = NULL;
    nnc_task task = NNC_TASK_FITTING;
    int label_base = 0;
    size_t max_memory = 0;
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--task", .metavar = "NAME", .dest = &task,
         .parse = cli_read_task, .help = "fitting | binary | multiclass (default: fitting)"},
        {.type = CLI_STRING, .name = "--activation", .metavar = "NAME[:P]", .dest = &activation,
         .help = "hidden activation, or one per hidden layer separated\n"
                 "by commas (default: " CLI_DEFAULT_ACTIVATION "; see `nnc activations`)"},
        {.type = CLI_INT, .name = "--label-base", .metavar = "N", .dest = &label_base,
         .min = -1000000000, .max = 1000000000,
         .help = "classifiers: the label of class 0 (default: %D)"},
        CLI_OPT_MAX_MEMORY(&max_memory),
        CLI_OPT_HELP("this text"),
    };
    cli_command command = {.name = "convert", .intro = convert_intro, .column = 26,
                           .outro = "Each option may be given once.\n", CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (n_args > 2) {
        cli_error("convert", "unexpected argument '%s' (give IN and OUT)", argv[3]);
        return CLI_USAGE;
    }
    in = n_args > 0 ? argv[1] : NULL;
    out = n_args > 1 ? argv[2] : NULL;
    int task_given = cli_given(&command, "--task"), base_given = cli_given(&command, "--label-base");
    if (!in || !out) {
        cli_error("convert", "give IN and OUT (see nnc convert --help)");
        return CLI_USAGE;
    }
    if (!in[0] || !out[0]) {
        cli_error("convert", "IN and OUT must not be empty");
        return CLI_USAGE;
    }
    struct stat st;
    if (stat(in, &st) != 0) {
        cli_error("convert", "%s: %s", in, strerror(errno));
        return CLI_USAGE;
    }
    if (S_ISDIR(st.st_mode)) {
        if (is_dir(out)) {
            cli_error("convert", "%s is a folder: converting the folder %s writes a model "
                      "file, give its name (e.g. %s/model.nnc)", out, in, out);
            return CLI_USAGE;
        }
        if (base_given && task == NNC_TASK_FITTING) {
            cli_error("convert", "--label-base applies to classifiers (--task binary or "
                      "multiclass)");
            return CLI_USAGE;
        }
        if (!cli_check_out_file("convert", "OUT", out))
            return CLI_USAGE;
        return textbook_to_model(in, out, task, activation, label_base);
    }
    if (task_given || activation || base_given) {
        cli_error("convert", "%s applies only when converting a textbook folder: a model "
                  "file holds its own", task_given ? "--task" : activation ? "--activation"
                                                                      : "--label-base");
        return CLI_USAGE;
    }
    if (!cli_check_out_dir("convert", "OUT", out) ||
        !cli_check_model_memory("convert", in, max_memory))
        return CLI_USAGE;
    return model_to_textbook(in, out);
}
