/* Data for the subcommands: the embedded textbook sets or files. */
#include "cli.h"

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

int cli_data_option(const char *cmd, int argc, char **argv, int *i, cli_data_source *src)
{
    static const char *const flags[] = {"--train", "--test", "--label"};
    const char **slots[] = {&src->train_path, &src->test_path, &src->label};
    for (int k = 0; k < 3; k++) {
        int matched;
        const char *v = cli_option(cmd, argc, argv, i, flags[k], &matched);
        if (matched) {
            if (!v)
                return -1;
            *slots[k] = v;
            return 1;
        }
    }
    return 0;
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
        ok = v[k] == (int)v[k] && v[k] > -100000 && v[k] < 100000;
        cols[k] = ok ? (int)v[k] : 0;
    }
    free(v);
    if (!ok)
        cli_error(cmd, "--label: '%s' is not a list of at most %d column numbers", text,
                  MAX_LABELS);
    *count = n;
    return ok;
}

static nnc_status load_file(const char *path, const int *labels, int n_labels,
                            nnc_dataset **out)
{
    if (ends_with(path, ".npz"))
        return nnc_dataset_load_npz(out, path);
    return nnc_dataset_load_csv(out, path, NULL, labels, n_labels);
}

/* Turns integer class labels into one-hot rows for both sets, with the
 * classes the training labels span. */
static int one_hot_both(const char *cmd, cli_data *d)
{
    if (nnc_dataset_outputs(d->train) != 1)
        return 1; /* already one-hot */
    const nnc_real *y = nnc_dataset_y(d->train);
    double lo = y[0], hi = y[0];
    for (int i = 1; i < nnc_dataset_rows(d->train); i++) {
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    if (lo != floor(lo) || hi - lo > 100000) {
        cli_error(cmd, "multiclass labels must be integers (found %g to %g)", lo, hi);
        return 0;
    }
    int first = (int)lo, classes = (int)(hi - lo) + 1;
    nnc_status s = nnc_dataset_one_hot(d->train, first, classes);
    if (s == NNC_OK && nnc_dataset_outputs(d->test) == 1)
        s = nnc_dataset_one_hot(d->test, first, classes);
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        return 0;
    }
    return 1;
}

int cli_load_data(const char *cmd, const cli_data_source *src, nnc_task task,
                  cli_data *out)
{
    const char *builtin = src->builtin, *train_path = src->train_path;
    const char *test_path = src->test_path;
    cli_data d = {0};
    nnc_status s;
    int labels[MAX_LABELS] = {-1}, n_labels = 1;
    if (src->label && !parse_labels(cmd, src->label, labels, &n_labels))
        return 0;
    if (train_path || test_path) {
        if (!train_path || !test_path) {
            cli_error(cmd, "--train and --test go together");
            return 0;
        }
        if (builtin) {
            cli_error(cmd, "give either a built-in data set (%s) or --train/--test, not both",
                      builtin);
            return 0;
        }
        s = load_file(train_path, labels, n_labels, &d.train);
        if (s == NNC_OK)
            s = load_file(test_path, labels, n_labels, &d.test);
        /* The run's name: the training file's name up to its first dot. */
        const char *base = strrchr(train_path, '/');
        base = base ? base + 1 : train_path;
        size_t len = strcspn(base, ".");
        if (len >= sizeof d.stem)
            len = sizeof d.stem - 1;
        memcpy(d.stem, base, len);
        d.stem[len] = '\0';
    } else {
        const builtin_set *b = find_builtin(builtin ? builtin : "sin");
        if (!b) {
            cli_error(cmd, "unknown data set '%s' (built in: sin, composite; or use "
                      "--train FILE --test FILE)", builtin);
            return 0;
        }
        s = nnc_dataset_load_npz_memory(&d.train, b->train, *b->train_size, b->train_file);
        if (s == NNC_OK)
            s = nnc_dataset_load_npz_memory(&d.test, b->test, *b->test_size, b->test_file);
        snprintf(d.stem, sizeof d.stem, "%s", b->name);
    }
    d.name = d.stem;
    if (s != NNC_OK) {
        cli_status_error(cmd, s);
        cli_free_data(&d);
        return 0;
    }
    if (task == NNC_TASK_MULTICLASS && !one_hot_both(cmd, &d)) {
        cli_free_data(&d);
        return 0;
    }
    if (nnc_dataset_inputs(d.train) != nnc_dataset_inputs(d.test) ||
        nnc_dataset_outputs(d.train) != nnc_dataset_outputs(d.test)) {
        cli_error(cmd, "training data has %d inputs and %d outputs, test data %d and %d",
                  nnc_dataset_inputs(d.train), nnc_dataset_outputs(d.train),
                  nnc_dataset_inputs(d.test), nnc_dataset_outputs(d.test));
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
