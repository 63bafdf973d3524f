"""The course's own tools: lessons built from solutions, the guards before publishing, the learner's
progress, the environment doctor, and the command line (``python -m backprop_helpers ...``).

- ``generate``  ``build`` (solutions/ -> lessons/) and the guards ``lessons_in_sync``, ``solution_leaks``,
  ``grade_id_problems``; re-exports the public names of ``markers``, ``notebook`` and ``publish``
- ``markers``   the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` scanner
- ``notebook``  one notebook: read, write, build a lesson from it, its exercises, edit detection
- ``publish``   checks that need the exercise catalogue or a kernel (``execute``, verdict problems)
- ``progress``  the learner's progress file, written by every check
- ``doctor``    is this environment able to run the course?
- ``cli``       the command line

This ``__init__`` stays light (the checks import ``progress`` inside a learner's kernel): the names of
``generate`` load on first use (``from backprop_helpers.course import build, lessons_in_sync``).
"""
from __future__ import annotations

import importlib

_GENERATE_NAMES = (
    "CODE_PLACEHOLDER", "TEXT_PLACEHOLDER", "Exercise", "build_lesson", "build", "BuildResult",
    "EditedLessonsError", "BACKUP_DIR", "lesson_edits", "cell_fingerprints", "lessons_in_sync",
    "solution_leaks", "grade_id_problems", "missing_checks", "committed_verdict_problems",
    "verdict_problems", "execute", "NO_CHECK", "exercises", "notebook_paths", "read_notebook",
    "notebook_bytes", "write_notebook",
)

__all__ = list(_GENERATE_NAMES)


def __getattr__(name: str):
    if name in _GENERATE_NAMES:
        return getattr(importlib.import_module(".generate", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
