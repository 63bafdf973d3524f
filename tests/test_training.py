"""The iterative process: mini-batches, reproducibility, divergence, early stopping, callbacks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_helpers as bh
from backprop_helpers.data import make_dataset, train_test_split
from backprop_helpers.training import Trainer


@settings(max_examples=50)
@given(n=st.integers(1, 40), batch=st.integers(1, 50), seed=st.integers(0, 10_000),
       drop_last=st.booleans())
def test_minibatches_keep_rows_aligned_and_cover_the_data(n, batch, seed, drop_last):
    X = np.arange(n, dtype=float).reshape(n, 1) * np.array([[1.0, -1.0]])   # row i encodes i
    y = np.arange(n)
    seen = []
    for Xb, yb in bh.minibatches(X, y, batch, seed=seed, drop_last=drop_last):
        assert Xb.shape[0] == yb.shape[0] <= batch
        np.testing.assert_array_equal(Xb[:, 0], yb)          # every example kept its label
        np.testing.assert_array_equal(Xb[:, 1], -yb)
        seen.extend(yb.tolist())
    if drop_last:
        assert len(seen) == (n // batch) * batch
    else:
        assert sorted(seen) == list(range(n))                # the last partial batch is kept


def test_minibatches_shuffle_differently_each_epoch_and_by_seed():
    X, y = np.arange(20.0).reshape(20, 1), np.arange(20)
    a = [yb.tolist() for _, yb in bh.minibatches(X, y, 5, seed=1)]
    b = [yb.tolist() for _, yb in bh.minibatches(X, y, 5, seed=1)]
    c = [yb.tolist() for _, yb in bh.minibatches(X, y, 5, seed=2)]
    assert a == b and a != c
    unshuffled = [yb.tolist() for _, yb in bh.minibatches(X, y, 5, shuffle=False)]
    assert unshuffled[0] == [0, 1, 2, 3, 4]


def test_trainer_epochs_shuffle_differently():
    X, y = make_dataset("xor", n=40, seed=0)
    seen = []

    class Record(bh.Callback):
        def on_step_end(self, trainer):
            pass

    t = Trainer(bh.MLP([2, 4, 2]), X, y, batch_size=8, seed=0)
    orders = []
    for _ in range(2):
        order = []
        for Xb, yb in bh.training._minibatches(t.X, t.y, 8, t.rng, True, False):
            order.append(yb.copy())
        orders.append(np.concatenate(order))
    assert not np.array_equal(orders[0], orders[1])
    assert sorted(orders[0]) == sorted(orders[1])
    del seen


def test_training_is_reproducible_with_a_seed():
    X, y = make_dataset("spiral", n=120, noise=0.1, seed=0)
    runs = []
    for _ in range(2):
        model = bh.MLP([2, 16, 2], seed=5)
        h = bh.train(model, X, y, epochs=5, batch_size=16, seed=9, optimizer=bh.Adam(0.01))
        runs.append((h.loss, model.flat_params.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = bh.MLP([2, 16, 2], seed=5)
    h = bh.train(other, X, y, epochs=5, batch_size=16, seed=10, optimizer=bh.Adam(0.01))
    assert h.loss != runs[0][0]                      # another shuffling seed, another run


def test_training_learns_spiral_with_test_split():
    X, y = make_dataset("spiral", n=400, noise=0.05, seed=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=0)
    model = bh.MLP([2, 32, 32, 2], activation="tanh", seed=0)
    h = bh.train(model, X_tr, y_tr, X_test=X_te, y_test=y_te, epochs=300, batch_size=32,
                 optimizer=bh.Adam(0.01), seed=0)
    assert len(h.epoch) == len(h.loss) == len(h.train_accuracy) == len(h.test_accuracy) == 300
    assert h.loss[-1] < 0.1 * h.loss[0]
    assert h.test_accuracy[-1] >= 0.95


def test_regression_history_has_no_accuracy():
    X, y = make_dataset("plane", n=100, seed=0)
    model = bh.MLP([2, 8, 1], activation="tanh", loss="mse")
    h = bh.train(model, X, y, epochs=30, lr=0.05, batch_size=10)
    assert h.train_accuracy == [None] * 30
    assert h.loss[-1] < h.loss[0]


def test_divergence_stops_with_a_message():
    X, y = make_dataset("xor", n=60, seed=0)
    model = bh.MLP([2, 8, 2], seed=0)
    with pytest.raises(bh.TrainingDiverged) as info:
        bh.train(model, X, y, epochs=200, lr=1e4, batch_size=60)
    msg = str(info.value)
    assert "diverged" in msg and "learning rate" in msg and "10000" in msg and "try 1000" in msg
    h = info.value.history
    assert h.diverged and h.stop_reason == msg
    assert len(h.epoch) < 10                         # stopped at once, long before the NaN
    assert "times its first value" in msg


def test_divergence_without_raising_and_no_warnings(recwarn):
    X, y = make_dataset("plane", n=60, seed=0)
    model = bh.MLP([2, 8, 1], loss="mse", seed=0)
    h = bh.train(model, X, y, epochs=200, lr=5.0, batch_size=60, raise_on_divergence=False)
    assert h.diverged and "diverged" in h.stop_reason
    assert all(np.isfinite(h.loss))                  # only finite epochs are recorded
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_early_stopping_when_the_loss_stops_falling():
    X, y = make_dataset("gauss", n=100, noise=0.0, seed=0)
    model = bh.MLP([2, 4, 2], seed=0)
    stopper = bh.EarlyStopping(patience=3, min_delta=1e-3)
    h = bh.train(model, X, y, epochs=2000, lr=0.5, batch_size=100, callbacks=[stopper])
    assert len(h.epoch) < 2000
    assert "stopped falling" in h.stop_reason
    assert not h.diverged


def test_callbacks_are_called_and_can_stop():
    X, y = make_dataset("xor", n=40, seed=0)
    calls = {"begin": 0, "step": 0, "epoch": 0, "end": 0}

    class Count(bh.Callback):
        def on_train_begin(self, t): calls["begin"] += 1
        def on_step_end(self, t): calls["step"] += 1
        def on_epoch_end(self, t): calls["epoch"] += 1
        def on_train_end(self, t): calls["end"] += 1

    epochs_seen = []
    h = bh.train(bh.MLP([2, 4, 2]), X, y, epochs=4, batch_size=10,
                 callbacks=[Count(), lambda t: epochs_seen.append(t.epoch)])
    assert calls == {"begin": 1, "step": 16, "epoch": 4, "end": 1}
    assert epochs_seen == [1, 2, 3, 4] and h.steps == 16

    def stop_at_two(t):
        if t.epoch == 2:
            t.stop("enough")
    h = bh.train(bh.MLP([2, 4, 2]), X, y, epochs=10, callbacks=[stop_at_two])
    assert h.epoch == [1, 2] and h.stop_reason == "enough"


def test_print_progress(capsys):
    X, y = make_dataset("xor", n=40, seed=0)
    bh.train(bh.MLP([2, 4, 2]), X, y, epochs=20, callbacks=[bh.PrintProgress(every=10)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[1] for ln in lines] == ["1", "10", "20"]
    assert "loss" in lines[0] and "train acc" in lines[0]


def test_trainer_works_step_by_step_for_widgets():
    X, y = make_dataset("circle", n=80, seed=0)
    t = Trainer(bh.MLP([2, 8, 2], activation="tanh"), X, y, batch_size=16, optimizer=bh.SGD(0.3))
    first = t.train_epoch()
    for _ in range(30):
        last = t.train_epoch()
    assert t.epoch == 31 and len(t.history.loss) == 31 and last < first
    loss = t.step(X[:5], y[:5])
    assert np.isfinite(loss)


class TinyNet:
    """A learner-style network with no flat buffers: the generic path of Trainer."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.standard_normal((2, 2)) * 0.1, "b1": np.zeros(2)}
        self.grads = {}

    def loss(self, X, y):
        self.X, self.y = X, y
        loss, self.ds = bh.softmax_cross_entropy(X @ self.params["W1"] + self.params["b1"], y)
        return loss

    def backward(self):
        self.grads["W1"] = self.X.T @ self.ds
        self.grads["b1"] = self.ds.sum(axis=0)
        return self.grads

    def predict(self, X):
        return (X @ self.params["W1"] + self.params["b1"]).argmax(axis=1)


def test_trainer_accepts_a_learners_own_model():
    X, y = make_dataset("gauss", n=100, seed=0)
    h = bh.train(TinyNet(), X, y, epochs=20, lr=0.1, batch_size=20)
    assert h.train_accuracy[-1] > 0.9 and h.loss[-1] < h.loss[0]


def test_flat_and_dict_updates_agree():
    """Trainer's single-vector update equals the per-array update of the lesson's equation."""
    X, y = make_dataset("moons", n=64, seed=0)
    for opt in (lambda: bh.SGD(0.1), lambda: bh.Momentum(0.1, 0.9), lambda: bh.Adam(0.01)):
        a, b = bh.MLP([2, 5, 2], seed=1), bh.MLP([2, 5, 2], seed=1)
        oa, ob = opt(), opt()
        for _ in range(5):
            a.loss(X, y); a.backward(); oa.step(a.params, a.grads)
            b.loss(X, y); b.backward(); ob.step(b.flat_params, b.flat_grads)
        np.testing.assert_allclose(a.flat_params, b.flat_params, rtol=1e-12, atol=1e-14)
