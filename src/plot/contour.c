/* The book's ch15.4 picture: optimizer trajectories over the contours of
 * z = x²/10 + y², drawn as banded levels under the paths. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

enum { CONTOUR_CELLS = 120, CONTOUR_BANDS_PER_UNIT = 3 };

double nnc_contour_bowl(double x, double y) { return x * x / 10 + y * y; }

/* The box the paths span, widened by a margin so that no path sits on the
 * border and the minimum (0, 0) is always inside. */
static void path_box(const double *xs, const double *ys, size_t n, double box[4])
{
    box[0] = box[2] = 0;
    box[1] = box[3] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i]))
            continue;
        box[0] = fmin(box[0], xs[i]);
        box[1] = fmax(box[1], xs[i]);
        box[2] = fmin(box[2], ys[i]);
        box[3] = fmax(box[3], ys[i]);
    }
    for (int a = 0; a < 2; a++) {
        double margin = 0.15 * (box[2 * a + 1] - box[2 * a]) + 0.5;
        box[2 * a] -= margin;
        box[2 * a + 1] += margin;
    }
}

/* Level bands: equal steps of sqrt(z), so that the band edges are the
 * evenly spaced ellipses a contour plot of the bowl shows. */
static double *band_grid(const double box[4])
{
    double *v = malloc((size_t)CONTOUR_CELLS * CONTOUR_CELLS * sizeof *v);
    if (!v)
        return NULL;
    double dx = (box[1] - box[0]) / CONTOUR_CELLS, dy = (box[3] - box[2]) / CONTOUR_CELLS;
    for (int i = 0; i < CONTOUR_CELLS; i++)
        for (int j = 0; j < CONTOUR_CELLS; j++) {
            double z = nnc_contour_bowl(box[0] + (j + 0.5) * dx, box[2] + (i + 0.5) * dy);
            v[i * CONTOUR_CELLS + j] = floor(sqrt(z) * CONTOUR_BANDS_PER_UNIT);
        }
    return v;
}

nnc_status nnc_chart_contour_paths(nnc_plot **out, const char *const *names, int n_paths,
                                   const double *xs, const double *ys, size_t points,
                                   const char *title)
{
    if (!out || !names || !xs || !ys)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_contour_paths: NULL argument");
    if (n_paths < 1 || n_paths > 16 || points < 1 || points > 100000)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_chart_contour_paths: %d paths of %zu points (1 to 16 paths "
                        "of 1 to 100000 points)",
                        n_paths, points);
    double box[4];
    path_box(xs, ys, (size_t)n_paths * points, box);
    double *bands = band_grid(box);
    if (!bands)
        return nnc_fail(NNC_ERR_MEMORY, "contour chart: out of memory");
    nnc_plot *p = NULL;
    nnc_status s = nnc_plot_create(&p, 760, 560, 1, 1, title);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 0, "z = x\xc2\xb2/10 + y\xc2\xb2", "x", "y", 0);
    if (s == NNC_OK)
        s = nnc_plot_grid(p, 0, box[0], box[1], box[2], box[3], CONTOUR_CELLS, CONTOUR_CELLS,
                          bands, 0);
    for (int k = 0; k < n_paths && s == NNC_OK; k++)
        s = nnc_plot_series(p, 0, names[k], xs + (size_t)k * points, ys + (size_t)k * points,
                            points, NNC_PLOT_LINE | NNC_PLOT_MARKERS);
    free(bands);
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}
