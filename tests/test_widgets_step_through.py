"""Backprop step-through (lesson 04): the graph walk as functions, the view driven by its buttons."""
from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.autograd import Value  # noqa: E402
from backprop_helpers.plots.palette import STATE_FILLS, TEXT  # noqa: E402
from backprop_helpers.gradcheck import numerical_gradient  # noqa: E402
from backprop_helpers.widgets import StepThroughExplorer, step_through_explorer  # noqa: E402
from backprop_helpers.widgets import step_through as step_through_module  # noqa: E402
from backprop_helpers.widgets.graph_walk import fmt, neuron_loss_graph, walk_graph  # noqa: E402

inputs = st.floats(-2, 2, allow_nan=False)
params = st.floats(-3, 3, allow_nan=False)
targets = st.floats(0, 1, allow_nan=False)
DEFAULT = dict(x1=1.0, x2=-0.5, w1=0.8, w2=0.3, b=0.1, y=1.0)


def closed_form(x1, x2, w1, w2, b, y):
    """L and dL/d(x1, x2, w1, w2, b, y) of (sigmoid(w1 x1 + w2 x2 + b) - y)^2, derived by hand."""
    a = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
    dz = 2 * (a - y) * a * (1 - a)
    return (a - y) ** 2, dict(x1=dz * w1, x2=dz * w2, w1=dz * x1, w2=dz * x2, b=dz, y=-2 * (a - y))


# ---------------------------------------------------------------------------------------- model

@settings(max_examples=60)
@given(inputs, inputs, params, params, params, targets)
def test_the_walk_agrees_with_the_value_engine_the_derivation_and_central_differences(x1, x2, w1, w2, b, y):
    values = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, y=y)
    walk = walk_graph(neuron_loss_graph(**values))
    by_label = {n.label: n for n in walk.nodes}
    loss, grads = closed_form(**values)
    assert by_label["L"].value == pytest.approx(loss, rel=1e-12, abs=1e-15)
    for name, g in grads.items():
        assert by_label[name].grad == pytest.approx(g, rel=1e-9, abs=1e-12)
    # the step's products add up to the engine's gradient, node by node
    for step in walk.backward:
        expected = 1.0 if not step.terms else sum(local * up for _, local, up in step.terms)
        assert walk.nodes[step.node].grad == pytest.approx(expected, rel=1e-12, abs=1e-15)
    order = list(values)
    numeric = numerical_gradient(lambda v: closed_form(*v)[0], np.array([values[k] for k in order]))
    np.testing.assert_allclose([by_label[k].grad for k in order], numeric, rtol=1e-5, atol=1e-8)


def test_the_neuron_graph_and_its_steps():
    walk = walk_graph(neuron_loss_graph(**DEFAULT))
    labels = [n.label for n in walk.nodes]
    assert sorted(labels) == sorted(["x1", "x2", "w1", "w2", "b", "y", "u1", "u2", "s", "z", "a", "e", "L"])
    assert labels[-1] == "L"
    formulas = {n.label: n.formula for n in walk.nodes}
    assert formulas["u1"] == "u1 = w1·x1" and formulas["a"] == "a = σ(z)" and formulas["L"] == "L = e²"
    assert formulas["e"] == "e = a − y"
    kinds = {n.label: n.kind for n in walk.nodes}
    assert {k for k, v in kinds.items() if v == "parameter"} == {"w1", "w2", "b"}
    assert {k for k, v in kinds.items() if v == "input"} == {"x1", "x2", "y"}
    # forward: every operation once, each after its parents; backward: every node, the loss first
    forward = [walk.nodes[s.node].label for s in walk.forward]
    assert forward.index("u1") < forward.index("s") < forward.index("z") < forward.index("a") < forward.index("L")
    assert len(forward) == 7 and all(s.phase == "forward" for s in walk.forward)
    backward = [walk.nodes[s.node].label for s in walk.backward]
    assert backward[0] == "L" and len(backward) == 13 and sorted(backward) == sorted(labels)
    for k, step in enumerate(walk.backward):           # upstream gradients are ready when needed
        for user, _, _ in step.terms:
            assert backward.index(walk.nodes[user].label) < k


def test_explanations_say_the_numbers():
    walk = walk_graph(neuron_loss_graph(**DEFAULT))
    by_label = {walk.nodes[s.node].label: s.explanation for s in (*walk.forward, *walk.backward)
                if s.phase == "backward"}
    forward = {walk.nodes[s.node].label: s.explanation for s in walk.forward}
    assert forward["u2"].startswith("Forward step 2 of 7: u2 = w2·x2 = 0.300·(−0.500) = −0.150.")
    assert "L = e² = (−0.321)² = 0.103" in forward["L"] and "forward pass is complete" in forward["L"]
    assert by_label["L"].startswith("Backward step 1 of 13: the walk starts at the loss")
    assert "∂L/∂z = local × upstream = 0.218 × (−0.642) = −0.140" in by_label["z"]
    assert "∂a/∂z = σ(z)(1 − σ(z)) = a(1 − a) = 0.679 × 0.321 = 0.218" in by_label["z"]
    assert "∂e/∂y = −1.000: the sign flips" in by_label["y"] and "y is data" in by_label["y"]
    assert "∂u1/∂w1 = x1 = 1.000" in by_label["w1"] and "w1 is a parameter" in by_label["w1"]


def test_a_value_used_twice_sums_its_contributions():
    x = Value(3.0, label="x")
    c = Value(2.0)                                # an unlabelled constant
    q = x * x
    root = q * c + x                              # d/dx = 2 * 2x + 1 = 13
    root.backward()
    walk = walk_graph(root)
    node = next(n for n in walk.nodes if n.label == "x")
    step = next(s for s in walk.backward if s.node == walk.nodes.index(node))
    assert node.grad == 13.0 and len(step.terms) == 3          # twice in x*x, once in the sum
    assert sum(local * up for _, local, up in step.terms) == 13.0
    assert "used 3 times, so the contributions add up" in step.explanation
    assert {n.kind for n in walk.nodes if not n.parents} == {"input", "constant"}
    assert any(n.formula == "v1 = x·x" for n in walk.nodes)


def test_the_layout_keeps_boxes_apart_and_inputs_next_to_their_use():
    walk = walk_graph(neuron_loss_graph(**DEFAULT))
    nodes = walk.nodes
    for n in nodes:
        same_column = sorted(m.row for m in nodes if m.column == n.column)
        assert all(b - a >= 1 for a, b in zip(same_column, same_column[1:]))
        for u in n.users:                          # every arrow goes one or more columns right
            assert nodes[u].column > n.column
        if not n.parents:
            assert n.column == min(nodes[u].column for u in n.users) - 1
    assert max(n.row for n in nodes) == 3.0        # four rows: w1, x1, w2, x2


def test_fmt():
    assert fmt(-0.0) == "0.000" and fmt(0.1234) == "0.123" and fmt(-2.5) == "−2.500"
    assert fmt(1e-5) == "1.00e−05" and fmt(12345.0) == "1.23e+04"


@pytest.mark.parametrize("call, error, message", [
    (lambda: neuron_loss_graph(1, 1, float("nan"), 1, 1, 1), TypeError,
     r"neuron_loss_graph: w1 must be a finite number, got float nan"),
    (lambda: neuron_loss_graph(1, 1, 1, 1, "b", 1), TypeError, r"neuron_loss_graph: b must be a finite number, got str 'b'"),
    (lambda: walk_graph(2.0), TypeError, r"walk_graph: root must be a Value \(the loss of an expression\), got float 2.0"),
    (lambda: walk_graph(Value(1.0) * 2), ValueError, r"walk_graph: run root.backward\(\) first .* got 0.0"),
    (lambda: step_through_explorer(w1=5), ValueError,
     r"step_through_explorer: w1 must be in \[-3, 3\] \(the slider's range\), got 5"),
    (lambda: step_through_explorer(y=True), TypeError, r"step_through_explorer: y must be a finite number, got bool True"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------- view

@pytest.fixture
def explorer():
    return step_through_explorer()


def texts(ex, label):
    return (ex.value_texts[label].get_text(), ex.product_texts[label].get_text(), ex.grad_texts[label].get_text())


def test_the_walk_starts_with_only_the_given_values(explorer):
    assert isinstance(explorer, StepThroughExplorer) and explorer.position == 0
    assert texts(explorer, "w1") == ("value 0.800", "", "grad ?")
    assert texts(explorer, "z") == ("value ?", "", "grad ?")
    assert "Press <b>forward step</b>" in explorer.explanation.value
    assert explorer.view.render_count >= 1 and explorer.message_text == ""


def test_forward_steps_light_up_one_operation_at_a_time(explorer):
    image = explorer.view.image_array()
    explorer.forward_step.click()
    assert explorer.position == 1 and texts(explorer, "u1")[0] == "value 0.800"
    assert texts(explorer, "u2")[0] == "value ?"
    assert explorer.box_style("u1") == (to_rgba(STATE_FILLS["forward"]), 2.2)     # lit up
    assert explorer.box_style("u2") == (to_rgba(STATE_FILLS["unknown"]), 1.0)     # not computed yet
    assert explorer.box_style("w1") == (to_rgba(STATE_FILLS["value"]), 1.0)       # given
    assert explorer.forward_arrows[(0, 2)].get_visible()           # w1 -> u1 drawn in colour
    assert not np.array_equal(image, explorer.view.image_array())
    assert "Forward step 1 of 7: u1 = w1·x1" in explorer.explanation.value
    for _ in range(6):
        explorer.forward_step.click()
    assert texts(explorer, "L")[0] == "value 0.103" and texts(explorer, "L")[2] == "grad ?"
    assert "Now press <b>backward step</b>" in explorer.explanation.value
    explorer.forward_step.click()                                   # nothing more to compute
    assert explorer.position == 7 and "forward pass is complete" in explorer.message_text


def test_backward_steps_write_local_times_upstream(explorer):
    explorer.backward_step.click()                                  # too early: says why
    assert explorer.position == 0 and "backward pass needs every value" in explorer.message_text
    for _ in range(7):
        explorer.forward_step.click()
    assert explorer.message_text == ""
    for _ in range(5):                                              # L, e, y, a, z
        explorer.backward_step.click()
    assert texts(explorer, "z") == ("value 0.750", "0.218 × −0.642", "grad −0.140")
    assert texts(explorer, "L")[1:] == ("start: ∂L/∂L = 1", "grad 1.000")
    assert texts(explorer, "b")[2] == "grad ?"
    a, z = (i for i, n in enumerate(explorer.walk.nodes) if n.label in ("a", "z"))
    assert explorer.backward_arrows[(min(a, z), max(a, z))].get_visible()
    assert sum(arrow.get_visible() for arrow in explorer.backward_arrows.values()) == 1
    assert "∂L/∂z = local × upstream = 0.218 × (−0.642) = −0.140" in explorer.explanation.value


def test_run_all_gives_the_value_engines_gradients_and_reset_starts_again(explorer):
    explorer.run_all.click()
    assert explorer.position == 20 and "The walk is complete" in explorer.explanation.value
    engine = {n.label: n.grad for n in explorer.walk.nodes}
    _, grads = closed_form(**DEFAULT)
    for name, g in grads.items():
        assert texts(explorer, name)[2] == f"grad {fmt(g)}" == f"grad {fmt(engine[name])}"
    explorer.backward_step.click()
    assert "walk is complete" in explorer.message_text
    explorer.reset.click()
    assert explorer.position == 0 and texts(explorer, "z") == ("value ?", "", "grad ?")
    assert explorer.message_text == ""


def test_a_slider_resets_the_walk_with_new_values(explorer):
    explorer.run_all.click()
    image = explorer.view.image_array()
    explorer.w1.value = -1.5
    assert explorer.position == 0 and texts(explorer, "w1")[0] == "value −1.500"
    assert not np.array_equal(image, explorer.view.image_array())
    explorer.run_all.click()
    _, grads = closed_form(**{**DEFAULT, "w1": -1.5})
    assert texts(explorer, "x1")[2] == f"grad {fmt(grads['x1'])}"


def test_a_failing_update_shows_a_message_and_the_widget_recovers(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(step_through_module, "walk_graph", broken)
    explorer.x1.value = 0.5                                         # must not raise
    assert explorer.message_text == "RuntimeError: the model broke"
    monkeypatch.undo()
    explorer.x1.value = 0.7
    assert explorer.message_text == "" and texts(explorer, "x1")[0] == "value 0.700"
    explorer.forward_step.click()
    assert explorer.position == 1


@pytest.mark.parametrize("ratio", [1, 2])
def test_stamped_text_looks_like_ordinary_text(ratio):
    from backprop_helpers.widgets.render import FigureView, new_figure

    def image(stamped):
        fig = new_figure((2.0, 0.6))
        ax = fig.add_axes((0, 0, 1, 1))
        if stamped:
            t = step_through_module._TextLayer(ax).line(0.5, 0.5)
            t.set_text("grad −0.140")
            t.set_style(fontweight="bold")
        else:
            ax.text(0.5, 0.5, "grad −0.140", ha="center", va="center", fontsize=8, fontweight="bold",
                    color=TEXT)
        ax.axis("off")
        view = FigureView(fig, pixel_ratio=ratio)
        view.redraw()
        return view.image_array()[..., :3].astype(int)

    ink_text, ink_stamp = ((255 - image(s)).sum(axis=-1) for s in (False, True))
    rows, cols = np.nonzero(ink_text)
    rows_s, cols_s = np.nonzero(ink_stamp)
    assert rows_s.size and abs(rows.mean() - rows_s.mean()) <= ratio and abs(cols.mean() - cols_s.mean()) <= ratio
    assert ink_stamp.sum() == pytest.approx(ink_text.sum(), rel=0.1)
