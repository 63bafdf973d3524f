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

**Mistakes are recognised by their effect** (``Effect``, ``EffectCheck``; lessons 06 and 07 use the same
machinery from here): on every case the learner's output is the right one or the one the mistake gives
there, and on some case the mistake's, so a slip made in one branch, or written another way, is still
named. The effect is read from the output itself (the scores are the activation of the right scores;
dW is the right one over N; the gradients sit under the keys in reverse order), from an error a slip
makes the library raise (``linear_forward: X could not be turned into an array``: a pair's result not
unpacked), or, for wrong answers that may raise on some networks and not on others (a gradient not
passed on breaks the shapes unless all widths are equal), from the catalogued answer on the cases where
it gives numbers (``loose``). A run may also hand its detectors a diagnosis that is not compared with
the reference (``SIDE``: which methods a training step called, the losses it saw). ``FaultSpace``
builds the wrong answers of an exercise from independent switches, so that two slips made together
are named too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import reference
from ..validation import describe
from ..layers import ACTIVATIONS, linear_backward, linear_forward
from ..reference import gradient_norms, mlp_backward, mlp_forward, softmax, softmax_cross_entropy
from .core import Case, CheckResult, Exercise, Mistake, Raised, same_output

__all__ = ["check_mlp_forward", "check_mlp_backward", "check_loss_and_grads", "check_gradient_norms"]


# ====================================================================== recognising a mistake by its effect
#
# Lessons 05-07 share this machinery (lessons 06 and 07 import it from here; it is not in ``__all__``).

@dataclass(frozen=True)
class Effect(Mistake):
    """A classic mistake recognised by its effect on the outputs, however it was written.

    ``detect(got, want, cases)`` says whether the learner's outputs (a list, one per case) show it
    (``want``: the reference's); without ``detect``, the outputs must be, case by case, the right one or
    the one ``impl`` or one of ``variants`` gives, and that one on at least one case where it is wrong.
    ``impl`` is always a realistic wrong answer (the catalogue's tests run it). ``loose``: on a case
    where the mistake's own answers raise, any error of the learner's counts as the mistake's (see
    ``shown_case_by_case``)."""
    detect: Callable | None = None
    variants: tuple = ()
    loose: bool = False


def shown_case_by_case(got, want, theirs, rtol=1e-6, atol=1e-9, loose=False) -> bool:
    """On every case the output is right or one of ``theirs`` (lists of outputs), and on some case one of
    theirs that differs from the right one. ``loose``: on a case where one of theirs raises, any error
    of the learner's counts as theirs (a shape error is worded by whichever line meets it first)."""
    shown = False
    for i, (g, w) in enumerate(zip(got, want)):
        right = same_output(g, w, rtol, atol) and not isinstance(g, Raised)
        made = any(same_output(g, t[i], rtol, atol) and not same_output(t[i], w, rtol, atol)
                   for t in theirs)
        erred = loose and isinstance(g, Raised) and any(isinstance(t[i], Raised) for t in theirs)
        if not (right or made or erred):
            return False
        shown = shown or made
    return shown


def raised_matching(pattern):
    """A ``detect`` for an error whose text matches the regular expression ``pattern`` on some case."""
    regex = re.compile(pattern)

    def detect(got, want, cases):
        return any(isinstance(g, Raised) and regex.search(g.text) for g in got)
    return detect


#: the key under which a run hands its checks a diagnosis that is not compared with the reference (what
#: the function called, the values it saw ...): in a dict output, or as the last item of a tuple output
SIDE = "(diagnosis)"


def _without_side(output):
    if isinstance(output, dict) and SIDE in output:
        stripped = type(output)((k, v) for k, v in output.items() if k != SIDE)
        if hasattr(output, "error"):
            stripped.error = output.error
        return stripped
    if isinstance(output, (tuple, list)) and output and isinstance(output[-1], dict) \
            and set(output[-1]) == {SIDE}:
        rest = output[:-1]
        return rest[0] if len(rest) == 1 else type(output)(rest)
    return output


def side_of(output) -> dict:
    """The diagnosis a run put in ``output`` (an empty dict if none)."""
    if isinstance(output, dict) and isinstance(output.get(SIDE), dict):
        return output[SIDE]
    if isinstance(output, (tuple, list)) and output and isinstance(output[-1], dict) \
            and isinstance(output[-1].get(SIDE), dict):
        return output[-1][SIDE]
    return {}


class EffectCheck(Exercise):
    """An ``Exercise`` whose catalogue holds ``Effect``s (plain ``Mistake``s are matched as patterns).

    ``combine(got, want, cases, outputs_of)`` (optional) is asked when no single mistake explains the
    outputs: it may return a ``Mistake`` for two mistakes made together. A run may add a diagnosis to
    its output (under ``SIDE``): it is not compared with the reference's, only read by the detectors
    (which receive the whole outputs; patterns and the generic explanation see them without it)."""

    def __init__(self, *args, combine=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.combine = combine
        self._cases = None
        self._full = None

    def verdict(self, got, cases, outputs_of=None):
        self._cases = list(cases)
        memo = {}

        def full_outputs_of(fn):
            if id(fn) not in memo:
                memo[id(fn)] = (fn, outputs_of(fn) if outputs_of is not None else self.results(fn, cases))
            return memo[id(fn)][1]
        self._full = (got, full_outputs_of)
        return super().verdict([_without_side(g) for g in got], cases,
                               lambda fn: [_without_side(o) for o in full_outputs_of(fn)])

    def shows(self, mistake, got, want, outputs_of) -> bool:
        detect = getattr(mistake, "detect", None)
        if detect is not None:
            full_got, full_outputs_of = self._full
            try:
                return bool(detect(full_got, full_outputs_of(self.reference), self._cases))
            except Exception:  # noqa: BLE001 - a detector that cannot read the outputs does not apply
                return False
        theirs = [outputs_of(fn) for fn in (mistake.impl, *getattr(mistake, "variants", ()))]
        return shown_case_by_case(got, want, theirs, self.rtol, self.atol, getattr(mistake, "loose", False))

    def agreement(self, mistake, got, outputs_of) -> int:
        """On how many cases the learner's output is exactly what ``mistake`` (or one of its variants)
        gives: what decides between two catalogued answers that both explain the outputs."""
        theirs = [outputs_of(fn) for fn in (mistake.impl, *getattr(mistake, "variants", ()))]
        return max(sum(same_output(g, t, self.rtol, self.atol) for g, t in zip(got, outs)) for outs in theirs)

    def matching_mistake(self, got, want, outputs_of):
        for i, mistake in enumerate(self.mistakes):
            if self.shows(mistake, got, want, outputs_of):
                if getattr(mistake, "detect", None) is not None:
                    return mistake
                rivals = [m for m in self.mistakes[i + 1:] if getattr(m, "detect", None) is None
                          and self.shows(m, got, want, outputs_of)]
                return max([mistake, *rivals], key=lambda m: self.agreement(m, got, outputs_of))
        if self.combine is not None:
            return self.combine(got, want, self._cases, outputs_of, self.rtol, self.atol)
        return None


class FaultSpace:
    """Wrong answers built from independent faults: ``build(faults)`` returns the function that makes
    every fault of the frozenset ``faults``. ``faults`` lists ``(name, explanation)`` by priority.
    ``mistakes()`` gives one ``Effect`` per fault; ``combine`` (for ``EffectCheck``) names two faults made
    together, by the first of them, with both explanations."""

    def __init__(self, build, faults, *, compatible=lambda a, b: True):
        self.build = build
        self.faults = list(faults)
        self.explanations = dict(self.faults)
        self.compatible = compatible
        self._impls = {}

    def impl(self, *names):
        key = frozenset(names)
        if key not in self._impls:
            self._impls[key] = self.build(key)
        return self._impls[key]

    def mistakes(self, variants=None):
        """One ``Effect`` per fault; ``variants``: fault name -> tuples of keys of ``build`` that make
        the same fault another way (recognised under the fault's name)."""
        variants = variants or {}
        return [Effect(name, text, self.impl(name),
                       variants=tuple(self.impl(*keys) for keys in variants.get(name, ())))
                for name, text in self.faults]

    def combine(self, got, want, cases, outputs_of, rtol=1e-6, atol=1e-9):
        names = [name for name, _ in self.faults]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if not self.compatible(a, b):
                    continue
                if shown_case_by_case(got, want, [outputs_of(self.impl(a, b))], rtol, atol):
                    return Mistake(a, f"{self.explanations[a]} Also: {self.explanations[b]}", self.impl(a, b))
        return None


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


def _forward_last_layer_left_out(X, params, activation):
    act = ACTIVATIONS[activation]
    h, caches = X, []
    for l in range(1, _num_layers(params)):                  # 1 .. L-1
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act_cache = act.forward(h)
        caches.append((linear_cache, act_cache, act.backward))
    return h, caches


def _forward_activation_on_the_output_only(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l == L:                                           # the last layer instead of the others
            h, act_cache = act.forward(h)
    return h, caches


def _forward_every_layer_fed_X(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(X, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act.forward(h)
    return h, caches


def _forward_name_by_plus(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(h, params["W" + l], params["b" + l])   # l is a number
        if l < L:
            h, act_cache = act.forward(h)
    return h, caches


def _forward_true_division(X, params, activation):
    L = len(params) / 2                                      # a float
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
    return h, caches


def _name_by_plus(what, impl):
    return Effect("layer number added to a name as a number",
                  f"'W' + l fails when l is a number: Python does not add text and numbers. Build the {what} "
                  f"name with an f-string, f'W{{l}}', or 'W' + str(l).", impl,
                  detect=raised_matching(r"can only concatenate str \(not \"int\"\) to str"))


def _float_count(what, impl):
    return Effect("number of layers as a float",
                  f"len({what}) / 2 is a float (3.0), and range needs a whole number: count the layers with "
                  f"integer division, L = len({what}) // 2.", impl,
                  detect=raised_matching(r"'float' object cannot be interpreted as an integer"))


def _forward_return_in_loop(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act_cache = act.forward(h)
            caches.append((linear_cache, act_cache, act.backward))
        else:
            caches.append((linear_cache, None, None))
        return h, caches                                     # after the first layer


def _forward_fixed_activation(name):
    """An ``mlp_forward`` that uses the activation ``name`` whatever it is asked for."""
    def forward(X, params, activation):
        return reference.mlp_forward(X, params, name)
    return forward


_FORWARD_FIXED = {name: _forward_fixed_activation(name) for name in ("relu", "sigmoid", "tanh")}


def _forward_tuple_not_unpacked(X, params, activation):
    act = ACTIVATIONS[activation]
    L = _num_layers(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h = linear_forward(h, params[f"W{l}"], params[f"b{l}"])      # (out, cache): a tuple
        if l < L:
            h = act.forward(h)
    return h, caches


def _forward_name_called(X, params, activation):
    h, caches = X, []
    for l in range(1, _num_layers(params) + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < _num_layers(params):
            h, act_cache = activation(h)                             # a string
    return h, caches


def _forward_pair_called(X, params, activation):
    pairs = {name: (act.forward, act.backward) for name, act in ACTIVATIONS.items()}
    h, caches = X, []
    for l in range(1, _num_layers(params) + 1):
        h, linear_cache = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < _num_layers(params):
            h, act_cache = pairs[activation](h)                      # (forward, backward)
    return h, caches


def _forward_caches_first(X, params, activation):
    scores, caches = reference.mlp_forward(X, params, activation)
    return caches, scores


def _forward_scores_alone(X, params, activation):
    return reference.mlp_forward(X, params, activation)[0]


_ORDER_TEXT = "mlp_forward returned (caches, scores)"
_ALONE_TEXT = "mlp_forward returned the scores alone"


def _scores_only(fn, X, params, activation):
    out = fn(X, params, activation)
    if isinstance(out, np.ndarray):
        raise TypeError(f"{_ALONE_TEXT}; it must return two values, (scores, caches)")
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(f"mlp_forward must return two values, (scores, caches); it returned {describe(out)}")
    if isinstance(out[0], (list, tuple)) and isinstance(out[1], np.ndarray):
        raise TypeError(f"{_ORDER_TEXT}: the order is (scores, caches)")
    return out[0]


def _key_error(low):
    """A ``detect``: a KeyError for a parameter numbered 0 (``low``) or beyond the last layer."""
    def detect(got, want, cases):
        for g, case in zip(got, cases):
            found = re.search(r"KeyError: '[Wb](\d+)'", g.text) if isinstance(g, Raised) else None
            if found:
                k, L = int(found.group(1)), _num_layers(case.args[-2] if len(case.args) == 4 else case.args[1])
                return k == 0 if low else k > L
        return False
    return detect


def _scores_effect(transform):
    """A ``detect``: the scores are, case by case, right or ``transform(right_scores, case)``."""
    def detect(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if isinstance(g, Raised):
                return False
            if same_output(g, w, 1e-6, 1e-9):
                continue
            if not same_output(g, transform(np.asarray(w), case), 1e-6, 1e-9):
                return False
            shown = True
        return shown
    return detect


def _activated(scores, case):
    return ACTIVATIONS[case.args[2]].forward(scores)[0]


_NOT_UNPACKED = raised_matching(r"(linear|relu|sigmoid|tanh|leaky_relu)_forward: \w+ could not be turned into "
                                r"an array")

#: what is wrong with the caches (a phrase of ``_caches_problem``'s text) -> the mistake's name
_CACHE_MISTAKES = (("one entry too few", "output layer's cache entry missing"),
                   ("FORWARD function", "forward function cached instead of backward"),
                   ("reverse order", "caches in reverse order"),
                   ("caches made in ITS layer", "caches of the wrong layer"))


class _ForwardWithCaches(EffectCheck):
    """``mlp_forward``'s check: its scores, then, when they are right, the format of its caches, which
    the backward pass relies on (the grader, which sees the outputs only as data, judges the scores)."""

    def run(self, fn, *, seed=None):
        result = super().run(fn, seed=seed)
        if not result.passed or fn is self.reference:
            return result
        try:
            problem = _caches_problem(fn)
        except Exception as exc:  # noqa: BLE001 - the learner's caches may hold anything
            problem = f"reading them raised {type(exc).__name__}: {exc}"
        if problem is None:
            return result
        mistake = next((name for phrase, name in _CACHE_MISTAKES if phrase in problem),
                       "caches not in the format mlp_backward expects")
        message = (f"✘ mlp_forward: the scores are right, but the caches are not in the format "
                   f"mlp_backward expects: {problem}. Append (linear_cache, act_cache, act_backward) for "
                   f"each hidden layer and (linear_cache, None, None) for the output layer, in forward "
                   f"order.")
        return CheckResult(self.name, "wrong", message, mistake, hint=message)


MLP_FORWARD = _ForwardWithCaches(
    "mlp_forward", reference.mlp_forward,
    lambda rng=None: [Case(label, (X, params, act)) for label, X, params, act, _, _ in _net_cases(rng)],
    input_names=("X", "params", "activation"), outputs=("scores",), run=_name_hint(_scores_only),
    may_use=_FORWARD_PAIRS, same_as=_WHOLE_NETWORK,
    mistakes=[
        Effect("scores and caches returned in the wrong order", "it returned (caches, scores); the order "
               "is return scores, caches.", _forward_caches_first, detect=raised_matching(re.escape(_ORDER_TEXT))),
        Effect("caches not returned", "it returned the scores alone; mlp_forward must return two values, "
               "(scores, caches): the backward pass needs the caches.", _forward_scores_alone,
               detect=raised_matching(re.escape(_ALONE_TEXT))),
        Effect("forward pair's result not unpacked", "linear_forward and the activations' forward "
               "functions return TWO values, (out, cache): a tuple was passed on as if it were the "
               "array. Unpack both: h, linear_cache = linear_forward(h, W, b), then h, act_cache = "
               "act_forward(h).", _forward_tuple_not_unpacked, detect=_NOT_UNPACKED),
        Effect("activation name called as a function", "activation is a NAME, a string such as 'relu': "
               "it cannot be called. Look its pair up first: act_forward, act_backward = "
               "ACTIVATIONS[activation].", _forward_name_called,
               detect=raised_matching(r"'str' object is not callable")),
        Effect("activation pair called as a function", "ACTIVATIONS[activation] is a PAIR of functions, "
               "(forward, backward), and a pair cannot be called. Unpack it: act_forward, act_backward = "
               "ACTIVATIONS[activation], then h, act_cache = act_forward(h).", _forward_pair_called,
               detect=raised_matching(r"'tuple' object is not callable")),
        _name_by_plus("parameter", _forward_name_by_plus),
        _float_count("params", _forward_true_division),
        Effect("activation on the output layer", "the activation was also applied after the last "
               "layer. The scores are the last linear layer's output, with no activation.",
               _forward_activation_on_the_output, detect=_scores_effect(_activated)),
        Effect("hidden activation skipped", "there is no activation between the layers; without it "
               "the whole network collapses into one linear function. Apply it after every layer "
               "except the last.", _forward_without_activation),
        Effect("activation before the linear layer", "the activation was applied before each linear "
               "layer (to the input X first). Each hidden layer is h = act(h_prev @ W + b): linear "
               "first, then the activation.", _forward_activation_first),
        Effect("activation only after the last layer", "the activation was applied after the LAST layer "
               "and nowhere else: it belongs after every hidden layer (l < L), and the scores, the last "
               "layer's output, have none.", _forward_activation_on_the_output_only),
        Effect("return inside the loop", "only the first layer ran: the `return` is inside the loop over "
               "the layers, so the function ends after one layer. Return after the loop, when every layer "
               "has run.", _forward_return_in_loop, loose=True),
        Effect("last layer left out", "the loop stopped one layer early (range(1, L) gives 1 .. L-1): the "
               "last linear layer, which makes the scores, never ran. Loop over range(1, L + 1).",
               _forward_last_layer_left_out, loose=True),
        Effect("every layer fed X", "every layer was given X as its input; layer l takes the previous "
               "layer's output h (h = X only before the first layer).", _forward_every_layer_fed_X,
               loose=True),
        Effect("activation argument ignored", "the network used the same activation whatever the "
               "activation argument asked for: look it up from the argument, ACTIVATIONS[activation].",
               _FORWARD_FIXED["relu"], variants=(_FORWARD_FIXED["sigmoid"], _FORWARD_FIXED["tanh"])),
        Effect("layers numbered from 0", "the parameters are named from 1: W1, b1 belong to the first "
               "layer. Loop over l = 1..L (range(1, L + 1)).", _forward_layers_from_zero,
               detect=_key_error(low=True)),
        Effect("number of layers miscounted", "params holds two arrays per layer (W and b), so the "
               "number of layers is L = len(params) // 2.", _forward_len_params_layers,
               detect=_key_error(low=False)),
    ])


def _caches_problem(fn):
    """None if the reference backward gets the right gradients from ``fn``'s caches, else why not, in
    words that name the cause when the caches show it."""
    backwards = {act.backward for act in ACTIVATIONS.values()}
    forwards = {act.forward for act in ACTIVATIONS.values()}
    for case in MLP_FORWARD.cases():
        X, params, activation = case.args
        _, caches = fn(X, params, activation)
        L = _num_layers(params)
        if not isinstance(caches, list) or len(caches) != L:
            if isinstance(caches, list) and len(caches) == L - 1:
                return ("there is one entry too few: the output layer's entry is missing. Append "
                        "(linear_cache, None, None) after the last linear layer too")
            return f"caches should be a list with one entry per layer ({L} here), got {describe(caches)}"
        if any(not isinstance(entry, tuple) or len(entry) != 3 for entry in caches):
            return "each entry must be a tuple of three: (linear_cache, act_cache, act_backward)"
        if any(entry[2] in forwards for entry in caches):
            return ("an entry holds the activation's FORWARD function; the backward pass needs its "
                    "backward function, act_backward, in the third place")
        if any(entry[2] is not None and entry[2] not in backwards for entry in caches[:-1]) or \
                caches[-1][1:] != (None, None):
            return ("the output layer's entry must be (linear_cache, None, None), and each hidden layer's "
                    "third item its activation's backward function")
        _, ref_caches = mlp_forward(X, params, activation)
        dscores = np.ones((X.shape[0], params[f"W{L}"].shape[1]))
        want = mlp_backward(dscores, ref_caches, params)

        def right_with(entries):
            try:
                got = mlp_backward(dscores, entries, params)
                return all(np.allclose(got[k], want[k]) for k in want)
            except Exception:  # noqa: BLE001 - the caches may hold anything
                return False
        if right_with(caches):
            continue
        if L > 1 and right_with(caches[::-1]):
            return "the entries are in reverse order: caches[0] must belong to layer 1 (forward order)"
        try:
            mlp_backward(dscores, caches, params)
        except Exception as exc:  # noqa: BLE001 - the caches may hold anything
            return f"mlp_backward cannot use them ({type(exc).__name__}: {exc})"
        return ("with them mlp_backward computes wrong gradients: each entry must hold the caches "
                "made in ITS layer (that layer's linear_forward and activation), in forward order")
    return None


def check_mlp_forward(fn):
    """Check ``mlp_forward(X, params, activation) -> (scores, caches)`` by its scores; when they are
    right, also check that its caches have the format described above (so that the reference
    ``mlp_backward`` works with them)."""
    return MLP_FORWARD.check(fn)


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


def _backward_dout_never_reassigned(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dX, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)   # dout = dX missing
    return grads


def _backward_last_layer_skipped(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches) - 1, 0, -1):                 # starts at L-1
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_first_layer_skipped(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 1, -1):                     # stops at 2
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_none_called(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        dout = act_backward(dout, act_cache)                # None for the output layer
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_name_by_plus(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads["W" + l], grads["b" + l] = linear_backward(dout, linear_cache)
    return grads


def _backward_return_in_loop(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
        return grads                                        # after the last layer only


def _top_layer_only(g, w, case):
    L = _layers_of(case)
    return L > 1 and set(g) == {f"W{L}", f"b{L}"} and all(_close_arrays(g[k], w[k]) for k in g)


def _backward_cache_two_back(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 2]           # caches[-1] for l = 1
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_divided_by_n(dscores, caches, params):
    grads = reference.mlp_backward(dscores, caches, params)
    return {k: v / len(dscores) for k, v in grads.items()}


def _backward_keys_reversed(dscores, caches, params):
    grads, dout = {}, dscores
    for i, (linear_cache, act_cache, act_backward) in enumerate(reversed(caches)):
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{i + 1}"], grads[f"b{i + 1}"] = linear_backward(dout, linear_cache)
    return grads


def _backward_without_biases(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], _ = linear_backward(dout, linear_cache)
    return grads


def _backward_not_unpacked(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout = linear_backward(dout, linear_cache)                       # (dX, dW, db)
        grads[f"W{l}"], grads[f"b{l}"] = dout[1], dout[2]
    return grads


def _backward_caches_swapped(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        act_cache, linear_cache, act_backward = caches[l - 1]            # stored as (linear, act, ...)
        if act_backward is not None:
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, linear_cache)
    return grads


def _layers_of(case):
    return _num_layers(case.args[1])


def _grads_effect(test):
    """A ``detect`` on the grads dicts: on every case they are right or ``test(got, right, case)`` holds,
    and it holds on some case where they are wrong."""
    def detect(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if isinstance(g, Raised) or not isinstance(g, dict):
                return False
            if same_output(g, w, 1e-6, 1e-9):
                continue
            if not test(g, w, case):
                return False
            shown = True
        return shown
    return detect


def _close_arrays(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def _divided_by_n(g, w, case):
    n = len(case.args[0])
    return g.keys() == w.keys() and all(_close_arrays(g[k], w[k]) or _close_arrays(g[k], w[k] / n) for k in w)


def _keyed_from_zero(g, w, case):
    L = _layers_of(case)
    return g.keys() == {f"{p}{l}" for l in range(L) for p in "Wb"} and all(
        _close_arrays(g[f"{p}{l - 1}"], w[f"{p}{l}"]) for l in range(1, L + 1) for p in "Wb")


def _keyed_in_reverse(g, w, case):
    L = _layers_of(case)
    return g.keys() == w.keys() and all(_close_arrays(g[f"{p}{L + 1 - l}"], w[f"{p}{l}"])
                                        for l in range(1, L + 1) for p in "Wb")


def _last_layer_only(g, w, case):
    return 0 < len(g) < len(w) and set(g) <= {"W1", "b1"} and all(_close_arrays(g[k], w[k]) for k in g)


def _biases_missing(g, w, case):
    return set(g) == {k for k in w if k.startswith("W")} and all(_close_arrays(g[k], w[k]) for k in g)


_BACKWARD_MISTAKES = [
    Effect("linear_backward's result not unpacked", "linear_backward returns THREE values, (dX, dW, db): "
           "unpack them, dout, dW, db = linear_backward(dout, linear_cache), so that dX (the new dout) "
           "goes on down the chain.", _backward_not_unpacked,
           detect=raised_matching(r"_backward: dout could not be turned into an array")),
    Effect("activation backward called for the output layer", "the output layer has no activation: its "
           "entry is (linear_cache, None, None), and None cannot be called. Undo the activation only when "
           "there is one: if act_backward is not None: dout = act_backward(dout, act_cache).",
           _backward_none_called, detect=raised_matching(r"'NoneType' object is not callable")),
    _name_by_plus("gradient", _backward_name_by_plus),
    Effect("caches unpacked in the wrong order", "a piece's backward got another piece's cache: each "
           "backward needs the cache its own forward returned. Unpack each entry in the order it was "
           "stored: linear_cache, act_cache, act_backward = caches[l - 1].", _backward_caches_swapped,
           detect=raised_matching(r"_backward: cache must be the \w+ returned by \w+, got")),
    Effect("backward through the layers in forward order", "the layers were visited in forward "
           "order. The chain rule runs backwards: dscores first enters the LAST layer, and each "
           "layer's dX is the upstream gradient of the layer before it (for l = L, L-1, ..., 1).",
           _backward_in_forward_order, loose=True),
    Effect("activation backward skipped", "the activations' backward was skipped: before a hidden "
           "layer's linear backward, the upstream gradient must go through that layer's "
           "activation backward (act_backward(dout, act_cache)).", _backward_without_activation),
    Effect("upstream gradient not passed on", "every layer received dscores (or what the activations made "
           "of it), never the dX of the layer after it. Each layer must receive the gradient coming from "
           "the layer after it: set dout = dX after each linear backward (dout, dW, db = "
           "linear_backward(dout, linear_cache) does it).", _backward_upstream_not_passed_on,
           variants=(_backward_dout_never_reassigned,), loose=True),
    Effect("dX and dW swapped when unpacking", "linear_backward returns (dX, dW, db) in that order; "
           "unpacking it as dW, dX, db stores the input's gradient as dW and passes dW down the chain.",
           _backward_dX_and_dW_swapped, loose=True),
    Effect("activation backward after the linear backward", "the activation's backward was applied "
           "after the linear backward of the same layer. Going backwards through a hidden layer "
           "h = act(h_prev @ W + b), undo the activation first, then the linear part.",
           _backward_activation_after_linear, loose=True),
    Effect("caches of the wrong layer", "a layer used another layer's cache. caches[0] belongs to "
           "layer 1, so layer l's cache is caches[l - 1].", _backward_cache_of_the_next_layer,
           variants=(_backward_cache_two_back,), loose=True),
    Effect("a layer left out of the loop", "the loop over the layers missed one (its gradients are not "
           "in grads): range(L, 0, -1) visits every layer, L, L-1, ..., 1.", _backward_last_layer_skipped,
           variants=(_backward_first_layer_skipped,), loose=True),
    Effect("grads keyed from 0", "the gradients are keyed from 0; they must use the keys of params, "
           "W1, b1, ..., WL, bL.", _backward_keys_from_zero, detect=_grads_effect(_keyed_from_zero)),
    Effect("grads keyed in reverse order", "the gradients are right but under the wrong names: the "
           "first layer visited is the LAST one, layer L, so its gradients are W{L} and b{L}. Name them "
           "by the layer's number (l = L, L-1, ..., 1), not by the visiting order.", _backward_keys_reversed,
           detect=_grads_effect(_keyed_in_reverse)),
    Effect("return inside the loop", "grads holds the last layer's gradients only: the `return` is inside "
           "the loop over the layers, so the function ends after the first layer it visits. Return after "
           "the loop.", _backward_return_in_loop, detect=_grads_effect(_top_layer_only)),
    Effect("grads dict rebuilt in every layer", "only the last visited layer's gradients are in "
           "grads: create the dict once, before the loop, and add each layer's dW and db to it.",
           _backward_dict_per_layer, detect=_grads_effect(_last_layer_only)),
    Effect("bias gradients missing", "grads holds the weights' gradients only: store db too, under "
           "b1, ..., bL (linear_backward returns it as its third value).", _backward_without_biases,
           detect=_grads_effect(_biases_missing)),
    Effect("gradients divided by N again", "some gradients are N times too small: dscores already "
           "carries the 1/N of the mean loss, so dW = h_prev.T @ dz and db = dz.sum(axis=0) must not be "
           "divided by N again.", _backward_divided_by_n, detect=_grads_effect(_divided_by_n)),
]

#: every backward of the course's own (the reference, the catalogue's answers): they read the caches in
#: the format of ``reference.mlp_forward``
_OWN_BACKWARDS = {reference.mlp_backward, *(m.impl for m in _BACKWARD_MISTAKES),
                  *(v for m in _BACKWARD_MISTAKES for v in m.variants)}


def _backward_cases(rng=None):
    return [Case(label, (X, params, act, dscores))
            for label, X, params, act, _, dscores in _net_cases(rng)]


def _backward_run(forward):
    """Run a backward on the caches of ``forward``; the reference and the catalogue's mistakes, which
    read the caches in the format of ``reference.mlp_forward``, always get the reference's caches."""
    def run(fn, X, params, activation, dscores):
        own = fn in _OWN_BACKWARDS
        _, caches = (reference.mlp_forward if own else forward)(X, params, activation)
        return fn(dscores, caches, params)
    return run


def _backward_exercise(forward):
    return EffectCheck("mlp_backward", reference.mlp_backward, _backward_cases,
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


def _loss_fixed_activation(name):
    def loss_and_grads(X, y, params, activation="relu"):
        return reference.loss_and_grads(X, y, params, name)
    return loss_and_grads


_LOSS_FIXED = {name: _loss_fixed_activation(name) for name in ("sigmoid", "tanh")}


def _loss_without_activation(X, y, params, activation="relu"):
    def forward(X, params, activation):
        return mlp_forward(X, params, activation)
    scores, caches = forward(X, params)                     # the activation is missing
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def _backward_from_the_scores(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(scores, caches, params)       # the scores instead of dscores


def _loss_arguments_swapped(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(y, scores)
    return loss, mlp_backward(dscores, caches, params)


def _loss_grads_over_n(X, y, params, activation="relu"):
    loss, grads = reference.loss_and_grads(X, y, params, activation)
    return loss, {k: g / len(X) for k, g in grads.items()}


def _loss_swapped(X, y, params, activation="relu"):
    loss, grads = reference.loss_and_grads(X, y, params, activation)
    return grads, loss


def _loss_effect(test):
    """A ``detect``: on every case the output is right or ``test(got, right, case)`` holds, and it holds
    on some case where the output is wrong."""
    def detect(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if isinstance(g, Raised):
                return False
            if same_output(g, w, 1e-6, 1e-9):
                continue
            if not test(g, w, case):
                return False
            shown = True
        return shown
    return detect


def _swapped_outputs(g, w, case):
    return isinstance(g, (tuple, list)) and len(g) == 2 and same_output((g[1], g[0]), w, 1e-6, 1e-9)


def _right_loss_and(g, w, grads):
    return (isinstance(g, (tuple, list)) and len(g) == 2 and same_output(g[0], w[0], 1e-6, 1e-9)
            and same_output(g[1], grads, 1e-6, 1e-9))


def _from_scores(g, w, case):
    X, y, params, activation = case.args
    scores, caches = mlp_forward(X, params, activation)
    return _right_loss_and(g, w, mlp_backward(scores, caches, params))


def _over_n(g, w, case):
    n = len(case.args[0])
    return isinstance(g, (tuple, list)) and len(g) == 2 and isinstance(g[1], dict) and \
        same_output(g[0], w[0], 1e-6, 1e-9) and g[1].keys() == w[1].keys() and \
        all(_close_arrays(g[1][k], w[1][k]) or _close_arrays(g[1][k], w[1][k] / n) for k in w[1])


LOSS_AND_GRADS = EffectCheck(
    "loss_and_grads", reference.loss_and_grads,
    lambda rng=None: [Case(label, (X, y, params, act)) for label, X, params, act, y, _ in _net_cases(rng)],
    input_names=("X", "y", "params", "activation"), outputs=("loss", "grads"), run=_name_hint(),
    may_use=("reference.mlp_forward", "reference.mlp_backward", "losses.softmax_cross_entropy",
             "losses.softmax", "reference.softmax", *_FORWARD_PAIRS, *_BACKWARD_PAIRS),
    same_as=_WHOLE_NETWORK,
    mistakes=[
        Effect("loss and grads returned in the wrong order", "it returned (grads, loss); the order is "
               "return loss, grads.", _loss_swapped, detect=_loss_effect(_swapped_outputs)),
        Effect("softmax applied twice", "the scores went through softmax before the loss, which "
               "applies softmax itself. Pass the raw scores to softmax_cross_entropy.",
               _loss_of_the_probabilities),
        Effect("arguments of softmax_cross_entropy swapped", "softmax_cross_entropy received the labels "
               "where the scores belong: its arguments are (scores, y), in that order.", _loss_arguments_swapped,
               detect=raised_matching(r"softmax_cross_entropy: scores must hold floating-point numbers.*got "
                                      r"dtype u?int|axis 1 is out of bounds for array of dimension 1")),
        Effect("activation not passed on", "the network ran with one activation whatever the activation "
               "argument asked for: pass the activation argument on to mlp_forward(X, params, activation).",
               _loss_always_relu, variants=(_LOSS_FIXED["sigmoid"], _LOSS_FIXED["tanh"])),
        Effect("activation argument left out", "mlp_forward was called without the activation: pass it "
               "on, mlp_forward(X, params, activation).", _loss_without_activation,
               detect=raised_matching(r"missing 1 required positional argument: 'activation'")),
        Effect("scores passed where dscores belongs", "the backward pass was started from the scores. It "
               "starts from the loss's gradient with respect to the scores, dscores, the second value "
               "softmax_cross_entropy returns: loss, dscores = softmax_cross_entropy(scores, y).",
               _backward_from_the_scores, detect=_loss_effect(_from_scores)),
        Effect("backward started from the loss value", "the backward pass was started from the loss "
               "(a number). It starts from the loss's gradient with respect to the scores, dscores, "
               "the second value softmax_cross_entropy returns.", _backward_from_the_loss, loose=True),
        Effect("gradients divided by N again", "the gradients are N times too small: dscores, from "
               "softmax_cross_entropy, already carries the 1/N of the mean loss, and every gradient "
               "inherits it. Do not divide by N again.", _loss_grads_over_n, detect=_loss_effect(_over_n)),
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


def _norms_with_bias_inside(grads):
    L = len(grads) // 2
    return np.array([np.sqrt(np.sum(grads[f"W{l}"] ** 2) + np.sum(grads[f"b{l}"] ** 2))
                     for l in range(1, L + 1)])


def _norms_of_absolute_values(grads):
    L = len(grads) // 2
    return np.array([np.sum(np.abs(grads[f"W{l}"])) for l in range(1, L + 1)])


def _norms_root_mean_square(grads):
    L = len(grads) // 2
    return np.array([np.sqrt(np.mean(grads[f"W{l}"] ** 2)) for l in range(1, L + 1)])


def _norms_from_zero(grads):
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(len(grads) // 2)])


def _norms_len_grads(grads):
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, len(grads) + 1)])


def _norms_name_by_plus(grads):
    return np.array([np.linalg.norm(grads["W" + l]) for l in range(1, len(grads) // 2 + 1)])


def _norms_true_division(grads):
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, len(grads) / 2 + 1)])


def _norm_key_error(low):
    def detect(got, want, cases):
        for g, case in zip(got, cases):
            found = re.search(r"KeyError: 'W(\d+)'", g.text) if isinstance(g, Raised) else None
            if found:
                k = int(found.group(1))
                return k == 0 if low else k > len(case.args[0]) // 2
        return False
    return detect


GRADIENT_NORMS = EffectCheck(
    "gradient_norms", reference.gradient_norms, _norm_cases, input_names=("grads",), outputs=("norms",),
    run=_name_hint(), may_use=(),
    mistakes=[
        Effect("layers sorted as text", "the layers came out in text order (W1, W10, W11, W12, W2, "
               "...): sorting the names compares them as strings. Go by number: grads[f'W{l}'] for "
               "l = 1..L.", _norms_of_sorted_names),
        Effect("biases included", "the biases' norms are in the list too; only the weights' "
               "gradients dW1, ..., dWL are asked for (one number per layer).", _norms_with_biases),
        Effect("bias inside the norm", "each layer's number included its bias gradient; the norm asked for "
               "is the weights' alone, ||dW_l|| = sqrt(sum of dW_l**2).", _norms_with_bias_inside),
        Effect("squared norm", "that is the sum of squares; the norm is its square root: "
               "np.sqrt(np.sum(dW**2)), or np.linalg.norm(dW).", _squared_norms),
        Effect("sum of absolute values instead of the norm", "that is the sum of |dW| (the L1 norm); the "
               "norm asked for is the square root of the sum of SQUARES: np.sqrt(np.sum(dW**2)).",
               _norms_of_absolute_values),
        Effect("mean instead of sum inside the norm", "the squares were averaged (np.mean); the norm "
               "SUMS them: np.sqrt(np.sum(dW**2)).", _norms_root_mean_square),
        _name_by_plus("gradient", _norms_name_by_plus),
        _float_count("grads", _norms_true_division),
        Effect("layers numbered from 0", "the gradients are named from 1: dW1 belongs to the first layer. "
               "Loop over l = 1..L (range(1, L + 1)).", _norms_from_zero, detect=_norm_key_error(low=True)),
        Effect("number of layers miscounted", "grads holds two arrays per layer (dW and db), so the "
               "number of layers is L = len(grads) // 2.", _norms_len_grads, detect=_norm_key_error(low=False)),
    ])


def check_gradient_norms(fn):
    """Check ``gradient_norms(grads) -> array (L,)`` of ``||dW_l||`` for l = 1..L, in layer order."""
    return GRADIENT_NORMS.check(fn)


EXERCISES = {e.name: e for e in (MLP_FORWARD, MLP_BACKWARD, LOSS_AND_GRADS, GRADIENT_NORMS)}
