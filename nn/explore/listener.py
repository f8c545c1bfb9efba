"""Accepting connections without running out of file descriptors.

Anyone on this computer can open connections to 127.0.0.1, token or not. Each holds a file
descriptor, and when a process has none left its accept loop fails over and over. So the
explorer's server:

* caps the HTTP connections open at once (:func:`connection_cap`: 64, or fewer when the
  process may open few files) and closes any beyond the cap as soon as it is accepted;
* lets tornado close a connection that sends no complete request within the idle timeout;
* if accepting fails for want of descriptors all the same (other code in the process holds
  them), stops accepting for half a second instead of spinning;
* says so on the ``tornado.general`` logger once a minute at most, however many are refused.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from typing import Any

import tornado.httpserver
import tornado.iostream
from tornado.ioloop import IOLoop

__all__ = ["CappedHTTPServer", "connection_cap", "MAX_CONNECTIONS"]

#: The most HTTP connections served at once: a page needs two or three.
MAX_CONNECTIONS = 64
#: Descriptors kept for everything else in the process (files, pipes, the event loop).
RESERVE = 32
#: The most bytes a connection may buffer (headers included): a request is a few hundred.
MAX_BUFFER = 1024 * 1024
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_log = logging.getLogger("tornado.general")


def connection_cap(most: int = MAX_CONNECTIONS) -> int:
    """How many connections to allow: ``most``, or fewer so that two descriptors per connection
    and :data:`RESERVE` more stay below the process's limit (``ulimit -n``)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):  # not on Windows
        return most
    if soft == resource.RLIM_INFINITY:
        return most
    return max(1, min(most, (soft - RESERVE) // 2))


class CappedHTTPServer(tornado.httpserver.HTTPServer):
    """tornado's HTTP server with a cap on open connections and an accept loop that cannot spin.

    Call :meth:`listen_on` with bound sockets (instead of ``add_sockets``); ``cap`` is set by
    the owner after construction (:func:`connection_cap` by default).
    """

    cap: int = MAX_CONNECTIONS
    #: Connections open now (they count from accept until tornado closes them).
    open_connections: int = 0
    _listening: list[socket.socket]
    _logged_at: float

    def listen_on(self, sockets: list[socket.socket]) -> None:
        self._listening = list(sockets)
        self._logged_at = -1e9
        loop = IOLoop.current()
        for sock in self._listening:
            sock.setblocking(False)
            loop.add_handler(sock, self._accept, IOLoop.READ)

    def stop(self) -> None:
        """Stop accepting and close the listening sockets."""
        loop = IOLoop.current()
        for sock in getattr(self, "_listening", []):
            try:
                loop.remove_handler(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self._listening = []
        super().stop()

    def _say_once(self, text: str) -> None:
        now = time.monotonic()
        if now - self._logged_at >= 60.0:
            self._logged_at = now
            _log.warning("explorer: %s (said once a minute at most)", text)

    def _accept(self, sock: socket.socket, events: int) -> None:
        for _ in range(self.cap + 1):  # a bounded batch per wake-up
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as e:
                if e.errno not in _OUT_OF_DESCRIPTORS:
                    raise
                self._say_once(f"out of file descriptors ({e.strerror}): not accepting for half a second")
                self._pause(sock)
                return
            if self.open_connections >= self.cap:
                connection.close()
                self._say_once(f"{self.cap} connections are open, the most it serves at once: refusing more")
                continue
            self.open_connections += 1
            stream = tornado.iostream.IOStream(connection, max_buffer_size=MAX_BUFFER)
            self.handle_stream(stream, address)

    def _pause(self, sock: socket.socket) -> None:
        loop = IOLoop.current()
        loop.remove_handler(sock)

        def resume() -> None:
            if sock in self._listening:
                loop.add_handler(sock, self._accept, IOLoop.READ)

        loop.call_later(0.5, resume)

    def on_close(self, server_conn: Any) -> None:
        self.open_connections = max(0, self.open_connections - 1)
        super().on_close(server_conn)
