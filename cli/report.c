/* report.html: the run on one page — settings, shape, final metrics,
 * charts and log — readable offline in any browser, without JavaScript. */
#include "report.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes text with &, <, >, " escaped. */
static void put_escaped(FILE *f, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (text[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(text[i], f);
        }
    }
}

/* A value from outside (the run's name): controls and bytes that are not
 * UTF-8 as visible escapes (cli_escape_value), then HTML-escaped. */
static void put_text(FILE *f, const char *text)
{
    size_t need = cli_escape_value(NULL, 0, text, NULL) + 1;
    char *buf = malloc(need);
    if (!buf) {
        fputs("?", f);
        return;
    }
    cli_escape_value(buf, need, text, NULL);
    put_escaped(f, buf, strlen(buf));
    free(buf);
}

/* "key = value" lines (comments and blanks skipped) as table rows. */
static void put_settings(FILE *f, const char *settings)
{
    fputs("<table class=\"settings\">\n", f);
    for (const char *line = settings; *line;) {
        size_t len = strcspn(line, "\n");
        const char *eq = memchr(line, '=', len);
        if (line[0] != '#' && eq && eq > line) {
            const char *key_end = eq;
            while (key_end > line && key_end[-1] == ' ')
                key_end--;
            const char *value = eq + 1;
            while (value < line + len && *value == ' ')
                value++;
            fputs("<tr><th>", f);
            put_escaped(f, line, (size_t)(key_end - line));
            fputs("</th><td>", f);
            put_escaped(f, value, (size_t)(line + len - value));
            fputs("</td></tr>\n", f);
        }
        line += len + (line[len] == '\n');
    }
    fputs("</table>\n", f);
}

/* Inlines a chart: the SVG element without the XML declaration before it,
 * with every id (and every reference to one) prefixed by the figure's
 * number, since ids must be unique across the whole page. */
static void put_svg(FILE *f, const char *svg, int figure)
{
    static const char *const tokens[] = {" id=\"", "url(#", "href=\"#"};
    const char *p = strstr(svg, "<svg");
    p = p ? p : svg;
    for (;;) {
        const char *next = NULL;
        size_t len = 0;
        for (int t = 0; t < 3; t++) {
            const char *hit = strstr(p, tokens[t]);
            if (hit && (!next || hit < next)) {
                next = hit;
                len = strlen(tokens[t]);
            }
        }
        if (!next) {
            fputs(p, f);
            return;
        }
        fwrite(p, 1, (size_t)(next - p) + len, f);
        fprintf(f, "fig%d-", figure);
        p = next + len;
    }
}

int report_write(const char *path, const report_info *r)
{
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    if (!f) {
        cli_error("train", "%s: out of memory", path);
        return 0;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    put_text(f, r->name);
    fputs(" \xe2\x80\x94 nnc run report</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
          "color:#222}\n"
          "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid "
          "#ddd}\n"
          "table.settings{border-collapse:collapse}table.settings th,table.settings td{"
          "text-align:left;padding:2px 12px 2px 0;font-size:.95em}\n"
          "table.settings th{color:#555;font-weight:normal}\n"
          "figure{margin:1em 0}figcaption{color:#555;font-size:.9em}\n"
          "figure svg{max-width:100%;height:auto}\n"
          "pre{background:#f6f6f6;padding:.8em;max-height:30em;overflow:auto;"
          "font-size:.85em}\n</style>\n</head>\n<body>\n<h1>", f);
    put_text(f, r->name);
    fputs("</h1>\n<p>Network <strong>", f);
    put_text(f, r->shape);
    fputs("</strong>, trained by <code>nnc train</code>.</p>\n<h2>Settings and "
          "results</h2>\n", f);
    put_settings(f, r->settings);
    if (r->figure_count > 0)
        fputs("<h2>Charts</h2>\n", f);
    for (int i = 0; i < r->figure_count; i++) {
        fputs("<figure>\n", f);
        put_svg(f, r->figures[i].svg, i);
        fputs("\n<figcaption>", f);
        put_text(f, r->figures[i].caption);
        fputs("</figcaption>\n</figure>\n", f);
    }
    fputs("<h2>Log</h2>\n<pre>", f);
    put_escaped(f, r->log, strlen(r->log)); /* lines nnc printed itself */
    fputs("</pre>\n</body>\n</html>\n", f);
    if (fclose(f) != 0 || !html) {
        free(html);
        cli_error("train", "%s: out of memory", path);
        return 0;
    }
    nnc_status s = nnc_write_file_atomic(path, html, len);
    free(html);
    if (s != NNC_OK)
        cli_status_error("train", s);
    return s == NNC_OK;
}
