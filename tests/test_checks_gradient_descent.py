"""Lesson 06 checks, fed the code a learner would write: each mistake of the catalogue is named, and
correct answers written differently from the reference pass."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_helpers.checks import lesson06_gradient_descent as gd
from backprop_helpers.checks import check_sgd_step


def verdict(exercise, fn):
    """The check's result without printing."""
    return exercise.run(fn)


# ------------------------------------------------------------------ sgd_step

def sgd_plus(params, grads, lr):
    for name, value in params.items():
        value += lr * grads[name]


def sgd_lr_twice(params, grads, lr):
    for name in params:
        step = lr * grads[name]
        params[name] = params[name] - lr * step


def sgd_new_dict(params, grads, lr):
    new_params = {}
    for name in params:
        new_params[name] = params[name] - lr * grads[name]
    return new_params


def sgd_rebinds(params, grads, lr):
    for name, theta in params.items():
        theta = theta - lr * grads[name]


def sgd_early_return(params, grads, lr):
    for name in params:
        params[name] = params[name] - lr * grads[name]
        return


def sgd_no_lr(params, grads, lr):
    for name in grads:
        params[name] -= grads[name]


def sgd_correct_by_items(params, grads, lr):
    for name, g in grads.items():
        np.subtract(params[name], lr * g, out=params[name])


def sgd_correct_by_assignment(params, grads, lr):
    for name in list(params):
        params[name] = params[name] - grads[name] * lr


@pytest.mark.parametrize("fn, mistake, phrase", [
    (sgd_plus, "gradient descent adding the gradient", "descent subtracts it"),
    (sgd_lr_twice, "learning rate applied twice", "the learning rate was applied twice"),
    (sgd_new_dict, "update not in place", "the parameters did not change"),
    (sgd_rebinds, "update not in place", "only rebinds a local name"),
    (sgd_early_return, "only the first parameter updated", "`return` inside the loop"),
    (sgd_no_lr, "learning rate forgotten", "the learning rate is missing"),
])
def test_sgd_step_mistakes_are_named(fn, mistake, phrase):
    result = verdict(gd.SGD_STEP, fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [sgd_correct_by_items, sgd_correct_by_assignment])
def test_sgd_step_correct_learner_versions_pass(fn, capsys):
    assert check_sgd_step(fn) is fn
    assert capsys.readouterr().out.startswith("✔ sgd_step: correct on all 3 cases")


def test_a_half_step_is_described_where_it_differs():
    def half(params, grads, lr):
        for name in params:
            params[name] -= 0.5 * lr * grads[name]
    result = verdict(gd.SGD_STEP, half)
    assert result.mistake is None and result.status == "wrong"
    assert "params['W1 after step 1'] differs from the expected values" in result.message


# ------------------------------------------------------------------ gradient_descent

def gd_uphill(grad_fn, theta0, lr, steps):
    path = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] + lr * grad_fn(path[-1]))
    return np.stack(path)


def gd_appends_same_array(grad_fn, theta0, lr, steps):
    theta = theta0
    path = [theta]
    for step in range(steps):
        g = grad_fn(theta)
        theta -= lr * g
        path.append(theta)
    return np.array(path)


def gd_changes_theta0(grad_fn, theta0, lr, steps):
    theta = theta0
    path = np.zeros((steps + 1, theta0.size))
    path[0] = theta
    for i in range(1, steps + 1):
        theta -= lr * grad_fn(theta)
        path[i] = theta
    return path


def gd_without_start(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), []
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path).reshape(steps, theta0.size)


def gd_correct_preallocated(grad_fn, theta0, lr, steps):
    path = np.empty((steps + 1,) + np.shape(theta0))
    path[0] = theta0
    for i in range(steps):
        path[i + 1] = path[i] - lr * grad_fn(path[i])
    return path


def gd_correct_list(grad_fn, theta0, lr, steps):
    thetas = [theta0.copy()]
    while len(thetas) <= steps:
        thetas.append(thetas[-1] - lr * grad_fn(thetas[-1]))
    return thetas


@pytest.mark.parametrize("fn, mistake, phrase", [
    (gd_uphill, "gradient descent adding the gradient", "the gradient points uphill"),
    (gd_appends_same_array, "same array appended every step", "Append a copy"),
    (gd_changes_theta0, "start point changed in place", "theta = theta0 does not copy"),
    (gd_without_start, "start point missing from the path", "steps + 1 points in all"),
])
def test_gradient_descent_mistakes_are_named(fn, mistake, phrase):
    result = verdict(gd.GRADIENT_DESCENT, fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [gd_correct_preallocated, gd_correct_list])
def test_gradient_descent_correct_learner_versions_pass(fn):
    assert verdict(gd.GRADIENT_DESCENT, fn).passed


# ------------------------------------------------------------------ momentum_step

def momentum_local_velocity(params, grads, velocity, lr, mu):
    for name in params:
        v = velocity[name]
        v = mu * v - lr * grads[name]
        params[name] += v


def momentum_new_dict(params, grads, velocity, lr, mu):
    velocity = {name: mu * velocity[name] - lr * grads[name] for name in params}
    for name in params:
        params[name] = params[name] + velocity[name]


def momentum_uphill(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] + lr * grads[name]
        params[name] += velocity[name]


def momentum_lr_twice(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] *= mu
        velocity[name] -= lr * grads[name]
        params[name] -= -lr * velocity[name]


def momentum_no_mu(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] -= lr * grads[name]
        params[name] += velocity[name]


def momentum_late(params, grads, velocity, lr, mu):
    for name in params:
        params[name] = params[name] + velocity[name]
        velocity[name] = velocity[name] * mu - grads[name] * lr


def momentum_correct_other_convention(params, grads, velocity, lr, mu):
    # v accumulates gradients (v <- mu v + g) and the step is -lr v: the same path for a fixed lr
    for name in params:
        velocity[name] *= mu
        velocity[name] += grads[name]
        params[name] -= lr * velocity[name]


def momentum_correct_in_place(params, grads, velocity, lr, mu):
    for name, g in grads.items():
        v = velocity[name]
        v[...] = mu * v - lr * g
        params[name] += v


@pytest.mark.parametrize("fn, mistake, phrase", [
    (momentum_local_velocity, "momentum velocity not kept between steps", "not stored back"),
    (momentum_new_dict, "momentum velocity not kept between steps", "each step behaves like plain SGD"),
    (momentum_uphill, "gradient descent adding the gradient", "MINUS lr times the gradient"),
    (momentum_lr_twice, "learning rate applied twice", "the velocity already contains lr"),
    (momentum_no_mu, "mu forgotten", "multiplied by mu"),
    (momentum_late, "parameters moved with the old velocity", "update the velocity first"),
])
def test_momentum_mistakes_are_named(fn, mistake, phrase):
    result = verdict(gd.MOMENTUM_STEP, fn)
    assert result.mistake == mistake, result.message
    assert phrase in result.message


@pytest.mark.parametrize("fn", [momentum_correct_other_convention, momentum_correct_in_place])
def test_momentum_correct_learner_versions_pass(fn):
    assert verdict(gd.MOMENTUM_STEP, fn).passed


# ------------------------------------------------------------------ adam_step

def adam_learner(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, *, correct=True, sqrt=True,
                 late=False, per_param=False, sign=1.0):
    if not (late or per_param):
        state["t"] = state["t"] + 1
    for name, g in grads.items():
        if per_param:
            state["t"] += 1
        m = state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        s = state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g * g
        if correct:
            m = m / (1 - beta1 ** state["t"])
            s = s / (1 - beta2 ** state["t"])
        params[name] -= sign * lr * m / ((np.sqrt(s) if sqrt else s) + eps)
    if late:
        state["t"] += 1


@pytest.mark.parametrize("options, mistake, phrase", [
    (dict(correct=False), "bias correction forgotten", "Divide them by (1 - beta1**t)"),
    (dict(sqrt=False), "square root forgotten", "its square root"),
    (dict(per_param=True), "step count increased per parameter", "once per call"),
    (dict(late=True), "step count increased after its use", "divided by zero"),
    (dict(sign=-1.0), "gradient descent adding the gradient", "Adam also subtracts its step"),
])
def test_adam_mistakes_are_named(options, mistake, phrase):
    result = verdict(gd.ADAM_STEP, lambda p, g, s, lr: adam_learner(p, g, s, lr, **options))
    assert result.mistake == mistake, result.message
    assert phrase in result.message


def test_adam_correct_learner_version_passes():
    assert verdict(gd.ADAM_STEP, adam_learner).passed


def test_gradients_handed_to_a_step_are_fresh_copies():
    # a learner's step that scales the gradients in place must not change what later cases see
    def scales_grads(params, grads, lr):
        for name in params:
            grads[name] *= lr
            params[name] -= grads[name]
    assert verdict(gd.SGD_STEP, scales_grads).passed
