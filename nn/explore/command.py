"""What ``python -m nn explore`` does: check the configuration, serve, open a browser, stop on Ctrl-C.

::

    python -m nn explore                                   # a free port, and a browser opens
    python -m nn explore --no-browser --port 8765          # print the URL only
    python -m nn explore --config "dataset=xor&hidden=4&lock=dataset,hidden"
    python -m nn explore --config @exercise.json           # the same, from a JSON file
"""

from __future__ import annotations

import html
import os
import pathlib
import shutil
import stat
import sys
import tempfile
import threading
import webbrowser
from typing import TYPE_CHECKING

from .config import Config

if TYPE_CHECKING:
    from .server import ExplorerServer

__all__ = ["read_config", "run"]


#: The largest configuration file read: a configuration is a few hundred bytes.
MAX_CONFIG_BYTES = 64 * 1024


def read_file(path: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes; ValueError otherwise.

    It is opened without waiting (a FIFO would block until a writer came), and anything but a
    regular file (a device such as /dev/zero, a FIFO, a folder) is refused before a byte is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ValueError(f"--config: cannot read {path!r}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"--config: {path!r} is not a regular file")
        try:
            content = f.read(limit + 1)
        except OSError as e:
            raise ValueError(f"--config: cannot read {path!r}: {e.strerror or e}") from None
    if len(content) > limit:
        raise ValueError(f"--config: {path!r} is larger than {limit} bytes: it cannot be a configuration")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"--config: {path!r} is not UTF-8 text: {e.reason} at byte {e.start}") from None


def read_config(text: str) -> Config:
    """``--config``'s value: a URL query (``dataset=xor&lr=0.1``) or ``@file.json``. ValueError if bad."""
    if text.startswith("@"):
        return Config.from_json(read_file(text[1:]))
    return Config.from_query(text)


def run(port: int, open_browser: bool, config: Config) -> int:
    """Serve until Ctrl-C; return the exit status (0 when stopped by the user, 1 if it cannot start)."""
    try:
        from .server import serve
    except ImportError as e:
        print(f'error: python -m nn explore needs tornado ({e}): pip install "valuegrad[explore]"', file=sys.stderr)
        return 1

    folder: list[str] = []

    def ready(server: ExplorerServer) -> None:
        print(f"valuegrad explorer at {server.url}", flush=True)
        print("(only this computer can open it; Ctrl-C stops the server)", flush=True)
        if open_browser:
            folder.append(tempfile.mkdtemp(prefix="valuegrad-explorer-"))  # only the user can enter it
            open_in_browser(redirect_file(server.url, folder[0]))

    try:
        serve(port=port, config=config, ready=ready)
    except OSError as e:
        print(f"error: cannot listen on 127.0.0.1 port {port}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        for path in folder:
            shutil.rmtree(path, ignore_errors=True)
    print("stopped", flush=True)
    return 0


def redirect_file(url: str, folder: str) -> str:
    """A page that sends the browser on to ``url``, written to ``folder``/open.html readable by the
    user alone (0600); its ``file://`` URI.

    The browser is started with this file's name, not with ``url``: a program's arguments are
    public to every user of the computer (``ps``, /proc), and ``url`` holds the token. This is
    what Jupyter does.
    """
    target = html.escape(url, quote=True)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={target}"><title>valuegrad explorer</title></head>\n'
        f'<body><p>Opening <a href="{target}">the valuegrad explorer</a>...</p></body></html>\n'
    )
    path = os.path.join(folder, "open.html")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(page)
    return pathlib.Path(path).as_uri()


def open_in_browser(uri: str) -> None:
    """Open ``uri`` in the user's browser on a thread of its own: a ``BROWSER`` command that Python
    does not know is run and waited for, which must not hold up the server."""

    def opening() -> None:
        try:
            opened = webbrowser.open(uri)
        except Exception as e:  # the server runs on: the user has the printed URL
            print(f"could not open a browser ({type(e).__name__}: {e}): open the URL above", file=sys.stderr)
            return
        if not opened:
            print("could not open a browser: open the URL above", file=sys.stderr)

    threading.Thread(target=opening, name="valuegrad-explorer-browser", daemon=True).start()
