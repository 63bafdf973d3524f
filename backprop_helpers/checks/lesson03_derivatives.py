"""Checks for lesson 03, derivatives and gradient checking.

Finite differences of a scalar function, the relative error, the numerical gradient of a function of an
array (perturbed in place and restored), and one gradient worked out by hand with the chain rule.

Beyond the catalogue, each exercise lists ``effects`` (``checks.effects``): ``np.max(1e-8, ...)`` and
``max(1e-8, ...)`` are named from the errors they raise, an x that is not put back from x after the
call whatever else is wrong, and each slip of the chain rule in dL/dw and in dL/db separately.
"""
from __future__ import annotations

import numpy as np

from .. import reference
from ..reference import central_difference, forward_difference, sigmoid
from .core import Case, Exercise, Mistake, learner_run, same_output
from .effects import Effect, common, negated, scaled

__all__ = ["check_forward_difference", "check_central_difference", "check_rel_error",
           "check_numerical_gradient", "check_neuron_loss_gradient"]


def _rng(seed):
    return np.random.default_rng(seed)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's seed."""
    return rng if rng is not None else _rng(seed)


def _point(rng, fixed, low, high):
    """The notebook's ``fixed`` number, or (with the grader's ``rng``) one drawn in [low, high)."""
    return fixed if rng is None else round(float(rng.uniform(low, high)), 6)


def _runner(name, inner=None, keeps=()):
    """``learner_run`` for this lesson: the arrays named in ``keeps`` must come back unchanged;
    ``inner(fn, *args)`` drives the function (default: calls it)."""
    return learner_run(name, keep=tuple(n for _, n in keeps), inner=inner,
                       input_names=_input_names(keeps))


def _input_names(keeps):
    names = {i: n for i, n in keeps}
    return tuple(names.get(i, f"argument {i + 1}") for i in range(max(names, default=-1) + 1))


# ------------------------------------------------------------------ finite differences of f: R -> R

def _cube(x):
    return x ** 3


def _reciprocal(x):
    return 1.0 / x


def _difference_cases(rng=None):
    points = [(np.sin, "sin", "1", 1.0, -3, 3, "1e-3", 1e-3), (_cube, "x**3", "2", 2.0, 1, 3, "0.1", 0.1),
              (np.exp, "exp", "0", 0.0, -1, 1, "1e-2", 1e-2),
              (_reciprocal, "1/x", "0.5", 0.5, 0.3, 2, "1e-4", 1e-4),
              (_cube, "x**3", "-1.5", -1.5, -3, -1, "0.5", 0.5)]
    return [Case(f"{name} at {f'x={shown}' if rng is None else 'a drawn x'} with h={h_text}",
                 (f, _point(rng, fixed, low, high), h))
            for f, name, shown, fixed, low, high, h_text, h in points]


FORWARD = Exercise(
    "forward_difference", reference.forward_difference, _difference_cases,
    input_names=("f", "x", "h"), outputs=("derivative",), run=_runner("forward_difference"), may_use=(),
    mistakes=[
        Mistake("forward and central difference mixed up",
                "that is the central difference (f(x + h) - f(x - h)) / 2h. The forward difference "
                "steps forward only: (f(x + h) - f(x)) / h.", central_difference),
        Mistake("backward difference",
                "that is the backward difference (f(x) - f(x - h)) / h. The forward difference steps "
                "forward: (f(x + h) - f(x)) / h.", lambda f, x, h: (f(x) - f(x - h)) / h),
        Mistake("not divided by h",
                "the difference f(x + h) - f(x) was not divided by h. A derivative is a slope: rise "
                "over run, (f(x + h) - f(x)) / h.", lambda f, x, h: f(x + h) - f(x)),
        Mistake("divided by 2h",
                "the forward difference divides by h, the distance between x + h and x; only the "
                "central difference spans 2h.", lambda f, x, h: (f(x + h) - f(x)) / (2 * h)),
        Mistake("h added to f(x), not to x",
                "h was added to the value f(x) instead of to the input: write f(x + h), not f(x) + h "
                "(the result was always about 1).", lambda f, x, h: (f(x) + h - f(x)) / h),
    ],
    effects=[
        *common(("derivative",)),
        negated("difference reversed", "the difference is the wrong way round: the forward difference "
                "is (f(x + h) - f(x)) / h, the value to the right minus the value at x."),
        Effect("sum instead of difference", "the two values were added; a slope takes their "
               "difference: (f(x + h) - f(x)) / h.", variants=(lambda f, x, h: (f(x + h) + f(x)) / h,)),
        Effect("multiplied by h instead of divided",
               "the difference was multiplied by h; a slope divides by the step: (f(x + h) - f(x)) / h.",
               variants=(lambda f, x, h: (f(x + h) - f(x)) * h,)),
        Effect("missing parentheses around the difference",
               "operator precedence: f(x + h) - f(x) / h divides only f(x) by h. Put the difference in "
               "parentheses: (f(x + h) - f(x)) / h.", variants=(lambda f, x, h: f(x + h) - f(x) / h,)),
        Effect("forward and central difference mixed up",
               "that is the central difference (f(x + h) - f(x - h)) / 2h. The forward difference steps "
               "forward only: (f(x + h) - f(x)) / h.",
               variants=(central_difference, lambda f, x, h: (f(x + h) - f(x - h)) / h)),
    ])

CENTRAL = Exercise(
    "central_difference", reference.central_difference, _difference_cases,
    input_names=("f", "x", "h"), outputs=("derivative",), run=_runner("central_difference"), may_use=(),
    mistakes=[
        Mistake("forward and central difference mixed up",
                "that is the forward difference (f(x + h) - f(x)) / h. The central difference looks "
                "both ways: (f(x + h) - f(x - h)) / 2h.", forward_difference),
        Mistake("divided by h instead of 2h",
                "x + h and x - h are 2h apart, so the central difference divides by 2h: "
                "(f(x + h) - f(x - h)) / (2 * h). The result was twice the derivative.",
                lambda f, x, h: (f(x + h) - f(x - h)) / h),
        Mistake("2*h without parentheses",
                "`/ 2 * h` divides by 2 and then multiplies by h (Python reads it left to right). "
                "Write `/ (2 * h)`.", lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h),
        Mistake("x + h and x - h swapped",
                "the result has the wrong sign: the central difference is (f(x + h) - f(x - h)) / 2h, "
                "the value to the right minus the value to the left.",
                lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h)),
    ],
    effects=[
        *common(("derivative",)),
        negated("x + h and x - h swapped",
                "the result has the wrong sign: the central difference is (f(x + h) - f(x - h)) / 2h, "
                "the value to the right minus the value to the left."),
        scaled("divided by h instead of 2h",
               "x + h and x - h are 2h apart, so the central difference divides by 2h: "
               "(f(x + h) - f(x - h)) / (2 * h). The result was twice the derivative.", lambda case: 2.0),
        Effect("sum instead of difference", "the two values were added; the central difference takes "
               "their difference: (f(x + h) - f(x - h)) / (2 * h).",
               variants=(lambda f, x, h: (f(x + h) + f(x - h)) / (2 * h),)),
        Effect("not divided by h",
               "the difference was divided by 2 but not by h: (f(x + h) - f(x - h)) / (2 * h).",
               variants=(lambda f, x, h: (f(x + h) - f(x - h)) / 2,)),
        Effect("missing parentheses around the difference",
               "operator precedence: f(x + h) - f(x - h) / (2 * h) divides only f(x - h). Put the "
               "difference in parentheses: (f(x + h) - f(x - h)) / (2 * h).",
               variants=(lambda f, x, h: f(x + h) - f(x - h) / (2 * h),)),
        Effect("forward and central difference mixed up",
               "that is a one-sided difference (f(x + h) - f(x)) or (f(x) - f(x - h)). The central difference "
               "looks both ways: (f(x + h) - f(x - h)) / 2h.",
               variants=(forward_difference, lambda f, x, h: (f(x + h) - f(x)) / (2 * h),
                         lambda f, x, h: (f(x) - f(x - h)) / h, lambda f, x, h: (f(x) - f(x - h)) / (2 * h))),
    ])


def check_forward_difference(fn):
    """Check ``forward_difference(f, x, h) = (f(x + h) - f(x)) / h`` for a scalar function f."""
    return FORWARD.check(fn)


def check_central_difference(fn):
    """Check ``central_difference(f, x, h) = (f(x + h) - f(x - h)) / (2 h)`` for a scalar function f."""
    return CENTRAL.check(fn)


# ------------------------------------------------------------------ relative error

def _rel_error_cases(rng=None):
    r = _source(rng, 60)
    a = r.standard_normal((3, 4))
    return [Case("two close 3x4 arrays", (a, a + 1e-6 * r.standard_normal((3, 4)))),
            Case("zeros in both", (np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.1, 2.0]))),
            Case("opposite signs", (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, 3.0]))),
            Case("equal arrays", (a.copy(), a.copy())),
            Case("one much larger", (np.array([5.0, 2e-3]), np.array([4.0, 1e-3])))]


REL_ERROR = Exercise(
    "rel_error", reference.rel_error, _rel_error_cases, input_names=("a", "b"),
    outputs=("error",), run=_runner("rel_error", keeps=((0, "a"), (1, "b"))), may_use=(),
    same_as=("gradcheck.numerical.rel_error",),
    mistakes=[
        Mistake("relative error without the max/abs guard (division by zero)",
                "where a and b are both 0, |a - b| / (|a| + |b|) is 0 / 0 = nan. Guard the denominator: "
                "np.maximum(1e-8, np.abs(a) + np.abs(b)), so two zeros give an error of 0.",
                lambda a, b: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))),
        Mistake("|a + b| instead of |a| + |b|",
                "the denominator is |a| + |b|, the sum of the sizes; |a + b| is 0 when a = -b, and the "
                "error explodes exactly where a and b disagree most.",
                lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))),
        Mistake("mean instead of max",
                "the errors were averaged; the relative error is the worst (largest) elementwise one, "
                "because a single wrong gradient entry is a bug: use np.max.",
                lambda a, b: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))),
        Mistake("divided by |b| only",
                "the difference was divided by |b| alone. This course divides by |a| + |b|, which is "
                "symmetric (rel_error(a, b) == rel_error(b, a)) and is what the bands (1e-7 good, "
                "1e-2 wrong) are made for.",
                lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(b))))),
        Mistake("max(|a|, |b|) in the denominator",
                "the denominator is the sum |a| + |b| here, not the larger of the two: the errors come "
                "out up to twice as large, and the bands of the lesson are for the sum.",
                lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))))),
        Mistake("abs missing around a - b",
                "the difference a - b needs an absolute value: without it, negative differences count "
                "as smaller than zero and the max misses them.",
                lambda a, b: float(np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))),
    ],
    loop_free=True,
    effects=[
        Effect("np.max instead of np.maximum",
               "np.max(1e-8, x) is a reduction whose second argument is an axis, so numpy tries to read the "
               "array as an axis number and fails. The guard compares elementwise: "
               "np.maximum(1e-8, np.abs(a) + np.abs(b)). (np.max, at the end, then takes the worst element.)",
               raises=lambda text, case: "scalar index" in text or "cannot be interpreted as an integer" in text,
               alone=True),
        Effect("max() instead of np.maximum",
               "Python's max(1e-8, x) compares one number with a whole array, which has no single truth "
               "value. The guard compares elementwise: np.maximum(1e-8, np.abs(a) + np.abs(b)).",
               raises=lambda text, case: "truth value of an array" in text, alone=True),
        *common(("error",)),
        Effect("relative error without the max/abs guard (division by zero)",
               "where a and b are both 0, |a - b| / (|a| + |b|) is 0 / 0 = nan. Guard the denominator: "
               "np.maximum(1e-8, np.abs(a) + np.abs(b)), so two zeros give an error of 0.",
               shows=lambda g, w, case: not np.all(np.isfinite(np.asarray(g, dtype=float)))
               and bool(np.any((np.asarray(case.args[0]) == 0) & (np.asarray(case.args[1]) == 0)))),
        Effect("worst element not taken",
               "the elementwise errors came back as an array; rel_error is one number, the worst (largest) "
               "of them: np.max(errors).",
               shows=lambda g, w, case: np.ndim(g) > 0 and np.size(g) > 1
               and same_output(float(np.max(g)), w, 1e-6, 1e-9)),
        Effect("1e-8 added instead of max(1e-8, ...)",
               "the guard was added to the denominator (|a| + |b| + 1e-8); the lesson's relative error takes "
               "the larger of the two, np.maximum(1e-8, np.abs(a) + np.abs(b)), which changes nothing unless "
               "both values are (almost) zero.",
               variants=(lambda a, b: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8))),)),
        Effect("|a + b| instead of |a| + |b|",
               "the denominator is |a| + |b|, the sum of the sizes; a + b (or |a + b|) is 0 when a = -b, and "
               "the error explodes exactly where a and b disagree most.",
               variants=(lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, a + b))),
                         lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))))),
        Effect("sum instead of max",
               "the errors were added up; the relative error is the worst (largest) elementwise one: np.max.",
               variants=(lambda a, b: float(np.sum(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),)),
        Effect("max of the top over max of the bottom",
               "the largest difference was divided by the largest denominator; the relative error divides "
               "element by element first, then takes the largest ratio: "
               "np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))).",
               variants=(lambda a, b: float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))),)),
        Effect("mean instead of max",
               "the errors were averaged; the relative error is the worst (largest) elementwise one, "
               "because a single wrong gradient entry is a bug: use np.max.",
               variants=(lambda a, b: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),)),
    ])


def check_rel_error(fn):
    """Check ``rel_error(a, b) = max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)`` for same-shape arrays."""
    return REL_ERROR.check(fn)


# ------------------------------------------------------------------ numerical gradient of f: array -> R

def _function(kind, x):
    """The function whose gradient a case asks for; "closure" reads x itself, not its argument."""
    if kind == "sum of squares":
        return lambda v: float(np.sum(v ** 2))
    if kind == "closure":
        weights = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
        return lambda _: float(np.sum(np.sin(x) * weights))
    if kind == "quadratic form":
        A = _rng(70).standard_normal((x.shape[1], 2))
        return lambda v: float(np.sum((v @ A) ** 2) + np.sum(np.tanh(v)))
    return lambda v: float(np.prod(v) + np.sum(np.exp(v)))


def _run_numerical_gradient(fn, kind, x, h):
    """The gradient the learner's function returns, and x as the function left it."""
    grad = fn(_function(kind, x), x, h)
    return grad, x.copy()


def _numerical_gradient_cases(rng=None):
    r = _source(rng, 71)
    return [Case("sum of squares of 3 elements", ("sum of squares", r.standard_normal(3), 1e-5)),
            Case("a 2x3 matrix", ("quadratic form", r.standard_normal((2, 3)), 1e-5)),
            Case("f reads x through a closure", ("closure", r.standard_normal((2, 2)), 1e-5)),
            Case("a single element", ("product and exp", np.array([_point(rng, 0.7, -1, 1)]), 1e-4)),
            Case("a large step h=0.1", ("product and exp", r.standard_normal(3), 0.1))]


def _not_restored(f, x, h):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        grad[idx] = (f_plus - f(x)) / (2 * h)
    return grad


def _h_once(f, x, h):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= h
        grad[idx] = (f_plus - f(x)) / (2 * h)
    return grad


def _backward_numerical(f, x, h):
    grad, fx = np.zeros_like(x), f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old - h
        grad[idx] = (fx - f(x)) / h
        x[idx] = old
    return grad


def _on_a_copy(f, x, h):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (f(plus) - f(minus)) / (2 * h)
    return grad


def _forward_numerical(f, x, h):
    grad, fx = np.zeros_like(x), f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = old
    return grad


NUMERICAL_GRADIENT = Exercise(
    "numerical_gradient", reference.numerical_gradient, _numerical_gradient_cases,
    input_names=("f", "x", "h"), outputs=("grad", "x after the call"),
    run=_runner("numerical_gradient", _run_numerical_gradient), rtol=1e-5, atol=1e-8, may_use=(),
    same_as=("gradcheck.numerical.numerical_gradient", "gradcheck.numerical.sweep"),
    mistakes=[
        Mistake("numerical_gradient not restoring x",
                "x was not put back: after the call it differs from before, and every later element was "
                "measured at a shifted point. Save old = x[idx] before perturbing, and set x[idx] = old "
                "after the two evaluations.", _not_restored),
        Mistake("h applied once instead of 2h",
                "after x[idx] += h, going to x - h takes x[idx] -= 2 * h (h back to x, and h more); "
                "subtracting h once only returns to x, so f(x) was used in place of f(x - h). Simplest: "
                "set x[idx] = old + h, then x[idx] = old - h, then x[idx] = old.", _h_once),
        Mistake("perturbed a copy of x",
                "a copy of x was perturbed, so a function that reads x itself (like "
                "lambda _: model.loss(X, y)) never saw the change and its gradient came out 0. "
                "Perturb x in place, x[idx] = old + h, call f(x), and restore x[idx] = old.", _on_a_copy),
        Mistake("forward and central difference mixed up",
                "that is the forward difference (f(x + h e_i) - f(x)) / h; numerical_gradient uses the "
                "central one, (f(x + h e_i) - f(x - h e_i)) / 2h, whose error is O(h**2) instead of O(h).",
                _forward_numerical),
        Mistake("whole array perturbed at once",
                "h was added to every element at once, which gives one number (the slope along the "
                "diagonal), not a gradient. Perturb one element at a time, looping over "
                "np.ndindex(x.shape), and fill grad[idx].",
                lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h)),
    ],
    effects=[
        *common(("grad", "x after the call")),
        Effect("numerical_gradient not restoring x",
               "x was not put back: after the call it differs from before, and every later element was "
               "measured at a shifted point. Save old = x[idx] before perturbing, and set x[idx] = old "
               "after the two evaluations.",
               shows=lambda g, w, case: isinstance(g, (tuple, list)) and len(g) == 2
               and not same_output(g[1], w[1], 1e-5, 1e-8)),
        Effect("perturbed a copy of x",
               "a copy of x was perturbed, so a function that reads x itself (like "
               "lambda _: model.loss(X, y)) never saw the change and its gradient came out 0. "
               "Perturb x in place, x[idx] = old + h, call f(x), and restore x[idx] = old.", part="grad",
               shows=lambda g, w, case: case.args[0] == "closure" and not np.any(np.asarray(g, dtype=float))),
        Effect("h applied once instead of 2h",
               "after x[idx] += h, going to x - h takes x[idx] -= 2 * h (h back to x, and h more); "
               "subtracting h once only returns to x, so f(x) was used in place of f(x - h). Simplest: "
               "set x[idx] = old + h, then x[idx] = old - h, then x[idx] = old.", part="grad",
               variants=(lambda kind, x, h: _h_once(_function(kind, x), x, h),)),
        Effect("forward and central difference mixed up",
               "that is a one-sided difference, (f(x + h e_i) - f(x)) / h; numerical_gradient uses the "
               "central one, (f(x + h e_i) - f(x - h e_i)) / 2h, whose error is O(h**2) instead of O(h).",
               part="grad", variants=(lambda kind, x, h: _forward_numerical(_function(kind, x), x, h),
                                      lambda kind, x, h: _backward_numerical(_function(kind, x), x, h))),
        scaled("divided by h instead of 2h",
               "x + h e_i and x - h e_i are 2h apart, so each entry is (f_plus - f_minus) / (2 * h); "
               "dividing by h (or by 2 and then multiplying by h) doubles it.", lambda case: 2.0, part="grad"),
        Effect("2*h without parentheses",
               "`/ 2 * h` divides by 2 and then multiplies by h (Python reads it left to right). "
               "Write `/ (2 * h)`.", part="grad",
               shows=lambda g, w, case: same_output(np.asarray(g, dtype=float),
                                                    np.asarray(w, dtype=float) * case.args[2] ** 2, 1e-5, 1e-12)),
        negated("difference reversed",
                "every entry has the wrong sign: grad[idx] = (f(x + h e_i) - f(x - h e_i)) / (2h), the value "
                "at x + h minus the value at x - h.", part="grad"),
    ])


def check_numerical_gradient(fn):
    """Check ``numerical_gradient(f, x, h) -> grad`` (central differences, x perturbed in place and
    restored), grad shaped like x."""
    return NUMERICAL_GRADIENT.check(fn)


# ------------------------------------------------------------------ the chain rule by hand

def _neuron_cases(rng=None):
    def drawn(label, fixed, ranges):
        if rng is None:
            return Case(label, fixed)
        return Case(label, tuple(_point(rng, v, *r) if r else v for v, r in zip(fixed, ranges)))
    wide, unit = (-2, 2), (0, 1)
    return [drawn("w=0.5 b=-1 x=2 y=1" if rng is None else "drawn w, b and x, y=1",
                  (0.5, -1.0, 2.0, 1.0), (wide, wide, wide, None)),
            drawn("w=-1.5 b=0.3 x=0.8 y=0" if rng is None else "drawn w, b and x, y=0",
                  (-1.5, 0.3, 0.8, 0.0), (wide, wide, wide, None)),
            drawn("negative input x=-3" if rng is None else "negative input x",
                  (0.7, 0.2, -3.0, 1.0), (wide, wide, (-4, -2), None)),
            drawn("saturated neuron", (4.0, 1.0, 2.5, 0.0), ((3, 5), (0.5, 1.5), (2, 3), None)),
            drawn("target y=0.25" if rng is None else "a target between 0 and 1",
                  (1.2, -0.4, 1.0, 0.25), (wide, wide, wide, unit))]


def _neuron_mistake(dL_ds, ds_dz, dz_dw):
    def impl(w, b, x, y):
        z = w * x + b
        s = float(sigmoid(z))
        g = dL_ds(s, y) * ds_dz(s, z)
        return g * dz_dw(x), g
    return impl


def _neuron_part_effects(part):
    """The slips of the chain rule, each recognised in dL/dw and in dL/db on its own."""
    index = 0 if part == "dL_dw" else 1

    def made(dL_ds=lambda s, y: 2 * (s - y), ds_dz=lambda s, z: s * (1 - s), dz_dw=lambda x, w: x,
             dz_db=lambda x, w: 1.0):
        def value(w, b, x, y):
            z = w * x + b
            s = 1.0 / (1.0 + np.exp(-z))
            g = dL_ds(s, y) * ds_dz(s, z)
            return (g * dz_dw(x, w), g * dz_db(x, w))[index]
        return value
    effects = [
        Effect("sigmoid derivative missing",
               "the sigmoid's local derivative ds/dz = s (1 - s) is missing from the chain: "
               "dL/dz = dL/ds * ds/dz = 2 (s - y) * s (1 - s).", part=part,
               variants=(made(ds_dz=lambda s, z: 1.0),)),
        Effect("factor 2 of the square missing",
               "d(s - y)**2 / ds = 2 (s - y): the factor 2 from the square is missing.", part=part,
               variants=(made(dL_ds=lambda s, y: s - y),)),
        Effect("sigmoid derivative from z instead of s",
               "the sigmoid's derivative is s (1 - s) with s = sigmoid(z), the output; z (1 - z) uses "
               "the input instead.", part=part, variants=(made(ds_dz=lambda s, z: z * (1 - z)),)),
        negated("sign flipped",
                "the gradient has the wrong sign: d(s - y)**2 / ds = 2 (s - y), not 2 (y - s).", part=part),
        Effect("(1 - s)**2 instead of s (1 - s)",
               "the sigmoid's derivative is s (1 - s), a product of s and 1 - s.", part=part,
               variants=(made(ds_dz=lambda s, z: (1 - s) ** 2), made(ds_dz=lambda s, z: 1 - s ** 2))),
    ]
    if part == "dL_dw":
        effects += [
            Effect("dL/dw without the factor x",
                   "dL/dw = dL/dz * dz/dw, and dz/dw = x for z = w x + b: multiply by x (dL/db has "
                   "dz/db = 1 instead).", part=part, variants=(made(dz_dw=lambda x, w: 1.0),)),
            Effect("dz/dw = w instead of x",
                   "z = w x + b changes by x per unit of w, so dz/dw = x (not w): dL/dw = dL/dz * x.",
                   part=part, variants=(made(dz_dw=lambda x, w: w),)),
        ]
    else:
        effects.append(Effect("dL/db with a factor x",
                              "dz/db = 1 for z = w x + b (the bias is added as it is), so dL/db = dL/dz, "
                              "without the factor x that dL/dw has.", part=part,
                              variants=(made(dz_db=lambda x, w: x),)))
        effects.append(Effect("dL/db with a factor w",
                              "dz/db = 1 for z = w x + b (the bias is added as it is), so dL/db = dL/dz, "
                              "with no factor w.", part=part, variants=(made(dz_db=lambda x, w: w),)))
    return effects


NEURON_GRADIENT = Exercise(
    "neuron_loss_gradient", reference.neuron_loss_gradient, _neuron_cases,
    input_names=("w", "b", "x", "y"), outputs=("dL_dw", "dL_db"), run=_runner("neuron_loss_gradient"),
    may_use=("autograd",),
    mistakes=[
        Mistake("sigmoid derivative missing",
                "the sigmoid's local derivative ds/dz = s (1 - s) is missing from the chain: "
                "dL/dz = dL/ds * ds/dz = 2 (s - y) * s (1 - s).",
                _neuron_mistake(lambda s, y: 2 * (s - y), lambda s, z: 1.0, lambda x: x)),
        Mistake("factor 2 of the square missing",
                "d(s - y)**2 / ds = 2 (s - y): the factor 2 from the square is missing.",
                _neuron_mistake(lambda s, y: s - y, lambda s, z: s * (1 - s), lambda x: x)),
        Mistake("sigmoid derivative from z instead of s",
                "the sigmoid's derivative is s (1 - s) with s = sigmoid(z), the output; z (1 - z) uses "
                "the input instead.",
                _neuron_mistake(lambda s, y: 2 * (s - y), lambda s, z: z * (1 - z), lambda x: x)),
        Mistake("dL/dw without the factor x",
                "dL/dw = dL/dz * dz/dw, and dz/dw = x for z = w x + b: multiply by x (dL/db has "
                "dz/db = 1 instead).",
                _neuron_mistake(lambda s, y: 2 * (s - y), lambda s, z: s * (1 - s), lambda x: 1.0)),
        Mistake("sign flipped",
                "both gradients have the wrong sign: d(s - y)**2 / ds = 2 (s - y), not 2 (y - s).",
                _neuron_mistake(lambda s, y: 2 * (y - s), lambda s, z: s * (1 - s), lambda x: x)),
    ],
    effects=[*common(("dL_dw", "dL_db")), *_neuron_part_effects("dL_dw"), *_neuron_part_effects("dL_db")])



def check_neuron_loss_gradient(fn):
    """Check ``neuron_loss_gradient(w, b, x, y) -> (dL/dw, dL/db)`` for L = (sigmoid(w x + b) - y)**2,
    all scalars."""
    return NEURON_GRADIENT.check(fn)


EXERCISES = {e.name: e for e in (FORWARD, CENTRAL, REL_ERROR, NUMERICAL_GRADIENT, NEURON_GRADIENT)}
