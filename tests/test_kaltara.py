"""End to end on the bundled Kaltara scenario (real boundaries, illustrative estimates)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def test_kaltara_plan_totals_and_rows(kaltara_plan):
    v = kaltara_plan.villages
    assert len(v) == 482 and v["kode"].is_unique
    # June 2024 province figures (FACTS.md): 530,130 wajib KTP, 523,815 recorded.
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
