"""The learner's progress: every exercise check records its verdict in a small local file.

Each time a check runs (``check_linear_forward(linear_forward)`` in a lesson), :func:`record` adds
the verdict to a JSON file: per lesson and exercise, how many times it was checked, whether it ever
passed and when, and the last verdict. :func:`show` (the start notebook calls it) and
``python -m backprop_helpers progress`` print it as a table of lessons and exercises done.

Where it is kept, and how to switch it off (environment variables):

- ``BACKPROP_PROGRESS_FILE``: the file (default ``~/.backprop_course/progress.json``);
- ``BACKPROP_PROGRESS=off`` (or ``0``, ``no``, ``false``): nothing is recorded, read or shown. The
  test suite and ``check --run`` set it, so they never touch a learner's file.

The file is safe to share between kernels: every change happens under a lock (``fcntl.flock`` on
POSIX; elsewhere a lock file created exclusively), reads the file, changes it and writes it whole
to a temporary file that then replaces it (``os.replace``), so two lessons checking at once lose
nothing and an interrupted write leaves the previous file intact. A file that cannot be read is
never emptied: it is renamed to ``progress.corrupt-<date-time>.json`` beside it, with a message, and
a new file starts. Recording never makes a check fail: a file that cannot be written is reported
once, and the check carries on.

The lesson of a verdict is the notebook's file name, which JupyterLab and Jupyter Notebook give the
kernel (``JPY_SESSION_NAME``; VS Code: ``__vsc_ipynb_file__``). A verdict recorded outside a known
notebook is listed on its own and counts for no lesson (the start notebook's demonstrations, run
where the notebook is unknown, must not mark lesson 01's ``relu`` as done).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - not POSIX
    _fcntl = None

__all__ = ["progress_file", "is_enabled", "current_lesson", "record", "load", "table", "show"]

DEFAULT_FILE = Path("~") / ".backprop_course" / "progress.json"
FORMAT = 1
_OFF = {"off", "0", "no", "false"}
_UNKNOWN = ""                 # the lesson key of verdicts recorded outside a known notebook
_OUTSIDE = "(no notebook known)"
_LOCK_WAIT = 30.0             # seconds to wait for another kernel's lock
_STALE_LOCK = 60.0            # a fallback lock file older than this was left by a crashed process
_reported: set[str] = set()   # problems already reported by this process


def is_enabled() -> bool:
    """Whether progress is recorded and shown (``BACKPROP_PROGRESS`` is not ``off``)."""
    return os.environ.get("BACKPROP_PROGRESS", "on").strip().lower() not in _OFF


def progress_file() -> Path:
    """The progress file: ``$BACKPROP_PROGRESS_FILE``, or ``~/.backprop_course/progress.json``."""
    return Path(os.environ.get("BACKPROP_PROGRESS_FILE") or DEFAULT_FILE).expanduser()


def current_lesson() -> str | None:
    """The name of the notebook this kernel runs (``"01_forward_pass"``), or None if unknown."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        try:
            from IPython import get_ipython
            shell = get_ipython()
        except ImportError:  # pragma: no cover - IPython comes with the course
            shell = None
        name = str(shell.user_ns.get("__vsc_ipynb_file__", "")) if shell is not None else ""
    return Path(name).stem if name.endswith(".ipynb") else None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _say_once(key: str, message: str) -> None:
    if key not in _reported:
        _reported.add(key)
        print(message, file=sys.stderr)


# --------------------------------------------------------------------------- the file, safely

@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the lock of ``path`` (the file ``<path>.lock``) for the duration of the block."""
    lock = path.with_name(path.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    if _fcntl is not None:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX)
            yield
        finally:
            _fcntl.flock(fd, _fcntl.LOCK_UN)
            os.close(fd)
        return
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - lock.stat().st_mtime > _STALE_LOCK:
                    lock.unlink()
                    continue
            if time.monotonic() > deadline:
                raise TimeoutError(f"the lock {lock} stayed taken for {_LOCK_WAIT:g} s; if no kernel "
                                   f"is running a check, delete it") from None
            time.sleep(0.005)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            lock.unlink()


def _valid(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return False
    if not isinstance(data.get("lessons"), dict):
        return False
    return all(isinstance(exercises, dict) and all(isinstance(entry, dict) for entry in exercises.values())
               for exercises in data["lessons"].values())


def _read(path: Path) -> dict:
    """The file's content (a new empty record if there is none); an unreadable file is set aside."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {"format": FORMAT, "lessons": {}}
    try:
        data = json.loads(raw.decode("utf-8"))
        why = None if _valid(data) else f"it is JSON but not a progress file of format {FORMAT}"
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = f"it is not valid JSON: {exc}"
    if why is None:
        return data
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = path.with_name(f"{path.stem}.corrupt-{stamp}{path.suffix}"), 2
    while aside.exists():
        aside, n = path.with_name(f"{path.stem}.corrupt-{stamp}-{n}{path.suffix}"), n + 1
    os.replace(path, aside)
    print(f"backprop_helpers.course.progress: {path} could not be read ({why}). It was set aside, unchanged, "
          f"as {aside}, and a new progress file starts now.", file=sys.stderr)
    return {"format": FORMAT, "lessons": {}}


def _write(path: Path, data: dict) -> None:
    """Write ``data`` to a temporary file beside ``path``, then put it in place in one step."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# --------------------------------------------------------------------------- recording and reading

def record(exercise: str, passed: bool, *, status: str | None = None, lesson: str | None = None,
           path: str | os.PathLike | None = None) -> None:
    """Add one verdict: ``exercise`` was checked now and ``passed`` (or not).

    ``status`` is the check's status ("passed", "wrong", "error", "not done"); ``lesson`` defaults
    to :func:`current_lesson`; ``path`` to :func:`progress_file`. Does nothing when recording is
    switched off (unless ``path`` is given). Never raises: a file that cannot be written is reported
    once per kernel.
    """
    if path is None and not is_enabled():
        return
    target = Path(path).expanduser() if path is not None else progress_file()
    lesson = current_lesson() if lesson is None else lesson
    when = _now()
    try:
        with _locked(target):
            data = _read(target)
            entry = data["lessons"].setdefault(lesson or _UNKNOWN, {}).setdefault(str(exercise), {})
            entry["attempts"] = int(entry.get("attempts", 0)) + 1
            entry["last_checked"] = when
            entry["last_status"] = status or ("passed" if passed else "wrong")
            entry["passed"] = bool(entry.get("passed")) or bool(passed)
            if passed and not entry.get("first_passed"):
                entry["first_passed"] = when
            _write(target, data)
    except (OSError, TimeoutError) as exc:
        _say_once(f"write {target}", f"backprop_helpers.course.progress: could not record your progress in "
                                     f"{target} ({exc}). Checks work as before. Set BACKPROP_PROGRESS_FILE "
                                     f"to a file you can write, or BACKPROP_PROGRESS=off.")


def load(path: str | os.PathLike | None = None) -> dict:
    """The recorded verdicts: ``{lesson: {exercise: {attempts, passed, first_passed, last_checked,
    last_status}}}``, lesson ``""`` for verdicts recorded outside a known notebook."""
    target = Path(path).expanduser() if path is not None else progress_file()
    if not target.exists():
        return {}
    with _locked(target):
        return _read(target)["lessons"]


# --------------------------------------------------------------------------- the table

def _course_map(lessons_dir: str | os.PathLike | None) -> list[tuple[str, list[str]]]:
    """``[(lesson, [exercise, ...]), ...]`` from the notebooks of the course that have exercises."""
    from .notebook import exercises, notebook_paths, read_notebook

    here = Path.cwd()
    folders = [Path(lessons_dir)] if lessons_dir is not None else \
        [here, here / "lessons", Path(__file__).resolve().parents[2] / "lessons"]
    for folder in folders:
        found = []
        for path in notebook_paths(folder):
            try:
                names = [e.grade_id for e in exercises(read_notebook(path), name=str(path))]
            except (ValueError, OSError):
                continue
            if names:
                found.append((path.stem, list(dict.fromkeys(names))))
        if found:
            return found
    return []


def _local_time(stamp: str) -> str:
    try:
        when = _dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return "-"
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _rows(lesson: str, names: list[str], entries: dict, width: int) -> tuple[list[str], int]:
    """The table's lines for one lesson (its counts, then its exercises marked) and how many passed."""
    entries = {name: entries.get(name) if isinstance(entries.get(name), dict) else {} for name in names}
    done = sum(bool(e.get("passed")) for e in entries.values())
    last = max((str(e.get("last_checked", "")) for e in entries.values()), default="")
    lines = [f"{lesson:<{width}}{f'{done} / {len(names)}':>8}  {_local_time(last) if last else '-'}"]
    marks = "  ".join(("✔" if e.get("passed") else "✘" if e.get("attempts") else "·") + "\u00a0" + name
                      for name, e in entries.items())
    lines += textwrap.wrap(marks, 100, initial_indent="    ", subsequent_indent="    ",
                           break_on_hyphens=False)
    return lines, done


def table(results: dict | None = None, *, lessons_dir: str | os.PathLike | None = None,
          path: str | os.PathLike | None = None) -> str:
    """The progress as text: per lesson, exercises passed out of all, when last checked, and each
    exercise marked ✔ (passed), ✘ (checked, not passed yet) or · (not checked yet).

    ``results`` defaults to :func:`load` of ``path``; the lessons and their exercises come from the
    notebooks in ``lessons_dir`` (default: the current folder, else ``./lessons``, else the course's
    ``lessons/``); without them, the recorded lessons are listed as they are. Verdicts recorded
    outside a known notebook are listed last, on their own, and count for no lesson.
    """
    results = load(path) if results is None else results
    course = _course_map(lessons_dir) or sorted(
        (lesson, sorted(exercises)) for lesson, exercises in results.items() if lesson != _UNKNOWN)
    outside = sorted(results.get(_UNKNOWN, {}))
    width = max([len(name) for name, _ in course] + [len(_OUTSIDE), 6]) + 2
    lines = [f"{'lesson':<{width}}{'done':>8}  last checked"]
    done_all = total_all = 0
    for lesson, names in course:
        rows, done = _rows(lesson, names, results.get(lesson, {}), width)
        lines += rows
        done_all, total_all = done_all + done, total_all + len(names)
    lines.append(f"{'all lessons':<{width}}{f'{done_all} / {total_all}':>8}")
    if outside:
        lines.append("checked outside a known notebook (counted in no lesson):")
        lines += _rows(_OUTSIDE, outside, results[_UNKNOWN], width)[0]
    lines.append("✔ passed   ✘ checked, not passed yet   · not checked yet")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """``path`` as a person would write it: ``~/...`` inside the home folder."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def show(*, lessons_dir: str | os.PathLike | None = None) -> None:
    """Print the progress table (:func:`table`) and where it is kept, or say that recording is off."""
    if not is_enabled():
        print("Progress recording is switched off (BACKPROP_PROGRESS=off): nothing is recorded or shown.")
        return
    target = progress_file()
    if not target.exists():
        print(f"No exercise checked yet: each check you run will be recorded in {_shown(target)}.\n")
    else:
        print(f"Your progress, from {_shown(target)}:\n")
    print(table(lessons_dir=lessons_dir, path=target))
