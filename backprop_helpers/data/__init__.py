"""Data for the course: seeded toy sets (``datasets``) and the preparation of any data (``prep``).

``from backprop_helpers.data import make_dataset, train_test_split, standardize, from_arrays, load_csv``
"""
from .datasets import (DATASETS, make_circle, make_dataset, make_gauss, make_gaussian_regression,
                       make_moons, make_plane, make_sine_1d, make_spiral, make_xor)
from .prep import TASKS, Dataset, Standardized, from_arrays, load_csv, standardize, train_test_split

__all__ = [
    "DATASETS", "TASKS", "Dataset", "Standardized", "make_circle", "make_xor", "make_gauss", "make_spiral",
    "make_moons", "make_plane", "make_gaussian_regression", "make_sine_1d", "make_dataset",
    "train_test_split", "standardize", "from_arrays", "load_csv",
]
