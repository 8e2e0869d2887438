/* The textbook's figures on top of nnc_plot: training history (9-10), fit
 * result (9-11), activation functions (8-2, 8-3), decision regions. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nnc_status fail_memory(const char *what)
{
    return nnc_fail(NNC_ERR_MEMORY, "%s chart: out of memory", what);
}

nnc_status nnc_chart_history(nnc_plot **out, const nnc_checkpoint *history, size_t count,
                         const char *title)
{
    if (!out || (count > 0 && !history))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_history: NULL argument");
    size_t n = count ? count : 1;
    double *buf = malloc(5 * n * sizeof *buf);
    if (!buf)
        return fail_memory("history");
    double *ep = buf, *lt = buf + n, *lv = buf + 2 * n, *at = buf + 3 * n, *av = buf + 4 * n;
    for (size_t i = 0; i < count; i++) {
        ep[i] = history[i].epoch;
        lt[i] = history[i].loss_train;
        lv[i] = history[i].loss_valid;
        at[i] = history[i].accuracy_train;
        av[i] = history[i].accuracy_valid;
    }
    nnc_plot *p = NULL;
    nnc_status s = nnc_plot_create(&p, 1100, 460, 2, 1, title);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 0, "Loss", "epoch", "loss", 0);
    if (s == NNC_OK)
        s = nnc_plot_series(p, 0, "train", ep, lt, count, NNC_PLOT_LINE);
    if (s == NNC_OK)
        s = nnc_plot_series(p, 0, "validation", ep, lv, count, NNC_PLOT_LINE);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 1, "Accuracy", "epoch", "accuracy", 0);
    if (s == NNC_OK)
        s = nnc_plot_series(p, 1, "train", ep, at, count, NNC_PLOT_LINE);
    if (s == NNC_OK)
        s = nnc_plot_series(p, 1, "validation", ep, av, count, NNC_PLOT_LINE);
    free(buf);
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}

/* Column 0 of a dataset's X and Y as doubles, sorted by x when sort is set. */
typedef struct xy_pair {
    double x, y;
} xy_pair;

static int cmp_pair(const void *a, const void *b)
{
    double xa = ((const xy_pair *)a)->x, xb = ((const xy_pair *)b)->x;
    return (xa > xb) - (xa < xb);
}

static nnc_status add_dataset_series(nnc_plot *p, const nnc_dataset *ds, const char *label,
                                     int style, int sort)
{
    int m = nnc_dataset_rows(ds);
    const nnc_real *X = nnc_dataset_x(ds), *Y = nnc_dataset_y(ds);
    xy_pair *pairs = malloc((size_t)(m > 0 ? m : 1) * sizeof *pairs);
    double *xs = malloc((size_t)(m > 0 ? m : 1) * 2 * sizeof *xs);
    if (!pairs || !xs) {
        free(pairs);
        free(xs);
        return fail_memory("fit");
    }
    for (int i = 0; i < m; i++) {
        pairs[i].x = X[i];
        pairs[i].y = Y[i];
    }
    if (sort)
        qsort(pairs, (size_t)m, sizeof *pairs, cmp_pair);
    double *ys = xs + (m > 0 ? m : 1);
    for (int i = 0; i < m; i++) {
        xs[i] = pairs[i].x;
        ys[i] = pairs[i].y;
    }
    nnc_status s = nnc_plot_series(p, 0, label, xs, ys, (size_t)m, style);
    free(pairs);
    free(xs);
    return s;
}

nnc_status nnc_chart_fit(nnc_plot **out, nnc_net *net, const nnc_dataset *train,
                     const nnc_dataset *test, const char *title)
{
    if (!out || !net)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_fit: NULL argument");
    if (nnc_net_inputs(net) != 1 || nnc_net_outputs(net) != 1 ||
        (train && (nnc_dataset_inputs(train) != 1 || nnc_dataset_outputs(train) != 1)) ||
        (test && (nnc_dataset_inputs(test) != 1 || nnc_dataset_outputs(test) != 1)))
        return nnc_fail(NNC_ERR_SHAPE,
                        "fit chart: needs 1 input and 1 output (the network has %d and %d)",
                        nnc_net_inputs(net), nnc_net_outputs(net));
    /* linspace(0, 1, 100), widened to the training inputs if they reach outside */
    double lo = 0, hi = 1;
    if (train) {
        const nnc_real *X = nnc_dataset_x(train);
        for (int i = 0; i < nnc_dataset_rows(train); i++) {
            if (isfinite(X[i]) && X[i] < lo)
                lo = X[i];
            if (isfinite(X[i]) && X[i] > hi)
                hi = X[i];
        }
    }
    enum { N = 100 };
    nnc_real tx[N], ty[N];
    double dx[N], dy[N];
    for (int i = 0; i < N; i++)
        tx[i] = (nnc_real)(lo + (hi - lo) * i / (N - 1));
    nnc_status s = nnc_net_predict(net, tx, N, ty);
    if (s != NNC_OK)
        return s;
    for (int i = 0; i < N; i++) {
        dx[i] = tx[i];
        dy[i] = ty[i];
    }
    nnc_plot *p = NULL;
    s = nnc_plot_create(&p, 640, 480, 1, 1, NULL);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 0, title, "x", "y", 0);
    if (s == NNC_OK && train)
        s = add_dataset_series(p, train, "train", NNC_PLOT_MARKERS, 0);
    if (s == NNC_OK && test)
        s = add_dataset_series(p, test, "test (true)", NNC_PLOT_LINE, 1);
    if (s == NNC_OK)
        s = nnc_plot_series(p, 0, "prediction", dx, dy, N, NNC_PLOT_CROSSES);
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}

/* The class of one output row: binary a > 0.5, multiclass argmax. */
static int class_of(const nnc_real *row, int n)
{
    if (n == 1)
        return row[0] > 0.5;
    int best = 0;
    for (int j = 1; j < n; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

nnc_status nnc_chart_decision(nnc_plot **out, nnc_net *net, const nnc_dataset *data,
                              int first_label, const char *title)
{
    if (!out || !net || !data)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_decision: NULL argument");
    if (nnc_net_task(net) == NNC_TASK_FITTING)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "decision chart: needs a binary or multiclass network, not fitting");
    int n_out = nnc_net_outputs(net);
    if (nnc_net_inputs(net) != 2 || nnc_dataset_inputs(data) != 2 ||
        nnc_dataset_outputs(data) != n_out)
        return nnc_fail(NNC_ERR_SHAPE,
                        "decision chart: needs 2 inputs (the network has %d inputs, %d "
                        "outputs; the data %d inputs, %d outputs)",
                        nnc_net_inputs(net), n_out, nnc_dataset_inputs(data),
                        nnc_dataset_outputs(data));
    int m = nnc_dataset_rows(data);
    const nnc_real *X = nnc_dataset_x(data), *Y = nnc_dataset_y(data);

    /* bounding box of the samples with a 5% margin */
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < m; i++) {
        double a = X[2 * i], b = X[2 * i + 1];
        if (!isfinite(a) || !isfinite(b))
            continue;
        x0 = fmin(x0, a);
        x1 = fmax(x1, a);
        y0 = fmin(y0, b);
        y1 = fmax(y1, b);
    }
    if (!(x1 >= x0)) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    double mx = x1 > x0 ? (x1 - x0) * 0.05 : 0.5, my = y1 > y0 ? (y1 - y0) * 0.05 : 0.5;
    x0 -= mx;
    x1 += mx;
    y0 -= my;
    y1 += my;

    /* predicted class at every cell centre; row 0 at y0 */
    enum { G = 100 };
    int n_classes = n_out == 1 ? 2 : n_out;
    nnc_real *grid_x = malloc((size_t)G * G * 2 * sizeof *grid_x);
    nnc_real *grid_a = malloc((size_t)G * G * (size_t)n_out * sizeof *grid_a);
    double *values = malloc((size_t)G * G * sizeof *values);
    double *sx = malloc((size_t)(m > 0 ? m : 1) * 2 * sizeof *sx);
    nnc_plot *p = NULL;
    nnc_status s = NNC_OK;
    if (!grid_x || !grid_a || !values || !sx) {
        s = fail_memory("decision");
        goto done;
    }
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            grid_x[2 * (i * G + j)] = (nnc_real)(x0 + (x1 - x0) * (j + 0.5) / G);
            grid_x[2 * (i * G + j) + 1] = (nnc_real)(y0 + (y1 - y0) * (i + 0.5) / G);
        }
    s = nnc_net_predict(net, grid_x, G * G, grid_a);
    if (s != NNC_OK)
        goto done;
    for (int k = 0; k < G * G; k++)
        values[k] = class_of(grid_a + (size_t)k * n_out, n_out);

    s = nnc_plot_create(&p, 620, 560, 1, 1, NULL);
    if (s == NNC_OK)
        s = nnc_plot_axes(p, 0, title, "x1", "x2", 0);
    if (s == NNC_OK)
        s = nnc_plot_grid(p, 0, x0, x1, y0, y1, G, G, values, 0);
    if (s == NNC_OK)
        s = nnc_plot_grid_by_series(p, 0);
    /* the samples, series c for class c, named by their label as predict
     * prints it */
    double *sy = sx + (m > 0 ? m : 1);
    for (int c = 0; c < n_classes && s == NNC_OK; c++) {
        size_t k = 0;
        for (int i = 0; i < m; i++)
            if (class_of(Y + (size_t)i * n_out, n_out) == c) {
                sx[k] = X[2 * i];
                sy[k] = X[2 * i + 1];
                k++;
            }
        char label[48];
        snprintf(label, sizeof label, "label %lld", (long long)first_label + c);
        s = nnc_plot_series(p, 0, label, sx, sy, k, NNC_PLOT_MARKERS);
    }
done:
    free(grid_x);
    free(grid_a);
    free(values);
    free(sx);
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}

/* "leaky_relu (alpha=0.01)" or just the name. */
static void activation_title(const nnc_activation_info *info, double param, char *buf,
                             size_t size)
{
    char value[48];
    nnc_format_number(value, sizeof value, 'g', 6, param);
    if (info->param_name)
        snprintf(buf, size, "%s (%s=%s)", info->name, info->param_name, value);
    else
        snprintf(buf, size, "%s", info->name);
}

/* f and f' at 200 points over the row's plot range into panel p. */
static nnc_status activation_panel(nnc_plot *p, int panel, const nnc_activation_info *info,
                                   double param, int axis_labels, int legend)
{
    enum { N = 200 };
    nnc_real z[N], a[N], d[N];
    double dz[N], da[N], dd[N];
    for (int i = 0; i < N; i++)
        z[i] = (nnc_real)(info->plot_min + (info->plot_max - info->plot_min) * i / (N - 1));
    info->forward(z, a, N, param);
    info->derivative_fn(z, a, d, N, param);
    for (int i = 0; i < N; i++) {
        dz[i] = z[i];
        da[i] = a[i];
        dd[i] = d[i];
    }
    char title[96];
    activation_title(info, param, title, sizeof title);
    nnc_status s = nnc_plot_axes(p, panel, title, axis_labels ? "input : z" : NULL,
                                 axis_labels ? "output : a" : NULL, 0);
    if (s == NNC_OK)
        s = nnc_plot_series(p, panel, legend ? "a = f(z)" : NULL, dz, da, N, NNC_PLOT_LINE);
    if (s == NNC_OK)
        s = nnc_plot_series(p, panel, legend ? "f'(z)" : NULL, dz, dd, N, NNC_PLOT_LINE);
    return s;
}

nnc_status nnc_chart_activation(nnc_plot **out, const nnc_activation_info *info, double param)
{
    if (!out || !info)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_activation: NULL argument");
    nnc_plot *p = NULL;
    nnc_status s = nnc_plot_create(&p, 600, 460, 1, 1, NULL);
    if (s == NNC_OK)
        s = activation_panel(p, 0, info, param, 1, 1);
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}

nnc_status nnc_chart_activation_sheet(nnc_plot **out)
{
    if (!out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_chart_activation_sheet: NULL argument");
    enum { COLS = 5, ROWS = (NNC_ACT_COUNT + COLS - 1) / COLS };
    nnc_plot *p = NULL;
    nnc_status s = nnc_plot_create(&p, COLS * 290, ROWS * 250 + 40, COLS, ROWS,
                                   "Activation functions a = f(z) and derivatives f'(z)");
    /* small panels: no axis labels, the legend once in the first */
    for (int i = 0; i < NNC_ACT_COUNT && s == NNC_OK; i++) {
        const nnc_activation_info *info = nnc_activation_get((nnc_activation)i);
        s = activation_panel(p, i, info, info->default_param, 0, i == 0);
    }
    if (s != NNC_OK) {
        nnc_plot_free(p);
        return s;
    }
    *out = p;
    return NNC_OK;
}
