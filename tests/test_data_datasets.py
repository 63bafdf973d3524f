"""Tests of backprop_helpers.data.datasets: the registry, the seeded generators (shapes, dtypes, balance,
the geometry of each set, noise) and make_dataset."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_helpers.data import (
    DATASETS, Dataset, make_circle, make_dataset, make_gauss, make_gaussian_regression, make_moons,
    make_plane, make_sine_1d, make_spiral, make_xor,
)
from backprop_helpers.data.datasets import MOON_CENTRES, MOON_RADIUS

from strategies import seeds

CLASSIFICATION = [name for name, task in DATASETS.items() if task == "classification"]
REGRESSION = [name for name, task in DATASETS.items() if task == "regression"]
GENERATORS = {
    "circle": make_circle, "xor": make_xor, "gauss": make_gauss, "spiral": make_spiral,
    "moons": make_moons, "plane": make_plane, "gaussian_regression": make_gaussian_regression,
    "sine_1d": make_sine_1d,
}

names = st.sampled_from(sorted(DATASETS))
sizes = st.integers(min_value=2, max_value=300)
noises = st.floats(min_value=0.0, max_value=1.0)


# ----------------------------------------------------------------------------- the registry

def test_registry_lists_every_set_with_its_task():
    assert set(DATASETS) == set(GENERATORS)
    assert CLASSIFICATION == ["circle", "xor", "gauss", "spiral", "moons"]
    assert REGRESSION == ["plane", "gaussian_regression", "sine_1d"]
    with pytest.raises(TypeError):
        DATASETS["new"] = "regression"  # read-only


# ----------------------------------------------------------------------------- shapes, dtypes, seeds

@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("n", [2, 7, 200])
def test_shapes_and_dtypes(name, n):
    X, y = GENERATORS[name](n=n)
    dims = 1 if name == "sine_1d" else 2
    assert X.shape == (n, dims) and X.dtype == np.float64
    if DATASETS[name] == "classification":
        assert y.shape == (n,) and y.dtype == np.int64
        assert set(np.unique(y)) <= {0, 1}
    else:
        assert y.shape == (n, 1) and y.dtype == np.float64
    assert np.isfinite(X).all() and np.isfinite(y).all()


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_same_seed_same_arrays_and_other_seed_other_arrays(name):
    X1, y1 = GENERATORS[name](n=50, noise=0.2, seed=7)
    X2, y2 = GENERATORS[name](n=50, noise=0.2, seed=7)
    X3, _ = GENERATORS[name](n=50, noise=0.2, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    X0, _ = GENERATORS[name](n=50, noise=0.0, seed=7)  # seed matters without noise too
    X4, _ = GENERATORS[name](n=50, noise=0.0, seed=8)
    assert not np.allclose(X0, X4)


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("n", [2, 3, 101, 200])
def test_classes_are_balanced(name, n):
    _, y = GENERATORS[name](n=n, noise=0.3)
    counts = np.bincount(y, minlength=2)
    assert counts.tolist() == [n - n // 2, n // 2]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_rows_are_shuffled_not_grouped_by_class(name):
    _, y = GENERATORS[name](n=200)
    assert 0 < y[:100].sum() < 100


@settings(max_examples=60, deadline=None)
@given(name=names, n=sizes, noise=noises, seed=seeds)
def test_any_arguments_give_valid_data(name, n, noise, seed):
    data = make_dataset(name, n=n, noise=noise, seed=seed)
    assert data.X.shape[0] == n and data.y.shape[0] == n
    assert data.X.dtype == np.float64 and np.isfinite(data.X).all()
    if data.task == "classification":
        assert data.y.dtype == np.int64 and np.bincount(data.y, minlength=2).tolist() == [n - n // 2, n // 2]
    else:
        assert data.y.shape == (n, 1) and np.isfinite(data.y).all()
        if name != "sine_1d":
            assert data.y.min() >= -1.0 and data.y.max() <= 1.0


# ----------------------------------------------------------------------------- noise-free geometry

@pytest.mark.parametrize("seed", range(5))
def test_circle_class_is_decided_by_radius(seed):
    X, y = make_circle(n=300, seed=seed)
    r = np.linalg.norm(X, axis=1)
    assert np.all(r[y == 0] <= 2.5)
    assert np.all((r[y == 1] >= 3.5) & (r[y == 1] <= 5.0 + 1e-12))
    assert np.array_equal(y, (r > 3.0).astype(np.int64))


@pytest.mark.parametrize("seed", range(5))
def test_xor_class_is_decided_by_the_sign_of_the_product(seed):
    X, y = make_xor(n=300, seed=seed)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    assert np.abs(X).min() >= 0.3 and np.abs(X).max() <= 5.0
    assert len({tuple(q) for q in np.sign(X)}) == 4  # all four quadrants are used


@pytest.mark.parametrize("seed", range(5))
def test_gauss_blobs_are_split_by_the_diagonal(seed):
    X, y = make_gauss(n=300, seed=seed)
    assert np.array_equal(y, (X.sum(axis=1) > 0).astype(np.int64))
    assert np.allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.2)
    assert np.allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.2)


def test_gauss_spread_grows_with_noise():
    spreads = [make_gauss(n=2000, noise=noise)[0][:1000].std() for noise in (0.0, 0.25, 0.5)]
    assert spreads[0] < spreads[1] < spreads[2]


@pytest.mark.parametrize("seed", range(5))
def test_spiral_points_lie_on_their_own_arm(seed):
    X, y = make_spiral(n=300, seed=seed)
    r = np.linalg.norm(X, axis=1)
    assert r.max() <= 5.0 + 1e-12
    expected = 3.5 * np.pi * (r / 5.0) + np.pi * y
    gap = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))  # wrapped to (-pi, pi]
    assert np.abs(gap[r > 1e-9]).max() < 1e-9
    other = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected - np.pi)))
    assert np.abs(other[r > 0.1]).min() > 1.0  # far from the other arm's angle


@pytest.mark.parametrize("seed", range(5))
def test_moons_points_lie_on_their_own_half_circle(seed):
    X, y = make_moons(n=300, seed=seed)
    offset = X - MOON_CENTRES[y]
    assert np.allclose(np.linalg.norm(offset, axis=1), MOON_RADIUS)
    assert np.all(offset[y == 0, 1] >= -1e-12) and np.all(offset[y == 1, 1] <= 1e-12)


@pytest.mark.parametrize("name, amplitude", [("circle", 5.0), ("xor", 5.0), ("spiral", 1.0)])
def test_jitter_moves_each_point_at_most_its_amplitude_and_keeps_labels(name, amplitude):
    X0, y0 = GENERATORS[name](n=200, noise=0.0, seed=3)
    X1, y1 = GENERATORS[name](n=200, noise=0.1, seed=3)
    assert np.array_equal(y0, y1)
    moved = np.abs(X1 - X0)
    assert moved.max() <= 0.1 * amplitude and moved.max() > 0.05 * amplitude


def test_regression_targets_without_noise_are_the_stated_functions():
    X, y = make_plane(n=100)
    assert np.allclose(y[:, 0], (X[:, 0] + X[:, 1]) / 10)
    assert np.abs(X).max() <= 5.0
    X, y = make_sine_1d(n=100)
    assert np.allclose(y, np.sin(X)) and np.all(np.diff(X[:, 0]) >= 0)
    assert X.min() >= -np.pi and X.max() <= np.pi
    X, y = make_gaussian_regression(n=2000)
    assert y.max() > 0.8 and y.min() < -0.8  # reaches hills and valleys
    assert y.max() <= 1.0 and y.min() >= -1.0


@pytest.mark.parametrize("name", ["plane", "gaussian_regression"])
def test_regression_noise_stays_in_range(name):
    _, y0 = GENERATORS[name](n=500, noise=0.0)
    _, y1 = GENERATORS[name](n=500, noise=1.0)
    assert y1.min() >= -1.0 and y1.max() <= 1.0
    assert np.abs(y1 - y0).max() > 0.5


# ----------------------------------------------------------------------------- make_dataset, Dataset

def test_make_dataset_returns_a_frozen_dataset_that_unpacks():
    data = make_dataset("Circle", n=20, noise=0.1, seed=4)
    assert isinstance(data, Dataset) and data.name == "circle" and data.task == "classification"
    X, y = data
    Xd, yd = make_circle(n=20, noise=0.1, seed=4)
    assert np.array_equal(X, Xd) and np.array_equal(y, yd)
    assert data.num_classes == 2 and make_dataset("plane").num_classes is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.X = Xd
    assert "class counts [10, 10]" in repr(data) and "(20, 2) float64" in repr(data)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_make_dataset_task_matches_registry(name):
    assert make_dataset(name, n=10).task == DATASETS[name]


# ----------------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("kwargs, error, message", [
    ({"n": 1}, ValueError, "make_circle: n must be an integer >= 2, got 1"),
    ({"n": 2.5}, TypeError, "make_circle: n must be an integer, got float 2.5"),
    ({"n": True}, TypeError, "make_circle: n must be an integer, got bool True"),
    ({"noise": -0.1}, ValueError, "make_circle: noise must be a number in [0, 1], got -0.1"),
    ({"noise": 1.5}, ValueError, "make_circle: noise must be a number in [0, 1], got 1.5"),
    ({"noise": 30}, ValueError, "make_circle: noise must be a number in [0, 1], got 30; "
                                "it is a fraction, so 30% is 0.3"),
    ({"noise": float("nan")}, ValueError, "make_circle: noise must be a number in [0, 1], got nan"),
    ({"noise": "0.1"}, TypeError, "make_circle: noise must be a number in [0, 1], got str '0.1'"),
    ({"seed": -1}, ValueError, "make_circle: seed must be an integer >= 0, got -1"),
    ({"seed": None}, TypeError, "make_circle: seed must be an integer, got NoneType None"),
])
def test_generator_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        make_circle(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_generator_names_itself_in_errors(name):
    fn = GENERATORS[name]
    with pytest.raises(ValueError, match=f"^{fn.__name__}: n must be an integer >= 2, got 0$"):
        fn(n=0)


def test_make_dataset_bad_arguments():
    with pytest.raises(ValueError) as info:
        make_dataset("cirle")
    assert str(info.value) == (
        "make_dataset: name must be one of ['circle', 'gauss', 'gaussian_regression', 'moons', "
        "'plane', 'sine_1d', 'spiral', 'xor'], got 'cirle' (did you mean 'circle'?)")
    with pytest.raises(ValueError, match=r"got 'banana'$"):
        make_dataset("banana")
    with pytest.raises(TypeError, match=r"make_dataset: name must be one of \[.*\], got int 3"):
        make_dataset(3)
    with pytest.raises(ValueError, match=r"make_dataset: noise must be a number in \[0, 1\], got 2"):
        make_dataset("xor", noise=2)
