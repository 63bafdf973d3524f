"""Computational graphs drawn with matplotlib: a box per value (label, data, grad), a circle per op.

``draw_graph(root)`` lays out the graph of a ``Value`` expression in layers, inputs first (left to right
or top to bottom), with no arrow running through a box, and draws it with matplotlib only (no graphviz
binary). Like every plot of the course it draws on ``ax`` (a new figure when ``ax`` is None), returns
the Axes and never calls ``plt.show()``. ``draw_graph`` is also importable from ``plots``.

It draws the nodes of an engine a learner wrote too (lesson 09): any object with ``data``, ``grad``
and its parents, under one of the names in ``PARENT_ATTRIBUTES``; ``op`` and ``label`` are used when
present.
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ..validation import check_choice, check_positive_int, describe
from ..autograd import Value, topological_order
from ..layers import ACTIVATIONS

__all__ = ["draw_graph", "PARENT_ATTRIBUTES"]

#: where a node keeps the nodes it was computed from: the course's ``Value`` and lesson 09's class use
#: ``parents``; the other names are those learners often choose (micrograd's ``_prev`` among them)
PARENT_ATTRIBUTES = ("parents", "_prev", "prev", "_children", "children", "inputs")


def _fmt(x: float) -> str:
    x = x + 0.0                                    # -0.0 -> 0.0
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.2e}"


def _parents_attribute(root: Any) -> str | None:
    """The name under which ``root``'s kind of node keeps its parents, or None if it is not a node."""
    if not (hasattr(root, "data") and hasattr(root, "grad")):
        return None
    return next((name for name in PARENT_ATTRIBUTES if hasattr(root, name)), None)


def _graph(root: Any, attribute: str) -> tuple[list, dict[Any, tuple]]:
    """Every node reachable from ``root``, each after its parents (root last), and each node's parents
    in order, for any kind of node (an iterative depth-first search, like ``autograd.topological_order``)."""
    parents: dict[Any, tuple] = {}
    order: list = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in parents:
            continue
        parents[node] = tuple(getattr(node, attribute, ()) or ())
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(parents[node]) if p not in parents)
    return order, parents


def _layout(nodes: list, parents: dict[Any, tuple]) -> tuple[dict, dict, dict]:
    """Layered layout of a graph given in topological order (root last), ``parents[v]`` holding the
    parents of each node ``v`` in order.

    Layers: the root's layer is its longest path from the leaves; every other node sits one layer before
    its earliest user, so a tree-shaped expression has only one-layer arrows. An arrow spanning several
    layers passes through placeholder points, one per layer it crosses, which take a slot like a node
    (no arrow runs through a box). Inside a layer, nodes are ordered by the mean position of their
    neighbours (barycentre sweeps, down then up, twice) to reduce crossings, and spaced 1 apart.

    Returns the layer and position of each node and placeholder, and the placeholders of each arrow
    ``(node, k)`` from ``parents[node][k]``.
    """
    users: dict[Any, list] = {v: [] for v in nodes}
    depth: dict[Any, int] = {}
    for v in nodes:                                # longest path from the leaves (parents come first)
        depth[v] = 1 + max((depth[p] for p in parents[v]), default=-1)
        for p in parents[v]:
            users[p].append(v)
    for v in reversed(nodes[:-1]):                 # then pull each node next to its earliest user
        depth[v] = min(depth[u] for u in users[v]) - 1

    up: dict[Any, list] = {v: [] for v in nodes}
    down: dict[Any, list] = {v: [] for v in nodes}
    layers: list[list] = [[] for _ in range(depth[nodes[-1]] + 1)]
    for v in nodes:
        layers[depth[v]].append(v)
    chains: dict[tuple[Any, int], list] = {}
    for v in nodes:
        for k, p in enumerate(parents[v]):
            chain, prev = [], p
            for d in range(depth[p] + 1, depth[v]):
                point = object()                   # a placeholder on a long arrow
                depth[point], up[point], down[point] = d, [], []
                layers[d].append(point)
                chain.append(point)
                down[prev].append(point)
                up[point].append(prev)
                prev = point
            down[prev].append(v)
            up[v].append(prev)
            chains[(v, k)] = chain

    pos: dict[Any, float] = {}

    def place(layer: list) -> None:
        for i, n in enumerate(layer):
            pos[n] = i - (len(layer) - 1) / 2

    def barycentre(n: Any, neighbours: list) -> float:
        return float(np.mean([pos[m] for m in neighbours])) if neighbours else pos[n]

    for layer in layers:
        place(layer)
    for _ in range(2):
        for layer in layers[1:]:
            layer.sort(key=lambda n: barycentre(n, up[n]))     # stable: ties keep their order
            place(layer)
        for layer in reversed(layers[:-1]):
            layer.sort(key=lambda n: barycentre(n, down[n]))
            place(layer)
    return depth, pos, chains


def draw_graph(root: Any, ax: Axes | None = None, show_grad: bool = True, rankdir: str = "LR",
               max_nodes: int = 200) -> Axes:
    """Draw the computational graph of ``root``: a box per value (label, data, grad), a circle per op.

    ``root`` is a ``Value`` or a node of another engine (``data``, ``grad``, and its parents under a
    name of ``PARENT_ATTRIBUTES``, e.g. lesson 09's class). Arrows go from the inputs of an operation
    to its circle and from the circle to its result; a value used twice (``x * x``) sends two arrows.
    ``rankdir="LR"`` puts the inputs on the left, ``"TB"`` on top. Inputs are pale blue, the output
    pale orange. Readable up to about 40 nodes.

    Raises:
        ValueError: if the graph has more than ``max_nodes`` values (draw a smaller expression).
    """
    fn = "draw_graph"
    attribute = "parents" if isinstance(root, Value) else _parents_attribute(root)
    if attribute is None:
        raise TypeError(f"{fn}: root must be a Value (the output of an expression), or a node of your own "
                        f"engine with .data, .grad and .parents, got {describe(root)}")
    rankdir = check_choice(fn, "rankdir", rankdir, {"lr", "tb"})
    max_nodes = check_positive_int(fn, "max_nodes", max_nodes)
    if isinstance(root, Value):
        nodes = topological_order(root)
        parents = {v: v.parents for v in nodes}
    else:
        nodes, parents = _graph(root, attribute)
    if len(nodes) > max_nodes:
        raise ValueError(f"{fn}: the graph of root has {len(nodes)} values, more than max_nodes={max_nodes}; "
                         f"draw a smaller expression (one neuron, a two-term loss), or raise max_nodes")
    depth, pos, chains = _layout(nodes, parents)
    texts = {}
    for v in nodes:
        line = f"data {_fmt(float(v.data))} | grad {_fmt(float(v.grad))}" if show_grad \
            else f"data {_fmt(float(v.data))}"
        label = getattr(v, "label", "")
        texts[v] = f"{label}\n{line}" if isinstance(label, str) and label else line
    ops = [v for v in nodes if parents[v]]
    op_names = {v: str(getattr(v, "op", getattr(v, "_op", "")) or "") for v in ops}
    op_text = {v: ACTIVATIONS[name].symbol if name in ACTIVATIONS else name for v, name in op_names.items()}

    # geometry in "em" units (1 unit = the font size), so that the text fits the boxes at any scale
    width = 0.62 * max(len(s) for t in texts.values() for s in t.split("\n")) + 1.2
    height = 1.3 * max(t.count("\n") + 1 for t in texts.values()) + 0.6
    radius = max(1.0, 0.31 * max((len(t) for t in op_text.values()), default=1) + 0.5)
    gap = 1.2
    along, across = (width, height) if rankdir == "lr" else (height, width)
    layer_step = along + 2 * radius + 2 * gap
    pitch = max(across, 2 * radius) + 1.0

    def xy(a: float, c: float) -> tuple[float, float]:   # (along the layers, across) -> (x, y)
        return (a, -c) if rankdir == "lr" else (c, -a)

    centre = {n: xy(depth[n] * layer_step, pos[n] * pitch) for n in pos}
    op_centre = {v: xy(depth[v] * layer_step - (along / 2 + gap + radius), pos[v] * pitch) for v in ops}
    xs = [x for x, _ in centre.values()]
    ys = [y for _, y in centre.values()]
    margin = 0.8
    xlim = (min(xs) - width / 2 - margin, max(xs) + width / 2 + margin)
    ylim = (min(ys) - height / 2 - margin, max(ys) + height / 2 + margin)
    if ax is None:
        span = (xlim[1] - xlim[0], ylim[1] - ylim[0])      # 9 pt text: 8 units per inch
        _, ax = plt.subplots(figsize=(float(np.clip(span[0] / 8, 2, 20)),
                                      float(np.clip(span[1] / 8, 1, 14))))
        ax.set_position((0.01, 0.01, 0.98, 0.98))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    points_per_unit = 72 * min(box.width * fig_w / (xlim[1] - xlim[0]),
                               box.height * fig_h / (ylim[1] - ylim[0]))
    fontsize = min(points_per_unit, 11.0)
    text_style = dict(ha="center", va="center", fontsize=fontsize, family="monospace", zorder=3)
    arrow_style = dict(arrowstyle="-|>", mutation_scale=fontsize, color="#555555", lw=1.0, zorder=1,
                       gid="edge")

    patches = {}
    for v in nodes:
        x, y = centre[v]
        face = "#FFE9C7" if v is root else ("#E3EEF8" if not parents[v] else "white")
        pad = 0.3
        patches[v] = ax.add_patch(FancyBboxPatch(
            (x - width / 2 + pad, y - height / 2 + pad), width - 2 * pad, height - 2 * pad,
            boxstyle=f"round,pad={pad}", fc=face, ec="#333333", lw=1.0, zorder=2, gid="value"))
        ax.text(x, y, texts[v], gid="value_text", **text_style)
    for v in ops:
        circle = ax.add_patch(Circle(op_centre[v], radius, fc="#F2F2F2", ec="#333333", lw=1.0, zorder=2,
                                     gid="op"))
        ax.text(*op_centre[v], op_text[v], gid="op_text", **text_style)
        ax.add_patch(FancyArrowPatch(op_centre[v], centre[v], patchA=circle, patchB=patches[v],
                                     **arrow_style))
        for k, p in enumerate(parents[v]):
            chain = chains[(v, k)]
            if not chain:                        # x * x: the two arrows from x are bent apart
                copies = sum(1 for q in parents[v] if q is p)
                rad = 0.5 * (sum(1 for q in parents[v][:k] if q is p) - (copies - 1) / 2)
                ax.add_patch(FancyArrowPatch(centre[p], op_centre[v], patchA=patches[p], patchB=circle,
                                             connectionstyle=f"arc3,rad={rad}", **arrow_style))
                continue
            points = [centre[p]]                 # a long arrow runs through the empty slots of its chain
            for point in chain:
                a, c = depth[point] * layer_step, pos[point] * pitch
                points += [xy(a - along / 2, c), xy(a + along / 2, c)]
            ax.add_line(Line2D(*zip(*points), color="#555555", lw=1.0, zorder=1, gid="edge_path"))
            ax.add_patch(FancyArrowPatch(points[-1], op_centre[v], patchB=circle, **arrow_style))
    return ax
