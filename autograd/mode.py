"""What ops do right now: record a graph or not (``no_grad``), check for nan or not
(``detect_anomaly``); and ``gc_paused`` for building big graphs fast.

The state is one :class:`contextvars.ContextVar`, so each thread and each asyncio task has
its own: a ``no_grad()`` block in one thread never changes what another records.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import inspect
import os
import sys
import weakref
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

__all__ = [
    "AnomalyError",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "is_anomaly_enabled",
    "detect_anomaly",
    "gc_paused",
]


class _Mode:
    """What ops do right now: record a graph or not, check for nan or not, and the group
    (a path of names, outermost first, ``()`` outside any) that the Values they make belong to."""

    __slots__ = ("grad_enabled", "anomaly", "group")

    def __init__(self, grad_enabled: bool, anomaly: bool, group: tuple[str, ...] = ()) -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly
        self.group = group


_MODES = {(g, a): _Mode(g, a) for g in (True, False) for a in (True, False)}
#: The usual mode (recording, no checks, no group): the engine tests ``_MODE.get() is NORMAL`` first.
NORMAL = _MODES[(True, False)]
#: The current mode.
_MODE: contextvars.ContextVar[_Mode] = contextvars.ContextVar("valuegrad_mode", default=NORMAL)
#: The current mode, as a function: ``current() is NORMAL`` is the engine's fast test.
current = _MODE.get


def _mode(grad_enabled: bool, anomaly: bool, group: tuple[str, ...]) -> _Mode:
    """The mode object for these settings: one of the four shared ones outside any group (so
    that ``current() is NORMAL`` holds whenever nothing special is on), a new one inside."""
    return _Mode(grad_enabled, anomaly, group) if group else _MODES[(grad_enabled, anomaly)]


def _set_mode(grad_enabled: bool | None = None, anomaly: bool | None = None) -> contextvars.Token[_Mode]:
    now = _MODE.get()
    g = now.grad_enabled if grad_enabled is None else grad_enabled
    a = now.anomaly if anomaly is None else anomaly
    return _MODE.set(_mode(g, a, now.group))


def enter_group(name: str) -> contextvars.Token[_Mode]:
    """Make ``name`` the innermost group of the current mode; give the token to :func:`leave_group`.

    Inside a group the mode is never ``NORMAL``, so the engine takes its slower path, which
    stores each new Value's group (see :mod:`autograd.groups`); outside, nothing changes.
    """
    now = _MODE.get()
    return _MODE.set(_Mode(now.grad_enabled, now.anomaly, (*now.group, name)))


def leave_group(token: contextvars.Token[_Mode]) -> None:
    """Restore the mode from before the :func:`enter_group` that returned ``token``."""
    _MODE.reset(token)


def current_group() -> tuple[str, ...]:
    """The path of the group that Values made now join, outermost first (``()`` outside any)."""
    return _MODE.get().group


class AnomalyError(RuntimeError):
    """Raised under ``detect_anomaly()`` when an op's value or gradient becomes nan."""


def is_grad_enabled() -> bool:
    """Whether ops record a graph right now (False inside ``no_grad()``)."""
    return _MODE.get().grad_enabled


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is on right now (in this thread or asyncio task)."""
    return _MODE.get().anomaly


F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """A context manager and decorator that sets grad mode inside it, and restores it after.

    As a decorator it also covers a generator function: the mode is set while the generator
    runs (each ``next``, ``send`` and ``throw``), not while the code that iterates it runs,
    which is what PyTorch's ``no_grad`` does.
    """

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._tokens: list[contextvars.Token[_Mode]] = []

    def __enter__(self) -> None:
        self._tokens.append(_set_mode(grad_enabled=self._enabled))

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _MODE.reset(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        enabled = self._enabled
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
                with _GradMode(enabled):
                    inner = fn(*args, **kwargs)
                return (yield from _in_mode(inner, enabled))

            return generator  # type: ignore[return-value]

        @functools.wraps(fn)
        def function(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(enabled):
                return fn(*args, **kwargs)

        return function  # type: ignore[return-value]


def _in_mode(inner: Generator[Any, Any, Any], enabled: bool) -> Generator[Any, Any, Any]:
    """Drive ``inner``, running each of its steps inside the grad mode ``enabled``."""
    step: Callable[[], Any] = lambda: inner.send(None)  # noqa: E731
    while True:
        try:
            with _GradMode(enabled):
                item = step()
        except StopIteration as done:
            return done.value
        try:
            sent = yield item
        except GeneratorExit:
            with _GradMode(enabled):
                inner.close()
            raise
        except BaseException as error:  # thrown into us: throw it into the inner generator
            step = functools.partial(inner.throw, error)
        else:
            step = functools.partial(inner.send, sent)


def no_grad(fn: F | None = None) -> Any:
    """Inside it, ops record no graph: their results are constants with no parents.

    Use it for evaluation and for optimizer updates. It works as a context manager
    (``with no_grad():``) and as a decorator (``@no_grad()`` or ``@no_grad``), on functions and
    on generator functions, whose body then runs without recording while it is iterated.
    Its state is a ``contextvars`` variable, so each thread and each asyncio task has its own.

    >>> from autograd import Value, no_grad
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.requires_grad, y.parents
    (False, ())
    """
    mode = _GradMode(False)
    return mode if fn is None else mode(fn)


def enable_grad(fn: F | None = None) -> Any:
    """Record the graph again, inside a ``no_grad()`` block; a context manager or a decorator."""
    mode = _GradMode(True)
    return mode if fn is None else mode(fn)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector inside the block; restore it on the way out.

    Every node is a Python object that the collector tracks, and while a graph grows the
    collector keeps rescanning all of it, to find reference cycles that valuegrad's graphs
    never have (a node refers only to its operands, never back). On a chain of a million ops
    that rescanning is about half of the time, and in ``python -m nn train`` about a sixth.
    Reference counting still frees every graph the moment its last reference goes, so
    pausing the collector loses nothing; ``nn.fit`` pauses it during each training step.

    It only ever re-enables a collector that it paused: inside a block where the collector
    is already off (``gc.disable()``, or an outer ``gc_paused()``) it does nothing. The
    collector is one switch for the whole process, so another thread's objects wait too.

    >>> import gc
    >>> from autograd import Value, gc_paused
    >>> with gc_paused():
    ...     y = Value(0.5)
    ...     for _ in range(100_000):
    ...         y = y * 1.0
    ...     y.backward()
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Stop at the first nan, in an op's result or in a gradient, and say where it came from.

    Inside it every op checks its result, and ``backward()`` checks every gradient it
    pushes (with the readable chain rule, :func:`autograd.graph.chain_rule`, writing no
    ``.grad`` until every gradient is known good). The :class:`AnomalyError` names the op, its
    inputs, and the file and line of your code that created the node. It is slow: use it to
    debug.

    >>> from autograd import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     y = Value(0.0) ** 0.5 * 0.0      # d/dx √x is inf at 0, and inf · 0 is nan
    ...     y.backward()                        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autograd.mode.AnomalyError: the backward of op 'pow' ... nan gradient ...
    """
    token = _set_mode(anomaly=True)
    try:
        yield
    finally:
        _MODE.reset(token)


# --- provenance: where each node made under detect_anomaly() was created ------------------------

#: Where each node made under ``detect_anomaly()`` was created, as "file:line".
CREATED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_location() -> str:
    """The file and line of the innermost frame outside this package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
