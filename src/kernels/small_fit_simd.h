/* The seed's fits, 1 input, h hidden units, 1 output, on AVX-512: part of
 * small_step_simd.h, which includes it when the path has lane permutes
 * (V_PERMUTE, V_PERMUTEZ, V_UNORDERED, V_GATHER_ROWS, lane_index, P_LOAD).
 *
 * For such a net a training step is one chain of dependent operations, a
 * hundred-odd cycles long: the parameters feed the forward pass, which
 * feeds the gradients' chains over the rows, which feed the update, which
 * feeds the next step.  So this version shortens the chain:
 *
 *   - The parameters stay in registers from step to step (the count steps
 *     of one call), as vectors with unit j in lane j: w1, b1, w2, and b2
 *     in every lane.
 *   - The forward pass packs R = W/h rows into a vector, lane q = r·h + j
 *     for row r of the group and unit j, so that the activation of a batch
 *     of 10 rows and 3 units takes 2 vectors.
 *   - The gradients' chains over the rows run in lanes j, one fused
 *     multiply-add per row for all units at once, row r's units brought
 *     to lanes 0..h-1 by a permute.
 *
 * Every value is still the chain of small_step_body (nnc_dense_forward's and
 * the products' chains of nnc_dense_backward, in the same order from the same
 * start), so the same bits. */

/* At most this many groups of R rows in a batch (nnc_small_fit_fits,
 * which the planner asks before it sets the step's packed flag). */
#define FIT_MAX_GROUPS NNC_SMALL_FIT_MAX_GROUPS

/* nnc_logistic (the binary output) on every lane: the scalar function on a
 * vector's lanes, which the compiler vectorises (vmath.h is branch-free),
 * so its bits. */
static inline TGT VT logistic_lanes(VT z)
{
    _Alignas(64) nnc_real t[W];
    V_STORE(t, z);
    for (int i = 0; i < W; i++)
        t[i] = nnc_logistic(t[i]);
    return V_LOAD(t);
}

/* sigmoid_f and sigmoid_df on every lane, the same way. */
static inline TGT void sigmoid_lanes(VT z, VT *a, VT *d)
{
    _Alignas(64) nnc_real tz[W], ta[W], td[W];
    V_STORE(tz, z);
    for (int i = 0; i < W; i++) {
        ta[i] = sigmoid_f(tz[i], 0);
        td[i] = sigmoid_df(tz[i], ta[i], 0);
    }
    *a = V_LOAD(ta);
    *d = V_LOAD(td);
}

/* A = f(Z) and D = f'(Z, A) for the g groups' vectors Z[0..g). */
static inline TGT void fit_activation(const nnc_small_step_args *s, const VT *Z, VT *A, VT *D,
                                      int g)
{
    if (s->act->id == NNC_ACT_SIGMOID) {
        for (int v = 0; v < g; v++)
            sigmoid_lanes(Z[v], &A[v], &D[v]);
        return;
    }
    /* The kernels work in blocks of 16 values: whole blocks (one more
     * vector of 0 when W is 8 and g odd). */
    VT z[FIT_MAX_GROUPS + 1], a[FIT_MAX_GROUPS + 1], d[FIT_MAX_GROUPS + 1];
    const size_t cols = ((size_t)g * W + 15) / 16 * 16;
    int v = 0;
    do /* (g ≥ 1) */
        z[v] = Z[v];
    while (++v < g);
    for (; (size_t)v * W < cols; v++)
        z[v] = V_ZERO();
    nnc_activation_forward_on(s->path, s->act, (const nnc_real *)z, (nnc_real *)a, cols,
                              s->param);
    nnc_activation_derivative_on(s->path, s->act, (const nnc_real *)z, (const nnc_real *)a,
                                 (nnc_real *)d, cols, s->param);
    for (v = 0; v < g; v++) {
        A[v] = a[v];
        D[v] = d[v];
    }
}

/* The steps, for a batch of `groups` groups (a constant where the
 * callers below inline it, so that the groups' vectors stay in registers).
 * One function, longer than the library's usual ~100 lines: the
 * parameters and the lane indices live in registers through all the
 * steps of a call, which holds only while the compiler sees the whole
 * loop in one body. */
static NNC_ALWAYS_INLINE TGT int small_fit_body(const nnc_small_step_args *s, int *diverged,
                                                const int groups)
{
    const int h = s->hidden, m = s->run.m, R = W / h;
    const MT kh = MASK_N(h);

    /* Lane indices.  In a group's vector lane q = r·h + j holds row r,
     * unit j (lanes from R·h on are spare):
     *   unit_of[q] = j: a vector of the units, repeated for each row;
     *   row_of[q] = r: the group's row numbers, spread to their lanes;
     *   head_of[q] = r·h: the row's first lane, spread over its lanes;
     *   ahead[k][q] = q + k: unit j + k of the row into unit j's lane;
     *   pick[r][j] = r·h + j: row r's units into lanes 0..h-1;
     *   spread[r][q] = r·h: row r's first lane everywhere. */
    lane_index t[W];
    PIT unit_of, row_of, head_of, ahead[W], pick[W], spread[W];
    for (int q = 0; q < W; q++)
        t[q] = q < R * h ? q % h : 0;
    unit_of = P_LOAD(t);
    for (int q = 0; q < W; q++)
        t[q] = q < R * h ? q / h : 0;
    row_of = P_LOAD(t);
    for (int q = 0; q < W; q++)
        t[q] = q < R * h ? q / h * h : 0;
    head_of = P_LOAD(t);
    for (int k = 0; k < h; k++) {
        for (int q = 0; q < W; q++)
            t[q] = q + k < W ? q + k : W - 1;
        ahead[k] = P_LOAD(t);
    }
    for (int r = 0; r < R; r++) {
        for (int q = 0; q < W; q++)
            t[q] = r * h + (q < h ? q : 0);
        pick[r] = P_LOAD(t);
        for (int q = 0; q < W; q++)
            t[q] = r * h;
        spread[r] = P_LOAD(t);
    }

    const VT zero = V_ZERO(), inv_m = V_SET1((nnc_real)1 / (nnc_real)m), eta = V_SET1(s->eta);
    VT w1 = V_MLOAD(kh, s->params.W1), b1 = V_MLOAD(kh, s->params.B1),
       w2 = V_MLOAD(kh, s->params.W2), b2 = V_SET1(s->params.B2[0]);
    VT gw1 = zero, gb1 = zero, gw2 = zero, gb2 = zero;
    int k = 0;
    *diverged = 0;
    while (k < s->run.count) {
        const uint32_t *batch = s->run.rows + (size_t)k * (size_t)m;
        /* This step's parameters, repeated for each row of a group; w2's
         * unit j + i at unit j's lane, for the output's chain. */
        const VT w1r = V_PERMUTE(unit_of, w1), b1r = V_PERMUTE(unit_of, b1),
                 w2r = V_PERMUTE(unit_of, w2);
        VT w2_ahead[W];
        for (int i = 1; i < h; i++)
            w2_ahead[i] = V_PERMUTE(ahead[i], w2r);

        /* Forward: Z1 = fma(x, W1[j], B1[j]) in each lane, A1 = f(Z1). */
        VT x[FIT_MAX_GROUPS], y[FIT_MAX_GROUPS], z1[FIT_MAX_GROUPS], a1[FIT_MAX_GROUPS],
            d1[FIT_MAX_GROUPS], dz2[FIT_MAX_GROUPS];
        for (int v = 0; v < groups; v++) {
            const int nr = m - v * R < R ? m - v * R : R; /* rows in this group */
            const MT lanes = MASK_N(nr * h);
            x[v] = V_GATHER_ROWS(s->run.X, batch + v * R, nr, row_of, lanes);
            y[v] = V_GATHER_ROWS(s->run.Y, batch + v * R, nr, row_of, lanes);
            z1[v] = V_FMA(x[v], w1r, b1r);
        }
        fit_activation(s, z1, a1, d1, groups);

        /* Output at each row's first lane: the chain over j of
         * fma(A1[r][j], W2[j], ·) from B2, unit j + i brought to lane r·h
         * (the output function, then dZ2 = A2 − Y); then, in every lane,
         * dZ1 = f'(Z1) ⊙ fma(dZ2[r], W2[j], +0). */
        for (int v = 0; v < groups; v++) {
            VT z = V_FMA(a1[v], w2r, b2);
            for (int i = 1; i < h; i++)
                z = V_FMA(V_PERMUTE(ahead[i], a1[v]), w2_ahead[i], z);
            if (s->task == NNC_TASK_BINARY)
                z = logistic_lanes(z);
            dz2[v] = V_SUB(z, y[v]);
            d1[v] = V_MUL(d1[v], V_FMA(V_PERMUTE(head_of, dz2[v]), w2r, zero));
        }

        /* The gradients' chains over the rows r = 0, 1, ..., m−1 from +0,
         * lane j for unit j:
         *   dW2[j] of fma(A1[r][j], dZ2[r], ·),  dB2 of dZ2[r] (every lane),
         *   dW1[j] of fma(X[r], dZ1[r][j], ·),   dB1[j] of dZ1[r][j]. */
        VT cw1 = zero, cb1 = zero, cw2 = zero, cb2 = zero;
        for (int v = 0; v < groups; v++) {
            const int nr = m - v * R < R ? m - v * R : R;
            for (int r = 0; r < nr; r++) {
                const VT a = V_PERMUTEZ(kh, pick[r], a1[v]), dz = V_PERMUTEZ(kh, pick[r], d1[v]);
                const VT e = V_PERMUTE(spread[r], dz2[v]), xr = V_PERMUTE(spread[r], x[v]);
                cw2 = V_FMA(a, e, cw2);
                cb2 = V_ADD(cb2, e);
                cw1 = V_FMA(xr, dz, cw1);
                cb1 = V_ADD(cb1, dz);
            }
        }

        /* g = chain / m, then the SGD step on each lane (V_SGD). */
        gw1 = V_MUL(cw1, inv_m);
        gb1 = V_MUL(cb1, inv_m);
        gw2 = V_MUL(cw2, inv_m);
        gb2 = V_MUL(cb2, inv_m);
        w1 = V_SGD(w1, gw1, eta);
        b1 = V_SGD(b1, gb1, eta);
        w2 = V_SGD(w2, gw2, eta);
        b2 = V_SGD(b2, gb2, eta);
        k++;
        /* p − p is NaN exactly when p is NaN or ±Inf. */
        const VT nan_if_bad = V_ADD(V_ADD(V_SUB(w1, w1), V_SUB(b1, b1)),
                                    V_ADD(V_SUB(w2, w2), V_SUB(b2, b2)));
        if (V_UNORDERED(nan_if_bad) & kh) {
            *diverged = 1;
            break;
        }
        if (s->run.after && s->run.after(s->run.after_ctx))
            break;
    }
    V_MSTORE(s->params.W1, kh, w1);
    V_MSTORE(s->params.B1, kh, b1);
    V_MSTORE(s->params.W2, kh, w2);
    V_MSTORE(s->params.B2, MASK_N(1), b2);
    V_MSTORE(s->grads.W1, kh, gw1);
    V_MSTORE(s->grads.B1, kh, gb1);
    V_MSTORE(s->grads.W2, kh, gw2);
    V_MSTORE(s->grads.B2, MASK_N(1), gb2);
    return k;
}

static TGT int small_fit_steps(const nnc_small_step_args *s, int *diverged)
{
    const int rows_per_vector = W / s->hidden;
    switch ((s->run.m + rows_per_vector - 1) / rows_per_vector) {
    case 1:
        return small_fit_body(s, diverged, 1);
    case 2:
        return small_fit_body(s, diverged, 2);
    case 3:
        return small_fit_body(s, diverged, 3);
    case 4:
        return small_fit_body(s, diverged, 4);
    default:
        return small_fit_body(s, diverged, (s->run.m + rows_per_vector - 1) / rows_per_vector);
    }
}

#undef FIT_MAX_GROUPS
