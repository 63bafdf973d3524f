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
overwritten, the upstream gradient left out, a closure that ran before its users, a node visited
twice, gradients that were not zeroed. Code from the course's own engine (``backprop_helpers.autograd``)
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
    result's parents (1 = first input, 2 = second, 0 = a new node holding the plain number)."""
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
        numbers = [v for kind, v in inputs if kind == "number"]
        parents = set()
        for p in out.parents:
            index = next((i + 1 for i, n in enumerate(nodes) if p is n), None)
            if index is None:
                index = 0 if is_node(p) and any(p.data == v for v in numbers) else -1
            parents.add(index)
        return {"data": out.data, "grads": tuple(n.grad for n in nodes), "parents": tuple(sorted(parents))}
    return run


OP_WORDS = {"data": "the result's data (its value)",
            "grads": "the input nodes' grad after out.backward_step()",
            "parents": "the result's parents (numbered: 1 = a, 2 = b, 0 = a new node for a plain number)"}


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


def written_op(kind, forward, local, op, *, wrap="numbers", assign=False, upstream=True, record=True,
               store=True):
    """An operation written the way the lesson asks, with one choice made differently: the catalogue's
    wrong answers. ``kind``: "binary" (a node and a node or number), "power" (a node and a plain
    number k) or "unary"; ``forward(*datas)`` and ``local(datas, out_data) -> one factor per parent``."""
    def operation(a, *rest):
        if kind == "binary":
            b = rest[0]
            if wrap == "always" or (wrap == "numbers" and not is_node(b)):
                b = type(a)(b)
            parents, datas = (a, b), [a.data, b.data]
        else:
            parents, datas = (a,), [a.data, *rest]
        out = type(a)(forward(*datas), parents if record else (), op)

        def backward_step():
            for parent, factor in zip(parents, local(datas, out.data)):
                contribution = factor * (out.grad if upstream else 1.0)
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
            Mistake("node wrapped again", "Value(b) was called on b although b is already a node, and "
                    "float() cannot turn a node into a number. Wrap b only when it is a plain number "
                    "(not isinstance(b, Value)).", written_op(wrap="always", **same)),
        ]
    found += [
        Mistake("closure called instead of stored", "out.backward_step was given the result of calling "
                "your inner function (None), not the function itself. Write out.backward_step = "
                "backward_step, without parentheses: the backward pass calls it later, once out.grad "
                "is known (now it is still 0).", written_op(store=False, **same)),
        Mistake("backward_step never attached", "out.backward_step() changed no gradient: the result "
                "still has the class's default backward_step, which does nothing. Define the inner "
                "function that adds to the inputs' grad, then attach it: out.backward_step = backward_step.",
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
    ]
    return found


NUMBERS = ("'int'", "'float'")
OP_SYMPTOMS = {"number not wrapped as a node": raised_with("object has no attribute", any_of=NUMBERS),
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


def _shows_local(local, forward, g, w, case):
    datas = _case_datas(case)
    _, upstream, priors = case.args
    try:
        factors = local(datas, forward(*datas))
    except ZeroDivisionError:
        return _raised(g, "ZeroDivisionError")
    if not (isinstance(g, dict) and isinstance(w, dict) and _close(g["data"], w["data"])):
        return False
    expected, node = list(priors), -1
    for (kind, value), factor in zip(case.args[0], factors):
        node = node + 1 if kind == "node" else value if kind == "same" else None
        if node is not None:
            expected[node] += upstream * factor
    return all(_close(r, e) for r, e in zip(g["grads"], expected))


def op_exercise(reference, kind, forward, local, op, cases, wrong_locals=(), extra_mistakes=(),
                extra_symptoms=None):
    """The check of one operation: the mistakes every operation can have, then its own. Each of
    ``wrong_locals``, ``(name, explanation, local)``, is a wrong local gradient, recognised by its
    symptom (``wrong_local``); entries may share a name."""
    name = reference.__name__
    same = dict(kind=kind, forward=forward, op=op)
    mistakes = op_mistakes(kind, forward, local, op) + list(extra_mistakes) + [
        Mistake(title, explanation, written_op(local=wrong, **same))
        for title, explanation, wrong in wrong_locals]
    symptoms = {**OP_SYMPTOMS, **(extra_symptoms or {})}
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
         "input). For a product, d(ab)/da = b and d(ab)/db = a.", lambda d, o: [1.0, 1.0])])

VALUE_POW = op_exercise(
    engine.value_pow, "power", lambda x, k: x ** k, lambda d, o: [d[1] * d[0] ** (d[1] - 1)], "**",
    unary_cases((2.0, -1.5, 4.0, 0.5, 3.0), extra=(2, 3, 0.5, -1, -2.0)),
    extra_mistakes=[Mistake("exponent treated as a node", "k is a plain number (v ** 2), so it has no .data: "
                            "use it as it is, a.data ** k, and k * a.data ** (k - 1) for the local gradient.",
                            lambda a, k: engine.value_pow(a, k.data))],
    extra_symptoms={"exponent treated as a node": raised_with("has no attribute 'data'", any_of=NUMBERS)},
    wrong_locals=[
        ("power rule without the factor k", "the local gradient lacks the factor k: "
         "d(x^k)/dx = k * x**(k - 1).", lambda d, o: [d[0] ** (d[1] - 1)]),
        ("power rule without lowering the exponent", "the power rule lowers the exponent by one: "
         "d(x^k)/dx = k * x**(k - 1), not k * x**k.", lambda d, o: [d[1] * d[0] ** d[1]])])

VALUE_EXP = op_exercise(
    engine.value_exp, "unary", math.exp, lambda d, o: [o], "exp", unary_cases((0.0, 1.0, -2.0, 0.5, 1.5)),
    wrong_locals=[("exp's local gradient taken from the input", "the local gradient was taken as the input "
                   "x. The derivative of e^x is e^x itself, the OUTPUT: a.grad += out.data * out.grad.",
                   lambda d, o: [d[0]])])

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
         "1 / log(x) (a division by zero at x = 1). " + _FROM_THE_INPUT, lambda d, o: [1.0 / o])])

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
         "1 - t**2 (t = out.data).", lambda d, o: [o * (1.0 - o)])])

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
        ("ReLU mask inverted", _INVERTED, lambda d, o: [float(d[0] < 0)])])


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
            "parents before children when read backwards": _is_order(order[::-1], ids)}


def _shows(key, test=lambda value: value):
    return lambda got, want, cases: any(isinstance(g, dict) and test(g[key]) for g in got)


TOPOLOGICAL_ORDER = EngineExercise(
    "topological_order", engine.topological_order, graph_cases(list(GRAPHS)), run=topological_run,
    mistakes=[
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


BACKWARD = EngineExercise(
    "backward", engine.backward,
    graph_cases(list(GRAPHS)[1:], priors={"(x*y + x) * z": (0.5, -1.0, 2.0)}), run=backward_run,
    mistakes=[
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
                "to each node's attribute: node.grad = 0.0 (node.grad == 0 only compares, and node = 0 "
                "only gives the loop's name another value).", lambda nodes: [n.grad == 0 for n in nodes]),
        Mistake("grad set to None", "grad became None; it must be the number 0.0, since the backward "
                "pass adds to it (None += 1.0 fails).",
                lambda nodes: [setattr(n, "grad", None) for n in nodes]),
        Mistake("only the first node reset", "only the first node was reset: is a return inside the loop?",
                _only_first),
    ],
    symptoms={
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


NEURON_CASES = lambda: [Case("D=3 tanh (x an array)", (3, "tanh", "an array", 90)),   # noqa: E731
                        Case("D=1 tanh (x a list)", (1, "tanh", "a list of floats", 91)),
                        Case("D=4 relu", (4, "relu", "an array", 92)),
                        Case("D=2 linear (no activation)", (2, "linear", "an array", 93)),
                        Case("D=2 tanh (x nodes too)", (2, "tanh", "nodes", 94))]


def _neuron(bias=True, act="given", each=False):
    def impl(w, b, x, activation="tanh"):
        kind = "tanh" if act == "always tanh" else activation
        apply = (lambda z: z) if act == "none" else (lambda z: getattr(z, kind)() if kind != "linear" else z)
        terms = [apply(wd * xd) if each else wd * xd for wd, xd in zip(w, x)]
        z = b if bias else terms.pop(0)
        for term in terms:
            z = z + term
        return z if each else apply(z)
    return impl


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
        Mistake("bias left out", "the bias is missing: z = sum_d w[d] * x[d] + b.", _neuron(bias=False)),
        Mistake("activation not applied", "the activation is missing: apply it to z = w·x + b "
                "(z.tanh() for 'tanh', z.relu() for 'relu', z itself for 'linear').", _neuron(act="none")),
        Mistake("activation applied to each product", "the activation was applied to each product "
                "w[d] * x[d]; it acts once, on the whole sum z = w·x + b.", _neuron(each=True)),
        Mistake("activation argument ignored", "tanh was applied whatever the activation asked for: use "
                "relu for 'relu' and nothing for 'linear'.", _neuron(act="always tanh")),
    ],
    symptoms=NETWORK_SYMPTOMS,
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


VALUE_LAYER = EngineExercise(
    "value_layer", engine.value_layer,
    lambda: [Case("D=3 H=2 tanh", (3, 2, "tanh", 95)), Case("square W (D=H=3) tanh", (3, 3, "tanh", 96)),
             Case("D=2 H=4 relu", (2, 4, "relu", 97)), Case("one unit (H=1) linear", (2, 1, "linear", 98))],
    run=layer_run,
    mistakes=NETWORK_MISTAKES + [
        Mistake("weights of a unit taken from a row of W", "unit h took row h of W as its weights. In "
                "out = x @ W + b, W has shape (D, H) and unit h's weights are its column h: W[:, h].",
                _layer(rows=True)),
        Mistake("one bias for every unit", "every unit used b[0]: unit h has its own bias b[h].",
                _layer(one_bias=True)),
        Mistake("activation argument ignored", "the layer did not pass its activation on to the neurons: "
                "value_neuron(W[:, h], b[h], x, activation).", _layer(act="tanh")),
    ],
    symptoms=NETWORK_SYMPTOMS,
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


def _mlp(output_act=False, hidden_act=True):
    def impl(params, x, activation="tanh"):
        L = len(params) // 2
        h = x
        for l in range(1, L + 1):
            act = activation if (l < L and hidden_act) or (l == L and output_act) else "linear"
            h = engine.value_layer(params[f"W{l}"], params[f"b{l}"], h, act)
        return h
    return impl


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
    ],
    symptoms=NETWORK_SYMPTOMS,
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


def _train_step(zero="first", sign=-1.0, mean=True):
    def impl(params, X, Y, lr, activation="tanh"):
        nodes = [p for a in params.values() for p in a.flat]
        if zero == "first":
            engine.zero_grad(nodes)
        squares = [(s + (-t)) ** 2 for x, y in zip(X, Y)
                   for s, t in zip(engine.value_mlp(params, x, activation), y)]
        loss = sum(squares[1:], squares[0]) * ((1.0 / len(X)) if mean else 1.0)
        engine.backward(loss)
        if zero == "before update":
            engine.zero_grad(nodes)
        for p in nodes:
            p.data += sign * lr * p.grad
        return loss.data
    return impl


def not_zeroed(got, want, cases):
    """Symptom: step 1 moved every parameter by -lr * (its gradient + what it held before the step)."""
    for g, w, case in zip(got, want, cases):
        sizes, N, lr, _, seed = case.args
        stale = np.concatenate([s.ravel() for s in step_problem(sizes, N, seed)[3]])
        key = "change of the parameters in step 1"
        if not (isinstance(g, dict) and np.allclose(g[key] - w[key], -lr * stale, rtol=1e-6, atol=1e-9)):
            return False
    return True


VALUE_TRAIN_STEP = EngineExercise(
    "value_train_step", engine.value_train_step,
    lambda: [Case("sizes 2-3-1 N=4 lr=0.1", ((2, 3, 1), 4, 0.1, "tanh", 103)),
             Case("sizes 2-2-2 N=3 lr=0.5", ((2, 2, 2), 3, 0.5, "tanh", 104)),
             Case("no hidden layer (3-1) N=5 lr=0.05", ((3, 1), 5, 0.05, "tanh", 105))],
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
    ],
    symptoms={**NETWORK_SYMPTOMS, "gradients not zeroed before the step": not_zeroed},
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
