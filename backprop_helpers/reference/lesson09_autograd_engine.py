"""Lesson 09, build an autograd engine: the reference answers to its exercises (see
``reference/__init__.py``).

The lesson gives a tiny node class, ``Value`` below (the notebook defines the very same class; the
checks build their test graphs with the learner's copy when they can find it, with this one otherwise).
Each exercise is a function on such nodes, attached to the class afterwards (``Value.__add__ =
value_add``), so that the engine grows one exercise at a time:

- one operation per function: ``value_add``, ``value_mul``, ``value_pow``, ``value_exp``,
  ``value_log``, ``value_tanh``, ``value_relu``. Each computes its result's ``data`` and gives the
  result a ``backward_step``: a closure that adds ``local gradient * out.grad`` to each parent's
  ``grad`` (``+=``: a node used twice receives both contributions);
- the backward pass: ``topological_order(root)`` (every node once, parents before children),
  ``backward(root)`` (seed ``root.grad = 1``, then every node's ``backward_step`` in reverse
  topological order) and ``zero_grad(nodes)``;
- a network on these nodes: ``value_neuron``, ``value_layer``, ``value_mlp`` and
  ``value_train_step`` (one step of gradient descent on the mean squared error).

An operation creates its result with the class of its node argument (``type(a)``), so the same
functions serve the notebook's class and this module's. ``wire_operators(cls)`` attaches them to a
class the way the lesson's cells do, with subtraction, negation and division built from them.
"""
from __future__ import annotations

import math
import numbers

__all__ = [
    "Value", "wire_operators",
    "value_add", "value_mul", "value_pow", "value_exp", "value_log", "value_tanh", "value_relu",
    "topological_order", "backward", "zero_grad",
    "value_neuron", "value_layer", "value_mlp", "value_train_step",
]


class Value:
    """One scalar node of a computational graph: its number, its gradient, where it came from."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data = float(data)           # the number this node holds
        self.grad = 0.0                   # d(root)/d(this node), filled in by the backward pass
        self.parents = tuple(parents)     # the nodes this one was computed from
        self.op = op                      # the operation that made it ("+", "*", ...), "" for an input
        self.label = label                # a name for drawings (optional)
        self.backward_step = lambda: None  # passes self.grad back to the parents; an input has nothing to do

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


# ------------------------------------------------------------------ operations

def value_add(a, b):
    """``a + b``: a is a node, b a node or a number. Both local gradients are 1."""
    if isinstance(b, numbers.Number):          # a plain number becomes a constant node
        b = type(a)(b)
    out = type(a)(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += 1.0 * out.grad               # d(a + b)/da = 1, times the upstream gradient
        b.grad += 1.0 * out.grad               # d(a + b)/db = 1
    out.backward_step = backward_step
    return out


def value_mul(a, b):
    """``a * b``: a is a node, b a node or a number. d(ab)/da = b, d(ab)/db = a."""
    if isinstance(b, numbers.Number):
        b = type(a)(b)
    out = type(a)(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
    out.backward_step = backward_step
    return out


def value_pow(a, k):
    """``a ** k`` for a plain number k: d(x^k)/dx = k x^(k-1)."""
    out = type(a)(a.data ** k, (a,), f"**{k:g}")

    def backward_step():
        a.grad += k * a.data ** (k - 1) * out.grad
    out.backward_step = backward_step
    return out


def value_exp(a):
    """``e^a``: its derivative is itself, the output."""
    out = type(a)(math.exp(a.data), (a,), "exp")

    def backward_step():
        a.grad += out.data * out.grad
    out.backward_step = backward_step
    return out


def value_log(a):
    """Natural logarithm of a (a.data > 0): d log(x)/dx = 1/x."""
    out = type(a)(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += (1.0 / a.data) * out.grad
    out.backward_step = backward_step
    return out


def value_tanh(a):
    """``tanh(a)``: d tanh(x)/dx = 1 - tanh(x)^2, from the OUTPUT t."""
    out = type(a)(math.tanh(a.data), (a,), "tanh")

    def backward_step():
        a.grad += (1.0 - out.data ** 2) * out.grad
    out.backward_step = backward_step
    return out


def value_relu(a):
    """``max(a, 0)``: slope 1 where the input is positive, 0 elsewhere (0 at the kink)."""
    out = type(a)(max(a.data, 0.0), (a,), "relu")

    def backward_step():
        a.grad += (1.0 if a.data > 0 else 0.0) * out.grad
    out.backward_step = backward_step
    return out


# ------------------------------------------------------------------ the backward pass

def topological_order(root):
    """Every node of root's graph once, each after all of its parents (root last)."""
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)                      # the parents first ...
        order.append(node)                     # ... then the node itself
    visit(root)
    return order


def backward(root):
    """Fill ``grad`` of every node of root's graph with d(root)/d(node) (added to what it holds)."""
    order = topological_order(root)
    root.grad = 1.0                            # the seed: d(root)/d(root) = 1
    for node in reversed(order):               # a node after all the nodes that use it
        node.backward_step()


def zero_grad(nodes):
    """Set ``grad`` to 0 on every node of ``nodes``."""
    for node in nodes:
        node.grad = 0.0


# ------------------------------------------------------------------ a network of nodes

def value_neuron(w, b, x, activation="tanh"):
    """``act(sum_d w[d] * x[d] + b)``: w (D,) nodes, b a node, x (D,) numbers or nodes.

    activation: "tanh", "relu" or "linear" (none), applied with the node's method.
    """
    z = b
    for w_d, x_d in zip(w, x):
        z = z + w_d * x_d
    if activation == "tanh":
        return z.tanh()
    if activation == "relu":
        return z.relu()
    return z


def value_layer(W, b, x, activation="tanh"):
    """A layer ``out = act(x @ W + b)`` of neurons: W (D, H) and b (H,) object arrays of nodes, x (D,).

    Unit h is a neuron with the weights of column h, ``W[:, h]``, and the bias ``b[h]``.
    Returns a list of H nodes.
    """
    return [value_neuron(W[:, h], b[h], x, activation) for h in range(W.shape[1])]


def value_mlp(params, x, activation="tanh"):
    """The scores of one example x (D,): ``params`` holds W1, b1, ..., WL, bL (object arrays of nodes).

    The activation follows every layer but the last, as in lesson 05. Returns a list of C nodes.
    """
    L = len(params) // 2
    h = x
    for l in range(1, L + 1):
        h = value_layer(params[f"W{l}"], params[f"b{l}"], h, activation if l < L else "linear")
    return h


def value_train_step(params, X, Y, lr, activation="tanh"):
    """One step of gradient descent on ``L = (1/N) sum_n sum_c (scores[n, c] - Y[n, c])**2``.

    X (N, D) and Y (N, C) are numbers. Zeroes the gradients (they may hold the last step's), builds
    the loss, runs the backward pass and moves every parameter by ``-lr * grad``. Returns the loss
    before the step, a float.
    """
    nodes = [p for array in params.values() for p in array.flat]
    zero_grad(nodes)
    loss = 0.0
    for x, y in zip(X, Y):
        for s, t in zip(value_mlp(params, x, activation), y):
            loss = loss + (s - t) ** 2
    loss = loss / len(X)
    backward(loss)
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data


# ------------------------------------------------------------------ the class's operators

def wire_operators(cls):
    """Attach the operations to ``cls`` as the lesson's cells do, and return it: ``+ * **`` (with a
    plain number on either side of ``+`` and ``*``), ``-``, unary ``-``, ``/``, and the methods
    ``exp``, ``log``, ``tanh``, ``relu`` and ``backward``."""
    cls.__add__ = cls.__radd__ = value_add
    cls.__mul__ = cls.__rmul__ = value_mul
    cls.__pow__ = value_pow
    cls.__neg__ = lambda a: a * -1.0
    cls.__sub__ = lambda a, b: a + (-b)
    cls.__rsub__ = lambda a, b: (-a) + b
    cls.__truediv__ = lambda a, b: a * b ** -1.0
    cls.__rtruediv__ = lambda a, b: a ** -1.0 * b
    cls.exp, cls.log, cls.tanh, cls.relu = value_exp, value_log, value_tanh, value_relu
    cls.backward = backward
    return cls
