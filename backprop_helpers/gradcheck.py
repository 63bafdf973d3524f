"""Gradient checking: compare a backward pass with derivatives measured numerically.

A backward pass is correct when it agrees with the definition of the derivative. For a scalar
function ``f`` of an array ``x``, the central difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / 2h          (e_i: 1 at element i, 0 elsewhere)

needs nothing but two calls of ``f``, so it checks any analytic gradient element by element.

Calling convention
------------------
Every function here calls ``f(x)`` with the array being differentiated as its only argument. For
finite differences that argument is ``x`` itself, perturbed **in place** one element at a time and
restored bit for bit afterwards (even if ``f`` raises), so a function that ignores its argument and
reads the array through a closure works too: ``lambda _: model.loss(X, y)`` with
``x = model.params["W1"]``. The complex step cannot perturb a float array in place, so there ``f``
receives a complex copy of ``x`` and must compute with it.

Choosing h
----------
A finite difference has two errors that pull ``h`` in opposite directions:

- truncation error, from the Taylor series ``f(x +- h) = f(x) +- h f' + h**2 f''/2 +- h**3 f'''/6``:
  ``h f''/2``, i.e. ``O(h)``, for the forward difference ``(f(x + h) - f(x)) / h``, but only
  ``h**2 f'''/6``, ``O(h**2)``, for the central one, where the ``f''`` terms cancel; so smaller
  ``h`` is better;
- round-off error: ``f`` is known only to about ``eps * |f|`` (``eps`` is the machine epsilon,
  2.2e-16 in float64, 1.2e-7 in float32), and subtracting two nearly equal values then dividing by
  ``h`` turns that into ``eps * |f| / h``, so larger ``h`` is better.

Their sum ``h**2 + eps / h`` is smallest near ``h = eps**(1/3)``: about 6e-6 in float64 (hence the
customary 1e-5) and 5e-3 in float32, where the best achievable relative error is only about
``eps**(2/3)`` = 2e-5 and 1e-3 or worse is common. ``step_size_errors`` measures this V-shaped curve.
The complex step ``Im f(x + i h) / h`` has no subtraction, hence no cancellation: ``h`` can be 1e-20
and the result is exact to machine precision, but only for analytic ``f`` (no ReLU, max, abs, or
anything that drops the imaginary part).

Reading a relative error ``|a - n| / (|a| + |n|)`` (usual float64 bands): above 1e-2 the gradient is
wrong; 1e-2 to 1e-4 suspicious; 1e-4 to 1e-7 acceptable only if the function has kinks; below 1e-7
good. ``check_gradient`` returns these words in its report instead of printing them.
"""
from __future__ import annotations

import html
import inspect
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from ._validate import (as_float_array, check_choice, check_finite, check_positive,
                        check_positive_int, describe)

__all__ = [
    "Float32Warning", "GradCheckReport", "StepSizeErrors", "rel_error", "numerical_gradient",
    "numerical_vjp", "complex_step_gradient", "check_gradient", "check_gradient_directional",
    "step_size_errors", "DEFAULT_H", "DEFAULT_RTOL",
]

#: default step h for finite differences, by precision (about eps**(1/3)); see "Choosing h"
DEFAULT_H = {"float64": 1e-5, "float32": 5e-3}
#: default relative tolerance of check_gradient and check_gradient_directional, by precision
DEFAULT_RTOL = {"float64": 1e-5, "float32": 1e-2}
_COMPLEX_H = 1e-20
#: safety factor on the round-off estimate eps * |f| / h (f's own rounding accumulates over its sums)
_NOISE_FACTOR = 16.0
_BANDS = ((1e-2, "wrong"), (1e-4, "suspicious"), (1e-7, "acceptable only if the function has kinks"))


class Float32Warning(UserWarning):
    """Finite differences taken in single (or half) precision, where round-off swamps them."""


# --------------------------------------------------------------------------- small helpers

def _is_low(dtype: Any) -> bool:
    """True for float32/float16 (and complex64): precisions too coarse for finite differences."""
    dt = np.dtype(dtype)
    return dt.kind in "fc" and np.finfo(dt).eps > 1e-10


def _warn_float32(fn: str, what: str) -> None:
    warnings.warn(
        f"{fn}: {what} float32, whose machine epsilon is 1.2e-07, so the difference f(x+h) - f(x-h) "
        f"loses most of its digits to round-off (error about eps*|f|/h): even a correct gradient "
        f"shows relative errors of 1e-3 or worse. Check gradients in float64 (x.astype(np.float64)).",
        Float32Warning, stacklevel=3)


def _fmt_index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]"


def _check_f(fn: str, f: Any) -> None:
    """f must be callable as f(x): one positional argument."""
    if not callable(f):
        raise TypeError(f"{fn}: f must be a function of the array, got {describe(f)}")
    try:
        inspect.signature(f).bind(None)
    except TypeError:
        raise TypeError(
            f"{fn}: f must accept one argument, the array (called as f(x)), but its signature is "
            f"{inspect.signature(f)}; write `lambda x: ...`, or `lambda _: ...` if it reads the "
            f"array through a closure") from None
    except ValueError:  # no signature available (some built-ins): just try calling it
        pass


def _check_x(fn: str, x: Any, name: str = "x") -> np.ndarray:
    """x must be a writable float ndarray, because it is perturbed in place."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy array of floats (it is perturbed in place), "
                        f"got {describe(x)}")
    as_float_array(fn, name, x, allow_complex=False)
    if not x.flags.writeable:
        raise ValueError(f"{fn}: {name} is read-only, but it is perturbed in place; "
                         f"pass a writable copy ({name}.copy())")
    return x


def _scalar(fn: str, value: Any, where: str) -> float:
    """The real scalar f returned, as a float, or a clear error."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray):
            hint = ("; for an array-valued f use numerical_vjp(f, x, dout), the gradient of "
                    "sum(f(x) * dout), or reduce it (f(x).sum())")
        elif isinstance(value, numbers.Complex):
            hint = "; a loss is real (take .real only if you are sure the imaginary part is 0)"
        else:
            hint = ""
        raise TypeError(f"{fn}: f must return a real scalar (the loss), got {describe(value)}{hint}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{fn}: f returned {v} {where}; it must be finite near x")
    return v


def _sweep(fn: str, f: Callable, x: np.ndarray, indices: list, h: float,
           reduce: Callable[[Any, str], float]):
    """f at x + h e_i and x - h e_i for each index i, restoring x[i] exactly after each pair.

    Returns (fp, fm, sp, sm): the values of ``reduce(f(x))`` and the steps actually taken,
    ``sp = x_i^+ - x_i`` and ``sm = x_i - x_i^-`` (h rounded to x's precision, so never 0).
    """
    n = len(indices)
    fp, fm, sp, sm = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for k, idx in enumerate(indices):
        old = x[idx]                     # a numpy scalar: a copy, not a view
        try:
            x[idx] = old + h
            sp[k] = float(x[idx]) - float(old)
            x[idx] = old - h
            sm[k] = float(old) - float(x[idx])
            if sp[k] <= 0 or sm[k] <= 0:
                raise ValueError(f"{fn}: h={h:g} is too small for x{_fmt_index(idx)}={float(old):g} "
                                 f"in {x.dtype}: the step rounds to 0; use a larger h")
            x[idx] = old + h
            fp[k] = reduce(f(x), f"at x{_fmt_index(idx)} + h")
            x[idx] = old - h
            fm[k] = reduce(f(x), f"at x{_fmt_index(idx)} - h")
        finally:
            x[idx] = old                 # stored value put back: bitwise restore
    return fp, fm, sp, sm


# --------------------------------------------------------------------------- numbers

def rel_error(a: Any, b: Any) -> float:
    """``max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)``: the worst elementwise relative error.

    ``a`` and ``b`` are arrays (or scalars) of the same shape; the 1e-8 keeps two near-zero values
    from dividing by ~0. Returns 0.0 for empty arrays and nan if either holds nan.
    """
    fn = "rel_error"
    arrays = []
    for name, v in (("a", a), ("b", b)):
        arr = np.asarray(v) if not isinstance(v, np.ndarray) else v
        if arr.dtype.kind not in "iufc":
            raise TypeError(f"{fn}: {name} must be numbers or an array of numbers, got {describe(v)}")
        arrays.append(arr)
    a_, b_ = arrays
    if a_.shape != b_.shape:
        hint = " (one is the transpose of the other)" if a_.shape == b_.shape[::-1] else ""
        raise ValueError(f"{fn}: a and b must have the same shape, got a.shape={a_.shape} and "
                         f"b.shape={b_.shape}{hint}")
    if a_.size == 0:
        return 0.0
    wide = np.complex128 if "c" in (a_.dtype.kind, b_.dtype.kind) else np.float64
    a_, b_ = a_.astype(wide), b_.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):     # inf - inf is nan, reported as nan
        err = np.abs(a_ - b_) / np.maximum(1e-8, np.abs(a_) + np.abs(b_))
    return float(np.max(err))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function: ``(f(x + h e_i) - f(x - h e_i)) / 2h``.

    Args:
        f: called as ``f(x)``; returns a real scalar. ``x`` is perturbed in place, one element at
            a time, so ``f`` may also ignore its argument and read ``x`` through a closure.
        x: float array of any shape, writable; restored exactly (bitwise), even if ``f`` raises.
        h: the step (> 0). The denominator is the step actually taken after rounding to x's dtype.
    Returns:
        An array shaped (and typed) like ``x``: the gradient ``df/dx``.
    """
    fn = "numerical_gradient"
    _check_f(fn, f)
    _check_x(fn, x)
    h = check_positive(fn, "h", h)
    if _is_low(x.dtype):
        _warn_float32(fn, "x is")
    indices = list(np.ndindex(x.shape))
    fp, fm, sp, sm = _sweep(fn, f, x, indices, h, lambda v, where: _scalar(fn, v, where))
    return ((fp - fm) / (sp + sm)).reshape(x.shape).astype(x.dtype)


def numerical_vjp(f: Callable[[np.ndarray], Any], x: np.ndarray, dout: Any, h: float = 1e-5) -> np.ndarray:
    """Vector-Jacobian product by central differences: the gradient of ``sum(f(x) * dout)``.

    For an array-valued ``f`` (a layer's forward pass) and an upstream gradient ``dout`` shaped like
    ``f(x)``, returns ``dx[i] = sum_j dout[j] * (f(x + h e_i)[j] - f(x - h e_i)[j]) / 2h``,
    which is what ``*_backward(dout, cache)`` must return. Same conventions as
    ``numerical_gradient``: ``f(x)`` with ``x`` perturbed in place and restored exactly.
    """
    fn = "numerical_vjp"
    _check_f(fn, f)
    _check_x(fn, x)
    dout = as_float_array(fn, "dout", dout, allow_complex=False, allow_empty=True)
    h = check_positive(fn, "h", h)
    if _is_low(x.dtype):
        _warn_float32(fn, "x is")

    def reduce(value: Any, where: str) -> float:
        out = np.asarray(value)
        if out.dtype.kind not in "iuf":
            raise TypeError(f"{fn}: f must return a real array shaped like dout, got {describe(value)}")
        if out.shape != dout.shape:
            raise ValueError(f"{fn}: f returned shape {out.shape} but dout has shape {dout.shape}; "
                             f"dout must have the shape of f's output")
        return _scalar(fn, np.sum(out * dout, dtype=np.float64), where)

    fp, fm, sp, sm = _sweep(fn, f, x, list(np.ndindex(x.shape)), h, reduce)
    return ((fp - fm) / (sp + sm)).reshape(x.shape).astype(x.dtype)


def _complex_step(fn: str, f: Callable, x: np.ndarray, indices: list, h: float) -> np.ndarray:
    """Im f(x + i h e_i) / h for each index i, with f called on a complex128 copy of x."""
    xc = x.astype(np.complex128)
    out = np.empty(len(indices))
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)   # complex -> float casts
        for k, idx in enumerate(indices):
            old = xc[idx]
            xc[idx] = complex(old.real, h)
            try:
                value = f(xc)
            except (TypeError, np.exceptions.ComplexWarning) as exc:
                raise TypeError(
                    f"{fn}: f failed on complex input ({type(exc).__name__}: {exc}); the complex step "
                    f"needs f built from analytic operations that accept complex arrays (no float(), "
                    f"abs, max/ReLU, comparisons or casts to float); use central differences") from exc
            finally:
                xc[idx] = old
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value[()]
            if isinstance(value, (numbers.Real, np.bool_)):
                raise TypeError(
                    f"{fn}: f returned a real value ({describe(value)}) for complex input, so it "
                    f"dropped the imaginary part that carries the derivative (np.real, abs, float(), "
                    f"a comparison...); the complex step needs an analytic f: use central differences")
            if not isinstance(value, numbers.Complex):
                raise TypeError(f"{fn}: f must return a scalar, got {describe(value)}")
            out[k] = value.imag / h
    if out.size and not out.any():
        _zero_imaginary_check(fn, f, x, indices[:3])
    return out


def _zero_imaginary_check(fn: str, f: Callable, x: np.ndarray, indices: list) -> None:
    """All complex-step derivatives were exactly 0: if central differences disagree, f is not
    complex-safe (it discards the imaginary part somewhere and adds it back as 0j)."""
    xr = x.astype(np.float64)
    try:
        fp, fm, sp, sm = _sweep(fn, f, xr, indices, 1e-5, lambda v, w: float(np.real(v)))
    except Exception:        # f cannot run on real input: nothing to compare with
        return
    noise = 1e3 * np.finfo(np.float64).eps * np.maximum(np.abs(fp), np.abs(fm)) / 1e-5
    d = (fp - fm) / (sp + sm)
    bad = np.abs(d) > noise
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(
            f"{fn}: every complex-step derivative is exactly 0, but central differences give "
            f"{d[k]:.6g} at x{_fmt_index(indices[k])}: f discards the imaginary part of its input "
            f"somewhere (np.real, .real, abs, a cast to float), so it is not complex-safe")


def complex_step_gradient(f: Callable[[np.ndarray], complex], x: Any, h: float = _COMPLEX_H) -> np.ndarray:
    """Gradient of an analytic scalar function by the complex step: ``Im f(x + i h e_k) / h``.

    Since ``f(x + ih) = f(x) + ih f'(x) - h**2 f''(x)/2 + ...``, the imaginary part gives ``f'``
    with error ``O(h**2)`` and no subtraction, so ``h = 1e-20`` is exact to machine precision.

    Args:
        f: called as ``f(xc)`` with a complex128 copy of ``x``; must use only analytic operations.
            A TypeError, a cast of complex to float, or a real return value raises TypeError; if
            every derivative comes out exactly 0 while central differences do not, ValueError.
        x: float array (float32 is computed in complex128); never modified.
        h: the imaginary step (> 0).
    Returns:
        float64 array shaped like ``x``.
    """
    fn = "complex_step_gradient"
    _check_f(fn, f)
    x = as_float_array(fn, "x", x, allow_complex=False)
    h = check_positive(fn, "h", h)
    return _complex_step(fn, f, x, list(np.ndindex(x.shape)), h).reshape(x.shape)


# --------------------------------------------------------------------------- step sizes

class StepSizeErrors(NamedTuple):
    """Relative errors of three derivative estimates, one entry per step ``h``."""
    h: np.ndarray
    forward: np.ndarray
    central: np.ndarray
    complex_step: np.ndarray


def step_size_errors(f: Callable, df: Callable, x0: float, hs: Any,
                     dtype: Any = np.float64) -> StepSizeErrors:
    """Errors of the forward, central and complex-step derivatives of ``f`` at ``x0`` for each h.

    Computed the textbook way in ``dtype`` (``(f(x0 + h) - f(x0)) / h`` with the nominal ``h``), so
    the round-off side of the V appears: error ~ h (forward) or h**2 (central) for large h, and
    ~ eps |f| / h for small h. Errors are relative, ``|estimate - df(x0)| / |df(x0)|`` (absolute
    when ``df(x0) == 0``). ``f`` must accept scalars of ``dtype`` and complex scalars.
    """
    fn = "step_size_errors"
    _check_f(fn, f)
    _check_f(fn, df)
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{fn}: dtype must be a float dtype (np.float64 or np.float32), got {dt}")
    hs = as_float_array(fn, "hs", hs, ndim=1, allow_complex=False)
    if not np.all(np.isfinite(hs) & (hs > 0)):
        raise ValueError(f"{fn}: hs must hold finite steps > 0, got values from {hs.min()} to {hs.max()}")
    exact = float(df(x0))
    scale = abs(exact) if exact != 0 else 1.0
    x = dt.type(x0)
    ctype = np.result_type(dt, np.complex64).type
    rows = []
    with np.errstate(all="ignore"):
        fx = f(x)
        for h in hs:
            hh = dt.type(h)
            fwd = (f(x + hh) - fx) / hh
            cen = (f(x + hh) - f(x - hh)) / (dt.type(2) * hh)
            cs = np.imag(f(ctype(complex(float(x), float(hh))))) / hh
            rows.append([abs(float(e) - exact) / scale for e in (fwd, cen, cs)])
    err = np.array(rows, dtype=np.float64).reshape(len(hs), 3)
    return StepSizeErrors(hs.astype(np.float64), err[:, 0], err[:, 1], err[:, 2])


# --------------------------------------------------------------------------- the report

@dataclass(frozen=True, eq=False)
class GradCheckReport:
    """The outcome of a gradient check. It never prints: ``str(report)`` is a one-paragraph summary,
    and ``bool(report)`` is ``report.passed``.

    Attributes:
        passed: every judged element (or direction) agrees within tolerance.
        max_rel_error: the worst relative error ``|a - n| / max(1e-8, |a| + |n|)`` among the
            failures, or else among the elements large enough for a relative error to be resolved
            (round-off floor below rtol/10 of their size). Never judged: a difference below the
            round-off floor (both values are noise) and an excused kink.
        index: where that is: the element's index in ``x`` (a tuple), or ``(k,)`` for direction k.
        analytic, numeric: the two values there.
        num_checked: elements (or directions) compared; num_failed: how many failed.
        verdict: the usual band in words ("good", "acceptable only if the function has kinks",
            "suspicious", "wrong"), followed by a note on kinks or float32 when there is one.
        kinks: indices where the step crossed a kink (ReLU, max, abs) and the analytic value matched
            the slope on one side of it: reported here, not as failures.
        unmatched_kinks: indices where a kink was crossed and the analytic value matched neither
            side. For elements these are failures. For directions they are not judged: a random
            direction can cross several kinks at once, each to a different side (at a point exactly
            on kinks, such as ReLU inputs of exactly 0), so no gradient matches either side.
        hint: for a failed check, the pattern of the mismatch when it has one ("" otherwise).
        method: "central", "complex" or "directional"; h, rtol: the step and tolerance used.
        dtype: the precision the tolerances were chosen for ("float64" or "float32").
        errors: the relative error of every checked element or direction, 0 where not judged.
    """
    passed: bool
    max_rel_error: float
    index: tuple
    analytic: float
    numeric: float
    num_checked: int
    verdict: str
    kinks: tuple = ()
    unmatched_kinks: tuple = ()
    num_failed: int = 0
    hint: str = ""
    method: str = "central"
    h: float = 1e-5
    rtol: float = 1e-5
    dtype: str = "float64"
    errors: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        directional = self.method == "directional"
        unit = ("random direction" if directional else "element") + ("s" if self.num_checked > 1 else "")
        how = {"central": "central differences", "complex": "complex-step derivatives",
               "directional": "central differences along them"}[self.method]
        where = f"direction {self.index[0]}" if directional else f"index {self.index}"
        head = "Gradient check passed" if self.passed else (
            f"Gradient check FAILED ({self.num_failed} of {self.num_checked} {unit} above "
            f"rtol={self.rtol:g})" if self.num_failed else "Gradient check FAILED")
        text = (f"{head}: {self.num_checked} {unit} compared with {how} (h={self.h:g}, {self.dtype}); "
                f"worst relative error {self.max_rel_error:.2e} at {where}, analytic "
                f"{self.analytic:.6g} vs numeric {self.numeric:.6g}. Verdict: {self.verdict}.")
        for label, found in (("Kinks crossed by the step (excused) at", self.kinks),
                             ("Kinks where the analytic value matches neither side at",
                              self.unmatched_kinks)):
            if found:
                shown = ", ".join(str(k) for k in found[:5]) + (", ..." if len(found) > 5 else "")
                text += f" {label}: {shown}."
        if self.hint:
            text += f" Hint: {self.hint}."
        return text

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.passed else "#c62828"
        return (f'<p style="border-left: 4px solid {color}; padding-left: 8px">'
                f"{html.escape(str(self))}</p>")


def _agree(a, n, floor, rtol):
    """Elementwise: |a - n| within the absolute floor or within rtol relative."""
    d = np.abs(a - n)
    return (d <= floor) | (d <= rtol * (np.abs(a) + np.abs(n)))


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
    smooth = _agree(a, n_rich, floor_rich, rtol)
    half = _agree(a, n2, np.maximum(atol, 2 * noise), rtol)
    on_p, on_m = _agree(a, side_p, floor_side, rtol), _agree(a, side_m, floor_side, rtol)
    kink = ~smooth & (half | on_p | on_m)
    jump1, jump2 = np.abs(dp1 - dm1), np.abs(dp2 - dm2)
    significant = jump1 > np.maximum(16 * noise, 1e-6 * (np.abs(dp1) + np.abs(dm1)))
    unmatched = ~smooth & ~kink & significant & (jump2 > 0.6 * jump1)
    numeric = np.where(kink, np.where(half, n2, np.where(on_p, side_p, side_m)), n_rich)
    return numeric, np.where(kink, floor_side, floor_rich), kink, unmatched


def _verdict(err, passed, n_kinks, n_open, judged, low, rtol, unit) -> str:
    if judged == 0:
        return (f"inconclusive: every {unit} crossed kinks where the analytic value matches neither "
                f"side (the point sits exactly on kinks, e.g. ReLU inputs of exactly 0); check "
                f"element by element with check_gradient, or move the point")
    words = next((w for bound, w in _BANDS if err > bound), "good")
    if not passed and err <= _BANDS[-1][0]:
        words += f", but above the requested rtol={rtol:g}"
    if n_kinks:
        words += (f"; {n_kinks} {unit}{'s' if n_kinks > 1 else ''} crossed a kink (ReLU, max, abs) "
                  f"where the analytic value matches the slope on one side: a kink, not a bug")
    if n_open:
        words += (f"; {n_open} {unit}{'s' if n_open > 1 else ''} crossed several kinks at once and "
                  f"could not be judged")
    if low:
        words += "; these bands are for float64: in float32, errors up to about 1e-2 are normal"
    return words


def _hint(a, n, fail, unmatched, transposed) -> str:
    """Name the pattern of a mismatch when it has a simple one."""
    if not fail.any():
        return ""
    if not (fail & ~unmatched).any():
        return "the step crossed a kink there, and the analytic value matches the slope on neither side"
    if transposed:
        return ("the analytic gradient is the transpose of the numerical one (a gradient has the "
                "shape of its variable: for out = X @ W + b, dW = X.T @ dout)")
    fa, fnum = a[fail & ~unmatched], n[fail & ~unmatched]
    if not fa.any():
        return "the analytic gradient is 0 where the numerical one is not: a term is missing"
    if not fnum.any():
        return ("the numerical gradient is 0 there: f does not depend on those elements (does f read "
                "the array it is given, or the one being perturbed?)")
    r = fa[fnum != 0] / fnum[fnum != 0]
    c = float(np.median(r))
    if np.ptp(r) <= 1e-3 * abs(c):
        if abs(c + 1) < 1e-3:
            return "the analytic gradient has the wrong sign (it is minus the numerical one)"
        if r.size >= 2 and abs(c - 1) >= 1e-3:
            return (f"the analytic gradient is {c:.4g} times the numerical one: a constant factor is "
                    f"off (a missing or extra 1/N of a mean, or a factor of 2 from a square)")
    return ""


def _judge(a, n, floor, rtol, indices, *, kink, unmatched, low, method, h, x_shape=None):
    """Build the report from analytic values a, numeric values n and per-element noise floors."""
    diff = np.abs(a - n)
    rel = diff / np.maximum(1e-8, np.abs(a) + np.abs(n))
    open_ = unmatched if method == "directional" else np.zeros_like(unmatched)
    fail = (rel > rtol) & (diff > floor) & ~kink & ~open_
    # the worst error is taken over failures and over values large enough for their relative error
    # to mean something (the round-off floor is under a tenth of rtol there); values barely above
    # round-off, e.g. a gradient of 1e-9 next to a loss of 1, would only report noise
    counted = fail | ((floor <= 0.1 * rtol * (np.abs(a) + np.abs(n))) & ~kink & ~open_)
    if not counted.any():
        counted = ~(((diff <= floor) & (rel > rtol)) | kink | open_)
    err = np.where(counted, rel, 0.0)
    judged = int((~open_).sum())
    passed = judged > 0 and not fail.any()
    worst = int(np.argmax(np.where(kink | open_, -1.0, err)))
    transposed = False
    if fail.any() and x_shape is not None and len(x_shape) == 2 and x_shape[0] == x_shape[1] > 1:
        transposed = bool(np.all(_agree(a.reshape(x_shape).T.ravel(), n, floor, rtol)))
    unit = "direction" if method == "directional" else "element"
    err.flags.writeable = False
    return GradCheckReport(
        passed=passed, max_rel_error=float(err[worst]), index=tuple(indices[worst]),
        analytic=float(a[worst]), numeric=float(n[worst]), num_checked=len(a),
        verdict=_verdict(float(err[worst]), passed, int(kink.sum()), int(open_.sum()), judged, low,
                         rtol, unit),
        kinks=tuple(indices[i] for i in np.flatnonzero(kink)),
        unmatched_kinks=tuple(indices[i] for i in np.flatnonzero(unmatched)),
        num_failed=int(fail.sum()), hint=_hint(a, n, fail, unmatched, transposed), method=method,
        h=h, rtol=rtol, dtype="float32" if low else "float64", errors=err)


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
    _check_f(fn, f)
    method = check_choice(fn, "method", method, {"central", "complex"})
    x = _check_x(fn, x) if method == "central" else as_float_array(fn, "x", x, allow_complex=False)
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
        low = _is_low(x.dtype) or _is_low(analytic.dtype)
        h, rtol, _ = _defaults(_COMPLEX_H if h is None else h, rtol, False, low)
        n = _complex_step(fn, f, x, indices, h)
        return _judge(a, n, np.full(len(a), atol), rtol, indices, kink=none, unmatched=none,
                      low=low, method=method, h=h, x_shape=whole)

    f0_value = f(x)
    f0 = _scalar(fn, f0_value, "at x")
    low_fd = _is_low(x.dtype) or _is_low(np.asarray(f0_value).dtype)
    if low_fd:
        _warn_float32(fn, "x is" if _is_low(x.dtype) else "f returns")
    low = low_fd or _is_low(analytic.dtype)
    h, rtol, eps = _defaults(h, rtol, low_fd, low)

    def reduce(value, where):
        return _scalar(fn, value, where)

    fp, fm, sp, sm = _sweep(fn, f, x, indices, h, reduce)
    n = (fp - fm) / (sp + sm)
    noise = _NOISE_FACTOR * eps * np.maximum(abs(f0), np.maximum(np.abs(fp), np.abs(fm))) / ((sp + sm) / 2)
    floor = np.maximum(atol, noise)
    kink, unmatched = none.copy(), none.copy()
    bad = np.flatnonzero(~_agree(a, n, floor, rtol))
    if bad.size:
        second = _sweep(fn, f, x, [indices[i] for i in bad], h / 2, reduce)
        n[bad], floor[bad], kink[bad], unmatched[bad] = _second_look(
            a[bad], f0, (fp[bad], fm[bad], sp[bad], sm[bad]), second, noise[bad], atol, rtol)
    return _judge(a, n, floor, rtol, indices, kink=kink, unmatched=unmatched, low=low,
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
        _check_x(fn, p, pname)
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
    _check_f(fn, f)
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
        up = _scalar(fn, f(params), f"at params + h*v (direction {k})")
        for p, saved, b, _, _ in views:
            np.subtract(saved, b, out=p)
        return up, _scalar(fn, f(params), f"at params - h*v (direction {k})")

    try:
        f0_value = f(params)
        f0 = _scalar(fn, f0_value, "at params")
        low_x, low_f = any(_is_low(p.dtype) for p, _ in pairs), _is_low(np.asarray(f0_value).dtype)
        if low_x or low_f:
            _warn_float32(fn, "params are" if low_x else "f returns")
        h, rtol, eps = _defaults(h, rtol, low_x or low_f, low_x or low_f)
        a, fp, fm = np.empty(num_directions), np.empty(num_directions), np.empty(num_directions)
        for k in range(num_directions):
            signs.append(np.frombuffer(rng.bytes((total + 7) // 8), np.uint8))
            fp[k], fm[k] = along(k, h)
            a[k] = sum(float(np.dot(g, part)) for _, _, _, g, part in views) / h
        n = (fp - fm) / (2 * h)
        noise = _NOISE_FACTOR * eps * np.maximum(abs(f0), np.maximum(np.abs(fp), np.abs(fm))) / h
        floor, hs = noise.copy(), np.full(num_directions, h)
        kink, unmatched = np.zeros(num_directions, bool), np.zeros(num_directions, bool)
        bad = np.flatnonzero(~_agree(a, n, floor, rtol))
        if bad.size:
            second = np.array([along(int(k), h / 2) for k in bad]).reshape(-1, 2)
            n[bad], floor[bad], kink[bad], unmatched[bad] = _second_look(
                a[bad], f0, (fp[bad], fm[bad], hs[bad], hs[bad]),
                (second[:, 0], second[:, 1], hs[bad] / 2, hs[bad] / 2), noise[bad], 0.0, rtol)
    finally:
        for p, saved, _, _, _ in views:
            np.copyto(p, saved)
    return _judge(a, n, floor, rtol, [(k,) for k in range(num_directions)], kink=kink,
                  unmatched=unmatched, low=low_x or low_f, method="directional", h=h)
