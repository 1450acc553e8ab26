"""The documentation site (mkdocs.yml, docs/, tools/mkdocs_hooks.py) builds with warnings as
errors, opens offline, and its reference lists every public function, method and property
of the planner (the names tests/test_docstrings.py validates) with its parameters."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_docstrings import public_names

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocstrings", reason="the docs tools are in the test extra")
    out = tmp_path_factory.mktemp("site")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-d", str(out)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def _anchors(site: Path) -> dict[str, str]:
    """Each documented object's id -> the HTML that follows it, up to the next object."""
    out = {}
    for page in (site / "reference").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        marks = list(re.finditer(r'id="(planner[\w.]*)"', html))
        for m, nxt in zip(marks, [*marks[1:], None], strict=True):
            out[m.group(1)] = html[m.end(): nxt.start() if nxt else len(html)]
    return out


def test_every_public_name_has_its_parameters_in_the_reference(site):
    anchors = _anchors(site)
    names = public_names()
    missing = [n for n in names if n not in anchors]
    assert not missing, f"not in the reference: {missing}"
    import importlib

    no_table = []
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:  # a method: Class.method
            cls_module, _, cls = module.rpartition(".")
            obj = getattr(getattr(importlib.import_module(cls_module), cls), attr)
        if isinstance(obj, property) or not callable(obj):
            continue
        params = [p.name for p in inspect.signature(obj).parameters.values()
                  if p.name not in ("self", "cls")
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not all(f"<code>{p}</code>" in anchors[name] for p in params):
            no_table.append(name)
    assert not no_table, f"parameters not listed in the reference: {no_table}"


def test_user_pages_are_there_and_work_offline(site):
    for page in ("index.html", "planners.html", "analysts.html", "managers.html",
                 "reference/planner.pipeline.html"):
        html = (site / page).read_text(encoding="utf-8")
        # nothing is fetched from another site when a page opens (fonts, scripts, styles)
        assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html), page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="planners.html"' in index
    text = re.sub(r"<[^>]+>", "", index)
    assert "python3 -m venv .venv" in text
