"""Faster fresh kernels for grading: fork them from a process that has already imported (private).

Starting a kernel and importing numpy, matplotlib and the course costs about one second of CPU, as
much as running a lesson. A *kernel nursery* is a subprocess started once per grading run, with the
grading kernels' environment, which imports ipykernel, numpy, matplotlib (pyplot and the inline
backend), ipywidgets and the course's checks and widgets, and then waits. For each notebook,
``ForkingKernelManager`` asks it to ``fork()``; the child becomes the notebook's kernel: its own
session and process group, the notebook's working folder, the memory limit set with ``setrlimit``,
stdin/stdout/stderr on /dev/null, and ipykernel run as ``python -m ipykernel_launcher`` would run
it. No learner code ever runs in the nursery, so each child starts from the same state as a newly
started kernel, and what one notebook does to its kernel cannot reach another's.

The nursery forks only when it has no thread besides its main one. Anywhere it cannot be used
(not Linux, it failed to start, it died, an unexpected kernel command), kernels are started the
ordinary way.
"""
from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import subprocess
import sys
from typing import Any

__all__ = ["Nursery", "ForkingKernelManager", "nursery_supported"]

_SERVE = r"""
import importlib, json, os, resource, signal, sys, threading
import ipykernel.kernelapp
for name in ("numpy", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
             "IPython.core.inputtransformer2", "backprop_helpers.checks", "backprop_helpers.grading.kernel",
             "ipywidgets", "backprop_helpers.widgets"):
    try:
        importlib.import_module(name)
    except Exception:
        pass
signal.signal(signal.SIGCHLD, signal.SIG_IGN)           # children are reaped as they end
print(json.dumps({"ready": threading.active_count() == 1}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid:
        print(json.dumps({"pid": pid}), flush=True)
        continue
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"], JPY_PARENT_PID=str(os.getppid()))
        if request["memory"]:
            resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.argv = ["ipykernel_launcher"] + request["argv"]
        ipykernel.kernelapp.launch_new_instance(argv=request["argv"])
    finally:
        os._exit(0)
"""


def nursery_supported() -> bool:
    return sys.platform == "linux" and hasattr(os, "fork")


class _Forked:
    """Enough of ``subprocess.Popen`` for jupyter_client, for a kernel that is not our child."""
    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                with open(f"/proc/{self.pid}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                        self.returncode = -1
            except (ProcessLookupError, FileNotFoundError):
                self.returncode = -1
            except PermissionError:      # the pid was reused by another user's process
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Nursery:
    """The forking process of one grading run (see the module docstring); ``close()`` ends it."""

    def __init__(self, env: dict[str, str]):
        self._lock = asyncio.Lock()
        self._proc: subprocess.Popen | None = None
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", _SERVE], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                          text=True, bufsize=1)
            ready = json.loads(self._proc.stdout.readline() or "{}").get("ready")
        except (OSError, ValueError):
            ready = False
        if not ready:
            self.close()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    async def fork(self, argv: list[str], env: dict[str, str], cwd: str, memory: int) -> int | None:
        """The pid of a new kernel run with ``argv`` (ipykernel's arguments), or None if it failed."""
        async with self._lock:
            if not self.alive:
                return None
            try:
                self._proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd,
                                                   "memory": memory}) + "\n")
                line = await asyncio.get_running_loop().run_in_executor(None, self._proc.stdout.readline)
                return int(json.loads(line)["pid"])
            except (OSError, ValueError, KeyError):
                self.close()
                return None

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream:
                    stream.close()
            self._proc = None


@functools.lru_cache(maxsize=None)
def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class ForkingKernelManager(AsyncKernelManager):
        """An AsyncKernelManager whose kernels come from ``nursery`` when it can fork them."""
        nursery: Nursery | None = None
        memory: int = 0

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            nursery, provisioner = self.nursery, self.provisioner
            usable = (nursery is not None and nursery.alive and len(kernel_cmd) >= 3
                      and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]
                      and hasattr(provisioner, "connection_info"))
            pid = await nursery.fork(kernel_cmd[3:], dict(kw.get("env") or os.environ),
                                     str(kw.get("cwd") or os.getcwd()), self.memory) if usable else None
            if pid is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner.process, provisioner.pid, provisioner.pgid = _Forked(pid), pid, pid
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkingKernelManager


def __getattr__(name: str) -> Any:
    if name == "ForkingKernelManager":          # jupyter_client is imported only when needed
        return _manager_class()
    raise AttributeError(name)
