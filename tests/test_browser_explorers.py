"""The explorers of lessons 01-06 in a real browser: right after any moves, sharp, named, by keyboard.

One JupyterLab server for the module (127.0.0.1, a free port, a random token, an isolated HOME), a
notebook with every explorer (neuron, loss, step size, step-through, descent) and a last cell that
prints their settings (``explorer.settings()``, the arguments of each factory). Debian's chromium,
driven by Playwright, opens it twice:

- at device pixel ratio 2: random moves of every explorer's controls (sliders by keyboard, dropdowns
  and buttons by mouse, some in quick succession, and in lesson 06 a surface change right after a
  slider move); then the picture the page shows (the PNG its ``<img>`` holds) must equal a fresh
  explorer built in this process with the final settings, drawn at ratio 2: the same picture, and
  two image pixels per CSS pixel, so sharp. The kernel-side test with long sequences is
  tests/test_widgets_sequences.py;
- at device pixel ratio 1: every slider, dropdown and button has a name in the accessibility tree,
  each slider is found by ``get_by_role("slider", name=<its label>)``, the figure is an image whose
  text alternative is the kernel's description of it; with key presses only, Tab reaches a slider,
  an arrow key moves it, the picture and its text alternative change, and Tab then reaches a
  dropdown or button whose key press changes the picture again.

Screenshots of every explorer at both ratios are kept in test-artifacts/browser-explorers/.
Skipped, with the reason, when chromium, playwright or anywidget is missing; under CI
(``CI=true``) that is an error instead.
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from browser_support import (
    FOCUSED_JS, SHOWN_IMAGE_JS, find_chromium, launched_chromium, Server, skip_or_fail, start_lab,
    write_notebook,
)


CHROMIUM = find_chromium()
if CHROMIUM is None:
    skip_or_fail("the browser test needs Debian's chromium (/usr/bin/chromium or chromium on PATH)")
try:
    from playwright import sync_api  # noqa: F401  (installed? the fixtures launch it)
except ImportError as error:
    skip_or_fail(f"the browser test needs playwright for Python (in requirements.txt): {error}")
try:
    import anywidget  # noqa: F401  (the explorers' page helper: slider names, keyboard, pixel ratio)
except ImportError as error:
    skip_or_fail(f"the explorers' accessibility in the browser needs anywidget: {error}")

from test_browser import (Console, assert_no_widget_console_errors, assert_widgets_render,  # noqa: E402
                          open_in_lab, run_all_cells, save_page, shut_down_kernels, stable_shot)
from test_widgets_sequences import PIXEL_TOLERANCE, picture_difference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser-explorers"
#: (name, factory) of each explorer, in the order of their cells in the notebook
EXPLORER_CELLS = (("neuron", "neuron_explorer"), ("loss", "loss_explorer"),
                  ("step_size", "step_size_explorer"), ("step_through", "step_through_explorer"),
                  ("descent", "descent_explorer"))
NOTEBOOK = "explorers.ipynb"
SEQUENCE_MOVES = 14                 # browser moves per explorer (the kernel test runs longer ones)
SETTLE_S = 1.5                      # the picture and the kernel quiet this long: the moves are done
CHANGE_TIMEOUT_S = 15.0


# ---------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Server:
    """JupyterLab serving a notebook with every explorer of lessons 01-06 and a settings cell."""
    base = tmp_path_factory.mktemp("browser-explorers")
    (base / "home").mkdir()
    (base / "notebooks").mkdir()
    names = ", ".join(factory for _, factory in EXPLORER_CELLS)
    cells = [f"import json\nfrom backprop_helpers.widgets import {names}"]
    cells += [f"explorer_{name} = {factory}()\nexplorer_{name}" for name, factory in EXPLORER_CELLS]
    cells.append("print(json.dumps({name: explorer.settings() for name, explorer in ["
                 + ", ".join(f"({name!r}, explorer_{name})" for name, _ in EXPLORER_CELLS) + "]}))")
    write_notebook(base / "notebooks" / NOTEBOOK, cells)
    server = start_lab(base)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


@contextlib.contextmanager
def explorer_page(browser, lab, artifacts: Path, ratio: int, name: str | None = None,
                  init_script: str | None = None):
    """A page at device pixel ratio ``ratio`` (with ``init_script`` run before its scripts); afterwards
    its state is saved as an artifact, the kernels are shut down and the page closed."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, device_scale_factor=ratio)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.console = Console(page)
    page.artifact = artifacts / (name or f"explorers-ratio{ratio}")
    try:
        yield page
    finally:
        save_page(page)
        shut_down_kernels(lab)
        context.close()


# ------------------------------------------------------------------------------------ page helpers

def open_explorers(page, lab) -> list:
    """Open the notebook, run it, and return the explorers' outputs in order."""
    open_in_lab(page, lab, NOTEBOOK)
    run_all_cells(page)
    outputs = assert_widgets_render(page, NOTEBOOK)
    assert len(outputs) == len(EXPLORER_CELLS), f"{NOTEBOOK}: {len(outputs)} explorers rendered"
    for output in outputs:
        stable_shot(output)
    return outputs


def shown_png(output) -> bytes:
    """The bytes of the PNG the explorer's figure shows now."""
    return base64.b64decode(output.locator("img.bp-figure").evaluate(SHOWN_IMAGE_JS))


def decode(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def settle(page, output) -> bytes:
    """Wait until the explorer's picture stopped changing and the kernel is idle; the picture's PNG."""
    deadline = time.monotonic() + 60
    last, since = shown_png(output), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = shown_png(output)
        idle = re.search(r"\|\s*Idle", page.locator("#jp-main-statusbar").inner_text())
        if now != last or not idle:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            return now
    pytest.fail("the explorer's picture kept changing for 60 s")


def explorer_settings(page) -> dict:
    """Run the notebook's last cell again (in place) and read the settings it prints."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    cell = cells.nth(cells.count() - 1)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    text = cell.locator(".jp-OutputArea-output")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if "*" not in cell.locator(".jp-InputPrompt").inner_text() and text.count():
            try:
                return json.loads(text.first.inner_text())
            except ValueError:
                pass
        time.sleep(0.3)
    pytest.fail("the settings cell printed nothing within 30 s")


def random_move(output, rng: random.Random) -> str:
    """One move of a random usable control, by keyboard (sliders) or mouse (dropdowns, buttons).

    The slider handles are taken as element handles, fixed to their nodes: a locator would be
    resolved again at each use, and the previous move may still be changing which sliders show."""
    handles = [h for h in output.locator(".noUi-handle").element_handles()
               if h.is_visible() and h.get_attribute("aria-disabled") != "true"]
    selects = output.locator("select").filter(visible=True).all()
    buttons = [b for b in output.locator("button").filter(visible=True).all() if b.is_enabled()]
    kind = rng.choice(["slider"] * 3 * bool(handles) + ["select"] * bool(selects) + ["button"] * bool(buttons))
    if kind == "slider":
        handle = rng.choice(handles)
        label = handle.get_attribute("aria-label")
        keys = [rng.choice(["ArrowRight", "ArrowLeft", "PageUp", "PageDown", "Home", "End"])
                for _ in range(rng.randint(1, 3))]
        handle.focus()
        for key in keys:
            handle.press(key)
        return f"{label}: {'+'.join(keys)}"
    if kind == "select":
        select = rng.choice(selects)
        choice = rng.choice(select.locator("option").all_inner_texts())
        select.select_option(label=choice)
        return f"{select.evaluate('s => s.labels[0] ? s.labels[0].textContent : s.id')}: {choice}"
    button = rng.choice(buttons)
    label = button.inner_text().strip()
    button.click()
    return f"button {label!r}"


def focus_before(output) -> None:
    """Put the keyboard focus just before the explorer's first control (on the output area)."""
    output.evaluate("o => { o.tabIndex = -1; o.focus(); }")


def press_tab_until(page, output, want, what: str, limit: int = 60) -> dict | None:
    """Press Tab until the focused element inside ``output`` satisfies ``want``; return what it is,
    or None once the focus has left the explorer without finding one."""
    been_inside = False
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = output.evaluate(FOCUSED_JS)
        if focused and focused["inside"]:
            been_inside = True
            if want(focused):
                return focused
        elif been_inside:
            return None
    pytest.fail(f"{what}: not reached with {limit} presses of Tab")


def wait_for_new_picture(output, before: bytes, what: str) -> bytes:
    deadline = time.monotonic() + CHANGE_TIMEOUT_S
    while time.monotonic() < deadline:
        now = shown_png(output)
        if now != before:
            return now
        time.sleep(0.2)
    pytest.fail(f"{what}: the picture did not change within {CHANGE_TIMEOUT_S:.0f} s")


# ------------------------------------------------------------------------------------------- tests

def test_explorers_after_random_moves_show_the_fresh_picture_sharp_at_ratio_2(browser, lab, artifacts):
    from backprop_helpers import widgets
    from backprop_helpers.widgets.surfaces import SURFACES

    failures, done = [], {}
    with explorer_page(browser, lab, artifacts, 2) as page:
        outputs = open_explorers(page, lab)
        for (name, _), output in zip(EXPLORER_CELLS, outputs):
            rng = random.Random(f"browser-{name}")
            output.scroll_into_view_if_needed()
            done[name] = []
            for _ in range(SEQUENCE_MOVES):
                done[name].append(random_move(output, rng))
                if rng.random() < 0.5:                  # else the next move comes at once
                    time.sleep(rng.uniform(0.05, 0.5))
            if name == "descent":                       # a surface change right after a slider move
                surface = output.locator(".widget-dropdown").filter(has_text="surface").locator("select")
                last = "rosenbrock" if surface.input_value() != "rosenbrock" else "saddle"
                output.get_by_role("slider", name="start y").press("PageUp")
                surface.select_option(last)
                done[name] += ["start y: PageUp", f"surface: {last}"]
            settle(page, output)
            output.screenshot(path=str(artifacts / f"explorer-{name}-ratio2.png"))
        settings = explorer_settings(page)
        for (name, factory), output in zip(EXPLORER_CELLS, outputs):
            shown = decode(shown_png(output))
            width = output.locator("img.bp-figure").evaluate("img => img.getBoundingClientRect().width")
            where = f"{name} after {'; '.join(done[name])}, settings {settings[name]}"
            if shown.shape[1] != 2 * round(width):
                failures.append(f"{where}: the image is {shown.shape[1]} px wide for {width} CSS px, "
                                f"not drawn at the page's ratio 2")
                continue
            fresh = getattr(widgets, factory)(**settings[name])
            fresh.view.set_pixel_ratio(2)
            difference = picture_difference(shown, fresh.view.image_array())
            if difference > PIXEL_TOLERANCE:
                from PIL import Image

                Image.fromarray(shown).save(artifacts / f"explorer-{name}-shown.png")
                Image.fromarray(fresh.view.image_array()).save(artifacts / f"explorer-{name}-fresh.png")
                failures.append(f"{where}: {difference:.2%} of the pixels differ from a fresh explorer "
                                f"(test-artifacts/browser-explorers/explorer-{name}-shown.png, -fresh.png)")
        # the surface change landed on the surface's own start, steps and learning rate (the browser
        # snaps each value to its slider's step: "on" means within a fraction of a step)
        descent = settings["descent"]
        suggested = SURFACES[descent["surface"]]
        if not (np.allclose(descent["start"], suggested.start, atol=1e-6) and descent["steps"] == suggested.steps
                and abs(np.log10(descent["lr"] / suggested.lr)) <= 0.025):
            failures.append(f"descent: after the switch to {suggested.name} the settings are {descent}, not "
                            f"the surface's start {suggested.start}, {suggested.steps} steps, η = {suggested.lr}")
        assert_no_widget_console_errors(page, NOTEBOOK)
        assert not failures, "\n".join(failures)


def test_explorers_are_named_and_work_by_keyboard_alone_at_ratio_1(browser, lab, artifacts):
    with explorer_page(browser, lab, artifacts, 1) as page:
        outputs = open_explorers(page, lab)
        for (name, factory), output in zip(EXPLORER_CELLS, outputs):
            output.scroll_into_view_if_needed()
            output.screenshot(path=str(artifacts / f"explorer-{name}-ratio1.png"))
            # names: every control in the accessibility tree has one
            tree = output.aria_snapshot()
            for role in ("slider", "combobox", "button"):
                unnamed = [line for line in tree.splitlines() if re.match(rf"\s*- {role}(\s*\[|:|$)", line)]
                assert not unnamed, f"{name}: a {role} without a name: {unnamed}\n{tree}"
            labels = [text.strip() for text in output.locator(".widget-slider").filter(visible=True)
                      .locator(":scope > .widget-label").all_inner_texts()]
            assert labels, f"{name}: no slider"
            for label in labels:
                assert output.get_by_role("slider", name=label, exact=True).count() == 1, \
                    f"{name}: no slider named {label!r}\n{tree}"
            # the figure: an image whose alt is the kernel's description (also kept, hidden, below it)
            image = output.get_by_role("img")
            hidden_copy = output.locator(".bp-alt").inner_text().removeprefix("Figure: ").strip()
            assert image.count() == 1 and image.get_attribute("alt") == hidden_copy != "", \
                f"{name}: the figure's text alternative is {image.get_attribute('alt')!r}"
            assert output.locator(".bp-alt").get_attribute("aria-hidden") == "true"    # not read twice
            shown = decode(shown_png(output))
            assert shown.shape[1] == round(image.evaluate("i => i.getBoundingClientRect().width")), \
                f"{name}: at ratio 1 the image should have one pixel per CSS pixel, it has {shown.shape[1]}"
            # keyboard alone, from just before the explorer
            focus_before(output)
            slider = press_tab_until(page, output, lambda f: f["role"] == "slider" and not f["disabled"],
                                     f"{name}: a slider")
            assert slider, f"{name}: Tab never reached a slider"
            alt, before = image.get_attribute("alt"), shown_png(output)
            page.keyboard.press("ArrowLeft" if slider["at_max"] else "ArrowRight")
            wait_for_new_picture(output, before, f"{name}: {slider['name']} moved by an arrow key")
            settle(page, output)
            assert image.get_attribute("alt") != alt, f"{name}: the text alternative did not follow the move"
            before = shown_png(output)

            def other(focused):
                return focused["tag"] in ("select", "button") and not focused["disabled"]

            target = press_tab_until(page, output, other, f"{name}: a dropdown or a button")
            if target is None:                           # none after the slider: from the start again
                focus_before(output)
                target = press_tab_until(page, output, other, f"{name}: a dropdown or a button")
            assert target, f"{name}: Tab never reached a dropdown or a button"
            if target["tag"] == "select":               # JupyterLab's arrow-key shortcuts must not take it
                page.keyboard.press("ArrowUp" if target["index"] == target["options"] - 1 else "ArrowDown")
            else:
                page.keyboard.press("Space")
            wait_for_new_picture(output, before, f"{name}: {target['name']!r} changed by a key")
            settle(page, output)
        assert_no_widget_console_errors(page, NOTEBOOK)


#: in the page before its scripts: the time of each kernel message, and of each key press
RECORD_MESSAGES_JS = """(() => {
  window.__seen = {keys: [], messages: [], pictures: []};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => window.__seen.messages.push(performance.now()));
    }
  };
  document.addEventListener("keydown", () => window.__seen.keys.push(performance.now()), true);
})();"""

#: every picture the figure loads, as its pixels (a data URL of a canvas holding it), with its time
RECORD_PICTURES_JS = """(output) => {
  output.addEventListener("load", (event) => {
    const img = event.target;
    if (img.tagName !== "IMG" || !img.classList.contains("bp-figure")) return;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    window.__seen.pictures.push([performance.now(), canvas.toDataURL()]);
  }, true);
}"""


def test_a_key_press_shows_the_picture_drawn_ahead_before_the_kernel_answers(browser, lab, artifacts):
    """After a slider move the kernel draws the pictures of the next key presses ahead (ahead.py): the
    next press shows one of them before any message of the kernel arrives, and it is the very picture
    the kernel then sends for those settings."""
    failures = []
    with explorer_page(browser, lab, artifacts, 1, "explorers-ahead", RECORD_MESSAGES_JS) as page:
        outputs = open_explorers(page, lab)
        for (name, _), output in zip(EXPLORER_CELLS, outputs):
            output.scroll_into_view_if_needed()
            output.evaluate(RECORD_PICTURES_JS)
            handle = next(h for h in output.locator(".noUi-handle").element_handles()
                          if h.is_visible() and h.get_attribute("aria-disabled") != "true")
            label = handle.get_attribute("aria-label")
            handle.focus()
            for number, key in enumerate(["ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"]):
                page.evaluate("window.__seen.keys = []; window.__seen.messages = []; window.__seen.pictures = []")
                handle.press(key)
                settle(page, output)
                seen = page.evaluate("window.__seen")
                if number == 0:                 # the first move: nothing was drawn ahead yet
                    continue
                pressed = seen["keys"][0]
                answered = min((t for t in seen["messages"] if t >= pressed), default=float("inf"))
                pictures = [p for p in seen["pictures"] if p[0] >= pressed]
                where = f"{name}, slider {label}, press {number + 1} ({key})"
                if not pictures or pictures[0][0] >= answered:
                    failures.append(f"{where}: no picture before the kernel's first message "
                                    f"({len(pictures)} pictures after the key)")
                elif decode(base64.b64decode(pictures[0][1].split(",", 1)[1])).tobytes() != \
                        decode(base64.b64decode(pictures[-1][1].split(",", 1)[1])).tobytes():
                    failures.append(f"{where}: the picture shown at once differs from the kernel's")
        assert_no_widget_console_errors(page, NOTEBOOK)
        assert not failures, "\n".join(failures)
