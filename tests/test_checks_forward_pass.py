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
    result = verdict("linear_forward", lambda X, W, b: X @ W + b[:, None])
    assert result.status == "error"
    assert "the shapes do not fit together (X.shape=(4, 3), W.shape=(3, 2), b.shape=(2,))" in result.message


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
    assert result.status == "error"
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
