"""Pictures of training: loss and accuracy curves, decision regions, a confusion matrix.

matplotlib is optional (``pip install "valuegrad[notebooks]"``) and imported only when a
function here is called. The figures are drawn with matplotlib's object-oriented API on an
Agg canvas, so nothing here touches pyplot's global state or switches a notebook's backend,
and it works on a machine without a display. Every function returns the ``Figure`` (a
notebook shows it) and, given ``path``, also saves it there as a PNG, atomically
(:func:`autograd.fileio.write_atomic`).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, no_grad
from autograd.fileio import write_atomic

from .checks import check_rows
from .train import History

__all__ = ["plot_history", "plot_decision_boundary", "plot_confusion", "confusion_matrix"]


def _figure(width: float, height: float) -> Any:
    """A new matplotlib Figure attached to an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError('plotting needs matplotlib, which is not installed: pip install "valuegrad[notebooks]"') from e
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _margin(scores: list[float], c: int) -> float:
    """How far class c's score is above the best other class (> 0 where c is predicted)."""
    return scores[c] - max(s for i, s in enumerate(scores) if i != c)


def _colours(k: int) -> list[Any]:
    """k colours evenly spread over the viridis map, as RGBA tuples."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(k - 1, 1)) for i in range(k)]


def _number(x: Any) -> float:
    """A feature as a float: a Value's data, or the number itself."""
    return x.data if isinstance(x, Value) else float(x)


def _save(fig: Any, path: str | os.PathLike[str] | None) -> Any:
    """Save ``fig`` as a PNG at ``path``, atomically: rendered in memory, then written in one step."""
    if path is not None:
        png = io.BytesIO()
        fig.savefig(png, format="png")
        write_atomic(path, png.getvalue())
    return fig


def plot_history(history: History, path: str | os.PathLike[str] | None = None, title: str = "") -> Any:
    """Loss (left) and accuracy (right) per epoch, training and validation, from :func:`nn.train.fit`.

    The loss axis is logarithmic when every loss is positive, since losses shrink by orders
    of magnitude. For regression (no accuracy) only the loss panel is drawn.
    """
    if not isinstance(history, History):
        raise TypeError(f"plot_history: history expects the History returned by fit(), got {type(history).__name__}")
    if not history.loss:
        raise ValueError("plot_history: the history is empty (no epoch has run)")
    panels = 2 if history.accuracy else 1
    fig = _figure(5.0 * panels, 3.8)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    epochs = range(1, history.epochs + 1)
    ax = axes[0]
    ax.plot(epochs, history.loss, label="train")
    if history.val_loss:
        ax.plot(epochs[: len(history.val_loss)], history.val_loss, label="test")
    if min(history.loss + history.val_loss) > 0:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss", title="loss")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if panels == 2:
        ax = axes[1]
        ax.plot(epochs, history.accuracy, label="train")
        if history.val_accuracy:
            ax.plot(epochs[: len(history.val_accuracy)], history.val_accuracy, label="test")
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0.0, 1.02))
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_decision_boundary(
    model: Callable[[Any], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    path: str | os.PathLike[str] | None = None,
    resolution: int = 50,
    title: str = "",
) -> Any:
    """The class the model predicts at every point of the plane, with the samples on top.

    The model is evaluated (without a graph) on a ``resolution``×``resolution`` grid covering
    the data with a margin. With one output (binary) the regions are where the score is > 0
    and ≤ 0, and the boundary score = 0 is drawn as a line, interpolated between grid points
    so it is smooth even on a coarse grid; with several outputs each region takes the argmax
    class. Each sample is coloured by its true label (−1/+1 drawn as 0/1), so misclassified
    points stand out. Only for 2-D inputs, every feature a finite number (ValueError naming
    ``X[i][j]`` otherwise).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an int >= 2, got {resolution!r}")
    try:  # every feature finite: a nan made an empty picture, an inf a matplotlib error
        rows = check_rows(X, "X")
    except (TypeError, ValueError) as e:
        raise type(e)(f"plot_decision_boundary: {e}") from None
    if any(len(row) != 2 for row in rows):
        raise ValueError("plot_decision_boundary: needs 2-D samples (each row of X must have 2 features)")
    if len(rows) != len(y):
        raise ValueError(f"plot_decision_boundary: X and y must have the same length, got {len(rows)} and {len(y)}")
    xs = [_number(row[0]) for row in rows]
    ys = [_number(row[1]) for row in rows]
    pad_x = 0.1 * (max(xs) - min(xs)) + 0.1
    pad_y = 0.1 * (max(ys) - min(ys)) + 0.1
    x0, x1 = min(xs) - pad_x, max(xs) + pad_x
    y0, y1 = min(ys) - pad_y, max(ys) + pad_y
    gx = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    gy = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():
        outputs = [model((a, b)) for b in gy for a in gx]
    colours = [1 if t == 1 else (0 if t in (0, -1) else int(t)) for t in y]

    fig = _figure(5.5, 5.0)
    ax = fig.subplots()
    if isinstance(outputs[0], Value):  # binary: one score per point, the boundary is score = 0
        k = 2
        scores = [out.data for out in outputs]
        zz = [scores[j * resolution : (j + 1) * resolution] for j in range(resolution)]
        finite = [z for z in scores if math.isfinite(z)] or [0.0]
        low, high = min(finite), max(finite)
        ax.contourf(gx, gy, zz, levels=[min(low, 0.0) - 1.0, 0.0, max(high, 0.0) + 1.0], cmap="coolwarm", alpha=0.35)
        if low < 0.0 < high:
            ax.contour(gx, gy, zz, levels=[0.0], colors="k", linewidths=1.0)
    else:  # one region per class: where its score beats every other, which is smooth to interpolate
        k = max(len(outputs[0]), max(colours) + 1)
        palette = _colours(k)
        for c in range(len(outputs[0])):
            margins = [_margin([o.data for o in out], c) for out in outputs]
            top = max([m for m in margins if math.isfinite(m)] or [0.0])
            if top <= 0.0:
                continue  # the class wins nowhere on the grid
            zz = [margins[j * resolution : (j + 1) * resolution] for j in range(resolution)]
            ax.contourf(gx, gy, zz, levels=[0.0, top + 1.0], colors=[palette[c]], alpha=0.35)
    cmap = "coolwarm" if k == 2 else "viridis"
    ax.scatter(xs, ys, c=colours, cmap=cmap, vmin=0, vmax=k - 1, s=18, edgecolors="k", linewidths=0.4)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x₁", ylabel="x₂", title=title or "decision regions")
    return _save(fig, path)


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], classes: int | None = None) -> list[list[int]]:
    """Counts ``m[t][p]`` of samples of true class t predicted as class p (rows: truth).

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"confusion_matrix: y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}")
    for name, seq in (("y_true", y_true), ("y_pred", y_pred)):
        for i, t in enumerate(seq):
            if isinstance(t, bool) or not isinstance(t, int) or t < 0:
                raise ValueError(f"confusion_matrix: {name} expects class indices (ints >= 0), got {t!r} at {name}[{i}]")
    k = classes if classes is not None else max([*y_true, *y_pred], default=-1) + 1
    m = [[0] * k for _ in range(k)]
    for t, p in zip(y_true, y_pred, strict=True):
        m[t][p] += 1
    return m


def plot_confusion(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    path: str | os.PathLike[str] | None = None,
    classes: int | None = None,
    title: str = "",
) -> Any:
    """The confusion matrix as a heat map, each cell labelled with its count.

    The diagonal holds the correct predictions; any bright cell off it is a pair of classes
    the model mixes up (for digits, often 3 and 8, or 4 and 9).
    """
    m = confusion_matrix(y_true, y_pred, classes)
    k = len(m)
    fig = _figure(1.0 + 0.55 * k, 0.6 + 0.5 * k)
    ax = fig.subplots()
    image = ax.imshow(m, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    peak = max(max(row) for row in m) if k else 0
    for t in range(k):
        for p in range(k):
            if m[t][p]:
                ax.text(p, t, str(m[t][p]), ha="center", va="center", fontsize=8, color="white" if m[t][p] > peak / 2 else "black")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted", ylabel="true", title=title or "confusion matrix")
    return _save(fig, path)
