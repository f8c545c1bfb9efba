"""A valuegrad model in PyTorch: rebuild it, load its weights, and train it as valuegrad does.

``python -m nn export MODEL.json --to torch OUT`` wrote this standalone script (it needs only
PyTorch) as OUT.py, beside the weights, OUT.pt (a ``state_dict``). Exported with ``--train``,
it also trains the model exactly as ``python -m nn train`` trains it in valuegrad, on the data
set written beside it as OUT.data.json::

    python OUT.py                   # rebuild the model, load the weights, print it
    python OUT.py --epochs 5        # (exported with --train) train, here for 5 epochs
    python OUT.py --every-step      # print every step's loss, not only each epoch's
    python OUT.py --save tuned.pt   # write the trained weights (MLP.from_torch reads them back)

The same numbers as valuegrad
-----------------------------
From the same weights, the losses equal those of valuegrad's ``fit`` step for step, to
rounding (within 1e-10, tested). Four things make that so:

* **float64.** valuegrad computes with Python floats, which are float64; PyTorch's default
  dtype is float32, so every layer here is made with ``dtype=DTYPE``.
* **The same data.** The export wrote the training and test sets to a JSON file, exactly as
  ``python -m nn train`` generated and split them. Regenerating them here would mean copying
  valuegrad's generators and its stratified split into this file, bit for bit, and the 8×8
  digits would need scikit-learn; reading the numbers is exact by construction, and keeps
  this script about PyTorch.
* **The same minibatch order.** ``fit`` shuffles each epoch with Python's ``random``, not
  torch's: :func:`minibatches` draws the same permutations from the same seed. A
  ``torch.utils.data.DataLoader(shuffle=True)`` would draw other ones: the same data in
  another order, so other numbers.
* **The same loss and optimizer**, each a mean over the minibatch: see :func:`loss_function`
  and :func:`make_optimizer`. valuegrad's optimizers follow ``torch.optim``'s arithmetic.

(Inside valuegrad this file is ``nn/torch_script.py``: the export copies it and rewrites the
block between the two ``python -m nn export`` comments for the model it exports.)
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

DTYPE = torch.float64  # valuegrad's numbers are Python floats: float64
HERE = Path(__file__).resolve().parent

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Training:
    """How ``python -m nn train`` trains: the data, the loss, the optimizer and the schedule.

    The schedule is ``epochs`` passes over the training set in minibatches of ``batch_size``
    (0: the whole set in one batch), reshuffled every epoch, at a constant learning rate.
    """

    data_file: str  # the training and test sets, in this script's folder
    loss: str  # "bce", "hinge" or "cross-entropy"
    optimizer: str  # "adam" or "sgd"
    lr: float
    momentum: float  # SGD only
    weight_decay: float  # L2: weight_decay · p is added to each gradient
    epochs: int
    batch_size: int  # 0: the whole training set in one batch
    seed: int  # seeds the minibatch order, as fit(seed=...) does


# --- written by python -m nn export: the model, its weights and its training ------------------
def build_model() -> nn.Sequential:
    """valuegrad's MLP(2 -> [16 relu, 16 relu, 1 linear]): each Layer is a Linear and its activation."""
    return nn.Sequential(
        nn.Linear(2, 16, dtype=DTYPE),
        nn.ReLU(),
        nn.Linear(16, 16, dtype=DTYPE),
        nn.ReLU(),
        nn.Linear(16, 1, dtype=DTYPE),
    )


WEIGHTS_FILE = "model.pt"
TRAINING: Training | None = None
# --- end of what python -m nn export writes ----------------------------------------------------


def read_beside(name: str, limit: int = 1 << 31) -> bytes:
    """The bytes of the file ``name`` in this script's folder: a regular file of at most ``limit``
    bytes, checked before reading (a FIFO would block, ``/dev/zero`` would never end)."""
    path = HERE / name
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise SystemExit(f"{path} is not a regular file of at most {limit:,} bytes")
        return f.read(limit + 1)


def load_data(training: Training) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(X_train, y_train, X_test, y_test)`` as tensors, the labels as the loss wants them.

    The file holds valuegrad's labels: 0/1 for two classes, 0 … K−1 for K. Cross-entropy takes
    class indices (int64); binary cross-entropy takes 0/1 as floats; the hinge loss wants
    −1/+1, as ``python -m nn train`` maps them.
    """
    data = json.loads(read_beside(training.data_file).decode("utf-8"))

    def labels(ys: list[int]) -> torch.Tensor:
        if training.loss == "cross-entropy":
            return torch.tensor(ys, dtype=torch.int64)
        y = torch.tensor(ys, dtype=DTYPE)
        return 2 * y - 1 if training.loss == "hinge" else y

    X_train = torch.tensor(data["X_train"], dtype=DTYPE)
    X_test = torch.tensor(data["X_test"], dtype=DTYPE)
    return X_train, labels(data["y_train"]), X_test, labels(data["y_test"])


def minibatches(n: int, batch_size: int, seed: int) -> list[list[int]]:
    """One epoch's minibatches of sample indices, as valuegrad's ``nn.data.batches`` makes them.

    The order is ``0 … n−1`` shuffled by ``random.Random(seed)``; the last batch is smaller when
    ``batch_size`` does not divide n, and ``batch_size`` 0 means one batch of all n.
    """
    order = list(range(n))
    random.Random(seed).shuffle(order)
    size = batch_size or n
    return [order[start : start + size] for start in range(0, n, size)]


def loss_function(name: str) -> Loss:
    """The loss of ``python -m nn train --loss NAME``: scores of shape (batch, outputs), labels → one number.

    * ``bce``: valuegrad's ``binary_cross_entropy``, the mean of log(1 + e^z) − y·z over the logits z.
    * ``hinge``: valuegrad's ``hinge_loss``, the mean of max(0, 1 − y·s), labels ±1.
    * ``cross-entropy``: valuegrad's ``cross_entropy``, the mean of logsumexp(z) − z_y.
    """
    if name == "bce":
        return lambda scores, y: F.binary_cross_entropy_with_logits(scores[:, 0], y)
    if name == "hinge":
        return lambda scores, y: torch.relu(1 - y * scores[:, 0]).mean()
    if name == "cross-entropy":
        return lambda scores, y: F.cross_entropy(scores, y)
    raise ValueError(f"loss expects 'bce', 'hinge' or 'cross-entropy', got {name!r}")


def make_optimizer(model: nn.Module, training: Training) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` or ``SGD`` as ``python -m nn train`` sets up valuegrad's ``Adam`` or ``SGD``."""
    if training.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=training.lr, weight_decay=training.weight_decay)
    if training.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=training.lr, momentum=training.momentum, weight_decay=training.weight_decay
        )
    raise ValueError(f"optimizer expects 'adam' or 'sgd', got {training.optimizer!r}")


def count_correct(scores: torch.Tensor, y: torch.Tensor, loss: str) -> int:
    """How many predictions are right: the argmax for several classes, score > 0 for two."""
    if loss == "cross-entropy":
        return int((scores.argmax(dim=1) == y).sum())
    return int(((scores[:, 0] > 0) == (y > 0)).sum())


def train(
    model: nn.Module, training: Training, data: Sequence[torch.Tensor], epochs: int, every_step: bool = False
) -> list[float]:
    """Train as valuegrad's ``fit`` does; print and return each epoch's mean loss.

    Each step: forward the minibatch, one loss, ``zero_grad()``, ``backward()``, ``step()``. An
    epoch's loss is the mean of its steps' losses weighted by their sizes, as ``fit`` reports it.
    """
    X, y = data[0], data[1]
    loss_fn = loss_function(training.loss)
    optimizer = make_optimizer(model, training)
    rng = random.Random(training.seed)  # fit draws one seed per epoch from this
    n = len(X)
    history = []
    for epoch in range(epochs):
        total, right = 0.0, 0
        for step, batch in enumerate(minibatches(n, training.batch_size, rng.getrandbits(32))):
            scores = model(X[batch])
            loss = loss_fn(scores, y[batch])
            if not math.isfinite(loss.item()):
                raise SystemExit(f"the loss became {loss.item()} at epoch {epoch + 1}, batch {step + 1}: diverged")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            right += count_correct(scores, y[batch], training.loss)
            if every_step:
                print(f"epoch {epoch + 1} step {step + 1} loss {loss.item()!r}")
        history.append(total / n)
        print(f"epoch {epoch + 1}/{epochs} loss {total / n!r} accuracy {right / n:.4f}")
    return history


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the model, load its weights and (exported with --train) train it.")
    parser.add_argument("--epochs", type=int, default=None, help="how many epochs to train (default: as exported)")
    parser.add_argument("--every-step", action="store_true", help="print every step's loss")
    parser.add_argument("--save", metavar="PATH", default=None, help="write the trained weights (a state_dict) to PATH")
    args = parser.parse_args(argv)

    model = build_model()
    model.load_state_dict(torch.load(io.BytesIO(read_beside(WEIGHTS_FILE)), weights_only=True))
    print(model)
    print(f"{sum(p.numel() for p in model.parameters())} parameters, loaded from {WEIGHTS_FILE}")
    if TRAINING is None:
        if args.epochs is not None or args.every_step or args.save:
            parser.error("this script was exported without --train, so it has no data to train on")
        return 0
    epochs = TRAINING.epochs if args.epochs is None else args.epochs
    if epochs < 1:
        parser.error(f"--epochs expects a whole number >= 1, got {epochs}")

    data = load_data(TRAINING)
    train(model, TRAINING, data, epochs, args.every_step)
    with torch.no_grad():
        for name, X, y in (("train", data[0], data[1]), ("test", data[2], data[3])):
            print(f"{name} accuracy: {count_correct(model(X), y, TRAINING.loss) / len(X):.2f}")
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"wrote {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
