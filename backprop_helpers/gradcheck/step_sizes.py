"""Step sizes: how the error of a numerical derivative depends on the step h.

``step_size_errors`` measures, for a scalar function at one point and a range of steps, the relative
error of the forward difference, the central difference and the complex step. Plotted on log-log
axes (``plots.plot_step_size_errors``), the errors trace the V-shaped curve explained under
"Choosing h" in ``backprop_helpers.gradcheck``: truncation error shrinks with h (slope 1 forward,
2 central), round-off error ``eps * |f| / h`` rises as h shrinks, and the complex step, which has no
subtraction, falls to machine precision and stays there.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from ..validation import as_float_array
from .numerical import validate_function

__all__ = ["StepSizeErrors", "step_size_errors"]


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
    validate_function(fn, f)
    validate_function(fn, df)
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

