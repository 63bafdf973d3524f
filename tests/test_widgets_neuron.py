"""Neuron explorer (lesson 01): the model as functions, the view driven like a learner would."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.widgets import NeuronExplorer, neuron_explorer  # noqa: E402
from backprop_helpers.widgets.neuron import (NEURON_ACTIVATIONS, decision_line, line_accuracy,  # noqa: E402
                                             neuron_output)

weights = st.floats(-3, 3, allow_nan=False)
bias = st.floats(-6, 6, allow_nan=False)


# ---------------------------------------------------------------------------------------- model

def test_neuron_output_values():
    X = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 0.5]])
    z = np.array([1.0 * 0.5 - 2.0 + 1.0, 1.0, -0.5 - 0.5 + 1.0])   # w = (0.5, -1), b = 1
    np.testing.assert_allclose(neuron_output(X, 0.5, -1.0, 1.0, "linear"), z)
    np.testing.assert_allclose(neuron_output(X, 0.5, -1.0, 1.0, "sigmoid"), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(neuron_output(X, 0.5, -1.0, 1.0, "tanh"), np.tanh(z))
    np.testing.assert_allclose(neuron_output(X, 0.5, -1.0, 1.0, "relu"), np.maximum(z, 0))
    assert neuron_output(np.zeros((4, 5, 2)), 1, 1, 0, "SIGMOID").shape == (4, 5)


@settings(max_examples=50, deadline=None)
@given(weights, weights, bias)
def test_decision_line_points_satisfy_the_line_equation(w1, w2, b):
    x1s, x2s = decision_line(w1, w2, b, extent=5.0)
    if w1 == 0 and w2 == 0:
        assert x1s.size == 0 and x2s.size == 0
        return
    assert x1s.shape == x2s.shape == (2,)
    scale = 1 + abs(b) + 5 * (abs(w1) + abs(w2))
    np.testing.assert_allclose(w1 * x1s + w2 * x2s + b, 0.0, atol=1e-9 * scale)
    steep = max(abs(w1), abs(w2))
    # the steeper axis is parametrised over the whole square: the segment crosses it side to side
    spans = np.ptp(x1s) if abs(w2) >= abs(w1) else np.ptp(x2s)
    assert spans == pytest.approx(10.0) and steep > 0


@settings(max_examples=50, deadline=None)
@given(weights, weights, bias)
def test_sigmoid_output_is_one_half_on_the_decision_line(w1, w2, b):
    x1s, x2s = decision_line(w1, w2, b, extent=5.0)
    if x1s.size:
        a = neuron_output(np.column_stack([x1s, x2s]), w1, w2, b, "sigmoid")
        np.testing.assert_allclose(a, 0.5, atol=1e-6)


def test_line_accuracy_counts_points_on_their_side():
    X = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.0], [-2.0, 3.0], [0.0, 0.0]])
    y = np.array([1, 1, 0, 1, 0])
    # z = x1: positive for rows 0, 1; row 3 (class 1) is on the wrong side; z = 0 counts as class 0
    assert line_accuracy(X, y, 1.0, 0.0, 0.0) == pytest.approx(4 / 5)
    # flipping w swaps the sides of every point off the line (the one at z = 0 stays class 0)
    assert line_accuracy(X, y, -1.0, 0.0, 0.0) == pytest.approx(2 / 5)
    assert line_accuracy(X, y, 0.0, 0.0, 1.0) == pytest.approx(3 / 5)    # no line: all class 1


@pytest.mark.parametrize("call, error, message", [
    (lambda: neuron_output(np.zeros((3, 3)), 1, 1, 0), ValueError,
     r"neuron_output: X must have 2 features in its last axis \(shape \(N, 2\)\), got shape \(3, 3\)"),
    (lambda: neuron_output(np.zeros((3, 2)), 1, 1, 0, "softplus"), ValueError,
     r"neuron_output: activation must be one of \['linear', 'relu', 'sigmoid', 'tanh'\], got 'softplus'"),
    (lambda: neuron_output(np.zeros((3, 2)), float("nan"), 1, 0), TypeError,
     r"neuron_output: w1 must be a finite number, got float nan"),
    (lambda: neuron_output(np.zeros((3, 2), dtype=int), 1, 1, 0), TypeError,
     r"neuron_output: X must hold floating-point numbers"),
    (lambda: decision_line(1, 1, 0, extent=0), ValueError, r"decision_line: extent must be > 0, got 0.0"),
    (lambda: line_accuracy(np.zeros((3, 2)), np.array([0, 1, 2]), 1, 1, 0), ValueError,
     r"line_accuracy: y must hold class indices in 0..1 \(there are 2 classes\), got 2"),
    (lambda: neuron_explorer(w1=7), ValueError,
     r"neuron_explorer: w1 must be in \[-3, 3\] \(the slider's range\), got 7.0"),
    (lambda: neuron_explorer(activation=3), TypeError,
     r"neuron_explorer: activation must be one of \['linear', 'relu', 'sigmoid', 'tanh'\], got int 3"),
    (lambda: neuron_explorer(data="plane"), ValueError,
     r"neuron_explorer: data must be a classification set, got the regression set 'plane'"),
    (lambda: neuron_explorer(data=(np.zeros((4, 2)), np.zeros(4, dtype=int))), ValueError,
     r"neuron_explorer: data must hold both classes 0 and 1, got only class 0"),
    (lambda: neuron_explorer(data=(np.zeros((4, 3)), np.array([0, 1, 0, 1]))), ValueError,
     r"neuron_explorer: data\[0\] \(X\) must have 2 features, shape \(N, 2\), got \(4, 3\)"),
    (lambda: neuron_explorer(data=42), TypeError,
     r"neuron_explorer: data must be the name of a data set \(e.g. 'gauss'\) or a pair \(X, y\), got int 42"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------- view

@pytest.fixture(scope="module")
def explorer():
    return neuron_explorer()


def test_factory_builds_the_documented_controls(explorer):
    assert isinstance(explorer, NeuronExplorer)
    assert (explorer.w1.value, explorer.w2.value, explorer.b.value) == (1.0, -1.0, 0.0)
    assert explorer.activation.options == tuple(NEURON_ACTIVATIONS)
    assert explorer.view.render_count >= 1 and explorer.message_text == ""
    assert "accuracy of the line" in explorer.readout.value
    assert explorer.X.shape == (60, 2) and set(np.unique(explorer.y)) == {0, 1}


def test_moving_a_weight_updates_the_heatmap_line_readout_and_image(explorer):
    explorer.w1.value, explorer.w2.value, explorer.b.value = 1.0, -1.0, 0.0
    image, renders = explorer.view.image_array(), explorer.view.render_count
    line = np.array(explorer.line.get_data())
    explorer.w2.value = 1.0
    assert explorer.view.render_count == renders + 1
    assert not np.array_equal(image, explorer.view.image_array())
    assert not np.array_equal(line, np.array(explorer.line.get_data()))
    expected = neuron_output(explorer.grid, 1.0, 1.0, 0.0, "sigmoid")
    np.testing.assert_allclose(explorer.image.get_array(), expected)
    assert explorer.accuracy == pytest.approx(line_accuracy(explorer.X, explorer.y, 1.0, 1.0, 0.0))
    assert f"{explorer.accuracy:.0%}" in explorer.readout.value


def test_the_gauss_blobs_are_separated_by_the_diagonal(explorer):
    explorer.w1.value, explorer.w2.value, explorer.b.value = 1.0, 1.0, 0.0
    assert explorer.accuracy == 1.0
    assert len(explorer.wrong.get_offsets()) == 0
    explorer.w1.value, explorer.w2.value = -1.0, -1.0          # the same line, the sides swapped
    assert explorer.accuracy == 0.0
    assert len(explorer.wrong.get_offsets()) == 60


def test_changing_the_activation_changes_the_colour_scale(explorer):
    explorer.w1.value, explorer.w2.value, explorer.b.value = 1.0, 1.0, 0.0
    explorer.activation.value = "tanh"
    assert explorer.image.get_clim() == (-1.0, 1.0)
    assert "tanh" in explorer.colorbar.ax.get_ylabel()
    np.testing.assert_allclose(explorer.image.get_array(), neuron_output(explorer.grid, 1, 1, 0, "tanh"))
    explorer.activation.value = "relu"
    assert explorer.image.get_array().min() == 0.0
    explorer.activation.value = "sigmoid"
    assert explorer.message_text == ""


def test_zero_weights_say_there_is_no_line_and_the_widget_recovers(explorer):
    explorer.w1.value, explorer.w2.value, explorer.b.value = 0.0, 0.0, 1.0
    assert "no line" in explorer.message_text and "class 1" in explorer.message_text
    assert explorer.line.get_xdata().size == 0 and not explorer.arrow.get_visible()
    explorer.w1.value = 0.5
    assert explorer.message_text == ""
    assert explorer.line.get_xdata().size == 2 and explorer.arrow.get_visible()


def test_the_learners_own_data_and_a_failing_update_keep_the_widget_usable():
    X = np.array([[0, 0], [1, 1], [2, 2], [3, 3]])               # integers are fine
    ex = neuron_explorer(data=(X, np.array([0, 0, 1, 1])), activation="linear")
    assert ex.extent == 4.0 and ex.X.dtype == np.float64
    ex.grid = None                                                  # break the model on purpose
    ex.w1.value = 2.0                                               # must not raise
    assert ex.message_text.startswith("TypeError: neuron_output: X must be a numpy array")
    ex.grid = np.zeros((3, 3, 2))
    ex.w1.value = 1.0
    assert ex.message_text == ""


def test_the_arrow_points_along_w_from_the_line(explorer):
    explorer.w1.value, explorer.w2.value, explorer.b.value = 2.0, 0.0, -2.0   # line x1 = 1
    assert explorer.arrow.xyann == pytest.approx((1.0, 0.0))
    assert explorer.arrow.xy == pytest.approx((2.0, 0.0))
