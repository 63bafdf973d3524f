"""The model of the backprop step-through: a ``Value`` graph walked one node at a time.

The forward pass visits the operations in topological order (inputs first) and computes each value;
the backward pass visits every node in reverse order (the loss first) and computes its gradient by
the chain rule, **local times upstream**, summed over the node's uses::

    dL/dn = sum over every use of n by a node u of   du/dn  x  dL/du
                                                      local     upstream

``du/dn`` is the local gradient the ``Value`` engine stored when it computed ``u`` (``u.local_grads``),
``dL/du`` the gradient of ``u``, complete by the time ``n`` is reached. The gradients are the engine's
own (``root.backward()``); every step's products add up to them (the tests check it).

Pure functions, no widgets: :func:`neuron_loss_graph` builds the explorer's expression,
:func:`walk_graph` turns any labelled ``Value`` expression into nodes, a layout and the steps with
their explanations in words.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

from ..validation import describe
from ..autograd import Value, topological_order

__all__ = ["GraphNode", "WalkStep", "Walk", "neuron_loss_graph", "walk_graph", "fmt"]


class GraphNode(NamedTuple):
    """One value of the graph. ``parents``/``users`` are indices into ``Walk.nodes``; ``local_grads[k]``
    is ``d(this)/d(parents[k])``; ``column``/``row`` place it in the drawing (inputs in column 0)."""
    label: str
    formula: str
    value: float
    grad: float
    op: str
    parents: tuple[int, ...]
    local_grads: tuple[float, ...]
    users: tuple[int, ...]
    kind: str                 # "operation", "parameter", "input" (data or target), or "constant"
    column: int
    row: float


class WalkStep(NamedTuple):
    """One step: the node it lights up and, backwards, the terms ``(user, local, upstream)`` whose
    products add up to the node's gradient (none for the loss itself, whose gradient is 1)."""
    phase: str                # "forward" or "backward"
    node: int
    terms: tuple[tuple[int, float, float], ...]
    explanation: str


class Walk(NamedTuple):
    """Nodes in topological order (the loss last), then the forward steps and the backward steps."""
    nodes: tuple[GraphNode, ...]
    forward: tuple[WalkStep, ...]
    backward: tuple[WalkStep, ...]


def fmt(x: float) -> str:
    """A number as the step-through writes it: 3 decimals (scientific when tiny or huge), true minus."""
    x = float(x) + 0.0                                     # -0.0 -> 0.0
    text = f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"
    return text.replace("-", "\u2212")


def _finite(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite number, got {describe(value)}")
    return float(value)


def neuron_loss_graph(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> Value:
    """The squared error of one sigmoid neuron on one example, as a ``Value`` graph::

        u1 = w1·x1,  u2 = w2·x2,  s = u1 + u2,  z = s + b,  a = σ(z),  e = a − y,  L = e²

    Every node is labelled (the names above). Returns ``L``; its ``backward()`` has been run, so every
    node's ``grad`` holds ``dL/d(node)``.
    """
    fn = "neuron_loss_graph"
    given = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, y=y)
    leaf = {name: Value(_finite(fn, name, v), label=name) for name, v in given.items()}
    u1 = leaf["w1"] * leaf["x1"]
    u2 = leaf["w2"] * leaf["x2"]
    s = u1 + u2
    z = s + leaf["b"]
    a = z.sigmoid()
    e = a - leaf["y"]
    loss = e ** 2
    for node, name in ((u1, "u1"), (u2, "u2"), (s, "s"), (z, "z"), (a, "a"), (e, "e"), (loss, "L")):
        node.label = name
    loss.backward()
    return loss


def _formula(op: str, names: list[str]) -> str:
    """The right-hand side of an operation, written as in the lesson."""
    binary = {"+": " + ", "-": " \u2212 ", "*": "\u00b7", "/": " / "}
    if op in binary and len(names) == 2:
        return binary[op].join(names)
    if op.startswith("**"):
        k = op[2:]
        return f"{names[0]}\u00b2" if k == "2" else f"{names[0]}^{k}"
    if op == "neg":
        return f"\u2212{names[0]}"
    name = "\u03c3" if op == "sigmoid" else op
    return f"{name}({', '.join(names)})"


def _local_words(user: GraphNode, k: int, nodes: list[GraphNode]) -> str:
    """Why ``d user / d parents[k]`` has the value it has, in a formula with numbers."""
    p = nodes[user.parents[k]]
    d, local = f"\u2202{user.label}/\u2202{p.label}", fmt(user.local_grads[k])
    op = user.op
    if op == "+":
        return f"{d} = 1: a sum passes the gradient on unchanged"
    if op == "-":
        return f"{d} = {local}" + (": the sign flips" if k == 1 else "")
    if op == "*":
        other = nodes[user.parents[1 - k]]
        return f"{d} = {other.label} = {local}: each factor's local gradient is the other factor"
    if op == "sigmoid":
        return (f"{d} = \u03c3({p.label})(1 \u2212 \u03c3({p.label})) = {user.label}(1 \u2212 {user.label}) "
                f"= {fmt(user.value)} \u00d7 {_operand(1 - user.value)} = {local}")
    if op == "tanh":
        return f"{d} = 1 \u2212 {user.label}\u00b2 = {local}"
    if op == "**2":
        return f"{d} = 2{p.label} = 2 \u00d7 {_operand(p.value)} = {local}"
    return f"{d} = {local}"


def _layout(order: list[Value], index: dict[Value, int]) -> tuple[list[int], list[float]]:
    """Columns: the loss at its longest path from the inputs, every other node one column before its
    first user. Rows: a tidy tree: a node in the middle of its parents; inputs stacked downwards."""
    users: list[list[int]] = [[] for _ in order]
    column = [0] * len(order)
    for i, v in enumerate(order):
        column[i] = 1 + max((column[index[p]] for p in v.parents), default=-1)
        for p in v.parents:
            users[index[p]].append(i)
    for i in reversed(range(len(order) - 1)):
        if users[i]:
            column[i] = min(column[u] for u in users[i]) - 1
    row: dict[int, float] = {}
    next_free = [0.0]

    def place(i: int) -> float:
        if i in row:
            return row[i]
        parents = [index[p] for p in order[i].parents]
        if not parents:
            row[i] = next_free[0]
            next_free[0] += 1
            return row[i]
        inner = [place(p) for p in parents if order[p].parents]
        below = max(inner, default=None)
        for p in parents:
            if not order[p].parents and p not in row:
                if below is None:
                    place(p)
                else:                              # an input joining later sits just below
                    below += 1
                    row[p] = below
                    next_free[0] = max(next_free[0], below + 1)
        row[i] = sum(row[p] for p in parents) / len(parents)
        return row[i]

    place(len(order) - 1)
    for c in set(column):                           # keep the boxes of one column apart
        members = sorted((i for i in range(len(order)) if column[i] == c), key=lambda i: row[i])
        for prev, cur in zip(members, members[1:]):
            row[cur] = max(row[cur], row[prev] + 1)
    return column, [row[i] for i in range(len(order))]


def walk_graph(root: Value, parameters: tuple[str, ...] = ("w1", "w2", "b")) -> Walk:
    """The nodes of ``root``'s graph and the forward and backward steps of the walk through it.

    ``root.backward()`` must have been run (the gradients are read, not recomputed). Unlabelled
    leaves are constants and named by their value; unlabelled operations get ``v1, v2, ...``.
    Leaves whose label is in ``parameters`` are what gradient descent changes; other labelled leaves
    are inputs. Forward steps: every operation, in topological order. Backward steps: every node,
    the loss first; the terms of a node are its uses, each ``(user, du/dn, dL/du)``.
    """
    fn = "walk_graph"
    if not isinstance(root, Value):
        raise TypeError(f"{fn}: root must be a Value (the loss of an expression), got {describe(root)}")
    if root.grad != 1.0:
        raise ValueError(f"{fn}: run root.backward() first (after zero_grad()): the root's grad must be "
                         f"1, got {root.grad!r}")
    order = topological_order(root)
    index = {v: i for i, v in enumerate(order)}
    column, row = _layout(order, index)
    users: list[list[int]] = [[] for _ in order]
    for i, v in enumerate(order):
        for p in v.parents:
            if i not in users[index[p]]:
                users[index[p]].append(i)
    nodes: list[GraphNode] = []
    unnamed = 0
    for i, v in enumerate(order):
        label = v.label
        if not label and v.parents:
            unnamed += 1
            label = f"v{unnamed}"
        elif not label:
            label = f"{v.data:g}"
        kind = ("operation" if v.parents else "parameter" if v.label in parameters
                else "input" if v.label else "constant")
        formula = (f"{label} = {_formula(v.op, [nodes[index[p]].label for p in v.parents])}"
                   if v.parents else label)
        nodes.append(GraphNode(label, formula, v.data, v.grad, v.op, tuple(index[p] for p in v.parents),
                               tuple(v.local_grads), tuple(users[i]), kind, column[i], row[i]))
    forward = tuple(_forward_step(n, k, sum(1 for m in nodes if m.parents), nodes)
                    for k, n in enumerate(i for i, m in enumerate(nodes) if m.parents))
    backward = tuple(_backward_step(n, k, len(nodes), nodes) for k, n in enumerate(reversed(range(len(nodes)))))
    return Walk(tuple(nodes), forward, backward)


def _operand(x: float, first: bool = False) -> str:
    """A number inside a formula: negative ones in brackets, unless they come first."""
    return fmt(x) if x >= 0 or first else f"({fmt(x)})"


def _hint(node: GraphNode, nodes: list[GraphNode]) -> str:
    """What an operation means in the neuron, in a few words (empty when there is nothing to add)."""
    kinds = {nodes[p].kind for p in node.parents}
    if node.op == "*" and kinds == {"parameter", "input"}:
        return " A weight times an input."
    if node.op == "sigmoid":
        return " σ squashes any number into (0, 1): this is the neuron's prediction."
    if node.op == "-" and nodes[node.parents[1]].kind == "input":
        return " The error: prediction minus target."
    if node.op == "**2":
        return " Squaring makes every error count as a positive loss."
    return ""


def _forward_step(i: int, k: int, total: int, nodes: list[GraphNode]) -> WalkStep:
    node = nodes[i]
    shown = [nodes[p].label if nodes[p].kind == "constant" else _operand(nodes[p].value, j == 0)
             for j, p in enumerate(node.parents)]
    if node.op.startswith("**") and node.parents and nodes[node.parents[0]].value < 0:
        shown[0] = f"({fmt(nodes[node.parents[0]].value)})"
    text = (f"Forward step {k + 1} of {total}: {node.formula} = {_formula(node.op, shown)} = "
            f"{fmt(node.value)}." + _hint(node, nodes))
    if not node.users:
        text += (" This is the loss: the forward pass is complete. Every value is kept, because the "
                 "local gradients of the backward pass are made of them.")
    return WalkStep("forward", i, (), text)


def _backward_step(i: int, k: int, total: int, nodes: list[GraphNode]) -> WalkStep:
    node = nodes[i]
    head = f"Backward step {k + 1} of {total}: "
    if not node.users:
        return WalkStep("backward", i, (), head + f"the walk starts at the loss: \u2202{node.label}/\u2202"
                        f"{node.label} = 1 (a change of {node.label} changes {node.label} by as much).")
    terms = tuple((u, nodes[u].local_grads[k], nodes[u].grad)
                  for u in node.users for k, p in enumerate(nodes[u].parents) if p == i)
    d = f"\u2202L/\u2202{node.label}"
    product = " + ".join(f"{_operand(local, True)} \u00d7 {_operand(up)}" for _, local, up in terms)
    text = head + f"{d} = local \u00d7 upstream = {product} = {fmt(node.grad)}."
    for u, _, up in terms:
        user = nodes[u]
        ks = [k for k, p in enumerate(user.parents) if p == i]
        local = "; ".join(_local_words(user, k, nodes) for k in ks)
        text += (f" {node.label} is used in {user.formula}. The local gradient: {local}. The upstream "
                 f"gradient \u2202L/\u2202{user.label} = {fmt(up)} was computed at an earlier step.")
    if len(terms) > 1:
        text += f" {node.label} is used {len(terms)} times, so the contributions add up."
    if node.kind == "parameter":
        text += (f" {node.label} is a parameter: gradient descent will change it by "
                 f"\u2212\u03b7 \u00d7 {_operand(node.grad)}.")
    elif node.kind == "input":
        text += (f" {node.label} is data: its gradient says how L would change with it, but training "
                 f"does not change it.")
    return WalkStep("backward", i, terms, text)
