"""The machinery behind every exercise check.

An ``Exercise`` knows the reference implementation (the lessons' references live in
``backprop_helpers.reference``), a few seeded cases (including edge cases), and a catalogue of classic
mistakes, each written as a small wrong implementation. Checking a learner's
function runs it on every case and compares with the reference. When they differ, the check looks for
the explanation a teacher would give:

1. the function is not written yet (``NotImplementedError``): "not done yet";
2. the learner's outputs equal those of one of the catalogued mistakes on every case: that mistake is
   named, in words;
3. a mistake recognised by its effect (``effects.Effect``: the result is the right one times 1/N,
   transposed, computed with the upstream gradient left out, a numpy error that only this slip
   raises ...), on the whole result or output by output: named too, with every other wrong output;
4. otherwise: which output, which case, where and by how much (and whether it is off by a constant
   factor or by its sign, has the wrong shape in a recognisable way, or is all zeros). A generic
   verdict (``mistake`` None) is honest: a cause is named only when the outputs show it.

Agreement: an output agrees with the reference's when ``same_output`` says so; an exception never
agrees, even with the reference's own, except on a case marked ``expects_error`` (there raising the
same type of exception is the right answer). A reference that raises on another case is a broken
check, reported as such, so that it cannot pass everyone.

A right answer written with a Python loop passes; where the lesson asks for loop-free code
(``loop_free=True``), the passing message adds a note saying so.

Before any of that, the function must be the learner's own work: while it runs, a watch
(``backprop_helpers.grading.watch``) sees whether it reaches the exercise's reference, a copy of it,
a package function declared to compute the same thing (``same_as``), or any package function the
exercise does not hand over (``may_use``); then the verdict is "not yours" ("write it yourself"),
whatever the outputs.

Cases: ``cases()`` gives the notebook's cases. A case function that takes ``rng`` (``cases(rng=None)``)
draws its random values from that generator when one is given, keeping its fixed edge cases; the grader
calls it with a generator seeded where the learner cannot see (``case_list(seed)``), so outputs
memorised for the notebook's cases do not pass.

``Exercise.check(fn)`` prints one short verdict and returns the function the notebook should use from
then on: the learner's own when it passed, the reference otherwise (saying so), so that a learner stuck
on one exercise can still run the rest of the lesson.
"""
from __future__ import annotations

import html
import inspect
import re
import warnings
import zlib
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from ..grading.watch import Policy, Watch, describe

__all__ = ["Case", "Mistake", "CheckResult", "Raised", "Exercise", "same_output", "learner_run", "named",
           "takes_rng", "mask_numbers", "uses_loops", "copy_args"]


def named(fn, name):
    """Give a reference the exercise's name, as the learner's own function has (it is handed back
    to the notebook, and plots and messages show its name). The course's references, in
    ``backprop_helpers.reference``, carry their names already; this is for a reference written
    elsewhere (an instructor's own exercise)."""
    fn.__name__ = fn.__qualname__ = name
    return fn


def learner_run(name, input_names=(), *, keep=None, inner=None, on_value_error=None):
    """A ``run`` for ``Exercise`` that words the usual failures the same way however the code is written.

    - a NameError gets a hint: the name on the ``return`` line after the learner's code is the usual one;
    - the array arguments named in ``keep`` (default: every array argument) must come back unchanged: a
      function that changed its caller's array raises "<name> changed its input <arg> in place";
    - ``on_value_error(exc, *args)`` may turn a ValueError (typically numpy's shape errors, worded
      differently by ``@``, ``np.dot`` and broadcasting) into one message, or return None to keep it;
    - ``inner(fn, *args, **kwargs)`` drives the function when calling it is not enough (default:
      ``fn(*args, **kwargs)``); a case's keyword arguments are passed through (and watched like the
      positional ones).
    """
    def run(fn, *args, **kwargs):
        names = list(input_names) + [f"argument {i + 1}" for i in range(len(input_names), len(args))]
        watched = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)
                   and (keep is None or names[i] in keep)]
        before = {i: args[i].copy() for i in watched}
        named_before = {k: v.copy() for k, v in kwargs.items()
                        if isinstance(v, np.ndarray) and (keep is None or k in keep)}
        try:
            out = inner(fn, *args, **kwargs) if inner else fn(*args, **kwargs)
        except NameError as exc:
            raise NameError(f"{exc}. Every name must get a value before it is used; if it is the name on "
                            f"the function's return line, your code has to set it") from None
        except ValueError as exc:
            try:
                replacement = on_value_error(exc, *args) if on_value_error else None
            except Exception:  # noqa: BLE001 - a case it cannot word (keyword arguments): numpy's words
                replacement = None
            if replacement is None:
                raise
            raise replacement from None
        for i in watched:
            if not np.array_equal(args[i], before[i], equal_nan=True):
                raise ValueError(f"{name} changed its input {names[i]} in place")
        for key, value in named_before.items():
            if not np.array_equal(kwargs[key], value, equal_nan=True):
                raise ValueError(f"{name} changed its input {key} in place")
        return out
    return run


@dataclass(frozen=True)
class Case:
    """One input for the learner's function: positional and keyword arguments, and a short label.

    ``expects_error``: the right answer on this case is to raise (the reference raises, and a learner's
    function passes the case by raising an exception of the same type). On any other case an exception
    is never a right answer, even when the reference raises the same one: that would be a broken check.
    """
    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expects_error: bool = False


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: a wrong implementation and the words that explain it to a learner."""
    name: str
    explanation: str
    impl: Callable


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a check. ``status`` is "passed", "not done", "error", "wrong" or "not yours".

    ``hint`` says the same as ``message`` without any value of a case (for feedback handed back to a
    learner after grading on hidden cases); ``used`` lists what a "not yours" function reached, as
    ``(kind, name)`` pairs (see ``grading.watch``).
    """
    exercise: str
    status: str
    message: str
    mistake: str | None = None
    hint: str | None = None
    used: tuple = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        color = {"passed": "#2e7d32", "not done": "#8d6e00"}.get(self.status, "#c62828")
        return (f'<div style="border-left: 4px solid {color}; padding-left: 8px; white-space: pre-wrap">'
                f"{html.escape(self.message)}</div>")


class Raised:
    """An exception captured as an output, so a mistake that crashes can be matched too.

    ``Raised(exc)`` keeps the exception's type and its text ``"TypeName: message"``; two ``Raised``
    outputs agree when their texts do. ``Raised.from_text(text)`` rebuilds one from the text alone
    (the grader receives only the text from a grading kernel).
    """

    def __init__(self, exc: BaseException):
        self.type = type(exc)
        self.text = f"{type(exc).__name__}: {exc}"

    @classmethod
    def from_text(cls, text: str) -> "Raised":
        raised = cls(Exception())
        raised.text = text
        return raised

    def __repr__(self) -> str:
        return f"Raised({self.text!r})"


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def mask_numbers(text: str, width: int = 200) -> str:
    """``text`` with every number replaced by ``#`` and cut to ``width`` characters: an exception's
    message without the values of the case it was raised on."""
    text = " ".join(_NUMBER.sub("#", text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def uses_loops(fn) -> bool:
    """Whether ``fn``'s source holds a Python loop: ``for``, ``while`` or a comprehension (False when
    the source cannot be read)."""
    import ast
    import textwrap
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return any(isinstance(node, loops) for node in ast.walk(tree))


def takes_rng(cases: Callable) -> bool:
    """Whether a case function accepts ``rng`` (a numpy Generator for fresh random values)."""
    try:
        return "rng" in inspect.signature(cases).parameters
    except (TypeError, ValueError):
        return False


def _same_arg(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_arg(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_arg(x, y) for x, y in zip(a, b))
    if callable(a) and callable(b):
        return a is b or getattr(a, "__code__", a) is getattr(b, "__code__", b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects that cannot be compared are different cases
        return False


def _call_plainly(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def copy_args(args):
    """``args`` with every array (and every array in a dict) copied: a fresh set of a case's arguments."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else
                 ({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in a.items()}
                  if isinstance(a, dict) else a) for a in args)


_copy_args = copy_args          # the earlier, private name


def same_output(a, b, rtol, atol) -> bool:
    """Do two outputs agree? Arrays and numbers by shape and value within ``rtol``/``atol`` (NaN equal
    to NaN), tuples and lists elementwise, dicts key by key, ``Raised`` outputs by their text. Every
    comparison of a check (and of the grader, which gives the same verdicts) goes through it."""
    if isinstance(a, Raised) or isinstance(b, Raised):
        return isinstance(a, Raised) and isinstance(b, Raised) and a.text == b.text
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_output(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_output(x, y, rtol, atol) for x, y in zip(a, b))
    try:
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.shape != b_arr.shape or a_arr.dtype.kind not in "biufc" or b_arr.dtype.kind not in "biufc":
            return False
        return bool(np.allclose(a_arr, b_arr, rtol=rtol, atol=atol, equal_nan=True))
    except (TypeError, ValueError):
        return False


class Exercise:
    """An exercise's check.

    Args:
        name: the function's name in the lesson (e.g. ``"linear_backward"``).
        reference: the correct implementation, with the lesson's signature.
        cases: a function returning the list of ``Case`` objects (built fresh for every check, so a
            learner's function that modifies its inputs cannot spoil later cases). With a parameter
            ``rng=None``, it draws its random values from ``rng`` when given one (see ``case_list``).
        mistakes: the catalogue of classic mistakes for this exercise.
        outputs: names of the outputs, e.g. ``("dX", "dW", "db")``; a single name for one output.
        input_names: names of the arguments, used to explain shapes ("the shape of W transposed").
        run: how to call the function on a case (default ``fn(*case.args, **case.kwargs)``); override it
            for exercises whose result is a behaviour (several steps, a generator). Kept as ``runner``
            (None for the default), which the grading kernel uses to call a learner's function.
        rtol, atol: tolerances of the comparison.
        may_use: what the lesson hands the learner on purpose, as dotted names under
            ``backprop_helpers`` (a function, a class or a module, e.g. ``"layers.linear_forward"``,
            ``"reference.sigmoid"`` for an earlier exercise's handed-back answer); any other package
            function the learner's function calls (and is not given in its arguments) makes it "not
            yours". None (the default): only the reference and ``same_as`` are refused.
        same_as: the package functions that compute what the exercise asks (``"layers.linear_backward"``),
            refused like the reference itself.
        effects: mistakes recognised by their effect across the cases (``effects.Effect``), tried after
            the catalogue: on every case the output (or one named output) is the right one or shows the
            effect, and on some case it shows it. See ``backprop_helpers.checks.effects``.
        loop_free: the lesson asks for a loop-free (vectorised) answer; a right answer written with a
            Python loop passes, with a note saying so.

    ``run(fn)`` is ``results(fn, cases)`` (the function's output on every case) followed by
    ``verdict(outputs, cases)``; the grader calls ``verdict`` on outputs computed in a grading kernel.
    A subclass may refine ``explain_difference`` (the words for a wrong output) and
    ``matching_mistake`` (which catalogued mistake explains the outputs).
    """

    def __init__(self, name: str, reference: Callable, cases: Callable[..., Sequence[Case]], *,
                 mistakes: Sequence[Mistake] = (), outputs: Sequence[str] = ("result",),
                 input_names: Sequence[str] = (), run: Callable | None = None,
                 rtol: float = 1e-6, atol: float = 1e-9, may_use: Sequence[str] | None = None,
                 same_as: Sequence[str] = (), effects: Sequence = (), loop_free: bool = False):
        self.name = name
        self.reference = reference
        self.cases = cases
        self.mistakes = tuple(mistakes)
        self.outputs = tuple(outputs)
        self.input_names = tuple(input_names)
        self.runner = run
        self.rtol, self.atol = rtol, atol
        self.may_use = None if may_use is None else tuple(may_use)
        self.same_as = tuple(same_as)
        self.effects = tuple(effects)
        self.loop_free = loop_free
        self._policy: Policy | None = None

    # ------------------------------------------------------------------ cases
    def case_list(self, seed: int | None = None) -> list:
        """The cases: the notebook's (``seed`` None), or, when the case function takes ``rng``, the
        same edge cases with random values drawn from a generator seeded by ``seed`` and the exercise's
        name; a case whose values differ from the notebook's is labelled "(hidden values)"."""
        notebook = list(self.cases())
        if seed is None or not takes_rng(self.cases):
            return notebook
        rng = np.random.default_rng([int(seed), zlib.crc32(self.name.encode())])
        drawn = list(self.cases(rng=rng))
        return [case if i < len(notebook) and case.label == notebook[i].label and
                _same_arg((case.args, case.kwargs), (notebook[i].args, notebook[i].kwargs))
                else replace(case, label=f"{case.label} (hidden values)")
                for i, case in enumerate(drawn)]

    @property
    def policy(self) -> Policy:
        """What the learner's function may reach while it runs (see ``grading.watch``)."""
        if self._policy is None or self._policy.reference is not self.reference:
            self._policy = Policy(self.name, self.reference, may_use=self.may_use, same_as=self.same_as)
        return self._policy

    def course_own(self, fn) -> bool:
        """Is ``fn`` the reference or a catalogued mistake (the course's own code, judged by its outputs)?"""
        return fn is self.reference or any(fn is m.impl for m in self.mistakes)

    # ------------------------------------------------------------------ running
    def _call(self, fn, case, watch=None):
        args = copy_args(case.args)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            call = self.runner if self.runner is not None else _call_plainly
            if watch is not None:
                return watch.run(call, fn, *args, **case.kwargs)
            return call(fn, *args, **case.kwargs)

    def results(self, fn, cases, *, watch: Watch | None = None) -> list:
        """``fn``'s output on each of ``cases`` (each called on fresh copies of the case's arrays), an
        exception it raised captured as a ``Raised``. A ``NotImplementedError`` is not captured: the
        function is not written yet. With a ``watch``, every call runs under it."""
        results = []
        for case in cases:
            try:
                results.append(self._call(fn, case, watch))
            except NotImplementedError:
                raise
            except Exception as exc:  # the learner's code may raise anything; it is reported
                results.append(Raised(exc))
        return results

    # ------------------------------------------------------------------ checking
    def run(self, fn: Callable, *, seed: int | None = None) -> CheckResult:
        """Check ``fn`` and return a ``CheckResult`` (no printing). ``seed``: draw the random cases
        from it (see ``case_list``) instead of using the notebook's.

        A function of the learner is watched while it runs; the reference and the catalogued mistakes
        (the course's own code) are judged by their outputs alone."""
        if not callable(fn):
            return CheckResult(self.name, "error", f"✘ {self.name}: expected a function, got "
                               f"{type(fn).__name__}. Pass the function itself, without calling it.")
        cases = self.case_list(seed)
        watch = None if self.course_own(fn) else Watch(self.policy)
        try:
            got = self.results(fn, cases, watch=watch)
        except NotImplementedError:
            return self.not_yours(watch.findings) if watch is not None and watch.findings else self.not_done()
        if watch is not None and watch.findings:
            return self.not_yours(watch.findings)
        result = self.verdict(got, cases)
        if result.passed and self.loop_free and watch is not None and uses_loops(fn):
            note = (f"\n  Note: your {self.name} uses a Python loop (for, while or a comprehension). It is "
                    f"correct, but the lesson asks for the loop-free form: whole-array numpy operations "
                    f"(@, np.sum(..., axis=...), elementwise arithmetic) do the loop in compiled code, "
                    f"many times faster.")
            result = replace(result, message=result.message + note, hint=result.hint + note)
        return result

    def not_done(self) -> CheckResult:
        """The verdict on a function that still raises ``NotImplementedError``."""
        message = (f"… {self.name}: not done yet (it still raises NotImplementedError). "
                   f"Replace the two placeholder lines (`# YOUR CODE HERE` and `raise NotImplementedError()`) "
                   f"with your code.")
        return CheckResult(self.name, "not done", message, hint=message)

    def not_yours(self, findings) -> CheckResult:
        """The verdict on a function that reached the course's answer (``findings`` of a ``Watch``)."""
        message = f"✘ {self.name}: {describe(self.name, list(findings), self.may_use or ())}"
        return CheckResult(self.name, "not yours", message, hint=message, used=tuple(map(tuple, findings)))

    def verdict(self, got: list, cases: Sequence[Case], outputs_of: Callable | None = None) -> CheckResult:
        """The verdict on ``got``, the learner's outputs on ``cases`` (as ``results`` returns them).

        ``outputs_of(fn)`` gives the outputs of the reference and of each catalogued mistake on the
        same cases; by default they are computed here (``results(fn, cases)``), the grader passes the
        outputs it computed once for the whole class.
        """
        if outputs_of is None:
            def outputs_of(fn):
                return self.results(fn, cases)
        want = outputs_of(self.reference)
        broken = [i for i, (w, c) in enumerate(zip(want, cases))
                  if isinstance(w, Raised) and not c.expects_error]
        if broken:
            case = cases[broken[0]]
            message = (f"✘ {self.name}: the check itself failed: its reference raised "
                       f"{mask_numbers(want[broken[0]].text)} on case '{case.label}'. This is a bug in the "
                       f"course's check, not in your code; please report it.")
            return CheckResult(self.name, "error", message, hint=message)
        failing = [i for i, (g, w, c) in enumerate(zip(got, want, cases)) if not self.agrees(g, w, c)]
        if not failing:
            labels = ", ".join(c.label for c in cases)
            message = f"✔ {self.name}: correct on all {len(cases)} cases ({labels})."
            return CheckResult(self.name, "passed", message, hint=message)
        first = failing[0]
        case = cases[first]
        mistake = self.matching_mistake(got, want, outputs_of)
        extra = ""
        if mistake is None and self.effects:
            from .effects import recognise   # the effects build on this module
            mistake, extra = recognise(self, got, want, cases)
        if mistake is not None:
            message = f"✘ {self.name}: {mistake.explanation}{extra} (seen on case '{case.label}')"
            return CheckResult(self.name, "wrong", message, mistake.name, hint=message)
        if isinstance(want[first], Raised):             # a case that expects an error
            kind = want[first].text.split(":", 1)[0]
            did = (f"it raised {mask_numbers(got[first].text)}" if isinstance(got[first], Raised)
                   else "it returned a value")
            message = (f"✘ {self.name}: on case '{case.label}' it should refuse the input by raising "
                       f"{kind}, but {did}.")
            return CheckResult(self.name, "wrong", message, hint=message)
        if isinstance(got[first], Raised):
            where = f"✘ {self.name} raised an error on case '{case.label}': "
            return CheckResult(self.name, "error", where + got[first].text,
                               hint=where + mask_numbers(got[first].text))
        detail = self.explain_difference(got[first], want[first], case)
        tail = f" (case '{case.label}'; {len(failing)} of {len(cases)} cases differ)"
        try:
            hint = self.difference_hint(got[first], want[first], case)
        except Exception:  # noqa: BLE001 - outputs of any kind; the hint then says less
            hint = "the result differs from the expected one"
        return CheckResult(self.name, "wrong", f"✘ {self.name}: {detail}{tail}",
                           hint=f"✘ {self.name}: {hint}{tail}")

    def agrees(self, got, want, case: Case) -> bool:
        """Does the learner's output ``got`` count as right where the reference gave ``want``? On a
        case that expects an error, raising one of the same type is right; anywhere else an exception
        never is (even the reference's own)."""
        if case.expects_error:
            return (isinstance(got, Raised) and isinstance(want, Raised)
                    and got.text.split(":", 1)[0] == want.text.split(":", 1)[0])
        if isinstance(got, Raised) or isinstance(want, Raised):
            return False
        return same_output(got, want, self.rtol, self.atol)

    def check(self, fn: Callable, *, show: bool = True) -> Callable:
        """Check ``fn``, print the verdict, and return the function to use from now on.

        When ``fn`` is the reference that an earlier check handed back (the learner edited the exercise
        and re-ran only the check cell, so the name still holds the reference), it says so instead of
        passing it.
        """
        if fn is self.reference:
            if show:
                print(f"… {self.name}: this is still the reference implementation that an earlier check "
                      f"handed back, not your code. Run the cell with `def {self.name}` again (after "
                      f"your changes), then this check.")
            return fn
        result = self.run(fn)
        _record_progress(self.name, result)
        message = result.message
        if not result.passed:
            message += (f"\n  → Carrying on with the reference {self.name} so the rest of the notebook "
                        f"runs; come back to this exercise when you are ready.")
        if show:
            print(message)
        return fn if result.passed else self.reference

    def matching_mistake(self, got, want, outputs_of) -> Mistake | None:
        """The first catalogued mistake whose outputs (``outputs_of(mistake.impl)``) differ from the
        reference's ``want`` and equal the learner's ``got`` on every case; None if there is none."""
        for mistake in self.mistakes:
            try:
                theirs = outputs_of(mistake.impl)
            except NotImplementedError:      # pragma: no cover - catalogue entries are complete
                continue
            differs_from_reference = any(not same_output(t, w, self.rtol, self.atol)
                                         for t, w in zip(theirs, want))
            if differs_from_reference and all(same_output(g, t, self.rtol, self.atol)
                                               for g, t in zip(got, theirs)):
                return mistake
        return None

    # ------------------------------------------------------------------ explaining a difference
    def _split(self, value):
        if len(self.outputs) == 1:
            return [(self.outputs[0], value)]
        if not isinstance(value, (tuple, list)) or len(value) != len(self.outputs):
            return None
        return list(zip(self.outputs, value))

    def explain_difference(self, got, want, case) -> str:
        """In words, how the output ``got`` differs from the reference's ``want`` on ``case``."""
        got_parts, want_parts = self._split(got), self._split(want)
        if got_parts is None:
            count = len(got) if isinstance(got, (tuple, list)) else 1
            return (f"it should return {len(self.outputs)} values ({', '.join(self.outputs)}), "
                    f"but returned {count}")
        for (name, g), (_, w) in zip(got_parts, want_parts):
            if same_output(g, w, self.rtol, self.atol):
                continue
            if isinstance(w, dict):
                if not isinstance(g, dict):
                    return f"{name} should be a dict, got {type(g).__name__}"
                if g.keys() != w.keys():
                    return f"{name} should have the keys {sorted(w)}, got {sorted(g)}"
                key = next(k for k in w if not same_output(g[k], w[k], self.rtol, self.atol))
                return self._describe_array(f"{name}[{key!r}]", g[key], w[key], case)
            return self._describe_array(name, g, w, case)
        return "the result differs from the expected one"  # pragma: no cover

    def difference_hint(self, got, want, case) -> str:
        """Like ``explain_difference``, without any value of the case: which output, and how it is
        wrong (shape, not finite, a constant factor or the sign), for a learner's feedback."""
        got_parts, want_parts = self._split(got), self._split(want)
        if got_parts is None:
            count = len(got) if isinstance(got, (tuple, list)) else 1
            return (f"it should return {len(self.outputs)} values ({', '.join(self.outputs)}), "
                    f"but returned {count}")
        for (name, g), (_, w) in zip(got_parts, want_parts):
            if same_output(g, w, self.rtol, self.atol):
                continue
            if isinstance(w, dict):
                if not isinstance(g, dict):
                    return f"{name} should be a dict, got {type(g).__name__}"
                if g.keys() != w.keys():
                    return f"{name} should have the keys {sorted(map(str, w))}, got {sorted(map(str, g))}"
                key = next(k for k in w if not same_output(g[k], w[k], self.rtol, self.atol))
                if isinstance(w[key], bool):
                    error = getattr(got, "error", None)
                    if w[key] and error:
                        return f"it raised {mask_numbers(error)}"
                    should, does = ("", " not") if w[key] else ("not ", "")
                    return f"this should {should}hold but does{does}: {key}"
                return self._describe_array(f"{name}[{key!r}]", g[key], w[key], case, values=False)
            return self._describe_array(name, g, w, case, values=False)
        return "the result differs from the expected one"  # pragma: no cover

    def _describe_array(self, name, g, w, case, values=True) -> str:
        w = np.asarray(w)
        if g is None:
            return f"{name} is None: did the function forget to return it?"
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError):
            return f"{name} should be a number or an array, got {type(g).__name__}"
        if g.shape != w.shape:
            return self._shape_message(name, g.shape, w.shape, case)
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(w)):
            bad = np.argwhere(~np.isfinite(g))[0] if g.ndim else ()
            return (f"{name} holds {g[tuple(bad)] if g.ndim else g} where a finite number was expected "
                    f"(an overflow? exp of a large number, or a division by zero)")
        if not values:
            text = f"{name} differs from the expected value" + ("s" if w.ndim else "")
        elif w.ndim == 0:
            text = f"{name} is {float(g):.6g} but should be {float(w):.6g}"
        else:
            diff = np.abs(g - w)
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), w.shape))
            text = (f"{name} differs from the expected values; the largest difference is at "
                    f"index {where}: got {g[where]:.6g}, expected {w[where]:.6g}")
        nz = np.abs(w) > 1e-12
        if g.size and not np.any(g) and nz.any():
            return text + (". Every value is 0: nothing was written into the result (an array made "
                           "with np.zeros and never filled?), or everything was multiplied by 0")
        if nz.sum() >= 2:                 # a pattern needs at least two values
            ratio = g[nz] / w[nz]
            r = float(np.median(ratio))
            if np.allclose(ratio, r, rtol=1e-6, atol=1e-12) and abs(r) < 1e-12:
                text += ". It is 0 wherever the expected value is not"
            elif np.allclose(ratio, r, rtol=1e-6) and abs(r - 1) > 1e-6:
                if abs(r + 1) < 1e-6:
                    text += ". Every value has the wrong sign"
                else:
                    text += f". Every value is {r:.6g} times the expected one: a constant factor is off"
        return text

    def _shape_message(self, name, got, want, case) -> str:
        text = f"{name} has shape {got} but should have shape {want}"
        if len(got) == len(want) == 2 and got == want[::-1]:
            text += (": that is the expected shape transposed. A gradient always has the shape of the "
                     "variable it belongs to")
        elif len(want) == 1 and len(got) == 2 and got[1] == want[0]:
            text += (": it still has one row per example. It was not summed over the batch "
                     "(use .sum(axis=0))")
        elif len(want) == 0 and len(got) >= 1:
            text += ": it should be a single number (did you forget to sum or average?)"
        return text


# --------------------------------------------------------------------------- the learner's progress

def _record_progress(name: str, result: CheckResult) -> None:
    """Add a verdict of ``Exercise.check`` to the learner's progress file (``backprop_helpers.course.progress``;
    switched off with ``BACKPROP_PROGRESS=off``). ``Exercise.run`` records nothing. Never raises: a
    verdict that cannot be recorded must not stop the lesson."""
    try:
        from ..course import progress  # imported here: the checks do not need it to load

        progress.record(name, bool(result.passed), status=getattr(result, "status", None))
    except Exception:  # noqa: BLE001 - progress is a convenience; the check's verdict is what matters
        pass
