/* The progress bar: epoch, percentage, iterations per second, ETA, the
 * latest losses and a sparkline of the validation loss, on one line that is
 * erased before each textbook log line so stdout stays exactly the book's. */
#include "progress.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress *p, FILE *out, int quiet, int max_epoch, long total_iterations)
{
    memset(p, 0, sizeof *p);
    p->out = !quiet && out && isatty(fileno(out)) ? out : NULL;
    p->max_epoch = max_epoch;
    p->total_iterations = total_iterations;
    p->start = p->last_draw = now();
    p->loss_train = p->loss_valid = NAN;
}

void sparkline(char *buf, size_t size, const double *values, int count)
{
    static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < count; i++) {
        if (isfinite(values[i])) {
            lo = values[i] < lo ? values[i] : lo;
            hi = values[i] > hi ? values[i] : hi;
        }
    }
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && n + 4 < size; i++) {
        int level = 0;
        /* halves: hi - lo may overflow, and (int) of NaN is undefined */
        double t = hi > lo ? (values[i] / 2 - lo / 2) / (hi / 2 - lo / 2) : 0;
        if (isfinite(values[i]) && t >= 0 && t <= 1)
            level = (int)(t * 7.999);
        memcpy(buf + n, blocks[level], 3); /* each block is 3 bytes of UTF-8 */
        n += 3;
        buf[n] = '\0';
    }
}

static void format_duration(char *buf, size_t size, double seconds)
{
    if (!isfinite(seconds) || seconds < 0 || seconds > 3600.0 * 1e6) /* (int) below */
        snprintf(buf, size, "--:--");
    else if (seconds < 3600)
        snprintf(buf, size, "%d:%02d", (int)seconds / 60, (int)seconds % 60);
    else
        snprintf(buf, size, "%dh%02d", (int)(seconds / 3600), (int)fmod(seconds / 60, 60));
}

void progress_step(progress *p, int epoch, long total_iteration)
{
    /* Reading the clock on every update would cost more than a small
     * network's update itself: look every 256 iterations. */
    if (!p->out || (total_iteration & 255) != 255)
        return;
    double t = now();
    if (t - p->last_draw < 0.1)
        return;
    p->last_draw = t;
    double done = (double)(total_iteration + 1), elapsed = t - p->start;
    double rate = done / elapsed, frac = done / (double)p->total_iterations;
    char eta[16], spark[PROGRESS_SPARK * 3 + 1];
    format_duration(eta, sizeof eta, (p->total_iterations - done) / rate);
    sparkline(spark, sizeof spark, p->spark, p->spark_count);
    char speed[32];
    if (rate >= 1e6)
        snprintf(speed, sizeof speed, "%.2fM", rate / 1e6);
    else if (rate >= 1e3)
        snprintf(speed, sizeof speed, "%.1fk", rate / 1e3);
    else
        snprintf(speed, sizeof speed, "%.0f", rate);
    fprintf(p->out, "\r\033[Kepoch %d/%d %3.0f%% %s it/s ETA %s", epoch + 1, p->max_epoch,
            100 * frac, speed, eta);
    if (!isnan(p->loss_valid))
        fprintf(p->out, "  loss %.4g/%.4g %s", p->loss_train, p->loss_valid, spark);
    fflush(p->out);
    p->drawn = 1;
}

void progress_check(progress *p, const nnc_checkpoint *c)
{
    p->loss_train = c->loss_train;
    p->loss_valid = c->loss_valid;
    if (p->spark_count == PROGRESS_SPARK) {
        memmove(p->spark, p->spark + 1, (PROGRESS_SPARK - 1) * sizeof p->spark[0]);
        p->spark_count--;
    }
    p->spark[p->spark_count++] = c->loss_valid;
}

void progress_clear(progress *p)
{
    if (p->out && p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->drawn = 0;
    }
}
