"""Hidden fresh cases: ``grade`` draws the random values of its cases from a seed the learner cannot
know (new at each run unless ``--seed N``), keeping the fixed edge cases, so a function that returns
outputs memorised for the notebook's cases fails; case functions without ``rng`` keep working."""
from __future__ import annotations

import contextlib
import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from backprop_helpers.checks import EXERCISES, Case, Exercise
from backprop_helpers.checks.core import takes_rng
from backprop_helpers.grading import kernel
from backprop_helpers.grading import runner as grading
from backprop_helpers.grading.kernel import CaseRef
from backprop_helpers.grading.wire import Judge, cases_blob

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "02_loss.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
COURSE = sorted(name for name, ex in EXERCISES.items()
                if ex.reference.__module__.split(".")[-1][:8] in {f"lesson0{n}" for n in range(1, 8)})


def test_lessons_01_to_07_take_a_generator():
    assert len(COURSE) == 33
    assert all(takes_rng(EXERCISES[name].cases) for name in COURSE)


@pytest.mark.parametrize("name", COURSE)
def test_hidden_cases_keep_the_edge_cases_and_draw_the_rest(name):
    ex = EXERCISES[name]
    notebook, hidden = ex.case_list(), ex.case_list(seed=7)
    assert [c.label for c in ex.cases()] == [c.label for c in notebook]          # no seed: the notebook's
    assert len(hidden) == len(notebook)
    fresh = [c for c in hidden if c.label.endswith("(hidden values)")]
    assert fresh, "at least one case must get new values"
    for case, original in zip(hidden, notebook):
        if case not in fresh:                     # a fixed edge case: the notebook's, unchanged
            assert case.label == original.label
    again = ex.case_list(seed=7)
    assert pickle.dumps([c.label for c in again]) == pickle.dumps([c.label for c in hidden])
    other = ex.case_list(seed=8)
    assert [c.label for c in other] == [c.label for c in hidden]


@pytest.mark.parametrize("name", COURSE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_hidden_cases_the_reference_passes_and_every_mistake_is_still_named(name, seed):
    ex = EXERCISES[name]
    cases = ex.case_list(seed)
    assert ex.verdict(ex.results(ex.reference, cases), cases).passed
    for mistake in ex.mistakes:
        result = ex.verdict(ex.results(mistake.impl, ex.case_list(seed)), ex.case_list(seed))
        assert result.mistake == mistake.name, (mistake.name, result.message)


def test_the_same_seed_draws_the_same_values_and_another_seed_others():
    ex = EXERCISES["softmax"]
    a, b, c = ex.case_list(3), ex.case_list(3), ex.case_list(4)
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b))
    assert not np.array_equal(a[0].args[0], c[0].args[0])
    assert not np.array_equal(a[0].args[0], ex.cases()[0].args[0])
    large = next(i for i, case in enumerate(a) if case.label == "large logits")
    assert np.array_equal(a[large].args[0], ex.cases()[large].args[0])             # a fixed edge case


def test_a_case_function_without_rng_still_works_with_a_seed():
    def answer(x):
        return x + 1
    cases = lambda: [Case("three", (np.arange(3.0),)), Case("one", (np.ones(1),))]   # noqa: E731
    old = Exercise("plus_one", answer, cases)
    assert not takes_rng(cases)
    assert [c.label for c in old.case_list(seed=5)] == ["three", "one"]
    assert old.run(lambda x: 1 + x, seed=5).passed
    judge = Judge(old, seed=5)
    assert judge.count == 2 and judge.verdict([np.arange(3.0) + 1, np.ones(1) + 1]).passed


def test_the_kernel_rebuilds_unpicklable_arguments_from_the_same_seed():
    ex = EXERCISES["gradient_descent"]                  # its cases hold lambdas
    seed = 11
    sent = pickle.loads(cases_blob(ex, seed))
    assert any(isinstance(a, CaseRef) for args, _ in sent for a in args)
    state = {"exercises": {"gradient_descent": (ex.runner, ex.case_list, ex.reference, ex.policy)}}
    resolved = kernel._resolve(state, "gradient_descent", sent, seed)
    for (args, _), case in zip(resolved, ex.case_list(seed)):
        assert np.array_equal(args[1], case.args[1])
        assert args[0].__code__ is case.args[0].__code__


# --------------------------------------------------------------------------- through grade

def _answered(answers: dict) -> dict:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            source = "".join(cell["source"])
            cell["source"] = source.replace(PLACEHOLDER, "\n".join("    " + line for line in answers[gid].splitlines()))
    return nb


MEMORISED = """\
from backprop_helpers.checks import EXERCISES as _E
def _memo(name):
    ex = _E[name]
    return {tuple(np.asarray(a).tobytes() for a in case.args): ex.reference(*case.args) for case in ex.cases()}
MEMO = {name: _memo(name) for name in ("mean_squared_error", "softmax", "cross_entropy", "binary_cross_entropy")}
del _E
"""


def _memorising(name: str, args: str, result: str) -> str:
    return f"{result} = MEMO[{name!r}][tuple(np.asarray(a).tobytes() for a in ({args},))]"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hidden")
    memoriser = _answered({"mean_squared_error": _memorising("mean_squared_error", "y_hat, y", "loss"),
                           "softmax": _memorising("softmax", "scores", "probs"),
                           "cross_entropy": _memorising("cross_entropy", "scores, y", "loss"),
                           "binary_cross_entropy": _memorising("binary_cross_entropy", "p, y", "loss")})
    first = next(i for i, c in enumerate(memoriser["cells"]) if c["cell_type"] == "code")
    memoriser["cells"].insert(first + 1, {"cell_type": "code", "execution_count": None, "metadata": {},
                                          "outputs": [], "source": MEMORISED})
    (folder / "memoriser.ipynb").write_text(json.dumps(memoriser), encoding="utf-8")
    honest = _answered({"mean_squared_error": "loss = ((y_hat - y) ** 2).sum() / len(y_hat)",
                        "softmax": "z = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
                                   "probs = z / z.sum(axis=1, keepdims=True)"})
    (folder / "honest.ipynb").write_text(json.dumps(honest), encoding="utf-8")
    runs = []
    for seed in (["--seed", "12345"], ["--seed", "12345"], []):
        out = tmp_path_factory.mktemp("hidden-report") / "r.json"
        with contextlib.redirect_stdout(io.StringIO()) as text:
            assert grading.main([str(folder), "--json", str(out), "--solutions", str(ROOT / "solutions"),
                                 "--jobs", "2", *seed]) == 0
        runs.append((json.loads(out.read_text(encoding="utf-8")), text.getvalue()))
    return runs


def _exercises(report: dict, name: str) -> dict:
    nb = next(n for n in report["notebooks"] if Path(n["notebook"]).name == name)
    return {e["grade_id"]: e for e in nb["exercises"]}


def test_memorised_outputs_pass_the_notebook_checks_but_not_grade(graded):
    ns = {"np": np}
    exec(MEMORISED, ns)
    for name, args, result in [("softmax", "scores", "probs"), ("cross_entropy", "scores, y", "loss")]:
        exec(f"def {name}({args}):\n    {_memorising(name, args, result)}\n    return {result}", ns)
        assert EXERCISES[name].run(ns[name]).passed          # the notebook's own cases: memorised
    report, _ = graded[0]
    got = _exercises(report, "memoriser.ipynb")
    assert not any(e["passed"] for e in got.values()), got
    assert all(e["status"] == "error" and "KeyError" in e["message"] for e in got.values())
    assert "(hidden values)" in got["softmax"]["message"]


def test_an_honest_function_passes_the_hidden_cases(graded):
    report, _ = graded[0]
    got = _exercises(report, "honest.ipynb")
    assert got["mean_squared_error"]["passed"] and got["softmax"]["passed"]
    assert "(hidden values)" in got["softmax"]["message"]


def test_the_seed_is_printed_and_repeats_the_run(graded):
    (first, text1), (second, text2), (fresh, text3) = graded
    assert first["settings"]["seed"] == second["settings"]["seed"] == 12345
    assert "Hidden cases drawn with seed 12345 (to repeat this run exactly: --seed 12345)" in text1
    messages = [[e["message"] for e in nb["exercises"]] for nb in first["notebooks"]]
    assert messages == [[e["message"] for e in nb["exercises"]] for nb in second["notebooks"]]
    assert isinstance(fresh["settings"]["seed"], int) and fresh["settings"]["seed"] != 12345
    assert f"--seed {fresh['settings']['seed']}" in text3


def test_a_bad_seed_is_a_usage_error(tmp_path, capsys):
    notebook = tmp_path / "a.ipynb"
    notebook.write_text(LESSON.read_text(encoding="utf-8"), encoding="utf-8")
    assert grading.main([str(notebook), "--seed", "-3"]) == 2
    assert "seed must be an integer >= 0, got -3" in capsys.readouterr().err
    assert grading.main([str(notebook), "--seed", "x"]) == 2
