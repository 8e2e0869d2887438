/* The net's optimizer: which row of the table (optimizer.c) it steps with,
 * its hyper-parameters, its state and its count of updates. */
#include "net_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SKELETON (issue 19, h-opt replaces): names only, no ":key=value". */
nnc_status nnc_net_set_optimizer(nnc_net *net, const char *spec)
{
    const nnc_optimizer_info *opt = nnc_optimizer_find(spec);
    if (!net || !opt)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_set_optimizer: no optimizer named \"%s\"",
                        spec ? spec : "(null)");
    nnc_real *state = NULL;
    if (opt->state_per_param > 0) {
        state = calloc(net->n_params * (size_t)opt->state_per_param, sizeof *state);
        if (!state)
            return nnc_fail(NNC_ERR_MEMORY, "nnc_net_set_optimizer: out of memory");
    }
    free(net->opt_state);
    net->opt_state = state;
    net->optimizer = opt;
    net->opt_steps = 0;
    return NNC_OK;
}

int nnc_net_optimizer_update(nnc_net *net, const nnc_optimizer_info *opt, double eta)
{
    double hyper[NNC_OPT_MAX_HYPER];
    for (int h = 0; h < NNC_OPT_MAX_HYPER; h++)
        hyper[h] = opt->hyper_defaults[h];
    hyper[0] = eta;
    const nnc_opt_blocks blocks = {.params = net->params, .grads = net->grads,
                                   .state = opt == net->optimizer ? net->opt_state : NULL,
                                   .n = net->n_params};
    return opt->update(net->ex, &blocks, hyper);
}

const char *nnc_optimizer_name(int i)
{
    const nnc_optimizer_info *o = nnc_optimizer_at(i);
    return o ? o->name : NULL;
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

/* SKELETON (issue 19, h-opt replaces): the name alone. */
nnc_status nnc_net_optimizer_spec(const nnc_net *net, char *buf, size_t size)
{
    if (!net || !buf || size == 0)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_optimizer_spec: NULL argument");
    if ((size_t)snprintf(buf, size, "%s", net->optimizer->name) >= size)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_optimizer_spec: buffer too small");
    return NNC_OK;
}

nnc_real *nnc_net_optimizer_state(nnc_net *net, size_t *n)
{
    *n = net->opt_state ? net->n_params * (size_t)net->optimizer->state_per_param : 0;
    return net->opt_state;
}

long nnc_net_optimizer_steps(const nnc_net *net) { return net->opt_steps; }
void nnc_net_set_optimizer_steps(nnc_net *net, long steps) { net->opt_steps = steps; }

/* SKELETON (issue 19, h-opt replaces): NAG's look-ahead before the forward
 * pass of a reference step; nothing for the other optimizers. */
void nnc_net_optimizer_lookahead(nnc_net *net) { (void)net; }

/* SKELETON (issue 19, h-opt replaces): SGD only. */
struct nnc_optimizer {
    const nnc_optimizer_info *info;
    size_t n;
};

nnc_status nnc_optimizer_create(nnc_optimizer **out, const char *spec, size_t n)
{
    const nnc_optimizer_info *info = nnc_optimizer_find(spec);
    if (!out || !info || info->state_per_param)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_optimizer_create: no optimizer \"%s\"",
                        spec ? spec : "(null)");
    nnc_optimizer *o = calloc(1, sizeof *o);
    if (!o)
        return nnc_fail(NNC_ERR_MEMORY, "nnc_optimizer_create: out of memory");
    o->info = info;
    o->n = n;
    *out = o;
    return NNC_OK;
}

void nnc_optimizer_free(nnc_optimizer *opt) { free(opt); }

void nnc_optimizer_lookahead(const nnc_optimizer *opt, const nnc_real *params, nnc_real *point)
{
    memcpy(point, params, opt->n * sizeof *point);
}

nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_real *params, const nnc_real *grads,
                              double lr)
{
    double hyper[NNC_OPT_MAX_HYPER];
    for (int h = 0; h < NNC_OPT_MAX_HYPER; h++)
        hyper[h] = opt->info->hyper_defaults[h];
    hyper[0] = lr;
    const nnc_opt_blocks blocks = {.params = params, .grads = grads, .n = opt->n};
    nnc_exec ex = {.path = nnc_kernel_best_path()};
    if (!opt->info->update(ex, &blocks, hyper))
        return nnc_fail(NNC_ERR_DIVERGED, "the optimizer's step made a parameter NaN/Inf");
    return NNC_OK;
}
