"""Checks for lesson 01, the forward pass: a neuron, a linear layer, activations, a two-layer network.

One helper, ``_runner``, makes the diagnosis independent of how a learner wrote the code:

- numpy words a shape error differently for ``@``, ``np.dot`` and ``np.matmul``; ``_runner``
  turns every shape error into one message in the lesson's names, so a mistake such as "W transposed"
  is recognised however the product was written (and the learner reads the shapes involved);
- ``_runner`` also notices an activation that changed the caller's array in place (``x[x < 0] = 0``),
  and adds a hint to a NameError;
- a failed broadcast is worded apart from a failed matrix product (it comes from ``+`` or ``*``, not
  from ``@``), with the two shapes, so a bias reshaped into a column is named as such and not blamed
  on the product.

Beyond the catalogue, each exercise lists ``effects`` (``checks.effects``): a slip recognised by what it
does to the result (the sum left out, a leaky ReLU, 2 sigmoid(x) - 1 ...), however it is written.
"""
from __future__ import annotations

import re

import numpy as np

from .. import reference
from ..reference import sigmoid
from .core import Case, Exercise, Mistake, learner_run
from .effects import Effect, common, failing_product, overflow, product_failed, product_operands

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
    (``describe(*args)``); ``keeps_input``: the exercise's name, whose one input must stay unchanged.

    A failed broadcast comes from adding arrays (the bias), not from a matrix product (numpy says
    "could not be broadcast" for ``+`` and "mismatch in its core dimension" or "not aligned" for ``@``
    and ``np.dot``), so it gets its own words: a bias of the wrong shape is not blamed on the product."""
    def shapes(exc, *args):
        if describe is None or not _SHAPE_WORDS.search(str(exc)):
            return None
        if "broadcast" in str(exc):
            pair = " and ".join(sorted(set(re.findall(r"\([\d,\s]*\)", str(exc)))))
            return ValueError(f"two arrays of shapes {pair} could not be combined elementwise (+, -, *): "
                              f"their shapes do not broadcast ({describe(*args)}). This comes from an "
                              f"elementwise operation, not from a matrix product")
        product = failing_product(exc, _inputs(*args))
        if product is not None:
            return ValueError(f"the shapes do not fit together ({describe(*args)}): {product}")
        return ValueError(f"the shapes do not fit together ({describe(*args)}); check which "
                          f"dimensions each matrix product pairs up")
    return learner_run(keeps_input or name, ("x",) if keeps_input else (),
                       keep=None if keeps_input else (), on_value_error=shapes)


def _inputs(*args):
    """The arrays a learner's function is given, by the names the lesson uses for them."""
    if len(args) == 2 and isinstance(args[1], dict):
        return {"X": args[0], **args[1]}
    return dict(zip(("X", "W", "b"), args))


def _broadcast_pair(text):
    """The two shapes named by a broadcast error worded by ``_runner``, as tuples."""
    if "could not be combined elementwise" not in text:
        return []
    return [tuple(int(n) for n in re.findall(r"\d+", shape))
            for shape in re.findall(r"\([\d,\s]*\)", text.split("could not be combined")[0])]


def _bias_shape_error(sizes):
    """A test on a raised error: an elementwise operation failed on a bias reshaped into a column,
    (H, 1), where ``sizes(case)`` lists the case's bias sizes H."""
    def test(text, case):
        pair = _broadcast_pair(text)
        return any((size, 1) in pair for size in sizes(case) if size > 1)
    return test


def _biases_swapped_error(text, case):
    pair = _broadcast_pair(text)
    H, C = case.args[1]["W1"].shape[1], case.args[1]["W2"].shape[1]
    return H != C and (((C,) in pair and any(len(s) == 2 and s[1] == H for s in pair))
                       or ((H,) in pair and any(len(s) == 2 and s[1] == C for s in pair)))


def _elementwise_error(first, second):
    """A test on a raised error: ``case.args[first] * case.args[second]`` failed to broadcast."""
    def test(text, case):
        pair = _broadcast_pair(text)
        return np.shape(case.args[first]) in pair and np.shape(case.args[second]) in pair
    return test


def _weights_transposed(text, case):
    """A product with a transposed weight matrix on the right did not fit (h @ W2.T, X @ params["W1"].T)."""
    operands = product_operands(text)
    return operands is not None and operands[1].endswith(".T") and "W" in operands[1]


def _shape_error(text, case):
    return "do not fit together" in text


_BIAS_SHAPE = ("the bias has the wrong shape for adding: b has shape (H,) and numpy adds it to every row of "
               "the (N, H) product as it is. Reshaped into a column (b.reshape(-1, 1), b[:, None]) it no "
               "longer lines up with the H columns. Add b as it is: X @ W + b. (The matrix product itself "
               "is fine.)")


def _column(b):
    return b.reshape(-1, 1)


def _same(b):
    return b


def _leaky(g, w, case):
    """The output is x where x > 0 and a x (one small slope 0 < a < 1) where x < 0."""
    x, g = case.args[0], np.asarray(g, dtype=float)
    if g.shape != x.shape or not np.any(x < 0):
        return False
    slopes = g[x < 0] / x[x < 0]
    return (bool(np.allclose(g[x > 0], x[x > 0])) and bool(np.all(g[x == 0] == 0))
            and 0 < slopes[0] < 1 and bool(np.allclose(slopes, slopes[0])))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


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
    ],
    effects=[
        *common(("out",)),
        Effect("weighted sum not summed",
               "the result should be a single number, but w * x multiplies elementwise and keeps D numbers. "
               "The weighted sum adds them up: z = np.dot(w, x) + b (or np.sum(w * x) + b), then the sigmoid.",
               variants=(lambda x, w, b: _sigmoid(w * x + b), lambda x, w, b: _sigmoid(w * x) + b,
                         lambda x, w, b: _sigmoid(w * x))),
        Effect("bias added to every product",
               "the bias was added inside the sum, once per input (np.dot(w, x + b) or np.sum(w * x + b)). "
               "It is added once, to the weighted sum: z = np.dot(w, x) + b.",
               variants=(lambda x, w, b: float(_sigmoid(np.dot(w, x + b))),
                         lambda x, w, b: float(_sigmoid(np.sum(w * x + b))))),
        Effect("bias after activation", "the bias was added after the sigmoid; it belongs inside: "
               "sigmoid(w·x + b).", variants=(lambda x, w, b: float(_sigmoid(np.dot(w, x)) + b),)),
        Effect("other activation than the sigmoid",
               "this neuron's activation is the sigmoid, 1 / (1 + np.exp(-z)); another function (tanh or "
               "max(z, 0)) was used.",
               variants=(lambda x, w, b: float(np.tanh(np.dot(w, x) + b)),
                         lambda x, w, b: float(max(np.dot(w, x) + b, 0.0)))),
        Effect("1 - exp(-z) in the denominator",
               "the denominator is 1 + exp(-z), with a plus: sigmoid(z) = 1 / (1 + np.exp(-z)).",
               variants=(lambda x, w, b: float(1 / (1 - np.exp(-(np.dot(w, x) + b)))),)),
        Effect("bias with the wrong sign",
               "b entered with the wrong sign. z = w·x + b, and the minus of the sigmoid applies to all of z: "
               "np.exp(-(np.dot(w, x) + b)), not np.exp(-np.dot(w, x) + b).",
               variants=(lambda x, w, b: float(_sigmoid(np.dot(w, x) - b)),)),
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
    ],
    loop_free=True,
    effects=[
        *common(("out",)),
        Effect("bias of the wrong shape", _BIAS_SHAPE,
               variants=(lambda X, W, b: X @ W + b.reshape(-1, 1),),
               raises=_bias_shape_error(lambda case: [case.args[1].shape[1]]),
               alone=True),
        Effect("elementwise product", "`*` multiplies elementwise; a layer needs the matrix product "
               "X @ W (each output sums over the D input features).",
               variants=(lambda X, W, b: X * W + b, lambda X, W, b: X * W),
               raises=_elementwise_error(0, 1), alone=True),
        Effect("W transposed", "the weights were used transposed (X @ W.T). W has shape (D, H): row d "
               "holds the weights from input feature d, so out = X @ W.", raises=product_failed("X", "W.T"),
               alone=True),
        Effect("order swapped", "the product is in the wrong order: W @ X instead of X @ W. Each row "
               "of X is one example, and the example's D features meet W's D rows, so X comes first "
               "(matrix products do not commute).", raises=product_failed("W", "X"), alone=True),
        Effect("X transposed", "X was transposed: X has one example per row, shape (N, D), and its D "
               "features meet W's D rows as it is: out = X @ W + b.", raises=product_failed("X.T", "W"),
               variants=(lambda X, W, b: X.T @ W + b,), alone=True),
        Effect("W transposed", "the weights were used transposed (X @ W.T). W has shape (D, H): row d "
               "holds the weights from input feature d, so out = X @ W.",
               variants=(lambda X, W, b: X @ W.T + b, lambda X, W, b: (W @ X.T).T + b), raises=_shape_error),
        Effect("order swapped", "the product is in the wrong order: W @ X instead of X @ W. Each row "
               "of X is one example, and the example's D features meet W's D rows, so X comes first "
               "(matrix products do not commute).", variants=(lambda X, W, b: W @ X + b,), raises=_shape_error),
        Effect("activation in the linear layer", "an activation was applied: the linear layer is only "
               "out = X @ W + b; the activation is a separate function, applied after it.",
               variants=(lambda X, W, b: np.maximum(X @ W + b, 0.0), lambda X, W, b: _sigmoid(X @ W + b),
                         lambda X, W, b: np.tanh(X @ W + b))),
        Effect("output transposed", "out is transposed: it should have one row per example, shape "
               "(N, H), like X has one row per example. out = X @ W + b needs no .T.",
               variants=(lambda X, W, b: (X @ W + b).T, lambda X, W, b: W.T @ X.T + b[:, None],
                         lambda X, W, b: (X @ W).T + b),
               raises=lambda text, case: (case.args[1].shape[1], case.args[0].shape[0]) in _broadcast_pair(text)
               and case.args[1].shape[1] != case.args[0].shape[0]),
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
    ],
    loop_free=True,
    effects=[
        *common(("out",)),
        overflow("overflow on large inputs",
                 "on large inputs (x = ±800) exp overflowed to inf, and the formula gave nan or inf there. "
                 "Write it so that a huge exp can only land in a denominator: 1 / (1 + np.exp(-x)) is safe "
                 "(for x = -800, 1 / inf is a clean 0), while exp(x) / (1 + exp(x)) gives inf / inf = nan."),
        Effect("sigmoid sign", "the sigmoid is 1 / (1 + exp(-x)), with a minus sign in the exponent "
               "(exp(-x) / (1 + exp(-x)) is 1 - sigmoid(x) = sigmoid(-x)).",
               variants=(lambda x: 1 / (1 + np.exp(x)), lambda x: np.exp(-x) / (1 + np.exp(-x)))),
        Effect("tanh instead of the sigmoid", "that is tanh (range -1..1); the sigmoid is "
               "1 / (1 + np.exp(-x)), with values between 0 and 1.", variants=(np.tanh,)),
        Effect("1 - exp(-x) in the denominator",
               "the denominator is 1 + exp(-x), with a plus: sigmoid(x) = 1 / (1 + np.exp(-x)).",
               variants=(lambda x: 1 / (1 - np.exp(-x)),)),
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
        Mistake("changed the input in place", "relu changed the array it was given (x[x < 0] = 0 writes "
                "into the caller's x, which later cells still need). Leave x alone and return a new array: "
                "np.maximum(x, 0), or work on x.copy().",
                lambda x: np.clip(x, 0.0, None, out=x)),
    ],
    loop_free=True,
    effects=[
        Effect("changed the input in place", "relu changed the array it was given (x[x < 0] = 0 or "
               "x *= ... writes into the caller's x, which later cells still need). Leave x alone and "
               "return a new array: np.maximum(x, 0), or work on x.copy().",
               raises=lambda text, case: "changed its input" in text, alone=True, quote=True),
        *common(("out",)),
        Effect("np.max instead of np.maximum", "np.max is a reduction: np.max(x, 0) takes the largest value "
               "along axis 0, and np.max(0, x) reads x as an axis and fails. np.maximum(x, 0) compares "
               "elementwise, which is what ReLU needs.",
               variants=(lambda x: np.max(x, axis=0), lambda x: np.max(x), lambda x: np.max(x, axis=-1)),
               raises=lambda text, case: "scalar index" in text or "out of bounds for array" in text,
               alone=True),
        Effect("mask inverted", "ReLU keeps the positive values and zeroes the negative ones, not the "
               "other way round.", variants=(lambda x: np.minimum(x, 0.0),)),
        Effect("leaky ReLU instead of ReLU", "max(x, 0.01 x) is the leaky ReLU; ReLU sets every "
               "negative value to exactly 0: np.maximum(x, 0).", shows=_leaky),
        Effect("abs instead of max(x, 0)", "np.abs(x) flips negative values to positive; ReLU sets them "
               "to 0: np.maximum(x, 0).", variants=(np.abs,)),
        Effect("indicator instead of value", "x > 0 is the ReLU's derivative (0 or 1); ReLU itself is "
               "max(x, 0), the value where it is positive.", variants=(lambda x: (x > 0).astype(float),
                                                                       lambda x: (x >= 0).astype(float))),
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
    ],
    loop_free=True,
    effects=[
        *common(("out",)),
        overflow("formula overflows", "(e^x - e^-x) / (e^x + e^-x) is tanh on paper, but for large |x| "
                 "one exp overflows to inf and inf / inf is nan. Use 2 * sigmoid(2 * x) - 1 (or np.tanh), "
                 "which never overflows."),
        Effect("the 2 inside the sigmoid missing", "tanh(x) = 2 * sigmoid(2 * x) - 1: the sigmoid is taken "
               "of 2x, not of x.", variants=(lambda x: 2 * sigmoid(x) - 1,)),
        Effect("the - 1 missing", "tanh(x) = 2 * sigmoid(2 * x) - 1: the - 1 at the end is missing "
               "(without it the values lie between 0 and 2, not -1 and 1).",
               variants=(lambda x: 2 * sigmoid(2 * x),)),
        Effect("the factor 2 in front missing", "tanh(x) = 2 * sigmoid(2 * x) - 1: the factor 2 in front "
               "of the sigmoid is missing.", variants=(lambda x: sigmoid(2 * x) - 1,)),
        Effect("+ 1 instead of - 1", "tanh(x) = 2 * sigmoid(2 * x) - 1: the 1 is subtracted (with + 1 the "
               "values lie between 1 and 3).", variants=(lambda x: 2 * sigmoid(2 * x) + 1,)),
        Effect("tanh with the wrong sign", "every value has the wrong sign: tanh(x) = 2 * sigmoid(2 * x) - 1 "
               "is positive for positive x (check the sign inside the sigmoid: sigmoid(2 * x), "
               "not sigmoid(-2 * x)).", variants=(lambda x: -np.tanh(x),)),
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
    ],
    loop_free=True,
    effects=[
        *common(("scores",)),
        Effect("bias of the wrong shape", _BIAS_SHAPE.replace("X @ W + b", "X @ W1 + b1 and h @ W2 + b2"),
               variants=tuple(lambda X, p, c1=c1, c2=c2:
                              np.maximum(X @ p["W1"] + c1(p["b1"]), 0.0) @ p["W2"] + c2(p["b2"])
                              for c1, c2 in ((_column, _column), (_column, _same), (_same, _column))),
               raises=_bias_shape_error(lambda case: [case.args[1]["W1"].shape[1], case.args[1]["W2"].shape[1]]),
               alone=True),
        Effect("activation on the output", "an activation was applied to the output layer. The scores are "
               "the last linear layer's output, with no activation: they may be negative, and the loss "
               "(lesson 02) decides how to read them.",
               variants=tuple(lambda X, p, f=f: f(_two_layer(X, p)) for f in
                              (lambda s: np.maximum(s, 0.0), _sigmoid, np.tanh,
                               lambda s: np.exp(s - s.max(axis=1, keepdims=True))
                               / np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)))),
        Effect("another hidden activation than ReLU", "the hidden activation of this network is ReLU, "
               "max(z, 0) (np.maximum); another function was used.",
               variants=(lambda X, p: np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"],
                         lambda X, p: _sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])),
        Effect("no hidden activation", "the hidden layer has no ReLU: without it, two linear layers "
               "collapse into one linear function.",
               variants=(lambda X, p: (X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"],)),
        Effect("hidden bias added after the ReLU", "b1 was added after the ReLU; it belongs inside: "
               "h = relu(X @ W1 + b1).",
               variants=(lambda X, p: (np.maximum(X @ p["W1"], 0.0) + p["b1"]) @ p["W2"] + p["b2"],)),
        Effect("weights transposed", "a weight matrix was used transposed (h @ W.T). W1 has shape (D, H) "
               "and W2 (H, C): h = relu(X @ W1 + b1), scores = h @ W2 + b2.", raises=_weights_transposed,
               alone=True),
        Effect("weights transposed", "a weight matrix was used transposed (h @ W.T). W1 has shape (D, H) "
               "and W2 (H, C): h = relu(X @ W1 + b1), scores = h @ W2 + b2.",
               variants=(lambda X, p: np.maximum(X @ p["W1"].T + p["b1"], 0.0) @ p["W2"] + p["b2"],
                         lambda X, p: np.maximum(X @ p["W1"] + p["b1"], 0.0) @ p["W2"].T + p["b2"],
                         lambda X, p: np.maximum(X @ p["W1"].T + p["b1"], 0.0) @ p["W2"].T + p["b2"]),
               raises=_shape_error),
        Effect("layers in the wrong order", "the layers were applied in the wrong order or with each "
               "other's parameters: h = relu(X @ W1 + b1) first, then scores = h @ W2 + b2.",
               variants=(lambda X, p: np.maximum(X @ p["W1"] + p["b2"], 0.0) @ p["W2"] + p["b1"],),
               raises=_biases_swapped_error),
    ])


def _two_layer(X, p):
    return np.maximum(X @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]


def check_two_layer_forward(fn):
    """Check ``two_layer_forward(X, params) -> scores`` = relu(X @ W1 + b1) @ W2 + b2."""
    return TWO_LAYER.check(fn)


EXERCISES = {e.name: e for e in (NEURON, LINEAR, SIGMOID, RELU, TANH, TWO_LAYER)}
