"""Grade learners' notebooks: ``python -m backprop_helpers grade NOTEBOOK... [--json F] [--csv F]``.

For each notebook (a file, or every ``.ipynb`` under a folder):

1. the original is read once and never written; a temporary copy is made in a new temporary
   folder, which is also the kernel's working folder;
2. its exercises are found by the cells' ``nbgrader.grade_id`` (set by ``build``), wherever the
   learner moved them; the lesson is the one whose grade_ids it shares most (the file name does
   not matter, unless no exercise cell is left); points come from the instructor's notebooks
   (``--solutions``, default ``./solutions``), 1 when a cell sets none;
3. it runs in a fresh kernel with limits (``--cell-timeout``, ``--timeout``, ``--memory-limit``):
   the grader's set-up cell first, the learner's code cells, then one grading cell per exercise.
   The grading cell runs the exercise cell's source again and calls the function it defines on the
   grader's own cases (see ``_grade_kernel``);
4. the outputs come back as plain data (``_grade_wire.restricted_loads``), and the check's verdict
   (passed, or the named mistake) is computed **here**, against the grader's reference. Whatever
   the notebook patches in its kernel (the checks, the reference, numpy, ``print``), it can only
   change what its own function returns, never the verdict.

A notebook that cannot be read or run (invalid JSON, another nbformat, a kernel that dies, an
infinite loop, a memory hog, gigabytes of output) gets its line in the report; the others are graded
all the same. Exit status: 0 when grading ran, whatever the scores; 1 on a usage error.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import _grade_notebook as nbg
from ._grade_exec import Execution, execute, memory_limit_supported
from ._grade_report import summary, to_csv, to_json, to_text
from ._grade_wire import Judge, ReplyError, encode_request, read_reply
from ._validate import check_positive, check_positive_int

__all__ = ["ExerciseGrade", "NotebookGrade", "ClassReport", "grade_notebooks", "add_grade_command",
           "main", "DEFAULT_TIMEOUT", "DEFAULT_CELL_TIMEOUT", "DEFAULT_MEMORY_MB"]

DEFAULT_TIMEOUT = 300.0        # seconds for a whole notebook
DEFAULT_CELL_TIMEOUT = 60.0    # seconds for one cell (and for grading one exercise)
DEFAULT_MEMORY_MB = 2048       # address space of one kernel; a lesson's kernel peaks near 1 GiB


@dataclass
class ExerciseGrade:
    """One exercise of one notebook. ``status``: passed, wrong, error, not done, missing, timeout,
    not yours (the cell hands over the course's code), not graded (the run stopped), no check."""
    grade_id: str
    status: str
    points: float
    max_points: float
    message: str
    mistake: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class NotebookGrade:
    """One learner's notebook: its lesson (None if unknown), exercises and notebook-level problems."""
    path: str
    lesson: str | None
    exercises: list[ExerciseGrade] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    identified_by: str = ""
    seconds: float = 0.0

    @property
    def graded(self) -> bool:
        return self.lesson is not None

    @property
    def score(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_points for e in self.exercises)


@dataclass
class ClassReport:
    """Every notebook's grade, the settings used, and the class summary (``summary()``)."""
    notebooks: list[NotebookGrade]
    settings: dict

    def summary(self) -> dict:
        return summary(self)

    def to_text(self) -> str:
        return to_text(self)

    def to_json(self) -> str:
        return to_json(self)

    def to_csv(self) -> str:
        return to_csv(self)


# --------------------------------------------------------------------------- one notebook

class _Grader:
    def __init__(self, lessons: list[nbg.LessonSpec], settings: dict):
        from .checks import EXERCISES
        self.lessons, self.settings, self.exercises = lessons, settings, EXERCISES
        self.judges: dict[str, Judge] = {}
        self.known = {gid for lesson in lessons for gid in lesson.grade_ids}

    def judge(self, gid: str) -> Judge:
        if gid not in self.judges:
            self.judges[gid] = Judge(self.exercises[gid])
        return self.judges[gid]

    async def grade(self, path: Path) -> NotebookGrade:
        start = time.perf_counter()
        workdir = tempfile.mkdtemp(prefix="backprop-grade-")
        try:
            copy = Path(workdir) / path.name
            shutil.copyfile(path, copy)            # the original is only ever read, here
            result = await self._grade_copy(copy, str(path), workdir)
        except OSError as exc:
            result = NotebookGrade(str(path), None, problems=[f"could not be read: {exc}"])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result.seconds = round(time.perf_counter() - start, 2)
        return result

    async def _grade_copy(self, copy: Path, shown: str, workdir: str) -> NotebookGrade:
        nb, problem = nbg.parse(copy.read_bytes(), shown)
        if nb is None:
            return NotebookGrade(shown, None, problems=[problem])
        cells, notes = nbg.exercise_cells(nb, self.known)
        lesson, how = nbg.identify(set(cells), copy.name, self.lessons)
        if lesson is None:
            return NotebookGrade(shown, None, problems=[how] + notes)
        grade = NotebookGrade(shown, lesson.name, problems=notes, identified_by=how)
        others = sorted(set(cells) - lesson.grade_ids)
        if others:
            grade.problems.append(f"cells with grade_ids of other exercises were ignored: {', '.join(others)}")
        nonce = secrets.token_hex(16)
        requests, pending = [], {}
        for gid, points in lesson.exercises:
            if gid not in self.exercises:
                pending[gid] = ExerciseGrade(gid, "no check", 0, points, f"the course has no check named "
                                             f"{gid!r}; run `python -m backprop_helpers check`")
            elif gid not in cells:
                pending[gid] = ExerciseGrade(gid, "missing", 0, points, f"no cell with grade_id "
                                             f"{gid!r} (the exercise cell was deleted?)")
            else:
                judge = self.judge(gid)
                requests.append((gid, encode_request(gid, judge.exercise, nb.cells[cells[gid]].source,
                                                     judge.blob)))
        if requests:
            await self._run(nb, nonce, requests, dict(lesson.exercises), pending, grade.problems, workdir)
        grade.exercises = [pending[gid] for gid, _ in lesson.exercises]
        return grade

    async def _run(self, nb, nonce: str, requests: list, points: dict, graded: dict, problems: list,
                   workdir: str) -> None:
        """Run the notebook and grade ``requests`` into ``graded``. When a cell ends the kernel
        (``os._exit``, a crash), run it again in a fresh kernel without that cell, at most 3 runs in
        all; an exercise whose function ends the kernel scores 0, and the others are still graded."""
        skip: set[int] = set()
        for attempt in range(3):
            runnable, origin, harness = nbg.runnable(nb, nonce, requests, skip=skip)
            run = await execute(runnable, workdir, harness=set(harness), memory_mb=self.settings["memory_mb"],
                                cell_timeout=self.settings["cell_timeout"], timeout=self.settings["timeout"])
            problems += [p for p in _run_problems(run, origin, self.settings) if p not in problems]
            died = run.died_in
            again = died is not None and died > 0 and attempt < 2
            for i, gid in harness.items():
                if not again or i < died:
                    graded[gid] = self._exercise(gid, points[gid], run.replies.get(i), nonce, run, harness)
                elif i == died:
                    graded[gid] = ExerciseGrade(gid, "error", 0, points[gid], f"calling {gid} ended the "
                                                "kernel (os._exit, a crash, or killed)")
            if not again:
                if died is not None:
                    problems.append(f"the kernel died while running {_where(died, origin)} (os._exit, a "
                                    f"crash, or killed); exercises after that point were not graded")
                return
            if died in origin:
                skip.add(origin[died])
                problems.append(f"cell {origin[died]} ended the kernel (os._exit, a crash, or killed); "
                                f"the notebook was run again in a fresh kernel without that cell")
            requests = [(gid, text) for gid, text in requests if gid not in graded]
            if not requests:
                return

    def _exercise(self, gid: str, points: float, data, nonce: str, run: Execution,
                  harness: dict[int, str]) -> ExerciseGrade:
        judge = self.judge(gid)
        if data is None:
            return ExerciseGrade(gid, "not graded", 0, points, _no_reply(gid, run, harness))
        try:
            reply = read_reply(data, nonce, gid, len(judge.exercise.cases()))
        except ReplyError as exc:
            return ExerciseGrade(gid, "error", 0, points, f"the grader refused the kernel's answer: {exc}")
        if reply["status"] in ("missing", "not yours", "timeout", "error"):
            return ExerciseGrade(gid, reply["status"], 0, points, reply["detail"])
        try:
            verdict = judge.verdict(None if reply["status"] == "not done" else reply["outputs"])
        except Exception as exc:  # noqa: BLE001 - outputs the comparison cannot handle are a failure
            return ExerciseGrade(gid, "error", 0, points, f"the outputs could not be compared with the "
                                 f"reference ({type(exc).__name__}: {exc})")
        return ExerciseGrade(gid, verdict.status, points if verdict.passed else 0, points,
                             verdict.message, verdict.mistake)


def _no_reply(gid: str, run: Execution, harness: dict[int, str]) -> str:
    cell = next(i for i, g in harness.items() if g == gid)
    if run.failure:
        return f"the kernel could not run ({run.failure})"
    if run.died_in is not None and run.died_in <= cell:
        return "the kernel died before this exercise could be graded"
    if run.stopped_in is not None and run.stopped_in <= cell:
        return "the notebook ran out of time (--timeout) before this exercise was graded"
    if cell in run.timed_out:
        return "grading this exercise took longer than --cell-timeout"
    errors = [text for i, text in run.errors if i == cell]
    why = f" ({errors[0]})" if errors else ""
    return f"the grading cell sent no answer; the notebook may have undone the grader's set-up{why}"


def _where(i: int, origin: dict[int, int]) -> str:
    return f"cell {origin[i]}" if i in origin else ("the grader's set-up cell" if i == 0 else "a grading cell")


def _run_problems(run: Execution, origin: dict[int, int], settings: dict) -> list[str]:
    """Lines for the report: what went wrong while running the notebook (a death is reported by
    the caller, which may run the notebook again)."""
    def where(i: int) -> str:
        return _where(i, origin)
    problems = []
    if run.failure:
        problems.append(f"the kernel could not run: {run.failure}")
    if run.stopped_in is not None:
        problems.append(f"stopped after {settings['timeout']:g} s (--timeout) while running "
                        f"{where(run.stopped_in)}")
    problems += [f"{where(i)} ran for more than {settings['cell_timeout']:g} s (--cell-timeout) and was "
                 f"interrupted" for i in run.timed_out if i in origin]
    errors = [(i, text) for i, text in run.errors if i in origin and not
              (i in run.timed_out and text.startswith("KeyboardInterrupt"))]
    for i, text in errors[:5]:
        limit = f" (the kernel's memory limit is {settings['memory_mb']} MiB)" if text.startswith(
            "MemoryError") and settings["memory_mb"] else ""
        problems.append(f"{where(i)} raised {text}{limit}")
    if len(errors) > 5:
        problems.append(f"... and {len(errors) - 5} more cells raised errors")
    if run.output_chars > 10 ** 6:
        problems.append(f"produced {run.output_chars / 1e6:.1f} million characters of output "
                        f"(nothing of it was kept)")
    return problems


# --------------------------------------------------------------------------- the class

def _notebook_files(paths: list[str | os.PathLike], fn: str) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ipynb") if p.is_file() and ".ipynb_checkpoints"
                           not in p.parts and not p.name.startswith("."))
            if not found:
                raise ValueError(f"{fn}: the folder {str(path)!r} holds no .ipynb notebook")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{fn}: notebooks must be existing files or folders, got {str(path)!r} "
                             f"(no such file or folder)")
    return list(dict.fromkeys(files))


def _default_solutions() -> Path | None:
    for candidate in (Path("solutions"), Path(__file__).resolve().parent.parent / "solutions"):
        if candidate.is_dir():
            return candidate
    return None


def _run(coroutine):
    """Run ``coroutine`` to its end, also from inside a running event loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(value=asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return box["value"]


def grade_notebooks(notebooks, *, solutions: str | os.PathLike | None = None,
                    timeout: float = DEFAULT_TIMEOUT, cell_timeout: float = DEFAULT_CELL_TIMEOUT,
                    memory_limit_mb: int | None = DEFAULT_MEMORY_MB, jobs: int | None = None) -> ClassReport:
    """Grade ``notebooks`` (paths of files, or folders searched for ``*.ipynb``) and return the report.

    ``solutions``: the instructor's notebooks defining the lessons' exercises and points (default
    ``./solutions``, else the course's own). ``timeout`` / ``cell_timeout``: seconds for a whole
    notebook / for one cell. ``memory_limit_mb``: each kernel's address-space limit in MiB (0 or
    None: no limit). ``jobs``: notebooks graded at once (default: the number of CPUs, at most 4).
    """
    fn = "grade_notebooks"
    if isinstance(notebooks, (str, os.PathLike)):
        notebooks = [notebooks]
    files = _notebook_files(list(notebooks), fn)
    if not files:
        raise ValueError(f"{fn}: notebooks must name at least one notebook, got none")
    timeout = check_positive(fn, "timeout", timeout)
    cell_timeout = check_positive(fn, "cell_timeout", cell_timeout)
    memory = 0 if memory_limit_mb in (None, 0) else check_positive_int(fn, "memory_limit_mb", memory_limit_mb,
                                                                        minimum=256)
    jobs = min(os.cpu_count() or 1, 4) if jobs is None else check_positive_int(fn, "jobs", jobs)
    folder = Path(solutions) if solutions is not None else _default_solutions()
    if folder is None or not folder.is_dir():
        raise ValueError(f"{fn}: solutions must be the folder of the instructor's notebooks, got "
                         f"{str(folder) if folder else 'none (no ./solutions here)'!r}")
    lessons = nbg.load_lessons(folder)
    if not lessons:
        raise ValueError(f"{fn}: the folder {str(folder)!r} holds no notebook with an exercise")
    settings = {"solutions": str(folder), "timeout": timeout, "cell_timeout": cell_timeout,
                "memory_mb": memory if memory_limit_supported() else 0, "jobs": jobs}
    if memory and not memory_limit_supported():
        settings["note"] = "the kernel's memory cannot be limited on this system"
    grader = _Grader(lessons, settings)

    async def grade_all():
        gate = asyncio.Semaphore(jobs)

        async def one(path):
            async with gate:
                return await grader.grade(path)
        return await asyncio.gather(*(one(p) for p in files))

    return ClassReport(list(_run(grade_all())), settings)


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
                        help="notebooks graded at the same time (default: CPUs, at most 4)")
    parser.add_argument("--solutions", metavar="DIR", default=None,
                        help="the instructor's notebooks: exercises and points (default ./solutions)")


def _cmd_grade(args: argparse.Namespace) -> int:
    solutions = args.solutions
    if solutions is None and getattr(args, "root", None) not in (None, "."):
        solutions = Path(args.root) / "solutions"
    try:
        report = grade_notebooks(args.notebooks, solutions=solutions, timeout=args.timeout,
                                 cell_timeout=args.cell_timeout, memory_limit_mb=args.memory_limit,
                                 jobs=args.jobs)
    except (ValueError, TypeError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    print(report.to_text())
    for option, text in (("json", report.to_json), ("csv", report.to_csv)):
        target = getattr(args, option)
        if target:
            try:
                Path(target).write_text(text(), encoding="utf-8")
            except OSError as exc:
                print(f"grade: could not write --{option} {target}: {exc}", file=sys.stderr)
                return 1
            print(f"({option.upper()} report written to {target})")
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
    except SystemExit as exc:            # argparse exits 2 on a usage error; this command says 1
        return 0 if exc.code in (0, None) else 1
    return _cmd_grade(args)


if __name__ == "__main__":
    sys.exit(main())
