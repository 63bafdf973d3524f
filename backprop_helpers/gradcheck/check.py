"""Gradient checking: compare a backward pass with derivatives measured numerically.

A backward pass is correct when it agrees with the definition of the derivative. For a scalar
function ``f`` of an array ``x``, the central difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / 2h          (e_i: 1 at element i, 0 elsewhere)

needs nothing but two calls of ``f``, so it checks any analytic gradient element by element.

The checks
----------
``check_gradient`` compares an analytic gradient with central differences (or complex-step
derivatives) element by element; ``check_gradient_directional`` compares it along random directions,
at a cost independent of the number of parameters. Both return a ``GradCheckReport`` instead of
printing. An element that disagrees gets a second look at h/2, which tells truncation error and a
kink crossed by the step (ReLU, max, abs) from a wrong gradient.

The numerical derivatives they use (calling convention, choosing h) are in
``backprop_helpers.gradcheck``, the step-size study in ``backprop_helpers.gradcheck`` and the report
in ``backprop_helpers.gradcheck``; every public name of those modules is importable from here.

Reading a relative error ``|a - n| / (|a| + |n|)`` (usual float64 bands): above 1e-2 the gradient is
wrong; 1e-2 to 1e-4 suspicious; 1e-4 to 1e-7 acceptable only if the function has kinks; below 1e-7
good. ``check_gradient`` returns these words in its report instead of printing them.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from ..validation import (as_float_array, check_choice, check_finite, check_positive,
                        check_positive_int, describe)
from .verdict import GradCheckReport, agree, judge
from .numerical import (COMPLEX_H, DEFAULT_H, Float32Warning, validate_function, validate_point, complex_step_sweep,
                        is_low_precision, as_scalar, sweep, warn_float32, complex_step_gradient,
                        numerical_gradient, numerical_vjp, rel_error)
from .step_sizes import StepSizeErrors, step_size_errors

__all__ = [
    "Float32Warning", "GradCheckReport", "StepSizeErrors", "rel_error", "numerical_gradient",
    "numerical_vjp", "complex_step_gradient", "check_gradient", "check_gradient_directional",
    "step_size_errors", "DEFAULT_H", "DEFAULT_RTOL",
]

#: default relative tolerance of check_gradient and check_gradient_directional, by precision
DEFAULT_RTOL = {"float64": 1e-5, "float32": 1e-2}
#: safety factor on the round-off estimate eps * |f| / h (f's own rounding accumulates over its sums)
NOISE_FACTOR = 16.0


# --------------------------------------------------------------------------- kinks

def _second_look(a, f0, first, second, noise, atol, rtol):
    """Elements that failed at step h, measured again at h/2: truncation error, a kink, or a bug?

    ``first`` and ``second`` are ``(fp, fm, sp, sm)`` at h and h/2. Three explanations, in order:

    - truncation error: the Richardson extrapolation ``(4 D(h/2) - D(h)) / 3`` (error O(h**4))
      matches the analytic value;
    - a kink crossed by the step: the central difference at h/2 matches (the kink lay between h/2
      and h), or one of the one-sided slopes does, each extrapolated as ``2 d(h/2) - d(h)``.
      A smooth function's one-sided slopes both tend to its derivative, so a wrong analytic value
      cannot match one; at a kink, the side the step did not cross gives the slope there;
    - neither: a failure. It is an unmatched kink when the one-sided slopes differ clearly (beyond
      noise, and by more than 1e-6 of their size) and do not shrink with h (they would halve for a
      smooth function).
    Returns (numeric, floor, kink, unmatched) for these elements.
    """
    (fp1, fm1, sp1, sm1), (fp2, fm2, sp2, sm2) = first, second
    n1, n2 = (fp1 - fm1) / (sp1 + sm1), (fp2 - fm2) / (sp2 + sm2)
    dp1, dm1, dp2, dm2 = (fp1 - f0) / sp1, (f0 - fm1) / sm1, (fp2 - f0) / sp2, (f0 - fm2) / sm2
    n_rich, side_p, side_m = (4 * n2 - n1) / 3, 2 * dp2 - dp1, 2 * dm2 - dm1
    floor_rich, floor_side = np.maximum(atol, 3 * noise), np.maximum(atol, 10 * noise)
    smooth = agree(a, n_rich, floor_rich, rtol)
    half = agree(a, n2, np.maximum(atol, 2 * noise), rtol)
    on_p, on_m = agree(a, side_p, floor_side, rtol), agree(a, side_m, floor_side, rtol)
    kink = ~smooth & (half | on_p | on_m)
    jump1, jump2 = np.abs(dp1 - dm1), np.abs(dp2 - dm2)
    significant = jump1 > np.maximum(16 * noise, 1e-6 * (np.abs(dp1) + np.abs(dm1)))
    unmatched = ~smooth & ~kink & significant & (jump2 > 0.6 * jump1)
    numeric = np.where(kink, np.where(half, n2, np.where(on_p, side_p, side_m)), n_rich)
    return numeric, np.where(kink, floor_side, floor_rich), kink, unmatched


def _optional_positive(fn, **values):
    return [None if v is None else check_positive(fn, name, v) for name, v in values.items()]


def _defaults(h, rtol, low_fd, low):
    """Fill in the per-precision defaults; also return the machine epsilon of the differences."""
    h = DEFAULT_H["float32" if low_fd else "float64"] if h is None else h
    rtol = DEFAULT_RTOL["float32" if low else "float64"] if rtol is None else rtol
    return h, rtol, float(np.finfo(np.float32 if low_fd else np.float64).eps)


# --------------------------------------------------------------------------- checks

def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: Any, *,
                   h: float | None = None, method: str = "central", rtol: float | None = None,
                   atol: float | None = None, num_checks: int | None = None,
                   seed: int = 0) -> GradCheckReport:
    """Compare an analytic gradient with a numerical one, element by element.

    Args:
        f: scalar function, called as ``f(x)`` (``x`` perturbed in place and restored exactly;
            for ``method="complex"``, a complex copy).
        x: float array where the gradient was computed; analytic: ``df/dx``, shaped like ``x``.
        h: step; default ``DEFAULT_H`` (1e-5 in float64, 5e-3 in float32), 1e-20 for "complex".
        method: "central" differences, or "complex" step (exact, for analytic f only).
        rtol: relative tolerance; default ``DEFAULT_RTOL`` (1e-5 in float64, 1e-2 in float32,
            chosen by the lowest precision among x, f's value and analytic).
        atol: absolute tolerance (default 0). Central differences add a round-off floor per element,
            ``16 * eps * max|f| / h``: two values closer than that are both noise, not judged.
        num_checks: compare only this many randomly chosen elements (drawn with ``seed``).
    Returns:
        A ``GradCheckReport``. With central differences, an element that disagrees at h gets a
        second look at h/2 (see ``_second_look``): if the mismatch is only truncation error it
        passes; if the step crossed a kink (ReLU, max, abs) and the analytic value matches the slope
        on one side, it is listed in ``report.kinks`` and does not fail; otherwise it fails.
    Warns:
        Float32Warning when x or f's values are float32 (finite differences are unreliable there).
    """
    fn = "check_gradient"
    validate_function(fn, f)
    method = check_choice(fn, "method", method, {"central", "complex"})
    x = validate_point(fn, x) if method == "central" else as_float_array(fn, "x", x, allow_complex=False)
    analytic = as_float_array(fn, "analytic", analytic, allow_complex=False, allow_empty=True)
    if analytic.shape != x.shape:
        hint = " (it is transposed)" if analytic.shape == x.shape[::-1] else ""
        raise ValueError(f"{fn}: analytic must have the shape of x {x.shape}, got analytic.shape="
                         f"{analytic.shape}{hint}; a gradient has the shape of its variable")
    check_finite(fn, "analytic", analytic)
    h, rtol = _optional_positive(fn, h=h, rtol=rtol)
    atol = 0.0 if atol is None else check_positive(fn, "atol", atol, allow_zero=True)
    seed = check_positive_int(fn, "seed", seed, minimum=0)
    flat = np.arange(x.size)
    if num_checks is not None:
        num_checks = check_positive_int(fn, "num_checks", num_checks)
        if num_checks < x.size:
            flat = np.sort(np.random.default_rng(seed).choice(x.size, num_checks, replace=False))
    indices = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in flat]
    a = analytic.reshape(-1)[flat].astype(np.float64)
    whole = x.shape if flat.size == x.size else None
    none = np.zeros(len(a), bool)

    if method == "complex":
        low = is_low_precision(x.dtype) or is_low_precision(analytic.dtype)
        h, rtol, _ = _defaults(COMPLEX_H if h is None else h, rtol, False, low)
        n = complex_step_sweep(fn, f, x, indices, h)
        return judge(a, n, np.full(len(a), atol), rtol, indices, kink=none, unmatched=none,
                      low=low, method=method, h=h, x_shape=whole)

    f0_value = f(x)
    f0 = as_scalar(fn, f0_value, "at x")
    low_fd = is_low_precision(x.dtype) or is_low_precision(np.asarray(f0_value).dtype)
    if low_fd:
        warn_float32(fn, "x is" if is_low_precision(x.dtype) else "f returns")
    low = low_fd or is_low_precision(analytic.dtype)
    h, rtol, eps = _defaults(h, rtol, low_fd, low)

    def reduce(value, where):
        return as_scalar(fn, value, where)

    fp, fm, sp, sm = sweep(fn, f, x, indices, h, reduce)
    n = (fp - fm) / (sp + sm)
    noise = NOISE_FACTOR * eps * np.maximum(abs(f0), np.maximum(np.abs(fp), np.abs(fm))) / ((sp + sm) / 2)
    floor = np.maximum(atol, noise)
    kink, unmatched = none.copy(), none.copy()
    bad = np.flatnonzero(~agree(a, n, floor, rtol))
    if bad.size:
        second = sweep(fn, f, x, [indices[i] for i in bad], h / 2, reduce)
        n[bad], floor[bad], kink[bad], unmatched[bad] = _second_look(
            a[bad], f0, (fp[bad], fm[bad], sp[bad], sm[bad]), second, noise[bad], atol, rtol)
    return judge(a, n, floor, rtol, indices, kink=kink, unmatched=unmatched, low=low,
                  method=method, h=h, x_shape=whole)


def _param_pairs(fn: str, params: Any, grads: Any) -> list:
    """[(param, grad)] for an array or a dict of arrays, validated."""
    if isinstance(params, np.ndarray):
        items = [("params", params, grads, "grads")]
    elif isinstance(params, Mapping):
        if not isinstance(grads, Mapping):
            raise TypeError(f"{fn}: params is a dict, so grads must be a dict with the same keys, "
                            f"got {describe(grads)}")
        missing, extra = [k for k in params if k not in grads], [k for k in grads if k not in params]
        if missing or extra:
            raise ValueError(f"{fn}: grads must have the keys of params; missing {missing}, "
                             f"unexpected {extra}")
        if not params:
            raise ValueError(f"{fn}: params is an empty dict; there is nothing to check")
        items = [(f"params[{k!r}]", params[k], grads[k], f"grads[{k!r}]") for k in params]
    else:
        raise TypeError(f"{fn}: params must be a numpy array or a dict of arrays (like model.params), "
                        f"got {describe(params)}")
    out = []
    for pname, p, g, gname in items:
        validate_point(fn, p, pname)
        g = as_float_array(fn, gname, g, allow_complex=False)
        if g.shape != p.shape:
            raise ValueError(f"{fn}: {gname} has shape {g.shape} but {pname} has shape {p.shape}; "
                             f"a gradient has the shape of its variable")
        check_finite(fn, gname, g)
        out.append((p, g))
    return out


def check_gradient_directional(f: Callable[[Any], float], params: Any, grads: Any, *,
                               num_directions: int = 10, h: float | None = None, seed: int = 0,
                               rtol: float | None = None) -> GradCheckReport:
    """Check a gradient along random directions: cost independent of the number of parameters.

    For a random unit vector ``v`` over all parameters jointly, the directional derivative
    ``(f(p + h v) - f(p - h v)) / 2h`` must equal ``<g, v>``. Each direction costs two calls of
    ``f`` and O(P) vector work, whatever P. The directions are Rademacher vectors, every entry
    ``+-1/sqrt(P)``: every parameter moves by the same amount in every direction, so a wrong
    gradient entry ``g_j + e`` shifts ``<g, v>`` by exactly ``+-e/sqrt(P)`` each time (never by ~0),
    and a single wrong entry is caught by every direction, not only by lucky ones.

    Args:
        f: called as ``f(params)``; returns a real scalar (e.g. ``lambda _: model.loss(X, y)``).
        params: a float array or a dict of float arrays (``model.params``), perturbed in place
            and restored exactly (the saved values are copied back, even if f raises).
        grads: the analytic gradient, same structure and shapes (``model.grads``).
        num_directions: how many random directions; h, rtol: as in ``check_gradient``.
    Returns:
        A ``GradCheckReport`` whose indices are ``(k,)`` for direction k. Directions that fail at
        h get the same second look at h/2 as elements in ``check_gradient`` (truncation, kinks).
    """
    fn = "check_gradient_directional"
    validate_function(fn, f)
    pairs = _param_pairs(fn, params, grads)
    num_directions = check_positive_int(fn, "num_directions", num_directions)
    seed = check_positive_int(fn, "seed", seed, minimum=0)
    h, rtol = _optional_positive(fn, h=h, rtol=rtol)
    total = sum(p.size for p, _ in pairs)
    buf = np.empty(total)                       # h * v: one buffer, reused by every direction
    views, offset = [], 0
    for p, g in pairs:
        part = buf[offset:offset + p.size]
        views.append((p, p.copy(), part.reshape(p.shape), g.reshape(-1), part))
        offset += p.size
    rng = np.random.default_rng(seed)
    signs: list = []                            # P random bits per direction, to revisit it at h/2

    def along(k: int, step: float) -> tuple[float, float]:
        """f(p + step v_k) and f(p - step v_k); leaves step * v_k in buf."""
        s = step / math.sqrt(total)
        np.multiply(np.unpackbits(signs[k], count=total), 2 * s, out=buf)
        np.subtract(buf, s, out=buf)            # each entry +-step/sqrt(P)
        for p, saved, b, _, _ in views:
            np.add(saved, b, out=p)
        up = as_scalar(fn, f(params), f"at params + h*v (direction {k})")
        for p, saved, b, _, _ in views:
            np.subtract(saved, b, out=p)
        return up, as_scalar(fn, f(params), f"at params - h*v (direction {k})")

    try:
        f0_value = f(params)
        f0 = as_scalar(fn, f0_value, "at params")
        low_x, low_f = any(is_low_precision(p.dtype) for p, _ in pairs), is_low_precision(np.asarray(f0_value).dtype)
        if low_x or low_f:
            warn_float32(fn, "params are" if low_x else "f returns")
        h, rtol, eps = _defaults(h, rtol, low_x or low_f, low_x or low_f)
        a, fp, fm = np.empty(num_directions), np.empty(num_directions), np.empty(num_directions)
        for k in range(num_directions):
            signs.append(np.frombuffer(rng.bytes((total + 7) // 8), np.uint8))
            fp[k], fm[k] = along(k, h)
            a[k] = sum(float(np.dot(g, part)) for _, _, _, g, part in views) / h
        n = (fp - fm) / (2 * h)
        noise = NOISE_FACTOR * eps * np.maximum(abs(f0), np.maximum(np.abs(fp), np.abs(fm))) / h
        floor, hs = noise.copy(), np.full(num_directions, h)
        kink, unmatched = np.zeros(num_directions, bool), np.zeros(num_directions, bool)
        bad = np.flatnonzero(~agree(a, n, floor, rtol))
        if bad.size:
            second = np.array([along(int(k), h / 2) for k in bad]).reshape(-1, 2)
            n[bad], floor[bad], kink[bad], unmatched[bad] = _second_look(
                a[bad], f0, (fp[bad], fm[bad], hs[bad], hs[bad]),
                (second[:, 0], second[:, 1], hs[bad] / 2, hs[bad] / 2), noise[bad], 0.0, rtol)
    finally:
        for p, saved, _, _, _ in views:
            np.copyto(p, saved)
    return judge(a, n, floor, rtol, [(k,) for k in range(num_directions)], kink=kink,
                  unmatched=unmatched, low=low_x or low_f, method="directional", h=h)
