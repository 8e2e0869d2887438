/* The collection of broken files in tests/bad/ (listed in its README.md):
 * each is fed to its reader, which must refuse it with the expected status
 * and a message that names the file and the place (line, column, field,
 * byte offset) of the fault.
 *
 * To add a file: put it in tests/bad/, describe it in tests/bad/README.md,
 * and add a row below.  Readers: "csv", "npy", "npz" (member "data"),
 * "idx", "idx-labels" (the file as the labels of tests/bad/images.idx, in
 * nnc_dataset_load_idx), "model" (nnc_model_load). */
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define BAD NNC_DATA_DIR "/../../tests/bad/"
/* Every reader runs under this --max-memory: the crafted files that ask
 * for more (amplification) are refused with the size in the message. */
#define TEST_MAX_MEMORY ((size_t)256 << 20)

typedef struct bad_input {
    const char *file;   /* in tests/bad/ */
    const char *reader; /* "csv", "npy", "npz", "idx", "idx-labels", "model" */
    nnc_status status;  /* expected */
    const char *words;  /* expected in nnc_last_error(), after the file's path */
} bad_input;

static const bad_input bad_inputs[] = {
    /* CSV */
    {"ragged.csv", "csv", NNC_ERR_FORMAT, "line 3 has 1 fields, expected 2 (as on line 1, the header)"},
    {"crlf_bom_ragged.csv", "csv", NNC_ERR_FORMAT, "line 3 has 3 fields, expected 2"},
    {"missing_value.csv", "csv", NNC_ERR_FORMAT, "line 3, column 2 (y): empty field (missing value)"},
    {"only_delimiters.csv", "csv", NNC_ERR_FORMAT, "line 3, column 1 (a): empty field"},
    {"text_field.csv", "csv", NNC_ERR_FORMAT, "line 3, column 2 (weight): 'heavy' is not a number"},
    {"hex.csv", "csv", NNC_ERR_FORMAT, "line 2, column 1: '0x10' is not a number"},
    {"nan.csv", "csv", NNC_ERR_FORMAT, "line 3, column 2 (y): 'NaN' is not a finite number"},
    {"inf.csv", "csv", NNC_ERR_FORMAT, "line 2, column 2 (y): '-inf' is not a finite number"},
    {"huge.csv", "csv", NNC_ERR_FORMAT, "line 2, column 1: '1e999' is out of range"},
    {"nul.csv", "csv", NNC_ERR_FORMAT, "line 2: NUL byte at byte offset 7 (not a text file)"},
    {"utf16.csv", "csv", NNC_ERR_FORMAT, "line 1: NUL byte at byte offset 3 (UTF-16 text"},
    {"unterminated_quote.csv", "csv", NNC_ERR_FORMAT, "line 2, column 1: unterminated quoted field"},
    {"after_quote.csv", "csv", NNC_ERR_FORMAT, "line 2, column 1: text after a closing quote"},
    {"header_only.csv", "csv", NNC_ERR_FORMAT, "no data rows after the header"},
    {"empty.csv", "csv", NNC_ERR_FORMAT, "no data rows (empty file)"},
    {"typo_first_row.csv", "csv", NNC_ERR_FORMAT, "line 1, column 1: '1.5e' is not a number"},
    {"empty_quoted_row.csv", "csv", NNC_ERR_FORMAT, "line 3, column 1 (x): empty field (missing value)"},
    {"cr_ragged.csv", "csv", NNC_ERR_FORMAT, "line 3 has 1 fields, expected 2 (as on line 1, the header)"},

    /* .npy */
    {"bad_magic.npy", "npy", NNC_ERR_FORMAT, "not a .npy file (bad magic)"},
    {"version9.npy", "npy", NNC_ERR_FORMAT, "unsupported .npy version 9.0"},
    {"truncated_header.npy", "npy", NNC_ERR_FORMAT, "truncated .npy header (58 bytes declared, 30 present)"},
    {"missing_key.npy", "npy", NNC_ERR_FORMAT, "header lacks the key 'fortran_order'"},
    {"big_endian.npy", "npy", NNC_ERR_FORMAT, "unsupported dtype '>f8' (nnc reads little-endian"},
    {"object.npy", "npy", NNC_ERR_FORMAT, "unsupported dtype '|O'"},
    {"structured.npy", "npy", NNC_ERR_FORMAT, "a structured record"},
    {"fortran.npy", "npy", NNC_ERR_FORMAT, "unsupported 'fortran_order': True"},
    {"five_dims.npy", "npy", NNC_ERR_FORMAT, "'shape' has more than 4 dimensions"},
    {"shape_overflow.npy", "npy", NNC_ERR_FORMAT, "'shape' is too large (size overflows)"},
    {"shape_empty_overflow.npy", "npy", NNC_ERR_FORMAT, "'shape' is too large (a dimension of 4611686018427387904 values"},
    {"short_data.npy", "npy", NNC_ERR_FORMAT,
     "truncated data: shape needs 3 elements of 8 bytes, only 20 bytes present (from byte offset 68)"},

    /* .npz */
    {"not_zip.npz", "npz", NNC_ERR_FORMAT, "not a .npz (zip) archive: no end-of-central-directory record"},
    {"npy_not_npz.npz", "npz", NNC_ERR_FORMAT, "a .npy file, not a .npz archive"},
    {"directory_out_of_bounds.npz", "npz", NNC_ERR_FORMAT, "central directory out of bounds"},
    {"missing_key.npz", "npz", NNC_ERR_NOT_FOUND, " has no member 'data.npy' (keys present: 'x')"},
    {"crc_mismatch.npz", "npz", NNC_ERR_FORMAT, ":data.npy: CRC-32 mismatch"},
    {"deflate_bomb.npz", "npz", NNC_ERR_FORMAT, ":data.npy: member inflates to 2147483647 bytes, more than nnc's limit"},
    {"bomb_ratio.npz", "npz", NNC_ERR_FORMAT, ":data.npy: member claims to inflate to 100000000 bytes, more than its"},
    {"size_mismatch.npz", "npz", NNC_ERR_FORMAT, ":data.npy: inflated size differs from the 91 bytes"},
    {"bzip2_method.npz", "npz", NNC_ERR_FORMAT, ":data.npy: unsupported zip compression method 12"},
    {"encrypted.npz", "npz", NNC_ERR_FORMAT, ":data.npy: encrypted zip members are not supported"},
    {"duplicate_member.npz", "npz", NNC_ERR_FORMAT, ": the archive holds 2 members named 'data.npy' (ambiguous"},
    {"local_name_mismatch.npz", "npz", NNC_ERR_FORMAT, ":data.npy: the local header names the member 'dbta.npy', the central directory 'data.npy'"},
    {"amplify_u8.npz", "npz", NNC_ERR_FORMAT, ": member 'data.npy' would need 259 MB (limit 256 MB; see --max-memory)"},

    /* IDX, raw */
    {"bad_magic.idx", "idx", NNC_ERR_FORMAT, "not an IDX file (bytes 0-1 are 00 01, expected 00 00)"},
    {"unknown_dtype.idx", "idx", NNC_ERR_FORMAT, "unknown IDX data type 0x0a at byte offset 2"},
    {"zero_dims.idx", "idx", NNC_ERR_FORMAT, "0 dimensions at byte offset 3"},
    {"five_dims.idx", "idx", NNC_ERR_FORMAT, "5 dimensions at byte offset 3"},
    {"zero_dim.idx", "idx", NNC_ERR_FORMAT, "dimension 2 (byte offset 8) is 0"},
    {"truncated_header.idx", "idx", NNC_ERR_FORMAT, "truncated IDX header (3 dimensions need 16 bytes, 10 present)"},
    {"short_data.idx", "idx", NNC_ERR_FORMAT, "the header declares 2 x 3 i16 (12 bytes of data), the file holds 11 bytes"},
    {"long_data.idx", "idx", NNC_ERR_FORMAT, "the header declares 4 u8 (4 bytes of data), the file holds 5 bytes"},
    {"too_large.idx", "idx", NNC_ERR_FORMAT, "65536 x 65536 x 2 f64, more than nnc's limit"},

    /* IDX, gzip */
    {"truncated.idx.gz", "idx", NNC_ERR_FORMAT, "truncated gzip file (the stream stops after 111 bytes"},
    {"short_data.idx.gz", "idx", NNC_ERR_FORMAT, "the data ends at byte offset 111 of the inflated data"},
    {"trailing_garbage.idx.gz", "idx", NNC_ERR_FORMAT, "7 bytes after the end of the gzip stream (from byte offset 128"},
    {"crc_mismatch.idx.gz", "idx", NNC_ERR_FORMAT, "corrupt gzip data: incorrect data check"},
    {"bomb_header.idx.gz", "idx", NNC_ERR_FORMAT, "1024 x 1024 x 1024 u8 (1073741824 bytes of data), more than a 31-byte gzip file can hold"},
    {"bomb_overlong.idx.gz", "idx", NNC_ERR_FORMAT, "the inflated data goes on past byte offset 16"},
    {"not_idx.gz", "idx", NNC_ERR_FORMAT, "not an IDX file (bytes 0-1 of the inflated data are 78 2c"},

    /* IDX labels that do not fit images.idx (3 images) */
    {"labels_count.idx", "idx-labels", NNC_ERR_SHAPE, "labels_count.idx has 4 labels"},
    {"labels_negative.idx", "idx-labels", NNC_ERR_FORMAT, "label 2 is -3, not a class"},
    {"labels_2d.idx", "idx-labels", NNC_ERR_SHAPE, "labels have 2 dimensions, expected 1"},

    /* Model files (.nnc) */
    {"empty.nnc", "model", NNC_ERR_FORMAT, "truncated: 0 bytes, less than the 8-byte signature"},
    {"text.nnc", "model", NNC_ERR_FORMAT, "not an nnc model file: bad signature at offset 0"},
    {"bad_magic.nnc", "model", NNC_ERR_FORMAT, "bad signature at offset 0 (4e 4e 43 4d"},
    {"truncated.nnc", "model", NNC_ERR_FORMAT, "truncated or corrupt at offset 291"},
    {"crc_mismatch.nnc", "model", NNC_ERR_FORMAT, "CRC-32 mismatch (stored 1f090773 at offset 601"},
    {"newer_version.nnc", "model", NNC_ERR_FORMAT, "model format version 3, written by nnc"},
    {"unknown_critical.nnc", "model", NNC_ERR_FORMAT, "section 'FUTR' at offset 589: unknown critical section"},
    {"too_many_layers.nnc", "model", NNC_ERR_FORMAT, "section 'ARCH' at offset 16: n_layers = 68 is more than the 64 layers a model may have"},
    {"even_rng_inc.nnc", "model", NNC_ERR_FORMAT, "field 'rng_inc' at offset 228 is 0, an even number"},
    {"label_base_max.nnc", "model", NNC_ERR_FORMAT, "section 'ARCH' at offset 21: label_base = 2147483647 is out of range"},
    {"subnormal_scale.nnc", "model", NNC_ERR_FORMAT, "section 'XSCL' at offset 106: column 0: field 'scale' is 4.94066e-324, which is not a normal number"},
};

/* Runs one reader on one file; frees whatever it returns. */
static nnc_status run_reader(const char *reader, const char *path, int *known)
{
    nnc_array a;
    nnc_status s;
    *known = 1;
    if (strcmp(reader, "csv") == 0) {
        char **names = NULL;
        s = nnc_csv_read_file(path, NULL, &a, &names);
        if (s == NNC_OK) {
            nnc_csv_free_names(names, a.shape[1]);
            nnc_array_free(&a);
        }
    } else if (strcmp(reader, "npy") == 0) {
        s = nnc_npy_read_file(path, &a, TEST_MAX_MEMORY);
        if (s == NNC_OK)
            nnc_array_free(&a);
    } else if (strcmp(reader, "npz") == 0) {
        s = nnc_npz_read_file(path, "data", &a, TEST_MAX_MEMORY);
        if (s == NNC_OK)
            nnc_array_free(&a);
    } else if (strcmp(reader, "idx") == 0) {
        s = nnc_idx_read_file(path, &a, TEST_MAX_MEMORY);
        if (s == NNC_OK)
            nnc_array_free(&a);
    } else if (strcmp(reader, "idx-labels") == 0) {
        nnc_dataset *ds = NULL;
        s = nnc_dataset_load_idx(&ds, BAD "images.idx", path, 1.0, 0, TEST_MAX_MEMORY);
        nnc_dataset_free(ds);
    } else if (strcmp(reader, "model") == 0) {
        nnc_model m = {0};
        s = nnc_model_load(&m, path, 16);
        if (s == NNC_OK)
            nnc_model_free(&m);
    } else {
        *known = 0;
        s = NNC_ERR_ARGUMENT;
    }
    return s;
}

/* Inputs that are not files in tests/bad/: a device, and a CSV header line
 * made only of delimiters (every byte a field). */
static void extra_checks(void)
{
    /* /dev/zero never ends: refused at once, not read to the limit */
    unsigned char *bytes = NULL;
    size_t len = 0;
    check_count += 3;
    nnc_status s = nnc_read_file("/dev/zero", 0, &bytes, &len);
    if (s != NNC_ERR_IO || !strstr(nnc_last_error(), "/dev/zero: a device or special file, "
                                                     "not a regular file or a pipe")) {
        check_failures++;
        fprintf(stderr, "/dev/zero: %s (%s)\n", nnc_strerror(s), nnc_last_error());
    }
    free(bytes);
    nnc_model m = {0};
    s = nnc_model_load(&m, "/dev/zero", 1);
    if (s != NNC_ERR_IO || !strstr(nnc_last_error(), "a device or special file")) {
        check_failures++;
        fprintf(stderr, "model /dev/zero: %s (%s)\n", nnc_strerror(s), nnc_last_error());
    }
    if (s == NNC_OK)
        nnc_model_free(&m);
    /* a 2 MB header of 1M one-letter names: about 30 MB of buffers and
     * names (it took 60 before), read under a 32 MB limit; under 8 MB it is
     * refused before the buffers are allocated */
    size_t cols = (size_t)1 << 20, n = 2 * cols;
    char *csv = malloc(n);
    if (!csv) {
        check_failures++;
        return;
    }
    for (size_t i = 0; i < cols; i++) {
        csv[2 * i] = 'a';
        csv[2 * i + 1] = i + 1 < cols ? ',' : '\n';
    }
    nnc_array a;
    char **names = NULL;
    nnc_csv_options big = {-1, ',', (size_t)32 << 20}, small = {-1, ',', (size_t)8 << 20};
    s = nnc_csv_read_memory(csv, n, "wide.csv", &big, &a, &names);
    if (s != NNC_ERR_FORMAT || !strstr(nnc_last_error(), "wide.csv: no data rows after the header")) {
        check_failures++;
        fprintf(stderr, "wide.csv, 32 MB: %s (%s)\n", nnc_strerror(s), nnc_last_error());
    }
    check_count++;
    s = nnc_csv_read_memory(csv, n, "wide.csv", &small, &a, &names);
    if (s != NNC_ERR_FORMAT ||
        !strstr(nnc_last_error(), "wide.csv: line 1 would need 18 MB (limit 8.0 MB; see "
                                  "--max-memory)")) {
        check_failures++;
        fprintf(stderr, "wide.csv, 8 MB: %s (%s)\n", nnc_strerror(s), nnc_last_error());
    }
    free(csv);
}

int main(void)
{
    size_t n = sizeof bad_inputs / sizeof bad_inputs[0];
    for (size_t i = 0; i < n; i++) {
        const bad_input *b = &bad_inputs[i];
        char path[1024];
        snprintf(path, sizeof path, "%s%s", BAD, b->file);
        int known;
        nnc_status s = run_reader(b->reader, path, &known);
        check_count++;
        if (!known) {
            check_failures++;
            fprintf(stderr, "%s: unknown reader '%s'\n", b->file, b->reader);
            continue;
        }
        if (s != b->status) {
            check_failures++;
            fprintf(stderr, "%s (%s): %s, want %s (%s)\n", b->file, b->reader, nnc_strerror(s),
                    nnc_strerror(b->status), nnc_last_error());
            continue;
        }
        /* the message starts with the file's path (or names it), then says where */
        const char *msg = nnc_last_error();
        check_count++;
        if (!strstr(msg, b->file) || !strstr(msg, b->words)) {
            check_failures++;
            fprintf(stderr, "%s (%s): message \"%s\" lacks \"%s\"\n", b->file, b->reader, msg,
                    b->words);
        }
    }
    extra_checks();
    printf("test_bad_inputs: %zu files\n", n);
    return check_report("test_bad_inputs");
}
