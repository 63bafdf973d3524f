"""Lesson 01's checks, fed the code a learner would write.

Each wrong implementation below makes one catalogued mistake but is written differently from the
catalogue's own implementation (np.dot for @, a loop for a sum, an in-place mask ...): the check must
still name the mistake. Each correct one is written differently from the reference and must pass.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_helpers.checks import (check_linear_forward, check_neuron, check_relu, check_sigmoid,
                                     check_tanh, check_two_layer_forward)
from backprop_helpers.checks.lesson01_forward_pass import EXERCISES


def verdict(exercise, fn):
    return EXERCISES[exercise].run(fn)


# ------------------------------------------------------------------ neuron

def neuron_without_bias(x, w, b):
    z = np.sum(w * x)
    return 1 / (1 + np.exp(-z))


def neuron_bias_after_sigmoid(x, w, b):
    z = x @ w
    a = 1 / (1 + np.exp(-z))
    return a + b


def neuron_without_activation(x, w, b):
    return x.dot(w) + b


def neuron_sign_flipped(x, w, b):
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    return 1 / (1 + np.exp(z))


def neuron_precedence(x, w, b):
    z = w @ x + b
    return 1 / 1 + np.exp(-z)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (neuron_without_bias, "bias forgotten", "the bias b is missing"),
    (neuron_bias_after_sigmoid, "bias after activation", "it belongs inside"),
    (neuron_without_activation, "no activation", "the activation is missing"),
    (neuron_sign_flipped, "sigmoid sign", "minus sign in the exponent"),
    (neuron_precedence, "sigmoid parentheses", "operator precedence"),
])
def test_neuron_mistakes_are_named(fn, mistake, phrase):
    result = verdict("neuron", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message and result.message.startswith("✘ neuron:")


def neuron_with_a_loop(x, w, b):
    z = b
    for i in range(len(x)):
        z += w[i] * x[i]
    return 1 / (1 + math.exp(-z))


def neuron_via_tanh(x, w, b):
    return 0.5 * (1 + np.tanh((np.dot(x, w) + b) / 2))


@pytest.mark.parametrize("fn", [neuron_with_a_loop, neuron_via_tanh])
def test_neuron_written_differently_passes(fn):
    assert verdict("neuron", fn).passed


def test_neuron_without_the_sum_is_told_to_sum():
    result = verdict("neuron", lambda x, w, b: 1 / (1 + np.exp(-(w * x + b))))
    assert "should be a single number" in result.message


# ------------------------------------------------------------------ linear layer

@pytest.mark.parametrize("fn, mistake, phrase", [
    (lambda X, W, b: np.dot(X, W), "bias forgotten", "the bias b is missing"),
    (lambda X, W, b: np.dot(X, W.T) + b, "W transposed", "used transposed"),
    (lambda X, W, b: np.matmul(W, X) + b, "order swapped", "W @ X instead of X @ W"),
    (lambda X, W, b: np.multiply(X, W) + b, "elementwise product", "multiplies elementwise"),
    (lambda X, W, b: W.T @ X.T + b.reshape(-1, 1), "output transposed", "one row per example"),
])
def test_linear_mistakes_are_named(fn, mistake, phrase):
    result = verdict("linear_forward", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


def linear_with_loops(X, W, b):
    N, D = X.shape
    out = np.zeros((N, W.shape[1]))
    for n in range(N):
        for d in range(D):
            out[n] += X[n, d] * W[d]
    return out + b


@pytest.mark.parametrize("fn", [linear_with_loops,
                                lambda X, W, b: np.einsum("nd,dh->nh", X, W) + b[None, :],
                                lambda X, W, b: (W.T @ X.T).T + b])
def test_linear_written_differently_passes(fn):
    assert verdict("linear_forward", fn).passed


def test_a_shape_error_names_the_shapes_in_the_lessons_words():
    result = verdict("linear_forward", lambda X, W, b: X @ W.T.T.T + b)
    assert result.status == "wrong" and result.mistake == "W transposed"
    result = verdict("linear_forward", lambda X, W, b: X @ W @ W + b)
    assert result.status == "error"
    assert "the shapes do not fit together (X.shape=(4, 3), W.shape=(3, 2), b.shape=(2,))" in result.message


def test_a_bias_of_the_wrong_shape_is_not_blamed_on_the_matrix_product():
    for fn in (lambda X, W, b: X @ W + b[:, None], lambda X, W, b: b.reshape(-1, 1) + np.dot(X, W)):
        result = verdict("linear_forward", fn)
        assert result.mistake == "bias of the wrong shape", result.message
        assert "matrix product itself is fine" in result.message


def test_an_error_that_is_not_about_shapes_is_shown_as_it_is():
    def fn(X, W, b):
        raise ValueError("my own message")
    result = verdict("linear_forward", fn)
    assert result.status == "error" and "ValueError: my own message" in result.message


# ------------------------------------------------------------------ sigmoid

def sigmoid_exp_of_x(x):
    e = np.exp(x)
    return e / (e + 1)


def sigmoid_derivative(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (lambda x: np.reciprocal(1.0 + np.exp(+x)), "sigmoid sign", "minus sign in the exponent"),
    (lambda x: 1 / 1 + np.exp(-x), "sigmoid parentheses", "operator precedence"),
    (sigmoid_exp_of_x, "exp over one plus exp", "inf / inf is nan"),
    (lambda x: 1 / (1 + math.exp(-x)), "python math", "use np.exp"),
    (sigmoid_derivative, "derivative instead of the function", "the sigmoid's derivative"),
])
def test_sigmoid_mistakes_are_named(fn, mistake, phrase):
    result = verdict("sigmoid", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [lambda x: np.exp(-np.logaddexp(0, -x)),
                                lambda x: 0.5 * (1 + np.tanh(x / 2)),
                                lambda x: 1 / (1 + np.exp(-x))])
def test_sigmoid_written_differently_passes(fn):
    assert verdict("sigmoid", fn).passed


def test_sigmoid_that_overwrites_its_input_is_caught():
    def fn(x):
        np.negative(x, out=x)
        np.exp(x, out=x)
        return 1 / (1 + x)
    result = verdict("sigmoid", fn)
    assert not result.passed and "sigmoid changed its input x in place" in result.message


# ------------------------------------------------------------------ relu

def relu_with_if(x):
    if x > 0:
        return x
    return 0


def relu_in_place(x):
    x[x < 0] = 0
    return x


@pytest.mark.parametrize("fn, mistake, phrase", [
    (lambda x: np.max(x, axis=0), "np.max instead of np.maximum", "a reduction"),
    (lambda x: np.amax(x, 0), "np.max instead of np.maximum", "np.maximum(x, 0) compares elementwise"),
    (lambda x: max(0, x), "python max", "one number at a time"),
    (relu_with_if, "python max", "one number at a time"),
    (lambda x: x * (x < 0), "mask inverted", "not the other way round"),
    (lambda x: np.where(x > 0, 1.0, 0.0), "indicator instead of value", "the ReLU's derivative"),
    (relu_in_place, "changed the input in place", "changed the array it was given"),
])
def test_relu_mistakes_are_named(fn, mistake, phrase):
    result = verdict("relu", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [lambda x: x * (x > 0), lambda x: np.where(x > 0, x, 0),
                                lambda x: np.clip(x, 0, None), lambda x: (x + np.abs(x)) / 2])
def test_relu_written_differently_passes(fn):
    assert verdict("relu", fn).passed


# ------------------------------------------------------------------ tanh

def tanh_by_formula(x):
    ep, en = np.exp(x), np.exp(-x)
    return (ep - en) / (ep + en)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (lambda x: 1 / (1 + np.exp(-x)), "sigmoid instead of tanh", "ranges over -1..1"),
    (tanh_by_formula, "formula overflows", "one exp overflows"),
    (lambda x: np.sinh(x) / np.cosh(x), "formula overflows", "(or np.tanh), which never overflows"),
    (lambda x: 1 - np.tanh(x) * np.tanh(x), "derivative instead of the function", "tanh's derivative"),
])
def test_tanh_mistakes_are_named(fn, mistake, phrase):
    result = verdict("tanh", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [lambda x: 2 / (1 + np.exp(-2 * x)) - 1,
                                lambda x: 2 * np.exp(-np.logaddexp(0, -2 * x)) - 1])
def test_tanh_written_differently_passes(fn):
    assert verdict("tanh", fn).passed


# ------------------------------------------------------------------ two layers

def two_layer_relu_on_scores(X, params):
    h = np.maximum(0, X @ params["W1"] + params["b1"])
    scores = h @ params["W2"] + params["b2"]
    return np.maximum(0, scores)


def two_layer_linear(X, params):
    h = X.dot(params["W1"]) + params["b1"]
    return h.dot(params["W2"]) + params["b2"]


def two_layer_no_biases(X, params):
    W1, W2 = params["W1"], params["W2"]
    h = np.dot(X, W1)
    h = h * (h > 0)
    return np.dot(h, W2)


def two_layer_sigmoid(X, params):
    h = 1 / (1 + np.exp(-(X @ params["W1"] + params["b1"])))
    return h @ params["W2"] + params["b2"]


def two_layer_transposed(X, params):
    h = np.maximum(np.dot(X, params["W1"].T) + params["b1"], 0)
    return np.dot(h, params["W2"].T) + params["b2"]


@pytest.mark.parametrize("fn, mistake, phrase", [
    (two_layer_relu_on_scores, "activation on the output", "no activation: they may be negative"),
    (two_layer_linear, "no hidden activation", "collapse into one linear function"),
    (two_layer_no_biases, "biases forgotten", "b1 and b2 are missing"),
    (two_layer_sigmoid, "sigmoid as the hidden activation", "the sigmoid was used instead"),
    (two_layer_transposed, "weights transposed", "W1 has shape (D, H)"),
])
def test_two_layer_mistakes_are_named(fn, mistake, phrase):
    result = verdict("two_layer_forward", fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


def two_layer_one_example_at_a_time(X, params):
    rows = []
    for x in X:
        h = np.maximum(x @ params["W1"] + params["b1"], 0)
        rows.append(h @ params["W2"] + params["b2"])
    return np.array(rows)


def two_layer_with_a_helper(X, params):
    def layer(inp, l):
        return inp @ params[f"W{l}"] + params[f"b{l}"]
    return layer(np.clip(layer(X, 1), 0, None), 2)


@pytest.mark.parametrize("fn", [two_layer_one_example_at_a_time, two_layer_with_a_helper])
def test_two_layer_written_differently_passes(fn):
    assert verdict("two_layer_forward", fn).passed


# ------------------------------------------------------------------ what the lesson sees

def test_check_prints_the_verdict_and_returns_the_function_to_use(capsys):
    mine = lambda x: x * (x > 0)  # noqa: E731
    assert check_relu(mine) is mine
    assert capsys.readouterr().out.startswith("✔ relu: correct on all 4 cases")
    wrong = check_sigmoid(lambda x: 1 / (1 + np.exp(x)))
    out = capsys.readouterr().out
    assert "minus sign" in out and "Carrying on with the reference sigmoid" in out
    assert wrong.__name__ == "sigmoid"
    assert np.allclose(wrong(np.array([0.0, 800.0])), [0.5, 1.0])


@pytest.mark.parametrize("check, name", [(check_neuron, "neuron"), (check_linear_forward, "linear_forward"),
                                         (check_relu, "relu"), (check_tanh, "tanh"),
                                         (check_two_layer_forward, "two_layer_forward")])
def test_reference_handed_back_carries_the_exercise_name(check, name, capsys):
    def unfinished(*args):
        raise NotImplementedError()
    assert check(unfinished).__name__ == name
    assert "not done yet" in capsys.readouterr().out


def test_a_name_error_gets_a_hint_about_the_return_line():
    def neuron(x, w, b):
        out = 1 / (1 + np.exp(-(w @ x + b)))  # noqa: F841  (the lesson's return line returns a)
        return a  # noqa: F821
    result = verdict("neuron", neuron)
    assert result.status == "wrong" and result.mistake == "a name without a value"
    assert "name 'a' is not defined" in result.message and "your code has to set it" in result.message


@pytest.mark.parametrize("fn, mistake", [
    (lambda X, p: np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"], "output bias forgotten"),
    (lambda X, p: np.dot(np.clip(np.dot(X, p["W1"]), 0, None), p["W2"]) + p["b2"], "hidden bias forgotten"),
])
def test_one_forgotten_bias_is_named(fn, mistake):
    assert verdict("two_layer_forward", fn).mistake == mistake


def test_checking_the_handed_back_reference_asks_to_rerun_the_exercise_cell(capsys):
    def relu(x):
        raise NotImplementedError()
    relu = check_relu(relu)
    capsys.readouterr()
    assert check_relu(relu) is relu           # the learner re-ran only the check cell
    out = capsys.readouterr().out
    assert "still the reference implementation" in out and "Run the cell with `def relu` again" in out
    assert "✔" not in out


def test_numpys_own_tanh_passes_as_a_learners_answer(capsys):
    assert check_tanh(np.tanh) is np.tanh
    assert capsys.readouterr().out.startswith("✔ tanh")


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Each wrong answer below is written the way a learner might (loops, np.dot, a helper, float(...)), not
# as the catalogue's own implementation; each must get the named mistake, on the notebook's cases and on
# the grader's hidden ones.

def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def neuron_bias_in_every_term(x, w, b):
    z = 0.0
    for xi, wi in zip(x, w):
        z += wi * xi + b
    return _sig(z)


def neuron_sum_forgotten(x, w, b):
    return 1 / (1 + np.exp(-(np.multiply(w, x) + b)))


def neuron_relu(x, w, b):
    return max(float(np.dot(x, w) + b), 0.0)


def linear_bias_column(X, W, b):
    return np.dot(X, W) + b[:, np.newaxis]


def linear_loop_transposed(X, W, b):
    return np.array([x @ W.T for x in X]) + b


def relu_max_with_axis(x):
    return np.max(x, axis=-1)


def relu_max_reversed(x):
    return np.max(0, x)


def relu_in_place_times(x):
    x *= (x > 0)
    return x


def relu_leaky(x):
    return np.where(x > 0, x, 0.01 * x)


def tanh_identity_without_inner_2(x):
    return 2.0 * _sig(x) - 1.0


def tanh_one_minus_forgotten(x):
    return 2 / (1 + np.exp(-2 * x))


def tanh_front_factor_forgotten(x):
    return 1 / (1 + np.exp(-2 * x)) - 1


def tanh_wrong_sign(x):
    return 2 * _sig(-2 * x) - 1


def tanh_with_exp_minus_2x(x):
    e = np.exp(-2 * x)
    return (1 - e) / (1 + e)


def sigmoid_with_math(x):
    return np.vectorize(lambda v: 1 / (1 + math.exp(-v)))(x)


def two_layer_bias_columns(X, params):
    h = np.maximum(0, np.dot(X, params["W1"]) + params["b1"].reshape(-1, 1))
    return np.dot(h, params["W2"]) + params["b2"].reshape(-1, 1)


def two_layer_bias_after_relu(X, params):
    h = np.maximum(X @ params["W1"], 0) + params["b1"]
    return h @ params["W2"] + params["b2"]


def two_layer_softmax_output(X, params):
    s = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def two_layer_tanh(X, params):
    return np.tanh(X.dot(params["W1"]) + params["b1"]).dot(params["W2"]) + params["b2"]


def two_layer_second_transposed(X, params):
    h = np.maximum(X @ params["W1"] + params["b1"], 0)
    return h @ params["W2"].T + params["b2"]


def two_layer_biases_swapped(X, params):
    h = np.maximum(X @ params["W1"] + params["b2"], 0)
    return h @ params["W2"] + params["b1"]


def relu_printed(x):
    print(np.maximum(x, 0))


NAMED = [
    ("neuron", neuron_bias_in_every_term, "bias added to every product"),
    ("neuron", neuron_sum_forgotten, "weighted sum not summed"),
    ("neuron", neuron_relu, "other activation than the sigmoid"),
    ("neuron", lambda x, w, b: float(1 / (1 - np.exp(-(x @ w + b)))), "1 - exp(-z) in the denominator"),
    ("neuron", lambda x, w, b: _sig(float(np.dot(x, w))) + b, "bias after activation"),
    ("linear_forward", linear_bias_column, "bias of the wrong shape"),
    ("linear_forward", linear_loop_transposed, "W transposed"),
    ("linear_forward", lambda X, W, b: np.dot(W, X) + b, "order swapped"),
    ("linear_forward", lambda X, W, b: X * W, "elementwise product"),
    ("linear_forward", lambda X, W, b: np.transpose(np.dot(X, W) + b), "output transposed"),
    ("sigmoid", lambda x: np.exp(x) / (np.exp(x) + 1.0), "exp over one plus exp"),
    ("sigmoid", lambda x: 1 - np.exp(-x) / (1 + np.exp(-x)), "overflow on large inputs"),
    ("sigmoid", lambda x: np.tanh(x), "tanh instead of the sigmoid"),
    ("sigmoid", lambda x: 1.0 / (1.0 - np.exp(-x)), "1 - exp(-x) in the denominator"),
    ("sigmoid", sigmoid_with_math, "math.exp overflows"),
    ("sigmoid", lambda x: 1 / (1 + math.e ** -x) if np.ndim(x) == 0 else 1 / (1 + np.exp(x)), "sigmoid sign"),
    ("relu", relu_max_with_axis, "np.max instead of np.maximum"),
    ("relu", relu_max_reversed, "np.max instead of np.maximum"),
    ("relu", relu_in_place_times, "changed the input in place"),
    ("relu", relu_leaky, "leaky ReLU instead of ReLU"),
    ("relu", lambda x: np.where(x < 0, x, 0.0), "mask inverted"),
    ("relu", lambda x: abs(x), "abs instead of max(x, 0)"),
    ("relu", lambda x: np.heaviside(x, 0.0), "indicator instead of value"),
    ("relu", relu_printed, "nothing returned"),
    ("tanh", tanh_identity_without_inner_2, "the 2 inside the sigmoid missing"),
    ("tanh", tanh_one_minus_forgotten, "the - 1 missing"),
    ("tanh", tanh_front_factor_forgotten, "the factor 2 in front missing"),
    ("tanh", tanh_wrong_sign, "tanh with the wrong sign"),
    ("tanh", tanh_with_exp_minus_2x, "formula overflows"),
    ("tanh", lambda x: 1 - np.exp(-x) ** 2 ^ 1, "^ instead of **"),
    ("two_layer_forward", two_layer_bias_columns, "bias of the wrong shape"),
    ("two_layer_forward", two_layer_bias_after_relu, "hidden bias added after the ReLU"),
    ("two_layer_forward", two_layer_softmax_output, "activation on the output"),
    ("two_layer_forward", two_layer_tanh, "another hidden activation than ReLU"),
    ("two_layer_forward", two_layer_second_transposed, "weights transposed"),
    ("two_layer_forward", two_layer_biases_swapped, "layers in the wrong order"),
    ("two_layer_forward", lambda X, p: np.zeros((X.shape[0], p["W2"].shape[1])), "all zeros"),
    ("two_layer_forward", lambda X, p: X.dot(p["W1"]).dot(p["W2"]) + p["b1"].dot(p["W2"]) + p["b2"],
     "no hidden activation"),
]


@pytest.mark.parametrize("exercise, fn, mistake", NAMED, ids=[f"{e}: {m}" for e, _, m in NAMED])
@pytest.mark.parametrize("seed", [None, 1, 99])
def test_a_mistake_written_another_way_is_named_by_its_effect(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.status == "wrong" and result.mistake == mistake, result.message


def test_every_effect_of_the_lesson_is_tested():
    tested = {m for _, _, m in NAMED} | {"a name without a value", "more than the result returned", "X transposed", "bias with the wrong sign",
                                         "activation in the linear layer", "+ 1 instead of - 1", "changed an input in place", "single-number function on an array",
                                         "if or max() on a whole array", "outputs in the wrong order"}
    effects = {e.name for ex in EXERCISES.values() for e in ex.effects}
    assert effects - tested == set()


CORRECT = [
    ("neuron", lambda x, w, b: float(_sig(x.dot(w) + b))),
    ("linear_forward", lambda X, W, b: np.dot(X, W) + b),
    ("linear_forward", lambda X, W, b: np.matmul(X, W) + b.reshape(1, -1)),
    ("sigmoid", lambda x: 0.5 * (1 + np.tanh(x / 2))),
    ("relu", lambda x: np.clip(x, 0, None)),
    ("relu", lambda x: (x + np.abs(x)) / 2),
    ("tanh", lambda x: np.tanh(x)),
    ("two_layer_forward", lambda X, p: np.maximum(X.dot(p["W1"]) + p["b1"], 0).dot(p["W2"]) + p["b2"]),
]


@pytest.mark.parametrize("exercise, fn", CORRECT)
@pytest.mark.parametrize("seed", [None, 5])
def test_harmless_rewrites_pass_without_a_note(exercise, fn, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.passed, result.message
    assert "loop" not in result.message


def sigmoid_loop(x):
    out = np.empty_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        v = x[idx]
        out[idx] = 1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v))
    return out


def two_layer_loops(X, params):
    rows = []
    for x in X:
        h = [max(sum(x[d] * params["W1"][d, j] for d in range(len(x))) + params["b1"][j], 0.0)
             for j in range(params["W1"].shape[1])]
        rows.append(np.array(h) @ params["W2"] + params["b2"])
    return np.array(rows)


@pytest.mark.parametrize("exercise, fn", [("linear_forward", linear_with_loops), ("sigmoid", sigmoid_loop),
                                          ("two_layer_forward", two_layer_loops)])
def test_a_right_answer_with_loops_passes_with_a_note(exercise, fn):
    result = EXERCISES[exercise].run(fn)
    assert result.passed and result.message.startswith("✔")
    assert "loop-free" in result.message


def test_more_slips_are_named():
    assert EXERCISES["tanh"].run(lambda x: 2 * _sig(2 * x) + 1).mistake == "+ 1 instead of - 1"
    result = EXERCISES["linear_forward"].run(lambda X, W, b: (X @ W).T + b)
    assert result.mistake == "output transposed", result.message


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("linear_forward", lambda X, W, b: X.T @ W + b, "X transposed"),
    ("linear_forward", lambda X, W, b: np.maximum(0, X @ W + b), "activation in the linear layer"),
    ("neuron", lambda x, w, b: 1 / (1 + np.exp(-np.dot(w, x) + b)), "bias with the wrong sign"),
    ("two_layer_forward", lambda X, p: np.maximum(X @ p["W1"].T + p["b1"], 0) @ p["W2"].T + p["b2"],
     "weights transposed"),
])
@pytest.mark.parametrize("seed", [None, 21])
def test_slips_named_from_the_product_that_failed_or_their_values(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.mistake == mistake, result.message
