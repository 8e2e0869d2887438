/* The optimizer table (optimizer.h) and each optimizer's update. */
#include "optimizer.h"

#include "internal.h"
#include "kernels/real_math.h"

#include <math.h>

#include <string.h>

/* ---- SGD: p − eta·g ---------------------------------------------------- */

/* p −= step·g over n values (nnc_sgd_element); 1 if every result is
 * finite (nnc_nonfinite_flag, which vectorises with the update).  The same
 * loop is compiled for AVX-512 and AVX2 too (a multiply and a subtract,
 * never contracted: the same bits on every path) and picked by the path. */
static NNC_ALWAYS_INLINE int
sgd_block_body(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    nnc_real_bits flags = 0;
    for (size_t i = 0; i < n; i++) {
        const nnc_real v = nnc_sgd_element(p[i], g[i], step);
        p[i] = v;
        flags |= nnc_nonfinite_flag(v);
    }
    return nnc_flags_finite(flags);
}

static int sgd_block_portable(nnc_real *restrict p, const nnc_real *restrict g, size_t n,
                              nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f"))) static int
sgd_block_avx512(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}

__attribute__((target("avx2"))) static int
sgd_block_avx2(nnc_real *restrict p, const nnc_real *restrict g, size_t n, nnc_real step)
{
    return sgd_block_body(p, g, n, step);
}
#endif

static int sgd_block(int path, nnc_real *restrict p, const nnc_real *restrict g, size_t n,
                     nnc_real step)
{
    switch (path) {
#if defined(__GNUC__) && defined(__x86_64__)
    case NNC_PATH_AVX512:
        return sgd_block_avx512(p, g, n, step);
    case NNC_PATH_AVX2:
        return sgd_block_avx2(p, g, n, step);
#endif
    default:
        return sgd_block_portable(p, g, n, step);
    }
}

/* The fewest values of the update worth a thread of their own. */
enum { SGD_MIN_PART = 32768 };

typedef struct sgd_args {
    int path;
    const nnc_opt_blocks *b;
    nnc_real step;
    unsigned char finite[NNC_MAX_THREADS]; /* each piece's verdict */
} sgd_args;

/* Piece `part` of the update: a range of the block, cut at multiples of a
 * cache line's worth of values. */
static void sgd_piece(void *arg, int part, int parts)
{
    sgd_args *a = arg;
    size_t b, e;
    nnc_pool_piece(a->b->n, part, parts, 64 / sizeof(nnc_real), &b, &e);
    a->finite[part] =
        (unsigned char)sgd_block(a->path, a->b->params + b, a->b->grads + b, e - b, a->step);
}

/* Over the whole block: in one pass, or in one range per thread when the
 * block is long (every value's update is the same either way; the
 * verdicts are and-ed). */
static int sgd_update(nnc_exec ex, const nnc_opt_blocks *b, const double *hyper)
{
    const nnc_real step = (nnc_real)hyper[0];
    int parts = ex.pool ? nnc_pool_parts(ex.pool, (double)b->n, SGD_MIN_PART, NNC_MAX_THREADS)
                        : 1;
    if (parts == 1)
        return sgd_block(ex.path, b->params, b->grads, b->n, step);
    sgd_args a = {.path = ex.path, .b = b, .step = step};
    nnc_pool_run(ex.pool, sgd_piece, &a, parts);
    int finite = 1;
    for (int t = 0; t < parts; t++)
        finite &= a.finite[t];
    return finite;
}

/* ---- The optimizers that keep state -------------------------------------
 *
 * Each is one element function, the book's formula for one parameter
 * (ch15), applied over the block by one loop compiled for every kernel
 * path (as SGD's: the same operations in the same order, never contracted,
 * so every path gives the same bits), in pieces among the threads when the
 * block is long.  s0, s1 are the parameter's state values; k holds the
 * step's constants in nnc_real, worked out once per update. */

typedef struct opt_consts {
    nnc_real lr, a, b, eps, wd; /* the learning rate, then the row's own */
    nnc_real one_minus_a, one_minus_b;
    nnc_real c1, c2; /* Adam: 1/(1 − β1ᵗ), 1/(1 − β2ᵗ) */
} opt_consts;

/* Momentum (α): v = α·v − lr·g; θ += v. */
static NNC_ALWAYS_INLINE nnc_real momentum_element(nnc_real p, nnc_real g, nnc_real *v,
                                                   const opt_consts *k)
{
    *v = k->a * *v - k->lr * g;
    return p + *v;
}

/* NAG (α): the gradient was taken at θ − α·v (nnc_net_optimizer_lookahead
 * put the parameters there and θ in s1): v = α·v + lr·g; θ −= v. */
static NNC_ALWAYS_INLINE nnc_real nag_element(nnc_real p, nnc_real g, nnc_real *v,
                                              nnc_real *theta, const opt_consts *k)
{
    (void)p;
    *v = k->a * *v + k->lr * g;
    return *theta - *v;
}

/* AdaGrad (eps): r += g²; θ −= lr/(eps + √r)·g. */
static NNC_ALWAYS_INLINE nnc_real adagrad_element(nnc_real p, nnc_real g, nnc_real *r,
                                                  const opt_consts *k)
{
    *r = *r + g * g;
    return p - k->lr / (k->eps + R_SQRT(*r)) * g;
}

/* AdaDelta (α, eps; no learning rate): s = α·s + (1−α)·g²;
 * Δ = √((eps + r)/(eps + s))·g; θ −= Δ; r = α·r + (1−α)·Δ². */
static NNC_ALWAYS_INLINE nnc_real adadelta_element(nnc_real p, nnc_real g, nnc_real *s,
                                                   nnc_real *r, const opt_consts *k)
{
    *s = k->a * *s + k->one_minus_a * (g * g);
    const nnc_real delta = R_SQRT((k->eps + *r) / (k->eps + *s)) * g;
    *r = k->a * *r + k->one_minus_a * (delta * delta);
    return p - delta;
}

/* RMSProp (ρ, eps): r = ρ·r + (1−ρ)·g²; θ −= lr/√(eps + r)·g. */
static NNC_ALWAYS_INLINE nnc_real rmsprop_element(nnc_real p, nnc_real g, nnc_real *r,
                                                  const opt_consts *k)
{
    *r = k->a * *r + k->one_minus_a * (g * g);
    return p - k->lr / R_SQRT(k->eps + *r) * g;
}

/* Adam (β1, β2, eps): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * θ −= lr·m̂/(eps + √v̂), m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ). */
static NNC_ALWAYS_INLINE nnc_real adam_direction(nnc_real g, nnc_real *m, nnc_real *v,
                                                 const opt_consts *k)
{
    *m = k->a * *m + k->one_minus_a * g;
    *v = k->b * *v + k->one_minus_b * (g * g);
    const nnc_real m_hat = *m * k->c1, v_hat = *v * k->c2;
    return m_hat / (k->eps + R_SQRT(v_hat));
}

static NNC_ALWAYS_INLINE nnc_real adam_element(nnc_real p, nnc_real g, nnc_real *m, nnc_real *v,
                                               const opt_consts *k)
{
    return p - k->lr * adam_direction(g, m, v, k);
}

/* AdamW: Adam's step and the decoupled decay, θ −= lr·(m̂/(eps + √v̂) + wd·θ). */
static NNC_ALWAYS_INLINE nnc_real adamw_element(nnc_real p, nnc_real g, nnc_real *m, nnc_real *v,
                                                const opt_consts *k)
{
    return p - k->lr * (adam_direction(g, m, v, k) + k->wd * p);
}

/* The loop over a range for one element function: p, g and the state
 * values s0[i] (and s1[i] for the optimizers that keep two); 1 if every
 * result is finite.  The one-state optimizers' loop never touches s1. */
#define OPT_RANGE(NAME, STATE_ARGS)                                                          \
    static NNC_ALWAYS_INLINE int NAME##_range(nnc_real *restrict p,                          \
                                              const nnc_real *restrict g,                    \
                                              nnc_real *restrict s0, nnc_real *restrict s1,  \
                                              size_t n, const opt_consts *k)                 \
    {                                                                                        \
        const opt_consts kk = *k;                                                            \
        nnc_real_bits flags = 0;                                                             \
        (void)s1;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                     \
            const nnc_real v = NAME##_element(p[i], g[i], STATE_ARGS, &kk);                  \
            p[i] = v;                                                                        \
            flags |= nnc_nonfinite_flag(v);                                                  \
        }                                                                                    \
        return nnc_flags_finite(flags);                                                      \
    }
#define ONE_STATE &s0[i]
#define TWO_STATES &s0[i], &s1[i]

OPT_RANGE(momentum, ONE_STATE)
OPT_RANGE(nag, TWO_STATES)
OPT_RANGE(adagrad, ONE_STATE)
OPT_RANGE(adadelta, TWO_STATES)
OPT_RANGE(rmsprop, ONE_STATE)
OPT_RANGE(adam, TWO_STATES)
OPT_RANGE(adamw, TWO_STATES)

typedef int (*opt_range_fn)(nnc_real *restrict p, const nnc_real *restrict g,
                            nnc_real *restrict s0, nnc_real *restrict s1, size_t n,
                            const opt_consts *k);

/* Each range function on each kernel path: the portable loop, and the same
 * loop compiled for AVX2 and AVX-512. */
#define OPT_PATHS(ELEMENT)                                                                   \
    static int ELEMENT##_portable(nnc_real *restrict p, const nnc_real *restrict g,          \
                                  nnc_real *restrict s0, nnc_real *restrict s1, size_t n,    \
                                  const opt_consts *k)                                       \
    {                                                                                        \
        return ELEMENT##_range(p, g, s0, s1, n, k);                                          \
    }                                                                                        \
    OPT_SIMD_PATHS(ELEMENT)                                                                  \
    static const opt_range_fn ELEMENT##_by_path[3] = {OPT_PATH_LIST(ELEMENT)};

#if defined(__GNUC__) && defined(__x86_64__)
#define OPT_SIMD_PATHS(ELEMENT)                                                              \
    __attribute__((target("avx2"))) static int ELEMENT##_avx2(                               \
        nnc_real *restrict p, const nnc_real *restrict g, nnc_real *restrict s0,             \
        nnc_real *restrict s1, size_t n, const opt_consts *k)                                \
    {                                                                                        \
        return ELEMENT##_range(p, g, s0, s1, n, k);                                          \
    }                                                                                        \
    __attribute__((target("avx512f"))) static int ELEMENT##_avx512(                          \
        nnc_real *restrict p, const nnc_real *restrict g, nnc_real *restrict s0,             \
        nnc_real *restrict s1, size_t n, const opt_consts *k)                                \
    {                                                                                        \
        return ELEMENT##_range(p, g, s0, s1, n, k);                                          \
    }
#define OPT_PATH_LIST(ELEMENT) ELEMENT##_portable, ELEMENT##_avx2, ELEMENT##_avx512
#else
#define OPT_SIMD_PATHS(ELEMENT)
#define OPT_PATH_LIST(ELEMENT) ELEMENT##_portable, ELEMENT##_portable, ELEMENT##_portable
#endif

OPT_PATHS(momentum)
OPT_PATHS(nag)
OPT_PATHS(adagrad)
OPT_PATHS(adadelta)
OPT_PATHS(rmsprop)
OPT_PATHS(adam)
OPT_PATHS(adamw)

static opt_range_fn range_for_path(const opt_range_fn by_path[3], int path)
{
    switch (path) {
    case NNC_PATH_AVX512:
        return by_path[2];
    case NNC_PATH_AVX2:
        return by_path[1];
    default:
        return by_path[0];
    }
}

typedef struct stateful_args {
    opt_range_fn range;
    const nnc_opt_blocks *b;
    int n_state;
    const opt_consts *k;
    unsigned char finite[NNC_MAX_THREADS];
} stateful_args;

static int stateful_piece_range(const stateful_args *a, size_t begin, size_t end)
{
    const nnc_opt_blocks *b = a->b;
    nnc_real *s0 = b->state + begin, *s1 = a->n_state > 1 ? b->state + b->n + begin : NULL;
    return a->range(b->params + begin, b->grads + begin, s0, s1, end - begin, a->k);
}

static void stateful_piece(void *arg, int part, int parts)
{
    stateful_args *a = arg;
    size_t b, e;
    nnc_pool_piece(a->b->n, part, parts, 64 / sizeof(nnc_real), &b, &e);
    a->finite[part] = (unsigned char)stateful_piece_range(a, b, e);
}

/* The update over the whole block with the range functions of one
 * optimizer, in one range per thread when the block is long. */
static int stateful_update(nnc_exec ex, const nnc_opt_blocks *b, const opt_range_fn by_path[3],
                           int n_state, const opt_consts *k)
{
    stateful_args a = {.range = range_for_path(by_path, ex.path), .b = b, .n_state = n_state,
                       .k = k};
    int parts = ex.pool ? nnc_pool_parts(ex.pool, (double)b->n, SGD_MIN_PART / 4,
                                         NNC_MAX_THREADS)
                        : 1;
    if (parts == 1)
        return stateful_piece_range(&a, 0, b->n);
    nnc_pool_run(ex.pool, stateful_piece, &a, parts);
    int finite = 1;
    for (int t = 0; t < parts; t++)
        finite &= a.finite[t];
    return finite;
}

/* The step's constants from the hyper-parameters h (h[0] the learning
 * rate, then the row's own in its order) and the update number t. */
static opt_consts consts_of(const double *h, int n_hyper, long t)
{
    opt_consts k = {.lr = (nnc_real)h[0]};
    const double a = n_hyper > 1 ? h[1] : 0, b = n_hyper > 2 ? h[2] : 0;
    k.a = (nnc_real)a;
    k.b = (nnc_real)b;
    k.one_minus_a = (nnc_real)(1 - a);
    k.one_minus_b = (nnc_real)(1 - b);
    k.c1 = (nnc_real)(1 / (1 - pow(a, (double)t)));
    k.c2 = (nnc_real)(1 / (1 - pow(b, (double)t)));
    return k;
}

static int momentum_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 2, b->t);
    return stateful_update(ex, b, momentum_by_path, 1, &k);
}

static int nag_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 2, b->t);
    return stateful_update(ex, b, nag_by_path, 2, &k);
}

static int adagrad_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = {.lr = (nnc_real)h[0], .eps = (nnc_real)h[1]};
    return stateful_update(ex, b, adagrad_by_path, 1, &k);
}

static int adadelta_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 2, b->t);
    k.eps = (nnc_real)h[2];
    return stateful_update(ex, b, adadelta_by_path, 2, &k);
}

static int rmsprop_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 2, b->t);
    k.eps = (nnc_real)h[2];
    return stateful_update(ex, b, rmsprop_by_path, 1, &k);
}

static int adam_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 3, b->t);
    k.eps = (nnc_real)h[3];
    return stateful_update(ex, b, adam_by_path, 2, &k);
}

static int adamw_update(nnc_exec ex, const nnc_opt_blocks *b, const double *h)
{
    opt_consts k = consts_of(h, 3, b->t);
    k.eps = (nnc_real)h[3];
    k.wd = (nnc_real)h[4];
    return stateful_update(ex, b, adamw_by_path, 2, &k);
}

/* ---- The table --------------------------------------------------------- */

/* The learning rate's range, the first column of every row. */
static const nnc_optimizer_info optimizers[] = {
    {.name = "sgd", .state_per_param = 0, .n_hyper = 1, .hyper_names = {"eta"},
     .hyper_defaults = {0.1}, .hyper_min = {0}, .hyper_max = {INFINITY},
     .formula = "w -= lr*g", .lookahead_slot = -1, .update = sgd_update},
    {.name = "momentum", .state_per_param = 1, .n_hyper = 2, .hyper_names = {"eta", "alpha"},
     .hyper_defaults = {0.1, 0.9}, .hyper_min = {0, 0}, .hyper_max = {INFINITY, 1},
     .max_open = {0, 1}, .formula = "v = alpha*v - lr*g; w += v", .lookahead_slot = -1,
     .update = momentum_update},
    {.name = "nag", .state_per_param = 2, .n_hyper = 2, .hyper_names = {"eta", "alpha"},
     .hyper_defaults = {0.1, 0.9}, .hyper_min = {0, 0}, .hyper_max = {INFINITY, 1},
     .max_open = {0, 1},
     .formula = "g at w - alpha*v; v = alpha*v + lr*g; w -= v", .lookahead_slot = 1,
     .update = nag_update},
    {.name = "adagrad", .state_per_param = 1, .n_hyper = 2, .hyper_names = {"eta", "eps"},
     .hyper_defaults = {0.1, 1e-6}, .hyper_min = {0, 0}, .hyper_max = {INFINITY, INFINITY},
     .min_open = {0, 1}, .formula = "r += g^2; w -= lr/(eps + sqrt(r))*g", .lookahead_slot = -1,
     .update = adagrad_update},
    {.name = "adadelta", .state_per_param = 2, .n_hyper = 3,
     .hyper_names = {"eta", "alpha", "eps"}, .hyper_defaults = {0.1, 0.9, 1e-5},
     .hyper_min = {0, 0, 0}, .hyper_max = {INFINITY, 1, INFINITY}, .min_open = {0, 0, 1},
     .max_open = {0, 1, 0},
     .formula = "s = alpha*s + (1-alpha)*g^2; d = sqrt((eps + r)/(eps + s))*g; w -= d; "
                "r = alpha*r + (1-alpha)*d^2 (no learning rate)",
     .lookahead_slot = -1, .update = adadelta_update},
    {.name = "rmsprop", .state_per_param = 1, .n_hyper = 3, .hyper_names = {"eta", "rho", "eps"},
     .hyper_defaults = {0.1, 0.9, 1e-6}, .hyper_min = {0, 0, 0},
     .hyper_max = {INFINITY, 1, INFINITY}, .min_open = {0, 0, 1}, .max_open = {0, 1, 0},
     .formula = "r = rho*r + (1-rho)*g^2; w -= lr/sqrt(eps + r)*g", .lookahead_slot = -1,
     .update = rmsprop_update},
    {.name = "adam", .state_per_param = 2, .n_hyper = 4,
     .hyper_names = {"eta", "beta1", "beta2", "eps"}, .hyper_defaults = {0.001, 0.9, 0.999, 1e-8},
     .hyper_min = {0, 0, 0, 0}, .hyper_max = {INFINITY, 1, 1, INFINITY},
     .min_open = {0, 0, 0, 1}, .max_open = {0, 1, 1, 0},
     .formula = "m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g^2; "
                "w -= lr*m'/(eps + sqrt(v')), m' = m/(1-beta1^t), v' = v/(1-beta2^t)",
     .lookahead_slot = -1, .update = adam_update},
    {.name = "adamw", .state_per_param = 2, .n_hyper = 5,
     .hyper_names = {"eta", "beta1", "beta2", "eps", "weight_decay"},
     .hyper_defaults = {0.001, 0.9, 0.999, 1e-8, 0.01}, .hyper_min = {0, 0, 0, 0, 0},
     .hyper_max = {INFINITY, 1, 1, INFINITY, INFINITY}, .min_open = {0, 0, 0, 1, 0},
     .max_open = {0, 1, 1, 0, 0},
     .formula = "adam's step and w -= lr*weight_decay*w (decoupled weight decay)",
     .lookahead_slot = -1, .update = adamw_update},
};

int nnc_optimizer_count(void) { return (int)(sizeof optimizers / sizeof optimizers[0]); }

const nnc_optimizer_info *nnc_optimizer_at(int i)
{
    return i >= 0 && i < nnc_optimizer_count() ? &optimizers[i] : NULL;
}

const nnc_optimizer_info *nnc_optimizer_find(const char *name)
{
    for (int i = 0; name && i < nnc_optimizer_count(); i++)
        if (!strcmp(optimizers[i].name, name))
            return &optimizers[i];
    return NULL;
}

const nnc_optimizer_info *nnc_optimizer_sgd(void) { return &optimizers[0]; }
