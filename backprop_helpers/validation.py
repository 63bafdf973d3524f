"""Input validation shared by every public function.

Every message names the function, the argument, what was expected and what came, e.g.
``linear_forward: X has 3 features but W expects 4 (X.shape=(5, 3), W.shape=(4, 2))``.
Validation runs once at the public boundary; the private kernels that the network and the
training loop call in their hot path trust their inputs.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_float_array",
    "as_label_array",
    "check_finite",
    "check_positive",
    "check_positive_int",
    "check_choice",
    "check_same_dtype",
    "describe",
]


def describe(x: Any) -> str:
    """A short description of a value for an error message: its type, dtype and shape."""
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype} and shape {x.shape}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, (numbers.Number, str, type(None))):
        return f"{type(x).__name__} {x!r}"
    return f"an object of type {type(x).__name__}"


def as_float_array(fn: str, name: str, x: Any, *, ndim: int | tuple[int, ...] | None = None,
                   allow_complex: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a floating-point (or complex) ndarray, or raise a clear error.

    Lists of floats are accepted and converted; integer, boolean, object and string arrays are
    refused, because a gradient of an integer array is meaningless and silently truncated results
    are the worst kind of bug.
    """
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple, numbers.Number)):
            try:
                x = np.asarray(x)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{fn}: {name} could not be turned into an array ({exc})") from None
        else:
            raise TypeError(f"{fn}: {name} must be a numpy array of floats, got {describe(x)}")
    kind = x.dtype.kind
    if kind not in "fc" or (kind == "c" and not allow_complex):
        hint = f"; convert it with {name}.astype(float)" if kind in "iub" else ""
        raise TypeError(
            f"{fn}: {name} must hold floating-point numbers (float32 or float64), "
            f"got dtype {x.dtype}{hint}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{fn}: {name} must be {want}, got a {x.ndim}-D array of shape {x.shape}")
    if not allow_empty and x.size == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {x.shape}); it needs at least one example")
    return x


def check_finite(fn: str, name: str, x: np.ndarray) -> None:
    """Raise ValueError if ``x`` holds NaN or infinity, saying where the first one is."""
    finite = np.isfinite(x)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        where = bad if len(bad) > 1 else bad[0]
        raise ValueError(
            f"{fn}: {name} must hold only finite numbers, but {name}[{where}] = {x[bad]} "
            f"({int((~finite).sum())} non-finite values in all)")


def as_label_array(fn: str, name: str, y: Any, num_classes: int | None = None,
                   n: int | None = None) -> np.ndarray:
    """Return integer class labels of shape (N,), or raise a clear error."""
    if not isinstance(y, np.ndarray):
        if isinstance(y, (list, tuple)):
            y = np.asarray(y)
        else:
            raise TypeError(f"{fn}: {name} must be an array of integer class labels, got {describe(y)}")
    if y.ndim == 2 and num_classes is not None and y.shape[1] == num_classes and y.shape[1] > 1:
        raise ValueError(
            f"{fn}: {name} must hold class indices of shape (N,), got a 2-D array of shape {y.shape}; "
            f"if it is one-hot, pass {name}.argmax(axis=1)")
    if y.ndim != 1:
        raise ValueError(f"{fn}: {name} must be a 1-D array of class indices of shape (N,), got shape {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and y.size and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            hint = f"; they look like whole numbers, so pass {name}.astype(int)"
        else:
            hint = ""
        raise TypeError(f"{fn}: {name} must hold integer class indices, got dtype {y.dtype}{hint}")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{fn}: {name} has {y.shape[0]} labels but there are {n} examples "
                         f"({name}.shape={y.shape})")
    if num_classes is not None and y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{fn}: {name} must hold class indices in 0..{num_classes - 1} "
                f"(there are {num_classes} classes), got {bad}")
    return y


def check_positive(fn: str, name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number > 0 (or >= 0), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number, got {describe(value)}")
    v = float(value)
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        want = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{fn}: {name} must be {want}, got {value!r}")
    return v


def check_positive_int(fn: str, name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an integer, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(fn: str, name: str, value: Any, choices: Any) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise listing them."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(f"{fn}: {name} must be one of {options}, got {describe(value)}")
    key = value.lower()
    if key not in choices:
        raise ValueError(f"{fn}: {name} must be one of {options}, got {value!r}")
    return key


def check_same_dtype(fn: str, **arrays: np.ndarray) -> None:
    """Raise TypeError if the arrays do not share one dtype (mixing float32 and float64)."""
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listing = ", ".join(f"{name} is {dt}" for name, dt in dtypes.items())
        raise TypeError(f"{fn}: all arrays must share one dtype, but {listing}; "
                        f"convert them with .astype(np.float64)")
