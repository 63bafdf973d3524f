"""Pictures for the course: computational graphs, loss curves, decision boundaries, step-size errors
and activation functions.

matplotlib only (no graphviz binary). Every function draws on ``ax`` (a new figure when ``ax`` is None)
and returns the Axes; none calls ``plt.show()``, so they run under the non-interactive Agg backend too.
Colours come from the course's one palette (``plots/palette.py``, Okabe-Ito colours, which stay
distinguishable with colour-blindness): class 0 is always blue and class 1 always orange, with a marker
of their own; several curves of one plot take ``LINE_COLORS`` and ``LINE_STYLES`` in order, so they differ
by more than colour. The computational-graph drawing, ``draw_graph``, lives in
``plots/graph.py`` and is importable from ``backprop_helpers.plots``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from ..validation import (as_float_array, as_label_array, check_choice, check_finite, check_positive,
                        check_positive_int, describe)
from ..autograd import Value, activate
from ..layers import ACTIVATIONS
from .palette import (CLASS_COLORS, CLASS_MARKERS, GRID, LINE_COLORS, LINE_STYLES, TEXT, ZERO,
                      diverging_colormap)
from .graph import draw_graph
from ..layers import sigmoid

__all__ = [
    "draw_graph", "plot_loss_curves", "plot_decision_boundary", "plot_step_size_errors",
    "plot_activation", "CLASS_COLORS", "CLASS_MARKERS",
]

#: training curves in the first line colour, test curves in the second
TRAIN_COLOR, TEST_COLOR = LINE_COLORS[0], LINE_COLORS[1]
#: the derivative estimates, as the step-size explorer draws them: (colour, line style) of each
_METHOD_STYLES = {name: (LINE_COLORS[i], LINE_STYLES[i])
                  for i, name in enumerate(("forward", "central", "complex", "backward"))}


def _new_axes(figsize: tuple[float, float]) -> Axes:
    _, ax = plt.subplots(figsize=figsize)
    return ax


# ==================================================================== training

def _series(fn: str, history: Any, name: str) -> np.ndarray:
    """``history.<name>`` (or ``history[name]``) as a float array, None -> NaN; empty if absent."""
    values = history.get(name) if isinstance(history, Mapping) else getattr(history, name, None)
    if values is None:
        return np.empty(0)
    try:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: history.{name} must be a list of numbers (or None), "
                        f"got {describe(values)}") from None


def plot_loss_curves(history: Any, ax: Axes | None = None) -> Axes:
    """Loss per epoch (train, and test if recorded), with accuracies on a second y axis if recorded.

    ``history`` has list attributes ``loss`` and optionally ``test_loss``, ``train_accuracy``,
    ``test_accuracy`` (empty or holding None when not measured), like ``training.History``. The loss
    axis is logarithmic when the losses span more than two decades. Returns the loss Axes.
    """
    fn = "plot_loss_curves"
    loss = _series(fn, history, "loss")
    if loss.size == 0:
        raise ValueError(f"{fn}: history.loss is empty (or missing); train for at least one epoch first, "
                         f"got {describe(history)}")
    curves = {"loss": loss, "test_loss": _series(fn, history, "test_loss"),
              "train_accuracy": _series(fn, history, "train_accuracy"),
              "test_accuracy": _series(fn, history, "test_accuracy")}
    epoch = _series(fn, history, "epoch")
    if ax is None:
        ax = _new_axes((6.4, 4.0))

    def draw(axes: Axes, key: str, color: str, style: str, label: str) -> None:
        y = curves[key]
        if y.size and np.isfinite(y).any():
            x = epoch[:y.size] if epoch.size >= y.size else np.arange(1, y.size + 1)
            axes.plot(x, y, ls=style, color=color, lw=1.8, label=label, marker="o" if y.size == 1 else None)

    # four curves, each its own (colour, line style): train blue, test vermilion; losses solid and
    # dashed, accuracies dash-dotted and dotted
    draw(ax, "loss", TRAIN_COLOR, LINE_STYLES[0], "train loss")
    draw(ax, "test_loss", TEST_COLOR, LINE_STYLES[1], "test loss")
    losses = np.concatenate([loss, curves["test_loss"]])
    losses = losses[np.isfinite(losses)]
    if losses.size and losses.min() > 0 and losses.max() / losses.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if any(np.isfinite(curves[k]).any() for k in ("train_accuracy", "test_accuracy")):
        twin = ax.twinx()
        draw(twin, "train_accuracy", TRAIN_COLOR, LINE_STYLES[2], "train accuracy")
        draw(twin, "test_accuracy", TEST_COLOR, LINE_STYLES[3], "test accuracy")
        accuracies = np.concatenate([curves["train_accuracy"], curves["test_accuracy"]])
        if np.nanmax(accuracies) <= 1:
            twin.set_ylim(0, 1.02)
        twin.set_ylabel("accuracy (dash-dotted, dotted)")
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
        twin.legend(handles, labels, loc="center right", fontsize="small")
    else:
        ax.legend(handles, labels, loc="upper right", fontsize="small")
    return ax


# ==================================================================== decision boundaries

def _class_labels(fn: str, name: str, y: Any, n: int) -> np.ndarray:
    """Class indices (N,), also from 0/1 targets of shape (N, 1) or whole-number floats."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.dtype.kind == "b" or (y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y))):
        y = y.astype(np.int64)
    return as_label_array(fn, name, y, n=n)


def _predictions(fn: str, out: Any, m: int) -> tuple[str, np.ndarray]:
    """Read ``predict_fn``'s answer on m grid points as ("classes", ints) or ("probability", P(class 1))."""
    out = np.asarray(out)
    if out.ndim == 0 or out.shape[0] != m or out.ndim > 2:
        raise ValueError(f"{fn}: predict_fn must return one prediction per point, shape ({m},) or ({m}, C), "
                         f"when given an array of shape ({m}, 2); it returned shape {out.shape}")
    if out.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: predict_fn must return numbers, got dtype {out.dtype}")
    if out.ndim == 2 and out.shape[1] > 1:
        return "classes", out.argmax(axis=1)        # scores or probabilities of each class
    out = out.reshape(m)
    if out.dtype.kind in "biu" or np.all(out == np.round(out)):
        if out.min() < 0:
            raise ValueError(f"{fn}: predict_fn returned negative class indices (min {out.min()})")
        return "classes", out.astype(np.int64)
    if np.all((out >= 0) & (out <= 1)):
        return "probability", out                   # P(class 1)
    return "probability", sigmoid(out.astype(np.float64))   # a raw score for class 1


def plot_decision_boundary(predict_fn: Callable[[np.ndarray], Any], X: Any, y: Any, ax: Axes | None = None,
                           resolution: int = 200, X_test: Any = None, y_test: Any = None,
                           padding: float = 0.5) -> Axes:
    """Shade the plane by the class ``predict_fn`` gives it, and overlay the points coloured by class.

    Args:
        predict_fn: maps an (M, 2) array to class indices (M,), to P(class 1) or a score (M,) / (M, 1),
            or to per-class scores/probabilities (M, C) (the largest wins).
        X, y: training points (N, 2) and their classes (N,) (or 0/1 targets (N, 1)): filled markers.
        X_test, y_test: optional test points, drawn hollow.
        resolution: grid points along each axis; padding: margin around the data, in data units.
    """
    fn = "plot_decision_boundary"
    if not callable(predict_fn):
        raise TypeError(f"{fn}: predict_fn must be a function (e.g. model.predict), "
                        f"got {describe(predict_fn)}")
    X = as_float_array(fn, "X", X, ndim=2, allow_complex=False)
    if X.shape[1] != 2:
        raise ValueError(f"{fn}: X must have 2 features to be drawn in the plane, got X.shape={X.shape}")
    check_finite(fn, "X", X)
    y = _class_labels(fn, "y", y, X.shape[0])
    if (X_test is None) != (y_test is None):
        raise ValueError(f"{fn}: pass both X_test and y_test, or neither")
    points = X
    if X_test is not None:
        X_test = as_float_array(fn, "X_test", X_test, ndim=2, allow_complex=False)
        if X_test.shape[1] != 2:
            raise ValueError(f"{fn}: X_test must have 2 features like X, got X_test.shape={X_test.shape}")
        check_finite(fn, "X_test", X_test)
        y_test = _class_labels(fn, "y_test", y_test, X_test.shape[0])
        points = np.vstack([X, X_test])
    resolution = check_positive_int(fn, "resolution", resolution, minimum=2)
    padding = check_positive(fn, "padding", padding, allow_zero=True)

    lo, hi = points.min(axis=0) - padding, points.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    kind, z = _predictions(fn, predict_fn(grid), grid.shape[0])
    z = z.reshape(xx.shape)
    k = 1 + max(int(y.max()), -1 if y_test is None else int(y_test.max()),
                int(z.max()) if kind == "classes" else 1)          # number of classes
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(max(k, 2))]
    if ax is None:
        ax = _new_axes((5.5, 5.0))
    if kind == "classes":
        ax.contourf(xx, yy, z, levels=np.arange(len(colors) + 1) - 0.5, cmap=ListedColormap(colors),
                    alpha=0.25)
        boundary = 0.5 if len(colors) == 2 else None
    else:
        cmap = (diverging_colormap() if colors[:2] == list(CLASS_COLORS[:2]) else
                LinearSegmentedColormap.from_list("class0_class1", [colors[0], ZERO, colors[1]]))
        ax.contourf(xx, yy, z, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.35)
        boundary = 0.5
    if boundary is not None and z.min() < boundary < z.max():
        ax.contour(xx, yy, z, levels=[boundary], colors=TEXT, linewidths=1.2)
    for c in range(k):
        style = dict(marker=CLASS_MARKERS[c % len(CLASS_MARKERS)], s=28, zorder=3)
        if np.any(y == c):
            ax.scatter(X[y == c, 0], X[y == c, 1], color=colors[c], edgecolors=ZERO, linewidths=0.6,
                       label=f"class {c}", **style)
        if y_test is not None and np.any(y_test == c):
            ax.scatter(X_test[y_test == c, 0], X_test[y_test == c, 1], facecolors="none",
                       edgecolors=colors[c], linewidths=1.3, label=f"class {c} (test)", **style)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


# ==================================================================== gradient checking and activations

def plot_step_size_errors(hs: Any, errors: Mapping[str, Any], ax: Axes | None = None) -> Axes:
    """Log-log plot of the error of several derivative estimates against the step size ``h``.

    ``errors`` maps a method name ("forward", "central", "complex step", ...) to absolute errors (one per
    h). Each curve's minimum is marked with a star; exact zeros (common for the complex step) cannot sit
    on a log axis and are drawn at a floor ten times below the smallest positive error, as the legend says.
    """
    fn = "plot_step_size_errors"
    hs = as_float_array(fn, "hs", hs, ndim=1, allow_complex=False)
    check_finite(fn, "hs", hs)
    if np.any(hs <= 0):
        raise ValueError(f"{fn}: hs must hold step sizes > 0, got min(hs) = {hs.min()}")
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError(f"{fn}: errors must be a non-empty dict {{method name: errors}}, "
                        f"got {describe(errors)}")
    curves = {}
    for name, e in errors.items():
        e = as_float_array(fn, f"errors[{name!r}]", e, ndim=1, allow_complex=False).astype(np.float64)
        if e.shape != hs.shape:
            raise ValueError(f"{fn}: errors[{name!r}] must have one error per step size, shape {hs.shape}, "
                             f"got {e.shape}")
        if np.any(e < 0):
            raise ValueError(f"{fn}: errors[{name!r}] must hold absolute errors >= 0, got {e.min()}")
        curves[str(name)] = np.where(np.isinf(e), np.nan, e)
    positive = np.concatenate([e[e > 0] for e in curves.values()])
    floor = float(10.0 ** np.floor(np.log10(positive.min()) - 1)) if positive.size else 1e-17
    if ax is None:
        ax = _new_axes((6.4, 4.5))
    order = np.argsort(hs)
    for i, (name, e) in enumerate(curves.items()):
        color, style = next((cs for key, cs in _METHOD_STYLES.items() if key in name.lower()),
                            (LINE_COLORS[i % len(LINE_COLORS)], LINE_STYLES[i % len(LINE_STYLES)]))
        shown = np.where(e == 0, floor, e)
        label = name
        if np.isfinite(e).any():
            j = int(np.nanargmin(e))
            label += f" (min {e[j]:.1e} at h={hs[j]:.0e})"
            ax.loglog(hs[j], shown[j], marker="*", ms=14, color=color, mec=TEXT, ls="none", zorder=4,
                      label="_nolegend_")
        if np.any(e == 0):
            label += f", zeros drawn at {floor:.0e}"
        ax.loglog(hs[order], shown[order], marker="o", ms=3, lw=1.5, color=color, ls=style, label=label)
    ax.set_xlabel("step size h")
    ax.set_ylabel("absolute error")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax




def plot_activation(name_or_fn: str | Callable[[np.ndarray], Any], ax: Axes | None = None,
                    x: Any = np.linspace(-5.0, 5.0, 400)) -> Axes:
    """Plot an activation function ``f`` (solid) and its derivative ``f'`` (dashed) over ``x``.

    A name (relu, leaky_relu, tanh, sigmoid, linear) is differentiated exactly by the ``Value`` engine;
    a function of a numpy array by central differences ``(f(x + h) - f(x - h)) / 2h``.
    """
    fn = "plot_activation"
    x = as_float_array(fn, "x", x, ndim=1, allow_complex=False).astype(np.float64)
    check_finite(fn, "x", x)
    if isinstance(name_or_fn, str):
        name = check_choice(fn, "name_or_fn", name_or_fn, ACTIVATIONS)
        f, df = np.empty_like(x), np.empty_like(x)
        for i, xi in enumerate(x):
            v = Value(xi)
            out = activate(v, name)
            out.backward()
            f[i], df[i] = out.data, v.grad
    elif callable(name_or_fn):
        name = getattr(name_or_fn, "__name__", "f")
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        try:
            f, plus, minus = (np.asarray(name_or_fn(t), dtype=np.float64) for t in (x, x + h, x - h))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: name_or_fn must map a numpy array to an array of numbers "
                            f"({exc})") from None
        if f.shape != x.shape:
            raise ValueError(f"{fn}: name_or_fn must return one value per input, shape {x.shape}, "
                             f"got {f.shape}")
        df = (plus - minus) / (2 * h)
    else:
        raise TypeError(f"{fn}: name_or_fn must be an activation name ({', '.join(ACTIVATIONS)}) "
                        f"or a function, got {describe(name_or_fn)}")
    if ax is None:
        ax = _new_axes((5.0, 3.5))
    ax.axhline(0, color=GRID, lw=0.8)
    ax.axvline(0, color=GRID, lw=0.8)
    ax.plot(x, f, color=LINE_COLORS[0], ls=LINE_STYLES[0], lw=2, label=f"{name}(x)")
    ax.plot(x, df, color=LINE_COLORS[1], ls=LINE_STYLES[1], lw=2, label=f"{name}'(x)")
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax
