/* libFuzzer target: the .npy reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h" /* nnc.h, and nnc_clear_error() */

/* What a reader may allocate: well under libFuzzer's 2 GB RSS limit, so an
 * input that asks for more is refused as it would be by --max-memory. */
#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile double fuzz_sink; /* every value is read (ASan checks the bounds) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nnc_array a;
    nnc_clear_error();
    if (nnc_npy_read_memory(data, size, "fuzz.npy", &a, FUZZ_MAX_MEMORY) != NNC_OK) {
        if (!nnc_last_error()[0])
            abort();
        return 0;
    }
    size_t n = 1;
    for (int i = 0; i < a.ndim; i++)
        n *= a.shape[i];
    if (a.ndim < 0 || a.ndim > NNC_ARRAY_MAX_DIMS || n != a.size || (n && !a.data))
        abort();
    double sum = 0;
    for (size_t i = 0; i < a.size; i++)
        sum += a.data[i];
    fuzz_sink = sum;
    nnc_array_free(&a);
    return 0;
}
