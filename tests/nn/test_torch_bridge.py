"""``nn.to_torch`` and ``MLP.from_torch``: the same network in PyTorch, the same numbers, and back.

The reference is PyTorch float64 itself: the converted network's outputs must equal valuegrad's
within 1e-12, and its parameter gradients on the same loss within 1e-10. The way back is exact:
every weight compared with ``==`` and bit for bit.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import hide_module, require

from autograd import Value
from nn import MLP, Layer, Module, Neuron, binary_cross_entropy, cross_entropy, mse_loss, to_torch

ROOT = Path(__file__).resolve().parents[2]
#: The issue's tolerances, at float64.
OUTPUT_ATOL = 1e-12
GRAD_ATOL = 1e-10

ARCHITECTURES = [
    (2, [16, 16, 1], "relu"),
    (3, [8, 4], "tanh"),
    (4, [5, 1, 3], "sigmoid"),  # a one-neuron hidden layer
    (2, [6, 6, 2], "linear"),  # no activation modules at all
    (5, [3], "relu"),  # a single Linear
]


def inputs(nin: int, n: int = 12, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(n)]


def outputs_of(model: Any, X: list[list[float]]) -> list[list[float]]:
    rows = []
    for x in X:
        out = model(x)
        rows.append([v.data for v in out] if isinstance(out, list) else [out.data])
    return rows


def torch_outputs(net: Any, X: list[list[float]]) -> list[list[float]]:
    torch = require("torch")
    with torch.no_grad():
        return net(torch.tensor(X, dtype=torch.float64)).tolist()


def max_diff(a: list[list[float]], b: list[list[float]]) -> float:
    assert len(a) == len(b) and all(len(r) == len(s) for r, s in zip(a, b))
    return max(abs(x - y) for r, s in zip(a, b) for x, y in zip(r, s))


def bits(model: MLP) -> list[str]:
    return [p.data.hex() for p in model.parameters()]


# --- valuegrad -> PyTorch: the same outputs and gradients ------------------------------------


@pytest.mark.parametrize("nin, nouts, activation", ARCHITECTURES, ids=[f"{a}-{n}" for _, n, a in ARCHITECTURES])
def test_to_torch_gives_the_same_outputs_within_1e_12(nin: int, nouts: list[int], activation: str) -> None:
    torch = require("torch")
    model = MLP(nin, nouts, activation=activation, seed=1)
    net = to_torch(model)
    assert isinstance(net, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    expected_types = []
    for i in range(len(nouts)):
        expected_types.append("Linear")
        if i < len(nouts) - 1 and activation != "linear":
            expected_types.append({"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[activation])
    assert [type(m).__name__ for m in net] == expected_types
    X = inputs(nin)
    assert max_diff(torch_outputs(net, X), outputs_of(model, X)) <= OUTPUT_ATOL


def test_the_weights_are_copied_exactly_row_j_being_neuron_j() -> None:
    require("torch")
    model = MLP(3, [4, 2], activation="tanh", seed=2)
    net = to_torch(model)
    for layer, linear in zip(model.layers, [net[0], net[2]]):
        assert linear.weight.tolist() == [[w.data for w in n.w] for n in layer.neurons]
        assert linear.bias.tolist() == [n.b.data for n in layer.neurons]


def test_the_weights_are_copied_not_shared() -> None:
    torch = require("torch")
    model = MLP(2, [3, 1], seed=0)
    net = to_torch(model)
    before = net[0].weight[0, 0].item()
    model.layers[0].neurons[0].w[0].data += 1.0
    assert net[0].weight[0, 0].item() == before
    with torch.no_grad():
        net[0].bias[0] = 5.0
    assert model.layers[0].neurons[0].b.data == 0.0


@pytest.mark.parametrize(
    "nin, nouts, activation, loss",
    [
        (2, [16, 16, 1], "relu", "bce"),
        (2, [8, 8, 1], "tanh", "mse"),
        (3, [6, 4], "sigmoid", "cross-entropy"),
    ],
)
def test_gradients_after_backward_match_torch_within_1e_10(nin: int, nouts: list[int], activation: str, loss: str) -> None:
    torch = require("torch")
    F = torch.nn.functional
    model = MLP(nin, nouts, activation=activation, seed=3)
    net = to_torch(model)
    X = inputs(nin, n=16, seed=4)
    rng = random.Random(5)
    if loss == "cross-entropy":
        y: list[Any] = [rng.randrange(nouts[-1]) for _ in X]
        ours = cross_entropy([model(x) for x in X], y)
        theirs = F.cross_entropy(net(torch.tensor(X, dtype=torch.float64)), torch.tensor(y))
    elif loss == "bce":
        y = [float(rng.randrange(2)) for _ in X]
        ours = binary_cross_entropy([model(x) for x in X], y)
        theirs = F.binary_cross_entropy_with_logits(net(torch.tensor(X, dtype=torch.float64))[:, 0], torch.tensor(y, dtype=torch.float64))
    else:
        y = [rng.uniform(-1.0, 1.0) for _ in X]
        ours = mse_loss([model(x) for x in X], y)
        theirs = F.mse_loss(net(torch.tensor(X, dtype=torch.float64))[:, 0], torch.tensor(y, dtype=torch.float64))
    model.zero_grad()
    ours.backward()
    theirs.backward()
    assert abs(ours.data - theirs.item()) <= OUTPUT_ATOL
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    worst = 0.0
    for layer, linear in zip(model.layers, linears):
        for j, neuron in enumerate(layer.neurons):
            worst = max(worst, abs(neuron.b.grad - linear.bias.grad[j].item()))
            for i, w in enumerate(neuron.w):
                worst = max(worst, abs(w.grad - linear.weight.grad[j, i].item()))
    assert any(p.grad != 0.0 for p in model.parameters())
    assert worst <= GRAD_ATOL


def test_a_different_weight_is_seen_so_the_comparison_can_fail() -> None:
    require("torch")
    model = MLP(2, [4, 1], seed=0)
    net = to_torch(model)
    model.layers[1].neurons[0].b.data += 1e-9
    X = inputs(2)
    assert max_diff(torch_outputs(net, X), outputs_of(model, X)) > OUTPUT_ATOL


def test_float32_rounds_each_weight_to_float32() -> None:
    torch = require("torch")
    model = MLP(2, [3, 1], seed=0)
    net = to_torch(model, torch.float32)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    w = model.layers[0].neurons[0].w[0].data
    assert net[0].weight[0, 0].item() == torch.tensor(w, dtype=torch.float32).item() != w


def test_to_torch_leaves_torch_random_state_alone() -> None:
    torch = require("torch")
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    to_torch(MLP(4, [32, 32, 2], seed=0))
    assert torch.equal(torch.rand(3), expected)


# --- any Module built from Layers ------------------------------------------------------------


class TwoLayers(Module):
    """A custom model: two Layers run one after the other."""

    def __init__(self) -> None:
        rng = random.Random(7)
        self.hidden = Layer(3, 5, activation="tanh", rng=rng)
        self.head = Layer(5, 2, activation="linear", rng=rng)

    def __call__(self, x: list[float]) -> list[Value]:
        return self.head(self.hidden(x))


class Residual(TwoLayers):
    """Layers that chain by size, but the forward pass adds the input back: not a Sequential."""

    def __init__(self) -> None:
        super().__init__()
        self.head = Layer(5, 3, activation="linear", rng=random.Random(8))

    def __call__(self, x: list[float]) -> list[Value]:
        return [a + b for a, b in zip(self.head(self.hidden(x)), x)]


def test_a_module_built_from_layers_converts_with_the_same_outputs() -> None:
    require("torch")
    model = TwoLayers()
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "Tanh", "Linear"]
    X = inputs(3)
    assert max_diff(torch_outputs(net, X), outputs_of(model, X)) <= OUTPUT_ATOL


def test_a_single_layer_converts_with_its_activation() -> None:
    require("torch")
    layer = Layer(3, 4, activation="sigmoid", rng=random.Random(0))
    net = to_torch(layer)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid"]
    X = inputs(3)
    assert max_diff(torch_outputs(net, X), outputs_of(layer, X)) <= OUTPUT_ATOL


class WithScale(TwoLayers):
    def __init__(self) -> None:
        super().__init__()
        self.scale = Value(2.0)


class Unchained(Module):
    def __init__(self) -> None:
        self.a = Layer(2, 3, rng=random.Random(0))
        self.b = Layer(4, 1, rng=random.Random(0))


class Empty(Module):
    pass


class LooseNeuron(Module):
    def __init__(self) -> None:
        self.n = Neuron(2, rng=random.Random(0))


@pytest.mark.parametrize(
    "model, words",
    [
        (WithScale(), "parameter 'scale' of WithScale is not inside a Layer"),
        (Unchained(), "Layer 0 gives 3 outputs but Layer 1 takes 4 inputs"),
        (Empty(), "model (Empty) has no Layer"),
        (LooseNeuron(), "model.n is a Neuron outside a Layer"),
        (Residual(), "Residual does not run its Layers one after the other"),
    ],
    ids=["extra-parameter", "unchained", "empty", "neuron", "residual"],
)
def test_a_module_that_is_not_a_chain_of_layers_is_a_value_error(model: Module, words: str) -> None:
    require("torch")
    with pytest.raises(ValueError) as e:
        to_torch(model)
    assert words in str(e.value)


def test_to_torch_type_errors_name_the_argument() -> None:
    torch = require("torch")
    with pytest.raises(TypeError, match=r"to_torch: model expects a valuegrad Module built from Layers .*got list"):
        to_torch([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dtype expects a floating-point torch.dtype .*got torch.int64"):
        to_torch(MLP(2, [1], seed=0), torch.int64)
    with pytest.raises(TypeError, match=r"dtype expects a floating-point torch.dtype .*got str"):
        to_torch(MLP(2, [1], seed=0), "float64")  # type: ignore[arg-type]


# --- PyTorch -> valuegrad: MLP.from_torch -----------------------------------------------------


@pytest.mark.parametrize("nin, nouts, activation", ARCHITECTURES, ids=[f"{a}-{n}" for _, n, a in ARCHITECTURES])
def test_the_round_trip_is_exact_to_the_bit(nin: int, nouts: list[int], activation: str) -> None:
    require("torch")
    model = MLP(nin, nouts, activation=activation, init="he", seed=4)
    back = MLP.from_torch(to_torch(model))
    assert type(back) is MLP and back.nin == nin and back.nouts == nouts
    if len(nouts) > 1:  # a single Linear has no hidden activation to read back
        assert back.architecture() == model.architecture()
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert bits(back) == bits(model)


def test_signed_zeros_and_extreme_weights_survive_the_round_trip() -> None:
    require("torch")
    model = MLP(2, [2, 1], seed=0)
    specials = [-0.0, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 0.1, -1 / 3]
    for p, x in zip(model.parameters(), specials):
        p.data = x
    assert bits(MLP.from_torch(to_torch(model))) == bits(model)


def test_from_torch_reads_a_network_made_in_pytorch() -> None:
    torch = require("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 8, dtype=torch.float64), torch.nn.Tanh(), torch.nn.Linear(8, 2, dtype=torch.float64)
    )
    before = {k: v.clone() for k, v in net.state_dict().items()}
    model = MLP.from_torch(net)
    assert repr(model) == "MLP(3 -> [8 tanh, 2 linear])"
    X = inputs(3)
    assert max_diff(torch_outputs(net, X), outputs_of(model, X)) <= OUTPUT_ATOL
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())  # the module is untouched


def test_from_torch_reads_float32_weights_exactly_as_float32_values() -> None:
    torch = require("torch")
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    model = MLP.from_torch(net)
    assert [w.data for w in model.layers[0].neurons[1].w] == net[0].weight[1].tolist()


def test_a_subclass_of_mlp_gets_an_instance_of_itself() -> None:
    require("torch")

    class MyMLP(MLP):
        pass

    assert type(MyMLP.from_torch(to_torch(MLP(2, [3, 1], seed=0)))) is MyMLP


def bad_sequentials(torch: Any) -> list[tuple[Any, str]]:
    nn = torch.nn
    return [
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 1)), "layer 2 (Dropout) is not supported"),
        (nn.Sequential(nn.Linear(2, 4), nn.GELU(), nn.Linear(4, 1)), "layer 1 (GELU) is not supported"),
        (nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "layer 0 (ReLU) starts the Sequential"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Tanh(), nn.Linear(4, 1)), "layer 2 (Tanh) follows layer 1 (ReLU)"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU()), "layer 1 (ReLU) ends the Sequential"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)),
         "layer 3 (Tanh) makes a hidden activation 'tanh' where the first hidden layer has 'relu'"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 1)),
         "layer 3 (Linear) makes a hidden activation 'linear' where the first hidden layer has 'relu'"),
        (nn.Sequential(nn.Linear(2, 4, bias=False), nn.ReLU(), nn.Linear(4, 1)), "layer 0 (Linear) has no bias"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(5, 1)), "layer 2 (Linear) takes 5 inputs, but layer 0 (Linear) gives 4"),
        (nn.Sequential(), "module is an empty Sequential"),
        (nn.Sequential(nn.Sequential(nn.Linear(2, 1))), "layer 0 (Sequential) is not supported"),
        (nn.Sequential(nn.Identity(), nn.Linear(2, 1)), "layer 0 (Identity) is not supported"),
    ]


def test_an_unsupported_sequential_is_a_value_error_naming_the_layer_and_what_is_supported() -> None:
    torch = require("torch")
    built = []

    class Spy(MLP):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(args)
            super().__init__(*args, **kwargs)

    for net, words in bad_sequentials(torch):
        before = {k: v.clone() for k, v in net.state_dict().items()}
        with pytest.raises(ValueError) as e:
            Spy.from_torch(net)
        message = str(e.value)
        assert message.startswith("MLP.from_torch: ") and words in message, message
        if "is not supported" in words or "empty" in words:
            assert "Linear, ReLU, Tanh, Sigmoid" in message
        assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    assert built == []  # nothing was built, not even half


def test_from_torch_type_error_names_the_argument() -> None:
    torch = require("torch")
    for wrong, got in ((torch.nn.Linear(2, 1), "Linear"), ([torch.nn.Linear(2, 1)], "list"), (MLP(2, [1], seed=0), "MLP")):
        with pytest.raises(TypeError, match=rf"MLP.from_torch: module expects a torch.nn.Sequential .*got {got}$"):
            MLP.from_torch(wrong)


# --- PyTorch is optional ----------------------------------------------------------------------


def test_without_torch_the_bridge_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    model = MLP(2, [3, 1], seed=0)
    hide_module(monkeypatch, "torch")
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch, which is not installed: pip install 'valuegrad\[torch\]'"):
        to_torch(model)
    with pytest.raises(ImportError, match=r"MLP.from_torch needs PyTorch.*pip install 'valuegrad\[torch\]'"):
        MLP.from_torch(object())


def test_importing_the_library_does_not_import_torch() -> None:
    code = "import sys, autograd, nn, nn.torch_bridge, nn.torch_export; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_nan_weights_are_carried_over_as_they_are() -> None:
    require("torch")
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].b.data = math.nan
    back = MLP.from_torch(to_torch(model))
    assert math.isnan(back.layers[0].neurons[0].b.data)
