"""SGD, Adam (and AdamW) step for step against torch.optim in float64; LinearDecay; errors."""

from __future__ import annotations

import random

import pytest
from helpers import close, require

from autograd import Value, is_grad_enabled
from nn import MLP, SGD, Adam, LinearDecay, Module, mse_loss

STEPS = 8
RTOL, ATOL = 1e-9, 1e-12

# A small regression problem: a 2-4-1 tanh network on six points.
X = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.0, 0.0], [2.0, -2.0], [-1.2, -0.4]]
Y = [0.3, -0.8, 0.5, 0.1, 1.2, -0.6]


def _run_ours(make_opt, steps: int = STEPS) -> list[list[float]]:
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    opt = make_opt(model.parameters())
    history = []
    for _ in range(steps):
        opt.zero_grad()
        mse_loss([model(x) for x in X], Y).backward()
        opt.step()
        history.append([p.data for p in model.parameters()])
    return history


def _run_torch(torch, make_opt, steps: int = STEPS) -> list[list[float]]:
    """The same network written in torch, starting from the same weights."""
    start = MLP(2, [4, 1], activation="tanh", seed=0)
    w1 = torch.tensor([[w.data for w in n.w] for n in start.layers[0].neurons], dtype=torch.float64)
    b1 = torch.tensor([n.b.data for n in start.layers[0].neurons], dtype=torch.float64)
    w2 = torch.tensor([[w.data for w in n.w] for n in start.layers[1].neurons], dtype=torch.float64)
    b2 = torch.tensor([n.b.data for n in start.layers[1].neurons], dtype=torch.float64)
    params = [t.requires_grad_() for t in (w1, b1, w2, b2)]
    opt = make_opt(params)
    x = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(Y, dtype=torch.float64)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        out = (torch.tanh(x @ w1.T + b1) @ w2.T + b2).squeeze(1)
        torch.nn.functional.mse_loss(out, y).backward()
        opt.step()
        flat = []  # our parameter order: neuron by neuron, its weights then its bias
        with torch.no_grad():
            for w, b in ((w1, b1), (w2, b2)):
                for j in range(w.shape[0]):
                    flat.extend(w[j].tolist())
                    flat.append(b[j].item())
        history.append(flat)
    return history


def _compare(ours: list[list[float]], theirs: list[list[float]]) -> None:
    for step, (o, t) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(o, t)):
            assert close(a, b, RTOL, ATOL), f"step {step + 1}, parameter {i}: {a} != {b}"
    # the test must see movement, or it would pass for an optimizer that does nothing
    assert max(abs(a - b) for a, b in zip(ours[0], ours[-1])) > 1e-3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01},
        {"lr": 0.1, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ],
)
def test_sgd_matches_torch(kwargs):
    torch = require("torch")
    ours = _run_ours(lambda ps: SGD(ps, **kwargs))
    theirs = _run_torch(torch, lambda ps: torch.optim.SGD(ps, **kwargs))
    _compare(ours, theirs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.01},
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.02, "weight_decay": 0.1},
    ],
)
def test_adam_matches_torch(kwargs):
    torch = require("torch")
    ours = _run_ours(lambda ps: Adam(ps, **kwargs))
    theirs = _run_torch(torch, lambda ps: torch.optim.Adam(ps, **kwargs))
    _compare(ours, theirs)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1, 0.5])
def test_decoupled_adam_matches_torch_adamw(weight_decay):
    torch = require("torch")
    ours = _run_ours(lambda ps: Adam(ps, lr=0.03, weight_decay=weight_decay, decoupled=True))
    theirs = _run_torch(torch, lambda ps: torch.optim.AdamW(ps, lr=0.03, weight_decay=weight_decay))
    _compare(ours, theirs)


def test_adam_and_adamw_differ_when_weight_decay_is_on():
    a = _run_ours(lambda ps: Adam(ps, lr=0.03, weight_decay=0.5))[-1]
    b = _run_ours(lambda ps: Adam(ps, lr=0.03, weight_decay=0.5, decoupled=True))[-1]
    assert a != b


def test_plain_sgd_step_by_hand():
    w = Value(2.0)
    opt = SGD([w], lr=0.25)
    (w * w * w).backward()  # 3w² = 12
    opt.step()
    assert w.data == 2.0 - 0.25 * 12.0


def test_lr_is_mutable_and_used_by_the_next_step():
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    opt.lr = 0.5
    w.grad = 1.0
    opt.step()
    assert w.data == 0.5


def test_updates_record_no_graph():
    model = MLP(2, [3, 1], seed=0)
    for opt in (SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1), Adam(model.parameters())):
        model.zero_grad()
        model([1.0, 2.0]).backward()
        opt.step()
        for p in model.parameters():
            assert p.is_leaf and p.parents == () and type(p.data) is float
    assert is_grad_enabled()


def test_zero_grad_on_the_optimizer():
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params)
    (params[0] * params[1]).backward()
    opt.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_params_can_be_a_module_or_a_generator():
    model = MLP(2, [2, 1], seed=0)
    assert SGD(model, lr=0.1).params == model.parameters()
    assert Adam(iter(model.parameters())).params == model.parameters()


def test_linear_decay_reproduces_micrograds_schedule():
    opt = SGD([Value(0.0)], lr=123.0)
    schedule = LinearDecay(opt, start=1.0, end=0.1, steps=100)
    seen = []
    for _ in range(100):
        seen.append(opt.lr)  # the lr used by the k-th optimizer step
        schedule.step()
    for k, lr in enumerate(seen):
        assert close(lr, 1.0 - 0.9 * k / 100)
    assert close(opt.lr, 0.1)
    for _ in range(10):
        schedule.step()
    assert close(opt.lr, 0.1)  # stays at the end


def test_linear_decay_works_with_adam_too():
    opt = Adam([Value(0.0)], lr=0.5)
    schedule = LinearDecay(opt, 0.01, 0.001, 9)
    assert opt.lr == 0.01
    for _ in range(3):
        schedule.step()
    assert close(opt.lr, 0.007)


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: SGD([], lr=0.1), ValueError, "params is empty"),
        (lambda: SGD([Value(1.0), 2.0], lr=0.1), TypeError, r"params\[1\] expects a Value, got float"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError, "single Value"),
        (lambda: SGD(5, lr=0.1), TypeError, "iterable of Values, got int"),
        (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "lr expects a number of at least 0"),
        (lambda: SGD([Value(1.0)], lr="0.1"), TypeError, "lr expects a real number, got str"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, "momentum"),
        (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "nesterov"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"betas\[1\].*below 1.0"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "betas expects a pair"),
        (lambda: Adam([Value(1.0)], eps=-1e-8), ValueError, "eps"),
        (lambda: Adam([Value(1.0)], weight_decay=float("nan")), ValueError, "weight_decay"),
        (lambda: LinearDecay(SGD([Value(1.0)], lr=1.0), 1.0, 0.1, 0), ValueError, "steps expects a positive int"),
        (lambda: LinearDecay("opt", 1.0, 0.1, 10), TypeError, "optimizer expects"),
    ],
)
def test_optimizer_errors(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_duplicate_parameters_are_refused():
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"params\[1\] appears twice"):
        SGD([w, w], lr=0.1)


def test_adam_trains_an_mlp_on_a_toy_task():
    rng = random.Random(0)
    data = [([x := rng.uniform(-1, 1)], 0.5 * x) for _ in range(20)]
    model = MLP(1, [8, 1], seed=2)
    opt = Adam(model, lr=0.05)

    def loss():
        return mse_loss([model(x) for x, _ in data], [t for _, t in data])

    before = loss().data
    for _ in range(60):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().data < before / 10
    assert isinstance(model, Module)


def test_state_gives_each_optimizers_buffers_as_copies():
    from autograd import Value
    from nn import SGD, Adam

    p, q = Value(1.0), Value(-2.0)
    sgd = SGD([p, q], lr=0.1, momentum=0.9)
    assert sgd.state() == {"velocity": None}  # not started: the first step sets v <- g
    p.grad, q.grad = 0.5, -1.0
    sgd.step()
    assert sgd.state() == {"velocity": [0.5, -1.0]}
    sgd.state()["velocity"][0] = 99.0  # a copy: the optimizer is untouched
    assert sgd.state()["velocity"][0] == 0.5
    adam = Adam([p], lr=0.1)
    p.grad = 2.0
    adam.step()
    state = adam.state()
    assert set(state) == {"step", "m", "v"} and state["step"] == 1 and state["m"][0] != 0.0 and state["v"][0] != 0.0


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.05),
    lambda ps: Adam(ps, lr=0.05, weight_decay=0.1, decoupled=True),
], ids=["sgd", "nesterov", "adam", "adamw"])
@pytest.mark.parametrize("steps_before", [0, 1, 3])
def test_load_state_continues_exactly_like_pytorchs_load_state_dict(make, steps_before):
    """An optimizer that loads another's state steps on exactly as that one does, bit for bit,
    whether the state was saved before the first step (not started) or after some; and the
    state is a copy both ways. torch.optim in float64 is the reference for the continuation."""
    torch = require("torch")
    rng = random.Random(steps_before)
    start = [rng.uniform(-1, 1) for _ in range(3)]
    grads = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(steps_before + 3)]

    def run(opt, params, gs):
        for g in gs:
            for p, x in zip(params, g):
                p.grad = x
            opt.step()

    ours = [Value(x) for x in start]
    first = make(ours)
    run(first, ours, grads[:steps_before])
    saved = first.state()
    resumed_params = [Value(p.data) for p in ours]
    resumed = make(resumed_params)
    resumed.load_state(saved)
    saved_copy = {k: (list(v) if isinstance(v, list) else v) for k, v in saved.items()}
    run(first, ours, grads[steps_before:])
    run(resumed, resumed_params, grads[steps_before:])
    assert saved == saved_copy, "load_state kept a reference to the caller's lists"
    assert [p.data for p in resumed_params] == [p.data for p in ours]
    assert resumed.state() == first.state()

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    kind = type(first).__name__
    if kind == "SGD":
        topt = torch.optim.SGD(ts, lr=0.1, momentum=0.9, nesterov=first.nesterov, weight_decay=first.weight_decay)
    else:
        cls = torch.optim.AdamW if first.decoupled else torch.optim.Adam
        topt = cls(ts, lr=0.05, weight_decay=first.weight_decay)
    for g in grads:
        for t, x in zip(ts, g):
            t.grad = torch.tensor(x, dtype=torch.float64)
        topt.step()
    for p, t in zip(ours, ts):
        assert close(p.data, t.item(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad,error,match", [
    ({"velocity": [1.0]}, ValueError, r"state\['velocity'\] expects 2 numbers"),
    ({"velocity": [1.0, "x"]}, TypeError, r"state\['velocity'\]\[1\] expects a real number"),
    ({"velocity": 3.0}, TypeError, "expects a list of 2 numbers"),
    ({"momentum": [1.0, 2.0]}, ValueError, "SGD keeps \\['velocity'\\]"),
    ({}, ValueError, "SGD keeps"),
    ([1.0, 2.0], TypeError, "expects a mapping"),
])
def test_load_state_rejects_a_bad_state_naming_it_and_changes_nothing(bad, error, match):
    p, q = Value(1.0), Value(-2.0)
    opt = SGD([p, q], lr=0.1, momentum=0.9)
    p.grad, q.grad = 0.5, -1.0
    opt.step()
    before = opt.state()
    with pytest.raises(error, match=match):
        opt.load_state(bad)
    assert opt.state() == before


def test_adam_load_state_checks_the_step_count():
    adam = Adam([Value(1.0)], lr=0.1)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"state\['step'\] expects a whole number"):
            adam.load_state({"step": bad, "m": [0.0], "v": [0.0]})
    assert adam.state() == {"step": 0, "m": [0.0], "v": [0.0]}
