"""Lesson 09's checks against answers written the way learners write them, and the lesson's engine
against the course's ``Value`` and central differences.

The learner's answers below are defined the way the notebook defines them: the lesson's class ``Value``
is created here from the class's source (so it is this module's, like a notebook's), and each answer
builds its nodes with it. Every wrong answer is new code with one mistake (often written differently
from the catalogue's, e.g. ``=`` on one line only); its check must name that mistake. The correct
answers are written differently from the references (explicit stacks, loops, other wrappings) and must
pass. The references must agree with ``autograd.Value`` and with ``numerical_gradient`` on random
expressions, and a training step must equal one of gradient descent on ``network.MLP``.
"""
from __future__ import annotations

import inspect
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from backprop_helpers import MLP, gradcheck, reference
from backprop_helpers.autograd import Value as CourseValue
from backprop_helpers.checks.lesson09_autograd_engine import EXERCISES, WIRED, node_class
from backprop_helpers.grading import kernel, wire
from backprop_helpers.reference import lesson09_autograd_engine as engine

from strategies import assert_named, seeds

ROOT = Path(__file__).resolve().parent.parent
few = settings(max_examples=30, deadline=None)

# the lesson's class, defined in this module as a notebook cell defines it
exec(compile(inspect.getsource(engine.Value), "<lesson 09, the node class>", "exec"), globals())
Value = globals()["Value"]


def verdict(name, fn):
    return EXERCISES[name].run(fn)


def passes(name, fn):
    result = verdict(name, fn)
    assert result.passed, result.message


def learner_namespace(source, drop=()):
    """A notebook of its own: the lesson's class with every operation attached (the references, as
    when each check handed one back) except the attributes in ``drop``, and the functions of
    ``source`` defined in it."""
    namespace = {"math": math, "np": np}
    exec(compile(inspect.getsource(engine.Value), "<a notebook>", "exec"), namespace)
    cls = engine.wire_operators(namespace["Value"])
    for name in drop:
        delattr(cls, name)
    exec(compile(source, "<a notebook cell>", "exec"), namespace)
    return namespace


# ==================================================================== correct answers, written differently

def add_ok(a, b):
    other = Value(b) if isinstance(b, (int, float)) else b
    result = Value(a.data + other.data, parents=[a, other], op="+")

    def send_back():
        for node in (a, other):
            node.grad = node.grad + result.grad
    result.backward_step = send_back
    return result


def mul_ok(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data * b.data, {a, b}, "*")        # a set of parents, as micrograd keeps them

    def backward_step():
        da, db = b.data * out.grad, a.data * out.grad
        a.grad += da
        b.grad += db
    out.backward_step = backward_step
    return out


def pow_ok(a, k):
    out = Value(math.pow(a.data, k), (a,), "pow")

    def backward_step():
        a.grad += out.grad * k * math.pow(a.data, k - 1)
    out.backward_step = backward_step
    return out


def exp_ok(a):
    e = math.exp(a.data)
    out = Value(e, (a,), "exp")

    def backward_step():
        a.grad += e * out.grad                      # the same number as out.data
    out.backward_step = backward_step
    return out


def log_ok(a):
    out = Value(math.log(a.data), (a,), "log")

    def backward_step():
        a.grad += out.grad / a.data
    out.backward_step = backward_step
    return out


def tanh_ok(a):
    e2 = math.exp(2 * a.data)
    out = Value((e2 - 1) / (e2 + 1), (a,), "tanh")

    def backward_step():
        a.grad += (1 - out.data * out.data) * out.grad
    out.backward_step = backward_step
    return out


def relu_ok(a):
    out = Value(a.data if a.data > 0 else 0.0, (a,), "relu")

    def backward_step():
        if a.data > 0:
            a.grad += out.grad
    out.backward_step = backward_step
    return out


def topological_order_iterative(root):
    order, done, stack = [], set(), [(root, iter(root.parents))]
    seen = {root}
    while stack:
        node, parents = stack[-1]
        parent = next(parents, None)
        if parent is None:
            stack.pop()
            order.append(node)
            done.add(node)
        elif parent not in seen:
            seen.add(parent)
            stack.append((parent, iter(parent.parents)))
    return order


def topological_order_kahn(root):
    """Parents first by counting: a node is ready once all of its parents are placed."""
    nodes, todo = [], [root]
    while todo:
        node = todo.pop()
        if any(node is n for n in nodes):
            continue
        nodes.append(node)
        todo.extend(node.parents)
    waiting = {id(n): len({id(p) for p in n.parents}) for n in nodes}
    children = {id(n): [c for c in nodes if any(p is n for p in c.parents)] for n in nodes}
    ready = [n for n in nodes if waiting[id(n)] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for child in children[id(node)]:
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                ready.append(child)
    return order


def backward_with_loops(root):
    order = topological_order_iterative(root)
    root.grad = 1
    for i in range(len(order) - 1, -1, -1):
        order[i].backward_step()


def zero_grad_by_index(nodes):
    for i in range(len(nodes)):
        nodes[i].grad = 0


def neuron_with_a_loop(w, b, x, activation="tanh"):
    total = b
    for d in range(len(w)):
        total = total + w[d] * x[d]
    if activation == "linear":
        return total
    return total.tanh() if activation == "tanh" else total.relu()


def layer_with_a_loop(W, b, x, activation="tanh"):
    units = []
    for h in range(W.shape[1]):
        units.append(neuron_with_a_loop([W[d, h] for d in range(W.shape[0])], b[h], x, activation))
    return units


def mlp_with_a_loop(params, x, activation="tanh"):
    n_layers = len([k for k in params if k.startswith("W")])
    h = list(x)
    for l in range(1, n_layers + 1):
        h = layer_with_a_loop(params["W" + str(l)], params["b" + str(l)], h,
                              "linear" if l == n_layers else activation)
    return h


def train_step_with_loops(params, X, Y, lr, activation="tanh"):
    nodes = []
    for array in params.values():
        nodes.extend(array.ravel())
    zero_grad_by_index(nodes)
    terms = []
    for n in range(len(X)):
        scores = mlp_with_a_loop(params, X[n], activation)
        for c in range(len(scores)):
            terms.append((scores[c] - Y[n][c]) * (scores[c] - Y[n][c]))
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    loss = loss * (1.0 / len(X))
    backward_with_loops(loss)
    for p in nodes:
        p.data = p.data - lr * p.grad
    return loss.data


OPERATORS = {"__add__": add_ok, "__radd__": add_ok, "__mul__": mul_ok, "__rmul__": mul_ok, "__pow__": pow_ok,
             "__neg__": lambda a: a * -1, "__sub__": lambda a, b: a + (-1) * b,
             "__truediv__": lambda a, b: a * b ** -1, "exp": exp_ok, "log": log_ok, "tanh": tanh_ok,
             "relu": relu_ok, "backward": backward_with_loops}
for _name, _op in OPERATORS.items():
    setattr(Value, _name, _op)

CORRECT = {"value_add": add_ok, "value_mul": mul_ok, "value_pow": pow_ok, "value_exp": exp_ok,
           "value_log": log_ok, "value_tanh": tanh_ok, "value_relu": relu_ok,
           "topological_order": topological_order_iterative, "backward": backward_with_loops,
           "zero_grad": zero_grad_by_index, "value_neuron": neuron_with_a_loop,
           "value_layer": layer_with_a_loop, "value_mlp": mlp_with_a_loop,
           "value_train_step": train_step_with_loops}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_a_correct_answer_written_differently_passes(name):
    passes(name, CORRECT[name])


def test_another_correct_topological_order_passes():
    passes("topological_order", topological_order_kahn)


def test_the_checks_build_with_the_learners_own_class():
    assert node_class(add_ok) is Value
    assert node_class(engine.value_add) is WIRED           # the reference has no class of its own
    seen = []

    def add_recording(a, b):
        seen.append(type(a))
        return add_ok(a, b)
    passes("value_add", add_recording)
    assert set(seen) == {Value}


def test_the_learners_answers_work_as_the_notebook_uses_them():
    x, y, z = Value(3.0), Value(-2.0), Value(4.0)
    L = (x * y + x) * z
    L.backward()
    assert (x.grad, y.grad, z.grad) == (-4.0, 12.0, -3.0)
    assert sum([x, y]).data == 1.0 and (2 * x).data == 6.0


# ==================================================================== the operations' mistakes

def add_overwrites_one_input(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad = out.grad                           # the other line adds: only one input overwritten
        b.grad += out.grad
    out.backward_step = backward_step
    return out


def add_without_upstream(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += 1
        b.grad += 1
    out.backward_step = backward_step
    return out


def add_not_wrapping(a, b):
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out


def add_wrapping_everything(a, b):
    b = Value(b)
    return add_ok(a, b)


def add_calling_its_closure(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def pass_back():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = pass_back()
    return out


def add_without_closure(a, b):
    b = b if isinstance(b, Value) else Value(b)
    return Value(a.data + b.data, (a, b), "+")


def add_without_parents(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data)
    out.op = "+"

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out


def mul_overwrites(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad = b.data * out.grad
        b.grad = a.data * out.grad
    out.backward_step = backward_step
    return out


def mul_swapped(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += out.grad * a.data
        b.grad += out.grad * b.data
    out.backward_step = backward_step
    return out


def mul_like_a_sum(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out


def mul_without_upstream(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data
        b.grad += a.data
    out.backward_step = backward_step
    return out


def unary(forward, local, op, assign=False):
    """A one-input operation written by a learner: ``local(x, out_data)`` is its local gradient."""
    def operation(a):
        out = Value(forward(a.data), (a,), op)

        def backward_step():
            if assign:
                a.grad = local(a.data, out.data) * out.grad
            else:
                a.grad += local(a.data, out.data) * out.grad
        out.backward_step = backward_step
        return out
    return operation


def pow_reading_k_data(a, k):
    return pow_ok(a, k.data)


def pow_without_k(a, k):
    out = Value(a.data ** k, (a,), "**")

    def backward_step():
        a.grad += a.data ** (k - 1) * out.grad
    out.backward_step = backward_step
    return out


def pow_not_lowered(a, k):
    out = Value(a.data ** k, (a,), "**")

    def backward_step():
        a.grad += k * out.data * out.grad
    out.backward_step = backward_step
    return out


OP_MISTAKES = [
    ("value_add", add_overwrites_one_input, "= instead of +=", "a.grad += local gradient"),
    ("value_add", add_without_upstream, "upstream gradient left out", "did not scale with out.grad"),
    ("value_add", add_not_wrapping, "number not wrapped as a node", "b = Value(b)"),
    ("value_add", add_wrapping_everything, "node wrapped again", "already a node"),
    ("value_add", add_calling_its_closure, "closure called instead of stored", "without parentheses"),
    ("value_add", add_without_closure, "backward_step never attached", "out.backward_step = backward_step"),
    ("value_add", add_without_parents, "parents not recorded", "its parents are empty"),
    ("value_mul", mul_overwrites, "= instead of +=", "A node used twice"),
    ("value_mul", mul_swapped, "local gradients swapped", "d(ab)/da = b"),
    ("value_mul", mul_like_a_sum, "product's local gradients taken as 1", "those of a sum"),
    ("value_mul", mul_without_upstream, "upstream gradient left out", "* out.grad"),
    ("value_pow", pow_reading_k_data, "exponent treated as a node", "k is a plain number"),
    ("value_pow", pow_without_k, "power rule without the factor k", "lacks the factor k"),
    ("value_pow", pow_not_lowered, "power rule without lowering the exponent", "not k * x**k"),
    ("value_exp", unary(math.exp, lambda x, o: x, "exp"), "exp's local gradient taken from the input",
     "the OUTPUT"),
    ("value_exp", unary(math.exp, lambda x, o: o, "exp", assign=True), "= instead of +=", "+="),
    ("value_log", unary(math.log, lambda x, o: x, "log"), "log's local gradient taken as x", "1/x"),
    ("value_log", unary(math.log, lambda x, o: math.log(x), "log"), "log's local gradient taken as log(x)",
     "1/x"),
    ("value_log", unary(math.log, lambda x, o: o ** -1, "log"), "log's local gradient from the output",
     "over the INPUT"),
    ("value_tanh", unary(math.tanh, lambda x, o: 1 - x * x, "tanh"), "tanh's local gradient from the input",
     "square of the OUTPUT"),
    ("value_tanh", unary(math.tanh, lambda x, o: 1 - math.tanh(o) ** 2, "tanh"),
     "tanh applied to the output again", "out.data already is tanh(x)"),
    ("value_tanh", unary(math.tanh, lambda x, o: o - o * o, "tanh"), "sigmoid's derivative used for tanh",
     "derivative of the sigmoid"),
    ("value_tanh", unary(math.tanh, lambda x, o: 1 - o * o, "tanh", assign=True), "= instead of +=", "+="),
    ("value_relu", unary(lambda x: max(0.0, x), lambda x, o: o, "relu"),
     "ReLU's value used instead of its slope", "its slope"),
    ("value_relu", unary(lambda x: max(0.0, x), lambda x, o: 0.0 if x < 0 else 1.0, "relu"),
     "gradient passed at the kink", "x > 0, not x >= 0"),
    ("value_relu", unary(lambda x: max(0.0, x), lambda x, o: float(not x > 0), "relu"), "ReLU mask inverted",
     "other way round"),
    ("value_relu", unary(lambda x: max(0.0, x), lambda x, o: 1.0 if x < 0 else 0.0, "relu"),
     "ReLU mask inverted", "other way round"),
]


@pytest.mark.parametrize("name, fn, mistake, phrase", OP_MISTAKES,
                         ids=[f"{n}: {m} ({f.__name__})" for n, f, m, _ in OP_MISTAKES])
def test_an_operations_mistake_is_named(name, fn, mistake, phrase):
    assert_named(verdict(name, fn), mistake, phrase)


def test_upstream_left_out_is_named_for_a_one_input_operation_too():
    fn = unary(math.tanh, lambda x, o: 1 - o * o, "tanh")

    def without_upstream(a):
        out = fn(a)
        out.backward_step = lambda: setattr(a, "grad", a.grad + 1 - out.data ** 2)
        return out
    assert_named(verdict("value_tanh", without_upstream), "upstream gradient left out", "0.5, -2, 3")


def test_a_number_not_wrapped_says_how_to_fix_it():
    result = verdict("value_mul", lambda a, b: Value(a.data * b.data, (a, b), "*"))
    assert result.mistake == "number not wrapped as a node"
    assert "'int' object has no attribute 'data'" in result.message and "Value(b)" in result.message


def test_an_unrecognised_wrong_gradient_is_described_in_words():
    result = verdict("value_add", unary_add_times_three)
    assert result.status == "wrong" and result.mistake is None
    assert "the input nodes' grad after out.backward_step()" in result.message


def unary_add_times_three(a, b):
    out = add_ok(a, b)
    step = out.backward_step
    out.backward_step = lambda: [step(), step(), step()]
    return out


# ==================================================================== the course's own code

def add_with_the_course_value(a, b):
    return CourseValue(a.data) + CourseValue(b.data if hasattr(b, "data") else b)


def add_with_the_reference(a, b):
    return reference.value_add(a, b)


def backward_with_the_course_engine(root):
    from backprop_helpers.autograd import topological_order
    topological_order(root)


@pytest.mark.parametrize("name, fn, what", [
    ("value_add", add_with_the_course_value, "backprop_helpers.autograd.Value"),
    ("value_add", add_with_the_reference, "course's own answer"),
    ("topological_order", lambda root: engine.topological_order(root), "course's own answer"),
    ("backward", backward_with_the_course_engine, "backprop_helpers.autograd"),
    ("value_neuron", lambda w, b, x, activation="tanh": engine.value_neuron(w, b, x, activation),
     "course's own answer"),
])
def test_calling_the_courses_engine_or_reference_does_not_pass(name, fn, what):
    result = verdict(name, fn)
    assert result.status == "not yours", result.message
    assert what in result.message


# ==================================================================== graphs and the backward pass

def order_without_visited(root):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order


def order_root_first(root):
    order, seen, todo = [], set(), [root]
    while todo:                                     # breadth first from the root: children before parents
        node = todo.pop(0)
        if node not in seen:
            seen.add(node)
            order.append(node)
            todo.extend(node.parents)
    return order


def order_appending_first(root):
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        order.append(node)
        for parent in node.parents:
            visit(parent)
    visit(root)
    return order


def order_without_inputs(root):
    return [n for n in topological_order_iterative(root) if len(n.parents) > 0]


def order_following_the_last_parent(root):
    order, node = [], root
    while True:
        order.insert(0, node)
        if not node.parents:
            return order
        node = node.parents[-1]


def order_as_a_set(root):
    seen = set()

    def visit(node):
        seen.add(node)
        for parent in node.parents:
            visit(parent)
    visit(root)
    return seen


ORDER_MISTAKES = [
    (order_without_visited, "node listed twice", "Keep a set of the nodes already visited"),
    (order_root_first, "node before its parents", "visit the parents first"),
    (lambda root: topological_order_iterative(root)[::-1], "order reversed (root first)", "reverse the list"),
    (order_appending_first, "node before its parents", "append a node only"),
    (order_without_inputs, "inputs left out", "the inputs too"),
    (order_following_the_last_parent, "node left out", "not only the first"),
    (order_as_a_set, "a set returned", "a set keeps no order"),
]


@pytest.mark.parametrize("fn, mistake, phrase", ORDER_MISTAKES,
                         ids=[f.__name__ for f, _, _ in ORDER_MISTAKES])
def test_a_topological_orders_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("topological_order", fn), mistake, phrase)


def backward_without_seed(root):
    for node in reversed(topological_order_iterative(root)):
        node.backward_step()


def backward_in_forward_order(root):
    root.grad = 1.0
    for node in topological_order_iterative(root):
        node.backward_step()


def backward_breadth_first(root):
    root.grad = 1.0
    seen, todo = set(), [root]
    while todo:
        node = todo.pop(0)
        if node in seen:
            continue
        seen.add(node)
        node.backward_step()
        todo.extend(node.parents)


def backward_recursive_on_every_path(root):
    root.grad = 1.0

    def visit(node):
        node.backward_step()
        for parent in node.parents:
            visit(parent)
    visit(root)


def backward_with_duplicates_in_the_order(root):
    root.grad = 1.0
    for node in reversed(order_without_visited(root)):
        node.backward_step()


def backward_of_the_root_only(root):
    root.grad = 1.0
    root.backward_step()


def backward_zeroing_first(root):
    order = topological_order_iterative(root)
    for node in order:
        node.grad = 0
    root.grad = 1
    for node in order[::-1]:
        node.backward_step()


BACKWARD_MISTAKES = [
    (backward_without_seed, "no seed at the root", "root.grad = 1.0"),
    (backward_in_forward_order, "backward_steps in forward order", "Walk the order reversed"),
    (backward_breadth_first, "no topological order", "reversed(topological_order(root))"),
    (backward_recursive_on_every_path, "backward_step run twice", "exactly once"),
    (backward_with_duplicates_in_the_order, "backward_step run twice", "parents received its gradient twice"),
    (backward_of_the_root_only, "backward_step not run for every node", "never ran"),
    (backward_zeroing_first, "gradients reset inside backward", "zero_grad's job"),
]


@pytest.mark.parametrize("fn, mistake, phrase", BACKWARD_MISTAKES,
                         ids=[f.__name__ for f, _, _ in BACKWARD_MISTAKES])
def test_a_backward_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("backward", fn), mistake, phrase)


def zero_grad_comparing(nodes):
    for node in nodes:
        node.grad == 0                               # noqa: B015 - the mistake under test


def zero_grad_rebinding(nodes):
    for node in nodes:
        node = 0.0                                   # noqa: F841 - the mistake under test


def zero_grad_of_the_data(nodes):
    for node in nodes:
        node.data = 0.0


def zero_grad_to_none(nodes):
    for node in nodes:
        node.grad = None


def zero_grad_returning_early(nodes):
    for node in nodes:
        node.grad = 0.0
        return None


@pytest.mark.parametrize("fn, mistake, phrase", [
    (zero_grad_comparing, "gradients left unchanged", "only compares"),
    (zero_grad_rebinding, "gradients left unchanged", "only gives the loop's name another value"),
    (zero_grad_of_the_data, "data zeroed instead of grad", "values are lost"),
    (zero_grad_to_none, "grad set to None", "None += 1.0 fails"),
    (zero_grad_returning_early, "only the first node reset", "return inside the loop"),
])
def test_a_zero_grad_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("zero_grad", fn), mistake, phrase)


# ==================================================================== a network of nodes

NEURON_SUM = '''
def value_neuron(w, b, x, activation="tanh"):
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    return {"tanh": z.tanh, "relu": z.relu}.get(activation, lambda: z)()
'''
NEURON_NUMBER_FIRST = '''
def value_neuron(w, b, x, activation="tanh"):
    z = b
    for wi, xi in zip(w, x):
        z = z + xi * wi
    return {"tanh": z.tanh, "relu": z.relu}.get(activation, lambda: z)()
'''


def test_a_missing_radd_is_named_when_sum_meets_it():
    fn = learner_namespace(NEURON_SUM, drop=("__radd__",))["value_neuron"]
    assert_named(verdict("value_neuron", fn), "__radd__ missing", "Value.__radd__ = value_add")
    passes("value_neuron", learner_namespace(NEURON_SUM)["value_neuron"])


def test_a_missing_rmul_is_named_when_a_number_comes_first():
    fn = learner_namespace(NEURON_NUMBER_FIRST, drop=("__rmul__",))["value_neuron"]
    assert_named(verdict("value_neuron", fn), "__rmul__ missing", "Value.__rmul__ = value_mul")


def test_an_operation_not_attached_is_named():
    fn = learner_namespace(NEURON_SUM, drop=("tanh",))["value_neuron"]
    assert_named(verdict("value_neuron", fn), "operation not attached to the class",
                 "Value.tanh = value_tanh")


def test_a_missing_radd_is_named_in_the_training_step():
    namespace = learner_namespace('''
def value_train_step(params, X, Y, lr, activation="tanh"):
    nodes = [p for a in params.values() for p in a.flat]
    for p in nodes:
        p.grad = 0.0
    loss = sum((s - t) ** 2 for x, y in zip(X, Y)
               for s, t in zip(value_mlp(params, x, activation), y)) / len(X)
    loss.backward()
    for p in nodes:
        p.data -= lr * p.grad
    return loss.data
''', drop=("__radd__",))
    namespace["value_mlp"] = mlp_with_a_loop
    assert_named(verdict("value_train_step", namespace["value_train_step"]), "__radd__ missing", "sum()")


def neuron(bias=True, activation_at="sum", always=None):
    def fn(w, b, x, activation="tanh"):
        act = always or activation
        apply = (lambda z: z) if act == "linear" or activation_at == "nowhere" else \
            (lambda z: z.tanh() if act == "tanh" else z.relu())
        terms = [w[d] * x[d] for d in range(len(x))]
        if activation_at == "each":
            terms = [apply(t) for t in terms]
        total = b if bias else terms.pop()
        for t in terms:
            total = total + t
        return total if activation_at == "each" else apply(total)
    return fn


@pytest.mark.parametrize("fn, mistake, phrase", [
    (neuron(bias=False), "bias left out", "+ b"),
    (neuron(activation_at="nowhere"), "activation not applied", "apply it to z"),
    (neuron(activation_at="each"), "activation applied to each product", "acts once"),
    (neuron(always="tanh"), "activation argument ignored", "relu for 'relu'"),
])
def test_a_neurons_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("value_neuron", fn), mistake, phrase)


def layer_by_rows(W, b, x, activation="tanh"):
    return [neuron_with_a_loop(list(W[h]), b[h], x, activation) for h in range(W.shape[1])]


def layer_one_bias(W, b, x, activation="tanh"):
    return [neuron_with_a_loop(W[:, h], b[0], x, activation) for h in range(len(b))]


def layer_tanh_always(W, b, x, activation="tanh"):
    return [neuron_with_a_loop(W[:, h], b[h], x) for h in range(len(b))]


@pytest.mark.parametrize("fn, mistake, phrase", [
    (layer_by_rows, "weights of a unit taken from a row of W", "column h: W[:, h]"),
    (layer_one_bias, "one bias for every unit", "its own bias b[h]"),
    (layer_tanh_always, "activation argument ignored", "pass its activation on"),
])
def test_a_layers_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("value_layer", fn), mistake, phrase)


def mlp_activating_the_scores(params, x, activation="tanh"):
    h = x
    for l in range(1, len(params) // 2 + 1):
        h = layer_with_a_loop(params[f"W{l}"], params[f"b{l}"], h, activation)
    return h


def mlp_linear_throughout(params, x, activation="tanh"):
    h = x
    for l in range(1, len(params) // 2 + 1):
        h = layer_with_a_loop(params[f"W{l}"], params[f"b{l}"], h, "linear")
    return h


@pytest.mark.parametrize("fn, mistake, phrase", [
    (mlp_activating_the_scores, "activation on the output layer", "scores as they are"),
    (mlp_linear_throughout, "no activation on the hidden layers", "every layer but the last"),
])
def test_an_mlps_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("value_mlp", fn), mistake, phrase)


def step(zero="first", sign=-1, mean=True):
    def fn(params, X, Y, lr, activation="tanh"):
        nodes = [p for array in params.values() for p in array.flat]
        if zero == "first":
            zero_grad_by_index(nodes)
        total = None
        for x, y in zip(X, Y):
            for s, t in zip(mlp_with_a_loop(params, x, activation), y):
                term = (s - t) ** 2
                total = term if total is None else total + term
        loss = total / len(X) if mean else total
        backward_with_loops(loss)
        if zero == "before the update":
            zero_grad_by_index(nodes)
        for p in nodes:
            p.data += sign * lr * p.grad
        if zero == "after the update":                  # zeroes for the next step, but the first step used
            zero_grad_by_index(nodes)                   # whatever the parameters held before
        return loss.data
    return fn


@pytest.mark.parametrize("fn, mistake, phrase", [
    (step(zero="never"), "gradients not zeroed before the step", "the update used both"),
    (step(zero="after the update"), "gradients not zeroed before the step",
     "zero_grad on every parameter node"),
    (step(zero="before the update"), "gradients zeroed between backward and the update", "did not move"),
    (step(sign=1), "update along the gradient", "gradient descent subtracts"),
    (step(mean=False), "loss summed instead of averaged", "divide by N"),
])
def test_a_training_steps_mistake_is_named(fn, mistake, phrase):
    assert_named(verdict("value_train_step", fn), mistake, phrase)


def test_a_step_that_replaces_the_parameters_is_told_to_update_them_in_place():
    def fn(params, X, Y, lr, activation="tanh"):
        loss = train_step_with_loops(params, X, Y, 0.0, activation)
        for name in params:
            params[name] = np.vectorize(lambda p: Value(p.data - lr * p.grad), otypes=[object])(params[name])
        return loss
    result = verdict("value_train_step", fn)
    assert not result.passed and "update each node in place" in result.message
    assert result.mistake == "parameter nodes replaced"


# ==================================================================== what the grader needs

@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_run_returns_plain_data_the_grader_can_carry(name):
    exercise = EXERCISES[name]
    for case, output in zip(exercise.cases(), exercise.results(exercise.reference, exercise.cases())):
        sent = kernel.plain(output)
        assert wire.restricted_loads(pickle.dumps(sent, protocol=4)) is not None
        assert exercise.same(sent, output), case.label
        pickle.dumps(case.args)                     # cases travel to the grading kernel pickled


def test_the_notebooks_class_is_the_reference_class():
    nb = json.loads((ROOT / "solutions" / "09_build_an_autograd_engine.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    given = next(s for s in sources if s.startswith("class Value"))
    assert given.split("\n\n\n")[0].strip() == inspect.getsource(engine.Value).strip()


# ==================================================================== the reference engine is right

UNARY = {"tanh": (lambda v: v.tanh(), math.tanh),
         "relu": (lambda v: v.relu(), lambda u: max(u, 0.0)),
         "exp of tanh": (lambda v: v.tanh().exp(), lambda u: math.exp(math.tanh(u))),
         "log": (lambda v: (v * v + 1).log(), lambda u: math.log(u * u + 1)),
         "square": (lambda v: v ** 2, lambda u: u ** 2),
         "inverse": (lambda v: (v * v + 1) ** -1, lambda u: 1 / (u * u + 1))}
BINARY = {"+": (lambda a, b: a + b, lambda a, b: a + b), "*": (lambda a, b: a * b, lambda a, b: a * b),
          "-": (lambda a, b: a - b, lambda a, b: a - b),
          "2 + a*b": (lambda a, b: 2 + a * b, lambda a, b: 2 + a * b)}


@st.composite
def programs(draw):
    """A random expression of 3 inputs: each step applies an operation to earlier results."""
    steps = []
    for i in range(draw(st.integers(1, 7))):
        available = 3 + i
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, available - 1))))
        else:
            steps.append((draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))
    return steps


def evaluate(program, inputs, numbers=False):
    values = list(inputs)
    for op, *args in program:
        table = UNARY if op in UNARY else BINARY
        values.append(table[op][1 if numbers else 0](*(values[i] for i in args)))
    return values


@few
@given(programs(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_the_reference_engine_agrees_with_the_course_value_and_central_differences(program, point):
    mine = [WIRED(v) for v in point]
    root = evaluate(program, mine)[-1]
    for node in engine.topological_order(root):   # moderate numbers, no ReLU input near its kink
        assume(abs(node.data) < 1e4 and (node.op != "relu" or abs(node.parents[0].data) > 1e-3))
    engine.backward(root)
    theirs = [CourseValue(v) for v in point]
    evaluate(program, theirs)[-1].backward()
    ours = np.array([v.grad for v in mine])
    np.testing.assert_allclose(ours, [v.grad for v in theirs], rtol=1e-10, atol=1e-12)
    numeric = gradcheck.numerical_gradient(lambda p: evaluate(program, p, numbers=True)[-1], np.array(point))
    np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-6)


@few
@given(programs())
def test_the_reference_topological_order_lists_every_node_once_parents_first(program):
    root = evaluate(program, [WIRED(1.0), WIRED(-0.5), WIRED(0.25)])[-1]
    order = engine.topological_order(root)
    assert len({id(n) for n in order}) == len(order) and order[-1] is root
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([(2, 3, 1), (3, 2, 2), (2, 4, 3, 1), (1, 1)]), st.sampled_from(["tanh", "relu"]),
       st.integers(1, 5), seeds)
def test_a_training_step_is_one_step_of_gradient_descent_on_lesson_05s_network(sizes, activation, N, seed):
    model = MLP(sizes, activation=activation, loss="mse", seed=seed % 1000)
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((N, sizes[0])), rng.standard_normal((N, sizes[-1]))
    params = {name: np.vectorize(WIRED, otypes=[object])(p) for name, p in model.params.items()}
    loss = engine.value_train_step(params, X, Y, 0.1, activation)
    assert loss == pytest.approx(model.loss(X, Y), rel=1e-12)
    grads = model.backward()
    for name in params:
        data = np.vectorize(lambda n: n.data, otypes=[float])(params[name])
        np.testing.assert_allclose(data, model.params[name] - 0.1 * grads[name], rtol=0, atol=1e-10)


def test_reference_operations_make_nodes_of_their_inputs_class():
    a = Value(2.0)
    for out in (engine.value_add(a, 1), engine.value_mul(a, a), engine.value_pow(a, 3), engine.value_exp(a),
                engine.value_log(a), engine.value_tanh(a), engine.value_relu(a)):
        assert type(out) is Value and out.parents[0] is a


def test_a_name_never_set_is_explained():
    def value_exp(a):
        result = Value(math.exp(a.data), (a,), "exp")     # the return line below reads `out`
        result.backward_step = lambda: None
        return out                                        # noqa: F821 - the mistake under test
    result = verdict("value_exp", value_exp)
    assert "name 'out' is not defined" in result.message and "return line" in result.message


# ==================================================================== more slips, recognised by their effect

def add_keeping_numbers_out_of_the_graph(a, b):
    if isinstance(b, Value):
        out = Value(a.data + b.data, [a, b], "+")
    else:
        out = Value(a.data + b, [a], "+")            # the constant is not a parent

    def backward_step():
        a.grad += out.grad
        if isinstance(b, Value):
            b.grad += out.grad
    out.backward_step = backward_step
    return out


def add_times_the_value(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad += out.data                          # the value, not the gradient from above
        b.grad += out.data
    out.backward_step = backward_step
    return out


def mul_times_the_value(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data * out.data
        b.grad += a.data * out.data
    out.backward_step = backward_step
    return out


def add_with_a_closure_argument(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step(upstream):
        a.grad += upstream
        b.grad += upstream
    out.backward_step = backward_step
    return out


def mul_by_its_own_value(a, b):
    b = b if isinstance(b, Value) else Value(b)
    product = a.data * b.data
    out = Value(product, (a, b), "*")

    def backward_step():
        a.grad += product * out.grad
        b.grad += product * out.grad
    out.backward_step = backward_step
    return out


def pow_with_k_as_a_parent(a, k):
    exponent = Value(k, label="k")
    out = Value(a.data ** exponent.data, (a, exponent), "**")

    def backward_step():
        a.grad += exponent.data * a.data ** (exponent.data - 1) * out.grad
    out.backward_step = backward_step
    return out


def pow_without_parentheses(a, k):
    out = Value(a.data ** k, (a,), "**")

    def backward_step():
        local = k * a.data ** k-1
        a.grad += local * out.grad
    out.backward_step = backward_step
    return out


def pow_without_parentheses_on_one_line(a, k):
    out = Value(a.data ** k, (a,), "**")

    def backward_step():
        a.grad += k * a.data ** k - 1 * out.grad
    out.backward_step = backward_step
    return out


def log_in_base_ten(a):
    out = Value(math.log10(a.data), (a,), "log")

    def backward_step():
        a.grad += out.grad / a.data
    out.backward_step = backward_step
    return out


def relu_gated_by_the_upstream_gradient(a):
    out = Value(max(0.0, a.data), (a,), "relu")

    def backward_step():
        if out.grad > 0:
            a.grad += out.grad
    out.backward_step = backward_step
    return out


MORE_OP_MISTAKES = [
    ("value_add", add_keeping_numbers_out_of_the_graph, "an input missing from the parents", "Value(b)"),
    ("value_add", add_times_the_value, "out.data used instead of out.grad", "result's VALUE"),
    ("value_mul", mul_times_the_value, "out.data used instead of out.grad", "out.grad"),
    ("value_add", add_with_a_closure_argument, "backward_step takes an argument", "empty parentheses"),
    ("value_mul", mul_by_its_own_value, "product's value used as its local gradient", "the OTHER input"),
    ("value_pow", pow_with_k_as_a_parent, "exponent made a parent", "only parent is a"),
    ("value_pow", pow_without_parentheses, "k - 1 without parentheses", "k * a.data ** (k - 1)"),
    ("value_pow", pow_without_parentheses_on_one_line, "k - 1 without parentheses", "binds tighter"),
    ("value_exp", unary(math.exp, lambda x, o: math.exp(o), "exp"), "exp applied again", "its own derivative"),
    ("value_exp", unary(math.exp, lambda x, o: 1, "exp"), "local gradient of 1 (as for +)", "the output"),
    ("value_log", unary(math.log, lambda x, o: -1 / (x * x), "log"), "log's local gradient taken as -1/x**2",
     "1/x"),
    ("value_log", log_in_base_ten, "logarithm in another base", "natural"),
    ("value_tanh", unary(math.tanh, lambda x, o: 1 - o, "tanh"), "tanh's local gradient without the square",
     "1 - t**2"),
    ("value_tanh", unary(math.tanh, lambda x, o: (1 - o) ** 2, "tanh"), "tanh's local gradient as (1 - t)**2",
     "1 - t**2"),
    ("value_relu", relu_gated_by_the_upstream_gradient, "ReLU gated on the sign of out.grad", "its INPUT"),
    ("value_relu", unary(lambda x: max(0.0, x), lambda x, o: 1.0, "relu"), "ReLU's gate missing", "flat"),
]


@pytest.mark.parametrize("name, fn, mistake, phrase", MORE_OP_MISTAKES,
                         ids=[f"{n}: {m} ({f.__name__})" for n, f, m, _ in MORE_OP_MISTAKES])
def test_more_operation_slips_are_named(name, fn, mistake, phrase):
    assert_named(verdict(name, fn), mistake, phrase)
    assert_named(EXERCISES[name].run(fn, seed=3), mistake, phrase)


def order_forgetting_to_visit(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)
    return order


_KEPT_ORDER = []


def order_in_a_list_made_outside(root):
    seen = set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        _KEPT_ORDER.append(node)
    visit(root)
    return _KEPT_ORDER


def order_of_the_parents_only(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)
    for parent in root.parents:
        visit(parent)
    return order


@pytest.mark.parametrize("fn, mistake, phrase", [
    (order_forgetting_to_visit, "empty order", "visit(root)"),
    (order_in_a_list_made_outside, "nodes of other graphs in the order", "afresh at every call"),
    (order_of_the_parents_only, "root left out", "Visit the root like any other node"),
])
def test_more_topological_order_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("topological_order", fn), mistake, phrase)


def backward_naming_the_steps(root):
    order = topological_order_iterative(root)
    root.grad = 1.0
    for node in order[::-1]:
        node.backward_step                          # noqa: B018 - the mistake under test


def backward_seeding_last(root):
    order = topological_order_iterative(root)
    for i in range(len(order) - 1, -1, -1):
        order[i].backward_step()
    root.grad = 1


@pytest.mark.parametrize("fn, mistake, phrase", [
    (backward_naming_the_steps, "backward_step never called", "without parentheses"),
    (backward_seeding_last, "seed set after the backward steps", "Seed first"),
])
def test_more_backward_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("backward", fn), mistake, phrase)


def zero_grad_skipping_the_first(nodes):
    for node in nodes[1:]:
        node.grad = 0.0


def zero_grad_on_the_list(nodes):
    nodes.grad = 0


def zero_grad_indexing_by_node(nodes):
    for n in nodes:
        nodes[n].grad = 0.0


@pytest.mark.parametrize("fn, mistake, phrase", [
    (zero_grad_skipping_the_first, "some nodes not reset", "did not reach every node"),
    (zero_grad_on_the_list, "grad set on the list", "each node in it"),
    (zero_grad_indexing_by_node, "nodes used as indices", "not their positions"),
])
def test_more_zero_grad_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("zero_grad", fn), mistake, phrase)


def _activate(z, activation):
    if activation == "tanh":
        return z.tanh()
    if activation == "relu":
        return z.relu()
    return z


def neuron_bias_outside(w, b, x, activation="tanh"):
    total = w[0] * x[0]
    for d in range(1, len(w)):
        total = total + w[d] * x[d]
    return _activate(total, activation) + b


def neuron_bias_in_every_term(w, b, x, activation="tanh"):
    z = sum(w[d] * x[d] + b for d in range(len(w)))
    return _activate(z, activation)


def neuron_linear_as_relu(w, b, x, activation="tanh"):
    z = b
    for wd, xd in zip(w, x):
        z = z + wd * xd
    return z.tanh() if activation == "tanh" else z.relu()


def neuron_multiplying_whole_lists(w, b, x, activation="tanh"):
    return _activate(sum(w * x) + b, activation)


@pytest.mark.parametrize("fn, mistake, phrase", [
    (neuron_bias_outside, "bias added after the activation", "belongs inside"),
    (neuron_bias_in_every_term, "bias added for every input", "counts D times"),
    (neuron_linear_as_relu, "another activation than the one asked for", "'linear' none at all"),
    (neuron_multiplying_whole_lists, "lists multiplied as a whole", "one pair at a time"),
])
def test_more_neuron_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("value_neuron", fn), mistake, phrase)


def layer_per_input(W, b, x, activation="tanh"):
    return [neuron_with_a_loop(W[:, j], b[j], x, activation) for j in range(len(x))]


def layer_activating_again(W, b, x, activation="tanh"):
    units = [neuron_with_a_loop(W[:, h], b[h], x, activation) for h in range(W.shape[1])]
    return [_activate(u, activation) for u in units]


def layer_of_linear_as_relu_neurons(W, b, x, activation="tanh"):
    return [neuron_linear_as_relu(W[:, h], b[h], x, activation) for h in range(len(b))]


@pytest.mark.parametrize("fn, mistake, phrase", [
    (layer_per_input, "one unit per input", "one per OUTPUT"),
    (layer_activating_again, "activation applied twice", "act(act(z))"),
    (layer_of_linear_as_relu_neurons, "another activation than the one asked for", "'linear' none at all"),
])
def test_more_layer_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("value_layer", fn), mistake, phrase)


def mlp_feeding_x_everywhere(params, x, activation="tanh"):
    L = len(params) // 2
    out = None
    for l in range(1, L + 1):
        out = layer_with_a_loop(params[f"W{l}"], params[f"b{l}"], x, activation if l < L else "linear")
    return out


def mlp_feeding_x_everywhere_with_zip(params, x, activation="tanh"):
    L = len(params) // 2
    out = None
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        out = [_activate(sum((w * v for w, v in zip(W[:, h], x)), b[h]), activation if l < L else "linear")
               for h in range(len(b))]
    return out


def mlp_forgetting_the_activation_argument(params, x, activation="tanh"):
    L = len(params) // 2
    h = x
    for l in range(1, L):
        h = layer_with_a_loop(params["W%d" % l], params["b%d" % l], h)
    return layer_with_a_loop(params["W%d" % L], params["b%d" % L], h, "linear")


def mlp_from_layer_zero(params, x, activation="tanh"):
    h = x
    n = len(params) // 2
    for l in range(n):
        h = layer_with_a_loop(params["W" + str(l)], params["b" + str(l)], h, activation if l < n - 1 else "linear")
    return h


def mlp_counting_every_array(params, x, activation="tanh"):
    h = x
    for l in range(1, len(params) + 1):
        h = layer_with_a_loop(params[f"W{l}"], params[f"b{l}"], h, "linear" if l == len(params) else activation)
    return h


@pytest.mark.parametrize("fn, mistake, phrase", [
    (mlp_feeding_x_everywhere, "x fed to every layer", "previous layer's OUTPUT"),
    (mlp_feeding_x_everywhere_with_zip, "x fed to every layer", "layers compose"),
    (mlp_forgetting_the_activation_argument, "activation not passed on", "'relu' case"),
    (mlp_from_layer_zero, "layers numbered from 0", "no 'W0'"),
    (mlp_counting_every_array, "too many layers", "len(params) // 2"),
])
def test_more_mlp_slips_are_named(fn, mistake, phrase):
    assert_named(verdict("value_mlp", fn), mistake, phrase)


def step_with(flaw):
    def fn(params, X, Y, lr, activation="tanh"):
        weights = [p for key in params if key.startswith("W") for p in params[key].ravel()]
        every = [p for key in params for p in params[key].ravel()]
        zero_grad_by_index(weights if flaw == "weights only" else every)
        errors = []
        for x, y in zip(X, Y):
            scores = mlp_with_a_loop(params, x, "tanh" if flaw == "default activation" else activation)
            errors += [(s - t) ** 2 for s, t in zip(scores, y)]
        loss = sum(errors) * (1 / (len(errors) if flaw == "every entry" else len(X)))
        backward_with_loops(loss)
        for p in every:
            p.data -= (1.0 if flaw == "no lr" else lr) * p.grad
        return loss.data
    return fn


@pytest.mark.parametrize("flaw, mistake, phrase", [
    ("weights only", "some gradients not zeroed", "every array in params"),
    ("every entry", "loss averaged over every score", "N * C"),
    ("no lr", "learning rate left out", "lr times the gradient"),
    ("default activation", "activation not passed on", "value_mlp(params, x, activation)"),
])
def test_more_training_step_slips_are_named(flaw, mistake, phrase):
    assert_named(verdict("value_train_step", step_with(flaw)), mistake, phrase)


def test_a_correct_step_written_like_the_slips_passes():
    passes("value_train_step", step_with(None))


def mul_forgetting_b(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b.data * out.grad                 # and nothing for b
    out.backward_step = backward_step
    return out


def mul_adding_a_node(a, b):
    if not isinstance(b, Value):
        b = Value(b)
    out = Value(a.data * b.data, (a, b), "*")

    def backward_step():
        a.grad += b * out.grad                      # b, the node, where b.data belongs
        b.grad += a * out.grad
    out.backward_step = backward_step
    return out


def exp_of_the_node(a):
    out = Value(math.exp(a), (a,), "exp")

    def backward_step():
        a.grad += out.data * out.grad
    out.backward_step = backward_step
    return out


def add_of_the_nodes(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a + b, (a, b), "+")                 # uses the class's + (the course's, attached above)

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out


@pytest.mark.parametrize("name, fn, mistake, phrase", [
    ("value_mul", mul_forgetting_b, "an input left out of backward_step", "one line per input"),
    ("value_mul", mul_adding_a_node, "a node where its number belongs", "not b * out.grad"),
    ("value_exp", exp_of_the_node, "a node where its number belongs", "math.exp"),
    ("value_add", add_of_the_nodes, "node wrapped again", "(a.data + b.data)"),
])
def test_a_node_or_an_input_mixed_up_in_an_operation_is_named(name, fn, mistake, phrase):
    assert_named(verdict(name, fn), mistake, phrase)


def test_a_neuron_without_a_branch_for_linear_is_named():
    def value_neuron(w, b, x, activation="tanh"):
        z = b
        for d in range(len(x)):
            z = z + w[d] * x[d]
        if activation == "tanh":
            out = z.tanh()
        elif activation == "relu":
            out = z.relu()
        return out                                  # noqa: F821 - unset for 'linear': the mistake under test
    assert_named(verdict("value_neuron", value_neuron), "'linear' not handled", "else branch")


@pytest.mark.parametrize("local", [lambda x, o: o * o - 1, lambda x, o: 1 + o ** 2], ids=["t**2 - 1", "1 + t**2"])
def test_a_sign_slip_in_tanhs_local_gradient_is_named(local):
    fn = unary(math.tanh, local, "tanh")
    assert_named(verdict("value_tanh", fn), "sign slip in tanh's local gradient", "between 0 and 1")


def backward_seeding_every_node(root):
    for node in reversed(topological_order_kahn(root)):
        node.grad = 1
        node.backward_step()


def zero_grad_popping(nodes):
    while len(nodes) > 0:
        node = nodes.pop()
        node.grad = 0.0


def neuron_forgetting_linear(w, b, x, activation="tanh"):
    z = b
    for d in range(len(w)):
        z = z + w[d] * x[d]
    if activation == "tanh":
        return z.tanh()
    if activation == "relu":
        return z.relu()
    if activation == "none":
        return z


def layer_returning_in_the_loop(W, b, x, activation="tanh"):
    units = []
    for h in range(W.shape[1]):
        units.append(neuron_with_a_loop(W[:, h], b[h], x, activation))
        return units


def layer_returning_the_last_unit(W, b, x, activation="tanh"):
    for h in range(W.shape[1]):
        unit = neuron_with_a_loop(W[:, h], b[h], x, activation)
    return unit


def mlp_activating_only_the_scores(params, x, activation="tanh"):
    L = len(params) // 2
    h = x
    for l in range(1, L + 1):
        h = layer_with_a_loop(params[f"W{l}"], params[f"b{l}"], h, "linear" if l < L else activation)
    return h


def step_returning_the_new_loss(params, X, Y, lr, activation="tanh"):
    train_step_with_loops(params, X, Y, lr, activation)
    nodes = [p for array in params.values() for p in array.flat]
    loss = sum((s - t) ** 2 for x, y in zip(X, Y) for s, t in zip(mlp_with_a_loop(params, x, activation), y))
    zero_grad_by_index(nodes)
    return (loss / len(X)).data


def step_with_a_backward_per_example(params, X, Y, lr, activation="tanh"):
    nodes = [p for array in params.values() for p in array.flat]
    zero_grad_by_index(nodes)
    total = 0.0
    for x, y in zip(X, Y):
        loss_n = sum((s - t) ** 2 for s, t in zip(mlp_with_a_loop(params, x, activation), y))
        backward_with_loops(loss_n)
        total += loss_n.data
    for p in nodes:
        p.data -= lr * p.grad
    return total / len(X)


@pytest.mark.parametrize("name, fn, mistake, phrase", [
    ("backward", backward_seeding_every_node, "every node's grad set to 1", "Only the root is seeded"),
    ("zero_grad", zero_grad_popping, "list of nodes emptied", "Leave the list as it is"),
    ("value_neuron", neuron_forgetting_linear, "'linear' not handled", "z itself"),
    ("value_layer", layer_returning_in_the_loop, "return inside the loop", "after the loop"),
    ("value_layer", layer_returning_the_last_unit, "one node returned instead of the list", "outputs.append"),
    ("value_mlp", mlp_activating_only_the_scores, "activations of the hidden and output layers swapped",
     "other way round"),
    ("value_train_step", step_returning_the_new_loss, "loss returned after the update", "before the update"),
    ("value_train_step", step_with_a_backward_per_example, "gradients of the summed loss", "Divide by N"),
])
def test_slips_found_by_a_second_look_are_named(name, fn, mistake, phrase):
    assert_named(verdict(name, fn), mistake, phrase)


def test_a_correct_step_with_a_scaled_backward_per_example_passes():
    def value_train_step(params, X, Y, lr, activation="tanh"):
        nodes = [p for array in params.values() for p in array.flat]
        zero_grad_by_index(nodes)
        total = 0.0
        for x, y in zip(X, Y):
            loss_n = sum((s - t) ** 2 for s, t in zip(mlp_with_a_loop(params, x, activation), y)) / len(X)
            backward_with_loops(loss_n)
            total += loss_n.data
        for p in nodes:
            p.data -= lr * p.grad
        return total
    passes("value_train_step", value_train_step)


def test_a_power_with_the_plain_exponent_among_its_parents_is_named():
    def value_pow(a, k):
        out = Value(a.data ** k, (a, k), "**")

        def backward_step():
            a.grad += k * a.data ** (k - 1) * out.grad
        out.backward_step = backward_step
        return out
    assert_named(verdict("value_pow", value_pow), "exponent made a parent", "only parent is a")


def add_into_a(a, b):
    b = b if isinstance(b, Value) else Value(b)
    a.data = a.data + b.data                        # the input itself changed
    out = Value(a.data, (a, b), "+")

    def backward_step():
        a.grad += out.grad
        b.grad += out.grad
    out.backward_step = backward_step
    return out


def exp_returning_its_input(a):
    a.data = math.exp(a.data)
    return a


@pytest.mark.parametrize("name, fn, mistake, phrase", [
    ("value_add", add_into_a, "an input node changed", "into a NEW node"),
    ("value_exp", exp_returning_its_input, "an input returned as the result", "a node of its own"),
])
def test_an_operation_writing_into_its_input_is_named(name, fn, mistake, phrase):
    assert_named(verdict(name, fn), mistake, phrase)


def add_setting_the_gradients_to_one(a, b):
    b = b if isinstance(b, Value) else Value(b)
    out = Value(a.data + b.data, (a, b), "+")

    def backward_step():
        a.grad = 1.0
        b.grad = 1.0
    out.backward_step = backward_step
    return out


def test_a_local_gradient_assigned_alone_is_named():
    assert_named(verdict("value_add", add_setting_the_gradients_to_one), "local gradient assigned without out.grad",
                 "a.grad = 1")
