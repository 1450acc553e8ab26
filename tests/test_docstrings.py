"""numpydoc validation of every public function, method and property in ``planner/``.

Each must have a docstring (GL08) whose Parameters section documents every parameter
(PR01) and nothing else (PR02), and a Returns section when it returns something (RT01).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import planner

validate = pytest.importorskip("numpydoc.validate", reason="numpydoc is in the test extra")

CHECKS = {"GL08", "PR01", "PR02", "RT01"}


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


def test_every_public_function_is_found():
    names = public_names()
    assert "planner.pipeline.run" in names and "planner.result.Result.route" in names
    assert "planner.network.graph.Network.n_nodes" in names  # properties too
    assert len(names) > 200


def test_public_docstrings_follow_numpydoc():
    failures = {}
    for name in public_names():
        errors = sorted({code for code, _ in validate.validate(name)["errors"]} & CHECKS)
        if errors:
            failures[name] = errors
    assert not failures, ("public functions whose docstrings miss numpydoc sections "
                          f"(GL08 none, PR01/PR02 parameters, RT01 returns): {failures}")
