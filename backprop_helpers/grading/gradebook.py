"""The gradebook (``grade --gradebook FILE.csv``): one row per learner, one column per lesson, a total.

The layout is the one Moodle's gradebook imports (Grades → Import → CSV file): a header row, one
column identifying the learner (``Learner``, mapped on import to a Moodle user field: username,
ID number or email address), then one column per lesson holding the points earned (imported as
new grade items, or mapped onto existing ones), then ``Total``. A lesson the learner handed no
notebook for reads ``-``, which Moodle imports as "no grade". Moodle computes its own course total,
so ``Total`` is for a spreadsheet (map it to "Ignore" on import).

Who the learner is comes from ``submissions.learner_id``. When one learner handed in two notebooks
of the same lesson, the better score counts, and a note says so.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

__all__ = ["gradebook", "to_gradebook_csv", "LEARNER_COLUMN", "TOTAL_COLUMN", "NO_GRADE"]

LEARNER_COLUMN, TOTAL_COLUMN, NO_GRADE = "Learner", "Total", "-"


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def gradebook(report: Any) -> tuple[list[str], list[list], list[str]]:
    """``(header, rows, notes)``: the lessons graded, one row per learner, and the notes (two
    notebooks of one lesson, notebooks that could not be graded)."""
    lessons = sorted({nb.lesson for nb in report.notebooks if nb.graded})
    best: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for nb in report.notebooks:
        learner = nb.learner or Path(nb.path).stem
        row = best.setdefault(learner, {})
        if not nb.graded:
            notes.append(f"{learner}: {Path(nb.path).name} could not be graded, so it counts for no lesson")
            continue
        if nb.lesson in row:
            other = row[nb.lesson]
            keep = nb if nb.score > other.score else other
            notes.append(f"{learner} handed in two notebooks of {nb.lesson} ({Path(other.path).name}, "
                         f"{Path(nb.path).name}): the better, {_num(keep.score)} points from "
                         f"{Path(keep.path).name}, counts")
            row[nb.lesson] = keep
        else:
            row[nb.lesson] = nb
    header = [LEARNER_COLUMN, *lessons, TOTAL_COLUMN]
    rows = []
    for learner in sorted(best, key=str.lower):
        row = best[learner]
        points = [_num(row[lesson].score) if lesson in row else NO_GRADE for lesson in lessons]
        rows.append([learner, *points, _num(sum(nb.score for nb in row.values()))])
    return header, rows, notes


def to_gradebook_csv(report: Any) -> str:
    """The gradebook as CSV text (comma-separated, UTF-8, a header row)."""
    header, rows, _ = gradebook(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
