"""Every gradient in the package, three ways: analytic backward, numerical, and the Value engine.

For each layer and loss, and for random networks of random depth, width, activation, loss,
regularization and batch size, the analytic gradient must agree with central differences and with the
scalar autograd engine (which knows nothing of the analytic formulas: it applies the chain rule node by
node).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_helpers import layers, losses
from backprop_helpers.autograd import Value, grad_array, mlp_gradients_by_value, value_array
from backprop_helpers.gradcheck import mlp_numerical_gradient, numerical_gradient, numerical_vjp
from backprop_helpers.layers import LEAKY_SLOPE

from strategies import (activation_shapes, away_from_kinks, linear_shapes, net_cases, normal, seeds)


def assert_numeric_close(analytic, numeric):
    """Central differences carry round-off of about eps * |f| / h ~ 1e-10 in absolute terms, so
    elements whose gradient is itself tiny are compared absolutely, the others relatively."""
    np.testing.assert_allclose(numeric, analytic, rtol=1e-6, atol=1e-8)


def vjp(f, x, dout):
    """Numerical vector-Jacobian product of f at x (f reads x, which is perturbed in place)."""
    return numerical_vjp(lambda *_: f(), x, dout)


def value_backward(loss_value, *arrays):
    loss_value.backward()
    return [grad_array(a) for a in arrays]


def value_sum(out, dout):
    """sum(out * dout) as a Value: its gradient with respect to the inputs is the VJP with dout."""
    total = Value(0.0)
    for o, d in zip(out.ravel(), dout.ravel()):
        total = total + o * float(d)
    return total


# ------------------------------------------------------------------ layers

@settings(max_examples=40)
@given(shape=linear_shapes(), seed=seeds)
def test_linear_three_routes(shape, seed):
    N, D, H = shape
    X, W, b = normal(seed, (N, D)), normal(seed + 1, (D, H)), normal(seed + 2, (H,))
    dout = normal(seed + 3, (N, H))
    out, cache = layers.linear_forward(X, W, b)
    dX, dW, db = layers.linear_backward(dout, cache)
    assert dX.shape == X.shape and dW.shape == W.shape and db.shape == b.shape

    f = lambda: layers.linear_forward(X, W, b)[0]
    assert_numeric_close(dX, vjp(f, X, dout))
    assert_numeric_close(dW, vjp(f, W, dout))
    assert_numeric_close(db, vjp(f, b, dout))

    Xv, Wv, bv = value_array(X), value_array(W), value_array(b)
    gX, gW, gb = value_backward(value_sum(Xv @ Wv + bv, dout), Xv, Wv, bv)
    np.testing.assert_allclose(gX, dX, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gW, dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, db, rtol=1e-10, atol=1e-12)


ACTS = {
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, lambda v: v.sigmoid()),
    "tanh": (layers.tanh_forward, layers.tanh_backward, lambda v: v.tanh()),
    "relu": (layers.relu_forward, layers.relu_backward, lambda v: v.relu()),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward,
                   lambda v: v.leaky_relu(LEAKY_SLOPE)),
}


@pytest.mark.parametrize("name", sorted(ACTS))
@settings(max_examples=30)
@given(shape=activation_shapes(), seed=seeds, scale=st.sampled_from([0.5, 3.0]))
def test_activation_three_routes(name, shape, seed, scale):
    forward, backward, value_op = ACTS[name]
    x = away_from_kinks(normal(seed, shape, scale))
    dout = normal(seed + 1, shape)
    out, cache = forward(x)
    dx = backward(dout, cache)
    assert dx.shape == x.shape
    assert_numeric_close(dx, vjp(lambda: forward(x)[0], x, dout))

    xv = value_array(x)
    out_v = np.vectorize(value_op, otypes=[object])(xv)
    (gx,) = value_backward(value_sum(out_v, dout), xv)
    np.testing.assert_allclose(gx, dx, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ losses

def value_softmax_ce(sv, y):
    n = sv.shape[0]
    total = Value(0.0)
    for i in range(n):
        m = max(v.data for v in sv[i])                      # a constant shift: no gradient through it
        lse = sum(((v - m).exp() for v in sv[i]), Value(0.0)).log() + m
        total = total + (lse - sv[i, y[i]])
    return total / n


def value_mse(yv, y):
    d = (yv - y).ravel()
    return sum((e * e for e in d), Value(0.0)) / yv.shape[0]


def value_bce(pv, y):
    terms = [-(t * p.log() + (1 - t) * (1 - p).log()) for p, t in zip(pv.ravel(), y.ravel())]
    return sum(terms, Value(0.0)) / pv.shape[0]


@settings(max_examples=40)
@given(n=st.integers(1, 6), c=st.integers(1, 5), seed=seeds, scale=st.sampled_from([1.0, 10.0]))
def test_softmax_cross_entropy_three_routes(n, c, seed, scale):
    scores = normal(seed, (n, c), scale)
    y = np.random.default_rng(seed).integers(0, c, n)
    loss, ds = losses.softmax_cross_entropy(scores, y)
    assert_numeric_close(ds, numerical_gradient(lambda *_: losses.softmax_cross_entropy(scores, y)[0],
                                                scores))
    sv = value_array(scores)
    lv = value_softmax_ce(sv, y)
    assert abs(lv.data - loss) < 1e-10
    (g,) = value_backward(lv, sv)
    np.testing.assert_allclose(g, ds, rtol=1e-9, atol=1e-12)


@settings(max_examples=40)
@given(n=st.integers(1, 6), c=st.integers(1, 4), seed=seeds)
def test_mse_three_routes(n, c, seed):
    y_hat, y = normal(seed, (n, c)), normal(seed + 1, (n, c))
    loss, dy = losses.mse_loss(y_hat, y)
    assert_numeric_close(dy, numerical_gradient(lambda *_: losses.mse_loss(y_hat, y)[0], y_hat))
    yv = value_array(y_hat)
    lv = value_mse(yv, y)
    assert abs(lv.data - loss) < 1e-10
    (g,) = value_backward(lv, yv)
    np.testing.assert_allclose(g, dy, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(n=st.integers(1, 6), seed=seeds)
def test_binary_cross_entropy_three_routes(n, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, (n, 1))
    y = rng.integers(0, 2, (n, 1)).astype(float)
    loss, dp = losses.binary_cross_entropy(p, y)
    assert_numeric_close(dp, numerical_gradient(lambda *_: losses.binary_cross_entropy(p, y)[0], p))
    pv = value_array(p)
    lv = value_bce(pv, y)
    assert abs(lv.data - loss) < 1e-10
    (g,) = value_backward(lv, pv)
    np.testing.assert_allclose(g, dp, rtol=1e-9, atol=1e-12)


@settings(max_examples=40)
@given(n=st.integers(1, 6), seed=seeds, scale=st.sampled_from([1.0, 20.0]))
def test_sigmoid_binary_cross_entropy_three_routes(n, seed, scale):
    rng = np.random.default_rng(seed)
    s = normal(seed, (n, 1), scale)
    y = rng.integers(0, 2, (n, 1)).astype(float)
    loss, ds = losses.sigmoid_binary_cross_entropy(s, y)
    f = lambda *_: losses.sigmoid_binary_cross_entropy(s, y)[0]
    assert_numeric_close(ds, numerical_gradient(f, s))
    sv = value_array(s)
    # the same stable form, built from Value operations: relu(z) - y z + log(1 + exp(-|z|))
    terms = [z.relu() - t * z + (1 + (-abs(z)).exp()).log() for z, t in zip(sv.ravel(), y.ravel())]
    lv = sum(terms, Value(0.0)) / n
    assert abs(lv.data - loss) < 1e-10
    (g,) = value_backward(lv, sv)
    np.testing.assert_allclose(g, ds, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ whole networks

def brute_force_gradient(model, X, y):
    """Central differences over the flat parameter vector, one full forward pass per evaluation."""
    flat = numerical_gradient(lambda *_: model.loss(X, y), model.flat_params)
    out, offset = {}, 0
    for k, p in model.params.items():
        out[k] = flat[offset:offset + p.size].reshape(p.shape)
        offset += p.size
    return out


@settings(max_examples=60, deadline=None)
@given(case=net_cases())
def test_random_networks_three_routes(case):
    model = case.build()
    X, y = case.data()
    if model.activation in ("relu", "leaky_relu"):
        # keep every hidden pre-activation away from the kink at 0 so that all routes agree exactly
        for _ in range(50):
            z = X @ model.params["W1"] + model.params["b1"]
            if np.all(np.abs(z) > 1e-3):
                break
            X = X + 0.01
    model.loss(X, y)
    analytic = {k: v.copy() for k, v in model.backward().items()}
    by_value = mlp_gradients_by_value(model, X, y)
    fast_numeric = mlp_numerical_gradient(model, X, y)[0]
    for k in model.params:
        assert analytic[k].shape == model.params[k].shape
        np.testing.assert_allclose(by_value[k], analytic[k], rtol=1e-8, atol=1e-10, err_msg=k)
        err = np.abs(fast_numeric[k] - analytic[k])
        assert np.all(err <= 1e-6 * (np.abs(analytic[k]) + 1e-3)), (k, err.max())
    if model.num_params <= 60:
        slow_numeric = brute_force_gradient(model, X, y)
        for k in model.params:
            np.testing.assert_allclose(fast_numeric[k], slow_numeric[k], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_deeper_network_three_routes(activation):
    from backprop_helpers import MLP
    model = MLP([3, 6, 5, 4, 3], activation=activation, seed=3)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    model.loss(X, y)
    analytic = {k: v.copy() for k, v in model.backward().items()}
    by_value = mlp_gradients_by_value(model, X, y)
    slow_numeric = brute_force_gradient(model, X, y)
    for k in model.params:
        np.testing.assert_allclose(by_value[k], analytic[k], rtol=1e-8, atol=1e-11)
        assert_numeric_close(analytic[k], slow_numeric[k])


# ------------------------------------------------------------------ lesson 11: batchnorm and dropout

from backprop_helpers.autograd import activate  # noqa: E402
from backprop_helpers.gradcheck import check_gradient, check_model_gradient  # noqa: E402

from strategies import deep_net_cases, running_of  # noqa: E402


def value_batchnorm(z, gamma, beta, eps, running):
    """Batch normalisation of an object array z (N, H) of Values, feature by feature: the batch mean,
    the biased variance and (var + eps) ** -0.5 built from Value operations (running None), or the
    running statistics as constants."""
    N, H = z.shape
    out = np.empty((N, H), dtype=object)
    for j in range(H):
        column = list(z[:, j])
        if running is None:
            mean = sum(column, Value(0.0)) / N
            var = sum(((v - mean) ** 2 for v in column), Value(0.0)) / N
        else:
            mean, var = float(running["mean"][j]), Value(float(running["var"][j]))
        inv_std = (var + eps) ** -0.5
        for n, v in enumerate(column):
            out[n, j] = gamma[j] * ((v - mean) * inv_std) + beta[j]
    return out


def value_network_gradients(model, X, y, masks):
    """The gradients of ``model.loss(X, y)`` by the Value engine: the network written out with Value
    operations (linear, batch normalisation, activation, the dropout masks as constants), the loss,
    the regularization."""
    params = {k: value_array(v, label=k) for k, v in model.params.items()}
    act = np.frompyfunc(lambda v: activate(v, model.activation), 1, 1)
    L, h = model.num_layers, X
    for l in range(1, L + 1):
        h = h @ params[f"W{l}"] + params[f"b{l}"]
        if l < L:
            if model.batchnorm:
                h = value_batchnorm(h, params[f"gamma{l}"], params[f"beta{l}"], model.bn_eps,
                                    None if model.training else model.running[l])
            h = act(h)
            if masks[l - 1] is not None:
                h = h * masks[l - 1]
    if model.loss_name == "softmax_cross_entropy":
        loss = value_softmax_ce(h, y)
    elif model.loss_name == "mse":
        loss = value_mse(h, y)
    else:                      # -(t log s(z) + (1 - t) log s(-z)), smooth even at z = 0 exactly
        log_s = lambda z: -((-z).exp() + 1.0).log() if z.data >= 0 else z - (z.exp() + 1.0).log()
        terms = [-(t * log_s(z) + (1.0 - t) * log_s(-z)) for z, t in zip(h.ravel(), y.ravel())]
        loss = sum(terms, Value(0.0)) / h.shape[0]
    weights = [w for l in range(1, L + 1) for w in params[f"W{l}"].ravel()]
    if model.regularization == "l2":
        loss = loss + (model.reg_strength / 2) * sum((w * w for w in weights), Value(0.0))
    elif model.regularization == "l1":
        loss = loss + model.reg_strength * sum((abs(w) for w in weights), Value(0.0))
    loss.backward()
    return {k: grad_array(v) for k, v in params.items()}


@settings(max_examples=40, deadline=None)
@given(case=deep_net_cases(max_depth=3, max_width=4), evaluation=st.booleans())
def test_networks_with_batchnorm_and_dropout_three_routes(case, evaluation):
    """Analytic, numerical (the dropout masks held fixed: the generator seeded again before every
    evaluation) and the Value engine agree, in training and in evaluation mode."""
    model = case.build()
    X, y = case.data()
    model.loss(X * 1.2 + 0.3, y)                      # running statistics away from (0, 1)
    if evaluation:
        model.eval()
    running = running_of(model)

    def loss_with_fixed_masks(*_):
        model.dropout_rng = np.random.default_rng(case.net.seed)
        value = model.loss(X, y)
        for l, stats in running.items():              # training-mode passes move them: put back
            model.running[l].update({k: v.copy() for k, v in stats.items()})
        return value

    loss_with_fixed_masks()
    analytic = {k: g.copy() for k, g in model.backward().items()}
    masks = [c.dropout.mask if c.dropout is not None else None for c in model.caches[:-1]]
    dropping = bool(case.dropout and not evaluation and model.num_layers > 1)
    assert any(m is not None for m in masks) == dropping

    by_value = value_network_gradients(model, X, y, masks)
    for k in model.params:
        np.testing.assert_allclose(by_value[k], analytic[k], rtol=1e-8, atol=1e-10, err_msg=k)

    flat = np.concatenate([analytic[k].ravel() for k in model.params])
    report = check_gradient(loss_with_fixed_masks, model.flat_params, flat)
    assert report.passed, str(report)
    if not (case.dropout and not evaluation):          # the whole-model check takes these itself
        assert check_model_gradient(model, X, y).passed
