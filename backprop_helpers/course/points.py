"""Where an exercise's points live, in one rule, and filling in the points a notebook lacks.

**The rule.** An exercise's points are the ``nbgrader.points`` of its answer cell (the cell with the
``### BEGIN SOLUTION`` block, or marked ``nbgrader.solution`` in a lesson). When the notebook marks
cells between that answer cell and the next exercise as nbgrader tests cells (``nbgrader.grade``
true, not a solution, "Autograded tests" in nbgrader's toolbar) that carry points, as nbgrader
itself counts them, the exercise is worth the sum of those tests cells' points instead. An exercise
with points in neither place is worth ``DEFAULT_POINTS`` when graded, and ``missing_points``
reports it: every exercise of the course carries its points.

- ``exercise_points(nb)``: ``ExercisePoints(grade_id, cell, points, source)`` per exercise;
- ``missing_points(folder)``: a line per exercise without points, in every notebook of ``folder``;
- ``fill_points(paths, points=DEFAULT_POINTS)``: write ``nbgrader.points`` into every answer cell
  without points (none where tests cells carry them), changing nothing else in the files;
  ``python -m backprop_helpers points --fill solutions/``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from .markers import cell_points, exercise_cells, grade_ids, nbgrader_meta, scan_cells

__all__ = ["DEFAULT_POINTS", "ExercisePoints", "exercise_points", "missing_points", "fill_points"]

DEFAULT_POINTS = 1


class ExercisePoints(NamedTuple):
    """One exercise's points: ``source`` is "answer cell", "tests cells N, M" or None (no points
    anywhere: ``points`` is then ``DEFAULT_POINTS``)."""
    grade_id: str
    cell: int
    points: float
    source: str | None


def _tests_cell(cell: Any) -> bool:
    meta = nbgrader_meta(cell)
    return meta.get("grade") is True and meta.get("solution") is not True


def exercise_points(nb: Any, *, name: str = "notebook") -> list[ExercisePoints]:
    """Every exercise of ``nb`` with its points, by the rule above, in notebook order."""
    scans = scan_cells(nb, name, "exercise_points")
    ids = grade_ids(nb, exercise_cells(nb, scans), name, "exercise_points")
    starts = sorted(ids)
    found = []
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(nb["cells"])
        tests = [(j, cell_points(nb["cells"][j])) for j in range(i + 1, end) if _tests_cell(nb["cells"][j])]
        tests = [(j, p) for j, p in tests if p is not None]
        own = cell_points(nb["cells"][i])
        if tests:
            cells = ", ".join(str(j) for j, _ in tests)
            found.append(ExercisePoints(ids[i][0], i, sum(p for _, p in tests),
                                        f"tests cell{'s' * (len(tests) > 1)} {cells}"))
        elif own is not None:
            found.append(ExercisePoints(ids[i][0], i, own, "answer cell"))
        else:
            found.append(ExercisePoints(ids[i][0], i, DEFAULT_POINTS, None))
    return found


def _paths(items) -> list[Path]:
    from .notebook import notebook_paths
    if isinstance(items, (str, os.PathLike)):
        items = [items]
    paths = []
    for item in items:
        item = Path(item)
        paths += notebook_paths(item) if item.is_dir() else [item]
    return paths


def missing_points(folder: str | os.PathLike | list = "solutions") -> list[str]:
    """A line per exercise cell that carries no points, in the notebooks of ``folder`` ([] if none)."""
    from .notebook import read_notebook
    problems = []
    for path in _paths(folder):
        try:
            found = exercise_points(read_notebook(path), name=str(path))
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        problems += [f"{path}, cell {e.cell}: the exercise {e.grade_id!r} carries no points (give its cell "
                     f'the metadata {{"nbgrader": {{"points": N}}}}, or run `python -m backprop_helpers '
                     f"points --fill {path}`)" for e in found if e.source is None]
    return problems


def fill_points(paths, points: float = DEFAULT_POINTS) -> dict[Path, list[str]]:
    """Give every exercise without points ``points`` in its answer cell's ``nbgrader`` metadata.

    ``paths``: notebooks or folders of notebooks. Only the files that change are written, and in
    them only that metadata (outputs and everything else stay as they are). Returns
    ``{path: [grade_id, ...]}`` for the notebooks written.
    """
    from .generate import write_notebook
    from .notebook import read_notebook
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"fill_points: points must be a number > 0, got {points!r}")
    points = int(points) if float(points).is_integer() else points
    written = {}
    for path in _paths(paths):
        nb = read_notebook(path)
        filled = []
        for exercise in exercise_points(nb, name=str(path)):
            if exercise.source is None:
                meta = nb.cells[exercise.cell].metadata.setdefault("nbgrader", {})
                meta["points"] = points
                filled.append(exercise.grade_id)
        if filled:
            write_notebook(nb, path)
            written[path] = filled
    return written
