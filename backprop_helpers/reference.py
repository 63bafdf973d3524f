"""The exercise functions of the lessons, with the signatures the lessons ask for.

Each function here is the answer to one exercise, written the way the lesson derives it: the checks
(``backprop_helpers.checks``) compare a learner's function with it, the learner's-model adapter
(``learner_model.FunctionMLP``) runs it where the learner has not written a piece yet, and the widgets
that show an exercise's computation use it. Read it after solving an exercise; the package's own
``layers``, ``losses`` and ``optim`` compute the same things with caches, validation and speed.

Lesson by lesson (``N`` examples, ``D`` features, ``H`` units, ``C`` classes or outputs):

- 01 forward pass: ``neuron``, ``linear_forward``, ``sigmoid``, ``relu``, ``tanh``, ``two_layer_forward``
- 02 loss: ``mean_squared_error``, ``softmax``, ``cross_entropy``, ``binary_cross_entropy``
- 03 derivatives: ``forward_difference``, ``central_difference``, ``rel_error``, ``numerical_gradient``,
  ``neuron_loss_gradient``
- 04 backward pass: ``linear_backward``, ``sigmoid_backward``, ``tanh_backward``, ``relu_backward``,
  ``mse_loss``, ``softmax_cross_entropy``
- 05 a whole network: ``mlp_forward``, ``mlp_backward``, ``loss_and_grads``, ``gradient_norms``
- 06 gradient descent: ``sgd_step``, ``gradient_descent``, ``momentum_step``, ``adam_step``
- 07 training loop: ``iterate_minibatches``, ``train_epoch``, ``accuracy``, ``fit``

Every loss is the mean over the batch of each example's loss (an example's loss sums over its outputs).
"""
from __future__ import annotations

import numpy as np

from . import layers

__all__ = [
    "neuron", "linear_forward", "sigmoid", "relu", "tanh", "two_layer_forward",
    "mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy",
    "forward_difference", "central_difference", "rel_error", "numerical_gradient", "neuron_loss_gradient",
    "linear_backward", "sigmoid_backward", "tanh_backward", "relu_backward", "mse_loss",
    "softmax_cross_entropy",
    "mlp_forward", "mlp_backward", "loss_and_grads", "gradient_norms",
    "sgd_step", "gradient_descent", "momentum_step", "adam_step",
    "iterate_minibatches", "train_epoch", "accuracy", "fit",
]


# ================================================================== lesson 01: the forward pass

def sigmoid(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``, elementwise; ``x`` of any shape.

    Written with ``e = exp(-|x|)``, which is never above 1: for ``x >= 0`` the sigmoid is
    ``1 / (1 + e)``, for ``x < 0`` it is ``e / (1 + e)`` (multiply top and bottom by ``exp(x)``),
    so no ``exp`` overflows however large ``|x|`` is.
    """
    e = np.exp(-np.abs(x))                                  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x):
    """The rectified linear unit ``max(x, 0)``, elementwise; a new array (``x`` is left alone)."""
    return np.maximum(x, 0.0)


def tanh(x):
    """The hyperbolic tangent ``(e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1``, elementwise."""
    return np.tanh(x)


def neuron(x, w, b):
    """One neuron with a sigmoid: ``sigmoid(w · x + b)``. x (D,), w (D,), b a number -> a float."""
    z = np.dot(w, x) + b                                    # the weighted sum, a number
    return float(sigmoid(z))


def linear_forward(X, W, b):
    """A linear layer: ``out = X @ W + b``. X (N, D), W (D, H), b (H,) -> out (N, H)."""
    return X @ W + b                                        # b is added to every row


def two_layer_forward(X, params):
    """Scores of a two-layer network, ``relu(X @ W1 + b1) @ W2 + b2``.

    params: ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,). Returns scores (N, C), with no
    activation on the output layer.
    """
    h = relu(linear_forward(X, params["W1"], params["b1"]))         # (N, H)
    return linear_forward(h, params["W2"], params["b2"])            # (N, C)


# ================================================================== lesson 02: the loss

def mean_squared_error(y_hat, y):
    """``L = (1/N) sum_n sum_c (y_hat[n, c] - y[n, c])**2`` for y_hat, y (N, C): a float."""
    N = y_hat.shape[0]
    return float(np.sum((y_hat - y) ** 2) / N)


def softmax(scores):
    """Row-wise softmax: scores (N, C) -> probs (N, C), every row positive and summing to 1.

    ``p[n, c] = exp(s[n, c] - m_n) / sum_k exp(s[n, k] - m_n)`` with ``m_n = max_k s[n, k]``: the
    shift cancels between numerator and denominator and keeps every exponent <= 0.
    """
    shifted = scores - scores.max(axis=1, keepdims=True)    # (N, C), every entry <= 0
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)                 # (N, 1) sums, one per row


def cross_entropy(scores, y):
    """Softmax cross-entropy from raw scores (N, C) and class indices y (N,): a float.

    ``L = -(1/N) sum_n log p[n, y_n]``, with the log-probabilities computed directly,
    ``log p[n, c] = (s[n, c] - m_n) - log sum_k exp(s[n, k] - m_n)``, so they stay finite.
    """
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)                    # (N, C)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))    # (N, C)
    return float(-log_p[np.arange(N), y].mean())            # the true class of each row


def binary_cross_entropy(p, y):
    """``L = -(1/N) sum_n [y log p + (1 - y) log(1 - p)]`` for probabilities p and 0/1 labels y of
    the same shape, (N, 1) or (N,): a float."""
    N = p.shape[0]
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / N)


# ================================================================== lesson 03: derivatives

def forward_difference(f, x, h):
    """The forward-difference slope of a scalar function: ``(f(x + h) - f(x)) / h``."""
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    """The central-difference slope of a scalar function: ``(f(x + h) - f(x - h)) / (2 h)``."""
    return (f(x + h) - f(x - h)) / (2 * h)


def rel_error(a, b):
    """The worst elementwise relative error, ``max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)``."""
    errors = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(np.max(errors))


def numerical_gradient(f, x, h=1e-5):
    """The central-difference gradient of ``f(x) -> float`` at the array ``x``, one element at a time:
    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    ``x`` itself is perturbed (so a function that reads ``x`` through a closure sees the change) and
    every element is put back, so ``x`` ends as it began. Returns grad, shaped like x.
    """
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old                                        # put it back
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def neuron_loss_gradient(w, b, x, y):
    """``(dL/dw, dL/db)`` of ``L = (sigmoid(w x + b) - y)**2`` for numbers w, b, x, y, by the chain rule."""
    z = w * x + b
    s = float(sigmoid(z))
    dL_ds = 2.0 * (s - y)
    ds_dz = s * (1.0 - s)
    dL_dz = dL_ds * ds_dz
    return dL_dz * x, dL_dz * 1.0                           # dz/dw = x, dz/db = 1


# ================================================================== lesson 04: the backward pass

def linear_backward(dout, X, W):
    """Gradients of ``out = X @ W + b``: dout (N, H), X (N, D), W (D, H) -> (dX, dW, db)."""
    dX = dout @ W.T                                         # (N, H) @ (H, D) -> (N, D)
    dW = X.T @ dout                                         # (D, N) @ (N, H) -> (D, H)
    db = dout.sum(axis=0)                                   # (H,): b was added to every row
    return dX, dW, db


def sigmoid_backward(dout, out):
    """``dx = dout * out * (1 - out)``, from the sigmoid's OUTPUT ``out = sigmoid(x)``."""
    return dout * out * (1.0 - out)


def tanh_backward(dout, out):
    """``dx = dout * (1 - out**2)``, from the tanh's OUTPUT ``out = tanh(x)``."""
    return dout * (1.0 - out ** 2)


def relu_backward(dout, x):
    """``dx = dout`` where the ReLU's INPUT ``x`` was positive, 0 elsewhere (0 at the kink x = 0)."""
    return dout * (x > 0)


def mse_loss(y_hat, y):
    """Mean squared error and its gradient: y_hat, y (N, C) -> (loss, dy_hat).

    ``loss = (1/N) sum (y_hat - y)**2`` (a float), ``dy_hat = 2 (y_hat - y) / N`` (N, C).
    """
    N = y_hat.shape[0]
    diff = y_hat - y
    return float(np.sum(diff ** 2) / N), 2.0 * diff / N


def softmax_cross_entropy(scores, y):
    """Softmax cross-entropy and its gradient: scores (N, C), y (N,) -> (loss, dscores).

    ``loss = -(1/N) sum_n log p[n, y_n]`` (a float), ``dscores = (p - onehot(y)) / N`` (N, C);
    finite for any scores (the row maximum is subtracted before ``exp``).
    """
    N = scores.shape[0]
    rows = np.arange(N)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))    # (N, C)
    loss = float(-log_p[rows, y].mean())
    dscores = np.exp(log_p)                                 # p, (N, C)
    dscores[rows, y] -= 1.0                                 # p - onehot(y)
    return loss, dscores / N


# ================================================================== lesson 05: a whole network

def mlp_forward(X, params, activation):
    """Forward pass of a multi-layer perceptron, keeping one cache per layer.

    params: ``W1`` (D, H1), ``b1`` (H1,), ..., ``WL``, ``bL``; activation: a name in
    ``layers.ACTIVATIONS`` ("relu", "sigmoid", "tanh", ...), applied after every layer but the last.
    Returns ``(scores, caches)``: scores (N, C), and in forward order ``(linear_cache, act_cache,
    act_backward)`` for each hidden layer, ``(linear_cache, None, None)`` for the output layer. The
    caches are those of the library's pairs ``layers.linear_forward`` and the activation's forward.
    """
    act = layers.ACTIVATIONS[activation]
    L = len(params) // 2                                    # a W and a b per layer
    h, caches = X, []
    for l in range(1, L + 1):
        h, linear_cache = layers.linear_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:                                           # hidden layer: then the activation
            h, act_cache = act.forward(h)
            caches.append((linear_cache, act_cache, act.backward))
        else:                                               # output layer: the scores, as they are
            caches.append((linear_cache, None, None))
    return h, caches


def mlp_backward(dscores, caches, params):
    """Backward pass of ``mlp_forward``: dscores (N, C) -> grads, keyed and ordered like params."""
    grads = {}
    dout = dscores
    for l in range(len(caches), 0, -1):                     # L, L-1, ..., 1: the chain rule's order
        linear_cache, act_cache, act_backward = caches[l - 1]
        if act_backward is not None:                        # hidden layer: undo the activation first
            dout = act_backward(dout, act_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = layers.linear_backward(dout, linear_cache)
    return {name: grads[name] for name in params}


def loss_and_grads(X, y, params, activation="relu"):
    """Softmax cross-entropy of the MLP on (X, y) and the gradients: ``(loss, grads)``."""
    scores, caches = mlp_forward(X, params, activation)
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, mlp_backward(dscores, caches, params)


def gradient_norms(grads):
    """``[||dW1||, ..., ||dWL||]`` (the square root of the sum of squares), in layer order: (L,)."""
    L = len(grads) // 2
    return np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, L + 1)])


# ================================================================== lesson 06: gradient descent

def sgd_step(params, grads, lr):
    """One gradient-descent step, in place: ``params[name] -= lr * grads[name]`` for every name."""
    for name in params:
        params[name] -= lr * grads[name]


def gradient_descent(grad_fn, theta0, lr, steps):
    """``steps`` steps ``theta <- theta - lr * grad_fn(theta)`` from theta0 (P,), left unchanged.

    Returns the path, shape (steps + 1, P): theta0, then the point after each step.
    """
    theta = np.array(theta0, dtype=float)                   # a copy
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)                 # a new array: path keeps every point
        path.append(theta)
    return np.array(path)


def momentum_step(params, grads, velocity, lr, mu):
    """One step with momentum, in place: ``v <- mu v - lr g``, then ``theta <- theta + v``."""
    for name in params:
        velocity[name] = mu * velocity[name] - lr * grads[name]
        params[name] += velocity[name]


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step, in place. state: ``{"t": steps so far, "m": {...}, "s": {...}}``.

    ``t <- t + 1``; ``m <- beta1 m + (1 - beta1) g``; ``s <- beta2 s + (1 - beta2) g**2``;
    ``theta <- theta - lr m_hat / (sqrt(s_hat) + eps)`` with the bias corrections
    ``m_hat = m / (1 - beta1**t)``, ``s_hat = s / (1 - beta2**t)``.
    """
    state["t"] += 1
    t = state["t"]
    for name in params:
        g = grads[name]
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * g
        state["s"][name] = beta2 * state["s"][name] + (1 - beta2) * g ** 2
        m_hat = state["m"][name] / (1 - beta1 ** t)
        s_hat = state["s"][name] / (1 - beta2 ** t)
        params[name] -= lr * m_hat / (np.sqrt(s_hat) + eps)


# ================================================================== lesson 07: the training loop

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
