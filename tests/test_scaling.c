/* Min–max scaling: the exact offsets and scales on a small matrix, apply
 * and invert round-tripping, a constant column, refused inputs, and scaling
 * a dataset in place. */
#include "check.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#ifdef NNC_DOUBLE
#define REAL_EPS DBL_EPSILON
#else
#define REAL_EPS FLT_EPSILON
#endif

static void exact_values(void)
{
    /* Columns: a plain range, a constant, a negative range. */
    const nnc_real M0[4 * 3] = {1, 7, -3,
                                3, 7, -1,
                                2, 7, -4,
                                5, 7, 0};
    nnc_scaling s = {0, NULL, NULL};
    CHECK_OK(nnc_scaling_minmax(&s, M0, 4, 3));
    CHECK(s.n == 3);
    CHECK(s.offset[0] == 1 && s.scale[0] == 4);
    CHECK(s.offset[1] == 7 && s.scale[1] == 1); /* constant: range 0 → scale 1 */
    CHECK(s.offset[2] == -4 && s.scale[2] == 4);
    nnc_real M[4 * 3];
    memcpy(M, M0, sizeof M);
    nnc_scaling_apply(&s, M, 4);
    const nnc_real want[4 * 3] = {0,    0, 0.25,
                                  0.5,  0, 0.75,
                                  0.25, 0, 0,
                                  1,    0, 1};
    CHECK(memcmp(M, want, sizeof M) == 0);
    nnc_scaling_invert(&s, M, 4);
    CHECK(memcmp(M, M0, sizeof M) == 0);
    nnc_scaling_free(&s);
    CHECK(s.n == 0 && s.offset == NULL && s.scale == NULL);
    nnc_scaling_free(&s); /* twice is harmless */
    nnc_scaling_free(NULL);

    /* One row: every column is constant. */
    const nnc_real one[2] = {-2.5, 1e6};
    CHECK_OK(nnc_scaling_minmax(&s, one, 1, 2));
    CHECK(s.offset[0] == -2.5 && s.scale[0] == 1 && s.offset[1] == 1e6 && s.scale[1] == 1);
    nnc_real v[2] = {-2.5, 1e6};
    nnc_scaling_apply(&s, v, 1);
    CHECK(v[0] == 0 && v[1] == 0);
    nnc_scaling_invert(&s, v, 1);
    CHECK(v[0] == one[0] && v[1] == one[1]);
    nnc_scaling_free(&s);
}

/* Random columns of very different magnitudes: apply lands in [0, 1] and
 * invert comes back within a few units of the last place of the column's
 * magnitude (the scaled value carries nnc_real's relative precision). */
static void round_trip(void)
{
    enum { ROWS = 200, COLS = 5 };
    const double lo[COLS] = {0, -1e-3, 1e4, -5e6, 0.5};
    const double hi[COLS] = {1, 1e-3, 3e4, 5e6, 0.5000001};
    nnc_real *M = malloc(sizeof(nnc_real) * ROWS * COLS);
    nnc_real *raw = malloc(sizeof(nnc_real) * ROWS * COLS);
    nnc_rng rng;
    nnc_rng_seed(&rng, 17);
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            raw[r * COLS + c] = (nnc_real)(lo[c] + (hi[c] - lo[c]) * nnc_rng_uniform(&rng));
    memcpy(M, raw, sizeof(nnc_real) * ROWS * COLS);
    nnc_scaling s;
    CHECK_OK(nnc_scaling_minmax(&s, M, ROWS, COLS));
    nnc_scaling_apply(&s, M, ROWS);
    int in_unit = 1, ends[COLS][2] = {{0}};
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            nnc_real v = M[r * COLS + c];
            in_unit &= v >= 0 && v <= 1;
            ends[c][0] |= v == 0;
            ends[c][1] |= v == 1;
        }
    CHECK(in_unit);
    int both_ends = 1;
    for (int c = 0; c < COLS; c++)
        both_ends &= ends[c][0] && ends[c][1];
    CHECK(both_ends); /* each column's minimum maps to 0, its maximum to 1 */
    nnc_scaling_invert(&s, M, ROWS);
    double worst = 0;
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            double mag = fabs(s.offset[c]) > fabs(s.offset[c] + s.scale[c])
                             ? fabs(s.offset[c])
                             : fabs(s.offset[c] + s.scale[c]);
            double err = fabs((double)M[r * COLS + c] - (double)raw[r * COLS + c]) /
                         (mag * REAL_EPS);
            if (err > worst)
                worst = err;
        }
    CHECK(worst <= 2);
    printf("round trip: worst error %.2f units of the column's last place\n", worst);
    nnc_scaling_free(&s);
    free(M);
    free(raw);
}

static void errors(void)
{
    nnc_real M[6] = {1, 2, 3, 4, 5, 6};
    double sentinel_o = 42, sentinel_s = 43;
    nnc_scaling s = {7, &sentinel_o, &sentinel_s};
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 0, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("at least one row");
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 3, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_scaling_minmax(&s, M, -1, 2), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_scaling_minmax(&s, NULL, 3, 2), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_scaling_minmax(NULL, M, 3, 2), NNC_ERR_ARGUMENT);
    M[3] = (nnc_real)NAN;
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 3, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("row 2, column 2 is not finite");
    M[3] = (nnc_real)INFINITY;
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 3, 2), NNC_ERR_ARGUMENT);
    M[3] = -(nnc_real)INFINITY;
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 3, 2), NNC_ERR_ARGUMENT);
#ifdef NNC_DOUBLE
    /* Finite values whose range is not. */
    M[3] = 1.5e308;
    M[1] = -1.5e308;
    CHECK_STATUS(nnc_scaling_minmax(&s, M, 3, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("column 2 spans");
#endif
    /* Failures leave the output alone. */
    CHECK(s.n == 7 && s.offset == &sentinel_o && s.scale == &sentinel_s);

    /* No scaling (n = 0, or NULL) leaves values as they are. */
    nnc_real v[2] = {3, 4};
    nnc_scaling none = {0, NULL, NULL};
    nnc_scaling_apply(&none, v, 1);
    nnc_scaling_invert(&none, v, 1);
    nnc_scaling_apply(NULL, v, 1);
    nnc_scaling_invert(NULL, v, 1);
    CHECK(v[0] == 3 && v[1] == 4);
}

static void dataset(void)
{
    const nnc_real X[4 * 2] = {0, 10, 2, 20, 4, 30, 8, 40};
    const nnc_real Y[4] = {-1, 1, 3, 0};
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_create(&ds, X, Y, 4, 2, 1));
    nnc_scaling sx, sy;
    CHECK_OK(nnc_scaling_minmax(&sx, nnc_dataset_x(ds), 4, 2));
    CHECK_OK(nnc_scaling_minmax(&sy, nnc_dataset_y(ds), 4, 1));

    /* Widths must match; nothing changes on failure. */
    CHECK_STATUS(nnc_dataset_scale(ds, &sy, NULL), NNC_ERR_SHAPE);
    CHECK_MSG("the input scaling has 1 columns, the data set 2");
    CHECK_STATUS(nnc_dataset_scale(ds, &sx, &sx), NNC_ERR_SHAPE);
    CHECK_MSG("target scaling");
    CHECK(memcmp(nnc_dataset_x(ds), X, sizeof X) == 0);
    CHECK_STATUS(nnc_dataset_scale(NULL, &sx, &sy), NNC_ERR_ARGUMENT);
    /* A scale of 0, or one that sends a value beyond nnc_real, is refused,
     * before the inputs are touched. */
    double zero = 0, tiny = 1e-320, one = 1, off = 0;
    nnc_scaling bad = {1, &off, &zero};
    CHECK_STATUS(nnc_dataset_scale(ds, &sx, &bad), NNC_ERR_ARGUMENT);
    CHECK_MSG("not finite and nonzero");
    bad.scale = &tiny;
    CHECK_STATUS(nnc_dataset_scale(ds, &sx, &bad), NNC_ERR_ARGUMENT);
    CHECK_MSG("beyond nnc_real");
    CHECK(memcmp(nnc_dataset_x(ds), X, sizeof X) == 0);
    CHECK(memcmp(nnc_dataset_y(ds), Y, sizeof Y) == 0);
    bad.scale = &one;
    bad.offset = NULL;
    CHECK_STATUS(nnc_dataset_scale(ds, NULL, &bad), NNC_ERR_ARGUMENT);

    /* NULL and n = 0 skip a side. */
    nnc_scaling none = {0, NULL, NULL};
    CHECK_OK(nnc_dataset_scale(ds, NULL, &none));
    CHECK(memcmp(nnc_dataset_x(ds), X, sizeof X) == 0);
    CHECK_OK(nnc_dataset_scale(ds, &sx, NULL));
    const nnc_real wx[4 * 2] = {0, 0, 0.25, 1.0 / 3, 0.5, 2.0 / 3, 1, 1};
    int x_ok = 1;
    for (int i = 0; i < 8; i++)
        x_ok &= nnc_dataset_x(ds)[i] == wx[i];
    CHECK(x_ok);
    CHECK(memcmp(nnc_dataset_y(ds), Y, sizeof Y) == 0);
    CHECK_OK(nnc_dataset_scale(ds, &none, &sy));
    const nnc_real wy[4] = {0, 0.5, 1, 0.25};
    CHECK(memcmp(nnc_dataset_y(ds), wy, sizeof wy) == 0);
    nnc_scaling_free(&sx);
    nnc_scaling_free(&sy);
    nnc_dataset_free(ds);
}

int main(void)
{
    exact_values();
    round_trip();
    errors();
    dataset();
    return check_report("test_scaling");
}
