"""A hostile copy of the tiny study area: a payload in every text field of every input file
and of the scenario (village, kecamatan, kabupaten, office, airstrip, line and candidate
names and ids, an unmatched estimate code, title, note, date, indicator label, scenario
name, and the submission id, team and stated village of every field-log row). Used by
tests/test_hostile.py and the browser tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from .conftest import CRS, km, write_tiny

PAYLOADS: tuple[str, ...] = (
    "Desa{{ 7*7 }}Lama",                                    # Jinja expression
    "{% for i in range(3) %}X{% endfor %}",                 # Jinja statement
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",  # Jinja escape to a shell
    "x ${window.__xss=1} `tick",                            # JS template literal
    "</script><script>window.__xss=2</script>",            # closing the script block
    '<img src=x onerror="window.__xss=3">',                 # HTML
    '=HYPERLINK("http://e.invalid","x")',                   # spreadsheet formula
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "'\";\\--<!--",                                         # quotes, comment openers
    "line\u2028sep\u2029end",                               # JS line separators
)
"""Strings that must reach every output only as text."""

TITLE = "Rencana {{ 7*7 }} ${window.__xss=4} </script><img src=x onerror=window.__xss=5>"
NOTE = "ILLUSTRATIVE {% if true %}yes{% endif %} `${window.__xss=6}`"
SCENARIO_NAME = "Tiny {{ 7*7 }} ${x} `q` <b>"
"""A name with no path in it: accepted, its folder is a slug."""


def write_hostile(folder: Path) -> Path:
    """Write the hostile tiny study area; return its scenario path."""
    scenario = write_tiny(folder)
    d = scenario.parent
    vil = gpd.read_file(d / "villages.geojson")
    for i in range(len(vil)):
        vil.loc[i, "nama"] = PAYLOADS[i % len(PAYLOADS)]
    vil.loc[2, "kode"] = vil.loc[2, "kode"] + " {{7*7}}"   # a code with a payload tail
    vil.to_file(d / "villages.geojson")
    est = (d / "estimates.csv").read_text().replace("99.01.01.2003;", "99.01.01.2003 {{7*7}};")
    est += "=cmd|' /C calc'!A0;10;5\n"                      # an unmatched row, a formula code
    (d / "estimates.csv").write_text(est)
    gpd.GeoDataFrame({"kode": ["99.01.01"], "nama": [PAYLOADS[6]]},
                     geometry=[box(*km(0, 0), *km(72, 6))], crs=CRS).to_crs(4326).to_file(
        d / "kecamatan.geojson")
    gpd.GeoDataFrame({"kode": ["99.01"], "nama": [PAYLOADS[3]]},
                     geometry=[box(*km(0, 0), *km(72, 6))], crs=CRS).to_crs(4326).to_file(
        d / "kabupaten.geojson")
    gpd.GeoDataFrame({"id": ["S ${window.__xss=7}"], "nama": [PAYLOADS[4] + " Office"]},
                     geometry=[Point(km(1, 1))], crs=CRS).to_crs(4326).to_file(
        d / "service.geojson")
    lines = gpd.read_file(d / "network.gpkg")
    lines["name"] = [PAYLOADS[5], PAYLOADS[10], PAYLOADS[11]]
    lines.to_file(d / "network.gpkg", driver="GPKG")
    gpd.GeoDataFrame({"ident": ["WA{{1}}"], "name": [PAYLOADS[9]]},
                     geometry=[Point(km(41, 1))], crs=CRS).to_crs(4326).to_file(
        d / "airstrips.geojson")
    (d / "links.csv").write_text("from,to,mode,minutes,departures_per_week,fare\n"
                                 "service:S ${window.__xss=7},airstrip:WA{{1}},air,40,2,"
                                 "1500000\n")
    gpd.GeoDataFrame({"id": ["C1 {{7*7}}", "C2 `x`"], "nama": [PAYLOADS[7], PAYLOADS[8]]},
                     geometry=[Point(km(21, 1)), Point(km(41, 1))], crs=CRS).to_crs(
        4326).to_file(d / "candidates.geojson")
    _write_logs(d / "logs.csv")
    text = scenario.read_text()
    text = text.replace('name = "tiny"', f'name = "{_toml(SCENARIO_NAME)}"')
    text = text.replace('title = "Tiny test area"',
                        f'title = "{_toml(TITLE)}"\nillustrative = true\n'
                        f'illustrative_note = "{_toml(NOTE)}"')
    text = text.replace('data_date = "2024-01-01"', 'data_date = "2024-01-01 {{ 7*7 }}"')
    text = text.replace('key = "ktp"', f'key = "ktp"\nlabel = "{_toml(PAYLOADS[3])}"')
    text = text.replace("[network]\n", '[network]\nlinks = ["links.csv"]\n')
    text += textwrap.dedent("""
        [network.rupiah_per_km]
        road = 5000

        [[network.places]]
        path = "airstrips.geojson"
        code = "ident"
        name = "name"
        prefix = "airstrip"

        [[admin]]
        level = "kecamatan"
        path = "kecamatan.geojson"
        prefix_digits = 6

        [[admin]]
        level = "kabupaten"
        path = "kabupaten.geojson"
        prefix_digits = 4

        [sites]
        model = "max_coverage"
        k = 2
        cover_minutes = 30
        indicator = "ktp"
        candidates = "candidates.geojson"

        [progress]
        logs = ["logs.csv"]
        baseline = "2024-01-01"
        """)
    scenario.write_text(text, encoding="utf-8")
    return scenario


def _write_logs(path: Path) -> None:
    """Field-log rows whose id, team and stated village are payloads: sessions in villages
    B and C (applied) and copies, far points and bad counts (set aside), so that payloads
    reach both logs_checked.csv and rejected_logs.csv. Only row 4 (no stated village, a
    point in village B) is applied: every stated payload is not a village code (row 5's is
    punctuation only)."""
    xy = [(11, 1), (21, 1), (11, 1), (1, -30), (21, 1), (11, 5)]
    pts = gpd.GeoSeries([Point(km(*p)) for p in xy], crs=CRS).to_crs(4326)
    stated = [PAYLOADS[8], PAYLOADS[9], "", PAYLOADS[10], PAYLOADS[0], PAYLOADS[11]]
    rows = []
    for i, (pt, ktp) in enumerate(zip(pts, ["2", "3", "2", "4", "=1+1", "1"], strict=True)):
        rows.append({"KEY": PAYLOADS[(i + 6) % len(PAYLOADS)] if i != 2 else PAYLOADS[6],
                     "start": f"2024-02-0{1 + min(i, 1)}T09:00:00",
                     "deviceid": PAYLOADS[(i + 7) % len(PAYLOADS)],
                     "location-Latitude": pt.y, "location-Longitude": pt.x,
                     "village_code": stated[i], "ktp": ktp})
    pd.DataFrame(rows).to_csv(path, index=False)


def _toml(s: str) -> str:
    """A TOML basic-string body for ``s``."""
    return (s.replace("\\", "\\\\").replace('"', '\\"').replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))
