/* valuegrad: samples in lanes, a batch and its deferred weight gradients (pasted after
 * lanes_rows.h; see lanes.h why no bit changes). */

/* --- the driver ---------------------------------------------------------------------------------- */
static void vgl_forward(vg_lanes *restrict c);
static void vgl_backward(vg_lanes *restrict c);

VG_EXPORT int vg_lanes_count(void) { return VG_LANES; }

/* how many numbers the lane buffers of one block need: V, D, GL, then scratch */
VG_EXPORT int64_t vg_lanes_buffer(int64_t scratch) {
    return (int64_t)VG_LANES * (2 * VG_N_LANED + VG_N_PARTIALS + 2 * scratch);
}

/* how many doubles the store of one chunk's deferred pushes needs: the numbers, then the flags */
#define VGL_FLAG_DOUBLES (((int64_t)VGL_CHUNK * VGL_STORE_FLAGS + 7) / 8)
VG_EXPORT int64_t vg_lanes_store(void) { return (int64_t)VGL_CHUNK * VGL_STORE_DOUBLES + VGL_FLAG_DOUBLES; }

/* One batch call: where the samples come from and where their numbers go. */
#define VGL_MAX_SLOTS 64
typedef struct {
    const double *X;
    int64_t count;
    int backward;
    double seed;
    double *losses, *extras;
    double *G;
    double *store;
    unsigned char *flags;
    int params_bounded;
    int slots; /* blocks in flight: 1 with one thread, up to VGL_MAX_SLOTS with two */
    vg_lanes slot[VGL_MAX_SLOTS];
    int64_t filled, drained; /* blocks whose forward, whose backward is done (atomics, with two threads) */
    int64_t quads;           /* vgl_quads() */
    int64_t next, done;      /* tasks taken, tasks done (atomics, see vgl_work) */
    unsigned char finite[VGL_CHUNK]; /* the chunk's samples that passed the bound (c->finite) */
    int helped;                      /* the worker is done with this batch (atomic) */
} vgl_batch;

/* --- Deferred weight gradients -------------------------------------------------------------------
 * Weight k of row j receives, from each sample s that pushes into it, x_s[k] * c_s[j] (x_s: the
 * sample's shared numbers, c_s[j]: the row's gradient), and the row's bias c_s[j]. The blocks leave
 * these in the store (vgl_back_cluster); after a chunk of samples, one pass per weight adds them:
 * a = G[j][k]; for each sample s of the chunk in order, if s pushes (the scalar code's own test,
 * kept per sample and row): a += x_s[k] * c_s[j]; G[j][k] = a. These are the additions the scalar
 * driver makes, the same numbers in the same order (each parameter has one push per sample, so no
 * other push comes between), hence the same bits; a sample that does not push is skipped, as the
 * scalar code skips it, so even a gradient of -0.0 and a non-pushing inf or nan change nothing.
 * Several weights are added at once (R rows x H vectors of weights, each its own chain of additions
 * in sample order), each of the chunk's x_s loaded once for the R rows; G is read and written once
 * per chunk instead of once per block. */
#define VGL_KTILE 64 /* weights of a row per pass: the chunk's x_s[k .. k + 63] stay in the L1 cache */

VG_INLINE void vgl_reduce_vecs(double *const *restrict g, const double *restrict C, const unsigned char *restrict F,
                               int32_t rows, int32_t j, const double *const *restrict xs, int64_t m, int32_t k,
                               int all, int finite, const int R, const int H) {
    vg_vd a[4][2];
    vg_vm negative_zero = (vg_vm){0};
    for (int q = 0; q < R; q++)
        for (int h = 0; h < H; h++) {
            a[q][h] = vg_vload(g[q] + k + h * VG_VEC);
            vg_vm bits;
            memcpy(&bits, &a[q][h], sizeof bits);
            negative_zero |= bits == (vg_vm){0} + INT64_MIN;
        }
    if (finite && !all) { /* see vgl_reduce_rows */
        int64_t any = 0;
        for (int l = 0; l < VG_VEC; l++) any |= negative_zero[l];
        all = !any;
    }
    if (all) {
        for (int64_t s = 0; s < m; s++) {
            vg_vd x[2];
            for (int h = 0; h < H; h++) x[h] = vg_vload(xs[s] + k + h * VG_VEC);
            for (int q = 0; q < R; q++) {
                const double cq = C[s * rows + j + q];
                for (int h = 0; h < H; h++) a[q][h] += x[h] * cq;
            }
        }
    } else {
        for (int64_t s = 0; s < m; s++) {
            vg_vd x[2];
            for (int h = 0; h < H; h++) x[h] = vg_vload(xs[s] + k + h * VG_VEC);
            for (int q = 0; q < R; q++) {
                const double cq = C[s * rows + j + q];
                const vg_vm mask = (vg_vm){0} - (int64_t)F[s * rows + j + q];
                for (int h = 0; h < H; h++) a[q][h] = vg_vselect(mask, a[q][h] + x[h] * cq, a[q][h]);
            }
        }
    }
    for (int q = 0; q < R; q++)
        for (int h = 0; h < H; h++) vg_vstore(g[q] + k + h * VG_VEC, a[q][h]);
}

/* Rows j .. j + R - 1 of a deferred cluster, their weights k0 .. k1 - 1. Without masks when every
 * sample pushes into these rows, or when it changes nothing to add the pushes of the samples that
 * do not: a sample skips a row only when the row's gradient is 0 (+0.0 or -0.0), so its push would
 * be x * ±0, which is ±0 when x is finite (`finite`: every sample of the chunk passed the bound, so
 * its shared numbers are finite), and adding ±0 changes no number but -0.0 (x + 0 = x for every
 * other x, inf and nan included). An accumulator that does not start at -0.0 never becomes -0.0 (a
 * sum is -0.0 only when both terms are), so vgl_reduce_vecs checks the gradients it loads. */
VG_INLINE void vgl_reduce_rows(double *restrict G, const int32_t *restrict row, const double *restrict C,
                               const unsigned char *restrict F, int32_t rows, int32_t j,
                               const double *const *restrict xs, int64_t m, int32_t k0, int32_t k1, int finite,
                               const int R) {
    double *g[4];
    int all = 1;
    for (int q = 0; q < R; q++) g[q] = G + row[3 * (j + q)];
    for (int64_t s = 0; s < m; s++)
        for (int q = 0; q < R; q++) all &= F[s * rows + j + q];
    int32_t k = k0;
    for (; k + 2 * VG_VEC <= k1; k += 2 * VG_VEC) vgl_reduce_vecs(g, C, F, rows, j, xs, m, k, all, finite, R, 2);
    for (; k + VG_VEC <= k1; k += VG_VEC) vgl_reduce_vecs(g, C, F, rows, j, xs, m, k, all, finite, R, 1);
    for (; k < k1; k++)
        for (int q = 0; q < R; q++) {
            double a = g[q][k];
            for (int64_t s = 0; s < m; s++)
                if (F[s * rows + j + q]) a += xs[s][k] * C[s * rows + j + q];
            g[q][k] = a;
        }
}

/* Add the deferred pushes of the chunk's m samples (from sample `first`) into the gradients: the
 * rows of quads q0 .. q1 - 1 (quad q: four rows of a deferred cluster, the clusters' quads one
 * after the other; each quad's gradients are its own, so quads may be added in any order, on any
 * thread). */
VG_LOOP void vgl_reduce(const vgl_batch *bt, int64_t first, int64_t m, int64_t q0, int64_t q1) {
    const int32_t *I = vgl_I();
    double *restrict G = bt->G;
    const double *xs[VGL_CHUNK];
    int finite = 1;
    for (int64_t s = 0; s < m; s++) finite &= bt->finite[s];
    int64_t q = 0; /* the first quad of cluster d */
    for (int d = 0; d < VGL_N_DEFERRED && q < q1; d++) {
        const int64_t *t = vgl_deferred[d];
        const int32_t *desc = I + t[0];
        const int32_t rows = desc[0], n = desc[1], flags = desc[3];
        const int32_t *row = desc + 5;
        const int64_t quads = (rows + 3) / 4;
        const int32_t j0 = (int32_t)(4 * ((q0 > q ? q0 : q) - q));
        const int32_t j1 = (int32_t)(4 * ((q1 < q + quads ? q1 : q + quads) - q)) < rows
                               ? (int32_t)(4 * ((q1 < q + quads ? q1 : q + quads) - q))
                               : rows;
        q += quads;
        if (j0 >= j1) continue;
        const double *C = bt->store + VGL_CHUNK * t[1];
        const unsigned char *F = bt->flags + VGL_CHUNK * t[3];
        for (int64_t s = 0; s < m; s++)
            xs[s] = t[2] >= 0 ? bt->store + VGL_CHUNK * t[2] + s * n : bt->X + (first + s) * VG_N_INPUTS + t[4];
        if (flags & VG_PUSH_B)
            for (int32_t j = j0; j < j1; j++) {
                const int32_t b = row[3 * j + 1];
                if (b < 0 || !VG_IS_PARAM(b)) continue;
                double a = G[b];
                for (int64_t s = 0; s < m; s++)
                    if (F[s * rows + j]) a += C[s * rows + j];
                G[b] = a;
            }
        for (int32_t k0 = 0; k0 < n; k0 += VGL_KTILE) {
            const int32_t k1 = k0 + VGL_KTILE < n ? k0 + VGL_KTILE : n;
            int32_t j = j0;
            for (; j + 4 <= j1; j += 4) vgl_reduce_rows(G, row, C, F, rows, j, xs, m, k0, k1, finite, 4);
            for (; j + 2 <= j1; j += 2) vgl_reduce_rows(G, row, C, F, rows, j, xs, m, k0, k1, finite, 2);
            for (; j < j1; j++) vgl_reduce_rows(G, row, C, F, rows, j, xs, m, k0, k1, finite, 1);
        }
    }
}

/* every deferred cluster's quads of rows */
static int64_t vgl_quads(void) {
    int64_t q = 0;
    for (int d = 0; d < VGL_N_DEFERRED; d++) q += (vgl_I()[vgl_deferred[d][0]] + 3) / 4;
    return q;
}
