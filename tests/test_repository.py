"""Checks of the repository itself: layout, requirements, BLAS threads, ``__all__``, Makefile, CI."""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "backprop_helpers"

# the layout of docs/architecture.md
LAYOUT_FILES = ["README.md", "requirements.txt", "pyproject.toml", "Makefile"]
LAYOUT_DIRS = ["lessons", "solutions", "backprop_helpers", "tests", "bench"]

BLAS_ENV = ("BACKPROP_BLAS_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


# --------------------------------------------------------------------------- layout

@pytest.mark.parametrize("name", LAYOUT_FILES)
def test_layout_file_exists(name):
    assert (ROOT / name).is_file(), f"{name} is missing from the repository root (docs/architecture.md)"


@pytest.mark.parametrize("name", LAYOUT_DIRS)
def test_layout_folder_exists(name):
    assert (ROOT / name).is_dir(), f"the folder {name}/ is missing (docs/architecture.md)"


def test_ci_script_is_executable_and_strict():
    run = ROOT / ".ci" / "run"
    text = run.read_text()
    assert os.access(run, os.X_OK), ".ci/run is not executable"
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert re.search(r"^set -euo pipefail$", text, re.M), ".ci/run must start with set -euo pipefail"


def test_ci_script_runs_exactly_make_test():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")]
    make_lines = [c for c in commands if re.match(r"(\S+=\S+\s+)*make\b", c)]
    assert make_lines == ["make test"], (
        f".ci/run must call the README's test command `make test` exactly once, with nothing "
        f"added; its make lines are {make_lines}")


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make lab" in text and "make test" in text


def test_makefile_has_the_documented_targets():
    text = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "bench", "lessons", "clean"):
        assert re.search(rf"^{target}:", text, re.M), f"the Makefile has no '{target}' target"


# --------------------------------------------------------------------------- requirements

def _requirement_lines():
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_requirements_end_with_the_editable_package():
    assert _requirement_lines()[-1] == "-e ."


def _has_lower_and_upper_bound(req: Requirement) -> bool:
    ops = {spec.operator for spec in req.specifier}
    return bool(ops & {">=", ">", "==", "~="}) and bool(ops & {"<", "<=", "==", "~="})


@pytest.mark.parametrize("line", _requirement_lines()[:-1])
def test_requirement_has_lower_and_upper_bound(line):
    req = Requirement(line)
    assert _has_lower_and_upper_bound(req), (
        f"requirements.txt: {line!r} needs a lower and an upper bound, e.g. 'numpy>=1.26,<3'")


def test_package_dependencies_have_lower_and_upper_bounds():
    for line in _pyproject()["project"]["dependencies"]:
        assert _has_lower_and_upper_bound(Requirement(line)), f"pyproject.toml dependency {line!r}"


def _is_torch(name: str) -> bool:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return name == "pytorch" or name.startswith("torch")


def test_torch_is_no_runtime_requirement():
    names = [Requirement(line).name for line in _requirement_lines()[:-1]]
    names += [Requirement(line).name for line in _pyproject()["project"]["dependencies"]]
    assert not [n for n in names if _is_torch(n)], "torch must not be a runtime requirement"


def test_every_subpackage_is_packaged():
    """A wheel (a non-editable install) must hold every subpackage, e.g. backprop_helpers.checks."""
    subpackages = sorted(".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py"))
    packages = _pyproject()["tool"]["setuptools"].get("packages")
    if isinstance(packages, list):
        missing = [name for name in subpackages if name not in packages]
        assert not missing, (
            f"pyproject.toml [tool.setuptools] packages = {packages} leaves out {missing}; list them "
            f"or use packages = {{find = {{include = [\"backprop_helpers*\"]}}}}")
    else:
        include = packages["find"].get("include", ["*"])
        assert any(pattern in ("*", "backprop_helpers*") for pattern in include), include


# --------------------------------------------------------------------------- BLAS threads

def _blas_threads_in_subprocess(setting: str | None, code: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    if setting is not None:
        env["BACKPROP_BLAS_THREADS"] = setting
    code = code or "import json, backprop_helpers; print(json.dumps(backprop_helpers.blas_threads()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _library_default() -> dict:
    code = ("import json, numpy; from threadpoolctl import threadpool_info; print(json.dumps("
            "{i['internal_api']: i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))")
    return _blas_threads_in_subprocess(None, code)


def test_package_uses_one_blas_thread_by_default():
    threads = _blas_threads_in_subprocess(None)
    assert threads, "numpy reports no BLAS library, so the limit cannot be checked"
    assert set(threads.values()) == {1}, threads


def test_package_honours_blas_threads_variable():
    default = _library_default()
    threads = _blas_threads_in_subprocess("2")
    assert threads == {api: min(2, n) for api, n in default.items()}


def test_blas_threads_default_leaves_the_library_alone():
    assert _blas_threads_in_subprocess("default") == _library_default()


def test_bad_blas_threads_variable_is_refused_with_its_name():
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env["BACKPROP_BLAS_THREADS"] = "many"
    out = subprocess.run([sys.executable, "-c", "import backprop_helpers"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "BACKPROP_BLAS_THREADS" in out.stderr and "'many'" in out.stderr


# --------------------------------------------------------------------------- __all__

def _public_modules() -> list[str]:
    """backprop_helpers and every module or subpackage in it whose name does not start with '_'."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if any(p.startswith("_") for p in parts[:-1]):
            continue                                   # inside a private subpackage
        if parts[-1] == "__init__":
            names.append(".".join(parts[:-1]))         # the package or a public subpackage
        elif not parts[-1].startswith("_"):
            names.append(".".join(parts))
    return names


@pytest.mark.parametrize("module_name", _public_modules())
def test_public_module_has_explicit_all(module_name):
    module = importlib.import_module(module_name)
    assert "__all__" in vars(module), f"{module_name} has no __all__"
    names = module.__all__
    assert isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)
    assert len(set(names)) == len(names), f"{module_name}.__all__ lists a name twice"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{module_name}.__all__ lists names it does not define: {missing}"


# --------------------------------------------------------------------------- make lab

def _recipe(target: str) -> str:
    """The recipe of a Makefile target, with continuation lines joined."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{target}:", line))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        body.append(line[1:])
    return "\n".join(body).replace("\\\n", " ")


def test_lab_recipe_never_passes_an_empty_token():
    recipe = _recipe("lab")
    # the token is checked before JupyterLab starts ...
    assert re.search(r'if \[ -z "\$\$token" \]; then\s+echo [^;]*>&2;\s*exit 1;\s*fi', recipe), (
        "make lab must stop when the token is empty")
    # ... handed over in the environment, from that checked variable ...
    launch = re.search(r'JUPYTER_TOKEN="\$\$token" exec \S+/jupyter lab (.*)', recipe)
    assert launch, "make lab must start jupyter lab with JUPYTER_TOKEN set to the checked token"
    args = launch.group(1)
    # ... and set explicitly by the config file it passes, so no personal config can empty it
    assert re.search(r"--config=\S+", args)
    assert re.search(r"c\.IdentityProvider\.token = os\.environ\.get\(\"JUPYTER_TOKEN\"\) or secrets", recipe)
    # never on the command line, where an empty value could slip in and any local user can read it
    assert not re.search(r"token=", args), "make lab must not pass the token on the command line"
    assert "--ServerApp.ip=127.0.0.1" in args
    assert not re.search(r"password|disable_check_xsrf|0\.0\.0\.0", recipe)


FAKE_JUPYTER = """#!{python}
import os, sys
from traitlets.config import Config
args = sys.argv[1:]
config = Config()
for a in args:
    print("ARG " + a)
    if a.startswith("--config="):
        exec(open(a.split("=", 1)[1]).read(), {{"c": config}})
print("ENV_TOKEN " + os.environ.get("JUPYTER_TOKEN", ""))
print("CONFIG_TOKEN " + config.IdentityProvider.token)
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("user_token", [None, "", "my-own-token"])
def test_make_lab_starts_jupyter_with_a_nonempty_token(tmp_path, user_token):
    """Run `make lab` against a stand-in environment whose `jupyter` prints what it was given."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(sys.executable, venv / "bin" / "python")
    jupyter = venv / "bin" / "jupyter"
    jupyter.write_text(FAKE_JUPYTER.format(python=sys.executable))
    jupyter.chmod(0o755)
    (venv / ".installed").touch()  # newer than requirements.txt: nothing to install
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    if user_token is not None:
        env["JUPYTER_TOKEN"] = user_token
    out = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "lab", f"VENV={venv}",
                          "LAB_BROWSER=no"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    args = [line[4:] for line in lines if line.startswith("ARG ")]
    env_token = next(line[10:] for line in lines if line.startswith("ENV_TOKEN "))
    config_token = next(line[13:] for line in lines if line.startswith("CONFIG_TOKEN "))
    assert args[0] == "lab"
    assert config_token == env_token, "the config file must set the token it was given"
    if user_token:
        assert config_token == user_token, "make lab must use JUPYTER_TOKEN when it is set"
    else:
        assert len(config_token) >= 32, f"the generated token {config_token!r} is too short"
    assert f"http://127.0.0.1:8888/lab?token={config_token}" in out.stdout, (
        "make lab must print the address with its token")
    assert not any("token" in a for a in args), "the token must not appear on the command line"
    assert "--ServerApp.ip=127.0.0.1" in args and "--no-browser" in args
    assert ("--allow-root" in args) == (os.getuid() == 0)
