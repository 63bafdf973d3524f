"""Grade learners' notebooks: ``python -m backprop_helpers grade NOTEBOOK... [--json F] [--csv F]
[--seed N] [--feedback DIR] [--gradebook F] [--similarity]``.

For each notebook (a file, or every ``.ipynb`` under a folder):

1. the original is read once and never written; a temporary copy is made in a new temporary
   folder, which is also the kernel's working folder;
2. its exercises are found by the cells' ``nbgrader.grade_id`` (set by ``build``), wherever the
   learner moved them, and an answer written again in a later cell (a new ``def`` of the
   exercise's function) is the one graded, reported as moved; the lesson is the one whose
   grade_ids it shares most; a notebook of another lesson than ``--lesson`` scores 0 (unless
   ``--accept-other-lessons``), and one whose file name names another lesson is flagged;
   ``--exercise ID`` grades that exercise only; points come from the instructor's notebooks
   (``--solutions``, default ``./solutions``) by ``course.points``' rule;
3. it runs in a fresh kernel with limits (``--cell-timeout``, ``--timeout``, ``--memory-limit``):
   the grader's set-up cell first, the learner's code cells, then one grading cell per exercise.
   The grading cell runs the exercise cell's source again and calls the function it defines on the
   grader's own cases (see ``kernel.py``): the fixed edge cases, and random values drawn from a seed
   the learner cannot know (new at each run, printed in the report; ``--seed N`` repeats a run),
   while a watch notes whether the function reaches the course's own answer (``watch.py``). With
   several notebooks on Linux, each kernel is forked from a process that has already imported
   ipykernel, numpy, matplotlib and the course (``nursery.py``), which saves about 40 % of the CPU a
   notebook costs;
4. the outputs come back as plain data (``wire.restricted_loads``), and the check's verdict
   (passed, or the named mistake) is computed **here**, against the grader's reference. Whatever
   the notebook patches in its kernel (the checks, the reference, numpy, ``print``), it can only
   change what its own function returns, never the verdict.

A notebook that cannot be read or run (invalid JSON, another nbformat, a kernel that dies, an
infinite loop, a memory hog, gigabytes of output) gets its line in the report; the others are graded
all the same. After a cell times out, the later cells that call the function it was running are
skipped (``execution.py``), so an endless loop costs one ``--cell-timeout``. A set-up cell that fails
(an import) fails the notebook: it does not run as handed in, and every exercise scores 0.

Besides the report: ``--feedback DIR`` writes one Markdown and one HTML file per learner
(``feedback.py``), ``--gradebook F`` one CSV row per learner and one column per lesson in the layout
Moodle imports (``gradebook.py``), ``--similarity`` lists pairs of learners whose exercise cells are
nearly identical (``similarity.py``). Exit status: 0 when grading ran, whatever the scores; 2 on a
usage error (as for every command); 1 when a report file could not be written; 130 when stopped
with Ctrl-C (the kernels are killed and no report is written).

Isolation (``isolation.py``, ``--isolation``/``--no-isolation``): each kernel runs in a bubblewrap
sandbox where it sees only its own folder, the Python environment and the course package
(read-only), without network, its processes ending with it. Where that is not possible, the learner's
code runs with the instructor's user rights, and ``grade`` says so on stderr and in the report.

What it does not do: code that deliberately forges the grading cell's reply from inside its
kernel is not stopped; such code is in plain sight in the notebook.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from . import submissions as nbg
from .execution import kernel_env, kill_running_kernels, memory_limit_supported
from .nursery import Nursery, nursery_supported
from .isolation import MODES as ISOLATION_MODES, choose as choose_isolation
from .grader import ExerciseGrade, NotebookGrade, NotebookGrader
from .report import summary, to_csv, to_json, to_text
from .similarity import THRESHOLD, lesson_stubs, similar_pairs
from .feedback import write_feedback
from .gradebook import gradebook, to_gradebook_csv
from ..validation import check_positive, check_positive_int

__all__ = ["ExerciseGrade", "NotebookGrade", "ClassReport", "grade_notebooks", "add_grade_command",
           "default_jobs", "main", "DEFAULT_TIMEOUT", "DEFAULT_CELL_TIMEOUT", "DEFAULT_MEMORY_MB"]

DEFAULT_TIMEOUT = 300.0        # seconds for a whole notebook
DEFAULT_CELL_TIMEOUT = 10.0    # seconds for one cell (and for grading one exercise): the slowest
                               # cell of any solution takes 1.8 s, grading an exercise under 1 s
                               # (measured on 2 cores, INSTRUCTORS.md), so 10 s leaves a busy machine
                               # and a learner's slower code 5 times as long
DEFAULT_MEMORY_MB = 2048       # address space of one kernel; a lesson's kernel peaks near 1 GiB


@dataclass
class ClassReport:
    """Every notebook's grade, the settings used (the seed of the hidden cases among them), the class
    summary (``summary()``), and the pairs of similar notebooks when asked for (else None)."""
    notebooks: list[NotebookGrade]
    settings: dict
    similarity: list | None = None

    def summary(self) -> dict:
        return summary(self)

    def to_text(self) -> str:
        return to_text(self)

    def to_json(self) -> str:
        return to_json(self)

    def to_csv(self) -> str:
        return to_csv(self)

    def to_gradebook(self) -> str:
        return to_gradebook_csv(self)


# --------------------------------------------------------------------------- the class

def _notebook_files(paths: list[str | os.PathLike], fn: str) -> dict[Path, Path | None]:
    """``{notebook: the folder it was found in (None for a file given by name)}``, in order."""
    files: dict[Path, Path | None] = {}
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ipynb") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(path).parts))   # no hidden folder
            if not found:
                raise ValueError(f"{fn}: the folder {str(path)!r} holds no .ipynb notebook")
            for p in found:
                files.setdefault(p, path)
        elif path.is_file():
            files.setdefault(path, None)
        else:
            raise ValueError(f"{fn}: notebooks must be existing files or folders, got {str(path)!r} "
                             f"(no such file or folder)")
    return files


def default_jobs() -> int:
    """Notebooks graded at once by default: one more than the CPUs (at most 8). A kernel waits a
    little at its start and between cells, so one more than the cores keeps them busy (measured in
    bench/README.md: a class of 30 on 2 cores took 18-20 s 3 at a time, 21-25 s 2 at a time)."""
    return min((os.cpu_count() or 1) + 1, 8)


def _default_solutions() -> Path | None:
    for candidate in (Path("solutions"), Path(__file__).resolve().parents[2] / "solutions"):
        if candidate.is_dir():
            return candidate
    return None


def _run(make_coroutine):
    """Run the coroutine ``make_coroutine()`` to its end in an event loop of its own thread.

    The thread makes it work from inside a running event loop (a notebook) and keeps Ctrl-C for the
    main thread: nbclient would otherwise catch SIGINT to stop one kernel and grading would go on.
    On Ctrl-C the running kernels are killed, every notebook's task is cancelled, and the
    KeyboardInterrupt goes on to the caller.
    """
    loop = asyncio.new_event_loop()
    box: dict = {}

    def work() -> None:
        asyncio.set_event_loop(loop)
        box["task"] = loop.create_task(make_coroutine())
        try:
            box["value"] = loop.run_until_complete(box["task"])
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            box["error"] = exc
        finally:        # nbclient may leave a watcher task behind when a cell is cancelled
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=work, name="grading", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        kill_running_kernels()
        if "task" in box:
            loop.call_soon_threadsafe(box["task"].cancel)
        thread.join(10)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def _lesson_named(fn: str, text: str, lessons: list) -> "nbg.LessonSpec":
    """The lesson ``text`` names: its number (``4``, ``04``) or its name (``04_backward_pass``)."""
    wanted = str(text).strip()
    for lesson in lessons:
        number = lesson.name.split("_", 1)[0]
        if wanted == lesson.name or (wanted.isdigit() and number.isdigit() and int(wanted) == int(number)):
            return lesson
    raise ValueError(f"{fn}: lesson must be the number or the name of a lesson with exercises "
                     f"({', '.join(lesson.name for lesson in lessons)}), got {text!r}")


def grade_notebooks(notebooks, *, solutions: str | os.PathLike | None = None,
                    timeout: float = DEFAULT_TIMEOUT, cell_timeout: float = DEFAULT_CELL_TIMEOUT,
                    memory_limit_mb: int | None = DEFAULT_MEMORY_MB, jobs: int | None = None,
                    seed: int | None = None, similarity: bool | float = False,
                    lesson: str | int | None = None, accept_other_lessons: bool = False,
                    exercises: list[str] | None = None, isolation: str = "auto") -> ClassReport:
    """Grade ``notebooks`` (paths of files, or folders searched for ``*.ipynb``) and return the report.

    ``solutions``: the instructor's notebooks defining the lessons' exercises and points (default
    ``./solutions``, else the course's own). ``timeout`` / ``cell_timeout``: seconds for a whole
    notebook / for one cell. ``memory_limit_mb``: each kernel's address-space limit in MiB (0 or
    None: no limit). ``jobs``: notebooks graded at once (default ``default_jobs()``). ``seed``: the
    random values of the grader's cases are drawn from it (default: a new one, in
    ``report.settings["seed"]``). ``similarity``: also list pairs of similar notebooks
    (``report.similarity``), True for the default threshold or the threshold itself (0 to 1).
    ``lesson``: the lesson every notebook should be (its number or name); a notebook of another
    lesson scores 0, with a line saying so, unless ``accept_other_lessons`` (then it is graded as
    the lesson it is, still with that line). Without ``lesson``, a notebook whose file name names
    one lesson and whose cells are another's is graded as the one it is, with that line.
    ``exercises``: grade only these exercises (grade_ids); the notebooks must be of a lesson that
    has them. ``isolation``: ``auto`` runs each kernel in a sandbox when bubblewrap can make one here
    (else grading goes on, with a warning on stderr and in the report), ``required`` refuses to grade
    without one, ``off`` runs kernels with your rights (see ``isolation.py``).
    """
    fn = "grade_notebooks"
    if isinstance(notebooks, (str, os.PathLike)):
        notebooks = [notebooks]
    roots = _notebook_files(list(notebooks), fn)
    files = list(roots)
    if not files:
        raise ValueError(f"{fn}: notebooks must name at least one notebook, got none")
    timeout = check_positive(fn, "timeout", timeout)
    cell_timeout = check_positive(fn, "cell_timeout", cell_timeout)
    memory = 0 if memory_limit_mb in (None, 0) else check_positive_int(fn, "memory_limit_mb", memory_limit_mb,
                                                                        minimum=256)
    jobs = default_jobs() if jobs is None else check_positive_int(fn, "jobs", jobs)
    if seed is None:
        seed = secrets.randbelow(2 ** 31)
    elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{fn}: seed must be an integer >= 0, got {seed!r}")
    threshold = THRESHOLD if similarity is True else similarity
    if threshold is not False and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                   or not 0 < threshold <= 1):
        raise ValueError(f"{fn}: similarity must be True, False or a threshold in (0, 1], got {similarity!r}")
    folder = Path(solutions) if solutions is not None else _default_solutions()
    if folder is None or not folder.is_dir():
        got = f"{str(folder)!r}, which is not a folder" if folder else "none (there is no ./solutions here)"
        raise ValueError(f"{fn}: solutions must be the folder of the instructor's solution notebooks "
                         f"(--solutions DIR), got {got}")
    lessons, unreadable = nbg.load_lessons(folder)
    if not lessons:
        raise ValueError(f"{fn}: the folder {str(folder)!r} holds no readable notebook with an exercise"
                         + (f" ({'; '.join(unreadable)})" if unreadable else ""))
    expected = None if lesson is None else [_lesson_named(fn, lesson, lessons).name]
    if exercises:
        exercises = list(dict.fromkeys(str(e) for e in exercises))
        holding = [spec.name for spec in lessons if set(exercises) <= spec.grade_ids]
        if expected is not None:
            holding = [name for name in holding if name in expected]
        if not holding:
            where = f" in {expected[0]}" if expected else ""
            raise ValueError(f"{fn}: exercises must be grade_ids of one lesson{where}, got "
                             f"{', '.join(map(repr, exercises))}: no lesson has "
                             f"{'them all' if len(exercises) > 1 else 'it'}")
        expected = holding
    settings = {"solutions": str(folder), "timeout": timeout, "cell_timeout": cell_timeout,
                "memory_mb": memory if memory_limit_supported() else 0, "jobs": jobs, "seed": seed,
                "lessons": [spec.name for spec in lessons], "solution_problems": unreadable,
                "lesson": expected, "accept_other_lessons": bool(accept_other_lessons),
                "exercises": exercises or None}
    if memory and not memory_limit_supported():
        settings["note"] = "the kernel's memory cannot be limited on this system"
    sandbox = choose_isolation(isolation)
    settings["isolation"] = sandbox.detail
    if not sandbox.enabled:
        print(f"grade: WARNING: the kernels are not isolated, isolation: {sandbox.detail}", file=sys.stderr)
    nursery = Nursery(kernel_env(), sandbox, preload=len(files) > 1) \
        if nursery_supported() and (len(files) > 1 or sandbox.enabled) else None
    forking = nursery is not None and nursery.alive
    settings["kernels"] = "forked from a preloaded process" if forking else "started one by one"
    grader = NotebookGrader(lessons, settings, nursery if forking or sandbox.enabled else None, roots)

    async def grade_all():
        gate = asyncio.Semaphore(jobs)

        async def one(path):
            async with gate:
                return await grader.grade(path)
        return await asyncio.gather(*(one(p) for p in files))

    try:
        report = ClassReport(list(_run(grade_all)), settings)
    finally:
        if nursery is not None:
            nursery.close()
    if threshold is not False:
        report.similarity = similar_pairs(report.notebooks, lesson_stubs(folder), float(threshold))
        settings["similarity_threshold"] = float(threshold)
    return report


# --------------------------------------------------------------------------- command line

def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                        help="learners' notebooks, or folders holding them (searched recursively)")
    parser.add_argument("--json", metavar="FILE", help="also write the full report as JSON to FILE")
    parser.add_argument("--csv", metavar="FILE", help="also write one row per learner and exercise to FILE")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"seconds allowed for a whole notebook (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, metavar="S",
                        help=f"seconds allowed for one cell (default {DEFAULT_CELL_TIMEOUT:g})")
    parser.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"address-space limit of each kernel in MiB, 0 for none "
                             f"(default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="notebooks graded at the same time (default: CPUs + 1, at most 8)")
    parser.add_argument("--solutions", metavar="DIR", default=None,
                        help="the instructor's notebooks: exercises and points (default ./solutions)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="draw the hidden cases' random values from N (default: a new seed each run, "
                             "printed in the report, so that a run can be repeated)")
    parser.add_argument("--feedback", metavar="DIR",
                        help="write one Markdown and one HTML file per learner into DIR: verdicts, "
                             "points, the named mistakes and hints, no case values")
    parser.add_argument("--gradebook", metavar="FILE",
                        help="write a CSV with one row per learner, one column per lesson and a total, "
                             "in the layout Moodle's gradebook imports")
    parser.add_argument("--lesson", metavar="NN", default=None,
                        help="the lesson every notebook should be (its number, e.g. 04, or its name): "
                             "a notebook of another lesson is reported and scores 0")
    parser.add_argument("--accept-other-lessons", action="store_true",
                        help="with --lesson: grade a notebook of another lesson as the lesson it is "
                             "(still reported)")
    parser.add_argument("--exercise", action="append", metavar="ID", dest="exercises",
                        help="grade only this exercise (its grade_id); repeat for several")
    parser.add_argument("--isolation", choices=ISOLATION_MODES, default="auto",
                        help="auto (default): run each kernel in a bubblewrap sandbox (its own folder, the "
                             "course read-only, no network) when possible, else warn; required: refuse to "
                             "grade without it; off: learner code runs with your rights")
    parser.add_argument("--no-isolation", dest="isolation", action="store_const", const="off",
                        help="the same as --isolation=off")
    parser.add_argument("--similarity", nargs="?", type=float, const=THRESHOLD, default=None,
                        metavar="SCORE",
                        help=f"list pairs of learners whose exercise cells are nearly identical once "
                             f"names, literals and whitespace are normalised (score from 0 to 1, listed "
                             f"from SCORE, default {THRESHOLD:g}): a pointer, not a verdict")


def _cmd_grade(args: argparse.Namespace) -> int:
    solutions = args.solutions
    if solutions is None and getattr(args, "root", None) not in (None, "."):
        solutions = Path(args.root) / "solutions"
    try:
        report = grade_notebooks(args.notebooks, solutions=solutions, timeout=args.timeout,
                                 cell_timeout=args.cell_timeout, memory_limit_mb=args.memory_limit,
                                 jobs=args.jobs, seed=args.seed,
                                 similarity=False if args.similarity is None else args.similarity,
                                 lesson=args.lesson, accept_other_lessons=args.accept_other_lessons,
                                 exercises=args.exercises, isolation=args.isolation)
    except (ValueError, TypeError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted; the kernels were stopped and no report was written", file=sys.stderr)
        return 130
    print(report.to_text())
    outputs = (("json", report.to_json), ("csv", report.to_csv), ("gradebook", report.to_gradebook))
    for option, text in outputs:
        target = getattr(args, option)
        if target:
            try:
                Path(target).write_text(text(), encoding="utf-8")
            except OSError as exc:
                print(f"grade: could not write --{option} {target}: {exc}", file=sys.stderr)
                return 1
            what = "gradebook (Moodle's CSV layout)" if option == "gradebook" else f"{option.upper()} report"
            print(f"({what} written to {target})")
            if option == "gradebook":
                for note in gradebook(report)[2]:
                    print(f"  ! {note}")
    if args.feedback:
        try:
            written = write_feedback(report, args.feedback)
        except OSError as exc:
            print(f"grade: could not write --feedback {args.feedback}: {exc}", file=sys.stderr)
            return 1
        print(f"(feedback for {len(written) // 2} learner(s) written to {args.feedback}, "
              f"one .md and one .html file each)")
    return 0


_DESCRIPTION = ("Grade learners' notebooks: each runs on a temporary copy in a fresh kernel, each "
                "exercise is found by its grade_id and its function is checked against the reference "
                "in the grader's own process. Prints a report per learner and a class summary.")


def add_grade_command(subparsers) -> argparse.ArgumentParser:
    """Register the ``grade`` command on an ``argparse`` subparsers object; return its parser."""
    parser = subparsers.add_parser("grade", help="grade learners' notebooks", description=_DESCRIPTION)
    _add_arguments(parser)
    parser.set_defaults(func=_cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``grade`` on its own: parse ``argv`` (default ``sys.argv[1:]``), grade, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m backprop_helpers grade", description=_DESCRIPTION)
    _add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:            # argparse exits 2 on a usage error
        return 0 if exc.code in (0, None) else 2
    return _cmd_grade(args)


if __name__ == "__main__":
    sys.exit(main())
