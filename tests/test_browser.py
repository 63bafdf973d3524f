"""The widgets in a real browser: JupyterLab and Voila driven through Debian's chromium by Playwright.

One JupyterLab server for the module (127.0.0.1, a free port, a random token, an isolated HOME, a
temporary copy of the notebooks). The lessons tested are those whose code uses
``backprop_helpers.widgets`` or an explorer factory, each copied up to its last widget cell (the later
cells are experiments that nbval runs anyway). Each notebook is opened with ``?reset`` (so no old tabs
come back), the test waits for the kernel to be Idle, runs all cells from the Run menu, and checks:

- real widgets render: a visible widget view, no text fallback such as ``IntSlider(...)``, no
  "Error displaying widget";
- in each widget, moving the first slider (arrow keys on its handle), pressing a "step" button and
  pressing play each change its plot (screenshots of the plots compared), play again and again;
- the browser console shows no widget errors.

The playground's own front end, and its standalone page served by Voila as `make playground` serves
it, are tested in test_browser_playground.py.
A fixture notebook (tests/fixtures/browser/) proves the harness, including that a slider which
redraws nothing is caught. Screenshots of every widget before and after each action are kept in
test-artifacts/browser/. Skipped, with the reason shown, when chromium or playwright is missing;
under CI (``CI=true``, as .ci/run runs) that is an error instead.
"""
from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from browser_support import (
    ERROR_TEXTS, FALLBACK_TEXT, copy_through_last_widget, find_chromium, free_port, isolated_env,
    jupyter_command, launched_chromium, new_token, notebooks_with_widgets, Server, skip_or_fail,
    start_lab, start_server, widget_console_errors,
)


CHROMIUM = find_chromium()
if CHROMIUM is None:
    skip_or_fail("the browser test needs Debian's chromium (/usr/bin/chromium or chromium on PATH): "
                  "install it with `apt-get install chromium` (.ci/run does)")
try:
    from playwright import sync_api
except ImportError as error:
    skip_or_fail(f"the browser test needs playwright for Python (in requirements.txt): {error}")

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "browser" / "slider_and_play.ipynb"
LESSONS = notebooks_with_widgets(ROOT / "lessons")
PLAYGROUND = ROOT / "solutions" / "08_playground.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"

# An output holding a widget view, unless it is itself inside a widget (an ipywidgets.Output).
WIDGET_OUTPUT = (".jp-OutputArea-output:has(> .jupyter-widgets)"
                 ":not(.jupyter-widgets .jp-OutputArea-output)")
PLOT = "img, canvas"
SLIDER_HANDLE = ".widget-slider .noUi-handle"
CHANGE_TIMEOUT_S = 15.0  # how long a plot may take to change after an action
PLAY_FRAMES = 5  # changes of the plot to see after pressing play
RUN_TIMEOUT_S = 240  # the longest notebook runs for about 20 s under nbval; the browser adds little


# ---------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def artifacts() -> Path:
    """test-artifacts/browser/, emptied once per run so that only this run's screenshots are there."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A temporary folder with an isolated home/ and a copy of the notebooks under notebooks/."""
    base = tmp_path_factory.mktemp("browser")
    (base / "home").mkdir()
    notebooks = base / "notebooks"
    shutil.copytree(ROOT / "lessons", notebooks / "lessons",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
    for lesson in LESSONS:  # up to the last explorer: the time goes to the widgets, not to training
        copy_through_last_widget(lesson, notebooks / "lessons" / lesson.name)
    (notebooks / "fixtures").mkdir()
    shutil.copy(FIXTURE, notebooks / "fixtures")
    return base


@pytest.fixture(scope="module")
def lab(workdir) -> Server:
    """JupyterLab on 127.0.0.1 with a token, serving the copied notebooks, for the whole module."""
    server = start_lab(workdir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, launched by Playwright (never a browser of Playwright's own)."""
    with launched_chromium() as chromium:
        yield chromium


class Console:
    """The console errors and uncaught exceptions of one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def page(browser, artifacts, request):
    """A fresh page (1280 x 1100) with its console recorded; its console errors are kept at the end.

    ``page.artifact`` is the path prefix of the test's files in test-artifacts/browser/.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    new_page = context.new_page()
    new_page.set_default_timeout(30_000)
    new_page.console = Console(new_page)
    new_page.artifact = artifacts / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    yield new_page
    Path(f"{new_page.artifact}-console.txt").write_text("\n".join(new_page.console.errors) + "\n")
    context.close()


def save_page(page) -> None:
    """A screenshot of the whole page, taken before its kernel is shut down (which blanks images)."""
    try:
        page.screenshot(path=f"{page.artifact}-page.png")
    except sync_api.Error:
        pass  # a page that broke is reported by the test's own failure


# ------------------------------------------------------------------------------- page helpers

def open_in_lab(page, lab: Server, path: str) -> None:
    """Open ``path`` (relative to the server's root) in JupyterLab and wait for its kernel to be Idle."""
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    page.locator(".jp-NotebookPanel").filter(visible=True).first.wait_for(timeout=60_000)
    sync_api.expect(page.locator("#jp-main-statusbar")).to_contain_text(
        re.compile(r"\|\s*Idle"), timeout=60_000)


def run_all_cells(page) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is Idle."""
    page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').filter(visible=True).click()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    quiet_since = None
    while time.monotonic() < deadline:
        busy = page.evaluate("""() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')];
            const status = document.querySelector('#jp-main-statusbar')?.innerText || '';
            return prompts.some(p => p.innerText.includes('*')) || !/\\|\\s*Idle/.test(status);
        }""")
        quiet_since = None if busy else (quiet_since or time.monotonic())
        if quiet_since is not None and time.monotonic() - quiet_since > 1.5:
            return
        time.sleep(0.25)
    pytest.fail(f"the notebook's cells were still running after {RUN_TIMEOUT_S} s")


def stderr_outputs(page) -> list[str]:
    """The text of every visible traceback or stderr output (JupyterLab renders both as stderr)."""
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    return [text[-2000:] for text in errors.filter(visible=True).all_inner_texts()]


def assert_widgets_render(page, where: str, timeout: float = 60.0) -> list:
    """Assert that real widgets render and return the visible widget outputs (outermost only)."""
    outputs = page.locator(WIDGET_OUTPUT).filter(visible=True)
    try:
        outputs.first.wait_for(state="visible", timeout=timeout * 1000)
    except sync_api.TimeoutError:
        tracebacks = stderr_outputs(page)
        pytest.fail(f"{where}: no widget rendered within {timeout:.0f} s"
                    + (":\n" + "\n".join(tracebacks) if tracebacks else ""))
    text = "\n".join(page.locator(".jp-OutputArea-output").filter(visible=True).all_inner_texts())
    fallback = FALLBACK_TEXT.search(text)
    assert fallback is None, f"{where}: a widget shows as text ({fallback.group()}...), not rendered"
    for message in ERROR_TEXTS:
        assert message not in text, f"{where}: the page says {message!r}"
    return outputs.all()


def plots_shot(output) -> bytes:
    """Screenshots of every visible plot (img or canvas) of a widget output, joined."""
    plots = output.locator(PLOT).filter(visible=True).all()
    return b"".join(plot.screenshot() for plot in plots)


def stable_shot(output, timeout: float = 10.0) -> bytes:
    """The plots' screenshot once two consecutive ones agree (the plot finished updating)."""
    previous = plots_shot(output)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.3)
        current = plots_shot(output)
        if current == previous:
            return current
        previous = current
    return previous


def wait_for_change(output, before: bytes, timeout: float, *, settle: bool = True) -> bytes | None:
    """The plots' screenshot once it differs from ``before`` (within ``timeout`` s), else None.

    With ``settle`` it is taken once the plots stopped changing (a slider's last move drawn);
    without, it is the first that differs (a running animation never settles).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = plots_shot(output)
        if shot != before:
            return stable_shot(output) if settle else shot
        time.sleep(0.3)
    return None


def move_slider(output) -> str:
    """Move the first visible slider of a widget output by keyboard; return "before -> after".

    Presses the right arrow on the slider's handle three times, or the left arrow when the slider
    already sits at its maximum; the readout (or the handle's aria-valuenow) must change.
    """
    slider = output.locator(".widget-slider").filter(visible=True).first
    handle = slider.locator(".noUi-handle").first
    readout = slider.locator(".widget-readout").first

    def value() -> str:
        return readout.inner_text() if readout.count() else handle.get_attribute("aria-valuenow")

    before = value()
    handle.focus()
    for key in ("ArrowRight", "ArrowLeft"):
        for _ in range(3):
            handle.press(key)
        after = value()
        if after != before:
            return f"{before} -> {after}"
    pytest.fail(f"the slider's value stayed at {before} after pressing the arrow keys on its handle")


def labelled_buttons(output, pattern: str):
    """The visible buttons of a widget output whose label matches ``pattern`` (case-insensitive)."""
    return output.locator("button").filter(visible=True).filter(
        has_text=re.compile(pattern, re.IGNORECASE))


def play_button(output):
    """The play control of a widget output: an ipywidgets.Play, or a button labelled play; or None."""
    play = output.locator(".widget-play button").filter(visible=True)
    if play.count():
        return play.first
    labelled = labelled_buttons(output, r"\bplay\b")
    return labelled.first if labelled.count() else None


def check_interaction(output, name: str, artifacts: Path,
                      change_timeout: float = CHANGE_TIMEOUT_S) -> list[str]:
    """Exercise one widget output and assert that each action changes its plot; return what ran.

    In order, where the widget has them: move the first visible slider; press the first button
    labelled "step"; press play and see the plot change PLAY_FRAMES times, then pause. A widget with
    none of these must change its plot when its first button (other than reset/clear) is pressed.
    Screenshots of the whole widget go to ``artifacts``: before, and after each action.
    """
    assert output.locator(PLOT).filter(visible=True).count(), \
        f"{name}: the widget shows no plot (no visible img or canvas)"
    output.scroll_into_view_if_needed()
    done = []
    before = stable_shot(output)
    output.screenshot(path=str(artifacts / f"{name}-0-before.png"))

    def expect_change(action: str) -> None:
        nonlocal before
        after = wait_for_change(output, before, change_timeout)
        assert after is not None, f"{name}: {action} did not change the plot"
        before = after
        output.screenshot(path=str(artifacts / f"{name}-{len(done) + 1}-after-{action.split()[0]}.png"))

    if output.locator(SLIDER_HANDLE).filter(visible=True).count():
        moved = move_slider(output)
        expect_change(f"slider moved {moved}")
        done.append(f"slider {moved}")

    stepper = labelled_buttons(output, r"\bstep\b")
    if stepper.count():
        label = stepper.first.inner_text().strip()
        stepper.first.click()
        expect_change(f"step button {label!r} pressed")
        done.append("step")

    play = play_button(output)
    if play is not None:
        play.click()
        shot = before
        for frame in range(1, PLAY_FRAMES + 1):  # the plot changes again and again while playing
            shot = wait_for_change(output, shot, change_timeout, settle=False)
            assert shot is not None, (f"{name}: after pressing play the plot changed {frame - 1} "
                                      f"times, then stood still for {change_timeout:.0f} s")
        output.screenshot(path=str(artifacts / f"{name}-{len(done) + 1}-playing.png"))
        # Pause: a Play widget's play button and a toggle button pause when pressed again; a button
        # whose label turned into "pause" is pressed instead.
        pause = labelled_buttons(output, r"\bpause\b")
        (pause.first if pause.count() else play).click()
        done.append("play")

    if not done:
        buttons = output.locator("button").filter(visible=True).filter(
            has_not_text=re.compile(r"reset|clear", re.IGNORECASE))
        assert buttons.count(), f"{name}: the widget has no slider, play control or button to try"
        label = buttons.first.inner_text().strip()
        buttons.first.click()
        expect_change(f"button {label!r} pressed")
        done.append(f"button {label!r}")
    return done


def assert_no_widget_console_errors(page, where: str) -> None:
    """Assert that no console error or uncaught exception mentions widgets or their manager."""
    errors = widget_console_errors(page.console.errors)
    assert not errors, f"{where}: the browser console shows widget errors:\n" + "\n".join(errors)


def shut_down_kernels(server: Server) -> None:
    """Delete the server's sessions (and so their kernels), freeing the 2 shared cores."""
    headers = {"Authorization": f"token {server.token}"}
    with urllib.request.urlopen(urllib.request.Request(server.url + "/api/sessions",
                                                       headers=headers), timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        request = urllib.request.Request(f"{server.url}/api/sessions/{session['id']}",
                                         headers=headers, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def start_voila(notebook: Path, workdir: Path) -> Server:
    """``voila <notebook> --no-browser --port=... --Voila.ip=127.0.0.1 --token``, as `make playground`.

    ``--token`` makes Voila require a token; it takes JUPYTER_TOKEN from the environment, so the token
    stays off the command line. No voila.py/voila.json is read (a ``c.Voila.token = ""`` there would
    switch the token off).
    """
    home = workdir / f"voila-home-{notebook.stem}"
    home.mkdir(exist_ok=True)
    env = isolated_env(home)
    token = new_token()
    env["JUPYTER_TOKEN"] = token
    port = free_port()
    voila = shutil.which("voila", path=str(Path(jupyter_command()[0]).parent)) or "voila"
    command = [voila, str(notebook), "--no-browser", f"--port={port}", "--Voila.port_retries=0",
               "--Voila.ip=127.0.0.1", "--token", f"--Voila.config_file_paths={home / 'no-voila-config'}"]
    return start_server(command, env=env, cwd=notebook.parent, port=port, token=token,
                        status_path="/login", log=workdir / f"voila-{notebook.stem}.log")


def open_in_voila(page, server: Server, where: str) -> list:
    """Check that Voila refuses the page without the token, open it with the token, wait for widgets."""
    page.goto(server.url + "/")
    assert page.locator("input[type=password]").count(), f"{where}: Voila answered without the token"
    page.goto(f"{server.url}/?token={server.token}", timeout=RUN_TIMEOUT_S * 1000)
    return assert_widgets_render(page, where, timeout=RUN_TIMEOUT_S)


# ------------------------------------------------------------------------------------------ tests

def test_fixture_widgets_work_in_jupyterlab(page, lab, artifacts):
    """The harness itself, in JupyterLab: a slider and a play button that redraw an image pass,
    and a slider that redraws nothing is caught."""
    path = "fixtures/slider_and_play.ipynb"
    try:
        open_in_lab(page, lab, path)
        run_all_cells(page)
        working, frozen = assert_widgets_render(page, path)
        assert check_interaction(working, "fixture-lab", artifacts) == ["slider 1 -> 4", "play"]
        with pytest.raises(AssertionError, match=r"fixture-frozen: slider moved 1 -> 4 did not change"):
            check_interaction(frozen, "fixture-frozen", artifacts, change_timeout=3)
        assert_no_widget_console_errors(page, path)
    finally:
        save_page(page)
        shut_down_kernels(lab)


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in LESSONS] or [pytest.param(
    None, id="none", marks=pytest.mark.skip(reason="no lesson shows an explorer yet (none mentions "
                                             "backprop_helpers.widgets or an explorer factory)"))])
def test_lesson_widgets_work_in_jupyterlab(page, lab, artifacts, notebook):
    """Every lesson that shows an explorer: its widgets render, and their controls change the plots."""
    path = f"lessons/{notebook.name}"
    try:
        open_in_lab(page, lab, path)
        run_all_cells(page)
        for index, output in enumerate(assert_widgets_render(page, path)):
            assert check_interaction(output, f"{notebook.stem}-widget{index}", artifacts)
        assert_no_widget_console_errors(page, path)
    finally:
        save_page(page)
        shut_down_kernels(lab)


@pytest.mark.skipif(PLAYGROUND in notebooks_with_widgets(PLAYGROUND.parent),
                    reason="Voila is tested on the playground's page (test_browser_playground.py)")
def test_fixture_widgets_work_in_voila(page, workdir, artifacts):
    """The harness itself, as a standalone Voila page."""
    server = start_voila(workdir / "notebooks" / "fixtures" / FIXTURE.name, workdir)
    try:
        working, _frozen = open_in_voila(page, server, f"voila {FIXTURE.name}")
        assert check_interaction(working, "fixture-voila", artifacts) == ["slider 1 -> 4", "play"]
        assert_no_widget_console_errors(page, f"voila {FIXTURE.name}")
    finally:
        save_page(page)
        server.stop()
