"""Field service logs (planner/inputs/fieldlog.py) on the tiny study area: every check with its
known answer, conservation of people, ODK/KoBo layouts, and a re-plan where served villages
fall in rank.

Tiny area (tests/conftest.py): 2 km squares A..F around (1,1), (11,1), (21,1), (41,1),
(61,1), (11,5) km; codes 99.01.01.2001..2006; ktp gaps A 10, B 50, C 30, D 0, E no
estimate, F 20; data_date 2024-01-01 (the baseline).
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

import planner
from planner.inputs import fieldlog

from .conftest import CRS, km, write_tiny

TODAY = date(2024, 12, 31)
TO_WGS = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_WGS.transform(*km(x, y))
    return round(lon, 7), round(lat, 7)


def code(v: str) -> str:
    return f"99.01.01.20{'ABCDEF'.index(v) + 1:02d}"


def odk_rows() -> list[dict]:
    """ODK Central export columns; row numbers in comments (header = row 1)."""
    def row(uid, when, team, xy, ktp="", stated="", lat_lon=None):
        lon, lat = lat_lon if lat_lon is not None else lonlat(*xy)
        return {"KEY": uid, "start": when, "deviceid": team, "location-Latitude": lat,
                "location-Longitude": lon, "village_code": stated, "ktp": ktp}
    c_lon, c_lat = lonlat(21, 1)
    return [
        row("u1", "2024-02-01T09:00:00.000+08:00", "T1", (11, 1), 20),          # 2 applied B
        row("u1", "2024-02-01T09:00:00.000+08:00", "T1", (11, 1), 20),          # 3 same id
        row("u3", "2024-02-02", "T2", None, 5, lat_lon=(0, 0)),                 # 4 (0, 0)
        row("u4", "2024-02-02", "T2", None, 5, lat_lon=(c_lat, c_lon)),         # 5 swapped
        row("u5", "2024-02-02", "T2", (1, -30), 5),                             # 6 far out
        row("u6", "2024-02-03", "T2", (12.5, 1), 10),                           # 7 B, 0.5 km
        row("u7", "2024-02-03", "T2", (1, 1), 5, stated=code("C")),             # 8 stated far
        row("u8", "2024-02-04", "T3", (11, 5), 25),                             # 9 > F gap 20
        row("u9", "2023-12-01", "T3", (21, 1), 5),                              # 10 baseline
        row("u10", "2099-01-01", "T3", (21, 1), 5),                             # 11 future
        row("u11", "2024-02-01T09:00:30", "T1", (11.015, 1.01), 20),            # 12 same session
        row("u12", "2024-02-05", "T3", (61, 1), 5),                             # 13 E: no estimate
        row("u13", "2024-03-02", "T4", (1, 1), 1),                              # 14 A: 0 left
        row("u14", "2024-03-01", "T4", (1.2, 1.2), 10),                         # 15 A: exactly
        row("u15", "2024-03-03", "T4", (21, 1), "abc"),                         # 16 bad count
        row("u16", "2024-03-03", "T4", (21, 1), ""),                            # 17 no count
        row("u17", "01/02/2024", "T4", (21, 1), 3),                             # 18 bad date
        row("u18", "2024-03-04", "T5", (21.9, 1.9), 4, stated=code("C")),       # 19 applied C
        row("u19", "2024-03-05", "", None, 2, lat_lon=("", "")),                # 20 no coords
    ]


EXPECTED = {  # row -> (status, village, words in the reason or note)
    "2": ("applied", "B", ""),
    "3": ("set_aside", "B", "duplicate of logs.csv row 2 (same submission id u1)"),
    "4": ("set_aside", "", "coordinates (0, 0): a device without a GPS fix"),
    "5": ("set_aside", "", "latitude and longitude look swapped"),
    "6": ("set_aside", "A", "outside every village: nearest Desa A (99.01.01.2001), 30.0 km"),
    "7": ("applied", "B", "point 0.50 km outside the nearest village"),
    "8": ("set_aside", "C",  # (1, 1) to the square 20..22 km: 19 km
          "19.0 km from the stated village Desa C (99.01.01.2003), in Desa A"),
    "9": ("applied", "F", "ktp: the estimate was low: 25 served in Desa F (99.01.01.2006) "
          "where 20 remained unserved (gap 20 at the baseline); its estimate is raised"),
    "10": ("set_aside", "C", "before the baseline 2024-01-01"),
    "11": ("set_aside", "C", "dated 2099-01-01, in the future"),
    "12": ("set_aside", "B", "duplicate of logs.csv row 2 (same team, time and place)"),
    "13": ("set_aside", "E", "the village has no estimate"),
    "14": ("applied", "A", "the estimate was low: 1 served in Desa A (99.01.01.2001) where 0 "
           "remained unserved (gap 10 at the baseline)"),
    "15": ("applied", "A", ""),
    "16": ("set_aside", "C", "ktp: expected a whole number of people >= 0, found 'abc'"),
    "17": ("set_aside", "C", "no count for any indicator"),
    "18": ("set_aside", "C", "date: expected YYYY-MM-DD"),
    "19": ("applied", "C", ""),
    "20": ("set_aside", "", "no coordinates"),
}


def _tiny_with_logs(tmp_path, rows=None, name="logs.csv"):
    scenario = write_tiny(tmp_path / "tiny")
    logs = scenario.parent / name
    pd.DataFrame(rows or odk_rows()).to_csv(logs, index=False)
    return scenario, logs


def _check(scenario, logs, **kw):
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    raw = fieldlog.read_logs([logs], s.progress, s.indicators)
    return fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY, **kw)


def test_every_check_with_its_known_answer(tmp_path):
    scenario, logs = _tiny_with_logs(tmp_path)
    check = _check(scenario, logs)
    rows = check.rows.set_index("row")
    assert list(rows.index) == [str(i) for i in range(2, 21)]  # every row, in input order
    for row, (status, village, words) in EXPECTED.items():
        r = rows.loc[row]
        assert r["status"] == status, (row, r["reason"])
        assert r["kode"] == (code(village) if village else ""), (row, r["kode"])
        text = r["reason"] if status == "set_aside" else r["note"]
        assert words in text, (row, text)
    assert rows.loc["2", "reason"] == "" and rows.loc["15", "note"] == ""


def test_people_are_conserved_and_applied_to_the_right_village(tmp_path):
    scenario, logs = _tiny_with_logs(tmp_path)
    check = _check(scenario, logs)
    t = check.totals().set_index("indicator").loc["ktp"]
    # logged: every readable count (rows 16, 17, 20 have none or an unreadable one: 0)
    logged = sum(int(r["ktp"]) for r in odk_rows() if str(r["ktp"]).isdigit())
    assert t["people_logged"] == logged == 150
    # applied: B 20 + 10, F 25 (the estimate was low), A 10 + 1 (the same), C 4
    assert t["people_applied"] == 20 + 10 + 25 + 10 + 1 + 4 == 70
    assert t["people_applied"] + t["people_set_aside"] == t["people_logged"]
    assert t["rows_applied"] + t["rows_set_aside"] == t["rows_logged"] == 19
    by_village = fieldlog.served_by_village(check, pd.Series([code(v) for v in "ABCDEF"]))
    assert by_village["ktp"].tolist() == [11, 30, 4, 0, 0, 25]
    assert by_village["sessions"].tolist() == [2, 2, 1, 0, 0, 1]
    # the estimates are raised where the sessions exceed them: F 60 + 25 = 85 > 80, A 101
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    after = fieldlog.apply_logs(plan.villages, check, planner.load_scenario(scenario)
                                .indicators).set_index("nama")
    assert after.loc["Desa F", ["ktp_eligible", "ktp_recorded", "ktp_gap",
                                "ktp_eligible_raised"]].tolist() == [85, 85, 0, 5]
    assert after.loc["Desa A", ["ktp_eligible", "ktp_gap"]].tolist() == [101, 0]
    assert after.loc["Desa B", ["ktp_eligible", "ktp_gap", "ktp_eligible_raised"]
                     ].tolist() == [200, 20, 0]


def test_as_of_sets_later_rows_aside(tmp_path):
    scenario, logs = _tiny_with_logs(tmp_path)
    check = _check(scenario, logs, as_of="2024-02-15")
    rows = check.rows.set_index("row")
    assert rows.loc["15", "status"] == "set_aside"
    assert "after the as-of date 2024-02-15" in rows.loc["15", "reason"]
    assert rows.loc["14", "reason"].startswith("dated 2024-03-02, after the as-of date")
    assert check.applied["ktp_logged"].sum() == 55  # rows 2, 7 and 9


def test_replan_served_villages_fall_in_rank_and_outputs(tmp_path):
    scenario, _ = _tiny_with_logs(tmp_path)
    before = planner.run(planner.load_scenario(scenario), use_cache=False).table()
    text = scenario.read_text() + '\n[progress]\nlogs = ["logs.csv"]\n'
    scenario.write_text(text)
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    after = plan.table()
    rank = lambda t, v: int(t.loc[t["kode"] == code(v), "priority_rank"].item())  # noqa: E731
    gap = lambda t, v: int(t.loc[t["kode"] == code(v), "ktp_gap"].item())  # noqa: E731
    # today's clock decides "future" in a real run: row 11 (2099) stays set aside
    assert gap(after, "B") == gap(before, "B") - 30 and gap(after, "A") == 0
    assert rank(after, "B") > rank(before, "B")
    assert after["ktp_served_from_logs"].sum() == 70
    assert after["ktp_recorded"].sum() == before["ktp_recorded"].sum() + 70
    # F's estimate was low (25 served, 20 unserved): raised to match, its gap 0
    assert after["ktp_eligible"].sum() == before["ktp_eligible"].sum() + 5 + 1
    paths = plan.write(tmp_path / "out")
    out = tmp_path / "out"
    for name in ("progress.csv", "progress_villages.csv", "logs_checked.csv",
                 "rejected_logs.csv", "estimates_updated.csv", "progress.png"):
        assert (out / name).is_file(), name
    assert set(paths) >= {"progress", "rejected_logs", "estimates_updated"}
    checked = pd.read_csv(out / "logs_checked.csv", dtype=str)
    rejected = pd.read_csv(out / "rejected_logs.csv", dtype=str)
    assert len(checked) == 19 and len(rejected) == 13  # applied: rows 2, 7, 9, 14, 15, 19
    assert rejected["reason"].str.len().gt(0).all()
    villages = pd.read_csv(out / "progress_villages.csv", dtype={"kode": str})
    assert len(villages) == 6 and villages["ktp_served_from_logs"].sum() == 70
    over = pd.read_csv(out / "progress.csv", dtype={"code": str})
    area = over[over["level"] == "study area"]
    assert area["date"].tolist() == ["2024-01-01", "2024-02-01", "2024-02-03", "2024-02-04",
                                     "2024-03-01", "2024-03-02", "2024-03-04"]
    assert area["served"].diff().fillna(0).tolist() == [0, 20, 10, 25, 10, 1, 4]
    # the estimate is raised on the day the sessions exceed it: F on 02-04, A on 03-02
    assert area["eligible"].tolist() == [470, 470, 470, 475, 475, 476, 476]
    run = json.loads((out / "run.json").read_text())
    assert run["report"]["progress"]["totals"][0]["people_applied"] == 70
    # the updated estimates give the same served counts when run as the estimates
    est = pd.read_csv(out / "estimates_updated.csv", dtype=str)
    est.to_csv(scenario.parent / "estimates.csv", sep=";", index=False)
    scenario.write_text(text.replace('\n[progress]\nlogs = ["logs.csv"]\n', ""))
    again = planner.run(planner.load_scenario(scenario), use_cache=False).table()
    pd.testing.assert_series_equal(again["ktp_recorded"], after["ktp_recorded"])


def test_kobo_geolocation_xlsx_and_geojson_layouts(tmp_path):
    """KoBo's _geolocation "[lat, lon]" with group/field counts, an XLSX with a title row
    mapped by [progress], and a GeoJSON of points give the same attachments."""
    import geopandas as gpd
    from shapely.geometry import Point

    scenario = write_tiny(tmp_path / "tiny")
    d = scenario.parent
    b_lon, b_lat = lonlat(11, 1)
    c_lon, c_lat = lonlat(21.5, 1)
    pd.DataFrame({"_uuid": ["k1", "k2"], "_submission_time": ["2024-02-01T10:00:00",
                                                              "2024-02-02T10:00:00"],
                  "_geolocation": [f"[{b_lat}, {b_lon}]", f"[{c_lat}, {c_lon}]"],
                  "layanan/ktp": ["3", "4"], "_submitted_by": ["t1", "t1"]}
                 ).to_csv(d / "kobo.csv", index=False)
    gpd.GeoDataFrame({"id": ["g1"], "tanggal": ["2024-02-03"], "ktp": ["2"]},
                     geometry=[Point(*km(11, 5))], crs=CRS).to_file(d / "pts.geojson")
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    raw = fieldlog.read_logs([d / "kobo.csv", d / "pts.geojson"], s.progress, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY)
    assert check.rows["status"].tolist() == ["applied"] * 3, check.rows["reason"].tolist()
    assert check.rows["kode"].tolist() == [code("B"), code("C"), code("F")]
    assert check.rows["row"].tolist() == ["2", "3", "feature 1"]
    # named columns: an XLSX with its own names
    xlsx = d / "logs.xlsx"
    pd.DataFrame({"Waktu": ["2024-02-01"], "Lintang": [b_lat], "Bujur": [b_lon],
                  "Rekam KTP": ["7"]}).to_excel(xlsx, index=False)
    spec = s.progress.__class__(columns={"date": "Waktu", "lat": "Lintang", "lon": "Bujur"},
                                served={"ktp": "Rekam KTP"}, baseline="2024-01-01")
    raw = fieldlog.read_logs([xlsx], spec, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    assert check.rows[["kode", "status", "ktp_logged"]].values.tolist() == [
        [code("B"), "applied", 7]]
    # dates as Indonesian spreadsheets write them, with [progress] date_format
    pd.DataFrame({"Waktu": ["31/01/2024", "2024-02-01 00:00:00", "31/02/2024"],
                  "Lintang": [b_lat] * 3, "Bujur": [b_lon] * 3, "Rekam KTP": ["1"] * 3}
                 ).to_csv(d / "tanggal.csv", index=False)
    dmy = spec.__class__(**{**spec.__dict__, "date_format": "%d/%m/%Y"})
    raw = fieldlog.read_logs([d / "tanggal.csv"], dmy, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, dmy, today=TODAY)
    assert check.rows["date"].tolist() == ["2024-01-31", "2024-02-01", ""]
    assert check.rows["reason"].iloc[2] == ("date: expected the format '%d/%m/%Y' or "
                                            "YYYY-MM-DD, found '31/02/2024'")
    # decimal commas in coordinates (Indonesian spreadsheets) are read
    pd.DataFrame({"Waktu": ["2024-02-01"], "Lintang": [str(b_lat).replace(".", ",")],
                  "Bujur": [str(b_lon).replace(".", ",")], "Rekam KTP": ["1"]}
                 ).to_csv(d / "koma.csv", index=False, sep=";")
    raw = fieldlog.read_logs([d / "koma.csv"], spec, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    assert check.rows["kode"].tolist() == [code("B")], check.rows["reason"].tolist()


def test_unreadable_layouts_are_one_clear_error(tmp_path):
    scenario = write_tiny(tmp_path / "tiny")
    d = scenario.parent
    pd.DataFrame({"when": ["2024-02-01"], "ktp": ["1"]}).to_csv(d / "a.csv", index=False)
    pd.DataFrame({"date": ["2024-02-01"], "lat": ["1"], "lon": ["2"]}).to_csv(
        d / "b.csv", index=False)
    s = planner.load_scenario(scenario)
    with pytest.raises(planner.InputError) as exc:
        fieldlog.read_logs([d / "a.csv", d / "b.csv", d / "missing.csv"], s.progress,
                           s.indicators)
    text = str(exc.value)
    assert "a.csv" in text and "no date column" in text and "no coordinates" in text
    assert "b.csv" in text and "no count column" in text
    assert "missing.csv" in text and "file not found" in text


def test_bundled_logs_are_reproducible_and_reconcile(tmp_path):
    """tools/make_kaltara_logs.py gives the bundled file byte for byte; applied to the June
    2024 estimates it reaches the October 2024 share (99.43%) with 3 rows of each bad kind
    set aside, each naming its row, and no row lost."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, str(root / "tools" / "make_kaltara_logs.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=root)
    assert res.returncode == 0, res.stderr
    bundled = root / "data" / "progress" / "service_logs_illustrative.csv"
    assert (tmp_path / bundled.name).read_bytes() == bundled.read_bytes()
    s = planner.load_scenario(root / "scenarios" / "kaltara_progress.toml")
    plan = planner.run(s)
    check = plan.progress
    n_rows = len(pd.read_csv(bundled, dtype=str))
    assert len(check.rows) == n_rows                         # every row, once
    assert check.rows["row"].tolist() == [str(i) for i in range(2, n_rows + 2)]
    t = check.totals().set_index("indicator")
    assert (t["people_applied"] + t["people_set_aside"] == t["people_logged"]).all()
    assert t.loc["ktp", "people_applied"] == 3_300
    kinds = check.set_aside["reason_kind"].value_counts().to_dict()
    assert kinds == {"duplicate": 6, "bad coordinates": 9, "outside every village": 3,
                     "far from the stated village": 3, "more than the village's eligible": 3,
                     "date in the future": 3, "before the baseline": 3, "bad count": 3}
    assert check.set_aside["reason"].str.len().gt(0).all()
    over = plan.progress_over_time
    ktp = over[(over["level"] == "study area") & (over["indicator"] == "ktp")]
    assert ktp["served"].iloc[0] == 523_815 and ktp["eligible"].iloc[0] == 530_130
    assert round(100 * ktp["coverage"].iloc[-1], 2) == 99.43  # October 2024: 99.43%
    assert ktp["coverage"].is_monotonic_increasing
    # kabupaten rows add up to the province at every date
    kab = over[(over["level"] == "kabupaten") & (over["indicator"] == "ktp")]
    assert (kab.groupby("date")["served"].sum().to_numpy() == ktp["served"].to_numpy()).all()
    assert plan.table()["ktp_gap"].sum() == 530_130 - 527_115


def test_cli_progress_and_the_map_layer(tmp_path, capsys):
    from planner.cli import main

    scenario, logs = _tiny_with_logs(tmp_path)
    out = tmp_path / "p"
    assert main(["progress", str(logs), "--scenario", str(scenario), "--out", str(out),
                 "-q"]) == 0
    text = capsys.readouterr().out
    assert "19 log rows: 6 applied, 13 set aside" in text
    # 360 of 470 at the baseline; 430 of 476 after (two estimates raised: +5, +1)
    assert "ktp: coverage 76.60% at the baseline -> 90.34% on 2024-03-04" in text
    assert "columns of logs.csv: id <- KEY (found by its name (key))" in text
    assert "date <- start (the form's start time)" in text
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "progress.csv", "progress_villages.csv", "logs_checked.csv", "rejected_logs.csv",
        "estimates_updated.csv", "progress.png", "progress.md", "run.json"])
    assert main(["check", str(out)]) == 0
    md = (out / "progress.md").read_text()
    assert "| duplicate | 2 | 40 |" in md and "![Coverage over time" in md
    # the progress display ends on its last step (it stopped at 6/7)
    assert main(["progress", str(logs), "--scenario", str(scenario), "--out",
                 str(tmp_path / "p2")]) == 0
    steps = re.findall(r"planner: step (\d+)/(\d+): (.+)", capsys.readouterr().err)
    assert steps[-1] == ("7", "7", "write progress")  # (a cached run starts at 5/7)
    # as-of: a bad date is refused by the option itself; no logs at all is a clear error
    with pytest.raises(SystemExit) as exc:
        main(["progress", str(logs), "--scenario", str(scenario), "--as-of", "2024-02-30"])
    assert exc.value.code == 2
    assert main(["progress", "--scenario", str(scenario), "--out", str(tmp_path / "q")]) == 2
    assert "no field logs" in capsys.readouterr().err
    # the map of a plan with logs shows the sessions, each with its outcome
    scenario.write_text(scenario.read_text() + '\n[progress]\nlogs = ["logs.csv"]\n')
    assert main(["run", str(scenario), "--out", str(tmp_path / "r"), "-q"]) == 0
    html = (tmp_path / "r" / "map.html").read_text()
    assert "Logged field sessions (by date)" in html and "session set aside" in html
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "## Progress from field logs" in summary


def test_readme_progress_example_is_a_valid_scenario(tmp_path):
    """The [progress] example of the README loads on the Kaltara scenario (the keys and
    types it shows exist)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    block = re.search(r"```toml\n(\[progress\]\n.*?)```", readme, re.S).group(1)
    for name in ("logs/juli.xlsx", "logs/agustus.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'base = "{(root / "scenarios" / "kaltara.toml").as_posix()}"\n'
                        + block)
    s = planner.load_scenario(scenario)
    assert s.progress.columns == {"date": "Waktu", "lat": "Lintang", "lon": "Bujur",
                                  "village": "Kode Desa"}
    assert s.progress.served == {"ktp": "Rekam KTP", "kia": "KIA terbit"}
    assert [p.name for p in s.progress.logs] == ["juli.xlsx", "agustus.csv"]
    assert (s.progress.baseline, s.progress.as_of) == ("2024-06-03", "2024-10-31")
    assert s.progress.date_format == "%d/%m/%Y"


def test_progress_settings_are_checked(tmp_path):
    scenario = write_tiny(tmp_path / "tiny")
    scenario.write_text(scenario.read_text() + textwrap.dedent("""
        [progress]
        logs = ["nowhere.csv", 3]
        baseline = "2024-02-30"
        date_format = "%Y"
        max_distance_km = -1
        [progress.served]
        kia = "x"
        """))
    with pytest.raises(planner.InputError) as exc:
        planner.load_scenario(scenario)
    text = str(exc.value)
    for words in ("file not found", "expected the path of a log file, found 3",
                  "column 'baseline': expected a date YYYY-MM-DD, found '2024-02-30'",
                  "expected strftime codes for a date", "max_distance_km",
                  "unknown indicator 'kia'"):
        assert words in text, words


def test_an_office_spreadsheet_with_a_title_row(tmp_path):
    """An XLSX as a district office sends it: a title and a blank row above the header, Excel
    date cells and a typed dd/mm/yyyy date, decimal commas, a blank row between records;
    with the columns named in [progress], every row is read and named by its spreadsheet
    row."""
    import datetime

    import openpyxl

    scenario = write_tiny(tmp_path / "tiny")
    b_lon, b_lat = lonlat(11, 1)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Laporan perekaman KTP-el keliling, Februari 2024"])
    ws.append([])
    ws.append(["Tanggal", "Tim", "Lintang", "Bujur", "Rekam KTP"])
    ws.append([datetime.date(2024, 2, 3), "T1", str(b_lat).replace(".", ","),
               str(b_lon).replace(".", ","), 12])
    ws.append([None] * 5)
    ws.append(["05/02/2024", "T1", b_lat, b_lon, 3])
    wb.save(scenario.parent / "februari.xlsx")
    s = planner.load_scenario(scenario)
    spec = s.progress.__class__(columns={"date": "Tanggal", "team": "Tim", "lat": "Lintang",
                                         "lon": "Bujur"}, served={"ktp": "Rekam KTP"},
                                baseline="2024-01-01", date_format="%d/%m/%Y")
    raw = fieldlog.read_logs([scenario.parent / "februari.xlsx"], spec, s.indicators)
    plan = planner.run(s, use_cache=False)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    assert check.rows["row"].tolist() == ["4", "6"]
    assert check.rows["date"].tolist() == ["2024-02-03", "2024-02-05"]
    assert check.rows["status"].tolist() == ["applied", "applied"]
    assert check.applied["ktp_logged"].sum() == 15


def test_a_corrected_resend_is_weighed_on_its_own(tmp_path):
    """F's gap is 20. A team reports 25 (too many: set aside), then resends the same
    session corrected to 18 (same team, time and place; another submission id): the resend
    is not a duplicate of a row that was set aside, it is applied. A later copy of the
    applied resend is a duplicate. Impossible clock times and year typos are set aside
    with the date reason, never kept."""
    def row(uid, when, ktp, xy=(11, 5)):
        lon, lat = lonlat(*xy)
        return {"KEY": uid, "start": when, "deviceid": "T3", "location-Latitude": lat,
                "location-Longitude": lon, "village_code": "", "ktp": ktp}
    rows = [row("a", "2024-02-04T10:00", 25), row("b", "2024-02-04T10:00", 18),
            row("c", "2024-02-04T10:00", 18), row("d", "2024-02-05T25:61", 1, (21, 1)),
            row("e", "0202-02-05", 1, (21, 1)), row("f", "2024-02-05 23:59", 1, (21, 1))]
    scenario, logs = _tiny_with_logs(tmp_path, rows)
    r = _check(scenario, logs).rows.set_index("id")
    assert r.loc["a", "status"] == "set_aside"
    assert r.loc["a", "reason"] == ("replaced by its corrected resend, logs.csv row 3 (same "
                                    "team, time and place, other counts)")
    assert r.loc["a", "reason_kind"] == "replaced by a resend"
    assert r.loc["b", "status"] == "applied", r.loc["b", "reason"]
    assert r.loc["b", "note"] == ""    # 18 of the 20 unserved
    assert r.loc["c", "status"] == "set_aside"
    assert "duplicate of logs.csv row 3" in r.loc["c", "reason"]
    for bad in ("d", "e"):
        assert r.loc[bad, "status"] == "set_aside" and "date: expected" in r.loc[bad, "reason"]
    assert r.loc["f", "status"] == "applied" and r.loc["f", "time"] == "23:59"


def test_logs_on_another_sheet_of_the_workbook_are_pointed_to(tmp_path):
    """An office workbook whose first sheet is a cover page: the message says which sheet
    was read and names the others, to set [progress] sheet; set, the logs are read."""
    from openpyxl import Workbook

    scenario = write_tiny(tmp_path / "tiny")
    wb = Workbook()
    wb.active.title = "Sampul"
    wb.active.append(["Laporan perekaman KTP-el"])
    data = wb.create_sheet("Data")
    rows = odk_rows()[:2]
    data.append(list(rows[0]))
    for r in rows:
        data.append([str(v) for v in r.values()])
    f = scenario.parent / "logs.xlsx"
    wb.save(f)
    s = planner.load_scenario(scenario)
    with pytest.raises(planner.InputError, match=r"the first sheet \('Sampul'\) was read; the "
                                                  r"workbook also holds 'Data'"):
        fieldlog.read_logs([f], s.progress, s.indicators)
    from dataclasses import replace

    spec = replace(s.progress, columns={**s.progress.columns, "sheet": "Data"})
    assert len(fieldlog.read_logs([f], spec, s.indicators)) == 2


def test_the_progress_chart_title_fits_and_panels_use_labels(tmp_path):
    """progress.png: the (long) title lies within the figure, and each panel is named by
    its indicator's label, not its key."""
    scenario, logs = _tiny_with_logs(tmp_path)
    s = planner.load_scenario(scenario)
    plan = planner.run(s.replace(progress={"logs": (logs,)}), use_cache=False)
    title = ("Kalimantan Utara: civil-registry outreach priorities: coverage from field logs "
             "(ILLUSTRATIVE)")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = fieldlog.chart_figure(plan.progress_over_time, title, {"ktp": "e-KTP recording"})
    renderer = FigureCanvasAgg(fig).get_renderer()
    box = fig._suptitle.get_window_extent(renderer)
    assert 0 <= box.y0 and box.y1 <= fig.bbox.height and box.x0 >= 0
    assert box.x1 <= fig.bbox.width
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["e-KTP recording"]
    assert all(ax.get_ylabel() == "coverage, %" for ax in fig.axes)
    for ax in fig.axes:  # the panel's own title stays below the figure's
        assert ax.title.get_window_extent(renderer).y1 <= box.y0 + 1


def test_merged_date_and_team_cells_hold_for_each_row(tmp_path):
    """An office sheet with one date cell merged over a day's three sessions (A4:A6) and a
    team merged over them (B4:B6): each row gets that date and team, and a warning names the
    range; a count merged over two rows (E7:E8) is a total, read once on its first row."""
    import datetime

    import openpyxl

    scenario = write_tiny(tmp_path / "tiny")
    pts = [lonlat(11, 1), lonlat(11, 5), lonlat(21, 1), lonlat(11, 5), lonlat(11, 1)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Laporan perekaman KTP-el keliling"])
    ws.append([])
    ws.append(["Tanggal", "Tim", "Lintang", "Bujur", "Rekam KTP"])
    for (lon, lat), n, day in zip(pts, [2, 3, 4, 5, None],
                                  [datetime.date(2024, 2, 3), None, None,
                                   datetime.date(2024, 2, 6), datetime.date(2024, 2, 7)],
                                  strict=True):
        ws.append([day, "T1" if day == datetime.date(2024, 2, 3) else "T2", lat, lon, n])
    ws.merge_cells("A4:A6")
    ws.merge_cells("B4:B6")
    ws.merge_cells("E7:E8")
    f = scenario.parent / "merged.xlsx"
    wb.save(f)
    s = planner.load_scenario(scenario)
    spec = s.progress.__class__(columns={"date": "Tanggal", "team": "Tim", "lat": "Lintang",
                                         "lon": "Bujur"}, served={"ktp": "Rekam KTP"},
                                baseline="2024-01-01")
    warnings: list[str] = []
    raw = fieldlog.read_logs([f], spec, s.indicators, warnings)
    assert raw["row"].tolist() == ["4", "5", "6", "7", "8"]
    assert raw["date"].tolist()[:3] == [raw["date"].iloc[0]] * 3
    assert raw["date"].iloc[0].startswith("2024-02-03")
    assert raw["team"].tolist() == ["T1", "T1", "T1", "T2", "T2"]
    assert raw["ktp"].tolist() == ["2", "3", "4", "5", ""]
    said = "\n".join(warnings)
    assert "'Tanggal': cells A4:A6 are merged" in said and "rows 4–6" in said
    assert "'Tim': cells B4:B6 are merged" in said
    assert "'Rekam KTP': cells E7:E8 are merged; their value is read once, on row 7" in said
    plan = planner.run(s, use_cache=False)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    r = check.rows.set_index("row")
    assert r.loc[["4", "5", "6"], "date"].tolist() == ["2024-02-03"] * 3
    assert r.loc[["4", "5", "6", "7"], "status"].tolist() == ["applied"] * 4
    assert check.applied["ktp_logged"].sum() == 14
    assert r.loc["8", "status"] == "set_aside" and "no count" in r.loc["8", "reason"]


def test_column_roles_are_reported_and_the_form_dates_the_session(tmp_path):
    """An ODK Central export with the server's receipt time (UTC, days late), the form's
    start, end and today, a question named 'date', the submitter and the device: the form's
    start dates the session, the submitter is the team, and every role says which column
    filled it and why (the other date columns named, to choose with [progress] date)."""
    b_lon, b_lat = lonlat(11, 1)
    rows = [{"SubmissionDate": "2024-02-09T03:00:00.000Z", "start": "2024-02-01T09:00:00",
             "end": "2024-02-01T09:20:00", "today": "2024-02-01", "date": "1990-05-05",
             "location-Latitude": b_lat, "location-Longitude": b_lon, "ktp": 3,
             "meta-instanceID": "uuid:1", "KEY": "uuid:1", "SubmitterName": "Tim Satu",
             "DeviceID": "collect:abc"}]
    scenario, logs = _tiny_with_logs(tmp_path, rows)
    s = planner.load_scenario(scenario)
    raw = fieldlog.read_logs([logs], s.progress, s.indicators)
    assert raw["date"].tolist() == ["2024-02-01T09:00:00"] and raw["team"].tolist() == [
        "Tim Satu"]
    check = _check(scenario, logs)
    roles = check.roles_table().set_index("role")
    assert roles.loc["date", "column"] == "start"
    assert roles.loc["date", "how"].startswith("the form's start time; also present: "
                                               "'today', 'date', 'end', 'SubmissionDate'")
    assert roles.loc["team", "column"] == "SubmitterName"
    assert roles.loc["id", "column"] == "meta-instanceID"
    assert roles.loc["served:ktp", ["column", "how"]].tolist() == ["ktp", "found by its name"]
    assert roles.loc["village", "how"] == "not found"
    # the server's receipt time alone: used, and said to be the last resort
    only = [{k: v for k, v in rows[0].items() if k not in ("start", "end", "today", "date")}]
    scenario2, logs2 = _tiny_with_logs(tmp_path / "b", only)
    roles2 = _check(scenario2, logs2).roles_table().set_index("role")
    assert roles2.loc["date", "column"] == "SubmissionDate"
    assert "the server's receipt time" in roles2.loc["date", "how"]
    assert "last resort" in roles2.loc["date", "how"]


def test_choice_columns_are_not_counts_and_roles_can_be_switched_off(tmp_path):
    """KoBo splits a multiple-choice question into 0/1 columns (layanan/ktp): never a
    number of people unless named; a file with only those says so. A `village` column of
    names is switched off with village = ""; two columns that could each be the date are
    an error asking for the setting."""
    from dataclasses import replace

    b_lon, b_lat = lonlat(11, 1)
    base = {"_uuid": "k1", "start": "2024-02-01T09:00:00", "_geolocation": f"[{b_lat}, {b_lon}]",
            "layanan": "ktp kia", "layanan/ktp": "1", "layanan/kia": "1", "village": "Desa Z"}
    scenario, logs = _tiny_with_logs(tmp_path, [base])
    s = planner.load_scenario(scenario)
    with pytest.raises(planner.InputError) as err:
        fieldlog.read_logs([logs], s.progress, s.indicators)
    assert "'layanan/ktp' hold 0/1 answers of a multiple-choice question" in str(err.value)
    assert "[progress.served]" in str(err.value)
    with_count = dict(base, jumlah_ktp="12")
    scenario, logs = _tiny_with_logs(tmp_path / "c", [with_count])
    spec = replace(s.progress, served={"ktp": "jumlah_ktp"})
    check = fieldlog.check_logs(fieldlog.read_logs([logs], spec, s.indicators),
                                planner.run(s, use_cache=False).villages, s.indicators,
                                spec, today=TODAY)
    assert check.rows["status"].tolist() == ["set_aside"]     # no village is 'Desa Z'
    assert "stated village 'Desa Z' is not a village" in check.rows["reason"].iloc[0]
    off = replace(spec, columns={"village": ""})
    check = fieldlog.check_logs(fieldlog.read_logs([logs], off, s.indicators),
                                planner.run(s, use_cache=False).villages, s.indicators,
                                off, today=TODAY)
    assert check.rows[["status", "ktp_logged"]].values.tolist() == [["applied", 12]]
    assert check.roles_table().set_index("role").loc["village", "how"] == \
        "switched off in [progress]"
    two = {k: v for k, v in with_count.items() if k != "start"}
    two.update({"grp1-start": "2024-02-01", "grp2-start": "2024-02-02"})
    scenario, logs = _tiny_with_logs(tmp_path / "d", [two])
    with pytest.raises(planner.InputError, match=r"columns 'grp1-start', 'grp2-start' could "
                                                  r"each be the session's date: name one in "
                                                  r"\[progress\] date"):
        fieldlog.read_logs([logs], spec, s.indicators)


def test_only_optional_roles_can_be_switched_off(tmp_path):
    scenario = write_tiny(tmp_path / "tiny")
    text = scenario.read_text()
    scenario.write_text(text + '\n[progress]\nvillage = ""\nteam = ""\n')
    s = planner.load_scenario(scenario)
    assert s.progress.columns == {"village": "", "team": ""}
    scenario.write_text(text + '\n[progress]\ndate = ""\nlat = ""\ntimezone = "Mars/Olympus"\n'
                        'max_per_session = 0\n')
    with pytest.raises(planner.InputError) as err:
        planner.load_scenario(scenario)
    said = str(err.value)
    assert "column 'date': cannot be switched off" in said and "column 'lat'" in said
    assert "column 'timezone': expected a time zone" in said and "'Mars/Olympus'" in said
    assert "max_per_session" in said
    scenario.write_text(text + '\n[progress]\ntimezone = "Asia/Makassar"\n'
                        'max_per_session = 15\n')
    s = planner.load_scenario(scenario)
    assert s.progress.timezone == "Asia/Makassar" and s.progress.max_per_session == 15


def test_max_per_session_sets_a_count_aside(tmp_path):
    """With [progress] max_per_session = 15, B's 20 (of 50 unserved) is set aside and its
    10 applied; without it, both apply."""
    from dataclasses import replace

    rows = [odk_rows()[0], odk_rows()[5]]                        # B: 20, then 10
    scenario, logs = _tiny_with_logs(tmp_path, rows)
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    raw = fieldlog.read_logs([logs], s.progress, s.indicators)
    spec = replace(s.progress, max_per_session=15.0)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    assert check.rows["status"].tolist() == ["set_aside", "applied"]
    assert check.rows["reason"].iloc[0] == ("ktp: reports 20 served in one session, more than "
                                            "max_per_session (15)")
    assert check.rows["reason_kind"].iloc[0] == "more than max_per_session"
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY)
    assert check.rows["status"].tolist() == ["applied", "applied"]


def test_dates_as_offices_write_them_and_the_local_day(tmp_path):
    """Briefcase's "Apr 26, 2018 8:58:20 PM" (12-hour clock), Excel's "20-May-96" and an
    Indonesian "17 Agustus 2024" read with [progress] date_format; an Excel serial number;
    a spreadsheet's date-only cell (00:00:00) stays a date; a UTC time (Z, or the server's
    receipt column, which carries no offset) is dated by the study area's local day
    (UTC+08:00 for the tiny area at 117°E, or the [progress] timezone)."""
    from datetime import timedelta, timezone

    from planner.inputs.fieldlog import _date_as, _excel_serial, _iso_date, time_zone

    assert _date_as("Apr 26, 2018 8:58:20 PM", "%b %d, %Y %I:%M:%S %p") == ("2018-04-26",
                                                                            "20:58")
    assert _date_as("20-May-96", "%d-%b-%y") == ("1996-05-20", "")
    assert _date_as("17 Agustus 2024", "%d %B %Y") == ("2024-08-17", "")
    assert _excel_serial("45323") == ("2024-02-01", "")
    assert _excel_serial("45323.75") == ("2024-02-01", "18:00")
    assert _excel_serial("2024") == ("", "")  # a year, not a serial
    assert _iso_date("2024-02-03 00:00:00") == ("2024-02-03", "")
    wita = timezone(timedelta(hours=8))
    assert _iso_date("2024-02-08T23:30:00.000Z", wita) == ("2024-02-09", "07:30")
    assert _iso_date("2024-02-08T23:30:00", wita, utc=True) == ("2024-02-09", "07:30")
    assert _iso_date("2024-02-08T23:30:00+07:00", wita) == ("2024-02-09", "00:30")
    assert _iso_date("2024-02-08T23:30:00") == ("2024-02-08", "23:30")   # local already
    s = planner.load_scenario(write_tiny(tmp_path / "tiny"))
    plan = planner.run(s, use_cache=False)
    zone, said = time_zone("", plan.villages)
    assert zone.utcoffset(None) == timedelta(hours=8) and said.startswith("UTC+08:00")
    assert time_zone("Asia/Jakarta", plan.villages)[1] == "Asia/Jakarta ([progress] timezone)"
    # end to end: KoBo's _submission_time (UTC, no offset) late in the evening
    b_lon, b_lat = lonlat(11, 1)
    rows = [{"_uuid": "k1", "_submission_time": "2024-02-08T23:30:00",
             "_geolocation": f"[{b_lat}, {b_lon}]", "ktp": "2"}]
    scenario, logs = _tiny_with_logs(tmp_path / "k", rows)
    check = _check(scenario, logs)
    assert check.rows[["date", "time"]].values.tolist() == [["2024-02-09", "07:30"]]
    assert check.timezone.startswith("UTC+08:00")


def test_each_count_is_decided_on_its_own_and_reviews_count(tmp_path):
    """n/a is "not given" for that indicator; an unreadable count is left out with a note
    while the row's other counts apply; a row with no readable count is set aside. A
    submission a reviewer rejected (ODK Central's ReviewState, KoBo's _validation_status)
    is set aside; one flagged is applied with a note. People stay conserved."""
    from dataclasses import replace

    def row(uid, ktp, review="", xy=(11, 1), when="2024-02-01T09:00"):
        lon, lat = lonlat(*xy)
        return {"KEY": uid, "start": when, "deviceid": uid, "location-Latitude": lat,
                "location-Longitude": lon, "ktp": ktp, "ReviewState": review}
    rows = [row("a", "n/a"), row("b", "dua"), row("c", "3", "rejected"),
            row("d", "2", "hasIssues", (21, 1)), row("e", "1", "approved", (21, 1))]
    scenario, logs = _tiny_with_logs(tmp_path, rows)
    check = _check(scenario, logs)
    r = check.rows.set_index("id")
    assert r.loc["a", "reason"] == "no count for any indicator (ktp all empty)"
    assert r.loc["b", "reason"] == "ktp: expected a whole number of people >= 0, found 'dua'"
    assert r.loc["c", "reason"] == "rejected by a reviewer (rejected)"
    assert r.loc["c", "reason_kind"] == "rejected in review"
    assert r.loc["d", "status"] == "applied"
    assert "flagged by a reviewer (hasIssues): check it" in r.loc["d", "note"]
    assert r.loc["e", "status"] == "applied" and r.loc["e", "note"] == ""
    assert check.roles_table().set_index("role").loc["review", "column"] == "ReviewState"
    # two indicators: an unreadable KIA count leaves the KTP count applied
    s = planner.load_scenario(scenario)
    kia = replace(s.indicators[0], key="kia", label="KIA", eligible="eligible",
                  served="recorded", target=None)
    two = (s.indicators[0], kia)
    raw = pd.DataFrame([row("f", "2", xy=(11, 5)) | {"kia": "abc"},
                        row("g", "n/a", xy=(21, 1), when="2024-02-02") | {"kia": "1"}])
    raw.to_csv(logs, index=False)
    plan = planner.run(s, use_cache=False)
    villages = plan.villages.assign(kia_gap=plan.villages["ktp_gap"],
                                    kia_eligible=plan.villages["ktp_eligible"])
    got = fieldlog.read_logs([logs], s.progress, two)
    check = fieldlog.check_logs(got, villages, two, s.progress, today=TODAY)
    r = check.rows.set_index("id")
    assert r.loc["f", ["status", "ktp_logged", "kia_logged"]].tolist() == ["applied", 2, 0]
    assert r.loc["f", "note"] == ("kia: expected a whole number of people >= 0, found 'abc': "
                                  "left out (the row's other counts apply)")
    assert r.loc["g", ["status", "ktp_logged", "kia_logged"]].tolist() == ["applied", 0, 1]
    t = check.totals().set_index("indicator")
    assert (t["people_applied"] + t["people_set_aside"] == t["people_logged"]).all()


def test_legacy_excel_opendocument_central_zip_and_hxl(tmp_path):
    """An .xls (Excel 97-2003) and an .ods (LibreOffice) office log with a title row and
    typed date cells (dates, not 00:00 times); ODK Central's .csv.zip with people counted in
    a repeat group (one row per person: summed per submission, an unreadable cell left out
    with a note); a KoBo CSV with its HXL hashtag row under the header (skipped, said)."""
    import shutil
    import zipfile
    from dataclasses import replace

    root = Path(__file__).resolve().parent / "data" / "logs"
    scenario = write_tiny(tmp_path / "tiny")
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    spec = replace(s.progress, columns={"date": "Tanggal", "team": "Tim", "lat": "Lintang",
                                        "lon": "Bujur"}, served={"ktp": "Rekam KTP"},
                   baseline="2024-01-01")
    for name in ("office_log.xls", "office_log.ods"):
        shutil.copy(root / name, scenario.parent / name)
        raw = fieldlog.read_logs([scenario.parent / name], spec, s.indicators)
        check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
        assert check.rows[["row", "date", "time", "kode", "ktp_logged", "status"]
                          ].values.tolist() == [["4", "2024-02-03", "", code("B"), 12, "applied"],
                                                ["5", "2024-02-04", "", code("C"), 5, "applied"]]
    # ODK Central's .csv.zip: the main CSV and a repeat group "peserta" (one row per person)
    b_lon, b_lat = lonlat(11, 1)
    c_lon, c_lat = lonlat(21, 1)
    main = pd.DataFrame({"SubmissionDate": ["2024-02-10T01:00:00.000Z"] * 2,
                         "start": ["2024-02-03T09:00:00.000+08:00",
                                   "2024-02-04T10:00:00.000+08:00"],
                         "location-Latitude": [b_lat, c_lat],
                         "location-Longitude": [b_lon, c_lon],
                         "KEY": ["uuid:s1", "uuid:s2"], "SubmitterName": ["Tim 1", "Tim 1"],
                         "ReviewState": ["", ""]})
    rep = pd.DataFrame({"nama": ["a", "b", "c", "d", "e"], "ktp": ["1", "1", "1", "2", "x"],
                        "PARENT_KEY": ["uuid:s1", "uuid:s1", "uuid:s1", "uuid:s2", "uuid:s2"],
                        "KEY": [f"uuid:s{i}/peserta[{j}]" for i, j in
                                ((1, 1), (1, 2), (1, 3), (2, 1), (2, 2))]})
    z = scenario.parent / "form.csv.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("form.csv", main.to_csv(index=False))
        f.writestr("form-peserta.csv", rep.to_csv(index=False))
    raw = fieldlog.read_logs([z], s.progress, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY)
    assert check.rows[["kode", "ktp_logged", "status"]].values.tolist() == [
        [code("B"), 3, "applied"], [code("C"), 0, "set_aside"]]
    assert "found 'x'" in check.rows["reason"].iloc[1]
    roles = check.roles_table().set_index("role")
    assert roles.loc["served:ktp", "how"] == ("found by its name; summed over the repeat "
                                              "group form-peserta.csv (5 rows) per submission")
    assert roles.loc["team", "column"] == "SubmitterName"
    # KoBo CSV with its HXL row
    kobo = scenario.parent / "kobo.csv"
    kobo.write_text("_uuid,start,_geolocation,ktp\n#meta +id,#date,#geo,#affected +ktp\n"
                    f'k1,2024-02-03T09:00:00,"[{b_lat}, {b_lon}]",4\n', encoding="utf-8")
    warnings: list[str] = []
    raw = fieldlog.read_logs([kobo], s.progress, s.indicators, warnings)
    assert raw["ktp"].tolist() == ["4"] and raw["row"].tolist() == ["3"]
    assert any("row 2 holds HXL hashtags" in w for w in warnings)


def test_stated_villages_by_name_within_their_kecamatan(tmp_path):
    """A stated village may be a name (no case, punctuation or "Desa" in front): unique, it
    is that village; a name two villages share needs the stated kecamatan, else the row is
    set aside asking for it; the point must still lie in (or near) the village named."""
    from dataclasses import replace

    b_lon, b_lat = lonlat(11, 1)
    c_lon, c_lat = lonlat(21, 1)

    def row(uid, village, kec, lat, lon):
        return {"KEY": uid, "start": "2024-02-01T09:00", "deviceid": uid, "ktp": "2",
                "location-Latitude": lat, "location-Longitude": lon,
                "nama_desa": village, "kec": kec}
    rows = [row("a", "desa  b", "", b_lat, b_lon), row("b", "KAMPUNG", "", c_lat, c_lon),
            row("c", "Kampung", "Hulu", c_lat, c_lon), row("d", "kampung", "hilir", b_lat,
                                                          b_lon)]
    scenario, logs = _tiny_with_logs(tmp_path, rows)
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    v = plan.villages.copy()
    v["kecamatan"] = v["nama"].map({"Desa A": "Hilir", "Desa B": "Hilir", "Desa C": "Hulu",
                                     "Desa D": "Hulu", "Desa E": "Hulu", "Desa F": "Hilir"})
    v.loc[v["nama"] == "Desa B", "nama"] = "Kampung"                     # B and C: one name
    v.loc[v["nama"] == "Desa C", "nama"] = "Kampung"
    v.loc[v["nama"] == "Desa A", "nama"] = "Desa B"                      # a unique "Desa B"
    raw = fieldlog.read_logs([logs], s.progress, s.indicators)
    check = fieldlog.check_logs(raw, v, s.indicators, replace(s.progress, max_distance_km=100),
                                today=TODAY)
    r = check.rows.set_index("id")
    assert r.loc["a", "kode"] == code("A") and r.loc["a", "status"] == "applied"
    assert r.loc["b", "reason"] == ("stated village 'KAMPUNG' fits 2 villages (in Hilir, "
                                    "Hulu): state the kecamatan or the village code")
    assert r.loc["b", "reason_kind"] == "ambiguous village name"
    assert r.loc["c", "kode"] == code("C") and r.loc["c", "status"] == "applied"
    assert r.loc["d", "kode"] == code("B") and r.loc["d", "status"] == "applied"
    roles = check.roles_table().set_index("role")
    assert roles.loc["village", "column"] == "nama_desa"
    assert roles.loc["kecamatan", "column"] == "kec"


def test_geojson_with_several_geo_questions_uses_the_named_one(tmp_path):
    """A KoBo GeoJSON whose geometry is the form's first geo question (the office, say)
    while the session's place is another question: [progress] geopoint names it."""
    from dataclasses import replace

    import geopandas as gpd
    from shapely.geometry import Point

    scenario = write_tiny(tmp_path / "tiny")
    c_lon, c_lat = lonlat(21, 1)
    gpd.GeoDataFrame({"_uuid": ["g1"], "start": ["2024-02-03T09:00:00"], "ktp": ["2"],
                      "lokasi_layanan": [f"{c_lat} {c_lon} 0 5"]},
                     geometry=[Point(*km(1, 1))], crs=CRS).to_crs(4326).to_file(
        scenario.parent / "two.geojson")
    s = planner.load_scenario(scenario)
    plan = planner.run(s, use_cache=False)
    raw = fieldlog.read_logs([scenario.parent / "two.geojson"], s.progress, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY)
    assert check.rows["kode"].tolist() == [code("A")]          # the geometry
    spec = replace(s.progress, columns={"geopoint": "lokasi_layanan"})
    raw = fieldlog.read_logs([scenario.parent / "two.geojson"], spec, s.indicators)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, spec, today=TODAY)
    assert check.rows["kode"].tolist() == [code("C")]          # the question named
    assert check.rows["row"].tolist() == ["feature 1"]


def test_kobo_workbook_with_a_repeat_sheet_and_a_windows_csv(tmp_path):
    """A KoBoToolbox XLSX: submissions on the first sheet (_index), one row per person on
    the repeat group's sheet (_parent_index): the people are summed per submission. A CSV
    saved as Windows-1252 is read, and the guess is said."""
    import openpyxl

    scenario = write_tiny(tmp_path / "tiny")
    s = planner.load_scenario(scenario)
    b_lon, b_lat = lonlat(11, 1)
    c_lon, c_lat = lonlat(21, 1)
    wb = openpyxl.Workbook()
    main = wb.active
    main.title = "layanan_keliling"
    main.append(["start", "_geolocation", "_uuid", "_index"])
    main.append(["2024-02-03T09:00:00", f"[{b_lat}, {b_lon}]", "k1", 1])
    main.append(["2024-02-04T09:00:00", f"[{c_lat}, {c_lon}]", "k2", 2])
    rep = wb.create_sheet("peserta")
    rep.append(["nama", "ktp", "_index", "_parent_index", "_parent_table_name"])
    for i, (parent, n) in enumerate([(1, 1), (1, 1), (2, 1), (1, 1)], start=1):
        rep.append([f"p{i}", n, i, parent, "layanan_keliling"])
    f = scenario.parent / "kobo.xlsx"
    wb.save(f)
    raw = fieldlog.read_logs([f], s.progress, s.indicators)
    assert raw["ktp"].tolist() == ["3", "1"]
    plan = planner.run(s, use_cache=False)
    check = fieldlog.check_logs(raw, plan.villages, s.indicators, s.progress, today=TODAY)
    assert check.rows[["kode", "ktp_logged", "status"]].values.tolist() == [
        [code("B"), 3, "applied"], [code("C"), 1, "applied"]]
    assert "summed over the repeat group kobo.xlsx:peserta (4 rows)" in \
        check.roles_table().set_index("role").loc["served:ktp", "how"]
    win = scenario.parent / "windows.csv"
    win.write_bytes(("start,lat,lon,ktp,team\n2024-02-03,"
                     f"{b_lat},{b_lon},2,Tim Désa\n").encode("cp1252"))
    warnings: list[str] = []
    raw = fieldlog.read_logs([win], s.progress, s.indicators, warnings)
    assert raw["team"].tolist() == ["Tim Désa"]
    assert any("not UTF-8 text: read as Windows-1252" in w for w in warnings)
