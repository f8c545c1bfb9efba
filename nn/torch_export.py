"""Export a model for PyTorch: its weights as a ``state_dict``, and a standalone script that uses them.

``python -m nn export MODEL.json --to torch OUT`` calls :func:`export_torch`, which writes

* ``OUT.pt``: the ``state_dict`` of :func:`nn.to_torch` of the model (float64 tensors named
  ``0.weight``, ``0.bias``, ``2.weight``, …), for ``torch.load(..., weights_only=True)``;
* ``OUT.py``: a readable PyTorch script, which needs only torch, that rebuilds the network as
  a ``torch.nn.Sequential``, loads ``OUT.pt`` and prints it. It is :mod:`nn.torch_script` with
  the block between its two ``python -m nn export`` comments rewritten for this model;
* with a :class:`TrainingSetup` (``--train``), ``OUT.data.json`` too: the training and test
  sets, so that the script trains with the same data, loss, optimizer, schedule and seed as
  ``python -m nn train``, and its losses equal valuegrad's step for step.

Why the data is written beside the script instead of regenerated there: the script would
have to carry copies of valuegrad's pure-Python generators and stratified split that agree
with them to the last bit (and the digits would need scikit-learn); numbers written as JSON
(``repr`` of each float) come back exact. The minibatch order, on the other hand, is
regenerated: it is a permutation drawn with Python's ``random`` from the seed, which is three
lines of code in the script (see :func:`nn.torch_script.minibatches`).

Export is all or nothing. Every file is first written completely under a temporary name in
its folder (with the permissions that the umask gives a new file); a target that is a folder is
refused before anything is renamed. Then each is renamed over its target with ``os.replace``,
the old file kept under a second name until all are in place: if any rename fails, the files
renamed so far get their old contents back. So an error leaves every old file as it was.

Nothing from outside is spliced into the script's code: the data set's name, the file names and
the model's description are written as literals (``json.dumps``/``repr``), NumPy scalars become
Python numbers, and a value that a literal cannot hold (nan, inf, a wrong type) is refused
with an error naming the field.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import json
import math
import numbers
import operator
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .layers import MLP
from .module import Module, PathLike
from .torch_bridge import chained_layers, import_torch, to_torch

__all__ = ["TrainingSetup", "export_torch", "render_script", "output_paths", "LOSSES", "OPTIMIZERS"]

LOSSES = ("bce", "hinge", "cross-entropy")
OPTIMIZERS = ("adam", "sgd")

_TEMPLATE = Path(__file__).with_name("torch_script.py")
_BLOCK = re.compile(
    r"^# --- written by python -m nn export[^\n]*\n.*?^# --- end of what python -m nn export writes[^\n]*\n",
    flags=re.S | re.M,
)


@dataclass(frozen=True)
class TrainingSetup:
    """What the exported script needs to train as ``python -m nn train`` does.

    The data are the already split sets, with valuegrad's labels (0/1 for two classes, class
    indices for more); the script maps them for the hinge loss as ``python -m nn train`` does.
    """

    dataset: str
    classes: int
    loss: str
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    epochs: int
    batch_size: int
    seed: int
    X_train: list[list[float]]
    y_train: list[int]
    X_test: list[list[float]]
    y_test: list[int]


def output_paths(out: PathLike, training: bool) -> list[str]:
    """The files :func:`export_torch` writes for ``out``: ``OUT.pt``, ``OUT.py`` (and ``OUT.data.json``).

    A trailing ``.py`` or ``.pt`` on ``out`` is dropped, so ``model.py`` and ``model`` are the same.

    >>> output_paths("runs/moons/model.py", training=True)
    ['runs/moons/model.pt', 'runs/moons/model.py', 'runs/moons/model.data.json']
    """
    base = os.fspath(out)
    if base.endswith((".py", ".pt")):
        base = base[:-3]
    return [base + ".pt", base + ".py", *([base + ".data.json"] if training else [])]


def _literal(value: Any) -> str:
    """``value`` as a Python literal that reads back as the same value, and nothing else.

    Only ``str``, ``int`` and ``float`` come here (:func:`_normalised` turned NumPy scalars into
    them). A string is escaped by ``json.dumps`` (double quotes, as the rest of the script
    writes them; every quote, backslash, newline and non-ASCII character escaped), so no text can
    end the literal. A float is its ``repr``, which reads back to the bit, and ``float('nan')``
    or ``float('inf')`` where ``repr`` would give a bare ``nan`` or ``inf`` that Python cannot
    read.

    >>> print(_literal('moons"\\n'), _literal(0.1), _literal(float("-inf")), _literal(3))
    "moons\\"\\n" 0.1 -float('inf') 3
    """
    if isinstance(value, str):
        return json.dumps(value)
    if type(value) is int:
        return repr(value)
    if type(value) is float:
        if math.isfinite(value):
            return repr(value)
        return "float('nan')" if math.isnan(value) else ("float('inf')" if value > 0 else "-float('inf')")
    raise TypeError(f"export_torch: cannot write a {type(value).__name__} into the script (a bug: values are normalised first)")


def _number(value: Any, name: str, kind: type, low: float, high: float = math.inf, high_open: bool = True) -> Any:
    """``value`` as a plain ``int`` or ``float`` in [low, high) (or [low, high]), else TypeError or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (kind is int and not isinstance(value, numbers.Integral)):
        wanted = "an int" if kind is int else "a real number"
        raise TypeError(f"TrainingSetup: {name} expects {wanted}, got {type(value).__name__} {value!r}")
    x = operator.index(value) if kind is int else float(value)  # type: ignore[arg-type]  # an Integral here
    if not (low <= x and (x < high if high_open else x <= high)):
        raise ValueError(f"TrainingSetup: {name} expects a number in [{low:g}, {high:g}{')' if high_open else ']'}, got {value!r}")
    return x


def _normalised(training: TrainingSetup) -> TrainingSetup:
    """``training`` with every field checked and made a plain Python value (NumPy scalars and
    arrays become floats, ints and lists), so that the script and the JSON read it back exactly.
    Raises TypeError or ValueError naming the field."""
    if not isinstance(training.dataset, str):
        raise TypeError(f"TrainingSetup: dataset expects a str, got {type(training.dataset).__name__}")

    def rows(value: Any, name: str) -> list[list[float]]:
        try:
            out = [[float(_number(x, f"{name}[{i}][{j}]", float, -math.inf, math.inf, False)) for j, x in enumerate(row)]
                   for i, row in enumerate(value)]
        except TypeError as e:
            if "expects" in str(e):
                raise
            raise TypeError(f"TrainingSetup: {name} expects a list of rows of numbers, got {type(value).__name__}") from None
        bad = next(((i, j) for i, row in enumerate(out) for j, x in enumerate(row) if not math.isfinite(x)), None)
        if bad is not None:
            raise ValueError(f"TrainingSetup: {name}[{bad[0]}][{bad[1]}] is {out[bad[0]][bad[1]]}; the data must be finite")
        return out

    def labels(value: Any, name: str) -> list[int]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise TypeError(f"TrainingSetup: {name} expects a list of class labels, got {type(value).__name__}")
        return [_number(t, f"{name}[{i}]", int, 0) for i, t in enumerate(value)]

    return dataclasses.replace(
        training,
        classes=_number(training.classes, "classes", int, 2),
        lr=_number(training.lr, "lr", float, 0.0, math.inf),
        momentum=_number(training.momentum, "momentum", float, 0.0, 1.0),
        weight_decay=_number(training.weight_decay, "weight_decay", float, 0.0, math.inf),
        epochs=_number(training.epochs, "epochs", int, 1),
        batch_size=_number(training.batch_size, "batch_size", int, 0),
        seed=_number(training.seed, "seed", int, -math.inf),
        X_train=rows(training.X_train, "X_train"),
        X_test=rows(training.X_test, "X_test"),
        y_train=labels(training.y_train, "y_train"),
        y_test=labels(training.y_test, "y_test"),
    )


def _check_training(model: Module, training: TrainingSetup) -> None:
    """Raise ValueError unless the model fits the data and the loss (inputs, outputs, labels)."""
    layers = chained_layers(model)
    nin, nout = layers[0].nin, len(layers[-1].neurons)
    features = len(training.X_train[0]) if training.X_train else 0
    name = repr(model)
    if nin != features:
        raise ValueError(f"the model {name} takes {nin} inputs, but {training.dataset} has {features} features")
    if training.loss not in LOSSES:
        raise ValueError(f"loss expects one of {', '.join(map(repr, LOSSES))}, got {training.loss!r}")
    if training.optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer expects one of {', '.join(map(repr, OPTIMIZERS))}, got {training.optimizer!r}")
    wanted = training.classes if training.loss == "cross-entropy" else 1
    if nout != wanted:
        what = f"{training.classes} outputs, one per class" if wanted > 1 else "one output, a score"
        raise ValueError(f"the model {name} has {nout} output{'' if nout == 1 else 's'}, but --loss {training.loss} on {training.dataset} needs {what}")


def render_script(net: Any, description: str, weights_file: str, training: TrainingSetup | None, data_file: str) -> str:
    """The text of the exported script: :mod:`nn.torch_script` with its export block written for ``net``.

    ``net`` is the ``torch.nn.Sequential`` of :func:`nn.to_torch`; ``description`` names the model
    in ``build_model``'s docstring.
    """
    if training is not None:
        training = _normalised(training)
    docstring = "valuegrad's " + description + ": each Layer is a Linear and its activation."
    # Every text from outside (the description, the file names, the data set's name) is written
    # as a literal (_literal, repr), never spliced into code, a docstring or a comment.
    lines = [
        "# --- written by python -m nn export: the model, its weights and its training ------------------",
        "def build_model() -> nn.Sequential:",
        f"    {_docstring(docstring)}",
        "    return nn.Sequential(",
    ]
    for i, m in enumerate(net):
        kind = type(m).__name__
        if kind not in _TORCH_LAYERS or type(m).__module__.split(".")[0] != "torch":
            raise ValueError(f"export_torch: layer {i} of the torch model is a {kind}; the script writes only {', '.join(_TORCH_LAYERS)}")
        if kind == "Linear":
            lines.append(f"        nn.Linear({int(m.in_features)}, {int(m.out_features)}, dtype=DTYPE),")
        else:
            lines.append(f"        nn.{kind}(),")
    lines += ["    )", "", "", f"WEIGHTS_FILE = {_literal(weights_file)}"]
    if training is None:
        lines.append("TRAINING: Training | None = None  # exported without --train: nothing to train on")
    else:
        lines += [
            f"DATASET = {_literal(training.dataset)}",
            "TRAINING: Training | None = Training(  # DATASET, as python -m nn train sets it up",
            f"    data_file={_literal(data_file)},",
            f"    loss={_literal(training.loss)},",
            f"    optimizer={_literal(training.optimizer)},",
            f"    lr={_literal(training.lr)},",
            f"    momentum={_literal(training.momentum)},",
            f"    weight_decay={_literal(training.weight_decay)},",
            f"    epochs={_literal(training.epochs)},",
            f"    batch_size={_literal(training.batch_size)},",
            f"    seed={_literal(training.seed)},",
            ")",
        ]
    lines.append("# --- end of what python -m nn export writes ----------------------------------------------------")
    template = _TEMPLATE.read_text(encoding="utf-8")
    text, count = _BLOCK.subn(lambda _: "\n".join(lines) + "\n", template)
    if count != 1:  # the template is part of the package: this is a bug, not a user error
        raise RuntimeError(f"{_TEMPLATE} has {count} export blocks, expected exactly 1")
    return text


#: The torch layers the script may name: a Linear and the activations nn.to_torch makes.
_TORCH_LAYERS = ("Linear", "ReLU", "Tanh", "Sigmoid")


def _docstring(text: str) -> str:
    """``text`` as a docstring literal: triple-quoted when nothing in it could end or escape the
    literal (the common case, easiest to read), else its ``repr``."""
    if text.isprintable() and not any(bad in text for bad in ('"', "\\")):
        return f'"""{text}"""'
    return repr(text)


def _data_json(training: TrainingSetup) -> str:
    document = {
        "format": "valuegrad.data",
        "version": 1,
        "dataset": training.dataset,
        "X_train": training.X_train,
        "y_train": training.y_train,
        "X_test": training.X_test,
        "y_test": training.y_test,
    }
    return json.dumps(document, allow_nan=False) + "\n"


def _new_file_mode() -> int:
    """The permissions a newly created file gets here: 0o666 less the umask (which can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _write_all_atomically(contents: dict[str, bytes]) -> None:
    """Write every ``path: bytes``, all or nothing.

    1. Every file is written, flushed and synced under a temporary name beside its target; a
       target that is a folder is refused before anything is renamed.
    2. Each target that exists is kept under a backup name (a hard link: the old file stays in
       place), then the new file is renamed over it.
    3. If a rename fails, the targets renamed so far get their old files back (or are removed if
       they were new), so either every file is new or every file is as it was.
    """
    mode = _new_file_mode()
    pending: list[tuple[str, str]] = []  # (temporary, target)
    backups: list[tuple[str, str | None]] = []  # (target, its backup, or None if it was new)
    done = False
    try:
        for path, data in contents.items():
            info = _lstat(path)
            if info is not None and stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
            folder = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), mode)  # mkstemp makes the file private (0600); respect the umask instead
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in pending:
            backups.append((path, _backup(path)))
            os.replace(tmp, path)
        done = True
    finally:
        if not done:  # an error or an interrupt: every target renamed so far gets its old file back
            for path, backup in reversed(backups):
                _restore(path, backup)
        for tmp, _ in pending:
            _unlink(tmp)
        for _, backup in backups:
            if backup is not None:
                _unlink(backup)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _backup(path: str) -> str | None:
    """A second name for the file (or link) at ``path``, to put it back with; None if there is none."""
    if _lstat(path) is None:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    backup = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.old")
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:  # no hard links here: copy the bytes (and the mode) instead
        shutil.copy2(path, backup, follow_symlinks=False)
    return backup


def _restore(path: str, backup: str | None) -> None:
    """Undo the rename onto ``path``: its backup goes back, or the new file goes if there was none."""
    try:
        if backup is not None:
            os.replace(backup, path)
        else:
            os.unlink(path)
    except OSError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def export_torch(model: Module, out: PathLike, training: TrainingSetup | None = None) -> list[str]:
    """Write ``OUT.pt`` and ``OUT.py`` (and ``OUT.data.json`` with ``training``); return their paths.

    ``model`` is anything :func:`nn.to_torch` converts. The folder of ``out`` must exist. Raises
    ValueError when ``training`` does not fit the model (inputs, outputs, loss), ImportError
    without PyTorch, OSError when a file cannot be written (then no file is changed).

    >>> import os, tempfile
    >>> from nn import MLP
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = export_torch(MLP(2, [4, 1], seed=0), os.path.join(folder, "model"))
    ...     [os.path.basename(p) for p in written]
    ['model.pt', 'model.py']
    """
    if training is not None:
        training = _normalised(training)
        _check_training(model, training)
    torch = import_torch("export_torch")
    net = to_torch(model)
    paths = output_paths(out, training is not None)
    weights = io.BytesIO()
    torch.save(net.state_dict(), weights)
    description = repr(model) if isinstance(model, MLP) else f"{type(model).__name__} ({len(net)} torch layers)"
    data_file = os.path.basename(paths[2]) if training is not None else ""
    script = render_script(net, description, os.path.basename(paths[0]), training, data_file)
    contents = {paths[0]: weights.getvalue(), paths[1]: script.encode("utf-8")}
    if training is not None:
        contents[paths[2]] = _data_json(training).encode("utf-8")
    _write_all_atomically(contents)
    return paths
