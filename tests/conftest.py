"""Settings shared by every test: hypothesis profiles, a seeded generator, a headless matplotlib.

Hypothesis profiles (choose one with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (the default): derandomized, so every run tries the same examples and a failure always
  reproduces; no deadline and no "too slow" health check, because timings on a shared machine say
  nothing about correctness; no example database, so a run leaves nothing behind.
- ``dev``: random examples, ten times as many, and the database, for hunting new failures locally.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("BACKPROP_BLAS_THREADS", "1")  # before anything imports backprop_helpers
os.environ["BACKPROP_PROGRESS"] = "off"  # checks run by tests never write a learner's progress file

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no window may open during a test

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A random generator seeded with 0: the same numbers in every test and every run."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened, so figures do not pile up across tests."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
