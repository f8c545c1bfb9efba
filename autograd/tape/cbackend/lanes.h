/* valuegrad: samples in lanes, the batch driver of a tape compiled to C.
 *
 * Pasted after runtime.h when every parameter of the tape receives at most one gradient push per
 * sample (an MLP's weights and biases: each is read by one row). The samples of a batch are
 * independent until their gradients meet in the parameters, so a block of VG_LANES samples runs
 * through each loop together, one lane per sample: every op, every sum, every row of a layer
 * computes the numbers of VG_LANES samples side by side, and the compiler turns the loops over
 * lanes into vector instructions (4 doubles at once with AVX2, 8 with AVX-512).
 *
 * Why no bit changes:
 * - each lane computes exactly what the scalar code computes for its sample, in the same order:
 *   the same formula, each sum added term after term in Python's order, only in another lane;
 *   a branch (relu, abs, softplus, logsumexp's maximum, pow's conventions) is taken per lane;
 * - a parameter's gradient receives its sample's push lane after lane, in sample order, which
 *   is the order the scalar driver adds them (sample after sample), since each parameter has one
 *   push per sample. A lane that pushes nothing adds -0.0, which leaves every number (even -0.0
 *   and nan) as it was, so skipping is the same as adding -0.0;
 * - the weights of a layer (and its biases) get their pushes later, from a store, one pass per
 *   chunk of samples ("Deferred weight gradients" below): still each sample's push in sample
 *   order, the scalar code's own test deciding whether a sample pushes;
 * - with two threads, which thread computes a block or adds a set of rows changes when a number is
 *   computed, never which number nor the order of any sum (vgl_work).
 *
 * Memory (the lane layout): the inputs and the nodes have VG_LANES numbers each, lane l of
 * position p at V[VG_LANED(p) + l], the inputs first and the nodes next, so one sample's numbers
 * are read from V + l with a stride of VG_LANES; partial j of lane l at D[j * VG_LANES + l]; the
 * gradients of the inputs and nodes in GL, laid out as V. The parameters and the constants are the
 * same in every lane: they stay in the scalar arrays v and g, once. */

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

/* VG_VEC doubles make one vector register; VG_LANES samples (VGL_VECS registers) run side by side.
 * Measured on MLP(784, [50, 10]) with AVX2: 4 lanes (one register) ran faster than 8 or 16. */
#if defined(__AVX512F__)
#define VG_VEC 8 /* doubles in one vector register */
#elif defined(__AVX__)
#define VG_VEC 4
#else
#define VG_VEC 2 /* SSE2 (every x86-64) or NEON */
#endif
#ifndef VGL_VECS
#define VGL_VECS 1
#endif
#define VG_LANES (VGL_VECS * VG_VEC)
/* Samples whose deferred weight gradients wait in the store before one pass adds them (a multiple
 * of VG_LANES, so that no block straddles two chunks). It bounds the store: per sample, a deferred
 * cluster keeps its rows' gradients and push flags and, unless they are the sample's inputs, its
 * shared numbers (MLP(784, [50, 10]): 60 + 50 doubles and 60 flags, 60 KB for 64 samples). */
#ifndef VGL_CHUNK
#define VGL_CHUNK 64
#endif
static const int32_t *vgl_I(void);

typedef struct {
    const double *v; /* the scalar values: parameters and constants are read here */
    double *V;       /* the block's inputs and nodes, VG_LANES numbers each */
    double *D;       /* the block's partials */
    double *G;       /* the parameters' gradients (scalar: each receives lane after lane) */
    double *GL;      /* the block's gradients of inputs and nodes */
    double *S;       /* scratch, VG_LANES numbers per number of the scalar scratch, twice */
    int live;        /* how many lanes hold a sample (the last block may hold fewer) */
    int finite[VG_LANES];
    double *store;          /* the chunk's deferred pushes (see "Deferred weight gradients") */
    unsigned char *flags;   /* the chunk's push flags, VGL_STORE_FLAGS per sample */
    int64_t sl;             /* lane 0's sample, counted from the chunk's first */
} vg_lanes;

/* a position read the same in every lane: a parameter or a constant */
#define VG_SHARED(p) ((p) >= VG_FIRST_PARAM && (p) < VG_FIRST_NODE)
#define VG_IS_PARAM(p) ((p) >= VG_FIRST_PARAM && (p) < VG_FIRST_PARAM + VG_N_PARAMS)
/* where position p's lanes start in V and GL: the inputs, then the nodes (no room for the rest) */
#define VG_N_LANED (VG_N_VALUES - (VG_FIRST_NODE - VG_FIRST_PARAM))
#define VG_LANED(p) ((int64_t)((p) < VG_FIRST_PARAM ? (p) : (p) - (VG_FIRST_NODE - VG_FIRST_PARAM)) * VG_LANES)
#define VG_LX(c, p, l) (VG_SHARED(p) ? (c)->v[p] : (c)->V[VG_LANED(p) + (l)])

/* Neumaier's step written as a select (the same operations as vg_sum_add, chosen by a mask). */
static inline void vgl_sum_add(vg_sum *s, double x) {
#if VG_COMPENSATED
    double t = s->hi + x;
    double a = fabs(s->hi) >= fabs(x) ? (s->hi - t) + x : (x - t) + s->hi;
    s->lo += a;
    s->hi = t;
#else
    s->hi += x;
#endif
}

/* A vector of VG_LANES doubles (GCC and Clang's vector extensions: plain C operators, element by
 * element, each an IEEE operation as on one double; no intrinsics of one processor). Loaded and
 * stored with memcpy, which compiles to one unaligned move. */
typedef double vgl_v __attribute__((vector_size(8 * VG_VEC)));
typedef int64_t vgl_m __attribute__((vector_size(8 * VG_VEC)));

static inline vgl_v vgl_load(const double *p) {
    vgl_v x;
    memcpy(&x, p, sizeof x);
    return x;
}

static inline void vgl_store(double *p, vgl_v x) { memcpy(p, &x, sizeof x); }

/* a[l] where mask[l] is true (all ones), else b[l] */
static inline vgl_v vgl_select(vgl_m mask, vgl_v a, vgl_v b) {
    vgl_m ia, ib;
    memcpy(&ia, &a, sizeof a);
    memcpy(&ib, &b, sizeof b);
    ia = (ia & mask) | (ib & ~mask);
    memcpy(&a, &ia, sizeof a);
    return a;
}

/* vg_sum_add, VG_LANES sums at once; Neumaier's branch is a select (the same operations) */
static inline void vgl_add(vgl_v *hi, vgl_v *lo, vgl_v x) {
#if VG_COMPENSATED
    const vgl_v t = *hi + x;
    vgl_m ah, ax;
    memcpy(&ah, hi, sizeof ah);
    memcpy(&ax, &x, sizeof ax);
    const vgl_m sign = (vgl_m){0} + INT64_MAX;
    vgl_v fh, fx; /* |hi|, |x| */
    ah &= sign;
    ax &= sign;
    memcpy(&fh, &ah, sizeof fh);
    memcpy(&fx, &ax, sizeof fx);
    *lo += vgl_select(fh >= fx, (*hi - t) + x, (x - t) + *hi);
    *hi = t;
#else
    (void)lo;
    *hi += x;
#endif
}

static inline double vgl_result(double hi, double lo) {
#if VG_COMPENSATED
    if (lo != 0.0 && isfinite(lo)) return hi + lo;
#else
    (void)lo;
#endif
    return hi;
}

#ifndef VGL_ROWS
#define VGL_ROWS (VGL_VECS >= 8 ? 1 : 8 / VGL_VECS)
#endif

/* Push x[l] (or -0.0: nothing) of every lane into position p: a parameter receives them lane
 * after lane, in sample order; an input or a node has a gradient per lane. */
static inline void vgl_push(vg_lanes *restrict c, int32_t p, const double *restrict x) {
    if (VG_IS_PARAM(p)) {
        double a = c->G[p];
        for (int l = 0; l < VG_LANES; l++) a += x[l];
        c->G[p] = a;
    } else {
        double *restrict t = c->GL + VG_LANED(p);
        for (int l = 0; l < VG_LANES; l++) t[l] += x[l];
    }
}

/* backward's "sum(partials) is finite" for lane l, partials j at p[j * VG_LANES + l] */
static int vgl_partials_finite(const double *p, int32_t k, int l) {
    vg_sum s;
    vg_sum_start(&s, 0.0);
    for (int32_t j = 0; j < k; j++) vg_sum_add(&s, p[(int64_t)j * VG_LANES + l]);
    return vg_sum_finite(&s);
}

/* --- one- and two-operand ops, n-ary ops: backward (their forward loops are generated) ---------- */
VG_LOOP void vgl_back_ops(vg_lanes *restrict c, const int32_t *restrict ia, int32_t m, int32_t r, int32_t k,
                          int32_t o, int32_t dd, int select) {
    for (int32_t i = m - 1; i >= 0; i--) {
        const double *gn = c->GL + VG_LANED(o + i);
        const double *p = c->D + ((int64_t)dd + (int64_t)i * k) * VG_LANES;
        int push[VG_LANES], any = 0;
        for (int l = 0; l < VG_LANES; l++) {
            push[l] = l < c->live && !(gn[l] == 0.0 && (c->finite[l] || vgl_partials_finite(p, k, l)));
            any |= push[l];
        }
        if (!any) continue;
        const int32_t *at = ia + (int64_t)i * r;
        for (int32_t j = 0; j < k; j++) {
            double x[VG_LANES];
            const double *pj = p + (int64_t)j * VG_LANES;
            for (int l = 0; l < VG_LANES; l++) {
                const double t = select && pj[l] == 0.0 ? 0.0 : pj[l] * gn[l];
                x[l] = push[l] ? t : -0.0;
            }
            vgl_push(c, at[j], x);
        }
    }
}

VG_LOOP void vgl_back_nary(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) at += desc[4 * i];
    for (int32_t i = m - 1; i >= 0; i--) {
        const int32_t n = desc[4 * i], k = desc[4 * i + 1];
        at -= n;
        const double *gn = c->GL + VG_LANED(desc[4 * i + 2]);
        const double *p = c->D + (int64_t)desc[4 * i + 3] * VG_LANES;
        int push[VG_LANES], any = 0;
        for (int l = 0; l < VG_LANES; l++) {
            push[l] = l < c->live && !(gn[l] == 0.0 && (c->finite[l] || vgl_partials_finite(p, k, l)));
            any |= push[l];
        }
        if (!any) continue;
        for (int32_t j = 0; j < k; j++) {
            double x[VG_LANES];
            for (int l = 0; l < VG_LANES; l++) x[l] = push[l] ? p[(int64_t)j * VG_LANES + l] * gn[l] : -0.0;
            vgl_push(c, ia[at + j], x);
        }
    }
}

/* --- sums and chains of + (see vg_sums) ---------------------------------------------------------- */
VG_LOOP void vgl_sums(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m,
                      int chain) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) {
        const int32_t n = desc[3 * i];
        const int32_t *t = ia + at;
        double *out = c->V + VG_LANED(desc[3 * i + 2]);
        if (chain) {
            double a[VG_LANES];
            for (int l = 0; l < VG_LANES; l++) a[l] = VG_LX(c, t[0], l);
            for (int32_t j = 1; j < n; j++)
                for (int l = 0; l < VG_LANES; l++) a[l] = a[l] + VG_LX(c, t[j], l);
            for (int l = 0; l < VG_LANES; l++) out[l] = a[l];
        } else {
            vg_sum s[VG_LANES];
            for (int l = 0; l < VG_LANES; l++) vg_sum_start(&s[l], 0.0);
            for (int32_t j = 0; j < n; j++)
                for (int l = 0; l < VG_LANES; l++) vgl_sum_add(&s[l], VG_LX(c, t[j], l));
            for (int l = 0; l < VG_LANES; l++) out[l] = vg_sum_result(&s[l]);
        }
        at += n + (chain ? desc[3 * i + 1] : 0); /* a chain's list holds its terms, then its pushes */
    }
}

VG_LOOP void vgl_back_sums(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m,
                           int chain) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) at += desc[3 * i] + (chain ? desc[3 * i + 1] : 0);
    for (int32_t i = m - 1; i >= 0; i--) {
        const int32_t n = desc[3 * i], k = desc[3 * i + 1];
        at -= n + (chain ? k : 0);
        const double *gn = c->GL + VG_LANED(desc[3 * i + 2]);
        double x[VG_LANES];
        int any = 0;
        for (int l = 0; l < VG_LANES; l++) {
            const int push = l < c->live && gn[l] != 0.0;
            x[l] = push ? gn[l] : -0.0;
            any |= push;
        }
        if (!any) continue;
        const int32_t *p = ia + at + (chain ? n : 0);
        for (int32_t j = 0; j < k; j++) vgl_push(c, p[j], x);
    }
}

/* --- clusters: a matrix times a vector, VG_LANES vectors at once (see vg_cluster) -----------------
 * The shared side is gathered into scratch, lane by lane: sv[k * VG_LANES + l]. When each row's own
 * numbers are parameters at consecutive positions (a layer's weights, VG_ROWS_SHARED), a row's
 * number is read once and used in every lane. */
#define VG_ROWS_SHARED 64 /* the rows' own numbers are parameters or constants (the same in every lane) */

VG_INLINE double vgl_row(const vg_lanes *restrict c, const int32_t *restrict ia, int32_t ref, int32_t k, int l,
                         int contig) {
    const int32_t p = contig ? ref + k : ia[ref + k];
    return VG_LX(c, p, l);
}

/* R rows of a cluster whose own numbers are consecutive parameters (or constants), for every lane:
 * R x VGL_VECS independent sums in flight, each row's number read once for all lanes. Each sum still
 * adds its terms one after the other, in order. (Inlined with R a constant.) */
VG_INLINE void vgl_rows(vg_lanes *restrict c, const double *restrict sv, const int32_t *restrict r, int32_t n,
                        int32_t out, const int R) {
    const double *restrict v = c->v;
    vgl_v hi[VGL_ROWS][VGL_VECS], lo[VGL_ROWS][VGL_VECS];
    const double *w[VGL_ROWS];
    for (int q = 0; q < R; q++) {
        const int32_t b = r[3 * q + 1];
        w[q] = v + r[3 * q];
        for (int h = 0; h < VGL_VECS; h++) {
            for (int l = 0; l < VG_VEC; l++) hi[q][h][l] = b >= 0 ? VG_LX(c, b, h * VG_VEC + l) : 0.0;
            lo[q][h] = (vgl_v){0};
        }
    }
    for (int32_t k = 0; k < n; k++) {
        vgl_v x[VGL_VECS];
        for (int h = 0; h < VGL_VECS; h++) x[h] = vgl_load(sv + (int64_t)k * VG_LANES + h * VG_VEC);
        for (int q = 0; q < R; q++) {
            const double wk = w[q][k];
            for (int h = 0; h < VGL_VECS; h++) vgl_add(&hi[q][h], &lo[q][h], wk * x[h]);
        }
    }
    double *restrict V = c->V;
    for (int q = 0; q < R; q++)
        for (int l = 0; l < VG_LANES; l++)
            V[VG_LANED(out + q) + l] = vgl_result(hi[q][l / VG_VEC][l % VG_VEC], lo[q][l / VG_VEC][l % VG_VEC]);
}

VG_LOOP void vgl_cluster(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia) {
    const int32_t rows = desc[0], n = desc[1], out = desc[2], flags = desc[3];
    const int32_t *shared = ia + desc[4];
    const int32_t *row = desc + 5;
    const int contig = (flags & VG_ROWS_CONTIG) != 0;
    double *restrict sv = c->S;
    for (int32_t k = 0; k < n; k++)
        for (int l = 0; l < VG_LANES; l++) sv[(int64_t)k * VG_LANES + l] = VG_LX(c, shared[k], l);
    double *restrict V = c->V;
    int32_t j = 0;
    if ((flags & VG_ROWS_SHARED) && contig) {
        /* VGL_ROWS rows at a time, then fewer for the last ones (always vectors of samples) */
        for (; j + VGL_ROWS <= rows; j += VGL_ROWS) vgl_rows(c, sv, row + 3 * j, n, out + j, VGL_ROWS);
        for (; j + 2 <= rows; j += 2) vgl_rows(c, sv, row + 3 * j, n, out + j, 2);
        for (; j < rows; j++) vgl_rows(c, sv, row + 3 * j, n, out + j, 1);
    }
    for (; j < rows; j++) {
        const int32_t ref = row[3 * j], b = row[3 * j + 1];
        vg_sum a[VG_LANES];
        for (int l = 0; l < VG_LANES; l++) vg_sum_start(&a[l], b >= 0 ? VG_LX(c, b, l) : 0.0);
        for (int32_t k = 0; k < n; k++)
            for (int l = 0; l < VG_LANES; l++)
                vgl_sum_add(&a[l], vgl_row(c, ia, ref, k, l, contig) * sv[(int64_t)k * VG_LANES + l]);
        for (int l = 0; l < VG_LANES; l++) V[VG_LANED(out + j) + l] = vg_sum_result(&a[l]);
    }
}

/* vg_row_finite, for lane l */
static int vgl_row_finite(const vg_lanes *restrict c, const double *restrict sv, const int32_t *restrict ia,
                          int32_t ref, int32_t n, int shared_w, int bias, int contig, int l) {
    vg_sum t;
    vg_sum_start(&t, 0.0);
    if (shared_w)
        for (int32_t k = 0; k < n; k++) vg_sum_add(&t, vgl_row(c, ia, ref, k, l, contig));
    for (int32_t k = 0; k < n; k++) vg_sum_add(&t, sv[(int64_t)k * VG_LANES + l]);
    if (!shared_w)
        for (int32_t k = 0; k < n; k++) vg_sum_add(&t, vgl_row(c, ia, ref, k, l, contig));
    if (bias) vg_sum_add(&t, 1.0);
    return vg_sum_finite(&t);
}

/* Backward of a cluster. dc >= 0: the cluster's rows' own numbers are consecutive parameters and
 * their gradients are deferred (the emitter's vgl_deferred[dc]): each lane leaves in the chunk's
 * store its row gradients, whether it pushes, and (unless they are its inputs) the shared numbers,
 * and vgl_reduce adds them into the weights' and the biases' gradients after the chunk. */
VG_LOOP void vgl_back_cluster(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia,
                              int dc) {
    const int32_t rows = desc[0], n = desc[1], out = desc[2], flags = desc[3];
    const int32_t *shared = ia + desc[4];
    const int32_t *row = desc + 5;
    const int shared_w = flags & VG_SHARED_W;
    const int contig = (flags & VG_ROWS_CONTIG) != 0;
    const int push_shared = (flags & (shared_w ? VG_PUSH_W : VG_PUSH_X)) != 0;
    const int push_rows = (flags & (shared_w ? VG_PUSH_X : VG_PUSH_W)) != 0;
    const int push_bias = (flags & VG_PUSH_B) != 0;
    /* the rows' own numbers are parameters or constants at consecutive positions */
    const int fast_rows = (flags & VG_ROWS_SHARED) && contig;
    int scratch = (flags & VG_SCRATCH) && push_shared;
    for (int32_t k = 0; k < n && scratch; k++) scratch = !VG_IS_PARAM(shared[k]);
    double *restrict sv = c->S, *restrict sg = c->S + (int64_t)n * VG_LANES;
    const int rows_done = dc >= 0; /* the rows' side is deferred (with their biases that are parameters) */
    int finite = 1;
    for (int l = 0; l < c->live; l++) finite &= c->finite[l];
    if (!rows_done || !finite) /* the shared numbers, read by the rows' pushes and by vgl_row_finite */
        for (int32_t k = 0; k < n; k++)
            for (int l = 0; l < VG_LANES; l++) sv[(int64_t)k * VG_LANES + l] = VG_LX(c, shared[k], l);
    if (scratch)
        for (int32_t k = 0; k < n; k++)
            for (int l = 0; l < VG_LANES; l++) sg[(int64_t)k * VG_LANES + l] = c->GL[VG_LANED(shared[k]) + l];
    double *restrict cs = NULL;
    unsigned char *restrict fs = NULL;
    if (rows_done) {
        const int64_t *t = vgl_deferred[dc];
        cs = c->store + VGL_CHUNK * t[1] + c->sl * rows;
        fs = c->flags + VGL_CHUNK * t[3] + c->sl * rows;
        if (t[2] >= 0) /* each sample's shared numbers, unless vgl_reduce reads them in the inputs */
            for (int l = 0; l < c->live; l++) {
                double *restrict x = c->store + VGL_CHUNK * t[2] + (c->sl + l) * n;
                for (int32_t k = 0; k < n; k++) x[k] = VG_LX(c, shared[k], l);
            }
    }
    for (int32_t j = rows - 1; j >= 0; j--) {
        const int32_t ref = row[3 * j], b = row[3 * j + 1], mode = row[3 * j + 2];
        const double *gn = c->GL + VG_LANED(out + j);
        int push[VG_LANES], any = 0;
        for (int l = 0; l < VG_LANES; l++) {
            push[l] = l < c->live &&
                      !(gn[l] == 0.0 && mode != 2 &&
                        (mode == 1 || c->finite[l] ||
                         vgl_row_finite(c, sv, ia, ref, n, shared_w, push_bias && b >= 0, contig, l)));
            any |= push[l];
        }
        if (rows_done)
            for (int l = 0; l < c->live; l++) {
                cs[l * rows + j] = gn[l];
                fs[l * rows + j] = (unsigned char)push[l];
            }
        if (!any) continue;
        for (int side = 0; side < 2; side++) {
            const int is_shared = (side == 0) == (shared_w != 0);
            if (is_shared ? !push_shared : !push_rows || rows_done) continue;
            if (is_shared && scratch && fast_rows) {
                const double *restrict w = c->v + ref;
                vgl_m mask[VGL_VECS];
                vgl_v gv[VGL_VECS];
                for (int h = 0; h < VGL_VECS; h++) {
                    for (int l = 0; l < VG_VEC; l++) mask[h][l] = push[h * VG_VEC + l] ? -1 : 0;
                    gv[h] = vgl_load(gn + h * VG_VEC);
                }
                const vgl_v none = (vgl_v){0} - 0.0;
                for (int32_t k = 0; k < n; k++)
                    for (int h = 0; h < VGL_VECS; h++) {
                        double *at = sg + (int64_t)k * VG_LANES + h * VG_VEC;
                        vgl_store(at, vgl_load(at) + vgl_select(mask[h], w[k] * gv[h], none));
                    }
            } else {
                for (int32_t k = 0; k < n; k++) {
                    double x[VG_LANES];
                    for (int l = 0; l < VG_LANES; l++) {
                        const double p = is_shared ? vgl_row(c, ia, ref, k, l, contig) : sv[(int64_t)k * VG_LANES + l];
                        x[l] = push[l] ? p * gn[l] : -0.0;
                    }
                    if (is_shared && scratch)
                        for (int l = 0; l < VG_LANES; l++) sg[(int64_t)k * VG_LANES + l] += x[l];
                    else
                        vgl_push(c, is_shared ? shared[k] : (contig ? ref + k : ia[ref + k]), x);
                }
            }
        }
        if (push_bias && b >= 0 && !(rows_done && VG_IS_PARAM(b))) {
            double x[VG_LANES];
            for (int l = 0; l < VG_LANES; l++) x[l] = push[l] ? gn[l] : -0.0;
            vgl_push(c, b, x);
        }
    }
    if (scratch)
        for (int32_t k = 0; k < n; k++)
            for (int l = 0; l < VG_LANES; l++) c->GL[VG_LANED(shared[k]) + l] = sg[(int64_t)k * VG_LANES + l];
}

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
    vgl_v a[4][2];
    vgl_m negative_zero = (vgl_m){0};
    for (int q = 0; q < R; q++)
        for (int h = 0; h < H; h++) {
            a[q][h] = vgl_load(g[q] + k + h * VG_VEC);
            vgl_m bits;
            memcpy(&bits, &a[q][h], sizeof bits);
            negative_zero |= bits == (vgl_m){0} + INT64_MIN;
        }
    if (finite && !all) { /* see vgl_reduce_rows */
        int64_t any = 0;
        for (int l = 0; l < VG_VEC; l++) any |= negative_zero[l];
        all = !any;
    }
    if (all) {
        for (int64_t s = 0; s < m; s++) {
            vgl_v x[2];
            for (int h = 0; h < H; h++) x[h] = vgl_load(xs[s] + k + h * VG_VEC);
            for (int q = 0; q < R; q++) {
                const double cq = C[s * rows + j + q];
                for (int h = 0; h < H; h++) a[q][h] += x[h] * cq;
            }
        }
    } else {
        for (int64_t s = 0; s < m; s++) {
            vgl_v x[2];
            for (int h = 0; h < H; h++) x[h] = vgl_load(xs[s] + k + h * VG_VEC);
            for (int q = 0; q < R; q++) {
                const double cq = C[s * rows + j + q];
                const vgl_m mask = (vgl_m){0} - (int64_t)F[s * rows + j + q];
                for (int h = 0; h < H; h++) a[q][h] = vgl_select(mask, a[q][h] + x[h] * cq, a[q][h]);
            }
        }
    }
    for (int q = 0; q < R; q++)
        for (int h = 0; h < H; h++) vgl_store(g[q] + k + h * VG_VEC, a[q][h]);
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

/* The forward pass of the block of samples b0, b0 + 1, ...: its losses and extras, and whether each
 * lane's numbers are small enough for backward to skip its finiteness tests. */
static void vgl_forward_block(vgl_batch *bt, vg_lanes *c, int64_t b0) {
    const int live = bt->count - b0 < VG_LANES ? (int)(bt->count - b0) : VG_LANES;
    double *V = c->V;
    c->live = live;
    c->sl = b0 % VGL_CHUNK; /* chunks start at multiples of VGL_CHUNK */
    /* an empty lane computes a copy of the last sample, and pushes nothing */
    for (int l = 0; l < VG_LANES; l++) {
        const double *x = bt->X + (b0 + (l < live ? l : live - 1)) * VG_N_INPUTS;
        for (int32_t i = 0; i < VG_N_INPUTS; i++) V[(int64_t)i * VG_LANES + l] = x[i];
    }
    vgl_forward(c);
    for (int l = 0; l < live; l++) {
        bt->losses[b0 + l] = VG_LX(c, VG_OUTPUT, l);
        for (int32_t e = 0; e < VG_N_EXTRAS; e++) bt->extras[(b0 + l) * VG_N_EXTRAS + e] = VG_LX(c, vg_extras[e], l);
    }
    if (!bt->backward || !VG_BACKWARD) return;
    /* a lane is bounded when every |x| < limit: vector compares, a nan fails them (not <) */
    const vgl_v limit = (vgl_v){0} + 1e300 / VG_LONGEST;
    const vgl_m magnitude = (vgl_m){0} + INT64_MAX;
    vgl_m bad[VGL_VECS];
    for (int h = 0; h < VGL_VECS; h++) bad[h] = (vgl_m){0};
    for (int part = 0; part < 2; part++) {
        const double *x = part ? c->D : V;
        const int64_t count = part ? VG_N_PARTIALS : VG_N_LANED;
        for (int64_t p = 0; p < count; p++)
            for (int h = 0; h < VGL_VECS; h++) {
                vgl_m bits;
                vgl_v a = vgl_load(x + p * VG_LANES + h * VG_VEC);
                memcpy(&bits, &a, sizeof bits);
                bits &= magnitude;
                memcpy(&a, &bits, sizeof a);
                bad[h] |= ~(a < limit);
            }
    }
    for (int l = 0; l < VG_LANES; l++) c->finite[l] = bt->params_bounded && !bad[l / VG_VEC][l % VG_VEC];
}

/* The backward pass of the block in c: its pushes into the parameters' gradients, lane after lane
 * (or, for the deferred clusters, into the chunk's store). */
static void vgl_backward_block(vgl_batch *bt, vg_lanes *c) {
    double *GL = c->GL;
    memset(GL + VG_LANED(VG_FIRST_NODE), 0, sizeof(double) * VG_LANES * (VG_N_VALUES - VG_FIRST_NODE));
    if (VG_OUTPUT_IS_LEAF) {
        double x[VG_LANES];
        for (int l = 0; l < VG_LANES; l++) x[l] = l < c->live ? bt->seed : -0.0;
        vgl_push(c, VG_OUTPUT, x);
    } else {
        for (int l = 0; l < VG_LANES; l++) GL[VG_LANED(VG_OUTPUT) + l] = l < c->live ? bt->seed : 0.0;
    }
    vgl_backward(c);
    for (int l = 0; l < c->live; l++) bt->finite[c->sl + l] = (unsigned char)c->finite[l];
}

/* after block i's backward: the deferred pushes of its chunk, when it is the chunk's last block */
static void vgl_block_done(vgl_batch *bt, int64_t i) {
    const int64_t end = (i + 1) * VG_LANES;
    if (!bt->backward || !VG_BACKWARD || !VGL_N_DEFERRED || (end % VGL_CHUNK && end < bt->count)) return;
    const int64_t first = i * VG_LANES / VGL_CHUNK * VGL_CHUNK;
    vgl_reduce(bt, first, (end < bt->count ? end : bt->count) - first, 0, vgl_quads());
}

/* With two threads and some pushes into parameters not deferred, the passes are a pipeline: this
 * thread computes the forward passes of the blocks, up to bt->slots blocks ahead, while the
 * caller's thread computes their backward passes in order. Every block's backward still runs after
 * the one before it, on one thread, so the gradients are added in the same order as with one
 * thread: the threads change when a number is computed, never which number. */
static void *vgl_forward_thread(void *arg) {
    vgl_batch *bt = arg;
    const int64_t blocks = (bt->count + VG_LANES - 1) / VG_LANES;
    for (int64_t i = 0; i < blocks; i++) {
        while (__atomic_load_n(&bt->drained, __ATOMIC_ACQUIRE) < i - bt->slots + 1) sched_yield(); /* a free slot */
        vgl_forward_block(bt, &bt->slot[i % bt->slots], i * VG_LANES);
        __atomic_store_n(&bt->filled, i + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* With every push into a parameter deferred (VGL_ALL_DEFERRED), the blocks of a chunk share no
 * number: each writes its own slot, its own samples' part of the store, its own losses. The work
 * of a batch is then a list of tasks, chunk after chunk: the chunk's blocks (forward and backward),
 * then its quads of rows (vgl_reduce). Each thread takes the next task (an atomic counter), waits
 * until the tasks it depends on are done (a block: every task of the chunks before, whose sums read
 * the store it will write; a quad: every block of its chunk) and does it. Which thread does a task
 * changes when a number is computed, never which number nor the order of the additions into a
 * gradient (vgl_reduce adds a chunk's samples in order, whoever computed them): the same bits as
 * one thread. A thread that never comes leaves every task to the other. */
static void vgl_work(vgl_batch *bt, vg_lanes *c) {
    const int64_t per_block = VGL_CHUNK / VG_LANES;
    const int64_t quads = bt->backward && VG_BACKWARD ? bt->quads : 0;
    const int64_t per_chunk = per_block + quads; /* tasks of a whole chunk */
    const int64_t chunks = (bt->count + VGL_CHUNK - 1) / VGL_CHUNK;
    const int64_t last = (bt->count - (chunks - 1) * VGL_CHUNK + VG_LANES - 1) / VG_LANES; /* blocks of the last chunk */
    const int64_t tasks = (chunks - 1) * per_chunk + last + quads;
    for (;;) {
        const int64_t t = __atomic_fetch_add(&bt->next, 1, __ATOMIC_ACQ_REL);
        if (t >= tasks) return;
        const int64_t chunk = t / per_chunk, o = t % per_chunk;
        const int64_t first = chunk * VGL_CHUNK;
        const int64_t blocks = chunk == chunks - 1 ? last : per_block;
        const int64_t after = chunk * per_chunk + (o < blocks ? 0 : blocks); /* the tasks before it must be done */
        while (__atomic_load_n(&bt->done, __ATOMIC_ACQUIRE) < after) sched_yield();
        if (o < blocks) {
            vgl_forward_block(bt, c, first + o * VG_LANES);
            if (bt->backward && VG_BACKWARD) vgl_backward_block(bt, c);
        } else {
            const int64_t m = bt->count - first < VGL_CHUNK ? bt->count - first : VGL_CHUNK;
            vgl_reduce(bt, first, m, o - blocks, o - blocks + 1);
        }
        __atomic_fetch_add(&bt->done, 1, __ATOMIC_ACQ_REL);
    }
}

/* The second thread is started once and kept: a batch of 32 samples is a few hundred microseconds
 * of work, and starting a thread for each cost more than it saved. Between batches it spins a
 * little (a training loop calls again soon), then sleeps until the next batch. A batch offers
 * itself (state = 2 * generation); the worker joins it (state + 1) unless the batch closed first
 * (-1: its caller did every task); the caller waits for a worker that joined. One batch at a time
 * may use the worker (`busy`); a batch that finds it busy, or in a child process after a fork
 * (which has no such thread), runs on one thread. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    vgl_batch *job;     /* the batch offered (under lock) */
    int64_t generation; /* batches offered so far (atomic) */
    int64_t state;      /* 2 * generation: the batch is open to the worker; + 1: joined; -1: closed (atomic) */
    int busy;           /* a batch holds the worker (atomic) */
    pid_t pid;          /* the process that started it (0: none yet) */
} vgl_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, -1, 0, 0};

/* For tests: the caller waits for the worker to join each batch before taking a task, so that both
 * threads surely take some (else a small batch is often done before the worker wakes). */
static int vgl_wait_for_worker = 0;
VG_EXPORT void vg_lanes_wait_for_worker(int on) { __atomic_store_n(&vgl_wait_for_worker, on, __ATOMIC_RELAXED); }

#define VGL_SPIN 200000 /* reads of the generation before the worker sleeps (some tens of microseconds) */

static void *vgl_pool_thread(void *arg) {
    int64_t seen = (int64_t)(intptr_t)arg;
    for (;;) {
        int64_t now = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        for (int i = 0; i < VGL_SPIN && now == seen; i++) now = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        pthread_mutex_lock(&vgl_pool.lock);
        while ((now = vgl_pool.generation) == seen) pthread_cond_wait(&vgl_pool.wake, &vgl_pool.lock);
        vgl_batch *bt = vgl_pool.job;
        pthread_mutex_unlock(&vgl_pool.lock);
        seen = now;
        int64_t open = 2 * now;
        if (__atomic_compare_exchange_n(&vgl_pool.state, &open, 2 * now + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            vgl_work(bt, &bt->slot[1]);
            __atomic_store_n(&bt->helped, 1, __ATOMIC_RELEASE);
        }
    }
    return NULL;
}

/* Run bt on this thread and the worker; 0 when the worker cannot be had (then nothing ran). */
static int vgl_pool_run(vgl_batch *bt) {
    if (__atomic_exchange_n(&vgl_pool.busy, 1, __ATOMIC_ACQUIRE)) return 0;
    const pid_t me = getpid();
    if (vgl_pool.pid != me) {
        pthread_t worker;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int64_t seen = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        const int failed = pthread_create(&worker, &attr, vgl_pool_thread, (void *)(intptr_t)seen);
        pthread_attr_destroy(&attr);
        if (failed) {
            __atomic_store_n(&vgl_pool.busy, 0, __ATOMIC_RELEASE);
            return 0;
        }
        vgl_pool.pid = me;
    }
    pthread_mutex_lock(&vgl_pool.lock);
    const int64_t now = vgl_pool.generation + 1;
    __atomic_store_n(&vgl_pool.state, 2 * now, __ATOMIC_RELEASE);
    vgl_pool.job = bt;
    __atomic_store_n(&vgl_pool.generation, now, __ATOMIC_RELEASE);
    pthread_cond_signal(&vgl_pool.wake);
    pthread_mutex_unlock(&vgl_pool.lock);
    if (__atomic_load_n(&vgl_wait_for_worker, __ATOMIC_RELAXED))
        while (__atomic_load_n(&vgl_pool.state, __ATOMIC_ACQUIRE) == 2 * now) sched_yield();
    vgl_work(bt, &bt->slot[0]);
    int64_t open = 2 * now;
    if (!__atomic_compare_exchange_n(&vgl_pool.state, &open, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        while (!__atomic_load_n(&bt->helped, __ATOMIC_ACQUIRE)) sched_yield(); /* it joined: wait for it */
    __atomic_store_n(&vgl_pool.busy, 0, __ATOMIC_RELEASE);
    return 1;
}

/* vg_batch, VG_LANES samples at a time: the same losses, extras and gradients, to the bit. v and g
 * are the tape's scalar arrays (the parameters' numbers and gradients); `buffers` holds the store
 * of the deferred pushes (vg_lanes_store() numbers), then `slots` slots of vg_lanes_buffer(scratch)
 * numbers each: a block's V, D, GL and S. threads: 1, or 2 (with 2 slots or more). */
VG_EXPORT int vg_batch_lanes(const double *v, double *g, double *buffers, int64_t slots, int64_t scratch,
                             const double *X, int64_t count, int backward, double seed, double *losses,
                             double *extras, int threads) {
    static vgl_batch zero;
    vgl_batch bt = zero;
    bt.X = X;
    bt.count = count;
    bt.backward = backward;
    bt.seed = seed;
    bt.losses = losses;
    bt.extras = extras;
    bt.G = g;
    bt.store = buffers;
    bt.flags = (unsigned char *)(buffers + (int64_t)VGL_CHUNK * VGL_STORE_DOUBLES);
    /* one pass over the parameters and constants, without early exits (so the compiler vectorises
     * it): are their numbers bounded? */
    const double limit = 1e300 / VG_LONGEST;
    int64_t unbounded = 0;
    for (int64_t i = VG_FIRST_PARAM; i < VG_FIRST_NODE; i++) unbounded |= !(fabs(v[i]) < limit);
    bt.params_bounded = !unbounded;
    bt.quads = vgl_quads();
    bt.slots = (int)(slots < 1 ? 1 : slots > VGL_MAX_SLOTS ? VGL_MAX_SLOTS : slots);
    for (int k = 0; k < bt.slots; k++) {
        vg_lanes *c = &bt.slot[k];
        c->v = v;
        c->G = g;
        c->V = buffers + vg_lanes_store() + k * vg_lanes_buffer(scratch);
        c->D = c->V + (int64_t)VG_LANES * VG_N_LANED;
        c->GL = c->D + (int64_t)VG_LANES * VG_N_PARTIALS;
        c->S = c->GL + (int64_t)VG_LANES * VG_N_LANED;
        c->store = bt.store;
        c->flags = bt.flags;
    }
    const int64_t blocks = (count + VG_LANES - 1) / VG_LANES;
    pthread_t worker;
    if (threads >= 2 && bt.slots >= 2 && blocks >= 2) {
        if (VGL_ALL_DEFERRED && vgl_pool_run(&bt)) return 0;
        if (!VGL_ALL_DEFERRED && pthread_create(&worker, NULL, vgl_forward_thread, &bt) == 0) {
            for (int64_t i = 0; i < blocks; i++) {
                while (__atomic_load_n(&bt.filled, __ATOMIC_ACQUIRE) < i + 1) sched_yield();
                if (backward && VG_BACKWARD) vgl_backward_block(&bt, &bt.slot[i % bt.slots]);
                vgl_block_done(&bt, i);
                __atomic_store_n(&bt.drained, i + 1, __ATOMIC_RELEASE);
            }
            pthread_join(worker, NULL);
            return 0;
        }
    }
    for (int64_t i = 0; i < blocks; i++) {
        vgl_forward_block(&bt, &bt.slot[0], i * VG_LANES);
        if (backward && VG_BACKWARD) vgl_backward_block(&bt, &bt.slot[0]);
        vgl_block_done(&bt, i);
    }
    return 0;
}
