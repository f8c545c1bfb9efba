"""The C tape, attacked: its cache, the user text in its source, and the state given to a Trainer.

* The cache: a library there runs as the user's code when it is loaded (its constructor runs at
  once), so each test plants something a hostile local user or a broken compiler could leave
  there (planted, linked, foreign, truncated, empty libraries), and checks that it is never
  loaded: it is refused, or deleted and built again, and the tape still computes the engine's
  numbers.
* The source: an op's name and doc are written into C comments; no text may end the comment.
* A Trainer: an optimizer state of the wrong length or type is refused before any C runs.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers import require_program

from autograd import Value, apply, record
from autograd.ops import Op
from autograd.tape.cbackend import CacheError, CompileError, CTape, Trainer
from nn.update_rules import AdamRule, SGDRule

#: A library whose constructor leaves a mark: if the mark appears, the planted library was loaded.
PLANTED = '#include <stdio.h>\n__attribute__((constructor)) static void planted(void) { fclose(fopen("%s", "w")); }\n'


@pytest.fixture(autouse=True)
def cc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The C compiler (skipped without it, failed under CI), and a fresh cache in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if os.environ.get("CC"):
        return require_program(shlex.split(os.environ["CC"])[0])
    return require_program(shlex.split(sysconfig.get_config_var("CC") or "cc")[0])


def tape_of_w(x: float = 3.0) -> tuple[Any, Value]:
    w = Value(2.0)
    return record(lambda x: (w * x).tanh(), x, backend="c"), w


def plant(path: Path, cc: str, mark: Path) -> None:
    """Compile a library that marks its loading into ``path``."""
    source = path.with_name("planted.c")
    source.write_text(PLANTED % mark)
    subprocess.run([cc, "-shared", "-fPIC", str(source), "-o", str(path)], check=True)
    source.unlink()


def assert_rebuilt_and_right(mark: Path) -> CTape:
    tape, w = tape_of_w()
    assert isinstance(tape, CTape) and not tape.cached, "the planted library was used"
    assert not mark.exists(), "the planted library was loaded: its constructor ran"
    assert tape(0.5) == (w * 0.5).tanh().data
    info = os.lstat(tape.library_path)
    assert stat.S_ISREG(info.st_mode) and not stat.S_IMODE(info.st_mode) & 0o077
    return tape


@pytest.mark.parametrize("how", ["writable by others", "writable by the group", "a symbolic link", "another user's"])
def test_a_library_planted_in_the_cache_is_deleted_and_rebuilt_never_loaded(how: str, cc: str, tmp_path: Path) -> None:
    first, _ = tape_of_w()
    so = first.library_path
    mark = tmp_path / "loaded"
    os.unlink(so)
    if how == "a symbolic link":
        elsewhere = tmp_path / "elsewhere.so"
        plant(elsewhere, cc, mark)
        os.chmod(elsewhere, 0o700)
        os.symlink(elsewhere, so)
    else:
        plant(so, cc, mark)
        if how == "another user's":
            if os.getuid() != 0:
                pytest.skip("giving a file to another user needs root")
            os.chown(so, 54321, 54321)
            os.chmod(so, 0o755)
        else:
            os.chmod(so, 0o757 if how == "writable by others" else 0o775)
    assert_rebuilt_and_right(mark)


def test_a_world_writable_cache_folder_is_made_private_and_its_libraries_still_checked(cc: str, tmp_path: Path) -> None:
    first, _ = tape_of_w()
    folder = first.library_path.parent
    os.chmod(folder, 0o777)
    mark = tmp_path / "loaded"
    os.unlink(first.library_path)
    plant(first.library_path, cc, mark)
    os.chmod(first.library_path, 0o777)
    assert_rebuilt_and_right(mark)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("which", ["tapes", "valuegrad"])
def test_a_symlinked_cache_folder_is_refused_and_its_target_left_alone(which: str, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    cache = tmp_path / "cache" / "valuegrad"
    if which == "tapes":
        cache.mkdir(parents=True, mode=0o700)
        os.symlink(target, cache / "tapes")
    else:
        cache.parent.mkdir(parents=True)
        os.symlink(target, cache)
    with pytest.raises(CacheError, match=f"{which} is a symbolic link"):
        tape_of_w()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and not list(target.iterdir())


def test_a_cache_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = tape_of_w()
    mine = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: mine + 1)
    with pytest.raises(CacheError, match=r"belongs to another user"):
        tape_of_w()


def test_a_cache_that_cannot_be_created_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.raises(CacheError, match=r"a-file.*cannot be created.*XDG_CACHE_HOME"):
        tape_of_w()


@pytest.mark.parametrize("damage", ["empty", "truncated", "another tape's"])
def test_a_broken_cached_library_is_rebuilt_once(damage: str, tmp_path: Path) -> None:
    first, _ = tape_of_w()
    so = first.library_path
    data = so.read_bytes()
    if damage == "another tape's":
        other = record(lambda x: Value(1.5) * x + 1.0, 1.0, backend="c")
        data = other.library_path.read_bytes()
    broken = tmp_path / "broken.so"  # a new file: this process has the old one mapped, which must stay whole
    broken.write_bytes(b"" if damage == "empty" else data[: len(data) // 3] if damage == "truncated" else data)
    os.chmod(broken, 0o700)
    os.replace(broken, so)
    assert_rebuilt_and_right(tmp_path / "never-written")
    again, _ = tape_of_w()
    assert again.cached  # the rebuilt library is a good cache entry


def test_a_compiler_that_writes_no_library_leaves_no_cache_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CC", "true")
    for _ in range(2):
        with pytest.raises(CompileError, match=r"exited 0 .* not a loadable library"):
            tape_of_w()
    assert not list((tmp_path / "cache" / "valuegrad" / "tapes").glob("*.so"))


# --- user text in the C source ------------------------------------------------------------------

#: Texts that end a C comment in a way a search for ``*/`` misses, then compile a line of their own.
ESCAPES = {
    "backslash-newline": "*\\\n/\n#error the doc was compiled as code\n/*",
    "trigraph": "*??/\n/\n#error the doc was compiled as code\n/*",
    "plain": "*/\n#error the doc was compiled as code\n/*",
    "bidi and line separator": "\u202e*/\u2028#error x /*",
}


@pytest.mark.parametrize("text", ESCAPES.values(), ids=list(ESCAPES))
@pytest.mark.parametrize("where", ["doc", "name"])
def test_no_user_text_ends_a_c_comment(text: str, where: str) -> None:
    name, doc = ("cube", text) if where == "doc" else (f"cube{text}", "cubes")
    cube = Op(name, "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1, c="OUT = A * A * A; D(0) = 3.0 * A * A;", doc=doc)
    w = Value(1.5)
    tape = record(lambda x: apply(cube, w * x), 2.0, backend="c")
    assert isinstance(tape, CTape) and tape(-1.0) == (-1.5) ** 3
    assert "#error" not in "".join(line for line in tape.c_source.splitlines() if line.lstrip().startswith("#"))


# --- a Trainer's arguments ----------------------------------------------------------------------


def two_parameter_tape() -> tuple[Any, list[Value]]:
    w, b = Value(0.5), Value(-0.25)
    return record(lambda x, y: (w * x + b - y) ** 2, 1.0, 2.0, backend="c"), [w, b]


@pytest.mark.parametrize(
    ("make_rule", "error", "message"),
    [
        (lambda: SGDRule(0.1, momentum=0.9, velocity=[0.0]), ValueError, r"SGDRule: velocity holds 1 numbers, but there are 2"),
        (lambda: SGDRule(0.1, momentum=0.9, velocity=[0.0] * 3), ValueError, r"velocity holds 3 numbers"),
        (lambda: SGDRule(0.1, velocity=[]), ValueError, r"velocity holds 0 numbers"),
        (lambda: AdamRule(m=[0.0], v=[0.0]), ValueError, r"AdamRule: m holds 1 numbers, but there are 2"),
        (lambda: AdamRule(m=[0.0, 0.0], v=[0.0]), ValueError, r"AdamRule: v holds 1 numbers"),
        (lambda: AdamRule(m=[0.0, 0.0]), ValueError, r"m and v .* give both or neither"),
        (lambda: SGDRule(0.1, velocity="ab"), TypeError, r"SGDRule: velocity expects a sequence of numbers"),
        (lambda: SGDRule(0.1, velocity=5), TypeError, r"SGDRule: velocity expects a sequence of numbers"),
        (lambda: AdamRule(m=[0.0, "x"], v=[0.0, 0.0]), TypeError, r"AdamRule: m\[1\] expects a real number"),
    ],
)
def test_an_optimizer_state_that_does_not_fit_is_refused_before_any_c_runs(make_rule: Any, error: type, message: str) -> None:
    tape, params = two_parameter_tape()
    with pytest.raises(error, match=message):
        Trainer(params, make_rule())


@pytest.mark.parametrize("attribute", ["velocity", "m"])
def test_a_state_replaced_after_the_trainer_was_made_is_checked_at_the_update(attribute: str) -> None:
    tape, params = two_parameter_tape()
    rule: Any = SGDRule(0.1, momentum=0.9) if attribute == "velocity" else AdamRule()
    trainer = Trainer(params, rule)
    trainer.step(tape, [(1.0, 2.0)])
    setattr(rule, attribute, [0.0])
    with pytest.raises(ValueError, match=f"{attribute} holds 1 numbers, but there are 2"):
        trainer.update()


def test_run_flat_refuses_a_buffer_that_is_not_doubles() -> None:
    from array import array

    tape, params = two_parameter_tape()
    trainer = Trainer(params, SGDRule(0.1))
    with pytest.raises(TypeError, match=r"flat expects a writable, contiguous buffer of doubles"):
        trainer.run_flat(tape, array("f", [1.0, 2.0, 3.0, 4.0]), 1)
    with pytest.raises(TypeError, match=r"count expects an int >= 0"):
        trainer.run_flat(tape, array("d", [1.0, 2.0]), -1)
