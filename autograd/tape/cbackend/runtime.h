/* valuegrad: the runtime of a tape compiled to C.
 *
 * Pasted at the top of every generated tape, after the tape's sizes (the VG_* macros). It holds
 * what does not depend on the op table: the sums that add as Python's sum() adds, backward's
 * "are these partials finite?" test, and the drivers that run one sample or a batch; the loops of
 * the fused linear nodes follow it (clusters.h). The generated code after them defines
 * vg_forward() and vg_backward(): one call per group of nodes, each group computed by a loop.
 *
 * The numbers must be those of the Python tape to the bit, so: no -ffast-math, -ffp-contract=off
 * (no fused multiply-add), every sum added in the order the Python code adds it, and the same
 * libm behind exp, log, pow and tanh as Python's math module.
 *
 * Memory: v[] holds every number (inputs, parameters, constants, then the nodes), d[] the local
 * partials that op formulas compute, g[] the gradients (indexed like v), s[] scratch space.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define VG_EXPORT __attribute__((visibility("default")))
/* The loops are called from hundreds of places with constant arguments: compiled once each, not
 * copied into every call (which made compiling several times slower and running no faster). */
#define VG_LOOP static __attribute__((noinline, noclone))

/* --- sums that add as Python's sum() of floats -------------------------------------------- */
/* Python 3.12 made sum() of floats compensated (Neumaier's algorithm, kept in `lo`); before, it
 * added left to right. VG_COMPENSATED is set to what this Python does. */
typedef struct {
    double hi, lo;
} vg_sum;

static inline void vg_sum_start(vg_sum *s, double x) {
    s->hi = x;
    s->lo = 0.0;
}

static inline void vg_sum_add(vg_sum *s, double x) {
#if VG_COMPENSATED
    double t = s->hi + x;
    if (fabs(s->hi) >= fabs(x))
        s->lo += (s->hi - t) + x;
    else
        s->lo += (x - t) + s->hi;
    s->hi = t;
#else
    s->hi += x;
#endif
}

static inline double vg_sum_result(const vg_sum *s) {
#if VG_COMPENSATED
    if (s->lo != 0.0 && isfinite(s->lo)) return s->hi + s->lo;
#endif
    return s->hi;
}

#define SUM_START(s, x) vg_sum_start(&(s), (x))
#define SUM_ADD(s, x) vg_sum_add(&(s), (x))
#define SUM_RESULT(s) vg_sum_result(&(s))

/* Value.backward skips a node whose gradient is 0 when its partials are all finite, which it
 * tests as "sum(partials) is finite" (so an overflowing sum counts as not finite too). */
static inline int vg_sum_finite(const vg_sum *s) {
    double t = vg_sum_result(s);
    return t - t == 0.0;
}

static int vg_partials_finite(const double *p, int32_t k) {
    vg_sum s;
    vg_sum_start(&s, 0.0);
    for (int32_t j = 0; j < k; j++) vg_sum_add(&s, p[j]);
    return vg_sum_finite(&s);
}

/* Whether every |x[i]| < limit (a nan is not). With limit = 1e300 / (the most partials of one
 * node), no node's partials can hold an inf or a nan or overflow their sum: then backward's test
 * says "finite" for every node, and need not be run node by node. */
static int vg_bounded(const double *x, int64_t n, double limit) {
    int64_t out = 0; /* no early exit: the compiler makes it a loop of vector compares */
    for (int64_t i = 0; i < n; i++) out |= !(fabs(x[i]) < limit);
    return !out;
}

/* --- groups of one- and two-operand ops: backward -------------------------------------------- */
/* Node i of the group has its r operands' positions at ia[i*r ...], the first k of them its
 * parents, its value at v[o + i] and its partials at d[dd + i*k ...]. With select (an op whose
 * entry says its zero partials select, as relu's), a zero partial pushes 0 whatever the node's
 * gradient, even inf or nan: what the Python formula's SELECT_ZERO gives. */
static inline __attribute__((always_inline)) void vg_back_ops_one(const double *restrict d, double *restrict g,
                                                                  const int32_t *restrict ia, int32_t m, int32_t r,
                                                                  int32_t o, int32_t dd, const int select) {
    /* one partial per node, every partial bounded (finite): a node is skipped when its gradient is 0 */
    for (int32_t i = m - 1; i >= 0; i--) {
        const double gn = g[o + i];
        if (gn == 0.0) continue;
        const double p = d[dd + i];
        g[ia[(int64_t)i * r]] += select && p == 0.0 ? 0.0 : p * gn;
    }
}

VG_LOOP void vg_back_ops(const double *restrict d, double *restrict g, const int32_t *restrict ia, int32_t m,
                        int32_t r, int32_t k, int32_t o, int32_t dd, int finite, int select) {
    if (finite && k == 1) { /* the same pushes, in a loop made for one partial (relu, tanh, exp...) */
        if (select)
            vg_back_ops_one(d, g, ia, m, r, o, dd, 1);
        else
            vg_back_ops_one(d, g, ia, m, r, o, dd, 0);
        return;
    }
    for (int32_t i = m - 1; i >= 0; i--) {
        const double gn = g[o + i];
        const double *p = d + dd + (int64_t)i * k;
        if (gn == 0.0 && (finite || vg_partials_finite(p, k))) continue;
        const int32_t *at = ia + (int64_t)i * r;
        if (select) {
            for (int32_t j = 0; j < k; j++) g[at[j]] += p[j] == 0.0 ? 0.0 : p[j] * gn;
        } else {
            for (int32_t j = 0; j < k; j++) g[at[j]] += p[j] * gn;
        }
    }
}

/* n-ary op nodes: desc[4*i ...] = (operands n, parents k, value position, partials position);
 * their operands' positions follow one another in ia. */
VG_LOOP void vg_back_nary(const double *restrict d, double *restrict g, const int32_t *restrict desc,
                         const int32_t *restrict ia, int32_t m, int finite) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) at += desc[4 * i];
    for (int32_t i = m - 1; i >= 0; i--) {
        const int32_t n = desc[4 * i], k = desc[4 * i + 1];
        at -= n;
        const double gn = g[desc[4 * i + 2]];
        const double *p = d + desc[4 * i + 3];
        if (gn == 0.0 && (finite || vg_partials_finite(p, k))) continue;
        for (int32_t j = 0; j < k; j++) g[ia[at + j]] += p[j] * gn;
    }
}

/* --- sums: sum_values nodes, and micrograd's chains of + fused at record time ----------------- */
/* desc[3*i ...] = (terms n, parents k, value position); the terms' positions follow one another
 * in ia, parents first. A sum adds from 0.0 as sum() does; a chain adds its terms left to right,
 * one + after the other, as the chain of + nodes did. Every partial is 1: a node whose gradient
 * is 0 pushes nothing, any other pushes its gradient (1.0 * g is g) to its parents in order. */
VG_LOOP void vg_sums(double *restrict v, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m,
                    int chain) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) {
        const int32_t n = desc[3 * i];
        const int32_t *t = ia + at;
        double out;
        if (chain) {
            out = v[t[0]];
            for (int32_t j = 1; j < n; j++) out = out + v[t[j]];
        } else {
            vg_sum s;
            vg_sum_start(&s, 0.0);
            for (int32_t j = 0; j < n; j++) vg_sum_add(&s, v[t[j]]);
            out = vg_sum_result(&s);
        }
        v[desc[3 * i + 2]] = out;
        at += n + (chain ? desc[3 * i + 1] : 0); /* a chain's list holds its terms, then its pushes */
    }
}

/* Backward of sums; for a chain, ia holds each node's pushes (k of them) after its n terms. */
VG_LOOP void vg_back_sums(double *restrict g, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m,
                         int chain) {
    int64_t at = 0;
    for (int32_t i = 0; i < m; i++) at += desc[3 * i] + (chain ? desc[3 * i + 1] : 0);
    for (int32_t i = m - 1; i >= 0; i--) {
        const int32_t n = desc[3 * i], k = desc[3 * i + 1];
        at -= n + (chain ? k : 0);
        const double gn = g[desc[3 * i + 2]];
        if (gn == 0.0) continue;
        const int32_t *p = ia + at + (chain ? n : 0);
        for (int32_t j = 0; j < k; j++) g[p[j]] += gn;
    }
}


/* --- lookups (take): the candidate at an index read from v ----------------------------------- */
/* Node i: desc[5i ...] = its position, its index's position, n candidates, the offset in ia of the
 * candidates' positions and of their gradients' (-1: a constant, which takes none). An index that
 * is not one reads candidate 0; the tape's guard on the index then refuses the replay. */
static inline int64_t vg_index(double x, int32_t n) {
    if (!(x >= -(double)n && x < (double)n)) return 0;
    const int64_t j = (int64_t)x;
    return j < 0 ? j + n : j;
}

VG_LOOP void vg_lookups(double *restrict v, const int32_t *restrict desc, const int32_t *restrict ia, int32_t m) {
    for (int32_t i = 0; i < m; i++) {
        const int32_t *e = desc + 5 * i;
        v[e[0]] = v[ia[e[3] + vg_index(v[e[1]], e[2])]];
    }
}

/* backward() pushes a lookup's gradient (partial 1) into its one parent, the candidate chosen. */
VG_LOOP void vg_back_lookups(const double *restrict v, double *restrict g, const int32_t *restrict desc,
                             const int32_t *restrict ia, int32_t m) {
    for (int32_t i = 0; i < m; i++) {
        const int32_t *e = desc + 5 * i;
        const double gn = g[e[0]];
        if (gn == 0.0) continue;
        const int32_t p = ia[e[4] + vg_index(v[e[1]], e[2])];
        if (p >= 0) g[p] += gn;
    }
}

/* --- the drivers ------------------------------------------------------------------------------ */
static void vg_forward(double *restrict v, double *restrict d, double *restrict s);
static void vg_backward(const double *restrict v, const double *restrict d, double *restrict g,
                        double *restrict s, int finite);

static const int32_t vg_extras[VG_N_EXTRAS + 1] = VG_EXTRAS;

/* After the forward pass: can backward skip its finiteness tests? (The parameters are checked by
 * the caller, once per call, since they do not change within a batch.) */
static int vg_rest_bounded(const double *v, const double *d) {
    const double limit = 1e300 / VG_LONGEST;
    return vg_bounded(v, VG_N_INPUTS, limit) &&
           vg_bounded(v + VG_FIRST_PARAM + VG_N_PARAMS, VG_N_VALUES - VG_FIRST_PARAM - VG_N_PARAMS, limit) &&
           vg_bounded(d, VG_N_PARTIALS, limit);
}

/* Guards: the decisions the recording took on its numbers (generated: vg_guards returns the
 * index of the first that goes the other way, or -1). When one fails, the drivers return 1 and
 * leave the guard's index and the sample's in s[VG_GUARD_AT] and s[VG_GUARD_AT + 1], and no
 * gradient changed: a batch saves the parameters' gradients first (at s[VG_GUARD_AT + 2]) and
 * puts them back. */
static long vg_guards(const double *v, long stride);

static inline int vg_same(double a, double b) {
    if (a != a || b != b) return a != a && b != b;
    return a == b && signbit(a) == signbit(b);
}

/* One sample: -1, or the index of the guard that failed (then nothing was backpropagated). */
static long vg_one(double *v, double *d, double *g, double *s, int backward, double seed, int params_bounded) {
    vg_forward(v, d, s);
    if (VG_N_GUARDS) {
        const long k = vg_guards(v, 1);
        if (k >= 0) return k;
    }
    if (!backward || !VG_BACKWARD) return -1;
    const int finite = params_bounded && vg_rest_bounded(v, d);
    memset(g + VG_FIRST_NODE, 0, sizeof(double) * (VG_N_VALUES - VG_FIRST_NODE));
    if (VG_OUTPUT_IS_LEAF)
        g[VG_OUTPUT] += seed;
    else
        g[VG_OUTPUT] = seed;
    vg_backward(v, d, g, s, finite);
    return -1;
}

/* One sample: its inputs and the parameters are already in v (and the parameters' gradients in g). */
VG_EXPORT int vg_run(double *v, double *d, double *g, double *s, int backward, double seed) {
    const long k = vg_one(v, d, g, s, backward, seed, vg_bounded(v + VG_FIRST_PARAM, VG_N_PARAMS, 1e300 / VG_LONGEST));
    if (VG_N_GUARDS && k >= 0) {
        s[VG_GUARD_AT] = (double)k;
        s[VG_GUARD_AT + 1] = -1.0;
        return 1;
    }
    return 0;
}

/* A batch: count samples whose inputs follow one another in X. Each is run in turn, its gradients
 * (its output's starting at seed) added into the parameters' gradients; losses[b] and the extras
 * (n_extras per sample) receive each sample's numbers. */
VG_EXPORT int vg_batch(double *v, double *d, double *g, double *s, const double *X, int64_t count, int backward,
                       double seed, double *losses, double *extras) {
    const int params_bounded = vg_bounded(v + VG_FIRST_PARAM, VG_N_PARAMS, 1e300 / VG_LONGEST);
    double *saved = s + VG_GUARD_AT + 2;
    if (VG_N_GUARDS && backward) memcpy(saved, g + VG_FIRST_PARAM, sizeof(double) * VG_N_PARAMS);
    for (int64_t b = 0; b < count; b++) {
        if (VG_N_INPUTS) memcpy(v, X + b * VG_N_INPUTS, sizeof(double) * VG_N_INPUTS);
        const long k = vg_one(v, d, g, s, backward, seed, params_bounded);
        if (VG_N_GUARDS && k >= 0) {
            if (backward) memcpy(g + VG_FIRST_PARAM, saved, sizeof(double) * VG_N_PARAMS);
            s[VG_GUARD_AT] = (double)k;
            s[VG_GUARD_AT + 1] = (double)b;
            return 1;
        }
        losses[b] = v[VG_OUTPUT];
        for (int32_t e = 0; e < VG_N_EXTRAS; e++) extras[b * VG_N_EXTRAS + e] = v[vg_extras[e]];
    }
    return 0;
}

/* Copies between a trainer's parameters and a tape's: dst[i] = src[index[i]], and back. */
VG_EXPORT int vg_gather(double *dst, const double *src, const int32_t *index, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = src[index[i]];
    return 0;
}

VG_EXPORT int vg_scatter(double *dst, const double *src, const int32_t *index, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[index[i]] = src[i];
    return 0;
}

