"""Every exercise check: the reference passes, an unfinished exercise is "not done", and every
catalogued mistake is recognised and named."""
from __future__ import annotations

import pytest

from backprop_helpers.checks import (EXERCISES, lesson01_forward_pass, lesson02_loss, lesson03_derivatives,
                                     lesson04_backward_pass)
from backprop_helpers.checks.effects import explains

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


#: the catalogue of classic mistakes the lessons promise to recognise by name
PROMISED = [
    "dW transposed", "db not summed over the batch", "db averaged instead of summed",
    "dX without W transposed", "upstream gradient ignored", "ReLU mask taken from dout instead of the input",
    "mask inverted", "sigmoid derivative computed from the input instead of the output",
    "tanh derivative as 1 - x**2 of the input",
    "softmax without subtracting the max (overflow on large logits)",
    "cross-entropy gradient not divided by N", "cross-entropy gradient sign flipped",
    "labels used as one-hot without conversion", "MSE missing the factor 2", "MSE averaged over the wrong axis",
    "gradient descent adding the gradient", "learning rate applied twice",
    "momentum velocity not kept between steps", "mini-batches shuffling X and y separately",
    "last partial batch dropped", "backward through the layers in forward order",
    "forward and central difference mixed up",
    "relative error without the max/abs guard (division by zero)",
]


@pytest.mark.parametrize("name", PROMISED)
def test_every_promised_mistake_has_a_named_diagnosis(name):
    exercises = [e for e, m in MISTAKES if m.name == name]
    assert exercises, f"no exercise recognises {name!r}"
    for exercise in exercises:
        mistake = next(m for m in EXERCISES[exercise].mistakes if m.name == name)
        assert EXERCISES[exercise].run(mistake.impl).mistake == name


#: the slips of lessons 01-04 that are recognised by their effect (``checks.effects``), however written
PROMISED_EFFECTS = [
    ("mean_squared_error", "MSE averaged over the wrong axis"), ("softmax", "keepdims forgotten"),
    ("cross_entropy", "labels shifted by one"), ("softmax_cross_entropy", "labels shifted by one"),
    ("cross_entropy", "cross-entropy minus sign missing"), ("binary_cross_entropy", "minus sign missing"),
    ("binary_cross_entropy", "p and 1 - p swapped"), ("rel_error", "np.max instead of np.maximum"),
    ("relu", "np.max instead of np.maximum"), ("linear_backward", "dW divided by N"),
    ("tanh_backward", "(1 - out)**2 instead of 1 - out**2"), ("linear_backward", "db has the wrong shape"),
    ("linear_forward", "bias of the wrong shape"), ("sigmoid_backward", "upstream gradient ignored"),
    ("tanh_backward", "tanh applied to the output again"), ("softmax", "softmax over the wrong axis"),
    ("sigmoid", "overflow on large inputs"), ("softmax", "changed an input in place"),
]
LESSONS_01_TO_04 = [name for module in (lesson01_forward_pass, lesson02_loss, lesson03_derivatives,
                                        lesson04_backward_pass) for name in module.EXERCISES]


@pytest.mark.parametrize("exercise, name", PROMISED_EFFECTS)
def test_promised_effects_are_recognised(exercise, name):
    assert name in {e.name for e in EXERCISES[exercise].effects}


@pytest.mark.parametrize("name", LESSONS_01_TO_04)
def test_every_exercise_of_lessons_01_to_04_recognises_mistakes_by_their_effect(name):
    ex = EXERCISES[name]
    names = {e.name for e in ex.effects}
    assert {"changed an input in place", "nothing returned", "all zeros"} <= names
    for effect in ex.effects:
        assert effect.explanation.strip() and effect.name.strip()
        assert effect.part is None or effect.part in ex.outputs


@pytest.mark.parametrize("name", LESSONS_01_TO_04)
def test_no_effect_names_the_reference(name):
    ex = EXERCISES[name]
    for seed in (None, 11):
        cases = ex.case_list(seed)
        want = ex.results(ex.reference, cases)
        assert [e.name for e in ex.effects if explains(e, ex, want, want, cases)] == []
