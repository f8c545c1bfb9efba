"""``python -m nn explore``: the explorer on a small local web server, for any browser.

The server is meant to be boring and safe, like Jupyter's:

* it listens on 127.0.0.1 only, on a free port unless ``--port`` names one;
* every request needs the random token printed with the URL (``?token=...``, or an
  ``Authorization: token ...`` header), compared in constant time;
* requests from another origin, or naming another host (DNS rebinding), are refused;
* nothing a page sends is executed: the page's WebSocket carries JSON commands from the fixed
  list of :mod:`nn.explore.controller`, each checked field by field, read by the depth-checked
  reader of :mod:`nn.explore.safejson`;
* nothing slow runs on the event loop: each page's session lives on its own thread
  (:mod:`nn.explore.runner`), which the loop only hands messages to;
* the token never reaches a log (:mod:`nn.explore.redact`), and idle or surplus connections
  cannot use up the file descriptors (:mod:`nn.explore.listener`);
* a bad request gets a 4xx status and a one-line reason, such as
  ``400 config: 'lr' expects a number in (0, 10], got 'fast'``;
* Ctrl-C (or SIGTERM) stops it cleanly and at once: pages are told, threads are stopped, the
  port is freed.

Each page gets its own training session, configured by the page's URL query (see
:mod:`nn.explore.config`), and a thread that trains while it plays. It uses tornado, the web
server Jupyter itself runs on: well kept, asynchronous, with WebSockets built in, and already
installed wherever Jupyter is (``pip install "valuegrad[explore]"``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal
import threading
from collections.abc import Callable
from typing import Any

import tornado.httputil
import tornado.netutil
import tornado.web
import tornado.websocket

from . import frontend, redact
from .config import Config
from .controller import CommandError, Controller
from .listener import CappedHTTPServer, connection_cap
from .runner import Runner
from .safejson import loads, shown

__all__ = ["ExplorerServer", "serve", "MAX_PAGES"]

HOST = "127.0.0.1"
#: Seconds a connection may stay open without sending a complete request.
IDLE_TIMEOUT = 20.0
#: How many pages (sessions, each with a training thread) may be open at once.
MAX_PAGES = 8
#: Messages to a page that may wait unsent before its runner holds back its state.
MAX_UNSENT = 2
log = logging.getLogger("tornado.application")
_TYPES = {"explorer.js": "text/javascript; charset=utf-8", "explorer.css": "text/css; charset=utf-8"}


def _static(name: str) -> str:
    """A front-end file; explorer.js is all of the front end's modules joined into one (see frontend.py)."""
    return frontend.bundle() if name == "explorer.js" else frontend.read(name)


def status_reason(text: str, most: int = 200) -> str:
    """``text`` as an HTTP status line may carry it: printable ASCII without ``<`` (tornado turns
    anything else into "Unknown"), the rest escaped as Python escapes it, cut to ``most`` characters.

    >>> status_reason("config: 'dataset' expects one of 'moons', got '✓'")
    "config: 'dataset' expects one of 'moons', got '\\\\u2713'"
    """
    out = "".join(c if " " <= c <= "~" and c != "<" else _escape(c) for c in text)
    return out if len(out) <= most else out[: most - 3] + "..."


def _escape(c: str) -> str:
    return "\\x3c" if c == "<" else c.encode("unicode_escape").decode("ascii")


class Refused(tornado.web.HTTPError):
    """A request refused with ``status`` and a one-line ``message``: the body carries the message
    as it is (UTF-8), the status line an ASCII copy (:func:`status_reason`)."""

    def __init__(self, status: int, message: str) -> None:
        self.message = " ".join(message.splitlines())
        super().__init__(status, reason=status_reason(self.message))


class _Guarded(tornado.web.RequestHandler):
    """Checks the host, the origin and the token before anything else; errors are one line of text."""

    server: ExplorerServer

    def initialize(self, server: ExplorerServer) -> None:
        self.server = server

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")

    def prepare(self) -> None:
        origins = self.server.origins
        host = self.request.headers.get("Host", "")
        if host not in {o.split("//", 1)[1] for o in origins}:
            raise Refused(403, f"the Host header must be {HOST}:{self.server.port}, got {shown(host)}")
        origin = self.request.headers.get("Origin")
        if origin is not None and origin not in origins:
            raise Refused(403, f"requests from another origin are refused, got Origin {shown(origin)}")
        given = self.get_query_argument("token", None)
        header = self.request.headers.get("Authorization", "")
        if given is None and header.startswith("token "):
            given = header[len("token ") :]
        if given is None or not hmac.compare_digest(given.encode(), self.server.token.encode()):
            what = "no token" if given is None else "a wrong token"
            raise Refused(403, f"{what}: open the URL printed by python -m nn explore")
        if self.request.method != "GET":
            raise Refused(405, f"{self.request.method} is not allowed: the explorer answers GET only")

    def config(self) -> Config:
        """The page's configuration from its query string (400 if it is not valid)."""
        try:
            return Config.from_query(self.request.query, ignore=("token",))
        except ValueError as e:
            raise Refused(400, str(e)) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, Refused) else tornado.httputil.responses.get(status_code, "Error")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {message}\n")

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        # tornado's own dump names the whole URI and the request: the token is in it
        if isinstance(value, tornado.web.HTTPError):
            return  # a refusal: the access log has its line
        log.error("uncaught exception in %s", redact.summary(self.request.method or "", self.request.path),
                  exc_info=(typ, value, tb))  # type: ignore[arg-type]


class _Page(_Guarded):
    def get(self) -> None:
        self.config()
        nonce = secrets.token_urlsafe(16)
        self.set_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
            f"connect-src ws://{self.request.host}; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'",
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        page = _static("explorer.html")
        self.finish(page.replace("{{ token }}", self.server.token).replace("{{ nonce }}", nonce))


class _Static(_Guarded):
    def get(self, name: str) -> None:
        self.set_header("Content-Type", _TYPES[name])
        self.finish(_static(name))


class _NotFound(_Guarded):
    def prepare(self) -> None:
        super().prepare()
        raise Refused(404, f"no such page: {self.request.path[:200]}")


class _Socket(tornado.websocket.WebSocketHandler, _Guarded):
    """One page's live connection: state out, commands in."""

    runner: Runner | None = None
    #: Messages written to the page and not yet flushed to its connection.
    _unsent = 0

    def prepare(self) -> None:
        _Guarded.prepare(self)
        self._config = self.config()
        if len(self.server.runners) >= MAX_PAGES:
            raise Refused(429, f"too many explorer pages open ({MAX_PAGES}): close one")

    def check_origin(self, origin: str) -> bool:
        return origin in self.server.origins

    def open(self, *args: str, **kwargs: str) -> None:
        loop = asyncio.get_running_loop()
        config = self._config

        def send(message: dict[str, Any]) -> None:  # on the runner's thread: the JSON is made there
            text = json.dumps(message, allow_nan=False, separators=(",", ":"))
            try:
                loop.call_soon_threadsafe(self._send, text)
            except RuntimeError:  # the loop has closed: the server is stopping
                pass

        # The session is built on the runner's thread too: a large model takes a second. State goes
        # out only once the page has taken the last: a page that stops reading holds up its own
        # frames, not the server's memory.
        self.runner = Runner(
            lambda: Controller(config),
            lambda parts: send({"type": "state", "parts": parts}),
            lambda error: send({"type": "error", "message": error}),
            ready=lambda: self._unsent < MAX_UNSENT,
        )
        self.server.runners.add(self.runner)
        self.server.sockets.add(self)
        self.runner.start()

    def _send(self, text: str) -> None:
        if self.ws_connection is None:
            return
        try:
            sent = self.write_message(text)
        except tornado.websocket.WebSocketClosedError:
            return
        self._unsent += 1
        sent.add_done_callback(self._sent)

    def _sent(self, future: Any) -> None:
        self._unsent -= 1
        if self._unsent < MAX_UNSENT and self.runner is not None:
            self.runner.wake()

    def _error(self, message: str) -> None:
        self._send(json.dumps({"type": "error", "message": message}))

    def on_message(self, message: str | bytes) -> None:
        if self.runner is None:
            return
        try:
            command = loads(message, "message")
        except ValueError as e:  # not JSON, or nested too deep: say so, and keep the connection
            self._error(str(e))
            return
        try:
            self.runner.submit(command)  # carried out on the runner's thread, never here
        except CommandError as e:
            self._error(str(e))

    def on_close(self) -> None:
        self.server.sockets.discard(self)
        if self.runner is not None:
            self.server.runners.discard(self.runner)
            self.runner.close()  # does not wait: the thread stops within a step


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """The access log: the status, the method and the path, never the query (it holds the token)."""
    status = handler.get_status()
    if status < 400:
        return
    request = handler.request
    took = 1000.0 * request.request_time()
    logging.getLogger("tornado.access").warning(
        "%s %.0fms", redact.summary(request.method or "", request.path, status), took)


class ExplorerServer:
    """The explorer's web server on 127.0.0.1. ``await start()``, read :attr:`url`, ``await stop()``.

    ``port`` 0 (the default) takes a free port; ``token`` None makes a random one; ``config``
    is what :attr:`url` opens (each page can carry its own in its query string).
    """

    def __init__(
        self,
        port: int = 0,
        token: str | None = None,
        config: Config | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port expects an int in [0, 65535] (0: any free port), got {port!r}")
        if isinstance(idle_timeout, bool) or not isinstance(idle_timeout, (int, float)) or not 0 < idle_timeout <= 3600:
            raise ValueError(f"idle_timeout expects seconds in (0, 3600], got {idle_timeout!r}")
        if max_connections is not None and (isinstance(max_connections, bool) or not isinstance(max_connections, int)
                                            or max_connections < 1):
            raise ValueError(f"max_connections expects an int >= 1 or None (as the descriptor limit allows), "
                             f"got {max_connections!r}")
        #: Seconds an HTTP connection may stay without a complete request before it is closed.
        self.idle_timeout = float(idle_timeout)
        #: The most HTTP connections open at once (below the process's file descriptor limit).
        self.max_connections = connection_cap(max_connections) if max_connections else connection_cap()
        self.token = token or secrets.token_urlsafe(24)
        self.config = config or Config()
        self.port = port
        self.runners: set[Runner] = set()
        self.sockets: set[_Socket] = set()
        #: The (address, port) pairs the server listens on, once started: 127.0.0.1 only.
        self.addresses: list[tuple[str, int]] = []
        self._http: CappedHTTPServer | None = None

    @property
    def origins(self) -> set[str]:
        """The origins the server accepts: itself, by address and by the name localhost."""
        return {f"http://{HOST}:{self.port}", f"http://localhost:{self.port}"}

    @property
    def url(self) -> str:
        """The address to open, with the token and the configuration."""
        query = self.config.to_query()
        return f"http://{HOST}:{self.port}/?token={self.token}" + (f"&{query}" if query else "")

    def application(self) -> tornado.web.Application:
        args = {"server": self}
        return tornado.web.Application(
            [
                (r"/", _Page, args),
                (r"/(explorer\.js|explorer\.css)", _Static, args),
                (r"/ws", _Socket, args),
            ],
            default_handler_class=_NotFound,
            default_handler_args=args,
            websocket_max_message_size=64 * 1024,
            websocket_ping_interval=30,
            websocket_ping_timeout=30,
            xsrf_cookies=False,
            log_function=_log_request,
        )

    async def start(self) -> None:
        """Bind 127.0.0.1 (a free port when ``port`` is 0) and start serving."""
        sockets = tornado.netutil.bind_sockets(self.port, address=HOST)
        self.addresses = [s.getsockname()[:2] for s in sockets]
        self.port = self.addresses[0][1]
        redact.protect(self.token)
        self._http = CappedHTTPServer(
            self.application(), max_body_size=64 * 1024, idle_connection_timeout=self.idle_timeout,
            body_timeout=self.idle_timeout,
        )
        self._http.cap = self.max_connections
        self._http.listen_on(sockets)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, stop every page's training thread, and close the connections.

        Nothing here blocks the event loop: the threads are asked to stop (each does within a
        training step) and waited for at most ``timeout`` seconds; they are daemons, so one still
        building a picture then never keeps Python from exiting.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._http is not None:
            self._http.stop()
        runners = list(self.runners)
        for runner in runners:
            runner.close()
        self.runners.clear()
        for page in list(self.sockets):  # the page shows why its connection closed
            page.close(1001, "the explorer server stopped")
        self.sockets.clear()
        while any(runner.alive for runner in runners) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        if self._http is not None:
            try:
                await asyncio.wait_for(self._http.close_all_connections(), max(0.1, deadline - loop.time()))
            except asyncio.TimeoutError:
                pass
        redact.forget(self.token)


def serve(
    port: int = 0,
    config: Config | None = None,
    token: str | None = None,
    ready: Callable[[ExplorerServer], None] | None = None,
) -> None:
    """Run the explorer's server until Ctrl-C or SIGTERM; ``ready(server)`` runs once it listens.

    Ctrl-C stops it even when the process was started with SIGINT ignored or blocked (a child
    inherits both from its parent, as from a test runner or a script): asyncio.run only turns SIGINT
    into a clean stop while Python's own handler is set, so it is set here, and both signals are
    unblocked."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    async def main() -> None:
        server = ExplorerServer(port, token, config)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGTERM, stop.set)
        except (NotImplementedError, RuntimeError):  # not on Windows, nor off the main thread
            pass
        try:
            if ready is not None:
                ready(server)
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(main())
