"""Tests of backprop_helpers.value_mlp: the MLP's loss built from Value nodes (mlp_loss_value) and its
gradients by the scalar engine (mlp_gradients_by_value), against a plain numpy loss and central
differences, and against the analytic backward pass of MLP."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from backprop_helpers.autograd import grad_array, mlp_gradients_by_value, mlp_loss_value, value_array
from backprop_helpers.layers import LEAKY_SLOPE
from backprop_helpers.network import MLP


# ------------------------------------------------------------------ the MLP loss, by an independent route

def numpy_mlp_loss(params, X, y, activation, loss, regularization=None, reg_strength=0.0):
    """The MLP loss of network.MLP written directly in numpy (no Value, no package code)."""
    acts = {"relu": lambda z: np.maximum(z, 0), "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "linear": lambda z: z}
    L = len(params) // 2
    h = X
    for l in range(1, L + 1):
        h = h @ params[f"W{l}"] + params[f"b{l}"]
        if l < L:
            h = acts[activation](h)
    N = X.shape[0]
    if loss == "softmax_cross_entropy":
        m = h.max(axis=1, keepdims=True)
        logp = h - m - np.log(np.exp(h - m).sum(axis=1, keepdims=True))
        value = -logp[np.arange(N), y].mean()
    elif loss == "mse":
        value = ((h - y) ** 2).sum() / N
    else:
        p = 1 / (1 + np.exp(-h))
        value = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    weights = [params[f"W{l}"] for l in range(1, L + 1)]
    if regularization == "l2":
        value += reg_strength / 2 * sum((W ** 2).sum() for W in weights)
    elif regularization == "l1":
        value += reg_strength * sum(np.abs(W).sum() for W in weights)
    return float(value)


def tiny_case(activation, loss, regularization, seed=0):
    """A mock model (params/activation/loss_name/...) with layer sizes (3, 4, 3, C), and data."""
    rng = np.random.default_rng(seed)
    C = 1 if loss == "binary_cross_entropy" else 3
    sizes = (3, 4, 3, C)
    params = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = rng.standard_normal((a, b))
        params[f"b{l}"] = rng.standard_normal(b) * 0.5
    model = SimpleNamespace(params=params, activation=activation, loss_name=loss,
                            regularization=regularization, reg_strength=0.1 if regularization else 0.0)
    X = rng.standard_normal((5, 3))
    y = {"softmax_cross_entropy": rng.integers(0, C, 5), "mse": rng.standard_normal((5, C)),
         "binary_cross_entropy": rng.integers(0, 2, (5, 1)).astype(float)}[loss]
    return model, X, y


def numerical_param_gradients(model, X, y, h=1e-6):
    def f():
        return numpy_mlp_loss(model.params, X, y, model.activation, model.loss_name,
                              model.regularization, model.reg_strength)
    grads = {}
    for name, p in model.params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = f()
            p[idx] = old - h
            minus = f()
            p[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads[name] = g
    return grads


@pytest.mark.parametrize("regularization", [None, "l1", "l2"])
@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse", "binary_cross_entropy"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_mlp_gradients_by_value_match_central_differences(activation, loss, regularization):
    model, X, y = tiny_case(activation, loss, regularization)
    before = {k: v.copy() for k, v in model.params.items()}
    by_value = mlp_gradients_by_value(model, X, y)
    numeric = numerical_param_gradients(model, X, y)
    assert list(by_value) == list(model.params)
    for name in model.params:
        assert by_value[name].shape == model.params[name].shape and by_value[name].dtype == np.float64
        np.testing.assert_allclose(by_value[name], numeric[name], rtol=1e-6, atol=1e-8, err_msg=name)
        np.testing.assert_array_equal(model.params[name], before[name])     # the model is untouched
    params = {k: value_array(v) for k, v in model.params.items()}
    loss_value = mlp_loss_value(params, X, y, activation, loss, regularization, model.reg_strength)
    assert loss_value.data == pytest.approx(
        numpy_mlp_loss(model.params, X, y, activation, loss, regularization, model.reg_strength), rel=1e-12)


def test_mlp_loss_value_gives_input_gradients_too():
    model, X, y = tiny_case("tanh", "softmax_cross_entropy", None, seed=3)
    params = {k: value_array(v) for k, v in model.params.items()}
    Xv = value_array(X)
    mlp_loss_value(params, Xv, y, "tanh", "softmax_cross_entropy").backward()
    numeric = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += 1e-6
        Xm[idx] -= 1e-6
        numeric[idx] = (numpy_mlp_loss(model.params, Xp, y, "tanh", "softmax_cross_entropy")
                        - numpy_mlp_loss(model.params, Xm, y, "tanh", "softmax_cross_entropy")) / 2e-6
    np.testing.assert_allclose(grad_array(Xv), numeric, rtol=1e-6, atol=1e-8)


def test_mlp_loss_value_is_stable_for_huge_scores():
    params = {"W1": value_array(np.array([[1000.0, -1000.0]])), "b1": value_array(np.zeros(2))}
    X = np.array([[1.0], [-1.0]])
    ce = mlp_loss_value(params, X, np.array([0, 0]), "linear", "softmax_cross_entropy")
    assert ce.data == pytest.approx(1000.0)          # (0 + 2000) / 2
    params = {"W1": value_array(np.array([[800.0]])), "b1": value_array(np.zeros(1))}
    bce = mlp_loss_value(params, X, np.array([[1.0], [1.0]]), "linear", "binary_cross_entropy")
    bce.backward()
    assert bce.data == pytest.approx(400.0) and math.isfinite(params["W1"][0, 0].grad)


def test_mlp_gradients_by_value_agree_with_the_analytic_backward_of_mlp():
    model = MLP((2, 5, 3), activation="tanh", loss="softmax_cross_entropy", seed=4,
                regularization="l2", reg_strength=0.05)
    X = np.random.default_rng(5).standard_normal((6, 2))
    y = np.array([0, 1, 2, 2, 1, 0])
    model.loss(X, y)
    analytic = model.backward()
    by_value = mlp_gradients_by_value(model, X, y)
    for name in analytic:
        np.testing.assert_allclose(by_value[name], analytic[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_mlp_loss_value_bad_input_messages():
    good = {"W1": value_array(np.ones((2, 3))), "b1": value_array(np.zeros(3))}
    X, y = np.ones((4, 2)), np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"mlp_loss_value: activation must be one of .*got 'softplus'"):
        mlp_loss_value(good, X, y, "softplus", "mse")
    with pytest.raises(ValueError, match=r"mlp_loss_value: loss must be one of .*got 'hinge'"):
        mlp_loss_value(good, X, y, "relu", "hinge")
    with pytest.raises(ValueError, match=r"mlp_loss_value: params must have the keys W1, b1, \.\.\., WL, bL, "
                                         r"got \['W1'\]"):
        mlp_loss_value({"W1": good["W1"]}, X, y, "relu", "softmax_cross_entropy")
    with pytest.raises(TypeError, match=r"mlp_loss_value: params\['W1'\] must be a 2-D object array of Value "
                                        r"\(make one with value_array\), got an array of dtype float64"):
        mlp_loss_value({"W1": np.ones((2, 3)), "b1": good["b1"]}, X, y, "relu", "softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"mlp_loss_value: W1\.shape=\(2, 3\) and b1\.shape=\(2,\) "
                                         r"do not fit"):
        mlp_loss_value({"W1": good["W1"], "b1": value_array(np.zeros(2))}, X, y, "relu", "mse")
    with pytest.raises(ValueError, match=r"mlp_loss_value: X must have shape \(N, D\) with N >= 1 and D = 2 "
                                         r"\(W1\.shape=\(2, 3\)\), got X\.shape=\(4, 5\)"):
        mlp_loss_value(good, np.ones((4, 5)), y, "relu", "softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"mlp_loss_value: binary_cross_entropy needs one output \(C = 1\), "
                                         r"got C = 3"):
        mlp_loss_value(good, X, y.reshape(-1, 1), "relu", "binary_cross_entropy")
    with pytest.raises(ValueError, match=r"mlp_loss_value: y must have the shape of the scores \(N, C\) = "
                                         r"\(4, 3\), got y\.shape=\(4,\)"):
        mlp_loss_value(good, X, y.astype(float), "relu", "mse")
    with pytest.raises(ValueError, match=r"mlp_loss_value: y must hold class indices in 0\.\.2"):
        mlp_loss_value(good, X, np.array([0, 1, 3, 0]), "relu", "softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"mlp_loss_value: reg_strength must be a finite number >= 0, "
                                         r"got -1"):
        mlp_loss_value(good, X, y, "relu", "softmax_cross_entropy", "l2", -1)


def test_mlp_gradients_by_value_needs_an_mlp_like_model():
    with pytest.raises(TypeError, match=r"mlp_gradients_by_value: model must have the attributes params, "
                                        r"activation and loss_name \(like an MLP\), "
                                        r"but .* has no 'loss_name'"):
        mlp_gradients_by_value(SimpleNamespace(params={}, activation="relu"), np.ones((1, 1)), np.zeros(1))


@pytest.mark.parametrize("extra, named", [(dict(batchnorm=True), "batch normalisation"),
                                          (dict(dropout=0.5), "dropout")])
def test_mlp_gradients_by_value_refuses_what_it_cannot_build(extra, named):
    model = MLP([2, 4, 2], seed=0, **extra)
    X = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(ValueError, match=f"mlp_gradients_by_value: .*{named}"):
        mlp_gradients_by_value(model, X, np.array([0, 1, 0, 1, 1]))
