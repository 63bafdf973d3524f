"""The playground's front end in a real browser: JupyterLab, and the standalone page Voila serves.

Debian's chromium, headless, driven by Playwright for Python, against servers on 127.0.0.1 with a
token and an isolated HOME (see browser_support.py). In each of JupyterLab and Voila, one test:

- the widget renders (no text fallback), every control has an accessible name;
- play (pressed by keyboard) shows epochs one per animation frame, none skipped; the epochs per
  second are measured and written to test-artifacts/playground/measurements.json, and asserted only
  loosely (the benchmark, bench/bench_playground.py, is where timings are judged); pause, step;
- every setting is moved, by keyboard (selects, sliders, checkboxes, the seed), and the kernel's
  state string shows each new value; an input is toggled by mouse and one by keyboard; layers and
  neurons are added and removed with + and -, and focus stays on the button pressed;
- a link is hovered (its weight shown) and edited by mouse, another by keyboard; a neuron is hovered
  and another focused (its map shown large); a point is drawn by mouse and one by keyboard, then
  cleared;
- the text alternative follows the state (the epoch in the live summary);
- the state string is copied (the copy button, read back from the clipboard) and restored into a
  fresh widget: the same picture, canvas for canvas, at epoch 0 and after three steps;
- no request leaves 127.0.0.1, and the console shows no error;
- screenshots at device pixel ratio 1 and 2 in test-artifacts/playground/;
- Voila only: the page makes no request outside the machine with the network cut off in the browser,
  and the kernel of a closed page is gone: at once when the page closes normally, and within a
  minute (the server culls it) when the browser simply goes away.

Skipped, with the reason, without chromium or playwright; under CI (``CI=true``) that is an error.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from browser_support import (
    ERROR_TEXTS, EXPECTED_CONSOLE, FALLBACK_TEXT, PLAYGROUND_STATS_JS, UNNAMED_CONTROLS_JS,
    find_chromium, kernel_exists, launched_chromium, outside_requests, skip_or_fail, start_lab,
    start_playground_page, svg_path_midpoint,
)


CHROMIUM = find_chromium()
if CHROMIUM is None:
    skip_or_fail("the browser test needs Debian's chromium (/usr/bin/chromium or chromium on PATH)")
try:
    from playwright import sync_api  # noqa: F401  (installed? the fixtures launch it)
    from playwright.sync_api import expect
except ImportError as error:
    skip_or_fail(f"the browser test needs playwright for Python (in requirements.txt): {error}")
pytest.importorskip("anywidget")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "playground"
PLAY_EPOCHS = 90            # epochs to watch while playing
TIMEOUT_MS = 30_000         # the longest any one thing may take to show up
CULL_WAIT_S = 75            # the server culls a kernel without connection after 30-40 s
LAB_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": cid, "metadata": {}, "outputs": [],
               "source": source} for cid, source in [
        ("first", "from backprop_helpers.widgets import playground\n\nplayground()"),
        ("fresh", "playground()   # a fresh one, to restore the first one's state into"),
    ]],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


# ---------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def artifacts() -> Path:
    """test-artifacts/playground/, emptied once per run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def measurements(artifacts):
    """What the tests measured, written to measurements.json at the end."""
    found: dict = {}
    yield found
    (artifacts / "measurements.json").write_text(json.dumps(found, indent=1) + "\n")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("playground-browser")
    (base / "home").mkdir()
    (base / "notebooks").mkdir()
    (base / "notebooks" / "playground.ipynb").write_text(json.dumps(LAB_NOTEBOOK, indent=1))
    return base


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


class Recorder:
    """Every request and websocket of a browser context, and the console errors of its pages."""

    def __init__(self, context):
        self.urls: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("page", self.watch)

    def watch(self, page):
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("console", lambda m: self.errors.append(m.text)
                if m.type == "error" and not EXPECTED_CONSOLE.search(m.text) else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


def new_context(browser, scale: float = 1.0):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, device_scale_factor=scale,
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    return context, Recorder(context)


# ------------------------------------------------------------------------------------- helpers

def stats(root) -> dict:
    return root.evaluate(PLAYGROUND_STATS_JS)


def wait_drawn(root, at_least: int = 1) -> None:
    root.page.wait_for_function("([el, n]) => Number(el.dataset.drawn || 0) >= n",
                                arg=[root.element_handle(), at_least], timeout=120_000)


def epoch(root) -> int:
    return int(root.get_attribute("data-epoch") or 0)


def wait_epoch(root, at_least: int, timeout_ms: int = TIMEOUT_MS) -> None:
    root.page.wait_for_function("([el, n]) => Number(el.dataset.epoch || 0) >= n",
                                arg=[root.element_handle(), at_least], timeout=timeout_ms)


def settled(root) -> int:
    """Wait until the epoch on screen stops changing; return it."""
    last, same_since = epoch(root), time.monotonic()
    while time.monotonic() - same_since < 0.6:
        time.sleep(0.1)
        now = epoch(root)
        if now != last:
            last, same_since = now, time.monotonic()
    return last


def state_field(root):
    return root.locator(".bpg-state")


def expect_state(root, pattern: str) -> None:
    """The kernel's state string (shown in the state field) comes to match ``pattern``."""
    expect(state_field(root)).to_have_value(re.compile(pattern), timeout=TIMEOUT_MS)


def press(locator, key: str) -> None:
    locator.focus()
    locator.press(key)


def canvases(root) -> list[str]:
    """Every canvas of the widget as a PNG data URL: the picture, to compare two widgets."""
    return root.evaluate("(el) => [...el.querySelectorAll('canvas')].map((c) => c.toDataURL())")


def calm(root) -> None:
    """Nothing hovered or focused in the widget: the picture shows the output, no cursor."""
    root.page.mouse.move(2, 2)
    root.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    time.sleep(0.3)


def check_renders(root, where: str) -> None:
    wait_drawn(root)
    text = root.inner_text()
    assert not FALLBACK_TEXT.search(text) and not any(t in text for t in ERROR_TEXTS), where
    unnamed = root.evaluate(UNNAMED_CONTROLS_JS)
    assert unnamed == [], f"{where}: controls without an accessible name: {unnamed}"


def play_and_measure(root, where: str) -> dict:
    """Play (by keyboard) PLAY_EPOCHS epochs; epochs per second; pause (by keyboard)."""
    play = root.locator(".bpg-play")
    press(play, "Enter")
    expect(root).to_have_attribute("data-playing", "true")
    start = epoch(root) + 5
    wait_epoch(root, start, 60_000)
    t0, e0 = time.monotonic(), epoch(root)
    wait_epoch(root, e0 + PLAY_EPOCHS, 120_000)
    t1, e1 = time.monotonic(), epoch(root)
    measured = stats(root)
    press(play, "Space")                                   # pause, by keyboard too
    expect(root).to_have_attribute("data-playing", "false")
    shown = settled(root)
    drawn = measured["epochs"]
    steps = {b - a for a, b in zip(drawn, drawn[1:])}
    assert steps == {1}, f"{where}: while playing, the epochs drawn went up by {sorted(steps)}: " \
                         f"each frame must show the next epoch, none skipped or repeated"
    rate = (e1 - e0) / (t1 - t0)
    assert rate > 1.0, f"{where}: only {rate:.2f} epochs per second while playing"   # loose on purpose
    expect(root.locator(".bpg-sr")).to_contain_text(f"Epoch {shown}.")
    return {"epochs_per_s": round(rate, 1), **{k: v for k, v in measured.items() if k != "epochs"}}


def move_every_setting(root) -> None:
    """Every setting of the bar and of the data column, by keyboard; the kernel's state follows."""
    press(root.locator(".bpg-lr"), "ArrowDown")
    expect_state(root, r";lr=0\.1;")
    press(root.locator(".bpg-activation"), "ArrowDown")
    expect_state(root, r";activation=relu;")
    press(root.locator(".bpg-reg"), "ArrowDown")
    expect_state(root, r";regularization=l1;")
    press(root.locator(".bpg-reg-rate"), "ArrowDown")
    expect_state(root, r";reg_rate=0\.001;")
    press(root.locator(".bpg-problem"), "ArrowDown")
    expect_state(root, r";dataset=plane;")
    press(root.locator(".bpg-problem"), "ArrowUp")
    expect_state(root, r";dataset=circle;")
    press(root.locator(".bpg-dataset"), "ArrowDown")
    expect_state(root, r";dataset=xor;")
    press(root.locator(".bpg-train"), "ArrowRight")
    expect_state(root, r";train_fraction=0\.6;")
    press(root.locator(".bpg-noise"), "ArrowRight")
    expect_state(root, r";noise=0\.05;")
    press(root.locator(".bpg-batch"), "ArrowRight")
    expect_state(root, r";batch_size=11;")
    seed = root.locator(".bpg-seed")
    seed.fill("3")
    seed.press("Tab")
    expect_state(root, r";seed=3;")
    press(root.locator("button", has_text="new data"), "Enter")
    expect_state(root, r";seed=4;")
    for box in (".bpg-show-test", ".bpg-discretize"):          # view options: front end and traits
        before = canvases(root)
        press(root.locator(box), "Space")
        root.page.wait_for_function("([el, b]) => [...el.querySelectorAll('canvas')].some((c, k) => "
                                    "c.toDataURL() !== b[k])", arg=[root.element_handle(), before])
        press(root.locator(box), "Space")                      # and back


def toggle_inputs(root) -> None:
    square = root.locator('[data-key="input-x1^2"]')
    expect(square).to_have_attribute("aria-pressed", "false")
    square.click()
    expect_state(root, r";features=x1,x2,x1\^2;")
    expect(square).to_have_attribute("aria-pressed", "true")
    press(root.locator('[data-key="input-x1^2"]'), "Enter")        # by keyboard: off again
    expect_state(root, r";features=x1,x2;")


def layers_and_neurons(root) -> None:
    press(root.locator('[data-key="add-layer"]'), "Enter")
    expect_state(root, r";hidden=4,2,2;")
    expect(root.locator(".bpg-layer-count")).to_have_text("3 hidden layers")
    plus = root.locator('[data-key="add-neuron-1"]')
    press(plus, "Enter")
    expect_state(root, r";hidden=5,2,2;")
    # the network is drawn anew, and the focus stays on the button pressed: Enter again adds again
    expect(root.locator('[data-key="add-neuron-1"]')).to_be_focused()
    root.page.keyboard.press("Enter")
    expect_state(root, r";hidden=6,2,2;")
    root.locator('[data-key="remove-neuron-1"]').click()
    root.locator('[data-key="remove-neuron-1"]').click()
    expect_state(root, r";hidden=4,2,2;")
    root.locator('[data-key="remove-layer"]').click()
    expect_state(root, r";hidden=4,2;")
    expect(root.locator(".bpg-node.bpg-neuron")).to_have_count(6)


def edit_links(root) -> None:
    page = root.page
    link = root.locator('[data-key="link-1-0-0"]')
    page.mouse.move(*svg_path_midpoint(link))
    tooltip = root.locator(".bpg-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(re.compile(r"weight −?\d\.\d{3}, x₁ to layer 1 neuron 1"))
    page.mouse.click(*svg_path_midpoint(link))
    editor = root.locator(".bpg-weight-input")
    expect(editor).to_be_focused()
    editor.fill("1.5")
    editor.press("Enter")
    expect(root.locator(".bpg-editor")).to_be_hidden()
    page.mouse.move(2, 2)
    page.mouse.move(*svg_path_midpoint(link))
    expect(tooltip).to_contain_text("weight 1.500, x₁ to layer 1 neuron 1")
    page.mouse.move(2, 2)
    # by keyboard: the focus is back on the link; the next one down, Enter, a value, Enter
    expect(link).to_be_focused()
    link.press("ArrowDown")
    following = root.locator('[data-key="link-1-0-1"]')
    expect(following).to_be_focused()
    following.press("Enter")
    expect(editor).to_be_focused()
    editor.fill("-2")
    editor.press("Enter")
    expect(following).to_be_focused()
    following.press("ArrowUp")
    link.press("ArrowDown")
    expect(following).to_have_attribute("aria-label", re.compile(r"weight −2\.000"))


def look_at_neurons(root) -> None:
    caption = root.locator(".bpg-plane-caption")
    neuron = root.locator('[data-key="node-1-0"]')
    before = root.locator(".bpg-heat").evaluate("(c) => c.toDataURL()")
    neuron.hover()
    expect(caption).to_have_text("layer 1, neuron 1: its output over the plane")
    root.page.wait_for_function("([c, b]) => c.toDataURL() !== b",
                                arg=[root.locator(".bpg-heat").element_handle(), before])
    root.page.mouse.move(2, 2)
    expect(caption).to_have_text(re.compile(r"over the plane$"))
    press(neuron, "ArrowDown")                             # by keyboard: the next neuron of the layer
    expect(root.locator('[data-key="node-1-1"]')).to_be_focused()
    expect(caption).to_have_text("layer 1, neuron 2: its output over the plane")
    calm(root)
    expect(caption).to_have_text("P(class 1) over the plane")


def draw_points(root) -> None:
    plane = root.locator(".bpg-plane")
    box = plane.bounding_box()
    plane.click(position={"x": 30 + 0.25 * (box["width"] - 36), "y": 8 + 0.25 * (box["height"] - 30)})
    expect_state(root, r";points=-?[\d.]+:-?[\d.]+:1$")
    press(root.locator(".bpg-tools input[value='0']"), "Space")       # class 0, by keyboard
    plane.focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Enter"):
        plane.press(key)
    expect_state(root, r";points=-?[\d.]+:-?[\d.]+:1,1\.2:-0\.6:0$")
    expect(root.locator(".bpg-sr")).to_contain_text("2 points of yours.")
    press(root.locator('[data-key="clear-points"]'), "Enter")
    expect_state(root, r";points=$")
    press(root.locator(".bpg-tools input[value='1']"), "Space")


def copy_state(root) -> str:
    root.locator(".bpg-state-row button", has_text="copy").click()
    expect(root.locator(".bpg-state-row [role=status]")).to_have_text("copied")
    text = root.page.evaluate("() => navigator.clipboard.readText()")
    assert text == state_field(root).input_value()
    return text


def same_picture(original, fresh, timeout_s: float = 15.0) -> bool:
    """Whether the two widgets come to show the same canvases (within ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if canvases(fresh) == canvases(original):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)


def restore_and_compare(original, fresh, text: str, where: str) -> None:
    """Restore ``text`` into ``fresh``; the same picture as ``original``, at epoch 0 and after 3 steps."""
    before = canvases(fresh)
    fresh.locator(".bpg-state").fill(text)
    fresh.locator(".bpg-state-row button", has_text="restore").click()
    fresh.page.wait_for_function("([el, b]) => [...el.querySelectorAll('canvas')].some((c, k) => "
                                 "c.toDataURL() !== b[k])", arg=[fresh.element_handle(), before])
    expect(fresh.locator(".bpg-state")).to_have_value(text)
    for widget in (original, fresh):
        calm(widget)
    expect(fresh.locator(".bpg-epoch-value")).to_have_text("000,000")
    assert same_picture(original, fresh), f"{where}: the restored widget shows another picture"
    for widget in (original, fresh):
        for _ in range(3):
            widget.locator("button", has_text="step").click()
        expect(widget.locator(".bpg-epoch-value")).to_have_text("000,003")
        calm(widget)
    assert same_picture(original, fresh), f"{where}: after 3 steps the pictures differ"


def exercise(root, where: str, artifacts: Path) -> dict:
    """Everything a learner does with one widget; returns what was measured."""
    check_renders(root, where)
    root.scroll_into_view_if_needed()
    root.screenshot(path=str(artifacts / f"{where}-dpr1-start.png"))
    measured = play_and_measure(root, where)
    root.screenshot(path=str(artifacts / f"{where}-dpr1-played.png"))
    shown = epoch(root)
    press(root.locator("button", has_text="step"), "Enter")
    wait_epoch(root, shown + 1)
    move_every_setting(root)
    toggle_inputs(root)
    layers_and_neurons(root)
    edit_links(root)
    look_at_neurons(root)
    draw_points(root)
    root.screenshot(path=str(artifacts / f"{where}-dpr1-after.png"))
    root.locator("button", has_text="reset").click()
    expect(root.locator(".bpg-epoch-value")).to_have_text("000,000")
    return measured


def shoot_at_scale_2(browser, url: str, where: str, artifacts: Path) -> list[str]:
    """A screenshot of the widget at device pixel ratio 2, after a few steps; the page's outside
    requests and console errors."""
    context, recorder = new_context(browser, scale=2)
    page = context.new_page()
    try:
        page.goto(url, timeout=120_000)
        root = page.locator(".bpg").first
        wait_drawn(root)
        for _ in range(5):
            root.locator("button", has_text="step").click()
        wait_epoch(root, 5)
        calm(root)
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(artifacts / f"{where}-dpr2.png"))
        return outside_requests(recorder.urls) + recorder.errors
    finally:
        context.close()


# ------------------------------------------------------------------------------------------ tests

def test_playground_in_jupyterlab(browser, workdir, artifacts, measurements):
    lab = start_lab(workdir)
    url = f"{lab.url}/lab/tree/playground.ipynb?reset&token={lab.token}"
    context, recorder = new_context(browser)
    try:
        page = context.new_page()
        page.goto(url)
        page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\|\s*Idle"), timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').filter(visible=True).click()
        first, fresh = page.locator(".bpg").nth(0), page.locator(".bpg").nth(1)
        wait_drawn(first)
        wait_drawn(fresh)
        measurements["jupyterlab"] = exercise(first, "jupyterlab", artifacts)
        restore_and_compare(first, fresh, copy_state(first), "jupyterlab")
        page.screenshot(path=str(artifacts / "jupyterlab-page.png"))
        # device pixel ratio 2 on this very page: the canvases follow the change of resolution
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 2,
                                                        "mobile": False})
        for _ in range(5):
            first.locator("button", has_text="step").click()
        expect(first.locator(".bpg-epoch-value")).to_have_text("000,008")
        page.wait_for_function("(el) => el.querySelector('.bpg-heat').width === "
                               "2 * el.querySelector('.bpg-heat').clientWidth", arg=first.element_handle())
        calm(first)
        first.screenshot(path=str(artifacts / "jupyterlab-dpr2.png"))
        assert outside_requests(recorder.urls) == [], "JupyterLab's page asked for outside addresses"
        assert recorder.errors == [], f"console errors: {recorder.errors}"
    finally:
        context.close()
        lab.stop()


def test_playground_page_in_voila(browser, workdir, artifacts, measurements):
    server = start_playground_page(workdir)
    url = f"{server.url}/?token={server.token}"
    abandoned_context, _ = new_context(browser)
    context, recorder = new_context(browser)
    try:
        # a page the browser will leave without closing it: its kernel must be culled
        abandoned = abandoned_context.new_page()
        abandoned.goto(url, timeout=120_000)
        wait_drawn(abandoned.locator(".bpg"))
        abandoned_kernel = abandoned.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        abandoned_context.close()
        left_at = time.monotonic()

        page = context.new_page()
        page.goto(url, timeout=120_000)
        expect(page.locator("h1")).to_contain_text("The training playground")
        root = page.locator(".bpg")
        kernel = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        width = root.evaluate("(el) => el.getBoundingClientRect().width")
        assert width > 0.85 * 1280 - 60, f"the playground is {width:.0f} px wide on a 1280 px page"
        measurements["voila"] = exercise(root, "voila", artifacts)
        page.screenshot(path=str(artifacts / "voila-page.png"), full_page=True)

        fresh_page = context.new_page()                     # a fresh page: a fresh kernel and widget
        fresh_page.goto(url, timeout=120_000)
        fresh = fresh_page.locator(".bpg")
        wait_drawn(fresh)
        restore_and_compare(root, fresh, copy_state(root), "voila")
        fresh_kernel = fresh_page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        fresh_page.close(run_before_unload=True)            # a page closed: Voila shuts its kernel down
        deadline = time.monotonic() + 20
        while kernel_exists(server, fresh_kernel) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not kernel_exists(server, fresh_kernel), "the kernel of a closed page still runs after 20 s"

        problems = shoot_at_scale_2(browser, url, "voila", artifacts)
        assert outside_requests(recorder.urls) == [], \
            f"the page asked for outside addresses: {outside_requests(recorder.urls)}"
        assert recorder.errors == [] and problems == [], f"console errors: {recorder.errors + problems}"

        # with every address but this machine's cut off, the page loads and shows no console error
        offline_context, offline = new_context(browser)
        try:
            offline_page = offline_context.new_page()
            offline_page.route(re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/])"), lambda route: route.abort())
            offline_page.goto(url, timeout=120_000)
            wait_drawn(offline_page.locator(".bpg"))
            offline_page.locator(".bpg").locator("button", has_text="step").click()
            wait_epoch(offline_page.locator(".bpg"), 1)
            assert outside_requests(offline.urls) == [] and offline.errors == [], \
                f"cut off: {outside_requests(offline.urls)} {offline.errors}"
        finally:
            offline_context.close()

        assert kernel_exists(server, kernel)
        while kernel_exists(server, abandoned_kernel) and time.monotonic() - left_at < CULL_WAIT_S:
            time.sleep(1)
        gone_after = time.monotonic() - left_at
        assert not kernel_exists(server, abandoned_kernel), \
            f"the kernel of a page the browser left still runs after {gone_after:.0f} s"
        measurements["voila_abandoned_kernel_gone_after_s"] = round(gone_after, 1)
        assert gone_after < 60 + 10, f"the abandoned page's kernel took {gone_after:.0f} s to go"
    finally:
        context.close()
        server.stop()
