"""Checks for lesson 07, the training loop: mini-batches, one epoch, accuracy, a whole fit; and the
learner's network functions brought from lessons 01-04.

Mini-batches and ``fit`` may legitimately use the random generator differently from the reference, so
their checks compare *properties* that every correct answer has (each example once per epoch, rows kept
with their labels, a new order every epoch, the last partial batch kept, ...), never the exact order.
"""
from __future__ import annotations

import math

import numpy as np

from .. import reference
from ..learner_model import BACKWARD_FROM, reference_functions
from ..network import MLP
from ..optim import SGD, Momentum
from ..reference import accuracy, iterate_minibatches, train_epoch
from .core import Case, Exercise, Mistake, same_output

__all__ = ["check_iterate_minibatches", "check_train_epoch", "check_accuracy", "check_fit",
           "check_network_functions"]


def _error_kind(outcome):
    error = getattr(outcome, "error", None)
    return error.split(":")[0] if error else None


class _PropertyExercise(Exercise):
    """An exercise whose run returns a dict of named properties; a failure names the property.

    A catalogued mistake that raises an exception is named only when the learner's function raised
    the same kind of exception, so that an unrelated crash is never given the mistake's explanation.
    """

    def explain_difference(self, got, want, case):
        if not isinstance(got, dict):
            return "the function did not behave as expected"   # pragma: no cover - run returns dicts
        for key, w in want.items():
            g = got.get(key)
            if same_output(g, w, self.rtol, self.atol):
                continue
            if isinstance(w, bool) and w and getattr(got, "error", None):
                return f"it raised {got.error}"
            if isinstance(w, bool):
                return f"this should {'' if w else 'not '}hold but does {'not' if w else ''}: {key}"
            return f"{key}: got {g}, expected {w}"
        return "the result differs from the expected one"      # pragma: no cover

    def matching_mistake(self, got, want, outputs_of):
        for mistake in self.mistakes:
            theirs = outputs_of(mistake.impl)
            if any(not same_output(t, w, self.rtol, self.atol) for t, w in zip(theirs, want)) and all(
                    same_output(g, t, self.rtol, self.atol) and _error_kind(g) == _error_kind(t)
                    for g, t in zip(got, theirs)):
                return mistake
        return None


# ------------------------------------------------------------------ iterate_minibatches

def _epoch_ids(batches, ids_of_x, ids_of_y):
    """Follow one epoch's batches: (is every item a pair, sizes, row ids of X, are rows aligned)."""
    pairs, sizes, order, aligned = True, [], [], True
    for item in batches:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            pairs = False
            continue
        Xb, yb = np.asarray(item[0]), np.asarray(item[1])
        if Xb.ndim != 2 or yb.ndim < 1 or len(Xb) != len(yb):
            pairs = False
            continue
        sizes.append(int(len(Xb)))
        xs = [ids_of_x.get(row.tobytes(), -1) for row in np.asarray(Xb, dtype=float)]
        ys = [ids_of_y(v) for v in yb]
        order += xs
        aligned = aligned and xs == ys
    return pairs, sizes, order, aligned


def _run_minibatches(fn, X, y, batch_size, seed):
    X_before, y_before = X.copy(), y.copy()
    ids_of_x = {row.tobytes(): i for i, row in enumerate(X)}
    ids_of_y = (lambda v: int(np.asarray(v).reshape(-1)[0])) if y.ndim == 2 else (lambda v: int(v))
    rng = np.random.default_rng(seed)
    pairs1, sizes, first, aligned1 = _epoch_ids(fn(X, y, batch_size, rng), ids_of_x, ids_of_y)
    pairs2, _, second, aligned2 = _epoch_ids(fn(X, y, batch_size, rng), ids_of_x, ids_of_y)
    n = len(X_before)
    return {
        "it yields (X_batch, y_batch) pairs": pairs1 and pairs2,
        "the batch sizes of an epoch, in order": sizes,
        "each example appears exactly once per epoch": sorted(first) == list(range(n)),
        "each row of X_batch stays with its own label in y_batch": aligned1 and aligned2,
        "the order is shuffled": first != list(range(n)),
        "the second epoch has a new order": first != second,
        "X and y are left unchanged": bool(np.array_equal(X, X_before) and np.array_equal(y, y_before)),
    }


def _draw_seed(rng, seed):
    """The notebook's ``seed``, or (with the grader's ``rng``) a seed drawn from it."""
    return seed if rng is None else int(rng.integers(0, 2 ** 31))


def _minibatch_cases(rng=None):
    cases = []
    for seed, (n, batch_size, targets) in enumerate([(10, 4, "labels"), (12, 3, "labels"),
                                                     (9, 5, "values"), (6, 10, "labels"),
                                                     (7, 1, "labels")]):
        r = rng if rng is not None else np.random.default_rng(30 + seed)
        seed = _draw_seed(rng, seed)
        X = r.standard_normal((n, 2))
        y = np.arange(n) if targets == "labels" else np.column_stack([np.arange(n), r.standard_normal(n)])
        what = "class labels" if targets == "labels" else "targets of shape (N, 2)"
        cases.append(Case(f"N={n} and batch_size={batch_size} with {what}", (X, y, batch_size, seed)))
    return cases


def _mb_separately(X, y, batch_size, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _mb_separately_in_place(X, y, batch_size, rng):
    rng.shuffle(X)
    rng.shuffle(y)
    return _mb_in_order(X, y, batch_size, rng)


def _mb_drop_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for b in range(len(X) // batch_size):
        idx = order[b * batch_size:(b + 1) * batch_size]
        yield X[idx], y[idx]


def _mb_in_order(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _mb_same_order(X, y, batch_size, rng):
    return iterate_minibatches(X, y, batch_size, np.random.default_rng(0))


def _mb_in_place(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X[:], y[:] = X[order], y[order]
    return _mb_in_order(X, y, batch_size, rng)


ITERATE_MINIBATCHES = _PropertyExercise(
    "iterate_minibatches", reference.iterate_minibatches, _minibatch_cases, run=_run_minibatches,
    outputs=("properties",), input_names=("X", "y", "batch_size", "rng"), may_use=(),
    same_as=("training.minibatches",),
    mistakes=[
        Mistake("mini-batches shuffling X and y separately",
                "the rows of X_batch no longer match their labels in y_batch: X and y were shuffled "
                "with two different permutations. Draw ONE permutation (order = rng.permutation(N)) "
                "and index both with it: X[idx], y[idx].", _mb_separately),
        Mistake("X and y shuffled separately in place",
                "the rows of X_batch no longer match their labels, and the caller's X and y were "
                "reordered: rng.shuffle(X) and rng.shuffle(y) shuffle each array in place, each in its "
                "own random order. Draw ONE permutation (order = rng.permutation(N)) and pick the "
                "rows of both with it: X[idx], y[idx].", _mb_separately_in_place),
        Mistake("last partial batch dropped",
                "the last, smaller batch is missing, so some examples are never trained on in this "
                "epoch. When batch_size does not divide N, the last batch holds the remaining "
                "N % batch_size examples: keep it.", _mb_drop_last),
        Mistake("no shuffle",
                "the batches come in the original order of the data. Shuffle at the start of each "
                "epoch (order = rng.permutation(N)), so the batches differ from epoch to epoch.",
                _mb_in_order),
        Mistake("no shuffle between epochs",
                "every epoch has the same order: a new random generator with a fixed seed was made "
                "inside the function. Draw the permutation from the rng you are given, which moves "
                "on after each use, so every epoch gets a new order.", _mb_same_order),
        Mistake("data shuffled in place",
                "the caller's X and y were reordered in place. Leave the data alone and pick rows "
                "by index instead: X[idx], y[idx] make new arrays.", _mb_in_place),
    ])


def check_iterate_minibatches(fn):
    """Check ``iterate_minibatches(X, y, batch_size, rng)``: shuffled, aligned, complete batches."""
    return ITERATE_MINIBATCHES.check(fn)


# ------------------------------------------------------------------ train_epoch

def _run_train_epoch(fn, layer_sizes, batches, optimizer, seed):
    model = MLP(layer_sizes, seed=seed)
    kind, lr = optimizer
    opt = SGD(lr) if kind == "sgd" else Momentum(lr, mu=0.9)
    loss = fn(model, [(Xb.copy(), yb.copy()) for Xb, yb in batches], opt)
    params = {k: v.copy() for k, v in model.params.items()}
    return (float(loss) if isinstance(loss, (int, float, np.floating, np.integer)) else loss), params


def _train_epoch_cases(rng=None):
    cases = []
    specs = [((2, 4, 3), (4, 4, 2), ("sgd", 0.5)), ((3, 5, 2), (3, 3, 3, 1), ("momentum", 0.1)),
             ((2, 3, 2), (5,), ("sgd", 0.2))]
    for seed, (sizes, batch_sizes, opt) in enumerate(specs):
        r = rng if rng is not None else np.random.default_rng(40 + seed)
        seed = _draw_seed(rng, seed)
        batches = [(r.standard_normal((b, sizes[0])), r.integers(0, sizes[-1], b)) for b in batch_sizes]
        sizes_text = "+".join(map(str, batch_sizes))
        cases.append(Case(f"batches of {sizes_text} with {opt[0]}", (sizes, batches, opt, seed)))
    return cases


def _te_variant(model, batches, optimizer, *, average="examples", update="after backward"):
    losses, sizes, last = [], [], None
    for X_batch, y_batch in batches:
        loss = model.loss(X_batch, y_batch)
        if update == "before backward":
            optimizer.step(model.params, model.grads)
        if update != "no backward":
            model.backward()
        if update in ("after backward", "no backward"):
            optimizer.step(model.params, model.grads)
        losses.append(loss)
        sizes.append(len(X_batch))
    if update == "once":
        optimizer.step(model.params, model.grads)
    if average == "batches":
        return float(np.mean(losses))
    if average == "last":
        return losses[-1]
    if average == "sum":
        return float(np.sum(losses))
    return float(np.dot(losses, sizes) / np.sum(sizes))


TRAIN_EPOCH = Exercise(
    "train_epoch", reference.train_epoch, _train_epoch_cases, run=_run_train_epoch,
    outputs=("mean loss", "params after the epoch"), input_names=("model", "batches", "optimizer"),
    may_use=("network", "optim", "learner_model"), same_as=("training.Trainer",),
    mistakes=[
        Mistake("mean over batches instead of examples",
                "the mean loss gives the small last batch as much weight as a full one. Weigh each "
                "batch's loss by its size: sum of loss * len(X_batch), divided by the number of "
                "examples.", lambda m, b, o: _te_variant(m, b, o, average="batches")),
        Mistake("loss of the last batch returned",
                "it returned the last batch's loss; the epoch's loss is the mean over all its "
                "batches, each weighted by its size.", lambda m, b, o: _te_variant(m, b, o, average="last")),
        Mistake("sum of batch losses returned",
                "it returned the sum of the batch losses; divide by the number of examples (after "
                "weighing each batch loss by its size) to get the mean.",
                lambda m, b, o: _te_variant(m, b, o, average="sum")),
        Mistake("backward not called before the update",
                "the parameters did not move: model.backward() must run after model.loss(...) and "
                "before optimizer.step(...), to fill model.grads.",
                lambda m, b, o: _te_variant(m, b, o, update="no backward")),
        Mistake("update before backward",
                "each update used the gradients of the previous batch: call model.backward() first, "
                "then optimizer.step(model.params, model.grads).",
                lambda m, b, o: _te_variant(m, b, o, update="before backward")),
        Mistake("one update per epoch",
                "the parameters were updated once, after the loop: update after EVERY batch (that is "
                "what makes it mini-batch gradient descent).",
                lambda m, b, o: _te_variant(m, b, o, update="once")),
    ])


def check_train_epoch(fn):
    """Check ``train_epoch(model, batches, optimizer)``: one step per batch, the mean loss returned."""
    return TRAIN_EPOCH.check(fn)


# ------------------------------------------------------------------ accuracy

def _accuracy_cases(rng=None):
    r = rng if rng is not None else np.random.default_rng(50)
    labels = np.array([0, 1, 2, 2, 1, 0])
    return [Case("N=6 and C=3", (r.standard_normal((6, 3)), labels if rng is None else r.integers(0, 3, 6))),
            Case("N=3 and C=3 (square scores)", (np.array([[3.0, 0, 0], [0, 0, 1], [2, 1, 0]]),
                                                  np.array([0, 1, 1]))),
            Case("a batch of one", (np.array([[0.2, -1.0]]), np.array([0]))),
            Case("a single class", (r.standard_normal((4, 1)), np.zeros(4, dtype=int))),
            Case("N=5 and C=2 with no correct prediction",
                 (np.array([[1.0, 0], [0, 1], [1, 0], [0, 1], [2, 1]]), np.array([1, 0, 1, 0, 1])))]


ACCURACY = Exercise(
    "accuracy", reference.accuracy, _accuracy_cases, outputs=("accuracy",), input_names=("scores", "y"),
    may_use=(),
    mistakes=[
        Mistake("count instead of fraction",
                "it counted the correct predictions; accuracy is their FRACTION: divide by N "
                "(np.mean of the comparison does both).",
                lambda s, y: float(np.sum(np.argmax(s, axis=1) == y))),
        Mistake("percentage instead of fraction",
                "accuracy is a fraction between 0 and 1 here; multiply by 100 only when you print it.",
                lambda s, y: 100 * accuracy(s, y)),
        Mistake("argmax over the wrong axis",
                "the predicted class is the largest score in each ROW (one row per example): "
                "np.argmax(scores, axis=1).", lambda s, y: float(np.mean(np.argmax(s, axis=0) == y))),
        Mistake("error rate instead of accuracy",
                "that is the fraction of WRONG predictions; accuracy counts the right ones (==).",
                lambda s, y: float(np.mean(np.argmax(s, axis=1) != y))),
    ])


def check_accuracy(fn):
    """Check ``accuracy(scores, y)``: the fraction of rows whose largest score is at the label."""
    return ACCURACY.check(fn)


# ------------------------------------------------------------------ fit

class _Properties(dict):
    """Named properties of a behaviour; ``error`` holds the text of an exception it raised, if any."""
    error = None


class _SpyModel:
    """An MLP that records which training examples each loss call saw, and which were trained on."""

    def __init__(self, model, ids):
        self._model, self._ids = model, ids
        self.params, self.grads = model.params, model.grads
        self._last, self.trained = [], []

    def loss(self, X, y):
        self._last = [self._ids.get(np.asarray(row, dtype=float).tobytes(), -1) for row in X]
        return self._model.loss(X, y)

    def backward(self):
        self.trained += self._last
        return self._model.backward()

    def __getattr__(self, name):
        return getattr(self._model, name)


class _CountingSGD(SGD):
    steps = 0

    def step(self, params, grads):
        self.steps += 1
        super().step(params, grads)


def _close(a, b):
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


def _run_fit(fn, X_train, y_train, X_test, y_test, epochs, batch_size, seed):
    n = len(X_train)
    model = _SpyModel(MLP((2, 6, 2), seed=seed), {row.tobytes(): i for i, row in enumerate(X_train)})
    optimizer = _CountingSGD(0.5)
    props = _Properties()
    history = None
    try:
        history = fn(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size,
                     np.random.default_rng(seed))
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's code may raise anything; it is reported
        props.error = f"{type(exc).__name__}: {exc}"
    lists = isinstance(history, dict) and all(isinstance(history.get(k), (list, tuple, np.ndarray))
                                              for k in ("loss", "train_accuracy", "test_accuracy"))
    chunks = [model.trained[i:i + n] for i in range(0, len(model.trained), n)]
    final_train = accuracy(model.forward(X_train), y_train)
    final_test = accuracy(model.forward(X_test), y_test)
    props["it runs without an error"] = props.error is None
    props["it returns a dict with the lists loss, train_accuracy and test_accuracy"] = lists
    props["each list has one entry per epoch"] = lists and all(
        len(history[k]) == epochs for k in ("loss", "train_accuracy", "test_accuracy"))
    props["training examples trained on, over all epochs"] = len(model.trained)
    props["each training example is trained on once per epoch"] = (
        len(chunks) == epochs and all(sorted(c) == list(range(n)) for c in chunks))
    props["each epoch has a new order"] = len(chunks) == epochs and all(
        a != b for a, b in zip(chunks, chunks[1:]))
    props["updates (optimizer steps) in all"] = optimizer.steps
    props["the last train_accuracy is the trained model's accuracy on the training set"] = (
        lists and len(history["train_accuracy"]) > 0 and _close(history["train_accuracy"][-1], final_train))
    props["the last test_accuracy is the trained model's accuracy on the test set"] = (
        lists and len(history["test_accuracy"]) > 0 and _close(history["test_accuracy"][-1], final_test))
    return props


def _fit_cases(rng=None):
    cases = []
    for seed, (n, batch_size, epochs) in enumerate([(24, 8, 3), (20, 6, 2), (9, 9, 2)]):
        fixed = rng is None or seed == 0     # the first case stays fixed: it tells every mistake apart
        r = np.random.default_rng(70 + seed) if fixed else rng
        seed = seed if fixed else _draw_seed(rng, seed)
        X_train, X_test = r.standard_normal((n, 2)), r.standard_normal((12, 2))
        y_train = (X_train.sum(axis=1) > 0).astype(np.int64)
        y_test = r.integers(0, 2, 12)
        cases.append(Case(f"N={n} and batch_size={batch_size} for {epochs} epochs",
                          (X_train, y_train, X_test, y_test, epochs, batch_size, seed)))
    return cases


def _fit_variant(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng, *, bug):
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    batches = iterate_minibatches(X_train, y_train, batch_size, rng)
    for _ in range(epochs):
        if bug == "same order":
            batches = iterate_minibatches(X_train, y_train, batch_size, np.random.default_rng(0))
        elif bug == "test set trained on":
            batches = iterate_minibatches(X_test, y_test, batch_size, rng)
        elif bug != "batches made once":
            batches = iterate_minibatches(X_train, y_train, batch_size, rng)
        if bug == "measured before":
            history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
            history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
        history["loss"].append(train_epoch(model, batches, optimizer))
        if bug != "measured before":
            history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
            X_eval, y_eval = (X_train, y_train) if bug == "test is train" else (X_test, y_test)
            history["test_accuracy"].append(accuracy(model.forward(X_eval), y_eval))
    return history


def _fit_mistake(bug):
    return lambda *args: _fit_variant(*args, bug=bug)


FIT = _PropertyExercise(
    "fit", reference.fit, _fit_cases, run=_run_fit, outputs=("properties",),
    may_use=("reference.iterate_minibatches", "reference.train_epoch", "reference.accuracy", "network",
             "optim", "learner_model"), same_as=("training.train", "training.Trainer"),
    input_names=("model", "X_train", "y_train", "X_test", "y_test", "optimizer", "epochs", "batch_size",
                 "rng"),
    mistakes=[
        Mistake("accuracy on the training set called test accuracy",
                "test_accuracy was measured on the training data. The test accuracy must come from "
                "X_test and y_test, which training never sees: that is what tells you how well the "
                "network does on new data.", _fit_mistake("test is train")),
        Mistake("no shuffle between epochs",
                "every epoch has the same order: a new random generator with a fixed seed was made "
                "inside the loop. Pass the rng you are given to iterate_minibatches in every epoch; it "
                "moves on after each use.", _fit_mistake("same order")),
        Mistake("batches made once for all epochs",
                "only the first epoch trained: a generator is used up after one pass. Call "
                "iterate_minibatches inside the loop over epochs, once per epoch.",
                _fit_mistake("batches made once")),
        Mistake("accuracy measured before the epoch's training",
                "the accuracies were measured before each epoch's training, so each entry lags one "
                "epoch behind. Train the epoch first, then measure.", _fit_mistake("measured before")),
        Mistake("trained on the test set",
                "the network was trained on the test set. Train on X_train, y_train only, and keep "
                "X_test, y_test to measure.", _fit_mistake("test set trained on")),
    ])


def check_fit(fn):
    """Check ``fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng)``."""
    return FIT.check(fn)


# ------------------------------------------------------------------ the learner's network functions

_OUTPUTS = {"linear_forward": ("out",), "linear_backward": ("dX", "dW", "db"),
            "activation_forward": ("out",), "activation_backward": ("dx",), "loss_fn": ("loss", "dscores")}


def _function_cases(role, activation, loss, reference):
    cases = []
    for label, (N, D, H) in (("a batch of 5", (5, 3, 4)), ("a batch of one", (1, 2, 3))):
        r = np.random.default_rng(60 + N)
        X, W, b = r.standard_normal((N, D)), r.standard_normal((D, H)), r.standard_normal(H)
        x = r.standard_normal((N, H)) * 2
        if role == "linear_forward":
            args = (X, W, b)
        elif role == "linear_backward":
            args = (r.standard_normal((N, H)), X, W)
        elif role == "activation_forward":
            args = (x,)
        elif role == "activation_backward":
            arg = x if BACKWARD_FROM[activation] == "input" else reference["activation_forward"](x)
            args = (r.standard_normal((N, H)), arg)
        elif loss == "softmax_cross_entropy":
            args = (x, r.integers(0, H, N))
        elif loss == "mse":
            args = (x, r.standard_normal((N, H)))
        else:
            args = (x[:, :1], r.integers(0, 2, (N, 1)).astype(float))
        cases.append(Case(label, args))
    return cases


def _lesson_exercise(role, activation, loss):
    """The check of the lesson where this piece was an exercise, if there is one (None otherwise)."""
    from . import EXERCISES                      # every lesson's exercises, collected by the package
    name = {"linear_forward": "linear_forward", "linear_backward": "linear_backward",
            "activation_forward": activation, "activation_backward": f"{activation}_backward",
            "loss_fn": {"softmax_cross_entropy": "softmax_cross_entropy", "mse": "mse_loss"}.get(loss)}[role]
    return EXERCISES.get(name)


def check_network_functions(*, linear_forward=None, linear_backward=None, activation_forward=None,
                            activation_backward=None, loss_fn=None, activation="relu",
                            loss="softmax_cross_entropy", show=True):
    """Check the learner's network functions and say which ones the network will use.

    Each function given (with the signatures of ``learner_model``) is checked by its lesson's check
    when there is one (``linear_forward``, ``relu``, ``softmax_cross_entropy``, ...), which names the
    classic mistakes, or else compared with the reference on two small cases. Returns a dict role ->
    function for ``FunctionMLP(layer_sizes, **functions)``: the learner's function where it passed, the
    reference where it did not (or is not written yet).
    """
    reference = reference_functions(activation, loss)
    spec = MLP((1, 1), activation=activation, loss=loss)
    activation, loss = spec.activation, spec.loss_name
    given = {"linear_forward": linear_forward, "linear_backward": linear_backward,
             "activation_forward": activation_forward, "activation_backward": activation_backward,
             "loss_fn": loss_fn}
    chosen, lines, yours, fallbacks = {}, [], [], []
    for role, fn in given.items():
        if fn is None:
            continue
        name = getattr(fn, "__name__", "")
        name = name if name.isidentifier() else role
        exercise = _lesson_exercise(role, activation, loss) or Exercise(
            name, reference[role], lambda role=role: _function_cases(role, activation, loss, reference),
            outputs=_OUTPUTS[role])
        result = exercise.run(fn)
        lines.append(result.message)
        chosen[role] = fn if result.passed else reference[role]
        (yours if result.passed else fallbacks).append(name)
    if fallbacks:
        lines.append(f"  → The network uses the reference for {', '.join(fallbacks)} so that training "
                     f"runs" + (f"; it uses your {', '.join(yours)}." if yours else "."))
    elif lines:
        lines.append("  → The network uses your own " + ("function." if len(yours) == 1 else "functions."))
    if show:
        print("\n".join(lines))
    return chosen


EXERCISES = {e.name: e for e in (ITERATE_MINIBATCHES, TRAIN_EPOCH, ACCURACY, FIT)}
