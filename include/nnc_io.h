/*
 * nnc_io.h — nnc's files: the readers of .npy, .npz, CSV and IDX files,
 * data sets loaded from them, the textbook's weight folders and model files
 * (.nnc).  The conventions are nnc.h's; nnc.h includes this header, and this
 * header includes nnc.h, so either may be included first or alone.
 */
#ifndef NNC_IO_H
#define NNC_IO_H

#include <stddef.h>
#include <stdint.h>

#include "nnc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Arrays, the readers' memory limit, whole files                      */
/* ------------------------------------------------------------------ */

#define NNC_ARRAY_MAX_DIMS 4

/* An n-dimensional array of doubles as read from or written to a file. */
typedef struct nnc_array {
    int ndim;
    size_t shape[NNC_ARRAY_MAX_DIMS];
    size_t size; /* product of shape (1 for a 0-d array) */
    double *data;
} nnc_array;

NNC_API void nnc_array_free(nnc_array *array);

/* Memory limit of the readers.  Every reader that allocates from its input
 * takes a `max_memory` in bytes (0: this default, half the physical
 * memory), computes what the input will occupy once decompressed and
 * converted (the file itself when it reads one, the doubles, a data set's
 * values and one-hot labels) and refuses it with NNC_ERR_FORMAT, naming the
 * file and the size, before allocating more than that. */
NNC_API size_t nnc_default_max_memory(void);
/* A size as the limit's messages write it, "884 MB" or "376 bytes" (powers
 * of 1024), into buf; returns buf. */
NNC_API const char *nnc_format_size(size_t n, char *buf, size_t size);
/* Reads a whole file into a malloc'ed buffer (*bytes, *len), at most
 * max_memory bytes (0: the default).  Regular files and pipes (FIFOs,
 * "<(...)") only: devices and folders are refused.  A pipe can be read only
 * once, so read an input with this and sniff its format from the bytes. */
NNC_API nnc_status nnc_read_file(const char *path, size_t max_memory, unsigned char **bytes,
                                 size_t *len);

/* Writes a whole file through a temporary file in the same folder and a
 * rename, so `path` holds either its old contents or all of the new ones. */
NNC_API nnc_status nnc_write_file_atomic(const char *path, const void *bytes, size_t len);

/* ------------------------------------------------------------------ */
/* Readers: .npy, .npz, CSV, IDX                                       */
/* ------------------------------------------------------------------ */

/* .npy v1/v2/v3, dtype <f8/<f4 (also <i8 <i4 <u1 |u1 |b1 …, converted to
 * double), C order.  `what` names the source in error messages. */
NNC_API nnc_status nnc_npy_read_memory(const void *bytes, size_t len, const char *what,
                                       nnc_array *out, size_t max_memory);
NNC_API nnc_status nnc_npy_read_file(const char *path, nnc_array *out, size_t max_memory);
/* One member ("<key>.npy") of a .npz archive, stored or deflated (narrow
 * types converted as they are inflated); a missing member gives
 * NNC_ERR_NOT_FOUND with the keys present in the message.  A member name
 * given twice, or a local header whose name differs from the central
 * directory's, is refused. */
NNC_API nnc_status nnc_npz_read_memory(const void *bytes, size_t len, const char *what,
                                       const char *key, nnc_array *out, size_t max_memory);
NNC_API nnc_status nnc_npz_read_file(const char *path, const char *key, nnc_array *out,
                                     size_t max_memory);
/* Writes an uncompressed .npz of float64 arrays, as numpy.savez does.
 * Written to a temporary file in the same folder, then renamed. */
NNC_API nnc_status nnc_npz_write_file(const char *path, int count, const char *const *keys,
                                      const nnc_array *arrays);

typedef struct nnc_csv_options {
    int header;          /* 1: first line is a header; -1: detect (default) */
    char delimiter;      /* ',' by default */
    size_t max_memory;   /* memory limit in bytes; 0: nnc_default_max_memory() */
} nnc_csv_options;

/* Reads a numeric CSV file into a 2-D array (rows, columns). */
NNC_API nnc_status nnc_csv_read_file(const char *path, const nnc_csv_options *options,
                                     nnc_array *out, char ***column_names);
NNC_API void nnc_csv_free_names(char **names, size_t count);
/* The same from bytes in memory (e.g. standard input); `what` names the
 * source in error messages. */
NNC_API nnc_status nnc_csv_read_memory(const void *bytes, size_t len, const char *what,
                                       const nnc_csv_options *options, nnc_array *out,
                                       char ***column_names);

/* IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed:
 * magic 0x0000 <dtype> <ndim>, big-endian u32 dimensions, then the values
 * (u8, i8, i16, i32, f32, f64; big-endian), converted to double. */
NNC_API nnc_status nnc_idx_read_memory(const void *bytes, size_t len, const char *what,
                                       nnc_array *out, size_t max_memory);
NNC_API nnc_status nnc_idx_read_file(const char *path, nnc_array *out, size_t max_memory);

/* ------------------------------------------------------------------ */
/* Data sets from files                                                */
/* ------------------------------------------------------------------ */

/* From two arrays: data (rows) or (rows, n_in); label (rows) or (rows, n_out). */
NNC_API nnc_status nnc_dataset_from_arrays(nnc_dataset **out, const nnc_array *data,
                                           const nnc_array *label, const char *what);
/* A textbook .npz with keys "data" and "label". */
NNC_API nnc_status nnc_dataset_load_npz(nnc_dataset **out, const char *path, size_t max_memory);
NNC_API nnc_status nnc_dataset_load_npz_memory(nnc_dataset **out, const void *bytes,
                                               size_t len, const char *what, size_t max_memory);
/* A numeric CSV; label_columns lists the target columns (0-based; negative
 * counts from the end, -1 = last), the other columns are inputs. */
NNC_API nnc_status nnc_dataset_load_csv(nnc_dataset **out, const char *path,
                                        const nnc_csv_options *options,
                                        const int *label_columns, int n_label_columns);
/* The same from bytes in memory; `what` names the source. */
NNC_API nnc_status nnc_dataset_load_csv_memory(nnc_dataset **out, const void *bytes, size_t len,
                                               const char *what, const nnc_csv_options *options,
                                               const int *label_columns, int n_label_columns);
/* An IDX pair: images (n, d1, d2, ...) flattened to rows of d1·d2·... inputs
 * and multiplied by `scale` (1/255.0 puts 8-bit pixels in [0, 1]); labels
 * (n) of integer classes 0 … n_classes−1 become one-hot rows (n_classes 0:
 * one more than the largest label).  Decoded straight into nnc_real, with no
 * double-precision copy of the images. */
NNC_API nnc_status nnc_dataset_load_idx(nnc_dataset **out, const char *images_path,
                                        const char *labels_path, double scale, int n_classes,
                                        size_t max_memory);
/* The same from the two files' bytes (e.g. read once from pipes). */
NNC_API nnc_status nnc_dataset_load_idx_memory(nnc_dataset **out, const void *images,
                                               size_t images_len, const char *images_what,
                                               const void *labels, size_t labels_len,
                                               const char *labels_what, double scale, int n_classes,
                                               size_t max_memory);

/* ------------------------------------------------------------------ */
/* The textbook's weight files                                         */
/* ------------------------------------------------------------------ */

/* Writes wb1.npz … wbN.npz (keys "weights" (n_in, n_out), "bias" (1, n_out),
 * float64) into dir, each through a temporary file. */
NNC_API nnc_status nnc_net_save_textbook(const nnc_net *net, const char *dir);
/* Loads wb1.npz … into net; shapes must match. */
NNC_API nnc_status nnc_net_load_textbook(nnc_net *net, const char *dir);
/* Reads the layer widths stored in dir/wb1.npz …: widths[0] = inputs, then
 * each layer's units; *n_layers set to the number of files found.  A folder
 * of more than NNC_MAX_LAYERS files, or more than max_widths - 1, is
 * refused. */
NNC_API nnc_status nnc_textbook_shape(const char *dir, int *widths, int max_widths,
                                      int *n_layers);
/* Loads the textbook's initial weights w_<in>_<out>_<Init>_init.npz
 * (Init = "Xavier", "Normal", "MSRA", "Zero") for every layer; layers of the
 * same shape share one file, as the textbook's 1-1-1 run does. */
NNC_API nnc_status nnc_net_load_textbook_init(nnc_net *net, const char *dir, nnc_init init);

/* ------------------------------------------------------------------ */
/* Model files (.nnc): a network with everything needed to use it      */
/* ------------------------------------------------------------------ */

/* The newest format this library writes (docs/model-format.md): version 2
 * for a model that needs it (dropout or batch norm layers, an optimizer's
 * state, the framework's training options), version 1 for every other, so
 * older readers still read it.  It reads every version up to this one and
 * refuses newer ones. */
#define NNC_MODEL_FORMAT_VERSION 2

typedef struct nnc_meta_entry {
    char *key;   /* e.g. "eta", "data_sha256", "created" */
    char *value; /* UTF-8 text */
} nnc_meta_entry;

/* A trained network and its context.  Start from nnc_model m = {0}, set
 * m.net (the model then owns it) and whatever else applies. */
typedef struct nnc_model {
    nnc_net *net;              /* architecture and weights (owned) */
    nnc_scaling x_scaling;     /* raw inputs → network inputs (n = 0: none) */
    nnc_scaling y_scaling;     /* network outputs → raw outputs (n = 0: none) */
    int label_base;            /* classifiers: class k is reported as label_base + k;
                                * |label_base| + classes - 1 must fit an int */
    int has_state;             /* state below is valid */
    nnc_train_state state;     /* where training stood, for resuming (owned) */
    nnc_checkpoint *history;   /* every check of the training so far (owned) */
    size_t history_count;
    nnc_meta_entry *meta;      /* provenance: ordered key/value text (owned) */
    int n_meta;
} nnc_model;

/* Frees everything the model owns, the network included, and zeroes it. */
NNC_API void nnc_model_free(nnc_model *model);
/* Sets a provenance entry (replacing one of the same key). */
NNC_API nnc_status nnc_model_set_meta(nnc_model *model, const char *key, const char *value);
/* The value of a provenance entry, or NULL. */
NNC_API const char *nnc_model_get_meta(const nnc_model *model, const char *key);

/* The model as bytes in the .nnc format (malloc'ed; free() them). */
NNC_API nnc_status nnc_model_encode(const nnc_model *model, unsigned char **bytes, size_t *len);
/* Parses untrusted bytes into *out (a fresh model whose network has work
 * buffers for max_batch rows); a corrupt file, or one of a newer format
 * version, is refused with a message saying which.  `what` names the
 * source in messages. */
NNC_API nnc_status nnc_model_decode(nnc_model *out, const void *bytes, size_t len,
                                    const char *what, int max_batch);
/* Writes the file through a temporary file and a rename. */
NNC_API nnc_status nnc_model_save(const nnc_model *model, const char *path);
NNC_API nnc_status nnc_model_load(nnc_model *out, const char *path, int max_batch);

/* Predictions in raw units for raw inputs X (rows, n_inputs): scales the
 * inputs, runs the network (output function included) and unscales the
 * outputs into out (rows, n_outputs). */
NNC_API nnc_status nnc_model_predict(nnc_model *model, const nnc_real *X, int rows, nnc_real *out);

/* SHA-256 of bytes, as 64 lowercase hex digits and a NUL. */
NNC_API void nnc_sha256_hex(const void *bytes, size_t len, char hex[65]);

#ifdef __cplusplus
}
#endif

#endif /* NNC_IO_H */
