/* valuegrad: a training step of a tape compiled to C in one call (pasted last, after the drivers:
 * runtime.h's vg_batch and, in a tape with lanes, lanes_driver.h's vg_batch_lanes). */

/* One training step in one call (Trainer.step_flat): the parameters' gradients set to 0.0, the batch
 * run (by the lane driver when `lanes` holds its buffers, else by vg_batch), then an update rule
 * applied to the parameters: `rule`, a function of another library (nn/update_rules.c) given with
 * its arguments `state`. The same operations as those three calls made one after the other, so the
 * same numbers; the caller saves the two crossings between Python and C it would cost. Returns 0,
 * 1 when a sample failed a guard (as vg_batch: no rule applied), or 2 when the rule failed. */
typedef int (*vg_rule)(void *state, double *data, double *grads, int64_t n);
typedef struct {
    double *v, *d, *g, *s;
    double *lanes; /* the lane driver's buffers (vg_batch_lanes), or NULL */
    int64_t slots, scratch;
    vg_rule rule;
    void *state;
} vg_step_args;

VG_EXPORT int vg_step(const vg_step_args *a, const double *X, int64_t count, double seed, double *losses,
                      double *extras, int threads) {
    (void)threads; /* (the scalar driver runs on one) */
    memset(a->g + VG_FIRST_PARAM, 0, sizeof(double) * VG_N_PARAMS);
    int failed;
#if VG_HAS_LANES
    if (a->lanes)
        failed = vg_batch_lanes(a->v, a->g, a->lanes, a->slots, a->scratch, X, count, 1, seed, losses, extras, threads);
    else
#endif
        failed = vg_batch(a->v, a->d, a->g, a->s, X, count, 1, seed, losses, extras);
    if (failed) return 1;
    return a->rule(a->state, a->v + VG_FIRST_PARAM, a->g + VG_FIRST_PARAM, VG_N_PARAMS) ? 2 : 0;
}
