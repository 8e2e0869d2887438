/* Per-column affine scaling, network value = (raw − offset) / scale: the
 * textbook's min–max normalisation of inputs and targets, and its inverse. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nnc_status nnc_scaling_minmax(nnc_scaling *out, const nnc_real *M, int rows, int cols)
{
    if (!out || !M)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_scaling_minmax: NULL argument");
    if (rows <= 0 || cols <= 0)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "nnc_scaling_minmax: needs at least one row and one column (got "
                        "%d rows, %d columns)", rows, cols);
    double *offset = malloc((size_t)cols * sizeof *offset);
    double *scale = malloc((size_t)cols * sizeof *scale);
    if (!offset || !scale) {
        free(offset);
        free(scale);
        return nnc_fail(NNC_ERR_MEMORY, "nnc_scaling_minmax: out of memory");
    }
    /* scale holds the running maximum until the ranges are taken. */
    for (int c = 0; c < cols; c++)
        offset[c] = scale[c] = (double)M[c];
    for (int r = 0; r < rows; r++) {
        const nnc_real *row = M + (size_t)r * (size_t)cols;
        for (int c = 0; c < cols; c++) {
            double v = (double)row[c];
            if (!isfinite(v)) {
                free(offset);
                free(scale);
                return nnc_fail(NNC_ERR_ARGUMENT,
                                "nnc_scaling_minmax: row %d, column %d is not finite (%g)",
                                r + 1, c + 1, v);
            }
            if (v < offset[c])
                offset[c] = v;
            if (v > scale[c])
                scale[c] = v;
        }
    }
    for (int c = 0; c < cols; c++) {
        double range = scale[c] - offset[c];
        if (!isfinite(range)) {
            double lo = offset[c], hi = scale[c];
            free(offset);
            free(scale);
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "nnc_scaling_minmax: column %d spans %g to %g, a range too "
                            "large for a double", c + 1, lo, hi);
        }
        scale[c] = range > 0 ? range : 1; /* a constant column is only shifted */
    }
    out->n = cols;
    out->offset = offset;
    out->scale = scale;
    return NNC_OK;
}

void nnc_scaling_free(nnc_scaling *s)
{
    if (s) {
        free(s->offset);
        free(s->scale);
        memset(s, 0, sizeof *s);
    }
}

void nnc_scaling_apply(const nnc_scaling *s, nnc_real *M, int rows)
{
    if (!s || s->n <= 0 || !M)
        return;
    for (int r = 0; r < rows; r++) {
        nnc_real *row = M + (size_t)r * (size_t)s->n;
        for (int c = 0; c < s->n; c++)
            row[c] = (nnc_real)(((double)row[c] - s->offset[c]) / s->scale[c]);
    }
}

void nnc_scaling_invert(const nnc_scaling *s, nnc_real *M, int rows)
{
    if (!s || s->n <= 0 || !M)
        return;
    for (int r = 0; r < rows; r++) {
        nnc_real *row = M + (size_t)r * (size_t)s->n;
        for (int c = 0; c < s->n; c++)
            row[c] = (nnc_real)((double)row[c] * s->scale[c] + s->offset[c]);
    }
}
