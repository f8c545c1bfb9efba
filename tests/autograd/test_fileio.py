"""autograd.fileio.write_atomic: whole files or none, the umask's permissions, nothing left behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograd.fileio import write_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that changes it."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664), (0o027, 0o640)])
def test_a_new_file_follows_the_umask(tmp_path: Path, umask: None, mask: int, expected: int) -> None:
    os.umask(mask)
    path = tmp_path / "f.bin"
    write_atomic(path, b"data")
    assert path.read_bytes() == b"data"
    assert mode(path) == expected


@pytest.mark.parametrize("existing", [0o600, 0o640, 0o664, 0o444])
def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask: None, existing: int) -> None:
    os.umask(0o022)
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    path.chmod(existing)
    write_atomic(str(path), bytearray(b"new"))
    assert path.read_bytes() == b"new"
    assert mode(path) == existing


def _failing(exc: BaseException) -> Callable[..., None]:
    def fail(*args: object) -> None:
        raise exc

    return fail


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failure_or_an_interrupt_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, step: str
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"old contents")
    monkeypatch.setattr(os, step, _failing(exc))
    with pytest.raises(type(exc)):
        write_atomic(path, b"new contents")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["f.bin"]
    assert path.read_bytes() == b"old contents"


def test_a_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(tmp_path, b"x")
    assert str(tmp_path) in str(info.value)
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_an_oserror_naming_the_file_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "f.bin"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(path, b"x")
    assert info.value.filename == str(path)
    assert os.listdir(tmp_path) == []


def test_a_symlink_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "f.bin"
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path / "real")) == ["f.bin"]


@pytest.mark.parametrize(
    "path, data, words",
    [
        (3, b"x", "path expects a str or os.PathLike, got int"),
        (b"f.bin", b"x", "path expects a str or os.PathLike, got bytes"),
        ("f.bin", "text", r"data expects bytes, got str \(encode text first"),
        ("f.bin", None, "data expects bytes, got NoneType"),
    ],
)
def test_wrong_types_are_typeerrors_naming_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: object, data: object, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=words):
        write_atomic(path, data)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []
