"""Graduating to PyTorch: the same model, with the same weights, as a ``torch.nn.Sequential``.

valuegrad computes one number at a time; PyTorch computes whole tensors at once. The models
are the same, and so are the numbers: :func:`to_torch` copies a model's weights into PyTorch
layers, and :meth:`nn.MLP.from_torch` (which calls :func:`mlp_from_torch`) copies them back.

What maps to what
-----------------
=====================================  =================================================================
valuegrad                              PyTorch
=====================================  =================================================================
``Layer(nin, nout, activation)``       ``Linear(nin, nout)``, then ``ReLU()``, ``Tanh()`` or
                                       ``Sigmoid()`` (nothing for ``"linear"``)
neuron j of that layer: ``w``, ``b``   row j of ``Linear.weight`` (shape ``nout × nin``), entry j of
                                       ``Linear.bias``
``MLP(2, [16, 16, 1])``                ``Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(),
                                       Linear(16, 1))``
``model(x)``, x a list of nin numbers  ``model(X)``, X a tensor of shape ``(batch, nin)``: every
                                       sample at once
a Value's ``.data`` and ``.grad``      one element of a parameter, and of its ``.grad``
=====================================  =================================================================

The weights are copied, never shared: training one model leaves the other as it was. In
float64 (the default) every weight is copied exactly, and outputs agree to rounding (about
1e-16 relative: PyTorch adds up ``w · x`` in another order).

PyTorch is an optional dependency (``pip install 'valuegrad[torch]'``). It is imported inside
these functions only, so ``import nn`` never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autograd import no_grad

from .layers import MLP, Layer, Neuron
from .module import Module
from .torch_read import TORCH_ACTIVATIONS, import_torch, mlp_from_torch

if TYPE_CHECKING:
    import torch

__all__ = ["to_torch", "mlp_from_torch", "chained_layers", "import_torch", "TORCH_ACTIVATIONS"]

# --- valuegrad -> PyTorch -------------------------------------------------------------------


def _layers_of(model: Module) -> list[Layer]:
    """The Layers a model is built from, in the order its attributes were assigned.

    An MLP lists its own; any other Module is searched like :meth:`Module.named_parameters`
    searches for Values (attributes, then list, tuple and dict items), stopping at each Layer.
    """
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    found: list[Layer] = []
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("model", model)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Layer):
            found.append(obj)
            continue
        if isinstance(obj, Neuron):
            raise ValueError(
                f"to_torch: {path} is a Neuron outside a Layer; to_torch converts models built from Layers "
                "(put the neuron in a Layer(nin, 1))"
            )
        if isinstance(obj, Module):
            items: list[tuple[str, Any]] = [(f"{path}.{k}", v) for k, v in vars(obj).items() if not k.startswith("_")]
        elif isinstance(obj, (list, tuple)):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
        elif isinstance(obj, dict):
            items = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
        else:
            continue
        stack.extend(reversed(items))  # a stack: reversed, so the first attribute is visited first
    return found


def _check_built_from_layers(model: Module, layers: list[Layer]) -> None:
    """Raise ValueError unless every parameter of ``model`` is in ``layers`` and their sizes chain."""
    name = type(model).__name__
    if not layers:
        raise ValueError(f"to_torch: model ({name}) has no Layer; to_torch converts an MLP, or a Module built from Layers")
    inside = {id(p) for layer in layers for p in layer.parameters()}
    for pname, p in model.named_parameters():
        if id(p) not in inside:
            raise ValueError(
                f"to_torch: parameter {pname!r} of {name} is not inside a Layer; PyTorch's Sequential would lose it"
            )
    for i in range(1, len(layers)):
        given, wanted = len(layers[i - 1].neurons), layers[i].nin
        if given != wanted:
            raise ValueError(
                f"to_torch: the Layers of {name} do not chain: Layer {i - 1} gives {given} outputs but Layer {i} "
                f"takes {wanted} inputs (to_torch runs the Layers one after the other, in the order they were assigned)"
            )


def chained_layers(model: Module) -> list[Layer]:
    """The Layers :func:`to_torch` turns into ``Linear`` modules, in order; this needs no PyTorch.

    Raises TypeError if ``model`` is not a Module, ValueError if it is not built from Layers
    whose sizes chain (see :func:`to_torch`).

    >>> [(layer.nin, len(layer.neurons)) for layer in chained_layers(MLP(2, [16, 16, 1]))]
    [(2, 16), (16, 16), (16, 1)]
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"to_torch: model expects a valuegrad Module built from Layers (an MLP, say), got {type(model).__name__}"
        )
    layers = _layers_of(model)
    _check_built_from_layers(model, layers)
    return layers


def _probe_input(nin: int) -> list[float]:
    """A fixed input with no zeros and no repeats, to check a forward pass with."""
    return [(-1.0) ** i * (0.25 + 0.125 * i) for i in range(nin)]


def _check_same_forward(model: Module, seq: torch.nn.Sequential, nin: int, torch: Any) -> None:
    """For a Module other than MLP and Layer: one forward pass in both, which must agree.

    to_torch only sees a custom module's attributes, not its ``__call__``; this catches a model
    that uses its Layers in some other way than one after the other.
    """
    name = type(model).__name__
    x = _probe_input(nin)
    try:
        with no_grad():
            out: Any = model(x)  # type: ignore[operator]
    except Exception as e:
        raise ValueError(
            f"to_torch: could not check that {name} runs its Layers one after the other: calling it on a list of "
            f"{nin} numbers raised {type(e).__name__}: {e}"
        ) from e
    outs = out if isinstance(out, (list, tuple)) else [out]
    ours = [getattr(v, "data", v) for v in outs]
    with torch.no_grad():
        theirs = seq(torch.tensor([x], dtype=torch.float64))[0].tolist()
    same = len(ours) == len(theirs) and all(
        isinstance(a, float) and (a == b or abs(a - b) <= 1e-9 * (1.0 + abs(b))) for a, b in zip(ours, theirs)
    )
    if not same:
        raise ValueError(
            f"to_torch: {name} does not run its Layers one after the other (its output on a test input differs from "
            "the Layers chained in the order they were assigned); convert an MLP, or a Module whose __call__ chains "
            "its Layers"
        )


def to_torch(model: Module, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
    """The same network as a ``torch.nn.Sequential`` of ``Linear`` and activation layers, weights copied.

    ``model`` is an :class:`~nn.MLP`, a :class:`~nn.Layer`, or any Module built from Layers that
    it runs one after the other, in the order they were assigned (a custom module is checked
    with one forward pass). Each Layer becomes ``Linear(nin, nout)`` followed by its activation
    module, ``ReLU()``, ``Tanh()`` or ``Sigmoid()`` (none for ``"linear"``). Neuron j's weights
    become row j of ``weight`` and its bias entry j of ``bias``.

    ``dtype`` is the parameters' floating-point type, ``torch.float64`` by default: valuegrad
    computes in Python floats, which are float64, so then every weight is copied exactly and the
    outputs agree to rounding. ``torch.float32`` rounds each weight to 7 digits.

    Raises TypeError for a model that is not a Module or a dtype that is not a floating torch
    dtype, ValueError for a Module that is not built from Layers, and ImportError (naming the
    ``[torch]`` extra) when PyTorch is not installed.

    >>> import torch
    >>> from nn import MLP
    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> net = to_torch(model)
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): ReLU()
      (2): Linear(in_features=16, out_features=16, bias=True)
      (3): ReLU()
      (4): Linear(in_features=16, out_features=1, bias=True)
    )
    >>> x = [0.5, -1.0]
    >>> abs(net(torch.tensor([x], dtype=torch.float64)).item() - model(x).data) < 1e-12
    True
    """
    torch = import_torch("to_torch")
    if dtype is None:
        dtype = torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        got = f"{dtype}" if isinstance(dtype, torch.dtype) else type(dtype).__name__
        raise TypeError(f"to_torch: dtype expects a floating-point torch.dtype such as torch.float64, got {got}")
    layers = chained_layers(model)

    modules: list[Any] = []
    for layer in layers:
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.nin, len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():  # skip_init left the tensors uninitialised (and torch's random state untouched)
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[layer.activation])())
    seq = torch.nn.Sequential(*modules)
    if not isinstance(model, (MLP, Layer)):
        _check_same_forward(model, seq, layers[0].nin, torch)
    return seq.to(dtype)


# --- PyTorch -> valuegrad -------------------------------------------------------------------
