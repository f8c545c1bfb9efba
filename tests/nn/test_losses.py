"""Losses and the softmax family against PyTorch float64: values and gradients, and their errors."""

from __future__ import annotations

import math
import random

import pytest
from helpers import close, require
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import binary_cross_entropy, cross_entropy, hinge_loss, log_softmax, mse_loss, softmax

RTOL, ATOL = 1e-10, 1e-12


def _torch():
    return require("torch")


def _values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def _leaf(torch, xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def _assert_matches(ours: Value, our_inputs: list[Value], theirs, their_input) -> None:
    ours.backward()
    theirs.backward()
    assert close(ours.data, theirs.item(), RTOL, ATOL), (ours.data, theirs.item())
    for o, t in zip(our_inputs, their_input.grad.tolist()):
        assert close(o.grad, t, RTOL, ATOL), (o.grad, t)


CASES = [
    [0.3, -1.2, 2.5, 0.0],
    [1000.0, -1000.0, 3.0],
    [-1000.0, -999.0, -1001.0],
    [5.0],
    [0.0, 0.0],
]


# --- softmax, log_softmax ---


@pytest.mark.parametrize("logits", CASES)
@pytest.mark.parametrize("index", [0, -1])
def test_softmax_matches_torch(logits, index):
    torch = _torch()
    zs = _values(logits)
    t = _leaf(torch, logits)
    # a weighted sum of the outputs exercises the whole Jacobian
    weights = [0.5 + i for i in range(len(logits))]
    ours = sum(w * s for w, s in zip(weights, softmax(zs)))
    theirs = (torch.softmax(t, dim=0) * torch.tensor(weights, dtype=torch.float64)).sum()
    _assert_matches(ours, zs, theirs, t)
    single = softmax(_values(logits))[index]
    assert close(single.data, torch.softmax(torch.tensor(logits, dtype=torch.float64), 0)[index].item(), RTOL, ATOL)


@pytest.mark.parametrize("logits", CASES)
def test_log_softmax_matches_torch(logits):
    torch = _torch()
    zs = _values(logits)
    t = _leaf(torch, logits)
    weights = [1.0 - 0.3 * i for i in range(len(logits))]
    ours = sum(w * s for w, s in zip(weights, log_softmax(zs)))
    theirs = (torch.log_softmax(t, dim=0) * torch.tensor(weights, dtype=torch.float64)).sum()
    _assert_matches(ours, zs, theirs, t)


def test_softmax_at_plus_minus_1000_is_finite_and_sums_to_one():
    for logits in ([1000.0, -1000.0], [1000.0, 1000.0], [-1000.0, -1000.0, -1000.0]):
        ps = softmax(_values(logits))
        assert all(math.isfinite(p.data) for p in ps)
        assert close(sum(p.data for p in ps), 1.0)
        lps = log_softmax(_values(logits))
        assert all(math.isfinite(p.data) for p in lps)
        sum_values = lps[0] + lps[-1]
        sum_values.backward()
    assert [p.data for p in softmax(_values([1000.0, -1000.0]))] == [1.0, 0.0]
    assert [p.data for p in log_softmax(_values([1000.0, -1000.0]))] == [0.0, -2000.0]


def test_softmax_accepts_numbers_as_constants():
    ps = softmax([1.0, Value(2.0)])
    assert close(ps[1].data, math.exp(2) / (math.e + math.exp(2)))


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_softmax_errors(fn):
    with pytest.raises(ValueError, match="must not be empty"):
        fn([])
    with pytest.raises(TypeError, match="expects a sequence"):
        fn(Value(1.0))
    with pytest.raises(TypeError, match=r"logits\[1\].*str"):
        fn([Value(1.0), "a"])


# --- mse ---


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_matches_torch(reduction):
    torch = _torch()
    preds = [0.3, -1.2, 2.5, 4.0]
    targets = [1.0, -1.0, 2.0, -3.5]
    ps = _values(preds)
    t = _leaf(torch, preds)
    ours = mse_loss(ps, targets, reduction=reduction)
    theirs = torch.nn.functional.mse_loss(t, torch.tensor(targets, dtype=torch.float64), reduction=reduction)
    _assert_matches(ours, ps, theirs, t)


def test_mse_sum_is_the_sum_of_squared_errors_and_mean_divides_by_n():
    preds, targets = [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]
    assert mse_loss(_values(preds), targets, reduction="sum").data == 14.0
    assert close(mse_loss(_values(preds), targets).data, 14.0 / 3.0)


def test_mse_accepts_scalars():
    p = Value(3.0)
    loss = mse_loss(p, 1.0)
    loss.backward()
    assert loss.data == 4.0 and p.grad == 4.0
    assert mse_loss(1.0, Value(3.0)).data == 4.0


def test_mse_errors():
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        mse_loss(_values([1.0, 2.0]), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduction expects 'mean' or 'sum', got 'avg'"):
        mse_loss(_values([1.0]), [1.0], reduction="avg")
    with pytest.raises(ValueError, match="must not be empty"):
        mse_loss([], [])
    with pytest.raises(TypeError, match=r"targets\[0\].*str"):
        mse_loss(_values([1.0]), ["a"])


# --- hinge ---


def test_hinge_matches_torch():
    torch = _torch()
    scores = [2.0, 0.5, -0.3, -4.0, 0.999, 1.5]
    labels = [1, 1, -1, 1, -1, -1]
    ss = _values(scores)
    t = _leaf(torch, scores)
    ours = hinge_loss(ss, labels)
    y = torch.tensor(labels, dtype=torch.float64)
    theirs = torch.nn.functional.relu(1 - y * t).mean()
    _assert_matches(ours, ss, theirs, t)


def test_hinge_errors():
    with pytest.raises(ValueError, match=r"labels must be \+1 or -1, got 0.0 at labels\[1\]"):
        hinge_loss(_values([1.0, 2.0]), [1, 0])
    with pytest.raises(ValueError, match="same length"):
        hinge_loss(_values([1.0, 2.0]), [1])


# --- binary cross-entropy ---


@pytest.mark.parametrize(
    ("logits", "targets"),
    [
        ([0.3, -1.2, 2.5, 0.0, -0.0], [1.0, 0.0, 1.0, 1.0, 0.0]),
        ([1000.0, -1000.0, 1000.0, -1000.0], [1.0, 0.0, 0.0, 1.0]),
        ([0.7, -3.0], [0.25, 0.9]),  # soft targets
        ([0.0], [0.5]),
    ],
)
def test_bce_matches_torch(logits, targets):
    torch = _torch()
    zs = _values(logits)
    t = _leaf(torch, logits)
    ours = binary_cross_entropy(zs, targets)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64))
    _assert_matches(ours, zs, theirs, t)
    assert math.isfinite(ours.data)


def test_bce_gradient_at_zero_is_sigmoid_minus_target():
    z = Value(0.0)
    binary_cross_entropy([z], [1.0]).backward()
    assert z.grad == -0.5


def test_bce_errors():
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\], got 2.0 at targets\[0\]"):
        binary_cross_entropy(_values([1.0]), [2.0])
    with pytest.raises(ValueError, match="same length, got 1 and 2"):
        binary_cross_entropy(_values([1.0]), [1.0, 0.0])


# --- cross-entropy ---


@pytest.mark.parametrize("logits", CASES)
def test_cross_entropy_one_sample_matches_torch(logits):
    torch = _torch()
    for target in range(len(logits)):
        zs = _values(logits)
        t = _leaf(torch, logits)
        ours = cross_entropy(zs, target)
        theirs = torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([target]))
        _assert_matches(ours, zs, theirs, t)
        assert math.isfinite(ours.data)


def test_cross_entropy_batch_is_the_mean_and_matches_torch():
    torch = _torch()
    rng = random.Random(0)
    batch = [[rng.uniform(-3, 3) for _ in range(4)] for _ in range(5)]
    batch[2] = [1000.0, -1000.0, 0.0, 999.0]
    targets = [0, 3, 1, 2, 3]
    zs = [_values(row) for row in batch]
    t = _leaf(torch, batch)
    ours = cross_entropy(zs, targets)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    ours.backward()
    theirs.backward()
    assert close(ours.data, theirs.item(), RTOL, ATOL)
    for row, trow in zip(zs, t.grad.tolist()):
        for o, g in zip(row, trow):
            assert close(o.grad, g, RTOL, ATOL)


def test_cross_entropy_errors():
    zs = _values([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"class index in \[0, 2\] for 3 logits, got 3"):
        cross_entropy(zs, 3)
    with pytest.raises(ValueError, match="got -1"):
        cross_entropy(zs, -1)
    with pytest.raises(TypeError, match="an int class index, or a sequence of 3 class probabilities, got float"):
        cross_entropy(zs, 1.0)
    with pytest.raises(TypeError, match="bool"):
        cross_entropy(zs, True)
    with pytest.raises(ValueError, match="2 samples and 1 targets"):
        cross_entropy([zs, zs], [0])
    with pytest.raises(ValueError, match=r"sample 1: target expects a class index in \[0, 2\]"):
        cross_entropy([zs, zs], [0, 5])
    with pytest.raises(TypeError, match=r"target expects a sequence of targets \(class indices or probability"):
        cross_entropy([zs, zs], 0)
    with pytest.raises(ValueError, match="must not be empty"):
        cross_entropy([], 0)


# --- cross-entropy against a probability vector (one-hot or soft targets) ---

SOFT = {
    1: [[1.0]],
    2: [[1.0, 0.0], [0.0, 1.0], [0.25, 0.75]],
    3: [[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0]],
    4: [[0.0, 0.0, 0.0, 1.0], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]],
}


@pytest.mark.parametrize("logits", CASES)
def test_cross_entropy_with_probability_targets_matches_torch(logits):
    """Values, logit gradients and target gradients against F.cross_entropy with class probabilities."""
    torch = _torch()
    for probs in SOFT[len(logits)]:
        zs, ts = _values(logits), _values(probs)
        t, tt = _leaf(torch, logits), _leaf(torch, probs)
        ours = cross_entropy(zs, ts)
        theirs = torch.nn.functional.cross_entropy(t.unsqueeze(0), tt.unsqueeze(0))
        _assert_matches(ours, zs, theirs, t)
        for o, g in zip(ts, tt.grad.tolist()):  # ∂/∂tₖ = logsumexp(z) − zₖ
            assert close(o.grad, g, RTOL, ATOL), (logits, probs, o.grad, g)
        assert math.isfinite(ours.data)
        plain = cross_entropy(_values(logits), probs)  # plain numbers as targets: the same loss
        assert plain.data == ours.data


@pytest.mark.parametrize("logits", CASES)
def test_one_hot_targets_give_exactly_the_class_index_loss_and_gradients(logits):
    for k in range(len(logits)):
        by_index, by_vector = _values(logits), _values(logits)
        a = cross_entropy(by_index, k)
        b = cross_entropy(by_vector, [float(j == k) for j in range(len(logits))])
        a.backward()
        b.backward()
        assert a.data == b.data
        assert [z.grad for z in by_index] == [z.grad for z in by_vector]


def test_cross_entropy_batch_mixes_indices_and_probability_vectors_and_matches_torch():
    torch = _torch()
    batch = [[0.5, -1.5, 2.0], [1000.0, -1000.0, 999.0], [-3.0, 0.0, 3.0], [800.0, -800.0, 0.0]]
    targets = [2, [0.0, 0.0, 1.0], [0.5, 0.25, 0.25], 1]
    dense = [[float(j == t) for j in range(3)] if isinstance(t, int) else t for t in targets]
    zs = [_values(row) for row in batch]
    t = _leaf(torch, batch)
    ours = cross_entropy(zs, targets)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(dense, dtype=torch.float64))
    ours.backward()
    theirs.backward()
    assert close(ours.data, theirs.item(), RTOL, ATOL), (ours.data, theirs.item())
    for row, trow in zip(zs, t.grad.tolist()):
        for o, g in zip(row, trow):
            assert close(o.grad, g, RTOL, ATOL), (o.grad, g)


def test_cross_entropy_probability_targets_are_checked_and_the_error_names_the_sample():
    zs = _values([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expects 3 class probabilities, one per logit, got 2"):
        cross_entropy(zs, [0.5, 0.5])
    with pytest.raises(ValueError, match=r"target\[0\] expects a finite, non-negative probability, got -0.5"):
        cross_entropy(zs, [-0.5, 1.0, 0.5])
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match=r"target\[1\] expects a finite, non-negative probability, got (nan|inf)"):
            cross_entropy(zs, [0.0, bad, 0.0])
    with pytest.raises(ValueError, match=r"sum to 1 \(within 1e-9\), got a sum of 0.9"):
        cross_entropy(zs, [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="got a sum of 1.000000001"):
        cross_entropy(zs, [0.0, 0.000000001, 1.0])
    cross_entropy(zs, [0.0, 1e-10, 1.0])  # within 1e-9 of 1: accepted
    with pytest.raises(TypeError, match=r"target\[2\] expects a probability .* got bool"):
        cross_entropy(zs, [0.0, 0.0, True])
    with pytest.raises(TypeError, match=r"target\[0\] expects a probability .* got str"):
        cross_entropy(zs, ["1", 0.0, 0.0])
    with pytest.raises(TypeError, match="got str 'abc'"):
        cross_entropy(zs, "abc")
    with pytest.raises(TypeError, match="got Value"):
        cross_entropy(zs, Value(1.0))
    with pytest.raises(TypeError, match="got NoneType"):
        cross_entropy(zs, None)
    with pytest.raises(ValueError, match=r"cross_entropy: sample 1: target expects class probabilities that sum to 1"):
        cross_entropy([zs, zs], [[0.0, 1.0, 0.0], [0.5, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"cross_entropy: sample 0: target\[1\] expects a finite, non-negative"):
        cross_entropy([zs, zs], [[1.5, -0.5, 0.0], 2])
    with pytest.raises(TypeError, match=r"for a batch of 2 samples, target expects a sequence of targets .* got Value"):
        cross_entropy([zs, zs], Value(0.0))


def test_softmax_and_log_softmax_read_no_data_one_logsumexp_node_each():
    """The max shift lives in the logsumexp op: log_softmax is zᵢ − one logsumexp node."""
    zs = _values([0.5, 1000.0, -3.0])
    outs = log_softmax(zs)
    (lse,) = {out.parents[1] for out in outs}
    assert lse.op == "logsumexp" and lse.parents == tuple(zs)
    assert [out.op for out in outs] == ["sub"] * 3 and [out.parents[0] for out in outs] == zs
    probs = softmax(zs)  # e^(zᵢ − lse), one shared lse
    assert [p.op for p in probs] == ["exp"] * 3
    (shared,) = {p.parents[0].parents[1] for p in probs}
    assert shared.op == "logsumexp" and shared.parents == tuple(zs)


# --- properties over random logits ---

_logit_lists = st.lists(st.floats(-60.0, 60.0, allow_nan=False), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(logits=_logit_lists, data=st.data())
def test_cross_entropy_and_softmax_match_torch_on_random_logits(logits, data):
    torch = _torch()
    target = data.draw(st.integers(0, len(logits) - 1))
    zs = _values(logits)
    t = _leaf(torch, logits)
    _assert_matches(
        cross_entropy(zs, target), zs, torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([target])), t
    )
    ps = [p.data for p in softmax(_values(logits))]
    assert close(sum(ps), 1.0, 1e-12, 1e-12)
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float64), 0).tolist()
    assert all(close(p, e, RTOL, 1e-15) for p, e in zip(ps, expected))


@settings(max_examples=60, deadline=None)
@given(
    logits=st.lists(st.floats(-900.0, 900.0, allow_nan=False), min_size=1, max_size=6),
    weights=st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=6, max_size=6),
)
def test_cross_entropy_with_soft_targets_matches_torch_on_random_logits(logits, weights):
    torch = _torch()
    w = weights[: len(logits)]
    if sum(w) == 0.0:
        w = [1.0] * len(logits)
    probs = [x / math.fsum(w) for x in w]
    if abs(math.fsum(probs) - 1.0) > 1e-9:
        return
    zs = _values(logits)
    t = _leaf(torch, [logits])
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor([probs], dtype=torch.float64))
    # logits up to ±900: their differences reach 1800, so compare relative to the loss's own size
    ours = cross_entropy(zs, probs)
    ours.backward()
    theirs.backward()
    assert close(ours.data, theirs.item(), RTOL, 1e-12 * max(1.0, max(abs(z) for z in logits)))
    for o, g in zip(zs, t.grad[0].tolist()):
        assert close(o.grad, g, RTOL, ATOL), (o.grad, g)


@settings(max_examples=60, deadline=None)
@given(logits=_logit_lists, data=st.data())
def test_bce_matches_torch_on_random_logits(logits, data):
    torch = _torch()
    targets = data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.3]), min_size=len(logits), max_size=len(logits)))
    zs = _values(logits)
    t = _leaf(torch, logits)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64))
    _assert_matches(binary_cross_entropy(zs, targets), zs, theirs, t)
