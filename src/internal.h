/* Internal helpers shared by the library's source files (not installed). */
#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

#include "nnc.h"

#if defined(__GNUC__)
#define NNC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNC_PRINTF(f, a)
/* An uninitialised dataset of rows × (n_in, n_out), sizes already checked
 * (positive, rows·width within int); readers fill it in place through the
 * mutable views.  `what` names the source in the out-of-memory message. */
nnc_status nnc_dataset_alloc(nnc_dataset **out, int rows, int n_in, int n_out,
                             const char *what);
nnc_real *nnc_dataset_x_mutable(nnc_dataset *ds);
nnc_real *nnc_dataset_y_mutable(nnc_dataset *ds);

#endif

/* Records a detail message for nnc_last_error() and returns status. */
nnc_status nnc_fail(nnc_status status, const char *fmt, ...) NNC_PRINTF(2, 3);
/* Forgets the previous detail message. */
void nnc_clear_error(void);

/* Copies untrusted text s[0..n) into buf for an error message: control
 * characters become '?', bytes >= 0x80 are kept only with keep_utf8, and a
 * long text is shortened with "...".  Returns buf. */
const char *nnc_printable(const void *s, size_t n, int keep_utf8, char *buf, size_t size);
/* Reads a whole file into a malloc'ed buffer (bounded by max_len). */
nnc_status nnc_read_file(const char *path, size_t max_len, unsigned char **bytes,
                         size_t *len);

/* An uninitialised dataset of rows × (n_in, n_out), sizes already checked
 * (positive, rows·width within int); readers fill it in place through the
 * mutable views.  `what` names the source in the out-of-memory message. */
nnc_status nnc_dataset_alloc(nnc_dataset **out, int rows, int n_in, int n_out,
                             const char *what);
nnc_real *nnc_dataset_x_mutable(nnc_dataset *ds);
nnc_real *nnc_dataset_y_mutable(nnc_dataset *ds);

#endif
