"""Gradient checking: is a backward pass right? Compare it with derivatives measured numerically.

- ``numerical``   the derivatives: ``numerical_gradient`` (central differences, restores ``x``),
  ``numerical_vjp``, ``complex_step_gradient``, ``rel_error``; how to choose the step ``h``
- ``check``       ``check_gradient`` (element by element) and ``check_gradient_directional`` (along
  random directions), with a second look at h/2 that tells a kink from a bug
- ``verdict``     ``GradCheckReport``: what a check found, in words
- ``step_sizes``  the error of each estimate against ``h`` (the lesson 03 study)
- ``modelcheck``  every gradient of an ``MLP`` checked numerically, fast

Every public name of these modules is importable from here:
``from backprop_helpers.gradcheck import rel_error, check_gradient``.
"""
from .check import DEFAULT_RTOL, check_gradient, check_gradient_directional
from .modelcheck import (ModelGradCheckReport, NumericalGradient, check_model_gradient,
                         mlp_numerical_gradient)
from .numerical import (DEFAULT_H, Float32Warning, complex_step_gradient, numerical_gradient,
                        numerical_vjp, rel_error)
from .step_sizes import StepSizeErrors, step_size_errors
from .verdict import GradCheckReport

__all__ = [
    "rel_error", "numerical_gradient", "numerical_vjp", "complex_step_gradient", "DEFAULT_H",
    "Float32Warning", "check_gradient", "check_gradient_directional", "DEFAULT_RTOL", "GradCheckReport",
    "StepSizeErrors", "step_size_errors", "check_model_gradient", "mlp_numerical_gradient",
    "NumericalGradient", "ModelGradCheckReport",
]
