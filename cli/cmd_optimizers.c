/* nnc optimizers: the optimizer catalogue (names, hyper-parameters and
 * their defaults, the update in one line), and the book's ch15.4 study:
 * trajectories on z = x²/10 + y² drawn over its contours. */
#include "cli.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "optimizers"

enum { MAX_PATHS = 8, MAX_HYPER = 8 };

static const char optimizers_intro[] =
    "usage: nnc optimizers                      list the optimizers\n"
    "       nnc optimizers --plot DIR [options] the ch15.4 contour study\n"
    "\n"
    "With --plot, each optimizer (its default hyper-parameters) takes the\n"
    "steps on z = x^2/10 + y^2, gradient (x/5, 2y), from the start point, the\n"
    "gradient taken at the optimizer's look-ahead point; DIR (created if\n"
    "missing) receives optimizers-contour.svg (the paths over the contours)\n"
    "and optimizers-trajectories.csv (optimizer,step,x,y,z); the paths written\n"
    "are printed.  Learning rates are the book's: sgd 0.95, momentum 0.1,\n"
    "rmsprop 0.5, adam 0.5, any other 0.1.  The start (-7,2) is that of the\n"
    "study the book follows (its own script was not at hand).\n"
    "\n";

static double book_lr(const char *name)
{
    if (strcmp(name, "sgd") == 0)
        return 0.95;
    if (strcmp(name, "rmsprop") == 0 || strcmp(name, "adam") == 0)
        return 0.5;
    return 0.1;
}

static void print_catalogue(void)
{
    printf("%-9s  %-52s  %s\n", "name", "hyper-parameters (defaults)", "update");
    for (int i = 0; i < nnc_optimizer_count(); i++) {
        const char *names[MAX_HYPER];
        double defs[MAX_HYPER];
        int n = nnc_optimizer_hyper(i, names, defs, MAX_HYPER);
        char hyper[256] = "-";
        size_t used = 0;
        for (int k = 0; k < n && k < MAX_HYPER; k++)
            used += (size_t)snprintf(hyper + used, sizeof hyper - used, "%s%s=%g",
                                     k ? "," : "", names[k], defs[k]);
        printf("%-9s  %-52s  %s\n", nnc_optimizer_name(i), hyper,
               nnc_optimizer_formula(i));
    }
}

/* Path k: points = steps + 1 positions from the start. */
static int run_path(const char *name, const double start[2], int steps, double *xs, double *ys)
{
    nnc_optimizer *opt;
    nnc_status s = nnc_optimizer_create(&opt, name, 2);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        return 0;
    }
    nnc_real w[2] = {(nnc_real)start[0], (nnc_real)start[1]}, at[2], g[2];
    xs[0] = (double)w[0];
    ys[0] = (double)w[1];
    for (int t = 1; t <= steps && s == NNC_OK; t++) {
        at[0] = w[0];
        at[1] = w[1];
        nnc_optimizer_lookahead(opt, w, at);
        g[0] = at[0] / 5;
        g[1] = 2 * at[1];
        s = nnc_optimizer_step(opt, w, g, book_lr(name));
        xs[t] = (double)w[0];
        ys[t] = (double)w[1];
    }
    nnc_optimizer_free(opt);
    if (s != NNC_OK) {
        cli_status_error(CMD, s);
        return 0;
    }
    return 1;
}

static char *join_path(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, file);
    else
        cli_error(CMD, "out of memory");
    return path;
}

static int write_csv(const char *dir, char *const *names, int n_paths, const double *xs,
                     const double *ys, size_t points)
{
    char *path = join_path(dir, "optimizers-trajectories.csv");
    if (!path)
        return 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error(CMD, "cannot write %s", path);
        free(path);
        return 0;
    }
    fprintf(f, "optimizer,step,x,y,z\n");
    for (int k = 0; k < n_paths; k++)
        for (size_t t = 0; t < points; t++) {
            double x = xs[(size_t)k * points + t], y = ys[(size_t)k * points + t];
            fprintf(f, "%s,%zu,%.9g,%.9g,%.9g\n", names[k], t, x, y, nnc_contour_bowl(x, y));
        }
    int ok = fclose(f) == 0;
    if (ok)
        printf("%s\n", path);
    else
        cli_error(CMD, "cannot write %s", path);
    free(path);
    return ok;
}

static int write_svg(const char *dir, char *const *names, int n_paths, const double *xs,
                     const double *ys, size_t points)
{
    nnc_plot *plot = NULL;
    nnc_status s = nnc_chart_contour_paths(&plot, (const char *const *)names, n_paths, xs, ys,
                                           points, "optimizer trajectories (ch15.4)");
    char *path = s == NNC_OK ? join_path(dir, "optimizers-contour.svg") : NULL;
    if (s == NNC_OK && path)
        s = nnc_plot_save(plot, path);
    nnc_plot_free(plot);
    if (s != NNC_OK)
        cli_status_error(CMD, s);
    else if (path)
        printf("%s\n", path);
    int ok = s == NNC_OK && path;
    free(path);
    return ok;
}

/* Splits "a,b,c" into at most MAX_PATHS known optimizer names. */
static int split_names(char *list, char **names, int *count)
{
    *count = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int known = 0;
        for (int i = 0; i < nnc_optimizer_count(); i++)
            known |= strcmp(tok, nnc_optimizer_name(i)) == 0;
        if (!known) {
            cli_error(CMD, "--optimizers: unknown optimizer '%s' (nnc optimizers lists them)",
                      tok);
            return 0;
        }
        if (*count == MAX_PATHS) {
            cli_error(CMD, "--optimizers: more than %d optimizers", MAX_PATHS);
            return 0;
        }
        names[(*count)++] = tok;
    }
    if (*count == 0) {
        cli_error(CMD, "--optimizers: no optimizer given");
        return 0;
    }
    return 1;
}

static int read_start(const char *list, double start[2])
{
    double *v;
    int n;
    if (!cli_parse_double_list(CMD, "--start", list, &v, &n))
        return 0;
    int ok = n == 2 && fabs(v[0]) <= 1e6 && fabs(v[1]) <= 1e6;
    if (ok) {
        start[0] = v[0];
        start[1] = v[1];
    } else {
        cli_error(CMD, "--start: expected X,Y with |X|, |Y| <= 1e6, got '%s'", list);
    }
    free(v);
    return ok;
}

static int run_study(const char *dir, const char *list, int steps, const char *start_text)
{
    char *copy = malloc(strlen(list) + 1), *names[MAX_PATHS];
    if (!copy) {
        cli_error(CMD, "out of memory");
        return CLI_FAILED;
    }
    strcpy(copy, list);
    double start[2];
    int n_paths;
    if (!split_names(copy, names, &n_paths) || !read_start(start_text, start)) {
        free(copy);
        return CLI_USAGE;
    }
    size_t points = (size_t)steps + 1;
    double *xs = malloc(2 * (size_t)n_paths * points * sizeof *xs);
    int ok = xs != NULL;
    if (!ok)
        cli_error(CMD, "out of memory");
    double *ys = xs ? xs + (size_t)n_paths * points : NULL;
    for (int k = 0; ok && k < n_paths; k++)
        ok = run_path(names[k], start, steps, xs + (size_t)k * points, ys + (size_t)k * points);
    ok = ok && cli_make_dirs(CMD, dir) && write_svg(dir, names, n_paths, xs, ys, points) &&
         write_csv(dir, names, n_paths, xs, ys, points);
    free(xs);
    free(copy);
    return ok ? CLI_OK : CLI_FAILED;
}

static int read_plot_dir(const char *cmd, const char *name, const char *value, void *dest)
{
    if (!cli_check_out_dir(cmd, name, value))
        return 0;
    *(const char **)dest = value;
    return 1;
}

int cmd_optimizers(int argc, char **argv)
{
    const char *plot_dir = NULL, *list = NULL, *start = NULL;
    int steps = 20;
    cli_opt rows[] = {
        {.type = CLI_CUSTOM, .name = "--plot", .metavar = "DIR", .dest = &plot_dir,
         .parse = read_plot_dir, .help = "write the contour study into DIR"},
        {.type = CLI_STRING, .name = "--optimizers", .metavar = "LIST", .dest = &list,
         .def = "sgd,momentum,rmsprop,adam", .help = "the optimizers to run (default %D)"},
        {.type = CLI_INT, .name = "--steps", .metavar = "N", .dest = &steps, .def = "20",
         .min = 1, .max = 10000, .help = "steps of each optimizer, 1 to 10000 (default %D)"},
        {.type = CLI_STRING, .name = "--start", .metavar = "X,Y", .dest = &start, .def = "-7,2",
         .help = "the start point (default %D)"},
        {.type = CLI_HELP, .name = "--help", .short_name = "-h", .help = "show this help"},
    };
    cli_command command = {.name = CMD, .intro = optimizers_intro, .column = 22, CLI_OPTS(rows)};
    int n_args = 0;
    int parsed = cli_parse_options(&command, argc, argv, &n_args);
    if (parsed != CLI_PARSE_OK)
        return cli_parse_status(parsed);
    if (n_args > 0) {
        cli_error(CMD, "unexpected argument '%s'", argv[1]);
        return CLI_USAGE;
    }
    int study_option = rows[1].given || rows[2].given || rows[3].given;
    if (!plot_dir) {
        if (study_option) {
            cli_error(CMD, "--optimizers, --steps and --start need --plot DIR");
            return CLI_USAGE;
        }
        print_catalogue();
        return CLI_OK;
    }
    return run_study(plot_dir, list, steps, start);
}
