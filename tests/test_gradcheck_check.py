"""Tests of backprop_helpers.gradcheck: numerical derivatives, the checks and their reports."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from backprop_helpers import layers, losses
from backprop_helpers.gradcheck import (
    DEFAULT_H, DEFAULT_RTOL, Float32Warning, GradCheckReport, StepSizeErrors, check_gradient,
    check_gradient_directional, complex_step_gradient, numerical_gradient, numerical_vjp, rel_error,
    step_size_errors,
)

seeds = st.integers(min_value=0, max_value=2**31 - 1)
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def normal(seed, shape, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def bits(x):
    """The exact bytes of an array: equal bits means a bitwise restore."""
    return np.ascontiguousarray(x).tobytes()


#: closed-form scalar functions of x and their gradients
SMOOTH = {
    "quadratic": (lambda x, c: np.sum(c * x**2) + np.sum(x), lambda x, c: 2 * c * x + 1),
    "sin": (lambda x, c: np.sum(np.sin(c * x)), lambda x, c: c * np.cos(c * x)),
    "exp": (lambda x, c: np.sum(np.exp(c * x)), lambda x, c: c * np.exp(c * x)),
    "sigmoid_product": (lambda x, c: np.sum(c / (1 + np.exp(-x))) * np.sum(x**2),
                        lambda x, c: (c * np.exp(-x) / (1 + np.exp(-x)) ** 2) * np.sum(x**2)
                        + np.sum(c / (1 + np.exp(-x))) * 2 * x),
}


def smooth_case(name, seed, shape):
    f, df = SMOOTH[name]
    x = normal(seed, shape)
    c = np.random.default_rng(seed + 1).uniform(0.5, 1.5, shape)
    return (lambda z: f(z, c)), x, df(x, c)


# --------------------------------------------------------------------------- rel_error

def test_rel_error_values():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(1.0, -1.0) == 1.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(1e-12, 0.0) == pytest.approx(1e-4)          # the 1e-8 floor of the denominator
    assert isinstance(rel_error(np.float32(1), 2), float)
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert np.isnan(rel_error(np.array([np.nan]), np.array([1.0])))


def test_rel_error_bad_input():
    with pytest.raises(ValueError, match=r"rel_error: a and b must have the same shape, got "
                                         r"a.shape=\(2, 3\) and b.shape=\(3, 2\) \(one is the transpose"):
        rel_error(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="rel_error: a must be numbers"):
        rel_error("abc", 1.0)


# --------------------------------------------------------------------------- exact restore

def test_naive_restore_would_change_bits_but_numerical_gradient_does_not():
    # x[i] += h; x[i] -= h does not give x[i] back for most values: that is why the old value is stored
    x = normal(0, 50) * 1e3 + 0.1
    naive = x.copy()
    for i in range(naive.size):
        naive[i] += 1e-5
        naive[i] -= 2e-5
        naive[i] += 1e-5
    assert bits(naive) != bits(x)
    before = bits(x)
    numerical_gradient(lambda z: np.sum(z**2), x)
    assert bits(x) == before


@given(seed=seeds, shape=shapes, h=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_every_function_restores_x_bitwise(seed, shape, h):
    x = normal(seed, shape, scale=1e3)
    before = bits(x)
    numerical_gradient(lambda z: np.sum(np.sin(z)), x, h=h)
    assert bits(x) == before
    numerical_vjp(lambda z: np.tanh(z), x, normal(seed + 1, shape), h=h)
    assert bits(x) == before
    check_gradient(lambda z: np.sum(np.sin(z)), x, np.cos(x), h=h)
    assert bits(x) == before
    complex_step_gradient(lambda z: np.sum(np.sin(z)), x)
    assert bits(x) == before


class Boom(Exception):
    pass


def raising_after(n_calls, value=lambda z: float(np.sum(z**2))):
    """A function that works n_calls times, then raises (with x perturbed)."""
    calls = {"n": 0}

    def f(z):
        calls["n"] += 1
        if calls["n"] > n_calls:
            raise Boom("midway")
        return value(z)
    return f


@pytest.mark.parametrize("n_calls", [0, 1, 2, 5])
def test_restore_when_f_raises_midway(n_calls):
    x = normal(3, (3, 4)) * 7 + 0.1
    before = bits(x)
    with pytest.raises(Boom):
        numerical_gradient(raising_after(n_calls), x)
    assert bits(x) == before
    with pytest.raises(Boom):
        numerical_vjp(raising_after(n_calls, lambda z: z * 2), x, np.ones_like(x))
    assert bits(x) == before
    with pytest.raises(Boom):
        check_gradient(raising_after(n_calls), x, 2 * x)
    assert bits(x) == before


def test_f_sees_x_perturbed_in_place():
    # a function that ignores its argument and reads x through a closure works
    x = np.array([1.0, 2.0, 3.0])
    grad = numerical_gradient(lambda _: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


# --------------------------------------------------------------------------- numerical_gradient, vjp

@given(name=st.sampled_from(sorted(SMOOTH)), seed=seeds, shape=shapes)
def test_numerical_gradient_matches_closed_forms(name, seed, shape):
    f, x, grad = smooth_case(name, seed, shape)
    num = numerical_gradient(f, x)
    assert num.shape == x.shape and num.dtype == x.dtype
    np.testing.assert_allclose(num, grad, rtol=1e-6, atol=1e-7 * (1 + np.abs(grad).max()))


def test_numerical_gradient_of_a_quadratic_form(rng):
    A = rng.standard_normal((5, 5))
    x = rng.standard_normal(5)
    num = numerical_gradient(lambda z: 0.5 * z @ A @ z, x)
    np.testing.assert_allclose(num, 0.5 * (A + A.T) @ x, rtol=1e-8, atol=1e-9)


def test_numerical_gradient_of_a_0d_array():
    x = np.array(0.3)
    np.testing.assert_allclose(numerical_gradient(lambda z: float(np.sin(z)), x), np.cos(0.3), rtol=1e-9)


@given(seed=seeds, n=st.integers(1, 5), d=st.integers(1, 5), h_out=st.integers(1, 5))
def test_numerical_vjp_matches_the_jacobian(seed, n, d, h_out):
    rng = np.random.default_rng(seed)
    X, W, dout = rng.standard_normal((n, d)), rng.standard_normal((d, h_out)), rng.standard_normal((n, h_out))
    # out = tanh(X @ W): J^T dout = ((1 - out**2) * dout) @ W.T
    out = np.tanh(X @ W)
    expected = ((1 - out**2) * dout) @ W.T
    np.testing.assert_allclose(numerical_vjp(lambda z: np.tanh(z @ W), X, dout), expected,
                               rtol=1e-6, atol=1e-8)


def test_numerical_vjp_against_an_explicit_jacobian(rng):
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    dout = rng.standard_normal(4)
    # f(x) = A @ x**2 has Jacobian J[i, j] = 2 A[i, j] x[j]
    J = 2 * A * x[None, :]
    np.testing.assert_allclose(numerical_vjp(lambda z: A @ z**2, x, dout), J.T @ dout, rtol=1e-7)


def test_numerical_vjp_copes_with_f_returning_a_view_of_x():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(numerical_vjp(lambda z: z, x, np.array([3.0, 4.0])), [3.0, 4.0])


# --------------------------------------------------------------------------- complex step

@given(name=st.sampled_from(sorted(SMOOTH)), seed=seeds, shape=shapes)
def test_complex_step_is_exact_to_machine_precision(name, seed, shape):
    f, x, grad = smooth_case(name, seed, shape)
    cs = complex_step_gradient(f, x)
    assert cs.shape == x.shape
    assert np.max(np.abs(cs - grad) / np.maximum(1.0, np.abs(grad))) < 1e-13


def test_complex_step_on_float32_input_is_computed_in_double():
    x = np.array([0.5, 1.5], dtype=np.float32)
    cs = complex_step_gradient(lambda z: np.sum(np.exp(z)), x)
    np.testing.assert_allclose(cs, np.exp(x.astype(np.float64)), rtol=1e-14)


def test_complex_step_refuses_functions_that_are_not_complex_safe():
    x = np.array([0.3, -0.7])
    with pytest.raises(TypeError, match=r"complex_step_gradient: f failed on complex input \(TypeError"):
        complex_step_gradient(lambda z: float(complex(z[0])) ** 2 + float(complex(z[1])), x)
    with pytest.raises(TypeError, match="complex_step_gradient: f failed on complex input .*ComplexWarning"):
        complex_step_gradient(lambda z: np.sum(z.astype(np.float64) ** 2), x)
    with pytest.raises(TypeError, match="f returned a real value .* dropped the imaginary part"):
        complex_step_gradient(lambda z: np.sum(np.abs(z) ** 2), x)
    with pytest.raises(ValueError, match="every complex-step derivative is exactly 0, but central "
                                         "differences give .* not complex-safe"):
        complex_step_gradient(lambda z: np.sum(z.real**2) + 0j, x)


def test_complex_step_of_a_constant_is_zero():
    assert not complex_step_gradient(lambda z: np.sum(z * 0) + 1.0 + 0j, np.ones(3)).any()


# --------------------------------------------------------------------------- check_gradient

@given(name=st.sampled_from(sorted(SMOOTH)), seed=seeds, shape=shapes,
       method=st.sampled_from(["central", "complex"]))
def test_check_gradient_passes_correct_gradients(name, seed, shape, method):
    f, x, grad = smooth_case(name, seed, shape)
    report = check_gradient(f, x, grad, method=method)
    assert report.passed, str(report)
    assert report.max_rel_error <= DEFAULT_RTOL["float64"]
    assert report.num_checked == x.size and report.kinks == ()
    assert report.verdict in ("good", "acceptable only if the function has kinks")


WRONG = {
    "sign flip": lambda g, x: -g,
    "factor of 2": lambda g, x: 2 * g,
    "missing term": lambda g, x: g - 0.05 * np.cos(x),
}


@given(name=st.sampled_from(sorted(SMOOTH)), bug=st.sampled_from(sorted(WRONG)), seed=seeds,
       shape=shapes)
def test_check_gradient_flags_wrong_gradients(name, bug, seed, shape):
    f, x, grad = smooth_case(name, seed, shape)
    wrong = WRONG[bug](grad, x)
    bad_enough = np.abs(wrong - grad) > 1e-3 * (np.abs(grad) + 1e-3)
    assume(bad_enough.any())          # not, e.g., a sign flip of a gradient that is 0 everywhere
    report = check_gradient(f, x, wrong)
    assert not report.passed
    assert report.num_failed >= 1
    assert report.kinks == ()          # a bug in a smooth function is never excused as a kink


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


def test_complex_method_flags_wrong_gradients_too(rng):
    x = rng.standard_normal(5)
    report = check_gradient(lambda z: np.sum(np.exp(z)), x, np.exp(x) * 1.001, method="complex")
    assert not report.passed and report.method == "complex" and report.h == 1e-20
    assert report.max_rel_error == pytest.approx(0.001 / 2.001, rel=1e-9)


def test_atol_excuses_small_absolute_differences():
    c, x = np.array([1.0, 1e-4]), np.array([0.3, 0.4])
    wrong = np.array([1.0, 2e-4])
    assert not check_gradient(lambda z: float(c @ z), x, wrong).passed
    assert check_gradient(lambda z: float(c @ z), x, wrong, atol=1e-3).passed


def test_check_gradient_flags_a_transposed_gradient(rng):
    X, dout, W = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), rng.standard_normal((3, 3))
    f = lambda w: np.sum((X @ w) * dout)                    # noqa: E731
    dW = X.T @ dout
    assert check_gradient(f, W, dW).passed
    report = check_gradient(f, W, dW.T)
    assert not report.passed
    assert "transpose" in report.hint


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


def test_noise_floor_excuses_gradients_that_are_both_round_off():
    # f is ~1e4 but one element's gradient is ~1e-9: central differences cannot resolve it
    w = np.array([1.0, 1e-9])
    x = np.array([1e4, 0.3])
    f = lambda z: float(z[0] + w[1] * z[1])                # noqa: E731
    report = check_gradient(f, x, np.array([1.0, 3e-9]))
    assert report.passed, str(report)
    # ... while the same mismatch on a function of size 1 is a real error
    assert not check_gradient(lambda z: float(w @ z), np.array([0.2, 0.3]), np.array([1.0, 3e-3])).passed


def test_truncation_error_alone_does_not_fail_a_correct_gradient():
    # f = x**3 near 0: the central difference is 3x^2 + h^2, a relative error of ~1 at x = 1e-6
    x = np.array([1e-6, -2e-6, 0.5])
    report = check_gradient(lambda z: float(np.sum(z**3)), x, 3 * x**2)
    assert report.passed, str(report)


@given(seed=seeds, num_checks=st.integers(1, 30))
def test_num_checks_samples_elements_reproducibly(seed, num_checks):
    f, x, grad = smooth_case("sin", seed, (5, 4))
    report = check_gradient(f, x, grad, num_checks=num_checks, seed=seed)
    assert report.num_checked == min(num_checks, 20)
    again = check_gradient(f, x, grad, num_checks=num_checks, seed=seed)
    assert report.index == again.index and report.max_rel_error == again.max_rel_error
    wrong = grad.copy()
    wrong[report.index] += 1.0
    assert not check_gradient(f, x, wrong, num_checks=num_checks, seed=seed).passed


# --------------------------------------------------------------------------- kinks

def relu_sum(w):
    return lambda z: float(np.sum(np.maximum(z, 0.0) * w))


@pytest.mark.parametrize("at", [1e-7, -1e-7, 0.0, 3e-6, -4e-6, 7e-6, 9e-6])
def test_a_relu_kink_within_h_is_reported_as_a_kink(at):
    x = np.array([at, 0.8, -0.4])
    w = np.array([1.5, -2.0, 0.7])
    report = check_gradient(relu_sum(w), x, (x > 0) * w, h=1e-5)
    assert report.passed, str(report)
    assert report.kinks == ((0,),)
    assert "kink" in report.verdict and "not a bug" in report.verdict
    assert "Kinks crossed by the step" in str(report)


def test_without_kink_detection_the_relu_check_would_fail():
    # the central difference straddling the kink is about half the slope: a relative error of 1/3
    x, w = np.array([1e-7]), np.array([1.0])
    num = numerical_gradient(relu_sum(w), x)
    assert rel_error(num, (x > 0) * w) > 0.3


@pytest.mark.parametrize("f, grad", [
    (lambda z: float(np.sum(np.abs(z))), lambda x: np.sign(x)),
    (lambda z: float(np.sum(np.maximum(z, 0.01 * z))), lambda x: np.where(x > 0, 1.0, 0.01)),
    (lambda z: float(np.sum(np.maximum(np.sin(z), z / 2))),       # kink where sin z = z/2
     lambda x: np.where(np.sin(x) > x / 2, np.cos(x), 0.5)),
    (lambda z: float(np.sum(np.tanh(np.maximum(z, 0.0)) * np.arange(1, z.size + 1))),
     lambda x: (x > 0) * (1 - np.tanh(np.maximum(x, 0)) ** 2) * np.arange(1, x.size + 1)),
])
def test_kinks_of_abs_max_and_composites(f, grad):
    x = np.array([1e-7, -3e-6, 0.6, -0.9])
    report = check_gradient(f, x, grad(x))
    assert report.passed, str(report)
    assert len(report.kinks) >= 1 and (2,) not in report.kinks and (3,) not in report.kinks


def test_a_kink_with_a_small_jump_next_to_a_large_gradient():
    # several ReLU inputs exactly at 0 (dead rows, zero bias) all cross with b; their slope change is
    # 1e-4 of the gradient, far more than round-off but far less than the gradient itself
    Z = np.array([[0.5, -1.0], [0.0, 0.0], [0.0, 0.0], [-0.2, 0.7]])
    C = np.array([[1e-3, 2e-3], [1e-4, 3e-4], [2e-4, 1e-4], [4e-3, 1e-3]])
    b = np.zeros(2)
    f = lambda z: float(np.sum(np.maximum(Z + z, 0.0) * C) + 10 * np.sum(np.sin(z + 1)))  # noqa: E731
    grad = np.sum((Z + b > 0) * C, axis=0) + 10 * np.cos(b + 1)
    report = check_gradient(f, b, grad)
    assert report.passed, str(report)
    assert report.kinks == ((0,), (1,))
    assert not check_gradient(f, b, grad + [0, 1e-3]).passed


def test_a_network_with_dead_units_and_zero_biases_passes(rng):
    # hidden width 1: its ReLU is dead for some examples, so the next layer's inputs are exactly
    # b2 = 0 there, and nudging b2 crosses those kinks
    from backprop_helpers.network import MLP
    model = MLP((1, 1, 5, 3), activation="relu", loss="mse", seed=250, regularization="l1",
                reg_strength=0.1)
    X = np.random.default_rng(251).standard_normal((6, 1))
    y = np.random.default_rng(252).standard_normal((6, 3))
    model.loss(X, y)
    grads = {k: v.copy() for k, v in model.backward().items()}
    kinks = 0
    for name in model.params:
        report = check_gradient(lambda _: model.loss(X, y), model.params[name], grads[name])
        assert report.passed, f"{name}: {report}"
        kinks += len(report.kinks)
    assert kinks > 0


def test_directional_check_at_a_point_exactly_on_several_kinks_is_inconclusive(rng):
    # every row of A @ p is exactly 0: a random direction turns some rows on for +h and the
    # others for -h, so the two one-sided slopes differ and the (correct) gradient 0 matches neither
    A, c = rng.standard_normal((6, 5)), rng.uniform(1, 2, 6)
    p = np.zeros(5)
    report = check_gradient_directional(lambda q: float(np.maximum(A @ q, 0) @ c), p, np.zeros(5))
    assert not report.passed
    assert report.num_failed == 0 and len(report.unmatched_kinks) == 10
    assert report.verdict.startswith("inconclusive: every direction crossed kinks")


def test_a_wrong_gradient_at_a_kink_still_fails():
    x = np.array([1e-7, 0.8])
    w = np.array([1.5, -2.0])
    wrong = np.array([3.0, -2.0])            # matches neither slope (1.5 on the right, 0 on the left)
    report = check_gradient(relu_sum(w), x, wrong)
    assert not report.passed
    assert report.unmatched_kinks == ((0,),) and report.kinks == ()
    assert "neither" in str(report)
    # a kink elsewhere does not hide a bug in a smooth element
    report = check_gradient(relu_sum(w), x, np.array([1.5, 2.0]))
    assert not report.passed and report.kinks == ((0,),) and report.index == (1,)


# --------------------------------------------------------------------------- float32

def test_float32_warns_and_uses_float32_tolerances():
    assert issubclass(Float32Warning, UserWarning)
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    with pytest.warns(Float32Warning, match="float32.*round-off.*float64"):
        report = check_gradient(lambda z: np.sum(np.sin(z)), x, np.cos(x))
    assert report.passed, str(report)
    assert report.dtype == "float32" and report.h == DEFAULT_H["float32"]
    assert report.rtol == DEFAULT_RTOL["float32"]
    assert "bands are for float64" in report.verdict
    with pytest.warns(Float32Warning, match="numerical_gradient: x is float32"):
        numerical_gradient(lambda z: np.sum(z), x, h=1e-2)


def test_float32_function_values_warn():
    x = np.array([0.1, 0.2])
    with pytest.warns(Float32Warning, match="check_gradient: f returns float32"):
        check_gradient(lambda z: np.float32(np.sum(z**2)), x, 2 * x)


def test_float32_directional_check_warns_and_restores(rng):
    params = {"W": rng.standard_normal((6, 5)).astype(np.float32),
              "b": rng.standard_normal(5).astype(np.float32)}
    before = {k: bits(v) for k, v in params.items()}
    grads = {"W": 1 - np.tanh(params["W"]) ** 2, "b": 2 * params["b"]}
    f = lambda p: float(np.sum(np.tanh(p["W"])) + np.sum(p["b"] ** 2))     # noqa: E731
    with pytest.warns(Float32Warning, match="check_gradient_directional: params are float32"):
        report = check_gradient_directional(f, params, grads)
    assert report.passed and report.dtype == "float32", str(report)
    assert {k: bits(v) for k, v in params.items()} == before


def test_float64_does_not_warn(rng):
    x = rng.standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_gradient(lambda z: np.sum(z**2), x, 2 * x)
        check_gradient_directional(lambda p: np.sum(p**2), x, 2 * x)


# --------------------------------------------------------------------------- directional

def quadratic_params(seed, sizes):
    """Parameters, a quadratic-plus-sine f of them, and its exact gradient."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in sizes.items()}
    a = {k: rng.uniform(0.5, 2.0, s) for k, s in sizes.items()}

    def f(p):
        return sum(0.5 * float(np.vdot(a[k], p[k] ** 2)) + float(np.sum(np.sin(p[k]))) for k in p)
    grads = {k: a[k] * params[k] + np.cos(params[k]) for k in params}
    return f, params, grads


@given(seed=seeds, d=st.integers(1, 6), h_out=st.integers(1, 6), k=st.integers(1, 12))
def test_directional_check_passes_correct_gradients(seed, d, h_out, k):
    f, params, grads = quadratic_params(seed, {"W1": (d, h_out), "b1": (h_out,)})
    before = {key: bits(v) for key, v in params.items()}
    report = check_gradient_directional(f, params, grads, num_directions=k, seed=seed)
    assert report.passed, str(report)
    assert report.method == "directional" and report.num_checked == k and len(report.errors) == k
    assert {key: bits(v) for key, v in params.items()} == before       # restored bitwise
    assert str(report).startswith(f"Gradient check passed: {k} random direction")


@settings(max_examples=20)
@given(seed=seeds, where=st.integers(0, 99_999), error=st.sampled_from([1.0, -0.5, 0.1]))
def test_directional_check_catches_one_wrong_element_in_100k(seed, where, error):
    # Each Rademacher direction v has every entry +-1/sqrt(P): a wrong entry g_j + e moves <g, v> by
    # exactly +-e/sqrt(P) (3.2e-3 e here) in *every* direction, never by ~0 as with a Gaussian
    # direction (whose j-th entry can be tiny) or a sparse one (which misses j entirely). So the
    # bug is caught when that shift beats both tolerances, in every direction at once:
    # - relative: <g, v> is a sum of P random-sign terms, about RMS(g) |Z| = 1.5 |Z| with Z standard
    #   normal, so the relative error is about 1e-3 |e| / |Z|, above rtol = 1e-5 unless |Z| > 10;
    # - absolute: the round-off floor 16 eps |f| / h (times 3 after the second look at h/2) is
    #   about 7e-5 for this f (|f| ~ 6e4), below the shift 3.2e-4 for |e| >= 0.1.
    # A bug much smaller than that is below what finite differences of this f can resolve.
    f, params, grads = quadratic_params(seed, {"w": (100_000,)})
    wrong = {"w": grads["w"].copy()}
    wrong["w"][where] += error
    report = check_gradient_directional(f, params, wrong, seed=seed)
    assert not report.passed
    assert report.num_failed == report.num_checked == 10


def test_directional_check_on_a_network(rng):
    from backprop_helpers.network import MLP
    model = MLP((3, 8, 8, 4), activation="tanh", seed=1)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    model.loss(X, y)
    grads = {k: v.copy() for k, v in model.backward().items()}
    before = {k: bits(v) for k, v in model.params.items()}
    report = check_gradient_directional(lambda _: model.loss(X, y), model.params, grads, num_directions=20)
    assert report.passed, str(report)
    assert {k: bits(v) for k, v in model.params.items()} == before
    grads["b2"][3] *= -1
    assert not check_gradient_directional(lambda _: model.loss(X, y), model.params, grads).passed


def test_directional_check_restores_params_when_f_raises():
    f, params, grads = quadratic_params(5, {"W": (4, 3), "b": (3,)})
    before = {k: bits(v) for k, v in params.items()}
    for n_calls in (0, 1, 2, 7):
        with pytest.raises(Boom):
            check_gradient_directional(raising_after(n_calls, f), params, grads)
        assert {k: bits(v) for k, v in params.items()} == before


def test_directional_check_detects_kinks():
    w = np.array([1.5, -2.0, 0.7])
    x = np.array([1e-8, 0.8, -0.4])
    report = check_gradient_directional(relu_sum(w), x, (x > 0) * w, num_directions=20, h=1e-5)
    assert report.passed, str(report)


# --------------------------------------------------------------------------- step sizes

def test_step_size_errors_show_the_v():
    hs = np.logspace(-20, 0, 21)
    r = step_size_errors(np.sin, np.cos, 1.0, hs)
    assert isinstance(r, StepSizeErrors) and r.forward.shape == r.central.shape == (21,)
    def at(h):
        return int(np.argmin(np.abs(np.log10(hs) - np.log10(h))))
    i5, i12, i1, i20 = at(1e-5), at(1e-12), at(1.0), at(1e-20)
    assert r.central[i5] < 1e-9 and r.central[i5] < r.central[i12] and r.central[i5] < r.central[i1]
    assert r.forward[at(1e-8)] < 1e-7 and r.forward[at(1e-8)] < r.forward[i5] and r.forward[i20] == 1.0
    assert r.complex_step[i20] < 1e-15
    r32 = step_size_errors(np.sin, np.cos, 1.0, hs, dtype=np.float32)
    assert r32.central.min() > 1e-7 and r32.complex_step[i20] < 1e-6     # float32 cannot do better
    assert np.argmin(r32.central) > np.argmin(r.central)                  # its best h is larger


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, exc, message", [
    (lambda: numerical_gradient(lambda z: 0.0, [1.0, 2.0]), TypeError,
     r"numerical_gradient: x must be a numpy array of floats \(it is perturbed in place\), got a list"),
    (lambda: numerical_gradient(lambda z: 0.0, np.arange(3)), TypeError,
     r"numerical_gradient: x must hold floating-point numbers .* got dtype int64; convert it"),
    (lambda: numerical_gradient(lambda z: 0.0, np.ones(2), h=0), ValueError,
     r"numerical_gradient: h must be a finite number > 0, got 0"),
    (lambda: numerical_gradient(lambda z: 0.0, np.ones(2), h=-1e-5), ValueError,
     r"numerical_gradient: h must be a finite number > 0, got -1e-05"),
    (lambda: numerical_gradient(lambda z: z * 2, np.ones(2)), TypeError,
     r"numerical_gradient: f must return a real scalar \(the loss\), got an array of dtype float64 and "
     r"shape \(2,\); for an array-valued f use numerical_vjp"),
    (lambda: numerical_gradient(lambda z: np.inf if z[0] < 0 else 0.0, np.array([0.0])), ValueError,
     r"numerical_gradient: f returned inf at x\[0\] - h; it must be finite near x"),
    (lambda: numerical_gradient(lambda z: 1j, np.ones(2)), TypeError,
     r"numerical_gradient: f must return a real scalar .* got complex 1j; a loss is real"),
    (lambda: numerical_gradient(lambda: 0.0, np.ones(2)), TypeError,
     r"numerical_gradient: f must accept one argument, the array .* signature is \(\); write `lambda x"),
    (lambda: numerical_gradient("loss", np.ones(2)), TypeError,
     r"numerical_gradient: f must be a function of the array, got str 'loss'"),
    (lambda: numerical_gradient(lambda z: 0.0, np.ones(2), h=1e-30), ValueError,
     r"numerical_gradient: h=1e-30 is too small for x\[0\]=1 in float64: the step rounds to 0"),
    (lambda: numerical_gradient(lambda z: 0.0, np.broadcast_to(np.ones(1), (3,))), ValueError,
     r"numerical_gradient: x is read-only, but it is perturbed in place"),
    (lambda: numerical_vjp(lambda z: z, np.ones(3), np.ones(2)), ValueError,
     r"numerical_vjp: f returned shape \(3,\) but dout has shape \(2,\)"),
    (lambda: check_gradient(lambda z: 0.0, np.ones((2, 3)), np.ones((3, 2))), ValueError,
     r"check_gradient: analytic must have the shape of x \(2, 3\), got analytic.shape=\(3, 2\) "
     r"\(it is transposed\)"),
    (lambda: check_gradient(lambda z: np.ones(3), np.ones(3), np.ones(3)), TypeError,
     r"check_gradient: f must return a real scalar"),
    (lambda: check_gradient(lambda z: 0.0, np.ones(3), np.ones(3), num_checks=0), ValueError,
     r"check_gradient: num_checks must be an integer >= 1, got 0"),
    (lambda: check_gradient(lambda z: 0.0, np.ones(3), np.ones(3), num_checks=2.5), TypeError,
     r"check_gradient: num_checks must be an integer, got float 2.5"),
    (lambda: check_gradient(lambda z: 0.0, np.ones(3), np.ones(3), method="forward"), ValueError,
     r"check_gradient: method must be one of \['central', 'complex'\], got 'forward'"),
    (lambda: check_gradient(lambda z: 0.0, np.ones(3), np.array([1.0, np.nan, 0.0])), ValueError,
     r"check_gradient: analytic must hold only finite numbers, but analytic\[1\] = nan"),
    (lambda: check_gradient(lambda z: 0.0, np.ones(3), np.ones(3), rtol=0), ValueError,
     r"check_gradient: rtol must be a finite number > 0, got 0"),
    (lambda: check_gradient(raising_after(0), np.ones(3), np.ones(3), h=-1), ValueError,
     r"check_gradient: h must be a finite number > 0, got -1"),          # before f is called
    (lambda: check_gradient_directional(raising_after(0), np.ones(3), np.ones(3), h=0.0), ValueError,
     r"check_gradient_directional: h must be a finite number > 0, got 0.0"),
    (lambda: complex_step_gradient(lambda z: 0j, np.arange(3)), TypeError,
     r"complex_step_gradient: x must hold floating-point numbers"),
    (lambda: check_gradient_directional(lambda p: 0.0, [1.0], [1.0]), TypeError,
     r"check_gradient_directional: params must be a numpy array or a dict of arrays \(like "
     r"model.params\), got a list"),
    (lambda: check_gradient_directional(lambda p: 0.0, {"W": np.ones(2)}, {"b": np.ones(2)}), ValueError,
     r"check_gradient_directional: grads must have the keys of params; missing \['W'\], unexpected \['b'\]"),
    (lambda: check_gradient_directional(lambda p: 0.0, {"W": np.ones(2)}, {"W": np.ones(3)}), ValueError,
     r"check_gradient_directional: grads\['W'\] has shape \(3,\) but params\['W'\] has shape \(2,\)"),
    (lambda: check_gradient_directional(lambda p: 0.0, np.ones(2), np.ones(2), num_directions=0),
     ValueError, r"check_gradient_directional: num_directions must be an integer >= 1, got 0"),
    (lambda: step_size_errors(np.sin, np.cos, 1.0, [1e-5, -1.0]), ValueError,
     r"step_size_errors: hs must hold finite steps > 0"),
    (lambda: step_size_errors(np.sin, np.cos, 1.0, [1e-5], dtype=int), TypeError,
     r"step_size_errors: dtype must be a float dtype"),
])
def test_bad_input_messages(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


# --------------------------------------------------------------------------- the course's layers and losses

def vjp_check(forward, x, dx, dout):
    """check_gradient of sum(forward(x) * dout) against the backward pass's dx."""
    return check_gradient(lambda _: float(np.sum(forward(x)[0] * dout)), x, dx)


activation_shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
ACTIVATIONS = {
    "relu": (layers.relu_forward, layers.relu_backward),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward),
    "tanh": (layers.tanh_forward, layers.tanh_backward),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward),
}


@given(seed=seeds, n=st.integers(1, 6), d=st.integers(1, 5), h_out=st.integers(1, 5))
def test_linear_backward_passes(seed, n, d, h_out):
    rng = np.random.default_rng(seed)
    X, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, h_out)), rng.standard_normal(h_out)
    dout = rng.standard_normal((n, h_out))
    dX, dW, db = layers.linear_backward(dout, layers.linear_forward(X, W, b)[1])
    for var, grad in ((X, dX), (W, dW), (b, db)):
        report = vjp_check(lambda _: layers.linear_forward(X, W, b), var, grad, dout)
        assert report.passed, str(report)


@given(name=st.sampled_from(sorted(ACTIVATIONS)), seed=seeds, shape=activation_shapes)
def test_activation_backward_passes_even_at_kinks(name, seed, shape):
    forward, backward = ACTIVATIONS[name]
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal(shape) * 2, rng.standard_normal(shape)
    x.flat[0] = 0.0                       # exactly at the ReLU's kink
    if x.size > 1:
        x.flat[1] = 1e-7                  # within h of it
    dx = backward(dout, forward(x)[1])
    report = vjp_check(forward, x, dx, dout)
    assert report.passed, str(report)
    if name == "relu" and dout.flat[0] != 0:
        assert (0,) * x.ndim in report.kinks


@given(seed=seeds, n=st.integers(1, 6), c=st.integers(1, 5))
def test_losses_pass(seed, n, c):
    rng = np.random.default_rng(seed)
    cases = [
        (losses.mse_loss, rng.standard_normal((n, c)), rng.standard_normal((n, c))),
        (losses.softmax_cross_entropy, rng.standard_normal((n, c)) * 3, rng.integers(0, c, n)),
        (losses.binary_cross_entropy, rng.uniform(0.05, 0.95, (n, 1)), rng.integers(0, 2, (n, 1)) * 1.0),
        (losses.sigmoid_binary_cross_entropy, rng.standard_normal((n, 1)) * 3,
         rng.integers(0, 2, (n, 1)) * 1.0),
    ]
    for loss_fn, inp, y in cases:
        report = check_gradient(lambda _: loss_fn(inp, y)[0], inp, loss_fn(inp, y)[1])
        assert report.passed, f"{loss_fn.__name__}: {report}"


@given(name=st.sampled_from(["tanh", "sigmoid"]), seed=seeds, shape=activation_shapes)
def test_smooth_activations_pass_the_complex_step(name, seed, shape):
    forward, backward = ACTIVATIONS[name]
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal(shape) * 2, rng.standard_normal(shape)
    dx = backward(dout, forward(x)[1])
    report = check_gradient(lambda z: np.sum(forward(z)[0] * dout), x, dx, method="complex")
    # 1e-9, not 1e-13: the analytic 1 - tanh(x)**2 itself cancels when tanh(x) is near +-1
    assert report.passed and report.max_rel_error < 1e-9, str(report)


def test_relu_is_refused_by_the_complex_step(rng):
    x = rng.standard_normal(3)
    with pytest.raises(TypeError, match="check_gradient: f failed on complex input .*relu_forward: x "
                                        "must be real"):
        check_gradient(lambda z: np.sum(layers.relu_forward(z)[0]), x, (x > 0) * 1.0, method="complex")


# The classic wrong backward passes, each written as a learner might.

def linear_backward_transposed_dW(dout, cache):
    X, W = cache
    return dout @ W.T, (X.T @ dout).T, dout.sum(axis=0)


def linear_backward_bias_mean(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.mean(axis=0)


def linear_backward_bias_first_row(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout[0]


def relu_backward_mask_on_dout(dout, cache):
    return dout * (dout > 0)


def sigmoid_backward_of_input(x):
    # the derivative s(1 - s) evaluated on the input x instead of the output s = sigmoid(x)
    return lambda dout, cache: dout * x * (1 - x)


def softmax_cross_entropy_without_mean(scores, y):
    loss, dscores = losses.softmax_cross_entropy(scores, y)
    return loss, dscores * scores.shape[0]


def mse_wrong_sign(y_hat, y):
    return losses.mse_loss(y_hat, y)[0], 2 * (y - y_hat) / y_hat.shape[0]


@given(seed=seeds)
@settings(max_examples=25)
def test_the_catalogue_of_wrong_backward_passes_is_flagged(seed):
    rng = np.random.default_rng(seed)
    N, D = 4, 3
    X, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, D)), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    cache = layers.linear_forward(X, W, b)[1]

    report = vjp_check(lambda _: layers.linear_forward(X, W, b), W,
                       linear_backward_transposed_dW(dout, cache)[1], dout)
    assert not report.passed and "transpose" in report.hint

    report = vjp_check(lambda _: layers.linear_forward(X, W, b), b,
                       linear_backward_bias_mean(dout, cache)[2], dout)
    assert not report.passed and "0.25 times the numerical one" in report.hint     # 1/N, N = 4

    report = vjp_check(lambda _: layers.linear_forward(X, W, b), b,
                       linear_backward_bias_first_row(dout, cache)[2], dout)
    assert not report.passed

    x = rng.standard_normal((4, 5))
    d5 = rng.standard_normal((4, 5))
    report = vjp_check(layers.relu_forward, x, relu_backward_mask_on_dout(d5, None), d5)
    assert not report.passed

    report = vjp_check(layers.sigmoid_forward, x, sigmoid_backward_of_input(x)(d5, None), d5)
    assert not report.passed

    scores, y = rng.standard_normal((N, 3)), rng.integers(0, 3, N)
    report = check_gradient(lambda _: losses.softmax_cross_entropy(scores, y)[0], scores,
                            softmax_cross_entropy_without_mean(scores, y)[1])
    assert not report.passed and "4 times the numerical one" in report.hint

    y_hat, target = rng.standard_normal((N, 2)), rng.standard_normal((N, 2))
    report = check_gradient(lambda _: losses.mse_loss(y_hat, target)[0], y_hat,
                            mse_wrong_sign(y_hat, target)[1])
    assert not report.passed and "wrong sign" in report.hint


def test_a_transposed_dW_of_a_rectangular_layer_is_a_shape_error(rng):
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((4, 2))
    dW = linear_backward_transposed_dW(dout, layers.linear_forward(X, W, b)[1])[1]
    with pytest.raises(ValueError, match=r"analytic must have the shape of x \(3, 2\), got "
                                         r"analytic.shape=\(2, 3\) \(it is transposed\)"):
        vjp_check(lambda _: layers.linear_forward(X, W, b), W, dW, dout)


def test_check_gradient_on_a_network_parameter(rng):
    from backprop_helpers.network import MLP
    model = MLP((2, 6, 3), activation="relu", seed=3, regularization="l2", reg_strength=0.1)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 3, 5)
    model.loss(X, y)
    grads = {k: v.copy() for k, v in model.backward().items()}
    for name in ("W1", "b1", "W2", "b2"):
        report = check_gradient(lambda _: model.loss(X, y), model.params[name], grads[name])
        assert report.passed, f"{name}: {report}"
