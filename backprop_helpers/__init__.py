"""backprop_helpers: the reference implementation behind the backpropagation course.

The maths, one module per stage of training a network, written to read like the lessons:

- ``layers``     the forward pass, as forward/backward pairs; ``ACTIVATIONS``, the one table of activations
- ``losses``     MSE, softmax cross-entropy, binary cross-entropy, each returning (loss, gradient)
- ``network``    ``MLP``: the pairs chained into a network, with ``params`` and ``grads`` dicts
- ``optim``      gradient descent: ``SGD``, ``Momentum``, ``RMSProp``, ``Adam``
- ``training``   the iterative process: ``train``, ``Trainer``, mini-batches, early stopping
- ``autograd``   ``Value``: a scalar engine that differentiates any expression by the chain rule
- ``reference``  the exercise functions, with the signatures the lessons ask for
- ``fast``       every speed trick, used by ``Trainer`` by default, proven equal to the textbook path

and around them: ``gradcheck`` (numerical gradients and the checks that compare them with yours),
``data`` (seeded toy sets and your own), ``plots`` (figures; import it explicitly, it loads matplotlib),
``checks`` (one module of exercise checks per lesson), ``widgets`` (the explorers and the playground),
``course`` (the instructor's tools and the command line) and ``grading``. The map is docs/architecture.md.

**BLAS threads.** On import the package limits numpy's BLAS library to one thread: the course's
matrices are small, and on a shared machine two threads can make a small matrix product 25-100 times
slower when the other core is busy. Set the environment variable ``BACKPROP_BLAS_THREADS`` (a number,
or ``default`` to leave BLAS alone) before importing, or call ``set_blas_threads(n)`` at any time.
"""
from __future__ import annotations

import os

import numpy  # noqa: F401  (BLAS must be loaded before its threads can be limited)
from threadpoolctl import threadpool_limits

__version__ = "0.1.0"

_blas_limiter = None


def set_blas_threads(n: int | None) -> None:
    """Limit numpy's BLAS to ``n`` threads (``None``: restore the library's own default)."""
    global _blas_limiter
    if _blas_limiter is not None:
        _blas_limiter.restore_original_limits()
        _blas_limiter = None
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"set_blas_threads: n must be a positive integer or None, got {n!r}")
        _blas_limiter = threadpool_limits(limits=n, user_api="blas")


def blas_threads() -> dict:
    """The number of threads of each BLAS library numpy uses, e.g. ``{'openblas': 1}``."""
    from threadpoolctl import threadpool_info
    return {info["internal_api"]: info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas"}


def _configure_blas_from_env() -> None:
    setting = os.environ.get("BACKPROP_BLAS_THREADS", "1").strip().lower()
    if setting in ("default", "none", ""):
        return
    try:
        n = int(setting)
    except ValueError:
        raise ValueError(f"backprop_helpers: BACKPROP_BLAS_THREADS must be a positive integer or "
                         f"'default', got {setting!r}") from None
    set_blas_threads(n)


_configure_blas_from_env()

from .layers import (linear_forward, linear_backward, sigmoid, sigmoid_forward,  # noqa: E402
                     sigmoid_backward, tanh_forward, tanh_backward, relu_forward, relu_backward,
                     leaky_relu_forward, leaky_relu_backward, dropout_forward, dropout_backward,
                     batchnorm_forward, batchnorm_backward)
from .losses import (mse_loss, softmax, softmax_cross_entropy, binary_cross_entropy,  # noqa: E402
                     sigmoid_binary_cross_entropy)
from .network import MLP  # noqa: E402
from .optim import SGD, Momentum, RMSProp, Adam, make_optimizer  # noqa: E402
from .training import (train, Trainer, History, TrainingDiverged, EarlyStopping,  # noqa: E402
                       PrintProgress, Callback, minibatches)
from .gradcheck.check import (rel_error, numerical_gradient, numerical_vjp,  # noqa: E402
                        complex_step_gradient, check_gradient, check_gradient_directional)
from .gradcheck.modelcheck import check_model_gradient  # noqa: E402
from .autograd import Value  # noqa: E402
from .data.datasets import (make_dataset, train_test_split, standardize, from_arrays,  # noqa: E402
                       load_csv)

__all__ = [
    "set_blas_threads", "blas_threads",
    "linear_forward", "linear_backward", "sigmoid", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward", "relu_forward", "relu_backward", "leaky_relu_forward",
    "leaky_relu_backward", "dropout_forward", "dropout_backward", "batchnorm_forward",
    "batchnorm_backward",
    "mse_loss", "softmax", "softmax_cross_entropy", "binary_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "MLP", "SGD", "Momentum", "RMSProp", "Adam", "make_optimizer",
    "train", "Trainer", "History", "TrainingDiverged", "EarlyStopping", "PrintProgress", "Callback",
    "minibatches",
    "rel_error", "numerical_gradient", "numerical_vjp", "complex_step_gradient", "check_gradient",
    "check_gradient_directional", "check_model_gradient",
    "Value",
    "make_dataset", "train_test_split", "standardize", "from_arrays", "load_csv",
]
