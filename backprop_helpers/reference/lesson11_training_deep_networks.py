"""Lesson 11, training deep networks: the reference answers to its exercises (see ``reference/__init__.py``).

Four tools that make a deep network train, each with the lesson's signature (``N`` examples, ``H``
units of a layer, ``D`` features of a batch-normalised layer):

- ``init_std(scheme, fan_in, fan_out)``: the standard deviation of the initial weights of a layer
  with ``fan_in`` inputs and ``fan_out`` outputs, He (``sqrt(2 / fan_in)``) or Xavier/Glorot
  (``sqrt(2 / (fan_in + fan_out))``);
- ``l2_loss_and_grad(params, reg)``: the L2 penalty ``0.5 * reg * sum(W**2)`` over the weights (the
  parameters whose names start with ``W``) and its gradient ``reg * W``; zeros for every other
  parameter (biases, and batch normalisation's ``gamma`` and ``beta``);
- ``inverted_dropout_forward(X, p, rng, train)`` and ``inverted_dropout_backward(dout, mask)``: each
  unit zeroed with probability ``p`` and the survivors scaled by ``1/(1-p)`` in training mode, the
  identity in evaluation mode; the backward pass multiplies by the same mask;
- ``batchnorm_layer_forward(X, gamma, beta, running, train, momentum, eps)``: batch normalisation
  as a layer: the batch's statistics in training mode (which also move the running averages), the
  running averages in evaluation mode.

They compute what ``network.init_scale``, ``MLP(reg=...)``, ``layers.dropout_forward`` /
``dropout_backward`` and ``layers.batchnorm_forward`` compute, without their validation.
"""
from __future__ import annotations

import numpy as np

__all__ = ["init_std", "l2_loss_and_grad", "inverted_dropout_forward", "inverted_dropout_backward",
           "batchnorm_layer_forward", "INIT_SCHEMES"]

#: the initialisation schemes ``init_std`` knows
INIT_SCHEMES = ("he", "xavier")


def init_std(scheme, fan_in, fan_out):
    """The standard deviation of a layer's initial weights, W of shape (fan_in, fan_out).

    ``Var(z) = fan_in * Var(w) * E[h**2]`` for a unit ``z`` of the layer whose inputs ``h`` are
    independent of the zero-mean weights ``w``.

    - ``"he"`` (ReLU): a ReLU keeps half of a symmetric input's second moment, ``E[h**2] = Var(z)/2``,
      so ``Var(w) = 2 / fan_in`` keeps ``Var(z)`` the same from layer to layer: ``sqrt(2 / fan_in)``.
    - ``"xavier"`` (tanh, sigmoid): near 0 the unit passes its input on, ``E[h**2] ~ Var(z)``, which
      asks for ``Var(w) = 1 / fan_in`` going forward and ``1 / fan_out`` for the gradients going
      backward; the compromise ``Var(w) = 2 / (fan_in + fan_out)``.
    """
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    if scheme == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    raise ValueError(f"init_std: scheme must be one of {', '.join(INIT_SCHEMES)}, got {scheme!r}")


def l2_loss_and_grad(params, reg):
    """L2 regularisation of a network's parameters: ``(reg_loss, reg_grads)``.

    ``reg_loss = 0.5 * reg * sum over the weights W of sum(W**2)`` (a float); ``reg_grads`` has every
    key of ``params``: ``reg * W`` (the shape of W) for a weight, zeros for any other parameter. The
    factor 0.5 is there so that the derivative of ``0.5 * W**2`` is ``W``, without a 2.
    """
    reg_loss = 0.0
    reg_grads = {}
    for name, value in params.items():
        if name.startswith("W"):                      # a weight matrix, (fan_in, fan_out)
            reg_loss += 0.5 * reg * float(np.sum(value * value))
            reg_grads[name] = reg * value
        else:                                         # a bias, gamma or beta: not regularised
            reg_grads[name] = np.zeros_like(value)
    return reg_loss, reg_grads


def inverted_dropout_forward(X, p, rng, train=True):
    """Inverted dropout: ``(out, mask)`` with ``out = X * mask``, both the shape of X (N, H).

    Training mode: each unit is kept with probability ``1 - p`` (one uniform number per unit from
    ``rng``, kept where it is at least ``p``); ``mask`` is ``1/(1-p)`` for a kept unit and 0 for a
    dropped one, so that ``E[out] = X``. Evaluation mode (``train=False``): nothing is dropped and
    nothing scaled, ``out`` is X and ``mask`` all ones.
    """
    if not train:
        return X.copy(), np.ones_like(X)
    keep = rng.random(X.shape) >= p                   # True with probability 1 - p
    mask = keep / (1.0 - p)                           # 0 or 1/(1-p)
    return X * mask, mask


def inverted_dropout_backward(dout, mask):
    """``dX = dout * mask`` (N, H): ``out = X * mask`` elementwise, so each unit's local gradient is
    its own entry of the mask the forward pass used: 0 for a dropped unit, ``1/(1-p)`` for a kept one."""
    return dout * mask


def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
    """Batch normalisation as a layer: X (N, D), gamma and beta (D,); returns out (N, D).

    Training mode: the batch mean and biased variance (divided by N) of each feature normalise the
    batch, and the running averages ``running["mean"]`` and ``running["var"]`` (D,) move towards them,
    keeping the share ``momentum`` of their old value::

        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean    (the same for "var")

    Evaluation mode: the running averages normalise, and nothing is updated, so that an example's
    output does not depend on the rest of its batch. ``out = gamma * x_hat + beta``.
    """
    if train:
        mean = X.mean(axis=0)                         # (D,)
        var = ((X - mean) ** 2).mean(axis=0)          # (D,), divided by N
        running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
        running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        mean, var = running["mean"], running["var"]
    x_hat = (X - mean) / np.sqrt(var + eps)           # (N, D)
    return gamma * x_hat + beta
