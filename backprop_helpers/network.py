"""A multi-layer perceptron built from the forward/backward pairs of ``layers`` and ``losses``.

Forward:  ``h_0 = X``;  ``h_l = act(h_{l-1} @ W_l + b_l)`` for the hidden layers ``l = 1..L-1``;
          ``scores = h_{L-1} @ W_L + b_L`` (no activation on the output layer); then the loss.
Backward: the same pieces in reverse order, each turning the upstream gradient into the gradient
          of its input and of its parameters.

``model.params`` and ``model.grads`` are dicts keyed ``W1, b1, W2, b2, ...``. Their arrays are views
into one contiguous vector (``model.flat_params`` / ``model.flat_grads``), so an optimizer can also
update every parameter in a single numpy operation (``backprop_helpers.fast`` does); assigning
``model.params["W1"] = new`` copies ``new`` into place (and checks its shape) so the link is never broken.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .validation import (as_float_array, as_label_array, check_choice, check_finite,
                        check_positive, describe)
from .layers import ACTIVATIONS, linear_backward, linear_forward, sigmoid
from .losses import LOSSES, softmax

__all__ = ["MLP", "ParamDict", "init_scale", "network_inputs", "network_targets",
           "predictions", "probabilities"]

_LOSS_ALIASES = {"cross_entropy": "softmax_cross_entropy", "softmax": "softmax_cross_entropy",
                 "bce": "binary_cross_entropy", "mean_squared_error": "mse"}
_INITS = {"auto", "he", "xavier", "glorot"}


class ParamDict(dict):
    """A dict of parameter arrays whose assignment copies into the existing array.

    ``d["W1"] = value`` checks that ``value`` has the shape of ``W1`` and copies it in place, so the
    array stays a view into the model's flat parameter vector. New keys cannot be added.
    """

    def __setitem__(self, key, value):
        if key not in self:
            raise KeyError(f"ParamDict: no parameter named {key!r}; the names are {list(self)}")
        target = dict.__getitem__(self, key)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"ParamDict: {key} must have shape {target.shape}, got {value.shape}")
        np.copyto(target, value)


def init_scale(scheme: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the initial weights.

    - He (for ReLU): ``sqrt(2 / fan_in)`` keeps the variance of activations constant through ReLU
      layers, which zero out half of their inputs on average.
    - Xavier/Glorot (for tanh, sigmoid, linear): ``sqrt(2 / (fan_in + fan_out))`` balances the variance
      of activations going forward and of gradients going backward.
    """
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def network_inputs(name, X, layer_sizes, dtype):
    """Validate a network's input batch X (N, D); whole numbers are converted to ``dtype``."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
        X = X.astype(dtype)                   # whole-number inputs are fine for a network
    X = as_float_array(name, "X", X, ndim=2, allow_complex=False)
    if X.shape[1] != layer_sizes[0]:
        raise ValueError(f"{name}: X has {X.shape[1]} features but the network expects "
                         f"{layer_sizes[0]} (X.shape={X.shape}, layer_sizes={tuple(layer_sizes)})")
    check_finite(name, "X", X)
    return X if X.dtype == dtype else X.astype(dtype)


def network_targets(name, y, n, loss_name, C, dtype):
    """Validate the targets of ``n`` examples for a network with ``C`` outputs and this loss."""
    if loss_name == "softmax_cross_entropy":
        return as_label_array(name, "y", y, num_classes=C, n=n)
    if isinstance(y, np.ndarray) and y.dtype.kind in "iub":
        y = y.astype(dtype)
    y = as_float_array(name, "y", y, ndim=(1, 2), allow_complex=False)
    if y.ndim == 1 and C == 1:
        y = y.reshape(-1, 1)                  # (N,) targets for a single output: unambiguous
    if y.shape != (n, C):
        raise ValueError(f"{name}: y must have shape (N, C) = ({n}, {C}) for the {loss_name} loss, "
                         f"got y.shape={y.shape}")
    check_finite(name, "y", y)
    if loss_name == "binary_cross_entropy" and np.any((y < 0) | (y > 1)):
        raise ValueError(f"{name}: y must hold 0/1 targets for binary_cross_entropy, "
                         f"got values from {y.min()} to {y.max()}")
    return y.astype(dtype, copy=False)


def predictions(loss_name, scores):
    """What a network with this loss predicts from its scores (N, C): class indices (N,) for
    classification (the largest score; score > 0 for binary), the scores themselves for regression."""
    if loss_name == "softmax_cross_entropy":
        return scores.argmax(axis=1)
    if loss_name == "binary_cross_entropy":
        return (scores[:, 0] > 0).astype(np.int64)
    return scores


def probabilities(name, loss_name, scores):
    """Class probabilities from scores: softmax (N, C), or P(class 1) (N,) for binary."""
    if loss_name == "softmax_cross_entropy":
        return softmax(scores)
    if loss_name == "binary_cross_entropy":
        return sigmoid(scores[:, 0])
    raise ValueError(f"{name}: a regression network (mse loss) has no probabilities")


class MLP:
    """A fully connected network: linear layers with an activation between them.

    Args:
        layer_sizes: ``(D, H1, ..., C)``: input features, hidden units per layer, outputs.
        activation: hidden activation, one of ``relu, leaky_relu, tanh, sigmoid, linear``.
        loss: ``softmax_cross_entropy`` (labels 0..C-1), ``mse`` (targets (N, C)) or
            ``binary_cross_entropy`` (C = 1, targets 0/1 of shape (N, 1), sigmoid on the output).
        seed: seed of the initial weights; the same seed gives the same network.
        dtype: ``np.float64`` (default, needed for gradient checking) or ``np.float32``.
        init: ``auto`` (He for ReLU-like activations, Xavier otherwise), ``he`` or ``xavier``.
        regularization: ``None``, ``"l2"`` (adds ``reg_strength/2 * sum W**2``) or ``"l1"``
            (adds ``reg_strength * sum |W|``), on weights only.

    After ``forward(X)`` (and ``loss(X, y)``, which runs it), ``model.caches`` holds what the backward
    pass needs: one ``(linear cache, activation cache)`` pair per layer, the activation cache ``None``
    for the output layer.
    """

    def __init__(self, layer_sizes, activation="relu", loss="softmax_cross_entropy", *, seed=0,
                 dtype=np.float64, init="auto", regularization=None, reg_strength=0.0):
        fn = "MLP"
        if not isinstance(layer_sizes, (list, tuple)) or len(layer_sizes) < 2:
            raise ValueError(f"{fn}: layer_sizes must be a list like [D, H, C] with at least an input "
                             f"and an output size, got {describe(layer_sizes)}")
        for i, size in enumerate(layer_sizes):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise ValueError(f"{fn}: layer_sizes[{i}] must be a positive integer (units in that "
                                 f"layer), got {size!r}")
        self.activation = check_choice(fn, "activation", activation, ACTIVATIONS)
        loss = loss.lower() if isinstance(loss, str) else loss
        self.loss_name = check_choice(fn, "loss", _LOSS_ALIASES.get(loss, loss), LOSSES)
        if self.loss_name == "binary_cross_entropy" and layer_sizes[-1] != 1:
            raise ValueError(f"{fn}: binary_cross_entropy needs one output unit (layer_sizes ending "
                             f"in 1), got {layer_sizes[-1]} outputs; use softmax_cross_entropy for "
                             f"{layer_sizes[-1]} classes")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{fn}: dtype must be np.float64 or np.float32, got {dtype}")
        init = check_choice(fn, "init", init, _INITS)
        if regularization is not None:
            regularization = check_choice(fn, "regularization", regularization, {"l1", "l2", "none"})
            regularization = None if regularization == "none" else regularization
        self.regularization = regularization
        self.reg_strength = check_positive(fn, "reg_strength", reg_strength, allow_zero=True)
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.num_layers = len(layer_sizes) - 1
        self.dtype = dtype
        self.seed = seed
        if init == "auto":
            init = ACTIVATIONS[self.activation].init
        self.init = "xavier" if init == "glorot" else init

        # storage: every parameter (and its gradient) is a view into one flat vector
        shapes = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:]), 1):
            shapes[f"W{l}"] = (fan_in, fan_out)
            shapes[f"b{l}"] = (fan_out,)
        total = sum(int(np.prod(s)) for s in shapes.values())
        self.flat_params = np.zeros(total, dtype=dtype)
        self.flat_grads = np.zeros(total, dtype=dtype)
        self.params, self.grads = ParamDict(), ParamDict()
        offset = 0
        for name, shape in shapes.items():
            size = int(np.prod(shape))
            dict.__setitem__(self.params, name, self.flat_params[offset:offset + size].reshape(shape))
            dict.__setitem__(self.grads, name, self.flat_grads[offset:offset + size].reshape(shape))
            offset += size
        self.reset(seed)
        self.caches = None
        self._dscores = None

    # ------------------------------------------------------------------ set-up
    def reset(self, seed=None):
        """Draw fresh initial weights (zero biases) from ``seed`` (default: the constructor's)."""
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        for l in range(1, self.num_layers + 1):
            W = self.params[f"W{l}"]
            W[...] = rng.standard_normal(W.shape) * init_scale(self.init, *W.shape)
            self.params[f"b{l}"][...] = 0.0
        self.flat_grads[:] = 0.0

    @property
    def task(self):
        """``"regression"`` for MSE, else ``"classification"``."""
        return "regression" if self.loss_name == "mse" else "classification"

    @property
    def num_params(self):
        return self.flat_params.size

    def __repr__(self):
        sizes = "-".join(map(str, self.layer_sizes))
        return (f"MLP({sizes}, activation={self.activation!r}, loss={self.loss_name!r}, "
                f"{self.num_params} parameters)")

    # ------------------------------------------------------------------ validation
    def check_inputs(self, fn, X):
        """Validate an input batch X (N, D) for this network; returns it in the network's dtype.
        Error messages name ``MLP.<fn>``."""
        return network_inputs(f"MLP.{fn}", X, self.layer_sizes, self.dtype)

    def check_targets(self, fn, y, n):
        """Validate targets of ``n`` examples for this network's loss; returns them ready for it."""
        return network_targets(f"MLP.{fn}", y, n, self.loss_name, self.layer_sizes[-1], self.dtype)

    # ------------------------------------------------------------------ regularization
    def regularization_loss(self):
        """The penalty added to the loss: ``reg_strength/2 * sum W**2`` (L2) or
        ``reg_strength * sum |W|`` (L1), over the weights only, never the biases; 0 without one."""
        if not self.regularization or self.reg_strength == 0.0:
            return 0.0
        total = 0.0
        for l in range(1, self.num_layers + 1):
            W = self.params[f"W{l}"]
            total += float(np.vdot(W, W)) / 2 if self.regularization == "l2" else float(np.abs(W).sum())
        return self.reg_strength * total

    def regularization_gradient(self, W):
        """The penalty's gradient with respect to one weight matrix W: ``reg_strength * W`` (L2) or
        ``reg_strength * sign(W)`` (L1); 0 without regularization."""
        if not self.regularization or self.reg_strength == 0.0:
            return 0.0
        return self.reg_strength * (W if self.regularization == "l2" else np.sign(W))

    # ------------------------------------------------------------------ the five stages
    def forward(self, X):
        """Forward pass: scores of shape (N, C). Keeps in ``self.caches`` what ``backward`` needs.

        ``h_0 = X``; ``h_l = act(h_{l-1} @ W_l + b_l)`` for the hidden layers; the output layer has no
        activation: ``scores = h_{L-1} @ W_L + b_L``.
        """
        X = self.check_inputs("forward", X)
        act = ACTIVATIONS[self.activation]
        L = self.num_layers
        self.caches = []
        h = X
        for l in range(1, L + 1):
            z, linear_cache = linear_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
            if l < L:
                h, act_cache = act.forward(z)
            else:
                h, act_cache = z, None                    # no activation after the output layer
            self.caches.append((linear_cache, act_cache))
        self._dscores = None
        return h

    def loss(self, X, y):
        """Forward pass and loss (mean over the batch, plus regularization). Returns a float.

        Keeps the loss's gradient with respect to the scores for ``backward``. Scores that are no longer
        finite numbers (weights blown up by too large a learning rate) give a NaN loss.
        """
        X = self.check_inputs("loss", X)
        y = self.check_targets("loss", y, X.shape[0])
        scores = self.forward(X)
        if not np.isfinite(scores).all():
            return math.nan
        data_loss, self._dscores = LOSSES[self.loss_name](scores, y)
        return data_loss + self.regularization_loss()

    def backward(self, dscores=None):
        """Backward pass: fills and returns ``self.grads`` (dL/dW1, dL/db1, ...).

        Uses the gradient of the loss from the last ``loss(X, y)`` call, or ``dscores`` (N, C) if given
        (the gradient of any scalar with respect to the scores of the last ``forward``).
        """
        if self.caches is None:
            raise RuntimeError("MLP.backward: call loss(X, y) (or forward(X) and pass dscores) first")
        if dscores is None:
            if self._dscores is None:
                raise RuntimeError("MLP.backward: there is no loss gradient; call loss(X, y) first, "
                                   "or pass dscores")
            dscores = self._dscores
        else:
            dscores = as_float_array("MLP.backward", "dscores", dscores, ndim=2, allow_complex=False)
            want = (self.caches[-1][0].X.shape[0], self.layer_sizes[-1])
            if dscores.shape != want:
                raise ValueError(f"MLP.backward: dscores must have the shape of the scores {want}, "
                                 f"got {dscores.shape}")
        act = ACTIVATIONS[self.activation]
        L = self.num_layers
        dout = dscores
        for l in range(L, 0, -1):                         # last layer first: the chain rule's order
            linear_cache, act_cache = self.caches[l - 1]
            if l < L:
                dout = act.backward(dout, act_cache)      # through the activation of layer l
            dout, dW, db = linear_backward(dout, linear_cache)
            self.grads[f"W{l}"] = dW + self.regularization_gradient(linear_cache.W)
            self.grads[f"b{l}"] = db
        return self.grads

    def predict(self, X):
        """Class indices (N,) for classification, predicted values (N, C) for regression."""
        return predictions(self.loss_name, self.forward(X))

    def predict_proba(self, X):
        """Class probabilities (N, C) (softmax), or P(class 1) of shape (N,) for binary."""
        return probabilities("MLP.predict_proba", self.loss_name, self.forward(X))

    def copy(self):
        """An independent network with the same architecture and parameter values."""
        other = MLP(self.layer_sizes, self.activation, self.loss_name, seed=self.seed, dtype=self.dtype,
                    init=self.init, regularization=self.regularization, reg_strength=self.reg_strength)
        other.flat_params[:] = self.flat_params
        return other
