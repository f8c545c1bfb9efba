"""Compiling a tape's C source into a shared library, cached by content, and loading it with ctypes.

The compiler is the one Python was built with (``sysconfig``'s ``CC``), or ``$CC`` if set. The
flags keep IEEE 754 arithmetic exactly as written: no ``-ffast-math``, and ``-ffp-contract=off``
so that ``a * b + c`` is never fused into one rounding (an FMA), which would change the last
bit. ``-fno-math-errno`` only stops libm calls from setting ``errno``, which lets the compiler
treat them as pure; it changes no number.

Builds are cached in a private directory (``$XDG_CACHE_HOME/valuegrad/tapes``, else
``~/.cache/valuegrad/tapes``; created with mode 0700) under the SHA-256 of the source, the
compiler command, its flags and its version, so recording the same tape again loads the library
at once. Every file is written under a temporary name and renamed into place, so a build that
is interrupted, or two processes building the same tape, never leave a half-written file.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: ``-O3``: it vectorises the loops that add into gradients element by element (``g[k] += x[k]·g``:
#: each element is still one multiplication and one addition, so no number changes) and keeps the
#: sums scalar, in their order (without ``-ffast-math`` the compiler may not reassociate them).
#: Measured against -O2 (benchmarks/README.md): an MLP(784, [50, 10]) sample 15 vs 22 µs, a tiny
#: GPT step 135 vs 161 µs, micrograd's demo step 49 vs 50 µs, for compiling the GPT's tape in
#: 0.85 vs 0.68 s. ``-pthread``: a batch may run its forward and backward passes on two threads (``lanes.h``).
FLAGS = ("-O3", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared", "-std=c99", "-pthread")

#: Added when the compiler accepts it: the vector instructions of this processor (AVX2's 4 doubles
#: where plain x86-64 has SSE2's 2), which the lanes of a batch (``lanes.h``) need to pay off. It
#: changes no number: without ``-ffast-math`` every operation stays one IEEE 754 operation, and
#: ``-ffp-contract=off`` keeps the fused multiply-adds that AVX2 brings out. It does tie a library
#: to the processor's instruction set, so the cache key holds the macros that ``-march=native``
#: defines here (``__AVX2__``, ``__znver3__``, ...): another processor gets its own build.
NATIVE = "-march=native"


class CompilerNotFound(RuntimeError):
    """No C compiler: ``$CC`` (or Python's own ``CC``) names a program that is not there."""


class CompileError(RuntimeError):
    """The C compiler failed on a generated tape; the message gives the file and its errors."""


@dataclass
class Library:
    """A compiled tape, loaded."""

    lib: ctypes.CDLL
    path: Path
    source_path: Path
    #: whether the library came from the cache (no compiler run)
    cached: bool
    seconds: float


def compiler() -> list[str]:
    """The compiler command, as a list (``$CC``, else the ``CC`` Python was built with, else ``cc``);
    raises :class:`CompilerNotFound` when its program does not exist."""
    text = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    argv = shlex.split(text)
    if not argv or shutil.which(argv[0]) is None:
        raise CompilerNotFound(
            f"no C compiler: {argv[0] if argv else text!r} (from {'$CC' if os.environ.get('CC') else 'sysconfig CC'}) "
            "is not an installed program; install gcc or clang, or set CC"
        )
    return argv


_VERSIONS: dict[tuple[str, ...], str] = {}


def _version(argv: list[str]) -> str:
    key = tuple(argv)
    if key not in _VERSIONS:
        try:
            done = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
            _VERSIONS[key] = done.stdout.splitlines()[0] if done.stdout else done.stderr.strip()
        except (OSError, subprocess.SubprocessError) as e:
            _VERSIONS[key] = f"unknown ({e})"
    return _VERSIONS[key]


_NATIVE: dict[tuple[str, ...], str | None] = {}


def native(argv: list[str]) -> str | None:
    """What ``-march=native`` means to this compiler on this processor (the macros it predefines),
    or None when the compiler does not accept it."""
    key = tuple(argv)
    if key not in _NATIVE:
        try:
            done = subprocess.run([*argv, NATIVE, "-E", "-dM", "-x", "c", os.devnull], capture_output=True, text=True, timeout=60)
            _NATIVE[key] = "\n".join(sorted(done.stdout.splitlines())) if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            _NATIVE[key] = None
    return _NATIVE[key]


def flags(argv: list[str]) -> list[str]:
    """The compiler's flags for a tape: :data:`FLAGS`, and :data:`NATIVE` when it is accepted."""
    return [*FLAGS, NATIVE] if native(argv) is not None else list(FLAGS)


def cache_dir() -> Path:
    """The private cache directory, created with mode 0700 if missing.

    Raises PermissionError when it exists but belongs to someone else or is open to others (a
    library loaded from there runs as your code).
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "valuegrad" / "tapes"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PermissionError(f"the tape cache {path} belongs to another user (uid {info.st_uid}); remove it or set XDG_CACHE_HOME")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)  # ours, but open to others: make it private before trusting it
    return path


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def build(source: str) -> Library:
    """The library of ``source``, from the cache or compiled now (raises :class:`CompilerNotFound`
    or :class:`CompileError`)."""
    argv = compiler()
    start = time.perf_counter()
    chosen = flags(argv)
    digest = hashlib.sha256("\0".join([source, *argv, *chosen, _version(argv), native(argv) or ""]).encode()).hexdigest()[:32]
    folder = cache_dir()
    so = folder / f"tape-{digest}.so"
    c = folder / f"tape-{digest}.c"
    if so.exists():
        return Library(ctypes.CDLL(str(so)), so, c, True, time.perf_counter() - start)
    _write(c, source)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".so")
    os.close(fd)
    try:
        done = subprocess.run([*argv, *chosen, str(c), "-o", tmp, "-lm"], capture_output=True, text=True)
        if done.returncode != 0:
            raise CompileError(
                f"the C compiler failed on the generated tape {c} (exit status {done.returncode}; the file is kept "
                f"to read):\n{done.stderr.strip() or done.stdout.strip()}"
            )
        os.chmod(tmp, 0o700)
        os.replace(tmp, so)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Library(ctypes.CDLL(str(so)), so, c, False, time.perf_counter() - start)
