/* Datasets: from memory, from arrays, from the textbook's .npz files and
 * from CSV label columns; one-hot labels; argument checks. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define DATA NNC_DATA_DIR "/"
#define TMP NNC_TEST_TMP "/"

static nnc_array make_array(int ndim, size_t r, size_t c, double *data)
{
    nnc_array a;
    memset(&a, 0, sizeof a);
    a.ndim = ndim;
    a.shape[0] = r;
    a.shape[1] = c;
    a.size = ndim == 1 ? r : r * c;
    a.data = data;
    return a;
}

static void test_create(void)
{
    nnc_real X[6] = {1, 2, 3, 4, 5, 6}, Y[3] = {7, 8, 9};
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_create(&ds, X, Y, 3, 2, 1));
    CHECK(nnc_dataset_rows(ds) == 3 && nnc_dataset_inputs(ds) == 2 &&
          nnc_dataset_outputs(ds) == 1);
    CHECK(nnc_dataset_x(ds) != X && nnc_dataset_x(ds)[5] == 6 && nnc_dataset_y(ds)[2] == 9);
    nnc_dataset_free(ds);
    nnc_dataset_free(NULL);

    nnc_dataset *keep = (nnc_dataset *)X;
    ds = keep;
    CHECK_STATUS(nnc_dataset_create(NULL, X, Y, 3, 2, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_create(&ds, NULL, Y, 3, 2, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, 0, 2, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, 3, -2, 1), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, 3, 2, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, INT_MAX / 2, 3, 1), NNC_ERR_ARGUMENT);
    X[3] = (nnc_real)NAN;
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, 3, 2, 1), NNC_ERR_ARGUMENT);
    CHECK_MSG("row 2 of X");
    X[3] = 4;
    Y[2] = (nnc_real)INFINITY;
    CHECK_STATUS(nnc_dataset_create(&ds, X, Y, 3, 2, 1), NNC_ERR_ARGUMENT);
    CHECK_MSG("row 3 of Y");
    CHECK(ds == keep);
}

static void test_from_arrays(void)
{
    double d[12], l[8];
    for (int i = 0; i < 12; i++)
        d[i] = i * 0.25;
    for (int i = 0; i < 8; i++)
        l[i] = -i;
    nnc_dataset *ds = NULL;

    nnc_array data = make_array(1, 5, 0, d), label = make_array(1, 5, 0, l);
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, "vec"));
    CHECK(nnc_dataset_rows(ds) == 5 && nnc_dataset_inputs(ds) == 1 &&
          nnc_dataset_outputs(ds) == 1);
    CHECK(nnc_dataset_x(ds)[4] == 1.0f && nnc_dataset_y(ds)[4] == -4);
    nnc_dataset_free(ds);

    data = make_array(2, 4, 3, d);
    label = make_array(2, 4, 2, l);
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, NULL));
    CHECK(nnc_dataset_rows(ds) == 4 && nnc_dataset_inputs(ds) == 3 &&
          nnc_dataset_outputs(ds) == 2);
    CHECK(nnc_dataset_x(ds)[11] == (nnc_real)2.75 && nnc_dataset_y(ds)[7] == -7);
    nnc_dataset_free(ds);

    nnc_dataset *keep = (nnc_dataset *)d;
    ds = keep;
    label = make_array(2, 3, 2, l);
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, &data, &label, "mine.npz"), NNC_ERR_SHAPE);
    CHECK_MSG("mine.npz: 'data' has 4 rows but 'label' has 3");
    nnc_array cube = make_array(3, 2, 2, d);
    cube.shape[2] = 3;
    cube.size = 12;
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, &cube, &label, "cube"), NNC_ERR_SHAPE);
    CHECK_MSG("'data' has 3 dimensions");
    nnc_array empty = make_array(2, 0, 3, d);
    nnc_array empty_l = make_array(2, 0, 1, l);
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, &empty, &empty_l, "empty"), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, NULL, &label, "x"), NNC_ERR_ARGUMENT);

    data = make_array(2, 4, 3, d);
    label = make_array(2, 4, 2, l);
    d[7] = NAN;
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, &data, &label, "nan.npz"), NNC_ERR_FORMAT);
    CHECK_MSG("nan.npz: row 3 of 'data'");
    d[7] = 1.75;
    l[0] = 1e300;
#ifdef NNC_DOUBLE
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, "big.npz"));
    nnc_dataset_free(ds);
    ds = keep;
#else
    CHECK_STATUS(nnc_dataset_from_arrays(&ds, &data, &label, "big.npz"), NNC_ERR_FORMAT);
    CHECK_MSG("row 1 of 'label'");
#endif
    CHECK(ds == keep);
}

static void test_npz(void)
{
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_load_npz(&ds, DATA "ch08.train.npz", 0));
    CHECK(nnc_dataset_rows(ds) == 500 && nnc_dataset_inputs(ds) == 1 &&
          nnc_dataset_outputs(ds) == 1);
    if (ds) {
        CHECK(nnc_dataset_x(ds)[0] == (nnc_real)0.8262551124313884);
        CHECK(nnc_dataset_y(ds)[0] == (nnc_real)-0.883472143264025);
    }
    nnc_dataset_free(ds);

    FILE *f = fopen(DATA "ch09.test.npz", "rb");
    CHECK(f != NULL);
    if (f) {
        static unsigned char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ds = NULL;
        CHECK_OK(nnc_dataset_load_npz_memory(&ds, buf, n, "composite test", 0));
        CHECK(nnc_dataset_rows(ds) == 200);
        if (ds) {
            CHECK(nnc_dataset_x(ds)[199] == 1);
            CHECK(nnc_dataset_y(ds)[0] == (nnc_real)-0.29);
        }
        nnc_dataset_free(ds);
        CHECK_STATUS(nnc_dataset_load_npz_memory(&ds, buf, n / 2, "half", 0), NNC_ERR_FORMAT);
    }

    /* an archive without "label" */
    double v[3] = {1, 2, 3};
    nnc_array a = make_array(1, 3, 0, v);
    const char *key = "data";
    CHECK_OK(nnc_npz_write_file(TMP "ds_nolabel.npz", 1, &key, &a));
    CHECK_STATUS(nnc_dataset_load_npz(&ds, TMP "ds_nolabel.npz", 0), NNC_ERR_NOT_FOUND);
    CHECK_MSG("'label.npy'");
    CHECK_STATUS(nnc_dataset_load_npz(&ds, TMP "ds_missing.npz", 0), NNC_ERR_IO);
}

static void test_csv(void)
{
    const char *path = TMP "ds_table.csv";
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("a,b,c,d\n1,2,3,4\n5,6,7,8\n9,10,11,12\n", f);
    fclose(f);
    nnc_dataset *ds = NULL;
    int last[1] = {-1};
    CHECK_OK(nnc_dataset_load_csv(&ds, path, NULL, last, 1));
    CHECK(nnc_dataset_rows(ds) == 3 && nnc_dataset_inputs(ds) == 3 &&
          nnc_dataset_outputs(ds) == 1);
    if (ds) {
        const nnc_real *X = nnc_dataset_x(ds), *Y = nnc_dataset_y(ds);
        CHECK(X[0] == 1 && X[2] == 3 && X[3] == 5 && X[8] == 11);
        CHECK(Y[0] == 4 && Y[1] == 8 && Y[2] == 12);
    }
    nnc_dataset_free(ds);

    int two[2] = {2, 0}; /* labels in the order given, inputs in file order */
    CHECK_OK(nnc_dataset_load_csv(&ds, path, NULL, two, 2));
    CHECK(nnc_dataset_inputs(ds) == 2 && nnc_dataset_outputs(ds) == 2);
    if (ds) {
        const nnc_real *X = nnc_dataset_x(ds), *Y = nnc_dataset_y(ds);
        CHECK(X[0] == 2 && X[1] == 4 && X[4] == 10 && X[5] == 12);
        CHECK(Y[0] == 3 && Y[1] == 1 && Y[4] == 11 && Y[5] == 9);
    }
    nnc_dataset_free(ds);

    nnc_dataset *keep = (nnc_dataset *)&ds;
    ds = keep;
    int out_of_range[1] = {4};
    CHECK_STATUS(nnc_dataset_load_csv(&ds, path, NULL, out_of_range, 1), NNC_ERR_ARGUMENT);
    CHECK_MSG("label column 4 is out of range");
    int neg[1] = {-5};
    CHECK_STATUS(nnc_dataset_load_csv(&ds, path, NULL, neg, 1), NNC_ERR_ARGUMENT);
    int dup[2] = {1, -3};
    CHECK_STATUS(nnc_dataset_load_csv(&ds, path, NULL, dup, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("twice");
    int all[4] = {0, 1, 2, 3};
    CHECK_STATUS(nnc_dataset_load_csv(&ds, path, NULL, all, 4), NNC_ERR_ARGUMENT);
    CHECK_MSG("no input column");
    CHECK_STATUS(nnc_dataset_load_csv(&ds, path, NULL, last, 0), NNC_ERR_ARGUMENT);
    CHECK(ds == keep);

    f = fopen(TMP "ds_inf.csv", "wb");
    if (f) {
        fputs("1,2\n3,inf\n", f);
        fclose(f);
        CHECK_STATUS(nnc_dataset_load_csv(&ds, TMP "ds_inf.csv", NULL, last, 1),
                     NNC_ERR_FORMAT);
        CHECK_MSG("line 2, column 2: 'inf' is not a finite number");
    }
}

static void test_one_hot(void)
{
    nnc_real X[5] = {0, 1, 2, 3, 4}, Y[5] = {1, 3, 2, 3, 1};
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_create(&ds, X, Y, 5, 1, 1));
    if (!ds)
        return;
    CHECK_STATUS(nnc_dataset_one_hot(ds, 1, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("row 2: label 3");
    CHECK_STATUS(nnc_dataset_one_hot(ds, 2, 3), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_one_hot(ds, 1, 0), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_one_hot(NULL, 1, 3), NNC_ERR_ARGUMENT);
    CHECK(nnc_dataset_outputs(ds) == 1 && nnc_dataset_y(ds)[1] == 3);

    CHECK_OK(nnc_dataset_one_hot(ds, 1, 3));
    CHECK(nnc_dataset_outputs(ds) == 3 && nnc_dataset_inputs(ds) == 1);
    const nnc_real want[15] = {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    int same = 1;
    for (int i = 0; i < 15; i++)
        same &= nnc_dataset_y(ds)[i] == want[i];
    CHECK(same);
    /* now three columns: not a label column any more */
    CHECK_STATUS(nnc_dataset_one_hot(ds, 1, 3), NNC_ERR_SHAPE);
    nnc_dataset_free(ds);

    nnc_real frac[2] = {0.5, 1};
    CHECK_OK(nnc_dataset_create(&ds, X, frac, 2, 1, 1));
    CHECK_STATUS(nnc_dataset_one_hot(ds, 0, 2), NNC_ERR_ARGUMENT);
    CHECK_MSG("not an integer");
    nnc_dataset_free(ds);
}

/* Labels above 2^24 (float) stay two classes or are refused: 16777217 is
 * 16777216 in float, and one-hot must not merge the two. */
static void test_one_hot_exact(void)
{
    double x[3] = {0, 1, 2}, y[3] = {16777216, 16777217, 16777218};
    nnc_array data = {0}, label = {0};
    data.ndim = label.ndim = 1;
    data.shape[0] = label.shape[0] = data.size = label.size = 3;
    data.data = x;
    label.data = y;
    nnc_dataset *ds = NULL;
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, "big.csv"));
    if (!ds)
        return;
    if (sizeof(nnc_real) < sizeof(double)) {
        CHECK_STATUS(nnc_dataset_one_hot(ds, 16777216, 3), NNC_ERR_ARGUMENT);
        CHECK_MSG("row 2: label 16777217 is 16777216 in nnc_real (float holds integers "
                  "exactly only up to 2^24): classes would merge");
        CHECK(nnc_dataset_outputs(ds) == 1);
    } else {
        CHECK_OK(nnc_dataset_one_hot(ds, 16777216, 3));
        const nnc_real want[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        int same = nnc_dataset_outputs(ds) == 3;
        for (int i = 0; same && i < 9; i++)
            same = nnc_dataset_y(ds)[i] == want[i];
        CHECK(same);
    }
    nnc_dataset_free(ds);
    /* even labels above 2^24 are exact in float: kept */
    y[0] = 16777218;
    y[1] = 16777220;
    y[2] = 16777218;
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, "even.csv"));
    CHECK_OK(nnc_dataset_one_hot(ds, 16777218, 3));
    CHECK(nnc_dataset_outputs(ds) == 3 && nnc_dataset_y(ds)[0] == 1 && nnc_dataset_y(ds)[5] == 1 &&
          nnc_dataset_y(ds)[6] == 1);
    nnc_dataset_free(ds);
    y[0] = 2147483647.0;
    y[1] = 2147483648.0;
    y[2] = 2147483647.0;
    CHECK_OK(nnc_dataset_from_arrays(&ds, &data, &label, "max.csv"));
    if (sizeof(nnc_real) < sizeof(double)) {
        /* 2^31 - 1 is 2^31 in float: refused, not one class */
        CHECK_STATUS(nnc_dataset_one_hot(ds, 2147483646, 3), NNC_ERR_ARGUMENT);
        CHECK_MSG("row 1: label 2147483647 is 2147483648 in nnc_real");
    } else {
        CHECK_OK(nnc_dataset_one_hot(ds, 2147483647, 2));
        CHECK(nnc_dataset_outputs(ds) == 2 && nnc_dataset_y(ds)[3] == 1);
    }
    nnc_dataset_free(ds);
}

int main(void)
{
    test_create();
    test_from_arrays();
    test_npz();
    test_csv();
    test_one_hot();
    test_one_hot_exact();
    return check_report("test_dataset");
}
