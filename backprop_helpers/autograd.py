"""A scalar reverse-mode automatic differentiation engine: the chain rule on a computational graph.

Every arithmetic operation on a ``Value`` creates a new ``Value`` that remembers

- its ``parents``, the inputs of the operation, **in order** (``x * x`` has parents ``(x, x)``), and
- its ``local_grads``, the partial derivatives ``d out / d parent`` evaluated during the forward pass.

``loss.backward()`` then visits the nodes from the output back to the inputs (reverse topological order)
and applies the chain rule at each node::

    parent.grad += local_grad * node.grad          # d loss/d parent += d node/d parent * d loss/d node

The ``+=`` is the multivariate chain rule: a value used twice receives the sum of the contributions of
every path through the graph, so ``x * x`` gives ``2 x`` and ``x + x`` gives ``2``.

Like PyTorch, gradients **accumulate**: ``backward()`` adds ``d self / d node`` to every ``node.grad``.
Call ``zero_grad()`` before a new backward pass; two backward passes without it give twice the gradients.

Arrays of ``Value`` (``value_array``, ``data_array``, ``grad_array``) carry the engine to numpy shapes.
The helpers that build a whole MLP loss out of ``Value`` objects, the third, independent route (after
the analytic backward pass and the numerical gradient) by which the package checks gradients, are in
``value_mlp``; ``mlp_loss_value`` and ``mlp_gradients_by_value`` are importable from here too.
"""
from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .layers import ACTIVATIONS, LEAKY_SLOPE
from .validation import as_float_array, check_choice, describe

__all__ = [
    "Value", "activate", "topological_order", "value_array", "data_array", "grad_array",
    "mlp_loss_value", "mlp_gradients_by_value",
]


def _binary(op: Callable[[Value, Value], Value]) -> Callable[[Value, Any], Value]:
    """Let a binary operation take plain numbers too (as constant Values); defer on anything else."""
    @functools.wraps(op)
    def with_numbers(self: Value, other: Any) -> Value:
        if isinstance(other, numbers.Real) and not isinstance(other, Value):
            other = Value(other)
        elif not isinstance(other, Value):
            return NotImplemented              # e.g. a numpy array: numpy then applies v to each element
        return op(self, other)
    return with_numbers


class Value:
    """One scalar node of a computational graph: ``data``, ``grad = d(output)/d(this)`` and its history.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a              # dc/da = b + 1 = -2, dc/db = a = 2
    >>> c.backward(); (a.grad, b.grad)
    (-2.0, 2.0)
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value: data must be a real number (int or float), got {describe(data)}")
        self.data = float(data)
        self.grad = 0.0
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.op = ""
        self.label = label

    @staticmethod
    def _result(data: float, op: str, parents: tuple, local_grads: tuple) -> Value:
        """The output node of an operation: its value, and d out/d parent for each parent, in order."""
        out = Value(data)
        out.parents, out.local_grads, out.op = parents, local_grads, op
        return out

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---------------------------------------------------------------- binary operations
    @_binary
    def __add__(self, other: Value) -> Value:
        return Value._result(self.data + other.data, "+", (self, other), (1.0, 1.0))

    @_binary
    def __sub__(self, other: Value) -> Value:
        return Value._result(self.data - other.data, "-", (self, other), (1.0, -1.0))

    @_binary
    def __mul__(self, other: Value) -> Value:
        return Value._result(self.data * other.data, "*", (self, other), (other.data, self.data))

    @_binary
    def __truediv__(self, other: Value) -> Value:
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__: division by zero (the denominator is {other!r})")
        q = a / b
        return Value._result(q, "/", (self, other), (1.0 / b, -q / b))   # d(a/b) = da/b - (a/b^2) db

    # reflected operators: 2 + v, 2 - v, 2 * v, 2 / v (and sum([...]), which starts from 0)
    __radd__ = _binary(lambda self, other: other + self)
    __rsub__ = _binary(lambda self, other: other - self)
    __rmul__ = _binary(lambda self, other: other * self)
    __rtruediv__ = _binary(lambda self, other: other / self)

    def __pow__(self, k: Any) -> Value:
        """``x ** k`` for a number ``k``: ``d(x^k)/dx = k x^(k-1)``."""
        if isinstance(k, Value) or isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"Value.__pow__: only numeric exponents are supported (v ** 2, v ** -1, "
                            f"v ** 0.5), got {describe(k)}; for a Value exponent k write (k * v.log()).exp()")
        x = self.data
        if x < 0 and not float(k).is_integer():
            raise ValueError(f"Value.__pow__: a negative base {x!r} to the non-integer power {k!r} "
                             f"is not a real number")
        if x == 0 and k < 0:
            raise ZeroDivisionError(f"Value.__pow__: 0 ** {k!r} is undefined (division by zero)")
        local = 0.0 if k == 0 else (math.inf if x == 0 and k < 1 else k * x ** (k - 1))
        return Value._result(x ** k, f"**{k:g}", (self,), (local,))

    def __rpow__(self, base: Any) -> Value:        # 2 ** v
        raise TypeError(f"Value.__rpow__: only numeric exponents are supported, got a Value exponent "
                        f"(base {describe(base)}); for a positive number a write (v * math.log(a)).exp()")

    # ---------------------------------------------------------------- unary operations
    def __neg__(self) -> Value:
        return Value._result(-self.data, "neg", (self,), (-1.0,))

    def __abs__(self) -> Value:
        x = self.data
        return Value._result(abs(x), "abs", (self,), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,))

    def exp(self) -> Value:
        """``e^x``; its derivative is itself."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"Value.exp: exp({self.data!r}) is too large for a float "
                                f"(exp overflows above about 709.78)") from None
        return Value._result(e, "exp", (self,), (e,))

    def log(self) -> Value:
        """Natural logarithm, ``d log(x)/dx = 1/x``; defined for ``x > 0`` only."""
        if self.data <= 0:
            raise ValueError(f"Value.log: log is only defined for positive numbers, got {self!r}")
        return Value._result(math.log(self.data), "log", (self,), (1.0 / self.data,))

    def tanh(self) -> Value:
        """``tanh(x)``, ``d tanh(x)/dx = 1 - tanh(x)^2``."""
        t = math.tanh(self.data)
        return Value._result(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """``s(x) = 1 / (1 + e^-x)``, ``ds/dx = s (1 - s)``; the exponent is never positive (no overflow)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value._result(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """``max(0, x)``; derivative 1 for ``x > 0`` and 0 otherwise (0 at the kink, as in ``layers``)."""
        x = self.data
        return Value._result(max(0.0, x), "relu", (self,), (1.0 if x > 0 else 0.0,))

    def leaky_relu(self, slope: float = LEAKY_SLOPE) -> Value:
        """``x`` for ``x > 0`` else ``slope * x``; derivative 1 or ``slope``."""
        x = self.data
        return Value._result(x if x > 0 else slope * x, "leaky_relu", (self,), (1.0 if x > 0 else slope,))

    # ---------------------------------------------------------------- the backward pass
    def backward(self) -> None:
        """Add ``d self / d node`` to ``node.grad`` for every node of the graph (``self.grad`` gets 1).

        Visits the nodes in reverse topological order, so a node is processed only after every node
        that uses it has passed back its contribution. Gradients of this pass are first collected in
        ``pending`` and then added to ``.grad``: calling ``backward()`` twice gives exactly twice the
        gradients (accumulation, as in PyTorch); call ``zero_grad()`` first for fresh ones.
        """
        pending = {self: 1.0}                      # seed: d self / d self = 1
        for node in reversed(topological_order(self)):
            g = pending.pop(node, 0.0)
            node.grad += g
            for parent, local in zip(node.parents, node.local_grads):
                pending[parent] = pending.get(parent, 0.0) + local * g      # chain rule, summed over paths

    def zero_grad(self) -> None:
        """Reset ``grad`` to 0 on every node reachable from ``self`` (``self`` included)."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents (inputs first, ``root`` last).

    An iterative depth-first search (an explicit stack instead of recursion), so graphs of any depth
    work: a chain of 100 000 operations would overflow Python's recursion limit.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: root must be a Value, got {describe(root)}")
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:                           # all parents are in `order`: now the node itself
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if p not in seen)
    return order


# ==================================================================== arrays of Values

def value_array(x: Any, label: str = "") -> np.ndarray:
    """A float array of any shape -> an object array of fresh leaf ``Value``s of the same shape.

    With ``label="W1"`` the elements are labelled ``W1[0,0]``, ``W1[0,1]``, ... (handy in graph drawings).
    """
    x = as_float_array("value_array", "x", x, allow_complex=False, allow_empty=True)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        name = f"{label}[{','.join(map(str, idx))}]" if label else ""
        out[idx] = Value(float(x[idx]), label=name)
    return out


def _object_array(fn: str, v: Any) -> np.ndarray:
    if isinstance(v, Value):
        v = np.array(v, dtype=object)
    if not isinstance(v, np.ndarray) or v.dtype != object:
        raise TypeError(f"{fn}: v must be an object array of Value (see value_array), got {describe(v)}")
    return v


def data_array(v: Any) -> np.ndarray:
    """An object array of ``Value`` (or of numbers) -> the float64 array of their ``data``, same shape."""
    v = _object_array("data_array", v)
    out = np.empty(v.shape, dtype=np.float64)
    for idx in np.ndindex(v.shape):
        e = v[idx]
        out[idx] = e.data if isinstance(e, Value) else float(e)
    return out


def grad_array(v: Any) -> np.ndarray:
    """An object array of ``Value`` -> the float64 array of their ``grad``, same shape."""
    v = _object_array("grad_array", v)
    out = np.empty(v.shape, dtype=np.float64)
    for idx in np.ndindex(v.shape):
        if not isinstance(v[idx], Value):
            raise TypeError(f"grad_array: v{list(idx)} is {describe(v[idx])}, not a Value, so it has no grad")
        out[idx] = v[idx].grad
    return out


def activate(v: Value, name: str) -> Value:
    """The hidden activation ``name`` of ``layers.ACTIVATIONS`` applied to one ``Value``
    (``linear`` is the identity; the others are the methods of the same name)."""
    name = check_choice("activate", "name", name, ACTIVATIONS)
    return v if name == "linear" else getattr(v, name)()


# ==================================================================== the MLP loss on Values

# value_mlp builds on this module, so its functions are looked up on first use instead of imported
# at the top (which would be circular); `from backprop_helpers.autograd import mlp_loss_value` works.
_FROM_VALUE_MLP = ("mlp_loss_value", "mlp_gradients_by_value")


def __getattr__(name: str) -> Any:
    if name in _FROM_VALUE_MLP:
        from . import value_mlp
        return getattr(value_mlp, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_FROM_VALUE_MLP])
