"""The thread that owns one page's explorer: it carries out the page's commands, trains, and
sends the page what changed.

Both hosts, the Jupyter widget and the local server, run a :class:`Runner`. The host's own
thread (the server's event loop, the kernel) only *queues* messages (:meth:`Runner.submit`) and
never waits for training: the controller and its session are touched by the runner's thread
alone, so nothing needs a lock and a request is never stuck behind a training step. A refused
message comes back through ``report``; the changed state parts through ``publish``. Both are
called on the runner's thread.

Pacing and bounds:

* while playing, the thread trains ``speed`` steps, then builds and publishes a frame and
  waits out the rest of the frame interval (a tenth of a second), so the page gets about ten
  pictures a second however fast the steps are;
* a ``step`` command's steps (up to 1,000) run in slices of about one frame's time, with a
  picture between slices, and Pause cancels the rest;
* a queued command ends the frame after the step under way; Pause, Reset, a new setting, a
  dragged weight and :meth:`Runner.close` abandon even that step (its half-summed gradients are
  put back as they were, see :meth:`nn.explore.session.Session.train`), so they take effect
  within one frame;
* at most :data:`MAX_QUEUED` messages wait; more are refused.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from .controller import CommandError, Controller

__all__ = ["Runner", "Turns", "TURNS", "FRAME_INTERVAL", "MAX_QUEUED", "INTERRUPTING"]

#: Seconds between two frames while playing.
FRAME_INTERVAL = 0.1
#: Most messages that may wait for the runner's thread; a page that sends faster is refused.
MAX_QUEUED = 64
#: Commands that stop or change the training: they abandon the step under way.
INTERRUPTING = frozenset({"pause", "reset", "set", "weight"})

Publish = Callable[[dict[str, dict[str, Any]]], None]
Report = Callable[[str], None]


class Turns:
    """Lets the runners' threads work one at a time, in the order they asked, like a queue at a counter.

    Pure-Python training holds the GIL, so two runners never truly run at once anyway; but each
    thread that wants the GIL is one more the server's event loop must wait behind. With eight
    pages training, a request waited seconds; taking turns, the loop competes with one thread
    only, and every page still gets its frames in turn.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._line: deque[object] = deque()

    def take(self, cancelled: Callable[[], bool]) -> bool:
        """Wait for this thread's turn; False (and no turn) if ``cancelled()`` becomes true first."""
        me = object()
        with self._changed:
            self._line.append(me)
            while self._line[0] is not me:
                if cancelled():
                    self._line.remove(me)
                    self._changed.notify_all()
                    return False
                self._changed.wait(0.05)
        return True

    def give_back(self) -> None:
        """End this thread's turn: the next in line goes."""
        with self._changed:
            self._line.popleft()
            self._changed.notify_all()


#: The turns every runner of this process takes.
TURNS = Turns()


class _Ticket:
    """A message sent from Python that waits for its outcome (see :meth:`Runner.command`)."""

    def __init__(self, message: Any) -> None:
        self.message = message
        self.done = threading.Event()
        self.error: CommandError | None = None
        self.steps = False  # a step command: done once its steps have run


class Runner:
    """Runs a :class:`~nn.explore.controller.Controller` on its own daemon thread.

    ``controller`` is the controller, or a function that builds it on the thread (the server's
    pages: building a large model's session takes a second, which the event loop must not wait).
    ``publish(parts)`` receives each batch of changed state parts, ``report(text)`` each refusal
    of a submitted message. ``ready()``, if given, says whether the host can take more state: while
    it says no (a page that does not read what it is sent), nothing is built or published, the
    changes wait, and the host calls :meth:`wake` once it is ready again; so nothing piles up. :meth:`close` asks the thread to stop; :meth:`join` waits for it.
    The thread is a daemon, so it never keeps Python from exiting.
    """

    def __init__(
        self,
        controller: Controller | Callable[[], Controller],
        publish: Publish,
        report: Report | None = None,
        interval: float = FRAME_INTERVAL,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self._controller = controller if isinstance(controller, Controller) else None
        self._build = None if isinstance(controller, Controller) else controller
        self._publish = publish
        self._report = report
        self._ready = ready
        self._interval = interval
        self._queue: deque[tuple[Any, _Ticket | None]] = deque()
        self._queue_lock = threading.Lock()
        self._urgent = False
        self._waiting: list[_Ticket] = []
        self._wake = threading.Event()
        self._closed = False
        self._sent: dict[str, int] = {}
        self._build_time = 0.0
        self._next_frame = 0.0
        self._thread = threading.Thread(target=self._run, name="valuegrad-explorer", daemon=True)

    @property
    def controller(self) -> Controller:
        """The controller (RuntimeError while the thread is still building it)."""
        if self._controller is None:
            raise RuntimeError("the explorer's session is still being built")
        return self._controller

    def start(self, publish_first: bool = False) -> None:
        """Start the thread: it builds the controller if need be, publishes the whole state, then serves.

        ``publish_first`` publishes the whole state on the caller's thread before the thread starts
        (the widget: its traits hold the state before the notebook shows it). It needs a built controller.
        """
        if publish_first:
            self._publish_changes()
        self._thread.start()

    def submit(self, message: Any) -> None:
        """Queue one message from the page, without waiting. The thread carries it out and reports a
        refusal through ``report``. CommandError now if :data:`MAX_QUEUED` messages already wait."""
        self._enqueue(message, None)

    def command(self, message: Any, timeout: float | None = None) -> None:
        """Carry out one message from Python and wait for it: CommandError if it is refused.

        A ``step`` command returns once its steps have run (or were cancelled by a Pause). Call it
        from another thread than the runner's; ``timeout`` (seconds) bounds the wait (TimeoutError).
        """
        ticket = _Ticket(message)
        self._enqueue(message, ticket)
        if not ticket.done.wait(timeout):
            raise TimeoutError(f"the explorer did not carry out {message!r} within {timeout} s")
        if ticket.error is not None:
            raise ticket.error

    def _enqueue(self, message: Any, ticket: _Ticket | None) -> None:
        if self._closed:
            raise CommandError("the explorer is closed")
        with self._queue_lock:
            if len(self._queue) >= MAX_QUEUED:
                raise CommandError(f"too many commands are waiting ({MAX_QUEUED}): wait for the explorer to catch up")
            self._queue.append((message, ticket))
            if isinstance(message, dict) and message.get("type") in INTERRUPTING:
                self._urgent = True
        self._wake.set()

    def close(self) -> None:
        """Ask the thread to stop, at once: training stops within a step. Does not wait (see :meth:`join`)."""
        self._closed = True
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (at most ``timeout`` seconds); return whether it has stopped."""
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def alive(self) -> bool:
        """Whether the thread is still running."""
        return self._thread.is_alive()

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        if TURNS.take(lambda: self._closed):
            try:
                if self._controller is None and self._build is not None:
                    self._controller = self._build()
                self._publish_changes()
            except Exception as e:  # a bug: say it, and stop
                traceback.print_exc(file=sys.stderr)
                if self._report is not None:
                    self._report(f"internal error: the explorer could not start: {type(e).__name__}: {e}")
                self._closed = True
            finally:
                TURNS.give_back()
        try:
            if not self._closed:
                self._loop(self.controller)
        finally:
            self._closed = True
            self._release(everything=True)

    def _interrupted(self) -> bool:
        return self._closed or self._urgent

    def _enough(self, controller: Controller, until: float) -> Callable[[], bool]:
        """When a frame's training ends, after a step: a message waits, or a step command's slice is over."""

        def enough() -> bool:
            return bool(self._queue) or self._closed or (not controller.playing and time.monotonic() >= until)

        return enough

    def _loop(self, controller: Controller) -> None:
        self._next_frame = time.monotonic()
        failures = 0
        while not self._closed:
            if not TURNS.take(lambda: self._closed):
                return
            try:
                self._frame(controller)
                failures = 0
            except Exception as e:  # a bug must not kill the thread silently: say it, and pause
                traceback.print_exc(file=sys.stderr)
                failures += 1
                controller.fail(f"internal error: {type(e).__name__}: {e}")
                self._release()
            finally:
                TURNS.give_back()
            if failures > 1:  # the error was published, or cannot be: never loop on it
                self._wait(None)
            elif not (self._queue or self._closed or failures):
                self._wait(max(0.0, self._next_frame - time.monotonic()) if controller.busy else None)

    def _frame(self, controller: Controller) -> None:
        """One turn: carry out the waiting messages, train a frame's steps if it is time, publish."""
        self._handle_queue(controller)
        if controller.busy and time.monotonic() >= self._next_frame and not self._closed:
            start = time.monotonic()
            self._next_frame = start + self._interval
            # a step command's slice lasts at least as long as the last picture took to build,
            # so that pictures never take more than half the time
            until = start + max(self._interval, self._build_time)
            controller.advance(self._interrupted, self._enough(controller, until))
        started = time.monotonic()
        self._publish_changes()
        self._build_time = time.monotonic() - started
        self._release()

    def _wait(self, timeout: float | None) -> None:
        self._wake.wait(timeout)
        self._wake.clear()

    def _handle_queue(self, controller: Controller) -> None:
        while True:
            with self._queue_lock:
                if not self._queue:
                    self._urgent = False
                    return
                message, ticket = self._queue.popleft()
            try:
                controller.handle(message)
            except CommandError as e:
                if ticket is None:
                    if self._report is not None:
                        self._report(str(e))
                else:
                    ticket.error = e
                    ticket.done.set()
                continue
            if ticket is not None:
                ticket.steps = isinstance(message, dict) and message.get("type") == "step"
                self._waiting.append(ticket)

    def wake(self) -> None:
        """Tell the thread to look again (the host is ready for more state, see ``ready``)."""
        self._wake.set()

    def _publish_changes(self) -> None:
        if self._ready is not None and not self._ready():
            return  # the page has not taken the last state yet: what changed waits, and is sent whole later
        parts = self.controller.parts(self._sent)
        if parts:
            self._publish(parts)

    def _release(self, everything: bool = False) -> None:
        """Tell the Python callers whose commands are done (a step: once no steps are left)."""
        idle = everything or self._controller is None or not self._controller.pending
        keep = []
        for ticket in self._waiting:
            if ticket.steps and not idle:
                keep.append(ticket)
            else:
                ticket.done.set()
        self._waiting = keep
        if everything:
            with self._queue_lock:
                for _, queued in self._queue:
                    if queued is not None:
                        queued.error = CommandError("the explorer is closed")
                        queued.done.set()
                self._queue.clear()
