"""What travels between the grader and a grading kernel, and the verdict (private helpers of ``grading``).

To the kernel: a request per exercise (its name, the exercise cell's source, the grader's cases
pickled and the seed their random values were drawn from), as base64 text written into a cell. From
the kernel: a reply, pickled, that the grader reads with ``restricted_loads``: only numpy arrays and
scalars (rebuilt by numpy's own reconstructors) and Python's plain data come out of it; any other
object named in the pickle is refused before it is created, so a reply can never run code in the
grader.

``Judge`` turns the learner's outputs into the check's verdict in the grader's process: it calls the
exercise's own ``Exercise.verdict`` on the learner's outputs, with the reference's and each catalogued
mistake's outputs computed here, once per grading run, on the cases drawn from the run's seed. The
messages and the named mistakes are therefore those the check prints in the notebook (with the cases'
hidden values); a function the kernel saw reach the course's answer gets the check's "not yours".
"""
from __future__ import annotations

import base64
import io
import pickle
from typing import Any

import numpy as np

from .kernel import OPAQUE, CaseRef
from ..checks.core import CheckResult, Exercise, Raised

__all__ = ["encode_request", "restricted_loads", "read_reply", "Judge", "ReplyError"]

MAX_REPLY_TEXT = 16 * 2 ** 20          # base64 characters of one reply
MAX_ARRAY_BYTES = 64 * 2 ** 20         # one array of a reply
_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("builtins", "complex"),
}
_PLAIN = (type(None), bool, int, float, complex, str, bytes)


class ReplyError(ValueError):
    """A kernel's reply that the grader refuses to read (forbidden object, malformed, too large)."""


def _small(reconstruct: Any) -> Any:
    """numpy's ``_reconstruct`` (which allocates the array it is given the shape of), refusing sizes
    a reply cannot hold: a forged reply must not make the grader allocate gigabytes."""
    def rebuild(subtype: Any, shape: Any, dtype: Any) -> Any:
        count = 1
        for n in shape if isinstance(shape, tuple) else (shape,):
            count *= int(n)
        if count < 0 or count * np.dtype(dtype).itemsize > MAX_ARRAY_BYTES:
            raise ReplyError(f"the reply holds an array of shape {shape}, larger than the grader reads")
        return reconstruct(subtype, shape, dtype)
    return rebuild


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            found = super().find_class(module, name)
            return _small(found) if name == "_reconstruct" else found
        raise ReplyError(f"the reply names {module}.{name}, which the grader does not accept "
                         f"(only numpy arrays and plain Python data)")

    def persistent_load(self, pid: Any) -> Any:
        raise ReplyError("the reply holds a persistent reference, which the grader does not accept")


def _check_plain(value: Any, depth: int = 0, count: list[int] | None = None) -> None:
    """Raise ReplyError unless ``value`` is plain data: the types ``plain`` in the kernel sends."""
    count = [0] if count is None else count
    count[0] += 1
    if depth > 60 or count[0] > 2_000_000:
        raise ReplyError("the reply is nested too deeply or holds too many values")
    kind = type(value)
    if kind in _PLAIN:
        return
    if kind is np.ndarray:
        if value.dtype.kind not in "biufcSU" or value.dtype.fields is not None:
            raise ReplyError(f"the reply holds an array of dtype {value.dtype}")
        return
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.kind not in "biufc":
            raise ReplyError(f"the reply holds a numpy scalar of dtype {value.dtype}")
        return
    if kind in (tuple, list):
        for item in value:
            _check_plain(item, depth + 1, count)
        return
    if kind is dict:
        for key, item in value.items():
            _check_plain(key, depth + 1, count)
            _check_plain(item, depth + 1, count)
        return
    raise ReplyError(f"the reply holds an object of type {kind.__name__}")


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only numpy arrays/scalars and plain Python data (else ReplyError)."""
    try:
        value = _RestrictedUnpickler(io.BytesIO(data)).load()
    except ReplyError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed pickle is a refusal, not a crash
        raise ReplyError(f"the reply could not be read ({type(exc).__name__}: {exc})") from None
    _check_plain(value)
    return value


# --------------------------------------------------------------------------- grader -> kernel

def _travels(value: Any) -> bool:
    try:
        pickle.dumps(value, protocol=4)
        return True
    except Exception:  # noqa: BLE001 - lambdas, local functions, open handles ...
        return False


def encode_request(grade_id: str, exercise: Exercise, source: str, cases_blob: bytes,
                   seed: int | None = None) -> str:
    """The base64 text of one exercise's request."""
    request = {"grade_id": grade_id, "name": exercise.name, "source": source, "cases": cases_blob,
               "seed": seed}
    return base64.b64encode(pickle.dumps(request, protocol=4)).decode("ascii")


def cases_blob(exercise: Exercise, seed: int | None = None) -> bytes:
    """The exercise's cases pickled as ``[(args, kwargs), ...]``; a lambda becomes a ``CaseRef``."""
    cases = []
    for i, case in enumerate(exercise.case_list(seed)):
        args = tuple(a if _travels(a) else CaseRef(i, j) for j, a in enumerate(case.args))
        kwargs = {k: v if _travels(v) else CaseRef(i, k) for k, v in case.kwargs.items()}
        cases.append((args, kwargs))
    return pickle.dumps(cases, protocol=4)


# --------------------------------------------------------------------------- kernel -> grader

class _Opaque:
    """A value the kernel could not send as data (an object with its own ``__eq__``, a generator ...)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


class _WithError(dict):
    """A behaviour's named properties (a dict) with the text of the exception it raised, if any."""
    error = None


def _unwrap(value: Any) -> Any:
    """Turn the kernel's ``(OPAQUE, type name)`` markers into objects of a class of that name."""
    kind = type(value)
    if kind is tuple and len(value) == 2 and type(value[0]) is str and value[0] == OPAQUE \
            and type(value[1]) is str:
        name = value[1] if value[1].isidentifier() else "object"
        return type(name, (_Opaque,), {})()
    if kind in (tuple, list):
        return kind(_unwrap(item) for item in value)
    if kind is dict:
        return {_unwrap(k) if isinstance(k, tuple) else k: _unwrap(v) for k, v in value.items()}
    return value


def read_reply(data: Any, nonce: str, grade_id: str, count: int) -> dict:
    """Check and decode one reply published by ``run_exercise``; raise ReplyError if it is not one.

    Returns ``{"status", "detail", "outputs", "cell_error", "used"}`` with ``outputs`` ready for
    ``Judge`` (a list of ``count`` outputs) when the status is "ran", and ``used`` what the kernel's
    watch saw the function reach (``[(kind, name)]``, see ``watch.Watch.findings``).
    """
    if not isinstance(data, dict) or data.get("nonce") != nonce or not isinstance(data.get("reply"), str):
        raise ReplyError("the reply does not come from this grading run")
    if len(data["reply"]) > MAX_REPLY_TEXT:
        raise ReplyError(f"the reply is larger than {MAX_REPLY_TEXT // 2 ** 20} MB")
    try:
        blob = base64.b64decode(data["reply"], validate=True)
    except ValueError:
        raise ReplyError("the reply is not base64 text") from None
    reply = restricted_loads(blob)
    if not isinstance(reply, dict) or reply.get("nonce") != nonce or reply.get("grade_id") != grade_id:
        raise ReplyError("the reply does not answer this exercise")
    status = reply.get("status")
    detail = reply.get("detail")
    used = reply.get("used") or []
    if not isinstance(used, list) or not all(type(u) in (tuple, list) and len(u) == 2 and
                                             all(isinstance(x, str) for x in u) for u in used):
        raise ReplyError("the reply holds a malformed list of what the function used")
    result = {"status": status, "detail": detail if isinstance(detail, str) else "",
              "cell_error": reply.get("cell_error") if isinstance(reply.get("cell_error"), str) else None,
              "used": [tuple(u) for u in used][:20]}
    if status != "ran":
        if status not in ("not done", "missing", "not yours", "timeout", "error"):
            raise ReplyError(f"the reply has an unknown status {status!r}")
        return result
    outputs = reply.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != count:
        raise ReplyError(f"the reply should hold {count} outputs")
    decoded = []
    for item in outputs:
        if type(item) is tuple and len(item) == 2 and item[0] == "raised" and isinstance(item[1], str):
            decoded.append(Raised.from_text(item[1]))
        elif type(item) is tuple and len(item) == 3 and item[0] == "ok":
            value = _unwrap(item[1])
            if isinstance(item[2], str) and type(value) is dict:
                value = _WithError(value)
                value.error = item[2]
            decoded.append(value)
        else:
            raise ReplyError("the reply holds a malformed output")
    result["outputs"] = decoded
    return result


# --------------------------------------------------------------------------- the verdict

class Judge:
    """The check's verdict on outputs computed elsewhere, for one exercise (one per grading run).

    ``seed``: the cases' random values are drawn from it (``Exercise.case_list``); None gives the
    notebook's own cases. The reference's and each catalogued mistake's outputs are computed once, each
    on freshly built cases, and reused for every learner.
    """

    def __init__(self, exercise: Exercise, seed: int | None = None):
        self.exercise, self.seed = exercise, seed
        self.cases = exercise.case_list(seed)          # read only: labels and count
        self.blob = cases_blob(exercise, seed)
        self.count = len(self.cases)
        self._memo: dict[int, tuple[Any, list]] = {}

    def _outputs_of(self, fn: Any) -> list:
        if id(fn) not in self._memo:
            self._memo[id(fn)] = (fn, self.exercise.results(fn, self.exercise.case_list(self.seed)))
        return self._memo[id(fn)][1]

    def reference_outputs(self) -> list:
        """The reference's outputs on this run's cases."""
        return self._outputs_of(self.exercise.reference)

    def verdict(self, outputs: list | None, used: list | tuple = ()) -> CheckResult:
        """The CheckResult for the learner's ``outputs`` (None: the function is not done yet);
        ``used``: what the kernel's watch saw the function reach (then the verdict is "not yours")."""
        if used:
            return self.exercise.not_yours(used)
        if outputs is None:
            return self.exercise.not_done()
        cases = self.cases
        if len(outputs) != len(cases):
            raise ReplyError(f"{len(outputs)} outputs for {len(cases)} cases")
        return self.exercise.verdict(outputs, cases, self._outputs_of)
