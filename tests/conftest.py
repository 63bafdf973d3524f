"""Settings shared by every test: hypothesis profiles, a seeded generator, a headless matplotlib, and
a marker per lesson.

Hypothesis profiles (choose one with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (the default): derandomized, so every run tries the same examples and a failure always
  reproduces; no deadline and no "too slow" health check, because timings on a shared machine say
  nothing about correctness; no example database, so a run leaves nothing behind.
- ``dev``: random examples, ten times as many, and the database, for hunting new failures locally.

Lesson markers: ``pytest -m lesson04`` runs what lesson 04's notebook relies on, i.e. the tests of what
it imports, the checks it calls and the widgets it shows. ``LESSONS_OF_TEST_MODULE`` below is the one
table from test module to lessons; ``tests/test_markers.py`` checks that it covers every test module.
"""
from __future__ import annotations

import fnmatch
import importlib
import os
import pkgutil
import sys
from pathlib import Path

os.environ.setdefault("BACKPROP_BLAS_THREADS", "1")  # before anything imports backprop_helpers
os.environ["BACKPROP_PROGRESS"] = "off"  # checks run by tests never write a learner's progress file

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no window may open during a test

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A random generator seeded with 0: the same numbers in every test and every run."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened, so figures do not pile up across tests."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# --------------------------------------------------------------------------- a marker per lesson

ALL = tuple(range(12))
WIDGET_LESSONS = (1, 2, 3, 4, 6, 8)        # the lessons that show a widget

#: test module (a pattern on its file name) -> the lessons whose notebooks rely on what it tests.
#: A module matching several patterns serves all their lessons. The checks' test modules are matched
#: by topic and by lesson number, so that ``test_checks_loss.py`` and ``test_checks_lesson02_loss.py``
#: both serve lesson 02.
LESSONS_OF_TEST_MODULE = {
    # the learner's namespace, which every notebook imports from
    "test_layers.py": ALL,                          # every lesson computes with the layer pairs
    "test_losses.py": (0, 2, 3, 4, 5, 6, 7, 8, 10),
    "test_network.py": (0, 1, 5, 6, 7, 8, 9, 11),       # MLP
    "test_optim.py": (0, 6, 7, 8, 11),                  # SGD, Momentum, Adam
    "test_training.py": (0, 6, 7, 8, 11),               # train, minibatches (06), the playground's Trainer
    "test_fast.py": (0, 7, 8, 11),                      # Trainer's default path, the playground
    "test_reference.py": ALL,                       # the exercises' answers, behind every check
    "test_bad_input.py": ALL,                       # wrong calls of the learner's functions explained
    "test_data_*.py": (0, 1, 5, 6, 7, 8, 9, 11),        # make_dataset, Dataset, train_test_split
    "test_plots.py": (0, 1, 3, 7, 8, 9, 11),            # decision boundary, loss curves, activations,
                                                    # graphs and step sizes (03)
    # gradients: the scalar engine, gradient checking, the three routes
    "test_autograd.py": (3, 4, 5, 9, 10),           # Value (03, 05, 09, 10), the step-through graph (04)
    "test_value_mlp.py": (5, 9),                    # mlp_gradients_by_value
    "test_three_routes.py": (3, 4, 5),
    "test_gradcheck_numerical.py": (3, 4, 5, 9, 10, 11),  # numerical_gradient, numerical_vjp, rel_error
    "test_gradcheck_check.py": (3, 4, 5, 10),       # check_gradient
    "test_gradcheck_verdict.py": (3, 4, 5),
    "test_gradcheck_step_sizes.py": (3,),
    "test_gradcheck_modelcheck.py": (5,),           # check_model_gradient
    "test_learner_model.py": (7, 8),                # FunctionMLP, the playground's own functions
    # the exercise checks (lesson 00 tries check_relu; lesson 07's check_network_functions runs the
    # network's pieces through the checks of lessons 01 and 04)
    "test_checks_*forward_pass*.py": (0, 1, 7),
    "test_checks_lesson01_*.py": (0, 1, 7),
    "test_checks_*loss*.py": (2,),
    "test_checks_lesson02_*.py": (2,),
    "test_checks_*derivatives*.py": (3,),
    "test_checks_lesson03_*.py": (3,),
    "test_checks_*backward_pass*.py": (4, 7),
    "test_checks_lesson04_*.py": (4, 7),
    "test_checks_network.py": (5,),
    "test_checks_lesson05_*.py": (5,),
    "test_checks_*gradient_descent*.py": (6,),
    "test_checks_lesson06_*.py": (6,),
    "test_checks_*training_loop*.py": (7,),
    "test_checks_lesson07_*.py": (7,),
    "test_checks_lesson09_*.py": (9,),
    "test_checks_lesson10_*.py": (10,),
    "test_checks_lesson11_*.py": (11,),
    "test_checks_catalogue.py": (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11),   # narrowed per exercise, see below
    "test_checks_machinery.py": (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11),   # the machinery of every check
    "test_replay.py": (1, 2, 3, 4, 5, 6, 7, 9, 10, 11),  # learners' answers replayed against the checks
    # the widgets
    "test_widgets_render.py": WIDGET_LESSONS,
    "test_browser.py": WIDGET_LESSONS,
    "test_browser_playground.py": (8,),
    "test_browser_explorers.py": (1, 2, 3, 4, 6),
    "test_widgets_neuron.py": (1,),
    "test_widgets_loss*.py": (2,),                  # widgets/loss_curve.py
    "test_widgets_step_size.py": (3,),
    "test_widgets_step_through.py": (4,),
    "test_widgets_descent.py": (6,),
    "test_widgets_playground.py": (8,),
    "test_widgets_sequences.py": (1, 2, 3, 4, 6),   # every explorer after any sequence of moves
    "test_widgets_ahead.py": (1, 2, 3, 4, 6),       # pictures drawn ahead of the next key presses
    "test_palette.py": WIDGET_LESSONS + (7,),       # the one palette of every figure and explorer
    # lesson 00 runs the doctor and shows the learner's progress
    "test_doctor.py": (0,),
    "test_progress.py": (0,),
}

#: test modules that serve no lesson: the course's tools, the grader, the repository itself
NO_LESSON = ("test_course.py", "test_course_check.py", "test_grading.py", "test_grading_reference_use.py",
             "test_grading_hidden_cases.py", "test_grading_handback.py", "test_grading_isolation.py",
             "test_repository.py",
             "test_private_access.py", "test_markers.py",
             "test_points.py", "test_guide.py")

CATALOGUE = "test_checks_catalogue.py"
TESTS = Path(__file__).resolve().parent


def lesson_marker(lesson: int) -> str:
    return f"lesson{lesson:02d}"


def lessons_of(filename: str) -> set:
    """The lessons a test module serves, from every pattern of LESSONS_OF_TEST_MODULE its name matches."""
    return {lesson for pattern, lessons in LESSONS_OF_TEST_MODULE.items()
            if fnmatch.fnmatchcase(filename, pattern) for lesson in lessons}


def exercise_modules() -> dict:
    """Exercise name -> the checks module that defines it (``"relu"`` -> ``"lesson01_forward_pass"``);
    empty when the checks cannot be imported (then the catalogue's tests keep the module's lessons)."""
    try:
        from backprop_helpers import checks
        found = {}
        for info in pkgutil.iter_modules(checks.__path__):
            if info.name.startswith("lesson"):
                module = importlib.import_module(f"{checks.__name__}.{info.name}")
                found.update(dict.fromkeys(getattr(module, "EXERCISES", {}), info.name))
        return found
    except Exception:  # noqa: BLE001 - a broken package fails its own tests; the markers still apply
        return {}


def pytest_collection_modifyitems(items):
    """Mark every test under tests/ with the lessons of its module; a test of the checks' catalogue
    about one exercise serves what the tests of that exercise's lesson module serve."""
    modules = None
    for item in items:
        path = Path(str(item.path))
        if path.parent != TESTS:
            continue
        lessons = lessons_of(path.name)
        if path.name == CATALOGUE and hasattr(item, "callspec"):
            modules = exercise_modules() if modules is None else modules
            module = next((modules[v] for v in item.callspec.params.values()
                           if isinstance(v, str) and v in modules), None)
            if module is not None:
                lessons = lessons_of(f"test_checks_{module}.py")
        for lesson in sorted(lessons):
            item.add_marker(lesson_marker(lesson))
