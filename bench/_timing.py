"""Paired, side-by-side timing of several contenders in one process.

Every round times each contender once, back to back, rotating who goes first, so that a slow spell of
the (shared) machine hits every contender of that round alike. A ratio is computed inside each round
and the report gives the median of those per-round ratios with their interquartile range: this is far
steadier than a ratio of two medians measured minutes apart.

One timing runs a contender ``inner`` times in a loop (``inner`` is calibrated so that the loop lasts
at least ``min_time`` seconds) with the garbage collector disabled, measured with
``time.perf_counter_ns``; the per-call time of that round is the loop's time divided by ``inner``.
"""
from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Settings", "Measurement", "calibrate", "measure", "quantiles"]


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``rounds`` rounds, each timing lasting at least ``min_time`` seconds."""
    rounds: int = 31
    min_time: float = 0.020
    warmup_time: float = 0.05
    smoke: bool = False            # a --quick run: skip what takes seconds per call

    @classmethod
    def full(cls) -> "Settings":
        return cls()

    @classmethod
    def quick(cls) -> "Settings":
        return cls(rounds=3, min_time=0.002, warmup_time=0.005, smoke=True)


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """``(q25, median, q75)`` of ``values`` (inclusive method: exact for tiny samples)."""
    vals = sorted(values)
    if len(vals) == 1:
        return vals[0], vals[0], vals[0]
    q1, q2, q3 = statistics.quantiles(vals, n=4, method="inclusive")
    return q1, q2, q3


@dataclass
class Measurement:
    """Per-round seconds per call of every contender, in the order they were given."""
    times: dict[str, list[float]] = field(default_factory=dict)
    inner: dict[str, int] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def per_second(self, name: str) -> float:
        """Calls per second, from the median time per call."""
        return 1.0 / self.median(name)

    def speed_ratio(self, a: str, b: str) -> tuple[float, float, float]:
        """``(q25, median, q75)`` over rounds of the speed of ``a`` divided by the speed of ``b``.

        Computed round by round as ``time[b] / time[a]``; above 1 means ``a`` is faster. For
        example ``speed_ratio("ours", "torch")`` is our steps/s over torch's steps/s.
        """
        per_round = [tb / ta for ta, tb in zip(self.times[a], self.times[b])]
        return quantiles(per_round)

    def summary(self) -> dict:
        out = {}
        for name, ts in self.times.items():
            q1, med, q3 = quantiles(ts)
            out[name] = {"median_s": med, "q25_s": q1, "q75_s": q3, "min_s": min(ts),
                         "per_second": 1.0 / med,
                         "inner": self.inner[name], "rounds": len(ts)}
        return out


def _loop_ns(fn: Callable[[], object], inner: int) -> int:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        return time.perf_counter_ns() - t0
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(fn: Callable[[], object], settings: Settings) -> int:
    """Warm ``fn`` up, then find how many calls make one timing last ``settings.min_time``."""
    deadline = time.perf_counter() + settings.warmup_time
    fn()
    while time.perf_counter() < deadline:
        fn()
    inner = 1
    while True:
        elapsed = _loop_ns(fn, inner) * 1e-9
        if elapsed >= settings.min_time:
            return inner
        # aim 20% past the target so that a slightly fast loop still qualifies
        grow = 1.2 * settings.min_time / max(elapsed, 1e-9)
        inner = max(inner + 1, int(inner * min(grow, 100.0)))


def measure(contenders: dict[str, Callable[[], object]], settings: Settings, *,
            before_round: Callable[[], None] | None = None) -> Measurement:
    """Time every contender in every round, rotating the order from round to round.

    Args:
        contenders: name -> function of no argument (one call = the thing timed).
        settings: number of rounds and minimum duration of one timing.
        before_round: called (untimed) at the start of each round, e.g. to reset weights so every
            round does the same work.
    """
    names = list(contenders)
    m = Measurement(times={n: [] for n in names})
    for name in names:
        if before_round is not None:
            before_round()
        m.inner[name] = calibrate(contenders[name], settings)
    k = len(names)
    for r in range(settings.rounds):
        if before_round is not None:
            before_round()
        # rotate the start and flip the direction every other round: with two contenders this
        # alternates who goes first; with more, each one takes every position in turn
        order = names[r % k:] + names[:r % k]
        if (r // k) % 2:
            order.reverse()
        for name in order:
            inner = m.inner[name]
            m.times[name].append(_loop_ns(contenders[name], inner) * 1e-9 / inner)
    return m
