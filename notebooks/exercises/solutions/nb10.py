"""Solutions to notebook 10's exercises, and a typical mistake for each."""

import math


def solve_10_1():
    def weighted_average(scores, values):
        m = max(scores)                                   # the shift: exp(s − m) ≤ 1, never inf
        exps = [math.exp(s - m) for s in scores]
        total = sum(exps)
        weights = [e / total for e in exps]               # the softmax: positive, adding up to 1
        return [sum(w * v[j] for w, v in zip(weights, values)) for j in range(len(values[0]))]

    return weighted_average


def solve_10_2():
    def n_params(vocab, dim, heads, block, hidden):
        embeddings = vocab * dim + block * dim            # wte and wpe
        attention = 4 * dim * dim                         # wq, wk, wv and wo; the heads split them, adding nothing
        mlp = hidden * dim + dim * hidden                 # w1 and w2
        head = vocab * dim                                # lm
        return embeddings + attention + mlp + head

    return n_params


def solve_10_3():
    # position t sees tokens 0..t: the change at 5 reaches positions 5 to 15, and nothing before
    return set(range(5, 16))


def solve_10_4():
    def probabilities(logits, temperature):
        scaled = [z / temperature for z in logits]
        m = max(scaled)
        exps = [math.exp(z - m) for z in scaled]
        total = sum(exps)
        return [e / total for e in exps]

    return probabilities


def _no_shift():
    def weighted_average(scores, values):                 # math.exp(800) raises OverflowError
        exps = [math.exp(s) for s in scores]
        weights = [e / sum(exps) for e in exps]
        return [sum(w * v[j] for w, v in zip(weights, values)) for j in range(len(values[0]))]

    return weighted_average


def _no_temperature():
    def probabilities(logits, temperature):               # the plain softmax: the temperature is ignored
        m = max(logits)
        exps = [math.exp(z - m) for z in logits]
        return [e / sum(exps) for e in exps]

    return probabilities


SOLUTIONS = {"10.1": solve_10_1, "10.2": solve_10_2, "10.3": solve_10_3, "10.4": solve_10_4}

MISTAKES = {
    "10.1": _no_shift,
    "10.2": lambda: lambda vocab, dim, heads, block, hidden: 2 * vocab * dim + 4 * dim * dim + 2 * hidden * dim,  # wpe?
    "10.3": lambda: set(range(6, 16)),   # position 5 itself reads the changed token
    "10.4": _no_temperature,
}
