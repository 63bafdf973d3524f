"""Loss explorer (lesson 02): move a prediction against its target, see the loss and its slope.

Three losses of one example (N = 1), each drawn as a curve over the quantity the learner moves,
with the current point and the tangent line whose slope is the gradient:

- ``"mse"``: ``L(y_hat) = (y_hat - y)**2``, ``dL/dy_hat = 2 (y_hat - y)``;
- ``"cross_entropy"``: three classes, the true class is class 0 with score ``s``, the other two
  scores fixed: ``L(s) = -log softmax(s, s1, s2)[0]``, ``dL/ds = p0 - 1``;
- ``"binary_cross_entropy"``: a probability ``p`` against a label ``y`` in {0, 1}:
  ``L(p) = -(y log p + (1 - y) log(1 - p))``, ``dL/dp = (p - y) / (p (1 - p))``.

The point's loss and gradient come from ``backprop_helpers.losses`` (the course's reference); the
curve is the same formula evaluated on many points at once.

Model (pure functions): :func:`loss_point`, :func:`loss_curve`, :func:`tangent_line`.
View: :class:`LossExplorer`, made by :func:`loss_explorer`.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from ..validation import as_float_array, check_choice, describe
from ..losses import binary_cross_entropy, mse_loss, softmax, softmax_cross_entropy
from ..plots.palette import GRID, LINE_COLORS, LINE_STYLES, MUTED, TEXT
from .render import ExplorerView, FigureView, new_figure, text_block

__all__ = ["LOSS_KINDS", "LossPoint", "loss_point", "loss_curve", "tangent_line", "LossExplorer",
           "loss_explorer"]

#: kind -> (what the slider moves, its range, the y-limits of the plot)
LOSS_KINDS = {
    "mse": ("prediction y_hat", (-3.0, 3.0), (-0.5, 10.0)),
    "cross_entropy": ("score s of the true class", (-6.0, 6.0), (-0.4, 8.0)),
    "binary_cross_entropy": ("probability p of class 1", (0.001, 0.999), (-0.3, 5.0)),
}
_LABELS = {"mse": "mean squared error", "cross_entropy": "cross-entropy, 3 classes",
           "binary_cross_entropy": "binary cross-entropy"}


class LossPoint(NamedTuple):
    """The loss at one point, its gradient with respect to the moved quantity, and for the
    cross-entropy the three class probabilities (empty otherwise)."""
    loss: float
    gradient: float
    probabilities: np.ndarray


def _number(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite number, got {describe(value)}")
    return float(value)


def _params(fn: str, kind: str, target: Any, other_scores: Any) -> tuple[str, float, np.ndarray]:
    kind = check_choice(fn, "kind", kind, LOSS_KINDS)
    target = _number(fn, "target", target)
    if kind == "binary_cross_entropy" and target not in (0.0, 1.0):
        raise ValueError(f"{fn}: target must be the label 0 or 1 for the binary cross-entropy, "
                         f"got {target:g}")
    others = as_float_array(fn, "other_scores", np.asarray(other_scores, dtype=float), ndim=1,
                            allow_complex=False)
    if others.shape != (2,) or not np.all(np.isfinite(others)):
        raise ValueError(f"{fn}: other_scores must be two finite scores (classes 1 and 2), got {others}")
    return kind, target, others


def loss_point(kind: str, x: float, target: float = 0.0, other_scores: Any = (1.0, -1.0)) -> LossPoint:
    """Loss and gradient of one example, computed by ``backprop_helpers.losses``.

    Args:
        kind: "mse", "cross_entropy" or "binary_cross_entropy".
        x: the moved quantity: the prediction ``y_hat`` (mse), the true class's score ``s``
            (cross_entropy), the probability ``p`` of class 1 (binary_cross_entropy, in (0, 1)).
        target: ``y`` for mse (any number), the label 0 or 1 for binary_cross_entropy; unused by
            the cross-entropy, whose true class is class 0.
        other_scores: the scores of classes 1 and 2 (cross_entropy only).
    Returns:
        ``LossPoint(loss, gradient, probabilities)``.
    """
    fn = "loss_point"
    kind, target, others = _params(fn, kind, target, other_scores)
    x = _number(fn, "x", x)
    if kind == "mse":
        loss, grad = mse_loss(np.array([[x]]), np.array([[target]]))
        return LossPoint(float(loss), float(grad[0, 0]), np.empty(0))
    if kind == "cross_entropy":
        scores = np.array([[x, *others]])
        loss, grad = softmax_cross_entropy(scores, np.array([0]))
        return LossPoint(float(loss), float(grad[0, 0]), softmax(scores)[0])
    if not 0.0 < x < 1.0:
        raise ValueError(f"{fn}: x must be a probability strictly between 0 and 1 for the binary "
                         f"cross-entropy, got {x:g}")
    loss, grad = binary_cross_entropy(np.array([[x]]), np.array([[target]]))
    return LossPoint(float(loss), float(grad[0, 0]), np.empty(0))


def loss_curve(kind: str, xs: Any, target: float = 0.0, other_scores: Any = (1.0, -1.0)) -> np.ndarray:
    """The loss of one example at every value of ``xs`` (shape (M,)), same conventions as
    :func:`loss_point`; vectorised, so it draws a whole curve in one call."""
    fn = "loss_curve"
    kind, target, others = _params(fn, kind, target, other_scores)
    xs = as_float_array(fn, "xs", xs, ndim=1, allow_complex=False)
    if kind == "mse":
        return (xs - target) ** 2
    if kind == "cross_entropy":
        # -log softmax(s)[0] = logsumexp(s, s1, s2) - s, with the largest score factored out
        top = np.maximum(xs, others.max())
        lse = top + np.log(np.exp(xs - top) + np.exp(others[0] - top) + np.exp(others[1] - top))
        return lse - xs
    if np.any((xs <= 0) | (xs >= 1)):
        raise ValueError(f"{fn}: xs must be probabilities strictly between 0 and 1 for the binary "
                         f"cross-entropy, got values from {xs.min():g} to {xs.max():g}")
    return -(target * np.log(xs) + (1.0 - target) * np.log1p(-xs))


def tangent_line(x0: float, loss0: float, slope: float, half_width: float) -> tuple[np.ndarray, np.ndarray]:
    """The tangent of the loss curve at ``(x0, loss0)``: two points ``x0 -+ half_width`` on the line
    ``L = loss0 + slope (x - x0)``. Returns ``(xs, ys)``, each of shape (2,)."""
    xs = np.array([x0 - half_width, x0 + half_width])
    return xs, loss0 + slope * (xs - x0)


class LossExplorer(ExplorerView):
    """A loss curve, the current point and its tangent; controls shown for the chosen loss only.

    Controls: ``kind`` (Dropdown), ``prediction`` and ``target`` (mse), ``score`` (cross_entropy),
    ``probability`` and ``label`` (binary_cross_entropy). ``readout`` (HTML) gives the loss and the
    gradient; ``point`` holds the last :class:`LossPoint`.
    """

    def __init__(self, kind: str, other_scores: np.ndarray, values: dict[str, float]) -> None:
        import ipywidgets as W

        super().__init__(FigureView(new_figure((5.4, 3.9), dpi=100)))
        self.other_scores = other_scores
        wide = {"description_width": "90px"}
        self.kind = W.Dropdown(options=[(label, k) for k, label in _LABELS.items()], value=kind,
                               description="loss", style=wide)
        self.prediction = W.FloatSlider(value=values["prediction"], min=-3, max=3, step=0.05,
                                        description="prediction ŷ", style=wide)
        self.target = W.FloatSlider(value=values["target"], min=-2, max=2, step=0.05,
                                    description="target y", style=wide)
        self.score = W.FloatSlider(value=values["score"], min=-6, max=6, step=0.1,
                                   description="score s₀", style=wide)
        self.probability = W.FloatSlider(value=values["probability"], min=0.001, max=0.999, step=0.001,
                                         readout_format=".3f", description="probability p", style=wide)
        self.label = W.ToggleButtons(options=[("y = 0", 0), ("y = 1", 1)], value=int(values["label"]),
                                     description="true label", style={**wide, "button_width": "70px"})
        self.readout = W.HTML()
        self._controls = {"mse": (self.prediction, self.target), "cross_entropy": (self.score,),
                          "binary_cross_entropy": (self.probability, self.label)}
        self._build_figure()
        self._assemble([self.kind, self.prediction, self.target, self.score, self.probability, self.label],
                       [self.readout])
        self._watch(self.prediction, self.target, self.score, self.probability, self.label)
        self.kind.observe(self._on_kind, names="value")
        self._set_kind()
        self.safe_update()

    def _build_figure(self) -> None:
        ax = self.view.figure.add_axes((0.12, 0.14, 0.84, 0.76))
        self.ax = ax
        ax.axhline(0.0, color=GRID, lw=0.8, zorder=0)
        # two curves: the loss (first line colour, solid), its tangent (second colour, dashed)
        self.curve, = ax.plot([], [], color=LINE_COLORS[0], ls=LINE_STYLES[0], lw=2, zorder=2, label="loss L")
        self.target_line = ax.axvline(0.0, color=MUTED, lw=1, ls=":", zorder=1)
        self.tangent, = ax.plot([], [], color=LINE_COLORS[1], ls=LINE_STYLES[1], lw=2, zorder=3,
                                label="tangent: slope = dL/dx")
        self.marker, = ax.plot([], [], "o", color=LINE_COLORS[1], mec=TEXT, ms=8, zorder=4)
        ax.legend(loc="upper center", fontsize=9, frameon=False)
        self.title = ax.set_title("", fontsize=10)
        self.view.animate(self.curve, self.target_line, self.tangent, self.marker)

    def _set_kind(self) -> None:
        kind = self.kind.value
        for k, controls in self._controls.items():
            for control in controls:
                control.layout.display = "" if k == kind else "none"
        name, (lo, hi), ylim = LOSS_KINDS[kind]
        self.xs = np.linspace(lo, hi, 300)
        self.ax.set_xlim(lo, hi)
        self.ax.set_ylim(*ylim)
        self.ax.set_xlabel(name)
        self.ax.set_ylabel("loss L")
        s1, s2 = self.other_scores
        self.title.set_text({"mse": "L = (ŷ − y)², the tangent's slope is dL/dŷ = 2 (ŷ − y)",
                             "cross_entropy": f"L = −log softmax(s₀, {s1:g}, {s2:g})[0], "
                                              f"dL/ds₀ = p₀ − 1",
                             "binary_cross_entropy": "L = −(y log p + (1 − y) log(1 − p)), "
                                                     "dL/dp = (p − y) / (p (1 − p))"}[kind])

    def _on_kind(self, change: Any = None) -> None:
        try:
            self._set_kind()
            self.view.redraw()              # limits, labels and title are static
        except Exception as exc:  # noqa: BLE001 - never raise into the front end
            self.show_message(f"{type(exc).__name__}: {exc}")
            return
        self.safe_update()

    def current(self) -> tuple[float, float]:
        """``(x, target)`` for the chosen loss, read from its controls."""
        kind = self.kind.value
        if kind == "mse":
            return self.prediction.value, self.target.value
        if kind == "cross_entropy":
            return self.score.value, 0.0
        return self.probability.value, float(self.label.value)

    def update(self) -> None:
        kind = self.kind.value
        x, target = self.current()
        point = loss_point(kind, x, target, self.other_scores)
        self.point = point
        self.curve.set_data(self.xs, loss_curve(kind, self.xs, target, self.other_scores))
        half = 0.12 * (self.xs[-1] - self.xs[0])
        self.tangent.set_data(*tangent_line(x, point.loss, point.gradient, half))
        self.marker.set_data([x], [point.loss])
        self.target_line.set_xdata([target, target])
        self.target_line.set_visible(kind == "mse")        # the minimum of the squared error
        text = f"loss L = <b>{point.loss:.4f}</b><br>gradient = slope = <b>{point.gradient:+.4f}</b>"
        if kind == "cross_entropy":
            p = ", ".join(f"{v:.3f}" for v in point.probabilities)
            text += f"<br>p = softmax(s) = ({p}); p₀ − 1 = {point.probabilities[0] - 1:+.4f}"
        elif kind == "mse":
            text += f"<br>2 (ŷ − y) = 2 × ({x:.2f} − {target:.2f})"
        else:
            text += "<br>steep near the wrong end: a confident mistake costs most"
        self.readout.value = text_block(text)
        self.view.refresh()

    def describe(self) -> str:
        kind = self.kind.value
        name = LOSS_KINDS[kind][0]
        x, target = self.current()
        point = self.point
        where = {"mse": f", the target y = {target:.2f} marked by a dotted vertical line",
                 "cross_entropy": "", "binary_cross_entropy": f", for the true label y = {target:g}"}[kind]
        return (f"The {_LABELS[kind]} L (solid line) against the {name}{where}; the point at {x:.3g} has "
                f"loss {point.loss:.3g}, and its tangent (dashed) has slope {point.gradient:+.3g}, the gradient.")

    def settings(self) -> dict[str, Any]:
        return dict(kind=self.kind.value, prediction=self.prediction.value, target=self.target.value,
                    score=self.score.value, probability=self.probability.value, label=self.label.value,
                    other_scores=tuple(float(v) for v in self.other_scores))


def loss_explorer(kind: str = "mse", *, prediction: float = 1.5, target: float = 0.0, score: float = 0.0,
                  probability: float = 0.3, label: int = 1, other_scores: Any = (1.0, -1.0)) -> LossExplorer:
    """An interactive loss: move the prediction and watch the loss, the point and its tangent.

    Args:
        kind: the loss shown first: "mse", "cross_entropy" or "binary_cross_entropy" (a dropdown
            switches between them).
        prediction, target: starting ``y_hat`` (in [-3, 3]) and ``y`` (in [-2, 2]) for the mse.
        score: starting score of the true class (in [-6, 6]) for the cross-entropy.
        probability, label: starting ``p`` (in [0.001, 0.999]) and label (0 or 1) for the binary
            cross-entropy.
        other_scores: the fixed scores of classes 1 and 2 for the cross-entropy.
    """
    fn = "loss_explorer"
    kind = check_choice(fn, "kind", kind, LOSS_KINDS)
    values = {}
    for name, value, lo, hi in (("prediction", prediction, -3, 3), ("target", target, -2, 2),
                                ("score", score, -6, 6), ("probability", probability, 0.001, 0.999)):
        v = _number(fn, name, value)
        if not lo <= v <= hi:
            raise ValueError(f"{fn}: {name} must be in [{lo:g}, {hi:g}] (the slider's range), got {v:g}")
        values[name] = v
    if label not in (0, 1) or isinstance(label, bool):
        raise ValueError(f"{fn}: label must be 0 or 1, got {label!r}")
    values["label"] = label
    _, _, others = _params(fn, "cross_entropy", 0.0, other_scores)
    return LossExplorer(kind, others, values)


LossExplorer.factory = staticmethod(loss_explorer)      # rebuilds it from settings() (the twin of ahead.py)
