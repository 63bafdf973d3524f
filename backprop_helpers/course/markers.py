"""The marker language of solution notebooks, read cell by cell (private helpers of ``course``).

A solution cell marks its answer with whole lines ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and
its instructor-only checks with ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (the nbgrader
syntax). This module splits a cell's source into lines tagged with the block they sit in (refusing
near-miss markers, unclosed or nested blocks), finds the exercise cells and their ``grade_id``, and
writes the lesson's version of a cell's source, with the placeholders ``CODE_PLACEHOLDER`` and
``TEXT_PLACEHOLDER`` where the answers were. ``course`` builds lessons and guards on top of it.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

__all__ = ["CODE_PLACEHOLDER", "TEXT_PLACEHOLDER"]

CODE_PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_PLACEHOLDER = "YOUR ANSWER HERE"
_MARKER = re.compile(
    r"(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<block>SOLUTION|HIDDEN TESTS)[ \t]*\r?\n?")
_NEAR_MISS = re.compile(r"[ \t]*#+[ \t]*(BEGIN|END)[ \t]+(SOLUTION|HIDDEN[ \t]*TESTS?)\b", re.IGNORECASE)
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


class ScannedLine(NamedTuple):
    """A line of a cell (with its line ending), the block it belongs to, and its marker if it is one."""
    text: str
    block: str | None      # "SOLUTION", "HIDDEN TESTS", or None outside every block
    marker: str | None     # "BEGIN" or "END" on a marker line, else None
    indent: str            # the BEGIN marker's indentation, for every line of a block


def source_text(source: Any) -> str:
    """A cell's source as one string (files store it as a list of lines)."""
    return "".join(source) if isinstance(source, list) else str(source)


def _scan_source(source: str, where: str) -> list[ScannedLine]:
    """Split ``source`` into lines, each tagged with its block; bad markers raise ValueError at ``where``.

    Markers are whole lines: ``### BEGIN SOLUTION``, indented or not, nothing after it. A line
    that looks like one but differs (``## BEGIN SOLUTION``, ``### begin solution``, text after
    it) is refused rather than passed through, because it would leak the answer into the lesson.
    """
    out: list[ScannedLine] = []
    opened: tuple[str, int, str] | None = None  # (block, line number, indentation)
    for number, text in enumerate(re.findall(r"[^\n]*\n|[^\n]+", source), 1):
        match = _MARKER.fullmatch(text)
        if match is None:
            if _NEAR_MISS.match(text):
                raise ValueError(f"{where}, line {number}: {text.strip()!r} looks like a marker but is not "
                                 f"one; write it exactly as '### BEGIN SOLUTION', '### END SOLUTION', "
                                 f"'### BEGIN HIDDEN TESTS' or '### END HIDDEN TESTS', alone on its line")
            out.append(ScannedLine(text, opened[0] if opened else None, None, opened[2] if opened else ""))
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
        out.append(ScannedLine(text, block, edge, opened[2]))
        if edge == "END":
            opened = None
    if opened:
        raise ValueError(f"{where}, line {opened[1]}: '### BEGIN {opened[0]}' is never closed by "
                         f"'### END {opened[0]}'")
    return out


def first_def_name(source: str) -> str | None:
    """The name of the first function defined in ``source`` (``def linear_forward(...)``), or None."""
    match = _DEF.search(source)
    return match.group(1) if match else None


def is_meaningful(stripped: str) -> bool:
    """Whether a stripped block line is specific enough to count as a leak: 8+ characters, no comment."""
    return len(stripped) >= 8 and not stripped.startswith("#")


def nbgrader_meta(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def scan_cells(nb: Any, name: str, fn: str) -> list[list[ScannedLine]]:
    """Every cell's lines, each marked with the block it sits in; bad markers raise ValueError."""
    return [_scan_source(source_text(cell.get("source", "")), f"{fn}: {name}, cell {i}")
            for i, cell in enumerate(nb["cells"])]


def exercise_cells(nb: Any, scans: list[list[ScannedLine]]) -> list[int]:
    """Cells holding a solution block (a solution notebook) or marked as nbgrader solutions (a lesson)."""
    return [i for i, (cell, lines) in enumerate(zip(nb["cells"], scans))
            if any(line.block == "SOLUTION" for line in lines)
            or nbgrader_meta(cell).get("solution") is True]


def grade_ids(nb: Any, indices: list[int], name: str, fn: str) -> dict[int, tuple[str, str]]:
    """``{cell index: (grade_id, origin)}``, origin "metadata", "def" or "cell id"; ids are unique.

    Ids from metadata come first and must be unique; a derived id that is already taken gets
    ``_2``, ``_3``, ... appended, in notebook order, so the result never depends on anything but
    the notebook.
    """
    result: dict[int, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for i in indices:
        gid = nbgrader_meta(nb["cells"][i]).get("grade_id")
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
        base = first_def_name(source_text(cell.get("source", ""))) if is_code else None
        origin = "def" if base else "cell id"
        base = base or str(cell.get("id") or f"cell-{i}")
        gid, k = base, 2
        while gid in seen:
            gid, k = f"{base}_{k}", k + 1
        seen[gid] = i
        result[i] = (gid, origin)
    return dict(sorted(result.items()))


def cell_points(cell: Any) -> float | None:
    points = nbgrader_meta(cell).get("points")
    return points if isinstance(points, (int, float)) and not isinstance(points, bool) else None



def lesson_source(lines: list[ScannedLine], code: bool) -> str:
    out = []
    for line in lines:
        if line.block is None:
            out.append(line.text)
        elif line.block == "SOLUTION" and line.marker == "END":
            end = "\n" if line.text.endswith("\n") else ""
            filler = CODE_PLACEHOLDER if code else (TEXT_PLACEHOLDER,)
            out.append("".join(f"{line.indent}{text}\n" for text in filler)[:-1] + end)
    return "".join(out)
