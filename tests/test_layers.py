"""Tests of backprop_helpers.layers: every forward/backward pair's values, shapes and cache, checked
numerically; the registry of activations and the one leaky slope."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_helpers import layers
from backprop_helpers.gradcheck import check_gradient, numerical_gradient
from backprop_helpers.layers import ACTIVATIONS, LEAKY_SLOPE

from strategies import ACTIVATION_NAMES, activation_shapes, linear_shapes, normal, seeds

#: name -> (the pair, the cache class, the function in closed form, its derivative in closed form)
PAIRS = {
    "relu": (layers.relu_forward, layers.relu_backward, layers.ReLUCache,
             lambda x: np.maximum(x, 0.0), lambda x: (x > 0) * 1.0),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward, layers.LeakyReLUCache,
                   lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
                   lambda x: np.where(x > 0, 1.0, LEAKY_SLOPE)),
    "tanh": (layers.tanh_forward, layers.tanh_backward, layers.TanhCache,
             np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, layers.SigmoidCache,
                lambda x: 1.0 / (1.0 + np.exp(-x)), lambda x: np.exp(-x) / (1.0 + np.exp(-x)) ** 2),
    "linear": (layers.identity_forward, layers.identity_backward, type(None),
               lambda x: x, lambda x: np.ones_like(x)),
}
WITH_CACHE = sorted(set(PAIRS) - {"linear"})


def vjp_check(forward, x, dx, dout):
    """check_gradient of sum(forward(x) * dout) against the backward pass's dx."""
    return check_gradient(lambda _: float(np.sum(forward(x)[0] * dout)), x, dx)


def linear_case(seed, shape):
    n, d, h = shape
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)), rng.standard_normal((d, h)), rng.standard_normal(h),
            rng.standard_normal((n, h)))


# --------------------------------------------------------------------------- linear

@given(shape=linear_shapes(), seed=seeds)
def test_linear_forward_values_shape_and_cache(shape, seed):
    X, W, b, _ = linear_case(seed, shape)
    before = [a.copy() for a in (X, W, b)]
    out, cache = layers.linear_forward(X, W, b)
    assert out.shape == (shape[0], shape[2])
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-14, atol=1e-14)
    assert isinstance(cache, layers.LinearCache) and cache._fields == ("X", "W")
    np.testing.assert_array_equal(cache.X, X)
    np.testing.assert_array_equal(cache.W, W)
    for a, a0 in zip((X, W, b), before):
        np.testing.assert_array_equal(a, a0)            # the inputs are left as they were


@given(shape=linear_shapes(), seed=seeds)
def test_linear_backward_values_and_shapes(shape, seed):
    X, W, b, dout = linear_case(seed, shape)
    dout0 = dout.copy()
    dX, dW, db = layers.linear_backward(dout, layers.linear_forward(X, W, b)[1])
    assert dX.shape == X.shape and dW.shape == W.shape and db.shape == b.shape
    np.testing.assert_allclose(dX, dout @ W.T, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(dW, X.T @ dout, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(dout, dout0)


@given(seed=seeds, n=st.integers(1, 6), d=st.integers(1, 5), h_out=st.integers(1, 5))
def test_linear_backward_passes(seed, n, d, h_out):
    rng = np.random.default_rng(seed)
    X, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, h_out)), rng.standard_normal(h_out)
    dout = rng.standard_normal((n, h_out))
    dX, dW, db = layers.linear_backward(dout, layers.linear_forward(X, W, b)[1])
    for var, grad in ((X, dX), (W, dW), (b, db)):
        report = vjp_check(lambda _: layers.linear_forward(X, W, b), var, grad, dout)
        assert report.passed, str(report)


def test_linear_pair_keeps_float32():
    X, W, b = (np.ones(s, dtype=np.float32) for s in ((2, 3), (3, 4), (4,)))
    out, cache = layers.linear_forward(X, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layers.linear_backward(np.ones_like(out), cache))


# --------------------------------------------------------------------------- activations

@pytest.mark.parametrize("name", sorted(PAIRS))
@settings(max_examples=30)
@given(shape=activation_shapes(), seed=seeds)
def test_activation_forward_values_shape_and_cache(name, shape, seed):
    forward, _, cache_type, f, _ = PAIRS[name]
    x = normal(seed, shape, scale=3.0)
    x0 = x.copy()
    out, cache = forward(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_allclose(out, f(x), rtol=1e-14, atol=1e-15)
    assert isinstance(cache, cache_type)
    np.testing.assert_array_equal(x, x0)
    if name in ("relu", "leaky_relu"):                  # these keep their input ...
        np.testing.assert_array_equal(cache.x, x)
    elif name in ("tanh", "sigmoid"):                   # ... these their output
        np.testing.assert_array_equal(cache.out, out)


@pytest.mark.parametrize("name", sorted(PAIRS))
@settings(max_examples=30)
@given(shape=activation_shapes(), seed=seeds)
def test_activation_backward_is_dout_times_the_local_derivative(name, shape, seed):
    forward, backward, _, _, df = PAIRS[name]
    x, dout = normal(seed, shape, scale=3.0), normal(seed + 1, shape)
    x.flat[0] = 0.0                                     # the kink, where the derivative is taken as
    dout0 = dout.copy()                                 # the slope on the left (0 for the ReLU)
    dx = backward(dout, forward(x)[1])
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dout * df(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(dout, dout0)


@given(name=st.sampled_from(WITH_CACHE), seed=seeds, shape=activation_shapes())
def test_activation_backward_passes_even_at_kinks(name, seed, shape):
    forward, backward = PAIRS[name][:2]
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


@given(name=st.sampled_from(["tanh", "sigmoid"]), seed=seeds, shape=activation_shapes())
def test_smooth_activations_pass_the_complex_step(name, seed, shape):
    forward, backward = PAIRS[name][:2]
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
    with pytest.raises(TypeError, match="leaky_relu_forward: x must be real"):
        layers.leaky_relu_forward(x + 0j)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_activation_pairs_keep_float32(name):
    forward, backward = PAIRS[name][:2]
    x = np.array([-2.0, 0.0, 0.5], dtype=np.float32)
    out, cache = forward(x)
    assert out.dtype == np.float32
    assert backward(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize("name", WITH_CACHE)
def test_backward_refuses_the_cache_of_another_layer(name):
    backward, cache_type = PAIRS[name][1], PAIRS[name][2]
    other = layers.linear_forward(np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))[1]
    with pytest.raises(TypeError, match=f"{backward.__name__}: cache must be the {cache_type.__name__}"):
        backward(np.ones(1), other)


def test_saturated_sigmoid_is_exact_and_has_finite_gradient():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    out, cache = layers.sigmoid_forward(x)
    assert np.all(np.isfinite(out)) and out[0] == 0.0 and out[-1] == 1.0 and out[2] == 0.5
    dx = layers.sigmoid_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx)) and dx[0] == 0.0 and dx[2] == 0.25


def test_tanh_saturates_cleanly():
    out, cache = layers.tanh_forward(np.array([-800.0, 800.0]))
    np.testing.assert_array_equal(out, [-1.0, 1.0])
    np.testing.assert_array_equal(layers.tanh_backward(np.ones(2), cache), [0.0, 0.0])


def test_sigmoid_is_stable_and_analytic():
    x = np.array([-800.0, -1.0, 0.0, 1.0, 800.0])
    with np.errstate(over="raise", invalid="raise"):     # no overflow on the way
        s = layers.sigmoid(x)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0], rtol=1e-15)
    # complex input gets the analytic formula, so the complex step differentiates it exactly
    h = 1e-20
    np.testing.assert_allclose(np.imag(layers.sigmoid(x[1:4] + 1j * h)) / h, s[1:4] * (1 - s[1:4]),
                               rtol=1e-14)


def test_identity_pair_passes_values_and_gradients_through():
    x, dout = np.array([[1.0, -2.0]]), np.array([[0.5, 3.0]])
    out, cache = layers.identity_forward(x)
    assert out is x and cache is None
    assert layers.identity_backward(dout, cache) is dout


# --------------------------------------------------------------------------- the leaky slope

def test_leaky_relu_uses_LEAKY_SLOPE_by_default():
    assert 0 < LEAKY_SLOPE < 1
    x = np.array([-3.0, -0.5, 0.0, 2.0])
    out, cache = layers.leaky_relu_forward(x)
    assert cache.alpha == LEAKY_SLOPE
    np.testing.assert_array_equal(out, [-3.0 * LEAKY_SLOPE, -0.5 * LEAKY_SLOPE, 0.0, 2.0])
    np.testing.assert_array_equal(layers.leaky_relu_backward(np.ones(4), cache),
                                  [LEAKY_SLOPE, LEAKY_SLOPE, LEAKY_SLOPE, 1.0])


def test_leaky_relu_with_another_slope():
    x = np.array([-2.0, 1.0])
    out, cache = layers.leaky_relu_forward(x, alpha=0.2)
    np.testing.assert_allclose(out, [-0.4, 1.0])
    np.testing.assert_allclose(layers.leaky_relu_backward(np.ones(2), cache), [0.2, 1.0])
    relu_out, relu_cache = layers.relu_forward(x)
    zero_out, zero_cache = layers.leaky_relu_forward(x, alpha=0)   # slope 0 is the ReLU
    np.testing.assert_array_equal(zero_out, relu_out)
    np.testing.assert_array_equal(layers.leaky_relu_backward(np.ones(2), zero_cache),
                                  layers.relu_backward(np.ones(2), relu_cache))


# --------------------------------------------------------------------------- the registry

def test_registry_holds_every_activation_under_its_own_name():
    assert sorted(ACTIVATIONS) == sorted(ACTIVATION_NAMES) == sorted(PAIRS)
    for name, act in ACTIVATIONS.items():
        assert isinstance(act, layers.Activation) and act.name == name
        assert (act.forward, act.backward) == PAIRS[name][:2]
        assert isinstance(act.label, str) and act.label and isinstance(act.symbol, str) and act.symbol
    assert len({a.symbol for a in ACTIVATIONS.values()}) == len(ACTIVATIONS)
    assert len({a.label for a in ACTIVATIONS.values()}) == len(ACTIVATIONS)
    assert f"{LEAKY_SLOPE:g}" in ACTIVATIONS["leaky_relu"].label


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_registry_call_is_the_forward_output(name):
    x = np.array([-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(ACTIVATIONS[name](x), PAIRS[name][0](x)[0])


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_registry_cache_from_rebuilds_the_backward_cache(name):
    """What the lessons' activation_backward(dout, ·) receives (the input or the output), turned into
    the pair's cache by cache_from, gives the pair's own backward."""
    act = ACTIVATIONS[name]
    assert act.backward_from in ("input", "output")
    x, dout = normal(3, (4, 3), scale=2.0), normal(4, (4, 3))
    out, cache = act.forward(x)
    given_array = x if act.backward_from == "input" else out
    np.testing.assert_array_equal(act.backward(dout, act.cache_from(given_array)), act.backward(dout, cache))
    assert act.backward_from == ("output" if name in ("tanh", "sigmoid") else "input")


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_registry_kink_slope_is_the_slope_below_zero(name):
    act = ACTIVATIONS[name]
    assert act.kink_slope == {"relu": 0.0, "leaky_relu": LEAKY_SLOPE}.get(name)
    left = np.array([-2.0, -0.3, -1e-3])
    slopes = act.backward(np.ones(3), act.forward(left)[1])
    if act.kink_slope is not None:
        np.testing.assert_array_equal(slopes, act.kink_slope)
        assert act.backward(np.ones(1), act.forward(np.array([1.0]))[1])[0] == 1.0   # a kink: 1 above 0
    else:                                                   # no kink: one slope at 0 from both sides
        x0 = np.array([0.0])
        right = numerical_gradient(lambda z: float(act(z + 1e-4)[0]), x0.copy())
        left_ = numerical_gradient(lambda z: float(act(z - 1e-4)[0]), x0.copy())
        assert right[0] == pytest.approx(left_[0], rel=1e-6)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_registry_init_suits_the_activation(name):
    assert ACTIVATIONS[name].init == ("he" if name in ("relu", "leaky_relu") else "xavier")
