"""Checks for lesson 10, backpropagation by hand: softmax cross-entropy and batch normalisation written as
their intermediates, then backpropagated one node at a time.

Every exercise returns a dict keyed by the intermediates' names (``m``, ``s``, ... for a forward pass;
``dpicked``, ``ds``, ... for a backward pass), so the check compares **each intermediate by name** and
shows the learner a table: name, shape, exact / close / wrong, largest difference. When something is
wrong it names the *first* wrong intermediate in the order the pass computes them (every later one
usually follows from it), and looks in the catalogue for a classic mistake at that node.

A catalogued mistake here is recognised by its **effect at the first wrong node**, whatever the code
around it: its value there on every case (``NodeMistake.effect``, or else the value its wrong
implementation gives there), given that everything before that node is right. A learner who wrote the
same mistake differently, or whose later nodes differ from the catalogue's, is still recognised.

A function that changed an input (or an array of ``fwd``) in place is named so ("input changed in
place"), with what it changed. A function that raises part-way (a shape that only fails further down)
still gets its intermediates judged: ``node_run`` reads those it had computed from the traceback. The course's own answers and
closed forms (``losses.softmax_cross_entropy``, ``layers.batchnorm_backward``, this lesson's
references) are refused by the checks' watch (``same_as``; no package function is handed over).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import reference
from ..reference import (batchnorm_forward_intermediates, softmax_ce_forward_intermediates)
from .core import Case, CheckResult, Exercise, Mistake, Raised, learner_run, mask_numbers, same_output

__all__ = ["check_softmax_ce_forward_intermediates", "check_softmax_ce_backward_by_hand",
           "check_batchnorm_forward_intermediates", "check_batchnorm_backward_staged",
           "check_batchnorm_backward_simplified"]

RTOL, ATOL = 1e-6, 1e-9


# =========================================================================== the machinery

@dataclass(frozen=True)
class NodeMistake(Mistake):
    """A classic mistake that shows first at the intermediate ``node`` (None: at whichever node is the
    first wrong one). ``effect(node, got, want, case)`` says whether the learner's value ``got`` at
    that node is this mistake's (``want``: the reference's whole dict on ``case``); without it, the
    value must equal the one ``impl`` gives there."""
    node: str | None = None
    effect: Callable | None = None


def _close(a, b) -> bool:
    return same_output(a, b, RTOL, ATOL)


def _existing(*dotted):
    """The dotted names (under ``backprop_helpers``) that this version of the package defines."""
    from .. import fast, layers, losses
    modules = {"reference": reference, "layers": layers, "losses": losses, "fast": fast}
    return tuple(d for d in dotted if hasattr(modules[d.partition(".")[0]], d.partition(".")[2]))


#: per exercise, the package's functions that compute the same thing (named so in a "not yours")
SAME_AS = {
    "softmax_ce_forward_intermediates": (),
    "softmax_ce_backward_by_hand": _existing("losses.softmax_cross_entropy", "fast.softmax_cross_entropy",
                                             "reference.softmax_cross_entropy"),
    "batchnorm_forward_intermediates": _existing("layers.batchnorm_forward", "fast.batchnorm_train"),
    "batchnorm_backward_staged": _existing("layers.batchnorm_backward", "fast.batchnorm_backward",
                                           "reference.batchnorm_backward_simplified"),
    "batchnorm_backward_simplified": _existing("layers.batchnorm_backward", "fast.batchnorm_backward",
                                               "reference.batchnorm_backward_staged"),
}


#: the key of a dict that ``node_run`` returns for a function that raised: the error's text
RAISED = "(raised)"


def _locals_at_failure(exc, fn, nodes) -> dict:
    """The intermediates ``fn`` had computed when it raised ``exc``: the local variables named like
    ``nodes`` of the call, from ``fn`` inward, written in the same file or cell as ``fn`` that holds
    the most of them (read from the traceback, copied)."""
    while getattr(fn, "__wrapped__", None) is not None:     # the check's watch hands over a wrapper
        fn = fn.__wrapped__
    code = getattr(fn, "__code__", None)
    best = {}
    for error in (exc, exc.__context__):
        tb, inside = getattr(error, "__traceback__", None), False
        while tb is not None and code is not None:
            frame = tb.tb_frame
            inside = inside or frame.f_code is code
            if inside and frame.f_code.co_filename == code.co_filename:
                names = frame.f_locals
                found = {n: np.array(names[n], copy=True) if isinstance(names[n], np.ndarray) else names[n]
                         for n in nodes if n in names}
                if len(found) >= len(best) and found:
                    best = found
            tb = tb.tb_next
        if best:
            break
    return best


def node_run(name, input_names, nodes):
    """How a check calls an exercise function.

    - the arrays of its dict arguments (``fwd``) must come back unchanged, like its array arguments;
    - when it raises after computing some intermediates (a shape that only fails further down), the
      result is those intermediates and the error's text under ``RAISED``, so that the check can still
      name the first wrong one. This runs wherever the function runs (the grader's kernel too), so the
      notebook and the grader see the same result.
    """
    base = learner_run(name, input_names)

    def run(fn, *args):
        dicts = [(i, {k: v.copy() for k, v in a.items() if isinstance(v, np.ndarray)})
                 for i, a in enumerate(args) if isinstance(a, dict)]
        try:
            out = base(fn, *args)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; it is reported
            partial = _locals_at_failure(exc, fn, nodes)
            if not partial:
                raise
            return {**partial, RAISED: str(Raised(exc).text)}
        for i, before in dicts:
            for key, value in before.items():
                if not np.array_equal(args[i][key], value, equal_nan=True):
                    raise ValueError(f"{name} changed {input_names[i]}[{key!r}] in place: the forward "
                                     f"pass's intermediates are read, never written (make a new array)")
        return out
    return run


def _shape_text(shape) -> str:
    return str(tuple(shape))


def _error(output) -> str | None:
    """The error text of an output that raised (wholly, or after some intermediates); else None."""
    if isinstance(output, Raised):
        return output.text
    if isinstance(output, Mapping) and isinstance(output.get(RAISED), str):
        return output[RAISED]
    return None


def _error_kind(output) -> str | None:
    text = _error(output)
    return text.split(":")[0] if text else None


class NodeExercise(Exercise):
    """An exercise whose function returns a dict of named intermediates (or of their gradients).

    ``nodes``: ``(name, shape in the course's notation)`` in the order the pass computes them. The
    verdict names the first wrong one, explains it (a catalogued mistake, else how it differs), and
    shows the table of every intermediate. A function that raised contributes the intermediates it had
    computed before the error (see ``node_run``).
    """

    def __init__(self, name, reference_fn, cases, *, nodes, mistakes=(), input_names=(), what="value",
                 note=None):
        node_names = tuple(n for n, _ in nodes)
        super().__init__(name, reference_fn, cases, mistakes=mistakes, outputs=node_names,
                         input_names=input_names, run=node_run(name, input_names, node_names),
                         rtol=RTOL, atol=ATOL, may_use=(), same_as=SAME_AS[name])
        self.nodes = node_names
        self.shapes = dict(nodes)
        self.what = what
        self.note = note

    # ---------------------------------------------------------------- comparing one node
    @staticmethod
    def known(got, node) -> bool:
        """Did the function give a value for ``node`` (before raising, if it raised)?"""
        return isinstance(got, Mapping) and node in got

    def node_ok(self, got, want, node) -> bool:
        return self.known(got, node) and _close(got[node], want[node])

    def case_ok(self, got, want) -> bool:
        return _error(got) is None and all(self.node_ok(got, want, n) for n in self.nodes)

    def first_wrong(self, got, want) -> str | None:
        """The first node that is wrong on some case: missing from a dict returned normally, or given
        and different (a node the function never reached before raising is not counted)."""
        for node in self.nodes:
            for g, w in zip(got, want):
                if not isinstance(g, Mapping):
                    continue
                if self.known(g, node) and not self.node_ok(g, w, node):
                    return node
                if not self.known(g, node) and _error(g) is None:
                    return node
        return None

    def row(self, node, got, want, cases) -> tuple[str, str]:
        """(verdict, largest difference) of one node over the cases where the function gave it."""
        worst, exact, problem, seen = 0.0, True, None, False
        for g, w, case in zip(got, want, cases):
            if not self.known(g, node):
                if isinstance(g, Mapping) and _error(g) is None:
                    return "missing", "not in the returned dict"
                continue
            seen = True
            w = np.asarray(w[node], dtype=float)
            try:
                a = np.asarray(g[node], dtype=float)
            except (TypeError, ValueError):
                return "wrong", f"not a number or an array ({type(g[node]).__name__})"
            if a.shape != w.shape:
                return "wrong", (f"shape {_shape_text(a.shape)} on case '{case.label}', "
                                 f"expected {_shape_text(w.shape)}")
            if not np.all(np.isfinite(a) | ~np.isfinite(w)):
                return "wrong", f"{a[~np.isfinite(a)].flat[0]} on case '{case.label}'"
            diff = float(np.max(np.abs(a - w))) if a.size else 0.0
            exact = exact and np.array_equal(a, w)
            if not _close(a, w) and problem is None:
                problem = f"{diff:.2g} on case '{case.label}'"
            worst = max(worst, diff)
        if not seen:
            return "not reached", "the function raised before computing it"
        if problem:
            return "wrong", problem
        return ("exact", "0") if exact else ("close", f"{worst:.1e}")

    def table(self, got, want, cases, values=True) -> str:
        """The table of every intermediate: name, shape, verdict and (with ``values``) the largest
        difference, which names a case's values; without, it can go back to a learner graded on
        hidden cases."""
        rows = [("intermediate" if self.what == "value" else "gradient", "shape", "verdict",
                 "largest difference")]
        rows += [(n, self.shapes[n], *self.row(n, got, want, cases)) for n in self.nodes]
        if not values:
            rows = [r[:3] for r in rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        return "\n".join(("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]).rstrip()
                         for r in rows)

    # ---------------------------------------------------------------- the verdict
    def verdict(self, got, cases, outputs_of=None) -> CheckResult:
        if outputs_of is None:
            def outputs_of(fn):
                return self.results(fn, cases)
        want = outputs_of(self.reference)
        name, n = self.name, len(cases)
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if not self.case_ok(g, w)]
        if not bad:
            labels = ", ".join(c.label for c in cases)
            line = f"✔ {name}: every intermediate is right on all {n} cases ({labels})."
            return CheckResult(name, "passed", f"{line}\n{self.table(got, want, cases)}"
                                               f"{self.pass_note(got, want)}", hint=line)
        other = next((i for i, g in enumerate(got) if not isinstance(g, (Mapping, Raised))), None)
        if other is not None:
            text = (f"✘ {name}: it should return a dict keyed by the intermediates' names "
                    f"({', '.join(self.nodes)}), but returned {type(got[other]).__name__} (case "
                    f"'{cases[other].label}')")
            return CheckResult(name, "wrong", text, hint=text)
        changed = next((i for i, g in enumerate(got) if _changed_in_place(g)), None)
        if changed is not None:
            what = _error(got[changed]).split(": ", 1)[-1]
            text = (f"✘ {name}: {what} (case '{cases[changed].label}'). {_IN_PLACE}")
            return CheckResult(name, "wrong", text, "input changed in place", hint=text)
        node = self.first_wrong(got, want)
        raised = [i for i, g in enumerate(got) if _error(g) is not None]
        if node is None:            # everything it computed is right: it raised on some case
            i = raised[0]
            where = f"✘ {name} raised an error on case '{cases[i].label}': "
            return CheckResult(name, "error", f"{where}{_error(got[i])}\n{self.table(got, want, cases)}",
                               hint=f"{where}{mask_numbers(_error(got[i]))}")
        mistake = self.node_mistake(node, got, want, cases, outputs_of)
        first = next(i for i, (g, w) in enumerate(zip(got, want))
                     if isinstance(g, Mapping) and not self.node_ok(g, w, node)
                     and (self.known(g, node) or _error(g) is None))
        case = cases[first]
        kind = "intermediate" if self.what == "value" else "gradient"
        lead = f"✘ {name}: the first wrong {kind} is {node}"
        if mistake is not None:
            text = hint = f"{lead}: {mistake.explanation} (seen on case '{case.label}')"
        else:
            tail = f" (case '{case.label}'; {len(bad)} of {n} cases differ)"
            text = f"{lead}: {self.explain_node(node, got[first], want[first], case)}{tail}"
            hint = f"{lead}: {self.explain_node(node, got[first], want[first], case, values=False)}{tail}"
        notes = ""
        if node != self.nodes[-1]:
            notes += "\n  Rows below the first wrong one may be computed from it: fix that one first, then check again."
        if raised:
            i = raised[0]
            notes += f"\n  On case '{cases[i].label}' it raised {_error(got[i])}"
            hint_notes = notes.replace(_error(got[i]), mask_numbers(_error(got[i])))
        else:
            hint_notes = notes
        return CheckResult(name, "wrong", f"{text}\n{self.table(got, want, cases)}{notes}",
                           mistake.name if mistake else None,
                           hint=f"{hint}\n{self.table(got, want, cases, values=False)}{hint_notes}")

    def pass_note(self, got, want) -> str:
        """A remark for a function that passed: ``note(got, want)``, when the exercise has one."""
        return self.note(got, want) if self.note else ""

    def explain_node(self, node, got, want, case, values=True) -> str:
        if node not in got:
            return f"{node} is missing from the returned dict; it must hold every intermediate by name"
        return self._describe_array(node, got[node], want[node], case, values=values)

    def node_mistake(self, node, got, want, cases, outputs_of) -> Mistake | None:
        """The first catalogued mistake whose effect at ``node`` (the first wrong intermediate) is what
        the learner's function did there on every case where it computed that node; where it raised
        before, the mistake must raise the same kind of error."""
        for mistake in self.mistakes:
            if getattr(mistake, "node", None) not in (None, node):
                continue
            effect = getattr(mistake, "effect", None)
            theirs = outputs_of(mistake.impl)
            compared, differs, ok = False, False, True
            for g, w, t, case in zip(got, want, theirs, cases):
                if self.known(g, node):
                    if effect is None and not self.known(t, node):
                        continue                  # the catalogue's version raised before this node
                    try:
                        with np.errstate(all="ignore"):
                            ok = bool(effect(node, g[node], w, case)) if effect else _close(g[node], t[node])
                    except Exception:  # noqa: BLE001 - a learner's odd value is simply not this mistake
                        ok = False
                    compared = True
                    differs = differs or not _close(g[node], w[node])
                else:
                    ok = _error(g) is not None and _error_kind(t) == _error_kind(g)
                if not ok:
                    break
            if ok and compared and differs:
                return mistake
        return None

    def _shape_message(self, name, got, want, case) -> str:
        got, want = tuple(got), tuple(want)
        text = f"{name} has shape {_shape_text(got)} but should have shape {_shape_text(want)}"
        gradient = self.what != "value"
        same_rank = len(got) == len(want)
        if not got:
            return text + ": it is a single number. Sum or average over one axis only, not the whole array"
        if same_rank and all(g == w or w == 1 for g, w in zip(got, want)):
            axis = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
            why = (" The forward pass broadcast this node over that axis, so its gradient adds up the "
                   "contributions along it" if gradient else "")
            return text + f": it was not reduced over axis {axis}.{why} (axis={axis}, keepdims=True)"
        if same_rank:
            return text + ": it was reduced over the wrong axis"
        if len(got) < len(want) and tuple(d for d in want if d != 1) == got:
            return text + (": the reduced axis was dropped. Keep it with keepdims=True, so that it "
                           "broadcasts against the (N, C) arrays the way it did in the forward pass")
        if len(want) == 1 and len(got) == 2 and got[1] == want[0] and got[0] > 1:
            return text + ": it still has one row per example. Sum it over the batch (axis=0)"
        if len(want) == 1 and got == (1, want[0]):
            return text + (": keepdims=True kept the reduced axis; this node has one entry per feature, "
                           "shape (D,)")
        if len(got) == 1 and len(want) == 2 and got[0] == want[1]:
            return text + (": it has one entry per feature, but this node has one per example and "
                           "feature. A mean over the batch in the forward pass is a broadcast in the "
                           "backward pass: every row gets the same share")
        return text


_IN_PLACE = ("An operation such as xmu -= mean, dx_hat *= gamma or a[...] = ... writes into the array itself, "
             "and `a = X` does not copy: both names hold the same array, which the caller still needs "
             "(and the forward pass's intermediates are read, never written). Compute each node as a new "
             "array, xmu = X - mean, dx_hat = dout * gamma (or work on a copy, X.copy()).")


def _changed_in_place(output) -> bool:
    """Did the function change an argument (or an array of the fwd dict) in place (see node_run)?"""
    text = _error(output)
    return bool(text) and text.startswith("ValueError") and " changed " in text and " in place" in text


def _batch(case) -> int:
    return case.args[0].shape[0]


def _scaled(factor):
    """An effect: the value is the expected one times ``factor(case, want)``."""
    return lambda node, g, want, case: _close(g, np.asarray(want[node]) * factor(case, want))


def _equals(value, any_shape=False):
    """An effect: the value equals ``value(case, want)`` (with ``any_shape``: whatever its shape)."""
    def effect(node, g, want, case):
        expected = np.asarray(value(case, want), dtype=float)
        g = np.asarray(g, dtype=float)
        if any_shape:
            return g.size == expected.size and _close(g.ravel(), expected.ravel())
        return _close(g, expected)
    return effect


def _equals_either(*values):
    """An effect: the value equals ``value(case, want)`` for one of ``values`` (on each case)."""
    effects = [_equals(value) for value in values]
    return lambda node, g, want, case: any(effect(node, g, want, case) for effect in effects)


def _generic_mistakes(twice, forgotten, sign):
    """Effects that can show at any node: the mean's 1/N twice or not at all, a lost sign. Each comes
    with one wrong implementation (for the catalogue's own test); the effect recognises them all."""
    return [
        NodeMistake("1/N applied twice", "this gradient is N times too small: the loss's 1/N (the mean "
                    "over the batch) was applied again. It enters the backward pass once, where the "
                    "mean is backpropagated; every later node already carries it.",
                    twice, effect=_scaled(lambda case, want: 1.0 / _batch(case))),
        NodeMistake("1/N of the mean forgotten", "this gradient is N times too large: the 1/N of a mean "
                    "over the batch is missing. A mean's backward broadcasts its upstream gradient "
                    "divided by the number of terms.", forgotten,
                    effect=_scaled(lambda case, want: float(_batch(case)))),
        NodeMistake("sign lost", "this gradient has the wrong sign (every value is minus the expected "
                    "one): a minus sign was dropped or doubled in the step that made it. Look at that "
                    "step's local derivative: a difference gives -1 to what is subtracted (xmu = X - "
                    "mean, so d xmu / d mean = -1), and d(1/x) = -1/x**2.", sign,
                    effect=_scaled(lambda case, want: -1.0)),
    ]


def _staged(steps, nodes):
    """A function ``with_(**wrong)`` that builds an implementation from ``steps`` (name, compute(v)),
    each node computed by ``wrong[name](v)`` instead when given; ``v`` holds every value so far."""
    def with_(**wrong):
        def impl(*args):
            v = steps.start(*args)
            for name, compute in steps.order:
                v[name] = wrong.get(name, compute)(v)
            return {n: v[n] for n in nodes}
        return impl
    return with_


@dataclass(frozen=True)
class _Steps:
    """A pass written as data: ``start(*args)`` gives the dict of inputs, ``order`` the (name,
    compute) steps in the order the pass computes them."""
    start: Callable
    order: tuple


# =========================================================================== softmax cross-entropy

SM_FORWARD_NODES = [("m", "(N, 1)"), ("shifted", "(N, C)"), ("e", "(N, C)"), ("s", "(N, 1)"),
                    ("p", "(N, C)"), ("logp", "(N, C)"), ("picked", "(N,)"), ("loss", "()")]
SM_BACKWARD_NODES = [("dpicked", "(N,)"), ("dlogp", "(N, C)"), ("dp", "(N, C)"), ("ds", "(N, 1)"),
                     ("de", "(N, C)"), ("dshifted", "(N, C)"), ("dm", "(N, 1)"), ("dscores", "(N, C)")]


def _scores(seed, rng=None):
    """(label, scores, y) of each case: the notebook's values from ``seed``, or values drawn from the
    grader's ``rng`` for the same edge cases (rows far apart, large scores, one example, one class)."""
    r = rng if rng is not None else np.random.default_rng(seed)

    def labels(fixed, C):
        return np.array(fixed) if rng is None else r.integers(0, C, len(fixed))
    far = np.array([[800.0], [0.0], [-300.0]]) + r.standard_normal((3, 4)) * 3
    large = 500.0 + r.standard_normal((3, 4)) * 8
    return [("N=4 C=3", r.standard_normal((4, 3)) * 2, labels([0, 2, 1, 2], 3)),
            ("N=C=3", r.standard_normal((3, 3)) * 2, labels([2, 0, 0], 3)),
            ("batch of one (C=5)", r.standard_normal((1, 5)), labels([3], 5)),
            ("rows far apart (N=3 C=4)", far, labels([1, 3, 0], 4)),
            ("large scores (N=3 C=4)", large, labels([0, 0, 3], 4)),
            ("N=5 C=2", r.standard_normal((5, 2)), labels([0, 1, 1, 0, 1], 2)),
            ("one class (N=2 C=1)", r.standard_normal((2, 1)), np.array([0, 0]))]


def _sm_forward_cases(rng=None):
    return [Case(label, (scores, y)) for label, scores, y in _scores(100, rng)]


def _sm_backward_cases(rng=None):
    return [Case(label, (scores, y, softmax_ce_forward_intermediates(scores, y)))
            for label, scores, y in _scores(101, rng)]


def _sm_forward_start(scores, y):
    return {"scores": scores, "y": y, "N": scores.shape[0]}


SM_FORWARD = _Steps(_sm_forward_start, (
    ("m", lambda v: v["scores"].max(axis=1, keepdims=True)),
    ("shifted", lambda v: v["scores"] - v["m"]),
    ("e", lambda v: np.exp(v["shifted"])),
    ("s", lambda v: v["e"].sum(axis=1, keepdims=True)),
    ("p", lambda v: v["e"] / v["s"]),
    ("logp", lambda v: np.log(v["p"])),
    ("picked", lambda v: v["logp"][np.arange(v["N"]), v["y"]]),
    ("loss", lambda v: float(-v["picked"].mean())),
))
sm_forward_with = _staged(SM_FORWARD, [n for n, _ in SM_FORWARD_NODES])


def _row_max_exp_sums(case, axis):
    scores = case.args[0]
    return np.exp(scores - scores.max(axis=1, keepdims=True)).sum(axis=axis)


_KEEPDIMS_M = ("m lost its column: scores.max(axis=1) has shape (N,), and an (N, C) array minus an (N,) "
               "one lines the N maxima up with the C columns (an error when N != C, silently wrong when "
               "N == C). Keep the axis, keepdims=True: m is (N, 1) and broadcasts over each row.")
_KEEPDIMS_S = ("s lost its column: e.sum(axis=1) has shape (N,), and e / s then divides column c by "
               "s[c] instead of row n by s[n] (an error when N != C, silently wrong when N == C). Keep "
               "the axis, keepdims=True: s is (N, 1).")

SM_FORWARD_EXERCISE = NodeExercise(
    "softmax_ce_forward_intermediates", reference.softmax_ce_forward_intermediates, _sm_forward_cases,
    nodes=SM_FORWARD_NODES, input_names=("scores", "y"), mistakes=[
        NodeMistake("keepdims lost in the row max", _KEEPDIMS_M,
                    sm_forward_with(m=lambda v: v["scores"].max(axis=1)), "m",
                    effect=_equals(lambda case, want: case.args[0].max(axis=1))),
        NodeMistake("each column's max instead of each row's", "m holds the maximum of each column "
                    "(axis=0). The shift must be each row's own maximum, (N, 1): only a number shared by "
                    "a whole row cancels between the numerator and the denominator of p. A shift that "
                    "differs along a row changes p, and its gradient would not vanish either, so "
                    "treating it as a constant in the backward pass would be wrong too.",
                    sm_forward_with(m=lambda v: v["scores"].max(axis=0, keepdims=True)), "m",
                    effect=_equals(lambda case, want: case.args[0].max(axis=0), any_shape=True)),
        NodeMistake("the batch's max instead of each row's", "m is the largest score of the whole "
                    "batch. p would be the same in exact arithmetic, but a row whose scores are all far "
                    "below that maximum gets exp(...) = 0 in every column, and p = 0/0 = nan there (case "
                    "'rows far apart'). Shift each row by its own maximum: (N, 1), keepdims=True.",
                    sm_forward_with(m=lambda v: v["scores"].max()), "m",
                    effect=_equals(lambda case, want: case.args[0].max(), any_shape=True)),
        NodeMistake("keepdims lost in the row sum", _KEEPDIMS_S,
                    sm_forward_with(s=lambda v: v["e"].sum(axis=1)), "s",
                    effect=_equals(lambda case, want: _row_max_exp_sums(case, 1))),
        NodeMistake("row sum over the wrong axis", "s was summed over the rows (axis=0): each column's "
                    "sum, mixing different examples. Each row of p must sum to 1, so s[n] is the sum of "
                    "row n of e, over the columns: axis=1, keepdims=True, shape (N, 1).",
                    sm_forward_with(s=lambda v: v["e"].sum(axis=0, keepdims=True)), "s",
                    effect=_equals(lambda case, want: _row_max_exp_sums(case, 0), any_shape=True)),
        NodeMistake("sum of the whole array instead of each row's", "s is one number, the sum of all of "
                    "e: then p sums to 1 over the whole batch instead of in each row. Sum each row: "
                    "axis=1, keepdims=True, shape (N, 1).", sm_forward_with(s=lambda v: v["e"].sum()),
                    "s", effect=_equals(lambda case, want: _row_max_exp_sums(case, None), any_shape=True)),
        NodeMistake("exp of the scores instead of shifted", "e is exp(scores): the shift is missing. The "
                    "forward pass subtracts each row's maximum first, e = exp(shifted), so that no exponent "
                    "is above 0 (exp(800) overflows to inf, and inf / inf is nan: case 'large scores').",
                    sm_forward_with(e=lambda v: np.exp(v["scores"])), "e",
                    effect=_equals(lambda case, want: np.exp(case.args[0]))),
        NodeMistake("log of e instead of p", "logp is log(e): the division by s is missing. logp is the "
                    "logarithm of the probabilities, log(p) with p = e / s (or shifted - log(s)).",
                    sm_forward_with(logp=lambda v: np.log(v["e"])), "logp",
                    effect=_equals(lambda case, want: np.log(want["e"]))),
        NodeMistake("picked with logp[y]", "picked has one row of logp per example: logp[y] takes the ROWS "
                    "y[0], y[1], ... Take one entry of each row, row n and column y[n]: "
                    "logp[np.arange(N), y], shape (N,).",
                    sm_forward_with(picked=lambda v: v["logp"][v["y"]]), "picked",
                    effect=_equals(lambda case, want: want["logp"][case.args[1]])),
        NodeMistake("loss averaged over every class", "the loss averaged every entry of logp, all C classes "
                    "of every example. Only the correct class's log-probability counts: the mean of "
                    "-picked over the N examples.",
                    sm_forward_with(loss=lambda v: float(-v["logp"].mean())), "loss",
                    effect=_equals_either(lambda case, want: -want["logp"].mean(),
                                          lambda case, want: -want["logp"].sum() / _batch(case))),
        NodeMistake("picked with logp[:, y]", "picked has shape (N, N): logp[:, y] takes the columns "
                    "y[0], y[1], ... of every row. Index rows and columns together, "
                    "logp[np.arange(N), y]: one entry per row, (N,).",
                    sm_forward_with(picked=lambda v: v["logp"][:, v["y"]]), "picked",
                    effect=_equals(lambda case, want: want["logp"][:, case.args[1]])),
        NodeMistake("loss summed instead of averaged", "the loss is N times too large: it is the mean "
                    "of -picked over the batch, not the sum.",
                    sm_forward_with(loss=lambda v: float(-v["picked"].sum())), "loss",
                    effect=_scaled(lambda case, want: float(_batch(case)))),
        NodeMistake("minus sign of the loss lost", "the loss has the wrong sign: it is -mean(picked), "
                    "positive, since every log-probability is at most 0.",
                    sm_forward_with(loss=lambda v: float(v["picked"].mean())), "loss",
                    effect=_scaled(lambda case, want: -1.0)),
    ])


def _sm_backward_start(scores, y, fwd):
    N, C = scores.shape
    return dict(fwd, scores=scores, y=y, N=N, C=C, rows=np.arange(N))


def _scatter(v, value=None):
    dlogp = np.zeros((v["N"], v["C"]))
    dlogp[v["rows"], v["y"]] = v["dpicked"] if value is None else value
    return dlogp


def _route_max(v):
    dscores = v["dshifted"].copy()
    dscores[v["rows"], v["scores"].argmax(axis=1)] += v["dm"][:, 0]
    return dscores


def _wrong_columns(v):
    dlogp = np.zeros((v["N"], v["C"]))
    dlogp[:, v["y"]] = v["dpicked"]
    return dlogp


SM_BACKWARD = _Steps(_sm_backward_start, (
    ("dpicked", lambda v: np.full(v["N"], -1.0 / v["N"])),
    ("dlogp", _scatter),
    ("dp", lambda v: v["dlogp"] / v["p"]),
    ("ds", lambda v: -(v["dp"] * v["e"] / v["s"] ** 2).sum(axis=1, keepdims=True)),
    ("de", lambda v: v["dp"] / v["s"] + v["ds"]),
    ("dshifted", lambda v: v["de"] * v["e"]),
    ("dm", lambda v: -v["dshifted"].sum(axis=1, keepdims=True)),
    ("dscores", _route_max),
))
sm_backward_with = _staged(SM_BACKWARD, [n for n, _ in SM_BACKWARD_NODES])


def _fwd(case):
    return case.args[2]


def _ds_unsummed(case, want):
    f = _fwd(case)
    return -(want["dp"] * f["e"] / f["s"] ** 2)


_DENOMINATOR = ("the gradient went back through p = e / s only as 1/s, as if s were a constant. But s is "
                "the sum of e, so e reaches p twice: directly, and through s. The denominator's path "
                "gives ds = -sum(dp * e / s**2) over the columns (keepdims=True), and it comes back to "
                "e: de = dp / s + ds.")
_DM_SUM = ("dm has a column per class, (N, C). m (N, 1) was broadcast over the C columns in "
           "shifted = scores - m, so its gradient adds them up: minus dshifted summed over axis=1 with "
           "keepdims=True, which is 0 up to rounding (each row of dshifted sums to 0).")


def _exactly_zero_dm(got, want) -> str:
    """The note for a dm set to exactly 0 by hand: right in value, but not computed."""
    dms = [np.asarray(g["dm"]) for g in got if isinstance(g, Mapping) and "dm" in g]
    if dms and all(np.all(d == 0) for d in dms) and any(np.any(w["dm"] != 0) for w in want):
        return ("\n  Note: your dm is exactly 0 everywhere. That is right in value, but compute it from "
                "dshifted (minus its row sums): seeing it come out 0 is the point.")
    return ""


SM_BACKWARD_EXERCISE = NodeExercise(
    "softmax_ce_backward_by_hand", reference.softmax_ce_backward_by_hand, _sm_backward_cases,
    nodes=SM_BACKWARD_NODES, input_names=("scores", "y", "fwd"), what="gradient", note=_exactly_zero_dm,
    mistakes=[
            NodeMistake("dpicked a single number", "dpicked is one number, -1/N; picked has one entry per "
                        "example, and so has its gradient: every entry is -1/N, an array of shape (N,) "
                        "(np.full(N, -1 / N)).", sm_backward_with(dpicked=lambda v: -1.0 / v["N"]), "dpicked",
                        effect=lambda node, g, want, case: np.ndim(g) == 0 and want[node].shape != ()
                        and _close(float(g), -1.0 / _batch(case))),
            NodeMistake("1/N of the mean forgotten", "dpicked is N times too large: the loss is the "
                        "MEAN of -picked, so each entry's gradient is -1/N, not -1.",
                        sm_backward_with(dpicked=lambda v: -np.ones(v["N"])), "dpicked",
                        effect=_scaled(lambda case, want: float(_batch(case)))),
            NodeMistake("minus sign of the loss lost", "dpicked has the wrong sign: loss = -mean(picked), "
                        "so raising a log-probability lowers the loss: dpicked = -1/N.",
                        sm_backward_with(dpicked=lambda v: np.full(v["N"], 1.0 / v["N"])), "dpicked",
                        effect=_scaled(lambda case, want: -1.0)),
            NodeMistake("picked gradient spread over every class", "dlogp is nonzero in every column. "
                        "Only the true class's entry of each row was picked, so only dlogp[n, y[n]] "
                        "gets dpicked[n]; the other entries never reached the loss: their gradient is 0.",
                        sm_backward_with(dlogp=lambda v: np.ones((v["N"], v["C"])) * v["dpicked"][:, None]),
                        "dlogp", effect=_equals(lambda case, want: np.ones_like(want["dlogp"])
                                                * want["dpicked"][:, None])),
            NodeMistake("picked with [:, y] in the backward pass", "dlogp[:, y] = ... writes into the "
                        "columns y[0], y[1], ... of EVERY row. Index rows and columns together: "
                        "dlogp[np.arange(N), y] = dpicked, and zeros elsewhere.",
                        sm_backward_with(dlogp=_wrong_columns), "dlogp"),
            NodeMistake("log's derivative with a minus sign", "dp has the wrong sign: the derivative of "
                        "log(p) is +1/p (the minus belongs to the loss, and dpicked already carries it): "
                        "dp = dlogp / p.", sm_backward_with(dp=lambda v: -v["dlogp"] / v["p"]), "dp",
                        effect=_scaled(lambda case, want: -1.0)),
            NodeMistake("log's derivative divided by logp", "dp was divided by logp: the derivative of "
                        "log(p) is 1/p, over p itself, not over the logarithm: dp = dlogp / p.",
                        sm_backward_with(dp=lambda v: v["dlogp"] / v["logp"]), "dp",
                        effect=_equals(lambda case, want: want["dlogp"] / _fwd(case)["logp"])),
            NodeMistake("log's derivative multiplied instead of divided", "dp was multiplied by p: the "
                        "derivative of log(p) is 1/p, so dp = dlogp / p.",
                        sm_backward_with(dp=lambda v: v["dlogp"] * v["p"]), "dp",
                        effect=_equals(lambda case, want: want["dlogp"] * _fwd(case)["p"])),
            NodeMistake("broadcast not summed back", "ds has a column per class, (N, C). In the forward "
                        "pass s (N, 1) was broadcast: all C entries of a row of p used the same s[n]. Its "
                        "gradient adds up all those uses: sum over the columns, axis=1, keepdims=True, "
                        "so that ds is (N, 1) like s.",
                        sm_backward_with(ds=lambda v: -(v["dp"] * v["e"] / v["s"] ** 2)), "ds",
                        effect=_equals(_ds_unsummed)),
            NodeMistake("summed over the wrong axis", "ds was summed over the rows (axis=0), mixing "
                        "different examples. s[n] was shared by the C columns of row n only: sum over "
                        "the columns, axis=1, keepdims=True.",
                        sm_backward_with(ds=lambda v: -(v["dp"] * v["e"] / v["s"] ** 2).sum(axis=0)), "ds",
                        effect=_equals(lambda case, want: _ds_unsummed(case, want).sum(axis=0),
                                       any_shape=True)),
            NodeMistake("keepdims lost", "ds has shape (N,): the sum dropped its axis. s is (N, 1) and "
                        "so is ds (keepdims=True); an (N,) array added to an (N, C) one lines up with the "
                        "columns, not the rows (an error when N != C, silently wrong when N == C).",
                        sm_backward_with(ds=lambda v: -(v["dp"] * v["e"] / v["s"] ** 2).sum(axis=1)), "ds",
                        effect=_equals(lambda case, want: want["ds"][:, 0])),
            NodeMistake("quotient rule without the square", "ds divided by s once where the derivative of "
                        "1/s is -1/s**2: ds = -sum(dp * e / s**2) over the columns (keepdims=True).",
                        sm_backward_with(ds=lambda v: -(v["dp"] * v["e"] / v["s"]).sum(axis=1, keepdims=True)),
                        "ds", effect=_equals_either(
                            lambda case, want: -(want["dp"] * _fwd(case)["e"] / _fwd(case)["s"])
                            .sum(axis=1, keepdims=True),
                            lambda case, want: (want["dp"] * _fwd(case)["e"] / _fwd(case)["s"])
                            .sum(axis=1, keepdims=True))),
            NodeMistake("quotient rule's minus sign lost", "ds has the wrong sign: p = e * s**-1 and "
                        "d(s**-1)/ds = -1/s**2, so ds = -sum(dp * e / s**2) over the columns.",
                        sm_backward_with(ds=lambda v: (v["dp"] * v["e"] / v["s"] ** 2)
                                         .sum(axis=1, keepdims=True)), "ds",
                        effect=_scaled(lambda case, want: -1.0)),
            NodeMistake("division's denominator path missing", _DENOMINATOR,
                        sm_backward_with(ds=lambda v: np.zeros((v["N"], 1))), "ds",
                        effect=lambda node, g, want, case: _close(g, np.zeros_like(want["ds"]))),
            NodeMistake("division's denominator path missing", _DENOMINATOR,
                        sm_backward_with(de=lambda v: v["dp"] / v["s"]), "de",
                        effect=_equals(lambda case, want: want["dp"] / _fwd(case)["s"])),
            NodeMistake("denominator's path subtracted", "de subtracts ds: the two paths of e ADD (a node "
                        "used twice adds up its gradients), de = dp / s + ds; the minus sign of the quotient "
                        "rule is already inside ds.", sm_backward_with(de=lambda v: v["dp"] / v["s"] - v["ds"]),
                        "de", effect=_equals(lambda case, want: want["dp"] / _fwd(case)["s"] - want["ds"])),
            NodeMistake("sum's gradient divided by C", "de's share from s was divided by C, as if s were a "
                        "mean. s is a SUM of a row of e, and a sum hands its upstream gradient unchanged "
                        "to every term: each e[n, c] gets the whole ds[n] (a broadcast, no division).",
                        sm_backward_with(de=lambda v: v["dp"] / v["s"] + v["ds"] / v["C"]), "de",
                        effect=_equals(lambda case, want: want["dp"] / _fwd(case)["s"]
                                       + want["ds"] / case.args[0].shape[1])),
            NodeMistake("exp's local gradient taken as p", "dshifted = de * p: the local gradient of "
                        "e = exp(shifted) is exp(shifted) itself, which the forward pass kept as e (not p = e / s): "
                        "dshifted = de * e.", sm_backward_with(dshifted=lambda v: v["de"] * v["p"]), "dshifted",
                        effect=_equals(lambda case, want: want["de"] * _fwd(case)["p"])),
            NodeMistake("exp's local gradient missing", "dshifted = de: the local gradient of exp is "
                        "missing. d exp(x)/dx = exp(x), which the forward pass kept as e: "
                        "dshifted = de * e.", sm_backward_with(dshifted=lambda v: v["de"]), "dshifted",
                        effect=_equals(lambda case, want: want["de"])),
            NodeMistake("dm not summed over the row", _DM_SUM,
                        sm_backward_with(dm=lambda v: -v["dshifted"]), "dm",
                        effect=_equals(lambda case, want: -want["dshifted"])),
            NodeMistake("dm summed over the wrong axis", "dm was summed over the rows (axis=0). m[n] is "
                        "row n's own maximum, shared by the C columns of that row only: sum dshifted over "
                        "axis=1 (keepdims=True) and change the sign.",
                        sm_backward_with(dm=lambda v: -v["dshifted"].sum(axis=0, keepdims=True)), "dm",
                        effect=_equals(lambda case, want: -want["dshifted"].sum(axis=0), any_shape=True)),
            NodeMistake("the path through shifted missing from dscores", "dscores holds only the max's "
                        "share, which is 0 up to rounding. scores reaches the loss mainly through "
                        "shifted = scores - m, whose local gradient is 1: dscores = dshifted, plus dm at "
                        "each row's maximum.",
                        sm_backward_with(dscores=lambda v: _route_max(v) - v["dshifted"]),
                        "dscores", effect=lambda node, g, want, case: _close(g, np.zeros_like(want[node]))),
            *_generic_mistakes(sm_backward_with(dscores=lambda v: _route_max(v) / v["N"]),
                               sm_backward_with(dlogp=lambda v: _scatter(v, -1.0)),
                               sm_backward_with(dshifted=lambda v: -v["de"] * v["e"])),
        ])


# =========================================================================== batch normalisation

BN_FORWARD_NODES = [("mean", "(D,)"), ("xmu", "(N, D)"), ("sq", "(N, D)"), ("var", "(D,)"),
                    ("std", "(D,)"), ("inv_std", "(D,)"), ("x_hat", "(N, D)"), ("out", "(N, D)")]
BN_STAGED_NODES = [("dbeta", "(D,)"), ("dgamma", "(D,)"), ("dx_hat", "(N, D)"), ("dinv_std", "(D,)"),
                   ("dstd", "(D,)"), ("dvar", "(D,)"), ("dsq", "(N, D)"), ("dxmu", "(N, D)"),
                   ("dmean", "(D,)"), ("dX", "(N, D)")]
BN_SIMPLIFIED_NODES = [("dbeta", "(D,)"), ("dgamma", "(D,)"), ("dX", "(N, D)")]


def _bn_inputs(r):
    """(label, X, eps) of each case: N != D, a square batch, a batch of two, a feature nearly constant
    over the batch (where eps matters), large offsets with a large eps."""
    flat = np.column_stack([r.standard_normal(5), 3.0 + 1e-3 * r.standard_normal(5)])
    return [("N=4 D=3", r.standard_normal((4, 3)), 1e-5),
            ("N=D=3", r.standard_normal((3, 3)) * 2, 1e-5),
            ("batch of two (N=2 D=4)", r.standard_normal((2, 4)), 1e-5),
            ("a nearly constant feature (N=5 D=2)", flat, 1e-5),
            ("offset and scale, eps=0.1 (N=6 D=2)", 100.0 + 50.0 * r.standard_normal((6, 2)), 0.1)]


def _bn_params(r, D):
    return r.standard_normal(D) + 1.0, r.standard_normal(D)


def _bn_forward_cases(rng=None):
    r = rng if rng is not None else np.random.default_rng(102)
    cases = []
    for label, X, eps in _bn_inputs(r):
        gamma, beta = _bn_params(r, X.shape[1])
        cases.append(Case(label, (X, gamma, beta, eps)))
    return cases


def _bn_backward_cases(rng=None):
    r = rng if rng is not None else np.random.default_rng(103)
    cases = []
    for label, X, eps in _bn_inputs(r):
        gamma, beta = _bn_params(r, X.shape[1])
        dout = r.standard_normal(X.shape)
        cases.append(Case(label, (dout, gamma, batchnorm_forward_intermediates(X, gamma, beta, eps))))
    return cases


def _bn_forward_start(X, gamma, beta, eps=1e-5):
    return {"X": X, "gamma": gamma, "beta": beta, "eps": eps, "N": X.shape[0]}


BN_FORWARD = _Steps(_bn_forward_start, (
    ("mean", lambda v: v["X"].mean(axis=0)),
    ("xmu", lambda v: v["X"] - v["mean"]),
    ("sq", lambda v: v["xmu"] ** 2),
    ("var", lambda v: v["sq"].mean(axis=0)),
    ("std", lambda v: np.sqrt(v["var"] + v["eps"])),
    ("inv_std", lambda v: 1.0 / v["std"]),
    ("x_hat", lambda v: v["xmu"] * v["inv_std"]),
    ("out", lambda v: v["gamma"] * v["x_hat"] + v["beta"]),
))
bn_forward_with = _staged(BN_FORWARD, [n for n, _ in BN_FORWARD_NODES])


def _eps(case):
    return case.args[3] if len(case.args) > 3 else 1e-5


_N_MINUS_1 = ("var was divided by N - 1 (the unbiased estimate, like np.var(..., ddof=1)). Batch "
              "normalisation in training mode uses the biased batch variance: the plain mean of sq over "
              "the batch, divided by N.")

BN_FORWARD_EXERCISE = NodeExercise(
    "batchnorm_forward_intermediates", reference.batchnorm_forward_intermediates, _bn_forward_cases,
    nodes=BN_FORWARD_NODES, input_names=("X", "gamma", "beta", "eps"), mistakes=[
        NodeMistake("mean over the features instead of the batch", "mean was taken over each example's "
                    "features (axis=1): that normalises each row (layer normalisation). Batch "
                    "normalisation normalises each feature over the batch: the mean over axis=0, "
                    "shape (D,).", bn_forward_with(mean=lambda v: v["X"].mean(axis=1, keepdims=True)),
                    "mean", effect=_equals(lambda case, want: case.args[0].mean(axis=1), any_shape=True)),
        NodeMistake("mean of the whole batch", "mean is one number, the mean of every entry of X. Each "
                    "feature has its own mean over the batch: X.mean(axis=0), shape (D,).",
                    bn_forward_with(mean=lambda v: v["X"].mean()), "mean",
                    effect=_equals(lambda case, want: case.args[0].mean(), any_shape=True)),
        NodeMistake("mean kept as a row", "mean has shape (1, D): keepdims=True kept the summed axis. "
                    "An array of shape (D,) broadcasts over the rows of an (N, D) one by itself, and "
                    "mean, var, std and inv_std have one entry per feature, shape (D,), like gamma.",
                    bn_forward_with(mean=lambda v: v["X"].mean(axis=0, keepdims=True)), "mean",
                    effect=_equals(lambda case, want: want["mean"][None, :])),
        NodeMistake("variance with 1/(N-1)", _N_MINUS_1,
                    bn_forward_with(var=lambda v: v["sq"].sum(axis=0) / (v["N"] - 1)), "var",
                    effect=_scaled(lambda case, want: _batch(case) / (_batch(case) - 1.0))),
        NodeMistake("variance over the wrong axis", "var was averaged over each example's features "
                    "(axis=1). The variance of each feature is over the batch: the mean of sq over "
                    "axis=0, shape (D,).", bn_forward_with(var=lambda v: v["sq"].mean(axis=1)), "var",
                    effect=_equals(lambda case, want: want["sq"].mean(axis=1), any_shape=True)),
        NodeMistake("eps of your own", "std used an eps of your own (1e-5) instead of the argument eps (see "
                    "the case with eps=0.1): std = sqrt(var + eps), with the eps the function was given.",
                    bn_forward_with(std=lambda v: np.sqrt(v["var"] + 1e-5)), "std",
                    effect=_equals(lambda case, want: np.sqrt(want["var"] + 1e-5))),
        NodeMistake("eps outside the square root", "std = sqrt(var) + eps: eps belongs inside the "
                    "square root, std = sqrt(var + eps). It keeps the division finite when a feature is "
                    "constant over the batch, and it is what the usual frameworks compute.",
                    bn_forward_with(std=lambda v: np.sqrt(v["var"]) + v["eps"]), "std",
                    effect=_equals(lambda case, want: np.sqrt(want["var"]) + _eps(case))),
        NodeMistake("eps left out", "std = sqrt(var) without eps. With a feature (nearly) constant over "
                    "the batch, var is (nearly) 0 and x_hat divides by it; std = sqrt(var + eps).",
                    bn_forward_with(std=lambda v: np.sqrt(v["var"])), "std",
                    effect=_equals(lambda case, want: np.sqrt(want["var"]))),
        NodeMistake("square root missing", "std is var + eps: the square root is missing. x_hat divides "
                    "by the standard deviation, sqrt(var + eps), so that every feature ends with "
                    "variance (almost) 1.", bn_forward_with(std=lambda v: v["var"] + v["eps"]), "std",
                    effect=_equals(lambda case, want: want["var"] + _eps(case))),
        NodeMistake("mean not subtracted in x_hat", "x_hat = X * inv_std: the mean is not subtracted. "
                    "x_hat = xmu * inv_std, with xmu = X - mean.",
                    bn_forward_with(x_hat=lambda v: v["X"] * v["inv_std"]), "x_hat",
                    effect=_equals(lambda case, want: case.args[0] * want["inv_std"])),
        NodeMistake("variance of the whole array", "var is one number, the mean of every entry of sq. "
                    "Each feature has its own variance over the batch: sq.mean(axis=0), shape (D,).",
                    bn_forward_with(var=lambda v: v["sq"].mean()), "var",
                    effect=_equals(lambda case, want: want["sq"].mean(), any_shape=True)),
        NodeMistake("divided by the variance", "x_hat was divided by the variance (var or var + eps) "
                    "instead of the standard deviation: x_hat = xmu * inv_std, with inv_std = "
                    "1 / sqrt(var + eps).", bn_forward_with(x_hat=lambda v: v["xmu"] / (v["var"] + v["eps"])),
                    "x_hat", effect=_equals_either(
                        lambda case, want: want["xmu"] / (want["var"] + _eps(case)),
                        lambda case, want: want["xmu"] / want["var"])),
        NodeMistake("beta left out", "out = gamma * x_hat: the offset beta is missing, out = gamma * x_hat "
                    "+ beta.", bn_forward_with(out=lambda v: v["gamma"] * v["x_hat"]), "out",
                    effect=_equals(lambda case, want: case.args[1] * want["x_hat"])),
        NodeMistake("gamma left out", "out = x_hat + beta: the scale gamma is missing, out = gamma * x_hat "
                    "+ beta.", bn_forward_with(out=lambda v: v["x_hat"] + v["beta"]), "out",
                    effect=_equals(lambda case, want: want["x_hat"] + case.args[2])),
        NodeMistake("gamma and beta swapped", "out = beta * x_hat + gamma: gamma scales and beta "
                    "shifts, out = gamma * x_hat + beta.",
                    bn_forward_with(out=lambda v: v["beta"] * v["x_hat"] + v["gamma"]), "out",
                    effect=_equals(lambda case, want: case.args[2] * want["x_hat"] + case.args[1])),
    ])


_OWN_EPS = ("the std was computed again from var with an eps of your own (1e-5), but the forward pass may "
            "have used another one (see the case with eps=0.1). Use the std the forward pass kept, "
            "fwd['std'] (std**2 = var + eps): dstd = -dinv_std / std**2, dvar = dstd / (2 std).")


def _bn_backward_start(dout, gamma, fwd):
    return dict(fwd, dout=dout, gamma=gamma, N=dout.shape[0])


BN_STAGED = _Steps(_bn_backward_start, (
    ("dbeta", lambda v: v["dout"].sum(axis=0)),
    ("dgamma", lambda v: (v["dout"] * v["x_hat"]).sum(axis=0)),
    ("dx_hat", lambda v: v["dout"] * v["gamma"]),
    ("dinv_std", lambda v: (v["dx_hat"] * v["xmu"]).sum(axis=0)),
    ("dstd", lambda v: -v["dinv_std"] / v["std"] ** 2),
    ("dvar", lambda v: 0.5 * v["dstd"] / v["std"]),
    ("dsq", lambda v: np.ones_like(v["xmu"]) * v["dvar"] / v["N"]),
    ("dxmu", lambda v: v["dx_hat"] * v["inv_std"] + 2.0 * v["xmu"] * v["dsq"]),
    ("dmean", lambda v: -v["dxmu"].sum(axis=0)),
    ("dX", lambda v: v["dxmu"] + v["dmean"] / v["N"]),
))
bn_staged_with = _staged(BN_STAGED, [n for n, _ in BN_STAGED_NODES])


def _not_summed(param):
    return (f"d{param} still has one row per example. {param} (D,) was used by every row of the batch, "
            f"so its gradient adds up every row's contribution: a sum over axis=0, shape (D,).")


def _averaged(param):
    return (f"d{param} was averaged over the batch; it is a SUM of every row's contribution (the loss's "
            f"1/N, if any, is already inside dout).")


def _upstream(case):
    return case.args[0]


_MEAN_FORGOTTEN = ("the term through the mean is missing. X reaches the loss through xmu = X - mean "
                   "and ALSO through the mean itself: dmean = -dxmu.sum(axis=0) (not zero: only the "
                   "variance's share of it cancels), and since the mean averages the N rows, each row of "
                   "X gets dmean / N: dX = dxmu + dmean / N.")

BN_STAGED_EXERCISE = NodeExercise(
    "batchnorm_backward_staged", reference.batchnorm_backward_staged, _bn_backward_cases,
    nodes=BN_STAGED_NODES, input_names=("dout", "gamma", "fwd"), what="gradient", mistakes=[
            NodeMistake("dbeta not summed over the batch", _not_summed("beta"),
                        bn_staged_with(dbeta=lambda v: v["dout"]), "dbeta",
                        effect=_equals(lambda case, want: _upstream(case))),
            NodeMistake("dbeta averaged instead of summed", _averaged("beta"),
                        bn_staged_with(dbeta=lambda v: v["dout"].mean(axis=0)), "dbeta",
                        effect=_scaled(lambda case, want: 1.0 / _batch(case))),
            NodeMistake("dgamma not summed over the batch", _not_summed("gamma"),
                        bn_staged_with(dgamma=lambda v: v["dout"] * v["x_hat"]), "dgamma",
                        effect=_equals(lambda case, want: _upstream(case) * _fwd(case)["x_hat"])),
            NodeMistake("dgamma averaged instead of summed", _averaged("gamma"),
                        bn_staged_with(dgamma=lambda v: (v["dout"] * v["x_hat"]).mean(axis=0)), "dgamma",
                        effect=_scaled(lambda case, want: 1.0 / _batch(case))),
            NodeMistake("dgamma from xmu instead of x_hat", "dgamma used xmu where gamma multiplies x_hat "
                        "(out = gamma * x_hat + beta), so its local gradient is x_hat: "
                        "dgamma = (dout * x_hat).sum(axis=0).",
                        bn_staged_with(dgamma=lambda v: (v["dout"] * v["xmu"]).sum(axis=0)), "dgamma",
                        effect=_equals(lambda case, want: (_upstream(case) * _fwd(case)["xmu"]).sum(axis=0))),
            NodeMistake("gamma missing from dx_hat", "dx_hat = dout: out = gamma * x_hat + beta, so the "
                        "local gradient of out with respect to x_hat is gamma: dx_hat = dout * gamma.",
                        bn_staged_with(dx_hat=lambda v: v["dout"]), "dx_hat",
                        effect=_equals(lambda case, want: _upstream(case))),
            NodeMistake("broadcast not summed back", "dinv_std still has one row per example. inv_std "
                        "(D,) was broadcast over the N rows in x_hat = xmu * inv_std, so its gradient adds "
                        "up the rows: (dx_hat * xmu) summed over axis=0.",
                        bn_staged_with(dinv_std=lambda v: v["dx_hat"] * v["xmu"]), "dinv_std",
                        effect=_equals(lambda case, want: want["dx_hat"] * _fwd(case)["xmu"])),
            NodeMistake("dinv_std from x_hat instead of xmu", "dinv_std used x_hat where the local "
                        "gradient of x_hat = xmu * inv_std with respect to inv_std is xmu: "
                        "(dx_hat * xmu).sum(axis=0).",
                        bn_staged_with(dinv_std=lambda v: (v["dx_hat"] * v["x_hat"]).sum(axis=0)),
                        "dinv_std", effect=_equals(lambda case, want: (want["dx_hat"] * _fwd(case)["x_hat"])
                                                   .sum(axis=0))),
            NodeMistake("derivative of 1/std with the wrong sign", "dstd has the wrong sign: "
                        "d(1/std)/dstd = -1/std**2, so dstd = -dinv_std / std**2.",
                        bn_staged_with(dstd=lambda v: v["dinv_std"] / v["std"] ** 2), "dstd",
                        effect=_scaled(lambda case, want: -1.0)),
            NodeMistake("derivative of 1/std without the square", "dstd = -dinv_std / std: the derivative "
                        "of 1/std is -1/std**2, with the square.",
                        bn_staged_with(dstd=lambda v: -v["dinv_std"] / v["std"]), "dstd",
                        effect=_scaled(lambda case, want: _fwd(case)["std"])),
            NodeMistake("eps left out of dstd", "dstd divided by var where the derivative of 1/std is "
                        "-1/std**2 and std**2 = var + eps: dstd = -dinv_std / std**2, with the std the forward "
                        "pass kept. It shows where a feature is nearly constant.",
                        bn_staged_with(dstd=lambda v: -v["dinv_std"] / v["var"]), "dstd",
                        effect=_equals(lambda case, want: -want["dinv_std"] / _fwd(case)["var"])),
            NodeMistake("eps of your own", _OWN_EPS,
                        bn_staged_with(dstd=lambda v: -v["dinv_std"] / (v["var"] + 1e-5)), "dstd",
                        effect=_equals(lambda case, want: -want["dinv_std"] / (_fwd(case)["var"] + 1e-5))),
            NodeMistake("square root's derivative multiplied by std", "dvar multiplied by std: the "
                        "derivative of sqrt(u) is 1 / (2 sqrt(u)), so dvar = dstd / (2 std), a division.",
                        bn_staged_with(dvar=lambda v: 0.5 * v["dstd"] * v["std"]), "dvar",
                        effect=_equals_either(lambda case, want: 0.5 * want["dstd"] * _fwd(case)["std"],
                                              lambda case, want: want["dstd"] * _fwd(case)["std"])),
            NodeMistake("square root's derivative without the 1/2", "dvar is twice too large: "
                        "d sqrt(u)/du = 1 / (2 sqrt(u)), so dvar = dstd / (2 std).",
                        bn_staged_with(dvar=lambda v: v["dstd"] / v["std"]), "dvar",
                        effect=_scaled(lambda case, want: 2.0)),
            NodeMistake("eps left out of the square root's derivative", "dvar divided by sqrt(var) where "
                        "the forward pass took sqrt(var + eps): dvar = dstd / (2 std), with the std the "
                        "forward pass kept. It shows where a feature is nearly constant.",
                        bn_staged_with(dvar=lambda v: 0.5 * v["dstd"] / np.sqrt(v["var"])), "dvar",
                        effect=_equals(lambda case, want: 0.5 * want["dstd"] / np.sqrt(_fwd(case)["var"]))),
            NodeMistake("eps of your own", _OWN_EPS,
                        bn_staged_with(dvar=lambda v: 0.5 * v["dstd"] / np.sqrt(v["var"] + 1e-5)), "dvar",
                        effect=_equals(lambda case, want: 0.5 * want["dstd"] / np.sqrt(_fwd(case)["var"] + 1e-5))),
            NodeMistake("variance's derivative with 1/(N-1)", "dsq was divided by N - 1. The forward "
                        "pass's variance is the biased one, the MEAN of sq over the N rows, so each "
                        "sq[n, d] gets dvar[d] / N.",
                        bn_staged_with(dsq=lambda v: np.ones_like(v["xmu"]) * v["dvar"] / (v["N"] - 1)),
                        "dsq", effect=_scaled(lambda case, want: _batch(case) / (_batch(case) - 1.0))),
            NodeMistake("variance's 1/N forgotten", "dsq is N times too large: var is the MEAN of sq "
                        "over the N rows, so each sq[n, d] gets dvar[d] / N.",
                        bn_staged_with(dsq=lambda v: np.ones_like(v["xmu"]) * v["dvar"]), "dsq",
                        effect=_scaled(lambda case, want: float(_batch(case)))),
            NodeMistake("mean's gradient not broadcast back", "dsq has shape (D,) but sq is (N, D): "
                        "var is a mean over the rows, so every sq[n, d] gets the same share dvar[d] / N; "
                        "broadcast it to (N, D), e.g. np.ones_like(sq) * dvar / N.",
                        bn_staged_with(dsq=lambda v: v["dvar"] / v["N"]), "dsq",
                        effect=_equals(lambda case, want: want["dsq"][0])),
            NodeMistake("path through the variance missing", "dxmu has only the path through x_hat. xmu "
                        "reaches the loss twice: through x_hat = xmu * inv_std and through sq = xmu**2 "
                        "(then var, std, inv_std). Add both: dxmu = dx_hat * inv_std + 2 * xmu * dsq.",
                        bn_staged_with(dxmu=lambda v: v["dx_hat"] * v["inv_std"]), "dxmu",
                        effect=_equals(lambda case, want: want["dx_hat"] * _fwd(case)["inv_std"])),
            NodeMistake("square's local gradient without xmu", "the path through sq = xmu**2 lacks xmu: "
                        "d(xmu**2)/dxmu = 2 xmu, so dxmu = dx_hat * inv_std + 2 * xmu * dsq.",
                        bn_staged_with(dxmu=lambda v: v["dx_hat"] * v["inv_std"] + 2.0 * v["dsq"]), "dxmu",
                        effect=_equals_either(lambda case, want: want["dx_hat"] * _fwd(case)["inv_std"]
                                              + 2.0 * want["dsq"],
                                              lambda case, want: want["dx_hat"] * _fwd(case)["inv_std"]
                                              + want["dsq"])),
            NodeMistake("square's factor 2 missing", "the path through sq = xmu**2 lacks its factor 2: "
                        "d(xmu**2)/dxmu = 2 xmu, so dxmu = dx_hat * inv_std + 2 * xmu * dsq.",
                        bn_staged_with(dxmu=lambda v: v["dx_hat"] * v["inv_std"] + v["xmu"] * v["dsq"]),
                        "dxmu", effect=_equals(lambda case, want: want["dx_hat"] * _fwd(case)["inv_std"]
                                               + _fwd(case)["xmu"] * want["dsq"])),
            NodeMistake("path through the variance subtracted", "dxmu subtracts the path through sq: both "
                        "paths ADD (a node used twice adds up its gradients), dxmu = dx_hat * inv_std + "
                        "2 * xmu * dsq; the minus signs are already inside dsq.",
                        bn_staged_with(dxmu=lambda v: v["dx_hat"] * v["inv_std"] - 2.0 * v["xmu"] * v["dsq"]),
                        "dxmu", effect=_equals(lambda case, want: want["dx_hat"] * _fwd(case)["inv_std"]
                                               - 2.0 * _fwd(case)["xmu"] * want["dsq"])),
            NodeMistake("dmean averaged instead of summed", "dmean is N times too small: mean (D,) was "
                        "broadcast over the N rows in xmu = X - mean, so its gradient is the SUM of dxmu over "
                        "the batch, dmean = -dxmu.sum(axis=0); the 1/N of the mean comes once, in dX.",
                        bn_staged_with(dmean=lambda v: -v["dxmu"].mean(axis=0)), "dmean",
                        effect=_scaled(lambda case, want: 1.0 / _batch(case))),
            NodeMistake("dmean not summed over the batch", "dmean still has one row per example. mean "
                        "(D,) was broadcast over the N rows in xmu = X - mean, so its gradient adds up "
                        "the rows: dmean = -dxmu.sum(axis=0).",
                        bn_staged_with(dmean=lambda v: -v["dxmu"]), "dmean",
                        effect=_equals(lambda case, want: -want["dxmu"])),
            NodeMistake("term through the mean forgotten", _MEAN_FORGOTTEN,
                        bn_staged_with(dmean=lambda v: np.zeros_like(v["dbeta"])), "dmean",
                        effect=lambda node, g, want, case: _close(g, np.zeros_like(want[node]))),
            NodeMistake("term through the mean forgotten", _MEAN_FORGOTTEN,
                        bn_staged_with(dX=lambda v: v["dxmu"]), "dX",
                        effect=_equals(lambda case, want: want["dxmu"])),
            NodeMistake("mean's share subtracted", "dX subtracts dmean / N: X reaches the loss directly and "
                        "through the mean, and the two paths ADD, dX = dxmu + dmean / N (the minus sign of "
                        "xmu = X - mean is already inside dmean).",
                        bn_staged_with(dX=lambda v: v["dxmu"] - v["dmean"] / v["N"]), "dX",
                        effect=_equals(lambda case, want: want["dxmu"] - want["dmean"] / _batch(case))),
            NodeMistake("mean's gradient not divided by N", "dX = dxmu + dmean: the mean averages the N "
                        "rows of X, so each row gets dmean / N: dX = dxmu + dmean / N.",
                        bn_staged_with(dX=lambda v: v["dxmu"] + v["dmean"]), "dX",
                        effect=_equals(lambda case, want: want["dxmu"] + want["dmean"])),
            *_generic_mistakes(bn_staged_with(dX=lambda v: (v["dxmu"] + v["dmean"] / v["N"]) / v["N"]),
                               bn_staged_with(dxmu=lambda v: (v["dx_hat"] * v["inv_std"]
                                                              + 2.0 * v["xmu"] * v["dsq"]) * v["N"]),
                               bn_staged_with(dX=lambda v: -(v["dxmu"] + v["dmean"] / v["N"]))),
        ])


def _closed_form(v, *, mean_term=1.0, var_term=1.0, var_divisor=None, gamma=True):
    """The closed form's dX from ``v`` (dout, gamma, x_hat, inv_std, N), with its terms switched on or
    off and the variance's N replaced by ``var_divisor(N)``: for the catalogue's wrong versions."""
    dout, N, x_hat = v["dout"], v["N"], v["x_hat"]
    divisor = N if var_divisor is None else var_divisor(N)
    scale = (v["gamma"] if gamma else 1.0) * v["inv_std"]
    return scale * (dout - mean_term * dout.mean(axis=0)
                    - var_term * x_hat * (dout * x_hat).sum(axis=0) / divisor)


def _bn_simplified_start(dout, gamma, fwd):
    return dict(fwd, dout=dout, gamma=gamma, N=dout.shape[0])


def _case_values(case):
    return _bn_simplified_start(*case.args)


BN_SIMPLIFIED = _Steps(_bn_simplified_start, (
    ("dbeta", lambda v: v["dout"].sum(axis=0)),
    ("dgamma", lambda v: (v["dout"] * v["x_hat"]).sum(axis=0)),
    ("dX", lambda v: (v["gamma"] * v["inv_std"] / v["N"])
     * (v["N"] * v["dout"] - v["dbeta"] - v["x_hat"] * v["dgamma"])),
))
bn_simplified_with = _staged(BN_SIMPLIFIED, [n for n, _ in BN_SIMPLIFIED_NODES])


def _boxed(v, *, dbeta_sign=-1.0, dgamma_sign=-1.0, scale="gamma * inv_std", n_dout=True):
    """The boxed formula with one piece changed: the sign of the dbeta or x_hat * dgamma term, the factor
    in front ("gamma * inv_std", "gamma" or "gamma * std"), the N before dout."""
    dout, N, x_hat = v["dout"], v["N"], v["x_hat"]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    factor = {"gamma * inv_std": v["gamma"] * v["inv_std"], "gamma": v["gamma"],
              "gamma * std": v["gamma"] / v["inv_std"]}[scale]
    return factor / N * ((N if n_dout else 1.0) * dout + dbeta_sign * dbeta + dgamma_sign * x_hat * dgamma)


def _boxed_mistake(name, explanation, **change):
    return NodeMistake(name, explanation, bn_simplified_with(dX=lambda v: _boxed(v, **change)), "dX",
                       effect=_equals(lambda case, want: _boxed(_case_values(case), **change)))


def _whole_array_sums(v, gamma_inside=False):
    """The closed form with both sums over the whole array (gamma inside them, or outside)."""
    g = v["gamma"]
    dx_hat = v["dout"] * g if gamma_inside else v["dout"]
    scale = v["inv_std"] / v["N"] * (1.0 if gamma_inside else g)
    return scale * (v["N"] * dx_hat - dx_hat.sum() - v["x_hat"] * (dx_hat * v["x_hat"]).sum())


def _closed_form_mistake(name, explanation, **terms):
    return NodeMistake(name, explanation, bn_simplified_with(dX=lambda v: _closed_form(v, **terms)), "dX",
                       effect=_equals(lambda case, want: _closed_form(_case_values(case), **terms)))


_CLOSED_FORM = "dX = (gamma * inv_std / N) * (N dout - sum(dout) - x_hat * sum(dout * x_hat))"

BN_SIMPLIFIED_EXERCISE = NodeExercise(
    "batchnorm_backward_simplified", reference.batchnorm_backward_simplified, _bn_backward_cases,
    nodes=BN_SIMPLIFIED_NODES, input_names=("dout", "gamma", "fwd"), what="gradient", mistakes=[
        NodeMistake("dbeta not summed over the batch", _not_summed("beta"),
                    bn_simplified_with(dbeta=lambda v: v["dout"]), "dbeta",
                    effect=_equals(lambda case, want: _upstream(case))),
        NodeMistake("dgamma not summed over the batch", _not_summed("gamma"),
                    bn_simplified_with(dgamma=lambda v: v["dout"] * v["x_hat"]), "dgamma",
                    effect=_equals(lambda case, want: _upstream(case) * _fwd(case)["x_hat"])),
        NodeMistake("dbeta averaged instead of summed", _averaged("beta"),
                    bn_simplified_with(dbeta=lambda v: v["dout"].mean(axis=0)), "dbeta",
                    effect=_scaled(lambda case, want: 1.0 / _batch(case))),
        NodeMistake("dgamma averaged instead of summed", _averaged("gamma"),
                    bn_simplified_with(dgamma=lambda v: (v["dout"] * v["x_hat"]).mean(axis=0)), "dgamma",
                    effect=_scaled(lambda case, want: 1.0 / _batch(case))),
        _closed_form_mistake("variance's derivative with 1/(N-1)", "the x_hat term was divided by N - 1. "
                             "It comes from the variance, the MEAN of sq over the N rows, so the closed "
                             f"form has N there, not N - 1 (the unbiased variance, which the forward pass "
                             f"does not use): {_CLOSED_FORM}.", var_divisor=lambda N: N - 1),
        _closed_form_mistake("term through the mean forgotten", "the sum(dout) term is missing: it is "
                             "the path through the batch mean (every X[n] moves the mean, which every "
                             f"x_hat uses). {_CLOSED_FORM}.", mean_term=0.0),
        _closed_form_mistake("term through the variance forgotten", "the x_hat * sum(dout * x_hat) term "
                             f"is missing: it is the path through the batch variance. {_CLOSED_FORM}.",
                             var_term=0.0),
        _closed_form_mistake("gamma missing from dX", "dX lacks the factor gamma: out = gamma * x_hat + "
                             "beta, so every path from out back to X starts with dout * gamma.", gamma=False),
        _boxed_mistake("x_hat term with the wrong sign", "the x_hat * dgamma term was added; it is "
                       "subtracted, like the dbeta term (the path through the variance pulls the "
                       f"gradient away from x_hat): {_CLOSED_FORM}.", dgamma_sign=1.0),
        _boxed_mistake("dbeta term with the wrong sign", "the dbeta term was added; it is subtracted (the "
                       "path through the mean makes every column of dX sum to 0 over the batch): "
                       f"{_CLOSED_FORM}.", dbeta_sign=1.0),
        _boxed_mistake("inv_std missing from dX", "dX lacks the factor inv_std: x_hat = xmu * inv_std, so "
                       f"every path back to X is scaled by it. {_CLOSED_FORM}.", scale="gamma"),
        _boxed_mistake("std instead of inv_std", "dX was multiplied by std where the formula has "
                       f"inv_std = 1 / std (fwd['inv_std']). {_CLOSED_FORM}.", scale="gamma * std"),
        _boxed_mistake("N missing before dout", "the first term is N * dout, not dout: the factor 1/N in "
                       f"front applies to all three terms. {_CLOSED_FORM}.", n_dout=False),
        NodeMistake("sums over the whole array", "sum(dout) and sum(dout * x_hat) are sums over the "
                    "batch, one per feature (axis=0); summing the whole array mixes the features.",
                    bn_simplified_with(dX=_whole_array_sums), "dX", effect=_equals_either(
                        lambda case, want: _whole_array_sums(_case_values(case)),
                        lambda case, want: _whole_array_sums(_case_values(case), gamma_inside=True))),
        *_generic_mistakes(bn_simplified_with(dX=lambda v: _closed_form(v) / v["N"]),
                           bn_simplified_with(dX=lambda v: _closed_form(v) * v["N"]),
                           bn_simplified_with(dX=lambda v: -_closed_form(v))),
    ])


# =========================================================================== the checks

def check_softmax_ce_forward_intermediates(fn):
    """Check ``softmax_ce_forward_intermediates(scores, y) -> dict``: scores (N, C), y (N,); the dict
    holds m (N, 1), shifted, e (N, C), s (N, 1), p, logp (N, C), picked (N,) and loss (a number)."""
    return SM_FORWARD_EXERCISE.check(fn)


def check_softmax_ce_backward_by_hand(fn):
    """Check ``softmax_ce_backward_by_hand(scores, y, fwd) -> dict`` of dpicked (N,), dlogp, dp (N, C),
    ds (N, 1), de, dshifted (N, C), dm (N, 1) and dscores (N, C)."""
    return SM_BACKWARD_EXERCISE.check(fn)


def check_batchnorm_forward_intermediates(fn):
    """Check ``batchnorm_forward_intermediates(X, gamma, beta, eps) -> dict`` of mean (D,), xmu, sq
    (N, D), var, std, inv_std (D,), x_hat and out (N, D)."""
    return BN_FORWARD_EXERCISE.check(fn)


def check_batchnorm_backward_staged(fn):
    """Check ``batchnorm_backward_staged(dout, gamma, fwd) -> dict`` of dbeta, dgamma (D,), dx_hat
    (N, D), dinv_std, dstd, dvar (D,), dsq, dxmu (N, D), dmean (D,) and dX (N, D)."""
    return BN_STAGED_EXERCISE.check(fn)


def check_batchnorm_backward_simplified(fn):
    """Check ``batchnorm_backward_simplified(dout, gamma, fwd) -> dict`` of dbeta, dgamma (D,) and
    dX (N, D), from the closed form."""
    return BN_SIMPLIFIED_EXERCISE.check(fn)


EXERCISES = {e.name: e for e in (SM_FORWARD_EXERCISE, SM_BACKWARD_EXERCISE, BN_FORWARD_EXERCISE,
                                 BN_STAGED_EXERCISE, BN_SIMPLIFIED_EXERCISE)}
