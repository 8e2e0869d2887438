/* Charts as standalone SVG 1.1: panels with nice ticks, grid, legend,
 * line/marker series, log-scale y and colour grids (heat maps, decision
 * regions).  The figure is kept as data and rendered on demand. */
#include "internal.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PLOT_MAX_SIDE = 20000, /* pixels */
    PLOT_MAX_PANELS_SIDE = 64,
    PLOT_MAX_TICKS = 64,
    PLOT_STYLES = NNC_PLOT_LINE | NNC_PLOT_MARKERS | NNC_PLOT_CROSSES
};

/* Font sizes (px) and the width of one character as a fraction of them. */
#define FONT_TICK 11.0
#define FONT_LABEL 12.0
#define FONT_PANEL 13.0
#define FONT_TITLE 16.0
#define CHAR_W 0.6

typedef struct plot_series {
    char *label;
    double *x, *y;
    size_t n;
    int style, colour;
} plot_series;

typedef struct plot_grid {
    double x_min, x_max, y_min, y_max;
    int nx, ny, show_values;
    int by_series; /* cell value k takes the colour of the panel's series k */
    double *values; /* (ny, nx), row 0 at y_min; NULL: no grid */
} plot_grid;

typedef struct plot_panel {
    int used; /* panels nobody touched are left blank */
    char *title, *x_label, *y_label;
    int log_y;
    plot_series *series;
    int n_series, cap_series;
    plot_grid grid;
    char **cats[2]; /* [0]: x, [1]: y */
    int n_cats[2];
} plot_panel;

struct nnc_plot {
    int width, height, cols, rows;
    char *title;
    plot_panel *panels;
};

/* tab10 */
static const char *const PALETTE[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                      "#bcbd22", "#17becf"};
enum { PALETTE_SIZE = sizeof PALETTE / sizeof PALETTE[0] };

/* viridis at 9 evenly spaced stops */
static const unsigned char VIRIDIS[9][3] = {
    {68, 1, 84},    {71, 44, 122},  {59, 81, 139},   {44, 113, 142}, {33, 144, 141},
    {39, 173, 129}, {92, 200, 99},  {170, 220, 50},  {253, 231, 37}};

/* ------------------------------------------------------------------ */
/* Growable text buffer                                                */
/* ------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static int sb_reserve(sbuf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (b->n + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (!sb_reserve(b, len))
        return;
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* Appends a string literal. */
#define SB_LIT(b, lit) sb_put((b), (lit), sizeof(lit) - 1)

static void sb_printf(sbuf *b, const char *fmt, ...) NNC_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)len < sizeof small) {
        sb_put(b, small, (size_t)len);
        return;
    }
    if (!sb_reserve(b, (size_t)len))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is invalid. */
static int utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] >= 0xf8)
        n = 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Text as XML character data: &<>"' escaped, control characters and invalid
 * UTF-8 bytes replaced by '?'. */
static void sb_text(sbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        switch (*p) {
        case '&': SB_LIT(b, "&amp;"); p++; continue;
        case '<': SB_LIT(b, "&lt;"); p++; continue;
        case '>': SB_LIT(b, "&gt;"); p++; continue;
        case '"': SB_LIT(b, "&quot;"); p++; continue;
        case '\'': SB_LIT(b, "&apos;"); p++; continue;
        default: break;
        }
        int n = utf8_len(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\t')) {
            SB_LIT(b, "?");
            p++;
        } else {
            sb_put(b, (const char *)p, (size_t)n);
            p += n;
        }
    }
}

int nnc_format_number(char *buf, size_t size, char conv, int prec, double v)
{
    /* printf writes the decimal point of the thread's LC_NUMERIC (no digit
     * grouping without the ' flag): format, then put '.' in its place. */
    char t[400]; /* %.40f of 1e308: 309 digits, the point and 40 decimals */
    if (prec < 0)
        prec = 0;
    if (prec > 40)
        prec = 40;
    int n = conv == 'f'   ? snprintf(t, sizeof t, "%.*f", prec, v)
            : conv == 'e' ? snprintf(t, sizeof t, "%.*e", prec, v)
                          : snprintf(t, sizeof t, "%.*g", prec, v);
    if (n < 0 || (size_t)n >= sizeof t) {
        n = 0;
        t[0] = '\0';
    }
    const struct lconv *lc = localeconv();
    const char *point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point : ".";
    size_t plen = strlen(point);
    char *at = strcmp(point, ".") != 0 ? strstr(t, point) : NULL;
    if (at) {
        *at = '.';
        memmove(at + 1, at + plen, strlen(at + plen) + 1);
        n -= (int)plen - 1;
    }
    if (size > 0)
        snprintf(buf, size, "%s", t);
    return n;
}

/* A coordinate: at most 2 decimals, trailing zeros dropped, never "-0",
 * never "nan"; absurd values are clamped. */
static void sb_num(sbuf *b, double v)
{
    char t[64];
    if (!isfinite(v))
        v = 0;
    if (v > 1e6)
        v = 1e6;
    if (v < -1e6)
        v = -1e6;
    nnc_format_number(t, sizeof t, 'f', 2, v);
    size_t len = strlen(t);
    while (len > 0 && t[len - 1] == '0')
        len--;
    if (len > 0 && t[len - 1] == '.')
        len--;
    t[len] = '\0';
    if (strcmp(t, "-0") == 0 || len == 0)
        strcpy(t, "0");
    sb_put(b, t, strlen(t));
}

/* Approximate rendered width of text in a sans-serif font of size px. */
static double text_width(const char *s, double px)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return (double)chars * px * CHAR_W;
}

/* ------------------------------------------------------------------ */
/* Axes: ranges and ticks                                              */
/* ------------------------------------------------------------------ */

typedef struct plot_axis {
    double lo, hi; /* in plot units (log10 of the value on a log axis) */
    int log;
    int n_ticks;
    double ticks[PLOT_MAX_TICKS]; /* in plot units */
    char labels[PLOT_MAX_TICKS][32];
    int n_minor; /* log axis: 2..9 times each decade */
    double minor[PLOT_MAX_TICKS * 8];
} plot_axis;

/* Step of 1, 2 or 5 times a power of ten giving about 5-8 ticks on [lo, hi]. */
static double nice_step(double lo, double hi)
{
    double raw = (hi / 5 - lo / 5); /* halves avoid overflow of hi - lo */
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
    return step * mag;
}

/* Labels for the ticks with as many digits as it takes to tell them apart. */
static void label_ticks(plot_axis *a, int log_values)
{
    for (int prec = 6; prec <= 15; prec++) {
        for (int k = 0; k < a->n_ticks; k++) {
            double v = log_values ? pow(10, a->ticks[k]) : a->ticks[k];
            nnc_format_number(a->labels[k], sizeof a->labels[k], 'g', prec, v);
            if (strcmp(a->labels[k], "-0") == 0)
                strcpy(a->labels[k], "0");
        }
        int distinct = 1;
        for (int k = 1; k < a->n_ticks; k++)
            if (strcmp(a->labels[k], a->labels[k - 1]) == 0)
                distinct = 0;
        if (distinct)
            break;
    }
}

static void linear_ticks(plot_axis *a)
{
    double step = nice_step(a->lo, a->hi);
    double k0 = ceil(a->lo / step - 1e-9);
    a->n_ticks = 0;
    for (int k = 0; k < PLOT_MAX_TICKS; k++) {
        double v = (k0 + k) * step;
        if (v > a->hi + step * 1e-9)
            break;
        if (fabs(v) < step * 1e-9)
            v = 0;
        a->ticks[a->n_ticks++] = v;
    }
    label_ticks(a, 0);
}

/* Ticks at powers of ten (every k-th decade when there are many), minor
 * ticks at 2..9 times each decade when there are few. */
static void log_ticks(plot_axis *a)
{
    double lo = a->lo, hi = a->hi; /* whole decades */
    double decades = hi - lo;
    double every = decades <= 8 ? 1 : ceil(decades / 8);
    a->n_ticks = 0;
    for (double e = ceil(lo / every) * every; e <= hi + 1e-9 && a->n_ticks < PLOT_MAX_TICKS;
         e += every)
        a->ticks[a->n_ticks++] = e;
    label_ticks(a, 1);
    a->n_minor = 0;
    if (decades <= 6) {
        for (double e = lo; e < hi - 1e-9; e += 1)
            for (int m = 2; m <= 9; m++)
                if (a->n_minor < PLOT_MAX_TICKS * 8)
                    a->minor[a->n_minor++] = e + log10((double)m);
    }
}

/* Range of finite values seen so far. */
typedef struct range {
    double lo, hi;
    int any;
} range;

static void range_add(range *r, double v)
{
    if (!isfinite(v))
        return;
    if (!r->any) {
        r->lo = r->hi = v;
        r->any = 1;
    } else {
        if (v < r->lo)
            r->lo = v;
        if (v > r->hi)
            r->hi = v;
    }
}

/* A linear axis over the data range r; pad: 5% margins (not with a grid). */
static void axis_linear(plot_axis *a, range r, int pad)
{
    a->log = 0;
    a->n_minor = 0;
    if (!r.any) {
        r.lo = 0;
        r.hi = 1;
    } else if (!(r.hi > r.lo)) {
        double d = r.lo == 0 ? 1 : fabs(r.lo) * 0.1;
        r.lo -= d;
        r.hi += d;
        pad = 0;
    }
    double m = pad ? (r.hi / 20 - r.lo / 20) : 0;
    a->lo = r.lo - m;
    a->hi = r.hi + m;
    if (!isfinite(a->lo) || !isfinite(a->hi)) {
        a->lo = r.lo;
        a->hi = r.hi;
    }
    linear_ticks(a);
}

/* A log axis over positive values in r (r holds log10 of them). */
static void axis_log(plot_axis *a, range r)
{
    a->log = 1;
    if (!r.any) {
        r.lo = 0;
        r.hi = 1;
    }
    a->lo = floor(r.lo + 1e-9);
    a->hi = ceil(r.hi - 1e-9);
    if (a->hi <= a->lo)
        a->hi = a->lo + 1;
    log_ticks(a);
}

/* Category ticks: label k at position pos0 + k·step. */
static void axis_categories(plot_axis *a, char *const *labels, int count, double pos0,
                            double step)
{
    a->n_ticks = 0;
    a->n_minor = 0;
    for (int k = 0; k < count && a->n_ticks < PLOT_MAX_TICKS; k++) {
        a->ticks[a->n_ticks] = pos0 + k * step;
        snprintf(a->labels[a->n_ticks], sizeof a->labels[0], "%s", labels[k]);
        a->n_ticks++;
    }
}

/* Value → plot units; NaN if it cannot be shown (non-positive on a log axis). */
static double axis_unit(const plot_axis *a, double v)
{
    if (!a->log)
        return v;
    return v > 0 ? log10(v) : NAN;
}

/* Plot units → pixels along [p0, p1]. */
static double axis_px(const plot_axis *a, double u, double p0, double p1)
{
    double t = (u / 2 - a->lo / 2) / (a->hi / 2 - a->lo / 2);
    return p0 + t * (p1 - p0);
}

/* ------------------------------------------------------------------ */
/* Building the figure                                                 */
/* ------------------------------------------------------------------ */

static char *dup_text(const char *s, int *failed)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        *failed = 1;
    else
        memcpy(d, s, n);
    return d;
}

nnc_status nnc_plot_create(nnc_plot **out, int width, int height, int cols, int rows,
                           const char *title)
{
    if (!out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_create: NULL out");
    if (width < 50 || height < 50 || width > PLOT_MAX_SIDE || height > PLOT_MAX_SIDE)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_plot_create: size %dx%d out of range (50 to %d pixels)", width,
                        height, PLOT_MAX_SIDE);
    if (cols < 1 || rows < 1 || cols > PLOT_MAX_PANELS_SIDE || rows > PLOT_MAX_PANELS_SIDE)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_plot_create: %dx%d panels out of range (1 to %d a side)", cols,
                        rows, PLOT_MAX_PANELS_SIDE);
    nnc_plot *p = calloc(1, sizeof *p);
    int failed = 0;
    if (!p)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_create: out of memory");
    p->width = width;
    p->height = height;
    p->cols = cols;
    p->rows = rows;
    p->panels = calloc((size_t)cols * (size_t)rows, sizeof *p->panels);
    p->title = dup_text(title, &failed);
    if (!p->panels || failed) {
        nnc_plot_free(p);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_create: out of memory");
    }
    *out = p;
    return NNC_OK;
}

static void free_categories(plot_panel *pn, int k)
{
    for (int i = 0; i < pn->n_cats[k]; i++)
        free(pn->cats[k][i]);
    free(pn->cats[k]);
    pn->cats[k] = NULL;
    pn->n_cats[k] = 0;
}

void nnc_plot_free(nnc_plot *plot)
{
    if (!plot)
        return;
    if (plot->panels) {
        for (int i = 0; i < plot->cols * plot->rows; i++) {
            plot_panel *pn = &plot->panels[i];
            free(pn->title);
            free(pn->x_label);
            free(pn->y_label);
            for (int s = 0; s < pn->n_series; s++) {
                free(pn->series[s].label);
                free(pn->series[s].x);
                free(pn->series[s].y);
            }
            free(pn->series);
            free(pn->grid.values);
            free_categories(pn, 0);
            free_categories(pn, 1);
        }
    }
    free(plot->panels);
    free(plot->title);
    free(plot);
}

static nnc_status get_panel(nnc_plot *plot, int p, const char *fn, plot_panel **out)
{
    if (!plot)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: NULL plot", fn);
    if (p < 0 || p >= plot->cols * plot->rows)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: panel %d out of range (the figure has %d)",
                        fn, p, plot->cols * plot->rows);
    *out = &plot->panels[p];
    return NNC_OK;
}

nnc_status nnc_plot_axes(nnc_plot *plot, int p, const char *title, const char *x_label,
                         const char *y_label, int log_y)
{
    plot_panel *pn = NULL;
    nnc_status s = get_panel(plot, p, "nnc_plot_axes", &pn);
    if (s != NNC_OK)
        return s;
    int failed = 0;
    char *t = dup_text(title, &failed), *xl = dup_text(x_label, &failed),
         *yl = dup_text(y_label, &failed);
    if (failed) {
        free(t);
        free(xl);
        free(yl);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_axes: out of memory");
    }
    free(pn->title);
    free(pn->x_label);
    free(pn->y_label);
    pn->title = t;
    pn->x_label = xl;
    pn->y_label = yl;
    pn->log_y = log_y != 0;
    pn->used = 1;
    return NNC_OK;
}

nnc_status nnc_plot_series(nnc_plot *plot, int p, const char *label, const double *x,
                           const double *y, size_t n, int style)
{
    plot_panel *pn = NULL;
    nnc_status s = get_panel(plot, p, "nnc_plot_series", &pn);
    if (s != NNC_OK)
        return s;
    if (n > 0 && (!x || !y))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_series: NULL data for %zu points", n);
    if (style == 0 || (style & ~PLOT_STYLES))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_plot_series: style %d is not a combination of "
                        "NNC_PLOT_LINE, NNC_PLOT_MARKERS, NNC_PLOT_CROSSES",
                        style);
    if (n > SIZE_MAX / sizeof(double) / 2)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_series: %zu points are too many", n);
    if (pn->n_series == pn->cap_series) {
        int cap = pn->cap_series ? pn->cap_series * 2 : 4;
        plot_series *ns = realloc(pn->series, (size_t)cap * sizeof *ns);
        if (!ns)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_series: out of memory");
        pn->series = ns;
        pn->cap_series = cap;
    }
    int failed = 0;
    plot_series se;
    memset(&se, 0, sizeof se);
    se.label = dup_text(label, &failed);
    se.x = malloc((n ? n : 1) * sizeof *se.x);
    se.y = malloc((n ? n : 1) * sizeof *se.y);
    if (failed || !se.x || !se.y) {
        free(se.label);
        free(se.x);
        free(se.y);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_series: out of memory");
    }
    if (n) {
        memcpy(se.x, x, n * sizeof *x);
        memcpy(se.y, y, n * sizeof *y);
    }
    se.n = n;
    se.style = style;
    se.colour = pn->n_series % PALETTE_SIZE;
    pn->series[pn->n_series++] = se;
    pn->used = 1;
    return NNC_OK;
}

nnc_status nnc_plot_grid(nnc_plot *plot, int p, double x_min, double x_max, double y_min,
                         double y_max, int nx, int ny, const double *values,
                         int show_values)
{
    plot_panel *pn = NULL;
    nnc_status s = get_panel(plot, p, "nnc_plot_grid", &pn);
    if (s != NNC_OK)
        return s;
    if (!values)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_grid: NULL values");
    if (nx < 1 || ny < 1 || nx > 4096 || ny > 4096)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_grid: %dx%d cells (1 to 4096 a side)",
                        nx, ny);
    if (!isfinite(x_min) || !isfinite(x_max) || !isfinite(y_min) || !isfinite(y_max) ||
        !(x_max > x_min) || !(y_max > y_min))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_plot_grid: extent [%g, %g] x [%g, %g] is empty or not finite",
                        x_min, x_max, y_min, y_max);
    size_t cells = (size_t)nx * (size_t)ny;
    double *v = malloc(cells * sizeof *v);
    if (!v)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_grid: out of memory");
    memcpy(v, values, cells * sizeof *v);
    free(pn->grid.values);
    pn->grid.values = v;
    pn->grid.x_min = x_min;
    pn->grid.x_max = x_max;
    pn->grid.y_min = y_min;
    pn->grid.y_max = y_max;
    pn->grid.nx = nx;
    pn->grid.ny = ny;
    pn->grid.show_values = show_values != 0;
    pn->grid.by_series = 0;
    pn->used = 1;
    return NNC_OK;
}

nnc_status nnc_plot_grid_by_series(nnc_plot *plot, int p)
{
    plot_panel *pn = NULL;
    nnc_status s = get_panel(plot, p, "nnc_plot_grid_by_series", &pn);
    if (s != NNC_OK)
        return s;
    if (!pn->grid.values)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_grid_by_series: panel %d has no grid", p);
    pn->grid.by_series = 1;
    return NNC_OK;
}

nnc_status nnc_plot_categories(nnc_plot *plot, int p, char axis, const char *const *labels,
                               int count)
{
    plot_panel *pn = NULL;
    nnc_status s = get_panel(plot, p, "nnc_plot_categories", &pn);
    if (s != NNC_OK)
        return s;
    if (axis != 'x' && axis != 'y')
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_categories: axis '%c' (use 'x' or 'y')",
                        axis);
    if (count < 0 || count > PLOT_MAX_TICKS || (count > 0 && !labels))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_plot_categories: %d labels (0 to %d, labels not NULL)", count,
                        PLOT_MAX_TICKS);
    int k = axis == 'y';
    char **copy = NULL;
    if (count > 0) {
        int failed = 0;
        copy = calloc((size_t)count, sizeof *copy);
        if (!copy)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_categories: out of memory");
        for (int i = 0; i < count; i++)
            copy[i] = dup_text(labels[i] ? labels[i] : "", &failed);
        if (failed) {
            for (int i = 0; i < count; i++)
                free(copy[i]);
            free(copy);
            return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_categories: out of memory");
        }
    }
    free_categories(pn, k);
    pn->cats[k] = copy;
    pn->n_cats[k] = count;
    pn->used = 1;
    return NNC_OK;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

/* A panel's plot area in pixels (y grows downwards). */
typedef struct area {
    double left, right, top, bottom;
} area;

static double px_x(const plot_axis *ax, const area *ar, double v)
{
    return axis_px(ax, v, ar->left, ar->right);
}

static double px_y(const plot_axis *ay, const area *ar, double v)
{
    return axis_px(ay, v, ar->bottom, ar->top);
}

/* The two axes of a panel from its data, grid and categories. */
static void panel_axes(const plot_panel *pn, plot_axis *ax, plot_axis *ay)
{
    range rx = {0, 0, 0}, ry = {0, 0, 0};
    const plot_grid *g = &pn->grid;
    for (int s = 0; s < pn->n_series; s++) {
        const plot_series *se = &pn->series[s];
        for (size_t i = 0; i < se->n; i++) {
            double yu = pn->log_y ? (se->y[i] > 0 ? log10(se->y[i]) : NAN) : se->y[i];
            if (isfinite(se->x[i]) && isfinite(yu)) {
                range_add(&rx, se->x[i]);
                range_add(&ry, yu);
            }
        }
    }
    if (g->values) {
        range_add(&rx, g->x_min);
        range_add(&rx, g->x_max);
        range_add(&ry, pn->log_y ? (g->y_min > 0 ? log10(g->y_min) : NAN) : g->y_min);
        range_add(&ry, pn->log_y ? log10(g->y_max) : g->y_max);
    }
    int pad = !g->values;
    /* categories without a grid: category k at k */
    if (!g->values && pn->n_cats[0] > 0) {
        rx.any = 1;
        rx.lo = -0.5;
        rx.hi = pn->n_cats[0] - 0.5;
    }
    if (!g->values && pn->n_cats[1] > 0 && !pn->log_y) {
        ry.any = 1;
        ry.lo = -0.5;
        ry.hi = pn->n_cats[1] - 0.5;
    }
    axis_linear(ax, rx, pad && pn->n_cats[0] == 0);
    if (pn->log_y)
        axis_log(ay, ry);
    else
        axis_linear(ay, ry, pad && pn->n_cats[1] == 0);
    if (pn->n_cats[0] > 0) {
        double dx = g->values ? (g->x_max - g->x_min) / g->nx : 1;
        double x0 = g->values ? g->x_min + dx / 2 : 0;
        axis_categories(ax, pn->cats[0], pn->n_cats[0], x0, dx);
    }
    if (pn->n_cats[1] > 0 && !pn->log_y) {
        double dy = g->values ? (g->y_max - g->y_min) / g->ny : 1;
        double y0 = g->values ? g->y_min + dy / 2 : 0;
        axis_categories(ay, pn->cats[1], pn->n_cats[1], y0, dy);
    }
}

/* Colour of t in [0, 1] on the viridis scale, as "#rrggbb". */
static void scale_colour(double t, char out[8])
{
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    double f = t * 8;
    int i = (int)f;
    if (i > 7)
        i = 7;
    double w = f - i;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(VIRIDIS[i][c] * (1 - w) + VIRIDIS[i + 1][c] * w);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0] & 0xff, rgb[1] & 0xff, rgb[2] & 0xff);
}

/* How much of a grid's colour is kept (mixed with white) under series. */
#define GRID_DIM 0.45

/* "#rrggbb" mixed with white: keep·colour + (1 - keep)·white. */
static void mix_white(char colour[8], double keep)
{
    unsigned long rgb = strtoul(colour + 1, NULL, 16);
    int c[3] = {(int)(rgb >> 16) & 0xff, (int)(rgb >> 8) & 0xff, (int)rgb & 0xff};
    for (int k = 0; k < 3; k++)
        c[k] = (int)lround(255 - (255 - c[k]) * keep);
    snprintf(colour, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* Clips the segment (x0, y0)-(x1, y1) to the area (Liang-Barsky); 0 if
 * nothing of it is inside. */
static int clip_segment(const area *ar, double *x0, double *y0, double *x1, double *y1)
{
    double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0, t1 = 1;
    if (!isfinite(dx) || !isfinite(dy))
        return 0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*x0 - ar->left, ar->right - *x0, *y0 - ar->top, ar->bottom - *y0};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0)
                return 0;
            continue;
        }
        double t = q[k] / p[k];
        if (p[k] < 0) {
            if (t > t1)
                return 0;
            if (t > t0)
                t0 = t;
        } else {
            if (t < t0)
                return 0;
            if (t < t1)
                t1 = t;
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy, bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    if (t0 == 0) { /* exactly the start, so that joined segments stay one path */
        ax = *x0;
        ay = *y0;
    }
    if (t1 == 1) {
        bx = *x1;
        by = *y1;
    }
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return 1;
}

static int inside(const area *ar, double x, double y)
{
    return x >= ar->left && x <= ar->right && y >= ar->top && y <= ar->bottom;
}

static void render_grid(sbuf *b, const plot_panel *pn, const plot_axis *ax, const plot_axis *ay,
                        const area *ar)
{
    const plot_grid *g = &pn->grid;
    range rv = {0, 0, 0};
    size_t cells = (size_t)g->nx * (size_t)g->ny;
    for (size_t i = 0; i < cells; i++)
        range_add(&rv, g->values[i]);
    if (!rv.any)
        return;
    double span = rv.hi - rv.lo;
    double dx = (g->x_max - g->x_min) / g->nx, dy = (g->y_max - g->y_min) / g->ny;
    /* dimmed under series so that they stay readable: the colour is mixed
     * with white here, as ImageMagick ignores opacity */
    int dim = pn->n_series > 0;
    SB_LIT(b, "<g shape-rendering=\"crispEdges\">\n");
    for (int i = 0; i < g->ny; i++) {
        double y0 = axis_unit(ay, g->y_min + i * dy), y1 = axis_unit(ay, g->y_min + (i + 1) * dy);
        if (!isfinite(y0) || !isfinite(y1))
            continue;
        double py0 = px_y(ay, ar, y0), py1 = px_y(ay, ar, y1);
        for (int j = 0; j < g->nx;) {
            double v = g->values[(size_t)i * g->nx + j];
            /* without value text, merge a run of equal cells into one rect */
            int run = 1;
            if (!g->show_values)
                while (j + run < g->nx && g->values[(size_t)i * g->nx + j + run] == v)
                    run++;
            if (!isfinite(v)) {
                j += run;
                continue;
            }
            char colour[8];
            if (g->by_series) {
                /* a series index: whole, from 0 (checked before the cast) */
                if (!(v >= 0 && v <= INT_MAX && v == floor(v))) {
                    j += run;
                    continue;
                }
                snprintf(colour, sizeof colour, "%s", PALETTE[(int)v % PALETTE_SIZE]);
            } else {
                scale_colour(span > 0 ? (v - rv.lo) / span : 0.5, colour);
            }
            if (dim)
                mix_white(colour, GRID_DIM);
            /* the area is the clip: no clipPath, which renderers differ on */
            double px0 = fmax(px_x(ax, ar, g->x_min + j * dx), ar->left);
            double px1 = fmin(px_x(ax, ar, g->x_min + (j + run) * dx), ar->right);
            double cy0 = fmin(py0, ar->bottom), cy1 = fmax(py1, ar->top);
            if (!(px1 > px0) || !(cy0 > cy1)) {
                j += run;
                continue;
            }
            SB_LIT(b, "<rect x=\"");
            sb_num(b, px0);
            SB_LIT(b, "\" y=\"");
            sb_num(b, cy1);
            SB_LIT(b, "\" width=\"");
            sb_num(b, px1 - px0);
            SB_LIT(b, "\" height=\"");
            sb_num(b, cy0 - cy1);
            sb_printf(b, "\" fill=\"%s\"/>\n", colour);
            if (g->show_values) {
                double t = span > 0 ? (v - rv.lo) / span : 0.5;
                SB_LIT(b, "<text x=\"");
                sb_num(b, (px0 + px1) / 2);
                SB_LIT(b, "\" y=\"");
                sb_num(b, (cy0 + cy1) / 2 + FONT_TICK * 0.35);
                char value[48];
                nnc_format_number(value, sizeof value, 'g', 3, v);
                SB_LIT(b, "\" text-anchor=\"middle\" font-size=\"");
                sb_num(b, FONT_TICK);
                sb_printf(b, "\" fill=\"%s\">%s</text>\n", t > 0.6 ? "#000000" : "#ffffff",
                          value);
            }
            j += run;
        }
    }
    SB_LIT(b, "</g>\n");
}

static void marker_at(sbuf *b, int style, double x, double y)
{
    if (style & NNC_PLOT_MARKERS) {
        SB_LIT(b, "<circle cx=\"");
        sb_num(b, x);
        SB_LIT(b, "\" cy=\"");
        sb_num(b, y);
        SB_LIT(b, "\" r=\"2.5\"/>\n");
    }
    if (style & NNC_PLOT_CROSSES) {
        SB_LIT(b, "<path d=\"M");
        sb_num(b, x - 3);
        SB_LIT(b, " ");
        sb_num(b, y - 3);
        SB_LIT(b, "L");
        sb_num(b, x + 3);
        SB_LIT(b, " ");
        sb_num(b, y + 3);
        SB_LIT(b, "M");
        sb_num(b, x - 3);
        SB_LIT(b, " ");
        sb_num(b, y + 3);
        SB_LIT(b, "L");
        sb_num(b, x + 3);
        SB_LIT(b, " ");
        sb_num(b, y - 3);
        SB_LIT(b, "\"/>\n");
    }
}

static void render_series(sbuf *b, const plot_series *se, const plot_axis *ax, const plot_axis *ay,
                          const area *ar)
{
    const char *col = PALETTE[se->colour];
    if (se->style & NNC_PLOT_LINE) {
        /* one path; a non-finite point starts a new subpath */
        sb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                     "stroke-linejoin=\"round\" d=\"", col);
        /* segments clipped to the area (no clipPath: renderers differ on
         * it); a gap or a part outside starts a new subpath */
        int have_prev = 0, pen_down = 0, any = 0;
        double prev_x = 0, prev_y = 0, pen_x = 0, pen_y = 0;
        for (size_t i = 0; i < se->n; i++) {
            double u = axis_unit(ay, se->y[i]);
            double x = isfinite(se->x[i]) ? px_x(ax, ar, se->x[i]) : NAN;
            double y = isfinite(u) ? px_y(ay, ar, u) : NAN;
            if (!isfinite(x) || !isfinite(y)) {
                have_prev = 0;
                continue;
            }
            double x0 = prev_x, y0 = prev_y, x1 = x, y1 = y;
            if (have_prev && clip_segment(ar, &x0, &y0, &x1, &y1)) {
                if (!pen_down || x0 != pen_x || y0 != pen_y) {
                    SB_LIT(b, "M");
                    sb_num(b, x0);
                    SB_LIT(b, " ");
                    sb_num(b, y0);
                }
                SB_LIT(b, "L");
                sb_num(b, x1);
                SB_LIT(b, " ");
                sb_num(b, y1);
                pen_down = any = 1;
                pen_x = x1;
                pen_y = y1;
            } else if (have_prev) {
                pen_down = 0;
            }
            prev_x = x;
            prev_y = y;
            have_prev = 1;
        }
        if (!any)
            SB_LIT(b, "M0 0");
        SB_LIT(b, "\"/>\n");
    }
    if (se->style & (NNC_PLOT_MARKERS | NNC_PLOT_CROSSES)) {
        /* circles alone get a thin white rim to stand out on colour grids */
        int cross = (se->style & NNC_PLOT_CROSSES) != 0;
        sb_printf(b, "<g fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\">\n",
                  (se->style & NNC_PLOT_MARKERS) ? col : "none", cross ? col : "#ffffff",
                  cross ? "1.3" : "0.5");
        for (size_t i = 0; i < se->n; i++) {
            double u = axis_unit(ay, se->y[i]);
            if (!isfinite(se->x[i]) || !isfinite(u))
                continue;
            double x = px_x(ax, ar, se->x[i]), y = px_y(ay, ar, u);
            if (inside(ar, x, y))
                marker_at(b, se->style & ~NNC_PLOT_LINE, x, y);
        }
        SB_LIT(b, "</g>\n");
    }
}

/* Number of series points that would sit under a box. */
static size_t points_under(const plot_panel *pn, const plot_axis *ax, const plot_axis *ay,
                           const area *ar, double x0, double y0, double w, double h)
{
    size_t count = 0;
    for (int s = 0; s < pn->n_series; s++) {
        const plot_series *se = &pn->series[s];
        for (size_t i = 0; i < se->n; i++) {
            double u = axis_unit(ay, se->y[i]);
            if (!isfinite(se->x[i]) || !isfinite(u))
                continue;
            double x = px_x(ax, ar, se->x[i]), y = px_y(ay, ar, u);
            count += x >= x0 && x <= x0 + w && y >= y0 && y <= y0 + h;
        }
    }
    return count;
}

/* The legend in the top-right corner, or in the corner where it covers the
 * fewest points (ties keep top-right). */
static void render_legend(sbuf *b, const plot_panel *pn, const plot_axis *ax, const plot_axis *ay,
                          const area *ar)
{
    int entries = 0;
    double w = 0;
    for (int s = 0; s < pn->n_series; s++) {
        if (!pn->series[s].label)
            continue;
        entries++;
        double tw = text_width(pn->series[s].label, FONT_TICK);
        if (tw > w)
            w = tw;
    }
    if (entries == 0)
        return;
    const double pad = 6, line_h = 16, sample = 22;
    w += sample + 3 * pad;
    double h = entries * line_h + pad;
    double cx[4] = {ar->right - 8 - w, ar->left + 8, ar->right - 8 - w, ar->left + 8};
    double cy[4] = {ar->top + 8, ar->top + 8, ar->bottom - 8 - h, ar->bottom - 8 - h};
    int best = 0;
    size_t best_n = (size_t)-1;
    for (int c = 0; c < 4; c++) {
        size_t n = points_under(pn, ax, ay, ar, cx[c], cy[c], w, h);
        if (n < best_n) {
            best_n = n;
            best = c;
        }
    }
    double x0 = cx[best], y0 = cy[best];
    SB_LIT(b, "<g class=\"legend\">\n<rect x=\"");
    sb_num(b, x0);
    SB_LIT(b, "\" y=\"");
    sb_num(b, y0);
    SB_LIT(b, "\" width=\"");
    sb_num(b, w);
    SB_LIT(b, "\" height=\"");
    sb_num(b, h);
    SB_LIT(b, "\" rx=\"3\" fill=\"#ffffff\" stroke=\"#cccccc\"/>\n");
    int row = 0;
    for (int s = 0; s < pn->n_series; s++) {
        const plot_series *se = &pn->series[s];
        if (!se->label)
            continue;
        const char *col = PALETTE[se->colour];
        double y = y0 + pad + row * line_h + line_h / 2 - 1;
        double xs = x0 + pad;
        if (se->style & NNC_PLOT_LINE) {
            sb_printf(b, "<path stroke=\"%s\" stroke-width=\"1.6\" d=\"M", col);
            sb_num(b, xs);
            SB_LIT(b, " ");
            sb_num(b, y);
            SB_LIT(b, "h");
            sb_num(b, sample);
            SB_LIT(b, "\"/>\n");
        }
        if (se->style & (NNC_PLOT_MARKERS | NNC_PLOT_CROSSES)) {
            sb_printf(b, "<g fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\">\n",
                      (se->style & NNC_PLOT_MARKERS) ? col : "none", col,
                      (se->style & NNC_PLOT_CROSSES) ? "1.3" : "0");
            marker_at(b, se->style & ~NNC_PLOT_LINE, xs + sample / 2, y);
            SB_LIT(b, "</g>\n");
        }
        SB_LIT(b, "<text x=\"");
        sb_num(b, xs + sample + pad);
        SB_LIT(b, "\" y=\"");
        sb_num(b, y + FONT_TICK * 0.35);
        SB_LIT(b, "\" font-size=\"");
        sb_num(b, FONT_TICK);
        SB_LIT(b, "\">");
        sb_text(b, se->label);
        SB_LIT(b, "</text>\n");
        row++;
    }
    SB_LIT(b, "</g>\n");
}

/* A horizontal ('H') or vertical ('V') line from (x, y) to `end` on that axis. */
static void grid_line(sbuf *b, double x, double y, char dir, double end)
{
    SB_LIT(b, "<path d=\"M");
    sb_num(b, x);
    SB_LIT(b, " ");
    sb_num(b, y);
    sb_printf(b, "%c", dir);
    sb_num(b, end);
    SB_LIT(b, "\"/>\n");
}

/* Where a panel's text puts its y label, and the plot area that the text
 * around it leaves in the cell (cx, cy, cw, ch). */
typedef struct panel_layout {
    area ar;
    double y_label_x;
    int y_label_line; /* the y label on a line of its own */
} panel_layout;

static panel_layout layout_panel(const plot_panel *pn, const plot_axis *ay, double cx,
                                 double cy, double cw, double ch)
{
    panel_layout lay;
    /* margins from the text around the plot area */
    double ytw = 0;
    for (int k = 0; k < ay->n_ticks; k++) {
        double tw = text_width(ay->labels[k], FONT_TICK);
        if (tw > ytw)
            ytw = tw;
    }
    area *ar = &lay.ar;
    ar->left = cx + 10 + ytw + 8;
    ar->right = cx + cw - 16;
    /* The y label is written level above the axis, at the panel's left
     * (renderers disagree on rotated text: ImageMagick turns it the other
     * way): on the title's line when they do not overlap, else on a line
     * of its own above the plot area. */
    lay.y_label_x = cx + 10;
    lay.y_label_line = 0;
    if (pn->y_label && pn->title) {
        double mid = (ar->left + ar->right) / 2;
        lay.y_label_line = lay.y_label_x + text_width(pn->y_label, FONT_LABEL) + 8 >
                           mid - text_width(pn->title, FONT_PANEL) / 2;
    }
    ar->top = cy + 10 + (pn->title || pn->y_label ? FONT_PANEL + 10 : 0) +
              (lay.y_label_line ? FONT_LABEL + 6 : 0);
    ar->bottom = cy + ch - (FONT_TICK + 14) - (pn->x_label ? FONT_LABEL + 8 : 0);
    if (ar->right - ar->left < 10)
        ar->right = ar->left + 10;
    if (ar->bottom - ar->top < 10)
        ar->bottom = ar->top + 10;
    return lay;
}

/* Grid lines: minor (log decades) then major, the major ones only when no
 * grid of values fills the area. */
static void render_grid_lines(sbuf *b, const plot_panel *pn, const plot_axis *ax,
                              const plot_axis *ay, const area *ar)
{
    SB_LIT(b, "<g stroke=\"#e6e6e6\" stroke-width=\"0.6\">\n");
    for (int k = 0; k < ay->n_minor; k++)
        grid_line(b, ar->left, px_y(ay, ar, ay->minor[k]), 'H', ar->right);
    SB_LIT(b, "</g>\n");
    int draw_grid = !pn->grid.values;
    SB_LIT(b, "<g stroke=\"#cfcfcf\" stroke-width=\"0.8\">\n");
    for (int k = 0; k < ax->n_ticks && draw_grid; k++)
        grid_line(b, px_x(ax, ar, ax->ticks[k]), ar->top, 'V', ar->bottom);
    for (int k = 0; k < ay->n_ticks && draw_grid; k++)
        grid_line(b, ar->left, px_y(ay, ar, ay->ticks[k]), 'H', ar->right);
    SB_LIT(b, "</g>\n");
}

/* The frame of the plot area, the tick marks and their labels. */
static void render_frame(sbuf *b, const plot_axis *ax, const plot_axis *ay, const area *ar)
{
    SB_LIT(b, "<rect x=\"");
    sb_num(b, ar->left);
    SB_LIT(b, "\" y=\"");
    sb_num(b, ar->top);
    SB_LIT(b, "\" width=\"");
    sb_num(b, ar->right - ar->left);
    SB_LIT(b, "\" height=\"");
    sb_num(b, ar->bottom - ar->top);
    SB_LIT(b, "\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
    SB_LIT(b, "<g stroke=\"#333333\" stroke-width=\"1\">\n");
    for (int k = 0; k < ax->n_ticks; k++) {
        SB_LIT(b, "<path d=\"M");
        sb_num(b, px_x(ax, ar, ax->ticks[k]));
        SB_LIT(b, " ");
        sb_num(b, ar->bottom);
        SB_LIT(b, "v4\"/>\n");
    }
    for (int k = 0; k < ay->n_ticks; k++) {
        SB_LIT(b, "<path d=\"M");
        sb_num(b, ar->left);
        SB_LIT(b, " ");
        sb_num(b, px_y(ay, ar, ay->ticks[k]));
        SB_LIT(b, "h-4\"/>\n");
    }
    SB_LIT(b, "</g>\n");
    SB_LIT(b, "<g font-size=\"");
    sb_num(b, FONT_TICK);
    SB_LIT(b, "\" fill=\"#333333\">\n");
    for (int k = 0; k < ax->n_ticks; k++) {
        SB_LIT(b, "<text class=\"xtick\" text-anchor=\"middle\" x=\"");
        sb_num(b, px_x(ax, ar, ax->ticks[k]));
        SB_LIT(b, "\" y=\"");
        sb_num(b, ar->bottom + 6 + FONT_TICK);
        SB_LIT(b, "\">");
        sb_text(b, ax->labels[k]);
        SB_LIT(b, "</text>\n");
    }
    for (int k = 0; k < ay->n_ticks; k++) {
        SB_LIT(b, "<text class=\"ytick\" text-anchor=\"end\" x=\"");
        sb_num(b, ar->left - 7);
        SB_LIT(b, "\" y=\"");
        sb_num(b, px_y(ay, ar, ay->ticks[k]) + FONT_TICK * 0.35);
        SB_LIT(b, "\">");
        sb_text(b, ay->labels[k]);
        SB_LIT(b, "</text>\n");
    }
    SB_LIT(b, "</g>\n");
}

/* One line of a panel's text: `open` is the element up to its font size,
 * `attrs` what follows the size up to x. */
static void panel_text(sbuf *b, const char *open, double font, const char *attrs, double x,
                       double y, const char *text)
{
    sb_put(b, open, strlen(open));
    sb_num(b, font);
    sb_put(b, attrs, strlen(attrs));
    sb_num(b, x);
    SB_LIT(b, "\" y=\"");
    sb_num(b, y);
    SB_LIT(b, "\">");
    sb_text(b, text);
    SB_LIT(b, "</text>\n");
}

static void render_panel(sbuf *b, const plot_panel *pn, int index, double cx, double cy,
                         double cw, double ch)
{
    plot_axis ax, ay;
    memset(&ax, 0, sizeof ax);
    memset(&ay, 0, sizeof ay);
    panel_axes(pn, &ax, &ay);
    panel_layout lay = layout_panel(pn, &ay, cx, cy, cw, ch);
    const area *ar = &lay.ar;

    /* Everything inside the plot area is clipped to it here, not with a
     * clipPath (ImageMagick draws clipped content as nothing). */
    sb_printf(b, "<g class=\"panel\" id=\"panel-%d\">\n", index);
    if (pn->grid.values)
        render_grid(b, pn, &ax, &ay, ar);
    render_grid_lines(b, pn, &ax, &ay, ar);
    for (int s = 0; s < pn->n_series; s++)
        render_series(b, &pn->series[s], &ax, &ay, ar);
    render_frame(b, &ax, &ay, ar);
    if (pn->x_label)
        panel_text(b, "<text text-anchor=\"middle\" font-size=\"", FONT_LABEL, "\" x=\"",
                   (ar->left + ar->right) / 2, cy + ch - 8, pn->x_label);
    if (pn->y_label)
        panel_text(b, "<text class=\"ylabel\" text-anchor=\"start\" font-size=\"", FONT_LABEL,
                   "\" x=\"", lay.y_label_x, ar->top - 9, pn->y_label);
    if (pn->title)
        panel_text(b, "<text text-anchor=\"middle\" font-size=\"", FONT_PANEL,
                   "\" font-weight=\"bold\" x=\"", (ar->left + ar->right) / 2,
                   ar->top - 9 - (lay.y_label_line ? FONT_LABEL + 6 : 0), pn->title);
    render_legend(b, pn, &ax, &ay, ar);
    SB_LIT(b, "</g>\n");
}

nnc_status nnc_plot_svg(const nnc_plot *plot, char **svg, size_t *len)
{
    if (!plot || !svg)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_svg: NULL argument");
    sbuf b = {NULL, 0, 0, 0};
    sb_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
              "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
              "stroke=\"none\">\n",
              plot->width, plot->height, plot->width, plot->height);
    if (plot->title) {
        SB_LIT(&b, "<title>");
        sb_text(&b, plot->title);
        SB_LIT(&b, "</title>\n");
    }
    sb_printf(&b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", plot->width,
              plot->height);
    double top = 0;
    if (plot->title) {
        top = FONT_TITLE + 16;
        SB_LIT(&b, "<text text-anchor=\"middle\" font-size=\"");
        sb_num(&b, FONT_TITLE);
        SB_LIT(&b, "\" x=\"");
        sb_num(&b, plot->width / 2.0);
        SB_LIT(&b, "\" y=\"");
        sb_num(&b, FONT_TITLE + 6);
        SB_LIT(&b, "\">");
        sb_text(&b, plot->title);
        SB_LIT(&b, "</text>\n");
    }
    double cw = (double)plot->width / plot->cols;
    double ch = (plot->height - top) / plot->rows;
    for (int r = 0; r < plot->rows; r++)
        for (int c = 0; c < plot->cols; c++) {
            int p = r * plot->cols + c;
            if (plot->panels[p].used)
                render_panel(&b, &plot->panels[p], p, c * cw, top + r * ch, cw, ch);
        }
    SB_LIT(&b, "</svg>\n");
    if (b.failed) {
        free(b.p);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_plot_svg: out of memory");
    }
    *svg = b.p;
    if (len)
        *len = b.n;
    return NNC_OK;
}

nnc_status nnc_plot_save(const nnc_plot *plot, const char *path)
{
    if (!path)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_plot_save: NULL path");
    char *svg;
    size_t len;
    nnc_status s = nnc_plot_svg(plot, &svg, &len);
    if (s != NNC_OK)
        return s;
    s = nnc_write_file_atomic(path, svg, len);
    free(svg);
    return s;
}
