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

    result = tl.ITERATE_MINIBATCHES.run(only_X)          # named by its effect now
    assert result.mistake == "y_batch missing" and "the labels were left out" in result.message

    def pairs_of_three(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            yield X[order[i:i + batch_size]], y[order[i:i + batch_size]], order[i:i + batch_size]

    result = tl.ITERATE_MINIBATCHES.run(pairs_of_three)
    assert result.mistake is None
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


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Each wrong answer below is written differently from the catalogue's implementation; the check must
# name the mistake from what it does.

def named(exercise, fn, mistake, seed=None):
    result = exercise.run(fn, seed=seed)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    return result


def mb_np_random_permutation(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    for i in range(0, len(X), batch_size):
        yield X[order[i:i + batch_size]], y[order[i:i + batch_size]]


def mb_np_random_shuffle_indices(X, y, batch_size, rng):
    idx = list(range(len(X)))
    np.random.shuffle(idx)
    idx = np.array(idx)
    for i in range(0, len(X), batch_size):
        yield X[idx[i:i + batch_size]], y[idx[i:i + batch_size]]


def mb_fresh_unseeded_generator(X, y, batch_size, rng):
    order = np.random.default_rng().permutation(len(X))
    for i in range(0, len(X), batch_size):
        yield X[order[i:i + batch_size]], y[order[i:i + batch_size]]


def mb_choice_with_replacement(X, y, batch_size, rng):
    picks = rng.choice(len(X), size=len(X))
    for i in range(0, len(X), batch_size):
        yield X[picks[i:i + batch_size]], y[picks[i:i + batch_size]]


def mb_range_stops_short(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for i in range(0, len(X) - batch_size, batch_size):
        yield X[order[i:i + batch_size]], y[order[i:i + batch_size]]


def mb_return_in_loop(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for i in range(0, len(X), batch_size):
        return X[order[i:i + batch_size]], y[order[i:i + batch_size]]


def mb_forever(X, y, batch_size, rng):
    i = 0
    order = rng.permutation(len(X))
    while True:
        yield X[order[i % len(X):i % len(X) + batch_size]], y[order[i % len(X):i % len(X) + batch_size]]
        i += batch_size


def mb_only_X_shuffled(X, y, batch_size, rng):
    Xs = X[rng.permutation(len(X))]
    for i in range(0, len(X), batch_size):
        yield Xs[i:i + batch_size], y[i:i + batch_size]


def mb_whole_epoch(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    yield X[order], y[order]


def mb_global_shuffle_in_place(X, y, batch_size, rng):
    state = np.random.get_state()
    np.random.shuffle(X)
    np.random.set_state(state)
    np.random.shuffle(y)
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


@pytest.mark.parametrize("fn, mistake", [
    (mb_np_random_permutation, "the generator given is not used"),
    (mb_np_random_shuffle_indices, "the generator given is not used"),
    (mb_fresh_unseeded_generator, "the generator given is not used"),
    (mb_choice_with_replacement, "examples drawn with replacement"),
    (mb_range_stops_short, "batches stop too early"),
    (mb_return_in_loop, "return instead of yield"),
    (mb_forever, "epoch never ends"),
    (mb_only_X_shuffled, "mini-batches shuffling X and y separately"),
    (mb_whole_epoch, "batch_size ignored"),
    (mb_global_shuffle_in_place, "data shuffled in place"),
])
def test_iterate_minibatches_mistakes_named_by_effect(fn, mistake):
    named(tl.ITERATE_MINIBATCHES, fn, mistake)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_generator_that_ignores_rng_fails_on_hidden_cases_too(seed):
    named(tl.ITERATE_MINIBATCHES, mb_np_random_permutation, "the generator given is not used", seed=seed)
    assert tl.ITERATE_MINIBATCHES.run(mb_correct_split, seed=seed).passed


def mb_correct_choice_without_replacement(X, y, batch_size, rng):
    order = rng.choice(len(X), size=len(X), replace=False)
    batches = []
    start = 0
    while start < len(X):
        rows = order[start:start + batch_size]
        batches.append((X[rows], y[rows]))
        start += batch_size
    yield from batches


def test_iterate_minibatches_other_correct_form_passes():
    assert tl.ITERATE_MINIBATCHES.run(mb_correct_choice_without_replacement).passed


def te_forgets_step(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward()
        total, n = total + loss * len(Xb), n + len(Xb)
    return total / n


def te_return_in_loop(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
        total, n = total + loss * len(Xb), n + len(Xb)
        return total / n


def te_swapped_step(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        total += model.loss(Xb, yb) * len(Xb)
        n += len(Xb)
        model.backward()
        optimizer.step(model.grads, model.params)
    return total / n


def te_divided_by_batches(model, batches, optimizer):
    total, count = 0.0, 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
        total += loss * len(Xb)
        count += 1
    return total / count


def te_total(model, batches, optimizer):
    total = 0.0
    for Xb, yb in batches:
        total += len(Xb) * model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
    return total


def te_list(model, batches, optimizer):
    losses = []
    for Xb, yb in batches:
        losses.append(model.loss(Xb, yb))
        model.backward()
        optimizer.step(model.params, model.grads)
    return losses


def te_mean_by_sum_over_len(model, batches, optimizer):
    losses = []
    for Xb, yb in batches:
        losses += [model.loss(Xb, yb)]
        model.backward()
        optimizer.step(model.params, model.grads)
    return sum(losses) / len(losses)


@pytest.mark.parametrize("fn, mistake", [
    (te_forgets_step, "optimizer.step never called"),
    (te_return_in_loop, "return inside the loop"),
    (te_swapped_step, "params and grads swapped in optimizer.step"),
    (te_divided_by_batches, "total divided by the number of batches"),
    (te_total, "total not divided by the number of examples"),
    (te_list, "list of batch losses returned"),
    (te_mean_by_sum_over_len, "mean over batches instead of examples"),
])
def test_train_epoch_mistakes_named_by_effect(fn, mistake):
    result = named(tl.TRAIN_EPOCH, fn, mistake)
    if fn is te_forgets_step:      # never blamed on the order of backward and step
        assert "backward" not in result.mistake and "optimizer.step" in result.message


def acc_argmax_no_axis(scores, y):
    return (scores.argmax() == y).mean()


def acc_max_value(scores, y):
    return np.sum(scores.max(axis=1) == y) / len(y)


def acc_probabilities(scores, y):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return float(np.mean(probs == y))


def acc_floor_division(scores, y):
    return np.sum(np.argmax(scores, axis=1) == y) // y.shape[0]


def acc_loop_correct(scores, y):
    hits = 0
    for row, label in zip(scores, y):
        best = 0
        for j in range(len(row)):
            if row[j] > row[best]:
                best = j
        hits += best == label
    return hits / len(y)


@pytest.mark.parametrize("fn, mistake", [
    (acc_argmax_no_axis, "argmax without an axis"),
    (acc_max_value, "max instead of argmax"),
    (acc_probabilities, "scores compared with the labels"),
    (acc_floor_division, "integer division"),
])
def test_accuracy_mistakes_named_by_effect(fn, mistake):
    named(tl.ACCURACY, fn, mistake)


def test_accuracy_with_loops_passes():
    assert tl.ACCURACY.run(acc_loop_correct).passed


def fit_written(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng, *, bug=None):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    epoch = 0
    while epoch < epochs:
        if bug != "no increment":
            epoch += 1
        batches = reference.iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(reference.train_epoch(model, batches, optimizer))
        if bug == "predict":
            history["train_accuracy"].append(reference.accuracy(model.predict(X_train), y_train))
            history["test_accuracy"].append(reference.accuracy(model.predict(X_test), y_test))
            continue
        train_acc = reference.accuracy(model.forward(X_train), y_train)
        test_acc = reference.accuracy(model.forward(X_test), y_test)
        if bug == "swapped":
            train_acc, test_acc = test_acc, train_acc
        history["train_accuracy"].append(train_acc)
        history["test_accuracy"].append(test_acc)
    if bug == "extra epoch":
        batches = reference.iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(reference.train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
    return history


@pytest.mark.parametrize("bug, mistake", [
    ("no increment", "fit does not stop"),
    ("predict", "class predictions given to accuracy"),
    ("swapped", "training and test accuracies swapped"),
    ("extra epoch", "one epoch too many or too few"),
])
def test_fit_mistakes_named_by_effect(bug, mistake):
    named(tl.FIT, lambda *args: fit_written(*args, bug=bug), mistake)


def test_fit_written_with_a_while_loop_passes():
    assert tl.FIT.run(fit_written).passed


# ------------------------------------------------------------------ the grader sees the same verdicts

class _Sent(dict):
    """A dict output as it reaches the grader: plain data, with the error text of a behaviour."""
    error = None


def _as_sent(output):
    from backprop_helpers.checks.core import Raised
    from backprop_helpers.grading.kernel import plain
    if isinstance(output, Raised):
        return Raised.from_text(output.text)
    value = plain(output)
    if isinstance(output, dict) and type(output) is not dict:
        value = _Sent(value)
        value.error = getattr(output, "error", None)
    return value


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("iterate_minibatches", mb_np_random_permutation, "the generator given is not used"),
    ("iterate_minibatches", mb_return_in_loop, "return instead of yield"),
    ("train_epoch", te_forgets_step, "optimizer.step never called"),
    ("train_epoch", te_divided_by_batches, "total divided by the number of batches"),
    ("accuracy", acc_probabilities, "scores compared with the labels"),
    ("fit", lambda *args: fit_written(*args, bug="swapped"), "training and test accuracies swapped"),
])
def test_verdicts_on_outputs_sent_as_plain_data_name_the_same_mistake(exercise, fn, mistake):
    ex = {"iterate_minibatches": tl.ITERATE_MINIBATCHES, "train_epoch": tl.TRAIN_EPOCH,
          "accuracy": tl.ACCURACY, "fit": tl.FIT}[exercise]
    cases = ex.case_list(seed=7)
    sent = [_as_sent(o) for o in ex.results(fn, cases)]
    assert ex.verdict(sent, cases).mistake == mistake
    right = [_as_sent(o) for o in ex.results(ex.reference, cases)]
    assert ex.verdict(right, cases).passed


def mb_slice_to_batch_size(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:batch_size]], y[order[start:batch_size]]


def mb_step_of_one(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(len(X)):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def te_unweighted(model, batches, optimizer):
    total, count = 0.0, 0
    for Xb, yb in batches:
        total += model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
        count += len(yb)
    return total / count


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("iterate_minibatches", mb_slice_to_batch_size, "batch slice ends at batch_size"),
    ("iterate_minibatches", mb_step_of_one, "batches overlap"),
    ("train_epoch", te_unweighted, "batch losses not weighted by their size"),
])
def test_more_slips_named_by_effect(exercise, fn, mistake):
    ex = {"iterate_minibatches": tl.ITERATE_MINIBATCHES, "train_epoch": tl.TRAIN_EPOCH}[exercise]
    named(ex, fn, mistake)


def te_loss_again_after_step(model, batches, optimizer):
    total = n = 0
    for Xb, yb in batches:
        model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params, model.grads)
        total += model.loss(Xb, yb) * len(Xb)
        n += len(Xb)
    return total / n


def acc_keepdims(scores, y):
    return float(np.mean(np.argmax(scores, axis=1, keepdims=True) == y))


def acc_argmax_of_labels(scores, y):
    return float(np.mean(scores.argmax(axis=1) == y.argmax()))


def fit_assigns_loss(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        history["loss"] = reference.train_epoch(
            model, reference.iterate_minibatches(X_train, y_train, batch_size, rng), optimizer)
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
    return history


def fit_without_return(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        history["loss"].append(reference.train_epoch(
            model, reference.iterate_minibatches(X_train, y_train, batch_size, rng), optimizer))
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("train_epoch", te_loss_again_after_step, "loss measured after the update"),
    ("accuracy", acc_keepdims, "keepdims in argmax"),
    ("accuracy", acc_argmax_of_labels, "labels treated as one-hot"),
    ("fit", fit_assigns_loss, "history entry replaced instead of appended"),
    ("fit", fit_without_return, "nothing returned"),
])
def test_further_slips_named_by_effect(exercise, fn, mistake):
    ex = {"train_epoch": tl.TRAIN_EPOCH, "accuracy": tl.ACCURACY, "fit": tl.FIT}[exercise]
    named(ex, fn, mistake)


def te_step_with_params_only(model, batches, optimizer):
    total = count = 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward()
        optimizer.step(model.params)
        total, count = total + loss * len(Xb), count + len(Xb)
    return total / count


def mb_new_permutation_per_batch(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        rows = rng.permutation(len(X))[:batch_size]
        yield X[rows], y[rows]


def test_a_step_without_its_gradients_is_named_without_the_checks_internals():
    result = named(tl.TRAIN_EPOCH, te_step_with_params_only, "optimizer.step given one argument")
    assert "Recording" not in result.message


def test_a_new_permutation_per_batch_is_named():
    named(tl.ITERATE_MINIBATCHES, mb_new_permutation_per_batch, "examples drawn with replacement")


def te_keyword_arguments(model, batches, optimizer):
    total = count = 0
    for X_batch, y_batch in batches:
        total += model.loss(X=X_batch, y=y_batch) * X_batch.shape[0]
        model.backward()
        optimizer.step(params=model.params, grads=model.grads)
        count += X_batch.shape[0]
    return total / count


def fit_keyword_arguments(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        batches = reference.iterate_minibatches(X_train, y_train, batch_size, rng)
        history["loss"].append(te_keyword_arguments(model, batches, optimizer))
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
    return history


def test_methods_called_with_keyword_arguments_pass():
    assert tl.TRAIN_EPOCH.run(te_keyword_arguments).passed
    assert tl.FIT.run(fit_keyword_arguments).passed


def te_two_values_from_loss(model, batches, optimizer):
    total = count = 0
    for Xb, yb in batches:
        loss, grads = model.loss(Xb, yb)
        optimizer.step(model.params, grads)
        total, count = total + loss * len(Xb), count + len(Xb)
    return total / count


def te_batch_as_one(model, batches, optimizer):
    total = count = 0
    for batch in batches:
        loss = model.loss(batch)
        model.backward()
        optimizer.step(model.params, model.grads)
        total, count = total + loss * len(batch[0]), count + len(batch[0])
    return total / count


def te_backward_of_loss(model, batches, optimizer):
    total = count = 0
    for Xb, yb in batches:
        loss = model.loss(Xb, yb)
        model.backward(loss)
        optimizer.step(model.params, model.grads)
        total, count = total + loss * len(Xb), count + len(Xb)
    return total / count


def mb_one_batch_too_many(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for k in range(len(X) // batch_size + 1):
        rows = order[k * batch_size:(k + 1) * batch_size]
        yield X[rows], y[rows]


def mb_yields_indices(X, y, batch_size, rng):
    idx = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        yield idx[start:start + batch_size]


def fit_forgets_rng(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        history["loss"].append(reference.train_epoch(
            model, reference.iterate_minibatches(X_train, y_train, batch_size), optimizer))
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
    return history


def fit_data_to_train_epoch(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        history["loss"].append(reference.train_epoch(model, X_train, y_train, optimizer))
        history["train_accuracy"].append(reference.accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(reference.accuracy(model.forward(X_test), y_test))
    return history


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("train_epoch", te_two_values_from_loss, "model.loss unpacked into two values"),
    ("train_epoch", te_batch_as_one, "batch not unpacked"),
    ("train_epoch", te_backward_of_loss, "backward given the loss"),
    ("iterate_minibatches", mb_one_batch_too_many, "an empty batch at the end"),
    ("iterate_minibatches", mb_yields_indices, "indices yielded instead of the rows"),
    ("fit", fit_forgets_rng, "rng not passed to iterate_minibatches"),
    ("fit", fit_data_to_train_epoch, "train_epoch given the data instead of the batches"),
])
def test_python_errors_and_loop_bounds_named(exercise, fn, mistake):
    ex = {"train_epoch": tl.TRAIN_EPOCH, "iterate_minibatches": tl.ITERATE_MINIBATCHES, "fit": tl.FIT}[exercise]
    named(ex, fn, mistake)
