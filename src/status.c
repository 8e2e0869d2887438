/* Status codes, the per-thread detail message, and whole-file I/O. */
#include "internal.h"

#include <zlib.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One message per thread: the only state the library keeps outside the
 * caller's objects, and it is written only on failure. */
static _Thread_local char last_error[1024];

const char *nnc_version(void) { return NNC_VERSION_STRING; }

const char *nnc_strerror(nnc_status status)
{
    switch (status) {
    case NNC_OK: return "success";
    case NNC_ERR_ARGUMENT: return "invalid argument";
    case NNC_ERR_MEMORY: return "out of memory";
    case NNC_ERR_IO: return "input/output error";
    case NNC_ERR_FORMAT: return "malformed or unsupported file";
    case NNC_ERR_NOT_FOUND: return "not found";
    case NNC_ERR_SHAPE: return "shapes do not match";
    case NNC_ERR_DIVERGED: return "training diverged";
    case NNC_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

const char *nnc_last_error(void) { return last_error; }

void nnc_clear_error(void) { last_error[0] = '\0'; }

nnc_status nnc_fail(nnc_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *nnc_printable(const void *text, size_t n, int keep_utf8, char *buf, size_t size)
{
    const unsigned char *s = text;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < size; i++) {
        if (j + 4 >= size && i + 1 < n) {
            memcpy(buf + j, "...", 3);
            j += 3;
            break;
        }
        int ok = s[i] >= 0x20 && s[i] != 0x7f && (keep_utf8 || s[i] < 0x80);
        buf[j++] = ok ? (char)s[i] : '?';
    }
    buf[j] = '\0';
    return buf;
}

nnc_status nnc_read_file(const char *path, size_t max_len, unsigned char **bytes,
                         size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnc_fail(NNC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_len) {
                free(buf);
                fclose(f);
                return nnc_fail(NNC_ERR_FORMAT, "%s: file larger than %zu bytes", path,
                                max_len);
            }
            size_t ncap = cap * 2 > max_len ? max_len : cap * 2;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fclose(f);
                return nnc_fail(NNC_ERR_IO, "%s: read error: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    *bytes = buf;
    *len = n;
    return NNC_OK;
}

nnc_status nnc_write_file_atomic(const char *path, const void *bytes, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        nnc_status s = nnc_fail(NNC_ERR_IO, "%s: cannot create temporary file: %s", path,
                                strerror(errno));
        free(tmp);
        return s;
    }
    /* mkstemp makes the file private (0600); results are ordinary files. */
    (void)fchmod(fd, 0644);
    const unsigned char *p = bytes;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            free(tmp);
            return nnc_fail(NNC_ERR_IO, "%s: write error: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    int failed = fsync(fd) != 0;
    int e = errno;
    if (close(fd) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        unlink(tmp);
        free(tmp);
        return nnc_fail(NNC_ERR_IO, "%s: cannot finish writing: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        free(tmp);
        return nnc_fail(NNC_ERR_IO, "%s: cannot rename temporary file: %s", path,
                        strerror(e));
    }
    free(tmp);
    return NNC_OK;
}

uint32_t nnc_crc32(const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) { /* zlib takes a uInt length */
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}
