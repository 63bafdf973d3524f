"""The exercise functions of the lessons, with the signatures the lessons ask for.

One module per lesson (``lesson04_backward_pass``, ...), like ``checks``; every function is importable
from here: ``from backprop_helpers.reference import linear_backward``.

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
- 09 an autograd engine: ``value_add``, ``value_mul``, ``value_pow``, ``value_exp``, ``value_log``,
  ``value_tanh``, ``value_relu``, ``topological_order``, ``backward``, ``zero_grad``, ``value_neuron``,
  ``value_layer``, ``value_mlp``, ``value_train_step``
- 10 backprop by hand: ``softmax_ce_forward_intermediates``, ``softmax_ce_backward_by_hand``,
  ``batchnorm_forward_intermediates``, ``batchnorm_backward_staged``, ``batchnorm_backward_simplified``
- 11 training deep networks: ``init_std``, ``l2_loss_and_grad``, ``inverted_dropout_forward``,
  ``inverted_dropout_backward``, ``batchnorm_layer_forward``

Every loss is the mean over the batch of each example's loss (an example's loss sums over its outputs).
"""
from __future__ import annotations

from .lesson01_forward_pass import sigmoid, relu, tanh, neuron, linear_forward, two_layer_forward
from .lesson02_loss import mean_squared_error, softmax, cross_entropy, binary_cross_entropy
from .lesson03_derivatives import (forward_difference, central_difference, rel_error,
                                   numerical_gradient, neuron_loss_gradient)
from .lesson04_backward_pass import (linear_backward, sigmoid_backward, tanh_backward, relu_backward,
                                     mse_loss, softmax_cross_entropy)
from .lesson05_network import mlp_forward, mlp_backward, loss_and_grads, gradient_norms
from .lesson06_gradient_descent import sgd_step, gradient_descent, momentum_step, adam_step
from .lesson07_training_loop import iterate_minibatches, train_epoch, accuracy, fit
from .lesson09_autograd_engine import (value_add, value_mul, value_pow, value_exp, value_log, value_tanh,
                                       value_relu, topological_order, backward, zero_grad, value_neuron,
                                       value_layer, value_mlp, value_train_step)
from .lesson10_backprop_by_hand import (softmax_ce_forward_intermediates, softmax_ce_backward_by_hand,
                                        batchnorm_forward_intermediates, batchnorm_backward_staged,
                                        batchnorm_backward_simplified)
from .lesson11_training_deep_networks import (init_std, l2_loss_and_grad, inverted_dropout_forward,
                                              inverted_dropout_backward, batchnorm_layer_forward)

__all__ = [
    "sigmoid", "relu", "tanh", "neuron", "linear_forward", "two_layer_forward",
    "mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy",
    "forward_difference", "central_difference", "rel_error", "numerical_gradient", "neuron_loss_gradient",
    "linear_backward", "sigmoid_backward", "tanh_backward", "relu_backward", "mse_loss",
    "softmax_cross_entropy",
    "mlp_forward", "mlp_backward", "loss_and_grads", "gradient_norms",
    "sgd_step", "gradient_descent", "momentum_step", "adam_step",
    "iterate_minibatches", "train_epoch", "accuracy", "fit",
    "value_add", "value_mul", "value_pow", "value_exp", "value_log", "value_tanh", "value_relu",
    "topological_order", "backward", "zero_grad", "value_neuron", "value_layer", "value_mlp",
    "value_train_step",
    "softmax_ce_forward_intermediates", "softmax_ce_backward_by_hand", "batchnorm_forward_intermediates",
    "batchnorm_backward_staged", "batchnorm_backward_simplified",
    "init_std", "l2_loss_and_grad", "inverted_dropout_forward", "inverted_dropout_backward",
    "batchnorm_layer_forward",
]
