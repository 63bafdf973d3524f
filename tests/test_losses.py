"""Tests of backprop_helpers.losses: each loss's value and gradient against its formula, the mean over
the batch, numerical stability at extreme scores and probabilities, the registry the network reads."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_helpers import losses
from backprop_helpers.gradcheck import check_gradient

from strategies import LOSS_NAMES, seeds


def loss_case(name, seed, n, c):
    """(loss function, its input, targets) for a batch of n examples and c outputs."""
    rng = np.random.default_rng(seed)
    return {
        "mse_loss": (losses.mse_loss, rng.standard_normal((n, c)), rng.standard_normal((n, c))),
        "softmax_cross_entropy": (losses.softmax_cross_entropy, rng.standard_normal((n, c)) * 3,
                                  rng.integers(0, c, n)),
        "binary_cross_entropy": (losses.binary_cross_entropy, rng.uniform(0.05, 0.95, (n, 1)),
                                 rng.integers(0, 2, (n, 1)) * 1.0),
        "sigmoid_binary_cross_entropy": (losses.sigmoid_binary_cross_entropy,
                                         rng.standard_normal((n, 1)) * 3, rng.integers(0, 2, (n, 1)) * 1.0),
    }[name]


PUBLIC = ["mse_loss", "softmax_cross_entropy", "binary_cross_entropy", "sigmoid_binary_cross_entropy"]


# --------------------------------------------------------------------------- values and gradients

@given(seed=seeds, n=st.integers(1, 6), c=st.integers(1, 4))
def test_mse_value_and_gradient(seed, n, c):
    _, y_hat, y = loss_case("mse_loss", seed, n, c)
    loss, dy_hat = losses.mse_loss(y_hat, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(np.sum((y_hat - y) ** 2) / n, rel=1e-12)
    np.testing.assert_allclose(dy_hat, 2 * (y_hat - y) / n, rtol=1e-12)


def test_mse_of_one_dimensional_predictions():
    loss, grad = losses.mse_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    assert loss == 5.0 and grad.shape == (2,)
    np.testing.assert_allclose(grad, [1.0, 3.0])


@given(seed=seeds, n=st.integers(1, 6), c=st.integers(1, 5))
def test_softmax_is_a_probability_per_row(seed, n, c):
    scores = np.random.default_rng(seed).standard_normal((n, c)) * 5
    p = losses.softmax(scores)
    assert p.shape == (n, c) and np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(p, np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True), rtol=1e-12)


@given(seed=seeds, n=st.integers(1, 6), c=st.integers(1, 5))
def test_softmax_cross_entropy_value_and_gradient(seed, n, c):
    _, scores, y = loss_case("softmax_cross_entropy", seed, n, c)
    loss, dscores = losses.softmax_cross_entropy(scores, y)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(n), y])), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(dscores, (p - np.eye(c)[y]) / n, rtol=1e-10, atol=1e-15)


@given(seed=seeds, n=st.integers(1, 6))
def test_binary_cross_entropy_value_and_gradient(seed, n):
    _, p, y = loss_case("binary_cross_entropy", seed, n, 1)
    loss, dp = losses.binary_cross_entropy(p, y)
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    np.testing.assert_allclose(dp, (p - y) / (p * (1 - p) * n), rtol=1e-12)


@given(seed=seeds, n=st.integers(1, 6))
def test_sigmoid_binary_cross_entropy_is_bce_of_the_sigmoid(seed, n):
    _, scores, y = loss_case("sigmoid_binary_cross_entropy", seed, n, 1)
    loss, dscores = losses.sigmoid_binary_cross_entropy(scores, y)
    p = 1 / (1 + np.exp(-scores))
    assert loss == pytest.approx(losses.binary_cross_entropy(p, y)[0], rel=1e-12)
    np.testing.assert_allclose(dscores, (p - y) / n, rtol=1e-12, atol=1e-16)


@given(seed=seeds, n=st.integers(1, 6), c=st.integers(1, 5))
def test_losses_pass(seed, n, c):
    for name in PUBLIC:
        loss_fn, inp, y = loss_case(name, seed, n, c)
        report = check_gradient(lambda _: loss_fn(inp, y)[0], inp, loss_fn(inp, y)[1])
        assert report.passed, f"{loss_fn.__name__}: {report}"


@pytest.mark.parametrize("name", PUBLIC)
@given(seed=seeds, n=st.integers(1, 5))
def test_a_loss_is_the_mean_over_the_batch(name, seed, n):
    """The same batch twice: the same loss, and each example's gradient halves (the 1/N of a mean)."""
    loss_fn, inp, y = loss_case(name, seed, n, 3)
    loss, grad = loss_fn(inp, y)
    loss2, grad2 = loss_fn(np.concatenate([inp, inp]), np.concatenate([y, y]))
    assert loss2 == pytest.approx(loss, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(grad2[:n], grad / 2, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(grad2[n:], grad / 2, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("name", PUBLIC)
def test_losses_leave_their_inputs_alone(name):
    loss_fn, inp, y = loss_case(name, 0, 4, 3)
    inp0, y0 = inp.copy(), y.copy()
    _, grad = loss_fn(inp, y)
    assert grad.shape == inp.shape
    np.testing.assert_array_equal(inp, inp0)
    np.testing.assert_array_equal(y, y0)


# --------------------------------------------------------------------------- numerical stability

def test_softmax_cross_entropy_with_huge_logits_is_finite_and_right():
    scores = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    y = np.array([1, 2])
    loss, ds = losses.softmax_cross_entropy(scores, y)
    assert np.isfinite(loss) and np.all(np.isfinite(ds))
    # example 0: -log p[1] = 2000; example 1: -log p[2] = log(1 + e) ~ 1.3133
    assert loss == pytest.approx((2000.0 + np.log1p(np.e)) / 2, rel=1e-12)
    np.testing.assert_allclose(ds.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_is_shift_invariant_and_stable():
    s = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(losses.softmax(s), losses.softmax(s + 1e4), rtol=1e-12)
    assert np.all(np.isfinite(losses.softmax(np.array([[1e300, -1e300]]))))


def test_single_class_cross_entropy_is_zero():
    loss, ds = losses.softmax_cross_entropy(np.array([[3.0], [-2.0]]), np.array([0, 0]))
    assert loss == 0.0 and np.all(ds == 0.0)


def test_binary_cross_entropy_at_probabilities_zero_and_one():
    p = np.array([[0.0], [1.0], [0.0], [1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss, dp = losses.binary_cross_entropy(p, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dp))
    # the two confident right answers cost ~0, the two confident wrong ones -log(1e-12) each
    assert loss == pytest.approx(2 * -np.log(1e-12) / 4, rel=1e-6)
    assert dp[2, 0] < 0 < dp[3, 0]          # pushes the wrong ones the right way


def test_sigmoid_binary_cross_entropy_large_scores():
    s = np.array([[800.0], [-800.0]])
    loss, ds = losses.sigmoid_binary_cross_entropy(s, np.array([[0.0], [0.0]]))
    assert loss == pytest.approx(400.0) and np.all(np.isfinite(ds))
    np.testing.assert_allclose(ds, [[0.5], [0.0]])


# --------------------------------------------------------------------------- the registry

def test_registry_maps_each_network_loss_to_its_function():
    """LOSSES[name](network output, targets) gives what the public function gives; the network's
    binary cross-entropy starts from raw scores (the sigmoid is part of the loss)."""
    assert sorted(losses.LOSSES) == sorted(LOSS_NAMES)
    public = {"mse": "mse_loss", "softmax_cross_entropy": "softmax_cross_entropy",
              "binary_cross_entropy": "sigmoid_binary_cross_entropy"}
    for name, fn_name in public.items():
        _, inp, y = loss_case(fn_name, 1, 5, 3)
        loss, grad = losses.LOSSES[name](inp.copy(), y.copy())
        want_loss, want_grad = getattr(losses, fn_name)(inp, y)
        assert loss == pytest.approx(want_loss, rel=1e-12), name
        np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-16)
