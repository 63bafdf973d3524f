"""Checks for lesson 11, training deep networks: initialisation, L2 regularisation, inverted dropout and
batch normalisation as a layer.

A catalogued mistake here is recognised by its **effect across the cases**: on every case the learner's
output is either the right one or the one the mistake gives there, and on at least one case it is the
mistake's. So a mistake made in one branch only (He right, Xavier wrong; the running mean updated
right, the running variance not) is still named, and a ``Pattern`` lists the other ways the same
mistake is usually made (``variants``), each recognised under the same name; a ``Pattern`` with
``raises`` is also recognised by the error it makes the check raise on a case (an input changed in
place, no mask returned in evaluation mode), and the verdict quotes that error.

Dropout is random, and a learner may draw the mask in any correct way (``rng.random(...) >= p``,
``rng.random(...) < 1 - p``, ``rng.binomial(...)``). Its check therefore compares what does not depend
on the draw: the share of units kept on a large batch (rounded to 0.1, many standard deviations
apart), the factor of the kept units, whether the returned mask is the one that was applied, whether
evaluation mode is the identity, and whether two calls with generators seeded alike agree.

The course's own answers and the package's layers that compute the same thing are refused by the
check's watch (``same_as``); no package function is handed over (``may_use=()``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .. import reference
from .core import Case, Exercise, Mistake, Raised, learner_run, same_output

__all__ = ["check_init_std", "check_l2_loss_and_grad", "check_inverted_dropout_forward",
           "check_inverted_dropout_backward", "check_batchnorm_layer_forward"]

RTOL, ATOL = 1e-6, 1e-9


# =========================================================================== the machinery

@dataclass(frozen=True)
class Pattern(Mistake):
    """A classic mistake recognised by its effect: ``impl`` and each of ``variants`` make it (alone, in
    one branch, or with its usual companion); the learner's output must be, on every case, the right
    one or one of theirs, and on some case one of theirs where that differs from the right one.
    ``raises(text, case)``: an error (its text, on that case) that shows the mistake too."""
    variants: tuple = ()
    raises: Callable | None = None


class EffectExercise(Exercise):
    """An ``Exercise`` whose catalogue is matched case by case (see ``Pattern``). A mistake recognised by
    the error it raised is named with that error's text."""

    def verdict(self, got, cases, outputs_of=None):
        self._cases = list(cases)
        try:
            result = super().verdict(got, cases, outputs_of)
        finally:
            self._cases = None
        mistake = next((m for m in self.mistakes if m.name == result.mistake), None)
        raises = getattr(mistake, "raises", None)
        seen = next((g.text.split(": ", 1)[-1] for g, c in zip(got, cases) if isinstance(g, Raised) and raises
                     and raises(g.text, c)), None) if raises else None
        if seen:
            note = f"\n  The check saw: {seen}"          # names an argument, never a case's values
            result = replace(result, message=result.message + note, hint=(result.hint or "") + note)
        return result

    def matching_mistake(self, got, want, outputs_of):
        for mistake in self.mistakes:
            theirs = [outputs_of(fn) for fn in (mistake.impl, *getattr(mistake, "variants", ()))]
            shown = False
            raises = getattr(mistake, "raises", None)
            cases = getattr(self, "_cases", None) or [None] * len(got)
            for i, (g, w) in enumerate(zip(got, want)):
                right = same_output(g, w, self.rtol, self.atol)
                made = any(same_output(g, t[i], self.rtol, self.atol)
                           and not same_output(t[i], w, self.rtol, self.atol) for t in theirs) or (
                    raises is not None and isinstance(g, Raised) and bool(raises(g.text, cases[i])))
                if not (right or made):
                    break
                shown = shown or made
            else:
                if shown:
                    return mistake
        return None


def _existing(*dotted):
    """The dotted names (under ``backprop_helpers``) that this version of the package defines."""
    import importlib
    found = []
    for name in dotted:
        module, _, attr = name.rpartition(".")
        try:
            obj = importlib.import_module(f"backprop_helpers.{module.split('.')[0]}")
        except ImportError:
            continue
        ok = True
        for part in module.split(".")[1:] + [attr]:
            obj = getattr(obj, part, None)
            ok = ok and obj is not None
        if ok:
            found.append(name)
    return tuple(found)


def _in_place(name, explanation, impl):
    """The mistake of changing an input array in place: recognised by the check's error for it."""
    return Pattern(name, explanation, impl, raises=lambda text, case: " in place" in text and "changed" in text)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's."""
    return rng if rng is not None else np.random.default_rng(seed)


def _away_from_zero(r, shape, low=0.5, high=2.0):
    """Values of both signs whose size is in [low, high]: no entry is 0, so a zero means dropped."""
    return r.uniform(low, high, shape) * r.choice([-1.0, 1.0], shape)


# =========================================================================== init_std

def _init_cases(rng=None):
    r = rng

    def fans(fixed, low=2, high=600):
        if r is None:
            return fixed
        fan_in, fan_out = (int(v) for v in r.integers(low, high, 2))
        return fan_in, fan_out + (fan_out == fan_in)            # keep the two fans different
    square = 64 if r is None else int(r.integers(8, 300))
    return [Case("He 256 -> 128", ("he", *fans((256, 128)))),
            Case("Xavier 256 -> 128", ("xavier", *fans((256, 128)))),
            Case("He 3 -> 50", ("he", *fans((3, 50), 2, 10))),
            Case("Xavier 50 -> 3", ("xavier", *fans((50, 3), 2, 10))),
            Case("Xavier on a square layer", ("xavier", square, square)),
            Case("He with fan_in 2 (std exactly 1)", ("he", 2, 7))]


def _init_with(he, xavier):
    """An ``init_std`` computing ``he(fan_in, fan_out)`` and ``xavier(fan_in, fan_out)``."""
    def init_std(scheme, fan_in, fan_out):
        return float(he(fan_in, fan_out) if scheme == "he" else xavier(fan_in, fan_out))
    return init_std


def _he(i, o):
    return np.sqrt(2.0 / i)


def _xavier(i, o):
    return np.sqrt(2.0 / (i + o))


INIT_STD = EffectExercise(
    "init_std", reference.init_std, _init_cases, outputs=("std",), input_names=("scheme", "fan_in", "fan_out"),
    run=learner_run("init_std", ("scheme", "fan_in", "fan_out")), may_use=(),
    same_as=_existing("network.init_scale"), rtol=RTOL, atol=ATOL,
    mistakes=[
        Pattern("variance instead of standard deviation",
                "it returned the variance of the weights, not their standard deviation: the derivation gives "
                "Var(w) (2 / fan_in for He, 2 / (fan_in + fan_out) for Xavier), and the weights are drawn as "
                "standard_normal * std, so take the square root.",
                _init_with(lambda i, o: 2.0 / i, lambda i, o: 2.0 / (i + o)),
                variants=(_init_with(lambda i, o: 2.0 / i, _xavier), _init_with(_he, lambda i, o: 2.0 / (i + o)))),
        Pattern("He without its factor 2",
                "He's std came out as sqrt(1 / fan_in) (LeCun's). A ReLU zeroes the negative half of its input, "
                "so E[h**2] = Var(z) / 2: keeping Var(z) constant needs fan_in * Var(w) / 2 = 1, "
                "Var(w) = 2 / fan_in.", _init_with(lambda i, o: np.sqrt(1.0 / i), _xavier)),
        Pattern("He with fan_out",
                "He's std used fan_out. Going forward, each unit z sums fan_in products h * w, so "
                "Var(z) = fan_in * Var(w) * E[h**2]: He's variance is 2 / fan_in (W has shape (fan_in, fan_out)).",
                _init_with(lambda i, o: np.sqrt(2.0 / o), _xavier)),
        Pattern("schemes swapped",
                "the two schemes are swapped: He (for ReLU) is sqrt(2 / fan_in), Xavier (for tanh and "
                "sigmoid) sqrt(2 / (fan_in + fan_out)).", _init_with(_xavier, _he),
                variants=(_init_with(_xavier, _xavier), _init_with(_he, _he))),
        Pattern("Xavier without its factor 2",
                "Xavier's std came out as sqrt(1 / (fan_in + fan_out)). The forward pass asks for "
                "Var(w) = 1 / fan_in, the backward pass for 1 / fan_out; Xavier takes the harmonic compromise "
                "1 / ((fan_in + fan_out) / 2) = 2 / (fan_in + fan_out).",
                _init_with(_he, lambda i, o: np.sqrt(1.0 / (i + o)))),
        Pattern("Xavier from fan_in alone",
                "Xavier's std used fan_in alone (sqrt(1 / fan_in) is LeCun's rule, which keeps only the "
                "forward pass steady). Xavier balances both passes: Var(w) = 2 / (fan_in + fan_out).",
                _init_with(_he, lambda i, o: np.sqrt(1.0 / i))),
        Pattern("LeCun's 1/sqrt(fan_in) for both schemes",
                "both schemes returned sqrt(1 / fan_in), LeCun's rule, which keeps only the forward pass steady "
                "for units that pass their input on (tanh near 0). A ReLU keeps half of the second moment, so "
                "He doubles the variance: sqrt(2 / fan_in); Xavier also balances the backward pass: "
                "sqrt(2 / (fan_in + fan_out)).",
                _init_with(lambda i, o: np.sqrt(1.0 / i), lambda i, o: np.sqrt(1.0 / i))),
        Pattern("uniform limit instead of standard deviation",
                "it returned sqrt(6 / ...), the LIMIT a of the uniform distribution U(-a, a) with the right "
                "variance (a**2 / 3 = Var(w)). The lesson draws normal weights, standard_normal * std, so "
                "return the std itself: sqrt(2 / fan_in) or sqrt(2 / (fan_in + fan_out)).",
                _init_with(lambda i, o: np.sqrt(6.0 / i), lambda i, o: np.sqrt(6.0 / (i + o))),
                variants=(_init_with(_he, lambda i, o: np.sqrt(6.0 / (i + o))),
                          _init_with(lambda i, o: np.sqrt(6.0 / i), _xavier))),
        Pattern("square root of part of the fraction",
                "the square root was taken of only part of the fraction (sqrt(2) / fan_in, or "
                "2 / sqrt(fan_in)): the std is the square root of the whole variance, sqrt(2 / fan_in) for He "
                "and sqrt(2 / (fan_in + fan_out)) for Xavier, e.g. np.sqrt(2.0 / fan_in).",
                _init_with(lambda i, o: np.sqrt(2.0) / i, lambda i, o: np.sqrt(2.0) / (i + o)),
                variants=(_init_with(lambda i, o: 2.0 / np.sqrt(i), lambda i, o: 2.0 / np.sqrt(i + o)),)),
        Pattern("Xavier from fan_out alone",
                "Xavier's std used fan_out alone (sqrt(1 / fan_out) keeps only the backward pass steady). "
                "Xavier balances both passes: Var(w) = 2 / (fan_in + fan_out).",
                _init_with(_he, lambda i, o: np.sqrt(1.0 / o)),
                variants=(_init_with(_he, lambda i, o: np.sqrt(2.0 / o)),)),
        Pattern("Xavier with the product of the fans",
                "Xavier's std used fan_in * fan_out: its variance is 2 over the SUM of the fans, "
                "2 / (fan_in + fan_out) (the compromise between 1/fan_in and 1/fan_out).",
                _init_with(_he, lambda i, o: np.sqrt(2.0 / (i * o)))),
    ])


def check_init_std(fn):
    """Check ``init_std(scheme, fan_in, fan_out) -> float``: He ``sqrt(2 / fan_in)`` for ``"he"``,
    Xavier ``sqrt(2 / (fan_in + fan_out))`` for ``"xavier"``."""
    return INIT_STD.check(fn)


# =========================================================================== l2_loss_and_grad

def _l2_cases(rng=None):
    r = _source(rng, 110)

    def layers(*sizes, bn=False):
        params = {}
        for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
            params[f"W{l}"] = r.standard_normal((i, o))
            params[f"b{l}"] = _away_from_zero(r, o, 0.2, 1.0)
            if bn and l < len(sizes) - 1:
                params[f"gamma{l}"] = 1.0 + 0.3 * r.standard_normal(o)
                params[f"beta{l}"] = _away_from_zero(r, o, 0.2, 1.0)
        return params
    big = layers(3, 2)
    big["W1"] = big["W1"] * 10
    return [Case("two layers 3-4-2 (reg 0.1)", (layers(3, 4, 2), 0.1)),
            Case("square weights 4-4-4-2 (reg 0.001)", (layers(4, 4, 4, 2), 1e-3)),
            Case("with gamma1 and beta1 2-5-3 (reg 0.5)", (layers(2, 5, 3, bn=True), 0.5)),
            Case("no penalty 3-3-2 (reg 0)", (layers(3, 3, 2), 0.0)),
            Case("one layer of large weights (reg 2)", (big, 2.0))]


def _l2_run(fn, params, reg):
    before = {k: np.array(v, copy=True) for k, v in params.items()}
    try:
        out = fn(params, reg)
    except NameError as exc:
        raise NameError(f"{exc}. Every name must get a value before it is used; if it is the name on "
                        f"the function's return line, your code has to set it") from None
    for key, value in before.items():
        if key not in params or not np.array_equal(params[key], value):
            raise ValueError(f"l2_loss_and_grad changed params[{key!r}] in place: the gradient must be a "
                             f"new array (reg * W makes one; grads[k] = params[k] followed by *= changes "
                             f"the network's weights themselves)")
    return out


def _l2_with(*, loss_keys="W", grad_keys="W", loss_term=None, grad_term=None, half=0.5, zero_others=True,
             zero=np.zeros_like):
    """An ``l2_loss_and_grad`` with its pieces changed: which parameters enter the loss and the gradient
    (``"W"``: the weights; ``"all"``; ``"not b"``: every name not starting with b), the loss's term per
    weight and the gradient's, the factor in front of the loss."""
    def picks(which, name):
        return {"W": name.startswith("W"), "all": True, "not b": not name.startswith("b"),
                "none": False}[which]

    def l2_loss_and_grad(params, reg):
        loss, grads = 0.0, {}
        for name, value in params.items():
            if picks(loss_keys, name):
                loss += half * reg * (loss_term(value) if loss_term else float(np.sum(value ** 2)))
            if picks(grad_keys, name):
                grads[name] = grad_term(value, reg) if grad_term else reg * value
            elif zero_others:
                grads[name] = zero(value)
        return loss, grads
    return l2_loss_and_grad


def _l2_swapped(params, reg):
    loss, grads = reference.l2_loss_and_grad(params, reg)
    return grads, loss


def _l2_scaling_in_place(params, reg):
    loss, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * reg * float(np.sum(value ** 2))
            grads[name] = value
            grads[name] *= reg
        else:
            grads[name] = np.zeros_like(value)
    return loss, grads


L2_LOSS_AND_GRAD = EffectExercise(
    "l2_loss_and_grad", reference.l2_loss_and_grad, _l2_cases, outputs=("reg_loss", "reg_grads"),
    input_names=("params", "reg"), run=_l2_run, may_use=(), rtol=RTOL, atol=ATOL,
    same_as=_existing("network.MLP.regularization_loss", "network.MLP.regularization_gradient"),
    mistakes=[
        Pattern("biases regularised",
                "parameters other than the weights were regularised (the biases, or batch normalisation's "
                "gamma and beta). Only the weights W1, W2, ... are: a bias shifts a unit's input without "
                "scaling anything, and pulling it towards 0 only moves the boundaries; gamma is batch "
                "normalisation's own scale. Their share of reg_grads is zeros, and they stay out of the loss.",
                _l2_with(loss_keys="all", grad_keys="all"),
                variants=(_l2_with(loss_keys="all"), _l2_with(grad_keys="all"),
                          _l2_with(loss_keys="not b", grad_keys="not b"))),
        Pattern("factor 0.5 forgotten: dW = 2 * reg * W",
                "dW is 2 * reg * W: that is the gradient of reg * sum(W**2), without the 0.5. The penalty is "
                "0.5 * reg * sum(W**2), whose gradient is reg * W (the 0.5 is there to cancel the 2).",
                _l2_with(half=1.0, grad_term=lambda W, reg: 2 * reg * W),
                variants=(_l2_with(grad_term=lambda W, reg: 2 * reg * W),)),
        Pattern("factor 0.5 forgotten in the loss",
                "the loss is reg * sum(W**2), twice the penalty, while the gradient is reg * W: the two no "
                "longer belong together (a gradient check of the regularised loss would fail). The penalty "
                "is 0.5 * reg * sum(W**2).", _l2_with(half=1.0)),
        Pattern("loss regularised but not the gradient",
                "the loss has the penalty but reg_grads has no reg * W: the optimizer, which only sees the "
                "gradients, would never shrink the weights. Every weight's share is reg * W.",
                _l2_with(grad_keys="none"),
                variants=(_l2_with(grad_keys="none", zero_others=False),)),
        Pattern("gradient regularised but not the loss",
                "reg_loss is 0 although reg_grads holds reg * W: the penalty 0.5 * reg * sum(W**2) must be "
                "in the loss too, or the reported loss is not the function being minimised.",
                _l2_with(loss_keys="none")),
        Pattern("norm instead of squared norm",
                "the loss used the norm of each W, sqrt(sum(W**2)) (np.linalg.norm), where the penalty "
                "uses its square, sum(W**2): 0.5 * reg * sum(W**2).",
                _l2_with(loss_term=lambda W: float(np.linalg.norm(W)))),
        Pattern("mean instead of sum",
                "the penalty averaged the squares of each W (np.mean) instead of adding them up: "
                "0.5 * reg * sum(W**2), every weight counted once.",
                _l2_with(loss_term=lambda W: float(np.mean(W ** 2))),
                variants=(_l2_with(loss_term=lambda W: float(np.mean(W ** 2)),
                                   grad_term=lambda W, reg: reg * W / W.size),)),
        Pattern("only the weights in reg_grads",
                "reg_grads has only the weights' keys. It must have every key of params (its entries are "
                "added to the network's gradients key by key); the other parameters' share is zeros, "
                "np.zeros_like(b).", _l2_with(zero_others=False)),
        Pattern("L1 penalty instead of L2",
                "the penalty (or its gradient) is L1's, reg * sum(|W|) with gradient reg * sign(W). This "
                "exercise is L2: 0.5 * reg * sum(W**2), whose gradient is reg * W.",
                _l2_with(loss_term=lambda W: 2.0 * float(np.sum(np.abs(W))), grad_term=lambda W, reg: reg * np.sign(W)),
                variants=(_l2_with(loss_term=lambda W: float(np.sum(np.abs(W)))),
                          _l2_with(loss_term=lambda W: 2.0 * float(np.sum(np.abs(W)))),
                          _l2_with(grad_term=lambda W, reg: reg * np.sign(W)),
                          _l2_with(loss_term=lambda W: float(np.sum(np.abs(W))),
                                   grad_term=lambda W, reg: reg * np.sign(W)))),
        Pattern("outputs in the wrong order",
                "the two results came back in the wrong order: return reg_loss, reg_grads (the number first, "
                "then the dict).", _l2_swapped),
        Pattern("square of the sum instead of the sum of squares",
                "the penalty squared the sum of each W's entries, (sum W)**2, where it adds up the squares "
                "of the entries, sum(W**2): 0.5 * reg * np.sum(W ** 2).",
                _l2_with(loss_term=lambda W: float(np.sum(W)) ** 2)),
        Pattern("a plain 0 for the other parameters",
                "reg_grads holds the number 0 for the parameters that are not weights; each entry must have "
                "the shape of its parameter (it is added to that parameter's gradient): np.zeros_like(b).",
                _l2_with(zero=lambda value: 0.0), variants=(_l2_with(zero=lambda value: 0),)),
        Pattern("gradient with the 0.5: dW = 0.5 * reg * W",
                "dW is 0.5 * reg * W: the 0.5 of the penalty was kept in the gradient. The derivative of "
                "0.5 * reg * W**2 is 0.5 * reg * 2 * W = reg * W: the 2 of the square cancels the 0.5.",
                _l2_with(grad_term=lambda W, reg: 0.5 * reg * W)),
        _in_place("weights changed in place",
                  "the function changed the weights it was given: reg_grads[k] = params[k] makes no copy "
                  "(both names hold the network's own array), so a following *= reg (or +=) scales the "
                  "weights themselves. Make a new array, reg_grads[k] = reg * params[k], and leave params "
                  "as it is.", _l2_scaling_in_place),
    ])


def check_l2_loss_and_grad(fn):
    """Check ``l2_loss_and_grad(params, reg) -> (reg_loss, reg_grads)``: ``0.5 * reg * sum(W**2)`` over
    the weights (keys starting with W); ``reg_grads`` keyed like ``params``, ``reg * W`` or zeros."""
    return L2_LOSS_AND_GRAD.check(fn)


# =========================================================================== inverted_dropout_forward

#: a batch with at least this many units also reports the share of units kept (rounded to 0.1)
LARGE = 2000

_KEPT = "share of units kept"
_FACTOR = "factor of the kept units"
_ONE_FACTOR = "one factor for every kept unit"
_PATTERN = "mask zero exactly where out is"
_PRODUCT = "out equals X * mask"
_REPEAT = "same result for the same seed"
_OTHER_SEED = "another mask for another seed"
_OWN_ROWS = "each example its own mask"
_IDENTITY = "out equals X"
_ONES = "mask all ones"
_DROPPED = "some units dropped"


def _pair(result, name):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = f"{len(result)} values" if isinstance(result, (tuple, list)) else type(result).__name__
        raise TypeError(f"{name} should return two values, (out, mask), but returned {what}")
    out, mask = result
    if mask is None:
        raise TypeError(f"{name} returned None as its mask; return an array of the shape of X (in "
                        f"evaluation mode, all ones: nothing dropped, nothing scaled)")
    return np.asarray(out, dtype=float), np.asarray(mask, dtype=float)


def _factor(out, X, where):
    ratio = out[where] / X[where]
    return (float(np.median(ratio)) if ratio.size else float("nan")), ratio


def _observe(X, p, train, first, second, name="inverted_dropout_forward", third=None):
    """What a dropout forward pass did on one case, in terms that do not depend on how its mask was
    drawn (a dict of numbers and booleans). ``third``: the result with a generator seeded otherwise
    (compared on a large batch in training mode, where two random masks cannot be equal)."""
    out, mask = _pair(first, name)
    out2, mask2 = _pair(second, name)
    for what, a in (("out", out), ("mask", mask)):
        if a.shape != X.shape:
            raise ValueError(f"{name}: {what} has shape {a.shape} but should have the shape of X, {X.shape}")
    seen = {}
    kept = out != 0
    factor, ratio = _factor(out, X, kept)
    if train and p > 0:
        if X.size >= LARGE:
            seen[_KEPT] = round(float(kept.mean()), 1)
        seen[_FACTOR] = factor
        seen[_ONE_FACTOR] = bool(ratio.size and np.allclose(ratio, factor, rtol=1e-9, atol=0))
        seen[_PATTERN] = bool(np.array_equal(mask != 0, kept))
        seen[_PRODUCT] = bool(np.allclose(out, X * mask, rtol=1e-12, atol=1e-12))
    else:
        seen[_IDENTITY] = bool(np.allclose(out, X, rtol=1e-12, atol=0))
        seen[_DROPPED] = bool((~kept).any())
        seen[_FACTOR] = factor
        seen[_ONES] = bool(np.all(mask == 1))
    seen[_REPEAT] = bool(np.array_equal(out, out2) and np.array_equal(mask, mask2))
    if third is not None and train and p > 0 and X.size >= LARGE:
        seen[_OTHER_SEED] = not np.array_equal(_pair(third, name)[1], mask)
    if train and p > 0 and X.size >= LARGE and X.shape[0] > 1:
        seen[_OWN_ROWS] = not bool(np.all(mask == mask[:1]))
    return seen


def _dropout_drive(fn, X, p, seed, train):
    first = fn(X, p, np.random.default_rng(seed), train)
    second = fn(X, p, np.random.default_rng(seed), train)
    third = fn(X, p, np.random.default_rng(seed + 1), train)
    return _observe(X, p, train, first, second, third=third)


def _dropout_cases(rng=None):
    r = _source(rng, 111)

    def seed():
        return int(r.integers(0, 2**31))
    return [Case("training p=0.3 (N=200 H=50)", (_away_from_zero(r, (200, 50)), 0.3, seed(), True)),
            Case("training p=0.6 (N=100 H=80)", (_away_from_zero(r, (100, 80)), 0.6, seed(), True)),
            Case("training p=0.5 (N=3 H=4)", (_away_from_zero(r, (3, 4)), 0.5, seed(), True)),
            Case("training p=0.2 on a batch of one (H=12)", (_away_from_zero(r, (1, 12)), 0.2, seed(), True)),
            Case("evaluation p=0.3 (N=5 H=10)", (_away_from_zero(r, (5, 10)), 0.3, seed(), False)),
            Case("evaluation p=0.4 (N=200 H=50)", (_away_from_zero(r, (200, 50)), 0.4, seed(), False)),
            Case("training p=0 (N=4 H=5)", (_away_from_zero(r, (4, 5)), 0.0, seed(), True))]


def _dropout_with(*, keep_below=None, factor=None, train_mode=True, eval_mode=False, eval_factor=1.0,
                  eval_mask=None, twice=False, plain_mask=False, unseeded=False, own_seed=False,
                  in_place=False, no_eval_mask=False, shared=False):
    """An ``inverted_dropout_forward`` with one of its pieces changed.

    keep_below: keep a unit where its uniform number is below ``keep_below(p)`` (default: kept where it
    is at least p); factor(p): the survivors' factor (default 1/(1-p)); train_mode / eval_mode: whether
    each mode drops (the right answer: training only); eval_factor(p) and eval_mask(p): evaluation
    mode's factor and mask; twice: the mask returned is drawn again; plain_mask: the mask returned is
    0/1; unseeded: the mask is drawn from a generator of its own, not from rng; own_seed: from a
    generator of its own with a fixed seed; in_place: X *= mask; no_eval_mask: None as the mask at
    evaluation."""
    def inverted_dropout_forward(X, p, rng, train=True):
        drops = train_mode if train else eval_mode
        if not drops:
            f = 1.0 if train else (eval_factor(p) if callable(eval_factor) else eval_factor)
            mask = np.ones_like(X) * (eval_mask(p) if eval_mask else 1.0)
            return X * f, (None if no_eval_mask and not train else mask)
        source = np.random.default_rng() if unseeded else np.random.default_rng(0) if own_seed else rng

        def draw():
            u = np.broadcast_to(source.random(X.shape[1:]), X.shape) if shared else source.random(X.shape)
            return u < keep_below(p) if keep_below else u >= p
        keep = draw()
        scale = factor(p) if factor else 1.0 / (1.0 - p)
        if in_place:
            X *= keep * scale
            return X, keep * scale
        out = X * keep * scale
        if twice:
            keep = draw()
        return out, keep * (1.0 if plain_mask else scale)
    return inverted_dropout_forward


class DropoutForwardExercise(EffectExercise):
    """The dropout check: its outputs are observations (``_observe``); a difference is told in words."""

    def explain_difference(self, got, want, case, values=True):
        if not isinstance(got, dict) or not isinstance(want, dict):
            return super().explain_difference(got, want, case)
        X, p, _, train = case.args
        mode = "training" if train else "evaluation"
        for key, w in want.items():
            g = got.get(key)
            if same_output(g, w, self.rtol, self.atol):
                continue
            if key == _KEPT:
                return (f"in training mode it kept {g:.0%} of the units" if values else
                        "in training mode it kept the wrong share of the units") + (
                    f"; a unit is kept with probability 1 - p{f' = {w:.0%}' if values else ''}")
            if key == _FACTOR and mode == "training":
                return (f"the units it kept were multiplied by {g:.6g}, where inverted dropout multiplies "
                        f"them by 1/(1-p) = {w:.6g}" if values else
                        "the units it kept were multiplied by the wrong factor; inverted dropout multiplies "
                        "them by 1/(1-p)")
            if key == _ONE_FACTOR:
                return "the kept units were not all multiplied by the same factor 1/(1-p)"
            if key == _PATTERN:
                return ("the mask it returned is zero at other units than the ones it dropped from out: "
                        "return the very mask the forward pass multiplied by")
            if key == _PRODUCT:
                return ("out is not X * mask: the mask must hold the factor each unit was multiplied by, "
                        "0 or 1/(1-p), since the backward pass multiplies dout by it")
            if key in (_IDENTITY, _DROPPED, _FACTOR):
                return (f"in {mode} mode out should be X itself (nothing dropped, nothing scaled)")
            if key == _ONES:
                return f"in {mode} mode the mask should be all ones"
            if key == _REPEAT:
                return ("two calls with generators seeded alike gave different results: draw every random "
                        "number from rng, so that a run can be repeated")
            if key == _OWN_ROWS:
                return ("every example got the same mask: each unit of each example is dropped on its own, "
                        "so the mask has the shape of X")
            if key == _OTHER_SEED:
                return ("generators seeded differently gave the same mask: draw every random number from "
                        "the rng argument")
        return super().explain_difference(got, want, case)

    def difference_hint(self, got, want, case):
        return self.explain_difference(got, want, case, values=False)

    def matching_mistake(self, got, want, outputs_of):
        """As the catalogue says; failing that, a mask that does not follow rng is named from the two
        observations that show it, since a catalogued answer drawing from a generator of its own never
        gives the same numbers twice (so matching by its outputs would depend on chance)."""
        found = super().matching_mistake(got, want, outputs_of)
        if found is not None:
            return found
        by_name = {m.name: m for m in self.mistakes}
        for key, name in ((_REPEAT, "mask not drawn from rng"), (_OTHER_SEED, "mask from a generator of its own")):
            if any(isinstance(g, dict) and isinstance(w, dict) and key in w
                   and not same_output(g.get(key), w[key], self.rtol, self.atol) for g, w in zip(got, want)):
                return by_name[name]
        return None


INVERTED_DROPOUT_FORWARD = DropoutForwardExercise(
    "inverted_dropout_forward", reference.inverted_dropout_forward, _dropout_cases,
    outputs=("what it did",), input_names=("X", "p", "seed", "train"),
    run=learner_run("inverted_dropout_forward", ("X", "p", "seed", "train"), keep=("X",),
                    inner=_dropout_drive),
    may_use=(), same_as=_existing("layers.dropout_forward", "layers.dropout_mask"), rtol=RTOL, atol=ATOL,
    mistakes=[
        Pattern("p taken as the probability of keeping",
                "it kept a unit with probability p and divided by p: that reads p as the probability of "
                "KEEPING a unit (some texts use it so). Here p is the probability of DROPPING one: keep with "
                "probability 1 - p and divide the survivors by 1 - p.",
                _dropout_with(keep_below=lambda p: p, factor=lambda p: 1.0 / p),
                variants=(_dropout_with(keep_below=lambda p: p, factor=lambda p: np.divide(1.0, p)),)),
        Pattern("kept with probability p",
                "it kept a unit with probability p instead of 1 - p (the comparison with the uniform number "
                "is the wrong way round). p is the probability of dropping: a unit survives when its "
                "uniform number is at least p, which happens with probability 1 - p.",
                _dropout_with(keep_below=lambda p: p)),
        Pattern("survivors not scaled by 1/(1-p)",
                "the kept units were not scaled: without the factor 1/(1-p) the expected output in training "
                "is (1 - p) * X, smaller than in evaluation mode, where dropout is the identity. Inverted "
                "dropout divides the survivors by 1 - p, so that E[out] = X in both modes.",
                _dropout_with(factor=lambda p: 1.0)),
        Pattern("survivors multiplied by 1 - p",
                "the kept units were multiplied by 1 - p instead of divided by it: then E[out] = (1 - p)**2 X. "
                "Dividing by 1 - p gives E[out] = (1 - p) * X / (1 - p) = X.",
                _dropout_with(factor=lambda p: 1.0 - p)),
        Pattern("dropping at evaluation time",
                "it dropped units in evaluation mode too (train=False). At evaluation dropout is the "
                "identity: out = X and the mask all ones, so that predictions are not random.",
                _dropout_with(eval_mode=True)),
        Pattern("training and evaluation modes swapped",
                "it dropped units in evaluation mode and passed everything in training mode: the test on "
                "train is the wrong way round. Dropout acts while training (train=True) and is the identity "
                "at evaluation (train=False).", _dropout_with(train_mode=False, eval_mode=True)),
        Pattern("scaled at evaluation time",
                "in evaluation mode it scaled X. Inverted dropout does all its scaling while training (the "
                "survivors are divided by 1 - p), so at evaluation out is X itself. Multiplying by 1 - p at "
                "test time is the rule of the original, non-inverted dropout; dividing by 1 - p there "
                "scales a second time.",
                _dropout_with(eval_factor=lambda p: 1.0 / (1.0 - p)),
                variants=(_dropout_with(eval_factor=lambda p: 1.0 - p),
                          _dropout_with(eval_factor=lambda p: 1.0 / (1.0 - p), eval_mask=lambda p: 1.0 / (1.0 - p)),
                          _dropout_with(eval_factor=lambda p: 1.0 - p, eval_mask=lambda p: 1.0 - p))),
        Pattern("a fresh mask for the backward pass",
                "the mask it returned is not the one it multiplied X by: it drew a second random mask. The "
                "backward pass must use the very mask of the forward pass (a dropped unit had no effect on "
                "the loss, so it gets no gradient): draw it once, use it, return it.",
                _dropout_with(twice=True)),
        Pattern("mask returned without its scale",
                "out is right, but the mask it returned holds 0 and 1: the backward pass computes "
                "dX = dout * mask, and the local gradient of a kept unit is 1/(1-p), so the mask must hold "
                "the factor each unit was multiplied by, 0 or 1/(1-p).", _dropout_with(plain_mask=True)),
        Pattern("mask not drawn from rng",
                "two calls with generators seeded alike gave different masks: the random numbers did not "
                "come from rng (np.random.rand, or a generator of its own). Draw them from the rng "
                "argument, so that a seeded run repeats exactly.", _dropout_with(unseeded=True)),
        Pattern("mask from a generator of its own",
                "generators seeded differently gave the same mask: the random numbers came from a generator "
                "of the function's own (np.random.default_rng(0), a fixed seed), not from the rng it was "
                "given, so every call drops the same units. Draw them from the rng argument: "
                "rng.random(X.shape).", _dropout_with(own_seed=True)),
        Pattern("one mask for the whole batch",
                "one mask was drawn per unit and shared by every example of the batch (a mask of shape "
                "(H,) or (1, H)): each unit of each example is dropped on its own, so the mask has the "
                "shape of X, rng.random(X.shape).", _dropout_with(shared=True)),
        Pattern("survivors divided by p",
                "the kept units were divided by p, the probability of DROPPING them; they are divided by "
                "the probability of keeping them, 1 - p, so that E[out] = (1 - p) * X / (1 - p) = X.",
                _dropout_with(factor=lambda p: 1.0 / p if p else 1.0),
                variants=(_dropout_with(factor=lambda p: np.divide(1.0, p)),)),
        Pattern("no mask in evaluation mode",
                "in evaluation mode it returned None as the mask. The caller always receives (out, mask) "
                "and the backward pass multiplies by the mask: in evaluation mode it is all ones, "
                "np.ones_like(X) (nothing dropped, nothing scaled).", _dropout_with(no_eval_mask=True),
                raises=lambda text, case: case is not None and not case.args[3] and (
                    "returned None as its mask" in text
                    or "should return two values, (out, mask), but returned" in text)),
        _in_place("X changed in place",
                  "the function changed X, the array it was given (X *= mask, or out = X followed by "
                  "out *= ...: `out = X` does not copy). The layer below still needs X. Make a new array: "
                  "out = X * mask.", _dropout_with(in_place=True)),
    ])


def check_inverted_dropout_forward(fn):
    """Check ``inverted_dropout_forward(X, p, rng, train) -> (out, mask)``: in training mode each unit
    is kept with probability ``1 - p`` and divided by ``1 - p`` (``mask`` 0 or ``1/(1-p)``, ``out =
    X * mask``); in evaluation mode ``out`` is X and ``mask`` all ones."""
    return INVERTED_DROPOUT_FORWARD.check(fn)


# =========================================================================== inverted_dropout_backward

def _dropout_backward_cases(rng=None):
    r = _source(rng, 112)

    def mask(shape, p):
        return (r.random(shape) >= p) / (1.0 - p)
    return [Case("p=0.3 (N=4 H=5)", (r.standard_normal((4, 5)), mask((4, 5), 0.3))),
            Case("p=0.5 (N=H=3)", (r.standard_normal((3, 3)), mask((3, 3), 0.5))),
            Case("p=0.2 on a batch of one (H=6)", (r.standard_normal((1, 6)), mask((1, 6), 0.2))),
            Case("evaluation mask of ones (N=2 H=4)", (r.standard_normal((2, 4)), np.ones((2, 4)))),
            Case("p=0.75 (N=6 H=2)", (r.standard_normal((6, 2)), mask((6, 2), 0.75)))]


def _pattern_only(dout, mask):
    return dout * (mask > 0)


def _divided(dout, mask):
    return dout / mask


def _dropout_backward_in_place(dout, mask):
    dout *= mask
    return dout


INVERTED_DROPOUT_BACKWARD = EffectExercise(
    "inverted_dropout_backward", reference.inverted_dropout_backward, _dropout_backward_cases,
    outputs=("dX",), input_names=("dout", "mask"),
    run=learner_run("inverted_dropout_backward", ("dout", "mask")), may_use=(),
    same_as=_existing("layers.dropout_backward"), rtol=RTOL, atol=ATOL,
    mistakes=[
        Pattern("mask left out of the backward pass",
                "dX = dout: the gradient went through every unit, the dropped ones too. out = X * mask, so "
                "the local gradient of each unit is its entry of the mask: dX = dout * mask (0 where the "
                "unit was dropped, 1/(1-p) times dout where it was kept).", lambda dout, mask: dout.copy()),
        Pattern("scale lost in the backward pass",
                "dX passes dout through the kept units unscaled: the forward pass multiplied them by "
                "1/(1-p), so their gradient is multiplied by 1/(1-p) too. Use the mask's values, not only "
                "where it is nonzero: dX = dout * mask.", _pattern_only),
        Pattern("upstream gradient ignored",
                "dX is the mask itself: the local gradient, without the upstream gradient dout. The chain "
                "rule multiplies them: dX = dout * mask.", lambda dout, mask: mask.copy()),
        Pattern("divided by the mask",
                "dX divides by the mask, which undoes the forward pass's scaling instead of applying its "
                "derivative (and divides by 0 at the dropped units). out = X * mask is linear in X, so "
                "dX = dout * mask.", _divided,
                variants=(lambda dout, mask: np.where(mask > 0, dout / np.where(mask > 0, mask, 1.0), 0.0),)),
        _in_place("dout changed in place",
                  "the function changed dout, the array it was given (dout *= mask, or dX = dout followed by "
                  "dX *= mask: `dX = dout` does not copy). Make a new array: dX = dout * mask.",
                  _dropout_backward_in_place),
    ])


def check_inverted_dropout_backward(fn):
    """Check ``inverted_dropout_backward(dout, mask) -> dX``: ``dX = dout * mask`` (N, H)."""
    return INVERTED_DROPOUT_BACKWARD.check(fn)


# =========================================================================== batchnorm_layer_forward

def _bn_cases(rng=None):
    r = _source(rng, 113)

    def batches(count, N, D, offset=0.0, scale=1.0):
        shift = r.uniform(-1, 1, D) * offset
        spread = r.uniform(0.5, 1.5, D) * scale
        return tuple(r.standard_normal((N, D)) * spread + shift for _ in range(count))

    def start(D, fixed=True):
        if fixed:
            return {"mean": np.zeros(D), "var": np.ones(D)}
        return {"mean": r.standard_normal(D), "var": r.uniform(0.5, 2.0, D)}

    def affine(D):
        return 1.0 + 0.5 * r.standard_normal(D), 0.5 * r.standard_normal(D)

    constant = batches(2, 5, 2)
    constant = tuple(np.column_stack([b[:, 0], 3.0 + 1e-3 * b[:, 1]]) for b in constant)
    out = []
    for label, train_batches, N_eval, momentum, running in [
            ("3 batches N=4 D=3 (momentum 0.9)", batches(3, 4, 3), 4, 0.9, start(3)),
            ("2 batches N=D=3 (momentum 0.5)", batches(2, 3, 3), 3, 0.5, start(3)),
            ("batches of two far from mean 0 and variance 1 (momentum 0.8)",
             batches(3, 2, 4, offset=5.0, scale=3.0), 3, 0.8, start(4)),
            ("momentum 0 (N=5 D=2)", batches(2, 5, 2), 2, 0.0, start(2)),
            ("given running statistics and an evaluation batch of one (N=6 D=3)",
             batches(2, 6, 3, offset=2.0), 1, 0.9, start(3, fixed=False)),
            ("a nearly constant feature (N=5 D=2 momentum 0.7)", constant, 3, 0.7, start(2))]:
        D = train_batches[0].shape[1]
        X_eval = batches(1, N_eval, D, offset=2.0)[0]
        gamma, beta = affine(D)
        out.append(Case(label, (train_batches, X_eval, gamma, beta, running, momentum)))
    return out


def _bn_drive(fn, batches, X_eval, gamma, beta, running, momentum):
    """Train on each batch in turn, then evaluate; the outputs and the running statistics after each
    call, by name."""
    running = {"mean": np.array(running["mean"], copy=True), "var": np.array(running["var"], copy=True)}
    seen = {}
    calls = [(f"training batch {i}", X, True) for i, X in enumerate(batches, 1)]
    calls.append(("evaluation", X_eval, False))
    for label, X, train in calls:
        before = X.copy()
        out = fn(X, gamma, beta, running, train, momentum)
        if not np.array_equal(X, before):
            raise ValueError("batchnorm_layer_forward changed its input X in place (X -= mean, X /= std): "
                             "compute into new arrays, the caller still needs X")
        if not isinstance(running, dict) or "mean" not in running or "var" not in running:
            raise ValueError("batchnorm_layer_forward: after the call, running must still be a dict with the "
                             "keys 'mean' and 'var'")
        seen[f"out of the {label}"] = out
        seen[f"running mean after the {label}"] = np.array(running["mean"], dtype=float, copy=True)
        seen[f"running var after the {label}"] = np.array(running["var"], dtype=float, copy=True)
    return seen


def _bn_run(fn, batches, X_eval, gamma, beta, running, momentum):
    try:
        return _bn_drive(fn, batches, X_eval, gamma, beta, running, momentum)
    except NameError as exc:
        raise NameError(f"{exc}. Every name must get a value before it is used; if it is the name on "
                        f"the function's return line, your code has to set it") from None


def _bn_with(*, ddof=0, running_ddof=None, swap=False, ignore_momentum=False, update=True,
             update_in_eval=False, batch_stats_in_eval=False, running_in_train=None, eps_in_eval=True,
             eps_outside=False, average_std=False, affine="right", in_place=False, eps_in_train=True,
             fixed_momentum=None, only=None, root=True, root_in_eval=True):
    """A ``batchnorm_layer_forward`` with one of its pieces changed.

    ddof / running_ddof: the variance's N - ddof in the normalisation and in the running average;
    swap: ``running = (1 - momentum) * running + momentum * batch``; ignore_momentum: the running
    statistics become the batch's; update: whether training updates them; update_in_eval: evaluation
    updates them too; batch_stats_in_eval: evaluation normalises with its own batch's statistics;
    running_in_train: training normalises with the running statistics ("before" or "after" the
    update); eps_in_eval: eps in evaluation's square root; eps_outside: sqrt(var) + eps;
    average_std: the running "var" averages the standard deviation; affine: "swapped" (beta * x_hat +
    gamma) or "none" (x_hat alone); in_place: X centred in place."""
    def norm(X, mean, var, eps, with_eps=True, with_root=True):
        if not (root and with_root):
            return (X - mean) / (var + eps)
        if not with_eps:
            return (X - mean) / np.sqrt(var)
        return (X - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))

    def move(running, mean, var, momentum, eps):
        if average_std:
            var = np.sqrt(var + eps) if average_std is True else np.sqrt(var)
        if fixed_momentum is not None:
            momentum = fixed_momentum
        for key, value in (("mean", mean), ("var", var)):
            if only is not None and key != only:
                continue
            if ignore_momentum:
                running[key] = value
            elif swap:
                running[key] = (1 - momentum) * running[key] + momentum * value
            else:
                running[key] = momentum * running[key] + (1 - momentum) * value

    def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        if affine == "swapped":
            gamma, beta = beta, gamma
        elif affine == "none":
            gamma, beta = 1.0, 0.0
        if in_place:
            X -= X.mean(axis=0)
        N = X.shape[0]
        mean = X.mean(axis=0)
        var = ((X - mean) ** 2).sum(axis=0) / (N - ddof)
        if train:
            old = {k: v.copy() for k, v in running.items()}
            if update:
                r_var = var if running_ddof is None else ((X - mean) ** 2).sum(axis=0) / (N - running_ddof)
                move(running, mean, r_var, momentum, eps)
            if running_in_train:
                stats = old if running_in_train == "before" else running
                return gamma * norm(X, stats["mean"], stats["var"], eps) + beta
            return gamma * norm(X, mean, var, eps, with_eps=eps_in_train) + beta
        if update_in_eval:
            move(running, mean, var, momentum, eps)
        if batch_stats_in_eval:
            return gamma * norm(X, mean, var, eps) + beta
        return gamma * norm(X, running["mean"], running["var"], eps, with_eps=eps_in_eval,
                            with_root=root_in_eval) + beta
    return batchnorm_layer_forward


BATCHNORM_LAYER_FORWARD = EffectExercise(
    "batchnorm_layer_forward", reference.batchnorm_layer_forward, _bn_cases, outputs=("what it did",),
    input_names=("batches", "X_eval", "gamma", "beta", "running", "momentum"), run=_bn_run, may_use=(),
    same_as=_existing("layers.batchnorm_forward", "fast.batchnorm_train", "fast.batchnorm_eval",
                      "reference.batchnorm_forward_intermediates"), rtol=RTOL, atol=ATOL,
    mistakes=[
        Pattern("momentum convention swapped",
                "the running averages moved the wrong way: they kept the share 1 - momentum of their old value "
                "and took momentum of the batch's. Here momentum is the share KEPT: running = momentum * "
                "running + (1 - momentum) * batch statistic (PyTorch's momentum=0.1 means the opposite, the "
                "share of the new value; it is the same average as momentum 0.9 here).", _bn_with(swap=True)),
        Pattern("running statistics replaced by the batch's",
                "the running statistics became the last batch's mean and variance: they should be a running "
                "AVERAGE over the batches, momentum * running + (1 - momentum) * batch statistic, so that "
                "evaluation does not depend on whichever batch came last.", _bn_with(ignore_momentum=True)),
        Pattern("running statistics not updated",
                "the running statistics never changed in training mode. The update must write into the dict "
                "it was given: running['mean'] = momentum * running['mean'] + (1 - momentum) * mean (a new "
                "local name, or a new dict assigned to running, changes nothing outside the function).",
                _bn_with(update=False)),
        Pattern("one running statistic not updated",
                "only one of the running statistics moved in training mode: the running mean AND the "
                "running variance are both updated, running[key] = momentum * running[key] + (1 - momentum) * "
                "the batch's statistic, for 'mean' and 'var'.", _bn_with(only="mean"),
                variants=(_bn_with(only="var"),)),
        Pattern("running statistics updated in evaluation mode",
                "the running statistics changed in evaluation mode. Only training batches update them; at "
                "evaluation they are read, never written, or the same test example would give different "
                "outputs from one call to the next.", _bn_with(update_in_eval=True)),
        Pattern("batch statistics used in evaluation",
                "evaluation mode normalised with the evaluation batch's own mean and variance. It must use "
                "the running averages: then an example's output does not depend on the other examples in "
                "its batch, and a batch of one works (its own variance is 0).",
                _bn_with(batch_stats_in_eval=True),
                variants=(_bn_with(batch_stats_in_eval=True, update_in_eval=True),)),
        Pattern("running statistics used in training",
                "training mode normalised with the running averages. In training the batch's own mean and "
                "variance normalise (that is what the backward pass of lesson 10 differentiates); the "
                "running averages are only updated there, and used at evaluation.",
                _bn_with(running_in_train="before"), variants=(_bn_with(running_in_train="after"),)),
        Pattern("unbiased variance",
                "the variance was divided by N - 1 (np.var(..., ddof=1)). Batch normalisation uses the "
                "biased variance, divided by N (np.var's default), the one lesson 10 differentiates; the "
                "running average follows the same variance.", _bn_with(ddof=1),
                variants=(_bn_with(ddof=1, running_ddof=0),)),
        Pattern("unbiased variance in the running average",
                "the running variance averaged the unbiased variance (divided by N - 1) while the batch was "
                "normalised with the biased one (divided by N). Some libraries do this (PyTorch does); this "
                "lesson and the package average the same biased variance that normalised the batch.",
                _bn_with(running_ddof=1)),
        Pattern("standard deviation averaged instead of the variance",
                "running['var'] averaged the standard deviation, sqrt(var + eps), not the variance var: in "
                "evaluation mode it is used as a variance, sqrt(running['var'] + eps).",
                _bn_with(average_std=True), variants=(_bn_with(average_std="no eps"),)),
        Pattern("eps left out in evaluation mode",
                "evaluation mode divided by sqrt(running['var']) without eps: the same formula as training, "
                "sqrt(var + eps), keeps the two modes alike and a feature of variance 0 finite.",
                _bn_with(eps_in_eval=False)),
        Pattern("eps outside the square root",
                "the normalisation divided by sqrt(var) + eps instead of sqrt(var + eps): eps belongs under "
                "the root, as in lesson 10.", _bn_with(eps_outside=True)),
        Pattern("eps left out in training mode",
                "training mode divided by sqrt(var) (X.std(axis=0)?) without eps: sqrt(var + eps), as in "
                "lesson 10, keeps a feature that is (nearly) constant over the batch finite (see the case "
                "with a nearly constant feature).", _bn_with(eps_in_train=False),
                variants=(_bn_with(eps_in_train=False, eps_in_eval=False),)),
        Pattern("momentum argument ignored",
                "the running averages moved with a momentum of their own (0.9 or 0.1) whatever the momentum "
                "argument said (see the cases with momentum 0.5, 0.8 and 0): use the argument, running = "
                "momentum * running + (1 - momentum) * batch statistic.", _bn_with(fixed_momentum=0.9),
                variants=(_bn_with(fixed_momentum=0.1), _bn_with(fixed_momentum=0.99))),
        Pattern("square root missing",
                "the normalisation divided by var + eps, the variance, instead of the standard deviation "
                "sqrt(var + eps): x_hat = (X - mean) / np.sqrt(var + eps), in both modes.", _bn_with(root=False),
                variants=(_bn_with(root_in_eval=False),)),
        Pattern("gamma and beta swapped",
                "out = beta * x_hat + gamma: gamma scales and beta shifts, out = gamma * x_hat + beta.",
                _bn_with(affine="swapped")),
        Pattern("gamma and beta not applied",
                "out is x_hat itself: the layer's own scale and offset are missing, out = gamma * x_hat + beta "
                "(in both modes).", _bn_with(affine="none")),
        _in_place("X centred in place",
                  "the function changed X, the array it was given (X -= mean, X /= std, or xmu = X followed by "
                  "xmu -= mean: `xmu = X` does not copy). The caller still needs X (and the backward pass "
                  "reads it). Compute into new arrays: xmu = X - mean.", _bn_with(in_place=True)),
    ])


def check_batchnorm_layer_forward(fn):
    """Check ``batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5) -> out``
    over a few training batches and an evaluation batch: the outputs and the running statistics after
    every call."""
    return BATCHNORM_LAYER_FORWARD.check(fn)


EXERCISES = {e.name: e for e in (INIT_STD, L2_LOSS_AND_GRAD, INVERTED_DROPOUT_FORWARD,
                                 INVERTED_DROPOUT_BACKWARD, BATCHNORM_LAYER_FORWARD)}
