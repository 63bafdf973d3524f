"""The grader's hands inside a grading kernel (private; runs in the learner's kernel, never judges).

``grading`` runs a learner's notebook on a temporary copy in a fresh kernel, with ``install`` as
the very first cell and one ``run_exercise`` cell per exercise after the learner's last cell.

- ``install(nonce)`` runs before any of the learner's code. It keeps what the grading needs as it is
  then: each exercise's ``run`` (how its function is driven), its case generator, its reference and
  its policy (what the function may reach, ``watch.Policy``, resolved to code objects now), the pickle
  and display functions, IPython's cell transformer, and a snapshot of the attributes of ``numpy``,
  ``builtins``, ``math``, ``warnings`` and every ``backprop_helpers`` module and class.
- ``run_exercise(nonce, request)`` first puts back every attribute of those snapshots that the
  notebook changed (a patched check, reference, ``np.allclose``, ``builtins.print`` ...). It then
  runs the exercise cell's source again, statement by statement, in a copy of the kernel's
  namespace, and takes the function as that cell defines it: the value of the name right after the
  cell's last ``def`` of it (or, without a ``def``, at the end of the cell). A later
  ``relu = check_relu(relu)`` or ``relu = <the reference>`` in any cell is never what gets graded.
  It calls that function on the grader's cases (sent pickled by the grader, with the seed their
  random values were drawn from) under a ``watch.Watch``, which notes whether the function reached
  the course's answer or a package function its exercise does not hand over, and publishes the
  outputs as plain data (numbers, strings, numpy arrays of numbers, tuples, lists, dicts; anything
  else becomes a marker naming its type), with what the watch noted, in one display message of type
  ``MIME``.

Nothing here compares: the grader unpickles the reply with a restricted unpickler and judges it
against its own reference, in its own process. Code in the kernel can still lie about anything the
kernel does (a determined notebook could forge this reply); what it cannot do is make the grader
run its code or trust its verdict.
"""
from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import linecache
import pickle
import sys
import types
import warnings

import numpy as np

from .watch import Watch

__all__ = ["MIME", "CaseRef", "install", "run_exercise", "plain"]

MIME = "application/vnd.backprop-helpers.grade+json"
OPAQUE = "\x00opaque"            # ("\x00opaque", type name): a value that is not plain data
MAX_REPLY_BYTES = 8 * 2 ** 20    # the outputs of one exercise, pickled
_MISSING = object()
_state: dict | None = None


class CaseRef:
    """A case argument that cannot travel pickled (a lambda): the kernel takes it from the exercise's
    own case generator, kept by ``install``. ``case`` and ``position`` index ``cases()[case].args``
    (or ``.kwargs`` when ``position`` is a string)."""

    def __init__(self, case: int, position: int | str):
        self.case, self.position = case, position


class _Sink:
    """A stand-in for stdout/stderr while the learner's code runs: keeps nothing."""

    def write(self, text):
        return len(text) if isinstance(text, str) else 0

    def flush(self):
        pass


def _snapshot() -> tuple[list, list]:
    names = ("builtins", "math", "warnings", "pickle", "base64", "contextlib", "numpy",
             "numpy.linalg", "numpy.random", "numpy.testing")
    modules = [sys.modules[n] for n in names if n in sys.modules]
    modules += [m for n, m in sorted(sys.modules.items())
                if n.startswith("backprop_helpers") and isinstance(m, types.ModuleType)]
    saved_modules = [(m.__name__, m, dict(vars(m))) for m in modules]
    classes = {id(v): v for m in modules if m.__name__.startswith("backprop_helpers")
               for v in vars(m).values()
               if isinstance(v, type) and getattr(v, "__module__", "").startswith("backprop_helpers")}
    saved_classes = [(c, dict(vars(c))) for c in classes.values()]
    return saved_modules, saved_classes


def _restore(saved_modules: list, saved_classes: list) -> None:
    """Put back every module and class attribute that changed since ``install`` (added ones stay)."""
    for name, module, attrs in saved_modules:
        sys.modules[name] = module
        current = vars(module)
        for key, value in attrs.items():
            if current.get(key, _MISSING) is not value:
                current[key] = value
    for cls, attrs in saved_classes:
        for key, value in attrs.items():
            if key in ("__dict__", "__weakref__") or cls.__dict__.get(key, _MISSING) is value:
                continue
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass


def install(nonce: str) -> None:
    """Keep, before the learner's code runs, everything ``run_exercise`` relies on."""
    global _state
    from IPython import get_ipython
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.display import publish_display_data

    from backprop_helpers.checks import EXERCISES

    try:   # figures are not looked at: do not render them (the notebook runs faster)
        from matplotlib_inline.backend_inline import InlineBackend
        InlineBackend.instance().figure_formats = set()
    except Exception:  # noqa: BLE001 - an optional speed-up
        pass
    _state = {
        "nonce": nonce, "shell": get_ipython(), "transform": TransformerManager().transform_cell,
        "publish": publish_display_data, "dumps": pickle.dumps, "loads": pickle.loads,
        "b64encode": base64.b64encode, "b64decode": base64.b64decode,
        "exercises": {name: (ex.runner, ex.case_list, ex.reference, ex.policy)
                      for name, ex in EXERCISES.items()},
        "exec": builtins.exec, "compile": builtins.compile, "watch": Watch,
    }
    _state["saved"] = _snapshot()      # taken last, so it holds _state too


# --------------------------------------------------------------------------- plain data

def _opaque(value) -> tuple:
    name = getattr(type(value), "__name__", "object")
    return (OPAQUE, name if isinstance(name, str) and name.isidentifier() else "object")


_SCALARS = {np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
            np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128}
_SCALARS |= {getattr(np, n) for n in ("longlong", "ulonglong", "longdouble", "clongdouble")
             if hasattr(np, n)}


def plain(value, budget: list[int] | None = None, depth: int = 0):
    """``value`` as plain data the grader's restricted unpickler accepts.

    numpy arrays of numbers, strings or booleans (a subclass is sent as the plain array of its
    data), numpy and Python numbers, strings, bytes, None, and tuples (named ones too), lists and
    dicts of those. Anything else, or past ``budget[0]`` bytes, becomes ``(OPAQUE, type name)``.
    """
    budget = [MAX_REPLY_BYTES] if budget is None else budget
    kind = type(value)
    if depth > 30 or budget[0] <= 0:
        return _opaque(value)
    if value is None or kind in (bool, float, complex):
        budget[0] -= 16
        return value
    if kind is int:
        budget[0] -= 16 + value.bit_length() // 8
        return value if budget[0] > 0 else _opaque(value)
    if kind in (str, bytes):
        budget[0] -= 16 + len(value)
        return value if budget[0] > 0 else _opaque(value)
    if kind in _SCALARS:
        budget[0] -= 32
        return value
    if isinstance(value, np.ndarray):
        data = np.ndarray.view(value, np.ndarray)
        if data.dtype.kind not in "biufcSU" or data.dtype.fields is not None or data.dtype.subdtype:
            return _opaque(value)
        budget[0] -= 64 + data.nbytes
        return np.array(data, copy=True, subok=False) if budget[0] > 0 else _opaque(value)
    if isinstance(value, (tuple, list)):
        items = [plain(item, budget, depth + 1) for item in (tuple.__iter__(value)
                 if isinstance(value, tuple) else list.__iter__(value))]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {plain(k, budget, depth + 1): plain(v, budget, depth + 1) for k, v in dict.items(value)}
    return _opaque(value)


# --------------------------------------------------------------------------- the exercise

def _learner_function(state: dict, name: str, source: str):
    """(function or None, error text or None): the exercise cell's own binding of ``name``."""
    namespace = dict(state["shell"].user_ns)
    namespace.pop(name, None)
    text = state["transform"](source)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return None, f"SyntaxError: {exc.msg} (line {exc.lineno})"
    # kept readable, as IPython keeps a cell's source: a check that names a slip from the learner's
    # own line (the product that failed) reads it here as it does in the notebook
    filename = f"<exercise cell {name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    found, error = _MISSING, None
    for statement in tree.body:
        code = state["compile"](ast.Module([statement], type_ignores=[]), filename, "exec")
        try:
            state["exec"](code, namespace)
        except Exception as exc:  # noqa: BLE001 - the learner's cell may raise anything
            error = _describe_exception(exc)
            break
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
            found = namespace.get(name, _MISSING)
    if found is _MISSING:
        found = namespace.get(name, _MISSING)
    return (None if found is _MISSING else found), error


def _describe_exception(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a learner's exception may fail to print
        text = "(the message could not be printed)"
    return f"{type(exc).__name__}: {text}"[:2000]


def _from_the_course(fn, reference) -> bool:
    if fn is reference:
        return True
    module = getattr(fn, "__module__", None)
    return isinstance(module, str) and module.split(".")[0] == "backprop_helpers"


def _resolve(state: dict, name: str, cases: list, seed) -> list:
    fresh = None
    resolved = []
    for args, kwargs in cases:
        args, kwargs = list(args), dict(kwargs)
        for where in [*range(len(args)), *kwargs]:
            value = args[where] if isinstance(where, int) else kwargs[where]
            if isinstance(value, CaseRef):
                fresh = fresh if fresh is not None else list(state["exercises"][name][1](seed))
                source = fresh[value.case]
                real = source.args[value.position] if isinstance(value.position, int) \
                    else source.kwargs[value.position]
                if isinstance(where, int):
                    args[where] = real
                else:
                    kwargs[where] = real
        resolved.append((tuple(args), kwargs))
    return resolved


def _grade(state: dict, request: dict) -> dict:
    name = request["name"]
    if name not in state["exercises"]:
        return {"status": "error", "detail": f"the kernel's course has no exercise {name!r}"}
    run, _, reference, policy = state["exercises"][name]
    sink = _Sink()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        fn, cell_error = _learner_function(state, name, request["source"])
    if fn is None:
        why = f" (the cell raised {cell_error})" if cell_error else ""
        return {"status": "missing", "detail": f"the exercise cell does not define {name}{why}"}
    if not callable(fn):
        return {"status": "missing", "detail": f"the exercise cell binds {name} to "
                                               f"{_opaque(fn)[1]}, which is not a function"}
    if _from_the_course(fn, reference):
        return {"status": "not yours", "detail": f"the exercise cell binds {name} to the course's own "
                                                 f"implementation, not to code written in the cell"}
    cases = _resolve(state, name, state["loads"](request["cases"]), request.get("seed"))
    outputs, budget = [], [MAX_REPLY_BYTES]
    watch = state["watch"](policy)
    for i, (args, kwargs) in enumerate(cases):
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                    warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                value = watch.run(run if run is not None else _call, fn, *args, **kwargs)
        except NotImplementedError:
            return {"status": "not done", "used": watch.findings}
        except KeyboardInterrupt:
            return {"status": "timeout", "detail": f"{name} did not return in time on case {i + 1} of "
                                                   f"{len(cases)} (interrupted)"}
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: it is the learner's answer
            outputs.append(("raised", _describe_exception(exc)))
            continue
        error = getattr(value, "error", None) if isinstance(value, dict) and type(value) is not dict else None
        outputs.append(("ok", plain(value, budget), error if isinstance(error, str) else None))
    return {"status": "ran", "outputs": outputs, "cell_error": cell_error, "used": watch.findings}


def _call(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def run_exercise(nonce: str, request: str) -> None:
    """Grade one exercise (``request``: base64 of the grader's pickled request) and publish the reply."""
    state = _state
    if state is None or state["nonce"] != nonce:
        raise RuntimeError("the grader's set-up cell did not run, or the notebook undid it")
    _restore(*state["saved"])
    reply = {"nonce": nonce}
    try:
        req = state["loads"](state["b64decode"](request))
        reply["grade_id"] = req["grade_id"]
        reply.update(_grade(state, req))
    except KeyboardInterrupt:
        reply.update(status="timeout", detail="the exercise did not finish in time (interrupted)")
    except Exception as exc:  # noqa: BLE001 - reported to the grader, which scores it 0
        reply.update(status="error", detail=f"the grader's kernel side failed: {_describe_exception(exc)}")
    data = state["dumps"](reply, protocol=4)
    if len(data) > MAX_REPLY_BYTES + 2 ** 20:
        data = state["dumps"]({"nonce": nonce, "grade_id": reply.get("grade_id"), "status": "error",
                               "detail": "the outputs were too large to send back"}, protocol=4)
    state["publish"]({MIME: {"nonce": nonce, "reply": state["b64encode"](data).decode("ascii")}})
