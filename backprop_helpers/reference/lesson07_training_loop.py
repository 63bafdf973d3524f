"""Lesson 07, the training loop: the reference answers to its exercises (see ``reference/__init__.py``)."""
from __future__ import annotations

import numpy as np

__all__ = ["iterate_minibatches", "train_epoch", "accuracy", "fit"]


def iterate_minibatches(X, y, batch_size, rng):
    """Yield one epoch's mini-batches ``(X_batch, y_batch)`` in a random order drawn from ``rng``.

    One permutation picks the rows of both X (N, D) and y (N,) or (N, C), so each row keeps its
    label; the last batch holds the remaining ``N % batch_size`` examples.
    """
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def train_epoch(model, batches, optimizer):
    """One epoch: for each batch, loss, backward and an optimizer step. Returns the epoch's mean loss
    over its examples (each batch's mean loss weighted by the batch's size)."""
    total, count = 0.0, 0
    for X_batch, y_batch in batches:
        loss = model.loss(X_batch, y_batch)                 # forward pass and loss
        model.backward()                                    # fills model.grads
        optimizer.step(model.params, model.grads)
        total += loss * len(X_batch)
        count += len(X_batch)
    return total / count


def accuracy(scores, y):
    """The fraction of rows of scores (N, C) whose largest score is at the label y (N,): a float."""
    predicted = np.argmax(scores, axis=1)
    return float(np.mean(predicted == y))


def fit(model, X_train, y_train, X_test, y_test, optimizer, epochs, batch_size, rng):
    """Train for ``epochs`` epochs of shuffled mini-batches, measuring after each epoch.

    Returns ``{"loss": [...], "train_accuracy": [...], "test_accuracy": [...]}``, one entry per epoch.
    """
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for _ in range(epochs):
        batches = iterate_minibatches(X_train, y_train, batch_size, rng)   # a new order every epoch
        history["loss"].append(train_epoch(model, batches, optimizer))
        history["train_accuracy"].append(accuracy(model.forward(X_train), y_train))
        history["test_accuracy"].append(accuracy(model.forward(X_test), y_test))
    return history
