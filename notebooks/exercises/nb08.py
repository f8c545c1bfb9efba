"""Checks for notebook 08 (graduating to PyTorch): fit's minibatch order, float32, what from_torch cannot read,
valuegrad's price per number, and a learning-rate schedule in both libraries.

PyTorch is imported inside the checks that need it, so that listing the exercises does not load it.
"""

from __future__ import annotations

import random
from typing import Any

from autograd.graph import topological_order
from nn import MLP, SGD, LinearDecay, binary_cross_entropy
from nn.data import make_moons
from nn.torch_script import minibatches

from . import Wrong, as_function, as_number, as_sequence, exercise, present


def _fit_orders(n: int, batch_size: int, seed: int, epochs: int) -> list[list[list[int]]]:
    """The minibatches of indices that ``fit(..., batch_size, seed)`` uses in each epoch, by the exported
    script's ``minibatches``: one ``random.Random(seed)`` gives each epoch the seed of its own shuffle."""
    rng = random.Random(seed)
    return [minibatches(n, batch_size, rng.getrandbits(32)) for _ in range(epochs)]


@exercise(
    "08.1",
    "fit's minibatch order",
    "fit makes one random.Random(seed) for the whole run. At the start of each epoch it draws a new 32-bit number "
    "from it, and that number seeds the shuffle of range(n) for that epoch only; then the shuffled order is cut "
    "into slices of batch_size.",
)
def _(answer: Any) -> str:
    fn = as_function(answer, "epoch_batches")
    for n, batch_size, seed, epochs in ((224, 32, 0, 3), (10, 4, 7, 4), (9, 3, 123, 2)):
        call = f"epoch_batches({n}, {batch_size}, {seed}, {epochs})"
        got = as_sequence(fn(n, batch_size, seed, epochs), epochs, call)
        want = _fit_orders(n, batch_size, seed, epochs)
        for epoch, (mine, theirs) in enumerate(zip(got, want)):
            present(mine, f"epoch {epoch} of {call}")
            if [list(map(int, batch)) for batch in mine] != theirs:
                same_set = sorted(i for batch in mine for i in batch) == list(range(n))
                what = "covers every index once, but not in fit's order" if same_set else "does not cover 0 … n−1 once"
                raise Wrong(f"epoch {epoch} of {call} {what}")
    return "Give PyTorch these index lists (net(Xt[batch])) and its curve follows fit's again."


def _moons_model() -> tuple[MLP, list[list[float]]]:
    X, _ = make_moons(60, noise=0.1, seed=8)
    return MLP(2, [16, 16, 1], init="he", seed=8), X


@exercise(
    "08.2",
    "the cost of float32",
    "Convert the model twice, to_torch(model) and to_torch(model, torch.float32), run each on the data as a tensor "
    "of its own dtype, and take the largest absolute difference between the two outputs.",
)
def _(answer: Any) -> str:
    import torch

    from nn import to_torch

    fn = as_function(answer, "float32_gap")
    model, X = _moons_model()
    got = as_number(fn(model, [list(x) for x in X]), "float32_gap(model, X)")
    with torch.no_grad():
        wide = to_torch(model)(torch.tensor(X, dtype=torch.float64))
        narrow = to_torch(model, torch.float32)(torch.tensor(X, dtype=torch.float32)).double()
    want = (wide - narrow).abs().max().item()
    if got <= 0.0:
        raise Wrong(f"a gap of {got:g} means both sides computed in the same precision")
    if not want / 2 <= got <= want * 2:
        raise Wrong(f"a gap of {got:.3g} is not the size float32 gives for this model")
    return f"About {got:.0e}: float32 keeps about 7 significant digits, float64 about 16."


@exercise(
    "08.3",
    "what from_torch cannot read",
    "Count LayerNorm's learnable numbers with sum(p.numel() for p in layer.parameters()): it has a scale and a "
    "shift per feature. Then call MLP.from_torch on the changed Sequential inside try/except and look at "
    "type(error).__name__.",
)
def _(answer: Any) -> str:
    import torch

    count, error = as_sequence(answer, 2, "your (parameters LayerNorm(16) adds, the name of from_torch's error)")
    layer = torch.nn.LayerNorm(16)
    want_count = sum(p.numel() for p in layer.parameters())
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), layer, torch.nn.Linear(16, 1))
    try:
        MLP.from_torch(net)
    except Exception as raised:  # the check learns the answer from the library, not from a constant
        want_error = type(raised).__name__
    else:
        raise RuntimeError("MLP.from_torch read a LayerNorm: this exercise needs a new question")
    if as_number(count, "the number of parameters") != want_count:
        raise Wrong(f"{count} is not the number of parameters LayerNorm(16) adds")
    if not isinstance(error, str) or error.strip() != want_error:
        raise Wrong(f"{error!r} is not the name of the exception MLP.from_torch raises")
    return "An MLP has no slot for a normalisation layer's numbers, so from_torch refuses instead of dropping them."


def _nodes_of_a_step(model: MLP, n: int) -> int:
    X, y = make_moons(n, noise=0.1, seed=9)
    return len(topological_order(binary_cross_entropy([model(x) for x in X], y)))


@exercise(
    "08.4",
    "the price per number",
    "Build valuegrad's step for two batch sizes and count the nodes of each graph with "
    "len(topological_order(loss)): the difference divided by the difference in samples is a, and what is left "
    "at n = 0 is b (the parameters are leaves that every sample shares).",
)
def _(answer: Any) -> str:
    per_sample, fixed = as_sequence(answer, 2, "your (a, b)")
    model = MLP(2, [16, 16, 1], init="he", seed=0)
    small, large = _nodes_of_a_step(model, 10), _nodes_of_a_step(model, 30)
    a = (large - small) // 20
    b = small - 10 * a
    if as_number(per_sample, "a, the nodes per sample") != a:
        raise Wrong(f"a = {per_sample} nodes per sample is not right")
    if as_number(fixed, "b, the nodes that do not depend on n") != b:
        raise Wrong(f"b = {fixed} is not right")
    return (f"{a} Python objects per sample, every step: valuegrad's cost grows with n, while PyTorch runs the "
            "same dozen operations on a bigger tensor.")


@exercise(
    "08.5",
    "a learning-rate schedule in both libraries",
    "LinearLR multiplies the optimizer's initial lr by a factor that moves in a straight line from start_factor to "
    "end_factor over total_iters calls of scheduler.step(). With lr = 1.0, which factors and how many steps give "
    "1.0 → 0.1 over 100 steps?",
)
def _(answer: Any) -> str:
    import torch

    fn = as_function(answer, "torch_schedule")
    weight = torch.zeros(1, requires_grad=True)
    torch_opt = torch.optim.SGD([weight], lr=1.0)
    scheduler = fn(torch_opt)
    present(scheduler, "torch_schedule(optimizer)")
    if not hasattr(scheduler, "step"):
        raise Wrong(f"torch_schedule should return a scheduler, got {type(scheduler).__name__}")
    ours = SGD([MLP(1, [1]).parameters()[0]], lr=1.0)
    schedule = LinearDecay(ours, 1.0, 0.1, 100)
    for step in range(130):
        lr = torch_opt.param_groups[0]["lr"]
        if abs(lr - ours.lr) > 1e-12:
            raise Wrong(f"before step {step + 1} PyTorch's lr is {lr:.6g}, valuegrad's {ours.lr:.6g}")
        torch_opt.step()        # an optimizer step first, as PyTorch expects, then the schedule's
        scheduler.step()
        schedule.step()
    return "LinearDecay(opt, 1.0, 0.1, 100) is LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)."
