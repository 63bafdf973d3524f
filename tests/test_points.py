"""Tests of the one rule for where an exercise's points live (``course.points``), its use by ``grade``,
``python -m backprop_helpers points [--fill]``, and that every exercise of the course carries its points."""
from __future__ import annotations

from pathlib import Path

import pytest
from nbformat import v4

from backprop_helpers.course import cli, notebook_bytes, read_notebook
from backprop_helpers.course.points import exercise_points, fill_points, missing_points
from backprop_helpers.grading.submissions import load_lessons

ROOT = Path(__file__).resolve().parent.parent


def cell(source, cell_id, **nbgrader):
    new = v4.new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {})
    new.id = cell_id
    return new


def exercise(name, cell_id, **nbgrader):
    return cell(f"def {name}(x):\n    ### BEGIN SOLUTION\n    y = x\n    ### END SOLUTION\n    return y",
                cell_id, **nbgrader)


def notebook(*cells):
    nb = v4.new_notebook()
    nb.cells = [cell("import numpy as np", "setup"), *cells]
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(notebook_bytes(nb))
    return path


def test_points_live_on_the_answer_cell_or_on_its_nbgrader_tests_cells():
    nb = notebook(exercise("relu", "a", points=2), cell("relu = check_relu(relu)", "ca"),
                  exercise("tanh", "b", points=5),
                  cell("assert ok(tanh)", "cb", grade=True, solution=False, grade_id="test_tanh", points=3),
                  cell("assert more(tanh)", "cb2", grade=True, solution=False, grade_id="test_tanh2", points=1),
                  exercise("sigmoid", "c"), cell("sigmoid = check_sigmoid(sigmoid)", "cc"))
    assert exercise_points(nb) == [("relu", 1, 2, "answer cell"), ("tanh", 3, 4, "tests cells 4, 5"),
                                   ("sigmoid", 6, 1, None)]


def test_grade_reads_the_points_by_the_same_rule(tmp_path):
    nb = notebook(exercise("relu", "a", points=2),
                  exercise("tanh", "b"), cell("assert ok(tanh)", "cb", grade=True, grade_id="t", points=3))
    write(nb, tmp_path / "01_x.ipynb")
    [lesson], problems = load_lessons(tmp_path)
    assert problems == [] and lesson.exercises == (("relu", 2), ("tanh", 3))


def test_fill_points_gives_the_missing_ones_and_changes_nothing_else(tmp_path, capsys):
    nb = notebook(exercise("relu", "a", points=2), exercise("tanh", "b"),
                  exercise("sigmoid", "c"), cell("assert ok(sigmoid)", "t", grade=True, grade_id="t", points=4))
    path = write(nb, tmp_path / "solutions" / "01_x.ipynb")
    other = write(notebook(exercise("relu", "a", points=1)), tmp_path / "solutions" / "02_y.ipynb")
    before = other.read_bytes()
    assert missing_points(tmp_path / "solutions") == [
        f"{path}, cell 2: the exercise 'tanh' carries no points (give its cell the metadata "
        f'{{"nbgrader": {{"points": N}}}}, or run `python -m backprop_helpers points --fill {path}`)']
    assert cli.main(["points", "--root", str(tmp_path)]) == 1
    assert "tanh: 1 (none set: 1 when graded (run points --fill))" in capsys.readouterr().out
    assert cli.main(["points", "--fill", str(tmp_path / "solutions")]) == 0
    assert f"wrote {path}: 1 point(s) for tanh" in capsys.readouterr().out
    assert other.read_bytes() == before                     # nothing to fill: not written
    filled = read_notebook(path)
    nb.cells[2].metadata["nbgrader"] = {"points": 1}
    assert notebook_bytes(filled) == notebook_bytes(nb)     # only that metadata changed
    assert missing_points(tmp_path / "solutions") == [] and cli.main(["points", str(path)]) == 0
    assert fill_points(path) == {}
    with pytest.raises(ValueError, match="fill_points: points must be a number > 0, got 0"):
        fill_points(path, 0)
    assert cli.main(["points", str(tmp_path / "nowhere")]) == 2


def test_every_exercise_of_every_solution_carries_its_points():
    assert missing_points(ROOT / "solutions") == []


def test_every_exercise_of_every_lesson_carries_its_points():
    assert missing_points(ROOT / "lessons") == []
