"""The explorers in a real browser: from a key press on a slider to the new picture.

``python bench/bench_widgets_browser.py [--before DIR] [--presses N] [--ratios 1,2] [--lessons 01,06]``

What a learner sees, measured where a learner sees it: each explorer in its own lesson (lessons 01,
02, 03, 04 and 06, copied up to the explorer's cell, every cell run by JupyterLab's "Run All"), in
Debian's chromium driven by Playwright, at device pixel ratios 1 and 2. The arrow keys move one
slider (right four times, left four times, ...); the page records the time of each key press (a
``keydown`` listener), of the kernel's messages as they arrive (the page's WebSocket, wrapped), and of
the ``load`` event of the figure's ``<img>`` with the new picture (decoded, ready to paint). Each press
waits for its picture, then 0.15 s, before the next: one move at a time, as a learner pressing a key.

Contenders: the package as it is and, with ``--before DIR`` (a folder holding an older
``backprop_helpers``, and optionally its ``lessons/``, e.g. from ``git archive <commit> backprop_helpers
lessons``), a second JupyterLab whose kernels import that copy; with ``--beside-without-ahead``, the
same code with nothing drawn ahead of the kernel (``ahead.py`` switched off in that page's kernel). The
pages of one lesson at one ratio, one per contender, each in a browser of its own, are open together
and take turns, ``BLOCK`` presses each, so that they meet the same load of the shared machine; their
kernels are shut down before the next pages open. (Pages of one browser share its renderer, and more
pages open at once slow every one of them down: four lesson pages took 66-100 ms where one took 45.)
A small ``floor`` case, a slider that swaps two ready-made 20x20 PNGs in an ``ipywidgets.Image``,
measures what the round trip costs with no drawing at all. ``--drags N`` drags the slider with the
mouse instead and counts the pictures shown per second.

Per press, besides the total: the first message from the kernel (its "busy" status: how long the
key's message took to reach the kernel and the kernel's answer to come back, with the page's own work
between) and the arrival of the picture's message (the largest one). The kernel's drawing and the
browser's decoding lie between those marks.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (name, lesson notebook, slider label pattern, slider label pattern of older versions)
CASES = (
    ("neuron (01)", "01_forward_pass.ipynb", r"w1"),
    ("loss (02)", "02_loss.ipynb", r"prediction ŷ"),
    ("step size (03)", "03_derivatives_and_gradient_checking.ipynb", r"(step )?h"),
    ("step-through (04)", "04_backward_pass.ipynb", r"x1"),
    ("descent (06)", "06_gradient_descent.ipynb", r"learning rate η"),
)
FLOOR = ("floor (no drawing)", None, r"floor")
FLOOR_CELLS = [
    "import ipywidgets as W, numpy as np\n"
    "from backprop_helpers.widgets.render import png_bytes\n"
    "a = png_bytes(np.zeros((20, 20, 4), np.uint8)); b = png_bytes(np.full((20, 20, 4), 200, np.uint8))\n"
    "slider = W.IntSlider(0, 0, 100, description='floor'); image = W.Image(value=a, format='png')\n"
    "slider.observe(lambda change: setattr(image, 'value', b if change['new'] % 2 else a), 'value')\n"
    "W.VBox([slider, image])",
]
BLOCK = 5                       # presses in a row on one page before the next page's turn
SETTLE = 0.15                   # seconds after a picture before the next press
PICTURE_BYTES = 10_000          # the first message at least this long after a press carries its picture

#: runs in every page before its scripts: key presses, the kernel's messages, pictures loaded
_INIT = """(() => {
  window.__bench = {keys: [], messages: [], pictures: []};
  const Native = window.WebSocket;
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        window.__bench.messages.push([performance.now(), data.byteLength ?? data.size ?? data.length ?? 0]);
      });
    }
  }
  window.WebSocket = Recorded;
  document.addEventListener("keydown", () => window.__bench.keys.push(performance.now()), true);
})();"""

#: the figure's pictures: every <img> load inside the explorer's output (a capture listener)
_WATCH_PICTURES = """(output) => {
  output.addEventListener("load", (event) => {
    if (event.target.tagName === "IMG") window.__bench.pictures.push(performance.now());
  }, true);
}"""


def _notebook(lessons: Path, lesson: str | None, target: Path, setup: str | None = None) -> None:
    """The lesson up to its explorer's cell (or the floor's cell) as ``target``; ``setup``: code run
    in a cell of its own just before the explorer's (for experiments)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import browser_support as bs

    if lesson is None:
        bs.write_notebook(target, FLOOR_CELLS)
    else:
        bs.copy_through_last_widget(lessons / lesson, target)
    if setup:
        notebook = json.loads(target.read_text(encoding="utf-8"))
        notebook["cells"].insert(len(notebook["cells"]) - 1, {
            "cell_type": "code", "metadata": {}, "source": setup, "outputs": [], "execution_count": None})
        target.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _lab(bs, work: Path, name: str, pythonpath: str | None):
    """A JupyterLab server for one version of the package (``pythonpath``: where an older copy is)."""
    home = work / f"home-{name}"
    home.mkdir()
    (work / f"nb-{name}").mkdir()
    env = bs.isolated_env(home)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath            # the kernel imports that copy of backprop_helpers
    token = bs.new_token()
    env["JUPYTER_TOKEN"] = token
    port = bs.free_port()
    command = bs.jupyter_command("lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                                 "--ServerApp.port_retries=0", f"--ServerApp.root_dir={work / f'nb-{name}'}",
                                 *bs.root_flags())
    return bs.start_server(command, env=env, cwd=work / f"nb-{name}", port=port, token=token,
                           status_path="/api/status", log=work / f"lab-{name}.log")


def _shut_down_kernels(server) -> None:
    request = urllib.request.Request(f"{server.url}/api/kernels", headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        kernels = json.loads(response.read())
    for kernel in kernels:
        urllib.request.urlopen(urllib.request.Request(
            f"{server.url}/api/kernels/{kernel['id']}", method="DELETE",
            headers={"Authorization": f"token {server.token}"}), timeout=30).close()


def _open(sync_api, playwright, server, name: str, ratio: float):
    """A page of ``name`` (a notebook in the server's folder) at ``ratio``, every cell run, in a
    browser of its own (pages of one browser share its renderer's main thread, and every one of
    them slows the others down)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import browser_support as bs

    browser = playwright.chromium.launch(executable_path=bs.find_chromium(), args=bs.BROWSER_ARGS)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, device_scale_factor=ratio)
    context.add_init_script(_INIT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/lab/tree/{name}?reset&token={server.token}")
    page.locator(".jp-NotebookPanel").first.wait_for()
    sync_api.expect(page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\|\s*Idle"), timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').filter(visible=True).click()
    output = page.locator(".jp-OutputArea-output:has(> .jupyter-widgets)"
                          ":not(.jupyter-widgets .jp-OutputArea-output)").last
    output.wait_for(timeout=240_000)
    sync_api.expect(page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\|\s*Idle"), timeout=240_000)
    return browser, page, output


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def _slider(output, page, label: str):
    """The slider labelled ``label`` in the explorer's ``output`` (watched for pictures from now on)."""
    output.scroll_into_view_if_needed()
    output.evaluate(_WATCH_PICTURES)
    return output.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text=re.compile(f"^({label})$"))).first


def _press(pages: dict, name: str, label: str, presses: int, shots: str | None, notebook: str) -> list[dict]:
    """Press the arrow keys on the slider labelled ``label`` in every page, in turns; one row per page."""
    from playwright import sync_api

    handles = {key: _slider(output, page, label).locator(".noUi-handle").first
               for key, (_, page, output) in pages.items()}
    marks = {key: {"total": [], "first": [], "picture": []} for key in pages}
    missed = {key: 0 for key in pages}
    for block in range(presses // BLOCK + 1):       # the first block of each page warms up
        for key, (_, page, _) in pages.items():
            handles[key].focus()
            for k in range(BLOCK):
                press = block * BLOCK + k
                page.evaluate("window.__bench.keys = []; window.__bench.messages = []; window.__bench.pictures = []")
                page.keyboard.press("ArrowRight" if (press // 4) % 2 == 0 else "ArrowLeft")
                try:
                    page.wait_for_function("window.__bench.pictures.length > 0", timeout=10_000)
                except sync_api.TimeoutError:     # no new picture (counted, not timed)
                    missed[key] += 1
                    continue
                time.sleep(SETTLE)
                record = page.evaluate("window.__bench")
                if not block:
                    continue
                pressed = record["keys"][0]
                after = [m for m in record["messages"] if m[0] >= pressed]
                marks[key]["total"].append(record["pictures"][0] - pressed)
                if after:
                    marks[key]["first"].append(after[0][0] - pressed)
                big = [m for m in after if m[1] >= PICTURE_BYTES]
                if big:
                    marks[key]["picture"].append(big[0][0] - pressed)
    rows = []
    for (version, ratio), measured in marks.items():
        _, page, output = pages[(version, ratio)]
        if shots:
            output.screenshot(path=str(Path(shots) / f"latency-{notebook[:2]}-{version}-ratio{ratio:g}.png"))
        total = measured["total"]
        if not total:
            print(f"{name} {version} ratio {ratio:g}: no picture in {missed[(version, ratio)]} presses", flush=True)
            continue
        row = {"explorer": name, "version": version, "ratio": ratio,
               "median_ms": statistics.median(total), "p90_ms": _quantile(total, 0.9),
               "first_message_ms": statistics.median(measured["first"]) if measured["first"] else math.nan,
               "picture_message_ms": statistics.median(measured["picture"]) if measured["picture"] else math.nan,
               "presses": len(total), "no_picture": missed[(version, ratio)]}
        rows.append(row)
        print(f"{name:20s} {version:6s} ratio {ratio:g}: median {row['median_ms']:.1f} ms (p90 {row['p90_ms']:.1f}); "
              f"kernel's first message {row['first_message_ms']:.1f}, its picture {row['picture_message_ms']:.1f}; "
              f"{row['no_picture']} without picture", flush=True)
    return rows


DRAG_S = 2.0                    # a drag lasts this long, the mouse moving every 16 ms
NO_AHEAD = ("import backprop_helpers.widgets.ahead as _ahead\n"
            "_ahead.Ahead.schedule = lambda self, slider: None   # this page draws nothing ahead")


def _drag(pages: dict, name: str, label: str, drags: int) -> list[dict]:
    """Drag the slider labelled ``label`` with the mouse, back and forth, in every page in turns: the
    pictures shown per second during a drag."""
    handles, tracks = {}, {}
    for key, (_, page, output) in pages.items():
        slider = _slider(output, page, label)
        handles[key] = slider.locator(".noUi-handle").first
        tracks[key] = slider.locator(".noUi-target").first
    rates = {key: [] for key in pages}
    for number in range(drags + 1):                 # the first drag of each page warms up
        for key, (_, page, _) in pages.items():
            track = tracks[key].bounding_box()
            handle = handles[key].bounding_box()
            y = handle["y"] + handle["height"] / 2
            start, end = track["x"] + 0.3 * track["width"], track["x"] + 0.7 * track["width"]
            if number % 2:
                start, end = end, start
            page.mouse.move(handle["x"] + handle["width"] / 2, y)
            page.mouse.down()
            page.evaluate("window.__bench.pictures = []")
            began = page.evaluate("performance.now()")
            steps = int(DRAG_S / 0.016)
            for i in range(1, steps + 1):
                page.mouse.move(start + (end - start) * i / steps, y)
                time.sleep(0.016)
            released = page.evaluate("performance.now()")
            page.mouse.up()
            time.sleep(1.5)
            pictures = page.evaluate("window.__bench.pictures")
            if number:
                during = [t for t in pictures if began <= t <= released]
                rates[key].append(len(during) / ((released - began) / 1000))
    rows = []
    for (version, ratio) in pages:
        row = {"explorer": name, "version": version, "ratio": ratio,
               "pictures_per_s": statistics.median(rates[(version, ratio)])}
        rows.append(row)
        print(f"{name:20s} {version:9s} ratio {ratio:g}: drag: {row['pictures_per_s']:.1f} pictures/s", flush=True)
    return rows


def measure(ratios=(1.0, 2.0), presses: int = 30, before: str | None = None, lessons: tuple[str, ...] | None = None,
            floor: bool = True, shots: str | None = None, setup: str | None = None, drags: int = 0,
            beside_without_ahead: bool = False) -> dict:
    """Key press -> picture for each explorer in its lesson (and the floor), every version and ratio.

    Returns ``{"rows": [...], "load_average": (before, after)}``; a row holds the explorer, version,
    ratio, the medians and p90 of the total and the medians of the two marks (first kernel message,
    picture message), the presses timed and those that brought no picture.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    import browser_support as bs
    from playwright import sync_api

    load_before = os.getloadavg()[0]
    cases = [case for case in CASES if lessons is None or case[1][:2] in lessons]
    if floor:
        cases = [FLOOR, *cases]
    work = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    versions = {"after": (None, ROOT / "lessons")}
    if beside_without_ahead:
        versions["no ahead"] = (None, ROOT / "lessons")
    if before:
        old = Path(before).resolve()
        versions["before"] = (str(old), old / "lessons" if (old / "lessons").is_dir() else ROOT / "lessons")
    servers, rows = {}, []
    try:
        for version, (path, _) in versions.items():
            servers[version] = _lab(bs, work, version, path)
        with sync_api.sync_playwright() as playwright:
            for (name, lesson, label), ratio in itertools.product(cases, ratios):
                notebook = lesson or "floor.ipynb"
                pages = {}
                for version, (_, folder) in versions.items():
                    _notebook(folder, lesson, work / f"nb-{version}" / notebook,
                              {"after": setup, "no ahead": NO_AHEAD}.get(version))
                    pages[(version, ratio)] = _open(sync_api, playwright, servers[version], notebook, ratio)
                time.sleep(2.0)
                if drags:
                    rows.extend(_drag(pages, name, label, drags))
                else:
                    rows.extend(_press(pages, name, label, presses, shots, notebook))
                for browser, _, _ in pages.values():
                    browser.close()
                for server in servers.values():
                    _shut_down_kernels(server)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {"rows": rows, "load_average": (round(load_before, 2), round(os.getloadavg()[0], 2))}


def markdown(result: dict) -> str:
    """The table for ``bench/README.md``: one row per explorer, a column per version and ratio."""
    rows = result["rows"]
    keys = sorted({(r["version"], r["ratio"]) for r in rows}, key=lambda k: (k[1], k[0] != "before"))
    header = "| explorer (slider) | " + " | ".join(f"{v}, ratio {r:g}" for v, r in keys) + " |"
    lines = [header, "| --- |" + " ---: |" * len(keys)]
    for name in dict.fromkeys(r["explorer"] for r in rows):
        cells = []
        for key in keys:
            row = next((r for r in rows if r["explorer"] == name and (r["version"], r["ratio"]) == key), None)
            cells.append("" if row is None else
                         f"{row['median_ms']:.1f} ({row['p90_ms']:.1f}) [{row['first_message_ms']:.0f} / "
                         f"{row['picture_message_ms']:.0f}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratios", default="1,2", help="device pixel ratios, e.g. 1,2")
    parser.add_argument("--presses", type=int, default=30, help="presses timed per page and explorer")
    parser.add_argument("--before", default=None, help="a folder holding an older backprop_helpers (and lessons/)")
    parser.add_argument("--lessons", default=None, help="which lessons' explorers, e.g. 01,06")
    parser.add_argument("--drags", type=int, default=0,
                        help="drag the slider with the mouse this many times instead of pressing keys")
    parser.add_argument("--beside-without-ahead", action="store_true",
                        help="measure beside the same version with nothing drawn ahead (ahead.py off)")
    parser.add_argument("--no-floor", action="store_true", help="leave out the floor case")
    parser.add_argument("--setup", default=None, help="code run before the explorer's cell (this version only)")
    parser.add_argument("--shots", default=None, help="folder for a screenshot of each explorer after its presses")
    args = parser.parse_args()
    print(f"1-min load average before: {os.getloadavg()[0]:.2f}", flush=True)
    result = measure(tuple(float(r) for r in args.ratios.split(",")), args.presses, args.before,
                     None if args.lessons is None else tuple(args.lessons.split(",")), not args.no_floor, args.shots, args.setup, args.drags,
                     args.beside_without_ahead)
    if not args.drags:
        print(markdown(result))
    print(f"1-min load average before and after: {result['load_average']}")
