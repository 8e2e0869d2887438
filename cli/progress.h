/* A one-line progress bar for nnc train on stderr (cli/progress.c). */
#ifndef NNC_CLI_PROGRESS_H
#define NNC_CLI_PROGRESS_H

#include <stdio.h>

#include "nnc.h"

enum { PROGRESS_SPARK = 24 }; /* validation losses shown in the sparkline */

typedef struct progress {
    FILE *out;          /* the terminal (stderr), or NULL: disabled */
    int max_epoch;
    long total_iterations;
    double start, last_draw; /* seconds, monotonic */
    int drawn;          /* a bar is on the screen */
    double loss_train, loss_valid;
    double spark[PROGRESS_SPARK];
    int spark_count;
} progress;

/* Enabled only when `out` is a terminal and not quiet. */
void progress_init(progress *p, FILE *out, int quiet, int max_epoch, long total_iterations);
/* Redraws at most ~10 times a second. */
void progress_step(progress *p, int epoch, long total_iteration);
/* Records a check's losses for the bar and its sparkline. */
void progress_check(progress *p, const nnc_checkpoint *c);
/* Erases the bar (before printing a log line, and at the end). */
void progress_clear(progress *p);

/* Renders values as a sparkline of Unicode blocks (▁..█) into buf. */
void sparkline(char *buf, size_t size, const double *values, int count);

#endif
