"""The lesson markers: one per lesson notebook, registered, applied to every test module that serves a
lesson, each selecting tests, and covering what each lesson's notebook imports."""
from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import (CATALOGUE, LESSONS_OF_TEST_MODULE, NO_LESSON, TESTS, lesson_marker, lessons_of)

ROOT = TESTS.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [int(nb.name[:2]) for nb in NOTEBOOKS]

#: a pytest plugin that writes, for every collected test, its lesson markers (a JSON file)
REPORTER = '''
import json, os

def pytest_collection_finish(session):
    found = {item.nodeid: sorted(m.name for m in item.iter_markers() if m.name.startswith("lesson"))
             for item in session.items}
    with open(os.environ["LESSON_MARKERS_OUT"], "w") as f:
        json.dump(found, f)
'''


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """nodeid -> lesson markers, for every test under tests/, from one collection in a subprocess."""
    where = tmp_path_factory.mktemp("markers")
    (where / "lesson_marker_report.py").write_text(REPORTER)
    out = where / "markers.json"
    env = {**os.environ, "LESSON_MARKERS_OUT": str(out),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(where), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "lesson_marker_report", "--continue-on-collection-errors", str(TESTS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text())


def test_a_marker_is_registered_for_each_lesson_notebook(pytestconfig):
    assert LESSONS == list(range(len(LESSONS))), f"lesson notebooks are not numbered 00, 01, ...: {LESSONS}"
    registered = {line.split(":")[0]: line.split(":", 1)[1].strip()
                  for line in pytestconfig.getini("markers") if line.startswith("lesson")}
    assert sorted(registered) == [lesson_marker(n) for n in LESSONS]
    for name, description in registered.items():
        assert description.startswith(f"what lesson {name[-2:]} (") and description.endswith(") relies on")


def test_every_test_module_is_mapped_or_serves_no_lesson():
    modules = sorted(p.name for p in TESTS.glob("test_*.py"))
    unmapped = [m for m in modules if not lessons_of(m) and m not in NO_LESSON]
    assert not unmapped, f"add these test modules to LESSONS_OF_TEST_MODULE or NO_LESSON: {unmapped}"
    both = [m for m in NO_LESSON if lessons_of(m)]
    assert not both, f"listed as serving no lesson, yet mapped to lessons: {both}"
    assert all(set(lessons) <= set(LESSONS) for lessons in LESSONS_OF_TEST_MODULE.values())


def test_checks_modules_are_mapped_under_their_old_and_new_names():
    for old, new, lesson in [("test_checks_forward_pass.py", "test_checks_lesson01_forward_pass.py", 1),
                             ("test_checks_loss.py", "test_checks_lesson02_loss.py", 2),
                             ("test_checks_derivatives.py", "test_checks_lesson03_derivatives.py", 3),
                             ("test_checks_backward_pass.py", "test_checks_lesson04_backward_pass.py", 4),
                             ("test_checks_network.py", "test_checks_lesson05_network.py", 5),
                             ("test_checks_gradient_descent.py", "test_checks_lesson06_gradient_descent.py", 6),
                             ("test_checks_training_loop.py", "test_checks_lesson07_training_loop.py", 7)]:
        assert lesson in lessons_of(old) and lessons_of(old) == lessons_of(new), (old, new)


def imported_objects(notebook):
    """(module, name, object) for every name a notebook imports from backprop_helpers."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backprop_helpers"):
                module = importlib.import_module(node.module)
                found += [(node.module, a.name, imported(module, a.name)) for a in node.names]
    return found


def imported(module, name):
    """What ``from module import name`` gives: an attribute, or else a submodule."""
    try:
        return getattr(module, name)
    except AttributeError:
        return importlib.import_module(f"{module.__name__}.{name}")


def candidate_test_modules(defining_module):
    """The test modules that can hold the tests of a package module: backprop_helpers.a.b.c is tested in
    test_a_b_c.py, test_a_b.py, test_a.py or test_c.py."""
    parts = defining_module.split(".")[1:]
    return [f"test_{'_'.join(parts[:k])}.py" for k in range(len(parts), 0, -1)] + [f"test_{parts[-1]}.py"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_what_each_lesson_imports_is_tested_under_its_marker(notebook):
    """Every function, class and module a lesson imports from the package has tests marked with that
    lesson: the package module defining it maps to the lesson through one of its test modules."""
    lesson = int(notebook.name[:2])
    missing = []
    for where, name, obj in imported_objects(notebook):
        defining = obj.__name__ if isinstance(obj, type(sys)) else getattr(obj, "__module__", None)
        if not (defining or "").startswith("backprop_helpers"):
            continue                                  # data such as the EXERCISES dict
        if not any(lesson in lessons_of(t) for t in candidate_test_modules(defining)):
            missing.append(f"{name} (from {where}, defined in {defining})")
    assert not missing, f"lesson {lesson:02d} imports, with no test marked {lesson_marker(lesson)}: {missing}"


def test_every_lesson_marker_selects_tests(collected):
    for lesson in LESSONS:
        selected = [n for n, marks in collected.items() if lesson_marker(lesson) in marks]
        assert selected, f"-m {lesson_marker(lesson)} selects no test"


def test_every_collected_test_has_the_lessons_of_its_module(collected):
    for nodeid, marks in collected.items():
        module = Path(nodeid.split("::")[0]).name
        if module == CATALOGUE:
            assert marks, nodeid
            continue
        assert marks == [lesson_marker(n) for n in sorted(lessons_of(module))], nodeid


def test_catalogue_tests_serve_the_lessons_of_their_exercise(collected):
    catalogue = {n: marks for n, marks in collected.items() if Path(n.split("::")[0]).name == CATALOGUE}
    if not catalogue:
        pytest.skip(f"{CATALOGUE} collected no test")
    assert len({tuple(marks) for marks in catalogue.values()}) > 1     # narrowed, not all the same
    lesson_of_checks = {n: lessons_of(f"test_checks_lesson{n:02d}_.py") for n in LESSONS}
    for marks in catalogue.values():
        assert {int(m[-2:]) for m in marks} in list(lesson_of_checks.values()) + [lessons_of(CATALOGUE)]
