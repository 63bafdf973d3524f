"""Tests of backprop_helpers.optim: each gradient descent rule against the lesson's equation computed by
hand, state kept per parameter, and the base class a new rule builds on."""
from __future__ import annotations

import numpy as np
import pytest

import backprop_helpers as bh
from backprop_helpers.optim import ARRAY_KEY, Optimizer


def quadratic_grad(theta):
    """Gradient of f(theta) = 0.5 * sum(a * theta**2) with a = [1, 10]: a long ravine."""
    return np.array([1.0, 10.0]) * theta


def test_sgd_is_theta_minus_lr_times_grad():
    theta = np.array([1.0, -2.0])
    g = np.array([0.5, 4.0])
    bh.SGD(0.1).step({"t": theta}, {"t": g})
    np.testing.assert_array_equal(theta, [1.0 - 0.05, -2.0 - 0.4])


def test_momentum_matches_hand_iteration_and_keeps_velocity():
    theta, v = np.array([1.0, 1.0]), np.zeros(2)
    expected = theta.copy()
    opt = bh.Momentum(0.05, mu=0.9)
    for _ in range(5):
        g = quadratic_grad(expected)
        v = 0.9 * v - 0.05 * g
        expected = expected + v
        opt.step(theta, quadratic_grad(theta))
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    # without the kept velocity (mu = 0) it is plain SGD, a different path
    plain = np.array([1.0, 1.0])
    sgd = bh.Momentum(0.05, mu=0.0)
    for _ in range(5):
        sgd.step(plain, quadratic_grad(plain))
    assert not np.allclose(plain, theta)


def test_adam_matches_hand_iteration_with_bias_correction():
    theta = np.array([1.0, 1.0])
    expected = theta.copy()
    m = s = np.zeros(2)
    opt = bh.Adam(0.1)
    for t in range(1, 6):
        g = quadratic_grad(expected)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        m_hat, s_hat = m / (1 - 0.9 ** t), s / (1 - 0.999 ** t)
        expected = expected - 0.1 * m_hat / (np.sqrt(s_hat) + 1e-8)
        opt.step(theta, quadratic_grad(theta))
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    # the first Adam step moves every coordinate by about lr, whatever the gradient's scale
    first = np.array([1.0, 1.0])
    bh.Adam(0.1).step(first, quadratic_grad(first))
    np.testing.assert_allclose(first, [0.9, 0.9], rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: bh.SGD(0.15), lambda: bh.Momentum(0.05, 0.8),
                                  lambda: bh.Adam(0.1)], ids=["sgd", "momentum", "adam"])
def test_each_optimizer_reaches_the_minimum_of_a_ravine(make):
    theta = np.array([3.0, -2.0])
    opt = make()
    for _ in range(300):
        opt.step(theta, quadratic_grad(theta))
    assert np.linalg.norm(theta) < 1e-2


def test_sgd_beyond_the_curvature_bound_diverges():
    """On f = a theta^2 / 2, SGD converges iff lr < 2 / a: the bound the lesson derives."""
    for lr, converges in [(0.19, True), (0.21, False)]:
        theta = np.array([0.0, 1.0])
        opt = bh.SGD(lr)
        for _ in range(200):
            opt.step(theta, quadratic_grad(theta))
        assert (abs(theta[1]) < 1e-3) == converges


def test_state_is_per_parameter_and_reset_forgets_it():
    opt = bh.Momentum(0.1)
    p = {"a": np.ones(2), "b": np.ones(3)}
    g = {"a": np.ones(2), "b": 2 * np.ones(3)}
    opt.step(p, g)
    assert set(opt.state) == {"a", "b"} and opt.t == 1
    np.testing.assert_allclose(opt.state["b"], -0.2)
    opt.reset()
    assert opt.state == {} and opt.t == 0


def test_make_optimizer_and_repr():
    assert isinstance(bh.make_optimizer("Adam", 0.01), bh.Adam)
    assert repr(bh.make_optimizer("momentum", 0.1, mu=0.5)) == "Momentum(lr=0.1, mu=0.5)"
    with pytest.raises(ValueError, match="make_optimizer: name must be one of"):
        bh.make_optimizer("adagrad", 0.1)


def test_a_single_array_keeps_its_state_under_ARRAY_KEY():
    opt = bh.Adam(0.1)
    theta = np.array([1.0, -1.0])
    opt.step(theta, np.array([0.5, 0.5]))
    assert list(opt.state) == [ARRAY_KEY] and opt.t == 1
    with pytest.raises(TypeError, match="Adam.step: params and grads must both be dicts of arrays"):
        opt.step({"W": theta}, np.ones(2))
    with pytest.raises(KeyError, match="SGD.step: grads has no entry 'b'"):
        bh.SGD(0.1).step({"W": np.ones(2), "b": np.ones(1)}, {"W": np.ones(2)})


def test_a_new_rule_needs_only_update():
    class SignDescent(Optimizer):
        def update(self, key, theta, g):
            theta -= self.lr * np.sign(g)
    p = {"W": np.array([1.0, 1.0, 1.0])}
    SignDescent(0.25).step(p, {"W": np.array([-3.0, 0.0, 2.0])})
    np.testing.assert_array_equal(p["W"], [1.25, 1.0, 0.75])


# --------------------------------------------------------------------------- RMSProp

def test_rmsprop_matches_its_equation_by_hand():
    theta = np.array([1.0, 1.0])
    expected, cache = theta.copy(), np.zeros(2)
    opt = bh.RMSProp(0.01, decay=0.9, eps=1e-6)
    for _ in range(6):
        g = quadratic_grad(expected)
        cache = 0.9 * cache + 0.1 * g ** 2
        expected = expected - 0.01 * g / (np.sqrt(cache) + 1e-6)
        opt.step(theta, quadratic_grad(theta))
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    np.testing.assert_allclose(opt.state[ARRAY_KEY], cache, rtol=1e-14)
    assert opt.t == 6


def test_rmsprop_defaults_and_its_first_step():
    opt = bh.RMSProp(0.001)
    assert (opt.lr, opt.decay, opt.eps) == (0.001, 0.99, 1e-8)
    assert repr(opt) == "RMSProp(lr=0.001, decay=0.99)"
    # the first step divides g by sqrt(0.01 g**2) = 0.1 |g|: every coordinate moves by about 10 lr,
    # whatever the scale of its gradient
    theta = np.array([1.0, 1.0, 1.0])
    opt.step(theta, np.array([1e-3, 1.0, -1e3]))
    np.testing.assert_allclose(theta, [1 - 0.01, 1 - 0.01, 1 + 0.01], rtol=2e-4)    # eps: 1e-4 of it
    # where the gradient has always been 0, eps keeps the step finite (and 0)
    still = np.array([2.0])
    bh.RMSProp(0.1).step(still, np.array([0.0]))
    assert still[0] == 2.0


def test_rmsprop_keeps_an_average_per_parameter():
    opt = bh.RMSProp(0.1, decay=0.5)
    p = {"W": np.ones(2), "b": np.ones(1)}
    opt.step(p, {"W": np.array([2.0, 0.0]), "b": np.array([4.0])})
    np.testing.assert_allclose(opt.state["W"], [2.0, 0.0])        # (1 - 0.5) * g**2
    np.testing.assert_allclose(opt.state["b"], [8.0])
    opt.reset()
    assert opt.state == {} and opt.t == 0


def test_rmsprop_descends_the_ravine():
    theta = np.array([3.0, -2.0])
    opt = bh.RMSProp(0.01)
    for _ in range(1000):
        opt.step(theta, quadratic_grad(theta))
    assert np.linalg.norm(theta) < 0.05


def test_rmsprop_by_name():
    opt = bh.make_optimizer("RMSProp", 0.01, decay=0.9)
    assert isinstance(opt, bh.RMSProp) and opt.decay == 0.9
    from backprop_helpers.optim import OPTIMIZERS
    assert OPTIMIZERS["rmsprop"] is bh.RMSProp
    assert "RMSProp" in bh.__all__


@pytest.mark.parametrize("kwargs, error, message", [
    ({"lr": 0}, ValueError, r"RMSProp: lr must be a finite number > 0, got 0"),
    ({"lr": 0.1, "decay": 1.0}, ValueError, r"RMSProp: decay must be in \[0, 1\), got 1.0"),
    ({"lr": 0.1, "eps": 0}, ValueError, r"RMSProp: eps must be a finite number > 0, got 0"),
])
def test_rmsprop_bad_settings_are_explained(kwargs, error, message):
    with pytest.raises(error, match=message):
        bh.RMSProp(**kwargs)
