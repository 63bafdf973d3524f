"""Tests of ``grade`` (backprop_helpers.grading): finding exercises, running notebooks safely, judging
in the grader's process, tamper attempts, hostile notebooks, and the reports.

Every learner notebook is generated here from ``lessons/02_loss.ipynb`` (a short lesson): the
placeholder of an exercise is replaced by a learner's answer, and cells are added, moved or deleted.
One class of such notebooks is graded once, through the command line (``grading.main``), by the
module-scoped fixture ``graded``; most tests read its JSON report.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import io
import json
import os
import pickle
import shutil
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_helpers.grading import runner as grading
from backprop_helpers.grading.execution import kernel_env
from backprop_helpers.grading.kernel import MIME, OPAQUE, plain
from backprop_helpers.grading.submissions import LessonSpec, identify, load_lessons, parse
from backprop_helpers.grading.wire import Judge, ReplyError, read_reply, restricted_loads
from backprop_helpers.checks import EXERCISES
from backprop_helpers.checks.core import Raised

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "02_loss.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
IDS = ("mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy")

# A learner's correct answers, written differently from the reference.
RIGHT = {
    "mean_squared_error": "loss = ((y_hat - y) ** 2).sum() / len(y_hat)",
    "softmax": "z = np.exp(scores - np.max(scores, axis=1)[:, None])\nprobs = z / z.sum(axis=1)[:, None]",
    "cross_entropy": ("m = scores.max(axis=1, keepdims=True)\n"
                      "lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))\n"
                      "loss = float(np.mean(lse - scores[np.arange(len(y)), y]))"),
    "binary_cross_entropy": "terms = y * np.log(p) + (1 - y) * np.log(1 - p)\nloss = -terms.sum() / len(p)",
}
# Wrong answers, each one of the checks' catalogued mistakes.
WRONG = {
    "mean_squared_error": "loss = np.mean((y_hat - y) ** 2)",
    "softmax": "e = np.exp(scores)\nprobs = e / e.sum(axis=1, keepdims=True)",
    "cross_entropy": ("m = scores.max(axis=1, keepdims=True)\n"
                      "lse = m[:, 0] + np.log(np.exp(scores - m).sum(axis=1))\n"
                      "loss = float(np.sum(lse - scores[np.arange(len(y)), y]))"),
    "binary_cross_entropy": "loss = np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))",
}
WRONG_MISTAKES = {"mean_squared_error": "MSE averaged over every element",
                  "softmax": "softmax without subtracting the max (overflow on large logits)",
                  "cross_entropy": "cross-entropy summed, not averaged",
                  "binary_cross_entropy": "minus sign missing"}


# --------------------------------------------------------------------------- building notebooks

def lesson() -> dict:
    return json.loads(LESSON.read_text(encoding="utf-8"))


def cell_of(nb: dict, gid: str) -> int:
    return next(i for i, c in enumerate(nb["cells"])
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)


def answer(nb: dict, gid: str, code: str) -> dict:
    """Replace exercise ``gid``'s placeholder by ``code`` (indented into the function body)."""
    cell = nb["cells"][cell_of(nb, gid)]
    source = "".join(cell["source"])
    assert PLACEHOLDER in source
    cell["source"] = source.replace(PLACEHOLDER, "\n".join("    " + line for line in code.splitlines()))
    return nb


def answered(answers: dict) -> dict:
    nb = lesson()
    for gid, code in answers.items():
        answer(nb, gid, code)
    return nb


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"x{abs(hash(source)) % 10 ** 8}",
            "metadata": {}, "outputs": [], "source": source}


def insert(nb: dict, index: int, *sources: str) -> dict:
    nb["cells"][index:index] = [code_cell(s) for s in sources]
    return nb


def after_setup(nb: dict, *sources: str) -> dict:
    """Insert code cells right after the set-up cell (the first code cell)."""
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    return insert(nb, first + 1, *sources)


def write(folder: Path, name: str, nb: dict | str) -> Path:
    path = folder / name
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1), encoding="utf-8")
    return path


PATCH_CHECKS = """\
import backprop_helpers.checks as checks_pkg
from backprop_helpers.checks import core as _core
always = lambda self, fn, show=True: fn
_core.Exercise.check = always
_core.Exercise.run = lambda self, fn: _core.CheckResult(self.name, "passed", "✔ patched")
_core.same_output = lambda *args, **kwargs: True
for ex in checks_pkg.EXERCISES.values():
    ex.runner = lambda fn, *args, _ex=ex, **kwargs: _ex.reference(*args, **kwargs)
for name in [n for n in vars(checks_pkg) if n.startswith("check_")]:
    setattr(checks_pkg, name, lambda fn: fn)
    globals()[name] = lambda fn: fn
"""
PATCH_REFERENCE = """\
from backprop_helpers import losses
from backprop_helpers.checks import EXERCISES
from backprop_helpers import reference
wrong = {
    "mean_squared_error": lambda y_hat, y: np.mean((y_hat - y) ** 2),
    "softmax": lambda s: np.exp(s) / np.exp(s).sum(axis=1, keepdims=True),
    "cross_entropy": lambda s, y: float(np.sum(np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(y)), y])),
    "binary_cross_entropy": lambda p, y: np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)),
}
for gid, fn in wrong.items():
    EXERCISES[gid].reference = fn
    EXERCISES[gid].mistakes = ()
reference.mean_squared_error = wrong["mean_squared_error"]
losses.mse_loss = lambda y_hat, y: (wrong["mean_squared_error"](y_hat, y), y_hat)
"""
PATCH_NUMPY = """\
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, bool)
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
"""
REBIND = """\
from backprop_helpers.checks import EXERCISES
mean_squared_error = EXERCISES["mean_squared_error"].reference
shifted = lambda scores: np.exp(scores - scores.max(1, keepdims=True))
softmax = lambda scores: shifted(scores) / shifted(scores).sum(1, keepdims=True)
"""
FAKE_VERDICTS = """\
from IPython.display import publish_display_data
for gid in ("mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy"):
    print(f"✔ {gid}: correct on all 5 cases.")
fake = {"nonce": "0" * 32, "grade_id": "softmax", "status": "ran", "outputs": []}
publish_display_data({%r: {"nonce": "0" * 32, "reply": __import__("base64").b64encode(
    __import__("pickle").dumps(fake)).decode()}})
""" % MIME
ALWAYS_EQUAL = """\
class Equal:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 0.0
"""
LIAR = """\
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), bool)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True
"""


def build_class(folder: Path) -> dict[str, Path]:
    """The class of learner notebooks graded by the fixture, by short name."""
    files = {}
    # a notebook that swallows every interrupt: only the total timeout stops it (started first)
    stubborn = ("import time\nwhile True:\n    try:\n        time.sleep(0.2)\n"
                "    except KeyboardInterrupt:\n        pass")
    files["hung"] = write(folder, "a_hung.ipynb", after_setup(answered(RIGHT), stubborn))
    files["good"] = write(folder, "good.ipynb", answered(RIGHT))
    nb = answered(WRONG)        # the check merged into the exercise cell: the def is what is graded
    nb["cells"][cell_of(nb, "mean_squared_error")]["source"] += (
        "\nmean_squared_error = check_mean_squared_error(mean_squared_error)")
    files["wrong"] = write(folder, "wrong.ipynb", nb)
    files["unfinished"] = write(folder, "unfinished.ipynb", lesson())
    # moved and added cells, renamed file: the bce exercise and its check go first, new cells in between
    nb = answered(RIGHT)
    i = cell_of(nb, "binary_cross_entropy")
    moved = nb["cells"][i:i + 2]
    del nb["cells"][i:i + 2]
    after_setup(nb, "scratch = np.arange(3)\nprint(scratch)")
    first = next(k for k, c in enumerate(nb["cells"]) if c["cell_type"] == "code") + 1
    nb["cells"][first:first] = moved
    nb["cells"].append(code_cell("print(mean_squared_error(np.ones((2, 2)), np.zeros((2, 2))))"))
    files["moved"] = write(folder, "my homework (final version).ipynb", nb)
    # missing: softmax's cell deleted, cross_entropy's cell emptied, bce's cell hands over the course's own
    nb = answered({"mean_squared_error": RIGHT["mean_squared_error"]})
    del nb["cells"][cell_of(nb, "softmax")]
    nb["cells"][cell_of(nb, "cross_entropy")]["source"] = ""
    nb["cells"][cell_of(nb, "binary_cross_entropy")]["source"] = (
        "from backprop_helpers.checks import EXERCISES\n"
        "binary_cross_entropy = EXERCISES['binary_cross_entropy'].reference\n")
    files["missing"] = write(folder, "missing.ipynb", nb)
    # tamper attempts: every answer wrong, then a cell that tries to turn them into passes
    files["tamper_checks"] = write(folder, "tamper_checks.ipynb", after_setup(answered(WRONG), PATCH_CHECKS))
    files["tamper_reference"] = write(folder, "tamper_reference.ipynb", after_setup(answered(WRONG),
                                                                                    PATCH_REFERENCE))
    nb = answered(dict(WRONG, mean_squared_error="y_hat -= y\nloss = float(np.sum(y_hat ** 2) / len(y_hat))"))
    files["tamper_numpy"] = write(folder, "tamper_numpy.ipynb", after_setup(nb, PATCH_NUMPY))
    end = len(lesson()["cells"])
    files["tamper_rebind"] = write(folder, "tamper_rebind.ipynb", insert(answered(WRONG), end, REBIND))
    files["tamper_print"] = write(folder, "tamper_print.ipynb", insert(answered(WRONG), end, FAKE_VERDICTS))
    files["tamper_equal"] = write(folder, "tamper_equal.ipynb", after_setup(
        answered({g: "loss = probs = Equal()" for g in IDS}), ALWAYS_EQUAL))
    zeros = dict.fromkeys(IDS, "loss = np.zeros(()).view(Liar)")
    zeros["softmax"] = "probs = np.zeros_like(scores).view(Liar)"
    files["tamper_subclass"] = write(folder, "tamper_subclass.ipynb", after_setup(answered(zeros), LIAR))
    # hostile notebooks
    # an infinite loop in a cell, and one in softmax (whose check and uses are deleted: each would loop)
    nb = answered(dict(RIGHT, softmax="while True:\n    pass"))
    keep = cell_of(nb, "softmax")
    nb["cells"] = [c for i, c in enumerate(nb["cells"])
                   if i == keep or "softmax(" not in "".join(c["source"])]
    files["loop"] = write(folder, "loop.ipynb", after_setup(nb, "while True:\n    pass"))
    # a stray os._exit in a cell, and a function that ends the kernel (its check and uses deleted)
    nb = answered(dict(RIGHT, binary_cross_entropy="import os\nos._exit(3)"))
    keep = cell_of(nb, "binary_cross_entropy")
    nb["cells"] = [c for i, c in enumerate(nb["cells"])
                   if i == keep or "binary_cross_entropy(" not in "".join(c["source"])]
    files["exit"] = write(folder, "exit.ipynb", insert(nb, cell_of(nb, "softmax"), "import os\nos._exit(1)"))
    # an endless loop in softmax, its check and the later cells that call it kept: one time limit only
    files["loop_kept"] = write(folder, "loop_kept.ipynb", answered(dict(RIGHT, softmax="while True:\n    pass")))
    # the set-up cell's import fails: the notebook does not run as handed in
    nb = answered(RIGHT)
    setup = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    nb["cells"][setup]["source"] = "".join(nb["cells"][setup]["source"]) + "\nimport a_module_that_is_not_there\n"
    files["import"] = write(folder, "import.ipynb", nb)
    # softmax left unfinished in its exercise cell and answered in a new cell below it
    nb = answered({g: c for g, c in RIGHT.items() if g != "softmax"})
    files["answer_below"] = write(folder, "answer_below.ipynb", insert(nb, cell_of(nb, "softmax") + 1, (
        "def softmax(scores):\n    e = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)\n")))
    # the exercise cell replaced by a new cell (no grade_id) that defines the function
    nb = answered({g: c for g, c in RIGHT.items() if g != "softmax"})
    nb["cells"][cell_of(nb, "softmax")] = code_cell(
        "def softmax(scores):\n    e = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)\n")
    files["replaced"] = write(folder, "replaced.ipynb", nb)
    # a result that is never filled in: every output 0
    files["zeros"] = write(folder, "zeros.ipynb", answered(dict(RIGHT, softmax="probs = np.zeros_like(scores)")))
    files["output"] = write(folder, "output.ipynb", after_setup(answered(RIGHT), (
        "for _ in range(300):\n    print('x' * 100_000)")))
    hog = "hog = np.ones((40000, 40000))"
    files["memory"] = write(folder, "memory.ipynb", after_setup(answered(RIGHT), hog))
    files["json"] = write(folder, "broken_json.ipynb", '{"cells": [ {"cell_type": "code", ')
    files["version"] = write(folder, "version5.ipynb", json.dumps({"nbformat": 5, "nbformat_minor": 0,
                                                                   "metadata": {}, "cells": []}))
    shutil.copyfile(ROOT / "solutions" / "01_forward_pass.ipynb", folder / "02_loss_bob.ipynb")
    files["other"] = folder / "02_loss_bob.ipynb"
    files["none"] = write(folder, "scratch.ipynb", {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                    "cells": [code_cell("print(1)")]})
    return files


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole class once, through the command line, with JSON and CSV reports."""
    folder = tmp_path_factory.mktemp("class")
    files = build_class(folder)
    before = {name: (p.read_bytes(), p.stat().st_mtime_ns) for name, p in files.items()}
    out = tmp_path_factory.mktemp("reports")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = grading.main([str(folder), "--json", str(out / "r.json"), "--csv", str(out / "r.csv"),
                               "--cell-timeout", "8", "--timeout", "30", "--jobs", "3",
                               "--solutions", str(ROOT / "solutions")])
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    with open(out / "r.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_path = {Path(n["notebook"]).name: n for n in report["notebooks"]}
    notebooks = {name: by_path[p.name] for name, p in files.items()}
    return {"status": status, "text": stdout.getvalue(), "report": report, "rows": rows, "nb": notebooks,
            "files": files, "before": before}


def exercises_of(graded, name) -> dict:
    return {e["grade_id"]: e for e in graded["nb"][name]["exercises"]}


# --------------------------------------------------------------------------- a class, end to end

def test_grading_ran_and_exit_status_is_zero(graded):
    assert graded["status"] == 0
    assert graded["report"]["summary"]["notebooks"] == len(graded["files"])


def test_correct_answers_pass_with_points_from_the_solutions(graded):
    nb = graded["nb"]["good"]
    assert nb["lesson"] == "02_loss"
    assert [e["status"] for e in nb["exercises"]] == ["passed"] * 4
    assert (nb["score"], nb["max_score"]) == (4, 4)
    assert nb["problems"] == []


def test_wrong_answers_get_the_named_mistake(graded):
    got = exercises_of(graded, "wrong")
    for gid, mistake in WRONG_MISTAKES.items():
        assert (got[gid]["status"], got[gid]["mistake"], got[gid]["points"]) == ("wrong", mistake, 0)
    assert "divides by N*C, the number of elements" in got["mean_squared_error"]["message"]


def test_unfinished_exercises_score_zero_as_not_done(graded):
    got = exercises_of(graded, "unfinished")
    assert {e["status"] for e in got.values()} == {"not done"}
    assert "NotImplementedError" in got["softmax"]["message"]


def test_moved_and_added_cells_and_a_renamed_file_are_graded(graded):
    nb = graded["nb"]["moved"]
    assert nb["lesson"] == "02_loss"
    assert [e["status"] for e in nb["exercises"]] == ["passed"] * 4
    assert nb["notebook"].endswith("my homework (final version).ipynb")


def test_deleted_emptied_and_handed_over_exercises_score_zero_with_their_reason(graded):
    got = exercises_of(graded, "missing")
    assert got["mean_squared_error"]["status"] == "passed"
    assert got["softmax"]["status"] == "missing"
    assert "no cell with grade_id 'softmax'" in got["softmax"]["message"]
    assert got["cross_entropy"]["status"] == "missing"
    assert "does not define cross_entropy" in got["cross_entropy"]["message"]
    assert got["binary_cross_entropy"]["status"] == "not yours"
    assert "binds binary_cross_entropy to the course's own" in got["binary_cross_entropy"]["message"]
    assert graded["nb"]["missing"]["score"] == 1


@pytest.mark.parametrize("name", ["tamper_checks", "tamper_reference", "tamper_numpy", "tamper_rebind",
                                  "tamper_print", "tamper_equal", "tamper_subclass"])
def test_a_tampering_notebook_earns_no_pass(graded, name):
    got = exercises_of(graded, name)
    assert not [gid for gid, e in got.items() if e["passed"]]
    assert graded["nb"][name]["score"] == 0


def test_patched_checks_and_references_still_get_the_named_mistakes(graded):
    for name in ("tamper_checks", "tamper_reference", "tamper_rebind", "tamper_print"):
        got = exercises_of(graded, name)
        assert {gid: e["mistake"] for gid, e in got.items()} == WRONG_MISTAKES, name


def test_patched_numpy_does_not_hide_an_input_changed_in_place(graded):
    got = exercises_of(graded, "tamper_numpy")
    assert got["mean_squared_error"]["mistake"] == "y_hat changed in place"


def test_objects_that_claim_equality_are_judged_by_their_data(graded):
    got = exercises_of(graded, "tamper_equal")
    assert "Equal" in got["softmax"]["message"]
    got = exercises_of(graded, "tamper_subclass")
    assert {e["status"] for e in got.values()} == {"wrong"}


def test_an_infinite_loop_is_interrupted_and_the_rest_is_graded(graded):
    nb = graded["nb"]["loop"]
    got = exercises_of(graded, "loop")
    assert got["softmax"]["status"] == "timeout"
    assert [got[g]["status"] for g in ("mean_squared_error", "cross_entropy", "binary_cross_entropy")] \
        == ["passed"] * 3
    assert any("ran for more than 8 s (--cell-timeout) and was interrupted" in p for p in nb["problems"])


def test_after_a_timeout_the_cells_that_call_the_function_are_skipped(graded):
    nb = graded["nb"]["loop_kept"]
    source = json.loads(graded["files"]["loop_kept"].read_text())
    check = cell_of(source, "softmax") + 1
    assert f"cell {check} ran for more than 8 s (--cell-timeout) and was interrupted (in softmax)" in nb["problems"]
    [skipped] = [p for p in nb["problems"] if "skipped" in p]
    assert skipped.startswith("cells ") and f"they call softmax, which did not return within 8 s in cell {check}" \
        in skipped
    got = exercises_of(graded, "loop_kept")
    assert got["softmax"]["status"] == "timeout"
    assert "grading it was skipped rather than run into the limit again" in got["softmax"]["message"]
    assert [got[g]["status"] for g in ("mean_squared_error", "cross_entropy", "binary_cross_entropy")] \
        == ["passed"] * 3
    assert nb["seconds"] < 8 * 2             # one time limit, not one per cell that calls softmax


def test_a_failed_import_in_the_set_up_cell_fails_the_notebook(graded):
    nb = graded["nb"]["import"]
    assert nb["setup_failed"] == ("cell 1 raised ModuleNotFoundError: No module named "
                                  "'a_module_that_is_not_there'")
    assert nb["score"] == 0 and {e["status"] for e in nb["exercises"]} == {"set-up failed"}
    assert "the function on its own: it passes" in nb["exercises"][0]["message"]
    assert nb["problems"][0].startswith("SET-UP FAILED: cell 1 raised ModuleNotFoundError")
    [item] = graded["report"]["summary"]["setup_failed"]
    assert item["learner"] == "import"
    assert "1 whose set-up failed (scored 0)" in graded["text"]


def test_an_answer_written_in_a_new_cell_below_is_graded_and_reported_as_moved(graded):
    source = json.loads(graded["files"]["answer_below"].read_text())
    i = cell_of(source, "softmax")
    got = exercises_of(graded, "answer_below")
    assert got["softmax"]["status"] == "passed"
    assert got["softmax"]["note"] == f"graded from cell {i + 1}, which defines softmax again below its " \
                                     f"exercise cell {i}"
    assert f"the answer to softmax was moved: graded from cell {i + 1}" in graded["nb"]["answer_below"]["problems"][0]


def test_an_exercise_cell_replaced_by_a_new_one_is_graded_from_it(graded):
    got = exercises_of(graded, "replaced")["softmax"]
    assert got["status"] == "passed" and "which defines softmax: the exercise cell (grade_id 'softmax') " \
                                         "is gone" in got["note"]


def test_outputs_that_are_all_zero_get_their_own_diagnosis(graded):
    got = exercises_of(graded, "zeros")["softmax"]
    # the catalogue may name it itself; else the grader does
    assert got["mistake"] in ("all zeros", "every output is 0")
    assert "0" in got["message"] and "constant factor" not in got["message"]
    assert "constant factor" not in (got["hint"] or "")
    line = next(ln for ln in graded["text"].splitlines() if ln.strip().startswith("mistakes:") and
                f"{got['mistake']} " in ln and "zeros)" in ln)
    assert "constant factor" not in line


def test_the_grader_names_outputs_that_are_all_zero_when_the_check_does_not():
    from backprop_helpers.grading.grader import ZERO_OUTPUTS, _zero_words, all_zero
    assert all_zero([np.zeros(3), (0.0, np.zeros((2, 2)))]) and not all_zero([np.zeros(3), 1.0])
    assert not all_zero([Raised.from_text("ValueError: x")]) and not all_zero([{"ok": True}])
    words = _zero_words("✘ f: out differs; got 0, expected 2. Every value is 0 times the expected one: a "
                        "constant factor is off (case 'a'; 3 of 3 cases differ)")
    assert "constant factor" not in words and "Every value it returns is 0, on every case" in words
    assert words.endswith("(case 'a'; 3 of 3 cases differ)") and ZERO_OUTPUTS == "every output is 0"


def test_a_notebook_that_ignores_interrupts_is_stopped_by_the_total_timeout(graded):
    nb = graded["nb"]["hung"]
    assert any("stopped after 30 s (--timeout)" in p for p in nb["problems"])
    assert {e["status"] for e in nb["exercises"]} == {"not graded"}
    assert "ran out of time" in nb["exercises"][0]["message"]


def test_a_cell_that_ends_the_kernel_is_skipped_in_a_second_run(graded):
    nb = graded["nb"]["exit"]
    cell = cell_of(json.loads(graded["files"]["exit"].read_text()), "softmax") - 1
    assert f"cell {cell} ended the kernel (os._exit, a crash, or killed); the notebook was run again in a " \
           f"fresh kernel without that cell" in nb["problems"]
    got = exercises_of(graded, "exit")
    assert [got[g]["status"] for g in IDS[:3]] == ["passed"] * 3
    assert got["binary_cross_entropy"]["status"] == "error"
    assert "calling binary_cross_entropy ended the kernel" in got["binary_cross_entropy"]["message"]


def test_huge_output_is_counted_not_kept(graded):
    nb = graded["nb"]["output"]
    assert any("30.0 million characters of output (nothing of it was kept)" in p for p in nb["problems"])
    assert nb["score"] == 4


def test_a_memory_hog_meets_the_kernel_memory_limit(graded):
    nb = graded["nb"]["memory"]
    assert any("MemoryError" in p and "memory limit is 2048 MiB" in p for p in nb["problems"])
    assert nb["score"] == 4


def test_unreadable_notebooks_get_a_line_and_no_grade(graded):
    nb = graded["nb"]["json"]
    assert not nb["graded"] and "not valid JSON (line 1" in nb["problems"][0]
    nb = graded["nb"]["version"]
    assert not nb["graded"] and "unsupported nbformat version 5" in nb["problems"][0]
    nb = graded["nb"]["none"]
    assert not nb["graded"] and "matches no lesson" in nb["problems"][0]
    listed = {Path(item["notebook"]).name for item in graded["report"]["summary"]["not_graded"]}
    assert listed == {"broken_json.ipynb", "version5.ipynb", "scratch.ipynb"}


def test_a_notebook_named_for_another_lesson_is_graded_as_what_it_is_and_flagged(graded):
    nb = graded["nb"]["other"]
    assert nb["lesson"] == "01_forward_pass"            # despite its file name
    assert nb["score"] == nb["max_score"] == 6
    assert nb["other_lesson"] == ("the file name says 02_loss, but the notebook is 01_forward_pass (6 of its 6 "
                                  "exercise cells found)")
    assert nb["problems"][0].startswith("OTHER LESSON: the file name says 02_loss")
    [flagged] = graded["report"]["summary"]["other_lesson"]
    assert flagged["learner"] == "bob" and flagged["scored"]
    assert "other lesson: bob: the file name says 02_loss, but the notebook is 01_forward_pass" in graded["text"]


def test_originals_are_byte_identical_with_the_same_mtime(graded):
    for name, path in graded["files"].items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == graded["before"][name], name
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(p.name for p in graded["files"].values())


def test_the_class_summary_counts_mistakes_per_exercise(graded):
    entry = graded["report"]["summary"]["lessons"]["02_loss"]
    softmax = entry["exercises"]["softmax"]
    assert softmax["max_points"] == 1
    wrong = ("wrong", "tamper_checks", "tamper_reference", "tamper_numpy", "tamper_rebind", "tamper_print")
    assert softmax["problems"]["softmax without subtracting the max (overflow on large logits)"] == len(wrong)
    assert softmax["graded"] == entry["notebooks"]
    assert softmax["passed"] == sum(1 for n in graded["nb"].values()
                                    if n["lesson"] == "02_loss" and
                                    {e["grade_id"]: e for e in n["exercises"]}["softmax"]["passed"])


def test_text_report_lists_every_learner_and_the_summary(graded):
    text = graded["text"]
    for path in graded["files"].values():
        assert path.name in text
    assert "good.ipynb: 02_loss: 4/4 points" in text
    assert 'mistake "MSE averaged over every element"' in text
    assert f"Class summary: {len(graded['files'])} notebook(s): {len(graded['files']) - 4} graded, 1 whose set-up " \
           f"failed (scored 0), 1 of another lesson, 3 not graded" in text
    assert "mistakes: softmax without subtracting the max (overflow on large logits) 6 (tamper_checks, " \
           "tamper_numpy, tamper_print, tamper_rebind, tamper_reference, wrong)" in text
    assert "not judged on its code: not done 1 (unfinished)" in text
    assert " 4/4 points  " in text and "median" in text            # the distribution of the scores


def test_the_text_report_never_cuts_a_message(graded):
    assert "…" not in graded["text"].replace("… ", "").replace("  …", "")
    for nb in graded["report"]["notebooks"]:
        for e in nb["exercises"]:
            if not e["passed"]:
                assert " ".join(e["message"].split()).split(": ", 1)[-1] in graded["text"]


def test_csv_has_one_row_per_learner_and_exercise(graded):
    rows = graded["rows"]
    assert list(rows[0]) == ["notebook", "learner", "lesson", "exercise", "status", "passed", "points",
                             "max_points", "mistake", "message", "notebook_problems"]
    wrong = [r for r in rows if r["notebook"].endswith("wrong.ipynb")]
    assert [(r["exercise"], r["status"], r["points"], r["mistake"]) for r in wrong] == \
        [(g, "wrong", "0", WRONG_MISTAKES[g]) for g in IDS]
    broken = [r for r in rows if r["notebook"].endswith("broken_json.ipynb")]
    assert len(broken) == 1 and broken[0]["status"] == "not graded"
    graded_rows = sum(len(n["exercises"]) for n in graded["report"]["notebooks"])
    assert len(rows) == graded_rows + 3


def test_json_holds_the_settings(graded):
    settings = graded["report"]["settings"]
    assert (settings["cell_timeout"], settings["timeout"], settings["memory_mb"], settings["jobs"]) == \
        (8, 30, 2048, 3)
    assert "02_loss" in settings["lessons"] and settings["solution_problems"] == []


# --------------------------------------------------------------------------- the grader's own process

class _Huge:
    """A pickle asking numpy to allocate an 80 GB array."""

    def __reduce__(self):
        return np.ndarray.__reduce__(np.zeros(1))[0], (np.ndarray, (100000, 100000), b"d")


class _Exploit:
    """A pickle that would run a shell command when loaded by an ordinary unpickler."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def test_restricted_unpickler_refuses_code_and_never_runs_it(tmp_path):
    target = tmp_path / "pwned"
    data = pickle.dumps({"outputs": [_Exploit(target)]}, protocol=4)
    with pytest.raises(ReplyError, match=r"names \w+\.system, which the grader does not accept"):
        restricted_loads(data)
    assert not target.exists()
    with pytest.raises(ReplyError, match="does not accept"):
        restricted_loads(pickle.dumps(np.ma.masked_array([1.0, 2.0])))
    with pytest.raises(ReplyError, match="array of dtype object"):
        restricted_loads(pickle.dumps(np.array([1, "a", None], dtype=object)))
    with pytest.raises(ReplyError, match="could not be read"):
        restricted_loads(b"\x80\x04not a pickle")
    with pytest.raises(ReplyError, match=r"array of shape \(100000, 100000\), larger than the grader reads"):
        restricted_loads(pickle.dumps(_Huge(), protocol=4))


def test_restricted_unpickler_reads_arrays_and_plain_data():
    value = {"a": (np.arange(6.0).reshape(2, 3), np.float32(1.5), [1, 2.0, 3j, "x", b"y", None, True]),
             "b": np.array([[True, False]]), "c": np.int64(7)}
    back = restricted_loads(pickle.dumps(value, protocol=4))
    np.testing.assert_array_equal(back["a"][0], value["a"][0])
    assert back["a"][1:] == value["a"][1:] and back["c"] == 7 and back["b"].dtype == bool


Pair = namedtuple("Pair", "first second")


def test_plain_sends_data_not_objects():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    class Equal:
        def __eq__(self, other):
            return True

    sent = plain((np.zeros(3).view(Liar), Equal(), Pair(1, np.float64(2.0)), (i for i in range(2))))
    assert type(sent[0]) is np.ndarray and not sent[0].any()
    assert sent[1] == (OPAQUE, "Equal") and sent[3] == (OPAQUE, "generator")
    assert type(sent[2]) is tuple and sent[2] == (1, 2.0)
    assert plain(np.ones(10), [40]) == (OPAQUE, "ndarray")        # over the byte budget


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
                               hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)))
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=10)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        same = np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        return type(b) is np.ndarray and a.dtype == b.dtype and same
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(_values)
def test_plain_data_survives_the_trip_unchanged(value):
    assert _equal(restricted_loads(pickle.dumps(plain(value), protocol=4)), value)


def _reply(outputs, gid="relu", nonce="n0", **extra) -> dict:
    reply = dict({"nonce": nonce, "grade_id": gid, "status": "ran", "outputs": outputs}, **extra)
    return {"nonce": nonce, "reply": base64.b64encode(pickle.dumps(reply, protocol=4)).decode()}


def test_a_reply_must_answer_this_run_and_exercise():
    with pytest.raises(ReplyError, match="does not come from this grading run"):
        read_reply(_reply([]), "other", "relu", 0)
    with pytest.raises(ReplyError, match="does not answer this exercise"):
        read_reply(_reply([]), "n0", "tanh", 0)
    with pytest.raises(ReplyError, match="should hold 4 outputs"):
        read_reply(_reply([("ok", 1.0, None)]), "n0", "relu", 4)
    with pytest.raises(ReplyError, match="unknown status 'passed'"):
        read_reply(_reply([], status="passed"), "n0", "relu", 0)


def _wire(outputs, gid):
    """The learner's outputs as they come back from a kernel: plain data, pickled, read back."""
    def error(v):
        return getattr(v, "error", None) if type(v) is not dict and isinstance(v, dict) else None
    items = [("raised", v.text) if isinstance(v, Raised) else ("ok", plain(v), error(v)) for v in outputs]
    return read_reply(_reply(items, gid), "n0", gid, len(items))["outputs"]


@pytest.mark.parametrize("gid", sorted(EXERCISES))
def test_the_verdict_in_the_grader_is_the_checks_own(gid):
    """For every exercise, the reference and every catalogued mistake, through the wire."""
    exercise = EXERCISES[gid]
    judge = Judge(exercise)
    for impl in [exercise.reference] + [m.impl for m in exercise.mistakes]:
        expected = exercise.run(impl)
        got = judge.verdict(_wire(exercise.results(impl, list(exercise.cases())), gid))
        assert (got.status, got.mistake, got.message) == (expected.status, expected.mistake, expected.message)
    assert judge.verdict(None).status == "not done"


@pytest.mark.parametrize("gid", sorted(EXERCISES))
def test_on_hidden_cases_the_grader_and_the_check_agree(gid):
    """The same seed gives the check (in a notebook) and the grader (through the wire) one verdict."""
    exercise = EXERCISES[gid]
    judge = Judge(exercise, seed=99)
    for impl in [exercise.reference] + [m.impl for m in exercise.mistakes]:
        expected = exercise.run(impl, seed=99)
        got = judge.verdict(_wire(exercise.results(impl, exercise.case_list(99)), gid))
        assert (got.status, got.mistake, got.message) == (expected.status, expected.mistake, expected.message)


def test_what_the_kernel_saw_makes_the_verdict_not_yours():
    judge = Judge(EXERCISES["relu"])
    used = [("same", "backprop_helpers.layers.relu_forward")]
    reply = read_reply(_reply([("ok", np.zeros(1), None)] * judge.count, used=used), "n0", "relu", judge.count)
    assert reply["used"] == used
    verdict = judge.verdict(reply["outputs"], reply["used"])
    assert verdict.status == "not yours" and "backprop_helpers.layers.relu_forward" in verdict.message
    with pytest.raises(ReplyError, match="malformed list of what the function used"):
        read_reply(_reply([], used=[("same", 3)]), "n0", "relu", 0)


# --------------------------------------------------------------------------- finding the lesson

LESSONS = [LessonSpec("01_forward_pass", (("relu", 1), ("tanh", 1), ("linear_forward", 1))),
           LessonSpec("07_training_loop", (("relu", 1), ("linear_forward", 1), ("fit", 2), ("accuracy", 1)))]


def test_the_lesson_is_the_one_sharing_most_grade_ids():
    assert identify({"relu", "tanh"}, "x.ipynb", LESSONS)[0].name == "01_forward_pass"
    assert identify({"relu", "fit"}, "01_forward_pass.ipynb", LESSONS)[0].name == "07_training_loop"
    lesson, how = identify({"relu"}, "x.ipynb", LESSONS)        # a tie: the fewest missing wins
    assert lesson.name == "01_forward_pass" and how == "1 of its 3 exercise cells found"
    lesson, how = identify(set(), "07_training_loop (1).ipynb", LESSONS)
    assert lesson.name == "07_training_loop" and "taken from the file name" in how
    lesson, how = identify({"softmax"}, "x.ipynb", LESSONS)
    assert lesson is None and how.startswith("matches no lesson") and "(it has softmax)" in how
    lesson, how = identify({"relu"}, "scratch.ipynb", LESSONS, by_name=True)   # no grade_id at all
    assert lesson is None and how.endswith("it defines only 1 of the 3 exercise functions of 01_forward_pass")
    assert identify({"relu", "tanh"}, "x.ipynb", LESSONS, by_name=True)[0].name == "01_forward_pass"


def test_points_come_from_the_solution_cells():
    lessons = {lesson.name: dict(lesson.exercises) for lesson in load_lessons(ROOT / "solutions")[0]}
    assert lessons["02_loss"] == {gid: 1 for gid in IDS}
    assert "00_start_here" not in lessons


def test_parse_reports_what_is_wrong_with_a_file():
    assert parse(b"\xff\xfe", "f")[1] == "not a notebook: the file is not UTF-8 text"
    assert parse(b"[1, 2]", "f")[1] == "not a notebook: the JSON has no 'cells'"
    old = json.dumps({"nbformat": 2, "cells": []}).encode()
    assert "unsupported nbformat version 2" in parse(old, "f")[1]
    nb, problem = parse(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": ["def relu(x):\n", "    return x\n"], "metadata": {}},
        "not a cell", {"cell_type": "markdown", "source": 7}]}).encode(), "f")
    assert problem is None and nb.cells[0].source == "def relu(x):\n    return x\n" and len(nb.cells) == 2


# --------------------------------------------------------------------------- command line

def test_usage_errors_exit_with_status_2(tmp_path, capsys):
    assert grading.main([]) == 2
    assert grading.main([str(tmp_path / "nope.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "grade: grade_notebooks: notebooks must be existing files or folders, got" in err
    assert grading.main([str(tmp_path)]) == 2
    assert "holds no .ipynb notebook" in capsys.readouterr().err
    notebook = write(tmp_path, "a.ipynb", lesson())
    assert grading.main([str(notebook), "--timeout", "-1"]) == 2
    assert "grade_notebooks: timeout must be a finite number > 0, got -1.0" in capsys.readouterr().err
    assert grading.main([str(notebook), "--solutions", str(tmp_path / "none")]) == 2
    assert "solutions must be the folder of the instructor's solution notebooks (--solutions DIR), got '" \
        in capsys.readouterr().err
    assert grading.main([str(notebook), "--memory-limit", "12"]) == 2
    assert "memory_limit_mb must be an integer >= 256, got 12" in capsys.readouterr().err
    assert grading.main(["--help"]) == 0


def test_add_grade_command_registers_grade_with_its_handler():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    grading.add_grade_command(commands)
    args = parser.parse_args(["grade", "a.ipynb", "b", "--json", "r.json", "--cell-timeout", "5"])
    assert (args.command, args.notebooks, args.json, args.cell_timeout, args.func) == \
        ("grade", ["a.ipynb", "b"], "r.json", 5.0, grading._cmd_grade)


def test_the_kernel_does_not_inherit_mplbackend_nor_record_progress(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("BACKPROP_PROGRESS", "on")
    env = kernel_env()
    assert "MPLBACKEND" not in env and env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["BACKPROP_PROGRESS"] == "off"


def test_one_notebook_is_graded_in_an_ordinary_kernel_and_forked_kernels_grade_alike(graded, tmp_path):
    """A single notebook gets a kernel started the usual way; the class above had forked kernels."""
    assert graded["report"]["settings"]["kernels"] == "forked from a preloaded process"
    report = grading.grade_notebooks(graded["files"]["wrong"], solutions=ROOT / "solutions", cell_timeout=20)
    assert report.settings["kernels"] == "started one by one"
    [nb] = report.notebooks
    assert [(e.grade_id, e.status, e.mistake) for e in nb.exercises] == \
        [(e["grade_id"], e["status"], e["mistake"]) for e in graded["nb"]["wrong"]["exercises"]]


def _processes_in(folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder) in os.readlink(entry / "cwd"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux's /proc")
def test_ctrl_c_stops_grading_and_its_kernels(tmp_path):
    """SIGINT (Ctrl-C) ends the command with status 130, its kernels killed, its temporary folders gone."""
    import signal
    import subprocess
    import sys
    import time
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        write(folder, name, after_setup(answered(RIGHT), "import time\nwhile True:\n    time.sleep(0.1)"))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "backprop_helpers", "grade", str(folder), "--solutions",
                             str(ROOT / "solutions")], env=dict(os.environ, TMPDIR=str(scratch)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_processes_in(scratch)) < 2 and time.monotonic() < deadline:   # both kernels running
        time.sleep(0.2)
    assert len(_processes_in(scratch)) == 2
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "grade: interrupted; the kernels were stopped and no report was written"
    time.sleep(0.5)
    assert _processes_in(scratch) == [] and list(scratch.iterdir()) == []


# --------------------------------------------------------------------------- --lesson and --exercise

@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    write(folder, "alice.ipynb", answered(RIGHT))
    write(folder, "bob.ipynb", answered(WRONG))
    shutil.copyfile(ROOT / "solutions" / "01_forward_pass.ipynb", folder / "carol.ipynb")
    return folder


def test_with_lesson_a_notebook_of_another_lesson_scores_0_and_is_reported(small_class):
    report = grading.grade_notebooks(small_class, solutions=ROOT / "solutions", lesson="02", seed=3,
                                     cell_timeout=60)
    by = {nb.learner: nb for nb in report.notebooks}
    carol = by["carol"]
    assert (carol.lesson, carol.score, carol.max_score) == ("02_loss", 0, 4)
    assert {e.status for e in carol.exercises} == {"other lesson"}
    assert carol.other_lesson == "a notebook of 01_forward_pass (6 of its 6 exercise cells found), not of " \
                                 "02_loss (--lesson)"
    assert carol.problems[0].endswith("scored 0 (--accept-other-lessons grades it as 01_forward_pass)")
    assert (by["alice"].score, by["bob"].score) == (4, 0)
    text = report.to_text()
    assert "Every notebook should be 02_loss; a notebook of another lesson scores 0" in text
    assert "1 of another lesson (1 scored 0)" in text
    assert "other lesson 1 (carol)" in text
    accepted = grading.grade_notebooks(small_class / "carol.ipynb", solutions=ROOT / "solutions",
                                       lesson="02_loss", accept_other_lessons=True, cell_timeout=60)
    [carol] = accepted.notebooks
    assert (carol.lesson, carol.score) == ("01_forward_pass", 6) and carol.other_lesson


def test_one_exercise_can_be_regraded_alone(small_class):
    report = grading.grade_notebooks(small_class, solutions=ROOT / "solutions", exercises=["softmax"], seed=3,
                                     cell_timeout=60)
    by = {nb.learner: nb for nb in report.notebooks}
    assert [(e.grade_id, e.status) for e in by["alice"].exercises] == [("softmax", "passed")]
    assert [(e.grade_id, e.mistake) for e in by["bob"].exercises] == [("softmax", WRONG_MISTAKES["softmax"])]
    assert [e.status for e in by["carol"].exercises] == ["other lesson"] and by["carol"].max_score == 1
    assert report.settings["exercises"] == ["softmax"] and report.settings["lesson"] == ["02_loss"]


def test_lesson_and_exercise_usage_errors(small_class, capsys):
    assert grading.main([str(small_class), "--lesson", "99", "--solutions", str(ROOT / "solutions")]) == 2
    assert "lesson must be the number or the name of a lesson with exercises" in capsys.readouterr().err
    assert grading.main([str(small_class), "--exercise", "nope", "--solutions", str(ROOT / "solutions")]) == 2
    assert "exercises must be grade_ids of one lesson, got 'nope': no lesson has it" in capsys.readouterr().err
    assert grading.main([str(small_class), "--lesson", "01", "--exercise", "softmax",
                         "--solutions", str(ROOT / "solutions")]) == 2
    assert "exercises must be grade_ids of one lesson in 01_forward_pass" in capsys.readouterr().err


def test_kernels_import_the_course_the_grader_runs(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["/somewhere/else", str(ROOT)]))
    assert kernel_env()["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/somewhere/else"]


def test_long_messages_are_cut_between_words_and_say_so():
    from backprop_helpers.grading.execution import cut
    text = "ValueError: " + "a long explanation " * 100
    short = cut(text, 200)
    assert short.endswith("more characters]") and "…" not in short
    kept = short.rsplit(" [", 1)[0]
    assert text.startswith(kept) and text[len(kept)] == " "              # never inside a word
    assert cut("short", 200) == "short"


def test_the_functions_a_timed_out_cell_was_running_are_read_from_its_traceback():
    from backprop_helpers.grading.execution import functions_in_traceback
    traceback = ["\x1b[0;31mKeyboardInterrupt\x1b[0m  Traceback (most recent call last)",
                 "Cell \x1b[0;32mIn[12], line 1\x1b[0m\n----> 1 softmax = check_softmax(softmax)",
                 "File /x/core.py:300, in Exercise.check(self, fn)",
                 "Cell \x1b[0;32mIn[11], line 3\x1b[0m, in \x1b[0;36msoftmax\x1b[0;34m(scores)\x1b[0m",
                 "Cell In[10], line 2, in helper(x)"]
    assert functions_in_traceback(traceback) == ["softmax", "helper"]


def test_a_failed_import_or_a_failed_set_up_cell_is_a_set_up_failure():
    from backprop_helpers.grading.submissions import setup_failure
    nb, _ = parse(json.dumps(lesson()).encode(), "f")
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    later = len(nb.cells) - 1
    assert setup_failure(nb, setup, "NameError: name 'x' is not defined")
    assert setup_failure(nb, later, "ModuleNotFoundError: No module named 'torch'")
    assert not setup_failure(nb, later, "NameError: name 'x' is not defined")
