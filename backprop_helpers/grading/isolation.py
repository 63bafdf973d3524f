"""Graded kernels in a sandbox: bubblewrap (``bwrap``) namespaces around each learner's kernel (private).

What a graded kernel sees:

- read-only: the system's programs and libraries (``/usr`` and its links ``/bin``, ``/lib`` ...), the
  files of ``/etc`` that programs read (dynamic linker, time zone, fonts, users), and the Python the
  kernel runs: every folder on its ``sys.path`` (the installation, the environment) and the course
  package's own folder -- not the repository around it, so not ``solutions/``;
- writable: its own kernel folder (working folder, ``HOME`` and ``TMPDIR``), which also holds its
  connection file and the sockets the grader talks to it through (ZeroMQ over ``ipc``: there is no
  network to go through); ``/tmp`` is an empty read-only folder;
- nothing else: no other submission, no file of the instructor's home or of the repository beyond the
  above, no network (a network namespace of its own, with at most a loopback of its own), a PID
  namespace of its own where the kernel is process 1 (when it ends, every process it started ends
  too), its own IPC namespace, a new session (no terminal), no capabilities, no new privileges.

Two ways to start one (``nursery.py``):

- forked from the *nursery*, which then runs in one sandbox with the read-only view above and the run's
  kernels folder writable (``nursery_command``); each forked kernel makes its own mount and PID
  namespaces before any learner code runs (``confine``): the kernels folder is replaced by one that
  holds only its own folder, ``/proc`` shows only its own processes, every capability is dropped;
- started alone: ``bwrap ... --as-pid-1 -- python -m ipykernel_launcher -f ...`` (``kernel_command``).

``check()`` tries both once per process; where ``bwrap`` is missing or cannot create namespaces (some
containers), grading goes on without a sandbox and says so loudly (``Isolation.detail``).
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Isolation", "check", "choose", "nursery_command", "kernel_command", "kernel_folder_env",
           "confine", "host_pid", "MODES", "NONE"]

MODES = ("auto", "required", "off")
NONE = "none: learner code ran with your rights (it could read and write your files and use the network)"
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "fonts", "nsswitch.conf",
        "passwd", "group", "mime.types", "matplotlibrc")
_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_READ_ONLY_REST = ("--remount-ro", "/tmp", "--remount-ro", "/dev", "--remount-ro", "/")   # after the last mount


@dataclass(frozen=True)
class Isolation:
    """How this run's kernels are isolated. ``enabled``: in a sandbox; ``fork``: the nursery can be
    sandboxed too (else each kernel starts alone in its own); ``detail``: the report's line."""
    enabled: bool
    fork: bool
    detail: str
    bwrap: str | None = None


# --------------------------------------------------------------------------- what the kernel needs

@functools.lru_cache(maxsize=4)
def _python_view(python: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folders on the kernel's sys.path, the course package's folders), asked of ``python`` itself,
    without importing the package."""
    probe = ("import importlib.util, json, sys\n"
             "spec = importlib.util.find_spec('backprop_helpers')\n"
             "print(json.dumps([sys.path, list(spec.submodule_search_locations or []) if spec else [],"
             " [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]]))")
    from .execution import kernel_env
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=kernel_env(),
                         cwd=tempfile.gettempdir(), timeout=60, check=True).stdout
    path, package, prefixes = json.loads(out.strip().splitlines()[-1])
    return tuple(path + prefixes), tuple(package)


def readonly_paths(python: str = sys.executable) -> list[str]:
    """The folders a kernel reads: its Python's and the course package's (see the module docstring)."""
    path, package = _python_view(python)
    here = Path(__file__).resolve().parents[1]        # this package, in case the kernel's differs
    wanted = [str(Path(python).resolve().parent), *package, str(here)]
    for entry in path:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry) or \
                os.path.realpath(entry) in ("/", os.path.realpath(os.path.expanduser("~"))):
            continue              # never the whole machine or the whole home, whatever sys.path says
        if os.path.isdir(os.path.join(entry, "backprop_helpers")) and "-packages" not in entry:
            continue              # the repository of an editable install: only the package is bound
        wanted.append(entry)
    found: list[str] = []
    for entry in sorted({os.path.realpath(p) for p in wanted} | {os.path.abspath(p) for p in wanted}):
        if os.path.exists(entry) and not entry.startswith("/usr/") and entry != "/usr" and \
                not any(entry.startswith(f.rstrip("/") + "/") for f in found):
            found.append(entry)
    return found


def _base_args(python: str) -> list[str]:
    """bwrap's arguments shared by both ways: namespaces, /usr, /etc, /dev, /proc, the Python folders."""
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--tmpfs", "/tmp",
            "--ro-bind", "/usr", "/usr"]
    for top in _TOP:
        path = f"/{top}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc"]
    for path in readonly_paths(python):
        args += ["--ro-bind", path, path]
    return args


def kernel_folder_env(env: dict[str, str], folder: str) -> dict[str, str]:
    """The kernel's environment inside the sandbox: its own folder as HOME and TMPDIR, no parent
    poller (the kernel is process 1 of its namespace), matplotlib's and IPython's files in its folder."""
    env = dict(env)
    for name in ("JPY_PARENT_PID", "XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "DBUS_SESSION_BUS_ADDRESS",
                 "DISPLAY", "WAYLAND_DISPLAY", "IPYTHONDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
                 "XDG_DATA_HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env.pop(name, None)
    env.update(HOME=folder, TMPDIR=folder, MPLCONFIGDIR=os.path.join(folder, ".matplotlib"))
    return env


def nursery_command(python: str, root: str, code: str) -> list[str]:
    """The nursery's command line: ``python -c code`` in a sandbox where ``root`` (the run's kernels
    folder) is writable and the forked kernels may still make namespaces of their own."""
    return ["bwrap", *_base_args(python), "--bind", root, root, *_READ_ONLY_REST, "--chdir", "/",
            "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP", "--", python, "-c", code]


def kernel_command(cmd: list[str], folder: str, status_fd: int) -> list[str]:
    """A kernel started alone: ``cmd`` run as process 1 of its own sandbox, ``folder`` writable; bwrap
    writes the kernel's process id (as seen here) as JSON to ``status_fd``."""
    return ["bwrap", *_base_args(cmd[0]), "--bind", folder, folder, *_READ_ONLY_REST, "--chdir", folder,
            "--as-pid-1", "--json-status-fd", str(status_fd), "--", *cmd]


# --------------------------------------------------------------------------- inside the nursery

_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWNET, _CLONE_NEWIPC = 0x00020000, 0x20000000, 0x40000000, 0x08000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_KEEP = ((1, 1), (2, 2), (4, 4), (8, 8), (1024, 1024), (2048, 2048), (4096, 1 << 21))   # statvfs -> mount
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(libc, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None):
    enc = (lambda s: None if s is None else s.encode())
    _call(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _read_only(libc, path: str) -> None:
    """Make the mount at ``path`` read-only in this mount namespace, keeping its other flags."""
    current = os.statvfs(path).f_flag
    flags = sum(mount for st, mount in _KEEP if current & st)
    _mount(libc, None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags)


def _drop_capabilities(libc) -> None:
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    _call(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    _call(libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def confine(folder: str, report_fd: int) -> None:
    """In a kernel just forked from the sandboxed nursery: give it namespaces of its own (mount, PID,
    network, IPC), so that nothing of a sibling kernel is within its reach.

    ``folder`` (inside the run's kernels folder) becomes the only folder left in the kernels folder,
    ``/dev`` read-only with a ``/dev/shm`` of its own;
    this process then forks: the parent writes the child's process id (as the nursery sees it) to
    ``report_fd`` and ends; the child, process 1 of the new PID namespace, mounts its own ``/proc``,
    drops every capability and returns (it becomes the kernel).
    """
    libc = _libc()
    root = os.path.dirname(folder)
    _call(libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC), "unshare")
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    handle = os.open(folder, os.O_PATH | os.O_DIRECTORY)      # opened in the new mount namespace
    _mount(libc, "tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=0755")
    os.mkdir(folder)
    _mount(libc, f"/proc/self/fd/{handle}", folder, None, _MS_BIND | _MS_REC)
    os.close(handle)
    _mount(libc, None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    if os.path.isdir("/dev/shm"):
        _mount(libc, "tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64m,mode=1777")
    _read_only(libc, "/dev")
    pid = os.fork()
    if pid:
        os.write(report_fd, f"{pid}\n".encode())
        os._exit(0)
    os.close(report_fd)
    os.setsid()
    _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    for part in ("sys", "sysrq-trigger", "irq", "bus"):
        path = f"/proc/{part}"
        if os.path.exists(path):
            _mount(libc, path, path, None, _MS_BIND | _MS_REC)
            _read_only(libc, path)
    _drop_capabilities(libc)
    os.chdir(folder)


# --------------------------------------------------------------------------- on the grader's side

def _nspid_shown() -> bool:
    """Whether /proc tells a process's ids in nested PID namespaces (``NSpid``, Linux 4.1 and later),
    which ``host_pid`` needs."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            return "\nNSpid:" in f.read()
    except OSError:
        return False


def host_pid(ns_pid: int, ancestor: int) -> int | None:
    """The process id, as seen here, of the process whose id in the nursery's namespace is ``ns_pid``
    and that descends from ``ancestor`` (the nursery's bwrap)."""
    parents: dict[int, int] = {}
    candidates = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        parents[pid] = int(fields.get("PPid", "0").split()[0] or 0)
        nspid = fields.get("NSpid", "").split()
        if len(nspid) >= 2 and nspid[1] == str(ns_pid):
            candidates.append(pid)
    for pid in candidates:
        seen, step = set(), pid
        while step and step not in seen:
            if step == ancestor:
                return pid
            seen.add(step)
            step = parents.get(step, 0)
    return None


_SELF_TEST = r"""
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("_isolation", {module!r})
isolation = importlib.util.module_from_spec(spec)
sys.modules["_isolation"] = isolation
spec.loader.exec_module(isolation)
folder = os.path.join({root!r}, "k")
os.mkdir(folder)
os.mkdir(os.path.join({root!r}, "other"))
read, write = os.pipe()
if os.fork() == 0:
    isolation.confine(folder, write)
    seen = sorted(os.listdir({root!r}))
    with open(os.path.join(folder, "ok"), "w") as f:
        f.write(f"{{os.getpid()}} {{seen}}")
    os._exit(0)
os.close(write)
print(os.read(read, 64).decode().strip())
"""
_ENABLED = ("bubblewrap: each kernel sees only its own folder, the Python environment and the course "
            "package (read-only); no network, no other submission, no process outliving it")


@functools.lru_cache(maxsize=None)
def check(python: str = sys.executable) -> Isolation:
    """Whether kernels can be sandboxed here: ``bwrap`` found, a kernel's own sandbox made (its Python
    imports numpy and zmq there), and inside the nursery's sandbox a kernel's own namespaces (both
    tried at once, once per process: about 0.3 s)."""
    bwrap = shutil.which("bwrap")
    if not sys.platform.startswith("linux"):
        return Isolation(False, False, f"{NONE}; kernels are isolated on Linux only (bubblewrap)")
    if bwrap is None:
        return Isolation(False, False, f"{NONE}; bubblewrap (bwrap) is not installed "
                                       f"(Debian/Ubuntu: apt-get install bubblewrap)")
    root = tempfile.mkdtemp(prefix="backprop-sandbox-check-")
    alone_root, nursery_root = os.path.join(root, "alone"), os.path.join(root, "nursery")
    os.mkdir(alone_root)
    os.mkdir(nursery_root)
    code = _SELF_TEST.format(module=str(Path(__file__).resolve()), root=nursery_root)
    started = []
    try:
        try:
            for command in (["bwrap", *_base_args(python), "--bind", alone_root, alone_root, *_READ_ONLY_REST,
                             "--as-pid-1", "--", python, "-c", "import os, numpy, zmq; print(os.getpid())"],
                            nursery_command(python, nursery_root, code)):
                started.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                stdin=subprocess.DEVNULL, text=True))
            (alone_out, alone_err), _ = [proc.communicate(timeout=60) for proc in started]
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return Isolation(False, False, f"{NONE}; bwrap could not run ({exc})", bwrap)
        if started[0].returncode != 0 or alone_out.strip() != "1":
            why = (alone_err.strip().splitlines() or ["no message"])[-1]
            return Isolation(False, False, f"{NONE}; bwrap cannot create namespaces here ({why})", bwrap)
        try:
            marker = (Path(nursery_root) / "k" / "ok").read_text()
        except OSError:
            marker = ""
        fork = started[1].returncode == 0 and marker == "1 ['k']" and _nspid_shown()
        return Isolation(True, fork, _ENABLED, bwrap)
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def choose(mode: str) -> Isolation:
    """The isolation of a run: ``auto`` (a sandbox when possible), ``required`` (ValueError when not
    possible), ``off`` (none, as the instructor asked)."""
    if mode not in MODES:
        raise ValueError(f"grade_notebooks: isolation must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off":
        return Isolation(False, False, f"{NONE}; --no-isolation was given")
    found = check()
    if mode == "required" and not found.enabled:
        raise ValueError(f"--isolation=required, but kernels cannot be isolated here: {found.detail}")
    return found
