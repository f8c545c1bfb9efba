"""What ``python -m nn explore`` does: check the configuration, serve, open a browser, stop on Ctrl-C.

::

    python -m nn explore                                   # a free port, and a browser opens
    python -m nn explore --no-browser --port 8765          # print the URL only
    python -m nn explore --config "dataset=xor&hidden=4&lock=dataset,hidden"
    python -m nn explore --config @exercise.json           # the same, from a JSON file
"""

from __future__ import annotations

import sys
import webbrowser
from typing import TYPE_CHECKING

from autograd.fileio import read_regular

from .config import Config

if TYPE_CHECKING:
    from .server import ExplorerServer

__all__ = ["read_config", "run", "CONFIG_FILE_LIMIT"]

#: The largest ``--config @FILE`` read: a configuration is a few hundred bytes.
CONFIG_FILE_LIMIT = 1 << 20


def read_config(text: str) -> Config:
    """``--config``'s value: a URL query (``dataset=xor&lr=0.1``) or ``@file.json``. ValueError if bad."""
    if text.startswith("@"):
        path = text[1:]
        try:  # a regular file of at most 1 MiB, checked before reading: never /dev/zero or a FIFO
            content = read_regular(path, CONFIG_FILE_LIMIT, "configuration file").decode("utf-8")
        except OSError as e:
            raise ValueError(f"--config: cannot read {path!r}: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise ValueError(f"--config: {path!r} is not UTF-8 text ({e})") from None
        except ValueError as e:
            raise ValueError(f"--config: {e}") from None
        return Config.from_json(content)
    return Config.from_query(text)


def run(port: int, open_browser: bool, config: Config) -> int:
    """Serve until Ctrl-C; return the exit status (0 when stopped by the user, 1 if it cannot start)."""
    try:
        from .server import serve
    except ImportError as e:
        print(f'error: python -m nn explore needs tornado ({e}): pip install "valuegrad[explore]"', file=sys.stderr)
        return 1

    def ready(server: ExplorerServer) -> None:
        print(f"valuegrad explorer at {server.url}", flush=True)
        print("(only this computer can open it; Ctrl-C stops the server)", flush=True)
        if open_browser:
            webbrowser.open(server.url)

    try:
        serve(port=port, config=config, ready=ready)
    except OSError as e:
        print(f"error: cannot listen on 127.0.0.1 port {port}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    print("stopped", flush=True)
    return 0
