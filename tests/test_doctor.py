"""The environment doctor: every check's OK and PROBLEM paths (the environment faked by monkeypatching),
the report's table and fixes, and a broken check that still gets its line in the report."""
from __future__ import annotations

import importlib.metadata as metadata
import sys
from pathlib import Path

import pytest

from backprop_helpers.course import doctor
from backprop_helpers.course.doctor import DoctorResult


def fake_versions(monkeypatch, **versions):
    """Pretend the distributions have these versions (None: not installed); others stay real."""
    real = doctor._installed_version

    def version(dist):
        key = dist.replace("-", "_")
        return versions[key] if key in versions else real(dist)
    monkeypatch.setattr(doctor, "_installed_version", version)


# ------------------------------------------------------------------ supported ranges

def test_supported_ranges_come_from_the_repository_files():
    assert doctor.supported_python() == ">=3.10"
    assert doctor.supported_range("numpy") == ">=1.26,<3"
    assert doctor.supported_range("ipywidgets") == ">=8.1.2,<9"
    assert doctor.supported_range("no-such-package") == ""


def test_supported_ranges_fall_back_when_the_files_are_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "PROJECT_ROOT", tmp_path)
    assert doctor.supported_python() == ">=3.10"
    assert doctor.supported_range("matplotlib") == ">=3.8,<4"


# ------------------------------------------------------------------ Python

def test_python_in_range_is_ok():
    result = doctor.check_python()
    assert result.ok and result.status == "OK" and result.fix == ""
    assert result.found.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")


def test_python_too_old_is_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "_python_version", lambda: "3.8.10")
    result = doctor.check_python()
    assert not result.ok and result.status == "PROBLEM"
    assert "3.8.10 (supported: >=3.10)" in result.found
    assert "install Python >=3.10" in result.fix and "make distclean" in result.fix


# ------------------------------------------------------------------ packages

@pytest.mark.parametrize("dist", ["numpy", "matplotlib", "ipywidgets"])
def test_installed_package_in_range_is_ok(dist):
    result = doctor.check_package(dist)
    assert result.ok, result
    assert result.found.startswith(metadata.version(dist))


def test_package_outside_the_range_is_a_problem(monkeypatch):
    fake_versions(monkeypatch, numpy="1.21.0")
    result = doctor.check_package("numpy")
    assert not result.ok
    assert result.found == "1.21.0 (supported: >=1.26,<3)"
    assert 'pip install "numpy>=1.26,<3"' in result.fix and "restart the kernel" in result.fix


def test_package_too_new_is_a_problem(monkeypatch):
    fake_versions(monkeypatch, matplotlib="4.0.0")
    assert not doctor.check_package("matplotlib").ok


def test_missing_package_is_a_problem(monkeypatch):
    fake_versions(monkeypatch, ipywidgets=None)
    result = doctor.check_package("ipywidgets")
    assert not result.ok and result.found.startswith("not installed")
    assert "make lab" in result.fix and "requirements.txt" in result.fix


# ------------------------------------------------------------------ widget frontend

def test_widget_frontend_installed_is_ok():
    result = doctor.check_widget_frontend()
    assert result.ok, result
    assert "@jupyter-widgets/jupyterlab-manager" in result.found


def test_widget_frontend_package_missing(monkeypatch):
    fake_versions(monkeypatch, jupyterlab_widgets=None)
    result = doctor.check_widget_frontend()
    assert not result.ok and "not installed" in result.found and "show as text" in result.found
    assert "jupyterlab_widgets" in result.fix and "restart JupyterLab" in result.fix


def test_widget_frontend_extension_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "_labextension_dirs", lambda: [tmp_path])
    result = doctor.check_widget_frontend()
    assert not result.ok and "has no @jupyter-widgets/jupyterlab-manager extension" in result.found


def test_widget_frontend_extension_found_in_any_folder(monkeypatch, tmp_path):
    ext = tmp_path / "b" / "@jupyter-widgets" / "jupyterlab-manager"
    ext.mkdir(parents=True)
    (ext / "package.json").write_text("{}")
    monkeypatch.setattr(doctor, "_labextension_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    assert doctor.check_widget_frontend().ok


def test_widget_frontend_version_mismatch(monkeypatch):
    fake_versions(monkeypatch, jupyterlab_widgets="1.1.0")
    monkeypatch.setattr(doctor, "_required_frontend_spec", lambda: "~=3.0.17")
    result = doctor.check_widget_frontend()
    assert not result.ok and "ipywidgets needs ~=3.0.17" in result.found
    assert 'pip install "jupyterlab_widgets~=3.0.17"' in result.fix


def test_required_frontend_spec_is_read_from_ipywidgets(monkeypatch):
    monkeypatch.setattr(doctor.metadata, "requires",
                        lambda dist: ["comm>=0.1.3", "jupyterlab_widgets~=3.0.15",
                                      'pytest; extra == "test"'])
    assert doctor._required_frontend_spec() == "~=3.0.15"
    monkeypatch.setattr(doctor.metadata, "requires", lambda dist: None)
    assert doctor._required_frontend_spec() is None


# ------------------------------------------------------------------ float64

def test_float64_is_ok():
    result = doctor.check_float64()
    assert result.ok and result.found == "default float64, 8 bytes, eps 2.22e-16"


@pytest.mark.parametrize("facts", [("float32", 8, 2.0 ** -52), ("float64", 4, 2.0 ** -52),
                                   ("float64", 8, 2.0 ** -23)])
def test_float64_missing_is_a_problem(monkeypatch, facts):
    monkeypatch.setattr(doctor, "_float64_facts", lambda: facts)
    result = doctor.check_float64()
    assert not result.ok and "IEEE double precision" in result.fix


# ------------------------------------------------------------------ BLAS threads

def test_one_blas_thread_is_ok(monkeypatch):
    monkeypatch.delenv("BACKPROP_BLAS_THREADS", raising=False)
    monkeypatch.setattr(doctor, "_blas_threads", lambda: {"openblas": 1})
    result = doctor.check_blas_threads()
    assert result.ok and result.found == "openblas: 1 (asked for at most 1)"


def test_more_blas_threads_than_asked_is_a_problem(monkeypatch):
    monkeypatch.setenv("BACKPROP_BLAS_THREADS", "1")
    monkeypatch.setattr(doctor, "_blas_threads", lambda: {"openblas": 2})
    result = doctor.check_blas_threads()
    assert not result.ok and "openblas: 2" in result.found
    assert "set_blas_threads(1)" in result.fix


def test_blas_threads_follow_the_variable(monkeypatch):
    monkeypatch.setattr(doctor, "_blas_threads", lambda: {"openblas": 2})
    monkeypatch.setenv("BACKPROP_BLAS_THREADS", "2")
    assert doctor.check_blas_threads().ok
    monkeypatch.setenv("BACKPROP_BLAS_THREADS", "default")
    assert doctor.check_blas_threads().ok


def test_no_visible_blas_is_not_a_problem(monkeypatch):
    monkeypatch.setattr(doctor, "_blas_threads", lambda: {})
    result = doctor.check_blas_threads()
    assert result.ok and "no BLAS library" in result.found


def test_blas_threads_reads_the_package(monkeypatch):
    import backprop_helpers
    monkeypatch.setattr(backprop_helpers, "blas_threads", lambda: {"mkl": 3})
    assert doctor._blas_threads() == {"mkl": 3}


# ------------------------------------------------------------------ kernel Python

def test_kernel_in_the_course_venv_is_ok(monkeypatch, tmp_path):
    (tmp_path / ".venv").mkdir()
    monkeypatch.setattr(doctor, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(doctor, "_kernel_prefix", lambda: tmp_path / ".venv")
    result = doctor.check_kernel_env()
    assert result.ok and result.found == str(tmp_path / ".venv")


def test_kernel_in_another_python_is_a_problem(monkeypatch, tmp_path):
    (tmp_path / ".venv").mkdir()
    monkeypatch.setattr(doctor, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(doctor, "_kernel_prefix", lambda: Path("/usr"))
    result = doctor.check_kernel_env()
    assert not result.ok and result.found == f"/usr, not {tmp_path / '.venv'}"
    assert "make lab" in result.fix


# ------------------------------------------------------------------ the report

def test_run_returns_one_result_per_check_and_prints_the_table(capsys):
    results = doctor.run()
    assert [r.name for r in results] == ["Python", "numpy", "matplotlib", "ipywidgets",
                                         "widget frontend", "float64", "BLAS threads", "kernel Python",
                                         "course package"]
    assert all(isinstance(r, DoctorResult) for r in results)
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["check", "status", "found"]
    for r in results:
        assert any(line.startswith(r.name) and r.status in line for line in out.splitlines())


def test_run_without_show_prints_nothing(capsys):
    assert len(doctor.run(show=False)) == 9
    assert capsys.readouterr().out == ""


def test_report_lists_each_problem_with_its_fix():
    results = [DoctorResult("numpy", True, "2.0"), DoctorResult("float64", False, "float32", "fix it"),
               DoctorResult("BLAS threads", False, "openblas: 8", "limit it")]
    text = doctor.format_report(results)
    assert "2 problems to fix:" in text
    assert "- float64: fix it" in text and "- BLAS threads: limit it" in text
    assert "PROBLEM" in text and "numpy" in text


def test_report_without_problems_says_so():
    text = doctor.format_report([DoctorResult("numpy", True, "2.0")])
    assert "All checks passed" in text and "PROBLEM" not in text


def test_a_check_that_crashes_is_reported_not_raised(monkeypatch, capsys):
    def broken():
        raise RuntimeError("metadata unreadable")
    monkeypatch.setattr(doctor, "check_float64", broken)
    results = doctor.run()
    bad = [r for r in results if r.name == "float64"]
    assert len(bad) == 1 and not bad[0].ok
    assert "RuntimeError: metadata unreadable" in bad[0].found
    assert "- float64:" in capsys.readouterr().out


def test_the_course_package_must_be_this_checkout(tmp_path):
    from backprop_helpers.course import doctor
    mine = Path(doctor.__file__).resolve().parents[2]
    assert doctor.check_course_copy(mine).ok
    assert doctor.check_course_copy(tmp_path).ok                 # no checkout here: nothing to compare
    (tmp_path / "backprop_helpers").mkdir()
    result = doctor.check_course_copy(tmp_path)
    assert not result.ok and f"not {tmp_path / 'backprop_helpers'}" in result.found
    assert "pip install -e ." in result.fix
