"""Grading learners' notebooks: ``python -m backprop_helpers grade NOTEBOOK...``.

This ``__init__`` stays light, since ``kernel`` is imported inside every graded kernel; the grader's
public names load on first use (``from backprop_helpers.grading import grade_notebooks``).

- ``runner``       the command and ``grade_notebooks``: a class, several notebooks at a time
- ``submissions``  reading a learner's notebook, telling its lesson, the cells the grader adds
- ``grader``       one notebook: run it in a fresh kernel, grade each exercise
- ``execution``    the kernel's limits (time, memory, output) and its environment
- ``nursery``      kernels forked from a warm process (Linux, several notebooks)
- ``isolation``    each kernel in a bubblewrap sandbox: its own folder, the course read-only, no network
- ``kernel``       what runs inside the learner's kernel: the grader's cases, the replies
- ``watch``        what a learner's function calls while it runs (the course's answer?); the checks
                   use it too
- ``wire``         the replies read back as plain data, and judged here against the reference
- ``report``       text, CSV and JSON reports, the class summary
- ``feedback``     a Markdown and an HTML file per learner, without the hidden cases' values
- ``gradebook``    one CSV row per learner, one column per lesson (Moodle's import layout)
- ``similarity``   pairs of learners whose exercise cells are nearly identical
"""
from __future__ import annotations

import importlib

_RUNNER_NAMES = ("ExerciseGrade", "NotebookGrade", "ClassReport", "grade_notebooks", "add_grade_command",
                 "default_jobs", "main", "DEFAULT_TIMEOUT", "DEFAULT_CELL_TIMEOUT", "DEFAULT_MEMORY_MB")

__all__ = list(_RUNNER_NAMES)


def __getattr__(name: str):
    if name in _RUNNER_NAMES:
        return getattr(importlib.import_module(".runner", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
