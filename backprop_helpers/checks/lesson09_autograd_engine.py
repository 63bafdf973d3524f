"""Checks for lesson 09, build an autograd engine: the operations on scalar nodes, the backward pass,
and a small network trained on them.

Every exercise works on nodes: objects with ``data``, ``grad``, ``parents`` and a ``backward_step``
closure (the lesson's class ``Value``, also in ``reference.lesson09_autograd_engine``). The checks
build their test graphs with the learner's own class, the ``Value`` of the namespace where the
learner's function was written (so that ``isinstance(b, Value)`` works there), and with a copy of the
lesson's class when there is none; the learner's results are then read by duck typing.

Each run observes a behaviour and returns plain data (numbers, tuples, dicts), so the grader can judge
it too: an operation is called, ``out.grad`` is set to an upstream value and ``out.backward_step()``
runs, with some inputs already holding a gradient and one node used twice; a backward pass runs on
graphs whose nodes record when their ``backward_step`` ran. Most mistakes are recognised by their
symptom across the cases (``EngineExercise.symptoms``), whatever the code that produced it: a gradient
overwritten, the upstream gradient left out, a wrong local gradient (``wrong_local``), a closure that
ran before its users, a node visited twice, gradients that were not zeroed. A slip of the network
exercises that shows on some cases only (an activation chosen wrongly for 'linear', x fed to every
layer) is recognised by ``behaves_like``: on every case the outputs are the right ones or those of one
way of making the slip, driven by the same run on that case. Code from the course's own engine (``backprop_helpers.autograd``)
or the exercise's reference running inside the learner's function is reported, not passed.
"""
from __future__ import annotations

import inspect
import math
from collections import Counter

import numpy as np

from ..reference import lesson09_autograd_engine as engine
from ..validation import describe
from .core import Case, Exercise, Mistake, Raised, same_output

__all__ = ["check_value_add", "check_value_mul", "check_value_pow", "check_value_exp", "check_value_log",
           "check_value_tanh", "check_value_relu", "check_topological_order", "check_backward",
           "check_zero_grad", "check_value_neuron", "check_value_layer", "check_value_mlp",
           "check_value_train_step"]

NODE_ATTRIBUTES = ("data", "grad", "parents", "backward_step")
#: the course's finished engine computes what these exercises ask for: a learner's function that runs
#: any of it is "not yours" (the watch of ``checks.core`` refuses it, as it refuses the reference)
ENGINE = ("autograd.Value", "autograd.topological_order", "value_mlp")

#: the lesson's class with the reference operations attached: the checks' nodes when the learner's
#: function comes with no class of its own (and for the references and the catalogue's answers)
WIRED = engine.wire_operators(type("Value", (engine.Value,), {}))


def node_class(fn):
    """The class of the learner's nodes: the ``Value`` of the namespace ``fn`` was written in, if it
    makes nodes (and is not the course's), else ``WIRED``."""
    cls = getattr(inspect.unwrap(fn), "__globals__", {}).get("Value")
    if isinstance(cls, type) and not str(getattr(cls, "__module__", "")).startswith("backprop_helpers"):
        try:
            probe = cls(1.0)
        except Exception:  # noqa: BLE001 - a broken class is not used; the copy is
            return WIRED
        if all(hasattr(probe, name) for name in NODE_ATTRIBUTES):
            return cls
    return WIRED


def call(fn, *args):
    """``fn(*args)``, a NameError worded as in every lesson (the usual one is the name on the return line)."""
    try:
        return fn(*args)
    except NameError as exc:
        raise NameError(f"{exc}. Every name must get a value before it is used; if it is the name on the "
                        f"function's return line, your code has to set it") from None


def is_node(x):
    return all(hasattr(x, name) for name in NODE_ATTRIBUTES)


def expect_node(name, out, what="the new node it creates"):
    """Raise a TypeError saying what ``name`` returned when ``out`` is not a node."""
    if not is_node(out):
        lacking = [a for a in NODE_ATTRIBUTES if not hasattr(out, a)]
        raise TypeError(f"{name} should return {what}, a Value; it returned {describe(out)} "
                        f"(without {', '.join(lacking)})")
    return out


class EngineExercise(Exercise):
    """An exercise whose run returns named observations (a dict per case).

    ``symptoms`` maps a catalogued mistake's name to a test ``(got, want, cases) -> bool`` on the
    outputs of every case: such a mistake is recognised by its effect, however it was written.
    A mistake without a symptom is recognised, as usual, by its outputs. ``words`` names each
    observation in a message.
    """

    def __init__(self, *args, symptoms=None, words=None, same_as=ENGINE, **kwargs):
        super().__init__(*args, same_as=same_as, **kwargs)
        self.symptoms = dict(symptoms or {})
        self.words = dict(words or {})
        self._cases = None

    def verdict(self, got, cases, outputs_of=None):
        self._cases = list(cases)
        try:
            return super().verdict(got, cases, outputs_of)
        finally:
            self._cases = None

    def matching_mistake(self, got, want, outputs_of):
        for mistake in self.mistakes:
            test = self.symptoms.get(mistake.name)
            if test is not None:
                try:
                    if test(got, want, self._cases):
                        return mistake
                except Exception:  # noqa: BLE001 - odd outputs simply do not show the symptom
                    pass
                continue
            theirs = outputs_of(mistake.impl)
            if any(not self.same(t, w) for t, w in zip(theirs, want)) and \
                    all(self.same(g, t) for g, t in zip(got, theirs)):
                return mistake
        return None

    def same(self, a, b):
        return same_output(a, b, self.rtol, self.atol)

    def explain_difference(self, got, want, case):
        if isinstance(got, dict) and isinstance(want, dict):
            for key, w in want.items():
                if not self.same(got.get(key), w):
                    return self._describe_array(self.words.get(key, key), got.get(key), w, case)
        return super().explain_difference(got, want, case)

    def difference_hint(self, got, want, case):
        if isinstance(got, dict) and isinstance(want, dict):
            for key, w in want.items():
                if not self.same(got.get(key), w):
                    return self._describe_array(self.words.get(key, key), got.get(key), w, case, values=False)
        return super().difference_hint(got, want, case)


def _close(a, b):
    return abs(a - b) <= 1e-9 + 1e-7 * abs(b)


def _raised(outcome, *phrases):
    return isinstance(outcome, Raised) and all(p in outcome.text for p in phrases)


def raised_with(*phrases, any_of=()):
    """Symptom: some case raised an exception whose text holds every phrase (and one of ``any_of``)."""
    return lambda got, want, cases: any(
        _raised(g, *phrases) and (not any_of or any(p in g.text for p in any_of)) for g in got)


# ====================================================================== the operations

def op_run(name):
    """The run of an operation: build the inputs (nodes of the learner's class holding their prior
    gradients, or plain numbers), call the operation, set ``out.grad`` to the upstream gradient and run
    ``out.backward_step()`` once. Observes the result's data, each input node's grad, and the
    result's parents (1 = first input, 2 = second, 0 = a new node holding the plain number, -2 = the
    plain number itself, -1 = another node)."""
    def run(fn, inputs, upstream, priors):
        cls = node_class(fn)
        nodes, args = [], []
        for kind, value in inputs:
            if kind == "node":
                node = cls(value)
                node.grad = priors[len(nodes)]
                nodes.append(node)
                args.append(node)
            elif kind == "same":
                args.append(nodes[value])
            else:
                args.append(value)
        before = [n.data for n in nodes]
        out = expect_node(name, call(fn, *args))
        if any(out is n for n in nodes):
            raise ValueError(f"{name} returned one of its inputs: it must create a new node for the result")
        if [n.data for n in nodes] != before:
            raise ValueError(f"{name} changed the data of an input node: the inputs must stay as they "
                             f"are, the result goes into a new node")
        out.grad = upstream
        out.backward_step()
        if any(is_node(n.grad) for n in nodes):
            raise TypeError(f"{name}: after out.backward_step() an input's grad is a node (a Value), not a "
                            f"number")
        numbers = [v for kind, v in inputs if kind == "number"]
        parents = set()
        for p in out.parents:
            index = next((i + 1 for i, n in enumerate(nodes) if p is n), None)
            if index is None:
                index = (0 if any(p.data == v for v in numbers) else -1) if is_node(p) else -2
            parents.add(index)
        return {"data": out.data, "grads": tuple(n.grad for n in nodes), "parents": tuple(sorted(parents))}
    return run


OP_WORDS = {"data": "the result's data (its value)",
            "grads": "the input nodes' grad after out.backward_step()",
            "parents": "the result's parents (numbered: 1 = a, 2 = b, 0 = a new node for a plain number, "
                       "-2 = a plain number itself, -1 = another node)"}


def binary_cases(op, values):
    """Cases of a binary operation: two nodes, a number (int, then float) on the right, a node used
    twice; with upstream gradients other than 1 and inputs already holding a gradient."""
    (a, b), (c, d), (e, n1), (f, n2), (g,), (h,) = values
    node, same, num = "node", "same", "number"
    return lambda: [
        Case(f"a {op} b", (((node, a), (node, b)), 1.0, (0.0, 0.0))),
        Case(f"a {op} b (out.grad 0.5; a and b holding gradients)",
             (((node, c), (node, d)), 0.5, (0.25, -1.5))),
        Case(f"a {op} {n1} (a plain int; out.grad -2)", (((node, e), (num, n1)), -2.0, (0.0,))),
        Case(f"a {op} {n2} (a plain float; out.grad 3; a holding 1)", (((node, f), (num, n2)), 3.0, (1.0,))),
        Case(f"a {op} a (one node used twice)", (((node, g), (same, 0)), 1.0, (0.0,))),
        Case(f"a {op} a (out.grad -2; a holding 0.75)", (((node, h), (same, 0)), -2.0, (0.75,))),
    ]


def unary_cases(xs, upstreams=(1.0, 0.5, -2.0, 3.0, 1.0), priors=(0.0, 0.0, 0.0, 1.25, -0.5), extra=None):
    """Cases of a one-input operation (``extra``: the plain-number second argument of each, for ``**``)."""
    def cases():
        found = []
        for i, (x, g, p) in enumerate(zip(xs, upstreams, priors)):
            inputs = (("node", x),) if extra is None else (("node", x), ("number", extra[i]))
            base = f"({x:g})" if x < 0 else f"{x:g}"
            what = f"x = {x:g}" if extra is None else f"{base} ** {extra[i]!r}"
            notes = [f"out.grad {g:g}"] * (g != 1.0) + [f"x holding {p:g}"] * bool(p)
            label = what + (f" ({'; '.join(notes)})" if notes else "")
            found.append(Case(label, (inputs, g, (p,))))
        return found
    return cases


def _multiplicity(case):
    inputs = case.args[0]
    counts = [1 for kind, _ in inputs if kind == "node"]
    for kind, value in inputs:
        if kind == "same":
            counts[value] += 1
    return counts


def _each_grad(got, want, cases):
    """(got grad, wanted grad, prior, upstream, uses) for every input node of every case whose data
    is right; None when a case raised or its data is wrong."""
    found = []
    for g, w, case in zip(got, want, cases):
        if not (isinstance(g, dict) and isinstance(w, dict)) or not _close(g["data"], w["data"]):
            return None
        _, upstream, priors = case.args
        found += list(zip(g["grads"], w["grads"], priors, [upstream] * len(priors), _multiplicity(case)))
    return found


def overwritten(got, want, cases):
    """Symptom of ``=`` for ``+=``: every wrong gradient is some of its own contributions without what
    the node held before (a node used k times gets j of its k equal contributions, j >= 1)."""
    grads = _each_grad(got, want, cases)
    if not grads:
        return False
    wrong = [(r, w, p, k) for r, w, p, _, k in grads if not _close(r, w)]
    return bool(wrong) and all(any(_close(r, j * (w - p) / k) for j in range(1, k + 1))
                               for r, w, p, k in wrong)


def upstream_left_out(got, want, cases):
    """Symptom of a missing ``* out.grad``: every gradient is what it would be with out.grad = 1."""
    grads = _each_grad(got, want, cases)
    if not grads:
        return False
    return any(not _close(r, w) for r, w, *_ in grads) and \
        all(_close(r, w) or _close(r, p + (w - p) / u) for r, w, p, u, _ in grads)


def closure_not_attached(got, want, cases):
    """Symptom: out.backward_step() changed no gradient (the class's default closure ran)."""
    grads = _each_grad(got, want, cases)
    return bool(grads) and all(_close(r, p) for r, w, p, *_ in grads) and \
        any(not _close(w, p) for r, w, p, *_ in grads)


def parents_missing(got, want, cases):
    shown = [(g, w) for g, w in zip(got, want) if isinstance(g, dict) and isinstance(w, dict)]
    return bool(shown) and all(len(g["parents"]) == 0 and len(w["parents"]) > 0 for g, w in shown)


def _takes_upstream(local):
    """Whether a local-gradient function reads the upstream gradient too: ``local(datas, out, upstream)``."""
    return getattr(getattr(local, "__code__", None), "co_argcount", 2) >= 3


def _factors(local, datas, out_data, upstream):
    return local(datas, out_data, upstream) if _takes_upstream(local) else local(datas, out_data)


def written_op(kind, forward, local, op, *, wrap="numbers", assign=False, upstream=True, record=True,
               store=True, chain="grad", parents=None):
    """An operation written the way the lesson asks, with one choice made differently: the catalogue's
    wrong answers. ``kind``: "binary" (a node and a node or number), "power" (a node and a plain
    number k) or "unary"; ``forward(*datas)`` and ``local(datas, out_data) -> one factor per parent``
    (or ``local(datas, out_data, upstream)``); ``chain="data"``: out.data multiplies the local
    gradient instead of out.grad; ``parents(nodes) -> the parents recorded``."""
    parents_of = parents

    def operation(a, *rest):
        if kind == "binary":
            b = rest[0]
            if wrap == "always" or (wrap == "numbers" and not is_node(b)):
                b = type(a)(b)
            parents, datas = (a, b), [a.data, b.data]
        else:
            parents, datas = (a,), [a.data, *rest]
        recorded = (parents_of(parents) if parents_of else parents) if record else ()
        out = type(a)(forward(*datas), recorded, op)

        def backward_step():
            for parent, factor in zip(parents, _factors(local, datas, out.data, out.grad)):
                contribution = factor * ((out.grad if chain == "grad" else out.data) if upstream else 1.0)
                if assign:
                    parent.grad = contribution
                else:
                    parent.grad += contribution
        out.backward_step = backward_step if store else backward_step()
        return out
    return operation


def op_mistakes(kind, forward, local, op):
    """The mistakes every operation can have, each written for this operation."""
    same = dict(kind=kind, forward=forward, local=local, op=op)
    found = []
    if kind == "binary":
        found += [
            Mistake("number not wrapped as a node", "`v + 2` fails: the plain number was used as if it "
                    "were a node (AttributeError: 'int' object has no attribute 'data'). A number has no "
                    ".data and no .grad: turn it into a node first, b = Value(b) when b is not a node "
                    "already (a constant; its gradient is computed and never used).",
                    written_op(wrap="never", **same)),
            Mistake("node wrapped again", "Value(...) was given a node where it needs a plain number, and "
                    "float() cannot turn a node into a number: either b was wrapped although it is already a "
                    "node (wrap b only when it is a plain number, not isinstance(b, Value)), or the result's "
                    "number was computed from the nodes themselves (a + b) instead of their numbers "
                    "(a.data + b.data).", written_op(wrap="always", **same)),
            Mistake("an input missing from the parents", "the values and gradients are right, but the "
                    "result's parents do not hold both inputs (see the cases with a plain number, where "
                    "b must first become a node). Create the result with both as parents, "
                    "Value(data, (a, b), op), after b = Value(b) for a number: the topological order "
                    "and the drawings find the graph by following parents.",
                    written_op(parents=lambda nodes: nodes[:1], **same)),
        ]
    found += [
        Mistake("an input node changed", "the operation changed an input node (a.data = ..., a.data += ...): "
                "the inputs keep their values, since other parts of the graph use them. Compute the result's "
                "number into a NEW node, out = Value(<number>, parents, op), and return that.",
                _changing_an_input(kind, forward, local, op)),
        Mistake("an input returned as the result", "the operation returned one of its inputs instead of a new "
                "node. The result is a node of its own, out = Value(<number>, parents, op), whose parents "
                "are the inputs: that is how the graph remembers where it came from.",
                lambda a, *rest: a),
        Mistake("a node where its number belongs", "a node (a Value) was used where its number belongs: "
                "arithmetic and math.exp / math.log / math.tanh work on the numbers a.data, b.data, "
                "out.data, and a gradient is a number too (a.grad += b.data * out.grad, not b * out.grad).",
                _node_for_its_number(kind, forward, local, op)),
        Mistake("closure called instead of stored", "out.backward_step was given the result of calling "
                "your inner function (None), not the function itself. Write out.backward_step = "
                "backward_step, without parentheses: the backward pass calls it later, once out.grad "
                "is known (now it is still 0).", written_op(store=False, **same)),
        Mistake("backward_step never attached", "out.backward_step() changed no input's gradient: the "
                "result still has the class's default backward_step, which does nothing (define the inner "
                "function, then attach it: out.backward_step = backward_step), or the closure writes "
                "somewhere else than the inputs' grad (it adds to a.grad and b.grad, and reads out.grad).",
                written_op(kind=kind, forward=forward, local=lambda datas, out: [0.0] * len(datas), op=op)),
        Mistake("parents not recorded", "the result does not remember its inputs: its parents are "
                "empty. Create it with them, Value(data, (a, b), op) (or (a,) for one input): the "
                "topological order finds every node by following parents, so without them the backward "
                "pass never reaches the inputs.", written_op(record=False, **same)),
        Mistake("= instead of +=", "a gradient was overwritten (=) instead of added to (+=). A node used "
                "twice (a + a, a * a) then keeps only one of its contributions, and a node that already "
                "held a gradient from another use loses it. The chain rule sums over every path: "
                "a.grad += local gradient * out.grad.", written_op(assign=True, **same)),
        Mistake("upstream gradient left out", "the gradients did not scale with out.grad (see the cases "
                "with out.grad = 0.5, -2, 3): the local gradient was added without the upstream "
                "gradient. The chain rule multiplies them: a.grad += local gradient * out.grad.",
                written_op(upstream=False, **same)),
        Mistake("local gradient assigned without out.grad", "each input's grad was SET to its local "
                "gradient alone (a.grad = 1 for a sum): that overwrites what the node held and leaves out the "
                "upstream gradient. The chain rule adds local gradient times out.grad: a.grad += local "
                "gradient * out.grad.", written_op(assign=True, upstream=False, **same)),
        Mistake("out.data used instead of out.grad", "the local gradient was multiplied by out.data, the "
                "result's VALUE, where the chain rule needs out.grad, the gradient that came back from "
                "above: a.grad += local gradient * out.grad.", written_op(chain="data", **same)),
        Mistake("backward_step takes an argument", "out.backward_step() is called without arguments, but "
                "your inner function expects one. It needs none: it reads out.grad (and the inputs' data) "
                "when it runs, because it is defined inside the operation. Write def backward_step(): "
                "with empty parentheses.", _closure_with_argument(written_op(**same))),
    ]
    return found


def _changing_an_input(kind, forward, local, op):
    """One way of making the mistake: the result's number is first written into the input a."""
    operation = written_op(kind=kind, forward=forward, local=local, op=op)

    def wrong(a, *rest):
        out = operation(a, *rest)
        a.data = out.data
        return out
    return wrong


def _node_for_its_number(kind, forward, local, op):
    """One way of making the mistake: the closure adds a node (out instead of out.data) to the grads."""
    operation = written_op(kind=kind, forward=forward, local=local, op=op)

    def wrong(*args):
        out = operation(*args)
        parents = [args[0]] + ([args[1]] if kind == "binary" and is_node(args[1]) else [])

        def backward_step():
            for parent in parents:
                parent.grad = out * 0.0 + parent.grad     # a node, where a number belongs
        out.backward_step = backward_step
        return out
    return wrong


def _closure_with_argument(operation):
    """One way of making the mistake: the closure stored expects an argument."""
    def wrong(*args):
        out = operation(*args)
        step = out.backward_step
        out.backward_step = lambda upstream: step()
        return out
    return wrong


NUMBERS = ("'int'", "'float'")


def _closure_argument_missing(got, want, cases):
    """Symptom: a case raised "missing 1 required positional argument" from a function defined inside
    the operation (the closure, called without arguments, wants one)."""
    return any(_raised(g, "missing 1 required positional argument", "<locals>") for g in got) and \
        all(isinstance(g, Raised) or _close(g["data"], w["data"]) for g, w in zip(got, want) if isinstance(w, dict))


def _parents_shown(compare):
    """Symptom on the parents alone: data and gradients right on every case; the parents right or
    ``compare(got parents, wanted parents)`` on every case, and on some case the latter."""
    def test(got, want, cases):
        shown = False
        for g, w in zip(got, want):
            if not (isinstance(g, dict) and isinstance(w, dict)) or not _close(g["data"], w["data"]):
                return False
            if len(g["grads"]) != len(w["grads"]) or not all(_close(a, b) for a, b in zip(g["grads"], w["grads"])):
                return False
            mine, right = set(g["parents"]), set(w["parents"])
            if mine == right:
                continue
            if not compare(mine, right):
                return False
            shown = True
        return shown
    return test


#: some input (or a plain number's node) missing from the parents
parent_missing = _parents_shown(lambda mine, right: bool(mine) and mine < right)
#: a plain number's node among the parents where the reference has none (the exponent of a power)
number_as_parent = _parents_shown(lambda mine, right: mine in (right | {0}, right | {-2}))


def node_for_number(got, want, cases):
    """Symptom: a grad became a node, or Python / math refused a node in arithmetic on numbers."""
    return any(_raised(g, "grad is a node") or _raised(g, "must be real number, not")
               or (_raised(g, "unsupported operand type(s)") and "Value'" in g.text) for g in got)


OP_SYMPTOMS = {"number not wrapped as a node": raised_with("object has no attribute", any_of=NUMBERS),
               "an input node changed": raised_with("changed the data of an input node"),
               "an input returned as the result": raised_with("returned one of its inputs"),
               "a node where its number belongs": node_for_number,
               "an input missing from the parents": parent_missing,
               "backward_step takes an argument": _closure_argument_missing,
               "node wrapped again": raised_with("float() argument must be"),
               "closure called instead of stored": raised_with("'NoneType' object is not callable"),
               "backward_step never attached": closure_not_attached,
               "parents not recorded": parents_missing,
               "= instead of +=": overwritten,
               "upstream gradient left out": upstream_left_out}


def _case_datas(case):
    """The numbers an operation's inputs hold in a case (a node used twice gives its number twice)."""
    values = []
    for kind, value in case.args[0]:
        values.append(values[value] if kind == "same" else value)
    return values


def wrong_local(forward, *locals_):
    """Symptom of a wrong local gradient: on every case each input node's grad is its prior plus
    out.grad times ``local(datas, out_data)`` (one factor per input, summed for a node used twice) for
    one of ``locals_``, or the case raised ZeroDivisionError where that local gradient divides by 0."""
    def test(got, want, cases):
        return any(all(_shows_local(local, forward, g, w, case) for g, w, case in zip(got, want, cases))
                   for local in locals_)
    return test


def _shows_local(local, forward, g, w, case, chained=None):
    """Whether the input nodes' grads are their priors plus ``local``'s factors times the upstream
    gradient (``chained(out_data, upstream)`` instead of the upstream gradient, when given)."""
    datas = _case_datas(case)
    _, upstream, priors = case.args
    try:
        out_data = forward(*datas)
        factors = _factors(local, datas, out_data, upstream)
    except (ZeroDivisionError, ValueError, OverflowError):
        return _raised(g, "ZeroDivisionError") or _raised(g, "math domain error")
    if not (isinstance(g, dict) and isinstance(w, dict) and _close(g["data"], w["data"])):
        return False
    times = upstream if chained is None else chained(out_data, upstream)
    expected, node = list(priors), -1
    for (kind, value), factor in zip(case.args[0], factors):
        node = node + 1 if kind == "node" else value if kind == "same" else None
        if node is not None:
            expected[node] += times * factor
    return all(_close(r, e) for r, e in zip(g["grads"], expected))


def assigned_local(forward, local):
    """Symptom of ``a.grad = local`` (= and no out.grad): every input node's grad is the local gradient
    of its last use alone, whatever it held and whatever out.grad was."""
    def test(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if not (isinstance(g, dict) and isinstance(w, dict)) or not _close(g["data"], w["data"]):
                return False
            datas = _case_datas(case)
            try:
                factors = _factors(local, datas, forward(*datas), case.args[1])
            except (ZeroDivisionError, ValueError, OverflowError):
                return False
            expected, node = list(case.args[2]), -1
            for (kind, value), factor in zip(case.args[0], factors):
                node = node + 1 if kind == "node" else value if kind == "same" else None
                if node is not None:
                    expected[node] = factor
            if not all(_close(r, e) for r, e in zip(g["grads"], expected)):
                return False
            shown = shown or not same_output(g["grads"], w["grads"], 1e-7, 1e-9)
        return shown
    return test


def chained_with_data(forward, local):
    """Symptom of ``* out.data`` for ``* out.grad``: every grad is its prior plus the right local
    gradient times the result's value, and on some case that is not the right gradient."""
    def test(got, want, cases):
        return all(_shows_local(local, forward, g, w, case, chained=lambda out, up: out)
                   for g, w, case in zip(got, want, cases)) and \
            any(isinstance(g, dict) and isinstance(w, dict) and not same_output(g["grads"], w["grads"], 1e-7, 1e-9)
                for g, w in zip(got, want))
    return test


def _pow_with_exponent_node(a, k):
    """One way of making k a parent: the exponent wrapped as a node and recorded."""
    k = type(a)(k)
    out = type(a)(a.data ** k.data, (a, k), "**")

    def backward_step():
        a.grad += k.data * a.data ** (k.data - 1) * out.grad
    out.backward_step = backward_step
    return out


def _data_in_another_base(got, want, cases):
    """Symptom: out.data is log10 or log2 of the input (and the case's input is not 1)."""
    shown = False
    for g, w, case in zip(got, want, cases):
        if not isinstance(g, dict) or not isinstance(w, dict):
            return False
        if _close(g["data"], w["data"]):
            continue
        x = _case_datas(case)[0]
        if not any(_close(g["data"], f(x)) for f in (math.log10, math.log2)):
            return False
        shown = True
    return shown


def op_exercise(reference, kind, forward, local, op, cases, wrong_locals=(), extra_mistakes=(),
                extra_symptoms=None, extra_mistakes_after=()):
    """The check of one operation: the mistakes every operation can have, then its own. Each of
    ``wrong_locals``, ``(name, explanation, local)``, is a wrong local gradient, recognised by its
    symptom (``wrong_local``); entries may share a name."""
    name = reference.__name__
    same = dict(kind=kind, forward=forward, op=op)
    if kind == "binary":
        left_out = ("one input received no gradient: backward_step adds to each input's grad, a's and b's, "
                    "one line per input (for a + a both lines add to the same node).")
        wrong_locals = list(wrong_locals) + [
            ("an input left out of backward_step", left_out, lambda d, o: [local(d, o)[0], 0.0]),
            ("an input left out of backward_step", left_out, lambda d, o: [0.0, local(d, o)[1]])]
    mistakes = op_mistakes(kind, forward, local, op) + list(extra_mistakes) + [
        Mistake(title, explanation, written_op(local=wrong, **same))
        for title, explanation, wrong in wrong_locals] + list(extra_mistakes_after)
    symptoms = {**OP_SYMPTOMS, "out.data used instead of out.grad": chained_with_data(forward, local),
                "local gradient assigned without out.grad": assigned_local(forward, local),
                **(extra_symptoms or {})}
    for title in dict.fromkeys(title for title, _, _ in wrong_locals):
        symptoms[title] = wrong_local(forward, *(wrong for t, _, wrong in wrong_locals if t == title))
    return EngineExercise(name, reference, cases, mistakes=mistakes, outputs=("result",), run=op_run(name),
                          symptoms=symptoms, words=OP_WORDS, rtol=1e-7, atol=1e-9)


VALUE_ADD = op_exercise(engine.value_add, "binary", lambda x, y: x + y, lambda d, o: [1.0, 1.0], "+",
                        binary_cases("+", [(2.0, -3.0), (1.5, 4.0), (-1.0, 2), (3.0, 0.5), (1.25,), (0.5,)]))

VALUE_MUL = op_exercise(
    engine.value_mul, "binary", lambda x, y: x * y, lambda d, o: [d[1], d[0]], "*",
    binary_cases("*", [(2.0, -3.0), (1.5, 4.0), (-1.5, 2), (3.0, 0.5), (1.25,), (-0.5,)]),
    wrong_locals=[
        ("local gradients swapped", "each input got its own value as its local gradient. For a * b, "
         "d(ab)/da = b: a.grad += b.data * out.grad and b.grad += a.data * out.grad.", lambda d, o: list(d)),
        ("product's local gradients taken as 1", "the local gradients are those of a sum (1 for each "
         "input). For a product, d(ab)/da = b and d(ab)/db = a.", lambda d, o: [1.0, 1.0]),
        ("product's value used as its local gradient", "each input got the product's value out.data = a * b "
         "as its local gradient. The local gradient of each input is the OTHER input: a.grad += b.data * "
         "out.grad and b.grad += a.data * out.grad.", lambda d, o: [o, o])])

VALUE_POW = op_exercise(
    engine.value_pow, "power", lambda x, k: x ** k, lambda d, o: [d[1] * d[0] ** (d[1] - 1)], "**",
    unary_cases((2.0, -1.5, 4.0, 0.5, 3.0), extra=(2, 3, 0.5, -1, -2.0)),
    extra_mistakes=[Mistake("exponent treated as a node", "k is a plain number (v ** 2), so it has no .data: "
                            "use it as it is, a.data ** k, and k * a.data ** (k - 1) for the local gradient.",
                            lambda a, k: engine.value_pow(a, k.data))],
    extra_mistakes_after=[Mistake("exponent made a parent", "k became a node and a parent of the result. k is "
                                  "a plain number, a constant of the operation: the result's only parent is "
                                  "a, Value(a.data ** k, (a,), op), and only a receives a gradient.",
                                  _pow_with_exponent_node)],
    extra_symptoms={"exponent treated as a node": raised_with("has no attribute 'data'", any_of=NUMBERS),
                    "exponent made a parent": number_as_parent},
    wrong_locals=[
        ("power rule without the factor k", "the local gradient lacks the factor k: "
         "d(x^k)/dx = k * x**(k - 1).", lambda d, o: [d[0] ** (d[1] - 1)]),
        ("power rule without lowering the exponent", "the power rule lowers the exponent by one: "
         "d(x^k)/dx = k * x**(k - 1), not k * x**k.", lambda d, o: [d[1] * d[0] ** d[1]]),
        ("k - 1 without parentheses", "the local gradient came out as k * x**k - 1: `**` binds tighter "
         "than `-`, so a.data ** k - 1 is (a.data ** k) - 1. Put the new exponent in parentheses: "
         "k * a.data ** (k - 1).", lambda d, o: [d[1] * d[0] ** d[1] - 1.0]),
        ("k - 1 without parentheses", "the local gradient came out as k * x**k - 1: `**` binds tighter "
         "than `-`, so a.data ** k - 1 is (a.data ** k) - 1. Put the new exponent in parentheses: "
         "k * a.data ** (k - 1).", lambda d, o: [d[1] * (d[0] ** d[1] - 1.0)]),
        ("k - 1 without parentheses", "the local gradient came out as k * x**k - 1: `**` binds tighter "
         "than `-`, so a.data ** k - 1 is (a.data ** k) - 1. Put the new exponent in parentheses: "
         "k * a.data ** (k - 1).", lambda d, o, u: [(d[1] * d[0] ** d[1] - u) / u])])

VALUE_EXP = op_exercise(
    engine.value_exp, "unary", math.exp, lambda d, o: [o], "exp", unary_cases((0.0, 1.0, -2.0, 0.5, 1.5)),
    wrong_locals=[("exp's local gradient taken from the input", "the local gradient was taken as the input "
                   "x. The derivative of e^x is e^x itself, the OUTPUT: a.grad += out.data * out.grad.",
                   lambda d, o: [d[0]]),
                  ("exp applied again", "the local gradient was exp(out.data), e^(e^x): exp was applied to "
                   "the output once more. out.data already is e^x, which is its own derivative: "
                   "a.grad += out.data * out.grad.", lambda d, o: [math.exp(o)]),
                  ("local gradient of 1 (as for +)", "the gradient was passed on unchanged, as addition "
                   "does (local gradient 1). The local gradient of e^x is e^x, the output: "
                   "a.grad += out.data * out.grad.", lambda d, o: [1.0])])

_FROM_THE_INPUT = "d log(x)/dx = 1/x, over the INPUT: a.grad += (1 / a.data) * out.grad."
VALUE_LOG = op_exercise(
    engine.value_log, "unary", math.log, lambda d, o: [1.0 / d[0]], "log",
    unary_cases((2.0, 1.0, 0.25, 5.0, 0.5)),
    wrong_locals=[
        ("log's local gradient taken as x", "the local gradient was x itself. " + _FROM_THE_INPUT,
         lambda d, o: [d[0]]),
        ("log's local gradient taken as log(x)", "the local gradient was the output log(x) itself. "
         + _FROM_THE_INPUT, lambda d, o: [o]),
        ("log's local gradient from the output", "the local gradient was computed as 1 over the OUTPUT, "
         "1 / log(x) (a division by zero at x = 1). " + _FROM_THE_INPUT, lambda d, o: [1.0 / o]),
        ("log's local gradient taken as -1/x**2", "the local gradient was 1/x**2 or -1/x**2 (the derivative "
         "of 1/x, one step too far). " + _FROM_THE_INPUT, lambda d, o: [-1.0 / d[0] ** 2]),
        ("log's local gradient taken as -1/x**2", "the local gradient was 1/x**2 or -1/x**2 (the derivative "
         "of 1/x, one step too far). " + _FROM_THE_INPUT, lambda d, o: [1.0 / d[0] ** 2]),
        ("local gradient of 1 (as for +)", "the gradient was passed on unchanged, as addition does (local "
         "gradient 1). " + _FROM_THE_INPUT, lambda d, o: [1.0])],
    extra_mistakes_after=[Mistake("logarithm in another base", "out.data is the logarithm in base 10 (or 2): "
                                  "math.log10 / np.log10 or math.log2. The lesson's log is the natural "
                                  "logarithm, math.log(a.data), whose derivative is 1/x.",
                                  written_op("unary", math.log10, lambda d, o: [1.0 / d[0]], "log"))],
    extra_symptoms={"logarithm in another base": lambda got, want, cases: _data_in_another_base(got, want, cases)})

VALUE_TANH = op_exercise(
    engine.value_tanh, "unary", math.tanh, lambda d, o: [1.0 - o ** 2], "tanh",
    unary_cases((0.5, 0.0, -1.2, 2.5, 0.8)),
    wrong_locals=[
        ("tanh's local gradient from the input", "the local gradient was computed as 1 - x**2 from the "
         "INPUT x = a.data. The derivative of tanh is 1 - tanh(x)**2: 1 minus the square of the OUTPUT, "
         "(1 - out.data**2) * out.grad.", lambda d, o: [1.0 - d[0] ** 2]),
        ("tanh applied to the output again", "tanh was applied to the output once more: out.data already "
         "is tanh(x), so the local gradient is 1 - out.data**2.", lambda d, o: [1.0 - math.tanh(o) ** 2]),
        ("sigmoid's derivative used for tanh", "t * (1 - t) is the derivative of the sigmoid; tanh's is "
         "1 - t**2 (t = out.data).", lambda d, o: [o * (1.0 - o)]),
        ("tanh's local gradient without the square", "the local gradient was 1 - t (t = out.data): the "
         "square is missing. d tanh(x)/dx = 1 - tanh(x)**2 = 1 - t**2.", lambda d, o: [1.0 - o]),
        ("tanh's local gradient as (1 - t)**2", "the local gradient was (1 - t)**2, the square of the "
         "difference. It is 1 minus the square of the output: 1 - t**2, that is (1 - out.data ** 2).",
         lambda d, o: [(1.0 - o) ** 2]),
        ("local gradient of 1 (as for +)", "the gradient was passed on unchanged, as addition does "
         "(local gradient 1). The local gradient of tanh is 1 - t**2 (t = out.data): "
         "a.grad += (1 - out.data ** 2) * out.grad.", lambda d, o: [1.0]),
        ("sign slip in tanh's local gradient", "the local gradient was t**2 - 1 or 1 + t**2 (t = out.data): "
         "a sign is off. It is 1 - t**2, between 0 and 1: (1 - out.data ** 2) * out.grad.",
         lambda d, o: [o ** 2 - 1.0]),
        ("sign slip in tanh's local gradient", "the local gradient was t**2 - 1 or 1 + t**2 (t = out.data): "
         "a sign is off. It is 1 - t**2, between 0 and 1: (1 - out.data ** 2) * out.grad.",
         lambda d, o: [1.0 + o ** 2])])

_INVERTED = ("the gradient passed where the input was negative and was blocked where it was positive; it "
             "is the other way round (1 where x > 0).")
VALUE_RELU = op_exercise(
    engine.value_relu, "unary", lambda x: max(x, 0.0), lambda d, o: [float(d[0] > 0)], "relu",
    unary_cases((2.0, -1.0, 0.0, 0.5, -3.0)),
    wrong_locals=[
        ("ReLU's value used instead of its slope", "the gradient was multiplied by the ReLU's value "
         "max(x, 0). The local gradient is its slope: 1 where x > 0, else 0.", lambda d, o: [o]),
        ("gradient passed at the kink", "at exactly x = 0 the slope is taken as 0 (the course's convention): "
         "pass the gradient where x > 0, not x >= 0.", lambda d, o: [float(d[0] >= 0)]),
        ("ReLU mask inverted", _INVERTED, lambda d, o: [float(d[0] <= 0)]),
        ("ReLU mask inverted", _INVERTED, lambda d, o: [float(d[0] < 0)]),
        ("ReLU gated on the sign of out.grad", "the gradient was let through where out.grad is positive. "
         "The gate is the ReLU's own slope, which depends on its INPUT: 1 where a.data > 0, else 0, "
         "whatever the sign of the upstream gradient: a.grad += (1.0 if a.data > 0 else 0.0) * out.grad.",
         lambda d, o, u: [float(u > 0)]),
        ("ReLU gated on the sign of out.grad", "the gradient was let through where out.grad is positive. "
         "The gate is the ReLU's own slope, which depends on its INPUT: 1 where a.data > 0, else 0, "
         "whatever the sign of the upstream gradient: a.grad += (1.0 if a.data > 0 else 0.0) * out.grad.",
         lambda d, o, u: [float(u >= 0)]),
        ("ReLU's gate missing", "the gradient went through unchanged everywhere, also where the input "
         "was negative: the local gradient is 1 where a.data > 0 and 0 elsewhere (the ReLU is flat "
         "there).", lambda d, o: [1.0])])


# ====================================================================== graphs and the backward pass

_OPS = {"add": engine.value_add, "mul": engine.value_mul, "tanh": engine.value_tanh, "exp": engine.value_exp}

#: test graphs, node by node: ("leaf", value) or (operation, index of an earlier node, an index or a
#: plain number); the root is the last node
GRAPHS = {
    "one input alone": [("leaf", 1.5)],
    "a chain": [("leaf", 0.5), ("tanh", 0), ("mul", 1, 3.0), ("exp", 2)],
    "x * x": [("leaf", -1.5), ("mul", 0, 0)],
    "(x*y + x) * z": [("leaf", 3.0), ("leaf", -2.0), ("leaf", 4.0), ("mul", 0, 1), ("add", 3, 0),
                      ("mul", 4, 2)],
    "v used at two depths (r = v + 3v)": [("leaf", 0.8), ("tanh", 0), ("mul", 1, 3.0), ("add", 1, 2)],
    "a wider graph": [("leaf", 1.0), ("leaf", -0.5), ("leaf", 2.0), ("mul", 0, 1), ("add", 3, 2), ("tanh", 4),
                      ("mul", 5, 0), ("add", 6, 3), ("mul", 7, 5)],
}


def make_node(cls, value, label):
    """A node of class ``cls`` holding ``value``, labelled if the class takes a label."""
    try:
        return cls(value, label=label)
    except TypeError:
        return cls(value)


def build_graph(spec, cls):
    """The nodes of ``spec`` (its leaves labelled x0, x1, ...) and its root, built with the reference
    operations on leaves of class ``cls``."""
    nodes = []
    for step in spec:
        if step[0] == "leaf":
            nodes.append(make_node(cls, step[1], f"x{len(nodes)}"))
        else:
            args = [nodes[a] if isinstance(a, int) else a for a in step[1:]]
            nodes.append(_OPS[step[0]](*args))
    return nodes, nodes[-1]


def graph_cases(names, priors=None):
    priors = priors or {}
    return lambda: [Case(name + (" (inputs already holding gradients)" if name in priors else ""),
                         (name, priors.get(name))) for name in names]


def _is_order(order, graph_ids):
    position = {}
    for i, node in enumerate(order):
        position.setdefault(id(node), i)
    return all(position.get(id(p), -1) < position[id(n)] for n in order if id(n) in graph_ids
               for p in n.parents if id(p) in position)


def _depth_first(root, visited=True, before=False, first_parent_only=False):
    """A depth-first order written with one of the catalogue's mistakes."""
    order, seen = [], set()

    def visit(node):
        if visited and node in seen:
            return
        seen.add(node)
        if before:
            order.append(node)
        for parent in node.parents[:1] if first_parent_only else node.parents:
            visit(parent)
        if not before:
            order.append(node)
    visit(root)
    return order


def topological_run(fn, graph, _priors=None):
    _, root = build_graph(GRAPHS[graph], node_class(fn))
    result = call(fn, root)
    if isinstance(result, (set, frozenset, dict)):
        raise TypeError(f"topological_order returned a {type(result).__name__}, which keeps no order: "
                        f"return a list, each node appended after its parents")
    if result is None:
        raise TypeError("topological_order returned None: return the list of nodes")
    order = list(result)
    graph = _depth_first(root)                 # not the reference: the watch would take it for the learner's
    ids = {id(n) for n in graph}
    listed = {id(n) for n in order}
    inputs = [n for n in graph if not n.parents]
    return {"nodes listed": len(listed & ids),
            "listed twice": len(order) - len(listed),
            "not in the graph": len(listed - ids),
            "missing": len(ids - listed),
            "inputs missing": sum(id(n) not in listed for n in inputs),
            "parents before children": _is_order(order, ids),
            "root last": bool(order) and order[-1] is root,
            "parents before children when read backwards": _is_order(order[::-1], ids),
            "root listed": any(n is root for n in order)}


def _shows(key, test=lambda value: value):
    return lambda got, want, cases: any(isinstance(g, dict) and test(g[key]) for g in got)


_LEFT_OVER = WIRED(0.5)


def _kept_between_calls(root):
    """The order as a list kept from an earlier call would give it: a node of another graph first
    (deterministic, unlike a real left-over list, so that every run gives the same verdict)."""
    return [_LEFT_OVER] + _depth_first(root)


TOPOLOGICAL_ORDER = EngineExercise(
    "topological_order", engine.topological_order, graph_cases(list(GRAPHS)), run=topological_run,
    mistakes=[
        Mistake("empty order", "topological_order returned an empty list: the nodes were never appended to "
                "the list that is returned. Is the inner function that visits the nodes called, visit(root), "
                "and does it append to that very list?", lambda root: []),
        Mistake("nodes of other graphs in the order", "the order holds nodes that are not in this graph: "
                "they come from earlier calls. The list was made once, outside the function (or as a "
                "default argument, def f(root, order=[])), so it keeps everything earlier calls put in it. "
                "Create order (and visited) inside the function, afresh at every call.",
                _kept_between_calls),
        Mistake("root left out", "the root itself is missing from the order: it is the last node, after "
                "all of its parents. Visit the root like any other node (visit(root) appends it after its "
                "parents), rather than only its parents.",
                lambda root: [n for n in _depth_first(root) if n is not root]),
        Mistake("a set returned", "a set keeps no order (and iterates in any order it likes): return a "
                "list, each node appended after its parents.", lambda root: set(_depth_first(root))),
        Mistake("node listed twice", "a node appears more than once in the order: a node used by two "
                "others was visited through each of them. Keep a set of the nodes already visited and "
                "skip them; otherwise backward runs that node's backward_step twice and its parents' "
                "gradients are counted twice.", lambda root: _depth_first(root, visited=False)),
        Mistake("order reversed (root first)", "the order runs from the root to the inputs; it must put "
                "every node after its parents (the inputs first, the root last). Append a node after "
                "visiting its parents, or reverse the list you built.",
                lambda root: _depth_first(root)[::-1]),
        Mistake("node before its parents", "a node comes before one of its parents: append a node only "
                "after all of its parents are in the order (visit the parents first, then append).",
                lambda root: _depth_first(root, before=True)),
        Mistake("inputs left out", "the inputs (nodes without parents) are missing. Every node belongs in "
                "the order, the inputs too: zero_grad over the order must reach them.",
                lambda root: [n for n in _depth_first(root) if n.parents]),
        Mistake("node left out", "some nodes of the graph are not in the order: follow every parent of "
                "every node, not only the first.", lambda root: _depth_first(root, first_parent_only=True)),
    ],
    symptoms={
        "empty order": lambda got, want, cases: all(isinstance(g, dict) and g["nodes listed"] == 0
                                                    and not g["not in the graph"] for g in got),
        "nodes of other graphs in the order": _shows("not in the graph", lambda n: n > 0),
        "root left out": lambda got, want, cases: all(
            isinstance(g, dict) and not g["root listed"] and g["missing"] == 1 for g in got),
        "a set returned": raised_with("keeps no order"),
        "node listed twice": _shows("listed twice", lambda n: n > 0),
        "order reversed (root first)": lambda got, want, cases: all(
            isinstance(g, dict) and g["parents before children when read backwards"] for g in got)
        and any(not g["parents before children"] for g in got),
        "node before its parents": _shows("parents before children", lambda ok: not ok),
        "inputs left out": lambda got, want, cases: any(
            isinstance(g, dict) and g["missing"] > 0 for g in got) and all(
            isinstance(g, dict) and g["missing"] == g["inputs missing"] for g in got),
        "node left out": _shows("missing", lambda n: n > 0)},
    words={"nodes listed": "the number of the graph's nodes in the order",
           "parents before children": "whether every node comes after its parents (1: yes, 0: no)",
           "root last": "whether the root comes last (1: yes, 0: no)",
           "parents before children when read backwards": "whether the order read backwards puts "
           "parents first (1: yes, 0: no; it should not, except for a graph of one node)"})


def backward_run(fn, graph, priors=None):
    """Run ``fn(root)`` on a graph whose every backward_step records when it ran."""
    nodes, root = build_graph(GRAPHS[graph], node_class(fn))
    leaves = [n for n in nodes if not n.parents]
    for leaf, prior in zip(leaves, priors or ()):
        leaf.grad = prior
    inner = [n for n in engine.topological_order(root) if n.parents]
    calls = []
    for node in inner:
        def recorded(node=node, step=node.backward_step):
            calls.append(node)
            step()
        node.backward_step = recorded
    call(fn, root)
    count = Counter(id(n) for n in calls)
    first = {}
    for i, n in enumerate(calls):
        first.setdefault(id(n), i)
    users = {id(n): [u for u in inner if any(p is n for p in u.parents)] for n in inner}
    early = sum(1 for n in inner if id(n) in first and any(first.get(id(u), len(calls)) > first[id(n)]
                                                          for u in users[id(n)]))
    return {"root's grad": root.grad,
            "inputs' grads": tuple(n.grad for n in leaves),
            "backward_steps run twice": sum(1 for n in inner if count[id(n)] > 1),
            "backward_steps never run": sum(1 for n in inner if count[id(n)] == 0),
            "backward_steps run before their users'": early,
            "root's backward_step first": bool(calls) and calls[0] is root or not inner}


def in_forward_order(got, want, cases):
    """Symptom: every backward_step ran once, but on some graph the root's did not run first."""
    shown = [g for g in got if isinstance(g, dict)]
    return len(shown) == len(got) and any(not g["root's backward_step first"] for g in shown) and \
        not any(g["backward_steps never run"] or g["backward_steps run twice"] for g in shown)


def _nodes_in(order_of):
    def impl(root):
        order = order_of(root)
        root.grad = 1.0
        for node in order:
            node.backward_step()
    return impl


def _reset_then_backward(root):
    order = engine.topological_order(root)
    for node in order:
        node.grad = 0.0
    _nodes_in(lambda r: order[::-1])(root)


def _all_seeded(root):
    for node in reversed(engine.topological_order(root)):
        node.grad = 1.0
        node.backward_step()


def _never_called(root):
    order = engine.topological_order(root)
    root.grad = 1.0
    for node in reversed(order):
        node.backward_step                          # noqa: B018 - the mistake: no parentheses


def _seeded_after(root):
    for node in reversed(engine.topological_order(root)):
        node.backward_step()
    root.grad = 1.0


def nothing_ran(got, want, cases):
    """Symptom: the root was seeded, and no backward_step ran at all."""
    return all(isinstance(g, dict) and _close(g["root's grad"], 1.0) and g["backward_steps never run"] > 0
               and not g["backward_steps run twice"] and not g["root's backward_step first"]
               and not g["backward_steps run before their users'"] for g in got)


def seeded_after(got, want, cases):
    """Symptom: every backward_step ran once, in a right order, and the root holds 1, but no input's
    gradient changed: the seed came after the steps (which passed back 0)."""
    for g, w, case in zip(got, want, cases):
        if not isinstance(g, dict) or not _close(g["root's grad"], 1.0) or g["backward_steps never run"] \
                or g["backward_steps run twice"] or g["backward_steps run before their users'"]:
            return False
        priors = case.args[1] or (0.0,) * len(g["inputs' grads"])
        if not all(_close(a, b) for a, b in zip(g["inputs' grads"], priors)):
            return False
    return any(not same_output(g["inputs' grads"], w["inputs' grads"], 1e-9, 1e-12) for g, w in zip(got, want))


BACKWARD = EngineExercise(
    "backward", engine.backward,
    graph_cases(list(GRAPHS)[1:], priors={"(x*y + x) * z": (0.5, -1.0, 2.0)}), run=backward_run,
    mistakes=[
        Mistake("every node's grad set to 1", "every node's grad was set to 1 before its backward_step ran, "
                "which overwrites what its children passed back. Only the root is seeded, root.grad = 1.0, "
                "once, before the loop; every other node receives its gradient from its children.",
                _all_seeded),
        Mistake("backward_step never called", "no node's backward_step ran: `node.backward_step` without "
                "parentheses only names the function, it does not call it (or the loop ran over an empty "
                "list). Write node.backward_step(), for every node of reversed(topological_order(root)).",
                _never_called),
        Mistake("seed set after the backward steps", "every backward_step ran, but before root.grad was "
                "set to 1, so each passed back 0 and no input's gradient changed. Seed first, root.grad = "
                "1.0, then call the backward_steps in reversed topological order.", _seeded_after),
        Mistake("no seed at the root", "the root's grad was never set to 1 (the seed: d root/d root = 1), "
                "so every backward_step passed back 0 and no gradient changed. Set root.grad = 1.0 before "
                "the nodes' backward_steps run.",
                lambda root: [n.backward_step() for n in reversed(engine.topological_order(root))]),
        Mistake("backward_step run twice", "a node's backward_step ran more than once, so its parents "
                "received its gradient twice. Call each node's backward_step exactly once, in reversed "
                "topological order (a node listed twice in the order does this too).",
                _nodes_in(lambda root: _depth_first(root, visited=False)[::-1])),
        Mistake("backward_steps in forward order", "the backward_steps ran from the inputs to the root, in "
                "the topological order itself, so each ran before the nodes that use it had passed back "
                "their gradient. Walk the order reversed: the root first.",
                _nodes_in(engine.topological_order)),
        Mistake("no topological order", "a node's backward_step ran before every node that uses it had "
                "passed back its gradient, so it passed on an incomplete gradient. The order of a search "
                "from the root is not enough: call them in reversed topological order, "
                "reversed(topological_order(root)).",
                _nodes_in(lambda root: _depth_first(root, before=True))),
        Mistake("backward_step not run for every node", "some nodes' backward_step never ran, so their "
                "parents received nothing from them: every node of topological_order(root) passes its "
                "gradient back.", lambda root: _nodes_in(lambda r: [r])(root)),
        Mistake("gradients reset inside backward", "backward set the gradients to 0 first, so what the "
                "nodes held before was lost. backward adds to the gradients (they accumulate, as in "
                "PyTorch); resetting them is zero_grad's job, between training steps.", _reset_then_backward),
    ],
    symptoms={
        "every node's grad set to 1": lambda got, want, cases: behaves_like(backward_run, _all_seeded)(
            got, want, cases),
        "backward_step never called": nothing_ran,
        "seed set after the backward steps": seeded_after,
        "no seed at the root": lambda got, want, cases: all(
            isinstance(g, dict) and g["root's grad"] == 0 for g in got),
        "backward_step run twice": _shows("backward_steps run twice", lambda n: n > 0),
        "backward_steps in forward order": in_forward_order,
        "no topological order": _shows("backward_steps run before their users'", lambda n: n > 0),
        "backward_step not run for every node": _shows("backward_steps never run", lambda n: n > 0)},
    words={"inputs' grads": "the inputs' grad after backward(root)",
           "root's backward_step first": "whether the root's backward_step ran first (1: yes, 0: no)"})


def zero_grad_run(fn, grads, how):
    cls = node_class(fn)
    nodes = [make_node(cls, 1.0 + i, f"n{i}") for i in range(len(grads))]
    for node, g in zip(nodes, grads):
        node.grad = g
    given = nodes + nodes[:1] if how == "a node listed twice" else nodes
    given = tuple(given) if how == "a tuple" else given
    call(fn, given)
    return {"grads": tuple(n.grad for n in nodes), "data": tuple(n.data for n in nodes)}


def _only_first(nodes):
    for node in nodes:
        node.grad = 0.0
        return


def _emptying(nodes):
    while nodes:
        nodes.pop().grad = 0.0


def _all_but_the_last(nodes):
    for node in nodes[:-1]:
        node.grad = 0.0


def _on_the_list(nodes):
    nodes.grad = 0.0


def _nodes_as_indices(nodes):
    for i in nodes:
        nodes[i].grad = 0.0


def some_not_reset(got, want, cases):
    """Symptom: data untouched, every node's grad either 0 or what it held, and on some case a node
    that held a gradient kept it."""
    shown = False
    for g, w, case in zip(got, want, cases):
        if not isinstance(g, dict) or g["data"] != w["data"]:
            return False
        for after, before in zip(g["grads"], case.args[0]):
            if after is None or not (after == 0 or after == before):
                return False
            shown = shown or (after == before and before != 0)
    return shown


ZERO_GRAD = EngineExercise(
    "zero_grad", engine.zero_grad,
    lambda: [Case("three nodes", ((0.5, -2.0, 3.0), "a list")), Case("one node", ((1.5,), "a list")),
             Case("no nodes", ((), "a list")),
             Case("a node listed twice", ((2.0, -1.0), "a node listed twice")),
             Case("a tuple of nodes", ((0.25, 4.0), "a tuple"))],
    run=zero_grad_run,
    mistakes=[
        Mistake("data zeroed instead of grad", "zero_grad set data to 0: the nodes' values are lost and "
                "their gradients kept. It is node.grad = 0.0.",
                lambda nodes: [setattr(n, "data", 0.0) for n in nodes]),
        Mistake("gradients left unchanged", "after zero_grad the nodes still hold their gradients. Assign "
                "to each node's attribute: node.grad = 0.0 (node.grad == 0 only compares, node = 0 "
                "only gives the loop's name another value, and nodes = [...] only gives the function's "
                "name a new list: the caller's nodes are untouched).", lambda nodes: [n.grad == 0 for n in nodes]),
        Mistake("grad set to None", "grad became None; it must be the number 0.0, since the backward "
                "pass adds to it (None += 1.0 fails).",
                lambda nodes: [setattr(n, "grad", None) for n in nodes]),
        Mistake("only the first node reset", "only the first node was reset: is a return inside the loop?",
                _only_first),
        Mistake("list of nodes emptied", "zero_grad emptied the list it was given (nodes.pop(), del "
                "nodes[...], nodes.clear()): the caller still needs its nodes. Leave the list as it is and "
                "change each node: for node in nodes: node.grad = 0.0.", _emptying),
        Mistake("some nodes not reset", "some nodes kept their gradient: the loop did not reach every node "
                "of the list (nodes[1:], range(len(nodes) - 1), a condition that skips some ...). Reset "
                "each one: for node in nodes: node.grad = 0.0.", _all_but_the_last),
        Mistake("grad set on the list", "zero_grad set grad on the list (or tuple) itself, nodes.grad = 0, "
                "which has no such attribute; each node in it has one. Loop over them: for node in nodes: "
                "node.grad = 0.0.", _on_the_list),
        Mistake("nodes used as indices", "`for i in nodes` gives the nodes themselves, not their positions, "
                "so nodes[i] fails. Use the node directly, for node in nodes: node.grad = 0.0 (or "
                "for i in range(len(nodes)): nodes[i].grad = 0.0).", _nodes_as_indices),
    ],
    symptoms={
        "list of nodes emptied": lambda got, want, cases: any(
            isinstance(g, dict) and len(g["grads"]) < len(w["grads"]) for g, w in zip(got, want)),
        "some nodes not reset": some_not_reset,
        "grad set on the list": raised_with("object has no attribute 'grad'", any_of=("'list'", "'tuple'")),
        "nodes used as indices": raised_with("indices must be integers"),
        "gradients left unchanged": lambda got, want, cases: all(
            isinstance(g, dict) and g["grads"] == c.args[0] and g["data"] == w["data"]
            for g, w, c in zip(got, want, cases)),
        "grad set to None": _shows("grads", lambda gs: any(x is None for x in gs))},
    words={"grads": "the nodes' grad after zero_grad", "data": "the nodes' data after zero_grad"})


# ====================================================================== a network of nodes

def _nodes(cls, values, label):
    values = np.asarray(values, dtype=float)
    out = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        out[index] = make_node(cls, float(values[index]), f"{label}{list(index)}")
    return out


def _grads(array):
    return np.array([n.grad for n in array.flat], dtype=float).reshape(array.shape)


def _loss_of(outputs, dout):
    """sum_h dout[h] * outputs[h], built with the reference operations (so every output gets its own
    upstream gradient dout[h])."""
    total = engine.value_mul(outputs[0], float(dout[0]))
    for o, d in zip(outputs[1:], dout[1:]):
        total = engine.value_add(total, engine.value_mul(o, float(d)))
    return total


def _outputs(name, result, count):
    if not isinstance(result, (list, tuple, np.ndarray)) or len(result) != count:
        raise TypeError(f"{name} should return a list of {count} nodes, one per unit; it returned "
                        f"{describe(result)}")
    for item in result:
        expect_node(name, item, "a list of nodes")
    return list(result)


def neuron_run(fn, D, activation, x_as, seed):
    r = np.random.default_rng(seed)
    cls = node_class(fn)
    w, b = _nodes(cls, r.standard_normal(D), "w"), make_node(cls, float(r.standard_normal()), "b")
    x = r.standard_normal(D)
    x = {"a list of floats": [float(v) for v in x], "an array": x, "nodes": list(_nodes(cls, x, "x"))}[x_as]
    w = list(w) if x_as == "a list of floats" else w
    out = expect_node("value_neuron", call(fn, w, b, x, activation))
    engine.backward(out)
    grads = [n.grad for n in w] + [b.grad] + ([n.grad for n in x] if x_as == "nodes" else [])
    return {"data": out.data, "grads": tuple(grads)}


def behaves_like(run, *impls):
    """Symptom: on every case the outputs are the right ones or those that one of ``impls`` gives when
    ``run`` drives it on that case (the slip may show on some cases only, and be written any way);
    on some case they are one of the latter where that differs from the right ones."""
    def test(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if same_output(g, w, 1e-6, 1e-9):
                continue
            for impl in impls:
                try:
                    theirs = run(impl, *case.args)
                except Exception as exc:  # noqa: BLE001 - the slip may make the run fail
                    theirs = Raised(exc)
                if same_output(g, theirs, 1e-6, 1e-9) and not same_output(theirs, w, 1e-6, 1e-9):
                    shown = True
                    break
            else:
                return False
        return shown
    return test


def _fixed_activation(impl, act):
    """``impl`` called with the activation ``act`` whatever it is asked for."""
    def fn(*args):
        return impl(*args[:-1], act)
    return fn


ACTIVATIONS = ("tanh", "relu", "linear")
_WHICH_ACTIVATION = ("'tanh' applies z.tanh(), 'relu' z.relu() and 'linear' none at all (z itself, for the "
                     "output layer). Compare the activation argument with each name (an if/elif/else whose "
                     "else is 'linear'), and pass it on unchanged to what you call.")

NEURON_CASES = lambda: [Case("D=3 tanh (x an array)", (3, "tanh", "an array", 90)),   # noqa: E731
                        Case("D=1 tanh (x a list)", (1, "tanh", "a list of floats", 91)),
                        Case("D=4 relu", (4, "relu", "an array", 92)),
                        Case("D=2 linear (no activation)", (2, "linear", "an array", 97)),   # z < 0
                        Case("D=2 tanh (x nodes too)", (2, "tanh", "nodes", 94))]


def _neuron(bias=True, act="given", each=False):
    """A neuron with a slip: ``bias`` False (left out), "after" (added after the activation) or "each"
    (added to every product); ``act``: "always tanh", "none"; ``each``: the activation on each product."""
    def impl(w, b, x, activation="tanh"):
        kind = "tanh" if act == "always tanh" else activation
        apply = (lambda z: z) if act == "none" else (lambda z: getattr(z, kind)() if kind != "linear" else z)
        terms = [apply(wd * xd) if each else wd * xd for wd, xd in zip(w, x)]
        if bias == "each":
            terms = [t + b for t in terms]
        z = b if bias is True else terms.pop(0)
        for term in terms:
            z = z + term
        if bias == "after":
            return apply(z) + b
        return z if each else apply(z)
    return impl


def _linear_not_handled(w, b, x, activation="tanh"):
    if activation == "linear":
        raise NameError("name 'out' is not defined. Every name must get a value before it is used; if it is "
                        "the name on the function's return line, your code has to set it")
    return engine.value_neuron(w, b, x, activation)


def linear_not_handled(got, want, cases):
    """Symptom: a NameError on every 'linear' case (and only there), the other cases right."""
    shown = False
    for g, w, case in zip(got, want, cases):
        if case.args[1] == "linear":
            if not (_raised(g, "NameError") or _raised(g, "it returned NoneType None")):
                return False
            shown = True
        elif not same_output(g, w, 1e-6, 1e-9):
            return False
    return shown


def _multiplied_lists(w, b, x, activation="tanh"):
    products = w * x              # entry by entry for numpy arrays; an error for two lists
    return engine.value_neuron(list(products), b, [1.0] * len(products), activation)


def _reflected_missing(symbol):
    def impl(*args, **kwargs):         # what Python says when the class lacks the reflected operator
        raise TypeError(f"unsupported operand type(s) for {symbol}: 'int' and 'Value'")
    return impl


def _no_tanh(*args, **kwargs):         # what Python says when the class lacks the method
    raise AttributeError("'Value' object has no attribute 'tanh'")


NETWORK_MISTAKES = [
    Mistake("__radd__ missing", "`0 + node` failed: sum() starts from the number 0, and when int cannot "
            "add a node Python asks the node for node.__radd__(0), which your class does not have. Attach "
            "it: Value.__radd__ = value_add (a + b = b + a), and sum() and 2 + v work.",
            _reflected_missing("+")),
    Mistake("__rmul__ missing", "`number * node` failed: with the number on the left, Python asks the "
            "node for __rmul__, which your class does not have. Attach it: Value.__rmul__ = value_mul.",
            _reflected_missing("*")),
    Mistake("operation not attached to the class", "your class has no method for an operation used "
            "here: run the cells that attach each function to Value after its check (Value.tanh = "
            "value_tanh, Value.relu = value_relu, ...).", _no_tanh),
]
NETWORK_SYMPTOMS = {
    "__radd__ missing": raised_with("unsupported operand type(s) for +:", any_of=NUMBERS),
    "__rmul__ missing": raised_with("unsupported operand type(s) for *:", any_of=NUMBERS),
    "operation not attached to the class": raised_with("AttributeError", "object has no attribute",
                                                       any_of=("'tanh'", "'relu'", "'exp'", "'log'"))}




VALUE_NEURON = EngineExercise(
    "value_neuron", engine.value_neuron, NEURON_CASES, run=neuron_run,
    mistakes=NETWORK_MISTAKES + [
        Mistake("lists multiplied as a whole", "w * x failed on the case where w and x are lists: `*` does "
                "not multiply two lists entry by entry (it is not numpy). Multiply the entries one pair at "
                "a time: sum(w_d * x_d for w_d, x_d in zip(w, x)), or a loop over d.", _multiplied_lists),
        Mistake("bias left out", "the bias is missing: z = sum_d w[d] * x[d] + b.", _neuron(bias=False)),
        Mistake("activation not applied", "the activation is missing: apply it to z = w·x + b "
                "(z.tanh() for 'tanh', z.relu() for 'relu', z itself for 'linear').", _neuron(act="none")),
        Mistake("activation applied to each product", "the activation was applied to each product "
                "w[d] * x[d]; it acts once, on the whole sum z = w·x + b.", _neuron(each=True)),
        Mistake("activation argument ignored", "tanh was applied whatever the activation asked for: use "
                "relu for 'relu' and nothing for 'linear'.", _neuron(act="always tanh")),
        Mistake("bias added after the activation", "the bias was added after the activation, act(w·x) + b. "
                "It belongs inside, with the weighted inputs: z = sum_d w[d] * x[d] + b, then act(z).",
                _neuron(bias="after")),
        Mistake("bias added for every input", "the bias was added once per input, inside the sum "
                "(sum_d (w[d] * x[d] + b)): it counts D times. Add it once, to the whole sum: "
                "z = sum_d w[d] * x[d] + b.", _neuron(bias="each")),
        Mistake("another activation than the one asked for", "on some case the neuron applied another "
                "activation than its argument asks for: " + _WHICH_ACTIVATION,
                _fixed_activation(engine.value_neuron, "relu")),
        Mistake("'linear' not handled", "with activation 'linear' nothing was returned (the name on the "
                "return line never got a value, or no branch returned): the code handles 'tanh' and 'relu' "
                "only. 'linear' means no activation: the output is z itself (an else branch, out = z).",
                _linear_not_handled),
    ],
    symptoms={**NETWORK_SYMPTOMS,
              "lists multiplied as a whole": raised_with("can't multiply sequence by non-int"),
              "'linear' not handled": linear_not_handled,
              "bias added after the activation": behaves_like(neuron_run, _neuron(bias="after")),
              "bias added for every input": behaves_like(neuron_run, _neuron(bias="each")),
              "another activation than the one asked for": behaves_like(
                  neuron_run, *(_fixed_activation(engine.value_neuron, a) for a in ACTIVATIONS))},
    words={"data": "the neuron's output", "grads": "the gradients of w, b (and x) after backward"})


def layer_run(fn, D, H, activation, seed):
    r = np.random.default_rng(seed)
    cls = node_class(fn)
    W, b = _nodes(cls, r.standard_normal((D, H)), "W"), _nodes(cls, r.standard_normal(H), "b")
    x = r.standard_normal(D)
    out = _outputs("value_layer", call(fn, W, b, x, activation), H)
    engine.backward(_loss_of(out, r.standard_normal(H)))
    return {"data": tuple(o.data for o in out), "dW": _grads(W), "db": _grads(b)}


def _layer(rows=False, one_bias=False, act=None):
    def impl(W, b, x, activation="tanh"):
        H = W.shape[1]
        return [engine.value_neuron(W[h] if rows else W[:, h], b[0] if one_bias else b[h], x,
                                    act or activation) for h in range(H)]
    return impl


def _unit_per_input(W, b, x, activation="tanh"):
    return [engine.value_neuron(W[:, h], b[h], x, activation) for h in range(W.shape[0])]


def _returning_in_the_loop(W, b, x, activation="tanh"):
    return engine.value_layer(W, b, x, activation)[:1]


def _layer_count_error(test):
    """Symptom: every case with more than one unit raised the run's "should return a list" error, and
    ``test(text, case)`` holds for it; the cases with one unit are right."""
    def symptom(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if same_output(g, w, 1e-6, 1e-9):
                continue
            if not (_raised(g, "should return a list of") and test(g.text, case)):
                return False
            shown = True
        return shown
    return symptom


def _activated_twice(W, b, x, activation="tanh"):
    return [engine.value_neuron([out], 0.0 * out, [1.0], activation)      # act(act(z)): one more neuron
            for out in engine.value_layer(W, b, x, activation)]


def unit_per_input(got, want, cases):
    """Symptom: one unit per input, range(D): where D < H the list is too short (D nodes), where D > H
    column D-1 of W does not exist; right where D == H."""
    shown = False
    for g, w, case in zip(got, want, cases):
        D, H = case.args[:2]
        if D == H:
            if not same_output(g, w, 1e-6, 1e-9):
                return False
        elif D < H and _raised(g, f"returned a list of length {D}"):
            shown = True
        elif D > H and _raised(g, "out of bounds for axis 1"):
            shown = True
        else:
            return False
    return shown


VALUE_LAYER = EngineExercise(
    "value_layer", engine.value_layer,
    lambda: [Case("D=3 H=2 tanh", (3, 2, "tanh", 95)), Case("square W (D=H=3) tanh", (3, 3, "tanh", 96)),
             Case("D=2 H=4 relu", (2, 4, "relu", 97)), Case("one unit (H=1) linear", (2, 1, "linear", 98))],
    run=layer_run,
    mistakes=NETWORK_MISTAKES + [
        Mistake("return inside the loop", "the layer returned after its first unit: the return line is "
                "inside the loop over the units. Build the whole list first, then return it (the return "
                "goes after the loop, one indentation level out).", _returning_in_the_loop),
        Mistake("one node returned instead of the list", "the layer returned one node, not the list of its "
                "H units: collect every unit's output, outputs.append(...) in the loop (or a list "
                "comprehension), and return the list.", lambda W, b, x, activation="tanh":
                engine.value_layer(W, b, x, activation)[-1]),
        Mistake("one unit per input", "the layer made one unit per INPUT (range(D), len(x)): it has one per "
                "OUTPUT, H = W.shape[1] (= len(b)) units, unit h with the column W[:, h]. It only works "
                "when D == H.", _unit_per_input),
        Mistake("weights of a unit taken from a row of W", "unit h took row h of W as its weights. In "
                "out = x @ W + b, W has shape (D, H) and unit h's weights are its column h: W[:, h].",
                _layer(rows=True)),
        Mistake("one bias for every unit", "every unit used b[0]: unit h has its own bias b[h].",
                _layer(one_bias=True)),
        Mistake("activation argument ignored", "the layer did not pass its activation on to the neurons: "
                "value_neuron(W[:, h], b[h], x, activation).", _layer(act="tanh")),
        Mistake("activation applied twice", "the activation was applied twice, act(act(z)): value_neuron "
                "applies it already, so the layer returns the neurons' outputs as they are.",
                _activated_twice),
        Mistake("another activation than the one asked for", "on some case the layer's units applied "
                "another activation than its argument asks for: " + _WHICH_ACTIVATION,
                _fixed_activation(engine.value_layer, "relu")),
    ],
    symptoms={**NETWORK_SYMPTOMS, "one unit per input": unit_per_input,
              "return inside the loop": _layer_count_error(lambda text, case: "list of length 1" in text),
              "one node returned instead of the list": _layer_count_error(
                  lambda text, case: "returned an object of type" in text),
              "activation applied twice": behaves_like(layer_run, _activated_twice),
              "another activation than the one asked for": behaves_like(
                  layer_run, *(_fixed_activation(engine.value_layer, a) for a in ACTIVATIONS))},
    words={"data": "the layer's outputs", "dW": "the gradient of W after backward",
           "db": "the gradient of b after backward"})


def _mlp_params(cls, sizes, r):
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        params[f"W{l}"] = _nodes(cls, r.standard_normal((fan_in, fan_out)) * 0.8, f"W{l}")
        params[f"b{l}"] = _nodes(cls, r.standard_normal(fan_out) * 0.1, f"b{l}")
    return params


def mlp_run(fn, sizes, activation, seed):
    r = np.random.default_rng(seed)
    params = _mlp_params(node_class(fn), sizes, r)
    x = r.standard_normal(sizes[0])
    scores = _outputs("value_mlp", call(fn, params, x, activation), sizes[-1])
    engine.backward(_loss_of(scores, r.standard_normal(sizes[-1])))
    return {"scores": tuple(s.data for s in scores), "grads": {k: _grads(v) for k, v in params.items()}}


def _indexing_layer(W, b, x, activation="tanh"):
    """A layer whose neurons read x[d] for every row d of W (no zip): it fails on a short x."""
    units = []
    for h in range(W.shape[1]):
        z = b[h]
        for d in range(W.shape[0]):
            z = z + W[d, h] * x[d]
        units.append(engine.value_neuron([z], 0.0 * z, [1.0], activation) if activation != "linear" else z)
    return units


def _mlp(output_act=False, hidden_act=True, feed_x=False, hidden="given", layer=None):
    """An MLP with a slip: the output layer activated, the hidden ones not, x fed to every layer
    (``feed_x``), or the hidden layers' activation fixed (``hidden``, e.g. "tanh": not passed on)."""
    def impl(params, x, activation="tanh"):
        L = len(params) // 2
        h = x
        for l in range(1, L + 1):
            given = activation if hidden == "given" else hidden
            act = given if (l < L and hidden_act) or (l == L and output_act) else "linear"
            h = (layer or engine.value_layer)(params[f"W{l}"], params[f"b{l}"], x if feed_x else h, act)
        return h
    return impl


def _layers_from(first, extra=0):
    """An MLP that numbers its layers from ``first`` and counts ``extra`` layers too many."""
    def impl(params, x, activation="tanh"):
        L = len(params) // 2 + extra
        h = x
        for l in range(first, first + L):
            h = engine.value_layer(params[f"W{l}"], params[f"b{l}"], h,
                                   activation if l < first + L - 1 else "linear")
        return h
    return impl


def missing_key(which):
    """Symptom: every case that fails raised KeyError for the layer key ``which(L)`` (L layers)."""
    def test(got, want, cases):
        shown = False
        for g, w, case in zip(got, want, cases):
            if same_output(g, w, 1e-6, 1e-9):
                continue
            L = len(case.args[0]) - 1
            if not (isinstance(g, Raised) and g.text.startswith("KeyError") and
                    any(f"'{p}{which(L)}'" in g.text for p in "Wb")):
                return False
            shown = True
        return shown
    return test


VALUE_MLP = EngineExercise(
    "value_mlp", engine.value_mlp,
    lambda: [Case("sizes 2-3-1 tanh", ((2, 3, 1), "tanh", 99)),
             Case("sizes 3-4-2 relu", ((3, 4, 2), "relu", 100)),
             Case("sizes 2-3-3-2 tanh", ((2, 3, 3, 2), "tanh", 101)),
             Case("no hidden layer (3-2)", ((3, 2), "tanh", 102))],
    run=mlp_run,
    mistakes=NETWORK_MISTAKES + [
        Mistake("activation on the output layer", "the activation was applied after the last layer too. "
                "As in lesson 05, the last layer gives the scores as they are (activation 'linear').",
                _mlp(output_act=True)),
        Mistake("no activation on the hidden layers", "the hidden layers have no activation: every layer "
                "but the last applies it.", _mlp(hidden_act=False)),
        Mistake("activations of the hidden and output layers swapped", "the hidden layers got no "
                "activation and the output layer got one: it is the other way round. Every layer but the "
                "last applies the activation; the last gives the scores as they are ('linear').",
                _mlp(output_act=True, hidden_act=False)),
        Mistake("x fed to every layer", "every layer received the input x: each layer's input is the "
                "previous layer's OUTPUT (h = value_layer(W_l, b_l, h, ...), starting from h = x), so that "
                "the layers compose.", _mlp(feed_x=True)),
        Mistake("activation not passed on", "the hidden layers used another activation than the one "
                "asked for (see the 'relu' case): pass value_mlp's activation argument on to value_layer "
                "for every layer but the last, which is 'linear'.", _mlp(hidden="tanh")),
        Mistake("layers numbered from 0", "params has no 'W0': the layers are numbered from 1, W1, b1, ..., "
                "WL, bL. Loop for l in range(1, L + 1).", _layers_from(0)),
        Mistake("too many layers", "the loop asked for a layer that does not exist: params holds two arrays "
                "per layer (W and b), so there are L = len(params) // 2 layers, W1 ... WL.",
                _layers_from(1, extra=1)),
    ],
    symptoms={**NETWORK_SYMPTOMS,
              "activations of the hidden and output layers swapped": behaves_like(
                  mlp_run, _mlp(output_act=True, hidden_act=False)),
              "x fed to every layer": behaves_like(mlp_run, _mlp(feed_x=True),
                                                   _mlp(feed_x=True, layer=_indexing_layer)),
              "activation not passed on": behaves_like(mlp_run, *(_mlp(hidden=a) for a in ACTIVATIONS)),
              "layers numbered from 0": missing_key(lambda L: 0),
              "too many layers": missing_key(lambda L: L + 1)},
    words={"scores": "the scores", "grads": "the parameters' gradients after backward"})


def step_problem(sizes, N, seed):
    """The parameter values, data and the gradients left over "from an earlier step" of a step case."""
    r = np.random.default_rng(seed)
    values = [r.standard_normal(s) * 0.7 for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
              for s in ((fan_in, fan_out), (fan_out,))]
    X, Y = r.standard_normal((N, sizes[0])), r.standard_normal((N, sizes[-1]))
    stale = [r.standard_normal(v.shape) * 0.5 for v in values]
    return values, X, Y, stale


def train_step_run(fn, sizes, N, lr, activation, seed):
    values, X, Y, stale = step_problem(sizes, N, seed)
    cls = node_class(fn)
    names = [f"{p}{l}" for l in range(1, len(sizes)) for p in "Wb"]
    params = {name: _nodes(cls, v, name) for name, v in zip(names, values)}
    kept = {name: list(a.flat) for name, a in params.items()}
    for array, s in zip(params.values(), stale):
        for node, g in zip(array.flat, s.flat):
            node.grad = float(g)

    def flat(attribute):
        return np.array([getattr(n, attribute) for name in names for n in kept[name]], dtype=float)
    found = {}
    for step in (1, 2):
        before = flat("data")
        loss = call(fn, params, X, Y, lr, activation)
        if any(list(np.asarray(params.get(name)).flat) != kept[name] for name in names):
            raise ValueError("value_train_step replaced the parameter nodes in params: update each node in "
                             "place, p.data -= lr * p.grad")
        loss = loss.data if is_node(loss) else loss
        if not isinstance(loss, (int, float)):
            raise TypeError(f"value_train_step should return the loss before the step, a float (loss.data); "
                            f"it returned {describe(loss)}")
        found[f"loss of step {step}"] = float(loss)
        found[f"change of the parameters in step {step}"] = flat("data") - before
        if step == 1:
            found["gradients after step 1"] = flat("grad")
    return found


def _train_step(zero="first", sign=-1.0, mean=True, rate=True, activation_given=True):
    """A training step with a slip: ``zero`` "never", "before update" or "weights only" (the biases'
    gradients kept); ``sign`` +1 (up the gradient); ``mean`` False (summed) or "every entry" (divided
    by N * C); ``rate`` False (lr left out); ``activation_given`` False (value_mlp's default used)."""
    def impl(params, X, Y, lr, activation="tanh"):
        nodes = [p for a in params.values() for p in a.flat]
        if zero == "first":
            engine.zero_grad(nodes)
        elif zero == "weights only":
            engine.zero_grad([p for k, a in params.items() if k.startswith("W") for p in a.flat])
        scores = [engine.value_mlp(params, x, *([activation] if activation_given else [])) for x in X]
        squares = [(s + (-t)) ** 2 for row, y in zip(scores, Y) for s, t in zip(row, y)]
        scale = {True: 1.0 / len(X), False: 1.0, "every entry": 1.0 / len(squares),
                 "sum, mean returned": 1.0}[mean]
        loss = sum(squares[1:], squares[0]) * scale
        engine.backward(loss)
        if mean == "sum, mean returned":
            loss = loss * (1.0 / len(X))
        if zero == "before update":
            engine.zero_grad(nodes)
        for p in nodes:
            p.data += sign * (lr if rate else 1.0) * p.grad
        return loss.data
    return impl


def _loss_after_update(params, X, Y, lr, activation="tanh"):
    _train_step()(params, X, Y, lr, activation)
    return _train_step(sign=0.0)(params, X, Y, lr, activation)


def loss_after_update(got, want, cases):
    """Symptom: the parameters moved right, and each step's loss is the reference's loss after it."""
    for g, w in zip(got, want):
        if not isinstance(g, dict) or not np.allclose(g["change of the parameters in step 1"],
                                                      w["change of the parameters in step 1"], 1e-6, 1e-9):
            return False
        if not _close(g["loss of step 1"], w["loss of step 2"]):
            return False
    return True


def _replacing_nodes(params, X, Y, lr, activation="tanh"):
    loss = _train_step(rate=False, sign=0.0)(params, X, Y, lr, activation)
    for name, array in params.items():
        params[name] = array - lr * np.vectorize(lambda p: p.grad, otypes=[float])(array)
    return loss


def not_zeroed(got, want, cases):
    """Symptom: step 1 moved every parameter by -lr * (its gradient + what it held before the step)."""
    for g, w, case in zip(got, want, cases):
        sizes, N, lr, _, seed = case.args
        stale = np.concatenate([s.ravel() for s in step_problem(sizes, N, seed)[3]])
        key = "change of the parameters in step 1"
        if not (isinstance(g, dict) and np.allclose(g[key] - w[key], -lr * stale, rtol=1e-6, atol=1e-9)):
            return False
    return True


def some_not_zeroed(got, want, cases):
    """Symptom: step 1 moved each parameter right, or by -lr * (its gradient + what it held before the
    step); some parameter the latter."""
    shown = False
    for g, w, case in zip(got, want, cases):
        sizes, N, lr, _, seed = case.args
        stale = np.concatenate([s.ravel() for s in step_problem(sizes, N, seed)[3]])
        key = "change of the parameters in step 1"
        if not isinstance(g, dict) or np.shape(g[key]) != np.shape(w[key]):
            return False
        diff = g[key] - w[key]
        right = np.isclose(diff, 0.0, rtol=0, atol=1e-9 + 1e-6 * np.abs(w[key]))
        stale_kept = np.isclose(diff, -lr * stale, rtol=1e-6, atol=1e-9)
        if not np.all(right | stale_kept):
            return False
        shown = shown or bool(np.any(~right))
    return shown


VALUE_TRAIN_STEP = EngineExercise(
    "value_train_step", engine.value_train_step,
    lambda: [Case("sizes 2-3-1 N=4 lr=0.1", ((2, 3, 1), 4, 0.1, "tanh", 103)),
             Case("sizes 2-2-2 N=3 lr=0.5", ((2, 2, 2), 3, 0.5, "tanh", 104)),
             Case("no hidden layer (3-1) N=5 lr=0.05", ((3, 1), 5, 0.05, "tanh", 105)),
             Case("relu, sizes 2-4-2 N=3 lr=0.2", ((2, 4, 2), 3, 0.2, "relu", 106))],
    run=train_step_run,
    mistakes=NETWORK_MISTAKES + [
        Mistake("gradients not zeroed before the step", "the gradients left from the previous step were "
                "still in the parameters' grad when backward added the new ones, so the update used both "
                "(with gradients that change little from step to step, they double). Call zero_grad on "
                "every parameter node first, before backward.", _train_step(zero="never")),
        Mistake("gradients zeroed between backward and the update", "the parameters did not move: their "
                "gradients were set to 0 after backward and before the update. Zero them at the start of "
                "the step.", _train_step(zero="before update")),
        Mistake("update along the gradient", "the parameters moved up the loss, along the gradient: "
                "gradient descent subtracts, p.data -= lr * p.grad.", _train_step(sign=1.0)),
        Mistake("loss summed instead of averaged", "the loss summed the examples' squared errors; it is "
                "their mean (divide by N = len(X)), so the loss and every gradient were N times too large.",
                _train_step(mean=False)),
        Mistake("loss returned after the update", "the loss returned is the one AFTER the update (it was "
                "computed again once the parameters had moved). Return the loss of this step, computed "
                "before the update: loss.data of the loss node you ran backward on.", _loss_after_update),
        Mistake("gradients of the summed loss", "the loss returned is the mean, but the gradients are those "
                "of the SUM of the examples' losses (N times too large): backward ran on a loss without "
                "the 1/N (once per example, or before dividing). Divide by N before backward: "
                "loss = (sum of the squared errors) / N.", _train_step(mean="sum, mean returned")),
        Mistake("some gradients not zeroed", "some parameters still held the previous step's gradient when "
                "backward added the new one (the biases? only some arrays of params?), so their update used "
                "both. Zero every parameter node, of every array in params, before backward.",
                _train_step(zero="weights only")),
        Mistake("loss averaged over every score", "the loss was divided by the number of squared errors, "
                "N * C, instead of N: the lesson's loss is (1/N) sum_n sum_c (score - Y)**2, the sum over "
                "the C scores of an example, averaged over the N examples (see the cases with C = 2).",
                _train_step(mean="every entry")),
        Mistake("learning rate left out", "each parameter moved by its whole gradient: the step is "
                "lr times the gradient, p.data -= lr * p.grad.", _train_step(rate=False)),
        Mistake("activation not passed on", "the network used value_mlp's default activation instead of "
                "the one asked for (see the 'relu' case): pass it on, value_mlp(params, x, activation).",
                _train_step(activation_given=False)),
        Mistake("parameter nodes replaced", "the parameters were replaced by new nodes or arrays (params[k] "
                "= ..., or W = W - lr * ...): the network's nodes themselves must change, or nothing that "
                "holds them sees the step: update each node in place, for p in nodes: p.data -= lr * p.grad.",
                _replacing_nodes),
    ],
    symptoms={**NETWORK_SYMPTOMS, "gradients not zeroed before the step": not_zeroed,
              "some gradients not zeroed": some_not_zeroed,
              "loss returned after the update": loss_after_update,
              "gradients of the summed loss": behaves_like(train_step_run, _train_step(mean="sum, mean returned")),
              "loss averaged over every score": behaves_like(train_step_run, _train_step(mean="every entry")),
              "learning rate left out": behaves_like(train_step_run, _train_step(rate=False)),
              "activation not passed on": behaves_like(train_step_run, _train_step(activation_given=False)),
              "parameter nodes replaced": raised_with("replaced the parameter nodes")},
    rtol=1e-7, atol=1e-10)


# ====================================================================== the checks

def check_value_add(fn):
    """Check ``value_add(a, b) -> out``: a node, b a node or a number; out.data = a + b, and
    out.backward_step adds out.grad to a.grad and b.grad."""
    return VALUE_ADD.check(fn)


def check_value_mul(fn):
    """Check ``value_mul(a, b) -> out``: out.data = a * b; d/da = b, d/db = a (times out.grad)."""
    return VALUE_MUL.check(fn)


def check_value_pow(fn):
    """Check ``value_pow(a, k) -> out`` for a plain number k: out.data = a ** k, d/da = k a^(k-1)."""
    return VALUE_POW.check(fn)


def check_value_exp(fn):
    """Check ``value_exp(a) -> out``: out.data = e^a, d/da = e^a (the output)."""
    return VALUE_EXP.check(fn)


def check_value_log(fn):
    """Check ``value_log(a) -> out``: out.data = log(a), d/da = 1/a."""
    return VALUE_LOG.check(fn)


def check_value_tanh(fn):
    """Check ``value_tanh(a) -> out``: out.data = tanh(a), d/da = 1 - out.data**2."""
    return VALUE_TANH.check(fn)


def check_value_relu(fn):
    """Check ``value_relu(a) -> out``: out.data = max(a, 0), d/da = 1 if a > 0 else 0."""
    return VALUE_RELU.check(fn)


def check_topological_order(fn):
    """Check ``topological_order(root) -> list``: every node of root's graph once, parents first."""
    return TOPOLOGICAL_ORDER.check(fn)


def check_backward(fn):
    """Check ``backward(root)``: root.grad = 1, then each node's backward_step once, in reverse
    topological order."""
    return BACKWARD.check(fn)


def check_zero_grad(fn):
    """Check ``zero_grad(nodes)``: every node's grad set to 0."""
    return ZERO_GRAD.check(fn)


def check_value_neuron(fn):
    """Check ``value_neuron(w, b, x, activation) -> node``: act(sum_d w[d] x[d] + b)."""
    return VALUE_NEURON.check(fn)


def check_value_layer(fn):
    """Check ``value_layer(W, b, x, activation) -> list of H nodes``: W (D, H), b (H,), x (D,)."""
    return VALUE_LAYER.check(fn)


def check_value_mlp(fn):
    """Check ``value_mlp(params, x, activation) -> list of C nodes``: the scores of one example."""
    return VALUE_MLP.check(fn)


def check_value_train_step(fn):
    """Check ``value_train_step(params, X, Y, lr, activation) -> loss``: zero, forward, backward, update."""
    return VALUE_TRAIN_STEP.check(fn)


EXERCISES = {e.name: e for e in (VALUE_ADD, VALUE_MUL, VALUE_POW, VALUE_EXP, VALUE_LOG, VALUE_TANH,
                                 VALUE_RELU, TOPOLOGICAL_ORDER, BACKWARD, ZERO_GRAD, VALUE_NEURON,
                                 VALUE_LAYER, VALUE_MLP, VALUE_TRAIN_STEP)}
