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
"""
from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
from nbformat.v4.rwbase import rejoin_lines

__all__ = [
    "CODE_PLACEHOLDER",
    "TEXT_PLACEHOLDER",
    "Exercise",
    "build_lesson",
    "build",
    "lessons_in_sync",
    "solution_leaks",
    "grade_id_problems",
    "exercises",
    "notebook_paths",
    "read_notebook",
    "notebook_bytes",
]

CELL_METADATA_NOISE = ("execution", "collapsed", "scrolled", "ExecuteTime")
"""Cell metadata keys that record how a notebook was last run or viewed, not what it says."""


class Exercise(NamedTuple):
    """One exercise of a notebook: its nbgrader ``grade_id``, its cell's index, its points (or None)."""
    grade_id: str
    cell_index: int
    points: float | None


# --------------------------------------------------------------------------- markers and lines

CODE_PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_PLACEHOLDER = "YOUR ANSWER HERE"
_MARKER = re.compile(
    r"(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<block>SOLUTION|HIDDEN TESTS)[ \t]*\r?\n?")
_NEAR_MISS = re.compile(r"[ \t]*#+[ \t]*(BEGIN|END)[ \t]+(SOLUTION|HIDDEN[ \t]*TESTS?)\b", re.IGNORECASE)
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


class _ScannedLine(NamedTuple):
    """A line of a cell (with its line ending), the block it belongs to, and its marker if it is one."""
    text: str
    block: str | None      # "SOLUTION", "HIDDEN TESTS", or None outside every block
    marker: str | None     # "BEGIN" or "END" on a marker line, else None
    indent: str            # the BEGIN marker's indentation, for every line of a block


def _source_text(source: Any) -> str:
    """A cell's source as one string (files store it as a list of lines)."""
    return "".join(source) if isinstance(source, list) else str(source)


def _scan_source(source: str, where: str) -> list[_ScannedLine]:
    """Split ``source`` into lines, each tagged with its block; bad markers raise ValueError at ``where``.

    Markers are whole lines: ``### BEGIN SOLUTION``, indented or not, nothing after it. A line
    that looks like one but differs (``## BEGIN SOLUTION``, ``### begin solution``, text after
    it) is refused rather than passed through, because it would leak the answer into the lesson.
    """
    out: list[_ScannedLine] = []
    opened: tuple[str, int, str] | None = None  # (block, line number, indentation)
    for number, text in enumerate(re.findall(r"[^\n]*\n|[^\n]+", source), 1):
        match = _MARKER.fullmatch(text)
        if match is None:
            if _NEAR_MISS.match(text):
                raise ValueError(f"{where}, line {number}: {text.strip()!r} looks like a marker but is not "
                                 f"one; write it exactly as '### BEGIN SOLUTION', '### END SOLUTION', "
                                 f"'### BEGIN HIDDEN TESTS' or '### END HIDDEN TESTS', alone on its line")
            out.append(_ScannedLine(text, opened[0] if opened else None, None, opened[2] if opened else ""))
            continue
        edge, block = match["edge"], match["block"]
        if edge == "BEGIN":
            if opened:
                raise ValueError(f"{where}, line {number}: '### BEGIN {block}' inside the '### BEGIN "
                                 f"{opened[0]}' block opened on line {opened[1]}; blocks cannot be nested")
            opened = (block, number, match["indent"])
        elif opened is None:
            raise ValueError(f"{where}, line {number}: '### END {block}' has no '### BEGIN {block}' above it")
        elif opened[0] != block:
            raise ValueError(f"{where}, line {number}: '### END {block}' cannot close the '### BEGIN "
                             f"{opened[0]}' block opened on line {opened[1]}")
        out.append(_ScannedLine(text, block, edge, opened[2]))
        if edge == "END":
            opened = None
    if opened:
        raise ValueError(f"{where}, line {opened[1]}: '### BEGIN {opened[0]}' is never closed by "
                         f"'### END {opened[0]}'")
    return out


def _first_def_name(source: str) -> str | None:
    """The name of the first function defined in ``source`` (``def linear_forward(...)``), or None."""
    match = _DEF.search(source)
    return match.group(1) if match else None


def _is_meaningful(stripped: str) -> bool:
    """Whether a stripped block line is specific enough to count as a leak: 8+ characters, no comment."""
    return len(stripped) >= 8 and not stripped.startswith("#")


# --------------------------------------------------------------------------- one notebook

def _nbgrader_meta(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _check_notebook(fn: str, nb: Any) -> None:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        kind = type(nb).__name__
        raise TypeError(f"{fn}: nb must be a notebook (an nbformat NotebookNode with a list of cells), "
                        f"got an object of type {kind}")


def _scan_cells(nb: Any, name: str, fn: str) -> list[list[_ScannedLine]]:
    """Every cell's lines, each marked with the block it sits in; bad markers raise ValueError."""
    return [_scan_source(_source_text(cell.get("source", "")), f"{fn}: {name}, cell {i}")
            for i, cell in enumerate(nb["cells"])]


def _exercise_cells(nb: Any, scans: list[list[_ScannedLine]]) -> list[int]:
    """Cells holding a solution block (a solution notebook) or marked as nbgrader solutions (a lesson)."""
    return [i for i, (cell, lines) in enumerate(zip(nb["cells"], scans))
            if any(line.block == "SOLUTION" for line in lines)
            or _nbgrader_meta(cell).get("solution") is True]


def _grade_ids(nb: Any, indices: list[int], name: str, fn: str) -> dict[int, tuple[str, str]]:
    """``{cell index: (grade_id, origin)}``, origin "metadata", "def" or "cell id"; ids are unique.

    Ids from metadata come first and must be unique; a derived id that is already taken gets
    ``_2``, ``_3``, ... appended, in notebook order, so the result never depends on anything but
    the notebook.
    """
    result: dict[int, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for i in indices:
        gid = _nbgrader_meta(nb["cells"][i]).get("grade_id")
        if isinstance(gid, str) and gid.strip():
            gid = gid.strip()
            if gid in seen:
                raise ValueError(f"{fn}: {name}, cell {i}: grade_id {gid!r} is already used by cell "
                                 f"{seen[gid]}; every exercise needs its own grade_id")
            seen[gid] = i
            result[i] = (gid, "metadata")
    for i in indices:
        if i in result:
            continue
        cell = nb["cells"][i]
        is_code = cell.get("cell_type") == "code"
        base = _first_def_name(_source_text(cell.get("source", ""))) if is_code else None
        origin = "def" if base else "cell id"
        base = base or str(cell.get("id") or f"cell-{i}")
        gid, k = base, 2
        while gid in seen:
            gid, k = f"{base}_{k}", k + 1
        seen[gid] = i
        result[i] = (gid, origin)
    return dict(sorted(result.items()))


def _points(cell: Any) -> float | None:
    points = _nbgrader_meta(cell).get("points")
    return points if isinstance(points, (int, float)) and not isinstance(points, bool) else None


def exercises(nb: Any, *, name: str = "notebook") -> list[Exercise]:
    """The exercises of a solution or lesson notebook, in order, as ``(grade_id, cell_index, points)``.

    An exercise is a cell with a ``### BEGIN SOLUTION`` block (in a solution notebook) or with
    ``metadata.nbgrader.solution == true`` (in a generated lesson). Its ``grade_id`` is, in this
    order: the cell's ``metadata.nbgrader.grade_id``; the name of the first ``def`` in the cell
    (``"linear_forward"``); the cell's id. ``points`` is ``metadata.nbgrader.points`` or None.
    """
    _check_notebook("exercises", nb)
    scans = _scan_cells(nb, name, "exercises")
    ids = _grade_ids(nb, _exercise_cells(nb, scans), name, "exercises")
    return [Exercise(gid, i, _points(nb["cells"][i])) for i, (gid, _) in ids.items()]


def _lesson_source(lines: list[_ScannedLine], code: bool) -> str:
    out = []
    for line in lines:
        if line.block is None:
            out.append(line.text)
        elif line.block == "SOLUTION" and line.marker == "END":
            end = "\n" if line.text.endswith("\n") else ""
            filler = CODE_PLACEHOLDER if code else (TEXT_PLACEHOLDER,)
            out.append("".join(f"{line.indent}{text}\n" for text in filler)[:-1] + end)
    return "".join(out)


def _clean_cell_metadata(meta: dict) -> dict:
    meta = {k: copy.deepcopy(v) for k, v in meta.items() if k not in CELL_METADATA_NOISE}
    jupyter = meta.get("jupyter")
    if isinstance(jupyter, dict):
        jupyter = {k: v for k, v in jupyter.items() if k != "outputs_hidden"}
        if jupyter:
            meta["jupyter"] = jupyter
        else:
            del meta["jupyter"]
    return meta


def _unique_id(cell: Any, index: int, used: set[str]) -> str:
    """The solution cell's id; ``cell-<index>`` if it has none; ``<id>-<index>`` if already used.

    nbformat would repair a missing or repeated id with a random one, and the lesson would change
    at every build.
    """
    cell_id = str(cell.get("id") or f"cell-{index}")
    if cell_id in used:
        cell_id = f"{cell_id}-{index}"
    while cell_id in used:
        cell_id += "-"
    used.add(cell_id)
    return cell_id


def build_lesson(nb: Any, *, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner's version of a solution notebook (a new notebook; ``nb`` is left unchanged).

    ``name`` (e.g. the file name) appears in error messages. Raises ValueError, naming the
    notebook, the cell index and the line, for a marker without its partner, nested blocks, or
    a line that looks like a marker but is not exactly one (``## BEGIN SOLUTION``).
    """
    _check_notebook("build_lesson", nb)
    if nb.get("nbformat") != 4:
        nb = nbformat.convert(nbformat.from_dict(nb), 4)
    scans = _scan_cells(nb, name, "build_lesson")
    with_solution = [i for i, lines in enumerate(scans) if any(ln.block == "SOLUTION" for ln in lines)]
    ids = _grade_ids(nb, with_solution, name, "build_lesson")
    cells, used_ids = [], set()
    for i, (cell, lines) in enumerate(zip(nb["cells"], scans)):
        kind = cell.get("cell_type", "code")
        original = _source_text(cell.get("source", ""))
        source = _lesson_source(lines, code=kind == "code")
        if not original.endswith("\n"):
            source = source.rstrip("\n")
        if not source.strip() and any(ln.block == "HIDDEN TESTS" for ln in lines):
            continue  # the cell held hidden tests only
        new = nbformat.from_dict({"cell_type": kind, "id": _unique_id(cell, i, used_ids),
                                  "metadata": _clean_cell_metadata(dict(cell.get("metadata", {}))),
                                  "source": source})
        if kind == "code":
            new.outputs, new.execution_count = [], None
        elif "attachments" in cell:
            new.attachments = copy.deepcopy(cell["attachments"])
        if i in ids:
            meta = {"grade": False, "grade_id": ids[i][0], "locked": False, "schema_version": 3,
                    "solution": True}
            if _points(cell) is not None:
                meta["points"] = _points(cell)
            new.metadata["nbgrader"] = meta
        cells.append(new)
    metadata = {k: copy.deepcopy(v) for k, v in nb.get("metadata", {}).items() if k != "widgets"}
    return nbformat.from_dict({"cells": cells, "metadata": metadata, "nbformat": 4,
                               "nbformat_minor": max(int(nb.get("nbformat_minor", 5)), 5)})


# --------------------------------------------------------------------------- files

def read_notebook(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4 without inventing anything (no random ids for missing ones)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"read_notebook: {path} is not valid notebook JSON ({exc})") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise ValueError(f"read_notebook: {path} is JSON but not a notebook (no 'cells')")
    if data.get("nbformat") == 4:
        return rejoin_lines(nbformat.from_dict(data))  # sources as strings, as nbformat.read gives them
    return nbformat.reads(text, as_version=4)


def notebook_bytes(nb: Any) -> bytes:
    """The canonical file content: Jupyter's own layout (sorted keys, indent 1), a final newline."""
    text = nbformat.writes(nb, version=4)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def notebook_paths(folder: str | os.PathLike) -> list[Path]:
    """The notebooks directly in ``folder``, sorted by name (none if the folder does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))


def _write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so an interrupted build leaves no half file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fresh_lesson(path: Path) -> bytes:
    lesson = build_lesson(read_notebook(path), name=str(path))
    try:
        nbformat.validate(lesson)
    except nbformat.ValidationError as exc:
        raise ValueError(f"build_lesson: {path}: the lesson would not be a valid notebook "
                         f"({exc.message})") from None
    return notebook_bytes(lesson)


# ---- Hand-edit guard: PLACEHOLDER for a later task -------------------------------------------
# Planned: refuse to overwrite a lesson that was edited since it was last generated (unless
# force=True), and say which cells changed. Until then build always overwrites, and `force` is
# accepted but has no effect.
def _refuse_if_edited_by_hand(lesson_path: Path, force: bool) -> None:
    """Placeholder: will raise if ``lesson_path`` was edited since its last build and not ``force``."""
    return None


def build(solutions_dir: str | os.PathLike = "solutions", lessons_dir: str | os.PathLike = "lessons", *,
          force: bool = False) -> list[Path]:
    """Generate ``lessons_dir/<name>`` for every ``solutions_dir/<name>.ipynb``; return what was written.

    Every lesson is built in memory before anything is written, so one broken solution notebook
    leaves every lesson as it was. A lesson whose file already holds exactly the fresh build is
    not touched (so JupyterLab does not see it change on disk) and is not in the returned list.
    Lessons without a solution are left alone (:func:`lessons_in_sync` reports them).
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    if not solutions_dir.is_dir():
        raise ValueError(f"build: solutions_dir {str(solutions_dir)!r} is not a folder")
    if lessons_dir.exists() and lessons_dir.resolve() == solutions_dir.resolve():
        raise ValueError(f"build: lessons_dir and solutions_dir are the same folder ({solutions_dir}); "
                         f"building would overwrite the solutions")
    planned = [(lessons_dir / path.name, _fresh_lesson(path)) for path in notebook_paths(solutions_dir)]
    written = []
    for target, data in planned:
        _refuse_if_edited_by_hand(target, force)
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(target, data)
        written.append(target)
    return written


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
                want_lines = _source_text(want["source"]).splitlines()
                got_lines = _source_text(got.get("source", "")).splitlines()
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
            expected = _fresh_lesson(path)
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
    for i, lines in enumerate(_scan_cells(nb, str(path), "solution_leaks")):
        for line in lines:
            text = line.text.strip()
            if line.block is None:
                public.add(text)
            elif line.marker is None and _is_meaningful(text):
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
            lines = _source_text(cell.get("source", "")).splitlines()
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
            scans = _scan_cells(nb, str(path), "grade_id_problems")
            ids = _grade_ids(nb, _exercise_cells(nb, scans), str(path), "grade_id_problems")
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        problems += [f"{path}, cell {i}: this exercise has no grade_id; add metadata "
                     f'{{"nbgrader": {{"grade_id": "..."}}}} to the cell, or a def to name it after'
                     for i, (_, origin) in ids.items() if origin == "cell id"]
    return problems
