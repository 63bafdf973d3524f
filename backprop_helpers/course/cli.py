"""The course's command line: ``python -m backprop_helpers <command>`` (or ``backprop-helpers``).

Commands:

- ``build [--force]``   regenerate ``lessons/`` from ``solutions/``; refuses to overwrite a lesson
  edited since it was generated unless ``--force`` (which keeps a copy in ``lessons/.backup/``);
- ``check [--run]``     everything to verify before publishing; exit status 0 when clean, 1 otherwise.
  Without ``--run`` (the default, also spelled ``--fast``) it reads the notebooks only, in a few
  seconds; ``--run`` also executes every solution and every lesson in a fresh kernel (about 40 s);
- ``execute [NB...]``   run solution notebooks top to bottom and save them with their outputs;
- ``progress``          the learner's progress table (``backprop_helpers.course.progress``);
- ``doctor``            is this environment able to run the course? (``backprop_helpers.course.doctor``);
  exit status 0 when every check passes, 1 otherwise;
- ``points [--fill]``   each exercise's points and where they live (``course.points``); ``--fill``
  gives the exercises without points 1 point each;
- ``grade``             grade learners' notebooks (``backprop_helpers.grading``).

Paths are ``solutions/`` and ``lessons/`` under ``--root`` (default: the current directory).
Add a command by writing ``_cmd_<name>(args) -> int`` and registering it in ``_parser``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import generate as course
from ..grading.runner import add_grade_command

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _folders(args: argparse.Namespace) -> tuple[Path, Path]:
    root = Path(args.root)
    return root / "solutions", root / "lessons"


def _cmd_build(args: argparse.Namespace) -> int:
    solutions, lessons = _folders(args)
    if not solutions.is_dir():
        print(f"build: there is no folder {solutions}/; run from the repository root or pass --root DIR",
              file=sys.stderr)
        return 1
    sources = course.notebook_paths(solutions)
    if not sources:
        print(f"build: no notebooks in {solutions}/ yet: nothing to build")
        return 0
    try:
        result = course.build(solutions, lessons, force=args.force)
    except course.EditedLessonsError as exc:
        print(f"build: nothing was written: {len(exc.edits)} lesson(s) were edited since build generated "
              f"them, and building would overwrite the edits:", file=sys.stderr)
        for path, why in exc.edits.items():
            print(f"  - {path}: {why}", file=sys.stderr)
        print(f"Lessons are generated from solutions/: make the change in the solution notebook, or save "
              f"the edited lesson under another name. To overwrite them anyway, run build --force: it "
              f"keeps a copy of each in {lessons / course.BACKUP_DIR}/.", file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"build: nothing was written, because {exc}", file=sys.stderr)
        return 1
    for path, copy in result.backups.items():
        print(f"kept a copy of the edited {path} as {copy}")
    for path in result.written:
        print(f"wrote {path}")
    print(f"build: {len(result.written)} lesson(s) written, {len(sources) - len(result.written)} "
          f"already up to date")
    names = {p.name for p in sources}
    for extra in course.notebook_paths(lessons):
        if extra.name not in names:
            print(f"build: note: {extra} has no solution notebook; remove it or add the solution")
    return 0


def _run_notebooks(solutions: Path, lessons: Path, timeout: float, jobs: int) -> list[str]:
    """Execute every solution (its checks must pass) and every lesson (it must run unfinished).

    ``jobs`` notebooks run at the same time, each in its own kernel; results are reported in order.
    """
    tasks = [(path, expect) for folder, expect in ((solutions, "passed"), (lessons, "not done"))
             for path in course.notebook_paths(folder)]

    def run_one(task: tuple[Path, str]) -> tuple[Any, str | None, float]:
        started = time.perf_counter()
        nb, error = course.execute(task[0], timeout=timeout)
        return nb, error, time.perf_counter() - started

    problems = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for (path, expect), (nb, error, seconds) in zip(tasks, pool.map(run_one, tasks)):
            print(f"  ran {path} in {seconds:.1f} s", flush=True)
            if error is not None:
                what = "solution" if expect == "passed" else "lesson, with its exercises unfinished,"
                problems.append(f"{path}: the {what} does not run to the end: {error}")
            problems += course.verdict_problems(nb, str(path), expect=expect)
    return problems


def _cmd_check(args: argparse.Namespace) -> int:
    solutions, lessons = _folders(args)
    if not solutions.is_dir():
        print(f"check: there is no folder {solutions}/; run from the repository root or pass --root DIR")
        return 1
    sources = course.notebook_paths(solutions)
    if not sources and not course.notebook_paths(lessons):
        print(f"check: no notebooks in {solutions}/ or {lessons}/ yet: nothing to check; all checks passed")
        return 0
    started = time.perf_counter()
    found = [course.lessons_in_sync(solutions, lessons), course.solution_leaks(solutions, lessons),
             course.grade_id_problems(solutions), course.missing_checks(solutions)]
    if args.run:
        print(f"check: running {len(sources)} solution(s) and {len(course.notebook_paths(lessons))} "
              f"lesson(s), each in a fresh kernel, {args.jobs} at a time", flush=True)
        found.append(_run_notebooks(solutions, lessons, args.timeout, args.jobs))
        found.append(_stale(sources))      # the committed outputs must come from the code too
    else:
        found.append(course.committed_verdict_problems(solutions))
    problems: dict[str, str] = {}  # one line per problem, even when several checks meet it
    for problem in (p for group in found for p in group):
        problems.setdefault(_without_function_name(problem), problem)
    seconds = time.perf_counter() - started
    if problems:
        print(f"check: {len(problems)} problem(s) found:")
        for problem in problems.values():
            print(f"  - {problem}")
        print(f"check: failed ({seconds:.1f} s)")
        return 1
    ran = ("every solution passes its checks when run, every lesson runs with its exercises unfinished"
           if args.run else "every check passed in the committed solutions (`check --run` runs them)")
    print(f"check: {len(sources)} solution notebook(s), lessons in sync, no solution text in a lesson, "
          f"every exercise has a grade_id and a check, {ran}: all checks passed ({seconds:.1f} s)")
    for note in _notes(solutions, sources):
        print(f"check: note: {note}")
    return 0


def _notes(solutions: Path, sources: list[Path]) -> list[str]:
    """What is not wrong yet but should be done: points to give, runs to record."""
    from .points import missing_points
    from .publish import RUN_RECORD

    notes = []
    pointless = missing_points(solutions)
    if pointless:
        notes.append(f"{len(pointless)} exercise(s) carry no points (each counts 1 when graded); list them "
                     f"with `python -m backprop_helpers points`, give them 1 with `python -m backprop_helpers "
                     f"points --fill {solutions}/`")
    unrecorded = []
    for path in sources:
        try:
            section = course.read_notebook(path).metadata.get("backprop_course")
        except (ValueError, OSError):
            continue
        if not (isinstance(section, dict) and RUN_RECORD in section):
            unrecorded.append(path.name)
    if unrecorded:
        notes.append(f"{len(unrecorded)} solution(s) hold no record of the run that made their outputs "
                     f"(saved from JupyterLab?), so an edit after that run cannot be seen: run `python -m "
                     f"backprop_helpers execute` to execute and record them")
    return notes


def _stale(paths: list[Path]) -> list[str]:
    from .publish import stale_outputs
    problems = []
    for path in paths:
        try:
            problem = stale_outputs(course.read_notebook(path), str(path))
        except (ValueError, OSError) as exc:
            problem = str(exc)
        if problem:
            problems.append(problem)
    return problems


def _cmd_points(args: argparse.Namespace) -> int:
    from .points import exercise_points, fill_points

    paths = [Path(p) for p in args.notebooks] or [_folders(args)[0]]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"points: {', '.join(map(str, missing))}: no such file or folder", file=sys.stderr)
        return 2
    if args.fill:
        try:
            written = fill_points(paths, args.value)
        except (ValueError, OSError) as exc:
            print(f"points: nothing more was written, because {exc}", file=sys.stderr)
            return 1
        for path, ids in written.items():
            print(f"wrote {path}: {args.value:g} point(s) for {', '.join(ids)}")
        print(f"points: {sum(map(len, written.values()))} exercise(s) given points in {len(written)} "
              f"notebook(s); run `python -m backprop_helpers build` to copy them into the lessons")
        return 0
    without = 0
    for path in [q for p in paths for q in (course.notebook_paths(p) if p.is_dir() else [p])]:
        try:
            found = exercise_points(course.read_notebook(path), name=str(path))
        except (ValueError, OSError) as exc:
            print(f"points: {exc}", file=sys.stderr)
            return 1
        if not found:
            continue
        print(f"{path}: {sum(e.points for e in found):g} point(s)")
        for e in found:
            where = e.source or "none set: 1 when graded (run points --fill)"
            without += e.source is None
            print(f"  {e.grade_id}: {e.points:g} ({where})")
    if without:
        print(f"points: {without} exercise(s) carry no points; `points --fill` gives them 1 each")
        return 1
    return 0


def _without_function_name(problem: str) -> str:
    """A broken marker is reported by each check, each naming itself first; compare what follows."""
    function, _, rest = problem.partition(": ")
    return rest if function in ("build_lesson", "solution_leaks", "grade_id_problems", "check") else problem


def _cmd_execute(args: argparse.Namespace) -> int:
    solutions, _ = _folders(args)
    paths = [Path(p) for p in args.notebooks] or course.notebook_paths(solutions)
    failed = 0
    for path in paths:
        if not path.is_file():
            print(f"execute: {path} is not a file", file=sys.stderr)
            failed += 1
            continue
        started = time.perf_counter()
        try:
            nb, error = course.execute(path, timeout=args.timeout)
        except (ValueError, OSError) as exc:
            nb, error = None, str(exc)
        if error is not None:
            print(f"execute: {path} was left unchanged: {error}", file=sys.stderr)
            failed += 1
            continue
        course.write_notebook(nb, path)
        print(f"executed and saved {path} ({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from . import doctor

    return 0 if all(result.ok for result in doctor.run()) else 1


def _cmd_progress(args: argparse.Namespace) -> int:
    from . import progress

    lessons = Path(args.lessons) if args.lessons else _folders(args)[1]
    lessons_dir = lessons if lessons.is_dir() else None
    if args.file is None:
        progress.show(lessons_dir=lessons_dir)
    else:
        print(f"Progress from {args.file}:\n")
        print(progress.table(lessons_dir=lessons_dir, path=args.file))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m backprop_helpers",
        description="The course's tools: lessons/ is generated from solutions/ and checked; learners' "
                    "progress; grading.")
    root_help = "the repository folder holding solutions/ and lessons/ (default: the current folder)"
    parser.add_argument("--root", default=".", metavar="DIR", help=root_help)
    # Repeated on each command (so `check --root DIR` works too), without overriding the global one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, metavar="DIR", help=root_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    build = commands.add_parser(
        "build", parents=[common], help="regenerate lessons/ from solutions/",
        description="Regenerate every lesson from its solution notebook. A lesson edited since build "
                    "generated it is not overwritten: build names it and stops, writing nothing.")
    build.add_argument("--force", action="store_true",
                       help="overwrite edited lessons too, keeping a copy of each in lessons/.backup/")
    build.set_defaults(func=_cmd_build)

    check = commands.add_parser(
        "check", parents=[common], help="everything to verify before publishing the lessons",
        description="Check: every lesson exists and matches a fresh build; no solution or hidden-test "
                    "line appears in a lesson; every exercise has a grade_id and a check; every check "
                    "passes in the solutions; with --run, every solution and every lesson is executed "
                    "in a fresh kernel. Exit status 0 when clean, 1 otherwise.")
    speed = check.add_mutually_exclusive_group()
    speed.add_argument("--run", action="store_true",
                       help="also execute every notebook: each solution's checks must pass and each "
                            "lesson must run with its exercises unfinished (about 40 s on two cores)")
    speed.add_argument("--fast", action="store_false", dest="run",
                       help="read the notebooks only, run nothing (the default; a few seconds)")
    check.add_argument("--timeout", type=float, default=120, metavar="S",
                       help="with --run: the longest a cell may run, in seconds (default 120)")
    check.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1), metavar="N",
                       help="with --run: notebooks run at the same time (default 2, or 1 on a single "
                            "core: kernels spend much of their time starting, so two overlap well)")
    check.set_defaults(func=_cmd_check)

    run = commands.add_parser(
        "execute", parents=[common], help="run solution notebooks top to bottom and save them with outputs",
        description="Run each notebook in a fresh kernel of this Python and save it with its outputs, "
                    "as solutions are committed: only outputs and execution counts change (no timings, "
                    "no widget state). A notebook with a cell that fails is left unchanged. Default: "
                    "every notebook in solutions/.")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="the notebooks to run")
    run.add_argument("--timeout", type=float, default=120, metavar="S",
                     help="the longest a cell may run, in seconds (default 120)")
    run.set_defaults(func=_cmd_execute)

    show = commands.add_parser(
        "progress", parents=[common], help="print the learner's progress: lessons and exercises done",
        description="Print the table of lessons and exercises done, from the progress file the checks "
                    "write (BACKPROP_PROGRESS_FILE, default ~/.backprop_course/progress.json).")
    show.add_argument("--file", metavar="PATH", help="read this progress file instead")
    show.add_argument("--lessons", metavar="DIR", help="the lessons to list (default: lessons/ under --root)")
    show.set_defaults(func=_cmd_progress)

    check_env = commands.add_parser(
        "doctor", parents=[common], help="check that this environment can run the course",
        description="Check Python, the pinned packages, the widgets' front end, float64, BLAS threads and "
                    "the kernel's environment; print what to fix. Exit status 0 when all pass, 1 otherwise.")
    check_env.set_defaults(func=_cmd_doctor)

    points = commands.add_parser(
        "points", parents=[common], help="list every exercise's points, or fill in the missing ones",
        description="List each exercise's points and where they come from: the answer cell's "
                    "nbgrader.points, or the nbgrader tests cells after it when they carry points. "
                    "Exit status 1 when an exercise carries none. With --fill, write points into every "
                    "answer cell that has none (nothing else in the files changes).")
    points.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help="notebooks or folders (default: solutions/)")
    points.add_argument("--fill", action="store_true",
                        help="give every exercise without points --value points (default 1)")
    points.add_argument("--value", type=float, default=1.0, metavar="N",
                        help="with --fill: the points each exercise without points gets (default 1)")
    points.set_defaults(func=_cmd_points)

    add_grade_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "grade" and getattr(args, "solutions", "") is None and \
            (args.root != "." or _folders(args)[0].is_dir()):
        args.solutions = str(_folders(args)[0])  # `--root DIR grade ...` reads DIR/solutions
        # (run elsewhere without --root, grade falls back on the course's own solutions)
    return args.func(args)
