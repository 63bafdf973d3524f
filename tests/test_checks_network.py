"""Lesson 05's checks against answers written the way learners write them.

The learner chains the library's forward/backward pairs; every wrong answer below is new code (not the
catalogue's implementation) with one classic mistake, and its check must name it. Correct answers
written differently from the references must pass, including a forward/backward pair that keeps its
own cache format (the check of mlp_backward runs the learner's own forward when given it). The
references must agree with the library's MLP, so the lesson computes what the package computes.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from backprop_helpers import (MLP, linear_backward, linear_forward, relu_backward, relu_forward,
                              sigmoid_backward, sigmoid_forward, softmax, softmax_cross_entropy,
                              tanh_backward, tanh_forward)
from backprop_helpers.checks.lesson05_network import (EXERCISES, check_gradient_norms, check_loss_and_grads,
                                             check_mlp_backward, check_mlp_forward)

from strategies import seeds

ACTIVATIONS = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
               "tanh": (tanh_forward, tanh_backward)}


def expect(exercise, fn, mistake, phrase):
    result = EXERCISES[exercise].run(fn)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    assert phrase in result.message


# ------------------------------------------------------------------ learner-style correct answers

def mlp_forward(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L = len(params) // 2
    h = X
    caches = []
    for l in range(1, L + 1):
        z, lin = linear_forward(h, params["W" + str(l)], params["b" + str(l)])
        if l == L:
            caches.append((lin, None, None))
            return z, caches
        h, act = act_forward(z)
        caches.append((lin, act, act_backward))


def mlp_backward(dscores, caches, params):
    grads = {}
    dout = dscores
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{i + 1}"], grads[f"b{i + 1}"] = linear_backward(dout, lin)
    return grads


def loss_and_grads(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def test_learner_style_answers_pass():
    assert EXERCISES["mlp_forward"].run(mlp_forward).passed
    assert EXERCISES["mlp_backward"].run(mlp_backward).passed
    assert EXERCISES["loss_and_grads"].run(loss_and_grads).passed
    assert EXERCISES["gradient_norms"].run(
        lambda grads: [np.sqrt((grads[f"W{l}"] ** 2).sum()) for l in range(1, len(grads) // 2 + 1)]).passed


def test_a_pair_with_its_own_cache_format_passes_together(capsys):
    """Caches are whatever the learner's forward hands its backward: here a dict of arrays."""
    def my_forward(X, params, activation):
        L = len(params) // 2
        hs, zs = [X], []
        for l in range(1, L + 1):
            zs.append(hs[-1] @ params[f"W{l}"] + params[f"b{l}"])
            if l < L:
                hs.append(ACTIVATIONS[activation][0](zs[-1])[0])
        return zs[-1], {"h": hs, "z": zs, "activation": activation}

    def my_backward(dscores, cache, params):
        L = len(cache["z"])
        grads, dz = {}, dscores
        for l in range(L, 0, -1):
            grads[f"W{l}"] = cache["h"][l - 1].T @ dz
            grads[f"b{l}"] = dz.sum(axis=0)
            if l > 1:
                dh = dz @ params[f"W{l}"].T
                z = cache["z"][l - 2]
                s = 1 / (1 + np.exp(-z))
                local = {"relu": z > 0, "tanh": 1 - np.tanh(z) ** 2, "sigmoid": s * (1 - s)}
                dz = dh * local[cache["activation"]]
        return grads

    # the forward's scores are right, but the reference backward could not carry on from its caches
    result = EXERCISES["mlp_forward"].run(my_forward)
    assert not result.passed and result.mistake == "caches not in the format mlp_backward expects"
    assert check_mlp_forward(my_forward) is EXERCISES["mlp_forward"].reference
    out = capsys.readouterr().out
    assert "the scores are right, but the caches are not in the format" in out
    assert "(linear_cache, act_cache, act_backward)" in out and "Carrying on" in out
    # checked together, the pair is right
    assert check_mlp_backward(my_backward, my_forward) is my_backward
    assert capsys.readouterr().out.startswith("✔ mlp_backward")
    # with the reference's caches it cannot work, and the check says so rather than crashing
    assert not EXERCISES["mlp_backward"].run(my_backward).passed


def test_caches_of_the_wrong_layer_in_a_forward_are_caught(capsys):
    def forward_caches_reversed(X, params, activation):
        scores, caches = mlp_forward(X, params, activation)
        return scores, caches[::-1]
    assert check_mlp_forward(forward_caches_reversed) is EXERCISES["mlp_forward"].reference
    assert "the caches are not in the format" in capsys.readouterr().out
    assert check_mlp_forward(mlp_forward) is mlp_forward


def test_check_mlp_backward_refuses_a_non_function_forward():
    with pytest.raises(TypeError, match="check_mlp_backward: mlp_forward must be the forward function"):
        check_mlp_backward(mlp_backward, "mlp_forward")


# ------------------------------------------------------------------ mlp_forward mistakes

def forward_output_activation(X, params, activation):
    f, b = ACTIVATIONS[activation]
    caches, h = [], X
    for l in range(1, len(params) // 2 + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act = f(h)                                   # also after the last layer
        caches.append((lin, act, b))
    return h, caches


def forward_no_activation(X, params, activation):
    h, caches = X, []
    for l in range(1, len(params) // 2 + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        caches.append((lin, None, None))
    return h, caches


def forward_activation_first(X, params, activation):
    f, b = ACTIVATIONS[activation]
    h, caches = X, []
    for l in range(1, len(params) // 2 + 1):
        a, act = f(h)
        h, lin = linear_forward(a, params[f"W{l}"], params[f"b{l}"])
        caches.append((lin, act, b))
    return h, caches


def forward_from_zero(X, params, activation):
    L = len(params) // 2
    h, caches = X, []
    for l in range(L):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        caches.append(lin)
    return h, caches


def forward_len_params(X, params, activation):
    f, b = ACTIVATIONS[activation]
    L = len(params)
    h, caches = X, []
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act = f(h)
        caches.append(lin)
    return h, caches


@pytest.mark.parametrize("fn, mistake, phrase", [
    (forward_output_activation, "activation on the output layer", "with no activation"),
    (forward_no_activation, "hidden activation skipped", "collapses into one linear function"),
    (forward_activation_first, "activation before the linear layer", "linear first, then the activation"),
    (forward_from_zero, "layers numbered from 0", "range(1, L + 1)"),
    (forward_len_params, "number of layers miscounted", "len(params) // 2"),
])
def test_mlp_forward_mistakes_are_named(fn, mistake, phrase):
    expect("mlp_forward", fn, mistake, phrase)


def test_forward_returning_only_the_scores_is_explained():
    result = EXERCISES["mlp_forward"].run(lambda X, params, activation: mlp_forward(X, params, activation)[0])
    assert result.status == "wrong" and result.mistake == "caches not returned"
    assert "must return two values, (scores, caches)" in result.message


# ------------------------------------------------------------------ mlp_backward mistakes

def backward_forward_order(dscores, caches, params):
    grads, dout = {}, dscores
    for l, (lin, act, act_backward) in enumerate(caches, start=1):
        if act_backward is not None:
            dout = act_backward(dout, act)
        dout, dW, db = linear_backward(dout, lin)
        grads[f"W{l}"], grads[f"b{l}"] = dW, db
    return grads


def backward_no_activation(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, caches[l - 1][0])
    return grads


def backward_not_chained(dscores, caches, params):
    grads = {}
    for l in range(len(caches), 0, -1):
        lin, act, act_backward = caches[l - 1]
        dz = act_backward(dscores, act) if act_backward else dscores
        dX, dW, db = linear_backward(dz, lin)          # dX is never passed down
        grads[f"W{l}"] = dW
        grads[f"b{l}"] = db
    return grads


def backward_swapped(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        lin, act, act_backward = caches[l - 1]
        if act_backward:
            dout = act_backward(dout, act)
        dW, dX, db = linear_backward(dout, lin)
        grads[f"W{l}"], grads[f"b{l}"] = dW, db
        dout = dX
    return grads


def backward_activation_after(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches), 0, -1):
        lin, act, act_backward = caches[l - 1]
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, lin)
        if act_backward:
            dout = act_backward(dout, act)
    return grads


def backward_cache_index(dscores, caches, params):
    grads, dout = {}, dscores
    L = len(params) // 2
    for l in range(L, 0, -1):
        lin, act, act_backward = caches[l]              # layer numbers used as list positions
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, lin)
    return grads


def backward_keys_from_zero(dscores, caches, params):
    grads, dout = {}, dscores
    for i in range(len(caches) - 1, -1, -1):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dout, lin)
    return grads


def backward_dict_per_layer(dscores, caches, params):
    dout = dscores
    for l in range(len(caches), 0, -1):
        lin, act, act_backward = caches[l - 1]
        if act_backward:
            dout = act_backward(dout, act)
        dout, dW, db = linear_backward(dout, lin)
        grads = {f"W{l}": dW, f"b{l}": db}
    return grads


@pytest.mark.parametrize("fn, mistake, phrase", [
    (backward_forward_order, "backward through the layers in forward order", "runs backwards"),
    (backward_no_activation, "activation backward skipped", "act_backward(dout, act_cache)"),
    (backward_not_chained, "upstream gradient not passed on", "dout = dX"),
    (backward_swapped, "dX and dW swapped when unpacking", "(dX, dW, db) in that order"),
    (backward_activation_after, "activation backward after the linear backward", "undo the activation first"),
    (backward_cache_index, "caches of the wrong layer", "caches[l - 1]"),
    (backward_keys_from_zero, "grads keyed from 0", "W1, b1, ..., WL, bL"),
    (backward_dict_per_layer, "grads dict rebuilt in every layer", "create the dict once"),
])
def test_mlp_backward_mistakes_are_named(fn, mistake, phrase):
    expect("mlp_backward", fn, mistake, phrase)


def test_the_backward_check_uses_the_forward_it_is_given(capsys):
    calls = []

    def counting_forward(X, params, activation):
        calls.append(activation)
        return mlp_forward(X, params, activation)
    assert check_mlp_backward(backward_forward_order, counting_forward) is EXERCISES["mlp_backward"].reference
    assert calls and "forward order" in capsys.readouterr().out


# ------------------------------------------------------------------ loss_and_grads mistakes

def loss_double_softmax(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    probs = softmax(scores)
    loss, dprobs = softmax_cross_entropy(probs, y)
    return loss, mlp_backward(dprobs, caches, params)


def loss_relu_always(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, "relu")
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def loss_backward_from_loss(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, _ = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(loss, caches, params)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (loss_double_softmax, "softmax applied twice", "Pass the raw scores"),
    (loss_relu_always, "activation not passed on", "pass the activation argument on"),
    (loss_backward_from_loss, "backward started from the loss value", "dscores"),
])
def test_loss_and_grads_mistakes_are_named(fn, mistake, phrase):
    expect("loss_and_grads", fn, mistake, phrase)


# ------------------------------------------------------------------ gradient_norms mistakes

def norms_sorted(grads):
    names = sorted(name for name in grads if name.startswith("W"))
    return np.array([np.linalg.norm(grads[name]) for name in names])


def norms_with_biases(grads):
    return [float(np.sqrt(np.sum(g * g))) for g in grads.values()]


def norms_squared(grads):
    L = len(grads) // 2
    return np.array([np.sum(grads[f"W{l}"] ** 2) for l in range(1, L + 1)])


@pytest.mark.parametrize("fn, mistake, phrase", [
    (norms_sorted, "layers sorted as text", "compares them as strings"),
    (norms_with_biases, "biases included", "one number per layer"),
    (norms_squared, "squared norm", "square root"),
])
def test_gradient_norms_mistakes_are_named(fn, mistake, phrase):
    expect("gradient_norms", fn, mistake, phrase)


@pytest.mark.parametrize("check, exercise", [
    (check_mlp_forward, "mlp_forward"), (check_mlp_backward, "mlp_backward"),
    (check_loss_and_grads, "loss_and_grads"), (check_gradient_norms, "gradient_norms")])
def test_public_checks_print_and_hand_back(check, exercise, capsys):
    def unfinished(*args):
        raise NotImplementedError()
    ref = EXERCISES[exercise].reference
    assert check(unfinished) is ref
    assert "not done yet" in capsys.readouterr().out
    # re-running only the check cell after a failure: the name holds the reference, and it is said
    assert check(ref) is ref
    assert "still the reference implementation" in capsys.readouterr().out


def test_the_guard_also_applies_with_a_forward(capsys):
    assert check_mlp_backward(EXERCISES["mlp_backward"].reference, mlp_forward) is \
        EXERCISES["mlp_backward"].reference
    assert "still the reference implementation" in capsys.readouterr().out


def test_a_name_never_set_gets_a_hint():
    def mlp_forward_unfinished(X, params, activation):
        h = X
        return scores, []  # noqa: F821  (the learner never set scores)
    result = EXERCISES["mlp_forward"].run(mlp_forward_unfinished)
    assert result.status == "error" and "your code has to set it" in result.message


# ------------------------------------------------------------------ references = the library's MLP

@given(st.lists(st.integers(1, 5), min_size=2, max_size=5), st.integers(1, 6),
       st.sampled_from(["relu", "tanh", "sigmoid"]), seeds)
def test_references_match_the_library_mlp(sizes, N, activation, seed):
    model = MLP(sizes, activation=activation, seed=seed % 1000)
    rng = np.random.default_rng(seed)
    for p in model.params.values():            # nonzero biases, so a bias mistake would show
        p += rng.standard_normal(p.shape) * 0.1
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
    params = {k: v.copy() for k, v in model.params.items()}
    scores, _ = EXERCISES["mlp_forward"].reference(X, params, activation)
    np.testing.assert_allclose(scores, model.forward(X), rtol=1e-12, atol=1e-12)
    loss, grads = EXERCISES["loss_and_grads"].reference(X, y, params, activation)
    assert loss == pytest.approx(model.loss(X, y), rel=1e-12)
    expected = model.backward()
    assert list(grads) == list(expected)
    for k in grads:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-10, atol=1e-13)
    norms = EXERCISES["gradient_norms"].reference(grads)
    np.testing.assert_allclose(norms, [np.linalg.norm(expected[f"W{l}"]) for l in range(1, len(sizes))])


# ------------------------------------------------------------------ mistakes recognised by their effect
#
# Each wrong answer is written another way than the catalogue's implementation; the check names it from
# what it does to the result (or from the error it makes numpy or the library raise).

def named(exercise, fn, mistake, seed=None):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    return result


def fw_output_activated(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    caches, h = [], X
    for l in range(1, len(params) // 2 + 1):
        z, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act = act_forward(z)
        caches.append((lin, act, act_backward))
    return h, caches


def fw_no_unpacking(X, params, activation):
    act_forward, _ = ACTIVATIONS[activation]
    h = X
    L = len(params) // 2
    for l in range(1, L + 1):
        h = linear_forward(h, params["W%d" % l], params["b%d" % l])
        if l != L:
            h = act_forward(h)
    return h, []


def fw_calls_the_name(X, params, activation):
    h, caches = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act = activation(h)
            caches.append((lin, act, None))
    return h, caches


def fw_calls_the_pair(X, params, activation):
    act = ACTIVATIONS[activation]
    h, caches = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, c = act(h)
    return h, caches


def fw_always_tanh(X, params, activation):
    h, caches = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act = tanh_forward(h)
            caches.append((lin, act, tanh_backward))
        else:
            caches.append((lin, None, None))
    return h, caches


def fw_range_len(X, params, activation):
    h, caches = X, []
    for l in range(1, len(params) + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
    return h, caches


def fw_swapped_return(X, params, activation):
    scores, caches = mlp_forward(X, params, activation)
    return caches, scores


@pytest.mark.parametrize("fn, mistake", [
    (fw_output_activated, "activation on the output layer"),
    (fw_no_unpacking, "forward pair's result not unpacked"),
    (fw_calls_the_name, "activation name called as a function"),
    (fw_calls_the_pair, "activation pair called as a function"),
    (fw_always_tanh, "activation argument ignored"),
    (fw_range_len, "number of layers miscounted"),
    (fw_swapped_return, "scores and caches returned in the wrong order"),
])
def test_mlp_forward_mistakes_named_by_effect(fn, mistake):
    named("mlp_forward", fn, mistake)


@pytest.mark.parametrize("seed", [1, 2])
def test_mlp_forward_effects_on_hidden_cases(seed):
    named("mlp_forward", fw_output_activated, "activation on the output layer", seed=seed)
    assert EXERCISES["mlp_forward"].run(mlp_forward, seed=seed).passed


def test_caches_problems_are_named_in_words(capsys):
    def forgets_output_entry(X, params, activation):
        scores, caches = mlp_forward(X, params, activation)
        return scores, caches[:-1]

    def stores_forward(X, params, activation):
        scores, caches = mlp_forward(X, params, activation)
        return scores, [(lin, act, ACTIVATIONS[activation][0] if back else None) for lin, act, back in caches]

    check_mlp_forward(forgets_output_entry)
    assert "the output layer's entry is missing" in capsys.readouterr().out
    check_mlp_forward(stores_forward)
    assert "activation's FORWARD function" in capsys.readouterr().out


def bw_dout_kept(dscores, caches, params):
    grads = {}
    dout = dscores
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dX, dW, db = linear_backward(dout, lin)
        grads[f"W{i + 1}"], grads[f"b{i + 1}"] = dW, db
    return grads


def bw_over_n(dscores, caches, params):
    grads, dout, N = {}, dscores, dscores.shape[0]
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, dW, db = linear_backward(dout, lin)
        grads[f"W{i + 1}"], grads[f"b{i + 1}"] = dW / N, db
    return grads


def bw_enumerated_keys(dscores, caches, params):
    grads, dout = {}, dscores
    for k, (lin, act, act_backward) in enumerate(caches[::-1]):
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads["W" + str(k + 1)], grads["b" + str(k + 1)] = linear_backward(dout, lin)
    return grads


def bw_weights_only(dscores, caches, params):
    grads, dout = {}, dscores
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{i + 1}"], db = linear_backward(dout, lin)
    return grads


def bw_wrong_unpacking(dscores, caches, params):
    grads, dout = {}, dscores
    for i in reversed(range(len(caches))):
        act, lin, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{i + 1}"], grads[f"b{i + 1}"] = linear_backward(dout, lin)
    return grads


def bw_tuple_kept(dscores, caches, params):
    grads, dout = {}, dscores
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout = linear_backward(dout, lin)
        grads[f"W{i + 1}"] = dout[1]
        grads[f"b{i + 1}"] = dout[2]
    return grads


def bw_index_l(dscores, caches, params):
    grads, dout = {}, dscores
    L = len(caches)
    for l in range(L, 0, -1):
        lin, act, act_backward = caches[l]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, lin)
    return grads


@pytest.mark.parametrize("fn, mistake", [
    (bw_dout_kept, "upstream gradient not passed on"),
    (bw_over_n, "gradients divided by N again"),
    (bw_enumerated_keys, "grads keyed in reverse order"),
    (bw_weights_only, "bias gradients missing"),
    (bw_wrong_unpacking, "caches unpacked in the wrong order"),
    (bw_tuple_kept, "linear_backward's result not unpacked"),
    (bw_index_l, "caches of the wrong layer"),
])
def test_mlp_backward_mistakes_named_by_effect(fn, mistake):
    named("mlp_backward", fn, mistake)


def test_mlp_backward_effect_named_with_the_learners_own_forward(capsys):
    assert check_mlp_backward(bw_over_n, mlp_forward) is EXERCISES["mlp_backward"].reference
    assert "divided by N again" in capsys.readouterr().out


def lg_scores_as_dscores(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss = softmax_cross_entropy(scores, y)[0]
    grads = mlp_backward(scores, caches, params)
    return loss, grads


def lg_over_n(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    grads = mlp_backward(dscores, caches, params)
    for name in grads:
        grads[name] = grads[name] / X.shape[0]
    return loss, grads


def lg_forgets_activation(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def lg_fixed_sigmoid(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, "sigmoid")
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def lg_swapped(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    return mlp_backward(dscores, caches, params), loss


@pytest.mark.parametrize("fn, mistake", [
    (lg_scores_as_dscores, "scores passed where dscores belongs"),
    (lg_over_n, "gradients divided by N again"),
    (lg_forgets_activation, "activation argument left out"),
    (lg_fixed_sigmoid, "activation not passed on"),
    (lg_swapped, "loss and grads returned in the wrong order"),
])
def test_loss_and_grads_mistakes_named_by_effect(fn, mistake):
    named("loss_and_grads", fn, mistake)


def gn_with_bias(grads):
    out = []
    for l in range(1, len(grads) // 2 + 1):
        out.append(np.sqrt((grads[f"W{l}"] ** 2).sum() + (grads[f"b{l}"] ** 2).sum()))
    return np.array(out)


def gn_abs(grads):
    return np.array([np.abs(grads[f"W{l}"]).sum() for l in range(1, len(grads) // 2 + 1)])


def gn_rms(grads):
    return np.array([np.sqrt((grads[f"W{l}"] ** 2).mean()) for l in range(1, len(grads) // 2 + 1)])


def gn_from_zero(grads):
    return np.array([np.linalg.norm(grads["W" + str(l)]) for l in range(len(grads) // 2)])


def gn_correct_loop(grads):
    norms = []
    l = 1
    while f"W{l}" in grads:
        total = 0.0
        for value in grads[f"W{l}"].ravel():
            total += value * value
        norms.append(total ** 0.5)
        l += 1
    return norms


@pytest.mark.parametrize("fn, mistake", [
    (gn_with_bias, "bias inside the norm"),
    (gn_abs, "sum of absolute values instead of the norm"),
    (gn_rms, "mean instead of sum inside the norm"),
    (gn_from_zero, "layers numbered from 0"),
])
def test_gradient_norms_mistakes_named_by_effect(fn, mistake):
    named("gradient_norms", fn, mistake)


def test_gradient_norms_with_loops_passes():
    assert EXERCISES["gradient_norms"].run(gn_correct_loop).passed


def fw_stops_one_early(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    h, caches = X, []
    for l in range(1, len(params) // 2):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act = act_forward(h)
        caches.append((lin, act, act_backward))
    return h, caches


def fw_input_every_time(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    L, caches, out = len(params) // 2, [], None
    for l in range(1, L + 1):
        out, lin = linear_forward(X, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            out, act = act_forward(out)
    return out, caches


def bw_starts_below_the_top(dscores, caches, params):
    grads, dout = {}, dscores
    for l in range(len(caches) - 1, 0, -1):
        lin, act, act_backward = caches[l - 1]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dout, lin)
    return grads


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("mlp_forward", fw_stops_one_early, "last layer left out"),
    ("mlp_forward", fw_input_every_time, "every layer fed X"),
    ("mlp_backward", bw_starts_below_the_top, "a layer left out of the loop"),
])
def test_loop_bounds_and_inputs_named_by_effect(exercise, fn, mistake):
    named(exercise, fn, mistake)


def fw_plus_number(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    h, caches = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params["W" + l], params["b" + l])
        if l < L:
            h, act = act_forward(h)
    return h, caches


def fw_true_division(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    h, caches = X, []
    L = len(params) / 2
    for l in range(1, L + 1):
        h, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act = act_forward(h)
    return h, caches


def bw_always_act_backward(dscores, caches, params):
    grads, dout = {}, dscores
    for i in range(len(caches) - 1, -1, -1):
        lin, act, act_backward = caches[i]
        dout = act_backward(dout, act)
        dout, grads[f"W{i + 1}"], grads[f"b{i + 1}"] = linear_backward(dout, lin)
    return grads


def lg_arguments_swapped(X, y, params, activation="relu"):
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(y, scores)
    return loss, mlp_backward(dscores, caches, params)


def gn_true_division(grads):
    return [np.linalg.norm(grads[f"W{l}"]) for l in range(1, len(grads) / 2 + 1)]


@pytest.mark.parametrize("exercise, fn, mistake", [
    ("mlp_forward", fw_plus_number, "layer number added to a name as a number"),
    ("mlp_forward", fw_true_division, "number of layers as a float"),
    ("mlp_backward", bw_always_act_backward, "activation backward called for the output layer"),
    ("loss_and_grads", lg_arguments_swapped, "arguments of softmax_cross_entropy swapped"),
    ("gradient_norms", gn_true_division, "number of layers as a float"),
])
def test_python_errors_translated_into_named_causes(exercise, fn, mistake):
    named(exercise, fn, mistake)


def fw_return_in_loop(X, params, activation):
    act_forward, act_backward = ACTIVATIONS[activation]
    h, caches = X, []
    L = len(params) // 2
    for l in range(1, L + 1):
        z, lin = linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        h = z
        if l < L:
            h, act = act_forward(z)
        caches.append((lin, act if l < L else None, act_backward if l < L else None))
        return h, caches


def bw_return_in_loop(dscores, caches, params):
    grads, dout = {}, dscores
    for i in reversed(range(len(caches))):
        lin, act, act_backward = caches[i]
        if act_backward:
            dout = act_backward(dout, act)
        dout, grads[f"W{i + 1}"], grads[f"b{i + 1}"] = linear_backward(dout, lin)
        return grads


@pytest.mark.parametrize("exercise, fn", [("mlp_forward", fw_return_in_loop), ("mlp_backward", bw_return_in_loop)])
def test_a_return_inside_the_loop_is_named(exercise, fn):
    named(exercise, fn, "return inside the loop")
