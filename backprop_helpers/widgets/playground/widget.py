"""Training playground (lesson 08), in the spirit of TensorFlow Playground, drawn in the browser.

Pick a data set and its noise, the input features, the hidden layers, the activation, the learning
rate and the regularisation; press **play** and watch the network learn: the output over the plane
with the training and test points, every hidden neuron's output as a small heatmap, the links of the
network drawn as wide as their weights are large (blue negative, orange positive, the course's
palette), and the training and test loss per epoch. **step** trains one epoch, **reset** starts again
from the same initial weights. Everything in the picture can be touched: hover a link for its weight
and click it to change it, hover a neuron to see its map large, click an input to use it or not, add
or remove layers and neurons with + and -, click on the output to add a point of your own.

Who does what:

- **the kernel** (this module, with :mod:`.session` and :mod:`.model`) trains and, after every epoch,
  sends one *frame*: a small JSON header and binary arrays (:mod:`.frames`);
- **the browser** (``front.js``, an anywidget ES module shipped in the package: no build step, no
  CDN) draws it: canvas heatmaps sized by the device pixel ratio, the network as SVG and HTML, the
  loss chart with axes, every control as a labelled HTML element that works by keyboard.

Play is paced by the browser, one epoch per animation frame: after it has drawn a frame (in
``requestAnimationFrame``) it asks for epochs with a ``tick`` message, and only as many as keep the
kernel a few epochs ahead of the screen (enough to cover a message's round trip, which JupyterLab
makes long), so nothing piles up and nothing waits on a timer; each epoch comes as its own frame.
The settings are synchronised traits; the actions (step, reset, set a weight, restore a state,
export) are messages from the browser, handled by :meth:`Playground.receive`.

Beyond TensorFlow Playground: ``playground(functions=...)`` trains a network built from the
learner's own forward/backward functions (``learner_model.FunctionMLP``) and
``playground(model_factory=...)`` the learner's own model class; ``playground(X=..., y=...)``
trains on the learner's own points; ``view.export_json()`` (and the export button) gives the
trained weights as JSON, which ``mlp_from_json`` turns back into an ``MLP``; ``view.state`` is the
whole state as one line of text, which ``view.restore(text)`` (or the restore button) reads back.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets as t

from ...plots import palette
from ...validation import describe
from .frames import pack_frame
from .model import (DATASET_LABELS, DATASETS, FEATURE_LABELS, FEATURES, LEARNING_RATES, MAX_LAYERS,
                    MAX_NEURONS, MAX_POINTS, PLAYGROUND_ACTIVATIONS, REG_RATES, PlaygroundSettings,
                    check_settings)
from .session import PlaygroundSession, start_session
from .state import decode_state, encode_state
from .weights import mlp_from_json

__all__ = ["Playground", "playground", "mlp_from_json", "DEFAULT_GRID_SIZE"]

HERE = Path(__file__).resolve().parent
#: cells per side of the output's heatmap (the neurons' small maps take every third: 35)
DEFAULT_GRID_SIZE = 105
#: the most ticks of play one message from the browser may ask for (it asks for a few at a time)
MAX_TICKS_PER_MESSAGE = 8
#: the settings traits, in the order the state lists them
_SETTING_TRAITS = ("dataset", "noise", "train_percent", "batch_size", "features", "hidden", "activation",
                   "lr", "regularization", "reg_rate", "seed", "points")


class Playground(anywidget.AnyWidget):
    """The playground: a widget whose front end draws in the browser (see the module docstring).

    Settings (synchronised traits; set them from Python or in the browser): ``dataset``, ``noise``,
    ``train_percent``, ``batch_size``, ``features`` (names of ``FEATURES``), ``hidden`` (neurons per
    hidden layer), ``activation``, ``lr``, ``regularization``, ``reg_rate``, ``seed``, ``points``
    (the drawn points, ``[x1, x2, label]`` each). View: ``playing``, ``show_test``, ``discretize``,
    ``point_class`` (the class a click on the output adds), ``model_choice`` ("yours" or
    "reference", when a model of yours was given), ``focus_node`` (the hidden neuron shown large,
    -1 for none). Read only: ``message`` (what went wrong, or what was done), ``state_text`` (the
    state string), ``export_text``; ``options`` (what the menus offer, the palette).

    Methods: :meth:`step`, :meth:`reset`, :meth:`tick` (one tick of play), :meth:`set_weight`,
    :meth:`restore`, :meth:`export_json`, :meth:`receive` (a message from the browser).
    Attributes: ``session`` (the :class:`PlaygroundSession` trained), ``frames_sent`` and
    ``last_frame`` (the latest frame's header and buffers).
    """

    _esm = HERE / "front.js"
    _css = HERE / "front.css"

    dataset = t.Unicode("circle").tag(sync=True)
    noise = t.Float(0.0).tag(sync=True)
    train_percent = t.Int(50).tag(sync=True)
    batch_size = t.Int(10).tag(sync=True)
    features = t.List(t.Unicode(), default_value=["x1", "x2"]).tag(sync=True)
    hidden = t.List(t.Int(), default_value=[4, 2]).tag(sync=True)
    activation = t.Unicode("tanh").tag(sync=True)
    lr = t.Float(0.03).tag(sync=True)
    regularization = t.Unicode("none").tag(sync=True)
    reg_rate = t.Float(0.0).tag(sync=True)
    seed = t.Int(0).tag(sync=True)
    points = t.List().tag(sync=True)

    playing = t.Bool(False).tag(sync=True)
    show_test = t.Bool(True).tag(sync=True)
    discretize = t.Bool(False).tag(sync=True)
    point_class = t.Int(1).tag(sync=True)
    model_choice = t.Unicode("reference").tag(sync=True)
    focus_node = t.Int(-1).tag(sync=True)

    message = t.Unicode("").tag(sync=True)
    message_level = t.Unicode("error").tag(sync=True)
    state_text = t.Unicode("").tag(sync=True)
    export_path = t.Unicode("playground_weights.json").tag(sync=True)
    export_text = t.Unicode("").tag(sync=True)
    options = t.Dict().tag(sync=True)

    def __init__(self, session: PlaygroundSession, *, epochs_per_tick: int = 1,
                 locked_activation: bool = False, first_message: str = "") -> None:
        s = session.settings
        super().__init__(**self._traits_of(s), model_choice="yours" if session.use_learner_model else "reference",
                         options=self._options(session, locked_activation, epochs_per_tick),
                         state_text=encode_state(s))
        self.session, self.epochs_per_tick = session, epochs_per_tick
        self.frames_sent, self.last_frame = 0, None
        self._layout_id, self._losses_sent, self._syncing = 1, 0, False
        self._tick_started, self._points_shown = 0.0, ()
        self.observe(self._on_setting, names=list(_SETTING_TRAITS))
        self.observe(self._on_model_choice, names="model_choice")
        self.observe(self._on_playing, names="playing")
        self.observe(self._on_focus, names="focus_node")
        self.on_msg(self._on_front_message)
        if first_message:
            self.show_message(first_message)

    def __repr__(self) -> str:
        s = self.session.settings
        return (f"Playground(dataset={s.dataset!r}, features={list(s.features)}, hidden={list(s.hidden)}, "
                f"activation={s.activation!r}, epoch={self.session.epoch})")

    # ------------------------------------------------------------------ settings <-> traits
    @staticmethod
    def _traits_of(s: PlaygroundSettings) -> dict:
        return dict(dataset=s.dataset, noise=float(s.noise), train_percent=round(100 * s.train_fraction),
                    batch_size=int(s.batch_size), features=list(s.features), hidden=list(s.hidden),
                    activation=s.activation, lr=float(s.lr), regularization=s.regularization,
                    reg_rate=float(s.reg_rate), seed=int(s.seed), points=[list(p) for p in s.points])

    @staticmethod
    def _options(session: PlaygroundSession, locked_activation: bool, epochs_per_tick: int) -> dict:
        s = session.settings
        names = [*DATASETS, "custom"] if session.custom is not None else list(DATASETS)
        tasks = {**DATASETS, "custom": session.custom.task if session.custom is not None else None}
        return {
            "datasets": [[k, DATASET_LABELS[k], tasks[k]] for k in names],
            "features": [[f, FEATURE_LABELS[f]] for f in FEATURES],
            "activations": list(PLAYGROUND_ACTIVATIONS),
            "learning_rates": sorted({*LEARNING_RATES, s.lr}),
            "reg_rates": sorted({*REG_RATES, s.reg_rate}),
            "regularizations": [["none", "none"], ["l1", "L1"], ["l2", "L2"]],
            "max_layers": MAX_LAYERS, "max_neurons": MAX_NEURONS, "max_points": MAX_POINTS,
            "max_batch": max(30, s.batch_size), "epochs_per_tick": epochs_per_tick,
            "has_learner_model": session.has_learner_model, "activation_locked": bool(locked_activation),
            "palette": {"negative": palette.NEGATIVE, "positive": palette.POSITIVE, "zero": palette.ZERO,
                        "lines": list(palette.LINE_COLORS), "text": palette.TEXT, "muted": palette.MUTED},
        }

    def current_settings(self) -> PlaygroundSettings:
        """The settings the traits ask for (not yet validated)."""
        return replace(self.session.settings, dataset=self.dataset, noise=float(self.noise),
                       train_fraction=self.train_percent / 100, batch_size=self.batch_size,
                       features=tuple(self.features), hidden=tuple(self.hidden), activation=self.activation,
                       lr=float(self.lr), regularization=self.regularization, reg_rate=float(self.reg_rate),
                       seed=self.seed, points=tuple(tuple(p) if isinstance(p, (list, tuple)) else p
                                                    for p in self.points))

    @property
    def state(self) -> str:
        """The whole state (settings, seed, drawn points) as one line of text (see :mod:`.state`)."""
        return encode_state(self.session.settings)

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str, *, level: str = "error") -> None:
        """Show ``text`` above the picture; ``level`` is "error" or "info"."""
        with self.hold_sync():
            self.message_level = level
            self.message = str(text)

    def clear_message(self) -> None:
        self.message = ""

    @property
    def message_text(self) -> str:
        """The message as a learner reads it, empty when there is none."""
        return self.message

    def _guarded(self, action: Callable[[], Any]) -> bool:
        """Run ``action``; on an error pause play and say what went wrong. True if it succeeded."""
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            was_playing = self.playing
            self.playing = False
            text = f"{type(exc).__name__}: {exc}"
            if self.session.use_learner_model and not str(exc).startswith("playground"):
                text += " (This came from your model: set 'model' to 'reference' to compare.)"
            self.show_message(text + (" Play is paused." if was_playing else ""))
            return False
        return True

    # ------------------------------------------------------------------ settings changed
    def _apply_controls(self) -> None:
        """Hand the traits' settings to the session; send what changed."""
        kind = self.session.apply(self.current_settings())
        self.clear_message()
        self.state_text = encode_state(self.session.settings)
        if kind in ("data", "network"):
            self._layout_id += 1
            self.focus_node = -1
            self.send_frame(full=True)
        elif kind == "live" and self.session.settings.points != self._points_shown:
            self.send_frame(full=True)                   # the drawn points are part of the layout

    def _on_setting(self, change: Any = None) -> None:
        if not self._syncing:
            self._guarded(self._apply_controls)

    def _on_model_choice(self, change: Any) -> None:
        if self._syncing:
            return
        if self._guarded(lambda: self.session.set_use_learner_model(change["new"] == "yours")):
            self.clear_message()
            self._layout_id += 1
            self.send_frame(full=True)
            return
        self._syncing = True                            # your model failed to build: show what runs
        self.model_choice = "yours" if self.session.use_learner_model else "reference"
        self._syncing = False

    def _on_playing(self, change: Any) -> None:
        if change["new"]:
            self._guarded(self._ready)

    def _on_focus(self, change: Any) -> None:
        if change["new"] >= 0:
            self.send_frame()

    # ------------------------------------------------------------------ training
    def _ready(self) -> bool:
        """Apply pending changes; False (with a message, play paused) when training cannot go on."""
        if self.session.settings != check_settings(self.current_settings()):
            self._apply_controls()
        if self.session.diverged:
            self.playing = False
            self.show_message(f"{self.session.stop_reason} Press reset to start again "
                              f"(the weights are now huge), after lowering the learning rate.")
            return False
        return True

    def step(self, epochs: int | None = None) -> None:
        """Train ``epochs`` epochs (default ``epochs_per_tick``) and send the new picture."""
        if not self._ready():
            return
        self.session.train(self.epochs_per_tick if epochs is None else epochs)
        if self.message and self.message_level == "error":
            self.clear_message()
        self.send_frame()
        self._ready()                                   # says so at once if this step diverged

    def tick(self) -> None:
        """One tick of play, as the browser asks for it: :meth:`step`, with errors shown."""
        self._guarded(self.step)

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights (and the current settings)."""
        if self.session.settings != check_settings(self.current_settings()):
            self._apply_controls()
        self.session.reset()
        self.clear_message()
        self.send_frame()

    def set_weight(self, layer: int, i: int, j: int, value: float) -> None:
        """Set one link's weight (see ``PlaygroundSession.set_weight``) and send the new picture."""
        self.session.set_weight(layer, i, j, value)
        self.send_frame()

    def restore(self, text: str) -> None:
        """Take the settings, seed and drawn points of a state string (see :mod:`.state`); the
        network starts again from its initial weights. Raises ValueError/TypeError for text that is
        not a valid state, and then changes nothing."""
        settings = check_settings(decode_state(text, self.session.settings), "playground state")
        kind = self.session.apply(settings)
        self.session.reset()
        self._syncing = True
        try:
            with self.hold_sync():
                for name, value in self._traits_of(self.session.settings).items():
                    setattr(self, name, value)
                self.state_text = encode_state(self.session.settings)
                self.playing = False
        finally:
            self._syncing = False
        if kind in ("data", "network"):
            self._layout_id += 1
        self.clear_message()
        self.send_frame(full=True)

    # ------------------------------------------------------------------ export
    def export_json(self) -> str:
        """The trained weights as JSON (``mlp_from_json`` reads them back)."""
        return self.session.export_json()

    def _export(self) -> None:
        text = self.export_json()
        self.export_text = text
        path = self.export_path.strip()
        if path:
            Path(path).write_text(text, encoding="utf-8")
            self.show_message(f"wrote the weights of epoch {self.session.epoch} to {Path(path).resolve()} "
                              f"({len(text):,} characters); they are also shown below.", level="info")

    # ------------------------------------------------------------------ to and from the browser
    def send_frame(self, *, full: bool = False) -> None:
        """Send the browser the current picture (a full frame also sends the layout and the data)."""
        session = self.session
        header, buffers = pack_frame(session, full=full, layout_id=self._layout_id,
                                     loss_start=self._losses_sent, focus=self.focus_node)
        if self._tick_started:                           # a tick's time in the kernel, for the bench
            header["kernel_ms"] = round(1000 * (time.perf_counter() - self._tick_started), 3)
            self._tick_started = 0.0
        self._losses_sent = len(session.train_losses)
        if full:
            self._points_shown = session.settings.points
        self.last_frame = (header, buffers)
        self.frames_sent += 1
        self.send(header, buffers)

    def receive(self, content: dict) -> None:
        """What a message from the browser does (``content["type"]``):

        ``hello`` (a view opened: a full frame), ``tick`` (ticks of play, each followed by its frame,
        while the epoch is below ``content["target"]``, the epoch the browser asks for, at most
        ``MAX_TICKS_PER_MESSAGE``: two views of one playground ask for the same epochs, so they do
        not train twice as fast), ``step``, ``reset``, ``set_weight`` (``layer``, ``i``, ``j``, ``value``),
        ``restore`` (``text``), ``export``, ``ping`` (answered at once by a ``pong`` holding
        ``content["sent"]``: the round trip without training, for the bench).

        A tick does not look at ``playing``: the browser sends ticks only while it plays, and the
        widget manager may deliver a custom message before a state update sent just before it.
        """
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            self.send_frame(full=True)
        elif kind == "tick":
            target = content.get("target")
            for _ in range(MAX_TICKS_PER_MESSAGE):
                if not (isinstance(target, int) and self.session.epoch < target):
                    break
                self._tick_started = time.perf_counter()
                epoch = self.session.epoch
                self.tick()
                if self.session.epoch == epoch:          # an error, a divergence: play paused
                    break
        elif kind == "step":
            self._guarded(self.step)
        elif kind == "reset":
            self._guarded(self.reset)
        elif kind == "set_weight":
            self._guarded(lambda: self.set_weight(content.get("layer"), content.get("i"), content.get("j"),
                                                  content.get("value")))
        elif kind == "restore":
            self._guarded(lambda: self.restore(content.get("text", "")))
        elif kind == "export":
            self._guarded(self._export)
        elif kind == "ping":                            # the transport's round trip, for the bench
            self.send({"type": "pong", "sent": content.get("sent")})

    def _on_front_message(self, widget: Any, content: Any, buffers: Any) -> None:
        self.receive(content)


def playground(dataset: str | None = None, *, X: Any = None, y: Any = None, task: str | None = None,
               noise: float = 0.0, train_fraction: float = 0.5, batch_size: int = 10,
               features: Any = ("x1", "x2"), hidden: Any = (4, 2), activation: str = "tanh",
               lr: float = 0.03, regularization: str = "none", reg_rate: float = 0.0,
               model_factory: Callable | None = None, functions: dict | None = None, seed: int = 0,
               n_points: int = 500, epochs_per_tick: int = 1, grid_size: int = DEFAULT_GRID_SIZE) -> Playground:
    """A training playground: end a notebook cell with it to show it.

    Args:
        dataset: "circle", "xor", "gauss", "spiral", "plane" or "gaussian_regression" (default
            "circle", or "custom" when ``X`` and ``y`` are given).
        X, y: your own points of the plane, ``X`` (N, 2), ``y`` class labels 0/1 (N,) or values
            (regression); ``task`` forces "classification" or "regression".
        noise, train_fraction, batch_size, features, hidden, activation, lr, regularization,
            reg_rate, seed, n_points: the starting settings (see ``PlaygroundSettings``).
        functions: your network functions, role -> function (``linear_forward``,
            ``linear_backward``, ``activation_forward``, ``activation_backward``, ``loss_fn``, as
            for ``FunctionMLP``); with activation functions the activation menu is locked to
            ``activation``. model_factory: your model class or function, called like ``MLP``.
        epochs_per_tick: epochs trained per tick of play and per step.
        grid_size: cells per side of the output's heatmap (the neurons' maps take every third).
    """
    fn = "playground"
    custom = None
    if (X is None) != (y is None):
        raise ValueError(f"{fn}: pass both X and y (your data), or neither")
    if X is not None:
        from ...data.prep import from_arrays
        try:
            custom = from_arrays(X, y, task, name="your data")
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{fn}: {exc}") from None
        if custom.X.shape[1] != 2:
            raise ValueError(f"{fn}: X must hold points of the plane, shape (N, 2), "
                             f"got shape {custom.X.shape}")
    dataset = dataset if dataset is not None else ("custom" if custom is not None else "circle")
    if functions is not None and model_factory is not None:
        raise ValueError(f"{fn}: pass functions or model_factory, not both")
    if model_factory is not None and not callable(model_factory):
        raise TypeError(f"{fn}: model_factory must be a class or function called like MLP, "
                        f"got {describe(model_factory)}")
    if functions is not None:
        from ...learner_model import ROLES
        if not isinstance(functions, dict):
            raise TypeError(f"{fn}: functions must be a dict role -> function, got {describe(functions)}")
        unknown = [k for k in functions if k not in ROLES]
        if unknown:
            raise ValueError(f"{fn}: functions has an unknown role {unknown[0]!r}; "
                             f"the roles are {list(ROLES)}")
        functions = {k: v for k, v in functions.items() if v is not None}
    for name, value, least, most in (("epochs_per_tick", epochs_per_tick, 1, 100),
                                     ("grid_size", grid_size, 8, 200)):
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise ValueError(f"{fn}: {name} must be an integer from {least} to {most}, "
                             f"got {describe(value)}")
    settings = check_settings(PlaygroundSettings(
        dataset=dataset, noise=noise, train_fraction=train_fraction, batch_size=batch_size,
        features=tuple(features) if isinstance(features, (list, tuple)) else features,
        hidden=tuple(hidden) if isinstance(hidden, (list, tuple)) else hidden, activation=activation, lr=lr,
        regularization=regularization, reg_rate=reg_rate, n_points=n_points, seed=seed), fn)
    if dataset == "custom" and custom is None:
        raise ValueError(f"{fn}: dataset 'custom' needs your data: pass X and y")
    session, message = start_session(settings, custom=custom, model_factory=model_factory,
                                     functions=functions, grid_size=grid_size)
    locked = functions is not None and any(k.startswith("activation") for k in functions)
    return Playground(session, epochs_per_tick=epochs_per_tick, locked_activation=locked,
                      first_message=message)
