"""Loss explorer (lesson 02): the model against the course's losses, the view driven."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.losses import binary_cross_entropy, mse_loss, softmax_cross_entropy  # noqa: E402
from backprop_helpers.widgets import LossExplorer, loss_explorer  # noqa: E402
from backprop_helpers.widgets.loss_curve import LOSS_KINDS, loss_curve, loss_point, tangent_line  # noqa: E402


# ---------------------------------------------------------------------------------------- model

def test_loss_point_values_by_hand():
    p = loss_point("mse", 1.5, target=0.5)
    assert (p.loss, p.gradient) == pytest.approx((1.0, 2.0))
    p = loss_point("cross_entropy", 0.0, other_scores=(0.0, 0.0))        # three equal scores
    assert p.loss == pytest.approx(np.log(3)) and p.gradient == pytest.approx(1 / 3 - 1)
    np.testing.assert_allclose(p.probabilities, [1 / 3] * 3)
    p = loss_point("binary_cross_entropy", 0.25, target=1)
    assert p.loss == pytest.approx(-np.log(0.25))
    assert p.gradient == pytest.approx((0.25 - 1) / (0.25 * 0.75))


@settings(max_examples=40, deadline=None)
@given(st.floats(-3, 3), st.floats(-2, 2))
def test_mse_point_is_the_course_loss_and_lies_on_the_curve(x, y):
    p = loss_point("mse", x, y)
    loss, grad = mse_loss(np.array([[x]]), np.array([[y]]))
    assert (p.loss, p.gradient) == (loss, grad[0, 0])
    assert loss_curve("mse", np.array([x]), y)[0] == pytest.approx(p.loss, rel=1e-12, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.floats(-6, 6), st.floats(-3, 3), st.floats(-3, 3))
def test_cross_entropy_point_is_the_course_loss_and_lies_on_the_curve(s, s1, s2):
    p = loss_point("cross_entropy", s, other_scores=(s1, s2))
    loss, grad = softmax_cross_entropy(np.array([[s, s1, s2]]), np.array([0]))
    assert (p.loss, p.gradient) == (loss, grad[0, 0])
    assert p.gradient == pytest.approx(p.probabilities[0] - 1)
    curve = loss_curve("cross_entropy", np.array([s]), other_scores=(s1, s2))
    assert curve[0] == pytest.approx(p.loss, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.001, 0.999), st.sampled_from([0, 1]))
def test_binary_cross_entropy_point_is_the_course_loss_and_lies_on_the_curve(prob, y):
    p = loss_point("binary_cross_entropy", prob, y)
    loss, grad = binary_cross_entropy(np.array([[prob]]), np.array([[float(y)]]))
    assert (p.loss, p.gradient) == (loss, grad[0, 0])
    assert loss_curve("binary_cross_entropy", np.array([prob]), y)[0] == pytest.approx(p.loss, rel=1e-9)


@pytest.mark.parametrize("kind, x, target", [("mse", 0.7, -0.3), ("cross_entropy", -1.2, 0.0),
                                             ("binary_cross_entropy", 0.3, 1.0),
                                             ("binary_cross_entropy", 0.8, 0.0)])
def test_the_gradient_is_the_slope_of_the_curve(kind, x, target):
    h = 1e-6
    ends = loss_curve(kind, np.array([x - h, x + h]), target)
    assert loss_point(kind, x, target).gradient == pytest.approx((ends[1] - ends[0]) / (2 * h), rel=1e-6)


def test_curves_are_finite_over_the_slider_ranges():
    for kind, (_, (lo, hi), _) in LOSS_KINDS.items():
        for target in (0.0, 1.0):
            values = loss_curve(kind, np.linspace(lo, hi, 301), target)
            assert np.all(np.isfinite(values)) and values.min() >= 0


def test_tangent_line_passes_through_the_point_with_the_slope():
    xs, ys = tangent_line(2.0, 1.0, -3.0, 0.5)
    np.testing.assert_allclose(xs, [1.5, 2.5])
    np.testing.assert_allclose(ys, [2.5, -0.5])


@pytest.mark.parametrize("call, error, message", [
    (lambda: loss_point("hinge", 0.0), ValueError,
     r"loss_point: kind must be one of \['binary_cross_entropy', 'cross_entropy', 'mse'\], got 'hinge'"),
    (lambda: loss_point("binary_cross_entropy", 1.0, 1), ValueError,
     r"loss_point: x must be a probability strictly between 0 and 1 for the binary cross-entropy, got 1"),
    (lambda: loss_point("binary_cross_entropy", 0.5, 0.5), ValueError,
     r"loss_point: target must be the label 0 or 1 for the binary cross-entropy, got 0.5"),
    (lambda: loss_point("mse", "1"), TypeError, r"loss_point: x must be a finite number, got str '1'"),
    (lambda: loss_point("cross_entropy", 0.0, other_scores=(1.0,)), ValueError,
     r"loss_point: other_scores must be two finite scores \(classes 1 and 2\), got \[1.\]"),
    (lambda: loss_curve("binary_cross_entropy", np.array([0.0, 0.5])), ValueError,
     r"loss_curve: xs must be probabilities strictly between 0 and 1 for the binary cross-entropy, "
     r"got values from 0 to 0.5"),
    (lambda: loss_explorer(prediction=5), ValueError,
     r"loss_explorer: prediction must be in \[-3, 3\] \(the slider's range\), got 5"),
    (lambda: loss_explorer(label=2), ValueError, r"loss_explorer: label must be 0 or 1, got 2"),
    (lambda: loss_explorer("cross_entropy", other_scores=(np.inf, 0)), ValueError,
     r"loss_explorer: other_scores must be two finite scores"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------- view

def _shown(control):
    return control.layout.display != "none"


def test_mse_view_moves_the_point_and_tangent():
    ex = loss_explorer()
    assert isinstance(ex, LossExplorer) and ex.message_text == ""
    assert _shown(ex.prediction) and _shown(ex.target) and not _shown(ex.score)
    image, renders = ex.view.image_array(), ex.view.render_count
    ex.prediction.value = -1.0
    assert ex.view.render_count == renders + 1
    assert not np.array_equal(image, ex.view.image_array())
    assert ex.point[:2] == loss_point("mse", -1.0, 0.0)[:2]
    np.testing.assert_allclose(ex.marker.get_data(), [[-1.0], [1.0]])
    tx, ty = ex.tangent.get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(-2.0)
    assert "1.0000" in ex.readout.value and "-2.0000" in ex.readout.value


def test_moving_the_target_shifts_the_curve():
    ex = loss_explorer(prediction=1.0, target=0.0)
    ex.target.value = 1.0
    xs, ys = ex.curve.get_data()
    assert ys[np.argmin(np.abs(xs - 1.0))] == pytest.approx(0.0, abs=1e-3)
    assert ex.point.loss == 0.0 and ex.point.gradient == 0.0
    assert list(ex.target_line.get_xdata()) == [1.0, 1.0]


def test_switching_to_cross_entropy_and_binary_cross_entropy():
    ex = loss_explorer()
    ex.kind.value = "cross_entropy"
    assert _shown(ex.score) and not _shown(ex.prediction) and not ex.target_line.get_visible()
    assert ex.ax.get_xlim() == (-6.0, 6.0)
    ex.score.value = 2.0
    assert ex.point.gradient == pytest.approx(ex.point.probabilities[0] - 1)
    assert "softmax" in ex.readout.value
    ex.kind.value = "binary_cross_entropy"
    assert _shown(ex.probability) and _shown(ex.label)
    before = ex.point
    ex.label.value = 0
    assert ex.point.gradient > 0 > before.gradient      # p = 0.3 is too high for y = 0, too low for 1
    ex.probability.value = 0.001
    assert np.isfinite(ex.point.loss) and ex.message_text == ""


def test_a_failure_shows_a_message_and_the_widget_recovers():
    ex = loss_explorer("cross_entropy")
    ex.other_scores = np.array([1.0])                    # broken on purpose
    ex.score.value = 1.0
    assert ex.message_text.startswith("ValueError: loss_point: other_scores must be two finite scores")
    ex.other_scores = np.array([0.0, 0.0])
    ex.score.value = 0.0
    assert ex.message_text == "" and ex.point.loss == pytest.approx(np.log(3))
