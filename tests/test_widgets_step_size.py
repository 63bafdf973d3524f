"""Step-size explorer (lesson 03): the model against step_size_errors, the view driven."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.gradcheck import step_size_errors  # noqa: E402
from backprop_helpers.widgets import StepSizeExplorer, step_size_explorer  # noqa: E402
from backprop_helpers.widgets.step_size import (CURVE_H, ERROR_FLOOR, FUNCTIONS,  # noqa: E402
                                                best_h_measured, best_h_theory, error_curves,
                                                errors_at, explain_best_h)


# ---------------------------------------------------------------------------------------- model

@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_function_has_its_derivative(name):
    f, df = FUNCTIONS[name]
    x, h = 0.8, 1e-6
    assert df(x) == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-8)
    assert np.imag(f(complex(x, 1e-20))) / 1e-20 == pytest.approx(df(x), rel=1e-14)   # analytic


def test_error_curves_are_step_size_errors():
    got = error_curves("sin(x)", "float64", 1.0)
    want = step_size_errors(np.sin, np.cos, 1.0, CURVE_H)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert got.h.shape == (61,) and got.h[0] == pytest.approx(1e-16) and got.h[-1] == pytest.approx(1e-1)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(FUNCTIONS)), st.integers(0, 60), st.sampled_from(["float64", "float32"]))
def test_errors_at_one_h_match_the_curve(name, i, dtype):
    curves = error_curves(name, dtype)
    at = errors_at(name, float(CURVE_H[i]), dtype)
    for m in ("forward", "central", "complex_step"):
        assert at[m] == getattr(curves, m)[i]


def test_the_best_steps_follow_the_theory_in_float64():
    theory = best_h_theory("float64")
    assert theory["forward"] == pytest.approx(np.finfo(np.float64).eps ** 0.5)
    assert theory["central"] == pytest.approx(6.06e-6, rel=1e-2)
    best = best_h_measured(error_curves("exp(x) sin(x)", "float64"))
    # within a factor of 30 of the theory (the constants |f|, |f''|, |f'''| shift the balance)
    assert 1 / 30 < best["forward"][0] / theory["forward"] < 30
    assert 1 / 30 < best["central"][0] / theory["central"] < 30
    assert best["central"][1] < 1e-10 < best["forward"][1] < 1e-7
    assert best["complex_step"][1] < 1e-15


def test_float32_is_a_million_times_worse():
    b64 = best_h_measured(error_curves("sin(x)", "float64"))
    b32 = best_h_measured(error_curves("sin(x)", np.float32))
    assert b32["central"][1] > 1e4 * b64["central"][1]
    assert b32["central"][0] > 1e-4 and best_h_theory("float32")["central"] == pytest.approx(4.9e-3, rel=1e-2)
    # below about 1e-8 the step is lost in float32: x0 + h == x0, the estimate 0, the error 1
    assert errors_at("sin(x)", 1e-9, "float32")["forward"] == pytest.approx(1.0)


def test_best_h_measured_takes_the_largest_h_among_ties():
    from backprop_helpers.gradcheck import StepSizeErrors

    errs = StepSizeErrors(np.array([1e-3, 1e-2, 1e-1]), np.array([0.1, 0.01, 0.5]),
                          np.array([0.0, 0.0, 0.2]), np.array([0.0, 0.0, 0.0]))
    best = best_h_measured(errs)
    assert best == {"forward": (1e-2, 0.01), "central": (1e-2, 0.0), "complex_step": (1e-1, 0.0)}


def test_explanation_names_both_rules_and_the_complex_step():
    text = explain_best_h("float32")
    assert "eps = 1.2e-07" in text and "eps^(1/2) = 3.5e-04" in text and "eps^(1/3) = 4.9e-03" in text
    assert "Complex step" in text
    assert "eps = 2.2e-16" in explain_best_h(np.float64)


@pytest.mark.parametrize("call, error, message", [
    (lambda: error_curves("cos(x)"), ValueError,
     r"error_curves: function must be one of \['sin\(x\)', 'exp\(x\) sin\(x\)', 'x\*\*3', 'tanh\(x\)'\], "
     r"got str 'cos\(x\)'"),
    (lambda: error_curves("sin(x)", "float16"), ValueError,
     r"error_curves: dtype must be one of \['float32', 'float64'\], got 'float16'"),
    (lambda: errors_at("sin(x)", 0.0), ValueError, r"errors_at: h must be a finite step > 0, got float 0.0"),
    (lambda: errors_at("sin(x)", 1e-3, x0=float("inf")), TypeError,
     r"errors_at: x0 must be a finite number, got float inf"),
    (lambda: step_size_explorer(h=1.0), ValueError,
     r"step_size_explorer: h must be a number in \[1e-16, 1e-1\] \(the slider's range\), got float 1.0"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------- view

@pytest.fixture(scope="module")
def explorer():
    return step_size_explorer()


def test_factory_builds_the_controls(explorer):
    assert isinstance(explorer, StepSizeExplorer) and explorer.message_text == ""
    assert (explorer.h.min, explorer.h.max, explorer.h.base) == (-16, -1, 10)
    assert explorer.dtype.options == ("float64", "float32")
    assert list(explorer.function.options) == list(FUNCTIONS)
    assert "eps^(1/3)" in explorer.explanation.value


def test_moving_h_moves_the_marks_and_changes_the_image(explorer):
    explorer.h.value = 1e-5
    image, renders = explorer.view.image_array(), explorer.view.render_count
    explorer.h.value = 1e-10
    assert explorer.view.render_count == renders + 1
    assert not np.array_equal(image, explorer.view.image_array())
    assert list(explorer.h_line.get_xdata()) == [1e-10, 1e-10]
    expected = errors_at("exp(x) sin(x)", 1e-10, "float64", 1.0)
    assert explorer.current_errors == expected
    for m, marker in explorer.markers.items():
        assert marker.get_ydata()[0] == max(expected[m], ERROR_FLOOR)
    assert "round-off side" in explorer.readout.value and "h = 1.0e-10" in explorer.readout.value


def test_switching_precision_redraws_the_curves(explorer):
    explorer.dtype.value = "float32"
    np.testing.assert_array_equal(explorer.curves["central"].get_ydata(),
                                  np.maximum(error_curves("exp(x) sin(x)", "float32").central, ERROR_FLOOR))
    assert explorer.theory["central"].get_xdata()[0] == pytest.approx(best_h_theory("float32")["central"])
    assert "float32" in explorer.title.get_text()
    explorer.function.value = "x**3"
    assert "x**3" in explorer.title.get_text() and explorer.message_text == ""
    explorer.dtype.value, explorer.function.value = "float64", "exp(x) sin(x)"


def test_zero_errors_are_drawn_at_the_floor_and_said_in_words(explorer):
    explorer.function.value = "x**3"                    # the complex step of x**3 is exact
    explorer.h.value = 1e-12
    assert explorer.current_errors["complex_step"] == 0.0
    assert explorer.markers["complex_step"].get_ydata()[0] == ERROR_FLOOR
    assert "0 (exact)" in explorer.readout.value
    explorer.function.value = "exp(x) sin(x)"


def test_a_failure_shows_a_message_and_the_widget_recovers():
    ex = step_size_explorer()
    ex.x0 = float("nan")                                # broken on purpose
    ex.h.value = 1e-3
    assert ex.message_text == "TypeError: errors_at: x0 must be a finite number, got float nan"
    ex.x0 = 1.0
    ex.h.value = 1e-4
    assert ex.message_text == ""
