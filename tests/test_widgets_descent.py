"""Gradient-descent explorer (lesson 06): surfaces and runs as functions, the view driven by its controls."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ipywidgets")

from backprop_helpers.gradcheck import numerical_gradient  # noqa: E402
from backprop_helpers.optim import Adam, Momentum  # noqa: E402
from backprop_helpers.widgets import DescentExplorer, descent_explorer  # noqa: E402
from backprop_helpers.widgets import descent as descent_module  # noqa: E402
from backprop_helpers.widgets.surfaces import (FLOOR, SURFACES, Surface, descend, escape_bound,  # noqa: E402
                                               loss_axis)

unit = st.floats(0, 1, allow_nan=False)


# ---------------------------------------------------------------------------------------- model

@settings(max_examples=40)
@given(st.sampled_from(sorted(SURFACES)), unit, unit)
def test_every_gradient_agrees_with_central_differences(name, u, v):
    s = SURFACES[name]
    theta = np.array([s.xlim[0] + u * np.ptp(s.xlim), s.ylim[0] + v * np.ptp(s.ylim)])
    numeric = numerical_gradient(lambda t: float(s.loss(t)), theta.copy())
    scale = 1 + np.abs(numeric).max()
    np.testing.assert_allclose(s.grad(theta), numeric, rtol=1e-6, atol=1e-7 * scale)
    # the same functions on floats (the fast path of descend) and on arrays of points
    gx, gy = s.gradient(float(theta[0]), float(theta[1]))
    np.testing.assert_allclose([gx, gy], s.grad(theta), rtol=1e-12)
    grid = np.stack([theta, theta * 0.5, -theta * 0.25])
    assert s.loss(grid).shape == (3,) and s.grad(grid).shape == (3, 2)
    np.testing.assert_allclose(s.loss(grid)[1], s.function(*(theta * 0.5)))


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_minima_and_saddles_are_where_the_surfaces_say(name):
    s = SURFACES[name]
    for point in (*s.minima, *s.saddles):
        np.testing.assert_allclose(s.grad(point), 0.0, atol=1e-12)
    gx, gy = np.meshgrid(np.linspace(*s.xlim, 301), np.linspace(*s.ylim, 301))
    assert s.function(gx, gy).min() >= s.min_value - 1e-12          # the first minimum is global
    assert s.function(*s.minima[0]) == s.min_value
    for point in s.saddles:                                          # curvature up along one axis, down the other
        h = 1e-4
        curv = [(s.function(*(point + d)) + s.function(*(point - d)) - 2 * s.function(*point)) / h ** 2
                for d in (np.array([h, 0.0]), np.array([0.0, h]))]
        assert min(curv) < 0 < max(curv)
    x, y = s.start
    assert s.xlim[0] <= x <= s.xlim[1] and s.ylim[0] <= y <= s.ylim[1] and s.lr > 0


def test_two_minima_has_a_lower_left_minimum():
    s = SURFACES["two_minima"]
    left, right = s.minima
    assert left[0] < 0 < right[0] and s.function(*left) < s.function(*right) - 0.5


def test_sgd_on_the_bowl_shrinks_the_distance_by_one_minus_lr_per_step():
    run = descend("bowl", (2.0, -1.0), "sgd", lr=0.25, steps=20)
    expected = np.array([2.0, -1.0]) * 0.75 ** np.arange(21)[:, None]
    np.testing.assert_allclose(run.path, expected, rtol=1e-12)
    np.testing.assert_allclose(run.losses, 0.5 * (expected ** 2).sum(axis=1))
    # L_k = 2.5 * 0.5625**k <= 1e-3 from k = 14 on
    assert run.diverged_at is None and run.steps_to_tolerance == 14
    assert descend("bowl", (2.0, -1.0), "sgd", lr=1.0, steps=3).steps_to_tolerance == 1   # one step
    assert descend("bowl", (2.0, -1.0), steps=0).path.shape == (1, 2)


@pytest.mark.parametrize("optimizer, make", [("momentum", lambda: Momentum(0.02, mu=0.8)),
                                             ("adam", lambda: Adam(0.02, beta1=0.8))])
def test_momentum_and_adam_follow_the_packages_optimizers(optimizer, make):
    s = SURFACES["ravine"]
    run = descend(s, (-5.0, 1.0), optimizer, lr=0.02, momentum=0.8, steps=25)
    opt, theta, path = make(), np.array([-5.0, 1.0]), [np.array([-5.0, 1.0])]
    for _ in range(25):
        opt.step({"theta": theta}, {"theta": s.grad(theta)})
        path.append(theta.copy())
    np.testing.assert_allclose(run.path, np.array(path), rtol=1e-12)


def test_a_diverging_run_stops_at_the_last_finite_point_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = descend("bowl", (-2.5, 2.0), "sgd", lr=10.0, steps=50)     # x_k = -2.5 (-9)^k
    assert run.bound == escape_bound(SURFACES["bowl"]) == 300.0
    assert run.diverged_at == 3 and run.path.shape == (3, 2)           # 2.5 * 9**3 > 300 > 2.5 * 9**2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        far = descend("bowl", (-2.5, 2.0), "sgd", lr=10.0, steps=400, bound=1e300)
    assert far.diverged_at is not None and np.isfinite(far.path).all() and np.isfinite(far.losses).all()
    assert np.isfinite(run.path).all() and np.isfinite(run.losses).all()
    assert run.steps_to_tolerance is None


def test_a_gradient_that_turns_nan_ends_the_run():
    base = SURFACES["bowl"]
    nan_beyond_one = Surface("odd", "?", base.function,
                             lambda x, y: (x if abs(x) < 1.5 else float("nan"), y), base.xlim, base.ylim,
                             base.minima, base.saddles, (1.0, 1.0), 0.1, 10, "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = descend(nan_beyond_one, (1.0, 1.0), "sgd", lr=-0.0 + 1.0, steps=5)   # 1 -> 0: fine
        assert run.diverged_at is None
        run = descend(nan_beyond_one, (2.0, 1.0), "adam", lr=0.1, steps=5)
    assert run.diverged_at == 1 and run.path.shape == (1, 2) and np.isfinite(run.path).all()


def test_loss_axis_is_log_when_the_values_span_decades():
    assert loss_axis([5.0, 0.3, 2e-4]) == ("log", 1e-6, 10.0)          # at least a decade of room below
    assert loss_axis([5.0, 0.3, 2e-3]) == ("log", 1e-6, 10.0)          # the lower limit a power of 1000
    assert loss_axis([5.0, 0.3, 2e-2]) == ("log", 1e-3, 10.0)
    assert loss_axis([100.0, 10.0]) == ("log", 1.0, 100.0)
    assert loss_axis([5.0, 0.0]) == ("log", FLOOR, 10.0)                # zero sits on the floor
    assert loss_axis([5.0, 1e-9]) == ("log", FLOOR, 10.0)
    assert loss_axis([6.0, 1.4, 0.9]) == ("linear", 0.0, 10.0)          # 1.3 * 6 -> 10
    assert loss_axis([0.6, 0.59]) == ("linear", 0.0, 1.0)
    assert loss_axis([0.15, 0.1]) == ("linear", 0.0, 0.2)
    assert loss_axis([0.0]) == ("linear", 0.0, 2e-12)


@settings(max_examples=60)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30))
def test_loss_axis_holds_every_value_and_depends_on_the_values_alone(values):
    scale, low, high = loss_axis(values)
    shown = np.maximum(values, FLOOR)
    assert shown.max() <= high * (1 + 1e-12)
    if scale == "log":
        assert low <= shown.min() / 10 or low == FLOOR
        assert round(np.log10(low)) % 3 == 0 or low == FLOOR
    assert loss_axis(list(reversed(values))) == (scale, low, high)


@pytest.mark.parametrize("call, error, message", [
    (lambda: descend("valley", (0, 0)), ValueError,
     r"descend: surface must be one of \['bowl', 'ravine', 'rosenbrock', 'saddle', 'two_minima'\], got 'valley'"),
    (lambda: descend("bowl", (0, float("nan"))), ValueError,
     r"descend: start must be two finite numbers \(x, y\), got a tuple of length 2"),
    (lambda: descend("bowl", (0, 0), "rmsprop"), ValueError,
     r"descend: optimizer must be one of \['adam', 'momentum', 'sgd'\], got 'rmsprop'"),
    (lambda: descend("bowl", (0, 0), lr=0), ValueError, r"descend: lr must be a finite number > 0, got 0"),
    (lambda: descend("bowl", (0, 0), momentum=1.0), ValueError, r"descend: momentum must be in \[0, 1\), got 1.0"),
    (lambda: descend("bowl", (0, 0), steps=-1), ValueError, r"descend: steps must be an integer >= 0, got -1"),
    (lambda: SURFACES["bowl"].grad(np.zeros(3)), ValueError,
     r"Surface.grad \(bowl\): theta must have shape \(\.\.\., 2\), the two parameters in its last axis, got shape \(3,\)"),
    (lambda: descent_explorer(lr=50), ValueError,
     r"descent_explorer: lr must be in \[1e-4, 10\] \(the slider's range\), got 50"),
    (lambda: descent_explorer("bowl", start=(4, 0)), ValueError,
     r"descent_explorer: start must lie in the bowl window x in \[-3, 3\], y in \[-3, 3\], got \(4, 0\)"),
    (lambda: descent_explorer(start="origin"), TypeError,
     r"descent_explorer: start must be a pair of numbers \(x, y\), got str 'origin'"),
    (lambda: descent_explorer(steps=301), ValueError, r"descent_explorer: steps must be in 1..300"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------- view

@pytest.fixture
def explorer():
    return descent_explorer()


def test_the_factory_shows_the_ravine_run(explorer):
    assert isinstance(explorer, DescentExplorer)
    s = SURFACES["ravine"]
    assert (explorer.x0.value, explorer.y0.value) == s.start and explorer.steps.value == s.steps
    run = descend(s, s.start, "sgd", explorer.lr.value, 0.9, s.steps)
    np.testing.assert_allclose(np.column_stack(explorer.path_line.get_data()), run.path)
    assert explorer.momentum.disabled and explorer.message_text == ""
    assert "final loss" in explorer.readout.value and "never within 1e-3" in explorer.readout.value
    assert explorer.ax_loss.get_yscale() == "log" and explorer.ax_loss.get_xlim() == (0, s.steps)


def test_moving_the_learning_rate_redraws_the_path_and_the_loss(explorer):
    image, path = explorer.view.image_array(), np.column_stack(explorer.path_line.get_data())
    explorer.lr.value = 0.4
    assert explorer.view.image_array().shape == image.shape
    assert not np.array_equal(image, explorer.view.image_array())
    assert not np.array_equal(path, np.column_stack(explorer.path_line.get_data()))
    losses = explorer.loss_line.get_ydata()
    np.testing.assert_allclose(losses, np.maximum(explorer.run.losses - 0.0, FLOOR))
    assert "never within 1e-3" in explorer.readout.value      # the flat direction still crawls
    explorer.optimizer.value = "momentum"
    assert "within 1e-3 of the minimum after <b>" in explorer.readout.value


def test_a_diverging_learning_rate_says_so_and_the_widget_recovers(explorer):
    explorer.lr.value = 0.6                           # above 2 / 4 for the steep direction
    assert explorer.message_text.startswith("diverged after ")
    k = explorer.run.diverged_at
    assert f"diverged after {k} steps" in explorer.message_text and "lower it" in explorer.message_text
    xs, ys = explorer.path_line.get_data()
    assert len(xs) == k and np.isfinite(xs).all() and np.isfinite(ys).all()
    assert np.isfinite(explorer.loss_line.get_ydata()).all()
    assert explorer.ax_loss.get_yscale() == "log" and "last finite point" in explorer.readout.value
    explorer.lr.value = 0.3
    assert explorer.message_text == "" and explorer.run.diverged_at is None
    assert len(explorer.path_line.get_xdata()) == explorer.steps.value + 1


def test_a_growing_loss_is_flagged_before_it_diverges():
    ex = descent_explorer("bowl", lr=2.1)                  # |1 - 2.1| = 1.1: grows, slowly
    assert ex.run.diverged_at is None and "the loss grew from 5.12 to " in ex.message_text
    assert "with more steps this run diverges" in ex.message_text
    ex.steps.value = 300
    assert ex.message_text.startswith(f"diverged after {ex.run.diverged_at} steps")


def test_switching_the_surface_resets_start_rate_and_steps_and_redraws_the_contours(explorer):
    renders = explorer.view.render_count
    contours = list(explorer._contours)
    explorer.surface.value = "saddle"
    s = SURFACES["saddle"]
    assert explorer.view.render_count == renders + 1                # one image for the whole switch
    assert (explorer.x0.min, explorer.x0.max, explorer.y0.min, explorer.y0.max) == (*s.xlim, *s.ylim)
    assert (explorer.x0.value, explorer.y0.value) == s.start and explorer.steps.value == s.steps
    assert explorer.lr.value == pytest.approx(s.lr, rel=0.02)
    assert all(c not in explorer.ax.get_children() for c in contours)
    assert "saddle" in explorer.ax.get_title() and explorer.ax.get_xlim() == s.xlim
    assert explorer.ax_loss.get_yscale() == "log"                  # the saddle run spans decades
    assert "near the minimum (0.00, 1.00)" in explorer.readout.value
    explorer.y0.value = 0.0                                          # exactly on the ridge: stuck
    assert "near the saddle point (0.00, 0.00)" in explorer.readout.value


def test_the_optimizer_decides_what_the_momentum_slider_means(explorer):
    explorer.optimizer.value = "momentum"
    assert not explorer.momentum.disabled and explorer.momentum.description == "momentum μ"
    explorer.optimizer.value = "adam"
    assert explorer.momentum.description == "Adam's β1"
    before = np.column_stack(explorer.path_line.get_data())
    explorer.momentum.value = 0.5
    assert not np.array_equal(before, np.column_stack(explorer.path_line.get_data()))
    explorer.optimizer.value = "sgd"
    assert explorer.momentum.disabled


def test_the_steps_slider_moves_the_loss_axes(explorer):
    explorer.steps.value = 120
    assert explorer.ax_loss.get_xlim() == (0, 120) and len(explorer.loss_line.get_xdata()) == 121


def test_two_minima_report_which_minimum_was_found():
    ex = descent_explorer("two_minima")
    assert "a local one, not the lowest" in ex.readout.value
    ex.x0.value = -0.5
    assert "the global one" in ex.readout.value


def test_a_failing_update_shows_a_message_and_the_widget_recovers(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(descent_module, "descend", broken)
    explorer.x0.value = -4.0                                         # must not raise
    assert explorer.message_text == "RuntimeError: the model broke"
    monkeypatch.undo()
    explorer.x0.value = -3.0
    assert explorer.message_text == "" and explorer.start_marker.get_xdata()[0] == -3.0


def test_a_surface_change_sends_each_start_slider_once_with_its_value_last(explorer, monkeypatch):
    """Found in the browser: sent one change at a time, the new range made the browser's slider send
    back the old start (rounded to its step), which then replaced the new one. Now each start slider
    goes out in one message, its range before its value."""
    sent = []
    for slider in (explorer.x0, explorer.y0):
        monkeypatch.setattr(slider, "_send", lambda msg, buffers=None, s=slider:
                            sent.append((s.description, list(msg["state"]))))
    explorer.surface.value = "rosenbrock"                # x: [-6, 6] -> [-2, 2], y: [-3, 3] -> [-1, 3]
    by_slider = {name: [keys for n, keys in sent if n == name] for name in ("start x", "start y")}
    assert by_slider["start x"] == [["max", "min", "value"]]
    assert by_slider["start y"] == [["min", "value"]]
    assert (explorer.x0.value, explorer.y0.value) == SURFACES["rosenbrock"].start
