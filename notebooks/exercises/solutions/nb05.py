"""Solutions to notebook 05's exercises, and a typical mistake for each."""

import math


def solve_05_1():
    def stable_softmax(z):
        top = max(z)
        exps = [math.exp(v - top) for v in z]     # every exponent ≤ 0: nothing overflows
        total = sum(exps)
        return [e / total for e in exps]

    return stable_softmax


def solve_05_2():
    softmax = solve_05_1()

    def ce_grad(z, t):
        return [p - (1.0 if j == t else 0.0) for j, p in enumerate(softmax(z))]

    return ce_grad


def solve_05_3():
    def mean_ce(logit_rows, labels, T):
        total = 0.0
        for row, t in zip(logit_rows, labels):
            z = [v / T for v in row]
            top = max(z)
            log_sum = top + math.log(sum(math.exp(v - top) for v in z))   # log Σ e^z, computed stably
            total += log_sum - z[t]                                        # −log softmax(z)[t]
        return total / len(logit_rows)

    return mean_ce


def solve_05_4():
    def n_params(nin, sizes):
        total, fan_in = 0, nin
        for size in sizes:
            total += size * fan_in + size      # weights and biases of this layer
            fan_in = size
        return total

    return n_params


def solve_05_5():
    def recalls(cm):
        return [row[d] / sum(row) for d, row in enumerate(cm)]

    return recalls


SOLUTIONS = {"05.1": solve_05_1, "05.2": solve_05_2, "05.3": solve_05_3, "05.4": solve_05_4, "05.5": solve_05_5}


def _naive_softmax():
    def stable_softmax(z):
        exps = [math.exp(v) if v < 709 else math.inf for v in z]   # e^1000 overflows
        total = sum(exps)
        return [e / total for e in exps]

    return stable_softmax


MISTAKES = {
    "05.1": _naive_softmax,
    "05.2": lambda: (lambda z, t: [-p if j == t else p for j, p in enumerate(solve_05_1()(z))]),   # −p_t, not p_t − 1
    "05.3": lambda: (lambda rows, labels, T: solve_05_3()(rows, labels, 1.0)),                        # ignored T
    "05.4": lambda: (lambda nin, sizes: sum(s * nin for s in sizes)),                                 # every layer fed by the input
    "05.5": lambda: (lambda cm: [row[d] / sum(r[d] for r in cm) for d, row in enumerate(cm)]),        # precision, not recall
}
