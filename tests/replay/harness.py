"""Replay learners' answers against the course's checks and sort every verdict.

The answers (``answers_lessonNN.py`` beside this file) were written from the lesson text alone, by a
writer who had not read the checks or the solutions: for each exercise a correct answer (sometimes
a second one written with loops) and the wrong answers learners plausibly write. Each answer is the
whole content of an exercise cell.

A lesson is replayed the way a learner meets it: the solution notebook's code cells run in order in
one namespace (magics dropped, figures drawn off screen, printing swallowed). Just before an
exercise's own cell runs, each answer to that exercise is executed in a copy of the namespace (so it
sees exactly what the learner's cell would see: the lesson's imports, its given classes, the earlier
exercises solved) and the exercise's check judges the function it defines.

Each verdict falls in one class:

``named``        a wrong answer whose verdict names a cause (``CheckResult.mistake`` is set)
``generic``      a wrong answer caught, but only with a location ("differs", a raw error)
``missed``       a wrong answer that passed: the worst outcome
``passed``       a correct answer that passed
``false alarm``  a correct answer that failed

Run ``python tests/replay/harness.py`` for the table of every answer and its verdict.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import linecache
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LESSONS = ("01", "02", "03", "04", "05", "06", "07", "09", "10", "11")
_ANSWER_NUMBERS = itertools.count(1)
_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class Outcome:
    """One answer and the check's verdict on it."""
    lesson: str
    exercise: str
    kind: str          # "correct", "correct-loops" or "wrong"
    slip: str
    status: str        # the check's status, or "answer broken" when the answer's cell itself failed
    mistake: str | None
    message: str

    @property
    def verdict(self) -> str:
        if self.kind == "wrong":
            if self.status == "passed":
                return "missed"
            return "named" if self.mistake else "generic"
        return "passed" if self.status == "passed" else "false alarm"


def load_answers(lesson: str) -> list[dict]:
    """The answers to ``lesson``'s exercises, from ``answers_lessonNN.py``."""
    path = HERE / f"answers_lesson{lesson}.py"
    spec = importlib.util.spec_from_file_location(f"replay_answers_lesson{lesson}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.ANSWERS)


def _solution(lesson: str) -> Path:
    (path,) = sorted((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    return path


def _runnable(source: str) -> str:
    """A cell's source without IPython's magics and shell escapes (``%matplotlib``, ``!pip``)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _exercise_of(source: str, exercises) -> str | None:
    if "### BEGIN SOLUTION" not in source:
        return None
    for name in _DEF.findall(source):
        if name in exercises:
            return name
    return None


def replay_lesson(lesson: str, answers: list[dict] | None = None) -> list[Outcome]:
    """Replay ``answers`` (by default the stored ones) to ``lesson``'s exercises; one Outcome each."""
    from backprop_helpers.checks import EXERCISES

    answers = load_answers(lesson) if answers is None else answers
    pending: dict[str, list[dict]] = {}
    for answer in answers:
        pending.setdefault(answer["exercise"], []).append(answer)
    unknown = sorted(set(pending) - set(EXERCISES))
    if unknown:
        raise ValueError(f"replay_lesson: lesson {lesson} has answers to unknown exercises {unknown}")

    notebook = nbformat.read(_solution(lesson), as_version=4)
    namespace: dict = {"__name__": "__main__"}
    outcomes: list[Outcome] = []
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, cell in enumerate(notebook.cells):
            if not pending:
                break
            if cell.cell_type != "code":
                continue
            source = _runnable(cell.source)
            name = _exercise_of(source, EXERCISES)
            if name is not None and name in pending:
                for answer in pending.pop(name):
                    outcomes.append(_judge(lesson, name, answer, namespace, EXERCISES[name]))
            exec(compile(source, f"<{_solution(lesson).name} cell {index}>", "exec"), namespace)
            matplotlib.pyplot.close("all")
    if pending:
        raise ValueError(f"replay_lesson: no exercise cell in lesson {lesson} for {sorted(pending)}")
    return outcomes


def _judge(lesson, name, answer, namespace, exercise) -> Outcome:
    trial = dict(namespace)
    filename = f"<answer {next(_ANSWER_NUMBERS)} to {name}>"
    # as IPython does for a cell: the source stays readable (inspect.getsource, tracebacks)
    linecache.cache[filename] = (len(answer["code"]), None, answer["code"].splitlines(True), filename)
    try:
        exec(compile(answer["code"], filename, "exec"), trial)
        fn = trial[name]
    except Exception as exc:  # noqa: BLE001 - a broken answer is reported, not raised
        return Outcome(lesson, name, answer["kind"], answer["slip"], "answer broken", None,
                       f"{type(exc).__name__}: {exc}")
    result = exercise.run(fn)
    return Outcome(lesson, name, answer["kind"], answer["slip"], result.status, result.mistake,
                   result.message)


def replay_all(lessons=LESSONS) -> list[Outcome]:
    outcomes = []
    for lesson in lessons:
        outcomes += replay_lesson(lesson)
    return outcomes


def tally(outcomes) -> dict:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
    return counts


def table(outcomes) -> str:
    """A Markdown table of every answer: lesson, exercise, kind, the slip, verdict, mistake, message."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")
    lines = ["| lesson | exercise | kind | slip | verdict | mistake | message |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for o in outcomes:
        lines.append(f"| {o.lesson} | {o.exercise} | {o.kind} | {cell(o.slip)} | {o.verdict} | "
                     f"{cell(o.mistake or '')} | {cell(o.message)} |")
    return "\n".join(lines)


def summary(outcomes) -> str:
    wrong = [o for o in outcomes if o.kind == "wrong"]
    right = [o for o in outcomes if o.kind != "wrong"]
    c = tally(outcomes)
    named, generic, missed = c.get("named", 0), c.get("generic", 0), c.get("missed", 0)
    return (f"{len(wrong)} wrong answers: {named} named ({100 * named / max(len(wrong), 1):.1f} %), "
            f"{generic} generic, {missed} missed (passed); {len(right)} correct answers: "
            f"{c.get('passed', 0)} passed, {c.get('false alarm', 0)} false alarms")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    chosen = tuple(sys.argv[1:]) or LESSONS
    everything = replay_all(chosen)
    print(table(everything))
    print()
    print(summary(everything))
