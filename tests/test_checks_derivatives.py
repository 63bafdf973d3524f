"""Lesson 03's checks, fed answers written the way a learner writes them.

Every wrong answer below is spelled differently from its catalogue entry in
backprop_helpers/checks/derivatives.py, so these tests show that the check recognises the mistake and
not one line of code. The correct answers are spelled differently from the references, and must pass.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_helpers import Value, gradcheck, reference
from backprop_helpers.checks import lesson03_derivatives as checks
from strategies import assert_named, normal, seeds


def run(exercise, fn):
    return checks.EXERCISES[exercise].run(fn)


# ------------------------------------------------------------------ forward_difference

def test_forward_difference_written_as_central():
    def forward_difference(f, x, h):
        right, left = f(x + h), f(x - h)
        return (right - left) / h / 2
    assert_named(run("forward_difference", forward_difference), "forward and central difference mixed up",
                 "that is the central difference")


def test_forward_difference_backward():
    def forward_difference(f, x, h):
        return -(f(x - h) - f(x)) / h
    assert_named(run("forward_difference", forward_difference), "backward difference",
                 "that is the backward difference")


def test_forward_difference_no_division():
    def forward_difference(f, x, h):
        return -f(x) + f(x + h)
    assert_named(run("forward_difference", forward_difference), "not divided by h", "rise over run")


def test_forward_difference_over_2h():
    def forward_difference(f, x, h):
        return 0.5 * (f(x + h) - f(x)) / h
    assert_named(run("forward_difference", forward_difference), "divided by 2h", "spans 2h")


def test_forward_difference_h_on_the_output():
    def forward_difference(f, x, h):
        fx = f(x)
        return ((fx + h) - fx) / h
    assert_named(run("forward_difference", forward_difference), "h added to f(x), not to x",
                 "not f(x) + h")


def test_forward_difference_learner_correct():
    def forward_difference(f, x, h):
        x_right = x + h
        return (f(x_right) - f(x)) / (x_right - x)     # divides by the step actually taken
    assert run("forward_difference", forward_difference).passed


# ------------------------------------------------------------------ central_difference

def test_central_difference_written_as_forward():
    def central_difference(f, x, h):
        slope = f(x + h) - f(x)
        return slope / h
    assert_named(run("central_difference", central_difference), "forward and central difference mixed up",
                 "that is the forward difference")


def test_central_difference_over_h():
    def central_difference(f, x, h):
        return (f(x + h) - f(x - h)) * (1 / h)
    assert_named(run("central_difference", central_difference), "divided by h instead of 2h", "twice")


def test_central_difference_precedence():
    def central_difference(f, x, h):
        diff = f(x + h) - f(x - h)
        return diff / 2 * h
    assert_named(run("central_difference", central_difference), "2*h without parentheses", "/ (2 * h)")


def test_central_difference_swapped():
    def central_difference(f, x, h):
        return -(f(x + h) - f(x - h)) / (2 * h)
    assert_named(run("central_difference", central_difference), "x + h and x - h swapped", "wrong sign")


def test_central_difference_learner_correct():
    def central_difference(f, x, h):
        return 0.5 * (f(x + h) - f(x - h)) / h
    assert run("central_difference", central_difference).passed


def test_central_difference_as_average_of_forward_and_backward_passes():
    def central_difference(f, x, h):
        forward = (f(x + h) - f(x)) / h
        backward = (f(x) - f(x - h)) / h
        return (forward + backward) / 2
    assert run("central_difference", central_difference).passed


# ------------------------------------------------------------------ rel_error

def test_rel_error_unguarded():
    def rel_error(a, b):
        return (abs(a - b) / (abs(a) + abs(b))).max()
    assert_named(run("rel_error", rel_error), "relative error without the max/abs guard (division by zero)",
                 "0 / 0 = nan")


def test_rel_error_abs_of_the_sum():
    def rel_error(a, b):
        return np.max(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-8))
    assert_named(run("rel_error", rel_error), "|a + b| instead of |a| + |b|", "a = -b")


def test_rel_error_mean():
    def rel_error(a, b):
        errors = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
        return errors.sum() / errors.size
    assert_named(run("rel_error", rel_error), "mean instead of max", "worst")


def test_rel_error_relative_to_b():
    def rel_error(a, b):
        return np.max(np.abs(b - a) / np.maximum(np.abs(b), 1e-8))
    assert_named(run("rel_error", rel_error), "divided by |b| only", "symmetric")


def test_rel_error_max_of_sizes():
    def rel_error(a, b):
        scale = np.where(np.abs(a) > np.abs(b), np.abs(a), np.abs(b))
        return np.max(np.abs(a - b) / np.maximum(scale, 1e-8))
    assert_named(run("rel_error", rel_error), "max(|a|, |b|) in the denominator", "not the larger")


def test_rel_error_signed_difference():
    def rel_error(a, b):
        return np.max((a - b) / np.maximum(1e-8, abs(a) + abs(b)))
    assert_named(run("rel_error", rel_error), "abs missing around a - b", "absolute value")


def test_rel_error_learner_correct():
    def rel_error(a, b):
        worst = 0.0
        for u, v in zip(np.ravel(a), np.ravel(b)):
            worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
        return worst
    assert run("rel_error", rel_error).passed


# ------------------------------------------------------------------ numerical_gradient

def test_numerical_gradient_not_restoring():
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros(x.shape)
        it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
        for _ in it:
            i = it.multi_index
            x[i] = x[i] + h
            up = f(x)
            x[i] = x[i] - 2 * h
            down = f(x)
            grad[i] = (up - down) / (2 * h)
        return grad
    result = run("numerical_gradient", numerical_gradient)
    assert_named(result, "numerical_gradient not restoring x", "x was not put back")


def test_numerical_gradient_h_applied_once():
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        flat = x.reshape(-1)                   # a view: writing into it changes x
        for i in range(flat.size):
            flat[i] += h
            f_plus = f(x)
            flat[i] -= h                       # back to x only, not on to x - h
            f_minus = f(x)
            grad.reshape(-1)[i] = (f_plus - f_minus) / (2 * h)
        return grad
    assert_named(run("numerical_gradient", numerical_gradient), "h applied once instead of 2h",
                 "x[idx] -= 2 * h")


def test_numerical_gradient_on_copies():
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            step = np.zeros_like(x)
            step[idx] = h
            grad[idx] = (f(x + step) - f(x - step)) / (2 * h)
        return grad
    assert_named(run("numerical_gradient", numerical_gradient), "perturbed a copy of x",
                 "lambda _: model.loss(X, y)")


def test_numerical_gradient_forward():
    def numerical_gradient(f, x, h=1e-5):
        base = f(x)
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            saved = x[idx]
            x[idx] = saved + h
            grad[idx] = (f(x) - base) / h
            x[idx] = saved
        return grad
    assert_named(run("numerical_gradient", numerical_gradient), "forward and central difference mixed up",
                 "O(h**2)")


def test_numerical_gradient_whole_array():
    def numerical_gradient(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / h / 2
    assert_named(run("numerical_gradient", numerical_gradient), "whole array perturbed at once",
                 "one element at a time")


def test_numerical_gradient_learner_correct_nditer():
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            i = it.multi_index
            x[i] += h
            f_plus = f(x)
            x[i] -= 2 * h
            f_minus = f(x)
            x[i] += h                            # back where it was (up to rounding)
            grad[i] = (f_plus - f_minus) / (2 * h)
            it.iternext()
        return grad
    assert run("numerical_gradient", numerical_gradient).passed


def test_numerical_gradient_package_version_computes_the_same_but_is_not_the_learners():
    exercise = checks.EXERCISES["numerical_gradient"]
    cases = exercise.case_list()
    assert exercise.verdict(exercise.results(gradcheck.numerical_gradient, cases), cases).passed
    result = run("numerical_gradient", gradcheck.numerical_gradient)
    assert result.status == "not yours" and "write it yourself" in result.message


# ------------------------------------------------------------------ neuron_loss_gradient

def _s(z):
    return 1 / (1 + math.exp(-z))


def test_neuron_gradient_without_sigmoid_derivative():
    def neuron_loss_gradient(w, b, x, y):
        err = _s(w * x + b) - y
        return 2 * err * x, 2 * err
    assert_named(run("neuron_loss_gradient", neuron_loss_gradient), "sigmoid derivative missing", "s (1 - s)")


def test_neuron_gradient_without_the_2():
    def neuron_loss_gradient(w, b, x, y):
        s = _s(w * x + b)
        db = (s - y) * s * (1 - s)
        return x * db, db
    assert_named(run("neuron_loss_gradient", neuron_loss_gradient), "factor 2 of the square missing",
                 "factor 2")


def test_neuron_gradient_sigmoid_derivative_of_the_input():
    def neuron_loss_gradient(w, b, x, y):
        z = w * x + b
        dz = 2 * (_s(z) - y) * (z - z * z)
        return dz * x, dz
    assert_named(run("neuron_loss_gradient", neuron_loss_gradient), "sigmoid derivative from z instead of s",
                 "the output")


def test_neuron_gradient_dw_equals_db():
    def neuron_loss_gradient(w, b, x, y):
        s = _s(w * x + b)
        g = 2 * (s - y) * s * (1 - s)
        return g, g
    assert_named(run("neuron_loss_gradient", neuron_loss_gradient), "dL/dw without the factor x",
                 "dz/dw = x")


def test_neuron_gradient_sign():
    def neuron_loss_gradient(w, b, x, y):
        s = _s(w * x + b)
        g = 2 * (y - s) * s * (1 - s)
        return g * x, g
    assert_named(run("neuron_loss_gradient", neuron_loss_gradient), "sign flipped", "wrong sign")


def test_neuron_gradient_learner_correct_with_value_engine():
    def neuron_loss_gradient(w, b, x, y):
        wv, bv = Value(w), Value(b)
        loss = ((wv * x + bv).sigmoid() - y) ** 2
        loss.backward()
        return wv.grad, bv.grad
    assert run("neuron_loss_gradient", neuron_loss_gradient).passed


# ------------------------------------------------------------------ the references

@given(seed=seeds, shape=st.sampled_from([(1,), (4,), (2, 3), (3, 1)]),
       kind=st.sampled_from(["sum of squares", "closure", "quadratic form", "product and exp"]))
def test_reference_numerical_gradient_matches_the_package_and_restores_x(seed, shape, kind):
    if kind == "quadratic form" and len(shape) == 1:
        shape = (1,) + shape
    x = normal(seed, shape, 0.5)
    before = x.copy()
    f = checks._function(kind, x)
    ours = reference.numerical_gradient(f, x, 1e-5)
    assert np.array_equal(x, before)
    assert np.allclose(ours, gradcheck.numerical_gradient(f, x, 1e-5), rtol=1e-7, atol=1e-9)


@given(w=st.floats(-3, 3), b=st.floats(-3, 3), x=st.floats(-3, 3), y=st.floats(0, 1))
def test_reference_neuron_gradient_matches_the_value_engine(w, b, x, y):
    wv, bv = Value(w), Value(b)
    (((wv * x + bv).sigmoid() - y) ** 2).backward()
    dw, db = reference.neuron_loss_gradient(w, b, x, y)
    assert math.isclose(dw, wv.grad, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(db, bv.grad, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("exercise", ["forward_difference", "central_difference"])
def test_difference_cases_tell_forward_from_central(exercise):
    """On every case the two estimates differ beyond the check's tolerance, so a mix-up always shows."""
    for case in checks.EXERCISES[exercise].cases():
        fwd, cen = reference.forward_difference(*case.args), reference.central_difference(*case.args)
        assert not np.isclose(fwd, cen, rtol=1e-6, atol=1e-9), case.label


def test_reference_rel_error_matches_the_package():
    for case in checks.EXERCISES["rel_error"].cases():
        assert reference.rel_error(*case.args) == pytest.approx(gradcheck.rel_error(*case.args), rel=1e-12)


def test_the_handed_back_reference_is_not_passed_off_as_the_learners(capsys):
    def rel_error(a, b):
        raise NotImplementedError()
    handed_back = checks.check_rel_error(rel_error)
    capsys.readouterr()
    checks.check_rel_error(handed_back)
    assert "still the reference implementation" in capsys.readouterr().out


def test_a_name_error_gets_a_hint():
    def central_difference(f, x, h):
        slope = (f(x + h) - f(x - h)) / (2 * h)
        return derivative                                   # noqa: F821 - the typo is the test
    result = run("central_difference", central_difference)
    assert "return line" in result.message


def test_rel_error_must_leave_its_inputs_alone():
    def rel_error(a, b):
        a -= b
        np.abs(a, out=a)
        return float(np.max(a / np.maximum(1e-8, np.abs(a + b) + np.abs(b))))
    result = run("rel_error", rel_error)
    assert not result.passed and "changed its input a in place" in result.message


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Written the way a learner might, not as the catalogue's own implementation; each must get the named
# mistake on the notebook's cases and on the grader's hidden ones.

EXERCISES = checks.EXERCISES


def _gradient_loop(f, x, h, step):
    """A learner's loop over the elements; ``step(f, x, idx, old, h)`` gives grad[idx]."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        old = float(x[idx])
        grad[idx] = step(f, x, idx, old, h)
        it.iternext()
    return grad


def _at(f, x, idx, value, old):
    x[idx] = value
    out = f(x)
    x[idx] = old
    return out


def ng_one_sided(f, x, h=1e-5):
    return _gradient_loop(f, x, h, lambda f, x, i, old, h: (_at(f, x, i, old + h, old) - f(x)) / h)


def ng_divided_by_h(f, x, h=1e-5):
    return _gradient_loop(f, x, h, lambda f, x, i, old, h: (_at(f, x, i, old + h, old) - _at(f, x, i, old - h, old)) / h)


def ng_precedence(f, x, h=1e-5):
    return _gradient_loop(f, x, h, lambda f, x, i, old, h: (_at(f, x, i, old + h, old) - _at(f, x, i, old - h, old)) / 2 * h)


def ng_reversed(f, x, h=1e-5):
    return _gradient_loop(f, x, h, lambda f, x, i, old, h: (_at(f, x, i, old - h, old) - _at(f, x, i, old + h, old)) / (2 * h))


def ng_drifting(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        x[idx] += h
        plus = f(x)
        x[idx] -= 2 * h
        minus = f(x)
        x[idx] += 2 * h            # meant to go back, goes to x + h
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def ng_copies(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[idx] = h
        grad[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def ng_h_once(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        x[idx] = x[idx] + h
        plus = f(x)
        x[idx] = x[idx] - h
        minus = f(x)
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def _neuron_output(w, b, x):
    return 1 / (1 + math.exp(-(w * x + b)))


def nlg_db_times_x(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * s * (1 - s)
    return g * x, g * x


def nlg_dz_dw_is_w(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * s * (1 - s)
    return g * w, g


def nlg_derivative_squared(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * (1 - s) ** 2
    return g * x, g


def nlg_db_without_sigmoid_derivative(w, b, x, y):
    s = _neuron_output(w, b, x)
    return 2 * (s - y) * s * (1 - s) * x, 2 * (s - y)


def nlg_half(w, b, x, y):
    s = _neuron_output(w, b, x)
    return (s - y) * s * (1 - s) * x, 2 * (s - y) * s * (1 - s)


def nlg_from_z(w, b, x, y):
    z = w * x + b
    g = 2 * (_neuron_output(w, b, x) - y) * z * (1 - z)
    return g * x, g


def nlg_reversed_sign_in_dw(w, b, x, y):
    s = _neuron_output(w, b, x)
    return 2 * (y - s) * s * (1 - s) * x, 2 * (s - y) * s * (1 - s)


def nlg_no_x(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * s * (1 - s)
    return float(g), float(g)


NAMED = [
    ("forward_difference", lambda f, x, h: (f(x) - f(x + h)) / h, "difference reversed"),
    ("forward_difference", lambda f, x, h: h * (f(x + h) - f(x)), "multiplied by h instead of divided"),
    ("forward_difference", lambda f, x, h: f(x + h) - f(x) / h, "missing parentheses around the difference"),
    ("forward_difference", lambda f, x, h: (f(x + h) - f(x - h)) / (h + h), "forward and central difference mixed up"),
    ("central_difference", lambda f, x, h: -(f(x + h) - f(x - h)) / (2 * h), "x + h and x - h swapped"),
    ("central_difference", lambda f, x, h: (f(x + h) - f(x - h)) / h, "divided by h instead of 2h"),
    ("central_difference", lambda f, x, h: 0.5 * (f(x + h) - f(x - h)), "not divided by h"),
    ("central_difference", lambda f, x, h: f(x + h) - f(x - h) / (h * 2), "missing parentheses around the difference"),
    ("central_difference", lambda f, x, h: (f(x + h) - f(x)) / (2 * h), "forward and central difference mixed up"),
    ("rel_error", lambda a, b: np.max(np.abs(a - b) / np.max(1e-8, abs(a) + abs(b))), "np.max instead of np.maximum"),
    ("rel_error", lambda a, b: np.max(abs(a - b) / max(1e-8, abs(a) + abs(b))), "max() instead of np.maximum"),
    ("rel_error", lambda a, b: (np.abs(a - b) / (np.abs(a) + np.abs(b))).max(),
     "relative error without the max/abs guard (division by zero)"),
    ("rel_error", lambda a, b: np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8), "worst element not taken"),
    ("rel_error", lambda a, b: np.sum(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)), "sum instead of max"),
    ("rel_error", lambda a, b: np.max(np.abs(a - b)) / np.max(np.maximum(1e-8, np.abs(a) + np.abs(b))),
     "max of the top over max of the bottom"),
    ("rel_error", lambda a, b: (np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)).mean(), "mean instead of max"),
    ("numerical_gradient", ng_one_sided, "forward and central difference mixed up"),
    ("numerical_gradient", ng_divided_by_h, "divided by h instead of 2h"),
    ("numerical_gradient", ng_precedence, "2*h without parentheses"),
    ("numerical_gradient", ng_reversed, "difference reversed"),
    ("numerical_gradient", ng_drifting, "numerical_gradient not restoring x"),
    ("numerical_gradient", ng_copies, "perturbed a copy of x"),
    ("numerical_gradient", ng_h_once, "h applied once instead of 2h"),
    ("neuron_loss_gradient", nlg_db_times_x, "dL/db with a factor x"),
    ("neuron_loss_gradient", nlg_dz_dw_is_w, "dz/dw = w instead of x"),
    ("neuron_loss_gradient", nlg_derivative_squared, "(1 - s)**2 instead of s (1 - s)"),
    ("neuron_loss_gradient", nlg_db_without_sigmoid_derivative, "sigmoid derivative missing"),
    ("neuron_loss_gradient", nlg_half, "factor 2 of the square missing"),
    ("neuron_loss_gradient", nlg_from_z, "sigmoid derivative from z instead of s"),
    ("neuron_loss_gradient", nlg_reversed_sign_in_dw, "sign flipped"),
    ("neuron_loss_gradient", nlg_no_x, "dL/dw without the factor x"),
    ("neuron_loss_gradient", lambda w, b, x, y: (lambda g: (g[1], g[0]))(_by_hand(w, b, x, y)),
     "outputs in the wrong order"),
]


def _by_hand(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * s * (1 - s)
    return g * x, g


@pytest.mark.parametrize("exercise, fn, mistake", NAMED, ids=[f"{e}: {m}" for e, _, m in NAMED])
@pytest.mark.parametrize("seed", [None, 3, 41])
def test_a_mistake_written_another_way_is_named_by_its_effect(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.status == "wrong" and result.mistake == mistake, result.message


def test_every_effect_of_the_lesson_is_tested():
    tested = {m for _, _, m in NAMED} | {"a name without a value", "more than the result returned", "an output missing", "1e-8 added instead of max(1e-8, ...)", "|a + b| instead of |a| + |b|",
                                         "sum instead of difference", "dL/db with a factor w", "changed an input in place", "single-number function on an array",
                                         "if or max() on a whole array", "nothing returned", "all zeros",
                                         "^ instead of **", "math.exp overflows"}
    effects = {e.name for ex in EXERCISES.values() for e in ex.effects}
    assert effects - tested == set()


def rel_error_loop(a, b):
    worst = 0.0
    for x, y in zip(np.ravel(a), np.ravel(b)):
        worst = max(worst, abs(x - y) / max(1e-8, abs(x) + abs(y)))
    return worst


CORRECT = [
    ("forward_difference", lambda f, x, h: (f(x + h) - f(x)) * (1 / h)),
    ("central_difference", lambda f, x, h: (f(x + h) - f(x - h)) / 2 / h),
    ("rel_error", lambda a, b: float(np.max(np.abs(a - b) / np.clip(np.abs(a) + np.abs(b), 1e-8, None)))),
    ("neuron_loss_gradient", _by_hand),
]


@pytest.mark.parametrize("exercise, fn", CORRECT)
@pytest.mark.parametrize("seed", [None, 8])
def test_harmless_rewrites_pass(exercise, fn, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.passed and "loop" not in result.message, result.message


def test_rel_error_with_a_loop_passes_with_a_note():
    result = EXERCISES["rel_error"].run(rel_error_loop)
    assert result.passed and "loop-free" in result.message


def nlg_db_times_w(w, b, x, y):
    s = _neuron_output(w, b, x)
    g = 2 * (s - y) * s * (1 - s)
    return g * x, g * w


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("rel_error", lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8)), "1e-8 added instead of max(1e-8, ...)"),
    ("rel_error", lambda a, b: np.max(np.abs(a - b) / np.maximum(a + b, 1e-8)), "|a + b| instead of |a| + |b|"),
    ("forward_difference", lambda f, x, h: (f(x + h) + f(x)) / h, "sum instead of difference"),
    ("central_difference", lambda f, x, h: (f(x + h) + f(x - h)) / (2 * h), "sum instead of difference"),
    ("neuron_loss_gradient", nlg_db_times_w, "dL/db with a factor w"),
])
@pytest.mark.parametrize("seed", [None, 17])
def test_more_slips_are_named(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.mistake == mistake, result.message


def test_a_missing_output_is_named():
    result = EXERCISES["neuron_loss_gradient"].run(lambda w, b, x, y: (_by_hand(w, b, x, y)[0],))
    assert result.mistake == "an output missing", result.message
