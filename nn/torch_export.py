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

Each file is written atomically: to a temporary file in the same folder, then renamed over
the target with ``os.replace``, with the permissions that the umask gives a new file. All
the temporary files are written before the first rename, so an error while writing leaves
every old file as it was.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
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
    """``value`` as Python source: strings in double quotes, as the rest of the script writes them."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


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
    lines = [
        "# --- written by python -m nn export: the model, its weights and its training ------------------",
        "def build_model() -> nn.Sequential:",
        f'    """valuegrad\'s {description}: each Layer is a Linear and its activation."""',
        "    return nn.Sequential(",
    ]
    for m in net:
        if type(m).__name__ == "Linear":
            lines.append(f"        nn.Linear({m.in_features}, {m.out_features}, dtype=DTYPE),")
        else:
            lines.append(f"        nn.{type(m).__name__}(),")
    lines += ["    )", "", "", f"WEIGHTS_FILE = {_literal(weights_file)}"]
    if training is None:
        lines.append("TRAINING: Training | None = None  # exported without --train: nothing to train on")
    else:
        lines += [
            f"TRAINING: Training | None = Training(  # {training.dataset}, as python -m nn train sets it up",
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
    """Write every ``path: bytes`` atomically: all temporary files first, then one rename each."""
    mode = _new_file_mode()
    pending: list[tuple[str, str]] = []
    try:
        for path, data in contents.items():
            folder = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), mode)  # mkstemp makes the file private (0600); respect the umask instead
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        while pending:
            tmp, path = pending[0]
            os.replace(tmp, path)
            pending.pop(0)
    finally:
        for tmp, _ in pending:
            try:
                os.unlink(tmp)
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
