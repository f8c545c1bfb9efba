"""Checks for notebook 10 (a GPT from scalars): attention as a weighted average, counting parameters,
what causal attention lets a position see, and the temperature of sampling."""

from __future__ import annotations

import math
import random

from autograd import Value, logsumexp
from nn.gpt import GPT, Sizes

from . import Wrong, as_function, as_number, as_sequence, close, exercise, present


def _reference_average(scores, values):
    """The softmax of the scores (computed with valuegrad's logsumexp, which is stable), then Σ wₛ vₛ."""
    norm = logsumexp([Value(s) for s in scores]).data
    weights = [math.exp(s - norm) for s in scores]
    return [sum(w * v[j] for w, v in zip(weights, values)) for j in range(len(values[0]))]


@exercise(
    "10.1",
    "attention as a softmax-weighted average",
    "wₛ = exp(scoreₛ − m) / Σᵣ exp(scoreᵣ − m) with m = max(scores) (subtracting m changes nothing but keeps exp "
    "finite); the output's j-th number is Σₛ wₛ · values[s][j].",
)
def _(answer):
    fn = as_function(answer, "weighted_average")
    rng = random.Random(10)
    cases = [([0.0, 0.0], [[2.0, 0.0], [4.0, 1.0]]), ([1.0, 2.0, 3.0], [[1.0], [0.0], [-1.0]])]
    for n in (1, 4, 7):
        cases.append(([rng.gauss(0, 2) for _ in range(n)], [[rng.gauss(0, 1) for _ in range(3)] for _ in range(n)]))
    cases.append(([800.0, 799.0, 0.0], [[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]))  # exp(800) overflows: shift first
    for scores, values in cases:
        got = as_sequence(fn(scores, values), len(values[0]), f"weighted_average({scores}, ...)")
        for j, (g, want) in enumerate(zip(got, _reference_average(scores, values))):
            what = f"number {j} of weighted_average({[round(s, 3) for s in scores]}, ...)"
            close(g, want, what, rel=1e-9, abs_=1e-12)
    return "The weights are positive and add up to 1, so the output always lies between the values it averages."


@exercise(
    "10.2",
    "counting the parameters",
    "List the matrices: wte (vocab × dim), wpe (block × dim), wq, wk, wv, wo (dim × dim each), w1 (hidden × dim), "
    "w2 (dim × hidden), lm (vocab × dim). The heads only split wq, wk and wv's rows into groups.",
)
def _(answer):
    fn = as_function(answer, "n_params")
    cases = (Sizes(vocab=32), Sizes(), Sizes(vocab=5, dim=4, heads=2, block=4, hidden=8),
             Sizes(vocab=50, dim=24, heads=6, block=32, hidden=96), Sizes(vocab=32, heads=1), Sizes(vocab=32, heads=16))
    for sizes in cases:
        args = (sizes.vocab, sizes.dim, sizes.heads, sizes.block, sizes.hidden)
        got = as_number(fn(*args), f"n_params{args}")
        if got != sizes.n_params():
            raise Wrong(f"n_params{args} is {got:g}, which is not right")
    return "The number of heads does not change the count: 1, 4 or 16 heads share the same dim × dim matrices."


@exercise(
    "10.3",
    "what a position can see",
    "Position t attends to positions 0 … t only, and the MLP and the head work on one position at a time. Which "
    "positions have the changed token among the ones they see?",
)
def _(answer):
    present(answer, "your positions")
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise Wrong(f"the answer should be a set (or list) of positions such as {{0, 1}}, got {type(answer).__name__}")
    given = {int(as_number(t, "each position")) for t in answer}
    model = GPT(Sizes(vocab=32), seed=3)
    rng = random.Random(3)
    tokens = [rng.randrange(32) for _ in range(16)]
    changed = [*tokens[:5], (tokens[5] + 1) % 32, *tokens[6:]]
    before, after = model.logits(tokens), model.logits(changed)
    want = {t for t in range(16) if before[t] != after[t]}
    if given != want:
        raise Wrong(f"{sorted(given)} is not the set of positions whose logits change")
    return "The logits before position 5 do not move: the model cannot peek at the token it is asked to predict."


@exercise(
    "10.4",
    "sampling at a temperature",
    "Divide every logit by the temperature, then take the softmax: exp(zᵢ/T − m) / Σⱼ exp(zⱼ/T − m), with m the "
    "largest zᵢ/T.",
)
def _(answer):
    fn = as_function(answer, "probabilities")
    cases = [([2.0, 1.0, 0.0], 1.0), ([2.0, 1.0, 0.0], 0.5), ([2.0, 1.0, 0.0], 2.0), ([0.3, -1.2, 0.3, 4.0], 0.7),
             ([1.0, 1.0], 3.0), ([5.0, 4.0, -2.0], 0.05),
             ([5.0, 4.0, -2.0], 0.001), ([800.0, 790.0], 1.0)]  # fmt: skip  # the last two overflow exp unless shifted
    for logits, temperature in cases:
        got = as_sequence(fn(logits, temperature), len(logits), f"probabilities({logits}, {temperature})")
        norm = logsumexp([Value(z / temperature) for z in logits]).data
        for i, (g, z) in enumerate(zip(got, logits)):
            close(g, math.exp(z / temperature - norm), f"probability {i} of probabilities({logits}, {temperature})",
                  rel=1e-9, abs_=1e-12)  # fmt: skip
    return ("At T = 0.5 the likeliest of [2, 1, 0] gets 87% of the draws, at T = 2 only 51%: a low temperature "
            "repeats the model's favourite, a high one takes risks.")
