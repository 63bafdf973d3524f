"""The checks before publishing that need the exercise catalogue or a kernel (private helpers of ``course``).

- ``missing_checks``: every exercise cell of a solution notebook must name, by its ``grade_id``, an
  exercise of ``backprop_helpers.checks.EXERCISES``, or say in its metadata why it has no check
  (``{"backprop_course": {"no_check": "<why>"}}``, e.g. a free-text answer);
- ``verdict_problems``: in an executed notebook, what the check after each exercise printed. The
  check cell of an exercise is the first code cell after it that calls ``check_<name>`` or printed a
  verdict line naming it (a line that starts with ``✔``, ``✘`` or ``…`` and the exercise's name),
  else the first cell before the next exercise that printed a verdict; in a solution every such line naming
  the exercise must start with ``✔``, in a lesson (exercises unfinished) with ``…``;
- ``stale_outputs``: whether an executed solution's outputs come from its code as it is now (the
  record ``execute`` keeps in the notebook's metadata, ``record_run``: a hash of each code cell's
  source as it ran; without it, execution counts that are not one run from top to bottom);
- ``execute``: run a notebook in a fresh kernel of this Python, on a copy in memory, and say which
  cell raised.

Verdict lines printed by demonstration cells (``00_start_here`` shows failing checks on purpose) do
not count: only the check cell that follows an exercise does.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from .markers import exercise_cells, grade_ids, scan_cells, source_text
from .notebook import notebook_paths, read_notebook

__all__ = ["NO_CHECK", "missing_checks", "verdict_problems", "committed_verdict_problems", "execute",
           "stale_outputs", "record_run", "code_fingerprints", "RUN_RECORD"]

NO_CHECK = "no_check"
"""Key of ``cell.metadata["backprop_course"]`` giving why an exercise cell has no check."""

_VERDICT = re.compile(r"^([✔✘…]) ([A-Za-z_]\w*)")
_EXPECTED = {"passed": "✔", "not done": "…"}


def _no_check_reason(cell: Any) -> str | None:
    meta = cell.get("metadata", {})
    course = meta.get("backprop_course") if isinstance(meta, dict) else None
    reason = course.get(NO_CHECK) if isinstance(course, dict) else None
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


def _exercise_ids(nb: Any, name: str) -> dict[int, str]:
    scans = scan_cells(nb, name, "check")
    return {i: gid for i, (gid, _) in grade_ids(nb, exercise_cells(nb, scans), name, "check").items()}


def missing_checks(solutions_dir: str | os.PathLike = "solutions") -> list[str]:
    """Exercise cells whose grade_id names no exercise check and that do not say why ([] if none)."""
    from ..checks import EXERCISES  # imported here: it loads every lesson's checks

    problems = []
    for path in notebook_paths(solutions_dir):
        try:
            nb = read_notebook(path)
            ids = _exercise_ids(nb, str(path))
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            continue
        for i, gid in ids.items():
            if gid in EXERCISES or _no_check_reason(nb.cells[i]) is not None:
                continue
            problems.append(
                f"{path}, cell {i}: the exercise {gid!r} has no check: backprop_helpers.checks.EXERCISES "
                f"has no exercise of that name. Write its check (INSTRUCTORS.md, 'Adding an exercise'), "
                f"or give the cell the metadata "
                f'{{"backprop_course": {{"{NO_CHECK}": "<why it has none>"}}}}')
    return problems


def _verdicts(cell: Any) -> list[tuple[str, str]]:
    """``(symbol, exercise)`` for each verdict line a code cell printed."""
    found = []
    for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        if output.get("output_type") == "stream":
            text = source_text(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            text = source_text(output.get("data", {}).get("text/plain", ""))
        else:
            continue
        found += [m.groups() for m in map(_VERDICT.match, text.splitlines()) if m]
    return found


def verdict_problems(nb: Any, name: str, *, expect: str) -> list[str]:
    """What is wrong with the verdicts of an executed notebook's checks ([] if nothing).

    ``expect`` is "passed" (a solution: every check says ✔) or "not done" (a lesson run with its
    exercises unfinished: every check says …). Exercises with a ``no_check`` reason are skipped.
    """
    if expect not in _EXPECTED:
        raise ValueError(f"verdict_problems: expect must be 'passed' or 'not done', got {expect!r}")
    cells = nb["cells"]
    verdicts = {i: _verdicts(cell) for i, cell in enumerate(cells)}
    problems = []
    ids = _exercise_ids(nb, name)
    for i, gid in ids.items():
        if _no_check_reason(cells[i]) is not None:
            continue
        check_cell = _check_cell(cells, i, gid, verdicts, set(ids))
        mine = [symbol for symbol, exercise in verdicts.get(check_cell, []) if exercise == gid]
        if not mine:
            if check_cell is None:
                where = "no cell after it calls its check or printed a verdict for it"
            elif not cells[check_cell].get("outputs"):
                where = f"its check cell {check_cell} has no output: was it run?"
            else:
                where = f"its check cell {check_cell} printed no verdict for {gid!r}"
            problems.append(f"{name}, cell {i}: the exercise {gid!r} was not checked ({where})")
        elif any(symbol != _EXPECTED[expect] for symbol in mine):
            said = next(symbol for symbol in mine if symbol != _EXPECTED[expect])
            if expect == "passed":
                problems.append(f"{name}, cell {check_cell}: the check of {gid!r} printed a '{said}' "
                                f"verdict: the solution does not pass its own check")
            else:
                problems.append(f"{name}, cell {check_cell}: with the exercise {gid!r} unfinished its "
                                f"check printed a '{said}' verdict instead of 'not done yet': does the "
                                f"solution block hold all of the exercise's work?")
    return problems


def _check_cell(cells: list, i: int, gid: str, verdicts: dict, exercises: set[int]) -> int | None:
    """The check cell of the exercise in cell ``i``: the first code cell after it that calls
    ``check_<gid>`` or printed a verdict naming ``gid`` (before the next exercise when one does),
    else the first code cell after it that printed any verdict, before the next exercise."""
    after = [j for j in range(i + 1, len(cells)) if cells[j].get("cell_type") == "code"]
    nxt = next((j for j in after if j in exercises), len(cells))
    calls = re.compile(rf"\bcheck_{re.escape(gid)}\b")

    def own(j: int) -> bool:
        return bool(calls.search(source_text(cells[j].get("source", "")))) or \
            any(exercise == gid for _, exercise in verdicts[j])
    found = next((j for j in after if j < nxt and own(j)), None)
    if found is None:
        found = next((j for j in after if own(j)), None)
    if found is None:
        found = next((j for j in after if j < nxt and verdicts[j]), None)
    return found


# --------------------------------------------------------------------------- stale outputs

RUN_RECORD = "executed_code"
"""Key of ``metadata["backprop_course"]`` in a solution: its code cells as ``execute`` ran them."""


def code_fingerprints(nb: Any) -> list[str]:
    """``"<cell id>:<12 hex digits>"`` per code cell: a hash of its source (what its outputs depend on)."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            digest = hashlib.sha256(source_text(cell.get("source", "")).encode("utf-8")).hexdigest()[:12]
            found.append(f"{cell.get('id') or f'cell-{i}'}:{digest}")
    return found


def record_run(nb: Any) -> None:
    """Record in ``nb``'s metadata which code it ran (``execute`` calls it on a notebook it ran)."""
    section = nb.metadata.get("backprop_course")
    section = dict(section) if isinstance(section, dict) else {}
    section[RUN_RECORD] = code_fingerprints(nb)
    nb.metadata["backprop_course"] = section


def stale_outputs(nb: Any, name: str) -> str | None:
    """What makes an executed solution's outputs untrustworthy, or None.

    With the record ``execute`` keeps (``record_run``): a code cell added, removed or changed since
    that run. Without one (saved from JupyterLab): execution counts that do not increase down the
    notebook's code cells (a cell run again after an edit, cells run out of order).
    """
    fix = f"run `python -m backprop_helpers execute {name}` and commit it"
    section = nb.get("metadata", {}).get("backprop_course")
    record = section.get(RUN_RECORD) if isinstance(section, dict) else None
    if isinstance(record, list):
        now = code_fingerprints(nb)
        if now == record:
            return None
        was = set(record)
        code = [i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"]
        changed = [i for i, entry in zip(code, now) if entry not in was]
        removed = len({e.rpartition(":")[0] for e in record} - {e.rpartition(":")[0] for e in now})
        parts = ([f"cell{'s' * (len(changed) > 1)} {', '.join(map(str, changed))} changed or added"]
                 if changed else []) + ([f"{removed} code cell(s) removed"] if removed else [])
        return (f"{name}: its outputs are stale: {', '.join(parts) or 'its code cells were reordered'} "
                f"since `execute` ran it, so its committed outputs (and its checks' verdicts) do not "
                f"come from this code; {fix}")
    counts = [c.get("execution_count") for c in nb["cells"] if c.get("cell_type") == "code"]
    counts = [n for n in counts if isinstance(n, int)]
    if any(b <= a for a, b in zip(counts, counts[1:])):
        return (f"{name}: its outputs do not come from one run from top to bottom (the execution counts "
                f"do not increase down the notebook: a cell was run again after an edit?), so they may "
                f"not match its code; {fix}")
    return None


def committed_verdict_problems(solutions_dir: str | os.PathLike = "solutions") -> list[str]:
    """``verdict_problems`` of the solution notebooks as committed (executed), without running them."""
    problems = []
    for path in notebook_paths(solutions_dir):
        try:
            nb = read_notebook(path)
            if _exercise_ids(nb, str(path)) and not any(cell.get("outputs") for cell in nb.cells):
                problems.append(f"{path} has no outputs: solutions are committed executed (run it "
                                f"top to bottom and save it), so that its checks' verdicts can be read")
                continue
            stale = stale_outputs(nb, str(path))
            if stale:                 # its verdicts were printed by other code: not worth reading
                problems.append(stale)
                continue
            problems += verdict_problems(nb, str(path), expect="passed")
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
    return problems


def _this_python_kernel():
    """A kernel manager class that starts ipykernel with this very interpreter (not a registered kernel)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernel(AsyncKernelManager):
        @property
        def kernel_spec(self):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (this environment)", language="python")

    return ThisPythonKernel


def execute(path: str | os.PathLike, *, timeout: float = 120) -> tuple[Any, str | None]:
    """Run a notebook top to bottom in a fresh kernel: ``(executed notebook, None or what went wrong)``.

    The file is not changed; the kernel starts in the notebook's folder, with
    ``BACKPROP_PROGRESS=off`` (so no learner's progress file is touched), without
    ``MPLBACKEND`` (so figures draw inline as in JupyterLab), and with this course's folder first on
    ``PYTHONPATH`` (so it imports this checkout, whatever else is installed). ``timeout`` is per cell, in seconds.
    Only the cells' outputs and execution counts change: no timings, no widget state, and the
    notebook's metadata stays as it was but for the record of the code that ran
    (``backprop_course.executed_code``, see ``stale_outputs``), so saving the result changes only
    what the run printed.
    """
    path = Path(path)
    nb = read_notebook(path)
    try:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as exc:
        return nb, (f"it cannot be run here: {exc.name or 'nbclient'} is not installed (it comes with "
                    f"`pip install -r requirements.txt`)")
    metadata = copy.deepcopy(nb.metadata)
    from ..grading.execution import with_this_package

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "JPY_SESSION_NAME")}
    env["BACKPROP_PROGRESS"] = "off"
    with_this_package(env)      # the kernel imports this very course, never another installed copy
    client = NotebookClient(nb, timeout=timeout, kernel_manager_class=_this_python_kernel(),
                            record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)
        nb.metadata = metadata
        record_run(nb)
    except CellExecutionError as exc:
        index = next((i for i, cell in enumerate(nb.cells) if any(
            out.get("output_type") == "error" for out in cell.get("outputs", []))), None)
        where = f"cell {index}" if index is not None else "a cell"
        return nb, f"{where} raised {exc.ename}: {exc.evalue}"
    except CellTimeoutError:
        return nb, f"a cell ran longer than the {timeout:g} s allowed per cell"
    except DeadKernelError as exc:
        return nb, f"the kernel died ({exc})"
    return nb, None
