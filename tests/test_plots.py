"""The plots run headless (Agg), return their Axes, and draw what they promise: one box per value and
one circle per operation in a computational graph, the curves and markers of the other pictures."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from backprop_helpers.autograd import Value, topological_order
from backprop_helpers.layers import LEAKY_SLOPE
from backprop_helpers.plots import (CLASS_COLORS, draw_graph, plot_activation, plot_decision_boundary,
                                    plot_loss_curves, plot_step_size_errors)


def by_gid(ax, gid):
    return [a for a in list(ax.patches) + list(ax.texts) + list(ax.lines) if a.get_gid() == gid]


def neuron():
    """The classic neuron o = tanh(x1*w1 + x2*w2 + b): 10 values, 5 operations."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


# ------------------------------------------------------------------ computational graphs

@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_draw_graph_draws_one_box_per_value_and_one_circle_per_op(rankdir):
    o = neuron()
    nodes = topological_order(o)
    ax = draw_graph(o, rankdir=rankdir)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(by_gid(ax, "value")) == len(nodes) == 10
    assert len(by_gid(ax, "op")) == 5
    assert len(by_gid(ax, "value_text")) == 10 and len(by_gid(ax, "op_text")) == 5
    assert len(by_gid(ax, "edge")) == sum(len(v.parents) for v in nodes) + 5
    texts = {t.get_text() for t in by_gid(ax, "value_text")}
    assert "x1\ndata 2.000 | grad -1.500" in texts
    assert "o\ndata 0.707 | grad 1.000" in texts
    assert "data -6.000 | grad 0.500" in texts       # x1*w1 has no label
    assert sorted(t.get_text() for t in by_gid(ax, "op_text")) == ["*", "*", "+", "+", "tanh"]


def test_draw_graph_without_gradients_and_on_a_given_axes():
    fig, ax = plt.subplots(figsize=(8, 3))
    x = Value(3.0, label="x")
    y = x * x
    assert draw_graph(y, ax=ax, show_grad=False) is ax
    texts = sorted(t.get_text() for t in by_gid(ax, "value_text"))
    assert texts == ["data 9.000", "x\ndata 3.000"]
    assert len(by_gid(ax, "edge")) == 3              # x -> * twice (parents (x, x)), * -> x*x


def test_an_arrow_spanning_several_layers_runs_through_empty_slots():
    x = Value(3.0, label="x")
    y = (x * x).tanh() + x                           # x feeds an operation two layers later
    ax = draw_graph(y)
    assert len(by_gid(ax, "edge_path")) == 1
    assert len(by_gid(ax, "value")) == 4


def test_draw_graph_boxes_do_not_overlap_and_text_fits_inside_for_40_nodes():
    a = [Value(i / 7, label=f"a{i}") for i in range(6)]
    terms = [(a[i] * a[i + 1]).tanh() for i in range(5)]
    out = (sum(terms) / 5.0).sigmoid()
    out.backward()
    n = len(topological_order(out))
    assert 20 <= n <= 40
    ax = draw_graph(out)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in by_gid(ax, "value")]
    circles = [p.get_window_extent(renderer) for p in by_gid(ax, "op")]
    assert len(boxes) == n
    for b1, b2 in itertools.combinations(boxes + circles, 2):
        assert not b1.overlaps(b2)
    for text, box in zip(by_gid(ax, "value_text"), boxes):
        extent = text.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0 and extent.y1 <= box.y1


def test_draw_graph_refuses_a_graph_too_large_to_read():
    v = Value(1.0)
    for _ in range(300):
        v = v.tanh()
    with pytest.raises(ValueError, match=r"draw_graph: the graph of root has 301 values, more than "
                                         r"max_nodes=200; draw a smaller expression"):
        draw_graph(v)
    assert draw_graph(v, max_nodes=400) is not None


def test_draw_graph_bad_input_messages():
    with pytest.raises(TypeError, match=r"draw_graph: root must be a Value .*got float 1\.0"):
        draw_graph(1.0)
    with pytest.raises(ValueError, match=r"draw_graph: rankdir must be one of \['lr', 'tb'\], got 'XY'"):
        draw_graph(Value(1.0), rankdir="XY")


def test_draw_graph_of_a_single_value():
    ax = draw_graph(Value(2.0, label="w"))
    assert len(by_gid(ax, "value")) == 1 and len(by_gid(ax, "op")) == 0


# ------------------------------------------------------------------ loss curves

def test_plot_loss_curves_with_accuracies_on_a_twin_axis():
    history = SimpleNamespace(loss=[1.0, 0.5, 0.3], test_loss=[1.1, 0.6, 0.4],
                              train_accuracy=[0.5, 0.7, 0.9], test_accuracy=[0.4, None, 0.8])
    ax = plot_loss_curves(history)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [line.get_label() for line in ax.get_lines()] == ["train loss", "test loss"]
    twins = [other for other in ax.figure.axes if other is not ax]
    assert len(twins) == 1
    assert [line.get_label() for line in twins[0].get_lines()] == ["train accuracy", "test accuracy"]
    assert np.isnan(twins[0].get_lines()[1].get_ydata()[1])      # None is a gap
    assert ax.get_yscale() == "linear"


def test_plot_loss_curves_uses_a_log_axis_over_many_decades_and_skips_missing_series():
    history = SimpleNamespace(loss=list(np.logspace(1, -4, 50)), test_loss=[], train_accuracy=[None] * 50,
                              test_accuracy=[])
    fig, ax = plt.subplots()
    assert plot_loss_curves(history, ax=ax) is ax
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 1 and len(fig.axes) == 1      # no accuracies: no twin axis


def test_plot_loss_curves_accepts_a_training_history():
    from backprop_helpers.training import History
    history = History(epoch=[1, 2], loss=[0.9, 0.8], train_accuracy=[0.6, 0.7])
    ax = plot_loss_curves(history)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2])


def test_plot_loss_curves_bad_input_messages():
    with pytest.raises(ValueError, match=r"plot_loss_curves: history\.loss is empty \(or missing\); "
                                         r"train for at least one epoch first"):
        plot_loss_curves(SimpleNamespace(loss=[]))
    with pytest.raises(TypeError, match=r"plot_loss_curves: history\.loss must be a list of numbers"):
        plot_loss_curves(SimpleNamespace(loss=["high", "low"]))


# ------------------------------------------------------------------ decision boundaries

def blobs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("output", ["classes", "probability", "score", "two_column_scores"])
def test_plot_decision_boundary_reads_every_kind_of_prediction(output):
    X, y = blobs()

    def predict(G):
        s = G[:, 0] + G[:, 1]
        return {"classes": (s > 0).astype(int), "probability": 1 / (1 + np.exp(-s)), "score": 3 * s,
                "two_column_scores": np.column_stack([-s, s])}[output]
    ax = plot_decision_boundary(predict, X, y, resolution=50)
    assert isinstance(ax, matplotlib.axes.Axes)
    labels = [c.get_label() for c in ax.collections if not c.get_label().startswith("_")]
    assert labels == ["class 0", "class 1"]
    points = [c for c in ax.collections if c.get_label() == "class 0"][0]
    assert to_rgba(CLASS_COLORS[0]) == tuple(points.get_facecolor()[0])
    assert len(ax.collections) >= 3                  # shading, boundary line (or more), points


def test_plot_decision_boundary_draws_test_points_hollow():
    X, y = blobs()
    Xt, yt = blobs(10, seed=1)
    ax = plot_decision_boundary(lambda G: (G[:, 0] > 0).astype(int), X, y, X_test=Xt, y_test=yt,
                                resolution=30)
    test_points = [c for c in ax.collections if c.get_label().endswith("(test)")]
    assert len(test_points) == 2
    for c in test_points:
        assert c.get_facecolor().size == 0 or c.get_facecolor()[0][3] == 0   # hollow
    assert ax.get_xlim()[0] <= min(X[:, 0].min(), Xt[:, 0].min()) - 0.5 + 1e-9


def test_plot_decision_boundary_accepts_binary_targets_of_shape_n_by_1_and_three_classes():
    X, y = blobs()
    ax = plot_decision_boundary(lambda G: (G[:, 0] > 0).astype(int), X, y.reshape(-1, 1).astype(float))
    assert ax is not None
    y3 = np.arange(40) % 3
    ax = plot_decision_boundary(lambda G: np.floor(np.abs(G[:, 0])).clip(0, 2).astype(int), X, y3)
    assert [c.get_label() for c in ax.collections if c.get_label().startswith("class")] == \
        ["class 0", "class 1", "class 2"]


def test_plot_decision_boundary_bad_input_messages():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"plot_decision_boundary: predict_fn must return one prediction per "
                                         r"point.*it returned shape \(3,\)"):
        plot_decision_boundary(lambda G: np.zeros(3), X, y, resolution=10)
    with pytest.raises(ValueError, match=r"plot_decision_boundary: X must have 2 features"):
        plot_decision_boundary(lambda G: G[:, 0], np.ones((4, 3)), np.zeros(4, int))
    with pytest.raises(TypeError, match=r"plot_decision_boundary: predict_fn must be a function"):
        plot_decision_boundary("model", X, y)
    with pytest.raises(ValueError, match=r"plot_decision_boundary: pass both X_test and y_test, or neither"):
        plot_decision_boundary(lambda G: G[:, 0] > 0, X, y, X_test=X)


# ------------------------------------------------------------------ step sizes and activations

def test_plot_step_size_errors_marks_each_minimum_and_survives_exact_zeros():
    hs = np.logspace(-12, -1, 12)
    errors = {"forward": hs + 1e-16 / hs, "central": hs ** 2 + 1e-16 / hs,
              "complex step": np.where(hs < 1e-6, 0.0, hs ** 2)}
    ax = plot_step_size_errors(hs, errors)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(curves) == 3 and len(stars) == 3
    assert curves[0].get_label().startswith("forward (min ") and "at h=1e-08" in curves[0].get_label()
    assert "zeros drawn at" in curves[2].get_label()
    assert all(np.all(line.get_ydata() > 0) for line in curves)


def test_plot_step_size_errors_bad_input_messages():
    hs = np.logspace(-8, -1, 5)
    with pytest.raises(ValueError, match=r"plot_step_size_errors: hs must hold step sizes > 0"):
        plot_step_size_errors(-hs, {"forward": hs})
    with pytest.raises(ValueError, match=r"plot_step_size_errors: errors\['forward'\] must have one "
                                         r"error per step size, shape \(5,\), got \(4,\)"):
        plot_step_size_errors(hs, {"forward": hs[:4]})
    with pytest.raises(ValueError, match=r"errors\['central'\] must hold absolute errors >= 0"):
        plot_step_size_errors(hs, {"central": -hs})
    with pytest.raises(TypeError, match=r"plot_step_size_errors: errors must be a non-empty dict"):
        plot_step_size_errors(hs, {})


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_plot_activation_draws_the_function_and_its_exact_derivative(name):
    ax = plot_activation(name)
    f, df = [line for line in ax.get_lines() if line.get_label() in (f"{name}(x)", f"{name}'(x)")]
    x = f.get_xdata()
    assert x.shape == (400,)
    expected = {"relu": (x > 0) * 1.0, "leaky_relu": np.where(x > 0, 1.0, LEAKY_SLOPE),
                "tanh": 1 - np.tanh(x) ** 2, "sigmoid": np.exp(-x) / (1 + np.exp(-x)) ** 2,
                "linear": np.ones_like(x)}[name]
    np.testing.assert_allclose(df.get_ydata(), expected, rtol=1e-9, atol=1e-12)


def test_plot_activation_of_a_function_uses_central_differences():
    fig, ax = plt.subplots()
    x = np.linspace(-2, 2, 21)
    assert plot_activation(np.sin, ax=ax, x=x) is ax
    _, _, f, df = ax.get_lines()                       # the two zero lines come first
    np.testing.assert_allclose(df.get_ydata(), np.cos(x), rtol=1e-7)
    assert ax.get_title() == "sin"
    with pytest.raises(ValueError, match=r"plot_activation: name_or_fn must be one of .*got 'swish'"):
        plot_activation("swish")
    with pytest.raises(TypeError, match=r"plot_activation: name_or_fn must be an activation name"):
        plot_activation(3)


# ------------------------------------------------------------------ graphs of a learner's own engine

class OwnNode:
    """A node of an engine a learner wrote (lesson 09), under the names micrograd uses."""

    def __init__(self, data, children=(), op=""):
        self.data, self.grad, self._prev, self._op = data, 0.0, set(children), op


def test_draw_graph_draws_the_nodes_of_lesson_09s_class_with_their_values_and_gradients():
    from backprop_helpers.checks.lesson09_autograd_engine import WIRED
    x, y, z = WIRED(3.0, label="x"), WIRED(-2.0, label="y"), WIRED(4.0, label="z")
    L = (x * y + x) * z
    L.label = "L"
    L.backward()
    ax = draw_graph(L)
    assert len(by_gid(ax, "value")) == 6 and len(by_gid(ax, "op")) == 3
    assert len(by_gid(ax, "edge")) == 6 + 3              # x sends two arrows, one to * and one to +
    texts = {t.get_text() for t in by_gid(ax, "value_text")}
    assert {"x\ndata 3.000 | grad -4.000", "y\ndata -2.000 | grad 12.000", "L\ndata -12.000 | grad 1.000"} <= texts
    assert sorted(t.get_text() for t in by_gid(ax, "op_text")) == ["*", "*", "+"]


def test_draw_graph_reads_other_names_for_the_parents_and_the_operation():
    a, b = OwnNode(2.0), OwnNode(-3.0)
    c = OwnNode(a.data * b.data, (a, b), "*")
    d = OwnNode(c.data + a.data, (c, a), "+")
    ax = draw_graph(d, show_grad=False)
    assert len(by_gid(ax, "value")) == 4 and len(by_gid(ax, "op")) == 2
    assert sorted(t.get_text() for t in by_gid(ax, "op_text")) == ["*", "+"]
    assert "data -4.000" in {t.get_text() for t in by_gid(ax, "value_text")}


def test_draw_graph_says_what_a_node_of_ones_own_engine_needs():
    with pytest.raises(TypeError, match=r"draw_graph: root must be a Value .*\.data, \.grad and \.parents, "
                                        r"got an object of type SimpleNamespace"):
        draw_graph(SimpleNamespace(data=1.0))
