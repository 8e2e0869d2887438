/* The SIMD product nnc_gemm as a template: kernels_avx512.c and
 * kernels_avx2.c define the vector operations and include this file once.
 *
 * Micro-kernel: a tile of MR_MAX rows × 2 vectors of columns lives in
 * registers through a block of steps kk; for each kk it loads the two
 * vectors of B's row kk and broadcasts A'(i, kk) for each row i: the
 * outer-product form, so every element's chain of fmas runs over kk in
 * order, one fma per step (the portable path's order exactly).  The tile
 * reads the mr values A'(·, kk) side by side, at constant offsets from one
 * pointer a step: either A' is such an operand already (a.rs = 1 and no row
 * table: the transposed activations of a weight gradient, read in place,
 * their rows through the k table), or a block of MR_MAX rows × KC steps of
 * A' is first packed that way (a row-major A, such as the forward pass'
 * input, through its row table: the batch rows gathered straight from the
 * data set, once per block).  Column edges use masked loads and stores;
 * row edges use the same kernel with fewer rows.
 *
 * Blocking: rows outermost (from the block holding first_row, wrapping
 * round: threads that each compute a panel of columns for the same rows
 * start on different rows), then blocks of KC steps, then panels of 2
 * vectors of columns.  Between the blocks of k the partial sums wait in C:
 * a value stored and loaded back is the same value, so each element is
 * still its one chain.  The activation runs on each finished block of rows
 * while it is still in cache; a descent (U −= step·C, the SGD update fused
 * into a weight gradient's product) replaces the last store.  While a
 * block runs, the next block's rows of a packed A are prefetched.
 *
 * The includer defines: TGT (the target attribute), VT, MT, W (lanes),
 * MR_MAX, V_SET1, V_ZERO, V_FMA(a, b, c) = a·b + c rounded once, V_MUL,
 * V_ADD, V_SUB, V_MLOAD(mask, p), V_MSTORE(p, mask, v), V_MASKZ(mask, v)
 * (lanes outside mask set to +0), MASK_N(n) (the first n lanes),
 * GEMM_NAME and TRANSPOSE_NAME; V_TRANSPOSE where it has one. */

/* nnc_sgd_element on every lane: p − step·g, the same multiply and
 * subtract (a call of the scalar function per lane would undo the tile's
 * vectorisation; the two operations are IEEE's, so each lane gets the
 * scalar function's bits). */
#define V_SGD(p, g, step) V_SUB(p, V_MUL(step, g))

/* Steps of k a block: a packed block of A' (MR_MAX × KC values) stays in
 * L1 while the panels of B's KC rows pass it. */
#define KC 256

/* What a tile needs besides its shape.  A'(i, kk) = (A + ak[kk])[i]: the
 * offsets of the block's steps, worked out once a block (K(kk)·a.cs, or
 * kk·MR_MAX in a packed block); B, C, start, U at the tile's corner. */
typedef struct tile_job {
    nnc_real *C;
    size_t ldc, ldb, ldu; /* row strides of C, B and U */
    const nnc_real *A;
    const size_t *ak;
    const nnc_real *B;
    int k;
    int first, last;        /* the first block of k (chains start at start
                             * or +0, else at C), the last (scale, store) */
    const nnc_real *start;
    int use_scale;
    nnc_real scale;
    nnc_real *U;            /* descent target, or NULL: store into C */
    nnc_real step;
} tile_job;

/* nv vectors of columns: 1 (masked by m0), 2 (the second masked by m1), or
 * 3: two whole vectors, unmasked. */
#define V_LOAD0(p) (nv == 3 ? V_LOAD(p) : V_MLOAD(m0, p))
#define V_LOAD1(p) (nv == 3 ? V_LOAD(p) : V_MLOAD(m1, p))
#define V_STORE0(p, v) (nv == 3 ? V_STORE(p, v) : V_MSTORE(p, m0, v))
#define V_STORE1(p, v) (nv == 3 ? V_STORE(p, v) : V_MSTORE(p, m1, v))

static NNC_ALWAYS_INLINE TGT void tile(const int mr, const int nv, const tile_job *t, MT m0,
                                       MT m1, VT *bad)
{
    const size_t ldc = t->ldc;
    const size_t *restrict ak = t->ak;
    VT acc0[MR_MAX], acc1[MR_MAX];
    if (t->first) {
        VT s0 = t->start ? V_LOAD0(t->start) : V_ZERO();
        VT s1 = nv > 1 && t->start ? V_LOAD1(t->start + W) : V_ZERO();
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            acc0[i] = s0;
            acc1[i] = s1;
        }
    } else {
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            acc0[i] = V_LOAD0(t->C + (size_t)i * ldc);
            acc1[i] = nv > 1 ? V_LOAD1(t->C + (size_t)i * ldc + W) : V_ZERO();
        }
    }
    const nnc_real *b = t->B;
    for (int kk = 0; kk < t->k; kk++, b += t->ldb) {
        const nnc_real *a = t->A + ak[kk];
        VT b0 = V_LOAD0(b);
        VT b1 = nv > 1 ? V_LOAD1(b + W) : V_ZERO();
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            VT ai = V_SET1(a[i]);
            acc0[i] = V_FMA(ai, b0, acc0[i]);
            if (nv > 1)
                acc1[i] = V_FMA(ai, b1, acc1[i]);
        }
    }
    if (t->last && t->use_scale) {
        VT sc = V_SET1(t->scale);
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            acc0[i] = V_MUL(acc0[i], sc);
            acc1[i] = V_MUL(acc1[i], sc);
        }
    }
    if (t->last && t->U) {
        /* The SGD step (V_SGD); u·0 is NaN exactly when u is NaN or ±Inf
         * (the vector form of the NaN/Inf test: one fma a vector).  The
         * check gathers in two local chains, not in *bad, which a store to
         * U may alias as far as the compiler knows: that would make one
         * chain of fma, store and load through every store of the tile
         * (bench/README.md, "Measurements behind the kernels"). */
        nnc_real *restrict U = t->U;
        const VT st = V_SET1(t->step), zero = V_ZERO();
        VT bad0 = *bad, bad1 = V_ZERO();
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            nnc_real *u = U + (size_t)i * t->ldu;
            VT u0 = V_SGD(V_LOAD0(u), acc0[i], st);
            V_STORE0(u, u0);
            bad0 = V_FMA(nv == 3 ? u0 : V_MASKZ(m0, u0), zero, bad0);
            if (nv > 1) {
                VT u1 = V_SGD(V_LOAD1(u + W), acc1[i], st);
                V_STORE1(u + W, u1);
                bad1 = V_FMA(nv == 3 ? u1 : V_MASKZ(m1, u1), zero, bad1);
            }
        }
        *bad = V_ADD(bad0, bad1);
        return;
    }
    nnc_real *restrict C = t->C;
#pragma GCC unroll 32
    for (int i = 0; i < mr; i++) {
        V_STORE0(C + (size_t)i * ldc, acc0[i]);
        if (nv > 1)
            V_STORE1(C + (size_t)i * ldc + W, acc1[i]);
    }
}

/* One function per tile shape (rows × nv): kept apart, not inlined into
 * GEMM_NAME, so that one function does not hold all 42 unrolled tiles (a
 * sanitizer build of that took the compiler tens of minutes); a call per
 * tile costs nothing next to its k steps. */
#define TILE_FNS(r)                                                                       \
    static TGT __attribute__((noinline)) void tile_##r##_1(const tile_job *t, MT m0, MT m1, \
                                                           VT *bad)                      \
    {                                                                                     \
        tile(r, 1, t, m0, m1, bad);                                                       \
    }                                                                                     \
    static TGT __attribute__((noinline)) void tile_##r##_2(const tile_job *t, MT m0, MT m1, \
                                                           VT *bad)                      \
    {                                                                                     \
        tile(r, 2, t, m0, m1, bad);                                                       \
    }                                                                                     \
    static TGT __attribute__((noinline)) void tile_##r##_3(const tile_job *t, MT m0, MT m1, \
                                                           VT *bad)                      \
    {                                                                                     \
        tile(r, 3, t, m0, m1, bad);                                                       \
    }
TILE_FNS(1)
TILE_FNS(2)
TILE_FNS(3)
TILE_FNS(4)
TILE_FNS(5)
TILE_FNS(6)
#if MR_MAX > 6
TILE_FNS(7)
TILE_FNS(8)
TILE_FNS(9)
TILE_FNS(10)
TILE_FNS(11)
TILE_FNS(12)
#endif
#if MR_MAX > 12
TILE_FNS(13)
TILE_FNS(14)
#endif
#undef TILE_FNS

/* Row i of A' (0-based in the whole product) in A: its first value. */
static NNC_ALWAYS_INLINE const nnc_real *a_row(const nnc_gemm_args *g, int i)
{
    return g->a.p + (size_t)(g->a.rows_i ? g->a.rows_i[i] : (uint32_t)i) * g->a.rs;
}

/* P[kk·MR_MAX + i] = A'(i0 + i, k0 + kk) for i < mr, kk < kc; and the
 * same steps of the next block's rows (nx of them, from row nx0) into L2,
 * a cache line each 64 bytes, for a row-major A (a.cs 1, no k table). */
static TGT void pack(nnc_real *restrict P, const nnc_gemm_args *g, int i0, int mr, int k0,
                     int kc, int nx0, int nx)
{
    const size_t a_cs = g->a.cs;
    int done = 0; /* steps packed by the vector transposes */
#if defined(V_TRANSPOSE)
    if (!g->a.rows_k && a_cs == 1 && MR_MAX <= W) {
        /* W steps of each row at once, transposed in registers: vector
         * t of the block is step kk + t of every row.  Each store writes
         * W ≥ MR_MAX values; those past MR_MAX land in the next step's
         * slots, and the next store (or the scalar tail) overwrites them. */
        const nnc_real *rp[W];
        for (int i = 0; i < W; i++)
            rp[i] = i < mr ? a_row(g, i0 + i) + k0 : NULL;
        for (; done + W <= kc; done += W) {
            VT r[W];
            for (int i = 0; i < W; i++)
                r[i] = i < mr ? V_LOAD(rp[i] + done) : V_ZERO();
            V_TRANSPOSE(r);
            for (int t = 0; t < W; t++)
                V_STORE(P + (size_t)(done + t) * MR_MAX, r[t]);
        }
    }
#endif
    for (int i = 0; i < mr && done < kc; i++) {
        const nnc_real *restrict row = a_row(g, i0 + i);
        nnc_real *restrict p = P + i;
        if (g->a.rows_k)
            for (int kk = 0; kk < kc; kk++)
                p[(size_t)kk * MR_MAX] = row[(size_t)g->a.rows_k[k0 + kk] * a_cs];
        else if (a_cs == 1)
            for (int kk = done; kk < kc; kk++)
                p[(size_t)kk * MR_MAX] = row[k0 + kk];
        else
            for (int kk = 0; kk < kc; kk++)
                p[(size_t)kk * MR_MAX] = row[(size_t)(k0 + kk) * a_cs];
    }
    for (int i = 0; i < nx; i++) {
        const nnc_real *next = a_row(g, nx0 + i) + k0;
        for (int kk = 0; kk < kc; kk += (int)(64 / sizeof(nnc_real)))
            __builtin_prefetch(next + kk, 0, 2);
    }
}

/* The blocking loops around the tiles (see the top of this file); the
 * switch of tile shapes, one case per row count, makes it a little over
 * the library's usual ~100 lines. */
TGT int GEMM_NAME(const nnc_gemm_args *g)
{
    const int m = g->m, k = g->k, n = g->n;
    const size_t ldb = g->b.ld ? g->b.ld : (size_t)n, ldc = g->ldc ? g->ldc : (size_t)n,
                 ldu = g->u.ld ? g->u.ld : (size_t)n;
    /* A' read in place: its values of a step side by side. */
    const int in_place = g->a.rs == 1 && !g->a.rows_i;
    nnc_real P[MR_MAX * KC + W] __attribute__((aligned(64))); /* + W: see pack */
    size_t ak[KC];
    if (!in_place)
        for (int kk = 0; kk < KC; kk++)
            ak[kk] = (size_t)kk * MR_MAX;
    /* Blocks of k of about equal length (784 = 4 × 196, not 3 × 256 + 16),
     * a multiple of W steps but the last. */
    const int n_kb = (k + KC - 1) / KC;
    int kb = n_kb > 1 ? (k + n_kb - 1) / n_kb : KC;
    kb = (kb + W - 1) / W * W;
    VT bad = V_ZERO();
    /* Blocks of MR_MAX rows, from the one holding first_row, wrapping. */
    const int n_ib = (m + MR_MAX - 1) / MR_MAX;
    const int ib0 = g->first_row > 0 && g->first_row < m ? g->first_row / MR_MAX : 0;
    for (int ib = 0; ib < n_ib; ib++) {
        const int i0 = (ib0 + ib) % n_ib * MR_MAX;
        const int mr = m - i0 < MR_MAX ? m - i0 : MR_MAX;
        /* The next block's rows of a row-major A, fetched while this one
         * runs (the forward pass reads each batch row from memory once). */
        const int nx0 = (ib0 + ib + 1) % n_ib * MR_MAX;
        const int nx = !in_place && g->a.cs == 1 && !g->a.rows_k && g->a.rs > 0 && ib + 1 < n_ib
                           ? (m - nx0 < MR_MAX ? m - nx0 : MR_MAX) : 0;
        for (int k0 = 0; k0 < k || k0 == 0; k0 += kb) {
            const int kc = k - k0 < kb ? k - k0 : kb;
            tile_job t = {.ldc = ldc, .ldb = ldb, .ldu = ldu, .ak = ak, .k = kc, .first = k0 == 0,
                          .last = k0 + kc >= k, .use_scale = g->use_scale,
                          .scale = g->scale, .step = g->u.step};
            if (in_place) {
                t.A = g->a.p + i0;
                if (ib == 0 || k > kb) /* the same offsets for every block */
                    for (int kk = 0; kk < kc; kk++)
                        ak[kk] = (size_t)(g->a.rows_k ? g->a.rows_k[k0 + kk]
                                                      : (uint32_t)(k0 + kk)) * g->a.cs;
            } else {
                pack(P, g, i0, mr, k0, kc, nx0, nx);
                t.A = P;
            }
            for (int j0 = 0; j0 < n; j0 += 2 * W) {
                const int w = n - j0 < 2 * W ? n - j0 : 2 * W;
                const MT m0 = MASK_N(w < W ? w : W), m1 = MASK_N(w > W ? w - W : 0);
                t.C = g->C + (size_t)i0 * ldc + j0;
                t.B = g->b.p + (size_t)k0 * ldb + j0;
                t.start = g->start ? g->start + j0 : NULL;
                t.U = g->u.p ? g->u.p + (size_t)i0 * ldu + j0 : NULL;
#define TILE_CASE(r)                                                                     \
    case r:                                                                              \
        if (w == 2 * W)                                                                  \
            tile_##r##_3(&t, m0, m1, &bad);                                              \
        else if (w > W)                                                                  \
            tile_##r##_2(&t, m0, m1, &bad);                                              \
        else                                                                             \
            tile_##r##_1(&t, m0, m1, &bad);                                              \
        break;
                switch (mr) {
                    TILE_CASE(1)
                    TILE_CASE(2)
                    TILE_CASE(3)
                    TILE_CASE(4)
                    TILE_CASE(5)
                    TILE_CASE(6)
#if MR_MAX > 6
                    TILE_CASE(7)
                    TILE_CASE(8)
                    TILE_CASE(9)
                    TILE_CASE(10)
                    TILE_CASE(11)
                    TILE_CASE(12)
#endif
#if MR_MAX > 12
                    TILE_CASE(13)
                    TILE_CASE(14)
#endif
#if MR_MAX > 14
#error "MR_MAX above 14: add cases"
#endif
                default:
                    break;
                }
#undef TILE_CASE
            }
        }
        if (g->act && ldc == (size_t)n)
            nnc_activation_forward_on(g->ex.path, g->act, g->C + (size_t)i0 * ldc,
                                      g->Aout + (size_t)i0 * ldc, (size_t)mr * ldc, g->param);
        else if (g->act) /* a panel's columns: row by row */
            for (int i = i0; i < i0 + mr; i++)
                nnc_activation_forward_on(g->ex.path, g->act, g->C + (size_t)i * ldc,
                                          g->Aout + (size_t)i * ldc, (size_t)n, g->param);
    }
    /* Each lane of bad is +0, or NaN where a descended value was not
     * finite. */
    nnc_real lanes[W];
    memcpy(lanes, &bad, sizeof lanes);
    return nnc_all_finite(lanes, W);
}

/* Bt = Bᵀ, B (k, n), Bt (n, k): blocks of W × W values transposed in
 * registers (V_TRANSPOSE, where the path has one), the edges one value at
 * a time: a scalar loop's strided stores cost more than the products of
 * small layers they feed. */
TGT void TRANSPOSE_NAME(nnc_real *Bt, const nnc_real *B, int k, int n)
{
    int j0 = 0;
#if defined(V_TRANSPOSE)
    for (; j0 + W <= k; j0 += W) {
        int p0 = 0;
        for (; p0 + W <= n; p0 += W) {
            VT r[W];
            for (int i = 0; i < W; i++)
                r[i] = V_LOAD(B + (size_t)(j0 + i) * n + p0);
            V_TRANSPOSE(r);
            for (int t = 0; t < W; t++)
                V_STORE(Bt + (size_t)(p0 + t) * k + j0, r[t]);
        }
        for (; p0 < n; p0++)
            for (int i = 0; i < W; i++)
                Bt[(size_t)p0 * k + j0 + i] = B[(size_t)(j0 + i) * n + p0];
    }
#endif
    for (; j0 < k; j0++)
        for (int p = 0; p < n; p++)
            Bt[(size_t)p * k + j0] = B[(size_t)j0 * n + p];
}
