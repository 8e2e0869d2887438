/* The training options of the book's framework (ch10–16) as the command
 * line gives them: the split, the shuffle, the optimizer spec, the
 * learning-rate schedule, dropout rates, the stop condition; and the
 * network they make (dense layers with batch norm and dropout after
 * them). */
#include "cli.h"
#include "framework.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_read_split(const char *cmd, const char *name, const char *value, void *dest)
{
    nnc_split *split = dest;
    if (!strcmp(value, "first"))
        *split = NNC_SPLIT_FIRST;
    else if (!strcmp(value, "shuffled"))
        *split = NNC_SPLIT_SHUFFLED;
    else {
        cli_error(cmd, "%s: '%s' is not first or shuffled", name, value);
        return 0;
    }
    return 1;
}

int cli_read_shuffle(const char *cmd, const char *name, const char *value, void *dest)
{
    static const char *const names[] = {"epoch", "once", "none"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(value, names[i])) {
            *(nnc_shuffle *)dest = (nnc_shuffle)i;
            return 1;
        }
    cli_error(cmd, "%s: '%s' is not epoch, once or none", name, value);
    return 0;
}

const char *cli_split_name(nnc_split split)
{
    return split == NNC_SPLIT_SHUFFLED ? "shuffled" : "first";
}

const char *cli_shuffle_name(nnc_shuffle shuffle)
{
    return shuffle == NNC_SHUFFLE_ONCE ? "once" : shuffle == NNC_SHUFFLE_NONE ? "none" : "epoch";
}

int cli_read_optimizer(const char *cmd, const char *name, const char *value, void *dest)
{
    nnc_optimizer *probe;
    nnc_status s = nnc_optimizer_create(&probe, value, 1);
    if (s != NNC_OK) {
        cli_error(cmd, "%s: %s", name, nnc_last_error());
        return 0;
    }
    nnc_optimizer_free(probe);
    *(const char **)dest = value;
    return 1;
}

/* "every=E,factor=F" after "step:": each key once, both given. */
static int read_step_schedule(const char *cmd, const char *name, const char *text,
                              nnc_train_options *o)
{
    int every = 0;
    double factor = 0;
    char buf[128];
    if (strlen(text) >= sizeof buf) {
        cli_error(cmd, "%s: '%s' is too long", name, text);
        return 0;
    }
    strcpy(buf, text);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '='), *end;
        if (!eq) {
            cli_error(cmd, "%s: '%s' is not key=value (keys: every, factor)", name, kv);
            return 0;
        }
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(kv, "every") && !every) {
            long e = strtol(v, &end, 10);
            if (*end || end == v || e < 1 || e > 100000000) {
                cli_error(cmd, "%s: every=%s is not a whole number of epochs >= 1", name, v);
                return 0;
            }
            every = (int)e;
        } else if (!strcmp(kv, "factor") && factor == 0) {
            factor = strtod(v, &end);
            if (*end || end == v || !(factor > 0 && factor <= 1)) {
                cli_error(cmd, "%s: factor=%s is not a number in (0, 1]", name, v);
                return 0;
            }
        } else {
            cli_error(cmd, "%s: '%s' is %s (keys: every, factor)", name, kv,
                      strcmp(kv, "every") && strcmp(kv, "factor") ? "not a key" : "given twice");
            return 0;
        }
    }
    if (!every || factor == 0) {
        cli_error(cmd, "%s: step needs every=E and factor=F (e.g. step:every=100,factor=0.5)",
                  name);
        return 0;
    }
    o->lr_schedule = NNC_LR_STEP;
    o->lr_every = every;
    o->lr_factor = factor;
    return 1;
}

int cli_read_lr_schedule(const char *cmd, const char *name, const char *value, void *dest)
{
    nnc_train_options *o = dest;
    if (!strcmp(value, "constant")) {
        o->lr_schedule = NNC_LR_CONSTANT;
        return 1;
    }
    if (!strcmp(value, "cosine")) {
        o->lr_schedule = NNC_LR_COSINE;
        return 1;
    }
    if (!strncmp(value, "step:", 5))
        return read_step_schedule(cmd, name, value + 5, o);
    cli_error(cmd, "%s: '%s' is not constant, step:every=E,factor=F or cosine", name, value);
    return 0;
}

void cli_format_lr_schedule(char *buf, size_t size, const nnc_train_options *o)
{
    if (o->lr_schedule == NNC_LR_STEP) {
        char factor[32];
        cli_format_shortest(factor, sizeof factor, o->lr_factor);
        snprintf(buf, size, "step:every=%d,factor=%s", o->lr_every, factor);
    } else {
        snprintf(buf, size, "%s", o->lr_schedule == NNC_LR_COSINE ? "cosine" : "constant");
    }
}

int cli_read_stop(const char *cmd, const char *name, const char *value, void *dest)
{
    nnc_train_options *o = dest;
    const int loss = !strncmp(value, "loss:", 5), diff = !strncmp(value, "diff:", 5);
    char *end;
    const double x = loss || diff ? strtod(value + 5, &end) : NAN;
    if ((!loss && !diff) || end == value + 5 || *end || !isfinite(x) || (diff && !(x > 0)) ||
        (loss && !(x >= 0))) {
        cli_error(cmd, "%s: '%s' is not loss:X (stop when loss_valid <= X >= 0) or diff:X (stop "
                  "when loss_valid changes by less than X > 0 at more than 3 checks in a row)",
                  name, value);
        return 0;
    }
    if (loss)
        o->eps = x;
    else
        o->stop_diff = x;
    return 1;
}

int cli_read_dropout(const char *cmd, const char *name, const char *value, void *dest)
{
    cli_dropout *d = dest;
    double *rates;
    int n;
    if (!cli_parse_double_list(cmd, name, value, &rates, &n))
        return 0;
    if (n > NNC_MAX_LAYERS) {
        cli_error(cmd, "%s: %d rates, more than a network has hidden layers", name, n);
        free(rates);
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (!(rates[i] >= 0 && rates[i] < 1)) {
            cli_error(cmd, "%s: rate %g is not in [0, 1) (the share of values dropped; 1 "
                      "would drop them all)", name, rates[i]);
            free(rates);
            return 0;
        }
    memcpy(d->rates, rates, (size_t)n * sizeof *rates);
    d->n = n;
    free(rates);
    return 1;
}

int cli_expand_layers(const char *cmd, const nnc_layer_spec *dense, int n_dense,
                      const cli_dropout *dropout, int batchnorm, nnc_layer_spec *out,
                      int *n_out)
{
    const int n_hidden = n_dense - 1;
    if (dropout->n > 1 && dropout->n != n_hidden) {
        cli_error(cmd, "--dropout: %d rates for %d hidden layers: give one rate for all, or "
                  "one per hidden layer", dropout->n, n_hidden);
        return 0;
    }
    int n = 0;
    for (int l = 0; l < n_dense; l++) {
        const int hidden = l < n_hidden;
        const double rate = !hidden || dropout->n == 0 ? 0
                            : dropout->rates[dropout->n == 1 ? 0 : l];
        const int extra = hidden ? (batchnorm != 0) + (rate > 0) : 0;
        if (n + 1 + extra > NNC_MAX_LAYERS) {
            cli_error(cmd, "with batch norm and dropout the network has more than %d layers",
                      NNC_MAX_LAYERS);
            return 0;
        }
        out[n] = dense[l];
        if (hidden && batchnorm) { /* dense(units, identity), then batchnorm(units, f) */
            out[n].activation = NNC_ACT_IDENTITY;
            out[n].param = 0;
            out[++n] = (nnc_layer_spec){.units = dense[l].units, .kind = NNC_LAYER_BATCHNORM,
                                        .activation = dense[l].activation,
                                        .param = dense[l].param};
        }
        if (rate > 0)
            out[++n] = (nnc_layer_spec){.units = dense[l].units, .kind = NNC_LAYER_DROPOUT,
                                        .activation = NNC_ACT_IDENTITY, .rate = rate};
        n++;
    }
    *n_out = n;
    return 1;
}

void cli_print_weight_stats(FILE *f, const nnc_net *net)
{
    const nnc_weight_stats st = nnc_net_weight_stats(net);
    fprintf(f, "total weights abs sum=%f\ntotal weights =%ld\nlittle weights =%ld\n"
            "zero weights =%ld\n", st.abs_sum, st.total, st.little, st.zero);
}
