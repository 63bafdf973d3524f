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


# --------------------------------------------------------------------------- lesson 11: dropout

from backprop_helpers.autograd import Value, grad_array, value_array  # noqa: E402
from backprop_helpers.gradcheck import numerical_vjp  # noqa: E402

from strategies import batchnorm_case, batchnorm_shapes  # noqa: E402


def value_vjp(out_v, dout):
    """sum(out * dout) as a Value: its gradient with respect to the inputs is the VJP with dout."""
    total = Value(0.0)
    for o, d in zip(out_v.ravel(), dout.ravel()):
        total = total + o * float(d)
    return total


def generator_state(rng):
    return rng.bit_generator.state["state"]["state"]


@settings(max_examples=30)
@given(shape=activation_shapes(), seed=seeds, p=st.sampled_from([0.1, 0.3, 0.5, 0.9]))
def test_dropout_forward_values_shape_and_cache(shape, seed, p):
    X = normal(seed, shape, scale=2.0)
    X0 = X.copy()
    out, cache = layers.dropout_forward(X, p, rng=np.random.default_rng(seed))
    assert out.shape == X.shape and out.dtype == X.dtype
    assert isinstance(cache, layers.DropoutCache) and cache._fields == ("mask", "p") and cache.p == p
    # the mask: one uniform draw per unit, kept where it is >= p, survivors scaled by 1 / (1 - p)
    keep = np.random.default_rng(seed).random(shape) >= p
    np.testing.assert_array_equal(cache.mask, np.where(keep, 1.0 / (1.0 - p), 0.0))
    np.testing.assert_array_equal(out, X * cache.mask)
    np.testing.assert_array_equal(out[~keep], 0.0)
    np.testing.assert_allclose(out[keep], X[keep] / (1.0 - p), rtol=1e-15)
    np.testing.assert_array_equal(X, X0)


def test_dropout_drops_the_fraction_p_and_keeps_the_expected_value(rng):
    X = np.ones((400, 500))
    for p in (0.2, 0.5, 0.8):
        out, cache = layers.dropout_forward(X, p, rng=rng)
        assert abs(np.mean(out == 0) - p) < 0.005                # 200 000 units: the rate within 0.5 %
        assert abs(out.mean() - 1.0) < 0.01                      # inverted dropout: E[out] = X


def test_dropout_masks_follow_the_generator(rng):
    X = np.ones((5, 6))
    a = layers.dropout_forward(X, 0.5, rng=np.random.default_rng(3))[1].mask
    b = layers.dropout_forward(X, 0.5, rng=np.random.default_rng(3))[1].mask
    np.testing.assert_array_equal(a, b)                          # the same seed, the same units dropped
    g = np.random.default_rng(3)
    first, second = (layers.dropout_forward(X, 0.5, rng=g)[1].mask for _ in range(2))
    assert not np.array_equal(first, second)                     # a new mask on every call
    out, cache = layers.dropout_forward(X, 0.5)                  # rng None: a fresh generator
    assert set(np.unique(cache.mask)) <= {0.0, 2.0}


@pytest.mark.parametrize("p, train", [(0.5, False), (0.0, True), (0.0, False)])
def test_dropout_is_the_identity_in_evaluation_mode_or_without_p(p, train, rng):
    X, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    before = generator_state(rng)
    out, cache = layers.dropout_forward(X, p, rng=rng, train=train)
    assert out is X and cache == layers.DropoutCache(None, p)
    assert generator_state(rng) == before                        # no mask drawn
    np.testing.assert_array_equal(layers.dropout_backward(dout, cache), dout)


@settings(max_examples=30)
@given(shape=activation_shapes(), seed=seeds, p=st.sampled_from([0.3, 0.5]))
def test_dropout_backward_three_ways(shape, seed, p):
    """dout * mask, the numerical VJP with the mask held fixed (the generator seeded again for every
    evaluation), and the Value engine (the mask a constant) agree."""
    X, dout = normal(seed, shape), normal(seed + 1, shape)
    dout0 = dout.copy()
    out, cache = layers.dropout_forward(X, p, rng=np.random.default_rng(seed))
    dX = layers.dropout_backward(dout, cache)
    assert dX.shape == X.shape
    np.testing.assert_array_equal(dX, dout * cache.mask)
    np.testing.assert_array_equal(dout, dout0)
    same_mask = lambda x: layers.dropout_forward(x, p, rng=np.random.default_rng(seed))[0]
    np.testing.assert_allclose(numerical_vjp(same_mask, X, dout), dX, rtol=1e-7, atol=1e-9)
    Xv = value_array(X)
    value_vjp(Xv * cache.mask, dout).backward()
    np.testing.assert_allclose(grad_array(Xv), dX, rtol=1e-12, atol=1e-15)


def test_dropout_keeps_float32(rng):
    X = rng.standard_normal((3, 4)).astype(np.float32)
    out, cache = layers.dropout_forward(X, 0.3, rng=rng)
    assert out.dtype == cache.mask.dtype == np.float32
    assert layers.dropout_backward(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: layers.dropout_forward(np.ones((2, 2)), 1.0), ValueError,
     r"dropout_forward: p must be a number in \[0, 1\) \(the probability of dropping a unit\), got 1.0"),
    (lambda: layers.dropout_forward(np.ones((2, 2)), -0.1), ValueError,
     r"dropout_forward: p must be a finite number >= 0, got -0.1"),
    (lambda: layers.dropout_forward(np.ones((2, 2)), "0.5"), TypeError,
     r"dropout_forward: p must be a number, got str '0.5'"),
    (lambda: layers.dropout_forward(np.ones((2, 2)), 0.5, rng=42), TypeError,
     r"dropout_forward: rng must be a np.random.Generator \(np.random.default_rng\(seed\)\) or None, "
     r"got int 42"),
    (lambda: layers.dropout_forward(np.ones((2, 2)), 0.5, train="no"), TypeError,
     r"dropout_forward: train must be True \(training mode\) or False \(evaluation mode\), got str 'no'"),
    (lambda: layers.dropout_forward(np.ones((2, 2), dtype=int), 0.5), TypeError,
     r"dropout_forward: X must hold floating-point numbers"),
    (lambda: layers.dropout_backward(np.ones((2, 3)), layers.dropout_forward(np.ones((2, 2)), 0.5)[1]),
     ValueError, r"dropout_backward: dout must have the shape of the forward output \(2, 2\), "
                 r"got dout.shape=\(2, 3\)"),
    (lambda: layers.dropout_backward(np.ones(2), layers.relu_forward(np.ones(2))[1]), TypeError,
     r"dropout_backward: cache must be the DropoutCache returned by dropout_forward, got ReLUCache"),
])
def test_dropout_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------- lesson 11: batch norm

def batchnorm_by_value(Xv, gamma_v, beta_v, eps=1e-5, running=None):
    """Batch normalisation built from Value operations alone, feature by feature: in training mode
    the mean, the biased variance and ``(var + eps) ** -0.5`` of the batch (running None), else the
    running statistics as constants."""
    N, D = Xv.shape
    out = np.empty((N, D), dtype=object)
    for d in range(D):
        column = list(Xv[:, d])
        if running is None:
            mean = sum(column, Value(0.0)) / N
            var = sum(((x - mean) ** 2 for x in column), Value(0.0)) / N
        else:
            mean, var = float(running["mean"][d]), Value(float(running["var"][d]))
        inv_std = (var + eps) ** -0.5
        for n, x in enumerate(column):
            out[n, d] = gamma_v[d] * ((x - mean) * inv_std) + beta_v[d]
    return out


@settings(max_examples=40)
@given(shape=batchnorm_shapes(), seed=seeds)
def test_batchnorm_forward_in_training_mode(shape, seed):
    X, gamma, beta, _, _ = batchnorm_case(seed, shape)
    X0 = X.copy()
    out, cache = layers.batchnorm_forward(X, gamma, beta)
    assert out.shape == X.shape and out.dtype == X.dtype
    assert isinstance(cache, layers.BatchNormCache) and cache._fields == ("x_hat", "gamma", "inv_std", "train")
    assert cache.train is True
    var = X.var(axis=0)                                          # numpy's default: biased, ddof=0
    np.testing.assert_allclose(cache.inv_std, 1 / np.sqrt(var + 1e-5), rtol=1e-14)
    np.testing.assert_allclose(cache.x_hat, (X - X.mean(axis=0)) / np.sqrt(var + 1e-5), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, gamma * cache.x_hat + beta, rtol=1e-14, atol=1e-14)
    # every feature leaves with mean beta and standard deviation |gamma| (up to eps)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    if shape[0] > 1:
        np.testing.assert_allclose(out.std(axis=0), np.abs(gamma) * np.sqrt(var / (var + 1e-5)), rtol=1e-10)
    np.testing.assert_array_equal(X, X0)


def test_batchnorm_running_statistics_move_in_training_mode_only(rng):
    X, gamma, beta, _, running = batchnorm_case(0, (6, 3))
    start = {k: v.copy() for k, v in running.items()}
    layers.batchnorm_forward(X, gamma, beta, running=running, momentum=0.8)
    np.testing.assert_allclose(running["mean"], 0.8 * start["mean"] + 0.2 * X.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(running["var"], 0.8 * start["var"] + 0.2 * X.var(axis=0), rtol=1e-14)
    moved = {k: v.copy() for k, v in running.items()}
    layers.batchnorm_forward(X, gamma, beta, train=False, running=running)
    for k in running:
        np.testing.assert_array_equal(running[k], moved[k])       # evaluation reads, never writes
    layers.batchnorm_forward(X, gamma, beta, running=running, momentum=0.0)
    np.testing.assert_allclose(running["var"], X.var(axis=0), rtol=1e-14)    # momentum 0: this batch's
    layers.batchnorm_forward(X + 5, gamma, beta, running=running, momentum=1.0)
    np.testing.assert_allclose(running["mean"], X.mean(axis=0), rtol=1e-14)  # momentum 1: frozen
    before = {k: v.copy() for k, v in running.items()}
    layers.batchnorm_forward(X + 5, gamma, beta)                 # no running dict: nothing to move
    np.testing.assert_array_equal(running["mean"], before["mean"])


def test_batchnorm_running_averages_converge_to_the_data_statistics(rng):
    running = {"mean": np.zeros(2), "var": np.ones(2)}
    for _ in range(300):
        X = rng.standard_normal((64, 2)) * [2.0, 0.5] + [3.0, -1.0]
        layers.batchnorm_forward(X, np.ones(2), np.zeros(2), running=running)
    np.testing.assert_allclose(running["mean"], [3.0, -1.0], atol=0.1)
    np.testing.assert_allclose(running["var"], [4.0, 0.25], rtol=0.1)   # biased batch variance: 63/64 of it


@settings(max_examples=30)
@given(shape=batchnorm_shapes(), seed=seeds)
def test_batchnorm_evaluation_mode_normalises_each_example_on_its_own(shape, seed):
    X, gamma, beta, _, running = batchnorm_case(seed, shape)
    out, cache = layers.batchnorm_forward(X, gamma, beta, train=False, running=running)
    assert cache.train is False
    expected = gamma * (X - running["mean"]) / np.sqrt(running["var"] + 1e-5) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)
    first, _ = layers.batchnorm_forward(X[:1], gamma, beta, train=False, running=running)
    np.testing.assert_array_equal(first, out[:1])                # the rest of the batch changes nothing


@settings(max_examples=40, deadline=None)
@given(shape=batchnorm_shapes(), seed=seeds, train=st.booleans())
def test_batchnorm_backward_three_routes(shape, seed, train):
    """The closed form, the numerical VJP and the Value engine (mean, biased variance, ** -0.5 built
    from its operations) give the same dX, dgamma and dbeta, in either mode."""
    X, gamma, beta, dout, running = batchnorm_case(seed, shape)
    dout0 = dout.copy()
    kwargs = dict(train=train, running=None if train else running)
    _, cache = layers.batchnorm_forward(X, gamma, beta, **kwargs)
    dX, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    assert (dX.shape, dgamma.shape, dbeta.shape) == (X.shape, gamma.shape, beta.shape)
    np.testing.assert_array_equal(dout, dout0)

    f = lambda *_: layers.batchnorm_forward(X, gamma, beta, **kwargs)[0]
    for analytic, var in ((dX, X), (dgamma, gamma), (dbeta, beta)):
        np.testing.assert_allclose(numerical_vjp(f, var, dout), analytic, rtol=1e-6, atol=1e-8)

    Xv, gv, bv = value_array(X), value_array(gamma), value_array(beta)
    value_vjp(batchnorm_by_value(Xv, gv, bv, running=None if train else running), dout).backward()
    for analytic, v in ((dX, Xv), (dgamma, gv), (dbeta, bv)):
        np.testing.assert_allclose(grad_array(v), analytic, rtol=1e-9, atol=1e-11)


@settings(max_examples=30)
@given(shape=batchnorm_shapes(), seed=seeds)
def test_batchnorm_training_gradient_is_centred_and_orthogonal_to_x_hat(shape, seed):
    """Shifting every example of a feature by the same amount, or scaling them about their mean,
    changes nothing after the normalisation (up to eps), so dX sums to 0 over the batch and is
    orthogonal to x_hat."""
    X, gamma, beta, dout, _ = batchnorm_case(seed, shape)
    _, cache = layers.batchnorm_forward(X, gamma, beta)
    dX, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    scale = np.abs(dout).sum(axis=0) * np.abs(gamma) * cache.inv_std
    np.testing.assert_allclose(dX.sum(axis=0), 0.0, atol=1e-12 * (1 + scale.max()))
    var = 1 / cache.inv_std ** 2 - 1e-5
    eps_share = 1e-5 / (var + 1e-5)                # the only part of a scaling that survives
    bound = 1e-12 * (1 + scale.max()) * shape[0] + scale * shape[0] * eps_share
    assert np.all(np.abs((dX * cache.x_hat).sum(axis=0)) <= bound + 1e-12)
    np.testing.assert_allclose(dbeta, dout.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(dgamma, (dout * cache.x_hat).sum(axis=0), rtol=1e-14)


def test_batchnorm_of_a_single_example_outputs_beta(rng):
    X, gamma, beta = rng.standard_normal((1, 3)), rng.standard_normal(3), rng.standard_normal(3)
    out, cache = layers.batchnorm_forward(X, gamma, beta)
    np.testing.assert_array_equal(out, beta[None])             # a batch of one has nothing to compare to
    np.testing.assert_array_equal(layers.batchnorm_backward(np.ones((1, 3)), cache)[0], 0.0)


def test_batchnorm_keeps_float32():
    X, gamma, beta, dout, running = batchnorm_case(1, (5, 3), dtype=np.float32)
    for train in (True, False):
        out, cache = layers.batchnorm_forward(X, gamma, beta, train=train, running=running)
        assert out.dtype == np.float32 and running["mean"].dtype == running["var"].dtype == np.float32
        assert all(g.dtype == np.float32 for g in layers.batchnorm_backward(dout, cache))


_X, _g, _b, _dout, _running = batchnorm_case(0, (4, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: layers.batchnorm_forward(_X, np.ones(4), _b), ValueError,
     r"batchnorm_forward: gamma must have shape \(3,\), one entry per feature of X, got gamma.shape=\(4,\) "
     r"\(X.shape=\(4, 3\)\)"),
    (lambda: layers.batchnorm_forward(_X, _g, np.zeros((1, 3))), ValueError,
     r"batchnorm_forward: beta must be 1-D, got a 2-D array of shape \(1, 3\)"),
    (lambda: layers.batchnorm_forward(_X[0], _g, _b), ValueError,
     r"batchnorm_forward: X must be 2-D, got a 1-D array of shape \(3,\)"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, train=False), ValueError,
     r"batchnorm_forward: evaluation mode \(train=False\) normalises with the running statistics, so "
     r"running must be the dict \{'mean': ..., 'var': ...\} that training filled; got None"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, running={"mean": np.zeros(3)}), ValueError,
     r"batchnorm_forward: running must be a dict \{'mean': array of shape \(3,\), 'var': array of shape "
     r"\(3,\)\}, one entry per feature of X, got \{'mean': an array of dtype float64 and shape \(3,\)\}"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, running={"mean": np.zeros(2), "var": np.ones(2)}),
     ValueError, r"batchnorm_forward: running must be a dict .* got \{'mean': an array of dtype float64 "
                 r"and shape \(2,\), 'var'"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, running=[np.zeros(3), np.ones(3)]), ValueError,
     r"batchnorm_forward: running must be a dict .* got a list of length 2"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, running={"mean": np.zeros(3, np.float32),
                                                             "var": np.ones(3)}), TypeError,
     r"batchnorm_forward: running\['mean'\] must have the dtype of X \(float64\), got float32"),
    (lambda: layers.batchnorm_forward(_X, _g.astype(np.float32), _b), TypeError,
     r"batchnorm_forward: all arrays must share one dtype, but X is float64, gamma is float32"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, eps=0), ValueError,
     r"batchnorm_forward: eps must be a finite number > 0, got 0"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, momentum=1.5), ValueError,
     r"batchnorm_forward: momentum must be a number in \[0, 1\] \(the share of the old running average "
     r"kept\), got 1.5"),
    (lambda: layers.batchnorm_forward(_X, _g, _b, train=None), TypeError,
     r"batchnorm_forward: train must be True \(training mode\) or False \(evaluation mode\), got NoneType"),
    (lambda: layers.batchnorm_backward(np.ones((4, 2)), layers.batchnorm_forward(_X, _g, _b)[1]),
     ValueError, r"batchnorm_backward: dout must have the shape of the forward output \(4, 3\), "
                 r"got dout.shape=\(4, 2\)"),
    (lambda: layers.batchnorm_backward(_dout, (_X, _g)), TypeError,
     r"batchnorm_backward: cache must be the BatchNormCache returned by batchnorm_forward, got tuple"),
])
def test_batchnorm_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_new_layers_are_in_the_learners_namespace():
    import backprop_helpers as bh
    for name in ("dropout_forward", "dropout_backward", "batchnorm_forward", "batchnorm_backward"):
        assert getattr(bh, name) is getattr(layers, name) and name in bh.__all__ and name in layers.__all__
