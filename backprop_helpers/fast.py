"""The fast path: the textbook's training step of an ``MLP`` with every speed trick, tested equal to it.

``layers``, ``losses``, ``network`` and ``optim`` read like the lessons: each layer a validated
forward/backward pair, the network their composition, each optimizer its equation applied to one
array at a time. This module computes the same numbers with less work. ``Trainer`` (and through it
the playground) uses it for an ``MLP`` unless asked not to (``Trainer(..., fast=False)``). The tricks:

- **validation once**: ``Trainer`` checks the whole data set when it is created, so a step checks
  nothing, and no caches are built;
- **forward, loss and backward fused** in one function;
- **activations in place**: ``h = max(z, 0)`` overwrites ``z``, and ``h > 0`` (true exactly where
  ``z > 0``) is then the ReLU's backward mask; tanh and sigmoid keep only their output, which is all
  their derivative needs; the loss overwrites the scores with their gradient;
- **gradients written straight into the model's buffers** (``np.matmul(..., out=dW)``,
  ``np.add.reduce(..., out=db)``), and **no dX for the first layer**: nothing needs the gradient of
  the input;
- **the row maximum and the row sums of the scores as C - 1 calls of np.maximum and of + on
  columns** when there are few classes: a reduction along rows of 2 or 3 elements costs more than it
  computes (below 8 columns numpy's row sum adds them in this very order, so the sums are the same);
- **the optimizer's update on the whole parameter vector** (``model.flat_params``, of which every
  parameter array is a view): a few numpy operations per step for the whole network, into scratch
  arrays made once;
- **ufuncs and their methods** (``np.add.reduce``) instead of the array methods that wrap them;
- **a plain network takes a loop of its own**: batch normalisation and dropout (lesson 11) run in a
  second, longer loop, so a network without them pays nothing for them. Batch normalisation keeps
  ``x_hat`` in the buffer of the linear layer's output and computes its backward pass in place;
  dropout draws its masks with ``layers.dropout_mask`` from ``model.dropout_rng``, in the textbook's
  order (layer 1 first), so both paths drop the same units.

The arithmetic is the textbook's, operation for operation and in the same order wherever rounding
depends on it (``p /= sums`` then ``p[true class] -= 1`` then ``p /= N``; ``theta -= lr * g``), so the two
paths give the same parameters step after step (``tests/test_fast.py`` checks it on random networks).
"""
from __future__ import annotations

import numpy as np

from .layers import LEAKY_SLOPE, dropout_mask, sigmoid
from .network import MLP, predictions
from .optim import ARRAY_KEY, SGD, Adam, Momentum, RMSProp

__all__ = ["FastPath", "supports", "COLUMN_MAX_CLASSES", "COLUMN_SUM_CLASSES"]

#: up to this many classes, the row maximum of the scores is taken column by column
COLUMN_MAX_CLASSES = 16
#: below this many classes, the row sums are added column by column (numpy's pairwise summation
#: adds fewer than 8 numbers one after the other, so both give the same sums)
COLUMN_SUM_CLASSES = 8

matmul, maximum, multiply, exp, log, sqrt = np.matmul, np.maximum, np.multiply, np.exp, np.log, np.sqrt
add_reduce, max_reduce = np.add.reduce, np.maximum.reduce


def supports(model) -> bool:
    """Whether the fast path computes what ``model`` computes: an ``MLP``, or a subclass of it that
    keeps MLP's own ``forward``, ``loss`` and ``backward``."""
    return isinstance(model, MLP) and all(getattr(type(model), name) is getattr(MLP, name)
                                          for name in ("forward", "loss", "backward"))


# --------------------------------------------------------------------------- hidden activations
# forward(z) -> h, overwriting z where it can; backward(dout, h) overwrites dout with dL/dz

def relu_forward(z):
    return maximum(z, 0.0, out=z)


def relu_backward(dout, h):
    multiply(dout, h > 0, out=dout)                  # h > 0 exactly where z > 0


def leaky_relu_forward(z):
    multiply(z, LEAKY_SLOPE, out=z, where=z <= 0)
    return z


def leaky_relu_backward(dout, h):
    multiply(dout, LEAKY_SLOPE, out=dout, where=h <= 0)   # h <= 0 exactly where z <= 0


def tanh_forward(z):
    return np.tanh(z, out=z)


def tanh_backward(dout, h):
    d = multiply(h, h)
    np.subtract(1.0, d, out=d)                       # 1 - tanh(z)**2
    dout *= d


def sigmoid_backward(dout, h):
    dout *= h
    dout *= 1.0 - h                                  # dout * s * (1 - s), in the textbook's order


def identity(z):
    return z


def identity_backward(dout, h):
    pass


#: the in-place (forward, backward) of every activation of ``layers.ACTIVATIONS``, by the same name
#: (tests/test_fast.py checks that both tables name the same activations)
IN_PLACE_ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "linear": (identity, identity_backward),
}


# --------------------------------------------------------------------------- losses
# loss(scores, y) -> (loss, dscores), overwriting the scores with their gradient

def row_max(s):
    """The maximum of every row of s (N, C), as a 1-D array."""
    C = s.shape[1]
    if C == 1:
        return s[:, 0].copy()
    if C > COLUMN_MAX_CLASSES:
        return max_reduce(s, axis=1)
    m = maximum(s[:, 0], s[:, 1])
    for j in range(2, C):
        maximum(m, s[:, j], out=m)
    return m


def row_sum(s):
    """The sum of every row of s (N, C), as a 1-D array, equal to ``s.sum(axis=1)``."""
    C = s.shape[1]
    if C == 1:
        return s[:, 0].copy()
    if C >= COLUMN_SUM_CLASSES:
        return add_reduce(s, axis=1)
    total = s[:, 0] + s[:, 1]
    for j in range(2, C):
        total += s[:, j]
    return total


def softmax_cross_entropy(s, y):
    n, C = s.shape
    s -= row_max(s)[:, None]                         # every exponent <= 0
    flat = s.reshape(-1)
    true = y + np.arange(0, n * C, C)                # flat index of each row's true class
    picked = flat[true]
    exp(s, out=s)
    sums = row_sum(s)
    loss = float(add_reduce(log(sums) - picked)) / n
    s /= sums[:, None]                               # the probabilities p
    flat[true] -= 1                                  # p - onehot(y)
    s /= n
    return loss, s


def mse(s, y):
    n = s.shape[0]
    s -= y
    loss = float(np.vdot(s, s)) / n
    s *= 2
    s /= n                                           # 2 (y_hat - y) / N
    return loss, s


def sigmoid_binary_cross_entropy(s, y):
    n = s.shape[0]
    loss = float(add_reduce((maximum(s, 0.0) - y * s + np.log1p(exp(-np.abs(s)))).reshape(-1))) / n
    d = sigmoid(s)
    d -= y
    d /= n                                           # (sigmoid(z) - y) / N
    return loss, d


#: loss name -> function as above
LOSSES = {"softmax_cross_entropy": softmax_cross_entropy, "mse": mse,
          "binary_cross_entropy": sigmoid_binary_cross_entropy}


# --------------------------------------------------------------------------- optimizers
# update(optimizer, theta, g, scratch): the optimizer's rule on the whole parameter vector, its state
# kept where optimizer.step(theta, g) keeps it (optimizer.state[ARRAY_KEY])

def sgd_update(opt, theta, g, scratch):
    step = multiply(g, opt.lr, out=scratch[0])
    theta -= step                                    # theta <- theta - lr * g


def vector_state(opt, theta, count):
    """The optimizer's state arrays for theta, made (zeros) on the first step."""
    state = opt.state.get(ARRAY_KEY)
    if count == 1:
        if state is None or state.shape != theta.shape:
            state = opt.state[ARRAY_KEY] = np.zeros_like(theta)
        return state
    if state is None or state[0].shape != theta.shape:
        state = opt.state[ARRAY_KEY] = tuple(np.zeros_like(theta) for _ in range(count))
    return state


def momentum_update(opt, theta, g, scratch):
    v = vector_state(opt, theta, 1)
    v *= opt.mu
    v -= multiply(opt.lr, g, out=scratch[0])         # v <- mu v - lr g
    theta += v


def rmsprop_update(opt, theta, g, scratch):
    cache = vector_state(opt, theta, 1)
    a, b = scratch
    cache *= opt.decay
    square = multiply(g, g, out=a)
    square *= 1 - opt.decay
    cache += square                                  # cache <- decay cache + (1 - decay) g**2
    sqrt(cache, out=b)
    b += opt.eps
    multiply(g, opt.lr, out=a)
    a /= b
    theta -= a                                       # theta <- theta - lr g / (sqrt(cache) + eps)


def adam_update(opt, theta, g, scratch):
    m, s = vector_state(opt, theta, 2)
    b1, b2 = opt.beta1, opt.beta2
    a, b = scratch
    m *= b1
    m += multiply(g, 1 - b1, out=a)                  # m <- b1 m + (1 - b1) g
    s *= b2
    square = multiply(g, g, out=a)
    square *= 1 - b2
    s += square                                      # s <- b2 s + (1 - b2) g**2
    np.divide(m, 1 - b1 ** opt.t, out=a)             # m_hat
    np.divide(s, 1 - b2 ** opt.t, out=b)             # s_hat
    np.sqrt(b, out=b)
    b += opt.eps
    a *= opt.lr
    a /= b
    theta -= a                                       # theta <- theta - lr m_hat / (sqrt(s_hat) + eps)


#: optimizer class -> update as above (a subclass, or any other optimizer, takes ``optimizer.step``)
UPDATES = {SGD: sgd_update, Momentum: momentum_update, RMSProp: rmsprop_update, Adam: adam_update}


# --------------------------------------------------------------------------- batch normalisation
# the textbook's batchnorm_forward and batchnorm_backward, operation for operation, in place

def batchnorm_train(z, gamma, beta, eps, running, momentum):
    """Training mode on z (N, H), which becomes x_hat; returns (out, x_hat, inv_std) and moves the
    running statistics."""
    n = z.shape[0]
    mean = add_reduce(z, axis=0)
    mean /= n
    z -= mean                                        # centred
    var = add_reduce(multiply(z, z), axis=0)
    var /= n                                         # biased variance
    running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
    running["var"] = momentum * running["var"] + (1 - momentum) * var
    var += eps
    inv_std = np.divide(1.0, sqrt(var, out=var), out=var)
    x_hat = multiply(z, inv_std, out=z)
    out = multiply(x_hat, gamma)
    out += beta
    return out, x_hat, inv_std


def batchnorm_eval(z, gamma, beta, eps, running):
    """Evaluation mode on z (N, H), which becomes x_hat; returns (out, x_hat, inv_std)."""
    inv_std = 1.0 / sqrt(running["var"] + eps)
    z -= running["mean"]
    x_hat = multiply(z, inv_std, out=z)
    out = multiply(x_hat, gamma)
    out += beta
    return out, x_hat, inv_std


def batchnorm_backward(dout, x_hat, gamma, inv_std, dgamma, dbeta, train):
    """dgamma and dbeta into their buffers; returns dX (dout is overwritten)."""
    add_reduce(dout, axis=0, out=dbeta)
    t = multiply(dout, x_hat)
    add_reduce(t, axis=0, out=dgamma)
    if not train:
        dout *= gamma * inv_std
        return dout
    n = dout.shape[0]
    dout *= n
    dout -= dbeta
    dout -= multiply(x_hat, dgamma, out=t)
    coefficient = gamma * inv_std
    coefficient /= n
    dout *= coefficient                              # (gamma inv_std / N)(N dout - dbeta - x_hat dgamma)
    return dout


# --------------------------------------------------------------------------- the path

class FastPath:
    """The training step of an ``MLP``, fused. ``Trainer`` calls the same four methods on it as on
    ``training.TextbookPath``:

    - ``start_step(X, y)``: forward, loss and backward; returns the loss (regularization included)
      and leaves the gradients in ``model.grads``;
    - ``finish_step(optimizer)``: the optimizer's update of every parameter;
    - ``evaluate_loss(X, y)`` and ``predict(X)``: with the current parameters, in evaluation mode
      (inference: no dropout, batch normalisation with the running statistics), nothing stored.

    ``start_step`` runs in the model's mode (``Trainer`` puts it in training mode), drawing the dropout
    masks and moving the running statistics as ``model.loss`` does.

    ``X`` and ``y`` must have been checked already (``model.check_inputs``, ``model.check_targets``).
    The model's regularization may change between steps (the playground changes it live), its
    architecture may not.
    """

    def __init__(self, model):
        if not supports(model):
            raise TypeError(f"FastPath: model must be an MLP with MLP's own forward, loss and backward, "
                            f"got {type(model).__name__}")
        self.model = model
        L = model.num_layers
        self.weights = [model.params[f"W{l}"] for l in range(1, L + 1)]
        self.hidden_layers = [(model.params[f"W{l}"], model.params[f"b{l}"]) for l in range(1, L)]
        self.output_layer = (model.params[f"W{L}"], model.params[f"b{L}"])
        # backward, last layer first: (index of the layer's input, W, dW, db)
        self.backward_layers = [(l - 1, model.params[f"W{l}"], model.grads[f"W{l}"], model.grads[f"b{l}"])
                                for l in range(L, 0, -1)]
        self.weight_grads = [model.grads[f"W{l}"] for l in range(1, L + 1)]
        self.act_forward, self.act_backward = IN_PLACE_ACTIVATIONS[model.activation]
        self.loss_and_grad = LOSSES[model.loss_name]
        self.scratch = (np.empty_like(model.flat_params), np.empty_like(model.flat_params))
        # batch normalisation of hidden layer l: (l, gamma, beta, dgamma, dbeta)
        self.norms = [(l, model.params[f"gamma{l}"], model.params[f"beta{l}"], model.grads[f"gamma{l}"],
                       model.grads[f"beta{l}"]) for l in range(1, L)] if model.batchnorm else []

    def scores(self, X):
        """The network's output for X (N, D) in evaluation mode, computed in place, nothing kept."""
        if self.norms:
            return self.normalised_scores(X)
        act, h = self.act_forward, X
        for W, b in self.hidden_layers:
            h = matmul(h, W)
            h += b
            h = act(h)
        W, b = self.output_layer
        s = matmul(h, W)
        s += b
        return s

    def normalised_scores(self, X):
        """``scores`` of a network with batch normalisation (running statistics)."""
        model, act, h = self.model, self.act_forward, X
        for (W, b), (l, gamma, beta, _, _) in zip(self.hidden_layers, self.norms):
            z = matmul(h, W)
            z += b
            h = act(batchnorm_eval(z, gamma, beta, model.bn_eps, model.running[l])[0])
        W, b = self.output_layer
        s = matmul(h, W)
        s += b
        return s

    def start_step(self, X, y):
        """Forward, loss and backward on a checked batch, in the model's mode; returns the loss,
        gradients in model.grads."""
        model = self.model
        if self.norms or (model.dropout and model.training):
            return self.start_deep_step(X, y)
        act, h = self.act_forward, X
        inputs = [X]                                 # the input of every linear layer
        for W, b in self.hidden_layers:
            h = matmul(h, W)
            h += b
            h = act(h)
            inputs.append(h)
        W, b = self.output_layer
        s = matmul(h, W)
        s += b
        loss, dout = self.loss_and_grad(s, y)
        act_backward = self.act_backward
        for i, W, dW, db in self.backward_layers:
            h = inputs[i]
            matmul(h.T, dout, out=dW)                # dW = h.T @ dout
            add_reduce(dout, axis=0, out=db)         # db = dout summed over the batch
            if i:                                    # no dX for the first layer
                dout = matmul(dout, W.T)
                act_backward(dout, h)
        model = self.model
        model.caches = None                          # model.backward() needs a fresh model.loss()
        if model.regularization and model.reg_strength:
            for W, dW in zip(self.weights, self.weight_grads):
                dW += model.regularization_gradient(W)
            loss += model.regularization_loss()
        return loss

    def start_deep_step(self, X, y):
        """``start_step`` for a network with batch normalisation or dropout."""
        model = self.model
        train = model.training
        p = model.dropout if train else 0.0
        norms = self.norms or [None] * len(self.hidden_layers)
        act, h = self.act_forward, X
        inputs = [X]                                 # the input of every linear layer
        kept = []                                    # per hidden layer: (activation output, mask, norm)
        for (W, b), norm in zip(self.hidden_layers, norms):
            z = matmul(h, W)
            z += b
            if norm is not None:
                l, gamma, beta = norm[:3]
                if train:
                    z, x_hat, inv_std = batchnorm_train(z, gamma, beta, model.bn_eps, model.running[l],
                                                        model.bn_momentum)
                else:
                    z, x_hat, inv_std = batchnorm_eval(z, gamma, beta, model.bn_eps, model.running[l])
                norm = (x_hat, inv_std) + norm[1:]
            h = act(z)
            mask = dropout_mask(h.shape, p, model.dropout_rng, h.dtype) if p else None
            kept.append((h, mask, norm))
            if mask is not None:
                h = multiply(h, mask)                # a new array: the activation's backward needs h
            inputs.append(h)
        W, b = self.output_layer
        s = matmul(h, W)
        s += b
        loss, dout = self.loss_and_grad(s, y)
        act_backward = self.act_backward
        for i, W, dW, db in self.backward_layers:
            matmul(inputs[i].T, dout, out=dW)        # dW = h.T @ dout
            add_reduce(dout, axis=0, out=db)
            if i:
                dout = matmul(dout, W.T)
                h, mask, norm = kept[i - 1]
                if mask is not None:
                    dout *= mask
                act_backward(dout, h)
                if norm is not None:
                    x_hat, inv_std, gamma, _, dgamma, dbeta = norm
                    dout = batchnorm_backward(dout, x_hat, gamma, inv_std, dgamma, dbeta, train)
        model.caches = None
        if model.regularization and model.reg_strength:
            for W, dW in zip(self.weights, self.weight_grads):
                dW += model.regularization_gradient(W)
            loss += model.regularization_loss()
        return loss

    def finish_step(self, optimizer):
        """The optimizer's update of model.flat_params from model.flat_grads."""
        update = UPDATES.get(type(optimizer))
        model = self.model
        if update is None:
            optimizer.step(model.flat_params, model.flat_grads)
            return
        optimizer.t += 1
        update(optimizer, model.flat_params, model.flat_grads, self.scratch)

    def evaluate_loss(self, X, y):
        """The loss on a checked X, y in evaluation mode (regularization included), no gradient kept."""
        loss, _ = self.loss_and_grad(self.scores(X), y)
        return loss + self.model.regularization_loss()

    def predict(self, X):
        """What ``model.predict(X)`` returns (evaluation mode), for a checked X."""
        return predictions(self.model.loss_name, self.scores(X))
