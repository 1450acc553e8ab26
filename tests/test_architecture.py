"""The package's import structure: layers one way, no cycles.

Every import in ``planner/`` is read from the source (at module level, inside functions and
under ``TYPE_CHECKING`` alike, since each is a dependency a reader has to follow). A module
may import modules of its own layer or of lower layers, never a higher one, and the imports
between the package's modules form no cycle. The layers are the pipeline read bottom-up
(README, "Architecture").
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "planner"

# module (or subpackage) -> layer; a module's layer is that of its longest listed prefix
LAYERS: dict[str, int] = {
    # L0: no planner imports at all
    "errors": 0, "text": 0, "jsontypes": 0, "crs": 0, "steps": 0, "synth": 0,
    # L1: what to do
    "config": 1,
    # L2: reading and checking inputs; the atomic folder store
    "inputs": 2, "store": 2,
    # L3: the network and travel on it
    "network": 3,
    # L4: deciding (scores, site choice, trips)
    "decide": 4,
    # L5: the plain result of a run
    "result": 5,
    # L6: outputs drawn from a result; comparisons; the run cache
    "outputs": 6, "compare": 6, "cache": 6,
    # L7: orchestration and the command line
    "pipeline": 7, "cli": 7,
    # the package's own namespace (lazy re-exports) sits above everything
    "__init__": 8,
}

# imports that break the rule today, each to be removed (the test fails when one is gone,
# so the list only shrinks)
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom | ast.Import,
             modules: dict[str, Path]) -> list[str]:
    """The package modules an import statement reaches."""
    found: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "planner" or alias.name.startswith("planner."):
                name = alias.name.removeprefix("planner").lstrip(".") or "__init__"
                found.append(name)
        return [f for f in found if f in modules]
    if node.level == 0:
        if node.module is None or not (node.module == "planner"
                                       or node.module.startswith("planner.")):
            return []
        base = node.module.removeprefix("planner").lstrip(".")
    else:
        here = importer.split(".") if importer != "__init__" else []
        package = here if is_package else here[:-1]
        up = package[:len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join([*up, *([node.module] if node.module else [])])
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        if sub in modules:
            found.append(sub)
        elif base in modules:
            found.append(base)
        elif not base:
            found.append("__init__")
    return [f for f in found if f != importer]


def import_graph() -> nx.DiGraph:
    """The package's modules and the imports between them (every import statement)."""
    modules = _modules()
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _resolve(name, is_package, node, modules):
                    g.add_edge(name, target, line=node.lineno)
    return g


def layer(module: str) -> int:
    """A module's layer: that of its longest listed prefix."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(module)


def test_every_module_has_a_layer():
    missing = [m for m in _modules() if not any(
        ".".join(m.split(".")[:n]) in LAYERS for n in range(1, len(m.split(".")) + 1))]
    assert not missing, f"modules with no layer in tests/test_architecture.py: {missing}"


def test_no_import_of_a_higher_layer():
    g = import_graph()
    upward = {(a, b) for a, b in g.edges if layer(b) > layer(a)}
    new = sorted(upward - KNOWN)
    assert not new, "upward imports: " + "; ".join(
        f"{a} (L{layer(a)}, line {g.edges[a, b]['line']}) imports {b} (L{layer(b)})"
        for a, b in new)


def test_no_import_cycle():
    g = import_graph()
    h = g.copy()
    h.remove_edges_from(KNOWN)
    cycles = [sorted(c) for c in nx.strongly_connected_components(h) if len(c) > 1]
    assert not cycles, f"import cycles between: {cycles}"


def test_known_exceptions_still_exist():
    g = import_graph()
    gone = sorted(e for e in KNOWN if not g.has_edge(*e))
    assert not gone, f"remove these from KNOWN (they are fixed): {gone}"


def test_no_private_name_is_imported_from_another_module():
    """``from .module import _name`` would use another module's private part (ruff's SLF001
    catches ``module._name``; this catches the import form)."""
    found = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (
                    node.module or "").startswith("planner")):
                found += [f"{name} line {node.lineno}: {a.name}" for a in node.names
                          if a.name.startswith("_") and a.name != "__version__"]
    assert not found, found


@pytest.mark.parametrize("source, expected", [
    ("from . import a", {"a"}),
    ("from .a import f", {"a"}),
    ("from .pkg import b", {"pkg.b"}),
    ("from .pkg.b import f", {"pkg.b"}),
    ("import planner.a", {"a"}),
    ("from planner import a", {"a"}),
    ("def f():\n    from .a import g\n", {"a"}),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import T\n", {"a"}),
    ("import os\nfrom json import dumps", set()),
])
def test_resolver_sees_every_kind_of_import(source, expected):
    """The parser itself: relative, absolute, nested and TYPE_CHECKING imports all count."""
    modules = {"a": Path("a.py"), "pkg": Path("pkg/__init__.py"), "pkg.b": Path("pkg/b.py"),
               "c": Path("c.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(_resolve("c", False, node, modules))
    assert found == expected


def test_resolver_inside_a_subpackage():
    modules = {"a": Path("a.py"), "pkg": Path("pkg/__init__.py"), "pkg.b": Path("pkg/b.py"),
               "pkg.c": Path("pkg/c.py")}
    node = ast.parse("from .b import f\nfrom .. import a").body
    assert _resolve("pkg.c", False, node[0], modules) == ["pkg.b"]  # type: ignore[arg-type]
    assert _resolve("pkg.c", False, node[1], modules) == ["a"]  # type: ignore[arg-type]
    node2 = ast.parse("from . import b").body[0]
    assert _resolve("pkg", True, node2, modules) == ["pkg.b"]  # type: ignore[arg-type]


def test_every_module_is_reachable_from_the_package():
    """``planner.<module>`` works for every module on disk (no stale list of names)."""
    import importlib

    import planner

    names = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    names |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    for name in sorted(names - set(planner._LAZY)):  # compare: the function, as documented
        assert getattr(planner, name) is importlib.import_module(f"planner.{name}"), name
    assert {"inputs", "network", "decide", "outputs", "store", "result"} <= set(dir(planner))
