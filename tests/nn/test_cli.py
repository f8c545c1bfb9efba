"""``python -m nn train``: end to end in a temporary folder, and its argument errors."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import require, require_program

from nn import MLP
from nn.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "nn", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=300
    )


def check_png(path: Path) -> tuple[int, ...]:
    """Assert ``path`` is a PNG that matplotlib can decode; return the image's shape."""
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = require("matplotlib.image").imread(str(path))
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    return tuple(image.shape)


def test_train_moons_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_cli("train", "--epochs", "5", "--samples", "60", "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    # the progress bar goes to stderr, with the live loss and accuracy; stdout keeps the results
    assert "training" in result.stderr and "5/5" in result.stderr and "loss=" in result.stderr
    assert "training" not in result.stdout
    lines = result.stdout.splitlines()
    test_lines = [line for line in lines if line.startswith("test accuracy:")]
    assert len(test_lines) == 1 and re.fullmatch(r"test accuracy: [01]\.\d\d", test_lines[0])
    assert any(re.fullmatch(r"train accuracy: [01]\.\d\d", line) for line in lines)
    assert "Traceback" not in result.stderr
    check_png(out / "loss.png")
    check_png(out / "boundary.png")
    assert not (out / "confusion.png").exists()
    model = MLP(2, [16, 16, 1])
    model.load(out / "model.json")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["dataset"] == "moons" and metrics["config"]["epochs"] == 5
    assert len(metrics["history"]["loss"]) == 5
    assert f"test accuracy: {metrics['test_accuracy']:.2f}" in test_lines
    # the saved model is the trained one: its accuracy on the same split is the printed one
    from nn.data import make_moons, train_test_split
    from nn.train import accuracy

    X, y = make_moons(60, 0.1, seed=1)
    _, X_te, _, y_te = train_test_split(X, y, test_size=0.25, seed=1, stratify=True)
    assert accuracy(model, X_te, y_te) == metrics["test_accuracy"]


def test_train_is_deterministic_under_the_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["train", "--epochs", "3", "--samples", "40", "--no-progress", "--dataset", "xor"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    state_a = json.loads((tmp_path / "a" / "model.json").read_text())["state"]
    state_b = json.loads((tmp_path / "b" / "model.json").read_text())["state"]
    assert state_a == state_b


@pytest.mark.parametrize("dataset", ["xor", "circles"])
def test_train_with_replay_saves_the_same_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str
) -> None:
    args = ["train", "--epochs", "3", "--samples", "40", "--no-progress", "--dataset", dataset, "--batch-size", "16"]
    assert main([*args, "--out", str(tmp_path / "normal")]) == 0
    assert main([*args, "--backend", "python", "--out", str(tmp_path / "replay")]) == 0
    capsys.readouterr()
    normal = json.loads((tmp_path / "normal" / "model.json").read_text())["state"]
    replayed = json.loads((tmp_path / "replay" / "model.json").read_text())["state"]
    assert replayed == normal  # a binary task: the same steps to the last bit


def test_train_spirals_uses_cross_entropy_and_sgd_with_tanh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--dataset", "spirals", "--samples", "30", "--epochs", "3", "--hidden", "8",
                 "--optimizer", "sgd", "--activation", "tanh", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "loss cross-entropy" in out and "sgd" in out and "init xavier" in out
    shape = check_png(tmp_path / "boundary.png")
    assert shape[2] in (3, 4)
    MLP(2, [8, 3], activation="tanh").load(tmp_path / "model.json")


def test_train_with_hinge_loss_maps_the_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--dataset", "circles", "--loss", "hinge", "--samples", "40", "--epochs", "20",
                 "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "loss hinge" in out
    assert (tmp_path / "boundary.png").exists()


def test_train_digits_briefly_reaches_a_first_accuracy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One epoch already gets most digits right (the full default run reaches over 0.9: see the README)."""
    require("sklearn")
    code = main(["train", "--dataset", "digits", "--epochs", "1", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    test_acc = float(re.search(r"^test accuracy: (\d\.\d\d)$", out, re.M).group(1))  # type: ignore[union-attr]
    assert test_acc >= 0.75
    check_png(tmp_path / "confusion.png")
    check_png(tmp_path / "loss.png")
    assert not (tmp_path / "boundary.png").exists()
    MLP(64, [32, 10]).load(tmp_path / "model.json")


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--hidden", "16,,16"], "--hidden: expected comma-separated layer sizes"),
        (["train", "--hidden", "abc"], "--hidden: layer sizes must be whole numbers"),
        (["train", "--hidden", "16,0"], "--hidden: layer sizes must be >= 1, got 0"),
        (["train", "--lr", "0"], "--lr: expected a number in (0, inf), got '0'"),
        (["train", "--lr", "nan"], "--lr: expected a number in (0, inf)"),
        (["train", "--lr", "fast"], "--lr: expected a number in (0, inf), got 'fast'"),
        (["train", "--epochs", "0"], "--epochs: expected an integer in [1, 1,000,000], got '0'"),
        (["train", "--epochs", "2.5"], "--epochs: expected an integer"),
        (["train", "--batch-size", "-1"], "--batch-size: expected an integer in [0, 1,000,000]"),
        (["train", "--test-size", "1.5"], "--test-size: expected a number in (0, 1)"),
        (["train", "--momentum", "1"], "--momentum: expected a number in [0, 1)"),
        (["train", "--dataset", "mnist"], "--dataset: invalid choice: 'mnist'"),
        (["train", "--optimizer", "rmsprop"], "--optimizer: invalid choice"),
        (["train", "--dataset", "digits", "--loss", "hinge"], "--loss hinge is for two classes"),
        (["train", "--loss", "cross-entropy"], "--loss cross-entropy is for several classes"),
        (["train", "--dataset", "digits", "--samples", "50"], "--samples does not apply to digits"),
        (["train", "--epochs"], "--epochs: expected one argument"),
        ([], "the following arguments are required: command"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(args: list[str], words: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "error:" in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_unwritable_out_folder_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("train", "--epochs", "1", "--out", str(blocker / "run"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m nn train: error: --out ") and "is not a folder we can write to" in last
    assert result.stdout == ""  # it fails before any training


def test_help_lists_the_defaults() -> None:
    result = run_cli("train", "--help")
    assert result.returncode == 0
    assert "--dataset" in result.stdout and "default: moons" in result.stdout


@pytest.mark.parametrize("failing", ["model.json", "loss.png", "boundary.png", "metrics.json"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["disk full", "Ctrl-C"])
def test_a_write_that_fails_keeps_the_earlier_run_file_whole_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], failing: str,
    error: BaseException
) -> None:
    """The disk fills up (or Ctrl-C comes) while one result file is being synced: that file keeps the
    earlier run's bytes, and no temporary file is left in --out."""
    require("matplotlib")
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to tell which file a descriptor belongs to")
    out = tmp_path / "run"
    out.mkdir()
    names = ["model.json", "loss.png", "boundary.png", "metrics.json"]
    for name in names:
        (out / name).write_bytes(b"earlier run")
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(f".{failing}."):
            raise error
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code = main(["train", "--dataset", "xor", "--samples", "20", "--epochs", "1", "--hidden", "2", "--no-progress",
                 "--out", str(out)])
    capsys.readouterr()
    assert code == (130 if isinstance(error, KeyboardInterrupt) else 1)
    assert sorted(os.listdir(out)) == sorted(names)  # no temporary file left behind
    assert (out / failing).read_bytes() == b"earlier run"
    for name in names[: names.index(failing)]:  # the files written before it are the new ones, whole
        assert (out / name).read_bytes() != b"earlier run"


# --- sizes beyond what can be built, and the C back end's failures: one line, never a traceback ---


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--hidden", "100000000"], "--hidden: layer sizes must be at most 100,000, got 100,000,000"),
        (["train", "--hidden", "9" * 5000], "--hidden: layer sizes must be whole numbers up to 100,000"),
        (["train", "--hidden", ",".join(["4"] * 101)], "--hidden: at most 100 hidden layers, got 101"),
        (["train", "--hidden", "5000,5000"], "--hidden 5000,5000 makes a model of 25,025,001 parameters on moons; at most 1,000,000"),
        (["train", "--dataset", "digits", "--hidden", "20000"], "makes a model of 1,500,010 parameters on digits"),
        (["train", "--samples", "100000000"], "--samples: expected an integer in [4, 1,000,000], got '100000000'"),
        (["train", "--samples", "9" * 5000], "--samples: expected an integer in [4, 1,000,000], got '99999"),
        (["train", "--batch-size", "100000000"], "--batch-size: expected an integer in [0, 1,000,000]"),
        (["train", "--epochs", "100000000"], "--epochs: expected an integer in [1, 1,000,000]"),
        (["train", "--seed", "9" * 30], "--seed: expected an integer in"),
        (["export", "m.json", "--to", "torch", "out", "--train", "--samples", "100000000"], "--samples: expected an integer"),
    ],
)
def test_sizes_beyond_the_bounds_exit_2_in_one_line_before_any_allocation(args: list[str], words: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 400
    assert result.stdout == ""


@pytest.mark.parametrize("problem", ["the compiler fails", "the cache cannot be created", "the cache is a symbolic link"])
def test_train_in_c_reports_a_failing_compiler_or_cache_in_one_line(problem: str, tmp_path: Path) -> None:
    if problem != "the compiler fails":  # the cache is reached only with a compiler
        require_program(shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0])
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"))
    if problem == "the compiler fails":
        env["CC"] = "false"
    elif problem == "the cache cannot be created":
        (tmp_path / "cache").write_text("a file, not a folder")
    else:
        (tmp_path / "cache").mkdir()
        (tmp_path / "elsewhere").mkdir()
        os.symlink(tmp_path / "elsewhere", tmp_path / "cache" / "valuegrad")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--backend", "c", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --backend c: ") and lines[0].endswith("--backend python")
    assert not (tmp_path / "run" / "model.json").exists()
