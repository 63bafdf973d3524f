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

The references are those of ``backprop_helpers.reference``. Each catalogued mistake is written out as
the wrong function a learner would write, one function per mistake (``_backward_in_forward_order``,
...), next to its name and its hint.
"""
from __future__ import annotations

import numpy as np

from .. import reference
from ..validation import describe
from ..layers import ACTIVATIONS, linear_backward, linear_forward
from ..reference import gradient_norms, mlp_backward, mlp_forward, softmax, softmax_cross_entropy
from .core import Case, Exercise, Mistake

__all__ = ["check_mlp_forward", "check_mlp_backward", "check_loss_and_grads", "check_gradient_norms"]


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
    return len(params) // 2


# What the lesson hands over on purpose: the library's forward/backward pairs (cell 5 of the lesson
# puts them in a dict), softmax cross-entropy for loss_and_grads, and the learner's own mlp_forward
# and mlp_backward (or the references their checks handed back).
_FORWARD_PAIRS = ("layers.linear_forward", "layers.relu_forward", "layers.sigmoid_forward",
                  "layers.tanh_forward", "layers.Activation")
_BACKWARD_PAIRS = ("layers.linear_backward", "layers.relu_backward", "layers.sigmoid_backward",
                   "layers.tanh_backward")
_WHOLE_NETWORK = ("network.MLP", "value_mlp", "gradcheck.modelcheck", "fast")


def _net_cases(rng=None):
    """Networks with every shape problem visible, plus one with all widths equal (where a wrong
    order of layers cannot crash and must show in the numbers), one linear model, a batch of one."""
    spec = [("2 hidden layers (relu)", (3, 5, 4, 2), 6, "relu"),
            ("batch of one (tanh)", (2, 4, 3), 1, "tanh"),
            ("3 hidden layers (sigmoid)", (4, 6, 5, 3, 3), 5, "sigmoid"),
            ("all widths 3 (tanh)", (3, 3, 3, 3), 3, "tanh"),
            ("no hidden layer", (3, 2), 4, "relu")]
    cases = []
    for seed, (label, sizes, N, act) in enumerate(spec):
        r = rng if rng is not None else np.random.default_rng(50 + seed)
        params = {}
        for l, (d, h) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{l}"] = r.standard_normal((d, h)) / np.sqrt(d)
            params[f"b{l}"] = r.standard_normal(h) * 0.5
        X = r.standard_normal((N, sizes[0]))
        y = r.integers(0, sizes[-1], N)
        cases.append((label, X, params, act, y, r.standard_normal((N, sizes[-1]))))
    return cases


# ------------------------------------------------------------------ the forward pass: the mistakes

def _forward_activation_on_the_output(X, params, activation):
    act = ACTIVATIONS[activation]
    h, caches = X, []
    for l in range(1, _num_layers(params) + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act_cache = act.forward(h)                       # after the last layer too
        caches.append((linear_cache, act_cache, act.backward))
    return h, caches


def _forward_without_activation(X, params, activation):
    h, caches = X, []
    for l in range(1, _num_layers(params) + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        caches.append((linear_cache, None, None))
    return h, caches


def _forward_activation_first(X, params, activation):
    act = ACTIVATIONS[activation]
    h, caches = X, []
    for l in range(1, _num_layers(params) + 1):
        a, act_cache = act.forward(h)                       # on the input X first
        h, linear_cache = linear_forward(a, params[f"W{l}"], params[f"b{l}"])
        caches.append((linear_cache, act_cache, act.backward))
    return h, caches


def _forward_layers_from_zero(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(L):                                      # W0 does not exist
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L - 1:
            h, act_cache = act.forward(h)
        caches.append(linear_cache)
    return h, caches


def _forward_len_params_layers(X, params, activation):
    act = ACTIVATIONS[activation]
    L = len(params)                                         # twice the number of layers
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act.forward(h)
        caches.append(linear_cache)
    return h, caches


def _scores_only(fn, X, params, activation):
    out = fn(X, params, activation)
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(f"mlp_forward must return two values, (scores, caches); it returned {describe(out)}")
    return out[0]


MLP_FORWARD = Exercise(
    "mlp_forward", reference.mlp_forward,
    lambda rng=None: [Case(label, (X, params, act)) for label, X, params, act, _, _ in _net_cases(rng)],
    input_names=("X", "params", "activation"), outputs=("scores",), run=_name_hint(_scores_only),
    may_use=_FORWARD_PAIRS, same_as=_WHOLE_NETWORK,
    mistakes=[
        Mistake("activation on the output layer", "the activation was also applied after the last "
                "layer. The scores are the last linear layer's output, with no activation.",
                _forward_activation_on_the_output),
        Mistake("hidden activation skipped", "there is no activation between the layers; without it "
                "the whole network collapses into one linear function. Apply it after every layer "
                "except the last.", _forward_without_activation),
        Mistake("activation before the linear layer", "the activation was applied before each linear "
                "layer (to the input X first). Each hidden layer is h = act(h_prev @ W + b): linear "
                "first, then the activation.", _forward_activation_first),
        Mistake("layers numbered from 0", "the parameters are named from 1: W1, b1 belong to the first "
                "layer. Loop over l = 1..L (range(1, L + 1)).", _forward_layers_from_zero),
        Mistake("number of layers miscounted", "params holds two arrays per layer (W and b), so the "
                "number of layers is L = len(params) // 2.", _forward_len_params_layers),
    ])


def _caches_problem(fn):
    """None if the reference backward gets the right gradients from ``fn``'s caches, else why not."""
    for case in MLP_FORWARD.cases():
        X, params, activation = case.args
        _, caches = fn(X, params, activation)
        if not isinstance(caches, list) or len(caches) != _num_layers(params):
            return (f"caches should be a list with one entry per layer ({_num_layers(params)} here), "
                    f"got {describe(caches)}")
        _, ref_caches = mlp_forward(X, params, activation)
        dscores = np.ones((X.shape[0], params[f"W{_num_layers(params)}"].shape[1]))
        want = mlp_backward(dscores, ref_caches, params)
        try:
            got = mlp_backward(dscores, caches, params)
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


# ------------------------------------------------------------------ the backward pass: the mistakes

def _backward_in_forward_order(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(1, len(caches) + 1):                     # 1, 2, ..., L
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_without_activation(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, _, _ = caches[l - 1]                  # the activation's backward never runs
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_upstream_not_passed_on(dscores, caches, params):
    grads = {}
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dout = dscores                                      # every layer starts again from dscores
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        _, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_dX_and_dW_swapped(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dW, dX, db = linear_backward(dout, linear_cache)    # returned in the order dX, dW, db
        grads[f"W{l}"], grads[f"b{l}"] = dW, db
        dout = dX
    return grads


def _backward_activation_after_linear(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
        if act_backward is not None:                        # the same layer's activation, too late
            dout = act_backward(dout, act_cache)
    return grads


def _backward_cache_of_the_next_layer(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l]   # layer l's cache is caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_keys_from_zero(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l - 1}"], grads[f"b{l - 1}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_dict_per_layer(dscores, caches, params):
    dout = dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        grads = {}                                          # a new dict in every layer
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


_BACKWARD_MISTAKES = [
    Mistake("backward through the layers in forward order", "the layers were visited in forward "
            "order. The chain rule runs backwards: dscores first enters the LAST layer, and each "
            "layer's dX is the upstream gradient of the layer before it (for l = L, L-1, ..., 1).",
            _backward_in_forward_order),
    Mistake("activation backward skipped", "the activations' backward was skipped: before a hidden "
            "layer's linear backward, the upstream gradient must go through that layer's "
            "activation backward (act_backward(dout, act_cache)).", _backward_without_activation),
    Mistake("upstream gradient not passed on", "every layer received dscores. Each layer must receive "
            "the gradient coming from the layer after it: set dout = dX after each linear backward.",
            _backward_upstream_not_passed_on),
    Mistake("dX and dW swapped when unpacking", "linear_backward returns (dX, dW, db) in that order; "
            "unpacking it as dW, dX, db stores the input's gradient as dW and passes dW down the chain.",
            _backward_dX_and_dW_swapped),
    Mistake("activation backward after the linear backward", "the activation's backward was applied "
            "after the linear backward of the same layer. Going backwards through a hidden layer "
            "h = act(h_prev @ W + b), undo the activation first, then the linear part.",
            _backward_activation_after_linear),
    Mistake("caches of the wrong layer", "a layer used another layer's cache. caches[0] belongs to "
            "layer 1, so layer l's cache is caches[l - 1].", _backward_cache_of_the_next_layer),
    Mistake("grads keyed from 0", "the gradients are keyed from 0; they must use the keys of params, "
            "W1, b1, ..., WL, bL.", _backward_keys_from_zero),
    Mistake("grads dict rebuilt in every layer", "only the last visited layer's gradients are in "
            "grads: create the dict once, before the loop, and add each layer's dW and db to it.",
            _backward_dict_per_layer),
]


def _backward_cases(rng=None):
    return [Case(label, (X, params, act, dscores))
            for label, X, params, act, _, dscores in _net_cases(rng)]


def _backward_run(forward):
    """Run a backward on the caches of ``forward``; the reference and the catalogue's mistakes, which
    read the caches in the format of ``reference.mlp_forward``, always get the reference's caches."""
    def run(fn, X, params, activation, dscores):
        own = fn is reference.mlp_backward or any(fn is m.impl for m in _BACKWARD_MISTAKES)
        _, caches = (reference.mlp_forward if own else forward)(X, params, activation)
        return fn(dscores, caches, params)
    return run


def _backward_exercise(forward):
    return Exercise("mlp_backward", reference.mlp_backward, _backward_cases,
                    input_names=("dscores", "caches", "params"), outputs=("grads",),
                    run=_name_hint(_backward_run(forward)), mistakes=_BACKWARD_MISTAKES,
                    may_use=_BACKWARD_PAIRS, same_as=_WHOLE_NETWORK)


MLP_BACKWARD = _backward_exercise(reference.mlp_forward)


def check_mlp_backward(fn, mlp_forward=None):
    """Check ``mlp_backward(dscores, caches, params) -> grads`` on the caches of ``mlp_forward``
    (default: the reference forward, whose caches have the format described in this module)."""
    if mlp_forward is None or fn is MLP_BACKWARD.reference:
        return MLP_BACKWARD.check(fn)
    if not callable(mlp_forward):
        raise TypeError(f"check_mlp_backward: mlp_forward must be the forward function, "
                        f"got {describe(mlp_forward)}")
    return _backward_exercise(mlp_forward).check(fn)


# ------------------------------------------------------------------ forward, loss, backward: the mistakes

def _loss_of_the_probabilities(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    probs = softmax(scores)                                 # softmax_cross_entropy applies it again
    loss, dprobs = softmax_cross_entropy(probs, y)
    return loss, mlp_backward(dprobs, caches, params)


def _loss_always_relu(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, "relu")         # whatever activation says
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def _backward_from_the_loss(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, _ = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(loss, caches, params)         # a number instead of dscores


LOSS_AND_GRADS = Exercise(
    "loss_and_grads", reference.loss_and_grads,
    lambda rng=None: [Case(label, (X, y, params, act)) for label, X, params, act, y, _ in _net_cases(rng)],
    input_names=("X", "y", "params", "activation"), outputs=("loss", "grads"), run=_name_hint(),
    may_use=("reference.mlp_forward", "reference.mlp_backward", "losses.softmax_cross_entropy",
             "losses.softmax", "reference.softmax", *_FORWARD_PAIRS, *_BACKWARD_PAIRS),
    same_as=_WHOLE_NETWORK,
    mistakes=[
        Mistake("softmax applied twice", "the scores went through softmax before the loss, which "
                "applies softmax itself. Pass the raw scores to softmax_cross_entropy.",
                _loss_of_the_probabilities),
        Mistake("activation not passed on", "the network ran with ReLU whatever the activation asked "
                "for: pass the activation argument on to mlp_forward.", _loss_always_relu),
        Mistake("backward started from the loss value", "the backward pass was started from the loss "
                "(a number). It starts from the loss's gradient with respect to the scores, dscores, "
                "the second value softmax_cross_entropy returns.", _backward_from_the_loss),
    ])


def check_loss_and_grads(fn):
    """Check ``loss_and_grads(X, y, params, activation) -> (loss, grads)`` (softmax cross-entropy)."""
    return LOSS_AND_GRADS.check(fn)


# ------------------------------------------------------------------ gradient size per layer: the mistakes

def _norms_of_sorted_names(grads):
    names = sorted(name for name in grads if name.startswith("W"))     # "W10" before "W2"
    return np.array([np.linalg.norm(grads[name]) for name in names])


def _norms_with_biases(grads):
    return np.array([np.linalg.norm(g) for g in grads.values()])


def _squared_norms(grads):
    return gradient_norms(grads) ** 2


def _norm_cases(rng=None):
    cases = []
    for label, L, seed in [("3 layers", 3, 60), ("12 layers", 12, 61), ("1 layer", 1, 62)]:
        r = rng if rng is not None else np.random.default_rng(seed)
        grads = {}
        for l in range(1, L + 1):
            grads[f"W{l}"] = r.standard_normal((3, 2)) * 10.0 ** (-l / 2)
            grads[f"b{l}"] = r.standard_normal(2)
        cases.append(Case(label, (grads,)))
    return cases


GRADIENT_NORMS = Exercise(
    "gradient_norms", reference.gradient_norms, _norm_cases, input_names=("grads",), outputs=("norms",),
    run=_name_hint(), may_use=(),
    mistakes=[
        Mistake("layers sorted as text", "the layers came out in text order (W1, W10, W11, W12, W2, "
                "...): sorting the names compares them as strings. Go by number: grads[f'W{l}'] for "
                "l = 1..L.", _norms_of_sorted_names),
        Mistake("biases included", "the biases' norms are in the list too; only the weights' "
                "gradients dW1, ..., dWL are asked for (one number per layer).", _norms_with_biases),
        Mistake("squared norm", "that is the sum of squares; the norm is its square root: "
                "np.sqrt(np.sum(dW**2)), or np.linalg.norm(dW).", _squared_norms),
    ])


def check_gradient_norms(fn):
    """Check ``gradient_norms(grads) -> array (L,)`` of ``||dW_l||`` for l = 1..L, in layer order."""
    return GRADIENT_NORMS.check(fn)


EXERCISES = {e.name: e for e in (MLP_FORWARD, MLP_BACKWARD, LOSS_AND_GRADS, GRADIENT_NORMS)}
