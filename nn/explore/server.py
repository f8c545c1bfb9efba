"""``python -m nn explore``: the explorer on a small local web server, for any browser.

The server is meant to be boring and safe, like Jupyter's:

* it listens on 127.0.0.1 only, on a free port unless ``--port`` names one;
* every request needs the random token printed with the URL (``?token=...``, or an
  ``Authorization: token ...`` header), compared in constant time;
* requests from another origin, or naming another host (DNS rebinding), are refused;
* nothing a page sends is executed: the page's WebSocket carries JSON commands from the fixed
  list of :mod:`nn.explore.controller`, each checked field by field;
* a bad request gets a 4xx status and a one-line reason, such as
  ``400 config: 'lr' expects a number in (0, 10], got 'fast'``;
* Ctrl-C (or SIGTERM) stops it cleanly: pages are told, threads are joined, the port is freed.

Each page gets its own training session, configured by the page's URL query (see
:mod:`nn.explore.config`), and a thread that trains while it plays. It uses tornado, the web
server Jupyter itself runs on: well kept, asynchronous, with WebSockets built in, and already
installed wherever Jupyter is (``pip install "valuegrad[explore]"``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import signal
from collections.abc import Callable
from importlib import resources
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

from .config import Config
from .controller import CommandError, Controller
from .runner import Runner

__all__ = ["ExplorerServer", "serve", "MAX_PAGES"]

HOST = "127.0.0.1"
#: How many pages (sessions, each with a training thread) may be open at once.
MAX_PAGES = 8
_STATIC = resources.files("nn.explore") / "static"
_TYPES = {"explorer.js": "text/javascript; charset=utf-8", "explorer.css": "text/css; charset=utf-8"}


def _static(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


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
            raise tornado.web.HTTPError(403, reason=f"the Host header must be {HOST}:{self.server.port}, got {host!r}")
        origin = self.request.headers.get("Origin")
        if origin is not None and origin not in origins:
            raise tornado.web.HTTPError(403, reason=f"requests from another origin are refused, got Origin {origin!r}")
        given = self.get_query_argument("token", None)
        header = self.request.headers.get("Authorization", "")
        if given is None and header.startswith("token "):
            given = header[len("token ") :]
        if given is None or not hmac.compare_digest(given.encode(), self.server.token.encode()):
            what = "no token" if given is None else "a wrong token"
            raise tornado.web.HTTPError(403, reason=f"{what}: open the URL printed by python -m nn explore")
        if self.request.method != "GET":
            raise tornado.web.HTTPError(405, reason=f"{self.request.method} is not allowed: the explorer answers GET only")

    def config(self) -> Config:
        """The page's configuration from its query string (400 if it is not valid)."""
        try:
            return Config.from_query(self.request.query, ignore=("token",))
        except ValueError as e:
            raise tornado.web.HTTPError(400, reason=str(e)) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")


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
        raise tornado.web.HTTPError(404, reason=f"no such page: {self.request.path}")


class _Socket(tornado.websocket.WebSocketHandler, _Guarded):
    """One page's live connection: state out, commands in."""

    runner: Runner | None = None

    def prepare(self) -> None:
        _Guarded.prepare(self)
        self._config = self.config()
        if len(self.server.runners) >= MAX_PAGES:
            raise tornado.web.HTTPError(429, reason=f"too many explorer pages open ({MAX_PAGES}): close one")

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

        # The session is built on the runner's thread too: a large model takes a second.
        self.runner = Runner(
            lambda: Controller(config),
            lambda parts: send({"type": "state", "parts": parts}),
            lambda error: send({"type": "error", "message": error}),
        )
        self.server.runners.add(self.runner)
        self.server.sockets.add(self)
        self.runner.start()

    def _send(self, text: str) -> None:
        if self.ws_connection is None:
            return
        try:
            self.write_message(text)
        except tornado.websocket.WebSocketClosedError:
            pass

    def _error(self, message: str) -> None:
        self._send(json.dumps({"type": "error", "message": message}))

    def on_message(self, message: str | bytes) -> None:
        if self.runner is None:
            return
        try:
            command = json.loads(message)
        except ValueError as e:
            self._error(f"a message must be JSON text: {e}")
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


class ExplorerServer:
    """The explorer's web server on 127.0.0.1. ``await start()``, read :attr:`url`, ``await stop()``.

    ``port`` 0 (the default) takes a free port; ``token`` None makes a random one; ``config``
    is what :attr:`url` opens (each page can carry its own in its query string).
    """

    def __init__(self, port: int = 0, token: str | None = None, config: Config | None = None) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port expects an int in [0, 65535] (0: any free port), got {port!r}")
        self.token = token or secrets.token_urlsafe(24)
        self.config = config or Config()
        self.port = port
        self.runners: set[Runner] = set()
        self.sockets: set[_Socket] = set()
        #: The (address, port) pairs the server listens on, once started: 127.0.0.1 only.
        self.addresses: list[tuple[str, int]] = []
        self._http: tornado.httpserver.HTTPServer | None = None

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
            xsrf_cookies=False,
        )

    async def start(self) -> None:
        """Bind 127.0.0.1 (a free port when ``port`` is 0) and start serving."""
        sockets = tornado.netutil.bind_sockets(self.port, address=HOST)
        self.addresses = [s.getsockname()[:2] for s in sockets]
        self.port = self.addresses[0][1]
        self._http = tornado.httpserver.HTTPServer(self.application(), max_body_size=64 * 1024)
        self._http.add_sockets(sockets)

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


def serve(
    port: int = 0,
    config: Config | None = None,
    token: str | None = None,
    ready: Callable[[ExplorerServer], None] | None = None,
) -> None:
    """Run the explorer's server until Ctrl-C or SIGTERM; ``ready(server)`` runs once it listens."""

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
