"""Lesson 05, a whole network: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np
from .. import layers

from .lesson04_backward_pass import softmax_cross_entropy

__all__ = ["mlp_forward", "mlp_backward", "loss_and_grads", "gradient_norms"]


def mlp_forward(X, params, activation):
    """Forward pass of a multi-layer perceptron, keeping one cache per layer.

    params: ``W1`` (D, H1), ``b1`` (H1,), ..., ``WL``, ``bL``; activation: a name in
    ``layers.ACTIVATIONS`` ("relu", "sigmoid", "tanh", ...), applied after every layer but the last.
    Returns ``(scores, caches)``: scores (N, C), and in forward order ``(linear_cache, act_cache,
    act_backward)`` for each hidden layer, ``(linear_cache, None, None)`` for the output layer. The
    caches are those of the library's pairs ``layers.linear_forward`` and the activation's forward.
    """
    act = layers.ACTIVATIONS[activation]
    L = len(params) // 2                                    # a W and a b per layer
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = layers.linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:                                           # hidden layer: then the activation
            h, act_cache = act.forward(h)
            caches.append((linear_cache, act_cache, act.backward))
        else:                                               # output layer: the scores, as they are
            caches.append((linear_cache, None, None))
    return h, caches


def mlp_backward(dscores, caches, params):
    """Backward pass of ``mlp_forward``: dscores (N, C) -> grads, keyed and ordered like params."""
    grads = {}
    dout = dscores
    for l in range(len(caches), 0, -1):                     # L, L-1, ..., 1: the chain rule's order
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:                        # hidden layer: undo the activation first
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = layers.linear_backward(dout, linear_cache)
    return {name: grads[name] for name in params}


def loss_and_grads(X, y, params, activation="relu"):
    """Softmax cross-entropy of the MLP on (X, y) and the gradients: ``(loss, grads)``."""
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def gradient_norms(grads):
    """``[||dW1||, ..., ||dWL||]`` (the square root of the sum of squares), in layer order: (L,)."""
    L = len(grads) // 2
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, L + 1)])
