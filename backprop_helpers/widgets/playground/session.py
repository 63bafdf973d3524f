"""Training playground (lesson 08): the training state that lives between two ticks of play.

A :class:`PlaygroundSession` holds the data, the network, its ``Trainer`` and the loss curves. It
knows which settings can change while training carries on (learning rate, batch size,
regularisation) and which need a new network (features, layers, activation) or new data (data set,
noise, split), and it never half-applies a change: new settings are validated and everything they
need is built before anything is replaced, so a bad setting leaves the previous state intact.
No widgets here; the view (:mod:`.playground`) draws what :meth:`PlaygroundSession.snapshot`
returns.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, NamedTuple

import numpy as np

from ...data.prep import Dataset
from ...learner_model import FunctionMLP
from ...network import MLP
from ...optim import SGD
from ...training import Trainer
from .weights import export_weights
from .model import (PlaygroundData, PlaygroundSettings, build_model, check_settings,
                               data_loss, feature_matrix, forward_layers, make_data,
                               output_values, split_data)

__all__ = ["Snapshot", "PlaygroundSession", "start_session", "link_weights", "grid_points"]

_DATA_FIELDS = ("dataset", "noise", "train_fraction", "n_points", "seed")
_NETWORK_FIELDS = ("features", "hidden", "activation")


class Snapshot(NamedTuple):
    """What the view draws after a tick.

    ``output`` (G, G): P(class 1) or the predicted value on the grid (row 0 at the bottom);
    ``hidden``: one array (H_l, G, G) per hidden layer, each neuron's output on the grid (``None``
    when the model cannot say); ``train_loss``, ``test_loss``: the loss on the data, without the
    penalty; ``finite``: False when the network's outputs overflowed (a diverged run).
    """
    output: np.ndarray
    hidden: list[np.ndarray] | None
    train_loss: float
    test_loss: float
    finite: bool


def grid_points(extent: tuple[float, float, float, float], size: int) -> np.ndarray:
    """The centres of a ``size`` x ``size`` grid of cells over ``extent``: shape (size * size, 2),
    row by row from the bottom (row ``i`` of the grid is ``points[i * size:(i + 1) * size]``)."""
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def link_weights(params: dict, task: str) -> list[np.ndarray]:
    """The weight of every link of the network diagram: ``W_1, ..., W_{L-1}`` as they are, and for
    the output the weight on what the big heatmap shows: ``W_L[:, 1] - W_L[:, 0]`` for two classes
    (P(class 1) = sigmoid(s_1 - s_0)), ``W_L`` for one value. Shapes (H_{l-1}, H_l), last (H, 1)."""
    L = sum(1 for k in params if k.startswith("W"))
    weights = [np.asarray(params[f"W{l}"]) for l in range(1, L)]
    W = np.asarray(params[f"W{L}"])
    weights.append((W[:, 1] - W[:, 0])[:, None] if task == "classification" and W.shape[1] == 2 else W[:, :1])
    return weights


class PlaygroundSession:
    """Data, network and training between ticks; the model behind the playground's view.

    Args:
        settings: the starting :class:`PlaygroundSettings`.
        custom: the learner's own 2-D :class:`Dataset` (used when ``settings.dataset == "custom"``).
        model_factory, functions: the learner's model class or functions (see ``build_model``),
            used while ``use_learner_model`` is True; otherwise the reference ``MLP``.
        grid_size: G, the heatmaps' cells per side.
    Attributes:
        settings, data (:class:`PlaygroundData`), model, trainer, epoch, train_losses and
        test_losses (one per epoch, from epoch 0), diverged, stop_reason, snapshot.
    """

    def __init__(self, settings: PlaygroundSettings | None = None, *, custom: Dataset | None = None,
                 model_factory: Callable | None = None, functions: dict | None = None,
                 use_learner_model: bool = True, grid_size: int = 40) -> None:
        self.custom, self.model_factory, self.functions = custom, model_factory, functions
        self.use_learner_model = bool(use_learner_model) and self.has_learner_model
        self.grid_size = grid_size
        self.settings: PlaygroundSettings | None = None
        self.apply(settings if settings is not None else PlaygroundSettings())

    # ------------------------------------------------------------------ what is trained
    @property
    def has_learner_model(self) -> bool:
        return self.model_factory is not None or self.functions is not None

    @property
    def model_description(self) -> str:
        if not self.use_learner_model:
            return "the reference MLP"
        return "your functions (FunctionMLP)" if self.functions is not None else "your model"

    def _build(self, settings: PlaygroundSettings, data: PlaygroundData) -> tuple[Any, Trainer]:
        learner = self.use_learner_model
        model = build_model(settings, data.task, model_factory=self.model_factory if learner else None,
                            functions=self.functions if learner else None)
        X_train = feature_matrix(data.X_train, settings.features)
        trainer = Trainer(model, X_train, data.y_train, optimizer=SGD(settings.lr),
                          batch_size=settings.batch_size, seed=settings.seed, raise_on_divergence=False)
        return model, trainer

    def _data(self, settings: PlaygroundSettings) -> PlaygroundData:
        if settings.dataset != "custom":
            return make_data(settings)
        if self.custom is None:
            raise ValueError("playground: dataset 'custom' needs your data: pass X and y to playground()")
        return split_data(self.custom, settings.train_fraction, settings.seed)

    # ------------------------------------------------------------------ changing settings
    def apply(self, settings: PlaygroundSettings) -> str:
        """Take new settings; return what changed: "same", "live" (training carries on with the
        new learning rate, batch size or regularisation), "network" (a new network, epoch 0) or
        "data" (new points and a new network). Raises (and changes nothing) for bad settings."""
        s = check_settings(settings)
        old = self.settings
        if old == s:
            return "same"
        new_data = old is None or any(getattr(s, f) != getattr(old, f) for f in _DATA_FIELDS)
        new_network = new_data or any(getattr(s, f) != getattr(old, f) for f in _NETWORK_FIELDS)
        if not new_network and (s.regularization != old.regularization or s.reg_rate != old.reg_rate):
            # the reference and FunctionMLP read these on every step; another model is rebuilt
            new_network = not isinstance(self.model, (MLP, FunctionMLP))
            if not new_network:
                self.model.regularization = None if s.regularization == "none" else s.regularization
                self.model.reg_strength = s.reg_rate
        if not new_network:
            self.trainer.optimizer.lr = s.lr
            self.trainer.batch_size = min(s.batch_size, self.trainer.X.shape[0])
            self.settings = s
            return "live"
        data = self._data(s) if new_data else self.data
        model, trainer = self._build(s, data)
        self.settings, self.data, self.model, self.trainer = s, data, model, trainer
        self._set_inputs()
        self._restart()
        return "data" if new_data else "network"

    def set_use_learner_model(self, use: bool) -> None:
        """Train the learner's model (True) or the reference MLP (False); starts again at epoch 0."""
        previous = self.use_learner_model
        self.use_learner_model = bool(use) and self.has_learner_model
        try:
            self.model, self.trainer = self._build(self.settings, self.data)
        except Exception:
            self.use_learner_model = previous
            raise
        self._restart()

    def reset(self) -> None:
        """The same network from its initial weights (same seed: the same run again)."""
        self.model, self.trainer = self._build(self.settings, self.data)
        self._restart()

    def _set_inputs(self) -> None:
        d, features, G = self.data, self.settings.features, self.grid_size
        self.grid = grid_points(d.extent, G)
        self.inputs = np.vstack([feature_matrix(self.grid, features), feature_matrix(d.X_train, features),
                                 feature_matrix(d.X_test, features)])
        self.grid_features = self.inputs[:G * G]
        self.feature_grids = self.grid_features.T.reshape(len(features), G, G)

    def _restart(self) -> None:
        self.epoch, self.diverged, self.stop_reason = 0, False, None
        self.train_losses, self.test_losses = [], []
        self.snapshot = self._evaluate()
        self.train_losses.append(self.snapshot.train_loss)
        self.test_losses.append(self.snapshot.test_loss)

    # ------------------------------------------------------------------ training
    def train(self, epochs: int = 1) -> int:
        """Train ``epochs`` more epochs (each a pass over the shuffled training points in
        mini-batches); returns how many were completed. Stops early, with ``diverged`` set and the
        reason in ``stop_reason``, when the loss stops being finite. An error of the learner's model
        propagates (the view shows it)."""
        done = 0
        for _ in range(epochs):
            if self.diverged:
                break
            self.trainer.train_epoch()
            if self.trainer.history.diverged:
                self.diverged, self.stop_reason = True, self.trainer.history.stop_reason
                break
            snapshot = self._evaluate()
            self.epoch = self.trainer.epoch
            done += 1
            if not snapshot.finite:
                self.diverged = True
                self.stop_reason = (f"training diverged at epoch {self.epoch}: the network's outputs "
                                    f"overflowed (learning rate {self.settings.lr:g} is too large)")
                break
            self.snapshot = snapshot
            self.train_losses.append(snapshot.train_loss)
            self.test_losses.append(snapshot.test_loss)
        return done

    def _evaluate(self) -> Snapshot:
        model, d, G = self.model, self.data, self.grid_size
        n_grid, n_train = G * G, d.X_train.shape[0]
        activation = self.settings.activation
        with np.errstate(all="ignore"):
            if type(model) is MLP:
                hidden, scores = forward_layers(model.params, activation, self.inputs)
                hidden = [h[:n_grid] for h in hidden]
            else:
                scores = np.asarray(model.forward(self.inputs), dtype=np.float64)
                if hasattr(model, "hidden_outputs"):
                    hidden = list(model.hidden_outputs(self.grid_features))
                else:
                    try:
                        hidden, _ = forward_layers(model.params, activation, self.grid_features)
                    except Exception:  # noqa: BLE001 - a model of another shape: no neuron plots
                        hidden = None
            output = output_values(scores[:n_grid], d.task).reshape(G, G)
            train_loss = data_loss(scores[n_grid:n_grid + n_train], d.y_train, d.task)
            test_loss = data_loss(scores[n_grid + n_train:], d.y_test, d.task)
        grids = None if hidden is None else [np.asarray(h).T.reshape(-1, G, G) for h in hidden]
        finite = bool(np.isfinite(output).all() and math.isfinite(train_loss) and math.isfinite(test_loss)
                      and (grids is None or all(np.isfinite(g).all() for g in grids)))
        return Snapshot(output, grids, train_loss, test_loss, finite)

    # ------------------------------------------------------------------ export
    def link_weights(self) -> list[np.ndarray]:
        return link_weights(self.model.params, self.data.task)

    def export_json(self) -> str:
        """The trained weights as JSON (see ``weights.export_weights``)."""
        return export_weights(self.model, self.settings, self.data.task, epoch=self.epoch,
                              losses=(self.train_losses[-1], self.test_losses[-1]))


def start_session(settings: PlaygroundSettings, *, custom: Dataset | None = None,
                  model_factory: Callable | None = None, functions: dict | None = None,
                  grid_size: int = 40) -> tuple[PlaygroundSession, str]:
    """The session asked for and "", or, when that fails (the learner's model raising, their data
    holding one class), the nearest one that works and a message saying what happened: the same with
    the reference MLP, then the circle with the learner's model, then the circle with the reference.
    Raises the first error when none works."""
    tries = [(settings, True), (settings, False)]
    if settings.dataset == "custom":
        circle = replace(settings, dataset="circle")
        tries += [(circle, True), (circle, False)]
    first_error = None
    for s, learner in tries:
        try:
            session = PlaygroundSession(s, custom=custom, model_factory=model_factory, functions=functions,
                                        use_learner_model=learner, grid_size=grid_size)
        except Exception as exc:  # noqa: BLE001 - the view shows it
            first_error = first_error or exc
            continue
        if first_error is None:
            return session, ""
        instead = ([f"the {s.dataset} data set"] if s.dataset != settings.dataset else []) + \
            (["the reference MLP"] if not learner and session.has_learner_model else [])
        return session, (f"{type(first_error).__name__}: {first_error} "
                         f"(showing {' and '.join(instead)} instead)")
    raise first_error

