"""MkDocs hooks: one reference page per public module of ``planner``, made from its
docstrings by mkdocstrings, and listed in the navigation under "Reference".

The modules are found on disk (``pkgutil``), so a new module gets its page without a list to
keep up to date; ``tests/test_docs.py`` builds the site with warnings as errors.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def modules() -> list[str]:
    """Dotted names of every module and package of ``planner`` (the bundled data aside).

    Returns
    -------
    list of str
        Sorted names, ``planner`` first.
    """
    found = ["planner"]
    for info in pkgutil.walk_packages([str(ROOT / "planner")], "planner."):
        if not info.name.startswith(("planner.bundled", "planner.static")):
            found.append(info.name)
    return sorted(found)


def _page(module: str) -> str:
    return f"reference/{module}.md"


def on_config(config: Any) -> Any:
    """Add the reference pages to the navigation, grouped by package."""
    groups: dict[str, list[Any]] = {}
    for m in modules():
        parts = m.split(".")
        package = len(parts) > 1 and (ROOT / "planner" / parts[1]).is_dir()
        group = parts[1] if package else "planner"
        groups.setdefault(group, []).append({m: _page(m)})
    reference = [{"planner (top level)" if g == "planner" else f"planner.{g}": pages}
                 for g, pages in groups.items()]
    config["nav"] = [*config["nav"], {"Reference": reference}]
    return config


def on_files(files: Any, config: Any) -> Any:
    """Generate each reference page: a title and the mkdocstrings directive."""
    from mkdocs.structure.files import File

    for m in modules():
        content = f"::: {m}\n"
        files.append(File.generated(config, _page(m), content=content))
    return files
