"""End to end on the bundled Kaltara scenario (real boundaries, illustrative estimates)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def test_kaltara_plan_totals_and_rows(kaltara_plan):
    v = kaltara_plan.villages
    assert len(v) == 482 and v["kode"].is_unique
    # June 2024 province figures (data/FACTS.md): 530,130 wajib KTP, 523,815 recorded.
    assert int(v["ktp_eligible"].sum()) == 530_130
    assert int(v["ktp_recorded"].sum()) == 523_815
    kia = v["kia_served"].sum() / v["kia_eligible"].sum()
    akta = v["akta_served"].sum() / v["akta_eligible"].sum()
    assert abs(100 * kia - 58.09) <= 0.05
    assert abs(100 * akta - 97.7) <= 0.05
    assert sorted(v["kabupaten"].unique()) == [
        "Kabupaten Bulungan", "Kabupaten Malinau", "Kabupaten Nunukan",
        "Kabupaten Tana Tidung", "Kota Tarakan"]
    assert v["kecamatan"].nunique() == 55
    assert kaltara_plan.report["join"]["unmatched_estimate_rows"] == []
    assert kaltara_plan.report["join"]["villages_without_estimate"] == []


def test_kaltara_every_village_reached(kaltara_plan):
    v = kaltara_plan.villages
    assert (v["reach_band"] != "unreachable").all()
    # interior highlands need a flight; the office's own village is reached at once
    apo = v[v["kecamatan"] == "Kayan Hulu"]
    assert apo["route_modes"].str.contains("air").all()
    assert v.set_index("kode").loc["65.01.05.1002", "travel_minutes"] == 0.0


def test_kaltara_routes_for_every_village(kaltara_plan):
    """Every village has a route whose legs add up to its travel time."""
    v = kaltara_plan.villages.set_index("kode")
    routes = kaltara_plan.routes()
    total = routes.groupby("kode")["minutes"].sum()
    offices = v.index[v["travel_minutes"] == 0]
    assert set(total.index) | set(offices) == set(v.index)
    assert np.allclose(total, v.loc[total.index, "travel_minutes"], atol=1e-3)
    # the modes really used: highlands by air, islands by sea or air, river villages by boat
    modes = v["route_modes"]
    assert modes[v["kecamatan"].isin(["Krayan", "Kayan Hulu", "Sungai Boh"])].str.contains(
        "air").all()
    assert modes[v["kecamatan"].isin(["Sebatik", "Bunyu"])].str.contains("sea|air").all()
    assert modes[v["kecamatan"].isin(["Pujungan", "Peso"])].str.contains("river").all()
    # costs: fastest and cheapest, cheapest never dearer
    assert (v["cheapest_cost"] <= v["travel_cost"] + 1).all()
    assert (v["cheapest_minutes"] >= v["travel_minutes"] - 1e-6).all()


def test_upstream_costs_calibrated_to_reported_trip(kaltara_plan):
    """data/FACTS.md: an outreach round trip Tanjung Selor - Pujungan costs up to Rp 35 million.
    The illustrative rates give a one-way trip of the same order (15-25 million)."""
    v = kaltara_plan.villages.set_index("kode")
    assert 15e6 <= v.loc["65.02.03.2001", "travel_cost"] <= 25e6


def test_cli_route(tmp_path):
    res = subprocess.run([sys.executable, "-m", "planner.cli", "route", "6502052001",
                          str(ROOT / "scenarios" / "kaltara.toml")], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    assert "Long Nawang" in res.stdout and "air" in res.stdout and "expected wait" in res.stdout
    bad = subprocess.run([sys.executable, "-m", "planner.cli", "route", "99.99",
                          str(ROOT / "scenarios" / "kaltara.toml")], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "no village with code '99.99'" in bad.stderr


def test_cli_run_writes_four_files(tmp_path):
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "planner.cli", "run",
                          str(ROOT / "scenarios" / "kaltara.toml"), "--out", str(out)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for f in ("villages.csv", "villages.gpkg", "map.html", "run.json"):
        assert (out / f).stat().st_size > 0, f
    table = pd.read_csv(out / "villages.csv", dtype={"kode": str})
    required = ["kode", "nama", "kecamatan", "kabupaten", "ktp_eligible", "ktp_recorded",
                "ktp_gap", "kia_eligible", "kia_served", "kia_gap", "akta_eligible",
                "akta_served", "akta_gap", "blank_spot_share", "nearest_service",
                "travel_minutes", "reach_band", "priority_score", "priority_rank"]
    assert list(table.columns[: len(required)]) == required
    assert len(table) == 482 and list(table["priority_rank"]) == list(range(1, 483))
    assert table["ktp_eligible"].sum() == 530_130 and table["ktp_recorded"].sum() == 523_815
    assert (table["ktp_gap"] == table["ktp_eligible"] - table["ktp_recorded"]).all()
    run = json.loads((out / "run.json").read_text())
    assert run["report"]["totals"]["ktp"]["gap"] == 6_315
    assert "ILLUSTRATIVE" in (out / "map.html").read_text()


def test_cli_bad_scenario_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ncolour = 3\n[villages]\npath = "nowhere.geojson"\n')
    res = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    # every problem at once: unknown key, missing file, missing sections
    assert "unknown key 'colour'" in res.stderr
    assert "nowhere.geojson" in res.stderr
    assert "service_points" in res.stderr and "network" in res.stderr
