/* Weight initialisation, as the textbook defines each rule. */
#include "internal.h"

#include <math.h>
#include <strings.h>

static const char *const init_names[] = {"zero", "normal", "xavier", "msra"};

const char *nnc_init_name(nnc_init init)
{
    return (unsigned)init < 4 ? init_names[init] : "unknown";
}

nnc_status nnc_init_from_name(const char *name, nnc_init *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, init_names[i]) == 0) {
            *out = (nnc_init)i;
            return NNC_OK;
        }
    }
    return nnc_fail(NNC_ERR_ARGUMENT,
                    "unknown init '%s' (expected zero, normal, xavier or msra)", name);
}

/* Fills W (n_in, n_out) by one rule:
 *   zero    0
 *   normal  N(0, 1)
 *   xavier  U(−t, t), t = √(6 / (n_in + n_out))
 *   msra    N(0, σ²), σ = √(2 / n_out)   (the textbook's code uses n_out) */
static void init_weights(nnc_real *W, int n_in, int n_out, nnc_init init, nnc_rng *rng)
{
    size_t count = (size_t)n_in * (size_t)n_out;
    double t = sqrt(6.0 / (n_in + n_out)), sigma = sqrt(2.0 / n_out);
    for (size_t i = 0; i < count; i++) {
        switch (init) {
        case NNC_INIT_ZERO: W[i] = 0; break;
        case NNC_INIT_NORMAL: W[i] = (nnc_real)nnc_rng_normal(rng); break;
        case NNC_INIT_XAVIER: W[i] = (nnc_real)(t * (2 * nnc_rng_uniform(rng) - 1)); break;
        case NNC_INIT_MSRA: W[i] = (nnc_real)(sigma * nnc_rng_normal(rng)); break;
        }
    }
}

nnc_status nnc_net_init(nnc_net *net, nnc_init init, nnc_rng *rng)
{
    if (!net || !rng || (unsigned)init > NNC_INIT_MSRA)
        return nnc_fail(NNC_ERR_ARGUMENT, "nnc_net_init: invalid argument");
    int n_in = nnc_net_inputs(net);
    for (int l = 0; l < nnc_net_layers(net); l++) {
        const nnc_layer_spec spec = nnc_net_layer(net, l);
        const int n_out = spec.units;
        nnc_real *W = nnc_net_weights(net, l), *B = nnc_net_bias(net, l);
        /* Dense layers draw their weights; batch norm starts at γ = 1,
         * β = 0 and dropout has nothing: neither draws from rng. */
        if (spec.kind == NNC_LAYER_DENSE)
            init_weights(W, n_in, n_out, init, rng);
        for (int j = 0; spec.kind == NNC_LAYER_BATCHNORM && j < n_out; j++)
            W[j] = 1;
        for (int j = 0; spec.kind != NNC_LAYER_DROPOUT && j < n_out; j++)
            B[j] = 0;
        n_in = n_out;
    }
    return NNC_OK;
}
