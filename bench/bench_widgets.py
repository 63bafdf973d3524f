"""Benchmark 4: latency of a slider move in the explorers (lessons 01-04, 06).

Each explorer is built by its factory and driven the way a browser drives it: set a control's
``value``; ipywidgets runs the observer synchronously, which recomputes the model, updates the
persistent figure (blitting), encodes the PNG and puts it into the ``ipywidgets.Image``. One move is
timed from the assignment to its return, and checked: the view must have produced exactly one new
image and shown no message. Three contenders per explorer, timed in rounds that rotate their order:

- *ours*: the explorer as shipped (``FigureView.refresh``: restore the background, draw the
  animated artists, PNG), drawn at pixel ratio 2 (what a display of ratio 2 or more gets, and
  the default until the page reports its ratio);
- *ours at ratio 1*: the same at pixel ratio 1 (what a display of ratio 1 gets);
- *set_data + full draw*: the same explorer with every refresh turned into ``FigureView.redraw``
  (the whole figure drawn again each move, still into the same persistent figure);
- *naive*: what a notebook does without a persistent figure: a new pyplot figure with the same
  content per move, saved as PNG the way the inline backend does (``bbox_inches="tight"``) and put
  into an ``ipywidgets.Output``.

Target (issue 4): <= 15 ms median per move for ours. The garbage collector stays on (a learner's
kernel has it on); wall-clock times move with the load of the shared machine, so the CPU time of each
move (``time.process_time``) is recorded beside them.

``python bench/bench_widgets_browser.py`` measures the whole loop instead, in Debian's chromium: from
a key press on a slider's handle to the figure's new picture, each explorer in its lesson's page.
"""
from __future__ import annotations

import io
import os
import statistics
import time
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["TARGET_MS", "run", "markdown", "targets"]

TARGET_MS = 15.0
MOVES_PER_ROUND = {"ours": 8, "ours_1x": 8, "full_draw": 3, "naive": 1}
SMOKE_MOVES = {"ours": 4, "ours_1x": 4, "full_draw": 1, "naive": 1}
LABELS = {"ours": "ours (blitting), ratio 2", "ours_1x": "ours, ratio 1", "full_draw": "set_data + full draw",
          "naive": "naive re-render"}


# ------------------------------------------------------------------------------ naive re-render

def _inline_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")   # what the inline backend does
    plt.close(fig)
    return buf.getvalue()


def _naive_neuron(ex) -> bytes:
    from backprop_helpers.widgets.neuron import decision_line, neuron_output

    w1, w2, b, act = ex.w1.value, ex.w2.value, ex.b.value, ex.activation.value
    e = ex.extent
    fig, ax = plt.subplots(figsize=(5.4, 4.3))
    im = ax.imshow(neuron_output(ex.grid, w1, w2, b, act), extent=(-e, e, -e, e), origin="lower",
                   cmap=ex.image.mappable.get_cmap(), vmin=ex.image.get_clim()[0], vmax=ex.image.get_clim()[1])
    fig.colorbar(im, ax=ax, label=f"neuron output a = {act}(z)")
    from backprop_helpers.plots.palette import CLASS_COLORS

    ax.scatter(ex.X[:, 0], ex.X[:, 1], c=np.where(ex.y == 1, CLASS_COLORS[1], CLASS_COLORS[0]), s=26,
               edgecolors="black", linewidths=0.7)
    wrong = ((ex.X @ np.array([w1, w2]) + b) > 0) != (ex.y == 1)
    ax.scatter(ex.X[wrong, 0], ex.X[wrong, 1], marker="x", s=46, c="black")
    ax.plot(*decision_line(w1, w2, b, e), color="black", lw=2)
    norm = np.hypot(w1, w2)
    if norm:
        unit = np.array([w1, w2]) / norm
        foot = -b * unit / norm
        ax.annotate("", xy=foot + unit, xytext=foot, arrowprops=dict(arrowstyle="->", lw=2))
    ax.set_xlim(-e, e)
    ax.set_ylim(-e, e)
    ax.set_title(f"a = {act}(w1 x1 + w2 x2 + b)", fontsize=10)
    return _inline_png(fig)


def _naive_loss(ex) -> bytes:
    from backprop_helpers.widgets.loss_curve import loss_curve, loss_point, tangent_line

    kind = ex.kind.value
    x, target = ex.current()
    point = loss_point(kind, x, target, ex.other_scores)
    fig, ax = plt.subplots(figsize=(5.6, 3.9))
    ax.plot(ex.xs, loss_curve(kind, ex.xs, target, ex.other_scores), lw=2, label="loss L")
    ax.plot(*tangent_line(x, point.loss, point.gradient, 0.12 * np.ptp(ex.xs)), lw=2, label="tangent")
    ax.plot([x], [point.loss], "o", ms=8)
    ax.set_xlim(ex.xs[0], ex.xs[-1])
    ax.set_ylim(*ex.ax.get_ylim())
    ax.legend()
    ax.set_title(ex.title.get_text(), fontsize=10)
    return _inline_png(fig)


def _naive_step_size(ex) -> bytes:
    from backprop_helpers.widgets.step_size import ERROR_FLOOR, error_curves, errors_at

    h, dtype, function = float(ex.h.value), ex.dtype.value, ex.function.value
    curves = error_curves(function, dtype, ex.x0)          # a naive cell recomputes everything
    now = errors_at(function, h, dtype, ex.x0)
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    for m in ("forward", "central", "complex_step"):
        ax.loglog(curves.h, np.maximum(getattr(curves, m), ERROR_FLOOR), label=m)
        ax.plot([h], [max(now[m], ERROR_FLOOR)], "o", ms=8)
    ax.axvline(h, color="black")
    ax.grid(True)
    ax.legend(loc="lower left")
    ax.set_title(ex.title.get_text(), fontsize=10)
    return _inline_png(fig)


def _naive_step_through(ex) -> bytes:
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from backprop_helpers.widgets.graph_walk import fmt, neuron_loss_graph, walk_graph
    from backprop_helpers.widgets.step_through import SLIDER_RANGES

    walk = walk_graph(neuron_loss_graph(**{k: getattr(ex, k).value for k in SLIDER_RANGES}))
    fig, ax = plt.subplots(figsize=ex._size)
    ax.set_xlim(0, ex._size[0])
    ax.set_ylim(-ex._size[1], 0)
    ax.axis("off")
    for i, node in enumerate(walk.nodes):                 # the walk at its start: only the leaves known
        x, y = ex._centre(node)
        ax.add_patch(FancyBboxPatch((x - 0.49, y - 0.28), 0.98, 0.56, boxstyle="round,pad=0.02",
                                    fc="#E3EEF8" if not node.parents else "white", ec="#444444"))
        ax.text(x, y + 0.38, node.formula, ha="center", va="center", fontsize=8.5, fontweight="bold")
        ax.text(x, y + 0.17, f"value {fmt(node.value)}" if not node.parents else "value ?", ha="center",
                va="center", fontsize=8)
        ax.text(x, y - 0.17, "grad ?", ha="center", va="center", fontsize=8, color="#9E9E9E")
        for p in node.parents:
            (x0, y0) = ex._centre(walk.nodes[p])
            ax.add_patch(FancyArrowPatch((x0 + 0.49, y0), (x - 0.49, y), arrowstyle="-|>",
                                         mutation_scale=9, color="#9E9E9E", shrinkA=0, shrinkB=0))
    ax.text(0.12, -0.17, "L = (σ(w1·x1 + w2·x2 + b) − y)²", fontsize=10, fontweight="bold", va="center")
    return _inline_png(fig)


def _naive_descent(ex) -> bytes:
    from backprop_helpers.widgets.surfaces import SURFACES, descend

    s = SURFACES[ex.surface.value]
    run = descend(s, (ex.x0.value, ex.y0.value), ex.optimizer.value, ex.lr.value, ex.momentum.value,
                  ex.steps.value)
    fig, (ax, axl) = plt.subplots(1, 2, figsize=(8.8, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    gx, gy = np.meshgrid(np.linspace(*s.xlim, 200), np.linspace(*s.ylim, 200))
    above = s.function(gx, gy) - s.min_value
    levels = np.geomspace(above.max() * 1e-4, above.max(), 17)
    ax.contourf(gx, gy, np.clip(above, levels[0], None), levels=levels, cmap="YlGnBu_r", alpha=0.45)
    ax.contour(gx, gy, np.clip(above, levels[0], None), levels=levels, colors="#5f7f99", linewidths=0.6)
    ax.plot(*run.path.T, "-o", color="#d55e00", ms=2.5)
    ax.plot(*s.minima.T, "*", ms=14, color="white", mec="black")
    ax.set_xlim(*s.xlim)
    ax.set_ylim(*s.ylim)
    ax.set_aspect("equal")
    ax.set_title(f"{s.name}: {s.formula}", fontsize=10)
    axl.semilogy(np.maximum(run.losses - s.min_value, 1e-12), color="#d62728")
    axl.set_title("loss above the minimum, L − L*", fontsize=10)
    return _inline_png(fig)


# ------------------------------------------------------------------------------------ the cases

def _cases() -> list[dict]:
    from backprop_helpers.widgets import (descent_explorer, loss_explorer, neuron_explorer,
                                          step_size_explorer, step_through_explorer)

    def sweep(lo, hi, n):
        up = np.round(np.linspace(lo, hi, n), 6)
        return np.concatenate([up, up[-2:0:-1]]).tolist()        # back and forth, no repeats

    return [
        dict(name="neuron (lesson 01)", control="w1", make=lambda: neuron_explorer(),
             values=sweep(-2.0, 2.0, 81), naive=_naive_neuron),
        dict(name="loss: squared error (02)", control="prediction", make=lambda: loss_explorer("mse"),
             values=sweep(-2.5, 2.5, 101), naive=_naive_loss),
        dict(name="loss: cross-entropy (02)", control="score",
             make=lambda: loss_explorer("cross_entropy"), values=sweep(-5.0, 5.0, 101), naive=_naive_loss),
        dict(name="loss: binary cross-entropy (02)", control="probability",
             make=lambda: loss_explorer("binary_cross_entropy"), values=sweep(0.01, 0.99, 99),
             naive=_naive_loss),
        dict(name="step size, float64 (03)", control="h", make=lambda: step_size_explorer(),
             values=[10.0 ** e for e in sweep(-15.0, -1.0, 57)], naive=_naive_step_size),
        dict(name="step size, float32 (03)", control="h",
             make=lambda: step_size_explorer(dtype="float32"),
             values=[10.0 ** e for e in sweep(-15.0, -1.0, 57)], naive=_naive_step_size),
        dict(name="backprop step-through (04)", control="x1", make=lambda: step_through_explorer(),
             values=sweep(-2.0, 2.0, 41), naive=_naive_step_through),
        dict(name="descent: sgd on the ravine (06)", control="lr", make=lambda: descent_explorer(),
             values=[10.0 ** e for e in sweep(-2.0, -0.4, 33)], naive=_naive_descent),
        dict(name="descent: adam, 300 steps (06)", control="x0",
             make=lambda: descent_explorer("rosenbrock", "adam", lr=0.05, steps=300),
             values=sweep(-1.8, -0.6, 25), naive=_naive_descent),
    ]


def _mover(ex, control: str, values: list[float]) -> Callable[[], None]:
    """One slider move: set the next value; the update must produce exactly one image, no message."""
    widget = getattr(ex, control)
    state = {"i": values.index(widget.value) if widget.value in values else -1}

    def move() -> None:
        state["i"] = (state["i"] + 1) % len(values)
        before = ex.view.render_count
        widget.value = values[state["i"]]
        if ex.view.render_count != before + 1 or ex.message.value:
            raise RuntimeError(f"bench_widgets: moving {control} to {values[state['i']]!r} gave "
                               f"{ex.view.render_count - before} images, message {ex.message.value!r}")
    return move


def _stats(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"median_ms": statistics.median(s), "p90_ms": s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))],
            "moves": len(s)}


def _measure_case(case: dict, rounds: int, warmup: int = 3, moves: dict | None = None) -> dict:
    import ipywidgets

    ours = case["make"]()
    ours.view.set_pixel_ratio(2)
    ours_1x = case["make"]()
    ours_1x.view.set_pixel_ratio(1)
    full = case["make"]()
    full.view.set_pixel_ratio(2)
    full.view.refresh = full.view.redraw           # every move draws the whole figure
    naive_ex = case["make"]()                      # holds the state that the naive cell plots
    naive_control = getattr(naive_ex, case["control"])
    naive_control.unobserve(naive_ex._on_change, names="value")   # its own update is not run
    out = ipywidgets.Output()
    position = {"i": 0}

    def naive() -> None:
        position["i"] = (position["i"] + 1) % len(case["values"])
        naive_control.value = case["values"][position["i"]]
        png = case["naive"](naive_ex)
        out.outputs = ({"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},)

    contenders = {"ours": _mover(ours, case["control"], case["values"]),
                  "ours_1x": _mover(ours_1x, case["control"], case["values"]),
                  "full_draw": _mover(full, case["control"], case["values"]), "naive": naive}
    for fn in contenders.values():                 # warm-up: caches, fonts, first draws
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    cpu: dict[str, list[float]] = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            for _ in range((moves or MOVES_PER_ROUND)[name]):
                c0, t0 = time.process_time_ns(), time.perf_counter_ns()
                contenders[name]()
                times[name].append((time.perf_counter_ns() - t0) * 1e-6)
                cpu[name].append((time.process_time_ns() - c0) * 1e-6)
    png_kb = len(ours.view.image_bytes()) / 1024
    png_kb_1x = len(ours_1x.view.image_bytes()) / 1024
    width, height = ours.view.css_size
    result = {k: _stats(v) for k, v in times.items()}
    for k in result:
        result[k]["cpu_median_ms"] = statistics.median(cpu[k])
    return {"explorer": case["name"], "control": case["control"], "figure_px": [width, height],
            "png_kb": round(png_kb, 1), "png_kb_1x": round(png_kb_1x, 1), "contenders": result,
            "speedup_vs_naive": result["naive"]["median_ms"] / result["ours"]["median_ms"],
            "met": result["ours"]["median_ms"] <= TARGET_MS}


def run(settings: Any) -> dict:
    """Time every explorer's slider move; ``settings.rounds`` rounds (1 in a quick run)."""
    # a smoke run (--quick) only proves that every case runs: 1 round, 1 warm-up move, few moves
    smoke = settings.smoke
    rounds, warmup = (1, 1) if smoke else (settings.rounds, 3)
    moves = SMOKE_MOVES if smoke else MOVES_PER_ROUND
    rows = [_measure_case(case, rounds, warmup, moves) for case in _cases()]
    return {"rows": rows, "target_ms": TARGET_MS, "moves_per_round": moves,
            "load_average_1min": round(os.getloadavg()[0], 2)}


# -------------------------------------------------------------------------------------- report

def targets(result: dict) -> list[str]:
    """Rows for a "target | measured | verdict" table."""
    return [f"| slider move, {r['explorer']}: ours <= {result['target_ms']:g} ms median | "
            f"{r['contenders']['ours']['median_ms']:.1f} ms | {'MET' if r['met'] else 'NOT MET'} |"
            for r in result["rows"]]


def _cpu(stats: dict) -> str:
    value = stats.get("cpu_median_ms")               # absent from results written before it existed
    return "" if value is None else f"{value:.1f}"


def markdown(section: dict) -> str:
    """The widget tables, from the ``widgets`` section that ``run.py`` writes to the JSON."""
    result = section["result"]
    met = sum(r["met"] for r in result["rows"])
    lines = ["| target | measured | verdict |", "| --- | ---: | --- |", *targets(result), "",
             f"Target <= {result['target_ms']:g} ms median per slider move: "
             f"**{'met' if met == len(result['rows']) else 'NOT met'}** (met by {met} of "
             f"{len(result['rows'])} explorers).", "",
             "Milliseconds per slider move (median, and p90 in brackets), model + drawing + PNG for "
             "the browser, wall-clock; the CPU time is what the move cost the kernel's process (the "
             "wall-clock time adds the waits for a core, which grow with other work on the shared "
             "machine: see the load average below):", "",
             "| explorer | control moved | figure (CSS px) | PNG per move, ratio 2 (1) | ours, ratio 2 | "
             "ours, CPU time | ours, ratio 1 | set_data + full draw, ratio 2 | naive re-render | naive / ours |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["rows"]:
        c = r["contenders"]
        cell = {k: f"{c[k]['median_ms']:.1f} ({c[k]['p90_ms']:.1f})" for k in c}
        one = cell.get("ours_1x", "")
        kb_1x = f" ({r['png_kb_1x']:.0f})" if "png_kb_1x" in r else ""
        lines.append(f"| {r['explorer']} | {r['control']} | {r['figure_px'][0]}x{r['figure_px'][1]} | "
                     f"{r['png_kb']:.0f} KB{kb_1x} | **{cell['ours']}** | {_cpu(c['ours'])} | {one} | "
                     f"{cell['full_draw']} | {cell['naive']} | "
                     f"{r['speedup_vs_naive']:.0f}x |")
    moves = result["moves_per_round"]
    first = result["rows"][0]["contenders"]
    lines += ["", "Moves timed per explorer: " + ", ".join(f"{first[k]['moves']} ({LABELS[k]})" for k in first)
              + ", in rounds of " + ", ".join(str(moves[k]) for k in first) + " moves that rotate their order.",
              "", f"_Command: `{section['command']}` ({section['mode']} mode, {section['date']}, "
              f"{section['seconds']:.0f} s, 1-min load average {section['load_average_1min'][0]:g} before, "
              f"{section['load_average_1min'][1]:g} after)._"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit("run it through bench/run.py (--only widgets); the browser's latency is "
                     "bench/bench_widgets_browser.py")
