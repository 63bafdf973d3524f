"""Neuron explorer (lesson 01): one neuron on the plane, its decision line, a small data set.

A neuron with two inputs computes ``z = w1 x1 + w2 x2 + b`` and ``a = act(z)``. Its **decision line**
is ``z = 0`` (where the sigmoid is 1/2, tanh and ReLU leave 0): the neuron answers "class 1" on the
side the weight vector ``w = (w1, w2)`` points to and "class 0" on the other. The explorer colours
the plane by ``a``, draws the line and ``w``, puts a two-class data set on top, and reads out the
accuracy of the line.

Model (pure functions, no widgets): :func:`neuron_output`, :func:`decision_line`,
:func:`line_accuracy`. View: :class:`NeuronExplorer`, made by :func:`neuron_explorer`.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..validation import as_float_array, as_label_array, check_choice, check_finite, describe
from ..layers import ACTIVATIONS
from ..plots.palette import CLASS_COLORS, CLASS_MARKERS, TEXT, centred_colormap
from .render import ExplorerView, FigureView, Heatmap, new_figure, text_block

__all__ = ["NEURON_ACTIVATIONS", "neuron_output", "decision_line", "line_accuracy", "on_the_line",
           "NeuronExplorer", "neuron_explorer"]

#: the activations the explorer offers (names of ``layers.ACTIVATIONS``), in the dropdown's order
NEURON_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")

# colour scale of each activation's output: (low, high); outputs beyond are shown saturated
_COLOUR_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 4.0), "linear": (-4.0, 4.0)}
# how much paler than the points the plane is drawn (0: the palette's full colours)
_PALE = 0.3


def on_the_line(activation: str) -> float:
    """The activation's output at ``z = 0``, on the decision line: where the colour scale is white."""
    name = check_choice("on_the_line", "activation", activation, NEURON_ACTIVATIONS)
    return float(ACTIVATIONS[name](np.zeros(1))[0])


def _real(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite number, got {describe(value)}")
    return float(value)


def neuron_output(X: Any, w1: float, w2: float, b: float, activation: str = "sigmoid") -> np.ndarray:
    """The neuron's output ``a = act(w1 x1 + w2 x2 + b)`` for every row of ``X``.

    Args:
        X: points of the plane, shape (N, 2) (or (..., 2): a grid of shape (G, G, 2) works too).
        w1, w2, b: the weights and the bias.
        activation: "sigmoid", "tanh", "relu" or "linear".
    Returns:
        ``a`` of shape ``X.shape[:-1]``.
    """
    fn = "neuron_output"
    X = as_float_array(fn, "X", X, allow_complex=False)
    if X.ndim < 1 or X.shape[-1] != 2:
        raise ValueError(f"{fn}: X must have 2 features in its last axis (shape (N, 2)), got shape {X.shape}")
    w1, w2, b = (_real(fn, n, v) for n, v in (("w1", w1), ("w2", w2), ("b", b)))
    act = ACTIVATIONS[check_choice(fn, "activation", activation, NEURON_ACTIVATIONS)]
    return act(X[..., 0] * w1 + X[..., 1] * w2 + b)


def decision_line(w1: float, w2: float, b: float, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Two points of the line ``w1 x1 + w2 x2 + b = 0`` spanning the square ``[-extent, extent]^2``.

    The line is parametrised along the axis where it is steeper, so it never needs a division by a
    tiny weight. Returns ``(x1s, x2s)``, each of shape (2,); both are empty when ``w1 = w2 = 0``
    (then ``z = b`` everywhere and there is no line). The points may lie outside the square when
    the line misses it; the plot clips them.
    """
    fn = "decision_line"
    w1, w2, b = (_real(fn, n, v) for n, v in (("w1", w1), ("w2", w2), ("b", b)))
    extent = _real(fn, "extent", extent)
    if extent <= 0:
        raise ValueError(f"{fn}: extent must be > 0, got {extent}")
    if w1 == 0 and w2 == 0:
        return np.empty(0), np.empty(0)
    ends = np.array([-extent, extent])
    if abs(w2) >= abs(w1):                        # x2 as a function of x1
        return ends, -(w1 * ends + b) / w2
    return -(w2 * ends + b) / w1, ends            # x1 as a function of x2


def line_accuracy(X: Any, y: Any, w1: float, w2: float, b: float) -> float:
    """Fraction of points on their class's side: class 1 where ``z > 0``, class 0 where ``z <= 0``.

    Args:
        X: points, shape (N, 2).
        y: labels 0/1, shape (N,).
    Returns:
        ``mean((z > 0) == (y == 1))``, a float in [0, 1].
    """
    fn = "line_accuracy"
    X = as_float_array(fn, "X", X, ndim=2, allow_complex=False)
    if X.shape[1] != 2:
        raise ValueError(f"{fn}: X must have shape (N, 2), got {X.shape}")
    y = as_label_array(fn, "y", y, num_classes=2, n=X.shape[0])
    z = neuron_output(X, w1, w2, b, "linear")
    return float(np.mean((z > 0) == (y == 1)))


def _data(fn: str, data: Any, seed: Any) -> tuple[np.ndarray, np.ndarray]:
    """The explorer's points: a built-in classification set by name, or the learner's (X, y)."""
    from ..data.datasets import DATASETS, make_dataset

    if isinstance(data, str):
        if DATASETS.get(data.lower()) == "regression":
            raise ValueError(f"{fn}: data must be a classification set, got the regression set {data!r}")
        X, y = make_dataset(data, n=60, noise=0.05, seed=seed)
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X = data[0]
        if isinstance(X, (np.ndarray, list, tuple)) and np.asarray(X).dtype.kind in "iub":
            X = np.asarray(X, dtype=np.float64)            # whole-number coordinates are fine here
        X = as_float_array(fn, "data[0] (X)", X, ndim=2, allow_complex=False)
        check_finite(fn, "data[0] (X)", X)
        if X.shape[1] != 2:
            raise ValueError(f"{fn}: data[0] (X) must have 2 features, shape (N, 2), got {X.shape}")
        y = as_label_array(fn, "data[1] (y)", data[1], num_classes=2, n=X.shape[0])
    else:
        raise TypeError(f"{fn}: data must be the name of a data set (e.g. 'gauss') or a pair (X, y), "
                        f"got {describe(data)}")
    if X.shape[0] and np.unique(y).size < 2:
        raise ValueError(f"{fn}: data must hold both classes 0 and 1, got only class {int(y[0])}")
    return X, y


class NeuronExplorer(ExplorerView):
    """Sliders ``w1``, ``w2``, ``b`` and a dropdown ``activation``; the plane coloured by the output.

    Controls (ipywidgets): ``w1``, ``w2``, ``b`` (FloatSlider), ``activation`` (Dropdown).
    ``readout`` (HTML) gives z's formula and the accuracy of the line; ``message`` says when there is
    no line. ``X``, ``y``: the points shown. ``grid`` (G, G, 2): where the output is computed.
    ``accuracy``: the accuracy of the line after the last update.

    Colours (``plots/palette.py``): class 0 blue circles, class 1 orange squares; the plane from blue
    through white to orange with the white at the activation's output on the decision line
    (``a = σ(0) = 0.5``, ``tanh(0) = 0``, ...), so the white band is the line, whatever the activation.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, w1: float, w2: float, b: float,
                 activation: str, resolution: int = 160, data: Any = "gauss", seed: int = 0) -> None:
        import ipywidgets as W

        super().__init__(FigureView(new_figure((5.4, 4.3), dpi=100)))
        self.X, self.y = X, y
        self._data, self._seed = data, seed
        self.extent = float(max(3.0, np.ceil(1.1 * np.abs(X).max()))) if X.size else 5.0
        ticks = np.linspace(-self.extent, self.extent, resolution)
        self.grid = np.stack(np.meshgrid(ticks, ticks), axis=-1)            # (G, G, 2)
        slider = dict(min=-3.0, max=3.0, step=0.05, continuous_update=True, readout_format=".2f")
        self.w1 = W.FloatSlider(value=w1, description="w1", **slider)
        self.w2 = W.FloatSlider(value=w2, description="w2", **slider)
        self.b = W.FloatSlider(value=b, min=-6.0, max=6.0, step=0.1, description="b", readout_format=".1f",
                               continuous_update=True)
        self.activation = W.Dropdown(options=list(NEURON_ACTIVATIONS), value=activation, description="activation")
        self.readout = W.HTML()
        self._build_figure()
        self._assemble([self.w1, self.w2, self.b, self.activation], [self.readout])
        self._watch(self.w1, self.w2, self.b)
        self.activation.observe(self._on_activation, names="value")
        self._set_colour_scale()
        self.safe_update()

    def _build_figure(self) -> None:
        fig = self.view.figure
        ax = fig.add_axes((0.11, 0.11, 0.66, 0.8))
        e = self.extent
        self.ax = ax
        # the plane in paler colours than the points, so that both classes' points stand out
        self.image = Heatmap(ax, (-e, e, -e, e), cmap=centred_colormap(0.0, 1.0, 0.5, pale=_PALE))
        self.colorbar = fig.colorbar(self.image.mappable, cax=fig.add_axes((0.8, 0.11, 0.035, 0.8)))
        # one scatter per class: its own colour and marker (class 0 circles, class 1 squares)
        self.points = [ax.scatter(self.X[self.y == k, 0], self.X[self.y == k, 1], color=CLASS_COLORS[k],
                                  marker=CLASS_MARKERS[k], s=28 if k == 0 else 24, edgecolors=TEXT,
                                  linewidths=0.7, zorder=3, label=f"class {k}") for k in (0, 1)]
        self.wrong = ax.scatter([], [], marker="x", s=46, color=TEXT, linewidths=1.4, zorder=4,
                                label="on the wrong side")
        self.line, = ax.plot([], [], color=TEXT, lw=2, zorder=5)
        self.arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6,
                                 arrowprops=dict(arrowstyle="->", lw=2, color=TEXT))
        self.arrow_label = ax.text(0, 0, "$w$", fontsize=13, color=TEXT, zorder=6)
        ax.set_xlim(-e, e)
        ax.set_ylim(-e, e)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        self.title = ax.set_title("")
        self.view.animate(self.image, self.points, self.wrong, self.line, self.arrow, self.arrow_label)

    def _set_colour_scale(self) -> None:
        name = self.activation.value
        low, high = _COLOUR_RANGE[name]
        self.image.set_cmap(centred_colormap(low, high, on_the_line(name), pale=_PALE))
        self.image.set_clim(low, high)
        self.colorbar.set_label(f"neuron output a = {name}(z)")
        self.title.set_text(f"a = {name}(w1 x1 + w2 x2 + b); the line is z = 0 "
                            f"(a = {on_the_line(name):g}, white)")
        self.title.set_fontsize(10)

    def _on_activation(self, change: Any = None) -> None:
        try:
            self._set_colour_scale()
            self.view.redraw()              # the colour bar and the title are static
        except Exception as exc:  # noqa: BLE001 - never raise into the front end
            self.show_message(f"{type(exc).__name__}: {exc}")
            return
        self.safe_update()

    def update(self) -> None:
        w1, w2, b = self.w1.value, self.w2.value, self.b.value
        self.image.set_data(neuron_output(self.grid, w1, w2, b, self.activation.value))
        self.line.set_data(*decision_line(w1, w2, b, self.extent))
        norm = math.hypot(w1, w2)
        z = self.X @ np.array([w1, w2]) + b
        wrong = (z > 0) != (self.y == 1)
        self.wrong.set_offsets(self.X[wrong] if wrong.any() else np.empty((0, 2)))
        if norm == 0:
            self.arrow.set_visible(False)
            self.arrow_label.set_visible(False)
            self.show_message(f"w1 = w2 = 0: z = b = {b:g} everywhere, so there is no line; every point "
                              f"gets class {1 if b > 0 else 0}.", level="info")
        else:
            unit = np.array([w1, w2]) / norm
            foot = -b * unit / norm                        # the point of the line nearest the origin
            self.arrow.xy, self.arrow.xyann = tuple(foot + unit), tuple(foot)
            self.arrow_label.set_position(tuple(foot + 1.25 * unit))
            self.arrow.set_visible(True)
            self.arrow_label.set_visible(True)
        accuracy = float(np.mean(~wrong)) if len(wrong) else float("nan")
        self.accuracy = accuracy
        self.readout.value = text_block(f"z = {w1:.2f}·x1 {'+' if w2 >= 0 else '−'} {abs(w2):.2f}·x2 "
                              f"{'+' if b >= 0 else '−'} {abs(b):.1f}<br>"
                              f"accuracy of the line: <b>{accuracy:.0%}</b> "
                              f"({int((~wrong).sum())} of {len(wrong)} points on their class's side; "
                              f"× marks the others)")
        self.view.refresh()

    def describe(self) -> str:
        name, (w1, w2, b) = self.activation.value, (self.w1.value, self.w2.value, self.b.value)
        middle = on_the_line(name)
        low, high = _COLOUR_RANGE[name]
        shades = (f"orange where a > {middle:g} (the class 1 side), " +
                  (f"white where a = {middle:g} (the line and the class 0 side)" if low == middle else
                   f"white on the line, blue where a < {middle:g} (the class 0 side)"))
        if w1 == 0 and w2 == 0:
            line = f"no decision line (w1 = w2 = 0: z = b = {b:g} everywhere)"
        else:
            line = f"the decision line {w1:.2f}·x1 {'+' if w2 >= 0 else '−'} {abs(w2):.2f}·x2 " \
                   f"{'+' if b >= 0 else '−'} {abs(b):.1f} = 0 with the arrow w pointing to the class 1 side"
        right = int(round(self.accuracy * len(self.y))) if len(self.y) else 0
        return (f"The plane x1, x2 from −{self.extent:g} to {self.extent:g}, coloured by the output a = {name}(z): "
                f"{shades}; {line}; {len(self.y)} points (class 0 blue circles, class 1 orange squares), "
                f"{right} on their class's side, crosses on the {len(self.y) - right} others.")

    def settings(self) -> dict[str, Any]:
        return dict(w1=self.w1.value, w2=self.w2.value, b=self.b.value, activation=self.activation.value,
                    data=self._data, seed=self._seed)


def neuron_explorer(w1: float = 1.0, w2: float = -1.0, b: float = 0.0, activation: str = "sigmoid",
                    data: Any = "gauss", seed: int = 0) -> NeuronExplorer:
    """An interactive neuron: move ``w1``, ``w2``, ``b``, pick the activation, watch the line.

    Args:
        w1, w2, b: starting weights (in [-3, 3]) and bias (in [-6, 6]).
        activation: "sigmoid", "tanh", "relu" or "linear".
        data: a built-in classification set by name ("gauss", "xor", "circle", "moons", "spiral";
            60 points, a little noise) or the learner's own pair ``(X, y)``, ``X`` (N, 2), ``y`` 0/1.
        seed: seed of a built-in set.
    Returns:
        a :class:`NeuronExplorer`; end a notebook cell with it to show it.
    """
    fn = "neuron_explorer"
    for name, value, lo, hi in (("w1", w1, -3, 3), ("w2", w2, -3, 3), ("b", b, -6, 6)):
        v = _real(fn, name, value)
        if not lo <= v <= hi:
            raise ValueError(f"{fn}: {name} must be in [{lo}, {hi}] (the slider's range), got {v}")
    activation = check_choice(fn, "activation", activation, NEURON_ACTIVATIONS)
    X, y = _data(fn, data, seed)
    return NeuronExplorer(X, y, float(w1), float(w2), float(b), activation, data=data, seed=seed)


NeuronExplorer.factory = staticmethod(neuron_explorer)      # rebuilds it from settings() (the twin of ahead.py)
