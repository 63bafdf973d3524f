"""Benchmark 5: grading a class, ``python -m backprop_helpers grade`` on 30 learners' notebooks.

Two parts. **Speed**: classes of plain learners (below). **What grading catches**: a mixed class of 30
notebooks of lesson 04 (``make_mixed_class``), graded with ``--similarity``, feedback files and the
gradebook, holding 8 kinds of reference use (each of the ways a learner can reach the course's answer:
an import, an alias made in an earlier cell, an attribute of the package, ``getattr``, ``importlib``,
``__import__``, ``sys.modules``, a copied function object), 3 pairs of copied notebooks (names,
constants, comments and spacing changed), 2 learners whose functions return outputs memorised for the
notebook's cases, and 14 honest learners (each exercise put together from independent choices a learner
makes, some with a catalogued mistake, some unfinished). It reports the time of each step and, per
kind, what was caught and what was missed, and the false alarms among the honest learners.

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

``--quick``: a class of 6, graded 2 at a time only, and a mixed class of 12 (the 8 kinds of reference
use, one copied pair, one memoriser, one honest learner).
"""
from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["run", "markdown", "make_class", "make_mixed_class", "TARGET_S"]

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


# --------------------------------------------------------------------------- the mixed class (lesson 04)

MIXED_LESSON = "04_backward_pass"
_PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
#: exercise -> (arguments, what the cell's return line returns)
_SIGNATURES = {"linear_backward": ("dout, X, W", "dX, dW, db"), "sigmoid_backward": ("dout, out", "dx"),
               "tanh_backward": ("dout, out", "dx"), "relu_backward": ("dout, x", "dx"),
               "mse_loss": ("y_hat, y", "loss, dy_hat"), "softmax_cross_entropy": ("scores, y", "loss, dscores")}
#: each exercise as a sequence of independent choices an honest learner makes (one line or block each)
_CHOICES = {
    "linear_backward": [
        ["dX = dout @ W.T", "dX = np.dot(dout, W.T)", "dX = dout.dot(W.T)", "dX = np.matmul(dout, W.transpose())"],
        ["dW = X.T @ dout", "dW = np.dot(X.T, dout)", "dW = np.einsum('nd,nh->dh', X, dout)",
         "dW = X.transpose() @ dout"],
        ["db = dout.sum(axis=0)", "db = np.sum(dout, axis=0)", "db = dout.sum(0)", "db = np.ones(dout.shape[0]) @ dout"]],
    "sigmoid_backward": [[
        "dx = dout * out * (1.0 - out)", "local = out * (1 - out)\ndx = dout * local", "dx = dout * (out - out ** 2)",
        "dx = np.multiply(dout, out * (1.0 - out))", "dx = out * (1 - out) * dout"]],
    "tanh_backward": [[
        "dx = dout * (1.0 - out ** 2)", "local = 1 - out * out\ndx = dout * local", "dx = dout - dout * out ** 2",
        "dx = np.multiply(dout, 1 - np.square(out))", "dx = (1 - out ** 2) * dout"]],
    "relu_backward": [[
        "dx = dout * (x > 0)", "dx = np.where(x > 0, dout, 0.0)", "mask = x > 0\ndx = dout * mask",
        "dx = dout.copy()\ndx[x <= 0] = 0", "dx = dout * (x > 0).astype(float)"]],
    "mse_loss": [
        ["N = y_hat.shape[0]", "N = len(y_hat)", "N = y.shape[0]"],
        ["loss = np.sum((y_hat - y) ** 2) / N", "diff = y_hat - y\nloss = float((diff * diff).sum() / N)",
         "loss = ((y_hat - y) ** 2).sum(axis=1).mean()"],
        ["dy_hat = 2.0 * (y_hat - y) / N", "dy_hat = 2 * (y_hat - y) / N", "dy_hat = (y_hat - y) * (2.0 / N)"]],
    "softmax_cross_entropy": [
        ["N = scores.shape[0]", "N = len(y)"],
        ["shifted = scores - scores.max(axis=1, keepdims=True)",
         "shifted = scores - np.max(scores, axis=1, keepdims=True)", "shifted = scores - scores.max(1)[:, None]"],
        ["log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
         "log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1))[:, None]"],
        ["loss = -log_p[np.arange(N), y].mean()", "loss = float(-np.mean(log_p[np.arange(N), y]))",
         "loss = -np.sum(log_p[range(N), y]) / N"],
        ["dscores = np.exp(log_p)\ndscores[np.arange(N), y] -= 1\ndscores /= N",
         "onehot = np.zeros_like(scores)\nonehot[np.arange(N), y] = 1\ndscores = (np.exp(log_p) - onehot) / N",
         "dscores = (np.exp(log_p) - np.eye(scores.shape[1])[y]) / N"]],
}
#: one catalogued mistake per exercise, the way a learner writes it
_MISTAKES = {"linear_backward": ("db = dout.mean(axis=0)", "db averaged instead of summed"),
             "relu_backward": ("dx = dout * (dout > 0)", "ReLU mask taken from dout instead of the input"),
             "tanh_backward": ("dx = 1.0 - out ** 2", "upstream gradient ignored")}
#: the 8 ways to the course's answer: how the function object is obtained (and a cell added earlier)
WAYS = {
    "import": ("from backprop_helpers.reference import {name} as f", None),
    "alias from an earlier cell": ("f = helper", "from backprop_helpers import reference as course\nhelper = course.{name}"),
    "attribute of the package": ("import backprop_helpers\nf = backprop_helpers.reference.{name}", None),
    "getattr": ("import backprop_helpers.reference as r\nf = getattr(r, '{name}')", None),
    "importlib": ("import importlib\nf = importlib.import_module('backprop_helpers.reference').{name}", None),
    "__import__": ("f = __import__('backprop_helpers.reference', fromlist=['x']).{name}", None),
    "sys.modules": ("import sys\nf = sys.modules['backprop_helpers.reference'].{name}", None),
    "copied function object": ("import types\nimport backprop_helpers.reference as r\ng = getattr(r, '{name}')\n"
                               "f = types.FunctionType(g.__code__, g.__globals__, 'mine')", None),
}
_MEMO = ("from backprop_helpers.checks import EXERCISES as _E\n"
         "MEMO = {{}}\nfor _name in {names!r}:\n"
         "    for _case in _E[_name].cases():\n"
         "        MEMO[_name, tuple(np.asarray(a).tobytes() for a in _case.args)] = _E[_name].reference(*_case.args)\n")


def _honest(rng: random.Random) -> dict:
    return {gid: "\n".join(rng.choice(options) for options in choices) for gid, choices in _CHOICES.items()}


def _copied(code: str, rng: random.Random) -> str:
    """A copy as a learner disguises it: intermediate names changed, constants respelled, comments and
    blank lines added, spacing changed."""
    for old, new in (("local", "slope"), ("diff", "err"), ("shifted", "z"), ("log_p", "logprob"),
                     ("onehot", "target"), ("mask", "keep")):
        code = re.sub(rf"\b{old}\b", new, code)
    code = code.replace("2.0", "2.").replace("1.0", "1.").replace(" = ", "=")
    lines = code.splitlines()
    lines.insert(rng.randrange(len(lines) + 1), "# my own work")
    return "\n\n".join(lines)


def _put(nb: dict, answers: dict) -> dict:
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            source = "".join(cell["source"])
            cell["source"] = source.replace(_PLACEHOLDER, "\n".join("    " + line for line in answers[gid].splitlines()))
    return nb


def _with_cell(nb: dict, source: str) -> dict:
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    nb["cells"].insert(first + 1, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                   "source": source})
    return nb


def make_mixed_class(folder: Path, size: int = CLASS_SIZE, seed: int = 4) -> dict:
    """Write the mixed class of lesson 04 into ``folder``; return what each learner is (by learner id):
    ``{"ways": {learner: (way, exercise)}, "pairs": [(a, b)], "memorisers": [...], "honest": [...],
    "wrong": {learner: mistake}, "unfinished": [...]}``. ``size`` >= 12 (the quick run uses 12)."""
    rng = random.Random(seed)
    built = json.loads((ROOT / "lessons" / f"{MIXED_LESSON}.ipynb").read_text(encoding="utf-8"))
    exercises = list(_SIGNATURES)
    plan: dict = {"ways": {}, "pairs": [], "memorisers": [], "honest": [], "wrong": {}, "unfinished": []}
    names = iter(f"learner{k:02d}" for k in range(1, size + 1))
    notebooks: dict[str, dict] = {}
    for k, (way, (body, earlier)) in enumerate(WAYS.items()):            # 8 kinds of reference use
        learner, gid = next(names), exercises[k % len(exercises)]
        args, outs = _SIGNATURES[gid]
        answers = _honest(rng)
        if way == "import" and gid == "linear_backward":                  # the instructor's example, verbatim
            answers[gid] = ("from backprop_helpers.layers import linear_backward as ref, LinearCache\n"
                            "dX, dW, db = ref(dout, LinearCache(X, W))")
        else:
            answers[gid] = body.format(name=gid) + f"\n{outs} = f({args})"
        nb = _put(json.loads(json.dumps(built)), answers)
        notebooks[learner] = _with_cell(nb, earlier.format(name=gid)) if earlier else nb
        plan["ways"][learner] = (way, gid)
    pairs = 3 if size >= 30 else 1
    for _ in range(pairs):                                                # copied pairs
        original, copier = next(names), next(names)
        answers = _honest(rng)
        notebooks[original] = _put(json.loads(json.dumps(built)), answers)
        notebooks[copier] = _put(json.loads(json.dumps(built)), {g: _copied(c, rng) for g, c in answers.items()})
        plan["pairs"].append((original, copier))
    for m in range(2 if size >= 30 else 1):                               # memorised outputs
        learner = next(names)
        answers = {}
        for gid, (args, outs) in _SIGNATURES.items():
            if m == 0:                                                    # a dictionary keyed by the inputs
                key = "tuple(np.asarray(a).tobytes() for a in (" + args + ",))"
                answers[gid] = f"{outs} = MEMO[{gid!r}, {key}]"
            else:                                                         # a search through stored pairs
                answers[gid] = (f"found = [o for (name, k), o in MEMO.items() if name == {gid!r} and "
                                f"all(np.array_equal(np.frombuffer(b, dtype=np.asarray(a).dtype), "
                                f"np.ravel(a)) for a, b in zip(({args},), k))]\n{outs} = found[0]")
        nb = _put(json.loads(json.dumps(built)), answers)
        notebooks[learner] = _with_cell(nb, _MEMO.format(names=tuple(_SIGNATURES)))
        plan["memorisers"].append(learner)
    for k, learner in enumerate(names):                                   # honest learners
        answers = _honest(rng)
        if k % 7 == 5:
            notebooks[learner] = json.loads(json.dumps(built))
            plan["unfinished"].append(learner)
            continue
        if k % 5 == 4:                                                    # one catalogued mistake
            gid = sorted(_MISTAKES)[k % len(_MISTAKES)]
            code, plan["wrong"][learner] = _MISTAKES[gid]
            answers[gid] = "\n".join(answers[gid].splitlines()[:2] + [code]) if gid == "linear_backward" else code
        notebooks[learner] = _put(json.loads(json.dumps(built)), answers)
        plan["honest"].append(learner)
    for learner, nb in notebooks.items():
        (folder / f"{learner}_{MIXED_LESSON}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return plan


def _grade_mixed(size: int, jobs: int) -> dict:
    from backprop_helpers.grading import grade_notebooks
    from backprop_helpers.grading.feedback import write_feedback
    from backprop_helpers.grading.gradebook import to_gradebook_csv
    from backprop_helpers.grading.similarity import THRESHOLD, lesson_stubs, similar_pairs
    folder = Path(tempfile.mkdtemp(prefix="bench-grading-mixed-"))
    try:
        plan = make_mixed_class(folder, size)
        start = time.perf_counter()
        report = grade_notebooks([folder], jobs=jobs, solutions=ROOT / "solutions", seed=2026)
        wall = time.perf_counter() - start
        start = time.perf_counter()
        pairs = similar_pairs(report.notebooks, lesson_stubs(ROOT / "solutions"), THRESHOLD)
        similarity_s = time.perf_counter() - start
        start = time.perf_counter()
        write_feedback(report, folder / "feedback")
        to_gradebook_csv(report)
        handback_s = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    by = {nb.learner: {e.grade_id: e for e in nb.exercises} for nb in report.notebooks}
    rows = []
    for learner, (way, gid) in plan["ways"].items():
        ex = by[learner][gid]
        rows.append({"kind": f"reference use: {way}", "where": gid, "caught": ex.status == "not yours",
                     "how": ex.status})
    listed = {frozenset(p["learners"]): p["score"] for p in pairs}
    for a, b in plan["pairs"]:
        score = listed.get(frozenset((a, b)))
        rows.append({"kind": "copied pair", "where": f"{a} ~ {b}", "caught": score is not None,
                     "how": f"score {score:.2f}" if score is not None else "not listed"})
    for learner in plan["memorisers"]:
        passed = sum(e.passed for e in by[learner].values())
        rows.append({"kind": "memorised outputs", "where": learner, "caught": passed == 0,
                     "how": f"{passed} of {len(by[learner])} exercises passed on hidden cases"})
    honest_flagged = [(l, g) for l in plan["honest"] + [p for pair in plan["pairs"] for p in pair]
                      for g, e in by[l].items() if e.status == "not yours"]
    honest_failed = [(l, g) for l in plan["honest"] for g, e in by[l].items()
                     if not e.passed and plan["wrong"].get(l) != e.mistake]
    copied = {frozenset(p) for p in plan["pairs"]}
    false_pairs = [p for p in pairs if frozenset(p["learners"]) not in copied]
    return {"lesson": MIXED_LESSON, "notebooks": len(report.notebooks), "jobs": jobs, "wall_s": round(wall, 2),
            "similarity_s": round(similarity_s, 3), "handback_s": round(handback_s, 3), "rows": rows,
            "false_not_yours": honest_flagged, "honest_failed": honest_failed,
            "false_pairs": [(p["learners"], p["score"]) for p in false_pairs],
            "mistakes_named": sum(by[l][g].mistake == m for l, m in plan["wrong"].items() for g in by[l]),
            "wrong": len(plan["wrong"]), "seed": report.settings["seed"]}


def run(settings) -> dict:
    """Grade a class of 30 (quick: 6) of each lesson in ``LESSONS`` (see the module's docstring), then
    the mixed class of lesson 04 (quick: 12 notebooks)."""
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
    mixed = _grade_mixed(12 if settings.smoke else CLASS_SIZE, 2 if settings.smoke else default_jobs())
    from backprop_helpers.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
    headline = [r for r in rows if r["jobs"] == default_jobs() and r["notebooks"] == CLASS_SIZE]
    return {"rows": rows, "class_size": size, "target_s": TARGET_S, "default_jobs": default_jobs(),
            "limits": {"timeout_s": DEFAULT_TIMEOUT, "cell_timeout_s": DEFAULT_CELL_TIMEOUT,
                       "memory_mb": DEFAULT_MEMORY_MB},
            "met": all(r["wall_s"] <= TARGET_S for r in headline) if headline else None, "mixed": mixed}


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
    mixed = res.get("mixed")
    if mixed:
        caught = sum(r["caught"] for r in mixed["rows"])
        lines += ["", f"The mixed class: {mixed['notebooks']} notebooks of {mixed['lesson']}, {mixed['jobs']} at a "
                  f"time: grading **{mixed['wall_s']:.1f} s** (hidden cases, seed {mixed['seed']}), similarity "
                  f"{mixed['similarity_s'] * 1000:.0f} ms, feedback files and gradebook "
                  f"{mixed['handback_s'] * 1000:.0f} ms. Caught {caught} of {len(mixed['rows'])}:", "",
                  "| kind | where | caught | how |", "| --- | --- | :---: | --- |"]
        for r in mixed["rows"]:
            kind = r["kind"].replace("_", "\\_")
            lines.append(f"| {kind} | `{r['where']}` | {'yes' if r['caught'] else '**missed**'} | {r['how']} |")
        lines += ["", f"False alarms among the honest learners: {len(mixed['false_not_yours'])} exercise(s) "
                  f"called \"not yours\", {len(mixed['false_pairs'])} pair(s) listed as similar"
                  + (f" ({', '.join(f'{a} ~ {b} {s:.2f}' for (a, b), s in mixed['false_pairs'])})"
                     if mixed["false_pairs"] else "")
                  + f"; honest exercises failing without their planted mistake: {len(mixed['honest_failed'])}; "
                  f"planted mistakes named: {mixed['mistakes_named']} of {mixed['wrong']}."]
    load = section.get("load_average_1min")
    load = f", 1-min load average {load[0]:g} before, {load[1]:g} after" if load else ""
    lines += ["", f"_Command: `{section['command']}` ({section['mode']} mode, {section['date']}, "
                  f"{section['seconds']:.0f} s{load})._"]
    return "\n".join(lines)
