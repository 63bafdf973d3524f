"""Feedback to hand back to each learner (``grade --feedback DIR``): one Markdown file and one
self-contained HTML file (no script, no link, the style inline) per learner, named after the learner.

For each of the learner's notebooks: the lesson and its points, then each exercise's verdict, its
points and what to do about it: the named mistake and its explanation, which output differs and how
(shape, sign, a constant factor), the error raised, or which package function was used instead of
the learner's own code. Never a value of the grader's cases: those are drawn afresh at every run
and only the instructor's report shows them (``ExerciseGrade.hint`` is the message without them).
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

__all__ = ["write_feedback", "to_markdown", "to_html", "file_stem"]

_VERDICT = {"passed": "✔ passed", "wrong": "✘ wrong", "error": "✘ error", "not done": "… not done yet",
            "missing": "- missing", "not yours": "✘ not your own code", "timeout": "✘ too slow",
            "not graded": "✘ not graded", "no check": "- no check",
            "set-up failed": "✘ the notebook's set-up cell failed", "other lesson": "✘ a notebook of another lesson"}


def file_stem(learner: str) -> str:
    """A file name for ``learner``: letters, digits, ``.``, ``-`` and ``_`` only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", learner).strip("._") or "learner"
    return stem[:100]


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _advice(ex: Any) -> str:
    """What the learner reads about one exercise: the value-free hint, without the verdict glyph."""
    text = ex.hint if ex.hint is not None else (ex.message if ex.status not in ("wrong", "error") else "")
    for glyph in ("✔", "✘", "…"):
        prefix = f"{glyph} {ex.grade_id}"
        if text.startswith(prefix + ":") or text.startswith(prefix + " "):
            text = text[len(prefix):].lstrip(": ")
    return " ".join(text.split())


def _by_learner(report: Any) -> dict[str, list]:
    learners: dict[str, list] = {}
    for nb in report.notebooks:
        learners.setdefault(nb.learner or Path(nb.path).stem, []).append(nb)
    return learners


def _intro(report: Any) -> str:
    seed = report.settings.get("seed")
    hidden = (" Your functions were run on cases with values drawn for this grading, not on the "
              "notebook's own cases, so a check that passed in the notebook may fail here: read the "
              "advice and try your function on inputs of your own.") if seed is not None else ""
    return ("This is what grading found in the notebooks you handed in. Each exercise earns its points "
            "when your own function gives the expected results." + hidden)


def to_markdown(learner: str, notebooks: list, report: Any) -> str:
    """One learner's feedback as Markdown."""
    lines = [f"# Feedback for {learner}", "", _intro(report), ""]
    for nb in notebooks:
        name = Path(nb.path).name
        if not nb.graded:
            lines += [f"## {name}: not graded", "", "; ".join(nb.problems) or "it could not be read", ""]
            continue
        lines += [f"## {nb.lesson}: {_num(nb.score)} of {_num(nb.max_score)} points", "",
                  f"From `{name}`.", "", "| exercise | verdict | points |", "| --- | --- | ---: |"]
        for ex in nb.exercises:
            verdict = _VERDICT.get(ex.status, ex.status) + (f": {ex.mistake}" if ex.mistake else "")
            lines.append(f"| `{ex.grade_id}` | {verdict} | {_num(ex.points)}/{_num(ex.max_points)} |")
        lines.append("")
        for ex in nb.exercises:
            advice = _advice(ex)
            if ex.passed or not advice:
                continue
            lines += [f"**`{ex.grade_id}`**: {advice}", ""]
        if nb.problems:
            lines += ["Notes on the notebook:", ""] + [f"- {p}" for p in nb.problems] + [""]
    return "\n".join(lines).rstrip() + "\n"


_STYLE = ("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:52rem;margin:2rem auto;"
          "padding:0 1rem;line-height:1.5;color:#1b1b1b}table{border-collapse:collapse;margin:.5rem 0 1rem}"
          "th,td{border:1px solid #bbb;padding:.25rem .6rem;text-align:left}td.pts{text-align:right}"
          ".passed{color:#1b5e20}.failed{color:#b71c1c}.pending{color:#6d4c00}code{font-size:95%}"
          "p.advice{border-left:4px solid #b71c1c;padding-left:.6rem}")


def to_html(learner: str, notebooks: list, report: Any) -> str:
    """One learner's feedback as a self-contained HTML page."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Feedback for {e(learner)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Feedback for {e(learner)}</h1>", f"<p>{e(_intro(report))}</p>"]
    for nb in notebooks:
        name = Path(nb.path).name
        if not nb.graded:
            parts.append(f"<h2>{e(name)}: not graded</h2><p>{e('; '.join(nb.problems))}</p>")
            continue
        parts.append(f"<h2>{e(nb.lesson)}: {_num(nb.score)} of {_num(nb.max_score)} points</h2>"
                     f"<p>From <code>{e(name)}</code>.</p><table><thead><tr><th scope=\"col\">exercise</th>"
                     f"<th scope=\"col\">verdict</th><th scope=\"col\">points</th></tr></thead><tbody>")
        for ex in nb.exercises:
            kind = "passed" if ex.passed else "pending" if ex.status == "not done" else "failed"
            verdict = _VERDICT.get(ex.status, ex.status) + (f": {ex.mistake}" if ex.mistake else "")
            parts.append(f"<tr><td><code>{e(ex.grade_id)}</code></td><td class=\"{kind}\">{e(verdict)}</td>"
                         f"<td class=\"pts\">{_num(ex.points)}/{_num(ex.max_points)}</td></tr>")
        parts.append("</tbody></table>")
        for ex in nb.exercises:
            advice = _advice(ex)
            if not ex.passed and advice:
                parts.append(f"<p class=\"advice\"><strong><code>{e(ex.grade_id)}</code></strong>: "
                             f"{e(advice)}</p>")
        if nb.problems:
            parts.append("<p>Notes on the notebook:</p><ul>" +
                         "".join(f"<li>{e(p)}</li>" for p in nb.problems) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_feedback(report: Any, folder: str | Path) -> list[Path]:
    """Write ``<learner>.md`` and ``<learner>.html`` into ``folder`` (created if needed) for every
    learner of ``report``; returns the files written. Nothing else is touched."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for learner, notebooks in sorted(_by_learner(report).items()):
        stem, n = file_stem(learner), 1
        while stem.lower() in used:
            n += 1
            stem = f"{file_stem(learner)}-{n}"
        used.add(stem.lower())
        for suffix, text in ((".md", to_markdown(learner, notebooks, report)),
                             (".html", to_html(learner, notebooks, report))):
            path = folder / f"{stem}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
