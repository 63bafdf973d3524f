"""Gradient-descent explorer (lesson 06): a path over a loss surface, and its loss step by step.

Pick a surface, an optimizer (``sgd``, ``momentum``, ``adam``: the lesson's ``sgd_step``,
``momentum_step`` and ``adam_step`` of ``backprop_helpers.reference``, the updates of
``backprop_helpers.optim``), the learning rate η (a log slider), the momentum μ (Adam's β1), the start
point and the number of steps. The contour plot is drawn once per surface; the path is a line updated
in place; a second axes shows ``L − L*``, the loss above the minimum, per step (log scale when it spans
two decades or more). A run that diverges ends at its last point with "diverged after k steps" in the
message area: no NaN is ever plotted; a loss that grows without diverging yet is flagged too.

The model (the surfaces, :func:`~.surfaces.descend`, :func:`~.surfaces.loss_axis`) is in
:mod:`.surfaces`. View: :class:`DescentExplorer`, made by :func:`descent_explorer`.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..validation import check_choice, check_positive, check_positive_int, describe
from ..plots.palette import GRID, LINE_COLORS, MUTED, TEXT, ZERO, sequential_colormap, tint
from .render import ExplorerView, FigureView, new_figure, small_text, text_block
from .surfaces import (DESCENT_OPTIMIZERS, FLOOR, SURFACES, DescentRun, Surface, descend, loss_axis,
                       where_it_ended)

__all__ = ["DescentExplorer", "descent_explorer"]

# the run: its path over the surface and its loss per step, in one colour
_RUN = LINE_COLORS[1]
_START_SLIDER: Any = None


def _start_slider(**kwargs: Any) -> Any:
    """A FloatSlider whose range and value, when changed together under ``hold_sync``, reach the
    browser in one message with the value last.

    Sent one by one, each change makes the browser's slider re-place its handle and send back the
    value it shows, which is still the old one (rounded to the slider's step): it arrived after the
    kernel's own changes and replaced the new start. In one message with the range first, the
    browser has the new range and value before it places the handle.
    """
    global _START_SLIDER
    if _START_SLIDER is None:
        import ipywidgets

        class StartSlider(ipywidgets.FloatSlider):
            def send_state(self, key: Any = None) -> None:
                if key is not None and not isinstance(key, str):
                    key = sorted(key, key=lambda name: (name == "value", name))
                super().send_state(key)

        _START_SLIDER = StartSlider
    return _START_SLIDER(**kwargs)


class DescentExplorer(ExplorerView):
    """Controls: ``surface``, ``optimizer`` (Dropdown), ``lr`` (FloatLogSlider), ``momentum``,
    ``x0``, ``y0`` (FloatSlider), ``steps`` (IntSlider). ``readout`` (HTML): final loss, steps to
    1e-3 of the minimum, where the run ended. ``run``: the last :class:`DescentRun`. Artists:
    ``path_line``, ``start_marker``, ``end_marker`` on the contour axes ``ax``, ``loss_line`` on ``ax_loss``.
    """

    def __init__(self, surface: str, optimizer: str, lr: float, momentum: float, start: tuple[float, float],
                 steps: int) -> None:
        import ipywidgets as W

        super().__init__(FigureView(new_figure((8.4, 3.6), dpi=100)))
        s = SURFACES[surface]
        wide = dict(style={"description_width": "110px"}, layout=W.Layout(width="400px"))
        self.surface = W.Dropdown(options=list(SURFACES), value=surface, description="surface", **wide)
        self.optimizer = W.Dropdown(options=list(DESCENT_OPTIMIZERS), value=optimizer, description="optimizer", **wide)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.05, readout_format=".2g",
                                   description="learning rate η", **wide)
        self.momentum = W.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01, description="momentum μ",
                                      readout_format=".2f", **wide)
        self.x0 = _start_slider(value=start[0], min=s.xlim[0], max=s.xlim[1], step=0.01, description="start x",
                                readout_format=".2f", **wide)
        self.y0 = _start_slider(value=start[1], min=s.ylim[0], max=s.ylim[1], step=0.01, description="start y",
                                readout_format=".2f", **wide)
        self.steps = W.IntSlider(value=steps, min=1, max=300, description="steps", **wide)
        self.readout = W.HTML()
        self.run: DescentRun | None = None
        self._holding = False
        self._static: tuple | None = None
        self._contours: list = []
        self._build_figure()
        self._finish(W.VBox([
            W.HBox([W.VBox([self.lr, self.momentum, self.optimizer, self.surface]),
                    W.VBox([self.x0, self.y0, self.steps])]),
            self.figure_box(), self.readout, self.message]))
        self._watch(self.lr, self.momentum, self.x0, self.y0, self.steps)
        self.surface.observe(self._on_surface, names="value")
        self.optimizer.observe(self._on_optimizer, names="value")
        self._label_momentum()
        self._draw_surface()
        self.safe_update()

    # -- the figure ---------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = self.view.figure
        self.ax = fig.add_axes((0.065, 0.13, 0.52, 0.77))
        self.ax_loss = fig.add_axes((0.66, 0.13, 0.32, 0.77))
        ax, axl = self.ax, self.ax_loss
        self.minima_marker, = ax.plot([], [], "*", ms=14, color=ZERO, mec=TEXT, zorder=4, label="minimum")
        self.saddle_marker, = ax.plot([], [], "X", ms=9, color=ZERO, mec=TEXT, zorder=4,
                                      label="saddle point")
        self.path_line, = ax.plot([], [], "-o", color=_RUN, lw=1.3, ms=2.5, zorder=5)
        self.start_marker, = ax.plot([], [], "o", ms=8, mfc=ZERO, mec=TEXT, mew=1.5, zorder=6)
        self.end_marker, = ax.plot([], [], "o", ms=7, color=_RUN, mec=TEXT, zorder=7)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        self.loss_line, = axl.plot([], [], "-", color=_RUN, lw=1.6)
        axl.axhline(1e-3, ls="--", lw=0.8, color=MUTED)
        axl.set_xlabel("step")
        axl.set_title("loss above the minimum, L − L*", fontsize=10)
        axl.grid(True, color=GRID)
        self.view.animate(self.path_line, self.start_marker, self.end_marker, self.loss_line)

    def _draw_surface(self) -> None:
        """Contours of the current surface (static: drawn once per surface)."""
        from matplotlib.colors import LogNorm

        s = SURFACES[self.surface.value]
        for artist in self._contours:
            artist.remove()
        gx, gy = np.meshgrid(np.linspace(*s.xlim, 200), np.linspace(*s.ylim, 200))
        above = s.function(gx, gy) - s.min_value
        top = float(above.max())
        levels = np.geomspace(top * 1e-4, top, 17)
        clipped = np.clip(above, levels[0] * 0.5, None)
        norm = LogNorm(levels[0] * 0.5, top)
        self._contours = [self.ax.contourf(gx, gy, clipped, levels=np.r_[levels[0] * 0.5, levels], norm=norm,
                                           cmap=sequential_colormap(), zorder=1),
                          self.ax.contour(gx, gy, clipped, levels=levels, norm=norm,
                                          colors=[tint(LINE_COLORS[2], 0.1)], linewidths=0.6, alpha=0.6,
                                          zorder=2)]
        self.minima_marker.set_data(s.minima[:, 0], s.minima[:, 1])
        self.saddle_marker.set_data(s.saddles[:, 0], s.saddles[:, 1])
        self.ax.set_xlim(*s.xlim)
        self.ax.set_ylim(*s.ylim)
        # the contour axes as wide as the window's shape allows, the loss axes in the rest of the width
        fig_w, fig_h = self.view.figure.get_size_inches()
        left, gap, right, bottom, height = 0.65, 0.85, 0.2, 0.13 * fig_h, 0.77 * fig_h
        aspect = (s.xlim[1] - s.xlim[0]) / (s.ylim[1] - s.ylim[0])
        width = min(0.52 * fig_w, height * aspect)
        tall = width / aspect
        self.ax.set_position((left / fig_w, (bottom + (height - tall) / 2) / fig_h, width / fig_w, tall / fig_h))
        start = left + width + gap
        self.ax_loss.set_position((start / fig_w, 0.13, (fig_w - start - right) / fig_w, 0.77))
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.set_title(f"{s.name}: {s.formula}", fontsize=10)
        self._static = None                     # the loss axes are set (and everything drawn) next update

    # -- control changes ------------------------------------------------------------------------
    def _on_change(self, change: Any = None) -> None:
        if not self._holding:
            self.safe_update()

    def _label_momentum(self) -> None:
        kind = self.optimizer.value
        self.momentum.disabled = kind == "sgd"
        self.momentum.description = "Adam's β1" if kind == "adam" else "momentum μ"

    def _on_optimizer(self, change: Any = None) -> None:
        self._label_momentum()
        self.safe_update()

    def _on_surface(self, change: Any = None) -> None:
        """A new surface: its window for the start sliders, its start point, η and steps, its contours."""
        try:
            s = SURFACES[self.surface.value]
            self._holding = True
            for slider, (lo, hi), value in ((self.x0, s.xlim, s.start[0]), (self.y0, s.ylim, s.start[1])):
                with slider.hold_sync():             # one message to the browser, the value last
                    slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)   # never min > max
                    slider.value = value
                    slider.min, slider.max = lo, hi
            self.lr.value, self.steps.value = s.lr, s.steps
            self._draw_surface()
        except Exception as exc:  # noqa: BLE001 - never raise into the front end
            self.show_message(f"{type(exc).__name__}: {exc}")
            return
        finally:
            self._holding = False
        self.safe_update()

    # -- the model into the figure ----------------------------------------------------------------
    def update(self) -> None:
        s = SURFACES[self.surface.value]
        start = (float(self.x0.value), float(self.y0.value))
        run = descend(s, start, self.optimizer.value, float(self.lr.value), float(self.momentum.value),
                      int(self.steps.value))
        self.run = run
        self.path_line.set_data(run.path[:, 0], run.path[:, 1])
        self.start_marker.set_data([start[0]], [start[1]])
        self.end_marker.set_data(run.path[-1:, 0], run.path[-1:, 1])
        above = np.maximum(run.losses - s.min_value, FLOOR)
        self.loss_line.set_data(np.arange(len(above)), above)
        # the loss axes follow from the run alone (the same settings always give the same picture)
        static = (*loss_axis(above), int(self.steps.value))
        if static != self._static:                 # the loss axes' scale or limits change: draw it all
            scale, low, high, steps = static
            self.ax_loss.set_yscale(scale)
            self.ax_loss.set_ylim(low, high)
            self.ax_loss.set_xlim(0, steps)
            self._static = static
            self.view.redraw()
        else:
            self.view.refresh()
        self._report(s, run)

    def describe(self) -> str:
        s, run = SURFACES[self.surface.value], self.run
        scale, low, high, steps = self._static
        kind = self.optimizer.value
        mu = "" if kind == "sgd" else f", {self.momentum.description} = {self.momentum.value:.2f}"
        end = (f"it diverged after {run.diverged_at} steps" if run.diverged_at is not None else
               f"it ends {where_it_ended(s, run)}")
        return (f"Left: contours of the {s.name} surface {s.formula} (darker is lower, stars mark the minima"
                f"{', a cross the saddle point' if len(s.saddles) else ''}), with the path of {kind} "
                f"(η = {self.lr.value:.3g}{mu}) from the circle at ({self.x0.value:.2f}, {self.y0.value:.2f}); "
                f"{end}. Right: the loss above the minimum per step, from step 0 to {steps} on a {scale} "
                f"axis from {low:.0e} to {high:.0e}, ending at {run.losses[-1] - s.min_value:.2e}.")

    def settings(self) -> dict[str, Any]:
        return dict(surface=self.surface.value, optimizer=self.optimizer.value, lr=float(self.lr.value),
                    momentum=float(self.momentum.value), start=(float(self.x0.value), float(self.y0.value)),
                    steps=int(self.steps.value))

    def _report(self, s: Surface, run: DescentRun) -> None:
        k = len(run.losses) - 1
        final = run.losses[-1] - s.min_value
        where = where_it_ended(s, run)
        tol = (f"within 1e-3 of the minimum after <b>{run.steps_to_tolerance}</b> steps"
               if run.steps_to_tolerance is not None else "never within 1e-3 of the minimum")
        head = "loss at the last finite point" if run.diverged_at is not None else "final loss"
        self.readout.value = text_block(f"{head} <b>{run.losses[-1]:.4g}</b> (L − L* = {final:.2e}) after "
                                        f"{k} steps, {where}; {tol}.<br>{small_text(f'{s.name}: {s.note}.')}")
        if run.diverged_at is not None:
            self.show_message(
                f"diverged after {run.diverged_at} steps: the point flew off (|x| or |y| > {run.bound:g}, "
                f"100 times the window); the path is drawn up to step {run.diverged_at - 1}. The learning "
                f"rate η = {self.lr.value:.3g} is too large for this surface's steepest direction: lower it.")
        elif run.losses[-1] > run.losses[0]:
            self.show_message(
                f"the loss grew from {run.losses[0]:.3g} to {run.losses[-1]:.3g}: η = {self.lr.value:.3g} is "
                f"too large for this surface's steepest direction; with more steps this run diverges.",
                level="info")


def descent_explorer(surface: str = "ravine", optimizer: str = "sgd", lr: float | None = None,
                     momentum: float = 0.9, start: Any = None, steps: int | None = None) -> DescentExplorer:
    """Gradient descent on a surface of two parameters: move η, μ, the start; switch surface or optimizer.

    Args:
        surface: "bowl", "ravine", "saddle", "rosenbrock" or "two_minima" (see ``surfaces``).
        optimizer: "sgd", "momentum" or "adam" (the lesson's steps, ``backprop_helpers.reference``).
        lr: the learning rate, in [1e-4, 10]; None: the surface's suggestion.
        momentum: mu of momentum, beta1 of Adam, in [0, 0.99].
        start: ``(x, y)`` inside the surface's window; None: the surface's suggestion.
        steps: number of steps, 1..300; None: the surface's suggestion.
    Returns:
        a :class:`DescentExplorer`; end a notebook cell with it to show it.
    """
    fn = "descent_explorer"
    name = check_choice(fn, "surface", surface, SURFACES)
    s = SURFACES[name]
    optimizer = check_choice(fn, "optimizer", optimizer, DESCENT_OPTIMIZERS)
    lr = s.lr if lr is None else check_positive(fn, "lr", lr)
    if not 1e-4 <= lr <= 10:
        raise ValueError(f"{fn}: lr must be in [1e-4, 10] (the slider's range), got {lr!r}")
    momentum = check_positive(fn, "momentum", momentum, allow_zero=True)
    if momentum > 0.99:
        raise ValueError(f"{fn}: momentum must be in [0, 0.99] (the slider's range), got {momentum!r}")
    steps = s.steps if steps is None else check_positive_int(fn, "steps", steps)
    if steps > 300:
        raise ValueError(f"{fn}: steps must be in 1..300 (the slider's range), got {steps}")
    if start is None:
        start = s.start
    if (not isinstance(start, (tuple, list)) or len(start) != 2
            or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in start)):
        raise TypeError(f"{fn}: start must be a pair of numbers (x, y), got {describe(start)}")
    if not (s.xlim[0] <= start[0] <= s.xlim[1] and s.ylim[0] <= start[1] <= s.ylim[1]):
        raise ValueError(f"{fn}: start must lie in the {name} window x in [{s.xlim[0]:g}, {s.xlim[1]:g}], "
                         f"y in [{s.ylim[0]:g}, {s.ylim[1]:g}], got {tuple(start)}")
    return DescentExplorer(name, optimizer, lr, momentum, (float(start[0]), float(start[1])), steps)


DescentExplorer.factory = staticmethod(descent_explorer)      # rebuilds it from settings() (the twin of ahead.py)
