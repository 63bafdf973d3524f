"""Hypothesis strategies shared by the test modules.

Arrays are drawn from a seed rather than element by element: the properties under test are about
shapes and the chain rule, not about particular float bit patterns, and seeded draws keep the shrunk
examples readable (a failing case prints as a handful of small integers).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

ACTIVATION_NAMES = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
LOSS_NAMES = ("softmax_cross_entropy", "mse", "binary_cross_entropy")

seeds = st.integers(min_value=0, max_value=2**31 - 1)
batch_sizes = st.integers(min_value=1, max_value=7)
widths = st.integers(min_value=1, max_value=6)


@st.composite
def linear_shapes(draw):
    """(N, D, H) for a linear layer, including batches of one and single units."""
    return draw(batch_sizes), draw(widths), draw(widths)


@st.composite
def activation_shapes(draw):
    """A 1-D to 3-D shape for an elementwise activation."""
    ndim = draw(st.integers(1, 3))
    return tuple(draw(st.integers(1, 5)) for _ in range(ndim))


def normal(seed, shape, scale=1.0, dtype=np.float64):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def away_from_kinks(x, margin=1e-3):
    """Move entries within ``margin`` of 0 away from it, so finite differences never straddle a kink."""
    x = x.copy()
    near = np.abs(x) < margin
    x[near] = np.where(x[near] >= 0, margin, -margin) * 2
    return x


@dataclass(frozen=True)
class NetCase:
    """A random network and a batch for it."""
    layer_sizes: tuple
    activation: str
    loss: str
    regularization: str | None
    reg_strength: float
    n: int
    seed: int

    def build(self):
        from backprop_helpers import MLP
        return MLP(list(self.layer_sizes), activation=self.activation, loss=self.loss, seed=self.seed,
                   regularization=self.regularization, reg_strength=self.reg_strength)

    def data(self):
        rng = np.random.default_rng(self.seed + 1)
        D, C = self.layer_sizes[0], self.layer_sizes[-1]
        X = rng.standard_normal((self.n, D))
        if self.loss == "softmax_cross_entropy":
            y = rng.integers(0, C, self.n)
        elif self.loss == "mse":
            y = rng.standard_normal((self.n, C))
        else:
            y = rng.integers(0, 2, (self.n, 1)).astype(float)
        return X, y


@st.composite
def net_cases(draw, max_depth=3, max_width=5, activations=ACTIVATION_NAMES, losses=LOSS_NAMES,
              regularization=True):
    """A random MLP (depth 1..max_depth linear layers, widths 1..max_width) with data."""
    loss = draw(st.sampled_from(losses))
    depth = draw(st.integers(1, max_depth))
    hidden = [draw(st.integers(1, max_width)) for _ in range(depth - 1)]
    D = draw(st.integers(1, 4))
    if loss == "binary_cross_entropy":
        C = 1
    elif loss == "softmax_cross_entropy":
        C = draw(st.integers(1, 4))          # C = 1 is legal: a single class, loss 0
    else:
        C = draw(st.integers(1, 3))
    reg = draw(st.sampled_from([None, "l1", "l2"])) if regularization else None
    return NetCase(layer_sizes=(D, *hidden, C), activation=draw(st.sampled_from(activations)),
                   loss=loss, regularization=reg, reg_strength=0.1 if reg else 0.0,
                   n=draw(batch_sizes), seed=draw(seeds))


def assert_named(result, mistake, phrase):
    """An exercise check's result failed, named this catalogued mistake and explained it with phrase."""
    assert not result.passed
    assert result.mistake == mistake, result.message
    assert phrase in result.message


# --------------------------------------------------------------------------- gradient-check cases

#: a small array shape for element-by-element gradient checks (1-D to 3-D, sides 1 to 4)
small_shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def bits(x):
    """The exact bytes of an array: equal bits means a bitwise restore."""
    return np.ascontiguousarray(x).tobytes()


#: closed-form scalar functions f(x, c) of an array x (c: fixed coefficients) and their gradients
SMOOTH = {
    "quadratic": (lambda x, c: np.sum(c * x**2) + np.sum(x), lambda x, c: 2 * c * x + 1),
    "sin": (lambda x, c: np.sum(np.sin(c * x)), lambda x, c: c * np.cos(c * x)),
    "exp": (lambda x, c: np.sum(np.exp(c * x)), lambda x, c: c * np.exp(c * x)),
    "sigmoid_product": (lambda x, c: np.sum(c / (1 + np.exp(-x))) * np.sum(x**2),
                        lambda x, c: (c * np.exp(-x) / (1 + np.exp(-x)) ** 2) * np.sum(x**2)
                        + np.sum(c / (1 + np.exp(-x))) * 2 * x),
}

smooth_names = st.sampled_from(sorted(SMOOTH))


def smooth_case(name, seed, shape):
    """``(f, x, gradient of f at x)`` for one of the closed forms in SMOOTH."""
    f, df = SMOOTH[name]
    x = normal(seed, shape)
    c = np.random.default_rng(seed + 1).uniform(0.5, 1.5, shape)
    return (lambda z: f(z, c)), x, df(x, c)


class Boom(Exception):
    """The exception raised by ``raising_after``'s functions."""


def raising_after(n_calls, value=lambda z: float(np.sum(z**2))):
    """A function that works ``n_calls`` times and then raises ``Boom`` (while x is perturbed)."""
    calls = {"n": 0}

    def f(z):
        calls["n"] += 1
        if calls["n"] > n_calls:
            raise Boom("midway")
        return value(z)
    return f


def relu_sum(w):
    """``f(z) = sum(max(z, 0) * w)``: a function with a kink at 0 in every element."""
    return lambda z: float(np.sum(np.maximum(z, 0.0) * w))


# --------------------------------------------------------------------------- networks in either dtype

#: the two dtypes of a network (gradient checks use float64; training runs in either)
float_dtypes = st.sampled_from([np.float64, np.float32])

#: per dtype, the relative tolerance between two computations of the same arithmetic
TIGHT_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}


def build_mlp(case, dtype=np.float64):
    """The ``MLP`` of a ``NetCase``, in ``dtype``."""
    from backprop_helpers import MLP
    return MLP(list(case.layer_sizes), activation=case.activation, loss=case.loss, seed=case.seed,
               regularization=case.regularization, reg_strength=case.reg_strength, dtype=dtype)


@st.composite
def many_class_net_cases(draw, max_classes=20, **kwargs):
    """A ``net_cases`` network whose softmax output may have many classes (1..max_classes)."""
    case = draw(net_cases(**kwargs))
    if case.loss != "softmax_cross_entropy":
        return case
    C = draw(st.integers(1, max_classes))
    return NetCase(layer_sizes=(*case.layer_sizes[:-1], C), activation=case.activation, loss=case.loss,
                   regularization=case.regularization, reg_strength=case.reg_strength, n=case.n,
                   seed=case.seed)


# --------------------------------------------------------------------------- lesson 11: deeper networks

#: the dropout probabilities the property tests try: off, and a typical rate
dropout_rates = st.sampled_from([0.0, 0.3])


@st.composite
def batchnorm_shapes(draw, max_n=6, max_d=4):
    """(N, D) for a batch-normalisation layer, including batches of one and of two."""
    return draw(st.integers(1, max_n)), draw(st.integers(1, max_d))


def batchnorm_case(seed, shape, dtype=np.float64):
    """``(X, gamma, beta, dout, running)`` for a batch normalisation of shape (N, D): features of
    different means and scales, each spread over the batch (a feature nearly constant over the batch
    has a variance near eps, where finite differences lose their accuracy), gamma away from 0,
    running statistics away from (0, 1)."""
    n, d = shape
    rng = np.random.default_rng(seed)
    spread = np.column_stack([rng.permutation(np.linspace(-1.0, 1.0, n)) for _ in range(d)])
    X = (spread + 0.2 * rng.standard_normal((n, d))) * rng.uniform(0.5, 3.0, d) + rng.uniform(-2, 2, d)
    gamma = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    beta, dout = rng.standard_normal(d), rng.standard_normal((n, d))
    running = {"mean": rng.standard_normal(d).astype(dtype), "var": rng.uniform(0.5, 2.0, d).astype(dtype)}
    return (X.astype(dtype), gamma.astype(dtype), beta.astype(dtype), dout.astype(dtype), running)


@dataclass(frozen=True)
class DeepNetCase:
    """A ``NetCase`` with batch normalisation and dropout (lesson 11) chosen too."""
    net: NetCase
    batchnorm: bool
    dropout: float

    def build(self, dtype=np.float64):
        from backprop_helpers import MLP
        c = self.net
        return MLP(list(c.layer_sizes), activation=c.activation, loss=c.loss, seed=c.seed, dtype=dtype,
                   regularization=c.regularization, reg_strength=c.reg_strength,
                   batchnorm=self.batchnorm, dropout=self.dropout)

    def data(self):
        return self.net.data()


@st.composite
def deep_net_cases(draw, batchnorm=None, dropout=None, **kwargs):
    """A random network of ``net_cases(**kwargs)`` with or without batch normalisation (``batchnorm``
    None: either) and dropout (``dropout`` None: one of ``dropout_rates``)."""
    net = draw(net_cases(**kwargs))
    bn = draw(st.booleans()) if batchnorm is None else batchnorm
    p = draw(dropout_rates) if dropout is None else dropout
    return DeepNetCase(net, bn, p)


def running_of(model):
    """A copy of a network's running statistics, {l: {"mean": ..., "var": ...}}."""
    return {l: {k: v.copy() for k, v in stats.items()} for l, stats in model.running.items()}
