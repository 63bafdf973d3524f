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


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Each answer below is written differently from the catalogue's implementation (and sometimes with a
# harmless difference besides), so only the mistake's effect can name it.

def named(exercise, fn, mistake):
    result = exercise.run(fn)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    return result


def sgd_ascent_by_values(params, grads, lr):
    for p, g in zip(params.values(), grads.values()):
        np.add(p, g * lr, out=p)


def sgd_lr_squared(params, grads, lr):
    for name in params:
        params[name] -= (lr ** 2) * grads[name]


def sgd_whole_dict(params, grads, lr):
    for name in params:
        params[name] = params[name] - lr * grads


def sgd_over_names(params, grads, lr):
    for theta, grad in zip(params, grads):
        theta -= lr * grad


def sgd_returns_new_values(params, grads, lr):
    return {name: value - lr * grads[name] for name, value in params.items()}


@pytest.mark.parametrize("fn, mistake", [
    (sgd_ascent_by_values, "gradient descent adding the gradient"),
    (sgd_lr_squared, "learning rate applied twice"),
    (sgd_whole_dict, "whole dict used as an array"),
    (sgd_over_names, "looping over a dict's names as if they were arrays"),
    (sgd_returns_new_values, "update not in place"),
])
def test_sgd_step_mistakes_named_by_effect(fn, mistake):
    result = named(gd.SGD_STEP, fn, mistake)
    assert result.hint and "✘" in result.hint


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_step_effects_hold_on_hidden_cases(seed):
    assert gd.SGD_STEP.run(sgd_lr_squared, seed=seed).mistake == "learning rate applied twice"
    assert gd.SGD_STEP.run(sgd_correct_by_items, seed=seed).passed


def gd_aliasing_with_copy_first(grad_fn, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = []
    path.append(theta)
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return np.stack(path)


def gd_aliasing_rows_after_start(grad_fn, theta0, lr, steps):
    path = [list(theta0)]
    theta = theta0.astype(float)
    for step in range(steps):
        theta[:] = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)


def gd_extra_step(grad_fn, theta0, lr, steps):
    path = [theta0.copy()]
    for _ in range(steps + 1):
        path.append(path[-1] - lr * grad_fn(path[-1]))
    return np.array(path)


def gd_range_from_one(grad_fn, theta0, lr, steps):
    path = [theta0.copy()]
    for _ in range(1, steps):
        path.append(path[-1] - lr * grad_fn(path[-1]))
    return np.array(path)


def gd_final_only(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
    return theta


def gd_fixed_gradient(grad_fn, theta0, lr, steps):
    g = grad_fn(theta0)
    return np.array([theta0 - k * lr * g for k in range(steps + 1)])


def gd_no_return(grad_fn, theta0, lr, steps):
    path = [theta0.copy()]
    for _ in range(steps):
        path.append(path[-1] - lr * grad_fn(path[-1]))


def gd_lr_twice(grad_fn, theta0, lr, steps):
    path = [theta0.copy()]
    for _ in range(steps):
        step = lr * grad_fn(path[-1])
        path.append(path[-1] - lr * step)
    return np.array(path)


@pytest.mark.parametrize("fn, mistake", [
    (gd_aliasing_with_copy_first, "same array appended every step"),
    (gd_aliasing_rows_after_start, "same array appended every step"),
    (gd_extra_step, "one step too many"),
    (gd_range_from_one, "one step too few"),
    (gd_final_only, "only the last point returned"),
    (gd_fixed_gradient, "gradient computed once, before the loop"),
    (gd_no_return, "nothing returned"),
    (gd_lr_twice, "learning rate applied twice"),
])
def test_gradient_descent_mistakes_named_by_effect(fn, mistake):
    named(gd.GRADIENT_DESCENT, fn, mistake)


@pytest.mark.parametrize("seed", [3, 4])
def test_gradient_descent_aliasing_named_on_hidden_cases(seed):
    assert gd.GRADIENT_DESCENT.run(gd_aliasing_with_copy_first, seed=seed).mistake == \
        "same array appended every step"


def gd_correct_while_loop(grad_fn, theta0, lr, steps):
    points = np.empty((steps + 1, len(theta0)))
    points[0] = theta0
    k = 0
    while k < steps:
        points[k + 1] = points[k] - lr * grad_fn(points[k])
        k += 1
    return points


def test_gradient_descent_while_loop_passes():
    assert gd.GRADIENT_DESCENT.run(gd_correct_while_loop).passed


def momentum_mixed_signs(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] + lr * grads[name]
        params[name] += velocity[name]


def momentum_mixed_signs_other_way(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] *= mu
        velocity[name] -= lr * grads[name]
        params[name] -= velocity[name]


def momentum_average(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] + (1 - mu) * grads[name]
        params[name] -= lr * velocity[name]


def momentum_not_stored_and_lr_twice(params, grads, velocity, lr, mu):
    for name, theta in params.items():
        v = velocity[name] * mu - lr * grads[name]
        theta += lr * v


def momentum_pytorch_style(params, grads, velocity, lr, mu):
    for name in params:
        velocity[name] = mu * velocity[name] + grads[name]
        params[name] -= lr * velocity[name]


def momentum_loop_over_items(params, grads, velocity, lr, mu):
    for name, theta in params.items():
        v = velocity[name]
        v *= mu
        v += -lr * grads[name]
        theta += v


@pytest.mark.parametrize("fn, mistake", [
    (momentum_mixed_signs, "gradient descent adding the gradient"),
    (momentum_mixed_signs_other_way, "gradient descent adding the gradient"),
    (momentum_average, "velocity averaged with (1 - mu)"),
    (momentum_not_stored_and_lr_twice, "momentum velocity not kept between steps"),
])
def test_momentum_mistakes_named_by_effect(fn, mistake):
    result = named(gd.MOMENTUM_STEP, fn, mistake)
    if fn is momentum_not_stored_and_lr_twice:   # two mistakes together: both are explained
        assert "Also:" in result.message and "lr times too small" in result.message


@pytest.mark.parametrize("fn", [momentum_pytorch_style, momentum_loop_over_items])
def test_momentum_other_correct_forms_pass(fn):
    assert gd.MOMENTUM_STEP.run(fn).passed, gd.MOMENTUM_STEP.run(fn).message


def adam_written(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, *, eps_inside=False,
                 abs_g=False, store_hat=False, count="first", correct="both", root=True):
    """An Adam step written the way a learner writes it, with one slip switched on."""
    if count == "first":
        state["t"] = state["t"] + 1
    if count == "twice":
        state["t"] += 1
        state["t"] += 1
    t = state["t"] if count != "local" else state["t"] + 1
    for key in params.keys():
        grad = grads[key]
        m = beta1 * state["m"][key] + (1 - beta1) * grad
        s = beta2 * state["s"][key] + (1 - beta2) * (np.abs(grad) if abs_g else grad * grad)
        m_hat = m / (1 - beta1 ** t) if correct in ("both", "m") else m
        s_hat = s / (1 - beta2 ** t) if correct in ("both", "s") else s
        state["m"][key], state["s"][key] = (m_hat, s_hat) if store_hat else (m, s)
        denominator = np.sqrt(s_hat + eps) if eps_inside else (s_hat ** 0.5 if root else s_hat) + eps
        params[key] = params[key] - lr * m_hat / denominator
    if count == "last":
        state["t"] += 1


@pytest.mark.parametrize("options, mistake", [
    ({"eps_inside": True}, "epsilon inside the square root"),
    ({"abs_g": True}, "absolute gradient instead of its square"),
    ({"store_hat": True}, "bias-corrected moments stored back"),
    ({"correct": "none"}, "bias correction forgotten"),
    ({"correct": "m"}, "bias correction forgotten"),
    ({"count": "none"}, "step count not increased"),
    ({"count": "last"}, "step count increased after its use"),
    ({"count": "local"}, "step count not stored"),
    ({"count": "twice"}, "step count off by one"),
    ({"root": False}, "square root forgotten"),
    ({"eps_inside": True, "store_hat": True}, "bias-corrected moments stored back"),
])
def test_adam_mistakes_named_by_effect(options, mistake):
    def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        adam_written(params, grads, state, lr, beta1, beta2, eps, **options)
    result = named(gd.ADAM_STEP, adam_step, mistake)
    if len(options) == 2:                       # two slips together: both are explained
        assert "Also:" in result.message and "sqrt(s_hat + eps)" in result.message


def test_adam_written_differently_passes():
    assert gd.ADAM_STEP.run(adam_written).passed


def adam_local_update(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    for name, theta in params.items():
        m = state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * grads[name]
        s = state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * grads[name] ** 2
        theta = theta - lr * (m / (1 - beta1 ** state["t"])) / (np.sqrt(s / (1 - beta2 ** state["t"])) + eps)


def gd_appends_before_step(grad_fn, theta0, lr, steps):
    theta, path = theta0.copy(), []
    for _ in range(steps):
        path.append(theta)
        theta = theta - lr * grad_fn(theta)
    return np.array(path).reshape(steps, -1) if steps else np.array([theta0])


def test_adam_update_not_in_place_is_named():
    named(gd.ADAM_STEP, adam_local_update, "update not in place")


def test_a_path_without_its_last_point_is_named():
    named(gd.GRADIENT_DESCENT, gd_appends_before_step, "one step too few")


def gd_np_append_flat(grad_fn, theta0, lr, steps):
    path, theta = np.copy(theta0), theta0.copy()
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path = np.append(path, theta)
    return path


def test_a_flattened_path_is_named():
    named(gd.GRADIENT_DESCENT, gd_np_append_flat, "path flattened")


def test_sgd_step_that_skips_the_biases_is_named_not_blamed_on_rebinding():
    def weights_only(params, grads, lr):
        for name, value in params.items():
            if value.ndim == 2:                 # the biases (vectors) never move
                value -= lr * grads[name]
    result = gd.SGD_STEP.run(weights_only)
    assert result.mistake == "some parameters not updated"
    assert "the biases" in result.message

    def nothing_in_place(params, grads, lr):
        return {k: v - lr * grads[k] for k, v in params.items()}
    assert gd.SGD_STEP.run(nothing_in_place).mistake == "update not in place"
