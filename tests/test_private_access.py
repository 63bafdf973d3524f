"""No module of the package reaches into another's private names (docs/architecture.md).

What one module shares with another is public (no leading underscore); an underscore name is used only
inside the module, or the class, that defines it. The test reads every module's syntax tree and fails on:

- an import of an underscore name from another module (``from .layers import _linear_forward``);
- an import of a module whose own name starts with an underscore;
- an underscore attribute of anything but ``self``, ``cls`` or ``super()`` (``model._forward(X)``,
  ``_gc._judge(...)``): another object's private method or state, unless this very module defines that
  name (a class using its own private method on another of its instances, ``Value._result``).

Dunder names (``__name__``, ``__class__``) are not private and pass, and so do the standard library's
documented names that start with an underscore (``os._exit``, how a forked child ends).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_helpers"
OWN = {"self", "cls"}
#: documented public API of the standard library, despite the underscore
DOCUMENTED = {"os._exit"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner_is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id in OWN:
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type" \
            and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in OWN:
        return True
    return False


def defined_here(tree: ast.Module) -> set[str]:
    """The private names a module defines: functions, classes, and attributes or names it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(node.id if isinstance(node, ast.Name) else node.attr)
    return {n for n in names if _private(n)}


def private_access(path: Path) -> list[str]:
    """Every place in ``path`` that reaches another module's or object's private name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = defined_here(tree)
    where = path.relative_to(PACKAGE.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module_parts = (node.module or "").split(".")
            if any(_private(p) for p in module_parts if p):
                found.append(f"{where}:{node.lineno}: imports from the private module {node.module}")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{where}:{node.lineno}: imports the private name {alias.name} "
                                 f"from {'.' * node.level}{node.module or ''}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(_private(p) for p in alias.name.split(".")):
                    found.append(f"{where}:{node.lineno}: imports the private module {alias.name}")
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own \
                and not _owner_is_self(node.value) and ast.unparse(node) not in DOCUMENTED:
            found.append(f"{where}:{node.lineno}: uses {ast.unparse(node)}, a private name of "
                         f"another object")
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules():
    assert len(MODULES) > 30, f"expected the package's modules under {PACKAGE}, found {len(MODULES)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_access_across_modules(path):
    found = private_access(path)
    assert not found, ("private names used across modules (make what is shared public):\n  "
                       + "\n  ".join(found))


def test_the_scanner_sees_each_kind(tmp_path):
    fake = tmp_path / "backprop_helpers"
    fake.mkdir()
    source = fake / "m.py"
    source.write_text("from .layers import _kernel\nfrom ._hidden import x\nimport a._b\n"
                      "y = model._forward(X)\nz = self._cache\nw = super()._setup()\nn = obj.__name__\n"
                      "def _mine(v):\n    return v\nq = other._mine(1)\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, fake
    try:
        found = private_access(source)
    finally:
        PACKAGE = saved
    assert len(found) == 4, found
    assert any("_kernel" in f for f in found) and any("_hidden" in f for f in found)
    assert any("a._b" in f for f in found) and any("model._forward" in f for f in found)
