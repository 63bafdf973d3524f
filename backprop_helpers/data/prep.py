"""Preparing data for training: the :class:`Dataset` container, splitting, scaling, the learner's data.

* ``train_test_split`` shuffles the rows of ``X`` and ``y`` together and cuts them in two (stratified
  for class labels);
* ``standardize`` gives each feature mean 0 and standard deviation 1 on the training set;
* ``from_arrays`` and ``load_csv`` check the learner's own arrays or CSV file and wrap them as a
  :class:`Dataset`, the container ``datasets.make_dataset`` returns for the built-in sets.

Shapes follow the course's notation (docs/contributing.md): ``X`` (N, D) float64, ``y`` class indices (N,) or values (N, C). Every name
here is also importable from ``backprop_helpers.data``.
"""
from __future__ import annotations

import csv
import math
import numbers
import os
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple

import numpy as np

from ..validation import as_float_array, check_choice, check_finite, check_positive_int, describe

__all__ = ["Dataset", "Standardized", "train_test_split", "standardize", "from_arrays", "load_csv"]

TASKS = ("classification", "regression")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set: inputs ``X`` (N, D), targets ``y``, its ``task`` and ``name``.

    ``y`` holds class indices of shape (N,) (int64) when ``task == "classification"`` and values of
    shape (N, C) (float64) when ``task == "regression"``. It unpacks like a pair: ``X, y = dataset``.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.y))

    @property
    def num_classes(self) -> int | None:
        """Number of classes (largest label + 1) for classification, ``None`` for regression."""
        return int(self.y.max()) + 1 if self.task == "classification" else None

    def __repr__(self) -> str:
        extra = ""
        if self.task == "classification":
            extra = f", class counts {np.bincount(self.y).tolist()}"
        return (f"Dataset(name={self.name!r}, task={self.task!r}, X: {self.X.shape} {self.X.dtype}, "
                f"y: {self.y.shape} {self.y.dtype}{extra})")


# ----------------------------------------------------------------------------- train/test split

def _check_features(fn: str, X: Any) -> np.ndarray:
    """``X`` as a finite float array of shape (N, D)."""
    if isinstance(X, np.ndarray) and X.ndim == 1:
        raise ValueError(f"{fn}: X must be 2-D of shape (N, D), got a 1-D array of shape {X.shape}; "
                         f"for N examples of one feature pass X.reshape(-1, 1)")
    X = as_float_array(fn, "X", X, ndim=2, allow_complex=False)
    check_finite(fn, "X", X)
    return X


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.5, seed: int = 0, *,
                     stratify: bool | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows of ``X`` (N, D) and ``y`` (N,) or (N, C) together and cut them in two.

    Returns ``X_train, X_test, y_train, y_test``; row i of ``X_test`` still belongs with row i of
    ``y_test``. The test part gets round(test_fraction * N) rows, at least 1 and at most N - 1, so no
    part is ever empty. ``stratify`` (default: when ``y`` holds integer class indices) splits each class
    on its own (round(test_fraction * N_c) of class c, at least 1 and at most N_c - 1, so the total can
    differ from the unstratified one by a row or two): each class with at least 2 examples then has
    examples in both parts, and a class with 1 example goes to the training part. Both parts come out
    shuffled; the same ``seed`` gives the same split.
    """
    fn = "train_test_split"
    X = _check_features(fn, X)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{fn}: y must be a numpy array, got {describe(y)}")
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"{fn}: X and y must have one row per example, but X has {X.shape[0]} rows "
                         f"and y has shape {y.shape}")
    if y.dtype.kind == "f":
        check_finite(fn, "y", y)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise TypeError(f"{fn}: test_fraction must be a number strictly between 0 and 1, "
                        f"got {describe(test_fraction)}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"{fn}: test_fraction must be a number strictly between 0 and 1, "
                         f"got {test_fraction!r}")
    rng = np.random.default_rng(check_positive_int(fn, "seed", seed, minimum=0))
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"{fn}: cannot split {n} example into two non-empty parts; "
                         f"it needs at least 2 (X.shape={X.shape})")
    labels = y.ndim == 1 and y.dtype.kind in "iub"
    if stratify is None:
        stratify = labels
    elif stratify and not labels:
        raise ValueError(f"{fn}: stratify=True needs y of integer class indices of shape (N,), "
                         f"got dtype {y.dtype} and shape {y.shape}")
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    test_parts, train_parts = [], []
    for idx in groups:
        idx = rng.permutation(idx)
        m = len(idx)
        k = min(max(math.floor(test_fraction * m + 0.5), 1), m - 1)  # 0 for a single example
        test_parts.append(idx[:k])
        train_parts.append(idx[k:])
    test, train = np.concatenate(test_parts), np.concatenate(train_parts)
    if test.size == 0:  # only possible when every class has one example: move one of them
        test, train = train[:1], train[1:]
    test, train = rng.permutation(test), rng.permutation(train)
    return X[train], X[test], y[train], y[test]


# ----------------------------------------------------------------------------- standardize

class Standardized(NamedTuple):
    """Scaled inputs and the statistics used: X_scaled = (X - mean) / std, per feature."""

    X_train: np.ndarray
    X_test: np.ndarray | None
    mean: np.ndarray
    std: np.ndarray


def standardize(X_train: np.ndarray, X_test: np.ndarray | None = None) -> Standardized:
    """Give each feature mean 0 and standard deviation 1 on the training set.

    mean_j and std_j (population, ddof=0) are computed on ``X_train`` (N, D) only and applied to both
    arrays, so no information leaks from the test set. A constant feature (std 0) gets std 1, so it
    becomes 0 instead of NaN. Returns ``Standardized(X_train, X_test, mean, std)`` (``X_test`` is
    ``None`` when none was given); it unpacks as ``X_train, X_test, mean, std = standardize(...)``.
    """
    fn = "standardize"
    X_train = _check_features(fn, X_train)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    constant = np.all(X_train == X_train[0], axis=0)
    mean[constant], std[constant] = X_train[0, constant], 1.0  # exact zeros for a constant column
    std[std == 0] = 1.0
    scaled_test = None
    if X_test is not None:
        X_test = as_float_array(fn, "X_test", X_test, ndim=2, allow_complex=False)
        check_finite(fn, "X_test", X_test)
        if X_test.shape[1] != X_train.shape[1]:
            raise ValueError(f"{fn}: X_test has {X_test.shape[1]} features but X_train has "
                             f"{X_train.shape[1]} (X_train.shape={X_train.shape}, "
                             f"X_test.shape={X_test.shape})")
        scaled_test = (X_test - mean) / std
    return Standardized((X_train - mean) / std, scaled_test, mean, std)


# ----------------------------------------------------------------------------- the learner's data

def _as_dataset(fn: str, X: Any, y: Any, task: str | None, name: str) -> Dataset:
    """Validate and convert ``X``, ``y`` into a :class:`Dataset` (errors name ``fn``)."""
    if task is not None:
        task = check_choice(fn, "task", task, TASKS)
    X = np.asarray(X) if isinstance(X, (list, tuple)) else X
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{fn}: X must be a numpy array of numbers of shape (N, D), got {describe(X)}")
    if X.dtype.kind not in "iubf":
        raise TypeError(f"{fn}: X must hold numbers, got dtype {X.dtype}")
    if X.dtype.kind in "iub":
        X = X.astype(np.float64)
    X = _check_features(fn, X).astype(np.float64, copy=False)
    y = np.asarray(y) if isinstance(y, (list, tuple)) else y
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{fn}: y must be a numpy array of targets, got {describe(y)}")
    if y.dtype.kind not in "iubf":
        raise TypeError(f"{fn}: y must hold numbers, got dtype {y.dtype}")
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"{fn}: X and y must have one row per example, but X has {X.shape[0]} rows "
                         f"(X.shape={X.shape}) and y has shape {y.shape}")
    if y.dtype.kind == "f":
        check_finite(fn, "y", y)
    if task is None:
        task = "classification" if y.dtype.kind in "iub" else "regression"
    if task == "regression":
        y = y.astype(np.float64)
        return Dataset(X, y[:, None] if y.ndim == 1 else y, task, name)
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(f"{fn}: class labels must have shape (N,), got shape {y.shape}; "
                             f"if y is one-hot, pass y.argmax(axis=1)")
        y = y[:, 0]
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            bad = y[y != np.round(y)][0]
            raise ValueError(f"{fn}: task='classification' needs whole-number class labels, "
                             f"got {bad} (dtype {y.dtype}); for real-valued targets use task='regression'")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError(f"{fn}: class labels must be indices 0, 1, ..., C-1, got {int(y.min())}; "
                         f"relabel them (e.g. np.unique(y, return_inverse=True)[1]) "
                         f"or pass task='regression'")
    return Dataset(X, y, task, name)


def from_arrays(X: Any, y: Any, task: str | None = None, *, name: str = "custom") -> Dataset:
    """Wrap the learner's own arrays as a :class:`Dataset`, after checking them.

    ``X`` (N, D): numbers (integers are turned into float64), no NaN or infinity. ``task`` defaults to
    "classification" when ``y`` holds integers (or booleans) and "regression" when it holds floats.
    Classification labels become int64 of shape (N,) (a (N, 1) column is flattened) and must be
    0, 1, ..., C-1; regression targets become float64 of shape (N, C) (a 1-D ``y`` becomes (N, 1)).
    """
    return _as_dataset("from_arrays", X, y, task, name)


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_csv(path: str | os.PathLike, target_column: int | str = -1, task: str | None = None,
             delimiter: str = ",", skip_header: bool | str = "auto") -> Dataset:
    """Read a numeric CSV file into a :class:`Dataset`: one column is ``y``, the others are ``X``.

    ``target_column`` is a column index (negative counts from the end) or, with a header, its name.
    ``skip_header="auto"`` treats the first row as a header when any of its cells is not a number.
    Blank lines and lines starting with ``#`` are ignored. The task is inferred as in
    :func:`from_arrays`: a target column written as whole numbers (``0``, ``1``, no decimal point)
    holds class labels, anything else is regression; pass ``task`` to choose.
    """
    fn = "load_csv"
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a file path (str or pathlib.Path), got {describe(path)}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{fn}: path {os.fspath(path)!r} is not an existing file "
                                f"(looked in {os.path.abspath(path)!r})")
    if skip_header not in (True, False, "auto"):
        raise ValueError(f"{fn}: skip_header must be True, False or 'auto', got {describe(skip_header)}")
    file = os.path.basename(os.fspath(path))
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [(line, [cell.strip() for cell in row])
                for line, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1)
                if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")]
    if not rows:
        raise ValueError(f"{fn}: {file!r} holds no rows")
    first_line, first = rows[0]
    if len(first) < 2:
        raise ValueError(f"{fn}: {file!r} must have at least 2 columns (features and a target), "
                         f"but line {first_line} has {len(first)}; is the delimiter {delimiter!r} right?")
    has_header = (skip_header if skip_header != "auto"
                  else any(_parse_number(cell) is None for cell in first))
    names = first if has_header else []
    body = rows[1:] if has_header else rows
    if not body:
        raise ValueError(f"{fn}: {file!r} has a header but no data rows")
    values = np.empty((len(body), len(first)), dtype=np.float64)
    for i, (line, row) in enumerate(body):
        if len(row) != len(first):
            raise ValueError(f"{fn}: line {line} of {file!r} has {len(row)} columns but line "
                             f"{first_line} has {len(first)}")
        for j, cell in enumerate(row):
            number = _parse_number(cell)
            if number is None:
                what = "is empty (a missing value?)" if cell == "" else f"is {cell!r}, not a number"
                column = f"column {names[j]!r} (index {j})" if has_header else f"column index {j}"
                raise ValueError(f"{fn}: line {line}, {column} of {file!r} {what}")
            values[i, j] = number
    n_cols = len(first)
    if isinstance(target_column, str):
        if not has_header or target_column not in names:
            raise ValueError(f"{fn}: target_column {target_column!r} is not a column name; "
                             f"the columns are {names if has_header else 'unnamed (no header)'}")
        target = names.index(target_column)
    elif isinstance(target_column, numbers.Integral) and not isinstance(target_column, bool):
        if not -n_cols <= target_column < n_cols:
            raise ValueError(f"{fn}: target_column must be an index from {-n_cols} to {n_cols - 1} "
                             f"({n_cols} columns), got {target_column}")
        target = int(target_column) % n_cols
    else:
        raise TypeError(f"{fn}: target_column must be a column index or name, got {describe(target_column)}")
    y = values[:, target]
    whole = all(row[target].lstrip("+-").isdigit() for _, row in body)
    if whole:
        y = y.astype(np.int64)
    X = np.delete(values, target, axis=1)
    name = os.path.splitext(file)[0]
    return _as_dataset(fn, X, y, task, name)
