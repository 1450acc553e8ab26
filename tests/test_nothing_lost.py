"""Property-based: whatever the estimate table holds (rows missing, unknown codes, codes
with or without dots or spaces), every village appears exactly once in every output, gap
totals are conserved, and unmatched rows are reported. Plus: no network access at run time."""

from __future__ import annotations

import json
import socket

import geopandas as gpd
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner

from .conftest import CENTRES, write_tiny

CODES = [f"99.01.01.20{i:02d}" for i in range(1, len(CENTRES) + 1)]
FORMATS = [lambda c: c, lambda c: c.replace(".", ""), lambda c: f"  {c} "]

row = st.tuples(st.integers(0, 500), st.integers(0, 500), st.sampled_from(range(3)))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from([*CODES, "99.01.01.2097", "88.01.01.2001"]), row,
                       min_size=1, max_size=8))
def test_every_village_once_and_totals_conserved(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("p")
    scenario = write_tiny(folder / "tiny")
    lines = ["kode;eligible;recorded"]
    total_gap = 0
    for code, (a, b, fmt) in sorted(rows.items()):
        e, s = max(a, b), min(a, b)
        total_gap += e - s
        lines.append(f"{FORMATS[fmt](code)};{e};{s}")
    (scenario.parent / "estimates.csv").write_text("\n".join(lines) + "\n")
    plan = planner.run(planner.load_scenario(scenario))
    paths = plan.write(folder / "out")
    table = pd.read_csv(paths["csv"], dtype={"kode": str})
    assert sorted(table["kode"]) == CODES  # every village exactly once
    layer = gpd.read_file(paths["gpkg"], layer="villages")
    assert sorted(layer["kode"]) == CODES
    report = json.loads(paths["run"].read_text())["report"]
    t = report["totals"]["ktp"]
    assert t["gap"] + t["unmatched_gap"] == total_gap  # conserved
    unmatched = {r["kode_input"].strip() for r in report["join"]["unmatched_estimate_rows"]}
    expected_unmatched = {c for c in rows if c not in CODES}
    assert {c.replace(".", "") for c in unmatched} == {c.replace(".", "") for c in
                                                       expected_unmatched}
    missing = set(report["join"]["villages_without_estimate"])
    assert missing == {c for c in CODES if c not in rows}
    html = paths["map"].read_text()
    assert sum(html.count(f'"kode":"{c}"') for c in CODES) == len(CODES)


def test_no_network_access_during_a_full_run(tmp_path, monkeypatch):
    """A full plan, site choice and all outputs with sockets refused."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    plan = planner.run(planner.load_scenario())
    paths = plan.write(tmp_path / "out", sites=plan.choose_sites())
    assert all(p.stat().st_size > 0 for p in paths.values())
