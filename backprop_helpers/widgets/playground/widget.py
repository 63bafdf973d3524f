"""Training playground (lesson 08), in the spirit of TensorFlow Playground, inside JupyterLab.

Pick a data set and its noise, the input features, the hidden layers, the activation, the learning
rate and the regularisation; press **play** and watch the network learn: the output over the plane
with the training and test points, every hidden neuron's output as a small heatmap, the links of
the network drawn as wide as their weights are large (blue positive, orange negative), and the
training and test loss per epoch. **step** trains one epoch, **reset** starts again from the same
initial weights. Play is an ``ipywidgets.Play`` timer: each of its ticks trains one epoch and
redraws (never a blocking loop, so every control stays live while it runs).

Beyond TensorFlow Playground: ``playground(functions=...)`` trains a network built from the
learner's own forward/backward functions (``learner_model.FunctionMLP``) and
``playground(model_factory=...)`` the learner's own model class; ``playground(X=..., y=...)``
trains on the learner's own points; ``view.export_json()`` (and the export button) gives the
trained weights as JSON, which ``mlp_from_json`` turns back into an ``MLP``.

Model: :mod:`.model` (pure functions) and :mod:`.session` (the training
state); figure: :mod:`.figure`; view: :class:`Playground`, made by :func:`playground`.
"""
from __future__ import annotations

import html
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from ...validation import describe
from ..render import ExplorerView, FigureView, new_figure
from .figure import DPI, FIGSIZE, PlaygroundFigure
from .model import (PLAYGROUND_ACTIVATIONS, DATASET_LABELS, DATASETS, FEATURE_LABELS, FEATURES,
                               LEARNING_RATES, MAX_LAYERS, MAX_NEURONS, REG_RATES, PlaygroundSettings,
                               check_settings)
from .weights import mlp_from_json
from .session import PlaygroundSession, start_session

__all__ = ["Playground", "playground", "mlp_from_json"]

_WIDE = {"description_width": "90px"}
_COLUMN = "278px"                     # three columns of controls span the 840 px figure
#: the Play timer's shortest interval (ms); it grows when a tick takes longer, so ticks never queue
MIN_INTERVAL_MS = 40


class Playground(ExplorerView):
    """The playground's controls, figure and training loop (see the module docstring).

    Controls (ipywidgets): ``play`` (Play), ``step_button``, ``reset_button``; ``dataset``,
    ``problem``, ``noise``, ``train_percent``, ``batch_size``; ``features`` (dict name -> Checkbox);
    ``layers`` and ``neurons`` (one slider per hidden layer); ``activation``, ``lr``,
    ``regularization``, ``reg_rate``; ``model_choice`` (your model / the reference, shown when one
    was given); ``show_test``, ``discretize``; ``export_button``, ``export_path``, ``export_text``.
    ``readout`` (HTML): epoch and losses. ``session``: the :class:`PlaygroundSession` trained.
    """

    def __init__(self, session: PlaygroundSession, *, epochs_per_tick: int = 1,
                 locked_activation: bool = False, first_message: str = "") -> None:
        super().__init__(FigureView(new_figure(FIGSIZE, dpi=DPI)))
        self.session, self.epochs_per_tick = session, epochs_per_tick
        self.figure = PlaygroundFigure(self.view)
        self._make_controls(locked_activation)
        self._syncing = False
        self._tick_seconds = 0.0
        for control in (self.noise, self.train_percent, self.batch_size, self.layers, *self.neurons,
                        *self.features.values(), self.activation, self.lr, self.regularization,
                        self.reg_rate):
            control.observe(self._on_setting, names="value")
        self.dataset.observe(self._on_dataset, names="value")
        self.problem.observe(self._on_problem, names="value")
        self.model_choice.observe(self._on_model_choice, names="value")
        self.show_test.observe(self._on_toggle, names="value")
        self.discretize.observe(self._on_toggle, names="value")
        self.play.observe(self._on_play_value, names="value")
        self.play.observe(self._on_playing, names="playing")
        self.step_button.on_click(lambda _: self._guarded(self.step))
        self.reset_button.on_click(lambda _: self._guarded(self.reset))
        self.export_button.on_click(lambda _: self._guarded(self._export_clicked))
        self._show_neuron_sliders()
        self._layout_changed()
        if first_message:
            self.show_message(first_message)

    def _make_controls(self, locked_activation: bool) -> None:
        import ipywidgets as W

        session, s = self.session, self.session.settings

        def labelled(kind: Any, description: str, **kwargs: Any) -> Any:
            return kind(description=description, style=_WIDE, layout=W.Layout(width=_COLUMN), **kwargs)

        def button(description: str, tooltip: str, width: str = "70px") -> Any:
            return W.Button(description=description, tooltip=tooltip, layout=W.Layout(width=width))

        self.play = W.Play(value=0, min=0, max=10 ** 9, step=1, interval=MIN_INTERVAL_MS,
                           show_repeat=False, description="play", tooltip="play / pause: one epoch per tick")
        self.step_button = button("step", "train one epoch")
        self.reset_button = button("reset", "back to epoch 0, the same initial weights")
        self.readout = W.HTML()
        names = [*DATASETS, "custom"] if session.custom is not None else list(DATASETS)
        self.dataset = labelled(W.Dropdown, "data", options=[(DATASET_LABELS[k], k) for k in names],
                                value=s.dataset)
        self.problem = labelled(W.Dropdown, "problem", options=["classification", "regression"],
                                value=session.data.task)
        self.noise = labelled(W.FloatSlider, "noise", value=s.noise, min=0.0, max=0.5, step=0.05,
                              readout_format=".2f")
        self.train_percent = labelled(W.IntSlider, "training %", value=round(100 * s.train_fraction),
                                      min=10, max=90, step=10)
        self.batch_size = labelled(W.IntSlider, "batch size", value=s.batch_size, min=1,
                                   max=max(30, s.batch_size))
        self.features = {f: W.Checkbox(value=f in s.features, description=FEATURE_LABELS[f], indent=False,
                                       layout=W.Layout(width="86px")) for f in FEATURES}
        self.layers = labelled(W.IntSlider, "layers", value=len(s.hidden), min=0, max=MAX_LAYERS)
        counts = [*s.hidden, *[4] * (MAX_LAYERS - len(s.hidden))]      # a new layer starts with 4
        self.neurons = [labelled(W.IntSlider, f"layer {i + 1}", value=n, min=0, max=MAX_NEURONS)
                        for i, n in enumerate(counts)]
        self.activation = labelled(W.Dropdown, "activation", options=list(PLAYGROUND_ACTIVATIONS), value=s.activation,
                                   disabled=locked_activation)
        self.lr = labelled(W.Dropdown, "learning rate", options=sorted({*LEARNING_RATES, s.lr}), value=s.lr)
        self.regularization = labelled(W.Dropdown, "regularisation", value=s.regularization,
                                       options=[("none", "none"), ("L1", "l1"), ("L2", "l2")])
        self.reg_rate = labelled(W.Dropdown, "reg. rate", options=sorted({*REG_RATES, s.reg_rate}),
                                 value=s.reg_rate)
        self.model_choice = W.ToggleButtons(
            options=["yours", "reference"], value="yours" if session.use_learner_model else "reference",
            description="model", style={**_WIDE, "button_width": "80px"},
            layout=W.Layout(display=None if session.has_learner_model else "none"))
        self.show_test = W.Checkbox(value=True, description="show test points", indent=False,
                                    layout=W.Layout(width="135px"))
        self.discretize = W.Checkbox(value=False, description="discretise output", indent=False,
                                     layout=W.Layout(width="135px"))
        self.export_button = button("export weights", "the trained weights as JSON", "120px")
        self.export_path = W.Text(value="playground_weights.json", placeholder="file (empty: only show)",
                                  layout=W.Layout(width="150px"))
        self.export_text = W.Textarea(layout=W.Layout(width="840px", height="160px", display="none"))

        heading = lambda text: W.HTML(f"<b>{text}</b>")                      # noqa: E731
        data_box = W.VBox([heading("Data"), self.dataset, self.problem, self.noise, self.train_percent,
                           self.batch_size])
        features = W.GridBox(list(self.features.values()),
                             layout=W.Layout(grid_template_columns="repeat(3, 90px)", width=_COLUMN))
        network_box = W.VBox([heading("Input features"), features,
                              heading("Hidden layers, neurons per layer"), self.layers, *self.neurons])
        training_box = W.VBox([heading("Training"), self.activation, self.lr, self.regularization,
                               self.reg_rate, self.model_choice, W.HBox([self.show_test, self.discretize]),
                               W.HBox([self.export_button, self.export_path])])
        top = W.HBox([self.play, self.step_button, self.reset_button, self.readout],
                     layout=W.Layout(align_items="center"))
        self.widget = W.VBox([top, self.message, W.HBox([data_box, network_box, training_box]),
                              self.view.widget, self.export_text])

    # ------------------------------------------------------------------ the controls -> settings
    def current_settings(self) -> PlaygroundSettings:
        """The settings the controls show (not yet validated)."""
        return replace(self.session.settings, dataset=self.dataset.value, noise=float(self.noise.value),
                       train_fraction=self.train_percent.value / 100, batch_size=int(self.batch_size.value),
                       features=tuple(f for f, box in self.features.items() if box.value),
                       hidden=tuple(n.value for n in self.neurons[:self.layers.value]),
                       activation=self.activation.value, lr=float(self.lr.value),
                       regularization=self.regularization.value, reg_rate=float(self.reg_rate.value))

    def _guarded(self, action: Callable[[], None]) -> bool:
        """Run ``action``; on an error pause play and say what went wrong. True if it succeeded."""
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            was_playing, self.play.playing = self.play.playing, False
            text = f"{type(exc).__name__}: {exc}"
            if self.session.use_learner_model and not str(exc).startswith("playground:"):
                text += " (This came from your model: set 'model' to 'reference' to compare.)"
            self.show_message(text + (" Play is paused." if was_playing else ""))
            return False
        return True

    def _apply_controls(self) -> None:
        """Hand the controls' settings to the session; redraw what changed."""
        kind = self.session.apply(self.current_settings())
        self.clear_message()
        if kind in ("data", "network"):
            self._layout_changed()
        elif kind == "live":                            # nothing drawn changes until the next epoch
            self._set_readout()

    def _on_setting(self, change: Any = None) -> None:
        if change is not None and change["owner"] is self.layers:
            self._show_neuron_sliders()
        if not self._syncing:
            self._guarded(self._apply_controls)

    def _show_neuron_sliders(self) -> None:
        for i, slider in enumerate(self.neurons):
            slider.layout.display = None if i < self.layers.value else "none"

    def _on_dataset(self, change: Any) -> None:
        task = self.session.custom.task if change["new"] == "custom" else DATASETS[change["new"]]
        if self.problem.value != task:
            self._syncing = True
            self.problem.value = task
            self._syncing = False
        self._on_setting()

    def _on_problem(self, change: Any) -> None:
        if self._syncing:
            return
        name = self.dataset.value
        current = self.session.custom.task if name == "custom" else DATASETS[name]
        if current != change["new"]:
            self.dataset.value = next(k for k, task in DATASETS.items() if task == change["new"])

    def _on_model_choice(self, change: Any) -> None:
        if self._syncing:
            return
        if self._guarded(lambda: self.session.set_use_learner_model(change["new"] == "yours")):
            self.clear_message()
            self._draw()
            return
        self._syncing = True                            # your model failed to build: show what runs
        self.model_choice.value = "yours" if self.session.use_learner_model else "reference"
        self._syncing = False

    def _on_toggle(self, change: Any = None) -> None:
        self._guarded(self._draw)

    # ------------------------------------------------------------------ training
    def _ready(self) -> bool:
        """Apply pending control changes; False (with a message) when training cannot go on."""
        if self.session.settings != check_settings(self.current_settings()):
            self._apply_controls()
        if self.session.diverged:
            self.play.playing = False
            self.show_message(f"{self.session.stop_reason} Press reset to start again "
                              f"(the weights are now huge), after lowering the learning rate.")
            return False
        return True

    def step(self, epochs: int | None = None) -> None:
        """Train ``epochs`` epochs (default ``epochs_per_tick``) and redraw."""
        if not self._ready():
            return
        self.session.train(self.epochs_per_tick if epochs is None else epochs)
        self.clear_message()
        self._draw()
        self._ready()                                   # says so at once if this step diverged

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights (and the current settings)."""
        if self.session.settings != check_settings(self.current_settings()):
            self._apply_controls()
        self.session.reset()
        self.clear_message()
        self._draw()

    def _on_play_value(self, change: Any) -> None:
        if change["new"] <= change["old"]:              # the stop button rewinds: no training
            return
        start = time.perf_counter()
        if self._guarded(self.step):
            self._adapt_interval(time.perf_counter() - start)

    def _on_playing(self, change: Any) -> None:
        if change["new"]:
            self._guarded(self._ready)

    def _adapt_interval(self, seconds: float) -> None:
        """Keep the timer slower than a tick, so that ticks never pile up in the kernel's queue."""
        self._tick_seconds = seconds if not self._tick_seconds else 0.8 * self._tick_seconds + 0.2 * seconds
        wanted = max(MIN_INTERVAL_MS, int(1300 * self._tick_seconds))
        if abs(wanted - self.play.interval) > 0.25 * self.play.interval:
            self.play.interval = wanted

    # ------------------------------------------------------------------ drawing
    def _layout_changed(self) -> None:
        s, session = self.session.settings, self.session
        self.figure.set_layout(s.features, s.hidden, session.data.task, s.activation, session.data,
                               session.feature_grids)
        self._draw(full=True)

    def _draw(self, full: bool = False) -> None:
        session = self.session
        self.figure.show(session.snapshot, session.link_weights(), session.train_losses, session.test_losses,
                         discretize=self.discretize.value, show_test=self.show_test.value,
                         task=session.data.task)
        (self.view.redraw if full else self.view.refresh)()
        self._set_readout()
        self.update_count += 1

    def _set_readout(self) -> None:
        session = self.session
        self.readout.value = (f"&nbsp; epoch <b>{session.epoch:,}</b> &nbsp;·&nbsp; training loss "
                              f"<b>{session.train_losses[-1]:.3f}</b> &nbsp;·&nbsp; test loss "
                              f"<b>{session.test_losses[-1]:.3f}</b> &nbsp;·&nbsp; "
                              f"<small>{html.escape(session.model_description)}</small>")

    def update(self) -> None:
        """Redraw the current state (the ``ExplorerView`` interface)."""
        self._draw()

    # ------------------------------------------------------------------ export
    def export_json(self) -> str:
        """The trained weights as JSON (``mlp_from_json`` reads them back)."""
        return self.session.export_json()

    def _export_clicked(self) -> None:
        text = self.export_json()
        self.export_text.value = text
        self.export_text.layout.display = None
        path = self.export_path.value.strip()
        if path:
            Path(path).write_text(text, encoding="utf-8")
            self.show_message(f"wrote the weights of epoch {self.session.epoch} to {Path(path).resolve()} "
                              f"({len(text):,} characters); they are also shown below.", level="info")


def playground(dataset: str | None = None, *, X: Any = None, y: Any = None, task: str | None = None,
               noise: float = 0.0, train_fraction: float = 0.5, batch_size: int = 10,
               features: Any = ("x1", "x2"), hidden: Any = (4, 2), activation: str = "tanh",
               lr: float = 0.03, regularization: str = "none", reg_rate: float = 0.0,
               model_factory: Callable | None = None, functions: dict | None = None, seed: int = 0,
               n_points: int = 500, epochs_per_tick: int = 1, grid_size: int = 40) -> Playground:
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
        grid_size: heatmap cells per side.
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
    for name, value, most in (("epochs_per_tick", epochs_per_tick, 100), ("grid_size", grid_size, 200)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise ValueError(f"{fn}: {name} must be a positive integer (at most {most}), "
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
