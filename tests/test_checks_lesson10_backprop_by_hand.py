"""Lesson 10's checks against answers written the way learners write them, and its references three ways.

Every wrong answer below is plain learner code (not the catalogue's staged implementations) with one
classic mistake; its check must name that mistake and explain it. The correct answers are written
differently from the references (one-hot matrices, np.tile, einsum, ``x ** -1``) and must pass.

The references' gradients of every intermediate are compared with central differences (nudging one
node and recomputing the rest of the graph) and with the scalar ``Value`` engine, which knows nothing
of the formulas; the final gradients with the package's own losses and layers.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_helpers as bh
from backprop_helpers import layers, losses
from backprop_helpers.autograd import Value, grad_array, value_array
from backprop_helpers.checks.core import Raised
from backprop_helpers.checks.lesson10_backprop_by_hand import (
    EXERCISES, check_batchnorm_backward_simplified, check_softmax_ce_backward_by_hand)
from backprop_helpers.gradcheck import numerical_gradient
from backprop_helpers.grading.kernel import plain
from backprop_helpers.grading.wire import Judge
from backprop_helpers.reference.lesson10_backprop_by_hand import (
    batchnorm_backward_simplified, batchnorm_backward_staged, batchnorm_forward_intermediates,
    batchnorm_loss_from, softmax_ce_backward_by_hand, softmax_ce_forward_intermediates,
    softmax_ce_loss_from)

from strategies import normal, seeds

SM_NODES = ("picked", "logp", "p", "s", "e", "shifted", "m")
BN_NODES = ("x_hat", "inv_std", "std", "var", "sq", "xmu", "mean")


def verdict(exercise, fn):
    return EXERCISES[exercise].run(fn)


def expect(exercise, fn, mistake, phrase):
    result = verdict(exercise, fn)
    assert result.status == "wrong", result.message
    assert result.mistake == mistake, result.message
    assert phrase in result.message


# =========================================================================== learners' answers

def sm_forward(scores, y, flaw=None):
    """softmax_ce_forward_intermediates, written the way a learner might (no keepdims, a loop)."""
    N = len(scores)
    m = np.max(scores, axis=1)[:, None]
    if flaw == "m without keepdims":
        m = np.max(scores, axis=1)
    elif flaw == "m per column":
        m = np.amax(scores, axis=0)
    elif flaw == "m of the batch":
        m = np.max(scores)
    shifted = scores - m
    e = np.exp(shifted)
    s = np.sum(e, axis=1)[:, np.newaxis]
    if flaw == "s without keepdims":
        s = np.sum(e, axis=1)
    elif flaw == "s per column":
        s = np.sum(e, axis=0)
    elif flaw == "s of everything":
        s = np.sum(e)
    p = e / s
    logp = np.log(p)
    picked = np.array([logp[n, y[n]] for n in range(N)])
    if flaw == "picked columns":
        picked = logp[:, y]
    loss = -np.sum(picked) / N
    if flaw == "loss summed":
        loss = -np.sum(picked)
    elif flaw == "loss sign":
        loss = np.sum(picked) / N
    return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
            "loss": loss}


def sm_backward(scores, y, fwd, flaw=None):
    """softmax_ce_backward_by_hand, written with a one-hot matrix, np.tile and a max mask."""
    N, C = scores.shape
    e, s, p = fwd["e"], fwd["s"], fwd["p"]
    dpicked = -np.ones(N) / N
    if flaw == "dpicked without 1/N":
        dpicked = -np.ones(N)
    elif flaw == "dpicked sign":
        dpicked = np.ones(N) / N
    onehot = np.eye(C)[y]
    dlogp = onehot * dpicked[:, None]
    if flaw == "dlogp spread":
        dlogp = np.tile(dpicked[:, None], (1, C))
    elif flaw == "dlogp columns":
        dlogp = np.zeros((N, C))
        for n in range(N):
            dlogp[:, y[n]] = dpicked[n]
    elif flaw == "dlogp without 1/N":
        dlogp = -onehot
    dp = dlogp * (1 / p)
    if flaw == "dp minus":
        dp = -dlogp / p
    elif flaw == "dp times p":
        dp = dlogp * p
    ds = -np.sum(dp * e, axis=1, keepdims=True) / s ** 2
    if flaw == "ds not summed":
        ds = -(dp * e) / s ** 2
    elif flaw == "ds over rows":
        ds = -np.sum(dp * e / s ** 2, axis=0, keepdims=True)
    elif flaw == "ds without keepdims":
        ds = -np.sum(dp * e, axis=1) / s[:, 0] ** 2
    elif flaw == "ds sign":
        ds = np.sum(dp * e, axis=1, keepdims=True) / s ** 2
    elif flaw == "s constant":
        ds = np.zeros_like(s)
    de = dp / s + ds * np.ones((1, C))
    if flaw == "de direct only":
        de = dp / s
    elif flaw == "de sum as mean":
        de = dp / s + ds / C
    dshifted = e * de
    if flaw == "no exp factor":
        dshifted = de
    elif flaw == "dshifted sign":
        dshifted = -(e * de)
    dm = -np.sum(dshifted, axis=1, keepdims=True)
    if flaw == "dm not summed":
        dm = -dshifted
    elif flaw == "dm over rows":
        dm = -np.sum(dshifted, axis=0)
    is_max = scores == scores.max(axis=1, keepdims=True)
    dscores = dshifted + dm * is_max
    if flaw == "dscores from max only":
        dscores = dm * is_max
    elif flaw == "dscores over N":
        dscores = (dshifted + dm * is_max) / N
    return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
            "dm": dm, "dscores": dscores}


def bn_forward(X, gamma, beta, eps=1e-5, flaw=None):
    """batchnorm_forward_intermediates with sums divided by N, ``** 0.5`` and ``** -1``."""
    N = X.shape[0]
    mean = np.sum(X, axis=0) / N
    if flaw == "mean per example":
        mean = np.mean(X, axis=1, keepdims=True)
    elif flaw == "mean keepdims":
        mean = np.mean(X, axis=0, keepdims=True)
    xmu = X - mean
    sq = xmu * xmu
    var = np.sum(sq, axis=0) / N
    if flaw == "unbiased variance":
        var = np.var(X, axis=0, ddof=1)
    elif flaw == "variance per example":
        var = np.mean(sq, axis=1)
    std = (var + eps) ** 0.5
    if flaw == "eps outside":
        std = var ** 0.5 + eps
    elif flaw == "no eps":
        std = var ** 0.5
    elif flaw == "no square root":
        std = var + eps
    inv_std = std ** -1
    x_hat = xmu / std
    if flaw == "x_hat from X":
        x_hat = X / std
    out = x_hat * gamma + beta
    if flaw == "gamma beta swapped":
        out = x_hat * beta + gamma
    return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
            "x_hat": x_hat, "out": out}


def bn_staged(dout, gamma, fwd, flaw=None):
    """batchnorm_backward_staged, written with einsum, np.tile and powers of inv_std."""
    N, D = dout.shape
    xmu, var, inv_std, x_hat = fwd["xmu"], fwd["var"], fwd["inv_std"], fwd["x_hat"]
    dbeta = np.sum(dout, axis=0)
    if flaw == "dbeta rows":
        dbeta = dout.copy()
    elif flaw == "dbeta mean":
        dbeta = np.mean(dout, axis=0)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    if flaw == "dgamma rows":
        dgamma = dout * x_hat
    elif flaw == "dgamma mean":
        dgamma = np.einsum("nd,nd->d", dout, x_hat) / N
    dx_hat = gamma * dout
    if flaw == "dx_hat without gamma":
        dx_hat = dout.copy()
    dinv_std = np.einsum("nd,nd->d", xmu, dx_hat)
    if flaw == "dinv_std rows":
        dinv_std = xmu * dx_hat
    elif flaw == "dinv_std from x_hat":
        dinv_std = np.einsum("nd,nd->d", x_hat, dx_hat)
    dstd = -dinv_std * inv_std ** 2
    if flaw == "dstd sign":
        dstd = dinv_std * inv_std ** 2
    elif flaw == "dstd no square":
        dstd = -dinv_std * inv_std
    dvar = dstd * inv_std / 2
    if flaw == "dvar no half":
        dvar = dstd * inv_std
    elif flaw == "dvar no eps":
        dvar = dstd / (2 * np.sqrt(var))
    dsq = np.tile(dvar / N, (N, 1))
    if flaw == "dsq N-1":
        dsq = np.tile(dvar / (N - 1), (N, 1))
    elif flaw == "dsq no 1/N":
        dsq = np.tile(dvar, (N, 1))
    elif flaw == "dsq not broadcast":
        dsq = dvar / N
    dxmu = inv_std * dx_hat + 2 * dsq * xmu
    if flaw == "dxmu only through x_hat":
        dxmu = inv_std * dx_hat
    elif flaw == "dxmu no 2":
        dxmu = inv_std * dx_hat + dsq * xmu
    elif flaw == "dxmu times N":
        dxmu = N * (inv_std * dx_hat + 2 * dsq * xmu)
    dmean = -np.sum(dxmu, axis=0)
    if flaw == "dmean rows":
        dmean = -dxmu
    elif flaw == "dmean zero":
        dmean = np.zeros(D)
    dX = dxmu + np.tile(dmean, (N, 1)) / N
    if flaw == "dX without mean":
        dX = dxmu
    elif flaw == "dX mean not over N":
        dX = dxmu + dmean
    elif flaw == "dX over N":
        dX = (dxmu + dmean / N) / N
    elif flaw == "dX sign":
        dX = -dxmu - dmean / N
    return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
            "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}


def bn_simplified(dout, gamma, fwd, flaw=None):
    """batchnorm_backward_simplified, written with dx_hat = gamma * dout first."""
    N = len(dout)
    x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
    dbeta = np.sum(dout, axis=0)
    if flaw == "dbeta rows":
        dbeta = 1.0 * dout
    dgamma = np.sum(dout * x_hat, axis=0)
    if flaw == "dgamma rows":
        dgamma = dout * x_hat
    elif flaw == "dgamma mean":
        dgamma = np.mean(dout * x_hat, axis=0)
    elif flaw == "dbeta mean":
        dbeta = dbeta / N
    dx_hat = dout * gamma
    if flaw == "no gamma":
        dx_hat = dout
    mean_term = dx_hat.sum(axis=0)
    var_term = x_hat * (dx_hat * x_hat).sum(axis=0)
    if flaw == "N-1":
        var_term = var_term * N / (N - 1)
    elif flaw == "no mean term":
        mean_term = 0.0
    elif flaw == "no variance term":
        var_term = 0.0
    elif flaw == "whole-array sums":
        mean_term, var_term = dx_hat.sum(), x_hat * (dx_hat * x_hat).sum()
    dX = inv_std / N * (N * dx_hat - mean_term - var_term)
    if flaw == "over N again":
        dX = dX / N
    elif flaw == "no 1/N":
        dX = inv_std * (N * dx_hat - mean_term - var_term)
    elif flaw == "sign":
        dX = -dX
    return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}


def flawed(fn, flaw):
    def learner(*args):
        return fn(*args, flaw=flaw)
    return learner


# =========================================================================== correct answers pass

@pytest.mark.parametrize("exercise, fn", [
    ("softmax_ce_forward_intermediates", sm_forward), ("softmax_ce_backward_by_hand", sm_backward),
    ("batchnorm_forward_intermediates", bn_forward), ("batchnorm_backward_staged", bn_staged),
    ("batchnorm_backward_simplified", bn_simplified)])
def test_correct_answers_written_differently_pass(exercise, fn):
    result = verdict(exercise, fn)
    assert result.passed, result.message
    assert "largest difference" in result.message       # the table is shown on success too


def test_the_table_names_every_intermediate_with_exact_close_or_wrong():
    result = verdict("softmax_ce_backward_by_hand", flawed(sm_backward, "de direct only"))
    cells = [re.split(r"\s{2,}", line.strip()) for line in result.message.splitlines()[1:10]]
    assert cells[0] == ["gradient", "shape", "verdict", "largest difference"]
    assert cells[4][:2] == ["ds", "(N, 1)"]
    rows = {row[0]: row[2] for row in cells[1:]}
    assert rows == {"dpicked": "exact", "dlogp": "exact", "dp": "close", "ds": "close", "de": "wrong",
                    "dshifted": "wrong", "dm": "wrong", "dscores": "wrong"}
    assert "fix that one first" in result.message


def test_the_softmax_backward_also_passes_with_loops_over_every_entry():
    def softmax_ce_backward_by_hand(scores, y, fwd):
        N, C = scores.shape
        e, s, p = fwd["e"], fwd["s"], fwd["p"]
        dpicked = np.array([-1.0 / N] * N)
        dlogp, dp, de = np.zeros((N, C)), np.zeros((N, C)), np.zeros((N, C))
        ds, dm = np.zeros((N, 1)), np.zeros((N, 1))
        for n in range(N):
            dlogp[n, y[n]] = dpicked[n]
            for c in range(C):
                dp[n, c] = dlogp[n, c] / p[n, c]
                ds[n, 0] -= dp[n, c] * e[n, c] / s[n, 0] ** 2
            for c in range(C):
                de[n, c] = dp[n, c] / s[n, 0] + ds[n, 0]
        dshifted = de * e
        for n in range(N):
            dm[n, 0] = -sum(dshifted[n])
        dscores = dshifted.copy()
        dscores[np.arange(N), np.argmax(scores, axis=1)] += dm[:, 0]
        return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de,
                "dshifted": dshifted, "dm": dm, "dscores": dscores}
    assert verdict("softmax_ce_backward_by_hand", softmax_ce_backward_by_hand).passed


# =========================================================================== each bug is named

@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("m without keepdims", "keepdims lost in the row max", "keepdims=True"),
    ("m per column", "each column's max instead of each row's", "each row's own maximum"),
    ("m of the batch", "the batch's max instead of each row's", "0/0 = nan"),
    ("s without keepdims", "keepdims lost in the row sum", "s is (N, 1)"),
    ("s per column", "row sum over the wrong axis", "mixing different examples"),
    ("s of everything", "sum of the whole array instead of each row's", "over the whole batch"),
    ("picked columns", "picked with logp[:, y]", "logp[np.arange(N), y]"),
    ("loss summed", "loss summed instead of averaged", "the mean of -picked"),
    ("loss sign", "minus sign of the loss lost", "-mean(picked)"),
])
def test_softmax_forward_mistakes_are_named(flaw, mistake, phrase):
    expect("softmax_ce_forward_intermediates", flawed(sm_forward, flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("dpicked without 1/N", "1/N of the mean forgotten", "-1/N, not -1"),
    ("dpicked sign", "minus sign of the loss lost", "dpicked = -1/N"),
    ("dlogp spread", "picked gradient spread over every class", "their gradient is 0"),
    ("dlogp columns", "picked with [:, y] in the backward pass", "dlogp[np.arange(N), y]"),
    ("dlogp without 1/N", "1/N of the mean forgotten", "N times too large"),
    ("dp minus", "log's derivative with a minus sign", "+1/p"),
    ("dp times p", "log's derivative multiplied instead of divided", "dp = dlogp / p"),
    ("ds not summed", "broadcast not summed back", "sum over the columns, axis=1"),
    ("ds over rows", "summed over the wrong axis", "mixing different examples"),
    ("ds without keepdims", "keepdims lost", "the sum dropped its axis"),
    ("ds sign", "quotient rule's minus sign lost", "-1/s**2"),
    ("s constant", "division's denominator path missing", "de = dp / s + ds"),
    ("de direct only", "division's denominator path missing", "as if s were a constant"),
    ("de sum as mean", "sum's gradient divided by C", "no division"),
    ("no exp factor", "exp's local gradient missing", "dshifted = de * e"),
    ("dshifted sign", "sign lost", "wrong sign"),
    ("dm not summed", "dm not summed over the row", "0 up to rounding"),
    ("dm over rows", "dm summed over the wrong axis", "row n's own maximum"),
    ("dscores from max only", "the path through shifted missing from dscores", "dscores = dshifted"),
    ("dscores over N", "1/N applied twice", "N times too small"),
])
def test_softmax_backward_mistakes_are_named(flaw, mistake, phrase):
    expect("softmax_ce_backward_by_hand", flawed(sm_backward, flaw), mistake, phrase)


def test_the_first_wrong_intermediate_is_named_in_the_verdict():
    result = verdict("softmax_ce_backward_by_hand", flawed(sm_backward, "ds not summed"))
    assert result.message.startswith("✘ softmax_ce_backward_by_hand: the first wrong gradient is ds:")


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("mean per example", "mean over the features instead of the batch", "layer normalisation"),
    ("mean keepdims", "mean kept as a row", "keepdims=True kept the summed axis"),
    ("unbiased variance", "variance with 1/(N-1)", "biased batch variance"),
    ("variance per example", "variance over the wrong axis", "over the batch"),
    ("eps outside", "eps outside the square root", "std = sqrt(var + eps)"),
    ("no eps", "eps left out", "std = sqrt(var + eps)"),
    ("no square root", "square root missing", "the square root is missing"),
    ("x_hat from X", "mean not subtracted in x_hat", "xmu = X - mean"),
    ("gamma beta swapped", "gamma and beta swapped", "gamma scales and beta shifts"),
])
def test_batchnorm_forward_mistakes_are_named(flaw, mistake, phrase):
    expect("batchnorm_forward_intermediates", flawed(bn_forward, flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("dbeta rows", "dbeta not summed over the batch", "a sum over axis=0"),
    ("dbeta mean", "dbeta averaged instead of summed", "it is a SUM"),
    ("dgamma rows", "dgamma not summed over the batch", "a sum over axis=0"),
    ("dgamma mean", "dgamma averaged instead of summed", "it is a SUM"),
    ("dx_hat without gamma", "gamma missing from dx_hat", "dx_hat = dout * gamma"),
    ("dinv_std rows", "broadcast not summed back", "adds up the rows"),
    ("dinv_std from x_hat", "dinv_std from x_hat instead of xmu", "is xmu"),
    ("dstd sign", "derivative of 1/std with the wrong sign", "-1/std**2"),
    ("dstd no square", "derivative of 1/std without the square", "with the square"),
    ("dvar no half", "square root's derivative without the 1/2", "1 / (2 sqrt(u))"),
    ("dvar no eps", "eps left out of the square root's derivative", "nearly constant"),
    ("dsq N-1", "variance's derivative with 1/(N-1)", "dvar[d] / N"),
    ("dsq no 1/N", "variance's 1/N forgotten", "N times too large"),
    ("dsq not broadcast", "mean's gradient not broadcast back", "broadcast it to (N, D)"),
    ("dxmu only through x_hat", "path through the variance missing", "reaches the loss twice"),
    ("dxmu no 2", "square's factor 2 missing", "2 xmu"),
    ("dxmu times N", "1/N of the mean forgotten", "N times too large"),
    ("dmean rows", "dmean not summed over the batch", "dmean = -dxmu.sum(axis=0)"),
    ("dmean zero", "term through the mean forgotten", "dX = dxmu + dmean / N"),
    ("dX without mean", "term through the mean forgotten", "ALSO through the mean itself"),
    ("dX mean not over N", "mean's gradient not divided by N", "each row gets dmean / N"),
    ("dX over N", "1/N applied twice", "N times too small"),
    ("dX sign", "sign lost", "wrong sign"),
])
def test_batchnorm_staged_mistakes_are_named(flaw, mistake, phrase):
    expect("batchnorm_backward_staged", flawed(bn_staged, flaw), mistake, phrase)


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("dbeta rows", "dbeta not summed over the batch", "a sum over axis=0"),
    ("dgamma rows", "dgamma not summed over the batch", "a sum over axis=0"),
    ("dbeta mean", "dbeta averaged instead of summed", "it is a SUM"),
    ("dgamma mean", "dgamma averaged instead of summed", "it is a SUM"),
    ("N-1", "variance's derivative with 1/(N-1)", "not N - 1"),
    ("no mean term", "term through the mean forgotten", "path through the batch mean"),
    ("no variance term", "term through the variance forgotten", "path through the batch variance"),
    ("no gamma", "gamma missing from dX", "dout * gamma"),
    ("whole-array sums", "sums over the whole array", "one per feature (axis=0)"),
    ("over N again", "1/N applied twice", "N times too small"),
    ("no 1/N", "1/N of the mean forgotten", "N times too large"),
    ("sign", "sign lost", "wrong sign"),
])
def test_batchnorm_simplified_mistakes_are_named(flaw, mistake, phrase):
    expect("batchnorm_backward_simplified", flawed(bn_simplified, flaw), mistake, phrase)


def test_an_unknown_mistake_names_the_first_wrong_intermediate_and_how_it_differs():
    def half_the_sum(scores, y, fwd):
        grads = sm_backward(scores, y, fwd)
        grads["de"] = grads["dp"] / fwd["s"] + 0.5 * grads["ds"]
        return grads
    result = verdict("softmax_ce_backward_by_hand", half_the_sum)
    assert result.status == "wrong" and result.mistake is None
    assert "the first wrong gradient is de: de differs from the expected values" in result.message


def test_a_wrong_shape_is_explained_by_its_axis():
    def ds_as_a_row(scores, y, fwd):
        grads = sm_backward(scores, y, fwd)
        grads["ds"] = grads["ds"].T
        return grads
    result = verdict("softmax_ce_backward_by_hand", ds_as_a_row)
    assert "ds has shape" in result.message and "reduced over the wrong axis" in result.message


def test_a_missing_intermediate_and_a_tuple_are_explained():
    def without_ds(scores, y, fwd):
        grads = sm_backward(scores, y, fwd)
        del grads["ds"]
        return grads
    result = verdict("softmax_ce_backward_by_hand", without_ds)
    assert "ds is missing from the returned dict" in result.message
    assert "missing" in result.message.splitlines()[5]
    tuple_result = verdict("batchnorm_backward_simplified",
                           lambda dout, gamma, fwd: tuple(bn_simplified(dout, gamma, fwd).values()))
    assert "should return a dict keyed by the intermediates' names" in tuple_result.message


def test_an_exactly_zero_dm_passes_with_a_note():
    def max_as_a_constant(scores, y, fwd):
        grads = sm_backward(scores, y, fwd)
        grads["dm"] = np.zeros_like(grads["dm"])
        grads["dscores"] = grads["dshifted"]
        return grads
    result = verdict("softmax_ce_backward_by_hand", max_as_a_constant)
    assert result.passed and "exactly 0 everywhere" in result.message


def test_an_error_on_every_case_is_reported_with_its_text():
    def crashes(scores, y, fwd):
        return {"dpicked": fwd["nothing"]}
    result = verdict("softmax_ce_backward_by_hand", crashes)
    assert result.status == "error" and "KeyError" in result.message


# =========================================================================== the course's own code

def uses_the_closed_form(scores, y, fwd):
    grads = sm_backward(scores, y, fwd)
    grads["dscores"] = losses.softmax_cross_entropy(scores, y)[1]
    return grads


def helper_with_the_answer(dout, gamma, fwd):
    return bh.reference.batchnorm_backward_simplified(dout, gamma, fwd)


@pytest.mark.parametrize("exercise, fn, used", [
    ("softmax_ce_backward_by_hand", uses_the_closed_form, "losses.softmax_cross_entropy"),
    ("batchnorm_backward_staged", lambda dout, gamma, fwd: helper_with_the_answer(dout, gamma, fwd),
     "batchnorm_backward_simplified"),
    ("softmax_ce_forward_intermediates",
     lambda scores, y: dict(softmax_ce_forward_intermediates(scores, y)), "softmax_ce_forward_intermediates"),
])
def test_calling_the_course_s_own_answer_is_refused(exercise, fn, used):
    result = verdict(exercise, fn)
    assert result.status == "not yours", result.message
    assert "write it yourself" in result.message and used in result.message


NO_BATCHNORM = pytest.mark.skipif(not hasattr(layers, "batchnorm_backward"),
                                  reason="this version of the package has no layers.batchnorm_backward")


@NO_BATCHNORM
def test_calling_the_package_s_batchnorm_backward_is_refused():
    def batchnorm_backward_simplified(dout, gamma, fwd):
        _, cache = layers.batchnorm_forward(fwd["xmu"], gamma, np.zeros_like(gamma))   # the same x_hat
        dX, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
        return {"dbeta": dbeta, "dgamma": dgamma, "dX": dX}
    result = verdict("batchnorm_backward_simplified", batchnorm_backward_simplified)
    assert result.status == "not yours" and "batchnorm_backward" in result.message


def test_the_reference_handed_back_is_not_passed_again(capsys):
    fn = check_softmax_ce_backward_by_hand(lambda *a: (_ for _ in ()).throw(NotImplementedError()))
    assert fn is softmax_ce_backward_by_hand
    assert "Carrying on with the reference" in capsys.readouterr().out
    assert check_softmax_ce_backward_by_hand(fn) is fn
    assert "still the reference implementation" in capsys.readouterr().out


def test_changing_the_forward_dict_in_place_is_named():
    def scribbles(dout, gamma, fwd):
        grads = bn_simplified(dout, gamma, fwd)
        fwd["x_hat"] *= 0
        return grads
    result = verdict("batchnorm_backward_simplified", scribbles)
    assert "changed fwd['x_hat'] in place" in result.message


def test_helpers_of_the_learner_s_own_pass():
    def my_sum(a):
        return np.sum(a, axis=0)

    def batchnorm_backward_simplified(dout, gamma, fwd):
        grads = bn_simplified(dout, gamma, fwd)
        grads["dbeta"] = my_sum(dout)
        return grads
    assert check_batchnorm_backward_simplified(batchnorm_backward_simplified) is batchnorm_backward_simplified


# =========================================================================== the grader's verdicts

@pytest.mark.parametrize("exercise, fn", [
    ("softmax_ce_backward_by_hand", flawed(sm_backward, "ds without keepdims")),
    ("batchnorm_backward_staged", flawed(bn_staged, "dsq N-1")),
    ("batchnorm_forward_intermediates", bn_forward),
    ("batchnorm_backward_simplified", flawed(bn_simplified, "no variance term")),
])
@pytest.mark.parametrize("seed", [None, 7])
def test_the_grader_gives_the_notebook_s_verdict(exercise, fn, seed):
    ex = EXERCISES[exercise]
    outputs = ex.results(fn, ex.case_list(seed))
    sent = [Raised.from_text(o.text) if isinstance(o, Raised) else plain(o) for o in outputs]
    here, graded = ex.run(fn, seed=seed), Judge(ex, seed).verdict(sent)
    assert (graded.status, graded.mistake, graded.message) == (here.status, here.mistake, here.message)


def test_a_hint_names_no_value_of_a_case():
    result = verdict("softmax_ce_backward_by_hand", flawed(sm_backward, "ds without keepdims"))
    assert result.mistake == "keepdims lost"
    assert "largest difference" in result.message and "largest difference" not in result.hint
    assert "operands could not be broadcast together with shapes (#,) (#,#)" in result.hint


def test_a_crash_further_down_still_names_the_first_wrong_intermediate():
    result = verdict("batchnorm_backward_staged", flawed(bn_staged, "dinv_std rows"))
    assert result.mistake == "broadcast not summed back", result.message
    assert "not reached" in result.message and "it raised ValueError" in result.message


# =========================================================================== the references, three ways

@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 6), C=st.integers(1, 5), seed=seeds, scale=st.sampled_from([0.5, 3.0]))
def test_every_softmax_intermediate_gradient_matches_central_differences(N, C, seed, scale):
    scores = normal(seed, (N, C), scale)
    y = np.random.default_rng(seed + 1).integers(0, C, N)
    fwd = softmax_ce_forward_intermediates(scores, y)
    grads = softmax_ce_backward_by_hand(scores, y, fwd)
    for node in SM_NODES + ("scores",):
        value = scores if node == "scores" else fwd[node]
        h = min(1e-5, 1e-3 * float(np.min(np.abs(value)))) if node in ("p", "e") else 1e-5  # stay > 0
        numeric = numerical_gradient(lambda v: softmax_ce_loss_from(node, v, scores, y), value.copy(), h=h)
        np.testing.assert_allclose(grads["d" + node], numeric, rtol=1e-5, atol=1e-8, err_msg=node)
    assert np.all(np.abs(grads["dm"]) < 1e-15)          # the shift's gradient cancels, up to rounding


@settings(max_examples=25, deadline=None)
@given(N=st.integers(2, 6), D=st.integers(1, 4), seed=seeds, eps=st.sampled_from([1e-5, 0.1]))
def test_every_batchnorm_intermediate_gradient_matches_central_differences(N, D, seed, eps):
    X, dout = normal(seed, (N, D), 2.0), normal(seed + 1, (N, D))
    gamma, beta = normal(seed + 2, D), normal(seed + 3, D)
    fwd = batchnorm_forward_intermediates(X, gamma, beta, eps)
    grads = batchnorm_backward_staged(dout, gamma, fwd)
    values = dict(fwd, X=X, gamma=gamma, beta=beta)
    for node in BN_NODES + ("X", "gamma", "beta"):
        numeric = numerical_gradient(lambda v: batchnorm_loss_from(node, v, X, gamma, beta, dout, eps),
                                     values[node].copy())
        np.testing.assert_allclose(grads["d" + node], numeric, rtol=1e-5, atol=1e-7, err_msg=node)
    simplified = batchnorm_backward_simplified(dout, gamma, fwd)
    for key in simplified:
        np.testing.assert_allclose(simplified[key], grads[key], rtol=1e-10, atol=1e-12)


def value_map(fn, a):
    """``fn`` applied to each Value of the object array ``a``: an object array of the same shape."""
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx])
    return out


@settings(max_examples=12, deadline=None)
@given(N=st.integers(1, 4), C=st.integers(1, 4), seed=seeds)
def test_softmax_intermediates_agree_with_the_value_engine(N, C, seed):
    scores = normal(seed, (N, C), 2.0)
    y = np.random.default_rng(seed + 1).integers(0, C, N)
    S = value_array(scores)
    m = np.array([[max(row, key=lambda v: v.data) + 0.0] for row in S], dtype=object)  # a node of its own
    shifted = S - m
    e = value_map(lambda v: v.exp(), shifted)
    s = np.array([[sum(row, Value(0.0))] for row in e], dtype=object)   # a node of its own, even for C = 1
    p = e / s
    logp = value_map(lambda v: v.log(), p)
    picked = logp[np.arange(N), y]
    loss = -picked.sum() / N
    loss.backward()
    grads = softmax_ce_backward_by_hand(scores, y, softmax_ce_forward_intermediates(scores, y))
    for node, values in [("picked", picked), ("logp", logp), ("p", p), ("s", s), ("e", e),
                         ("shifted", shifted), ("m", m), ("scores", S)]:
        np.testing.assert_allclose(grads["d" + node], grad_array(values), rtol=1e-9, atol=1e-12,
                                   err_msg=node)


@settings(max_examples=12, deadline=None)
@given(N=st.integers(2, 4), D=st.integers(1, 3), seed=seeds)
def test_batchnorm_intermediates_agree_with_the_value_engine(N, D, seed):
    X, dout = normal(seed, (N, D)), normal(seed + 1, (N, D))
    gamma, beta = normal(seed + 2, D), normal(seed + 3, D)
    eps = 1e-5
    Xv, gv, bv = value_array(X), value_array(gamma), value_array(beta)
    mean = Xv.sum(axis=0) / N
    xmu = Xv - mean
    sq = value_map(lambda v: v ** 2, xmu)
    var = sq.sum(axis=0) / N
    std = value_map(lambda v: (v + eps) ** 0.5, var)
    inv_std = value_map(lambda v: v ** -1, std)
    x_hat = xmu * inv_std
    out = gv * x_hat + bv
    total = (out * dout).sum()
    total.backward()
    grads = batchnorm_backward_staged(dout, gamma, batchnorm_forward_intermediates(X, gamma, beta, eps))
    for node, values in [("x_hat", x_hat), ("inv_std", inv_std), ("std", std), ("var", var), ("sq", sq),
                         ("xmu", xmu), ("mean", mean), ("X", Xv), ("gamma", gv), ("beta", bv)]:
        np.testing.assert_allclose(grads["d" + node], grad_array(values), rtol=1e-8, atol=1e-10,
                                   err_msg=node)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(1, 7), C=st.integers(1, 6), seed=seeds, scale=st.sampled_from([1.0, 10.0]))
def test_softmax_by_hand_equals_the_package_s_loss_and_closed_form(N, C, seed, scale):
    scores = normal(seed, (N, C), scale)
    y = np.random.default_rng(seed + 1).integers(0, C, N)
    fwd = softmax_ce_forward_intermediates(scores, y)
    loss, dscores = losses.softmax_cross_entropy(scores, y)
    assert fwd["loss"] == pytest.approx(loss, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(softmax_ce_backward_by_hand(scores, y, fwd)["dscores"], dscores,
                               rtol=1e-9, atol=1e-15)


@NO_BATCHNORM
@settings(max_examples=30, deadline=None)
@given(N=st.integers(2, 7), D=st.integers(1, 5), seed=seeds, eps=st.sampled_from([1e-5, 0.1]))
def test_batchnorm_staged_and_simplified_equal_the_package_s_layer(N, D, seed, eps):
    X, dout = normal(seed, (N, D), 3.0), normal(seed + 1, (N, D))
    gamma, beta = normal(seed + 2, D), normal(seed + 3, D)
    out, cache = layers.batchnorm_forward(X, gamma, beta, eps=eps)
    dX, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    fwd = batchnorm_forward_intermediates(X, gamma, beta, eps)
    np.testing.assert_allclose(fwd["out"], out, rtol=1e-10, atol=1e-12)
    for grads in (batchnorm_backward_staged(dout, gamma, fwd),
                  batchnorm_backward_simplified(dout, gamma, fwd)):
        np.testing.assert_allclose(grads["dX"], dX, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(grads["dgamma"], dgamma, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads["dbeta"], dbeta, rtol=1e-10, atol=1e-12)


def test_loss_from_refuses_an_unknown_node_by_name():
    with pytest.raises(ValueError, match="softmax_ce_loss_from: node must be one of .* got 'q'"):
        softmax_ce_loss_from("q", np.zeros(1), np.zeros((1, 2)), np.array([0]))
    with pytest.raises(ValueError, match="batchnorm_loss_from: node must be one of"):
        batchnorm_loss_from("dX", np.zeros(1), np.zeros((2, 1)), np.ones(1), np.zeros(1), np.ones((2, 1)))


# =========================================================================== more slips, named by their effect

def sm_forward_by(slip):
    """softmax_ce_forward_intermediates written out by a learner, with one ``slip``."""
    def softmax_ce_forward_intermediates(scores, y):
        N = scores.shape[0]
        m = np.max(scores, axis=1, keepdims=True)
        shifted = scores - m
        if slip == "in place":
            shifted = scores
            shifted -= m
        e = np.exp(scores) if slip == "exp of scores" else np.exp(shifted)
        s = np.sum(e, axis=1, keepdims=True)
        p = e / s
        logp = np.log(p)
        picked = logp[y] if slip == "rows by y" else logp[range(N), y]
        loss = -np.mean(logp) if slip == "every class" else -np.sum(picked) / N
        return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
                "loss": loss}
    return softmax_ce_forward_intermediates


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("exp of scores", "exp of the scores instead of shifted", "the shift is missing"),
    ("rows by y", "picked with logp[y]", "logp[np.arange(N), y]"),
    ("every class", "loss averaged over every class", "correct class's log-probability"),
    ("in place", "input changed in place", "does not copy"),
])
def test_more_softmax_forward_slips_are_named(slip, mistake, phrase):
    expect("softmax_ce_forward_intermediates", sm_forward_by(slip), mistake, phrase)


def sm_backward_by(slip):
    """softmax_ce_backward_by_hand with loops over the rows and one ``slip``."""
    def softmax_ce_backward_by_hand(scores, y, fwd):
        N, C = scores.shape
        e, s, p, logp = fwd["e"], fwd["s"], fwd["p"], fwd["logp"]
        dpicked = -1.0 / N if slip == "one number" else -np.ones(N) / N
        dlogp = np.zeros((N, C))
        for n in range(N):
            dlogp[n, y[n]] = dpicked if slip == "one number" else dpicked[n]
        dp = dlogp / logp if slip == "over logp" else dlogp * p ** -1
        if slip == "no square":
            ds = -np.sum(dp * e / s, axis=1, keepdims=True)
        else:
            ds = -np.sum(dp * e * s ** -2, axis=1, keepdims=True)
        de = dp / s + ds
        dshifted = e * de
        dm = -np.sum(dshifted, axis=1, keepdims=True)
        dscores = dshifted + dm * (scores == scores.max(axis=1, keepdims=True))
        return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
                "dm": dm, "dscores": dscores}
    return softmax_ce_backward_by_hand


def test_the_softmax_backward_with_loops_and_ties_routed_to_the_max_passes():
    assert verdict("softmax_ce_backward_by_hand", sm_backward_by(None)).passed


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("one number", "dpicked a single number", "shape (N,)"),
    ("over logp", "log's derivative divided by logp", "over p itself"),
    ("no square", "quotient rule without the square", "-1/s**2"),
])
def test_more_softmax_backward_slips_are_named(slip, mistake, phrase):
    expect("softmax_ce_backward_by_hand", sm_backward_by(slip), mistake, phrase)


def bn_forward_by(slip):
    def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
        mean = np.mean(X) if slip == "whole mean" else np.mean(X, axis=0)
        if slip == "in place":
            xmu = X
            xmu -= mean
        else:
            xmu = X - mean
        sq = xmu * xmu
        var = np.mean(sq) if slip == "whole var" else np.mean(sq, axis=0)
        std = (var + eps) ** 0.5
        inv_std = std ** -1
        x_hat = xmu / (var + eps) if slip == "over var" else xmu * inv_std
        out = x_hat * gamma + beta
        return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
                "x_hat": x_hat, "out": out}
    return batchnorm_forward_intermediates


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("whole mean", "mean of the whole batch", "X.mean(axis=0)"),
    ("whole var", "variance of the whole array", "sq.mean(axis=0)"),
    ("over var", "divided by the variance", "instead of the standard deviation"),
    ("in place", "input changed in place", "X.copy()"),
])
def test_more_batchnorm_forward_slips_are_named(slip, mistake, phrase):
    expect("batchnorm_forward_intermediates", bn_forward_by(slip), mistake, phrase)


def bn_staged_by(slip):
    def batchnorm_backward_staged(dout, gamma, fwd):
        N = len(dout)
        xmu, var, std, inv_std, x_hat = fwd["xmu"], fwd["var"], fwd["std"], fwd["inv_std"], fwd["x_hat"]
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * (xmu if slip == "dgamma xmu" else x_hat), axis=0)
        if slip == "in place":
            dx_hat = dout
            dx_hat *= gamma
        else:
            dx_hat = gamma * dout
        dinv_std = np.sum(dx_hat * xmu, axis=0)
        if slip == "dstd over var":
            dstd = -dinv_std / var
        elif slip == "own eps":
            dstd = -dinv_std / (var + 1e-5)
        else:
            dstd = -dinv_std * inv_std ** 2
        dvar = dstd / (2 * std)
        dsq = np.tile(dvar / N, (N, 1))
        if slip == "minus variance path":
            dxmu = dx_hat * inv_std - 2 * xmu * dsq
        else:
            dxmu = dx_hat * inv_std + 2 * xmu * dsq
        dmean = -np.mean(dxmu, axis=0) if slip == "dmean mean" else -np.sum(dxmu, axis=0)
        dX = dxmu - dmean / N if slip == "minus mean share" else dxmu + dmean / N
        return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
                "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dX}
    return batchnorm_backward_staged


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("dgamma xmu", "dgamma from xmu instead of x_hat", "local gradient is x_hat"),
    ("dstd over var", "eps left out of dstd", "std**2 = var + eps"),
    ("own eps", "eps of your own", "fwd['std']"),
    ("minus variance path", "path through the variance subtracted", "both paths ADD"),
    ("dmean mean", "dmean averaged instead of summed", "SUM of dxmu"),
    ("minus mean share", "mean's share subtracted", "the two paths ADD"),
    ("in place", "input changed in place", "changed its input dout in place"),
])
def test_more_batchnorm_staged_slips_are_named(slip, mistake, phrase):
    expect("batchnorm_backward_staged", bn_staged_by(slip), mistake, phrase)


def test_the_staged_backward_written_with_tile_and_powers_passes():
    assert verdict("batchnorm_backward_staged", bn_staged_by(None)).passed


def bn_simplified_by(slip):
    def batchnorm_backward_simplified(dout, gamma, fwd):
        N = dout.shape[0]
        x_hat, inv_std = fwd["x_hat"], fwd["inv_std"]
        dbeta = dout.sum(0)
        dgamma = np.einsum("nd,nd->d", dout, x_hat)
        front = {"no inv_std": gamma / N, "std": gamma * np.sqrt(fwd["var"] + 1e-5) / N}.get(slip, gamma * inv_std / N)
        first = dout if slip == "no N" else N * dout
        second = dbeta if slip == "plus dbeta" else -dbeta
        third = x_hat * dgamma if slip == "plus x_hat" else -(x_hat * dgamma)
        return {"dbeta": dbeta, "dgamma": dgamma, "dX": front * (first + second + third)}
    return batchnorm_backward_simplified


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("plus x_hat", "x_hat term with the wrong sign", "subtracted, like the dbeta term"),
    ("plus dbeta", "dbeta term with the wrong sign", "sum to 0 over the batch"),
    ("no inv_std", "inv_std missing from dX", "scaled by it"),
    ("no N", "N missing before dout", "N * dout"),
])
def test_more_batchnorm_simplified_slips_are_named(slip, mistake, phrase):
    expect("batchnorm_backward_simplified", bn_simplified_by(slip), mistake, phrase)


def test_the_closed_form_with_einsum_passes():
    assert verdict("batchnorm_backward_simplified", bn_simplified_by(None)).passed


def test_a_slip_is_named_on_hidden_cases_too():
    exercise = EXERCISES["batchnorm_backward_staged"]
    result = exercise.run(bn_staged_by("minus variance path"), seed=4)
    assert result.mistake == "path through the variance subtracted", result.message


def test_log_of_e_is_named():
    def softmax_ce_forward_intermediates(scores, y):
        N = len(y)
        m = scores.max(1, keepdims=True)
        shifted = scores - m
        e = np.exp(shifted)
        s = e.sum(1, keepdims=True)
        p = e / s
        logp = np.log(e)
        picked = logp[np.arange(N), y]
        return {"m": m, "shifted": shifted, "e": e, "s": s, "p": p, "logp": logp, "picked": picked,
                "loss": -picked.mean()}
    expect("softmax_ce_forward_intermediates", softmax_ce_forward_intermediates, "log of e instead of p",
           "division by s is missing")


def sm_backward_second_look(slip):
    def softmax_ce_backward_by_hand(scores, y, fwd):
        N, C = scores.shape
        e, s, p = fwd["e"], fwd["s"], fwd["p"]
        onehot = np.eye(C)[y]
        dpicked = -np.ones(N) / N
        dlogp = onehot * dpicked[:, None]
        dp = dlogp / p
        ds = -(dp * e).sum(axis=1, keepdims=True) / s ** 2
        de = dp / s - ds if slip == "minus ds" else dp / s + ds
        dshifted = de * p if slip == "times p" else de * e
        dm = -dshifted.sum(axis=1, keepdims=True)
        return {"dpicked": dpicked, "dlogp": dlogp, "dp": dp, "ds": ds, "de": de, "dshifted": dshifted,
                "dm": dm, "dscores": dshifted + 0 * dm}
    return softmax_ce_backward_by_hand


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("minus ds", "denominator's path subtracted", "two paths of e ADD"),
    ("times p", "exp's local gradient taken as p", "kept as e"),
])
def test_more_softmax_backward_slips_of_a_second_look_are_named(slip, mistake, phrase):
    expect("softmax_ce_backward_by_hand", sm_backward_second_look(slip), mistake, phrase)


def test_a_softmax_backward_with_a_onehot_matrix_passes():
    assert verdict("softmax_ce_backward_by_hand", sm_backward_second_look(None)).passed


def bn_staged_second_look(slip):
    def batchnorm_backward_staged(dout, gamma, fwd):
        N = dout.shape[0]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * fwd["x_hat"]).sum(axis=0)
        dx_hat = dout * gamma
        dinv_std = (dx_hat * fwd["xmu"]).sum(axis=0)
        dstd = -dinv_std / fwd["std"] ** 2
        dvar = dstd * fwd["std"] / 2 if slip == "times std" else dstd / fwd["std"] / 2
        dsq = np.broadcast_to(dvar / N, fwd["xmu"].shape)
        second = 2 * dsq if slip == "no xmu" else 2 * fwd["xmu"] * dsq
        dxmu = dx_hat * fwd["inv_std"] + second
        dmean = -dxmu.sum(axis=0)
        return {"dbeta": dbeta, "dgamma": dgamma, "dx_hat": dx_hat, "dinv_std": dinv_std, "dstd": dstd,
                "dvar": dvar, "dsq": dsq, "dxmu": dxmu, "dmean": dmean, "dX": dxmu + dmean / N}
    return batchnorm_backward_staged


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("times std", "square root's derivative multiplied by std", "a division"),
    ("no xmu", "square's local gradient without xmu", "d(xmu**2)/dxmu = 2 xmu"),
])
def test_more_staged_slips_of_a_second_look_are_named(slip, mistake, phrase):
    expect("batchnorm_backward_staged", bn_staged_second_look(slip), mistake, phrase)


def bn_forward_second_look(slip):
    def batchnorm_forward_intermediates(X, gamma, beta, eps=1e-5):
        mean = X.sum(axis=0) / len(X)
        xmu = X - mean
        sq = xmu ** 2
        var = sq.sum(axis=0) / len(X)
        std = np.sqrt(var + (1e-5 if slip == "own eps" else eps))
        inv_std = 1 / std
        x_hat = xmu * inv_std
        out = {"no beta": gamma * x_hat, "no gamma": x_hat + beta}.get(slip, gamma * x_hat + beta)
        return {"mean": mean, "xmu": xmu, "sq": sq, "var": var, "std": std, "inv_std": inv_std,
                "x_hat": x_hat, "out": out}
    return batchnorm_forward_intermediates


@pytest.mark.parametrize("slip, mistake, phrase", [
    ("own eps", "eps of your own", "the eps the function was given"),
    ("no beta", "beta left out", "offset beta is missing"),
    ("no gamma", "gamma left out", "scale gamma is missing"),
])
def test_more_batchnorm_forward_slips_of_a_second_look_are_named(slip, mistake, phrase):
    expect("batchnorm_forward_intermediates", bn_forward_second_look(slip), mistake, phrase)
