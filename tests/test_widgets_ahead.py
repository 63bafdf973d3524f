"""Pictures drawn ahead of the kernel (backprop_helpers/widgets/ahead.py), in the kernel.

After any sequence of moves, the pictures drawn ahead for a slider's next key presses are the pictures
the explorer then shows for those settings (pixel for pixel, with the same text alternative); drawing
them leaves the explorer untouched; each set says what every control held when it was drawn, as the
page's models hold it; nothing is drawn without a page, or without an event loop. The page's side (a
press shows the picture at once, before the kernel answers) is tested in Chromium in
tests/test_browser_explorers.py.
"""
from __future__ import annotations

import asyncio
import math
import random

import pytest

ipywidgets = pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from backprop_helpers.widgets.ahead import next_values, offstage, value_controls  # noqa: E402
from test_widgets_sequences import EXPLORERS, drive, usable  # noqa: E402

SLIDERS = (ipywidgets.FloatSlider, ipywidgets.IntSlider, ipywidgets.FloatLogSlider)


def on_a_page(explorer, ratio: float = 1.0):
    """What the page does when it shows the explorer: report the display's pixel ratio."""
    explorer.helper.device_pixel_ratio = ratio
    return explorer


def sliders(explorer) -> list:
    return [c for c in value_controls(explorer.widget) if isinstance(c, SLIDERS) and usable(c)]


def what_it_shows(explorer) -> tuple[bytes, str]:
    return explorer.view.image_bytes(), explorer.alt_text


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_pictures_drawn_ahead_are_what_the_explorer_then_shows(name, seed):
    factory, names = EXPLORERS[name]
    rng = random.Random(f"ahead-{name}-{seed}")
    explorer = on_a_page(factory(), ratio=1.0 + seed)
    drive(explorer, names, [(rng.randrange(len(names)), rng.random()) for _ in range(8)])
    for slider in sliders(explorer):
        shown, updates = what_it_shows(explorer), explorer.update_count
        frames = explorer.ahead.run(slider)
        assert what_it_shows(explorer) == shown and explorer.update_count == updates, \
            f"{name}: drawing ahead changed the explorer"
        assert frames == explorer.helper.predictions["frames"]
        assert [f["value"] for f in frames] == pytest.approx(next_values(slider)), slider.description
        for frame in frames:
            assert frame["slider"] == slider.model_id
            old = slider.value
            slider.set_state({"value": frame["value"]})          # the press, as the page sends it
            assert abs(slider.value - frame["value"]) <= frame["tolerance"]
            assert what_it_shows(explorer) == (frame["png"], frame["alt"]), \
                f"{name}: {slider.description} {old} -> {frame['value']} after {explorer.settings()}"
            slider.set_state({"value": old})


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_a_set_says_what_every_control_held_as_the_page_holds_it(name):
    factory, _ = EXPLORERS[name]
    explorer = on_a_page(factory())
    explorer.ahead.run(sliders(explorer)[0])
    base = explorer.helper.predictions["base"]
    controls = value_controls(explorer.widget)
    assert list(base) == [c.model_id for c in controls] == explorer.helper.controls
    for control in controls:
        name_, value = base[control.model_id]
        assert (name_, value) == (("index", control.index) if hasattr(control, "options") else ("value", control.value))
        assert control.get_state()[name_] == value              # what the page's model holds


def test_the_twin_follows_a_walk_moved_by_buttons_and_a_new_surface():
    factory, _ = EXPLORERS["step_through"]
    walk = on_a_page(factory())
    walk.x1.set_state({"value": 1.5})
    walk.forward_step.click()
    walk.forward_step.click()
    frames = walk.ahead.run(walk.x2)
    walk.x2.set_state({"value": frames[0]["value"]})
    assert (walk.view.image_bytes(), walk.alt_text) == (frames[0]["png"], frames[0]["alt"])

    factory, _ = EXPLORERS["descent"]
    descent = on_a_page(factory())
    descent.ahead.run(descent.x0)
    descent.surface.set_state({"index": 1})                      # new ranges, start, rate and steps
    frames = descent.ahead.run(descent.x0)
    descent.x0.set_state({"value": frames[-1]["value"]})
    assert (descent.view.image_bytes(), descent.alt_text) == (frames[-1]["png"], frames[-1]["alt"])


def test_next_values_stay_in_the_range_and_step_the_exponent_of_a_log_slider():
    assert next_values(ipywidgets.FloatSlider(value=0.0, min=-1, max=1, step=0.5)) == [0.5, -0.5]
    assert next_values(ipywidgets.FloatSlider(value=1.0, min=-1, max=1, step=0.5)) == [0.5]
    assert next_values(ipywidgets.IntSlider(value=1, min=1, max=300)) == [2]
    log = next_values(ipywidgets.FloatLogSlider(value=1e-5, base=10, min=-16, max=-1, step=0.25))
    assert [math.log10(v) for v in log] == pytest.approx([-4.75, -5.25])


def test_nothing_is_drawn_ahead_without_a_page_or_an_event_loop():
    factory, _ = EXPLORERS["neuron"]
    explorer = factory()                                          # no page has reported a pixel ratio
    explorer.w1.set_state({"value": 0.5})
    assert explorer.ahead.twin is None and explorer.helper.predictions == {}
    on_a_page(explorer).w1.set_state({"value": 0.6})              # a page, but no event loop here
    assert explorer.ahead.twin is None and explorer.helper.predictions == {}


def test_in_a_kernel_the_pictures_come_after_the_move_one_per_turn_and_a_later_move_drops_them():
    factory, _ = EXPLORERS["neuron"]
    explorer = on_a_page(factory())

    async def moves():
        explorer.w1.set_state({"value": 0.5})
        assert explorer.helper.predictions == {}                  # not during the move itself
        await asyncio.sleep(0)
        explorer.w1.set_state({"value": 0.6})                     # a new move before they are done
        for _ in range(10):
            await asyncio.sleep(0)

    asyncio.run(moves())
    frames = explorer.helper.predictions["frames"]
    assert explorer.helper.predictions["serial"] == 1                # the first set was dropped
    assert [f["value"] for f in frames] == pytest.approx([0.65, 0.55])


def test_widgets_made_offstage_talk_to_no_front_end(monkeypatch):
    import comm

    opened = []

    def kernels_comm(**kwargs):                                   # what a kernel's comm would be
        opened.append(kwargs.get("target_name"))
        return comm.DummyComm(**kwargs)

    monkeypatch.setattr(comm, "create_comm", kernels_comm)
    monkeypatch.setattr("backprop_helpers.widgets.ahead._KERNELS_CREATE_COMM", None)
    with offstage():
        offstage_slider = ipywidgets.FloatSlider()
    assert opened == [] and type(offstage_slider.comm) is comm.DummyComm
    ipywidgets.FloatSlider()                                      # after the block: the kernel's again
    assert opened and set(opened) == {"jupyter.widget"}              # the slider, its layout, its style


def test_from_a_value_off_the_grid_a_press_lands_on_the_grid_as_the_page_does():
    assert next_values(ipywidgets.FloatSlider(value=1.03, min=-3, max=3, step=0.05)) == [1.1, 1.0]
    log = next_values(ipywidgets.FloatLogSlider(value=0.2, base=10, min=-4, max=1, step=0.05))
    assert [math.log10(v) for v in log] == pytest.approx([-0.65, -0.75])


@pytest.mark.parametrize("name", ["descent", "step_size", "neuron"])
def test_a_value_a_hair_from_a_drawn_picture_takes_the_pictures_value_with_one_update(name):
    """The page's arithmetic (noUiSlider's steps, the log slider's power) may land a few units in the
    last place from the value a picture was drawn for: the kernel takes the picture's value, so that
    what it then shows is exactly the picture the page has shown already, and it updates once."""
    factory, _ = EXPLORERS[name]
    explorer = on_a_page(factory())
    slider = sliders(explorer)[0]
    frame = explorer.ahead.run(slider)[0]
    updates = explorer.update_count
    slider.set_state({"value": frame["value"] * (1 + 3e-16) + 1e-17})    # what the page sends
    assert slider.value == frame["value"] and explorer.update_count == updates + 1
    assert (explorer.view.image_bytes(), explorer.alt_text) == (frame["png"], frame["alt"])
    far = frame["value"] + 10 * frame["tolerance"] + 1e-9                # a value of its own: kept
    slider.set_state({"value": far})
    assert slider.value == far


def test_a_tolerance_is_a_millionth_of_the_move_even_for_a_step_of_1e_16():
    explorer = on_a_page(EXPLORERS["step_size"][0](h=1e-16))
    frames = explorer.ahead.run(explorer.h)
    assert all(f["tolerance"] <= 1e-6 * abs(f["value"] - 1e-16) * 1.01 for f in frames)
    own = frames[0]["value"] * 0.9                                # a value of its own, not a hair away
    explorer.h.set_state({"value": own})
    assert explorer.h.value == own


def test_widgets_made_in_another_thread_meanwhile_keep_the_kernels_comm(monkeypatch):
    """JupyterLab runs widget messages in a kernel subshell (a thread) beside the cells: a twin built
    there must not take the comm of a widget a cell makes at the same moment."""
    import threading

    import comm

    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: ("kernel's", kwargs.get("target_name")))
    monkeypatch.setattr("backprop_helpers.widgets.ahead._KERNELS_CREATE_COMM", None)   # restored after
    inside, go_on, made = threading.Event(), threading.Event(), []

    def cell():
        inside.wait(10)
        made.append(comm.create_comm(target_name="jupyter.widget"))       # while the block is open
        go_on.set()

    thread = threading.Thread(target=cell)
    thread.start()
    with offstage():
        inside.set()
        go_on.wait(10)
        assert type(comm.create_comm(target_name="jupyter.widget")) is comm.DummyComm
    thread.join(10)
    assert made == [("kernel's", "jupyter.widget")]
