"""The grading report as text, JSON and CSV, and the class summary (private helpers of ``grading``).

The summary groups notebooks by lesson; for each exercise it counts the notebooks that passed and
what went wrong in the others: the named mistake when the check recognised one, else the status
("not done", "missing", "not yours", "error", "wrong (no catalogued mistake)", ...), most common
first. The text starts with the seed the hidden cases were drawn from, and ends with the pairs of
similar notebooks when ``--similarity`` asked for them.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

__all__ = ["summary", "to_text", "to_json", "to_csv"]

_SYMBOL = {"passed": "✔", "not done": "…", "missing": "-"}
CSV_COLUMNS = ("notebook", "lesson", "exercise", "status", "passed", "points", "max_points", "mistake",
               "message", "notebook_problems")


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _problem_label(exercise: Any) -> str | None:
    if exercise.passed:
        return None
    if exercise.mistake:
        return exercise.mistake
    return "wrong (no catalogued mistake)" if exercise.status == "wrong" else exercise.status


def summary(report: Any) -> dict:
    """Per lesson: notebooks, mean score, and per exercise the passes and the problems, most common first."""
    lessons: dict[str, dict] = {}
    for nb in report.notebooks:
        if not nb.graded:
            continue
        entry = lessons.setdefault(nb.lesson, {"notebooks": 0, "scores": [], "max_score": _num(nb.max_score),
                                               "exercises": {}})
        entry["notebooks"] += 1
        entry["scores"].append(nb.score)
        for ex in nb.exercises:
            row = entry["exercises"].setdefault(ex.grade_id, {"max_points": _num(ex.max_points), "passed": 0,
                                                              "graded": 0, "problems": Counter()})
            row["graded"] += 1
            row["passed"] += ex.passed
            label = _problem_label(ex)
            if label:
                row["problems"][label] += 1
    for entry in lessons.values():
        scores = entry.pop("scores")
        entry["mean_score"] = _num(sum(scores) / len(scores))
        for row in entry["exercises"].values():
            row["problems"] = dict(row["problems"].most_common())
    not_graded = [{"notebook": nb.path, "reason": "; ".join(nb.problems)} for nb in report.notebooks
                  if not nb.graded]
    return {"notebooks": len(report.notebooks), "graded": len(report.notebooks) - len(not_graded),
            "lessons": dict(sorted(lessons.items())), "not_graded": not_graded}


def _short(exercise: Any, width: int = 220) -> str:
    text = exercise.message
    for glyph in ("✔", "✘", "…"):   # "✘ relu: ..." -> "...", "✘ relu raised ..." -> "raised ..."
        prefix = f"{glyph} {exercise.grade_id}"
        if text.startswith(prefix + ":") or text.startswith(prefix + " "):
            text = text[len(prefix):].lstrip(": ")
    text = " ".join(text.split())
    if exercise.mistake:
        text = f"mistake \"{exercise.mistake}\": {text}"
    return text if len(text) <= width else text[:width - 1] + "…"


def to_text(report: Any) -> str:
    """The report for a terminal: one block per notebook, then the class summary."""
    s = report.settings
    memory = f"{s['memory_mb']} MiB of memory" if s["memory_mb"] else "no memory limit"
    lines = [f"Grading {len(report.notebooks)} notebook(s) against {s['solutions']} "
             f"(per cell {s['cell_timeout']:g} s, per notebook {s['timeout']:g} s, {memory} per kernel, "
             f"{s['jobs']} at a time; cells counted from 0)"]
    if s.get("seed") is not None:
        lines.append(f"Hidden cases drawn with seed {s['seed']} "
                     f"(to repeat this run exactly: --seed {s['seed']})")
    lines += [f"! {problem}" for problem in s.get("solution_problems", [])] + [""]
    for nb in report.notebooks:
        if not nb.graded:
            lines.append(f"{nb.path}: NOT GRADED: {'; '.join(nb.problems)}")
            lines.append("")
            continue
        who = f"learner {nb.learner}; " if nb.learner else ""
        lines.append(f"{nb.path}: {nb.lesson}: {_num(nb.score)}/{_num(nb.max_score)} points "
                     f"({who}{nb.identified_by}; {nb.seconds:g} s)")
        width = max(len(e.grade_id) for e in nb.exercises) if nb.exercises else 0
        for ex in nb.exercises:
            symbol = _SYMBOL.get(ex.status, "✘")
            points = f"{_num(ex.points)}/{_num(ex.max_points)}"
            short = _short(ex)
            if not short.startswith(ex.status):
                short = f"{ex.status}: {short}"
            detail = "" if ex.passed else f"  {short}"
            lines.append(f"  {symbol} {ex.grade_id:<{width}}  {points:>5}{detail}")
        lines += [f"  ! {problem}" for problem in nb.problems]
        lines.append("")
    summ = summary(report)
    lines.append(f"Class summary: {summ['graded']} of {summ['notebooks']} notebook(s) graded")
    for lesson, entry in summ["lessons"].items():
        lines.append(f"  {lesson}: {entry['notebooks']} notebook(s), mean {entry['mean_score']}/"
                     f"{entry['max_score']} points")
        width = max(len(g) for g in entry["exercises"])
        for gid, row in entry["exercises"].items():
            common = ", ".join(f"{name} ({count})" for name, count in list(row["problems"].items())[:4])
            lines.append(f"    {gid:<{width}}  passed {row['passed']}/{row['graded']}"
                         + (f"   most common: {common}" if common else ""))
    if summ["not_graded"]:
        lines.append(f"  not graded: {', '.join(item['notebook'] for item in summ['not_graded'])}")
    if report.similarity is not None:
        lines += ["", _similarity_text(report)]
    return "\n".join(lines)


def _similarity_text(report: Any) -> str:
    threshold = report.settings.get("similarity_threshold", 0)
    pairs = report.similarity or []
    lines = [f"Similar exercise cells (score from 0 to 1 after normalising names, literals and "
             f"whitespace; pairs from {threshold:g}): a pointer to look at, never a verdict"]
    if not pairs:
        lines.append("  no pair")
    for pair in pairs:
        a, b = pair["learners"]
        alike = f"; cells alike: {', '.join(pair['alike'])}" if pair["alike"] else ""
        lines.append(f"  {pair['score']:.2f}  {a} ~ {b}  ({pair['lesson']}{alike})")
    return "\n".join(lines)


def to_json(report: Any) -> str:
    """Everything: settings, each notebook with its exercises and problems, and the summary."""
    notebooks = [{
        "notebook": nb.path, "learner": nb.learner, "lesson": nb.lesson, "graded": nb.graded,
        "identified_by": nb.identified_by,
        "score": _num(nb.score), "max_score": _num(nb.max_score), "seconds": nb.seconds,
        "problems": nb.problems,
        "exercises": [{"grade_id": e.grade_id, "status": e.status, "passed": e.passed,
                       "points": _num(e.points), "max_points": _num(e.max_points), "mistake": e.mistake,
                       "message": e.message, "hint": e.hint, "used": [list(u) for u in e.used]}
                      for e in nb.exercises],
    } for nb in report.notebooks]
    data = {"settings": report.settings, "notebooks": notebooks, "summary": summary(report)}
    if report.similarity is not None:
        data["similarity"] = report.similarity
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def to_csv(report: Any) -> str:
    """One row per notebook and exercise (one row with status "not graded" for an ungraded notebook)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for nb in report.notebooks:
        problems = "; ".join(nb.problems)
        if not nb.graded:
            writer.writerow([nb.path, "", "", "not graded", False, 0, 0, "", problems, problems])
        for e in nb.exercises:
            writer.writerow([nb.path, nb.lesson, e.grade_id, e.status, e.passed, _num(e.points),
                             _num(e.max_points), e.mistake or "", e.message, problems])
    return out.getvalue()
