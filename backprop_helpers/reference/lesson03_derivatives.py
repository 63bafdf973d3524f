"""Lesson 03, derivatives: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

from .lesson01_forward_pass import sigmoid

__all__ = [
    "forward_difference", "central_difference", "rel_error", "numerical_gradient", "neuron_loss_gradient",
]


def forward_difference(f, x, h):
    """The forward-difference slope of a scalar function: ``(f(x + h) - f(x)) / h``."""
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    """The central-difference slope of a scalar function: ``(f(x + h) - f(x - h)) / (2 h)``."""
    return (f(x + h) - f(x - h)) / (2 * h)


def rel_error(a, b):
    """The worst elementwise relative error, ``max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)``."""
    errors = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(np.max(errors))


def numerical_gradient(f, x, h=1e-5):
    """The central-difference gradient of ``f(x) -> float`` at the array ``x``, one element at a time:
    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    ``x`` itself is perturbed (so a function that reads ``x`` through a closure sees the change) and
    every element is put back, so ``x`` ends as it began. Returns grad, shaped like x.
    """
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old                                        # put it back
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def neuron_loss_gradient(w, b, x, y):
    """``(dL/dw, dL/db)`` of ``L = (sigmoid(w x + b) - y)**2`` for numbers w, b, x, y, by the chain rule."""
    z = w * x + b
    s = float(sigmoid(z))
    dL_ds = 2.0 * (s - y)
    ds_dz = s * (1.0 - s)
    dL_dz = dL_ds * ds_dz
    return dL_dz * x, dL_dz * 1.0                           # dz/dw = x, dz/db = 1
