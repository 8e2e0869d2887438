/* libFuzzer target: the model file reader on arbitrary bytes.  Any input is
 * either refused with a message (and the model left untouched) or decodes
 * to a model that encodes, and whose encoding decodes and re-encodes to the
 * same bytes; a decoded model also predicts.
 *
 * Each input is tried twice: as it is, and with its last 4 bytes replaced by
 * the CRC-32 of the others, so that mutations get past the checksum and
 * reach the section parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h" /* nnc.h, and nnc_clear_error() */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size)
{
    nnc_model m = {0};
    m.label_base = 12345;
    nnc_clear_error();
    if (nnc_model_decode(&m, data, size, "fuzz.nnc", 4) != NNC_OK) {
        /* refused: with a message, and out untouched */
        if (m.net || m.label_base != 12345 || !nnc_last_error()[0])
            abort();
        return;
    }
    unsigned char *e1 = NULL, *e2 = NULL;
    size_t n1 = 0, n2 = 0;
    nnc_model again = {0};
    if (nnc_model_encode(&m, &e1, &n1) != NNC_OK ||
        nnc_model_decode(&again, e1, n1, "fuzz re-encoded", 4) != NNC_OK ||
        nnc_model_encode(&again, &e2, &n2) != NNC_OK || n1 != n2 || memcmp(e1, e2, n1) != 0)
        abort();
    /* A few rows through the decoded network and its scaling. */
    int n_in = nnc_net_inputs(m.net), n_out = nnc_net_outputs(m.net);
    if (n_in <= 64 && n_out <= 64) {
        nnc_real x[5 * 64], y[5 * 64];
        for (int i = 0; i < 5 * n_in; i++)
            x[i] = (nnc_real)(i % 7) - 3;
        if (nnc_model_predict(&m, x, 5, y) != NNC_OK)
            abort();
    }
    free(e1);
    free(e2);
    nnc_model_free(&again);
    nnc_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 4 && size <= (1u << 20)) {
        uint8_t *fixed = malloc(size);
        if (!fixed)
            return 0;
        memcpy(fixed, data, size);
        uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            fixed[size - 4 + i] = (uint8_t)(crc >> 8 * i);
        if (memcmp(fixed, data, size) != 0)
            check(fixed, size);
        free(fixed);
    }
    return 0;
}
