/* NumPy .npy and .npz files: reading (untrusted input) and writing.
 *
 * .npy (all integers little-endian):
 *   0  "\x93NUMPY"            magic, 6 bytes
 *   6  major, minor           1.0: 2-byte header length; 2.0 and 3.0: 4-byte
 *   8  header length          then that many bytes of a Python dict literal:
 *      {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }
 *      padded with spaces and ending in '\n'; the raw data follows.
 *
 * .npz is a zip archive with one "<key>.npy" member per array.  The records
 * read here (offsets in bytes from the record's signature):
 *   end of central directory, signature 0x06054b50, 22 bytes + comment:
 *     10 total entries (2)  12 directory size (4)  16 directory offset (4)
 *     20 comment length (2)
 *   zip64 locator, 0x07064b50, 20 bytes, just before the record above:
 *     8 offset of the zip64 end record (8)
 *   zip64 end of central directory, 0x06064b50:
 *     32 total entries (8)  40 directory size (8)  48 directory offset (8)
 *   central directory entry, 0x02014b50, 46 bytes + name + extra + comment:
 *     4 made by (2)  6 needed (2)  8 flags (2)  10 method (2)  12 time (2)
 *     14 date (2)  16 CRC-32 (4)  20 compressed size (4)  24 size (4)
 *     28 name length (2)  30 extra length (2)  32 comment length (2)
 *     34 disk (2)  36 internal attributes (2)  38 external attributes (4)
 *     42 local header offset (4)  46 name
 *     A zip64 extra field (id 1) holds, in this order, the 8-byte size,
 *     compressed size and offset whose 4-byte fields read 0xffffffff.
 *   local header, 0x04034b50, 30 bytes + name + extra, then the data:
 *     4 needed (2)  6 flags (2)  8 method (2)  10 time (2)  12 date (2)
 *     14 CRC-32 (4)  18 compressed size (4)  22 size (4)
 *     26 name length (2)  28 extra length (2)  30 name
 *   Sizes and CRC are taken from the central directory: numpy's own writer
 *   puts 0xffffffff plus a zip64 extra field in the local header, and
 *   streaming writers put zeros there (flag bit 3).
 */
#include "inflate.h"
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Largest file read whole, and largest member inflated (deflate bombs). */
#define NPY_MAX_FILE ((size_t)1 << 31)
#define NPZ_MAX_INFLATED ((size_t)1 << 30)

void nnc_array_free(nnc_array *array)
{
    if (!array)
        return;
    free(array->data);
    memset(array, 0, sizeof *array);
}

/* ------------------------------------------------------------------ */
/* Little-endian helpers                                               */
/* ------------------------------------------------------------------ */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static unsigned char *wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
    return p + 2;
}

static unsigned char *wr32(unsigned char *p, uint32_t v)
{
    nnc_put_le32(p, v);
    return p + 4;
}

static unsigned char *wr64(unsigned char *p, uint64_t v)
{
    nnc_put_le64(p, v);
    return p + 8;
}


/* ------------------------------------------------------------------ */
/* .npy header: a Python dict literal                                  */
/* ------------------------------------------------------------------ */

typedef struct npy_header {
    int have_descr, have_order, have_shape;
    char descr[16];  /* printable copy, possibly shortened */
    size_t descr_len; /* real length */
    int fortran;
    int ndim;
    size_t shape[NNC_ARRAY_MAX_DIMS];
} npy_header;

typedef struct cursor {
    const unsigned char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' ||
                             *c->p == '\r'))
        c->p++;
}

/* A quoted string ('...' or "..."); sets *s, *n to its contents.  Escapes
 * are not needed by any key or dtype numpy writes, so a backslash fails. */
static int parse_string(cursor *c, const unsigned char **s, size_t *n)
{
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    unsigned char q = *c->p++;
    const unsigned char *start = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\')
            return 0;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    *s = start;
    *n = (size_t)(c->p - start);
    c->p++;
    return 1;
}

static int match_word(cursor *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return 0;
    /* the word must end here */
    if ((size_t)(c->end - c->p) > n) {
        unsigned char next = c->p[n];
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
            (next >= '0' && next <= '9') || next == '_')
            return 0;
    }
    c->p += n;
    return 1;
}

/* Takes the character ch if it comes next. */
static int take(cursor *c, unsigned char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* After an item of a list that `close` ends: 1 when a ',' leads to the next
 * item, 0 when `close` ends the list, -1 when neither follows. */
static int after_item(cursor *c, unsigned char close)
{
    skip_ws(c);
    if (take(c, ','))
        return 1;
    if (take(c, close))
        return 0;
    return -1;
}

/* The value of 'descr': the dtype string (a list would be a structured record). */
static int parse_descr(cursor *c, npy_header *h, char *why, size_t why_size)
{
    const unsigned char *v;
    size_t vlen;
    if (c->p < c->end && *c->p == '[') {
        snprintf(why, why_size,
                 "unsupported dtype (a structured record; nnc reads plain numbers)");
        return 0;
    }
    if (!parse_string(c, &v, &vlen)) {
        snprintf(why, why_size, "header: 'descr' is not a quoted string");
        return 0;
    }
    nnc_printable(v, vlen, 0, h->descr, sizeof h->descr);
    h->descr_len = vlen;
    h->have_descr = 1;
    return 1;
}

/* The value of 'fortran_order': True or False. */
static int parse_fortran_order(cursor *c, npy_header *h, char *why, size_t why_size)
{
    if (match_word(c, "True"))
        h->fortran = 1;
    else if (match_word(c, "False"))
        h->fortran = 0;
    else {
        snprintf(why, why_size, "header: 'fortran_order' is not True or False");
        return 0;
    }
    h->have_order = 1;
    return 1;
}

/* One dimension of 'shape': a non-negative decimal integer that fits a
 * size_t, with Python 2's 'L' suffix allowed. */
static int parse_dimension(cursor *c, size_t *dim, char *why, size_t why_size)
{
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
        snprintf(why, why_size, "header: 'shape' holds something other than "
                                "non-negative integers");
        return 0;
    }
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (SIZE_MAX - d) / 10) {
            snprintf(why, why_size, "header: a dimension of 'shape' is too large");
            return 0;
        }
        v = v * 10 + d;
        c->p++;
    }
    take(c, 'L'); /* Python 2 long */
    *dim = v;
    return 1;
}

/* The value of 'shape': a tuple of dimensions, "()" for a scalar, a trailing
 * comma allowed. */
static int parse_shape(cursor *c, npy_header *h, char *why, size_t why_size)
{
    if (!take(c, '(')) {
        snprintf(why, why_size, "header: 'shape' is not a tuple");
        return 0;
    }
    int nd = 0;
    for (;;) {
        skip_ws(c);
        if (take(c, ')'))
            break;
        size_t dim;
        if (!parse_dimension(c, &dim, why, why_size))
            return 0;
        if (nd == NNC_ARRAY_MAX_DIMS) {
            snprintf(why, why_size,
                     "'shape' has more than %d dimensions (nnc reads up to %d)",
                     NNC_ARRAY_MAX_DIMS, NNC_ARRAY_MAX_DIMS);
            return 0;
        }
        h->shape[nd++] = dim;
        int more = after_item(c, ')');
        if (more < 0) {
            snprintf(why, why_size, "header: 'shape' tuple is not closed");
            return 0;
        }
        if (!more)
            break;
    }
    /* "(5)" is just 5 in Python, not a tuple, but no writer emits it. */
    h->ndim = nd;
    h->have_shape = 1;
    return 1;
}

/* One "'key': value" of the dict. */
static int parse_entry(cursor *c, npy_header *h, char *why, size_t why_size)
{
    const unsigned char *key;
    size_t klen;
    if (!parse_string(c, &key, &klen)) {
        snprintf(why, why_size, "header: expected a quoted key or '}'");
        return 0;
    }
    skip_ws(c);
    if (!take(c, ':')) {
        snprintf(why, why_size, "header: expected ':' after a key");
        return 0;
    }
    skip_ws(c);
    if (klen == 5 && memcmp(key, "descr", 5) == 0)
        return parse_descr(c, h, why, why_size);
    if (klen == 13 && memcmp(key, "fortran_order", 13) == 0)
        return parse_fortran_order(c, h, why, why_size);
    if (klen == 5 && memcmp(key, "shape", 5) == 0)
        return parse_shape(c, h, why, why_size);
    char kb[40];
    snprintf(why, why_size, "header: unexpected key '%s'",
             nnc_printable(key, klen, 0, kb, sizeof kb));
    return 0;
}

/* Parses the dict; on failure writes the reason into why. */
static int parse_header(cursor *c, npy_header *h, char *why, size_t why_size)
{
    memset(h, 0, sizeof *h);
    skip_ws(c);
    if (!take(c, '{')) {
        snprintf(why, why_size, "header does not start with '{'");
        return 0;
    }
    for (;;) {
        skip_ws(c);
        if (take(c, '}'))
            break;
        if (!parse_entry(c, h, why, why_size))
            return 0;
        int more = after_item(c, '}');
        if (more < 0) {
            snprintf(why, why_size, "header: expected ',' or '}' after a value");
            return 0;
        }
        if (!more)
            break;
    }
    skip_ws(c);
    if (c->p != c->end) {
        snprintf(why, why_size, "header: unexpected text after the closing '}'");
        return 0;
    }
    if (!h->have_descr || !h->have_order || !h->have_shape) {
        snprintf(why, why_size, "header lacks the key '%s'",
                 !h->have_descr ? "descr" : !h->have_order ? "fortran_order" : "shape");
        return 0;
    }
    return 1;
}

/* Element types nnc converts to double. */
typedef enum npy_kind { K_FLOAT, K_INT, K_UINT, K_BOOL } npy_kind;

static double load_element(const unsigned char *p, npy_kind kind, size_t item)
{
    uint64_t u;
    switch (item) {
    case 1: u = p[0]; break;
    case 2: u = rd16(p); break;
    case 4: u = nnc_get_le32(p); break;
    default: u = nnc_get_le64(p); break;
    }
    switch (kind) {
    case K_FLOAT:
        if (item == 4) {
            uint32_t u32 = (uint32_t)u;
            float f;
            memcpy(&f, &u32, sizeof f);
            return (double)f;
        } else {
            double d;
            memcpy(&d, &u, sizeof d);
            return d;
        }
    case K_BOOL: return u != 0 ? 1.0 : 0.0;
    case K_UINT: return (double)u;
    case K_INT:
        switch (item) {
        case 1: return (double)(int8_t)(uint8_t)u;
        case 2: return (double)(int16_t)(uint16_t)u;
        case 4: return (double)(int32_t)(uint32_t)u;
        default: return (double)(int64_t)u;
        }
    }
    return 0.0;
}

/* A parsed and checked .npy header. */
typedef struct npy_info {
    npy_header h;
    npy_kind kind;
    size_t item;   /* bytes per element */
    size_t size;   /* elements */
    size_t dstart; /* offset of the data */
} npy_info;

/* The header's total length (magic to the end of the dict) from the first
 * bytes: 0 with a message when they are not a .npy start. */
static nnc_status npy_header_end(const unsigned char *b, size_t len, const char *what,
                                 size_t *hstart, size_t *hend)
{
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return nnc_fail(NNC_ERR_FORMAT, "%s: not a .npy file (bad magic)", what);
    unsigned major = b[6], minor = b[7];
    size_t hlen;
    if (major == 1) {
        *hstart = 10;
        hlen = rd16(b + 8);
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return nnc_fail(NNC_ERR_FORMAT, "%s: truncated .npy header", what);
        *hstart = 12;
        hlen = nnc_get_le32(b + 8);
    } else {
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: unsupported .npy version %u.%u (nnc reads 1.0, 2.0, 3.0)",
                        what, major, minor);
    }
    *hend = *hstart + hlen;
    return NNC_OK;
}

/* Parses and checks the header in b[0..len), which holds at least the
 * header (len: all the bytes there are, for the truncation message). */
static nnc_status npy_parse(const unsigned char *b, size_t len, const char *what,
                            npy_info *inf)
{
    memset(inf, 0, sizeof *inf);
    size_t hstart, hend;
    nnc_status st = npy_header_end(b, len, what, &hstart, &hend);
    if (st != NNC_OK)
        return st;
    if (hend > len)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated .npy header (%zu bytes declared, %zu present)",
                        what, hend - hstart, len - hstart);

    npy_header *h = &inf->h;
    char why[160];
    cursor c = {b + hstart, b + hend};
    if (!parse_header(&c, h, why, sizeof why))
        return nnc_fail(NNC_ERR_FORMAT, "%s: %s", what, why);

    /* dtype: byte order, kind, item size, e.g. "<f8" */
    const char *d = h->descr;
    npy_kind kind;
    size_t item = 0;
    int ok = h->descr_len == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=');
    if (ok) {
        item = d[2] == '1' ? 1 : d[2] == '2' ? 2 : d[2] == '4' ? 4 : d[2] == '8' ? 8 : 0;
        switch (d[1]) {
        case 'f': kind = K_FLOAT; ok = item == 4 || item == 8; break;
        case 'i': kind = K_INT; ok = item != 0; break;
        case 'u': kind = K_UINT; ok = item != 0; break;
        case 'b': kind = K_BOOL; ok = item == 1; break;
        default: kind = K_FLOAT; ok = 0; break;
        }
    } else {
        kind = K_FLOAT;
    }
    if (!ok)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: unsupported dtype '%s' (nnc reads float, integer and bool "
                        "numbers: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)",
                        what, h->descr);
    if (d[0] == '>' && item > 1)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: unsupported dtype '%s' (nnc reads little-endian numbers)", what,
                        h->descr);
    if (h->fortran) {
        int trivial = 0; /* at most one dimension longer than 1: same layout */
        for (int i = 0; i < h->ndim; i++)
            trivial += h->shape[i] > 1;
        if (trivial > 1)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: unsupported 'fortran_order': True (nnc reads C-order "
                            "arrays; save with numpy.ascontiguousarray)",
                            what);
    }

    /* The product of the dimensions, and of the nonzero ones: an empty
     * array of (0, 2^62) is no more usable than a full one (its rows would
     * be 2^65 bytes wide), so both must fit in memory as doubles. */
    size_t size = 1, nonzero = 1;
    for (int i = 0; i < h->ndim; i++) {
        size_t dim = h->shape[i];
        if (dim != 0 && size > SIZE_MAX / dim)
            return nnc_fail(NNC_ERR_FORMAT, "%s: 'shape' is too large (size overflows)",
                            what);
        size *= dim;
        if (dim != 0 && nonzero > SIZE_MAX / sizeof(double) / dim)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: 'shape' is too large (a dimension of %zu values cannot "
                            "be held in memory)",
                            what, dim);
        if (dim != 0)
            nonzero *= dim;
    }
    inf->kind = kind;
    inf->item = item;
    inf->size = size;
    inf->dstart = hend;
    return NNC_OK;
}

/* Room for the doubles of a parsed array, within limit bytes; refuse_what
 * and thing name it in the refusal. */
static nnc_status npy_alloc(const npy_info *inf, const char *refuse_what, const char *thing,
                            size_t limit, double **data)
{
    size_t bytes = inf->size * sizeof(double); /* no overflow: checked by npy_parse */
    if (bytes > limit)
        return nnc_refuse_size(refuse_what, thing, bytes, limit);
    *data = malloc(bytes > 0 ? bytes : 1);
    if (!*data)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory for %zu numbers", refuse_what,
                        inf->size);
    return NNC_OK;
}

static void npy_finish(const npy_info *inf, double *data, nnc_array *out)
{
    memset(out, 0, sizeof *out);
    out->ndim = inf->h.ndim;
    for (int i = 0; i < inf->h.ndim; i++)
        out->shape[i] = inf->h.shape[i];
    out->size = inf->size;
    out->data = data;
}

/* The whole .npy in b[0..len): messages name `what`, a refusal for its size
 * names refuse_what and thing. */
static nnc_status npy_read(const unsigned char *b, size_t len, const char *what,
                           const char *refuse_what, const char *thing, size_t limit,
                           nnc_array *out)
{
    npy_info inf;
    nnc_status st = npy_parse(b, len, what, &inf);
    if (st != NNC_OK)
        return st;
    size_t avail = len - inf.dstart;
    if (inf.size > avail / inf.item)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated data: shape needs %zu elements of %zu bytes, only "
                        "%zu bytes present (from byte offset %zu)",
                        what, inf.size, inf.item, avail, inf.dstart);
    double *data;
    st = npy_alloc(&inf, refuse_what, thing, limit, &data);
    if (st != NNC_OK)
        return st;
    const unsigned char *src = b + inf.dstart;
    for (size_t i = 0; i < inf.size; i++)
        data[i] = load_element(src + i * inf.item, inf.kind, inf.item);
    npy_finish(&inf, data, out);
    return NNC_OK;
}

nnc_status nnc_npy_read_memory(const void *bytes, size_t len, const char *what,
                               nnc_array *out, size_t max_memory)
{
    if (!what)
        what = ".npy data";
    if (!out || (!bytes && len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_npy_read_memory: NULL argument", what);
    return npy_read(bytes, len, what, what, "the array", nnc_memory_limit(max_memory), out);
}

nnc_status nnc_npy_read_file(const char *path, nnc_array *out, size_t max_memory)
{
    if (!path || !out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_npy_read_file: NULL argument");
    unsigned char *bytes;
    size_t len, left;
    nnc_status s = nnc_read_input(path, max_memory, NPY_MAX_FILE, &bytes, &len, &left);
    if (s != NNC_OK)
        return s;
    s = npy_read(bytes, len, path, path, "the array", left, out);
    free(bytes);
    return s;
}

/* ------------------------------------------------------------------ */
/* .npz: zip reading                                                   */
/* ------------------------------------------------------------------ */

typedef struct zip_dir {
    uint64_t entries, size, offset;
} zip_dir;

static nnc_status find_directory(const unsigned char *b, size_t len, const char *what,
                                 zip_dir *dir)
{
    if (len < 22) {
        if (len >= 6 && memcmp(b, "\x93NUMPY", 6) == 0)
            return nnc_fail(NNC_ERR_FORMAT, "%s: a .npy file, not a .npz archive", what);
        return nnc_fail(NNC_ERR_FORMAT, "%s: not a .npz (zip) archive: too short", what);
    }
    /* The record sits at the end, before a comment of at most 65535 bytes. */
    size_t lowest = len - 22 > 65535 ? len - 22 - 65535 : 0;
    size_t pos = len - 22;
    for (;;) {
        if (nnc_get_le32(b + pos) == 0x06054b50u && pos + 22 + rd16(b + pos + 20) <= len)
            break;
        if (pos == lowest) {
            if (memcmp(b, "\x93NUMPY", 6) == 0)
                return nnc_fail(NNC_ERR_FORMAT, "%s: a .npy file, not a .npz archive",
                                what);
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: not a .npz (zip) archive: no end-of-central-directory "
                            "record",
                            what);
        }
        pos--;
    }
    const unsigned char *e = b + pos;
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != rd16(e + 10))
        return nnc_fail(NNC_ERR_FORMAT, "%s: multi-disk zip archives are not supported",
                        what);
    dir->entries = rd16(e + 10);
    dir->size = nnc_get_le32(e + 12);
    dir->offset = nnc_get_le32(e + 16);
    /* zip64: a locator 20 bytes before points at the zip64 record; without
     * one, take the values as they are (65535 entries, or exactly 4 GiB). */
    if ((dir->entries == 0xffff || dir->size == 0xffffffffu ||
         dir->offset == 0xffffffffu) &&
        pos >= 20 && nnc_get_le32(b + pos - 20) == 0x07064b50u) {
        uint64_t off = nnc_get_le64(b + pos - 20 + 8);
        if (off > len || len - off < 56 || nnc_get_le32(b + off) != 0x06064b50u)
            return nnc_fail(NNC_ERR_FORMAT, "%s: broken zip64 end-of-directory record",
                            what);
        const unsigned char *z = b + off;
        dir->entries = nnc_get_le64(z + 32);
        dir->size = nnc_get_le64(z + 40);
        dir->offset = nnc_get_le64(z + 48);
    }
    if (dir->offset > len || dir->size > len - dir->offset)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: truncated zip archive: central directory out of bounds", what);
    return NNC_OK;
}

typedef struct zip_entry {
    const unsigned char *name;
    size_t name_len;
    uint32_t flags, method, crc;
    uint64_t csize, usize, local;
} zip_entry;

/* Reads the central-directory entry at *pos (within the directory). */
static nnc_status read_entry(const unsigned char *cd, size_t cd_len, size_t *pos,
                             const char *what, zip_entry *e)
{
    size_t p = *pos;
    if (cd_len - p < 46 || nnc_get_le32(cd + p) != 0x02014b50u)
        return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt zip central directory", what);
    const unsigned char *r = cd + p;
    size_t nlen = rd16(r + 28), xlen = rd16(r + 30), clen = rd16(r + 32);
    if (cd_len - p - 46 < nlen + xlen + clen)
        return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt zip central directory", what);
    e->flags = rd16(r + 8);
    e->method = rd16(r + 10);
    e->crc = nnc_get_le32(r + 16);
    e->csize = nnc_get_le32(r + 20);
    e->usize = nnc_get_le32(r + 24);
    e->local = nnc_get_le32(r + 42);
    e->name = r + 46;
    e->name_len = nlen;
    /* zip64 extra field: 8-byte values for the fields that read 0xffffffff */
    const unsigned char *x = r + 46 + nlen, *xend = x + xlen;
    while (xend - x >= 4) {
        uint32_t id = rd16(x), sz = rd16(x + 2);
        if ((size_t)(xend - x - 4) < sz)
            break;
        if (id == 1) {
            const unsigned char *v = x + 4, *vend = x + 4 + sz;
            uint64_t *fields[3] = {&e->usize, &e->csize, &e->local};
            for (int i = 0; i < 3; i++) {
                if (*fields[i] != 0xffffffffu)
                    continue;
                if (vend - v < 8)
                    return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt zip64 extra field", what);
                *fields[i] = nnc_get_le64(v);
                v += 8;
            }
        }
        x += 4 + sz;
    }
    *pos = p + 46 + nlen + xlen + clen;
    return NNC_OK;
}

/* Appends "name" (without ".npy") to a comma-separated list in buf. */
static void list_key(char *buf, size_t size, const zip_entry *e)
{
    size_t n = e->name_len;
    if (n >= 4 && memcmp(e->name + n - 4, ".npy", 4) == 0)
        n -= 4;
    size_t used = strlen(buf);
    if (used + 8 >= size)
        return;
    char tmp[64];
    nnc_printable(e->name, n, 0, tmp, sizeof tmp);
    snprintf(buf + used, size - used, "%s'%s'", used ? ", " : "", tmp);
}

/* A deflated member is inflated as a stream (nnc_inflate): never more than
 * its recorded size, with the CRC-32 of what came out.  Up to n bytes into
 * dst; *got < n only at the end of the stream. */
static nnc_status zin_read(nnc_inflate *z, unsigned char *dst, size_t n, size_t *got)
{
    nnc_status st = nnc_inflate_read(z, dst, n, got);
    if (st != NNC_OK && z->fault == NNC_INFLATE_TRUNCATED)
        return nnc_fail(NNC_ERR_FORMAT, "%s: truncated deflate data", z->what);
    if (st != NNC_OK && z->fault == NNC_INFLATE_CORRUPT && z->zrc == Z_DATA_ERROR)
        return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt deflate data: %s", z->what,
                        z->zmsg ? z->zmsg : "invalid stream");
    if (st != NNC_OK && z->fault == NNC_INFLATE_CORRUPT)
        return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt deflate data", z->what);
    return st;
}

/* Converts .npy data bytes as they arrive into data[], an element split
 * between two pieces carried over. */
typedef struct npy_sink {
    const npy_info *inf;
    double *data;
    size_t done;
    unsigned char part[8];
    size_t part_len;
} npy_sink;

static void sink_feed(npy_sink *k, const unsigned char *p, size_t n)
{
    size_t item = k->inf->item;
    while (n > 0 && k->done < k->inf->size) {
        if (k->part_len > 0 || n < item) {
            size_t take = item - k->part_len < n ? item - k->part_len : n;
            memcpy(k->part + k->part_len, p, take);
            k->part_len += take;
            p += take;
            n -= take;
            if (k->part_len == item) {
                k->data[k->done++] = load_element(k->part, k->inf->kind, item);
                k->part_len = 0;
            }
            continue;
        }
        size_t whole = n / item;
        if (whole > k->inf->size - k->done)
            whole = k->inf->size - k->done;
        for (size_t i = 0; i < whole; i++)
            k->data[k->done + i] = load_element(p + i * item, k->inf->kind, item);
        k->done += whole;
        p += whole * item;
        n -= whole * item;
    }
}

enum { NPY_MAX_HEADER = 1 << 20, NPZ_CHUNK = 1 << 16 };

/* Inflates the rest of the member through buf (cap bytes) and checks that
 * it is exactly usize bytes long: a wrong size in the directory is the
 * first thing to report, before what the bytes hold. */
static nnc_status zin_check_size(nnc_inflate *z, unsigned char *buf, size_t cap, size_t usize)
{
    size_t got = 0;
    nnc_status st = NNC_OK;
    while (st == NNC_OK && z->produced <= usize && !z->ended) {
        size_t ask = usize - z->produced < cap ? usize - z->produced + 1 : cap;
        st = zin_read(z, buf, ask, &got);
        if (got == 0)
            break;
    }
    if (st == NNC_OK && (z->produced != usize || !z->ended))
        st = nnc_fail(NNC_ERR_FORMAT,
                      "%s: inflated size differs from the %zu bytes the directory records",
                      z->what, usize);
    return st;
}

/* A deflated member: its header inflated first, checked and its array
 * refused or allocated, then its data converted chunk by chunk, with no
 * copy of the whole inflated member. */
static nnc_status npz_inflate(const unsigned char *src, const zip_entry *e, const char *mwhat,
                              const char *what, const char *thing, size_t limit,
                              nnc_array *out)
{
    size_t usize = (size_t)e->usize;
    nnc_inflate z;
    nnc_status st = nnc_inflate_open(&z, src, e->csize, NNC_INFLATE_CRC, mwhat);
    if (st != NNC_OK)
        return st;
    size_t cap = usize < NPZ_CHUNK ? usize : NPZ_CHUNK, have = 0, got;
    unsigned char *buf = malloc(cap > 0 ? cap : 1);
    double *data = NULL;
    npy_info inf;
    if (!buf)
        st = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", mwhat);
    if (st == NNC_OK)
        st = zin_read(&z, buf, cap, &have);
    /* the whole header, however long it says it is (up to 1 MB) */
    size_t hstart = 0, hend = 0;
    if (st == NNC_OK && have == cap &&
        npy_header_end(buf, have, mwhat, &hstart, &hend) == NNC_OK && hend > have &&
        hend <= usize) {
        if (hend - hstart > NPY_MAX_HEADER) {
            st = nnc_fail(NNC_ERR_FORMAT, "%s: a .npy header of %zu bytes (nnc reads up to %d)",
                          mwhat, hend - hstart, NPY_MAX_HEADER);
        } else {
            unsigned char *nb = realloc(buf, hend);
            if (!nb) {
                st = nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", mwhat);
            } else {
                buf = nb;
                cap = hend;
                st = zin_read(&z, buf + have, hend - have, &got);
                have += got;
            }
        }
    }
    if (st == NNC_OK && have < cap)
        st = nnc_fail(NNC_ERR_FORMAT,
                      "%s: inflated size differs from the %zu bytes the directory records",
                      mwhat, usize);
    if (st == NNC_OK)
        st = npy_parse(buf, usize < have ? usize : have, mwhat, &inf);
    if (st == NNC_OK && inf.size > (usize - inf.dstart) / inf.item)
        st = zin_check_size(&z, buf, cap, usize);
    if (st == NNC_OK && inf.size > (usize - inf.dstart) / inf.item)
        st = nnc_fail(NNC_ERR_FORMAT,
                      "%s: truncated data: shape needs %zu elements of %zu bytes, only "
                      "%zu bytes present (from byte offset %zu)",
                      mwhat, inf.size, inf.item, usize - inf.dstart, inf.dstart);
    if (st == NNC_OK)
        st = npy_alloc(&inf, what, thing, limit, &data);
    if (st == NNC_OK) {
        npy_sink k = {&inf, data, 0, {0}, 0};
        sink_feed(&k, buf + inf.dstart, have - inf.dstart);
        while (st == NNC_OK && z.produced < usize) {
            size_t ask = usize - z.produced < cap ? usize - z.produced : cap;
            st = zin_read(&z, buf, ask, &got);
            if (st == NNC_OK && got < ask)
                st = nnc_fail(NNC_ERR_FORMAT,
                              "%s: inflated size differs from the %zu bytes the directory "
                              "records",
                              mwhat, usize);
            if (st == NNC_OK)
                sink_feed(&k, buf, got);
        }
        unsigned char extra;
        if (st == NNC_OK)
            st = zin_read(&z, &extra, 1, &got);
        if (st == NNC_OK && got > 0)
            st = nnc_fail(NNC_ERR_FORMAT,
                          "%s: inflated size differs from the %zu bytes the directory records",
                          mwhat, usize);
        if (st == NNC_OK && (uint32_t)z.crc != e->crc)
            st = nnc_fail(NNC_ERR_FORMAT,
                          "%s: CRC-32 mismatch (computed %08x, archive says %08x): the file "
                          "is corrupt",
                          mwhat, (unsigned)z.crc, (unsigned)e->crc);
    }
    nnc_inflate_close(&z);
    free(buf);
    if (st != NNC_OK) {
        free(data);
        return st;
    }
    npy_finish(&inf, data, out);
    return NNC_OK;
}

/* The same name, as bytes. */
static int same_name(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* The directory entry of key's member: exactly one "<key>.npy", whose name
 * the error messages quote as kb. */
static nnc_status find_member(const unsigned char *b, size_t len, const char *what,
                              const char *key, const char *kb, zip_entry *found)
{
    zip_dir dir;
    memset(&dir, 0, sizeof dir);
    nnc_status s = find_directory(b, len, what, &dir);
    if (s != NNC_OK)
        return s;
    size_t klen = strlen(key);
    const unsigned char *cd = b + dir.offset;
    size_t cd_len = (size_t)dir.size, pos = 0;
    char keys[400] = "";
    zip_entry e;
    memset(found, 0, sizeof *found);
    uint64_t have = 0;
    for (uint64_t i = 0; i < dir.entries; i++) {
        s = read_entry(cd, cd_len, &pos, what, &e);
        if (s != NNC_OK)
            return s;
        list_key(keys, sizeof keys, &e);
        if (e.name_len == klen + 4 && memcmp(e.name, key, klen) == 0 &&
            memcmp(e.name + klen, ".npy", 4) == 0) {
            if (!have)
                *found = e;
            have++;
        }
    }
    if (!have)
        return nnc_fail(NNC_ERR_NOT_FOUND, "%s has no member '%s.npy' (keys present: %s)",
                        what, key, keys[0] ? keys : "none");
    /* zip readers disagree on which one counts (some take the first, NumPy
     * the last): an archive that means two things is refused */
    if (have > 1)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the archive holds %llu members named '%s.npy' (ambiguous: "
                        "readers differ on which one counts)",
                        what, (unsigned long long)have, kb);
    return NNC_OK;
}

/* Where the member's bytes start (*src, its csize bytes in bounds), once its
 * method is one nnc reads and its local header agrees with the directory. */
static nnc_status member_data(const unsigned char *b, size_t len, const zip_entry *found,
                              const char *mwhat, const char *kb, const unsigned char **src)
{
    if (found->flags & 1u)
        return nnc_fail(NNC_ERR_FORMAT, "%s: encrypted zip members are not supported", mwhat);
    if (found->method != 0 && found->method != 8)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: unsupported zip compression method %u (nnc reads stored and "
                        "deflate)",
                        mwhat, (unsigned)found->method);
    /* local header: its name must be the directory's (as NumPy's zipfile
     * checks); its extra length places the data */
    if (found->local > len || len - found->local < 30 ||
        nnc_get_le32(b + found->local) != 0x04034b50u)
        return nnc_fail(NNC_ERR_FORMAT, "%s: bad zip local header", mwhat);
    const unsigned char *lh = b + found->local;
    size_t lname = rd16(lh + 26);
    if (len - found->local - 30 < lname ||
        !same_name(lh + 30, lname, found->name, found->name_len)) {
        char nb[80];
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: the local header names the member '%s', the central directory "
                        "'%s.npy' (a corrupt or forged archive)",
                        mwhat,
                        nnc_printable(lh + 30, len - found->local - 30 < lname
                                                   ? len - found->local - 30
                                                   : lname,
                                      0, nb, sizeof nb),
                        kb);
    }
    uint64_t data_off = found->local + 30 + lname + rd16(lh + 28);
    if (data_off > len || found->csize > len - data_off)
        return nnc_fail(NNC_ERR_FORMAT, "%s: truncated zip archive (member data out of bounds)",
                        mwhat);
    *src = b + data_off;
    return NNC_OK;
}

nnc_status nnc_npz_read_memory(const void *bytes, size_t len, const char *what,
                               const char *key, nnc_array *out, size_t max_memory)
{
    if (!what)
        what = ".npz data";
    if (!out || !key || (!bytes && len > 0))
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: nnc_npz_read_memory: NULL argument", what);
    size_t limit = nnc_memory_limit(max_memory);
    const unsigned char *b = bytes;
    char mwhat[512], thing[300], kb[200];
    nnc_printable(key, strlen(key), 1, kb, sizeof kb);
    zip_entry found;
    nnc_status s = find_member(b, len, what, key, kb, &found);
    if (s != NNC_OK)
        return s;
    snprintf(mwhat, sizeof mwhat, "%s:%s.npy", what, key);
    snprintf(thing, sizeof thing, "member '%s.npy'", kb);
    const unsigned char *src = NULL;
    s = member_data(b, len, &found, mwhat, kb, &src);
    if (s != NNC_OK)
        return s;

    if (found.method == 0) {
        if (found.csize != found.usize)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: stored member with different compressed and real sizes",
                            mwhat);
        size_t npy_len = (size_t)found.usize;
        uint32_t crc = nnc_crc32(src, npy_len);
        if (crc != found.crc)
            return nnc_fail(NNC_ERR_FORMAT,
                            "%s: CRC-32 mismatch (computed %08x, archive says %08x): the file "
                            "is corrupt",
                            mwhat, (unsigned)crc, (unsigned)found.crc);
        return npy_read(src, npy_len, mwhat, what, thing, limit, out);
    }
    if (found.usize > NPZ_MAX_INFLATED)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: member inflates to %llu bytes, more than nnc's limit of "
                        "%zu",
                        mwhat, (unsigned long long)found.usize, NPZ_MAX_INFLATED);
    /* deflate expands at most 1032 : 1: refuse a claim the compressed
     * bytes cannot hold before inflating anything */
    if (found.usize / 1032 > found.csize + 1)
        return nnc_fail(NNC_ERR_FORMAT,
                        "%s: member claims to inflate to %llu bytes, more than its %llu "
                        "compressed bytes can hold (a deflate bomb?)",
                        mwhat, (unsigned long long)found.usize,
                        (unsigned long long)found.csize);
    return npz_inflate(src, &found, mwhat, what, thing, limit, out);
}

nnc_status nnc_npz_read_file(const char *path, const char *key, nnc_array *out,
                             size_t max_memory)
{
    if (!path || !key || !out)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_npz_read_file: NULL argument");
    unsigned char *bytes;
    size_t len, left;
    nnc_status s = nnc_read_input(path, max_memory, NPY_MAX_FILE, &bytes, &len, &left);
    if (s != NNC_OK)
        return s;
    s = nnc_npz_read_memory(bytes, len, path, key, out, left);
    free(bytes);
    return s;
}

/* ------------------------------------------------------------------ */
/* .npz writing, as numpy.savez: stored members, DOS date 1980-01-01   */
/* ------------------------------------------------------------------ */

#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21 /* numpy leaves room for shape[0] to grow */

/* Builds the .npy header for a float64 C-order array into buf (size >= 256);
 * returns its length (a multiple of NPY_ALIGN). */
static size_t npy_header_bytes(const nnc_array *a, unsigned char *buf)
{
    char dict[200], shape[120];
    size_t n = 0;
    shape[0] = '\0';
    for (int i = 0; i < a->ndim; i++)
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%zu", i ? ", " : "",
                              a->shape[i]);
    int dn = snprintf(dict, sizeof dict,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (%s%s), }", shape,
                      a->ndim == 1 ? "," : "");
    size_t dlen = (size_t)dn;
    if (a->ndim > 0) {
        char first[24];
        size_t digits = (size_t)snprintf(first, sizeof first, "%zu", a->shape[0]);
        size_t grow = digits < NPY_GROWTH_DIGITS ? NPY_GROWTH_DIGITS - digits : 0;
        memset(dict + dlen, ' ', grow);
        dlen += grow;
    }
    size_t hlen = dlen + 1; /* with the final '\n' */
    size_t pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    wr16(buf + 8, (uint32_t)(hlen + pad));
    memcpy(buf + 10, dict, dlen);
    memset(buf + 10 + dlen, ' ', pad);
    buf[10 + dlen + pad] = '\n';
    return 10 + hlen + pad;
}

/* Checks arrays[i] and its key against the ones before it; adds the bytes
 * its member takes in the archive to *total. */
static nnc_status npz_check_member(const char *path, int i, const char *const *keys,
                                   const nnc_array *arrays, uint64_t *total)
{
    const nnc_array *a = &arrays[i];
    if (!keys[i] || !keys[i][0] || strlen(keys[i]) > 1000)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: array %d has an empty or overlong key",
                        path, i);
    for (int j = 0; j < i; j++)
        if (strcmp(keys[i], keys[j]) == 0)
            return nnc_fail(NNC_ERR_ARGUMENT, "%s: key '%s' given twice", path, keys[i]);
    if (a->ndim < 0 || a->ndim > NNC_ARRAY_MAX_DIMS)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: array '%s' has %d dimensions", path,
                        keys[i], a->ndim);
    size_t size = 1;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] != 0 && size > SIZE_MAX / a->shape[d])
            return nnc_fail(NNC_ERR_ARGUMENT, "%s: array '%s' is too large", path,
                            keys[i]);
        size *= a->shape[d];
    }
    if (size != a->size || (size > 0 && !a->data))
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: array '%s': size %zu does not match its shape (%zu) or "
                        "data is NULL",
                        path, keys[i], a->size, size);
    if (size > (UINT64_C(0xffffffff) - 4096) / 8)
        return nnc_fail(NNC_ERR_ARGUMENT,
                        "%s: array '%s' is larger than 4 GiB (zip64 not written)", path,
                        keys[i]);
    uint64_t nlen = strlen(keys[i]) + 4;
    *total += 30 + nlen + 46 + nlen + 256 + (uint64_t)size * 8;
    return NNC_OK;
}

/* The fields that a member's local header and its central directory entry
 * share, from "version needed" to the extra field's length. */
static unsigned char *wr_entry_fields(unsigned char *p, uint32_t crc, uint32_t msize,
                                      size_t klen)
{
    p = wr16(p, 20);     /* version needed: 2.0 */
    p = wr16(p, 0);      /* flags */
    p = wr16(p, 0);      /* stored */
    p = wr16(p, 0);      /* time 00:00 */
    p = wr16(p, 0x21);   /* date 1980-01-01 */
    p = wr32(p, crc);
    p = wr32(p, msize);
    p = wr32(p, msize);
    p = wr16(p, (uint32_t)(klen + 4));
    p = wr16(p, 0);      /* extra */
    return p;
}

/* One member at p (local header, then the .npy bytes) and its entry at *c
 * in the central directory; returns the end of the member. */
static unsigned char *wr_member(unsigned char *p, unsigned char **c, uint32_t offset,
                                const char *key, const nnc_array *a)
{
    size_t klen = strlen(key), nlen = klen + 4;
    /* the member's bytes go after its local header */
    unsigned char *m = p + 30 + nlen;
    size_t hl = npy_header_bytes(a, m);
    unsigned char *q = m + hl;
    for (size_t k = 0; k < a->size; k++) {
        uint64_t u;
        memcpy(&u, &a->data[k], sizeof u);
        q = wr64(q, u);
    }
    uint32_t msize = (uint32_t)(q - m);
    uint32_t crc = nnc_crc32(m, msize);

    p = wr32(p, 0x04034b50u);
    p = wr_entry_fields(p, crc, msize, klen);
    memcpy(p, key, klen);
    memcpy(p + klen, ".npy", 4);

    unsigned char *e = *c;
    e = wr32(e, 0x02014b50u);
    e = wr16(e, 20);     /* made by: 2.0, MS-DOS attributes (as Python's zipfile) */
    e = wr_entry_fields(e, crc, msize, klen);
    e = wr16(e, 0);      /* comment */
    e = wr16(e, 0);      /* disk */
    e = wr16(e, 0);      /* internal attributes */
    e = wr32(e, 0600u << 16); /* external: mode rw------- */
    e = wr32(e, offset);
    memcpy(e, key, klen);
    memcpy(e + klen, ".npy", 4);
    *c = e + nlen;
    return q;
}

nnc_status nnc_npz_write_file(const char *path, int count, const char *const *keys,
                              const nnc_array *arrays)
{
    if (!path || count < 0 || (count > 0 && (!keys || !arrays)))
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_npz_write_file: invalid argument");
    if (count > 0xfffe)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: too many arrays (%d)", path, count);
    /* Sizes first: every member's header, data and name. */
    uint64_t total = 22; /* end record */
    for (int i = 0; i < count; i++) {
        nnc_status s = npz_check_member(path, i, keys, arrays, &total);
        if (s != NNC_OK)
            return s;
    }
    if (total > UINT64_C(0xffffffff) || total > SIZE_MAX)
        return nnc_fail(NNC_ERR_ARGUMENT, "%s: archive larger than 4 GiB (zip64 not written)",
                        path);

    unsigned char *buf = malloc((size_t)total);
    size_t cd_cap = 1;
    for (int i = 0; i < count; i++)
        cd_cap += 46 + strlen(keys[i]) + 4;
    unsigned char *cd = malloc(cd_cap);
    if (!buf || !cd) {
        free(buf);
        free(cd);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    }
    unsigned char *p = buf, *c = cd;
    for (int i = 0; i < count; i++)
        p = wr_member(p, &c, (uint32_t)(p - buf), keys[i], &arrays[i]);
    uint32_t cd_offset = (uint32_t)(p - buf), cd_size = (uint32_t)(c - cd);
    memcpy(p, cd, cd_size);
    p += cd_size;
    p = wr32(p, 0x06054b50u);
    p = wr16(p, 0);
    p = wr16(p, 0);
    p = wr16(p, (uint32_t)count);
    p = wr16(p, (uint32_t)count);
    p = wr32(p, cd_size);
    p = wr32(p, cd_offset);
    p = wr16(p, 0);
    free(cd);
    nnc_status s = nnc_write_file_atomic(path, buf, (size_t)(p - buf));
    free(buf);
    return s;
}
