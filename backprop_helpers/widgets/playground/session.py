"""Training playground (lesson 08): the training state that lives between two ticks of play.

A :class:`PlaygroundSession` holds the data, the network, its ``Trainer`` and the loss curves. It
knows which settings can change while training carries on (learning rate, batch size,
regularisation, the points the learner drew) and which need a new network (features, layers,
activation) or new data (data set, noise, split), and it never half-applies a change: new settings
are validated and everything they need is built before anything is replaced, so a bad setting
leaves the previous state intact. A weight can be set by hand (:meth:`PlaygroundSession.set_weight`).

After every epoch the network is evaluated on a G x G grid over the plane, in float32 (what the
heatmaps show: every hidden neuron and the output), and on the data points, in float64 (the
losses). No widgets here; the view (:mod:`.widget`) sends what :attr:`PlaygroundSession.snapshot`
holds to the browser (:mod:`.frames`).
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
from .model import (PlaygroundData, PlaygroundSettings, build_model, check_settings, data_loss,
                    drawn_points, feature_matrix, forward_layers, make_data, output_values, split_data)

__all__ = ["Snapshot", "PlaygroundSession", "start_session", "link_weights", "node_biases", "grid_points"]

_DATA_FIELDS = ("dataset", "noise", "train_fraction", "n_points", "seed")
_NETWORK_FIELDS = ("features", "hidden", "activation")


class Snapshot(NamedTuple):
    """What the view draws after a tick.

    ``output`` (G, G): P(class 1) or the predicted value on the grid (row 0 at the bottom);
    ``hidden``: one array (H_l, G, G) per hidden layer, each neuron's output on the grid (``None``
    when the model cannot say); both float32 for the reference ``MLP``. ``train_loss``,
    ``test_loss``: the loss on the data (the drawn points count as training data), without the
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
    L = _num_layers(params)
    weights = [np.asarray(params[f"W{l}"]) for l in range(1, L)]
    W = np.asarray(params[f"W{L}"])
    weights.append((W[:, 1] - W[:, 0])[:, None] if task == "classification" and W.shape[1] == 2 else W[:, :1])
    return weights


def node_biases(params: dict, task: str) -> list[np.ndarray]:
    """The bias of every node of the diagram, layer by layer: ``b_1, ..., b_{L-1}``, and for the
    output ``b_L[1] - b_L[0]`` (two classes) or ``b_L`` (one value). Shapes (H_l,), last (1,)."""
    L = _num_layers(params)
    biases = [np.asarray(params[f"b{l}"]).reshape(-1) for l in range(1, L)]
    b = np.asarray(params[f"b{L}"]).reshape(-1)
    biases.append(np.array([b[1] - b[0]]) if task == "classification" and b.shape[0] == 2 else b[:1])
    return biases


def _num_layers(params: dict) -> int:
    return sum(1 for k in params if k.startswith("W") and k[1:].isdigit())


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
        X_train, y_train = self._training_points(settings, data)
        trainer = Trainer(model, feature_matrix(X_train, settings.features), y_train, optimizer=SGD(settings.lr),
                          batch_size=settings.batch_size, seed=settings.seed, raise_on_divergence=False)
        return model, trainer

    @staticmethod
    def _training_points(settings: PlaygroundSettings, data: PlaygroundData) -> tuple[np.ndarray, np.ndarray]:
        """The data set's training points followed by the drawn ones: ``X`` (N, 2) and ``y``."""
        if not settings.points:
            return data.X_train, data.y_train
        X, y = drawn_points(settings.points, data.task)
        return (np.vstack([data.X_train, X]),
                np.concatenate([data.y_train, y.astype(data.y_train.dtype, copy=False)]))

    def _data(self, settings: PlaygroundSettings) -> PlaygroundData:
        if settings.dataset != "custom":
            return make_data(settings)
        if self.custom is None:
            raise ValueError("playground: dataset 'custom' needs your data: pass X and y to playground()")
        return split_data(self.custom, settings.train_fraction, settings.seed)

    # ------------------------------------------------------------------ changing settings
    def apply(self, settings: PlaygroundSettings) -> str:
        """Take new settings; return what changed: "same", "live" (training carries on with the
        new learning rate, batch size, regularisation or drawn points), "network" (a new network,
        epoch 0) or "data" (new points and a new network). Raises (and changes nothing) for bad
        settings."""
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
            if s.points != old.points:
                X, y = self._training_points(s, self.data)
                X = feature_matrix(X, s.features)
                if isinstance(self.model, MLP):
                    X, y = self.model.check_inputs("fit", X), self.model.check_targets("fit", y, X.shape[0])
                self.trainer.X, self.trainer.y = X, y
            if s.regularization != old.regularization or s.reg_rate != old.reg_rate:
                self.model.regularization = None if s.regularization == "none" else s.regularization
                self.model.reg_strength = s.reg_rate
            self.trainer.optimizer.lr = s.lr
            self.trainer.batch_size = min(s.batch_size, self.trainer.X.shape[0])
            self.settings = s
            if s.points != old.points:
                self._set_inputs()
                self._refresh()
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

    def set_weight(self, layer: int, i: int, j: int, value: float) -> None:
        """Set the weight of one link of the diagram: from node ``i`` of layer ``layer - 1`` (0: the
        inputs) to node ``j`` of layer ``layer``, ``W_layer[i, j] = value``. The output's link of a
        classifier is the difference ``W_L[i, 1] - W_L[i, 0]`` (see :func:`link_weights`): both
        columns move by half the change, so their sum stays. The picture and the latest losses are
        computed again; training carries on from the new weights."""
        fn = "playground.set_weight"
        params, task = self.model.params, self.data.task
        L = _num_layers(params)
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= L:
            raise ValueError(f"{fn}: layer must be 1 to {L}, got {layer!r}")
        W = params[f"W{layer}"]
        columns = 1 if layer == L else W.shape[1]
        for name, index, size in (("i", i, W.shape[0]), ("j", j, columns)):
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
                raise ValueError(f"{fn}: {name} must be 0 to {size - 1} in layer {layer}, got {index!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{fn}: value must be a finite number, got {value!r}")
        if layer == L and task == "classification" and W.shape[1] == 2:
            change = (float(value) - (W[i, 1] - W[i, 0])) / 2.0
            W[i, 1] += change                             # in place: the trainer holds these arrays
            W[i, 0] -= change
        else:
            W[i, j] = value
        self._refresh()

    def _refresh(self) -> None:
        """Evaluate the network again without training: a new snapshot and latest losses."""
        snapshot = self._evaluate()
        if snapshot.finite:
            self.snapshot = snapshot
            self.train_losses[-1], self.test_losses[-1] = snapshot.train_loss, snapshot.test_loss

    def _set_inputs(self) -> None:
        d, features, G = self.data, self.settings.features, self.grid_size
        self.grid = grid_points(d.extent, G)
        self.grid_features = feature_matrix(self.grid, features)
        self.grid_features32 = self.grid_features.astype(np.float32)
        self.feature_grids = self.grid_features.T.reshape(len(features), G, G)
        X_train, self.y_train = self._training_points(self.settings, d)
        self.point_inputs = np.vstack([feature_matrix(X_train, features), feature_matrix(d.X_test, features)])
        self.n_train = X_train.shape[0]

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
        """The network on the grid (float32 for the reference MLP) and on the points (float64)."""
        model, d, G = self.model, self.data, self.grid_size
        n_train = self.n_train
        activation = self.settings.activation
        with np.errstate(all="ignore"):
            if type(model) is MLP:
                params32 = {k: v.astype(np.float32) for k, v in model.params.items()}
                hidden, grid_scores = forward_layers(params32, activation, self.grid_features32)
                _, scores = forward_layers(model.params, activation, self.point_inputs)
            else:
                every = np.asarray(model.forward(np.vstack([self.grid_features, self.point_inputs])),
                                   dtype=np.float64)
                grid_scores, scores = every[:G * G], every[G * G:]
                if hasattr(model, "hidden_outputs"):
                    hidden = list(model.hidden_outputs(self.grid_features))
                else:
                    try:
                        hidden, _ = forward_layers(model.params, activation, self.grid_features)
                    except Exception:  # noqa: BLE001 - a model of another shape: no neuron plots
                        hidden = None
            output = output_values(grid_scores, d.task).reshape(G, G)
            train_loss = data_loss(scores[:n_train], self.y_train, d.task)
            test_loss = data_loss(scores[n_train:], d.y_test, d.task)
        grids = None if hidden is None else [np.asarray(h).T.reshape(-1, G, G) for h in hidden]
        finite = bool(np.isfinite(output).all() and math.isfinite(train_loss) and math.isfinite(test_loss)
                      and (grids is None or all(np.isfinite(g).all() for g in grids)))
        return Snapshot(output, grids, train_loss, test_loss, finite)

    # ------------------------------------------------------------------ export
    def link_weights(self) -> list[np.ndarray]:
        return link_weights(self.model.params, self.data.task)

    def node_biases(self) -> list[np.ndarray]:
        return node_biases(self.model.params, self.data.task)

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

