"""Checks for lesson 05, backpropagation through a whole network.

The lesson chains the library's forward/backward pairs (``linear_forward``/``linear_backward``,
``relu_forward``/``relu_backward``, ...: the cache-based versions of the lesson-04 functions) into a
multi-layer perceptron with parameters ``params = {"W1": (D, H1), "b1": (H1,), ..., "WL", "bL"}``:

- ``mlp_forward(X, params, activation) -> (scores, caches)``: ``h_0 = X``,
  ``h_l = act(h_{l-1} @ W_l + b_l)`` for the hidden layers, ``scores = h_{L-1} @ W_L + b_L``.
- ``mlp_backward(dscores, caches, params) -> grads``: a dict keyed like ``params``.
- ``loss_and_grads(X, y, params, activation="relu") -> (loss, grads)``: forward, softmax
  cross-entropy, backward.
- ``gradient_norms(grads) -> (L,) array``: ``||dW_l||`` (the Frobenius norm) for l = 1..L.

**What a cache is here.** ``caches`` is a list with one entry per layer, in forward order (``caches[0]``
belongs to layer 1). Each entry is a tuple ``(linear_cache, act_cache, act_backward)``: the cache
``linear_forward`` returned, the cache the activation's forward returned, and the activation's backward
function (the one that undoes it). The output layer has no activation, so its entry is
``(linear_cache, None, None)``. ``mlp_forward`` is checked by its scores alone; ``mlp_backward`` is
checked on the caches of an ``mlp_forward`` (by default the reference, which builds exactly this format;
``check_mlp_backward(fn, mlp_forward)`` uses the learner's own), so the pair works together whatever
the caches hold, as long as the learner's forward and backward agree.
"""
from __future__ import annotations

import numpy as np

from ..validation import describe
from ..layers import (linear_backward, linear_forward, relu_backward, relu_forward, sigmoid_backward,
                      sigmoid_forward, tanh_backward, tanh_forward)
from ..losses import softmax, softmax_cross_entropy
from .core import Case, Exercise, Mistake

__all__ = ["check_mlp_forward", "check_mlp_backward", "check_loss_and_grads", "check_gradient_norms"]

#: activation name -> (forward, backward): the library's validated pairs, as the lesson uses them
ACTIVATION_PAIRS = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
                    "tanh": (tanh_forward, tanh_backward)}


def _name_hint(run=None):
    """A ``run`` for ``Exercise`` (wrapping ``run``, default: call the function) that adds a hint to a
    NameError: the name on the ``return`` line after the learner's code is the usual culprit."""
    def wrapped(fn, *args):
        try:
            return run(fn, *args) if run else fn(*args)
        except NameError as exc:
            raise NameError(f"{exc}. Every name must get a value before it is used; if it is the name on "
                            f"the function's return line, your code has to set it") from None
    return wrapped


def _num_layers(params):
    return sum(1 for k in params if k.startswith("W"))


# ------------------------------------------------------------------ the forward pass

def _mlp_forward(X, params, activation, *, output_act=False, hidden_act=True, act_first=False,
                 first_layer=1, count=None):
    """The reference forward pass; the keywords build the catalogue's wrong versions."""
    act_forward, act_backward = ACTIVATION_PAIRS[activation]
    L = _num_layers(params) if count is None else count(params)
    h, caches = X, []
    for l in range(first_layer, first_layer + L):
        if act_first:
            h = act_forward(h)[0]
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if hidden_act and not act_first and (l < first_layer + L - 1 or output_act):
            h, act_cache = act_forward(h)
            caches.append((linear_cache, act_cache, act_backward))
        else:
            caches.append((linear_cache, None, None))
    return h, caches


def _reference_forward(X, params, activation):
    return _mlp_forward(X, params, activation)


def _net_cases():
    """Networks with every shape problem visible, plus one with all widths equal (where a wrong
    order of layers cannot crash and must show in the numbers), one linear model, a batch of one."""
    spec = [("2 hidden layers (relu)", (3, 5, 4, 2), 6, "relu"),
            ("batch of one (tanh)", (2, 4, 3), 1, "tanh"),
            ("3 hidden layers (sigmoid)", (4, 6, 5, 3, 3), 5, "sigmoid"),
            ("all widths 3 (tanh)", (3, 3, 3, 3), 3, "tanh"),
            ("no hidden layer", (3, 2), 4, "relu")]
    cases = []
    for seed, (label, sizes, N, act) in enumerate(spec):
        r = np.random.default_rng(50 + seed)
        params = {}
        for l, (d, h) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{l}"] = r.standard_normal((d, h)) / np.sqrt(d)
            params[f"b{l}"] = r.standard_normal(h) * 0.5
        X = r.standard_normal((N, sizes[0]))
        y = r.integers(0, sizes[-1], N)
        cases.append((label, X, params, act, y, r.standard_normal((N, sizes[-1]))))
    return cases


def _scores_only(fn, X, params, activation):
    out = fn(X, params, activation)
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(f"mlp_forward must return two values, (scores, caches); it returned {describe(out)}")
    return out[0]


MLP_FORWARD = Exercise(
    "mlp_forward", _reference_forward,
    lambda: [Case(label, (X, params, act)) for label, X, params, act, _, _ in _net_cases()],
    input_names=("X", "params", "activation"), outputs=("scores",), run=_name_hint(_scores_only),
    mistakes=[
        Mistake("activation on the output layer", "the activation was also applied after the last "
                "layer. The scores are the last linear layer's output, with no activation.",
                lambda X, p, a: _mlp_forward(X, p, a, output_act=True)),
        Mistake("hidden activation skipped", "there is no activation between the layers; without it "
                "the whole network collapses into one linear function. Apply it after every layer "
                "except the last.", lambda X, p, a: _mlp_forward(X, p, a, hidden_act=False)),
        Mistake("activation before the linear layer", "the activation was applied before each linear "
                "layer (to the input X first). Each hidden layer is h = act(h_prev @ W + b): linear "
                "first, then the activation.", lambda X, p, a: _mlp_forward(X, p, a, act_first=True)),
        Mistake("layers numbered from 0", "the parameters are named from 1: W1, b1 belong to the first "
                "layer. Loop over l = 1..L (range(1, L + 1)).",
                lambda X, p, a: _mlp_forward(X, p, a, first_layer=0)),
        Mistake("number of layers miscounted", "params holds two arrays per layer (W and b), so the "
                "number of layers is L = len(params) // 2.",
                lambda X, p, a: _mlp_forward(X, p, a, count=len)),
    ])


def _caches_problem(fn):
    """None if the reference backward gets the right gradients from ``fn``'s caches, else why not."""
    for case in MLP_FORWARD.cases():
        X, params, activation = case.args
        _, caches = fn(X, params, activation)
        if not isinstance(caches, list) or len(caches) != _num_layers(params):
            return (f"caches should be a list with one entry per layer ({_num_layers(params)} here), "
                    f"got {describe(caches)}")
        _, ref_caches = _mlp_forward(X, params, activation)
        dscores = np.ones((X.shape[0], params[f"W{_num_layers(params)}"].shape[1]))
        want = _mlp_backward(dscores, ref_caches, params)
        try:
            got = _mlp_backward(dscores, caches, params)
        except Exception as exc:  # the caches may hold anything
            return f"mlp_backward cannot use them ({type(exc).__name__}: {exc})"
        if any(not np.allclose(got[k], want[k]) for k in want):
            return "with them mlp_backward computes wrong gradients (is each cache with its own layer?)"
    return None


def check_mlp_forward(fn):
    """Check ``mlp_forward(X, params, activation) -> (scores, caches)`` by its scores; when they are
    right, also check that its caches have the format described above (so that the reference
    ``mlp_backward`` works with them)."""
    if fn is MLP_FORWARD.reference:
        return MLP_FORWARD.check(fn)
    result = MLP_FORWARD.run(fn)
    problem = _caches_problem(fn) if result.passed else None
    if problem is None:
        return MLP_FORWARD.check(fn)
    print(f"✘ mlp_forward: the scores are right, but the caches are not in the format mlp_backward "
          f"expects: {problem}. Append (linear_cache, act_cache, act_backward) for each hidden layer "
          f"and (linear_cache, None, None) for the output layer, in forward order.\n"
          f"  → Carrying on with the reference mlp_forward so the rest of the notebook runs; come back "
          f"to this exercise when you are ready.")
    return MLP_FORWARD.reference


# ------------------------------------------------------------------ the backward pass

def _mlp_backward(dscores, caches, params, *, order="reverse", act=True, chain=True, swap=False,
                  act_after=False, cache_shift=0, key_shift=0, keep_all=True):
    """The reference backward pass; the keywords build the catalogue's wrong versions."""
    L = len(caches)
    grads, dout = {}, dscores
    layers = range(L, 0, -1) if order == "reverse" else range(1, L + 1)
    for l in layers:
        linear_cache, act_cache, act_backward = caches[l - 1 + cache_shift]
        upstream = dout if chain else dscores
        if act and act_backward is not None and not act_after:
            upstream = act_backward(upstream, act_cache)
        dX, dW, db = linear_backward(upstream, linear_cache)
        if swap:
            dX, dW = dW, dX
        if act and act_backward is not None and act_after:
            dX = act_backward(dX, act_cache)
        if not keep_all:
            grads = {}
        grads[f"W{l - key_shift}"], grads[f"b{l - key_shift}"] = dW, db
        dout = dX
    return {k: grads[k] for k in sorted(grads, key=lambda k: (int(k[1:]), k[0] == "b"))}


def _backward_cases():
    return [Case(label, (X, params, act, dscores))
            for label, X, params, act, _, dscores in _net_cases()]


def _reference_backward(dscores, caches, params):
    return _mlp_backward(dscores, caches, params)


def _backward_run(forward):
    """Run a backward on the caches of ``forward``; the reference and the catalogue's mistakes, which
    read the caches in the format of this module, always get the reference forward's caches."""
    def run(fn, X, params, activation, dscores):
        own = fn is _reference_backward or any(fn is m.impl for m in _BACKWARD_MISTAKES)
        _, caches = (_reference_forward if own else forward)(X, params, activation)
        return fn(dscores, caches, params)
    return run


_BACKWARD_MISTAKES = [
    Mistake("backward through the layers in forward order", "the layers were visited in forward "
            "order. The chain rule runs backwards: dscores first enters the LAST layer, and each "
            "layer's dX is the upstream gradient of the layer before it (for l = L, L-1, ..., 1).",
            lambda d, c, p: _mlp_backward(d, c, p, order="forward")),
    Mistake("activation backward skipped", "the activations' backward was skipped: before a hidden "
            "layer's linear backward, the upstream gradient must go through that layer's "
            "activation backward (act_backward(dout, act_cache)).",
            lambda d, c, p: _mlp_backward(d, c, p, act=False)),
    Mistake("upstream gradient not passed on", "every layer received dscores. Each layer must receive "
            "the gradient coming from the layer after it: set dout = dX after each linear backward.",
            lambda d, c, p: _mlp_backward(d, c, p, chain=False)),
    Mistake("dX and dW swapped when unpacking", "linear_backward returns (dX, dW, db) in that order; "
            "unpacking it as dW, dX, db stores the input's gradient as dW and passes dW down the chain.",
            lambda d, c, p: _mlp_backward(d, c, p, swap=True)),
    Mistake("activation backward after the linear backward", "the activation's backward was applied "
            "after the linear backward of the same layer. Going backwards through a hidden layer "
            "h = act(h_prev @ W + b), undo the activation first, then the linear part.",
            lambda d, c, p: _mlp_backward(d, c, p, act_after=True)),
    Mistake("caches of the wrong layer", "a layer used another layer's cache. caches[0] belongs to "
            "layer 1, so layer l's cache is caches[l - 1].",
            lambda d, c, p: _mlp_backward(d, c, p, cache_shift=1)),
    Mistake("grads keyed from 0", "the gradients are keyed from 0; they must use the keys of params, "
            "W1, b1, ..., WL, bL.", lambda d, c, p: _mlp_backward(d, c, p, key_shift=1)),
    Mistake("grads dict rebuilt in every layer", "only the last visited layer's gradients are in "
            "grads: create the dict once, before the loop, and add each layer's dW and db to it.",
            lambda d, c, p: _mlp_backward(d, c, p, keep_all=False)),
]


def _backward_exercise(forward):
    return Exercise("mlp_backward", _reference_backward, _backward_cases,
                    input_names=("dscores", "caches", "params"), outputs=("grads",),
                    run=_name_hint(_backward_run(forward)), mistakes=_BACKWARD_MISTAKES)


MLP_BACKWARD = _backward_exercise(_reference_forward)


def check_mlp_backward(fn, mlp_forward=None):
    """Check ``mlp_backward(dscores, caches, params) -> grads`` on the caches of ``mlp_forward``
    (default: the reference forward, whose caches have the format described in this module)."""
    if mlp_forward is None or fn is MLP_BACKWARD.reference:
        return MLP_BACKWARD.check(fn)
    if not callable(mlp_forward):
        raise TypeError(f"check_mlp_backward: mlp_forward must be the forward function, "
                        f"got {describe(mlp_forward)}")
    return _backward_exercise(mlp_forward).check(fn)


# ------------------------------------------------------------------ forward, loss, backward

def _loss_and_grads(X, y, params, activation="relu", *, forward_act=None, double_softmax=False,
                    from_loss=False):
    scores, caches = _mlp_forward(X, params, forward_act or activation)
    if double_softmax:
        scores = softmax(scores)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, _mlp_backward(loss if from_loss else dscores, caches, params)


LOSS_AND_GRADS = Exercise(
    "loss_and_grads", _loss_and_grads,
    lambda: [Case(label, (X, y, params, act)) for label, X, params, act, y, _ in _net_cases()],
    input_names=("X", "y", "params", "activation"), outputs=("loss", "grads"), run=_name_hint(),
    mistakes=[
        Mistake("softmax applied twice", "the scores went through softmax before the loss, which "
                "applies softmax itself. Pass the raw scores to softmax_cross_entropy.",
                lambda X, y, p, a: _loss_and_grads(X, y, p, a, double_softmax=True)),
        Mistake("activation not passed on", "the network ran with ReLU whatever the activation asked "
                "for: pass the activation argument on to mlp_forward.",
                lambda X, y, p, a: _loss_and_grads(X, y, p, a, forward_act="relu")),
        Mistake("backward started from the loss value", "the backward pass was started from the loss "
                "(a number). It starts from the loss's gradient with respect to the scores, dscores, "
                "the second value softmax_cross_entropy returns.",
                lambda X, y, p, a: _loss_and_grads(X, y, p, a, from_loss=True)),
    ])


def check_loss_and_grads(fn):
    """Check ``loss_and_grads(X, y, params, activation) -> (loss, grads)`` (softmax cross-entropy)."""
    return LOSS_AND_GRADS.check(fn)


# ------------------------------------------------------------------ gradient size per layer

def _gradient_norms(grads):
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, _num_layers(grads) + 1)])


def _norm_cases():
    cases = []
    for label, L, seed in [("3 layers", 3, 60), ("12 layers", 12, 61), ("1 layer", 1, 62)]:
        r = np.random.default_rng(seed)
        grads = {}
        for l in range(1, L + 1):
            grads[f"W{l}"] = r.standard_normal((3, 2)) * 10.0 ** (-l / 2)
            grads[f"b{l}"] = r.standard_normal(2)
        cases.append(Case(label, (grads,)))
    return cases


GRADIENT_NORMS = Exercise(
    "gradient_norms", _gradient_norms, _norm_cases, input_names=("grads",), outputs=("norms",),
    run=_name_hint(),
    mistakes=[
        Mistake("layers sorted as text", "the layers came out in text order (W1, W10, W11, W12, W2, "
                "...): sorting the names compares them as strings. Go by number: grads[f'W{l}'] for "
                "l = 1..L.", lambda g: np.array([np.linalg.norm(g[k]) for k in sorted(g) if k[0] == "W"])),
        Mistake("biases included", "the biases' norms are in the list too; only the weights' "
                "gradients dW1, ..., dWL are asked for (one number per layer).",
                lambda g: np.array([np.linalg.norm(v) for v in g.values()])),
        Mistake("squared norm", "that is the sum of squares; the norm is its square root: "
                "np.sqrt(np.sum(dW**2)), or np.linalg.norm(dW).",
                lambda g: _gradient_norms(g) ** 2),
    ])


def check_gradient_norms(fn):
    """Check ``gradient_norms(grads) -> array (L,)`` of ``||dW_l||`` for l = 1..L, in layer order."""
    return GRADIENT_NORMS.check(fn)


EXERCISES = {e.name: e for e in (MLP_FORWARD, MLP_BACKWARD, LOSS_AND_GRADS, GRADIENT_NORMS)}
