"""PyTorch → valuegrad: reading a ``torch.nn.Sequential`` back into an MLP (:meth:`nn.MLP.from_torch`).

The other direction, :func:`nn.to_torch`, is :mod:`nn.torch_bridge`. This half needs no valuegrad
class: it is given the class to build (``MLP``), so that ``nn.layers`` can use it without an
import cycle. PyTorch is imported only inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["mlp_from_torch", "import_torch", "TORCH_ACTIVATIONS"]

#: The activation modules of each valuegrad activation, by name (``"linear"`` has none).
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

_INSTALL = "pip install 'valuegrad[torch]'"


def import_torch(who: str) -> Any:
    """The ``torch`` module, or an ImportError saying that ``who`` needs the ``[torch]`` extra."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{who} needs PyTorch, which is not installed: {_INSTALL}") from e
    return torch


def _describe(index: int, module: Any) -> str:
    return f"layer {index} ({type(module).__name__})"


def _supported() -> str:
    return "Linear, " + ", ".join(TORCH_ACTIVATIONS.values()) + " (an MLP is Linear, then activation and Linear repeated)"


def _read_architecture(layers: Sequence[Any], torch: Any) -> tuple[list[int], list[int], str]:
    """Check that ``layers`` is a shape MLP can represent; return the Linear indices, nouts and the activation.

    MLP's shape is ``Linear (Act Linear)*``: it starts and ends with a Linear (the output layer
    is linear), each Linear has a bias and takes as many inputs as the previous one gives,
    and every hidden layer has the same activation ``Act``, which may be none at all
    (``activation="linear"``: Linears one after the other).
    """
    by_module = {getattr(torch.nn, cls): name for name, cls in TORCH_ACTIVATIONS.items()}
    linears: list[int] = []
    gaps: list[tuple[int, str]] = []  # (index of the activation module or of the next Linear, activation)
    if not layers:
        raise ValueError(f"MLP.from_torch: module is an empty Sequential; MLP.from_torch reads {_supported()}")
    previous_kind = ""
    for i, m in enumerate(layers):
        kind = "linear" if type(m) is torch.nn.Linear else ("act" if type(m) in by_module else "")
        if not kind:
            raise ValueError(f"MLP.from_torch: {_describe(i, m)} is not supported; MLP.from_torch reads {_supported()}")
        if kind == "act" and previous_kind != "linear":
            where = "starts the Sequential" if i == 0 else f"follows {_describe(i - 1, layers[i - 1])}"
            raise ValueError(f"MLP.from_torch: {_describe(i, m)} {where}; an activation must follow a Linear layer")
        if kind == "linear":
            if m.bias is None:
                raise ValueError(f"MLP.from_torch: {_describe(i, m)} has no bias (bias=False); every MLP neuron has one")
            if linears:
                before = layers[linears[-1]]
                if m.in_features != before.out_features:
                    raise ValueError(
                        f"MLP.from_torch: {_describe(i, m)} takes {m.in_features} inputs, but "
                        f"{_describe(linears[-1], before)} gives {before.out_features}"
                    )
                gaps.append((i - 1, by_module[type(layers[i - 1])]) if previous_kind == "act" else (i, "linear"))
            linears.append(i)
        previous_kind = kind
    if previous_kind != "linear":
        last = len(layers) - 1
        raise ValueError(
            f"MLP.from_torch: {_describe(last, layers[last])} ends the Sequential; an MLP's output layer is linear, "
            "so it must end with a Linear layer"
        )
    activation = gaps[0][1] if gaps else "relu"  # one Linear has no hidden layer: MLP's default then
    for index, act in gaps[1:]:
        if act != activation:
            raise ValueError(
                f"MLP.from_torch: {_describe(index, layers[index])} makes a hidden activation {act!r} where the "
                f"first hidden layer has {activation!r}; an MLP uses one activation for every hidden layer"
            )
    nouts = [int(layers[i].out_features) for i in linears]
    return linears, nouts, activation


def mlp_from_torch(module: Any, cls: Any) -> Any:
    """Build a ``cls`` (an :class:`~nn.MLP`) with the architecture and weights of a ``torch.nn.Sequential``.

    ``module`` must have the shape :func:`to_torch` gives an MLP: ``Linear``, then
    (activation, ``Linear``) any number of times, with one activation (``ReLU``, ``Tanh`` or
    ``Sigmoid``, or none at all between the Linears) for every hidden layer, biases on every
    Linear, and sizes that chain. Anything else raises a ValueError naming the offending
    layer by index and type and saying what is supported; a module that is not a Sequential
    raises TypeError. Everything is read and checked before the MLP is built, and ``module``
    is never changed. Weights of any floating dtype and device are read; float64 ones exactly.

    This is :meth:`nn.MLP.from_torch`; see there for an example.
    """
    torch = import_torch("MLP.from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            "MLP.from_torch: module expects a torch.nn.Sequential of Linear and activation layers (as nn.to_torch "
            f"returns), got {type(module).__name__}"
        )
    layers = list(module)
    linears, nouts, activation = _read_architecture(layers, torch)
    weights: list[tuple[list[list[float]], list[float]]] = []
    with torch.no_grad():
        for i in linears:
            w = layers[i].weight.detach().to(device="cpu", dtype=torch.float64).tolist()
            b = layers[i].bias.detach().to(device="cpu", dtype=torch.float64).tolist()
            weights.append((w, b))
    model = cls(int(layers[linears[0]].in_features), nouts, activation, seed=0)
    for layer, (w, b) in zip(model.layers, weights):
        for neuron, row, bias in zip(layer.neurons, w, b):
            for value, x in zip(neuron.w, row):
                value.data = x
            neuron.b.data = bias
    return model

