"""Lesson 07 checks, fed the code a learner would write: each mistake of the catalogue is named, correct
answers written differently from the reference pass, and the learner's network functions are sorted
into those the network can use and those it replaces by the reference."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_helpers import reference
from backprop_helpers.checks import check_network_functions
from backprop_helpers.checks import lesson07_training_loop as tl
from backprop_helpers.learner_model import FunctionMLP


# ------------------------------------------------------------------ iterate_minibatches

def mb_two_shuffles(X, y, batch_size, rng):
    X_shuffled = X[rng.permutation(X.shape[0])]
    y_shuffled = y[rng.permutation(y.shape[0])]
    i = 0
    while i < len(X):
        yield X_shuffled[i:i + batch_size], y_shuffled[i:i + batch_size]
        i += batch_size


def mb_np_shuffle_each(X, y, batch_size, rng):
    rng.shuffle(X)
    rng.shuffle(y)
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def mb_full_batches_only(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    n_batches = len(X) // batch_size
    for b in range(n_batches):
        rows = order[b * batch_size:(b + 1) * batch_size]
        yield X[rows], y[rows]


def mb_in_order(X, y, batch_size, rng):
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def mb_fixed_seed(X, y, batch_size, rng):
    order = np.random.default_rng(42).permutation(len(X))
    for i in range(0, len(X), batch_size):
        yield X[order[i:i + batch_size]], y[order[i:i + batch_size]]


def mb_correct_shuffled_index(X, y, batch_size, rng):
    idx = np.arange(len(X))
    rng.shuffle(idx)
    return [(X[idx[i:i + batch_size]], y[idx[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def mb_correct_split(X, y, batch_size, rng):
    order = rng.permutation(len(y))
    for chunk in np.array_split(order, range(batch_size, len(y), batch_size)):
        yield X[chunk], y[chunk]


@pytest.mark.parametrize("fn, mistake, phrase", [
    (mb_two_shuffles, "mini-batches shuffling X and y separately", "with two different permutations"),
    (mb_np_shuffle_each, "X and y shuffled separately in place", "each in its own random order"),
    (mb_full_batches_only, "last partial batch dropped", "the last, smaller batch is missing"),
    (mb_in_order, "no shuffle", "the original order of the data"),
    (mb_fixed_seed, "no shuffle between epochs", "every epoch has the same order"),
])
def test_iterate_minibatches_mistakes_are_named(fn, mistake, phrase):
    result = tl.ITERATE_MINIBATCHES.run(fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [mb_correct_shuffled_index, mb_correct_split])
def test_iterate_minibatches_correct_learner_versions_pass(fn):
    assert tl.ITERATE_MINIBATCHES.run(fn).passed


def test_a_broken_property_is_named_in_words():
    def only_X(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            yield X[order[i:i + batch_size]]

    def extra_example(X, y, batch_size, rng):
        order = np.append(rng.permutation(len(X)), 0)
        for i in range(0, len(order), batch_size):
            yield X[order[i:i + batch_size]], y[order[i:i + batch_size]]

    result = tl.ITERATE_MINIBATCHES.run(only_X)
    assert "this should hold but does not: it yields (X_batch, y_batch) pairs" in result.message
    result = tl.ITERATE_MINIBATCHES.run(extra_example)
    assert "the batch sizes of an epoch, in order: got [4, 4, 3], expected [4, 4, 2]" in result.message


# ------------------------------------------------------------------ train_epoch

def te_mean_of_batches(model, batches, optimizer):
    losses = []
    for Xb, yb in batches:
        losses.append(model.loss(Xb, yb))
        model.backward()
        optimizer.step(model.params, model.grads)
    return sum(losses) / len(losses)


def te_last_loss(model, batches, optimizer):
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
    return loss


def te_sum(model, batches, optimizer):
    total = 0
    for Xb, yb in batches:
        total += model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
    return total


def te_no_backward(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        total += model.loss(Xb, yb) * len(yb)
        n += len(yb)
        optimizer.step(model.params, model.grads)
    return total / n


def te_step_first(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        optimizer.step(model.params, model.grads)
        model.backward()
        total, n = total + loss * len(yb), n + len(yb)
    return total / n


def te_one_update(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        total += model.loss(Xb, yb) * len(yb)
        n += len(yb)
        model.backward()
    optimizer.step(model.params, model.grads)
    return total / n


def te_correct(model, batches, optimizer):
    losses, sizes = [], []
    for X_batch, y_batch in batches:
        losses.append(model.loss(X_batch, y_batch))
        sizes.append(X_batch.shape[0])
        grads = model.backward()
        optimizer.step(model.params, grads)
    return np.average(losses, weights=sizes)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (te_mean_of_batches, "mean over batches instead of examples", "as much weight as a full one"),
    (te_last_loss, "loss of the last batch returned", "returned the last batch's loss"),
    (te_sum, "sum of batch losses returned", "the sum of the batch losses"),
    (te_no_backward, "backward not called before the update", "the parameters did not move"),
    (te_step_first, "update before backward", "the gradients of the previous batch"),
    (te_one_update, "one update per epoch", "update after EVERY batch"),
])
def test_train_epoch_mistakes_are_named(fn, mistake, phrase):
    result = tl.TRAIN_EPOCH.run(fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


def test_train_epoch_correct_learner_version_passes():
    assert tl.TRAIN_EPOCH.run(te_correct).passed


# ------------------------------------------------------------------ accuracy

@pytest.mark.parametrize("fn, mistake, phrase", [
    (lambda scores, y: (scores.argmax(axis=1) == y).sum(), "count instead of fraction", "their FRACTION"),
    (lambda scores, y: round(100 * np.mean(scores.argmax(1) == y), 6), "percentage instead of fraction",
     "multiply by 100 only when you print"),
    (lambda scores, y: (scores.argmax(axis=0) == y).mean(), "argmax over the wrong axis",
     "the largest score in each ROW"),
    (lambda scores, y: 1 - np.mean(scores.argmax(1) == y), "error rate instead of accuracy",
     "fraction of WRONG predictions"),
])
def test_accuracy_mistakes_are_named(fn, mistake, phrase):
    result = tl.ACCURACY.run(fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


def test_accuracy_correct_learner_version_passes():
    def accuracy(scores, y):
        right = 0
        for row, label in zip(scores, y):
            right += int(np.argmax(row) == label)
        return right / len(y)
    assert tl.ACCURACY.run(accuracy).passed


# ------------------------------------------------------------------ fit

def fit_learner(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng, *, bug=None):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    if bug == "batches once":
        batches = list(reference.iterate_minibatches(X_train, y_train, batch_size, rng))
    for epoch in range(epochs):
        if bug == "fresh rng":
            rng = np.random.default_rng(123)
        if bug != "batches once":
            batches = reference.iterate_minibatches(X_train, y_train, batch_size, rng)
        if bug == "test trained":
            batches = reference.iterate_minibatches(X_test, y_test, batch_size, rng)
        if bug == "measure first":
            history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
            history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
        history["loss"].append(reference.train_epoch(model, batches if bug != "batches once" or epoch == 0 else [],
                                               optimizer))
        if bug != "measure first":
            history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
            test = (X_train, y_train) if bug == "train as test" else (X_test, y_test)
            history["test_accuracy"].append(reference.accuracy(model.forward(test[0]), test[1]))
    return history


def fit_correct_with_predict(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        loss = reference.train_epoch(model, reference.iterate_minibatches(X_train, y_train, batch_size, rng), optimizer)
        history["loss"].append(loss)
        history["train_accuracy"].append(float((model.predict(X_train) == y_train).mean()))
        history["test_accuracy"].append(float((model.predict(X_test) == y_test).mean()))
    return history


@pytest.mark.parametrize("bug, mistake, phrase", [
    ("train as test", "accuracy on the training set called test accuracy", "measured on the training data"),
    ("fresh rng", "no shuffle between epochs", "every epoch has the same order"),
    ("batches once", "batches made once for all epochs", "a generator is used up after one pass"),
    ("measure first", "accuracy measured before the epoch's training", "lags one epoch behind"),
    ("test trained", "trained on the test set", "trained on the test set"),
])
def test_fit_mistakes_are_named(bug, mistake, phrase):
    result = tl.FIT.run(lambda *args: fit_learner(*args, bug=bug))
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [fit_learner, fit_correct_with_predict])
def test_fit_correct_learner_versions_pass(fn):
    assert tl.FIT.run(fn).passed


def test_a_crash_in_fit_is_shown_and_never_given_a_mistakes_explanation():
    def typo(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
        history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
        for _ in range(epochs):
            history["loss"].append(reference.train_epoch(model, reference.iterate_minibatches(
                X_train, y_train, batch_size, rng), optimizer))
            history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_tset))  # noqa: F821
        return history
    result = tl.FIT.run(typo)
    assert result.mistake is None
    assert "it raised NameError: name 'y_tset' is not defined" in result.message


# ------------------------------------------------------------------ the learner's network functions

def my_linear_forward(X, W, b):
    return np.dot(X, W) + b


def my_linear_backward(dout, X, W):
    return dout.dot(W.T), X.T.dot(dout), dout.sum(axis=0)


def my_relu(x):
    return x * (x > 0)


def my_relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)


def my_loss(scores, y):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return -np.mean(np.log(p[np.arange(n), y])), dscores / n


def test_correct_network_functions_are_all_used(capsys):
    fns = check_network_functions(linear_forward=my_linear_forward, linear_backward=my_linear_backward,
                                  activation_forward=my_relu, activation_backward=my_relu_backward,
                                  loss_fn=my_loss)
    out = capsys.readouterr().out
    assert out.count("✔") == 5 and "The network uses your own functions." in out
    assert fns == dict(linear_forward=my_linear_forward, linear_backward=my_linear_backward,
                       activation_forward=my_relu, activation_backward=my_relu_backward, loss_fn=my_loss)
    model = FunctionMLP((2, 4, 3), **fns)
    assert not any(model.uses_reference(role) for role in fns)


def test_wrong_or_unfinished_network_functions_are_named_by_their_lessons_checks(capsys):
    def relu(x):
        raise NotImplementedError()

    def loss_without_n(scores, y):
        loss, dscores = my_loss(scores, y)
        return loss, dscores * len(y)

    fns = check_network_functions(linear_forward=my_linear_forward, activation_forward=relu,
                                  loss_fn=loss_without_n)
    out = capsys.readouterr().out
    assert "… relu: not done yet" in out
    assert "✘ softmax_cross_entropy: the loss is a mean over the batch, so its gradient carries the 1/N" in out
    assert ("The network uses the reference for relu, loss_without_n so that training runs; it uses your "
            "my_linear_forward.") in out
    assert fns["linear_forward"] is my_linear_forward
    assert fns["activation_forward"] is not relu and fns["loss_fn"] is not loss_without_n
    model = FunctionMLP((2, 4, 3), **fns)
    X, y = np.random.default_rng(0).standard_normal((5, 2)), np.array([0, 1, 2, 0, 1])
    assert np.isfinite(model.loss(X, y))


@pytest.mark.parametrize("activation, backward", [
    ("sigmoid", lambda dout, out: dout * out * (1 - out)),
    ("tanh", lambda dout, out: dout * (1 - out ** 2)),
    ("leaky_relu", lambda dout, x: np.where(x > 0, dout, 0.01 * dout)),
])
def test_activation_backward_receives_what_its_activation_needs(activation, backward, capsys):
    fns = check_network_functions(activation_backward=backward, activation=activation, show=False)
    assert fns["activation_backward"] is backward
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("loss, fn", [
    ("mse", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), 2 * (y_hat - y) / len(y))),
    ("binary_cross_entropy",
     lambda s, y: (np.mean(np.logaddexp(0, s) - y * s), (1 / (1 + np.exp(-s)) - y) / len(y))),
])
def test_losses_for_regression_and_two_classes(loss, fn):
    assert check_network_functions(loss_fn=fn, loss=loss, show=False)["loss_fn"] is fn


def test_pieces_without_a_lesson_check_are_compared_with_the_reference(capsys):
    def leaky(x):
        return np.where(x > 0, x, 0.1 * x)           # the slope of the course's leaky ReLU is 0.01

    fns = check_network_functions(activation_forward=leaky, activation="leaky_relu")
    out = capsys.readouterr().out
    assert "✘ leaky: out differs from the expected values" in out
    assert fns["activation_forward"] is not leaky and fns["activation_forward"].is_reference
    assert FunctionMLP((2, 3, 2), activation="leaky_relu", **fns).uses_reference("activation_forward")


def test_a_lambda_is_named_by_its_role(capsys):
    check_network_functions(linear_forward=lambda X, W, b: X @ W)
    out = capsys.readouterr().out
    assert "The network uses the reference for linear_forward so that training runs." in out
