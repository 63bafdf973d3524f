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


def _check_binary(fn, y_hat, y):
    y = _check_targets(fn, "y_hat", y_hat, y)
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"{fn}: y must hold targets in [0, 1] (usually 0 or 1), "
                         f"got values from {y.min()} to {y.max()}")
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
    N = y_hat.shape[0]
    diff = y_hat - y
    loss = float(np.sum(diff ** 2)) / N
    dy_hat = 2 * diff / N
    return loss, dy_hat


def softmax(scores):
    """Row-wise softmax ``p[n, c] = exp(scores[n, c]) / sum_k exp(scores[n, k])``, computed stably.

    Subtracting the row maximum first changes nothing mathematically (it cancels between numerator and
    denominator) but keeps every exponent <= 0, so ``exp`` never overflows.
    """
    scores = as_float_array("softmax", "scores", scores, ndim=2, allow_complex=False)
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(scores, y):
    """Softmax followed by cross-entropy, averaged over the batch, computed stably.

    ``p = softmax(scores)``, ``L = -(1/N) sum_n log p[n, y_n]`` and ``dL/dscores = (p - onehot(y)) / N``.
    Scores of +-1000 give a finite loss and gradient: with the row maximum subtracted,
    ``-log p[n, y_n] = log sum_k exp(shifted[n, k]) - shifted[n, y_n]`` (log-sum-exp), and the sum is
    at least 1, so its log is finite.

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
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)      # every exponent <= 0
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)                     # (N, 1), each >= 1
    loss = float(np.mean(np.log(sums[:, 0]) - shifted[np.arange(N), y]))
    p = exp / sums                                            # the softmax probabilities
    p[np.arange(N), y] -= 1                                   # p - onehot(y)
    dscores = p / N                                           # the mean's 1/N
    return loss, dscores


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
    N = y_hat.shape[0]
    p = np.clip(y_hat, EPS, 1.0 - EPS)
    loss = float(-np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p))) / N
    dy_hat = (p - y) / (p * (1.0 - p) * N)        # d/dp of -(y log p + (1-y) log(1-p)), over N
    return loss, dy_hat


def sigmoid_binary_cross_entropy(scores, y):
    """Sigmoid then binary cross-entropy, from raw scores, stable for any score.

    ``L = (1/N) sum_n [max(z, 0) - y z + log(1 + exp(-|z|))]`` and ``dL/dz = (sigmoid(z) - y) / N``.
    (The first form equals ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` and is finite for
    every z.)
    """
    fn = "sigmoid_binary_cross_entropy"
    scores = as_float_array(fn, "scores", scores, ndim=(1, 2), allow_complex=False)
    check_finite(fn, "scores", scores)
    y = _check_binary(fn, scores, y)
    N = scores.shape[0]
    z = scores
    loss = float(np.sum(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))))) / N
    dscores = (sigmoid(z) - y) / N
    return loss, dscores


#: a network's loss by name: the function taking (network output, targets), returning (loss, doutput);
#: the "binary_cross_entropy" of a network is computed from its raw output scores
LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mse": mse_loss,
    "binary_cross_entropy": sigmoid_binary_cross_entropy,
}
