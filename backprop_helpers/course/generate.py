"""The instructor's tools: lessons generated from solutions, and the guards that keep them honest.

``solutions/`` holds the course's notebooks executed, with every answer between nbgrader-style
markers; ``lessons/`` holds the same notebooks, generated, without answers and without outputs:

- in a code cell, each block from a line ``### BEGIN SOLUTION`` to a line ``### END SOLUTION``
  becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the marker's indentation;
  in a markdown cell it becomes ``YOUR ANSWER HERE``;
- each block from ``### BEGIN HIDDEN TESTS`` to ``### END HIDDEN TESTS`` is removed, markers and
  all (a cell left empty by that is dropped);
- outputs, execution counts, widget state and run-to-run metadata noise are removed.

Cell indices in messages and in :func:`exercises` count from 0, in the notebook they refer to.
Every function here is deterministic: building twice gives the same bytes.

``build`` never overwrites a lesson edited since it generated it (a learner's or an instructor's
changes): each lesson records its generated cells (``cell_fingerprints``), and ``build`` names every
lesson whose cells no longer match and stops, unless forced, when it first keeps a copy of each in
``lessons/.backup/``.

This module holds the folder-level tools: ``build`` and the guards ``lessons_in_sync``,
``solution_leaks`` and ``grade_id_problems``. The marker scanning is in ``markers``; the work on one
notebook (``build_lesson``, ``exercises``, ``lesson_edits``, reading and writing) in ``notebook``;
the checks that need the exercise catalogue or a kernel (``missing_checks``, ``verdict_problems``,
``committed_verdict_problems``, ``execute``) in ``publish``. Their public names are importable
from here.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import NamedTuple

from .markers import (CODE_PLACEHOLDER, TEXT_PLACEHOLDER, exercise_cells, grade_ids,
                       is_meaningful, scan_cells, source_text)
from .notebook import (CELL_METADATA_NOISE, Exercise, fresh_lesson, build_lesson,  # noqa: F401
                        cell_fingerprints, exercises, lesson_edits, notebook_bytes, notebook_paths,
                        read_notebook)
from .publish import NO_CHECK, committed_verdict_problems, execute, missing_checks, verdict_problems

__all__ = [
    "CODE_PLACEHOLDER",
    "TEXT_PLACEHOLDER",
    "Exercise",
    "build_lesson",
    "build",
    "BuildResult",
    "EditedLessonsError",
    "lesson_edits",
    "cell_fingerprints",
    "lessons_in_sync",
    "solution_leaks",
    "grade_id_problems",
    "missing_checks",
    "committed_verdict_problems",
    "verdict_problems",
    "execute",
    "NO_CHECK",
    "exercises",
    "notebook_paths",
    "read_notebook",
    "notebook_bytes",
    "write_notebook",
]


# --------------------------------------------------------------------------- files

def _write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so an interrupted build leaves no half file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_notebook(nb, path: str | os.PathLike) -> None:
    """Save ``nb`` to ``path`` in Jupyter's own layout, in one step (no half-written file)."""
    _write_bytes(Path(path), notebook_bytes(nb))


# --------------------------------------------------------------------------- hand-edit guard

class EditedLessonsError(ValueError):
    """``build`` refused: lessons were edited since they were generated. ``edits``: path -> what changed."""

    def __init__(self, edits: dict[Path, str]):
        self.edits = dict(edits)
        listing = "; ".join(f"{path} ({why})" for path, why in self.edits.items())
        super().__init__(
            f"build: {len(self.edits)} lesson(s) were edited since build generated them, and building "
            f"would overwrite the edits: {listing}. Nothing was written. Move the changes into "
            f"solutions/ (or save the edited lesson under another name), or build with force=True "
            f"(`python -m backprop_helpers build --force`), which keeps a copy of each in {BACKUP_DIR}/")


class BuildResult(NamedTuple):
    """What ``build`` did: the lessons written, in order, and the copy kept of each edited one."""
    written: list[Path]
    backups: dict[Path, Path]


BACKUP_DIR = ".backup"
"""The folder inside ``lessons/`` where ``build --force`` keeps edited lessons before overwriting them."""


def _back_up(path: Path, stamp: str) -> Path:
    """Copy ``path`` to ``<its folder>/.backup/<stem>.<stamp>.ipynb`` (a folder git ignores)."""
    folder = path.parent / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# copies that `build --force` kept of edited lessons; never committed\n*\n",
                          encoding="utf-8")
    target, n = folder / f"{path.stem}.{stamp}{path.suffix}", 2
    while target.exists():
        target, n = folder / f"{path.stem}.{stamp}-{n}{path.suffix}", n + 1
    shutil.copy2(path, target)
    return target


def build(solutions_dir: str | os.PathLike = "solutions", lessons_dir: str | os.PathLike = "lessons", *,
          force: bool = False) -> BuildResult:
    """Generate ``lessons_dir/<name>`` for every ``solutions_dir/<name>.ipynb``; say what was written.

    Every lesson is built in memory before anything is written, so one broken solution notebook
    leaves every lesson as it was. A lesson whose file already holds exactly the fresh build is
    not touched (so JupyterLab does not see it change on disk) and is not in ``written``.
    Lessons without a solution are left alone (:func:`lessons_in_sync` reports them).

    A lesson edited since it was generated (:func:`lesson_edits`) is never overwritten silently:
    build raises :class:`EditedLessonsError` naming every such lesson and writes nothing, unless
    ``force``, when it first copies each to ``lessons_dir/.backup/<name>.<YYYYmmdd-HHMMSS>.ipynb``
    (``backups`` maps each lesson to its copy).
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    if not solutions_dir.is_dir():
        raise ValueError(f"build: solutions_dir {str(solutions_dir)!r} is not a folder")
    if lessons_dir.exists() and lessons_dir.resolve() == solutions_dir.resolve():
        raise ValueError(f"build: lessons_dir and solutions_dir are the same folder ({solutions_dir}); "
                         f"building would overwrite the solutions")
    planned = [(lessons_dir / path.name, fresh_lesson(path)) for path in notebook_paths(solutions_dir)]
    changes = [(target, data) for target, data in planned
               if not (target.is_file() and target.read_bytes() == data)]
    edits = {target: why for target, data in changes if (why := lesson_edits(target, data)) is not None}
    if edits and not force:
        raise EditedLessonsError(edits)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backups = {target: _back_up(target, stamp) for target in edits}
    written = []
    for target, data in changes:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(target, data)
        written.append(target)
    return BuildResult(written, backups)


# --------------------------------------------------------------------------- guards

def _first_difference(lesson: Path, expected: bytes) -> str:
    """Say where a lesson file first departs from its fresh build."""
    try:
        found = json.loads(lesson.read_text(encoding="utf-8"))
        found_cells = list(found["cells"])
    except (ValueError, KeyError, TypeError) as exc:
        return f"it is not a readable notebook ({exc})"
    want_cells = json.loads(expected)["cells"]
    for i, (want, got) in enumerate(zip(want_cells, found_cells)):
        if not isinstance(got, dict):
            return f"cell {i} is not a cell"
        for key in ("cell_type", "source", "outputs", "execution_count", "metadata", "id"):
            if want.get(key) == got.get(key):
                continue
            if key == "source":
                want_lines = source_text(want["source"]).splitlines()
                got_lines = source_text(got.get("source", "")).splitlines()
                for n, (a, b) in enumerate(zip(want_lines + [""], got_lines + [""]), 1):
                    if a != b:
                        return f"cell {i}, line {n}: the build has {a!r}, the lesson has {b!r}"
            if key in ("outputs", "execution_count"):
                return f"cell {i} has outputs or an execution count (lessons are committed without outputs)"
            return f"cell {i}: its {key} differs"
    if len(want_cells) != len(found_cells):
        return f"the build has {len(want_cells)} cells, the lesson has {len(found_cells)}"
    return "the notebook metadata or the file's layout differs"


def lessons_in_sync(solutions_dir: str | os.PathLike = "solutions",
                    lessons_dir: str | os.PathLike = "lessons") -> list[str]:
    """Problems that make ``lessons_dir`` differ from a fresh build of ``solutions_dir`` ([] if none).

    Reported: a missing lesson, a lesson without a solution, a lesson that differs from the fresh
    build (with its first differing cell), and a solution notebook that cannot be built.
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    problems = []
    solutions = notebook_paths(solutions_dir)
    names = {p.name for p in solutions}
    for path in solutions:
        lesson = lessons_dir / path.name
        try:
            expected = fresh_lesson(path)
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        if not lesson.is_file():
            problems.append(f"{lesson} is missing: run `python -m backprop_helpers build`")
        elif lesson.read_bytes() != expected:
            problems.append(f"{lesson} differs from a fresh build of {path}: "
                            f"{_first_difference(lesson, expected)}; fix {path} if needed, then run "
                            f"`python -m backprop_helpers build`")
    for lesson in notebook_paths(lessons_dir):
        if lesson.name not in names:
            problems.append(f"{lesson} has no solution notebook {solutions_dir / lesson.name}: "
                            f"add the solution or remove the lesson")
    return problems


def _public_and_secret(path: Path) -> tuple[set[str], dict[str, int]]:
    """Stripped lines outside any block, and meaningful lines only inside blocks (with their cell)."""
    nb = read_notebook(path)
    public: set[str] = set()
    secret: dict[str, int] = {}
    for i, lines in enumerate(scan_cells(nb, str(path), "solution_leaks")):
        for line in lines:
            text = line.text.strip()
            if line.block is None:
                public.add(text)
            elif line.marker is None and is_meaningful(text):
                secret.setdefault(text, i)
    public.update(CODE_PLACEHOLDER + (TEXT_PLACEHOLDER,))
    return public, {text: i for text, i in secret.items() if text not in public}


def solution_leaks(solutions_dir: str | os.PathLike = "solutions",
                   lessons_dir: str | os.PathLike = "lessons") -> list[str]:
    """Lines of any solution or hidden-test block that appear in a lesson cell ([] if none).

    A block line counts (stripped) unless it is shorter than 8 characters, blank, a comment, or
    also appears outside the blocks of its own solution notebook. It leaks into lesson L when
    it is in a cell of L and does not appear outside the blocks of L's own solution notebook
    (a line the author shows openly in that notebook is not a leak).
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    problems, public, secrets = [], {}, {}
    for path in notebook_paths(solutions_dir):
        try:
            public[path.name], secrets[path] = _public_and_secret(path)
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
    for lesson in notebook_paths(lessons_dir):
        try:
            nb = read_notebook(lesson)
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        shown = public.get(lesson.name, set())
        for i, cell in enumerate(nb.cells):
            lines = source_text(cell.get("source", "")).splitlines()
            for text in dict.fromkeys(line.strip() for line in lines):
                if text in shown:
                    continue
                for source, secret in secrets.items():
                    if text in secret:
                        problems.append(f"{lesson}, cell {i}: leaks {text!r} from a solution or "
                                        f"hidden-test block of {source} (cell {secret[text]})")
    return problems


def grade_id_problems(solutions_dir: str | os.PathLike = "solutions") -> list[str]:
    """Exercise cells whose grade_id is neither in their metadata nor the name of a ``def`` ([] if none).

    Such a cell would fall back to its cell id, which means nothing to a learner reading a grade.
    """
    problems = []
    for path in notebook_paths(solutions_dir):
        try:
            nb = read_notebook(path)
            scans = scan_cells(nb, str(path), "grade_id_problems")
            ids = grade_ids(nb, exercise_cells(nb, scans), str(path), "grade_id_problems")
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        problems += [f"{path}, cell {i}: this exercise has no grade_id; add metadata "
                     f'{{"nbgrader": {{"grade_id": "..."}}}} to the cell, or a def to name it after'
                     for i, (_, origin) in ids.items() if origin == "cell id"]
    return problems
