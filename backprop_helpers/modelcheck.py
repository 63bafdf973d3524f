"""Checking every gradient of an ``MLP`` numerically, fast enough for a real network.

The plain way to check ``dL/dtheta`` element by element nudges one parameter, runs the whole network
forward twice and moves on: two full forward passes per parameter. This module computes the *same*
central differences, ``(L(theta + h e_k) - L(theta - h e_k)) / 2h`` for every parameter ``k``, but
exploits the network's structure so that it does not redo work that the nudge cannot change:

1. A parameter of layer ``l`` (``W_l[i, j]`` or ``b_l[j]``) changes only column ``j`` of that layer's
   pre-activation: ``z_l[:, j] + h * a_{l-1}[:, i]`` (or ``+ h`` for the bias). Everything below layer
   ``l`` is reused from one forward pass.
2. The next layer's pre-activation then changes by an outer product,
   ``z_{l+1} + (act(z_l[:, j] + nudge) - a_l[:, j]) * W_{l+1}[j, :]``, and only the layers above are run.
3. All nudges of one column (every ``i`` and the bias, both signs) are stacked into one batch, so the
   layers above run as a few large matrix products instead of thousands of small ones.

The finite differences are genuine: each one is computed from two loss values of a perturbed network.
The loss values of the unperturbed network also give one-sided differences, used to recognise kinks
(a nudge that crossed the corner of a ReLU), exactly as ``gradcheck.check_gradient`` does.
"""
from __future__ import annotations

import numpy as np

from .layers import ACTIVATIONS
from .network import MLP

__all__ = ["mlp_numerical_gradient"]

#: elements per stacked block; keeps the working set of one block inside the CPU cache
_BLOCK_ELEMENTS = 1 << 16


def _loss_rows(loss_name, scores, y):
    """Per-example losses for stacked scores of shape (P, N, C): returns (P, N)."""
    if loss_name == "softmax_cross_entropy":
        shifted = scores - scores.max(axis=-1, keepdims=True)
        n = scores.shape[-2]
        return np.log(np.exp(shifted).sum(axis=-1)) - shifted[..., np.arange(n), y]
    if loss_name == "mse":
        d = scores - y
        return (d * d).sum(axis=-1)
    # binary cross-entropy from the logits, stable for any score
    return (np.maximum(scores, 0.0) - y * scores + np.log1p(np.exp(-np.abs(scores)))).sum(axis=-1)


def _reg_difference(model, W, h):
    """Central difference of the regularization term for every entry of W (closed-form nudges)."""
    lam = model.reg_strength
    if not model.regularization or lam == 0.0:
        return 0.0
    if model.regularization == "l2":
        return lam / 2 * ((W + h) ** 2 - (W - h) ** 2) / (2 * h)
    return lam * (np.abs(W + h) - np.abs(W - h)) / (2 * h)


def mlp_numerical_gradient(model: MLP, X, y, h: float = 1e-5):
    """Central-difference gradient of ``model.loss(X, y)`` for every parameter, computed fast.

    Args:
        model: an ``MLP`` (its parameters are read, never modified).
        X: inputs (N, D); y: targets as for ``model.loss``.
        h: the step of the central differences.
    Returns:
        ``(numeric, plus, minus, base)``: dicts keyed like ``model.params`` holding the central
        differences and the losses ``L(theta + h e_k)`` and ``L(theta - h e_k)`` for every parameter,
        and the unperturbed loss ``base``.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"mlp_numerical_gradient: model must be an MLP, got {type(model).__name__}")
    X = model._check_X("numerical_gradient", X)
    y = model.check_targets("numerical_gradient", y, X.shape[0])
    act = ACTIVATIONS[model.activation][0]
    L, n = model.num_layers, X.shape[0]
    P = model.params
    # one forward pass, keeping every pre-activation z_l and activation a_l
    A, Z = [X], []
    for l in range(1, L + 1):
        z = A[-1] @ P[f"W{l}"] + P[f"b{l}"]
        Z.append(z)
        A.append(act(z)[0] if l < L else z)
    rows0 = _loss_rows(model.loss_name, A[-1], y)
    base = float(rows0.sum()) / n + model._regularization()

    def act_inplace(z):
        if model.activation == "relu":
            return np.maximum(z, 0.0, out=z)
        return act(z)[0]

    def loss_changes(l, j, cols):
        """Change of the data loss, (P,), when column j of z_l is replaced by each row of cols (P, N).

        Examples whose loss cannot change (the nudge left their activation exactly as it was, e.g. an
        inactive ReLU unit) are skipped, and the change is summed per example, which avoids the
        cancellation of subtracting two nearly equal totals.
        """
        if l == L:
            scores = np.repeat(A[L][None], cols.shape[0], axis=0)
            scores[:, :, j] = cols
            return (_loss_rows(model.loss_name, scores, y) - rows0).sum(axis=1) / n
        delta = act(cols)[0] - A[l][:, j]                       # (P, N): change of a_l[:, j]
        moved = np.flatnonzero(delta.any(axis=0))               # examples that felt the nudge
        if moved.size == 0:
            return np.zeros(cols.shape[0])
        if moved.size < n:
            delta = delta[:, moved]
        z = delta[:, :, None] * P[f"W{l + 1}"][j]               # (P, N', H_{l+1}) outer products
        z += Z[l][moved]
        for m in range(l + 1, L):
            z = act_inplace(z) @ P[f"W{m + 1}"]
            z += P[f"b{m + 1}"]
        return (_loss_rows(model.loss_name, z, y[moved]) - rows0[moved]).sum(axis=1) / n

    numeric, plus, minus = {}, {}, {}
    for l in range(1, L + 1):
        W = P[f"W{l}"]
        d_in, d_out = W.shape
        sources = np.vstack([A[l - 1].T, np.ones((1, n), dtype=X.dtype)])   # (D+1, N): a_{l-1}[:, i], 1
        width = Z[l].shape[1] if l < L else A[L].shape[1]
        block = max(1, _BLOCK_ELEMENTS // (2 * n * width))
        lp = np.empty((d_in + 1, d_out))
        lm = np.empty((d_in + 1, d_out))
        for j in range(d_out):
            zc = Z[l - 1][:, j]
            for start in range(0, d_in + 1, block):
                src = sources[start:start + block]
                k = src.shape[0]
                cols = np.concatenate([zc + h * src, zc - h * src])      # (2k, N): both signs
                change = loss_changes(l, j, cols)
                lp[start:start + k, j] = change[:k]
                lm[start:start + k, j] = change[k:]
        reg = _reg_difference(model, W, h)
        gW = (lp[:-1] - lm[:-1]) / (2 * h) + reg
        gb = (lp[-1] - lm[-1]) / (2 * h)
        numeric[f"W{l}"], numeric[f"b{l}"] = gW, gb
        lp += base                            # from changes to loss values
        lm += base
        # the regularization term's own change is folded into the central difference above;
        # for the one-sided differences add it to both losses
        if not np.isscalar(reg):
            lam = model.reg_strength
            r = (lambda w: lam / 2 * w * w) if model.regularization == "l2" else (lambda w: lam * np.abs(w))
            lp[:-1] += r(W + h) - r(W)
            lm[:-1] += r(W - h) - r(W)
        plus[f"W{l}"], plus[f"b{l}"] = lp[:-1], lp[-1]
        minus[f"W{l}"], minus[f"b{l}"] = lm[:-1], lm[-1]
    return numeric, plus, minus, base
