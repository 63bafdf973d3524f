"""Lesson 11's checks against answers written the way learners write them, and its references against the
package and the numerical gradient.

Every wrong answer below is plain learner code with one classic mistake, written differently from the
catalogue's implementations (``math.sqrt`` for ``np.sqrt``, ``rng.binomial`` or ``rng.uniform`` for
``rng.random``, ``np.var(ddof=1)``, in-place updates of the running averages ...); its check must name
that mistake and explain it. The correct answers are written differently from the references and must
pass. Calling the course's own answer, or the package's layer that computes the same thing, is refused.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_helpers as bh
from backprop_helpers import MLP, layers, network
from backprop_helpers.checks.core import Raised
from backprop_helpers.checks.lesson11_training_deep_networks import (
    EXERCISES, check_init_std, check_inverted_dropout_forward)
from backprop_helpers.gradcheck import numerical_gradient
from backprop_helpers.grading.kernel import plain
from backprop_helpers.grading.wire import Judge
from backprop_helpers.reference.lesson10_backprop_by_hand import (batchnorm_backward_simplified,
                                                                  batchnorm_forward_intermediates)
from backprop_helpers.reference.lesson11_training_deep_networks import (
    batchnorm_layer_forward, init_std, inverted_dropout_backward, inverted_dropout_forward, l2_loss_and_grad)

from strategies import batchnorm_case, batchnorm_shapes, normal, seeds

few = settings(max_examples=20, deadline=None)


def verdict(exercise, fn, seed=None):
    return EXERCISES[exercise].run(fn, seed=seed)


def expect(exercise, fn, mistake, phrase):
    for seed in (None, 5):                 # the notebook's cases and hidden ones
        result = verdict(exercise, fn, seed)
        assert result.status == "wrong", result.message
        assert result.mistake == mistake, result.message
        assert phrase in result.message


# =========================================================================== learners' answers

def learner_init_std(flaw=None):
    """init_std with math.sqrt and a dict of formulas."""
    def he(fan_in, fan_out):
        if flaw == "variance":
            return 2 / fan_in
        if flaw in ("he without 2", "lecun"):
            return 1 / math.sqrt(fan_in)
        if flaw == "he fan_out":
            return math.sqrt(2 / fan_out)
        if flaw == "swapped":
            return math.sqrt(2 / (fan_in + fan_out))
        return math.sqrt(2 / fan_in)

    def xavier(fan_in, fan_out):
        if flaw == "variance":
            return 2 / (fan_in + fan_out)
        if flaw == "xavier without 2":
            return 1 / math.sqrt(fan_in + fan_out)
        if flaw in ("xavier fan_in", "lecun"):
            return math.sqrt(1.0 / fan_in)
        if flaw == "swapped":
            return math.sqrt(2 / fan_in)
        if flaw == "uniform":
            return math.sqrt(6 / (fan_in + fan_out))
        return (2 / (fan_in + fan_out)) ** 0.5

    def init_std(scheme, fan_in, fan_out):
        return {"he": he, "xavier": xavier}[scheme](fan_in, fan_out)
    return init_std


def learner_l2(flaw=None):
    """l2_loss_and_grad with np.vdot and dict comprehensions."""
    def l2_loss_and_grad(params, reg):
        def weight(k):
            if flaw == "gamma regularised":
                return k[0] != "b"
            return flaw == "biases" or k[0] == "W"
        total = 0.0
        for k, v in params.items():
            if weight(k):
                if flaw == "norm":
                    total += np.linalg.norm(v)
                elif flaw == "mean":
                    total += np.mean(v * v)
                else:
                    total += np.vdot(v, v)
        half = 1.0 if flaw in ("no half", "no half in loss") else 0.5
        loss = 0.0 if flaw == "no loss" else half * reg * total
        factor = 2 * reg if flaw == "no half" else reg
        if flaw == "no gradient":
            return loss, {k: 0 * v for k, v in params.items()}
        if flaw == "in place":
            grads = {}
            for k, v in params.items():
                g = v
                g *= factor if weight(k) else 0
                grads[k] = g
            return loss, grads
        grads = {k: factor * v for k, v in params.items() if weight(k)}
        if flaw != "weights only":
            grads.update({k: np.zeros(v.shape) for k, v in params.items() if not weight(k)})
        return loss, grads
    return l2_loss_and_grad


def learner_dropout(flaw=None):
    """inverted_dropout_forward with rng.binomial, or rng.uniform, as learners draw masks."""
    def inverted_dropout_forward(X, p, rng, train=True):
        dropping = train if flaw not in ("always", "swapped") else (not train if flaw == "swapped" else True)
        if not dropping:
            if flaw == "test scaling" and not train:
                return X * (1 - p), np.ones_like(X)
            return X, np.ones(X.shape)
        if flaw == "keep p scale 1/p":
            keep = rng.uniform(size=X.shape) < p
            return X * keep / p, keep / p
        if flaw == "keep p":
            keep = rng.binomial(1, p, size=X.shape)
        elif flaw == "global random":
            keep = np.random.rand(*X.shape) > p
        else:
            keep = rng.binomial(1, 1 - p, size=X.shape)
        scale = {"no scale": 1.0, "times 1-p": 1 - p}.get(flaw, 1 / (1 - p))
        out = X * keep * scale
        if flaw == "twice":
            keep = rng.binomial(1, 1 - p, size=X.shape)
        if flaw == "plain mask":
            return out, keep.astype(bool)
        return out, keep * scale
    return inverted_dropout_forward


def learner_dropout_backward(flaw=None):
    def inverted_dropout_backward(dout, mask):
        if flaw == "no mask":
            return np.array(dout)
        if flaw == "pattern":
            return np.where(mask != 0, dout, 0.0)
        if flaw == "no dout":
            return mask * 1.0
        if flaw == "divided":
            return dout / np.where(mask == 0, np.inf, mask)
        return np.multiply(dout, mask)
    return inverted_dropout_backward


def learner_batchnorm(flaw=None):
    """batchnorm_layer_forward with np.var, in-place updates and an explicit std."""
    def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        mu = np.mean(X, axis=0)
        ddof = 1 if flaw == "unbiased" else 0
        var = np.var(X, axis=0, ddof=ddof)
        update = train or flaw == "update in eval"
        if update:
            r_var = np.var(X, axis=0, ddof=1) if flaw == "unbiased running" else var
            if flaw == "std averaged":
                r_var = np.sqrt(var + eps)
            if flaw == "swap":
                running["mean"] = momentum * mu + (1 - momentum) * running["mean"]
                running["var"] = momentum * r_var + (1 - momentum) * running["var"]
            elif flaw == "replace":
                running["mean"], running["var"] = mu.copy(), r_var.copy()
            elif flaw == "rebind":
                running = {"mean": momentum * running["mean"] + (1 - momentum) * mu,
                           "var": momentum * running["var"] + (1 - momentum) * r_var}
            else:
                running["mean"] *= momentum
                running["mean"] += (1 - momentum) * mu
                running["var"] *= momentum
                running["var"] += (1 - momentum) * r_var
        if train and flaw == "running in training":
            mu, var = running["mean"], running["var"]
        if not train and flaw != "batch stats in eval":
            mu, var = running["mean"], running["var"]
        if flaw == "eps outside":
            std = np.sqrt(var) + eps
        elif flaw == "no eps in eval" and not train:
            std = np.sqrt(var)
        else:
            std = np.sqrt(var + eps)
        return gamma * ((X - mu) / std) + beta
    return batchnorm_layer_forward


CORRECT = [("init_std", learner_init_std()), ("l2_loss_and_grad", learner_l2()),
           ("inverted_dropout_forward", learner_dropout()),
           ("inverted_dropout_backward", learner_dropout_backward()),
           ("batchnorm_layer_forward", learner_batchnorm())]


def uniform_dropout(X, p, rng, train=True):
    if not train:
        return X.copy(), np.ones_like(X)
    mask = np.where(rng.uniform(0, 1, X.shape) < 1 - p, 1 / (1 - p), 0.0)
    return mask * X, mask


@pytest.mark.parametrize("exercise, fn", CORRECT + [("inverted_dropout_forward", uniform_dropout)],
                         ids=[name for name, _ in CORRECT] + ["inverted_dropout_forward (uniform < 1 - p)"])
@pytest.mark.parametrize("seed", [None, 1, 2])
def test_correct_answers_written_differently_pass(exercise, fn, seed):
    result = verdict(exercise, fn, seed)
    assert result.passed, result.message


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("variance", "variance instead of standard deviation", "take the square root"),
    ("he without 2", "He without its factor 2", "E[h**2] = Var(z) / 2"),
    ("he fan_out", "He with fan_out", "2 / fan_in"),
    ("swapped", "schemes swapped", "swapped"),
    ("xavier without 2", "Xavier without its factor 2", "2 / (fan_in + fan_out)"),
    ("xavier fan_in", "Xavier from fan_in alone", "LeCun"),
    ("lecun", "LeCun's 1/sqrt(fan_in) for both schemes", "keeps only the forward pass steady"),
    ("uniform", "uniform limit instead of standard deviation", "U(-a, a)"),
])
def test_init_std_mistakes_are_named(flaw, mistake, phrase):
    expect("init_std", learner_init_std(flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("biases", "biases regularised", "Only the weights W1, W2"),
    ("gamma regularised", "biases regularised", "gamma"),
    ("no half", "factor 0.5 forgotten: dW = 2 * reg * W", "without the 0.5"),
    ("no half in loss", "factor 0.5 forgotten in the loss", "twice the penalty"),
    ("no gradient", "loss regularised but not the gradient", "never shrink the weights"),
    ("no loss", "gradient regularised but not the loss", "reg_loss is 0"),
    ("norm", "norm instead of squared norm", "np.linalg.norm"),
    ("mean", "mean instead of sum", "np.mean"),
    ("weights only", "only the weights in reg_grads", "every key of params"),
])
def test_l2_mistakes_are_named(flaw, mistake, phrase):
    expect("l2_loss_and_grad", learner_l2(flaw), mistake, phrase)


def test_l2_changing_the_weights_in_place_is_explained():
    result = verdict("l2_loss_and_grad", learner_l2("in place"))
    assert not result.passed and result.mistake == "weights changed in place"
    assert "changed params['W1'] in place" in result.message
    assert "reg_grads[k] = reg * params[k]" in result.message


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("keep p scale 1/p", "p taken as the probability of keeping", "probability of DROPPING"),
    ("keep p", "kept with probability p", "instead of 1 - p"),
    ("no scale", "survivors not scaled by 1/(1-p)", "E[out] = X"),
    ("times 1-p", "survivors multiplied by 1 - p", "instead of divided"),
    ("always", "dropping at evaluation time", "predictions are not random"),
    ("swapped", "training and evaluation modes swapped", "wrong way round"),
    ("test scaling", "scaled at evaluation time", "original, non-inverted dropout"),
    ("twice", "a fresh mask for the backward pass", "very mask of the forward pass"),
    ("plain mask", "mask returned without its scale", "0 or 1/(1-p)"),
    ("global random", "mask not drawn from rng", "seeded run repeats"),
])
def test_dropout_forward_mistakes_are_named(flaw, mistake, phrase):
    expect("inverted_dropout_forward", learner_dropout(flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("no mask", "mask left out of the backward pass", "the dropped ones too"),
    ("pattern", "scale lost in the backward pass", "not only where it is nonzero"),
    ("no dout", "upstream gradient ignored", "chain rule"),
    ("divided", "divided by the mask", "undoes the forward pass's scaling"),
])
def test_dropout_backward_mistakes_are_named(flaw, mistake, phrase):
    expect("inverted_dropout_backward", learner_dropout_backward(flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("swap", "momentum convention swapped", "share KEPT"),
    ("replace", "running statistics replaced by the batch's", "running AVERAGE"),
    ("rebind", "running statistics not updated", "write into the dict"),
    ("update in eval", "running statistics updated in evaluation mode", "read, never written"),
    ("batch stats in eval", "batch statistics used in evaluation", "batch of one works"),
    ("running in training", "running statistics used in training", "batch's own mean and variance"),
    ("unbiased", "unbiased variance", "ddof=1"),
    ("unbiased running", "unbiased variance in the running average", "PyTorch does"),
    ("std averaged", "standard deviation averaged instead of the variance", "sqrt(running['var'] + eps)"),
    ("no eps in eval", "eps left out in evaluation mode", "without eps"),
    ("eps outside", "eps outside the square root", "eps belongs under the root"),
])
def test_batchnorm_layer_mistakes_are_named(flaw, mistake, phrase):
    expect("batchnorm_layer_forward", learner_batchnorm(flaw), mistake, phrase)


def test_an_unknown_dropout_mistake_is_told_in_words_and_its_hint_names_no_value():
    def squared_scale(X, p, rng, train=True):
        if not train:
            return X, np.ones_like(X)
        mask = (rng.random(X.shape) >= p) / (1 - p) ** 2
        return X * mask, mask
    result = verdict("inverted_dropout_forward", squared_scale)
    assert result.status == "wrong" and result.mistake is None
    assert "multiplied by 2.04082, where inverted dropout multiplies them by 1/(1-p) = 1.42857" in result.message
    assert "2.04" not in result.hint and "1/(1-p)" in result.hint


def test_a_dropout_forward_returning_one_value_is_explained():
    result = verdict("inverted_dropout_forward", lambda X, p, rng, train=True: X * (rng.random(X.shape) >= p))
    assert result.status == "error"
    assert "should return two values, (out, mask)" in result.message


def test_a_dropout_forward_changing_X_in_place_is_explained():
    def in_place(X, p, rng, train=True):
        mask = (rng.random(X.shape) >= p) / (1 - p) if train else np.ones_like(X)
        X *= mask
        return X, mask
    result = verdict("inverted_dropout_forward", in_place)
    assert "changed its input X in place" in result.message
    assert result.mistake == "X changed in place" and "out = X * mask" in result.message


def test_a_batchnorm_layer_changing_X_in_place_is_explained():
    def in_place(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        X -= X.mean(axis=0)
        return gamma * X / np.sqrt(X.var(axis=0) + eps) + beta
    result = verdict("batchnorm_layer_forward", in_place)
    assert "changed its input X in place" in result.message
    assert result.mistake == "X centred in place" and "xmu = X - mean" in result.message


# =========================================================================== not yours

def package_dropout(X, p, rng, train=True):
    out, cache = layers.dropout_forward(X, p, rng, train)
    return out, np.ones_like(X) if cache.mask is None else cache.mask


@pytest.mark.parametrize("exercise, fn, used", [
    ("init_std", lambda scheme, fan_in, fan_out: network.init_scale(scheme, fan_in, fan_out), "init_scale"),
    ("init_std", lambda scheme, fan_in, fan_out: bh.reference.init_std(scheme, fan_in, fan_out), "init_std"),
    ("l2_loss_and_grad", lambda params, reg: tuple(l2_loss_and_grad(params, reg)), "l2_loss_and_grad"),
    ("inverted_dropout_forward", package_dropout, "layers.dropout_forward"),
    ("inverted_dropout_backward",
     lambda dout, mask: layers.dropout_backward(dout, layers.DropoutCache(mask, 0.5)), "layers.dropout_backward"),
    ("inverted_dropout_backward", lambda dout, mask: inverted_dropout_backward(dout, mask),
     "inverted_dropout_backward"),
    ("batchnorm_layer_forward",
     lambda X, gamma, beta, running, train, momentum=0.9, eps=1e-5:
         layers.batchnorm_forward(X, gamma, beta, eps, train, running, momentum)[0], "layers.batchnorm_forward"),
    ("batchnorm_layer_forward",
     lambda X, gamma, beta, running, train, momentum=0.9, eps=1e-5:
         batchnorm_layer_forward(X, gamma, beta, running, train, momentum, eps), "batchnorm_layer_forward"),
])
def test_calling_the_course_s_own_answer_is_refused(exercise, fn, used):
    result = verdict(exercise, fn)
    assert result.status == "not yours", result.message
    assert "write it yourself" in result.message and used in result.message


def test_helpers_of_the_learner_s_own_pass():
    def keep_mask(shape, p, rng):
        return rng.random(shape) >= p

    def inverted_dropout_forward(X, p, rng, train=True):
        if not train:
            return X, np.ones_like(X)
        mask = keep_mask(X.shape, p, rng) / (1 - p)
        return X * mask, mask
    assert check_inverted_dropout_forward(inverted_dropout_forward) is inverted_dropout_forward


def test_a_failed_check_hands_back_the_reference(capsys):
    fn = check_init_std(lambda scheme, fan_in, fan_out: (_ for _ in ()).throw(NotImplementedError()))
    assert fn is init_std
    assert "Carrying on with the reference" in capsys.readouterr().out


# =========================================================================== the grader's verdicts

@pytest.mark.parametrize("exercise, fn", [
    ("init_std", learner_init_std("xavier fan_in")),
    ("l2_loss_and_grad", learner_l2("biases")),
    ("inverted_dropout_forward", learner_dropout("keep p")),
    ("inverted_dropout_forward", learner_dropout()),
    ("inverted_dropout_backward", learner_dropout_backward("pattern")),
    ("batchnorm_layer_forward", learner_batchnorm("swap")),
])
@pytest.mark.parametrize("seed", [None, 7])
def test_the_grader_gives_the_notebook_s_verdict(exercise, fn, seed):
    ex = EXERCISES[exercise]
    outputs = ex.results(fn, ex.case_list(seed))
    sent = [Raised.from_text(o.text) if isinstance(o, Raised) else plain(o) for o in outputs]
    here, graded = ex.run(fn, seed=seed), Judge(ex, seed).verdict(sent)
    assert (graded.status, graded.mistake, graded.message) == (here.status, here.mistake, here.message)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_hidden_cases_keep_the_edge_cases_and_draw_new_values(name):
    ex = EXERCISES[name]
    notebook, hidden = ex.case_list(), ex.case_list(3)
    assert len(notebook) == len(hidden)
    assert any(case.label.endswith("(hidden values)") for case in hidden)
    assert ex.run(ex.reference, seed=3).passed


# =========================================================================== the references

@few
@given(st.integers(1, 600), st.integers(1, 600), st.sampled_from(["he", "xavier"]))
def test_init_std_is_the_network_s_init_scale(fan_in, fan_out, scheme):
    assert init_std(scheme, fan_in, fan_out) == pytest.approx(network.init_scale(scheme, fan_in, fan_out),
                                                              rel=1e-15)


def test_init_std_refuses_an_unknown_scheme_by_name():
    with pytest.raises(ValueError, match="init_std: scheme must be one of he, xavier, got 'lecun'"):
        init_std("lecun", 3, 4)


@few
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), seeds, st.sampled_from([0.0, 0.01, 0.5]),
       st.booleans())
def test_l2_is_what_the_mlp_adds_to_its_loss_and_gradients(sizes, seed, reg, batchnorm):
    model = MLP(sizes, seed=seed % 1000, reg=reg, batchnorm=batchnorm)
    X, y = normal(seed, (4, sizes[0])), np.random.default_rng(seed).integers(0, sizes[-1], 4)
    with_penalty = model.loss(X, y)
    grads_with = {k: g.copy() for k, g in model.backward().items()}
    model.reg = 0.0
    without = model.loss(X, y)
    grads_without = model.backward()
    reg_loss, reg_grads = l2_loss_and_grad(model.params, reg)
    assert reg_loss == pytest.approx(with_penalty - without, rel=1e-9, abs=1e-12)
    assert reg_grads.keys() == model.params.keys()
    for k in model.params:
        np.testing.assert_allclose(reg_grads[k], grads_with[k] - grads_without[k], rtol=1e-9, atol=1e-12)


@few
@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), seeds, st.sampled_from([0.1, 2.0]))
def test_l2_gradient_matches_central_differences(sizes, seed, reg):
    params = MLP(sizes, seed=seed % 1000, batchnorm=True).params
    params = {k: v + normal(seed + i, v.shape, 0.3) for i, (k, v) in enumerate(params.items())}
    _, grads = l2_loss_and_grad(params, reg)
    for name in params:
        def penalty(value, name=name):
            return l2_loss_and_grad({**params, name: value}, reg)[0]
        np.testing.assert_allclose(grads[name], numerical_gradient(penalty, params[name].copy()),
                                   rtol=1e-6, atol=1e-8)


@few
@given(st.integers(1, 6), st.integers(1, 6), seeds, st.sampled_from([0.0, 0.2, 0.5, 0.9]), st.booleans())
def test_dropout_is_the_package_s_layer(N, H, seed, p, train):
    X = normal(seed, (N, H))
    out, mask = inverted_dropout_forward(X, p, np.random.default_rng(seed), train)
    package_out, cache = layers.dropout_forward(X, p, np.random.default_rng(seed), train)
    np.testing.assert_array_equal(out, package_out)
    np.testing.assert_array_equal(mask, np.ones_like(X) if cache.mask is None else cache.mask)
    dout = normal(seed + 1, (N, H))
    np.testing.assert_array_equal(inverted_dropout_backward(dout, mask), layers.dropout_backward(dout, cache))


@few
@given(st.integers(1, 5), st.integers(1, 5), seeds, st.sampled_from([0.25, 0.5]))
def test_dropout_backward_matches_central_differences_with_the_forward_mask(N, H, seed, p):
    X, dout = normal(seed, (N, H)), normal(seed + 1, (N, H))
    _, mask = inverted_dropout_forward(X, p, np.random.default_rng(seed), True)

    def f(X_):
        return float(np.sum(inverted_dropout_forward(X_, p, np.random.default_rng(seed), True)[0] * dout))
    np.testing.assert_allclose(inverted_dropout_backward(dout, mask), numerical_gradient(f, X.copy()),
                               rtol=1e-6, atol=1e-8)


def test_dropout_keeps_the_expected_value_and_the_share_of_units():
    X = np.full((400, 50), 2.0)
    out, mask = inverted_dropout_forward(X, 0.3, np.random.default_rng(0), True)
    assert np.mean(mask != 0) == pytest.approx(0.7, abs=0.02)
    assert out.mean() == pytest.approx(2.0, abs=0.05)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}


@few
@given(batchnorm_shapes(max_n=6, max_d=4).filter(lambda s: s[0] >= 2), seeds, st.sampled_from([0.0, 0.5, 0.9]),
       st.booleans())
def test_batchnorm_layer_is_the_package_s_layer(shape, seed, momentum, train):
    X, gamma, beta, _, running = batchnorm_case(seed, shape)
    ours, theirs = ({k: v.copy() for k, v in running.items()} for _ in range(2))
    out = batchnorm_layer_forward(X, gamma, beta, ours, train, momentum)
    package_out, _ = layers.batchnorm_forward(X, gamma, beta, 1e-5, train, theirs, momentum)
    np.testing.assert_allclose(out, package_out, rtol=1e-12, atol=1e-12)
    for key in ("mean", "var"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, atol=1e-14)
        if not train:
            np.testing.assert_array_equal(ours[key], running[key])


@few
@given(batchnorm_shapes(max_n=6, max_d=3).filter(lambda s: s[0] >= 2), seeds)
def test_batchnorm_layer_gradients_match_central_differences_in_both_modes(shape, seed):
    X, gamma, beta, dout, running = batchnorm_case(seed, shape)

    def loss(train):
        return lambda X_: float(np.sum(batchnorm_layer_forward(
            X_, gamma, beta, {k: v.copy() for k, v in running.items()}, train) * dout))
    dX_train = batchnorm_backward_simplified(dout, gamma, batchnorm_forward_intermediates(X, gamma, beta))["dX"]
    np.testing.assert_allclose(dX_train, numerical_gradient(loss(True), X.copy()), rtol=1e-5, atol=1e-7)
    dX_eval = dout * gamma / np.sqrt(running["var"] + 1e-5)
    np.testing.assert_allclose(dX_eval, numerical_gradient(loss(False), X.copy()), rtol=1e-6, atol=1e-8)


def test_the_running_averages_converge_to_the_data_s_statistics():
    running = {"mean": np.zeros(2), "var": np.ones(2)}
    rng = np.random.default_rng(0)
    for _ in range(200):
        batchnorm_layer_forward(rng.standard_normal((64, 2)) * [2.0, 0.5] + [3.0, -1.0], np.ones(2), np.zeros(2),
                                running, True)
    np.testing.assert_allclose(running["mean"], [3.0, -1.0], atol=0.1)
    np.testing.assert_allclose(running["var"], [4.0 * 63 / 64, 0.25 * 63 / 64], rtol=0.15)


# =========================================================================== more slips, named by their effect

def init_std_by(slip):
    def init_std(scheme, fan_in, fan_out):
        if scheme == "he":
            return {"root of the numerator": math.sqrt(2) / fan_in,
                    "root of the denominator": 2 / math.sqrt(fan_in)}.get(slip, math.sqrt(2 / fan_in))
        if slip == "product":
            return float(np.sqrt(2 / (fan_in * fan_out)))
        if slip == "root of the numerator":
            return math.sqrt(2) / (fan_in + fan_out)
        return math.sqrt(2 / (fan_in + fan_out))
    return init_std


def test_init_std_with_the_root_of_part_of_the_fraction_in_one_branch_is_named():
    def he_only(scheme, fan_in, fan_out):                     # Xavier right, He's root misplaced
        return 2 / np.sqrt(fan_in) if scheme == "he" else np.sqrt(2 / (fan_in + fan_out))
    expect("init_std", he_only, "square root of part of the fraction", "whole variance")


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("root of the numerator", "square root of part of the fraction", "np.sqrt(2.0 / fan_in)"),
    ("root of the denominator", "square root of part of the fraction", "whole variance"),
    ("product", "Xavier with the product of the fans", "SUM of the fans"),
])
def test_more_init_std_slips_are_named(slip, mistake, phrase):
    expect("init_std", init_std_by(slip), mistake, phrase)


def test_l2_with_the_half_kept_in_the_gradient_is_named():
    def l2_loss_and_grad(params, reg):
        reg_loss, reg_grads = 0.0, {}
        for key in params:
            if key[0] == "W":
                reg_loss += reg / 2 * np.sum(params[key] * params[key])
                reg_grads[key] = reg / 2 * params[key]
            else:
                reg_grads[key] = 0 * params[key]
        return reg_loss, reg_grads
    expect("l2_loss_and_grad", l2_loss_and_grad, "gradient with the 0.5: dW = 0.5 * reg * W", "cancels the 0.5")


def test_l2_adding_the_penalty_into_the_weights_is_named():
    def l2_loss_and_grad(params, reg):
        grads = {}
        loss = 0.0
        for key, value in params.items():
            if key.startswith("W"):
                loss += 0.5 * reg * (value ** 2).sum()
                value *= reg                                # the weights themselves
                grads[key] = value
            else:
                grads[key] = np.zeros_like(value)
        return loss, grads
    expect("l2_loss_and_grad", l2_loss_and_grad, "weights changed in place", "makes no copy")


def dropout_by(slip):
    def inverted_dropout_forward(X, p, rng, train=True):
        if not train:
            return X, (None if slip == "no eval mask" else np.ones(X.shape))
        source = np.random.default_rng(42) if slip == "own generator" else rng
        keep = source.random(X.shape) > p
        if slip == "over p":
            mask = keep / p
        else:
            mask = keep * (1 / (1 - p))
        if slip == "in place":
            out = X
            out *= mask
            return out, mask
        return X * mask, mask
    return inverted_dropout_forward


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("own generator", "mask from a generator of its own", "every call drops the same units"),
    ("over p", "survivors divided by p", "probability of keeping them"),
    ("no eval mask", "no mask in evaluation mode", "np.ones_like(X)"),
    ("in place", "X changed in place", "does not copy"),
])
def test_more_dropout_forward_slips_are_named(slip, mistake, phrase):
    expect("inverted_dropout_forward", dropout_by(slip), mistake, phrase)


def test_dropout_written_with_a_comparison_the_other_way_passes():
    for seed in (None, 3):
        assert verdict("inverted_dropout_forward", dropout_by(None), seed).passed


def test_dropout_backward_multiplying_dout_in_place_is_named():
    def inverted_dropout_backward(dout, mask):
        dX = dout
        dX *= mask
        return dX
    expect("inverted_dropout_backward", inverted_dropout_backward, "dout changed in place", "dX = dout * mask")


def batchnorm_by(slip):
    def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        if train:
            mean, var = X.mean(0), ((X - X.mean(0)) ** 2).mean(0)
            for key, value in (("mean", mean), ("var", var)):
                running[key] = momentum * running[key] + (1 - momentum) * value
        else:
            mean, var = running["mean"], running["var"]
        if slip == "in place":
            xmu = X
            xmu -= mean
        else:
            xmu = X - mean
        x_hat = xmu / np.sqrt(var + eps)
        if slip == "swapped":
            return beta * x_hat + gamma
        if slip == "no affine":
            return x_hat
        return gamma * x_hat + beta
    return batchnorm_layer_forward


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("swapped", "gamma and beta swapped", "gamma scales and beta shifts"),
    ("no affine", "gamma and beta not applied", "scale and offset are missing"),
    ("in place", "X centred in place", "does not copy"),
])
def test_more_batchnorm_layer_slips_are_named(slip, mistake, phrase):
    expect("batchnorm_layer_forward", batchnorm_by(slip), mistake, phrase)


def test_a_batchnorm_layer_with_a_loop_over_the_statistics_passes():
    for seed in (None, 3):
        assert verdict("batchnorm_layer_forward", batchnorm_by(None), seed).passed


def test_l2_with_a_plain_zero_for_the_biases_is_named():
    def l2_loss_and_grad(params, reg):
        reg_loss = sum(0.5 * reg * np.sum(v ** 2) for k, v in params.items() if k.startswith("W"))
        reg_grads = {k: (reg * v if k.startswith("W") else 0) for k, v in params.items()}
        return reg_loss, reg_grads
    expect("l2_loss_and_grad", l2_loss_and_grad, "a plain 0 for the other parameters", "np.zeros_like(b)")


def test_a_batchnorm_layer_normalising_with_std_in_training_is_named():
    def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        if train:
            mu, sigma = X.mean(axis=0), X.std(axis=0)
            running["mean"] = momentum * running["mean"] + (1 - momentum) * mu
            running["var"] = momentum * running["var"] + (1 - momentum) * sigma ** 2
        else:
            mu, sigma = running["mean"], np.sqrt(running["var"] + eps)
        return gamma * (X - mu) / sigma + beta
    expect("batchnorm_layer_forward", batchnorm_layer_forward, "eps left out in training mode", "sqrt(var + eps)")


def test_xavier_from_fan_out_alone_is_named():
    expect("init_std", lambda scheme, fan_in, fan_out: math.sqrt(2 / fan_in) if scheme == "he"
           else 1 / math.sqrt(fan_out), "Xavier from fan_out alone", "balances both passes")


def l2_second_look(slip):
    def l2_loss_and_grad(params, reg):
        weights = {k: v for k, v in params.items() if k.startswith("W")}
        if slip == "square of sum":
            reg_loss = sum(0.5 * reg * v.sum() ** 2 for v in weights.values())
        elif slip == "L1":
            reg_loss = sum(reg * np.abs(v).sum() for v in weights.values())
        else:
            reg_loss = sum(0.5 * reg * (v ** 2).sum() for v in weights.values())
        reg_grads = {k: (reg * np.sign(v) if slip == "L1" else reg * v) if k in weights else np.zeros(v.shape)
                     for k, v in params.items()}
        return (reg_grads, reg_loss) if slip == "order" else (reg_loss, reg_grads)
    return l2_loss_and_grad


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("square of sum", "square of the sum instead of the sum of squares", "np.sum(W ** 2)"),
    ("L1", "L1 penalty instead of L2", "sign(W)"),
    ("order", "outputs in the wrong order", "return reg_loss, reg_grads"),
])
def test_more_l2_slips_of_a_second_look_are_named(slip, mistake, phrase):
    expect("l2_loss_and_grad", l2_second_look(slip), mistake, phrase)


def test_dropout_with_one_mask_row_for_the_batch_is_named():
    def inverted_dropout_forward(X, p, rng, train=True):
        if not train:
            return X, np.ones_like(X)
        mask = (rng.uniform(size=(1, X.shape[1])) > p) / (1 - p)
        return X * mask, mask * np.ones_like(X)
    expect("inverted_dropout_forward", inverted_dropout_forward, "one mask for the whole batch", "shape of X")


def test_dropout_returning_only_out_in_evaluation_is_named():
    def inverted_dropout_forward(X, p, rng, train=True):
        if train:
            mask = (rng.random(X.shape) > p) / (1 - p)
            return X * mask, mask
        return X
    expect("inverted_dropout_forward", inverted_dropout_forward, "no mask in evaluation mode", "all ones")


def batchnorm_second_look(slip):
    def batchnorm_layer_forward(X, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        m = 0.9 if slip == "fixed momentum" else momentum
        if train:
            mu, var = X.mean(axis=0), X.var(axis=0)
            running["mean"] = m * running["mean"] + (1 - m) * mu
            if slip != "mean only":
                running["var"] = m * running["var"] + (1 - m) * var
        else:
            mu, var = running["mean"], running["var"]
        scale = var + eps if slip == "no root" and not train else np.sqrt(var + eps)
        return gamma * (X - mu) / scale + beta
    return batchnorm_layer_forward


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("fixed momentum", "momentum argument ignored", "use the argument"),
    ("mean only", "one running statistic not updated", "AND the running variance"),
    ("no root", "square root missing", "np.sqrt(var + eps)"),
])
def test_more_batchnorm_layer_slips_of_a_second_look_are_named(slip, mistake, phrase):
    expect("batchnorm_layer_forward", batchnorm_second_look(slip), mistake, phrase)
