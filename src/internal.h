/* Internal helpers shared by the library's source files (not installed). */
#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

#include "nnc.h"

#if defined(__GNUC__)
#define NNC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNC_PRINTF(f, a)
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

#endif
