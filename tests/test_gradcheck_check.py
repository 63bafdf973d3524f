"""Tests of backprop_helpers.gradcheck.check: check_gradient (element by element) and
check_gradient_directional (along random directions) pass correct gradients, flag wrong ones, tell a
kink from a bug, warn about float32, and explain bad input."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_helpers import layers, losses
from backprop_helpers.gradcheck import (DEFAULT_H, DEFAULT_RTOL, Float32Warning, check_gradient,
                                        check_gradient_directional, numerical_gradient, rel_error)
from backprop_helpers.network import MLP

from strategies import (Boom, bits, raising_after, relu_sum, seeds, small_shapes, smooth_case,
                        smooth_names)


# --------------------------------------------------------------------------- check_gradient

@given(name=smooth_names, seed=seeds, shape=small_shapes,
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


@given(name=smooth_names, bug=st.sampled_from(sorted(WRONG)), seed=seeds,
       shape=small_shapes)
def test_check_gradient_flags_wrong_gradients(name, bug, seed, shape):
    f, x, grad = smooth_case(name, seed, shape)
    wrong = WRONG[bug](grad, x)
    bad_enough = np.abs(wrong - grad) > 1e-3 * (np.abs(grad) + 1e-3)
    assume(bad_enough.any())          # not, e.g., a sign flip of a gradient that is 0 everywhere
    report = check_gradient(f, x, wrong)
    assert not report.passed
    assert report.num_failed >= 1
    assert report.kinks == ()          # a bug in a smooth function is never excused as a kink


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


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, exc, message", [
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
    (lambda: check_gradient_directional(lambda p: 0.0, [1.0], [1.0]), TypeError,
     r"check_gradient_directional: params must be a numpy array or a dict of arrays \(like "
     r"model.params\), got a list"),
    (lambda: check_gradient_directional(lambda p: 0.0, {"W": np.ones(2)}, {"b": np.ones(2)}), ValueError,
     r"check_gradient_directional: grads must have the keys of params; missing \['W'\], unexpected \['b'\]"),
    (lambda: check_gradient_directional(lambda p: 0.0, {"W": np.ones(2)}, {"W": np.ones(3)}), ValueError,
     r"check_gradient_directional: grads\['W'\] has shape \(3,\) but params\['W'\] has shape \(2,\)"),
    (lambda: check_gradient_directional(lambda p: 0.0, np.ones(2), np.ones(2), num_directions=0),
     ValueError, r"check_gradient_directional: num_directions must be an integer >= 1, got 0"),
])
def test_bad_input_messages(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


# --------------------------------------------------------------------------- classic wrong backward passes

# Each written as a learner might; check_gradient must flag every one.

def vjp_check(forward, x, dx, dout):
    """check_gradient of sum(forward(x) * dout) against the backward pass's dx."""
    return check_gradient(lambda _: float(np.sum(forward(x)[0] * dout)), x, dx)


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
    model = MLP((2, 6, 3), activation="relu", seed=3, regularization="l2", reg_strength=0.1)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 3, 5)
    model.loss(X, y)
    grads = {k: v.copy() for k, v in model.backward().items()}
    for name in ("W1", "b1", "W2", "b2"):
        report = check_gradient(lambda _: model.loss(X, y), model.params[name], grads[name])
        assert report.passed, f"{name}: {report}"
