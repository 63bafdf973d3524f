"""The model of the gradient-descent explorer (lesson 06): loss surfaces of two parameters, runs on them.

Each surface is a pure function of ``(x, y)``, the two parameters, together with its gradient; both
work on plain floats and on numpy arrays of any (equal) shape, and use no ``**`` (a float ``**``
raises on overflow, a product gives ``inf``). A :class:`Surface` bundles them with where to look
(the plotted window), its minima, and a start point and learning rate that show its character:

- ``bowl``: ``L = (x² + y²)/2``, curvature 1 in every direction: the easy case; ``η < 2``.
- ``ravine``: ``L = x²/20 + 2y²``, curvatures 0.1 and 4 (condition number 40): plain gradient
  descent zigzags across and crawls along; ``η < 0.5``; momentum helps.
- ``saddle``: ``L = x²/2 − y²/2 + y⁴/4``, a saddle point at the origin between two minima at
  ``(0, ±1)``: started near ``y = 0``, descent slows to a crawl at the saddle before escaping.
- ``rosenbrock``: ``L = (1 − x)² + 100 (y − x²)²``, a curved, narrow valley with the minimum at
  ``(1, 1)``: the classic hard case (curvature up to about 2000 at the start).
- ``two_minima``: ``L = (x² − 1)² + 0.3x + y²``, a global minimum near ``x = −1.04`` and a local
  one near ``x = 0.96``: where descent ends depends on where it starts.

``SURFACES`` maps each name to its :class:`Surface`. ``surface.loss(theta)`` and
``surface.grad(theta)`` take ``theta`` of shape (..., 2) and return shapes (...) and (..., 2).

:func:`descend` runs the lesson's update steps (``sgd_step``, ``momentum_step``, ``adam_step`` of
``backprop_helpers.reference``, which ``backprop_helpers.optim`` computes too) on a surface and stops a
run that diverges; :func:`loss_axis` chooses the scale of the loss-per-step plot; :func:`where_it_ended`
says where a run stopped. No widgets here.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from ..validation import as_float_array, check_choice, check_positive, check_positive_int, describe
from .. import reference

__all__ = ["Surface", "SURFACES", "bowl", "bowl_grad", "ravine", "ravine_grad", "saddle", "saddle_grad",
           "rosenbrock", "rosenbrock_grad", "two_minima", "two_minima_grad", "DescentRun", "descend",
           "escape_bound", "loss_axis", "where_it_ended", "DESCENT_OPTIMIZERS", "ESCAPE", "FLOOR"]

#: the optimizers a run can use: the lesson's steps in ``backprop_helpers.reference``
DESCENT_OPTIMIZERS = ("sgd", "momentum", "adam")


def bowl(x: Any, y: Any) -> Any:
    """``L = (x² + y²) / 2``."""
    return 0.5 * (x * x + y * y)


def bowl_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """``(dL/dx, dL/dy) = (x, y)``."""
    return 1.0 * x, 1.0 * y


def ravine(x: Any, y: Any) -> Any:
    """``L = x²/20 + 2 y²``: curvature 0.1 along x, 4 across."""
    return 0.05 * x * x + 2.0 * y * y


def ravine_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """``(x/10, 4y)``."""
    return 0.1 * x, 4.0 * y


def saddle(x: Any, y: Any) -> Any:
    """``L = x²/2 − y²/2 + y⁴/4``: a saddle point at (0, 0), minima ``−1/4`` at ``(0, ±1)``."""
    y2 = y * y
    return 0.5 * x * x - 0.5 * y2 + 0.25 * y2 * y2


def saddle_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """``(x, y³ − y)``."""
    return 1.0 * x, y * y * y - y


def rosenbrock(x: Any, y: Any) -> Any:
    """``L = (1 − x)² + 100 (y − x²)²``, minimum 0 at (1, 1)."""
    a, r = 1.0 - x, y - x * x
    return a * a + 100.0 * r * r


def rosenbrock_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """``(−2(1 − x) − 400 x (y − x²), 200 (y − x²))``."""
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def two_minima(x: Any, y: Any) -> Any:
    """``L = (x² − 1)² + 0.3 x + y²``: two minima on the x-axis, the left one lower."""
    q = x * x - 1.0
    return q * q + 0.3 * x + y * y


def two_minima_grad(x: Any, y: Any) -> tuple[Any, Any]:
    """``(4x (x² − 1) + 0.3, 2y)``."""
    return 4.0 * x * (x * x - 1.0) + 0.3, 2.0 * y


def _two_minima_points() -> tuple[np.ndarray, np.ndarray]:
    """The stationary points of two_minima on the x-axis: roots of 4x³ − 4x + 0.3 (two minima, one saddle)."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    points = np.column_stack([roots, np.zeros(3)])
    return points[[0, 2]], points[[1]]


@dataclass(frozen=True)
class Surface:
    """A loss surface of two parameters and what the explorer needs to show it.

    Attributes:
        name, formula: its key in ``SURFACES`` and ``L(x, y)`` as text.
        function, gradient: ``(x, y) -> L`` and ``(x, y) -> (dL/dx, dL/dy)``, elementwise.
        xlim, ylim: the plotted window. minima: (K, 2), the global minimum first. saddles: (S, 2).
        min_value: ``L`` at the global minimum. start, lr, steps: a run that shows the surface's
        character with plain gradient descent. note: what to look at, one sentence.
    """
    name: str
    formula: str
    function: Callable[[Any, Any], Any]
    gradient: Callable[[Any, Any], tuple[Any, Any]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: np.ndarray
    saddles: np.ndarray
    start: tuple[float, float]
    lr: float
    steps: int
    note: str

    @property
    def min_value(self) -> float:
        return float(self.function(*self.minima[0]))

    def _theta(self, fn: str, theta: Any) -> np.ndarray:
        theta = as_float_array(f"Surface.{fn} ({self.name})", "theta", theta, allow_complex=False)
        if theta.shape[-1:] != (2,):
            raise ValueError(f"Surface.{fn} ({self.name}): theta must have shape (..., 2), the two "
                             f"parameters in its last axis, got shape {theta.shape}")
        return theta

    def loss(self, theta: Any) -> np.ndarray:
        """``L`` at every point: ``theta`` of shape (..., 2) -> shape (...)."""
        theta = self._theta("loss", theta)
        return np.asarray(self.function(theta[..., 0], theta[..., 1]))

    def grad(self, theta: Any) -> np.ndarray:
        """``(dL/dx, dL/dy)`` at every point: ``theta`` of shape (..., 2) -> shape (..., 2)."""
        theta = self._theta("grad", theta)
        return np.stack(self.gradient(theta[..., 0], theta[..., 1]), axis=-1)


_NONE = np.empty((0, 2))
_TWO_MINIMA, _TWO_SADDLE = _two_minima_points()

#: name -> Surface
SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("bowl", "L = (x² + y²)/2", bowl, bowl_grad, (-3.0, 3.0), (-3.0, 3.0),
            np.zeros((1, 2)), _NONE, (-2.5, 2.0), 0.1, 50,
            "the same curvature (1) in every direction: any η < 2 converges, η = 1 in one step"),
    Surface("ravine", "L = x²/20 + 2y²", ravine, ravine_grad, (-6.0, 6.0), (-3.0, 3.0),
            np.zeros((1, 2)), _NONE, (-5.5, 1.5), 0.2, 60,
            "curvature 4 across, 0.1 along: η < 0.5 for the steep direction, and then the flat one crawls"),
    Surface("saddle", "L = x²/2 − y²/2 + y⁴/4", saddle, saddle_grad, (-3.0, 3.0), (-2.0, 2.0),
            np.array([[0.0, 1.0], [0.0, -1.0]]), np.zeros((1, 2)), (-2.5, 0.02), 0.1, 80,
            "near y = 0 the gradient across is tiny: descent stalls at the saddle (0, 0), then escapes"),
    Surface("rosenbrock", "L = (1 − x)² + 100(y − x²)²", rosenbrock, rosenbrock_grad, (-2.0, 2.0),
            (-1.0, 3.0), np.ones((1, 2)), _NONE, (-1.2, 1.0), 0.002, 300,
            "a curved, narrow valley: its steep walls allow only a tiny η, so plain descent crawls along "
            "the floor; try momentum"),
    Surface("two_minima", "L = (x² − 1)² + 0.3x + y²", two_minima, two_minima_grad, (-2.0, 2.0),
            (-1.5, 1.5), _TWO_MINIMA, _TWO_SADDLE, (1.6, 1.2), 0.05, 40,
            "two valleys: the start decides which minimum descent finds, and the right one is only local"),
)}


# ============================================================ gradient descent on a surface

ESCAPE = 100.0        # a point this many times farther out than the window reaches has diverged
FLOOR = 1e-12         # L - L* below this is drawn at this height on the log axis


class DescentRun(NamedTuple):
    """A run of gradient descent: the points visited (all finite), their losses, and how it ended.

    ``path`` (k+1, 2) starts at the start point; ``losses`` (k+1,); ``diverged_at``: the step whose
    point had ``|x|`` or ``|y|`` above ``bound`` or a loss that is not finite (then ``path`` stops
    before it), else None; ``steps_to_tolerance``: the first step with ``L - L* <= tolerance``, else
    None; ``bound``: the bound the run used.
    """
    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    steps_to_tolerance: int | None
    bound: float


def escape_bound(surface: Surface) -> float:
    """``ESCAPE`` times the largest ``|x|`` or ``|y|`` of the surface's window."""
    return ESCAPE * max(abs(v) for v in (*surface.xlim, *surface.ylim))


def _surface(fn: str, surface: Any) -> Surface:
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check_choice(fn, "surface", surface, SURFACES)]


def descend(surface: Any, start: Any, optimizer: str = "sgd", lr: float = 0.1, momentum: float = 0.9,
            steps: int = 50, *, tolerance: float = 1e-3, bound: float | None = None) -> DescentRun:
    """Run ``steps`` steps of ``optimizer`` on a surface from ``start``, stopping if it diverges.

    Each step computes the gradient ``g`` at ``theta = (x, y)`` and applies the lesson's update
    (``backprop_helpers.reference``): ``sgd_step``, ``theta <- theta - lr g``; ``momentum_step``,
    ``v <- mu v - lr g, theta <- theta + v``; ``adam_step`` with ``beta1 = momentum``. A step whose point has ``|x|`` or ``|y|``
    above ``bound`` (or not finite) ends the run: it *diverged*. The default bound,
    :func:`escape_bound`, is 100 times the window's reach: a point so far out only flies further,
    and stopping there keeps every number far from overflow.

    Args:
        surface: a name in ``SURFACES`` or a :class:`Surface`. start: ``(x, y)``.
        optimizer: "sgd", "momentum" or "adam". lr: the learning rate (> 0).
        momentum: mu of "momentum", beta1 of "adam", in [0, 1); unused by "sgd".
        steps: number of steps (>= 0). tolerance: the "close to the minimum" threshold on ``L - L*``.
        bound: see above; None: ``escape_bound(surface)``.
    Returns:
        a :class:`DescentRun`.
    """
    fn = "descend"
    s = _surface(fn, surface)
    if (not isinstance(start, (tuple, list, np.ndarray)) or len(start) != 2
            or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
                       for v in start)):
        raise ValueError(f"{fn}: start must be two finite numbers (x, y), got {describe(start)}")
    key = check_choice(fn, "optimizer", optimizer, DESCENT_OPTIMIZERS)
    lr = check_positive(fn, "lr", lr)
    momentum = check_positive(fn, "momentum", momentum, allow_zero=True)
    if momentum >= 1:
        raise ValueError(f"{fn}: momentum must be in [0, 1), got {momentum!r}")
    steps = check_positive_int(fn, "steps", steps, minimum=0)
    tolerance = check_positive(fn, "tolerance", tolerance)
    bound = escape_bound(s) if bound is None else check_positive(fn, "bound", bound)
    theta = np.array(start, dtype=np.float64)
    g = np.empty(2)
    params, grads = {"theta": theta}, {"theta": g}        # the lesson's dicts, around theta and g
    velocity = {"theta": np.zeros(2)}                                          # momentum's
    state = {"t": 0, "m": {"theta": np.zeros(2)}, "s": {"theta": np.zeros(2)}}  # Adam's
    path = np.empty((steps + 1, 2))
    path[0] = theta
    gradient, diverged_at, n = s.gradient, None, steps + 1
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            g[0], g[1] = gradient(theta[0], theta[1])
            # the lesson's step for the chosen optimizer; each updates theta in place
            if key == "sgd":
                reference.sgd_step(params, grads, lr)
            elif key == "momentum":
                reference.momentum_step(params, grads, velocity, lr, momentum)
            else:
                reference.adam_step(params, grads, state, lr, beta1=momentum)
            if not (abs(theta[0]) <= bound and abs(theta[1]) <= bound):     # NaN fails this too
                diverged_at, n = k, k
                break
            path[k] = theta
        path = path[:n]
        losses = np.asarray(s.function(path[:, 0], path[:, 1]), dtype=np.float64)
    finite = np.isfinite(losses)
    if not finite.all():                       # a huge bound: the loss overflowed before the point did
        n = int(np.argmin(finite))
        if n == 0:
            raise ValueError(f"{fn}: the loss at start {tuple(start)} is not finite ({losses[0]})")
        path, losses, diverged_at = path[:n], losses[:n], n
    close = np.flatnonzero(losses - s.min_value <= tolerance)
    return DescentRun(path, losses, diverged_at, int(close[0]) if close.size else None, bound)


def _nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 (times a power of 10) that is >= v."""
    if v <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(v))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= v * (1 - 1e-12))


def loss_axis(above_min: Any, floor: float = FLOOR) -> tuple[str, float, float]:
    """Scale and limits of the loss-per-step axes for the values ``L - L*`` (>= 0).

    Log scale when the values span a factor of 10 or more: from the decade above the largest value
    down to at least one decade below the smallest (at least ``floor``), the lower limit a power of
    1000 (1e-3, 1e-6, ...). Otherwise linear, from 0 to a round number about a third above the
    largest. The limits depend on the values alone, so the same run is always drawn on the same axes;
    changing the axes means drawing the whole figure again (ten times the cost of a slider move or
    more), and the coarse lower limit keeps that rare while a slider moves. Returns
    ``(scale, low, high)``.
    """
    v = np.maximum(np.asarray(above_min, dtype=np.float64), floor)
    top, bottom = float(v.max()), float(v.min())
    if top >= 10 * bottom:
        exponent = 3 * math.floor((math.floor(math.log10(bottom) + 1e-9) - 1) / 3)
        low = max(10.0 ** exponent, floor)
        return "log", low, max(10.0 ** math.ceil(math.log10(top) - 1e-9), 10 * low)
    return "linear", 0.0, _nice_ceiling(1.3 * top)


def where_it_ended(surface: Surface, run: DescentRun) -> str:
    """Where the run ended, in words: near which minimum or saddle point, or nowhere special."""
    end = run.path[-1]
    for kind, points in (("minimum", surface.minima), ("saddle point", surface.saddles)):
        for j, p in enumerate(points):
            if np.hypot(*(end - p)) < 0.05:
                which = "" if kind != "minimum" or len(points) == 1 else (" (the global one)" if j == 0 else
                                                                         " (a local one, not the lowest)")
                return f"near the {kind} ({p[0]:.2f}, {p[1]:.2f}){which}"
    return f"at ({_coordinate(end[0])}, {_coordinate(end[1])})"


def _coordinate(v: float) -> str:
    return f"{v + 0.0:.2f}" if abs(v) < 1e4 else f"{v:.1e}"
