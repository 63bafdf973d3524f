"""Benchmark 5: grading a class, ``python -m backprop_helpers grade`` on 30 learners' notebooks.

A class is 30 copies of a lesson, as learners hand them in: a third solved every exercise (the
lesson with each placeholder replaced by the solution's code), a third left them unfinished (the
lesson as built), and a third solved them all but one, where a classic mistake of the check's
catalogue was written instead (so the grader also has to name mistakes). Every copy has its own
file name. The whole class is graded by ``grading.grade_notebooks`` with its default limits (kernels
forked from its preloaded nursery, see ``backprop_helpers/_grade_fork.py``), and the
wall time is measured once per setting (a class takes tens of seconds: the kernels' start-up and the
lesson's own cells dominate): lesson 01 (forward pass, with three figures) 1, 2 and 3 notebooks at a
time (one fresh kernel each), lesson 02 (loss) at the default number at a time.

Target (issue 5): a class of 30 graded in **well under a minute** on this 2-core machine; read as
<= 40 s with the default number of notebooks at a time (``grading.default_jobs()``).

``--quick``: a class of 6, graded 2 at a time only.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["run", "markdown", "make_class", "TARGET_S"]

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ("01_forward_pass", "02_loss")
CLASS_SIZE = 30
TARGET_S = 40.0
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
# one wrong line per exercise: the start of a solution line, and what a learner wrote instead
_WRONG = {"neuron": ("a = 1.0 / (1.0 + np.exp(-z))", "a = 1.0 / (1.0 + np.exp(z))"),
          "mean_squared_error": ("np.sum((y_hat - y) ** 2) / N", "np.mean((y_hat - y) ** 2)")}


def _solved_source(solution_cell: dict) -> str:
    return _MARKER.sub("", "".join(solution_cell["source"]))


def make_class(lesson: str, folder: Path, size: int) -> list[Path]:
    """Write ``size`` learner notebooks of ``lesson`` into ``folder``: solved, unfinished, one wrong."""
    built = json.loads((ROOT / "lessons" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    solution = json.loads((ROOT / "solutions" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    from backprop_helpers.course import exercises, read_notebook
    solved_cells = {e.grade_id: solution["cells"][e.cell_index]
                    for e in exercises(read_notebook(ROOT / "solutions" / f"{lesson}.ipynb"))}
    paths = []
    for k in range(size):
        nb = json.loads(json.dumps(built))
        kind = ("solved", "unfinished", "one wrong")[k % 3]
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid and kind != "unfinished":
                cell["source"] = _solved_source(solved_cells[gid])
                if kind == "one wrong" and gid in _WRONG:
                    cell["source"] = cell["source"].replace(*_WRONG[gid])
        path = folder / f"learner_{k + 1:02d}_{lesson}.ipynb"
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def _grade(folder: Path, jobs: int) -> dict:
    from backprop_helpers.grading import grade_notebooks
    start = time.perf_counter()
    report = grade_notebooks([folder], jobs=jobs, solutions=ROOT / "solutions")
    wall = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for nb in report.notebooks:
        for ex in nb.exercises:
            statuses[ex.status] = statuses.get(ex.status, 0) + 1
    return {"jobs": jobs, "wall_s": round(wall, 2), "notebooks": len(report.notebooks),
            "per_notebook_s": round(sum(nb.seconds for nb in report.notebooks) / len(report.notebooks), 2),
            "graded": sum(nb.graded for nb in report.notebooks), "statuses": statuses,
            "mistakes": sorted({ex.mistake for nb in report.notebooks for ex in nb.exercises if ex.mistake})}


def run(settings) -> dict:
    """Grade a class of 30 (quick: 6) of each lesson in ``LESSONS`` (see the module's docstring)."""
    size = 6 if settings.smoke else CLASS_SIZE
    from backprop_helpers.grading import default_jobs
    plan = {LESSONS[0]: (2,)} if settings.smoke else {LESSONS[0]: (1, 2, 3), LESSONS[1]: (default_jobs(),)}
    rows = []
    for lesson, job_counts in plan.items():
        folder = Path(tempfile.mkdtemp(prefix="bench-grading-"))
        try:
            make_class(lesson, folder, size)
            for jobs in job_counts:
                rows.append(dict(_grade(folder, jobs), lesson=lesson))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    from backprop_helpers.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
    headline = [r for r in rows if r["jobs"] == default_jobs() and r["notebooks"] == CLASS_SIZE]
    return {"rows": rows, "class_size": size, "target_s": TARGET_S, "default_jobs": default_jobs(),
            "limits": {"timeout_s": DEFAULT_TIMEOUT, "cell_timeout_s": DEFAULT_CELL_TIMEOUT,
                       "memory_mb": DEFAULT_MEMORY_MB},
            "met": all(r["wall_s"] <= TARGET_S for r in headline) if headline else None}


def markdown(section: dict) -> str:
    """The benchmark's tables for bench/README.md (its own section)."""
    res = section["result"]
    lines = [f"Target: a class of {CLASS_SIZE} graded in <= {res['target_s']:g} s with the default "
             f"{res['default_jobs']} notebooks at a time: "
             f"**{ {True: 'MET', False: 'NOT MET', None: 'not measured (quick run)'}[res['met']] }**.", "",
             "| lesson | notebooks | at a time | wall time | per notebook (in its kernel) | "
             "notebooks per minute | exercises by status |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in res["rows"]:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(f"| {r['lesson']} | {r['notebooks']} | {r['jobs']} | **{r['wall_s']:.1f} s** | "
                     f"{r['per_notebook_s']:.2f} s | {60 * r['notebooks'] / r['wall_s']:.0f} | {statuses} |")
    load = section.get("load_average_1min")
    load = f", 1-min load average {load[0]:g} before, {load[1]:g} after" if load else ""
    lines += ["", f"_Command: `{section['command']}` ({section['mode']} mode, {section['date']}, "
                  f"{section['seconds']:.0f} s{load})._"]
    return "\n".join(lines)
