"""Checks for lesson 04, the backward pass: the backward of a linear layer, of sigmoid, tanh and ReLU,
and the gradients of the MSE and softmax cross-entropy losses.

The lesson's exercises take explicit arrays rather than caches (caches are built by the library's
forward functions, outside anything a learner writes):

- ``linear_backward(dout, X, W) -> (dX, dW, db)``
- ``sigmoid_backward(dout, out)`` and ``tanh_backward(dout, out)``: ``out`` is the activation's output
- ``relu_backward(dout, x)``: ``x`` is the ReLU's input
- ``mse_loss(y_hat, y) -> (loss, dy_hat)`` and ``softmax_cross_entropy(scores, y) -> (loss, dscores)``

The cases mix shapes so that every mistake shows: N, D and H all different (a wrong shape cannot hide),
a square W (D = H, so a transposed matrix keeps its shape and only its values give it away), a batch
of one, exact zeros at the ReLU's kink, saturated activations, large logits and a single class.

Beyond the catalogue, each exercise lists ``effects`` (``checks.effects``), judged output by output: a
``dW`` transposed is named even when ``db`` is also wrong (both are reported), a ``db`` of the wrong
shape is named as such, an elementwise backward that leaves the upstream gradient out is recognised
whatever its local gradient, and the loss and its gradient are judged separately.
"""
from __future__ import annotations

import numpy as np

from .. import reference
from ..reference import linear_backward, mse_loss, sigmoid, softmax_cross_entropy
from .core import Case, Exercise, Mistake, learner_run
from .effects import (Effect, batch_size, collapsed, common, failing_product, negated, product_failed, not_reduced, overflow, reshaped, scaled, transposed,
                      upstream_added, upstream_ignored)
from .lesson02_loss import ce_loss_effects

__all__ = ["check_linear_backward", "check_sigmoid_backward", "check_tanh_backward",
           "check_relu_backward", "check_mse_loss", "check_softmax_cross_entropy"]


def _rng(seed):
    return np.random.default_rng(seed)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's seed."""
    return rng if rng is not None else _rng(seed)


def _labels(rng, r, fixed, classes):
    """The notebook's ``fixed`` labels, or (with the grader's ``rng``) labels drawn like them."""
    fixed = np.asarray(fixed)
    return fixed if rng is None else r.integers(0, classes, fixed.shape)


def _learner_run(name, input_names):
    """``learner_run`` with numpy's shape errors (``dout @ W``, ``np.dot(dout, W)`` and ``dout * W``
    each word it differently) turned into one message naming the case's input shapes, so a mistake
    is recognised whatever numpy call it was made with."""
    def shapes(exc, *args):
        text = str(exc)
        if not any(s in text for s in ("not aligned", "core dimension", "could not be broadcast")):
            return None
        listing = ", ".join(f"{n} {np.shape(a)}" for n, a in zip(input_names, args))
        product = failing_product(exc, dict(zip(input_names, args)))
        if product is not None:
            return ValueError(f"{product} (the inputs were {listing}). Write the shapes next to each product: "
                              f"(a, b) @ (b, c) -> (a, c), the inner sizes must match")
        return ValueError(f"two arrays whose shapes do not fit were combined (a matrix product or "
                          f"an elementwise operation); the inputs were {listing}. Write the shapes "
                          f"next to each product: (a, b) @ (b, c) -> (a, c), the inner sizes must match")
    return learner_run(name, input_names, on_value_error=shapes)


def _in_place(what, fix):
    """The explanation of a mistake that writes into the caller's array ``what``."""
    return (f"the values may be right, but the function changed the array {what} it was given, and the "
            f"caller still needs it (it may be used again, e.g. by another branch or a gradient "
            f"check). Work on a new array instead: {fix}.")


def _shape_error(text, case):
    return "whose shapes do not fit" in text or "does not fit" in text


def _broadcast_error(text, case):
    return "whose shapes do not fit" in text or "could not be broadcast" in text


def _N(case):
    return batch_size(case)


def _flipped(part):
    return negated(f"{part} sign flipped", f"every value of {part} has the wrong sign: check for a minus "
                   f"sign that should not be there (or a difference taken the wrong way round).", part=part)


def _elementwise_backward_effects(local):
    """The slips of an elementwise backward dx = dout * local(v), whatever the local gradient."""
    return [
        upstream_ignored("upstream gradient ignored",
                         f"the result is only the local gradient {local}. The chain rule multiplies it by the "
                         f"upstream gradient: dx = dout * {local}."),
        upstream_added("upstream gradient added instead of multiplied",
                       f"the upstream gradient was added to the local gradient; the chain rule multiplies "
                       f"them: dx = dout * {local}."),
        negated("sign flipped", f"every value has the wrong sign: dx = dout * {local}, with no minus sign."),
    ]


# ------------------------------------------------------------------ the linear layer

_DW_WITHOUT_XT = ("dW was computed as X @ dout, which pairs X's D columns with dout's N rows. Transpose X: "
                  "dW = X.T @ dout, (D, N) @ (N, H) -> (D, H).")
_DX_ORDER = ("the product for dX is in the wrong order: dX = dout @ W.T, (N, H) @ (H, D) -> (N, D); W comes "
             "second, transposed.")
_DW_ORDER = ("the product for dW is in the wrong order: dW = X.T @ dout, (D, N) @ (N, H) -> (D, H); X comes "
             "first, transposed.")


def _dx_order(text, case):
    return any(product_failed(a, b)(text, case)
               for a, b in (("W", "dout"), ("W", "dout.T"), ("W.T", "dout"), ("W.T", "dout.T")))


def _dw_order(text, case):
    return any(product_failed(a, b)(text, case) for a, b in (("dout", "X.T"), ("dout.T", "X.T")))


_DX_WITHOUT_WT = ("dX was computed as dout @ W, which runs only when W is square (elsewhere the shapes do not "
                  "fit). dX = dout @ W.T: (N, H) @ (H, D) -> (N, D).")

def _linear_cases(rng=None):
    r = _source(rng, 40)
    cases = []
    for label, (N, D, H) in [("N=4 D=3 H=2", (4, 3, 2)), ("batch of one", (1, 3, 5)),
                             ("square W (N=5 D=H=3)", (5, 3, 3)), ("N=2 D=H=4", (2, 4, 4))]:
        cases.append(Case(label, (r.standard_normal((N, H)), r.standard_normal((N, D)),
                                  r.standard_normal((D, H)))))
    return cases


def _with(dX=None, dW=None, db=None):
    """A wrong linear backward: the reference with one of its three outputs replaced."""
    def impl(dout, X, W):
        ref = linear_backward(dout, X, W)
        return (dX(dout, X, W) if dX else ref[0], dW(dout, X, W) if dW else ref[1],
                db(dout, X, W) if db else ref[2])
    return impl


LINEAR_BACKWARD = Exercise(
    "linear_backward", reference.linear_backward, _linear_cases, input_names=("dout", "X", "W"),
    outputs=("dX", "dW", "db"), run=_learner_run("linear_backward", ("dout", "X", "W")),
    may_use=(), same_as=("layers.linear_backward",),
    mistakes=[
        Mistake("dW transposed", "dW came out transposed (dout.T @ X, of shape (H, D)). A gradient has "
                "the shape of its variable: W is (D, H), so dW = X.T @ dout, (D, N) @ (N, H) -> (D, H).",
                _with(dW=lambda dout, X, W: dout.T @ X)),
        Mistake("db not summed over the batch", "db still has one row per example. b was added to every "
                "row of the batch, so its gradient adds up every row's: db = dout.sum(axis=0), shape (H,).",
                _with(db=lambda dout, X, W: dout)),
        Mistake("db averaged instead of summed", "db was averaged over the batch (dout.mean(axis=0)); it "
                "must be summed: dout.sum(axis=0). The loss's 1/N is already inside dout.",
                _with(db=lambda dout, X, W: dout.mean(axis=0))),
        Mistake("db kept as a row", "db has shape (1, H): sum(axis=0, keepdims=True) keeps the summed "
                "axis. b has shape (H,), and so must db: dout.sum(axis=0).",
                _with(db=lambda dout, X, W: dout.sum(axis=0, keepdims=True))),
        Mistake("db summed over the wrong axis", "db was summed over the units (axis=1) instead of over "
                "the batch (axis=0): db = dout.sum(axis=0) has one entry per unit, shape (H,).",
                _with(db=lambda dout, X, W: dout.sum(axis=1))),
        Mistake("dX without W transposed", "dX was computed as dout @ W, which runs only when W is square "
                "(elsewhere the shapes do not fit). dX = dout @ W.T: (N, H) @ (H, D) -> (N, D).",
                _with(dX=lambda dout, X, W: dout @ W)),
        Mistake("dW divided by N", "dW was divided by N. The 1/N of the mean loss is already inside "
                "dout, so dW = X.T @ dout with no extra factor.",
                _with(dW=lambda dout, X, W: X.T @ dout / X.shape[0])),
        Mistake("dX and dW returned in the wrong order", "the gradients were returned in the wrong "
                "order; return dX, dW, db (the input's gradient first, like the arguments dout, X, W).",
                lambda dout, X, W: (lambda g: (g[1], g[0], g[2]))(linear_backward(dout, X, W))),
    ],
    loop_free=True,
    effects=[
        *common(("dX", "dW", "db")),
        Effect("dX without W transposed", _DX_WITHOUT_WT, raises=product_failed("dout", "W"), alone=True),
        Effect("dX without W transposed", _DX_WITHOUT_WT, part="dX",
               variants=(lambda dout, X, W: dout @ W,), raises=_shape_error),
        Effect("dW without X transposed", _DW_WITHOUT_XT, raises=product_failed("X", "dout"), alone=True),
        Effect("dW without X transposed", _DW_WITHOUT_XT, part="dW", raises=product_failed("X", "dout"),
               variants=(lambda dout, X, W: X @ dout,)),
        Effect("dX: the product in the wrong order", _DX_ORDER, raises=_dx_order, alone=True),
        Effect("dX: the product in the wrong order", _DX_ORDER, part="dX", raises=_dx_order,
               variants=(lambda dout, X, W: W @ dout, lambda dout, X, W: W.T @ dout)),
        Effect("dW: the product in the wrong order", _DW_ORDER, raises=_dw_order, alone=True),
        Effect("dW: the product in the wrong order", _DW_ORDER, part="dW", raises=_dw_order,
               variants=(lambda dout, X, W: dout @ X.T, lambda dout, X, W: dout.T @ X.T)),
        transposed("dX transposed", "dX came out transposed, shape (D, N) (W @ dout.T). A gradient has the "
                   "shape of its variable: X is (N, D), so dX = dout @ W.T.", part="dX"),
        scaled("dX divided by N", "dX was divided by N. The 1/N of the mean loss is already inside dout, so "
               "dX = dout @ W.T with no extra factor.", lambda case: 1.0 / _N(case), part="dX"),
        _flipped("dX"),
        transposed("dW transposed", "dW came out transposed (dout.T @ X, of shape (H, D)). A gradient has "
                   "the shape of its variable: W is (D, H), so dW = X.T @ dout, (D, N) @ (N, H) -> (D, H).",
                   part="dW"),
        scaled("dW divided by N", "dW was divided by N. The 1/N of the mean loss is already inside "
               "dout, so dW = X.T @ dout with no extra factor.", lambda case: 1.0 / _N(case), part="dW"),
        _flipped("dW"),
        Effect("db not summed over the batch", "db still has one row per example. b was added to every "
               "row of the batch, so its gradient adds up every row's: db = dout.sum(axis=0), shape (H,).",
               part="db", variants=(lambda dout, X, W: dout,)),
        scaled("db averaged instead of summed", "db was averaged over the batch (dout.mean(axis=0)); it "
               "must be summed: dout.sum(axis=0). The loss's 1/N is already inside dout.",
               lambda case: 1.0 / _N(case), part="db"),
        reshaped("db kept as a row", "db has shape (1, H): sum(axis=0, keepdims=True) keeps the summed "
                 "axis. b has shape (H,), and so must db: dout.sum(axis=0).", part="db",
                 shape_test=lambda got, want: got == (1,) + want),
        reshaped("db has the wrong shape", "db holds the right values in the wrong shape. A gradient has "
                 "the shape of its variable: b is (H,), so db = dout.sum(axis=0), with no reshape.",
                 part="db"),
        Effect("db summed over the wrong axis", "db was summed over the units (axis=1) instead of over "
               "the batch (axis=0): db = dout.sum(axis=0) has one entry per unit, shape (H,).", part="db",
               variants=(lambda dout, X, W: dout.sum(axis=1), lambda dout, X, W: dout.mean(axis=1))),
        Effect("db summed over every entry", "db was summed over every entry of dout, giving one number. "
               "b has one entry per unit, so sum over the batch only: db = dout.sum(axis=0), shape (H,).",
               part="db", variants=(lambda dout, X, W: dout.sum(), lambda dout, X, W: dout.mean())),
        _flipped("db"),
    ])


def check_linear_backward(fn):
    """Check ``linear_backward(dout, X, W) -> (dX, dW, db)`` for ``out = X @ W + b``:
    dout (N, H), X (N, D), W (D, H); dX (N, D), dW (D, H), db (H,)."""
    return LINEAR_BACKWARD.check(fn)


# ------------------------------------------------------------------ activations

def _activation_cases(seed, make_input, rng=None):
    """Cases (dout, v) where v = make_input(x): the activation's output, or its input for ReLU."""
    r = _source(rng, seed)
    xs = [("a batch", r.standard_normal((4, 3)) * 2),
          ("a vector", np.linspace(-3.0, 3.0, 7)),
          ("saturated", np.array([[-8.0, -5.0, 0.0, 5.0, 8.0]])),
          ("batch of one", r.standard_normal((1, 6)))]
    return [Case(label, (r.standard_normal(x.shape), make_input(x))) for label, x in xs]


SIGMOID_BACKWARD = Exercise(
    "sigmoid_backward", reference.sigmoid_backward, lambda rng=None: _activation_cases(41, sigmoid, rng),
    input_names=("dout", "out"), outputs=("dx",), run=_learner_run("sigmoid_backward", ("dout", "out")),
    may_use=(), same_as=("layers.sigmoid_backward",),
    mistakes=[
        Mistake("sigmoid derivative computed from the input instead of the output", "the sigmoid was "
                "applied again to out, as if out were the input. This function receives the sigmoid's "
                "output out = sigmoid(x), so the local gradient is simply out * (1 - out).",
                lambda dout, out: dout * sigmoid(out) * (1.0 - sigmoid(out))),
        Mistake("upstream gradient ignored", "the result is only the local gradient out * (1 - out). "
                "The chain rule multiplies it by the upstream gradient: dx = dout * out * (1 - out).",
                lambda dout, out: out * (1.0 - out)),
        Mistake("tanh's derivative used", "1 - out**2 is the derivative of tanh; the sigmoid's is "
                "out * (1 - out).", lambda dout, out: dout * (1.0 - out ** 2)),
        Mistake("changed dout in place", _in_place("dout", "dx = dout * out * (1 - out)"),
                lambda dout, out: np.multiply(dout, out * (1.0 - out), out=dout)),
    ],
    loop_free=True,
    effects=[
        *common(("dx",)),
        *_elementwise_backward_effects("out * (1 - out)"),
        Effect("sigmoid derivative computed from the input instead of the output", "the sigmoid was "
               "applied again to out, as if out were the input. This function receives the sigmoid's "
               "output out = sigmoid(x), so the local gradient is simply out * (1 - out).",
               variants=(lambda dout, out: dout * sigmoid(out) * (1.0 - sigmoid(out)),)),
        Effect("tanh's derivative used", "1 - out**2 is the derivative of tanh; the sigmoid's is "
               "out * (1 - out).", variants=(lambda dout, out: dout * (1.0 - out ** 2),)),
        Effect("out * (1 + out) instead of out * (1 - out)", "the sigmoid's local gradient is "
               "out * (1 - out), with a minus: dx = dout * out * (1 - out).",
               variants=(lambda dout, out: dout * out * (1.0 + out),)),
        Effect("half of out * (1 - out) missing", "the sigmoid's local gradient is the product "
               "out * (1 - out); one of its two factors is missing: dx = dout * out * (1 - out).",
               variants=(lambda dout, out: dout * out, lambda dout, out: dout * (1.0 - out))),
    ])


TANH_BACKWARD = Exercise(
    "tanh_backward", reference.tanh_backward, lambda rng=None: _activation_cases(42, np.tanh, rng),
    input_names=("dout", "out"), outputs=("dx",), run=_learner_run("tanh_backward", ("dout", "out")),
    may_use=(), same_as=("layers.tanh_backward",),
    mistakes=[
        Mistake("tanh derivative as 1 - x**2 of the input", "the derivative was computed as 1 - x**2 "
                "with x the tanh's input. It is 1 - tanh(x)**2, the square of the OUTPUT: "
                "dx = dout * (1 - out**2), with the out this function receives.",
                lambda dout, out: dout * (1.0 - np.arctanh(out) ** 2)),
        Mistake("tanh applied to the output again", "tanh was applied again to out, as if out were the "
                "input. This function receives the output out = tanh(x), so the local gradient is "
                "1 - out**2 directly.", lambda dout, out: dout * (1.0 - np.tanh(out) ** 2)),
        Mistake("upstream gradient ignored", "the result is only the local gradient 1 - out**2. The "
                "chain rule multiplies it by the upstream gradient: dx = dout * (1 - out**2).",
                lambda dout, out: 1.0 - out ** 2),
        Mistake("sigmoid's derivative used", "out * (1 - out) is the derivative of the sigmoid; tanh's "
                "is 1 - out**2.", lambda dout, out: dout * out * (1.0 - out)),
        Mistake("changed dout in place", _in_place("dout", "dx = dout * (1 - out**2)"),
                lambda dout, out: np.multiply(dout, 1.0 - out ** 2, out=dout)),
    ],
    loop_free=True,
    effects=[
        *common(("dx",)),
        *_elementwise_backward_effects("(1 - out**2)"),
        Effect("(1 - out)**2 instead of 1 - out**2", "the local gradient is 1 - out**2: square out "
               "first, then subtract from 1. (1 - out)**2 squares the difference instead.",
               variants=(lambda dout, out: dout * (1.0 - out) ** 2,)),
        Effect("tanh applied to the output again", "tanh was applied again to out, as if out were the "
               "input. This function receives the output out = tanh(x), so the local gradient is "
               "1 - out**2 directly.", variants=(lambda dout, out: dout * (1.0 - np.tanh(out) ** 2),
                                                 lambda dout, out: dout / np.cosh(out) ** 2)),
        Effect("1 + out**2 instead of 1 - out**2", "tanh's local gradient is 1 - out**2, with a minus: "
               "dx = dout * (1 - out**2).", variants=(lambda dout, out: dout * (1.0 + out ** 2),)),
        Effect("out*2 instead of out**2", "`out * 2` doubles; the square is `out ** 2` (two stars): "
               "dx = dout * (1 - out**2).", variants=(lambda dout, out: dout * (1.0 - out * 2),)),
        Effect("missing parentheses: dout * 1 - out**2", "operator precedence: dout * 1 - out**2 is "
               "(dout * 1) - out**2. Put the local gradient in parentheses: dout * (1 - out**2).",
               variants=(lambda dout, out: dout - out ** 2,)),
        Effect("sigmoid's derivative used", "out * (1 - out) is the derivative of the sigmoid; tanh's "
               "is 1 - out**2.", variants=(lambda dout, out: dout * out * (1.0 - out),)),
    ])


def _relu_cases(rng=None):
    def with_zeros(x):
        x = x.copy()
        x.flat[::3] = 0.0            # exact zeros: the kink, where the gradient is 0 by convention
        return x
    return _activation_cases(43, with_zeros, rng)


_INVERTED = ("ReLU passes the gradient where its input was POSITIVE and blocks it elsewhere; this "
             "does the opposite. dx = dout * (x > 0).")

RELU_BACKWARD = Exercise(
    "relu_backward", reference.relu_backward, _relu_cases, input_names=("dout", "x"), outputs=("dx",),
    run=_learner_run("relu_backward", ("dout", "x")), may_use=(), same_as=("layers.relu_backward",),
    mistakes=[
        Mistake("ReLU mask taken from dout instead of the input", "the mask was taken from dout. "
                "Whether the gradient passes depends on the ReLU's INPUT: dx = dout * (x > 0), "
                "whatever the sign of dout.", lambda dout, x: dout * (dout > 0)),
        Mistake("mask inverted", _INVERTED, lambda dout, x: dout * (x <= 0)),
        Mistake("mask inverted", _INVERTED, lambda dout, x: dout * (x < 0)),
        Mistake("upstream gradient ignored", "the result is only the local gradient (x > 0), 0 or 1. "
                "The chain rule multiplies it by the upstream gradient: dx = dout * (x > 0).",
                lambda dout, x: (x > 0).astype(float)),
        Mistake("ReLU's value used instead of its slope", "dout was multiplied by max(x, 0), the ReLU's "
                "value. The local gradient is its slope: 1 where x > 0, else 0.",
                lambda dout, x: dout * np.maximum(x, 0.0)),
        Mistake("gradient passed at the kink", "at exactly x = 0 the gradient should be 0 (the usual "
                "convention, and what the reference uses): use x > 0, not x >= 0.",
                lambda dout, x: dout * (x >= 0)),
        Mistake("changed dout in place", _in_place("dout", "dx = dout * (x > 0), or dx = dout.copy() "
                "and then dx[x <= 0] = 0"), lambda dout, x: np.multiply(dout, x > 0, out=dout)),
    ],
    loop_free=True,
    effects=[
        *common(("dx",)),
        *_elementwise_backward_effects("(x > 0)"),
        Effect("ReLU mask taken from dout instead of the input", "the mask was taken from dout. "
               "Whether the gradient passes depends on the ReLU's INPUT: dx = dout * (x > 0), "
               "whatever the sign of dout.", variants=(lambda dout, x: dout * (dout > 0),
                                                       lambda dout, x: np.maximum(dout, 0.0))),
        Effect("mask inverted", _INVERTED, variants=(lambda dout, x: dout * (x <= 0),
                                                     lambda dout, x: dout * (x < 0))),
        Effect("ReLU's value used instead of its slope", "dout was multiplied by max(x, 0), the ReLU's "
               "value. The local gradient is its slope: 1 where x > 0, else 0.",
               variants=(lambda dout, x: dout * np.maximum(x, 0.0),)),
        Effect("gradient passed at the kink", "at exactly x = 0 the gradient should be 0 (the usual "
               "convention, and what the reference uses): use x > 0, not x >= 0.",
               variants=(lambda dout, x: dout * (x >= 0),)),
        Effect("sign(x) instead of the 0/1 mask", "np.sign(x) is -1 where x < 0, which flips the gradient "
               "there; ReLU blocks it: the local gradient is 1 where x > 0 and 0 elsewhere, "
               "dx = dout * (x > 0).", variants=(lambda dout, x: dout * np.sign(x),)),
    ])


def check_sigmoid_backward(fn):
    """Check ``sigmoid_backward(dout, out) -> dx`` where ``out = sigmoid(x)`` (any shape)."""
    return SIGMOID_BACKWARD.check(fn)


def check_tanh_backward(fn):
    """Check ``tanh_backward(dout, out) -> dx`` where ``out = tanh(x)`` (any shape)."""
    return TANH_BACKWARD.check(fn)


def check_relu_backward(fn):
    """Check ``relu_backward(dout, x) -> dx`` where ``x`` is the ReLU's input (any shape)."""
    return RELU_BACKWARD.check(fn)


# ------------------------------------------------------------------ losses

def _mse_divided_by(count):
    """A wrong mse_loss that divides by ``count(y_hat)`` instead of N, in the loss and its gradient."""
    def impl(y_hat, y):
        k = count(y_hat)
        diff = y_hat - y
        return float(np.sum(diff ** 2) / k), 2.0 * diff / k
    return impl


def _mse_without_factor_2(y_hat, y):
    loss, dy_hat = mse_loss(y_hat, y)
    return loss, dy_hat / 2.0


def _mse_gradient_not_divided(y_hat, y):
    loss, dy_hat = mse_loss(y_hat, y)
    return loss, dy_hat * y_hat.shape[0]


def _mse_sign_flipped(y_hat, y):
    loss, dy_hat = mse_loss(y_hat, y)
    return loss, -dy_hat


def _mse_cases(rng=None):
    r = _source(rng, 44)
    return [Case(f"N={N} C={C}" + (" (batch of one)" if N == 1 else "") + (" (one output)" if C == 1 else ""),
                 (r.standard_normal((N, C)), r.standard_normal((N, C))))
            for N, C in [(5, 3), (1, 2), (4, 1), (3, 4)]]


def _mse_part_effects(part):
    """The usual slips of mse_loss, recognised in the loss and in dy_hat, each on its own."""
    C = lambda case: np.shape(case.args[0])[1]  # noqa: E731
    effects = [
        scaled("MSE averaged over every element", "np.mean over the whole array divides by N*C. The "
               "course's MSE sums over the C outputs and averages over the N examples: "
               "L = ((y_hat - y)**2).sum() / N, dy_hat = 2 * (y_hat - y) / N.",
               lambda case: 1.0 / C(case), part=part),
        scaled("MSE averaged over the wrong axis", "the squared errors were divided by C, the number of "
               "outputs, instead of by N, the number of examples. The loss is a mean over the batch: "
               "L = (1/N) sum over n and c, dy_hat = 2 (y_hat - y) / N.",
               lambda case: _N(case) / C(case), part=part),
    ]
    if part == "loss":
        effects += [
            scaled("MSE summed instead of averaged", "the loss was summed over the batch; it is the mean: "
                   "L = ((y_hat - y)**2).sum() / N.", _N, part=part),
            scaled("MSE divided by N twice", "the loss was divided by N twice; divide once: "
                   "L = ((y_hat - y)**2).sum() / N.", lambda case: 1.0 / _N(case), part=part),
            scaled("MSE with a factor 1/2", "the loss has an extra factor 1/2; this course's MSE has none: "
                   "L = ((y_hat - y)**2).sum() / N (and so dy_hat = 2 * (y_hat - y) / N).",
                   lambda case: 0.5, part=part),
            not_reduced("loss not reduced to one number", "the loss must be a single number, but an array "
                        "came back. Add up every squared error, then divide by N: a float.", part=part),
        ]
    else:
        effects += [
            scaled("MSE missing the factor 2", "dy_hat is missing the factor 2 from the square: "
                   "d/dy_hat (y_hat - y)**2 = 2 (y_hat - y), so dy_hat = 2 * (y_hat - y) / N.",
                   lambda case: 0.5, part=part),
            scaled("MSE gradient not divided by N", "dy_hat lacks the 1/N of the mean: "
                   "dy_hat = 2 * (y_hat - y) / N.", _N, part=part),
            scaled("MSE gradient missing 2/N", "dy_hat is y_hat - y, without the factor 2 of the square and "
                   "the 1/N of the mean: dy_hat = 2 * (y_hat - y) / N.", lambda case: _N(case) / 2.0, part=part),
            scaled("MSE gradient divided by N twice", "dy_hat was divided by N twice; once: "
                   "dy_hat = 2 * (y_hat - y) / N.", lambda case: 1.0 / _N(case), part=part),
            collapsed("dy_hat"),
            negated("MSE gradient sign flipped", "dy_hat has the wrong sign: it is 2 (y_hat - y) / N, "
                    "positive where the prediction is too high.", part=part),
        ]
    return effects


MSE = Exercise(
    "mse_loss", reference.mse_loss, _mse_cases, input_names=("y_hat", "y"), outputs=("loss", "dy_hat"),
    run=_learner_run("mse_loss", ("y_hat", "y")), may_use=(), same_as=("losses.mse_loss",),
    mistakes=[
        Mistake("MSE missing the factor 2", "dy_hat is missing the factor 2 from the square: "
                "d/dy_hat (y_hat - y)**2 = 2 (y_hat - y), so dy_hat = 2 * (y_hat - y) / N.",
                _mse_without_factor_2),
        Mistake("MSE averaged over the wrong axis", "the squared errors were averaged over the C outputs "
                "(divided by C) instead of over the N examples. The loss is a mean over the batch: "
                "L = (1/N) sum over n and c, dy_hat = 2 (y_hat - y) / N.",
                _mse_divided_by(lambda y_hat: y_hat.shape[1])),
        Mistake("MSE averaged over every element", "np.mean over the whole array divides by N*C. The "
                "course's MSE sums over the C outputs and averages over the N examples: "
                "L = ((y_hat - y)**2).sum() / N.", _mse_divided_by(lambda y_hat: y_hat.size)),
        Mistake("MSE gradient not divided by N", "the loss is right but dy_hat lacks the 1/N of the "
                "mean: dy_hat = 2 * (y_hat - y) / N.",
                _mse_gradient_not_divided),
        Mistake("MSE summed instead of averaged", "the loss was summed over the batch; it is the mean, "
                "so both the loss and dy_hat carry a factor 1/N.", _mse_divided_by(lambda y_hat: 1)),
        Mistake("MSE gradient sign flipped", "dy_hat has the wrong sign: it is 2 (y_hat - y) / N, "
                "positive where the prediction is too high.",
                _mse_sign_flipped),
    ],
    loop_free=True,
    effects=[*common(("loss", "dy_hat")), *_mse_part_effects("loss"), *_mse_part_effects("dy_hat")])


def check_mse_loss(fn):
    """Check ``mse_loss(y_hat, y) -> (loss, dy_hat)``: ``L = (1/N) sum (y_hat - y)**2`` over all
    entries of y_hat (N, C), ``dy_hat = 2 (y_hat - y) / N``."""
    return MSE.check(fn)


def _ce_gradient_not_divided(scores, y):
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, dscores * scores.shape[0]


def _ce_sign_flipped(scores, y):
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, -dscores


def _ce_summed(scores, y):
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss * scores.shape[0], dscores * scores.shape[0]


def _naive_softmax_ce(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = float(-np.log(p[rows, y]).mean())
    dscores = p.copy()
    dscores[rows, y] -= 1.0
    return loss, dscores / N


def _labels_as_one_hot(scores, y, in_loss=True):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = float(-(y * np.log(p)).sum() / N) if in_loss else softmax_cross_entropy(scores, y)[0]
    return loss, (p - y) / N


def _one_hot_times_log(scores, y):
    N, C = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    T = np.zeros((N, C))
    T[np.arange(N), y] = 1.0
    return float(-(T * np.log(p)).sum() / N), (p - T) / N


def _shift_in_place(scores, y):
    scores -= scores.max(axis=1, keepdims=True)
    return softmax_cross_entropy(scores, y)


def _ce_cases(rng=None):
    r = _source(rng, 45)
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0], [-500.0, 200.0, 800.0]])
    return [Case("N=4 C=3", (r.standard_normal((4, 3)), _labels(rng, r, [0, 2, 1, 2], 3))),
            Case("batch of one (C=5)", (r.standard_normal((1, 5)), _labels(rng, r, [3], 5))),
            Case("N=C=3", (r.standard_normal((3, 3)) * 2, _labels(rng, r, [2, 0, 0], 3))),
            Case("large logits", (big, np.array([0, 2, 1]))),
            Case("a class far below the others", (np.array([[2.0, -800.0, 0.0], [0.0, 1.0, -900.0]]),
                                                 np.array([0, 1]))),
            Case("a single class", (r.standard_normal((2, 1)), np.array([0, 0]))),
            Case("N=6 C=2", (r.standard_normal((6, 2)), _labels(rng, r, [0, 1, 1, 0, 1, 0], 2)))]


_ONE_HOT = ("y holds class indices, shape (N,), not one-hot rows: build onehot(y) (or subtract 1 "
            "at p[np.arange(N), y]) instead of using y itself.")

def _p(s, axis=1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _p_nokeep(s, which):
    """Softmax with keepdims left out of the max (0), of the sum (1) or of both (2)."""
    m = s.max(axis=1) if which in (0, 2) else s.max(axis=1, keepdims=True)
    e = np.exp(s - m)
    return e / (e.sum(axis=1) if which in (1, 2) else e.sum(axis=1, keepdims=True))


def _whole_columns(s, y):
    """dscores with p[:, y] -= 1: 1 subtracted in whole columns."""
    d = _p(s)
    d[:, y] -= 1.0
    return d / s.shape[0]


def _onehot(s, y):
    T = np.zeros(s.shape)
    T[np.arange(s.shape[0]), y] = 1.0
    return T


def _dscores_effects():
    part = "dscores"
    N = _N
    return [
        overflow("softmax without subtracting the max", "exp overflowed on large scores (exp(1000) is inf "
                 "in float64), and dscores holds nan. Subtract each row's maximum first: "
                 "scores - scores.max(axis=1, keepdims=True) changes nothing mathematically and keeps every "
                 "exponent <= 0.", part=part),
        collapsed("dscores"),
        scaled("cross-entropy gradient not divided by N", "the loss is a mean over the batch, so its "
               "gradient carries the 1/N too: dscores = (p - onehot(y)) / N.", N, part=part),
        scaled("dscores divided by N twice", "dscores was divided by N twice: dscores = (p - onehot(y)) / N, "
               "once.", lambda case: 1.0 / N(case), part=part),
        negated("cross-entropy gradient sign flipped", "dscores has the wrong sign: it is "
                "(p - onehot(y)) / N, positive for the wrong classes (lowering their scores lowers the "
                "loss).", part=part),
        Effect("one-hot not subtracted", "dscores is p / N: the one-hot of the true classes was not "
               "subtracted. dscores = (p - onehot(y)) / N: subtract 1 at p[np.arange(N), y].", part=part,
               variants=(lambda s, y: _p(s) / s.shape[0], lambda s, y: _p(s))),
        Effect("1 subtracted from every entry", "1 was subtracted from every entry of p; only the true "
               "class of each row gets it: p[np.arange(N), y] -= 1, then divide by N.", part=part,
               variants=(lambda s, y: (_p(s) - 1.0) / s.shape[0],)),
        Effect("labels shifted by one", "the 1 was subtracted at the wrong class (y - 1 or y + 1, as if the "
               "labels started at 1). y already holds the class indices 0..C-1: p[np.arange(N), y] -= 1.",
               part=part, variants=tuple(lambda s, y, k=k: (_p(s) - _onehot(s, (y + k) % s.shape[1])) / s.shape[0]
                                         for k in (-1, 1))),
        Effect("p[:, y] instead of p[np.arange(N), y]", "p[:, y] -= 1 subtracts 1 in whole columns (every "
               "row, at every label of the batch). Each row needs it at its own class only: "
               "p[np.arange(N), y] -= 1.", part=part,
               variants=(_whole_columns,)),
        Effect("labels used as one-hot without conversion", _ONE_HOT, part=part, raises=_broadcast_error,
               variants=(lambda s, y: (_p(s) - y) / s.shape[0], lambda s, y: (_p(s) - y[:, None]) / s.shape[0])),
        Effect("keepdims forgotten", "a row maximum or row sum lost its axis: s.max(axis=1) and "
               "e.sum(axis=1) have shape (N,), which numpy lines up with the C classes, not with the rows; it "
               "fails (the shapes do not fit) or, when N = C, silently mixes the rows. Keep the axis: "
               "keepdims=True gives shape (N, 1).", part=part, raises=_broadcast_error,
               variants=(lambda s, y: (_p_nokeep(s, 0) - _onehot(s, y)) / s.shape[0],
                         lambda s, y: (_p_nokeep(s, 1) - _onehot(s, y)) / s.shape[0],
                         lambda s, y: (_p_nokeep(s, 2) - _onehot(s, y)) / s.shape[0])),
        Effect("softmax over the wrong axis", "the probabilities were normalised down the columns (axis=0), "
               "over the examples. Each row is one example: its C probabilities must sum to 1, so use "
               "axis=1 for the max and the sum.", part=part,
               variants=(lambda s, y: (_p(s, axis=0) - _onehot(s, y)) / s.shape[0],)),
    ]


SOFTMAX_CE = Exercise(
    "softmax_cross_entropy", reference.softmax_cross_entropy, _ce_cases, input_names=("scores", "y"),
    outputs=("loss", "dscores"), run=_learner_run("softmax_cross_entropy", ("scores", "y")),
    may_use=(), same_as=("losses.softmax_cross_entropy",),
    mistakes=[
        Mistake("cross-entropy gradient not divided by N", "the loss is a mean over the batch, so its "
                "gradient carries the 1/N too: dscores = (p - onehot(y)) / N.",
                _ce_gradient_not_divided),
        Mistake("cross-entropy gradient sign flipped", "dscores has the wrong sign: it is "
                "(p - onehot(y)) / N, positive for the wrong classes (lowering their scores lowers the "
                "loss).", _ce_sign_flipped),
        Mistake("cross-entropy summed instead of averaged", "the loss was summed over the batch; it is "
                "the mean, so the loss and dscores both carry a factor 1/N.",
                _ce_summed),
        Mistake("softmax without subtracting the max", "exp overflowed on large scores (exp(1000) is "
                "inf in float64). Subtract each row's maximum first: "
                "scores - scores.max(axis=1, keepdims=True) changes nothing mathematically and keeps "
                "every exponent <= 0.", _naive_softmax_ce),
        Mistake("0 * log(0) in the loss", "the loss is nan when a probability underflows to 0: log(0) "
                "is -inf, and onehot * log(p) multiplies it by 0, which gives nan. Take only the true "
                "classes' log-probabilities, log_p[np.arange(N), y], with "
                "log_p = shifted - log(sum(exp(shifted))) computed without forming p first.",
                _one_hot_times_log),
        Mistake("labels used as one-hot without conversion", _ONE_HOT, _labels_as_one_hot),
        Mistake("labels used as one-hot without conversion", _ONE_HOT,
                lambda scores, y: _labels_as_one_hot(scores, y, in_loss=False)),
        Mistake("changed scores in place", _in_place("scores", "shifted = scores - scores.max(axis=1, "
                "keepdims=True) instead of scores -= ..."), _shift_in_place),
    ],
    loop_free=True,
    effects=[*common(("loss", "dscores")), *ce_loss_effects(part="loss", underflow=False), *_dscores_effects()])


def check_softmax_cross_entropy(fn):
    """Check ``softmax_cross_entropy(scores, y) -> (loss, dscores)``: scores (N, C), y (N,) class
    indices; ``L = -(1/N) sum log p[n, y_n]``, ``dscores = (p - onehot(y)) / N``."""
    return SOFTMAX_CE.check(fn)


EXERCISES = {e.name: e for e in (LINEAR_BACKWARD, SIGMOID_BACKWARD, TANH_BACKWARD, RELU_BACKWARD,
                                 MSE, SOFTMAX_CE)}
