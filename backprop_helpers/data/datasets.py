"""Seeded toy data for the course, and the learner's own data.

Two-dimensional sets in the spirit of TensorFlow Playground live on the plane [-5, 5]^2 (in the course's
notation, docs/contributing.md: ``X`` has shape (N, D) with D = 2, float64):

* classification, ``y`` of shape (N,) holding class indices 0/1 (int64), classes balanced (their counts
  differ by at most one, class 0 taking the odd example), rows in random order:
  ``make_circle``, ``make_xor``, ``make_gauss``, ``make_spiral``, ``make_moons``;
* regression, ``y`` of shape (N, 1) (float64) with values in [-1, 1]:
  ``make_plane``, ``make_gaussian_regression``;
* one 1-D regression set for plots, ``make_sine_1d`` (``X`` of shape (N, 1), sorted).

Every generator takes ``(n=200, noise=0.0, seed=0)``. ``noise`` is a fraction in [0, 1] (the playground's
0..50% slider is 0..0.5 here); what it does differs per set and is stated in each docstring. A given seed
always gives the same arrays. ``make_dataset(name, ...)`` picks a generator by name and returns a
:class:`Dataset`, which also unpacks as ``X, y = make_dataset("circle")``.

The tools that prepare data for training (``train_test_split``, stratified for classes;
``standardize``; ``from_arrays`` / ``load_csv`` for data a learner brings) live in
``backprop_helpers.data.prep``, together with :class:`Dataset`; each is importable from ``backprop_helpers.data``.
"""
from __future__ import annotations

import difflib
import numbers
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from ..validation import check_choice, check_positive_int, describe
from .prep import (TASKS, Dataset, Standardized, from_arrays, load_csv, standardize,  # noqa: F401
                        train_test_split)

__all__ = [
    "DATASETS",
    "Dataset",
    "Standardized",
    "make_circle",
    "make_xor",
    "make_gauss",
    "make_spiral",
    "make_moons",
    "make_plane",
    "make_gaussian_regression",
    "make_sine_1d",
    "make_dataset",
    "train_test_split",
    "standardize",
    "from_arrays",
    "load_csv",
]


# ----------------------------------------------------------------------------- argument checks

def _check_args(fn: str, n: Any, noise: Any, seed: Any) -> np.random.Generator:
    """Validate the common ``(n, noise, seed)`` and return the random generator for ``seed``."""
    check_positive_int(fn, "n", n, minimum=2)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"{fn}: noise must be a number in [0, 1], got {describe(noise)}")
    if not (0.0 <= float(noise) <= 1.0):  # also refuses NaN
        hint = f"; it is a fraction, so {noise}% is {noise / 100:g}" if 1 < noise <= 100 else ""
        raise ValueError(f"{fn}: noise must be a number in [0, 1], got {noise!r}{hint}")
    check_positive_int(fn, "seed", seed, minimum=0)
    return np.random.default_rng(int(seed))


def _balanced_labels(n: int) -> np.ndarray:
    """Labels 0 then 1, ``n - n // 2`` zeros and ``n // 2`` ones."""
    return np.repeat(np.array([0, 1], dtype=np.int64), [n - n // 2, n // 2])


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _jitter(rng: np.random.Generator, shape: tuple[int, ...], amplitude: float) -> np.ndarray:
    """Uniform noise in [-amplitude, amplitude]."""
    return rng.uniform(-1.0, 1.0, size=shape) * amplitude


# ----------------------------------------------------------------------------- classification

def make_circle(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A disc inside a ring: class 0 has radius r <= 2.5, class 1 has 3.5 <= r <= 5 (uniform in area).

    noise: each point moves by uniform noise in [-5 * noise, 5 * noise] per coordinate and keeps its
    label, so the empty gap (1 wide) fills at noise ~0.1 and the classes overlap beyond.
    Returns ``X`` (N, 2) float64 and ``y`` (N,) int64.
    """
    rng = _check_args("make_circle", n, noise, seed)
    y = _balanced_labels(n)
    inner, outer = np.where(y == 0, 0.0, 3.5), np.where(y == 0, 2.5, 5.0)
    r = np.sqrt(rng.uniform(inner**2, outer**2))
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X += _jitter(rng, X.shape, 5.0 * noise)
    return _shuffled(rng, X, y)


def make_xor(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants: class 1 where x1 * x2 > 0, class 0 where x1 * x2 < 0.

    Each coordinate is uniform in [-5, -0.3] or [0.3, 5]: a margin of 0.3 keeps points off the axes.
    noise: each point moves by uniform noise in [-5 * noise, 5 * noise] per coordinate and keeps its
    label, so points cross the axes as noise grows.
    Returns ``X`` (N, 2) float64 and ``y`` (N,) int64.
    """
    rng = _check_args("make_xor", n, noise, seed)
    y = _balanced_labels(n)
    magnitude = rng.uniform(0.3, 5.0, size=(n, 2))
    s1 = rng.choice([-1.0, 1.0], size=n)
    s2 = np.where(y == 1, s1, -s1)
    X = magnitude * np.column_stack([s1, s2])
    X += _jitter(rng, X.shape, 5.0 * noise)
    return _shuffled(rng, X, y)


def make_gauss(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two round Gaussian blobs: class 1 around (2, 2), class 0 around (-2, -2).

    noise: the standard deviation of each blob is 0.5 + 7 * noise (0.5 at noise 0, where the line
    x1 + x2 = 0 separates the classes in practice; 4 at noise 0.5, the playground's widest).
    Returns ``X`` (N, 2) float64 and ``y`` (N,) int64.
    """
    rng = _check_args("make_gauss", n, noise, seed)
    y = _balanced_labels(n)
    centre = np.where(y == 1, 2.0, -2.0)[:, None]
    X = centre + rng.normal(0.0, 0.5 + 7.0 * noise, size=(n, 2))
    return _shuffled(rng, X, y)


def make_spiral(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, one per class.

    A point at t uniform in [0, 1] lies at radius r = 5 t and angle 3.5 pi t + pi y (class 1 is class 0
    turned by half a turn), so each arm winds 1.75 times and the arms are ~1.4 apart.
    noise: each point moves by uniform noise in [-noise, noise] per coordinate and keeps its label.
    Returns ``X`` (N, 2) float64 and ``y`` (N,) int64.
    """
    rng = _check_args("make_spiral", n, noise, seed)
    y = _balanced_labels(n)
    t = rng.uniform(0.0, 1.0, size=n)
    r, angle = 5.0 * t, 3.5 * np.pi * t + np.pi * y
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X += _jitter(rng, X.shape, noise)
    return _shuffled(rng, X, y)


MOON_RADIUS = 2.5
MOON_CENTRES = np.array([[-1.25, -0.625], [1.25, 0.625]])  # class 0 arc opens down, class 1 opens up


def make_moons(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 2.5 (``MOON_RADIUS``).

    Class 0 is the upper half of the circle around (-1.25, -0.625), class 1 the lower half of the circle
    around (1.25, 0.625); each arm reaches into the other's hollow. Angles are uniform on the arc.
    noise: Gaussian noise of standard deviation 2.5 * noise (noise in units of the radius) is added to
    each coordinate; the labels stay.
    Returns ``X`` (N, 2) float64 and ``y`` (N,) int64.
    """
    rng = _check_args("make_moons", n, noise, seed)
    y = _balanced_labels(n)
    angle = rng.uniform(0.0, np.pi, size=n)
    side = np.where(y == 0, 1.0, -1.0)[:, None]  # upper (+) or lower (-) half
    X = MOON_CENTRES[y] + MOON_RADIUS * np.column_stack([np.cos(angle), np.sin(angle)]) * side
    X += rng.normal(0.0, MOON_RADIUS * noise, size=X.shape)
    return _shuffled(rng, X, y)


# ----------------------------------------------------------------------------- regression

def _noisy_target(rng: np.random.Generator, clean: np.ndarray, noise: float) -> np.ndarray:
    """Add uniform noise in [-noise, noise] and clip into [-1, 1]; shape (N, 1)."""
    return np.clip(clean + _jitter(rng, clean.shape, noise), -1.0, 1.0)[:, None]


def make_plane(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane: ``X`` uniform in [-5, 5]^2, y = (x1 + x2) / 10, which lies in [-1, 1].

    noise: uniform noise in [-noise, noise] is added to y, then y is clipped into [-1, 1].
    Returns ``X`` (N, 2) float64 and ``y`` (N, 1) float64.
    """
    rng = _check_args("make_plane", n, noise, seed)
    X = rng.uniform(-5.0, 5.0, size=(n, 2))
    return X, _noisy_target(rng, X.sum(axis=1) / 10.0, noise)


# (x1, x2, sign) of each bump: a 3 x 2 checkerboard of hills and valleys
BUMPS = np.array([[-3.5, 2.5, 1.0], [0.0, 2.5, -1.0], [3.5, 2.5, 1.0],
                  [-3.5, -2.5, -1.0], [0.0, -2.5, 1.0], [3.5, -2.5, -1.0]])
BUMP_WIDTH = 1.2


def make_gaussian_regression(n: int = 200, noise: float = 0.0,
                             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hills and valleys: y = sum_k s_k exp(-|x - c_k|^2 / (2 * 1.2^2)), clipped into [-1, 1].

    Six bumps with signs s_k = +-1 sit at the centres c_k of a 3 x 2 checkerboard (``BUMPS``);
    ``X`` is uniform in [-5, 5]^2.
    noise: uniform noise in [-noise, noise] is added to y, then y is clipped into [-1, 1].
    Returns ``X`` (N, 2) float64 and ``y`` (N, 1) float64.
    """
    rng = _check_args("make_gaussian_regression", n, noise, seed)
    X = rng.uniform(-5.0, 5.0, size=(n, 2))
    sq_dist = ((X[:, None, :] - BUMPS[None, :, :2]) ** 2).sum(axis=2)  # (N, 6)
    clean = (BUMPS[:, 2] * np.exp(-sq_dist / (2 * BUMP_WIDTH**2))).sum(axis=1)
    return X, _noisy_target(rng, clean, noise)


def make_sine_1d(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One period of a sine: x uniform in [-pi, pi] (sorted, ready for a line plot), y = sin(x) + noise.

    noise: Gaussian noise of standard deviation ``noise`` is added to y (so y may leave [-1, 1]).
    Returns ``X`` (N, 1) float64 and ``y`` (N, 1) float64.
    """
    rng = _check_args("make_sine_1d", n, noise, seed)
    x = np.sort(rng.uniform(-np.pi, np.pi, size=n))
    y = np.sin(x) + rng.normal(0.0, noise, size=n)
    return x[:, None], y[:, None]


_GENERATORS: dict[str, tuple[Callable[..., tuple[np.ndarray, np.ndarray]], str]] = {
    "circle": (make_circle, "classification"),
    "xor": (make_xor, "classification"),
    "gauss": (make_gauss, "classification"),
    "spiral": (make_spiral, "classification"),
    "moons": (make_moons, "classification"),
    "plane": (make_plane, "regression"),
    "gaussian_regression": (make_gaussian_regression, "regression"),
    "sine_1d": (make_sine_1d, "regression"),
}

#: name -> task ("classification" or "regression") of every built-in set, read-only.
DATASETS = MappingProxyType({name: task for name, (_, task) in _GENERATORS.items()})


def make_dataset(name: str, n: int = 200, noise: float = 0.0, seed: int = 0) -> Dataset:
    """The built-in set called ``name`` (a key of ``DATASETS``) as a :class:`Dataset`."""
    fn = "make_dataset"
    if isinstance(name, str) and name.lower() not in _GENERATORS:
        close = difflib.get_close_matches(name.lower(), list(_GENERATORS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{fn}: name must be one of {sorted(_GENERATORS)}, got {name!r}{hint}")
    key = check_choice(fn, "name", name, _GENERATORS)
    _check_args(fn, n, noise, seed)
    generator, task = _GENERATORS[key]
    X, y = generator(n=n, noise=noise, seed=seed)
    return Dataset(X, y, task, key)
