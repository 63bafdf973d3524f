"""The fast path (backprop_helpers.fast) computes what the textbook path computes.

Over random networks (depth, widths, every activation of ``layers.ACTIVATIONS``, every loss of
``losses.LOSSES``, float32 and float64, with and without L1/L2 regularization): one fused pass gives the
loss and gradients of ``model.loss`` then ``model.backward``; the loss and predictions with the current
parameters are those of the model; and training with SGD, Momentum or Adam along either of Trainer's
paths gives the same losses and the same parameters, step after step.
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

from strategies import TIGHT_RTOL, build_mlp, float_dtypes, many_class_net_cases, seeds

networks = many_class_net_cases(max_depth=4, max_width=8, activations=tuple(ACTIVATIONS),
                                losses=tuple(LOSSES))

OPTIMIZERS = {
    "sgd": lambda: bh.SGD(0.1),
    "momentum": lambda: bh.Momentum(0.05, mu=0.9),
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
