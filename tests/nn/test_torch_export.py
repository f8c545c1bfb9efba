"""``python -m nn export MODEL.json --to torch OUT``: the state_dict, the standalone script, and its training.

The reference for the script's training is valuegrad's own ``fit`` (and ``python -m nn train``'s
``metrics.json``): run from the same weights on the same data, the generated PyTorch script must
report the same loss at every step, within 1e-10.
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import hide_module, require

import nn.torch_export as torch_export
from nn import MLP, SGD, Adam, Layer, Module, binary_cross_entropy, cross_entropy, fit, hinge_loss, to_torch
from nn.__main__ import main
from nn.data import make_circles, make_moons, make_spirals, train_test_split

ROOT = Path(__file__).resolve().parents[2]
#: The issue's tolerance for the script's losses against valuegrad's, at float64.
LOSS_ATOL = 1e-10
STEP_LINE = re.compile(r"^epoch (\d+) step (\d+) loss (\S+)$", re.M)
EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+) loss (\S+) accuracy (\S+)$", re.M)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def export(tmp_path: Path, model: MLP, *options: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Save ``model`` and export it with the CLI; return the result and the script's path."""
    model.save(tmp_path / "model.json")
    result = run(["-m", "nn", "export", str(tmp_path / "model.json"), "--to", "torch", str(tmp_path / "out"), *options], tmp_path)
    return result, tmp_path / "out.py"


def valuegrad_losses(model: MLP, setup: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Train ``model`` with valuegrad's ``fit`` as ``python -m nn train`` would; return (step losses, epoch losses).

    The data are made with nn.data directly, as the train command makes them, so that this side
    does not share the CLI's code with the export.
    """
    seed = setup["seed"]
    make = {"moons": make_moons, "circles": make_circles}
    if setup["dataset"] == "spirals":
        X, y = make_spirals(setup["samples"], classes=3, noise=setup["noise"], seed=seed)
    elif setup["dataset"] == "circles":
        X, y = make_circles(setup["samples"], setup["noise"], factor=0.5, seed=seed)
    else:
        X, y = make[setup["dataset"]](setup["samples"], setup["noise"], seed=seed)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, seed=seed, stratify=True)
    loss = {"bce": binary_cross_entropy, "hinge": hinge_loss, "cross-entropy": cross_entropy}[setup["loss"]]
    if setup["loss"] == "hinge":
        y_train = [2 * t - 1 for t in y_train]
    params = model.parameters()
    optimizer: Any
    if setup["optimizer"] == "adam":
        optimizer = Adam(params, lr=setup["lr"], weight_decay=setup["weight_decay"])
    else:
        optimizer = SGD(params, lr=setup["lr"], momentum=setup["momentum"], weight_decay=setup["weight_decay"])
    steps: list[float] = []

    def recorded(outputs: Any, targets: Any) -> Any:  # fit calls the loss once per step (no validation set)
        value = loss(outputs, targets)
        steps.append(value.data)
        return value

    history = fit(model, X_train, y_train, recorded, optimizer, setup["epochs"], setup["batch_size"],
                  progress=False, seed=seed)
    return steps, history.loss


SETUPS = [
    {"dataset": "moons", "samples": 80, "noise": 0.1, "loss": "bce", "optimizer": "adam", "lr": 0.05,
     "momentum": 0.9, "weight_decay": 0.0, "epochs": 6, "batch_size": 0, "seed": 3, "nouts": [16, 16, 1],
     "activation": "relu"},
    {"dataset": "circles", "samples": 60, "noise": 0.05, "loss": "hinge", "optimizer": "sgd", "lr": 0.1,
     "momentum": 0.9, "weight_decay": 0.001, "epochs": 3, "batch_size": 16, "seed": 1, "nouts": [8, 8, 1],
     "activation": "tanh"},
    {"dataset": "spirals", "samples": 60, "noise": 0.2, "loss": "cross-entropy", "optimizer": "adam", "lr": 0.03,
     "momentum": 0.9, "weight_decay": 0.0005, "epochs": 3, "batch_size": 8, "seed": 2, "nouts": [12, 3],
     "activation": "sigmoid"},
]


@pytest.mark.parametrize("setup", SETUPS, ids=[f"{s['dataset']}-{s['loss']}-{s['optimizer']}" for s in SETUPS])
def test_the_scripts_losses_equal_valuegrads_fit_step_for_step(tmp_path: Path, setup: dict[str, Any]) -> None:
    torch = require("torch")
    model = MLP(2, setup["nouts"], activation=setup["activation"], init="xavier", seed=setup["seed"])
    options = ["--train", "--dataset", setup["dataset"], "--samples", str(setup["samples"]), "--loss", setup["loss"],
               "--optimizer", setup["optimizer"], "--lr", str(setup["lr"]), "--momentum", str(setup["momentum"]),
               "--weight-decay", str(setup["weight_decay"]), "--epochs", "99", "--batch-size", str(setup["batch_size"]),
               "--seed", str(setup["seed"]), "--noise", str(setup["noise"])]
    exported, script = export(tmp_path, model, *options)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out.pt").exists() and (tmp_path / "out.data.json").exists()
    trained = run([str(script), "--epochs", str(setup["epochs"]), "--every-step", "--save", "tuned.pt"], tmp_path)
    assert trained.returncode == 0, trained.stderr

    steps, epochs = valuegrad_losses(model, setup)
    theirs_steps = [float(m[2]) for m in STEP_LINE.findall(trained.stdout)]
    theirs_epochs = [float(m[2]) for m in EPOCH_LINE.findall(trained.stdout)]
    assert len(theirs_steps) == len(steps) and len(theirs_epochs) == len(epochs) == setup["epochs"]
    if setup["batch_size"]:
        assert len(steps) > 2 * setup["epochs"]  # several minibatches per epoch, each in the same order
    assert max(abs(a - b) for a, b in zip(theirs_steps, steps)) <= LOSS_ATOL
    assert max(abs(a - b) for a, b in zip(theirs_epochs, epochs)) <= LOSS_ATOL
    assert len(set(steps)) > len(steps) // 2  # the loss moves: a constant one would match trivially

    # the weights PyTorch trained come back into valuegrad: the same as fit's, to rounding
    net = to_torch(model)
    net.load_state_dict(torch.load(tmp_path / "tuned.pt", weights_only=True))
    back = MLP.from_torch(net)
    assert max(abs(a.data - b.data) for a, b in zip(back.parameters(), model.parameters())) <= 1e-9


def test_the_script_trains_as_python_m_nn_train_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The epoch losses that ``python -m nn train`` writes to metrics.json, from the script."""
    require("torch")
    args = ["--dataset", "moons", "--samples", "120", "--epochs", "3", "--batch-size", "32", "--seed", "5"]
    assert main(["train", *args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    capsys.readouterr()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    initial = MLP(2, [16, 16, 1], activation="relu", init="he", seed=5)  # what train built before training
    exported, script = export(tmp_path, initial, "--train", *args)
    assert exported.returncode == 0, exported.stderr
    trained = run([str(script)], tmp_path)
    assert trained.returncode == 0, trained.stderr
    theirs = [float(m[2]) for m in EPOCH_LINE.findall(trained.stdout)]
    assert len(theirs) == len(metrics["history"]["loss"]) == 3
    assert max(abs(a - b) for a, b in zip(theirs, metrics["history"]["loss"])) <= LOSS_ATOL
    assert f"train accuracy: {metrics['train_accuracy']:.2f}" in trained.stdout
    assert f"test accuracy: {metrics['test_accuracy']:.2f}" in trained.stdout


def test_without_train_the_script_rebuilds_the_model_and_loads_the_weights(tmp_path: Path) -> None:
    torch = require("torch")
    model = MLP(3, [5, 1, 2], activation="tanh", seed=0)
    exported, script = export(tmp_path, model)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"wrote {tmp_path / 'out.pt'}, {tmp_path / 'out.py'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "out.pt", "out.py"]
    state = torch.load(tmp_path / "out.pt", weights_only=True)
    expected = to_torch(model).state_dict()
    assert list(state) == list(expected) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert all(state[k].dtype == torch.float64 and torch.equal(state[k], expected[k]) for k in state)

    result = run([str(script)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(1): Tanh()" in result.stdout and "(4): Linear(in_features=1, out_features=2, bias=True)" in result.stdout
    assert f"{len(model.parameters())} parameters, loaded from out.pt" in result.stdout
    refused = run([str(script), "--epochs", "2"], tmp_path)
    assert refused.returncode == 2 and "exported without --train" in refused.stderr


def test_the_script_is_standalone_and_its_model_is_spelled_out(tmp_path: Path) -> None:
    require("torch")
    model = MLP(2, [4, 4, 1], activation="sigmoid", seed=0)
    written = torch_export.export_torch(model, tmp_path / "model.py")
    assert [Path(p).name for p in written] == ["model.pt", "model.py"]
    source = (tmp_path / "model.py").read_text()
    tree = ast.parse(source)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "argparse", "io", "json", "math", "os", "random", "stat", "collections", "dataclasses",
                        "pathlib", "torch"}
    assert "nn" not in imported and "autograd" not in imported
    assert (
        "    return nn.Sequential(\n"
        "        nn.Linear(2, 4, dtype=DTYPE),\n"
        "        nn.Sigmoid(),\n"
        "        nn.Linear(4, 4, dtype=DTYPE),\n"
        "        nn.Sigmoid(),\n"
        "        nn.Linear(4, 1, dtype=DTYPE),\n"
        "    )\n"
    ) in source
    assert "valuegrad's MLP(2 -> [4 sigmoid, 4 sigmoid, 1 linear])" in source
    assert 'WEIGHTS_FILE = "model.pt"\nTRAINING: Training | None = None' in source


def test_files_are_written_with_the_umask_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    require("torch")
    model = MLP(2, [3, 1], seed=0)
    for mask, mode in ((0o077, 0o600), (0o022, 0o644), (0o002, 0o664)):
        old = os.umask(mask)
        try:
            written = torch_export.export_torch(model, tmp_path / f"m{mask:o}")
        finally:
            os.umask(old)
        assert [os.stat(p).st_mode & 0o777 for p in written] == [mode, mode]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_error_while_writing_leaves_the_old_files_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("torch")
    for name in ("out.pt", "out.py"):
        (tmp_path / name).write_text("old")
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second file: the first is written, but not renamed yet
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(torch_export.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pt", "out.py"]
    assert (tmp_path / "out.pt").read_text() == (tmp_path / "out.py").read_text() == "old"


def corrupt_file_error(path: Path) -> str:
    try:
        MLP.from_file(path)
    except ValueError as e:
        return str(e)
    raise AssertionError(f"{path} loaded")


@pytest.mark.parametrize(
    "case, words",
    [
        ("no --to", "the following arguments are required: --to"),
        ("--to onnx", "argument --to: invalid choice: 'onnx'"),
        ("no OUT", "the following arguments are required: OUT"),
        ("--lr without --train", "--lr is a training option: it needs --train"),
        ("--train --lr 0", "argument --lr: expected a number in (0, inf), got '0'"),
        ("--train on digits", "cannot be trained on digits: the model MLP(2 -> [4 relu, 1 linear]) takes 2 inputs, but digits has 64 features"),
        ("--train --loss cross-entropy", "--loss cross-entropy is for several classes"),
        ("--train on spirals", "needs 3 outputs, one per class"),
        ("unknown option", "unrecognized arguments: --fast"),
        ("missing file", "cannot be read: No such file or directory"),
        ("corrupt file", None),
        ("a Layer's file", None),
        ("OUT in a file", "OUT's folder"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(tmp_path: Path, case: str, words: str | None) -> None:
    model = tmp_path / "model.json"
    MLP(2, [4, 1], seed=0).save(model)
    out = str(tmp_path / "out")
    args = {
        "no --to": [str(model), out],
        "--to onnx": [str(model), "--to", "onnx", out],
        "no OUT": [str(model), "--to", "torch"],
        "--lr without --train": [str(model), "--to", "torch", out, "--lr", "0.1"],
        "--train --lr 0": [str(model), "--to", "torch", out, "--train", "--lr", "0"],
        "--train on digits": [str(model), "--to", "torch", out, "--train", "--dataset", "digits"],
        "--train --loss cross-entropy": [str(model), "--to", "torch", out, "--train", "--loss", "cross-entropy"],
        "--train on spirals": [str(model), "--to", "torch", out, "--train", "--dataset", "spirals"],
        "unknown option": [str(model), "--to", "torch", out, "--fast"],
        "missing file": [str(tmp_path / "nope.json"), "--to", "torch", out],
        "corrupt file": [str(tmp_path / "corrupt.json"), "--to", "torch", out],
        "a Layer's file": [str(tmp_path / "layer.json"), "--to", "torch", out],
        "OUT in a file": [str(model), "--to", "torch", str(model / "out")],
    }[case]
    if case == "corrupt file":
        (tmp_path / "corrupt.json").write_text(model.read_text()[:100])
        words = corrupt_file_error(tmp_path / "corrupt.json")  # the loader's own message
    if case == "a Layer's file":
        Layer(2, 3).save(tmp_path / "layer.json")
        words = corrupt_file_error(tmp_path / "layer.json")
    if case == "--train on digits":
        require("sklearn")
    result = run(["-m", "nn", "export", *args], tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m nn"), result.stderr
    assert words is not None and words in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "out.pt").exists() and not (tmp_path / "out.py").exists()


def test_without_torch_export_exits_1_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    MLP(2, [3, 1], seed=0).save(tmp_path / "model.json")
    hide_module(monkeypatch, "torch")
    assert main(["export", str(tmp_path / "model.json"), "--to", "torch", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: export_torch needs PyTorch, which is not installed: pip install 'valuegrad[torch]'"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_output_paths_drop_a_py_or_pt_ending() -> None:
    assert torch_export.output_paths("a/m.pt", training=False) == ["a/m.pt", "a/m.py"]
    assert torch_export.output_paths("a/m.v2", training=True) == ["a/m.v2.pt", "a/m.v2.py", "a/m.v2.data.json"]


# --- hostile or unusual values through the Python API: literals only, all or nothing -------------


def small_setup(**changes: Any) -> torch_export.TrainingSetup:
    """A TrainingSetup for MLP(2, [3, 1]) on four points, with ``changes``."""
    fields: dict[str, Any] = dict(
        dataset="moons", classes=2, loss="bce", optimizer="adam", lr=0.05, momentum=0.9, weight_decay=0.0, epochs=1,
        batch_size=0, seed=0, X_train=[[0.0, 1.0], [1.0, 0.0]], y_train=[0, 1], X_test=[[0.5, 0.5]], y_test=[1],
    )
    fields.update(changes)
    return torch_export.TrainingSetup(**fields)


def script_namespace(path: Path) -> dict[str, Any]:
    """Run the exported script's module body (not main) and return its names: it must load."""
    return runpy.run_path(str(path), run_name="exported")


def code_of(path: Path) -> list[str]:
    """The script's statements, with string and number literals blanked: its code, not its data."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.value = None
    return [ast.dump(node) for node in tree.body]


INJECTIONS = [
    'moons\nimport os; os.system("echo injected")\n#',
    'x"""\nraise SystemExit("injected")\n"""',
    "x\\\nraise SystemExit('injected')",
    "x\u2028raise SystemExit('injected')",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_no_text_from_the_python_api_becomes_code_in_the_script(tmp_path: Path, text: str) -> None:
    require("torch")
    plain = torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "plain", small_setup())
    written = torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "out", small_setup(dataset=text))
    assert code_of(Path(written[1])) == code_of(Path(plain[1]))  # the same code: the text is only data
    assert script_namespace(Path(written[1]))["DATASET"] == text

    class Hostile(MLP):
        def __repr__(self) -> str:
            return text

    class Chain(Module):  # not an MLP: the script names it by its class name
        def __init__(self) -> None:
            self.first, self.second = Layer(2, 3, rng=random.Random(0)), Layer(3, 1, activation="linear", rng=random.Random(1))

        def __call__(self, x: list[float]) -> Any:
            return self.second(self.first(x))

    named = type(text, (Chain,), {})  # a class name with quotes, escapes and newlines
    for model in (Hostile(2, [3, 1], seed=0), named()):
        out = torch_export.export_torch(model, tmp_path / "hostile")
        assert code_of(Path(out[1])) == code_of(Path(torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "p2")[1]))
        assert text.splitlines()[0] in script_namespace(Path(out[1]))["build_model"].__doc__


def test_numpy_scalars_are_written_as_numbers_the_script_reads_back(tmp_path: Path) -> None:
    require("torch")
    np = require("numpy")
    setup = small_setup(lr=np.float64(0.05), momentum=np.float32(0.5), epochs=np.int64(2), seed=np.int32(7),
                        batch_size=np.int64(0), classes=np.int64(2), X_train=np.array([[0.0, 1.0], [1.0, 0.0]]),
                        y_train=np.array([0, 1]))
    written = torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "out", setup)
    training = script_namespace(Path(written[1]))["TRAINING"]
    assert (training.lr, training.momentum, training.epochs, training.seed) == (0.05, 0.5, 2, 7)
    assert type(training.lr) is float and type(training.epochs) is int
    data = json.loads(Path(written[2]).read_text())
    assert data["X_train"] == [[0.0, 1.0], [1.0, 0.0]] and data["y_train"] == [0, 1]


@pytest.mark.parametrize(
    "changes, error, words",
    [
        ({"lr": float("nan")}, ValueError, "TrainingSetup: lr expects a number in [0, inf), got nan"),
        ({"lr": float("inf")}, ValueError, "TrainingSetup: lr expects a number in [0, inf), got inf"),
        ({"momentum": 1.0}, ValueError, "TrainingSetup: momentum expects a number in [0, 1), got 1.0"),
        ({"weight_decay": "0.1"}, TypeError, "TrainingSetup: weight_decay expects a real number, got str"),
        ({"epochs": 2.5}, TypeError, "TrainingSetup: epochs expects an int, got float 2.5"),
        ({"seed": True}, TypeError, "TrainingSetup: seed expects an int, got bool"),
        ({"dataset": 3}, TypeError, "TrainingSetup: dataset expects a str, got int"),
        ({"X_train": [[0.0, float("nan")], [1.0, 0.0]]}, ValueError, "TrainingSetup: X_train[0][1]"),
        ({"y_test": [1.5]}, TypeError, "TrainingSetup: y_test[0] expects an int"),
    ],
)
def test_values_a_script_cannot_hold_are_refused_naming_the_field(
    tmp_path: Path, changes: dict[str, Any], error: type, words: str
) -> None:
    with pytest.raises(error) as info:
        torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "out", small_setup(**changes))
    assert words in str(info.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("failure", ["OUT.py is a folder", "the second rename fails"])
def test_export_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    require("torch")
    (tmp_path / "out.pt").write_bytes(b"old weights")
    if failure == "OUT.py is a folder":
        (tmp_path / "out.py").mkdir()
    else:
        (tmp_path / "out.py").write_text("old script")
        real_replace, calls = os.replace, []

        def failing_replace(src: Any, dst: Any) -> None:
            calls.append(dst)
            if len(calls) == 2:
                raise OSError(5, "Input/output error")
            real_replace(src, dst)

        monkeypatch.setattr(torch_export.os, "replace", failing_replace)
    with pytest.raises(OSError):
        torch_export.export_torch(MLP(2, [3, 1], seed=0), tmp_path / "out")
    monkeypatch.undo()
    assert (tmp_path / "out.pt").read_bytes() == b"old weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pt", "out.py"]  # no temporary or backup file left
    if failure == "the second rename fails":
        assert (tmp_path / "out.py").read_text() == "old script"
