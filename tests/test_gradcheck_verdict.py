"""Tests of backprop_helpers.gradcheck.verdict: the report of a gradient check, its verdict in words
(the usual float64 bands), the hint that names the pattern of a bug, its text and HTML."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_helpers.gradcheck import DEFAULT_H, GradCheckReport, check_gradient
from backprop_helpers.gradcheck.verdict import agree, judge


def judged(a, n, *, floor=0.0, rtol=1e-5, kink=(), unmatched=(), low=False, method="central"):
    """judge() on 1-D analytic and numeric values, with kinks and unmatched kinks given as indices."""
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    flags = [np.isin(np.arange(a.size), list(k)) for k in (kink, unmatched)]
    return judge(a, n, np.full(a.size, floor), rtol, [(i,) for i in range(a.size)], kink=flags[0],
                 unmatched=flags[1], low=low, method=method, h=1e-5)


# --------------------------------------------------------------------------- reports of check_gradient

def test_check_gradient_report_fields_and_text(rng, capsys):
    x = rng.standard_normal((2, 3))
    report = check_gradient(lambda z: np.sum(z**2), x, 2 * x)
    assert isinstance(report, GradCheckReport) and report
    assert report.method == "central" and report.h == DEFAULT_H["float64"] and report.dtype == "float64"
    assert report.index in [(i, j) for i in range(2) for j in range(3)]
    assert report.analytic == pytest.approx(2 * x[report.index])
    assert report.errors.shape == (6,) and not report.errors.flags.writeable
    text = str(report)
    assert "\n" not in text and text.startswith("Gradient check passed: 6 elements")
    assert "Verdict: good" in text
    assert "<p" in report._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.passed = False
    bad = check_gradient(lambda z: np.sum(z**2), x, x)
    assert str(bad).startswith("Gradient check FAILED (6 of 6 elements above rtol=1e-05)")
    assert "&lt;" not in bad._repr_html_() and "FAILED" in bad._repr_html_()
    assert capsys.readouterr().out == ""                  # a report never prints


@pytest.mark.parametrize("rel, band", [
    (0.0, "good"), (5e-9, "good"), (1e-6, "acceptable only if the function has kinks"),
    (1e-3, "suspicious"), (0.1, "wrong"),
])
def test_verdict_bands(rel, band):
    # f is linear, so central differences are exact up to round-off; the analytic value is skewed
    # so that |a - n| / (|a| + |n|) = rel exactly
    c = np.array([0.75, -1.25, 2.0])
    x = np.array([0.5, 0.25, -1.0])
    skew = (1 + rel) / (1 - rel)
    report = check_gradient(lambda z: float(c @ z), x, c * skew, rtol=0.5)
    assert report.max_rel_error == pytest.approx(rel, rel=1e-6, abs=1e-10)
    assert report.verdict.startswith(band)
    assert report.passed


def test_verdict_says_when_a_good_error_is_above_a_strict_rtol():
    c, x = np.array([1.0, 2.0]), np.array([0.5, 0.5])
    report = check_gradient(lambda z: float(c @ z), x, c * (1 + 1e-8), rtol=1e-10)
    assert not report.passed
    assert report.verdict == "good, but above the requested rtol=1e-10"


# --------------------------------------------------------------------------- hints

def test_check_gradient_names_the_pattern_of_a_bug(rng):
    x = rng.standard_normal((3, 4))
    f = lambda z: np.sum(np.sin(z))                        # noqa: E731
    assert "wrong sign" in check_gradient(f, x, -np.cos(x)).hint
    assert "2 times the numerical one" in check_gradient(f, x, 2 * np.cos(x)).hint
    assert "is 0 where the numerical one is not" in check_gradient(f, x, np.zeros_like(x)).hint


def test_a_function_that_reads_a_copy_of_x_is_named(rng):
    x = rng.standard_normal(4)
    frozen = x.copy()
    report = check_gradient(lambda _: float(np.sum(frozen**2)), x, 2 * x)
    assert not report.passed and "f does not depend on those elements" in report.hint


def test_check_gradient_flags_a_transposed_gradient(rng):
    X, dout, W = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), rng.standard_normal((3, 3))
    f = lambda w: np.sum((X @ w) * dout)                    # noqa: E731
    dW = X.T @ dout
    assert check_gradient(f, W, dW).passed
    report = check_gradient(f, W, dW.T)
    assert not report.passed
    assert "transpose" in report.hint


# --------------------------------------------------------------------------- judge and agree

def test_agree_within_the_round_off_floor_or_within_rtol():
    a = np.array([1.0, 1.0, 1e-9, 1e-9])
    n = np.array([1.0 + 1e-7, 1.1, 3e-9, 3e-9])
    floor = np.array([0.0, 0.0, 1e-8, 0.0])
    np.testing.assert_array_equal(agree(a, n, floor, rtol=1e-5), [True, False, True, False])


def test_judge_names_the_worst_element_and_counts_failures():
    report = judged([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 3.0, 4.0 * (1 + 1e-3)])
    assert isinstance(report, GradCheckReport) and not report and not report.passed
    assert report.num_checked == 4 and report.num_failed == 2
    assert report.index == (1,) and report.analytic == 2.0 and report.numeric == 2.5
    assert report.max_rel_error == pytest.approx(0.5 / 4.5)
    assert report.verdict == "wrong" and report.method == "central" and report.dtype == "float64"
    assert judged([1.0, 2.0], [1.0, 2.0]).verdict == "good"


def test_judge_excuses_a_kink_and_says_so():
    report = judged([1.0, 2.0, 3.0], [1.0, 1.0, 3.0], kink=[1])
    assert report.passed and report.kinks == ((1,),) and report.num_failed == 0
    assert report.verdict == ("good; 1 element crossed a kink (ReLU, max, abs) where the analytic value "
                              "matches the slope on one side: a kink, not a bug")
    assert "Kinks crossed by the step (excused) at: (1,)." in str(report)


def test_judge_of_directions_all_crossing_kinks_is_inconclusive():
    report = judged([1.0, 2.0], [0.0, 5.0], unmatched=[0, 1], method="directional")
    assert not report.passed and report.num_failed == 0
    assert report.verdict.startswith("inconclusive: every direction crossed kinks")
    report = judged([1.0, 2.0, 3.0], [1.0, 5.0, 3.0], unmatched=[1], method="directional")
    assert report.passed and "1 direction crossed several kinks at once" in report.verdict


def test_report_text_counts_units_and_shortens_long_kink_lists():
    one = judged([1.0], [1.0], method="directional")
    assert str(one).startswith("Gradient check passed: 1 random direction compared with central "
                               "differences along them (h=1e-05, float64)")
    assert "at direction 0" in str(one)
    many = judged(np.ones(7), np.ones(7) * 2, kink=range(7))
    assert many.passed and "at: (0,), (1,), (2,), (3,), (4,), ...." in str(many)


def test_low_precision_reports_say_the_bands_are_for_float64():
    report = judged([1.0, 2.0], [1.0, 2.0 * (1 + 1e-4)], rtol=1e-2, low=True)
    assert report.passed and report.dtype == "float32"
    assert report.verdict.endswith("these bands are for float64: in float32, errors up to about 1e-2 "
                                   "are normal")


def test_errors_are_read_only_and_the_report_is_frozen():
    report = judged([1.0, 2.0], [1.0, 2.0])
    assert not report.errors.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.verdict = "good"
