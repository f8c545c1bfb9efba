"""The arguments of a recorded function: their structure (nested lists and tuples of numbers),
checked against the recording on every replay, with errors that name the position."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Iterator
from typing import Any, Union

from ..engine import Value

# The structure of one argument: None for a number, else (container type, item structures,
# whether every item is a number).
Spec = Union[None, tuple[type, tuple[Any, ...], bool]]


def is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, Value))


def not_a_number(where: str, x: Any) -> TypeError:
    hint = " (pass numbers: its .data, say)" if isinstance(x, Value) else ""
    return TypeError(f"{where} expects a number or a list/tuple of numbers, got {type(x).__name__}{hint}")


def _structure(
    x: Any, where: str, is_item: Callable[[Any], bool], found: list[tuple[str, Any]], error: Callable[[str, Any], Exception]
) -> Spec:
    """The structure of ``x``: an item (``is_item``), or nested lists/tuples of items. Appends
    each item, with its position, to ``found``; anything else raises ``error(position, it)``."""
    if is_item(x):
        found.append((where, x))
        return None
    if not isinstance(x, (list, tuple)):
        raise error(where, x)
    items = tuple(_structure(item, f"{where}[{i}]", is_item, found, error) for i, item in enumerate(x))
    return (type(x), items, all(item is None for item in items))


def spec_of(x: Any, where: str, paths: list[str]) -> Spec:
    """The structure of the argument ``x``; appends the position of each of its numbers to ``paths``."""
    found: list[tuple[str, Any]] = []
    spec = _structure(x, where, is_number, found, not_a_number)
    paths.extend(position for position, _ in found)
    return spec


def structure_of(x: Any) -> Spec:
    """The structure of the argument ``x`` (nested lists and tuples of numbers), as a tape keeps
    it; a TypeError when ``x`` is not made of numbers."""
    return spec_of(x, "argument", [])


def flatten(x: Any, spec: Spec, out: list[Any]) -> bool:
    """Append the numbers of ``x`` to ``out`` if ``x`` has the structure ``spec``: the fast check.

    Only the nesting is checked here (the numbers' types are checked afterwards, all at once);
    on a mismatch it returns False, and :func:`structure_error` finds where.
    """
    if spec is None:
        out.append(x)
        return True
    if not isinstance(x, (list, tuple)) or len(x) != len(spec[1]):
        return False
    if spec[2]:  # a flat list of numbers
        out.extend(x)
        return True
    return all(flatten(xi, si, out) for xi, si in zip(x, spec[1]))


def flattener(spec: Spec) -> Callable[[Any, list[Any]], bool]:
    """:func:`flatten` for one ``spec``, made once per tape: the common shapes (a number, a
    list of numbers, a list of such lists: a batch of samples) without a call per item."""
    if spec is None or spec[2]:
        return lambda x, out: flatten(x, spec, out)
    n = len(spec[1])
    items = spec[1]
    if all(s is not None and s[2] for s in items):
        lengths = [len(s[1]) for s in items if s is not None]

        def rows(x: Any, out: list[Any]) -> bool:
            if not isinstance(x, (list, tuple)) or len(x) != n:
                return False
            for row, m in zip(x, lengths):
                if not isinstance(row, (list, tuple)) or len(row) != m:
                    return False
                out.extend(row)
            return True

        return rows
    return lambda x, out: flatten(x, spec, out)


def structure_error(x: Any, spec: Spec, where: str) -> Exception | None:
    """What is wrong with the nesting of ``x`` against ``spec``, named by position, or None."""
    if spec is None:
        if isinstance(x, (list, tuple)):
            return ValueError(f"{where} expects a number, as recorded, got a {type(x).__name__} of {len(x)} items")
        return None
    wanted = f"a list/tuple of {len(spec[1])} items, as recorded"
    if not isinstance(x, (list, tuple)):
        if is_number(x):
            return ValueError(f"{where} expects {wanted}, got a number")
        return not_a_number(where, x)
    if len(x) != len(spec[1]):
        return ValueError(f"{where} expects {wanted}, got {len(x)} items")
    for i, (xi, si) in enumerate(zip(x, spec[1])):
        error = structure_error(xi, si, f"{where}[{i}]")
        if error is not None:
            return error
    return None


def check_positions(x: Any, where: str, paths: list[str]) -> None:
    """Append the position of each leaf of ``x`` (number or not) to ``paths``."""
    if isinstance(x, (list, tuple)):
        for i, item in enumerate(x):
            check_positions(item, f"{where}[{i}]", paths)
    else:
        paths.append(where)


def rebuild(spec: Spec, leaves: Iterator[Any]) -> Any:
    """The argument of structure ``spec``, its numbers taken in order from ``leaves``."""
    if spec is None:
        return next(leaves)
    return spec[0](rebuild(s, leaves) for s in spec[1])


def _not_a_value(where: str, x: Any) -> TypeError:
    return TypeError(f"record: {where} expects a Value or a list/tuple of Values, got {type(x).__name__}")


def value_spec(x: Any, where: str, values: list[Value]) -> Spec:
    """The structure of ``x``, a Value or nested lists/tuples of them; appends its Values to ``values``."""
    found: list[tuple[str, Any]] = []
    spec = _structure(x, where, lambda v: isinstance(v, Value), found, _not_a_value)
    values.extend(v for _, v in found)
    return spec


def values_in(x: Any) -> list[Value]:
    """The Values of ``x`` (a Value or nested lists/tuples of them), in order."""
    found: list[Value] = []
    value_spec(x, "extras", found)
    return found


def argument_names(fn: Callable[..., Any], n: int) -> list[str]:
    """Names for ``fn``'s first ``n`` arguments, for messages and labels: its parameters' names
    when its signature says them, else ``args[0]``, ``args[1]``, ..."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= n:
        return positional[:n]
    return [f"args[{i}]" for i in range(n)]


