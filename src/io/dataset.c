/* Datasets: samples X (rows, n_inputs) and targets Y (rows, n_outputs),
 * contiguous row-major nnc_real arrays, loaded from arrays, .npz or CSV. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* posix_memalign, madvise */
#include <sys/mman.h>
#endif
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct nnc_dataset {
    int rows, n_inputs, n_outputs;
    nnc_real *X; /* (rows, n_inputs) */
    nnc_real *Y; /* (rows, n_outputs) */
    /* The first row (1-based; 0: none) of a one-column target whose value
     * became another integer in nnc_real (16777217 is 16777216 in float),
     * and that value: as class labels they would merge, so one-hot refuses. */
    long rounded_row;
    double rounded_label;
};

#define NPZ_MAX_FILE ((size_t)1 << 31)

/* Room for a data set's values, freed with free().  Training reads the
 * rows of a large set in shuffled order, each row on a different page: with
 * 4 KB pages nearly every row costs a TLB miss and a page walk (bench/
 * README.md measures it on workload M: a 784-128-64-10 net trained on
 * Fashion-MNIST's 188 MB of float32 pixels, batch 64).  So on Linux an
 * array of at least LARGE_PAGE bytes is aligned to 2 MB and asks for
 * transparent huge pages (only a hint: the kernel may decline, and the
 * memory works the same either way). */
enum { LARGE_PAGE = 2 << 20 };

static void *alloc_values(size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= 2 * (size_t)LARGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, LARGE_PAGE, bytes) != 0)
            return NULL;
        (void)madvise(p, bytes - bytes % LARGE_PAGE, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes);
}

/* Allocates an empty dataset of the given sizes, already validated. */
nnc_status nnc_dataset_alloc(nnc_dataset **out, int rows, int n_in, int n_out,
                                const char *what)
{
    nnc_dataset *ds = malloc(sizeof *ds);
    nnc_real *X = alloc_values((size_t)rows * (size_t)n_in * sizeof *X);
    nnc_real *Y = alloc_values((size_t)rows * (size_t)n_out * sizeof *Y);
    if (!ds || !X || !Y) {
        free(ds);
        free(X);
        free(Y);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory for %d rows", what, rows);
    }
    ds->rows = rows;
    ds->n_inputs = n_in;
    ds->n_outputs = n_out;
    ds->X = X;
    ds->Y = Y;
    ds->rounded_row = 0;
    ds->rounded_label = 0;
    *out = ds;
    return NNC_OK;
}

/* rows > 0, width > 0 and rows * width fits an int. */
static int sizes_ok(long long rows, long long width)
{
    return rows > 0 && width > 0 && rows <= INT_MAX && width <= INT_MAX &&
           rows * width <= INT_MAX;
}

/* The first row holding a NaN/Inf in an (rows, width) block, or -1. */
static long bad_row(const nnc_real *v, int rows, int width)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < width; c++)
            if (!isfinite(v[(size_t)r * (size_t)width + (size_t)c]))
                return r;
    return -1;
}

nnc_status nnc_dataset_create(nnc_dataset **out, const nnc_real *X, const nnc_real *Y,
                              int rows, int n_inputs, int n_outputs)
{
    if (!out || !X || !Y)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_create: NULL argument");
    if (!sizes_ok(rows, n_inputs) || !sizes_ok(rows, n_outputs))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_dataset_create: invalid sizes rows=%d inputs=%d outputs=%d",
                        rows, n_inputs, n_outputs);
    long r = bad_row(X, rows, n_inputs);
    if (r >= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_create: row %ld of X is not finite",
                        r + 1);
    r = bad_row(Y, rows, n_outputs);
    if (r >= 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_create: row %ld of Y is not finite",
                        r + 1);
    nnc_dataset *ds;
    nnc_status s = nnc_dataset_alloc(&ds, rows, n_inputs, n_outputs, "nnc_dataset_create");
    if (s != NNC_OK)
        return s;
    memcpy(ds->X, X, (size_t)rows * (size_t)n_inputs * sizeof *X);
    memcpy(ds->Y, Y, (size_t)rows * (size_t)n_outputs * sizeof *Y);
    *out = ds;
    return NNC_OK;
}

/* Rows and width of a 1-D (rows) or 2-D (rows, width) array. */
static nnc_status array_dims(const nnc_array *a, const char *what, const char *name,
                             size_t *rows, size_t *width)
{
    if (a->ndim == 1) {
        *rows = a->shape[0];
        *width = 1;
    } else if (a->ndim == 2) {
        *rows = a->shape[0];
        *width = a->shape[1];
    } else {
        return nnc_fail(NNC_ERR_SHAPE, "%s: '%s' has %d dimensions, expected 1 or 2", what,
                        name, a->ndim);
    }
    if (a->size != *rows * *width || (a->size > 0 && !a->data))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: '%s' size does not match its shape", what,
                        name);
    return NNC_OK;
}

/* Converts a double block to nnc_real, refusing NaN/Inf (also values too
 * large for a float build).  Returns the bad row (0-based) or -1. */
static long convert(const double *src, nnc_real *dst, size_t rows, size_t width)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < width; c++) {
            size_t i = r * width + c;
            dst[i] = (nnc_real)src[i];
            if (!isfinite(dst[i]))
                return (long)r;
        }
    return -1;
}

/* Notes the first one-column target whose nnc_real is an integer other than
 * the value read (see rounded_row). */
static void note_rounded_labels(nnc_dataset *ds, const double *label, size_t stride)
{
    if (ds->n_outputs != 1)
        return;
    for (int r = 0; r < ds->rows; r++) {
        double y = (double)ds->Y[r];
        double read = label[(size_t)r * stride];
        if (y != read && y == floor(y)) {
            ds->rounded_row = (long)r + 1;
            ds->rounded_label = read;
            return;
        }
    }
}

nnc_status nnc_dataset_from_arrays(nnc_dataset **out, const nnc_array *data,
                                   const nnc_array *label, const char *what)
{
    if (!what)
        what = "arrays";
    if (!out || !data || !label)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_dataset_from_arrays: NULL argument", what);
    size_t rows = 0, n_in = 0, lrows = 0, n_out = 0;
    nnc_status s = array_dims(data, what, "data", &rows, &n_in);
    if (s != NNC_OK)
        return s;
    s = array_dims(label, what, "label", &lrows, &n_out);
    if (s != NNC_OK)
        return s;
    if (rows != lrows)
        return nnc_fail(NNC_ERR_SHAPE, "%s: 'data' has %zu rows but 'label' has %zu", what,
                        rows, lrows);
    if (rows > INT_MAX || n_in > INT_MAX || n_out > INT_MAX ||
        !sizes_ok((long long)rows, (long long)n_in) ||
        !sizes_ok((long long)rows, (long long)n_out))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: unusable sizes: %zu rows, %zu inputs, %zu outputs (each > 0, "
                        "rows x width < 2^31)",
                        what, rows, n_in, n_out);
    nnc_dataset *ds;
    s = nnc_dataset_alloc(&ds, (int)rows, (int)n_in, (int)n_out, what);
    if (s != NNC_OK)
        return s;
    long r = convert(data->data, ds->X, rows, n_in);
    const char *name = "data";
    if (r < 0) {
        r = convert(label->data, ds->Y, rows, n_out);
        name = "label";
    }
    if (r >= 0) {
        nnc_dataset_free(ds);
        return nnc_fail(NNC_ERR_FORMAT, "%s: row %ld of '%s' holds NaN or infinity%s", what,
                        r + 1, name,
                        sizeof(nnc_real) < sizeof(double) ? " (or a value beyond float)"
                                                          : "");
    }
    note_rounded_labels(ds, label->data, 1);
    *out = ds;
    return NNC_OK;
}

/* A data set of rows x (n_in + n_out) values must fit in limit bytes. */
static nnc_status dataset_fits(const char *what, size_t rows, size_t n_in, size_t n_out,
                               size_t limit)
{
    size_t width = n_in + n_out;
    if (width != 0 && rows > SIZE_MAX / sizeof(nnc_real) / width)
        return nnc_refuse_size(what, "the data set", SIZE_MAX, limit);
    size_t need = rows * width * sizeof(nnc_real);
    return need > limit ? nnc_refuse_size(what, "the data set", need, limit) : NNC_OK;
}

static size_t array_bytes(const nnc_array *a) { return a->size * sizeof(double); }

nnc_status nnc_dataset_load_npz_memory(nnc_dataset **out, const void *bytes, size_t len,
                                       const char *what, size_t max_memory)
{
    if (!what)
        what = ".npz data";
    if (!out || !bytes)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_dataset_load_npz_memory: NULL argument",
                        what);
    size_t limit = nnc_memory_limit(max_memory);
    nnc_array data, label;
    nnc_status s = nnc_npz_read_memory(bytes, len, what, "data", &data, limit);
    if (s != NNC_OK)
        return s;
    size_t held = array_bytes(&data);
    s = nnc_npz_read_memory(bytes, len, what, "label", &label, nnc_memory_left(limit, held));
    if (s != NNC_OK) {
        nnc_array_free(&data);
        return s;
    }
    held += array_bytes(&label);
    size_t rows = data.ndim >= 1 ? data.shape[0] : 0;
    s = dataset_fits(what, rows, data.size / (rows ? rows : 1),
                     label.size / (rows ? rows : 1), nnc_memory_left(limit, held));
    if (s == NNC_OK)
        s = nnc_dataset_from_arrays(out, &data, &label, what);
    nnc_array_free(&data);
    nnc_array_free(&label);
    return s;
}

nnc_status nnc_dataset_load_npz(nnc_dataset **out, const char *path, size_t max_memory)
{
    if (!out || !path)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_load_npz: NULL argument");
    unsigned char *bytes;
    size_t len, left;
    nnc_status s = nnc_read_input(path, max_memory, NPZ_MAX_FILE, &bytes, &len, &left);
    if (s != NNC_OK)
        return s;
    s = nnc_dataset_load_npz_memory(out, bytes, len, path, left);
    free(bytes);
    return s;
}

nnc_status nnc_dataset_load_csv(nnc_dataset **out, const char *path,
                                const nnc_csv_options *options, const int *label_columns,
                                int n_label_columns)
{
    if (!out || !path || !label_columns || n_label_columns <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_dataset_load_csv: NULL argument or no label column");
    unsigned char *bytes;
    size_t len, left;
    nnc_status s = nnc_read_input(path, options ? options->max_memory : 0, 0, &bytes, &len,
                                  &left);
    if (s != NNC_OK)
        return s;
    nnc_csv_options o = {-1, ',', 0};
    if (options)
        o = *options;
    o.max_memory = left;
    s = nnc_dataset_load_csv_memory(out, bytes, len, path, &o, label_columns,
                                    n_label_columns);
    free(bytes);
    return s;
}

nnc_status nnc_dataset_load_csv_memory(nnc_dataset **out, const void *bytes, size_t len,
                                       const char *path, const nnc_csv_options *options,
                                       const int *label_columns, int n_label_columns)
{
    if (!path)
        path = "CSV data";
    if (!out || !label_columns || n_label_columns <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: nnc_dataset_load_csv_memory: NULL argument or no label column",
                        path);
    size_t limit = nnc_memory_limit(options ? options->max_memory : 0);
    nnc_array a;
    nnc_status s = nnc_csv_read_memory(bytes, len, path, options, &a, NULL);
    if (s != NNC_OK)
        return s;
    size_t rows = a.shape[0], cols = a.shape[1];
    if ((size_t)n_label_columns >= cols) {
        nnc_array_free(&a);
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: %d label columns leave no input column (the file has %zu)", path,
                        n_label_columns, cols);
    }
    /* is_label[c]: position in the label list + 1, or 0 for an input */
    int *is_label = calloc(cols, sizeof *is_label);
    if (!is_label) {
        nnc_array_free(&a);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    }
    size_t *lcol = malloc((size_t)n_label_columns * sizeof *lcol);
    if (!lcol) {
        free(is_label);
        nnc_array_free(&a);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    }
    for (int k = 0; k < n_label_columns && s == NNC_OK; k++) {
        long long c = label_columns[k];
        if (c < 0)
            c += (long long)cols;
        if (c < 0 || c >= (long long)cols)
            s = nnc_fail(NNC_ERR_ARGUMENT,
                         "%s: label column %d is out of range (the file has %zu columns)",
                         path, label_columns[k], cols);
        else if (is_label[c])
            s = nnc_fail(NNC_ERR_ARGUMENT, "%s: label column %d is listed twice", path,
                         label_columns[k]);
        else {
            is_label[c] = k + 1;
            lcol[k] = (size_t)c;
        }
    }
    size_t n_in = cols - (size_t)n_label_columns, n_out = (size_t)n_label_columns;
    if (s == NNC_OK && (!sizes_ok((long long)rows, (long long)n_in) ||
                        !sizes_ok((long long)rows, (long long)n_out)))
        s = nnc_fail(NNC_ERR_ARGUMENT,
                     "%s: unusable sizes: %zu rows, %zu inputs, %zu outputs (each > 0, "
                     "rows x width < 2^31)",
                     path, rows, n_in, n_out);
    if (s == NNC_OK)
        s = dataset_fits(path, rows, n_in, n_out, nnc_memory_left(limit, array_bytes(&a)));
    nnc_dataset *ds = NULL;
    if (s == NNC_OK)
        s = nnc_dataset_alloc(&ds, (int)rows, (int)n_in, (int)n_out, path);
    if (s == NNC_OK) {
        /* straight from the parsed values into nnc_real, columns split */
        for (size_t r = 0; r < rows && s == NNC_OK; r++) {
            const double *src = a.data + r * cols;
            nnc_real *dx = ds->X + r * n_in, *dy = ds->Y + r * n_out;
            size_t j = 0;
            for (size_t c = 0; c < cols; c++)
                if (!is_label[c])
                    dx[j++] = (nnc_real)src[c];
            for (size_t k = 0; k < n_out; k++)
                dy[k] = (nnc_real)src[lcol[k]];
            if (bad_row(dx, 1, (int)n_in) >= 0 || bad_row(dy, 1, (int)n_out) >= 0)
                s = nnc_fail(NNC_ERR_FORMAT,
                             "%s: row %zu of '%s' holds NaN or infinity%s", path, r + 1,
                             bad_row(dx, 1, (int)n_in) >= 0 ? "data" : "label",
                             sizeof(nnc_real) < sizeof(double) ? " (or a value beyond float)"
                                                               : "");
        }
        if (s == NNC_OK)
            note_rounded_labels(ds, a.data + lcol[0], cols);
        if (s != NNC_OK) {
            nnc_dataset_free(ds);
            ds = NULL;
        }
    }
    free(is_label);
    free(lcol);
    nnc_array_free(&a);
    if (s == NNC_OK)
        *out = ds;
    return s;
}

void nnc_dataset_free(nnc_dataset *ds)
{
    if (!ds)
        return;
    free(ds->X);
    free(ds->Y);
    free(ds);
}

int nnc_dataset_rows(const nnc_dataset *ds) { return ds ? ds->rows : 0; }
int nnc_dataset_inputs(const nnc_dataset *ds) { return ds ? ds->n_inputs : 0; }
int nnc_dataset_outputs(const nnc_dataset *ds) { return ds ? ds->n_outputs : 0; }
const nnc_real *nnc_dataset_x(const nnc_dataset *ds) { return ds ? ds->X : NULL; }
const nnc_real *nnc_dataset_y(const nnc_dataset *ds) { return ds ? ds->Y : NULL; }

nnc_status nnc_dataset_one_hot(nnc_dataset *ds, int first_label, int n_classes)
{
    if (!ds)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_one_hot: NULL dataset");
    if (ds->n_outputs != 1)
        return nnc_fail(NNC_ERR_SHAPE,
                        "nnc_dataset_one_hot: the dataset has %d target columns, expected "
                        "one column of class labels",
                        ds->n_outputs);
    if (!sizes_ok(ds->rows, n_classes))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_dataset_one_hot: %d classes for %d rows is out of range",
                        n_classes, ds->rows);
    double lo = first_label, hi = (double)first_label + n_classes - 1;
    if (ds->rounded_row > 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_dataset_one_hot: row %ld: label %.17g is %.17g in nnc_real (%s "
                        "holds integers exactly only up to 2^%d): classes would merge; "
                        "number the classes from 0",
                        ds->rounded_row, ds->rounded_label,
                        (double)(nnc_real)ds->rounded_label,
                        sizeof(nnc_real) < sizeof(double) ? "float" : "double",
                        sizeof(nnc_real) < sizeof(double) ? 24 : 53);
    for (int r = 0; r < ds->rows; r++) {
        double v = (double)ds->Y[r];
        if (v != floor(v) || v < lo || v > hi)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_dataset_one_hot: row %d: label %.17g is not an integer in "
                            "[%d, %.0f]",
                            r + 1, v, first_label, hi);
    }
    nnc_real *Y = calloc((size_t)ds->rows * (size_t)n_classes, sizeof *Y);
    if (!Y)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_dataset_one_hot: out of memory");
    for (int r = 0; r < ds->rows; r++) {
        long k = (long)((double)ds->Y[r] - lo);
        Y[(size_t)r * (size_t)n_classes + (size_t)k] = 1;
    }
    free(ds->Y);
    ds->Y = Y;
    ds->n_outputs = n_classes;
    return NNC_OK;
}

nnc_real *nnc_dataset_x_mutable(nnc_dataset *ds) { return ds->X; }
nnc_real *nnc_dataset_y_mutable(nnc_dataset *ds) { return ds->Y; }

/* One side of nnc_dataset_scale: s must be usable on M (rows, width) and
 * give finite values, checked before anything is changed. */
static nnc_status scaling_fits(const nnc_scaling *s, const nnc_real *M, int rows, int width,
                               const char *side)
{
    if (s->n != width)
        return nnc_fail(NNC_ERR_SHAPE,
                        "nnc_dataset_scale: the %s scaling has %d columns, the data set %d",
                        side, s->n, width);
    if (!s->offset || !s->scale)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_scale: the %s scaling has no values",
                        side);
    for (int c = 0; c < width; c++)
        if (!isfinite(s->offset[c]) || !isfinite(s->scale[c]) || s->scale[c] == 0)
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_dataset_scale: the %s scaling of column %d (offset %g, "
                            "scale %g) is not finite and nonzero",
                            side, c + 1, s->offset[c], s->scale[c]);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < width; c++) {
            double v = ((double)M[(size_t)r * (size_t)width + (size_t)c] - s->offset[c]) /
                       s->scale[c];
            if (!isfinite((nnc_real)v))
                return nnc_fail(NNC_ERR_ARGUMENT,
                                "nnc_dataset_scale: row %d, %s column %d scales to %g, "
                                "beyond nnc_real",
                                r + 1, side, c + 1, v);
        }
    return NNC_OK;
}

nnc_status nnc_dataset_scale(nnc_dataset *ds, const nnc_scaling *x, const nnc_scaling *y)
{
    if (!ds)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_scale: NULL dataset");
    if (x && x->n == 0)
        x = NULL;
    if (y && y->n == 0)
        y = NULL;
    nnc_status s = NNC_OK;
    if (x)
        s = scaling_fits(x, ds->X, ds->rows, ds->n_inputs, "input");
    if (s == NNC_OK && y)
        s = scaling_fits(y, ds->Y, ds->rows, ds->n_outputs, "target");
    if (s != NNC_OK)
        return s;
    nnc_scaling_apply(x, ds->X, ds->rows);
    nnc_scaling_apply(y, ds->Y, ds->rows);
    return NNC_OK;
}
