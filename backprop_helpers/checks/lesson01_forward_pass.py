"""Checks for lesson 01, the forward pass: a neuron, a linear layer, activations, a two-layer network.

One helper, ``_runner``, makes the diagnosis independent of how a learner wrote the code:

- numpy words a shape error differently for ``@``, ``np.dot`` and ``np.matmul``; ``_runner``
  turns every shape error into one message in the lesson's names, so a mistake such as "W transposed"
  is recognised however the product was written (and the learner reads the shapes involved);
- ``_runner`` also notices an activation that changed the caller's array in place (``x[x < 0] = 0``),
  and adds a hint to a NameError.
"""
from __future__ import annotations

import re

import numpy as np

from .. import reference
from ..reference import sigmoid
from .core import Case, Exercise, Mistake, learner_run

__all__ = ["check_neuron", "check_linear_forward", "check_sigmoid", "check_relu", "check_tanh",
           "check_two_layer_forward"]

_SHAPE_WORDS = re.compile(r"shape|align|mismatch|broadcast|dimension", re.I)


def _rng(seed):
    return np.random.default_rng(seed)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's seed."""
    return rng if rng is not None else _rng(seed)


def _runner(describe=None, keeps_input=None, name=None):
    """``learner_run`` with a numpy shape error worded as one ValueError naming the inputs' shapes
    (``describe(*args)``); ``keeps_input``: the exercise's name, whose one input must stay unchanged."""
    def shapes(exc, *args):
        if describe is None or not _SHAPE_WORDS.search(str(exc)):
            return None
        return ValueError(f"the shapes do not fit together ({describe(*args)}); check which "
                          f"dimensions each matrix product pairs up")
    return learner_run(keeps_input or name, ("x",) if keeps_input else (),
                       keep=None if keeps_input else (), on_value_error=shapes)


# ------------------------------------------------------------------ a single neuron

def _neuron_cases(rng=None):
    r = _source(rng, 1)
    return [Case("three inputs", (r.standard_normal(3), r.standard_normal(3), 0.5)),
            Case("one input", (np.array([2.0]), np.array([-1.5]), 0.25)),
            Case("zero bias", (r.standard_normal(5), r.standard_normal(5), 0.0)),
            Case("negative bias", (r.standard_normal(4), r.standard_normal(4), -2.0))]


NEURON = Exercise(
    "neuron", reference.neuron, _neuron_cases, input_names=("x", "w", "b"), outputs=("out",),
    run=_runner(), may_use=("reference.sigmoid",),
    mistakes=[
        Mistake("bias forgotten", "the bias b is missing: the weighted sum is w·x + b, before the "
                "activation.", lambda x, w, b: float(sigmoid(np.dot(w, x)))),
        Mistake("bias after activation", "the bias was added after the sigmoid; it belongs inside: "
                "sigmoid(w·x + b).", lambda x, w, b: float(sigmoid(np.dot(w, x)) + b)),
        Mistake("no activation", "the activation is missing: the neuron returns sigmoid(w·x + b), "
                "not the weighted sum itself.", lambda x, w, b: float(np.dot(w, x) + b)),
        Mistake("sigmoid sign", "the sigmoid is 1 / (1 + exp(-z)), with a minus sign in the exponent.",
                lambda x, w, b: float(1 / (1 + np.exp(np.dot(w, x) + b)))),
        Mistake("sigmoid parentheses", "operator precedence: 1 / 1 + np.exp(-z) means (1 / 1) + "
                "exp(-z). Put the whole denominator in parentheses: 1 / (1 + np.exp(-z)).",
                lambda x, w, b: float(1 + np.exp(-(np.dot(w, x) + b)))),
    ])


def check_neuron(fn):
    """Check ``neuron(x, w, b) -> sigmoid(w · x + b)`` for one example ``x`` (D,), ``w`` (D,), ``b`` a number."""
    return NEURON.check(fn)


# ------------------------------------------------------------------ the linear layer

def _linear_cases(rng=None):
    r = _source(rng, 2)
    return [Case("a batch of 4 into 2 units", (r.standard_normal((4, 3)), r.standard_normal((3, 2)),
                                                      r.standard_normal(2))),
            Case("batch of one", (r.standard_normal((1, 3)), r.standard_normal((3, 5)), r.standard_normal(5))),
            Case("one unit", (r.standard_normal((6, 2)), r.standard_normal((2, 1)), r.standard_normal(1))),
            Case("square weights", (r.standard_normal((3, 3)), r.standard_normal((3, 3)), r.standard_normal(3)))]


LINEAR = Exercise(
    "linear_forward", reference.linear_forward, _linear_cases, input_names=("X", "W", "b"),
    outputs=("out",),
    run=_runner(lambda X, W, b: f"X.shape={X.shape}, W.shape={W.shape}, b.shape={b.shape}"),
    may_use=(), same_as=("layers.linear_forward",),
    mistakes=[
        Mistake("bias forgotten", "the bias b is missing: out = X @ W + b.", lambda X, W, b: X @ W),
        Mistake("W transposed", "the weights were used transposed (X @ W.T). W has shape (D, H): "
                "row d holds the weights from input feature d, so out = X @ W.", lambda X, W, b: X @ W.T + b),
        Mistake("order swapped", "the product is in the wrong order: W @ X instead of X @ W. Each row "
                "of X is one example, and the example's D features meet W's D rows, so X comes first "
                "(matrix products do not commute).", lambda X, W, b: W @ X + b),
        Mistake("elementwise product", "`*` multiplies elementwise; a layer needs the matrix product "
                "X @ W (each output sums over the D input features).", lambda X, W, b: X * W + b),
        Mistake("output transposed", "out is transposed: it should have one row per example, shape "
                "(N, H), like X has one row per example. out = X @ W + b needs no .T.",
                lambda X, W, b: (X @ W + b).T),
    ])


def check_linear_forward(fn):
    """Check ``linear_forward(X, W, b) -> X @ W + b`` with X (N, D), W (D, H), b (H,)."""
    return LINEAR.check(fn)


# ------------------------------------------------------------------ activations

def _activation_cases(rng=None):
    r = _source(rng, 3)
    return [Case("a batch", (r.standard_normal((4, 3)) * 3,)),
            Case("a vector", (np.linspace(-4, 4, 9),)),
            Case("large values", (np.array([[-800.0, -30.0, 0.0, 30.0, 800.0]]),)),
            Case("zeros", (np.zeros((2, 2)),))]


SIGMOID = Exercise(
    "sigmoid", reference.sigmoid, _activation_cases, input_names=("x",),
    outputs=("out",), run=_runner(keeps_input="sigmoid"), may_use=(),
    same_as=("layers.sigmoid", "layers.sigmoid_forward"),
    mistakes=[
        Mistake("sigmoid sign", "the sigmoid is 1 / (1 + exp(-x)), with a minus sign in the exponent.",
                lambda x: 1 / (1 + np.exp(x))),
        Mistake("sigmoid parentheses", "operator precedence: 1 / 1 + np.exp(-x) means (1 / 1) + "
                "exp(-x). Put the whole denominator in parentheses: 1 / (1 + np.exp(-x)).",
                lambda x: 1 + np.exp(-x)),
        Mistake("exp over one plus exp", "exp(x) / (1 + exp(x)) equals the sigmoid on paper, but for "
                "large x exp(x) overflows to inf and inf / inf is nan. Write it as 1 / (1 + np.exp(-x)): "
                "there exp(-x) can only overflow for very negative x, and 1 / inf is a clean 0.",
                lambda x: np.exp(x) / (1 + np.exp(x))),
        Mistake("python math", "math.exp works on one number only; use np.exp to work on a whole array.",
                lambda x: __import__("math").exp(x)),
        Mistake("derivative instead of the function", "that is the sigmoid's derivative "
                "sigmoid(x) * (1 - sigmoid(x)); the exercise asks for sigmoid(x) = 1 / (1 + exp(-x)).",
                lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ])

RELU = Exercise(
    "relu", reference.relu, _activation_cases, input_names=("x",),
    outputs=("out",), run=_runner(keeps_input="relu"), may_use=(), same_as=("layers.relu_forward",),
    mistakes=[
        Mistake("np.max instead of np.maximum", "np.max(x, 0) takes the largest value along axis 0 "
                "(a reduction); np.maximum(x, 0) compares elementwise, which is what ReLU needs.",
                lambda x: np.max(x, 0)),
        Mistake("python max", "Python's max() (and an if on x > 0) decides for one number at a time; "
                "for a whole array x > 0 is many True/False values at once. Use np.maximum(x, 0), "
                "which compares every element with 0.", lambda x: max(x, 0)),
        Mistake("mask inverted", "ReLU keeps the positive values and zeroes the negative ones, not the "
                "other way round.", lambda x: np.minimum(x, 0.0)),
        Mistake("indicator instead of value", "x > 0 is the ReLU's derivative (0 or 1); ReLU itself is "
                "max(x, 0), the value where it is positive.", lambda x: (x > 0).astype(float)),
        Mistake("changed the input in place", "the values are right, but relu changed the array it was "
                "given (x[x < 0] = 0 writes into the caller's x, which later cells still need). Leave x "
                "alone and return a new array: np.maximum(x, 0), or work on x.copy().",
                lambda x: np.clip(x, 0.0, None, out=x)),
    ])

TANH = Exercise(
    "tanh", reference.tanh, _activation_cases, input_names=("x",), outputs=("out",),
    run=_runner(keeps_input="tanh"), may_use=("reference.sigmoid",), same_as=("layers.tanh_forward",),
    mistakes=[
        Mistake("sigmoid instead of tanh", "that is the sigmoid (range 0..1); tanh ranges over -1..1: "
                "(e^x - e^-x) / (e^x + e^-x), or np.tanh.", sigmoid),
        Mistake("formula overflows", "(e^x - e^-x) / (e^x + e^-x) is tanh on paper, but for large |x| "
                "one exp overflows to inf and inf / inf is nan. Use 2 * sigmoid(2 * x) - 1 (or np.tanh), "
                "which never overflows.",
                lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))),
        Mistake("derivative instead of the function", "that is tanh's derivative 1 - tanh(x)**2; the "
                "exercise asks for tanh(x) itself.", lambda x: 1 - np.tanh(x) ** 2),
    ])


def check_sigmoid(fn):
    """Check ``sigmoid(x) = 1 / (1 + exp(-x))``, elementwise, including large |x|."""
    return SIGMOID.check(fn)


def check_relu(fn):
    """Check ``relu(x) = max(x, 0)``, elementwise, leaving ``x`` unchanged."""
    return RELU.check(fn)


def check_tanh(fn):
    """Check ``tanh(x) = (e^x - e^-x) / (e^x + e^-x)``, elementwise, including large |x|."""
    return TANH.check(fn)


# ------------------------------------------------------------------ two layers

def _two_layer_cases(rng=None):
    cases = []
    sizes = [((5, 2, 4, 3), "on 5 examples"), ((1, 3, 6, 2), "on one example"),
             ((8, 4, 3, 1), "with one output"), ((3, 3, 3, 3), "with square weights")]
    for seed, ((N, D, H, C), what) in enumerate(sizes):
        r = _source(rng, 10 + seed)
        params = {"W1": r.standard_normal((D, H)), "b1": r.standard_normal(H),
                  "W2": r.standard_normal((H, C)), "b2": r.standard_normal(C)}
        cases.append(Case(f"a {D}-{H}-{C} net {what}", (r.standard_normal((N, D)), params)))
    return cases


def _describe_two_layer(X, params):
    shapes = ", ".join(f"{k}.shape={np.shape(v)}" for k, v in params.items())
    return f"X.shape={X.shape}, {shapes}"


TWO_LAYER = Exercise(
    "two_layer_forward", reference.two_layer_forward, _two_layer_cases,
    input_names=("X", "params"), outputs=("scores",), run=_runner(_describe_two_layer),
    may_use=("reference.relu", "reference.linear_forward"),
    mistakes=[
        Mistake("activation on the output", "the ReLU was also applied to the output layer. The scores "
                "are the last linear layer's output, with no activation: they may be negative.",
                lambda X, p: np.maximum(reference.two_layer_forward(X, p), 0.0)),
        Mistake("no hidden activation", "the hidden layer has no ReLU: without it, two linear layers "
                "collapse into one linear function.",
                lambda X, p: (X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]),
        Mistake("biases forgotten", "the biases b1 and b2 are missing.",
                lambda X, p: np.maximum(X @ p["W1"], 0.0) @ p["W2"]),
        Mistake("output bias forgotten", "the output layer's bias b2 is missing: scores = h @ W2 + b2.",
                lambda X, p: np.maximum(X @ p["W1"] + p["b1"], 0.0) @ p["W2"]),
        Mistake("hidden bias forgotten", "the hidden layer's bias b1 is missing: h = relu(X @ W1 + b1).",
                lambda X, p: np.maximum(X @ p["W1"], 0.0) @ p["W2"] + p["b2"]),
        Mistake("sigmoid as the hidden activation", "the hidden activation of this network is ReLU, "
                "max(z, 0); the sigmoid was used instead.",
                lambda X, p: sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]),
        Mistake("weights transposed", "the weight matrices were used transposed (h @ W.T). W1 has "
                "shape (D, H) and W2 (H, C): h = relu(X @ W1 + b1), scores = h @ W2 + b2.",
                lambda X, p: np.maximum(X @ p["W1"].T + p["b1"], 0.0) @ p["W2"].T + p["b2"]),
    ])


def check_two_layer_forward(fn):
    """Check ``two_layer_forward(X, params) -> scores`` = relu(X @ W1 + b1) @ W2 + b2."""
    return TWO_LAYER.check(fn)


EXERCISES = {e.name: e for e in (NEURON, LINEAR, SIGMOID, RELU, TANH, TWO_LAYER)}
