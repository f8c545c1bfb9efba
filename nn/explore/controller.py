"""The explorer's commands, and the state the page draws, in three parts.

The page never runs anything in Python. It sends small JSON messages from a fixed list, each
checked field by field before anything happens, and gets back JSON state. This module is
that contract; the Jupyter widget and the local server only carry it.

Commands (``type`` and its fields; anything else is refused with a :class:`CommandError`)::

    {"type": "play"}   {"type": "pause"}   {"type": "reset"}   {"type": "step", "count": 1}
    {"type": "set", "key": "lr", "value": 0.1}           change a setting (see nn.explore.config)
    {"type": "weight", "name": "layers.0.neurons.3.w.1", "value": 0.5}   set a weight by hand
    {"type": "focus", "neuron": [0, 3]}                  show a neuron's map (null: the boundary)
    {"type": "point", "split": "train", "index": 7, "scope": "top"}   open a point's graph (split null:
                                    close); scope "top" (the output layer), "all", "player" (the backprop
                                    player on its graph), or [layer, neuron]
    {"type": "param", "name": "layers.0.neurons.3.b"}    follow a parameter (null: none)

A locked or hidden control's commands are refused, so a teacher's fixed exercise holds
whatever a page sends. The state comes in three parts, each with a revision number that grows
when it changes, so a host sends only what changed: ``setup`` (the configuration, the points,
the architecture), ``frame`` (everything that moves while training) and ``inspect`` (the
clicked point's graph, which is slow to draw and so redrawn only when training is paused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import ACTIONS, SETTINGS, Config, schema
from .pointgraph import Scope, point_graph
from .safejson import check_depth, shown
from .session import Diverged, Session
from .views import GridView, encode_boundary, encode_map, thumbnails

__all__ = ["Controller", "CommandError", "COMMANDS", "PARTS", "json_safe"]

PARTS = ("setup", "frame", "inspect")
_SETTABLE = {s.key for s in SETTINGS if s.control}
#: Most steps one "step" command may ask for.
MAX_STEPS = 1000


class CommandError(ValueError):
    """A message that is not one of the explorer's commands, or that the configuration forbids."""


def json_safe(x: Any) -> Any:
    """``x`` with every nan or infinite float replaced by None: JSON has no such numbers.

    >>> json_safe({"loss": float("nan"), "w": [1.0, float("inf")]})
    {'loss': None, 'w': [1.0, None]}
    """
    if isinstance(x, float):
        return x if x - x == 0.0 else None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    return x


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _field(message: dict[str, Any], name: str, check: Callable[[Any], bool], wanted: str) -> Any:
    if name not in message:
        raise CommandError(f"{message['type']!r} message needs the field {name!r} ({wanted})")
    value = message[name]
    if not check(value):
        raise CommandError(f"{message['type']!r} message: {name!r} expects {wanted}, got {shown(value)}")
    return value


#: Every command, with its fields: the whitelist.
COMMANDS: dict[str, tuple[str, ...]] = {
    "play": (),
    "pause": (),
    "reset": (),
    "step": ("count",),
    "set": ("key", "value"),
    "weight": ("name", "value"),
    "focus": ("neuron",),
    "point": ("split", "index", "scope"),
    "param": ("name",),
}


class Controller:
    """One page's explorer: a :class:`~nn.explore.session.Session`, what is selected, and whether
    it is playing. :meth:`handle` takes a command, :meth:`advance` trains while playing, and
    :meth:`parts` builds the state parts that changed since a host last sent them.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.session = Session(config)
        self.grid = GridView(self.session, config.grid)
        self.playing = False
        #: Steps that ``step`` commands asked for and that have not run yet (see :meth:`advance`).
        self.pending = 0
        self.error: str | None = None
        self.focus: tuple[int, int] | None = None
        self.point: tuple[str, int, Scope] | None = None
        self.param: str | None = None
        self.revision = dict.fromkeys(PARTS, 1)
        self._inspected: tuple[tuple[str, int, Scope], int] | None = None

    # --- commands -----------------------------------------------------------------------------

    def handle(self, message: Any) -> None:
        """Check ``message`` against the whitelist and carry it out; CommandError if it is refused."""
        if not isinstance(message, dict):
            raise CommandError(f"a message expects a JSON object with a 'type', got {type(message).__name__}")
        try:
            check_depth(message, "message")
        except ValueError as e:
            raise CommandError(str(e)) from None
        kind = message.get("type")
        if not isinstance(kind, str) or kind not in COMMANDS:
            raise CommandError(f"message 'type' expects one of {', '.join(map(repr, COMMANDS))}, got {shown(kind)}")
        extra = sorted(map(shown, set(message) - {"type", *COMMANDS[kind]}))
        if extra:
            raise CommandError(f"{kind!r} message has unknown fields [{', '.join(extra)}]; "
                               f"it takes {list(COMMANDS[kind]) or 'none'}")
        getattr(self, f"_on_{kind}")(message)
        self.revision["frame"] += 1

    def _allowed(self, control: str) -> None:
        for kind, names in (("locked", self.config.lock), ("hidden", self.config.hide)):
            if control in names:
                raise CommandError(f"{control!r} is {kind} by the configuration")

    def _on_play(self, message: dict[str, Any]) -> None:
        self._allowed("play")
        self.playing, self.error, self.pending = True, None, 0

    def _on_pause(self, message: dict[str, Any]) -> None:
        self._allowed("play")
        self.playing, self.pending = False, 0

    def _on_reset(self, message: dict[str, Any]) -> None:
        self._allowed("reset")
        self.session.reset()
        self.error = None
        self._rebuilt()

    def _on_step(self, message: dict[str, Any]) -> None:
        self._allowed("step")
        count = 1
        if "count" in message:
            count = _field(message, "count", lambda c: _is_int(c) and 1 <= c <= MAX_STEPS, f"an int in [1, {MAX_STEPS}]")
        self.playing = False
        self.pending = min(self.pending + count, MAX_STEPS)

    def _on_set(self, message: dict[str, Any]) -> None:
        key = _field(message, "key", lambda k: isinstance(k, str) and k in _SETTABLE,
                     "one of " + ", ".join(map(repr, sorted(_SETTABLE))))
        self._allowed(key)
        try:
            config = self.config.replace(key, message.get("value"))
        except ValueError as e:
            raise CommandError(str(e)) from None
        model, data = self.session.model, self.session.train_x
        self.config = config
        self.session.apply(config)
        if self.session.model is not model or self.session.train_x is not data:
            self._rebuilt()
        self.revision["setup"] += 1

    def _on_weight(self, message: dict[str, Any]) -> None:
        self._allowed("weights")
        name = _field(message, "name", lambda n: isinstance(n, str), "a parameter name such as 'layers.0.neurons.0.w.0'")
        value = _field(message, "value", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number")
        try:
            self.session.set_weight(name, value)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.playing = False

    def _is_neuron(self, n: Any) -> bool:
        sizes = self.session.model.nouts
        return (isinstance(n, list) and len(n) == 2 and all(map(_is_int, n))
                and 0 <= n[0] < len(sizes) and 0 <= n[1] < sizes[n[0]])

    def _neuron_wanted(self) -> str:
        return f"[layer, neuron] with layer in [0, {len(self.session.model.nouts) - 1}] and neuron below its width"

    def _on_focus(self, message: dict[str, Any]) -> None:
        neuron = _field(message, "neuron", lambda n: n is None or self._is_neuron(n), "null or " + self._neuron_wanted())
        self.focus = None if neuron is None else (neuron[0], neuron[1])

    def _on_point(self, message: dict[str, Any]) -> None:
        split = _field(message, "split", lambda s: s in (None, "train", "test"), "'train', 'test' or null")
        if split is None:
            self.point = None
        else:
            count = len(self.session.train_x if split == "train" else self.session.test_x)
            index = _field(message, "index", lambda i: _is_int(i) and 0 <= i < count, f"an int in [0, {count - 1}]")
            scope: Scope = "top"
            if "scope" in message:
                given = _field(message, "scope", lambda s: s in ("top", "all", "player") or self._is_neuron(s),
                               "'top', 'all' or " + self._neuron_wanted())
                scope = (given[0], given[1]) if isinstance(given, list) else given
            self.point = (split, index, scope)
        self.revision["inspect"] += 1

    def _on_param(self, message: dict[str, Any]) -> None:
        names = self.session.names
        name = _field(message, "name", lambda n: n is None or n in names, f"null or a parameter name such as {names[0]!r}")
        self.param = name

    def _rebuilt(self) -> None:
        """The model (or the data) is new: a new grid, and selections that may no longer exist."""
        session = self.session
        if self.grid.model is not session.model or self.grid.size != self.config.grid:
            self.grid = GridView(session, self.config.grid)
        self.focus = None
        self.point = None
        self.pending = 0
        if self.param not in session.names:
            self.param = None
        for part in PARTS:
            self.revision[part] += 1

    # --- training -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether there is training to do: playing, or steps pending."""
        return self.playing or self.pending > 0

    def advance(self, stop: Callable[[], bool] | None = None, enough: Callable[[], bool] | None = None) -> int:
        """Train one frame's steps: ``speed`` of them while playing, else the pending steps until
        ``enough()`` says so after a step. ``stop()`` abandons the step under way (see
        :meth:`~nn.explore.session.Session.train`). Return how many steps ran."""
        if not self.busy:
            return 0
        steps = self.config.speed if self.playing else self.pending
        try:
            done = self.session.train(steps, stop=stop, enough=enough)
        except Diverged as e:
            self.playing, self.pending, done = False, 0, 0
            self.error = str(e)
        if not self.playing:
            self.pending = max(0, self.pending - done)
        self.revision["frame"] += 1
        return done

    def fail(self, message: str) -> None:
        """Stop training and show ``message`` (an internal error the runner caught)."""
        self.playing, self.pending = False, 0
        self.error = message
        self.revision["frame"] += 1

    # --- the state ----------------------------------------------------------------------------

    def parts(self, sent: dict[str, int]) -> dict[str, dict[str, Any]]:
        """The parts whose revision is newer than ``sent[part]`` (which is updated), built now."""
        out: dict[str, dict[str, Any]] = {}
        if self.point is not None and not self.playing:
            current = (self.point, self.session.version)
            if current != self._inspected:
                self.revision["inspect"] += 1
        for part in PARTS:
            if self.revision[part] > sent.get(part, 0):
                out[part] = getattr(self, f"_{part}")()
                sent[part] = self.revision[part]
        return out

    def _setup(self) -> dict[str, Any]:
        s, c = self.session, self.config
        return {
            "config": c.to_json(),
            "query": c.to_query(),
            "schema": schema(),
            "actions": list(ACTIONS),
            "locked": list(c.lock),
            "hidden": list(c.hide),
            "classes": s.classes,
            "domain": list(s.domain),
            "train": {"x": s.train_x, "y": s.train_y},
            "test": {"x": s.test_x, "y": s.test_y},
            "sizes": [2, *s.model.nouts],
            "activation": c.activation,
            "model": str(s.model),
            "names": s.names,
        }

    def _frame(self) -> dict[str, Any]:
        s = self.session
        maps = self.grid.layers()
        size = self.grid.size
        focus = None
        if self.focus is not None:
            layer, j = self.focus
            focus = {"neuron": [layer, j], **encode_map(maps[layer][j], size)}
        return {
            "step": s.step,
            "epoch": s.epoch,
            "playing": self.playing,
            "error": self.error,
            "metrics": json_safe(s.evaluate()),
            "curves": s.curves.to_json(),
            "boundary": {"size": size, "classes": s.classes, "pixels": encode_boundary(maps[-1])},
            "neurons": thumbnails(maps, size),
            "focus": focus,
            # weights[l][j] = [w_j0, w_j1, ..., b_j]: neuron j of layer l, as the diagram draws it
            "weights": json_safe([[[*(w.data for w in n.w), n.b.data] for n in layer.neurons] for layer in s.model.layers]),
            "param": None if self.param is None else json_safe(s.parameter(self.param)),
        }

    def _inspect(self) -> dict[str, Any]:
        if self.point is None:
            self._inspected = None
            return {"point": None}
        self._inspected = (self.point, self.session.version)
        return {"point": json_safe(point_graph(self.session, *self.point))}
