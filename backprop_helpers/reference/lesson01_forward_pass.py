"""Lesson 01, the forward pass: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "relu", "tanh", "neuron", "linear_forward", "two_layer_forward"]


def sigmoid(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``, elementwise; ``x`` of any shape.

    Written with ``e = exp(-|x|)``, which is never above 1: for ``x >= 0`` the sigmoid is
    ``1 / (1 + e)``, for ``x < 0`` it is ``e / (1 + e)`` (multiply top and bottom by ``exp(x)``),
    so no ``exp`` overflows however large ``|x|`` is.
    """
    e = np.exp(-np.abs(x))                                  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x):
    """The rectified linear unit ``max(x, 0)``, elementwise; a new array (``x`` is left alone)."""
    return np.maximum(x, 0.0)


def tanh(x):
    """The hyperbolic tangent ``(e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1``, elementwise."""
    return np.tanh(x)


def neuron(x, w, b):
    """One neuron with a sigmoid: ``sigmoid(w · x + b)``. x (D,), w (D,), b a number -> a float."""
    z = np.dot(w, x) + b                                    # the weighted sum, a number
    return float(sigmoid(z))


def linear_forward(X, W, b):
    """A linear layer: ``out = X @ W + b``. X (N, D), W (D, H), b (H,) -> out (N, H)."""
    return X @ W + b                                        # b is added to every row


def two_layer_forward(X, params):
    """Scores of a two-layer network, ``relu(X @ W1 + b1) @ W2 + b2``.

    params: ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,). Returns scores (N, C), with no
    activation on the output layer.
    """
    h = relu(linear_forward(X, params["W1"], params["b1"]))         # (N, H)
    return linear_forward(h, params["W2"], params["b2"])            # (N, C)
