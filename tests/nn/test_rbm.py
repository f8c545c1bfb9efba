"""nn.rbm: energies and free energy against hand-derived formulas; CD training lowers the error."""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import close

from autograd import Value, gradcheck
from nn.data import bars_and_stripes
from nn.rbm import RBM, softplus


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def make_rbm(n_visible: int = 4, n_hidden: int = 3, seed: int = 7) -> RBM:
    """An RBM with biases that are not zero, so every term of the formulas is exercised."""
    rbm = RBM(n_visible, n_hidden, seed=seed, init_std=0.8)
    for i, a in enumerate(rbm.a):
        a.data = 0.3 - 0.2 * i
    for j, b in enumerate(rbm.b):
        b.data = -0.4 + 0.35 * j
    return rbm


def hidden_input(rbm: RBM, v: list[float], j: int) -> float:
    return rbm.b[j].data + sum(v[i] * rbm.W[i][j].data for i in range(rbm.n_visible))


def test_energy_matches_its_definition() -> None:
    rbm = make_rbm()
    v, h = [1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0]
    expected = (
        -sum(a.data * vi for a, vi in zip(rbm.a, v, strict=True))
        - sum(b.data * hj for b, hj in zip(rbm.b, h, strict=True))
        - sum(v[i] * rbm.W[i][j].data * h[j] for i in range(4) for j in range(3))
    )
    assert close(rbm.energy(v, h).data, expected)


def test_free_energy_is_minus_log_of_the_sum_over_hidden_states() -> None:
    """F(v) = −log Σ_h exp(−E(v, h)): checked by summing all 2^k hidden states explicitly."""
    rbm = make_rbm()
    for v in itertools.product([0.0, 1.0], repeat=4):
        total = sum(math.exp(-rbm.energy(list(v), list(h)).data) for h in itertools.product([0.0, 1.0], repeat=3))
        assert close(rbm.free_energy(list(v)).data, -math.log(total), rtol=1e-12, atol=1e-12)


def test_free_energy_gradient_matches_the_hand_derived_formula() -> None:
    """∂F/∂W = −v σ(b + vᵀW)ᵀ, ∂F/∂a = −v, ∂F/∂b = −σ(b + vᵀW), within 1e-9."""
    rbm = make_rbm()
    v = [1.0, 0.0, 1.0, 1.0]
    rbm.zero_grad()
    rbm.free_energy(v).backward()
    for j in range(rbm.n_hidden):
        p = sigmoid(hidden_input(rbm, v, j))
        assert abs(rbm.b[j].grad - (-p)) <= 1e-9
        for i in range(rbm.n_visible):
            assert abs(rbm.W[i][j].grad - (-v[i] * p)) <= 1e-9
    for i in range(rbm.n_visible):
        assert abs(rbm.a[i].grad - (-v[i])) <= 1e-9


def test_free_energy_gap_gradient_is_the_cd_statistic() -> None:
    """−∂L/∂W = ⟨v p(h|v)ᵀ⟩_data − ⟨v p(h|v)ᵀ⟩_model, with the model samples held fixed."""
    rbm = make_rbm(seed=3)
    batch = [[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]]
    state = rbm.rng.getstate()
    negatives = [rbm.gibbs(v, k=2) for v in batch]
    rbm.rng.setstate(state)  # the gap draws the same negatives from the same generator state
    rbm.zero_grad()
    rbm.free_energy_gap(batch, k=2).backward()
    n = len(batch)
    for i, j in itertools.product(range(4), range(3)):
        positive = sum(v[i] * sigmoid(hidden_input(rbm, v, j)) for v in batch) / n
        negative = sum(v[i] * sigmoid(hidden_input(rbm, v, j)) for v in negatives) / n
        assert abs(-rbm.W[i][j].grad - (positive - negative)) <= 1e-9


def test_conditionals_are_sigmoids_of_the_unit_inputs() -> None:
    rbm = make_rbm()
    v, h = [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0]
    for j, p in enumerate(rbm.p_h_given_v(v)):
        assert close(p, sigmoid(hidden_input(rbm, v, j)))
    for i, p in enumerate(rbm.p_v_given_h(h)):
        z = rbm.a[i].data + sum(rbm.W[i][j].data * h[j] for j in range(3))
        assert close(p, sigmoid(z))


def test_p_h_given_v_is_the_exact_conditional_of_the_boltzmann_distribution() -> None:
    """p(h₀ = 1 | v) from summing exp(−E) over all hidden states equals the sigmoid."""
    rbm = make_rbm()
    v = [1.0, 1.0, 0.0, 1.0]
    states = list(itertools.product([0.0, 1.0], repeat=3))
    weights = [math.exp(-rbm.energy(v, list(h)).data) for h in states]
    on = sum(w for w, h in zip(weights, states, strict=True) if h[0] == 1.0) / sum(weights)
    assert close(rbm.p_h_given_v(v)[0], on)


def test_softplus_is_stable_and_its_gradient_is_the_sigmoid() -> None:
    assert softplus(Value(1000.0)).data == 1000.0
    assert softplus(Value(-1000.0)).data == 0.0
    assert close(softplus(Value(0.5)).data, math.log1p(math.exp(0.5)))
    for x in (-30.0, -2.0, 0.0, 0.7, 40.0):
        gradcheck(lambda t: softplus(t), [x])
        leaf = Value(x)
        softplus(leaf).backward()
        assert close(leaf.grad, sigmoid(x))


def test_samples_are_binary_and_follow_the_probabilities() -> None:
    rbm = make_rbm()
    v = [1.0, 0.0, 1.0, 1.0]
    probs = rbm.p_h_given_v(v)
    draws = [rbm.sample_h(v) for _ in range(4000)]
    assert all(set(d) <= {0.0, 1.0} for d in draws)
    for j, p in enumerate(probs):
        freq = sum(d[j] for d in draws) / len(draws)
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / len(draws)) + 1e-3


def test_reconstruction_error_is_half_squared_for_an_untrained_zero_model() -> None:
    rbm = RBM(9, 4, seed=0, init_std=0.0)
    assert rbm.reconstruction_error(bars_and_stripes(3)) == pytest.approx(0.25, abs=1e-12)


def test_cd_training_lowers_the_reconstruction_error_below_half() -> None:
    data = bars_and_stripes(3)
    rbm = RBM(9, 8, seed=0)
    before = rbm.reconstruction_error(data)
    history = rbm.fit(data, epochs=200, k=1, lr=1.0)
    assert len(history) == 200
    assert history[-1] == rbm.reconstruction_error(data)
    assert history[-1] < 0.5 * before


def test_training_is_deterministic_under_a_seed() -> None:
    data = bars_and_stripes(3)
    runs = []
    for seed in (4, 4, 5):
        rbm = RBM(9, 6, seed=seed)
        rbm.fit(data, epochs=5, k=2, lr=0.5, batch_size=4)
        runs.append([p.data for p in rbm.parameters()])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_fit_pauses_the_collector_during_each_step_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rbm = RBM(9, 4, seed=0)
    during: list[bool] = []
    cd_step = rbm.cd_step

    def noting(*args: Any, **kwargs: Any) -> float:
        during.append(gc.isenabled())
        return cd_step(*args, **kwargs)

    monkeypatch.setattr(rbm, "cd_step", noting)
    gc.enable()
    rbm.fit(bars_and_stripes(3), epochs=2, batch_size=4)
    assert during == [False] * 8  # 14 patterns in batches of 4: 4 steps per epoch
    assert gc.isenabled()


def test_cd_step_returns_the_gap_and_moves_parameters_against_its_gradient() -> None:
    rbm = make_rbm(seed=11)
    batch = [[1.0, 1.0, 0.0, 0.0]]
    state = rbm.rng.getstate()
    expected_gap = rbm.free_energy_gap(batch, k=1)
    expected_gap.backward()
    expected = [p.data - 0.05 * p.grad for p in rbm.parameters()]
    rbm.rng.setstate(state)
    gap = rbm.cd_step(batch, k=1, lr=0.05)
    assert close(gap, expected_gap.data)
    assert all(close(p.data, e) for p, e in zip(rbm.parameters(), expected, strict=True))


NAN, INF = math.nan, math.inf
GOOD = [1.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda r: RBM(0, 3), ValueError, "n_visible must be >= 1"),
        (lambda r: RBM(3, 2.0), TypeError, "n_hidden expects an int"),
        (lambda r: RBM(3, 2, init_std=10**400), ValueError, "init_std must be a finite number >= 0, got an int of"),
        (lambda r: RBM(3, 2, init_std=math.nan), ValueError, "init_std must be a finite number >= 0, got nan"),
        (lambda r: RBM(3, 2, init_std="0.1"), TypeError, "init_std expects a finite number >= 0, got str"),
        (lambda r: r.free_energy([1.0, 0.0]), ValueError, "v must have 4 entries, got 2"),
        (lambda r: r.free_energy([1.0, NAN, 0.0, 1.0]), ValueError, r"v\[1\] \(visible unit 1\) is nan"),
        (lambda r: r.energy(GOOD, [0.0, INF, 1.0]), ValueError, r"h\[1\] \(hidden unit 1\) is inf"),
        (lambda r: r.p_v_given_h([1.0, "x", 0.0]), TypeError, r"h\[1\] \(hidden unit 1\) expects a number, got str"),
        (lambda r: r.p_h_given_v([1.0, 0.0, -INF, 1.0]), ValueError, r"v\[2\] \(visible unit 2\) is -inf"),
        (lambda r: r.reconstruction_error([GOOD, [0.0, 0.0, 0.0, NAN]]), ValueError,
         r"data\[1\]\[3\] \(sample 1, visible unit 3\) is nan"),
        (lambda r: r.gibbs([1.0, 0.0, 1.0, 1.0], k=0), ValueError, "k must be >= 1"),
        (lambda r: r.cd_step([[1.0, 0.0, 1.0, 1.0]], lr=0.0), ValueError, "lr must be a finite number > 0"),
        (lambda r: r.cd_step([GOOD, [NAN, 0.0, 0.0, 0.0]], lr=0.1), ValueError,
         r"data\[1\]\[0\] \(sample 1, visible unit 0\) is nan"),
    ],
)
def test_rbm_rejects_bad_arguments_naming_them(
    call: Callable[[RBM], object], error: type[Exception], words: str
) -> None:
    rbm = make_rbm()
    before = [p.data for p in rbm.parameters()]
    with pytest.raises(error, match=words):
        call(rbm)
    assert [p.data for p in rbm.parameters()] == before


def data_with(n: int, i: int, value: Any) -> list[list[Any]]:
    """bars_and_stripes(2) with entry [n][i] replaced by ``value``."""
    data: list[list[Any]] = bars_and_stripes(2)
    data[n][i] = value
    return data


@pytest.mark.parametrize(
    "data, kwargs, error, words",
    [
        (data_with(1, 2, NAN), {}, ValueError, r"^RBM: data\[1\]\[2\] \(sample 1, visible unit 2\) is nan: every number"),
        (data_with(5, 3, NAN), {}, ValueError, r"^RBM: data\[5\]\[3\] \(sample 5, visible unit 3\) is nan"),
        (data_with(0, 0, INF), {}, ValueError, r"^RBM: data\[0\]\[0\] \(sample 0, visible unit 0\) is inf"),
        (data_with(2, 1, -INF), {}, ValueError, r"^RBM: data\[2\]\[1\] \(sample 2, visible unit 1\) is -inf"),
        (data_with(2, 1, Value(NAN)), {}, ValueError, r"^RBM: data\[2\]\[1\] \(sample 2, visible unit 1\) is nan"),
        (data_with(2, 1, 10**400), {}, ValueError, r"^RBM: data\[2\]\[1\] .* is an int too large for a float"),
        (data_with(3, 0, "1"), {}, TypeError, r"^RBM: data\[3\]\[0\] \(sample 3, visible unit 0\) expects a number"),
        (data_with(3, 0, None), {}, TypeError, r"^RBM: data\[3\]\[0\] .* expects a number, got NoneType"),
        (data_with(3, 0, True), {}, TypeError, r"^RBM: data\[3\]\[0\] .* expects a number, got bool"),
        ([[1.0, 0.0, 1.0]], {}, ValueError, r"^RBM: data\[0\] must have 4 entries, got 3"),
        ([], {}, ValueError, "^RBM: data must not be empty"),
        ("1010", {}, TypeError, "^RBM: data expects a list of visible vectors, got str"),
        (bars_and_stripes(2), {"epochs": 0}, ValueError, "^RBM: epochs must be an int >= 1"),
        (bars_and_stripes(2), {"k": 0}, ValueError, "^RBM: k must be >= 1 Gibbs steps, got 0"),
        (bars_and_stripes(2), {"k": 1.0}, TypeError, "^RBM: k expects an int, got float"),
        (bars_and_stripes(2), {"lr": NAN}, ValueError, "^RBM: lr must be a finite number > 0, got nan"),
        (bars_and_stripes(2), {"lr": INF}, ValueError, "^RBM: lr must be a finite number > 0, got inf"),
        (bars_and_stripes(2), {"lr": "0.1"}, TypeError, "^RBM: lr expects a finite number > 0, got str"),
        (bars_and_stripes(2), {"lr": 10**400}, ValueError, "^RBM: lr must be a finite number > 0, got an int of 1329 bits"),
        (bars_and_stripes(2), {"lr": -(10**5000)}, ValueError, "^RBM: lr must be a finite number > 0, got an int of"),
        (bars_and_stripes(2), {"batch_size": -1}, ValueError, "^RBM: batch_size must be an int >= 0"),
    ],
)
def test_rbm_fit_rejects_bad_arguments_before_any_step(
    data: Any, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    """One row per bad argument of RBM.fit; every parameter must be exactly as before."""
    rbm = make_rbm()
    before = [p.data for p in rbm.parameters()]
    with pytest.raises(error, match=words):
        rbm.fit(data, **{"epochs": 2, **kwargs})
    assert [p.data for p in rbm.parameters()] == before


def test_rbm_is_a_module_that_saves_and_loads(tmp_path: Path) -> None:
    rbm = make_rbm()
    names = [name for name, _ in rbm.named_parameters()]
    assert names[:2] == ["W.0.0", "W.0.1"] and names[-1] == "b.2" and len(names) == 4 * 3 + 4 + 3
    assert [v for _, v in rbm.named_parameters()] == rbm.parameters()
    path = tmp_path / "rbm.json"
    rbm.save(path)
    other = RBM(4, 3, seed=99)
    other.load(path)
    assert other.state_dict() == rbm.state_dict()
    v = [1.0, 0.0, 0.0, 1.0]
    assert other.free_energy(v).data == rbm.free_energy(v).data
    with pytest.raises(ValueError, match="does not fit this model"):
        RBM(5, 3).load(path)
