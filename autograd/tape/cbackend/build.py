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

A library in the cache runs as your code when it is loaded, so nothing there is trusted on
sight. The cache folders must be real folders of yours (a symbolic link is refused, never
followed); a library is loaded only if it is a regular file of yours that no one else may write
(else it is deleted and built again); a library proves what it is once loaded: it exports the
digest of its source (``vg_source_digest``) and the functions the tape calls, or it is deleted
and built once more. A freshly compiled library passes the same checks before it is renamed
into the cache, so a compiler that exits 0 without writing a library leaves no broken entry.
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


class CacheError(PermissionError):
    """The tape cache cannot be used safely: a folder is a symbolic link, belongs to another
    user, or cannot be created or written. The message names it and says what to do."""


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
    """The private cache directory, created with mode 0700 if missing, and checked.

    ``valuegrad/`` and ``valuegrad/tapes/`` must each be a real folder (a symbolic link is
    refused, never followed) that belongs to you. One that is yours but open to others is made
    private (0700) before it is trusted; the libraries already in it are checked one by one
    when loaded (:func:`build`). Raises :class:`CacheError` when a folder is a link, is not a
    folder, belongs to someone else, or cannot be created.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "valuegrad" / "tapes"
    try:
        os.makedirs(base, exist_ok=True)
    except OSError as e:
        raise CacheError(f"the tape cache {path} cannot be created ({e.strerror or e}); {_HINT}") from None
    _private_folder(path.parent)
    _private_folder(path)
    return path


#: What to do about a cache folder that cannot be used.
_HINT = "set XDG_CACHE_HOME to a folder of yours, or record with backend='python'"


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (mode 0700) or check it: a real folder of ours, closed to others."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise CacheError(f"the tape cache folder {folder} cannot be created ({e.strerror or e}); {_HINT}") from None
    # O_NOFOLLOW: a symbolic link put in the folder's place is refused, not followed (so nothing
    # is read from, or chmodded in, wherever it points); fstat and fchmod act on what was opened.
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder, flags)
    except OSError as e:
        kind = "a symbolic link" if os.path.islink(folder) else "not a folder we can open"
        raise CacheError(f"the tape cache folder {folder} is {kind} ({e.strerror or e}); {_HINT}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISDIR(info.st_mode):
            raise CacheError(f"the tape cache folder {folder} is not a folder; {_HINT}")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise CacheError(
                f"the tape cache folder {folder} belongs to another user (uid {info.st_uid}): a library loaded from "
                f"there would run as your code; remove it, or {_HINT}"
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o700)  # ours, but open to others: private before it is trusted
    finally:
        os.close(fd)


def _trusted(path: Path) -> bool:
    """Whether ``path`` is a library we may load: a regular file (not a link) of ours that neither
    group nor others may write. Anything else at that name is deleted, to be built again."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if (
        stat.S_ISREG(info.st_mode)
        and (not hasattr(os, "getuid") or info.st_uid == os.getuid())
        and not stat.S_IMODE(info.st_mode) & 0o022
    ):
        return True
    _remove(path)
    return False


def _remove(path: Path) -> None:
    """Delete ``path`` (a file, a link or a folder someone left under a library's name)."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise CacheError(f"the tape cache holds {path}, which cannot be trusted nor removed ({e.strerror or e})") from None


def _fingerprint(path: Path | str) -> str:
    """The SHA-256 of the file at ``path``'s bytes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _intact(so: Path) -> bool:
    """Whether ``so`` still has the bytes it had when it was checked and cached: the fingerprint
    written beside it then (``.so.sha256``) must match. ``dlopen`` of a truncated library can
    crash the process (SIGBUS) instead of failing, so a library is compared before it is loaded."""
    sidecar = so.parent / (so.name + ".sha256")
    if not _trusted(sidecar):  # held to the library's own rules: a regular file of ours, closed to others
        return False
    try:
        expected = sidecar.read_text(encoding="ascii").strip()
        return expected == _fingerprint(so)
    except (OSError, UnicodeDecodeError):
        return False


def _signed(source: str, digest: str) -> str:
    """``source`` with an exported string holding its digest, so a library proves what it was built from."""
    return f'{source}\n__attribute__((visibility("default"))) const char {_DIGEST_SYMBOL}[] = "{digest}";\n'


_DIGEST_SYMBOL = "vg_source_digest"


def _load(path: str, digest: str, exports: tuple[str, ...]) -> ctypes.CDLL:
    """Load the library at ``path`` and check it: it must export ``exports`` and the ``digest`` of
    the source it was built from. Raises OSError (not loadable) or ValueError (not this tape's)."""
    lib = ctypes.CDLL(path)
    try:
        signed = (ctypes.c_char * len(digest)).in_dll(lib, _DIGEST_SYMBOL).raw.decode("ascii", "replace")
    except ValueError:
        raise ValueError(f"{path} holds no {_DIGEST_SYMBOL}") from None
    if signed != digest:
        raise ValueError(f"{path} was built from another source (digest {signed!r}, expected {digest!r})")
    missing = [name for name in exports if not hasattr(lib, name)]
    if missing:
        raise ValueError(f"{path} does not export {', '.join(missing)}")
    return lib


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


#: The functions every tape's library exports (:mod:`.ctape` and :mod:`.trainer` call them).
EXPORTS = ("vg_run", "vg_batch", "vg_step", "vg_gather", "vg_scatter")


def build(source: str, exports: tuple[str, ...] = EXPORTS) -> Library:
    """The library of ``source``, from the cache or compiled now.

    A cached library is loaded only if it is a regular file of yours that neither group nor
    others may write (else it is deleted and built again), and only kept if it loads, exports
    ``exports`` and carries the digest of ``source`` (else it is deleted and built once more).
    A library just compiled passes the same checks before it is renamed into the cache, so a
    broken build (a compiler that exits 0 and writes nothing) never becomes a cache entry.
    Raises :class:`CompilerNotFound`, :class:`CompileError` or :class:`CacheError`.
    """
    argv = compiler()
    start = time.perf_counter()
    chosen = flags(argv)
    digest = hashlib.sha256("\0".join([source, *argv, *chosen, _version(argv), native(argv) or ""]).encode()).hexdigest()[:32]
    folder = cache_dir()
    so = folder / f"tape-{digest}.so"
    c = folder / f"tape-{digest}.c"
    if _trusted(so) and _intact(so):
        try:
            return Library(_load(str(so), digest, exports), so, c, True, time.perf_counter() - start)
        except (OSError, ValueError):
            pass
    _remove(so)  # missing, changed, foreign, or not this tape's: built again, once
    try:
        _write(c, _signed(source, digest))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".so")
        os.close(fd)
    except OSError as e:
        raise CacheError(f"cannot write into the tape cache {folder} ({e.strerror or e}); {_HINT}") from None
    try:
        done = subprocess.run([*argv, *chosen, str(c), "-o", tmp, "-lm"], capture_output=True, text=True)
        if done.returncode != 0:
            raise CompileError(
                f"the C compiler failed on the generated tape {c} (exit status {done.returncode}; the file is kept "
                f"to read):\n{done.stderr.strip() or done.stdout.strip()}"
            )
        os.chmod(tmp, 0o700)
        try:  # loaded under its temporary name, which no other library of this process had
            lib = _load(tmp, digest, exports)
        except (OSError, ValueError) as e:
            raise CompileError(
                f"the C compiler ({shlex.join(argv)}) exited 0 on the generated tape {c} but its output is not a "
                f"loadable library of it: {e}"
            ) from None
        _write(so.parent / (so.name + ".sha256"), _fingerprint(tmp) + "\n")
        os.replace(tmp, so)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Library(lib, so, c, False, time.perf_counter() - start)
