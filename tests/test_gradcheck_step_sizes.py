"""Tests of backprop_helpers.gradcheck.step_sizes: the error of the forward difference, the central
difference and the complex step against the step h (the V-shaped curve of lesson 03)."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_helpers.gradcheck import StepSizeErrors, step_size_errors


def test_step_size_errors_show_the_v():
    hs = np.logspace(-20, 0, 21)
    r = step_size_errors(np.sin, np.cos, 1.0, hs)
    assert isinstance(r, StepSizeErrors) and r.forward.shape == r.central.shape == (21,)
    def at(h):
        return int(np.argmin(np.abs(np.log10(hs) - np.log10(h))))
    i5, i12, i1, i20 = at(1e-5), at(1e-12), at(1.0), at(1e-20)
    assert r.central[i5] < 1e-9 and r.central[i5] < r.central[i12] and r.central[i5] < r.central[i1]
    assert r.forward[at(1e-8)] < 1e-7 and r.forward[at(1e-8)] < r.forward[i5] and r.forward[i20] == 1.0
    assert r.complex_step[i20] < 1e-15
    r32 = step_size_errors(np.sin, np.cos, 1.0, hs, dtype=np.float32)
    assert r32.central.min() > 1e-7 and r32.complex_step[i20] < 1e-6     # float32 cannot do better
    assert np.argmin(r32.central) > np.argmin(r.central)                  # its best h is larger


def test_steps_come_back_as_float64_one_row_per_step():
    r = step_size_errors(np.exp, np.exp, 0.5, [1e-1, 1e-2])
    assert r.h.dtype == np.float64 and r.h.tolist() == [1e-1, 1e-2]
    assert all(e.shape == (2,) and e.dtype == np.float64 for e in (r.forward, r.central, r.complex_step))
    assert r._fields == ("h", "forward", "central", "complex_step")


def test_truncation_error_falls_like_h_forward_and_h_squared_central():
    """On the truncation side of the V, a step 10 times smaller divides the forward difference's error
    by about 10 and the central difference's by about 100."""
    r = step_size_errors(np.exp, np.exp, 0.5, [1e-2, 1e-3])
    assert r.forward[0] / r.forward[1] == pytest.approx(10, rel=0.01)
    assert r.central[0] / r.central[1] == pytest.approx(100, rel=0.01)
    # the leading terms: h f''/2 and h**2 f'''/6, relative to f' = f'' = f''' = exp(0.5)
    assert r.forward[1] == pytest.approx(1e-3 / 2, rel=1e-2)
    assert r.central[1] == pytest.approx(1e-6 / 6, rel=1e-2)


def test_errors_are_absolute_where_the_derivative_is_zero():
    # d cos/dx = -sin(0) = 0: the central difference and the complex step are exactly 0 there, and the
    # forward difference (cos(h) - 1) / h is about -h/2
    r = step_size_errors(np.cos, lambda x: -np.sin(x), 0.0, [1e-1, 1e-3])
    np.testing.assert_array_equal(r.central, [0.0, 0.0])
    np.testing.assert_array_equal(r.complex_step, [0.0, 0.0])
    np.testing.assert_allclose(r.forward, [0.05, 5e-4], rtol=1e-2)


@pytest.mark.parametrize("call, exc, message", [
    (lambda: step_size_errors(np.sin, np.cos, 1.0, [1e-5, -1.0]), ValueError,
     r"step_size_errors: hs must hold finite steps > 0"),
    (lambda: step_size_errors(np.sin, np.cos, 1.0, [1e-5], dtype=int), TypeError,
     r"step_size_errors: dtype must be a float dtype"),
    (lambda: step_size_errors("sin", np.cos, 1.0, [1e-5]), TypeError,
     r"step_size_errors: f must be a function"),
])
def test_bad_input_messages(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
