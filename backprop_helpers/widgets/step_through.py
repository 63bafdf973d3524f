"""Backprop step-through (lesson 04): the graph of one neuron's loss, walked one node at a time.

The expression is ``L = (σ(w1·x1 + w2·x2 + b) − y)²``, built from ``backprop_helpers.Value`` nodes
(the model is in :mod:`.graph_walk`). The graph is drawn once; each press of "forward step" lights
up the next operation and writes its value; then each press of "backward step" lights up the next
node, from the loss back to the inputs, and writes its gradient as a product, **local × upstream**,
with the arrow from the node that sends the upstream gradient. A text panel says the step in words.
Sliders set the inputs, the target and the parameters; moving one starts the walk again.

View: :class:`StepThroughExplorer`, made by :func:`step_through_explorer`.
"""
from __future__ import annotations

import html
import math
import numbers
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform

from ..validation import describe
from ..plots.palette import BACKWARD_PASS, FORWARD_PASS, MUTED, STATE_FILLS, TEXT
from .render import ExplorerView, FigureView, new_figure, text_block
from .graph_walk import Walk, fmt, neuron_loss_graph, walk_graph

__all__ = ["SLIDER_RANGES", "StepThroughExplorer", "step_through_explorer"]

#: slider name -> (min, max, step)
SLIDER_RANGES = {"x1": (-2.0, 2.0, 0.1), "x2": (-2.0, 2.0, 0.1), "y": (0.0, 1.0, 0.05),
                 "w1": (-3.0, 3.0, 0.1), "w2": (-3.0, 3.0, 0.1), "b": (-3.0, 3.0, 0.1)}

# face colours (the palette's STATE_FILLS): a value not yet known, a known value, the node computed now
# (forward), the node whose gradient is computed now (backward), a node whose gradient is known
_UNKNOWN, _KNOWN, _FORWARD, _BACKWARD, _GRAD = (STATE_FILLS[k] for k in
                                                 ("unknown", "value", "forward", "backward", "gradient"))
_COLUMN, _ROW, _BOX_W, _BOX_H, _MARGIN, _TOP = 1.17, 0.8, 1.05, 0.56, 0.12, 0.55   # inches
# the smallest text: 8 pt is 11 CSS px at the figure's 100 dpi
_SMALL = 8.0


class _Line:
    """One line of text of a :class:`_TextLayer`: ``set_text``, ``get_text``, ``set_style``."""

    def __init__(self, layer: _TextLayer, xy: tuple[float, float], fontsize: float) -> None:
        self._layer, self.xy = layer, xy
        self.text, self.style = "", dict(fontsize=fontsize, color=TEXT, fontweight="normal")

    def set_text(self, text: str) -> None:
        self.text = str(text)
        self._layer.stale = True

    def get_text(self) -> str:
        return self.text

    def set_style(self, *, color: str | None = None, fontweight: str | None = None) -> None:
        if color is not None:
            self.style["color"] = color
        if fontweight is not None:
            self.style["fontweight"] = fontweight
        self._layer.stale = True

    def get_style(self) -> dict[str, Any]:
        return dict(self.style)


class _TextLayer(Artist):
    """Lines of text, each centred on a point (data coordinates), pasted from a cache of bitmaps.

    Drawing a text with Agg lays out and renders every glyph on every draw (several ms per text
    with matplotlib 3.11 on the course's machine), and a step-through frame shows about 40 of them.
    A step changes one or two strings and most strings come back ("value ?", "grad ?"), so each
    (string, style) is rendered once, through an ordinary ``Text`` on a small transparent canvas,
    and pasted with ``draw_image`` afterwards (tens of microseconds). One artist for all the lines
    keeps the per-artist cost of a draw to one.
    """

    _cache: dict[tuple, tuple[np.ndarray, int, int]] = {}
    _writers: dict[float, Text] = {}

    def __init__(self, ax: Axes, zorder: float = 4) -> None:
        super().__init__()
        self.set_zorder(zorder)
        self.lines: list[_Line] = []
        self._pixels_at: tuple | None = None
        ax.add_artist(self)

    def line(self, x: float, y: float, fontsize: float = 8) -> _Line:
        """A new, empty line centred on ``(x, y)``."""
        self.lines.append(_Line(self, (x, y), fontsize))
        self._pixels_at = None
        return self.lines[-1]

    @classmethod
    def bitmap(cls, text: str, style: dict[str, Any], dpi: float) -> tuple[np.ndarray, int, int]:
        """The RGBA pixels of ``text`` (row 0 at the bottom) and their offset from the centre point."""
        key = (text, *sorted(style.items()), dpi)
        hit = cls._cache.get(key)
        if hit is not None:
            return hit
        writer = cls._writers.get(dpi)
        if writer is None:
            fig = new_figure((6.0, 0.5), dpi=dpi)
            fig.patch.set_alpha(0.0)
            writer = cls._writers[dpi] = Text(transform=IdentityTransform(), figure=fig, ha="center",
                                              va="center")
        fig = writer.get_figure()
        width, height = fig.canvas.get_width_height()
        renderer = fig.canvas.get_renderer()
        renderer.clear()
        writer.set(x=width / 2, y=height / 2, text=text, **style)
        writer.draw(renderer)
        box = writer.get_window_extent(renderer)
        x0, y0 = max(int(box.x0) - 2, 0), max(int(box.y0) - 2, 0)
        x1, y1 = min(int(box.x1) + 3, width), min(int(box.y1) + 3, height)
        pixels = np.asarray(fig.canvas.buffer_rgba())[height - y1:height - y0, x0:x1]
        if len(cls._cache) > 5000:                        # a long session: start afresh
            cls._cache.clear()
        # draw_image puts row 0 at the bottom, the canvas has it at the top: flip
        hit = cls._cache[key] = (pixels[::-1].copy(), x0 - width // 2, y0 - height // 2)
        return hit

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        where = (renderer.width, renderer.height, renderer.dpi, len(self.lines))
        if self._pixels_at is None or self._pixels_at[0] != where:       # the points in pixels, once
            points = self.axes.transData.transform([line.xy for line in self.lines])
            self._pixels_at = (where, np.rint(points).astype(int).tolist())
        gc = renderer.new_gc()
        for line, (px, py) in zip(self.lines, self._pixels_at[1]):
            if line.text:
                pixels, dx, dy = self.bitmap(line.text, line.style, renderer.dpi)
                renderer.draw_image(gc, px + dx, py + dy, pixels)
        gc.restore()
        self.stale = False


class StepThroughExplorer(ExplorerView):
    """Buttons ``forward_step``, ``backward_step``, ``run_all``, ``reset``; sliders ``x1``, ``x2``,
    ``y``, ``w1``, ``w2``, ``b``. ``explanation`` (HTML) says the current step in words.

    ``walk``: the :class:`~.graph_walk.Walk` of the current slider values; ``position``: how many
    steps are done (0 .. forward + backward); ``value_texts``, ``product_texts``, ``grad_texts``:
    the lines of text of each node, keyed by its label; ``boxes``: one collection of all the boxes
    (:meth:`box_style` reads one node's).
    """

    def __init__(self, values: dict[str, float], position: int = 0) -> None:
        import ipywidgets as W

        self.walk: Walk = walk_graph(neuron_loss_graph(**values))
        self._walk_key = tuple(values.values())
        self.position = position
        nodes = self.walk.nodes
        columns = max(n.column for n in nodes) + 1
        rows = max(n.row for n in nodes) + 1
        self._size = (columns * _COLUMN + 2 * _MARGIN, rows * _ROW + _TOP + _MARGIN)
        super().__init__(FigureView(new_figure(self._size, dpi=100)))
        for name, (lo, hi, step) in SLIDER_RANGES.items():
            setattr(self, name, W.FloatSlider(value=values[name], min=lo, max=hi, step=step,
                                              description=name, readout_format=".2f",
                                              layout=W.Layout(width="300px")))
        button = dict(layout=W.Layout(width="150px"))
        self.forward_step = W.Button(description="forward step", icon="arrow-right",
                                     tooltip="compute the next value", **button)
        self.backward_step = W.Button(description="backward step", icon="arrow-left",
                                      tooltip="compute the next gradient", **button)
        self.run_all = W.Button(description="run all", icon="forward", tooltip="finish the walk", **button)
        self.reset = W.Button(description="reset", icon="undo", tooltip="start the walk again", **button)
        self.forward_step.on_click(lambda _: self._move(+1, "forward"))
        self.backward_step.on_click(lambda _: self._move(+1, "backward"))
        self.run_all.on_click(lambda _: self._move(len(self.walk.forward) + len(self.walk.backward), None))
        self.reset.on_click(lambda _: self._move(-self.position, None))
        self.explanation = W.HTML(layout=W.Layout(width=f"{int(self._size[0] * 100)}px", min_height="5.5em"))
        self._build_figure()
        sliders = [getattr(self, name) for name in SLIDER_RANGES]
        self._finish(W.VBox([
            W.HBox([self.forward_step, self.backward_step, self.run_all, self.reset]),
            self.figure_box(), self.explanation,
            W.HBox([W.VBox(sliders[:3]), W.VBox(sliders[3:])]), self.message]))
        self._watch(*sliders)
        self.safe_update()

    # -- the figure, drawn once ---------------------------------------------------------------
    def _centre(self, node: Any) -> tuple[float, float]:
        return (_MARGIN + (node.column + 0.5) * _COLUMN, -(_TOP + (node.row + 0.5) * _ROW))

    def _build_figure(self) -> None:
        fig = self.view.figure
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, self._size[0])
        ax.set_ylim(-self._size[1], 0)
        ax.axis("off")
        self.ax = ax
        nodes = self.walk.nodes
        self.value_texts, self.product_texts, self.grad_texts = {}, {}, {}
        self.texts = _TextLayer(ax)
        self._box_index = {node.label: i for i, node in enumerate(nodes)}
        shapes = []
        for node in nodes:
            x, y = self._centre(node)
            shapes.append(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                         boxstyle="round,pad=0.02").get_path())
            kind = "" if node.kind in ("operation", "constant") else f" ({node.kind})"
            ax.text(x, y + _BOX_H / 2 + 0.1, node.formula + kind, fontweight="bold", ha="center",
                    va="center", fontsize=8.5, color=TEXT)
            self.value_texts[node.label] = self.texts.line(x, y + 0.17, fontsize=_SMALL)
            self.product_texts[node.label] = self.texts.line(x, y, fontsize=_SMALL)
            self.product_texts[node.label].set_style(color=MUTED)
            self.grad_texts[node.label] = self.texts.line(x, y - 0.17, fontsize=_SMALL)
        # one collection for all the boxes: one draw instead of one per box
        self.boxes = ax.add_collection(PathCollection(
            shapes, facecolors=_UNKNOWN, edgecolors=TEXT, linewidths=1.0, zorder=2,
            transform=ax.transData), autolim=False)
        self.forward_arrows: dict[tuple[int, int], FancyArrowPatch] = {}
        self.backward_arrows: dict[tuple[int, int], FancyArrowPatch] = {}
        for i, node in enumerate(nodes):
            for p in node.parents:
                if (p, i) in self.forward_arrows:
                    continue
                start, end = self._centre(nodes[p]), self._centre(node)
                shrink = dict(shrinkA=0, shrinkB=0)
                tail = (start[0] + _BOX_W / 2, start[1])
                head = (end[0] - _BOX_W / 2, end[1])
                ax.add_patch(FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=9, color="#9e9e9e",
                                             lw=0.9, zorder=1, **shrink))
                # the forward pass's arrow solid, the backward pass's dashed: more than colour apart
                self.forward_arrows[(p, i)] = ax.add_patch(FancyArrowPatch(
                    tail, head, arrowstyle="-|>", mutation_scale=13, color=FORWARD_PASS, lw=2.2, zorder=3,
                    visible=False, **shrink))
                self.backward_arrows[(p, i)] = ax.add_patch(FancyArrowPatch(
                    head, tail, arrowstyle="-|>", mutation_scale=13, color=BACKWARD_PASS, lw=2.2, zorder=3,
                    linestyle=(0, (3, 1.5)), visible=False, **shrink))
        ax.text(_MARGIN, -0.17, "L = (σ(w1·x1 + w2·x2 + b) − y)²", fontsize=10, fontweight="bold", va="center",
                color=TEXT)
        ax.text(_MARGIN, -0.38, "in each box: the value, then local × upstream = the gradient ∂L/∂(box)",
                fontsize=_SMALL, color=MUTED, va="center")
        ax.legend(handles=[Patch(fc=c, ec=TEXT, label=t) for c, t in (
            (_KNOWN, "value known"), (_FORWARD, "computed now"), (_BACKWARD, "gradient now"),
            (_GRAD, "gradient known"))], loc="upper right", ncol=2, fontsize=_SMALL, frameon=False,
            bbox_to_anchor=(1.0, 1.02), handlelength=1.2, columnspacing=1.0, labelspacing=0.3)
        self.view.animate(self.boxes, self.texts, self.forward_arrows.values(),
                          self.backward_arrows.values())

    def box_style(self, label: str) -> tuple[tuple[float, ...], float]:
        """The face colour (RGBA) and edge width of the box of the node ``label``."""
        i = self._box_index[label]
        return tuple(self.boxes.get_facecolors()[i]), float(self.boxes.get_linewidths()[i])

    # -- the walk -------------------------------------------------------------------------------
    def _slider_values(self) -> dict[str, float]:
        return {name: float(getattr(self, name).value) for name in SLIDER_RANGES}

    def _on_change(self, change: Any = None) -> None:
        self.position = 0                      # new values: the walk starts again
        self.safe_update()

    def _move(self, by: int, phase: str | None) -> None:
        """Advance (or go back) ``by`` steps; a phase's button refuses steps of the other phase."""
        try:
            forward, total = len(self.walk.forward), len(self.walk.forward) + len(self.walk.backward)
            note = ""
            if phase == "forward" and self.position >= forward:
                note = "The forward pass is complete: press backward step (or reset to start again)."
            elif phase == "backward" and self.position < forward:
                note = (f"The forward pass is not finished ({self.position} of {forward} values): the "
                        f"backward pass needs every value, because the local gradients are made of them. "
                        f"Press forward step (or run all).")
            elif phase == "backward" and self.position >= total:
                note = "The walk is complete: every node has its gradient. Move a slider or reset."
            else:
                self.position = min(max(self.position + by, 0), total)
        except Exception as exc:  # noqa: BLE001 - a button callback must never raise
            self.show_message(f"{type(exc).__name__}: {exc}")
            return
        if self.safe_update() and note:
            self.show_message(note, level="info")

    def _current(self) -> tuple[Any, int, int]:
        """The current step (or None), and how many forward and backward steps are done."""
        forward = len(self.walk.forward)
        steps = (*self.walk.forward, *self.walk.backward)
        step = steps[self.position - 1] if self.position else None
        return step, min(self.position, forward), max(self.position - forward, 0)

    def update(self) -> None:
        values = self._slider_values()
        key = tuple(values.values())
        if key != self._walk_key:
            self.walk = walk_graph(neuron_loss_graph(**values))
            self._walk_key = key
        nodes = self.walk.nodes
        step, done_forward, done_backward = self._current()
        known = {i for i, n in enumerate(nodes) if not n.parents}
        known.update(s.node for s in self.walk.forward[:done_forward])
        with_grad = {s.node: s for s in self.walk.backward[:done_backward]}
        for arrow in (*self.forward_arrows.values(), *self.backward_arrows.values()):
            arrow.set_visible(False)
        faces, widths = [], []
        for i, node in enumerate(nodes):
            now = step is not None and step.node == i
            faces.append(_FORWARD if now and step.phase == "forward" else _BACKWARD if now else
                         _GRAD if i in with_grad else _KNOWN if i in known else _UNKNOWN)
            widths.append(2.2 if now else 1.0)
            self.value_texts[node.label].set_text(f"value {fmt(node.value)}" if i in known else "value ?")
            self.value_texts[node.label].set_style(color=TEXT if i in known else MUTED)
            grad_step = with_grad.get(i)
            if grad_step is None:
                product, grad = "", "grad ?"
            elif not grad_step.terms:
                product, grad = "start: ∂L/∂L = 1", f"grad {fmt(node.grad)}"
            else:
                product = " + ".join(f"{fmt(local)} × {fmt(up)}" for _, local, up in grad_step.terms)
                grad = f"grad {fmt(node.grad)}"
            self.product_texts[node.label].set_text(product)
            self.grad_texts[node.label].set_text(grad)
            self.grad_texts[node.label].set_style(color=TEXT if grad_step else MUTED,
                                                  fontweight="bold" if grad_step else "normal")
        self.boxes.set_facecolors(faces)
        self.boxes.set_linewidths(widths)
        if step is not None and step.phase == "forward":
            for p in nodes[step.node].parents:
                self.forward_arrows[(p, step.node)].set_visible(True)
        elif step is not None:
            for u, _, _ in step.terms:
                self.backward_arrows[(step.node, u)].set_visible(True)
        self._explain(step, done_forward, done_backward)
        self.view.refresh()

    def _explain(self, step: Any, done_forward: int, done_backward: int) -> None:
        forward, backward = len(self.walk.forward), len(self.walk.backward)
        if step is None:
            text = ("The sliders set the inputs x1, x2, the target y and the parameters w1, w2, b (the "
                    "grey boxes). Press <b>forward step</b> to compute the values one operation at a "
                    "time, from the inputs to the loss L.")
        else:
            text = html.escape(step.explanation)
            if done_forward == forward and done_backward == 0:
                text += (" Now press <b>backward step</b>: the gradients flow back from L, each one "
                         "local × upstream.")
            if done_backward == backward:
                grads = ", ".join(f"∂L/∂{n.label} = {fmt(n.grad)}" for n in self.walk.nodes
                                  if n.kind == "parameter")
                text += (f" <b>The walk is complete.</b> Gradient descent uses the parameters' "
                         f"gradients: {html.escape(grads)}.")
        progress = (f"forward {done_forward}/{forward} · backward {done_backward}/{backward}")
        self.explanation.value = text_block(f"<b>{progress}</b> · {text}")

    def describe(self) -> str:
        step, done_forward, done_backward = self._current()
        forward, backward = len(self.walk.forward), len(self.walk.backward)
        nodes = self.walk.nodes
        if step is None:
            now = "no step taken yet; the inputs and parameters are given"
        else:
            node = nodes[step.node]
            now = (f"the box of {node.label} is lit up: its value {fmt(node.value)} was just computed, with "
                   f"solid arrows from its inputs" if step.phase == "forward" else
                   f"the box of {node.label} is lit up: its gradient {fmt(node.grad)} was just computed, with "
                   f"dashed arrows from the boxes that send the upstream gradient")
        given = ", ".join(f"{name} = {fmt(value)}" for name, value in self._slider_values().items())
        return (f"The computational graph of L = (σ(w1·x1 + w2·x2 + b) − y)², one box per value, inputs on "
                f"the left ({given}) and L on the right: {done_forward} of {forward} values computed and "
                f"{done_backward} of {backward} gradients; {now}.")

    def settings(self) -> dict[str, Any]:
        return dict(self._slider_values(), position=self.position)


def step_through_explorer(x1: float = 1.0, x2: float = -0.5, w1: float = 0.8, w2: float = 0.3,
                          b: float = 0.1, y: float = 1.0, position: int = 0) -> StepThroughExplorer:
    """Walk the graph of ``L = (σ(w1·x1 + w2·x2 + b) − y)²`` forward, then backward, node by node.

    Args:
        x1, x2: the example's inputs, in [-2, 2]. y: its target, in [0, 1].
        w1, w2, b: the neuron's weights and bias, in [-3, 3].
        position: how many steps of the walk are done at the start (0: none; the forward steps
            come first, then the backward ones).
    Returns:
        a :class:`StepThroughExplorer`; end a notebook cell with it to show it.
    """
    fn = "step_through_explorer"
    values = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, y=y)
    for name, value in values.items():
        lo, hi, _ = SLIDER_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise TypeError(f"{fn}: {name} must be a finite number, got {describe(value)}")
        if not lo <= value <= hi:
            raise ValueError(f"{fn}: {name} must be in [{lo:g}, {hi:g}] (the slider's range), got {value!r}")
    explorer = StepThroughExplorer({name: float(v) for name, v in values.items()})
    total = len(explorer.walk.forward) + len(explorer.walk.backward)
    if isinstance(position, bool) or not isinstance(position, numbers.Integral) or not 0 <= position <= total:
        raise ValueError(f"{fn}: position must be a whole number of steps in 0..{total}, got {describe(position)}")
    if position:
        explorer.position = int(position)
        explorer.safe_update()
    return explorer


StepThroughExplorer.factory = staticmethod(step_through_explorer)      # rebuilds it from settings() (the twin of ahead.py)
