/* The optimizer table (optimizer.h) and each optimizer's update. */
#include "optimizer.h"

#include "internal.h"

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

/* ---- The table --------------------------------------------------------- */

static const nnc_optimizer_info optimizers[] = {
    {.name = "sgd", .state_per_param = 0, .n_hyper = 1, .hyper_names = {"eta"},
     .hyper_defaults = {0.1}, .update = sgd_update},
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
