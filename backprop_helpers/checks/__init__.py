"""One check per exercise of the lessons: ``check_<exercise>(fn)``.

Each check runs the learner's function against the reference on several seeded cases, prints a short
verdict that names the likely mistake, and returns the function the notebook should use from then on
(the learner's when it passed, the reference otherwise)::

    linear_forward = check_linear_forward(linear_forward)

The checks live in one module per lesson (``lesson01_forward_pass``, ``lesson02_loss``, ...); this package collects every
public ``check_*`` function, and ``EXERCISES`` maps exercise names to their ``Exercise`` objects. The
reference of every exercise is the function of the same name in ``backprop_helpers.reference``
(``EXERCISES["linear_backward"].reference is reference.linear_backward``).
"""
from __future__ import annotations

import importlib
import pkgutil

from .core import Case, CheckResult, Exercise, Mistake

__all__ = ["Case", "CheckResult", "Exercise", "Mistake", "EXERCISES"]

#: exercise name -> Exercise, from every lesson module
EXERCISES: dict = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("lesson"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_module, "__all__", ()):
        if _name in globals():   # two lessons must never share a check's name
            raise ImportError(f"backprop_helpers.checks: {_info.name} defines {_name}, "
                              f"which another lesson's checks already define")
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
    for _key, _exercise in getattr(_module, "EXERCISES", {}).items():
        if _key in EXERCISES:
            raise ImportError(f"backprop_helpers.checks: {_info.name} defines the exercise "
                              f"{_key!r}, which another lesson already defines")
        EXERCISES[_key] = _exercise
