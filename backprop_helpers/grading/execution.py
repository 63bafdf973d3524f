"""Running one notebook in a fresh, limited kernel and collecting what grading needs (private).

``execute`` runs an nbformat notebook with nbclient in a new ``python3`` kernel whose working folder
is a temporary folder, and returns an ``Execution``: the grading replies published by the harness
cells, the errors and timeouts of the other cells, how much output was produced, and whether the
kernel died or the whole run was stopped. Limits:

- each cell gets ``cell_timeout`` seconds; then the kernel is interrupted and the next cell runs,
  unless it calls a function that was running when a cell timed out (named from the traceback of the
  interrupt): such a cell would only meet the limit again, so it is skipped (``Execution.skipped``);
- the whole notebook gets ``timeout`` seconds; then the kernel is killed;
- the kernel's address space is capped at ``memory_mb`` MiB (``RLIMIT_AS``, set on the kernel
  process right after it starts, before any cell runs): an allocation beyond it raises
  MemoryError in the kernel instead of exhausting the machine (Linux only; elsewhere no limit);
- no output is kept: the learner's outputs are counted, not stored (a notebook printing gigabytes
  cannot fill the grader's memory), and only errors (their first 1000 characters, cut between words) and the harness
  replies are kept.

The kernel's stdout and stderr go to /dev/null, so nothing it prints reaches the instructor's
terminal. ``MPLBACKEND`` is removed from its environment, BLAS runs on one thread, the checks'
progress recording is off, and ``PYTHONPATH`` starts with the folder of the course the grader runs
(a kernel never imports an older copy installed elsewhere).
The limits above stop accidents and endless loops; what a kernel may see and touch is the business of
``isolation``: by default every kernel runs in a bubblewrap sandbox (its own folder, the course
read-only, no network, its own process tree). Where that is not available, ``grade`` says so loudly
and the report records that learner code ran with the grader's rights.
"""
from __future__ import annotations

import ast
import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from .kernel import MIME

__all__ = ["Execution", "execute", "kernel_env", "with_this_package", "memory_limit_supported",
           "kill_running_kernels",
           "functions_in_traceback", "cut"]

_RUNNING: set[int] = set()      # process ids (and groups) of the kernels running now


def kill_running_kernels() -> None:
    """Kill every grading kernel running now, with its process group (for Ctrl-C)."""
    for pid in list(_RUNNING):
        for kill in (getattr(os, "killpg", None), os.kill):
            try:
                if kill is not None:
                    kill(pid, signal.SIGKILL)
                    break
            except OSError:
                continue
        _RUNNING.discard(pid)

_QUIET = logging.getLogger("backprop_helpers.grading.kernel")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None


def memory_limit_supported() -> bool:
    """Whether a kernel's memory can be limited here (Linux's ``prlimit``)."""
    return resource is not None and hasattr(resource, "prlimit") and hasattr(resource, "RLIMIT_AS")


def kernel_env() -> dict[str, str]:
    """The grading kernel's environment: the grader's, without MPLBACKEND, BLAS on one thread, and
    the checks' progress recording off (learners' results must not land in the instructor's file)."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               BACKPROP_BLAS_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", BACKPROP_PROGRESS="off")
    return with_this_package(env)


def with_this_package(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the folder holding the ``backprop_helpers`` this process runs first on
    ``PYTHONPATH``, so that a kernel imports the same course (a checkout's new check module too),
    never a copy installed elsewhere."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != here]
    env["PYTHONPATH"] = os.pathsep.join([here] + rest)
    return env


@dataclass
class Execution:
    """What running one notebook produced. Cell indices are those of the executed notebook."""
    replies: dict[int, Any] = field(default_factory=dict)       # harness cell -> published data
    errors: list[tuple[int, str]] = field(default_factory=list)  # cell -> "Name: message"
    timed_out: list[int] = field(default_factory=list)
    died_in: int | None = None          # the cell running when the kernel died
    stopped_in: int | None = None       # the cell running when the total timeout stopped the run
    failure: str | None = None          # the kernel could not be started or run at all
    output_chars: int = 0
    last_cell: int = -1                 # the last cell that started
    pid: int | None = None              # the kernel's process id
    seconds: dict[int, float] = field(default_factory=dict)      # cell -> seconds it ran
    hung: dict[str, int] = field(default_factory=dict)           # function -> cell where it timed out
    skipped: dict[int, list[str]] = field(default_factory=dict)  # cell -> the hung functions it calls


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else cut at a space before ``limit`` (never
    inside a word) and saying how much was left out."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    head = head[:head.rfind(" ")] if " " in head[limit // 2:] else head
    return f"{head.rstrip()} [{len(text) - len(head.rstrip())} more characters]"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# a frame of code written in a notebook cell (IPython 8+, older IPython, the grader's exercise cell)
_CELL_FRAME = re.compile(r"(?:Cell In ?\[\d*\], line \d+|<ipython-input-[^>]*>|File <exercise cell \w+>:\d+),? "
                         r"in ([A-Za-z_]\w*)")


def functions_in_traceback(traceback: list) -> list[str]:
    """The functions defined in notebook cells that a traceback passes through, outermost first."""
    text = _ANSI.sub("", "\n".join(t for t in traceback if isinstance(t, str)))
    return list(dict.fromkeys(_CELL_FRAME.findall(text)))


def _names_in(source: str) -> tuple[set[str], set[str]]:
    """``(names used, functions defined at the top level)`` of a cell's source (a regex if it does
    not parse, e.g. with IPython magics)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        used = set(re.findall(r"[A-Za-z_]\w*", source))
        return used, set(re.findall(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", source, re.MULTILINE))
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return used, defined


def _load_client_class() -> type:
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """NotebookClient that keeps no outputs, records errors and timeouts, and limits memory."""

        def __init__(self, nb: Any, run: Execution, harness: set[int], memory_mb: int | None,
                     nursery: Any, calls: dict[int, tuple[str, str]] | None = None, **kw: Any):
            super().__init__(nb, **kw)
            self._run, self._harness, self._memory_mb, self._nursery = run, harness, memory_mb, nursery
            self._calls = calls or {}    # harness cell -> (exercise name, the source it runs again)

        def create_kernel_manager(self) -> Any:
            from .nursery import ForkingKernelManager
            self.km = ForkingKernelManager(kernel_name=self.kernel_name, config=self.config)
            self.km.nursery = self._nursery
            self.km.memory = int(self._memory_mb or 0) * 2 ** 20
            return self.km

        async def async_start_new_kernel(self, **kwargs: Any) -> None:
            await super().async_start_new_kernel(**kwargs)
            self._run.pid = self.km.provisioner.pid
            _RUNNING.add(self._run.pid)
            if self._memory_mb and memory_limit_supported():
                limit = int(self._memory_mb) * 2 ** 20
                resource.prlimit(self.km.provisioner.pid, resource.RLIMIT_AS, (limit, limit))

        async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kw: Any) -> Any:
            # After a function timed out, a later cell that calls it would only run into the limit
            # again: it is skipped (a cell that defines the function anew runs, and clears it).
            harness = self._calls.get(cell_index)
            hung = self._run.hung
            if hung and cell_index > 0 and cell.get("cell_type") == "code":
                used, defined = _names_in(harness[1] if harness else cell.source)
                calls = sorted(name for name in hung if name in used and (harness or name not in defined))
                if harness and harness[0] in hung and harness[0] not in calls:
                    calls.insert(0, harness[0])
                if calls:
                    self._run.skipped[cell_index] = calls
                    return cell
            self._run.last_cell = cell_index
            started = time.perf_counter()
            try:
                return await super().async_execute_cell(cell, cell_index, *args, **kw)
            finally:
                self._run.seconds[cell_index] = round(time.perf_counter() - started, 3)
                if hung and cell_index not in self._run.timed_out and not harness:
                    for name in _names_in(cell.source)[1] & set(hung):
                        del hung[name]        # defined anew by a cell that did not time out

        async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
            if self._run.last_cell not in self._run.timed_out:
                self._run.timed_out.append(self._run.last_cell)
                harness = self._calls.get(self._run.last_cell)
                if harness:               # grading this exercise's function timed out
                    self._run.hung.setdefault(harness[0], self._run.last_cell)
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> None:
            kind, content = msg.get("msg_type"), msg.get("content") or {}
            if kind == "stream":
                self._run.output_chars += len(content.get("text") or "")
            elif kind in ("display_data", "execute_result"):
                data = content.get("data") or {}
                self._run.output_chars += sum(len(v) for v in data.values() if isinstance(v, str))
                if cell_index in self._harness and MIME in data and cell_index not in self._run.replies:
                    self._run.replies[cell_index] = data[MIME]
            elif kind == "error":
                text = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
                self._run.errors.append((cell_index, cut(text, 1000)))
                if cell_index in self._run.timed_out:   # the functions the interrupt stopped in
                    for name in functions_in_traceback(content.get("traceback") or []):
                        self._run.hung.setdefault(name, cell_index)
            return None

        def clear_output(self, outs: list, msg: dict, cell_index: int) -> None:
            return None

        def handle_comm_msg(self, outs: list, msg: dict, cell_index: int) -> None:
            return None      # widget state is not kept

        def _update_display_id(self, display_id: str, msg: dict) -> None:
            return None

    return _Client


async def execute(nb: Any, workdir: str, *, harness: set[int], cell_timeout: float, timeout: float,
                  memory_mb: int | None, nursery: Any = None,
                  calls: dict[int, tuple[str, str]] | None = None) -> Execution:
    """Run ``nb`` (changed in place: nbclient sets execution counts) and return its ``Execution``.

    ``nursery``: a ``nursery.Nursery`` to fork the kernel from (None: start it the usual way).
    ``calls``: for each harness cell, the exercise's name and the source it runs again, so that a
    grading cell whose function already timed out is skipped (``Execution.skipped``) like any
    learner's cell that calls it.
    """
    from nbclient.exceptions import DeadKernelError

    run = Execution()
    # After a cell's timeout the kernel is interrupted and nbclient waits for that cell's reply again
    # (interrupting again after each further timeout): a cell that ignores interrupts stays the
    # running cell until the total timeout, rather than letting later cells queue behind it.
    client = _load_client_class()(
        nb, run, harness, memory_mb, nursery, calls, timeout=max(1, round(cell_timeout)),
        interrupt_on_timeout=True,
        allow_errors=True, kernel_name="python3", shutdown_kernel="immediate", startup_timeout=60,
        iopub_timeout=4, record_timing=False, resources={"metadata": {"path": workdir}}, log=_QUIET)
    task = asyncio.ensure_future(client.async_execute(env=kernel_env(), stdout=subprocess.DEVNULL,
                                                      stderr=subprocess.DEVNULL))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:       # grading was stopped (Ctrl-C): shut this kernel down too
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    if task not in done:                 # the total timeout: cancelling shuts the kernel down
        run.stopped_in = run.last_cell
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    elif isinstance(task.exception(), DeadKernelError):
        run.died_in = run.last_cell
    elif task.exception() is not None:   # a kernel that cannot start must not stop the class
        exc = task.exception()
        run.failure = cut(f"{type(exc).__name__}: {exc}", 1000)
    _RUNNING.discard(run.pid)
    return run
