/* libFuzzer target: the CSV reader on arbitrary bytes, with the default
 * options (header detected, ',') and with a forced header and tabs.  A
 * failure must leave a message; a success must be a consistent array. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h" /* nnc.h, and nnc_clear_error() */

/* What a reader may allocate: well under libFuzzer's 2 GB RSS limit, so an
 * input that asks for more is refused as it would be by --max-memory. */
#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size, const nnc_csv_options *opt)
{
    nnc_array a;
    char **names = NULL;
    nnc_clear_error();
    if (nnc_csv_read_memory(data, size, "fuzz.csv", opt, &a, &names) != NNC_OK) {
        if (!nnc_last_error()[0])
            abort(); /* every failure explains itself */
        return;
    }
    if (a.ndim != 2 || a.shape[0] == 0 || a.shape[1] == 0 ||
        a.size != a.shape[0] * a.shape[1] || !a.data)
        abort();
    for (size_t i = 0; i < a.size; i++)
        if (a.data[i] != a.data[i] || a.data[i] - a.data[i] != 0)
            abort(); /* NaN and infinity are refused */
    nnc_csv_free_names(names, a.shape[1]);
    nnc_array_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nnc_csv_options detect = {-1, ',', FUZZ_MAX_MEMORY}, tabs = {1, '\t', FUZZ_MAX_MEMORY};
    one(data, size, &detect);
    one(data, size, &tabs);
    return 0;
}
