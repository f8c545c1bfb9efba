"""``Neuron``, ``Layer`` and ``MLP``: the multi-layer perceptron, with micrograd's API.

A neuron computes ``act(w · x + b)``: a weighted sum of its inputs plus a bias, passed
through an activation. A layer is a list of neurons that read the same inputs; an MLP
(multi-layer perceptron) feeds each layer's outputs into the next. ``w · x + b`` is recorded
as ONE graph node with :func:`autograd.dot`, which is much faster than the 2n separate
``*`` and ``+`` nodes micrograd builds, and gives the same gradients.

The defaults are micrograd's: weights drawn from U(−1, 1), biases 0, ReLU on hidden layers
and no activation (linear) on the last one, so ``MLP(2, [16, 16, 1])`` has
(2+1)·16 + (16+1)·16 + (16+1)·1 = 337 parameters, and micrograd's demo code runs unchanged.

Initialisations (``init=``), for a neuron with ``fan_in`` inputs in a layer of ``fan_out``:

* ``"uniform"``: U(−1, 1), as micrograd. Simple, but too large for wide layers.
* ``"xavier"`` (Glorot uniform): U(−a, a) with a = √(6 / (fan_in + fan_out)), so the variance
  2 / (fan_in + fan_out) keeps signals the same size forwards and backwards (tanh, sigmoid).
* ``"he"`` (Kaiming normal): N(0, 2 / fan_in), which makes up for ReLU zeroing half its inputs.

Groups, for drawings: inside an active :func:`autograd.group`, an MLP names the group of
each layer ``"layer i"`` and of each neuron in it ``"neuron k"`` (both from 1), so that the
second layer's fifth neuron's nodes have the path ``(..., "layer 2", "neuron 5")``, written
``layer 2 › neuron 5``. A Layer called alone names itself ``"layer"``, a Neuron ``"neuron"``.
Outside any group they name nothing, and cost nothing.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from typing import Any, Callable

from autograd import Value, dot, matvec
from autograd.groups import in_group, subgroup

from .functional import activation_function
from .layer_args import (
    INITS,
    Input,
    Rng,
    check_init,
    check_rng,
    check_size,
    check_sizes,
    draw_weights,
    micrograd_nonlin,
    prepare_input,
)  # fmt: skip
from .module import Module, PathLike, read_model_file
from .torch_read import mlp_from_torch

__all__ = ["Neuron", "Layer", "MLP", "INITS"]

def _unique(params: list[Value], module: Module) -> list[Value]:
    """``params``, unless a Value was shared between places: then the slower walk that drops repeats."""
    if len(set(map(id, params))) == len(params):
        return params
    return Module.parameters(module)


class Neuron(Module):
    """One neuron: ``act(w · x + b)`` with ``nin`` weights ``w`` and a bias ``b`` (starting at 0).

    ``activation`` is ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``; ``init`` is
    ``"uniform"``, ``"xavier"`` or ``"he"``; ``fan_out`` (the size of the neuron's layer)
    only matters to ``"xavier"``. ``rng`` is a ``random.Random``; by default the ``random``
    module is used, as micrograd does. micrograd's ``Neuron(nin, nonlin=False)`` works too
    (``nonlin=True`` is ReLU, ``False`` linear), and so does its ``.nonlin`` attribute.

    >>> n = Neuron(2, activation="linear", rng=random.Random(0))
    >>> n
    LinearNeuron(2)
    >>> out = n([1.0, 2.0])
    >>> out.data == n.w[0].data * 1.0 + n.w[1].data * 2.0 + n.b.data
    True
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str = "uniform",
        rng: Rng | None = None,
        fan_out: int = 1,
        *,
        nonlin: bool | None = None,
    ) -> None:
        activation = micrograd_nonlin(nonlin, activation)
        nin = check_size(nin, "nin")
        fan_out = check_size(fan_out, "fan_out")
        self._act: Callable[[Value], Value] | None = activation_function(activation)
        init = check_init(init)
        self.w = draw_weights(nin, fan_out, init, check_rng(rng))
        self.b = Value(0.0)
        self._activation: str = activation

    @property
    def activation(self) -> str:
        """The activation's name (fixed at construction: the layer caches the function)."""
        return self._activation

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear (micrograd's ``nonlin`` means ReLU)."""
        return self._activation != "linear"

    @property
    def nin(self) -> int:
        """The number of inputs."""
        return len(self.w)

    def __call__(self, x: Sequence[Input]) -> Value:
        xs = prepare_input(x, len(self.w), "Neuron")
        with subgroup("neuron"):
            out = dot(self.w, xs, self.b)
            act = self._act
            return out if act is None else act(out)

    def parameters(self) -> list[Value]:
        return _unique([*self.w, self.b], self)

    def architecture(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": len(self.w), "activation": self._activation}

    def __repr__(self) -> str:
        name = "ReLU" if self._activation == "relu" else self._activation.capitalize()
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; calling it returns a list of ``nout`` Values.

    (micrograd's Layer returns a bare Value when ``nout == 1``, which breaks the next layer;
    this one always returns a list.)

    >>> layer = Layer(3, 2, rng=random.Random(0))
    >>> layer
    Layer of [ReLUNeuron(3), ReLUNeuron(3)]
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str = "uniform",
        rng: Rng | None = None,
        *,
        nonlin: bool | None = None,
    ) -> None:
        activation = micrograd_nonlin(nonlin, activation)
        nin = check_size(nin, "nin")
        nout = check_size(nout, "nout")
        self._act = activation_function(activation)
        init = check_init(init)
        rng = check_rng(rng)
        self.neurons = [Neuron(nin, activation, init, rng, fan_out=nout) for _ in range(nout)]
        self._activation: str = activation
        self.nin = nin

    @property
    def activation(self) -> str:
        """The activation of every neuron of the layer, by name."""
        return self._activation

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        return self.forward_checked(prepare_input(x, self.nin, "Layer"))

    def forward_checked(self, x: Sequence[Input], name: str = "layer") -> list[Value]:
        """The layer on an input already checked: the hot loop of a forward pass.

        Inside an active :func:`autograd.group`, the layer names its group ``name`` and each
        neuron's ``"neuron k"`` (k from 1), so that a drawing shows ``layer 2 › neuron 5``.
        """
        neurons = self.neurons
        act = self._act
        if in_group():
            return self._forward_grouped(x, name)
        outs = matvec([n.w for n in neurons], x, [n.b for n in neurons])  # one dot node per neuron
        return outs if act is None else [act(v) for v in outs]

    def _forward_grouped(self, x: Sequence[Input], name: str) -> list[Value]:
        """:meth:`forward_checked` inside groups: the same nodes, neuron by neuron."""
        act = self._act
        outs = []
        with subgroup(name):
            for k, n in enumerate(self.neurons, start=1):
                with subgroup(f"neuron {k}"):
                    out = dot(n.w, x, n.b)
                    outs.append(out if act is None else act(out))
        return outs

    def parameters(self) -> list[Value]:
        return _unique([p for n in self.neurons for p in (*n.w, n.b)], self)

    def architecture(self) -> dict[str, Any]:
        return {"type": "Layer", "nin": self.nin, "nout": len(self.neurons), "activation": self._activation}

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(repr(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Hidden layers use ``activation`` (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"``); the
    last layer is linear, so the outputs are raw scores that a loss can turn into anything.
    ``model(x)`` takes ``nin`` numbers or Values and returns a single Value when the last layer
    has one neuron, else a list. Give ``seed`` (an int) or ``rng`` (a ``random.Random``) for
    reproducible weights; with neither, the ``random`` module is used, as in micrograd.

    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> model
    MLP(2 -> [16 relu, 16 relu, 1 linear])
    >>> len(model.parameters())
    337
    >>> model([0.5, -1.0]).data == MLP(2, [16, 16, 1], seed=0)([0.5, -1.0]).data
    True
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        init: str = "uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        nin, sizes = check_sizes(nin, nouts)
        activation_function(activation)
        init = check_init(init)
        if seed is not None and rng is not None:
            raise ValueError("MLP: give seed or rng, not both")
        if seed is not None:
            if type(seed) is bool or not isinstance(seed, int):
                raise TypeError(f"seed expects an int, got {type(seed).__name__}")
            source: Rng = random.Random(seed)
        else:
            source = check_rng(rng)
        dims = [nin, *sizes]
        self.layers = [
            Layer(dims[i], dims[i + 1], activation if i < len(sizes) - 1 else "linear", init, source)
            for i in range(len(sizes))
        ]
        self.nin = nin
        self.nouts = sizes
        self.activation = activation
        self.init = init

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        out: Sequence[Input] = prepare_input(x, self.nin, "MLP")
        for i, layer in enumerate(self.layers, start=1):
            out = layer.forward_checked(out, f"layer {i}")
        return out[0] if len(out) == 1 else out  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return _unique([p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)], self)

    def architecture(self) -> dict[str, Any]:
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts), "activation": self.activation}

    @classmethod
    def from_file(cls, path: PathLike) -> MLP:
        """Build the MLP described by a file written by :meth:`save`, with the saved weights.

        The file is read once and checked before anything is built: its architecture must be
        a valid MLP, and the number of parameters that architecture has, (nin + 1)·n₁ +
        (n₁ + 1)·n₂ + …, must be the number of values the file holds. So a tiny file that
        claims ``MLP(2, [3000000, 1])`` is refused at once, instead of allocating millions of
        Values first. Raises ValueError naming the file if it is not a valid MLP model file
        (OSError if it cannot be read).
        """
        path = os.fspath(path)
        try:
            architecture, state = read_model_file(path)
        except ValueError as e:
            raise ValueError(f"from_file: {e}") from None
        if architecture.get("type") != "MLP":
            raise ValueError(f"from_file: {path!r} holds a {architecture.get('type')!r} model, not an MLP")
        try:
            nin, sizes = check_sizes(architecture["nin"], architecture["nouts"])
            activation_function(architecture["activation"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"from_file: {path!r} has an invalid MLP architecture {architecture}: {e}") from None
        dims = [nin, *sizes]
        count = sum((dims[i] + 1) * dims[i + 1] for i in range(len(sizes)))
        if count != len(state):
            raise ValueError(
                f"from_file: {path!r} describes MLP({nin}, {sizes}) with {count:,} parameters, "
                f"but its state holds {len(state):,} values"
            )
        model = cls(nin, sizes, architecture["activation"], seed=0)
        model.load_contents(path, architecture, state, "from_file")
        return model

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """The MLP a ``torch.nn.Sequential`` describes, with its weights: the inverse of :func:`nn.to_torch`.

        ``module`` must be ``Linear``, then (activation, ``Linear``) repeated, with one activation
        (``ReLU``, ``Tanh``, ``Sigmoid``, or none) on every hidden layer. Anything else raises a
        ValueError naming the offending layer by index and type; a module that is not a
        Sequential raises TypeError. Nothing is built or changed on error. Float64 weights are
        read exactly, so valuegrad → PyTorch → valuegrad gives back every weight to the bit.
        Needs PyTorch (``pip install 'valuegrad[torch]'``).

        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
        >>> MLP.from_torch(net)
        MLP(2 -> [8 tanh, 3 linear])
        >>> model = MLP(2, [16, 16, 1], seed=0)
        >>> from nn import to_torch
        >>> MLP.from_torch(to_torch(model)).state_dict() == model.state_dict()
        True
        """
        model: MLP = mlp_from_torch(module, cls)
        return model

    def __repr__(self) -> str:
        parts = ", ".join(f"{len(layer.neurons)} {layer.activation}" for layer in self.layers)
        return f"MLP({self.nin} -> [{parts}])"
