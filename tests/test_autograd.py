"""Tests of backprop_helpers.autograd, the scalar Value engine: every operation against its closed form
and against finite differences, the bookkeeping of the graph (ordered parents, accumulation, zero_grad),
deep graphs, the array helpers. (The MLP loss built from Values is tested in test_value_mlp.py.)"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_helpers.autograd import Value, data_array, grad_array, topological_order, value_array
from backprop_helpers.layers import LEAKY_SLOPE

# ------------------------------------------------------------------ strategies and helpers

def reals(lo=-5.0, hi=5.0):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo=-5.0, hi=5.0, margin=1e-2):
    return reals(lo, hi).filter(lambda x: abs(x) > margin)


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def grad_of(op, *xs):
    """Data and gradients of op(*Values) with respect to each input."""
    vs = [Value(x) for x in xs]
    out = op(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# name: (Value operation, the same on floats, its derivative, the inputs to try)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, reals()),
    "abs": (abs, abs, lambda x: math.copysign(1.0, x), away_from_zero()),
    "exp": (Value.exp, math.exp, math.exp, reals()),
    "log": (Value.log, math.log, lambda x: 1.0 / x, reals(1e-2, 50.0)),
    "tanh": (Value.tanh, math.tanh, lambda x: 1.0 - math.tanh(x) ** 2, reals()),
    "sigmoid": (Value.sigmoid, sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)), reals(-30.0, 30.0)),
    "relu": (Value.relu, lambda x: max(0.0, x), lambda x: float(x > 0), away_from_zero()),
    "leaky_relu": (Value.leaky_relu, lambda x: x if x > 0 else LEAKY_SLOPE * x,
                   lambda x: 1.0 if x > 0 else LEAKY_SLOPE, away_from_zero()),
    "square": (lambda v: v ** 2, lambda x: x ** 2, lambda x: 2 * x, reals()),
    "cube": (lambda v: v ** 3, lambda x: x ** 3, lambda x: 3 * x ** 2, reals()),
    "reciprocal": (lambda v: v ** -1, lambda x: 1 / x, lambda x: -1 / x ** 2, away_from_zero(margin=0.1)),
    "sqrt": (lambda v: v ** 0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), reals(1e-2, 50.0)),
    "power_zero": (lambda v: v ** 0, lambda x: 1.0, lambda x: 0.0, reals()),
}

# name: (Value operation, the same on floats, its two partial derivatives)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
}


# ------------------------------------------------------------------ every operation

@pytest.mark.parametrize("name", list(UNARY))
def test_unary_operation_matches_closed_form_and_finite_differences(name):
    op, f, df, xs = UNARY[name]

    @settings(max_examples=60)
    @given(x=xs)
    def check(x):
        data, (grad,) = grad_of(op, x)
        assert data == pytest.approx(f(x), rel=1e-12, abs=1e-300)
        assert grad == pytest.approx(df(x), rel=1e-9, abs=1e-12)
        assert grad == pytest.approx(central_difference(f, x), rel=1e-5, abs=1e-6)

    check()


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=60)
@given(a=reals(), b=away_from_zero(margin=0.1))
def test_binary_operation_matches_closed_form_and_finite_differences(name, a, b):
    op, f, partials = BINARY[name]
    data, (da, db) = grad_of(op, a, b)
    assert data == pytest.approx(f(a, b), rel=1e-12, abs=1e-300)
    assert (da, db) == pytest.approx(partials(a, b), rel=1e-12, abs=1e-12)
    assert da == pytest.approx(central_difference(lambda t: f(t, b), a), rel=1e-5, abs=1e-6)
    assert db == pytest.approx(central_difference(lambda t: f(a, t), b), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=30)
@given(a=reals(), k=away_from_zero(margin=0.1))
def test_binary_operation_with_plain_numbers_on_either_side(name, a, k):
    op, f, partials = BINARY[name]
    for number in (k, np.float64(k), np.float32(k)):
        left = Value(a)
        out = op(left, number)                       # v + 2
        out.backward()
        assert isinstance(out, Value)
        assert out.data == pytest.approx(f(a, float(number)))
        assert left.grad == pytest.approx(partials(a, float(number))[0])
        if abs(a) > 0.1:                             # 2 / v needs a denominator away from 0
            right = Value(a)
            out = op(number, right)
            out.backward()
            assert isinstance(out, Value)
            assert out.data == pytest.approx(f(float(number), a))
            assert right.grad == pytest.approx(partials(float(number), a)[1])


@settings(max_examples=40)
@given(x=reals(-2.0, 2.0), y=reals(-2.0, 2.0), z=reals(0.5, 3.0))
def test_composite_expression_matches_finite_differences(x, y, z):
    def f(a, b, c):
        return (a * b + c).tanh() * (a / c).exp() - (b * b + 1.0).log() + (a - c).sigmoid()
    vs = [Value(x), Value(y), Value(z)]
    f(*vs).backward()
    def g(a, b, c):
        return f(Value(a), Value(b), Value(c)).data
    numeric = [central_difference(lambda t: g(t, y, z), x),
               central_difference(lambda t: g(x, t, z), y),
               central_difference(lambda t: g(x, y, t), z)]
    assert [v.grad for v in vs] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


# ------------------------------------------------------------------ the graph's bookkeeping

def test_parents_are_kept_in_order_and_ops_are_named():
    a, b = Value(2.0), Value(3.0)
    assert (a - b).parents == (a, b) and (b - a).parents == (b, a)
    assert (a / b).op == "/" and (a * b).op == "*" and a.tanh().op == "tanh" and (a ** 2).op == "**2"
    square = a * a
    assert square.parents == (a, a)
    assert a.parents == () and a.op == ""


def test_a_value_used_twice_receives_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0                             # d(x^2)/dx = 2x, both paths summed
    y = Value(3.0)
    (y + y).backward()
    assert y.grad == 2.0
    z = Value(-1.5)
    (z - z).backward()
    assert z.grad == 0.0


def test_a_reused_intermediate_node_accumulates_over_every_path():
    x, w = Value(0.7), Value(-1.3)
    h = x * w                                        # used three times below
    out = h * h + h.tanh() + 2.0 * h
    out.backward()
    hd = 0.7 * -1.3
    dout_dh = 2 * hd + (1 - math.tanh(hd) ** 2) + 2.0
    assert h.grad == pytest.approx(dout_dh)
    assert x.grad == pytest.approx(dout_dh * -1.3)
    assert w.grad == pytest.approx(dout_dh * 0.7)


def test_zero_grad_then_backward_twice_gives_identical_gradients():
    a, b = Value(0.3), Value(-2.0)
    out = (a * b).tanh() + a ** 2 / (b * b)
    out.backward()
    first = [node.grad for node in topological_order(out)]
    out.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(out))
    out.backward()
    assert [node.grad for node in topological_order(out)] == first


def test_backward_twice_without_zero_grad_accumulates_exactly_twice():
    a, b = Value(0.3), Value(-2.0)
    out = (a * b).sigmoid() * a + b.exp()
    out.backward()
    once = [node.grad for node in topological_order(out)]
    out.backward()
    assert [node.grad for node in topological_order(out)] == pytest.approx([2 * g for g in once])
    assert out.grad == 2.0


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    out = (c + a) * (c - b)
    order = topological_order(out)
    assert order[-1] is out
    assert len(order) == len(set(order)) == 6
    where = {node: i for i, node in enumerate(order)}
    assert all(where[p] < where[node] for node in order for p in node.parents)


def test_a_chain_of_100k_operations_needs_no_recursion():
    x = Value(0.5)
    v = x
    for _ in range(100_000):
        v = -v                                       # 100 000 operations deep
    assert len(topological_order(v)) == 100_001
    v.backward()
    assert v.data == 0.5 and x.grad == 1.0           # (-1) ** 100000
    v.zero_grad()
    assert x.grad == 0.0


# ------------------------------------------------------------------ numerics and messages

def test_sigmoid_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, expected in ((1000.0, 1.0), (-1000.0, 0.0), (40.0, 1.0), (-745.0, 0.0)):
            v = Value(x)
            s = v.sigmoid()
            s.backward()
            assert s.data == pytest.approx(expected, abs=1e-17)
            assert math.isfinite(v.grad) and v.grad == pytest.approx(0.0, abs=1e-17)


def test_tanh_saturates_without_nan():
    v = Value(-1000.0)
    t = v.tanh()
    t.backward()
    assert t.data == -1.0 and v.grad == 0.0


def test_log_of_a_non_positive_number_names_the_value():
    with pytest.raises(ValueError, match=r"Value\.log: log is only defined for positive numbers, "
                                         r"got Value\(data=-1\.0, grad=0\.0, label='x'\)"):
        Value(-1.0, label="x").log()
    with pytest.raises(ValueError, match=r"Value\.log.*data=0\.0"):
        Value(0.0).log()


def test_exp_overflow_has_a_clear_message():
    with pytest.raises(OverflowError, match=r"Value\.exp: exp\(1000\.0\) is too large"):
        Value(1000.0).exp()


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1 + 2j, np.array([1.0])])
def test_value_of_a_non_number_is_a_type_error_naming_value_and_data(bad):
    with pytest.raises(TypeError, match=r"^Value: data must be a real number \(int or float\), got "):
        Value(bad)


def test_value_of_a_value_is_refused():
    with pytest.raises(TypeError, match=r"Value: data must be a real number.*object of type Value"):
        Value(Value(1.0))


def test_a_value_exponent_is_a_type_error():
    with pytest.raises(TypeError, match=r"Value\.__pow__: only numeric exponents are supported"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match=r"Value\.__rpow__: only numeric exponents are supported"):
        2 ** Value(3.0)
    with pytest.raises(TypeError, match=r"Value\.__pow__: only numeric exponents.*got str"):
        Value(2.0) ** "2"


def test_undefined_powers_and_division_by_zero_have_clear_messages():
    with pytest.raises(ValueError, match=r"Value\.__pow__: a negative base -2\.0 to the non-integer "
                                         r"power 0\.5"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match=r"Value\.__pow__: 0 \*\* -1 is undefined"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match=r"Value\.__truediv__: division by zero \(the denominator "
                                                r"is Value\(data=0\.0"):
        Value(1.0) / 0.0
    assert (Value(-2.0) ** 2).data == 4.0            # integer powers of negative numbers are fine


def test_operations_with_unsupported_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1.0] * Value(2.0)


def test_repr_shows_data_grad_and_label():
    v = Value(0.5)
    v.grad = 0.1
    assert repr(v) == "Value(data=0.5, grad=0.1)"
    assert repr(Value(2, label="w")) == "Value(data=2.0, grad=0.0, label='w')"


# ------------------------------------------------------------------ numpy object arrays

def test_sum_and_numpy_object_arrays_work_with_values():
    xs = [Value(float(i)) for i in range(4)]
    total = sum(xs)
    total.backward()
    assert total.data == 6.0 and [x.grad for x in xs] == [1.0] * 4

    W = value_array(np.array([[1.0, 2.0], [3.0, 4.0]]))
    X = np.array([[1.0, -1.0]])
    out = np.tanh(X @ W + 1.0)                       # numpy calls Value.tanh element by element
    assert out.shape == (1, 2) and out.dtype == object
    loss = out.sum()
    loss.backward()
    expected = np.outer(X[0], 1 - np.tanh(X @ data_array(W) + 1.0)[0] ** 2)
    np.testing.assert_allclose(grad_array(W), expected, rtol=1e-12)
    assert isinstance(np.float64(2.0) * Value(3.0), Value)
    assert isinstance(2.0 - Value(3.0), Value)


@settings(max_examples=40)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                    elements=reals(-1e6, 1e6)))
def test_value_array_round_trips_any_shape(x):
    v = value_array(x)
    assert v.shape == x.shape and v.dtype == object
    np.testing.assert_array_equal(data_array(v), x)
    np.testing.assert_array_equal(grad_array(v), np.zeros_like(x))
    assert all(isinstance(e, Value) for e in v.flat)


def test_value_array_labels_and_array_helper_messages():
    v = value_array(np.zeros((2, 3)), label="W1")
    assert v[1, 2].label == "W1[1,2]"
    assert value_array(np.zeros(2), label="b1")[0].label == "b1[0]"
    assert data_array(Value(2.5)) == 2.5 and data_array(Value(2.5)).shape == ()
    assert data_array(np.array([Value(1.0), 2.0], dtype=object)).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match=r"value_array: x must hold floating-point numbers.*int64"):
        value_array(np.arange(3))
    with pytest.raises(TypeError, match=r"data_array: v must be an object array of Value"):
        data_array(np.zeros(3))
    with pytest.raises(TypeError, match=r"grad_array: v\[1\] is float 2\.0, not a Value"):
        grad_array(np.array([Value(1.0), 2.0], dtype=object))
    with pytest.raises(TypeError, match=r"topological_order: root must be a Value"):
        topological_order(3.0)
