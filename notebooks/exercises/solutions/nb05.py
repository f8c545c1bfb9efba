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


def solve_05_6():
    def region(image, rows, cols):
        return sum(image[8 * r + c] for r in rows for c in cols)

    def my_rules(image):
        ink = sum(image)
        centre = region(image, range(3, 5), range(3, 5))
        upper_right = region(image, range(4), range(4, 8)) / ink
        upper_left = region(image, range(4), range(4)) / ink
        lower_left = region(image, range(4, 8), range(4)) / ink
        lower_right = region(image, range(4, 8), range(4, 8)) / ink
        top = region(image, range(2), range(8)) / ink
        bottom = region(image, range(6, 8), range(8)) / ink
        width = sum(1 for c in range(8) if max(image[8 * r + c] for r in range(2, 6)) > 0.5)
        # two new features: how spread out the ink is across the columns, and the ink in the middle rows on the right
        columns = [region(image, range(8), [c]) for c in range(8)]
        mean_column = sum(c * m for c, m in enumerate(columns)) / ink
        spread = (sum(m * (c - mean_column) ** 2 for c, m in enumerate(columns)) / ink) ** 0.5
        middle_right = region(image, range(3, 5), range(5, 8)) / ink

        if centre < 1.0:
            return 0
        if spread < 1.08:                             # new: a 1 keeps its ink in a narrow band of columns
            return 1
        if upper_right < 0.13:
            return 6
        if bottom > 0.33:
            return 2
        if width >= 5 and top < 0.22:
            return 4
        if lower_right < 0.2 and middle_right > 0.06:   # new: a 7's stroke crosses the middle rows on the right
            return 7
        if upper_left > 0.33:
            return 5
        if lower_left < 0.17:
            return 3 if lower_right > 0.3 else 9
        if width <= 3:
            return 1
        return 8

    return my_rules


def _notebook_rules(image):
    def region(rows, cols):
        return sum(image[8 * r + c] for r in rows for c in cols)

    ink = sum(image)
    width = sum(1 for c in range(8) if max(image[8 * r + c] for r in range(2, 6)) > 0.5)
    if region(range(3, 5), range(3, 5)) < 1.0:
        return 0
    if region(range(4), range(4, 8)) / ink < 0.13:
        return 6
    if region(range(6, 8), range(8)) / ink > 0.33:
        return 2
    if width >= 5 and region(range(2), range(8)) / ink < 0.22:
        return 4
    if region(range(4, 8), range(4, 8)) / ink < 0.2:
        return 7
    if region(range(4), range(4)) / ink > 0.33:
        return 5
    if region(range(4, 8), range(4)) / ink < 0.17:
        return 3 if region(range(4, 8), range(4, 8)) / ink > 0.3 else 9
    if width <= 3:
        return 1
    return 8


SOLUTIONS["05.6"] = solve_05_6
MISTAKES["05.6"] = lambda: _notebook_rules
