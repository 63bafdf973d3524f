"""Pictures ahead of the kernel: the pictures of the next key presses, drawn before they are asked for.

A key press on a slider has to travel from the page to the kernel and back with the new picture: in a
lesson's page on the course's 2-core machine that round trip alone costs 17-24 ms, with no drawing at
all, and drawing while the browser draws its own frame costs 15-25 ms more (``bench/README.md``).
So after every slider move, once the move's own picture has gone out, the kernel draws the pictures of
the two moves a key press can make next (the same slider one step up and one step down) and sends them
to the page, with the value of every control they assume. When the page sees one of those moves happen
(the slider's value changes in the page, before any message leaves), it shows that picture at once; the
kernel's own picture of the same settings arrives a little later and replaces it. A set of pictures is
used at most once, and dropped as soon as any control's value in the page differs from the ones it
assumes, so a picture is only ever shown for the settings it was drawn for.

The pictures are drawn by a *twin*: a second explorer built by the same factory with the same settings,
whose widgets talk to no front end (their comms are ``comm.DummyComm``), so the explorer on the page is
never touched: its figure, its controls, its text alternative and its update count stay as they were.
The twin follows the explorer control by control; whenever its settings do not come out equal to the
explorer's (a button moved the walk of lesson 04, say), it is built again.

The work is done after the move's message has been answered (``call_soon`` on the kernel's event loop),
one picture per turn of the loop, and abandoned when another move comes in first; without a front end
(nbval, tests, a script) or an event loop nothing is drawn ahead.
"""
from __future__ import annotations

import contextlib
import math
import threading
from typing import Any, Iterator

__all__ = ["Ahead", "offstage", "next_values", "value_controls"]


_OFFSTAGE = threading.local()            # depth of offstage() blocks in this thread
_KERNELS_CREATE_COMM: Any = None         # the comm factory the kernel installed (comm.create_comm)


def _create_comm(*args: Any, **kwargs: Any) -> Any:
    """``comm.create_comm`` while offstage() is in use: a DummyComm inside an offstage block of this
    thread, the kernel's comm everywhere else (another thread may be making real widgets meanwhile:
    JupyterLab runs widget messages in a kernel subshell, beside the cells)."""
    import comm

    if getattr(_OFFSTAGE, "depth", 0):
        return comm.DummyComm(*args, **kwargs)
    return _KERNELS_CREATE_COMM(*args, **kwargs)


@contextlib.contextmanager
def offstage() -> Iterator[None]:
    """Widgets created inside this block, in this thread, talk to no front end (their comms are
    ``comm.DummyComm``); widgets created in other threads meanwhile are not affected."""
    global _KERNELS_CREATE_COMM
    import comm

    if comm.create_comm is not _create_comm:
        _KERNELS_CREATE_COMM = comm.create_comm
        comm.create_comm = _create_comm
    _OFFSTAGE.depth = getattr(_OFFSTAGE, "depth", 0) + 1
    try:
        yield
    finally:
        _OFFSTAGE.depth -= 1


def value_controls(box: Any) -> list[Any]:
    """The controls with a value in ``box`` (sliders, dropdowns, toggle buttons, check boxes), in the
    order they are laid out; text and pictures (``HTML``, ``Label``, ``Image``) are not controls."""
    import ipywidgets

    outputs = (ipywidgets.HTML, ipywidgets.HTMLMath, ipywidgets.Label, ipywidgets.Image)
    found = []

    def walk(widget: Any) -> None:
        if isinstance(widget, ipywidgets.Box):
            for child in widget.children:
                walk(child)
        elif (isinstance(widget, ipywidgets.ValueWidget) and isinstance(widget, ipywidgets.DOMWidget)
              and not isinstance(widget, outputs)):
            found.append(widget)

    walk(box)
    return found


def next_values(slider: Any) -> list[float]:
    """The values one arrow key gives ``slider``, up then down, within its range.

    The page's slider moves one step and lands on its grid (its minimum plus whole steps; a log
    slider's grid is of exponents), so from a value off the grid (a factory's default, say) a press
    goes to the grid point nearest one step away.
    """
    import ipywidgets

    def snap(x: float) -> float:
        return slider.min + round((x - slider.min) / slider.step) * slider.step

    log = isinstance(slider, ipywidgets.FloatLogSlider)
    here = math.log(slider.value, slider.base) if log else slider.value
    found = []
    for there in (snap(here + slider.step), snap(here - slider.step)):
        if slider.min - 1e-9 <= there <= slider.max + 1e-9 and abs(there - here) > 1e-9 * slider.step:
            there = min(max(there, slider.min), slider.max)
            found.append(slider.base ** there if log else
                         int(round(there)) if isinstance(slider, ipywidgets.IntSlider) else round(there, 12))
    return found


class Ahead:
    """Draws, after each slider move of ``explorer``, the pictures of the next moves (see the module).

    ``explorer`` is an :class:`~backprop_helpers.widgets.render.ExplorerView` with a page helper and a
    ``factory`` (the function that built it, called again with ``explorer.settings()``).
    """

    def __init__(self, explorer: Any) -> None:
        self.explorer = explorer
        self.twin: Any = None
        self.generation = 0
        self.serial = 0

    # -- when --------------------------------------------------------------------------------------
    def wanted(self) -> bool:
        """True when a page shows the explorer (its helper has reported the display's pixel ratio)."""
        helper = self.explorer.helper
        return helper is not None and bool(helper.device_pixel_ratio)

    def schedule(self, slider: Any) -> None:
        """After this move is answered, draw the pictures of ``slider``'s next moves (one per turn of the
        kernel's event loop); a later move abandons the work."""
        import asyncio

        self.generation += 1
        if not self.wanted():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:                      # no event loop: a script, a test
            return
        loop.call_soon(self._step, loop, self.generation, self.base(), slider, next_values(slider), [])

    def _step(self, loop: Any, generation: int, base: dict, slider: Any, values: list[float],
              frames: list[dict]) -> None:
        if generation != self.generation or self.base() != base:     # something moved since: drop it
            return
        try:
            if values:
                frame = self.frame(slider, values[0])
                if frame is not None:
                    frames.append(frame)
                loop.call_soon(self._step, loop, generation, base, slider, values[1:], frames)
                return
            self.send(frames, base)
        except Exception:  # noqa: BLE001 - drawing ahead must never disturb the explorer
            self.close()

    def run(self, slider: Any) -> list[dict]:
        """Draw and send the pictures of ``slider``'s next moves now (what :meth:`schedule` does in
        turns); return the frames."""
        base = self.base()
        frames = [frame for value in next_values(slider)
                  if (frame := self.frame(slider, value)) is not None]
        self.send(frames, base)
        return frames

    # -- what ----------------------------------------------------------------------------------------
    def frame(self, slider: Any, value: float) -> dict | None:
        """The picture the explorer would show with ``slider`` at ``value``, drawn by the twin:
        ``{"slider": model id, "value", "tolerance", "png", "alt"}``; None when the twin cannot follow.

        The twin takes every other control's value from the explorer, then ``value``. Its picture is
        the explorer's next one when, before that last move, its settings differed from the explorer's
        only in entries the move then changed (the slider's own): an explorer's state is a function of
        its settings (tests/test_widgets_sequences.py), so the same move from the same state gives the
        same picture. Otherwise (a button moved the explorer's walk, say) the twin is built again from
        the explorer's settings and moved from there.
        """
        own = value_controls(self.explorer.widget)
        index = next(i for i, control in enumerate(own) if control is slider)
        for attempt in range(2):
            twin = self._twin()
            theirs = value_controls(twin.widget)
            if len(theirs) == len(own):
                for i, (mine, copy) in enumerate(zip(own, theirs)):
                    if i != index and copy.value != mine.value:
                        copy.value = mine.value
                explorers, before = self.explorer.settings(), twin.settings()
                theirs[index].value = value
                after = twin.settings()
                moved = {key for key in after if after[key] != before.get(key)}
                differed = {key for key in explorers if explorers[key] != before.get(key)}
                if (theirs[index].value == value and not twin.message_text and differed <= moved
                        and before.keys() == explorers.keys()):
                    return {"slider": slider.model_id, "value": value,
                            "tolerance": 1e-6 * abs(value - slider.value) + 1e-12 * abs(value),
                            "png": twin.view.image_bytes(), "alt": twin.alt_text}
            self.close()
        return None

    def drawn_value(self, slider: Any, value: float) -> float | None:
        """The value of the last set's picture for ``slider`` within its tolerance of ``value``, if any."""
        helper = self.explorer.helper
        for frame in ((helper.predictions or {}) if helper is not None else {}).get("frames", ()):
            if frame["slider"] == slider.model_id and abs(frame["value"] - value) <= frame["tolerance"]:
                return frame["value"]
        return None

    def base(self) -> dict[str, list]:
        """What every control of the explorer holds, as the page's models hold it (a choice by its
        index): ``{model id: [name, value]}``."""
        return {control.model_id: (["index", control.index] if hasattr(control, "options") else
                                   ["value", control.value])
                for control in value_controls(self.explorer.widget)}

    def send(self, frames: list[dict], base: dict) -> None:
        """Give the page ``frames``, drawn with the controls as ``base`` says."""
        self.serial += 1
        self.explorer.helper.predictions = {"serial": self.serial, "base": base, "frames": frames}

    def _twin(self) -> Any:
        """The twin (built from the explorer's settings when there is none), at the explorer's pixel ratio."""
        explorer = self.explorer
        if self.twin is None:
            with offstage():
                twin = explorer.factory(**explorer.settings())
            if twin.helper is not None:
                twin.helper.close()
                twin.helper = None
            twin.ahead = None                          # a twin draws nothing ahead itself
            self.twin = twin
        if self.twin.view.pixel_ratio != explorer.view.pixel_ratio:
            self.twin.view.set_pixel_ratio(explorer.view.pixel_ratio)
        return self.twin

    def close(self) -> None:
        """Let the twin go (its widgets closed)."""
        import ipywidgets

        def close(widget: Any) -> None:
            if isinstance(widget, ipywidgets.Box):
                for child in widget.children:
                    close(child)
            widget.close()

        if self.twin is not None:
            close(self.twin.widget)
            self.twin = None
