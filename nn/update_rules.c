/* nn's optimizers in C: the update rules that autograd.tape.cbackend.Trainer applies to parameters
 * kept in C. Beside nn/optim.py, whose arithmetic they repeat operation for operation (and so
 * torch.optim's), so that training in C gives the same parameters as training in Python, to the bit.
 * Built once per process by nn/update_rules.py, through autograd's compiled-library cache. */
#include <math.h>
#include <stdint.h>

#define VG_EXPORT __attribute__((visibility("default")))

/* SGD: g ← g + wd·p (when wd ≠ 0); with momentum μ: vel ← g on the first step, μ·vel + g after;
 * then p ← p − lr·(g + μ·vel) (Nesterov) or p ← p − lr·vel; without momentum p ← p − lr·g. */
VG_EXPORT int vg_sgd(double *p, const double *grad, double *vel, int64_t n, double lr, double mu, double wd,
                     int nesterov, int first) {
    for (int64_t i = 0; i < n; i++) {
        if (mu == 0.0) {
            p[i] = wd != 0.0 ? p[i] - lr * (grad[i] + wd * p[i]) : p[i] - lr * grad[i];
            continue;
        }
        const double gi = wd != 0.0 ? grad[i] + wd * p[i] : grad[i];
        const double vi = first ? gi : mu * vel[i] + gi;
        vel[i] = vi;
        p[i] = nesterov ? p[i] - lr * (gi + mu * vi) : p[i] - lr * vi;
    }
    return 0;
}

/* SGD without momentum as a tape calls it at the end of a training step in one call (the tape's
 * step.h: vg_step): its arguments, lr and wd, in `state`. */
VG_EXPORT int vg_sgd_rule(void *state, double *p, double *grad, int64_t n) {
    const double *a = state;
    return vg_sgd(p, grad, 0, n, a[0], 0.0, a[1], 0, 1);
}

/* Adam (AdamW with decoupled): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², then
 * p ← p − step_size·m / (√v / sqrt_bias2 + eps), with step_size = lr / (1 − β₁ᵗ) and
 * sqrt_bias2 = √(1 − β₂ᵗ) computed by the caller as nn.optim computes them. */
VG_EXPORT int vg_adam(double *p, const double *grad, double *m, double *vsq, int64_t n, double lr, double b1,
                      double b2, double eps, double wd, int decoupled, double step_size, double sqrt_bias2) {
    for (int64_t i = 0; i < n; i++) {
        double gi = grad[i];
        if (wd != 0.0) {
            if (decoupled)
                p[i] = p[i] * (1.0 - lr * wd);
            else
                gi = gi + wd * p[i];
        }
        const double mi = b1 * m[i] + (1.0 - b1) * gi;
        const double vi = b2 * vsq[i] + (1.0 - b2) * gi * gi;
        m[i] = mi;
        vsq[i] = vi;
        p[i] = p[i] - step_size * mi / (sqrt(vi) / sqrt_bias2 + eps);
    }
    return 0;
}
