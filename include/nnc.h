/*
 * nnc — a small, fast multi-layer perceptron library in C11.
 *
 * Conventions (the textbook's own):
 *   - matrices are contiguous row-major arrays of nnc_real, one sample per row;
 *   - a dense layer computes Z = X·W + B with X (m, n_in), W (n_in, n_out),
 *     B (1, n_out), Z (m, n_out), then A = act(Z);
 *   - every fallible function returns an nnc_status; on failure its
 *     out-parameters are untouched and nnc_last_error() describes what went
 *     wrong (file, line, field, value where they apply);
 *   - the library never prints, never exits, and keeps no global mutable
 *     state: randomness comes from an nnc_rng the caller owns.
 *
 * The API in three headers, one per concern:
 *   nnc.h       this one: status, rng, activations, tasks and metrics, data
 *               sets, networks, training;
 *   nnc_io.h    files: .npy/.npz, CSV and IDX readers, data sets loaded from
 *               them, the textbook's weight folders, model files (.nnc);
 *   nnc_plot.h  SVG charts: the plot engine and the textbook's figures.
 * nnc.h includes the other two, so `#include <nnc.h>` gives all of it; each
 * of them includes nnc.h, so it may also be included alone.
 */
#ifndef NNC_H
#define NNC_H

#include <stddef.h>
#include <stdint.h>

#include "nnc_config.h" /* generated: NNC_DOUBLE, NNC_VERSION_STRING */

/* NNC_API marks each function libnnc.so exports.  The library is compiled
 * with hidden visibility, so its internal functions stay out of the shared
 * library's symbol table, where a program's own names could clash with them. */
#if defined(__GNUC__)
#define NNC_API __attribute__((visibility("default")))
#else
#define NNC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Numbers and errors                                                  */
/* ------------------------------------------------------------------ */

#ifdef NNC_DOUBLE
typedef double nnc_real;
#else
typedef float nnc_real;
#endif

typedef enum nnc_status {
    NNC_OK = 0,
    NNC_ERR_ARGUMENT,    /* an argument is out of range or inconsistent */
    NNC_ERR_MEMORY,      /* an allocation failed */
    NNC_ERR_IO,          /* a file could not be opened, read or written */
    NNC_ERR_FORMAT,      /* a file's contents are malformed or unsupported */
    NNC_ERR_NOT_FOUND,   /* an archive has no member of the requested name */
    NNC_ERR_SHAPE,       /* array shapes do not fit together */
    NNC_ERR_DIVERGED,    /* training produced NaN/Inf; last good weights kept */
    NNC_ERR_INTERRUPTED  /* the caller's callback asked to stop */
} nnc_status;

/* A short fixed description of a status ("invalid argument", ...). */
NNC_API const char *nnc_strerror(nnc_status status);
/* The detail message of the most recent failure in this thread ("" if none). */
NNC_API const char *nnc_last_error(void);

/* Version of the library, e.g. "0.1.0". */
NNC_API const char *nnc_version(void);

/* ------------------------------------------------------------------ */
/* Random numbers: PCG32, one explicit object per use                  */
/* ------------------------------------------------------------------ */

/* inc is the stream: PCG needs it odd (nnc_rng_seed makes it so; the
 * generator treats an even inc as inc | 1, and the model reader refuses
 * one), which gives every generator the full period of 2^64 draws. */
typedef struct nnc_rng {
    uint64_t state;
    uint64_t inc;
} nnc_rng;

NNC_API void nnc_rng_seed(nnc_rng *rng, uint64_t seed);
NNC_API uint32_t nnc_rng_u32(nnc_rng *rng);
/* Uniform on [0, 1) with 53 random bits. */
NNC_API double nnc_rng_uniform(nnc_rng *rng);
/* Standard normal N(0, 1) (Box–Muller, no cached state). */
NNC_API double nnc_rng_normal(nnc_rng *rng);
/* Uniform integer in [0, n), unbiased; n > 0 (0 for n = 0). */
NNC_API uint32_t nnc_rng_below(nnc_rng *rng, uint32_t n);
/* Fisher–Yates shuffle of idx[0..n). */
NNC_API void nnc_rng_shuffle(nnc_rng *rng, uint32_t *idx, size_t n);

/* ------------------------------------------------------------------ */
/* Activation functions: a table-driven catalogue                      */
/* ------------------------------------------------------------------ */

typedef enum nnc_activation {
    NNC_ACT_IDENTITY = 0,
    NNC_ACT_STEP,
    NNC_ACT_SIGMOID,
    NNC_ACT_TANH,
    NNC_ACT_RELU,
    NNC_ACT_LEAKY_RELU,
    NNC_ACT_SOFTPLUS,
    NNC_ACT_ELU,
    NNC_ACT_BENIDENTITY,
    NNC_ACT_GELU_TANH,
    NNC_ACT_GELU_ERF,
    NNC_ACT_SILU,
    NNC_ACT_MISH,
    NNC_ACT_SELU,
    NNC_ACT_SOFTSIGN,
    NNC_ACT_HARD_SIGMOID,
    NNC_ACT_HARD_TANH,
    NNC_ACT_COUNT
} nnc_activation;

/* a[i] = f(z[i]) for i < n.  param: the row's parameter (threshold, alpha). */
typedef void (*nnc_act_forward_fn)(const nnc_real *z, nnc_real *a, size_t n,
                                   double param);
/* d[i] = f'(z[i]), given both z[i] and a[i] = f(z[i]). */
typedef void (*nnc_act_derivative_fn)(const nnc_real *z, const nnc_real *a,
                                      nnc_real *d, size_t n, double param);

typedef struct nnc_activation_info {
    nnc_activation id;
    const char *name;             /* CLI / file name: "sigmoid", "leaky_relu" */
    const char *formula;          /* a = f(z), as text */
    const char *derivative;       /* f'(z), as text */
    const char *output_range;     /* e.g. "(0, 1)" */
    const char *derivative_range; /* e.g. "(0, 0.25]" */
    double plot_min, plot_max;    /* default z range for plots */
    const char *param_name;       /* "threshold", "alpha", or NULL: no parameter */
    double default_param;         /* used when the caller does not choose one */
    nnc_act_forward_fn forward;
    nnc_act_derivative_fn derivative_fn;
    /* The forward function for one element as C99 statements in this
     * build's precision (float or double): they set `a` from `z` (both of
     * that type) and `double param`, with the same operations, libm calls
     * and roundings as `forward`, so compiled code gets the same bits
     * (used by `nnc export-c`). */
    const char *c_source;
} nnc_activation_info;

/* The catalogue row of an activation, or NULL for an invalid id. */
NNC_API const nnc_activation_info *nnc_activation_get(nnc_activation id);
/* Looks a name up (case-insensitive; "-" and "_" alike: "leaky-relu").
 * Unknown names fail with NNC_ERR_ARGUMENT and a message listing the names. */
NNC_API nnc_status nnc_activation_from_name(const char *name, nnc_activation *out);

/* ------------------------------------------------------------------ */
/* Tasks, losses and metrics                                           */
/* ------------------------------------------------------------------ */

typedef enum nnc_task {
    NNC_TASK_FITTING = 0, /* identity output, loss MSE/2, "accuracy" R² */
    NNC_TASK_BINARY,      /* logistic output, binary cross-entropy, accuracy */
    NNC_TASK_MULTICLASS   /* softmax output, cross-entropy, accuracy (one-hot Y) */
} nnc_task;

NNC_API const char *nnc_task_name(nnc_task task);
NNC_API nnc_status nnc_task_from_name(const char *name, nnc_task *out);

/* Sums that make up a loss and an accuracy over any number of batches,
 * accumulated in double whatever nnc_real is. */
typedef struct nnc_metric_sums {
    double loss_sum;    /* Σ per-sample loss (before dividing by rows) */
    double sq_err_sum;  /* fitting: Σ (a − y)² */
    double y_sum;       /* fitting: Σ y     (for the population variance) */
    double y_sq_sum;    /* fitting: Σ y²    */
    double correct;     /* classification: number of right answers */
    long rows;          /* samples seen */
    long values;        /* elements of Y seen (rows · n) */
} nnc_metric_sums;

/* Adds one batch: A (the net's output: nnc_net_predict, nnc_net_output) against
 * targets Y, both (m, n). */
NNC_API void nnc_metric_accumulate(nnc_task task, const nnc_real *A, const nnc_real *Y,
                                   int m, int n, nnc_metric_sums *sums);
/* The textbook's loss: MSE/2, binary CE or multi-class CE, averaged over rows. */
NNC_API double nnc_metric_loss(const nnc_metric_sums *sums);
/* Fitting: R² = 1 − MSE/Var(y); classification: fraction correct. */
NNC_API double nnc_metric_accuracy(nnc_task task, const nnc_metric_sums *sums);

/* ------------------------------------------------------------------ */
/* Datasets                                                            */
/* ------------------------------------------------------------------ */

/* Samples X (rows, n_inputs) and targets Y (rows, n_outputs), row-major.
 * Made here from values in memory; nnc_io.h loads them from .npz, CSV and
 * IDX files. */
typedef struct nnc_dataset nnc_dataset;

/* Copies X and Y. */
NNC_API nnc_status nnc_dataset_create(nnc_dataset **out, const nnc_real *X, const nnc_real *Y,
                                      int rows, int n_inputs, int n_outputs);
NNC_API void nnc_dataset_free(nnc_dataset *ds);

NNC_API int nnc_dataset_rows(const nnc_dataset *ds);
NNC_API int nnc_dataset_inputs(const nnc_dataset *ds);
NNC_API int nnc_dataset_outputs(const nnc_dataset *ds);
NNC_API const nnc_real *nnc_dataset_x(const nnc_dataset *ds);
NNC_API const nnc_real *nnc_dataset_y(const nnc_dataset *ds);

/* Replaces a single column of integer class labels by one-hot rows of
 * n_classes columns; label `first_label` becomes class 0 (the textbook's
 * labels may start at 1).  Non-integer or out-of-range labels fail, and so
 * do labels that nnc_real rounded to another integer when the data set was
 * made from doubles (above 2^24 in float: 16777217 would merge with 16777216). */
NNC_API nnc_status nnc_dataset_one_hot(nnc_dataset *ds, int first_label, int n_classes);

/* Per-column affine scaling: network value = (raw − offset) / scale.  The
 * textbook's min–max normalisation has offset = column minimum and scale =
 * maximum − minimum (1 for a constant column). */
typedef struct nnc_scaling {
    int n;          /* columns; 0: no scaling */
    double *offset; /* (n) */
    double *scale;  /* (n), finite and nonzero */
} nnc_scaling;

/* Min–max scaling of the columns of M (rows, cols); allocates out's arrays. */
NNC_API nnc_status nnc_scaling_minmax(nnc_scaling *out, const nnc_real *M, int rows, int cols);
NNC_API void nnc_scaling_free(nnc_scaling *s);
/* M (rows, s->n) ← (M − offset) / scale. */
NNC_API void nnc_scaling_apply(const nnc_scaling *s, nnc_real *M, int rows);
/* M (rows, s->n) ← M · scale + offset: back to raw units. */
NNC_API void nnc_scaling_invert(const nnc_scaling *s, nnc_real *M, int rows);
/* Scales a dataset's inputs by x and its targets by y in place; either may
 * be NULL or have n = 0 (left as they are); widths must match. */
NNC_API nnc_status nnc_dataset_scale(nnc_dataset *ds, const nnc_scaling *x, const nnc_scaling *y);

/* ------------------------------------------------------------------ */
/* Networks                                                            */
/* ------------------------------------------------------------------ */

typedef enum nnc_init {
    NNC_INIT_ZERO = 0, /* W = 0 */
    NNC_INIT_NORMAL,   /* W ~ N(0, 1) */
    NNC_INIT_XAVIER,   /* W ~ U(±√(6/(n_in+n_out))) */
    NNC_INIT_MSRA      /* W ~ N(0, √(2/n_out)) — n_out, as the textbook's code */
} nnc_init;

NNC_API const char *nnc_init_name(nnc_init init); /* "zero", "normal", "xavier", "msra" */
NNC_API nnc_status nnc_init_from_name(const char *name, nnc_init *out);

/* One dense layer: its output width and, for hidden layers, its activation.
 * The last layer's activation is the task's output function: leave it
 * NNC_ACT_IDENTITY.  `param` is the activation's parameter, taken literally
 * (use nnc_activation_get(id)->default_param for the catalogue's default). */
/* The kinds of layer (each a forward/backward pair in src/core):
 *   dense      Z = X·W + B, A = f(Z) (f the activation; the last layer's is
 *              the task's output function);
 *   dropout    the textbook's (ch16): training A = X ⊙ mask, mask_i =
 *              (uniform > rate) drawn from the net's dropout generator;
 *              inference A = X·(1 − rate).  No parameters; units = its
 *              input's width; rate in [0, 1);
 *   batchnorm  the textbook's (ch14, momentum 0.9, eps 1e-5): x̂ = (X − μ)
 *              / √(σ² + eps) with the batch's mean and population variance
 *              in training (and the running statistics updated), the
 *              running ones in inference; A = f(γ ⊙ x̂ + β).  Parameters
 *              γ (1, units) and β (1, units), where a dense layer has W and
 *              B (nnc_net_weights and nnc_net_bias give them); units = its
 *              input's width.
 * Dense is 0, so a spec written {units, activation, param} is a dense one. */
typedef enum nnc_layer_kind {
    NNC_LAYER_DENSE = 0,
    NNC_LAYER_DROPOUT,
    NNC_LAYER_BATCHNORM,
    NNC_LAYER_KIND_COUNT
} nnc_layer_kind;

NNC_API const char *nnc_layer_kind_name(nnc_layer_kind kind); /* "dense", "dropout", "batchnorm" */
NNC_API nnc_status nnc_layer_kind_from_name(const char *name, nnc_layer_kind *out);

typedef struct nnc_layer_spec {
    int units;
    nnc_activation activation;
    double param;
    nnc_layer_kind kind; /* NNC_LAYER_DENSE (0) unless set */
    double rate;         /* dropout: the share of values dropped, [0, 1) */
} nnc_layer_spec;

typedef struct nnc_net nnc_net;

/* The most layers a network may have.  nnc_net_create, the model file's
 * reader and writer, the textbook folder's reader and writer and every
 * command hold to it, so whatever one of them writes the others read. */
#define NNC_MAX_LAYERS 64

/* A network of n_layers (1 to NNC_MAX_LAYERS) dense layers on n_inputs
 * inputs; its work buffers hold up to max_batch rows (larger inputs are
 * processed in chunks). */
NNC_API nnc_status nnc_net_create(nnc_net **out, nnc_task task, int n_inputs, int n_layers,
                                  const nnc_layer_spec *layers, int max_batch);
NNC_API void nnc_net_free(nnc_net *net);

NNC_API nnc_task nnc_net_task(const nnc_net *net);
NNC_API int nnc_net_layers(const nnc_net *net);
NNC_API int nnc_net_inputs(const nnc_net *net);
NNC_API int nnc_net_outputs(const nnc_net *net);
NNC_API int nnc_net_max_batch(const nnc_net *net);
/* The name of the matrix kernels the net runs on: at creation the best of
 * nnc's own for this CPU, "avx512", "avx2" or "portable" (every one gives
 * the same bits); "openblas" after nnc_net_set_kernels chose it. */
NNC_API const char *nnc_net_kernel_name(const nnc_net *net);
/* Chooses the net's kernels by name: "auto" (the creation's choice),
 * "avx512", "avx2", "portable", or "openblas" in a build that has it
 * (nnc_config.h defines NNC_HAVE_OPENBLAS; CMake option NNC_OPENBLAS).
 * With "openblas" the matrix products go to cblas_sgemm (cblas_dgemm in
 * the double build), the rest (bias, activations, softmax, the NaN checks)
 * stays on nnc's best path, and tiny nets take the general step instead
 * of the fused small one.  OpenBLAS's results agree with nnc's to rounding,
 * not bit for bit, and its own threads (OPENBLAS_NUM_THREADS) run its
 * products instead of the net's.  Unknown names, kernels this CPU cannot
 * run and "openblas" in a build without it fail with NNC_ERR_ARGUMENT. */
NNC_API nnc_status nnc_net_set_kernels(nnc_net *net, const char *name);
/* 1 if nnc_net_set_kernels(net, name) can succeed here (build and CPU). */
NNC_API int nnc_kernels_available(const char *name);
/* The spec a layer was built with (0 <= layer < nnc_net_layers). */
NNC_API nnc_layer_spec nnc_net_layer(const nnc_net *net, int layer);
/* How many values layer l's nnc_net_weights and nnc_net_bias hold: dense
 * n_in·units and units, batch norm units and units (γ, β), dropout 0 and 0. */
NNC_API void nnc_net_layer_sizes(const nnc_net *net, int layer, size_t *n_weights,
                                 size_t *n_bias);
/* Total number of trainable numbers (weights and biases). */
NNC_API size_t nnc_net_parameter_count(const nnc_net *net);

/* Threads: the net's large batch-level work (matrix products, the
 * activation gradient, the SGD update) is cut into one piece per thread
 * when it is big enough to gain from it; tiny networks never use them.
 * Each piece computes its values exactly as one thread would (the output
 * rows of a product, a range of the update: no sum is ever split), so the
 * results are bitwise identical whatever the thread count.  1 (the
 * default) runs everything in the caller's thread; n > 1 starts n − 1
 * persistent workers now (they sleep when idle and block all signals);
 * nnc_net_free joins them.  n from 1 to 256; changing it replaces the pool.
 * A net is used from one thread at a time, as ever. */
NNC_API nnc_status nnc_net_set_threads(nnc_net *net, int n_threads);
NNC_API int nnc_net_threads(const nnc_net *net);

/* Mutable views of a layer's W (n_in, n_out) and B (1, n_out), and of the
 * gradients dW and dB of the last nnc_net_backward. */
NNC_API nnc_real *nnc_net_weights(nnc_net *net, int layer);
NNC_API nnc_real *nnc_net_bias(nnc_net *net, int layer);
NNC_API const nnc_real *nnc_net_weight_grad(const nnc_net *net, int layer);
NNC_API const nnc_real *nnc_net_bias_grad(const nnc_net *net, int layer);
/* All parameters as one contiguous block (layer by layer: W then B). */
NNC_API nnc_real *nnc_net_parameters(nnc_net *net);

/* Sets every W by the init rule with draws from rng (layer by layer, W in
 * row-major order) and every B to 0. */
NNC_API nnc_status nnc_net_init(nnc_net *net, nnc_init init, nnc_rng *rng);

/* Forward pass of m <= max_batch rows X (m, n_inputs); the output A (m,
 * n_outputs) stays valid until the next forward. */
NNC_API nnc_status nnc_net_forward(nnc_net *net, const nnc_real *X, int m);
NNC_API const nnc_real *nnc_net_output(const nnc_net *net);
/* Backward pass for the last forward (same X, m) against targets Y:
 * fills dW = Xᵀ·dZ/m and dB = Σrows dZ/m for every layer. */
NNC_API nnc_status nnc_net_backward(nnc_net *net, const nnc_real *X, const nnc_real *Y, int m);
/* Plain SGD: W −= eta·dW, B −= eta·dB. */
NNC_API void nnc_net_sgd_update(nnc_net *net, double eta);

/* Training mode (0 at creation): nnc_net_forward then draws dropout masks
 * from the net's dropout generator and normalises batch-norm layers with
 * the batch's statistics (updating the running ones); out of it, dropout
 * scales by 1 − rate and batch norm uses the running statistics.
 * nnc_train and the training steps below set it for their own passes and
 * leave it as they found it. */
NNC_API void nnc_net_set_training(nnc_net *net, int training);
NNC_API int nnc_net_training(const nnc_net *net);
/* The generator of the dropout masks (seeded 0 at creation; nnc_train
 * seeds it from its seed and keeps it in its state). */
NNC_API nnc_rng *nnc_net_dropout_rng(nnc_net *net);
/* A batch-norm layer's running mean and variance (1, units); NULL for
 * other kinds. */
NNC_API nnc_real *nnc_net_running_mean(nnc_net *net, int layer);
NNC_API nnc_real *nnc_net_running_var(nnc_net *net, int layer);

/* The textbook's L2 and L1 terms (ch16) on every dense layer's weights
 * (not biases, not γ, β): the backward pass adds λ2·W/m + λ1·sign(W)/m to
 * dW.  Both 0 at creation; each finite and >= 0. */
NNC_API nnc_status nnc_net_set_regularization(nnc_net *net, double l1, double l2);
/* Their cost over a batch of m rows: (λ2/2m)·Σw² + (λ1/m)·Σ|w|. */
NNC_API double nnc_net_regularization_cost(const nnc_net *net, int m);

/* The book's weight statistics (ch16): over every dense layer's weights. */
typedef struct nnc_weight_stats {
    double abs_sum; /* Σ|w| */
    long total;     /* how many */
    long little;    /* |w| <= 0.01 */
    long zero;      /* |w| <= 1e-4 */
} nnc_weight_stats;
NNC_API nnc_weight_stats nnc_net_weight_stats(const nnc_net *net);

/* ------------------------------------------------------------------ */
/* Optimizers                                                          */
/* ------------------------------------------------------------------ */

/* The optimizers, in the table's order: "sgd", "momentum", "nag",
 * "adagrad", "adadelta", "rmsprop", "adam", "adamw". */
NNC_API int nnc_optimizer_count(void);
NNC_API const char *nnc_optimizer_name(int i); /* NULL past the end */
/* Its hyper-parameters besides the learning rate (given with each step),
 * and their defaults (the book's): e.g. adam's beta1 0.9, beta2 0.999,
 * eps 1e-8.  Returns how many (at most max are written). */
NNC_API int nnc_optimizer_hyper(int i, const char **names, double *defaults, int max);
/* Its update as one line of text ("v = alpha*v - lr*g; w += v"); NULL past
 * the end. */
NNC_API const char *nnc_optimizer_formula(int i);

/* Chooses the net's optimizer by a spec "NAME[:key=value,...]", e.g.
 * "adam:beta1=0.9,beta2=0.999": unknown names and keys, values that are
 * not finite numbers or out of the key's range are refused with a
 * message naming them.  Its state is zeroed (and the update count). */
NNC_API nnc_status nnc_net_set_optimizer(nnc_net *net, const char *spec);
/* The spec of the net's optimizer in full, every hyper-parameter given in
 * the shortest form that reads back to the same double ("sgd",
 * "adam:beta1=0.9,beta2=0.999,eps=1e-08"); writes at most size bytes. */
NNC_API nnc_status nnc_net_optimizer_spec(const nnc_net *net, char *buf, size_t size);
/* The optimizer's state: *n values (n_params times its values per
 * parameter, in blocks of n_params), NULL with *n = 0 when it keeps none;
 * and the updates it has made (Adam's t).  Saved and restored with the
 * training state, so that a resumed run goes on bit for bit. */
NNC_API nnc_real *nnc_net_optimizer_state(nnc_net *net, size_t *n);
NNC_API long nnc_net_optimizer_steps(const nnc_net *net);
NNC_API nnc_status nnc_net_set_optimizer_steps(nnc_net *net, long steps); /* steps >= 0 */

/* An optimizer on its own, over any block of n parameters (the net's uses
 * the same rows): for studying the optimizers on a function of your own,
 * as the book's ch15.4 does on z = x²/10 + y².  Created from a spec as
 * nnc_net_set_optimizer takes it, with its state zeroed. */
typedef struct nnc_optimizer nnc_optimizer;
NNC_API nnc_status nnc_optimizer_create(nnc_optimizer **out, const char *spec, size_t n);
NNC_API void nnc_optimizer_free(nnc_optimizer *opt);
/* Where the gradient is to be taken before the next step: params itself
 * for every optimizer but NAG, whose look-ahead point θ − α·v is written
 * into point (n values). */
NNC_API void nnc_optimizer_lookahead(const nnc_optimizer *opt, const nnc_real *params,
                                     nnc_real *point); /* nothing if one is NULL */
/* One update of params (n) from grads (n, taken at the lookahead point)
 * with learning rate lr; NNC_ERR_DIVERGED if a parameter becomes NaN/Inf. */
NNC_API nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_real *params,
                                      const nnc_real *grads, double lr);
/* One step of plain SGD on the batch made of rows rows[0..m) of data (a
 * shuffled order's next m, say), m from 1 to max_batch: the parameters
 * come out bit for bit as nnc_net_forward, nnc_net_backward and
 * nnc_net_sgd_update leave them on those rows gathered, but faster: the
 * rows are read where they are and each weight gradient updates its
 * weights straight from its product, so the gradients and the output are
 * not kept (nnc_net_weight_grad and nnc_net_output then hold no batch's).
 * NNC_ERR_DIVERGED when an updated parameter is NaN/Inf (the message names
 * the layer; the parameters are left as updated), NNC_ERR_ARGUMENT or
 * NNC_ERR_SHAPE for a row number out of range or a data set of other
 * widths. */
NNC_API nnc_status nnc_net_train_batch(nnc_net *net, const nnc_dataset *data, const uint32_t *rows,
                                       int m, double eta);
/* count steps of nnc_net_train_batch in one call, on the batches rows[b·m
 * .. b·m + m) for b = 0 .. count−1 (an epoch's shuffled order cut into
 * batches of m, say): the same parameters, bit for bit, as count calls,
 * but with threads (nnc_net_set_threads) faster, since the weights stay
 * split among the threads from one step to the next.  Every row number is
 * checked first; on NNC_ERR_DIVERGED the message names the batch and the
 * steps after it are not taken. */
NNC_API nnc_status nnc_net_train_batches(nnc_net *net, const nnc_dataset *data,
                                         const uint32_t *rows, int m, int count, double eta);

/* Predictions for any number of rows: out (m, n_outputs). */
NNC_API nnc_status nnc_net_predict(nnc_net *net, const nnc_real *X, int m, nnc_real *out);
/* Loss and accuracy over rows (X, Y), in chunks of max_batch. */
NNC_API nnc_status nnc_net_evaluate(nnc_net *net, const nnc_real *X, const nnc_real *Y, int m,
                                    double *loss, double *accuracy);

/* ------------------------------------------------------------------ */
/* Training: the textbook's loop                                       */
/* ------------------------------------------------------------------ */

/* Called after every update (and after its check, if one falls on it) with
 * the epoch and the total iteration (both 0-based, counted from the start of
 * the whole run when resuming); return nonzero to stop at once (status
 * NNC_ERR_INTERRUPTED).  It should not read the network: with threads, the
 * weights are split among them in an internal layout between the checks
 * (the checkpoint callback and the finished run see them as usual). */
typedef int (*nnc_step_fn)(int epoch, long total_iteration, void *user);

typedef struct nnc_train_state nnc_train_state;

/* Which rows validate (nnc_train_split_rows): the first tenth in file
 * order (the book's ch09) or a tenth drawn by a shuffle of all rows from
 * the seed (ch10 on: Shuffle() before GenerateValidationSet()). */
typedef enum nnc_split { NNC_SPLIT_FIRST = 0, NNC_SPLIT_SHUFFLED } nnc_split;
/* The training rows' order: reshuffled every epoch (the book's), shuffled
 * once before the first epoch, or never (the split's order). */
typedef enum nnc_shuffle { NNC_SHUFFLE_EPOCH = 0, NNC_SHUFFLE_ONCE, NNC_SHUFFLE_NONE } nnc_shuffle;
/* The learning rate of epoch e: constant eta; step: eta·factor^⌊e/every⌋;
 * cosine: eta·(1 + cos(π·e/max_epoch))/2. */
typedef enum nnc_lr_schedule { NNC_LR_CONSTANT = 0, NNC_LR_STEP, NNC_LR_COSINE } nnc_lr_schedule;

typedef struct nnc_train_options {
    double eta;          /* learning rate (0.5) */
    int batch_size;      /* rows per mini-batch; -1: the whole training set (10) */
    int max_epoch;       /* (10000) */
    double eps;          /* stop when loss_valid <= eps (0.001) */
    double checkpoint;   /* epochs between checks; may be fractional (50) */
    uint64_t seed;       /* seeds the run's own shuffle RNG (1) */
    nnc_step_fn on_step; /* optional per-update hook, e.g. progress or Ctrl-C (NULL) */
    void *step_user;     /* passed to on_step */
    /* Continue from a saved state (NULL: start fresh): the epoch and
     * iteration counts, the shuffle RNG and sample order carry on, so a run
     * stopped and resumed gives bitwise the weights of one that never
     * stopped.  seed is then ignored; the other options apply as given
     * (max_epoch counts from the start of the whole run).  The state is
     * checked against the split and schedule (NNC_ERR_ARGUMENT): its order
     * a permutation of the training rows, 0 <= iteration < iterations per
     * epoch, total_iteration = epoch * that + iteration (so the batch size
     * must be the same).  A state at or past max_epoch makes no update and
     * returns NNC_OK with result->state a copy of it. */
    const nnc_train_state *resume;
    nnc_split split;             /* (NNC_SPLIT_FIRST) */
    nnc_shuffle shuffle;         /* (NNC_SHUFFLE_EPOCH) */
    nnc_lr_schedule lr_schedule; /* (NNC_LR_CONSTANT) */
    int lr_every;                /* step schedule: epochs per step (>= 1) */
    double lr_factor;            /* step schedule: factor per step, (0, 1] */
    double l1, l2;               /* regularisation (nnc_net_set_regularization) (0) */
    /* Early stopping: after `patience` checks in a row without a new best
     * loss_valid, stop and restore the best check's weights (0: off). */
    int patience;
    /* The book's StopDiff: stop when |Δ loss_valid| < stop_diff at more
     * than 3 checks in a row (0: off).  eps is its StopLoss. */
    double stop_diff;
} nnc_train_options;

/* The textbook's recommended settings (values in brackets above). */
NNC_API nnc_train_options nnc_train_options_default(void);

/* One check: what the textbook prints and records in its history. */
typedef struct nnc_checkpoint {
    int epoch;
    long total_iteration;
    double loss_train, accuracy_train; /* on the last mini-batch */
    double loss_valid, accuracy_valid; /* on the whole validation set */
} nnc_checkpoint;

/* Called at each check (not at one whose losses are NaN/Inf: training has
 * diverged there); return nonzero to stop training (status
 * NNC_ERR_INTERRUPTED, weights kept as they are). */
typedef int (*nnc_checkpoint_fn)(const nnc_checkpoint *check, void *user);

/* Where a training run stands: enough to carry on exactly (see resume). */
struct nnc_train_state {
    nnc_train_options options; /* the run's settings (on_step, step_user, resume: unused) */
    int epoch;                 /* the epoch in progress, 0-based */
    int iteration;             /* its next mini-batch; 0: its shuffle is not drawn yet */
    long total_iteration;      /* updates made so far */
    nnc_rng rng;               /* the shuffle RNG as it stands (options.seed:
                                  the seed it started from) */
    uint32_t *order;           /* (n_order) dataset rows in the current training order */
    int n_order;               /* = n_train of the split */
    nnc_rng dropout_rng;       /* the net's dropout generator as it stands */
    /* Early stopping and StopDiff as they stand: the best loss_valid so far
     * (NaN: no check yet) with its weights (n_best values, the net's
     * parameter block; NULL unless patience is on), checks since it, the
     * last check's loss_valid and the StopDiff run of small changes. */
    double best_loss;
    int stale_checks;
    nnc_real *best_params;
    size_t n_best;
    double last_loss;
    int small_diffs;
};

/* Frees state->order and state->best_params and zeroes the state. */
NNC_API void nnc_train_state_free(nnc_train_state *state);

typedef struct nnc_train_result {
    nnc_checkpoint *history; /* every check of this call in order; free with
                                nnc_train_result_free */
    size_t history_count;
    int epochs_run;          /* epochs started, since the start of the whole run */
    long iterations;         /* updates made, likewise (after a divergence: the
                                one that overflowed included) */
    int iterations_per_epoch;
    long checkpoint_iteration;
    int stopped_early;       /* 1 if loss_valid <= eps ended training, 2 if the
                                patience ran out (the best weights restored),
                                3 if StopDiff did */
    int n_train, n_valid;    /* the split used */
    nnc_train_state state;   /* where training stopped (after a divergence: at the
                                restored check); resume from it to carry on */
} nnc_train_result;

/* Splits the dataset (validation = first int(rows/10) rows, in file order),
 * then trains net in place.  *result is always set (zeroed when the
 * arguments are refused; it must not hold the options or the resume state:
 * that is refused and leaves it as it was), so nnc_train_result_free is
 * always safe; the
 * history and state are kept even when training stops with an error.  Every
 * update is checked for NaN/Inf, and each check's losses: NNC_ERR_DIVERGED
 * then restores the weights of the last good check (or those training
 * started from), the message names the epoch, iteration, total iteration
 * and layer, the history ends at that check and result->state stands
 * there.  result may be NULL. */
NNC_API nnc_status nnc_train(nnc_net *net, const nnc_dataset *data,
                             const nnc_train_options *options, nnc_checkpoint_fn on_check,
                             void *user, nnc_train_result *result);
/* Frees the history and the state's order. */
NNC_API void nnc_train_result_free(nnc_train_result *result);

/* How nnc_train splits and schedules a run over `rows` rows: every rule
 * the caller might otherwise re-derive, in one place. */
typedef struct nnc_train_plan {
    int n_train, n_valid;      /* validation: the first n_valid = int(rows/10) rows */
    int batch;                 /* rows per mini-batch: batch_size, at most n_train */
    int iterations_per_epoch;  /* ceil(n_train / batch) */
    long checkpoint_iteration; /* updates between checks: int(ipe·checkpoint), >= 1 */
    long total_iterations;     /* updates of a whole run: max_epoch · ipe */
    long checks;               /* checks from update done_iterations to the end */
} nnc_train_plan;

/* Fills *plan for a run over `rows` rows with options, `done_iterations`
 * updates already made (a resumed run; 0 for a fresh one).  The same
 * refusals as nnc_train for the split and schedule. */
NNC_API nnc_status nnc_train_plan_for(int rows, const nnc_train_options *options,
                                      long done_iterations, nnc_train_plan *plan);
/* The split's rows: valid (n_valid) and train (n_train) of nnc_train_plan_for,
 * in the order the split leaves them (the first tenth and the rest in file
 * order; or the seeded shuffle's first tenth and the rest). */
NNC_API nnc_status nnc_train_split_rows(int rows, const nnc_train_options *options,
                                        uint32_t *valid, uint32_t *train);

#ifdef __cplusplus
}
#endif

/* Last, so that their declarations find every type above (each includes
 * this file first, and its guard makes that include a no-op here). */
#include "nnc_io.h"
#include "nnc_plot.h"

#endif /* NNC_H */
