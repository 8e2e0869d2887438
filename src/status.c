/* Status codes, the per-thread detail message, and whole-file I/O. */
#include "internal.h"

#include <zlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
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

size_t nnc_default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return (size_t)1 << 30; /* unknown: 1 GB */
    unsigned long long half = (unsigned long long)pages / 2 * (unsigned long long)page;
    return half > SIZE_MAX ? SIZE_MAX : (size_t)half;
}

size_t nnc_memory_limit(size_t max_memory)
{
    return max_memory ? max_memory : nnc_default_max_memory();
}

const char *nnc_format_size(size_t n, char *buf, size_t size)
{
    static const char *const units[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
    if (n < 1024) {
        snprintf(buf, size, "%zu bytes", n);
        return buf;
    }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

nnc_status nnc_refuse_size(const char *what, const char *thing, size_t need, size_t limit)
{
    char a[32], b[32];
    return nnc_fail(NNC_ERR_FORMAT, "%s: %s would need %s (limit %s; see --max-memory)", what,
                    thing, nnc_format_size(need, a, sizeof a),
                    nnc_format_size(limit, b, sizeof b));
}

/* Only regular files and pipes are read: a device (/dev/zero, a disk)
 * never ends or is no data set, and a folder is not a file. */
static nnc_status check_kind(FILE *f, const char *path, off_t *regular_size)
{
    struct stat st;
    *regular_size = -1;
    if (fstat(fileno(f), &st) != 0)
        return nnc_fail(NNC_ERR_IO, "%s: cannot examine: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        *regular_size = st.st_size;
        return NNC_OK;
    }
    if (S_ISFIFO(st.st_mode))
        return NNC_OK;
    return nnc_fail(NNC_ERR_IO, "%s: %s, not a regular file or a pipe", path,
                    S_ISDIR(st.st_mode) ? "a folder" : "a device or special file");
}

nnc_status nnc_read_input(const char *path, size_t max_memory, size_t cap,
                          unsigned char **bytes, size_t *len, size_t *left)
{
    const size_t limit = nnc_memory_limit(max_memory);
    nnc_status s = nnc_read_file(path, cap && cap < limit ? cap : limit, bytes, len);
    if (s == NNC_OK)
        *left = nnc_memory_left(limit, *len);
    return s;
}

nnc_status nnc_read_file(const char *path, size_t max_memory, unsigned char **bytes,
                         size_t *len)
{
    if (!path || !bytes || !len)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_read_file: NULL argument");
    size_t max_len = nnc_memory_limit(max_memory);
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnc_fail(NNC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    off_t regular;
    nnc_status s = check_kind(f, path, &regular);
    if (s != NNC_OK) {
        fclose(f);
        return s;
    }
    /* A regular file's size is known: refuse it before reading, and read it
     * into one buffer of that size (one spare byte shows a file that grew). */
    if (regular >= 0 && (unsigned long long)regular > max_len) {
        fclose(f);
        return nnc_refuse_size(path, "reading the file", (size_t)regular, max_len);
    }
    size_t cap = regular > 0 ? (size_t)regular + 1 : 4096, n = 0;
    if (cap > max_len)
        cap = max_len > 0 ? max_len : 1;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_len) {
                /* one byte more tells a full buffer from the end of the file */
                unsigned char probe;
                if (fread(&probe, 1, 1, f) == 0 && !ferror(f))
                    break;
                char lim[32];
                free(buf);
                fclose(f);
                return nnc_fail(NNC_ERR_FORMAT,
                                "%s: the file holds more than %s, the limit (see "
                                "--max-memory)",
                                path, nnc_format_size(max_len, lim, sizeof lim));
            }
            size_t ncap = cap > max_len / 2 ? max_len : cap * 2;
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

/* Temporaries are ".nnc-<pid>-<6 letters or digits>" in the target's folder:
 * short, so that any name valid in the folder stays writable, and tagged
 * with the writer's process so that one left by a killed run can be told
 * from one being written. */
#define TMP_PREFIX ".nnc-"
enum { TMP_TAG_LEN = 6 };
/* A temporary is stale when its writer is gone and it is a minute old, or
 * when it is ten minutes old whoever wrote it (a write takes well under a
 * second from creation to rename; a pid from another pid namespace may look
 * gone, hence the minute). */
enum { TMP_STALE_GONE_S = 60, TMP_STALE_ANY_S = 600 };

/* The writer's pid if `name` is exactly one of our temporaries, else 0. */
static long tmp_writer(const char *name)
{
    size_t plen = strlen(TMP_PREFIX);
    if (strncmp(name, TMP_PREFIX, plen) != 0)
        return 0;
    const char *p = name + plen;
    long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
        pid = pid * 10 + (*p - '0');
    if (!digits || pid <= 0 || *p != '-')
        return 0;
    p++;
    for (int k = 0; k < TMP_TAG_LEN; k++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return 0;
    return *p == '\0' ? pid : 0;
}

/* Removes the stale temporaries of our pattern in `dir` (best effort: a
 * folder that cannot be read is left as it is). */
static void clean_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    time_t now = time(NULL);
    size_t dlen = strlen(dir);
    const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
    char path[4096];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = tmp_writer(e->d_name);
        if (!pid || dlen + 1 + strlen(e->d_name) >= sizeof path)
            continue;
        snprintf(path, sizeof path, "%s%s%s", dir, sep, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        double age = difftime(now, st.st_mtime);
        int gone = (pid_t)pid != getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        if (age >= TMP_STALE_ANY_S || (gone && age >= TMP_STALE_GONE_S))
            (void)unlink(path);
    }
    closedir(d);
}

/* Creates a new temporary as open(O_CREAT | O_EXCL, 0666) does, so that the
 * umask applies, named by the folder prefix dir[0, dlen) ("" or ending in
 * '/') and our pattern, in tmp (size >= dlen + 32).  Returns the
 * descriptor, or -1 with errno set. */
static int create_tmp(const char *dir, size_t dlen, char *tmp)
{
    static const char letters[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* No state is kept between calls: the tag's randomness comes from the
     * clock, the process and this call's stack address, and a name taken
     * already (O_EXCL) just means another try. */
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec ^
                 ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&ts;
    for (int attempt = 0; attempt < 100; attempt++) {
        char tag[TMP_TAG_LEN + 1];
        for (int k = 0; k < TMP_TAG_LEN; k++) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            tag[k] = letters[((x * 0x2545f4914f6cdd1du) >> 32) % (sizeof letters - 1)];
        }
        tag[TMP_TAG_LEN] = '\0';
        snprintf(tmp, dlen + 32, "%.*s" TMP_PREFIX "%ld-%s", (int)dlen, dir, (long)getpid(),
                 tag);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
        x += (uint64_t)attempt + 1;
    }
    errno = EEXIST;
    return -1;
}

nnc_status nnc_write_file_atomic(const char *path, const void *bytes, size_t len)
{
    /* The folder part with its last '/': "" for a bare name. */
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    char *tmp = malloc(dlen + 32);
    if (!tmp)
        return nnc_fail(NNC_ERR_MEMORY, "%s: out of memory", path);
    memcpy(tmp, path, dlen);
    tmp[dlen] = '\0';
    clean_stale(dlen ? tmp : ".");
    int fd = create_tmp(path, dlen, tmp);
    if (fd < 0) {
        nnc_status s = nnc_fail(NNC_ERR_IO, "%s: cannot create temporary file: %s", path,
                                strerror(errno));
        free(tmp);
        return s;
    }
    /* A file being replaced keeps its permissions (a private model stays
     * private); a new one has what open gave it: 0666 less the umask. */
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(fd, old.st_mode & 07777);
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
