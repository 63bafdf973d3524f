"""Lesson 02's checks, fed answers written the way a learner writes them.

Every wrong answer below is spelled differently from its catalogue entry in
backprop_helpers/checks/loss.py (other numpy calls, other order of operations), so these tests show that
the check recognises the mistake, not one particular line of code. The correct answers are spelled
differently from the references too, and must pass.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_helpers import losses, reference
from backprop_helpers.checks import lesson02_loss as checks
from strategies import assert_named, batch_sizes, normal, seeds


def run(exercise, fn):
    return checks.EXERCISES[exercise].run(fn)


# ------------------------------------------------------------------ mean_squared_error

def test_mse_mean_over_the_outputs_is_the_wrong_axis():
    def mean_squared_error(y_hat, y):
        per_example = ((y_hat - y) ** 2).mean(axis=1)      # averages over C: divides by C, not N
        return per_example.sum()
    assert_named(run("mean_squared_error", mean_squared_error), "MSE averaged over the wrong axis",
                 "instead of over the N examples")


def test_mse_np_mean_of_everything():
    def mean_squared_error(y_hat, y):
        diff = y - y_hat
        return np.mean(diff * diff)
    assert_named(run("mean_squared_error", mean_squared_error), "MSE averaged over every element",
                 "divides by N*C")


def test_mse_sum_without_division():
    def mean_squared_error(y_hat, y):
        total = 0.0
        for row_hat, row in zip(y_hat, y):
            total += np.dot(row_hat - row, row_hat - row)
        return total
    assert_named(run("mean_squared_error", mean_squared_error), "MSE summed, not averaged",
                 "not divided by N")


def test_mse_half():
    def mean_squared_error(y_hat, y):
        return np.sum(np.square(y_hat - y)) / (2 * len(y))
    assert_named(run("mean_squared_error", mean_squared_error), "MSE with a factor 1/2", "extra factor 1/2")


def test_mse_absolute_error():
    def mean_squared_error(y_hat, y):
        return np.abs(y - y_hat).sum(axis=1).mean()
    assert_named(run("mean_squared_error", mean_squared_error), "absolute instead of squared error",
                 "mean absolute error")


def test_mse_learner_correct():
    def mean_squared_error(y_hat, y):
        return ((y_hat - y) ** 2).sum(axis=1).mean()
    assert run("mean_squared_error", mean_squared_error).passed


# ------------------------------------------------------------------ softmax

def test_softmax_without_the_max_overflows():
    def softmax(scores):
        exps = np.exp(scores)
        return exps / np.sum(exps, axis=1)[:, None]
    assert_named(run("softmax", softmax), "softmax without subtracting the max (overflow on large logits)",
                 "overflows to inf")


def test_softmax_over_the_columns():
    def softmax(scores):
        shifted = scores - np.max(scores, axis=0)
        return np.exp(shifted) / np.exp(shifted).sum(axis=0)
    assert_named(run("softmax", softmax), "softmax over the wrong axis", "down the columns")


def test_softmax_without_keepdims():
    def softmax(scores):
        e = np.exp(scores - np.max(scores, axis=1))
        return e / np.sum(e, axis=1)
    assert_named(run("softmax", softmax), "keepdims forgotten", "keepdims=True")


def test_softmax_global_max():
    def softmax(scores):
        e = np.exp(scores - np.max(scores))
        return e / e.sum(axis=-1, keepdims=True)
    assert_named(run("softmax", softmax), "the whole batch's max subtracted", "each row's own")


def test_softmax_without_exp():
    def softmax(scores):
        return scores / np.sum(scores, axis=1, keepdims=True)
    assert_named(run("softmax", softmax), "exp forgotten", "without exp")


def test_softmax_learner_correct():
    def softmax(scores):
        out = np.empty_like(scores)
        for n, row in enumerate(scores):
            e = np.exp(row - row.max())
            out[n] = e / e.sum()
        return out
    assert run("softmax", softmax).passed


# ------------------------------------------------------------------ cross_entropy

def _learner_log_softmax(scores):
    m = np.max(scores, axis=-1, keepdims=True)
    return scores - m - np.log(np.sum(np.exp(scores - m), axis=-1, keepdims=True))


def test_cross_entropy_labels_as_one_hot():
    def cross_entropy(scores, y):
        log_p = _learner_log_softmax(scores)
        return -(log_p * y).sum(axis=1).mean()          # y holds indices, not one-hot rows
    result = run("cross_entropy", cross_entropy)
    assert_named(result, "labels used as one-hot without conversion", "np.eye(C)[y]")


def test_cross_entropy_naive_softmax_overflows():
    def cross_entropy(scores, y):
        p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[range(len(y)), y]))
    assert_named(run("cross_entropy", cross_entropy),
                 "softmax without subtracting the max (overflow on large logits)", "log-sum-exp")


def test_cross_entropy_log_of_underflowed_probability():
    def cross_entropy(scores, y):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        return np.mean(-np.log(p[np.arange(len(y)), y]))
    assert_named(run("cross_entropy", cross_entropy), "log of a softmax that underflowed", "log(0) = -inf")


def test_cross_entropy_every_class():
    def cross_entropy(scores, y):
        return -np.sum(_learner_log_softmax(scores)) / scores.shape[0]
    assert_named(run("cross_entropy", cross_entropy), "log of every class instead of the true class",
                 "only the probability of the true class")


def test_cross_entropy_column_indexing():
    def cross_entropy(scores, y):
        return -np.mean(_learner_log_softmax(scores)[:, y])
    assert_named(run("cross_entropy", cross_entropy), "p[:, y] instead of p[np.arange(N), y]",
                 "one entry per row")


def test_cross_entropy_sum():
    def cross_entropy(scores, y):
        log_p = _learner_log_softmax(scores)
        return -sum(log_p[n, y[n]] for n in range(len(y)))
    assert_named(run("cross_entropy", cross_entropy), "cross-entropy summed, not averaged", "divide by N")


def test_cross_entropy_wrong_axis():
    def cross_entropy(scores, y):
        m = scores.max(axis=0)
        log_p = scores - m - np.log(np.exp(scores - m).sum(axis=0))
        return -log_p[np.arange(len(y)), y].mean()
    assert_named(run("cross_entropy", cross_entropy), "softmax over the wrong axis", "use axis=1")


def test_cross_entropy_learner_correct_one_hot():
    def cross_entropy(scores, y):
        one_hot = np.eye(scores.shape[1])[y]
        return -np.sum(one_hot * _learner_log_softmax(scores)) / len(y)
    assert run("cross_entropy", cross_entropy).passed


def test_cross_entropy_learner_correct_loop():
    def cross_entropy(scores, y):
        total = 0.0
        for row, label in zip(scores, y):
            m = row.max()
            total += m + np.log(np.exp(row - m).sum()) - row[label]
        return total / len(y)
    assert run("cross_entropy", cross_entropy).passed


# ------------------------------------------------------------------ binary_cross_entropy

def test_bce_without_minus():
    def binary_cross_entropy(p, y):
        return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert_named(run("binary_cross_entropy", binary_cross_entropy), "minus sign missing", "negative")


def test_bce_only_positive_term():
    def binary_cross_entropy(p, y):
        return -np.mean(np.log(p) * y)
    assert_named(run("binary_cross_entropy", binary_cross_entropy), "only the y = 1 term", "(1 - y)")


def test_bce_arguments_swapped():
    def binary_cross_entropy(p, y):
        return -np.mean(p * np.log(y) + (1 - p) * np.log(1 - y))
    assert_named(run("binary_cross_entropy", binary_cross_entropy), "p and y swapped", "were swapped")


def test_bce_sum():
    def binary_cross_entropy(p, y):
        return -(y * np.log(p)).sum() - ((1 - y) * np.log(1 - p)).sum()
    assert_named(run("binary_cross_entropy", binary_cross_entropy), "binary cross-entropy summed, not averaged",
                 "divide by N")


def test_bce_log2():
    def binary_cross_entropy(p, y):
        return -np.mean(y * np.log2(p) + (1 - y) * np.log2(1 - p))
    assert_named(run("binary_cross_entropy", binary_cross_entropy), "log base 2 instead of natural log",
                 "natural logarithm")


def test_bce_learner_correct():
    def binary_cross_entropy(p, y):
        p_true = np.where(y == 1, p, 1 - p)          # the probability given to the actual label
        return float(-np.log(p_true).sum() / len(p))
    assert run("binary_cross_entropy", binary_cross_entropy).passed


# ------------------------------------------------------------------ inputs changed in place

def test_softmax_shifting_the_callers_scores():
    def softmax(scores):
        scores -= np.max(scores, axis=1, keepdims=True)
        return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert_named(run("softmax", softmax), "scores changed in place", "Compute into a new array")


def test_cross_entropy_shifting_the_callers_scores():
    def cross_entropy(scores, y):
        scores -= scores.max(axis=1)[:, None]
        log_p = scores - np.log(np.exp(scores).sum(axis=1))[:, None]
        return -log_p[np.arange(len(y)), y].mean()
    assert_named(run("cross_entropy", cross_entropy), "scores changed in place", "caller's array")


def test_mse_subtracting_into_the_predictions():
    def mean_squared_error(y_hat, y):
        y_hat -= y
        return (y_hat ** 2).sum() / len(y_hat)
    assert_named(run("mean_squared_error", mean_squared_error), "y_hat changed in place", "diff = y_hat - y")


# ------------------------------------------------------------------ the check itself

def test_unknown_mistake_gets_a_number_and_a_place(capsys):
    def mean_squared_error(y_hat, y):
        return np.sum((y_hat - y) ** 2) / y_hat.shape[0] + 0.1
    result = run("mean_squared_error", mean_squared_error)
    assert result.status == "wrong" and result.mistake is None
    assert "loss is" in result.message and "but should be" in result.message


def test_check_prints_one_verdict_and_hands_back_the_learners_function(capsys):
    def softmax(scores):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    assert checks.check_softmax(softmax) is softmax
    out = capsys.readouterr().out
    assert out.startswith("✔ softmax: correct on all 6 cases")
    assert out.count("\n") == 1


def test_broadcast_errors_read_the_same_whatever_the_operand_order():
    def one_way(scores, y):
        return -(y * _learner_log_softmax(scores)).sum() / len(y)

    def other_way(scores, y):
        return -(_learner_log_softmax(scores) * y).sum() / len(y)
    assert run("cross_entropy", one_way).message == run("cross_entropy", other_way).message


@pytest.mark.parametrize("exercise", sorted(checks.EXERCISES))
def test_every_case_has_a_finite_reference(exercise):
    ex = checks.EXERCISES[exercise]
    for case in ex.cases():
        assert np.all(np.isfinite(ex.reference(*case.args))), case.label


# ------------------------------------------------------------------ the references agree with the package

@given(seed=seeds, n=batch_sizes, c=st.integers(1, 6), scale=st.sampled_from([1.0, 50.0, 1000.0]))
def test_references_agree_with_the_package_losses(seed, n, c, scale):
    scores = normal(seed, (n, c), scale)
    y = np.random.default_rng(seed + 1).integers(0, c, n)
    assert np.isclose(reference.cross_entropy(scores, y), losses.softmax_cross_entropy(scores, y)[0],
                      rtol=1e-12, atol=1e-12)
    assert np.allclose(reference.softmax(scores), losses.softmax(scores), rtol=1e-12, atol=1e-300)
    target = normal(seed + 2, (n, c))
    assert np.isclose(reference.mean_squared_error(scores / scale, target), losses.mse_loss(scores / scale, target)[0],
                      rtol=1e-12)
    p = np.random.default_rng(seed + 3).uniform(0.01, 0.99, (n, 1))
    labels = (np.random.default_rng(seed + 4).random((n, 1)) < 0.5).astype(float)
    assert np.isclose(reference.binary_cross_entropy(p, labels), losses.binary_cross_entropy(p, labels)[0], rtol=1e-12)


@given(seed=seeds, n=batch_sizes, c=st.integers(1, 6))
def test_softmax_rows_are_distributions_even_for_huge_scores(seed, n, c):
    probs = reference.softmax(normal(seed, (n, c), 1e4))
    assert np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1.0)


def test_the_handed_back_reference_is_not_passed_off_as_the_learners(capsys):
    """A learner who re-runs only the check cell passes it the reference it handed back earlier."""
    def softmax(scores):
        raise NotImplementedError()
    handed_back = checks.check_softmax(softmax)
    capsys.readouterr()
    assert checks.check_softmax(handed_back) is handed_back
    out = capsys.readouterr().out
    assert "still the reference implementation" in out and "def softmax" in out
    assert handed_back.__name__ == "softmax"


def test_a_name_error_gets_a_hint():
    def cross_entropy(scores, y):
        log_probs = scores - scores.max(axis=1, keepdims=True)
        return -log_prob[np.arange(len(y)), y].mean()      # noqa: F821 - the typo is the test
    result = run("cross_entropy", cross_entropy)
    assert result.status == "wrong" and result.mistake == "a name without a value"
    assert "NameError" in result.message and "return line" in result.message


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Written the way a learner might (loops, np.dot, a helper, another order of operations), not as the
# catalogue's own implementation; each must get the named mistake on the notebook's cases and on the
# grader's hidden ones.

EXERCISES = checks.EXERCISES


def _log_softmax(s):
    shifted = s - np.max(s, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def mse_loop_over_examples_divided_by_all(y_hat, y):
    total = 0.0
    for row_hat, row in zip(y_hat, y):
        total += ((row_hat - row) ** 2).sum()
    return total / y_hat.size


def mse_mean_of_rows(y_hat, y):
    return np.mean((y_hat - y) ** 2, axis=1).sum()


def mse_root(y_hat, y):
    return np.sqrt(((y_hat - y) ** 2).sum() / len(y_hat))


def mse_in_place(y_hat, y):
    y_hat -= y
    return float(np.sum(y_hat * y_hat) / y_hat.shape[0] * 2)


def softmax_sum_without_keepdims(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def softmax_max_without_keepdims(s):
    e = np.exp(s - np.max(s, axis=1))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_batch_max(s):
    e = np.exp(s - np.max(s))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_naive_loop(s):
    out = np.empty_like(s)
    for n, row in enumerate(s):
        out[n] = np.exp(row) / np.exp(row).sum()
    return out


def softmax_columns(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_in_place(s):
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s


def ce_labels_plus_one(s, y):
    C = s.shape[1]
    one_hot = np.eye(C)[(y + 1) % C]
    return -np.sum(one_hot * _log_softmax(s)) / s.shape[0]


def ce_one_hot_mean(s, y):
    one_hot = np.eye(s.shape[1])[y]
    return -np.mean(one_hot * _log_softmax(s))


def ce_log2(s, y):
    log2_p = _log_softmax(s) / np.log(2)          # log2 p, computed without forming p
    return -np.mean(log2_p[np.arange(len(y)), y])


def ce_column_labels(s, y):
    return -(y[:, None] * _log_softmax(s)).sum() / len(s)


def ce_keepdims_in_the_sum(s, y):
    shifted = s - s.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1))
    return -log_p[np.arange(len(y)), y].mean()


def ce_probabilities_not_logs(s, y):
    p = np.exp(_log_softmax(s))
    return -np.mean(p[range(len(y)), y])


def ce_table(s, y):
    return -np.sum(_log_softmax(s)[:, y]) / s.shape[0]


def ce_naive_loop(s, y):
    total = 0.0
    for row, label in zip(s, y):
        total -= np.log(np.exp(row[label]) / np.exp(row).sum())
    return total / len(y)


def ce_per_example(s, y):
    return -_log_softmax(s)[np.arange(len(y)), y]


def ce_every_class(s, y):
    return -np.sum(_log_softmax(s)) / len(s)


def ce_columns(s, y):
    shifted = s - s.max(axis=0)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0))
    return -np.mean(log_p[np.arange(len(y)), y])


def bce_swapped_terms(p, y):
    return -np.mean(y * np.log(1 - p) + (1 - y) * np.log(p))


def bce_sum(p, y):
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_one_sign(p, y):
    return np.sum(-y * np.log(p) + (1 - y) * np.log(1 - p)) / len(p)


def bce_no_minus(p, y):
    return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_mean_twice(p, y):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) / len(p)


def bce_log10(p, y):
    return -np.mean(y * np.log10(p) + (1 - y) * np.log10(1 - p))


NAMED = [
    ("mean_squared_error", mse_loop_over_examples_divided_by_all, "MSE averaged over every element"),
    ("mean_squared_error", lambda y_hat, y: np.sum((y_hat - y) ** 2) / y_hat.shape[1], "MSE averaged over the wrong axis"),
    ("mean_squared_error", lambda y_hat, y: ((y_hat - y) ** 2).sum(), "MSE summed, not averaged"),
    ("mean_squared_error", lambda y_hat, y: np.mean(np.sum((y_hat - y) ** 2, axis=1)) / len(y), "MSE divided by N twice"),
    ("mean_squared_error", lambda y_hat, y: np.sum((y_hat - y) ** 2) / (2 * len(y)), "MSE with a factor 1/2"),
    ("mean_squared_error", lambda y_hat, y: np.abs(y - y_hat).sum() / len(y), "absolute instead of squared error"),
    ("mean_squared_error", lambda y_hat, y: np.sum(y_hat - y) / len(y), "differences not squared"),
    ("mean_squared_error", mse_root, "square root taken"),
    ("mean_squared_error", lambda y_hat, y: np.sum((y_hat - y) ** 2, axis=1), "loss not reduced to one number"),
    ("mean_squared_error", mse_in_place, "y_hat changed in place"),
    ("mean_squared_error", lambda y_hat, y: np.sum((y_hat - y) ^ 2) / len(y), "^ instead of **"),
    ("softmax", softmax_sum_without_keepdims, "keepdims forgotten"),
    ("softmax", softmax_max_without_keepdims, "keepdims forgotten"),
    ("softmax", softmax_batch_max, "the whole batch's max subtracted"),
    ("softmax", softmax_naive_loop, "softmax without subtracting the max (overflow on large logits)"),
    ("softmax", softmax_columns, "softmax over the wrong axis"),
    ("softmax", lambda s: np.exp(s - s.max(axis=1, keepdims=True)) / np.exp(s - s.max(axis=1, keepdims=True)).sum(),
     "normalised over the whole batch"),
    ("softmax", lambda s: (s - s.max(axis=1, keepdims=True)) / np.sum(s - s.max(axis=1, keepdims=True), axis=1,
                                                                        keepdims=True), "exp forgotten"),
    ("softmax", softmax_in_place, "scores changed in place"),
    ("cross_entropy", ce_labels_plus_one, "labels shifted by one"),
    ("cross_entropy", ce_one_hot_mean, "cross-entropy averaged over every entry"),
    ("cross_entropy", ce_log2, "log base 2 or 10 instead of the natural log"),
    ("cross_entropy", ce_column_labels, "labels used as one-hot without conversion"),
    ("cross_entropy", ce_keepdims_in_the_sum, "keepdims forgotten"),
    ("cross_entropy", ce_probabilities_not_logs, "log missing"),
    ("cross_entropy", ce_table, "p[:, y] instead of p[np.arange(N), y]"),
    ("cross_entropy", ce_naive_loop, "softmax without subtracting the max (overflow on large logits)"),
    ("cross_entropy", ce_per_example, "loss not reduced to one number"),
    ("cross_entropy", ce_every_class, "log of every class instead of the true class"),
    ("cross_entropy", ce_columns, "softmax over the wrong axis"),
    ("cross_entropy", lambda s, y: _log_softmax(s)[np.arange(len(y)), y].mean(), "cross-entropy minus sign missing"),
    ("cross_entropy", lambda s, y: -_log_softmax(s)[np.arange(len(y)), y].sum(), "cross-entropy summed, not averaged"),
    ("cross_entropy", lambda s, y: -_log_softmax(s)[np.arange(len(y)), y].mean() / len(y), "cross-entropy divided by N twice"),
    ("binary_cross_entropy", bce_swapped_terms, "p and 1 - p swapped"),
    ("binary_cross_entropy", bce_sum, "binary cross-entropy summed, not averaged"),
    ("binary_cross_entropy", bce_one_sign, "minus sign on one term only"),
    ("binary_cross_entropy", bce_no_minus, "minus sign missing"),
    ("binary_cross_entropy", bce_mean_twice, "binary cross-entropy divided by N twice"),
    ("binary_cross_entropy", bce_log10, "log base 2 instead of natural log"),
    ("binary_cross_entropy", lambda p, y: -np.mean(y * np.log(p)), "only the y = 1 term"),
    ("binary_cross_entropy", lambda p, y: -np.mean((1 - y) * np.log(1 - p)), "only the y = 0 term"),
    ("binary_cross_entropy", lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)), "loss not reduced to one number"),
]


@pytest.mark.parametrize("exercise, fn, mistake", NAMED, ids=[f"{e}: {m}" for e, _, m in NAMED])
@pytest.mark.parametrize("seed", [None, 2, 77])
def test_a_mistake_written_another_way_is_named_by_its_effect(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.status == "wrong" and result.mistake == mistake, result.message


def test_every_effect_of_the_lesson_is_tested():
    tested = {m for _, _, m in NAMED} | {"a name without a value", "more than the result returned", "max not added back in log-sum-exp", "log(p) where log(1 - p) belongs",
                                         "square of the sum instead of the sum of squares", "log of a softmax that underflowed", "changed an input in place", "single-number function on an array",
                                         "if or max() on a whole array", "nothing returned", "all zeros",
                                         "math.exp overflows"}
    effects = {e.name for ex in EXERCISES.values() for e in ex.effects}
    assert effects - tested == set()


CORRECT = [
    ("mean_squared_error", lambda y_hat, y: np.mean(np.sum((y_hat - y) ** 2, axis=1))),
    ("mean_squared_error", lambda y_hat, y: float(np.einsum("nc,nc->", y_hat - y, y_hat - y)) / len(y)),
    ("softmax", lambda s: np.exp(_log_softmax(s))),
    ("cross_entropy", lambda s, y: -np.sum(np.eye(s.shape[1])[y] * _log_softmax(s)) / len(y)),
    ("cross_entropy", lambda s, y: float(np.mean(np.log(np.exp(s - s.max(1, keepdims=True)).sum(1))
                                                + s.max(1) - s[np.arange(len(y)), y]))),
    ("binary_cross_entropy", lambda p, y: -np.mean(np.where(y == 1, np.log(p), np.log(1 - p)))),
    ("binary_cross_entropy", lambda p, y: float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).sum() / p.shape[0])),
]


@pytest.mark.parametrize("exercise, fn", CORRECT)
@pytest.mark.parametrize("seed", [None, 6])
def test_harmless_rewrites_pass(exercise, fn, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.passed and "loop" not in result.message, result.message


def mse_loops(y_hat, y):
    total = 0.0
    for n in range(y_hat.shape[0]):
        for c in range(y_hat.shape[1]):
            total += (y_hat[n, c] - y[n, c]) ** 2
    return total / y_hat.shape[0]


def ce_loop(s, y):
    total = 0.0
    for row, label in zip(s, y):
        m = row.max()
        total += m + np.log(np.exp(row - m).sum()) - row[label]
    return total / len(y)


@pytest.mark.parametrize("exercise, fn", [("mean_squared_error", mse_loops), ("cross_entropy", ce_loop)])
def test_a_right_answer_with_loops_passes_with_a_note(exercise, fn):
    result = EXERCISES[exercise].run(fn)
    assert result.passed and "loop-free" in result.message


def ce_with_epsilon(s, y):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y] + 1e-9))


def test_the_log_of_an_underflowed_probability_is_named_even_with_an_epsilon():
    for fn in (ce_with_epsilon, lambda s, y: -np.log(np.clip(reference.softmax(s), 1e-12, 1)[np.arange(len(y)), y]).mean()):
        result = EXERCISES["cross_entropy"].run(fn)
        assert result.mistake == "log of a softmax that underflowed", result.message


def test_an_rmse_written_with_the_norm_is_named():
    result = EXERCISES["mean_squared_error"].run(lambda y_hat, y: np.linalg.norm(y_hat - y) / len(y))
    assert result.mistake == "square root taken", result.message


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("cross_entropy", lambda s, y: np.mean(np.log(np.exp(s - s.max(1, keepdims=True)).sum(1)) - s[np.arange(len(y)), y]),
     "max not added back in log-sum-exp"),
    ("binary_cross_entropy", lambda p, y: -np.mean(y * np.log(p) + (1 - y) * np.log(p)), "log(p) where log(1 - p) belongs"),
    ("binary_cross_entropy", lambda p, y: -np.mean(y * np.log(p) + (1 - y) * (1 - np.log(p))),
     "log(p) where log(1 - p) belongs"),
    ("mean_squared_error", lambda y_hat, y: np.sum(y_hat - y) ** 2 / len(y), "square of the sum instead of the sum of squares"),
])
@pytest.mark.parametrize("seed", [None, 31])
def test_more_slips_are_named(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.mistake == mistake, result.message
