"""The report of a gradient check: the worst error and where, a verdict in words, kinks and hints.

``GradCheckReport`` is what ``gradcheck.check_gradient``, ``gradcheck.check_gradient_directional`` and
``modelcheck.check_model_gradient`` return; ``judge`` builds it from the analytic values, the numeric
ones and a round-off floor per element, and reads the worst relative error with the usual float64 bands
(described in ``backprop_helpers.gradcheck``).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

__all__ = ["GradCheckReport"]

_BANDS = ((1e-2, "wrong"), (1e-4, "suspicious"), (1e-7, "acceptable only if the function has kinks"))


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


def agree(a, n, floor, rtol):
    """Elementwise: |a - n| within the absolute floor or within rtol relative."""
    d = np.abs(a - n)
    return (d <= floor) | (d <= rtol * (np.abs(a) + np.abs(n)))



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


def judge(a, n, floor, rtol, indices, *, kink, unmatched, low, method, h, x_shape=None):
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
        transposed = bool(np.all(agree(a.reshape(x_shape).T.ravel(), n, floor, rtol)))
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
