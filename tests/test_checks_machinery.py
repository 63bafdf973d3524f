"""The check machinery itself (``checks.core`` and ``checks.effects``).

- every exercise's reference runs without raising on every case of its own check and on the grader's
  hidden cases (a reference that raises on its own case is a broken check: everyone would "agree");
- keyword arguments of a case reach the learner's function through ``learner_run``;
- equal errors count as agreement only on a case that expects an error;
- a right answer written with a loop passes, with a note, where the lesson asks for loop-free code;
- effects: recognised across cases and output by output, and never on a right answer.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_helpers.checks import EXERCISES
from backprop_helpers.checks.core import Case, Exercise, Mistake, Raised, learner_run, uses_loops
from backprop_helpers.checks.effects import Effect, common, explains, recognise, scaled
from backprop_helpers.grading.kernel import CaseRef
from backprop_helpers.grading.wire import Judge

SEEDS = (None, 0, 1, 12345)


def test_there_are_57_exercises():
    assert len(EXERCISES) == 57


def _raised_on(exercise, cases):
    outputs = exercise.results(exercise.reference, cases)
    return [(case.label, out.text) for case, out in zip(cases, outputs)
            if isinstance(out, Raised) and not case.expects_error]


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_never_raises_on_its_own_cases(name, seed):
    exercise = EXERCISES[name]
    assert _raised_on(exercise, exercise.case_list(seed)) == []


def _resolve(blob, exercise, seed):
    """The cases as a grading kernel rebuilds them from the grader's request (``kernel._resolve``)."""
    fresh = exercise.case_list(seed)
    cases = []
    for i, (args, kwargs) in enumerate(pickle.loads(blob)):
        args = tuple(fresh[i].args[a.position] if isinstance(a, CaseRef) else a for a in args)
        kwargs = {k: fresh[i].kwargs[k] if isinstance(v, CaseRef) else v for k, v in kwargs.items()}
        cases.append(Case(fresh[i].label, args, kwargs, fresh[i].expects_error))
    return cases


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("seed", (3, 2024))
def test_the_reference_never_raises_on_the_graders_hidden_cases(name, seed):
    exercise = EXERCISES[name]
    judge = Judge(exercise, seed)
    cases = _resolve(judge.blob, exercise, seed)
    assert len(cases) == judge.count
    assert _raised_on(exercise, cases) == []
    verdict = judge.verdict(exercise.results(exercise.reference, cases))
    assert verdict.passed, verdict.message


# ------------------------------------------------------------------ keyword arguments

def _scale(x, alpha=1.0):
    return alpha * x


def _scale_cases():
    return [Case("alpha given by name", (np.arange(3.0),), {"alpha": 2.5}),
            Case("alpha left out", (np.ones(2),))]


def test_learner_run_passes_keyword_arguments_through():
    exercise = Exercise("scale", _scale, _scale_cases, input_names=("x",),
                        run=learner_run("scale", ("x",)))
    assert exercise.run(lambda x, alpha=1.0: x * alpha).passed
    ignores_alpha = exercise.run(lambda x, alpha=1.0: x.copy())
    assert ignores_alpha.status == "wrong"
    inner = learner_run("scale", ("x",), inner=lambda fn, *args, **kwargs: fn(*args, **kwargs))
    assert Exercise("scale", _scale, _scale_cases, run=inner).run(lambda x, alpha=1.0: alpha * x).passed


def test_learner_run_watches_keyword_arrays_too():
    def cases():
        return [Case("x by name", (), {"x": np.arange(3.0)})]

    def in_place(x):
        x *= 2
        return x
    exercise = Exercise("double", lambda x: 2 * x, cases, run=learner_run("double", ()))
    result = exercise.run(in_place)
    assert not result.passed and "changed its input x in place" in result.message


# ------------------------------------------------------------------ errors are not agreement

def _broken_reference(x, alpha):
    raise TypeError("the reference cannot take this case")


def test_equal_errors_are_not_agreement_when_no_error_is_expected():
    exercise = Exercise("broken", _broken_reference, lambda: [Case("one", (np.ones(2), 1.0))])
    def same_error(x, alpha):
        raise TypeError("the reference cannot take this case")
    result = exercise.run(same_error)
    assert result.status == "error" and not result.passed
    assert "bug in the course's check" in result.message
    judged = Judge(exercise).verdict([Raised.from_text("TypeError: the reference cannot take this case")])
    assert judged.status == "error" and not judged.passed


def _must_refuse(x):
    if x < 0:
        raise ValueError("x must not be negative")
    return float(np.sqrt(x))


def test_an_expected_error_is_agreement():
    exercise = Exercise("root", _must_refuse,
                        lambda: [Case("positive", (4.0,)), Case("negative", (-1.0,), expects_error=True)])
    def refuses(x):
        if x < 0:
            raise ValueError("negative input")
        return float(np.sqrt(x))
    assert exercise.run(refuses).passed
    assert exercise.run(lambda x: float(np.sqrt(x)) if x >= 0 else float("nan")).status == "wrong"
    assert not exercise.run(lambda x: float(np.sqrt(x)) if x >= 0 else [][1]).passed   # IndexError


def test_hidden_values_keep_whether_a_case_expects_an_error():
    def cases(rng=None):
        value = 4.0 if rng is None else float(rng.uniform(1, 9))
        return [Case("positive", (value,)), Case("negative", (-1.0,), expects_error=True)]
    exercise = Exercise("root", _must_refuse, cases)
    hidden = exercise.case_list(seed=7)
    assert [c.expects_error for c in hidden] == [False, True]
    assert hidden[0].label.endswith("(hidden values)")
    assert exercise.run(_must_refuse, seed=7).passed          # the reference, judged by its outputs


# ------------------------------------------------------------------ loops

def test_loops_are_found_in_the_source():
    def with_for(x):
        return sum(v for v in x)

    def with_while(x):
        i = 0
        while i < 1:
            i += 1
        return x

    def without(x):
        return np.sum(x)
    assert uses_loops(with_for) and uses_loops(with_while) and not uses_loops(without)
    assert not uses_loops(np.sum)        # no Python source: no note


def test_a_loop_passes_with_a_note_only_where_the_lesson_asks_for_loop_free_code():
    def relu_loop(x):
        out = x.copy()
        for idx in np.ndindex(x.shape):
            out[idx] = max(x[idx], 0.0)
        return out
    result = EXERCISES["relu"].run(relu_loop)
    assert result.passed and "loop-free" in result.message and result.message.startswith("✔")

    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + h
            plus = f(x)
            x[idx] = old - h
            minus = f(x)
            x[idx] = old
            grad[idx] = (plus - minus) / (2 * h)
        return grad
    result = EXERCISES["numerical_gradient"].run(numerical_gradient)
    assert result.passed and "loop" not in result.message


# ------------------------------------------------------------------ zeros and effects

def test_zeros_get_their_own_words_not_a_factor():
    exercise = Exercise("double", lambda x: 2 * x, lambda: [Case("a", (np.arange(1.0, 4.0),))])
    result = exercise.run(lambda x: np.zeros_like(x))
    assert "0 times" not in result.message and "Every value is 0" in result.message
    named = Exercise("double", lambda x: 2 * x, lambda: [Case("a", (np.arange(1.0, 4.0),))],
                     effects=common()).run(lambda x: np.zeros_like(x))
    assert named.mistake == "all zeros" and "0 times" not in named.message


def _pair(x):
    return 2 * x, x.sum()


_PAIR_EFFECTS = [scaled("first doubled", "the first output is twice too large.", lambda c: 2.0, part="a"),
                 scaled("second halved", "the second output is half what it should be.", lambda c: 0.5,
                        part="b")]


def _pair_exercise():
    return Exercise("pair", _pair, lambda: [Case("one", (np.arange(3.0),)), Case("two", (np.ones(4),))],
                    outputs=("a", "b"), effects=_PAIR_EFFECTS)


def test_effects_are_judged_output_by_output():
    exercise = _pair_exercise()
    both = exercise.run(lambda x: (4 * x, x.sum() / 2))
    assert both.mistake == "first doubled" and "half what it should be" in both.message
    one = exercise.run(lambda x: (2 * x, x.sum() / 2))
    assert one.mistake == "second halved"
    unexplained = exercise.run(lambda x: (4 * x, x.sum() + 1))
    assert unexplained.mistake == "first doubled" and "b differs from the expected values" in unexplained.message
    assert exercise.run(lambda x: (x, x.sum() + 1)).mistake is None


def test_an_effect_must_show_on_some_case_and_hold_on_every_other():
    exercise = _pair_exercise()
    cases = exercise.case_list()
    want = exercise.results(_pair, cases)
    got = [(4 * c.args[0], c.args[0].sum()) for c in cases]
    assert explains(_PAIR_EFFECTS[0], exercise, got, want, cases)
    mixed = [got[0], (3 * cases[1].args[0], cases[1].args[0].sum())]
    assert not explains(_PAIR_EFFECTS[0], exercise, mixed, want, cases)
    assert not explains(_PAIR_EFFECTS[0], exercise, want, want, cases)      # right: nothing shown
    assert recognise(exercise, want, want, cases) == (None, "")


def test_an_error_alone_names_an_effect_only_when_it_says_so():
    quiet = Effect("broadcast", "shapes.", raises=lambda text, case: "broadcast" in text)
    loud = Effect("broadcast", "shapes.", raises=lambda text, case: "broadcast" in text, alone=True)
    exercise = Exercise("double", lambda x: 2 * x, lambda: [Case("a", (np.ones(2),))], effects=[quiet])
    failing = lambda x: x + np.ones(3)                                        # noqa: E731
    assert exercise.run(failing).mistake is None
    exercise.effects = (loud,)
    assert exercise.run(failing).mistake == "broadcast"


def test_the_grader_names_effects_from_the_text_of_errors():
    exercise = EXERCISES["rel_error"]
    judge = Judge(exercise, seed=5)
    cases = _resolve(judge.blob, exercise, 5)

    def guard_with_np_max(a, b):
        return float(np.max(np.abs(a - b) / np.max(1e-8, np.abs(a) + np.abs(b))))
    outputs = [Raised.from_text(o.text) if isinstance(o, Raised) else o
               for o in exercise.results(guard_with_np_max, cases)]
    verdict = judge.verdict(outputs)
    assert verdict.mistake == "np.max instead of np.maximum", verdict.message


def test_catalogue_mistakes_still_come_first():
    exercise = Exercise("double", lambda x: 2 * x, lambda: [Case("a", (np.arange(1.0, 3.0),))],
                        mistakes=[Mistake("tripled", "three times.", lambda x: 3 * x)],
                        effects=[scaled("scaled", "scaled.", lambda c: 1.5)])
    assert exercise.run(lambda x: x * 3).mistake == "tripled"
    assert exercise.run(lambda x: x * 3.0 + 0.0).mistake == "tripled"


# ------------------------------------------------------------------ effects hold on any hidden draw
_ACROSS_DRAWS = [
    ("linear_backward", lambda dout, X, W: (dout @ W.T, X.T @ dout / len(X), dout.sum(0)), "dW divided by N"),
    ("softmax", lambda s: np.exp(s - s.max(1, keepdims=True)) / np.exp(s - s.max(1, keepdims=True)).sum(1),
     "keepdims forgotten"),
    ("binary_cross_entropy", lambda p, y: -np.mean(y * np.log(1 - p) + (1 - y) * np.log(p)), "p and 1 - p swapped"),
    ("tanh_backward", lambda dout, out: dout * (1 - out) ** 2, "(1 - out)**2 instead of 1 - out**2"),
    ("mean_squared_error", lambda y_hat, y: np.sum((y_hat - y) ** 2) / y_hat.shape[1], "MSE averaged over the wrong axis"),
]


@pytest.mark.parametrize("exercise, fn, mistake", _ACROSS_DRAWS, ids=[m for _, _, m in _ACROSS_DRAWS])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_a_named_mistake_stays_named_on_any_hidden_draw(exercise, fn, mistake, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.mistake == mistake, result.message


_RIGHT = [
    ("linear_backward", lambda dout, X, W: (np.dot(dout, W.T), np.dot(X.T, dout), np.sum(dout, axis=0))),
    ("softmax_cross_entropy", lambda s, y: (
        float(np.mean(np.log(np.exp(s - s.max(1, keepdims=True)).sum(1)) + s.max(1) - s[np.arange(len(y)), y])),
        (np.exp(s - s.max(1, keepdims=True)) / np.exp(s - s.max(1, keepdims=True)).sum(1, keepdims=True)
         - np.eye(s.shape[1])[y]) / len(y))),
    ("relu", lambda x: x * (x > 0)),
    ("rel_error", lambda a, b: float((abs(a - b) / np.maximum(abs(a) + abs(b), 1e-8)).max())),
]


@pytest.mark.parametrize("exercise, fn", _RIGHT, ids=[e for e, _ in _RIGHT])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_a_right_answer_passes_on_any_hidden_draw(exercise, fn, seed):
    result = EXERCISES[exercise].run(fn, seed=seed)
    assert result.passed, result.message


# ------------------------------------------------------------------ the product that did not fit

def test_the_product_that_does_not_fit_is_read_from_the_learners_line():
    def linear_backward(dout, X, W):
        d = dout
        return d @ W.T, np.dot(X, d), d.sum(axis=0)
    result = EXERCISES["linear_backward"].run(linear_backward)
    assert result.mistake == "dW without X transposed", result.message


def test_the_line_is_found_in_the_notebook_cell_when_a_grading_kernel_compiled_it_again():
    import linecache
    source = ("def linear_backward(dout, X, W):\n"
              "    dX = dout @ W.T\n"
              "    dW = X @ dout\n"
              "    return dX, dW, dout.sum(axis=0)\n")
    key = "<ipython-input-machinery-test>"
    linecache.cache[key] = (len(source), None, source.splitlines(True), key)
    try:
        namespace = {}
        exec(compile(source, "<exercise cell linear_backward>", "exec"), namespace)  # noqa: S102
        result = EXERCISES["linear_backward"].run(namespace["linear_backward"])
        assert result.mistake == "dW without X transposed", result.message
    finally:
        del linecache.cache[key]
    namespace = {}
    exec(compile(source, "<exercise cell linear_backward>", "exec"), namespace)  # noqa: S102
    unread = EXERCISES["linear_backward"].run(namespace["linear_backward"])
    assert unread.mistake is None and unread.status == "error"       # no source: no name, no guess


def test_common_effects_name_what_every_exercise_can_get_wrong():
    def mse_with_gradient(y_hat, y):
        diff = y_hat - y
        return np.sum(diff ** 2) / len(y), 2 * diff / len(y)

    def unset(y_hat, y):
        loss_value = np.sum((y_hat - y) ** 2) / len(y)   # noqa: F841 - the return line's name is never set
        return loss                                        # noqa: F821
    assert EXERCISES["mean_squared_error"].run(mse_with_gradient).mistake == "more than the result returned"
    result = EXERCISES["mean_squared_error"].run(unset)
    assert result.mistake == "a name without a value" and "loss" in result.message
