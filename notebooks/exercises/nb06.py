"""Checks for notebook 06 (Boltzmann machines): probabilities, conditionals, Gibbs sampling, free energy."""

from __future__ import annotations

import itertools
import math
import random

from autograd import logsumexp
from nn import RBM, softmax
from nn.data import bars_and_stripes

from . import Wrong, as_function, as_number, as_sequence, exercise, present


@exercise(
    "06.1",
    "the Boltzmann distribution",
    "It is a softmax of −E/T. Subtract the smallest energy from all of them first: the probabilities do not change, "
    "and the largest term becomes e^0 = 1.",
)
def _(answer):
    fn = as_function(answer, "boltzmann_probs")
    for energies, T in (([0.0, 1.0, 2.0], 1.0), ([0.5, -0.3, 0.2, 1.5], 0.25), ([1000.0, 1001.0], 1.0), ([3.0, 3.0], 7.0)):
        got = as_sequence(fn(list(energies), T), len(energies), f"boltzmann_probs({energies}, {T})")
        want = [p.data for p in softmax([-e / T for e in energies])]
        for g, w in zip(got, want):
            number = as_number(g, f"boltzmann_probs({energies}, {T})")
            if math.isnan(number) or not math.isclose(number, w, rel_tol=1e-9, abs_tol=1e-300):
                raise Wrong(f"boltzmann_probs({energies}, {T}) gives {got}, which is not right")


def _energy(s, c, J):
    return -sum(ci * si for ci, si in zip(c, s)) - sum(Jij * s[i] * s[j] for (i, j), Jij in J.items())


def _machines():
    rng = random.Random(6)
    for _ in range(3):
        c = [rng.uniform(-1, 1) for _ in range(4)]
        J = {(i, j): rng.uniform(-1.5, 1.5) for i, j in itertools.combinations(range(4), 2)}
        yield c, J


@exercise(
    "06.2",
    "the conditional of one unit",
    "The unit's input is u = c_i + Σ_j J_ij s_j over the other units j (J holds each pair once, as (min, max)); "
    "then p = σ(u/T).",
)
def _(answer):
    fn = as_function(answer, "p_on")
    for c, J in _machines():
        for T in (1.0, 0.5):
            for s in itertools.product([0, 1], repeat=4):
                for i in range(4):
                    off, on = s[:i] + (0,) + s[i + 1:], s[:i] + (1,) + s[i + 1:]
                    w_off, w_on = math.exp(-_energy(off, c, J) / T), math.exp(-_energy(on, c, J) / T)
                    got = as_number(fn(i, s, list(c), dict(J), T), f"p_on({i}, {s}, ...)")
                    if not math.isclose(got, w_on / (w_off + w_on), rel_tol=1e-9, abs_tol=1e-12):
                        raise Wrong(f"p_on({i}, {s}, ..., T={T}) is {got:.6g}, but the joint distribution gives "
                                    f"{w_on / (w_off + w_on):.6g}")


C3 = [0.5, -0.3, 0.2]
J3 = {(0, 1): 1.0, (0, 2): -1.5, (1, 2): 0.8}


@exercise(
    "06.3",
    "a Gibbs sampler",
    "Keep the state as a list; in each sweep, for i = 0, 1, 2, set state[i] = 1 if rng.random() < p_on(i, ...) else "
    "0, then append tuple(state).",
)
def _(answer):
    fn = as_function(answer, "gibbs_states")
    result = fn(list(C3), dict(J3), 1.0, 20_000, random.Random(0))
    present(result, "gibbs_states's result")
    states = list(result)
    if len(states) != 20_000:
        raise Wrong(f"20,000 sweeps should give 20,000 states, got {len(states)}")
    all_states = list(itertools.product([0, 1], repeat=3))
    weights = [math.exp(-_energy(s, C3, J3)) for s in all_states]
    exact = [w / sum(weights) for w in weights]
    counts = {s: 0 for s in all_states}
    for s in states:
        key = tuple(int(x) for x in s)
        if key not in counts:
            raise Wrong(f"{s} is not a state of three binary units")
        counts[key] += 1
    distance = sum(abs(counts[s] / len(states) - p) for s, p in zip(all_states, exact)) / 2
    if distance > 0.02:
        raise Wrong(f"the frequencies are {distance:.3f} away from p(s) (total variation); a correct sampler gets "
                    "within about 0.01")
    # Right frequencies alone do not make a Gibbs sampler: independent draws from p(s) have them too. A sweep
    # changes the state one unit at a time, so each state depends on the one before, with the sweep's transition
    # probabilities K(s → s'). Compare the pairs (state, next state) with p(s)·K(s → s'), computed exactly: a correct
    # sampler is about 0.02 away, independent draws about 0.16, a sweep in another order about 0.2.
    kernel = _sweep_kernel(C3, J3, 1.0)
    pairs: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    for before, after in zip(states, states[1:]):
        key = (tuple(int(x) for x in before), tuple(int(x) for x in after))
        pairs[key] = pairs.get(key, 0) + 1
    n_pairs = len(states) - 1
    pair_distance = sum(
        abs(pairs.get((s, t), 0) / n_pairs - p * kernel[s][t]) for s, p in zip(all_states, exact) for t in all_states
    ) / 2
    if pair_distance > 0.06:
        raise Wrong(f"the states have the right frequencies, but one sweep does not lead from a state to the next as "
                    f"a Gibbs sweep does (the pairs of consecutive states are {pair_distance:.2f} away, in total "
                    "variation): update the units one at a time, in the order 0, 1, 2, each from the current state")
    return f"The frequencies are {distance:.4f} from the exact p(s) (total variation distance)."


def _sweep_kernel(c, J, T):
    """K[s][t]: the probability that one sweep (units 0, 1, 2 in turn, each drawn from its conditional) turns
    state s into state t, by following every branch of the sweep."""
    def p_on(i, s):
        off, on = s[:i] + (0,) + s[i + 1:], s[:i] + (1,) + s[i + 1:]
        w_off, w_on = math.exp(-_energy(off, c, J) / T), math.exp(-_energy(on, c, J) / T)
        return w_on / (w_off + w_on)

    kernel = {}
    for start in itertools.product([0, 1], repeat=len(c)):
        reach = {start: 1.0}
        for i in range(len(c)):
            nxt: dict[tuple[int, ...], float] = {}
            for s, prob in reach.items():
                q = p_on(i, s)
                for value, share in ((1, q), (0, 1 - q)):
                    t = s[:i] + (value,) + s[i + 1:]
                    nxt[t] = nxt.get(t, 0.0) + prob * share
            reach = nxt
        kernel[start] = {t: reach.get(t, 0.0) for t in itertools.product([0, 1], repeat=len(c))}
    return kernel


@exercise(
    "06.4",
    "the free energy by hand",
    "For each hidden unit j, x_j = b_j + Σ_i v_i·W[i][j]; softplus(x) = log(1 + e^x). Then F = −Σ a_i v_i − Σ_j softplus(x_j).",
)
def _(answer):
    fn = as_function(answer, "free_energy")
    rbm = RBM(5, 3, seed=2, init_std=1.0)
    rng = random.Random(7)
    for p in rbm.a + rbm.b:
        p.data = rng.uniform(-1, 1)
    a, b = [p.data for p in rbm.a], [p.data for p in rbm.b]
    W = [[w.data for w in row] for row in rbm.W]
    for v in ([1.0, 0.0, 1.0, 1.0, 0.0], [0.0] * 5, [1.0] * 5, [0.0, 1.0, 0.0, 1.0, 1.0]):
        got = as_number(fn(list(v), list(a), list(b), [list(r) for r in W]), f"free_energy({v}, ...)")
        want = rbm.free_energy(v).data
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            raise Wrong(f"free_energy({v}, ...) is {got:.6g}, but RBM.free_energy gives {want:.6g}")


@exercise(
    "06.5",
    "a hidden unit that adds nothing",
    "With all-zero weights, what is the unit's input b_j + (vᵀW)_j, whatever v is? Put that into the formula of F.",
)
def _(answer):
    fn = as_function(answer, "added_free_energy")
    for c in (-3.0, 0.0, 0.7, 5.0):
        got = as_number(fn(c), f"added_free_energy({c})")
        want = -math.log1p(math.exp(c))
        if not math.isclose(got, want, rel_tol=1e-9):
            raise Wrong(f"added_free_energy({c}) is {got:.6g}, which is not right")
    return ("A constant added to every F(v) cancels between e^(−F(v)) and Z, so p(v) does not change: the best RBM "
            "with k + 1 hidden units is at least as good as the best with k. Training may still not find it.")


@exercise(
    "06.6",
    "the exact likelihood gradient",
    "−log p(v) = F(v) + log Z, so the gradient of the mean over the data is mean ∂F/∂W over the data minus the "
    "average of ∂F/∂W over all 512 images weighted by p(v) = e^(−F(v))/Z; ∂F/∂Wᵢⱼ = −vᵢ σ(bⱼ + (vᵀW)ⱼ).",
)
def _(answer):
    fn = as_function(answer, "exact_nll_grad_W")
    rbm = RBM(9, 8, seed=0)
    data = bars_and_stripes(3)
    images = [[float((n >> i) & 1) for i in range(9)] for n in range(512)]
    # the reference: autodiff of mean F(data) + log Σ_v e^(−F(v)), the log-partition function as one logsumexp node
    nll = sum(rbm.free_energy(v) for v in data) / len(data) + logsumexp([-rbm.free_energy(v) for v in images])
    for p in rbm.parameters():
        p.grad = 0.0
    nll.backward()
    got = as_sequence(fn(rbm, data), 9, "exact_nll_grad_W(rbm, data)")
    for i, row in enumerate(got):
        row = as_sequence(row, 8, f"row {i} of the gradient")
        for j, g in enumerate(row):
            want = rbm.W[i][j].grad
            if not math.isclose(as_number(g, f"entry ({i}, {j})"), want, rel_tol=1e-7, abs_tol=1e-10):
                raise Wrong(f"entry ({i}, {j}) of the gradient is {g:.6g}, but it should be {want:.6g}")
