"""The fast path (backprop_helpers.fast) computes what the textbook path computes.

Over random networks (depth, widths, every activation of ``layers.ACTIVATIONS``, every loss of
``losses.LOSSES``, float32 and float64, with and without L1/L2 regularization): one fused pass gives the
loss and gradients of ``model.loss`` then ``model.backward``; the loss and predictions with the current
parameters are those of the model; and training with SGD, Momentum, RMSProp or Adam along either of
Trainer's paths gives the same losses and the same parameters, step after step.

The same holds for the networks of lesson 11, with batch normalisation and dropout (p in {0, 0.3}):
the same dropout masks (drawn in the same order from the same generator), the same running
statistics, the same parameters, in training and in evaluation mode.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_helpers as bh
from backprop_helpers import fast
from backprop_helpers.layers import ACTIVATIONS
from backprop_helpers.learner_model import FunctionMLP
from backprop_helpers.losses import LOSSES
from backprop_helpers.network import MLP
from backprop_helpers.training import TextbookPath, Trainer

from strategies import (TIGHT_RTOL, build_mlp, deep_net_cases, float_dtypes, many_class_net_cases,
                        running_of, seeds)

networks = many_class_net_cases(max_depth=4, max_width=8, activations=tuple(ACTIVATIONS),
                                losses=tuple(LOSSES))

OPTIMIZERS = {
    "sgd": lambda: bh.SGD(0.1),
    "momentum": lambda: bh.Momentum(0.05, mu=0.9),
    "rmsprop": lambda: bh.RMSProp(0.01),
    "adam": lambda: bh.Adam(0.01),
}


def assert_same(a, b, dtype, err_msg=""):
    """Equal up to the rounding of ``dtype``, elementwise (absolute near 0, relative elsewhere)."""
    tol = TIGHT_RTOL[np.dtype(dtype)]
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=err_msg)


def checked(model, X, y):
    """The batch as Trainer hands it to a path: checked once, in the model's dtype."""
    X = model.check_inputs("fit", X)
    return X, model.check_targets("fit", y, X.shape[0])


# --------------------------------------------------------------------------- one pass

@settings(deadline=None, max_examples=100)
@given(case=networks, dtype=float_dtypes)
def test_one_fused_pass_gives_the_loss_and_gradients_of_loss_then_backward(case, dtype):
    textbook = build_mlp(case, dtype)
    model = textbook.copy()
    X, y = case.data()
    loss = textbook.loss(X, y)
    grads = {k: g.copy() for k, g in textbook.backward().items()}

    before = model.flat_params.copy()
    fast_loss = fast.FastPath(model).start_step(*checked(model, X, y))
    assert_same(fast_loss, loss, dtype)
    assert list(model.grads) == list(grads)
    for k in grads:
        assert model.grads[k].dtype == np.dtype(dtype)
        assert_same(model.grads[k], grads[k], dtype, err_msg=k)
    np.testing.assert_array_equal(model.flat_params, before)        # a pass updates nothing


@settings(deadline=None, max_examples=40)
@given(case=networks, dtype=float_dtypes)
def test_loss_and_predictions_with_the_current_parameters_are_the_models(case, dtype):
    model = build_mlp(case, dtype)
    X, y = case.data()
    path = fast.FastPath(model)
    Xc, yc = checked(model, X, y)
    assert_same(path.evaluate_loss(Xc, yc), model.loss(X, y), dtype)
    np.testing.assert_array_equal(path.predict(Xc), model.predict(X))
    assert_same(path.scores(Xc), model.forward(X), dtype)
    np.testing.assert_array_equal(Xc, checked(model, X, y)[0])      # the input is left as it was


# --------------------------------------------------------------------------- training

@settings(deadline=None, max_examples=100)
@given(case=networks, dtype=float_dtypes, optimizer=st.sampled_from(sorted(OPTIMIZERS)),
       batch_size=st.integers(1, 7), seed=seeds)
def test_training_along_either_path_gives_the_same_parameters(case, dtype, optimizer, batch_size, seed):
    X, y = case.data()
    runs = []
    for use_fast in (False, True):
        model = build_mlp(case, dtype)
        trainer = Trainer(model, X, y, optimizer=OPTIMIZERS[optimizer](), batch_size=batch_size,
                          seed=seed % 1000, raise_on_divergence=False, fast=use_fast)
        assert trainer.fast is use_fast
        history = trainer.fit(3)
        runs.append((history, model))
    (h_text, m_text), (h_fast, m_fast) = runs
    assert h_fast.steps == h_text.steps and h_fast.diverged == h_text.diverged
    assert_same(h_fast.loss, h_text.loss, dtype)
    assert h_fast.train_accuracy == h_text.train_accuracy
    for k in m_text.params:
        assert_same(m_fast.params[k], m_text.params[k], dtype, err_msg=k)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_regularization_changed_between_steps_is_followed(optimizer, dtype):
    """The playground changes the regularization of a live network; both paths read it every step."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 3, 20)
    models, trainers = [], []
    for use_fast in (False, True):
        model = MLP([3, 6, 5, 3], seed=1, dtype=dtype)
        models.append(model)
        trainers.append(Trainer(model, X, y, optimizer=OPTIMIZERS[optimizer](), batch_size=8, fast=use_fast))
    for regularization, strength in ((None, 0.0), ("l2", 0.3), ("l1", 0.1), ("l2", 0.0)):
        for model, trainer in zip(models, trainers):
            model.regularization, model.reg_strength = regularization, strength
            trainer.train_epoch()
        assert_same(trainers[1].history.loss, trainers[0].history.loss, dtype)
        assert_same(models[1].flat_params, models[0].flat_params, dtype)


def test_an_optimizer_it_does_not_know_updates_through_its_own_step():
    class HalfSGD(bh.SGD):
        def update(self, key, theta, g):
            theta -= 0.5 * self.lr * g

    X, y = np.random.default_rng(0).standard_normal((10, 2)), np.arange(10) % 2
    models = [MLP([2, 4, 2], seed=0) for _ in range(2)]
    for model, use_fast in zip(models, (False, True)):
        Trainer(model, X, y, optimizer=HalfSGD(0.5), batch_size=4, fast=use_fast).fit(2)
    np.testing.assert_allclose(models[1].flat_params, models[0].flat_params, rtol=1e-12, atol=1e-14)
    assert not np.array_equal(models[0].flat_params, MLP([2, 4, 2], seed=0).flat_params)


def test_after_a_fused_pass_backward_asks_for_a_fresh_loss():
    model = MLP([2, 3, 2])
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    model.loss(X, y)
    fast.FastPath(model).start_step(*checked(model, X, y))
    with pytest.raises(RuntimeError, match="MLP.backward"):
        model.backward()


# --------------------------------------------------------------------------- who takes which path

class OwnBackward(MLP):
    """An MLP whose backward pass is its own: the fast path would not compute it."""

    def backward(self, dscores=None):
        return super().backward(dscores)


def test_the_fast_path_is_for_mlps_with_mlps_own_passes():
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    assert fast.supports(MLP([2, 3, 2]))
    assert not fast.supports(OwnBackward([2, 3, 2]))
    assert Trainer(MLP([2, 3, 2]), X, y).fast
    assert not Trainer(MLP([2, 3, 2]), X, y, fast=False).fast
    assert isinstance(Trainer(OwnBackward([2, 3, 2]), X, y).path, TextbookPath)
    assert isinstance(Trainer(FunctionMLP((2, 3, 2)), X, y).path, TextbookPath)
    with pytest.raises(TypeError, match="FastPath: model must be an MLP"):
        fast.FastPath(OwnBackward([2, 3, 2]))


# --------------------------------------------------------------------------- the column tricks

@settings(deadline=None, max_examples=60)
@given(n=st.integers(1, 9), C=st.integers(1, 24), seed=seeds, dtype=float_dtypes)
def test_row_max_and_row_sum_by_columns_are_the_row_reductions(n, C, seed, dtype):
    s = (np.random.default_rng(seed).standard_normal((n, C)) * 10).astype(dtype)
    np.testing.assert_array_equal(fast.row_max(s), s.max(axis=1))
    if C < fast.COLUMN_SUM_CLASSES:        # added one after the other, as numpy does below 8 columns
        np.testing.assert_array_equal(fast.row_sum(s), s.sum(axis=1))
    else:
        assert_same(fast.row_sum(s), s.sum(axis=1), dtype)


def test_every_activation_of_the_registry_has_an_in_place_version():
    assert set(fast.IN_PLACE_ACTIVATIONS) == set(ACTIVATIONS)


# --------------------------------------------------------------------------- lesson 11: deeper networks

deep_networks = deep_net_cases(max_depth=4, max_width=7, activations=tuple(ACTIVATIONS),
                               losses=tuple(LOSSES))


def assert_same_running(a, b, dtype):
    assert sorted(a.running) == sorted(b.running)
    for l in a.running:
        for k in ("mean", "var"):
            assert a.running[l][k].dtype == np.dtype(dtype)
            assert_same(a.running[l][k], b.running[l][k], dtype, err_msg=f"running[{l}][{k!r}]")


@settings(deadline=None, max_examples=80)
@given(case=deep_networks, dtype=float_dtypes, evaluation=st.booleans())
def test_one_fused_pass_with_batchnorm_and_dropout_is_loss_then_backward(case, dtype, evaluation):
    textbook = case.build(dtype)
    if evaluation:
        textbook.loss(*case.data())                  # running statistics away from (0, 1) first
        textbook.eval()
    model = textbook.copy()                          # the same state of the dropout generator
    X, y = case.data()
    loss = textbook.loss(X, y)
    grads = {k: g.copy() for k, g in textbook.backward().items()}
    fast_loss = fast.FastPath(model).start_step(*checked(model, X, y))
    assert_same(fast_loss, loss, dtype)
    for k in grads:
        assert model.grads[k].dtype == np.dtype(dtype)
        assert_same(model.grads[k], grads[k], dtype, err_msg=k)
    assert_same_running(model, textbook, dtype)
    assert model.dropout_rng.bit_generator.state == textbook.dropout_rng.bit_generator.state


@settings(deadline=None, max_examples=100)
@given(case=deep_networks, dtype=float_dtypes, optimizer=st.sampled_from(sorted(OPTIMIZERS)),
       batch_size=st.integers(1, 7), seed=seeds)
def test_training_with_batchnorm_and_dropout_along_either_path_gives_the_same_parameters(
        case, dtype, optimizer, batch_size, seed):
    X, y = case.data()
    runs = []
    for use_fast in (False, True):
        model = case.build(dtype)
        trainer = Trainer(model, X, y, optimizer=OPTIMIZERS[optimizer](), batch_size=batch_size,
                          X_test=X, y_test=y, seed=seed % 1000, raise_on_divergence=False, fast=use_fast)
        assert trainer.fast is use_fast
        runs.append((trainer.fit(3), model))
    (h_text, m_text), (h_fast, m_fast) = runs
    assert h_fast.steps == h_text.steps and h_fast.diverged == h_text.diverged
    assert_same(h_fast.loss, h_text.loss, dtype)
    assert_same(h_fast.test_loss, h_text.test_loss, dtype)
    assert h_fast.train_accuracy == h_text.train_accuracy
    for k in m_text.params:
        assert_same(m_fast.params[k], m_text.params[k], dtype, err_msg=k)
    assert_same_running(m_fast, m_text, dtype)
    assert m_fast.dropout_rng.bit_generator.state == m_text.dropout_rng.bit_generator.state


@settings(deadline=None, max_examples=40)
@given(case=deep_networks, dtype=float_dtypes)
def test_loss_and_predictions_are_the_models_in_evaluation_mode(case, dtype):
    model = build_mlp(case.net, dtype) if not (case.batchnorm or case.dropout) else case.build(dtype)
    X, y = case.data()
    model.loss(X, y)                                 # running statistics away from (0, 1)
    path = fast.FastPath(model)
    Xc, yc = checked(model, X, y)
    running, generator = running_of(model), model.dropout_rng.bit_generator.state
    reference = model.copy().eval()
    assert_same(path.evaluate_loss(Xc, yc), reference.loss(X, y), dtype)
    np.testing.assert_array_equal(path.predict(Xc), model.predict(X))
    assert_same(path.scores(Xc), reference.forward(X), dtype)
    assert model.training                            # measuring leaves the mode ...
    assert model.dropout_rng.bit_generator.state == generator            # ... and draws no mask
    for l in running:
        for k in ("mean", "var"):
            np.testing.assert_array_equal(model.running[l][k], running[l][k])
    np.testing.assert_array_equal(Xc, checked(model, X, y)[0])


def test_a_network_without_batchnorm_and_dropout_takes_the_plain_loop(monkeypatch):
    """Lesson 11's layers cost a plain network nothing: its step never enters their loop, and neither
    does a network with dropout in evaluation mode."""
    X, y = np.random.default_rng(0).standard_normal((8, 3)), np.arange(8) % 3
    entered = []
    deep_step = fast.FastPath.start_deep_step
    monkeypatch.setattr(fast.FastPath, "start_deep_step",
                        lambda self, *a: entered.append(True) or deep_step(self, *a))
    for model, deep in ((MLP([3, 5, 3]), False), (MLP([3, 5, 3], dropout=0.3).eval(), False),
                        (MLP([3, 5, 3], dropout=0.3), True), (MLP([3, 5, 3], batchnorm=True), True)):
        entered.clear()
        fast.FastPath(model).start_step(*checked(model, X, y))
        assert bool(entered) is deep, model
