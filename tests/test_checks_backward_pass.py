"""Lesson 04's checks against answers written the way learners write them.

Every wrong answer below is new code (not the catalogue's own implementation) with one classic
mistake; its check must name that mistake and explain it. The correct answers are written differently
from the references (loops, einsum, np.where, explicit one-hot) and must pass. Property tests tie the
lesson's references to the library's layers and losses, so the lesson teaches what the package does.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from backprop_helpers import layers, losses
from backprop_helpers.checks.lesson04_backward_pass import (
    EXERCISES, check_linear_backward, check_mse_loss, check_relu_backward, check_sigmoid_backward,
    check_softmax_cross_entropy, check_tanh_backward)

from strategies import activation_shapes, linear_shapes, normal, seeds


def verdict(exercise, fn):
    return EXERCISES[exercise].run(fn)


def expect(exercise, fn, mistake, phrase):
    result = verdict(exercise, fn)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    assert phrase in result.message


# ------------------------------------------------------------------ linear_backward

def linear_dW_transposed(dout, X, W):
    dX = np.dot(dout, W.T)
    dW = np.dot(dout.T, X)                      # (H, N) @ (N, D): the shape of W.T
    db = np.sum(dout, axis=0)
    return dX, dW, db


def linear_db_not_summed(dout, X, W):
    return np.matmul(dout, W.T), np.matmul(X.T, dout), dout.copy()


def linear_db_averaged(dout, X, W):
    return dout @ W.T, X.T @ dout, np.mean(dout, axis=0)


def linear_db_wrong_axis(dout, X, W):
    return dout @ W.T, X.T @ dout, np.sum(dout, 1)


def linear_dX_no_transpose(dout, X, W):
    dX = np.dot(dout, W)                        # crashes unless W is square
    return dX, X.T @ dout, dout.sum(axis=0)


def linear_dW_over_N(dout, X, W):
    N = len(X)
    return dout @ W.T, (X.T @ dout) / N, dout.sum(axis=0)


def linear_wrong_order(dout, X, W):
    dX, dW, db = dout @ W.T, X.T @ dout, dout.sum(axis=0)
    return dW, dX, db


@pytest.mark.parametrize("fn, mistake, phrase", [
    (linear_dW_transposed, "dW transposed", "dW = X.T @ dout"),
    (linear_db_not_summed, "db not summed over the batch", "db = dout.sum(axis=0)"),
    (linear_db_averaged, "db averaged instead of summed", "must be summed"),
    (linear_db_wrong_axis, "db summed over the wrong axis", "over the batch (axis=0)"),
    (linear_dX_no_transpose, "dX without W transposed", "dX = dout @ W.T"),
    (linear_dW_over_N, "dW divided by N", "already inside dout"),
    (linear_wrong_order, "dX and dW returned in the wrong order", "return dX, dW, db"),
])
def test_linear_backward_mistakes_are_named(fn, mistake, phrase):
    expect("linear_backward", fn, mistake, phrase)


def linear_db_keepdims(dout, X, W):
    return dout @ W.T, X.T @ dout, np.sum(dout, axis=0, keepdims=True)


def test_db_kept_as_a_row_is_named():
    expect("linear_backward", linear_db_keepdims, "db kept as a row", "keepdims=True")


def test_a_name_never_set_gets_a_hint():
    def linear_backward(dout, X, W):
        dX = dout @ W.T
        dW = X.T @ dout
        return dX, dW, db  # noqa: F821  (db is never set: the learner forgot the line)
    result = verdict("linear_backward", linear_backward)
    assert result.status == "wrong" and result.mistake == "a name without a value"
    assert "your code has to set it" in result.message


def test_linear_backward_written_with_loops_passes():
    def linear_backward(dout, X, W):
        N, D = X.shape
        H = W.shape[1]
        dX, dW, db = np.zeros((N, D)), np.zeros((D, H)), np.zeros(H)
        for n in range(N):
            dX[n] = W @ dout[n]
            dW += np.outer(X[n], dout[n])
            db += dout[n]
        return dX, dW, db
    assert verdict("linear_backward", linear_backward).passed


def test_linear_backward_with_einsum_passes():
    def linear_backward(dout, X, W):
        return (np.einsum("nh,dh->nd", dout, W), np.einsum("nd,nh->dh", X, dout),
                np.einsum("nh->h", dout))
    assert verdict("linear_backward", linear_backward).passed


def test_a_crash_in_a_product_names_the_input_shapes():
    def linear_backward(dout, X, W):
        return dout @ X, X.T @ dout, dout.sum(axis=0)
    result = verdict("linear_backward", linear_backward)
    assert result.status == "error"
    assert "the product dout @ X does not fit" in result.message
    assert "dout (4, 2), X (4, 3), W (3, 2)" in result.message


@pytest.mark.parametrize("fn, mistake", [
    (lambda dout, X, W: (dout @ W.T, X @ dout, dout.sum(0)), "dW without X transposed"),
    (lambda dout, X, W: (np.dot(W, dout), X.T @ dout, dout.sum(0)), "dX: the product in the wrong order"),
    (lambda dout, X, W: (dout.dot(W.T), dout @ X.T, dout.sum(0)), "dW: the product in the wrong order"),
    (lambda dout, X, W: (dout.dot(W), X.T.dot(dout), dout.sum(0)), "dX without W transposed"),
])
@pytest.mark.parametrize("seed", [None, 13])
def test_a_product_that_does_not_fit_is_named_from_its_operands(fn, mistake, seed):
    result = EXERCISES["linear_backward"].run(fn, seed=seed)
    assert result.mistake == mistake, result.message


def test_only_shape_errors_are_reworded():
    def linear_backward(dout, X, W):
        raise ValueError("something else entirely")
    assert "something else entirely" in verdict("linear_backward", linear_backward).message


# ------------------------------------------------------------------ activations

def sigmoid_from_input(dout, out):
    s = 1 / (1 + np.exp(-out))                  # treats out as if it were x
    return dout * s * (1 - s)


def sigmoid_local_only(dout, out):
    return out - out ** 2


def sigmoid_tanh_formula(dout, out):
    return dout * (1 - out * out)


def sigmoid_in_place(dout, out):
    dout *= out * (1 - out)
    return dout


def tanh_in_place(dout, out):
    dout *= 1 - out ** 2
    return dout


def relu_in_place(dout, x):
    dout[x <= 0] = 0
    return dout


@pytest.mark.parametrize("exercise, fn", [("sigmoid_backward", sigmoid_in_place),
                                          ("tanh_backward", tanh_in_place),
                                          ("relu_backward", relu_in_place)])
def test_changing_dout_in_place_is_named(exercise, fn):
    expect(exercise, fn, "changed dout in place", "the caller still needs it")


@pytest.mark.parametrize("fn, mistake, phrase", [
    (sigmoid_from_input, "sigmoid derivative computed from the input instead of the output",
     "out * (1 - out)"),
    (sigmoid_local_only, "upstream gradient ignored", "multiplies it by the upstream gradient"),
    (sigmoid_tanh_formula, "tanh's derivative used", "derivative of tanh"),
])
def test_sigmoid_backward_mistakes_are_named(fn, mistake, phrase):
    expect("sigmoid_backward", fn, mistake, phrase)


def tanh_one_minus_input_squared(dout, out):
    x = 0.5 * np.log((1 + out) / (1 - out))      # the input recovered from the output
    return dout * (1 - x * x)


def tanh_applied_again(dout, out):
    return dout * (1 - np.tanh(out) * np.tanh(out))


def tanh_local_only(dout, out):
    return 1 - np.square(out)


def tanh_sigmoid_formula(dout, out):
    return dout * (out - out ** 2)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (tanh_one_minus_input_squared, "tanh derivative as 1 - x**2 of the input", "1 - tanh(x)**2"),
    (tanh_applied_again, "tanh applied to the output again", "1 - out**2 directly"),
    (tanh_local_only, "upstream gradient ignored", "dx = dout * (1 - out**2)"),
    (tanh_sigmoid_formula, "sigmoid's derivative used", "derivative of the sigmoid"),
])
def test_tanh_backward_mistakes_are_named(fn, mistake, phrase):
    expect("tanh_backward", fn, mistake, phrase)


def relu_mask_from_dout(dout, x):
    return np.where(dout > 0, dout, 0.0)


def relu_mask_inverted(dout, x):
    return np.where(x > 0, 0.0, dout)


def relu_mask_inverted_strict(dout, x):
    dx = dout.copy()
    dx[x >= 0] = 0
    return dx


def relu_local_only(dout, x):
    return np.where(x > 0, 1.0, 0.0)


def relu_value(dout, x):
    return dout * np.clip(x, 0, None)


def relu_kink_passes(dout, x):
    dx = dout.copy()
    dx[x < 0] = 0.0
    return dx


@pytest.mark.parametrize("fn, mistake, phrase", [
    (relu_mask_from_dout, "ReLU mask taken from dout instead of the input", "depends on the ReLU's INPUT"),
    (relu_mask_inverted, "mask inverted", "input was POSITIVE"),
    (relu_mask_inverted_strict, "mask inverted", "dx = dout * (x > 0)"),
    (relu_local_only, "upstream gradient ignored", "0 or 1"),
    (relu_value, "ReLU's value used instead of its slope", "slope"),
    (relu_kink_passes, "gradient passed at the kink", "not x >= 0"),
])
def test_relu_backward_mistakes_are_named(fn, mistake, phrase):
    expect("relu_backward", fn, mistake, phrase)


def test_activation_backwards_written_differently_pass():
    assert verdict("sigmoid_backward", lambda dout, out: dout * (out - out * out)).passed
    assert verdict("tanh_backward", lambda dout, out: dout - dout * out ** 2).passed

    def relu_backward(dout, x):
        dx = dout.copy()
        dx[x <= 0] = 0.0
        return dx
    assert verdict("relu_backward", relu_backward).passed


# ------------------------------------------------------------------ losses

def mse_no_two(y_hat, y):
    N = y_hat.shape[0]
    return np.sum((y_hat - y) ** 2) / N, (y_hat - y) / N


def mse_wrong_axis(y_hat, y):
    per_example = np.mean((y_hat - y) ** 2, axis=1)     # averages the C outputs
    C = y_hat.shape[1]
    return per_example.sum(), 2 * (y_hat - y) / C


def mse_every_element(y_hat, y):
    return np.mean((y_hat - y) ** 2), 2 * (y_hat - y) / y_hat.size


def mse_grad_not_over_N(y_hat, y):
    N = len(y_hat)
    return ((y_hat - y) ** 2).sum() / N, 2 * (y_hat - y)


def mse_summed(y_hat, y):
    d = y_hat - y
    return (d * d).sum(), 2 * d


def mse_sign(y_hat, y):
    N = len(y)
    return ((y - y_hat) ** 2).sum() / N, 2 * (y - y_hat) / N


@pytest.mark.parametrize("fn, mistake, phrase", [
    (mse_no_two, "MSE missing the factor 2", "factor 2"),
    (mse_wrong_axis, "MSE averaged over the wrong axis", "averaged over the C outputs"),
    (mse_every_element, "MSE averaged over every element", "divides by N*C"),
    (mse_grad_not_over_N, "MSE gradient not divided by N", "lacks the 1/N"),
    (mse_summed, "MSE summed instead of averaged", "factor 1/N"),
    (mse_sign, "MSE gradient sign flipped", "wrong sign"),
])
def test_mse_mistakes_are_named(fn, mistake, phrase):
    expect("mse_loss", fn, mistake, phrase)


def test_mse_written_with_a_loop_passes():
    def mse_loss(y_hat, y):
        N = y_hat.shape[0]
        loss = 0.0
        for n in range(N):
            loss += np.dot(y_hat[n] - y[n], y_hat[n] - y[n])
        return loss / N, (2.0 / N) * (y_hat - y)
    assert verdict("mse_loss", mse_loss).passed


def one_hot(y, C):
    out = np.zeros((len(y), C))
    out[np.arange(len(y)), y] = 1.0
    return out


def learner_softmax(scores):
    e = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def ce_not_over_N(scores, y):
    p = learner_softmax(scores)
    N = len(y)
    return -np.sum(np.log(p[range(N), y])) / N, p - one_hot(y, scores.shape[1])


def ce_sign(scores, y):
    p = learner_softmax(scores)
    N = len(y)
    return -np.mean(np.log(p[range(N), y])), (one_hot(y, scores.shape[1]) - p) / N


def ce_summed(scores, y):
    p = learner_softmax(scores)
    T = one_hot(y, scores.shape[1])
    return -np.sum(np.log(p[np.arange(len(y)), y])), p - T


def ce_zero_times_log_zero(scores, y):
    p = learner_softmax(scores)
    T = one_hot(y, scores.shape[1])
    return np.mean(-np.sum(T * np.log(p), axis=1)), (p - T) / len(y)


def ce_no_max(scores, y):
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    N = len(y)
    d = p.copy()
    d[np.arange(N), y] -= 1
    return -np.mean(np.log(p[np.arange(N), y])), d / N


def ce_labels_as_one_hot(scores, y):
    p = learner_softmax(scores)
    N = scores.shape[0]
    return -np.mean(np.log(p[np.arange(N), y])), (p - y) / N


def ce_in_place(scores, y):
    N = scores.shape[0]
    scores -= np.max(scores, axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).sum() / N
    p[np.arange(N), y] -= 1
    return loss, p / N


@pytest.mark.parametrize("fn, mistake, phrase", [
    (ce_in_place, "changed scores in place", "instead of scores -="),
    (ce_not_over_N, "cross-entropy gradient not divided by N", "carries the 1/N too"),
    (ce_sign, "cross-entropy gradient sign flipped", "wrong sign"),
    (ce_summed, "cross-entropy summed instead of averaged", "factor 1/N"),
    (ce_zero_times_log_zero, "0 * log(0) in the loss", "which gives nan"),
    (ce_no_max, "softmax without subtracting the max", "Subtract each row's maximum"),
    (ce_labels_as_one_hot, "labels used as one-hot without conversion", "not one-hot rows"),
])
def test_softmax_cross_entropy_mistakes_are_named(fn, mistake, phrase):
    expect("softmax_cross_entropy", fn, mistake, phrase)


def test_softmax_cross_entropy_with_log_sum_exp_and_one_hot_passes():
    def softmax_cross_entropy(scores, y):
        N, C = scores.shape
        m = scores.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))
        loss = np.mean(lse - scores[np.arange(N), y])
        p = np.exp(scores - lse[:, None])
        return loss, (p - one_hot(y, C)) / N
    assert verdict("softmax_cross_entropy", softmax_cross_entropy).passed


# ------------------------------------------------------------------ the public checks

def _own_softmax_cross_entropy(scores, y):
    N = len(y)
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(scores.shape[1])[y]
    return float(-np.log(p[np.arange(N), y]).mean()), (p - onehot) / N


_OWN_ANSWERS = {   # learners' answers, written without the course's
    "linear_backward": lambda dout, X, W: (dout @ W.T, X.T @ dout, dout.sum(axis=0)),
    "sigmoid_backward": lambda dout, out: dout * (out - out ** 2),
    "tanh_backward": lambda dout, out: dout - dout * out * out,
    "relu_backward": lambda dout, x: np.where(x > 0, dout, 0.0),
    "mse_loss": lambda y_hat, y: (float(((y_hat - y) ** 2).sum() / len(y)), 2 * (y_hat - y) / len(y)),
    "softmax_cross_entropy": _own_softmax_cross_entropy,
}


@pytest.mark.parametrize("check, exercise", [
    (check_linear_backward, "linear_backward"), (check_sigmoid_backward, "sigmoid_backward"),
    (check_tanh_backward, "tanh_backward"), (check_relu_backward, "relu_backward"),
    (check_mse_loss, "mse_loss"), (check_softmax_cross_entropy, "softmax_cross_entropy"),
])
def test_public_check_prints_and_hands_back(check, exercise, capsys):
    ref = EXERCISES[exercise].reference
    mine = _OWN_ANSWERS[exercise]
    assert check(mine) is mine
    assert capsys.readouterr().out.startswith(f"✔ {exercise}: correct on all")
    # a function that only calls the course's answer is not the learner's work
    assert check(lambda *args: ref(*args)) is ref
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {exercise}: write it yourself") and "the course's own answer" in out
    # the name still holding the reference handed back earlier: said so, not "correct"
    assert check(ref) is ref
    out = capsys.readouterr().out
    assert "still the reference implementation" in out and f"`def {exercise}` again" in out

    def unfinished(*args):
        raise NotImplementedError()
    assert check(unfinished) is ref
    out = capsys.readouterr().out
    assert "not done yet" in out and f"Carrying on with the reference {exercise}" in out


def test_every_case_set_makes_the_mistakes_visible():
    shapes = [c.args[1].shape + (c.args[2].shape[1],) for c in EXERCISES["linear_backward"].cases()]
    assert any(D == H for _, D, H in shapes), "a square W is needed for the transposition mistakes"
    assert all(N != H for N, _, H in shapes[:1]) and any(N == 1 for N, _, _ in shapes)
    relu_inputs = [c.args[1] for c in EXERCISES["relu_backward"].cases()]
    assert any((x == 0).any() for x in relu_inputs), "exact zeros are needed at the kink"
    ce_cases = EXERCISES["softmax_cross_entropy"].cases()
    assert any(s.shape[1] == 1 for s, _ in (c.args for c in ce_cases))
    assert any(np.abs(s).max() >= 1000 for s, _ in (c.args for c in ce_cases))


# ------------------------------------------------------------------ references = the library

@given(linear_shapes(), seeds)
def test_linear_reference_matches_the_library(shape, seed):
    N, D, H = shape
    X, W, b = normal(seed, (N, D)), normal(seed + 1, (D, H)), normal(seed + 2, (H,))
    dout = normal(seed + 3, (N, H))
    _, cache = layers.linear_forward(X, W, b)
    for mine, lib in zip(EXERCISES["linear_backward"].reference(dout, X, W),
                         layers.linear_backward(dout, cache)):
        np.testing.assert_allclose(mine, lib, rtol=1e-12, atol=1e-12)


@given(activation_shapes(), seeds, st.sampled_from(["sigmoid", "tanh", "relu"]))
def test_activation_references_match_the_library(shape, seed, name):
    x, dout = normal(seed, shape, scale=3.0), normal(seed + 1, shape)
    out, cache = getattr(layers, f"{name}_forward")(x)
    lib = getattr(layers, f"{name}_backward")(dout, cache)
    mine = EXERCISES[f"{name}_backward"].reference(dout, x if name == "relu" else out)
    np.testing.assert_allclose(mine, lib, rtol=1e-12, atol=1e-15)


@given(st.integers(1, 6), st.integers(1, 5), seeds)
def test_loss_references_match_the_library(N, C, seed):
    scores, targets = normal(seed, (N, C), scale=5.0), normal(seed + 1, (N, C))
    labels = np.random.default_rng(seed).integers(0, C, N)
    for name, args in (("mse_loss", (scores, targets)), ("softmax_cross_entropy", (scores, labels))):
        mine, lib = EXERCISES[name].reference(*args), getattr(losses, name)(*args)
        assert mine[0] == pytest.approx(lib[0], rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(mine[1], lib[1], rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Written the way a learner might (a mistake in one output only, np.dot for @, x.sum(0) for
# np.sum(x, axis=0), loops), not as the catalogue's own implementation; each must get the named mistake
# on the notebook's cases and on the grader's hidden ones.

def _right(dout, X, W):
    return np.dot(dout, W.T), np.dot(X.T, dout), dout.sum(0)


def _replace(index, make):
    def fn(dout, X, W):
        grads = list(_right(dout, X, W))
        grads[index] = make(dout, X, W)
        return tuple(grads)
    return fn


def _probs(s):
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def _ce(s, y):
    N = len(y)
    return float(-np.log(_probs(s)[np.arange(N), y]).mean()) if np.all(np.abs(s) < 300) else \
        float(np.mean(np.log(np.exp(s - s.max(1, keepdims=True)).sum(1)) + s.max(1) - s[np.arange(N), y]))


def _sce_with(dscores=None, loss=None):
    def fn(scores, y):
        N = scores.shape[0]
        p = _probs(scores)
        d = p.copy()
        d[np.arange(N), y] -= 1
        value = _ce(scores, y) if loss is None else loss(scores, y)
        return value, (d / N if dscores is None else dscores(scores, y, p))
    return fn


def _onehot(y, C):
    return np.eye(C)[y]


def sce_onehot_shifted(s, y, p):
    return (p - _onehot((y + 1) % s.shape[1], s.shape[1])) / len(y)


def sce_columns(s, y, p):
    d = p.copy()
    d[:, y] -= 1
    return d / len(y)


def _lsm(s):
    m = s.max(axis=1, keepdims=True)
    return s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))


def tanh_backward_loop(dout, out):
    dx = np.empty_like(dout)
    for idx in np.ndindex(dout.shape):
        dx[idx] = dout[idx] * (1 - out[idx] ** 2)
    return dx


def mse_no_mean(y_hat, y):
    diff = y_hat - y
    return np.mean(diff ** 2), 2 * diff / y_hat.size


NAMED = [
    ("linear_backward", _replace(0, lambda dout, X, W: np.dot(dout, W)), "dX without W transposed"),
    ("linear_backward", _replace(0, lambda dout, X, W: np.dot(W, dout.T)), "dX transposed"),
    ("linear_backward", _replace(0, lambda dout, X, W: dout @ W.T / len(X)), "dX divided by N"),
    ("linear_backward", _replace(0, lambda dout, X, W: -dout @ W.T), "dX sign flipped"),
    ("linear_backward", _replace(1, lambda dout, X, W: np.dot(dout.T, X)), "dW transposed"),
    ("linear_backward", _replace(1, lambda dout, X, W: X.T @ dout / X.shape[0]), "dW divided by N"),
    ("linear_backward", _replace(1, lambda dout, X, W: -(X.T @ dout)), "dW sign flipped"),
    ("linear_backward", _replace(2, lambda dout, X, W: dout.copy()), "db not summed over the batch"),
    ("linear_backward", _replace(2, lambda dout, X, W: np.mean(dout, axis=0)), "db averaged instead of summed"),
    ("linear_backward", _replace(2, lambda dout, X, W: dout.sum(0)[None, :]), "db kept as a row"),
    ("linear_backward", _replace(2, lambda dout, X, W: dout.sum(0).reshape(-1, 1)), "db has the wrong shape"),
    ("linear_backward", _replace(2, lambda dout, X, W: dout.sum(1)), "db summed over the wrong axis"),
    ("linear_backward", _replace(2, lambda dout, X, W: np.sum(dout)), "db summed over every entry"),
    ("linear_backward", _replace(2, lambda dout, X, W: -dout.sum(0)), "db sign flipped"),
    ("linear_backward", _replace(1, lambda dout, X, W: np.zeros_like(W)), "all zeros"),
    ("linear_backward", lambda dout, X, W: (lambda g: (g[2], g[0], g[1]))(_right(dout, X, W)),
     "outputs in the wrong order"),
    ("sigmoid_backward", lambda dout, out: out - out ** 2, "upstream gradient ignored"),
    ("sigmoid_backward", lambda dout, out: dout + out * (1 - out), "upstream gradient added instead of multiplied"),
    ("sigmoid_backward", lambda dout, out: dout * out * (out - 1), "sign flipped"),
    ("sigmoid_backward", lambda dout, out: dout * np.exp(-out) / (1 + np.exp(-out)) ** 2,
     "sigmoid derivative computed from the input instead of the output"),
    ("sigmoid_backward", lambda dout, out: dout * (1 - out * out), "tanh's derivative used"),
    ("sigmoid_backward", lambda dout, out: dout * (1 - out), "half of out * (1 - out) missing"),
    ("tanh_backward", lambda dout, out: dout * (1 - out) * (1 - out), "(1 - out)**2 instead of 1 - out**2"),
    ("tanh_backward", lambda dout, out: dout * (1 - np.tanh(out) * np.tanh(out)), "tanh applied to the output again"),
    ("tanh_backward", lambda dout, out: dout * (1 - out * 2), "out*2 instead of out**2"),
    ("tanh_backward", lambda dout, out: dout * 1 - out ** 2, "missing parentheses: dout * 1 - out**2"),
    ("tanh_backward", lambda dout, out: dout * (out - out ** 2), "sigmoid's derivative used"),
    ("tanh_backward", lambda dout, out: 1.0 - np.square(out), "upstream gradient ignored"),
    ("tanh_backward", lambda dout, out: dout * (out ** 2 - 1), "sign flipped"),
    ("tanh_backward", lambda dout, out: dout + 1 - out ** 2, "upstream gradient added instead of multiplied"),
    ("tanh_backward", lambda dout, out: dout * (1 - out ^ 2), "^ instead of **"),
    ("relu_backward", lambda dout, x: np.where(dout > 0, dout, 0), "ReLU mask taken from dout instead of the input"),
    ("relu_backward", lambda dout, x: np.where(x > 0, 0, dout), "mask inverted"),
    ("relu_backward", lambda dout, x: dout * x * (x > 0), "ReLU's value used instead of its slope"),
    ("relu_backward", lambda dout, x: np.where(x >= 0, dout, 0.0), "gradient passed at the kink"),
    ("relu_backward", lambda dout, x: dout * np.sign(x), "sign(x) instead of the 0/1 mask"),
    ("relu_backward", lambda dout, x: np.where(x > 0, 1.0, 0.0), "upstream gradient ignored"),
    ("relu_backward", lambda dout, x: dout + (x > 0), "upstream gradient added instead of multiplied"),
    ("relu_backward", lambda dout, x: np.where(x > 0, -dout, 0.0), "sign flipped"),
    ("mse_loss", mse_no_mean, "MSE averaged over every element"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / y_hat.shape[1], 2 * (y_hat - y) / len(y)),
     "MSE averaged over the wrong axis"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2), 2 * (y_hat - y) / len(y)), "MSE summed instead of averaged"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y) ** 2, 2 * (y_hat - y) / len(y)),
     "MSE divided by N twice"),
    ("mse_loss", lambda y_hat, y: (0.5 * np.sum((y_hat - y) ** 2) / len(y), 2 * (y_hat - y) / len(y)),
     "MSE with a factor 1/2"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2, axis=1) / len(y), 2 * (y_hat - y) / len(y)),
     "loss not reduced to one number"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), (y_hat - y) / len(y)), "MSE missing the factor 2"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), 2 * (y_hat - y)), "MSE gradient not divided by N"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), y_hat - y), "MSE gradient missing 2/N"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), 2 * (y_hat - y) / len(y) ** 2),
     "MSE gradient divided by N twice"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), 2 * (y - y_hat) / len(y)), "MSE gradient sign flipped"),
    ("softmax_cross_entropy", _sce_with(dscores=sce_onehot_shifted), "labels shifted by one"),
    ("softmax_cross_entropy", _sce_with(dscores=sce_columns), "p[:, y] instead of p[np.arange(N), y]"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: p - _onehot(y, s.shape[1])),
     "cross-entropy gradient not divided by N"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (p - _onehot(y, s.shape[1])) / len(y) ** 2),
     "dscores divided by N twice"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (_onehot(y, s.shape[1]) - p) / len(y)),
     "cross-entropy gradient sign flipped"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: p / len(y)), "one-hot not subtracted"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (p - 1) / len(y)), "1 subtracted from every entry"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (p - y.reshape(-1, 1)) / len(y)),
     "labels used as one-hot without conversion"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (np.exp(s - s.max(1, keepdims=True))
                                                                  / np.exp(s - s.max(1, keepdims=True)).sum(1)
                                                                  - _onehot(y, s.shape[1])) / len(y)),
     "keepdims forgotten"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (np.exp(s - s.max(0)) / np.exp(s - s.max(0)).sum(0)
                                                                  - _onehot(y, s.shape[1])) / len(y)),
     "softmax over the wrong axis"),
    ("softmax_cross_entropy", _sce_with(dscores=lambda s, y, p: (np.exp(s) / np.exp(s).sum(1, keepdims=True)
                                                                  - _onehot(y, s.shape[1])) / len(y)),
     "softmax without subtracting the max"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(np.mean(-np.log(np.exp(s[np.arange(len(y)), y])
                                                                                 / np.exp(s).sum(1))))),
     "softmax without subtracting the max (overflow on large logits)"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(np.mean(_lsm(s)[np.arange(len(y)), y]))),
     "cross-entropy minus sign missing"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.sum(_lsm(s)[np.arange(len(y)), y]))),
     "cross-entropy summed, not averaged"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(_lsm(s)[np.arange(len(y)), y])) / len(y)),
     "cross-entropy divided by N twice"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(np.eye(s.shape[1])[y] * _lsm(s)))),
     "cross-entropy averaged over every entry"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(_lsm(s)[np.arange(len(y)), y])) / np.log(10)),
     "log base 2 or 10 instead of the natural log"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(_lsm(s)[np.arange(len(y)), y - 1]))),
     "labels shifted by one"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.sum(y[:, None] * _lsm(s)) / len(y))),
     "labels used as one-hot without conversion"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-((s - s.max(1)) - np.log(np.exp(s - s.max(1)).sum(1)))[np.arange(len(y)), y].mean())),
     "keepdims forgotten"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.sum(_lsm(s)) / len(y))),
     "log of every class instead of the true class"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-_lsm(s)[:, y].sum() / len(y))),
     "p[:, y] instead of p[np.arange(N), y]"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(np.exp(_lsm(s))[np.arange(len(y)), y]))),
     "log missing"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: float(-np.mean(_lsm(s.T).T[np.arange(len(y)), y]))),
     "softmax over the wrong axis"),
    ("softmax_cross_entropy", _sce_with(loss=lambda s, y: -_lsm(s)[np.arange(len(y)), y]),
     "loss not reduced to one number"),
]


@pytest.mark.parametrize("exercise, fn, mistake", NAMED, ids=[f"{e}: {m}" for e, _, m in NAMED])
@pytest.mark.parametrize("seed", [None, 4, 2026])
def test_a_mistake_written_another_way_is_named_by_its_effect(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.status == "wrong" and result.mistake == mistake, result.message


def test_every_effect_of_the_lesson_is_tested():
    tested = {m for _, _, m in NAMED} | {"a name without a value", "more than the result returned", "max not added back in log-sum-exp", "dW without X transposed", "dX: the product in the wrong order",
                                         "dW: the product in the wrong order", "1 + out**2 instead of 1 - out**2",
                                         "out * (1 + out) instead of out * (1 - out)", "dy_hat reduced to one number",
                                         "dscores reduced to one number", "an output missing", "changed an input in place", "single-number function on an array",
                                         "if or max() on a whole array", "nothing returned",
                                         "math.exp overflows"}
    effects = {e.name for ex in EXERCISES.values() for e in ex.effects}
    assert effects - tested == set()


def test_two_wrong_outputs_are_both_named():
    result = verdict("linear_backward", lambda dout, X, W: (dout @ W.T, np.dot(dout.T, X), dout.mean(0)))
    assert result.mistake == "dW transposed"
    assert "averaged over the batch" in result.message


CORRECT = [
    ("linear_backward", _right),
    ("linear_backward", lambda dout, X, W: ((W @ dout.T).T, np.einsum("nd,nh->dh", X, dout), np.sum(dout, axis=0))),
    ("sigmoid_backward", lambda dout, out: dout * (out - out * out)),
    ("tanh_backward", lambda dout, out: dout - dout * out ** 2),
    ("relu_backward", lambda dout, x: np.where(x > 0, dout, 0.0)),
    ("mse_loss", lambda y_hat, y: (float(np.sum(np.square(y_hat - y)) / len(y)), (y_hat - y) * (2 / len(y)))),
    ("softmax_cross_entropy", _sce_with()),
]


@pytest.mark.parametrize("exercise, fn", CORRECT)
@pytest.mark.parametrize("seed", [None, 9])
def test_harmless_rewrites_pass(exercise, fn, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.passed and "loop" not in result.message, result.message


def linear_backward_loops(dout, X, W):
    N, D = X.shape
    H = W.shape[1]
    dX, dW, db = np.zeros((N, D)), np.zeros((D, H)), np.zeros(H)
    for n in range(N):
        dX[n] = W @ dout[n]
        dW += np.outer(X[n], dout[n])
        db += dout[n]
    return dX, dW, db


@pytest.mark.parametrize("exercise, fn", [("linear_backward", linear_backward_loops),
                                          ("tanh_backward", tanh_backward_loop)])
def test_a_right_answer_with_loops_passes_with_a_note(exercise, fn):
    result = EXERCISES[exercise].run(fn)
    assert result.passed and "loop-free" in result.message


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("tanh_backward", lambda dout, out: dout * (1 + out * out), "1 + out**2 instead of 1 - out**2"),
    ("sigmoid_backward", lambda dout, out: dout * out * (out + 1), "out * (1 + out) instead of out * (1 - out)"),
    ("mse_loss", lambda y_hat, y: (np.sum((y_hat - y) ** 2) / len(y), np.mean(2 * (y_hat - y))),
     "dy_hat reduced to one number"),
    ("softmax_cross_entropy", lambda s, y: (_ce(s, y), 0.0), "dscores reduced to one number"),
    ("linear_backward", lambda dout, X, W: (dout @ W.T, X.T @ dout), "an output missing"),
])
def test_more_slips_are_named(exercise, fn, mistake):
    result = EXERCISES[exercise].run(fn)
    assert result.mistake == mistake, result.message


def test_the_max_left_out_of_log_sum_exp_is_named_in_the_loss():
    def sce(s, y):
        N = len(y)
        m = s.max(axis=1, keepdims=True)
        loss = np.mean(np.log(np.exp(s - m).sum(axis=1)) - s[np.arange(N), y])
        d = np.exp(s - m) / np.exp(s - m).sum(axis=1, keepdims=True)
        d[np.arange(N), y] -= 1
        return loss, d / N
    result = verdict("softmax_cross_entropy", sce)
    assert result.mistake == "max not added back in log-sum-exp", result.message
