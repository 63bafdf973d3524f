"""Tests of the lesson generator (backprop_helpers.course) and its command line (__main__)."""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbformat import v4

from backprop_helpers.course import generate as course
from backprop_helpers.course.cli import main
from backprop_helpers.course import (
    EditedLessonsError,
    Exercise,
    build,
    cell_fingerprints,
    lesson_edits,
    build_lesson,
    exercises,
    grade_id_problems,
    lessons_in_sync,
    notebook_bytes,
    read_notebook,
    solution_leaks,
)

ROOT = Path(__file__).resolve().parent.parent

FORWARD = '''\
import numpy as np


def linear_forward(X, W, b):
    """out = X @ W + b"""
    ### BEGIN SOLUTION
    out = X @ W + b
    cache = (X, W, b)
    ### END SOLUTION
    return out, cache'''

CHECK = '''\
check_linear_forward(linear_forward)
### BEGIN HIDDEN TESTS
assert linear_forward(np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))[0][0, 0] == 1.0
### END HIDDEN TESTS'''


def code(source, cell_id=None, **metadata):
    cell = v4.new_code_cell(source, metadata=metadata)
    if cell_id:
        cell.id = cell_id
    return cell


def markdown(source, cell_id=None, **metadata):
    cell = v4.new_markdown_cell(source, metadata=metadata)
    if cell_id:
        cell.id = cell_id
    return cell


def solution_notebook():
    """A small solution notebook as an instructor would commit it: executed, with widget state."""
    nb = v4.new_notebook()
    nb.metadata.update({"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    exercise = code(FORWARD, "forward-cell", tags=["exercise"], collapsed=False, scrolled=True,
                    execution={"iopub.execute_input": "2024-01-01T00:00:00Z"}, ExecuteTime={"end_time": "x"})
    exercise.outputs = [v4.new_output("stream", text="done\n")]
    exercise.execution_count = 4
    check = code(CHECK, "check-cell")
    check.outputs = [v4.new_output("stream", text="✔ linear_forward: correct on all 4 cases.\n"),
                     v4.new_output("execute_result", data={"text/plain": "True"}, execution_count=5)]
    check.execution_count = 5
    nb.cells = [markdown("# Linear layer\n\nThe forward pass.", "intro"), exercise, check,
                markdown("Why is the loss a mean?\n\n### BEGIN SOLUTION\nSo that the step size does not "
                         "depend on the batch size.\n### END SOLUTION", "why-mean",
                         nbgrader={"grade_id": "why_mean", "points": 1},
                         backprop_course={"no_check": "a free-text answer, graded by hand"})]
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(notebook_bytes(nb))
    return path


@pytest.fixture
def repo(tmp_path):
    """A repository with two solution notebooks and no lessons yet."""
    write(solution_notebook(), tmp_path / "solutions" / "01_linear.ipynb")
    second = v4.new_notebook()
    second.cells = [code("def relu(x):\n    ### BEGIN SOLUTION\n    out = np.maximum(0, x)\n"
                         "    ### END SOLUTION\n    return out", "relu"),
                    code("relu = check_relu(relu)", "check")]
    second.cells[1].outputs = [v4.new_output("stream", text="✔ relu: correct on all 4 cases.\n")]
    write(second, tmp_path / "solutions" / "02_relu.ipynb")
    return tmp_path


# --------------------------------------------------------------------------- build_lesson

def test_solution_block_becomes_placeholder_at_the_marker_indentation():
    lesson = build_lesson(solution_notebook())
    assert lesson.cells[1].source == (
        'import numpy as np\n\n\ndef linear_forward(X, W, b):\n    """out = X @ W + b"""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()\n    return out, cache")


def test_several_blocks_in_one_cell_each_replaced():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    ### END SOLUTION\n    return y\n\n"
              "def g(x):\n\tif x:\n\t\t### BEGIN SOLUTION\n\t\treturn 2 * x\n\t\t### END SOLUTION\n"
              "### BEGIN SOLUTION\nTOP = 3\n### END SOLUTION\n")
    nb = v4.new_notebook(cells=[code(source, "c")])
    assert build_lesson(nb).cells[0].source == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return y\n\n"
        "def g(x):\n\tif x:\n\t\t# YOUR CODE HERE\n\t\traise NotImplementedError()\n"
        "# YOUR CODE HERE\nraise NotImplementedError()\n")


def test_markdown_answer_becomes_your_answer_here():
    lesson = build_lesson(solution_notebook())
    assert lesson.cells[3].source == "Why is the loss a mean?\n\nYOUR ANSWER HERE"
    assert lesson.cells[3].cell_type == "markdown"


def test_hidden_tests_are_removed_with_their_markers():
    lesson = build_lesson(solution_notebook())
    assert lesson.cells[2].source == "check_linear_forward(linear_forward)"
    assert "HIDDEN" not in notebook_bytes(lesson).decode()


def test_cell_holding_only_hidden_tests_is_dropped_but_empty_cells_are_kept():
    nb = v4.new_notebook(cells=[code("x = 1", "a"), code("### BEGIN HIDDEN TESTS\nassert x == 1\n"
                                                         "### END HIDDEN TESTS", "b"), code("", "c")])
    assert [c.id for c in build_lesson(nb).cells] == ["a", "c"]


def test_outputs_counts_widget_state_and_metadata_noise_are_cleared():
    lesson = build_lesson(solution_notebook())
    for cell in lesson.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in lesson.metadata
    assert lesson.metadata.kernelspec.name == "python3"
    meta = lesson.cells[1].metadata
    assert meta["tags"] == ["exercise"]
    for noise in ("collapsed", "scrolled", "execution", "ExecuteTime"):
        assert noise not in meta


def test_jupyter_metadata_keeps_source_hidden_and_drops_outputs_hidden():
    nb = v4.new_notebook(cells=[code("x = 1", "a", jupyter={"source_hidden": True, "outputs_hidden": True}),
                                code("y = 2", "b", jupyter={"outputs_hidden": False})])
    lesson = build_lesson(nb)
    assert lesson.cells[0].metadata == {"jupyter": {"source_hidden": True}}
    assert lesson.cells[1].metadata == {}


def test_solution_notebook_is_left_unchanged():
    nb = solution_notebook()
    before = copy.deepcopy(nb)
    build_lesson(nb)
    assert nb == before


def test_cell_ids_are_the_solution_ids():
    lesson = build_lesson(solution_notebook())
    assert [c.id for c in lesson.cells] == ["intro", "forward-cell", "check-cell", "why-mean"]


def test_notebook_without_cell_ids_gets_stable_ones(tmp_path):
    nb = solution_notebook()
    data = json.loads(notebook_bytes(nb))
    data["nbformat_minor"] = 4
    for cell in data["cells"]:
        del cell["id"]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(data))
    first = notebook_bytes(build_lesson(read_notebook(path)))
    assert first == notebook_bytes(build_lesson(read_notebook(path)))
    lesson = nbformat.reads(first, as_version=4)
    nbformat.validate(lesson)
    assert lesson.nbformat_minor == 5
    assert [c.id for c in lesson.cells] == ["cell-0", "cell-1", "cell-2", "cell-3"]


def test_repeated_cell_ids_are_made_unique_deterministically():
    nb = v4.new_notebook()  # not new_notebook(cells=...): it would repair the repeated id at random
    nb.cells = [code("a = 1", "same"), code("b = 2", "same"), code("c = 3", "same-1")]
    lesson = build_lesson(nb)
    assert [c.id for c in lesson.cells] == ["same", "same-1", "same-1-2"]
    assert notebook_bytes(lesson) == notebook_bytes(build_lesson(nb))


def test_solution_cells_get_nbgrader_metadata():
    lesson = build_lesson(solution_notebook())
    assert lesson.cells[1].metadata["nbgrader"] == {
        "grade": False, "grade_id": "linear_forward", "locked": False, "schema_version": 3, "solution": True}
    assert lesson.cells[3].metadata["nbgrader"] == {
        "grade": False, "grade_id": "why_mean", "locked": False, "points": 1, "schema_version": 3,
        "solution": True}
    assert "nbgrader" not in lesson.cells[2].metadata


def test_lesson_is_a_valid_notebook():
    nbformat.validate(build_lesson(solution_notebook()))


def test_building_a_lesson_again_changes_nothing():
    lesson = build_lesson(solution_notebook())
    assert notebook_bytes(build_lesson(lesson)) == notebook_bytes(lesson)


def test_non_notebook_is_refused_with_its_type():
    with pytest.raises(TypeError, match=r"build_lesson: nb must be a notebook .* got an object of type str"):
        build_lesson("solutions/01.ipynb")


# --------------------------------------------------------------------------- grade ids

def test_grade_id_comes_from_metadata_then_def_then_cell_id():
    nb = v4.new_notebook(cells=[
        code("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION", "a",
             nbgrader={"grade_id": "chosen", "points": 2.5}),
        code("async def fetch():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "b"),
        code("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\ndef later(): pass", "c"),
        code("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "d"),
        markdown("### BEGIN SOLUTION\nan answer\n### END SOLUTION", "e"),
    ])
    assert exercises(nb) == [Exercise("chosen", 0, 2.5), Exercise("fetch", 1, None),
                             Exercise("later", 2, None), Exercise("d", 3, None), Exercise("e", 4, None)]


def test_derived_grade_ids_are_made_unique_in_notebook_order():
    cell = "def forward(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    nb = v4.new_notebook(cells=[code(cell, "a"), code(cell, "b"),
                                code(cell, "c", nbgrader={"grade_id": "forward"})])
    assert [e.grade_id for e in exercises(nb)] == ["forward_2", "forward_3", "forward"]


def test_duplicate_grade_id_in_metadata_is_an_error():
    cell = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"
    nb = v4.new_notebook(cells=[code(cell, "a", nbgrader={"grade_id": "same"}), code("y = 2", "b"),
                                code(cell, "c", nbgrader={"grade_id": "same"})])
    with pytest.raises(ValueError, match=r"build_lesson: 03\.ipynb, cell 2: grade_id 'same' is already "
                                         r"used by cell 0"):
        build_lesson(nb, name="03.ipynb")


def test_exercises_of_a_lesson_match_those_of_its_solution():
    nb = solution_notebook()
    assert exercises(build_lesson(nb)) == exercises(nb) == [Exercise("linear_forward", 1, None),
                                                             Exercise("why_mean", 3, 1)]


def test_grade_id_problems_names_cells_without_a_readable_grade_id(repo):
    nb = v4.new_notebook(cells=[code("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "anon")])
    write(nb, repo / "solutions" / "03_anon.ipynb")
    problems = grade_id_problems(repo / "solutions")
    assert len(problems) == 1
    assert "03_anon.ipynb, cell 0: this exercise has no grade_id" in problems[0]


# --------------------------------------------------------------------------- marker errors

@pytest.mark.parametrize("source, message", [
    ("x = 1\n### BEGIN SOLUTION\ny = 2", r"cell 1, line 2: '### BEGIN SOLUTION' is never closed"),
    ("x = 1\ny = 2\n    ### END SOLUTION", r"cell 1, line 3: '### END SOLUTION' has no '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION",
     r"cell 1, line 2: '### BEGIN SOLUTION' inside the '### BEGIN SOLUTION' block opened on line 1; "
     r"blocks cannot be nested"),
    ("### BEGIN SOLUTION\nx\n### BEGIN HIDDEN TESTS\n", r"cell 1, line 3: '### BEGIN HIDDEN TESTS' inside"),
    ("### BEGIN HIDDEN TESTS\nx\n### END SOLUTION", r"cell 1, line 3: '### END SOLUTION' cannot close the "
                                                    r"'### BEGIN HIDDEN TESTS' block opened on line 1"),
    ("## BEGIN SOLUTION\nx\n## END SOLUTION", r"cell 1, line 1: '## BEGIN SOLUTION' looks like a marker"),
    ("### begin solution\nx", r"cell 1, line 1: '### begin solution' looks like a marker"),
    ("### BEGIN SOLUTION  # part 1\nx\n### END SOLUTION", r"cell 1, line 1: .* looks like a marker"),
])
def test_bad_markers_are_refused_naming_notebook_cell_and_line(source, message):
    nb = v4.new_notebook(cells=[code("ok = True", "a"), code(source, "b")])
    with pytest.raises(ValueError, match=r"^build_lesson: solutions/05_x\.ipynb, " + message):
        build_lesson(nb, name="solutions/05_x.ipynb")


def test_markers_mentioned_in_prose_are_not_markers():
    text = "Answers sit between `### BEGIN SOLUTION` and `### END SOLUTION`."
    nb = v4.new_notebook(cells=[markdown(text, "a"), code("print('### BEGIN SOLUTION')", "b")])
    lesson = build_lesson(nb)
    assert [c.source for c in lesson.cells] == [text, "print('### BEGIN SOLUTION')"]


# --------------------------------------------------------------------------- property: blocks

_plain = st.text(st.sampled_from("abcxyz0129 =+()."), min_size=0, max_size=12)
_indent = st.sampled_from(["", "    ", "        ", "\t"])
_segment = st.one_of(
    st.tuples(st.just("text"), _indent, st.lists(_plain, min_size=1, max_size=3)),
    st.tuples(st.sampled_from(["SOLUTION", "HIDDEN TESTS"]), _indent, st.lists(_plain, max_size=3)))


@given(st.lists(_segment, min_size=1, max_size=6))
def test_generated_source_is_the_text_with_blocks_replaced_or_removed(segments):
    source, expected = [], []
    for kind, indent, lines in segments:
        body = [f"{indent}{line}" for line in lines]
        if kind == "text":
            source += body
            expected += body
        else:
            source += [f"{indent}### BEGIN {kind}", *body, f"{indent}### END {kind}"]
            if kind == "SOLUTION":
                expected += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
    want = "\n".join(expected)
    if not "\n".join(source).endswith("\n"):
        want = want.rstrip("\n")  # a removed block at the end leaves no dangling newline
    nb = v4.new_notebook(cells=[code("\n".join(source), "cell")])
    cells = build_lesson(nb).cells
    if not want.strip() and any(kind == "HIDDEN TESTS" for kind, _, _ in segments):
        assert cells == []
    else:
        assert cells[0].source == want


# --------------------------------------------------------------------------- build

def test_build_writes_every_lesson_in_jupyter_layout(repo):
    written = build(repo / "solutions", repo / "lessons").written
    assert written == [repo / "lessons" / "01_linear.ipynb", repo / "lessons" / "02_relu.ipynb"]
    text = written[0].read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n "cells": [\n  {\n   "cell_type"')
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"
    assert b"\r\n" not in written[0].read_bytes()


def test_build_twice_gives_identical_bytes_and_rewrites_nothing(repo):
    build(repo / "solutions", repo / "lessons")
    first = {p.name: p.read_bytes() for p in (repo / "lessons").iterdir()}
    assert build(repo / "solutions", repo / "lessons") == ([], {})
    (repo / "lessons" / "01_linear.ipynb").unlink()
    assert build(repo / "solutions", repo / "lessons").written == [repo / "lessons" / "01_linear.ipynb"]
    assert {p.name: p.read_bytes() for p in (repo / "lessons").iterdir()} == first


def test_build_writes_nothing_when_one_solution_is_broken(repo):
    bad = v4.new_notebook(cells=[code("### BEGIN SOLUTION\nx = 1", "bad")])
    write(bad, repo / "solutions" / "00_broken.ipynb")
    with pytest.raises(ValueError, match=r"00_broken\.ipynb, cell 0, line 1: '### BEGIN SOLUTION' is never"):
        build(repo / "solutions", repo / "lessons")
    assert not (repo / "lessons").exists()


def test_build_refuses_a_missing_solutions_folder_and_the_same_folder_twice(tmp_path):
    with pytest.raises(ValueError, match=r"build: solutions_dir '.*nowhere' is not a folder"):
        build(tmp_path / "nowhere", tmp_path / "lessons")
    (tmp_path / "solutions").mkdir()
    with pytest.raises(ValueError, match=r"build: lessons_dir and solutions_dir are the same folder"):
        build(tmp_path / "solutions", tmp_path / "solutions")


# --------------------------------------------------------------------------- build: edited lessons

def edit_lesson(path, change):
    """Open a lesson as Jupyter would, let ``change(nb)`` edit it, save it in Jupyter's layout."""
    nb = read_notebook(path)
    change(nb)
    write(nb, path)
    return path.read_bytes()


def learner_answer(nb):
    nb.cells[0].source = nb.cells[0].source.replace("raise NotImplementedError()", "return abs(x)  # mine")


def change_solution(repo):
    solution = read_notebook(repo / "solutions" / "01_linear.ipynb")
    solution.cells[0].source += "\n\nA new paragraph."
    write(solution, repo / "solutions" / "01_linear.ipynb")


def test_every_lesson_records_the_cells_it_was_generated_with():
    lesson = build_lesson(solution_notebook())
    record = lesson.metadata["backprop_course"]["generated_cells"]
    assert record == cell_fingerprints(lesson)
    assert [entry.split(":")[0] for entry in record] == ["intro", "forward-cell", "check-cell", "why-mean"]
    assert all(len(entry.split(":")[1]) == 12 for entry in record)


def test_fingerprints_ignore_what_running_adds_but_not_what_a_person_writes():
    lesson = build_lesson(solution_notebook())
    before = cell_fingerprints(lesson)
    ran = copy.deepcopy(lesson)
    ran.cells[1].outputs = [v4.new_output("stream", text="hello\n")]
    ran.cells[1].execution_count = 3
    ran.cells[1].metadata.update(collapsed=True, scrolled=False, tags=["mine"], execution={"x": 1})
    ran.metadata["language_info"] = {"name": "python", "version": "3.12.1"}
    assert cell_fingerprints(ran) == before
    for change in (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source + " "),
                   lambda nb: nb.cells[3].metadata["nbgrader"].update(points=5),
                   lambda nb: setattr(nb.cells[0], "cell_type", "raw")):
        edited = copy.deepcopy(lesson)
        change(edited)
        assert cell_fingerprints(edited) != before


@given(st.lists(st.text(max_size=20), min_size=1, max_size=5), st.data())
def test_a_fingerprint_changes_exactly_when_a_source_changes(sources, data):
    nb = v4.new_notebook()
    nb.cells = [code(text, f"c{i}") for i, text in enumerate(sources)]
    i = data.draw(st.integers(0, len(sources) - 1))
    new_text = data.draw(st.text(max_size=20))
    edited = copy.deepcopy(nb)
    edited.cells[i].source = new_text
    same = [a == b for a, b in zip(cell_fingerprints(nb), cell_fingerprints(edited))]
    assert same == [j != i or new_text == sources[i] for j in range(len(sources))]


def test_build_refuses_to_overwrite_an_edited_lesson_and_writes_nothing(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    edited = edit_lesson(lesson, learner_answer)
    change_solution(repo)
    first = (repo / "lessons" / "01_linear.ipynb").read_bytes()
    with pytest.raises(EditedLessonsError, match=r"build: 1 lesson\(s\) were edited since build generated "
                                                 r"them.*02_relu\.ipynb \(cell 0 changed\).*Nothing was "
                                                 r"written.*build --force.*\.backup") as info:
        build(repo / "solutions", repo / "lessons")
    assert info.value.edits == {lesson: "cell 0 changed"}
    assert lesson.read_bytes() == edited
    assert (repo / "lessons" / "01_linear.ipynb").read_bytes() == first   # nothing at all was written
    assert not (repo / "lessons" / ".backup").exists()


def test_build_force_keeps_a_timestamped_copy_git_ignores(repo, monkeypatch):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    edited = edit_lesson(lesson, learner_answer)
    result = build(repo / "solutions", repo / "lessons", force=True)
    [(original, kept)] = result.backups.items()
    assert original == lesson and result.written == [lesson]
    assert kept.parent == repo / "lessons" / ".backup" and kept.read_bytes() == edited
    assert re.fullmatch(r"02_relu\.\d{8}-\d{6}\.ipynb", kept.name)
    assert lessons_in_sync(repo / "solutions", repo / "lessons") == []
    assert (kept.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    assert course.notebook_paths(repo / "lessons") == [repo / "lessons" / "01_linear.ipynb", lesson]
    monkeypatch.setattr(course.time, "strftime", lambda fmt: "20250101-120000")
    for _ in range(2):
        edit_lesson(lesson, learner_answer)
        build(repo / "solutions", repo / "lessons", force=True)
    assert sorted(p.name for p in kept.parent.glob("*.ipynb") if "2025" in p.name) == [
        "02_relu.20250101-120000-2.ipynb", "02_relu.20250101-120000.ipynb"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_does_not_see_the_backups(repo):
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    build(repo / "solutions", repo / "lessons")
    edit_lesson(repo / "lessons" / "02_relu.ipynb", learner_answer)
    build(repo / "solutions", repo / "lessons", force=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert "lessons/02_relu.ipynb" in status and ".backup" not in status


def test_running_a_lesson_or_changing_its_viewer_metadata_is_not_an_edit(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "01_linear.ipynb"

    def run_it(nb):
        nb.cells[1].outputs = [v4.new_output("stream", text="ran\n")]
        nb.cells[1].execution_count = 1
        nb.cells[1].metadata["scrolled"] = True
        nb.metadata["language_info"] = {"name": "python"}
    edit_lesson(lesson, run_it)
    change_solution(repo)
    result = build(repo / "solutions", repo / "lessons")
    assert result.written == [lesson] and result.backups == {}


def test_a_lesson_already_matching_the_new_build_is_not_an_edit(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "01_linear.ipynb"
    change_solution(repo)
    edit_lesson(lesson, lambda nb: setattr(nb.cells[0], "source",
                                           nb.cells[0].source + "\n\nA new paragraph."))
    assert build(repo / "solutions", repo / "lessons").backups == {}


@pytest.mark.parametrize("change, description", [
    (learner_answer, "cell 0 changed"),
    (lambda nb: nb.cells.insert(1, code("print('scratch')", "scratch")), "cell 1 added"),
    (lambda nb: nb.cells.pop(1), "1 cell(s) removed"),
    (lambda nb: nb.cells.reverse(), "its cells were put in another order"),
    (lambda nb: (learner_answer(nb), nb.cells.append(code("x = 1", "extra")),
                 nb.cells.append(code("y = 2", "extra2"))), "cell 0 changed, cells 2, 3 added"),
])
def test_the_refusal_says_what_changed(repo, change, description):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    edit_lesson(lesson, change)
    other_build = (repo / "lessons" / "01_linear.ipynb").read_bytes()   # as if the solution had changed
    assert lesson_edits(lesson, other_build) == description


def test_a_lesson_without_a_record_or_unreadable_counts_as_edited(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    fresh = lesson.read_bytes()
    edit_lesson(lesson, lambda nb: nb.metadata.pop("backprop_course"))
    assert lesson_edits(lesson, fresh) is None            # same cells as the build: nothing to lose
    edit_lesson(lesson, learner_answer)
    assert lesson_edits(lesson, fresh) == ("it holds no record of its build (written by hand or by an "
                                           "older build)")
    lesson.write_text("{ half a notebook")
    assert lesson_edits(lesson, fresh).startswith("it is not a readable notebook (read_notebook:")
    with pytest.raises(EditedLessonsError, match="02_relu.ipynb \\(it is not a readable notebook"):
        build(repo / "solutions", repo / "lessons")
    assert build(repo / "solutions", repo / "lessons", force=True).backups[lesson].read_text() == \
        "{ half a notebook"


# --------------------------------------------------------------------------- lessons_in_sync

def test_fresh_build_is_in_sync(repo):
    assert lessons_in_sync(repo / "solutions", repo / "lessons") == [
        f"{repo / 'lessons' / name} is missing: run `python -m backprop_helpers build`"
        for name in ("01_linear.ipynb", "02_relu.ipynb")]
    build(repo / "solutions", repo / "lessons")
    assert lessons_in_sync(repo / "solutions", repo / "lessons") == []


def test_edited_lesson_is_reported_with_file_cell_and_line(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "01_linear.ipynb"
    nb = read_notebook(lesson)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError()", "out = X @ W + b")
    write(nb, lesson)
    problems = lessons_in_sync(repo / "solutions", repo / "lessons")
    assert len(problems) == 1
    solution = repo / "solutions" / "01_linear.ipynb"
    assert problems[0].startswith(f"{lesson} differs from a fresh build of {solution}: cell 1, line 7: "
                                  f"the build has '    raise NotImplementedError()', the "
                                  f"lesson has '    out = X @ W + b'")


def test_lesson_saved_with_outputs_is_reported(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    nb = read_notebook(lesson)
    nb.cells[0].execution_count = 1
    write(nb, lesson)
    [problem] = lessons_in_sync(repo / "solutions", repo / "lessons")
    assert "02_relu.ipynb" in problem
    assert "cell 0 has outputs or an execution count (lessons are committed without outputs)" in problem


def test_lesson_in_another_layout_or_with_other_metadata_is_reported(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    lesson.write_text(json.dumps(json.loads(lesson.read_text()), indent=2))
    [problem] = lessons_in_sync(repo / "solutions", repo / "lessons")
    assert "02_relu.ipynb" in problem and "the notebook metadata or the file's layout differs" in problem
    nb = read_notebook(lesson)
    nb.cells[0].metadata["tags"] = ["mine"]
    write(nb, lesson)
    [problem] = lessons_in_sync(repo / "solutions", repo / "lessons")
    assert "cell 0: its metadata differs" in problem


def test_extra_lesson_and_broken_solution_are_reported(repo):
    build(repo / "solutions", repo / "lessons")
    write(v4.new_notebook(), repo / "lessons" / "99_orphan.ipynb")
    (repo / "solutions" / "02_relu.ipynb").write_text("{not json")
    problems = lessons_in_sync(repo / "solutions", repo / "lessons")
    assert any("02_relu.ipynb is not valid notebook JSON" in p for p in problems)
    orphan = repo / "lessons" / "99_orphan.ipynb"
    assert any(p.startswith(f"{orphan} has no solution notebook") for p in problems)


# --------------------------------------------------------------------------- solution_leaks

def test_no_leaks_in_a_fresh_build(repo):
    build(repo / "solutions", repo / "lessons")
    assert solution_leaks(repo / "solutions", repo / "lessons") == []


def test_solution_line_copied_into_a_lesson_is_reported(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "01_linear.ipynb"
    nb = read_notebook(lesson)
    nb.cells[2].source += "\n    cache = (X, W, b)   "
    write(nb, lesson)
    assert solution_leaks(repo / "solutions", repo / "lessons") == [
        f"{lesson}, cell 2: leaks 'cache = (X, W, b)' from a solution or hidden-test block of "
        f"{repo / 'solutions' / '01_linear.ipynb'} (cell 1)"]


def test_hidden_test_and_markdown_answer_lines_count_as_leaks(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "01_linear.ipynb"
    nb = read_notebook(lesson)
    hidden_line = CHECK.splitlines()[2]
    nb.cells[0].source += (f"\n{hidden_line}\nSo that the step size does not depend on the batch size.")
    write(nb, lesson)
    problems = solution_leaks(repo / "solutions", repo / "lessons")
    assert [p.split(": leaks ")[0] for p in problems] == [f"{lesson}, cell 0"] * 2
    assert "(cell 2)" in problems[0] and "(cell 3)" in problems[1]


def test_short_comment_and_public_lines_are_not_leaks(tmp_path):
    nb = v4.new_notebook(cells=[
        code("result = compute(x)\n# a comment line here", "a"),
        code("def f(x):\n    ### BEGIN SOLUTION\n    y = 2\n    # a comment line here\n"
             "    result = compute(x)\n    return secret_value(y)\n    ### END SOLUTION", "b")])
    write(nb, tmp_path / "solutions" / "n.ipynb")
    build(tmp_path / "solutions", tmp_path / "lessons")
    lesson = tmp_path / "lessons" / "n.ipynb"
    nb = read_notebook(lesson)
    nb.cells[1].source += "\n    y = 2\n    # a comment line here\n    result = compute(x)"
    write(nb, lesson)
    assert solution_leaks(tmp_path / "solutions", tmp_path / "lessons") == []
    nb.cells[1].source += "\n    return secret_value(y)"
    write(nb, lesson)
    [problem] = solution_leaks(tmp_path / "solutions", tmp_path / "lessons")
    assert "n.ipynb, cell 1: leaks 'return secret_value(y)'" in problem


def test_leak_from_another_notebook_is_reported_unless_shown_openly_there(repo):
    build(repo / "solutions", repo / "lessons")
    lesson = repo / "lessons" / "02_relu.ipynb"
    nb = read_notebook(lesson)
    nb.cells.append(code("out = X @ W + b", "extra"))
    write(nb, lesson)
    [problem] = solution_leaks(repo / "solutions", repo / "lessons")
    assert problem.startswith(f"{lesson}, cell 2: leaks 'out = X @ W + b'")
    assert problem.endswith("01_linear.ipynb (cell 1)")
    solution = read_notebook(repo / "solutions" / "02_relu.ipynb")
    solution.cells.append(code("out = X @ W + b", "extra"))
    write(solution, repo / "solutions" / "02_relu.ipynb")
    assert solution_leaks(repo / "solutions", repo / "lessons") == []


# --------------------------------------------------------------------------- command line

def run(*argv):
    return main([str(a) for a in argv])


def test_cli_build_then_check_passes(repo, capsys):
    assert run("build", "--root", repo) == 0
    out = capsys.readouterr().out
    assert f"wrote {repo / 'lessons' / '01_linear.ipynb'}" in out and "2 lesson(s) written" in out
    assert run("--root", repo, "check") == 0
    assert "all checks passed" in capsys.readouterr().out
    assert run("build", "--force", "--root", repo) == 0
    assert "0 lesson(s) written, 2 already up to date" in capsys.readouterr().out


def test_cli_build_refuses_an_edited_lesson_then_force_keeps_a_copy(repo, capsys):
    run("build", "--root", repo)
    lesson = repo / "lessons" / "02_relu.ipynb"
    edit_lesson(lesson, learner_answer)
    capsys.readouterr()
    assert run("build", "--root", repo) == 1
    err = capsys.readouterr().err
    assert "build: nothing was written: 1 lesson(s) were edited since build generated them" in err
    assert f"  - {lesson}: cell 0 changed" in err
    assert f"run build --force: it keeps a copy of each in {repo / 'lessons' / '.backup'}/" in err
    assert run("build", "--force", "--root", repo) == 0
    out = capsys.readouterr().out
    [kept] = (repo / "lessons" / ".backup").glob("02_relu.*.ipynb")
    assert f"kept a copy of the edited {lesson} as {kept}" in out and f"wrote {lesson}" in out


def test_cli_check_fails_on_an_edited_lesson_naming_it(repo, capsys):
    run("build", "--root", repo)
    lesson = repo / "lessons" / "01_linear.ipynb"
    nb = read_notebook(lesson)
    nb.cells[1].source += "\n    cache = (X, W, b)"
    write(nb, lesson)
    capsys.readouterr()
    assert run("check", "--root", repo) == 1
    out = capsys.readouterr().out
    assert "check: 2 problem(s) found:" in out
    assert f"{lesson} differs from a fresh build" in out
    assert f"{lesson}, cell 1: leaks 'cache = (X, W, b)'" in out
    assert "all checks passed" not in out


def test_cli_check_reports_missing_lessons_and_grade_ids(repo, capsys):
    write(v4.new_notebook(cells=[code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "anon")]),
          repo / "solutions" / "03_anon.ipynb")
    assert run("check", "--root", repo) == 1
    out = capsys.readouterr().out
    assert "check: 6 problem(s) found:" in out
    assert "03_anon.ipynb, cell 0: this exercise has no grade_id" in out
    assert "03_anon.ipynb, cell 0: the exercise 'anon' has no check" in out
    assert "03_anon.ipynb has no outputs: solutions are committed executed" in out
    assert f"{repo / 'lessons' / '02_relu.ipynb'} is missing" in out


def test_cli_reports_a_broken_marker_once_and_build_writes_nothing(repo, capsys):
    write(v4.new_notebook(cells=[code("### END SOLUTION", "x")]), repo / "solutions" / "00_bad.ipynb")
    assert run("build", "--root", repo) == 1
    err = capsys.readouterr().err
    assert "build: nothing was written, because build_lesson:" in err
    assert "00_bad.ipynb, cell 0, line 1: '### END SOLUTION' has no '### BEGIN SOLUTION' above it" in err
    assert not (repo / "lessons").exists()
    assert run("check", "--root", repo) == 1
    out = capsys.readouterr().out
    assert out.count("'### END SOLUTION' has no '### BEGIN SOLUTION'") == 1


def test_cli_without_notebooks_passes_and_says_so(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    assert run("check", "--root", tmp_path) == 0
    out = capsys.readouterr().out
    assert "nothing to check" in out and "all checks passed" in out
    assert run("build", "--root", tmp_path) == 0
    assert "nothing to build" in capsys.readouterr().out


def test_cli_without_a_solutions_folder_fails_clearly(tmp_path, capsys):
    assert run("check", "--root", tmp_path) == 1
    assert "there is no folder" in capsys.readouterr().out
    assert run("build", "--root", tmp_path) == 1
    assert "run from the repository root or pass --root DIR" in capsys.readouterr().err


def test_cli_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "build" in out and "check" in out and "--root" in out
    assert run() == 2
    assert "COMMAND" in capsys.readouterr().err


def test_python_dash_m_runs_in_the_current_folder(repo):
    ok = subprocess.run([sys.executable, "-m", "backprop_helpers", "build"], cwd=repo, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    (repo / "lessons" / "02_relu.ipynb").unlink()
    bad = subprocess.run([sys.executable, "-m", "backprop_helpers", "check"], cwd=repo, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1
    assert f"{Path('lessons', '02_relu.ipynb')} is missing" in bad.stdout


# --------------------------------------------------------------------------- the real repository

def test_real_lessons_are_in_sync_with_real_solutions():
    assert lessons_in_sync(ROOT / "solutions", ROOT / "lessons") == []


def test_real_lessons_leak_no_solution():
    assert solution_leaks(ROOT / "solutions", ROOT / "lessons") == []


def test_real_exercises_all_have_a_grade_id():
    assert grade_id_problems(ROOT / "solutions") == []


def test_module_names_match_all():
    assert set(course.__all__) <= set(dir(course))
