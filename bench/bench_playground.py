"""Benchmark 6: the training playground (lesson 08), in a real browser: epochs shown per second.

The playground trains in the kernel and draws in the browser (``backprop_helpers/widgets/playground``:
the kernel sends one frame of binary arrays per epoch, ``front.js`` draws it in an animation frame).
Two parts:

- **In the browser.** Debian's chromium, headless, driven by Playwright, plays the playground at the
  default settings (circle, 500 points, half for training, batch size 10, inputs x1 and x2, hidden
  layers 4 and 2, tanh) in Voila as `make playground` serves it, and in JupyterLab as `make lab` runs
  it (and, for comparison, JupyterLab with the websocket option that `make playground` gives Voila).
  A run: reset, play, 5 epochs to warm up, then the epochs shown during ``seconds`` are counted. The
  median of 3 runs is reported, with the front end's own medians (``root.bpgStats``): a tick's round
  trip (request to frame), the browser's rendering per frame, the kernel's time per tick, and a
  check that the frames drawn showed consecutive epochs (one epoch per frame, none skipped). Two flow
  controls: *adaptive* (as shipped: the page keeps the kernel a few epochs ahead, asking for a batch
  of epochs in one message) and *lock-step* (one request after each drawn frame, one epoch each).
- **In the kernel.** The cost of one tick at the default settings and for other networks, timed in
  this process: one epoch of training, the evaluation on the grid (every neuron at 105 x 105, float32)
  and the data (float64), packing the frame, the whole tick as the browser's message runs it; and the
  bytes of a frame.

Before (today's figure: one 840 x 420 PNG rendered by matplotlib per epoch, sent through an
``ipywidgets.Image``): about 14.9 epochs per second in JupyterLab and 15.5 in Voila, measured on the
same machine in headless chromium. Target: >= 40 epochs shown per second at the default settings, in
JupyterLab and in Voila, one epoch per frame.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

__all__ = ["TARGET_EPOCHS_PER_S", "BEFORE", "run", "markdown"]

ROOT = Path(__file__).resolve().parent.parent
TARGET_EPOCHS_PER_S = 40.0
#: epochs shown per second with the matplotlib figure the browser front end replaced (PNG per epoch)
BEFORE = {"jupyterlab": 14.9, "voila": 15.5}
RUNS = 3
NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "id": "playground", "metadata": {},
                       "outputs": [], "source": "from backprop_helpers.widgets import playground\n\nplayground()"}],
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}
STATS_JS = """(root) => {
    const s = root.bpgStats;
    const med = (a) => { if (!a.length) return null; const b = [...a].sort((x, y) => x - y);
                         return b[Math.floor(b.length / 2)]; };
    const e = s.epochs, steps = new Set(e.slice(1).map((v, k) => v - e[k]));
    return {round_trip_ms: med(s.roundTrip), render_ms: med(s.render), kernel_ms: med(s.kernel),
            wait_ms: med(s.wait), bytes: med(s.bytes), steps: [...steps]};
}"""


# ------------------------------------------------------------------------------------- kernel

def _kernel_variants() -> list[tuple[str, Callable[[], Any]]]:
    from backprop_helpers.learner_model import reference_functions
    from backprop_helpers.widgets import playground
    from backprop_helpers.widgets.playground.model import FEATURES

    return [("default: circle, inputs x1 x2, layers 4 2, tanh, batch 10", lambda: playground()),
            ("largest: all 7 inputs, 6 layers of 8", lambda: playground(features=list(FEATURES), hidden=[8] * 6)),
            ("your functions: FunctionMLP (reference functions), defaults",
             lambda: playground(functions=reference_functions("tanh"))),
            ("batch size 1 (250 steps per epoch)", lambda: playground(batch_size=1))]


def _kernel(repeats: int) -> list[dict]:
    """Median ms of each part of a tick, the parts timed one after another in each of ``repeats`` rounds."""
    from backprop_helpers.widgets.playground.frames import pack_frame

    rows = []
    for name, make in _kernel_variants():
        view = make()
        session = view.session
        sizes = []
        view.send = lambda content, buffers=None: sizes.append(sum(len(b) for b in buffers or ()))
        view.receive({"type": "hello"})
        full_bytes = sizes[-1]
        W = session.model.params["W1"]
        parts = {
            "tick_ms": lambda: view.receive({"type": "tick", "target": session.epoch + 1}),
            "train_ms": session.trainer.train_epoch,
            # setting a weight to its own value evaluates the network again, and only that
            "evaluate_ms": lambda: session.set_weight(1, 0, 0, float(W[0, 0])),
            "pack_ms": lambda: pack_frame(session, full=False, layout_id=1, loss_start=session.epoch),
        }
        times: dict[str, list[float]] = {k: [] for k in parts}
        for r in range(repeats + 3):
            for key, part in parts.items():
                t0 = time.perf_counter()
                part()
                if r >= 3:                                   # three rounds to warm up
                    times[key].append((time.perf_counter() - t0) * 1e3)
        if view.message:
            raise RuntimeError(f"bench_playground: {name}: {view.message}")
        rows.append({"network": name, **{k: statistics.median(v) for k, v in times.items()},
                     "frame_bytes": sizes[-1], "full_frame_bytes": full_bytes})
    return rows


# ------------------------------------------------------------------------------------ browser

def _support():
    sys.path.insert(0, str(ROOT / "tests"))
    import browser_support

    return browser_support


def _play_run(root, seconds: float, ahead: int) -> dict:
    """Reset, play, warm up, count the epochs shown in ``seconds``; pause."""
    page = root.page
    root.evaluate("(el, ahead) => { el.bpgAhead = ahead; for (const k in el.bpgStats) "
                  "el.bpgStats[k].length = 0; }", ahead)
    root.locator("button", has_text="reset").click()
    page.wait_for_function("(el) => el.dataset.epoch === '0'", arg=root.element_handle(), timeout=30_000)
    root.locator(".bpg-play").click()
    page.wait_for_function("(el) => Number(el.dataset.epoch) >= 5", arg=root.element_handle(), timeout=60_000)
    t0, e0 = time.monotonic(), int(root.get_attribute("data-epoch"))
    time.sleep(seconds)
    t1, e1 = time.monotonic(), int(root.get_attribute("data-epoch"))
    measured = root.evaluate(STATS_JS)
    root.locator(".bpg-play").click()
    page.wait_for_function("(el) => el.dataset.playing === 'false'", arg=root.element_handle())
    time.sleep(0.8)
    return {"epochs_per_s": (e1 - e0) / (t1 - t0), **measured}


def _summary(runs: list[dict]) -> dict:
    keys = ("epochs_per_s", "round_trip_ms", "render_ms", "kernel_ms", "wait_ms", "bytes")
    out = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in keys}
    out["runs"] = [round(r["epochs_per_s"], 1) for r in runs]
    out["one_epoch_per_frame"] = all(r["steps"] in ([1], []) for r in runs)
    return out


def _measure(root, seconds: float, runs: int) -> dict:
    return {mode: _summary([_play_run(root, seconds, ahead) for _ in range(runs)])
            for mode, ahead in (("adaptive", 0), ("lock-step", 1))}


def _voila(bs, browser, workdir: Path, seconds: float, runs: int) -> dict:
    server = bs.start_playground_page(workdir)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?token={server.token}", timeout=120_000)
        root = page.locator(".bpg")
        page.wait_for_function("(el) => Number(el.dataset.drawn || 0) >= 1", arg=root.element_handle(),
                               timeout=120_000)
        return _measure(root, seconds, runs)
    finally:
        context.close()
        server.stop()


def _lab(bs, browser, workdir: Path, seconds: float, runs: int, extra: list[str], name: str) -> dict:
    from playwright.sync_api import expect

    home, notebooks = workdir / f"home-{name}", workdir / f"notebooks-{name}"
    home.mkdir()
    notebooks.mkdir()
    (notebooks / "playground.ipynb").write_text(json.dumps(NOTEBOOK))
    env = bs.isolated_env(home)
    token = bs.new_token()
    env["JUPYTER_TOKEN"] = token
    port = bs.free_port()
    command = bs.jupyter_command("lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                                 "--ServerApp.port_retries=0", f"--ServerApp.root_dir={notebooks}",
                                 *bs.root_flags(), *extra)
    server = bs.start_server(command, env=env, cwd=notebooks, port=port, token=token, status_path="/api/status",
                             log=workdir / f"{name}.log")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/lab/tree/playground.ipynb?reset&token={token}")
        page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\|\s*Idle"), timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').filter(visible=True).click()
        root = page.locator(".bpg").first
        page.wait_for_function("(el) => Number(el.dataset.drawn || 0) >= 1", arg=root.element_handle(),
                               timeout=120_000)
        root.scroll_into_view_if_needed()
        return _measure(root, seconds, runs)
    finally:
        context.close()
        server.stop()


def _browser(seconds: float, runs: int) -> dict:
    bs = _support()
    chromium = bs.find_chromium()
    if chromium is None:
        return {"skipped": "Debian's chromium is not installed"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright for Python is not installed"}
    from backprop_helpers.widgets.playground.server import CONNECTION_CLASS

    workdir = Path(tempfile.mkdtemp(prefix="bench-playground-"))
    results: dict = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=bs.BROWSER_ARGS)
            try:
                results["voila"] = _voila(bs, browser, workdir, seconds, runs)
                results["jupyterlab"] = _lab(bs, browser, workdir, seconds, runs, [], "jupyterlab")
                results["jupyterlab, TCP_NODELAY"] = _lab(
                    bs, browser, workdir, seconds, runs,
                    [f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}"], "jupyterlab-nodelay")
            finally:
                browser.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def run(settings: Any) -> dict:
    """The browser runs (``settings.smoke``: one short run each) and the kernel's costs."""
    smoke = bool(getattr(settings, "smoke", False))
    load_before = os.getloadavg()[0]
    browser = _browser(seconds=1.5 if smoke else 4.0, runs=1 if smoke else RUNS)
    result = {"browser": browser, "kernel": _kernel(5 if smoke else 40), "before": BEFORE,
              "target_epochs_per_s": TARGET_EPOCHS_PER_S,
              "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    if "skipped" not in browser:
        result["met"] = all(browser[where]["adaptive"]["epochs_per_s"] >= TARGET_EPOCHS_PER_S
                            for where in ("voila", "jupyterlab"))
    return result


# -------------------------------------------------------------------------------------- report

def markdown(section: dict) -> str:
    """The playground's tables, from the ``playground`` section that ``run.py`` writes to the JSON."""
    r = section["result"]
    if "browser" not in r:                     # a section written by the benchmark of the old figure
        return ("_These results come from the benchmark of the playground's former matplotlib figure; "
                "run `python bench/run.py --only playground` for the browser's._")
    b = r["browser"]
    lines = []
    if "skipped" in b:
        lines += [f"The browser part did not run: {b['skipped']}.", ""]
    else:
        verdict = "MET" if r["met"] else "NOT MET"
        shown = ", ".join(f"{where} {b[where]['adaptive']['epochs_per_s']:.1f}" for where in ("jupyterlab", "voila"))
        lines += [f"Target: >= {r['target_epochs_per_s']:g} epochs shown per second at the default settings, in "
                  f"JupyterLab and in Voila, one epoch per frame: **{verdict}** ({shown}).", "",
                  "| where | flow control | epochs shown per second (median of runs) | runs | before | "
                  "one epoch per frame | tick round trip | browser render per frame | kernel per tick | "
                  "frame |", "| --- | --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
        for where, modes in b.items():
            before = r["before"].get(where)
            for mode, m in modes.items():
                lines.append(
                    f"| {where} | {mode} | **{m['epochs_per_s']:.1f}** | {', '.join(map(str, m['runs']))} | "
                    f"{'' if before is None or mode != 'adaptive' else before} | "
                    f"{'yes' if m['one_epoch_per_frame'] else 'NO'} | {m['round_trip_ms']:.1f} ms | "
                    f"{m['render_ms']:.1f} ms | {m['kernel_ms']:.2f} ms | {m['bytes'] / 1024:.1f} KB |")
        lines.append("")
    lines += ["The kernel's share, timed in this process (median ms; a tick is what one message of the browser "
              "costs the widget for one epoch: training, evaluation, the frame; the kernel's own messaging "
              "comes on top):", "",
              "| network | tick | one epoch of training | evaluation (grid and points) | packing the frame | "
              "frame | first frame |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for k in r["kernel"]:
        lines.append(f"| {k['network']} | {k['tick_ms']:.2f} | {k['train_ms']:.2f} | {k['evaluate_ms']:.2f} | "
                     f"{k['pack_ms']:.2f} | {k['frame_bytes'] / 1024:.1f} KB | {k['full_frame_bytes'] / 1024:.0f} KB |")
    lines += ["", f"_Command: `{section['command']}` ({section['mode']} mode, {section['date']}, "
              f"{section['seconds']:.0f} s, 1-min load average {section['load_average_1min'][0]:g} before, "
              f"{section['load_average_1min'][1]:g} after)._"]
    return "\n".join(lines)
