"""Step-size explorer (lesson 03): the error of a numerical derivative against the step h.

For a function ``f`` at ``x0`` and a step ``h``, three estimates of ``f'(x0)``:

- forward difference ``(f(x0 + h) - f(x0)) / h``: truncation error ``h |f''| / 2``;
- central difference ``(f(x0 + h) - f(x0 - h)) / (2h)``: truncation error ``h**2 |f'''| / 6``;
- complex step ``Im f(x0 + ih) / h``: truncation error ``h**2 |f'''| / 6``, and no subtraction.

The two differences also carry a round-off error of about ``eps |f| / h`` (``eps`` = machine epsilon
of the number type), which grows as h shrinks. Balancing the two gives the best h: about
``eps**(1/2)`` for the forward difference and ``eps**(1/3)`` for the central one. The complex step
has no round-off from a subtraction, so every small h works.

The errors come from ``backprop_helpers.gradcheck.step_size_errors`` (also in ``gradcheck``).
Model (pure functions): :func:`error_curves`, :func:`errors_at`, :func:`best_h_theory`,
:func:`best_h_measured`, :func:`explain_best_h`. View: :class:`StepSizeExplorer`, made by
:func:`step_size_explorer`.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np

from ..validation import check_choice, describe
from ..gradcheck.step_sizes import StepSizeErrors, step_size_errors
from ..plots.palette import GRID, LINE_COLORS, LINE_MARKERS, LINE_STYLES, TEXT
from .render import ExplorerView, FigureView, new_figure, small_text, text_block

__all__ = ["FUNCTIONS", "METHODS", "error_curves", "errors_at", "best_h_theory", "best_h_measured",
           "explain_best_h", "StepSizeExplorer", "step_size_explorer"]


def _exp_sin(x):
    return np.exp(x) * np.sin(x)


def _exp_sin_prime(x):
    return np.exp(x) * (np.sin(x) + np.cos(x))


#: name -> (f, f'); each f accepts real and complex scalars (needed by the complex step)
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sin(x)": (np.sin, np.cos),
    "exp(x) sin(x)": (_exp_sin, _exp_sin_prime),
    "x**3": (lambda x: x ** 3, lambda x: 3 * x ** 2),
    "tanh(x)": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}
#: the three estimates, as named in ``StepSizeErrors``
METHODS = ("forward", "central", "complex_step")
_DTYPES = {"float64": np.float64, "float32": np.float32}
#: errors of exactly 0 are drawn at this floor on the log axis
ERROR_FLOOR = 1e-17
#: the h of the curves: 61 steps, 4 per decade, from 1e-16 to 1e-1
CURVE_H = np.logspace(-16, -1, 61)


def _function(fn: str, function: Any) -> tuple[Callable, Callable]:
    if not isinstance(function, str) or function not in FUNCTIONS:
        raise ValueError(f"{fn}: function must be one of {list(FUNCTIONS)}, got {describe(function)}")
    return FUNCTIONS[function]


def _dtype(fn: str, dtype: Any) -> str:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    return check_choice(fn, "dtype", name, _DTYPES)


def _x0(fn: str, x0: Any) -> float:
    if isinstance(x0, bool) or not isinstance(x0, numbers.Real) or not math.isfinite(x0):
        raise TypeError(f"{fn}: x0 must be a finite number, got {describe(x0)}")
    return float(x0)


def error_curves(function: str = "sin(x)", dtype: Any = "float64", x0: float = 1.0,
                 hs: Any = None) -> StepSizeErrors:
    """Relative errors of the three estimates of ``f'(x0)`` for every step in ``hs``.

    Args:
        function: a key of ``FUNCTIONS``.
        dtype: "float64" or "float32" (or the numpy types): the precision ``f`` is evaluated in.
        x0: the point.
        hs: steps, shape (M,); default ``CURVE_H`` (1e-16 to 1e-1).
    Returns:
        ``StepSizeErrors(h, forward, central, complex_step)``, each of shape (M,).
    """
    fn = "error_curves"
    f, df = _function(fn, function)
    dt = _DTYPES[_dtype(fn, dtype)]
    hs = CURVE_H if hs is None else hs
    return step_size_errors(f, df, _x0(fn, x0), hs, dtype=dt)


def errors_at(function: str, h: float, dtype: Any = "float64", x0: float = 1.0) -> dict[str, float]:
    """The three relative errors at one step ``h``: ``{"forward": ..., "central": ...,
    "complex_step": ...}``."""
    fn = "errors_at"
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not (math.isfinite(h) and h > 0):
        raise ValueError(f"{fn}: h must be a finite step > 0, got {describe(h)}")
    f, df = _function(fn, function)
    dt = _DTYPES[_dtype(fn, dtype)]
    errs = step_size_errors(f, df, _x0(fn, x0), np.array([float(h)]), dtype=dt)
    return {m: float(getattr(errs, m)[0]) for m in METHODS}


def best_h_theory(dtype: Any = "float64") -> dict[str, float]:
    """Where truncation meets round-off: ``eps**(1/2)`` (forward) and ``eps**(1/3)`` (central)."""
    eps = float(np.finfo(_DTYPES[_dtype("best_h_theory", dtype)]).eps)
    return {"forward": eps ** 0.5, "central": eps ** (1 / 3)}


def best_h_measured(errors: StepSizeErrors) -> dict[str, tuple[float, float]]:
    """``{method: (h, error)}`` at each curve's smallest error (the largest such h on ties, which
    for the complex step is the first h that reaches machine precision)."""
    out = {}
    for m in METHODS:
        e = np.asarray(getattr(errors, m))
        ties = np.flatnonzero(e == e.min())
        i = ties[np.argmax(errors.h[ties])]
        out[m] = (float(errors.h[i]), float(e[i]))
    return out


def explain_best_h(dtype: Any = "float64") -> str:
    """One paragraph: the best h of each estimate in this precision, and why."""
    name = _dtype("explain_best_h", dtype)
    eps = float(np.finfo(_DTYPES[name]).eps)
    best = best_h_theory(name)
    return (f"In {name}, eps = {eps:.1e}. Forward difference: the truncation error h|f''|/2 meets the "
            f"round-off eps|f|/h near h = eps^(1/2) = {best['forward']:.1e}. Central difference: "
            f"h²|f'''|/6 meets eps|f|/h near h = eps^(1/3) = {best['central']:.1e}, a larger step "
            f"and a much smaller error. Complex step: no subtraction, so no round-off to balance; "
            f"any small h (1e-8 or below) gives the derivative to about eps.")


class StepSizeExplorer(ExplorerView):
    """Log-log error curves of the three estimates; the slider's h marked with its three errors.

    Controls: ``h`` (FloatLogSlider, 1e-16..1e-1), ``dtype`` (ToggleButtons float64/float32),
    ``function`` (Dropdown). ``readout`` (HTML): the three errors at h and the best steps;
    ``explanation`` (HTML): why the best h is where it is. ``errors``: the curves shown;
    ``current_errors``: the three errors at the slider's h (a dict, as :func:`errors_at` returns).
    """

    # each estimate: its colour, line style and marker (the palette's first three), and the words for
    # its line style, so that the curves differ by more than colour
    _COLOURS = dict(zip(METHODS, LINE_COLORS))
    _STYLES = dict(zip(METHODS, LINE_STYLES))
    _MARKERS = dict(zip(METHODS, LINE_MARKERS))
    _STYLE_WORDS = {"forward": "solid", "central": "dashed", "complex_step": "dash-dotted"}
    _LABELS = {"forward": "forward", "central": "central", "complex_step": "complex step"}

    def __init__(self, function: str, h: float, dtype: str, x0: float) -> None:
        import ipywidgets as W

        super().__init__(FigureView(new_figure((5.4, 4.0), dpi=100)))
        self.x0 = x0
        # the slider's own readout is too narrow for "3.2e-09": h is written in the readout below
        self.h = W.FloatLogSlider(value=h, base=10, min=-16, max=-1, step=0.25, description="step h",
                                  readout=False)
        self.dtype = W.ToggleButtons(options=list(_DTYPES), value=dtype, description="precision",
                                     tooltips=["compute f in double precision",
                                               "compute f in single precision"],
                                     style={"button_width": "84px", "description_width": "64px"})
        self.function = W.Dropdown(options=list(FUNCTIONS), value=function, description="f(x)")
        self.readout = W.HTML()
        self.explanation = W.HTML()
        self._build_figure()
        self._assemble([self.function, self.dtype, self.h], [self.readout, self.explanation])
        self._watch(self.h)
        self.dtype.observe(self._on_curves, names="value")
        self.function.observe(self._on_curves, names="value")
        self._set_curves()
        self.safe_update()

    def _build_figure(self) -> None:
        ax = self.view.figure.add_axes((0.15, 0.13, 0.82, 0.78))
        self.ax = ax
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(10 ** -16.3, 10 ** -0.7)
        ax.set_ylim(ERROR_FLOOR / 3, 30)
        ax.set_xlabel("step h")
        ax.set_ylabel("relative error of f'(x0)")
        ax.grid(True, which="major", color=GRID, lw=0.6)
        self.curves = {m: ax.plot(CURVE_H, np.ones_like(CURVE_H), color=c, ls=self._STYLES[m], lw=1.8,
                                  label=self._LABELS[m])[0]
                       for m, c in self._COLOURS.items()}
        self.theory = {m: ax.axvline(1.0, color=self._COLOURS[m], lw=1, ls=":")
                       for m in ("forward", "central")}
        ax.legend(loc="lower left", fontsize=9)
        self.title = ax.set_title("", fontsize=10)
        self.h_line = ax.axvline(1e-5, color=TEXT, lw=1.2, zorder=4)
        self.markers = {m: ax.plot([], [], self._MARKERS[m], color=c, ms=8, mec=TEXT, zorder=5)[0]
                        for m, c in self._COLOURS.items()}
        self.view.animate(self.h_line, *self.markers.values())

    def _set_curves(self) -> None:
        """The curves, the theoretical best steps and the title: static, redrawn on a change."""
        dtype, function = self.dtype.value, self.function.value
        self.errors = error_curves(function, dtype, self.x0)
        for m, line in self.curves.items():
            line.set_ydata(np.maximum(getattr(self.errors, m), ERROR_FLOOR))
        for m, h in best_h_theory(dtype).items():
            self.theory[m].set_xdata([h, h])
        self.title.set_text(f"{function} at x0 = {self.x0:g} in {dtype}; dotted: eps^(1/2), eps^(1/3)")
        self.explanation.value = text_block(small_text(explain_best_h(dtype)))

    def _on_curves(self, change: Any = None) -> None:
        try:
            self._set_curves()
            self.view.redraw()
        except Exception as exc:  # noqa: BLE001 - never raise into the front end
            self.show_message(f"{type(exc).__name__}: {exc}")
            return
        self.safe_update()

    def update(self) -> None:
        h, dtype = float(self.h.value), self.dtype.value
        errs = errors_at(self.function.value, h, dtype, self.x0)
        self.current_errors = errs
        self.h_line.set_xdata([h, h])
        for m, marker in self.markers.items():
            marker.set_data([h], [max(errs[m], ERROR_FLOOR)])
        best = best_h_measured(self.errors)
        rows = []
        for m, label in self._LABELS.items():
            err = errs[m]
            shown = f"{err:.1e}" if err > 0 else "0 (exact)"
            if m == "complex_step":
                side = "no round-off"
            else:
                best_h = best[m][0]
                side = "round-off side" if h < best_h else "truncation side" if h > best_h else "best h"
            rows.append(f"<tr><td style='padding-right: 8px'>{self._swatch(m)} <b>{label}</b><br>"
                        f"{small_text(self._STYLE_WORDS[m])}</td>"
                        f"<td style='text-align:right; padding-right: 8px; white-space: nowrap'>{shown}</td>"
                        f"<td>{side}</td></tr>")
        self.readout.value = text_block(
            f"<b>h = {h:.1e}</b>, {dtype}, errors:<table>" + "".join(rows) + "</table>"
            f"best h measured: forward {best['forward'][0]:.0e}, central {best['central'][0]:.0e}, "
            f"complex step {best['complex_step'][0]:.0e} and below")
        self.view.refresh()

    def _swatch(self, method: str) -> str:
        """A short piece of the method's curve (its colour and dashes), as in the plot's legend; the
        name next to it is in the text colour, which is easier to read than the line colours."""
        dash = {"solid": "", "dashed": "6 3", "dash-dotted": "6 2 1.5 2"}[self._STYLE_WORDS[method]]
        return (f'<svg width="26" height="8" aria-hidden="true" style="vertical-align: middle">'
                f'<line x1="0" y1="4" x2="26" y2="4" stroke="{self._COLOURS[method]}" stroke-width="2.5" '
                f'stroke-dasharray="{dash}"/></svg>')

    def describe(self) -> str:
        h, errs = float(self.h.value), self.current_errors
        best = best_h_measured(self.errors)
        now = ", ".join(f"{self._LABELS[m]} {errs[m]:.1e}" for m in METHODS)
        return (f"Log-log plot of the relative error of f'(x0) against the step h from 1e-16 to 1e-1, for "
                f"{self.function.value} at x0 = {self.x0:g} in {self.dtype.value}: forward difference "
                f"(solid), central difference (dashed), complex step (dash-dotted). A vertical line marks "
                f"h = {h:.1e}, where the errors are: {now}. Smallest errors at h = "
                f"{best['forward'][0]:.0e} (forward), {best['central'][0]:.0e} (central) and "
                f"{best['complex_step'][0]:.0e} and below (complex step).")

    def settings(self) -> dict[str, Any]:
        return dict(function=self.function.value, h=float(self.h.value), dtype=self.dtype.value, x0=self.x0)


def step_size_explorer(function: str = "exp(x) sin(x)", h: float = 1e-5, dtype: Any = "float64",
                       x0: float = 1.0) -> StepSizeExplorer:
    """An interactive study of the step h: errors of forward, central and complex-step derivatives.

    Args:
        function: a key of ``FUNCTIONS`` ("sin(x)", "exp(x) sin(x)", "x**3", "tanh(x)").
        h: the starting step, in [1e-16, 1e-1].
        dtype: "float64" or "float32".
        x0: where the derivative is taken.
    """
    fn = "step_size_explorer"
    _function(fn, function)
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not 1e-16 <= h <= 1e-1:
        raise ValueError(f"{fn}: h must be a number in [1e-16, 1e-1] (the slider's range), got {describe(h)}")
    return StepSizeExplorer(function, float(h), _dtype(fn, dtype), _x0(fn, x0))


StepSizeExplorer.factory = staticmethod(step_size_explorer)      # rebuilds it from settings() (the twin of ahead.py)
