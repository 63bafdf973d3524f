"""The environment doctor: is this kernel ready for the course?

``run()`` looks at the things that make a lesson fail in confusing ways before any exercise is
written, prints one table (each check OK or PROBLEM) followed by a one-line fix for every problem, and
returns the results as a list of ``DoctorResult`` so that a test (or a script) can inspect them:

- Python, numpy, matplotlib and ipywidgets: installed, and inside the ranges the course supports
  (``requires-python`` of pyproject.toml, the pins of requirements.txt);
- the widget frontend: the ``jupyterlab_widgets`` package and its JupyterLab extension
  ``@jupyter-widgets/jupyterlab-manager``, in a version that matches ipywidgets (without it, sliders
  show as text such as ``IntSlider(value=3)``);
- float64: numpy's default float is IEEE double precision (machine epsilon 2**-52), which gradient
  checking relies on;
- BLAS threads: the matrix library runs with the number of threads the package asked for
  (``BACKPROP_BLAS_THREADS``, default 1);
- the kernel's Python is the course's own ``.venv``, so it sees the packages ``make lab`` installed.

Nothing here changes the environment; every check only reads.
"""
from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DoctorResult", "run", "check_python", "check_package", "check_widget_frontend",
           "check_float64", "check_blas_threads", "check_kernel_env", "check_course_copy", "format_report",
           "supported_python", "supported_range"]

#: the course folder: the parent of the package (the package is installed in editable mode)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTALL_FIX = "in the course folder run `make lab` (or `.venv/bin/python -m pip install -r requirements.txt`)"
# Used when the course folder's files are not next to the package (e.g. a non-editable install).
_FALLBACK_PYTHON = ">=3.10"
_FALLBACK_PINS = {"numpy": ">=1.26,<3", "matplotlib": ">=3.8,<4", "ipywidgets": ">=8.1.2,<9"}
_WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


@dataclass(frozen=True)
class DoctorResult:
    """One check of the environment: what was looked at, whether it is fine, what was found, the fix."""
    name: str
    ok: bool
    found: str
    fix: str = ""

    @property
    def status(self) -> str:
        return "OK" if self.ok else "PROBLEM"


# ------------------------------------------------------------------ what the course supports

def _spec_set(text: str):
    from packaging.specifiers import SpecifierSet
    return SpecifierSet(text)


def supported_python() -> str:
    """The ``requires-python`` range of pyproject.toml, e.g. ``">=3.10"``."""
    try:
        text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return _FALLBACK_PYTHON
    match = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M)
    return match.group(1) if match else _FALLBACK_PYTHON


def supported_range(package: str) -> str:
    """The version range requirements.txt gives ``package``, e.g. ``">=1.26,<3"`` for numpy."""
    try:
        lines = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        return _FALLBACK_PINS.get(package, "")
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)$", line)
        if match and _normalise(match.group(1)) == _normalise(package):
            return match.group(2).replace(" ", "")
    return _FALLBACK_PINS.get(package, "")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_version(dist: str) -> str | None:
    """The installed version of the distribution ``dist``, or None when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _in_range(version: str, spec: str) -> bool:
    return _spec_set(spec).contains(version, prereleases=True)


# ------------------------------------------------------------------ the checks

def _python_version() -> str:
    return ".".join(str(v) for v in sys.version_info[:3])


def check_python() -> DoctorResult:
    """Python's version is inside pyproject.toml's ``requires-python``."""
    version, spec = _python_version(), supported_python()
    ok = _in_range(version, spec)
    return DoctorResult("Python", ok, f"{version} (supported: {spec})",
                        "" if ok else f"install Python {spec}, then `make distclean` and `make lab "
                                      f"PYTHON=python3.12` (any supported interpreter)")


def check_package(dist: str) -> DoctorResult:
    """``dist`` is installed in a version inside requirements.txt's range."""
    version, spec = _installed_version(dist), supported_range(dist)
    if version is None:
        return DoctorResult(dist, False, f"not installed (supported: {spec})", INSTALL_FIX)
    ok = not spec or _in_range(version, spec)
    return DoctorResult(dist, ok, f"{version} (supported: {spec or 'any'})",
                        "" if ok else f'install a supported version: `.venv/bin/python -m pip install '
                                      f'"{dist}{spec}"`, then restart the kernel')


def _labextension_dirs() -> list[Path]:
    """Where JupyterLab looks for prebuilt extensions (the kernel's environment first)."""
    try:
        from jupyter_core.paths import jupyter_path
        return [Path(p) for p in jupyter_path("labextensions")]
    except ImportError:
        return [Path(sys.prefix) / "share" / "jupyter" / "labextensions"]


def _required_frontend_spec() -> str | None:
    """The ``jupyterlab_widgets`` range the installed ipywidgets asks for (e.g. ``~=3.0.17``)."""
    for req in metadata.requires("ipywidgets") or []:
        match = re.match(r"jupyterlab[-_]widgets\s*([^;]*)", req, re.I)
        if match and ";" not in req:
            return match.group(1).strip() or None
    return None


def check_widget_frontend() -> DoctorResult:
    """The JupyterLab side of ipywidgets is installed, in the version ipywidgets expects."""
    name = "widget frontend"
    fix = ('`.venv/bin/python -m pip install "jupyterlab_widgets~=3.0"` (or `make lab`), then restart '
           'JupyterLab itself, not only the kernel')
    version = _installed_version("jupyterlab_widgets")
    if version is None:
        return DoctorResult(name, False, "jupyterlab_widgets not installed: sliders would show as text",
                            fix)
    found = [d for d in _labextension_dirs() if (d / _WIDGET_EXTENSION / "package.json").is_file()]
    if not found:
        return DoctorResult(name, False, f"jupyterlab_widgets {version}, but JupyterLab has no "
                                         f"{_WIDGET_EXTENSION} extension", fix)
    wanted = _required_frontend_spec() if _installed_version("ipywidgets") else None
    if wanted and not _in_range(version, wanted):
        return DoctorResult(name, False, f"jupyterlab_widgets {version}, but ipywidgets needs {wanted}",
                            f'`.venv/bin/python -m pip install "jupyterlab_widgets{wanted}"`, then '
                            f'restart JupyterLab itself')
    return DoctorResult(name, True, f"jupyterlab_widgets {version} ({_WIDGET_EXTENSION})")


def _float64_facts() -> tuple[str, int, float]:
    """(numpy's default float dtype, bytes of a float64, machine epsilon of float64)."""
    return str(np.zeros(1).dtype), np.dtype(np.float64).itemsize, float(np.finfo(np.float64).eps)


def check_float64() -> DoctorResult:
    """numpy's default float is IEEE double precision: 8 bytes, machine epsilon 2**-52."""
    default, itemsize, eps = _float64_facts()
    ok = default == "float64" and itemsize == 8 and eps == 2.0 ** -52
    return DoctorResult("float64", ok, f"default {default}, {itemsize} bytes, eps {eps:.3g}",
                        "" if ok else "this numpy build has no IEEE double precision; install the "
                                      "official numpy wheel: `.venv/bin/python -m pip install "
                                      "--force-reinstall numpy`")


def _blas_threads() -> dict:
    from .. import blas_threads
    return blas_threads()


def check_blas_threads() -> DoctorResult:
    """numpy's BLAS runs with the threads the package asked for (``BACKPROP_BLAS_THREADS``, default 1)."""
    threads = _blas_threads()
    setting = os.environ.get("BACKPROP_BLAS_THREADS", "1").strip().lower()
    if not threads:
        return DoctorResult("BLAS threads", True, "no BLAS library visible to threadpoolctl (nothing "
                                                  "to limit)")
    found = ", ".join(f"{api}: {n}" for api, n in sorted(threads.items()))
    if setting in ("default", "none", ""):
        return DoctorResult("BLAS threads", True, f"{found} (library default, as asked)")
    limit = int(setting) if setting.isdigit() and int(setting) > 0 else 1
    ok = all(n <= limit for n in threads.values())
    return DoctorResult("BLAS threads", ok, f"{found} (asked for at most {limit})",
                        "" if ok else f"run `backprop_helpers.set_blas_threads({limit})`, or restart "
                                      f"the kernel (small matrices are slowest with many threads)")


def _kernel_prefix() -> Path:
    return Path(sys.prefix)


def check_kernel_env() -> DoctorResult:
    """The kernel runs the Python of the course's ``.venv`` (the one ``make lab`` installs into)."""
    venv = PROJECT_ROOT / ".venv"
    prefix = _kernel_prefix()
    try:
        ok = prefix.resolve() == venv.resolve()
    except OSError:
        ok = False
    found = f"{prefix}" + ("" if ok else f", not {venv}")
    return DoctorResult("kernel Python", ok, found,
                        "" if ok else "start JupyterLab with `make lab` in the course folder (or "
                                      "`.venv/bin/jupyter lab`), so the kernel uses the course's .venv")


def check_course_copy(folder: Path | None = None) -> DoctorResult:
    """The ``backprop_helpers`` this Python imports is the checkout in ``folder`` (default: the current
    folder), when that folder holds one; else just where it comes from."""
    here = Path(__file__).resolve().parents[1]
    checkout = (Path.cwd() if folder is None else Path(folder)) / "backprop_helpers"
    try:
        ok = not checkout.is_dir() or checkout.resolve() == here
    except OSError:
        ok = True
    return DoctorResult("course package", ok, f"imported from {here}" + ("" if ok else f", not {checkout}"),
                        "" if ok else "install this checkout in the environment: `pip install -e .` (or "
                                      "`pip install -r requirements.txt`) in this folder")


# ------------------------------------------------------------------ the report

def _checks() -> list[tuple[str, object]]:
    """(name, check) in the order of the report."""
    return [("Python", check_python), ("numpy", lambda: check_package("numpy")),
            ("matplotlib", lambda: check_package("matplotlib")),
            ("ipywidgets", lambda: check_package("ipywidgets")),
            ("widget frontend", check_widget_frontend), ("float64", check_float64),
            ("BLAS threads", check_blas_threads), ("kernel Python", check_kernel_env),
            ("course package", check_course_copy)]


def format_report(results: list[DoctorResult]) -> str:
    """The table of checks, then one line per problem with its fix."""
    width = max(len(r.name) for r in results)
    lines = [f"{'check':<{width}}  {'status':<7}  found", f"{'-' * width}  {'-' * 7}  {'-' * 5}"]
    lines += [f"{r.name:<{width}}  {r.status:<7}  {r.found}" for r in results]
    problems = [r for r in results if not r.ok]
    if problems:
        lines += ["", f"{len(problems)} problem{'s' if len(problems) > 1 else ''} to fix:"]
        lines += [f"- {r.name}: {r.fix}" for r in problems]
    else:
        lines += ["", "All checks passed: this kernel is ready for the course."]
    return "\n".join(lines)


def run(*, show: bool = True) -> list[DoctorResult]:
    """Check the environment; print the report when ``show``; return the list of ``DoctorResult``."""
    results = []
    for name, check in _checks():
        try:
            results.append(check())
        except Exception as exc:  # a broken environment must still get its report
            results.append(DoctorResult(name, False, f"could not be checked ({type(exc).__name__}: "
                                                     f"{exc})", INSTALL_FIX))
    if show:
        print(format_report(results))
    return results
