/* valuegrad: samples in lanes, the layers (pasted after lanes.h; see there why no bit changes).
 *
 * The rows of a layer (a cluster: rows that share one side, see clusters.h) for VG_LANES samples at
 * once: forward, a matrix times VG_LANES vectors; backward, the pushes into the shared side and
 * into the rows' own numbers, and for a deferred layer the store of its weights' pushes, added
 * later by lanes_defer.h. */

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
    vg_vd hi[VGL_ROWS][VGL_VECS], lo[VGL_ROWS][VGL_VECS];
    const double *w[VGL_ROWS];
    for (int q = 0; q < R; q++) {
        const int32_t b = r[3 * q + 1];
        w[q] = v + r[3 * q];
        for (int h = 0; h < VGL_VECS; h++) {
            for (int l = 0; l < VG_VEC; l++) hi[q][h][l] = b >= 0 ? VG_LX(c, b, h * VG_VEC + l) : 0.0;
            lo[q][h] = (vg_vd){0};
        }
    }
    for (int32_t k = 0; k < n; k++) {
        vg_vd x[VGL_VECS];
        for (int h = 0; h < VGL_VECS; h++) x[h] = vg_vload(sv + (int64_t)k * VG_LANES + h * VG_VEC);
        for (int q = 0; q < R; q++) {
            const double wk = w[q][k];
            for (int h = 0; h < VGL_VECS; h++) vg_vsum_add(&hi[q][h], &lo[q][h], wk * x[h]);
        }
    }
    double *restrict V = c->V;
    for (int q = 0; q < R; q++)
        for (int l = 0; l < VG_LANES; l++)
            V[VG_LANED(out + q) + l] = vg_vsum_result(hi[q][l / VG_VEC][l % VG_VEC], lo[q][l / VG_VEC][l % VG_VEC]);
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
                vg_vm mask[VGL_VECS];
                vg_vd gv[VGL_VECS];
                for (int h = 0; h < VGL_VECS; h++) {
                    for (int l = 0; l < VG_VEC; l++) mask[h][l] = push[h * VG_VEC + l] ? -1 : 0;
                    gv[h] = vg_vload(gn + h * VG_VEC);
                }
                const vg_vd none = vg_vsplat(-0.0);
                for (int32_t k = 0; k < n; k++)
                    for (int h = 0; h < VGL_VECS; h++) {
                        double *at = sg + (int64_t)k * VG_LANES + h * VG_VEC;
                        vg_vstore(at, vg_vload(at) + vg_vselect(mask[h], w[k] * gv[h], none));
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

