"""A learner's notebook as grading sees it (private helpers of ``grading``).

- ``load_lessons(folder)``: each lesson's exercises (grade_id and points, default 1) from the
  instructor's notebooks (``solutions/``; ``lessons/`` works too, ``build`` copies the points);
- ``parse(data, name)``: a learner's file read leniently (any nbformat 4 notebook, version 3
  converted), or the reason it cannot be graded (not JSON, not a notebook, an unsupported nbformat);
- ``exercise_cells(nb)``: where each exercise is, found by the cell's ``nbgrader.grade_id``
  wherever the cell now is (by the function's name if no cell carries a grade_id at all);
- ``identify(found, file_name, lessons)``: which lesson a notebook is, from its grade_ids;
  ``named_lessons(file_name, lessons)``: which lesson its file name says;
- ``answer_cell(nb, index, name, lesson)``: where the learner's answer is (a later cell that
  defines the exercise's function again counts, the lesson's own cells do not);
- ``setup_failure(nb, index, error)``: whether a cell's error means the notebook's set-up failed;
- ``learner_id(nb, path, root, lesson, lessons)``: who handed the notebook in (a metadata field, else
  the file name without the lesson's name, else the folder it is in);
- ``runnable(nb, nonce, requests)``: the notebook to execute: the grader's set-up cell, the
  learner's code cells in their order, then one grading cell per exercise.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4

from ..course.markers import first_def_name, nbgrader_meta, source_text
from ..course.notebook import notebook_paths, read_notebook
from ..course.points import exercise_points

__all__ = ["LessonSpec", "load_lessons", "parse", "exercise_cells", "identify", "runnable", "learner_id",
           "LEARNER_FIELD", "named_lessons", "answer_cell", "setup_failure"]

#: the notebook metadata field naming its learner: ``{"backprop_course": {"learner": "..."}}``
LEARNER_FIELD = ("backprop_course", "learner")


@dataclass(frozen=True)
class LessonSpec:
    """A lesson: its name (the notebook's file name without .ipynb), its exercises with points, and
    the sources of its other code cells (whitespace-normalised: the lesson's own, not a learner's)."""
    name: str
    exercises: tuple[tuple[str, float], ...]
    cells: frozenset = frozenset()

    @property
    def grade_ids(self) -> set[str]:
        return {gid for gid, _ in self.exercises}


def _normal(source: str) -> str:
    return " ".join(source.split())


def load_lessons(folder: str | Path) -> tuple[list[LessonSpec], list[str]]:
    """``(lessons, problems)``: the lessons with at least one exercise in ``folder``, and a line for
    each notebook there that could not be read (its lesson is then unknown to the grader). Points
    follow ``course.points``' rule (the answer cell's, or its nbgrader tests cells' when they carry
    some; 1 when neither does)."""
    lessons, problems = [], []
    for path in notebook_paths(folder):
        try:
            nb = read_notebook(path)
            found = exercise_points(nb, name=str(path))
        except (ValueError, TypeError, OSError) as exc:
            problems.append(f"{path} could not be read, so notebooks of that lesson cannot be graded ({exc})")
            continue
        if found:
            answers = {e.cell for e in found}
            shared = frozenset(_normal(source_text(c.get("source", ""))) for i, c in enumerate(nb.cells)
                               if c.get("cell_type") == "code" and i not in answers)
            lessons.append(LessonSpec(path.stem, tuple((e.grade_id, e.points) for e in found), shared))
    return lessons, problems


def named_lessons(file_name: str, lessons: list[LessonSpec]) -> list[LessonSpec]:
    """The lessons whose full name (``02_loss``) is part of the file's name, longest first."""
    stem = Path(file_name).stem.lower()
    return sorted((lesson for lesson in lessons if lesson.name.lower() in stem), key=lambda s: -len(s.name))


def answer_cell(nb: Any, index: int, name: str, lesson: LessonSpec) -> int:
    """The cell holding the learner's answer to the exercise whose cell is ``index``: the last code
    cell below it that defines ``name`` again at its top level (an answer written in a new cell),
    unless that cell is one of the lesson's own; else ``index``. With ``index`` -1 (the exercise
    cell is gone), the last such cell anywhere, or -1."""
    found = index
    for i in range(index + 1, len(nb.cells)):
        cell = nb.cells[i]
        if cell.cell_type != "code" or not re.search(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(name)}\b",
                                                     cell.source, re.MULTILINE):
            continue
        if _normal(cell.source) in lesson.cells or nbgrader_meta(cell).get("grade_id"):
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        if any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
               for node in tree.body):
            found = i
    return found


_IMPORTS_COURSE = re.compile(r"^[ \t]*(?:from|import)[ \t]+backprop_helpers\b", re.MULTILINE)


def setup_failure(nb: Any, index: int, error: str) -> bool:
    """Whether the error ("Name: message") that cell ``index`` raised means the notebook's set-up
    failed: an import that failed anywhere, or any error in the set-up cell (the first code cell
    that imports the course)."""
    name = error.partition(":")[0].strip()
    first = next((i for i, cell in enumerate(nb.cells)
                  if cell.cell_type == "code" and _IMPORTS_COURSE.search(cell.source)), None)
    return name in ("ImportError", "ModuleNotFoundError") or index == first


def parse(data: bytes, name: str) -> tuple[Any, str | None]:
    """``(notebook, None)`` or ``(None, why it cannot be graded)``; code cells' sources as strings."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, (f"not a notebook: the file is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                      f"{exc.msg})")
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        return None, "not a notebook: the JSON has no 'cells'"
    version = raw.get("nbformat")
    if version == 4 and isinstance(raw.get("cells"), list):
        cells = raw["cells"]
    elif version == 3:
        try:
            cells = nbformat.convert(nbformat.reads(json.dumps(raw), as_version=3), 4)["cells"]
        except Exception as exc:  # noqa: BLE001 - an unreadable old notebook is reported
            return None, f"an nbformat 3 notebook that could not be converted to version 4 ({exc})"
    else:
        return None, (f"unsupported nbformat version {version!r}: the grader reads version 4 "
                      f"(and converts version 3); open and save it in a current Jupyter")
    nb = v4.new_notebook()
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    section = meta.get(LEARNER_FIELD[0]) if isinstance(meta.get(LEARNER_FIELD[0]), dict) else {}
    learner = section.get(LEARNER_FIELD[1])
    if isinstance(learner, str) and learner.strip():
        nb.metadata[LEARNER_FIELD[0]] = {LEARNER_FIELD[1]: " ".join(learner.split())[:200]}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        source = cell.get("source", "")
        source = source_text(source) if isinstance(source, (str, list)) else ""
        new = v4.new_code_cell(source) if kind == "code" else v4.new_markdown_cell(source)
        new.metadata = {"nbgrader": dict(meta["nbgrader"])} if isinstance(meta.get("nbgrader"), dict) else {}
        nb.cells.append(new)
    return nb, None


def exercise_cells(nb: Any, known_names: set[str]) -> tuple[dict[str, int], list[str], bool]:
    """``({grade_id: cell index}, notes, by_name)``: each exercise's code cell (the last if repeated).

    Without any grade_id in the notebook (an editor dropped the metadata), a code cell whose first
    ``def`` is named like an exercise in ``known_names`` stands for it, a note says so, and
    ``by_name`` is True.
    """
    found: dict[str, int] = {}
    notes: list[str] = []
    tagged = [(i, nbgrader_meta(c).get("grade_id")) for i, c in enumerate(nb.cells)]
    tagged = [(i, g.strip()) for i, g in tagged if isinstance(g, str) and g.strip()]
    for i, gid in tagged:
        if nb.cells[i].cell_type != "code":
            notes.append(f"cell {i} has grade_id {gid!r} but is no longer a code cell")
            continue
        if gid in found:
            notes.append(f"grade_id {gid!r} is on cells {found[gid]} and {i}: cell {i} (the later) is graded")
        found[gid] = i
    if not tagged:
        for i, cell in enumerate(nb.cells):
            name = first_def_name(cell.source) if cell.cell_type == "code" else None
            if name in known_names:
                found[name] = i
        if found:
            notes.append("no cell carries a grade_id (the metadata was removed?): exercises were found "
                         "by the names of the functions their cells define")
    return found, notes, not tagged


def identify(found: set[str], file_name: str, lessons: list[LessonSpec], *,
             by_name: bool = False) -> tuple[LessonSpec | None, str]:
    """The lesson sharing the most grade_ids with ``found`` (then the fewest missing, then the file name).

    Returns ``(lesson, how)``, ``how`` saying what decided; ``(None, why)`` if nothing matches.
    ``by_name``: ``found`` are function names (the notebook has no grade_id); then at least half
    of the lesson's exercises must be there (a scratch notebook with a ``def relu`` is no lesson).
    """
    stem = Path(file_name).stem.lower()
    named = [lesson for lesson in lessons if lesson.name.lower() in stem]
    if not lessons:
        return None, "there are no lessons with exercises to compare it with"
    best = max(lessons, key=lambda s: (len(found & s.grade_ids), -len(s.grade_ids - found), s in named))
    shared = len(found & best.grade_ids)
    if by_name and 0 < shared < len(best.grade_ids) / 2:
        return None, (f"matches no lesson: it carries no grade_id, and it defines only {shared} of the "
                      f"{len(best.grade_ids)} exercise functions of {best.name}")
    if shared:
        return best, f"{shared} of its {len(best.grade_ids)} exercise cells found"
    if named:
        return named[0], "no exercise cell found; the lesson was taken from the file name"
    return None, ("matches no lesson: none of its cells carries the grade_id of a lesson's exercise"
                  + (f" (it has {', '.join(sorted(found))})" if found else ""))


_SEPARATORS = " _-.,;()[]"
_NBGRADER_FOLDERS = {"submitted", "autograded", "feedback", "release", "source", "downloaded"}
# folders that name no learner: a course checkout's, a Jupyter image's home and work folders
_USUAL_FOLDERS = {"lessons", "solutions", "notebooks", "work", "home", "jovyan", "users", "tmp",
                  "submissions", "collected", "backprop-course", "backprop_course"}


def learner_id(nb: Any, path: Path, root: Path | None, lesson: str | None,
               lessons: list[LessonSpec] = ()) -> str:
    """Who handed ``path`` in, for the gradebook and the feedback files.

    1. the notebook's metadata ``backprop_course.learner`` when it is set;
    2. else the file name without ``.ipynb`` and without the lesson's name (``alice_02_loss.ipynb``
       and ``02_loss-alice.ipynb`` are both ``alice``), when something is left;
    3. else the first folder under ``root`` (the folder given to ``grade``) on the way to the file,
       passing over nbgrader's own folder names (``submitted``, ``autograded``, ...):
       ``submitted/alice/ps2/02_loss.ipynb`` (nbgrader's layout) is ``alice``; for a file given by
       name (no ``root``), the nearest folder above it that is not a usual one (``lessons``,
       ``work``, ``jovyan``, ``home``, ...): ``/home/alice/lessons/02_loss.ipynb`` is ``alice``;
    4. else the file name.
    """
    if nb is not None:
        meta = getattr(nb, "metadata", {}).get(LEARNER_FIELD[0], {})
        if isinstance(meta, dict) and isinstance(meta.get(LEARNER_FIELD[1]), str) and meta[LEARNER_FIELD[1]]:
            return meta[LEARNER_FIELD[1]]
    stem = path.stem
    names = [lesson] if lesson else []
    names += sorted((spec.name for spec in lessons if spec.name != lesson), key=len, reverse=True)
    for name in names:
        at = stem.lower().find(name.lower())
        if at >= 0:
            rest = (stem[:at].strip(_SEPARATORS) + " " + stem[at + len(name):].strip(_SEPARATORS)).strip()
            if rest:
                return rest
            break
    else:
        return stem
    if root is not None:
        try:
            parts = path.resolve().relative_to(Path(root).resolve()).parts
        except ValueError:
            parts = ()
        folders = [part for part in parts[:-1] if part not in _NBGRADER_FOLDERS]
        if folders:
            return folders[0]
    else:       # a file given by name, e.g. /home/alice/lessons/02_loss.ipynb: the nearest folder
        for part in reversed([p for p in path.parts[:-1] if p not in (path.anchor, ".", "..")]):
            if part not in _NBGRADER_FOLDERS and part.lower() not in _USUAL_FOLDERS:
                return part
    return stem


def _harness_source(call: str) -> str:
    return f"from backprop_helpers.grading import kernel as _bp_grading\n_bp_grading.{call}\ndel _bp_grading\n"


_SAFE = re.compile(r"^[A-Za-z0-9_+/=]*$")


def runnable(nb: Any, nonce: str, requests: list[tuple[str, str]], *,
             skip: set[int] = frozenset()) -> tuple[Any, dict[int, int], dict[int, str]]:
    """The notebook to execute: set-up cell, the learner's code cells, one grading cell per request.

    ``requests`` is ``[(grade_id, base64 request)]``; the learner's cells in ``skip`` are left out
    (one that ended the kernel in an earlier run). Returns ``(notebook, {executed cell: learner
    cell}, {executed cell: grade_id})``.
    """
    if not all(_SAFE.match(text) for _, text in requests) or not nonce.isalnum():
        raise ValueError("runnable: requests and nonce must be base64 / alphanumeric text")
    out = v4.new_notebook()
    out.cells.append(v4.new_code_cell(_harness_source(f'install("{nonce}")')))
    origin, harness = {}, {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and i not in skip:
            origin[len(out.cells)] = i
            out.cells.append(v4.new_code_cell(cell.source))
    for gid, text in requests:
        harness[len(out.cells)] = gid
        out.cells.append(v4.new_code_cell(_harness_source(f'run_exercise("{nonce}", "{text}")')))
    return out, origin, harness
