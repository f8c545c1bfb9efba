"""Groups: which part of a program made a Value, as a path of names such as ``("layer 2", "neuron 5")``.

Big graphs are read by their parts: a training step is layers of neurons and a loss, a GPT is
blocks of attention heads and MLPs. ``with group("attention"):`` names the part of your code
that runs inside it, and every Value an op makes there remembers that name; groups nest, so a
Value made inside ``group("block 1")`` and then ``group("head 2")`` belongs to the path
``("block 1", "head 2")``, outermost first. :func:`group_of` reads the path back, and the
drawings (:func:`autograd.viz.draw_dot`, the player) draw each group as one box that opens on
demand, as TensorBoard does with TensorFlow's name scopes.

What belongs to a group: every Value that an op (``+``, ``tanh``, ``dot``, ``apply``, ...)
makes while the group is active, in this thread or asyncio task. Leaves made with
``Value(...)`` (parameters, inputs) belong to none: a drawing puts a leaf in the box of the
code that uses it.

What it costs: nothing outside a group. Inside one, each new node costs one entry in a side
table (a :class:`weakref.WeakKeyDictionary`, as labels use), so a node stays as small as it
was, and the entry goes away with the node. The engine's fast path tests one thing, "is the
mode the usual one?", and a group makes it unusual, so only the slower path pays. This is
also why :mod:`nn`'s modules name their own groups (``layer 2 › neuron 5``) only inside a
group that you opened: training outside any group runs at full speed.

>>> from autograd import Value, group, group_of
>>> x = Value(2.0)
>>> with group("block 1"):
...     with group("head 2"):
...         y = x * x
...     z = y + 1
>>> group_of(y), group_of(z), group_of(z + 1), group_of(x)
(('block 1', 'head 2'), ('block 1',), (), ())
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import weakref
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

from .mode import current_group, enter_group, leave_group
from .node import NodeView

__all__ = ["group", "group_of", "in_group", "subgroup", "grouped", "set_group", "GROUPS", "SEPARATOR"]

#: The group path of each Value made inside a group (a side table: most nodes have none).
GROUPS: weakref.WeakKeyDictionary[Any, tuple[str, ...]] = weakref.WeakKeyDictionary()

#: How a path is written for people: ``"layer 2 › neuron 5"``.
SEPARATOR = " › "

F = TypeVar("F", bound=Callable[..., Any])


def _check_name(name: Any, who: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{who}: name expects a non-empty str, got {type(name).__name__} {name!r}")
    if not name.strip():
        raise ValueError(f"{who}: name expects a non-empty str, got {name!r}")
    return name


class group:  # noqa: N801 - named like a function: it is used as one, ``with group("attention"):``
    """Name the group of every Value made inside it: a context manager, and a decorator.

    Groups nest: the path of a Value is the names of the groups around it, outermost first
    (:func:`group_of`). The state is a :mod:`contextvars` variable, like ``no_grad``'s, so
    each thread and each asyncio task has its own; ``no_grad()`` and ``detect_anomaly()``
    compose with it in any order. As a decorator, ``@group("attention")`` runs each call of
    the function inside the group.

    ``name`` must be a non-empty str (TypeError or ValueError otherwise). One object can be
    entered again while it is active (re-entrant): each entry adds the name once more.

    >>> from autograd import Value, group, group_of
    >>> @group("square")
    ... def square(v):
    ...     return v * v
    >>> group_of(square(Value(3.0)))
    ('square',)
    """

    __slots__ = ("name", "_tokens")

    def __init__(self, name: str) -> None:
        self.name = _check_name(name, "group")
        self._tokens: list[contextvars.Token[Any]] = []

    def __enter__(self) -> tuple[str, ...]:
        self._tokens.append(enter_group(self.name))
        return current_group()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        leave_group(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        name = self.name

        @functools.wraps(fn)
        def inside(*args: Any, **kwargs: Any) -> Any:
            with group(name):
                return fn(*args, **kwargs)

        return inside  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"group({self.name!r})"


def group_of(v: NodeView) -> tuple[str, ...]:
    """The path of names of the group that made ``v``, outermost first; ``()`` when none.

    >>> from autograd import Value, group, group_of
    >>> with group("loss"):
    ...     y = Value(1.0) * 2
    >>> group_of(y)
    ('loss',)
    """
    if not isinstance(v, NodeView):
        raise TypeError(f"group_of: v expects a Value, got {type(v).__name__}")
    return GROUPS.get(v, ())


def in_group() -> bool:
    """Whether a group is active right now (modules that name their own groups test this first)."""
    return bool(current_group())


_NOTHING = contextlib.nullcontext(())


def subgroup(name: str) -> AbstractContextManager[tuple[str, ...]]:
    """``group(name)`` when a group is active, else a context that does nothing.

    How a library names its parts without slowing the code of users who never asked for
    groups: :mod:`nn`'s layers, the GPT and the losses open their groups with it, so they are
    named inside your ``with group(...)`` and cost one check outside.
    """
    return group(name) if current_group() else _NOTHING


def grouped(name: str) -> Callable[[F], F]:
    """A decorator: each call of the function runs in :func:`subgroup` ``(name)``.

    >>> from autograd import Value, group, group_of
    >>> @grouped("double")
    ... def double(v):
    ...     return v * 2
    >>> group_of(double(Value(1.0)))          # no group around the call: none
    ()
    >>> with group("step"):
    ...     group_of(double(Value(1.0)))
    ('step', 'double')
    """
    name = _check_name(name, "grouped")

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def inside(*args: Any, **kwargs: Any) -> Any:
            if not current_group():
                return fn(*args, **kwargs)
            with group(name):
                return fn(*args, **kwargs)

        return inside  # type: ignore[return-value]

    return decorate


def set_group(values: Iterable[NodeView], path: tuple[str, ...]) -> None:
    """Put each of ``values`` into the group ``path`` (outermost first; ``()`` takes them out).

    For library code that makes many Values in one fused op and names their parts after the
    fact, such as a layer whose one ``matvec`` makes a node per neuron. Most code should use
    :class:`group` instead.
    """
    if not isinstance(path, tuple):
        raise TypeError(f"set_group: path expects a tuple of str, got {type(path).__name__}")
    for name in path:
        _check_name(name, "set_group")
    items = list(values)
    for v in items:  # every check before any change
        if not isinstance(v, NodeView):
            raise TypeError(f"set_group: values expects Values, got a {type(v).__name__}")
    for v in items:
        if path:
            GROUPS[v] = path
        else:
            GROUPS.pop(v, None)
