"""A multi-layer perceptron built from the forward/backward pairs of ``layers`` and ``losses``.

Forward:  ``h_0 = X``;  ``h_l = act(h_{l-1} @ W_l + b_l)`` for the hidden layers ``l = 1..L-1``;
          ``scores = h_{L-1} @ W_L + b_L`` (no activation on the output layer); then the loss.
          With ``batchnorm=True`` each hidden layer normalises ``h_{l-1} @ W_l + b_l`` before its
          activation, and with ``dropout=p`` each hidden activation is followed by inverted dropout:
          ``linear -> batch normalisation -> activation -> dropout`` (lesson 11).
Backward: the same pieces in reverse order, each turning the upstream gradient into the gradient
          of its input and of its parameters.

A network has two modes, like the layers it is made of: training (``model.train()``, the default)
and evaluation (``model.eval()``); ``model.training`` says which. They differ only with dropout
(identity in evaluation mode) and batch normalisation (the running statistics in evaluation mode).
``predict`` and ``predict_proba`` always compute in evaluation mode.

``model.params`` and ``model.grads`` are dicts keyed ``W1, b1, W2, b2, ...`` (with batch normalisation
also ``gamma1, beta1, ...``). Their arrays are views into one contiguous vector (``model.flat_params`` /
``model.flat_grads``), so an optimizer can also update every parameter in a single numpy operation
(``backprop_helpers.fast`` does); assigning ``model.params["W1"] = new`` copies ``new`` into place (and
checks its shape) so the link is never broken.
"""
from __future__ import annotations

import copy
import math
import numbers
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from .validation import (as_float_array, as_label_array, check_choice, check_finite,
                        check_positive, describe)
from .layers import (ACTIVATIONS, BatchNormCache, DropoutCache, LinearCache, batchnorm_backward,
                     batchnorm_forward, dropout_backward, dropout_forward, linear_backward,
                     linear_forward, sigmoid)
from .losses import LOSSES, softmax

__all__ = ["MLP", "ParamDict", "LayerCache", "init_scale", "network_inputs", "network_targets",
           "predictions", "probabilities", "has_modes", "in_mode", "dropout_generator"]

_LOSS_ALIASES = {"cross_entropy": "softmax_cross_entropy", "softmax": "softmax_cross_entropy",
                 "bce": "binary_cross_entropy", "mean_squared_error": "mse"}
_INITS = {"auto", "he", "xavier", "glorot"}


class LayerCache(NamedTuple):
    """What one layer's forward pass keeps for the backward pass: the caches of its linear map, batch
    normalisation, activation and dropout (``None`` for a piece the layer does not have; the output
    layer has only the linear map)."""
    linear: LinearCache
    batchnorm: BatchNormCache | None
    activation: object
    dropout: DropoutCache | None


def has_modes(model) -> bool:
    """Whether ``model`` has a training and an evaluation mode: a boolean ``training`` and the
    methods ``train()`` and ``eval()`` (an ``MLP`` does; a learner's own model may)."""
    return isinstance(getattr(model, "training", None), bool) and callable(getattr(model, "train", None)) \
        and callable(getattr(model, "eval", None))


@contextmanager
def in_mode(model, training):
    """``with in_mode(model, False): ...`` runs the block in evaluation mode (``True``: training mode)
    and puts the model back in the mode it was in; a model without modes is left alone."""
    if not has_modes(model) or model.training == training:
        yield model
        return
    model.train() if training else model.eval()
    if model.training != training:
        raise TypeError(f"in_mode: {type(model).__name__}.{'train' if training else 'eval'}() must set "
                        f"its training attribute to {training}, but it is {model.training!r} after the call")
    try:
        yield model
    finally:
        model.eval() if training else model.train()


def dropout_generator(seed):
    """The generator of a network's dropout masks for ``seed``: a stream of its own, independent of the
    one that draws the initial weights from the same seed."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


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
    if scheme in ("xavier", "glorot"):
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    raise ValueError(f"init_scale: scheme must be 'he' or 'xavier' (also called 'glorot'), got {scheme!r}")


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
        init: ``auto`` (He for ReLU-like activations, Xavier otherwise), ``he``, ``xavier``, or a
            positive number: the standard deviation of every initial weight.
        reg: the strength of L2 regularisation: adds ``0.5 * reg * sum W**2`` over the weights (never
            the biases, nor gamma and beta), so ``dW += reg * W``. The same as
            ``regularization="l2", reg_strength=reg``; ``model.reg`` reads and sets it.
        regularization: ``None``, ``"l2"`` (adds ``reg_strength/2 * sum W**2``) or ``"l1"``
            (adds ``reg_strength * sum |W|``), on weights only.
        dropout: the probability ``p`` in [0, 1) of dropping each hidden unit in training mode
            (inverted dropout after every hidden activation); the masks come from
            ``model.dropout_rng``, seeded from ``seed``, so a run repeats exactly.
        batchnorm: a batch normalisation after every hidden linear layer, before its activation,
            with parameters ``gamma1, beta1, ...`` (ones and zeros at first) and running statistics
            ``model.running[l] = {"mean": (H,), "var": (H,)}`` outside ``params``.

    After ``forward(X)`` (and ``loss(X, y)``, which runs it), ``model.caches`` holds what the backward
    pass needs: one ``LayerCache(linear, batchnorm, activation, dropout)`` per layer.
    """

    #: batch normalisation's eps and the momentum of its running statistics
    bn_eps = 1e-5
    bn_momentum = 0.9

    def __init__(self, layer_sizes, activation="relu", loss="softmax_cross_entropy", *, seed=0,
                 dtype=np.float64, init="auto", reg=0.0, regularization=None, reg_strength=0.0,
                 dropout=0.0, batchnorm=False):
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
        init = _check_init(fn, init)
        if regularization is not None:
            regularization = check_choice(fn, "regularization", regularization, {"l1", "l2", "none"})
        reg_strength = check_positive(fn, "reg_strength", reg_strength, allow_zero=True)
        reg = check_positive(fn, "reg", reg, allow_zero=True)
        if reg:
            if regularization not in (None, "l2"):
                raise ValueError(f"{fn}: reg={reg:g} is the strength of L2 regularisation, but "
                                 f"regularization={regularization!r} asks for another; give reg alone "
                                 f"(L2), or regularization and reg_strength")
            if reg_strength not in (0.0, reg):
                raise ValueError(f"{fn}: reg={reg:g} and reg_strength={reg_strength:g} both give the "
                                 f"strength of L2 regularisation and disagree; give only one of them")
            regularization, reg_strength = "l2", reg
        self.regularization = None if regularization == "none" else regularization
        self.reg_strength = reg_strength
        if isinstance(dropout, bool):
            raise TypeError(f"{fn}: dropout must be a probability in [0, 1), got {dropout!r}")
        self.dropout = check_positive(fn, "dropout", dropout, allow_zero=True)
        if self.dropout >= 1:
            raise ValueError(f"{fn}: dropout must be a probability in [0, 1) (of dropping each hidden "
                             f"unit), got {dropout!r}")
        if not isinstance(batchnorm, (bool, np.bool_)):
            raise TypeError(f"{fn}: batchnorm must be True or False, got {describe(batchnorm)}")
        self.batchnorm = bool(batchnorm)
        self.training = True
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
            if self.batchnorm and l < self.num_layers:
                shapes[f"gamma{l}"] = (fan_out,)
                shapes[f"beta{l}"] = (fan_out,)
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
        """Draw fresh initial weights (zero biases) from ``seed`` (default: the constructor's); set
        ``gamma`` to ones, ``beta`` to zeros and the running statistics to mean 0, variance 1; and
        seed the generator of the dropout masks again."""
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        for l in range(1, self.num_layers + 1):
            W = self.params[f"W{l}"]
            scale = self.init if isinstance(self.init, float) else init_scale(self.init, *W.shape)
            W[...] = rng.standard_normal(W.shape) * scale
            self.params[f"b{l}"][...] = 0.0
        self.running = {}
        if self.batchnorm:
            for l in range(1, self.num_layers):
                self.params[f"gamma{l}"][...] = 1.0
                self.params[f"beta{l}"][...] = 0.0
                H = self.layer_sizes[l]
                self.running[l] = {"mean": np.zeros(H, self.dtype), "var": np.ones(H, self.dtype)}
        self.dropout_rng = dropout_generator(seed)
        self.flat_grads[:] = 0.0

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Switch to training mode (``mode=False``: evaluation mode); returns the model.

        Training mode draws a dropout mask on every forward pass and normalises with each batch's own
        statistics (updating the running ones); to fit the network, call ``train(model, X, y)`` or
        ``Trainer``."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"MLP.train: mode must be True or False (model.train() switches to training "
                            f"mode; to fit the network call backprop_helpers.train(model, X, y)), "
                            f"got {describe(mode)}")
        self.training = bool(mode)
        return self

    def eval(self):
        """Switch to evaluation mode (inference): dropout off, batch normalisation with the running
        statistics. Returns the model."""
        self.training = False
        return self

    @property
    def task(self):
        """``"regression"`` for MSE, else ``"classification"``."""
        return "regression" if self.loss_name == "mse" else "classification"

    @property
    def num_params(self):
        return self.flat_params.size

    @property
    def reg(self):
        """The strength of L2 regularisation (0 without it, or with L1); setting it chooses L2."""
        return self.reg_strength if self.regularization == "l2" else 0.0

    @reg.setter
    def reg(self, value):
        value = check_positive("MLP.reg", "reg", value, allow_zero=True)
        if value:
            self.regularization, self.reg_strength = "l2", value
        elif self.regularization == "l2":
            self.regularization, self.reg_strength = None, 0.0

    def __repr__(self):
        sizes = "-".join(map(str, self.layer_sizes))
        extras = "".join([", batchnorm" if self.batchnorm else "",
                          f", dropout={self.dropout:g}" if self.dropout else "",
                          "" if self.training else ", evaluation mode"])
        return (f"MLP({sizes}, activation={self.activation!r}, loss={self.loss_name!r}{extras}, "
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
        activation: ``scores = h_{L-1} @ W_L + b_L``. A hidden layer with batch normalisation and
        dropout computes ``linear -> batchnorm -> activation -> dropout``, each in the model's mode
        (in training mode the running statistics are updated, and a new dropout mask is drawn).
        """
        X = self.check_inputs("forward", X)
        act = ACTIVATIONS[self.activation]
        L, P = self.num_layers, self.params
        self.caches = []
        h = X
        for l in range(1, L + 1):
            z, linear_cache = linear_forward(h, P[f"W{l}"], P[f"b{l}"])
            if l == L:                                    # no activation after the output layer
                self.caches.append(LayerCache(linear_cache, None, None, None))
                h = z
                break
            bn_cache = drop_cache = None
            if self.batchnorm:
                z, bn_cache = batchnorm_forward(z, P[f"gamma{l}"], P[f"beta{l}"], eps=self.bn_eps,
                                                train=self.training, running=self.running[l],
                                                momentum=self.bn_momentum)
            h, act_cache = act.forward(z)
            if self.dropout:
                h, drop_cache = dropout_forward(h, self.dropout, rng=self.dropout_rng, train=self.training)
            self.caches.append(LayerCache(linear_cache, bn_cache, act_cache, drop_cache))
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
            want = (self.caches[-1].linear.X.shape[0], self.layer_sizes[-1])
            if dscores.shape != want:
                raise ValueError(f"MLP.backward: dscores must have the shape of the scores {want}, "
                                 f"got {dscores.shape}")
        act = ACTIVATIONS[self.activation]
        L = self.num_layers
        dout = dscores
        for l in range(L, 0, -1):                         # last layer first: the chain rule's order
            cache = self.caches[l - 1]
            if cache.dropout is not None:
                dout = dropout_backward(dout, cache.dropout)
            if l < L:
                dout = act.backward(dout, cache.activation)   # through the activation of layer l
            if cache.batchnorm is not None:
                dout, dgamma, dbeta = batchnorm_backward(dout, cache.batchnorm)
                self.grads[f"gamma{l}"] = dgamma
                self.grads[f"beta{l}"] = dbeta
            dout, dW, db = linear_backward(dout, cache.linear)
            self.grads[f"W{l}"] = dW + self.regularization_gradient(cache.linear.W)
            self.grads[f"b{l}"] = db
        return self.grads

    def predict(self, X):
        """Class indices (N,) for classification, predicted values (N, C) for regression; computed in
        evaluation mode (inference), whatever the model's mode, which stays as it was."""
        with in_mode(self, False):
            return predictions(self.loss_name, self.forward(X))

    def predict_proba(self, X):
        """Class probabilities (N, C) (softmax), or P(class 1) of shape (N,) for binary; computed in
        evaluation mode, like ``predict``."""
        with in_mode(self, False):
            return probabilities("MLP.predict_proba", self.loss_name, self.forward(X))

    def copy(self):
        """An independent network with the same architecture, parameter values, running statistics,
        mode and state of the dropout generator (the copy draws the masks the original would)."""
        other = MLP(self.layer_sizes, self.activation, self.loss_name, seed=self.seed, dtype=self.dtype,
                    init=self.init, regularization=self.regularization, reg_strength=self.reg_strength,
                    dropout=self.dropout, batchnorm=self.batchnorm)
        other.flat_params[:] = self.flat_params
        other.running = copy.deepcopy(self.running)
        other.dropout_rng = copy.deepcopy(self.dropout_rng)
        other.training = self.training
        other.bn_eps, other.bn_momentum = self.bn_eps, self.bn_momentum
        return other


def _check_init(fn, init):
    """A scheme's name, or a positive number (the standard deviation of every initial weight)."""
    if isinstance(init, numbers.Real) and not isinstance(init, bool):
        if not (math.isfinite(init) and init > 0):
            raise ValueError(f"{fn}: init must be one of {sorted(_INITS)} or a positive number (the "
                             f"standard deviation of every initial weight), got {init!r}")
        return float(init)
    if not isinstance(init, str):
        raise TypeError(f"{fn}: init must be one of {sorted(_INITS)} or a positive number (the "
                        f"standard deviation of every initial weight), got {describe(init)}")
    return check_choice(fn, "init", init, _INITS)
