"""INSTRUCTORS.md cannot drift from the code: every ``python -m backprop_helpers`` command shown in its
code blocks (and in its text, when it names real paths) runs, on a temporary copy of the course with a
small class of learners' notebooks, with the exit status and the files the guide promises; the CSV
columns, the exit statuses and the JupyterHub recipe (both home layouts) are the guide's own."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "INSTRUCTORS.md"
LESSON = "02_loss"
PROGRAM = "python -m backprop_helpers"
NOT_RUN = {"doctor": "it checks this machine, not the course (tests/test_doctor.py)"}
PLACEHOLDER = re.compile(r"\bNN\b|\bN\b|DIR|\bF\b|\bID\b|\.\.\.|<|\[")


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def guide_commands() -> list[str]:
    """Every ``python -m backprop_helpers ...`` line of the guide's code blocks, then every such
    inline command of its text that names real paths (no placeholder), without comments, in order."""
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", guide(), re.S):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith(PROGRAM):
                found.append(line.split("  #")[0].split(" # ")[0].strip())
    for span in re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", guide(), flags=re.S)):
        span = " ".join(span.split())
        if span.startswith(PROGRAM + " ") and not PLACEHOLDER.search(span[len(PROGRAM):]):
            found.append(span)
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course with one lesson, and learners' notebooks laid out as the guide says."""
    import test_grading as tg
    base = tmp_path_factory.mktemp("guide")
    repo = base / "course"
    for folder in ("solutions", "lessons"):
        (repo / folder).mkdir(parents=True)
        shutil.copyfile(ROOT / folder / f"{LESSON}.ipynb", repo / folder / f"{LESSON}.ipynb")
    good, wrong = tg.answered(tg.RIGHT), tg.answered(tg.WRONG)
    (repo / "submissions").mkdir()
    tg.write(repo / "submissions", "alice_02_loss.ipynb", good)
    tg.write(repo / "submissions", "bob_02_loss.ipynb", wrong)
    for user, nb in (("carol", good), ("dave", wrong)):
        (repo / "submitted" / user / "ps1").mkdir(parents=True)
        tg.write(repo / "submitted" / user / "ps1", f"{LESSON}.ipynb", nb)
        (base / "home" / user / "lessons").mkdir(parents=True)           # a hub's /home/<user>
        tg.write(base / "home" / user / "lessons", f"{LESSON}.ipynb", nb)
        (repo / "collected" / user).mkdir(parents=True)                   # collected from /home/jovyan
        tg.write(repo / "collected" / user, f"{LESSON}.ipynb", nb)
    return {"repo": repo, "home": base / "home"}


def run(course, command: str) -> subprocess.CompletedProcess:
    args = command.replace("/home/", f"{course['home']}/").split()
    assert args[:3] == ["python", "-m", "backprop_helpers"]
    paths = [a for a in args[3:] if "*" in a]
    expanded = [str(p) for a in paths for p in sorted(Path("/").glob(a.lstrip("/")))]
    args = [a for a in args[3:] if a not in paths] + expanded
    env = dict(os.environ, BACKPROP_PROGRESS="off")
    env.pop("MPLBACKEND", None)
    return subprocess.run([sys.executable, "-m", "backprop_helpers", *args], cwd=course["repo"], env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_guide_shows_every_command():
    commands = guide_commands()
    shown = {c.split()[3] for c in commands}
    assert {"execute", "build", "check", "grade", "points"} <= shown
    assert f"{PROGRAM} grade /home/*/lessons/02_loss.ipynb --lesson 02 --gradebook grades.csv" in commands
    assert f"{PROGRAM} grade collected/ --lesson 02 --gradebook grades.csv" in commands


def run_all(course, commands: list[str]) -> list[subprocess.CompletedProcess]:
    """``run`` each command, three at a time (grading commands change nothing but their reports)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(3) as pool:
        return list(pool.map(lambda command: run(course, command), commands))


def test_every_command_of_the_guide_runs_as_it_says(course):
    """In the guide's order: execute, build, check, check --run, ... one after the other, then every
    grading command, and last the commands that change the solutions (``points --fill``)."""
    repo = course["repo"]
    commands = [c for c in guide_commands() if c.split()[3] not in NOT_RUN]
    grading = [c for c in commands if c.split()[3] == "grade"]
    last = [c for c in commands if "--fill" in c.split()]
    first = [c for c in commands if c not in grading and c not in last]
    results = [run(course, c) for c in first] + run_all(course, grading) + [run(course, c) for c in last]
    for command, done in zip(first + grading + last, results):
        name = command.split()[3]
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        words = command.split()
        for option, kind in (("--json", "file"), ("--csv", "file"), ("--gradebook", "file"),
                             ("--feedback", "dir")):
            if option in words:
                target = repo / words[words.index(option) + 1]
                assert target.is_dir() if kind == "dir" else target.is_file(), command
        if name == "grade":
            assert "Class summary:" in done.stdout, command
            if "--similarity" in words:
                assert "Similar exercise cells" in done.stdout
        if name == "check":
            assert "all checks passed" in done.stdout, command


def test_the_csv_columns_are_the_guides(course):
    from backprop_helpers.grading.report import CSV_COLUMNS
    listed = re.search(r"with the columns ([a-z_, \n]+?) \(a notebook", guide()).group(1)
    assert [c.strip() for c in listed.replace("\n", " ").split(",")] == list(CSV_COLUMNS)
    done = run(course, f"{PROGRAM} grade submissions/ --csv columns.csv")
    assert done.returncode == 0
    with open(course["repo"] / "columns.csv", newline="", encoding="utf-8") as f:
        assert tuple(next(csv.reader(f))) == CSV_COLUMNS


def test_the_exit_statuses_are_the_guides(course, tmp_path):
    text = " ".join(guide().split())
    assert "2 on a usage error" in text and "`grade` exits 0 whenever grading ran" in text
    statuses = [done.returncode for done in run_all(course, [
        f"{PROGRAM} grade nowhere/", f"{PROGRAM} grade submissions/ --lesson 99", f"{PROGRAM} check --no-such-option"])]
    assert statuses == [2, 2, 2]
    lesson = course["repo"] / "lessons" / f"{LESSON}.ipynb"
    saved = lesson.read_bytes()
    try:
        nb = json.loads(saved)
        nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "extra", "metadata": {},
                            "outputs": [], "source": "x = 1"})
        lesson.write_text(json.dumps(nb), encoding="utf-8")
        assert run(course, f"{PROGRAM} check").returncode == 1              # a problem found
    finally:
        lesson.write_bytes(saved)


def test_the_jupyterhub_recipe_names_the_learners_in_both_home_layouts(course):
    commands = [f"{PROGRAM} grade /home/*/lessons/02_loss.ipynb --lesson 02 --csv hub1.csv",
                f"{PROGRAM} grade collected/ --lesson 02 --csv hub2.csv"]
    assert [done.returncode for done in run_all(course, commands)] == [0, 0]
    for n, command in enumerate(commands, 1):
        with open(course["repo"] / f"hub{n}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert {r["learner"] for r in rows} == {"carol", "dave"}, command
        assert {r["lesson"] for r in rows} == {LESSON}


@pytest.mark.parametrize("home", ["/home/jovyan", "/home/alice"])
def test_the_jupyterhub_progress_file_is_in_the_learners_home(monkeypatch, home):
    from backprop_helpers.course.progress import progress_file
    value = re.search(r'"BACKPROP_PROGRESS_FILE": "([^"]+)"', guide()).group(1)
    monkeypatch.setenv("HOME", home)
    monkeypatch.setenv("BACKPROP_PROGRESS_FILE", value)
    assert progress_file() == Path(home) / ".backprop_course" / "progress.json"
