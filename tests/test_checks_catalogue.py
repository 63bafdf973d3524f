"""Every exercise check: the reference passes, an unfinished exercise is "not done", and every
catalogued mistake is recognised and named."""
from __future__ import annotations

import pytest

from backprop_helpers.checks import EXERCISES

MISTAKES = [(ex_name, m) for ex_name, ex in EXERCISES.items() for m in ex.mistakes]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_passes(name):
    result = EXERCISES[name].run(EXERCISES[name].reference)
    assert result.passed, result.message
    assert result.message.startswith("✔")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_unfinished_exercise_is_not_done(name):
    def unfinished(*args, **kwargs):
        # YOUR CODE HERE
        raise NotImplementedError()
    result = EXERCISES[name].run(unfinished)
    assert result.status == "not done"
    assert "not done yet" in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_failed_check_hands_back_the_reference(name, capsys):
    ex = EXERCISES[name]

    def unfinished(*args, **kwargs):
        raise NotImplementedError()
    assert ex.check(unfinished) is ex.reference
    assert "Carrying on with the reference" in capsys.readouterr().out
    assert ex.check(ex.reference) is ex.reference


@pytest.mark.parametrize("exercise, mistake", MISTAKES,
                         ids=[f"{e}: {m.name}" for e, m in MISTAKES])
def test_catalogued_mistake_is_named(exercise, mistake):
    result = EXERCISES[exercise].run(mistake.impl)
    assert not result.passed
    assert result.mistake == mistake.name, result.message
    assert mistake.explanation in result.message


def test_a_non_function_is_explained():
    result = EXERCISES["linear_forward"].run(42)
    assert result.status == "error" and "Pass the function itself" in result.message
