"""Mistakes recognised by their effect, not by equality with one wrong implementation.

A catalogued ``Mistake`` is named when the learner's outputs equal those of its ``impl`` on every case.
That misses the same slip written another way, made in one output only, or combined with a harmless
difference elsewhere. An ``Effect`` describes what the slip does to the result instead:

- ``variants``: functions of the case's arguments that compute the wrong value the slip gives (of
  the whole result, or of one named output, ``part``): ``lambda dout, X, W: dout.T @ X``;
- ``shows(got, want, case)``: a test on the learner's value and the reference's (``got`` is the
  reference times 1/N, negated, transposed, all zeros ...);
- ``raises(text, case)``: an error the slip makes numpy raise (``"could not be broadcast"``); with
  ``alone=True`` such an error is enough to name the slip, otherwise a case must also show it in values.

An effect is named when, on every case, the result (or its ``part``) is either the right one or shows
the effect, and on at least one case it shows it. Every other output is judged on its own: when a
learner's ``dW`` is transposed and ``db`` not summed, both are named (the first one as the verdict's
``mistake``); an output that differs in a way no effect explains is mentioned as differing.

``Exercise(..., effects=[...])`` tries its effects after its catalogue. ``COMMON`` holds the effects
that fit every exercise (an input changed in place, ``^`` for ``**``, a function for single numbers
given an array, math.exp overflowing, ``if``/``max`` on an array, nothing returned, all zeros, outputs
in the wrong order or missing). ``failing_product`` words a numpy shape error by the product that raised
it, read from the learner's line ("the product X @ dout does not fit"), so a slip such as a forgotten
``.T`` can be named from the error alone.
"""
from __future__ import annotations

import ast
import linecache
import os
import re
import warnings
from dataclasses import dataclass
from itertools import permutations
from typing import Callable

import numpy as np

from .core import Mistake, Raised, copy_args, same_output

__all__ = ["Effect", "recognise", "explains", "COMMON", "common", "in_place", "xor_power", "single_number",
           "truth_value", "math_overflow", "undefined_name", "extra_values", "returned_none", "all_zeros", "wrong_order", "output_missing",
           "collapsed", "scaled", "negated", "transposed", "reshaped", "failing_product", "product_failed",
           "product_operands", "upstream_ignored", "upstream_added", "overflow", "not_reduced", "large_input",
           "batch_size"]


@dataclass(frozen=True)
class Effect(Mistake):
    """A mistake recognised by what it does to the result (see the module's docstring). ``impl`` is
    optional: one way of making the mistake, for the documentation and the tests."""
    impl: Callable | None = None
    part: str | None = None
    variants: tuple = ()
    shows: Callable | None = None
    raises: Callable | None = None
    alone: bool = False
    quote: bool = False        # add the text of the error that showed it to the explanation


class _NoPart(Exception):
    pass


def _part(value, index, count):
    if index is None:
        return value
    if isinstance(value, (tuple, list)) and len(value) == count:
        return value[index]
    raise _NoPart


def _safe(test, *args) -> bool:
    try:
        return bool(test(*args))
    except Exception:  # noqa: BLE001 - an output of an odd kind simply does not show the effect
        return False


def _shows(effect, exercise, g, w, case) -> bool:
    same = lambda a, b: same_output(a, b, exercise.rtol, exercise.atol)  # noqa: E731
    for variant in effect.variants:
        try:
            out = variant(*copy_args(case.args), **case.kwargs)
        except Exception:  # noqa: BLE001 - a variant that cannot run on this case shows nothing here
            continue
        if same(g, out) and not same(out, w):
            return True
    return effect.shows is not None and _safe(effect.shows, g, w, case)


def explains(effect: Effect, exercise, got, want, cases) -> bool:
    """Does ``effect`` explain the learner's outputs ``got`` (the reference's: ``want``) on ``cases``?"""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _explains(effect, exercise, got, want, cases)


def _explains(effect, exercise, got, want, cases) -> bool:
    index = None if effect.part is None else exercise.outputs.index(effect.part)
    count = len(exercise.outputs)
    shown = raised = False
    for g, w, case in zip(got, want, cases):
        if isinstance(g, Raised):
            if effect.raises is not None and _safe(effect.raises, g.text, case):
                raised = True
                continue
            return False
        try:
            gp, wp = _part(g, index, count), _part(w, index, count)
        except _NoPart:
            return False
        if same_output(gp, wp, exercise.rtol, exercise.atol):
            continue
        if _shows(effect, exercise, gp, wp, case):
            shown = True
            continue
        return False
    return shown or (raised and effect.alone)


def recognise(exercise, got, want, cases):
    """``(effect, extra words)`` for the learner's outputs, or ``(None, "")``: the first of the exercise's
    effects on the whole result that explains them; else, output by output, the effect that explains
    each wrong output (the first one is the verdict, the others are added to its words)."""
    for effect in exercise.effects:
        if effect.part is None and explains(effect, exercise, got, want, cases):
            return effect, _quoted(effect, got, cases)
    count = len(exercise.outputs)
    if count < 2:
        return None, ""
    wrong = []
    for index in range(count):
        try:
            if any(not isinstance(g, Raised) and not same_output(_part(g, index, count), _part(w, index, count),
                                                                exercise.rtol, exercise.atol)
                   for g, w in zip(got, want)):
                wrong.append(index)
        except _NoPart:
            return None, ""
    found = {}
    for index in wrong:
        name = exercise.outputs[index]
        found[index] = next((e for e in exercise.effects if e.part == name
                             and explains(e, exercise, got, want, cases)), None)
    named = [found[i] for i in wrong if found[i] is not None]
    if not named:
        return None, ""
    extra, said = "", {named[0].name}
    for index in wrong:
        effect = found[index]
        if effect is not None and effect.name in said:
            continue
        if effect is not None:
            said.add(effect.name)
        extra += (f" Also: {effect.explanation}" if effect is not None
                  else f" Also, {exercise.outputs[index]} differs from the expected values.")
    return named[0], extra


def _quoted(effect, got, cases) -> str:
    if not effect.quote or effect.raises is None:
        return ""
    for g, case in zip(got, cases):
        if isinstance(g, Raised) and _safe(effect.raises, g.text, case):
            return f" (the check saw: {g.text.split(': ', 1)[-1]})"
    return ""


# =========================================================================== the matrix product that failed

_PRODUCT = re.compile(r"the product (\S+) @ (\S+) does not fit")


def _operand(node, frame, inputs):
    """``(array, words)`` for an operand of a product, if it is a plain name, a dict entry with a constant
    key (params["W1"]) or either of them transposed with .T; else None (nothing is evaluated). An array
    that is one of ``inputs`` (by identity) is called by the input's name, whatever the learner named it."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = _operand(node.value, frame, inputs)
        return None if inner is None else (inner[0].T, inner[1] + ".T")
    if isinstance(node, ast.Name):
        value = frame.f_locals.get(node.id, frame.f_globals.get(node.id))
    elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
          and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
        holder = frame.f_locals.get(node.value.id, frame.f_globals.get(node.value.id))
        value = holder.get(node.slice.value) if isinstance(holder, dict) else None
    else:
        return None
    if not isinstance(value, np.ndarray):
        return None
    name = next((key for key, given in (inputs or {}).items() if given is value), None)
    return value, name or ast.unparse(node)


def _products(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            yield node.left, node.right
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("dot", "matmul"):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in ("np", "numpy") and len(node.args) == 2:
                yield node.args[0], node.args[1]
            elif not (isinstance(owner, ast.Name) and owner.id in ("np", "numpy")) and len(node.args) == 1:
                yield owner, node.args[0]


def _line_of_a_cell(code, lineno):
    """Line ``lineno`` of the one notebook cell that defines ``code``'s function, for a function whose own
    file name is not in ``linecache`` (a grading kernel compiles the exercise cell again under a name of
    its own; the cell itself, run before by IPython, is cached under IPython's name). "" when no cell,
    or more than one, defines it."""
    if not code.co_filename.startswith("<"):
        return ""
    header = re.compile(rf"^\s*def\s+{re.escape(code.co_name)}\s*\(", re.M)
    cells = [lines for name, entry in list(linecache.cache.items())
             if isinstance(name, str) and name.startswith("<") and len(entry) == 4
             for lines in [entry[2]] if header.search("".join(lines))]
    if len(cells) != 1 or lineno > len(cells[0]):
        return ""
    return cells[0][lineno - 1]


def failing_product(exc, inputs=None):
    """Words for the matrix product that raised ``exc`` (a numpy shape error), read from the line of the
    learner's code where it was raised: "the product X @ dout does not fit: X has shape (4, 3) and
    dout (4, 2)"; None when the line or its operands cannot be read (only names, dict entries with a
    constant key and .T are looked at; nothing is run again). ``inputs``: the function's arguments by
    name, so that an operand that is one of them is called by that name."""
    tb, frame, lineno = exc.__traceback__, None, None
    numpy_dir = os.path.dirname(np.__file__)
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(numpy_dir):
            frame, lineno = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return None
    line = (linecache.getline(frame.f_code.co_filename, lineno)
            or _line_of_a_cell(frame.f_code, lineno)).strip().removeprefix("return ")
    tree = None
    while line and tree is None:          # a line inside a call or a list: drop what closes it
        try:
            tree = ast.parse(line)
        except SyntaxError:
            line = line[:-1].rstrip() if line[-1] in "),]:\\" else ""
    if tree is None:
        return None
    for left, right in _products(tree):
        first, second = _operand(left, frame, inputs), _operand(right, frame, inputs)
        if first is None or second is None or first[0].ndim == 0 or second[0].ndim == 0:
            continue
        (a, left_words), (b, right_words) = first, second
        inner_a, inner_b = a.shape[-1], (b.shape[-2] if b.ndim > 1 else b.shape[0])
        if inner_a != inner_b:
            return (f"the product {left_words} @ {right_words} does not fit: {left_words} has shape {a.shape} "
                    f"and {right_words} has shape {b.shape}, so the inner sizes {inner_a} and {inner_b} differ")
    return None


def product_operands(text):
    """``(left, right)`` of the product named in an error worded with ``failing_product``, or None."""
    found = _PRODUCT.search(text)
    return None if found is None else found.groups()


def product_failed(left, right):
    """A test on a raised error: the product ``left @ right`` (as written, e.g. "X", "W.T") did not fit."""
    def test(text, case):
        return product_operands(text) == (left, right)
    return test


# =========================================================================== helpers for tests

def large_input(case, limit=300.0) -> bool:
    """Whether one of the case's array arguments holds a value larger than ``limit`` in size (where
    exp overflows)."""
    return any(isinstance(a, np.ndarray) and a.dtype.kind in "fc" and a.size and np.max(np.abs(a)) > limit
               for a in case.args)


def batch_size(case, index=0) -> int:
    """N, the number of rows of the case's argument ``index``."""
    return int(np.shape(case.args[index])[0])


def _array(value):
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError("not numbers")
    return a.astype(float)


# =========================================================================== effects for every exercise

def in_place(name="changed an input in place", explanation=None):
    """An input array changed in place (``learner_run`` reports it as "... changed its input x in place")."""
    return Effect(name, explanation or (
        "the function changed an array it was given (with +=, -=, *=, /=, or an assignment into it such as "
        "x[x < 0] = 0), and the caller still needs that array. Compute into a new array instead: "
        "y = x - m makes a new array where x -= m overwrites x (or work on a copy, x.copy())."),
        raises=lambda text, case: "changed its input" in text and "in place" in text, alone=True, quote=True)


def xor_power():
    return Effect("^ instead of **", "`^` is not a power in Python: it is the bitwise XOR, which numpy refuses "
                  "for floats (\"ufunc 'bitwise_xor' not supported\"). Write powers with `**`: out ** 2.",
                  raises=lambda text, case: "bitwise_xor" in text, alone=True)


def single_number():
    return Effect("single-number function on an array",
                  "a function made for single numbers (math.exp, math.log, math.sqrt, float(...)) was given a "
                  "whole array (\"only ... arrays can be converted to Python scalars\"). Use numpy's versions, "
                  "np.exp, np.log, np.sqrt, which work on every element at once.",
                  raises=lambda text, case: "converted to Python scalars" in text
                  or "converted to a Python scalar" in text, alone=True)


def math_overflow():
    return Effect("math.exp overflows",
                  "math.exp works on one number at a time and raises OverflowError (\"math range error\") "
                  "above about 709. Use np.exp on the whole array instead: it overflows quietly to inf, which "
                  "a formula such as 1 / (1 + np.exp(-x)) turns into a clean 0.",
                  raises=lambda text, case: "math range error" in text, alone=True)


def truth_value():
    return Effect("if or max() on a whole array",
                  "Python's `if`, `and`/`or`, max() and min() need one True/False or one number, and an array "
                  "holds many (\"The truth value of an array ... is ambiguous\"). Work elementwise: "
                  "np.maximum(a, b) / np.minimum(a, b), np.where(condition, a, b), or a mask such as (x > 0).",
                  raises=lambda text, case: "truth value of an array" in text, alone=True)


def _has_none(g, w, case):
    return g is None or (isinstance(g, (tuple, list)) and any(v is None for v in g))


def returned_none():
    return Effect("nothing returned",
                  "the function returned None: the variable on its return line never got a value, or the "
                  "result was printed instead of returned. Assign the result to the name on the return line.",
                  shows=_has_none)


def _zeros(g, w, case):
    g, w = _array(g), _array(w)
    return g.size > 0 and not np.any(g) and bool(np.any(np.abs(w) > 1e-12))


def all_zeros(part=None):
    what = part or "the result"
    return Effect("all zeros",
                  f"{what} is all zeros where the expected values are not: an array made with np.zeros "
                  f"(or zeros_like) was returned without being filled, or everything was multiplied by 0 "
                  f"(a mask that is never True?). Print it on a small example to see which.",
                  part=part, shows=_zeros)


def wrong_order(outputs):
    names = ", ".join(outputs)

    def shows(g, w, case):
        if not isinstance(g, (tuple, list)) or len(g) != len(outputs) or len(outputs) < 2:
            return False
        for order in permutations(range(len(outputs))):
            if list(order) != list(range(len(outputs))) and all(
                    same_output(g[i], w[j], 1e-6, 1e-9) for i, j in zip(order, range(len(outputs)))):
                return True
        return False
    return Effect("outputs in the wrong order",
                  f"the right values came back in the wrong order: return {names}, in this order.", shows=shows)


def output_missing(outputs):
    def shows(g, w, case):
        if not isinstance(g, (tuple, list)) or not 0 < len(g) < len(outputs):
            return False
        return all(any(same_output(item, part, 1e-6, 1e-9) for part in w) for item in g)
    return Effect("an output missing",
                  f"the values that came back are right, but not all of them: return {', '.join(outputs)} "
                  f"(all {len(outputs)}, in this order).", shows=shows)


def collapsed(part):
    """A gradient that came back as one number where an array (the shape of its variable) belongs."""
    def shows(g, w, case):
        return np.ndim(g) == 0 and np.ndim(w) > 0 and np.size(w) > 1
    return Effect(f"{part} reduced to one number",
                  f"{part} must have the shape of the variable it belongs to, one derivative per entry; it came "
                  f"back as a single number. Do not sum or average it: keep every entry.", part=part, shows=shows)


def undefined_name():
    return Effect("a name without a value",
                  "a name was used before it had a value (NameError): usually the variable on the function's "
                  "return line, which your code must assign, or a helper from another cell that was not run "
                  "yet.", raises=lambda text, case: text.startswith("NameError"), alone=True, quote=True)


def extra_values(outputs):
    def shows(g, w, case):
        return (isinstance(g, (tuple, list)) and 1 < len(g) and not isinstance(w, (tuple, list))
                and same_output(g[0], w, 1e-6, 1e-9))
    return Effect("more than the result returned",
                  f"the first value returned is right, but the function returned several values; this exercise returns only {outputs[0]} (a gradient comes in a later "
                  f"exercise).", shows=shows)


def common(outputs=("result",)):
    """The effects that fit every exercise, for an exercise whose outputs are ``outputs``."""
    effects = [in_place(), xor_power(), single_number(), math_overflow(), truth_value(), undefined_name(),
               returned_none(), all_zeros()]
    if len(outputs) == 1:
        effects.append(extra_values(outputs))
    if len(outputs) > 1:
        effects.extend([wrong_order(outputs), output_missing(outputs)])
        effects.extend(all_zeros(name) for name in outputs)
    return effects


COMMON = tuple(common())


# =========================================================================== effects by a transformation

def scaled(name, explanation, factor, part=None):
    """The result is ``factor(case)`` times the right one (a factor that is 1 on a case shows nothing there)."""
    def shows(g, w, case):
        k = float(factor(case))
        return abs(k - 1.0) > 1e-9 and same_output(_array(g), k * _array(w), 1e-6, 1e-9)
    return Effect(name, explanation, part=part, shows=shows)


def negated(name, explanation, part=None):
    return scaled(name, explanation, lambda case: -1.0, part)


def transposed(name, explanation, part=None):
    def shows(g, w, case):
        g, w = _array(g), _array(w)
        return g.ndim == 2 and same_output(g.T, w, 1e-6, 1e-9)
    return Effect(name, explanation, part=part, shows=shows)


def reshaped(name, explanation, part=None, shape_test=None):
    """The right values in another shape (``shape_test(got_shape, want_shape)`` may narrow it down)."""
    def shows(g, w, case):
        g, w = _array(g), _array(w)
        return (g.shape != w.shape and g.size == w.size and same_output(g.ravel(), w.ravel(), 1e-6, 1e-9)
                and (shape_test is None or shape_test(g.shape, w.shape)))
    return Effect(name, explanation, part=part, shows=shows)


def upstream_ignored(name, explanation, part=None, dout=0):
    """The local gradient alone: the result times the upstream gradient ``case.args[dout]`` is the right one."""
    def shows(g, w, case):
        up = _array(case.args[dout])
        g = _array(g)
        return (g.shape == up.shape and not np.allclose(up, 1.0)
                and same_output(g * up, _array(w), 1e-6, 1e-9))
    return Effect(name, explanation, part=part, shows=shows)


def upstream_added(name, explanation, part=None, dout=0):
    """The upstream gradient added to the local one instead of multiplied with it."""
    def shows(g, w, case):
        up = _array(case.args[dout])
        if np.any(np.abs(up) < 1e-9):
            return False
        return same_output(_array(g), up + _array(w) / up, 1e-6, 1e-9)
    return Effect(name, explanation, part=part, shows=shows)


def overflow(name, explanation, part=None, limit=300.0):
    """NaN or inf where the right values are finite, on cases with large inputs only."""
    def shows(g, w, case):
        g, w = _array(g), _array(w)
        bad = ~np.isfinite(g)
        return (large_input(case, limit) and g.shape == w.shape and bool(bad.any())
                and bool(np.all(np.isfinite(w))))
    return Effect(name, explanation, part=part, shows=shows)


def not_reduced(name, explanation, part=None, batch=0):
    """An array where one number was expected, whose mean, sum or sum / N is the right number."""
    def shows(g, w, case):
        g, w = _array(g), _array(w)
        if g.ndim == 0 or w.ndim != 0 or g.size == 0:
            return False
        n = batch_size(case, batch)
        return any(same_output(float(v), float(w), 1e-6, 1e-9) for v in (g.mean(), g.sum(), g.sum() / n))
    return Effect(name, explanation, part=part, shows=shows)
