"""The explorer as a Jupyter widget (anywidget): JupyterLab, Notebook 7 and VS Code::

    from nn.explore import Explorer
    Explorer()                                                        # the defaults: moons, MLP(2, [8, 8, 1])
    Explorer({"dataset": "xor", "hidden": [4], "lock": ["dataset", "hidden"]})   # a fixed exercise

The page is the same JavaScript module as the standalone explorer's (``static/explorer.js``),
which anywidget loads into the notebook. The state reaches it through three synced traits,
``setup``, ``frame`` and ``inspect`` (see :mod:`nn.explore.controller`), and its commands come
back as custom messages, checked against the same whitelist as the server's. Training runs on
a background thread of the kernel, so the notebook stays usable while it plays; from Python,
``explorer.play()``, ``pause()``, ``step()`` and ``reset()`` do what the buttons do, and
``explorer.session`` is the live :class:`~nn.explore.session.Session` (its ``model``, say).
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets

from .config import Config
from .controller import CommandError, Controller
from .runner import Runner
from .session import Session

__all__ = ["Explorer", "make_config"]

_STATIC = pathlib.Path(__file__).parent / "static"


def make_config(config: Config | Mapping[str, Any] | str | None, settings: Mapping[str, Any]) -> Config:
    """A :class:`Config` from a Config, a dict or JSON text, with ``settings`` (keyword arguments) on top.

    >>> make_config('{"dataset": "xor"}', {"hidden": [4]}).hidden
    (4,)
    """
    if isinstance(config, Config):
        base = config.to_json()
    elif isinstance(config, str):
        base = Config.from_json(config).to_json()
    elif config is None:
        base = {}
    elif isinstance(config, Mapping):
        base = dict(config)
    else:
        raise ValueError(f"config expects a dict, JSON text or a Config, got {type(config).__name__}")
    return Config.from_mapping({**base, **settings})


class Explorer(anywidget.AnyWidget):
    """The live training explorer in a notebook: ``Explorer(config=None, **settings)``.

    ``config`` is a dict (or JSON text) of settings, as a teacher hands them out, and keyword
    arguments add to it: ``Explorer(dataset="spirals", hidden=[16, 16])``. A bad setting raises
    ValueError naming the key, the value and what it wants.
    """

    _esm = _STATIC / "explorer.js"
    _css = _STATIC / "explorer.css"
    setup = traitlets.Dict().tag(sync=True)
    frame = traitlets.Dict().tag(sync=True)
    inspect = traitlets.Dict().tag(sync=True)

    def __init__(self, config: Config | Mapping[str, Any] | str | None = None, **settings: Any) -> None:
        checked = make_config(config, settings)
        super().__init__()
        self._runner = Runner(Controller(checked), self._publish, self._report)
        self.on_msg(self._on_message)
        self._runner.start(publish_first=True)

    @property
    def session(self) -> Session:
        """The training session: its ``model``, ``optimizer``, points and history."""
        return self._runner.controller.session

    @property
    def config(self) -> Config:
        """The configuration as it is now (the page may have changed unlocked settings)."""
        return self._runner.controller.config

    def _publish(self, parts: dict[str, dict[str, Any]]) -> None:
        with self.hold_sync():
            for name, value in parts.items():
                setattr(self, name, value)

    def _report(self, message: str) -> None:
        self.send({"type": "error", "message": message})

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        # queued for the training thread: the kernel never waits for a training step
        try:
            self._runner.submit(content)
        except CommandError as e:
            self._report(str(e))

    def command(self, message: dict[str, Any]) -> None:
        """Send one command as the page would (see :mod:`nn.explore.controller`) and wait until it is
        carried out (a ``step``: until its steps have run); CommandError if refused."""
        self._runner.command(message)

    def play(self) -> None:
        """Start training, as the Play button does."""
        self.command({"type": "play"})

    def pause(self) -> None:
        """Stop training after the current frame."""
        self.command({"type": "pause"})

    def step(self, count: int = 1) -> None:
        """Run ``count`` training steps now (and pause); returns once they have run."""
        self.command({"type": "step", "count": count})

    def reset(self) -> None:
        """Back to step 0 and the initial weights."""
        self.command({"type": "reset"})

    def close(self) -> None:
        """Stop the training thread and close the widget."""
        runner = getattr(self, "_runner", None)  # None when __init__ failed: ipywidgets' __del__ calls close
        if runner is not None:
            runner.close()
            runner.join(5.0)
        super().close()
