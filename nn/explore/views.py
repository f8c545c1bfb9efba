"""What the page draws, computed from a session: the decision boundary and every neuron's map.

Both come from one pass over a G×G grid of points covering the data (G = the ``grid``
setting, 50 by default): the model's output at each cell colours the decision boundary, and
each neuron's output at each cell is that neuron's own picture. The pass replays a tape of
the forward pass over a few points at a time (:func:`autograd.record`, recorded once per
model), which is about six times faster than building the graphs again.

The pictures travel as bytes, one per cell (base64 in JSON), which the page paints as they come:

* the boundary, two classes: σ(score) · 255, the probability of class 1;
* the boundary, K classes: two bytes per cell, the winning class and its softmax probability · 255;
* a neuron: its output scaled to [−1, 1] by the largest |output| on the grid, as 0 … 254 with 127
  at zero, and that scale beside it, so the page can say what the colours mean.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from autograd import Tape, Value, record, sum_values

from ..layers import MLP
from .session import Session

__all__ = ["GridView", "encode_boundary", "encode_map"]

#: Points per replay of the grid's tape: recording more costs more than it saves.
CHUNK = 10
#: Neuron thumbnails have at most this many cells per side; the focused neuron gets the full grid.
THUMB = 25


def _layers_tape(model: MLP, count: int) -> Tape:
    """A tape of the model on ``count`` points that reports every neuron's output at each point.

    The outputs come back as one flat list, point after point and, within a point, layer after
    layer: a replay hands back a flat list much faster than a nested one.
    """

    def forward(points: list[list[Value]]) -> tuple[Value, list[Value]]:
        flat: list[Value] = []
        scores: list[Value] = []
        for x in points:
            a: list[Value] = x
            for layer in model.layers:
                a = layer(a)
                flat += a
            scores += a
        return sum_values(scores), flat

    return record(forward, [[0.0, 0.0] for _ in range(count)])


class GridView:
    """The model evaluated at the centre of every cell of a ``size``×``size`` grid over ``domain``.

    Rows run from the top of the picture (largest y) down, cells from left to right.
    :meth:`layers` gives, for each layer, each neuron's outputs over the grid in that order,
    recomputed only when the session's weights changed.
    """

    def __init__(self, session: Session, size: int) -> None:
        self.session = session
        self.model = session.model
        self.size = size
        x0, x1, y0, y1 = session.domain
        dx, dy = (x1 - x0) / size, (y1 - y0) / size
        self.points = [[x0 + (c + 0.5) * dx, y1 - (r + 0.5) * dy] for r in range(size) for c in range(size)]
        self._tape = _layers_tape(self.model, CHUNK)
        self._cached: tuple[int, list[list[list[float]]]] | None = None

    def layers(self) -> list[list[list[float]]]:
        """``maps[l][j][cell]``: neuron j of layer l at each cell (the last layer holds the scores)."""
        version = self.session.version
        if self._cached is not None and self._cached[0] == version:
            return self._cached[1]
        sizes = [len(layer.neurons) for layer in self.model.layers]
        per_point = sum(sizes)
        columns: list[list[float]] = [[] for _ in range(per_point)]  # one per neuron, all layers in a row
        points, forward, total = self.points, self._tape.forward, len(self.points)
        for start in range(0, total, CHUNK):
            chunk = points[start : start + CHUNK]
            kept = len(chunk) * per_point
            if len(chunk) < CHUNK:  # the tape takes CHUNK points: pad the last chunk, drop the extra
                chunk = chunk + [chunk[-1]] * (CHUNK - len(chunk))
            flat = forward(chunk)[1][:kept]
            for j, column in enumerate(columns):
                column.extend(flat[j::per_point])
        maps: list[list[list[float]]] = []
        first = 0
        for n in sizes:
            maps.append(columns[first : first + n])
            first += n
        self._cached = (version, maps)
        return maps


def _b64(data: bytes | bytearray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _byte(p: float) -> int:
    """A probability as 0 … 255 (nan as the middle, 128)."""
    return 128 if p != p else min(255, max(0, int(p * 255.0 + 0.5)))


def encode_boundary(scores: list[list[float]]) -> str:
    """The boundary picture from the output layer's maps (one per output neuron), as base64.

    >>> import base64
    >>> list(base64.b64decode(encode_boundary([[0.0, 100.0, -100.0]])))
    [128, 255, 0]
    >>> list(base64.b64decode(encode_boundary([[0.0], [math.log(3)], [0.0]])))   # class 1 wins with 3/5
    [1, 153]
    """
    if len(scores) == 1:
        return _b64(bytearray(_byte(_sigmoid(z)) for z in scores[0]))
    out = bytearray()
    for cell in zip(*scores):
        top = max(cell)
        if top != top or top in (math.inf, -math.inf):
            out += bytes((0, 128))
            continue
        weights = [math.exp(z - top) for z in cell]
        best = max(range(len(cell)), key=cell.__getitem__)
        out += bytes((best, _byte(weights[best] / sum(weights))))
    return _b64(out)


def encode_map(values: list[float], size: int, step: int = 1) -> dict[str, Any]:
    """One neuron's map as ``{"size", "scale", "pixels"}``, keeping every ``step``-th row and column.

    >>> import base64
    >>> m = encode_map([0.0, 2.0, -1.0, -2.0], size=2)
    >>> m["size"], m["scale"], list(base64.b64decode(m["pixels"]))
    (2, 2.0, [127, 254, 64, 0])
    """
    rows = range(0, size, step)
    kept = [values[r * size + c] for r in rows for c in range(0, size, step)]
    finite = [abs(v) for v in kept if v - v == 0.0]
    scale = max(finite, default=0.0) or 1.0
    inv = 127.0 / scale
    if len(finite) == len(kept):  # |v| <= scale, so v·inv + 127.5 lies in [0.5, 254.5]
        pixels = bytes([int(v * inv + 127.5) for v in kept])
    else:
        pixels = bytes([int(v * inv + 127.5) if v - v == 0.0 else 127 for v in kept])
    return {"size": len(rows), "scale": scale, "pixels": _b64(pixels)}


def thumbnails(maps: list[list[list[float]]], size: int) -> list[list[dict[str, Any]]]:
    """Every neuron's map at most :data:`THUMB` cells a side, for the network diagram."""
    step = max(1, math.ceil(size / THUMB))
    return [[encode_map(m, size, step) for m in layer] for layer in maps]
