"""FunctionMLP: a network from the learner's functions computes what MLP computes, trains like it, and
names the function at fault when one of them fails."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import backprop_helpers as bh
from backprop_helpers import reference
from backprop_helpers.data import make_spiral
from backprop_helpers.learner_model import (BACKWARD_FROM, ROLES, FunctionMLP, LearnerFunctionError,
                                            reference_functions)
from strategies import net_cases


# ------------------------------------------------------------------ learner-style functions

def my_linear_forward(X, W, b):
    return np.einsum("nd,dh->nh", X, W) + b[None, :]


def my_linear_backward(dout, X, W):
    dX = np.einsum("nh,dh->nd", dout, W)
    dW = np.einsum("nd,nh->dh", X, dout)
    db = np.ones(dout.shape[0]) @ dout
    return dX, dW, db


def my_relu(x):
    return np.where(x > 0, x, 0.0)


def my_relu_backward(dout, x):
    grad = np.zeros_like(dout)
    grad[x > 0] = dout[x > 0]
    return grad


def my_softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    z = scores - scores.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(N), y].mean()
    onehot = np.eye(scores.shape[1])[y]
    return loss, (np.exp(logp) - onehot) / N


MINE = dict(linear_forward=my_linear_forward, linear_backward=my_linear_backward,
            activation_forward=my_relu, activation_backward=my_relu_backward,
            loss_fn=my_softmax_cross_entropy)


def batch(seed=0, n=6, d=2, c=3):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)), r.integers(0, c, n)


# ------------------------------------------------------------------ same as MLP

@settings(max_examples=60)
@given(net_cases())
def test_reference_functions_give_the_mlp_loss_and_gradients(case):
    """The lessons' functions (``backprop_helpers.reference``) and the library's kernels differ only
    in rounding: the same weights, the same loss and gradients to ~1e-12."""
    X, y = case.data()
    mlp = case.build()
    fmlp = FunctionMLP(case.layer_sizes, case.activation, case.loss, seed=case.seed,
                       regularization=case.regularization, reg_strength=case.reg_strength)
    assert list(fmlp.params) == list(mlp.params) == list(fmlp.grads)
    for k in mlp.params:
        np.testing.assert_array_equal(fmlp.params[k], mlp.params[k])
    assert fmlp.loss(X, y) == pytest.approx(mlp.loss(X, y), rel=1e-12, abs=1e-14)
    g_ref, g = mlp.backward(), fmlp.backward()
    for k in g_ref:
        np.testing.assert_allclose(g[k], g_ref[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_array_equal(fmlp.predict(X), mlp.predict(X))


@pytest.mark.parametrize("optimizer, batch_size", [(lambda: bh.SGD(0.1), 16), (lambda: bh.Adam(0.01), None),
                                                   (lambda: bh.Momentum(0.05), 7)])
def test_training_with_the_trainer_matches_mlp(optimizer, batch_size):
    X, y = make_spiral(120, seed=1)
    runs = []
    for model in (bh.MLP((2, 12, 12, 2), seed=4), FunctionMLP((2, 12, 12, 2), seed=4)):
        history = bh.train(model, X[:90], y[:90], epochs=15, optimizer=optimizer(), batch_size=batch_size,
                           X_test=X[90:], y_test=y[90:], seed=3)
        runs.append((history, model))
    (h_ref, m_ref), (h, m) = runs
    np.testing.assert_allclose(h.loss, h_ref.loss, rtol=1e-12)
    assert h.test_accuracy == h_ref.test_accuracy and h.train_accuracy == h_ref.train_accuracy
    for k in m_ref.params:
        np.testing.assert_allclose(m.params[k], m_ref.params[k], rtol=1e-10, atol=1e-13)


def test_the_learners_own_functions_train_the_same_network():
    X, y = make_spiral(100, seed=2)
    ref, mine = FunctionMLP((2, 10, 2), seed=1), FunctionMLP((2, 10, 2), seed=1, **MINE)
    h_ref = bh.train(ref, X, y, epochs=20, optimizer=bh.Adam(0.02), batch_size=None)
    h = bh.train(mine, X, y, epochs=20, optimizer=bh.Adam(0.02), batch_size=None)
    np.testing.assert_allclose(h.loss, h_ref.loss, rtol=1e-9)
    assert not any(mine.uses_reference(r) for r in ROLES) and all(ref.uses_reference(r) for r in ROLES)
    assert "my_relu" in repr(mine) and "your functions: none" in repr(ref)


def test_spiral_is_learned_by_a_network_of_own_functions():
    X_train, X_test, y_train, y_test = bh.train_test_split(*make_spiral(300, seed=0), 0.3, seed=0)
    model = FunctionMLP((2, 16, 16, 2), seed=0, **MINE)
    bh.train(model, X_train, y_train, epochs=300, optimizer=bh.Adam(0.03), batch_size=None)
    assert np.mean(model.predict(X_test) == y_test) >= 0.95


@pytest.mark.parametrize("activation", sorted(BACKWARD_FROM))
def test_reference_functions_follow_the_lesson_signatures(activation):
    fns = reference_functions(activation, "mse")
    r = np.random.default_rng(0)
    X, W, b = r.standard_normal((4, 3)), r.standard_normal((3, 2)), r.standard_normal(2)
    out = fns["linear_forward"](X, W, b)
    np.testing.assert_allclose(out, X @ W + b)
    dX, dW, db = fns["linear_backward"](np.ones((4, 2)), X, W)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    a = fns["activation_forward"](out)
    arg = out if BACKWARD_FROM[activation] == "input" else a
    dx = fns["activation_backward"](np.ones_like(out), arg)
    eps = 1e-6
    numeric = (fns["activation_forward"](out + eps) - fns["activation_forward"](out - eps)) / (2 * eps)
    np.testing.assert_allclose(dx, numeric, rtol=1e-5, atol=1e-8)
    loss, dscores = fns["loss_fn"](out, np.zeros((4, 2)))
    assert loss == pytest.approx(np.sum(out ** 2) / 4) and dscores.shape == out.shape


@pytest.mark.parametrize("activation, loss", [("relu", "softmax_cross_entropy"), ("tanh", "mse"),
                                              ("sigmoid", "softmax_cross_entropy")])
def test_reference_functions_are_the_lessons_reference(activation, loss):
    """Each role runs the function of ``backprop_helpers.reference`` with the lesson's name, which
    itself stays unmarked and keeps its name."""
    fns = reference_functions(activation, loss)
    r = np.random.default_rng(1)
    X, W, b = r.standard_normal((5, 3)), r.standard_normal((3, 4)), r.standard_normal(4)
    dout, z = r.standard_normal((5, 4)), r.standard_normal((5, 4))
    y = r.integers(0, 4, 5) if loss == "softmax_cross_entropy" else r.standard_normal((5, 4))
    lesson_loss = {"softmax_cross_entropy": reference.softmax_cross_entropy, "mse": reference.mse_loss}[loss]
    act = getattr(reference, activation)
    arg = z if BACKWARD_FROM[activation] == "input" else act(z)
    pairs = [(fns["linear_forward"](X, W, b), reference.linear_forward(X, W, b)),
             (fns["linear_backward"](dout, X, W), reference.linear_backward(dout, X, W)),
             (fns["activation_forward"](z), act(z)),
             (fns["activation_backward"](dout, arg), getattr(reference, f"{activation}_backward")(dout, arg)),
             (fns["loss_fn"](z, y), lesson_loss(z, y))]
    for got, want in pairs:
        got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    assert not hasattr(reference.linear_forward, "is_reference") and act.__name__ == activation


def test_reference_functions_passed_in_are_known_as_the_reference():
    fns = reference_functions("tanh", "mse")
    model = FunctionMLP((2, 3, 1), "tanh", "mse", **{**fns, "linear_forward": my_linear_forward})
    assert [r for r in ROLES if not model.uses_reference(r)] == ["linear_forward"]
    assert repr(model).endswith("your functions: my_linear_forward)")
    assert fns["activation_backward"].__name__ == "tanh_backward" and fns["loss_fn"].__name__ == "mse"


def test_a_network_without_hidden_layers_is_a_linear_model():
    X, y = batch()
    model = FunctionMLP((2, 3), seed=0, activation_forward=my_relu)
    assert model.num_layers == 1 and model.hidden_outputs(X) == []
    np.testing.assert_allclose(model.forward(X), X @ model.params["W1"] + model.params["b1"])
    model.loss(X, y)
    assert set(model.backward()) == {"W1", "b1"}


# ------------------------------------------------------------------ the rest of the interface

def test_hidden_outputs_predictions_and_probabilities():
    X, y = batch(n=5)
    model = FunctionMLP((2, 4, 3, 3), activation="tanh", seed=0)
    hidden = model.hidden_outputs(X)
    assert [h.shape for h in hidden] == [(5, 4), (5, 3)] and np.all(np.abs(hidden[0]) < 1)
    p = model.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), p.argmax(axis=1))
    binary = FunctionMLP((2, 4, 1), loss="bce", seed=0)
    assert binary.loss_name == "binary_cross_entropy" and binary.predict(X).dtype == np.int64
    assert binary.predict_proba(X).shape == (5,)
    regression = FunctionMLP((2, 4, 2), loss="mse", seed=0)
    assert regression.task == "regression" and regression.predict(X).shape == (5, 2)
    with pytest.raises(ValueError, match="FunctionMLP.predict_proba: a regression network"):
        regression.predict_proba(X)


def test_copy_is_independent_and_reset_restores_the_initial_weights():
    X, y = batch()
    model = FunctionMLP((2, 5, 3), seed=2, **MINE)
    start = {k: v.copy() for k, v in model.params.items()}
    twin = model.copy()
    bh.train(model, X, y, epochs=3, lr=0.5, batch_size=None)
    assert not np.allclose(model.params["W1"], start["W1"])
    np.testing.assert_array_equal(twin.params["W1"], start["W1"])
    assert twin.functions == model.functions
    W1 = model.params["W1"]
    model.reset()
    assert model.params["W1"] is W1                  # reset writes into the same arrays
    for k in start:
        np.testing.assert_array_equal(model.params[k], start[k])
    assert model.num_params == 2 * 5 + 5 + 5 * 3 + 3


def test_gradients_are_written_into_the_same_arrays():
    X, y = batch()
    model = FunctionMLP((2, 4, 3), seed=0)
    dW1 = model.grads["W1"]
    model.loss(X, y)
    assert model.backward()["W1"] is dW1 and np.any(dW1 != 0)


# ------------------------------------------------------------------ errors that name the function

def test_a_function_that_raises_is_named_with_its_layer():
    def shaky_relu(x):
        return x.clip(min=0) + undefined_name  # noqa: F821

    X, y = batch()
    model = FunctionMLP((2, 4, 3), activation_forward=shaky_relu)
    with pytest.raises(LearnerFunctionError, match=r"your shaky_relu \(the activation_forward, "
                                                   r"activation\(x\) -> out\) raised NameError") as info:
        model.loss(X, y)
    assert info.value.role == "activation_forward" and info.value.function is shaky_relu
    assert "after layer 1" in str(info.value)


def test_an_unfinished_function_is_not_written_yet():
    def linear_backward(dout, X, W):
        raise NotImplementedError()

    X, y = batch()
    model = FunctionMLP((2, 4, 3), linear_backward=linear_backward)
    model.loss(X, y)
    with pytest.raises(LearnerFunctionError, match="your linear_backward .* is not written yet: it raises "
                                                   "NotImplementedError \\(layer 2"):
        model.backward()


def test_changing_an_input_in_place_is_explained():
    def relu_in_place(x):
        x[x < 0] = 0
        return x

    X, y = batch()
    with pytest.raises(LearnerFunctionError, match="tried to change one of its input arrays in place"):
        FunctionMLP((2, 4, 3), activation_forward=relu_in_place).loss(X, y)


def test_the_package_layers_with_caches_are_refused_with_a_hint():
    X, y = batch()
    model = FunctionMLP((2, 4, 3), linear_forward=bh.linear_forward)
    with pytest.raises(LearnerFunctionError, match=r"should return out as an array of shape \(6, 4\), got "
                                                   r"a tuple of length 2; it returned a tuple of 2\. The "
                                                   r"package's layers return \(out, cache\)"):
        model.loss(X, y)


def test_a_transposed_gradient_is_reported_with_its_shape():
    def transposed(dout, X, W):
        return dout @ W.T, (X.T @ dout).T, dout.sum(axis=0)

    X, y = batch()
    model = FunctionMLP((2, 4, 3), linear_backward=transposed)
    model.loss(X, y)
    with pytest.raises(LearnerFunctionError, match=r"returned dW of shape \(3, 4\), expected \(4, 3\): "
                                                   r"that is the expected shape transposed \(layer 2"):
        model.backward()


@pytest.mark.parametrize("bad, message", [
    (lambda scores, y: 1.0, r"should return \(loss, dscores\), got float 1.0"),
    (lambda scores, y: (np.ones(3), scores), "should return the loss as one number"),
    (lambda scores, y: (1.0, scores[:, :1]), r"returned dscores of shape \(6, 1\), expected \(6, 3\)"),
])
def test_a_loss_with_the_wrong_outputs_is_explained(bad, message):
    X, y = batch()
    with pytest.raises(LearnerFunctionError, match=message):
        FunctionMLP((2, 4, 3), loss_fn=bad).loss(X, y)


def test_the_backward_of_sigmoid_receives_the_output():
    seen = []

    def sigmoid_backward(dout, out):
        seen.append(out.copy())
        return dout * out * (1 - out)

    X, y = batch()
    model = FunctionMLP((2, 4, 3), activation="sigmoid", activation_backward=sigmoid_backward)
    model.loss(X, y)
    model.backward()
    hidden = model.hidden_outputs(X)[0]
    np.testing.assert_allclose(seen[0], hidden)


def test_bad_arguments_and_bad_order():
    with pytest.raises(TypeError, match=r"FunctionMLP: linear_forward must be a function with the signature "
                                        r"linear_forward\(X, W, b\) -> out, or None for the reference; "
                                        r"got int 3"):
        FunctionMLP((2, 3), linear_forward=3)
    with pytest.raises(ValueError, match="MLP: activation must be one of"):
        FunctionMLP((2, 3), activation="swish")
    model = FunctionMLP((2, 3, 2))
    with pytest.raises(RuntimeError, match=r"FunctionMLP.backward: call loss\(X, y\) first"):
        model.backward()
    with pytest.raises(ValueError, match=r"FunctionMLP.loss: X has 3 features but the network expects 2"):
        model.loss(np.ones((4, 3)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"FunctionMLP.loss: y must hold class indices in 0..1"):
        model.loss(np.ones((2, 2)), np.array([0, 5]))
    with pytest.raises(ValueError, match=r"FunctionMLP.loss: y must have shape \(N, C\) = \(2, 2\)"):
        FunctionMLP((2, 2), loss="mse").loss(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="FunctionMLP.forward: X must hold only finite numbers"):
        model.forward(np.array([[1.0, np.nan]]))
