"""Tests of the learner's progress file (backprop_helpers.course.progress) and of checks recording into it."""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat import v4

from backprop_helpers.course import progress
from backprop_helpers.course.cli import main
from backprop_helpers.checks import EXERCISES
from backprop_helpers.course import exercises, notebook_bytes, notebook_paths, read_notebook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def progress_path(tmp_path, monkeypatch):
    """Recording switched on, into a file of the test's own folder, outside any notebook."""
    path = tmp_path / "state" / "progress.json"
    monkeypatch.setenv("BACKPROP_PROGRESS", "on")
    monkeypatch.setenv("BACKPROP_PROGRESS_FILE", str(path))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return path


def lesson_folder(tmp_path):
    """Two small lessons with exercises, as the table reads them."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    for name, functions in (("01_first", ("relu", "sigmoid")), ("02_second", ("relu", "softmax", "fit"))):
        cells = [v4.new_code_cell(f"def {fn}(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")
                 for fn in functions]
        (folder / f"{name}.ipynb").write_bytes(notebook_bytes(v4.new_notebook(cells=cells)))
    intro = v4.new_notebook(cells=[v4.new_markdown_cell("hi")])
    (folder / "00_intro.ipynb").write_bytes(notebook_bytes(intro))
    return folder


# --------------------------------------------------------------------------- where, and the off switch

def test_file_location_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("BACKPROP_PROGRESS_FILE", raising=False)
    assert progress.progress_file() == Path("~/.backprop_course/progress.json").expanduser()
    monkeypatch.setenv("BACKPROP_PROGRESS_FILE", str(tmp_path / "mine.json"))
    assert progress.progress_file() == tmp_path / "mine.json"


@pytest.mark.parametrize("value", ["off", "OFF", "0", "no", "false", " off "])
def test_off_switch_records_and_shows_nothing(progress_path, monkeypatch, capsys, value):
    monkeypatch.setenv("BACKPROP_PROGRESS", value)
    assert not progress.is_enabled()
    progress.record("relu", True)
    EXERCISES["relu"].check(lambda x: np.maximum(x, 0))
    assert not progress_path.exists() and not progress_path.parent.exists()
    capsys.readouterr()
    progress.show()
    assert "switched off (BACKPROP_PROGRESS=off)" in capsys.readouterr().out


def test_the_test_suite_runs_with_recording_off():
    assert not progress.is_enabled()


def test_lesson_comes_from_the_notebook_jupyter_names(monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ada/course/lessons/04_backward_pass.ipynb")
    assert progress.current_lesson() == "04_backward_pass"
    monkeypatch.setenv("JPY_SESSION_NAME", "")
    assert progress.current_lesson() is None


# --------------------------------------------------------------------------- recording

def test_a_check_records_its_verdict_with_time_and_lesson(progress_path, monkeypatch, capsys):
    monkeypatch.setenv("JPY_SESSION_NAME", "lessons/01_forward_pass.ipynb")
    relu = EXERCISES["relu"]
    relu.check(lambda x: np.abs(x))
    relu.check(lambda x: np.maximum(x, 0))
    relu.check(lambda x: x)
    entry = progress.load()["01_forward_pass"]["relu"]
    assert entry["attempts"] == 3 and entry["passed"] is True and entry["last_status"] == "wrong"
    assert entry["first_passed"] <= entry["last_checked"]
    assert entry["last_checked"].endswith("Z") and len(entry["last_checked"]) == len("2025-01-01T00:00:00Z")
    assert "✔ relu" in capsys.readouterr().out   # recording changes nothing the learner sees


def test_run_and_a_re_run_on_the_handed_back_reference_record_nothing(progress_path):
    relu = EXERCISES["relu"]
    relu.run(lambda x: np.maximum(x, 0))
    relu.check(relu.reference)
    assert not progress_path.exists()
    def unfinished(x):
        raise NotImplementedError()
    relu.check(unfinished)
    assert progress.load()[""]["relu"]["last_status"] == "not done"


def test_recording_never_stops_a_check_even_when_run_was_replaced(progress_path, monkeypatch, capsys):
    relu = EXERCISES["relu"]
    fake = type("Verdict", (), {"passed": True, "message": "✔ relu: fine"})()   # no exercise, no status
    monkeypatch.setattr(relu, "run", lambda fn: fake)
    mine = lambda x: x  # noqa: E731
    assert relu.check(mine) is mine
    assert capsys.readouterr().out == "✔ relu: fine\n"
    assert progress.load()[""]["relu"]["last_status"] == "passed"


def test_an_unwritable_file_is_reported_once_and_the_check_goes_on(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BACKPROP_PROGRESS", "on")
    monkeypatch.setenv("BACKPROP_PROGRESS_FILE", str(blocker / "progress.json"))
    monkeypatch.setattr(progress, "_reported", set())
    relu = EXERCISES["relu"]
    assert relu.check(lambda x: np.maximum(x, 0)) is not relu.reference
    relu.check(lambda x: np.maximum(x, 0))
    captured = capsys.readouterr()
    assert captured.err.count("could not record your progress in") == 1
    assert "Checks work as before" in captured.err
    assert captured.out.count("✔ relu") == 2


def _worker(args):
    path, worker, count, fallback_lock = args
    if fallback_lock:
        progress._fcntl = None
    for k in range(count):
        progress.record(f"exercise_{k % 3}", passed=(k + worker) % 2 == 0, lesson=f"lesson_{worker % 2}",
                        path=path)


@pytest.mark.parametrize("fallback_lock", [False, True], ids=["fcntl", "lock-file"])
def test_concurrent_writers_lose_nothing(tmp_path, fallback_lock):
    path = tmp_path / "progress.json"
    workers, count = 4, 25
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with context.Pool(workers) as pool:
        pool.map(_worker, [(str(path), w, count, fallback_lock) for w in range(workers)])
    data = progress.load(path)
    assert sorted(data) == ["lesson_0", "lesson_1"]
    assert sum(e["attempts"] for lesson in data.values() for e in lesson.values()) == workers * count
    for lesson in data.values():
        assert sorted(lesson) == ["exercise_0", "exercise_1", "exercise_2"]
        assert all(e["passed"] for e in lesson.values())
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --------------------------------------------------------------------------- a corrupt file

@pytest.mark.parametrize("content", ['{"format": 1, "lessons": {"01": {"relu": {"attempts": 1', "[1, 2]",
                                     '{"format": 99, "lessons": {}}', "\udcff"])
def test_a_corrupt_file_is_set_aside_with_a_message_never_emptied(progress_path, capsys, content):
    progress_path.parent.mkdir(parents=True)
    raw = content.encode("utf-8", "surrogateescape")
    progress_path.write_bytes(raw)
    progress.record("relu", True, lesson="01_forward_pass")
    [aside] = progress_path.parent.glob("progress.corrupt-*.json")
    assert aside.read_bytes() == raw
    err = capsys.readouterr().err
    assert f"{progress_path} could not be read" in err and f"set aside, unchanged, as {aside}" in err
    assert progress.load()["01_forward_pass"]["relu"]["attempts"] == 1


def test_two_corrupt_files_in_the_same_second_keep_both(progress_path, monkeypatch):
    monkeypatch.setattr(progress.time, "strftime", lambda fmt: "20250101-120000")
    progress_path.parent.mkdir(parents=True)
    for junk in ("first junk", "second junk"):
        progress_path.write_text(junk)
        progress.load()
    asides = sorted(p.name for p in progress_path.parent.glob("progress.corrupt-*"))
    assert asides == ["progress.corrupt-20250101-120000-2.json", "progress.corrupt-20250101-120000.json"]


# --------------------------------------------------------------------------- the table

def test_table_counts_lessons_and_marks_each_exercise(tmp_path):
    results = {"01_first": {"relu": {"attempts": 2, "passed": True, "last_checked": "2025-03-01T10:00:00Z"},
                            "sigmoid": {"attempts": 1, "passed": False,
                                        "last_checked": "2025-03-01T10:05:00Z"}},
               "02_second": {"fit": {"attempts": 3, "passed": True, "last_checked": "2025-03-02T09:00:00Z"}},
               "00_intro": {"relu": {"attempts": 1, "passed": True, "last_checked": "2025-03-01T09:00:00Z"}}}
    text = progress.table(results, lessons_dir=lesson_folder(tmp_path))
    lines = text.splitlines()
    assert lines[0].split() == ["lesson", "done", "last", "checked"]
    assert lines[1].split()[:4] == ["01_first", "1", "/", "2"]
    assert lines[2].strip().split("  ") == ["✔\u00a0relu", "✘\u00a0sigmoid"]
    assert lines[3].split()[:4] == ["02_second", "1", "/", "3"]
    assert lines[4].strip().split("  ") == ["·\u00a0relu", "·\u00a0softmax", "✔\u00a0fit"]
    assert lines[5].split() == ["all", "lessons", "2", "/", "5"]
    assert lines[6] == "✔ passed   ✘ checked, not passed yet   · not checked yet"
    assert "00_intro" not in text                                     # a lesson without exercises


def test_verdicts_outside_a_known_notebook_count_for_no_lesson(tmp_path):
    results = {"": {"softmax": {"attempts": 1, "passed": True, "last_checked": "2025-03-02T09:00:00Z"},
                    "relu": {"attempts": 1, "passed": False, "last_checked": "2025-03-02T09:00:00Z"}}}
    lines = progress.table(results, lessons_dir=lesson_folder(tmp_path)).splitlines()
    assert lines[5].split() == ["all", "lessons", "0", "/", "5"]
    assert lines[6] == "checked outside a known notebook (counted in no lesson):"
    assert lines[7].split()[:4] == ["(no", "notebook", "known)", "1"]
    assert lines[8].strip().split("  ") == ["✘\u00a0relu", "✔\u00a0softmax"]


def test_table_without_lesson_notebooks_lists_what_was_recorded(tmp_path):
    results = {"03_x": {"relu": {"attempts": 1, "passed": True, "last_checked": "2025-03-01T10:00:00Z"}}}
    text = progress.table(results, lessons_dir=tmp_path)
    assert "03_x" in text and "✔\u00a0relu" in text and "1 / 1" in text


@settings(max_examples=30)
@given(st.lists(st.tuples(st.sampled_from(["relu", "sigmoid", "softmax", "fit"]), st.booleans()),
                max_size=12))
def test_done_counts_exercises_that_ever_passed(tmp_path_factory, verdicts):
    folder = lesson_folder(tmp_path_factory.mktemp("course"))
    path = folder.parent / "progress.json"
    for exercise, passed in verdicts:
        progress.record(exercise, passed, lesson="02_second", path=path)
    line = next(line for line in progress.table(lessons_dir=folder, path=path).splitlines()
                if line.startswith("02_second"))
    done = len({e for e, passed in verdicts if passed and e in ("relu", "softmax", "fit")})
    assert line.split()[1:4] == [str(done), "/", "3"]


def test_show_says_where_the_file_is(progress_path, tmp_path, capsys):
    folder = lesson_folder(tmp_path)
    progress.show(lessons_dir=folder)
    assert f"No exercise checked yet: each check you run will be recorded in {progress_path}" in \
        capsys.readouterr().out
    progress.record("fit", True, lesson="02_second")
    progress.show(lessons_dir=folder)
    out = capsys.readouterr().out
    assert f"Your progress, from {progress_path}:" in out and "02_second" in out and "✔\u00a0fit" in out


def test_cli_progress_prints_the_table(progress_path, tmp_path, capsys):
    folder = lesson_folder(tmp_path)
    progress.record("sigmoid", True, lesson="01_first")
    assert main(["--root", str(tmp_path), "progress"]) == 0
    out = capsys.readouterr().out
    assert "01_first" in out and "1 / 2" in out and "all lessons" in out
    other = tmp_path / "other.json"
    progress.record("relu", False, lesson="01_first", path=other)
    assert main(["progress", "--file", str(other), "--lessons", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"from {other}" in out and "✘\u00a0relu" in out and "0 / 2" in out


def test_cli_progress_when_switched_off(monkeypatch, capsys):
    monkeypatch.setenv("BACKPROP_PROGRESS", "off")
    assert main(["progress"]) == 0
    assert "switched off" in capsys.readouterr().out


def test_the_real_course_table_lists_every_lesson_with_exercises():
    text = progress.table({}, lessons_dir=ROOT / "lessons")
    total = sum(len(set(e.grade_id for e in exercises(read_notebook(path))))
                for path in notebook_paths(ROOT / "lessons"))
    assert "01_forward_pass" in text and "07_training_loop" in text and "00_start_here" not in text
    assert text.splitlines()[-2].split() == ["all", "lessons", "0", "/", str(total)]


def test_module_names_match_all():
    assert set(progress.__all__) <= set(dir(progress))


def test_python_dash_m_progress_runs(tmp_path):
    env = {"BACKPROP_PROGRESS": "on", "BACKPROP_PROGRESS_FILE": str(tmp_path / "p.json"), "PATH": "/usr/bin"}
    done = subprocess.run([sys.executable, "-m", "backprop_helpers", "progress"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "No exercise checked yet" in done.stdout and "01_forward_pass" in done.stdout
