"""Checks for lesson 06, gradient descent: the SGD step, a whole descent path, momentum and Adam.

The step functions change the parameter dict in place, so their checks drive them for a few steps
(``run=``) and compare the parameters after every step with the reference's. Gradients are handed
over as fresh copies at each step, so a function that modifies them cannot spoil the comparison.

A mistake is recognised by its **effect**, however it is written (see ``lesson05_network.Effect``):

- ``sgd_step``: each step's change of each parameter is compared with its gradient. A change of
  ``+lr * grad`` is an ascent, ``-lr**2 * grad`` a learning rate applied twice, ``-grad`` a forgotten
  one, no change an update that is not in place, whatever the code looks like.
- ``gradient_descent``: a path whose rows after the first are all the same point is the same array
  appended at every step; a path one row too long, too short or without its start is said so.
- ``momentum_step`` and ``adam_step``: every classic fault is a switch of one parameterised wrong
  answer (``FaultSpace``); a learner's answer with one fault, or two together, is named by them.
"""
from __future__ import annotations

import numpy as np

from .. import reference
from ..reference import gradient_descent
from .core import Case, Raised
from .lesson05_network import Effect, EffectCheck, FaultSpace, raised_matching

__all__ = ["check_sgd_step", "check_gradient_descent", "check_momentum_step", "check_adam_step"]

RTOL, ATOL = 1e-6, 1e-9


def _rng(seed):
    return np.random.default_rng(seed)


def _source(rng, seed):
    """The generator a case function draws from: the grader's (hidden values), else the notebook's seed."""
    return rng if rng is not None else _rng(seed)


def _fresh(d):
    return {k: np.array(v, dtype=float, copy=True) for k, v in d.items()}


def _param_cases(seed, lrs, rng=None):
    """Cases ``(params, [grads, ...], lr)``: shapes of a small network, one vector, several steps."""
    r = _source(rng, seed)
    net = {"W1": r.standard_normal((3, 2)), "b1": r.standard_normal(2),
           "W2": r.standard_normal((2, 2)), "b2": r.standard_normal(2)}
    cases = [("a network's parameters: 1 step", net, 1),
             ("one vector: 3 steps", {"theta": r.standard_normal(4)}, 3),
             ("weights and bias: 5 steps",
              {"W": r.standard_normal((2, 3)), "b": r.standard_normal(3)}, 5)]
    out = []
    for (label, params, steps), lr in zip(cases, lrs):
        grads = [{k: r.standard_normal(np.shape(v)) for k, v in params.items()} for _ in range(steps)]
        out.append(Case(f"{label} at lr {lr}", (params, grads, lr)))
    return out


def _drive(fn, params, grad_list, call):
    """Call ``call(fn, params, grads)`` once per step (the gradients as fresh copies); the parameters
    after every step."""
    seen = {}
    for i, grads in enumerate(grad_list, 1):
        call(fn, params, _fresh(grads))
        for k, v in params.items():
            seen[f"{k} after step {i}"] = np.array(v, dtype=float, copy=True)
    return seen


# ------------------------------------------------------------------ the errors a dict gives

_DICT_AS_ARRAY = raised_matching(r"operand type\(s\) for [-+*/]=?: '(float|int|dict)' and '(dict|float|int)'")
_KEYS_AS_ARRAYS = raised_matching(r"can't multiply sequence by non-int|operand type\(s\) for [-+*/]=?: "
                                  r"'(str|float)' and '(str|float)'")


def _dict_as_array_impl(params, grads, *rest):
    for name in params:
        params[name] -= 0.1 * grads


def _keys_as_arrays_impl(params, grads, *rest):
    for p, g in zip(params, grads):
        p -= 0.1 * g


def _dict_mistakes(what):
    return [
        Effect("whole dict used as an array",
               f"a whole dict was used in arithmetic (e.g. lr * grads): {what} are dicts of arrays. Loop "
               f"over the names and work on one array at a time: for name in params: ... grads[name] ...",
               _dict_as_array_impl, detect=_DICT_AS_ARRAY),
        Effect("looping over a dict's names as if they were arrays",
               "a loop over a dict (or zip of dicts) gives its KEYS, the names 'W1', 'b1', ..., not the "
               "arrays. Loop over the names and index: for name in params: params[name] -= ... "
               "grads[name].", _keys_as_arrays_impl, detect=_KEYS_AS_ARRAYS),
    ]


# ------------------------------------------------------------------ sgd_step

def _run_sgd(fn, params, grad_list, lr):
    return _drive(fn, params, grad_list, lambda f, p, g: f(p, g, lr))


def _sgd_cases(rng=None):
    return _param_cases(20, (0.1, 0.5, 0.05), rng)


def _close(a, b):
    return abs(a - b) <= 1e-6 * abs(b) + 1e-12


def _sgd_label(c, lr):
    """What a step's change ``c * grad`` of one parameter says."""
    if c is None:
        return None
    if _close(c, -lr):
        return "right"
    if abs(c) < 1e-12:
        return "no change"
    if c > 0:
        return "ascent"
    if _close(c, -lr * lr):
        return "lr twice"
    if _close(c, -1.0):
        return "no lr"
    return None


def _sgd_labels(g, case):
    """[[label of each parameter] for each step] of the learner's output ``g`` on ``case``."""
    params, grad_list, lr = case.args
    prev = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    steps = []
    for i, grads in enumerate(grad_list, 1):
        row = []
        for k in params:
            now = np.asarray(g[f"{k} after step {i}"], dtype=float)
            d, gr = now - prev[k], np.asarray(grads[k], dtype=float)
            c = float(np.vdot(d, gr) / np.vdot(gr, gr))
            row.append(_sgd_label(c if np.allclose(d, c * gr, rtol=1e-6, atol=1e-10) else None, lr))
            prev[k] = now
        steps.append(row)
    return steps


def _sgd_effect(label):
    """A ``detect``: every parameter's every step is right or ``label``, and ``label`` shows."""
    def detect(got, want, cases):
        shown = False
        for g, case in zip(got, cases):
            labels = [x for row in _sgd_labels(g, case) for x in row]
            if any(x not in ("right", label) for x in labels):
                return False
            shown = shown or label in labels
        return shown
    return detect


def _sgd_first_only_detect(got, want, cases):
    shown = False
    for g, case in zip(got, cases):
        for row in _sgd_labels(g, case):
            if len(row) == 1:
                if row != ["right"]:
                    return False
            elif row[0] == "right" and all(x == "no change" for x in row[1:]):
                shown = True
            else:
                return False
    return shown


def _sgd_some_keys_detect(got, want, cases):
    """Some parameters take the right step at every step and the others never change."""
    shown = False
    for g, case in zip(got, cases):
        rows = _sgd_labels(g, case)
        per_key = [set(column) for column in zip(*rows)]
        if any(len(labels) != 1 or labels - {"right", "no change"} for labels in per_key):
            return False
        kinds = {next(iter(labels)) for labels in per_key}
        shown = shown or kinds == {"right", "no change"}   # a case may have only one kind of key
    return shown


def _sgd_weights_only(params, grads, lr):
    for name in params:
        if name.startswith("W"):
            params[name] -= lr * grads[name]


def _sgd_ascent(params, grads, lr):
    for name, value in params.items():
        value += lr * grads[name]


def _sgd_lr_twice(params, grads, lr):
    for name in params:
        params[name] -= lr * lr * grads[name]


def _sgd_no_lr(params, grads, lr):
    for name in params:
        params[name] -= grads[name]


def _sgd_not_in_place(params, grads, lr):
    params = {k: params[k] - lr * grads[k] for k in params}
    return params


def _sgd_first_only(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
        return params


SGD_STEP = EffectCheck(
    "sgd_step", reference.sgd_step, _sgd_cases, run=_run_sgd, outputs=("params",),
    input_names=("params", "grads", "lr"), may_use=(), same_as=("optim.SGD",),
    mistakes=[
        Effect("gradient descent adding the gradient",
               "the parameters moved UP the gradient: the gradient points to where the loss grows "
               "fastest, so descent subtracts it: theta <- theta - lr * grad.",
               _sgd_ascent, detect=_sgd_effect("ascent")),
        Effect("learning rate applied twice",
               "every step is lr times too small: the learning rate was applied twice (lr * lr * "
               "grad). Multiply the gradient by lr exactly once: theta <- theta - lr * grad.",
               _sgd_lr_twice, detect=_sgd_effect("lr twice")),
        Effect("learning rate forgotten",
               "the step is the whole gradient: the learning rate is missing. The step is "
               "lr * grad, so that lr controls how far each update goes.",
               _sgd_no_lr, detect=_sgd_effect("no lr")),
        Effect("only the first parameter updated",
               "only the first parameter was updated: is the `return` inside the loop? Every "
               "parameter in the dict needs its step.", _sgd_first_only, detect=_sgd_first_only_detect),
        Effect("some parameters not updated",
               "some parameters took the right step and the others never changed (the biases b1, "
               "b2, ..., say, or every key after some condition): every entry of params needs its "
               "step. Loop over all the keys of params, and update each one in place.",
               _sgd_weights_only, detect=_sgd_some_keys_detect),
        Effect("update not in place",
               "the parameters did not change. A new dict (params = {...}) or a new array "
               "(theta = theta - lr * g) only rebinds a local name, and a returned value is ignored: "
               "the caller's dict must change. Write into it: params[name] -= lr * grads[name].",
               _sgd_not_in_place, detect=_sgd_effect("no change")),
        *_dict_mistakes("params and grads"),
    ])


def check_sgd_step(fn):
    """Check ``sgd_step(params, grads, lr)``: ``params[k] -= lr * grads[k]`` for every key, in place."""
    return SGD_STEP.check(fn)


# ------------------------------------------------------------------ gradient_descent

def _run_gd(fn, grad_fn, theta0, lr, steps):
    start = theta0.copy()
    path = fn(grad_fn, theta0, lr, steps)
    if path is not None:
        try:
            path = np.array(path, dtype=float)
        except (TypeError, ValueError):
            pass
    return path, bool(np.array_equal(theta0, start))


_A = np.array([[3.0, 1.0], [1.0, 2.0]])


def _gd_cases(rng=None):
    def start(fixed, low, high):
        fixed = np.array(fixed)
        return fixed if rng is None else np.round(rng.uniform(low, high, fixed.shape), 6)
    return [Case("2-D bowl: 5 steps", (lambda th: _A @ th, start([1.5, -2.0], -3, 3), 0.1, 5)),
            Case("1-D parabola: 4 steps", (lambda th: 2 * th, start([3.0], -4, 4), 0.3, 4)),
            Case("curved valley: 6 steps",
                 (lambda th: np.array([4 * th[0] ** 3 - 2 * th[1], 2 * th[1] - 2 * th[0]]),
                  start([1.0, -0.5], -1, 1), 0.05, 6)),
            Case("zero steps", (lambda th: 2 * th, np.array([1.0, 2.0]), 0.1, 0))]


def _path_of(output):
    """The learner's path as a float array, or None."""
    if isinstance(output, Raised) or not isinstance(output, (tuple, list)) or len(output) != 2:
        return None
    try:
        return np.asarray(output[0], dtype=float)
    except (TypeError, ValueError):
        return None


def _path_effect(test):
    """A ``detect``: on every case the path is right or ``test(path, right_path, case)`` holds, and it
    holds on one case where the path is wrong."""
    def detect(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            path, right = _path_of(g), np.asarray(w[0], dtype=float)
            if path is not None and path.shape == right.shape and np.allclose(path, right, RTOL, ATOL):
                continue
            if path is None or not test(path, right, case):
                return False
            shown = True
        return shown
    return detect


def _same(a, b):
    if a.size == 0 and b.size == 0:
        return True
    return a.shape == b.shape and np.allclose(a, b, RTOL, ATOL)


def _aliased(path, right, case):
    """Every row after the first is one and the same point (row 0 too, or theta0), while the right path
    moves."""
    return (path.ndim == 2 and len(path) == len(right) and len(path) >= 3
            and np.allclose(path[1:], path[-1], RTOL, ATOL))


def _gd_same_array(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    path = [theta0.copy()]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return path


def _gd_in_place(grad_fn, theta0, lr, steps):
    theta = theta0
    path = [theta.copy()]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta.copy())
    return np.array(path)


def _gd_no_start(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), []
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path).reshape(steps, len(theta0))


def _gd_extra_step(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), [theta0.copy()]
    for _ in range(steps + 1):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)


def _gd_one_short(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), [theta0.copy()]
    for _ in range(1, steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)


def _gd_flattened(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), np.array(theta0, dtype=float)
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path = np.append(path, theta)
    return path


def _gd_last_only(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
    return theta


def _gd_gradient_once(grad_fn, theta0, lr, steps):
    theta, g, path = theta0.copy(), grad_fn(theta0), [theta0.copy()]
    for _ in range(steps):
        theta = theta - lr * g
        path.append(theta)
    return np.array(path)


def _gd_nothing_returned(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), [theta0.copy()]
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)


def _nothing_returned(got, want, cases):
    return all(isinstance(g, (tuple, list)) and len(g) == 2 and g[0] is None for g in got)


def _start_changed(got, want, cases):
    return (all(_path_of(g) is not None and _same(_path_of(g), np.asarray(w[0], dtype=float))
                for g, w in zip(got, want))
            and any(g[1] is False for g in got))


GRADIENT_DESCENT = EffectCheck(
    "gradient_descent", reference.gradient_descent, _gd_cases, run=_run_gd,
    outputs=("path", "theta0 unchanged"), may_use=(),
    input_names=("grad_fn", "theta0", "lr", "steps"),
    mistakes=[
        Effect("nothing returned",
               "the function returned None: the path must be returned (return np.array(path)).",
               _gd_nothing_returned, detect=_nothing_returned),
        Effect("same array appended every step",
               "every row of the path after the first is the same point: the same array was appended at "
               "each step and then changed in place (theta -= ...), so every entry of the list is that one "
               "array, in its final state. Append a copy (path.append(theta.copy())), or write "
               "theta = theta - lr * grad_fn(theta), which makes a new array at every step. And start "
               "from a copy of theta0 (theta = theta0.copy()): theta = theta0 makes theta the "
               "caller's array, which the steps would change too.",
               _gd_same_array, detect=_path_effect(_aliased)),
        Effect("gradient descent adding the gradient",
               "the path climbs: the gradient points uphill, so each step subtracts it: "
               "theta <- theta - lr * grad_fn(theta).",
               lambda g, t0, lr, steps: gradient_descent(lambda th: -g(th), t0, lr, steps)),
        Effect("learning rate applied twice",
               "every step is lr times too small: the learning rate was applied twice. The step is "
               "lr * grad_fn(theta), with lr once.",
               lambda g, t0, lr, steps: gradient_descent(g, t0, lr * lr, steps)),
        Effect("gradient computed once, before the loop",
               "every step used the gradient at theta0: the gradient changes as theta moves, so call "
               "grad_fn(theta) again inside the loop, at the current point.", _gd_gradient_once),
        Effect("start point missing from the path",
               "the path should start with theta0 itself: steps + 1 points in all, theta0 and then "
               "the point after each step.", _gd_no_start,
               detect=_path_effect(lambda p, r, c: _same(p, r[1:]))),
        Effect("one step too many",
               "the path has one point too many: the loop ran steps + 1 times. Take exactly `steps` "
               "steps (for _ in range(steps)); with theta0 that gives steps + 1 points.", _gd_extra_step,
               detect=_path_effect(lambda p, r, c: p.ndim == 2 and len(p) == len(r) + 1 and _same(p[:-1], r))),
        Effect("one step too few",
               "the path is one point short: the last point is missing (the loop ran steps - 1 times, or "
               "each point was appended before its step, so the final one never was). Take exactly `steps` "
               "steps and append the new point after each: theta0 and the steps give steps + 1 points.",
               _gd_one_short, detect=_path_effect(lambda p, r, c: len(r) > 1 and _same(p, r[:-1]))),
        Effect("path flattened",
               "the path came back as one flat list of numbers: np.append without an axis flattens. Collect "
               "the points in a list (path.append(theta)) and return np.array(path), one row per point.",
               _gd_flattened, detect=_path_effect(lambda p, r, c: p.ndim == 1 and _same(p, r.ravel()))),
        Effect("only the last point returned",
               "it returned the last point only; the exercise asks for the whole path, one row per "
               "point: theta0, then the point after each step (collect them in a list, then np.array).",
               _gd_last_only, detect=_path_effect(lambda p, r, c: _same(p, r[-1]))),
        Effect("start point changed in place",
               "the path is right, but the caller's theta0 changed: theta = theta0 does not copy, so "
               "theta -= ... wrote into theta0. Start from a copy: theta = theta0.copy().",
               _gd_in_place, detect=_start_changed),
    ])


def check_gradient_descent(fn):
    """Check ``gradient_descent(grad_fn, theta0, lr, steps)``: the array of ``steps + 1`` points."""
    return GRADIENT_DESCENT.check(fn)


# ------------------------------------------------------------------ momentum_step

def _run_momentum(fn, params, grad_list, lr, mu):
    velocity = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
    return _drive(fn, params, grad_list, lambda f, p, g: f(p, g, velocity, lr, mu))


def _momentum_cases(rng=None):
    cases = []
    for case, mu in zip(_param_cases(21, (0.1, 0.2, 0.05), rng), (0.9, 0.5, 0.8)):
        params, grads, lr = case.args
        cases.append(Case(f"{case.label} and mu {mu}", (params, grads, lr, mu)))
    r = _source(rng, 22)
    g = {"theta": r.standard_normal(3)}
    cases.append(Case("one gradient 4 times at lr 0.1 and mu 0.9",
                      ({"theta": r.standard_normal(3)}, [g] * 4, 0.1, 0.9)))
    return cases


def _momentum_with(faults):
    """A ``momentum_step`` that makes every fault in ``faults`` (names of ``MOMENTUM_FAULTS``)."""
    def momentum_step(params, grads, velocity, lr, mu):
        sign = 1.0 if "gradient descent adding the gradient" in faults else -1.0
        m = 1.0 if "mu forgotten" in faults else mu
        for name in params:
            g, old = grads[name], velocity[name]
            if "velocity averaged with (1 - mu)" in faults:
                new = m * old + (1 - m) * g
                move = sign * lr * (old if "parameters moved with the old velocity" in faults else new)
            else:
                new = m * old + sign * lr * g
                move = old if "parameters moved with the old velocity" in faults else new
            if "learning rate applied twice" in faults:
                move = lr * move
            if "momentum velocity not kept between steps" not in faults:
                velocity[name] = new
            if "update not in place" not in faults:
                params[name] = params[name] + move
    return momentum_step


MOMENTUM_FAULTS = FaultSpace(_momentum_with, [
    ("update not in place",
     "the parameters did not change: the caller's dict must see the step. Write into it: "
     "params[name] += velocity[name] (a new dict or a local name only rebinds)."),
    ("momentum velocity not kept between steps",
     "each step behaves like plain SGD: the new velocity was computed but not stored back in the "
     "velocity dict, so the next call starts again from the old one. Write it into the dict: "
     "velocity[name] = mu * velocity[name] - lr * grads[name]."),
    ("gradient descent adding the gradient",
     "the parameters move uphill: the velocity and the parameters use opposite sign conventions. "
     "Either the velocity collects MINUS lr times the gradient and theta += velocity "
     "(velocity = mu * velocity - lr * grad), or it collects plus the gradient and theta -= velocity; "
     "mixing the two climbs."),
    ("learning rate applied twice",
     "the steps are lr times too small: the velocity already contains lr (it collects "
     "-lr * grad), so the parameters move by the velocity itself: theta += velocity."),
    ("mu forgotten",
     "the old velocity was kept whole: it must be multiplied by mu (velocity = mu * "
     "velocity - lr * grad), so that old gradients fade away."),
    ("parameters moved with the old velocity",
     "the parameters moved with the previous step's velocity: update the velocity first, "
     "then move theta by the new one."),
    ("velocity averaged with (1 - mu)",
     "the velocity was an average, mu * v + (1 - mu) * grad (that is Adam's first moment). Momentum "
     "adds the whole new step: velocity = mu * velocity - lr * grad, then theta += velocity."),
])


MOMENTUM_STEP = EffectCheck(
    "momentum_step", reference.momentum_step, _momentum_cases, run=_run_momentum, outputs=("params",),
    input_names=("params", "grads", "velocity", "lr", "mu"), may_use=(), same_as=("optim.Momentum",),
    mistakes=[*MOMENTUM_FAULTS.mistakes(),
              *_dict_mistakes("params, grads and velocity")],
    combine=MOMENTUM_FAULTS.combine)


def check_momentum_step(fn):
    """Check ``momentum_step(params, grads, velocity, lr, mu)``, driven for several steps."""
    return MOMENTUM_STEP.check(fn)


# ------------------------------------------------------------------ adam_step

def _run_adam(fn, params, grad_list, lr):
    state = {"t": 0, "m": {k: np.zeros_like(v, dtype=float) for k, v in params.items()},
             "s": {k: np.zeros_like(v, dtype=float) for k, v in params.items()}}
    counts = []

    def call(f, p, g):
        f(p, g, state, lr)
        counts.append(float(state["t"]) if isinstance(state["t"], (int, float, np.number)) else -1.0)
    seen = _drive(fn, params, grad_list, call)
    seen["state['t'] after each call"] = counts
    return seen


def _adam_cases(rng=None):
    cases = _param_cases(23, (0.1, 0.01, 0.05), rng)
    r = _source(rng, 24)
    tiny = {"theta": r.standard_normal(3) * 1e-3}
    start = {"theta": r.standard_normal(3)}
    cases.append(Case("tiny gradients: 3 steps at lr 0.1", (start, [tiny] * 3, 0.1)))
    return cases


_COUNT_FAULTS = {"step count not increased", "step count increased after its use",
                 "step count increased per parameter", "step count not stored"}


def _adam_with(faults):
    """An ``adam_step`` that makes every fault in ``faults`` (names of ``ADAM_FAULTS``, and a few keys of
    partial faults: "m only corrected", "s only corrected", "m only stored corrected", "t counted twice",
    "(1 - beta1) only forgotten")."""
    def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        b1, b2 = (beta2, beta1) if "beta1 and beta2 swapped" in faults else (beta1, beta2)
        if not faults & _COUNT_FAULTS:
            state["t"] += 2 if "t counted twice" in faults else 1
        t = state["t"] + 1 if "step count not stored" in faults else state["t"]
        if "step count off by one" in faults:
            t += 1
        for name in params:
            if "step count increased per parameter" in faults:
                state["t"] += 1
                t = state["t"]
            g = -grads[name] if "gradient descent adding the gradient" in faults else grads[name]
            g2 = np.abs(g) if "absolute gradient instead of its square" in faults else g ** 2
            k1 = 1.0 if faults & {"(1 - beta) factors forgotten", "(1 - beta1) only forgotten"} else 1 - b1
            k2 = 1.0 if "(1 - beta) factors forgotten" in faults else 1 - b2
            m = b1 * state["m"][name] + k1 * g
            s = b2 * state["s"][name] + k2 * g2
            correct_m = not faults & {"bias correction forgotten", "s only corrected"}
            correct_s = not faults & {"bias correction forgotten", "m only corrected"}
            m_hat = m / (1 - b1 ** t) if correct_m else m
            s_hat = s / (1 - b2 ** t) if correct_s else s
            if "moments not kept between steps" not in faults:
                stored = faults & {"bias-corrected moments stored back", "m only stored corrected"}
                state["m"][name] = m_hat if stored else m
                state["s"][name] = s_hat if "bias-corrected moments stored back" in faults else s
            if "square root forgotten" in faults:
                denominator = s_hat + eps
            elif "epsilon inside the square root" in faults:
                denominator = np.sqrt(s_hat + eps)
            else:
                denominator = np.sqrt(s_hat) + eps
            if "update not in place" in faults:
                theta = params[name]
                theta = theta - lr * m_hat / denominator                # a new array, not the caller's
            else:
                params[name] -= lr * m_hat / denominator
        if "step count increased after its use" in faults:
            state["t"] += 1
    return adam_step


ADAM_FAULTS = FaultSpace(_adam_with, [
    ("update not in place",
     "the parameters did not change: the caller's dict must see the step. Write into it: "
     "params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps) (a new array under a local name only rebinds "
     "that name)."),
    ("gradient descent adding the gradient",
     "the parameters move uphill: Adam also subtracts its step, "
     "theta -= lr * m_hat / (sqrt(s_hat) + eps)."),
    ("step count not increased",
     "state['t'] stayed 0, so the bias correction divided by 1 - beta**0 = 0. Increase it once per "
     "call, first: state['t'] += 1."),
    ("step count increased after its use",
     "the bias correction divided by zero: with t = 0, 1 - beta1**t is 0. Increase "
     "state['t'] first, so the first step has t = 1."),
    ("step count increased per parameter",
     "state['t'] counts steps, not parameters: increase it once per call, before the "
     "loop over the parameters."),
    ("step count not stored",
     "the step count never moved on: t = state['t'] + 1 computes the right t once, but it must be "
     "stored (state['t'] += 1), or every call believes it is the first step."),
    ("step count off by one",
     "the bias correction used the wrong step number: the first call must use t = 1 (state['t'] is 0 "
     "before it). Increase state['t'] once per call, then use it as it is."),
    ("moments not kept between steps",
     "m and s were computed but not stored back in state['m'] and state['s'], so every call starts "
     "again from zeros. Write them into the state: state['m'][name] = beta1 * state['m'][name] + ..."),
    ("bias-corrected moments stored back",
     "the bias-corrected m_hat and s_hat were stored in the state: the state keeps the raw averages m "
     "and s; the correction is computed fresh at every step (m_hat = m / (1 - beta1**t)) and used "
     "only for this step."),
    ("bias correction forgotten",
     "the bias correction is missing, so the first steps have the wrong size: m and s start at "
     "zero, so early on they are shrunk towards zero, s far more than m (with beta2 = 0.999 the "
     "first step is about three times too large). Divide them by (1 - beta1**t) and "
     "(1 - beta2**t) before the step."),
    ("epsilon inside the square root",
     "eps went inside the square root, sqrt(s_hat + eps): it belongs outside, "
     "m_hat / (sqrt(s_hat) + eps). Inside, it weighs sqrt(1e-8) = 1e-4, which dominates small gradients."),
    ("square root forgotten",
     "the step divides by s itself: s averages the SQUARED gradient, so its square root "
     "is the gradient's typical size: theta -= lr * m_hat / (sqrt(s_hat) + eps)."),
    ("absolute gradient instead of its square",
     "s averaged |g|; it averages the SQUARED gradient, g**2 (then sqrt(s_hat) is the gradient's "
     "typical size)."),
    ("(1 - beta) factors forgotten",
     "the new gradient was added whole: the running averages weigh it by (1 - beta), "
     "m = beta1 * m + (1 - beta1) * g and s = beta2 * s + (1 - beta2) * g**2."),
    ("beta1 and beta2 swapped",
     "beta1 and beta2 were swapped: m (the average gradient) uses beta1 = 0.9, s (the average "
     "squared gradient) beta2 = 0.999."),
], compatible=lambda a, b: not ({a, b} <= _COUNT_FAULTS | {"step count off by one"}))


ADAM_STEP = EffectCheck(
    "adam_step", reference.adam_step, _adam_cases, run=_run_adam, outputs=("params",),
    input_names=("params", "grads", "state", "lr"), may_use=(), same_as=("optim.Adam",),
    mistakes=[*ADAM_FAULTS.mistakes({
        "bias correction forgotten": [("m only corrected",), ("s only corrected",)],
        "bias-corrected moments stored back": [("m only stored corrected",)],
        "step count off by one": [("t counted twice",)],
        "(1 - beta) factors forgotten": [("(1 - beta1) only forgotten",)]}),
        *_dict_mistakes("params, grads, state['m'] and state['s']")],
    combine=ADAM_FAULTS.combine)


def check_adam_step(fn):
    """Check ``adam_step(params, grads, state, lr)`` (optional exercise), driven for several steps."""
    return ADAM_STEP.check(fn)


EXERCISES = {e.name: e for e in (SGD_STEP, GRADIENT_DESCENT, MOMENTUM_STEP, ADAM_STEP)}
