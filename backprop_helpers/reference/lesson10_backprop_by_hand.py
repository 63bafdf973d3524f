"""Lesson 10, backpropagation by hand: the reference answers to its exercises (see ``reference/__init__.py``).

Two computations written as a chain of small intermediates, then backpropagated one node at a time,
in reverse (``N`` examples, ``C`` classes, ``D`` features):

- softmax cross-entropy: ``m``, ``shifted``, ``e``, ``s``, ``p``, ``logp``, ``picked``, ``loss``;
- batch normalisation in training mode (batch mean, biased batch variance): ``mean``, ``xmu``, ``sq``,
  ``var``, ``std``, ``inv_std``, ``x_hat``, ``out``.

A forward function returns its intermediates in a dict keyed by name; a backward function returns the
gradient of the loss with respect to each of them, keyed ``"d" + name``, in the order the backward
pass computes them. Each gradient is the whole gradient of its node: when a node feeds two others, both
contributions are in it. Two rules do most of the work:

- a broadcast in the forward pass is a sum in the backward pass (``s`` (N, 1) is used by all C columns
  of ``p``, so ``ds`` adds up the C columns' contributions);
- a sum (or a mean) in the forward pass is a broadcast in the backward pass (every ``e[n, c]`` gets
  the whole ``ds[n]``; every ``sq[n, d]`` gets ``dvar[d] / N``).

``softmax_ce_loss_from`` and ``batchnorm_loss_from`` recompute the loss from any one intermediate on:
the numerical gradient of either with respect to a node's value is that node's gradient.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "softmax_ce_forward_intermediates", "softmax_ce_backward_by_hand", "softmax_ce_loss_from",
    "batchnorm_forward_intermediates", "batchnorm_backward_staged", "batchnorm_backward_simplified",
    "batchnorm_loss_from", "SOFTMAX_CE_NODES", "BATCHNORM_NODES",
]

#: the nodes of softmax cross-entropy, from the input to the loss
SOFTMAX_CE_NODES = ("scores", "m", "shifted", "e", "s", "p", "logp", "picked", "loss")

#: the nodes of batch normalisation, from the inputs to the output
BATCHNORM_NODES = ("X", "gamma", "beta", "mean", "xmu", "sq", "var", "std", "inv_std", "x_hat", "out")


# --------------------------------------------------------------------------- softmax cross-entropy

def softmax_ce_forward_intermediates(scores, y):
    """Softmax cross-entropy, one intermediate at a time: scores (N, C), y (N,) class indices.

    Returns a dict: ``m`` (N, 1) each row's largest score; ``shifted = scores - m`` (N, C);
    ``e = exp(shifted)`` (N, C); ``s`` (N, 1) each row's sum of ``e``; ``p = e / s`` (N, C);
    ``logp = log(p)`` (N, C); ``picked`` (N,) the true class's ``logp``; ``loss = -mean(picked)``
    (a float).
    """
    N = scores.shape[0]
    m = scores.max(axis=1, keepdims=True)           # (N, 1)
    shifted = scores - m                            # (N, C): m broadcast over the C columns
    e = np.exp(shifted)                             # (N, C): every exponent <= 0
    s = e.sum(axis=1, keepdims=True)                # (N, 1)
    p = e / s                                       # (N, C): s broadcast over the C columns
    logp = np.log(p)                                # (N, C)
    picked = logp[np.arange(N), y]                  # (N,): row n's entry in column y[n]
    loss = -picked.mean()                           # a number
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": float(loss)}


def softmax_ce_backward_by_hand(scores, y, fwd):
    """The gradient of the loss with respect to every intermediate of softmax cross-entropy.

    scores (N, C) and y (N,) as in the forward pass; ``fwd`` the dict of
    ``softmax_ce_forward_intermediates(scores, y)``. Returns a dict, in the order computed:
    ``dpicked`` (N,), ``dlogp`` (N, C), ``dp`` (N, C), ``ds`` (N, 1), ``de`` (N, C),
    ``dshifted`` (N, C), ``dm`` (N, 1) (zero up to rounding), ``dscores`` (N, C),
    which equals ``(p - onehot(y)) / N``.
    """
    N, C = scores.shape
    rows = np.arange(N)
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = np.full(N, -1.0 / N)                  # loss = -(1/N) sum of picked
    dlogp = np.zeros((N, C))
    dlogp[rows, y] = dpicked                        # picking: the gradient goes back where it came from
    dp = dlogp / p                                  # d log(p) / dp = 1 / p
    ds = -(dp * e / s ** 2).sum(axis=1, keepdims=True)  # p = e / s, s broadcast over C columns: sum
    de = dp / s + ds                                # e -> p directly, and e -> s -> p: s = sum of e
    dshifted = de * e                               # d exp(x) / dx = exp(x) = e
    dm = -dshifted.sum(axis=1, keepdims=True)       # shifted = scores - m, m broadcast: sum
    dscores = dshifted.copy()                       # scores -> shifted directly ...
    dscores[rows, scores.argmax(axis=1)] += dm[:, 0]    # ... and scores -> m, through each row's maximum
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}


def _replacing(node, value, nodes, fn):
    """``at(name, computed)``: the given ``value`` for ``node``, the computed value for any other."""
    if node not in nodes:
        raise ValueError(f"{fn}: node must be one of {', '.join(nodes)}; got {node!r}")

    def at(name, computed):
        return np.asarray(value, dtype=float) if name == node else computed
    return at


def softmax_ce_loss_from(node, value, scores, y):
    """The loss with the intermediate ``node`` set to ``value`` and every later node recomputed.

    ``node`` is one of ``SOFTMAX_CE_NODES`` (``"scores"`` ... ``"picked"``). Its gradient by central
    differences, ``numerical_gradient(lambda v: softmax_ce_loss_from("s", v, scores, y), s)``, is the
    node's gradient ``ds``: how the loss changes when only that node is nudged and the rest of the graph
    follows.
    """
    at = _replacing(node, value, SOFTMAX_CE_NODES, "softmax_ce_loss_from")
    scores = at("scores", scores)
    N = scores.shape[0]
    m = at("m", scores.max(axis=1, keepdims=True))
    shifted = at("shifted", scores - m)
    e = at("e", np.exp(shifted))
    s = at("s", e.sum(axis=1, keepdims=True))
    p = at("p", e / s)
    logp = at("logp", np.log(p))
    picked = at("picked", logp[np.arange(N), y])
    return float(at("loss", -picked.mean()))


# --------------------------------------------------------------------------- batch normalisation

def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode, one intermediate at a time: X (N, D), gamma and beta (D,).

    Returns a dict: ``mean`` (D,) the batch mean of each feature; ``xmu = X - mean`` (N, D);
    ``sq = xmu**2`` (N, D); ``var`` (D,) the mean of ``sq`` over the batch (biased: divided by N);
    ``std = sqrt(var + eps)`` (D,); ``inv_std = 1 / std`` (D,); ``x_hat = xmu * inv_std`` (N, D);
    ``out = gamma * x_hat + beta`` (N, D).
    """
    mean = X.mean(axis=0)                           # (D,)
    xmu = X - mean                                  # (N, D): mean broadcast over the N rows
    sq = xmu ** 2                                   # (N, D)
    var = sq.mean(axis=0)                           # (D,): divided by N, not N - 1
    std = np.sqrt(var + eps)                        # (D,)
    inv_std = 1.0 / std                             # (D,)
    x_hat = xmu * inv_std                           # (N, D): inv_std broadcast over the rows
    out = gamma * x_hat + beta                      # (N, D)
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}


def batchnorm_backward_staged(dout, gamma, fwd):
    """Batch normalisation's backward, node by node: dout (N, D), gamma (D,), ``fwd`` the dict of
    ``batchnorm_forward_intermediates``.

    Returns a dict, in the order computed: ``dbeta``, ``dgamma`` (D,), ``dx_hat`` (N, D),
    ``dinv_std``, ``dstd``, ``dvar`` (D,), ``dsq``, ``dxmu`` (N, D), ``dmean`` (D,), ``dX`` (N, D).
    """
    N = dout.shape[0]
    xmu, std, inv_std, x_hat = fwd["xmu"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
    dbeta = dout.sum(axis=0)                        # beta broadcast over the N rows: sum
    dgamma = (dout * x_hat).sum(axis=0)             # gamma broadcast over the rows: sum
    dx_hat = dout * gamma                           # (N, D)
    dinv_std = (dx_hat * xmu).sum(axis=0)           # x_hat = xmu * inv_std, inv_std broadcast: sum
    dstd = -dinv_std / std ** 2                     # d(1/std) = -1/std**2
    dvar = 0.5 * dstd / std                         # d sqrt(var + eps) / dvar = 1 / (2 std)
    dsq = np.ones_like(xmu) * dvar / N              # var = mean of sq over the rows: broadcast, / N
    dxmu = dx_hat * inv_std + 2.0 * xmu * dsq       # xmu -> x_hat, and xmu -> sq -> var
    dmean = -dxmu.sum(axis=0)                       # xmu = X - mean, mean broadcast: sum
    dX = dxmu + dmean / N                           # X -> xmu, and X -> mean (a mean: broadcast, / N)
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}


def batchnorm_backward_simplified(dout, gamma, fwd):
    """Batch normalisation's backward in closed form: dout (N, D), gamma (D,), ``fwd`` as for
    ``batchnorm_backward_staged`` (only ``x_hat`` and ``inv_std`` are used).

    ``dX = (gamma * inv_std / N) * (N dout - sum(dout) - x_hat * sum(dout * x_hat))``, the sums over
    the batch. Returns a dict: ``dbeta``, ``dgamma`` (D,), ``dX`` (N, D).
    """
    N = dout.shape[0]
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = dout.sum(axis=0)                        # sum(dout)
    dgamma = (dout * x_hat).sum(axis=0)             # sum(dout * x_hat)
    dX = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}


def batchnorm_loss_from(node, value, X, gamma, beta, dout, eps=1e-5):
    """``sum(out * dout)`` with the intermediate ``node`` set to ``value`` and every later node
    recomputed; its gradient with respect to ``out`` is ``dout``, so its numerical gradient with
    respect to a node's value is that node's gradient in the backward pass that receives ``dout``.

    ``node`` is one of ``BATCHNORM_NODES`` (``"X"``, ``"gamma"``, ``"beta"``, ``"mean"`` ... ``"out"``).
    """
    at = _replacing(node, value, BATCHNORM_NODES, "batchnorm_loss_from")
    X, gamma, beta = at("X", X), at("gamma", gamma), at("beta", beta)
    mean = at("mean", X.mean(axis=0))
    xmu = at("xmu", X - mean)
    sq = at("sq", xmu ** 2)
    var = at("var", sq.mean(axis=0))
    std = at("std", np.sqrt(var + eps))
    inv_std = at("inv_std", 1.0 / std)
    x_hat = at("x_hat", xmu * inv_std)
    out = at("out", gamma * x_hat + beta)
    return float(np.sum(out * dout))
