"""Training playground (lesson 08): the persistent figure (network diagram, output, loss curve).

One figure, made once, in three parts:

- **the network** (left): a column of input-feature nodes, one column per hidden layer and the
  output node, each node a small heatmap of its value over the plane; links between them drawn
  with a width growing with ``|weight|`` and coloured by its sign (blue positive, orange negative);
- **the output** (right): the big heatmap of P(class 1) (or the predicted value) with the training
  points (white rim) and the test points (black rim) on top;
- **the loss curve** (below it): training loss (solid) and test loss (dashed) against the epoch.

What changes on every tick (the heatmaps of the hidden neurons and of the output, the links, the
loss curves, the points drawn over the heatmap) is animated: :meth:`PlaygroundFigure.show` updates it
and the caller blits (``FigureView.refresh``). What changes only with the architecture or the data
(node frames, labels, the input features' heatmaps, limits) is set by
:meth:`PlaygroundFigure.set_layout`, after which the caller draws everything once
(``FigureView.redraw``). Nodes are a fixed pool (7 inputs, 6 x 8 hidden, 1 output) shown or hidden,
so no artist is ever created after the figure is built.
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap

from ..render import FigureView, Heatmap
from .model import FEATURE_LABELS, MAX_LAYERS, MAX_NEURONS, PlaygroundData
from .session import Snapshot

__all__ = ["PlaygroundFigure", "ORANGE", "BLUE", "COLOURMAP"]

ORANGE, BLUE = "#f59322", "#0877bd"
#: negative (or class 0) orange, zero white, positive (or class 1) blue, as in TensorFlow Playground
COLOURMAP = LinearSegmentedColormap.from_list("playground", [ORANGE, "#ffffff", BLUE])
_PALE = LinearSegmentedColormap.from_list("playground_pale", ["#f8c58c", "#ffffff", "#8fc3e6"])
FIGSIZE, DPI = (8.4, 4.2), 100
# (left, bottom, width, height) in figure fractions: the network, the output, the loss curve
_NET_RECT = (0.0, 0.0, 0.6, 0.93)
_OUT_RECT = (0.645, 0.3, 0.315, 0.63)
_LOSS_RECT = (0.645, 0.045, 0.315, 0.13)
_X_RANGE, _Y_RANGE = (-1.0, 7.6), (8.0, -1.45)        # network axes: columns across, rows down
_NODE_PX = 30                                          # a node's side in pixels
_LEVELS = 9                                            # colours of the points: 0 .. _LEVELS - 1


def _node_size() -> tuple[float, float]:
    """A node's width and height in the network axes' data units, so that it is square on screen."""
    width_px, height_px = FIGSIZE[0] * DPI * _NET_RECT[2], FIGSIZE[1] * DPI * _NET_RECT[3]
    per_x = width_px / (_X_RANGE[1] - _X_RANGE[0])
    per_y = height_px / abs(_Y_RANGE[1] - _Y_RANGE[0])
    return _NODE_PX / per_x, _NODE_PX / per_y


class PlaygroundFigure:
    """The playground's artists on a :class:`FigureView`'s figure (see the module docstring)."""

    def __init__(self, view: FigureView) -> None:
        self.view = view
        fig = view.figure
        self.w, self.h = _node_size()
        net = self.net_ax = fig.add_axes(_NET_RECT)
        net.set_xlim(*_X_RANGE)
        net.set_ylim(*_Y_RANGE)
        net.axis("off")
        tiny = (0.0, 1.0, 0.0, 1.0)
        self.feature_maps = [Heatmap(net, tiny, cmap=COLOURMAP, vmin=-1, vmax=1, zorder=2)
                             for _ in FEATURE_LABELS]
        self.feature_labels = [net.text(0, 0, "", ha="right", va="center", fontsize=9)
                               for _ in FEATURE_LABELS]
        self.neuron_maps = [[Heatmap(net, tiny, cmap=COLOURMAP, vmin=-1, vmax=1, zorder=2)
                             for _ in range(MAX_NEURONS)] for _ in range(MAX_LAYERS)]
        self.output_map = Heatmap(net, tiny, cmap=COLOURMAP, vmin=0, vmax=1, zorder=2)
        self.headers = [net.text(0, -0.95, "", ha="center", va="center", fontsize=8.5)
                        for _ in range(MAX_LAYERS + 2)]
        self.frames = LineCollection([], colors="0.35", linewidths=0.8, zorder=3)
        net.add_collection(self.frames)
        self.links = LineCollection([], zorder=1, capstyle="butt")
        net.add_collection(self.links)

        out = self.out_ax = fig.add_axes(_OUT_RECT)
        out.tick_params(labelsize=7, length=2, pad=1)
        self.output = Heatmap(out, (0, 1, 0, 1), cmap=_PALE, vmin=0, vmax=1)
        # points as lines of markers, one per colour (Agg stamps a marker ~20 times faster than it
        # draws a scatter's points one by one): class 0 and class 1, or 9 levels of the target value
        self.train_points = [out.plot([], [], "o", ms=4.2, mfc=COLOURMAP(k / (_LEVELS - 1)), mec="white",
                                      mew=0.9, zorder=3)[0] for k in range(_LEVELS)]
        self.test_points = [out.plot([], [], "o", ms=4.2, mfc=COLOURMAP(k / (_LEVELS - 1)), mec="black",
                                     mew=0.9, zorder=4)[0] for k in range(_LEVELS)]
        self.out_title = out.set_title("", fontsize=9, pad=3)

        loss = self.loss_ax = fig.add_axes(_LOSS_RECT)
        loss.set_xticks([])
        loss.set_yticks([])
        self.train_curve, = loss.plot([], [], color="0.2", lw=1.3, zorder=3)
        self.test_curve, = loss.plot([], [], color="0.2", lw=1.1, ls="--", zorder=3)
        fig.text(_LOSS_RECT[0], _LOSS_RECT[1] + _LOSS_RECT[3] + 0.012,
                 "loss against epochs: training —, test - -", fontsize=8)

        view.animate(*(m for layer in self.neuron_maps for m in layer), self.output_map, self.links,
                     self.output, *self.train_points, *self.test_points, self.train_curve, self.test_curve)
        self.columns: list[int] = []

    # ------------------------------------------------------------------ static: architecture, data
    def _positions(self, counts: list[int]) -> list[tuple[float, np.ndarray]]:
        """(x, row positions) of every column of nodes: inputs, hidden layers, output."""
        spacing = min(7.0 / (len(counts) - 1), 2.4)
        out = []
        for k, n in enumerate(counts):
            if k == len(counts) - 1:                     # the output node: level with the column before
                rows = np.array([(counts[-2] - 1) / 2.0])
            else:
                rows = np.arange(n, dtype=float)
            out.append((k * spacing, rows))
        return out

    def set_layout(self, features: tuple[str, ...], hidden: tuple[int, ...], task: str, activation: str,
                   data: PlaygroundData, feature_grids: np.ndarray) -> None:
        """Place the nodes for this architecture, the points for this data; then redraw the view."""
        counts = [len(features), *hidden, 1]
        self.columns = counts
        self.positions = self._positions(counts)
        w, h = self.w, self.h

        def box(x, y):
            return (x - w / 2, x + w / 2, y + h / 2, y - h / 2)    # y runs downwards

        frames = []
        for k, (x, rows) in enumerate(self.positions):
            frames += [[(x - w / 2, y - h / 2), (x + w / 2, y - h / 2), (x + w / 2, y + h / 2),
                        (x - w / 2, y + h / 2), (x - w / 2, y - h / 2)] for y in rows]
            header = self.headers[k]
            header.set_visible(True)
            header.set_position((x, -0.95))
            header.set_text("input" if k == 0 else "output" if k == len(counts) - 1 else
                            f"layer {k}\n{counts[k]} neuron{'s' if counts[k] > 1 else ''}")
        for header in self.headers[len(counts):]:
            header.set_visible(False)
        self.frames.set_segments(frames)
        x0, rows0 = self.positions[0]
        for j, (hm, label) in enumerate(zip(self.feature_maps, self.feature_labels)):
            shown = j < len(features)
            hm.set_visible(shown)
            label.set_visible(shown)
            if shown:
                hm.extent = box(x0, rows0[j])
                grid = feature_grids[j]
                hm.set_data(grid / max(float(np.abs(grid).max()), 1e-12))
                label.set_position((x0 - w / 2 - 0.08, rows0[j]))
                label.set_text(FEATURE_LABELS[features[j]])
        for l, layer in enumerate(self.neuron_maps):
            for i, hm in enumerate(layer):
                shown = l < len(hidden) and i < hidden[l]
                hm.set_visible(shown)
                if shown:
                    hm.extent = box(self.positions[l + 1][0], i)
                    hm.set_clim(*((0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)))
        xo, ro = self.positions[-1]
        self.output_map.extent = box(xo, ro[0])
        limits = (0.0, 1.0) if task == "classification" else (-1.0, 1.0)
        self.output_map.set_clim(*limits)
        self.output.set_clim(*limits)
        self.out_title.set_text("output: P(class 1)" if task == "classification"
                                else "output: the predicted value")
        # one segment per weight, in the order of W.ravel() (row i = the node it leaves)
        columns = zip(self.positions[:-1], self.positions[1:])
        self.links.set_segments([[(xa + w / 2, ya), (xb - w / 2, yb)]
                                 for (xa, rows_a), (xb, rows_b) in columns for ya in rows_a for yb in rows_b])
        self._set_points(data)

    def _set_points(self, data: PlaygroundData) -> None:
        x0, x1, y0, y1 = data.extent
        self.output.extent = data.extent
        self.out_ax.set_xlim(x0, x1)
        self.out_ax.set_ylim(y0, y1)
        for lines, X, y in ((self.train_points, data.X_train, data.y_train),
                            (self.test_points, data.X_test, data.y_test)):
            # the colour level of each point: class 0 -> 0, class 1 -> the last; a value in [-1, 1] binned
            value = y.astype(float) if data.task == "classification" else (np.clip(y[:, 0], -1, 1) + 1) / 2
            level = np.rint(value * (_LEVELS - 1)).astype(int)
            for k, line in enumerate(lines):
                line.set_data(X[level == k, 0], X[level == k, 1])
                line.set_visible(bool(np.any(level == k)))   # an empty line still costs a draw
        # a white rim would hide training points of value near 0 on a white background
        for line in self.train_points:
            line.set_markeredgecolor("white" if data.task == "classification" else "0.5")

    # ------------------------------------------------------------------ animated: every tick
    def show(self, snapshot: Snapshot, weights: list[np.ndarray], train_losses: list[float],
             test_losses: list[float], *, discretize: bool = False, show_test: bool = True,
             task: str = "classification") -> None:
        """Update everything that moves during training (the caller then refreshes the view)."""
        output = snapshot.output
        if discretize:
            output = (output > 0.5).astype(float) if task == "classification" else np.sign(output)
        self.output.set_data(output)
        self.output_map.set_data(output)
        if snapshot.hidden is not None:
            for layer_maps, grids in zip(self.neuron_maps, snapshot.hidden):
                for hm, grid in zip(layer_maps, grids):
                    hm.set_data(grid)
        for line in self.test_points:
            line.set_visible(show_test and len(line.get_xdata()) > 0)
        self._set_links(weights)
        epochs = np.arange(len(train_losses))
        step = max(1, len(epochs) // 600)              # at most ~600 points per curve
        self.train_curve.set_data(epochs[::step], np.asarray(train_losses)[::step])
        self.test_curve.set_data(epochs[::step], np.asarray(test_losses)[::step])
        top = max(max(train_losses), max(test_losses))
        self.loss_ax.set_xlim(0, max(len(epochs) - 1, 10))
        self.loss_ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)

    def _set_links(self, weights: list[np.ndarray]) -> None:
        values = np.concatenate([np.asarray(W, dtype=float).ravel() for W in weights])
        self.links.set_linewidths(np.clip(0.4 + 1.8 * np.abs(values), 0.4, 6.0))
        self.links.set_color(np.where(values >= 0, BLUE, ORANGE))
