"""Forward/backward pairs: the building blocks of a network, one derivation each.

Every layer is two functions. ``*_forward`` computes the output and returns a *cache*: exactly what
the backward pass will need, as a small typed ``NamedTuple``. ``*_backward(dout, cache)`` receives
``dout = dL/d(out)`` (the upstream gradient, same shape as ``out``) and applies the chain rule:

    dL/d(input) = dL/d(out) * d(out)/d(input)        (upstream gradient times local gradient)

Shapes follow the course's notation: ``X`` is (N, D), ``W`` is (D, H), ``b`` is (H,), ``out`` is (N, H).

Each function checks its inputs, then computes the lesson's formula in one or two lines. The same
arithmetic with fewer temporary arrays, for training, lives in ``backprop_helpers.fast``.

Two layers behave differently while training and at inference (lesson 11): ``dropout_*`` and
``batchnorm_*`` take ``train=True`` (training mode) or ``train=False`` (evaluation mode).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .validation import as_float_array, check_positive, check_same_dtype, describe

__all__ = [
    "LinearCache", "SigmoidCache", "TanhCache", "ReLUCache", "LeakyReLUCache",
    "linear_forward", "linear_backward",
    "sigmoid", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward",
    "identity_forward", "identity_backward",
    "Activation", "ACTIVATIONS", "LEAKY_SLOPE",
    "DropoutCache", "BatchNormCache",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "batchnorm_forward", "batchnorm_backward",
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


class DropoutCache(NamedTuple):
    """What ``dropout_backward`` needs: the ``mask`` the forward pass multiplied by (0 for a dropped
    unit, ``1/(1-p)`` for a kept one; ``None`` when the forward pass was the identity) and ``p``."""
    mask: np.ndarray | None
    p: float


class BatchNormCache(NamedTuple):
    """What ``batchnorm_backward`` needs: the normalised input ``x_hat`` (N, D), ``gamma`` (D,),
    ``inv_std = 1 / sqrt(var + eps)`` (D,), and ``train``: whether the statistics were the batch's own
    (training mode) or the running ones (evaluation mode)."""
    x_hat: np.ndarray
    gamma: np.ndarray
    inv_std: np.ndarray
    train: bool


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


def _check_mode(fn, train):
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"{fn}: train must be True (training mode) or False (evaluation mode), "
                        f"got {describe(train)}")
    return bool(train)


def _check_fraction(fn, name, value, what, closed=False):
    """A number in [0, 1) (or [0, 1] when ``closed``)."""
    v = check_positive(fn, name, value, allow_zero=True)
    if v > 1 or (v == 1 and not closed):
        raise ValueError(f"{fn}: {name} must be a number in [0, 1{']' if closed else ')'} ({what}), "
                         f"got {value!r}")
    return v


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


# --------------------------------------------------------------------------- dropout (lesson 11)

def dropout_mask(shape, p, rng, dtype=np.float64):
    """The mask of inverted dropout: each entry 0 with probability ``p``, else ``1/(1-p)``.

    One uniform number in [0, 1) per entry, ``rng.random(shape)``: the unit is kept where it is
    ``>= p``, which happens with probability ``1 - p``. Both of the training paths draw their masks
    here, so the same generator gives them the same masks.
    """
    keep = rng.random(shape) >= p
    return keep.astype(dtype) / (1.0 - p)


def dropout_forward(X, p, rng=None, train=True):
    """Inverted dropout: ``out = X * mask``, each unit zeroed with probability ``p``.

    A kept unit is scaled by ``1/(1-p)``, so the expected output equals the input:
    ``E[out] = (1 - p) * X / (1 - p) = X``. Then nothing needs to change at inference, where dropout is
    the identity (``train=False``; also when ``p == 0``).

    Args:
        X: activations, any shape, usually (N, H).
        p: the probability of dropping a unit, in [0, 1).
        rng: the ``np.random.Generator`` that draws the mask (None: a fresh ``np.random.default_rng()``).
        train: training mode (a new random mask) or evaluation mode (the identity).
    Returns:
        out: the shape of ``X`` (``X`` itself in evaluation mode or when ``p == 0``).
        cache: ``DropoutCache(mask, p)``, ``mask`` None when nothing was dropped.
    """
    fn = "dropout_forward"
    X = as_float_array(fn, "X", X)
    p = _check_fraction(fn, "p", p, "the probability of dropping a unit")
    if rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a np.random.Generator (np.random.default_rng(seed)) or "
                        f"None, got {describe(rng)}")
    if not _check_mode(fn, train) or p == 0.0:
        return X, DropoutCache(None, p)
    mask = dropout_mask(X.shape, p, rng, X.real.dtype)
    return X * mask, DropoutCache(mask, p)


def dropout_backward(dout, cache):
    """``dX = dout * mask``: a dropped unit passes no gradient, a kept one ``1/(1-p)`` times it
    (``out = X * mask`` is linear in X). Without a mask (the identity), ``dX = dout``."""
    fn = "dropout_backward"
    _check_cache(fn, cache, DropoutCache, "dropout_forward")
    if cache.mask is None:
        return as_float_array(fn, "dout", dout)
    dout = _check_dout(fn, dout, cache.mask)
    return dout * cache.mask


# --------------------------------------------------------------------------- batch normalisation

def _check_running(fn, running, D, dtype):
    ok = isinstance(running, dict) and "mean" in running and "var" in running
    if ok:
        for key in ("mean", "var"):
            a = running[key]
            ok = ok and isinstance(a, np.ndarray) and a.shape == (D,)
    if not ok:
        got = describe(running) if not isinstance(running, dict) else \
            "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in running.items()) + "}"
        raise ValueError(f"{fn}: running must be a dict {{'mean': array of shape ({D},), 'var': array "
                         f"of shape ({D},)}}, one entry per feature of X, got {got}")
    for key in ("mean", "var"):
        if running[key].dtype != dtype:
            raise TypeError(f"{fn}: running[{key!r}] must have the dtype of X ({dtype}), got "
                            f"{running[key].dtype}; convert it with .astype(X.dtype)")


def batchnorm_forward(X, gamma, beta, eps=1e-5, train=True, running=None, momentum=0.9):
    """Batch normalisation: every feature of the batch shifted to mean 0 and scaled to variance 1,
    then scaled by ``gamma`` and shifted by ``beta`` (which the network learns).

    Training mode (``train=True``), with the batch's statistics of each feature d::

        mean = (1/N) sum_n X[n, d]        var = (1/N) sum_n (X[n, d] - mean)**2     (biased: 1/N)
        x_hat = (X - mean) / sqrt(var + eps)        out = gamma * x_hat + beta

    and, when ``running`` is given, its averages move towards them (in place)::

        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean     (the same for "var")

    Evaluation mode (``train=False``) uses ``running["mean"]`` and ``running["var"]`` instead of the
    batch's: each example is then normalised on its own, the same way whatever else is in the batch.

    Args:
        X: (N, D); gamma, beta: (D,).
        eps: added to the variance, so that a feature constant over the batch divides by sqrt(eps).
        train: training mode (batch statistics) or evaluation mode (running statistics).
        running: ``{"mean": (D,), "var": (D,)}``; required in evaluation mode.
        momentum: how much of the old running average each training batch keeps, in [0, 1].
    Returns:
        out: (N, D).
        cache: ``BatchNormCache(x_hat, gamma, inv_std, train)`` with ``inv_std = 1 / sqrt(var + eps)``.
    """
    fn = "batchnorm_forward"
    X = as_float_array(fn, "X", X, ndim=2)
    gamma = as_float_array(fn, "gamma", gamma, ndim=1)
    beta = as_float_array(fn, "beta", beta, ndim=1)
    D = X.shape[1]
    for name, a in (("gamma", gamma), ("beta", beta)):
        if a.shape != (D,):
            raise ValueError(f"{fn}: {name} must have shape ({D},), one entry per feature of X, "
                             f"got {name}.shape={a.shape} (X.shape={X.shape})")
    check_same_dtype(fn, X=X, gamma=gamma, beta=beta)
    eps = check_positive(fn, "eps", eps)
    train = _check_mode(fn, train)
    momentum = _check_fraction(fn, "momentum", momentum, "the share of the old running average kept",
                               closed=True)
    if running is None and not train:
        raise ValueError(f"{fn}: evaluation mode (train=False) normalises with the running statistics, "
                         f"so running must be the dict {{'mean': ..., 'var': ...}} that training "
                         f"filled; got None")
    if running is not None:
        _check_running(fn, running, D, X.dtype)

    if train:
        mean = X.mean(axis=0)                     # (D,): each feature's mean over the batch
        xc = X - mean                             # (N, D): centred
        var = (xc * xc).mean(axis=0)              # (D,): biased variance, divided by N
        inv_std = 1.0 / np.sqrt(var + eps)        # (D,)
        x_hat = xc * inv_std                      # (N, D): mean 0, variance var / (var + eps)
        if running is not None:
            running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
            running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        inv_std = 1.0 / np.sqrt(running["var"] + eps)
        x_hat = (X - running["mean"]) * inv_std   # every example normalised on its own
    out = gamma * x_hat + beta                    # (N, D): the learned scale and shift
    return out, BatchNormCache(x_hat, gamma, inv_std, train)


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalisation: ``(dX, dgamma, dbeta)``.

    From ``out = gamma * x_hat + beta`` (per feature, summed over the batch)::

        dbeta = sum_n dout[n]        dgamma = sum_n dout[n] * x_hat[n]        dx_hat = gamma * dout

    In training mode every ``x_hat[k]`` depends on every ``X[n]`` of the batch through the mean and the
    variance. With ``s = sqrt(var + eps)`` and one feature at a time: ``d mean / d X[n] = 1/N`` and
    ``d s / d X[n] = (X[n] - mean) / (N s) = x_hat[n] / N`` (the mean's own change drops out, because
    the centred values sum to 0), so

        ``d x_hat[k] / d X[n] = (delta_kn - 1/N - x_hat[k] x_hat[n] / N) / s``

    and summing ``dx_hat[k]`` times it over k::

        dX = (gamma / (N s)) * (N * dout - sum_k dout[k] - x_hat * sum_k dout[k] x_hat[k])
           = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)

    The gradient is centred (it sums to 0 over the batch) and orthogonal to ``x_hat``: moving every
    example together, or scaling them all, changes nothing after the normalisation.

    In evaluation mode the statistics are constants, and the layer is the affine map
    ``out = gamma * inv_std * (X - mean) + beta``: ``dX = dout * gamma * inv_std``.

    Args:
        dout: (N, D); cache: the ``BatchNormCache`` of ``batchnorm_forward``.
    Returns:
        dX (N, D), dgamma (D,), dbeta (D,).
    """
    fn = "batchnorm_backward"
    _check_cache(fn, cache, BatchNormCache, "batchnorm_forward")
    dout = _check_dout(fn, dout, cache.x_hat)
    x_hat, gamma, inv_std, train = cache
    dbeta = dout.sum(axis=0)                                   # (D,)
    dgamma = (dout * x_hat).sum(axis=0)                        # (D,)
    if train:
        N = dout.shape[0]
        dX = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    else:
        dX = dout * (gamma * inv_std)
    return dX, dgamma, dbeta
