"""Training playground (lesson 08), the model: settings, data, input features, network, JSON.

Everything here is a plain function of its arguments (no widgets, no figure), so it is tested as
such; :mod:`.session` keeps the training state between ticks, and :mod:`.widget` is
the view.

- **Settings.** :class:`PlaygroundSettings` holds every choice of the playground (data set, noise,
  train/test split, batch size, input features, hidden layers, activation, learning rate,
  regularisation); :func:`check_settings` validates one and says what is wrong in words.
- **Input features.** The network does not see the point ``(x1, x2)`` itself but the features
  picked from :data:`FEATURES` (``x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)``):
  :func:`feature_matrix` maps ``X`` (N, 2) to (N, F). A straight line in the features
  ``(x1^2, x2^2)`` is a circle in the plane.
- **Data.** :func:`make_data` draws a built-in set and splits it; :func:`split_data` splits the
  learner's own :class:`~backprop_helpers.data.Dataset`. Points the learner draws on the output
  (``settings.points``) join the training points: :func:`drawn_points` gives them as ``X`` and ``y``.
- **Network.** :func:`layer_sizes` gives ``(F, H_1, ..., H_L, C)`` with ``C = 2`` classes (softmax
  cross-entropy) or ``C = 1`` value (mean squared error); :func:`build_model` builds the reference
  ``MLP``, a ``FunctionMLP`` of the learner's functions, or the learner's own model class.
- **What is drawn.** :func:`forward_layers` gives every hidden layer's output and the scores (the
  reference math ``h_l = act(h_{l-1} @ W_l + b_l)``); :func:`output_values` turns scores into what
  the big heatmap shows (P(class 1), or the predicted value); :func:`data_loss` is the loss on the
  data, without the penalty.

The trained weights go to JSON and back in :mod:`.weights`.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Any, Callable, NamedTuple

import numpy as np

from ...validation import check_choice, describe
from ...data.prep import Dataset, train_test_split
from ...data.datasets import make_dataset
from ...layers import ACTIVATIONS, sigmoid
from ...network import MLP

__all__ = ["FEATURES", "FEATURE_LABELS", "DATASETS", "DATASET_LABELS", "PLAYGROUND_ACTIVATIONS", "LEARNING_RATES",
           "REG_RATES", "MAX_LAYERS", "MAX_NEURONS", "MAX_POINTS", "PlaygroundSettings", "PlaygroundData",
           "check_settings", "feature_matrix", "make_data", "split_data", "drawn_points", "layer_sizes",
           "build_model", "forward_layers", "output_values", "data_loss"]

#: feature name -> its value at the points (x1, x2), elementwise
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂",
                  "sin(x1)": "sin x₁", "sin(x2)": "sin x₂"}
#: the built-in data sets and their problem type
DATASETS = {"circle": "classification", "xor": "classification", "gauss": "classification",
            "spiral": "classification", "plane": "regression", "gaussian_regression": "regression"}
DATASET_LABELS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral",
                  "plane": "plane (regression)", "gaussian_regression": "bumps (regression)",
                  "custom": "your data"}
#: the activations the playground offers (names of ``layers.ACTIVATIONS``), in the dropdown's order
PLAYGROUND_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATIONS = ("none", "l1", "l2")
MAX_LAYERS, MAX_NEURONS = 6, 8
#: the most points a learner may draw on the output
MAX_POINTS = 500
#: the built-in sets live on [-5, 5]^2; the plots show a little more, like TensorFlow Playground
BUILTIN_EXTENT = (-6.0, 6.0, -6.0, 6.0)


@dataclass(frozen=True)
class PlaygroundSettings:
    """Every choice of the playground (defaults: TensorFlow Playground's, on the circle).

    ``dataset`` is a key of :data:`DATASETS` or ``"custom"`` (the learner's data);
    ``train_fraction`` the share of points used for training (the rest is the test set);
    ``hidden`` the neurons of each hidden layer, ``()`` for none; ``regularization`` "none", "l1"
    or "l2" with strength ``reg_rate``; ``seed`` fixes the data, the initial weights and the
    order of the mini-batches, so the same settings give the same run. ``points`` are the points the
    learner drew, ``(x1, x2, label)`` each, label 0 or 1 (for regression: the value -1 or +1); they
    are training points too.
    """
    dataset: str = "circle"
    noise: float = 0.0
    train_fraction: float = 0.5
    batch_size: int = 10
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    lr: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    n_points: int = 500
    seed: int = 0
    points: tuple[tuple[float, float, int], ...] = ()

    @property
    def task(self) -> str | None:
        """"classification" or "regression" for a built-in set, None for the learner's data."""
        return DATASETS.get(self.dataset)


def _number(fn: str, name: str, value: Any, lo: float, hi: float, *, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite number, got {describe(value)}")
    if not (lo < value <= hi if open_low else lo <= value <= hi):
        low = "(" if open_low else "["
        raise ValueError(f"{fn}: {name} must be in {low}{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def _integer(fn: str, name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an integer, got {describe(value)}")
    if value < lo or (hi is not None and value > hi):
        span = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{fn}: {name} must be an integer {span}, got {value}")
    return int(value)


def check_settings(settings: PlaygroundSettings, fn: str = "playground") -> PlaygroundSettings:
    """Validate every field of ``settings``; return them normalised (tuples, lower-case names).

    Raises ValueError/TypeError naming ``fn``, the setting, what it must be and what it is, e.g.
    ``playground: hidden layer 2 has 0 neurons; ...``.
    """
    if not isinstance(settings, PlaygroundSettings):
        raise TypeError(f"{fn}: settings must be PlaygroundSettings, got {describe(settings)}")
    s = settings
    dataset = check_choice(fn, "dataset", s.dataset, {**DATASETS, "custom": None})
    features = tuple(s.features) if isinstance(s.features, (list, tuple)) else s.features
    if not isinstance(features, tuple) or not all(isinstance(f, str) for f in features):
        raise TypeError(f"{fn}: features must be a list of names from {list(FEATURES)}, "
                        f"got {describe(s.features)}")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"{fn}: features must be names from {list(FEATURES)}, got {unknown[0]!r}")
    if not features:
        raise ValueError(f"{fn}: features is empty: the network needs at least one input feature "
                         f"(tick x1 and x2, for example)")
    features = tuple(f for f in FEATURES if f in features)          # a fixed order, no repeats
    hidden = tuple(s.hidden) if isinstance(s.hidden, (list, tuple)) else s.hidden
    if not isinstance(hidden, tuple):
        raise TypeError(f"{fn}: hidden must be a list of neuron counts, one per hidden layer, "
                        f"got {describe(s.hidden)}")
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"{fn}: hidden may list at most {MAX_LAYERS} layers, got {len(hidden)}")
    for i, h in enumerate(hidden, 1):
        if isinstance(h, bool) or not isinstance(h, numbers.Integral):
            raise TypeError(f"{fn}: hidden layer {i} must have a whole number of neurons, got {describe(h)}")
        if not 1 <= h <= MAX_NEURONS:
            hint = ("; a layer needs at least one neuron (to remove a layer, lower the number of "
                    "hidden layers instead)") if h < 1 else ""
            raise ValueError(f"{fn}: hidden layer {i} has {h} neurons, expected 1 to {MAX_NEURONS}{hint}")
    return replace(
        s, dataset=dataset, features=features, hidden=tuple(int(h) for h in hidden),
        points=_check_points(fn, s.points),
        noise=_number(fn, "noise", s.noise, 0.0, 0.5),
        train_fraction=_number(fn, "train_fraction", s.train_fraction, 0.1, 0.9),
        batch_size=_integer(fn, "batch_size", s.batch_size, 1),
        activation=check_choice(fn, "activation", s.activation, PLAYGROUND_ACTIVATIONS),
        lr=_number(fn, "lr (the learning rate)", s.lr, 0.0, 100.0, open_low=True),
        regularization=check_choice(fn, "regularization", s.regularization, REGULARIZATIONS),
        reg_rate=_number(fn, "reg_rate", s.reg_rate, 0.0, 100.0),
        n_points=_integer(fn, "n_points", s.n_points, 10, 100_000),
        seed=_integer(fn, "seed", s.seed, 0))


def _check_points(fn: str, points: Any) -> tuple[tuple[float, float, int], ...]:
    """The drawn points as a tuple of ``(x1, x2, label)`` with finite coordinates and labels 0 or 1."""
    if not isinstance(points, (list, tuple)):
        raise TypeError(f"{fn}: points must be a list of (x1, x2, label) triples, got {describe(points)}")
    if len(points) > MAX_POINTS:
        raise ValueError(f"{fn}: points holds {len(points)} points; at most {MAX_POINTS} may be drawn")
    checked = []
    for k, point in enumerate(points, 1):
        if not isinstance(point, (list, tuple)) or len(point) != 3:
            raise TypeError(f"{fn}: point {k} must be (x1, x2, label), got {describe(point)}")
        x1 = _number(fn, f"point {k}'s x1", point[0], -1e6, 1e6)
        x2 = _number(fn, f"point {k}'s x2", point[1], -1e6, 1e6)
        label = _integer(fn, f"point {k}'s label", point[2], 0, 1)
        checked.append((x1, x2, label))
    return tuple(checked)


def drawn_points(points: tuple[tuple[float, float, int], ...], task: str) -> tuple[np.ndarray, np.ndarray]:
    """The drawn points as training data: ``X`` (P, 2) and ``y`` as ``MLP`` wants it, class indices
    (P,) for classification, values (P, 1) of -1 (label 0) or +1 (label 1) for regression."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    X, labels = P[:, :2].copy(), P[:, 2].astype(np.int64)
    if task == "classification":
        return X, labels
    return X, (2.0 * labels - 1.0)[:, None]


def feature_matrix(X: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """The input features of the points ``X`` (N, 2): shape (N, F), column j = ``FEATURES[features[j]]``."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[f](x1, x2) for f in features]).astype(np.float64, copy=False)


class PlaygroundData(NamedTuple):
    """Points split for training and testing (``X`` in the plane, (N, 2)); ``y`` as ``MLP`` wants it:
    class indices (N,) for classification, values (N, 1) for regression. ``extent`` is
    ``(x_min, x_max, y_min, y_max)`` of the plots."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str
    name: str
    extent: tuple[float, float, float, float]


def split_data(dataset: Dataset, train_fraction: float, seed: int,
               extent: tuple[float, float, float, float] | None = None) -> PlaygroundData:
    """Split a 2-D :class:`Dataset` into training and test points (stratified for classes).

    A classification set must hold both classes 0 and 1 (and no other); a regression set one
    target per point. ``extent`` defaults to the points' bounding box with a 10 % margin.
    """
    fn = "playground"
    X, y = dataset.X, dataset.y
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{fn}: X must hold points of the plane, shape (N, 2), got shape {X.shape}")
    if dataset.task == "classification":
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(f"{fn}: the data set {dataset.name!r} holds only class {int(classes[0])}: "
                             f"a classifier needs examples of both classes 0 and 1")
        if classes.max() > 1:
            raise ValueError(f"{fn}: the playground shows two classes, 0 and 1; the data set "
                             f"{dataset.name!r} has labels up to {int(classes.max())}")
    elif y.shape[1] != 1:
        raise ValueError(f"{fn}: regression data must have one target per point, y of shape (N, 1), "
                         f"got {y.shape}")
    if X.shape[0] < 4:
        raise ValueError(f"{fn}: the data set {dataset.name!r} has {X.shape[0]} points; it needs at "
                         f"least 4 (some to train on, some to test)")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=1.0 - train_fraction, seed=seed)
    if extent is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        extent = (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    return PlaygroundData(X_train, y_train, X_test, y_test, dataset.task, dataset.name, extent)


def make_data(settings: PlaygroundSettings) -> PlaygroundData:
    """The built-in set ``settings.dataset`` with ``settings.noise``, split by ``train_fraction``."""
    s = settings
    dataset = make_dataset(s.dataset, n=s.n_points, noise=s.noise, seed=s.seed)
    return split_data(dataset, s.train_fraction, s.seed, BUILTIN_EXTENT)


def layer_sizes(features: tuple[str, ...], hidden: tuple[int, ...], task: str) -> tuple[int, ...]:
    """``(F, H_1, ..., H_L, C)``: F input features, the hidden layers, C = 2 classes or 1 value."""
    return (len(features), *hidden, 2 if task == "classification" else 1)


def build_model(settings: PlaygroundSettings, task: str, *, model_factory: Callable | None = None,
                functions: dict | None = None) -> Any:
    """A fresh network for ``settings`` (initial weights from ``settings.seed``).

    Default: the reference ``MLP``. With ``functions`` (role -> the learner's function, see
    ``learner_model.ROLES``): a ``FunctionMLP`` of them (a ``loss_fn`` is used for classification
    only; regression takes the reference mean squared error). With ``model_factory``: whatever it
    returns when called like ``MLP``:
    ``model_factory(layer_sizes, activation, loss, seed=..., regularization=..., reg_strength=...)``.
    """
    sizes = layer_sizes(settings.features, settings.hidden, task)
    loss = "softmax_cross_entropy" if task == "classification" else "mse"
    reg = None if settings.regularization == "none" else settings.regularization
    kwargs = dict(seed=settings.seed, regularization=reg, reg_strength=settings.reg_rate)
    if functions is not None:
        from ...learner_model import FunctionMLP
        given = {k: v for k, v in functions.items() if not (k == "loss_fn" and task == "regression")}
        return FunctionMLP(sizes, settings.activation, loss, **given, **kwargs)
    if model_factory is not None:
        return model_factory(sizes, settings.activation, loss, **kwargs)
    return MLP(sizes, settings.activation, loss, **kwargs)




def forward_layers(params: dict, activation: str, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The reference forward pass, keeping every hidden layer's output.

    ``h_0 = X`` (N, F); ``h_l = act(h_{l-1} @ W_l + b_l)`` for the hidden layers;
    ``scores = h_{L-1} @ W_L + b_L``. Returns ``([h_1, ..., h_{L-1}], scores)`` with ``h_l`` of
    shape (N, H_l) and ``scores`` (N, C).
    """
    act = ACTIVATIONS[activation]
    L = sum(1 for k in params if k.startswith("W"))
    hidden, h = [], X
    for l in range(1, L):
        h = act(h @ params[f"W{l}"] + params[f"b{l}"])
        hidden.append(h)
    return hidden, h @ params[f"W{L}"] + params[f"b{L}"]


def output_values(scores: np.ndarray, task: str) -> np.ndarray:
    """What the big heatmap shows, shape (N,): P(class 1) = sigmoid(s_1 - s_0) (the softmax of two
    scores) for classification, the predicted value for regression."""
    if task == "classification":
        return sigmoid(scores[:, 1] - scores[:, 0])
    return scores[:, 0]


def data_loss(scores: np.ndarray, y: np.ndarray, task: str) -> float:
    """The mean loss on the data, without the regularisation penalty.

    Classification: ``mean_n (log sum_k exp(s_nk) - s_{n, y_n})`` (softmax cross-entropy);
    regression: ``(1/N) sum (scores - y)**2``.
    """
    if task == "classification":
        top = scores.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(scores - top).sum(axis=1)) + top[:, 0]
        return float(np.mean(log_sum - scores[np.arange(len(y)), y]))
    return float(np.sum((scores - y) ** 2) / len(y))
