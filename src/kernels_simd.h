/* The SIMD product nnc_gemm as a template: kernels_avx512.c and
 * kernels_avx2.c define the vector operations and include this file once.
 *
 * Micro-kernel: a tile of MR_MAX rows × 2 vectors of columns lives in
 * registers for the whole k loop; for each kk it loads the two vectors of
 * B's row kk and broadcasts A'(i, kk) for each row i: the outer-product
 * form, so every element's chain of fmas runs over kk in order, one fma
 * per step (the portable path's order exactly).  Column edges use masked
 * loads and stores; row edges use the same kernel with fewer rows.
 *
 * Blocking: rows outermost (a block of MR_MAX rows of A' stays in L1 while
 * the panels of B stream past from L2), then panels of 2 vectors of
 * columns; the activation runs on each finished block of rows while it is
 * still in cache.  k is not blocked: each accumulator stays in its register
 * from the start value to the store.  While the first panel of a block
 * runs, the next block's rows of a row-major A are prefetched into L2
 * (the forward pass' X comes from memory once per epoch).
 *
 * The includer defines: TGT (the target attribute), VT, MT, W (lanes),
 * MR_MAX, V_SET1, V_ZERO, V_FMA(a, b, c) = a·b + c rounded once, V_MUL,
 * V_MLOAD(mask, p), V_MSTORE(p, mask, v), MASK_N(n) (the first n lanes),
 * GEMM_NAME. */

static NNC_ALWAYS_INLINE TGT void tile(const int mr, const int nv, nnc_real *C, size_t ldc,
                                       const nnc_real *A, size_t a_rs, size_t a_cs,
                                       const nnc_real *B, size_t ldb, const nnc_real *start,
                                       int k, int use_scale, nnc_real scale, MT m0, MT m1,
                                       const nnc_real *pf, int pf_rows)
{
    VT acc0[MR_MAX], acc1[MR_MAX];
    VT s0 = start ? V_MLOAD(m0, start) : V_ZERO();
    VT s1 = nv > 1 && start ? V_MLOAD(m1, start + W) : V_ZERO();
#pragma GCC unroll 32
    for (int i = 0; i < mr; i++) {
        acc0[i] = s0;
        acc1[i] = s1;
    }
    for (int kk = 0; kk < k; kk++) {
        const nnc_real *b = B + (size_t)kk * ldb;
        const nnc_real *a = A + (size_t)kk * a_cs;
        VT b0 = V_MLOAD(m0, b);
        VT b1 = nv > 1 ? V_MLOAD(m1, b + W) : V_ZERO();
        /* Into L2: the next block's rows of A, a cache line each 64 bytes. */
        if (pf && (kk & (int)(64 / sizeof(nnc_real) - 1)) == 0)
            for (int i = 0; i < pf_rows; i++)
                __builtin_prefetch(pf + (size_t)i * a_rs + kk, 0, 2);
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            VT ai = V_SET1(a[(size_t)i * a_rs]);
            acc0[i] = V_FMA(ai, b0, acc0[i]);
            if (nv > 1)
                acc1[i] = V_FMA(ai, b1, acc1[i]);
        }
    }
    if (use_scale) {
        VT sc = V_SET1(scale);
#pragma GCC unroll 32
        for (int i = 0; i < mr; i++) {
            acc0[i] = V_MUL(acc0[i], sc);
            acc1[i] = V_MUL(acc1[i], sc);
        }
    }
#pragma GCC unroll 32
    for (int i = 0; i < mr; i++) {
        V_MSTORE(C + (size_t)i * ldc, m0, acc0[i]);
        if (nv > 1)
            V_MSTORE(C + (size_t)i * ldc + W, m1, acc1[i]);
    }
}

TGT void GEMM_NAME(const nnc_gemm_args *g)
{
    const int m = g->m, k = g->k, n = g->n;
    const size_t ldc = (size_t)n;
    for (int i0 = 0; i0 < m; i0 += MR_MAX) {
        const int mr = m - i0 < MR_MAX ? m - i0 : MR_MAX;
        nnc_real *C = g->C + (size_t)i0 * ldc;
        const nnc_real *A = g->A + (size_t)i0 * g->a_rs;
        for (int j0 = 0; j0 < n; j0 += 2 * W) {
            const int w = n - j0 < 2 * W ? n - j0 : 2 * W;
            const MT m0 = MASK_N(w < W ? w : W), m1 = MASK_N(w > W ? w - W : 0);
            const nnc_real *start = g->start ? g->start + j0 : NULL;
            /* While the first panel of a block runs, the next block's rows
             * of a row-major A (the forward pass' X) come into L2. */
            const int pf_rows = j0 == 0 && g->a_cs == 1 && m - i0 > MR_MAX
                                    ? (m - i0 - MR_MAX < MR_MAX ? m - i0 - MR_MAX : MR_MAX) : 0;
            const nnc_real *pf = pf_rows ? A + (size_t)MR_MAX * g->a_rs : NULL;
#define TILE_ARGS C + j0, ldc, A, g->a_rs, g->a_cs, g->B + j0, ldc, start, k, g->use_scale, \
                  g->scale, m0, m1, pf, pf_rows
#define TILE_CASE(r)                                                                     \
    case r:                                                                              \
        if (w > W)                                                                       \
            tile(r, 2, TILE_ARGS);                                                       \
        else                                                                             \
            tile(r, 1, TILE_ARGS);                                                       \
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
#undef TILE_ARGS
        }
        if (g->act)
            nnc_activation_forward_on(g->ex.path, g->act, C, g->Aout + (size_t)i0 * ldc,
                                      (size_t)mr * ldc, g->param);
    }
}
