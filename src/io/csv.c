/* Numeric CSV files: one sample per line, an optional header line.
 *
 * Accepted: a UTF-8 byte-order mark, LF, CRLF or CR line ends (CR alone is
 * the old Mac convention, still written by some spreadsheets; the ends may
 * be mixed), a last line with or without a line end, blank lines (nothing
 * but spaces or tabs: skipped), spaces or tabs around fields, and fields in
 * double quotes ("1.5", "a ""b"" c"; a quoted field cannot span lines).
 *
 * The header: with header detection (-1), the first non-blank line is a
 * header when one of its fields is a word, text that does not start as a
 * number does (a sign, a digit or a point).  A field that starts as a
 * number but is not one ("1.5e", "2..3") is a typo in a data row, reported
 * as an error: taking that row for a header would silently drop a sample.
 * Numbers are read with strtod in the C locale's syntax ('.' as decimal
 * point) whatever locale the program has set: nnc never calls setlocale,
 * and a copy of a field gets the current locale's decimal point before
 * strtod sees it.
 *
 * Refused, with the line, the column (and its header name) or the byte
 * offset: empty fields (missing values), text, NaN and infinity ("nan",
 * "inf"), hexadecimal numbers, numbers beyond double's range (1e999), rows
 * of another length than the first, NUL bytes (binary or UTF-16 files).
 */
#include "internal.h"

#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FILE ((size_t)1 << 30)

/* The names share one block, owned by names[0]. */
void nnc_csv_free_names(char **names, size_t count)
{
    if (!names)
        return;
    if (count > 0)
        free(names[0]);
    free(names);
}

/* One field of the current line after trimming and unquoting. */
typedef struct csv_field {
    char *text;  /* NUL-terminated, owned by the parser's scratch buffer */
    size_t len;
} csv_field;

typedef struct csv_parser {
    const char *path;
    const char *p, *end; /* the file's bytes */
    size_t line;         /* 1-based number of the line being parsed */
    int blank;           /* the line holds nothing but spaces or tabs */
    char delim;
    char *scratch;       /* unquoted copies of the current line's fields */
    size_t scratch_cap;
    csv_field *fields;
    size_t n_fields, fields_cap;
    size_t limit;        /* memory limit in bytes */
    size_t held;         /* bytes held besides the buffers above */
} csv_parser;

static int is_blank(char ch, char delim) { return (ch == ' ' || ch == '\t') && ch != delim; }

/* Grows the scratch buffer and the field list for the line [ls, le), within
 * the memory limit.  Returns 1, or -1 with an error recorded in *status. */
static int reserve_line(csv_parser *ps, const char *ls, const char *le, nnc_status *status)
{
    /* Every field's text is at most its bytes in the line and ends with
     * one NUL, which takes the place of the delimiter after it: the line's
     * length plus one.  A line has at most one field more than it has
     * delimiters: the field list is sized once, not doubled. */
    size_t need = (size_t)(le - ls) + 1, max_fields = 1;
    for (const char *d = ls; (d = memchr(d, ps->delim, (size_t)(le - d))) != NULL; d++)
        max_fields++;
    size_t new_scratch = need > ps->scratch_cap ? need : ps->scratch_cap;
    size_t new_fields = max_fields > ps->fields_cap ? max_fields : ps->fields_cap;
    if (new_fields > SIZE_MAX / sizeof(csv_field) / 2 ||
        new_scratch + new_fields * sizeof(csv_field) > ps->limit ||
        ps->held > ps->limit - new_scratch - new_fields * sizeof(csv_field)) {
        char line[40];
        snprintf(line, sizeof line, "line %zu", ps->line);
        *status = nnc_refuse_size(ps->path, line,
                                  ps->held + new_scratch + new_fields * sizeof(csv_field),
                                  ps->limit);
        return -1;
    }
    if (max_fields > ps->fields_cap) {
        csv_field *nf = realloc(ps->fields, max_fields * sizeof *nf);
        if (!nf) {
            *status = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", ps->path);
            return -1;
        }
        ps->fields = nf;
        ps->fields_cap = max_fields;
    }
    if (need > ps->scratch_cap) {
        char *ns = realloc(ps->scratch, need);
        if (!ns) {
            *status = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", ps->path);
            return -1;
        }
        ps->scratch = ns;
        ps->scratch_cap = need;
    }
    return 1;
}

/* A quoted field from *qp (its opening quote) up to its delimiter or the
 * line end le, unquoted into *outp; both advance.  Returns 1, or -1 with an
 * error recorded in *status. */
static int read_quoted(csv_parser *ps, const char **qp, const char *le, char **outp,
                       nnc_status *status)
{
    const char *q = *qp + 1;
    char *out = *outp;
    for (;;) {
        if (q >= le) {
            *status = nnc_fail(NNC_ERR_FORMAT,
                               "%s: line %zu, column %zu: unterminated quoted field",
                               ps->path, ps->line, ps->n_fields + 1);
            return -1;
        }
        if (*q == '"') {
            if (q + 1 < le && q[1] == '"') {
                *out++ = '"';
                q += 2;
                continue;
            }
            q++;
            break;
        }
        *out++ = *q++;
    }
    while (q < le && is_blank(*q, ps->delim))
        q++;
    if (q < le && *q != ps->delim) {
        *status = nnc_fail(NNC_ERR_FORMAT,
                           "%s: line %zu, column %zu: text after a closing quote",
                           ps->path, ps->line, ps->n_fields + 1);
        return -1;
    }
    *qp = q;
    *outp = out;
    return 1;
}

/* Splits the next line into fields.  Returns 1 with a line, 0 at the end of
 * the file, or -1 with an error recorded in *status. */
static int next_line(csv_parser *ps, nnc_status *status)
{
    if (ps->p >= ps->end)
        return 0;
    const char *ls = ps->p, *le = ls;
    while (le < ps->end && *le != '\n' && *le != '\r')
        le++;
    /* the line end: LF, CR, or CRLF (one end, not a blank line between) */
    ps->p = le;
    if (ps->p < ps->end && *ps->p++ == '\r' && ps->p < ps->end && *ps->p == '\n')
        ps->p++;
    ps->line++;
    ps->blank = 1;
    for (const char *q = ls; q < le && ps->blank; q++)
        ps->blank = is_blank(*q, ps->delim);
    if (reserve_line(ps, ls, le, status) < 0)
        return -1;
    char *out = ps->scratch;
    ps->n_fields = 0;
    const char *q = ls;
    for (;;) {
        while (q < le && is_blank(*q, ps->delim))
            q++;
        char *start = out;
        if (q < le && *q == '"') {
            if (read_quoted(ps, &q, le, &out, status) < 0)
                return -1;
        } else {
            while (q < le && *q != ps->delim)
                *out++ = *q++;
            while (out > start && is_blank(out[-1], ps->delim))
                out--;
        }
        *out++ = '\0';
        ps->fields[ps->n_fields].text = start;
        ps->fields[ps->n_fields].len = (size_t)(out - 1 - start);
        ps->n_fields++;
        if (q >= le)
            break;
        q++; /* the delimiter */
    }
    return 1;
}

/* A blank line: nothing but spaces or tabs (a line holding "" is one empty
 * field, a missing value). */
static int line_is_blank(const csv_parser *ps) { return ps->blank; }

/* What a field holds. */
typedef enum num_kind {
    NUM_OK,        /* a finite number */
    NUM_EMPTY,     /* nothing: a missing value */
    NUM_NONFINITE, /* "nan", "inf", "-Infinity": refused */
    NUM_RANGE,     /* a number beyond double's range, e.g. 1e999 */
    NUM_BAD        /* anything else */
} num_kind;

/* 1 if text[0..n) is NaN or infinity as strtod would read it. */
static int is_nonfinite_word(const char *t, size_t n)
{
    if (n > 0 && (*t == '+' || *t == '-')) {
        t++;
        n--;
    }
    char w[9];
    if (n < 3)
        return 0;
    size_t k = n < 8 ? n : 8;
    for (size_t i = 0; i < k; i++)
        w[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
    w[k] = '\0';
    if (n == 3 && (memcmp(w, "nan", 3) == 0 || memcmp(w, "inf", 3) == 0))
        return 1;
    if (n == 8 && memcmp(w, "infinity", 8) == 0)
        return 1;
    return n > 4 && memcmp(w, "nan(", 4) == 0 && t[n - 1] == ')';
}

/* Reads a whole field as a decimal number in the C locale's syntax
 * (digits, sign, '.', exponent; no hex, NaN or infinity), whatever locale
 * the program has set.  The text is not modified. */
static num_kind parse_number(const char *text, size_t len, double *value)
{
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0)
        return NUM_EMPTY;
    int digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '.' && c != '+' && c != '-' && c != 'e' && c != 'E')
            return is_nonfinite_word(text, len) ? NUM_NONFINITE : NUM_BAD;
    }
    if (!digits)
        return NUM_BAD;
    char point = '.';
    const struct lconv *lc = localeconv();
    if (lc && lc->decimal_point && lc->decimal_point[0] && !lc->decimal_point[1])
        point = lc->decimal_point[0];
    char small[128], *copy = small;
    if (len >= sizeof small) {
        copy = malloc(len + 1);
        if (!copy)
            return NUM_BAD;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (point != '.') {
        char *dot = memchr(copy, '.', len);
        if (dot)
            *dot = point;
    }
    char *end;
    errno = 0;
    double v = strtod(copy, &end);
    int whole = end == copy + len, range = errno == ERANGE;
    if (copy != small)
        free(copy);
    if (!whole)
        return NUM_BAD;
    /* overflow gives ±HUGE_VAL: refuse it; underflow to tiny values is fine */
    if (range && (v > 1.0 || v < -1.0))
        return NUM_RANGE;
    *value = v;
    return NUM_OK;
}

/* 1 if a field starts as a number does: a sign, a digit or a point. */
static int starts_as_number(const char *text, size_t len)
{
    return len > 0 && ((*text >= '0' && *text <= '9') || *text == '+' || *text == '-' ||
                       *text == '.');
}

/* " (name)" for a column that has a header name, else "". */
static const char *column_label(char **names, size_t n_names, size_t column, char *buf,
                                size_t size)
{
    if (!names || column >= n_names || !names[column][0])
        return "";
    char name[48];
    nnc_printable(names[column], strlen(names[column]), 1, name, sizeof name);
    snprintf(buf, size, " (%s)", name);
    return buf;
}

static nnc_status field_error(const csv_parser *ps, size_t column, num_kind kind,
                              char **names, size_t n_names)
{
    const csv_field *f = &ps->fields[column];
    char label[64], buf[48];
    const char *col = column_label(names, n_names, column, label, sizeof label);
    if (kind == NUM_EMPTY)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: line %zu, column %zu%s: empty field (missing value)", ps->path,
                        ps->line, column + 1, col);
    nnc_printable(f->text, f->len, 1, buf, sizeof buf);
    if (kind == NUM_NONFINITE)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: line %zu, column %zu%s: '%s' is not a finite number (NaN and "
                        "infinity are refused)",
                        ps->path, ps->line, column + 1, col, buf);
    if (kind == NUM_RANGE)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: line %zu, column %zu%s: '%s' is out of range (beyond "
                        "+-1.8e308)",
                        ps->path, ps->line, column + 1, col, buf);
    return nnc_fail(NNC_ERR_FORMAT, "%s: line %zu, column %zu%s: '%s' is not a number",
                    ps->path, ps->line, column + 1, col, buf);
}

/* NUL bytes: a binary or UTF-16 file. */
static nnc_status check_text(const unsigned char *b, size_t len, const char *what)
{
    const unsigned char *nul = memchr(b, 0, len);
    if (!nul)
        return NNC_OK;
    size_t off = (size_t)(nul - b), line = 1;
    for (const unsigned char *q = b; q < nul; q++) /* LF, CR and CRLF each end a line */
        line += *q == '\r' || (*q == '\n' && (q == b || q[-1] != '\r'));
    int utf16 = len >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff));
    return nnc_fail(NNC_ERR_FORMAT, "%s: line %zu: NUL byte at byte offset %zu (%s)", what,
                    line, off,
                    utf16 ? "UTF-16 text; save the file as UTF-8"
                          : "not a text file");
}

nnc_status nnc_csv_read_file(const char *path, const nnc_csv_options *options,
                             nnc_array *out, char ***column_names)
{
    if (!path || !out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_csv_read_file: NULL argument");
    unsigned char *bytes;
    size_t len, left;
    nnc_status s = nnc_read_input(path, options ? options->max_memory : 0, CSV_MAX_FILE, &bytes,
                                  &len, &left);
    if (s != NNC_OK)
        return s;
    nnc_csv_options o = {-1, ',', 0};
    if (options)
        o = *options;
    o.max_memory = left;
    s = nnc_csv_read_memory(bytes, len, path, &o, out, column_names);
    free(bytes);
    return s;
}

/* Whether the first non-blank line is the header: header option 1 says
 * so, 0 says not; -1 detects it, as the top of this file says. */
static int is_header_line(const csv_parser *ps, int header)
{
    int is_header = header == 1;
    if (header == -1) {
        /* a header when some field is a word: not a number, NaN or
         * out of range, and not a number with a typo (those are
         * reported as errors below) */
        for (size_t i = 0; i < ps->n_fields && !is_header; i++) {
            double v;
            const csv_field *f = &ps->fields[i];
            is_header = parse_number(f->text, f->len, &v) == NUM_BAD &&
                        !starts_as_number(f->text, f->len);
        }
    }
    return is_header;
}

/* Copies the current line's fields as the column names (*names, *n_names),
 * within the memory limit. */
static nnc_status keep_names(csv_parser *ps, char ***names, size_t *n_names)
{
    size_t cols = ps->n_fields;
    /* one block for all the names (not one allocation per
     * name: a line of commas would cost 32 bytes per byte) */
    size_t text = 0;
    for (size_t i = 0; i < cols; i++)
        text += ps->fields[i].len + 1;
    size_t need = cols * sizeof **names + text;
    if (need > ps->limit || ps->scratch_cap + ps->fields_cap * sizeof(csv_field) >
                               ps->limit - need)
        return nnc_refuse_size(ps->path, "the header's names",
                               need + ps->scratch_cap + ps->fields_cap * sizeof(csv_field),
                               ps->limit);
    char **list = malloc(cols * sizeof *list);
    char *block = malloc(text);
    if (!list || !block) {
        free(list);
        free(block);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", ps->path);
    }
    for (size_t i = 0; i < cols; i++) {
        list[i] = block;
        memcpy(block, ps->fields[i].text, ps->fields[i].len + 1);
        block += ps->fields[i].len + 1;
    }
    *names = list;
    *n_names = cols;
    ps->held = need;
    return NNC_OK;
}

/* The values read so far: size of cap doubles in data. */
typedef struct csv_values {
    double *data;
    size_t size, cap;
} csv_values;

/* Room for cols more values in v. */
static nnc_status grow_values(const csv_parser *ps, csv_values *v, size_t cols)
{
    if (v->size + cols <= v->cap)
        return NNC_OK;
    /* the values grow by doubling, but never past the memory
     * limit: what the other buffers leave of it */
    size_t other = ps->held + ps->scratch_cap + ps->fields_cap * sizeof(csv_field);
    size_t room = ps->limit > other ? (ps->limit - other) / sizeof(double) : 0;
    if (v->size + cols > room) {
        char line[40];
        snprintf(line, sizeof line, "the values up to line %zu", ps->line);
        return nnc_refuse_size(ps->path, line, other + (v->size + cols) * sizeof(double),
                               ps->limit);
    }
    size_t nc = v->cap ? v->cap * 2 : 1024;
    while (nc < v->size + cols)
        nc *= 2;
    if (nc > room)
        nc = room;
    double *nd = realloc(v->data, nc * sizeof *nd);
    if (!nd)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", ps->path);
    v->data = nd;
    v->cap = nc;
    return NNC_OK;
}

/* Reads every line of ps into v: the header's names into *names when there
 * is a header, *cols values a row. */
static nnc_status read_rows(csv_parser *ps, int header, csv_values *v, size_t *cols,
                            char ***names, size_t *n_names)
{
    size_t cols_line = 0;
    int first = 1;
    nnc_status s = NNC_OK;
    while (next_line(ps, &s) == 1) {
        if (line_is_blank(ps))
            continue;
        if (first) {
            first = 0;
            *cols = ps->n_fields;
            cols_line = ps->line;
            if (is_header_line(ps, header)) {
                s = keep_names(ps, names, n_names);
                if (s != NNC_OK)
                    return s;
                continue;
            }
        }
        if (ps->n_fields != *cols)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: line %zu has %zu fields, expected %zu (as on line %zu%s)",
                            ps->path, ps->line, ps->n_fields, *cols, cols_line,
                            *n_names ? ", the header" : "");
        s = grow_values(ps, v, *cols);
        if (s != NNC_OK)
            return s;
        for (size_t i = 0; i < *cols; i++) {
            num_kind k = parse_number(ps->fields[i].text, ps->fields[i].len,
                                      &v->data[v->size + i]);
            if (k != NUM_OK)
                return field_error(ps, i, k, *names, *n_names);
        }
        v->size += *cols;
    }
    return s;
}

nnc_status nnc_csv_read_memory(const void *data_bytes, size_t len, const char *path,
                               const nnc_csv_options *options, nnc_array *out,
                               char ***column_names)
{
    if (!path)
        path = "CSV data";
    if (!out || (!data_bytes && len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_csv_read_memory: NULL argument", path);
    int header = options ? options->header : -1;
    char delim = options && options->delimiter ? options->delimiter : ',';
    if (header < -1 || header > 1)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: csv header option %d (use 1: header, 0: none, -1: detect)", path,
                        header);
    if (delim == '"' || delim == '\n' || delim == '\r' || delim == ' ')
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: unusable csv delimiter (code %d)", path,
                        (int)(unsigned char)delim);
    const unsigned char *bytes = data_bytes ? data_bytes : (const unsigned char *)"";
    nnc_status s = check_text(bytes, len, path);
    if (s != NNC_OK)
        return s;

    csv_parser ps;
    memset(&ps, 0, sizeof ps);
    ps.path = path;
    ps.p = (const char *)bytes;
    ps.end = ps.p + len;
    ps.delim = delim;
    ps.limit = nnc_memory_limit(options ? options->max_memory : 0);
    if (len >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf)
        ps.p += 3;

    csv_values v = {NULL, 0, 0};
    size_t cols = 0;
    char **names = NULL;
    size_t n_names = 0;
    s = read_rows(&ps, header, &v, &cols, &names, &n_names);
    size_t rows = cols ? v.size / cols : 0;
    if (s == NNC_OK && rows == 0)
        s = nnc_fail(NNC_ERR_FORMAT, "%s: no data rows%s", path,
                     n_names ? " after the header" : " (empty file)");
    free(ps.scratch);
    free(ps.fields);
    if (s != NNC_OK) {
        free(v.data);
        nnc_csv_free_names(names, n_names);
        return s;
    }
    memset(out, 0, sizeof *out);
    out->ndim = 2;
    out->shape[0] = rows;
    out->shape[1] = cols;
    out->size = v.size;
    out->data = v.data;
    if (column_names)
        *column_names = names;
    else
        nnc_csv_free_names(names, n_names);
    return NNC_OK;
}
