"""Tests of backprop_helpers.gradcheck.numerical: relative error, central differences, vector-Jacobian
products and the complex step; x restored bit for bit; bad input explained."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_helpers.gradcheck import (check_gradient, complex_step_gradient, numerical_gradient,
                                        numerical_vjp, rel_error)

from strategies import Boom, bits, normal, raising_after, seeds, small_shapes, smooth_case, smooth_names


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

@given(seed=seeds, shape=small_shapes, h=st.sampled_from([1e-5, 1e-3, 0.1]))
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

@given(name=smooth_names, seed=seeds, shape=small_shapes)
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

@given(name=smooth_names, seed=seeds, shape=small_shapes)
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
    (lambda: complex_step_gradient(lambda z: 0j, np.arange(3)), TypeError,
     r"complex_step_gradient: x must hold floating-point numbers"),
])
def test_bad_input_messages(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
