/* The net's optimizer: which row of the table (optimizer.c) it steps with,
 * its hyper-parameters as a spec names them, its state and its count of
 * updates; and the same rows on their own (nnc_optimizer), over any block
 * of parameters. */
#include "net_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nnc_optimizer_name(int i)
{
    const nnc_optimizer_info *o = nnc_optimizer_at(i);
    return o ? o->name : NULL;
}

const char *nnc_optimizer_formula(int i)
{
    const nnc_optimizer_info *o = nnc_optimizer_at(i);
    return o ? o->formula : NULL;
}

int nnc_optimizer_hyper(int i, const char **names, double *defaults, int max)
{
    const nnc_optimizer_info *o = nnc_optimizer_at(i);
    if (!o)
        return 0;
    int n = 0;
    for (int h = 1; h < o->n_hyper; h++, n++) /* hyper[0] is the learning rate */
        if (n < max) {
            if (names)
                names[n] = o->hyper_names[h];
            if (defaults)
                defaults[n] = o->hyper_defaults[h];
        }
    return n;
}

/* "sgd, momentum, ...": every optimizer's name, for messages. */
static void list_names(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < nnc_optimizer_count() && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 nnc_optimizer_at(i)->name);
}

/* "alpha, eps": the keys a row takes (its learning rate is an option of
 * training, not of the spec). */
static void list_keys(const nnc_optimizer_info *o, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int h = 1; h < o->n_hyper && used < size; h++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", h > 1 ? ", " : "",
                                 o->hyper_names[h]);
    if (o->n_hyper == 1)
        snprintf(buf, size, "none");
}

static int in_range(const nnc_optimizer_info *o, int h, double v)
{
    const double lo = o->hyper_min[h], hi = o->hyper_max[h];
    return (o->min_open[h] ? v > lo : v >= lo) && (o->max_open[h] ? v < hi : v <= hi);
}

/* The value of key=value text [v, end) for hyper-parameter h of o. */
static nnc_status parse_value(const nnc_optimizer_info *o, int h, const char *v,
                              const char *end, double *out)
{
    char text[64];
    const size_t len = (size_t)(end - v);
    if (len == 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: %s has no value", o->name,
                        o->hyper_names[h]);
    if (len >= sizeof text)
        return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: the value of %s is too long",
                        o->name, o->hyper_names[h]);
    memcpy(text, v, len);
    text[len] = '\0';
    char *stop;
    errno = 0;
    const double x = strtod(text, &stop);
    if (*stop || isspace((unsigned char)text[0]) || !isfinite(x))
        return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: %s=%s is not a finite number",
                        o->name, o->hyper_names[h], text);
    if (!in_range(o, h, x) && isinf(o->hyper_max[h]))
        return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: %s=%s is out of range: it must be %s %g",
                        o->name, o->hyper_names[h], text, o->min_open[h] ? ">" : ">=",
                        o->hyper_min[h]);
    if (!in_range(o, h, x))
        return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: %s=%s is out of range: it must be in "
                        "%c%g, %g%c", o->name, o->hyper_names[h], text,
                        o->min_open[h] ? '(' : '[', o->hyper_min[h], o->hyper_max[h],
                        o->max_open[h] ? ')' : ']');
    *out = x;
    return NNC_OK;
}

/* A spec "NAME[:key=value,...]": its row, and its hyper-parameters (the
 * row's defaults where the spec gives none; hyper[0] unused). */
static nnc_status parse_spec(const char *spec, const nnc_optimizer_info **row, double *hyper)
{
    if (!spec)
        return nnc_fail(NNC_ERR_ARGUMENT, "no optimizer given");
    const char *colon = strchr(spec, ':');
    const size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
    const nnc_optimizer_info *o = NULL;
    for (int i = 0; i < nnc_optimizer_count(); i++) {
        const nnc_optimizer_info *c = nnc_optimizer_at(i);
        if (strlen(c->name) == name_len && !strncmp(c->name, spec, name_len))
            o = c;
    }
    if (!o) {
        char names[256];
        list_names(names, sizeof names);
        return nnc_fail(NNC_ERR_ARGUMENT, "unknown optimizer \"%.*s\" (known: %s)",
                        (int)(name_len < 64 ? name_len : 64), spec, names);
    }
    memcpy(hyper, o->hyper_defaults, sizeof o->hyper_defaults);
    unsigned given = 0;
    for (const char *p = colon ? colon + 1 : NULL; p;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        int h = 0;
        for (int k = 1; eq && k < o->n_hyper; k++)
            if (strlen(o->hyper_names[k]) == (size_t)(eq - p) &&
                !strncmp(o->hyper_names[k], p, (size_t)(eq - p)))
                h = k;
        if (!h) {
            char keys[128];
            list_keys(o, keys, sizeof keys);
            const int key_len = (int)((eq ? eq : end) - p);
            return nnc_fail(NNC_ERR_ARGUMENT,
                            "optimizer %s: %s \"%.*s\" (its keys: %s; the learning rate "
                            "is the training's eta)",
                            o->name, eq ? "unknown key" : "expected key=value, got",
                            key_len < 64 ? key_len : 64, p, keys);
        }
        if (given & (1u << h))
            return nnc_fail(NNC_ERR_ARGUMENT, "optimizer %s: %s given twice", o->name,
                            o->hyper_names[h]);
        given |= 1u << h;
        nnc_status s = parse_value(o, h, eq + 1, end, &hyper[h]);
        if (s != NNC_OK)
            return s;
        p = comma ? comma + 1 : NULL;
    }
    *row = o;
    return NNC_OK;
}

nnc_status nnc_net_set_optimizer(nnc_net *net, const char *spec)
{
    if (!net)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_optimizer: NULL net");
    const nnc_optimizer_info *opt;
    double hyper[NNC_OPT_MAX_HYPER];
    nnc_status s = parse_spec(spec, &opt, hyper);
    if (s != NNC_OK)
        return s;
    nnc_real *state = NULL;
    if (opt->state_per_param > 0) {
        state = calloc(net->n_params * (size_t)opt->state_per_param, sizeof *state);
        if (!state)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_net_set_optimizer: out of memory");
    }
    free(net->opt_state);
    net->opt_state = state;
    net->optimizer = opt;
    memcpy(net->opt_hyper, hyper, sizeof hyper);
    net->opt_steps = 0;
    return NNC_OK;
}

/* The shortest %g text of x that reads back as x. */
static void shortest(char *buf, size_t size, double x)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

nnc_status nnc_net_optimizer_spec(const nnc_net *net, char *buf, size_t size)
{
    if (!net || !buf || size == 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_optimizer_spec: NULL argument");
    const nnc_optimizer_info *o = net->optimizer;
    size_t used = (size_t)snprintf(buf, size, "%s", o->name);
    for (int h = 1; h < o->n_hyper && used < size; h++) {
        char value[32];
        shortest(value, sizeof value, net->opt_hyper[h]);
        used += (size_t)snprintf(buf + used, size - used, "%c%s=%s", h == 1 ? ':' : ',',
                                 o->hyper_names[h], value);
    }
    if (used >= size)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_optimizer_spec: a buffer of %zu bytes is "
                        "too small", size);
    return NNC_OK;
}

nnc_real *nnc_net_optimizer_state(nnc_net *net, size_t *n)
{
    const size_t count =
        net && net->opt_state ? net->n_params * (size_t)net->optimizer->state_per_param : 0;
    if (n)
        *n = count;
    return count ? net->opt_state : NULL;
}

long nnc_net_optimizer_steps(const nnc_net *net) { return net ? net->opt_steps : 0; }

nnc_status nnc_net_set_optimizer_steps(nnc_net *net, long steps)
{
    if (!net || steps < 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_optimizer_steps: %ld updates", steps);
    net->opt_steps = steps;
    return NNC_OK;
}

/* NAG's look-ahead over n values: θ kept in theta, the parameters moved
 * to θ − α·v. */
static void nag_lookahead(nnc_real *params, const nnc_real *v, nnc_real *theta, size_t n,
                          double alpha)
{
    const nnc_real a = (nnc_real)alpha;
    for (size_t i = 0; i < n; i++) {
        theta[i] = params[i];
        params[i] = params[i] - a * v[i];
    }
}

void nnc_net_optimizer_lookahead(nnc_net *net)
{
    const nnc_optimizer_info *o = net->optimizer;
    if (o->lookahead_slot > 0)
        nag_lookahead(net->params, net->opt_state,
                      net->opt_state + (size_t)o->lookahead_slot * net->n_params, net->n_params,
                      net->opt_hyper[1]);
}

int nnc_net_optimizer_update(nnc_net *net, const nnc_optimizer_info *opt, double eta)
{
    double hyper[NNC_OPT_MAX_HYPER];
    const int own = opt == net->optimizer;
    if (!own && opt->state_per_param > 0)
        return 0;
    memcpy(hyper, own ? net->opt_hyper : opt->hyper_defaults, sizeof hyper);
    hyper[0] = eta;
    if (own)
        net->opt_steps++;
    const nnc_opt_blocks blocks = {.params = net->params, .grads = net->grads,
                                   .state = own ? net->opt_state : NULL, .n = net->n_params,
                                   .t = own ? net->opt_steps : 1};
    return opt->update(net->ex, &blocks, hyper);
}

/* ---- An optimizer on its own ------------------------------------------- */

struct nnc_optimizer {
    const nnc_optimizer_info *info;
    double hyper[NNC_OPT_MAX_HYPER];
    size_t n;
    long steps;
    nnc_real *state; /* n · state_per_param values */
};

nnc_status nnc_optimizer_create(nnc_optimizer **out, const char *spec, size_t n)
{
    if (!out || n == 0 || n > SIZE_MAX / sizeof(nnc_real) / 4)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_optimizer_create: NULL output or bad size %zu",
                        n);
    nnc_optimizer *o = calloc(1, sizeof *o);
    if (!o)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_optimizer_create: out of memory");
    nnc_status s = parse_spec(spec, &o->info, o->hyper);
    if (s != NNC_OK) {
        free(o);
        return s;
    }
    o->n = n;
    if (o->info->state_per_param > 0) {
        o->state = calloc(n * (size_t)o->info->state_per_param, sizeof *o->state);
        if (!o->state) {
            free(o);
            return nnc_fail(NNC_ERR_MEMORY, "nnc_optimizer_create: out of memory");
        }
    }
    *out = o;
    return NNC_OK;
}

void nnc_optimizer_free(nnc_optimizer *opt)
{
    if (opt)
        free(opt->state);
    free(opt);
}

void nnc_optimizer_lookahead(const nnc_optimizer *opt, const nnc_real *params, nnc_real *point)
{
    if (!opt || !params || !point)
        return;
    const nnc_real a = (nnc_real)opt->hyper[1];
    for (size_t i = 0; i < opt->n; i++)
        point[i] = opt->info->lookahead_slot > 0 ? params[i] - a * opt->state[i] : params[i];
}

nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_real *params, const nnc_real *grads,
                              double lr)
{
    if (!opt || !params || !grads)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_optimizer_step: NULL argument");
    double hyper[NNC_OPT_MAX_HYPER];
    memcpy(hyper, opt->hyper, sizeof hyper);
    hyper[0] = lr;
    const nnc_optimizer_info *o = opt->info;
    /* NAG's update reads θ from its second state block (the net keeps θ
     * there while its parameters stand at the look-ahead point). */
    if (o->lookahead_slot > 0)
        memcpy(opt->state + (size_t)o->lookahead_slot * opt->n, params,
               opt->n * sizeof *params);
    opt->steps++;
    const nnc_opt_blocks blocks = {.params = params, .grads = grads, .state = opt->state,
                                   .n = opt->n, .t = opt->steps};
    nnc_exec ex = {.path = nnc_kernel_best_path()};
    if (!o->update(ex, &blocks, hyper))
        return nnc_fail(NNC_ERR_DIVERGED, "optimizer %s: step %ld made a parameter NaN/Inf",
                        o->name, opt->steps);
    return NNC_OK;
}
