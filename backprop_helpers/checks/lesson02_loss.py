"""Checks for lesson 02, the loss: mean squared error, softmax, cross-entropy, binary cross-entropy.

Every exercise returns the loss value only (a float); the gradients come in lesson 04 (whose exercise
``mse_loss(y_hat, y) -> (loss, dy_hat)`` has the package's signature, so the value-only exercise here is
called ``mean_squared_error``). The losses follow the package's convention (``backprop_helpers.losses``):
the **mean over the batch** of each example's loss, ``L = (1/N) sum_n L_n``, where an example's loss
sums over its C outputs.

Beyond the catalogue, each exercise lists ``effects`` (``checks.effects``): a loss that is the right one
times 1/C, N, 1/N, 1/2, -1 or 1/ln 2 names the slip that gives that factor; softmax without keepdims
is named from numpy's broadcast error and from the rows it mixes when N = C; labels shifted by one,
p and 1 - p swapped, and the other usual slips are recognised by their values on every case.
"""
from __future__ import annotations

import re

import numpy as np

from .. import reference
from ..reference import binary_cross_entropy, cross_entropy, mean_squared_error, softmax
from .core import Case, Exercise, Mistake, learner_run
from .effects import Effect, batch_size, common, negated, not_reduced, overflow, scaled

__all__ = ["check_mean_squared_error", "check_softmax", "check_cross_entropy", "check_binary_cross_entropy"]


def _rng(seed):
    return np.random.default_rng(seed)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's seed."""
    return rng if rng is not None else _rng(seed)


def _labels(rng, r, fixed, classes):
    """The notebook's ``fixed`` labels, or (with the grader's ``rng``) labels drawn like them."""
    fixed = np.asarray(fixed)
    return fixed if rng is None else r.integers(0, classes, fixed.shape).astype(fixed.dtype)


def _sorted_broadcast(exc, *args):
    """numpy names the shapes of a failed broadcast in operand order ("(5,3) (5,)" or "(5,) (5,3)"),
    so two spellings of one mistake (``y * logp`` and ``logp * y``) would raise different messages;
    sorting the shapes lets a catalogued mistake that crashes be recognised however it was written."""
    shapes = re.findall(r"\([\d,\s]*\)", str(exc))
    if "broadcast" not in str(exc) or not shapes:
        return None
    return ValueError("operands could not be broadcast together with shapes " + " ".join(sorted(set(shapes))))


def _runner(name, inputs):
    return learner_run(name, inputs, on_value_error=_sorted_broadcast)


def _in_place(name, arg, fix):
    """The explanation of a function that changed its caller's array."""
    return (f"it changed its argument {arg} in place (with -=, /= or an assignment into it), so after "
            f"{name}({arg}, ...) the caller's array is no longer what it was. Compute into a new array "
            f"instead: {fix}.")


def _shift_in_place(scores):
    scores -= scores.max(axis=1, keepdims=True)
    return scores


def _classes(case):
    """C, the number of columns of the case's first argument (1 for a flat vector)."""
    shape = np.shape(case.args[0])
    return shape[1] if len(shape) > 1 else 1


def _not_reduced(what, part=None):
    return not_reduced("loss not reduced to one number",
                       f"the loss must be a single number, but an array came back (one value per example or "
                       f"per entry). Add up {what}, then divide by N = the number of rows: a float.", part=part)


def _broadcast_error(text, case):
    """A failed broadcast, as numpy words it or as lesson 04's checks reword it."""
    return "could not be broadcast" in text or "whose shapes do not fit" in text


# ------------------------------------------------------------------ mean squared error

def _mse_cases(rng=None):
    cases = []
    for seed, (n, c, label) in enumerate([(4, 2, "4 examples x 2 outputs"), (1, 3, "batch of one"),
                                          (5, 1, "one output"), (2, 5, "2 examples x 5 outputs"),
                                          (3, 3, "3 examples x 3 outputs")]):
        r = _source(rng, 20 + seed)
        cases.append(Case(label, (r.standard_normal((n, c)), r.standard_normal((n, c)))))
    return cases


MSE = Exercise(
    "mean_squared_error", reference.mean_squared_error, _mse_cases, input_names=("y_hat", "y"),
    outputs=("loss",), run=_runner("mean_squared_error", ("y_hat", "y")), may_use=(),
    same_as=("losses.mse_loss",),
    mistakes=[
        Mistake("MSE averaged over the wrong axis",
                "the mean was taken over the C outputs (axis=1) instead of over the N examples (axis=0). "
                "Each example's squared errors are summed over its outputs, and then averaged over the "
                "batch: L = (1/N) sum_n sum_c (y_hat - y)**2, so divide by N = y_hat.shape[0].",
                lambda y_hat, y: float(np.mean(np.sum((y_hat - y) ** 2, axis=0)))),
        Mistake("MSE averaged over every element",
                "np.mean over the whole array divides by N*C, the number of elements. This course's MSE "
                "(like backprop_helpers.losses.mse_loss) sums over the C outputs of an example and "
                "averages over the N examples only: divide the sum by N = y_hat.shape[0].",
                lambda y_hat, y: float(np.mean((y_hat - y) ** 2))),
        Mistake("MSE summed, not averaged",
                "the squared errors were summed but not divided by N. The loss is a mean over the batch, "
                "so that it does not grow with the batch size: divide by N = y_hat.shape[0].",
                lambda y_hat, y: float(np.sum((y_hat - y) ** 2))),
        Mistake("MSE with a factor 1/2",
                "there is an extra factor 1/2. Some books put 1/2 in front to simplify the derivative; "
                "this course does not: L = (1/N) sum_n sum_c (y_hat - y)**2.",
                lambda y_hat, y: 0.5 * mean_squared_error(y_hat, y)),
        Mistake("absolute instead of squared error",
                "that is the mean absolute error: the differences must be squared, (y_hat - y)**2, "
                "not passed through abs.",
                lambda y_hat, y: float(np.sum(np.abs(y_hat - y)) / y_hat.shape[0])),
        Mistake("y_hat changed in place", _in_place("mean_squared_error", "y_hat", "diff = y_hat - y"),
                lambda y_hat, y: mean_squared_error(y_hat.__isub__(y), 0.0 * y)),
    ],
    loop_free=True,
    effects=[
        Effect("y_hat changed in place", _in_place("mean_squared_error", "y_hat", "diff = y_hat - y"),
               raises=lambda text, case: "changed its input" in text, alone=True, quote=True),
        *common(("loss",)),
        scaled("MSE averaged over every element",
               "np.mean over the whole array divides by N*C, the number of elements. This course's MSE "
               "(like backprop_helpers.losses.mse_loss) sums over the C outputs of an example and "
               "averages over the N examples only: divide the sum by N = y_hat.shape[0].",
               lambda case: 1.0 / _classes(case)),
        scaled("MSE averaged over the wrong axis",
               "the squared errors were divided by C, the number of outputs, instead of by N, the number of "
               "examples (a mean over axis=1, or y_hat.shape[1]). The loss is a mean over the batch: "
               "L = (1/N) sum_n sum_c (y_hat - y)**2, so divide by N = y_hat.shape[0].",
               lambda case: batch_size(case) / _classes(case)),
        scaled("MSE summed, not averaged",
               "the squared errors were summed but not divided by N. The loss is a mean over the batch, "
               "so that it does not grow with the batch size: divide by N = y_hat.shape[0].",
               lambda case: batch_size(case)),
        scaled("MSE divided by N twice",
               "the sum was divided by N twice (np.mean over the examples and then / N again, or "
               "/ N**2). Divide once: L = np.sum((y_hat - y)**2) / N.",
               lambda case: 1.0 / batch_size(case)),
        scaled("MSE with a factor 1/2",
               "there is an extra factor 1/2. Some books put 1/2 in front to simplify the derivative; "
               "this course does not: L = (1/N) sum_n sum_c (y_hat - y)**2.", lambda case: 0.5),
        Effect("absolute instead of squared error",
               "that is the mean absolute error: the differences must be squared, (y_hat - y)**2, "
               "not passed through abs.",
               variants=(lambda y_hat, y: float(np.sum(np.abs(y_hat - y)) / y_hat.shape[0]),
                         lambda y_hat, y: float(np.mean(np.abs(y_hat - y))))),
        Effect("differences not squared",
               "the differences y_hat - y were added up without squaring them, so positive and negative "
               "errors cancel. Square each one first: np.sum((y_hat - y)**2) / N.",
               variants=(lambda y_hat, y: float(np.sum(y_hat - y) / y_hat.shape[0]),
                         lambda y_hat, y: float(np.sum(y - y_hat) / y_hat.shape[0]),
                         lambda y_hat, y: float(np.mean(y_hat - y)))),
        Effect("square of the sum instead of the sum of squares",
               "the differences were added up first and the sum squared; square each difference, then add "
               "them up: np.sum((y_hat - y)**2) / N.",
               variants=(lambda y_hat, y: float(np.sum(y_hat - y) ** 2 / y_hat.shape[0]),
                         lambda y_hat, y: float(np.mean(y_hat - y) ** 2))),
        Effect("square root taken",
               "a square root was taken: that is the root mean squared error. The MSE is the mean of the "
               "squared errors itself, with no root: np.sum((y_hat - y)**2) / N.",
               variants=(lambda y_hat, y: float(np.sqrt(np.sum((y_hat - y) ** 2) / y_hat.shape[0])),
                         lambda y_hat, y: float(np.sqrt(np.mean((y_hat - y) ** 2))),
                         lambda y_hat, y: float(np.sum(np.sqrt(np.sum((y_hat - y) ** 2, axis=1))) / y_hat.shape[0]),
                         lambda y_hat, y: float(np.sqrt(np.sum((y_hat - y) ** 2)) / y_hat.shape[0]))),
        _not_reduced("the squared errors of every example and output"),
    ])


def check_mean_squared_error(fn):
    """Check ``mean_squared_error(y_hat, y) -> L = (1/N) sum_n sum_c (y_hat[n, c] - y[n, c])**2``,
    y_hat and y of shape (N, C)."""
    return MSE.check(fn)


# ------------------------------------------------------------------ softmax

def _softmax_cases(rng=None):
    r = _source(rng, 30)
    return [Case("4 examples x 3 classes", (r.standard_normal((4, 3)) * 2,)),
            Case("batch of one", (r.standard_normal((1, 5)),)),
            Case("a single class", (r.standard_normal((3, 1)),)),
            Case("large logits", (np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0]]),)),
            Case("rows on different scales", (np.array([[800.0, 799.0, 797.0], [0.0, 1.0, 2.0]]),)),
            Case("3 examples x 3 classes", (r.standard_normal((3, 3)),))]


def _naive_softmax(scores):
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


SOFTMAX = Exercise(
    "softmax", reference.softmax, _softmax_cases, input_names=("scores",), outputs=("probs",),
    run=_runner("softmax", ("scores",)), may_use=(), same_as=("losses.softmax",),
    mistakes=[
        Mistake("softmax without subtracting the max (overflow on large logits)",
                "exp of a large score overflows to inf, and inf / inf is nan (on the case with scores of "
                "1000). Subtract each row's maximum first, scores - scores.max(axis=1, keepdims=True): it "
                "cancels between numerator and denominator, and every exponent is then <= 0.",
                _naive_softmax),
        Mistake("softmax over the wrong axis",
                "the probabilities were normalised down the columns (axis=0), over the examples. Each "
                "row is one example: its C probabilities must sum to 1, so take the max and the sum "
                "along axis=1.",
                lambda s: softmax(s.T).T),
        Mistake("keepdims forgotten",
                "the row sums have shape (N,), and numpy lines a shape-(N,) array up with the last axis "
                "(the C classes), not with the rows. Keep the summed axis: "
                "e.sum(axis=1, keepdims=True) has shape (N, 1) and divides each row by its own sum.",
                lambda s: np.exp(s - s.max(axis=1)) / np.exp(s - s.max(axis=1)).sum(axis=1)),
        Mistake("the whole batch's max subtracted",
                "the largest score of the whole batch was subtracted, so a row whose scores are far "
                "below it underflows to exp(-800) = 0 and gives 0 / 0 = nan. Subtract each row's own "
                "maximum: scores.max(axis=1, keepdims=True).",
                lambda s: _naive_softmax(s - s.max())),
        Mistake("exp forgotten",
                "the scores were divided by their sum without exp. Softmax exponentiates first, "
                "p = exp(s) / sum(exp(s)), which makes every probability positive.",
                lambda s: s / s.sum(axis=1, keepdims=True)),
        Mistake("scores changed in place",
                _in_place("softmax", "scores", "shifted = scores - scores.max(axis=1, keepdims=True)"),
                lambda s: _naive_softmax(_shift_in_place(s))),
    ],
    loop_free=True,
    effects=[
        Effect("scores changed in place",
               _in_place("softmax", "scores", "shifted = scores - scores.max(axis=1, keepdims=True)"),
               raises=lambda text, case: "changed its input" in text, alone=True, quote=True),
        *common(("probs",)),
        Effect("keepdims forgotten",
               "a row maximum or row sum lost its axis: s.max(axis=1) and e.sum(axis=1) have shape (N,), and "
               "numpy lines a shape-(N,) array up with the last axis (the C classes), not with the rows; it "
               "fails (\"could not be broadcast\") or, when N = C, silently mixes the rows. Keep the axis: "
               "s.max(axis=1, keepdims=True) and e.sum(axis=1, keepdims=True) have shape (N, 1).",
               variants=(lambda s: np.exp(s - s.max(axis=1)) / np.exp(s - s.max(axis=1)).sum(axis=1),
                         lambda s: (lambda e: e / e.sum(axis=1))(np.exp(s - s.max(axis=1, keepdims=True))),
                         lambda s: (lambda e: e / e.sum(axis=1, keepdims=True))(np.exp(s - s.max(axis=1))),
                         lambda s: np.exp(s) / np.exp(s).sum(axis=1)),
               raises=_broadcast_error, alone=True),
        Effect("the whole batch's max subtracted",
               "the largest score of the whole batch was subtracted, so a row whose scores are far "
               "below it underflows to exp(-800) = 0 and gives 0 / 0 = nan. Subtract each row's own "
               "maximum: scores.max(axis=1, keepdims=True).", variants=(lambda s: _naive_softmax(s - s.max()),)),
        overflow("softmax without subtracting the max (overflow on large logits)",
                 "exp of a large score overflows to inf, and inf / inf is nan (on the cases with scores of "
                 "800 or 1000). Subtract each row's maximum first, scores - scores.max(axis=1, keepdims=True): "
                 "it cancels between numerator and denominator, and every exponent is then <= 0."),
        Effect("softmax over the wrong axis",
               "the probabilities were normalised down the columns (axis=0), over the examples. Each row is "
               "one example: its C probabilities must sum to 1, so take the max and the sum along axis=1.",
               variants=(lambda s: _normalised(s, 0, 0), lambda s: _normalised(s, 1, 0),
                         lambda s: _normalised(s, 0, 1))),
        Effect("normalised over the whole batch",
               "the exponentials were divided by the sum over the whole batch (e.sum() without an axis), so "
               "all N x C probabilities together sum to 1. Each row is one example and must sum to 1 on its "
               "own: e / e.sum(axis=1, keepdims=True).",
               variants=(lambda s: (lambda e: e / e.sum())(np.exp(s - s.max(axis=1, keepdims=True))),
                         lambda s: (lambda e: e / e.sum())(np.exp(s - s.max())))),
        Effect("exp forgotten",
               "the scores were divided by their sum without exp. Softmax exponentiates first, "
               "p = exp(s) / sum(exp(s)), which makes every probability positive.",
               variants=(lambda s: s / s.sum(axis=1, keepdims=True),
                         lambda s: (lambda d: d / d.sum(axis=1, keepdims=True))(s - s.max(axis=1, keepdims=True)))),
    ])


def check_softmax(fn):
    """Check ``softmax(scores) -> probs``, row-wise and stable: scores (N, C) -> probs (N, C)."""
    return SOFTMAX.check(fn)


# ------------------------------------------------------------------ cross-entropy

def _log_softmax(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _log_p(s):
    return _log_softmax(s)


def _normalised(s, max_axis, sum_axis):
    """exp(s - max along ``max_axis``) divided by its sums along ``sum_axis`` (softmax when both are 1)."""
    e = np.exp(s - s.max(axis=max_axis, keepdims=True))
    return e / e.sum(axis=sum_axis, keepdims=True)


def _log_p_without_keepdims(s, in_max):
    """Log-softmax with keepdims left out of the row sum, and of the row maximum too when ``in_max``."""
    shifted = s - (s.max(axis=1) if in_max else s.max(axis=1, keepdims=True))
    return shifted - np.log(np.exp(shifted).sum(axis=1))


def _rows(s):
    return np.arange(s.shape[0])


def ce_loss_effects(part=None, underflow=True):
    """The effects of the usual slips in a softmax cross-entropy loss of (scores, y) (``part``: the
    loss's name when it is one output of several: lesson 04's ``softmax_cross_entropy`` returns the
    same loss with its gradient; ``underflow``: the cases hold a true class far below the best one,
    where the log of an underflowed probability shows)."""
    N = lambda case: batch_size(case)  # noqa: E731
    return [effect for effect in [
        overflow("softmax without subtracting the max (overflow on large logits)",
                 "exp of a large score overflows to inf, and inf / inf is nan (on the case with scores of "
                 "1000). Subtract each row's maximum before exp (log-sum-exp): "
                 "log p[n, y_n] = s[n, y_n] - m_n - log(sum_k exp(s[n, k] - m_n)) with m_n = max_k s[n, k].",
                 part=part),
        Effect("log of a softmax that underflowed",
               "a probability that underflows to 0 (the true class 800 below the best one) has log(0) = -inf; "
               "adding a small epsilon, log(p + 1e-12), or clipping p hides the inf but gives about 28 where "
               "the true loss is about 800. Do not take the log of the probabilities: compute log p directly, "
               "log p[n, y_n] = s[n, y_n] - m_n - log(sum_k exp(s[n, k] - m_n)), which is always finite.",
               part=part, variants=tuple(
                   lambda s, y, eps=eps, clip=clip: float(-np.mean(np.log(
                       (np.clip(softmax(s), eps, 1.0) if clip else softmax(s) + eps)[_rows(s), y])))
                   for eps in (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, 1e-20, 1e-30, 1e-300)
                   for clip in (False, True))),
        negated("cross-entropy minus sign missing",
                "the loss came out negative: log p is <= 0 for a probability, so the loss needs a minus sign "
                "in front, L = -(1/N) sum_n log p[n, y_n].", part=part),
        scaled("cross-entropy summed, not averaged",
               "the per-example losses were summed, not averaged: the loss is the mean over the batch, "
               "so divide by N (or use .mean()).", N, part=part),
        scaled("cross-entropy divided by N twice",
               "the sum was divided by N twice (a .mean() and then / N again). Divide once.",
               lambda case: 1.0 / N(case), part=part),
        scaled("cross-entropy averaged over every entry",
               "the loss was averaged over all N x C entries (np.mean of onehot * log p), which divides by "
               "C once too often. Sum over the classes, average over the examples only: "
               "-(onehot * log_p).sum() / N, or -log_p[np.arange(N), y].mean().",
               lambda case: 1.0 / np.shape(case.args[0])[1], part=part),
        scaled("log base 2 or 10 instead of the natural log",
               "the loss uses the natural logarithm np.log; np.log2 and np.log10 differ from it by a "
               "constant factor (1 / ln 2 = 1.4427, 1 / ln 10 = 0.4343).",
               lambda case: 1.0 / np.log(2.0), part=part),
        scaled("log base 2 or 10 instead of the natural log",
               "the loss uses the natural logarithm np.log; np.log2 and np.log10 differ from it by a "
               "constant factor (1 / ln 2 = 1.4427, 1 / ln 10 = 0.4343).",
               lambda case: 1.0 / np.log(10.0), part=part),
        Effect("labels shifted by one",
               "the class picked for each example is off by one (y - 1 or y + 1, as if the labels started at "
               "1). y already holds the class indices 0..C-1: pick log_p[np.arange(N), y] (or np.eye(C)[y]).",
               part=part, variants=tuple(lambda s, y, k=k: float(-_log_p(s)[_rows(s), (y + k) % s.shape[1]].mean())
                                         for k in (-1, 1))),
        Effect("labels used as one-hot without conversion",
               "y holds class indices (shape (N,)), not one-hot rows (shape (N, C)), so y * log(p) does not "
               "pick the true class (it fails unless N = C, or broadcasts y[:, None] over the row, and is "
               "wrong either way). Either pick log p[np.arange(N), y], or convert first: np.eye(C)[y].",
               part=part, raises=_broadcast_error,
               variants=(lambda s, y: float(-np.sum(y * _log_p(s)) / s.shape[0]),
                         lambda s, y: float(-np.sum(y[:, None] * _log_p(s)) / s.shape[0]),
                         lambda s, y: float(-np.mean(np.sum(y * _log_p(s), axis=1))))),
        Effect("keepdims forgotten",
               "a row maximum or row sum lost its axis: s.max(axis=1) has shape (N,), which numpy lines up "
               "with the C classes, not with the rows; it fails or, when N = C, silently mixes the rows. "
               "Keep the axis: s.max(axis=1, keepdims=True), np.exp(shifted).sum(axis=1, keepdims=True).",
               part=part, raises=_broadcast_error,
               variants=(lambda s, y: float(-_log_p_without_keepdims(s, True)[_rows(s), y].mean()),
                         lambda s, y: float(-_log_p_without_keepdims(s, False)[_rows(s), y].mean()))),
        Effect("max not added back in log-sum-exp",
               "log sum_k exp(s_k) = m + log sum_k exp(s_k - m): the row maximum m taken out before exp must be "
               "added back (or subtract it from the true class's score as well): log p[n, y_n] = "
               "(s[n, y_n] - m_n) - log(sum_k exp(s[n, k] - m_n)).", part=part,
               variants=(lambda s, y: float(np.mean(np.log(np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1))
                                                    - s[_rows(s), y])),)),
        Effect("log of every class instead of the true class",
               "the logs of the probabilities of all C classes were added up. Cross-entropy takes only "
               "the probability of the true class: L_n = -log p[n, y_n], picked with p[np.arange(N), y].",
               part=part, variants=(lambda s, y: float(-_log_p(s).sum(axis=1).mean()),)),
        Effect("p[:, y] instead of p[np.arange(N), y]",
               "p[:, y] takes, for every example, the probabilities of all N labels (an N x N table). "
               "Each example needs its own class only: p[np.arange(N), y] picks one entry per row.",
               part=part, variants=(lambda s, y: float(-_log_p(s)[:, y].mean()),
                                    lambda s, y: float(-_log_p(s)[:, y].sum() / s.shape[0]))),
        Effect("log missing",
               "the probabilities themselves were averaged: cross-entropy takes their logarithm, "
               "L = -(1/N) sum_n log p[n, y_n].", part=part,
               variants=(lambda s, y: float(-np.exp(_log_p(s))[_rows(s), y].mean()),
                         lambda s, y: float(np.mean(1 - np.exp(_log_p(s))[_rows(s), y])))),
        Effect("softmax over the wrong axis",
               "the softmax was taken down the columns (axis=0), over the examples. Each row is one "
               "example: its C probabilities must sum to 1, so use axis=1.", part=part,
               variants=(lambda s, y: float(-_log_softmax(s.T).T[_rows(s), y].mean()),)),
        _not_reduced("-log p[n, y_n] over the examples", part),
    ] if underflow or effect.name != "log of a softmax that underflowed"]


def _cross_entropy_cases(rng=None):
    r = _source(rng, 40)
    return [Case("5 examples x 3 classes",
                 (r.standard_normal((5, 3)) * 2, _labels(rng, r, [0, 2, 1, 1, 0], 3))),
            Case("batch of one", (r.standard_normal((1, 4)), _labels(rng, r, [3], 4))),
            Case("a single class", (r.standard_normal((3, 1)), np.array([0, 0, 0]))),
            Case("large logits", (np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0]]),
                                  np.array([1, 2]))),
            Case("confidently wrong", (np.array([[800.0, 0.0], [0.0, 3.0], [1.0, -1.0], [-2.0, 2.0]]),
                                       np.array([1, 1, 0, 1]))),
            Case("3 examples x 3 classes", (r.standard_normal((3, 3)), _labels(rng, r, [2, 0, 2], 3)))]


CROSS_ENTROPY = Exercise(
    "cross_entropy", reference.cross_entropy, _cross_entropy_cases,
    input_names=("scores", "y"), outputs=("loss",), run=_runner("cross_entropy", ("scores", "y")),
    may_use=("reference.softmax",), same_as=("losses.softmax_cross_entropy",),
    mistakes=[
        Mistake("softmax without subtracting the max (overflow on large logits)",
                "exp of a large score overflows to inf, and inf / inf is nan (on the case with scores of "
                "1000). Subtract each row's maximum before exp (log-sum-exp): "
                "log p[n, y_n] = s[n, y_n] - m_n - log(sum_k exp(s[n, k] - m_n)) with m_n = max_k s[n, k].",
                lambda s, y: float(-np.log(_naive_softmax(s)[np.arange(s.shape[0]), y]).mean())),
        Mistake("log of a softmax that underflowed",
                "a probability that underflows to 0 (the true class 800 below the best one) gives "
                "log(0) = -inf, so the loss is inf, while the true loss is about 800. Do not take the log "
                "of the probabilities: compute log p directly, log p[n, y_n] = s[n, y_n] - m_n - "
                "log(sum_k exp(s[n, k] - m_n)), which is always finite.",
                lambda s, y: float(-np.log(softmax(s)[np.arange(s.shape[0]), y]).mean())),
        Mistake("labels used as one-hot without conversion",
                "y holds class indices (shape (N,)), not one-hot rows (shape (N, C)), so y * log(p) "
                "does not pick the true class (it fails unless N = C, and is wrong even then). Either "
                "pick log p[np.arange(N), y], or convert first: np.eye(C)[y] is the one-hot matrix.",
                lambda s, y: float(-np.sum(y * _log_softmax(s)) / s.shape[0])),
        Mistake("log of every class instead of the true class",
                "the logs of the probabilities of all C classes were added up. Cross-entropy takes only "
                "the probability of the true class: L_n = -log p[n, y_n], picked with "
                "p[np.arange(N), y].",
                lambda s, y: float(-_log_softmax(s).sum(axis=1).mean())),
        Mistake("p[:, y] instead of p[np.arange(N), y]",
                "p[:, y] takes, for every example, the probabilities of all N labels (an N x N table). "
                "Each example needs its own class only: p[np.arange(N), y] picks one entry per row.",
                lambda s, y: float(-_log_softmax(s)[:, y].mean())),
        Mistake("cross-entropy summed, not averaged",
                "the per-example losses were summed, not averaged: the loss is the mean over the batch, "
                "so divide by N (or use .mean()).",
                lambda s, y: float(-_log_softmax(s)[np.arange(s.shape[0]), y].sum())),
        Mistake("softmax over the wrong axis",
                "the softmax was taken down the columns (axis=0), over the examples. Each row is one "
                "example: its C probabilities must sum to 1, so use axis=1.",
                lambda s, y: float(-_log_softmax(s.T).T[np.arange(s.shape[0]), y].mean())),
        Mistake("scores changed in place",
                _in_place("cross_entropy", "scores", "shifted = scores - scores.max(axis=1, keepdims=True)"),
                lambda s, y: cross_entropy(_shift_in_place(s), y)),
    ],
    loop_free=True,
    effects=[
        Effect("scores changed in place",
               _in_place("cross_entropy", "scores", "shifted = scores - scores.max(axis=1, keepdims=True)"),
               raises=lambda text, case: "changed its input" in text, alone=True, quote=True),
        *common(("loss",)),
        *ce_loss_effects(),
    ])


def check_cross_entropy(fn):
    """Check ``cross_entropy(scores, y) -> L = -(1/N) sum_n log softmax(scores)[n, y_n]``, stable.

    scores (N, C) floats, y (N,) integer class indices in 0..C-1.
    """
    return CROSS_ENTROPY.check(fn)


# ------------------------------------------------------------------ binary cross-entropy

def _bce_cases(rng=None):
    r = _source(rng, 50)
    return [Case("a column of 6", (r.uniform(0.05, 0.95, (6, 1)),
                                   _labels(rng, r, [[1.0], [0], [1], [1], [0], [0]], 2))),
            Case("a flat vector of 4", (r.uniform(0.05, 0.95, 4), _labels(rng, r, [0.0, 1.0, 1.0, 0.0], 2))),
            Case("batch of one", (np.array([[0.3]]), np.array([[1.0]]))),
            Case("all labels 1", (r.uniform(0.05, 0.95, (3, 1)), np.ones((3, 1)))),
            Case("confident predictions", (np.array([[1e-6], [1 - 1e-6], [1e-6], [0.5]]),
                                           np.array([[0.0], [1.0], [1.0], [0.0]])))]


BCE = Exercise(
    "binary_cross_entropy", reference.binary_cross_entropy, _bce_cases, input_names=("p", "y"),
    outputs=("loss",), run=_runner("binary_cross_entropy", ("p", "y")), may_use=(),
    same_as=("losses.binary_cross_entropy", "losses.sigmoid_binary_cross_entropy"),
    mistakes=[
        Mistake("minus sign missing",
                "the loss came out negative: log of a probability is <= 0, so the loss needs a minus "
                "sign in front, L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)].",
                lambda p, y: -binary_cross_entropy(p, y)),
        Mistake("only the y = 1 term",
                "the term for the examples with y = 0 is missing: add (1 - y) * log(1 - p), the log of "
                "the probability the model gives to class 0.",
                lambda p, y: float(-np.sum(y * np.log(p)) / p.shape[0])),
        Mistake("p and y swapped",
                "p and y were swapped: the logs are of the predicted probabilities p, weighted by the "
                "labels y, -(y log p + (1 - y) log(1 - p)). log of a 0/1 label is -inf.",
                lambda p, y: binary_cross_entropy(y, p)),
        Mistake("binary cross-entropy summed, not averaged",
                "the per-example losses were summed, not averaged: divide by N, the number of examples.",
                lambda p, y: binary_cross_entropy(p, y) * p.shape[0]),
        Mistake("log base 2 instead of natural log",
                "np.log2 measures the surprise in bits; the loss uses the natural logarithm np.log "
                "(the two differ by a factor 1/ln 2 = 1.4427).",
                lambda p, y: binary_cross_entropy(p, y) / np.log(2)),
    ],
    loop_free=True,
    effects=[
        *common(("loss",)),
        negated("minus sign missing",
                "the loss came out negative: log of a probability is <= 0, so the loss needs a minus "
                "sign in front, L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]."),
        scaled("binary cross-entropy summed, not averaged",
               "the per-example losses were summed, not averaged: divide by N, the number of examples.",
               batch_size),
        scaled("binary cross-entropy divided by N twice",
               "the sum was divided by N twice (a mean and then / N again). Divide once.",
               lambda case: 1.0 / batch_size(case)),
        scaled("log base 2 instead of natural log",
               "np.log2 (or np.log10) is not the natural logarithm the loss uses, np.log; they differ by a "
               "constant factor (1/ln 2 = 1.4427, 1/ln 10 = 0.4343).", lambda case: 1.0 / np.log(2.0)),
        scaled("log base 2 instead of natural log",
               "np.log2 (or np.log10) is not the natural logarithm the loss uses, np.log; they differ by a "
               "constant factor (1/ln 2 = 1.4427, 1/ln 10 = 0.4343).", lambda case: 1.0 / np.log(10.0)),
        Effect("p and 1 - p swapped",
               "the two logs are swapped: the examples with y = 1 are charged -log p (the probability the "
               "model gives to class 1), those with y = 0 are charged -log(1 - p). Write "
               "-(y * log(p) + (1 - y) * log(1 - p)).",
               variants=(lambda p, y: float(-np.sum(y * np.log(1 - p) + (1 - y) * np.log(p)) / p.shape[0]),)),
        Effect("only the y = 1 term",
               "the term for the examples with y = 0 is missing: add (1 - y) * log(1 - p), the log of "
               "the probability the model gives to class 0.",
               variants=(lambda p, y: float(-np.sum(y * np.log(p)) / p.shape[0]),)),
        Effect("only the y = 0 term",
               "the term for the examples with y = 1 is missing: add y * log(p), the log of the "
               "probability the model gives to class 1.",
               variants=(lambda p, y: float(-np.sum((1 - y) * np.log(1 - p)) / p.shape[0]),)),
        Effect("log(p) where log(1 - p) belongs",
               "the term of the examples with y = 0 is their surprise at class 0, whose probability is 1 - p: "
               "(1 - y) * log(1 - p), not (1 - y) * log(p) or (1 - y) * (1 - log(p)).",
               variants=(lambda p, y: float(-np.sum(y * np.log(p) + (1 - y) * np.log(p)) / p.shape[0]),
                         lambda p, y: float(-np.sum(y * np.log(p) + (1 - y) * (1 - np.log(p))) / p.shape[0]))),
        Effect("minus sign on one term only",
               "the minus sign applies to the whole bracket: L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]. "
               "Written without the brackets, only one of the two terms is negated.",
               variants=(lambda p, y: float(np.sum(-y * np.log(p) + (1 - y) * np.log(1 - p)) / p.shape[0]),
                         lambda p, y: float(np.sum(y * np.log(p) - (1 - y) * np.log(1 - p)) / p.shape[0]))),
        _not_reduced("the per-example terms"),
    ])


def check_binary_cross_entropy(fn):
    """Check ``binary_cross_entropy(p, y) -> L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]``.

    p: probabilities in (0, 1), shape (N, 1) or (N,); y: 0/1 labels of the same shape.
    """
    return BCE.check(fn)


EXERCISES = {e.name: e for e in (MSE, SOFTMAX, CROSS_ENTROPY, BCE)}
