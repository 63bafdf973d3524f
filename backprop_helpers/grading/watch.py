"""What a learner's function reaches while it runs: the course's own answer, or another function of
the package that its exercise does not hand over.

Reading the exercise cell is not enough to know: the reference can arrive through an alias made in an
earlier cell, ``getattr``, ``importlib``, ``sys.modules`` or a copied code object. So the function is
watched at run time instead. ``Watch.run(call, fn, *args)`` runs ``call(spy, *args)`` (the exercise's
runner, which calls the learner's function) with a profile hook (``sys.setprofile``) that looks at
every Python function called meanwhile, by its code object:

- the exercise's reference, its nested functions, and the package functions declared to compute the
  same thing (``same_as``), by **code-object identity**, wherever they are called from: a copied
  function object (``types.FunctionType(ref.__code__, ...)``) runs the same code object. A code object
  outside the package whose bytecode, names and constants (the docstring among them) equal the
  reference's is a copy of it too (``ref.__code__.replace(...)``, ``exec`` of its source);
- any other function defined in the package's files, when it is called from the learner's code
  (directly, or through library code such as ``map``, ``functools`` or ``numpy.vectorize``) while the
  learner's function runs: it must be one the exercise may use (``may_use``: dotted names under
  ``backprop_helpers``, a function, a class or a whole module), or one handed to the learner's
  function in its arguments (a callback, an optimizer, a model and its methods). Exercises that
  declare no ``may_use`` are only watched for their reference and ``same_as``;
- a call of ``sys.setprofile`` or ``sys.settrace`` from inside, which would switch the watch off.

What counts as the learner's code: everything outside the package's folder and outside Python's and
the environment's library folders (notebook cells, ``<string>``, a test file). A module's top-level
code (an import) and ``plots``/``data`` are always allowed. The cost is one Python call per function
call while the learner's function runs; numpy's work inside C is not interrupted.

What it cannot see: work done in another process (``multiprocessing``, ``subprocess``), in a thread
started without ``threading`` (``_thread``), or lazily after the runner has finished; code that edits
the watch's own state from inside (found with ``gc``); a retyped or lightly edited copy of the
reference (that is for ``--similarity`` and the instructor's eyes).
"""
from __future__ import annotations

import functools
import importlib
import os
import sys
import sysconfig
import threading
import types
from typing import Any, Callable

__all__ = ["Policy", "Watch", "describe", "PACKAGE_DIR", "code_name"]

PACKAGE = "backprop_helpers"
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PKG_PREFIX = PACKAGE_DIR + os.sep
ALWAYS_ALLOWED = ("plots", "data")          # drawing and data sets compute no exercise's answer
_OWN, _PKG, _LIB = 0, 1, 2


def _library_prefixes() -> tuple[str, ...]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths().get(key) or "")
    paths.update(p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p))
    return tuple(sorted({os.path.abspath(p) + os.sep for p in paths if p})) + ("<frozen",)


_LIBRARY = _library_prefixes()
_KIND: dict[int, tuple[int, types.CodeType]] = {}


def _kind(code: types.CodeType) -> int:
    """Where a code object was written: the package, a library, or the learner (anything else)."""
    hit = _KIND.get(id(code))
    if hit is not None and hit[1] is code:
        return hit[0]
    name = code.co_filename
    kind = _PKG if name.startswith(_PKG_PREFIX) else _LIB if name.startswith(_LIBRARY) else _OWN
    _KIND[id(code)] = (kind, code)
    return kind


def code_name(code: types.CodeType) -> str:
    """``backprop_helpers.layers.linear_backward`` for a code object defined in the package."""
    relative = os.path.relpath(code.co_filename, os.path.dirname(PACKAGE_DIR))
    module = os.path.splitext(relative)[0].replace(os.sep, ".")
    module = module[: -len(".__init__")] if module.endswith(".__init__") else module
    return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"


# --------------------------------------------------------------------------- code objects of things

def _nested(code: types.CodeType, into: list) -> None:
    into.append(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _nested(const, into)


def codes_of(obj: Any, into: list | None = None, depth: int = 0) -> list:
    """Every code object that runs when ``obj`` is called (or, for a class, any of its methods)."""
    into = [] if into is None else into
    if depth > 4 or obj is None:
        return into
    if isinstance(obj, (staticmethod, classmethod)):
        return codes_of(obj.__func__, into, depth + 1)
    if isinstance(obj, property):
        for part in (obj.fget, obj.fset, obj.fdel):
            codes_of(part, into, depth + 1)
        return into
    if isinstance(obj, functools.partial):
        return codes_of(obj.func, into, depth + 1)
    if isinstance(obj, types.MethodType):
        return codes_of(obj.__func__, into, depth + 1)
    if isinstance(obj, types.FunctionType):
        _nested(obj.__code__, into)
        wrapped = getattr(obj, "__wrapped__", None)
        return codes_of(wrapped, into, depth + 1) if wrapped is not None else into
    if isinstance(obj, type):
        for klass in obj.__mro__:
            if getattr(klass, "__module__", "").split(".")[0] == PACKAGE:
                for value in list(vars(klass).values()):
                    if isinstance(value, (types.FunctionType, staticmethod, classmethod, property)):
                        codes_of(value, into, depth + 1)
        return into
    return into


def _resolve(dotted: str) -> Any:
    """``"layers.linear_forward"`` -> the object ``backprop_helpers.layers.linear_forward``."""
    parts = f"{PACKAGE}.{dotted}".split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"no module for {dotted!r}")  # pragma: no cover - the package always imports


def _module_path(dotted: str) -> str | None:
    """The file (or folder, ending with a separator) of the package's module ``dotted``, found
    without importing it; None when ``dotted`` names no module of the package."""
    base = os.path.join(PACKAGE_DIR, *dotted.split("."))
    if os.path.isfile(base + ".py"):
        return base + ".py"
    if os.path.isfile(os.path.join(base, "__init__.py")):
        return base + os.sep
    return None


class _Files:
    """A set of the package's files and folders, asked whether a code object's file is among them."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.folders: tuple[str, ...] = ()

    def add(self, path: str) -> None:
        if path.endswith(os.sep):
            self.folders += (path,)
        else:
            self.files.add(path)

    def __contains__(self, filename: str) -> bool:
        return filename in self.files or (bool(self.folders) and filename.startswith(self.folders))

    def __bool__(self) -> bool:
        return bool(self.files or self.folders)


def _fingerprint(code: types.CodeType) -> tuple:
    """What a copy of ``code`` shares with it: bytecode, names, constants, and where each instruction
    sits in the source relative to the first line (line and column). A copied code object or the
    reference's source executed again keeps all of these; a learner who types the same algorithm
    (the natural depth-first search, say) lays it out differently, in blank lines or spacing, and is
    not taken for a copy."""
    consts = tuple(_fingerprint(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return code.co_code, code.co_names, consts, _layout(code)


def _layout(code: types.CodeType) -> tuple:
    first = code.co_firstlineno
    if hasattr(code, "co_positions"):          # Python 3.11+: lines and columns
        return tuple((None if line is None else line - first, None if end is None else end - first,
                      col, end_col) for line, end, col, end_col in code.co_positions())
    return tuple((start, stop, None if line is None else line - first)
                 for start, stop, line in code.co_lines())


def _public_name(fn: Any) -> str:
    module = getattr(fn, "__module__", "") or ""
    name = getattr(fn, "__name__", "?")
    if module.startswith(f"{PACKAGE}.reference"):
        return f"{PACKAGE}.reference.{name}"
    code = getattr(fn, "__code__", None)
    return code_name(code) if code is not None and _kind(code) == _PKG else f"{module}.{name}"


class Policy:
    """What one exercise's function may reach: built from its reference, ``same_as`` and ``may_use``.

    ``may_use=None`` watches only the reference and ``same_as``; a tuple (even empty) also refuses
    every other package function that is neither listed nor handed to the function.
    """

    def __init__(self, name: str, reference: Callable, *, may_use=None, same_as=()):
        self.name, self.reference, self.strict = name, reference, may_use is not None
        self.may_use = tuple(may_use or ())
        self.forbidden: dict[int, tuple[str, str]] = {}
        self.forbidden_files = _Files()
        self.fingerprints: dict[tuple, str] = {}
        self.allowed: set[int] = set()
        self.allowed_files = _Files()
        self._keep: list = []
        answer = _public_name(reference)
        for code in codes_of(reference):
            self._forbid(code, ("answer", answer))
        code = getattr(reference, "__code__", None)
        if code is not None and getattr(reference, "__doc__", None):
            self.fingerprints[_fingerprint(code)] = answer
        for dotted in same_as:
            path = _module_path(dotted)
            if path is not None:
                self.forbidden_files.add(path)
                continue
            for code in codes_of(_resolve(dotted)):
                self._forbid(code, ("same", code_name(code) if _kind(code) == _PKG else dotted))
        for dotted in ALWAYS_ALLOWED + self.may_use:
            path = _module_path(dotted)
            if path is not None:
                self.allowed_files.add(path)
                continue
            for code in codes_of(_resolve(dotted)):
                self.allowed.add(id(code))
                self._keep.append(code)

    def _forbid(self, code: types.CodeType, what: tuple[str, str]) -> None:
        self.forbidden.setdefault(id(code), what)
        self._keep.append(code)

    def allows(self, code: types.CodeType) -> bool:
        return (id(code) in self.allowed or code.co_name in ("<module>", "__getattr__", "__dir__")
                or code.co_filename in self.allowed_files)


# --------------------------------------------------------------------------- watching a run

_TAMPER = {id(sys.setprofile): "sys.setprofile", id(sys.settrace): "sys.settrace"}
_TAMPER_CODE = {id(getattr(threading, n).__code__): f"threading.{n}" for n in ("setprofile", "settrace")
                if isinstance(getattr(threading, n, None), types.FunctionType)}


class _Spied:
    """A generator returned by the learner's function, resumed under the watch."""

    def __init__(self, watch: "Watch", inner: Any):
        self._watch, self._inner = watch, inner

    def __iter__(self):
        return self

    def __next__(self):
        return self._watch.inside(next, self._inner)

    def send(self, value):
        return self._watch.inside(self._inner.send, value)

    def throw(self, *args):
        return self._watch.inside(self._inner.throw, *args)

    def close(self):
        return self._inner.close()


class Watch:
    """Findings about what the learner's code reached, over one or several calls of ``run``."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.found: dict[tuple[str, str], None] = {}
        self.depth = 0
        self.handed: set[int] = set()
        self._keep: list = []
        self._active = False
        self._hook = self._profile          # one bound method, so that it can be compared later
        self._spies: set[int] = set()

    @property
    def findings(self) -> list[tuple[str, str]]:
        """``[(kind, name)]``: kind "answer", "copy", "same", "package" or "switched off"."""
        return list(self.found)

    def _add(self, kind: str, name: str) -> None:
        if len(self.found) < 20:
            self.found[(kind, name)] = None

    # ------------------------------------------------------------------ what is handed over
    def _hand(self, value: Any, depth: int = 0, budget: list | None = None) -> None:
        budget = [200] if budget is None else budget
        budget[0] -= 1
        if depth > 3 or budget[0] < 0 or value is None or isinstance(value, (str, bytes, int, float)):
            return
        kind = type(value)
        if kind.__module__ == "numpy":
            return
        if isinstance(value, (list, tuple)):
            for item in list(value)[:50]:
                self._hand(item, depth + 1, budget)
            return
        if isinstance(value, dict):
            for item in list(value.values())[:50]:
                self._hand(item, depth + 1, budget)
            if kind is dict:
                return
        if isinstance(value, types.GeneratorType):
            codes = [value.gi_code]
        elif isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
            codes = codes_of(value)
        elif getattr(kind, "__module__", "").split(".")[0] == PACKAGE:
            codes = codes_of(kind)
            for item in list(getattr(value, "__dict__", {}).values())[:50]:
                self._hand(item, depth + 1, budget)
        else:
            return
        for code in codes:
            if _kind(code) == _PKG and id(code) not in self.policy.forbidden:
                self.handed.add(id(code))
                self._keep.append(code)

    # ------------------------------------------------------------------ the learner's function
    def _check_target(self, fn: Any) -> None:
        """The function itself may be a package function (an alias, a copy, a partial of one)."""
        target = fn.func if isinstance(fn, functools.partial) else fn
        target = getattr(target, "__func__", target)
        code = getattr(target, "__code__", None)
        if code is None:
            call = getattr(type(target), "__call__", None)
            code = getattr(call, "__code__", None)
        if code is None:
            return
        self._see(code, None)

    def inside(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` counted as the learner's code (the watch looks at what it reaches)."""
        self.depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            self.depth -= 1

    def _spy(self, fn: Callable) -> Callable:
        watch = self

        def spy(*args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                watch._hand(value)
            result = watch.inside(fn, *args, **kwargs)
            return _Spied(watch, result) if isinstance(result, types.GeneratorType) else result
        try:
            functools.update_wrapper(spy, fn)
        except (AttributeError, TypeError):
            pass
        spy.__wrapped__ = fn
        self._spies.add(id(spy.__code__))
        return spy

    def run(self, call: Callable, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``call(spy, *args, **kwargs)`` with the watch on, ``spy`` standing for ``fn``."""
        self._check_target(fn)
        spy = self._spy(fn)
        previous = sys.getprofile()
        previous_threads = threading.getprofile() if hasattr(threading, "getprofile") else None
        self._active = True
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)
        try:
            return call(spy, *args, **kwargs)
        finally:
            current = sys.getprofile()
            self._active = False
            sys.setprofile(previous)
            threading.setprofile(previous_threads)
            if current is not self._hook:
                self._add("switched off", "sys.setprofile")

    # ------------------------------------------------------------------ the hook
    def _from_learner(self, frame: Any) -> bool:
        while frame is not None:
            code = frame.f_code
            if id(code) in self._spies:
                return True
            kind = _kind(code)
            if kind != _LIB:
                return kind == _OWN
            frame = frame.f_back
        return True

    def _see(self, code: types.CodeType, caller: Any, *, entry: bool = True) -> None:
        policy = self.policy
        hit = policy.forbidden.get(id(code))
        if hit is not None:
            self._add(*hit)
            return
        kind = _kind(code)
        if kind == _PKG:
            if policy.forbidden_files and code.co_filename in policy.forbidden_files:
                self._add("same", code_name(code))
            elif (entry and policy.strict and id(code) not in self.handed and id(code) not in self._spies
                    and not policy.allows(code) and (caller is None or self._from_learner(caller))):
                self._add("package", code_name(code))
        elif kind == _OWN and policy.fingerprints:
            copied = policy.fingerprints.get(_fingerprint_cached(code))
            if copied is not None:
                self._add("copy", copied)

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if not self._active:
            return
        try:
            if event == "call":
                code = frame.f_code
                if _kind(code) == _LIB:
                    if id(code) in _TAMPER_CODE:
                        self._add("switched off", _TAMPER_CODE[id(code)])
                    return
                self._see(code, frame.f_back, entry=self.depth > 0)
            elif event == "c_call":
                name = _TAMPER.get(id(arg))
                if name is not None:
                    self._add("switched off", name)
        except Exception:  # noqa: BLE001 - a failing profile hook would be switched off silently
            pass


_FINGERPRINTS: dict[int, tuple[tuple, types.CodeType]] = {}


def _fingerprint_cached(code: types.CodeType) -> tuple:
    hit = _FINGERPRINTS.get(id(code))
    if hit is None or hit[1] is not code:
        hit = (_fingerprint(code), code)
        _FINGERPRINTS[id(code)] = hit
    return hit[0]


# --------------------------------------------------------------------------- in words

_WHAT = {
    "answer": "{name}, the course's own answer to this exercise",
    "copy": "a copy of the course's own answer ({name})",
    "same": "{name}, the package's function that computes the same thing",
    "package": "{name}, which this exercise does not hand over",
}


def describe(name: str, findings: list, may_use: tuple = ()) -> str:
    """The words for a function that reached what it should not: "write it yourself: ..."."""
    off = [n for kind, n in findings if kind == "switched off"]
    used = [_WHAT[kind].format(name=n) for kind, n in findings if kind in _WHAT]
    parts = []
    if used:
        shown = "; ".join(used[:3]) + (f"; and {len(used) - 3} more" if len(used) > 3 else "")
        parts.append(f"{name} calls {shown}")
    if off:
        parts.append(f"{name} switched off the check's watch on what it calls ({', '.join(off)})")
    text = "write it yourself: " + ", and ".join(parts) + "."
    if any(kind == "package" for kind, _ in findings):
        names = [f"your {m.split('.', 1)[1]} (or the one its check handed back)" if m.startswith("reference.")
                 else f"{PACKAGE}.{m}" for m in may_use]
        text += (" Of the package, it may use " + (", ".join(names) if names else "nothing")
                 + ", besides what its arguments bring.")
    return text + " The check counts only code you wrote, so this is not a pass, however right the results."
