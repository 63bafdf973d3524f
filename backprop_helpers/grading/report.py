"""The grading report as text, JSON and CSV, and the class summary (private helpers of ``grading``).

The summary groups notebooks by lesson, with the distribution of the scores; for each exercise it
counts the notebooks that passed and, apart, what went wrong in the others: the mistakes (the one
the check named, or "wrong (no catalogued mistake)") and the statuses (``STATUSES``: not done,
timeout, other lesson, ...), each with the learners it happened to, most common first. Notebooks
whose set-up failed or that are of another lesson are listed first. Nothing is ever cut short. The
text starts with the seed the hidden cases were drawn from, and ends with the pairs of similar
notebooks when ``--similarity`` asked for them.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

__all__ = ["summary", "to_text", "to_json", "to_csv"]

_SYMBOL = {"passed": "✔", "not done": "…", "missing": "-"}
CSV_COLUMNS = ("notebook", "learner", "lesson", "exercise", "status", "passed", "points", "max_points",
               "mistake", "message", "notebook_problems")
#: what happened to an exercise rather than a mistake in its code (the class summary lists them apart)
STATUSES = ("not done", "missing", "timeout", "error", "not yours", "not graded", "no check", "set-up failed",
            "other lesson")


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _who(nb: Any) -> str:
    return nb.learner or nb.path


def _kind(exercise: Any) -> tuple[str, str] | None:
    """``("mistake", name)`` for code that runs but is wrong, ``("status", status)`` otherwise;
    None when it passed."""
    if exercise.passed:
        return None
    if exercise.status in STATUSES:
        return "status", exercise.status
    return "mistake", exercise.mistake or "wrong (no catalogued mistake)"


def _problem_label(exercise: Any) -> str | None:
    kind = _kind(exercise)
    return kind[1] if kind else None


def summary(report: Any) -> dict:
    """Per lesson: notebooks, the scores' distribution and mean, and per exercise the passes, then
    what went wrong in the others, statuses (not done, timeout, ...) apart from mistakes (a named
    mistake, or wrong without one), each with the learners it happened to, most common first."""
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
                                                              "graded": 0, "problems": Counter(),
                                                              "statuses": {}, "mistakes": {}})
            row["graded"] += 1
            row["passed"] += ex.passed
            kind = _kind(ex)
            if kind:
                row["problems"][kind[1]] += 1
                row["statuses" if kind[0] == "status" else "mistakes"].setdefault(kind[1], []).append(_who(nb))
    for entry in lessons.values():
        scores = sorted(entry.pop("scores"))
        entry["mean_score"] = _num(sum(scores) / len(scores))
        entry["median_score"] = _num((scores[(len(scores) - 1) // 2] + scores[len(scores) // 2]) / 2)
        entry["distribution"] = {str(_num(score)): count for score, count in
                                 sorted(Counter(scores).items(), reverse=True)}
        for row in entry["exercises"].values():
            row["problems"] = dict(row["problems"].most_common())
            for key in ("statuses", "mistakes"):
                row[key] = dict(sorted(row[key].items(), key=lambda item: (-len(item[1]), item[0])))
    not_graded = [{"notebook": nb.path, "reason": "; ".join(nb.problems)} for nb in report.notebooks
                  if not nb.graded]
    setup = [{"notebook": nb.path, "learner": nb.learner, "reason": nb.setup_failed}
             for nb in report.notebooks if nb.graded and getattr(nb, "setup_failed", None)]
    other = [{"notebook": nb.path, "learner": nb.learner, "lesson": nb.lesson, "reason": nb.other_lesson,
              "scored": not any(e.status == "other lesson" for e in nb.exercises)}
             for nb in report.notebooks if nb.graded and getattr(nb, "other_lesson", None)]
    return {"notebooks": len(report.notebooks), "graded": len(report.notebooks) - len(not_graded),
            "setup_failed": setup, "other_lesson": other,
            "lessons": dict(sorted(lessons.items())), "not_graded": not_graded}


def _short(exercise: Any) -> str:
    """The exercise's message for the report, whole (never cut), without the verdict's own prefix."""
    text = exercise.message
    for glyph in ("✔", "✘", "…"):   # "✘ relu: ..." -> "...", "✘ relu raised ..." -> "raised ..."
        prefix = f"{glyph} {exercise.grade_id}"
        if text.startswith(prefix + ":") or text.startswith(prefix + " "):
            text = text[len(prefix):].lstrip(": ")
    text = " ".join(text.split())
    if exercise.mistake:
        text = f"mistake \"{exercise.mistake}\": {text}"
    return text


def _listing(groups: dict[str, list[str]]) -> str:
    return "; ".join(f"{label} {len(who)} ({', '.join(who)})" for label, who in groups.items())


def to_text(report: Any) -> str:
    """The report for a terminal: one block per notebook, then the class summary. Nothing is cut."""
    s = report.settings
    memory = f"{s['memory_mb']} MiB of memory" if s["memory_mb"] else "no memory limit"
    lines = [f"Grading {len(report.notebooks)} notebook(s) against {s['solutions']} "
             f"(per cell {s['cell_timeout']:g} s, per notebook {s['timeout']:g} s, {memory} per kernel, "
             f"{s['jobs']} at a time; cells counted from 0)"]
    if s.get("lesson"):
        lines.append(f"Every notebook should be {' or '.join(s['lesson'])}"
                     + (f", exercise(s) {', '.join(s['exercises'])} only" if s.get("exercises") else "")
                     + ("; notebooks of another lesson are graded as what they are"
                        if s.get("accept_other_lessons") else "; a notebook of another lesson scores 0"))
    if s.get("seed") is not None:
        lines.append(f"Hidden cases drawn with seed {s['seed']} "
                     f"(to repeat this run exactly: --seed {s['seed']})")
    if s.get("isolation"):
        lines.append(f"Isolation: {s['isolation']}")
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
            note = f"  ({ex.note})" if getattr(ex, "note", None) else ""
            lines.append(f"  {symbol} {ex.grade_id:<{width}}  {points:>5}{detail}{note}")
        lines += [f"  ! {problem}" for problem in nb.problems]
        lines.append("")
    summ = summary(report)
    ok = summ["graded"] - len(summ["setup_failed"]) - sum(1 for o in summ["other_lesson"] if not o["scored"])
    parts = [f"{ok} graded"]
    if summ["setup_failed"]:
        parts.append(f"{len(summ['setup_failed'])} whose set-up failed (scored 0)")
    if summ["other_lesson"]:
        zero = sum(1 for o in summ["other_lesson"] if not o["scored"])
        parts.append(f"{len(summ['other_lesson'])} of another lesson" + (f" ({zero} scored 0)" if zero else ""))
    if summ["not_graded"]:
        parts.append(f"{len(summ['not_graded'])} not graded")
    lines.append(f"Class summary: {summ['notebooks']} notebook(s): {', '.join(parts)}")
    for item in summ["setup_failed"]:
        lines.append(f"  set-up failed: {item['learner'] or item['notebook']}: {item['reason']}")
    for item in summ["other_lesson"]:
        lines.append(f"  other lesson: {item['learner'] or item['notebook']}: {item['reason']}")
    for lesson, entry in summ["lessons"].items():
        lines.append(f"  {lesson}: {entry['notebooks']} notebook(s), mean {entry['mean_score']}/"
                     f"{entry['max_score']} points, median {entry['median_score']}")
        most = max(entry["distribution"].values())
        for score, count in entry["distribution"].items():
            bar = "█" * max(1, round(20 * count / most))
            lines.append(f"    {score:>5}/{entry['max_score']} points  {bar} {count}")
        width = max(len(g) for g in entry["exercises"])
        for gid, row in entry["exercises"].items():
            lines.append(f"    {gid:<{width}}  passed {row['passed']}/{row['graded']}")
            if row["mistakes"]:
                lines.append(f"      mistakes: {_listing(row['mistakes'])}")
            if row["statuses"]:
                lines.append(f"      not judged on its code: {_listing(row['statuses'])}")
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
        "setup_failed": getattr(nb, "setup_failed", None), "other_lesson": getattr(nb, "other_lesson", None),
        "exercises": [{"grade_id": e.grade_id, "status": e.status, "passed": e.passed,
                       "points": _num(e.points), "max_points": _num(e.max_points), "mistake": e.mistake,
                       "message": e.message, "hint": e.hint, "used": [list(u) for u in e.used],
                       "note": getattr(e, "note", None)}
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
            writer.writerow([nb.path, nb.learner, "", "", "not graded", False, 0, 0, "", problems, problems])
        for e in nb.exercises:
            writer.writerow([nb.path, nb.learner, nb.lesson, e.grade_id, e.status, e.passed, _num(e.points),
                             _num(e.max_points), e.mistake or "", e.message, problems])
    return out.getvalue()
