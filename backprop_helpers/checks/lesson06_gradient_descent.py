"""Checks for lesson 06, gradient descent: the SGD step, a whole descent path, momentum and Adam.

The step functions change the parameter dict in place, so their checks drive them for a few steps
(``run=``) and compare the parameters after every step with the reference's. Gradients are handed
over as fresh copies at each step, so a function that modifies them cannot spoil the comparison.
"""
from __future__ import annotations

import numpy as np

from .. import reference
from ..reference import adam_step, gradient_descent, momentum_step
from .core import Case, Exercise, Mistake

__all__ = ["check_sgd_step", "check_gradient_descent", "check_momentum_step", "check_adam_step"]


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


def _snapshots(params, step, into):
    for k, v in params.items():
        into[f"{k} after step {step}"] = np.array(v, dtype=float, copy=True)


# ------------------------------------------------------------------ sgd_step

def _run_sgd(fn, params, grad_list, lr):
    seen = {}
    for i, grads in enumerate(grad_list, 1):
        fn(params, _fresh(grads), lr)
        _snapshots(params, i, seen)
    return seen


def _sgd_cases(rng=None):
    return _param_cases(20, (0.1, 0.5, 0.05), rng)


def _sgd_ascent(params, grads, lr):
    for name in params:
        params[name] += lr * grads[name]


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


SGD_STEP = Exercise(
    "sgd_step", reference.sgd_step, _sgd_cases, run=_run_sgd, outputs=("params",),
    input_names=("params", "grads", "lr"), may_use=(), same_as=("optim.SGD",),
    mistakes=[
        Mistake("gradient descent adding the gradient",
                "the parameters moved UP the gradient: the gradient points to where the loss grows "
                "fastest, so descent subtracts it: theta <- theta - lr * grad.",
                _sgd_ascent),
        Mistake("learning rate applied twice",
                "every step is lr times too small: the learning rate was applied twice (lr * lr * "
                "grad). Multiply the gradient by lr exactly once: theta <- theta - lr * grad.",
                _sgd_lr_twice),
        Mistake("learning rate forgotten",
                "the step is the whole gradient: the learning rate is missing. The step is "
                "lr * grad, so that lr controls how far each update goes.",
                _sgd_no_lr),
        Mistake("update not in place",
                "the parameters did not change. A new dict (params = {...}) or a new array "
                "(theta = theta - lr * g) only rebinds a local name, and a returned value is ignored: "
                "the caller's dict must change. Write into it: params[name] -= lr * grads[name].",
                _sgd_not_in_place),
        Mistake("only the first parameter updated",
                "only the first parameter was updated: is the `return` inside the loop? Every "
                "parameter in the dict needs its step.", _sgd_first_only),
    ])


def check_sgd_step(fn):
    """Check ``sgd_step(params, grads, lr)``: ``params[k] -= lr * grads[k]`` for every key, in place."""
    return SGD_STEP.check(fn)


# ------------------------------------------------------------------ gradient_descent

def _run_gd(fn, grad_fn, theta0, lr, steps):
    start = theta0.copy()
    path = fn(grad_fn, theta0, lr, steps)
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


def _gd_same_array(grad_fn, theta0, lr, steps):
    theta = theta0
    path = [theta]
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
    return gradient_descent(grad_fn, theta0, lr, steps)[1:]


GRADIENT_DESCENT = Exercise(
    "gradient_descent", reference.gradient_descent, _gd_cases, run=_run_gd,
    outputs=("path", "theta0 unchanged"), may_use=(),
    input_names=("grad_fn", "theta0", "lr", "steps"),
    mistakes=[
        Mistake("gradient descent adding the gradient",
                "the path climbs: the gradient points uphill, so each step subtracts it: "
                "theta <- theta - lr * grad_fn(theta).",
                lambda g, t0, lr, steps: gradient_descent(lambda th: -g(th), t0, lr, steps)),
        Mistake("same array appended every step",
                "every row of the path is the same point: the same array was appended at each step "
                "and then changed in place (theta -= ...). Append a copy (path.append(theta.copy())), "
                "or write theta = theta - lr * grad_fn(theta), which makes a new array.",
                _gd_same_array),
        Mistake("start point changed in place",
                "the path is right, but the caller's theta0 changed: theta = theta0 does not copy, so "
                "theta -= ... wrote into theta0. Start from a copy: theta = theta0.copy().",
                _gd_in_place),
        Mistake("start point missing from the path",
                "the path should start with theta0 itself: steps + 1 points in all, theta0 and then "
                "the point after each step.", _gd_no_start),
    ])


def check_gradient_descent(fn):
    """Check ``gradient_descent(grad_fn, theta0, lr, steps)``: the array of ``steps + 1`` points."""
    return GRADIENT_DESCENT.check(fn)


# ------------------------------------------------------------------ momentum_step

def _run_momentum(fn, params, grad_list, lr, mu):
    velocity = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
    seen = {}
    for i, grads in enumerate(grad_list, 1):
        fn(params, _fresh(grads), velocity, lr, mu)
        _snapshots(params, i, seen)
    return seen


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


def _momentum_forgets(params, grads, velocity, lr, mu):
    for name in params:
        v = mu * velocity[name] - lr * grads[name]
        params[name] += v


def _momentum_old_velocity(params, grads, velocity, lr, mu):
    for name in params:
        params[name] += velocity[name]
        velocity[name] = mu * velocity[name] - lr * grads[name]


def _momentum_lr_twice(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] - lr * grads[name]
        params[name] += lr * velocity[name]


MOMENTUM_STEP = Exercise(
    "momentum_step", reference.momentum_step, _momentum_cases, run=_run_momentum, outputs=("params",),
    input_names=("params", "grads", "velocity", "lr", "mu"), may_use=(), same_as=("optim.Momentum",),
    mistakes=[
        Mistake("momentum velocity not kept between steps",
                "each step behaves like plain SGD: the new velocity was computed but not stored back "
                "in the velocity dict, so the next call starts again from the old one. Write it into "
                "the dict: velocity[name] = mu * velocity[name] - lr * grads[name].",
                _momentum_forgets),
        Mistake("gradient descent adding the gradient",
                "the parameters move uphill: the velocity must collect MINUS lr times the gradient: "
                "velocity = mu * velocity - lr * grad, then theta += velocity.",
                lambda p, g, v, lr, mu: momentum_step(p, {k: -x for k, x in g.items()}, v, lr, mu)),
        Mistake("learning rate applied twice",
                "the steps are lr times too small: the velocity already contains lr (it collects "
                "-lr * grad), so the parameters move by the velocity itself: theta += velocity.",
                _momentum_lr_twice),
        Mistake("mu forgotten",
                "the old velocity was kept whole: it must be multiplied by mu (velocity = mu * "
                "velocity - lr * grad), so that old gradients fade away.",
                lambda p, g, v, lr, mu: momentum_step(p, g, v, lr, 1.0)),
        Mistake("parameters moved with the old velocity",
                "the parameters moved with the previous step's velocity: update the velocity first, "
                "then move theta by the new one.", _momentum_old_velocity),
    ])


def check_momentum_step(fn):
    """Check ``momentum_step(params, grads, velocity, lr, mu)``, driven for several steps."""
    return MOMENTUM_STEP.check(fn)


# ------------------------------------------------------------------ adam_step

def _run_adam(fn, params, grad_list, lr):
    state = {"t": 0, "m": {k: np.zeros_like(v, dtype=float) for k, v in params.items()},
             "s": {k: np.zeros_like(v, dtype=float) for k, v in params.items()}}
    seen = {}
    for i, grads in enumerate(grad_list, 1):
        fn(params, _fresh(grads), state, lr)
        _snapshots(params, i, seen)
    return seen


def _adam_cases(rng=None):
    cases = _param_cases(23, (0.1, 0.01, 0.05), rng)
    r = _source(rng, 24)
    tiny = {"theta": r.standard_normal(3) * 1e-3}
    start = {"theta": r.standard_normal(3)}
    cases.append(Case("tiny gradients: 3 steps at lr 0.1", (start, [tiny] * 3, 0.1)))
    return cases


def _adam_variant(params, grads, state, lr, *, correct=True, root=True, count_each=False,
                  count_late=False):
    b1, b2, eps = 0.9, 0.999, 1e-8
    if not (count_each or count_late):
        state["t"] += 1
    for name in params:
        if count_each:
            state["t"] += 1
        t = state["t"]
        g = grads[name]
        state["m"][name] = b1 * state["m"][name] + (1 - b1) * g
        state["s"][name] = b2 * state["s"][name] + (1 - b2) * g ** 2
        m, s = state["m"][name], state["s"][name]
        if correct:
            m, s = m / (1 - b1 ** t), s / (1 - b2 ** t)
        params[name] -= lr * m / ((np.sqrt(s) if root else s) + eps)
    if count_late:
        state["t"] += 1


ADAM_STEP = Exercise(
    "adam_step", reference.adam_step, _adam_cases, run=_run_adam, outputs=("params",),
    input_names=("params", "grads", "state", "lr"), may_use=(), same_as=("optim.Adam",),
    mistakes=[
        Mistake("bias correction forgotten",
                "the first steps are far too small: m and s start at zero, so early on they are "
                "shrunk towards zero. Divide them by (1 - beta1**t) and (1 - beta2**t) before the step.",
                lambda p, g, s, lr: _adam_variant(p, g, s, lr, correct=False)),
        Mistake("square root forgotten",
                "the step divides by s itself: s averages the SQUARED gradient, so its square root "
                "is the gradient's typical size: theta -= lr * m_hat / (sqrt(s_hat) + eps).",
                lambda p, g, s, lr: _adam_variant(p, g, s, lr, root=False)),
        Mistake("step count increased per parameter",
                "state['t'] counts steps, not parameters: increase it once per call, before the "
                "loop over the parameters.",
                lambda p, g, s, lr: _adam_variant(p, g, s, lr, count_each=True)),
        Mistake("step count increased after its use",
                "the bias correction divided by zero: with t = 0, 1 - beta1**t is 0. Increase "
                "state['t'] first, so the first step has t = 1.",
                lambda p, g, s, lr: _adam_variant(p, g, s, lr, count_late=True)),
        Mistake("gradient descent adding the gradient",
                "the parameters move uphill: Adam also subtracts its step, "
                "theta -= lr * m_hat / (sqrt(s_hat) + eps).",
                lambda p, g, s, lr: adam_step(p, {k: -x for k, x in g.items()}, s, lr)),
    ])


def check_adam_step(fn):
    """Check ``adam_step(params, grads, state, lr)`` (optional exercise), driven for several steps."""
    return ADAM_STEP.check(fn)


EXERCISES = {e.name: e for e in (SGD_STEP, GRADIENT_DESCENT, MOMENTUM_STEP, ADAM_STEP)}
