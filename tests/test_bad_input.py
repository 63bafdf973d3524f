"""Wrong calls get a clear error: the function, the argument, what was expected and what came.

Each case is one wrong call a learner could plausibly make. The test checks the exception type and
that every listed fragment appears in the message, so a vague message ("bad input") fails.
"""
from __future__ import annotations

import numpy as np
import pytest

import backprop_helpers as bh
from backprop_helpers.data import datasets

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 3))
W = rng.standard_normal((3, 2))
b = np.zeros(2)
scores = rng.standard_normal((5, 4))
labels = np.array([0, 1, 2, 3, 0])
net = bh.MLP([3, 4, 2], seed=0)
_, lin_cache = bh.linear_forward(X, W, b)

CASES = [
    # (id, call, exception, fragments that must all appear in the message)
    ("linear X features", lambda: bh.linear_forward(rng.standard_normal((5, 4)), W, b), ValueError,
     ["linear_forward", "X has 4 features", "W expects 3", "X.shape=(5, 4)", "W.shape=(3, 2)"]),
    ("linear X 1-D", lambda: bh.linear_forward(np.ones(3), W, b), ValueError,
     ["linear_forward", "X must be 2-D", "1-D", "(3,)"]),
    ("linear b shape", lambda: bh.linear_forward(X, W, np.zeros((1, 2))), ValueError,
     ["linear_forward", "b must be 1-D", "(1, 2)"]),
    ("linear b length", lambda: bh.linear_forward(X, W, np.zeros(3)), ValueError,
     ["linear_forward", "b must have shape (2,)", "b.shape=(3,)"]),
    ("linear int X", lambda: bh.linear_forward(np.ones((5, 3), dtype=int), W, b), TypeError,
     ["linear_forward", "X", "floating-point", "int64", "astype(float)"]),
    ("linear string X", lambda: bh.linear_forward("X", W, b), TypeError,
     ["linear_forward", "X", "numpy array", "str"]),
    ("linear mixed dtypes", lambda: bh.linear_forward(X.astype(np.float32), W, b), TypeError,
     ["linear_forward", "X is float32", "W is float64"]),
    ("linear empty batch", lambda: bh.linear_forward(np.zeros((0, 3)), W, b), ValueError,
     ["linear_forward", "X is empty", "(0, 3)"]),
    ("linear_backward dout shape", lambda: bh.linear_backward(np.ones((5, 3)), lin_cache), ValueError,
     ["linear_backward", "dout", "(5, 2)", "dout.shape=(5, 3)"]),
    ("linear_backward tuple cache", lambda: bh.linear_backward(np.ones((5, 2)), (X, W)), TypeError,
     ["linear_backward", "cache", "LinearCache", "tuple"]),
    ("relu_backward dout shape", lambda: bh.relu_backward(np.ones(4), bh.relu_forward(np.ones(3))[1]),
     ValueError, ["relu_backward", "dout", "(3,)", "(4,)"]),
    ("leaky alpha", lambda: bh.leaky_relu_forward(X, alpha=2), ValueError,
     ["leaky_relu_forward", "alpha", "[0, 1)", "2"]),
    ("ce labels out of range", lambda: bh.softmax_cross_entropy(scores, np.array([0, 1, 2, 4, 0])),
     ValueError, ["softmax_cross_entropy", "y", "0..3", "4 classes", "got 4"]),
    ("ce negative label", lambda: bh.softmax_cross_entropy(scores, np.array([0, -1, 2, 3, 0])),
     ValueError, ["softmax_cross_entropy", "y", "0..3", "got -1"]),
    ("ce float labels", lambda: bh.softmax_cross_entropy(scores, labels.astype(float)), TypeError,
     ["softmax_cross_entropy", "y", "integer", "float64", "astype(int)"]),
    ("ce one-hot labels", lambda: bh.softmax_cross_entropy(scores, np.eye(4)[labels].astype(int)),
     ValueError, ["softmax_cross_entropy", "y", "class indices of shape (N,)", "(5, 4)", "argmax"]),
    ("ce label count", lambda: bh.softmax_cross_entropy(scores, labels[:3]), ValueError,
     ["softmax_cross_entropy", "y has 3 labels", "5 examples"]),
    ("ce NaN scores", lambda: bh.softmax_cross_entropy(np.where(scores > 1, np.nan, scores), labels),
     ValueError, ["softmax_cross_entropy", "scores", "finite", "nan"]),
    ("mse broadcasting trap", lambda: bh.mse_loss(np.ones((5, 1)), np.ones(5)), ValueError,
     ["mse_loss", "y must have the shape of y_hat (5, 1)", "y.shape=(5,)", "reshape(-1, 1)"]),
    ("mse inf target", lambda: bh.mse_loss(np.ones((2, 1)), np.array([[1.0], [np.inf]])), ValueError,
     ["mse_loss", "y", "finite", "inf"]),
    ("bce probabilities", lambda: bh.binary_cross_entropy(np.array([[1.5]]), np.array([[1.0]])),
     ValueError, ["binary_cross_entropy", "y_hat", "probabilities in [0, 1]", "1.5"]),
    ("bce targets", lambda: bh.binary_cross_entropy(np.array([[0.5]]), np.array([[2.0]])), ValueError,
     ["binary_cross_entropy", "y", "[0, 1]", "2.0"]),
    ("mlp unknown activation", lambda: bh.MLP([2, 3, 2], activation="softplus"), ValueError,
     ["MLP", "activation", "relu", "softplus"]),
    ("mlp unknown loss", lambda: bh.MLP([2, 3, 2], loss="hinge"), ValueError,
     ["MLP", "loss", "softmax_cross_entropy", "hinge"]),
    ("mlp zero units", lambda: bh.MLP([2, 0, 2]), ValueError,
     ["MLP", "layer_sizes[1]", "positive integer", "0"]),
    ("mlp single size", lambda: bh.MLP([2]), ValueError, ["MLP", "layer_sizes", "at least", "length 1"]),
    ("mlp bce outputs", lambda: bh.MLP([2, 3, 2], loss="binary_cross_entropy"), ValueError,
     ["MLP", "binary_cross_entropy", "one output", "2 outputs"]),
    ("mlp dtype", lambda: bh.MLP([2, 3, 2], dtype=np.float16), TypeError,
     ["MLP", "dtype", "float64", "float16"]),
    ("mlp X features", lambda: net.forward(np.ones((4, 5))), ValueError,
     ["MLP.forward", "X has 5 features", "expects 3", "(4, 5)"]),
    ("mlp NaN in X", lambda: net.loss(np.array([[1.0, np.nan, 0.0]]), np.array([0])), ValueError,
     ["MLP.loss", "X", "finite", "X[(0, 1)] = nan"]),
    ("mlp backward first", lambda: bh.MLP([2, 2]).backward(), RuntimeError,
     ["MLP.backward", "loss(X, y)", "first"]),
    ("sgd zero lr", lambda: bh.SGD(lr=0), ValueError, ["SGD", "lr", "> 0", "got 0"]),
    ("adam negative lr", lambda: bh.Adam(lr=-1e-3), ValueError, ["Adam", "lr", "> 0", "-0.001"]),
    ("momentum mu", lambda: bh.Momentum(0.1, mu=1.0), ValueError, ["Momentum", "mu", "[0, 1)", "1.0"]),
    ("sgd nan lr", lambda: bh.SGD(lr=float("nan")), ValueError, ["SGD", "lr", "finite", "nan"]),
    ("sgd mismatched grads", lambda: bh.SGD(0.1).step({"W": np.ones(3)}, {"W": np.ones(2)}), ValueError,
     ["SGD.step", "grads['W']", "(3,)", "(2,)"]),
    ("train batch size 0", lambda: bh.train(net, X, np.array([0, 1, 0, 1, 0]), batch_size=0), ValueError,
     ["Trainer", "batch_size", ">= 1", "got 0"]),
    ("train epochs float", lambda: bh.train(net, X, np.array([0, 1, 0, 1, 0]), epochs=2.5), TypeError,
     ["Trainer.fit", "epochs", "integer", "2.5"]),
    ("train label count", lambda: bh.train(net, X, np.array([0, 1])), ValueError,
     ["MLP.fit", "y has 2 labels", "5 examples"]),
    ("train optimizer", lambda: bh.train(net, X, np.array([0, 1, 0, 1, 0]), optimizer="sgd"), TypeError,
     ["Trainer", "optimizer", "Optimizer", "str"]),
    ("train model", lambda: bh.train(object(), X, labels), TypeError,
     ["Trainer", "model", "params", "object"]),
    ("train X_test alone", lambda: bh.train(net, X, np.array([0, 1, 0, 1, 0]), X_test=X), ValueError,
     ["Trainer", "X_test", "y_test"]),
    ("minibatches misaligned", lambda: list(bh.minibatches(X, labels[:4], 2)), ValueError,
     ["minibatches", "same number of rows", "(5, 3)", "(4,)"]),
    ("dataset unknown name", lambda: datasets.make_dataset("checkerboard"), ValueError,
     ["make_dataset", "checkerboard", "circle", "spiral"]),
    ("dataset noise", lambda: datasets.make_circle(noise=30), ValueError,
     ["make_circle", "noise", "[0, 1]", "30"]),
    ("split fraction", lambda: datasets.train_test_split(X, labels, test_fraction=1.0), ValueError,
     ["train_test_split", "test_fraction", "between 0 and 1", "1.0"]),
    ("blas threads", lambda: bh.set_blas_threads(0), ValueError,
     ["set_blas_threads", "n", "positive integer", "0"]),
    # lesson 11: dropout, batch normalisation, L2 as reg, RMSProp, modes
    ("dropout p of one", lambda: bh.dropout_forward(X, 1.0), ValueError,
     ["dropout_forward", "p", "[0, 1)", "probability of dropping", "1.0"]),
    ("dropout seed for rng", lambda: bh.dropout_forward(X, 0.5, rng=0), TypeError,
     ["dropout_forward", "rng", "np.random.Generator", "default_rng(seed)", "int 0"]),
    ("dropout mode as text", lambda: bh.dropout_forward(X, 0.5, train="False"), TypeError,
     ["dropout_forward", "train", "True", "False", "str 'False'"]),
    ("batchnorm gamma length", lambda: bh.batchnorm_forward(X, np.ones(2), np.zeros(3)), ValueError,
     ["batchnorm_forward", "gamma must have shape (3,)", "gamma.shape=(2,)", "X.shape=(5, 3)"]),
    ("batchnorm eval without running", lambda: bh.batchnorm_forward(X, np.ones(3), np.zeros(3), train=False),
     ValueError, ["batchnorm_forward", "evaluation mode", "running", "got None"]),
    ("batchnorm running keys", lambda: bh.batchnorm_forward(X, np.ones(3), np.zeros(3),
                                                            running={"mu": np.zeros(3), "var": np.ones(3)}),
     ValueError, ["batchnorm_forward", "running", "'mean'", "'var'", "'mu'"]),
    ("batchnorm backward cache", lambda: bh.batchnorm_backward(X, lin_cache), TypeError,
     ["batchnorm_backward", "cache", "BatchNormCache", "LinearCache"]),
    ("mlp reg with l1", lambda: bh.MLP([2, 3, 2], reg=0.1, regularization="l1"), ValueError,
     ["MLP", "reg=0.1", "L2", "regularization='l1'"]),
    ("mlp reg and reg_strength", lambda: bh.MLP([2, 3, 2], reg=0.1, reg_strength=0.3), ValueError,
     ["MLP", "reg=0.1", "reg_strength=0.3", "disagree"]),
    ("mlp negative reg", lambda: bh.MLP([2, 3, 2], reg=-0.1), ValueError, ["MLP", "reg", ">= 0", "-0.1"]),
    ("mlp dropout of one", lambda: bh.MLP([2, 3, 2], dropout=1), ValueError,
     ["MLP", "dropout", "[0, 1)", "got 1"]),
    ("mlp init negative", lambda: bh.MLP([2, 3, 2], init=-1.0), ValueError,
     ["MLP", "init", "positive number", "standard deviation", "-1.0"]),
    ("mlp train with data", lambda: bh.MLP([2, 3, 2]).train(X), TypeError,
     ["MLP.train", "mode", "True or False", "backprop_helpers.train(model, X, y)", "(5, 3)"]),
    ("rmsprop decay", lambda: bh.RMSProp(0.01, decay=1.5), ValueError, ["RMSProp", "decay", "[0, 1)", "1.5"]),
    ("model check with dropout", lambda: bh.check_model_gradient(bh.MLP([3, 4, 2], dropout=0.5), X,
                                                                 np.array([0, 1, 0, 1, 0])), ValueError,
     ["check_model_gradient", "dropout=0.5", "training mode", "new random mask", "model.eval()"]),
]


@pytest.mark.parametrize("call, exc, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wrong_call_is_explained(call, exc, fragments):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def test_at_least_twenty_cases():
    assert len(CASES) >= 20
