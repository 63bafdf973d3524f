"""One notebook at a time (private helpers of ``course``): read it, list its exercises, build its lesson.

``build_lesson`` turns a solution notebook into the learner's lesson as described in ``course``:
answers replaced by placeholders, hidden tests removed, outputs and run-to-run metadata dropped, cell
ids kept stable. ``read_notebook`` and ``notebook_bytes`` read and write notebooks deterministically,
so building twice gives the same bytes. Every public name here is importable from ``course``.

Every lesson records what was generated: its notebook metadata ``backprop_course.generated_cells``
lists ``"<cell id>:<hash>"`` for each cell (``cell_fingerprints``), the hash covering what a person
writes (cell type, source, attachments, nbgrader metadata) and not what running it adds (outputs,
execution counts, viewer metadata). ``build`` compares a lesson on disk with its own record to tell
a lesson edited since its build from one that is merely out of date.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
from nbformat.v4.rwbase import rejoin_lines

from .markers import (exercise_cells, grade_ids, lesson_source, cell_points, scan_cells,
                       source_text)

__all__ = ["Exercise", "exercises", "build_lesson", "read_notebook", "notebook_bytes",
           "notebook_paths", "cell_fingerprints", "recorded_fingerprints", "lesson_edits"]

CELL_METADATA_NOISE = ("execution", "collapsed", "scrolled", "ExecuteTime")
"""Cell metadata keys that record how a notebook was last run or viewed, not what it says."""

BUILD_RECORD = "backprop_course"
"""The notebook metadata key under which a lesson records its generated cells."""


class Exercise(NamedTuple):
    """One exercise of a notebook: its nbgrader ``grade_id``, its cell's index, its points (or None)."""
    grade_id: str
    cell_index: int
    points: float | None


# --------------------------------------------------------------------------- one notebook

def _check_notebook(fn: str, nb: Any) -> None:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        kind = type(nb).__name__
        raise TypeError(f"{fn}: nb must be a notebook (an nbformat NotebookNode with a list of cells), "
                        f"got an object of type {kind}")


def exercises(nb: Any, *, name: str = "notebook") -> list[Exercise]:
    """The exercises of a solution or lesson notebook, in order, as ``(grade_id, cell_index, points)``.

    An exercise is a cell with a ``### BEGIN SOLUTION`` block (in a solution notebook) or with
    ``metadata.nbgrader.solution == true`` (in a generated lesson). Its ``grade_id`` is, in this
    order: the cell's ``metadata.nbgrader.grade_id``; the name of the first ``def`` in the cell
    (``"linear_forward"``); the cell's id. ``points`` is ``metadata.nbgrader.points`` or None.
    """
    _check_notebook("exercises", nb)
    scans = scan_cells(nb, name, "exercises")
    ids = grade_ids(nb, exercise_cells(nb, scans), name, "exercises")
    return [Exercise(gid, i, cell_points(nb["cells"][i])) for i, (gid, _) in ids.items()]


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
    scans = scan_cells(nb, name, "build_lesson")
    with_solution = [i for i, lines in enumerate(scans) if any(ln.block == "SOLUTION" for ln in lines)]
    ids = grade_ids(nb, with_solution, name, "build_lesson")
    cells, used_ids = [], set()
    for i, (cell, lines) in enumerate(zip(nb["cells"], scans)):
        kind = cell.get("cell_type", "code")
        original = source_text(cell.get("source", ""))
        source = lesson_source(lines, code=kind == "code")
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
            if cell_points(cell) is not None:
                meta["points"] = cell_points(cell)
            new.metadata["nbgrader"] = meta
        cells.append(new)
    metadata = {k: copy.deepcopy(v) for k, v in nb.get("metadata", {}).items()
                if k not in ("widgets", BUILD_RECORD)}
    metadata[BUILD_RECORD] = {"generated_cells": cell_fingerprints({"cells": cells})}
    return nbformat.from_dict({"cells": cells, "metadata": metadata, "nbformat": 4,
                               "nbformat_minor": max(int(nb.get("nbformat_minor", 5)), 5)})


# --------------------------------------------------------------------------- what was generated

def cell_fingerprints(nb: Any) -> list[str]:
    """``"<cell id>:<12 hex digits>"`` per cell, in order: a hash of what a person writes in the cell.

    The hash covers the cell type, the source, the attachments and the ``nbgrader`` metadata; it
    leaves out outputs, execution counts and every other metadata key (what running or viewing the
    notebook changes). A cell without an id is named ``cell-<index>``.
    """
    _check_notebook("cell_fingerprints", nb)
    found = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            found.append(f"cell-{i}:not-a-cell")
            continue
        meta = cell.get("metadata")
        written = {"cell_type": cell.get("cell_type"), "source": source_text(cell.get("source", "")),
                   "attachments": cell.get("attachments") or {},
                   "nbgrader": (meta.get("nbgrader") if isinstance(meta, dict) else None) or {}}
        digest = hashlib.sha256(json.dumps(written, sort_keys=True, default=str).encode("utf-8"))
        found.append(f"{cell.get('id') or f'cell-{i}'}:{digest.hexdigest()[:12]}")
    return found


def recorded_fingerprints(nb: Any) -> list[str] | None:
    """The fingerprints a lesson recorded when it was built, or None if it holds no such record."""
    _check_notebook("recorded_fingerprints", nb)
    meta = nb.get("metadata")
    record = meta.get(BUILD_RECORD) if isinstance(meta, dict) else None
    cells = record.get("generated_cells") if isinstance(record, dict) else None
    if isinstance(cells, list) and all(isinstance(c, str) for c in cells):
        return list(cells)
    return None


def _describe_edits(recorded: list[str], current: list[str]) -> str:
    """Which cells changed between a lesson's record of its build and its cells now (indices: now)."""
    was = dict(reversed([entry.rpartition(":")[::2] for entry in recorded]))
    now = [entry.rpartition(":")[::2] for entry in current]
    now_ids = {cell_id for cell_id, _ in now}
    changed = [i for i, (cell_id, digest) in enumerate(now) if cell_id in was and was[cell_id] != digest]
    added = [i for i, (cell_id, _) in enumerate(now) if cell_id not in was]
    removed = [cell_id for cell_id in was if cell_id not in now_ids]
    parts = []
    for label, indices in (("changed", changed), ("added", added)):
        if indices:
            parts.append(f"cell{'s' * (len(indices) > 1)} {', '.join(map(str, indices))} {label}")
    if removed:
        parts.append(f"{len(removed)} cell(s) removed")
    return ", ".join(parts) or "its cells were put in another order"


def lesson_edits(lesson_path: str | os.PathLike, fresh: bytes) -> str | None:
    """What a person changed in ``lesson_path`` since ``build`` wrote it, or None if nothing.

    ``fresh`` is the lesson as ``build`` would write it now. Nothing was changed when the file does
    not exist, or when its cells match either the record the lesson keeps of its build (see
    ``cell_fingerprints``) or the fresh build; outputs and viewer metadata (what running a lesson
    adds) do not count. A file that is not a readable notebook, or a lesson without a record of its
    build that differs from the fresh one, counts as edited: its changes cannot be told apart.
    """
    lesson_path = Path(lesson_path)
    if not lesson_path.is_file() or lesson_path.read_bytes() == fresh:
        return None
    try:
        nb = read_notebook(lesson_path)
        current = cell_fingerprints(nb)
    except Exception as exc:  # noqa: BLE001 - whatever makes it unreadable, it is not build's output
        return f"it is not a readable notebook ({exc})"
    if current == cell_fingerprints(json.loads(fresh)):
        return None
    recorded = recorded_fingerprints(nb)
    if recorded is None:
        return "it holds no record of its build (written by hand or by an older build)"
    if current == recorded:
        return None
    return _describe_edits(recorded, current)


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


def fresh_lesson(path: Path) -> bytes:
    lesson = build_lesson(read_notebook(path), name=str(path))
    try:
        nbformat.validate(lesson)
    except nbformat.ValidationError as exc:
        raise ValueError(f"build_lesson: {path}: the lesson would not be a valid notebook "
                         f"({exc.message})") from None
    return notebook_bytes(lesson)
