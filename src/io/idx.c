/* IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed
 * (untrusted input).
 *
 *   0  0x00 0x00        magic
 *   2  dtype            0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
 *   3  ndim             1 … NNC_ARRAY_MAX_DIMS here
 *   4  ndim × u32       the dimensions, big-endian, each nonzero
 *      then the values, big-endian, row-major, exactly as many as the
 *      dimensions call for.
 *
 * A gzip file (magic 1f 8b) is inflated as a stream, never as a whole: the
 * header first, then exactly the bytes it declares, decoded chunk by chunk
 * into the destination; more data, less data, bytes after the gzip stream or
 * a bad CRC are refused.  The declared size is checked before anything is
 * allocated, against nnc's limit and against what the compressed bytes can
 * possibly hold (deflate expands at most 1032 : 1), so a deflate bomb is
 * refused at once.  A gzip file may hold several members one after the
 * other (`cat a.gz b.gz`): their data is read as one, as zcat does.
 */
#include "inflate.h"
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDX_MAX_DATA ((size_t)1 << 31)   /* bytes of values after the header */
#define IDX_MAX_FILE (IDX_MAX_DATA + 64) /* a raw file: header + values */
#define DEFLATE_MAX_RATIO 1032           /* deflate's largest expansion */
#define IDX_MAX_CLASSES 65536
#define CHUNK 65536                      /* bytes decoded per step */

/* ------------------------------------------------------------------ */
/* A byte source: the file itself, or its gzip stream inflated          */
/* ------------------------------------------------------------------ */

typedef struct idx_source {
    const char *what;
    const unsigned char *b;
    size_t len;
    int gz;
    size_t pos;        /* raw: the next byte */
    nnc_inflate z;     /* gz: the stream, its members read as one */
    size_t produced;   /* bytes of IDX data delivered so far */
} idx_source;

/* " of the inflated data" after a byte offset in a gzip file. */
static const char *where(const idx_source *s) { return s->gz ? " of the inflated data" : ""; }

static nnc_status src_open(idx_source *s, const void *bytes, size_t len, const char *what)
{
    memset(s, 0, sizeof *s);
    s->what = what;
    s->b = bytes ? bytes : (const unsigned char *)"";
    s->len = len;
    s->gz = len >= 2 && s->b[0] == 0x1f && s->b[1] == 0x8b;
    if (!s->gz)
        return NNC_OK;
    return nnc_inflate_open(&s->z, s->b, len, NNC_INFLATE_GZIP | NNC_INFLATE_MEMBERS, what);
}

/* (a raw file's z is all zeros: nothing to close) */
static void src_close(idx_source *s) { nnc_inflate_close(&s->z); }

/* Up to n bytes into dst; *got < n only at the end of the data. */
static nnc_status src_read(idx_source *s, unsigned char *dst, size_t n, size_t *got)
{
    *got = 0;
    if (!s->gz) {
        size_t k = s->len - s->pos < n ? s->len - s->pos : n;
        memcpy(dst, s->b + s->pos, k);
        s->pos += k;
        s->produced += k;
        *got = k;
        return NNC_OK;
    }
    nnc_status st = nnc_inflate_read(&s->z, dst, n, got);
    s->produced += *got;
    if (st != NNC_OK && s->z.fault == NNC_INFLATE_TRUNCATED)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated gzip file (the stream stops after %zu bytes of "
                        "inflated data)",
                        s->what, s->produced);
    if (st != NNC_OK && s->z.fault == NNC_INFLATE_CORRUPT)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: corrupt gzip data: %s (at byte offset %zu of the inflated "
                        "data)",
                        s->what, s->z.zmsg ? s->z.zmsg : "invalid stream", s->produced);
    return st;
}

/* After the declared data: nothing more may follow. */
static nnc_status src_finish(idx_source *s)
{
    if (!s->gz) {
        if (s->pos < s->len)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: %zu bytes after the data the header declares (from byte "
                            "offset %zu)",
                            s->what, s->len - s->pos, s->pos);
        return NNC_OK;
    }
    unsigned char extra;
    size_t got;
    nnc_status st = src_read(s, &extra, 1, &got);
    if (st != NNC_OK)
        return st;
    if (got)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the inflated data goes on past byte offset %zu, where the "
                        "data the header declares ends",
                        s->what, s->produced - 1);
    size_t rest = (size_t)nnc_inflate_unread(&s->z);
    if (rest)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: %zu bytes after the end of the gzip stream (from byte offset "
                        "%zu of the file)",
                        s->what, rest, s->len - rest);
    return NNC_OK;
}

/* ------------------------------------------------------------------ */
/* The header                                                          */
/* ------------------------------------------------------------------ */

typedef struct idx_header {
    int dtype;
    size_t item; /* bytes per value */
    int ndim;
    size_t dims[NNC_ARRAY_MAX_DIMS];
    size_t count; /* values */
    size_t bytes; /* count · item */
    size_t header_len;
} idx_header;

static const char *dtype_name(int dtype)
{
    switch (dtype) {
    case 0x08: return "u8";
    case 0x09: return "i8";
    case 0x0B: return "i16";
    case 0x0C: return "i32";
    case 0x0D: return "f32";
    case 0x0E: return "f64";
    }
    return "?";
}

static size_t dtype_size(int dtype)
{
    switch (dtype) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* "60000 x 28 x 28 u8" */
static const char *shape_text(const idx_header *h, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < h->ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu", i ? " x " : "", h->dims[i]);
    if (n < size)
        snprintf(buf + n, size - n, " %s", dtype_name(h->dtype));
    return buf;
}

/* Reads and checks the header; the data's size is checked against the
 * input before anything is allocated. */
static nnc_status read_header(idx_source *s, idx_header *h)
{
    memset(h, 0, sizeof *h);
    unsigned char b[4 + 4 * NNC_ARRAY_MAX_DIMS];
    size_t got;
    nnc_status st = src_read(s, b, 4, &got);
    if (st != NNC_OK)
        return st;
    if (got < 4)
        return nnc_fail(NNC_ERR_FORMAT, "%s: %zu bytes%s, too short for an IDX header",
                        s->what, got, s->gz ? " after gunzip" : "");
    if (b[0] != 0 || b[1] != 0)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: not an IDX file (bytes 0-1%s are %02x %02x, expected 00 00)",
                        s->what, where(s), b[0], b[1]);
    h->dtype = b[2];
    h->item = dtype_size(h->dtype);
    if (!h->item)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: unknown IDX data type 0x%02x at byte offset 2%s (nnc reads "
                        "08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64)",
                        s->what, b[2], where(s));
    h->ndim = b[3];
    if (h->ndim < 1 || h->ndim > NNC_ARRAY_MAX_DIMS)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: %d dimensions at byte offset 3%s (nnc reads 1 to %d)", s->what,
                        h->ndim, where(s), NNC_ARRAY_MAX_DIMS);
    size_t dl = 4 * (size_t)h->ndim;
    st = src_read(s, b + 4, dl, &got);
    if (st != NNC_OK)
        return st;
    if (got < dl)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated IDX header (%d dimensions need %zu bytes, %zu "
                        "present%s)",
                        s->what, h->ndim, 4 + dl, 4 + got, s->gz ? " after gunzip" : "");
    h->header_len = 4 + dl;
    size_t count = 1;
    for (int i = 0; i < h->ndim; i++) {
        h->dims[i] = be32(b + 4 + 4 * i);
        if (h->dims[i] == 0)
            return nnc_fail(NNC_ERR_FORMAT, "%s: dimension %d (byte offset %d%s) is 0",
                            s->what, i + 1, 4 + 4 * i, where(s));
        if (count > IDX_MAX_DATA / h->dims[i])
            count = IDX_MAX_DATA + 1; /* too large; reported below */
        else
            count *= h->dims[i];
    }
    char shape[96];
    if (count > IDX_MAX_DATA / h->item)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the header declares %s, more than nnc's limit of %zu bytes of "
                        "data",
                        s->what, shape_text(h, shape, sizeof shape), IDX_MAX_DATA);
    h->count = count;
    h->bytes = count * h->item;
    if (!s->gz && h->bytes != s->len - h->header_len)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the header declares %s (%zu bytes of data), the file holds %zu "
                        "bytes after its %zu-byte header",
                        s->what, shape_text(h, shape, sizeof shape), h->bytes,
                        s->len - h->header_len, h->header_len);
    if (s->gz && (h->bytes + h->header_len) / DEFLATE_MAX_RATIO > s->len)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the header declares %s (%zu bytes of data), more than a %zu-byte "
                        "gzip file can hold (a deflate bomb, or a truncated file)",
                        s->what, shape_text(h, shape, sizeof shape), h->bytes, s->len);
    return NNC_OK;
}

/* ------------------------------------------------------------------ */
/* The values                                                          */
/* ------------------------------------------------------------------ */

static double be_value(const unsigned char *p, int dtype)
{
    switch (dtype) {
    case 0x08: return (double)p[0];
    case 0x09: return (double)(int8_t)p[0];
    case 0x0B: return (double)(int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
    case 0x0C: return (double)(int32_t)be32(p);
    case 0x0D: {
        uint32_t u = be32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        return (double)f;
    }
    default: {
        uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    }
}

/* Decodes the declared values into dd (doubles, as read) or dr (nnc_real,
 * times scale, finite), then checks that nothing follows. */
static nnc_status decode(idx_source *s, const idx_header *h, double *dd, nnc_real *dr,
                         double scale, size_t row_width, const char *row_word)
{
    unsigned char *chunk = malloc(CHUNK);
    if (!chunk)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", s->what);
    size_t per = CHUNK / h->item, done = 0;
    nnc_status st = NNC_OK;
    while (done < h->count) {
        size_t n = h->count - done < per ? h->count - done : per, got;
        st = src_read(s, chunk, n * h->item, &got);
        if (st != NNC_OK)
            break;
        if (got < n * h->item) {
            char shape[96];
            st = nnc_fail(NNC_ERR_FORMAT,
                          "%s: the data ends at byte offset %zu%s, but the header declares "
                          "%s (%zu bytes of data after the %zu-byte header)",
                          s->what, s->produced, where(s), shape_text(h, shape, sizeof shape),
                          h->bytes, h->header_len);
            break;
        }
        if (dd) {
            for (size_t i = 0; i < n; i++)
                dd[done + i] = be_value(chunk + i * h->item, h->dtype);
        } else {
            for (size_t i = 0; i < n; i++) {
                nnc_real v = (nnc_real)(be_value(chunk + i * h->item, h->dtype) * scale);
                if (!isfinite(v)) {
                    size_t k = done + i;
                    st = nnc_fail(NNC_ERR_FORMAT,
                                  "%s: %s %zu (value at byte offset %zu%s) is NaN or "
                                  "infinite%s",
                                  s->what, row_word, k / row_width + 1,
                                  h->header_len + k * h->item, where(s),
                                  sizeof(nnc_real) < sizeof(double)
                                      ? " (or beyond float once scaled)"
                                      : " once scaled");
                    break;
                }
                dr[done + i] = v;
            }
            if (st != NNC_OK)
                break;
        }
        done += n;
    }
    free(chunk);
    if (st == NNC_OK)
        st = src_finish(s);
    return st;
}

nnc_status nnc_idx_read_memory(const void *bytes, size_t len, const char *what,
                               nnc_array *out, size_t max_memory)
{
    if (!what)
        what = "IDX data";
    if (!out || (!bytes && len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_idx_read_memory: NULL argument", what);
    idx_source s;
    idx_header h;
    nnc_status st = src_open(&s, bytes, len, what);
    if (st == NNC_OK)
        st = read_header(&s, &h);
    double *data = NULL;
    size_t limit = nnc_memory_limit(max_memory);
    if (st == NNC_OK && h.count > limit / sizeof *data)
        st = nnc_refuse_size(what, "the values as doubles", h.count * sizeof *data, limit);
    if (st == NNC_OK) {
        data = malloc(h.count * sizeof *data); /* no overflow: count <= 2^31 */
        if (!data)
            st = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory for %zu values", what, h.count);
    }
    if (st == NNC_OK)
        st = decode(&s, &h, data, NULL, 1.0, 1, "value");
    src_close(&s);
    if (st != NNC_OK) {
        free(data);
        return st;
    }
    memset(out, 0, sizeof *out);
    out->ndim = h.ndim;
    for (int i = 0; i < h.ndim; i++)
        out->shape[i] = h.dims[i];
    out->size = h.count;
    out->data = data;
    return NNC_OK;
}

nnc_status nnc_idx_read_file(const char *path, nnc_array *out, size_t max_memory)
{
    if (!path || !out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_idx_read_file: NULL argument");
    unsigned char *bytes;
    size_t len, left;
    nnc_status st = nnc_read_input(path, max_memory, IDX_MAX_FILE, &bytes, &len, &left);
    if (st != NNC_OK)
        return st;
    st = nnc_idx_read_memory(bytes, len, path, out, left);
    free(bytes);
    return st;
}

/* ------------------------------------------------------------------ */
/* An images + labels pair as a dataset                                */
/* ------------------------------------------------------------------ */

/* Checks the labels: one dimension of integer classes in range; sets
 * *classes (n_classes, or the largest label + 1). */
static nnc_status check_labels(const nnc_array *lab, const char *path, int n_classes,
                               int *classes)
{
    if (lab->ndim != 1)
        return nnc_fail(NNC_ERR_SHAPE,
                        "%s: labels have %d dimensions, expected 1 (one class per image)",
                        path, lab->ndim);
    double hi = 0;
    for (size_t i = 0; i < lab->size; i++) {
        double v = lab->data[i];
        if (!(v >= 0) || v != floor(v) || v >= IDX_MAX_CLASSES ||
            (n_classes > 0 && v >= n_classes))
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: label %zu is %.17g, not a class from 0 to %d", path, i + 1,
                            v, n_classes > 0 ? n_classes - 1 : IDX_MAX_CLASSES - 1);
        hi = v > hi ? v : hi;
    }
    *classes = n_classes > 0 ? n_classes : (int)hi + 1;
    return NNC_OK;
}

nnc_status nnc_dataset_load_idx(nnc_dataset **out, const char *images_path,
                                const char *labels_path, double scale, int n_classes,
                                size_t max_memory)
{
    if (!out || !images_path || !labels_path)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_load_idx: NULL argument");
    size_t limit = nnc_memory_limit(max_memory);
    unsigned char *lbytes = NULL, *ibytes = NULL;
    size_t llen = 0, ilen = 0;
    nnc_status st =
        nnc_read_file(labels_path, limit < IDX_MAX_FILE ? limit : IDX_MAX_FILE, &lbytes, &llen);
    if (st != NNC_OK)
        return st;
    size_t left = nnc_memory_left(limit, llen);
    st = nnc_read_file(images_path, left < IDX_MAX_FILE ? left : IDX_MAX_FILE, &ibytes, &ilen);
    if (st == NNC_OK)
        st = nnc_dataset_load_idx_memory(out, ibytes, ilen, images_path, lbytes, llen,
                                         labels_path, scale, n_classes,
                                         nnc_memory_left(left, ilen));
    free(lbytes);
    free(ibytes);
    return st;
}

nnc_status nnc_dataset_load_idx_memory(nnc_dataset **out, const void *images,
                                       size_t images_len, const char *images_path,
                                       const void *labels, size_t labels_len,
                                       const char *labels_path, double scale, int n_classes,
                                       size_t max_memory)
{
    if (!images_path)
        images_path = "IDX images";
    if (!labels_path)
        labels_path = "IDX labels";
    if (!out || (!images && images_len > 0) || (!labels && labels_len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_dataset_load_idx_memory: NULL argument");
    if (!isfinite(scale))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: the scale of the pixels is not finite",
                        images_path);
    if (n_classes < 0 || n_classes > IDX_MAX_CLASSES)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: %d classes (give 1 to %d, or 0: the largest label + 1)",
                        labels_path, n_classes, IDX_MAX_CLASSES);
    size_t limit = nnc_memory_limit(max_memory);
    nnc_array lab;
    nnc_status st = nnc_idx_read_memory(labels, labels_len, labels_path, &lab, limit);
    if (st != NNC_OK)
        return st;
    int classes = 0;
    st = check_labels(&lab, labels_path, n_classes, &classes);
    if (st != NNC_OK) {
        nnc_array_free(&lab);
        return st;
    }

    idx_source s;
    idx_header h;
    nnc_dataset *ds = NULL;
    st = src_open(&s, images, images_len, images_path);
    if (st == NNC_OK)
        st = read_header(&s, &h);
    size_t rows = 0, width = 1;
    if (st == NNC_OK) {
        rows = h.dims[0];
        for (int i = 1; i < h.ndim; i++)
            width *= h.dims[i]; /* no overflow: the product is within IDX_MAX_DATA */
        if (rows != lab.size)
            st = nnc_fail(NNC_ERR_SHAPE, "%s has %zu images but %s has %zu labels",
                          images_path, rows, labels_path, lab.size);
        else if (rows > INT_MAX || width > INT_MAX || width > INT_MAX / rows ||
                 (size_t)classes > INT_MAX / rows)
            st = nnc_fail(NNC_ERR_FORMAT,
                          "%s: %zu images of %zu values (%d classes) are too many for a "
                          "dataset (rows x width < 2^31)",
                          images_path, rows, width, classes);
    }
    if (st == NNC_OK) {
        /* the pixels and the one-hot labels, beside the labels read */
        size_t need = rows * (width + (size_t)classes) * sizeof(nnc_real);
        size_t held = lab.size * sizeof(double);
        if (need > nnc_memory_left(limit, held)) {
            char thing[120];
            snprintf(thing, sizeof thing,
                     "%zu images of %zu values with one-hot labels of %d classes", rows,
                     width, classes);
            st = nnc_refuse_size(images_path, thing, need + held, limit);
        }
    }
    if (st == NNC_OK)
        st = nnc_dataset_alloc(&ds, (int)rows, (int)width, classes, images_path);
    if (st == NNC_OK) {
        st = decode(&s, &h, NULL, nnc_dataset_x_mutable(ds), scale, width, "image");
        if (st == NNC_OK) {
            nnc_real *Y = nnc_dataset_y_mutable(ds);
            memset(Y, 0, rows * (size_t)classes * sizeof *Y);
            for (size_t r = 0; r < rows; r++)
                Y[r * (size_t)classes + (size_t)lab.data[r]] = 1;
        }
    }
    src_close(&s);
    nnc_array_free(&lab);
    if (st != NNC_OK) {
        nnc_dataset_free(ds);
        return st;
    }
    *out = ds;
    return NNC_OK;
}
