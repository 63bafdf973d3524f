"""Gradient descent: step against the gradient, scaled by the learning rate.

Each optimizer is the lesson's update rule for one parameter array ``theta`` with gradient ``g``:

- ``SGD``:       ``theta <- theta - lr * g``
- ``Momentum``:  ``v <- mu * v - lr * g``;  ``theta <- theta + v``
- ``RMSProp``:   ``cache <- decay * cache + (1 - decay) * g**2``;
                 ``theta <- theta - lr * g / (sqrt(cache) + eps)``
- ``Adam``:      ``m <- b1 m + (1 - b1) g``;  ``s <- b2 s + (1 - b2) g**2``;
                 ``m_hat = m / (1 - b1**t)``;  ``s_hat = s / (1 - b2**t)``;
                 ``theta <- theta - lr * m_hat / (sqrt(s_hat) + eps)``

``step(params, grads)`` applies the rule to every array of a dict (such as ``model.params`` and
``model.grads``) or to a single array. Updates happen in place, so the model sees them at once.
Optimizer state (velocity, average of squared gradients, moments) is kept per parameter name between
steps (a single array is named ``ARRAY_KEY``). The same updates on a network's whole parameter vector,
with scratch arrays made once, are in ``backprop_helpers.fast``.
"""
from __future__ import annotations

import numpy as np

from .validation import check_choice, check_positive, describe

__all__ = ["Optimizer", "SGD", "Momentum", "RMSProp", "Adam", "make_optimizer", "OPTIMIZERS",
           "ARRAY_KEY"]

#: the name under which ``step`` keeps the state of a parameter passed as a single array
ARRAY_KEY = "theta"


class Optimizer:
    """Base class: ``step`` walks the parameters and calls ``update`` on each one."""

    def __init__(self, lr):
        self.lr = check_positive(type(self).__name__, "lr", lr)
        self.t = 0                                # number of steps taken
        self.state: dict = {}

    def step(self, params, grads):
        """Update every parameter in place from its gradient.

        Args:
            params: a dict name -> array (e.g. ``model.params``), or one array.
            grads: the same structure of gradients (e.g. ``model.grads``).
        """
        name = type(self).__name__ + ".step"
        if isinstance(params, np.ndarray):
            params, grads = {ARRAY_KEY: params}, {ARRAY_KEY: grads}
        if not isinstance(params, dict) or not isinstance(grads, dict):
            raise TypeError(f"{name}: params and grads must both be dicts of arrays (model.params, "
                            f"model.grads) or both arrays, got {describe(params)} and {describe(grads)}")
        self.t += 1
        for key, theta in params.items():
            if key not in grads:
                raise KeyError(f"{name}: grads has no entry {key!r} for the parameter {key!r}; "
                               f"its keys are {list(grads)}")
            g = grads[key]
            if not isinstance(g, np.ndarray) or g.shape != np.shape(theta):
                raise ValueError(f"{name}: grads[{key!r}] must have the shape of params[{key!r}] "
                                 f"{np.shape(theta)}, got {describe(g)}")
            self.update(key, theta, g)

    def update(self, key, theta, g):
        """Apply the update rule to one parameter array ``theta`` (in place), its state named ``key``."""
        raise NotImplementedError

    def reset(self):
        """Forget all state (velocities, moments, step count)."""
        self.t = 0
        self.state.clear()

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    """Plain gradient descent: ``theta <- theta - lr * g``."""

    def update(self, key, theta, g):
        theta -= self.lr * g


class Momentum(Optimizer):
    """Gradient descent with momentum: a velocity that remembers past steps.

    ``v <- mu * v - lr * g`` then ``theta <- theta + v``. With ``mu = 0`` it is plain SGD; with
    ``mu = 0.9`` steps along a consistent direction grow up to ``1 / (1 - mu) = 10`` times.
    """

    def __init__(self, lr, mu=0.9):
        super().__init__(lr)
        self.mu = _fraction(type(self).__name__, "mu", mu)

    def update(self, key, theta, g):
        v = self.state.get(key, 0.0)                  # the velocity starts at 0
        v = self.mu * v - self.lr * g
        self.state[key] = v
        theta += v

    def __repr__(self):
        return f"Momentum(lr={self.lr:g}, mu={self.mu:g})"


class RMSProp(Optimizer):
    """RMSProp: each parameter's step divided by the root of a running average of its squared gradient.

    ``cache <- decay * cache + (1 - decay) * g**2`` then ``theta <- theta - lr * g / (sqrt(cache) + eps)``.
    A parameter whose gradients are large takes smaller steps, one whose gradients are small larger
    ones, so a long narrow ravine is descended at a similar pace along every axis. ``eps`` keeps the
    division finite where the gradient has been 0.
    """

    def __init__(self, lr, decay=0.99, eps=1e-8):
        super().__init__(lr)
        self.decay = _fraction("RMSProp", "decay", decay)
        self.eps = check_positive("RMSProp", "eps", eps)

    def update(self, key, theta, g):
        cache = self.state.get(key, 0.0)              # the average of g**2 starts at 0
        cache = self.decay * cache + (1 - self.decay) * g**2
        self.state[key] = cache
        theta -= self.lr * g / (np.sqrt(cache) + self.eps)

    def __repr__(self):
        return f"RMSProp(lr={self.lr:g}, decay={self.decay:g})"


class Adam(Optimizer):
    """Adam: momentum on the gradient (``m``) and a per-parameter step size from its square (``s``).

    The bias corrections ``1 - b**t`` undo the pull of the zero initial ``m`` and ``s`` in early steps.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = _fraction("Adam", "beta1", beta1)
        self.beta2 = _fraction("Adam", "beta2", beta2)
        self.eps = check_positive("Adam", "eps", eps)

    def update(self, key, theta, g):
        m, s = self.state.get(key, (0.0, 0.0))       # both moments start at 0
        b1, b2 = self.beta1, self.beta2
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        self.state[key] = (m, s)
        m_hat = m / (1 - b1 ** self.t)
        s_hat = s / (1 - b2 ** self.t)
        theta -= self.lr * m_hat / (np.sqrt(s_hat) + self.eps)

    def __repr__(self):
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g})"


def _fraction(fn, name, value):
    v = check_positive(fn, name, value, allow_zero=True)
    if v >= 1:
        raise ValueError(f"{fn}: {name} must be in [0, 1), got {value!r}")
    return v


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name, lr, **kwargs):
    """Build an optimizer by name: ``sgd``, ``momentum``, ``rmsprop`` or ``adam``."""
    key = check_choice("make_optimizer", "name", name, OPTIMIZERS)
    return OPTIMIZERS[key](lr, **kwargs)
