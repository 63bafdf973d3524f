"""Helpers for the real-browser tests (test_browser.py, test_browser_explorers.py,
test_browser_playground.py): servers, the browser, and the page.

Nothing here is collected as a test. The servers (JupyterLab, Voila) run in a process group of their
own on 127.0.0.1 with a token, in an isolated HOME, and are stopped by their process group id.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = [
    "BROWSER_ARGS", "ERROR_TEXTS", "FALLBACK_TEXT", "Server", "copy_through_last_widget",
    "find_chromium", "free_port", "isolated_env", "launched_chromium", "notebooks_with_widgets",
    "skip_or_fail", "start_lab", "start_server", "widget_console_errors",
]


def skip_or_fail(reason: str) -> None:
    """Skip the calling test module with ``reason``; fail instead under CI, which installs what the
    browser tests need (.ci/run)."""
    import pytest
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent

#: Flags for Debian's chromium: headless, no sandbox (CI runs as root), and nothing that reaches out.
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

#: A widget shown as text because no widget manager rendered it, e.g. ``IntSlider(value=1, ...)``.
FALLBACK_TEXT = re.compile(
    r"\b(Int|Float|FloatLog|IntRange|FloatRange|Selection|SelectionRange)Slider\(|\b[VH]Box\(|"
    r"\bPlay\(|\bToggleButtons?\(|\bDropdown\(")
#: Text that the widget manager shows when a widget fails.
ERROR_TEXTS = ("Error displaying widget", "Failed to load model class", "model not found")

#: Source text that marks a notebook as holding a widget.
WIDGET_MARKERS = re.compile(r"backprop_helpers\.widgets|\b\w+_explorer\(|\bplayground\(")


def find_chromium() -> str | None:
    """Return the path of Debian's chromium (``/usr/bin/chromium`` or ``chromium`` on PATH), or None."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _widget_cells(notebook: dict) -> list[int]:
    """Indices of the code cells that mention ``backprop_helpers.widgets`` or an explorer factory."""
    return [i for i, cell in enumerate(notebook.get("cells", []))
            if cell.get("cell_type") == "code" and WIDGET_MARKERS.search("".join(cell.get("source", "")))]


def notebooks_with_widgets(folder: Path) -> list[Path]:
    """Notebooks in ``folder`` whose code mentions ``backprop_helpers.widgets`` or an explorer factory."""
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _widget_cells(notebook):
            found.append(path)
    return found


def copy_through_last_widget(source: Path, target: Path) -> int:
    """Copy a notebook without the cells after its last widget cell; return how many were dropped.

    The browser test runs every cell of the copy: all that the widgets depend on, and none of the
    later experiments, which the notebook tests (nbval) already run.
    """
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    last = max(_widget_cells(notebook), default=len(cells) - 1)
    notebook["cells"] = cells[:last + 1]
    target.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return len(cells) - last - 1


def isolated_env(home: Path) -> dict[str, str]:
    """An environment whose HOME and every Jupyter, IPython and matplotlib folder live in ``home``.

    It also writes JupyterLab user settings there: no news or update notifications (the machine has no
    network and a toast could cover the page), and no notebook windowing, so every cell is in the page
    and its prompt can be read.
    """
    config = home / ".jupyter"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_", "IPYTHON")) and k != "MPLBACKEND"}
    env.update(
        HOME=str(home), JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        IPYTHONDIR=str(home / ".ipython"), MPLCONFIGDIR=str(home / ".config/matplotlib"),
        XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"), BACKPROP_BLAS_THREADS="1", PYTHONUNBUFFERED="1",
    )
    settings = config / "lab" / "user-settings" / "@jupyterlab"
    for relative, values in [
        ("apputils-extension/notification.jupyterlab-settings",
         {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}),
        ("notebook-extension/tracker.jupyterlab-settings", {"windowingMode": "none"}),
    ]:
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return env


class Server:
    """A server process in its own process group, with its base URL, token and log file."""

    def __init__(self, process: subprocess.Popen, url: str, token: str, log: Path):
        self.process, self.url, self.token, self.log = process, url, token, log

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is not None:
            return
        group = self.process.pid  # started with start_new_session, so the pid is the group id
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


def start_server(command: list[str], *, env: dict[str, str], cwd: Path, port: int, token: str,
                 status_path: str, log: Path, timeout: float = 90.0) -> Server:
    """Start ``command`` and wait until ``http://127.0.0.1:port{status_path}`` answers 200 with the token.

    Raises RuntimeError, with the end of the server's log, when the process exits or the timeout passes.
    """
    handle = log.open("w")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", token, log)
    request = urllib.request.Request(server.url + status_path,
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:3]} exited with status {process.returncode}:\n"
                               + server.log_tail())
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{command[:3]} did not answer {status_path} within {timeout:.0f} s:\n"
                       + server.log_tail())


def start_lab(base: Path) -> "Server":
    """JupyterLab on 127.0.0.1 serving ``base/notebooks``, with ``base/home`` as its home and a token
    that stays off the command line; its log is ``base/lab.log``."""
    env = isolated_env(base / "home")
    token = new_token()
    env["JUPYTER_TOKEN"] = token
    port = free_port()
    command = jupyter_command("lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                              "--ServerApp.port_retries=0", f"--ServerApp.root_dir={base / 'notebooks'}",
                              *root_flags())
    return start_server(command, env=env, cwd=base / "notebooks", port=port, token=token,
                        status_path="/api/status", log=base / "lab.log")


@contextlib.contextmanager
def launched_chromium():
    """Debian's chromium, headless, launched by Playwright (never a browser of Playwright's own)."""
    from playwright import sync_api
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_hex(24)


def root_flags() -> list[str]:
    """``--allow-root`` when running as root (as CI does), else nothing."""
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def jupyter_command(*args: str) -> list[str]:
    """``.venv/bin/jupyter <args>`` when it exists beside this interpreter, else ``python -m jupyter``."""
    beside = Path(sys.executable).with_name("jupyter")
    return [str(beside), *args] if beside.exists() else [sys.executable, "-m", "jupyter", *args]


def widget_console_errors(messages: list[str]) -> list[str]:
    """The console messages that speak of widgets or their manager."""
    pattern = re.compile(r"widget|jupyter-widgets|manager|ipywidgets", re.IGNORECASE)
    return [m for m in messages if pattern.search(m)]


# ------------------------------------------------------------------ the explorers (lessons 01-06)

def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells (no outputs) with the python3 kernel; return its path."""
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
                           "execution_count": None} for source in cells],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


#: JavaScript: the bytes of the image an <img> shows (its blob URL read back), base64-encoded.
SHOWN_IMAGE_JS = """async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
}"""

#: JavaScript: what has the keyboard focus, as the accessibility tree names it.
FOCUSED_JS = """(output) => {
    const e = document.activeElement;
    if (!e) return null;
    return {tag: e.tagName.toLowerCase(), role: e.getAttribute("role") || "", inside: output.contains(e),
            name: e.getAttribute("aria-label") || (e.labels && e.labels[0] ? e.labels[0].textContent : "")
                  || e.textContent.trim(),
            disabled: e.getAttribute("aria-disabled") === "true" || e.disabled === true,
            at_max: e.getAttribute("aria-valuenow") !== null
                    && e.getAttribute("aria-valuenow") === e.getAttribute("aria-valuemax"),
            index: e.selectedIndex === undefined ? -1 : e.selectedIndex,
            options: e.options ? e.options.length : 0};
}"""


# ------------------------------------------------------------------------------ the playground
# Helpers of tests/test_browser_playground.py: the playground's page as `make playground` serves it,
# what the page asked of the network, and its front end's own measurements.

#: Console messages that are expected and harmless: JupyterLab's and Voila's shared-module version
#: warnings (logged as warnings, listed here in case a build logs them as errors).
EXPECTED_CONSOLE = re.compile(r"Unsatisfied version|No satisfying version|Available versions")


def start_playground_page(workdir: Path, notebook: Path | None = None) -> Server:
    """Voila serving the playground's page exactly as `make playground` does (the command comes from
    ``backprop_helpers.widgets.playground.server.voila_command``), or ``notebook`` with the same
    options, on a free port of 127.0.0.1 with a fresh token, in an isolated HOME."""
    from backprop_helpers.widgets.playground.server import PAGE, voila_command

    notebook = notebook or PAGE
    home = workdir / f"playground-home-{notebook.stem}"
    home.mkdir(exist_ok=True)
    env = isolated_env(home)
    token = new_token()
    env["JUPYTER_TOKEN"] = token
    port = free_port()
    voila = shutil.which("voila", path=str(Path(jupyter_command()[0]).parent)) or "voila"
    command, extra = voila_command(port, home / "no-voila-config", notebook=notebook, voila=voila)
    env.update(extra)
    return start_server(command, env=env, cwd=notebook.parent, port=port, token=token,
                        status_path="/login", log=workdir / f"voila-{notebook.stem}.log")


def outside_requests(urls: list[str]) -> list[str]:
    """The URLs that leave the machine: anything but 127.0.0.1 (http or websocket), data: and blob:."""
    local = re.compile(r"^(https?|wss?)://127\.0\.0\.1(:\d+)?/|^(data|blob|about):")
    return [url for url in urls if not local.match(url)]


def kernel_exists(server: Server, kernel_id: str) -> bool:
    """Whether the server still has the kernel ``kernel_id`` (GET /api/kernels/<id> answers 200)."""
    request = urllib.request.Request(f"{server.url}/api/kernels/{kernel_id}",
                                     headers={"Authorization": f"token {server.token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise


#: JavaScript: the playground's measurements (root.bpgStats): medians and the epochs drawn.
PLAYGROUND_STATS_JS = """(root) => {
    const s = root.bpgStats;
    const med = (a) => { if (!a.length) return null; const b = [...a].sort((x, y) => x - y);
                         return b[Math.floor(b.length / 2)]; };
    return {round_trip_ms: med(s.roundTrip), wait_ms: med(s.wait), draw_ms: med(s.draw),
            render_ms: med(s.render), kernel_ms: med(s.kernel), frame_interval_ms: med(s.interval),
            bytes: med(s.bytes), epochs: [...s.epochs], drawn: Number(root.dataset.drawn || 0),
            epoch: Number(root.dataset.epoch || 0)};
}"""

#: JavaScript: the controls of an element that have no accessible name (aria-label, aria-labelledby,
#: a <label>, a legend, or their own text), as short descriptions.
UNNAMED_CONTROLS_JS = """(root) => {
    const controls = root.querySelectorAll(
        'button, select, input, textarea, [role=button], [role=img], [tabindex]');
    const unnamed = [];
    for (const el of controls) {
        if (el.closest('[hidden]') || el.getAttribute('aria-hidden') === 'true') continue;
        const named = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby')
            || (el.labels && [...el.labels].some(l => l.textContent.trim()))
            || (el.tagName === 'BUTTON' && el.textContent.trim());
        if (!named) unnamed.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}`);
    }
    return unnamed;
}"""


def svg_path_midpoint(locator) -> tuple[float, float]:
    """The page coordinates of the middle of an SVG path (to hover a thin, curved link)."""
    return tuple(locator.evaluate("""(path) => {
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        const m = path.getScreenCTM();
        return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f];
    }"""))

__all__ += ["EXPECTED_CONSOLE", "PLAYGROUND_STATS_JS", "UNNAMED_CONTROLS_JS", "kernel_exists",
            "outside_requests", "start_playground_page", "svg_path_midpoint"]
