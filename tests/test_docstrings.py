"""numpydoc validation of every public function, method and property in ``planner/``.

Each must have a docstring (GL08) whose Parameters section documents every parameter
(PR01) and nothing else (PR02), and a Returns section when it returns something (RT01).
Functions written before this rule are listed in ``tests/docstrings_todo.txt`` with what they
still lack; the list only shrinks: a listed function that passes (or is gone) fails the test
until it is removed from the list, and any function not listed must pass.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import planner

validate = pytest.importorskip("numpydoc.validate", reason="numpydoc is in the test extra")

CHECKS = {"GL08", "PR01", "PR02", "RT01"}
TODO = Path(__file__).with_name("docstrings_todo.txt")


def public_names() -> list[str]:
    """Dotted names of every public function, method and property defined in planner/."""
    names = []
    for info in pkgutil.walk_packages(planner.__path__, "planner."):
        if info.name.startswith("planner.bundled"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                names.append(f"{info.name}.{name}")
            elif inspect.isclass(obj):
                names += [f"{info.name}.{name}.{m}" for m, member in vars(obj).items()
                          if not m.startswith("_") and (
                              inspect.isfunction(member)
                              or isinstance(member, classmethod | staticmethod | property))]
    return sorted(names)


def failures() -> dict[str, list[str]]:
    out = {}
    for name in public_names():
        errors = sorted({code for code, _ in validate.validate(name)["errors"]} & CHECKS)
        if errors:
            out[name] = errors
    return out


def todo() -> dict[str, list[str]]:
    lines = [ln.split() for ln in TODO.read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    return {ln[0]: sorted(ln[1].split(",")) for ln in lines}


def test_public_docstrings_follow_numpydoc():
    found, listed = failures(), todo()
    new = {k: v for k, v in found.items() if not set(v) <= set(listed.get(k, []))}
    done = sorted(k for k in listed if found.get(k) != listed[k] and k not in new)
    assert not new, ("public functions whose docstrings miss numpydoc sections "
                     f"(GL08 none, PR01 parameters, RT01 returns): {new}")
    assert not done, f"documented now (or partly): update {TODO.name}: {done}"


def test_the_list_only_names_real_functions():
    assert set(todo()) <= set(public_names())
