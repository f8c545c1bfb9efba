"""A background thread that trains while playing and sends the page what changed.

Both hosts, the Jupyter widget and the local server, run a :class:`Runner`: they pass the
page's messages to :meth:`Runner.command` and give it a ``publish`` function that carries the
changed state parts to the page. Everything that touches the controller happens under one
lock, so a command never lands in the middle of a training step.

Pacing: while playing, the thread trains ``speed`` steps, then builds and publishes a frame,
and waits out the rest of the frame interval (a tenth of a second), so the page gets about
ten pictures a second however fast the steps are. A command wakes it at once.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from .controller import Controller

__all__ = ["Runner", "FRAME_INTERVAL"]

#: Seconds between two frames while playing.
FRAME_INTERVAL = 0.1

Publish = Callable[[dict[str, dict[str, Any]]], None]


class Runner:
    """Runs ``controller`` on a daemon thread; ``publish(parts)`` receives each batch of changed parts.

    ``publish`` is called on the runner's thread. :meth:`close` stops the thread (it is also a
    daemon, so it never keeps Python from exiting).
    """

    def __init__(self, controller: Controller, publish: Publish, interval: float = FRAME_INTERVAL) -> None:
        self.controller = controller
        self._publish = publish
        self._interval = interval
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._sent: dict[str, int] = {}
        self._thread = threading.Thread(target=self._loop, name="valuegrad-explorer", daemon=True)

    def start(self) -> None:
        """Publish the whole state once, on the caller's thread, then start the thread."""
        self.publish_now()
        self._thread.start()

    def publish_now(self) -> None:
        """Build and publish whatever changed, on the caller's thread."""
        with self._lock:
            parts = self.controller.parts(self._sent)
        if parts:
            self._publish(parts)

    def resend(self) -> dict[str, dict[str, Any]]:
        """Every part, built now (for a page that connects late), without changing what was sent."""
        with self._lock:
            return self.controller.parts({})

    def command(self, message: Any) -> None:
        """Carry out one message from the page (CommandError if refused); the thread publishes the result."""
        with self._lock:
            self.controller.handle(message)
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it (at most ``timeout`` seconds)."""
        self._closed = True
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    def _loop(self) -> None:
        next_frame = time.monotonic()
        failures = 0
        while not self._closed:
            if self.controller.playing:
                self._wake.wait(max(0.0, next_frame - time.monotonic()))
            else:
                self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                with self._lock:
                    if self.controller.playing and time.monotonic() >= next_frame:
                        next_frame = time.monotonic() + self._interval
                        self.controller.advance()
                    parts = self.controller.parts(self._sent)
                if parts:
                    self._publish(parts)
                failures = 0
            except Exception as e:  # a bug must not kill the thread silently: say it, and pause
                traceback.print_exc(file=sys.stderr)
                failures += 1
                with self._lock:
                    self.controller.playing = False
                    self.controller.error = f"internal error: {type(e).__name__}: {e}"
                    self.controller.revision["frame"] += 1
                if failures == 1:  # go round once more to publish the error, but never loop on it
                    self._wake.set()
