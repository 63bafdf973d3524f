"""Run the benchmarks and print their tables.

    python bench/run.py                    # full run (a few minutes): bench/results/latest.json and .md
    python bench/run.py --quick            # smoke run (under a minute): bench/results/quick.json and .md
    python bench/run.py --only training    # one benchmark: training, gradcheck, fd_accuracy, widgets, grading
    python bench/run.py --update-readme    # also put the tables into bench/README.md

Every timing is side by side in this one process: numpy's BLAS on one thread (set when
``backprop_helpers`` is imported), torch on one intra-op and one inter-op thread, rounds that time
every contender back to back in rotating order, and ratios taken round by round (see ``_timing.py``).
torch is optional: without it the numpy columns still run and the tables say torch is absent.
``--only`` updates that benchmark's section in the existing JSON and keeps the others.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("BACKPROP_BLAS_THREADS", "1")

import _env  # noqa: E402  (sets torch's threads before anything else imports it)
from _report import markdown  # noqa: E402
from _timing import Settings  # noqa: E402

BENCHMARKS = ("training", "gradcheck", "fd_accuracy", "widgets", "grading", "playground")


def _module(name):
    if name == "training":
        import bench_training as mod
    elif name == "gradcheck":
        import bench_gradcheck as mod
    elif name == "widgets":
        import bench_widgets as mod
    elif name == "playground":
        import bench_playground as mod
    elif name == "grading":
        import bench_grading as mod
    else:
        import bench_fd_accuracy as mod
    return mod


README_START = "<!-- results: start (written by `python bench/run.py --update-readme`) -->"
README_END = "<!-- results: end -->"
WIDGETS_START = "<!-- widgets: start (written by `python bench/run.py --update-readme`) -->"
WIDGETS_END = "<!-- widgets: end -->"
PLAYGROUND_START = "<!-- playground: start (written by `python bench/run.py --update-readme`) -->"
PLAYGROUND_END = "<!-- playground: end -->"
GRADING_START = "<!-- grading: start (written by `python bench/run.py --update-readme`) -->"
GRADING_END = "<!-- grading: end -->"


def _update_readme(path: Path, tables: str, start: str = README_START, end: str = README_END) -> None:
    """Replace what lies between the two markers ``start`` and ``end`` of the README with ``tables``."""
    text = path.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"bench: {path} has no results markers ({start} ... {end})")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{tables}\n{end}{tail}")
    print(f"(tables written into {path})", file=sys.stderr)


def _widget_tables(results: dict) -> str | None:
    """The widget benchmark's tables (its own README section), or None when it has not run."""
    section = results["sections"].get("widgets")
    if section is None:
        return None
    import bench_widgets
    return bench_widgets.markdown(section)


def _playground_tables(results: dict) -> str | None:
    """The playground benchmark's tables (its own README section), or None when it has not run."""
    section = results["sections"].get("playground")
    if section is None:
        return None
    import bench_playground
    return bench_playground.markdown(section)


def _grading_tables(results: dict) -> str | None:
    """The grading benchmark's table (its own README section), or None when it has not run."""
    section = results["sections"].get("grading")
    if section is None:
        return None
    import bench_grading
    return bench_grading.markdown(section)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="few short rounds: a smoke run, numbers not meaningful")
    parser.add_argument("--only", choices=BENCHMARKS, action="append",
                        help="run only this benchmark (may be repeated)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file to write (default bench/results/latest.json, or quick.json "
                             "with --quick)")
    parser.add_argument("--update-readme", action="store_true",
                        help="replace the results block of bench/README.md with these tables")
    args = parser.parse_args(argv)
    settings = Settings.quick() if args.quick else Settings.full()
    out = args.out or HERE / "results" / ("quick.json" if args.quick else "latest.json")
    names = args.only or list(BENCHMARKS)

    results = {"sections": {}}
    if args.only and out.exists():
        results = json.loads(out.read_text())
    results["machine"] = _env.machine_info()
    if _env.torch is None:
        print(_env.TORCH_MISSING, flush=True)
    command = "python bench/run.py" + (" --quick" if args.quick else "") + \
        "".join(f" --only {n}" for n in (args.only or []))
    failed = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            result = _module(name).run(settings)
        except Exception:                 # one broken benchmark must not hide the others
            traceback.print_exc()
            print(f"bench: {name} FAILED (traceback above); its previous results, if any, are kept",
                  file=sys.stderr)
            failed.append(name)
            continue
        results["sections"][name] = {
            "result": result, "command": command, "mode": "quick" if args.quick else "full",
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "seconds": time.perf_counter() - start,
            # other work on the machine slows the absolute times (ratios suffer less)
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    tables = markdown(results)
    widget_tables = _widget_tables(results)
    if widget_tables is not None:
        tables += "\n### 4. Widgets: latency of a slider move\n\n" + widget_tables + "\n"
    playground_tables = _playground_tables(results)
    if playground_tables is not None:
        tables += "\n### Playground (lesson 08): ticks of play, control moves\n\n" + playground_tables + "\n"
    grading_tables = _grading_tables(results)
    if grading_tables is not None:
        tables += "\n### 5. Grading a class of notebooks\n\n" + grading_tables + "\n"
    out.with_suffix(".md").write_text(tables + "\n")      # the same tables, kept under version control
    print(tables)
    print(f"\n(results written to {out})", file=sys.stderr)
    if args.update_readme:
        _update_readme(HERE / "README.md", markdown(results))
        if widget_tables is not None:
            _update_readme(HERE / "README.md", widget_tables, WIDGETS_START, WIDGETS_END)
        if playground_tables is not None:
            _update_readme(HERE / "README.md", playground_tables, PLAYGROUND_START, PLAYGROUND_END)
        if grading_tables is not None:
            _update_readme(HERE / "README.md", grading_tables, GRADING_START, GRADING_END)
    if failed:
        print(f"bench: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
