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

Isolated (``isolation.py``): the nursery runs in a bubblewrap sandbox, each kernel gets a folder of its
own in the run's kernels folder (its working folder, HOME, connection file and ZeroMQ ``ipc``
sockets), and each forked child calls ``isolation.confine`` before anything else, which leaves it in
mount, PID, network and IPC namespaces of its own. Where the nursery cannot be used, an isolated kernel is started
alone in a sandbox of its own (``isolation.kernel_command``), never without one.
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from .isolation import Isolation, host_pid, kernel_command, kernel_folder_env, nursery_command

__all__ = ["Nursery", "ForkingKernelManager", "nursery_supported"]

_SERVE = r"""
import importlib, json, os, resource, signal, sys, threading
import ipykernel.kernelapp
for name in ("numpy", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
             "IPython.core.inputtransformer2", "backprop_helpers.checks", "backprop_helpers.grading.kernel",
             "ipywidgets", "backprop_helpers.widgets", "backprop_helpers.grading.isolation"):
    try:
        importlib.import_module(name)
    except Exception:
        pass
signal.signal(signal.SIGCHLD, signal.SIG_IGN)           # children are reaped as they end
print(json.dumps({"ready": threading.active_count() == 1}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    folder = request.get("folder")
    if folder:
        report, told = os.pipe()
    pid = os.fork()
    if pid:
        if folder:          # the kernel is the child's child: the child tells its pid, then ends
            os.close(told)
            with os.fdopen(report, "rb") as reply:
                pid = int(reply.read().strip() or 0)
        print(json.dumps({"pid": pid}), flush=True)
        continue
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if folder:
            os.close(report)
            from backprop_helpers.grading.isolation import confine
            confine(folder, told)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if not folder:
            os.environ["JPY_PARENT_PID"] = str(os.getppid())
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


def _kernels_folder() -> str:
    """A new folder for the run's kernels, in the temporary folder unless its path is so long that a
    kernel's socket paths (``<folder>/<n>/k-<n>``) would pass the 107 bytes a Unix socket path allows."""
    folder = tempfile.mkdtemp(prefix="backprop-kernels-")
    if len(folder.encode()) > 96 and os.access("/tmp", os.W_OK):     # + "/12345/k-5" <= 107
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix="bpk-", dir="/tmp")
    return folder


def _copy_font_cache(target: str) -> None:
    """matplotlib's list of fonts, copied into the sandboxed nursery's own configuration folder, so
    that it is not rebuilt (about 0.4 s) on each run."""
    home = os.path.expanduser("~")
    for folder in (os.environ.get("MPLCONFIGDIR"),
                   os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "matplotlib")):
        try:
            found = [n for n in os.listdir(folder) if n.startswith("fontlist-") and n.endswith(".json")] \
                if folder else []
        except OSError:
            continue
        if found:
            os.makedirs(target, exist_ok=True)
            for name in found:
                shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
            return


class _Alone(_Forked):
    """A kernel started alone in its sandbox: ``pid`` is the kernel (process 1 of its namespaces),
    ``proc`` the bwrap that started it (it ends when the kernel ends)."""

    def __init__(self, proc: subprocess.Popen, pid: int):
        super().__init__(pid)
        self._proc = proc

    def poll(self) -> int | None:
        if self.returncode is None and self._proc.poll() is not None:
            self.returncode = self._proc.returncode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self.returncode = self._proc.wait(timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass
            if signum == signal.SIGKILL:
                self._proc.kill()


class Nursery:
    """The forking process of one grading run (see the module docstring); ``close()`` ends it.

    ``isolation``: the run's (``isolation.choose``); when enabled, the run's kernels folder is made
    here and removed by ``close()``. ``preload=False``: no forking process (one notebook), only what
    an isolated kernel started alone needs."""

    def __init__(self, env: dict[str, str], isolation: Isolation | None = None, preload: bool = True):
        self._lock = asyncio.Lock()
        self._proc: subprocess.Popen | None = None
        self.isolation = isolation if isolation is not None and isolation.enabled else None
        self.root = _kernels_folder() if self.isolation else None
        self._count = itertools.count(1)
        self._broken = False
        if not preload or (self.isolation and not self.isolation.fork):
            return
        command = [sys.executable, "-c", _SERVE]
        if self.isolation:
            env = kernel_folder_env(env, self.root)
            _copy_font_cache(env["MPLCONFIGDIR"])
            command = nursery_command(sys.executable, self.root, _SERVE)
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                          text=True, bufsize=1, start_new_session=bool(self.isolation))
            ready = json.loads(self._proc.stdout.readline() or "{}").get("ready")
        except (OSError, ValueError):
            ready = False
        if not ready:
            self._stop()

    @property
    def alive(self) -> bool:
        return self._proc is not None and not self._broken and self._proc.poll() is None

    def new_folder(self) -> str:
        """A new kernel's own folder, inside the run's kernels folder (isolated runs only)."""
        folder = os.path.join(self.root, str(next(self._count)))
        os.mkdir(folder, 0o700)
        return folder

    async def fork(self, argv: list[str], env: dict[str, str], cwd: str, memory: int) -> int | None:
        """The pid of a new kernel run with ``argv`` (ipykernel's arguments), or None if it failed.
        Isolated, ``cwd`` is the kernel's own folder (``new_folder``)."""
        async with self._lock:
            if not self.alive:
                return None
            try:
                request = {"argv": argv, "env": env, "cwd": cwd, "memory": memory}
                if self.isolation:
                    request["folder"] = cwd
                self._proc.stdin.write(json.dumps(request) + "\n")
                line = await asyncio.get_running_loop().run_in_executor(None, self._proc.stdout.readline)
                pid = int(json.loads(line)["pid"])
                if self.isolation:      # its pid in the nursery's namespace: find it as seen here
                    pid = host_pid(pid, self._proc.pid) if pid else None
                return pid or None
            except (OSError, ValueError, KeyError):
                if self.isolation:      # its kernels live in its sandbox: keep it until close()
                    self._broken = True
                else:
                    self._stop()
                return None

    def close(self) -> None:
        """End the nursery; isolated, its sandbox ends with it (every kernel forked from it, and every
        process they started), and the run's kernels folder is removed."""
        self._stop()
        if self.root is not None:       # its kernels may take a moment to die: try again until it is gone
            deadline = time.monotonic() + 5
            while True:
                shutil.rmtree(self.root, ignore_errors=True)
                if not os.path.exists(self.root) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)

    def _stop(self) -> None:
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
        folder: str | None = None         # isolated: the kernel's own folder

        @property
        def isolated(self) -> bool:
            return self.nursery is not None and self.nursery.isolation is not None

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            if self.isolated:      # no network in the sandbox: ZeroMQ over sockets in the kernel's folder
                self.folder = self.nursery.new_folder()
                self.transport, self.ip = "ipc", os.path.join(self.folder, "k")
                self.connection_file = os.path.join(self.folder, "kernel.json")
                kw["cwd"] = self.folder
                kw["env"] = kernel_folder_env(dict(kw.get("env") or os.environ), self.folder)
            return await super()._async_pre_start_kernel(**kw)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            nursery, provisioner = self.nursery, self.provisioner
            usable = (nursery is not None and nursery.alive and len(kernel_cmd) >= 3
                      and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]
                      and hasattr(provisioner, "connection_info"))
            pid = await nursery.fork(kernel_cmd[3:], dict(kw.get("env") or os.environ),
                                     str(kw.get("cwd") or os.getcwd()), self.memory) if usable else None
            if pid is None and self.isolated:
                return await self._launch_alone(kernel_cmd, **kw)
            if pid is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner.process, provisioner.pid, provisioner.pgid = _Forked(pid), pid, pid
            self._reconcile_connection_info(provisioner.connection_info)

        async def _launch_alone(self, kernel_cmd: list[str], **kw: Any) -> None:
            """Start the kernel as process 1 of a sandbox of its own (never without one)."""
            provisioner = self.provisioner
            status, told = os.pipe()
            try:
                proc = subprocess.Popen(kernel_command(kernel_cmd, self.folder, told), env=kw.get("env"),
                                        cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, pass_fds=(told,), start_new_session=True)
            finally:
                os.close(told)
            with os.fdopen(status, "rb") as reply:
                line = await asyncio.get_running_loop().run_in_executor(None, reply.readline)
            try:
                pid = int(json.loads(line)["child-pid"])
            except (ValueError, KeyError, TypeError):
                proc.kill()
                proc.wait()
                raise RuntimeError("the kernel's sandbox could not be made (bwrap failed)") from None
            provisioner.process, provisioner.pid, provisioner.pgid = _Alone(proc, pid), pid, pid
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkingKernelManager


def __getattr__(name: str) -> Any:
    if name == "ForkingKernelManager":          # jupyter_client is imported only when needed
        return _manager_class()
    raise AttributeError(name)
