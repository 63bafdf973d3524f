"""Running one notebook in a fresh, limited kernel and collecting what grading needs (private).

``execute`` runs an nbformat notebook with nbclient in a new ``python3`` kernel whose working folder
is a temporary folder, and returns an ``Execution``: the grading replies published by the harness
cells, the errors and timeouts of the other cells, how much output was produced, and whether the
kernel died or the whole run was stopped. Limits:

- each cell gets ``cell_timeout`` seconds; then the kernel is interrupted and the next cell runs;
- the whole notebook gets ``timeout`` seconds; then the kernel is killed;
- the kernel's address space is capped at ``memory_mb`` MiB (``RLIMIT_AS``, set on the kernel
  process right after it starts, before any cell runs): an allocation beyond it raises
  MemoryError in the kernel instead of exhausting the machine (Linux only; elsewhere no limit);
- no output is kept: the learner's outputs are counted, not stored (a notebook printing gigabytes
  cannot fill the grader's memory), and only errors (their first 300 characters) and the harness
  replies are kept.

The kernel's stdout and stderr go to /dev/null, so nothing it prints reaches the instructor's
terminal. ``MPLBACKEND`` is removed from its environment, BLAS runs on one thread, and the checks'
progress recording is off. The kernel runs with the grader's user rights: the limits above stop
accidents and hostile loops, but this is not a security sandbox (grade untrusted work in a container
or as an unprivileged user).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import Any

from .kernel import MIME

__all__ = ["Execution", "execute", "kernel_env", "memory_limit_supported", "kill_running_kernels"]

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


def _load_client_class() -> type:
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """NotebookClient that keeps no outputs, records errors and timeouts, and limits memory."""

        def __init__(self, nb: Any, run: Execution, harness: set[int], memory_mb: int | None,
                     nursery: Any, **kw: Any):
            super().__init__(nb, **kw)
            self._run, self._harness, self._memory_mb, self._nursery = run, harness, memory_mb, nursery

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
            self._run.last_cell = cell_index
            return await super().async_execute_cell(cell, cell_index, *args, **kw)

        async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
            if self._run.last_cell not in self._run.timed_out:
                self._run.timed_out.append(self._run.last_cell)
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
                self._run.errors.append((cell_index, text[:300]))
            return None

        def clear_output(self, outs: list, msg: dict, cell_index: int) -> None:
            return None

        def handle_comm_msg(self, outs: list, msg: dict, cell_index: int) -> None:
            return None      # widget state is not kept

        def _update_display_id(self, display_id: str, msg: dict) -> None:
            return None

    return _Client


async def execute(nb: Any, workdir: str, *, harness: set[int], cell_timeout: float, timeout: float,
                  memory_mb: int | None, nursery: Any = None) -> Execution:
    """Run ``nb`` (changed in place: nbclient sets execution counts) and return its ``Execution``.

    ``nursery``: a ``nursery.Nursery`` to fork the kernel from (None: start it the usual way).
    """
    from nbclient.exceptions import DeadKernelError

    run = Execution()
    # After a cell's timeout the kernel is interrupted and nbclient waits for that cell's reply again
    # (interrupting again after each further timeout): a cell that ignores interrupts stays the
    # running cell until the total timeout, rather than letting later cells queue behind it.
    client = _load_client_class()(
        nb, run, harness, memory_mb, nursery, timeout=max(1, round(cell_timeout)), interrupt_on_timeout=True,
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
        run.failure = f"{type(exc).__name__}: {exc}"[:300]
    _RUNNING.discard(run.pid)
    return run
