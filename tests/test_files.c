/* nnc_write_file_atomic: permissions kept or taken from the umask, short
 * temporary names, and stale temporaries of killed writers cleaned. */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DIR_ NNC_TEST_TMP "/files"

static mode_t mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Files in DIR_ whose name starts with prefix. */
static int count_prefix(const char *prefix)
{
    DIR *d = opendir(DIR_);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

/* Creates path holding "x", last modified `age` seconds ago. */
static void make_old(const char *path, int age)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age;
    t[1] = t[0];
    utimensat(AT_FDCWD, path, t, 0);
}

/* Empties the test's folder: the temporaries an earlier run left there on
 * purpose (a fresh one stays) would otherwise be counted by this one. */
static void empty_dir(void)
{
    DIR *d = opendir(DIR_);
    struct dirent *e;
    char path[1024];
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", DIR_, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
}

int main(void)
{
    mkdir(NNC_TEST_TMP, 0777);
    mkdir(DIR_, 0777);
    empty_dir();
    const char *file = DIR_ "/model.bin";
    unlink(file);

    /* A new file: 0666 less the umask, as any program's would be. */
    mode_t old_mask = umask(077);
    CHECK_OK(nnc_write_file_atomic(file, "abc", 3));
    CHECK(mode_of(file) == 0600);
    unlink(file);
    umask(022);
    CHECK_OK(nnc_write_file_atomic(file, "abc", 3));
    CHECK(mode_of(file) == 0644);

    /* A file being replaced keeps its mode whatever the umask: a private
     * model stays private, a shared one shared. */
    chmod(file, 0600);
    CHECK_OK(nnc_write_file_atomic(file, "abcd", 4));
    CHECK(mode_of(file) == 0600);
    umask(077);
    chmod(file, 0664);
    CHECK_OK(nnc_write_file_atomic(file, "abcde", 5));
    CHECK(mode_of(file) == 0664);
    umask(old_mask);
    FILE *f = fopen(file, "rb");
    char got[8] = "";
    CHECK(f && fread(got, 1, sizeof got, f) == 5);
    if (f)
        fclose(f);
    CHECK(memcmp(got, "abcde", 5) == 0);

    /* A 250-byte name is valid on every common file system; the temporary's
     * name must not make it fail. */
    char longname[512];
    int k = snprintf(longname, sizeof longname, "%s/", DIR_);
    for (int i = 0; i < 246; i++)
        longname[k++] = 'n';
    memcpy(longname + k, ".nnc", 5);
    CHECK_OK(nnc_write_file_atomic(longname, "x", 1));
    CHECK(exists(longname));
    unlink(longname);

    /* A bare name goes to the current folder. */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(DIR_) == 0);
    CHECK_OK(nnc_write_file_atomic("bare.txt", "y", 1));
    CHECK(exists("bare.txt"));
    unlink("bare.txt");
    CHECK(chdir(cwd) == 0);

    /* Stale temporaries of our pattern go when the folder is next written:
     * a gone writer's a minute on (no pid reaches 999999999: Linux's pid_max
     * is at most 2^22), and any an hour old; a fresh one, and names that only
     * look alike, stay. */
    char p[512];
    snprintf(p, sizeof p, "%s/.nnc-%ld-Ab3xY9", DIR_, (long)getppid());
    make_old(p, 3600); /* the parent lives, but the file is an hour old */
    snprintf(p, sizeof p, "%s/.nnc-%ld-fresh1", DIR_, (long)getppid());
    make_old(p, 0);
    snprintf(p, sizeof p, "%s/.nnc-999999999-dead01", DIR_);
    make_old(p, 120); /* no such process, two minutes old */
    snprintf(p, sizeof p, "%s/.nnc-999999999-dead02", DIR_);
    make_old(p, 0); /* no such process, but just made: may be in flight elsewhere */
    snprintf(p, sizeof p, "%s/.nnc-1-short", DIR_);
    make_old(p, 3600); /* not our pattern (5 letters) */
    snprintf(p, sizeof p, "%s/.nnc-12-abcdefg", DIR_);
    make_old(p, 3600); /* not our pattern (7 letters) */
    snprintf(p, sizeof p, "%s/.nnc.lock", DIR_);
    make_old(p, 3600);
    CHECK(count_prefix(".nnc") == 7);
    CHECK_OK(nnc_write_file_atomic(file, "z", 1));
    CHECK(count_prefix(".nnc-") == 4);
    snprintf(p, sizeof p, "%s/.nnc-%ld-fresh1", DIR_, (long)getppid());
    CHECK(exists(p));
    CHECK(exists(DIR_ "/.nnc-999999999-dead02"));
    CHECK(!exists(DIR_ "/.nnc-999999999-dead01"));
    CHECK(exists(DIR_ "/.nnc-1-short"));
    CHECK(exists(DIR_ "/.nnc-12-abcdefg"));
    CHECK(exists(DIR_ "/.nnc.lock"));
    /* No temporary of this write is left. */
    char mine[64];
    snprintf(mine, sizeof mine, ".nnc-%ld-", (long)getpid());
    CHECK(count_prefix(mine) == 0);

    /* Errors name the file. */
    CHECK_STATUS(nnc_write_file_atomic(DIR_ "/no/such/folder/f", "x", 1), NNC_ERR_IO);
    CHECK_MSG("no/such/folder/f: cannot create temporary file");
    return check_report("test_files");
}
