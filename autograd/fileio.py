"""Reading and writing user files safely: :func:`read_regular` and :func:`write_atomic`.

Reading: a path may name something that is not a file. ``/dev/zero`` never ends (reading it
whole fills the memory), a FIFO blocks ``open`` until someone writes to it, and a huge file takes
all the memory it holds. :func:`read_regular` opens without blocking, checks on the open file
that it is a regular file no larger than the caller's limit, and only then reads.

Writing: a reader sees the old contents or the new, never half of either.

Opening a file for writing empties it at once, and the new bytes arrive over time. A crash, a
full disk or Ctrl-C in between leaves a truncated file, and the old contents are gone. The
cure is to write a *new* file next to the old one and, once it is complete and on disk, rename
it over the old one. ``os.replace`` renames in one step within a file system: at every moment
the path names either the whole old file or the whole new one.

Every file valuegrad writes (models, metrics, pictures, drawings) goes through
:func:`write_atomic`, and every file of the user's it reads through :func:`read_regular`. No third-party import: this module is part of the engine's core.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from typing import Union

__all__ = ["read_regular", "write_atomic"]

PathLike = Union[str, "os.PathLike[str]"]

#: What a new file asks for, as ``open()`` does: read and write for everyone, minus the umask.
_NEW_FILE_MODE = 0o666
#: How many random temporary names to try before giving up (a clash is already unlikely).
_TRIES = 100


def read_regular(path: PathLike, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, refused before reading unless it has at most ``limit``.

    The file is opened with ``O_NONBLOCK``, so that a FIFO cannot make ``open`` wait for a
    writer, and ``fstat`` on the open descriptor (not on the path, which could be swapped in
    between) says what it is: anything but a regular file (a FIFO, a device such as
    ``/dev/zero``, a socket) is refused, and so is a file larger than ``limit`` bytes. A file that
    grows while it is read is cut off at ``limit + 1`` bytes and refused as well. Symbolic links
    are followed, as ``open`` follows them; what they lead to is checked.

    Raises ValueError naming ``path`` (``what`` says what the file was meant to be, e.g. "model
    file"), IsADirectoryError for a folder, and OSError if it cannot be opened or read.

    >>> read_regular("/dev/zero", 1024)
    Traceback (most recent call last):
    ...
    ValueError: '/dev/zero' is a character device, not a regular file: no file is read from it
    """
    name = os.fspath(path)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise TypeError(f"read_regular: limit expects an int >= 0 (bytes), got {limit!r}")
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", name)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{name!r} is {_kind(info.st_mode)}, not a regular file: no {what} is read from it")
        if info.st_size > limit:
            raise ValueError(f"{name!r} holds {info.st_size:,} bytes, more than any {what} ({limit:,} bytes at most)")
        chunks: list[bytes] = []
        size = 0
        want = info.st_size + 1  # all of it, and one byte more to see the end (or that it grew)
        while size <= limit:
            chunk = os.read(fd, min(want, limit + 1 - size))
            want = 1 << 16
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ValueError(f"{name!r} grew past {limit:,} bytes while it was read, more than any {what}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, words in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


def write_atomic(path: PathLike, data: bytes) -> None:
    """Replace the file at ``path`` with ``data``, all at once.

    The bytes go to a temporary file in the same folder (``.NAME.RANDOM.tmp``, hidden), which is
    written, flushed and synced to disk (``os.fsync``) and then renamed over ``path`` with
    ``os.replace``; the folder is synced too, so that the rename itself survives a power cut.
    A crash at any moment leaves either the old file or the new one.

    Permissions are those of any other write: a new file gets mode 0o666 less the process
    umask (the kernel applies it, so ``umask 077`` gives 0o600), and a file that already exists
    keeps its permission bits (a private 0o600 file stays private). Its owner is the writer's,
    as with any newly created file. A symbolic link at ``path`` is followed: the file it points
    to is replaced and the link stays a link.

    On any failure, an OSError or an interrupt (KeyboardInterrupt) alike, the temporary file is
    removed and the old file is left exactly as it was; the exception is raised again.

    Raises TypeError if ``path`` is not a path or ``data`` not bytes, IsADirectoryError if
    ``path`` is a folder, and OSError (naming ``path``) if the file cannot be written.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "notes.txt")
    ...     write_atomic(path, b"first draft\\n")
    ...     write_atomic(path, b"final\\n")
    ...     with open(path, "rb") as f:
    ...         print(f.read(), os.listdir(folder))
    b'final\\n' ['notes.txt']
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"write_atomic: path expects a str or os.PathLike, got {type(path).__name__}")
    name = os.fspath(path)
    if not isinstance(name, str):
        raise TypeError(f"write_atomic: path expects a str or os.PathLike of str, got {type(name).__name__} {name!r}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        hint = " (encode text first, e.g. text.encode('utf-8'))" if isinstance(data, str) else ""
        raise TypeError(f"write_atomic: data expects bytes, got {type(data).__name__}{hint}")
    target = os.path.realpath(name)  # follow a symlink: its target is what gets replaced
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        keep_mode = None
    else:
        if stat.S_ISDIR(existing.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", name)
        keep_mode = stat.S_IMODE(existing.st_mode) & 0o777
    folder = os.path.dirname(target)
    tmp: str | None = None
    try:
        fd, tmp = _create_temporary(folder, os.path.basename(target), name)
        with os.fdopen(fd, "wb") as f:
            if keep_mode is not None:
                os.fchmod(f.fileno(), keep_mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    _sync_folder(folder)


def _create_temporary(folder: str, base: str, name: str) -> tuple[int, str]:
    """Create a new, empty file ``folder/.base.RANDOM.tmp``; return its descriptor and path.

    ``O_EXCL`` makes the creation fail rather than open a file someone else made. The mode
    asked for is 0o666 and the kernel subtracts the umask, exactly as for ``open(path, "w")``
    (``tempfile.mkstemp`` would always give 0o600). An OSError names ``name``, the file the
    caller asked for, not the temporary one.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TRIES):
        tmp = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, _NEW_FILE_MODE), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise type(e)(e.errno, f"cannot create a file next to it ({e.strerror})", name) from None
    raise FileExistsError(errno.EEXIST, f"no free temporary name after {_TRIES} tries", name)


def _sync_folder(folder: str) -> None:
    """fsync ``folder``, so that the rename is on disk too. Not every system can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
