"""Shared by the benchmark scripts: print results and record them as JSON."""

from __future__ import annotations

import json
from pathlib import Path


def record(res: dict, out: Path) -> None:
    """Print ``res`` as JSON and write it to ``out``."""
    text = json.dumps(res, indent=2)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
