"""The MLP: parameters, initialisation, forward shapes, prediction, dtypes, numerical stability."""
from __future__ import annotations

import numpy as np
import pytest

import backprop_helpers as bh
from backprop_helpers import layers, losses


def test_params_are_named_shaped_and_views_of_one_vector():
    m = bh.MLP([3, 5, 4, 2])
    assert list(m.params) == ["W1", "b1", "W2", "b2", "W3", "b3"] == list(m.grads)
    assert [m.params[k].shape for k in m.params] == [(3, 5), (5,), (5, 4), (4,), (4, 2), (2,)]
    assert m.num_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2 == m.flat_params.size
    m.flat_params[:] = 7.0
    assert all(np.all(p == 7.0) for p in m.params.values())


def test_assigning_a_parameter_copies_into_place():
    m = bh.MLP([2, 3, 2])
    m.params["W1"] = np.ones((2, 3))
    assert np.all(m.flat_params[:6] == 1.0)
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
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    assert not np.array_equal(a.flat_params, c.flat_params)
    a.flat_params[:] = 0
    a.reset()
    np.testing.assert_array_equal(a.flat_params, b.flat_params)


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
    m = bh.MLP([2, 3, 2])
    c = m.copy()
    c.flat_params[:] = 0
    assert not np.all(m.flat_params == 0)


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
    plain.backward(); l2.backward()
    np.testing.assert_allclose(l2.grads["W1"] - plain.grads["W1"], 0.5 * W[0])
    np.testing.assert_allclose(l2.grads["b1"], plain.grads["b1"])


# ------------------------------------------------------------------ numerical stability

def test_softmax_cross_entropy_with_huge_logits_is_finite_and_right():
    scores = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    y = np.array([1, 2])
    loss, ds = bh.softmax_cross_entropy(scores, y)
    assert np.isfinite(loss) and np.all(np.isfinite(ds))
    # example 0: -log p[1] = 2000; example 1: -log p[2] = log(1 + e) ~ 1.3133
    assert loss == pytest.approx((2000.0 + np.log1p(np.e)) / 2, rel=1e-12)
    np.testing.assert_allclose(ds.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_is_shift_invariant_and_stable():
    s = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(bh.softmax(s), bh.softmax(s + 1e4), rtol=1e-12)
    assert np.all(np.isfinite(bh.softmax(np.array([[1e300, -1e300]]))))


def test_single_class_cross_entropy_is_zero():
    loss, ds = bh.softmax_cross_entropy(np.array([[3.0], [-2.0]]), np.array([0, 0]))
    assert loss == 0.0 and np.all(ds == 0.0)


def test_saturated_sigmoid_is_exact_and_has_finite_gradient():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    out, cache = bh.sigmoid_forward(x)
    assert np.all(np.isfinite(out)) and out[0] == 0.0 and out[-1] == 1.0 and out[2] == 0.5
    dx = bh.sigmoid_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx)) and dx[0] == 0.0 and dx[2] == 0.25


def test_binary_cross_entropy_at_probabilities_zero_and_one():
    p = np.array([[0.0], [1.0], [0.0], [1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss, dp = bh.binary_cross_entropy(p, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dp))
    # the two confident right answers cost ~0, the two confident wrong ones -log(1e-12) each
    assert loss == pytest.approx(2 * -np.log(1e-12) / 4, rel=1e-6)
    assert dp[2, 0] < 0 < dp[3, 0]          # pushes the wrong ones the right way


def test_sigmoid_binary_cross_entropy_large_scores():
    s = np.array([[800.0], [-800.0]])
    loss, ds = bh.sigmoid_binary_cross_entropy(s, np.array([[0.0], [0.0]]))
    assert loss == pytest.approx(400.0) and np.all(np.isfinite(ds))
    np.testing.assert_allclose(ds, [[0.5], [0.0]])


def test_tanh_saturates_cleanly():
    out, cache = bh.tanh_forward(np.array([-800.0, 800.0]))
    np.testing.assert_array_equal(out, [-1.0, 1.0])
    np.testing.assert_array_equal(bh.tanh_backward(np.ones(2), cache), [0.0, 0.0])


@pytest.mark.parametrize("activation, loss, reg", [
    ("relu", "softmax_cross_entropy", None), ("relu", "softmax_cross_entropy", "l2"),
    ("relu", "softmax_cross_entropy", "l1"), ("tanh", "softmax_cross_entropy", None),
    ("relu", "mse", "l2"), ("sigmoid", "binary_cross_entropy", None)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_training_pass_equals_loss_then_backward(activation, loss, reg, dtype):
    """The training loop's fused forward+backward gives exactly what loss() and backward() give."""
    C = 1 if loss == "binary_cross_entropy" else 3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 4))
    y = {"softmax_cross_entropy": rng.integers(0, C, 7), "mse": rng.standard_normal((7, C)),
         "binary_cross_entropy": rng.integers(0, 2, (7, 1)).astype(float)}[loss]
    a = bh.MLP([4, 6, 5, C], activation=activation, loss=loss, regularization=reg, reg_strength=0.1,
               dtype=dtype, seed=2)
    b = a.copy()
    la = a.loss(X, y)
    ga = {k: v.copy() for k, v in a.backward().items()}
    Xb, yb = b._check_X("fit", X), b.check_targets("fit", y, 7)
    lb = b._loss_and_grads(Xb, yb)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert lb == pytest.approx(la, rel=tol)
    for k in ga:
        np.testing.assert_allclose(b.grads[k], ga[k], rtol=tol, atol=tol)
    np.testing.assert_array_equal(b.flat_params, a.flat_params)     # parameters untouched
