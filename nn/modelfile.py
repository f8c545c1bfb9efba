"""Reading a saved model file, and refusing every corrupt one with a ValueError that names it.

A file written by :meth:`nn.Module.save` is JSON::

    {"format": "valuegrad.model", "version": 1,
     "architecture": {"type": "MLP", ...}, "state": {"layers.0.neurons.0.w.0": 0.23, ...}}

:func:`read_model_file` checks everything that does not depend on a particular model, so that
:meth:`nn.Module.load` and :meth:`nn.MLP.from_file` start from a document known to be sound.
JSON parsers are generous in ways a model file must not be: Python's accepts ``NaN`` and
``Infinity``, rounds ``1e999`` to infinity, keeps the last of two equal keys without a word,
and recurses once per level of nesting. Each of those is refused here.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from typing import Any, Union

from autograd.fileio import read_regular

__all__ = ["FORMAT", "MAX_BYTES", "VERSION", "read_model_file", "shortened"]

#: The ``format`` field of a saved model file.
FORMAT = "valuegrad.model"
#: The version of that file format this code writes and reads.
VERSION = 1
#: The largest model file read: 256 MiB. A saved parameter takes about 53 bytes (its name and
#: its number), so this fits about 4 million parameters, far more than the pure-Python engine
#: trains (``python -m nn train`` makes at most 1 million); a larger file is refused unread.
MAX_BYTES = 256 * 2**20

PathLike = Union[str, "os.PathLike[str]"]


def read_model_file(path: PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(architecture, state)`` of a model file written by :meth:`Module.save`.

    Checks everything that does not depend on the model: the file is a regular file (not a FIFO
    or a device such as ``/dev/zero``) of at most :data:`MAX_BYTES`, checked before it is read
    (:func:`autograd.fileio.read_regular`), non-empty UTF-8 JSON,
    nested at most 64 deep (so the parser cannot run out of stack), an object with ``format`` ``"valuegrad.model"``, ``version`` 1, an ``architecture`` object
    and a ``state`` object, no object holds a key twice, and every number in it is a finite float: no ``NaN`` or
    ``Infinity``, and no number such as ``1e999`` or a 400-digit integer that a float cannot
    hold (``float("1e999")`` is ``inf``). Raises ValueError naming ``path`` and the problem, or
    OSError if the file cannot be read.
    """
    path = os.fspath(path)
    raw = read_regular(path, MAX_BYTES, "valuegrad model file")
    if not raw.strip():
        raise ValueError(f"{path!r} is empty, not a valuegrad model file")
    try:
        text = raw.decode("utf-8")
        if _too_deep(text):
            raise ValueError(
                f"{path!r} nests arrays and objects more than {_MAX_DEPTH} deep, which no model file does (corrupt?)"
            )
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_finite_int,
                              object_pairs_hook=_object)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path!r} is not UTF-8 text, not a valuegrad model file ({e})") from None
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path!r} is not valid JSON (truncated or corrupt?): {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except _ContentError as e:
        raise ValueError(f"{path!r} holds {e.args[0]}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path!r} holds a JSON {type(document).__name__}, not a valuegrad model object")
    if document.get("format") != FORMAT:
        raise ValueError(f"{path!r} has format {document.get('format')!r}, expected {FORMAT!r}")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path!r} has version {version!r}; this valuegrad reads version {VERSION}")
    architecture = document.get("architecture")
    if not isinstance(architecture, dict):
        raise ValueError(f"{path!r} has no architecture object (got {type(architecture).__name__})")
    state = document.get("state")
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} has no state object (got {type(state).__name__})")
    return architecture, state


#: How deep arrays and objects may nest in a model file. A saved MLP nests 3 deep; the JSON
#: parser recurses once per level, so 100,000 ``[`` would raise RecursionError, not ValueError.
_MAX_DEPTH = 64
#: How many digits the largest float has (1.79e308): a longer integer cannot be a finite float.
_FLOAT_DIGITS = sys.float_info.max_10_exp + 1
#: A JSON string (skipped whole, so the brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[][{}]', re.DOTALL)


def _too_deep(text: str) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than :data:`_MAX_DEPTH` deep.

    Brackets inside strings do not count: the scan steps over each string whole. A file with
    fewer opening brackets than the limit cannot nest that deep, and is not scanned at all.
    """
    if text.count("[") + text.count("{") <= _MAX_DEPTH:
        return False
    depth = 0
    for token in _JSON_TOKEN.finditer(text):  # one token at a time: no copy of the text
        first = text[token.start()]
        if first in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                return True
        elif first in "]}":
            depth -= 1
    return False


class _ContentError(ValueError):
    """What a parser hook found wrong in the file (a number, a repeated key); the message says what."""


def _reject_constant(name: str) -> float:
    """``json.loads`` accepts NaN and Infinity, which are not JSON; a model file must not hold them."""
    raise _ContentError(f"{name}, which is not a finite number")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent, as a float, refused unless finite.

    ``float()`` rounds a number beyond the largest double (about 1.8e308), such as ``1e999``,
    to infinity: valid JSON, but no weight a saved model can hold.
    """
    x = float(text)
    if not math.isfinite(x):
        raise _ContentError(f"the number {shortened(text)}, which is beyond the largest float (it would be {x})")
    return x


def _finite_int(text: str) -> int:
    """A JSON integer, refused if it is beyond the largest float, as :func:`_finite_float`.

    The digits are counted first: an integer of more digits than the largest float has is
    refused without converting it, which for thousands of digits would be slow, or refused by
    ``int()`` itself (``sys.get_int_max_str_digits()``) with an error that names no file.
    """
    if len(text) - text.startswith("-") > _FLOAT_DIGITS:
        raise _ContentError(f"the integer {shortened(text)}, which is beyond the largest float")
    n = int(text)
    try:
        float(n)
    except OverflowError:
        raise _ContentError(f"the integer {shortened(text)}, which is beyond the largest float") from None
    return n


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refused if it holds a key twice.

    JSON allows that, and ``json.loads`` silently keeps the last value: a state holding one
    parameter twice, with two values, would load whichever came last. No saved file does it.
    """
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _ContentError(f"the key {shortened(key)!r} twice in one object (which value is meant?)")
            seen.add(key)
    return out


def shortened(text: str, limit: int = 24) -> str:
    """``text`` as is, or its first and last characters around the number of characters left out."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}...{text[-half:]} ({len(text)} characters)"
