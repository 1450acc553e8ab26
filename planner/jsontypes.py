"""The type of JSON-able values: what run reports and ``run.json`` hold.

A report is data a reader (``run.json``, a notebook) walks by key; :data:`Json` says
exactly what it may hold (text, numbers, true/false, null, lists and tables of those), so
no report field is typed ``Any``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

Json: TypeAlias = str | int | float | bool | Sequence["Json"] | Mapping[str, "Json"] | None
"""A JSON value (recursive; read-only views, so ``list[str]`` is one)."""

JsonTable: TypeAlias = dict[str, Json]
"""A JSON object: a report section."""
