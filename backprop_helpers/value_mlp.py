"""A whole MLP loss built out of ``Value`` nodes: the third route to every gradient.

``mlp_loss_value`` writes the forward pass and the loss of ``network.MLP`` with numpy object arrays of
``Value`` (``autograd.value_array``), so that every ``*`` and ``+`` of the matrix products is a node of
one computational graph, and ``mlp_gradients_by_value`` runs ``backward()`` on it. Its gradients owe
nothing to the analytic backward pass or to finite differences, which makes it the third, independent
route (after those two) by which the package checks gradients. It is slow (one Python object per
number), so it suits small networks. Both functions are also importable from ``autograd``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .validation import as_float_array, as_label_array, check_choice, check_finite, check_positive, describe
from .autograd import Value, activate, grad_array, value_array
from .layers import ACTIVATIONS

__all__ = ["mlp_loss_value", "mlp_gradients_by_value"]


_LOSSES = {"softmax_cross_entropy", "mse", "binary_cross_entropy"}


def _layer_params(fn: str, params: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check ``params = {"W1": ..., "b1": ..., ...}`` (object arrays of Value); return [(W1, b1), ...]."""
    if not isinstance(params, Mapping):
        raise TypeError(f"{fn}: params must be a dict {{'W1': ..., 'b1': ..., ...}}, got {describe(params)}")
    L = sum(1 for k in params if isinstance(k, str) and k.startswith("W"))
    expected = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if L == 0 or sorted(params) != sorted(expected):
        raise ValueError(f"{fn}: params must have the keys W1, b1, ..., WL, bL, "
                         f"got {sorted(map(str, params))}")
    layers, fan_in = [], None
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        for name, a, ndim in ((f"W{l}", W, 2), (f"b{l}", b, 1)):
            if not (isinstance(a, np.ndarray) and a.dtype == object and a.ndim == ndim
                    and all(isinstance(e, Value) for e in a.flat)):
                raise TypeError(f"{fn}: params[{name!r}] must be a {ndim}-D object array of Value "
                                f"(make one with value_array), got {describe(a)}")
        if b.shape[0] != W.shape[1] or (fan_in is not None and W.shape[0] != fan_in):
            raise ValueError(f"{fn}: W{l}.shape={W.shape} and b{l}.shape={b.shape} do not fit "
                             f"(the layer before has {fan_in} outputs)")
        layers.append((W, b))
        fan_in = W.shape[1]
    return layers


def _targets(fn: str, y: Any, n: int, c: int) -> np.ndarray:
    if isinstance(y, np.ndarray) and y.dtype.kind in "iub":
        y = y.astype(np.float64)
    y = as_float_array(fn, "y", y, ndim=(1, 2), allow_complex=False)
    if y.ndim == 1 and c == 1:
        y = y.reshape(-1, 1)
    if y.shape != (n, c):
        raise ValueError(f"{fn}: y must have the shape of the scores (N, C) = ({n}, {c}), "
                         f"got y.shape={y.shape}")
    check_finite(fn, "y", y)
    return y


def _log_sigmoid(z: Value) -> Value:
    """``log s(z) = -log(1 + e^-z)``, written so that the exponent is never positive."""
    if z.data >= 0:
        return -((-z).exp() + 1.0).log()
    return z - (z.exp() + 1.0).log()


def mlp_loss_value(params: Mapping[str, np.ndarray], X: Any, y: Any, activation: str, loss: str,
                   regularization: str | None = None, reg_strength: float = 0.0) -> Value:
    """The MLP loss of ``network.MLP``, built out of ``Value`` nodes; returns the loss ``Value``.

    ``h_0 = X``, ``h_l = act(h_{l-1} @ W_l + b_l)`` for ``l < L``, ``scores = h_{L-1} @ W_L + b_L`` (N, C),
    then the mean loss over the batch plus ``(reg_strength/2) sum W^2`` ("l2") or ``reg_strength sum |W|``
    ("l1"), on weights only.

    Args:
        params: ``{"W1": (D, H1), "b1": (H1,), ...}``, object arrays of ``Value`` (see ``value_array``).
        X: inputs (N, D), floats (constants) or an object array of ``Value`` (to get ``dX`` too).
        y: class indices (N,) for softmax_cross_entropy; targets (N, C) for mse; 0/1 (N, 1) for
            binary_cross_entropy (sigmoid of the single score).
        activation: a name of ``layers.ACTIVATIONS`` (relu, leaky_relu, tanh, sigmoid, linear).
        loss: softmax_cross_entropy, mse or binary_cross_entropy.
    """
    fn = "mlp_loss_value"
    name = check_choice(fn, "activation", activation, ACTIVATIONS)
    act = np.frompyfunc(lambda v: activate(v, name), 1, 1)
    loss = check_choice(fn, "loss", loss, _LOSSES)
    if regularization is not None:
        regularization = check_choice(fn, "regularization", regularization, {"l1", "l2", "none"})
    reg_strength = check_positive(fn, "reg_strength", reg_strength, allow_zero=True)
    layers = _layer_params(fn, params)
    if not (isinstance(X, np.ndarray) and X.dtype == object):
        X = as_float_array(fn, "X", X, ndim=2, allow_complex=False)
        check_finite(fn, "X", X)
    if X.ndim != 2 or X.shape[1] != layers[0][0].shape[0] or X.shape[0] == 0:
        raise ValueError(f"{fn}: X must have shape (N, D) with N >= 1 and D = {layers[0][0].shape[0]} "
                         f"(W1.shape={layers[0][0].shape}), got X.shape={X.shape}")

    h = X
    for l, (W, b) in enumerate(layers, start=1):
        h = h @ W + b                              # numpy object arrays: every * and + is a Value node
        if l < len(layers):
            h = act(h)
    scores = h
    N, C = scores.shape

    if loss == "softmax_cross_entropy":
        labels = as_label_array(fn, "y", y, num_classes=C, n=N)
        total = Value(0.0)
        for row, k in zip(scores, labels):
            m = max(s.data for s in row)          # a constant shift: log-sum-exp without overflow
            total = total + (sum((s - m).exp() for s in row).log() + m - row[k])  # -log softmax(row)[k]
    elif loss == "mse":
        t = _targets(fn, y, N, C)
        total = sum((s - ti) ** 2 for s, ti in zip(scores.flat, t.flat))
    else:
        if C != 1:
            raise ValueError(f"{fn}: binary_cross_entropy needs one output (C = 1), got C = {C}")
        t = _targets(fn, y, N, 1)
        if np.any((t < 0) | (t > 1)):
            raise ValueError(f"{fn}: y must hold 0/1 targets for binary_cross_entropy, "
                             f"got values from {t.min()} to {t.max()}")
        total = sum(-(ti * _log_sigmoid(z) + (1.0 - ti) * _log_sigmoid(-z))
                    for z, ti in zip(scores.flat, t.flat))
    result = total / N

    if regularization in ("l1", "l2") and reg_strength > 0:
        weights = [w for W, _ in layers for w in W.flat]
        if regularization == "l2":
            result = result + (reg_strength / 2) * sum(w ** 2 for w in weights)
        else:
            result = result + reg_strength * sum(abs(w) for w in weights)
    return result


def mlp_gradients_by_value(model: Any, X: Any, y: Any) -> dict[str, np.ndarray]:
    """Gradients of an MLP's loss computed by the ``Value`` engine, keyed like ``model.params``.

    ``model`` needs ``params`` (dict of float arrays), ``activation`` and ``loss_name``; optional
    ``regularization`` and ``reg_strength``. The model is not modified. Returns float64 arrays.
    """
    fn = "mlp_gradients_by_value"
    for attr in ("params", "activation", "loss_name"):
        if not hasattr(model, attr):
            raise TypeError(f"{fn}: model must have the attributes params, activation and loss_name "
                            f"(like an MLP), but {describe(model)} has no {attr!r}")
    if getattr(model, "batchnorm", False) or getattr(model, "dropout", 0.0):
        raise ValueError(f"{fn}: the Value engine here builds a plain network (linear layers, "
                         f"activations, loss), but this model has "
                         f"{'batch normalisation' if getattr(model, 'batchnorm', False) else 'dropout'}; "
                         f"compare its gradients with gradcheck's numerical gradient instead, or build "
                         f"an MLP without batchnorm and dropout")
    params = {k: value_array(np.asarray(v, dtype=np.float64), label=k) for k, v in model.params.items()}
    loss = mlp_loss_value(params, X, y, model.activation, model.loss_name,
                          getattr(model, "regularization", None), getattr(model, "reg_strength", 0.0))
    loss.backward()
    return {k: grad_array(v) for k, v in params.items()}
