/* Helpers shared by the subcommands: errors, number parsing, options. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "nnc %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_status_error(const char *cmd, nnc_status status)
{
    const char *detail = nnc_last_error();
    cli_error(cmd, "%s", detail[0] ? detail : nnc_strerror(status));
}

int cli_parse_double(const char *cmd, const char *flag, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        cli_error(cmd, "%s: '%s' is not a finite number", flag, text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_parse_int(const char *cmd, const char *flag, const char *text, long min, long max,
                  int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE) {
        cli_error(cmd, "%s: '%s' is not a whole number", flag, text);
        return 0;
    }
    if (v < min || v > max) {
        cli_error(cmd, "%s: %ld is out of range [%ld, %ld]", flag, v, min, max);
        return 0;
    }
    *out = (int)v;
    return 1;
}

int cli_parse_seed(const char *cmd, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-') {
        cli_error(cmd, "--seed: '%s' is not a whole number >= 0", text);
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

int cli_parse_activation(const char *cmd, const char *text, nnc_activation *id,
                         double *param)
{
    char name[64];
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    if (len >= sizeof name) {
        cli_error(cmd, "--activation: name '%s' is too long", text);
        return 0;
    }
    memcpy(name, text, len);
    name[len] = '\0';
    nnc_activation found;
    nnc_status s = nnc_activation_from_name(name, &found);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        return 0;
    }
    const nnc_activation_info *info = nnc_activation_get(found);
    double p = info->default_param;
    if (colon) {
        if (!info->param_name) {
            cli_error(cmd, "--activation: %s takes no parameter (got '%s')", info->name,
                      colon + 1);
            return 0;
        }
        if (!cli_parse_double(cmd, "--activation", colon + 1, &p))
            return 0;
    }
    *id = found;
    *param = p;
    return 1;
}

int cli_parse_double_list(const char *cmd, const char *flag, const char *text,
                          double **out, int *count)
{
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    double *v = malloc((size_t)n * sizeof *v);
    char *copy = malloc(strlen(text) + 1);
    if (!v || !copy) {
        free(v);
        free(copy);
        cli_error(cmd, "out of memory");
        return 0;
    }
    strcpy(copy, text);
    char *item = copy;
    for (int k = 0; k < n; k++) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        if (!cli_parse_double(cmd, flag, item, &v[k])) {
            free(v);
            free(copy);
            return 0;
        }
        item = comma ? comma + 1 : item;
    }
    free(copy);
    *out = v;
    *count = n;
    return 1;
}

const char *cli_option(const char *cmd, int argc, char **argv, int *i, const char *flag,
                       int *matched)
{
    const char *arg = argv[*i];
    size_t fl = strlen(flag);
    *matched = 0;
    if (strncmp(arg, flag, fl) != 0)
        return NULL;
    if (arg[fl] == '=') {
        *matched = 1;
        return arg + fl + 1;
    }
    if (arg[fl] != '\0')
        return NULL;
    *matched = 1;
    if (*i + 1 >= argc) {
        cli_error(cmd, "%s needs a value", flag);
        return NULL;
    }
    return argv[++*i];
}

void cli_format_shortest(char *buf, size_t size, double x)
{
    if (!buf || size < 32)
        return;
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, size, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* As Python's repr: the shortest digits, in positional notation when the
     * exponent is in [-4, 16), and a whole number keeps ".0". */
    int exponent = isfinite(x) && x != 0 ? atoi(strchr(buf, 'e') + 1) : 0;
    if (!isfinite(x) || (exponent >= -4 && exponent < 16)) {
        int decimals = prec - 1 - exponent;
        snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, x);
        if (isfinite(x) && !strchr(buf, '.'))
            strcat(buf, ".0");
    }
}

int cli_make_dirs(const char *cmd, const char *dir)
{
    size_t len = strlen(dir);
    char *path = malloc(len + 1);
    if (!path) {
        cli_error(cmd, "out of memory");
        return 0;
    }
    memcpy(path, dir, len + 1);
    int ok = 1;
    for (size_t i = 1; ok && i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            cli_error(cmd, "%s: cannot create folder: %s", path, strerror(errno));
            ok = 0;
        } else if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            cli_error(cmd, "%s: is not a folder", path);
            ok = 0;
        }
        path[i] = c;
    }
    free(path);
    return ok;
}

int cli_write_text(const char *cmd, const char *path, char *text, size_t len)
{
    nnc_status s = nnc_write_file_atomic(path, text, len);
    free(text);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        return 0;
    }
    return 1;
}

int cli_write_history(const char *cmd, const char *path, const nnc_checkpoint *history,
                      size_t count)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        cli_error(cmd, "out of memory");
        return 0;
    }
    fprintf(f, "epoch,total_iteration,loss_train,accuracy_train,loss_valid,accuracy_valid\n");
    for (size_t i = 0; i < count; i++) {
        const nnc_checkpoint *c = &history[i];
        fprintf(f, "%d,%ld,%.17g,%.17g,%.17g,%.17g\n", c->epoch, c->total_iteration,
                c->loss_train, c->accuracy_train, c->loss_valid, c->accuracy_valid);
    }
    fclose(f);
    return cli_write_text(cmd, path, text, len);
}

/* "2024-05-01T12:00:00Z": now, or SOURCE_DATE_EPOCH when it is set (for
 * reproducible files). */
void cli_utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (!*end && !errno && v >= 0)
            t = (time_t)v;
    }
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, size, "unknown");
}

/* The hidden layers' activations from "name[:p]" or a comma list of one
 * per hidden layer (as nnc train's --activation). */
int cli_parse_activation_list(const char *cmd, const char *text, int n_hidden,
                              nnc_layer_spec *specs)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf) {
        cli_error(cmd, "--activation: the list is too long");
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", text);
    int n = 1;
    for (const char *p = buf; *p; p++)
        n += *p == ',';
    if (n != 1 && n != n_hidden) {
        cli_error(cmd, "--activation: %d names for %d hidden layers", n, n_hidden);
        return 0;
    }
    char *item = buf;
    for (int l = 0; l < n_hidden; l++) {
        if (l == 0 || n > 1) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            if (!cli_parse_activation(cmd, item, &specs[l].activation, &specs[l].param))
                return 0;
            item = comma ? comma + 1 : item;
        } else {
            specs[l].activation = specs[0].activation;
            specs[l].param = specs[0].param;
        }
    }
    return 1;
}
