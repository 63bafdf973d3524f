"""The lessons' reference functions (``backprop_helpers.reference``) compute what the package computes.

Every function is compared with the package's fixed-name maths (``layers``, ``losses``, ``optim``,
``gradcheck``, ``MLP``) on random shapes and seeds, and every gradient also with central differences
(``gradcheck.numerical_gradient`` / ``numerical_vjp``). The checks take their references from this
module: ``EXERCISES[name].reference`` is ``reference.<name>`` for every exercise.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_helpers import MLP, gradcheck, layers, losses, reference
from backprop_helpers.checks import EXERCISES
from backprop_helpers.optim import SGD, Adam, Momentum
from backprop_helpers.training import minibatches
from strategies import activation_shapes, away_from_kinks, batch_sizes, linear_shapes, normal, seeds, widths

few = settings(max_examples=25, deadline=None)
FLOAT = dict(rtol=1e-12, atol=1e-14)
NUMERIC = dict(rtol=1e-6, atol=1e-8)              # central differences with h = 1e-5


def labels(seed, n, c):
    return np.random.default_rng(seed + 7).integers(0, c, n)


# ------------------------------------------------------------------ one home for every exercise

def test_every_exercise_takes_its_reference_from_the_reference_module():
    assert sorted(reference.__all__) == sorted(EXERCISES)
    for name, exercise in EXERCISES.items():
        assert exercise.reference is getattr(reference, name), name
        assert exercise.reference.__name__ == name


# ------------------------------------------------------------------ lesson 01: the forward pass

@few
@given(linear_shapes(), seeds)
def test_linear_forward_is_the_layer(shape, seed):
    N, D, H = shape
    X, W, b = normal(seed, (N, D)), normal(seed + 1, (D, H)), normal(seed + 2, (H,))
    np.testing.assert_allclose(reference.linear_forward(X, W, b), layers.linear_forward(X, W, b)[0], **FLOAT)


@few
@given(activation_shapes(), seeds, st.sampled_from([1.0, 10.0, 800.0]),
       st.sampled_from(["sigmoid", "relu", "tanh"]))
def test_activations_are_the_layers(shape, seed, scale, name):
    x = normal(seed, shape, scale)
    before = x.copy()
    ours = getattr(reference, name)(x)
    np.testing.assert_allclose(ours, layers.ACTIVATIONS[name](x), **FLOAT)
    assert np.all(np.isfinite(ours)) and np.array_equal(x, before)


@few
@given(widths, seeds, st.floats(-3, 3))
def test_neuron_is_a_one_unit_sigmoid_layer(D, seed, b):
    x, w = normal(seed, (D,)), normal(seed + 1, (D,))
    z, _ = layers.linear_forward(x[None, :], w[:, None], np.array([b]))
    out = reference.neuron(x, w, b)
    assert isinstance(out, float)
    assert out == pytest.approx(float(layers.sigmoid_forward(z)[0][0, 0]), rel=1e-12)


@few
@given(linear_shapes(), widths, seeds)
def test_two_layer_forward_is_a_relu_mlp(shape, C, seed):
    N, D, H = shape
    model = MLP((D, H, C), activation="relu", seed=seed % 1000)
    params = {k: v + normal(seed + i, v.shape, 0.1) for i, (k, v) in enumerate(model.params.items())}
    for k in params:
        model.params[k][...] = params[k]
    X = normal(seed, (N, D))
    np.testing.assert_allclose(reference.two_layer_forward(X, params), model.forward(X), **FLOAT)


# ------------------------------------------------------------------ lesson 02: the loss

@few
@given(batch_sizes, st.integers(1, 5), seeds, st.sampled_from([1.0, 50.0, 1000.0]))
def test_losses_are_the_package_losses(n, c, seed, scale):
    scores, y = normal(seed, (n, c), scale), labels(seed, n, c)
    np.testing.assert_allclose(reference.softmax(scores), losses.softmax(scores), rtol=1e-12, atol=1e-300)
    assert reference.cross_entropy(scores, y) == pytest.approx(losses.softmax_cross_entropy(scores, y)[0],
                                                               rel=1e-12, abs=1e-12)
    y_hat, target = normal(seed, (n, c)), normal(seed + 1, (n, c))
    assert reference.mean_squared_error(y_hat, target) == pytest.approx(losses.mse_loss(y_hat, target)[0],
                                                                        rel=1e-12)
    p = np.random.default_rng(seed).uniform(0.01, 0.99, (n, 1))
    t = (np.random.default_rng(seed + 1).random((n, 1)) < 0.5).astype(float)
    assert reference.binary_cross_entropy(p, t) == pytest.approx(losses.binary_cross_entropy(p, t)[0],
                                                                 rel=1e-12)


# ------------------------------------------------------------------ lesson 03: derivatives

@few
@given(seeds, st.sampled_from([(1,), (4,), (2, 3), (2, 2, 2)]))
def test_numerical_gradient_is_the_package_one_and_restores_x(seed, shape):
    x = normal(seed, shape)
    c = normal(seed + 1, shape)
    before = x.copy()

    def f(v):
        return float(np.sum(np.sin(c * v)) + np.sum(v ** 2) * np.sum(c))
    ours = reference.numerical_gradient(f, x)
    assert np.array_equal(x, before)
    np.testing.assert_allclose(ours, gradcheck.numerical_gradient(f, x), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours, c * np.cos(c * x) + 2 * x * np.sum(c), **NUMERIC)


@few
@given(seeds, st.sampled_from([(3,), (2, 4)]))
def test_rel_error_is_the_package_one(seed, shape):
    a = normal(seed, shape)
    b = a + normal(seed + 1, shape, 1e-3)
    b.flat[0] = a.flat[0] = 0.0                      # two zeros: the 1e-8 guard
    assert reference.rel_error(a, b) == pytest.approx(gradcheck.rel_error(a, b), rel=1e-12)


@given(st.floats(-2, 2), st.sampled_from([1e-2, 1e-3, 1e-4]))
def test_difference_quotients_approach_the_derivative(x, h):
    assert reference.central_difference(np.sin, x, h) == pytest.approx(np.cos(x), abs=h ** 2)
    assert reference.forward_difference(np.sin, x, h) == pytest.approx(np.cos(x), abs=h)
    as_array = gradcheck.numerical_gradient(lambda v: float(np.sin(v[0])), np.array([x]), h)[0]
    assert reference.central_difference(np.sin, x, h) == pytest.approx(as_array, rel=1e-6, abs=1e-9)


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3), st.floats(0, 1))
def test_neuron_loss_gradient_is_the_numerical_gradient(w, b, x, y):
    def loss(theta):
        return (float(reference.sigmoid(theta[0] * x + theta[1])) - y) ** 2
    dw, db = reference.neuron_loss_gradient(w, b, x, y)
    np.testing.assert_allclose([dw, db], gradcheck.numerical_gradient(loss, np.array([w, b])), **NUMERIC)


# ------------------------------------------------------------------ lesson 04: the backward pass

@few
@given(linear_shapes(), seeds)
def test_linear_backward_is_the_layer_and_the_numerical_vjp(shape, seed):
    N, D, H = shape
    X, W, b = normal(seed, (N, D)), normal(seed + 1, (D, H)), normal(seed + 2, (H,))
    dout = normal(seed + 3, (N, H))
    ours = reference.linear_backward(dout, X, W)
    _, cache = layers.linear_forward(X, W, b)
    for mine, theirs in zip(ours, layers.linear_backward(dout, cache)):
        np.testing.assert_allclose(mine, theirs, **FLOAT)
    dX, dW, db = ours
    np.testing.assert_allclose(dX, gradcheck.numerical_vjp(lambda v: v @ W + b, X, dout), **NUMERIC)
    np.testing.assert_allclose(dW, gradcheck.numerical_vjp(lambda v: X @ v + b, W, dout), **NUMERIC)
    np.testing.assert_allclose(db, gradcheck.numerical_vjp(lambda v: X @ W + v, b, dout), **NUMERIC)


@few
@given(activation_shapes(), seeds, st.sampled_from(["sigmoid", "tanh", "relu"]))
def test_activation_backwards_are_the_layers_and_the_numerical_vjp(shape, seed, name):
    x = away_from_kinks(normal(seed, shape, 2.0))
    dout = normal(seed + 1, shape)
    out, cache = getattr(layers, f"{name}_forward")(x)
    arg = x if name == "relu" else out           # ReLU's backward takes the input, the others the output
    dx = getattr(reference, f"{name}_backward")(dout, arg)
    np.testing.assert_allclose(dx, getattr(layers, f"{name}_backward")(dout, cache), **FLOAT)
    np.testing.assert_allclose(dx, gradcheck.numerical_vjp(getattr(reference, name), x, dout), **NUMERIC)


@few
@given(batch_sizes, st.integers(1, 4), seeds)
def test_mse_loss_is_the_package_loss_and_its_gradient(n, c, seed):
    y_hat, y = normal(seed, (n, c)), normal(seed + 1, (n, c))
    loss, dy_hat = reference.mse_loss(y_hat, y)
    theirs = losses.mse_loss(y_hat, y)
    assert loss == pytest.approx(theirs[0], rel=1e-12)
    np.testing.assert_allclose(dy_hat, theirs[1], **FLOAT)
    numeric = gradcheck.numerical_gradient(lambda v: reference.mean_squared_error(v, y), y_hat.copy())
    np.testing.assert_allclose(dy_hat, numeric, **NUMERIC)


@few
@given(batch_sizes, st.integers(1, 5), seeds, st.sampled_from([1.0, 30.0]))
def test_softmax_cross_entropy_is_the_package_loss_and_its_gradient(n, c, seed, scale):
    scores, y = normal(seed, (n, c), scale), labels(seed, n, c)
    loss, dscores = reference.softmax_cross_entropy(scores, y)
    theirs = losses.softmax_cross_entropy(scores, y)
    assert loss == pytest.approx(theirs[0], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(dscores, theirs[1], rtol=1e-10, atol=1e-14)
    numeric = gradcheck.numerical_gradient(lambda v: reference.cross_entropy(v, y), scores.copy())
    np.testing.assert_allclose(dscores, numeric, rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_is_finite_for_huge_scores():
    loss, dscores = reference.softmax_cross_entropy(np.array([[1000.0, 0.0, -1000.0]]), np.array([2]))
    assert loss == pytest.approx(2000.0) and np.all(np.isfinite(dscores))


# ------------------------------------------------------------------ lesson 05: a whole network

def _network(sizes, activation, seed):
    model = MLP(sizes, activation=activation, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    for p in model.params.values():                   # nonzero biases, so a bias mistake would show
        p += rng.standard_normal(p.shape) * 0.1
    return model, {k: v.copy() for k, v in model.params.items()}


@few
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), batch_sizes,
       st.sampled_from(["relu", "tanh", "sigmoid"]), seeds)
def test_the_network_functions_are_the_mlp(sizes, N, activation, seed):
    model, params = _network(sizes, activation, seed)
    rng = np.random.default_rng(seed + 1)
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
    scores, caches = reference.mlp_forward(X, params, activation)
    assert len(caches) == len(sizes) - 1 and caches[-1][1:] == (None, None)
    np.testing.assert_allclose(scores, model.forward(X), **FLOAT)
    loss, grads = reference.loss_and_grads(X, y, params, activation)
    assert loss == pytest.approx(model.loss(X, y), rel=1e-12, abs=1e-14)
    expected = model.backward()
    assert list(grads) == list(params) == list(expected)
    for k in grads:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_allclose(reference.gradient_norms(grads),
                               [np.linalg.norm(expected[f"W{l}"]) for l in range(1, len(sizes))], **FLOAT)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=4), batch_sizes, st.sampled_from(["tanh", "sigmoid"]),
       seeds)
def test_mlp_backward_is_the_numerical_gradient(sizes, N, activation, seed):
    _, params = _network(sizes, activation, seed)
    rng = np.random.default_rng(seed + 1)
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
    _, grads = reference.loss_and_grads(X, y, params, activation)
    for name, p in params.items():
        def loss(_):
            return reference.loss_and_grads(X, y, params, activation)[0]        # reads p itself
        numeric = gradcheck.numerical_gradient(loss, p)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


# ------------------------------------------------------------------ lesson 06: gradient descent

def _steps(seed, count=4):
    params = {"W": normal(seed, (3, 2)), "b": normal(seed + 1, (2,))}
    grads = [{k: normal(seed + 10 + i, v.shape) for k, v in params.items()} for i in range(count)]
    return params, grads


def _after(optimizer, params, grad_list):
    params = {k: v.copy() for k, v in params.items()}
    for g in grad_list:
        optimizer.step(params, g)
    return params


@few
@given(seeds, st.floats(1e-3, 1.0), st.floats(0.0, 0.95))
def test_the_steps_are_the_optimizers(seed, lr, mu):
    params, grad_list = _steps(seed)
    sgd = {k: v.copy() for k, v in params.items()}
    momentum = {k: v.copy() for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    adam = {k: v.copy() for k, v in params.items()}
    state = {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
             "s": {k: np.zeros_like(v) for k, v in params.items()}}
    for g in grad_list:
        reference.sgd_step(sgd, g, lr)
        reference.momentum_step(momentum, g, velocity, lr, mu)
        reference.adam_step(adam, g, state, lr, beta1=mu, beta2=0.99, eps=1e-7)
    for mine, optimizer in [(sgd, SGD(lr)), (momentum, Momentum(lr, mu=mu)),
                            (adam, Adam(lr, beta1=mu, beta2=0.99, eps=1e-7))]:
        theirs = _after(optimizer, params, grad_list)
        for k in params:
            np.testing.assert_allclose(mine[k], theirs[k], **FLOAT, err_msg=f"{type(optimizer).__name__} {k}")
    assert state["t"] == len(grad_list)


@few
@given(seeds, st.integers(0, 6), st.floats(1e-3, 0.5))
def test_gradient_descent_is_repeated_sgd_steps(seed, steps, lr):
    A = normal(seed, (3, 3))
    A = A @ A.T + np.eye(3)

    def grad_fn(theta):
        return A @ theta
    theta0 = normal(seed + 1, (3,))
    before = theta0.copy()
    path = reference.gradient_descent(grad_fn, theta0, lr, steps)
    assert path.shape == (steps + 1, 3) and np.array_equal(theta0, before)
    theta, sgd = theta0.copy(), SGD(lr)
    np.testing.assert_array_equal(path[0], theta0)
    for k in range(1, steps + 1):
        sgd.step(theta, grad_fn(theta))
        np.testing.assert_allclose(path[k], theta, **FLOAT)


# ------------------------------------------------------------------ lesson 07: the training loop

@few
@given(st.integers(1, 12), st.integers(1, 5), seeds)
def test_iterate_minibatches_is_the_package_minibatches(n, batch_size, seed):
    X, y = normal(seed, (n, 2)), np.arange(n)
    ours = list(reference.iterate_minibatches(X, y, batch_size, np.random.default_rng(seed)))
    theirs = list(minibatches(X, y, batch_size, seed=seed))
    assert len(ours) == len(theirs) == -(-n // batch_size)
    for (Xa, ya), (Xb, yb) in zip(ours, theirs):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(Xa, X[ya])            # every row keeps its label
    assert sorted(np.concatenate([yb for _, yb in ours]).tolist()) == list(range(n))


@few
@given(seeds, st.integers(1, 3))
def test_train_epoch_steps_once_per_batch_and_returns_the_mean_loss(seed, batches):
    rng = np.random.default_rng(seed)
    data = [(rng.standard_normal((n, 2)), rng.integers(0, 3, n)) for n in rng.integers(1, 6, batches)]
    model, twin = MLP((2, 4, 3), seed=seed % 1000), MLP((2, 4, 3), seed=seed % 1000)
    mean = reference.train_epoch(model, data, SGD(0.1))
    sgd, total = SGD(0.1), 0.0
    for X_batch, y_batch in data:                  # the same epoch, step by step
        total += twin.loss(X_batch, y_batch) * len(X_batch)
        sgd.step(twin.params, twin.backward())
    assert mean == pytest.approx(total / sum(len(X) for X, _ in data), rel=1e-12)
    for k in model.params:
        np.testing.assert_allclose(model.params[k], twin.params[k], **FLOAT)


@few
@given(batch_sizes, st.integers(1, 4), seeds)
def test_accuracy_is_the_mlp_predictions(n, c, seed):
    model = MLP((2, 3, c), seed=seed % 1000)
    X, y = normal(seed, (n, 2)), labels(seed, n, c)
    assert reference.accuracy(model.forward(X), y) == pytest.approx(float(np.mean(model.predict(X) == y)))


@settings(max_examples=8, deadline=None)
@given(seeds, st.integers(1, 3), st.integers(2, 8))
def test_fit_is_epochs_of_train_epoch(seed, epochs, batch_size):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 2, 12)
    X_test, y_test = rng.standard_normal((5, 2)), rng.integers(0, 2, 5)
    model, twin = MLP((2, 4, 2), seed=seed % 1000), MLP((2, 4, 2), seed=seed % 1000)
    history = reference.fit(model, X, y, X_test, y_test, SGD(0.2), epochs, batch_size,
                            np.random.default_rng(1))
    order, sgd, losses_ = np.random.default_rng(1), SGD(0.2), []
    for _ in range(epochs):
        batches = reference.iterate_minibatches(X, y, batch_size, order)
        losses_.append(reference.train_epoch(twin, batches, sgd))
    np.testing.assert_allclose(history["loss"], losses_, **FLOAT)
    assert [len(history[k]) for k in ("loss", "train_accuracy", "test_accuracy")] == [epochs] * 3
    assert history["train_accuracy"][-1] == reference.accuracy(twin.forward(X), y)
    assert history["test_accuracy"][-1] == reference.accuracy(twin.forward(X_test), y_test)
