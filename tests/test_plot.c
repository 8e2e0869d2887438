/* nnc_plot: nice ticks, well-formed SVG, escaping, degenerate data and the
 * argument checks. */
#include "check.h"

#include <ctype.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* A tiny XML checker: balanced tags, quoted attributes, entities       */
/* ------------------------------------------------------------------ */

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' || c == '.';
}

/* An entity at p ("&amp;", "&#38;" ...); returns its length or 0. */
static size_t entity_len(const char *p)
{
    static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int i = 0; i < 5; i++)
        if (strncmp(p, known[i], strlen(known[i])) == 0)
            return strlen(known[i]);
    if (p[1] == '#') {
        size_t n = 2;
        while (isalnum((unsigned char)p[n]))
            n++;
        return p[n] == ';' && n > 2 ? n + 1 : 0;
    }
    return 0;
}

/* Character data up to the next '<' (or end); 0 on a stray '&'. */
static int check_text(const char **pp, const char *stop_chars)
{
    const char *p = *pp;
    while (*p && !strchr(stop_chars, *p)) {
        if (*p == '&') {
            size_t n = entity_len(p);
            if (!n)
                return 0;
            p += n;
        } else {
            p++;
        }
    }
    *pp = p;
    return 1;
}

/* 1 if svg is one well-formed element tree after an XML declaration. */
static int well_formed(const char *svg, char *why, size_t why_size)
{
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = svg;
    if (strncmp(p, "<?xml ", 6) != 0) {
        snprintf(why, why_size, "no XML declaration");
        return 0;
    }
    p = strstr(p, "?>");
    if (!p) {
        snprintf(why, why_size, "unterminated declaration");
        return 0;
    }
    p += 2;
    for (;;) {
        if (!check_text(&p, "<")) {
            snprintf(why, why_size, "stray '&' near offset %ld", (long)(p - svg));
            return 0;
        }
        if (!*p)
            break;
        if (depth == 0) {
            for (const char *q = p - 1; q >= svg && *q != '>'; q--)
                if (!isspace((unsigned char)*q)) {
                    snprintf(why, why_size, "text outside the root element");
                    return 0;
                }
        }
        p++; /* '<' */
        if (strncmp(p, "!--", 3) == 0) {
            const char *e = strstr(p, "-->");
            if (!e)
                return 0;
            p = e + 3;
            continue;
        }
        int closing = *p == '/';
        if (closing)
            p++;
        const char *name = p;
        while (is_name_char(*p))
            p++;
        size_t len = (size_t)(p - name);
        if (len == 0 || len >= 64) {
            snprintf(why, why_size, "bad tag name at offset %ld", (long)(name - svg));
            return 0;
        }
        if (closing) {
            while (isspace((unsigned char)*p))
                p++;
            if (*p != '>' || depth == 0 || strlen(stack[depth - 1]) != len ||
                strncmp(stack[depth - 1], name, len) != 0) {
                snprintf(why, why_size, "mismatched </%.*s> at offset %ld", (int)len, name,
                         (long)(name - svg));
                return 0;
            }
            depth--;
            p++;
            continue;
        }
        /* attributes: name="value" or name='value' */
        for (;;) {
            int space = 0;
            while (isspace((unsigned char)*p)) {
                p++;
                space = 1;
            }
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            const char *an = p;
            while (is_name_char(*p))
                p++;
            if (p == an || !space || *p != '=' || (p[1] != '"' && p[1] != '\'')) {
                snprintf(why, why_size, "bad attribute in <%.*s> at offset %ld", (int)len,
                         name, (long)(an - svg));
                return 0;
            }
            char quote = p[1];
            p += 2;
            char stop[3] = {quote, '<', '\0'};
            if (!check_text(&p, stop) || *p != quote) {
                snprintf(why, why_size, "bad attribute value in <%.*s>", (int)len, name);
                return 0;
            }
            p++;
        }
        if (depth == 0 && ++roots > 1) {
            snprintf(why, why_size, "more than one root element");
            return 0;
        }
        if (*p == '/') {
            p += 2; /* empty element */
            continue;
        }
        if (depth == 64) {
            snprintf(why, why_size, "nested too deep");
            return 0;
        }
        memcpy(stack[depth], name, len);
        stack[depth][len] = '\0';
        depth++;
        p++;
    }
    if (depth != 0 || roots != 1) {
        snprintf(why, why_size, "%d elements left open, %d roots", depth, roots);
        return 0;
    }
    return 1;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == needle[i])
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Renders, checks well-formedness and the absence of nan/inf; returns the
 * SVG text (free it) or NULL. */
static char *render_checked(const nnc_plot *plot, const char *what)
{
    char *svg = NULL;
    size_t len = 0;
    CHECK_OK(nnc_plot_svg(plot, &svg, &len));
    if (!svg)
        return NULL;
    char why[200] = "";
    int ok = well_formed(svg, why, sizeof why);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  %s: not well-formed: %s\n", what, why);
    CHECK(len == strlen(svg));
    CHECK(!contains_ci(svg, "nan"));
    CHECK(!contains_ci(svg, "inf"));
    if (contains_ci(svg, "nan") || contains_ci(svg, "inf"))
        fprintf(stderr, "  %s: nan or inf in the output\n", what);
    CHECK(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"") != NULL);
    CHECK(strstr(svg, "</svg>") != NULL);
    return svg;
}

/* The labels of the ticks of one class ("xtick", "ytick") joined by ','. */
static void tick_labels(const char *svg, const char *cls, char *out, size_t size)
{
    char key[32];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    out[0] = '\0';
    size_t n = 0;
    for (const char *p = strstr(svg, key); p; p = strstr(p + 1, key)) {
        const char *gt = strchr(p, '>'), *lt = gt ? strchr(gt, '<') : NULL;
        if (!gt || !lt)
            break;
        n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%.*s", n ? "," : "",
                              (int)(lt - gt - 1), gt + 1);
    }
}

/* y ticks of a one-panel chart of a line through (0, lo) and (1, hi). */
static void check_y_ticks(double lo, double hi, int log_y, const char *want)
{
    nnc_plot *p;
    double x[2] = {0, 1}, y[2] = {lo, hi};
    CHECK_OK(nnc_plot_create(&p, 400, 300, 1, 1, NULL));
    CHECK_OK(nnc_plot_axes(p, 0, NULL, NULL, NULL, log_y));
    CHECK_OK(nnc_plot_series(p, 0, NULL, x, y, 2, NNC_PLOT_LINE));
    char *svg = render_checked(p, want);
    char got[1024];
    if (svg) {
        tick_labels(svg, "ytick", got, sizeof got);
        CHECK(strcmp(got, want) == 0);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "  y in [%g, %g]%s: ticks %s, want %s\n", lo, hi,
                    log_y ? " (log)" : "", got, want);
    }
    free(svg);
    nnc_plot_free(p);
}

static void test_ticks(void)
{
    check_y_ticks(0, 1, 0, "0,0.2,0.4,0.6,0.8,1");
    check_y_ticks(0.013, 0.87, 0, "0,0.2,0.4,0.6,0.8");
    check_y_ticks(-3.2, 7.9, 0, "-2,0,2,4,6,8");
    check_y_ticks(-1, 1, 0, "-1,-0.5,0,0.5,1"); /* no "-0" */
    check_y_ticks(0, 5000, 0, "0,1000,2000,3000,4000,5000");
    check_y_ticks(1e-4, 1, 1, "0.0001,0.001,0.01,0.1,1");
    check_y_ticks(0.002, 0.05, 1, "0.001,0.01,0.1");
    /* all equal: a small range around the value */
    check_y_ticks(3, 3, 0, "2.7,2.8,2.9,3,3.1,3.2,3.3");
    check_y_ticks(0, 0, 0, "-1,-0.5,0,0.5,1");
    /* close to each other: more digits until the labels differ */
    check_y_ticks(1000000, 1000001, 0,
                  "1000000,1000000.2,1000000.4,1000000.6,1000000.8,1000001");
}

static void test_content(void)
{
    nnc_plot *p;
    CHECK_OK(nnc_plot_create(&p, 900, 400, 2, 1, "R&D <fit> \"one\" 'two'"));
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 0.5, NAN, 0.3, 0.2};
    CHECK_OK(nnc_plot_axes(p, 0, "Loss & more", "epoch", "loss", 0));
    CHECK_OK(nnc_plot_series(p, 0, "train", x, y, 5, NNC_PLOT_LINE));
    CHECK_OK(nnc_plot_series(p, 0, "valid<ation>", x, y, 5, NNC_PLOT_MARKERS));
    CHECK_OK(nnc_plot_axes(p, 1, "Accuracy", "epoch", "accuracy", 1));
    CHECK_OK(nnc_plot_series(p, 1, "crosses", x, y, 5, NNC_PLOT_CROSSES | NNC_PLOT_LINE));
    char *svg = render_checked(p, "content");
    if (svg) {
        CHECK(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) == 0);
        CHECK(strstr(svg, "R&amp;D &lt;fit&gt; &quot;one&quot; &apos;two&apos;") != NULL);
        CHECK(strstr(svg, "Loss &amp; more") != NULL);
        CHECK(strstr(svg, ">train</text>") != NULL);
        CHECK(strstr(svg, ">valid&lt;ation&gt;</text>") != NULL);
        CHECK(strstr(svg, ">crosses</text>") != NULL);
        CHECK(strstr(svg, ">epoch</text>") != NULL);
        CHECK(strstr(svg, "clipPath") == NULL && strstr(svg, "opacity") == NULL);
        CHECK(strstr(svg, "rotate(") == NULL && strstr(svg, ">loss</text>") != NULL);
        CHECK(strstr(svg, "font-family=\"sans-serif\"") != NULL);
        CHECK(strstr(svg, "width=\"900\" height=\"400\" viewBox=\"0 0 900 400\"") != NULL);
        /* the NaN at x = 2 breaks the first line into two subpaths */
        const char *line = strstr(svg, "<path fill=\"none\"");
        CHECK(line != NULL);
        if (line) {
            const char *d = strstr(line, " d=\""), *end = d ? strchr(d + 4, '"') : NULL;
            int moves = 0;
            for (const char *q = d; q && q < end; q++)
                moves += *q == 'M';
            CHECK(moves == 2);
        }
    }
    free(svg);
    nnc_plot_free(p);
}

static void test_degenerate(void)
{
    nnc_plot *p;
    double x1[1] = {2}, y1[1] = {5};
    double xs[4] = {0, 1, 2, 3}, bad[4] = {NAN, INFINITY, -INFINITY, NAN};
    double big[4] = {-1e308, 1e308, 1e300, -1e300};
    double neg[4] = {-1, 0, -2, -3};
    CHECK_OK(nnc_plot_create(&p, 1200, 800, 3, 3, NULL));
    /* 0: nothing but labels; 1: one point; 2: empty series; 3: all non-finite;
     * 4: huge values; 5: log axis without positive values; 6: constant grid
     * with values; 7: grid with NaN and categories; 8: untouched */
    CHECK_OK(nnc_plot_axes(p, 0, "empty", "x", "y", 0));
    CHECK_OK(nnc_plot_series(p, 1, "one", x1, y1, 1, NNC_PLOT_LINE | NNC_PLOT_MARKERS));
    CHECK_OK(nnc_plot_series(p, 2, "none", NULL, NULL, 0, NNC_PLOT_LINE));
    CHECK_OK(nnc_plot_series(p, 3, "bad", xs, bad, 4, NNC_PLOT_LINE | NNC_PLOT_CROSSES));
    CHECK_OK(nnc_plot_series(p, 4, "big", xs, big, 4, NNC_PLOT_LINE));
    CHECK_OK(nnc_plot_series(p, 4, "big x", big, xs, 4, NNC_PLOT_MARKERS));
    CHECK_OK(nnc_plot_axes(p, 5, "log", NULL, NULL, 1));
    CHECK_OK(nnc_plot_series(p, 5, "neg", xs, neg, 4, NNC_PLOT_LINE));
    double flat[6] = {2, 2, 2, 2, 2, 2};
    CHECK_OK(nnc_plot_grid(p, 6, 0, 3, 0, 2, 3, 2, flat, 1));
    double heat[6] = {0.1, NAN, 0.3, 0.9, 0.5, -0.2};
    const char *cx[3] = {"a&b", "b", "c"}, *cy[2] = {"low", NULL};
    CHECK_OK(nnc_plot_grid(p, 7, -1, 1, 10, 20, 3, 2, heat, 1));
    CHECK_OK(nnc_plot_categories(p, 7, 'x', cx, 3));
    CHECK_OK(nnc_plot_categories(p, 7, 'y', cy, 2));
    char *svg = render_checked(p, "degenerate");
    if (svg) {
        CHECK(strstr(svg, ">a&amp;b</text>") != NULL);
        CHECK(strstr(svg, ">low</text>") != NULL);
        CHECK(strstr(svg, ">0.9</text>") != NULL); /* a heat-map cell's value */
        CHECK(strstr(svg, ">-0.2</text>") != NULL);
    }
    free(svg);
    nnc_plot_free(p);

    /* categories without a grid; a grid under series (decision regions) */
    CHECK_OK(nnc_plot_create(&p, 400, 300, 1, 1, NULL));
    const char *names[2] = {"sgd", "adam"};
    double cxv[2] = {0, 1}, cyv[2] = {0.5, 0.7};
    CHECK_OK(nnc_plot_categories(p, 0, 'x', names, 2));
    CHECK_OK(nnc_plot_series(p, 0, "acc", cxv, cyv, 2, NNC_PLOT_MARKERS));
    double regions[4] = {0, 1, 1, 0};
    CHECK_OK(nnc_plot_grid(p, 0, -0.5, 1.5, 0, 1, 2, 2, regions, 0));
    free(render_checked(p, "categories"));
    nnc_plot_free(p);

    /* a figure with no panels touched at all */
    CHECK_OK(nnc_plot_create(&p, 50, 50, 1, 1, NULL));
    free(render_checked(p, "blank"));
    nnc_plot_free(p);
}

/* What lies outside the plot area is cut off by the library itself (no
 * clipPath: renderers disagree on it): a line leaving the area ends on its
 * edge, markers outside are left out. */
static void test_clipping(void)
{
    nnc_plot *p;
    CHECK_OK(nnc_plot_create(&p, 400, 300, 1, 1, NULL));
    const char *names[3] = {"a", "b", "c"}; /* x axis fixed to [-0.5, 2.5] */
    double x[3] = {-2, 1, 4}, y[3] = {0, 1, 0};
    CHECK_OK(nnc_plot_categories(p, 0, 'x', names, 3));
    CHECK_OK(nnc_plot_series(p, 0, NULL, x, y, 3, NNC_PLOT_LINE | NNC_PLOT_MARKERS));
    char *svg = render_checked(p, "clipping");
    if (svg) {
        CHECK(strstr(svg, "clip") == NULL);
        const char *fr = strstr(svg, "fill=\"none\" stroke=\"#333333\"");
        const char *r = fr;
        while (r && r > svg && strncmp(r, "<rect x=\"", 9) != 0)
            r--;
        double fx = 0, fy = 0, fw = 0, fh = 0;
        if (r && fr && sscanf(r, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"", &fx,
                              &fy, &fw, &fh) == 4) {
            const char *d = strstr(svg, "<path fill=\"none\"");
            d = d ? strstr(d, " d=\"") : NULL;
            int points = 0, outside = 0;
            for (const char *q = d ? d + 4 : NULL; q && *q != '"';) {
                double px, py;
                int n = 0;
                if (sscanf(q + 1, "%lf %lf%n", &px, &py, &n) != 2)
                    break;
                points++;
                outside += px < fx - 0.01 || px > fx + fw + 0.01 || py < fy - 0.01 ||
                           py > fy + fh + 0.01;
                q += 1 + n;
            }
            CHECK(points == 3); /* edge, the middle point, edge */
            CHECK(outside == 0);
            int circles = 0;
            for (const char *q = strstr(svg, "<circle"); q; q = strstr(q + 1, "<circle"))
                circles++;
            CHECK(circles == 1);
        } else {
            CHECK(!"no plot frame found");
        }
    }
    free(svg);
    nnc_plot_free(p);
}

static void test_errors(void)
{
    nnc_plot *p = NULL, *q = (nnc_plot *)&p;
    CHECK_STATUS(nnc_plot_create(&q, 10, 10, 1, 1, NULL), NNC_ERR_ARGUMENT);
    CHECK(q == (nnc_plot *)&p); /* untouched on failure */
    CHECK_STATUS(nnc_plot_create(&q, 400, 300, 0, 1, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_create(&q, 400, 300, 1, 1000, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_create(&q, 1000000, 300, 1, 1, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_create(NULL, 400, 300, 1, 1, NULL), NNC_ERR_ARGUMENT);

    CHECK_OK(nnc_plot_create(&p, 400, 300, 2, 1, NULL));
    double x[2] = {0, 1};
    CHECK_STATUS(nnc_plot_axes(p, 2, "t", NULL, NULL, 0), NNC_ERR_ARGUMENT);
    CHECK_MSG("panel 2");
    CHECK_STATUS(nnc_plot_axes(p, -1, "t", NULL, NULL, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_axes(NULL, 0, "t", NULL, NULL, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_series(p, 2, "s", x, x, 2, NNC_PLOT_LINE), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_series(p, 0, "s", x, x, 2, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_series(p, 0, "s", x, x, 2, 8), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_series(p, 0, "s", NULL, x, 2, NNC_PLOT_LINE), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_grid(p, 0, 0, 1, 0, 1, 0, 1, x, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_grid(p, 0, 1, 1, 0, 1, 1, 1, x, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_grid(p, 0, 0, 1, 0, NAN, 1, 1, x, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_grid(p, 0, 0, 1, 0, 1, 1, 1, NULL, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_grid(p, 5, 0, 1, 0, 1, 1, 1, x, 0), NNC_ERR_ARGUMENT);
    const char *labels[1] = {"a"};
    CHECK_STATUS(nnc_plot_categories(p, 0, 'z', labels, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_categories(p, 0, 'x', NULL, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_categories(p, 0, 'x', labels, -1), NNC_ERR_ARGUMENT);
    char *svg;
    size_t len;
    CHECK_STATUS(nnc_plot_svg(NULL, &svg, &len), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_svg(p, NULL, &len), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_save(p, NULL), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_plot_save(p, NNC_TEST_TMP "/no/such/folder/x.svg"), NNC_ERR_IO);
    nnc_plot_free(p);
    nnc_plot_free(NULL);
}

static void test_save(void)
{
    nnc_plot *p;
    double x[3] = {0, 1, 2}, y[3] = {3, 1, 2};
    CHECK_OK(nnc_plot_create(&p, 400, 300, 1, 1, "saved"));
    CHECK_OK(nnc_plot_series(p, 0, "s", x, y, 3, NNC_PLOT_LINE));
    const char *path = NNC_TEST_TMP "/test_plot.svg";
    CHECK_OK(nnc_plot_save(p, path));
    char *svg = NULL;
    size_t len = 0;
    CHECK_OK(nnc_plot_svg(p, &svg, &len));
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f && svg) {
        char *back = malloc(len + 1);
        size_t got = back ? fread(back, 1, len + 1, f) : 0;
        CHECK(got == len && memcmp(back, svg, len) == 0);
        free(back);
    }
    if (f)
        fclose(f);
    free(svg);
    remove(path);
    nnc_plot_free(p);
}

/* The fill colour of the legend entry whose text is `label` (the <g fill=...>
 * just before it), into colour[8]; 0 if absent. */
static int legend_colour(const char *svg, const char *label, char colour[8])
{
    char text[64];
    snprintf(text, sizeof text, ">%s</text>", label);
    const char *t = strstr(svg, text), *g = NULL;
    if (!t)
        return 0;
    for (const char *q = strstr(svg, "<g fill=\"#"); q && q < t; q = strstr(q + 1, "<g fill=\"#"))
        g = q;
    if (!g)
        return 0;
    memcpy(colour, g + 9, 7);
    colour[7] = '\0';
    return 1;
}

/* The fill of the region rect whose x is smallest (which = 'l') or largest
 * ('r') or that covers x_px ('m'), from the grid group. */
static int region_colour(const char *svg, char which, double x_px, char colour[8])
{
    const char *g = strstr(svg, "<g shape-rendering=\"crispEdges\"");
    const char *end = g ? strstr(g, "</g>") : NULL;
    if (!g || !end)
        return 0;
    double best = which == 'l' ? 1e9 : -1e9;
    int found = 0;
    for (const char *r = strstr(g, "<rect x=\""); r && r < end; r = strstr(r + 1, "<rect x=\"")) {
        double x = strtod(r + 9, NULL);
        const char *w = strstr(r, "width=\""), *f = strstr(r, "fill=\"");
        if (!w || !f)
            return 0;
        double width = strtod(w + 7, NULL);
        int take = which == 'l' ? x < best : which == 'r' ? x > best
                                                            : x <= x_px && x_px <= x + width;
        if (take) {
            best = x;
            memcpy(colour, f + 6, 7);
            colour[7] = '\0';
            found = 1;
        }
    }
    return found;
}

/* A point colour as its region shows it: 45% of it over white (the
 * regions are dimmed under the points; mixed by the library, as ImageMagick
 * ignores opacity). */
static void dimmed(const char *hex, char out[8])
{
    unsigned long rgb = strtoul(hex + 1, NULL, 16);
    int c[3] = {(int)(rgb >> 16) & 0xff, (int)(rgb >> 8) & 0xff, (int)rgb & 0xff};
    for (int k = 0; k < 3; k++)
        c[k] = (int)lround(255 - (255 - c[k]) * 0.45);
    snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* Decision chart: classes named by their labels (first_label + k, as
 * predict prints them), each region in its class's point colour (dimmed). */
static void test_decision_classes(void)
{
    /* one softmax layer: logits (-10·x1 - 5, 0, 10·x1 - 5): class 0 left of
     * x1 = -0.5, class 2 right of 0.5, class 1 between */
    nnc_layer_spec spec = {3, NNC_ACT_IDENTITY, 0};
    nnc_net *net = NULL;
    CHECK_OK(nnc_net_create(&net, NNC_TASK_MULTICLASS, 2, 1, &spec, 16));
    if (!net)
        return;
    nnc_real *W = nnc_net_weights(net, 0), *B = nnc_net_bias(net, 0);
    const nnc_real w[6] = {-10, 0, 10, 0, 0, 0}, b[3] = {-5, 0, -5}; /* W (2, 3) */
    memcpy(W, w, sizeof w);
    memcpy(B, b, sizeof b);
    nnc_real X[6] = {-1, 0, 0, 0.5f, 1, -0.5f};
    nnc_real Y[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_create(&ds, X, Y, 3, 2, 3));
    nnc_plot *p = NULL;
    if (ds)
        CHECK_OK(nnc_chart_decision(&p, net, ds, 1, "regions"));
    char *svg = NULL;
    if (p)
        CHECK_OK(nnc_plot_svg(p, &svg, NULL));
    if (svg) {
        CHECK(strstr(svg, "label 0") == NULL && strstr(svg, ">class ") == NULL);
        char c1[8], c2[8], c3[8], left[8], mid[8], right[8];
        CHECK(legend_colour(svg, "label 1", c1) && legend_colour(svg, "label 2", c2) &&
              legend_colour(svg, "label 3", c3));
        CHECK(strcmp(c1, c2) != 0 && strcmp(c2, c3) != 0 && strcmp(c1, c3) != 0);
        /* the middle of the figure's plot area is x1 = 0 (data -1..1) */
        const char *frame = strstr(svg, "fill=\"none\" stroke=\"#333333\"");
        double x_mid = 0;
        const char *r = frame;
        while (r && r > svg && strncmp(r, "<rect x=\"", 9) != 0)
            r--;
        if (r && frame) {
            double x = strtod(r + 9, NULL), w_px = strtod(strstr(r, "width=\"") + 7, NULL);
            x_mid = x + w_px / 2;
        }
        CHECK(x_mid > 0);
        CHECK(region_colour(svg, 'l', 0, left) && region_colour(svg, 'm', x_mid, mid) &&
              region_colour(svg, 'r', 0, right));
        /* the points of each class are drawn in the legend's colour */
        char want[64];
        snprintf(want, sizeof want, "<g fill=\"%s\" stroke=\"#ffffff\"", c2);
        CHECK(strstr(svg, want) != NULL);
        dimmed(c1, c1);
        dimmed(c2, c2);
        dimmed(c3, c3);
        CHECK(strcmp(left, c1) == 0);
        CHECK(strcmp(mid, c2) == 0);
        CHECK(strcmp(right, c3) == 0);
        free(svg);
    }
    nnc_plot_free(p);

    /* binary: labels 0 and 1 (first_label 0), regions in their colours */
    nnc_layer_spec bspec = {1, NNC_ACT_IDENTITY, 0};
    nnc_net *bin = NULL;
    CHECK_OK(nnc_net_create(&bin, NNC_TASK_BINARY, 2, 1, &bspec, 16));
    nnc_real BY[3] = {0, 1, 1};
    nnc_dataset *bds = NULL;
    CHECK_OK(nnc_dataset_create(&bds, X, BY, 3, 2, 1));
    if (bin && bds) {
        nnc_real bw[2] = {10, 0}, bb[1] = {0}; /* class 1 right of x1 = 0 */
        memcpy(nnc_net_weights(bin, 0), bw, sizeof bw);
        memcpy(nnc_net_bias(bin, 0), bb, sizeof bb);
        p = NULL;
        svg = NULL;
        CHECK_OK(nnc_chart_decision(&p, bin, bds, 0, "binary"));
        if (p)
            CHECK_OK(nnc_plot_svg(p, &svg, NULL));
        char c0[8], c1[8], left[8], right[8];
        CHECK(svg && legend_colour(svg, "label 0", c0) && legend_colour(svg, "label 1", c1));
        CHECK(svg && region_colour(svg, 'l', 0, left) && region_colour(svg, 'r', 0, right));
        if (svg) {
            dimmed(c0, c0);
            dimmed(c1, c1);
            CHECK(strcmp(left, c0) == 0 && strcmp(right, c1) == 0);
        }
        free(svg);
        nnc_plot_free(p);
    }
    nnc_dataset_free(bds);
    nnc_net_free(bin);
    nnc_dataset_free(ds);
    nnc_net_free(net);
}

static size_t count_of(const char *text, const char *word)
{
    size_t n = 0;
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        n++;
    return n;
}

/* The ch15.4 chart on two short paths: the bowl's values, one marker per
 * point, both legend names, level bands of several colours under them. */
static void test_contour_paths(void)
{
    CHECK(nnc_contour_bowl(0, 0) == 0);
    CHECK(fabs(nnc_contour_bowl(-7, 2) - 8.9) < 1e-12);
    CHECK(fabs(nnc_contour_bowl(1, -1) - 1.1) < 1e-12);
    const char *names[2] = {"first<1>", "second"};
    const double xs[6] = {-4, -2, -1, 3, 1, 0}, ys[6] = {2, 1, 0, -1, -0.5, 0};
    nnc_plot *p = NULL;
    CHECK_OK(nnc_chart_contour_paths(&p, names, 2, xs, ys, 3, "paths"));
    char *svg = p ? render_checked(p, "contour paths") : NULL;
    if (svg) {
        CHECK(strstr(svg, ">first&lt;1&gt;<") != NULL);
        CHECK(strstr(svg, ">second<") != NULL);
        CHECK(count_of(svg, "<circle") >= 6);
        CHECK(count_of(svg, "<rect") > 20);
        CHECK(strstr(svg, "clipPath") == NULL && strstr(svg, "opacity") == NULL);
    }
    free(svg);
    nnc_plot_free(p);
    p = NULL;
    CHECK(nnc_chart_contour_paths(&p, names, 0, xs, ys, 3, NULL) == NNC_ERR_ARGUMENT);
    CHECK(nnc_chart_contour_paths(&p, names, 17, xs, ys, 3, NULL) == NNC_ERR_ARGUMENT);
    CHECK(nnc_chart_contour_paths(&p, names, 2, xs, ys, 0, NULL) == NNC_ERR_ARGUMENT);
    CHECK(nnc_chart_contour_paths(&p, NULL, 2, xs, ys, 3, NULL) == NNC_ERR_ARGUMENT);
    CHECK(nnc_chart_contour_paths(NULL, names, 2, xs, ys, 3, NULL) == NNC_ERR_ARGUMENT);
    CHECK(p == NULL);
}

int main(void)
{
    test_ticks();
    test_content();
    test_degenerate();
    test_errors();
    test_save();
    test_decision_classes();
    test_clipping();
    test_contour_paths();
    return check_report("test_plot");
}
