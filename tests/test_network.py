"""Tests of backprop_helpers.network: the MLP's parameters, initialisation, forward pass composed from
the layer pairs, prediction for each task, dtypes, copies and regularization."""
from __future__ import annotations

import numpy as np
import pytest

import backprop_helpers as bh
from backprop_helpers import layers, losses


def params_of(model):
    """A copy of every parameter, by name."""
    return {k: v.copy() for k, v in model.params.items()}


def assert_same_params(a, b):
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_params_are_named_and_shaped():
    m = bh.MLP([3, 5, 4, 2])
    assert list(m.params) == ["W1", "b1", "W2", "b2", "W3", "b3"] == list(m.grads)
    assert [m.params[k].shape for k in m.params] == [(3, 5), (5,), (5, 4), (4,), (4, 2), (2,)]
    assert [m.grads[k].shape for k in m.grads] == [m.params[k].shape for k in m.params]
    assert m.num_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2


def test_flat_params_are_views_of_the_params():
    m = bh.MLP([3, 5, 4, 2])
    assert m.flat_params.size == m.num_params
    m.flat_params[:] = 7.0
    assert all(np.all(p == 7.0) for p in m.params.values())


def test_assigning_a_parameter_copies_into_place():
    m = bh.MLP([2, 3, 2])
    W1 = m.params["W1"]
    m.params["W1"] = np.ones((2, 3))
    assert m.params["W1"] is W1 and np.all(W1 == 1.0)
    with pytest.raises(ValueError, match=r"ParamDict: W1 must have shape \(2, 3\), got \(3, 2\)"):
        m.params["W1"] = np.ones((3, 2))
    with pytest.raises(KeyError, match="no parameter named 'W9'"):
        m.params["W9"] = np.ones(1)


@pytest.mark.parametrize("activation, scheme", [("relu", "he"), ("leaky_relu", "he"), ("tanh", "xavier"),
                                                ("sigmoid", "xavier"), ("linear", "xavier")])
def test_initialisation_scale(activation, scheme):
    m = bh.MLP([400, 300, 10], activation=activation, seed=0)
    W1 = m.params["W1"]
    expected = np.sqrt(2 / 400) if scheme == "he" else np.sqrt(2 / 700)
    assert abs(W1.std() / expected - 1) < 0.02
    assert np.all(m.params["b1"] == 0)


def test_seed_reproducibility():
    a, b, c = bh.MLP([2, 8, 2], seed=1), bh.MLP([2, 8, 2], seed=1), bh.MLP([2, 8, 2], seed=2)
    assert_same_params(params_of(a), params_of(b))
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    for p in a.params.values():
        p[...] = 0.0
    a.reset()
    assert_same_params(params_of(a), params_of(b))


def test_forward_is_the_composition_of_the_layer_pairs():
    m = bh.MLP([3, 4, 2], activation="tanh", seed=0)
    X = np.random.default_rng(0).standard_normal((5, 3))
    h, _ = layers.linear_forward(X, m.params["W1"], m.params["b1"])
    h, _ = layers.tanh_forward(h)
    s, _ = layers.linear_forward(h, m.params["W2"], m.params["b2"])
    np.testing.assert_allclose(m.forward(X), s, rtol=1e-14)
    y = np.array([0, 1, 1, 0, 1])
    assert m.loss(X, y) == pytest.approx(losses.softmax_cross_entropy(s, y)[0], rel=1e-14)


def test_predict_for_each_task():
    X = np.random.default_rng(0).standard_normal((6, 2))
    cls = bh.MLP([2, 4, 3])
    assert cls.predict(X).shape == (6,) and cls.predict(X).dtype.kind == "i"
    np.testing.assert_allclose(cls.predict_proba(X).sum(axis=1), 1.0)
    binary = bh.MLP([2, 4, 1], loss="binary_cross_entropy")
    assert set(binary.predict(X)) <= {0, 1}
    assert np.all((binary.predict_proba(X) > 0) & (binary.predict_proba(X) < 1))
    reg = bh.MLP([2, 4, 2], loss="mse")
    assert reg.predict(X).shape == (6, 2) and reg.task == "regression"


def test_mse_network_accepts_flat_targets_for_one_output():
    m = bh.MLP([2, 3, 1], loss="mse")
    X = np.ones((4, 2))
    assert m.loss(X, np.zeros(4)) == m.loss(X, np.zeros((4, 1)))


def test_integer_inputs_are_converted_for_the_network():
    m = bh.MLP([2, 3, 2])
    assert m.forward(np.array([[1, 2]])).dtype == np.float64


def test_float32_network_stays_float32():
    m = bh.MLP([2, 8, 2], dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((5, 2))
    assert m.forward(X).dtype == np.float32
    m.loss(X, np.array([0, 1, 0, 1, 1]))
    assert all(g.dtype == np.float32 for g in m.backward().values())


def test_copy_is_independent():
    m = bh.MLP([2, 3, 2], activation="tanh", loss="mse", seed=4)
    c = m.copy()
    assert (c.layer_sizes, c.activation, c.task) == (m.layer_sizes, m.activation, m.task)
    assert_same_params(params_of(c), params_of(m))
    for p in c.params.values():
        p[...] = 0.0
    assert not np.all(m.params["W1"] == 0)


def test_backward_with_explicit_dscores():
    m = bh.MLP([2, 3, 2])
    X = np.ones((4, 2))
    s = m.forward(X)
    g = m.backward(np.ones_like(s))
    np.testing.assert_allclose(g["b2"], [4.0, 4.0])


def test_regularization_adds_to_loss_and_gradient():
    X = np.random.default_rng(0).standard_normal((5, 2))
    y = np.array([0, 1, 0, 1, 1])
    plain = bh.MLP([2, 3, 2], seed=0)
    l2 = bh.MLP([2, 3, 2], seed=0, regularization="l2", reg_strength=0.5)
    W = [plain.params["W1"], plain.params["W2"]]
    assert l2.loss(X, y) == pytest.approx(plain.loss(X, y) + 0.25 * sum((w ** 2).sum() for w in W))
    assert l2.regularization_loss() == pytest.approx(0.25 * sum((w ** 2).sum() for w in W))
    assert plain.regularization_loss() == 0.0 and plain.regularization_gradient(W[0]) == 0.0
    np.testing.assert_allclose(l2.regularization_gradient(W[0]), 0.5 * W[0])
    plain.backward(); l2.backward()
    np.testing.assert_allclose(l2.grads["W1"] - plain.grads["W1"], 0.5 * W[0])
    np.testing.assert_allclose(l2.grads["b1"], plain.grads["b1"])


def test_l1_regularization_adds_to_loss_and_gradient():
    X = np.random.default_rng(1).standard_normal((5, 2))
    y = np.array([0, 1, 0, 1, 1])
    plain = bh.MLP([2, 3, 2], seed=0)
    l1 = bh.MLP([2, 3, 2], seed=0, regularization="l1", reg_strength=0.5)
    W = [plain.params["W1"], plain.params["W2"]]
    assert l1.loss(X, y) == pytest.approx(plain.loss(X, y) + 0.5 * sum(np.abs(w).sum() for w in W))
    assert l1.regularization_loss() == pytest.approx(0.5 * sum(np.abs(w).sum() for w in W))
    np.testing.assert_allclose(l1.regularization_gradient(W[1]), 0.5 * np.sign(W[1]))
    plain.backward(); l1.backward()
    np.testing.assert_allclose(l1.grads["W2"] - plain.grads["W2"], 0.5 * np.sign(W[1]))
    np.testing.assert_allclose(l1.grads["b2"], plain.grads["b2"])
