"""The iterative process: epochs of shuffled mini-batches until the loss stops falling.

One **step** is the whole story of the course on one mini-batch: forward pass, loss, backward pass,
gradient-descent update. One **epoch** is one pass over the training set, cut into mini-batches after
a fresh shuffle (``X`` and ``y`` are shuffled *together*, with one permutation, so every example keeps
its label). Training stops after ``epochs`` epochs, when a callback such as ``EarlyStopping`` says the
loss stopped falling, or at once, with a message, when the loss stops being a finite number.

``Trainer`` holds the state between epochs, so a widget can advance training one step or one epoch at
a time; ``train(...)`` is the one-call version. It runs each step along one of two paths, chosen once:
``TextbookPath`` (below: ``model.loss``, ``model.backward``, ``optimizer.step``, the lesson's step for
any model) or, for an ``MLP``, ``fast.FastPath`` (the same numbers, fused; ``Trainer(..., fast=False)``
asks for the textbook path).

A model with modes (``model.train()``, ``model.eval()``, ``model.training``: an ``MLP`` with dropout or
batch normalisation behaves differently in each) is trained in training mode and measured (the
history's accuracies and test loss, ``accuracy``, ``evaluate_loss``) in evaluation mode, and is left
in the mode it was in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .validation import as_float_array, check_finite, check_positive_int, describe
from .network import MLP, has_modes, in_mode
from .optim import SGD, Optimizer
from .fast import FastPath, supports as fast_path_supports

__all__ = ["History", "Trainer", "train", "minibatches", "TrainingDiverged", "Callback",
           "EarlyStopping", "PrintProgress", "TextbookPath"]


#: training stops as diverged when the loss exceeds this many times its first value (or 1)
BLOWUP_FACTOR = 1e6


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: gradient descent overshot and blew up."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What happened during training, one entry per epoch.

    ``loss`` is the mean mini-batch loss over each epoch; accuracies are measured at the end of each
    epoch (``None`` for regression); ``test_*`` stay empty without test data.
    """
    epoch: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    steps: int = 0
    stop_reason: str | None = None
    diverged: bool = False

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs yet)"
        parts = [f"{len(self.epoch)} epochs", f"{self.steps} steps", f"final loss {self.loss[-1]:.4g}"]
        if self.train_accuracy and self.train_accuracy[-1] is not None:
            parts.append(f"train accuracy {self.train_accuracy[-1]:.3f}")
        if self.test_accuracy and self.test_accuracy[-1] is not None:
            parts.append(f"test accuracy {self.test_accuracy[-1]:.3f}")
        if self.stop_reason:
            parts.append(f"stopped: {self.stop_reason}")
        return "History(" + ", ".join(parts) + ")"


class Callback:
    """Hooks called by ``Trainer``; override any of them. ``trainer.stop(reason)`` ends training."""

    def on_train_begin(self, trainer): ...
    def on_step_end(self, trainer): ...
    def on_epoch_end(self, trainer): ...
    def on_train_end(self, trainer): ...


class _FunctionCallback(Callback):
    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, trainer):
        self.fn(trainer)


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, patience=10, min_delta=0.0, monitor="loss"):
        self.patience = check_positive_int("EarlyStopping", "patience", patience)
        self.min_delta = float(min_delta)
        if monitor not in ("loss", "test_loss"):
            raise ValueError(f"EarlyStopping: monitor must be 'loss' or 'test_loss', got {monitor!r}")
        self.monitor = monitor
        self.best, self.wait = math.inf, 0

    def on_train_begin(self, trainer):
        self.best, self.wait = math.inf, 0

    def on_epoch_end(self, trainer):
        values = getattr(trainer.history, self.monitor)
        if not values:
            return
        if values[-1] < self.best - self.min_delta:
            self.best, self.wait = values[-1], 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop(f"the {self.monitor.replace('_', ' ')} stopped falling: no improvement "
                             f"greater than {self.min_delta:g} for {self.patience} epochs")


class PrintProgress(Callback):
    """Print one line every ``every`` epochs: epoch, loss and accuracies."""

    def __init__(self, every=10):
        self.every = check_positive_int("PrintProgress", "every", every)

    def on_epoch_end(self, trainer):
        h = trainer.history
        if h.epoch[-1] % self.every == 0 or h.epoch[-1] == 1:
            line = f"epoch {h.epoch[-1]:4d}  loss {h.loss[-1]:.4f}"
            if h.train_accuracy and h.train_accuracy[-1] is not None:
                line += f"  train acc {h.train_accuracy[-1]:.3f}"
            if h.test_accuracy and h.test_accuracy[-1] is not None:
                line += f"  test acc {h.test_accuracy[-1]:.3f}"
            print(line)


def _minibatches(X, y, batch_size, rng, shuffle, drop_last):
    n = X.shape[0]
    order = rng.permutation(n) if shuffle else np.arange(n)   # ONE permutation for X and y
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        if drop_last and idx.size < batch_size:
            return
        yield X[idx], y[idx]


def minibatches(X, y, batch_size, *, seed=0, rng=None, shuffle=True, drop_last=False):
    """Yield ``(X_batch, y_batch)`` pairs covering the data once, shuffled together.

    The order is drawn from ``rng`` (a ``np.random.Generator``; each call draws a new order from it),
    or from a new generator seeded with ``seed``. The last batch is smaller when ``batch_size`` does
    not divide N (kept unless ``drop_last``).
    """
    fn = "minibatches"
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{fn}: X and y must have the same number of rows, got X.shape={X.shape} "
                         f"and y.shape={y.shape}")
    batch_size = check_positive_int(fn, "batch_size", batch_size)
    if rng is None:
        rng = np.random.default_rng(seed)
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a np.random.Generator (np.random.default_rng(seed)), "
                        f"got {describe(rng)}")
    return _minibatches(X, y, batch_size, rng, shuffle, drop_last)


class TextbookPath:
    """The lesson's training step, for any model: ``loss(X, y)``, then ``backward()`` and
    ``optimizer.step(params, grads)``. ``Trainer`` calls the same four methods on ``fast.FastPath``.
    The step runs in the model's mode; ``evaluate_loss`` and ``predict`` in evaluation mode."""

    def __init__(self, model):
        self.model = model

    def start_step(self, X, y):
        """Forward pass and loss on the batch; returns the loss."""
        return float(self.model.loss(X, y))

    def finish_step(self, optimizer):
        """Backward pass, then the optimizer's update of every parameter."""
        self.model.backward()
        optimizer.step(self.model.params, self.model.grads)

    def evaluate_loss(self, X, y):
        """The loss with the current parameters, in evaluation mode."""
        with in_mode(self.model, False):
            return float(self.model.loss(X, y))

    def predict(self, X):
        """The model's predictions, in evaluation mode."""
        with in_mode(self.model, False):
            return self.model.predict(X)


class Trainer:
    """Holds a model, its data and optimizer, and trains them one step or epoch at a time.

    Args:
        model: an ``MLP``, or any object with ``params``/``grads`` dicts, ``loss(X, y)``,
            ``backward()`` and ``predict(X)`` (the learner's own network works too).
        X, y: training data, (N, D) and labels (N,) or targets (N, C).
        optimizer: an ``Optimizer`` (default ``SGD(lr)``).
        batch_size: examples per step (``None``: the whole set, full-batch gradient descent).
        X_test, y_test: optional held-out data, evaluated after every epoch.
        seed: seed of the shuffling; the same seed gives the same run.
        callbacks: ``Callback`` objects, or functions called with the trainer after each epoch.
        raise_on_divergence: raise ``TrainingDiverged`` on a non-finite loss (else stop quietly,
            with ``history.diverged`` set and the message in ``history.stop_reason``).
        fast: for an ``MLP``, run each step along ``fast.FastPath`` (default), or, with False, along
            ``TextbookPath`` (``model.loss``, ``model.backward``, ``optimizer.step``), as for any other
            model. Both give the same numbers; ``trainer.path`` is the one chosen.

    A model with modes (``train()``, ``eval()``, ``training``) takes its steps in training mode and is
    measured in evaluation mode; between calls it is in the mode it was given in.
    """

    def __init__(self, model, X, y, *, optimizer=None, lr=0.1, batch_size=32, X_test=None, y_test=None,
                 seed=0, shuffle=True, drop_last=False, callbacks=(), raise_on_divergence=True, fast=True):
        fn = "Trainer"
        for attr in ("params", "grads", "loss", "backward", "predict"):
            if not hasattr(model, attr):
                raise TypeError(f"{fn}: model must have params, grads, loss(X, y), backward() and "
                                f"predict(X); {describe(model)} has no {attr!r}")
        self.model = model
        self.has_modes = has_modes(model)
        self.path = FastPath(model) if fast and fast_path_supports(model) else TextbookPath(model)
        self.X, self.y = self._check_data(fn, X, y, "X", "y")
        self.X_test = self.y_test = None
        if (X_test is None) != (y_test is None):
            raise ValueError(f"{fn}: pass both X_test and y_test, or neither")
        if X_test is not None:
            self.X_test, self.y_test = self._check_data(fn, X_test, y_test, "X_test", "y_test")
        if optimizer is None:
            optimizer = SGD(lr)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{fn}: optimizer must be an Optimizer such as SGD(lr=0.1), "
                            f"got {describe(optimizer)}")
        self.optimizer = optimizer
        n = self.X.shape[0]
        self.batch_size = n if batch_size is None else min(check_positive_int(fn, "batch_size", batch_size), n)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.rng = np.random.default_rng(seed)
        self.callbacks = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]
        for cb in callbacks:
            if not (isinstance(cb, Callback) or callable(cb)):
                raise TypeError(f"{fn}: each callback must be a Callback or a function, got {describe(cb)}")
        self.raise_on_divergence = raise_on_divergence
        self.history = History()
        self.epoch = 0
        self.last_loss = math.nan
        self._first_loss = None
        self._stop_reason = None
        self.classification = self.y.ndim == 1 and self.y.dtype.kind in "iu"

    @property
    def fast(self):
        """Whether the steps run along the fast path."""
        return isinstance(self.path, FastPath)

    def _check_data(self, fn, X, y, xname, yname):
        if isinstance(self.model, MLP):
            X = self.model.check_inputs("fit", X)
            return X, self.model.check_targets("fit", y, X.shape[0])
        X = as_float_array(fn, xname, X, ndim=2, allow_complex=False)
        check_finite(fn, xname, X)
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(f"{fn}: {yname} must have one entry per row of {xname} ({X.shape[0]}), "
                             f"got {yname}.shape={y.shape}")
        return X, y

    # ------------------------------------------------------------------ one step, one epoch
    def step(self, X, y):
        """Forward, loss, backward and update on one mini-batch, in training mode. Returns the batch
        loss."""
        if self.has_modes and not self.model.training:
            with in_mode(self.model, True):
                return self.step(X, y)
        loss = self.path.start_step(X, y)
        if self._first_loss is None:
            self._first_loss = loss
        if not math.isfinite(loss) or loss > BLOWUP_FACTOR * max(self._first_loss, 1.0):
            self._diverged(loss)
            return loss
        self.path.finish_step(self.optimizer)
        self.history.steps += 1
        self.last_loss = loss
        for cb in self.callbacks:
            cb.on_step_end(self)
        return loss

    def train_epoch(self):
        """One pass over the shuffled training set. Returns the epoch's mean loss (or NaN)."""
        # a diverging run overflows before its loss turns NaN; the stop message says it once
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._train_epoch()

    def _train_epoch(self):
        total, count = 0.0, 0
        with in_mode(self.model, True):
            for Xb, yb in minibatches(self.X, self.y, self.batch_size, rng=self.rng, shuffle=self.shuffle,
                                      drop_last=self.drop_last):
                loss = self.step(Xb, yb)
                if self._stop_reason is not None:
                    return loss
                total += loss * Xb.shape[0]
                count += Xb.shape[0]
        self.epoch += 1
        h = self.history
        h.epoch.append(self.epoch)
        h.loss.append(total / count)
        h.train_accuracy.append(self.accuracy(self.X, self.y))
        if self.X_test is not None:
            h.test_loss.append(self.evaluate_loss(self.X_test, self.y_test))
            h.test_accuracy.append(self.accuracy(self.X_test, self.y_test))
        for cb in self.callbacks:
            cb.on_epoch_end(self)
        return h.loss[-1]

    def fit(self, epochs):
        """Train for up to ``epochs`` more epochs; returns the ``History``."""
        epochs = check_positive_int("Trainer.fit", "epochs", epochs)
        self._stop_reason = None
        self.history.stop_reason = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        for _ in range(epochs):
            self.train_epoch()
            if self._stop_reason is not None:
                break
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    # ------------------------------------------------------------------ measuring
    def accuracy(self, X, y):
        """Fraction of correct class predictions (in evaluation mode), or ``None`` for regression."""
        if not self.classification:
            return None
        pred = self.path.predict(X)
        return float(np.mean(np.asarray(pred).reshape(-1) == y))

    def evaluate_loss(self, X, y):
        """The loss on ``X, y`` with the current parameters, in evaluation mode (no update)."""
        return self.path.evaluate_loss(X, y)

    # ------------------------------------------------------------------ stopping
    def stop(self, reason):
        """Ask training to stop after the current step, recording why."""
        self._stop_reason = reason
        self.history.stop_reason = reason

    def _diverged(self, loss):
        lr = getattr(self.optimizer, "lr", None)
        where = f"epoch {self.epoch + 1}, step {self.history.steps + 1}"
        what = (f"the loss became {loss}" if not math.isfinite(loss) else
                f"the loss grew to {loss:.3g}, over {BLOWUP_FACTOR:.0e} times its first value "
                f"{self._first_loss:.3g},")
        msg = (f"training diverged: {what} at {where}. Gradient descent overshot the "
               f"minimum and each step made things worse.")
        if lr is not None:
            msg += (f" Lower the learning rate (it is {lr:g}; try {lr / 10:g}) and create the model "
                    f"again, since its weights are now huge.")
        self.history.diverged = True
        self.stop(msg)
        if self.raise_on_divergence:
            raise TrainingDiverged(msg, self.history)


def train(model, X, y, *, epochs=100, **kwargs):
    """Train ``model`` on ``X, y`` for up to ``epochs`` epochs and return the ``History``.

    Keyword arguments are those of ``Trainer`` (optimizer, lr, batch_size, X_test, y_test, seed,
    shuffle, drop_last, callbacks, raise_on_divergence).
    """
    return Trainer(model, X, y, **kwargs).fit(epochs)
