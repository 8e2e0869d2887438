/* Data for the subcommands: the embedded textbook sets or files. */
#include "cli.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated at build time by cmake/embed.cmake from data/ai-edu/. */
extern const unsigned char nnc_data_sin_train[], nnc_data_sin_test[];
extern const unsigned char nnc_data_composite_train[], nnc_data_composite_test[];
extern const size_t nnc_data_sin_train_size, nnc_data_sin_test_size;
extern const size_t nnc_data_composite_train_size, nnc_data_composite_test_size;

typedef struct builtin_set {
    const char *name, *train_file, *test_file;
    const unsigned char *train, *test;
    const size_t *train_size, *test_size;
} builtin_set;

static const builtin_set builtin_sets[] = {
    {"sin", "ch08.train.npz", "ch08.test.npz", nnc_data_sin_train, nnc_data_sin_test,
     &nnc_data_sin_train_size, &nnc_data_sin_test_size},
    {"composite", "ch09.train.npz", "ch09.test.npz", nnc_data_composite_train,
     nnc_data_composite_test, &nnc_data_composite_train_size,
     &nnc_data_composite_test_size},
};

static const builtin_set *find_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtin_sets / sizeof builtin_sets[0]; i++)
        if (strcmp(builtin_sets[i].name, name) == 0)
            return &builtin_sets[i];
    return NULL;
}

int cli_is_builtin(const char *name) { return find_builtin(name) != NULL; }

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A file read once, whole: a pipe ("<(...)", a FIFO) cannot be read twice,
 * so the format is told from these bytes and the loaders read them. */
typedef struct input_bytes {
    unsigned char *bytes;
    size_t len;
} input_bytes;

/* Exit status for a failed load: out of memory is a failure while running,
 * anything else (a --max-memory refusal included) is bad input. */
static int load_failure(nnc_status s) { return s == NNC_ERR_MEMORY ? CLI_FAILED : CLI_USAGE; }

/* 1 if the bytes start as an IDX file does (00 00 <dtype> <ndim>), or are
 * gzip-compressed (IDX is the one compressed format read here). */
static int is_idx_file(const input_bytes *in)
{
    const unsigned char *b = in->bytes;
    size_t n = in->len;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return 1;
    return n >= 4 && b[0] == 0 && b[1] == 0 &&
           (b[2] == 0x08 || b[2] == 0x09 || b[2] == 0x0B || b[2] == 0x0C || b[2] == 0x0D ||
            b[2] == 0x0E) &&
           b[3] >= 1 && b[3] <= 4;
}

/* The labels beside an MNIST-named images file: "images-idx3" becomes
 * "labels-idx1" in the file's name (also "images.idx3", as some copies
 * spell it).  0 if the name has neither. */
static int sibling_labels(const char *images, char *buf, size_t size)
{
    const char *base = strrchr(images, '/');
    base = base ? base + 1 : images;
    const char *at = strstr(base, "images-idx3");
    if (!at)
        at = strstr(base, "images.idx3");
    if (!at || strlen(images) >= size)
        return 0;
    size_t pre = (size_t)(at - images);
    snprintf(buf, size, "%.*slabels%cidx1%s", (int)pre, images, at[6],
             at + strlen("images-idx3"));
    return 1;
}

/* Loads an IDX images file and its labels: pixels / 255, one-hot classes
 * 0 … n-1 (n_classes 0: from the labels). */
static int load_idx(const char *cmd, const char *images, const input_bytes *image_bytes,
                    const char *labels, const char *flag, int n_classes, cli_data *d,
                    nnc_dataset **out)
{
    char sibling[4096];
    if (!labels) {
        if (!sibling_labels(images, sibling, sizeof sibling)) {
            cli_error(cmd,
                      "%s is an IDX file: give its labels with %s FILE (or name it "
                      "...images-idx3... with ...labels-idx1... beside it)",
                      images, flag);
            return 0;
        }
        labels = sibling;
    }
    size_t limit = d->max_memory;
    input_bytes lb = {0};
    nnc_status s = nnc_read_file(labels, limit, &lb.bytes, &lb.len);
    if (s == NNC_OK)
        s = nnc_dataset_load_idx_memory(out, image_bytes->bytes, image_bytes->len, images,
                                        lb.bytes, lb.len, labels, 1 / 255.0, n_classes,
                                        limit > lb.len ? limit - lb.len : 1);
    free(lb.bytes);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        d->exit_status = load_failure(s);
        return 0;
    }
    return 1;
}

/* Both IDX sets: checks the options that go with them, then loads. */
static int load_idx_pair(const char *cmd, const cli_data_source *src, nnc_task task,
                         const input_bytes *train, const input_bytes *test, cli_data *d)
{
    int train_idx = is_idx_file(train), test_idx = is_idx_file(test);
    if (train_idx != test_idx) {
        cli_error(cmd, "%s is an IDX file but %s is not: give both sets as IDX files",
                  train_idx ? src->train_path : src->test_path,
                  train_idx ? src->test_path : src->train_path);
        return 0;
    }
    if (task != NNC_TASK_MULTICLASS) {
        cli_error(cmd, "IDX images with class labels need --task multiclass (not %s)",
                  nnc_task_name(task));
        return 0;
    }
    if (src->label) {
        cli_error(cmd, "--label picks CSV columns; the labels of IDX images come from "
                       "--train-labels and --test-labels");
        return 0;
    }
    if (!load_idx(cmd, src->train_path, train, src->train_labels, "--train-labels", 0, d,
                  &d->train))
        return 0;
    int classes = nnc_dataset_outputs(d->train);
    if (classes < 2) {
        cli_error(cmd, "%s: the training labels hold only class 0; a classifier needs at "
                       "least two classes",
                  src->train_labels ? src->train_labels : src->train_path);
        return 0;
    }
    if (!load_idx(cmd, src->test_path, test, src->test_labels, "--test-labels", classes, d,
                  &d->test))
        return 0;
    d->first_label = 0;
    return 1;
}

enum { MAX_LABELS = 64 };

/* "--label 3" or "--label -2,-1": CSV label columns, 0-based, negative from
 * the end. */
static int parse_labels(const char *cmd, const char *text, int *cols, int *count)
{
    double *v;
    int n;
    if (!cli_parse_double_list(cmd, "--label", text, &v, &n))
        return 0;
    int ok = n <= MAX_LABELS;
    for (int k = 0; ok && k < n; k++) {
        /* in range before the cast: a double beyond int converts undefined */
        ok = v[k] > -100000 && v[k] < 100000 && v[k] == (int)v[k];
        cols[k] = ok ? (int)v[k] : 0;
    }
    free(v);
    if (!ok)
        cli_error(cmd, "--label: '%s' is not a list of at most %d column numbers", text,
                  MAX_LABELS);
    *count = n;
    return ok;
}

/* A .npz archive by its name or its first bytes (a pipe has no name to go
 * by), else CSV. */
static int is_npz(const char *path, const input_bytes *in)
{
    return ends_with(path, ".npz") ||
           (in->len >= 4 && (memcmp(in->bytes, "PK\x03\x04", 4) == 0 ||
                             memcmp(in->bytes, "PK\x05\x06", 4) == 0));
}

static nnc_status load_file(const char *path, const input_bytes *in, const int *labels,
                            int n_labels, size_t limit, nnc_dataset **out)
{
    if (is_npz(path, in))
        return nnc_dataset_load_npz_memory(out, in->bytes, in->len, path, limit);
    nnc_csv_options opt = {-1, ',', limit};
    return nnc_dataset_load_csv_memory(out, in->bytes, in->len, path, &opt, labels,
                                       n_labels);
}

/* Bytes a data set holds. */
static size_t dataset_bytes(const nnc_dataset *ds)
{
    if (!ds)
        return 0;
    return (size_t)nnc_dataset_rows(ds) *
           ((size_t)nnc_dataset_inputs(ds) + (size_t)nnc_dataset_outputs(ds)) *
           sizeof(nnc_real);
}

/* Multiclass labels: class numbers that span at most MAX_CLASSES classes,
 * whose one-hot targets (train and test) take at most MAX_ONE_HOT bytes: a
 * column of ids taken for classes would otherwise reserve gigabytes. */
enum { MAX_CLASSES = 100000 };
#define MAX_ONE_HOT ((size_t)1 << 30)

/* The largest label magnitude: every label an int, and so is its negation
 * (INT_MIN is not), so that each cast to int is defined.  The first label
 * also becomes the model's label base, which a model holds with
 * |label_base| + classes - 1 within an int: one_hot_both checks that before
 * training, so a run is never refused at saving, after its training. */
#define MAX_LABEL INT_MAX

/* Every label of ds an integer within +-MAX_LABEL, and with lo_hi set,
 * within [lo_hi[0], lo_hi[1]]; else says which row of `what` holds what. */
static int class_labels_ok(const char *cmd, const nnc_dataset *ds, const char *what,
                           const double *lo_hi)
{
    const nnc_real *y = nnc_dataset_y(ds);
    for (int r = 0; r < nnc_dataset_rows(ds); r++) {
        double v = (double)y[r];
        if (v != floor(v) || v < -(double)MAX_LABEL || v > MAX_LABEL) {
            int rounded = sizeof(nnc_real) < sizeof(double) && fabs(v) > 16777216;
            cli_error(cmd, "%s: row %d: label %.17g%s: multiclass labels must be integers "
                      "from %d to %d (class numbers)", what, r + 1, v,
                      rounded ? " (as float holds it)" : "", -MAX_LABEL, MAX_LABEL);
            return 0;
        }
        if (lo_hi && (v < lo_hi[0] || v > lo_hi[1])) {
            cli_error(cmd, "%s: row %d: label %d is not one of the training labels' classes "
                      "(%d to %d)", what, r + 1, (int)v, (int)lo_hi[0], (int)lo_hi[1]);
            return 0;
        }
    }
    return 1;
}

/* Turns integer class labels into one-hot rows for both sets, with the
 * classes the training labels span. */
static int one_hot_both(const char *cmd, const char *train_what, const char *test_what,
                        cli_data *d)
{
    if (nnc_dataset_outputs(d->train) != 1)
        return 1; /* already one-hot */
    if (!class_labels_ok(cmd, d->train, train_what, NULL))
        return 0;
    const nnc_real *y = nnc_dataset_y(d->train);
    double lo = y[0], hi = y[0];
    for (int i = 1; i < nnc_dataset_rows(d->train); i++) {
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    if (hi - lo < MAX_CLASSES && -lo + (hi - lo) > INT_MAX) {
        cli_error(cmd, "%s: multiclass labels %.0f to %.0f: a model numbers its classes from "
                  "its first label, and |first label| + classes - 1 must fit an int "
                  "(%d here); number the classes from 0", train_what, lo, hi, INT_MAX);
        return 0;
    }
    if (hi - lo >= MAX_CLASSES) {
        cli_error(cmd, "%s: multiclass labels %.0f to %.0f make %.0f classes, more than %d: "
                  "labels are class numbers (0 to n-1), not identifiers", train_what, lo, hi,
                  hi - lo + 1, MAX_CLASSES);
        return 0;
    }
    int first = (int)lo, classes = (int)(hi - lo) + 1;
    int test_one_hot = nnc_dataset_outputs(d->test) == 1;
    size_t rows = (size_t)nnc_dataset_rows(d->train) +
                  (test_one_hot ? (size_t)nnc_dataset_rows(d->test) : 0);
    /* the one-hot rows replace the label columns: refused before allocating
     * past MAX_ONE_HOT or what --max-memory leaves beside the data */
    size_t held = dataset_bytes(d->train) + dataset_bytes(d->test);
    size_t limit = d->max_memory > held ? d->max_memory - held : 0;
    if (limit > MAX_ONE_HOT)
        limit = MAX_ONE_HOT;
    if (rows * (size_t)classes > limit / sizeof(nnc_real)) {
        cli_error(cmd, "%s: multiclass labels %d to %d make %d classes; their one-hot targets "
                  "for %zu rows would take %.0f MiB (at most %zu MiB here; see --max-memory): "
                  "labels are class numbers (0 to n-1), not identifiers", train_what, first,
                  (int)hi, classes, rows, (double)rows * classes * sizeof(nnc_real) / (1 << 20),
                  limit >> 20);
        return 0;
    }
    double lo_hi[2] = {lo, hi};
    if (test_one_hot && !class_labels_ok(cmd, d->test, test_what, lo_hi))
        return 0;
    d->first_label = first;
    const char *what = train_what;
    nnc_status s = nnc_dataset_one_hot(d->train, first, classes);
    if (s == NNC_OK && test_one_hot) {
        what = test_what;
        s = nnc_dataset_one_hot(d->test, first, classes);
    }
    if (s != NNC_OK) {
        /* the library's message says the row; the file is ours to name */
        const char *m = nnc_last_error(), *tag = "nnc_dataset_one_hot: ";
        if (strncmp(m, tag, strlen(tag)) == 0)
            m += strlen(tag);
        cli_error(cmd, "%s: %s", what, m);
        d->exit_status = load_failure(s);
        return 0;
    }
    return 1;
}

/* --task binary: a logistic output learns labels 0 and 1, nothing else. */
static int binary_labels(const char *cmd, const nnc_dataset *ds, const char *what)
{
    const nnc_real *y = nnc_dataset_y(ds);
    size_t n = (size_t)nnc_dataset_rows(ds) * (size_t)nnc_dataset_outputs(ds);
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1) {
            cli_error(cmd, "--task binary needs labels 0 and 1, but %s has %g (row %zu); "
                      "other classes need --task multiclass, numbers --task fitting", what,
                      (double)y[i], i / (size_t)nnc_dataset_outputs(ds) + 1);
            return 0;
        }
    }
    return 1;
}

/* The run's name: the training file's name up to its first dot; for
 * MNIST-named IDX files (train-images-idx3-ubyte.gz) their folder's name
 * (fashion-mnist) when there is one. */
static void file_stem(const char *train_path, int idx, char *stem, size_t size)
{
    const char *base = strrchr(train_path, '/');
    base = base ? base + 1 : train_path;
    size_t len = strcspn(base, ".");
    if (idx && (strstr(base, "images-idx3") || strstr(base, "images.idx3")) &&
        base - train_path >= 2) {
        const char *end = base - 1, *dir = end;
        while (dir > train_path && dir[-1] != '/')
            dir--;
        if (end > dir && !(end - dir == 1 && dir[0] == '.') &&
            !(end - dir == 2 && dir[0] == '.' && dir[1] == '.')) {
            base = dir;
            len = (size_t)(end - dir);
        }
    }
    if (len >= size)
        len = size - 1;
    memcpy(stem, base, len);
    stem[len] = '\0';
}

/* --train and --test into d (CSV, npz or IDX); 1 with *s the loaders'
 * status, or 0 after an error with d->exit_status set. */
static int load_files(const char *cmd, const cli_data_source *src, nnc_task task,
                      const int *labels, int n_labels, cli_data *d, nnc_status *s)
{
    const char *train_path = src->train_path, *test_path = src->test_path;
    if (!train_path || !test_path) {
        cli_error(cmd, "--train and --test go together");
        return 0;
    }
    if (src->builtin) {
        cli_error(cmd, "give either a built-in data set (%s) or --train/--test, not both",
                  src->builtin);
        return 0;
    }
    input_bytes train = {0}, test = {0};
    /* each file read once; the limit counts what is held */
    *s = nnc_read_file(train_path, d->max_memory, &train.bytes, &train.len);
    if (*s == NNC_OK)
        *s = nnc_read_file(test_path, d->max_memory > train.len ? d->max_memory - train.len : 1,
                           &test.bytes, &test.len);
    if (*s != NNC_OK) {
        cli_status_error(cmd, *s);
        d->exit_status = load_failure(*s);
        free(train.bytes);
        free(test.bytes);
        return 0;
    }
    int idx = is_idx_file(&train) || is_idx_file(&test);
    int ok = 1;
    if (!idx && src->label && is_npz(train_path, &train) && is_npz(test_path, &test)) {
        cli_error(cmd, "--label picks CSV columns; %s and %s are .npz files, whose labels "
                  "are their member 'label'", train_path, test_path);
        ok = 0;
    } else if (!idx && (src->train_labels || src->test_labels)) {
        cli_error(cmd, "%s is for IDX image files; %s is not one",
                  src->train_labels ? "--train-labels" : "--test-labels",
                  src->train_labels ? train_path : test_path);
        ok = 0;
    }
    size_t held = train.len + test.len;
    if (ok && idx) {
        d->max_memory = d->max_memory > held ? d->max_memory - held : 1;
        ok = load_idx_pair(cmd, src, task, &train, &test, d);
    } else if (ok) {
        *s = load_file(train_path, &train, labels, n_labels,
                       d->max_memory > held ? d->max_memory - held : 1, &d->train);
        held += dataset_bytes(d->train);
        if (*s == NNC_OK)
            *s = load_file(test_path, &test, labels, n_labels,
                           d->max_memory > held ? d->max_memory - held : 1, &d->test);
    }
    if (ok && *s == NNC_OK)
        nnc_sha256_hex(train.bytes, train.len, d->sha256);
    free(train.bytes);
    free(test.bytes);
    if (!ok)
        return 0;
    /* the files are freed: the one-hot labels may take the whole limit */
    d->max_memory = src->max_memory ? src->max_memory : nnc_default_max_memory();
    file_stem(train_path, idx, d->stem, sizeof d->stem);
    return 1;
}

/* A built-in set into d; 1 with *s the loader's status, or 0 after an error. */
static int load_builtin(const char *cmd, const cli_data_source *src, cli_data *d,
                        nnc_status *s)
{
    if (src->train_labels || src->test_labels) {
        cli_error(cmd, "%s goes with IDX images given by --train and --test",
                  src->train_labels ? "--train-labels" : "--test-labels");
        return 0;
    }
    const builtin_set *b = find_builtin(src->builtin ? src->builtin : "sin");
    if (!b) {
        cli_error(cmd, "unknown data set '%s' (built in: sin, composite; or use "
                  "--train FILE --test FILE)", src->builtin);
        return 0;
    }
    if (src->label) {
        cli_error(cmd, "--label picks CSV columns of --train/--test files; the built-in "
                  "set %s has its own labels", b->name);
        return 0;
    }
    *s = nnc_dataset_load_npz_memory(&d->train, b->train, *b->train_size, b->train_file,
                                     d->max_memory);
    if (*s == NNC_OK)
        *s = nnc_dataset_load_npz_memory(&d->test, b->test, *b->test_size, b->test_file,
                                         d->max_memory);
    snprintf(d->stem, sizeof d->stem, "%s", b->name);
    nnc_sha256_hex(b->train, *b->train_size, d->sha256);
    return 1;
}

/* The task's labels (binary: 0 and 1; multiclass: one-hot) and the two sets'
 * shapes alike; 1 if so, else 0 after an error with d->exit_status set. */
static int check_labels(const char *cmd, const cli_data_source *src, nnc_task task,
                        cli_data *d)
{
    const char *builtin = src->builtin;
    const char *train_name = builtin ? builtin : src->train_path ? src->train_path : "sin";
    const char *test_name = builtin ? builtin : src->test_path ? src->test_path : "sin";
    if (task == NNC_TASK_BINARY &&
        (!binary_labels(cmd, d->train, train_name) || !binary_labels(cmd, d->test, test_name))) {
        d->exit_status = CLI_USAGE;
        return 0;
    }
    if (task == NNC_TASK_MULTICLASS && !one_hot_both(cmd, train_name, test_name, d))
        return 0;
    if (nnc_dataset_inputs(d->train) != nnc_dataset_inputs(d->test) ||
        nnc_dataset_outputs(d->train) != nnc_dataset_outputs(d->test)) {
        cli_error(cmd, "training data has %d inputs and %d outputs, test data %d and %d",
                  nnc_dataset_inputs(d->train), nnc_dataset_outputs(d->train),
                  nnc_dataset_inputs(d->test), nnc_dataset_outputs(d->test));
        d->exit_status = CLI_USAGE;
        return 0;
    }
    return 1;
}

int cli_load_data(const char *cmd, const cli_data_source *src, nnc_task task,
                  cli_data *out)
{
    cli_data d = {0};
    d.exit_status = CLI_USAGE;
    d.max_memory = src->max_memory ? src->max_memory : nnc_default_max_memory();
    out->exit_status = CLI_USAGE;
    nnc_status s = NNC_OK;
    int labels[MAX_LABELS] = {-1}, n_labels = 1;
    if (src->label && !parse_labels(cmd, src->label, labels, &n_labels))
        return 0;
    int ok = src->train_path || src->test_path
                 ? load_files(cmd, src, task, labels, n_labels, &d, &s)
                 : load_builtin(cmd, src, &d, &s);
    d.name = d.stem;
    if (ok && s != NNC_OK) {
        cli_status_error(cmd, s);
        d.exit_status = load_failure(s);
        ok = 0;
    }
    if (!ok || !check_labels(cmd, src, task, &d)) {
        out->exit_status = d.exit_status;
        cli_free_data(&d);
        return 0;
    }
    *out = d;
    out->name = out->stem;
    return 1;
}

void cli_free_data(cli_data *data)
{
    nnc_dataset_free(data->train);
    nnc_dataset_free(data->test);
    data->train = data->test = NULL;
}
