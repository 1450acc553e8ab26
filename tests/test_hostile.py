"""Hostile strings in every text field of every input (tests/hostile.py): each reaches every
output only as data. Nothing is evaluated as a template, no formula cell is written, nothing
is written outside the output folder, and every string comes back unchanged where it is
shown. (The map's behaviour in a real browser is in tests/test_browser.py.)"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook

import planner
from planner.cli import main

from .hostile import NOTE, PAYLOADS, SCENARIO_NAME, TITLE, write_hostile


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """`planner run` of the hostile area from its own folder (default output folder)."""
    root = tmp_path_factory.mktemp("hostile")
    scenario = write_hostile(root / "tiny")
    before = _tree(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code = main(["run", str(scenario)])
    finally:
        os.chdir(cwd)
    return root, scenario, code, before


def map_data(html: str) -> dict:
    """The JSON document the map runtime reads."""
    m = re.search(r'<script type="application/json" id="[a-z_0-9]+">(.*?)</script>', html,
                  re.S)
    assert m, "no data block in the map"
    return json.loads(m.group(1))


def test_runs_and_writes_only_in_its_folder(hostile_run):
    root, _, code, before = hostile_run
    assert code == 0
    out = root / "out" / "Tiny-7-7-x-q-b"  # the name's slug
    assert (out / "map.html").is_file()
    new = _tree(root) - before
    assert all(p == "out" or p.startswith(f"out{os.sep}Tiny-7-7-x-q-b") for p in new), new
    assert not list(root.rglob("PWNED")) and not Path("PWNED").exists()


def test_map_holds_every_string_as_data_only(hostile_run):
    root = hostile_run[0]
    html = (root / "out" / "Tiny-7-7-x-q-b" / "map.html").read_text(encoding="utf-8")
    # nothing was evaluated as a template ...
    assert "Desa49Lama" not in html and "XXX" not in html and "Rencana 49" not in html
    # ... no string can end the script block or start markup ...
    body = html.split("<body>", 1)[1]
    assert "window.__xss" not in re.sub(r'<script type="application/json".*?</script>', "",
                                        body, flags=re.S)
    assert "<img src=x" not in html and "</script><script>window" not in html
    # ... and every string comes back unchanged from the data block
    data = map_data(html)
    text = json.dumps(data, ensure_ascii=False)
    shown = (*PAYLOADS[:7], PAYLOADS[9], PAYLOADS[7], TITLE, NOTE, "S ${window.__xss=7}",
             "C1 {{7*7}}")  # villages, kecamatan, airstrip, chosen candidate, office id
    for p in shown:
        assert json.dumps(p, ensure_ascii=False)[1:-1] in text, p
    assert data["title"] == TITLE and data["note"] == NOTE
    villages = data["layers"][0]["data"]["features"]
    assert sorted(f["properties"]["nama"] for f in villages) == sorted(PAYLOADS[:6])


def test_spreadsheet_has_no_formula(hostile_run):
    root = hostile_run[0]
    path = root / "out" / "Tiny-7-7-x-q-b" / "villages.xlsx"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode("utf-8"), name
    wb = load_workbook(path)
    values = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula"
                if isinstance(c.value, str):
                    values.add(c.value)
    for p in PAYLOADS[:6]:
        assert p in values  # shown as the text it is
    assert TITLE in values and NOTE in values


def test_other_outputs_keep_strings_as_text(hostile_run):
    """CSV cells are data: a payload a spreadsheet would run as a formula carries a leading
    quote (nothing else changes); the GeoPackage keeps every string exactly."""
    from planner.text import as_data

    root = hostile_run[0]
    out = root / "out" / "Tiny-7-7-x-q-b"
    table = pd.read_csv(out / "villages.csv", dtype=str, keep_default_na=False)
    assert sorted(table["nama"]) == sorted(as_data(p) for p in PAYLOADS[:6])
    assert set(table["kecamatan"]) == {as_data(PAYLOADS[6])}
    assert set(table["kabupaten"]) == {as_data(PAYLOADS[3])}
    for csv_file in out.rglob("*.csv"):  # no cell of any CSV starts a formula
        cells = pd.read_csv(csv_file, dtype=str, keep_default_na=False).to_numpy().ravel()
        assert not [c for c in cells if c and (c[0] in "=+@" or (c.startswith("-") and not
                    c.lstrip("-").replace(".", "", 1).replace("e", "", 1).isdigit()))], csv_file
    gpkg = gpd.read_file(out / "villages.gpkg", layer="villages")
    assert sorted(gpkg["nama"]) == sorted(PAYLOADS[:6])
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<img src=x" not in summary and "</script><script>" not in summary
    assert "&lt;img src=x" in summary
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["scenario"] == SCENARIO_NAME
    unmatched = [r["kode_input"] for r in run["report"]["join"]["unmatched_estimate_rows"]]
    assert "=cmd|' /C calc'!A0" in unmatched


def test_field_log_text_is_data_in_every_log_output(hostile_run):
    """Field-log ids, teams and stated villages (payloads) come back in logs_checked.csv and
    rejected_logs.csv as text with a leading quote where a spreadsheet would run them; every
    row is there once; a stated village made only of punctuation is not taken for 'none'."""
    from planner.text import as_data

    root = hostile_run[0]
    out = root / "out" / "Tiny-7-7-x-q-b"
    sent = pd.read_csv(root / "tiny" / "logs.csv", dtype=str, keep_default_na=False)
    checked = pd.read_csv(out / "logs_checked.csv", dtype=str, keep_default_na=False)
    rejected = pd.read_csv(out / "rejected_logs.csv", dtype=str, keep_default_na=False)
    assert checked["row"].tolist() == [str(i) for i in range(2, len(sent) + 2)]
    assert checked["id"].tolist() == [as_data(v) for v in sent["KEY"]]
    assert checked["team"].tolist() == [as_data(v) for v in sent["deviceid"]]
    assert checked["stated_village"].tolist() == [as_data(v) for v in sent["village_code"]]
    assert checked["status"].tolist() == ["set_aside"] * 2 + ["applied"] + ["set_aside"] * 3
    assert rejected["row"].tolist() == ["2", "3", "5", "6", "7"]
    assert sent["village_code"].iat[3] == PAYLOADS[10]
    assert "is not a village of this plan" in rejected.set_index("row").loc["5", "reason"]


def test_compare_names_are_data(hostile_run, tmp_path):
    _, scenario, _, _ = hostile_run
    out = tmp_path / "cmp"
    assert main(["compare", str(scenario), str(scenario), "--out", str(out)]) == 0
    html = (out / "compare_map.html").read_text(encoding="utf-8")
    assert "Tiny 49" not in html and "<b>" not in html.split("<body>", 1)[1].split(
        "<script")[0]
    assert map_data(html)["title"].startswith(f"What changes from {SCENARIO_NAME}")


def test_notebook_map_is_data_only(hostile_run):
    """``plan.map()`` (what Jupyter shows) renders the same way, and twice the same."""
    _, scenario, _, _ = hostile_run
    plan = planner.run(planner.load_scenario(scenario))
    a = plan.map()._repr_html_()
    assert "Desa49Lama" not in a
    render = planner.outputs.render
    assert render.map_html(plan.map()) == render.map_html(plan.map())


def test_trip_sheets_and_trips_csv_hold_strings_as_data(tmp_path):
    """`planner trips` on the hostile area (candidate stops and offices with payload names and
    ids): every printable sheet shows the strings escaped (no element, script or attribute
    comes from an input), trips.csv keeps them unchanged, and nothing is written outside."""
    from html import escape

    scenario = write_hostile(tmp_path / "tiny")
    scenario.write_text(scenario.read_text(encoding="utf-8")
                        + '\n[trips]\nstart = "2024-11-04"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "trips", str(scenario), "--out", str(out)]) == 0
    sheets = sorted((out / "sheets").glob("trip_*.html"))
    assert sheets
    names = set(pd.read_csv(out / "trips.csv", dtype=str, keep_default_na=False)["to"])
    shown = [p for p in PAYLOADS if any(p in n for n in names)]
    assert shown  # payload names are on the itineraries
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: set[str] = set()
            self.handlers: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            self.handlers += [k for k, _ in attrs if k.startswith("on")]

    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table",
               "tr", "td", "th", "b", "ol", "li", "svg", "polyline", "rect", "circle", "text",
               "div", "path"}
    for sheet in sheets:
        html = sheet.read_text(encoding="utf-8")
        parsed = Tags()
        parsed.feed(html)
        assert parsed.tags <= allowed and not parsed.handlers  # only the sheet's own markup
        for p in shown:
            assert escape(p) in html  # shown, as text
    assert not list(tmp_path.rglob("PWNED"))
