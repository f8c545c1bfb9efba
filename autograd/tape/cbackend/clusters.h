/* valuegrad: the fused linear nodes of a tape compiled to C (pasted after runtime.h).
 *
 * A layer of an MLP is recorded as rows (dot or affine nodes) that read one vector in common: the
 * loops here compute them as a matrix times a vector, and backpropagate through them, adding
 * every sum in Python's order and pushing every gradient in the order Value.backward does.
 *
 * Backward has a vector form for a common shape (vg_back_small): short rows whose own numbers are
 * at consecutive positions, as the hidden layers of an MLP recorded on a whole batch. A vector
 * instruction then does the work of several numbers of one row, and each gradient still receives
 * the pushes of row after row: each lane computes exactly the operations of the one-number loop,
 * so no bit changes (the tests compare both with the Python replay).
 */

/* VG_VEC doubles make one vector (one register; the lanes of lanes.h use them too) (GCC and Clang's vector extensions: plain C operators, lane by
 * lane, each lane an IEEE operation as on one double; the compiler picks the instructions). */
#if defined(__AVX512F__)
#define VG_VEC 8
#elif defined(__AVX__)
#define VG_VEC 4
#else
#define VG_VEC 2 /* SSE2 (every x86-64) or NEON */
#endif
typedef double vg_vd __attribute__((vector_size(8 * VG_VEC)));

static inline vg_vd vg_vload(const double *p) {
    vg_vd x;
    memcpy(&x, p, sizeof x);
    return x;
}

static inline void vg_vstore(double *p, vg_vd x) { memcpy(p, &x, sizeof x); }

/* x in every lane (a broadcast that keeps the sign of a zero, as 0.0 + x would not) */
static inline vg_vd vg_vsplat(double x) {
    vg_vd r;
    for (int l = 0; l < VG_VEC; l++) r[l] = x;
    return r;
}

/* vg_vm is the mask of a vg_vd: VG_VEC 64-bit integers, all ones where a comparison holds. */
typedef int64_t vg_vm __attribute__((vector_size(8 * VG_VEC)));

/* a[l] where mask[l] is true (all ones), else b[l] */
static inline vg_vd vg_vselect(vg_vm mask, vg_vd a, vg_vd b) {
    vg_vm ia, ib;
    memcpy(&ia, &a, sizeof a);
    memcpy(&ib, &b, sizeof b);
    ia = (ia & mask) | (ib & ~mask);
    memcpy(&a, &ia, sizeof a);
    return a;
}

/* vg_sum_add, VG_VEC sums at once (hi, lo); Neumaier's branch is a select (the same operations) */
static inline void vg_vsum_add(vg_vd *hi, vg_vd *lo, vg_vd x) {
#if VG_COMPENSATED
    const vg_vd t = *hi + x;
    vg_vm ah, ax;
    memcpy(&ah, hi, sizeof ah);
    memcpy(&ax, &x, sizeof ax);
    const vg_vm sign = (vg_vm){0} + INT64_MAX;
    vg_vd fh, fx; /* |hi|, |x| */
    ah &= sign;
    ax &= sign;
    memcpy(&fh, &ah, sizeof fh);
    memcpy(&fx, &ax, sizeof fx);
    *lo += vg_vselect(fh >= fx, (*hi - t) + x, (x - t) + *hi);
    *hi = t;
#else
    (void)lo;
    *hi += x;
#endif
}

/* vg_sum_result of one lane of those sums */
static inline double vg_vsum_result(double hi, double lo) {
#if VG_COMPENSATED
    if (lo != 0.0 && isfinite(lo)) return hi + lo;
#else
    (void)lo;
#endif
    return hi;
}


/* --- fused dot/affine nodes that share one side: a matrix times a vector ----------------------
 * A "cluster" is a set of rows out_j = bias_j + Σ_k w_jk·x_k that all read the same vector on one
 * side (the shared side, gathered once into scratch); each row has its own vector on the other.
 * desc = (rows, n, first value position, flags, offset in ia of the shared positions, then per
 * row: its vector (first position if contiguous, else offset in ia of its n positions), its bias
 * position or -1, and how backward tests its partials: 0 at run time, 1 constant and finite,
 * 2 constant and not finite (a zero gradient is then pushed all the same)). */
#define VG_SHARED_W 1   /* the shared side holds the weights (pushed first) */
#define VG_ROWS_CONTIG 2 /* each row's vector is at consecutive positions */
#define VG_PUSH_W 4     /* the weights are parents */
#define VG_PUSH_X 8     /* the inputs are parents */
#define VG_PUSH_B 16    /* the biases are parents */
#define VG_SCRATCH 32   /* pushes to the shared side may be gathered in scratch and written once */
#define VG_MODE2 128    /* some row pushes even when its gradient is 0 (mode 2) */

#define VG_INLINE static inline __attribute__((always_inline))

/* The k-th number of row j's own vector: at consecutive positions, or listed in ia. Each loop
 * below is written once and made twice by the compiler, for contig = 1 and contig = 0. */
#define VG_ROW(ref, k) (contig ? v[(ref) + (k)] : v[ia[(ref) + (k)]])

VG_INLINE void vg_cluster_rows(double *restrict v, const double *restrict sv, const int32_t *restrict desc,
                               const int32_t *restrict ia, const int contig) {
    const int32_t rows = desc[0], n = desc[1], out = desc[2];
    const int32_t *row = desc + 5;
    int32_t j = 0;
    /* eight rows at a time: eight independent sums, each still added in its own order, keep
     * the processor's adders busy where one sum would wait for each addition in turn. (Eight
     * named sums, not an array: every compiler keeps them in registers.) */
#define VG_START(a, i) vg_sum_start(&a, r[3 * i + 1] >= 0 ? v[r[3 * i + 1]] : 0.0)
    for (; j + 8 <= rows; j += 8) {
        const int32_t *r = row + 3 * j;
        vg_sum a0, a1, a2, a3, a4, a5, a6, a7;
        VG_START(a0, 0); VG_START(a1, 1); VG_START(a2, 2); VG_START(a3, 3);
        VG_START(a4, 4); VG_START(a5, 5); VG_START(a6, 6); VG_START(a7, 7);
        for (int32_t k = 0; k < n; k++) {
            const double x = sv[k];
            vg_sum_add(&a0, VG_ROW(r[0], k) * x);
            vg_sum_add(&a1, VG_ROW(r[3], k) * x);
            vg_sum_add(&a2, VG_ROW(r[6], k) * x);
            vg_sum_add(&a3, VG_ROW(r[9], k) * x);
            vg_sum_add(&a4, VG_ROW(r[12], k) * x);
            vg_sum_add(&a5, VG_ROW(r[15], k) * x);
            vg_sum_add(&a6, VG_ROW(r[18], k) * x);
            vg_sum_add(&a7, VG_ROW(r[21], k) * x);
        }
        v[out + j] = vg_sum_result(&a0);
        v[out + j + 1] = vg_sum_result(&a1);
        v[out + j + 2] = vg_sum_result(&a2);
        v[out + j + 3] = vg_sum_result(&a3);
        v[out + j + 4] = vg_sum_result(&a4);
        v[out + j + 5] = vg_sum_result(&a5);
        v[out + j + 6] = vg_sum_result(&a6);
        v[out + j + 7] = vg_sum_result(&a7);
    }
#undef VG_START
    for (; j < rows; j++) {
        const int32_t ref = row[3 * j], b = row[3 * j + 1];
        vg_sum a;
        vg_sum_start(&a, b >= 0 ? v[b] : 0.0);
        for (int32_t k = 0; k < n; k++) vg_sum_add(&a, VG_ROW(ref, k) * sv[k]);
        v[out + j] = vg_sum_result(&a);
    }
}

VG_LOOP void vg_cluster(double *restrict v, double *restrict s, const int32_t *restrict desc,
                       const int32_t *restrict ia) {
    const int32_t n = desc[1];
    const int32_t *shared = ia + desc[4];
    for (int32_t k = 0; k < n; k++) s[k] = v[shared[k]];
    if (desc[3] & VG_ROWS_CONTIG)
        vg_cluster_rows(v, s, desc, ia, 1);
    else
        vg_cluster_rows(v, s, desc, ia, 0);
}

/* --- clusters that read the same rows: a layer's forward pass in one loop ------------------------
 * A layer of an MLP recorded on a whole batch is one cluster per neuron: the neuron's weights are the
 * shared side, and the rows are the samples, whose own vectors (the layer's inputs) are the same in
 * every cluster of the layer. vg_matrix computes the forward pass of m such clusters (at most
 * VG_MATRIX) in one loop over the rows: a vector holds VG_VEC clusters' sums for one row, each lane
 * starting from its cluster's bias and adding its row's terms one after the other in the order
 * vg_cluster adds them, so every number is vg_cluster's. The weights are copied into scratch once,
 * transposed: s[k * m4 + j] = weight k of cluster j (m4: m rounded up to a multiple of VG_VEC; the
 * lanes past m add zeros and are not stored), then the clusters' biases. The emitter merges only
 * clusters whose rows' vectors are the same consecutive positions, whose weights and bias are
 * parameters or constants (so that all are ready when the first cluster's turn comes), and whose
 * rows all have the same bias. desc = (m, then each cluster's desc offset in ia). */
#define VG_MATRIX 64

VG_INLINE void vg_matrix_block(double *restrict v, const double *restrict wt, const double *restrict bias,
                               const int32_t *restrict out, const int32_t *restrict row, int32_t r, int32_t n,
                               int32_t m, int32_t j0, const int R, const int NV, const int whole) {
    const int32_t m4 = (m + VG_VEC - 1) / VG_VEC * VG_VEC;
    vg_vd hi[2][4], lo[2][4];
    const double *x[2];
    for (int q = 0; q < R; q++) {
        x[q] = v + row[3 * (r + q)];
        for (int h = 0; h < NV; h++) {
            hi[q][h] = vg_vload(bias + j0 + h * VG_VEC);
            lo[q][h] = (vg_vd){0};
        }
    }
    for (int32_t k = 0; k < n; k++) {
        const double *w = wt + (int64_t)k * m4 + j0;
        vg_vd wk[4];
        for (int h = 0; h < NV; h++) wk[h] = vg_vload(w + h * VG_VEC);
        for (int q = 0; q < R; q++) {
            const vg_vd xk = vg_vsplat(x[q][k]);
            for (int h = 0; h < NV; h++) vg_vsum_add(&hi[q][h], &lo[q][h], xk * wk[h]);
        }
    }
    for (int q = 0; q < R; q++)
        for (int h = 0; h < NV; h++)
            for (int l = 0; l < VG_VEC; l++) {
                const int32_t j = j0 + h * VG_VEC + l;
                if (whole || j < m) v[out[j] + r + q] = vg_vsum_result(hi[q][h][l], lo[q][h][l]);
            }
}

/* every row, for the clusters j0 .. j0 + NV * VG_VEC - 1 */
VG_INLINE void vg_matrix_rows(double *restrict v, const double *restrict wt, const double *restrict bias,
                              const int32_t *restrict out, const int32_t *restrict row, int32_t rows, int32_t n,
                              int32_t m, int32_t j0, const int NV, const int whole) {
    int32_t r = 0;
    for (; r + 2 <= rows; r += 2) vg_matrix_block(v, wt, bias, out, row, r, n, m, j0, 2, NV, whole);
    for (; r < rows; r++) vg_matrix_block(v, wt, bias, out, row, r, n, m, j0, 1, NV, whole);
}

VG_LOOP void vg_matrix(double *restrict v, double *restrict s, const int32_t *restrict desc,
                      const int32_t *restrict ia) {
    const int32_t m = desc[0];
    const int32_t *first = ia + desc[1];
    const int32_t rows = first[0], n = first[1];
    const int32_t *row = first + 5;
    const int32_t m4 = (m + VG_VEC - 1) / VG_VEC * VG_VEC;
    double *restrict wt = s, *restrict bias = s + (int64_t)n * m4;
    int32_t out[VG_MATRIX + VG_VEC];
    for (int32_t j = 0; j < m4; j++) {
        const int32_t *c = j < m ? ia + desc[1 + j] : NULL;
        const int32_t *shared = c ? ia + c[4] : NULL;
        for (int32_t k = 0; k < n; k++) wt[(int64_t)k * m4 + j] = c ? v[shared[k]] : 0.0;
        bias[j] = c && c[6] >= 0 ? v[c[6]] : 0.0; /* row 0's bias: every row's */
        out[j] = c ? c[2] : 0;
    }
    int32_t j0 = 0; /* VG_VEC * 4 clusters at a time (whole: every lane is a cluster's), then the rest */
    for (; j0 + 4 * VG_VEC <= m; j0 += 4 * VG_VEC) vg_matrix_rows(v, wt, bias, out, row, rows, n, m, j0, 4, 1);
    switch ((m4 - j0) / VG_VEC) {
    case 4: vg_matrix_rows(v, wt, bias, out, row, rows, n, m, j0, 4, 0); break;
    case 3: vg_matrix_rows(v, wt, bias, out, row, rows, n, m, j0, 3, 0); break;
    case 2: vg_matrix_rows(v, wt, bias, out, row, rows, n, m, j0, 2, 0); break;
    case 1: vg_matrix_rows(v, wt, bias, out, row, rows, n, m, j0, 1, 0); break;
    default: break;
    }
}

/* Backward's test for a row whose gradient is 0, when the bound did not settle it: its partials
 * in the order the node stores them (the inputs' values, which are the weights' partials, then
 * the weights' values, then 1 for a bias that is a parent) must add up to a finite number. */
VG_INLINE int vg_row_finite(const double *restrict v, const double *restrict sv, const int32_t *restrict ia,
                            int32_t ref, int32_t n, int shared_w, int bias, const int contig) {
    vg_sum t;
    vg_sum_start(&t, 0.0);
    if (shared_w)
        for (int32_t k = 0; k < n; k++) vg_sum_add(&t, VG_ROW(ref, k));
    for (int32_t k = 0; k < n; k++) vg_sum_add(&t, sv[k]);
    if (!shared_w)
        for (int32_t k = 0; k < n; k++) vg_sum_add(&t, VG_ROW(ref, k));
    if (bias) vg_sum_add(&t, 1.0);
    return vg_sum_finite(&t);
}

/* Whether backward skips a row, as Value.backward skips a node: its gradient is 0 and its partials
 * are finite (mode 1: constant and finite; 2: constant and not finite, then it pushes anyway). */
VG_INLINE int vg_row_quiet(const double *restrict v, const double *restrict sv, const int32_t *restrict ia,
                           int32_t ref, int32_t n, int shared_w, int bias, double gn, int32_t mode, int finite,
                           const int contig) {
    return gn == 0.0 && mode != 2 && (mode == 1 || finite || vg_row_finite(v, sv, ia, ref, n, shared_w, bias, contig));
}

VG_INLINE void vg_back_rows(const double *restrict v, double *restrict g, const double *restrict sv,
                            double *restrict sg, const int32_t *restrict desc, const int32_t *restrict ia, int finite,
                            const int contig) {
    const int32_t rows = desc[0], n = desc[1], out = desc[2], flags = desc[3];
    const int32_t *shared = ia + desc[4];
    const int32_t *row = desc + 5;
    const int shared_w = flags & VG_SHARED_W;
    const int push_shared = (flags & (shared_w ? VG_PUSH_W : VG_PUSH_X)) != 0;
    const int push_rows = (flags & (shared_w ? VG_PUSH_X : VG_PUSH_W)) != 0;
    const int scratch = (flags & VG_SCRATCH) && push_shared;
    const int push_bias = (flags & VG_PUSH_B) != 0;
    for (int32_t j = rows - 1; j >= 0; j--) {
        const int32_t ref = row[3 * j], b = row[3 * j + 1], mode = row[3 * j + 2];
        const double gn = g[out + j];
        if (vg_row_quiet(v, sv, ia, ref, n, shared_w, push_bias && b >= 0, gn, mode, finite, contig)) continue;
        /* the pushes, in the node's order: weights, inputs, bias. Pushing into the shared side,
         * the partial is the row's own number; into the row's side, the shared number. */
        for (int side = 0; side < 2; side++) {
            const int is_shared = (side == 0) == (shared_w != 0);
            if (is_shared ? !push_shared : !push_rows) continue;
            if (is_shared && scratch) {
                for (int32_t k = 0; k < n; k++) sg[k] += VG_ROW(ref, k) * gn;
            } else if (is_shared) {
                for (int32_t k = 0; k < n; k++) g[shared[k]] += VG_ROW(ref, k) * gn;
            } else if (contig) {
                double *restrict gr = g + ref;
                for (int32_t k = 0; k < n; k++) gr[k] += sv[k] * gn;
            } else {
                for (int32_t k = 0; k < n; k++) g[ia[ref + k]] += sv[k] * gn;
            }
        }
        if (push_bias && b >= 0) g[b] += gn;
    }
}

/* vg_back_rows for rows of at most VG_SMALL numbers at consecutive positions whose pushes into
 * the shared side are gathered in scratch (VG_SCRATCH): the shared side's gradients and numbers
 * stay in vector registers from the first row to the last. Every push is the one vg_back_rows
 * makes, in the same order (row after row, and in a row: shared side, own side, bias), so each
 * gradient receives the same additions in the same order. */
#define VG_SMALL 16
#define VG_NV (VG_SMALL / VG_VEC)

VG_INLINE void vg_back_small(const double *restrict v, double *restrict g, const double *restrict sv,
                             double *restrict sg, const int32_t *restrict desc, const int32_t *restrict ia,
                             int finite, const int plain) {
    const int32_t rows = desc[0], n = desc[1], out = desc[2], flags = desc[3];
    const int32_t *row = desc + 5;
    const int shared_w = flags & VG_SHARED_W;
    const int push_rows = (flags & (shared_w ? VG_PUSH_X : VG_PUSH_W)) != 0;
    const int push_bias = (flags & VG_PUSH_B) != 0;
    const int contig = 1;
    const int32_t nv = n / VG_VEC, t0 = nv * VG_VEC;
    vg_vd acc[VG_NV], w[VG_NV];
    double acct[VG_VEC], wt[VG_VEC]; /* the last n % VG_VEC numbers, one by one */
    for (int h = 0; h < VG_NV; h++)
        if (h < nv) {
            acc[h] = vg_vload(sg + h * VG_VEC);
            w[h] = vg_vload(sv + h * VG_VEC);
        }
    for (int32_t k = t0; k < n; k++) {
        acct[k - t0] = sg[k];
        wt[k - t0] = sv[k];
    }
    for (int32_t j = rows - 1; j >= 0; j--) {
        const int32_t ref = row[3 * j], b = row[3 * j + 1];
        const double gn = g[out + j];
        /* plain: every number bounded and no row of mode 2, so a row is quiet when its gradient is 0 */
        if (plain ? gn == 0.0 : vg_row_quiet(v, sv, ia, ref, n, shared_w, push_bias && b >= 0, gn, row[3 * j + 2], finite, contig))
            continue;
        const double *x = v + ref;
        for (int h = 0; h < VG_NV; h++)
            if (h < nv) acc[h] += vg_vload(x + h * VG_VEC) * gn;
        for (int32_t k = t0; k < n; k++) acct[k - t0] += x[k] * gn;
        if (push_rows) {
            double *gr = g + ref;
            for (int h = 0; h < VG_NV; h++)
                if (h < nv) vg_vstore(gr + h * VG_VEC, vg_vload(gr + h * VG_VEC) + w[h] * gn);
            for (int32_t k = t0; k < n; k++) gr[k] += wt[k - t0] * gn;
        }
        if (push_bias && b >= 0) g[b] += gn;
    }
    for (int h = 0; h < VG_NV; h++)
        if (h < nv) vg_vstore(sg + h * VG_VEC, acc[h]);
    for (int32_t k = t0; k < n; k++) sg[k] = acct[k - t0];
}

VG_LOOP void vg_back_cluster(const double *restrict v, double *restrict g, double *restrict s,
                            const int32_t *restrict desc, const int32_t *restrict ia, int finite) {
    const int32_t n = desc[1], flags = desc[3];
    const int32_t *shared = ia + desc[4];
    const int scratch = (flags & VG_SCRATCH) && (flags & ((flags & VG_SHARED_W) ? VG_PUSH_W : VG_PUSH_X));
    double *sv = s, *sg = s + n; /* the shared values, and (with VG_SCRATCH) their gradients */
    for (int32_t k = 0; k < n; k++) sv[k] = v[shared[k]];
    if (scratch)
        for (int32_t k = 0; k < n; k++) sg[k] = g[shared[k]];
    if ((flags & VG_ROWS_CONTIG) && scratch && n <= VG_SMALL) {
        if (finite && !(flags & VG_MODE2)) /* plain: a row is quiet exactly when its gradient is 0 */
            vg_back_small(v, g, sv, sg, desc, ia, finite, 1);
        else
            vg_back_small(v, g, sv, sg, desc, ia, finite, 0);
    } else if (flags & VG_ROWS_CONTIG)
        vg_back_rows(v, g, sv, sg, desc, ia, finite, 1);
    else
        vg_back_rows(v, g, sv, sg, desc, ia, finite, 0);
    if (scratch)
        for (int32_t k = 0; k < n; k++) g[shared[k]] = sg[k];
}

#undef VG_ROW
