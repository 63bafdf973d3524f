"""Tests of ``check`` beyond the generator's guards: every exercise has a check, the checks' verdicts in
the solutions, ``check --run`` (notebooks executed in a fresh kernel), and the ``grade`` command's wiring."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from nbformat import v4

from backprop_helpers.course import cli
from backprop_helpers.course import (NO_CHECK, build, committed_verdict_problems, execute, missing_checks,
                                     notebook_bytes, read_notebook, verdict_problems)

ROOT = Path(__file__).resolve().parent.parent

RELU = ("def relu(x):\n    \"\"\"max(x, 0)\"\"\"\n    ### BEGIN SOLUTION\n    out = {body}\n"
        "    ### END SOLUTION\n    return out")
SETUP = "import numpy as np\nfrom backprop_helpers.checks import check_relu"


def cell(source, cell_id, outputs=(), **metadata):
    new = v4.new_code_cell(source, metadata=metadata)
    new.id = cell_id
    new.outputs = [v4.new_output("stream", text=text) for text in outputs]
    return new


def solution(body="np.maximum(x, 0)", *, verdict="✔ relu: correct on all 4 cases.\n", extra=()):
    """A solution notebook with one real exercise (relu) and its check, as committed (executed)."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [cell(SETUP, "setup"), cell(RELU.format(body=body), "exercise"),
                cell("relu = check_relu(relu)", "check", [verdict] if verdict else []),
                cell("print(relu(np.array([-1.0, 2.0])))", "use", ["[0. 2.]\n"]), *extra]
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(notebook_bytes(nb))
    return path


def run(*argv):
    return cli.main([str(a) for a in argv])


# --------------------------------------------------------------------------- every exercise has a check

def test_an_exercise_without_a_check_is_reported_unless_its_cell_says_why(tmp_path):
    nb = solution()
    nb.cells.append(cell("def my_idea(x):\n    ### BEGIN SOLUTION\n    y = x\n    ### END SOLUTION\n"
                         "    return y", "idea"))
    nb.cells.append(v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                         metadata={"nbgrader": {"grade_id": "why"},
                                                   "backprop_course": {NO_CHECK: "   "}}))
    path = write(nb, tmp_path / "solutions" / "01_x.ipynb")
    problems = missing_checks(tmp_path / "solutions")
    assert problems == [
        f"{path}, cell {i}: the exercise {gid!r} has no check: backprop_helpers.checks.EXERCISES has no "
        f"exercise of that name. Write its check (INSTRUCTORS.md, 'Adding an exercise'), or give the "
        f'cell the metadata {{"backprop_course": {{"no_check": "<why it has none>"}}}}'
        for i, gid in ((4, "my_idea"), (5, "why"))]
    nb.cells[4].metadata["backprop_course"] = {NO_CHECK: "pasted in from lesson 01, checked there"}
    nb.cells[5].metadata["backprop_course"] = {NO_CHECK: "a free-text answer"}
    write(nb, tmp_path / "solutions" / "01_x.ipynb")
    assert missing_checks(tmp_path / "solutions") == []


def test_every_real_exercise_has_a_check():
    assert missing_checks(ROOT / "solutions") == []


# --------------------------------------------------------------------------- verdicts

def test_a_solution_whose_check_passed_has_no_problem():
    assert verdict_problems(solution(), "s.ipynb", expect="passed") == []


@pytest.mark.parametrize("verdict, said", [("✘ relu: np.abs is not ReLU\n", "✘"),
                                           ("… relu: not done yet\n", "…")])
def test_a_solution_whose_check_did_not_pass_is_reported(verdict, said):
    assert verdict_problems(solution(verdict=verdict), "s.ipynb", expect="passed") == [
        f"s.ipynb, cell 2: the check of 'relu' printed a '{said}' verdict: the solution does not pass its "
        f"own check"]


def test_failing_verdicts_in_later_demonstration_cells_do_not_count():
    demo = cell("relu = check_relu(np.abs)", "demo", ["✘ relu: the absolute value is not ReLU\n"])
    assert verdict_problems(solution(extra=[demo]), "s.ipynb", expect="passed") == []


def test_an_exercise_that_was_never_checked_is_reported_with_its_own_check_cell():
    nb = solution(verdict=None)
    expected = ["s.ipynb, cell 1: the exercise 'relu' was not checked (its check cell 2 has no output: was it "
                "run?)"]
    assert verdict_problems(nb, "s.ipynb", expect="passed") == expected
    # a later exercise's check printed a verdict: the message still names relu's own check cell
    nb.cells.append(cell("def tanh(x):\n    ### BEGIN SOLUTION\n    y = np.tanh(x)\n    ### END SOLUTION\n"
                         "    return y", "tanh"))
    nb.cells.append(cell("tanh = check_tanh(tanh)", "other", ["✔ tanh: correct\n"]))
    assert verdict_problems(nb, "s.ipynb", expect="passed") == expected
    nb.cells[2].source = "print('no check here')"
    nb.cells[2].outputs = [v4.new_output("stream", text="no check here\n")]
    assert verdict_problems(nb, "s.ipynb", expect="passed") == [
        "s.ipynb, cell 1: the exercise 'relu' was not checked (no cell after it calls its check or printed a "
        "verdict for it)"]


def test_stale_outputs_are_refused_and_execute_keeps_the_record(tmp_path):
    from backprop_helpers.course.publish import RUN_RECORD, record_run, stale_outputs
    nb = solution()
    for n, c in enumerate(nb.cells, 1):
        c.execution_count = n
    assert stale_outputs(nb, "s.ipynb") is None               # no record, counts of one run: trusted
    nb.cells[1].execution_count = 9                           # run again after an edit
    assert "do not come from one run from top to bottom" in stale_outputs(nb, "s.ipynb")
    nb.cells[1].execution_count = 2
    record_run(nb)
    assert len(nb.metadata["backprop_course"][RUN_RECORD]) == 4 and stale_outputs(nb, "s.ipynb") is None
    nb.cells[1].source = RELU.format(body="np.abs(x)")        # broken after its outputs were made
    problem = stale_outputs(nb, "s.ipynb")
    assert problem.startswith("s.ipynb: its outputs are stale: cell 1 changed or added since `execute` ran it")
    assert problem.endswith("run `python -m backprop_helpers execute s.ipynb` and commit it")
    path = write(nb, tmp_path / "solutions" / "01_x.ipynb")
    assert committed_verdict_problems(tmp_path / "solutions") == [problem.replace("s.ipynb", str(path))]
    ran, error = execute(path)
    assert error is None and stale_outputs(ran, str(path)) is None
    assert ran.metadata["backprop_course"][RUN_RECORD] != nb.metadata["backprop_course"][RUN_RECORD]
    assert build_lesson_metadata(ran) == {"generated_cells"}


def build_lesson_metadata(nb) -> set:
    from backprop_helpers.course import build_lesson
    return set(build_lesson(nb)["metadata"]["backprop_course"])


def test_a_lesson_whose_check_passes_with_the_exercise_unfinished_is_reported():
    assert verdict_problems(solution(verdict="… relu: not done yet\n"), "l.ipynb", expect="not done") == []
    [problem] = verdict_problems(solution(), "l.ipynb", expect="not done")
    assert problem.startswith("l.ipynb, cell 2: with the exercise 'relu' unfinished its check printed "
                              "a '✔'")
    assert "does the solution block hold all of the exercise's work?" in problem
    with pytest.raises(ValueError, match="verdict_problems: expect must be 'passed' or 'not done', got 'ok'"):
        verdict_problems(solution(), "l.ipynb", expect="ok")


def test_a_committed_solution_without_outputs_is_reported(tmp_path):
    nb = solution()
    for c in nb.cells:
        c.outputs = []
    path = write(nb, tmp_path / "solutions" / "01_x.ipynb")
    assert committed_verdict_problems(tmp_path / "solutions") == [
        f"{path} has no outputs: solutions are committed executed (run it top to bottom and save it), so "
        f"that its checks' verdicts can be read"]


def test_the_real_solutions_pass_their_checks_as_committed():
    assert committed_verdict_problems(ROOT / "solutions") == []


def test_cli_check_reports_a_solution_failing_its_check_without_running_it(tmp_path, capsys):
    write(solution(verdict="✘ relu: np.abs is not ReLU\n"), tmp_path / "solutions" / "01_x.ipynb")
    build(tmp_path / "solutions", tmp_path / "lessons")
    assert run("check", "--root", tmp_path) == 1
    out = capsys.readouterr().out
    assert "check: 1 problem(s) found:" in out and "the solution does not pass its own check" in out
    assert out.splitlines()[-1].startswith("check: failed (")


# --------------------------------------------------------------------------- check --run

def test_check_run_executes_every_solution_and_lesson(tmp_path, capsys):
    write(solution(), tmp_path / "solutions" / "01_x.ipynb")
    build(tmp_path / "solutions", tmp_path / "lessons")
    assert run("check", "--run", "--jobs", "1", "--root", tmp_path) == 0
    out = capsys.readouterr().out
    assert "check: running 1 solution(s) and 1 lesson(s), each in a fresh kernel, 1 at a time" in out
    assert f"  ran {tmp_path / 'solutions' / '01_x.ipynb'} in " in out
    assert f"  ran {tmp_path / 'lessons' / '01_x.ipynb'} in " in out
    assert ("every solution passes its checks when run, every lesson runs with its exercises unfinished: "
            "all checks passed") in out


def test_check_run_reports_a_wrong_solution_and_a_lesson_that_stops(tmp_path, capsys):
    # committed outputs claim success; running shows otherwise
    wrong = solution("np.abs(x)")
    top_level = cell("### BEGIN SOLUTION\nscale = 2\n### END SOLUTION", "top-level",
                     nbgrader={"grade_id": "scale"}, backprop_course={NO_CHECK: "a constant"})
    stops = solution(extra=[top_level, cell("print(scale)", "use-scale", ["2\n"])])
    write(wrong, tmp_path / "solutions" / "01_wrong.ipynb")
    write(stops, tmp_path / "solutions" / "02_stops.ipynb")
    build(tmp_path / "solutions", tmp_path / "lessons")
    assert run("check", "--fast", "--root", tmp_path) == 0
    capsys.readouterr()
    assert run("check", "--run", "--jobs", "2", "--root", tmp_path) == 1
    out = capsys.readouterr().out
    assert "each in a fresh kernel, 2 at a time" in out
    assert out.index("ran " + str(tmp_path / "solutions" / "02_stops.ipynb")) < out.index(
        "ran " + str(tmp_path / "lessons" / "01_wrong.ipynb"))           # reported in order
    assert "check: 2 problem(s) found:" in out
    wrong_path = tmp_path / "solutions" / "01_wrong.ipynb"
    assert f"{wrong_path}, cell 2: the check of 'relu' printed a '✘' verdict" in out
    assert (f"{tmp_path / 'lessons' / '02_stops.ipynb'}: the lesson, with its exercises unfinished, does "
            f"not run to the end: cell 4 raised NotImplementedError" in out)


def test_check_jobs_must_be_a_positive_whole_number(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run("check", "--run", "--jobs", "0", "--root", tmp_path)
    assert "argument --jobs: expected a whole number of at least 1, got '0'" in capsys.readouterr().err


def test_execute_reports_a_timeout_and_a_dead_kernel_and_leaves_the_file_alone(tmp_path):
    sleepy = write(v4.new_notebook(cells=[cell("import time\ntime.sleep(60)", "a")]),
                   tmp_path / "sleepy.ipynb")
    before = sleepy.read_bytes()
    _, error = execute(sleepy, timeout=2)
    assert error == "a cell ran longer than the 2 s allowed per cell"
    assert sleepy.read_bytes() == before
    crash = write(v4.new_notebook(cells=[cell("import os\nos._exit(1)", "a")]), tmp_path / "crash.ipynb")
    _, error = execute(crash, timeout=20)
    assert error.startswith("the kernel died")


def test_execute_without_nbclient_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)
    path = write(v4.new_notebook(cells=[cell("x = 1", "a")]), tmp_path / "a.ipynb")
    nb, error = execute(path)
    assert error == ("it cannot be run here: nbclient is not installed (it comes with "
                     "`pip install -r requirements.txt`)")
    assert nb.cells[0].source == "x = 1"


def test_execute_switches_progress_off_in_the_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_PROGRESS", "on")
    monkeypatch.setenv("MPLBACKEND", "Agg")     # not passed on: the kernel draws inline, as in JupyterLab
    probe = cell("import os\nprint(os.environ.get('BACKPROP_PROGRESS'), os.environ.get('MPLBACKEND'))", "a")
    nb, error = execute(write(v4.new_notebook(cells=[probe]), tmp_path / "probe.ipynb"), timeout=30)
    assert error is None
    assert nb.cells[0].outputs[0]["text"] == "off module://matplotlib_inline.backend_inline\n"


# --------------------------------------------------------------------------- grade

def test_grade_is_a_command():
    with pytest.raises(SystemExit) as exit_info:
        run("grade", "--help")
    assert exit_info.value.code == 0


def test_grade_reads_the_solutions_under_root(monkeypatch, tmp_path):
    seen = {}

    def add_grade_command(subparsers):
        parser = subparsers.add_parser("grade")
        parser.add_argument("--solutions", default=None)
        parser.set_defaults(func=lambda args: seen.setdefault("solutions", args.solutions) and 0)
    monkeypatch.setattr(cli, "add_grade_command", add_grade_command)
    assert run("--root", tmp_path, "grade") == 0 and seen["solutions"] == str(tmp_path / "solutions")
    seen.clear()
    assert run("--root", tmp_path, "grade", "--solutions", "mine") == 0 and seen["solutions"] == "mine"


# --------------------------------------------------------------------------- execute

def test_execute_command_saves_outputs_and_changes_nothing_else(tmp_path, capsys):
    nb = v4.new_notebook(cells=[cell("print(6 * 7)", "a"), cell("x = 1", "b", collapsed=True)])
    nb.metadata["language_info"] = {"name": "python"}
    path = write(nb, tmp_path / "solutions" / "01_x.ipynb")
    assert run("execute", path) == 0
    assert f"executed and saved {path} (" in capsys.readouterr().out
    saved = read_notebook(path)
    assert saved.cells[0].outputs[0]["text"] == "42\n" and saved.cells[0].execution_count == 1
    record = saved.metadata.pop("backprop_course")                         # the code it ran
    assert list(record) == ["executed_code"] and len(record["executed_code"]) == 2
    assert saved.metadata == {"language_info": {"name": "python"}}          # no widget state, no version
    assert saved.cells[1].metadata == {"collapsed": True}                  # no timings
    saved.metadata["backprop_course"] = record
    assert path.read_bytes() == notebook_bytes(saved)


def test_execute_command_leaves_a_failing_notebook_unchanged(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    good = write(v4.new_notebook(cells=[cell("y = 2", "a")]), tmp_path / "solutions" / "01_good.ipynb")
    bad = write(v4.new_notebook(cells=[cell("print('start')", "a"), cell("1 / 0", "b")]),
                tmp_path / "solutions" / "02_bad.ipynb")
    before = bad.read_bytes()
    assert run("execute", "--root", tmp_path) == 1                         # every solution by default
    captured = capsys.readouterr()
    assert f"executed and saved {good}" in captured.out
    assert (f"execute: {bad} was left unchanged: cell 1 raised ZeroDivisionError: division by zero"
            in captured.err)
    assert bad.read_bytes() == before
    assert run("execute", tmp_path / "nowhere.ipynb") == 1
    assert "nowhere.ipynb is not a file" in capsys.readouterr().err


# --------------------------------------------------------------------------- doctor

def test_doctor_command_reports_and_sets_the_exit_status(monkeypatch, capsys):
    from backprop_helpers.course import doctor
    fine = [doctor.DoctorResult(name, True, "fine") for name in ("Python", "numpy")]
    monkeypatch.setattr(doctor, "_checks", lambda: [(r.name, lambda r=r: r) for r in fine])
    assert run("doctor") == 0
    assert "ready for the course" in capsys.readouterr().out
    broken = doctor.DoctorResult("numpy", False, "1.0 (supported: >=1.26,<3)", "upgrade numpy")
    monkeypatch.setattr(doctor, "_checks", lambda: [("Python", lambda: fine[0]), ("numpy", lambda: broken)])
    assert run("doctor") == 1
    out = capsys.readouterr().out
    assert "numpy: upgrade numpy" in out and "ready for the course" not in out
