"""The README's Python examples run, and print what their comments say they print."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import require

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)

#: Blocks that are excerpts (they use names the reader is meant to supply), by their first line.
EXCERPTS = {
    "from autograd.viz import draw_dot, draw_backprop, show_backprop",  # draws o, loss, hidden
    "from autograd import record",  # X, Y and batches are the reader's own data
    "def chain_rule(root, seed=1.0, partials=..., zero=0.0, watch=None, grads=None):",  # checked below
}


def run(marker: str) -> dict[str, Any]:
    """Execute the one README block containing ``marker``; return its namespace."""
    found = [b for b in BLOCKS if marker in b]
    assert len(found) == 1, f"{len(found)} README blocks contain {marker!r}"
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(found[0], f"README.md block with {marker!r}", "exec"), namespace)
    return namespace


def test_the_30_second_example_gives_the_numbers_in_its_comments(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run("o = (x1 * w1 + x2 * w2 + b).tanh()")
    o, w1, x1 = ns["o"], ns["w1"], ns["x1"]
    assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)  # 0.7071...
    slope = 1 - o.data**2
    assert w1.grad == pytest.approx(ns["x1"].data * slope, rel=1e-12) == pytest.approx(1.0, rel=1e-12)
    assert x1.grad == pytest.approx(ns["w1"].data * slope, rel=1e-12) == pytest.approx(-1.5, rel=1e-12)
    assert capsys.readouterr().out.splitlines()[0].startswith("0.7071")


def test_the_higher_order_example() -> None:
    ns = run("grad(x**3, x, create_graph=True)")
    assert ns["dy"].data == 12.0 and ns["d2y"].data == 12.0  # 3x², 6x at x = 2


def test_the_mlp_example_has_337_parameters_and_takes_a_step() -> None:
    ns = run("model = MLP(2, [16, 16, 1])")
    params = ns["model"].parameters()
    assert len(params) == 337
    assert any(p.grad != 0.0 for p in params)


def test_the_fit_example_reaches_test_accuracy_one(capsys: pytest.CaptureFixture[str]) -> None:
    ns = run("history = fit(")
    assert ns["accuracy"](ns["model"], ns["X_test"], ns["y_test"]) == 1.0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1.0"


def test_the_rbm_example_lowers_the_reconstruction_error_as_its_comment_says() -> None:
    ns = run("rbm = RBM(9, 8, seed=0)")
    rbm, data = ns["rbm"], ns["data"]
    assert rbm.reconstruction_error(data) == pytest.approx(0.01, abs=0.005)  # "0.25 → 0.01"
    assert len(ns["dreams"]) == 10 and all(len(d) == 9 for d in ns["dreams"])


def test_the_pytorch_example_gives_the_same_number_and_the_same_weights_back(capsys: pytest.CaptureFixture[str]) -> None:
    torch = require("torch")
    ns = run("net = to_torch(model)")
    net, model, back = ns["net"], ns["model"], ns["back"]
    # "Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1)), float64"
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in net[::2]] == [(2, 16), (16, 16), (16, 1)]
    assert all(p.dtype == torch.float64 for p in net.parameters())
    difference, same = capsys.readouterr().out.splitlines()
    assert abs(float(difference)) <= 1e-12  # "0.0, or about 1e-16"
    assert same == "True"  # "every weight equal to the bit"
    assert [p.data.hex() for p in back.parameters()] == [p.data.hex() for p in model.parameters()]


def test_the_explorer_example_builds_the_widget_it_describes() -> None:
    require("anywidget")
    ns = run("explorer = Explorer(")
    explorer = ns["explorer"]
    try:
        assert explorer.config.dataset == "spirals" and explorer.session.model.nouts == [16, 16, 3]
        assert explorer.frame["step"] == 0
    finally:
        explorer.close()


def test_the_groups_example_draws_the_boxes_its_comments_name() -> None:
    require("graphviz")
    ns = run('with autograd.group("step"):')
    picture, opened = ns["picture"].source, ns["opened"].source
    for name in ("layer 1", "layer 2", "layer 3", "hinge loss"):
        assert f"<b>{name}</b>" in picture
    assert picture.count("shape=plain") == 4
    assert sum(f"<b>neuron {k}</b>" in opened for k in range(1, 17)) == 16 and "<b>layer 2</b>" not in opened


def test_every_block_is_either_run_above_or_a_known_excerpt() -> None:
    """A new example must be given a test here (or be listed as an excerpt)."""
    markers = [
        "o = (x1 * w1 + x2 * w2 + b).tanh()",
        "grad(x**3, x, create_graph=True)",
        "model = MLP(2, [16, 16, 1])",
        "history = fit(",
        "rbm = RBM(9, 8, seed=0)",
        "net = to_torch(model)",
        "explorer = Explorer(",
        'with autograd.group("step"):',
    ]
    for block in BLOCKS:
        first = block.splitlines()[0]
        assert first in EXCERPTS or any(m in block for m in markers), f"untested README block: {first!r}"
    assert len(BLOCKS) == len(markers) + len(EXCERPTS)


def test_the_chain_rule_shown_is_the_one_in_graph_py() -> None:
    """The README's excerpt of chain_rule is the code, line for line (bar the elided parts)."""
    import inspect

    from autograd.graph import chain_rule

    (block,) = [b for b in BLOCKS if b.startswith("def chain_rule(")]
    source = [line.strip() for line in inspect.getsource(chain_rule).splitlines()]
    shown = [line.strip() for line in block.splitlines()[1:] if line.strip() and line.strip() != "..."]
    for line in shown:
        code = line.split("#")[0].strip()
        assert any(s.split("#")[0].strip() == code for s in source), f"not in graph.chain_rule: {line!r}"
    parameters = list(inspect.signature(chain_rule).parameters)
    assert parameters == ["root", "seed", "partials", "zero", "watch", "grads"]
