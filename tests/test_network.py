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


# --------------------------------------------------------------------------- lesson 11: reg, init

from backprop_helpers.gradcheck import check_model_gradient, numerical_gradient  # noqa: E402

from strategies import running_of  # noqa: E402


def batch(n=6, d=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, classes, n)


def weights_of(model):
    return [model.params[f"W{l}"] for l in range(1, model.num_layers + 1)]


@pytest.mark.parametrize("batchnorm", [False, True])
def test_reg_is_l2_on_the_weights_only(batchnorm):
    X, y = batch()
    plain = bh.MLP([3, 5, 4, 3], seed=0, batchnorm=batchnorm)
    l2 = bh.MLP([3, 5, 4, 3], seed=0, batchnorm=batchnorm, reg=0.3)
    assert (l2.regularization, l2.reg_strength, l2.reg) == ("l2", 0.3, 0.3)
    assert plain.reg == 0.0
    penalty = 0.5 * 0.3 * sum(float((W ** 2).sum()) for W in weights_of(plain))
    assert l2.loss(X, y) == pytest.approx(plain.loss(X, y) + penalty, rel=1e-14)
    plain.backward()
    l2.backward()
    for name in plain.params:
        expected = plain.grads[name] + (0.3 * plain.params[name] if name.startswith("W") else 0.0)
        np.testing.assert_allclose(l2.grads[name], expected, rtol=1e-13, atol=1e-15, err_msg=name)
    # the same network as regularization="l2", reg_strength=0.3
    spelled_out = bh.MLP([3, 5, 4, 3], seed=0, batchnorm=batchnorm, regularization="l2", reg_strength=0.3)
    assert spelled_out.loss(X, y) == l2.loss(X, y) and spelled_out.reg == 0.3


def test_reg_can_be_read_and_set_and_agrees_with_the_other_names():
    m = bh.MLP([2, 3, 2], reg=0.1)
    m.reg = 0.5
    assert (m.regularization, m.reg_strength) == ("l2", 0.5)
    m.reg = 0
    assert (m.regularization, m.reg_strength, m.reg) == (None, 0.0, 0.0)
    l1 = bh.MLP([2, 3, 2], regularization="l1", reg_strength=0.2)
    assert l1.reg == 0.0                                         # reg is L2's strength only
    assert bh.MLP([2, 3, 2], reg=0.2, regularization="l2").reg_strength == 0.2
    assert bh.MLP([2, 3, 2], reg=0.2, reg_strength=0.2).regularization == "l2"
    assert bh.MLP([2, 3, 2], reg=0.0, regularization="l1", reg_strength=0.2).regularization == "l1"
    with pytest.raises(ValueError, match=r"MLP: reg=0.1 is the strength of L2 regularisation, but "
                                         r"regularization='l1' asks for another"):
        bh.MLP([2, 3, 2], reg=0.1, regularization="l1", reg_strength=0.1)
    with pytest.raises(ValueError, match=r"MLP: reg=0.1 and reg_strength=0.2 both give the strength of "
                                         r"L2 regularisation and disagree"):
        bh.MLP([2, 3, 2], reg=0.1, regularization="l2", reg_strength=0.2)
    with pytest.raises(ValueError, match=r"MLP.reg: reg must be a finite number >= 0, got -1"):
        m.reg = -1


@pytest.mark.parametrize("std", [0.01, 1.0, 3])
def test_init_as_a_number_is_the_standard_deviation_of_every_weight(std):
    m = bh.MLP([300, 200, 100, 10], init=std, seed=0)
    assert m.init == float(std)
    for W in weights_of(m):
        assert abs(W.std() / std - 1) < 0.05
    assert np.all(m.params["b1"] == 0)
    np.testing.assert_array_equal(m.copy().flat_params, m.flat_params)
    assert "MLP" in repr(m)


@pytest.mark.parametrize("init, error, message", [
    (0, ValueError, r"MLP: init must be one of \['auto', 'glorot', 'he', 'xavier'\] or a positive number "
                    r"\(the standard deviation of every initial weight\), got 0"),
    (-0.1, ValueError, r"got -0.1"),
    (float("inf"), ValueError, r"got inf"),
    (True, TypeError, r"MLP: init must be one of .* or a positive number .*, got bool True"),
    ("lecun", ValueError, r"MLP: init must be one of \['auto', 'glorot', 'he', 'xavier'\], got 'lecun'"),
])
def test_bad_init_is_explained(init, error, message):
    with pytest.raises(error, match=message):
        bh.MLP([2, 3, 2], init=init)


# --------------------------------------------------------------------------- batch normalisation

def test_batchnorm_parameters_and_running_statistics():
    m = bh.MLP([3, 5, 4, 2], batchnorm=True)
    assert list(m.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert list(m.grads) == list(m.params)
    assert m.params["gamma2"].shape == m.params["beta2"].shape == (4,)
    assert np.all(m.params["gamma1"] == 1.0) and np.all(m.params["beta1"] == 0.0)
    assert m.num_params == bh.MLP([3, 5, 4, 2]).num_params + 2 * (5 + 4)
    assert sorted(m.running) == [1, 2] and not any(k.startswith("running") for k in m.params)
    np.testing.assert_array_equal(m.running[1]["mean"], np.zeros(5))
    np.testing.assert_array_equal(m.running[2]["var"], np.ones(4))
    assert bh.MLP([3, 5, 2]).running == {}
    m.flat_params[:] = 3.0
    m.loss(*batch(classes=2))
    m.reset()
    assert np.all(m.params["gamma1"] == 1.0) and np.all(m.running[1]["mean"] == 0.0)


def test_forward_composes_linear_batchnorm_activation_dropout():
    m = bh.MLP([3, 5, 4, 3], activation="tanh", batchnorm=True, dropout=0.4, seed=2)
    X, y = batch()
    m.dropout_rng = np.random.default_rng(9)
    masks_rng = np.random.default_rng(9)
    running = running_of(m)
    P, h = m.params, X
    for l in (1, 2):
        z, _ = layers.linear_forward(h, P[f"W{l}"], P[f"b{l}"])
        z, _ = layers.batchnorm_forward(z, P[f"gamma{l}"], P[f"beta{l}"], running=running[l])
        h, _ = layers.tanh_forward(z)
        h, _ = layers.dropout_forward(h, 0.4, rng=masks_rng)
    s, _ = layers.linear_forward(h, P["W3"], P["b3"])
    np.testing.assert_array_equal(m.forward(X), s)
    for l in (1, 2):
        for k in ("mean", "var"):
            np.testing.assert_array_equal(m.running[l][k], running[l][k])
    caches = m.caches
    assert [type(c).__name__ for c in caches] == ["LayerCache"] * 3
    assert caches[0]._fields == ("linear", "batchnorm", "activation", "dropout")
    assert caches[2].batchnorm is None and caches[2].activation is None and caches[2].dropout is None


def fixed_mask_loss(model, X, y, seed=5):
    """model.loss with the dropout masks of one seed every time and the running statistics put back:
    the same function at every call, so finite differences of it are meaningful."""
    running = running_of(model)

    def f(*_):
        model.dropout_rng = np.random.default_rng(seed)
        value = model.loss(X, y)
        for l, stats in running.items():
            model.running[l].update({k: v.copy() for k, v in stats.items()})
        return value
    return f


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("batchnorm, dropout", [(True, 0.0), (False, 0.5), (True, 0.3)])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_gradients_with_batchnorm_and_dropout_match_finite_differences(activation, batchnorm, dropout, mode):
    X, y = batch(n=7, seed=1)
    m = bh.MLP([3, 6, 5, 3], activation=activation, batchnorm=batchnorm, dropout=dropout, reg=0.05, seed=4)
    rng = np.random.default_rng(4)
    for l in (1, 2, 3):            # biases away from 0: an example whose units were all dropped would
        m.params[f"b{l}"] = 0.3 * rng.standard_normal(m.params[f"b{l}"].shape)   # sit on the ReLU's kink
    for _ in range(3):                                            # running statistics away from 0 and 1
        m.loss(X * 1.5 + 0.5, y)
    if mode == "eval":
        m.eval()
    f = fixed_mask_loss(m, X, y)
    f()
    analytic = np.concatenate([g.ravel() for g in m.backward().values()])
    numeric = numerical_gradient(f, m.flat_params)
    np.testing.assert_allclose(numeric, analytic, rtol=1e-5, atol=1e-7)
    if mode == "eval" or not dropout:                             # check_model_gradient agrees
        assert check_model_gradient(m, X, y).passed


def test_the_bias_before_batchnorm_has_no_gradient():
    """Batch normalisation subtracts the batch mean, and with it any constant the linear layer added:
    b1 is redundant next to beta1, and its gradient is 0 up to rounding."""
    X, y = batch(n=8)
    m = bh.MLP([3, 6, 3], batchnorm=True)
    m.loss(X, y)
    grads = m.backward()
    assert np.abs(grads["b1"]).max() < 1e-15 < np.abs(grads["beta1"]).max()


# --------------------------------------------------------------------------- modes

def test_training_and_evaluation_modes():
    m = bh.MLP([3, 5, 3], dropout=0.5, batchnorm=True)
    assert m.training is True and "evaluation" not in repr(m)
    assert m.eval() is m and m.training is False and "evaluation mode" in repr(m)
    assert m.train() is m and m.training is True
    assert m.train(False) is m and m.training is False
    with pytest.raises(TypeError, match=r"MLP.train: mode must be True or False \(model.train\(\) switches "
                                        r"to training mode; to fit the network call "
                                        r"backprop_helpers.train\(model, X, y\)\), got an array"):
        m.train(np.ones((2, 3)))


def test_dropout_draws_new_masks_in_training_mode_only():
    X, _ = batch()
    m = bh.MLP([3, 8, 8, 3], dropout=0.5, seed=1)
    plain = bh.MLP([3, 8, 8, 3], seed=1)
    a, b = m.forward(X), m.forward(X)
    assert not np.array_equal(a, b)                              # a new mask each forward pass
    m.eval()
    np.testing.assert_array_equal(m.forward(X), plain.forward(X))   # the identity: no dropout at all
    np.testing.assert_array_equal(m.forward(X), m.forward(X))


def test_masks_follow_the_seed_and_reset_reseeds_them():
    X, _ = batch()
    runs = []
    for _ in range(2):
        m = bh.MLP([3, 8, 3], dropout=0.5, seed=7)
        runs.append([m.forward(X) for _ in range(3)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    m.reset()
    np.testing.assert_array_equal(m.forward(X), runs[0][0])
    other = bh.MLP([3, 8, 3], dropout=0.5, seed=8)
    assert not np.array_equal(other.forward(X), runs[0][0])
    # the masks' stream is not the weights' stream of the same seed
    assert not np.array_equal(m.dropout_rng.random(5), np.random.default_rng(7).random(5))


def test_batchnorm_uses_batch_statistics_in_training_and_running_ones_in_evaluation():
    X, _ = batch(n=10)
    m = bh.MLP([3, 5, 3], activation="tanh", batchnorm=True, seed=0)
    before = running_of(m)
    train_scores = m.forward(X)
    moved = running_of(m)
    z = X @ m.params["W1"] + m.params["b1"]
    np.testing.assert_allclose(moved[1]["mean"], 0.9 * before[1]["mean"] + 0.1 * z.mean(axis=0), rtol=1e-14)
    # in training mode an example's output depends on the rest of the batch ...
    assert not np.allclose(m.forward(X[:4])[0], train_scores[0])
    m.eval()
    frozen = running_of(m)
    scores = m.forward(X)
    np.testing.assert_allclose(m.forward(X[:1]), scores[:1], rtol=1e-13, atol=1e-15)   # ... now not
    for k in ("mean", "var"):
        np.testing.assert_array_equal(m.running[1][k], frozen[1][k])


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_predict_computes_in_evaluation_mode_and_keeps_the_mode(mode):
    X, y = batch(n=20)
    m = bh.MLP([3, 16, 16, 3], dropout=0.5, batchnorm=True, seed=3)
    m.loss(X, y)                                                  # running statistics move once
    if mode == "eval":
        m.eval()
    training = m.training
    running = running_of(m)
    reference = m.copy().eval()
    expected = reference.forward(X)
    np.testing.assert_array_equal(m.predict(X), expected.argmax(axis=1))
    np.testing.assert_array_equal(m.predict(X), m.predict(X))     # no dropout, no batch statistics
    np.testing.assert_allclose(m.predict_proba(X), losses.softmax(expected), rtol=1e-14)
    assert m.training is training
    for k in ("mean", "var"):
        np.testing.assert_array_equal(m.running[1][k], running[1][k])


def test_copy_copies_running_statistics_mode_and_the_dropout_generator():
    X, y = batch()
    m = bh.MLP([3, 5, 4, 3], batchnorm=True, dropout=0.3, init=0.2, reg=0.1, seed=2)
    m.loss(X, y)
    m.eval()
    c = m.copy()
    assert (c.batchnorm, c.dropout, c.init, c.reg, c.training) == (True, 0.3, 0.2, 0.1, False)
    np.testing.assert_array_equal(c.flat_params, m.flat_params)
    for l in m.running:
        for k in ("mean", "var"):
            np.testing.assert_array_equal(c.running[l][k], m.running[l][k])
    c.train()
    m.train()
    np.testing.assert_array_equal(c.forward(X), m.forward(X))     # the same masks from here on
    c.running[1]["mean"][:] = 5.0
    c.dropout_rng.random(3)
    assert not np.any(m.running[1]["mean"] == 5.0)                # independent
    assert not np.array_equal(c.forward(X), m.forward(X))


def test_the_training_flag_and_new_options_are_validated():
    with pytest.raises(ValueError, match=r"MLP: dropout must be a probability in \[0, 1\) \(of dropping "
                                         r"each hidden unit\), got 1.0"):
        bh.MLP([2, 3, 2], dropout=1.0)
    with pytest.raises(TypeError, match=r"MLP: dropout must be a probability in \[0, 1\), got True"):
        bh.MLP([2, 3, 2], dropout=True)
    with pytest.raises(TypeError, match=r"MLP: batchnorm must be True or False, got str 'yes'"):
        bh.MLP([2, 3, 2], batchnorm="yes")


def test_a_network_without_hidden_layers_has_nothing_to_normalise_or_drop():
    X, y = batch()
    m = bh.MLP([3, 3], batchnorm=True, dropout=0.5, seed=0)
    plain = bh.MLP([3, 3], seed=0)
    assert list(m.params) == ["W1", "b1"] and m.running == {}
    assert m.loss(X, y) == plain.loss(X, y)


def test_init_scale_refuses_an_unknown_scheme():
    from backprop_helpers.network import init_scale
    assert init_scale("he", 8, 4) == pytest.approx(np.sqrt(2 / 8))
    assert init_scale("xavier", 8, 4) == pytest.approx(np.sqrt(2 / 12))
    assert init_scale("glorot", 8, 4) == init_scale("xavier", 8, 4)
    with pytest.raises(ValueError, match=r"init_scale: scheme must be 'he' or 'xavier' .*got 'lecun'"):
        init_scale("lecun", 8, 4)
