"""Lesson 04, the backward pass: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

__all__ = [
    "linear_backward", "sigmoid_backward", "tanh_backward", "relu_backward", "mse_loss",
    "softmax_cross_entropy",
]


def linear_backward(dout, X, W):
    """Gradients of ``out = X @ W + b``: dout (N, H), X (N, D), W (D, H) -> (dX, dW, db)."""
    dX = dout @ W.T                                         # (N, H) @ (H, D) -> (N, D)
    dW = X.T @ dout                                         # (D, N) @ (N, H) -> (D, H)
    db = dout.sum(axis=0)                                   # (H,): b was added to every row
    return dX, dW, db


def sigmoid_backward(dout, out):
    """``dx = dout * out * (1 - out)``, from the sigmoid's OUTPUT ``out = sigmoid(x)``."""
    return dout * out * (1.0 - out)


def tanh_backward(dout, out):
    """``dx = dout * (1 - out**2)``, from the tanh's OUTPUT ``out = tanh(x)``."""
    return dout * (1.0 - out ** 2)


def relu_backward(dout, x):
    """``dx = dout`` where the ReLU's INPUT ``x`` was positive, 0 elsewhere (0 at the kink x = 0)."""
    return dout * (x > 0)


def mse_loss(y_hat, y):
    """Mean squared error and its gradient: y_hat, y (N, C) -> (loss, dy_hat).

    ``loss = (1/N) sum (y_hat - y)**2`` (a float), ``dy_hat = 2 (y_hat - y) / N`` (N, C).
    """
    N = y_hat.shape[0]
    diff = y_hat - y
    return float(np.sum(diff ** 2) / N), 2.0 * diff / N


def softmax_cross_entropy(scores, y):
    """Softmax cross-entropy and its gradient: scores (N, C), y (N,) -> (loss, dscores).

    ``loss = -(1/N) sum_n log p[n, y_n]`` (a float), ``dscores = (p - onehot(y)) / N`` (N, C);
    finite for any scores (the row maximum is subtracted before ``exp``).
    """
    N = scores.shape[0]
    rows = np.arange(N)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))    # (N, C)
    loss = float(-log_p[rows, y].mean())
    dscores = np.exp(log_p)                                 # p, (N, C)
    dscores[rows, y] -= 1.0                                 # p - onehot(y)
    return loss, dscores / N
