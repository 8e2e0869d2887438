/* The network's insides, shared by the files of src/core that build it
 * (net.c), step it (step.c) and run its layers (dense.c).  Not installed;
 * nothing outside src/core includes it. */
#ifndef NNC_CORE_NET_PRIVATE_H
#define NNC_CORE_NET_PRIVATE_H

#include "dense.h"
#include "internal.h"
#include "kernels/kernels.h"
#include "optimizer.h"

typedef struct layer layer;

/* What a kind of layer does (dense is the only kind; dropout and batch
 * norm would be rows of the same shape).  Shapes: the layer reads X
 * (m, n_in), or rows rows[0..m) of it read in place (the first layer),
 * and writes Z and A (m, n_out). */
typedef struct layer_kind {
    const char *name;
    /* Z = X·W + B, A = f(Z) (f the hidden activation; the output layer
     * keeps A unwritten, the task's output function fills it). */
    void (*forward)(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows, int m);
    /* Given dA (m, n_out), the loss's gradient by A (by Z for the output
     * layer, whose function the loss fuses): dZ = dA ⊙ f'(Z, A) into the
     * layer's dZ, then dW (n_in, n_out), dB (1, n_out) and, unless dX is
     * NULL, dX (m, n_in).  With a descent, the parameters take their SGD
     * step straight from the gradients' products (dW, dB are scratch
     * then).  Returns 0 if a descended parameter is NaN/Inf. */
    int (*backward)(nnc_exec ex, layer *L, const nnc_real *X, const uint32_t *rows, int m,
                    const nnc_real *dA, nnc_real *dX, nnc_real *Wt, nnc_descent descent);
} layer_kind;

extern const layer_kind nnc_dense_layer, nnc_dropout_layer, nnc_batchnorm_layer;

struct layer {
    const layer_kind *kind;
    nnc_layer_spec spec;
    const nnc_activation_info *act; /* NULL for the output layer */
    int n_in, n_out;
    nnc_real *W, *B, *dW, *dB; /* views into the parameter and gradient blocks:
                                  dense W (n_in, n_out) and B (1, n_out), batch
                                  norm γ and β (1, n_out), dropout none */
    size_t n_w, n_b;           /* how many values W and B hold */
    const int *training;       /* the net's training mode */
    nnc_rng *rng;              /* the net's dropout generator */
    /* Batch norm: x̂ (max_batch, n_out), the batch's μ and 1/√(σ² + eps),
     * and the running statistics (1, n_out) each; NULL for other kinds. */
    nnc_real *xhat, *mean, *inv_std, *running_mean, *running_var;
    nnc_real *Z, *A, *dZ;      /* (max_batch, n_out) each */
    int panel;                 /* W's column panels during training steps, or 0 */
};

struct nnc_net {
    nnc_task task;
    int n_inputs, n_layers, max_batch;
    layer *layers;
    size_t n_params;
    nnc_real *params, *grads;
    const nnc_optimizer_info *optimizer; /* SGD unless set otherwise */
    nnc_real *opt_state; /* its state: n_params · state_per_param values, or NULL */
    nnc_real *work;    /* Z, A, dZ of every layer, then the dA scratch */
    nnc_real *stats;   /* batch norm's x̂ and statistics, layer by layer */
    nnc_real *dA;      /* (max_batch, widest layer) */
    nnc_real *Wt;      /* room for the largest W of layers 2.. transposed (dX) */
    nnc_real *Yb;      /* (max_batch, outputs): a training step's gathered targets */
    nnc_real *Xb;      /* (max_batch, inputs): its gathered rows, OpenBLAS only */
    int forward_rows;  /* rows of the last forward pass, 0 if none */
    int forced_plan;   /* a plan tests force (nnc_net_force_plan), or -1 */
    double opt_hyper[NNC_OPT_MAX_HYPER]; /* the optimizer's hyper-parameters */
    long opt_steps;    /* updates the optimizer has made (Adam's t) */
    int training;      /* nnc_net_set_training */
    nnc_rng dropout_rng; /* dropout's masks */
    double l1, l2;     /* nnc_net_set_regularization */
    int all_dense;     /* every layer dense: the fast paths' nets */
    nnc_exec ex;       /* the kernels' path (chosen once at creation) and pool */
};

/* The forward pass of m rows of X (rows rows[0..m) of it, with rows):
 * each layer's forward, then the task's output function. */
void nnc_forward_pass(nnc_net *net, nnc_exec ex, const nnc_real *X, const uint32_t *rows,
                      int m);
/* The backward pass after it, with targets Y (m, outputs): the loss
 * gradient, then each layer's backward from the last; with a descent,
 * each layer's parameters take their SGD step inside it.  0 if a
 * descended parameter is NaN/Inf. */
int nnc_backward_pass(nnc_net *net, nnc_exec ex, const nnc_real *X, const uint32_t *rows,
                      const nnc_real *Y, int m, nnc_descent descent);
/* 2·l for the first layer l whose weights hold a NaN/Inf, 2·l + 1 for its
 * bias; 0 if none does (the caller knows that one does). */
int nnc_nonfinite_parameter(const nnc_net *net);
/* The reference training step (step.c) on the batch of rows rows[0..m)
 * of X and Y, read where they are: forward, loss gradient, backward (the
 * gradients kept in the net's gradient block), then the net's optimizer's
 * update with learning rate eta.  1 if every parameter is finite after it. */
int nnc_reference_step(nnc_net *net, const nnc_real *X, const uint32_t *rows,
                       const nnc_real *Y, int m, double eta);
/* An update of the net's parameters by its gradients with learning rate
 * eta: by the net's own optimizer (its hyper-parameters, state and count
 * of updates), or by plain SGD (nnc_net_sgd_update), which keeps no state.
 * 1 if every parameter is finite after it; 0 also for another row that
 * keeps state (the net has none for it), which is never run. */
int nnc_net_optimizer_update(nnc_net *net, const nnc_optimizer_info *opt, double eta);
/* The book's L2 and L1 terms added to every dense layer's dW after a
 * backward pass of m rows: λ2·W/m + λ1·sign(W)/m (nothing when both are 0). */
void nnc_net_add_regularization_gradient(nnc_net *net, int m);
/* Before a reference step's forward pass: NAG moves the parameters to its
 * look-ahead point (the others do nothing). */
void nnc_net_optimizer_lookahead(nnc_net *net);

#endif
