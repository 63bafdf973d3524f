"""Learners' answers, right and wrong, replayed against the checks (see ``tests/replay/harness.py``).

The answers were written from the lesson text alone by a writer who had not read the checks or the
solutions. Every wrong answer must be caught, nearly every one with its cause named, and every correct
answer must pass. ``python tests/replay/harness.py`` prints the table of every answer and verdict.
"""
from __future__ import annotations

import pytest

from backprop_helpers.checks import EXERCISES
from tests.replay import harness

#: the share of wrong answers whose verdict must name a cause (``CheckResult.mistake``)
NAMED_AT_LEAST = 0.90


@pytest.fixture(scope="module")
def outcomes():
    return harness.replay_all()


def test_the_answers_cover_every_exercise_with_enough_slips():
    answers = [a for lesson in harness.LESSONS for a in harness.load_answers(lesson)]
    assert {a["exercise"] for a in answers if a["kind"] == "correct"} == set(EXERCISES)
    assert sum(a["kind"] == "wrong" for a in answers) >= 150
    assert all(a["slip"] for a in answers if a["kind"] == "wrong")


def test_every_answer_runs(outcomes):
    broken = [o for o in outcomes if o.status == "answer broken"]
    assert not broken, [(o.exercise, o.slip, o.message) for o in broken]


def test_no_wrong_answer_passes(outcomes):
    missed = [(o.lesson, o.exercise, o.slip) for o in outcomes if o.verdict == "missed"]
    assert not missed, f"{len(missed)} wrong answers passed their check: {missed}"


def test_no_correct_answer_fails(outcomes):
    alarms = [(o.lesson, o.exercise, o.kind, o.message) for o in outcomes if o.verdict == "false alarm"]
    assert not alarms, f"{len(alarms)} correct answers failed their check: {alarms}"


def test_nearly_every_wrong_answer_gets_its_cause_named(outcomes):
    wrong = [o for o in outcomes if o.kind == "wrong"]
    named = [o for o in wrong if o.verdict == "named"]
    generic = [(o.lesson, o.exercise, o.slip) for o in wrong if o.verdict == "generic"]
    print(harness.summary(outcomes))
    assert len(named) / len(wrong) >= NAMED_AT_LEAST, (harness.summary(outcomes), generic)


def test_a_named_verdict_says_what_to_do(outcomes):
    """A named cause comes with its explanation: never a bare identifier."""
    short = [(o.exercise, o.mistake, o.message) for o in outcomes
             if o.verdict == "named" and len(o.message) < 60]
    assert not short, short
