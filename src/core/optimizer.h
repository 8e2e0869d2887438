/* Optimizers: how a training step turns the gradients into new parameters.
 * An optimizer is one update function over the net's blocks and one row of
 * the table in optimizer.c; adding one means adding those two and its test
 * (tests/test_optimizer.c), nothing else: a net with an optimizer other
 * than SGD trains through the reference step (step.c), which calls the
 * row's function. */
#ifndef NNC_CORE_OPTIMIZER_H
#define NNC_CORE_OPTIMIZER_H

#include "kernels/kernels.h"

/* The blocks an update reads and writes, all of the same layout (the
 * net's: layer by layer, W then B): n parameters, their n gradients, and
 * the optimizer's state, state_per_param blocks of n values one after the
 * other (state value s of parameter i at state[s·n + i]), NULL when it
 * keeps none. */
typedef struct nnc_opt_blocks {
    nnc_real *params;
    const nnc_real *grads;
    nnc_real *state;
    size_t n;
    long t; /* the update's number, from 1 (Adam's bias correction) */
} nnc_opt_blocks;

/* The most hyper-parameters an optimizer takes. */
#define NNC_OPT_MAX_HYPER 5

typedef struct nnc_optimizer_info {
    const char *name;
    int state_per_param; /* values of state per parameter (0: none) */
    /* Its hyper-parameters, hyper[0] always the learning rate eta (given
     * with each step); the others take their defaults. */
    int n_hyper;
    const char *hyper_names[NNC_OPT_MAX_HYPER];
    double hyper_defaults[NNC_OPT_MAX_HYPER];
    /* Each one's range: [min, max], or (min, max) at an end marked open. */
    double hyper_min[NNC_OPT_MAX_HYPER], hyper_max[NNC_OPT_MAX_HYPER];
    unsigned char min_open[NNC_OPT_MAX_HYPER], max_open[NNC_OPT_MAX_HYPER];
    /* The update as a formula, for listings ("w -= lr*g"). */
    const char *formula;
    /* NAG only: the state value holding θ while the parameters stand at
     * the look-ahead point θ − α·v (state value 0 is v); -1 for the rest. */
    int lookahead_slot;
    /* One update of b->params from b->grads (and b->state), on ex's path
     * and threads.  Returns 1 if every updated parameter is finite. */
    int (*update)(nnc_exec ex, const nnc_opt_blocks *b, const double *hyper);
} nnc_optimizer_info;

/* The table's rows: 0 .. nnc_optimizer_count() − 1 (nnc.h); NULL past them. */
const nnc_optimizer_info *nnc_optimizer_at(int i);
/* The row named name, or NULL. */
const nnc_optimizer_info *nnc_optimizer_find(const char *name);
/* Plain SGD, p − eta·g: the optimizer of the fused paths. */
const nnc_optimizer_info *nnc_optimizer_sgd(void);

#endif
