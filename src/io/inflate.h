/* The inflate stream shared by the .npz and gzip IDX readers (not installed).
 * Apart from internal.h because zlib.h declares names (compress, ...) that
 * other source files use for their own. */
#ifndef NNC_INFLATE_H
#define NNC_INFLATE_H

#include "internal.h"

#include <stdint.h>
#include <zlib.h>

/* A deflate stream inflated piece by piece (src/inflate.c): never reads
 * past the len compressed bytes it is given, and counts what comes out. */
enum {
    NNC_INFLATE_GZIP = 1,    /* a gzip stream; without it, raw deflate */
    NNC_INFLATE_MEMBERS = 2, /* go on into a gzip member that follows (as zcat does) */
    NNC_INFLATE_CRC = 4      /* keep the CRC-32 of the output in crc */
};
/* Why a read failed on the data itself, for the caller's own words. */
enum { NNC_INFLATE_TRUNCATED = 1, NNC_INFLATE_CORRUPT = 2 };
typedef struct nnc_inflate {
    z_stream zs;
    int live, flags;
    int ended;         /* the stream (the last member) is complete */
    uint64_t in_left;  /* compressed bytes not yet given to zlib */
    size_t produced;   /* bytes inflated so far */
    uint32_t crc;      /* with NNC_INFLATE_CRC */
    int fault;         /* 0, NNC_INFLATE_TRUNCATED or NNC_INFLATE_CORRUPT */
    int zrc;           /* on NNC_INFLATE_CORRUPT: zlib's return code */
    const char *zmsg;  /* and its message, or NULL */
    const char *what;
} nnc_inflate;
nnc_status nnc_inflate_open(nnc_inflate *z, const void *src, uint64_t len, int flags,
                            const char *what);
/* Up to n bytes into dst; *got < n only at the end of the stream.  *got
 * counts the bytes written before an error too.  When the compressed bytes
 * run out inside the stream, or zlib refuses them, it returns
 * NNC_ERR_FORMAT with fault set and a message in general words that a
 * caller may replace with its own. */
nnc_status nnc_inflate_read(nnc_inflate *z, void *dst, size_t n, size_t *got);
void nnc_inflate_close(nnc_inflate *z);
/* Compressed bytes not inflated yet (after the end: what follows the stream). */
static inline uint64_t nnc_inflate_unread(const nnc_inflate *z)
{
    return z->zs.avail_in + z->in_left;
}

#endif
