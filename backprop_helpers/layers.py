"""Forward/backward pairs: the building blocks of a network, one derivation each.

Every layer is two functions. ``*_forward`` computes the output and returns a *cache*: exactly what
the backward pass will need, as a small typed ``NamedTuple``. ``*_backward(dout, cache)`` receives
``dout = dL/d(out)`` (the upstream gradient, same shape as ``out``) and applies the chain rule:

    dL/d(input) = dL/d(out) * d(out)/d(input)        (upstream gradient times local gradient)

Shapes follow the course's notation: ``X`` is (N, D), ``W`` is (D, H), ``b`` is (H,), ``out`` is (N, H).

Each function checks its inputs, then computes the lesson's formula in one or two lines. The same
arithmetic with fewer temporary arrays, for training, lives in ``backprop_helpers.fast``.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .validation import as_float_array, check_same_dtype

__all__ = [
    "LinearCache", "SigmoidCache", "TanhCache", "ReLUCache", "LeakyReLUCache",
    "linear_forward", "linear_backward",
    "sigmoid", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward",
    "identity_forward", "identity_backward",
    "Activation", "ACTIVATIONS", "LEAKY_SLOPE",
]

#: the slope of the leaky ReLU for negative inputs, wherever the course uses one
LEAKY_SLOPE = 0.01


class LinearCache(NamedTuple):
    """What ``linear_backward`` needs: the layer's input X (N, D) and weights W (D, H)."""
    X: np.ndarray
    W: np.ndarray


class SigmoidCache(NamedTuple):
    """The sigmoid's *output* (N, H): its derivative is out * (1 - out)."""
    out: np.ndarray


class TanhCache(NamedTuple):
    """The tanh's *output* (N, H): its derivative is 1 - out**2."""
    out: np.ndarray


class ReLUCache(NamedTuple):
    """The ReLU's *input* (N, H): the gradient passes where the input was positive."""
    x: np.ndarray


class LeakyReLUCache(NamedTuple):
    """The leaky ReLU's input (N, H) and its slope ``alpha`` for negative inputs."""
    x: np.ndarray
    alpha: float


# --------------------------------------------------------------------------- checks shared below

def _check_dout(fn, dout, like):
    dout = as_float_array(fn, "dout", dout)
    if dout.shape != like.shape:
        raise ValueError(f"{fn}: dout must have the shape of the forward output {like.shape}, "
                         f"got dout.shape={dout.shape}")
    return dout


def _check_cache(fn, cache, kind, forward_name):
    if not isinstance(cache, kind):
        raise TypeError(f"{fn}: cache must be the {kind.__name__} returned by {forward_name}, "
                        f"got {type(cache).__name__}")


def _check_real(fn, x, why):
    if np.iscomplexobj(x):
        raise TypeError(f"{fn}: x must be real; {why}")


# --------------------------------------------------------------------------- the linear layer

def linear_forward(X, W, b):
    """Affine layer: ``out = X @ W + b``.

    Args:
        X: inputs, one example per row, shape (N, D).
        W: weights, shape (D, H).
        b: bias, shape (H,).
    Returns:
        out: shape (N, H), with ``out[n, h] = sum_d X[n, d] W[d, h] + b[h]``.
        cache: ``LinearCache(X, W)`` for ``linear_backward``.
    """
    fn = "linear_forward"
    X = as_float_array(fn, "X", X, ndim=2)
    W = as_float_array(fn, "W", W, ndim=2, allow_empty=True)
    b = as_float_array(fn, "b", b, ndim=1, allow_empty=True)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"{fn}: X has {X.shape[1]} features but W expects {W.shape[0]} "
                         f"(X.shape={X.shape}, W.shape={W.shape})")
    if b.shape != (W.shape[1],):
        raise ValueError(f"{fn}: b must have shape ({W.shape[1]},), one entry per column of W, "
                         f"got b.shape={b.shape} (W.shape={W.shape})")
    check_same_dtype(fn, X=X, W=W, b=b)
    out = X @ W + b                  # (N, D) @ (D, H) -> (N, H); b (H,) is added to every row
    return out, LinearCache(X, W)


def linear_backward(dout, cache):
    """Backward pass of ``out = X @ W + b``.

    Derivation (one element, then vectorised): ``out[n, h] = sum_d X[n, d] W[d, h] + b[h]``, so

    - ``dL/dX[n, d] = sum_h dout[n, h] W[d, h]``   ->  ``dX = dout @ W.T``   (N, H)(H, D) = (N, D)
    - ``dL/dW[d, h] = sum_n X[n, d] dout[n, h]``   ->  ``dW = X.T @ dout``   (D, N)(N, H) = (D, H)
    - ``dL/db[h]    = sum_n dout[n, h]``           ->  ``db = dout.sum(axis=0)``          (H,)

    Args:
        dout: upstream gradient dL/d(out), shape (N, H).
        cache: the ``LinearCache`` returned by ``linear_forward``.
    Returns:
        ``(dX, dW, db)`` with the shapes of ``X``, ``W`` and ``b``.
    """
    fn = "linear_backward"
    _check_cache(fn, cache, LinearCache, "linear_forward")
    dout = as_float_array(fn, "dout", dout, ndim=2)
    expected = (cache.X.shape[0], cache.W.shape[1])
    if dout.shape != expected:
        raise ValueError(f"{fn}: dout must have the shape of the layer's output {expected} "
                         f"(N={expected[0]}, H={expected[1]}), got dout.shape={dout.shape}")
    X, W = cache
    dX = dout @ W.T                  # (N, H) @ (H, D) -> (N, D)
    dW = X.T @ dout                  # (D, N) @ (N, H) -> (D, H): each example's contribution, summed
    db = dout.sum(axis=0)            # (H,): b was added to every row, so its gradient sums over rows
    return dX, dW, db


# --------------------------------------------------------------------------- activations

def sigmoid(x):
    """Numerically stable logistic function 1 / (1 + exp(-x)), elementwise (never overflows)."""
    if np.iscomplexobj(x):           # analytic formula, kept for complex-step derivatives
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(-np.abs(x))           # in (0, 1]: no overflow for large |x|
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x):
    """``out = 1 / (1 + exp(-x))`` elementwise (any shape); cache holds ``out``."""
    x = as_float_array("sigmoid_forward", "x", x)
    out = sigmoid(x)
    return out, SigmoidCache(out)


def sigmoid_backward(dout, cache):
    """``dx = dout * out * (1 - out)``: the sigmoid's derivative expressed through its output."""
    _check_cache("sigmoid_backward", cache, SigmoidCache, "sigmoid_forward")
    dout = _check_dout("sigmoid_backward", dout, cache.out)
    s = cache.out
    return dout * s * (1.0 - s)


def tanh_forward(x):
    """``out = tanh(x)`` elementwise (any shape); cache holds ``out``."""
    x = as_float_array("tanh_forward", "x", x)
    out = np.tanh(x)
    return out, TanhCache(out)


def tanh_backward(dout, cache):
    """``dx = dout * (1 - out**2)``: the tanh's derivative expressed through its output."""
    _check_cache("tanh_backward", cache, TanhCache, "tanh_forward")
    dout = _check_dout("tanh_backward", dout, cache.out)
    t = cache.out
    return dout * (1.0 - t * t)


def relu_forward(x):
    """``out = max(x, 0)`` elementwise (any shape); cache holds the input ``x``."""
    x = as_float_array("relu_forward", "x", x)
    _check_real("relu_forward", x, "ReLU is not analytic, so the complex step cannot differentiate it "
                                   "(use central differences)")
    out = np.maximum(x, 0.0)
    return out, ReLUCache(x)


def relu_backward(dout, cache):
    """``dx = dout * (x > 0)``: the gradient flows only where the *input* was positive (not at 0)."""
    _check_cache("relu_backward", cache, ReLUCache, "relu_forward")
    dout = _check_dout("relu_backward", dout, cache.x)
    return dout * (cache.x > 0)


def leaky_relu_forward(x, alpha=LEAKY_SLOPE):
    """``out = x`` where ``x > 0`` else ``alpha * x`` (any shape); cache holds ``x`` and ``alpha``."""
    x = as_float_array("leaky_relu_forward", "x", x)
    _check_real("leaky_relu_forward", x, "the leaky ReLU is not analytic")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 <= alpha < 1:
        raise ValueError(f"leaky_relu_forward: alpha must be a number in [0, 1), got {alpha!r}")
    alpha = float(alpha)
    out = np.where(x > 0, x, alpha * x)
    return out, LeakyReLUCache(x, alpha)


def leaky_relu_backward(dout, cache):
    """``dx = dout`` where ``x > 0`` else ``alpha * dout``."""
    _check_cache("leaky_relu_backward", cache, LeakyReLUCache, "leaky_relu_forward")
    dout = _check_dout("leaky_relu_backward", dout, cache.x)
    return np.where(cache.x > 0, dout, cache.alpha * dout)


def identity_forward(x):
    """The "linear" activation: ``out = x``; no cache is needed."""
    return x, None


def identity_backward(dout, cache):
    """``dx = dout``: the identity passes the gradient through unchanged."""
    return dout


class Activation(NamedTuple):
    """One hidden activation, as every part of the course knows it.

    ``forward(x) -> (out, cache)`` and ``backward(dout, cache) -> dx`` are the pair above;
    ``backward_from`` says what the lessons' ``activation_backward(dout, ·)`` receives, the input
    ``x`` or the output ``out``, and ``cache_from`` builds the pair's cache from that array;
    ``kink_slope`` is the slope below the kink at 0 of a unit that has one (ReLU 0, leaky ReLU
    ``LEAKY_SLOPE``), None for a unit without a kink;
    ``init`` is the weight initialisation that suits it (He for ReLU-like units, Xavier otherwise);
    ``label`` names it in figures and widgets, ``symbol`` in the small circles of a graph drawing.
    """
    name: str
    label: str
    symbol: str
    forward: Callable
    backward: Callable
    backward_from: str
    cache_from: Callable
    kink_slope: float | None
    init: str

    def __call__(self, x):
        """The activation's output alone: ``ACTIVATIONS["relu"](z)``."""
        return self.forward(x)[0]


#: name -> Activation: the one table of hidden activations that the network, the lessons' reference,
#: the gradient checks, the scalar engine, the plots and the widgets read
ACTIVATIONS = {
    "relu": Activation(
        "relu", label="ReLU", symbol="relu", forward=relu_forward, backward=relu_backward,
        backward_from="input", cache_from=ReLUCache, kink_slope=0.0, init="he"),
    "leaky_relu": Activation(
        "leaky_relu", label=f"leaky ReLU (slope {LEAKY_SLOPE:g})", symbol="lrelu", forward=leaky_relu_forward,
        backward=leaky_relu_backward, backward_from="input", cache_from=lambda x: LeakyReLUCache(x, LEAKY_SLOPE),
        kink_slope=LEAKY_SLOPE, init="he"),
    "tanh": Activation(
        "tanh", label="tanh", symbol="tanh", forward=tanh_forward, backward=tanh_backward,
        backward_from="output", cache_from=TanhCache, kink_slope=None, init="xavier"),
    "sigmoid": Activation(
        "sigmoid", label="sigmoid σ", symbol="σ", forward=sigmoid_forward, backward=sigmoid_backward,
        backward_from="output", cache_from=SigmoidCache, kink_slope=None, init="xavier"),
    "linear": Activation(
        "linear", label="linear (identity)", symbol="id", forward=identity_forward, backward=identity_backward,
        backward_from="input", cache_from=lambda x: None, kink_slope=None, init="xavier"),
}
