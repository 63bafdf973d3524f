"""The benchmark's environment: one thread everywhere, torch if installed, a description of the machine.

Importing ``backprop_helpers`` limits numpy's BLAS to one thread (threadpoolctl); torch is limited to
one intra-op and one inter-op thread here, so both sides compute on one core and the comparison is
of the code, not of how many cores each library grabs on a shared 2-core machine.
"""
from __future__ import annotations

import os
import platform

import numpy as np

import backprop_helpers

__all__ = ["torch", "TORCH_MISSING", "machine_info", "require_single_threads"]

TORCH_MISSING = ("torch is not installed: the torch columns are empty. Install the pinned CPU build "
                 "with `pip install -r bench/requirements.txt` to fill them.")

try:
    import torch
except ImportError:                       # torch is optional: numpy columns still run
    torch = None
else:
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:                  # already set, or inter-op work already started
        pass


def require_single_threads() -> dict:
    """Return the thread counts in force, raising if numpy's BLAS or torch use more than one."""
    blas = backprop_helpers.blas_threads()
    if any(n != 1 for n in blas.values()):
        raise RuntimeError(f"bench: numpy's BLAS must use one thread, got {blas}")
    threads = {"numpy_blas": blas}
    if torch is not None:
        threads["torch_intra_op"] = torch.get_num_threads()
        threads["torch_inter_op"] = torch.get_num_interop_threads()
        if threads["torch_intra_op"] != 1:
            raise RuntimeError(f"bench: torch must use one thread, got {threads['torch_intra_op']}")
    return threads


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_description() -> str:
    from threadpoolctl import threadpool_info
    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            parts.append(f"{info.get('internal_api')} {info.get('version')} "
                         f"({info.get('architecture', '?')})")
    return ", ".join(parts) or "unknown"


def _torch_blas() -> str | None:
    if torch is None:
        return None
    for line in torch.__config__.show().splitlines():
        line = line.strip()
        if line.startswith("- BLAS_INFO") or "BLAS_INFO=" in line:
            for item in line.replace(",", " ").split():
                if item.startswith("BLAS_INFO="):
                    return item.split("=", 1)[1]
    return None


def machine_info() -> dict:
    """Cores, CPU, Python, numpy, BLAS and torch versions, and the thread counts in force."""
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": _blas_description(),
        "torch": None if torch is None else torch.__version__,
        "torch_blas": _torch_blas(),
        "threads": require_single_threads(),
        "backprop_helpers": backprop_helpers.__version__,
    }
