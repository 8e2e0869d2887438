/* nnc convert: a model file (.nnc) to the textbook's weight files
 * (wb1.npz, ...) and back. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_WIDTHS (NNC_MAX_LAYERS + 1) /* inputs, then one width per layer */

static const char convert_usage[] =
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
    "options for DIR -> MODEL.nnc:\n"
    "  --task NAME             fitting | binary | multiclass (default: fitting)\n"
    "  --activation NAME[:P]   hidden activation, or one per hidden layer separated\n"
    "                          by commas (default: sigmoid; see `nnc activations`)\n"
    "  --label-base N          classifiers: the label of class 0 (default: 0)\n"
    CLI_MAX_MEMORY_HELP
    "  -h, --help              this text\n"
    "Each option may be given once.\n";

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
    nnc_layer_spec specs[MAX_WIDTHS];
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
        !cli_parse_activation_list("convert", activation ? activation : "sigmoid",
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
    const char *task_text = NULL, *base_text = NULL;
    nnc_task task = NNC_TASK_FITTING;
    int label_base = 0;
    size_t max_memory = 0;
    cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int m = 0;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(convert_usage, stdout);
            return CLI_OK;
        }
#define OPTION(flag) ((v = cli_option("convert", argc, argv, &i, flag, &m, &seen)) != NULL || m)
        if (OPTION("--task")) {
            if (v && nnc_task_from_name(v, &task) != NNC_OK) {
                cli_status_error("convert", NNC_ERR_ARGUMENT);
                return CLI_USAGE;
            }
            task_text = v;
        } else if (OPTION("--activation")) {
            activation = v;
        } else if (OPTION("--max-memory")) {
            if (v && !cli_parse_size("convert", "--max-memory", v, &max_memory))
                return CLI_USAGE;
        } else if (OPTION("--label-base")) {
            if (v && !cli_parse_int("convert", "--label-base", v, -1000000000, 1000000000,
                                    &label_base))
                return CLI_USAGE;
            base_text = v;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            cli_error("convert", "unknown option '%s' (see nnc convert --help)", arg);
            return CLI_USAGE;
        } else if (!in) {
            in = arg;
        } else if (!out) {
            out = arg;
        } else {
            cli_error("convert", "unexpected argument '%s' (give IN and OUT)", arg);
            return CLI_USAGE;
        }
#undef OPTION
        if (m && !v)
            return CLI_USAGE;
    }
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
        if (base_text && task == NNC_TASK_FITTING) {
            cli_error("convert", "--label-base applies to classifiers (--task binary or "
                      "multiclass)");
            return CLI_USAGE;
        }
        if (!cli_check_out_file("convert", "OUT", out))
            return CLI_USAGE;
        return textbook_to_model(in, out, task, activation, label_base);
    }
    if (task_text || activation || base_text) {
        cli_error("convert", "%s applies only when converting a textbook folder: a model "
                  "file holds its own", task_text ? "--task" : activation ? "--activation"
                                                                      : "--label-base");
        return CLI_USAGE;
    }
    if (!cli_check_out_dir("convert", "OUT", out) ||
        !cli_check_model_memory("convert", in, max_memory))
        return CLI_USAGE;
    return model_to_textbook(in, out);
}
