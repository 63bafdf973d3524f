"""A network built from the learner's own functions, with the signatures of the lessons.

The lessons have the learner write every piece of a network as a plain function (no caches):

    linear_forward(X, W, b)     -> out                 out = X @ W + b                      (N, H)
    linear_backward(dout, X, W) -> (dX, dW, db)        dout @ W.T, X.T @ dout, dout.sum(axis=0)
    activation_forward(x)       -> out                 e.g. relu(x) = max(x, 0)
    activation_backward(dout, x)   -> dx               relu, leaky_relu, linear: from the input x
    activation_backward(dout, out) -> dx               sigmoid, tanh: from the output out
    loss_fn(scores, y)          -> (loss, dscores)     the mean over the batch, and dL/dscores (N, C)

``FunctionMLP`` composes such functions into a network with the interface of ``MLP`` (``params`` and
``grads`` dicts keyed ``W1, b1, ...``, ``loss(X, y)``, ``backward()``, ``predict(X)``), so ``Trainer`` and
``train`` work with it. Each function defaults to the reference (``backprop_helpers.reference``), so a
learner can swap in one piece at a time. The same seed gives the same initial weights as ``MLP``: with the
reference functions both networks compute the same losses and gradients (up to rounding).

A learner's function that raises, returns the wrong shape or modifies its input in place stops the network
with a ``LearnerFunctionError`` naming the function, the layer and the shapes involved. Inputs are passed
read-only for that reason: an in-place change would silently corrupt what the backward pass needs.
Before training, ``backprop_helpers.checks.check_network_functions`` runs each function through the check
of the lesson where it was an exercise, and hands back the reference for any that does not pass yet.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .validation import describe
from . import reference
from .layers import ACTIVATIONS
from .losses import LOSSES
from .network import MLP, network_inputs, network_targets, predictions, probabilities

__all__ = ["FunctionMLP", "LearnerFunctionError", "reference_functions", "ROLES", "BACKWARD_FROM"]

#: the five pieces of a network, in the order they run
ROLES = ("linear_forward", "activation_forward", "loss_fn", "activation_backward", "linear_backward")

#: what the second argument of each activation's backward is: its input x or its output out
BACKWARD_FROM = {name: act.backward_from for name, act in ACTIVATIONS.items()}

_SIGNATURES = {
    "linear_forward": "linear_forward(X, W, b) -> out",
    "linear_backward": "linear_backward(dout, X, W) -> (dX, dW, db)",
    "activation_forward": "activation(x) -> out",
    "activation_backward": "activation_backward(dout, {}) -> dx",
    "loss_fn": "loss(scores, y) -> (loss, dscores)",
}


class LearnerFunctionError(RuntimeError):
    """A function given to ``FunctionMLP`` raised or returned something unusable.

    ``role`` is the piece it plays (``"linear_backward"``, ...) and ``function`` the function itself.
    """

    def __init__(self, message: str, role: str, function: Callable):
        super().__init__(message)
        self.role = role
        self.function = function


# ------------------------------------------------------------------ the reference, lesson signatures

#: activation name -> the lessons' (activation(x), activation_backward(dout, x or out)) in ``reference``
_LESSON_ACTIVATIONS = {"relu": (reference.relu, reference.relu_backward),
                       "sigmoid": (reference.sigmoid, reference.sigmoid_backward),
                       "tanh": (reference.tanh, reference.tanh_backward)}

#: loss name -> the lessons' loss(scores, y) -> (loss, dscores) in ``reference``
_LESSON_LOSSES = {"softmax_cross_entropy": reference.softmax_cross_entropy, "mse": reference.mse_loss}


def _activation_pair(name):
    """The lessons' pair for ``name``; for an activation no lesson asks for (leaky ReLU, linear), the
    library's pair from ``ACTIVATIONS`` with the same signatures."""
    if name in _LESSON_ACTIVATIONS:
        return _LESSON_ACTIVATIONS[name]
    act = ACTIVATIONS[name]
    return (lambda x: act(x)), (lambda dout, arg: act.backward(dout, act.cache_from(arg)))


def _playing(role_name, fn):
    """``fn`` under the name of the role it plays, marked as the reference (a new function: the
    functions of ``reference`` themselves stay as they are)."""
    def role(*args):
        return fn(*args)
    role.__name__ = role.__qualname__ = role_name
    role.is_reference = True
    return role


def reference_functions(activation: str = "relu", loss: str = "softmax_cross_entropy") -> dict:
    """The reference implementations with the lesson signatures, keyed by role (see ``ROLES``).

    They are the functions of ``backprop_helpers.reference`` (for the binary cross-entropy from raw
    scores, and for an activation no lesson asks for, the library's kernel with the same signature).
    ``activation_backward`` takes ``(dout, x)`` or ``(dout, out)`` as ``BACKWARD_FROM[activation]`` says.
    Each function carries ``is_reference = True``, so a ``FunctionMLP`` given one of them knows it is
    not the learner's.
    """
    spec = MLP((1, 1), activation=activation, loss=loss)      # validates both names, resolves aliases
    act_forward, act_backward = _activation_pair(spec.activation)
    return {"linear_forward": _playing("linear_forward", reference.linear_forward),
            "activation_forward": _playing(spec.activation, act_forward),
            "loss_fn": _playing(spec.loss_name, _LESSON_LOSSES.get(spec.loss_name, LOSSES[spec.loss_name])),
            "activation_backward": _playing(f"{spec.activation}_backward", act_backward),
            "linear_backward": _playing("linear_backward", reference.linear_backward)}


# ------------------------------------------------------------------ calling a learner's function

def _frozen(a):
    """A read-only view: a function that writes into its input raises instead of corrupting it."""
    view = a.view()
    view.flags.writeable = False
    return view


def _as_result_array(value):
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, float, int, np.floating)):
        return np.asarray(value, dtype=float)
    return None


class FunctionMLP:
    """A fully connected network whose pieces are the learner's functions (default: the reference).

    Args:
        layer_sizes: ``(D, H1, ..., C)``, as for ``MLP``; ``(D, C)`` is a network without hidden layer.
        activation: the hidden activation's name (``relu, leaky_relu, tanh, sigmoid, linear``); it picks
            the default activation functions, the initialisation, and whether ``activation_backward``
            receives the input ``x`` or the output ``out`` (``BACKWARD_FROM``).
        loss: ``softmax_cross_entropy``, ``mse`` or ``binary_cross_entropy`` (from raw scores).
        linear_forward, linear_backward, activation_forward, activation_backward, loss_fn: the
            learner's functions with the signatures of the module docstring; ``None`` for the reference.
        seed, init, regularization, reg_strength, dtype: as for ``MLP`` (same seed, same weights).
    """

    def __init__(self, layer_sizes, activation="relu", loss="softmax_cross_entropy", *,
                 linear_forward=None, linear_backward=None, activation_forward=None,
                 activation_backward=None, loss_fn=None, seed=0, init="auto", regularization=None,
                 reg_strength=0.0, dtype=np.float64):
        self._spec = MLP(layer_sizes, activation, loss, seed=seed, dtype=dtype, init=init,
                         regularization=regularization, reg_strength=reg_strength)
        spec = self._spec
        self.layer_sizes, self.num_layers = spec.layer_sizes, spec.num_layers
        self.activation, self.loss_name, self.dtype = spec.activation, spec.loss_name, spec.dtype
        self.regularization, self.reg_strength, self.seed = spec.regularization, spec.reg_strength, seed
        given = {"linear_forward": linear_forward, "linear_backward": linear_backward,
                 "activation_forward": activation_forward, "activation_backward": activation_backward,
                 "loss_fn": loss_fn}
        defaults = reference_functions(self.activation, self.loss_name)
        self.functions = {}
        for role in ROLES:
            fn = given[role]
            if fn is not None and not callable(fn):
                raise TypeError(f"FunctionMLP: {role} must be a function with the signature "
                                f"{self._signature(role)}, or None for the reference; got {describe(fn)}")
            self.functions[role] = defaults[role] if fn is None else fn
        self._own = {role for role in ROLES
                     if given[role] is not None and not getattr(given[role], "is_reference", False)}
        self.params = {k: v.copy() for k, v in spec.params.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._caches = None
        self._dscores = None

    # ------------------------------------------------------------------ set-up and description
    def reset(self, seed=None):
        """Draw fresh initial weights (the ones ``MLP`` draws for ``seed``), zero the gradients."""
        self._spec.reset(self.seed if seed is None else seed)
        for k, v in self._spec.params.items():
            self.params[k][...] = v
            self.grads[k][...] = 0.0
        self._caches = self._dscores = None

    def copy(self):
        """An independent network with the same functions and parameter values."""
        other = FunctionMLP(self.layer_sizes, self.activation, self.loss_name, seed=self.seed,
                            dtype=self.dtype, init=self._spec.init, regularization=self.regularization,
                            reg_strength=self.reg_strength,
                            **{role: self.functions[role] for role in self._own})
        for k, v in self.params.items():
            other.params[k][...] = v
        return other

    @property
    def task(self):
        """``"regression"`` for MSE, else ``"classification"``."""
        return "regression" if self.loss_name == "mse" else "classification"

    @property
    def num_params(self):
        return sum(v.size for v in self.params.values())

    def uses_reference(self, role):
        """True when ``role`` (one of ``ROLES``) runs the reference rather than a function given."""
        return role not in self._own

    def __repr__(self):
        own = ", ".join(self.functions[r].__name__ for r in ROLES if r in self._own) or "none"
        return (f"FunctionMLP({'-'.join(map(str, self.layer_sizes))}, activation={self.activation!r}, "
                f"loss={self.loss_name!r}, your functions: {own})")

    def _signature(self, role):
        return _SIGNATURES[role].format("x" if BACKWARD_FROM[self.activation] == "input" else "out")

    # ------------------------------------------------------------------ calling the functions
    def _label(self, role):
        fn = self.functions[role]
        who = f"your {getattr(fn, '__name__', role)}" if role in self._own else f"the reference {role}"
        return f"{who} (the {role}, {self._signature(role)})" if role in self._own else who

    def _call(self, role, where, *args):
        fn = self.functions[role]
        try:
            return fn(*(_frozen(a) if isinstance(a, np.ndarray) else a for a in args))
        except NotImplementedError:
            raise LearnerFunctionError(f"FunctionMLP: {self._label(role)} is not written yet: it raises "
                                       f"NotImplementedError ({where})", role, fn) from None
        except Exception as exc:  # a learner's function may raise anything; say which one it was
            text = f"{type(exc).__name__}: {exc}"
            hint = ""
            if "read-only" in str(exc):
                hint = (". It tried to change one of its input arrays in place; compute a new array "
                        "instead (for example np.maximum(x, 0) rather than x[x < 0] = 0)")
            raise LearnerFunctionError(f"FunctionMLP: {self._label(role)} raised {text} ({where}){hint}",
                                       role, fn) from exc

    def _array(self, role, where, value, shape, what):
        arr = _as_result_array(value)
        if arr is None:
            extra = ""
            if isinstance(value, tuple):
                extra = (f"; it returned a tuple of {len(value)}. The package's layers return "
                         f"(out, cache); the lesson's functions return only the array")
            raise LearnerFunctionError(f"FunctionMLP: {self._label(role)} should return {what} as an "
                                       f"array of shape {shape}, got {describe(value)}{extra} ({where})",
                                       role, self.functions[role])
        if arr.shape != shape:
            hint = ": that is the expected shape transposed" if arr.shape == shape[::-1] and \
                len(shape) == 2 else ""
            raise LearnerFunctionError(f"FunctionMLP: {self._label(role)} returned {what} of shape "
                                       f"{arr.shape}, expected {shape}{hint} ({where})",
                                       role, self.functions[role])
        return arr

    def _tuple(self, role, where, value, names):
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            raise LearnerFunctionError(f"FunctionMLP: {self._label(role)} should return "
                                       f"({', '.join(names)}), got {describe(value)} ({where})",
                                       role, self.functions[role])
        return value

    # ------------------------------------------------------------------ validation of the data
    def _check_X(self, fn, X):
        return network_inputs(f"FunctionMLP.{fn}", X, self.layer_sizes, self.dtype)

    def _check_y(self, fn, y, n):
        return network_targets(f"FunctionMLP.{fn}", y, n, self.loss_name, self.layer_sizes[-1],
                               self.dtype)

    # ------------------------------------------------------------------ forward, loss, backward
    def forward(self, X):
        """Scores (N, C) of the network for ``X`` (N, D); keeps what ``backward`` needs."""
        return self._forward(self._check_X("forward", X))

    def _forward(self, X):
        caches, h, N = [], X, X.shape[0]
        for l in range(1, self.num_layers + 1):
            W, b = self.params[f"W{l}"], self.params[f"b{l}"]
            where = f"layer {l}, X.shape={h.shape}, W.shape={W.shape}, b.shape={b.shape}"
            z = self._array("linear_forward", where,
                            self._call("linear_forward", where, h, W, b), (N, W.shape[1]), "out")
            if l == self.num_layers:                      # the scores: no activation
                caches.append((h, None, None))
                h = z
                break
            where = f"after layer {l}, x.shape={z.shape}"
            a = self._array("activation_forward", where, self._call("activation_forward", where, z),
                            z.shape, "out")
            caches.append((h, z, a))
            h = a
        self._caches, self._dscores = caches, None
        return h

    def hidden_outputs(self, X):
        """The activations of every hidden layer for ``X``: a list of arrays (N, H_l)."""
        self.forward(X)
        return [a for _, _, a in self._caches[:-1]]

    def _regularization(self):
        if not self.regularization or self.reg_strength == 0.0:
            return 0.0
        Ws = [self.params[f"W{l}"] for l in range(1, self.num_layers + 1)]
        total = sum(float(np.vdot(W, W)) / 2 if self.regularization == "l2" else float(np.abs(W).sum())
                    for W in Ws)
        return self.reg_strength * total

    def loss(self, X, y):
        """Forward pass and loss (the mean over the batch, plus regularization). Returns a float."""
        X = self._check_X("loss", X)
        y = self._check_y("loss", y, X.shape[0])
        scores = self._forward(X)
        where = f"scores.shape={scores.shape}, y.shape={y.shape}"
        loss, dscores = self._tuple("loss_fn", where, self._call("loss_fn", where, scores, y),
                                    ("loss", "dscores"))
        loss = np.asarray(loss)
        if loss.size != 1 or loss.dtype.kind not in "biuf":
            raise LearnerFunctionError(f"FunctionMLP: {self._label('loss_fn')} should return the loss "
                                       f"as one number, got {describe(loss)} ({where})", "loss_fn",
                                       self.functions["loss_fn"])
        self._dscores = self._array("loss_fn", where, dscores, scores.shape, "dscores")
        return float(loss) + self._regularization()

    def backward(self):
        """Backward pass through the layers in reverse order; fills and returns ``self.grads``."""
        if self._caches is None or self._dscores is None:
            raise RuntimeError("FunctionMLP.backward: call loss(X, y) first; backward needs the "
                               "gradient of the loss from that call")
        dout = self._dscores
        for l in range(self.num_layers, 0, -1):           # last layer first: the chain rule's order
            h, z, a = self._caches[l - 1]
            if z is not None:
                where = f"after layer {l}, dout.shape={dout.shape}"
                arg = z if BACKWARD_FROM[self.activation] == "input" else a
                dout = self._array("activation_backward", where,
                                   self._call("activation_backward", where, dout, arg), z.shape, "dx")
            W = self.params[f"W{l}"]
            where = f"layer {l}, dout.shape={dout.shape}, X.shape={h.shape}, W.shape={W.shape}"
            dX, dW, db = self._tuple("linear_backward", where,
                                     self._call("linear_backward", where, dout, h, W), ("dX", "dW", "db"))
            self.grads[f"W{l}"][...] = self._array("linear_backward", where, dW, W.shape, "dW")
            self.grads[f"b{l}"][...] = self._array("linear_backward", where, db, (W.shape[1],), "db")
            if l > 1:
                dout = self._array("linear_backward", where, dX, h.shape, "dX")
        if self.regularization and self.reg_strength:
            for l in range(1, self.num_layers + 1):
                W = self.params[f"W{l}"]
                self.grads[f"W{l}"] += self.reg_strength * (W if self.regularization == "l2" else np.sign(W))
        return self.grads

    # ------------------------------------------------------------------ predictions
    def predict(self, X):
        """Class indices (N,) for classification, predicted values (N, C) for regression."""
        return predictions(self.loss_name, self.forward(X))

    def predict_proba(self, X):
        """Class probabilities (N, C) (softmax), or P(class 1) of shape (N,) for binary."""
        if self.loss_name == "mse":      # say so before running the learner's functions
            return probabilities("FunctionMLP.predict_proba", "mse", None)
        return probabilities("FunctionMLP.predict_proba", self.loss_name, self.forward(X))
