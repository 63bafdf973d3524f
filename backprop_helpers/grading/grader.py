"""Grading one notebook (private helpers of ``grading``): its grade, and the grader that produces it.

``NotebookGrader.grade(path)`` copies the notebook into a new temporary folder (the original is only
read), reads the copy, finds its lesson and exercise cells, runs it in a fresh kernel with the
grader's set-up cell first and one grading cell per exercise last (see ``kernel.py``), and turns
each reply into the check's verdict in this process (``wire.Judge``, on the cases drawn from the
run's seed). When a cell ends the kernel, the notebook is run again without it (at most three runs
in all). The grade also keeps who the learner is (``submissions.learner_id``) and the exercise
cells' sources (for ``similarity``).
"""
from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import submissions as nbg
from .execution import Execution, execute
from .wire import Judge, ReplyError, encode_request, read_reply

__all__ = ["ExerciseGrade", "NotebookGrade", "NotebookGrader", "MAX_NOTEBOOK_MB"]

MAX_NOTEBOOK_MB = 200      # a larger file is reported, not read


@dataclass
class ExerciseGrade:
    """One exercise of one notebook. ``status``: passed, wrong, error, not done, missing, timeout,
    not yours (the cell hands over the course's code), not graded (the run stopped), no check,
    set-up failed (the notebook's set-up cell raised), other lesson (``--lesson`` asked for another).
    ``note``: how it was graded when that is worth saying (its answer moved to a later cell)."""
    grade_id: str
    status: str
    points: float
    max_points: float
    message: str
    mistake: str | None = None
    hint: str | None = None            # the message without any value of a (hidden) case
    used: list = field(default_factory=list)   # "not yours": what the function reached
    note: str | None = None

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
    learner: str = ""
    sources: dict = field(default_factory=dict, repr=False)   # grade_id -> exercise cell source
    setup_failed: str | None = None     # "cell 1 raised ...": the notebook does not run as handed in
    other_lesson: str | None = None     # what says it is another lesson than asked for or named

    @property
    def graded(self) -> bool:
        return self.lesson is not None

    @property
    def score(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_points for e in self.exercises)


class NotebookGrader:
    """Grades notebooks against ``lessons`` with ``settings`` (timeouts, memory); one per grading run,
    so each exercise's reference and mistakes are computed once (``Judge``)."""

    def __init__(self, lessons: list[nbg.LessonSpec], settings: dict, nursery=None, roots=None):
        from ..checks import EXERCISES
        self.lessons, self.settings, self.exercises, self.nursery = lessons, settings, EXERCISES, nursery
        self.judges: dict[str, Judge] = {}
        self.known = {gid for lesson in lessons for gid in lesson.grade_ids}
        self.roots = roots or {}         # notebook path -> the folder it was found in (for learner ids)

    def judge(self, gid: str) -> Judge:
        if gid not in self.judges:
            self.judges[gid] = Judge(self.exercises[gid], self.settings.get("seed"))
        return self.judges[gid]

    async def grade(self, path: Path) -> NotebookGrade:
        start = time.perf_counter()
        workdir = tempfile.mkdtemp(prefix="backprop-grade-")
        try:
            size = path.stat().st_size
            if size > MAX_NOTEBOOK_MB * 2 ** 20:
                raise ValueError(f"the file is {size / 2 ** 20:.0f} MB, more than the grader reads "
                                 f"({MAX_NOTEBOOK_MB} MB)")
            copy = Path(workdir) / path.name
            shutil.copyfile(path, copy)            # the original is only ever read, here
            result = await self._grade_copy(copy, str(path), workdir)
        except (OSError, ValueError) as exc:
            result = NotebookGrade(str(path), None, problems=[f"could not be read: {exc}"])
        except Exception as exc:  # noqa: BLE001 - a bug met on one notebook must not stop the class
            result = NotebookGrade(str(path), None, problems=[f"the grader failed on this notebook "
                                                              f"({type(exc).__name__}: {exc})"])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result.seconds = round(time.perf_counter() - start, 2)
        if not result.learner:
            result.learner = nbg.learner_id(None, path, self.roots.get(path), result.lesson, self.lessons)
        return result

    async def _grade_copy(self, copy: Path, shown: str, workdir: str) -> NotebookGrade:
        nb, problem = nbg.parse(copy.read_bytes(), shown)
        if nb is None:
            return NotebookGrade(shown, None, problems=[problem])
        cells, notes, by_name = nbg.exercise_cells(nb, self.known)
        lesson, how = nbg.identify(set(cells), copy.name, self.lessons, by_name=by_name)
        original = Path(shown)
        learner = nbg.learner_id(nb, original, self.roots.get(original), lesson.name if lesson else None,
                                 self.lessons)
        if lesson is None:
            return NotebookGrade(shown, None, problems=[how] + notes, learner=learner)
        grade = NotebookGrade(shown, lesson.name, problems=notes, identified_by=how, learner=learner)
        expected = self.settings.get("lesson")
        wanted = self.settings.get("exercises")
        if expected and lesson.name not in expected:
            asked = "--exercise " + " ".join(wanted) if wanted else "--lesson"
            grade.other_lesson = (f"a notebook of {lesson.name} ({how}), not of {' or '.join(expected)} "
                                  f"({asked})")
            if not self.settings.get("accept_other_lessons"):
                spec = next(spec for spec in self.lessons if spec.name == expected[0])
                grade.lesson = spec.name
                grade.problems.insert(0, f"OTHER LESSON: {grade.other_lesson}: scored 0 "
                                         f"(--accept-other-lessons grades it as {lesson.name})")
                grade.exercises = [ExerciseGrade(gid, "other lesson", 0, points, f"not graded: the notebook "
                                                 f"is {lesson.name}, not {spec.name}")
                                   for gid, points in spec.exercises if not wanted or gid in wanted]
                return grade
            grade.problems.insert(0, f"OTHER LESSON: {grade.other_lesson}: graded as {lesson.name} "
                                     f"(--accept-other-lessons)")
        elif not expected:
            named = nbg.named_lessons(original.name, self.lessons)
            if named and lesson not in named:
                grade.other_lesson = (f"the file name says {named[0].name}, but the notebook is "
                                      f"{lesson.name} ({how})")
                grade.problems.insert(0, f"OTHER LESSON: {grade.other_lesson}: graded as {lesson.name} "
                                         f"(grade with --lesson to score such a notebook 0)")
        exercises = [(gid, points) for gid, points in lesson.exercises if not wanted or gid in wanted]
        others = sorted(set(cells) - lesson.grade_ids)
        if others:
            grade.problems.append(f"cells with grade_ids of other exercises were ignored: "
                                  f"{', '.join(others)}")
        nonce = secrets.token_hex(16)
        requests, pending, moved, calls = [], {}, {}, {}
        for gid, points in exercises:
            if gid not in self.exercises:
                pending[gid] = ExerciseGrade(gid, "no check", 0, points, f"the course has no check named "
                                             f"{gid!r}; run `python -m backprop_helpers check`")
            elif gid not in cells and nbg.answer_cell(nb, -1, self.judge(gid).exercise.name, lesson) < 0:
                pending[gid] = ExerciseGrade(gid, "missing", 0, points, f"no cell with grade_id "
                                             f"{gid!r} (the exercise cell was deleted?)")
            else:
                judge = self.judge(gid)
                name = judge.exercise.name
                where = nbg.answer_cell(nb, cells.get(gid, -1), name, lesson)
                if gid not in cells:
                    moved[gid] = (f"graded from cell {where}, which defines {name}: the exercise cell "
                                  f"(grade_id {gid!r}) is gone")
                elif where != cells[gid]:
                    moved[gid] = (f"graded from cell {where}, which defines {name} again below its "
                                  f"exercise cell {cells[gid]}")
                source = nb.cells[where].source
                grade.sources[gid] = source
                calls[gid] = (name, source)
                requests.append((gid, encode_request(gid, judge.exercise, source, judge.blob, judge.seed)))
        if requests:
            setup = await self._run(nb, nonce, requests, dict(exercises), pending, grade.problems, workdir,
                                    calls)
            if setup:
                grade.setup_failed = setup
                grade.problems.insert(0, f"SET-UP FAILED: {setup}: the notebook does not run as handed in, "
                                         f"so it scores 0 (each exercise's own verdict is in its message)")
        for gid, note in moved.items():
            pending[gid].note = note
            grade.problems.append(f"the answer to {gid} was moved: {note}")
        grade.exercises = [pending[gid] for gid, _ in exercises]
        if grade.setup_failed:
            grade.exercises = [_setup_failed(ex, grade.setup_failed) for ex in grade.exercises]
        return grade

    async def _run(self, nb, nonce: str, requests: list, points: dict, graded: dict, problems: list,
                   workdir: str, calls: dict) -> str | None:
        """Run the notebook and grade ``requests`` into ``graded``; return what made its set-up fail
        ("cell 1 raised ImportError: ..."), or None. When a cell ends the kernel (``os._exit``, a
        crash), run it again in a fresh kernel without that cell, at most 3 runs in all; an exercise
        whose function ends the kernel scores 0, and the others are still graded."""
        skip: set[int] = set()
        setup = None
        for attempt in range(3):
            runnable, origin, harness = nbg.runnable(nb, nonce, requests, skip=skip)
            run = await execute(runnable, workdir, harness=set(harness), memory_mb=self.settings["memory_mb"],
                                cell_timeout=self.settings["cell_timeout"], timeout=self.settings["timeout"],
                                nursery=self.nursery, calls={i: calls[gid] for i, gid in harness.items()})
            problems += [p for p in _run_problems(run, origin, self.settings) if p not in problems]
            setup = setup or next((f"cell {origin[i]} raised {text}" for i, text in run.errors
                                   if i in origin and i not in run.timed_out     # a time limit is not
                                   and nbg.setup_failure(nb, origin[i], text)), None)  # a broken set-up
            died = run.died_in
            again = died is not None and died > 0 and attempt < 2
            for i, gid in harness.items():
                if not again or i < died:
                    graded[gid] = self._exercise(gid, points[gid], run.replies.get(i), nonce, run, harness,
                                                 origin)
                elif i == died:
                    graded[gid] = ExerciseGrade(gid, "error", 0, points[gid], f"calling {gid} ended the "
                                                "kernel (os._exit, a crash, or killed)")
            if not again:
                if died is not None:
                    problems.append(f"the kernel died while running {_where(died, origin)} (os._exit, a "
                                    f"crash, or killed); exercises after that point were not graded")
                return setup
            if died in origin:
                skip.add(origin[died])
                problems.append(f"cell {origin[died]} ended the kernel (os._exit, a crash, or killed); "
                                f"the notebook was run again in a fresh kernel without that cell")
            requests = [(gid, text) for gid, text in requests if gid not in graded]
            if not requests:
                return setup
        return setup

    def _exercise(self, gid: str, points: float, data, nonce: str, run: Execution,
                  harness: dict[int, str], origin: dict[int, int]) -> ExerciseGrade:
        judge = self.judge(gid)
        if data is None:
            cell = next(i for i, g in harness.items() if g == gid)
            status = "timeout" if cell in run.skipped else "not graded"
            return ExerciseGrade(gid, status, 0, points, _no_reply(gid, run, harness, origin))
        try:
            reply = read_reply(data, nonce, gid, judge.count)
        except ReplyError as exc:
            return ExerciseGrade(gid, "error", 0, points, f"the grader refused the kernel's answer: {exc}")
        if reply["status"] in ("missing", "not yours", "timeout", "error"):
            return ExerciseGrade(gid, reply["status"], 0, points, reply["detail"], hint=reply["detail"])
        try:
            outputs = None if reply["status"] == "not done" else reply["outputs"]
            verdict = judge.verdict(outputs, reply["used"])
        except Exception as exc:  # noqa: BLE001 - outputs the comparison cannot handle are a failure
            return ExerciseGrade(gid, "error", 0, points, f"the outputs could not be compared with the "
                                 f"reference ({type(exc).__name__}: {exc})", hint="the outputs could not "
                                 f"be compared with the reference ({type(exc).__name__})")
        message, hint, mistake = verdict.message, verdict.hint, verdict.mistake
        if verdict.status == "wrong" and mistake is None and outputs is not None and \
                all_zero(outputs) and not all_zero(judge.reference_outputs()):
            mistake = ZERO_OUTPUTS
            message, hint = _zero_words(message), _zero_words(hint or message)
        return ExerciseGrade(gid, verdict.status, points if verdict.passed else 0, points,
                             message, mistake, hint=hint, used=list(verdict.used))


ZERO_OUTPUTS = "every output is 0"
_FACTOR = ". Every value is 0 times the expected one: a constant factor is off"


def _zero_words(text: str) -> str:
    """The check's words for a wrong output, saying that every output is 0 (not a constant factor)."""
    text = text.replace(_FACTOR, "")
    if "Every value is 0:" in text:        # the check says so itself
        return text
    head, sep, tail = text.rpartition(" (case '")
    if not sep:
        head, tail = text.rstrip("."), ""
    return (f"{head}. Every value it returns is 0, on every case, where the expected ones are not: "
            f"the result is never computed or never stored (an array made with np.zeros that is not "
            f"filled, a return before the work, or the work done on a copy)" + (f" (case '{tail}" if sep else ""))


def all_zero(outputs) -> bool:
    """Whether ``outputs`` hold numbers (booleans aside), every one of them 0."""
    found = []

    def walk(value) -> bool:
        if isinstance(value, dict):
            return all(walk(v) for v in value.values())
        if isinstance(value, (tuple, list)):
            return all(walk(v) for v in value)
        if isinstance(value, (bool, np.bool_)) or value is None:
            return True
        if isinstance(value, (int, float, complex, np.number, np.ndarray)):
            array = np.asarray(value)
            if array.dtype.kind not in "iufc":
                return array.dtype.kind == "b"
            found.append(array.size)
            return not np.any(array)
        return False          # an error raised, an object: not a zero output
    return walk(outputs) and sum(found) > 0


def _setup_failed(ex: ExerciseGrade, why: str) -> ExerciseGrade:
    if ex.status in ("missing", "no check"):
        return ex
    own = "it passes" if ex.passed else f"{ex.status}: {ex.message}" if ex.message else ex.status
    return ExerciseGrade(ex.grade_id, "set-up failed", 0, ex.max_points,
                         f"not scored: the notebook's set-up failed ({why}); the function on its own: {own}",
                         ex.mistake, hint=f"not scored: the notebook's set-up cell failed, so the notebook "
                         f"does not run as handed in; the function on its own: "
                         f"{'it passes' if ex.passed else ex.hint or ex.status}",
                         used=ex.used, note=ex.note)


def _no_reply(gid: str, run: Execution, harness: dict[int, str], origin: dict[int, int]) -> str:
    cell = next(i for i, g in harness.items() if g == gid)
    if cell in run.skipped:
        names = run.skipped[cell]
        at = run.hung.get(names[0], -1)
        where = f"cell {origin[at]}" if at in origin else f"grading {harness[at]}" if at in harness \
            else "an earlier cell"
        return (f"{gid} was not graded: {', '.join(names)} did not return within --cell-timeout in "
                f"{where}, so grading it was skipped rather than run into the limit again")
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
    if i in origin:
        return f"cell {origin[i]}"
    return "the grader's set-up cell" if i == 0 else "a grading cell"


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
                 f"interrupted" + (f" (in {', '.join(n for n, at in run.hung.items() if at == i)})"
                                   if i in run.hung.values() else "") for i in run.timed_out if i in origin]
    skipped: dict[tuple, list[int]] = {}
    for i, names in run.skipped.items():
        if i in origin:
            skipped.setdefault(tuple(names), []).append(origin[i])
    for names, cells in skipped.items():
        at = run.hung.get(names[0], -1)
        problems.append(f"cell{'s' * (len(cells) > 1)} {', '.join(map(str, cells))} "
                        f"{'were' if len(cells) > 1 else 'was'} skipped: "
                        f"{'they call' if len(cells) > 1 else 'it calls'} {', '.join(names)}, which did not "
                        f"return within {settings['cell_timeout']:g} s in {where(at)}")
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
