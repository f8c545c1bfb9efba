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
 * The lane driver is four files, pasted in this order (lanes.py: LANE_FILES): this one (the lanes,
 * the backward of ops and the sums), lanes_rows.h (the layers), lanes_defer.h (a batch and its
 * deferred weight gradients) and lanes_driver.h (a block's passes, the two threads, the entry point).
 *
 * Memory (the lane layout): the inputs and the nodes have VG_LANES numbers each, lane l of
 * position p at V[VG_LANED(p) + l], the inputs first and the nodes next, so one sample's numbers
 * are read from V + l with a stride of VG_LANES; partial j of lane l at D[j * VG_LANES + l]; the
 * gradients of the inputs and nodes in GL, laid out as V. The parameters and the constants are the
 * same in every lane: they stay in the scalar arrays v and g, once. */

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

/* VG_VEC doubles make one vector register (clusters.h); VG_LANES samples (VGL_VECS registers) run
 * side by side. Measured on MLP(784, [50, 10]) with AVX2: 4 lanes (one register) ran faster than 8 or 16. */
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

