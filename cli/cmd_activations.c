/* nnc activations: the catalogue as a table, one row's details, a row
 * evaluated at chosen points ("z a da" per line, for scripts and plots), or
 * SVG charts of f and f' (the textbook's figures 8-2, 8-3). */
#include "cli.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "activations"

static const char activations_intro[] =
    "usage: nnc activations                     list the catalogue\n"
    "       nnc activations NAME[:PARAM]        show one activation\n"
    "       nnc activations NAME[:PARAM] --at Z1,Z2,...\n"
    "                                           print 'z a da' per point\n"
    "       nnc activations [NAME[:PARAM]] --plot DIR\n"
    "                                           write SVG charts of f and f'\n"
    "\n"
    "NAME is case-insensitive, '-' and '_' alike (leaky-relu); PARAM sets\n"
    "the threshold of step or the alpha of leaky_relu and elu.\n"
    "With --at, each line holds z, a = f(z) and da = f'(z) as %.9g.\n"
    "With --plot, DIR (created if missing) receives DIR/<name>.svg for every\n"
    "activation and the overview sheet DIR/activations.svg, or only NAME's\n"
    "chart when NAME is given; the paths written are printed, one per line.\n"
    "Each option may be given once.\n";

static size_t max_len(size_t cur, const char *s) { return strlen(s) > cur ? strlen(s) : cur; }

static void param_text(const nnc_activation_info *info, char *buf, size_t size)
{
    if (info->param_name)
        snprintf(buf, size, "%s=%g", info->param_name, info->default_param);
    else
        snprintf(buf, size, "-");
}

/* The whole catalogue, one aligned row per activation. */
static void print_catalogue(void)
{
    const char *head[5] = {"name", "a = f(z)", "f'(z)", "output", "f' range"};
    size_t w[5];
    for (int c = 0; c < 5; c++)
        w[c] = strlen(head[c]);
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        w[0] = max_len(w[0], info->name);
        w[1] = max_len(w[1], info->formula);
        w[2] = max_len(w[2], info->derivative);
        w[3] = max_len(w[3], info->output_range);
        w[4] = max_len(w[4], info->derivative_range);
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], head[0], (int)w[1], head[1],
           (int)w[2], head[2], (int)w[3], head[3], (int)w[4], head[4], "parameter");
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        char param[64];
        param_text(info, param, sizeof param);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], info->name, (int)w[1],
               info->formula, (int)w[2], info->derivative, (int)w[3], info->output_range,
               (int)w[4], info->derivative_range, param);
    }
}

static void print_row(const nnc_activation_info *info, double param)
{
    printf("name:             %s\n", info->name);
    printf("formula:          %s\n", info->formula);
    printf("derivative:       %s\n", info->derivative);
    printf("output range:     %s\n", info->output_range);
    printf("derivative range: %s\n", info->derivative_range);
    printf("plot range:       [%g, %g]\n", info->plot_min, info->plot_max);
    if (info->param_name)
        printf("parameter:        %s = %g (default %g)\n", info->param_name, param,
               info->default_param);
    else
        printf("parameter:        none\n");
}

/* One line "z a da" per point; the kernels run on the whole array at once. */
static int print_points(const nnc_activation_info *info, double param, const double *zs,
                        int count)
{
    size_t n = (size_t)count;
    nnc_real *buf = malloc(3 * n * sizeof *buf);
    if (!buf) {
        cli_error(CMD, "out of memory");
        return CLI_FAILED;
    }
    nnc_real *z = buf, *a = buf + n, *d = buf + 2 * n;
    for (size_t i = 0; i < n; i++)
        z[i] = (nnc_real)zs[i];
    info->forward(z, a, n, param);
    info->derivative_fn(z, a, d, n, param);
    for (size_t i = 0; i < n; i++)
        printf("%.9g %.9g %.9g\n", (double)z[i], (double)a[i], (double)d[i]);
    free(buf);
    return CLI_OK;
}

/* Saves a chart as dir/file and prints the path; frees the chart. */
static int save_chart(nnc_plot *plot, const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (!path) {
        nnc_plot_free(plot);
        cli_error(CMD, "out of memory");
        return 0;
    }
    snprintf(path, n, "%s/%s", dir, file);
    nnc_status s = nnc_plot_save(plot, path);
    nnc_plot_free(plot);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        free(path);
        return 0;
    }
    printf("%s\n", path);
    free(path);
    return 1;
}

/* One chart per activation (or only `only`), then the sheet when all. */
static int write_plots(const char *dir, const nnc_activation_info *only, double param)
{
    if (!cli_make_dirs(CMD, dir))
        return CLI_FAILED;
    for (int i = 0; i < NNC_ACT_COUNT; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        if (only && info != only)
            continue;
        nnc_plot *plot;
        nnc_status s = nnc_chart_activation(&plot, info, only ? param : info->default_param);
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            return CLI_FAILED;
        }
        char file[96];
        snprintf(file, sizeof file, "%s.svg", info->name);
        if (!save_chart(plot, dir, file))
            return CLI_FAILED;
    }
    if (!only) {
        nnc_plot *plot;
        nnc_status s = nnc_chart_activation_sheet(&plot);
        if (s != NNC_OK) {
            cli_status_error(CMD, s);
            return CLI_FAILED;
        }
        if (!save_chart(plot, dir, "activations.svg"))
            return CLI_FAILED;
    }
    return CLI_OK;
}

static int read_plot_dir(const char *cmd, const char *name, const char *value, void *dest)
{
    if (!cli_check_out_dir(cmd, name, value))
        return 0;
    *(const char **)dest = value;
    return 1;
}

int cmd_activations(int argc, char **argv)
{
    const char *name = NULL, *at = NULL, *plot_dir = NULL;
    /* The usage lines above describe the options: the rows print nothing. */
    cli_opt rows[] = {
        {.type = CLI_STRING, .name = "--at", .metavar = "Z1,Z2,...", .dest = &at},
        {.type = CLI_CUSTOM, .name = "--plot", .metavar = "DIR", .dest = &plot_dir,
         .parse = read_plot_dir},
        {.type = CLI_HELP, .name = "--help", .short_name = "-h"},
    };
    cli_command command = {.name = CMD, .intro = activations_intro, CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (n_args > 1) {
        cli_error(CMD, "more than one activation given ('%s' and '%s')", argv[1], argv[2]);
        return CLI_USAGE;
    }
    name = n_args ? argv[1] : NULL;

    if (at && plot_dir) {
        cli_error(CMD, "--at and --plot cannot be combined");
        return CLI_USAGE;
    }
    if (!name) {
        if (plot_dir)
            return write_plots(plot_dir, NULL, 0);
        if (at) {
            cli_error(CMD, "--at needs an activation name");
            return CLI_USAGE;
        }
        print_catalogue();
        return CLI_OK;
    }

    nnc_activation id;
    double param;
    if (!cli_parse_activation(CMD, name, &id, &param))
        return CLI_USAGE;
    const nnc_activation_info *info = nnc_activation_get(id);
    if (plot_dir)
        return write_plots(plot_dir, info, param);
    if (!at) {
        print_row(info, param);
        return CLI_OK;
    }
    double *zs;
    int count;
    if (!cli_parse_double_list(CMD, "--at", at, &zs, &count))
        return CLI_USAGE;
    int rc = print_points(info, param, zs, count);
    free(zs);
    return rc;
}
