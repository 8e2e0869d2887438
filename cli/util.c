/* Helpers shared by the subcommands: errors, number parsing, options. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    /* strtod says ERANGE for results too large (HUGE_VAL) and too small to
     * be a normal double (0 or subnormal): numbers, but not usable ones. */
    int range = end != text && *end == '\0' &&
                (errno == ERANGE || (v != 0 && isfinite(v) && fabs(v) < DBL_MIN));
    if (range) {
        int small = !isinf(v);
        char lim[32];
        cli_format_shortest(lim, sizeof lim, small ? DBL_MIN : DBL_MAX);
        cli_error(cmd, "%s: '%s' is too %s (the %s magnitude is %s)", flag, text,
                  small ? "small" : "large", small ? "smallest" : "largest", lim);
        return 0;
    }
    if (end == text || *end != '\0' || !isfinite(v)) {
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

int cli_parse_size(const char *cmd, const char *flag, const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int shift = 0;
    if (end != text && *end) {
        switch (*end == 'k' ? 'K' : *end) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: shift = -1; break;
        }
        end++;
        if (*end == 'B' || *end == 'b') /* "256MB" reads as "256M" */
            end++;
    }
    if (end == text || *end || errno || text[0] == '-' || text[0] == '+' || shift < 0 ||
        v == 0 || v > (unsigned long long)SIZE_MAX >> shift) {
        cli_error(cmd,
                  "%s: '%s' is not a size (a whole number of bytes > 0, or with a suffix "
                  "K, M, G or T for powers of 1024: 256M, 4G)",
                  flag, text);
        return 0;
    }
    *out = (size_t)v << shift;
    return 1;
}

int cli_check_model_memory(const char *cmd, const char *path, size_t max_memory)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 1; /* the loader says why, or refuses a device */
    size_t limit = max_memory ? max_memory : nnc_default_max_memory();
    /* the file's bytes, then the model's values: about as many again */
    size_t size = (size_t)st.st_size, need = size > SIZE_MAX / 2 ? SIZE_MAX : 2 * size;
    if (need > limit) {
        char a[32], b[32];
        cli_error(cmd, "%s: the model would need %s (limit %s; see --max-memory)", path,
                  nnc_format_size(need, a, sizeof a), nnc_format_size(limit, b, sizeof b));
        return 0;
    }
    return 1;
}

int cli_parse_kernels(const char *cmd, const char *text)
{
    if (nnc_kernels_available(text))
        return 1;
    static const char *const names[] = {"auto", "avx512", "avx2", "portable", "openblas"};
    char here[64] = "";
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (nnc_kernels_available(names[i]))
            snprintf(here + strlen(here), sizeof here - strlen(here), "%s%s", here[0] ? ", " : "",
                     names[i]);
    cli_error(cmd, "--kernels: '%s' is not available here (this build on this CPU has: %s)", text,
              here);
    return 0;
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

int cli_parse_positive(const char *cmd, const char *flag, const char *text, int allow_zero,
                       double *out)
{
    double v;
    if (!cli_parse_double(cmd, flag, text, &v))
        return 0;
    if (allow_zero ? !(v >= 0) : !(v > 0)) {
        cli_error(cmd, "%s must be %s (got %s)", flag, allow_zero ? ">= 0" : "positive", text);
        return 0;
    }
    *out = v;
    return 1;
}

/* Walks path (its folder part unless `self`) from the top: every part that
 * exists must be a folder, and the deepest that exists ("." when none of a
 * relative path does) writable.  A file's folder must exist; a folder's
 * missing parts are created later. */
static int check_parents(const char *cmd, const char *what, const char *path, int self)
{
    size_t len = strlen(path);
    char *p = malloc(len + 2);
    if (!p) {
        cli_error(cmd, "out of memory");
        return 0;
    }
    memcpy(p, path, len + 1);
    if (!self) { /* the folder part of a file's path */
        char *slash = strrchr(p, '/');
        len = !slash ? 0 : slash == p ? 1 : (size_t)(slash - p);
        p[len] = '\0';
    }
    size_t deepest = 0; /* p[0, deepest) exists; 0: "." or "/" */
    int ok = 1;
    for (size_t i = 1; ok && i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        int missing = 0;
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                cli_error(cmd, "%s %s: %s is a file, not a folder", what, path, p);
                ok = 0;
            }
            deepest = i;
        } else if (errno != ENOENT) {
            cli_error(cmd, "%s %s: %s: %s", what, path, p, strerror(errno));
            ok = 0;
        } else if (!self) {
            cli_error(cmd, "%s %s: the folder %.*s does not exist", what, path, (int)len, path);
            ok = 0;
        } else {
            missing = 1; /* it and the rest are created */
        }
        p[i] = c;
        if (missing)
            break;
    }
    if (ok) {
        if (deepest)
            p[deepest] = '\0';
        const char *dir = deepest ? p : p[0] == '/' ? "/" : ".";
        if (access(dir, W_OK | X_OK) != 0) {
            cli_error(cmd, "%s %s: cannot write in %s: %s", what, path, dir, strerror(errno));
            ok = 0;
        }
    }
    free(p);
    return ok;
}

int cli_check_out_dir(const char *cmd, const char *what, const char *dir)
{
    return check_parents(cmd, what, dir, 1);
}

int cli_check_out_file(const char *cmd, const char *what, const char *path)
{
    struct stat st;
    size_t len = strlen(path);
    if ((stat(path, &st) == 0 && S_ISDIR(st.st_mode)) || (len && path[len - 1] == '/')) {
        cli_error(cmd, "%s %s is a folder; give the name of a file to write", what, path);
        return 0;
    }
    return check_parents(cmd, what, path, 0);
}

int cli_train_plan(const char *cmd, int rows, const nnc_train_options *o,
                   long done_iterations, nnc_train_plan *plan)
{
    nnc_status s = nnc_train_plan_for(rows, o, done_iterations, plan);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        return 0;
    }
    if (plan->checks > CLI_MAX_CHECKS) {
        char num[32];
        cli_format_number(num, sizeof num, o->checkpoint);
        cli_error(cmd, "--epochs %d with --checkpoint %s would make %ld checks (%d updates "
                  "per epoch, a check every %ld); a run makes at most %d: give a larger "
                  "--checkpoint", o->max_epoch, num, plan->checks, plan->iterations_per_epoch,
                  plan->checkpoint_iteration, CLI_MAX_CHECKS);
        return 0;
    }
    return 1;
}

int cli_work_rows(int batch_size, int rows)
{
    return batch_size == -1 || batch_size > rows ? rows : batch_size;
}

int cli_parse_widths(const char *cmd, const char *flag, const char *text, int *widths,
                     int max_count, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list(cmd, flag, text, &v, &n))
        return 0;
    if (n > max_count) {
        cli_error(cmd, "%s: at most %d values", flag, max_count);
        free(v);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (v[i] != floor(v[i]) || v[i] < 1 || v[i] > 1e6) {
            char num[32];
            cli_format_number(num, sizeof num, v[i]);
            cli_error(cmd, "%s: '%s' is not a width from 1 to 1000000", flag, num);
            free(v);
            return 0;
        }
        widths[i] = (int)v[i];
    }
    *count = n;
    free(v);
    return 1;
}

int cli_check_net_memory(const char *cmd, const char *what, const int *widths,
                         int n_widths, int batch, int copies)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0 || n_widths < 2)
        return 1; /* unknown: the allocations will tell */
    double have = (double)pages * (double)page;
    /* As nnc_net_create and nnc_train allocate: parameters, gradients and the
     * last good copy; Z, A and dZ per layer and a scratch of the widest
     * layer, for `batch` rows. */
    double params = 0, units = 0, widest = widths[0];
    for (int l = 1; l < n_widths; l++) {
        params += ((double)widths[l - 1] + 1) * widths[l];
        units += widths[l];
        widest = widths[l] > widest ? widths[l] : widest;
    }
    double need = (double)sizeof(nnc_real) * copies *
                  (3 * params + 3 * (double)batch * units + (double)batch * widest);
    if (need <= have)
        return 1;
    char shape[128];
    int k = 0, l = 0;
    for (; l < n_widths && k < (int)sizeof shape - 16; l++)
        k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%d", l ? "-" : "", widths[l]);
    if (l < n_widths)
        snprintf(shape + k, sizeof shape - (size_t)k, "-...");
    const double gib = 1024.0 * 1024 * 1024;
    char total[96] = "";
    if (copies > 1)
        snprintf(total, sizeof total, " each, %.1f GiB for %d runs side by side",
                 need / gib, copies);
    cli_error(cmd, "%s: a %s network (%.0f parameters) trained in batches of %d needs "
              "about %.1f GiB of memory%s; this machine has %.1f GiB", what, shape, params,
              batch, copies > 1 ? need / copies / gib : need / gib, total, have / gib);
    return 0;
}

int cli_online_cpus(int max)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > max ? max : (int)cpus;
}

void cli_format_number(char *buf, size_t size, double x)
{
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, size, "%.0f", x);
    else
        cli_format_shortest(buf, size, x);
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
            if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
                cli_error(cmd, "%s: is a symbolic link to no folder (dangling)", path);
            else
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
        char v[4][32];
        cli_format_shortest(v[0], sizeof v[0], c->loss_train);
        cli_format_shortest(v[1], sizeof v[1], c->accuracy_train);
        cli_format_shortest(v[2], sizeof v[2], c->loss_valid);
        cli_format_shortest(v[3], sizeof v[3], c->accuracy_valid);
        fprintf(f, "%d,%ld,%s,%s,%s,%s\n", c->epoch, c->total_iteration, v[0], v[1], v[2],
                v[3]);
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

/* The length of the valid UTF-8 sequence at s (1 to 4 bytes, not an
 * overlong form, a surrogate or above U+10FFFF), or 0. */
static int utf8_length(const unsigned char *s)
{
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                            : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!n)
        return 0;
    unsigned long cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

size_t cli_escape_value(char *out, size_t size, const char *text, const char *also)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t j = 0, written = 0;
    for (size_t i = 0; s[i];) {
        char piece[16];
        int n = utf8_length(s + i), len;
        /* C0 and C1 controls, DEL, the escape character itself, the
         * caller's specials and bytes that are not UTF-8 are written as
         * escapes; the rest as they are. */
        int control = n == 1 ? s[i] < 0x20 || s[i] == 0x7f
                             : n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0;
        if (n == 1 && (s[i] == '\\' || (also && strchr(also, s[i])))) {
            len = snprintf(piece, sizeof piece, "\\%c", s[i]);
        } else if (n == 1 && s[i] == '\n') {
            len = snprintf(piece, sizeof piece, "\\n");
        } else if (n == 1 && s[i] == '\t') {
            len = snprintf(piece, sizeof piece, "\\t");
        } else if (n == 1 && s[i] == '\r') {
            len = snprintf(piece, sizeof piece, "\\r");
        } else if (!n || control) {
            n = n ? n : 1;
            len = 0;
            for (int k = 0; k < n; k++)
                len += snprintf(piece + len, sizeof piece - (size_t)len, "\\x%02x", s[i + k]);
        } else {
            memcpy(piece, s + i, (size_t)n);
            len = n;
        }
        if (out && j == written && j + (size_t)len < size) {
            memcpy(out + j, piece, (size_t)len); /* whole pieces only */
            written += (size_t)len;
        }
        j += (size_t)len;
        i += (size_t)n;
    }
    if (out && size)
        out[written] = '\0';
    return j;
}

void cli_put_value(FILE *f, const char *text, const char *also)
{
    size_t need = cli_escape_value(NULL, 0, text, also) + 1;
    char small[512];
    char *buf = need <= sizeof small ? small : malloc(need);
    if (!buf) {
        fputs("?", f); /* out of memory: the value is left out, not written raw */
        return;
    }
    cli_escape_value(buf, need, text, also);
    fputs(buf, f);
    if (buf != small)
        free(buf);
}

int cli_lock_dir(const char *cmd, const char *dir, int *fd)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/" CLI_LOCK_FILE, dir) >= (int)sizeof path) {
        cli_error(cmd, "%s: path too long", dir);
        return 0;
    }
    int d = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (d < 0) {
        cli_error(cmd, "%s: cannot create the lock file: %s", path, strerror(errno));
        return 0;
    }
    /* An fcntl lock: advisory, released by the kernel when the process ends
     * however it ends, and honoured across NFS. */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(d, F_SETLK, &lk) == 0) {
        *fd = d;
        return 1;
    }
    int e = errno;
    if (e == EACCES || e == EAGAIN) {
        struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        char pid[48] = "";
        if (fcntl(d, F_GETLK, &who) == 0 && who.l_type != F_UNLCK && who.l_pid > 0)
            snprintf(pid, sizeof pid, " (process %ld)", (long)who.l_pid);
        cli_error(cmd, "%s is in use by another nnc run%s; wait for it to end, or write "
                  "elsewhere (--out, --name)", dir, pid);
    } else {
        cli_error(cmd, "%s: cannot lock: %s", path, strerror(e));
    }
    close(d);
    return 0;
}

void cli_unlock_dir(int fd)
{
    if (fd >= 0)
        close(fd);
}
