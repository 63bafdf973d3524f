"""Benchmark 3: accuracy of finite differences against the step size h.

For ``f(x) = exp(x) sin(x)`` at ``x0 = 0.7`` (``f'(x) = exp(x) (sin x + cos x)`` exactly), the relative
error of the forward difference ``(f(x+h) - f(x)) / h``, the central difference
``(f(x+h) - f(x-h)) / 2h`` and the complex step ``Im f(x + ih) / h``, for ``h = 1e-1 ... 1e-12`` and
``h = 1e-20``, in float64 and float32: the V-shaped curves a lesson plots (truncation error on the
right, round-off on the left), with the best h of each method.

The errors are computed by ``backprop_helpers.gradcheck.step_size_errors``.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["HS", "X0", "run"]

X0 = 0.7
HS = [10.0 ** -k for k in range(1, 13)] + [1e-20]


def f(x):
    return np.exp(x) * np.sin(x)


def df(x):
    return math.exp(x) * (math.sin(x) + math.cos(x))


def _errors(dtype):
    from backprop_helpers.gradcheck import step_size_errors
    r = step_size_errors(f, df, X0, np.array(HS), dtype=dtype)
    return ({"forward": list(map(float, r.forward)), "central": list(map(float, r.central)),
             "complex_step": list(map(float, r.complex_step))},
            "backprop_helpers.gradcheck.step_size_errors")


def _best(hs, errs):
    k = int(np.argmin(errs))
    return {"h": hs[k], "error": errs[k]}


def run(settings=None) -> dict:
    """Errors per dtype and method, and the best h of each. ``settings`` is unused (no timing)."""
    result = {"function": "f(x) = exp(x) * sin(x)", "x0": X0, "exact_derivative": df(X0), "h": HS,
              "dtypes": {}}
    decades = HS[:-1]
    for dtype in (np.float64, np.float32):
        errs, source = _errors(dtype)
        name = np.dtype(dtype).name
        result["source"] = source
        result["dtypes"][name] = {
            "errors": errs,
            "best": {"forward": _best(decades, errs["forward"][:-1]),
                     "central": _best(decades, errs["central"][:-1]),
                     "complex_step": {"h": HS[-1], "error": errs["complex_step"][-1]}},
            "eps": float(np.finfo(dtype).eps),
        }
    return result
