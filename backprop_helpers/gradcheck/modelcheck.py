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
4. With ReLU-like units, the layers above are affine as long as none of their units changes side, so
   a change ``t`` of ``a_l[n, j]`` moves example ``n``'s scores exactly along a line,
   ``S[n] + t * v[n]``; where the nudge is too small to switch any upper unit (checked per example),
   the scores are computed on that line, and only the loss is evaluated at each nudge.

The finite differences are genuine: each one is computed from two loss values of a perturbed network.
Kinks are detected exactly, from the network's units switching, not inferred from the numbers as
``gradcheck.check_gradient`` must do for a black-box ``f``: for an element that disagrees, two forward
passes at ``theta +- h e_k`` show whether the nudge switched a ReLU-like unit on or off (its
pre-activation changed sign for some example), or moved an L1-regularized weight across 0. Such an
element is measured again with a step too small to reach the kink (``KINK_H``), and it is a kink, not
a failure, when the analytic value matches the central difference or a one-sided slope there.

**Batch normalisation** keeps the column structure: it normalises each feature on its own, so a
nudge of ``W_l[i, j]``, ``b_l[j]``, ``gamma_l[j]`` or ``beta_l[j]`` still changes only column j of
layer l's normalised output, which is computed again from the whole nudged column (in training mode
its mean and variance over the batch move too). Above layer l, in training mode, every example then
depends on every other through the batch statistics of the upper layers, so each nudged network runs
its whole batch through them (neither step 4 nor the skipping of examples that did not feel the nudge
applies). In evaluation mode the running statistics are constants and examples stay independent.
The running statistics that the checks' forward passes move in training mode are put back.

**Dropout** draws a new mask on every forward pass in training mode: the loss is then a different
function at every call, and its finite differences mean nothing. A network with dropout is checked
only in evaluation mode (``model.eval()``, where dropout is the identity); otherwise both functions
here refuse it and say why.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import check as gradient_checks
from ..validation import check_positive, describe
from ..layers import ACTIVATIONS
from ..network import MLP

__all__ = ["mlp_numerical_gradient", "NumericalGradient", "check_model_gradient",
           "ModelGradCheckReport"]

#: the smaller step used to measure again an element whose nudge crossed a kink
KINK_H = 1e-8

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


def refuse_random_masks(fn, model):
    """Raise if ``model`` would draw a new dropout mask on each forward pass (training mode, p > 0)."""
    if model.dropout and model.training:
        raise ValueError(
            f"{fn}: the model drops units (dropout={model.dropout:g}) in training mode, drawing a new "
            f"random mask on every forward pass, so its loss is a different function at every call and "
            f"finite differences of it mean nothing; check it in evaluation mode (model.eval(), where "
            f"dropout is the identity), or build it with dropout=0, or fix the mask yourself (reseed "
            f"model.dropout_rng before every call of model.loss) and use check_gradient or "
            f"check_gradient_directional on that function")


def batchnorm_values(z, gamma, beta, mean, var, eps, train, axis):
    """``gamma * x_hat + beta`` and ``x_hat`` for z, the batch along ``axis``: with z's own mean and
    biased variance along it (training mode), or with ``mean`` and ``var`` (evaluation mode), in the
    arithmetic of ``layers.batchnorm_forward``; the running statistics are not moved."""
    if train:
        mu = z.mean(axis=axis, keepdims=True)
        xc = z - mu
        x_hat = xc * (1.0 / np.sqrt((xc * xc).mean(axis=axis, keepdims=True) + eps))
    else:
        x_hat = (z - mean) * (1.0 / np.sqrt(var + eps))
    return gamma * x_hat + beta, x_hat


def mlp_numerical_gradient(model: MLP, X, y, h: float = 1e-5):
    """Central-difference gradient of ``model.loss(X, y)`` for every parameter, computed fast.

    The loss is the model's in its mode: with batch normalisation, the batch statistics in training
    mode, the running ones in evaluation mode (see the module's docstring). A network with dropout
    is refused in training mode.

    Args:
        model: an ``MLP`` (its parameters and running statistics are read, never modified).
        X: inputs (N, D); y: targets as for ``model.loss``.
        h: the step of the central differences.
    Returns:
        ``NumericalGradient(numeric, plus, minus, base)``: dicts keyed like ``model.params`` holding
        the central differences and the losses ``L(theta + h e_k)`` and ``L(theta - h e_k)``, and the
        unperturbed loss ``base``.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"mlp_numerical_gradient: model must be an MLP, got {type(model).__name__}")
    refuse_random_masks("mlp_numerical_gradient", model)
    X = model.check_inputs("numerical_gradient", X)
    y = model.check_targets("numerical_gradient", y, X.shape[0])
    act = ACTIVATIONS[model.activation].forward
    L, n = model.num_layers, X.shape[0]
    P = model.params
    bn, train = model.batchnorm, model.training
    coupled = bn and train                   # every example depends on the whole batch

    def normalise(l, z, axis, j=None):
        """Layer l's batch normalisation of z (all its features, or feature j alone)."""
        stats = model.running[l]
        pick = (lambda a: a) if j is None else (lambda a: a[j])
        return batchnorm_values(z, pick(P[f"gamma{l}"]), pick(P[f"beta{l}"]), pick(stats["mean"]),
                                pick(stats["var"]), model.bn_eps, train, axis)

    # one forward pass, keeping every pre-activation z_l (before batch normalisation), the
    # normalised x_hat_l, and every activation a_l
    A, Z, XH = [X], [], []
    for l in range(1, L + 1):
        z = A[-1] @ P[f"W{l}"] + P[f"b{l}"]
        Z.append(z)
        if l < L and bn:
            u, x_hat = normalise(l, z, 0)
            XH.append(x_hat)
            A.append(act(u)[0])
        else:
            A.append(act(z)[0] if l < L else z)
    rows0 = _loss_rows(model.loss_name, A[-1], y)
    base = float(rows0.sum()) / n + model.regularization_loss()

    def act_inplace(z):
        if model.activation == "relu":
            return np.maximum(z, 0.0, out=z)
        return act(z)[0]

    slopes = ACTIVATIONS[model.activation].kink_slope   # units with a kink (None: none)

    def line_through_upper_layers(l, j):
        """For a change t of a_l[:, j]: the scores move along S + t * v while no upper unit switches.

        With ReLU-like units the layers above l are affine wherever no unit changes side, so a change
        t of a_l[n, j] moves example n's scores exactly to ``S[n] + t * v[n]``, as long as
        ``|t| < tau[n]`` (the smallest change that would switch some upper unit). Returns (v, tau).
        """
        u = np.repeat(P[f"W{l + 1}"][j][None], n, axis=0)      # (N, H_{l+1}): dz_{l+1}/dt
        tau = np.full(n, np.inf)
        for m in range(l + 1, L):
            with np.errstate(divide="ignore", invalid="ignore"):
                reach = np.abs(Z[m - 1]) / np.abs(u)            # |t| that brings a unit to its kink
            tau = np.minimum(tau, np.nan_to_num(reach, nan=np.inf).min(axis=1))
            u = (u * np.where(Z[m - 1] > 0, 1.0, slopes)) @ P[f"W{m + 1}"]
        return u, tau

    def loss_changes(l, j, cols, line):
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
        moved = np.ones(n, dtype=bool) if coupled else delta.any(axis=0)   # examples that felt it
        total = np.zeros(cols.shape[0])
        if line is not None:                                    # ReLU-like: along the line, exactly
            v, tau = line
            straight = moved & (np.abs(delta).max(axis=0) < tau)
            if straight.any():
                scores = A[L][straight][None] + delta[:, straight, None] * v[straight][None]
                total += (_loss_rows(model.loss_name, scores, y[straight]) - rows0[straight]).sum(axis=1)
            moved &= ~straight
        if moved.any():                                         # the rest: through every layer
            d = delta[:, moved]
            z = d[:, :, None] * P[f"W{l + 1}"][j]               # (P, N', H_{l+1}) outer products
            z += Z[l][moved]
            for m in range(l + 1, L):
                if bn:                                          # the batch is axis -2 of (P, N', H)
                    z = normalise(m, z, -2)[0]
                z = act_inplace(z) @ P[f"W{m + 1}"]
                z += P[f"b{m + 1}"]
            total += (_loss_rows(model.loss_name, z, y[moved]) - rows0[moved]).sum(axis=1)
        return total / n

    numeric, plus, minus = {}, {}, {}
    for l in range(1, L + 1):
        W = P[f"W{l}"]
        d_in, d_out = W.shape
        sources = np.vstack([A[l - 1].T, np.ones((1, n), dtype=X.dtype)])   # (D+1, N): a_{l-1}[:, i], 1
        width = Z[l].shape[1] if l < L else A[L].shape[1]
        block = max(1, _BLOCK_ELEMENTS // (2 * n * width))
        lp = np.empty((d_in + 1, d_out))
        lm = np.empty((d_in + 1, d_out))
        straight = slopes is not None and l < L and not bn     # step 4 applies
        if straight:                                     # the straight path needs less memory
            block = max(1, _BLOCK_ELEMENTS // (2 * n * A[L].shape[1]))
        for j in range(d_out):
            zc = Z[l - 1][:, j]
            line = line_through_upper_layers(l, j) if straight else None
            for start in range(0, d_in + 1, block):
                src = sources[start:start + block]
                k = src.shape[0]
                cols = np.concatenate([zc + h * src, zc - h * src])      # (2k, N): both signs
                if bn and l < L:                                         # column j normalised again
                    cols = normalise(l, cols, -1, j)[0]
                change = loss_changes(l, j, cols, line)
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
        if bn and l < L:                    # gamma_l[j] and beta_l[j] move column j of the output
            gamma, beta = P[f"gamma{l}"], P[f"beta{l}"]
            changes = np.empty((4, d_out))
            for j in range(d_out):
                x_hat, g, c = XH[l - 1][:, j], gamma[j], beta[j]
                cols = np.stack([(g + h) * x_hat + c, (g - h) * x_hat + c,
                                 g * x_hat + (c + h), g * x_hat + (c - h)])
                changes[:, j] = loss_changes(l, j, cols, None)
            numeric[f"gamma{l}"] = (changes[0] - changes[1]) / (2 * h)
            numeric[f"beta{l}"] = (changes[2] - changes[3]) / (2 * h)
            changes += base
            plus[f"gamma{l}"], minus[f"gamma{l}"] = changes[0], changes[1]
            plus[f"beta{l}"], minus[f"beta{l}"] = changes[2], changes[3]
    return NumericalGradient(numeric, plus, minus, base)


class NumericalGradient(NamedTuple):
    """What ``mlp_numerical_gradient`` measured, each a dict keyed like ``model.params``."""
    numeric: dict
    plus: dict
    minus: dict
    base: float


# --------------------------------------------------------------------------- the check

@dataclass(frozen=True, eq=False)
class ModelGradCheckReport:
    """Outcome of ``check_model_gradient``: one ``GradCheckReport`` per parameter array.

    Attributes:
        passed: every parameter's check passed.
        reports: name -> ``GradCheckReport`` (``W1``, ``b1``, ...).
        worst: the name of the parameter with the largest counted relative error.
        num_checked: parameters compared in all.
    """
    passed: bool
    reports: dict
    worst: str
    num_checked: int

    def __bool__(self):
        return self.passed

    @property
    def max_rel_error(self):
        return self.reports[self.worst].max_rel_error

    def __str__(self):
        head = "Gradient check of the whole network " + ("passed" if self.passed else "FAILED")
        lines = [f"{head}: {self.num_checked} parameters, each compared with central differences; "
                 f"worst relative error {self.max_rel_error:.2e} in {self.worst}."]
        for name, r in self.reports.items():
            status = "ok  " if r.passed else "FAIL"
            line = (f"  {status} {name:>4}: worst {r.max_rel_error:.1e} at {r.index} "
                    f"(analytic {r.analytic:.6g}, numeric {r.numeric:.6g})")
            if r.kinks:
                line += f", {len(r.kinks)} kink(s) excused"
            if r.hint and not r.passed:
                line += f". Hint: {r.hint}"
            lines.append(line)
        return "\n".join(lines)

    def _repr_html_(self):
        color = "#2e7d32" if self.passed else "#c62828"
        return (f'<pre style="border-left: 4px solid {color}; padding-left: 8px">'
                f"{html.escape(str(self))}</pre>")


def check_model_gradient(model: MLP, X, y, grads=None, *, h: float = 1e-5,
                         rtol: float | None = None) -> ModelGradCheckReport:
    """Check every gradient of an ``MLP`` against central differences, element by element.

    Args:
        model: the network; its parameters are read, never changed.
        X, y: a batch, as for ``model.loss``.
        grads: the analytic gradients to check, a dict keyed like ``model.params`` (default: what
            ``model.loss(X, y)`` then ``model.backward()`` give).
        h: the central-difference step; rtol: relative tolerance (``gradcheck.DEFAULT_RTOL``).
    Returns:
        A ``ModelGradCheckReport``. The same rules as ``gradcheck.check_gradient`` apply: a
        difference under the round-off floor is not an error, a mismatch is measured again at
        ``h/2`` (Richardson extrapolation) before it counts, and a step that crossed a kink (a ReLU
        unit switching on or off) is reported as a kink when the analytic value matches the slope
        on one side.

    A network with batch normalisation is checked in its mode, every nudge recomputing the batch
    statistics in training mode; its running statistics are left as they were. A network with
    dropout is checked in evaluation mode only (in training mode each call draws a new mask).
    """
    fn = "check_model_gradient"
    if not isinstance(model, MLP):
        raise TypeError(f"{fn}: model must be an MLP, got {describe(model)}")
    refuse_random_masks(fn, model)
    h = check_positive(fn, "h", h)
    saved = {l: {k: v.copy() for k, v in stats.items()} for l, stats in model.running.items()}
    try:
        return _check(fn, model, X, y, grads, h, rtol)
    finally:
        for l, stats in saved.items():     # the forward passes below move them in training mode
            model.running[l].update(stats)


def _check(fn, model, X, y, grads, h, rtol):
    if grads is None:
        model.loss(X, y)
        grads = {k: g.copy() for k, g in model.backward().items()}
    elif not isinstance(grads, dict) or set(grads) != set(model.params):
        raise ValueError(f"{fn}: grads must be a dict with the keys {list(model.params)}, "
                         f"got {describe(grads) if not isinstance(grads, dict) else list(grads)}")
    low = model.dtype == np.float32
    if low:
        gradient_checks.warn_float32(fn, "the model is")
    rtol = gradient_checks.DEFAULT_RTOL["float32" if low else "float64"] if rtol is None else \
        check_positive(fn, "rtol", rtol)
    numeric, plus, minus, base = mlp_numerical_gradient(model, X, y, h)
    Xc = model.check_inputs(fn, X)
    pattern = _kink_pattern(model, Xc)
    eps = float(np.finfo(model.dtype).eps)
    reports = {}
    for name, p in model.params.items():
        g = np.asarray(grads[name], dtype=np.float64)
        if g.shape != p.shape:
            raise ValueError(f"{fn}: grads[{name!r}] must have the shape of {name} {p.shape}, "
                             f"got {g.shape}" + (" (it is transposed)" if g.shape == p.shape[::-1] else ""))
        a = g.reshape(-1)
        n = numeric[name].reshape(-1).copy()
        fp, fm = plus[name].reshape(-1), minus[name].reshape(-1)
        noise = gradient_checks.NOISE_FACTOR * eps * np.maximum(abs(base), np.maximum(np.abs(fp), np.abs(fm))) / h
        floor = noise.copy()
        excused = np.zeros(a.size, dtype=bool)     # crossed a kink, analytic matches a side
        unmatched = np.zeros(a.size, dtype=bool)   # crossed a kink, analytic matches neither side
        bad = np.flatnonzero((np.abs(a - n) > floor) & (np.abs(a - n) > rtol * (np.abs(a) + np.abs(n))))
        for i in bad:
            index = np.unravel_index(i, p.shape)
            if _crosses_kink(model, Xc, pattern, name, p, index, h):
                # the nudge switched a unit on or off: measure again with a step too small to reach
                # the kink; the analytic value must match the slope on the parameter's own side
                # (or, for a parameter sitting exactly on the kink, one of the one-sided slopes)
                fp_s, fm_s = _nudged_losses(model, X, y, p, index, KINK_H)
                f0 = model.loss(X, y)
                candidates = ((fp_s - fm_s) / (2 * KINK_H), (fp_s - f0) / KINK_H, (f0 - fm_s) / KINK_H)
                noise_s = gradient_checks.NOISE_FACTOR * eps * max(abs(f0), 1.0) / KINK_H
                match = any(abs(a[i] - c) <= max(noise_s, rtol * (abs(a[i]) + abs(c)))
                            for c in candidates)
                excused[i], unmatched[i] = match, not match
            else:                           # measure again at h/2: only truncation error?
                n[i] = (4 * _central(model, X, y, p, index, h / 2) - n[i]) / 3
                floor[i] = 3 * noise[i]
        indices = list(zip(*(r.tolist() for r in np.unravel_index(np.arange(p.size), p.shape))))
        reports[name] = gradient_checks.judge(a, n, floor, rtol, indices, kink=excused, unmatched=unmatched, low=low,
                                   method="central", h=h, x_shape=p.shape)
    worst = max(reports, key=lambda k: reports[k].max_rel_error)
    return ModelGradCheckReport(passed=all(r.passed for r in reports.values()), reports=reports,
                                worst=worst, num_checked=model.num_params)


def _kink_pattern(model, X):
    """Which side of its kink every ReLU-like unit is on, for every example (a list of bool arrays)."""
    if ACTIVATIONS[model.activation].kink_slope is None:
        return []
    model.forward(X)
    return [cache.activation.x > 0 for cache in model.caches if cache.activation is not None]


def _crosses_kink(model, X, pattern, name, p, index, h):
    """Exactly: does nudging p[index] by +-h switch a ReLU-like unit (for some example), or move an
    L1-regularized weight across 0 (where |w| has its kink)?"""
    if name.startswith("W") and model.regularization == "l1" and model.reg_strength \
            and abs(p[index]) < h:
        return True
    if not pattern:
        return False
    old = p[index]
    try:
        for nudged in (old + h, old - h):
            p[index] = nudged
            if any((a != b).any() for a, b in zip(_kink_pattern(model, X), pattern)):
                return True
    finally:
        p[index] = old
    return False


def _nudged_losses(model, X, y, p, index, h):
    """The loss at p[index] + h and at p[index] - h (two full forward passes), restoring p."""
    old = p[index]
    try:
        p[index] = old + h
        fp = model.loss(X, y)
        p[index] = old - h
        fm = model.loss(X, y)
    finally:
        p[index] = old
    return fp, fm


def _central(model, X, y, p, index, h):
    """One central difference by brute force."""
    fp, fm = _nudged_losses(model, X, y, p, index, h)
    return (fp - fm) / (2 * h)
