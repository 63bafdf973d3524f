"""Benchmark 6: the training playground (lesson 08): ticks of play per second, latency of its controls.

The playground is built by its factory and driven the way a browser drives it: a tick of play is
``view.play.value += 1`` (ipywidgets runs the observer synchronously: one epoch of training, the
snapshot of every heatmap on the 40x40 grid, the blitted redraw and the PNG); a control is moved by
setting its ``value``. Every timed action is checked: no message may appear, and a tick must produce
exactly one image.

Ticks, three contenders in rounds that rotate their order (each round starts every contender from
a reset, so every round times the same epochs):

- *ours*: the playground as shipped (``FigureView.refresh``: the animated artists over a saved
  background, then the PNG);
- *set_data + full draw*: the same playground with every refresh turned into ``FigureView.redraw``;
- *naive*: one epoch, then a new pyplot figure with the same content (network diagram, output, loss
  curve) per tick, saved as PNG the way the inline backend does and put into an ``ipywidgets.Output``.

Also the tick of the largest network (6 hidden layers of 8, all 7 input features) and of a network of
the learner's functions (``FunctionMLP`` with the reference functions), and the sustained rate of 100
ticks in a row. Controls: the cheap ones (toggles, learning rate, batch size, regularisation rate)
against the target of 15 ms median per move; those that build new data or a new network (noise, the
training share, layers, a feature) are listed too, for what they cost.

Targets (issue 4): >= 20 ticks per second at the default settings; <= 15 ms median per move of a
cheap control.
"""
from __future__ import annotations

import io
import os
import statistics
import time
from types import SimpleNamespace
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["TARGET_TICKS_PER_S", "TARGET_MS", "run", "markdown"]

TARGET_TICKS_PER_S = 20.0
TARGET_MS = 15.0
TICKS_PER_ROUND = {"ours": 10, "full_draw": 4, "naive": 2}
LABELS = {"ours": "ours (blitting)", "full_draw": "set_data + full draw", "naive": "naive re-render"}


def _stats(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"median_ms": statistics.median(s), "p90_ms": s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))],
            "n": len(s)}


def _ticker(view) -> Callable[[], None]:
    def tick() -> None:
        before = view.view.render_count
        view.play.value += 1
        if view.view.render_count != before + 1 or view.message.value:
            raise RuntimeError(f"bench_playground: a tick gave {view.view.render_count - before} images, "
                               f"message {view.message.value!r}")
    return tick


def _naive_ticker(view) -> Callable[[], None]:
    """One epoch, then the whole figure made anew with pyplot and saved like the inline backend."""
    import ipywidgets

    from backprop_helpers.widgets.playground.figure import DPI, FIGSIZE, PlaygroundFigure

    out = ipywidgets.Output()
    session = view.session

    def tick() -> None:
        session.train(1)
        fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        drawing = PlaygroundFigure(SimpleNamespace(figure=fig, animate=lambda *artists: None))
        s = session.settings
        drawing.set_layout(s.features, s.hidden, session.data.task, s.activation, session.data,
                           session.feature_grids)
        drawing.show(session.snapshot, session.link_weights(), session.train_losses, session.test_losses,
                     task=session.data.task)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)
        out.outputs = ({"output_type": "display_data", "data": {"image/png": buffer.getvalue()},
                        "metadata": {}},)
    return tick


def _measure_ticks(rounds: int) -> dict:
    from backprop_helpers.widgets import playground

    ours, full, naive = playground(), playground(), playground()
    full.view.refresh = full.view.redraw
    contenders = {"ours": (ours, _ticker(ours)), "full_draw": (full, _ticker(full)),
                  "naive": (naive, _naive_ticker(naive))}
    for _, tick in contenders.values():
        for _ in range(3):
            tick()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(rounds):
        order = names[r % 3:] + names[:r % 3]
        for name in order:
            view, tick = contenders[name]
            view.reset()
            for _ in range(TICKS_PER_ROUND[name]):
                t0 = time.perf_counter()
                tick()
                times[name].append((time.perf_counter() - t0) * 1e3)
    result = {k: _stats(v) for k, v in times.items()}
    width, height = ours.view.figure.canvas.get_width_height()
    return {"contenders": result, "figure_px": [width, height],
            "png_kb": round(len(ours.view.image_bytes()) / 1024, 1),
            "ticks_per_s": 1000.0 / result["ours"]["median_ms"],
            "speedup_vs_naive": result["naive"]["median_ms"] / result["ours"]["median_ms"]}


def _measure_variant(name: str, make: Callable[[], Any], ticks: int) -> dict:
    view = make()
    tick = _ticker(view)
    for _ in range(3):
        tick()
    view.reset()
    ms = []
    for _ in range(ticks):
        t0 = time.perf_counter()
        tick()
        ms.append((time.perf_counter() - t0) * 1e3)
    stats = _stats(ms)
    return {"variant": name, **stats, "ticks_per_s": 1000.0 / stats["median_ms"]}


def _sustained(ticks: int) -> dict:
    """``ticks`` ticks in a row from a reset, wall time: what play does, with its growing loss curve."""
    from backprop_helpers.widgets import playground

    view = playground()
    tick = _ticker(view)
    tick()
    view.reset()
    t0 = time.perf_counter()
    for _ in range(ticks):
        tick()
    seconds = time.perf_counter() - t0
    return {"ticks": ticks, "seconds": seconds, "ticks_per_s": ticks / seconds}


def _breakdown(rounds: int) -> dict:
    """Median ms of the parts of a tick, timed one after another in each of ``5 * rounds`` rounds."""
    import numpy as np

    from backprop_helpers.widgets import playground
    from backprop_helpers.widgets.render import png_bytes

    view = playground()
    session, figure = view.session, view.figure
    for _ in range(20):
        view.play.value += 1
    rgba = np.asarray(view.view.figure.canvas.buffer_rgba())
    parts = {
        "one epoch and the evaluation on grid and points (session.train)": lambda: session.train(1),
        "new data into the artists (PlaygroundFigure.show)": lambda: figure.show(
            session.snapshot, session.link_weights(), session.train_losses, session.test_losses),
        "blit: background, animated artists, PNG, into the widget (FigureView.refresh)": view.view.refresh,
        "of which the PNG encoding (png_bytes)": lambda: png_bytes(rgba),
    }
    times: dict[str, list[float]] = {k: [] for k in parts}
    for _ in range(5 * rounds):
        for name, part in parts.items():
            t0 = time.perf_counter()
            part()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: statistics.median(ts) for name, ts in times.items()}


#: control name -> (values to cycle through, what a move redraws, cheap?)
CONTROLS = {
    "show_test": ([False, True], "blit: test points shown or hidden", True),
    "discretize": ([True, False], "blit: output thresholded or not", True),
    "lr": ([0.1, 0.03], "nothing (the next epoch uses it): readout", True),
    "batch_size": ([20, 10], "nothing (the next epoch uses it): readout", True),
    "reg_rate": ([0.001, 0.0], "nothing (the next epoch uses it): readout", True),
    "noise": ([0.1, 0.0], "new data and network, full redraw", False),
    "train_percent": ([60, 50], "new split and network, full redraw", False),
    "layers": ([3, 2], "new network, full redraw", False),
    "feature x1^2": ([True, False], "new network, full redraw", False),
}


def _measure_controls(rounds: int) -> list[dict]:
    from backprop_helpers.widgets import playground

    view = playground()
    for _ in range(20):                               # a trained network, a loss curve to draw
        view.play.value += 1
    rows = []
    for name, (values, redraws, cheap) in CONTROLS.items():
        widget = view.features["x1^2"] if name.startswith("feature") else getattr(view, name)
        ms = []
        for i in range(max(2 * rounds, 6) + 2):
            t0 = time.perf_counter()
            widget.value = values[i % 2]
            elapsed = (time.perf_counter() - t0) * 1e3
            if view.message.value:
                raise RuntimeError(f"bench_playground: moving {name} showed {view.message.value!r}")
            if i >= 2:                                 # the first two moves warm caches up
                ms.append(elapsed)
        rows.append({"control": name, "redraws": redraws, "cheap": cheap, **_stats(ms),
                     "met": (statistics.median(ms) <= TARGET_MS) if cheap else None})
    return rows


def run(settings: Any) -> dict:
    """Ticks and control moves of the playground; ``settings.rounds`` rounds (3 in a quick run)."""
    from backprop_helpers.learner_model import reference_functions
    from backprop_helpers.widgets import playground
    from backprop_helpers.widgets.playground.model import FEATURES

    rounds = settings.rounds if not settings.smoke else 3
    ticks = 40 if not settings.smoke else 5
    result = {"ticks": _measure_ticks(rounds),
              "variants": [
                  _measure_variant("default: circle, inputs x1 x2, layers 4 2, tanh, batch 10",
                                   lambda: playground(), ticks),
                  _measure_variant("largest: all 7 inputs, 6 layers of 8", lambda: playground(
                      features=list(FEATURES), hidden=[8] * 6), ticks),
                  _measure_variant("your functions: FunctionMLP (reference functions), defaults",
                                   lambda: playground(functions=reference_functions("tanh")), ticks),
                  _measure_variant("batch size 1 (250 steps per epoch)", lambda: playground(batch_size=1),
                                   max(ticks // 4, 3))],
              "sustained": _sustained(100 if not settings.smoke else 10),
              "breakdown": _breakdown(rounds),
              "controls": _measure_controls(rounds),
              "target_ticks_per_s": TARGET_TICKS_PER_S, "target_ms": TARGET_MS,
              "ticks_per_round": TICKS_PER_ROUND, "load_average_1min": round(os.getloadavg()[0], 2)}
    result["met_ticks"] = result["ticks"]["ticks_per_s"] >= TARGET_TICKS_PER_S
    result["met_controls"] = all(r["met"] for r in result["controls"] if r["cheap"])
    return result


# -------------------------------------------------------------------------------------- report

def markdown(section: dict) -> str:
    """The playground's tables, from the ``playground`` section that ``run.py`` writes to the JSON."""
    r = section["result"]
    t = r["ticks"]
    c = t["contenders"]
    verdict = {True: "MET", False: "NOT MET"}
    cheap = [row for row in r["controls"] if row["cheap"]]
    worst = max(row["median_ms"] for row in cheap)
    lines = ["| target | measured | verdict |", "| --- | ---: | --- |",
             f"| ticks of play per second, default settings: >= {r['target_ticks_per_s']:g} | "
             f"{t['ticks_per_s']:.1f} (median tick {c['ours']['median_ms']:.1f} ms) | "
             f"{verdict[r['met_ticks']]} |",
             f"| cheap control move: <= {r['target_ms']:g} ms median | {worst:.1f} ms (slowest of "
             f"{len(cheap)}) | {verdict[r['met_controls']]} |", "",
             "Milliseconds per tick of play at the default settings (median, and p90 in brackets): one "
             "epoch of training, the heatmaps, the redraw and the PNG for the browser:", "",
             "| figure (px) | PNG per tick | ours (blitting) | set_data + full draw | naive re-render | "
             "naive / ours |", "| --- | ---: | ---: | ---: | ---: | ---: |",
             f"| {t['figure_px'][0]}x{t['figure_px'][1]} | {t['png_kb']:.0f} KB | "
             + " | ".join(f"{'**' if k == 'ours' else ''}{c[k]['median_ms']:.1f} ({c[k]['p90_ms']:.1f})"
                          f"{'**' if k == 'ours' else ''}" for k in ("ours", "full_draw", "naive"))
             + f" | {t['speedup_vs_naive']:.1f}x |", "",
             "Other networks (ours, ticks timed one after another from a reset):", "",
             "| network | median tick | p90 | ticks per second |", "| --- | ---: | ---: | ---: |"]
    for v in r["variants"]:
        lines.append(f"| {v['variant']} | {v['median_ms']:.1f} ms | {v['p90_ms']:.1f} ms | "
                     f"{v['ticks_per_s']:.1f} |")
    lines += ["", "Where a tick's time goes (median ms of each part, timed back to back):", "",
              "| part of a tick | ms |", "| --- | ---: |"]
    lines += [f"| {name} | {ms:.1f} |" for name, ms in r.get("breakdown", {}).items()]
    s = r["sustained"]
    lines += ["", f"Sustained: {s['ticks']} ticks in a row from a reset took {s['seconds']:.2f} s, "
              f"**{s['ticks_per_s']:.1f} ticks per second** (the Play timer asks for at most 25: one "
              f"tick per 40 ms, slowed down automatically when ticks take longer).", "",
              "Milliseconds per control move (median, p90), a trained network on screen:", "",
              "| control | what a move redraws | median | p90 | target <= 15 ms |",
              "| --- | --- | ---: | ---: | --- |"]
    for row in r["controls"]:
        met = verdict[row["met"]] if row["cheap"] else "not a cheap control"
        lines.append(f"| {row['control']} | {row['redraws']} | {row['median_ms']:.1f} | "
                     f"{row['p90_ms']:.1f} | {met} |")
    lines += ["", f"_Command: `{section['command']}` ({section['mode']} mode, {section['date']}, "
              f"{section['seconds']:.0f} s, 1-min load average {section['load_average_1min'][0]:g} before, "
              f"{section['load_average_1min'][1]:g} after)._"]
    return "\n".join(lines)
