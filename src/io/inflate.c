/* A deflate stream inflated piece by piece into the caller's buffers: the
 * one zlib loop behind a .npz member (raw deflate, src/npy.c) and a gzip
 * IDX file (src/idx.c). */
#include "inflate.h"
#include "internal.h"

#include <stdint.h>
#include <string.h>

/* zlib counts in uInt: never hand it more than this at once */
#define INFLATE_STEP ((uInt)1 << 30)

nnc_status nnc_inflate_open(nnc_inflate *z, const void *src, uint64_t len, int flags,
                            const char *what)
{
    memset(z, 0, sizeof *z);
    z->what = what;
    z->flags = flags;
    int bits = (flags & NNC_INFLATE_GZIP) ? 16 + MAX_WBITS : -MAX_WBITS;
    if (inflateInit2(&z->zs, bits) != Z_OK)
        return nnc_fail(NNC_ERR_MEMORY, "%s: cannot start zlib's inflate", what);
    z->live = 1;
    z->zs.next_in = (Bytef *)(uintptr_t)src; /* zlib does not write through it */
    z->in_left = len;
    z->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    return NNC_OK;
}

void nnc_inflate_close(nnc_inflate *z)
{
    if (z->live)
        inflateEnd(&z->zs);
    z->live = 0;
}

nnc_status nnc_inflate_read(nnc_inflate *z, void *dst, size_t n, size_t *got)
{
    unsigned char *out = dst;
    *got = 0;
    while (n > 0 && !z->ended) {
        if (z->zs.avail_in == 0 && z->in_left > 0) {
            z->zs.avail_in = z->in_left > INFLATE_STEP ? INFLATE_STEP : (uInt)z->in_left;
            z->in_left -= z->zs.avail_in;
        }
        uInt ask = n > INFLATE_STEP ? INFLATE_STEP : (uInt)n;
        z->zs.next_out = out;
        z->zs.avail_out = ask;
        int rc = inflate(&z->zs, Z_NO_FLUSH);
        size_t k = ask - z->zs.avail_out;
        if (z->flags & NNC_INFLATE_CRC)
            z->crc = (uint32_t)crc32(z->crc, out, (uInt)k);
        out += k;
        n -= k;
        *got += k;
        z->produced += k;
        if (rc == Z_STREAM_END) {
            const unsigned char *next = z->zs.next_in;
            if ((z->flags & NNC_INFLATE_MEMBERS) && nnc_inflate_unread(z) >= 2 &&
                next[0] == 0x1f && next[1] == 0x8b) {
                if (inflateReset(&z->zs) != Z_OK)
                    return nnc_fail(NNC_ERR_FORMAT, "%s: cannot restart inflate", z->what);
                continue;
            }
            z->ended = 1;
        } else if (rc == Z_MEM_ERROR) {
            return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory in inflate", z->what);
        } else if (rc == Z_BUF_ERROR && nnc_inflate_unread(z) == 0) {
            z->fault = NNC_INFLATE_TRUNCATED;
            return nnc_fail(NNC_ERR_FORMAT, "%s: truncated compressed data", z->what);
        } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && k > 0)) {
            /* (no progress with input and room left: never loop on it) */
            z->fault = NNC_INFLATE_CORRUPT;
            z->zrc = rc;
            z->zmsg = z->zs.msg;
            return nnc_fail(NNC_ERR_FORMAT, "%s: corrupt compressed data: %s", z->what,
                            z->zmsg ? z->zmsg : "invalid stream");
        }
    }
    return NNC_OK;
}
