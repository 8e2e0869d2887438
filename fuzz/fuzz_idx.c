/* libFuzzer target: the IDX reader on arbitrary bytes, raw and, so that the
 * streaming gzip path sees every header and length the mutator makes, also
 * gzip-compressed here first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h" /* nnc.h, and nnc_clear_error() */

/* What a reader may allocate: well under libFuzzer's 2 GB RSS limit, so an
 * input that asks for more is refused as it would be by --max-memory. */
#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile double fuzz_sink; /* every value is read (ASan checks the bounds) */

static void one(const uint8_t *data, size_t size)
{
    nnc_array a;
    nnc_clear_error();
    if (nnc_idx_read_memory(data, size, "fuzz.idx", &a, FUZZ_MAX_MEMORY) != NNC_OK) {
        if (!nnc_last_error()[0])
            abort();
        return;
    }
    size_t n = 1;
    for (int i = 0; i < a.ndim; i++)
        n *= a.shape[i];
    if (a.ndim < 1 || a.ndim > NNC_ARRAY_MAX_DIMS || n != a.size || !a.data)
        abort();
    double sum = 0;
    for (size_t i = 0; i < a.size; i++)
        sum += a.data[i];
    fuzz_sink = sum;
    nnc_array_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        return 0; /* already gzip */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    uLong cap = deflateBound(&zs, (uLong)size);
    unsigned char *gz = malloc(cap);
    if (gz) {
        zs.next_in = (Bytef *)(uintptr_t)data;
        zs.avail_in = (uInt)size;
        zs.next_out = gz;
        zs.avail_out = (uInt)cap;
        if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
            one(gz, (size_t)zs.total_out);
        free(gz);
    }
    deflateEnd(&zs);
    return 0;
}
