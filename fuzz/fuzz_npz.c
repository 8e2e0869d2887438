/* libFuzzer target: the .npz (zip) reader on arbitrary bytes, as a textbook
 * data set (members "data" and "label" into a dataset) and one member. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h" /* nnc.h, and nnc_clear_error() */

/* What a reader may allocate: well under libFuzzer's 2 GB RSS limit, so an
 * input that asks for more is refused as it would be by --max-memory. */
#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nnc_dataset *ds = NULL;
    nnc_clear_error();
    if (nnc_dataset_load_npz_memory(&ds, data, size, "fuzz.npz", FUZZ_MAX_MEMORY) == NNC_OK) {
        int rows = nnc_dataset_rows(ds);
        if (rows <= 0 || nnc_dataset_inputs(ds) <= 0 || nnc_dataset_outputs(ds) <= 0)
            abort();
        nnc_dataset_free(ds);
    } else if (!nnc_last_error()[0]) {
        abort();
    }
    nnc_array a;
    nnc_clear_error();
    if (nnc_npz_read_memory(data, size, "fuzz.npz", "weights", &a, FUZZ_MAX_MEMORY) == NNC_OK)
        nnc_array_free(&a);
    else if (!nnc_last_error()[0])
        abort();
    return 0;
}
