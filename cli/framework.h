/* The book's framework options on the command line (framework.c). */
#ifndef NNC_CLI_FRAMEWORK_H
#define NNC_CLI_FRAMEWORK_H

#include "nnc.h"

#include <stdio.h>

/* --dropout: one rate for every hidden layer, or one per hidden layer. */
typedef struct cli_dropout {
    double rates[NNC_MAX_LAYERS];
    int n;
} cli_dropout;

/* CLI_CUSTOM parsers: --split (nnc_split), --shuffle (nnc_shuffle),
 * --optimizer (const char *, checked by nnc_optimizer_create),
 * --lr-schedule and --stop (into nnc_train_options), --dropout (cli_dropout). */
int cli_read_split(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_shuffle(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_optimizer(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_lr_schedule(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_stop(const char *cmd, const char *name, const char *value, void *dest);
int cli_read_dropout(const char *cmd, const char *name, const char *value, void *dest);

const char *cli_split_name(nnc_split split);
const char *cli_shuffle_name(nnc_shuffle shuffle);
/* "constant", "cosine" or "step:every=E,factor=F", as --lr-schedule reads it. */
void cli_format_lr_schedule(char *buf, size_t size, const nnc_train_options *o);

/* The network's layers from its dense ones (the last the output layer):
 * each hidden dense layer (units, f) becomes dense(units, identity) and
 * batchnorm(units, f) with batchnorm, then a dropout layer where a rate
 * is above 0.  out has room for NNC_MAX_LAYERS. */
int cli_expand_layers(const char *cmd, const nnc_layer_spec *dense, int n_dense,
                      const cli_dropout *dropout, int batchnorm, nnc_layer_spec *out,
                      int *n_out);

/* The book's weight statistics after training (ch16's drivers print them). */
void cli_print_weight_stats(FILE *f, const nnc_net *net);

#endif
