"""Loss functions: one number that says how wrong the network is, and its gradient.

Each function returns ``(loss, dinput)`` where ``dinput = dL/d(input)`` has the shape of the input:
the first upstream gradient of the backward pass. Every loss is the **mean over the batch** of a
per-example loss, so every gradient carries a factor ``1/N``.

- ``mse_loss(y_hat, y)``: regression, ``L = (1/N) sum_n sum_c (y_hat[n, c] - y[n, c])**2``.
- ``softmax_cross_entropy(scores, y)``: classification from raw scores with integer labels.
- ``binary_cross_entropy(y_hat, y)``: two classes from probabilities in [0, 1].
- ``sigmoid_binary_cross_entropy(scores, y)``: the same from raw scores, stable for any score.
"""
from __future__ import annotations

import numpy as np

from .validation import as_float_array, as_label_array, check_finite
from .layers import sigmoid

__all__ = [
    "mse_loss", "softmax", "softmax_cross_entropy", "binary_cross_entropy",
    "sigmoid_binary_cross_entropy", "LOSSES",
]

#: probabilities are kept inside [EPS, 1 - EPS] so that log(0) never happens
EPS = 1e-12


# --------------------------------------------------------------------------- kernels (the math)

def _mse_loss(y_hat, y):
    n = y_hat.shape[0]
    diff = y_hat - y                              # (N, C)
    loss = float(np.vdot(diff, diff).real) / n    # (1/N) * sum of squares
    diff *= 2.0 / n                               # dL/dy_hat = 2 (y_hat - y) / N
    return loss, diff


def softmax(scores):
    """Row-wise softmax ``p[n, c] = exp(scores[n, c]) / sum_k exp(scores[n, k])``, computed stably.

    Subtracting the row maximum first changes nothing mathematically (it cancels between numerator and
    denominator) but keeps every exponent <= 0, so ``exp`` never overflows.
    """
    scores = as_float_array("softmax", "scores", scores, ndim=2, allow_complex=False)
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_cross_entropy(scores, y):
    n, c = scores.shape
    true = np.arange(0, n * c, c) + y                      # flat index of each row's true class
    # (np.maximum.reduce and np.add.reduce are the row max and sum, minus the wrappers' overhead)
    shifted = scores - np.maximum.reduce(scores, axis=1, keepdims=True)  # every exponent <= 0
    exp = np.exp(shifted)
    sums = np.add.reduce(exp, axis=1)                      # (N,), each >= 1 so its log is finite
    # L_n = -log p[n, y_n] = log sum_k exp(s_nk) - s_{n,y_n}   (with the shift cancelled)
    loss = float(np.add.reduce(np.log(sums)) - np.add.reduce(shifted.ravel()[true])) / n
    exp *= (1.0 / n) / sums[:, None]                       # p / N: the probabilities and the mean's 1/N
    exp.ravel()[true] -= 1.0 / n                           # (p - onehot(y)) / N
    return loss, exp


def _bce_clip(y_hat):
    return np.clip(y_hat, EPS, 1.0 - EPS)


def _binary_cross_entropy(y_hat, y):
    n = y_hat.shape[0]
    p = _bce_clip(y_hat)
    loss = float(-(y * np.log(p) + (1.0 - y) * np.log1p(-p)).sum()) / n
    dy_hat = (p - y) / (p * (1.0 - p) * n)        # d/dp of -(y log p + (1-y) log(1-p)), over N
    return loss, dy_hat


def _sigmoid_binary_cross_entropy(scores, y):
    n = scores.shape[0]
    # -(y log s(z) + (1-y) log(1-s(z))) = max(z, 0) - y z + log(1 + exp(-|z|)), finite for every z
    loss = float((np.maximum(scores, 0.0) - y * scores + np.log1p(np.exp(-np.abs(scores)))).sum()) / n
    dscores = (sigmoid(scores) - y) / n
    return loss, dscores


# --------------------------------------------------------------------------- public, validated

def _check_targets(fn, y_hat_name, y_hat, y):
    y = as_float_array(fn, "y", y, ndim=(1, 2), allow_complex=False)
    if y.shape != y_hat.shape:
        hint = ""
        if y.ndim == 1 and y_hat.ndim == 2 and y_hat.shape == (y.shape[0], 1):
            hint = "; reshape it with y.reshape(-1, 1) (without this, broadcasting would silently " \
                   "compare every prediction with every target)"
        raise ValueError(f"{fn}: y must have the shape of {y_hat_name} {y_hat.shape}, "
                         f"got y.shape={y.shape}{hint}")
    check_finite(fn, "y", y)
    return y


def mse_loss(y_hat, y):
    """Mean squared error, the mean over the batch of each example's squared error.

    ``L = (1/N) sum_n sum_c (y_hat[n, c] - y[n, c])**2`` and ``dL/dy_hat = 2 (y_hat - y) / N``.

    Args:
        y_hat: predictions, shape (N, C) (or (N,)).
        y: targets, the same shape.
    Returns:
        ``(loss, dy_hat)``: a float and an array shaped like ``y_hat``.
    """
    fn = "mse_loss"
    y_hat = as_float_array(fn, "y_hat", y_hat, ndim=(1, 2), allow_complex=False)
    y = _check_targets(fn, "y_hat", y_hat, y)
    return _mse_loss(y_hat, y)


def softmax_cross_entropy(scores, y):
    """Softmax followed by cross-entropy, averaged over the batch, computed stably.

    ``p = softmax(scores)``, ``L = -(1/N) sum_n log p[n, y_n]`` and ``dL/dscores = (p - onehot(y)) / N``.
    Scores of +-1000 give a finite loss and gradient (log-sum-exp with the row maximum subtracted).

    Args:
        scores: raw class scores (logits), shape (N, C).
        y: integer class indices in 0..C-1, shape (N,).
    Returns:
        ``(loss, dscores)``: a float and an array of shape (N, C).
    """
    fn = "softmax_cross_entropy"
    scores = as_float_array(fn, "scores", scores, ndim=2, allow_complex=False)
    y = as_label_array(fn, "y", y, num_classes=scores.shape[1], n=scores.shape[0])
    check_finite(fn, "scores", scores)
    return _softmax_cross_entropy(scores, y)


def _check_binary(fn, y_hat, y):
    y = _check_targets(fn, "y_hat", y_hat, y)
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"{fn}: y must hold targets in [0, 1] (usually 0 or 1), "
                         f"got values from {y.min()} to {y.max()}")
    return y


def binary_cross_entropy(y_hat, y):
    """Binary cross-entropy of probabilities, averaged over the batch.

    ``L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]`` with ``p = y_hat`` clipped to ``[1e-12, 1 - 1e-12]``
    so that probabilities of exactly 0 or 1 give a finite loss, and ``dL/dp = (p - y) / (p (1 - p) N)``.

    Args:
        y_hat: predicted probabilities in [0, 1], shape (N, 1) (or (N,)).
        y: targets in [0, 1], the same shape.
    """
    fn = "binary_cross_entropy"
    y_hat = as_float_array(fn, "y_hat", y_hat, ndim=(1, 2), allow_complex=False)
    y = _check_binary(fn, y_hat, y)
    if np.any((y_hat < 0) | (y_hat > 1)) or not np.all(np.isfinite(y_hat)):
        raise ValueError(f"{fn}: y_hat must hold probabilities in [0, 1], got values from "
                         f"{np.nanmin(y_hat)} to {np.nanmax(y_hat)}; pass raw scores to "
                         f"sigmoid_binary_cross_entropy instead")
    return _binary_cross_entropy(y_hat, y)


def sigmoid_binary_cross_entropy(scores, y):
    """Sigmoid then binary cross-entropy, from raw scores, stable for any score.

    ``L = (1/N) sum_n [max(z, 0) - y z + log(1 + exp(-|z|))]`` and ``dL/dz = (sigmoid(z) - y) / N``.
    """
    fn = "sigmoid_binary_cross_entropy"
    scores = as_float_array(fn, "scores", scores, ndim=(1, 2), allow_complex=False)
    check_finite(fn, "scores", scores)
    y = _check_binary(fn, scores, y)
    return _sigmoid_binary_cross_entropy(scores, y)


#: loss name -> kernel taking (network output, targets) and returning (loss, doutput)
LOSSES = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "mse": _mse_loss,
    "binary_cross_entropy": _sigmoid_binary_cross_entropy,
}
