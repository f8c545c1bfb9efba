"""Solutions to notebook 04's exercises, and a typical mistake for each."""

import math


def solve_04_1():
    # the summed loss is 120 times the mean, and so is its gradient: divide the learning rate by 120
    return 1.0 / 120


def solve_04_2():
    def momentum_step(params, velocities, lr, mu):
        new = []
        for p, v in zip(params, velocities):
            v = mu * v + p.grad
            p.data -= lr * v
            new.append(v)
        return new

    return momentum_step


def solve_04_3():
    steps = math.ceil(120 / 32)          # 3 full batches of 32 and one more
    return (steps, 120 - 32 * (steps - 1))


def solve_04_4():
    def largest_stable_lr(xs):
        n = len(xs)
        mx, mxx = sum(xs) / n, sum(x * x for x in xs) / n
        tr, det = 2 * mxx + 2.0, 4 * (mxx - mx * mx)   # of the Hessian 2·[[mean x², mean x], [mean x, 1]]
        lam_max = tr / 2 + math.sqrt(tr * tr / 4 - det)
        return 2 / lam_max

    return largest_stable_lr


def solve_04_5():
    def adamw_step(p, g, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):
        p = p * (1 - lr * wd)                      # decoupled decay: shrink first
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v

    return adamw_step


SOLUTIONS = {"04.1": solve_04_1, "04.2": solve_04_2, "04.3": solve_04_3, "04.4": solve_04_4, "04.5": solve_04_5}


def _momentum_without_memory():
    def momentum_step(params, velocities, lr, mu):
        for p in params:
            p.data -= lr * p.grad        # plain gradient descent: the velocity is never used
        return velocities

    return momentum_step


def _adam_with_l2():
    def adamw_step(p, g, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):
        g = g + wd * p                             # L2 in the gradient: that is Adam, not AdamW
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v

    return adamw_step


MISTAKES = {
    "04.1": lambda: 120.0,
    "04.2": _momentum_without_memory,
    "04.3": lambda: (3, 32),             # forgot the smaller last batch
    "04.4": lambda: (lambda xs: 2 / (2 * sum(x * x for x in xs) / len(xs))),   # the diagonal entry, not the eigenvalue
    "04.5": _adam_with_l2,
}
