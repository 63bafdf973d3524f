"""Cold-kernel run time of every notebook, in solutions/ and lessons/.

Each notebook is executed top to bottom in a fresh kernel (nbclient, the same kernel JupyterLab
starts), ``--repeat`` times; the table gives the median and the fastest run, kernel start included,
and prints the markdown rows of the run-time table in docs/testing.md.

    python bench/notebook_times.py [--repeat 3] [--only 01_forward_pass]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def run_once(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ.pop("MPLBACKEND", None)              # notebooks draw inline, as in JupyterLab
    os.environ.setdefault("BACKPROP_PROGRESS", "off")
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - start
    finally:
        if env_backup is not None:
            os.environ["MPLBACKEND"] = env_backup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    rows = []
    names = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb") if args.only in p.name)
    load_before = os.getloadavg()[0]
    for name in names:
        times = {}
        for folder in ("solutions", "lessons"):
            runs = [run_once(ROOT / folder / name) for _ in range(args.repeat)]
            times[folder] = (statistics.median(runs), min(runs))
        rows.append((name, times))
        print(f"{name}: solutions {times['solutions'][0]:.1f} s (min {times['solutions'][1]:.1f}), "
              f"lessons {times['lessons'][0]:.1f} s (min {times['lessons'][1]:.1f})", flush=True)
    print(f"\n1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"{args.repeat} cold-kernel runs each, median (fastest)\n")
    print("| notebook | solution | lesson (exercises unfinished) |")
    print("| --- | ---: | ---: |")
    for name, t in rows:
        print(f"| `{name}` | {t['solutions'][0]:.1f} s ({t['solutions'][1]:.1f}) | "
              f"{t['lessons'][0]:.1f} s ({t['lessons'][1]:.1f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
