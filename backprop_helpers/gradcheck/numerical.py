"""Numerical derivatives: finite differences and the complex step, and how to choose the step h.

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
``eps**(2/3)`` = 2e-5 and 1e-3 or worse is common. ``step_sizes.step_size_errors`` measures this
V-shaped curve.
The complex step ``Im f(x + i h) / h`` has no subtraction, hence no cancellation: ``h`` can be 1e-20
and the result is exact to machine precision, but only for analytic ``f`` (no ReLU, max, abs, or
anything that drops the imaginary part).

The checks built on these derivatives, and their reports, are in ``backprop_helpers.gradcheck``.
"""
from __future__ import annotations

import inspect
import math
import numbers
import warnings
from typing import Any, Callable

import numpy as np

from ..validation import as_float_array, check_positive, describe

__all__ = [
    "Float32Warning", "rel_error", "numerical_gradient", "numerical_vjp", "complex_step_gradient",
    "DEFAULT_H",
]

#: default step h for finite differences, by precision (about eps**(1/3)); see "Choosing h"
DEFAULT_H = {"float64": 1e-5, "float32": 5e-3}
COMPLEX_H = 1e-20


class Float32Warning(UserWarning):
    """Finite differences taken in single (or half) precision, where round-off swamps them."""


# --------------------------------------------------------------------------- small helpers

def is_low_precision(dtype: Any) -> bool:
    """True for float32/float16 (and complex64): precisions too coarse for finite differences."""
    dt = np.dtype(dtype)
    return dt.kind in "fc" and np.finfo(dt).eps > 1e-10


def warn_float32(fn: str, what: str) -> None:
    warnings.warn(
        f"{fn}: {what} float32, whose machine epsilon is 1.2e-07, so the difference f(x+h) - f(x-h) "
        f"loses most of its digits to round-off (error about eps*|f|/h): even a correct gradient "
        f"shows relative errors of 1e-3 or worse. Check gradients in float64 (x.astype(np.float64)).",
        Float32Warning, stacklevel=3)


def _fmt_index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]"


def validate_function(fn: str, f: Any) -> None:
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


def validate_point(fn: str, x: Any, name: str = "x") -> np.ndarray:
    """x must be a writable float ndarray, because it is perturbed in place."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy array of floats (it is perturbed in place), "
                        f"got {describe(x)}")
    as_float_array(fn, name, x, allow_complex=False)
    if not x.flags.writeable:
        raise ValueError(f"{fn}: {name} is read-only, but it is perturbed in place; "
                         f"pass a writable copy ({name}.copy())")
    return x


def as_scalar(fn: str, value: Any, where: str) -> float:
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


def sweep(fn: str, f: Callable, x: np.ndarray, indices: list, h: float,
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
    validate_function(fn, f)
    validate_point(fn, x)
    h = check_positive(fn, "h", h)
    if is_low_precision(x.dtype):
        warn_float32(fn, "x is")
    indices = list(np.ndindex(x.shape))
    fp, fm, sp, sm = sweep(fn, f, x, indices, h, lambda v, where: as_scalar(fn, v, where))
    return ((fp - fm) / (sp + sm)).reshape(x.shape).astype(x.dtype)


def numerical_vjp(f: Callable[[np.ndarray], Any], x: np.ndarray, dout: Any, h: float = 1e-5) -> np.ndarray:
    """Vector-Jacobian product by central differences: the gradient of ``sum(f(x) * dout)``.

    For an array-valued ``f`` (a layer's forward pass) and an upstream gradient ``dout`` shaped like
    ``f(x)``, returns ``dx[i] = sum_j dout[j] * (f(x + h e_i)[j] - f(x - h e_i)[j]) / 2h``,
    which is what ``*_backward(dout, cache)`` must return. Same conventions as
    ``numerical_gradient``: ``f(x)`` with ``x`` perturbed in place and restored exactly.
    """
    fn = "numerical_vjp"
    validate_function(fn, f)
    validate_point(fn, x)
    dout = as_float_array(fn, "dout", dout, allow_complex=False, allow_empty=True)
    h = check_positive(fn, "h", h)
    if is_low_precision(x.dtype):
        warn_float32(fn, "x is")

    def reduce(value: Any, where: str) -> float:
        out = np.asarray(value)
        if out.dtype.kind not in "iuf":
            raise TypeError(f"{fn}: f must return a real array shaped like dout, got {describe(value)}")
        if out.shape != dout.shape:
            raise ValueError(f"{fn}: f returned shape {out.shape} but dout has shape {dout.shape}; "
                             f"dout must have the shape of f's output")
        return as_scalar(fn, np.sum(out * dout, dtype=np.float64), where)

    fp, fm, sp, sm = sweep(fn, f, x, list(np.ndindex(x.shape)), h, reduce)
    return ((fp - fm) / (sp + sm)).reshape(x.shape).astype(x.dtype)


def complex_step_sweep(fn: str, f: Callable, x: np.ndarray, indices: list, h: float) -> np.ndarray:
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
        fp, fm, sp, sm = sweep(fn, f, xr, indices, 1e-5, lambda v, w: float(np.real(v)))
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


def complex_step_gradient(f: Callable[[np.ndarray], complex], x: Any, h: float = COMPLEX_H) -> np.ndarray:
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
    validate_function(fn, f)
    x = as_float_array(fn, "x", x, allow_complex=False)
    h = check_positive(fn, "h", h)
    return complex_step_sweep(fn, f, x, list(np.ndindex(x.shape)), h).reshape(x.shape)
