"""Tests of backprop_helpers.training: Trainer and train (steps, epochs, one shuffle per epoch, seeds,
callbacks, history, test-set evaluation, the divergence stop), any model with the MLP's interface, and
minibatches.

Only public names are used, so the tests hold for both of Trainer's paths: the default one and the
textbook one (``fast=False``); the tests that train an ``MLP`` run on each (fixture ``path``).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_helpers as bh
from backprop_helpers.data import make_dataset, train_test_split
from backprop_helpers.learner_model import FunctionMLP
from backprop_helpers.training import History, Trainer

from strategies import seeds


@pytest.fixture(params=[pytest.param({}, id="default"), pytest.param({"fast": False}, id="textbook")])
def path(request):
    """Keyword arguments that choose Trainer's path: the default one, or the textbook one."""
    return request.param


def params_of(model):
    """A copy of every parameter, by name."""
    return {k: np.array(v, copy=True) for k, v in model.params.items()}


def assert_params_close(a, b, rtol=1e-12, atol=1e-14):
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=k)


def indexed_data(n):
    """X whose row i is (i/n, -i/n), labels i % 2: any batch tells which examples it holds."""
    i = np.arange(n)
    return np.column_stack([i / n, -i / n]), i % 2


class RecordingNet:
    """A learner-style softmax regression (no flat buffers, not an MLP): the generic path of Trainer.
    Trained on ``indexed_data(n_data)``, it records the examples of every loss call, as indices."""

    def __init__(self, n_data=None, nan_at_call=None):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.standard_normal((2, 2)) * 0.1, "b1": np.zeros(2)}
        self.grads = {}
        self.n_data, self.nan_at_call = n_data, nan_at_call
        self.batches = []

    def loss(self, X, y):
        if self.n_data:
            index = np.rint(X[:, 0] * self.n_data).astype(int)
            np.testing.assert_array_equal(index % 2, y)        # each example came with its own label
            self.batches.append(index)
        self.X, self.y = X, y
        loss, self.ds = bh.softmax_cross_entropy(X @ self.params["W1"] + self.params["b1"], y)
        return float("nan") if self.nan_at_call and len(self.batches) == self.nan_at_call else loss

    def backward(self):
        self.grads["W1"] = self.X.T @ self.ds
        self.grads["b1"] = self.ds.sum(axis=0)
        return self.grads

    def predict(self, X):
        return (X @ self.params["W1"] + self.params["b1"]).argmax(axis=1)

    def epochs(self, steps_per_epoch):
        """The recorded indices, one array per epoch."""
        b = self.batches
        return [np.concatenate(b[i:i + steps_per_epoch]) for i in range(0, len(b), steps_per_epoch)]


# --------------------------------------------------------------------------- minibatches

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


def test_minibatches_from_one_generator_shuffle_anew_each_epoch():
    X, y = np.arange(12.0).reshape(12, 1), np.arange(12)
    rng = np.random.default_rng(0)
    first, second = ([yb.tolist() for _, yb in bh.minibatches(X, y, 4, rng=rng)] for _ in range(2))
    assert first != second and sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(12))
    again = np.random.default_rng(0)
    assert [yb.tolist() for _, yb in bh.minibatches(X, y, 4, rng=again)] == first
    with pytest.raises(TypeError, match="minibatches: rng must be a np.random.Generator"):
        bh.minibatches(X, y, 4, rng=0)


def test_minibatches_batch_sizes():
    X, y = np.zeros((10, 1)), np.zeros(10)
    assert [len(yb) for _, yb in bh.minibatches(X, y, 4)] == [4, 4, 2]
    assert [len(yb) for _, yb in bh.minibatches(X, y, 4, drop_last=True)] == [4, 4]
    assert [len(yb) for _, yb in bh.minibatches(X, y, 30)] == [10]


# --------------------------------------------------------------------------- one shuffle per epoch

def test_each_epoch_visits_every_example_once_in_a_new_order():
    n = 40
    X, y = indexed_data(n)
    net = RecordingNet(n)
    t = Trainer(net, X, y, batch_size=8, seed=0)
    t.fit(3)
    assert [len(b) for b in net.batches] == [8] * 15
    epochs = net.epochs(5)
    for order in epochs:
        assert sorted(order) == list(range(n))              # every example, once
    assert len({tuple(order) for order in epochs}) == 3      # a fresh shuffle each epoch


def test_shuffling_follows_the_seed_and_can_be_switched_off():
    n = 24
    X, y = indexed_data(n)

    def orders(**kwargs):
        net = RecordingNet(n)
        Trainer(net, X, y, batch_size=6, **kwargs).fit(2)
        return [order.tolist() for order in net.epochs(4)]
    assert orders(seed=3) == orders(seed=3)
    assert orders(seed=3) != orders(seed=4)
    assert orders(shuffle=False) == [list(range(n))] * 2


def test_an_mlp_sees_the_same_batches_as_a_generic_model(path):
    """An MLP and a FunctionMLP with the reference functions start equal (same seed); trained with the
    same shuffling seed they stay equal, so the MLP's path shuffles and batches as the generic path
    does, and keeps every example with its label."""
    X, y = make_dataset("moons", n=60, noise=0.1, seed=0)
    mlp, generic = bh.MLP([2, 6, 2], seed=3), FunctionMLP([2, 6, 2], seed=3)
    assert_params_close(params_of(mlp), params_of(generic), rtol=0, atol=0)
    h_mlp = bh.train(mlp, X, y, epochs=4, batch_size=16, lr=0.5, seed=7, **path)
    h_generic = bh.train(generic, X, y, epochs=4, batch_size=16, lr=0.5, seed=7)
    np.testing.assert_allclose(h_mlp.loss, h_generic.loss, rtol=1e-10)
    assert_params_close(params_of(mlp), params_of(generic), rtol=1e-9, atol=1e-12)
    assert h_mlp.loss[-1] < h_mlp.loss[0]


# --------------------------------------------------------------------------- the two paths

def test_an_mlp_takes_the_fast_path_unless_asked_not_to():
    X, y = make_dataset("xor", n=20, seed=0)
    assert Trainer(bh.MLP([2, 3, 2]), X, y).fast
    assert not Trainer(bh.MLP([2, 3, 2]), X, y, fast=False).fast
    assert not Trainer(FunctionMLP([2, 3, 2]), X, y).fast          # any other model: the textbook path


def test_an_mlp_with_its_own_loss_is_trained_with_that_loss():
    """A subclass of MLP that changes loss() trains along the textbook path, through its own loss."""
    calls = []

    class Logged(bh.MLP):
        def loss(self, X, y):
            calls.append(len(X))
            return super().loss(X, y)
    X, y = make_dataset("xor", n=20, seed=0)
    t = Trainer(Logged([2, 3, 2]), X, y, batch_size=5)
    t.fit(2)
    assert not t.fast and calls == [5] * 8


# --------------------------------------------------------------------------- steps and epochs

@pytest.mark.parametrize("batch_size, drop_last, steps_per_epoch", [
    (8, False, 7), (8, True, 6), (50, False, 1), (64, False, 1), (None, False, 1), (1, False, 50)])
def test_steps_per_epoch(path, batch_size, drop_last, steps_per_epoch):
    X, y = make_dataset("xor", n=50, seed=0)
    t = Trainer(bh.MLP([2, 4, 2]), X, y, batch_size=batch_size, drop_last=drop_last, **path)
    h = t.fit(2)
    assert h.steps == 2 * steps_per_epoch and t.epoch == 2 and h.epoch == [1, 2]


def test_fit_again_continues_where_it_stopped(path):
    X, y = make_dataset("xor", n=40, seed=0)
    t = Trainer(bh.MLP([2, 4, 2]), X, y, batch_size=10, **path)
    t.fit(2)
    h = t.fit(3)
    assert h is t.history and h.epoch == [1, 2, 3, 4, 5] and h.steps == 20 and len(h.loss) == 5


def test_trainer_works_step_by_step_for_widgets(path):
    X, y = make_dataset("circle", n=80, seed=0)
    t = Trainer(bh.MLP([2, 8, 2], activation="tanh"), X, y, batch_size=16, optimizer=bh.SGD(0.3), **path)
    first = t.train_epoch()
    for _ in range(30):
        last = t.train_epoch()
    assert t.epoch == 31 and len(t.history.loss) == 31 and last < first
    loss = t.step(X[:5], y[:5])
    assert np.isfinite(loss) and t.history.steps == 31 * 5 + 1


@pytest.mark.parametrize("activation, loss, reg", [
    ("relu", "softmax_cross_entropy", None), ("relu", "softmax_cross_entropy", "l2"),
    ("relu", "softmax_cross_entropy", "l1"), ("tanh", "softmax_cross_entropy", None),
    ("relu", "mse", "l2"), ("sigmoid", "binary_cross_entropy", None)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_step_is_loss_backward_and_the_update(path, activation, loss, reg, dtype):
    """A full-batch epoch of Trainer is one step: the loss of loss(), the gradients of backward(), and
    the optimizer's update, whatever the path computes them with."""
    C = 1 if loss == "binary_cross_entropy" else 3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 4))
    y = {"softmax_cross_entropy": rng.integers(0, C, 7), "mse": rng.standard_normal((7, C)),
         "binary_cross_entropy": rng.integers(0, 2, (7, 1)).astype(float)}[loss]
    a = bh.MLP([4, 6, 5, C], activation=activation, loss=loss, regularization=reg, reg_strength=0.1,
               dtype=dtype, seed=2)
    b = a.copy()
    la = a.loss(X, y)
    grads = {k: v.copy() for k, v in a.backward().items()}
    lb = Trainer(b, X, y, batch_size=None, shuffle=False, optimizer=bh.SGD(0.1), **path).train_epoch()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert lb == pytest.approx(la, rel=tol)
    for k, p in a.params.items():
        assert b.params[k].dtype == dtype
        np.testing.assert_allclose(b.params[k], p - 0.1 * grads[k], rtol=tol, atol=tol)


@pytest.mark.parametrize("make", [lambda: bh.SGD(0.1), lambda: bh.Momentum(0.1, 0.9), lambda: bh.Adam(0.01)],
                         ids=["sgd", "momentum", "adam"])
def test_trainer_updates_as_the_lessons_loop_does(path, make):
    """Trainer's updates equal the loop of the lessons: loss, backward, optimizer.step(params, grads)."""
    X, y = make_dataset("moons", n=64, seed=0)
    a, b = bh.MLP([2, 5, 2], seed=1), bh.MLP([2, 5, 2], seed=1)
    opt = make()
    for _ in range(5):
        a.loss(X, y)
        a.backward()
        opt.step(a.params, a.grads)
    Trainer(b, X, y, batch_size=None, shuffle=False, optimizer=make(), **path).fit(5)
    assert_params_close(params_of(b), params_of(a), rtol=1e-11, atol=1e-13)


# --------------------------------------------------------------------------- seeds

def test_training_is_reproducible_with_a_seed(path):
    X, y = make_dataset("spiral", n=120, noise=0.1, seed=0)
    runs = []
    for _ in range(2):
        model = bh.MLP([2, 16, 2], seed=5)
        h = bh.train(model, X, y, epochs=5, batch_size=16, seed=9, optimizer=bh.Adam(0.01), **path)
        runs.append((h.loss, params_of(model)))
    assert runs[0][0] == runs[1][0]
    assert_params_close(runs[0][1], runs[1][1], rtol=0, atol=0)
    other = bh.MLP([2, 16, 2], seed=5)
    h = bh.train(other, X, y, epochs=5, batch_size=16, seed=10, optimizer=bh.Adam(0.01), **path)
    assert h.loss != runs[0][0]                      # another shuffling seed, another run


# --------------------------------------------------------------------------- history

def test_history_records_each_epoch_and_the_test_set(path):
    X, y = make_dataset("gauss", n=80, noise=0.3, seed=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=0)
    model = bh.MLP([2, 4, 2], seed=0)
    first_loss = model.copy().loss(X_tr, y_tr)
    h = bh.train(model, X_tr, y_tr, X_test=X_te, y_test=y_te, epochs=3, batch_size=None,
                 optimizer=bh.SGD(0.1), **path)
    assert isinstance(h, History)
    assert h.epoch == [1, 2, 3] and h.steps == 3 and not h.diverged and h.stop_reason is None
    assert len(h.loss) == len(h.train_accuracy) == len(h.test_loss) == len(h.test_accuracy) == 3
    assert h.loss[0] == pytest.approx(first_loss, rel=1e-12)       # full batch: the loss before the step
    # accuracies and the test loss are measured at the end of each epoch, with the trained model
    assert h.train_accuracy[-1] == pytest.approx(np.mean(model.predict(X_tr) == y_tr))
    assert h.test_accuracy[-1] == pytest.approx(np.mean(model.predict(X_te) == y_te))
    assert h.test_loss[-1] == pytest.approx(model.loss(X_te, y_te), rel=1e-12)
    text = repr(h)
    assert text.startswith("History(3 epochs, 3 steps, final loss") and "test accuracy" in text
    assert repr(History()) == "History(no epochs yet)"


def test_history_without_a_test_set(path):
    X, y = make_dataset("xor", n=40, seed=0)
    h = bh.train(bh.MLP([2, 4, 2]), X, y, epochs=2, **path)
    assert h.test_loss == [] and h.test_accuracy == [] and len(h.train_accuracy) == 2
    assert "test accuracy" not in repr(h)


def test_training_learns_spiral_with_test_split(path):
    X, y = make_dataset("spiral", n=400, noise=0.05, seed=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=0)
    model = bh.MLP([2, 32, 32, 2], activation="tanh", seed=0)
    h = bh.train(model, X_tr, y_tr, X_test=X_te, y_test=y_te, epochs=300, batch_size=32,
                 optimizer=bh.Adam(0.01), seed=0, **path)
    assert len(h.epoch) == len(h.loss) == len(h.train_accuracy) == len(h.test_accuracy) == 300
    assert h.loss[-1] < 0.1 * h.loss[0]
    assert h.test_accuracy[-1] >= 0.95


def test_regression_history_has_no_accuracy(path):
    X, y = make_dataset("plane", n=100, seed=0)
    model = bh.MLP([2, 8, 1], activation="tanh", loss="mse")
    h = bh.train(model, X, y, epochs=30, lr=0.05, batch_size=10, **path)
    assert h.train_accuracy == [None] * 30
    assert h.loss[-1] < h.loss[0]


# --------------------------------------------------------------------------- divergence

def test_divergence_stops_with_a_message(path):
    X, y = make_dataset("xor", n=60, seed=0)
    model = bh.MLP([2, 8, 2], seed=0)
    with pytest.raises(bh.TrainingDiverged) as info:
        bh.train(model, X, y, epochs=200, lr=1e4, batch_size=60, **path)
    msg = str(info.value)
    assert "diverged" in msg and "learning rate" in msg and "10000" in msg and "try 1000" in msg
    h = info.value.history
    assert h.diverged and h.stop_reason == msg
    assert len(h.epoch) < 10                         # stopped at once, long before the NaN
    assert "times its first value" in msg


def test_divergence_without_raising_and_no_warnings(path, recwarn):
    X, y = make_dataset("plane", n=60, seed=0)
    model = bh.MLP([2, 8, 1], loss="mse", seed=0)
    h = bh.train(model, X, y, epochs=200, lr=5.0, batch_size=60, raise_on_divergence=False, **path)
    assert h.diverged and "diverged" in h.stop_reason
    assert all(np.isfinite(h.loss))                  # only finite epochs are recorded
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_nan_loss_stops_training_where_it_happened():
    n = 20
    X, y = indexed_data(n)
    with pytest.raises(bh.TrainingDiverged, match=r"the loss became nan at epoch 2, step 3\b"):
        bh.train(RecordingNet(n, nan_at_call=3), X, y, epochs=5, batch_size=10, lr=0.1)
    h = bh.train(RecordingNet(n, nan_at_call=3), X, y, epochs=5, batch_size=10, lr=0.1,
                 raise_on_divergence=False)
    assert h.diverged and h.epoch == [1] and h.steps == 2
    assert h.stop_reason.startswith("training diverged: the loss became nan at epoch 2, step 3")


# --------------------------------------------------------------------------- callbacks

def test_early_stopping_when_the_loss_stops_falling(path):
    X, y = make_dataset("gauss", n=100, noise=0.0, seed=0)
    model = bh.MLP([2, 4, 2], seed=0)
    stopper = bh.EarlyStopping(patience=3, min_delta=1e-3)
    h = bh.train(model, X, y, epochs=2000, lr=0.5, batch_size=100, callbacks=[stopper], **path)
    assert len(h.epoch) < 2000
    assert "stopped falling" in h.stop_reason
    assert not h.diverged


def test_early_stopping_on_the_test_loss(path):
    X, y = make_dataset("gauss", n=100, noise=0.0, seed=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, seed=0)
    stopper = bh.EarlyStopping(patience=2, min_delta=1e-3, monitor="test_loss")
    h = bh.train(bh.MLP([2, 4, 2], seed=0), X_tr, y_tr, X_test=X_te, y_test=y_te, epochs=2000, lr=0.5,
                 batch_size=None, callbacks=[stopper], **path)
    assert len(h.epoch) < 2000 and h.stop_reason.startswith("the test loss stopped falling")
    with pytest.raises(ValueError, match="EarlyStopping: monitor must be 'loss' or 'test_loss'"):
        bh.EarlyStopping(monitor="accuracy")


def test_callbacks_are_called_and_can_stop(path):
    X, y = make_dataset("xor", n=40, seed=0)
    calls = {"begin": 0, "step": 0, "epoch": 0, "end": 0}

    class Count(bh.Callback):
        def on_train_begin(self, t): calls["begin"] += 1
        def on_step_end(self, t): calls["step"] += 1
        def on_epoch_end(self, t): calls["epoch"] += 1
        def on_train_end(self, t): calls["end"] += 1

    epochs_seen = []
    h = bh.train(bh.MLP([2, 4, 2]), X, y, epochs=4, batch_size=10,
                 callbacks=[Count(), lambda t: epochs_seen.append(t.epoch)], **path)
    assert calls == {"begin": 1, "step": 16, "epoch": 4, "end": 1}
    assert epochs_seen == [1, 2, 3, 4] and h.steps == 16

    def stop_at_two(t):
        if t.epoch == 2:
            t.stop("enough")
    h = bh.train(bh.MLP([2, 4, 2]), X, y, epochs=10, callbacks=[stop_at_two], **path)
    assert h.epoch == [1, 2] and h.stop_reason == "enough"


def test_a_callback_must_be_a_callback_or_a_function():
    X, y = make_dataset("xor", n=10, seed=0)
    with pytest.raises(TypeError, match="Trainer: each callback must be a Callback or a function"):
        Trainer(bh.MLP([2, 2]), X, y, callbacks=[3])


def test_print_progress(path, capsys):
    X, y = make_dataset("xor", n=40, seed=0)
    bh.train(bh.MLP([2, 4, 2]), X, y, epochs=20, callbacks=[bh.PrintProgress(every=10)], **path)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[1] for ln in lines] == ["1", "10", "20"]
    assert "loss" in lines[0] and "train acc" in lines[0]


# --------------------------------------------------------------------------- models other than MLP

def test_trainer_accepts_a_learners_own_model():
    X, y = make_dataset("gauss", n=100, seed=0)
    h = bh.train(RecordingNet(), X, y, epochs=20, lr=0.1, batch_size=20)
    assert h.train_accuracy[-1] > 0.9 and h.loss[-1] < h.loss[0]


@settings(max_examples=5, deadline=None)
@given(seed=seeds)
def test_a_function_mlp_learns_through_the_generic_path(seed):
    X, y = make_dataset("circle", n=120, noise=0.05, seed=seed % 1000)
    model = FunctionMLP((2, 12, 2), activation="tanh", seed=seed % 1000)
    before = params_of(model)
    h = bh.train(model, X, y, epochs=60, optimizer=bh.Adam(0.03), batch_size=32, seed=seed)
    assert h.loss[-1] < 0.5 * h.loss[0] and h.train_accuracy[-1] > 0.85
    assert any(not np.array_equal(before[k], model.params[k]) for k in before)


# --------------------------------------------------------------------------- modes (lesson 11)

class ModalNet(RecordingNet):
    """A learner-style model with a training and an evaluation mode: it records the mode of every
    call of loss and predict."""

    def __init__(self):
        super().__init__()
        self.training = True
        self.calls = []

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def loss(self, X, y):
        self.calls.append(("loss", self.training))
        return super().loss(X, y)

    def predict(self, X):
        self.calls.append(("predict", self.training))
        return super().predict(X)


class ModeAtEachStep(bh.Callback):
    def __init__(self):
        self.modes = []

    def on_step_end(self, trainer):
        self.modes.append(trainer.model.training)


@pytest.mark.parametrize("start_in_eval", [False, True])
def test_training_in_training_mode_and_measuring_in_evaluation_mode(start_in_eval):
    X, y = make_dataset("gauss", n=40, seed=0)
    model = ModalNet()
    if start_in_eval:
        model.eval()
    spy = ModeAtEachStep()
    trainer = Trainer(model, X, y, X_test=X[:10], y_test=y[:10], batch_size=20, lr=0.1, callbacks=[spy])
    trainer.fit(2)
    assert spy.modes == [True] * 4                                # every step in training mode
    # per epoch: two training steps, then the train accuracy, the test loss and the test accuracy
    epoch = [("loss", True), ("loss", True), ("predict", False), ("loss", False), ("predict", False)]
    assert model.calls == epoch * 2
    assert model.training is not start_in_eval                   # left in the mode it was in
    model.calls.clear()
    trainer.step(X[:5], y[:5])
    trainer.evaluate_loss(X, y)
    trainer.accuracy(X, y)
    assert model.calls == [("loss", True), ("loss", False), ("predict", False)]
    assert model.training is not start_in_eval


@pytest.mark.parametrize("start_in_eval", [False, True])
def test_an_mlp_with_dropout_and_batchnorm_is_measured_in_evaluation_mode(path, start_in_eval):
    X, y = make_dataset("circle", n=60, seed=1)
    X_test, y_test = make_dataset("circle", n=30, seed=2)
    model = bh.MLP([2, 8, 8, 2], dropout=0.3, batchnorm=True, seed=0)
    if start_in_eval:
        model.eval()
    measured = []

    def measure(trainer):
        reference = trainer.model.copy().eval()        # the model as it is now, in evaluation mode
        measured.append((float(np.mean(reference.predict(X) == y)), reference.loss(X_test, y_test)))

    trainer = Trainer(model, X, y, X_test=X_test, y_test=y_test, batch_size=16, optimizer=bh.Adam(0.01),
                      callbacks=[measure], **path)
    h = trainer.fit(3)
    assert model.training is not start_in_eval
    assert h.train_accuracy == [a for a, _ in measured]
    np.testing.assert_allclose(h.test_loss, [loss for _, loss in measured], rtol=1e-12)
    running = {l: {k: v.copy() for k, v in s.items()} for l, s in model.running.items()}
    generator = model.dropout_rng.bit_generator.state
    trainer.evaluate_loss(X_test, y_test)
    trainer.accuracy(X_test, y_test)
    assert model.dropout_rng.bit_generator.state == generator     # measuring draws no mask ...
    for l in running:                                             # ... and moves no running statistic
        for k in ("mean", "var"):
            np.testing.assert_array_equal(model.running[l][k], running[l][k])
    assert model.training is not start_in_eval


def test_a_step_on_a_model_in_evaluation_mode_trains_in_training_mode(path):
    X, y = make_dataset("xor", n=32, seed=0)
    model = bh.MLP([2, 6, 2], batchnorm=True, seed=0).eval()
    trainer = Trainer(model, X, y, batch_size=None, shuffle=False, **path)
    reference = model.copy().train()
    expected = reference.loss(X, y)
    assert trainer.step(X, y) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(model.running[1]["mean"], reference.running[1]["mean"], rtol=1e-12)
    assert model.training is False


def test_dropout_runs_repeat_exactly_and_rmsprop_trains(path):
    X, y = make_dataset("spiral", n=150, seed=0)
    runs = [bh.train(bh.MLP([2, 24, 24, 3], dropout=0.2, batchnorm=True, seed=1), X, y, epochs=15,
                     optimizer=bh.RMSProp(0.005), batch_size=32, seed=3, **path) for _ in range(2)]
    assert runs[0].loss == runs[1].loss and runs[0].train_accuracy == runs[1].train_accuracy
    assert runs[0].loss[-1] < 0.8 * runs[0].loss[0]


def test_a_model_whose_train_does_not_switch_the_mode_is_named():
    class Stubborn(ModalNet):
        def train(self):
            return self

    X, y = make_dataset("gauss", n=20, seed=0)
    model = Stubborn().eval()
    with pytest.raises(TypeError, match=r"in_mode: Stubborn.train\(\) must set its training attribute to "
                                        r"True, but it is False after the call"):
        Trainer(model, X, y, batch_size=10).step(X, y)
