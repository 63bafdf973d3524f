"""Tests of isolated grading (backprop_helpers.grading.isolation): a hostile notebook gets nothing.

A learner notebook of lesson 02 (every answer right) gains cells that try to read a sibling
submission and the instructor's solutions, to write into the instructor's home, the submissions
folder and the repository, to open network connections (to the outside and to a server this test
listens with on 127.0.0.1), and to fork a process that would outlive its kernel. Each cell raises,
at its end, a summary of what it got, which the report records ("cell N raised ..."). It is graded
with a sibling (kernels forked from the sandboxed nursery) and alone (a kernel started alone in its
sandbox). Skipped when bubblewrap cannot make a sandbox on this machine; under CI (``CI=true``, as
.ci/run runs, which installs bubblewrap) that is an error instead.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

from backprop_helpers.grading import isolation
from backprop_helpers.grading import runner as grading
from test_grading import RIGHT  # a learner's right answers, written their own way

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "02_loss.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
SECRET = "the sibling's secret answer"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need_sandbox() -> None:
    found = isolation.check()
    if not found.enabled:
        if _ci():
            pytest.fail(f"CI is set but kernels cannot be isolated: {found.detail}", pytrace=False)
        pytest.skip(f"kernels cannot be isolated here: {found.detail}")


# --------------------------------------------------------------------------- the notebooks

def _cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def _answered() -> dict:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in RIGHT:
            body = "\n".join("    " + line for line in RIGHT[gid].splitlines())
            cell["source"] = "".join(cell["source"]).replace(PLACEHOLDER, body)
    return nb


def _write(folder: Path, name: str, nb: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _attempts(title: str, attempts: dict[str, str]) -> str:
    """A cell that tries each statement and raises, at its end, what each one got (its first line)."""
    lines = ["import errno, os, socket, sys", "got = []"]
    for label, statement in attempts.items():
        lines += ["try:", *("    " + s for s in statement.splitlines()), f"    got.append({label!r} + ': done')",
                  "except BaseException as exc:",
                  f"    got.append({label!r} + ': ' + type(exc).__name__"
                  f" + ' ' + errno.errorcode.get(getattr(exc, 'errno', None) or 0, ''))"]
    lines.append(f"raise RuntimeError({title!r} + ' | ' + '; '.join(got))")
    return "\n".join(lines)


def hostile(sibling: Path, submissions: Path, tag: str, port: int) -> dict:
    home = Path.home()
    nb = _answered()
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code") + 1
    cells = [
        _attempts("read", {
            "sibling": f"open({str(sibling)!r}).read()",
            "submissions": f"os.listdir({str(submissions)!r})",
            "solutions": f"open({str(ROOT / 'solutions' / '02_loss.ipynb')!r}).read()",
            "home": f"open({str(home / f'.hostile-read-{tag}')!r}).read()",
            "neighbours": "names = os.listdir('..')\nassert len(names) > 1, names",   # other kernels' folders
        }),
        _attempts("write", {
            "home": f"open({str(home / f'.hostile-{tag}')!r}, 'w').write('x')",
            "submissions": f"open({str(submissions / f'hostile-{tag}.txt')!r}, 'w').write('x')",
            "repository": f"open({str(ROOT / f'hostile-{tag}.txt')!r}, 'w').write('x')",
            "tmp": f"open('/tmp/hostile-{tag}', 'w').write('x')",      # shared by no one, read-only
            "dev": f"open('/dev/hostile-{tag}', 'w').write('x')",
        }),
        _attempts("network", {
            "outside": "socket.create_connection(('1.1.1.1', 53), timeout=3).close()",
            "loopback": f"socket.create_connection(('127.0.0.1', {port}), timeout=3).close()",
        }),
        # a double fork into a new session: the grandchild escapes the kernel's process group and
        # would sleep on for minutes, with a name this test can find
        _attempts("fork", {
            "sleeper": ("pid = os.fork()\n"
                        "if pid == 0:\n"
                        "    os.setsid()\n"
                        "    if os.fork() == 0:\n"
                        f"        os.execv('/bin/sleep', ['sleep', '{tag}'])\n"
                        "    os._exit(0)\n"
                        "os.waitpid(pid, 0)"),
        }),
    ]
    nb["cells"][first:first] = [_cell(c) for c in cells]
    return nb


def _sleepers(tag: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().split(b"\0")[:2] == [b"sleep",
                                                                                           tag.encode()]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@contextlib.contextmanager
def _listening():
    """A TCP server on the host's 127.0.0.1: yields (port, list of the connections it accepted)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn.getpeername())
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(2)
        server.close()


def _problems(nb) -> dict[str, str]:
    """{'read': 'sibling: FileNotFoundError; ...', ...}: what each hostile cell reported."""
    found = {}
    for problem in nb.problems:
        if "raised RuntimeError: " in problem and " | " in problem:
            title, got = problem.split("raised RuntimeError: ", 1)[1].split(" | ", 1)
            found[title] = got
    return found


def _parts(got: str) -> dict[str, str]:
    return dict(part.split(": ", 1) for part in got.split("; "))


@pytest.fixture(scope="module", params=["forked", "alone"])
def hostile_run(request, tmp_path_factory):
    """The hostile notebook graded with a sibling (forked kernels) or alone, and what it left behind."""
    _need_sandbox()
    folder = tmp_path_factory.mktemp("class")
    sibling_nb = _answered()
    sibling_nb["cells"].append(_cell(f"notes = {SECRET!r}"))
    sibling = _write(folder, "sibling.ipynb", sibling_nb)
    tag = f"{7000 + secrets.randbelow(1000)}.{secrets.randbelow(10 ** 6)}"
    home, repo = Path.home() / f".hostile-{tag}", ROOT / f"hostile-{tag}.txt"
    readable = Path.home() / f".hostile-read-{tag}"     # a file of the instructor's home
    readable.write_text(SECRET, encoding="utf-8")
    with _listening() as (port, accepted):
        path = _write(folder, "hostile.ipynb", hostile(sibling, folder, tag, port))
        targets = [folder] if request.param == "forked" else [path]
        start = time.perf_counter()
        report = grading.grade_notebooks(targets, solutions=ROOT / "solutions", cell_timeout=20, timeout=120,
                                         seed=1)
        seconds = time.perf_counter() - start
        time.sleep(0.5)
        survivors = _sleepers(tag)
        connections = list(accepted)
    for pid in survivors:                       # never leave one behind, whatever the test says
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
    written = [p for p in (home, repo, folder / f"hostile-{tag}.txt", Path(f"/tmp/hostile-{tag}"))
               if p.exists()]
    for p in [*written, readable]:
        p.unlink()
    nb = next(n for n in report.notebooks if Path(n.path).name == "hostile.ipynb")
    return {"report": report, "nb": nb, "got": _problems(nb), "survivors": survivors, "written": written,
            "connections": connections, "mode": request.param, "seconds": seconds}


def test_the_grade_completes_and_the_report_says_the_kernel_was_isolated(hostile_run):
    nb, report = hostile_run["nb"], hostile_run["report"]
    assert [(e.grade_id, e.status) for e in nb.exercises] == [(g, "passed") for g in RIGHT]
    assert report.settings["isolation"].startswith("bubblewrap")
    assert "Isolation: bubblewrap" in report.to_text()
    assert json.loads(report.to_json())["settings"]["isolation"] == report.settings["isolation"]
    expected = "forked from a preloaded process" if hostile_run["mode"] == "forked" else "started one by one"
    assert report.settings["kernels"] == expected


def test_a_sibling_submission_the_solutions_and_the_home_folder_cannot_be_read(hostile_run):
    got = _parts(hostile_run["got"]["read"])
    assert set(got) == {"sibling", "submissions", "solutions", "home", "neighbours"}
    assert not [label for label, what in got.items() if what == "done"], got
    assert SECRET not in hostile_run["report"].to_json()


def test_nothing_can_be_written_outside_the_kernels_own_folder(hostile_run):
    got = _parts(hostile_run["got"]["write"])
    assert set(got) == {"home", "submissions", "repository", "tmp", "dev"}
    assert not [label for label, what in got.items() if what == "done"], got
    assert hostile_run["written"] == []


def test_there_is_no_network_not_even_the_graders_loopback(hostile_run):
    got = _parts(hostile_run["got"]["network"])
    assert got["outside"] != "done" and got["loopback"] != "done", got
    assert hostile_run["connections"] == []


def test_a_forked_process_does_not_outlive_its_kernel(hostile_run):
    assert _parts(hostile_run["got"]["fork"]) == {"sleeper": "done"}     # it did start
    assert hostile_run["survivors"] == []


def test_the_sibling_was_graded_alike(hostile_run):
    if hostile_run["mode"] != "forked":
        pytest.skip("graded alone")
    [sibling] = [n for n in hostile_run["report"].notebooks if Path(n.path).name == "sibling.ipynb"]
    assert [e.status for e in sibling.exercises] == ["passed"] * 4 and not sibling.problems


# --------------------------------------------------------------------------- without isolation

def test_no_isolation_is_said_loudly_and_recorded_in_every_report(tmp_path, capsys):
    path = _write(tmp_path, "good.ipynb", _answered())
    status = grading.main([str(path), "--no-isolation", "--json", str(tmp_path / "r.json"),
                           "--solutions", str(ROOT / "solutions"), "--cell-timeout", "20"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "WARNING" in err and "not isolated" in err and "--no-isolation" in err
    assert "Isolation: none: learner code ran with your rights" in out
    settings = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["settings"]
    assert settings["isolation"].startswith("none: learner code ran with your rights")


def test_isolation_required_refuses_to_grade_where_it_is_not_possible(tmp_path, capsys, monkeypatch):
    path = _write(tmp_path, "good.ipynb", _answered())
    monkeypatch.setattr(isolation, "check", lambda: isolation.Isolation(
        False, False, f"{isolation.NONE}; bubblewrap (bwrap) is not installed"))
    status = grading.main([str(path), "--isolation", "required", "--solutions", str(ROOT / "solutions")])
    err = capsys.readouterr().err
    assert status == 2 and "--isolation=required" in err and "bwrap" in err
    report = grading.grade_notebooks(path, solutions=ROOT / "solutions", cell_timeout=20)   # auto: warns
    assert report.settings["isolation"].startswith("none") and "not isolated" in capsys.readouterr().err


def test_the_isolation_options_parse():
    parser = __import__("argparse").ArgumentParser()
    grading._add_arguments(parser)
    assert parser.parse_args(["a.ipynb"]).isolation == "auto"
    assert parser.parse_args(["a.ipynb", "--no-isolation"]).isolation == "off"
    assert parser.parse_args(["a.ipynb", "--isolation=required"]).isolation == "required"
    with pytest.raises(ValueError, match="isolation must be one of"):
        isolation.choose("maybe")


def test_the_sandbox_binds_the_package_not_the_repository():
    paths = isolation.readonly_paths()
    package = str((ROOT / "backprop_helpers").resolve())
    assert str(ROOT.resolve()) not in paths and not any(p.startswith(str((ROOT / "solutions").resolve()))
                                                        for p in paths)
    assert any(package == p or package.startswith(p + "/") for p in paths)


def test_a_bwrap_that_cannot_make_namespaces_means_no_isolation_with_its_reason(tmp_path, monkeypatch):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\n"
                    "exit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    found = isolation.check.__wrapped__()
    assert not found.enabled and found.detail.startswith("none: learner code ran with your rights")
    assert "cannot create namespaces here (bwrap: Creating new namespace failed" in found.detail
