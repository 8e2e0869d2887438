/*
 * nnc_plot.h — charts as standalone SVG 1.1: the plot engine (figures of
 * panels with axes, series, colour grids) and the textbook's figures built on
 * it.  The conventions are nnc.h's; nnc.h includes this header, and this
 * header includes nnc.h, so either may be included first or alone.
 */
#ifndef NNC_PLOT_H
#define NNC_PLOT_H

#include <stddef.h>

#include "nnc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Charts: standalone SVG 1.1, no dependencies                         */
/* ------------------------------------------------------------------ */

/* A figure of one or more panels side by side (cols × rows), each with its
 * own axes (nice ticks, grid, legend).  Series colours cycle through a
 * fixed palette in the order series are added. */
typedef struct nnc_plot nnc_plot;

typedef enum nnc_plot_style {
    NNC_PLOT_LINE = 1,    /* a polyline through the points */
    NNC_PLOT_MARKERS = 2, /* a small circle at each point */
    NNC_PLOT_CROSSES = 4  /* a small x at each point (the textbook's fit result) */
} nnc_plot_style;

/* width, height: the whole figure in pixels; title may be NULL. */
NNC_API nnc_status nnc_plot_create(nnc_plot **out, int width, int height, int cols, int rows,
                                   const char *title);
NNC_API void nnc_plot_free(nnc_plot *plot);
/* Labels and scale of panel p (0-based, row-major).  Strings may be NULL. */
NNC_API nnc_status nnc_plot_axes(nnc_plot *plot, int p, const char *title, const char *x_label,
                                 const char *y_label, int log_y);
/* Adds a series of n points; non-finite points are skipped (a line breaks
 * there).  style is a bitwise OR of nnc_plot_style; label NULL: no legend
 * entry.  The data are copied. */
NNC_API nnc_status nnc_plot_series(nnc_plot *plot, int p, const char *label, const double *x,
                                   const double *y, size_t n, int style);
/* A colour grid under panel p's series: values (ny, nx), row 0 at y_min;
 * cell (i, j) covers x in [x_min + j·dx, x_min + (j+1)·dx).  Colours run
 * over a sequential scale from the smallest to the largest finite value; with
 * show_values each cell also prints its value (%.3g), for heat maps. */
NNC_API nnc_status nnc_plot_grid(nnc_plot *plot, int p, double x_min, double x_max, double y_min,
                                 double y_max, int nx, int ny, const double *values,
                                 int show_values);
/* Category labels for panel p's x or y ticks instead of numbers (heat maps):
 * tick k sits at the centre of cell k.  axis: 'x' or 'y'. */
NNC_API nnc_status nnc_plot_categories(nnc_plot *plot, int p, char axis, const char *const *labels,
                                       int count);
/* The figure as SVG text (malloc'ed, NUL-terminated; free() it). */
NNC_API nnc_status nnc_plot_svg(const nnc_plot *plot, char **svg, size_t *len);
/* Writes the SVG to path through a temporary file. */
NNC_API nnc_status nnc_plot_save(const nnc_plot *plot, const char *path);

/* The textbook's figures, built on nnc_plot (src/charts.c).  Each makes a
 * new figure in *out (free with nnc_plot_free). */

/* Figure 9-10: two panels, loss and accuracy against epoch, train and
 * validation curves; title e.g. "bz:10,eta:0.5,ne:3". */
NNC_API nnc_status nnc_chart_history(nnc_plot **out, const nnc_checkpoint *history,
                                     size_t count, const char *title);
/* Figure 9-11, for 1 input and 1 output: training points as dots, the test
 * set as the true curve, the network's prediction on linspace(0,1,100). */
NNC_API nnc_status nnc_chart_fit(nnc_plot **out, nnc_net *net, const nnc_dataset *train,
                                 const nnc_dataset *test, const char *title);
/* For 2 inputs and a classifier: the decision regions over the samples'
 * bounding box, with the samples drawn by class, each region in the colour
 * of its class's samples.  Class k is named "label <first_label + k>", the
 * label nnc_model's label_base gives it (0 for 0/1 labels). */
NNC_API nnc_status nnc_chart_decision(nnc_plot **out, nnc_net *net, const nnc_dataset *data,
                                      int first_label, const char *title);
/* Figures 8-2, 8-3: f and f' over the row's plot range (200 points), axes
 * "input : z" and "output : a", grid. */
NNC_API nnc_status nnc_chart_activation(nnc_plot **out, const nnc_activation_info *info,
                                        double param);
/* Every activation in one sheet of small panels. */
NNC_API nnc_status nnc_chart_activation_sheet(nnc_plot **out);
/* The book's ch15.4 study: z = x²/10 + y² (nnc_contour_bowl), its levels
 * as bands under n_paths trajectories of `points` points each (path k's
 * points at xs[k·points ..], ys[k·points ..]), each a line with markers
 * named names[k] in the legend.  1 to 16 paths. */
NNC_API double nnc_contour_bowl(double x, double y);
NNC_API nnc_status nnc_chart_contour_paths(nnc_plot **out, const char *const *names, int n_paths,
                                           const double *xs, const double *ys, size_t points,
                                           const char *title);

#ifdef __cplusplus
}
#endif

#endif /* NNC_PLOT_H */
