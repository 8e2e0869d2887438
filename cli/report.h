/* The HTML run report of nnc train (cli/report.c). */
#ifndef NNC_CLI_REPORT_H
#define NNC_CLI_REPORT_H

#include "nnc.h"

typedef struct report_figure {
    const char *caption;
    const char *svg; /* a whole SVG document; its XML declaration is dropped */
} report_figure;

typedef struct report_info {
    const char *name;            /* the run's name, e.g. "sin_131" */
    const char *shape;           /* e.g. "1-3-1" */
    const char *settings;        /* hyperparameters.txt: "key = value" lines */
    const char *log;             /* the textbook log as printed */
    const report_figure *figures;
    int figure_count;
} report_info;

/* Writes one self-contained HTML page (inline SVG, inline CSS, no scripts,
 * no external resources) through a temporary file.  Prints its own errors;
 * returns 1 on success. */
int report_write(const char *path, const report_info *info);

#endif
