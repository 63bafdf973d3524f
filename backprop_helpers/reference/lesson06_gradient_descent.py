"""Lesson 06, gradient descent: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

__all__ = ["sgd_step", "gradient_descent", "momentum_step", "adam_step"]


def sgd_step(params, grads, lr):
    """One gradient-descent step, in place: ``params[name] -= lr * grads[name]`` for every name."""
    for name in params:
        params[name] -= lr * grads[name]


def gradient_descent(grad_fn, theta0, lr, steps):
    """``steps`` steps ``theta <- theta - lr * grad_fn(theta)`` from theta0 (P,), left unchanged.

    Returns the path, shape (steps + 1, P): theta0, then the point after each step.
    """
    theta = np.array(theta0, dtype=float)                   # a copy
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)                 # a new array: path keeps every point
        path.append(theta)
    return np.array(path)


def momentum_step(params, grads, velocity, lr, mu):
    """One step with momentum, in place: ``v <- mu v - lr g``, then ``theta <- theta + v``."""
    for name in params:
        velocity[name] = mu * velocity[name] - lr * grads[name]
        params[name] += velocity[name]


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step, in place. state: ``{"t": steps so far, "m": {...}, "s": {...}}``.

    ``t <- t + 1``; ``m <- beta1 m + (1 - beta1) g``; ``s <- beta2 s + (1 - beta2) g**2``;
    ``theta <- theta - lr m_hat / (sqrt(s_hat) + eps)`` with the bias corrections
    ``m_hat = m / (1 - beta1**t)``, ``s_hat = s / (1 - beta2**t)``.
    """
    state["t"] += 1
    t = state["t"]
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps)
