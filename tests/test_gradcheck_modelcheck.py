"""Tests of backprop_helpers.gradcheck.modelcheck: check_model_gradient passes every correct network and
names what is wrong in broken ones; its fast numerical gradient equals the brute-force one."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from backprop_helpers import MLP, layers, losses
from backprop_helpers.gradcheck import check_model_gradient, mlp_numerical_gradient

from strategies import net_cases


@settings(max_examples=80, deadline=None)
@given(case=net_cases(max_depth=4, max_width=6))
def test_correct_networks_always_pass(case):
    model = case.build()
    X, y = case.data()
    report = check_model_gradient(model, X, y)
    assert report.passed, str(report)
    assert set(report.reports) == set(model.params)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_nets_with_inputs_at_the_kink_never_fail(seed, activation):
    """Put many hidden pre-activations within the step h of 0: nudges cross the kink."""
    rng = np.random.default_rng(seed)
    model = MLP([3, 8, 6, 3], activation=activation, seed=seed)
    X = rng.standard_normal((6, 3))
    y = rng.integers(0, 3, 6)
    z1 = X @ model.params["W1"]
    # shift each unit's bias so that, for one example, its pre-activation is +-3e-7 (< h = 1e-5)
    pick = rng.integers(0, 6, 8)
    model.params["b1"] = -z1[pick, np.arange(8)] + rng.choice([-3e-7, 3e-7], 8)
    report = check_model_gradient(model, X, y)
    assert report.passed, str(report)


def test_kinks_are_reported_as_kinks():
    rng = np.random.default_rng(0)
    model = MLP([2, 4, 2], seed=0)
    X = rng.standard_normal((3, 2))
    z1 = X @ model.params["W1"]
    model.params["b1"] = -z1[0] + 2e-6                   # every unit sits 2e-6 above its kink
    report = check_model_gradient(model, X, np.array([0, 1, 0]))
    assert report.passed
    assert sum(len(r.kinks) for r in report.reports.values()) > 0
    assert "kink" in report.reports["b1"].verdict


def broken_gradients(model, X, y, mistake):
    """The model's gradients as a backward pass with one classic mistake, chosen by name, computes them
    (the network's forward pass, from the public layer functions, with softmax cross-entropy)."""
    act = layers.ACTIVATIONS[model.activation]
    L = len(model.layer_sizes) - 1
    P = model.params
    h, caches = X, []
    for l in range(1, L + 1):
        h, lin_cache = layers.linear_forward(h, P[f"W{l}"], P[f"b{l}"])
        act_cache = None
        if l < L:                                       # no activation after the output layer
            h, act_cache = act.forward(h)
        caches.append((lin_cache, act_cache))
    _, dout = losses.softmax_cross_entropy(h, y)
    m = mistake
    if m == "missing 1/N":
        dout = dout * dout.shape[0]
    if m == "wrong sign":
        dout = -dout
    grads = {}
    order = range(L) if m == "forward order" else range(L - 1, -1, -1)
    for l in order:
        (X_in, W), act_cache = caches[l]
        if act_cache is not None:
            if m == "relu mask on dout":
                dout = dout * (dout > 0)
            elif m == "sigmoid derivative of the input":
                s = np.log(act_cache.out / (1 - act_cache.out))      # the pre-activation, not sigma(x)
                dout = dout * s * (1 - s)
            else:
                dout = act.backward(dout, act_cache)
        if m == "forward order" and dout.shape[1] != W.shape[1]:
            dout = np.resize(dout, (dout.shape[0], W.shape[1]))
        grads[f"W{l + 1}"] = (X_in.T @ dout).T if m == "transposed dW" else X_in.T @ dout
        grads[f"b{l + 1}"] = dout.mean(axis=0) if m == "bias averaged" else dout.sum(axis=0)
        dout = dout @ (W if m == "dX without transpose" else W.T)
    if model.regularization == "l2" and m != "regularization forgotten":
        for l in range(1, L + 1):
            grads[f"W{l}"] = grads[f"W{l}"] + model.reg_strength * P[f"W{l}"]
    return grads


MISTAKES = {
    # mistake: (layer sizes, activation, extra model kwargs)
    "missing 1/N": ((3, 4, 3), "relu", {}),
    "wrong sign": ((3, 4, 3), "tanh", {}),
    "forward order": ((3, 3, 3, 3), "tanh", {}),
    "relu mask on dout": ((3, 5, 3), "relu", {}),
    "sigmoid derivative of the input": ((3, 4, 3), "sigmoid", {}),
    "transposed dW": ((4, 4, 4), "tanh", {}),
    "bias averaged": ((3, 4, 3), "tanh", {}),
    "dX without transpose": ((4, 4, 4), "tanh", {}),
    "regularization forgotten": ((3, 4, 3), "tanh", {"regularization": "l2", "reg_strength": 0.3}),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
@pytest.mark.parametrize("seed", range(5))
def test_classic_mistakes_are_flagged(mistake, seed):
    sizes, activation, kwargs = MISTAKES[mistake]
    model = MLP(list(sizes), activation=activation, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, sizes[0]))
    y = rng.integers(0, sizes[-1], 5)
    report = check_model_gradient(model, X, y, broken_gradients(model, X, y, mistake))
    assert not report.passed, f"{mistake} went unnoticed:\n{report}"
    assert "FAIL" in str(report)


def test_hints_name_the_pattern():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)

    def check(sizes, activation, mistake, X, y):
        model = MLP(sizes, activation=activation, seed=0)
        return check_model_gradient(model, X, y, broken_gradients(model, X, y, mistake))
    assert "5 times" in check([3, 4, 3], "relu", "missing 1/N", X, y).reports["W2"].hint
    assert "wrong sign" in check([3, 4, 3], "tanh", "wrong sign", X, y).reports["W1"].hint
    X4, y4 = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    assert "transpose" in check([4, 4, 4], "tanh", "transposed dW", X4, y4).reports["W1"].hint


def test_learner_gradients_can_be_passed_in():
    rng = np.random.default_rng(0)
    model = MLP([2, 3, 2], seed=0)
    X, y = rng.standard_normal((4, 2)), rng.integers(0, 2, 4)
    model.loss(X, y)
    grads = {k: g.copy() for k, g in model.backward().items()}
    assert check_model_gradient(model, X, y, grads).passed
    grads["b1"] = grads["b1"] + 0.1
    report = check_model_gradient(model, X, y, grads)
    assert not report.passed and report.worst == "b1"
    with pytest.raises(ValueError, match=r"check_model_gradient: grads\['W1'\] must have the shape"
                                         r" of W1 \(2, 3\), got \(3, 2\) \(it is transposed\)"):
        check_model_gradient(model, X, y, {**grads, "W1": grads["W1"].T})


def test_parameters_are_left_untouched():
    rng = np.random.default_rng(0)
    model = MLP([3, 5, 2], seed=0)
    before = model.flat_params.copy()
    mlp_numerical_gradient(model, rng.standard_normal((4, 3)), rng.integers(0, 2, 4))
    np.testing.assert_array_equal(model.flat_params, before)


def test_model_check_agrees_with_brute_force_on_every_element():
    rng = np.random.default_rng(3)
    model = MLP([3, 4, 4, 2], activation="sigmoid", loss="mse", seed=3, regularization="l1",
                reg_strength=0.2)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    assert_matches_brute_force(model, X, y)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_straight_line_path_agrees_with_brute_force_near_upper_kinks(activation):
    """ReLU-like nets take the exact straight-line path through the upper layers; units sitting
    within a nudge of their kink (here in layer 2) must fall back to the full path, exactly."""
    rng = np.random.default_rng(5)
    model = MLP([3, 5, 4, 4, 3], activation=activation, seed=5)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    z2 = np.maximum(X @ model.params["W1"] + model.params["b1"], 0) @ model.params["W2"]
    model.params["b2"] = -z2[0] + 1e-9                  # example 0: every layer-2 unit at its kink
    assert_matches_brute_force(model, X, y)


def assert_matches_brute_force(model, X, y, h=1e-5):
    """The fast numerical gradient equals, element by element, two full forward passes per parameter."""
    fast = mlp_numerical_gradient(model, X, y, h)[0]
    for name, p in model.params.items():
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            fp = model.loss(X, y)
            p[idx] = old - h
            fm = model.loss(X, y)
            p[idx] = old
            assert fast[name][idx] == pytest.approx((fp - fm) / (2 * h), rel=1e-6, abs=1e-9), (name, idx)


# --------------------------------------------------------------------------- lesson 11: batchnorm, dropout

from hypothesis import strategies as st  # noqa: E402

from strategies import deep_net_cases, running_of  # noqa: E402


def with_moved_statistics(model, X, y, rounds=2):
    """The model after a few training-mode passes on a shifted batch: running statistics not (0, 1)."""
    for _ in range(rounds):
        model.loss(X * 1.3 + 0.4, y)
    return model


@settings(max_examples=40, deadline=None)
@given(case=deep_net_cases(batchnorm=True, dropout=0.0, max_depth=4, max_width=5), evaluation=st.booleans())
def test_batchnorm_networks_pass_in_either_mode(case, evaluation):
    model = case.build()
    X, y = case.data()
    with_moved_statistics(model, X, y)
    if evaluation:
        model.eval()
    running = running_of(model)
    report = check_model_gradient(model, X, y)
    assert report.passed, str(report)
    assert set(report.reports) == set(model.params)
    for l in running:                                   # the check's forward passes put them back
        for k in ("mean", "var"):
            np.testing.assert_array_equal(model.running[l][k], running[l][k])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("evaluation", [False, True])
def test_batchnorm_numerical_gradient_agrees_with_brute_force(activation, evaluation):
    """Every nudge recomputes the batch statistics: the fast central differences equal two full forward
    passes per parameter, gamma and beta included."""
    rng = np.random.default_rng(7)
    model = MLP([3, 4, 5, 3], activation=activation, batchnorm=True, seed=7, reg=0.1)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    with_moved_statistics(model, X, y)
    if evaluation:
        model.eval()
    running = running_of(model)
    fast = mlp_numerical_gradient(model, X, y)[0]
    assert list(fast) == list(model.params)
    h = 1e-5
    for name, p in model.params.items():
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            fp = model.loss(X, y)
            p[idx] = old - h
            fm = model.loss(X, y)
            p[idx] = old
            assert fast[name][idx] == pytest.approx((fp - fm) / (2 * h), rel=1e-6, abs=1e-9), (name, idx)
    for k in ("mean", "var"):                           # mlp_numerical_gradient moved nothing itself
        if evaluation:
            np.testing.assert_array_equal(model.running[1][k], running[1][k])


def test_a_batchnorm_gradient_that_ignores_the_batch_statistics_fails():
    """The classic mistake: treating the mean and variance as constants, dX = gamma * inv_std * dout."""
    rng = np.random.default_rng(1)
    model = MLP([3, 5, 3], batchnorm=True, activation="tanh", seed=1)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    model.loss(X, y)
    grads = {k: g.copy() for k, g in model.backward().items()}
    assert check_model_gradient(model, X, y, grads).passed
    bn = model.caches[0].batchnorm
    wrong = gradient_at_batchnorm_output(model, X, y) * bn.gamma * bn.inv_std   # no mean, no variance
    grads["W1"] = X.T @ wrong
    report = check_model_gradient(model, X, y, grads)
    assert not report.passed and not report.reports["W1"].passed
    assert report.reports["gamma1"].passed and report.reports["W2"].passed


def gradient_at_batchnorm_output(model, X, y):
    """dL/d(batchnorm output) of layer 1, through the public layer functions."""
    P = model.params
    z, lin1 = layers.linear_forward(X, P["W1"], P["b1"])
    u, bn = layers.batchnorm_forward(z, P["gamma1"], P["beta1"])
    a, act = layers.tanh_forward(u)
    s, lin2 = layers.linear_forward(a, P["W2"], P["b2"])
    _, ds = losses.softmax_cross_entropy(s, y)
    da, _, _ = layers.linear_backward(ds, lin2)
    return layers.tanh_backward(da, act)


def test_dropout_in_training_mode_is_refused_and_checked_in_evaluation_mode():
    rng = np.random.default_rng(2)
    model = MLP([3, 6, 3], dropout=0.5, seed=2)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    message = (r"the model drops units \(dropout=0.5\) in training mode, drawing a new random mask on every "
               r"forward pass, so its loss is a different function at every call and finite differences "
               r"of it mean nothing; check it in evaluation mode \(model.eval\(\)")
    with pytest.raises(ValueError, match="check_model_gradient: " + message):
        check_model_gradient(model, X, y)
    with pytest.raises(ValueError, match="mlp_numerical_gradient: " + message):
        mlp_numerical_gradient(model, X, y)
    model.eval()
    assert check_model_gradient(model, X, y).passed
    assert check_model_gradient(MLP([3, 6, 3], dropout=0.0, batchnorm=True), X, y).passed
