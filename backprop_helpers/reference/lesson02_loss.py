"""Lesson 02, the loss: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

__all__ = ["mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy"]


def mean_squared_error(y_hat, y):
    """``L = (1/N) sum_n sum_c (y_hat[n, c] - y[n, c])**2`` for y_hat, y (N, C): a float."""
    N = y_hat.shape[0]
    return float(np.sum((y_hat - y) ** 2) / N)


def softmax(scores):
    """Row-wise softmax: scores (N, C) -> probs (N, C), every row positive and summing to 1.

    ``p[n, c] = exp(s[n, c] - m_n) / sum_k exp(s[n, k] - m_n)`` with ``m_n = max_k s[n, k]``: the
    shift cancels between numerator and denominator and keeps every exponent <= 0.
    """
    shifted = scores - scores.max(axis=1, keepdims=True)    # (N, C), every entry <= 0
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)                 # (N, 1) sums, one per row


def cross_entropy(scores, y):
    """Softmax cross-entropy from raw scores (N, C) and class indices y (N,): a float.

    ``L = -(1/N) sum_n log p[n, y_n]``, with the log-probabilities computed directly,
    ``log p[n, c] = (s[n, c] - m_n) - log sum_k exp(s[n, k] - m_n)``, so they stay finite.
    """
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)                    # (N, C)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))    # (N, C)
    return float(-log_p[np.arange(N), y].mean())            # the true class of each row


def binary_cross_entropy(p, y):
    """``L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]`` for probabilities p and 0/1 labels y of
    the same shape, (N, 1) or (N,): a float."""
    N = p.shape[0]
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / N)
