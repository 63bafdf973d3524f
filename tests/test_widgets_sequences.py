"""The explorers of lessons 01-06 after any sequence of moves: the same picture as a fresh explorer.

Every control of every explorer is driven the way the browser drives it (a slider or a dropdown gets
the state message the front end sends, ``set_state({"value": ...})`` or ``{"index": ...}``; a button
is clicked), in random orders: long seeded sequences that use every control, and short sequences from
hypothesis, which shrinks a failing one to the fewest moves. After the sequence, the explorer must
show what a fresh explorer built by its factory with the final settings (``explorer.settings()``)
shows: the same image within a small pixel tolerance, the same text alternative, readout and
message. A control the learner cannot use at that moment (disabled, or hidden because another loss
is chosen) is not moved. The same sequences run in Chromium in tests/test_browser.py (shorter).
"""
from __future__ import annotations

import random
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ipywidgets = pytest.importorskip("ipywidgets")

from backprop_helpers.widgets import (descent_explorer, loss_explorer, neuron_explorer,  # noqa: E402
                                      step_size_explorer, step_through_explorer)

#: explorer -> (factory, the controls a learner can move, by attribute name)
EXPLORERS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "neuron": (neuron_explorer, ("w1", "w2", "b", "activation")),
    "loss": (loss_explorer, ("kind", "prediction", "target", "score", "probability", "label")),
    "step_size": (step_size_explorer, ("function", "dtype", "h")),
    "step_through": (step_through_explorer, ("x1", "x2", "y", "w1", "w2", "b", "forward_step",
                                             "backward_step", "run_all", "reset")),
    "descent": (descent_explorer, ("surface", "optimizer", "lr", "momentum", "x0", "y0", "steps")),
}
#: at most this fraction of the pixels may differ (by more than PIXEL_LEVELS in a channel)
PIXEL_TOLERANCE = 1e-3
PIXEL_LEVELS = 24
CONTROL_TYPES = (ipywidgets.widgets.widget_int._Int, ipywidgets.widgets.widget_float._Float,
                 ipywidgets.widgets.widget_selection._Selection, ipywidgets.Button)


def walk(widget: Any):
    """Every widget in a widget's tree, the widget first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def usable(control: Any) -> bool:
    """Whether a learner can use the control now: enabled and shown."""
    return not getattr(control, "disabled", False) and control.layout.display != "none"


def move(control: Any, u: float) -> str:
    """Move ``control`` the way the browser does, to the point ``u`` in [0, 1) of its range or
    options; return what was done, for failure messages."""
    if isinstance(control, ipywidgets.Button):
        control.click()
        return f"click {control.description!r}"
    if isinstance(control, ipywidgets.widgets.widget_selection._Selection):
        index = min(int(u * len(control.options)), len(control.options) - 1)
        control.set_state({"index": index})
        return f"{control.description or 'selection'} -> {control.options[index]!r}"
    if isinstance(control, ipywidgets.FloatLogSlider):
        stops = int(round((control.max - control.min) / control.step))
        exponent = control.min + min(int(u * (stops + 1)), stops) * control.step
        value = float(control.base ** exponent)
    else:
        stops = int(round((control.max - control.min) / control.step))
        value = control.min + min(int(u * (stops + 1)), stops) * control.step
        value = int(value) if isinstance(control, ipywidgets.widgets.widget_int._Int) else float(value)
    control.set_state({"value": value})
    return f"{control.description} -> {value!r}"


def drive(explorer: Any, names: tuple[str, ...], moves: list[tuple[int, float]]) -> list[str]:
    """Apply ``moves`` (control index, position in [0, 1)); skip a control the learner cannot use."""
    done = []
    for index, u in moves:
        control = getattr(explorer, names[index % len(names)])
        if usable(control):
            done.append(move(control, u))
    return done


def picture_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of pixels of two images that differ by more than PIXEL_LEVELS in a channel."""
    if a.shape != b.shape:
        return 1.0
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=-1) > PIXEL_LEVELS))


def assert_like_fresh(name: str, explorer: Any, done: list[str]) -> None:
    """The explorer shows what a fresh one with the same settings shows."""
    factory, _ = EXPLORERS[name]
    fresh = factory(**explorer.settings())
    fresh.view.set_pixel_ratio(explorer.view.pixel_ratio)
    where = f"{name} after {len(done)} moves ({'; '.join(done[-12:])}), settings {explorer.settings()}"
    difference = picture_difference(explorer.view.image_array(), fresh.view.image_array())
    assert difference <= PIXEL_TOLERANCE, f"{where}: {difference:.2%} of the pixels differ from a fresh explorer"
    assert explorer.alt_text == fresh.alt_text, where
    text = "readout" if hasattr(fresh, "readout") else "explanation"
    assert getattr(explorer, text).value == getattr(fresh, text).value, where
    if name != "step_through":            # its messages answer a button press, they are not its state
        assert explorer.message_text == fresh.message_text, where


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_the_sequences_drive_every_control(name):
    """The table above names every control in the explorer's box, and only controls."""
    factory, names = EXPLORERS[name]
    explorer = factory()
    in_the_box = {id(w) for w in walk(explorer.widget) if isinstance(w, CONTROL_TYPES)}
    assert in_the_box == {id(getattr(explorer, n)) for n in names}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_a_long_random_sequence_ends_at_the_fresh_picture(name, seed):
    """120 moves in a seeded random order, every control several times; checked every 40 moves."""
    factory, names = EXPLORERS[name]
    rng = random.Random(f"{name}-{seed}")
    explorer = factory()
    explorer.view.set_pixel_ratio(1 + seed)                 # both ratios the page may ask for
    order = [i for _ in range(12) for i in rng.sample(range(len(names)), len(names))]
    done: list[str] = []
    for start in range(0, 120, 40):
        done += drive(explorer, names, [(i, rng.random()) for i in order[start:start + 40]])
        assert_like_fresh(name, explorer, done)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_any_short_sequence_ends_at_the_fresh_picture(name):
    factory, names = EXPLORERS[name]

    @settings(max_examples=12)
    @given(st.lists(st.tuples(st.integers(0, len(names) - 1), st.floats(0, 1, exclude_max=True)),
                    min_size=1, max_size=12))
    def check(moves):
        explorer = factory()
        explorer.view.set_pixel_ratio(1)
        assert_like_fresh(name, explorer, drive(explorer, names, moves))

    check()


def test_lesson_06_switching_the_surface_back_and_forth_draws_only_the_new_surface():
    """The case found in the browser: a surface change right after other moves and changes."""
    explorer = descent_explorer()
    explorer.view.set_pixel_ratio(1)
    done = []
    for surface, optimizer in (("saddle", "adam"), ("rosenbrock", "momentum"), ("bowl", "sgd"),
                               ("two_minima", "adam"), ("ravine", "momentum")):
        done.append(move(explorer.lr, 0.7))
        explorer.surface.set_state({"index": list(explorer.surface.options).index(surface)})
        explorer.optimizer.set_state({"index": list(explorer.optimizer.options).index(optimizer)})
        done += [f"surface -> {surface}", f"optimizer -> {optimizer}"]
        assert_like_fresh("descent", explorer, done)
        assert explorer.ax.get_title().startswith(f"{surface}:")
        assert explorer.view.figure.axes == [explorer.ax, explorer.ax_loss]
