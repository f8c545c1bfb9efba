"""Command line: ``python -m nn train`` and ``python -m nn explore`` (also installed as ``valuegrad``).

Trains an MLP on one of the built-in datasets, prints the train and test accuracy, and writes
the model (``model.json``), its loss and accuracy curves (``loss.png``), the decision regions
(``boundary.png``, 2-D datasets) or the confusion matrix (``confusion.png``, digits), and the
numbers (``metrics.json``) into ``--out``. Each file is written atomically
(:func:`autograd.fileio.write_atomic`): a run that fails or is interrupted leaves every file of
an earlier run whole::

    python -m nn train                                  # two moons, about ten seconds
    python -m nn train --dataset digits --out runs/digits
    python -m nn train --dataset spirals --hidden 32,32 --optimizer sgd --lr 0.1

Every option left out takes a default chosen for the dataset (``--help`` lists them).

``python -m nn export MODEL.json --to torch OUT`` writes the model for PyTorch: its weights
(``OUT.pt``) and a standalone script that rebuilds it (``OUT.py``); with ``--train`` and the
training options of ``train``, the script also trains it as ``train`` does (see
:mod:`nn.torch_export`). Bad arguments exit with status 2 and one line on stderr.

``python -m nn explore`` serves the live training explorer on 127.0.0.1 and opens it in a
browser (see :mod:`nn.explore`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from autograd import Value
from autograd.fileio import write_atomic
from autograd.tape.cbackend import CacheError, CompileError

from . import data
from .cli_options import (
    ACTIVATIONS,
    COMMON_DEFAULTS,
    DEFAULTS,
    MAX_PARAMETERS,
    Parser,
    add_training_options,
    hidden_sizes,
    number_type,
    parameter_count,
)
from .layers import INITS, MLP
from .losses import binary_cross_entropy, cross_entropy, hinge_loss
from .optim import SGD, Adam
from .torch_export import TrainingSetup, export_torch, output_paths
from .train import accuracy, fit, predict


def build_parser() -> argparse.ArgumentParser:
    # the console script `valuegrad` and `python -m nn` are the same program: name it as it was run
    parser = Parser(
        prog="valuegrad" if os.path.basename(sys.argv[0]) == "valuegrad" else "python -m nn",
        description="valuegrad's neural networks from the command line.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    p = sub.add_parser(
        "train",
        help="train an MLP on a built-in dataset and save the model and plots",
        description="Train an MLP on a built-in dataset; print the train and test accuracy; write model.json, "
        "loss.png, boundary.png (2-D data) or confusion.png (digits) and metrics.json into --out. "
        "Options left out take defaults chosen for the dataset.",
    )
    add_training_options(p, export=False)
    p.add_argument("--hidden", type=hidden_sizes, default=None, metavar="SIZES",
                   help="hidden layer sizes, comma-separated (default: 16,16; digits 32)")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden-layer activation (default: relu)")
    p.add_argument("--init", choices=INITS, default=None,
                   help="weight initialisation (default: he for relu, xavier for tanh and sigmoid)")
    p.add_argument("--out", default=None, metavar="DIR", help="where to write the results (default: runs/DATASET)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--backend", choices=("python", "c"), default=None,
                   help="record the training step once per batch size and replay it (autograd.record), in Python "
                        "(several times faster) or compiled to C (needs a C compiler; many times faster); the "
                        "same numbers either way. Without it every step builds a graph")
    p.set_defaults(func=train_command, subparser=p)

    e = sub.add_parser(
        "export",
        help="write a saved model for PyTorch: OUT.pt (a state_dict) and OUT.py (a script that rebuilds it)",
        description="Write MODEL.json (an MLP saved by train or MLP.save) for PyTorch: OUT.pt, its state_dict, and "
        "OUT.py, a standalone PyTorch script that rebuilds the model and loads the weights. With --train, the "
        "script also trains it with the data set, loss, optimizer, schedule and seed that train would use (the "
        "options below, with train's defaults); the data set is written beside it as OUT.data.json.",
    )
    e.add_argument("model", metavar="MODEL.json", help="a model file written by python -m nn train or MLP.save")
    e.add_argument("--to", choices=("torch",), required=True, help="the framework to export to (torch)")
    e.add_argument("out", metavar="OUT", help="where to write: OUT.pt and OUT.py (a .py or .pt ending is dropped)")
    e.add_argument("--train", action="store_true",
                   help="make the script train the model as train would, with the options below")
    add_training_options(e, export=True)
    e.set_defaults(func=export_command, subparser=e)

    e = sub.add_parser(
        "explore",
        help="the live training explorer, in a browser",
        description="Serve the live training explorer on 127.0.0.1 and open it in a browser. Every request needs "
        "the token in the printed URL; Ctrl-C stops the server.",
    )
    e.add_argument("--port", type=number_type(int, 0, False, 65535, False), default=0,
                   help="the port on 127.0.0.1 (default: 0, a free one)")
    e.add_argument("--no-browser", action="store_true", help="print the URL without opening a browser")
    e.add_argument("--config", default="", metavar="QUERY",
                   help="the settings as a URL query, e.g. 'dataset=xor&hidden=4&lock=dataset,hidden', "
                        "or @FILE for a JSON file")
    e.set_defaults(func=explore_command, subparser=e)
    return parser


def explore_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .explore.command import read_config, run

    try:
        config = read_config(args.config)
    except ValueError as e:
        parser.error(str(e))
    return run(args.port, not args.no_browser, config)


# --- the train command ----------------------------------------------------------------------


def _resolve_training(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Fill in the dataset's defaults for the training options and reject combinations that make no sense."""
    defaults = DEFAULTS[args.dataset]
    multiclass = args.dataset in ("spirals", "digits")
    if args.dataset == "digits":
        for flag, value in (("--samples", args.samples), ("--noise", args.noise)):
            if value is not None:
                parser.error(f"{flag} does not apply to digits (a fixed set of 1,797 images)")
    for key in ("samples", "noise", "epochs", "batch_size"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    if args.lr is None:
        args.lr = defaults["lr"][args.optimizer]
    if args.loss is None:
        args.loss = "cross-entropy" if multiclass else "bce"
    if multiclass and args.loss != "cross-entropy":
        parser.error(f"--loss {args.loss} is for two classes; {args.dataset} has several: use --loss cross-entropy")
    if not multiclass and args.loss == "cross-entropy":
        parser.error(f"--loss cross-entropy is for several classes; {args.dataset} has two: use bce or hinge")


def _resolve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """``train``'s options: the training options, then the model's and the output folder's defaults."""
    _resolve_training(args, parser)
    if args.hidden is None:
        args.hidden = DEFAULTS[args.dataset]["hidden"]
    nin, nout = (64, 10) if args.dataset == "digits" else (2, 3 if args.dataset == "spirals" else 1)
    count = parameter_count(nin, [*args.hidden, nout])
    if count > MAX_PARAMETERS:  # checked before a single weight is made
        parser.error(f"--hidden {','.join(map(str, args.hidden))} makes a model of {count:,} parameters on "
                     f"{args.dataset}; at most {MAX_PARAMETERS:,}")
    if args.init is None:
        args.init = "he" if args.activation == "relu" else "xavier"
    if args.out is None:
        args.out = os.path.join("runs", args.dataset)


def _check_writable(folder: str, parser: argparse.ArgumentParser, option: str = "--out") -> None:
    """Create ``folder`` and prove a file can be written there, before any training time is spent."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as e:
        reason = e.strerror or str(e)
        parser.error(f"{option} {folder!r} is not a folder we can write to: {reason}")


def _load(args: argparse.Namespace) -> tuple[list[list[float]], list[int], int]:
    """The dataset as (X, y, number of classes)."""
    if args.dataset == "digits":
        X, y = data.load_digits()
        return X, y, 10
    if args.dataset == "moons":
        X, y = data.make_moons(args.samples, args.noise, seed=args.seed)
    elif args.dataset == "circles":
        X, y = data.make_circles(args.samples, args.noise, factor=0.5, seed=args.seed)
    elif args.dataset == "xor":
        X, y = data.make_xor(args.samples, args.noise, seed=args.seed)
    else:
        X, y = data.make_spirals(args.samples, classes=3, noise=args.noise, seed=args.seed)
        return X, y, 3
    return X, y, 2


def _split(args: argparse.Namespace, X: list[list[float]], y: list[int]) -> tuple[list[Any], list[Any], list[int], list[int]]:
    """``(X_train, X_test, y_train, y_test)``: the stratified split of ``train``, seeded by ``--seed``."""
    return data.train_test_split(X, y, test_size=args.test_size, seed=args.seed, stratify=True)


def train_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    _resolve(args, parser)
    _check_writable(args.out, parser)
    try:
        X, y, classes = _load(args)
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    X_train, X_test, y_train, y_test = _split(args, X, y)

    outputs = classes if classes > 2 else 1
    model = MLP(len(X[0]), [*args.hidden, outputs], activation=args.activation, init=args.init, seed=args.seed)
    params = model.parameters()
    if args.optimizer == "adam":
        optimizer: SGD | Adam = Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    loss: Callable[[list[Any], list[Any]], Value]
    if args.loss == "hinge":  # hinge wants labels ±1; the datasets give 0/1
        y_train, y_test = [2 * t - 1 for t in y_train], [2 * t - 1 for t in y_test]
        loss = hinge_loss
    else:
        loss = cross_entropy if args.loss == "cross-entropy" else binary_cross_entropy
    task = "multiclass" if classes > 2 else "binary"

    batch = "full batch" if args.batch_size == 0 else f"batches of {args.batch_size}"
    print(f"dataset: {args.dataset}, {len(X)} samples with {len(X[0])} features and {classes} classes; "
          f"{len(X_train)} to train, {len(X_test)} to test")
    print(f"model: {model}, {len(params)} parameters, init {args.init}; loss {args.loss}; "
          f"{args.optimizer} lr {args.lr:g}; {args.epochs} epochs, {batch}; seed {args.seed}")
    sys.stdout.flush()

    start = time.perf_counter()
    try:
        history = fit(model, X_train, y_train, loss, optimizer, args.epochs, args.batch_size,
                      X_val=X_test, y_val=y_test, progress=not args.no_progress, seed=args.seed, task=task,
                      backend=args.backend)
    except FloatingPointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (CompileError, CacheError) as e:  # the compiler failed, or the tape cache cannot be trusted
        print(f"error: --backend c: {str(e).splitlines()[0].rstrip(':')}; or train with --backend python", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    train_acc = accuracy(model, X_train, y_train, task)
    test_acc = accuracy(model, X_test, y_test, task)
    print(f"train accuracy: {train_acc:.2f}")
    print(f"test accuracy: {test_acc:.2f}")
    print(f"({round(test_acc * len(X_test))} of {len(X_test)} test samples right; trained in {seconds:.1f} s)")

    from . import plots  # matplotlib is imported only now, and only by plots

    written = []
    try:
        path = os.path.join(args.out, "model.json")
        model.save(path)
        written.append(path)
        path = os.path.join(args.out, "loss.png")
        plots.plot_history(history, path, title=f"{args.dataset}: {model}")
        written.append(path)
        if len(X[0]) == 2:
            path = os.path.join(args.out, "boundary.png")
            plots.plot_decision_boundary(model, X_test + X_train, y_test + y_train, path,
                                         title=f"{args.dataset}: test accuracy {test_acc:.2f}")
        else:
            path = os.path.join(args.out, "confusion.png")
            plots.plot_confusion(y_test, predict(model, X_test, task), path, classes=classes,
                                 title=f"{args.dataset}: test accuracy {test_acc:.3f}")
        written.append(path)
        path = os.path.join(args.out, "metrics.json")
        metrics = {
            "config": {k: v for k, v in vars(args).items() if k not in ("func", "command", "subparser")},
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "train_seconds": seconds,
            "history": asdict(history),
        }
        write_atomic(path, (json.dumps(metrics, indent=1) + "\n").encode("utf-8"))
        written.append(path)
    except (OSError, ValueError, ImportError) as e:
        print(f"error: could not write the results into {args.out!r}: {e}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(written))
    return 0


# --- the export command ---------------------------------------------------------------------

#: The training options of ``export``, as (flag, attribute): they need ``--train``.
_TRAINING_FLAGS = [("--dataset", "dataset"), ("--loss", "loss"), ("--optimizer", "optimizer"), ("--lr", "lr"),
                   ("--momentum", "momentum"), ("--weight-decay", "weight_decay"), ("--epochs", "epochs"),
                   ("--batch-size", "batch_size"), ("--samples", "samples"), ("--noise", "noise"),
                   ("--test-size", "test_size"), ("--seed", "seed")]


def _training_setup(args: argparse.Namespace, parser: argparse.ArgumentParser) -> TrainingSetup:
    """``export --train``'s options resolved as ``train`` resolves them, and the same split of the same data."""
    for key, value in COMMON_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    _resolve_training(args, parser)
    X, y, classes = _load(args)
    X_train, X_test, y_train, y_test = _split(args, X, y)
    return TrainingSetup(
        dataset=args.dataset, classes=classes, loss=args.loss, optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, weight_decay=args.weight_decay, epochs=args.epochs, batch_size=args.batch_size,
        seed=args.seed, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
    )


def export_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not args.train:
        given = [flag for flag, key in _TRAINING_FLAGS if getattr(args, key) is not None]
        if given:
            parser.error(f"{given[0]} is a training option: it needs --train")
    paths = output_paths(args.out, args.train)
    _check_writable(os.path.dirname(os.path.abspath(paths[0])), parser, "OUT's folder")
    try:
        model = MLP.from_file(args.model)
    except OSError as e:
        parser.error(f"MODEL.json {args.model!r} cannot be read: {e.strerror or e}")
    except ValueError as e:  # the loader's own message: it names the file and the problem
        parser.error(str(e))
    try:
        setup = _training_setup(args, parser) if args.train else None
        written = export_torch(model, args.out, setup)
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:  # the model does not fit the data set or the loss
        parser.error(f"{args.model!r} cannot be trained on {args.dataset}: {e}")
    except OSError as e:
        print(f"error: could not write {', '.join(paths)} (no file was changed): {e}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(written))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args, args.subparser))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
