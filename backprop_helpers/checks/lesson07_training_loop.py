"""Checks for lesson 07, the training loop: mini-batches, one epoch, accuracy, a whole fit; and the
learner's network functions brought from lessons 01-04.

Mini-batches and ``fit`` may legitimately use the random generator differently from the reference, so
their checks compare *properties* that every correct answer has (each example once per epoch, rows kept
with their labels, a new order every epoch, the last partial batch kept, two generators seeded alike
giving the same batches, ...), never the exact order.

Every mistake is recognised by its effect (see ``lesson05_network.Effect``): the properties it breaks
and nothing else (examples missing at the end of the epoch, or repeated; rows separated from their
labels; an order that does not come from the generator given). ``train_epoch`` runs on a model and an
optimizer that record what the function called, in which order, and the losses it saw, so that a
missing ``optimizer.step`` is told apart from a missing ``backward``, and a wrongly averaged loss is
named by the average it is. ``fit`` runs with an optimizer that stops a loop that never ends.
"""
from __future__ import annotations

import math
import re

import numpy as np

from .. import reference
from ..learner_model import BACKWARD_FROM, reference_functions
from ..network import MLP
from ..optim import SGD, Momentum
from ..reference import accuracy, iterate_minibatches, train_epoch
from .core import Case, Exercise, Raised, named, same_output
from .lesson05_network import SIDE, Effect, EffectCheck, raised_matching, side_of

__all__ = ["check_iterate_minibatches", "check_train_epoch", "check_accuracy", "check_fit",
           "check_network_functions"]


def _error_kind(outcome):
    error = getattr(outcome, "error", None)
    return error.split(":")[0] if error else None


class _PropertyCheck(EffectCheck):
    """A check whose run returns a dict of named properties; a failure names the property.

    A catalogued mistake without a detector that raises an exception is named only when the learner's
    function raised the same kind of exception, so that an unrelated crash is never given the
    mistake's explanation.
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

    def shows(self, mistake, got, want, outputs_of):
        if getattr(mistake, "detect", None) is not None:
            return super().shows(mistake, got, want, outputs_of)
        theirs = outputs_of(mistake.impl)
        return any(not same_output(t, w, self.rtol, self.atol) for t, w in zip(theirs, want)) and all(
            same_output(g, t, self.rtol, self.atol) and _error_kind(g) == _error_kind(t)
            for g, t in zip(got, theirs))


def _props_effect(test, affected=None):
    """A ``detect`` for property outputs: on every case the properties are right, or ``test(props, side)``
    holds and every property but those in ``affected`` (None: all of them) is right; and the test holds
    on some case."""
    def detect(got, want, cases):
        shown = False
        for g, w in zip(got, want):
            if not isinstance(g, dict):
                return False
            wrong = {k for k, v in w.items() if k != SIDE and not same_output(g.get(k), v, 1e-6, 1e-9)}
            if not wrong:
                continue
            if not test(g, side_of(g)) or (affected is not None and not wrong <= set(affected)):
                return False
            shown = True
        return shown
    return detect


# ------------------------------------------------------------------ iterate_minibatches

PAIRS = "it yields (X_batch, y_batch) pairs"
SIZES = "the batch sizes of an epoch, in order"
ONCE = "each example appears exactly once per epoch"
ALIGNED = "each row of X_batch stays with its own label in y_batch"
SHUFFLED = "the order is shuffled"
NEW_ORDER = "the second epoch has a new order"
UNCHANGED = "X and y are left unchanged"
REPRODUCIBLE = "two generators seeded alike give the same batches"
ENDS = "the epoch comes to an end"


def _epoch_ids(batches, ids_of_x, ids_of_y, limit):
    """Follow one epoch's batches (at most ``limit`` of them): (is every item a pair, sizes, row ids of
    X, are rows aligned, did it end, the kinds of the arrays handed out alone)."""
    pairs, sizes, order, aligned, ended = True, [], [], True, True
    kinds = set()
    for count, item in enumerate(batches):
        if count >= limit:
            ended = False
            break
        if isinstance(item, np.ndarray):
            kinds.add("indices" if item.ndim == 1 and item.dtype.kind in "iu" else f"{item.ndim}-D array")
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
    return pairs, sizes, order, aligned, ended, kinds


def _run_minibatches(fn, X, y, batch_size, seed):
    X_before, y_before = X.copy(), y.copy()
    ids_of_x = {row.tobytes(): i for i, row in enumerate(X)}
    ids_of_y = (lambda v: int(np.asarray(v).reshape(-1)[0])) if y.ndim == 2 else (lambda v: int(v))
    n = len(X_before)
    limit = 2 * n + 5
    rng = np.random.default_rng(seed)
    returned = fn(X, y, batch_size, rng)
    single = (isinstance(returned, tuple) and len(returned) == 2
              and all(isinstance(a, np.ndarray) for a in returned))
    pairs1, sizes, first, aligned1, ended1, kinds = _epoch_ids(returned, ids_of_x, ids_of_y, limit)
    pairs2, _, second, aligned2, ended2, _ = _epoch_ids(fn(X, y, batch_size, rng), ids_of_x, ids_of_y, limit)
    unchanged = bool(np.array_equal(X, X_before) and np.array_equal(y, y_before))
    again = _epoch_ids(fn(X_before.copy(), y_before.copy(), batch_size, np.random.default_rng(seed)),
                       ids_of_x, ids_of_y, limit)[2]
    return {
        PAIRS: pairs1 and pairs2,
        SIZES: sizes,
        ONCE: sorted(first) == list(range(n)),
        ALIGNED: aligned1 and aligned2,
        SHUFFLED: first != list(range(n)),
        NEW_ORDER: first != second,
        UNCHANGED: unchanged,
        REPRODUCIBLE: again == first,
        ENDS: ended1 and ended2,
        SIDE: {"returned one batch": single, "examples": len(first), "distinct": len(set(first)),
               "lone arrays": sorted(kinds),
               "batch_size": int(batch_size), "N": n},
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


def _mb_stops_early(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _mb_slice_end(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:batch_size]
        yield X[idx], y[idx]


def _mb_empty_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for b in range(len(X) // batch_size + 1):
        idx = order[b * batch_size:(b + 1) * batch_size]
        yield X[idx], y[idx]


def _mb_indices(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield order[start:start + batch_size]


def _mb_x_only(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]]


def _mb_overlap(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(len(X)):
        idx = order[start:start + batch_size]
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


def _mb_global_random(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _mb_with_replacement(X, y, batch_size, rng):
    order = rng.integers(0, len(X), len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _mb_return(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        return X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _mb_one_batch(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    yield X[order], y[order]


def _mb_endless(X, y, batch_size, rng):
    while True:
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _returned_one(props, side):
    return side.get("returned one batch") is True


def _misaligned(unchanged):
    return lambda p, s: not p[ALIGNED] and p[UNCHANGED] is unchanged


def _missing(drop_last):
    def test(p, s):
        n, b, count = s["N"], s["batch_size"], s["examples"]
        if s["distinct"] != count or count >= n:
            return False
        return not drop_last or (n % b != 0 and count == n - n % b and all(size == b for size in p[SIZES]))
    return test


def _overlapping(props, side):
    """More batches than an epoch has, holding every example, some of them several times."""
    n, b = side["N"], side["batch_size"]
    return side["examples"] > n == side["distinct"] and len(props[SIZES]) > -(-n // b)


#: what examples missing from an epoch may change besides (an empty epoch has no order to speak of)
_GAPS = (ONCE, SIZES, REPRODUCIBLE, SHUFFLED, NEW_ORDER)

ITERATE_MINIBATCHES = _PropertyCheck(
    "iterate_minibatches", reference.iterate_minibatches, _minibatch_cases, run=_run_minibatches,
    outputs=("properties",), input_names=("X", "y", "batch_size", "rng"), may_use=(),
    same_as=("training.minibatches",),
    mistakes=[
        Effect("return instead of yield",
               "the function returned a single batch: `return` inside the loop ends the function at the "
               "first batch. Hand out every batch with `yield X[idx], y[idx]`, which makes the function a "
               "generator that a for loop can run through.", _mb_return, detect=_props_effect(_returned_one)),
        Effect("indices yielded instead of the rows",
               "the function handed out index arrays: the batches are the ROWS they pick, yield X[idx], "
               "y[idx] (a pair of arrays).", _mb_indices,
               detect=_props_effect(lambda p, s: s["lone arrays"] == ["indices"])),
        Effect("y_batch missing",
               "each batch must be a PAIR, (X_batch, y_batch): the labels were left out. "
               "yield X[idx], y[idx].", _mb_x_only,
               detect=_props_effect(lambda p, s: s["lone arrays"] == ["2-D array"])),
        Effect("epoch never ends",
               "the batches never stop coming: one call must give ONE epoch, each example once, and then "
               "end (no while True around the loop; the caller calls the function again for the next "
               "epoch).", _mb_endless, detect=_props_effect(lambda p, s: not p[ENDS])),
        Effect("mini-batches shuffling X and y separately",
               "the rows of X_batch no longer match their labels in y_batch: X and y were shuffled "
               "with two different permutations (or only one of them was shuffled). Draw ONE "
               "permutation (order = rng.permutation(N)) and index both with it: X[idx], y[idx].",
               _mb_separately, detect=_props_effect(_misaligned(True), (ALIGNED, REPRODUCIBLE))),
        Effect("X and y shuffled separately in place",
               "the rows of X_batch no longer match their labels, and the caller's X and y were "
               "reordered: rng.shuffle(X) and rng.shuffle(y) (or np.random.shuffle) shuffle each array in "
               "place, each in its own random order. Draw ONE permutation (order = rng.permutation(N)) and "
               "pick the rows of both with it: X[idx], y[idx].", _mb_separately_in_place,
               detect=_props_effect(_misaligned(False), (ALIGNED, UNCHANGED, REPRODUCIBLE))),
        Effect("examples drawn with replacement",
               "some examples came twice in one epoch and others not at all: the examples were drawn "
               "WITH replacement (rng.integers, rng.choice without replace=False, or a new permutation "
               "for every batch). An epoch is ONE permutation, each example exactly once: draw "
               "order = rng.permutation(N) once, then cut it into batches.", _mb_with_replacement,
               detect=_props_effect(lambda p, s: s["distinct"] < min(s["examples"], s["N"]), _GAPS)),
        Effect("an empty batch at the end",
               "the last batch is empty: N // batch_size + 1 batches is one too many when batch_size "
               "divides N. Let range(0, N, batch_size) give the starts (or take ceil(N / batch_size) "
               "batches).", _mb_empty_last,
               detect=_props_effect(lambda p, s: p[SIZES][-1:] == [0] and 0 not in p[SIZES][:-1],
                                    (SIZES, REPRODUCIBLE))),
        Effect("batch slice ends at batch_size",
               "some batches came out empty: the slice's end was batch_size instead of start + "
               "batch_size. Batch k is order[start:start + batch_size], start = k * batch_size.",
               _mb_slice_end, detect=_props_effect(lambda p, s: 0 in p[SIZES][1:] and p[SIZES][0] > 0, _GAPS)),
        Effect("batches overlap",
               "the batches overlap, so examples come several times per epoch: the loop moved on by one "
               "example instead of a whole batch. Step by batch_size: range(0, N, batch_size).",
               _mb_overlap, detect=_props_effect(_overlapping, _GAPS)),
        Effect("last partial batch dropped",
               "the last, smaller batch is missing, so some examples are never trained on in this "
               "epoch. When batch_size does not divide N, the last batch holds the remaining "
               "N % batch_size examples: keep it.", _mb_drop_last,
               detect=_props_effect(_missing(True), _GAPS)),
        Effect("batches stop too early",
               "some examples never came out in this epoch: the loop over the batches stopped too early. "
               "range(0, N, batch_size) gives every batch's start, the last (smaller) batch included.",
               _mb_stops_early, detect=_props_effect(_missing(False), _GAPS)),
        Effect("batch_size ignored",
               "the whole epoch came as one batch: cut the shuffled order into pieces of batch_size, "
               "order[start:start + batch_size] for start in range(0, N, batch_size).", _mb_one_batch,
               detect=_props_effect(lambda p, s: p[SIZES] == [s["N"]] and s["N"] > s["batch_size"],
                                    (SIZES, REPRODUCIBLE))),
        Effect("no shuffle",
               "the batches come in the original order of the data. Shuffle at the start of each "
               "epoch (order = rng.permutation(N)), so the batches differ from epoch to epoch.",
               _mb_in_order, detect=_props_effect(lambda p, s: not p[SHUFFLED], (SHUFFLED, NEW_ORDER))),
        Effect("no shuffle between epochs",
               "every epoch has the same order: a new random generator with a fixed seed (or "
               "np.random.seed) was used inside the function. Draw the permutation from the rng you are "
               "given, which moves on after each use, so every epoch gets a new order.", _mb_same_order,
               detect=_props_effect(lambda p, s: not p[NEW_ORDER], (NEW_ORDER,))),
        Effect("data shuffled in place",
               "the caller's X and y were reordered in place. Leave the data alone and pick rows "
               "by index instead: X[idx], y[idx] make new arrays.", _mb_in_place,
               detect=_props_effect(lambda p, s: not p[UNCHANGED], (UNCHANGED, REPRODUCIBLE))),
        Effect("the generator given is not used",
               "the order does not come from the rng you are given: two generators seeded alike gave "
               "different batches, so a run cannot be reproduced. Draw the order from it: "
               "order = rng.permutation(N) (not np.random.permutation, np.random.shuffle or a new "
               "np.random.default_rng()).", _mb_global_random,
               detect=_props_effect(lambda p, s: not p[REPRODUCIBLE], (REPRODUCIBLE, SHUFFLED, NEW_ORDER))),
    ])


def check_iterate_minibatches(fn):
    """Check ``iterate_minibatches(X, y, batch_size, rng)``: shuffled, aligned, complete batches."""
    return ITERATE_MINIBATCHES.check(fn)


# ------------------------------------------------------------------ train_epoch

def _batch_of(args, kwargs):
    """The X of a call model.loss(X, y), however it was passed."""
    return args[0] if args else kwargs.get("X", next(iter(kwargs.values()), []))


class _Recorder:
    """A model that records what ``train_epoch`` does with it: the events ("L" loss, "B" backward, "S"
    an optimizer step on the model's parameters, "X" a step given (grads, params) swapped) and every
    loss it returned, with its batch size."""

    def __init__(self, model, log):
        self._model, self._log = model, log
        self.params, self.grads = model.params, model.grads

    def loss(self, *args, **kwargs):
        self._log["events"] += "L"
        value = self._model.loss(*args, **kwargs)
        self._log["losses"].append(float(value))
        self._log["sizes"].append(int(len(_batch_of(args, kwargs))))
        return value

    def backward(self, *args, **kwargs):
        self._log["events"] += "B"
        return self._model.backward(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._model, name)


class _RecordingOptimizer:
    def __init__(self, optimizer, model, log):
        self._optimizer, self._model, self._log = optimizer, model, log

    def step(self, *args, **kwargs):
        swapped = len(args) == 2 and args[0] is self._model.grads and args[1] is self._model.params
        self._log["events"] += "X" if swapped else "S"
        return self._optimizer.step(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._optimizer, name)


def _run_train_epoch(fn, layer_sizes, batches, optimizer, seed):
    model = MLP(layer_sizes, seed=seed)
    kind, lr = optimizer
    opt = SGD(lr) if kind == "sgd" else Momentum(lr, mu=0.9)
    log = {"events": "", "losses": [], "sizes": []}
    loss = fn(_Recorder(model, log), [(Xb.copy(), yb.copy()) for Xb, yb in batches],
              _RecordingOptimizer(opt, model, log))
    params = {k: v.copy() for k, v in model.params.items()}
    if isinstance(loss, (int, float, np.floating, np.integer)):
        loss = float(loss)
    return loss, params, {SIDE: {**log, "batches": len(batches)}}


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
    losses, sizes = [], []
    for X_batch, y_batch in batches:
        if update == "unpack loss":
            loss, grads = model.loss(X_batch, y_batch)
        if update == "pair":
            loss = model.loss((X_batch, y_batch))
        if update == "backward(loss)":
            model.backward(model.loss(X_batch, y_batch))
        loss = model.loss(X_batch, y_batch)
        if update == "before backward":
            optimizer.step(model.params, model.grads)
        if update != "no backward":
            model.backward()
        if update in ("after backward", "no backward", "return inside", "loss after"):
            optimizer.step(model.params, model.grads)
        if update == "params only":
            optimizer.step(model.params)
        if update == "swapped":
            optimizer.step(model.grads, model.params)
        losses.append(loss)
        sizes.append(len(X_batch))
        if update == "return inside":
            return loss
        if update == "loss after":
            losses[-1] = model.loss(X_batch, y_batch)
    if update == "once":
        optimizer.step(model.params, model.grads)
    if average == "batches":
        return float(np.mean(losses))
    if average == "last":
        return losses[-1]
    if average == "sum":
        return float(np.sum(losses))
    if average == "total":
        return float(np.dot(losses, sizes))
    if average == "total over batches":
        return float(np.dot(losses, sizes) / len(losses))
    if average == "unweighted":
        return float(np.sum(losses) / np.sum(sizes))
    if average == "list":
        return losses
    return float(np.dot(losses, sizes) / np.sum(sizes))


def _per_batch(pattern):
    """The events of an epoch in which every batch did ``pattern``."""
    return lambda side: side["batches"] > 0 and side["events"] == pattern * side["batches"]


def _events_effect(test):
    def detect(got, want, cases):
        sides = [side_of(g) for g in got]
        return all(s for s in sides) and any(test(s) for s in sides)
    return detect


def _loss_effect(candidate):
    """A ``detect``: the parameters are right, and the returned loss is ``candidate(losses, sizes)`` of
    the learner's own batch losses (where that differs from the right loss)."""
    def detect(got, want, cases):
        shown = False
        for g, w in zip(got, want):
            if isinstance(g, Raised) or not same_output(g[1], w[1], 1e-6, 1e-9):
                return False
            side = side_of(g)
            losses, sizes = np.array(side["losses"]), np.array(side["sizes"])
            if len(losses) == 0:
                return False
            right = float(np.dot(losses, sizes) / sizes.sum())
            if same_output(g[0], right, 1e-6, 1e-9):
                continue
            value = candidate(losses, sizes)
            if value is None or not same_output(g[0], value, 1e-6, 1e-9):
                return False
            shown = True
        return shown
    return detect


def _loss_after_update(got, want, cases):
    """The events are loss, backward, step, loss for every batch, and the loss returned is the mean of
    the second losses, weighted by the batch sizes."""
    shown = False
    for g, w in zip(got, want):
        side = side_of(g)
        if isinstance(g, Raised) or not side or not same_output(g[1], w[1], 1e-6, 1e-9):
            return False
        if side["events"] != "LBSL" * side["batches"]:
            return False
        losses, sizes = np.array(side["losses"][1::2]), np.array(side["sizes"][1::2])
        if not same_output(g[0], float(np.dot(losses, sizes) / sizes.sum()), 1e-6, 1e-9):
            return False
        shown = shown or not same_output(g[0], w[0], 1e-6, 1e-9)
    return shown


def _te(**options):
    return lambda m, b, o: _te_variant(m, b, o, **options)


TRAIN_EPOCH = EffectCheck(
    "train_epoch", reference.train_epoch, _train_epoch_cases, run=_run_train_epoch,
    outputs=("mean loss", "params after the epoch"), input_names=("model", "batches", "optimizer"),
    may_use=("network", "optim", "learner_model"), same_as=("training.Trainer",),
    mistakes=[
        Effect("return inside the loop",
               "only the first batch was trained on: the `return` is inside the loop over the batches, so "
               "the function ends after one batch. Return after the loop, once every batch had its step.",
               _te(update="return inside"),
               detect=_events_effect(lambda s: s["batches"] > 1 and s["events"] in ("LBS", "LSB"))),
        Effect("optimizer.step never called",
               "the parameters did not move: the loss and the gradients were computed, but no update "
               "was made. After model.backward(), call optimizer.step(model.params, model.grads) for "
               "every batch.", _te(update="no step",),
               detect=_events_effect(lambda s: "B" in s["events"] and not set("SX") & set(s["events"]))),
        Effect("backward not called before the update",
               "the parameters did not move: model.backward() must run after model.loss(...) and "
               "before optimizer.step(...), to fill model.grads.", _te(update="no backward"),
               detect=_events_effect(lambda s: "S" in s["events"] and "B" not in s["events"])),
        Effect("model.loss unpacked into two values",
               "model.loss(X_batch, y_batch) returns ONE number, the batch's mean loss; the gradients are "
               "computed by model.backward(), which fills model.grads: loss = model.loss(X_batch, y_batch).",
               _te(update="unpack loss"),
               detect=raised_matching(r"cannot unpack non-iterable (float|numpy\.float\d*|int) object")),
        Effect("batch not unpacked",
               "each item of batches is a PAIR (X_batch, y_batch): unpack it in the loop, for X_batch, "
               "y_batch in batches, and call model.loss(X_batch, y_batch).", _te(update="pair"),
               detect=raised_matching(r"loss\(\) missing 1 required positional argument: 'y'")),
        Effect("backward given the loss",
               "model.backward() takes no argument: it starts from the loss's gradient that model.loss "
               "kept. Call model.backward(), not model.backward(loss).", _te(update="backward(loss)"),
               detect=raised_matching(r"backward: dscores must be")),
        Effect("optimizer.step given one argument",
               "optimizer.step takes two arguments, the parameters and their gradients: "
               "optimizer.step(model.params, model.grads).", _te(update="params only"),
               detect=raised_matching(r"step\(\) missing 1 required positional argument: 'grads'")),
        Effect("params and grads swapped in optimizer.step",
               "optimizer.step was given (grads, params): it updates its FIRST argument with the second. "
               "Call optimizer.step(model.params, model.grads).", _te(update="swapped"),
               detect=_events_effect(lambda s: "X" in s["events"])),
        Effect("update before backward",
               "each update used the gradients of the previous batch: call model.backward() first, "
               "then optimizer.step(model.params, model.grads).", _te(update="before backward"),
               detect=_events_effect(_per_batch("LSB"))),
        Effect("one update per epoch",
               "the parameters were updated once, after the loop: update after EVERY batch (that is "
               "what makes it mini-batch gradient descent).", _te(update="once"),
               detect=_events_effect(lambda s: s["batches"] > 1 and s["events"] == "LB" * s["batches"] + "S")),
        Effect("loss measured after the update",
               "each batch's loss was measured again after the update: the epoch's loss is the one "
               "model.loss returned before the step, the loss whose gradient the step used. Keep that "
               "value (loss = model.loss(X_batch, y_batch), then backward and step).",
               _te(update="loss after"), detect=_loss_after_update),
        Effect("mean over batches instead of examples",
               "the mean loss gives the small last batch as much weight as a full one. Weigh each "
               "batch's loss by its size: sum of loss * len(X_batch), divided by the number of "
               "examples.", _te(average="batches"), detect=_loss_effect(lambda l, n: float(np.mean(l)))),
        Effect("loss of the last batch returned",
               "it returned the last batch's loss; the epoch's loss is the mean over all its "
               "batches, each weighted by its size.", _te(average="last"),
               detect=_loss_effect(lambda l, n: float(l[-1]))),
        Effect("sum of batch losses returned",
               "it returned the sum of the batch losses; divide by the number of examples (after "
               "weighing each batch loss by its size) to get the mean.", _te(average="sum"),
               detect=_loss_effect(lambda l, n: float(np.sum(l)))),
        Effect("total not divided by the number of examples",
               "it returned the sum of loss * batch size, the epoch's TOTAL loss: divide it by the number "
               "of examples (the sum of the batch sizes) to get the mean.", _te(average="total"),
               detect=_loss_effect(lambda l, n: float(np.dot(l, n)))),
        Effect("total divided by the number of batches",
               "the sum of loss * batch size was divided by the number of batches; divide by the number "
               "of EXAMPLES (count += len(X_batch) for each batch).", _te(average="total over batches"),
               detect=_loss_effect(lambda l, n: float(np.dot(l, n) / len(l)))),
        Effect("batch losses not weighted by their size",
               "the batch losses were added up unweighted and divided by the number of examples. Each "
               "batch loss is a MEAN over its examples: weigh it by the batch's size, total += loss * "
               "len(X_batch), before dividing by the number of examples.", _te(average="unweighted"),
               detect=_loss_effect(lambda l, n: float(np.sum(l) / np.sum(n)))),
        Effect("list of batch losses returned",
               "it returned the list of the batch losses; return one number, their mean over the "
               "examples (each batch loss weighted by its size).", _te(average="list"),
               detect=_loss_effect(lambda l, n: list(l))),
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


def _acc_no_axis(s, y):
    return float(np.mean(np.argmax(s) == y))


def _acc_max(s, y):
    return float(np.mean(np.max(s, axis=1) == y))


def _acc_scores_with_labels(s, y):
    return float(np.mean(s == y))


def _acc_keepdims(s, y):
    return float(np.mean(np.argmax(s, axis=1, keepdims=True) == y))


def _acc_one_hot(s, y):
    return float(np.mean(np.argmax(s, axis=1) == np.argmax(y)))


def _acc_not_averaged(s, y):
    return np.argmax(s, axis=1) == y


def _acc_integer_division(s, y):
    return int(np.sum(np.argmax(s, axis=1) == y)) // len(y)


_BROADCAST = re.compile(r"could not be broadcast together with shapes \((\d+), ?(\d+)\) \((\d+),\)")


def _scores_with_labels(got, want, cases):
    """An error that says an array shaped like the scores met one shaped like the labels."""
    for g, case in zip(got, cases):
        found = _BROADCAST.search(g.text) if isinstance(g, Raised) else None
        if found and tuple(map(int, found.groups())) == (*np.shape(case.args[0]), len(case.args[1])):
            return True
    return False


ACCURACY = EffectCheck(
    "accuracy", reference.accuracy, _accuracy_cases, outputs=("accuracy",), input_names=("scores", "y"),
    may_use=(),
    mistakes=[
        Effect("count instead of fraction",
               "it counted the correct predictions; accuracy is their FRACTION: divide by N "
               "(np.mean of the comparison does both).",
               lambda s, y: float(np.sum(np.argmax(s, axis=1) == y))),
        Effect("percentage instead of fraction",
               "accuracy is a fraction between 0 and 1 here; multiply by 100 only when you print it.",
               lambda s, y: 100 * accuracy(s, y)),
        Effect("argmax without an axis",
               "np.argmax(scores) without an axis gives ONE index, of the largest score in the whole "
               "array (flattened). The predicted class is the largest score in each row: "
               "np.argmax(scores, axis=1).", _acc_no_axis),
        Effect("argmax over the wrong axis",
               "the predicted class is the largest score in each ROW (one row per example): "
               "np.argmax(scores, axis=1).", lambda s, y: float(np.mean(np.argmax(s, axis=0) == y))),
        Effect("max instead of argmax",
               "np.max gives the largest score's VALUE; the predicted class is its INDEX: "
               "np.argmax(scores, axis=1).", _acc_max),
        Effect("scores compared with the labels",
               "an (N, C) array (the scores, or probabilities) was compared with the labels y, (N,). "
               "Compare the predicted class of each row with its label: np.argmax(scores, axis=1) == y.",
               _acc_scores_with_labels, detect=_scores_with_labels),
        Effect("keepdims in argmax",
               "np.argmax(..., keepdims=True) gives a column, (N, 1), and comparing it with y, (N,), makes "
               "an (N, N) table of every prediction against every label. Leave keepdims out: "
               "np.argmax(scores, axis=1) has shape (N,), like y.", _acc_keepdims),
        Effect("labels treated as one-hot",
               "y holds the class indices already, one per example: compare the predictions with y "
               "itself, not with np.argmax(y).", _acc_one_hot),
        Effect("error rate instead of accuracy",
               "that is the fraction of WRONG predictions; accuracy counts the right ones (==).",
               lambda s, y: float(np.mean(np.argmax(s, axis=1) != y))),
        Effect("comparison not averaged",
               "it returned one True/False per example; accuracy is their mean, one number: "
               "np.mean(predicted == y).", _acc_not_averaged),
        Effect("integer division",
               "// is integer division: the count of correct predictions // N rounds down to 0 (or 1). "
               "Divide with /, or take np.mean of the comparison.", _acc_integer_division),
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

    def loss(self, *args, **kwargs):
        value = self._model.loss(*args, **kwargs)
        self._last = [self._ids.get(np.asarray(row, dtype=float).tobytes(), -1)
                      for row in _batch_of(args, kwargs)]
        return value

    def backward(self, *args, **kwargs):
        value = self._model.backward(*args, **kwargs)
        self.trained += self._last
        return value

    def __getattr__(self, name):
        return getattr(self._model, name)


class _CountingSGD(SGD):
    """SGD that counts its steps, and stops a run that goes on long after its epochs should be over."""
    steps = 0
    limit = None

    def step(self, params, grads):
        self.steps += 1
        if self.limit is not None and self.steps > self.limit:
            raise RuntimeError(f"fit kept training: more than {self.limit} optimizer steps, far more than "
                               f"the epochs asked for")
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
    optimizer.limit = 3 * epochs * math.ceil(n / batch_size) + 10
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
    last_train = history["train_accuracy"][-1] if lists and len(history["train_accuracy"]) else None
    last_test = history["test_accuracy"][-1] if lists and len(history["test_accuracy"]) else None
    props["the last train_accuracy is the trained model's accuracy on the training set"] = (
        _close(last_train, final_train))
    props["the last test_accuracy is the trained model's accuracy on the test set"] = _close(last_test, final_test)
    props[SIDE] = {
        "error": props.error, "returned None": history is None and props.error is None,
        "numbers instead of lists": isinstance(history, dict) and [
            k for k in ("loss", "train_accuracy", "test_accuracy")
            if isinstance(history.get(k), (int, float, np.number))],
        "lengths": [len(history[k]) for k in ("loss", "train_accuracy", "test_accuracy")] if lists else None,
        "accuracies swapped": bool(_close(last_train, final_test) and _close(last_test, final_train)
                                   and not _close(final_train, final_test)),
        "epochs": epochs, "N": n, "steps per epoch": math.ceil(n / batch_size)}
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
    if bug == "no rng":
        batches = _minibatches_needing_rng(X_train, y_train, batch_size)
    if bug == "data to train_epoch":
        _train_epoch_of_batches(model, X_train, y_train, optimizer)
    rounds = epochs + 1 if bug == "one epoch too many" else epochs
    epoch = 0
    while epoch < rounds:
        if bug != "never stops":
            epoch += 1
        if bug == "same order":
            batches = iterate_minibatches(X_train, y_train, batch_size, np.random.default_rng(0))
        elif bug == "test set trained on":
            batches = iterate_minibatches(X_test, y_test, batch_size, rng)
        elif bug != "batches made once":
            batches = iterate_minibatches(X_train, y_train, batch_size, rng)
        if bug == "measured before":
            history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
            history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
        if bug == "loss per batch":
            for X_batch, y_batch in batches:
                history["loss"].append(train_epoch(model, [(X_batch, y_batch)], optimizer))
        elif bug == "assigned":
            history["loss"] = train_epoch(model, batches, optimizer)
        else:
            history["loss"].append(train_epoch(model, batches, optimizer))
        if bug == "predict":
            history["train_accuracy"].append(accuracy(model.predict(X_train), y_train))
        if bug not in ("measured before", "predict"):
            X_eval, y_eval = (X_train, y_train) if bug == "test is train" else (X_test, y_test)
            train_acc = accuracy(model.forward(X_train), y_train)
            test_acc = accuracy(model.forward(X_eval), y_eval)
            if bug == "swapped":
                train_acc, test_acc = test_acc, train_acc
            history["train_accuracy"].append(train_acc)
            history["test_accuracy"].append(test_acc)
    if bug == "no return":
        return None
    return history


def _minibatches_needing_rng(X, y, batch_size, rng):
    return iterate_minibatches(X, y, batch_size, rng)


def _train_epoch_of_batches(model, batches, optimizer):
    return train_epoch(model, batches, optimizer)


# what Python's errors call them when the learner's own are called wrongly
named(_minibatches_needing_rng, "iterate_minibatches")
named(_train_epoch_of_batches, "train_epoch")


_FIT_MISTAKES = {}


def _fit_mistake(bug):
    if bug not in _FIT_MISTAKES:
        _FIT_MISTAKES[bug] = lambda *args: _fit_variant(*args, bug=bug)
    return _FIT_MISTAKES[bug]


def _fit_effect(test):
    def detect(got, want, cases):
        return any(isinstance(g, dict) and test(g, side_of(g)) for g in got)
    return detect


def _per_batch_losses(props, side):
    lengths = side.get("lengths")
    return bool(lengths) and lengths[0] == side["epochs"] * side["steps per epoch"] != side["epochs"] \
        and lengths[1:] == [side["epochs"]] * 2


def _epochs_off(props, side):
    lengths = side.get("lengths")
    return (bool(lengths) and len(set(lengths)) == 1 and abs(lengths[0] - side["epochs"]) == 1
            and props["training examples trained on, over all epochs"] == lengths[0] * side["N"])


FIT = _PropertyCheck(
    "fit", reference.fit, _fit_cases, run=_run_fit, outputs=("properties",),
    may_use=("reference.iterate_minibatches", "reference.train_epoch", "reference.accuracy", "network",
             "optim", "learner_model"), same_as=("training.train", "training.Trainer"),
    input_names=("model", "X_train", "y_train", "X_test", "y_test", "optimizer", "epochs", "batch_size",
                 "rng"),
    mistakes=[
        Effect("fit does not stop",
               "fit kept training long after the epochs asked for: the loop over the epochs never ends "
               "(a while loop whose counter is not increased?). Loop exactly `epochs` times: "
               "for epoch in range(epochs).", _fit_mistake("never stops"),
               detect=_fit_effect(lambda p, s: "fit kept training" in (s.get("error") or ""))),
        Effect("class predictions given to accuracy",
               "accuracy received a 1-D array where the scores, (N, C), belong: model.predict gives one "
               "class index per example (and accuracy(y, scores) swaps the arguments). accuracy finds each "
               "row's class itself from the scores: accuracy(model.forward(X), y).", _fit_mistake("predict"),
               detect=_fit_effect(lambda p, s: "axis 1 is out of bounds for array of dimension 1"
                                  in (s.get("error") or ""))),
        Effect("nothing returned",
               "fit returned None: return the history dict at the end (return history).",
               _fit_mistake("no return"), detect=_fit_effect(lambda p, s: s.get("returned None") is True)),
        Effect("history entry replaced instead of appended",
               "an entry of history holds one number instead of a list: history['loss'] = ... replaces the "
               "list at every epoch. Append to it: history['loss'].append(...).", _fit_mistake("assigned"),
               detect=_fit_effect(lambda p, s: bool(s.get("numbers instead of lists")) or bool(re.search(
                   r"'(float|int|float64|float32)' object has no attribute 'append'", s.get("error") or "")))),
        Effect("rng not passed to iterate_minibatches",
               "iterate_minibatches was called without its random generator: pass the rng fit was given, "
               "iterate_minibatches(X_train, y_train, batch_size, rng).", _fit_mistake("no rng"),
               detect=_fit_effect(lambda p, s: "missing 1 required positional argument: 'rng'"
                                  in (s.get("error") or ""))),
        Effect("train_epoch given the data instead of the batches",
               "train_epoch takes (model, batches, optimizer): give it the epoch's mini-batches, "
               "train_epoch(model, iterate_minibatches(X_train, y_train, batch_size, rng), optimizer).",
               _fit_mistake("data to train_epoch"),
               detect=_fit_effect(lambda p, s: bool(re.search(r"train_epoch\(\) takes 3 positional arguments but "
                                                          r"\d+ were given", s.get("error") or "")))),
        Effect("accuracy on the training set called test accuracy",
               "test_accuracy was measured on the training data. The test accuracy must come from "
               "X_test and y_test, which training never sees: that is what tells you how well the "
               "network does on new data.", _fit_mistake("test is train")),
        Effect("training and test accuracies swapped",
               "the training and test accuracies are swapped: train_accuracy must be measured on "
               "X_train, y_train, and test_accuracy on X_test, y_test.", _fit_mistake("swapped"),
               detect=_fit_effect(lambda p, s: s.get("accuracies swapped") is True)),
        Effect("loss recorded per batch",
               "history['loss'] got one entry per BATCH: record one number per epoch, the mean loss "
               "that train_epoch returns.", _fit_mistake("loss per batch"),
               detect=_fit_effect(_per_batch_losses)),
        Effect("one epoch too many or too few",
               "it trained for one epoch more (or fewer) than asked: loop exactly `epochs` times, "
               "for epoch in range(epochs).", _fit_mistake("one epoch too many"),
               detect=_fit_effect(_epochs_off)),
        Effect("no shuffle between epochs",
               "every epoch has the same order: a new random generator with a fixed seed was made "
               "inside the loop. Pass the rng you are given to iterate_minibatches in every epoch; it "
               "moves on after each use.", _fit_mistake("same order")),
        Effect("batches made once for all epochs",
               "only the first epoch trained: a generator is used up after one pass. Call "
               "iterate_minibatches inside the loop over epochs, once per epoch.",
               _fit_mistake("batches made once")),
        Effect("accuracy measured before the epoch's training",
               "the accuracies were measured before each epoch's training, so each entry lags one "
               "epoch behind. Train the epoch first, then measure.", _fit_mistake("measured before")),
        Effect("trained on the test set",
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
