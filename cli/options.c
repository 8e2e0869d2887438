/* The one option parser of the nnc commands: see options.h. */
#include "options.h"

#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int is_option_row(const cli_opt *o) { return o->type >= CLI_HELP; }

/* The length of arg's option name if it is o's long or short name, followed
 * by '\0' or '=' (a value); 0 otherwise. */
static size_t name_match(const char *arg, const cli_opt *o)
{
    const char *names[2] = {o->name, o->short_name};
    for (int k = 0; k < 2; k++) {
        size_t len = names[k] ? strlen(names[k]) : 0;
        if (len && strncmp(arg, names[k], len) == 0 && (arg[len] == '\0' || arg[len] == '='))
            return len;
    }
    return 0;
}

/* Reads text into o->dest as o's type says; 0 after printing an error. */
static int read_value(const char *cmd, const char *name, const cli_opt *o, const char *text)
{
    switch (o->type) {
    case CLI_INT:
        return cli_parse_int(cmd, name, text, o->min, o->max, o->dest);
    case CLI_REAL:
        return cli_parse_double(cmd, name, text, o->dest);
    case CLI_POSITIVE:
    case CLI_NONNEG:
        return cli_parse_positive(cmd, name, text, o->type == CLI_NONNEG, o->dest);
    case CLI_SIZE:
        return cli_parse_size(cmd, name, text, o->dest);
    case CLI_SEED:
        return cli_parse_seed(cmd, text, o->dest);
    case CLI_STRING:
        *(const char **)o->dest = text;
        return 1;
    case CLI_CUSTOM:
        return o->parse(cmd, name, text, o->dest);
    default:
        return 0;
    }
}

/* What "%D" prints: the default as given in the row, else the value dest
 * holds before parsing (the library's default). */
static void note_default(cli_opt *o)
{
    char *out = o->shown_default;
    size_t size = sizeof o->shown_default;
    if (o->def) {
        snprintf(out, size, "%s", o->def);
        return;
    }
    out[0] = '\0';
    if (!o->dest)
        return;
    switch (o->type) {
    case CLI_INT:
        snprintf(out, size, "%d", *(const int *)o->dest);
        break;
    case CLI_REAL:
    case CLI_POSITIVE:
    case CLI_NONNEG:
        cli_format_number(out, size, *(const double *)o->dest);
        break;
    case CLI_SEED:
        snprintf(out, size, "%llu", (unsigned long long)*(const uint64_t *)o->dest);
        break;
    case CLI_STRING:
        if (*(const char *const *)o->dest)
            snprintf(out, size, "%s", *(const char *const *)o->dest);
        break;
    default:
        break;
    }
}

/* Levenshtein distance of a and b, each at most 63 characters (longer: far). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int above = row[j];
            int best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* The option name nearest to arg (without its "=value"), if one is close:
 * at most two edits away and fewer than half its letters, or the only name
 * that arg starts. */
static const char *nearest_name(const cli_command *c, const char *arg)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    const char *best = NULL, *prefixed = NULL;
    int best_distance = 3, n_prefixed = 0;
    for (int k = 0; k < c->n_opts; k++) {
        const cli_opt *o = &c->opts[k];
        if (!is_option_row(o))
            continue;
        int d = edit_distance(name, o->name);
        if (d < best_distance && 2 * d < (int)strlen(o->name)) {
            best = o->name;
            best_distance = d;
        }
        if (strlen(name) > 3 && strncmp(o->name, name, strlen(name)) == 0) {
            prefixed = o->name;
            n_prefixed++;
        }
    }
    return best ? best : n_prefixed == 1 ? prefixed : NULL;
}

static void unknown_option(const cli_command *c, const char *arg)
{
    const char *near = nearest_name(c, arg);
    if (near)
        cli_error(c->name, "unknown option '%s'; did you mean %s? (see nnc %s --help)", arg,
                  near, c->name);
    else
        cli_error(c->name, "unknown option '%s' (see nnc %s --help)", arg, c->name);
}

/* Takes option o at argv[*i] (its name `len` characters long); 1 if it was
 * read, 0 after an error. */
static int take_option(cli_command *c, cli_opt *o, size_t len, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    char name[64]; /* messages name the option as the command line spelt it */
    snprintf(name, sizeof name, "%.*s", (int)len, arg);
    int repeatable = c->repeatable && strcmp(c->repeatable, o->name) == 0;
    const char *value = NULL;
    if (o->type == CLI_FLAG || o->type == CLI_HELP) {
        if (arg[len] == '=') {
            cli_error(c->name, "%s takes no value", name);
            return 0;
        }
    } else if (arg[len] == '=') {
        value = arg + len + 1;
    } else if (*i + 1 >= argc) {
        cli_error(c->name, "%s needs a value", name);
        return 0;
    } else {
        value = argv[++*i];
    }
    if (value && !value[0]) {
        cli_error(c->name, "%s: the value is empty", name);
        return 0;
    }
    if (o->given && !repeatable) {
        cli_error(c->name, "%s given twice (each option may be given once)", o->name);
        return 0;
    }
    o->given = 1;
    if (o->type == CLI_FLAG) {
        *(int *)o->dest = 1;
        return 1;
    }
    return read_value(c->name, o->name, o, value);
}

int cli_parse_options(cli_command *c, int argc, char **argv, int *n_positional)
{
    *n_positional = 0;
    for (int k = 0; k < c->n_opts; k++) {
        cli_opt *o = &c->opts[k];
        o->given = 0;
        if (o->def && is_option_row(o) && !read_value(c->name, o->name, o, o->def))
            return CLI_PARSE_ERROR;
        note_default(o);
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') { /* "-": standard input */
            argv[++*n_positional] = argv[i]; /* never past i: nothing unread is lost */
            continue;
        }
        cli_opt *found = NULL;
        size_t len = 0;
        for (int k = 0; k < c->n_opts && !found; k++)
            if (is_option_row(&c->opts[k]) && (len = name_match(arg, &c->opts[k])) != 0)
                found = &c->opts[k];
        if (!found) {
            unknown_option(c, arg);
            return CLI_PARSE_ERROR;
        }
        if (found->type == CLI_HELP && arg[len] == '\0') {
            cli_print_help(c, stdout);
            return CLI_PARSE_HELP;
        }
        if (!take_option(c, found, len, argc, argv, &i))
            return CLI_PARSE_ERROR;
    }
    return CLI_PARSE_OK;
}

int cli_parse_status(int parsed) { return parsed == CLI_PARSE_HELP ? CLI_OK : CLI_USAGE; }

int cli_given(const cli_command *c, const char *name)
{
    for (int k = 0; k < c->n_opts; k++)
        if (is_option_row(&c->opts[k]) && strcmp(c->opts[k].name, name) == 0)
            return c->opts[k].given;
    return 0;
}

/* The row's left column: "-o, --out FILE", "--epochs N", or a CLI_ARG's text. */
static void left_column(const cli_opt *o, char *buf, size_t size)
{
    if (o->type == CLI_ARG) {
        snprintf(buf, size, "%s", o->name);
        return;
    }
    snprintf(buf, size, "%s%s%s%s%s", o->short_name ? o->short_name : "",
             o->short_name ? ", " : "", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
}

/* Prints help text, its lines after the first indented to `column`, "%D"
 * replaced by the default. */
static void print_help_text(const cli_opt *o, int column, FILE *f)
{
    for (const char *t = o->help; *t; t++) {
        if (t[0] == '%' && t[1] == 'D') {
            fputs(o->shown_default, f);
            t++;
        } else if (*t == '\n') {
            fprintf(f, "\n%*s", column, "");
        } else {
            fputc(*t, f);
        }
    }
    fputc('\n', f);
}

void cli_print_help(const cli_command *c, FILE *f)
{
    fputs(c->intro, f);
    int width = c->column - 3; /* two spaces before the left column, one after */
    for (int k = 0; k < c->n_opts; k++) {
        const cli_opt *o = &c->opts[k];
        if (o->type == CLI_TEXT) {
            fprintf(f, "%s\n", o->name);
            continue;
        }
        if (!o->help)
            continue;
        char left[128];
        left_column(o, left, sizeof left);
        if ((int)strlen(left) > width)
            fprintf(f, "  %s  ", left);
        else
            fprintf(f, "  %-*s ", width, left);
        print_help_text(o, c->column, f);
    }
    if (c->outro)
        fputs(c->outro, f);
}

int cli_read_out_file(const char *cmd, const char *name, const char *value, void *dest)
{
    if (strcmp(value, "-") != 0 && !cli_check_out_file(cmd, name, value))
        return 0;
    *(const char **)dest = value;
    return 1;
}

int cli_read_task(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)name;
    if (nnc_task_from_name(value, dest) != NNC_OK) {
        cli_status_error(cmd, NNC_ERR_ARGUMENT);
        return 0;
    }
    return 1;
}

int cli_read_init(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)name;
    if (nnc_init_from_name(value, dest) != NNC_OK) {
        cli_status_error(cmd, NNC_ERR_ARGUMENT);
        return 0;
    }
    return 1;
}

int cli_read_kernels(const char *cmd, const char *name, const char *value, void *dest)
{
    (void)name;
    if (!cli_parse_kernels(cmd, value))
        return 0;
    *(const char **)dest = value;
    return 1;
}

int cli_read_layers(const char *cmd, const char *name, const char *value, void *dest)
{
    const cli_widths_dest *d = dest;
    if (!cli_parse_widths(cmd, name, value, d->widths, d->max_count, d->count))
        return 0;
    if (d->all_layers && *d->count < 2) {
        cli_error(cmd, "%s needs at least two widths (inputs, outputs)", name);
        return 0;
    }
    return 1;
}

int cli_read_text(const char *cmd, const char *name, const char *value, void *dest)
{
    const cli_text_dest *d = dest;
    if (strlen(value) >= d->size) {
        cli_error(cmd, "%s: the list is too long (at most %zu characters)", name, d->size - 1);
        return 0;
    }
    snprintf(d->text, d->size, "%s", value);
    return 1;
}
