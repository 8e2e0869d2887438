/* .npy/.npz reading and writing: the textbook's files, round trips, numpy's
 * header variants and dtypes, deflate, and a collection of broken inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "check.h"

#define DATA NNC_DATA_DIR "/"
#define TMP NNC_TEST_TMP "/"

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* A .npy v1 (or v2 when version == 2) with the given header text and data. */
static size_t make_npy(unsigned char *out, int version, const char *header,
                       const void *data, size_t data_len)
{
    size_t hl = strlen(header);
    size_t pre = version == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)version;
    out[7] = 0;
    if (version == 1)
        put16(out + 8, (uint32_t)hl);
    else
        put32(out + 8, (uint32_t)hl);
    memcpy(out + pre, header, hl);
    if (data_len)
        memcpy(out + pre + hl, data, data_len);
    return pre + hl + data_len;
}

static void put_f64(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i) & 0xff);
}

/* ---------------- a small zip writer for hand-made archives ---------------- */

typedef struct member {
    const char *name;
    const unsigned char *data;
    size_t len;
    int deflate;
    int zip64_local; /* numpy's style: 0xffffffff sizes + zip64 extra locally */
} member;

/* Builds an archive into a malloc'ed buffer; returns its length. */
static size_t make_zip(unsigned char **out, const member *m, int n, const char *comment)
{
    size_t cap = 1024 + (comment ? strlen(comment) : 0);
    for (int i = 0; i < n; i++)
        cap += 2 * (m[i].len + 200) + 2 * strlen(m[i].name);
    unsigned char *buf = malloc(cap), *cd = malloc(cap);
    size_t pos = 0, cpos = 0;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(m[i].name);
        unsigned long crc = crc32(0L, m[i].data, (uInt)m[i].len);
        unsigned char *comp = malloc(m[i].len * 2 + 64);
        size_t clen = m[i].len;
        if (m[i].deflate) {
            z_stream zs;
            memset(&zs, 0, sizeof zs);
            deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
            zs.next_in = (Bytef *)(uintptr_t)m[i].data;
            zs.avail_in = (uInt)m[i].len;
            zs.next_out = comp;
            zs.avail_out = (uInt)(m[i].len * 2 + 64);
            deflate(&zs, Z_FINISH);
            clen = zs.total_out;
            deflateEnd(&zs);
        } else {
            memcpy(comp, m[i].data, m[i].len);
        }
        size_t off = pos;
        unsigned char *h = buf + pos;
        put32(h, 0x04034b50u);
        put16(h + 4, m[i].zip64_local ? 45 : 20);
        put16(h + 6, 0);
        put16(h + 8, m[i].deflate ? 8 : 0);
        put16(h + 10, 0);
        put16(h + 12, 0x21);
        put32(h + 14, (uint32_t)crc);
        put32(h + 18, m[i].zip64_local ? 0xffffffffu : (uint32_t)clen);
        put32(h + 22, m[i].zip64_local ? 0xffffffffu : (uint32_t)m[i].len);
        put16(h + 26, (uint32_t)nl);
        put16(h + 28, m[i].zip64_local ? 20 : 0);
        memcpy(h + 30, m[i].name, nl);
        pos += 30 + nl;
        if (m[i].zip64_local) {
            unsigned char *x = buf + pos;
            put16(x, 1);
            put16(x + 2, 16);
            put32(x + 4, (uint32_t)m[i].len);
            put32(x + 8, 0);
            put32(x + 12, (uint32_t)clen);
            put32(x + 16, 0);
            pos += 20;
        }
        memcpy(buf + pos, comp, clen);
        pos += clen;
        free(comp);

        unsigned char *c = cd + cpos;
        put32(c, 0x02014b50u);
        put16(c + 4, 20);
        put16(c + 6, 20);
        put16(c + 8, 0);
        put16(c + 10, m[i].deflate ? 8 : 0);
        put16(c + 12, 0);
        put16(c + 14, 0x21);
        put32(c + 16, (uint32_t)crc);
        put32(c + 20, (uint32_t)clen);
        put32(c + 24, (uint32_t)m[i].len);
        put16(c + 28, (uint32_t)nl);
        put16(c + 30, 0);
        put16(c + 32, 0);
        put16(c + 34, 0);
        put16(c + 36, 0);
        put32(c + 38, 0);
        put32(c + 42, (uint32_t)off);
        memcpy(c + 46, m[i].name, nl);
        cpos += 46 + nl;
    }
    memcpy(buf + pos, cd, cpos);
    unsigned char *e = buf + pos + cpos;
    size_t cl = comment ? strlen(comment) : 0;
    put32(e, 0x06054b50u);
    put16(e + 4, 0);
    put16(e + 6, 0);
    put16(e + 8, (uint32_t)n);
    put16(e + 10, (uint32_t)n);
    put32(e + 12, (uint32_t)cpos);
    put32(e + 16, (uint32_t)pos);
    put16(e + 20, (uint32_t)cl);
    if (cl)
        memcpy(e + 22, comment, cl);
    free(cd);
    *out = buf;
    return pos + cpos + 22 + cl;
}

/* ---------------------------------------------------------------------------- */

static void test_textbook_files(void)
{
    nnc_array a, b;
    CHECK_OK(nnc_npz_read_file(DATA "ch08.train.npz", "data", &a, 0));
    CHECK(a.ndim == 2 && a.shape[0] == 500 && a.shape[1] == 1 && a.size == 500);
    CHECK_NEAR(a.data[0], 0.8262551124313884, 0);
    CHECK_NEAR(a.data[499], 0.15012978372954577, 0);
    nnc_array_free(&a);
    CHECK(a.data == NULL);
    CHECK_OK(nnc_npz_read_file(DATA "ch08.train.npz", "label", &b, 0));
    CHECK(b.ndim == 2 && b.shape[0] == 500 && b.shape[1] == 1);
    CHECK_NEAR(b.data[0], -0.883472143264025, 0);
    nnc_array_free(&b);

    CHECK_OK(nnc_npz_read_file(DATA "ch08.test.npz", "data", &a, 0));
    CHECK_OK(nnc_npz_read_file(DATA "ch08.test.npz", "label", &b, 0));
    CHECK(a.shape[0] == 100 && a.shape[1] == 1 && b.shape[0] == 100);
    if (a.size == 100 && b.size == 100) {
        CHECK(a.data[0] == 0.0);
        CHECK(a.data[99] == 1.0);
        CHECK_NEAR(a.data[1], 1.0 / 99, 1e-15);
        double worst = 0;
        for (int i = 0; i < 100; i++) {
            CHECK_NEAR(a.data[i], i / 99.0, 1e-15);
            double d = fabs(b.data[i] - sin(6.28 * a.data[i]));
            worst = d > worst ? d : worst;
        }
        CHECK_NEAR(worst, 0, 1e-12);
    }
    nnc_array_free(&a);
    nnc_array_free(&b);

    CHECK_OK(nnc_npz_read_file(DATA "ch09.train.npz", "data", &a, 0));
    CHECK(a.shape[0] == 1000 && a.shape[1] == 1);
    nnc_array_free(&a);
    CHECK_OK(nnc_npz_read_file(DATA "ch09-weights/sin_111/wb1.npz", "weights", &a, 0));
    CHECK(a.ndim == 2 && a.shape[0] == 1 && a.shape[1] == 1);
    CHECK_NEAR(a.data[0], -18.785038592589334, 0);
    nnc_array_free(&a);
    CHECK_OK(nnc_npz_read_file(DATA "ch09-weights/sin_111/w_2_1_Xavier_init.npz", "weights",
                               &a, 0));
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 1);
    CHECK_NEAR(a.data[1], -0.5531507343462596, 0);
    nnc_array_free(&a);

    /* missing key: the message lists what is there */
    a.data = (double *)&a; /* must stay untouched */
    CHECK_STATUS(nnc_npz_read_file(DATA "ch08.train.npz", "x", &a, 0), NNC_ERR_NOT_FOUND);
    CHECK_MSG("'x.npy'");
    CHECK_MSG("'data', 'label'");
    CHECK_MSG("ch08.train.npz");
    CHECK(a.data == (double *)&a);
    CHECK_STATUS(nnc_npz_read_file(DATA "no-such-file.npz", "data", &a, 0), NNC_ERR_IO);
    CHECK_MSG("no-such-file.npz");
    /* a .npz given where a .npy is expected, and the other way round */
    CHECK_STATUS(nnc_npy_read_file(DATA "ch08.train.npz", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("magic");
}

/* The writer reproduces numpy's file byte for byte. */
static void test_write_like_numpy(void)
{
    size_t len_ref, len_new;
    unsigned char *ref = read_all(DATA "ch09-weights/sin_111/wb1.npz", &len_ref);
    CHECK(ref != NULL);
    nnc_array arr[2];
    CHECK_OK(nnc_npz_read_file(DATA "ch09-weights/sin_111/wb1.npz", "weights", &arr[0], 0));
    CHECK_OK(nnc_npz_read_file(DATA "ch09-weights/sin_111/wb1.npz", "bias", &arr[1], 0));
    const char *keys[2] = {"weights", "bias"};
    CHECK_OK(nnc_npz_write_file(TMP "npy_wb1.npz", 2, keys, arr));
    unsigned char *mine = read_all(TMP "npy_wb1.npz", &len_new);
    CHECK(mine != NULL);
    CHECK(ref && mine && len_ref == len_new && memcmp(ref, mine, len_ref) == 0);
    free(ref);
    free(mine);
    nnc_array_free(&arr[0]);
    nnc_array_free(&arr[1]);
}

static void test_round_trip(void)
{
    double v0[1] = {-0.0};
    double v1[7] = {1.5, -2.25, 1e-310, 1e308, 0, 3.141592653589793, -1};
    double v2[6];
    double v4[16];
    uint64_t nan_bits = UINT64_C(0x7ff8000000000123);
    memcpy(&v2[0], &nan_bits, sizeof(double));
    v2[1] = HUGE_VAL;
    v2[2] = -HUGE_VAL;
    v2[3] = 0.1;
    v2[4] = 4.9e-324;
    v2[5] = -1e-300;
    for (int i = 0; i < 16; i++)
        v4[i] = i * 0.5 - 3;
    nnc_array in[5];
    memset(in, 0, sizeof in);
    in[0].ndim = 0;
    in[0].size = 1;
    in[0].data = v0;
    in[1].ndim = 1;
    in[1].shape[0] = 7;
    in[1].size = 7;
    in[1].data = v1;
    in[2].ndim = 2;
    in[2].shape[0] = 2;
    in[2].shape[1] = 3;
    in[2].size = 6;
    in[2].data = v2;
    in[3].ndim = 4;
    in[3].shape[0] = in[3].shape[1] = in[3].shape[2] = in[3].shape[3] = 2;
    in[3].size = 16;
    in[3].data = v4;
    in[4].ndim = 2;
    in[4].shape[0] = 0;
    in[4].shape[1] = 3;
    in[4].size = 0;
    in[4].data = NULL;
    const char *keys[5] = {"scalar", "vector", "matrix", "four_d", "empty"};
    CHECK_OK(nnc_npz_write_file(TMP "npy_round.npz", 5, keys, in));
    for (int k = 0; k < 5; k++) {
        nnc_array out;
        CHECK_OK(nnc_npz_read_file(TMP "npy_round.npz", keys[k], &out, 0));
        CHECK(out.ndim == in[k].ndim && out.size == in[k].size);
        for (int d = 0; d < in[k].ndim; d++)
            CHECK(out.shape[d] == in[k].shape[d]);
        if (out.size == in[k].size && in[k].size)
            CHECK(memcmp(out.data, in[k].data, in[k].size * sizeof(double)) == 0);
        nnc_array_free(&out);
    }
    /* every member's header is 64-byte aligned, as numpy writes it */
    size_t len;
    unsigned char *f = read_all(TMP "npy_round.npz", &len);
    CHECK(f && len > 40);
    if (f) {
        size_t hl = (size_t)f[30 + 10 + 8] | (size_t)f[30 + 10 + 9] << 8;
        CHECK((10 + hl) % 64 == 0);
        CHECK(f[30 + 10 + 10 + hl - 1] == '\n');
        const char *want = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
        CHECK(memcmp(f + 30 + 10 + 10, want, strlen(want)) == 0);
    }
    free(f);
    /* an empty archive */
    CHECK_OK(nnc_npz_write_file(TMP "npy_none.npz", 0, NULL, NULL));
    nnc_array out;
    CHECK_STATUS(nnc_npz_read_file(TMP "npy_none.npz", "a", &out, 0), NNC_ERR_NOT_FOUND);
    CHECK_MSG("keys present: none");

    /* bad writer arguments */
    const char *dup[2] = {"a", "a"};
    nnc_array two[2] = {in[1], in[1]};
    CHECK_STATUS(nnc_npz_write_file(TMP "npy_bad.npz", 2, dup, two), NNC_ERR_ARGUMENT);
    CHECK_MSG("twice");
    nnc_array wrong = in[2];
    wrong.size = 5;
    CHECK_STATUS(nnc_npz_write_file(TMP "npy_bad.npz", 1, keys, &wrong), NNC_ERR_ARGUMENT);
    CHECK_STATUS(nnc_npz_write_file(TMP "no-such-dir/x.npz", 1, keys, in), NNC_ERR_IO);
    struct stat st;
    CHECK(stat(TMP "npy_bad.npz", &st) != 0);
}

static void test_npy_variants(void)
{
    unsigned char buf[1024], data[64];
    nnc_array a;
    size_t n;

    /* keys in any order, double quotes, no trailing comma, 1-D and 0-d */
    for (int i = 0; i < 3; i++)
        put_f64(data + 8 * i, i + 0.5);
    n = make_npy(buf, 1, "{ \"shape\" : ( 3 , ) ,'fortran_order':False,'descr':'<f8'}\n",
                 data, 24);
    CHECK_OK(nnc_npy_read_memory(buf, n, "v1", &a, 0));
    CHECK(a.ndim == 1 && a.shape[0] == 3 && a.size == 3);
    CHECK_NEAR(a.data[2], 2.5, 0);
    nnc_array_free(&a);
    n = make_npy(buf, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }   \n",
                 data, 8);
    CHECK_OK(nnc_npy_read_memory(buf, n, "v2", &a, 0));
    CHECK(a.ndim == 0 && a.size == 1 && a.data[0] == 0.5);
    nnc_array_free(&a);
    n = make_npy(buf, 3, "{'descr': '=f8', 'fortran_order': False, 'shape': (3, 1), }\n",
                 data, 24);
    CHECK_OK(nnc_npy_read_memory(buf, n, "v3", &a, 0));
    CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 1 && a.data[1] == 1.5);
    nnc_array_free(&a);
    /* shape (0,): no data at all */
    n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }\n", NULL,
                 0);
    CHECK_OK(nnc_npy_read_memory(buf, n, "empty", &a, 0));
    CHECK(a.ndim == 1 && a.size == 0 && a.data != NULL);
    nnc_array_free(&a);
    /* fortran_order True with a single non-trivial axis has C layout too */
    n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 1), }\n", data,
                 24);
    CHECK_OK(nnc_npy_read_memory(buf, n, "column", &a, 0));
    CHECK(a.size == 3 && a.data[2] == 2.5);
    nnc_array_free(&a);

    /* the integer, unsigned, bool and float32 dtypes */
    static const struct {
        const char *descr;
        unsigned char bytes[8];
        double want;
    } kinds[] = {
        {"<f4", {0x00, 0x00, 0xc0, 0xbf}, -1.5},
        {"<i8", {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -2},
        {"<i4", {0x85, 0xff, 0xff, 0xff}, -123},
        {"<i2", {0x00, 0x80}, -32768},
        {"|i1", {0x80}, -128},
        {"|u1", {0xff}, 255},
        {"<u2", {0xff, 0xff}, 65535},
        {"<u4", {0xff, 0xff, 0xff, 0xff}, 4294967295.0},
        {"<u8", {0, 0, 0, 0, 0, 0, 0, 0x80}, 9223372036854775808.0},
        {"|b1", {0x01}, 1},
        {">u1", {0x07}, 7},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char header[128];
        snprintf(header, sizeof header,
                 "{'descr': '%s', 'fortran_order': False, 'shape': (1,), }\n",
                 kinds[k].descr);
        n = make_npy(buf, 1, header, kinds[k].bytes, (size_t)(kinds[k].descr[2] - '0'));
        nnc_status s = nnc_npy_read_memory(buf, n, kinds[k].descr, &a, 0);
        CHECK_OK(s);
        if (s == NNC_OK) {
            CHECK_NEAR(a.data[0], kinds[k].want, 0);
            nnc_array_free(&a);
        }
    }

    /* the same through a file */
    n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", data,
                 24);
    FILE *f = fopen(TMP "npy_file.npy", "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
        CHECK_OK(nnc_npy_read_file(TMP "npy_file.npy", &a, 0));
        CHECK(a.size == 3 && a.data[1] == 1.5);
        nnc_array_free(&a);
        CHECK_STATUS(nnc_npz_read_file(TMP "npy_file.npy", "data", &a, 0), NNC_ERR_FORMAT);
        CHECK_MSG("not a .npz");
    }
}

static void test_npy_errors(void)
{
    unsigned char buf[1024], data[64];
    memset(data, 0, sizeof data);
    nnc_array a;
    memset(&a, 0x5a, sizeof a);
    nnc_array keep = a;
    size_t n;
    const char *ok_header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\n";

    n = make_npy(buf, 1, ok_header, data, 32);
    buf[1] = 'M';
    CHECK_STATUS(nnc_npy_read_memory(buf, n, "m", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("magic");
    CHECK(memcmp(&a, &keep, sizeof a) == 0);

    n = make_npy(buf, 1, ok_header, data, 32);
    buf[6] = 4;
    CHECK_STATUS(nnc_npy_read_memory(buf, n, "m", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("version 4.0");

    n = make_npy(buf, 1, ok_header, data, 32);
    CHECK_STATUS(nnc_npy_read_memory(buf, n - 1, "short", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("truncated data");
    CHECK_STATUS(nnc_npy_read_memory(buf, 30, "short", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("truncated .npy header");
    CHECK_STATUS(nnc_npy_read_memory(buf, 5, "tiny", &a, 0), NNC_ERR_FORMAT);
    CHECK_STATUS(nnc_npy_read_memory(NULL, 0, "null", &a, 0), NNC_ERR_FORMAT);
    CHECK(memcmp(&a, &keep, sizeof a) == 0);

    static const struct {
        const char *header;
        const char *words;
    } bad[] = {
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }\n",
         "x.npz:data.npy: unsupported dtype '>f8' (nnc reads little-endian numbers)"},
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }\n", "fortran_order"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }\n", "dtype '|O'"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }\n", "dtype '<c16'"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }\n", "dtype '<f2'"},
        {"{'descr': '<U4', 'fortran_order': False, 'shape': (2, 2), }\n", "dtype '<U4'"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }\n",
         "structured"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 4), }\n",
         "more than 4 dimensions"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, "
         "4294967296), }\n",
         "overflow"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n",
         "too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 2), }\n", "shape"},
        {"{'descr': '<f8', 'fortran_order': False}\n", "'shape'"},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 2), }\n", "True or False"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'x': 1}\n",
         "unexpected key 'x'"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (2, 2), }\n", "expected ','"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)\n", "expected ','"},
        {"{'descr: '<f8', 'fortran_order': False, 'shape': (2, 2), }\n", "header"},
        {"['descr', '<f8']\n", "'{'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), } x\n", "after"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2 2), }\n", "shape"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", "truncated data"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        n = make_npy(buf, 1, bad[k].header, data, 32);
        nnc_status s = nnc_npy_read_memory(buf, n, "x.npz:data.npy", &a, 0);
        CHECK(s == NNC_ERR_FORMAT);
        if (!strstr(nnc_last_error(), bad[k].words)) {
            check_failures++;
            fprintf(stderr, "bad header %zu: message \"%s\" lacks \"%s\"\n", k,
                    nnc_last_error(), bad[k].words);
        }
        CHECK(memcmp(&a, &keep, sizeof a) == 0);
    }
    /* header length beyond the file */
    n = make_npy(buf, 1, ok_header, data, 32);
    put16(buf + 8, 2000);
    CHECK_STATUS(nnc_npy_read_memory(buf, n, "long", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("truncated .npy header");
    n = make_npy(buf, 2, ok_header, data, 32);
    put32(buf + 8, 0xffffffffu);
    CHECK_STATUS(nnc_npy_read_memory(buf, n, "long", &a, 0), NNC_ERR_FORMAT);

    /* every prefix and every single-byte change of a valid file: no crash */
    n = make_npy(buf, 1, ok_header, data, 32);
    for (size_t cut = 0; cut < n; cut++) {
        nnc_status s = nnc_npy_read_memory(buf, cut, "cut", &a, 0);
        CHECK(s == NNC_ERR_FORMAT);
    }
    for (size_t i = 0; i < n; i++) {
        for (int v = 0; v < 256; v += 51) {
            unsigned char c = buf[i];
            buf[i] = (unsigned char)v;
            if (nnc_npy_read_memory(buf, n, "mut", &a, 0) == NNC_OK)
                nnc_array_free(&a);
            buf[i] = c;
        }
    }
}

/* Every refusal of the header's dict, word for word: each step of its
 * parser (the dict, one entry, descr, fortran_order, shape and its
 * dimensions) says what it expected. */
static void test_npy_header_messages(void)
{
    static const struct {
        const char *header;
        const char *message;
    } bad[] = {
        {"['descr', '<f8']\n", "h.npy: header does not start with '{'"},
        {"{1: 2}\n", "h.npy: header: expected a quoted key or '}'"},
        {"{'descr' '<f8'}\n", "h.npy: header: expected ':' after a key"},
        {"{'descr': [('a', '<f8')]}\n",
         "h.npy: unsupported dtype (a structured record; nnc reads plain numbers)"},
        {"{'descr': f8}\n", "h.npy: header: 'descr' is not a quoted string"},
        {"{'descr': '<f8', 'fortran_order': Falsey}\n",
         "h.npy: header: 'fortran_order' is not True or False"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [2]}\n",
         "h.npy: header: 'shape' is not a tuple"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, x)}\n",
         "h.npy: header: 'shape' holds something other than non-negative integers"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}\n",
         "h.npy: header: a dimension of 'shape' is too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1)}\n",
         "h.npy: 'shape' has more than 4 dimensions (nnc reads up to 4)"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2 2)}\n",
         "h.npy: header: 'shape' tuple is not closed"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,) 'x'}\n",
         "h.npy: header: expected ',' or '}' after a value"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'order': 1}\n",
         "h.npy: header: unexpected key 'order'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} }\n",
         "h.npy: header: unexpected text after the closing '}'"},
        {"{'descr': '<f8', 'shape': (2,)}\n", "h.npy: header lacks the key 'fortran_order'"},
        {"{}\n", "h.npy: header lacks the key 'descr'"},
    };
    unsigned char buf[1024], data[16];
    memset(data, 0, sizeof data);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        nnc_array a;
        size_t n = make_npy(buf, 1, bad[k].header, data, 16);
        CHECK_STATUS(nnc_npy_read_memory(buf, n, "h.npy", &a, 0), NNC_ERR_FORMAT);
        if (strcmp(nnc_last_error(), bad[k].message) != 0) {
            check_failures++;
            fprintf(stderr, "header %zu: message \"%s\", want \"%s\"\n", k,
                    nnc_last_error(), bad[k].message);
        }
    }
    /* the shape's grammar: a trailing comma, "()" for a scalar, Python 2's 'L' */
    static const char *good[] = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': ( 1 , 2 ) }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,)}\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n",
    };
    static const size_t good_size[] = {2, 2, 2, 1};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        nnc_array a;
        size_t n = make_npy(buf, 1, good[k], data, 16);
        CHECK_STATUS(nnc_npy_read_memory(buf, n, "h.npy", &a, 0), NNC_OK);
        CHECK(a.size == good_size[k]);
        nnc_array_free(&a);
    }
}

static void test_npz_variants(void)
{
    unsigned char npy1[512], npy2[4096], data[2048];
    for (int i = 0; i < 256; i++)
        put_f64(data + 8 * i, sin(i * 0.1));
    size_t n1 = make_npy(npy1, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n",
                         data, 16);
    size_t n2 = make_npy(npy2, 1,
                         "{'descr': '<f8', 'fortran_order': False, 'shape': (64, 4), }\n",
                         data, 2048);
    member m[2] = {{"small.npy", npy1, n1, 0, 0}, {"big.npy", npy2, n2, 1, 0}};
    unsigned char *zip;
    size_t zlen = make_zip(&zip, m, 2, "a comment at the end");
    nnc_array a;
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0));
    CHECK(a.ndim == 2 && a.shape[0] == 64 && a.shape[1] == 4);
    if (a.size == 256)
        for (int i = 0; i < 256; i += 17)
            CHECK_NEAR(a.data[i], sin(i * 0.1), 0);
    nnc_array_free(&a);
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "mem.npz", "small", &a, 0));
    CHECK(a.size == 2 && a.data[1] == sin(0.1));
    nnc_array_free(&a);

    /* the compressed member really is compressed; a wrong CRC is caught */
    size_t big_off = 30 + 9 + n1;
    CHECK(zip[big_off + 8] == 8);
    zip[big_off + 14] ^= 1; /* local CRC is not used ... */
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0));
    nnc_array_free(&a);
    zip[big_off + 14] ^= 1;
    size_t cd_off = zlen - 22 - strlen("a comment at the end") - (46 + 9) - (46 + 7);
    CHECK(zip[cd_off] == 'P' && zip[cd_off + 1] == 'K' && zip[cd_off + 2] == 1);
    zip[cd_off + 16] ^= 1; /* ... the directory's is */
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "small", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("mem.npz:small.npy: CRC-32 mismatch");
    zip[cd_off + 16] ^= 1;
    /* corrupt deflate data */
    unsigned char keep = zip[big_off + 30 + 7 + 3];
    zip[big_off + 30 + 7 + 3] ^= 0xff;
    nnc_status s = nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0);
    CHECK(s == NNC_ERR_FORMAT);
    if (s == NNC_OK)
        nnc_array_free(&a);
    zip[big_off + 30 + 7 + 3] = keep;
    /* a size in the directory that disagrees with the stream */
    size_t cd_big = cd_off + 46 + 9;
    put32(zip + cd_big + 24, (uint32_t)(n2 - 8));
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("size differs");
    put32(zip + cd_big + 24, (uint32_t)(n2 + 8));
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0), NNC_ERR_FORMAT);
    /* a "deflate bomb": the directory promises 3 GiB */
    put32(zip + cd_big + 24, 0xc0000000u);
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("limit");
    put32(zip + cd_big + 24, (uint32_t)n2);
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0));
    nnc_array_free(&a);
    /* unsupported method, encryption */
    put16(zip + cd_big + 10, 12);
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("method 12");
    put16(zip + cd_big + 10, 8);
    put16(zip + cd_big + 8, 1);
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "mem.npz", "big", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("encrypted");
    put16(zip + cd_big + 8, 0);
    /* every truncation fails cleanly (the comment can be cut: not found) */
    for (size_t cut = 0; cut + 22 + 20 < zlen; cut++) {
        s = nnc_npz_read_memory(zip, cut, "cut.npz", "big", &a, 0);
        CHECK(s == NNC_ERR_FORMAT);
        if (s == NNC_OK)
            nnc_array_free(&a);
    }
    /* every single-byte change: no crash, no leak */
    for (size_t i = 0; i < zlen; i++) {
        unsigned char c = zip[i];
        zip[i] = (unsigned char)(c ^ 0xa5);
        if (nnc_npz_read_memory(zip, zlen, "mut.npz", "big", &a, 0) == NNC_OK)
            nnc_array_free(&a);
        if (nnc_npz_read_memory(zip, zlen, "mut.npz", "small", &a, 0) == NNC_OK)
            nnc_array_free(&a);
        zip[i] = c;
    }
    free(zip);

    /* numpy >= 1.15's local headers: 0xffffffff sizes and a zip64 extra */
    member z[1] = {{"data.npy", npy1, n1, 0, 1}};
    zlen = make_zip(&zip, z, 1, NULL);
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "z64.npz", "data", &a, 0));
    CHECK(a.size == 2);
    nnc_array_free(&a);
    free(zip);
}

/* Deflated members are converted as they are inflated, in chunks: values
 * split across chunks come out exact, and the limit counts the doubles. */
static void test_npz_streaming(void)
{
    size_t count = 100003, dlen = count * 8;
    unsigned char *npy = malloc(dlen + 256), *data = malloc(dlen);
    CHECK(npy && data);
    if (!npy || !data) {
        free(npy);
        free(data);
        return;
    }
    for (size_t i = 0; i < count; i++)
        put_f64(data + 8 * i, (double)i * 0.5 - 7.25);
    /* an unpadded header: the data starts at an odd offset, so elements
     * straddle the inflate chunks */
    size_t n = make_npy(npy, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100003,), }\n",
                        data, dlen);
    CHECK(n % 2 == 1);
    member m[1] = {{"data.npy", npy, n, 1, 0}};
    unsigned char *zip;
    size_t zlen = make_zip(&zip, m, 1, NULL);
    nnc_array a;
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "s.npz", "data", &a, (size_t)1 << 20));
    CHECK(a.size == count);
    int exact = a.size == count;
    for (size_t i = 0; exact && i < count; i++)
        exact = a.data[i] == (double)i * 0.5 - 7.25;
    CHECK(exact);
    nnc_array_free(&a);
    /* 800 KB of doubles under a 512 KB limit */
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "s.npz", "data", &a, (size_t)512 << 10),
                 NNC_ERR_FORMAT);
    CHECK_MSG("s.npz: member 'data.npy' would need 781 KB (limit 512 KB; see --max-memory)");
    free(zip);

    /* uint8 pixels: one byte each in the file, eight as doubles */
    for (size_t i = 0; i < count; i++)
        data[i] = (unsigned char)(i * 7);
    n = make_npy(npy, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (100003,), }\n",
                 data, count);
    m[0].len = n;
    zlen = make_zip(&zip, m, 1, NULL);
    CHECK_OK(nnc_npz_read_memory(zip, zlen, "u.npz", "data", &a, 0));
    exact = a.size == count;
    for (size_t i = 0; exact && i < count; i++)
        exact = a.data[i] == (double)(unsigned char)(i * 7);
    CHECK(exact);
    nnc_array_free(&a);
    CHECK_STATUS(nnc_npz_read_memory(zip, zlen, "u.npz", "data", &a, (size_t)400 << 10),
                 NNC_ERR_FORMAT);
    CHECK_MSG("u.npz: member 'data.npy' would need 781 KB (limit 400 KB");
    free(zip);

    /* an empty array of (0, 2^62): no values, but no such rows either */
    n = make_npy(npy, 1,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904), }\n",
                 NULL, 0);
    CHECK_STATUS(nnc_npy_read_memory(npy, n, "e.npy", &a, 0), NNC_ERR_FORMAT);
    CHECK_MSG("e.npy: 'shape' is too large");
    free(npy);
    free(data);
}

int main(void)
{
    test_textbook_files();
    test_write_like_numpy();
    test_round_trip();
    test_npy_variants();
    test_npy_errors();
    test_npy_header_messages();
    test_npz_variants();
    test_npz_streaming();
    return check_report("test_npy");
}
