/* IDX reading (the MNIST format): every dtype, raw and gzip, broken headers,
 * short and long data, deflate bombs, images + labels as a dataset, and
 * Fashion-MNIST itself when Debian's dataset-fashion-mnist is installed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "check.h"

#define TMP NNC_TEST_TMP "/"
#define FASHION "/usr/share/datasets/fashion-mnist/"

/* An IDX file: header for dtype and dims, then data (already big-endian). */
static size_t make_idx(unsigned char *out, int dtype, int ndim, const uint32_t *dims,
                       const void *data, size_t data_len)
{
    out[0] = out[1] = 0;
    out[2] = (unsigned char)dtype;
    out[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        out[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        out[5 + 4 * i] = (unsigned char)(dims[i] >> 16 & 0xff);
        out[6 + 4 * i] = (unsigned char)(dims[i] >> 8 & 0xff);
        out[7 + 4 * i] = (unsigned char)(dims[i] & 0xff);
    }
    if (data_len)
        memcpy(out + 4 + 4 * ndim, data, data_len);
    return 4 + 4 * (size_t)ndim + data_len;
}

/* gzip of src (level 9), into a malloc'ed buffer. */
static unsigned char *gzip(const void *src, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static int write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(bytes, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static void put_be(unsigned char *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * (n - 1 - i)) & 0xff);
}

static uint64_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Reads buf raw and gzipped; both must give the same array. */
static void check_both(const unsigned char *buf, size_t len, int ndim, const uint32_t *dims,
                       const double *want, size_t n)
{
    size_t glen = 0;
    unsigned char *gz = gzip(buf, len, &glen);
    CHECK(gz != NULL);
    for (int pass = 0; pass < 2; pass++) {
        nnc_array a;
        memset(&a, 0, sizeof a);
        if (pass == 0)
            CHECK_OK(nnc_idx_read_memory(buf, len, "raw", &a, 0));
        else
            CHECK_OK(nnc_idx_read_memory(gz, glen, "gz", &a, 0));
        CHECK(a.ndim == ndim && a.size == n);
        for (int i = 0; i < ndim && i < a.ndim; i++)
            CHECK(a.shape[i] == dims[i]);
        for (size_t i = 0; i < n && i < a.size; i++)
            CHECK(a.data[i] == want[i] || (want[i] != want[i] && a.data[i] != a.data[i]));
        nnc_array_free(&a);
    }
    free(gz);
}

static void test_dtypes(void)
{
    unsigned char buf[256], data[128];
    uint32_t dims[4] = {2, 3, 1, 1};

    /* u8 */
    double u8[6] = {0, 1, 127, 128, 254, 255};
    for (int i = 0; i < 6; i++)
        data[i] = (unsigned char)u8[i];
    check_both(buf, make_idx(buf, 0x08, 2, dims, data, 6), 2, dims, u8, 6);
    /* i8 */
    double i8[6] = {-128, -1, 0, 1, 100, 127};
    for (int i = 0; i < 6; i++)
        put_be(data + i, (uint64_t)(int64_t)i8[i], 1);
    check_both(buf, make_idx(buf, 0x09, 2, dims, data, 6), 2, dims, i8, 6);
    /* i16 */
    double i16[6] = {-32768, -2, 0, 258, 1234, 32767};
    for (int i = 0; i < 6; i++)
        put_be(data + 2 * i, (uint64_t)(int64_t)i16[i], 2);
    check_both(buf, make_idx(buf, 0x0B, 1, (uint32_t[]){6}, data, 12), 1, (uint32_t[]){6},
               i16, 6);
    /* i32 */
    double i32[6] = {-2147483648.0, -1, 0, 65536, 123456789, 2147483647};
    for (int i = 0; i < 6; i++)
        put_be(data + 4 * i, (uint64_t)(int64_t)i32[i], 4);
    check_both(buf, make_idx(buf, 0x0C, 3, (uint32_t[]){1, 2, 3}, data, 24), 3,
               (uint32_t[]){1, 2, 3}, i32, 6);
    /* f32, NaN kept as it is in an array */
    double f32[6] = {1.5, -0.25, 0, 3.4028234663852886e38, 1e-40f, NAN};
    for (int i = 0; i < 6; i++)
        put_be(data + 4 * i, f32_bits((float)f32[i]), 4);
    f32[4] = (double)1e-40f;
    check_both(buf, make_idx(buf, 0x0D, 4, (uint32_t[]){1, 1, 2, 3}, data, 24), 4,
               (uint32_t[]){1, 1, 2, 3}, f32, 6);
    /* f64 */
    double f64[6] = {3.141592653589793, -1e300, 5e-324, 0, -0.0, 42};
    for (int i = 0; i < 6; i++)
        put_be(data + 8 * i, f64_bits(f64[i]), 8);
    check_both(buf, make_idx(buf, 0x0E, 2, (uint32_t[]){3, 2}, data, 48), 2,
               (uint32_t[]){3, 2}, f64, 6);
}

/* A call that must fail with FORMAT and a message holding `words`. */
#define BAD(bytes, len, words)                                                       \
    do {                                                                             \
        nnc_array a_;                                                                \
        memset(&a_, 0x5a, sizeof a_);                                                \
        nnc_array keep_ = a_;                                                        \
        CHECK_STATUS(nnc_idx_read_memory((bytes), (len), "bad.idx", &a_, 0),            \
                     NNC_ERR_FORMAT);                                                \
        CHECK_MSG(words);                                                            \
        CHECK(memcmp(&a_, &keep_, sizeof a_) == 0);                                  \
    } while (0)

static void test_bad_headers(void)
{
    unsigned char buf[256] = {0}, data[64] = {0};
    size_t n;

    BAD(buf, 0, "bad.idx: 0 bytes, too short for an IDX header");
    BAD((const unsigned char *)"\0\0\x08", 3, "3 bytes, too short");
    n = make_idx(buf, 0x08, 1, (uint32_t[]){2}, data, 2);
    buf[1] = 0x01;
    BAD(buf, n, "bad.idx: not an IDX file (bytes 0-1 are 00 01, expected 00 00)");
    n = make_idx(buf, 0x0A, 1, (uint32_t[]){2}, data, 2);
    BAD(buf, n, "bad.idx: unknown IDX data type 0x0a at byte offset 2");
    n = make_idx(buf, 0x08, 0, NULL, NULL, 0);
    BAD(buf, n, "bad.idx: 0 dimensions at byte offset 3 (nnc reads 1 to 4)");
    n = make_idx(buf, 0x08, 5, (uint32_t[]){1, 1, 1, 1, 1}, data, 1);
    BAD(buf, n, "5 dimensions at byte offset 3");
    n = make_idx(buf, 0x08, 3, (uint32_t[]){1, 1, 1}, NULL, 0);
    BAD(buf, 10, "bad.idx: truncated IDX header (3 dimensions need 16 bytes, 10 present)");
    n = make_idx(buf, 0x08, 2, (uint32_t[]){3, 0}, NULL, 0);
    BAD(buf, n, "bad.idx: dimension 2 (byte offset 8) is 0");
    /* sizes that overflow, or pass nnc's limit */
    n = make_idx(buf, 0x0E, 4, (uint32_t[]){0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                 NULL, 0);
    BAD(buf, n, "the header declares 4294967295 x 4294967295 x 4294967295 x 4294967295 f64, "
                "more than nnc's limit");
    n = make_idx(buf, 0x0C, 1, (uint32_t[]){(1u << 29) + 1}, NULL, 0);
    BAD(buf, n, "536870913 i32, more than nnc's limit of 2147483648 bytes");
    n = make_idx(buf, 0x0C, 1, (uint32_t[]){1u << 29}, NULL, 0);
    BAD(buf, n, "536870912 i32 (2147483648 bytes of data), the file holds 0 bytes");
    /* raw data of the wrong length */
    n = make_idx(buf, 0x0B, 2, (uint32_t[]){2, 3}, data, 11);
    BAD(buf, n, "bad.idx: the header declares 2 x 3 i16 (12 bytes of data), the file holds 11 "
                "bytes after its 12-byte header");
    n = make_idx(buf, 0x08, 1, (uint32_t[]){4}, data, 5);
    BAD(buf, n, "declares 4 u8 (4 bytes of data), the file holds 5");
}

static void test_gzip(void)
{
    unsigned char buf[4096], data[2048];
    for (int i = 0; i < 2048; i++)
        data[i] = (unsigned char)(i * 7);
    size_t n, glen;
    unsigned char *gz;

    /* short data after gunzip: the offset where it ends */
    n = make_idx(buf, 0x08, 2, (uint32_t[]){10, 10}, data, 99);
    gz = gzip(buf, n, &glen);
    BAD(gz, glen, "bad.idx: the data ends at byte offset 111 of the inflated data, but the "
                  "header declares 10 x 10 u8 (100 bytes of data after the 12-byte header)");
    free(gz);
    /* more data than declared */
    n = make_idx(buf, 0x08, 1, (uint32_t[]){100}, data, 101);
    gz = gzip(buf, n, &glen);
    BAD(gz, glen, "bad.idx: the inflated data goes on past byte offset 108");
    free(gz);
    /* a truncated gzip file, at several places */
    n = make_idx(buf, 0x0D, 1, (uint32_t[]){500}, data, 2000);
    gz = gzip(buf, n, &glen);
    for (size_t cut = 1; cut < glen; cut += glen / 7 + 1) {
        nnc_array a;
        nnc_status s = nnc_idx_read_memory(gz, cut, "cut.gz", &a, 0);
        CHECK(s == NNC_ERR_FORMAT);
        CHECK(strncmp(nnc_last_error(), "cut.gz: ", 8) == 0);
    }
    BAD(gz, glen - 4, "bad.idx: truncated gzip file");
    /* a wrong CRC-32 and length in the trailer */
    gz[glen - 6] ^= 0x55;
    BAD(gz, glen, "bad.idx: corrupt gzip data: incorrect data check");
    gz[glen - 6] ^= 0x55;
    gz[glen - 2] ^= 0x01;
    BAD(gz, glen, "incorrect length check");
    gz[glen - 2] ^= 0x01;
    /* garbage after the gzip stream */
    unsigned char *more = malloc(glen + 3);
    memcpy(more, gz, glen);
    memcpy(more + glen, "xyz", 3);
    BAD(more, glen + 3, "bad.idx: 3 bytes after the end of the gzip stream (from byte offset");
    free(more);
    /* a corrupt deflate block */
    gz[12] ^= 0xff;
    {
        nnc_array a;
        CHECK_STATUS(nnc_idx_read_memory(gz, glen, "flip.gz", &a, 0), NNC_ERR_FORMAT);
        CHECK_MSG("flip.gz: ");
    }
    free(gz);
    /* errors in the inflated header name the inflated data */
    n = make_idx(buf, 0x07, 1, (uint32_t[]){2}, data, 2);
    gz = gzip(buf, n, &glen);
    BAD(gz, glen, "unknown IDX data type 0x07 at byte offset 2 of the inflated data");
    free(gz);
    gz = gzip("\0", 1, &glen);
    BAD(gz, glen, "bad.idx: 1 bytes after gunzip, too short for an IDX header");
    free(gz);
    /* only the gzip magic */
    BAD((const unsigned char *)"\x1f\x8b", 2, "bad.idx: ");
}

/* Deflate bombs are refused at once, without allocating their claim. */
static void test_bombs(void)
{
    unsigned char hdr[16];
    size_t glen;
    clock_t t0 = clock();

    /* a header claiming 1 GiB, and little behind it */
    size_t n = make_idx(hdr, 0x08, 3, (uint32_t[]){1024, 1024, 1024}, NULL, 0);
    unsigned char *gz = gzip(hdr, n, &glen);
    BAD(gz, glen, "bad.idx: the header declares 1024 x 1024 x 1024 u8 (1073741824 bytes of "
                  "data), more than a");
    BAD(gz, glen, "gzip file can hold (a deflate bomb, or a truncated file)");
    free(gz);

    /* a small header in front of 16 MiB of zeros: stops one byte past it */
    size_t big = (size_t)16 << 20;
    unsigned char *zeros = calloc(big, 1);
    CHECK(zeros != NULL);
    if (zeros) {
        make_idx(zeros, 0x08, 2, (uint32_t[]){2, 2}, NULL, 0);
        gz = gzip(zeros, big, &glen);
        CHECK(gz && glen < big / 500);
        BAD(gz, glen, "the inflated data goes on past byte offset 16");
        free(gz);

        /* a legitimate all-zero file compresses almost as well: it loads */
        size_t legit = (size_t)1 << 20;
        make_idx(zeros, 0x08, 2, (uint32_t[]){1024, 1024}, NULL, 0);
        memset(zeros + 12, 0, legit);
        gz = gzip(zeros, 12 + legit, &glen);
        nnc_array a;
        CHECK_OK(nnc_idx_read_memory(gz, glen, "zeros.gz", &a, 0));
        CHECK(a.size == legit && a.data[legit - 1] == 0);
        nnc_array_free(&a);
        free(gz);
        free(zeros);
    }
    /* all of this in well under a second of CPU time (a minute under valgrind) */
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 60);
}

static void test_files_and_dataset(void)
{
    unsigned char buf[512], img[64], lab[8];
    /* five 2x3 images; labels 2 0 1 2 1 */
    for (int i = 0; i < 30; i++)
        img[i] = (unsigned char)(i * 8);
    memcpy(lab, "\x02\x00\x01\x02\x01", 5);
    size_t n = make_idx(buf, 0x08, 3, (uint32_t[]){5, 2, 3}, img, 30);
    CHECK(write_file(TMP "idx-images-idx3-ubyte", buf, n));
    size_t glen;
    unsigned char *gz = gzip(buf, n, &glen);
    CHECK(gz && write_file(TMP "idx-images-idx3-ubyte.gz", gz, glen));
    free(gz);
    n = make_idx(buf, 0x08, 1, (uint32_t[]){5}, lab, 5);
    CHECK(write_file(TMP "idx-labels-idx1-ubyte", buf, n));
    gz = gzip(buf, n, &glen);
    CHECK(gz && write_file(TMP "idx-labels-idx1-ubyte.gz", gz, glen));
    free(gz);

    nnc_array a;
    CHECK_OK(nnc_idx_read_file(TMP "idx-images-idx3-ubyte.gz", &a, 0));
    CHECK(a.ndim == 3 && a.shape[0] == 5 && a.shape[2] == 3 && a.data[29] == 232);
    nnc_array_free(&a);
    CHECK_STATUS(nnc_idx_read_file(TMP "idx-missing", &a, 0), NNC_ERR_IO);
    CHECK_MSG("idx-missing");
    CHECK_STATUS(nnc_idx_read_file(NULL, &a, 0), NNC_ERR_ARGUMENT);

    for (int z = 0; z < 2; z++) {
        const char *im = z ? TMP "idx-images-idx3-ubyte.gz" : TMP "idx-images-idx3-ubyte";
        const char *lb = z ? TMP "idx-labels-idx1-ubyte" : TMP "idx-labels-idx1-ubyte.gz";
        nnc_dataset *ds = NULL;
        CHECK_OK(nnc_dataset_load_idx(&ds, im, lb, 1 / 255.0, 0, 0));
        CHECK(nnc_dataset_rows(ds) == 5 && nnc_dataset_inputs(ds) == 6 &&
              nnc_dataset_outputs(ds) == 3);
        if (ds) {
            const nnc_real *X = nnc_dataset_x(ds), *Y = nnc_dataset_y(ds);
            CHECK_NEAR(X[0], 0, 0);
            CHECK_NEAR(X[7], 56 / 255.0, 1e-6);
            CHECK_NEAR(X[29], 232 / 255.0, 1e-6);
            static const nnc_real want[15] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0};
            CHECK(memcmp(Y, want, sizeof want) == 0);
        }
        nnc_dataset_free(ds);
        ds = NULL;
        CHECK_OK(nnc_dataset_load_idx(&ds, im, lb, 1, 10, 0));
        CHECK(nnc_dataset_outputs(ds) == 10 && nnc_dataset_x(ds)[29] == 232);
        nnc_dataset_free(ds);
    }

    nnc_dataset *keep = (nnc_dataset *)&a, *ds = keep;
    /* label beyond n_classes: names the labels file and the label */
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte",
                                      TMP "idx-labels-idx1-ubyte", 1, 2, 0),
                 NNC_ERR_FORMAT);
    CHECK_MSG("idx-labels-idx1-ubyte: label 1 is 2, not a class from 0 to 1");
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte",
                                      TMP "idx-labels-idx1-ubyte", 1, -1, 0),
                 NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte",
                                      TMP "idx-labels-idx1-ubyte", NAN, 0, 0),
                 NNC_ERR_ARGUMENT);
    /* counts that differ name both files */
    n = make_idx(buf, 0x08, 1, (uint32_t[]){4}, lab, 4);
    CHECK(write_file(TMP "idx-labels4", buf, n));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte", TMP "idx-labels4", 1, 0, 0),
                 NNC_ERR_SHAPE);
    CHECK_MSG("idx-images-idx3-ubyte has 5 images but ");
    CHECK_MSG("idx-labels4 has 4 labels");
    /* labels in two dimensions, negative, or fractional */
    n = make_idx(buf, 0x08, 2, (uint32_t[]){5, 1}, lab, 5);
    CHECK(write_file(TMP "idx-labels2d", buf, n));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte", TMP "idx-labels2d", 1, 0, 0),
                 NNC_ERR_SHAPE);
    CHECK_MSG("idx-labels2d: labels have 2 dimensions, expected 1");
    n = make_idx(buf, 0x09, 1, (uint32_t[]){5}, "\x01\x01\xff\x00\x00", 5);
    CHECK(write_file(TMP "idx-labelsneg", buf, n));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte", TMP "idx-labelsneg", 1, 0, 0),
                 NNC_ERR_FORMAT);
    CHECK_MSG("idx-labelsneg: label 3 is -1, not a class");
    unsigned char fl[20];
    for (int i = 0; i < 5; i++)
        put_be(fl + 4 * i, f32_bits(i == 4 ? 0.5f : 1.0f), 4);
    n = make_idx(buf, 0x0D, 1, (uint32_t[]){5}, fl, 20);
    CHECK(write_file(TMP "idx-labelsfrac", buf, n));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-images-idx3-ubyte", TMP "idx-labelsfrac", 1,
                                      0, 0),
                 NNC_ERR_FORMAT);
    CHECK_MSG("label 5 is 0.5");
    /* images that hold NaN, or pass float's range once scaled */
    unsigned char f8[5 * 8];
    for (int i = 0; i < 5; i++)
        put_be(f8 + 8 * i, f64_bits(i == 3 ? NAN : 0.5), 8);
    n = make_idx(buf, 0x0E, 1, (uint32_t[]){5}, f8, 40);
    CHECK(write_file(TMP "idx-imgnan", buf, n));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-imgnan", TMP "idx-labels-idx1-ubyte", 1, 0, 0),
                 NNC_ERR_FORMAT);
    CHECK_MSG("idx-imgnan: image 4 (value at byte offset 32) is NaN or infinite");
    /* the images file broken */
    memcpy(buf, "\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", 10);
    CHECK(write_file(TMP "idx-short", buf, 10));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-short", TMP "idx-labels-idx1-ubyte", 1, 0, 0),
                 NNC_ERR_FORMAT);
    CHECK_MSG("idx-short: the header declares 5 u8 (5 bytes of data), the file holds 2");
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "idx-nothing", TMP "idx-labels-idx1-ubyte", 1, 0, 0),
                 NNC_ERR_IO);
    CHECK_MSG("idx-nothing");
    CHECK(ds == keep);
}

/* Debian's dataset-fashion-mnist, when installed. */
static void test_fashion_mnist(void)
{
    FILE *f = fopen(FASHION "train-images-idx3-ubyte.gz", "rb");
    if (!f) {
        printf("test_idx: %s not installed (apt-get install dataset-fashion-mnist); "
               "skipping the Fashion-MNIST checks\n",
               FASHION);
        return;
    }
    fclose(f);
    static const struct {
        const char *images, *labels;
        int rows;
    } sets[] = {{FASHION "train-images-idx3-ubyte.gz", FASHION "train-labels-idx1-ubyte.gz",
                 60000},
                {FASHION "t10k-images-idx3-ubyte.gz", FASHION "t10k-labels-idx1-ubyte.gz",
                 10000}};
    for (int k = 0; k < 2; k++) {
        nnc_dataset *ds = NULL;
        CHECK_OK(nnc_dataset_load_idx(&ds, sets[k].images, sets[k].labels, 1 / 255.0, 0, 0));
        if (!ds)
            continue;
        int rows = nnc_dataset_rows(ds);
        CHECK(rows == sets[k].rows);
        CHECK(nnc_dataset_inputs(ds) == 784);
        CHECK(nnc_dataset_outputs(ds) == 10);
        const nnc_real *X = nnc_dataset_x(ds), *Y = nnc_dataset_y(ds);
        double lo = 1, hi = 0;
        for (size_t i = 0; i < (size_t)rows * 784; i++) {
            lo = X[i] < lo ? X[i] : lo;
            hi = X[i] > hi ? X[i] : hi;
        }
        CHECK(lo == 0 && hi == 1);
        long count[10] = {0}, ones = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < 10; c++)
                if (Y[(size_t)r * 10 + (size_t)c] == 1) {
                    count[c]++;
                    ones++;
                }
        CHECK(ones == rows);
        for (int c = 0; c < 10; c++)
            CHECK(count[c] == rows / 10);
        nnc_dataset_free(ds);
    }
    nnc_array lab;
    CHECK_OK(nnc_idx_read_file(FASHION "t10k-labels-idx1-ubyte.gz", &lab, 0));
    CHECK(lab.ndim == 1 && lab.shape[0] == 10000);
    /* the first test labels of Fashion-MNIST: ankle boot, pullover, trouser */
    CHECK(lab.size == 10000 && lab.data[0] == 9 && lab.data[1] == 2 && lab.data[2] == 1);
    nnc_array_free(&lab);
}

/* Small files that would need a lot of memory are refused under
 * max_memory before anything large is allocated, naming the size. */
static void test_memory_limit(void)
{
    /* 1M labels, all 0 but one 255, and 1M one-pixel images: a 1 KB gzip
     * pair whose one-hot labels alone need 1M x 256 values (1 GB in float) */
    size_t rows = (size_t)1 << 20, glab = 0, gimg = 0;
    unsigned char *lab = calloc(rows + 8, 1), *img = calloc(rows + 16, 1);
    CHECK(lab && img);
    if (!lab || !img) {
        free(lab);
        free(img);
        return;
    }
    make_idx(lab, 0x08, 1, (uint32_t[]){(uint32_t)rows}, NULL, 0);
    lab[8 + rows / 2] = 255;
    make_idx(img, 0x08, 3, (uint32_t[]){(uint32_t)rows, 1, 1}, NULL, 0);
    unsigned char *lgz = gzip(lab, rows + 8, &glab), *igz = gzip(img, rows + 16, &gimg);
    CHECK(lgz && igz && glab < 2048 && gimg < 2048);
    nnc_dataset *ds = NULL;
    CHECK_STATUS(nnc_dataset_load_idx_memory(&ds, igz, gimg, "i.gz", lgz, glab, "l.gz", 1, 0,
                                             (size_t)256 << 20),
                 NNC_ERR_FORMAT);
    /* 1M x 257 values of nnc_real (4 or 8 bytes) and the 8 MB of labels */
    CHECK_MSG(sizeof(nnc_real) == 4
                  ? "i.gz: 1048576 images of 1 values with one-hot labels of 256 classes "
                    "would need 1.0 GB (limit 256 MB; see --max-memory)"
                  : "i.gz: 1048576 images of 1 values with one-hot labels of 256 classes "
                    "would need 2.0 GB (limit 256 MB; see --max-memory)");
    CHECK(strlen(nnc_last_error()) < 200);
    CHECK(ds == NULL);
    /* the labels alone as doubles: 8 MB, refused under 4 MB */
    nnc_array a;
    CHECK_STATUS(nnc_idx_read_memory(lgz, glab, "l.gz", &a, (size_t)4 << 20), NNC_ERR_FORMAT);
    CHECK_MSG("l.gz: the values as doubles would need 8.0 MB (limit 4.0 MB; see "
              "--max-memory)");
    CHECK_OK(nnc_idx_read_memory(lgz, glab, "l.gz", &a, (size_t)8 << 20));
    CHECK(a.size == rows && a.data[rows / 2] == 255 && a.data[0] == 0);
    nnc_array_free(&a);
    /* through files: the same refusal */
    CHECK(write_file(TMP "amp-labels.gz", lgz, glab) && write_file(TMP "amp-images.gz", igz, gimg));
    CHECK_STATUS(nnc_dataset_load_idx(&ds, TMP "amp-images.gz", TMP "amp-labels.gz", 1, 0,
                                      (size_t)256 << 20),
                 NNC_ERR_FORMAT);
    CHECK_MSG(sizeof(nnc_real) == 4 ? "amp-images.gz: 1048576 images of 1 values with "
                                      "one-hot labels of 256 classes would need 1.0 GB (limit "
                                    : "amp-images.gz: 1048576 images of 1 values with "
                                      "one-hot labels of 256 classes would need 2.0 GB (limit ");
    /* with ten classes it fits in 64 MB: 1M x (1 + 10) floats or doubles */
    lab[8 + rows / 2] = 9;
    free(lgz);
    lgz = gzip(lab, rows + 8, &glab);
    CHECK_OK(nnc_dataset_load_idx_memory(&ds, igz, gimg, "i.gz", lgz, glab, "l.gz", 1, 0,
                                         (size_t)128 << 20));
    CHECK(ds && nnc_dataset_rows(ds) == (int)rows && nnc_dataset_outputs(ds) == 10);
    nnc_dataset_free(ds);
    free(lgz);
    free(igz);
    free(lab);
    free(img);
}

/* A gzip file of several members (cat a.gz b.gz) is read whole, as zcat
 * reads it. */
static void test_multi_member(void)
{
    unsigned char buf[64];
    size_t n = make_idx(buf, 0x08, 2, (uint32_t[]){2, 3}, "\x01\x02\x03\x04\x05\x06", 6);
    size_t cut = 9, g1, g2, g3;
    unsigned char *a = gzip(buf, cut, &g1), *b = gzip(buf + cut, n - cut - 2, &g2);
    unsigned char *c = gzip(buf + n - 2, 2, &g3);
    unsigned char *all = malloc(g1 + g2 + g3);
    CHECK(a && b && c && all);
    if (a && b && c && all) {
        memcpy(all, a, g1);
        memcpy(all + g1, b, g2);
        memcpy(all + g1 + g2, c, g3);
        nnc_array arr;
        CHECK_OK(nnc_idx_read_memory(all, g1 + g2 + g3, "multi.gz", &arr, 0));
        CHECK(arr.size == 6 && arr.shape[0] == 2 && arr.shape[1] == 3 && arr.data[0] == 1 &&
              arr.data[5] == 6);
        nnc_array_free(&arr);
        /* garbage after the last member is still refused */
        memcpy(all + g1 + g2, "\x1f\x00\x00", 3);
        CHECK_STATUS(nnc_idx_read_memory(all, g1 + g2 + 3, "multi.gz", &arr, 0), NNC_ERR_FORMAT);
    }
    free(a);
    free(b);
    free(c);
    free(all);
}

int main(void)
{
    test_dtypes();
    test_bad_headers();
    test_gzip();
    test_bombs();
    test_memory_limit();
    test_multi_member();
    test_files_and_dataset();
    test_fashion_mnist();
    return check_report("test_idx");
}
