"""Tests of backprop_helpers.data.prep: train_test_split, standardize, and the learner's own data
(from_arrays, load_csv)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_helpers.data import (Standardized, from_arrays, load_csv, make_circle, make_moons, make_plane,
                                   make_xor, standardize, train_test_split)


# ----------------------------------------------------------------------------- train_test_split

def _self_describing(y):
    """X whose first column is the row's own label and second column its original index."""
    return np.column_stack([y.astype(float), np.arange(len(y), dtype=float)])


def test_split_keeps_rows_aligned_and_partitions_the_data():
    y = np.random.default_rng(0).integers(0, 3, size=50)
    X = _self_describing(y)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert np.array_equal(X_train[:, 0], y_train) and np.array_equal(X_test[:, 0], y_test)
    indices = np.concatenate([X_train[:, 1], X_test[:, 1]])
    assert sorted(indices) == list(range(50))
    assert y_train.dtype == y.dtype and X_test.dtype == np.float64
    assert not np.array_equal(X_train[:, 1], np.sort(X_train[:, 1]))  # shuffled


def test_split_regression_targets_stay_aligned():
    X = np.random.default_rng(1).normal(size=(40, 3))
    y = X.sum(axis=1, keepdims=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25)
    assert len(X_test) == 10 and y_test.shape == (10, 1)
    assert np.allclose(X_train.sum(axis=1, keepdims=True), y_train)
    assert np.allclose(X_test.sum(axis=1, keepdims=True), y_test)


def test_split_is_seeded():
    X, y = make_moons(n=60)
    a = train_test_split(X, y, seed=5)
    b = train_test_split(X, y, seed=5)
    c = train_test_split(X, y, seed=6)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_split_is_stratified_for_class_labels():
    y = np.array([0] * 90 + [1] * 10)
    X = _self_describing(y)
    _, _, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=0)
    assert np.bincount(y_test).tolist() == [18, 2]
    assert np.bincount(y_train).tolist() == [72, 8]
    y = np.array([0] * 98 + [1] * 2)  # a rare class still reaches both parts
    _, _, y_train, y_test = train_test_split(_self_describing(y), y, test_fraction=0.1)
    assert set(y_train) == set(y_test) == {0, 1}


def test_split_without_stratification_can_be_asked_for():
    y = np.array([0] * 90 + [1] * 10)
    _, X_test, _, y_test = train_test_split(_self_describing(y), y, test_fraction=0.2, stratify=False)
    assert len(y_test) == 20 and np.array_equal(X_test[:, 0], y_test)


@pytest.mark.parametrize("y, fraction", [([0, 1], 0.5), ([0, 0], 0.01), ([0, 0], 0.99),
                                         ([0, 1, 2], 0.9), ([3, 3, 5], 0.5)])
def test_split_never_leaves_a_part_empty(y, fraction):
    y = np.array(y)
    X_train, X_test, y_train, y_test = train_test_split(_self_describing(y), y, test_fraction=fraction)
    assert len(y_train) >= 1 and len(y_test) >= 1 and len(y_train) + len(y_test) == len(y)
    assert np.array_equal(X_test[:, 0], y_test)


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.integers(0, 3), min_size=2, max_size=60),
       fraction=st.floats(0.01, 0.99), seed=st.integers(0, 1000))
def test_split_properties_for_any_labels(labels, fraction, seed):
    y = np.array(labels, dtype=np.int64)
    X = _self_describing(y)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=fraction, seed=seed)
    assert len(y_train) >= 1 and len(y_test) >= 1
    assert sorted(np.concatenate([X_train[:, 1], X_test[:, 1]])) == list(range(len(y)))
    assert np.array_equal(X_train[:, 0], y_train) and np.array_equal(X_test[:, 0], y_test)
    for c, count in enumerate(np.bincount(y)):
        if count >= 2:
            assert c in y_train and c in y_test


# ----------------------------------------------------------------------------- standardize

def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(100, 3))
    X_train[:, 2] = 7.0  # a constant feature
    X_test = rng.normal(3.0, 2.0, size=(30, 3))
    result = standardize(X_train, X_test)
    assert isinstance(result, Standardized)
    Xs_train, Xs_test, mean, std = result
    assert np.allclose(Xs_train[:, :2].mean(axis=0), 0) and np.allclose(Xs_train[:, :2].std(axis=0), 1)
    assert np.all(Xs_train[:, 2] == 0) and std[2] == 1.0 and mean[2] == 7.0
    assert np.allclose(Xs_test, (X_test - X_train.mean(axis=0)) / np.where(std == 1, 1, X_train.std(axis=0)))
    assert mean.shape == std.shape == (3,)
    assert np.array_equal(X_train[:, 2], np.full(100, 7.0))  # the input is not modified


def test_standardize_without_test_set():
    X = make_plane(n=50)[0]
    result = standardize(X)
    assert result.X_test is None and np.allclose(result.X_train.std(axis=0), 1)


# ----------------------------------------------------------------------------- from_arrays

def test_from_arrays_infers_the_task_and_converts():
    data = from_arrays([[1, 2], [3, 4], [5, 6]], np.array([[0], [1], [1]]))
    assert data.task == "classification" and data.X.dtype == np.float64
    assert data.y.shape == (3,) and data.y.dtype == np.int64 and data.name == "custom"
    data = from_arrays(np.ones((3, 2), dtype=np.float32), np.array([0.5, 1.5, 2.5]), name="mine")
    assert data.task == "regression" and data.y.shape == (3, 1) and data.X.dtype == np.float64
    assert data.name == "mine"
    data = from_arrays(np.ones((3, 2)), np.array([0.0, 1.0, 1.0]), task="classification")
    assert data.y.dtype == np.int64 and data.y.tolist() == [0, 1, 1]
    data = from_arrays(np.ones((3, 2)), np.array([0, 1, 5]), task="regression")
    assert data.y.dtype == np.float64 and data.y.shape == (3, 1)
    data = from_arrays(np.ones((2, 1)), np.array([True, False]))
    assert data.task == "classification" and data.y.tolist() == [1, 0]


@pytest.mark.parametrize("X, y, task, error, message", [
    (np.ones((3, 2)), np.array([0, 1]), None, ValueError,
     "from_arrays: X and y must have one row per example, but X has 3 rows"),
    (np.array([[1.0, np.nan], [0.0, 0.0]]), np.array([0, 1]), None, ValueError,
     "from_arrays: X must hold only finite numbers, but X[(0, 1)] = nan"),
    (np.ones(4), np.array([0, 1, 0, 1]), None, ValueError,
     "from_arrays: X must be 2-D of shape (N, D), got a 1-D array of shape (4,); "
     "for N examples of one feature pass X.reshape(-1, 1)"),
    (np.ones((2, 2)), np.array([0.0, np.inf]), None, ValueError, "from_arrays: y must hold only finite"),
    (np.ones((2, 2)), np.array([-1, 1]), None, ValueError,
     "from_arrays: class labels must be indices 0, 1, ..., C-1, got -1"),
    (np.ones((2, 2)), np.array([0.5, 1.0]), "classification", ValueError,
     "from_arrays: task='classification' needs whole-number class labels, got 0.5"),
    (np.ones((2, 2)), np.eye(2, dtype=int), None, ValueError,
     "from_arrays: class labels must have shape (N,), got shape (2, 2); if y is one-hot"),
    (np.ones((2, 2)), np.array([0, 1]), "clustering", ValueError,
     "from_arrays: task must be one of ['classification', 'regression'], got 'clustering'"),
    (np.array([["a", "b"]]), np.array([0]), None, TypeError,
     "from_arrays: X must hold numbers, got dtype <U1"),
    ("data", np.array([0]), None, TypeError, "from_arrays: X must be a numpy array of numbers"),
    (np.ones((2, 2)), np.array(["a", "b"]), None, TypeError,
     "from_arrays: y must hold numbers, got dtype <U1"),
    (np.ones((2, 2)), 3, None, TypeError, "from_arrays: y must be a numpy array of targets, got int 3"),
])
def test_from_arrays_bad_input(X, y, task, error, message):
    with pytest.raises(error) as info:
        from_arrays(X, y, task=task)
    assert message in str(info.value)


# ----------------------------------------------------------------------------- load_csv

def test_csv_round_trip_with_header(tmp_path):
    X, y = make_circle(n=30, noise=0.1, seed=2)
    path = tmp_path / "circle.csv"
    rows = ["x1,x2,label"] + [f"{float(a)!r},{float(b)!r},{c}" for (a, b), c in zip(X, y)]
    path.write_text("\n".join(rows) + "\n")
    data = load_csv(path)
    assert data.task == "classification" and data.name == "circle"
    assert np.array_equal(data.X, X) and np.array_equal(data.y, y)
    by_name = load_csv(str(path), target_column="label")
    assert np.array_equal(by_name.y, y)
    first = load_csv(path, target_column=0, task="regression")  # x1 as the target, floats
    assert np.array_equal(first.y[:, 0], X[:, 0]) and np.array_equal(first.X[:, 1], y)


def test_csv_round_trip_regression_without_header(tmp_path):
    X, y = make_plane(n=25, noise=0.2)
    path = tmp_path / "plane.txt"
    np.savetxt(path, np.hstack([y, X]), delimiter=";", fmt="%.17g")
    data = load_csv(path, target_column=0, delimiter=";")
    assert data.task == "regression" and np.array_equal(data.X, X) and np.array_equal(data.y, y)


def test_csv_skips_blank_and_comment_lines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("# my data\na,b\n\n1,0\n# note\n2.5,1\n")
    data = load_csv(path)
    assert data.X.tolist() == [[1.0], [2.5]] and data.y.tolist() == [0, 1]


@pytest.mark.parametrize("text, kwargs, message", [
    ("a,b,c\n1,2,0\n3,4\n", {}, "load_csv: line 3 of 'bad.csv' has 2 columns but line 1 has 3"),
    ("a,b,c\n1,2,0\n3,x,1\n", {}, "load_csv: line 3, column 'b' (index 1) of 'bad.csv' is 'x', not a number"),
    ("1,2,0\n3,,1\n", {}, "load_csv: line 2, column index 1 of 'bad.csv' is empty (a missing value?)"),
    ("a,b\n1,0\n", {"skip_header": False}, "load_csv: line 1, column index 0 of 'bad.csv' is 'a'"),
    ("1\n2\n", {}, "load_csv: 'bad.csv' must have at least 2 columns (features and a target), "
                   "but line 1 has 1"),
    ("a,b\n", {}, "load_csv: 'bad.csv' has a header but no data rows"),
    ("\n\n", {}, "load_csv: 'bad.csv' holds no rows"),
    ("a,b\n1,0\n", {"target_column": "c"}, "load_csv: target_column 'c' is not a column name; "
                                           "the columns are ['a', 'b']"),
    ("a,b\n1,0\n", {"target_column": 2}, "load_csv: target_column must be an index from -2 to 1"),
    ("a,b\n1,0\n", {"skip_header": "yes"}, "load_csv: skip_header must be True, False or 'auto'"),
    ("a,b\n1,-1\n", {}, "load_csv: class labels must be indices 0, 1, ..., C-1, got -1"),
])
def test_csv_bad_files(tmp_path, text, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    assert message in str(info.value)


def test_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_csv: path '.*nope\.csv' is not an existing file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(TypeError, match="load_csv: path must be a file path"):
        load_csv(42)


# ----------------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("fraction, error, shown", [
    (0, ValueError, "0"), (1, ValueError, "1"), (1.5, ValueError, "1.5"), (-0.2, ValueError, "-0.2"),
    (float("nan"), ValueError, "nan"), (True, TypeError, "bool True"), ("half", TypeError, "str 'half'"),
])
def test_split_bad_test_fraction(fraction, error, shown):
    X, y = make_xor(n=10)
    with pytest.raises(error) as info:
        train_test_split(X, y, test_fraction=fraction)
    assert str(info.value) == ("train_test_split: test_fraction must be a number strictly between "
                               f"0 and 1, got {shown}")


@pytest.mark.parametrize("X, y, error, message", [
    (np.ones((5, 2)), np.zeros(4, dtype=int), ValueError,
     "train_test_split: X and y must have one row per example, but X has 5 rows and y has shape (4,)"),
    (np.array([[0.0, np.nan], [1.0, 1.0]]), np.array([0, 1]), ValueError,
     "train_test_split: X must hold only finite numbers, but X[(0, 1)] = nan"),
    (np.ones((1, 2)), np.array([0]), ValueError,
     "train_test_split: cannot split 1 example into two non-empty parts; it needs at least 2"),
    (np.ones((4, 2), dtype=int), np.array([0, 1, 0, 1]), TypeError,
     "train_test_split: X must hold floating-point numbers (float32 or float64), got dtype int64"),
    (np.ones((2, 2)), [0, 1], TypeError, "train_test_split: y must be a numpy array, got a list of length 2"),
    (np.ones((2, 2)), np.array([0.5, np.nan]), ValueError, "train_test_split: y must hold only finite"),
])
def test_split_bad_arrays(X, y, error, message):
    with pytest.raises(error) as info:
        train_test_split(X, y)
    assert message in str(info.value)


def test_split_bad_stratify_and_seed():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="train_test_split: stratify=True needs y of integer class "
                                         r"indices of shape \(N,\), got dtype float64 and shape \(4, 1\)"):
        train_test_split(X, np.ones((4, 1)), stratify=True)
    with pytest.raises(ValueError, match="train_test_split: seed must be an integer >= 0, got -3"):
        train_test_split(X, np.array([0, 1, 0, 1]), seed=-3)


def test_standardize_bad_arrays():
    with pytest.raises(ValueError, match=r"standardize: X_test has 3 features but X_train has 2 "
                                         r"\(X_train.shape=\(4, 2\), X_test.shape=\(1, 3\)\)"):
        standardize(np.ones((4, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"standardize: X must hold only finite numbers, but X\[\(1, 0\)\]"):
        standardize(np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match="standardize: X_test must hold only finite numbers"):
        standardize(np.ones((2, 1)), np.array([[np.inf]]))
    with pytest.raises(ValueError, match=r"standardize: X must be 2-D of shape \(N, D\)"):
        standardize(np.ones(3))
