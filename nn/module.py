"""``Module``: the base class of every model. It finds the parameters, and saves and loads them.

A module's *parameters* are the Values among its attributes, found by walking them in the
order they were assigned: a Value is a parameter, a Module is walked into, and lists,
tuples and dicts are walked item by item. Each parameter gets a dotted name from that path,
for instance ``layers.0.neurons.3.w.1`` (layer 0, neuron 3, weight 1). Attributes whose
names start with ``_`` are private and are not searched.

A model is saved as JSON, never with pickle (loading a pickle runs arbitrary code)::

    {"format": "valuegrad.model", "version": 1,
     "architecture": {"type": "MLP", ...}, "state": {"layers.0.neurons.0.w.0": 0.23, ...}}

Reading such a file, and refusing a corrupt one, is :mod:`nn.modelfile`'s job.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any

from autograd import Value
from autograd.fileio import write_atomic

from .modelfile import FORMAT, VERSION, PathLike, read_model_file, shortened

__all__ = ["Module", "FORMAT", "VERSION", "read_model_file"]

def _short_list(names: list[str], limit: int = 5) -> str:
    """``names`` quoted and comma-separated, cut after ``limit`` items."""
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names) - limit} more)"
    return shown


class Module:
    """The base class of models: parameters, gradients, and persistence.

    A subclass assigns its Values and sub-modules as attributes in ``__init__`` and defines
    ``__call__``; everything else comes from here. Subclasses may override
    :meth:`parameters` with a faster version, as long as it gives the same Values in the same
    order as :meth:`named_parameters`.

    >>> class Line(Module):
    ...     def __init__(self) -> None:
    ...         self.slope, self.intercept = Value(2.0), Value(1.0)
    ...     def __call__(self, x: float) -> Value:
    ...         return self.slope * x + self.intercept
    >>> line = Line()
    >>> line.state_dict()
    {'slope': 2.0, 'intercept': 1.0}
    >>> line(3.0).data
    7.0
    """

    # --- parameters ---

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in the order the attributes were assigned.

        A Value reachable along two paths is listed once, under the first name found. Two
        *different* Values must not get the same name, or a state dict would keep only one
        of them: since a name joins attribute names, list indices and dict keys with ``.``,
        the dict keys ``0`` and ``"0"``, or a key ``"w.0"`` beside a list ``w``, would
        collide. That raises ValueError naming the name (rename one of the two).
        """
        out = self._unique_parameters()
        owners: dict[str, Value] = {}
        for name, v in out:
            if name in owners:
                raise ValueError(
                    f"{type(self).__name__}: two different parameters are both named {name!r}, so a state dict "
                    "cannot hold both. A name joins attribute names, list indices and dict keys with '.': "
                    "dict keys such as 0 and '0', or a key or attribute holding a '.', give two paths one name; "
                    "rename one of them"
                )
            owners[name] = v
        return out

    def _unique_parameters(self) -> list[tuple[str, Value]]:
        """The walk's (name, Value) pairs, each Value once, under the first name found."""
        seen: set[int] = set()
        out: list[tuple[str, Value]] = []
        for name, v in self._walk(self, "", set()):
            if id(v) not in seen:
                seen.add(id(v))
                out.append((name, v))
        return out

    @staticmethod
    def _walk(obj: Any, prefix: str, visiting: set[int]) -> Iterator[tuple[str, Value]]:
        if isinstance(obj, Value):
            yield prefix, obj
            return
        if id(obj) in visiting:  # a module (or list) that contains itself: walk it once
            return
        if isinstance(obj, Module):
            items: Any = ((k, v) for k, v in vars(obj).items() if not k.startswith("_"))
        elif isinstance(obj, (list, tuple)):
            items = enumerate(obj)
        elif isinstance(obj, dict):
            items = obj.items()
        else:
            return
        visiting.add(id(obj))
        for key, value in items:
            yield from Module._walk(value, f"{prefix}.{key}" if prefix else str(key), visiting)
        visiting.discard(id(obj))

    def parameters(self) -> list[Value]:
        """The parameters (trainable Values) of this module, in a stable order, without duplicates.

        They do not need names, so a module whose names collide (see :meth:`named_parameters`)
        can still be trained; saving it is what fails.
        """
        return [v for _, v in self._unique_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0: call it before each ``backward()``, since leaf
        gradients accumulate."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict[str, Any]:
        """A JSON-able description of the model's shape, stored in saved files and checked on load.

        Subclasses extend it with what is needed to rebuild them (sizes, activations).
        """
        return {"type": type(self).__name__}

    # --- state ---

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value as a plain float, keyed by its name from :meth:`named_parameters`."""
        return {name: v.data for name, v in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (as made by :meth:`state_dict`).

        Everything is checked before anything changes: ``state`` must have exactly this
        model's parameter names, and finite real numbers as values (an int too large for a
        float, nan or infinity is refused). On any error, a ValueError (or TypeError if
        ``state`` is not a mapping) says what is wrong, and the model is untouched: no
        parameter is set until every value is known good.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: state expects a mapping of names to numbers, got {type(state).__name__}")
        try:
            updates = self._checked_state(state)
        except ValueError as e:
            raise ValueError(f"load_state_dict: the state does not fit this {type(self).__name__}: {e}") from None
        _assign(updates)

    # --- files ---

    def save(self, path: PathLike) -> None:
        """Write the model to ``path`` as JSON, atomically (:func:`autograd.fileio.write_atomic`).

        The JSON goes to a temporary file in the same folder, which is flushed, synced to disk
        and then renamed over ``path`` in one step (``os.replace``). A crash leaves either the
        old file or the new one, never half of one; an error or Ctrl-C also removes the
        temporary file.
        A new file's permissions follow the umask; an existing file keeps its mode.
        Raises ValueError if a parameter is nan or infinite (JSON has no such numbers),
        OSError if the file cannot be written.

        >>> import os, tempfile
        >>> from nn import MLP
        >>> model = MLP(2, [4, 1], seed=0)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.json")
        ...     model.save(path)
        ...     other = MLP(2, [4, 1], seed=1)
        ...     other.load(path)
        ...     again = MLP.from_file(path)
        >>> other([0.5, 1.0]).data == model([0.5, 1.0]).data == again([0.5, 1.0]).data
        True
        """
        path = os.fspath(path)
        state = self.state_dict()
        for name, x in state.items():
            if not math.isfinite(x):
                raise ValueError(f"save: cannot save to {path!r}: parameter {name!r} is {x} (the model has diverged)")
        document = {"format": FORMAT, "version": VERSION, "architecture": self.architecture(), "state": state}
        write_atomic(path, (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8"))

    def load(self, path: PathLike) -> None:
        """Read parameters saved by :meth:`save` from ``path`` into this model.

        The file must be a complete valuegrad model file (see :func:`read_model_file`) whose
        architecture and parameter names match this model. Otherwise a ValueError names the
        file and the problem (an OSError if it cannot be read), and the model is left
        untouched: every value is checked before the first parameter is set.
        """
        path = os.fspath(path)
        try:
            architecture, state = read_model_file(path)
        except ValueError as e:
            raise ValueError(f"load: {e}") from None
        self.load_contents(path, architecture, state, "load")

    def load_contents(self, path: str, architecture: dict[str, Any], state: dict[str, Any], who: str) -> None:
        """Set the parameters from a model file's contents, read by :func:`read_model_file`.

        Checks that they fit this model first; ``who`` begins each error message.
        """
        expected = self.architecture()
        try:
            updates = self._checked_state(state)
        except ValueError as e:
            raise ValueError(f"{who}: {path!r} does not fit this model: {e}") from None
        if architecture != expected:
            raise ValueError(f"{who}: {path!r} holds architecture {architecture}, but this model is {expected}")
        _assign(updates)

    def _checked_state(self, state: Mapping[str, Any]) -> list[tuple[Value, float]]:
        """Every parameter with the float ``state`` gives it, all checked and nothing changed yet.

        Raises ValueError for a missing or unexpected name, or a value that is not a finite
        real number; the caller assigns the pairs only when this returns.
        """
        params = self.named_parameters()
        names = [name for name, _ in params]
        known = set(names)
        missing = [n for n in names if n not in state]
        unexpected = [str(k) for k in state if k not in known]
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing keys {_short_list(missing)}")
            if unexpected:
                problems.append(f"unexpected keys {_short_list(unexpected)}")
            raise ValueError(f"{len(names)} parameters expected, the state has {len(state)}: " + "; ".join(problems))
        updates = []
        for name, v in params:
            value = state[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"parameter {name!r} expects a number, got {_shown(value)}")
            try:
                x = float(value)
            except OverflowError:
                x = math.inf
            if not math.isfinite(x):
                raise ValueError(f"parameter {name!r} expects a finite number, got {_shown(value)}")
            updates.append((v, x))
        return updates


def _shown(value: Any) -> str:
    """``value``'s type and repr, shortened, for an error message."""
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than sys.get_int_max_str_digits() cannot be printed
        return f"{type(value).__name__} of {value.bit_length()} bits"
    return f"{type(value).__name__} {shortened(text)}"


def _assign(updates: list[tuple[Value, float]]) -> None:
    """Set each Value's ``data``: the only step of a load that changes the model, and it cannot fail."""
    for v, x in updates:
        v.data = x
