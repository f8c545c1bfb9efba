"""Text as tokens, for character-level language models: a vocabulary, windows, and a text that ships
with Python.

A character-level model reads and writes one character at a time. Its *vocabulary* is the set
of characters of its training text, numbered in sorted order; a text becomes a list of token
ids (:meth:`Vocabulary.encode`) and back (:meth:`Vocabulary.decode`). A model that reads
``block`` tokens learns from *windows* of ``block + 1`` consecutive tokens: the first ``block``
are its inputs, and the last ``block`` the tokens it should predict after each of them.

>>> vocab = Vocabulary("hello")
>>> vocab.chars, vocab.encode("hole")
('ehlo', [1, 3, 2, 0])
>>> vocab.decode([2, 0, 2, 2])
'lell'
>>> windows([0, 1, 2, 3, 4], 4)
[[0, 1, 2, 3], [1, 2, 3, 4]]
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import io
from collections.abc import Sequence

__all__ = ["zen_of_python", "Vocabulary", "windows"]


def zen_of_python() -> str:
    """The Zen of Python (``import this``), as text: 856 characters that come with every Python.

    The ``this`` module keeps the poem ROT13-encoded in ``this.s`` (each letter moved 13 places
    along the alphabet) and prints it when first imported; here it is imported with that print
    caught and decoded with :mod:`codecs`, so nothing is printed and nothing is downloaded.

    >>> zen_of_python().splitlines()[2]
    'Beautiful is better than ugly.'
    """
    with contextlib.redirect_stdout(io.StringIO()):
        this = importlib.import_module("this")
    return codecs.decode(this.s, "rot13")


class Vocabulary:
    """The characters of a text, numbered in sorted order: token ``i`` is ``chars[i]``."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary: text expects a str, got {type(text).__name__}")
        if not text:
            raise ValueError("Vocabulary: text expects at least one character, got an empty string")
        #: Every character of the text once, sorted: a token id is a position in this string.
        self.chars = "".join(sorted(set(text)))
        self._ids = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters: {self.chars!r})"

    def encode(self, text: str) -> list[int]:
        """The token id of each character of ``text``; a character outside the vocabulary is an error."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.encode: text expects a str, got {type(text).__name__}")
        for i, c in enumerate(text):
            if c not in self._ids:
                raise ValueError(f"Vocabulary.encode: text[{i}] is {c!r}, which is not in the vocabulary {self.chars!r}")
        return [self._ids[c] for c in text]

    def decode(self, tokens: Sequence[int]) -> str:
        """The characters of the token ids ``tokens``, as one string."""
        out = []
        for i, t in enumerate(tokens):
            if isinstance(t, bool) or not isinstance(t, int):
                raise TypeError(f"Vocabulary.decode: tokens[{i}] expects a token id (an int), got {type(t).__name__} {t!r}")
            if not 0 <= t < len(self.chars):
                raise ValueError(f"Vocabulary.decode: tokens[{i}] expects a token id from 0 to {len(self.chars) - 1}, got {t!r}")
            out.append(self.chars[t])
        return "".join(out)


def windows(tokens: Sequence[int], length: int) -> list[list[int]]:
    """Every run of ``length`` consecutive tokens, one starting at each position (they overlap).

    For a model that reads ``block`` tokens, ``windows(tokens, block + 1)`` gives its training
    sequences: ``w[:-1]`` are the inputs and ``w[1:]`` the tokens to predict.
    """
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"windows: length expects a positive int, got {type(length).__name__} {length!r}")
    if length < 1:
        raise ValueError(f"windows: length expects a positive int, got {length!r}")
    if len(tokens) < length:
        raise ValueError(f"windows: tokens expects at least length={length} tokens, got {len(tokens)}")
    return [list(tokens[i : i + length]) for i in range(len(tokens) - length + 1)]
