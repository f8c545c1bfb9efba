"""The explorer's one JSON reader, and how its error messages show a value: never deeper or longer than they must.

Everything the explorer reads from a page or a user (a WebSocket message, ``--config @file``,
``Explorer("{...}")``, a dict handed to :class:`~nn.explore.config.Config`) is at most a few
levels deep: ``{"type": "focus", "neuron": [0, 3]}``. Python's ``json``, ``repr`` and the
checks that follow all recurse, so a value nested 100,000 deep would end in a ``RecursionError``.
Here depth is measured without recursion, before anything else looks at the value:

>>> loads('{"type": "focus", "neuron": [0, 3]}', "message")
{'type': 'focus', 'neuron': [0, 3]}
>>> loads("[" * 50_000 + "]" * 50_000, "message")
Traceback (most recent call last):
...
ValueError: message: nested deeper than 16 levels (50000)
>>> shown("x" * 100)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (102 characters)"
"""

from __future__ import annotations

import itertools
import json
import re
from array import array
from typing import Any

__all__ = ["MAX_DEPTH", "loads", "check_depth", "shown"]

#: How deep a value the explorer reads may be nested: far more than any command or configuration needs.
MAX_DEPTH = 16
#: How many characters of a value an error message shows.
SHOWN = 60

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEPS = str.maketrans({"[": "\x01", "{": "\x01", "]": "\xff", "}": "\xff"})


def _text_depth(text: str) -> int:
    """The deepest nesting of brackets in JSON text, outside strings (an unclosed string counts its
    brackets too, which errs towards refusing text that is not valid anyway). No recursion: the
    brackets become +1 and -1 bytes, and the deepest point is the largest running sum."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = array("b", brackets.translate(_STEPS).encode("latin-1"))
    return max(itertools.accumulate(steps))


def loads(text: str | bytes, what: str) -> Any:
    """``json.loads(text)``, refusing text nested deeper than :data:`MAX_DEPTH` first.

    ValueError, naming ``what`` (e.g. ``"message"``), if the text is not JSON or too deep.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{what}: not UTF-8 text: {e.reason} at byte {e.start}") from None
    depth = _text_depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"{what}: nested deeper than {MAX_DEPTH} levels ({depth})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:  # an integer of more than 4,300 digits
        raise ValueError(f"{what}: not valid JSON: {e}") from None


def check_depth(value: Any, what: str) -> None:
    """ValueError if ``value`` (dicts, lists and tuples inside each other) is nested deeper than
    :data:`MAX_DEPTH`. Walks with a stack, never recursing, and stops at the first level too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = itertools.chain(item, item.values())
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"{what}: nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def shown(value: Any) -> str:
    """``value`` as an error message shows it: its repr, cut to :data:`SHOWN` characters, with no
    recursion for a value nested too deep (which only says so)."""
    try:
        check_depth(value, "the value")
    except ValueError:
        return f"a {type(value).__name__} nested deeper than {MAX_DEPTH} levels"
    text = repr(value)
    if len(text) > SHOWN:
        return f"{text[:SHOWN - 1]}… ({len(text)} characters)"
    return text
