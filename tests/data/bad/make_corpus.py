"""Write the bad-input corpus (run from the repository root; the files are committed).

Each file is a copy of one input of the tiny study area (tests/conftest.py) with one thing
wrong, as registry offices and hand-edited GIS files get them. `cases.toml` says, for each,
which input it replaces and what the planner must say.

    python tests/data/bad/make_corpus.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from conftest import write_tiny  # noqa: E402


def fc(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n"


def main() -> None:
    base = Path(tempfile.mkdtemp()) / "tiny"
    write_tiny(base)
    vil = json.loads((base / "villages.geojson").read_text())
    feats = vil["features"]
    out = HERE

    def villages(name: str, features: list[dict], crs: dict | None = None) -> None:
        doc = {"type": "FeatureCollection", "features": features}
        if crs:
            doc["crs"] = crs
        (out / name).write_text(json.dumps(doc, indent=1) + "\n")

    def swap(geom: dict) -> dict:
        return {"type": "Polygon", "coordinates": [[[y, x] for x, y in ring]
                                                   for ring in geom["coordinates"]]}

    # --- villages ---
    villages("villages_lat_lng.geojson",
             [{**f, "geometry": swap(f["geometry"])} for f in feats])
    utm = gpd.read_file(base / "villages.geojson").to_crs(32650)
    projected = json.loads(utm.to_json(drop_id=True))["features"]
    villages("villages_projected_as_wgs84.geojson", projected)  # no crs member: CRS84 assumed
    bow = {"type": "Polygon", "coordinates": [[[117.0, 2.7], [117.01, 2.71], [117.01, 2.7],
                                               [117.0, 2.71], [117.0, 2.7]]]}
    villages("villages_self_intersecting.geojson",
             [feats[0] | {"geometry": bow}, *feats[1:]])
    villages("villages_null_geometry.geojson", [feats[0] | {"geometry": None}, *feats[1:]])
    dup = json.loads(json.dumps(feats))
    dup[2]["properties"]["kode"] = "9901012001"  # same code as the first, written without dots
    villages("villages_duplicate_codes.geojson", dup)
    villages("villages_no_name_column.geojson",
             [{**f, "properties": {"kode": f["properties"]["kode"]}} for f in feats])
    villages("villages_points.geojson",
             [{**f, "geometry": {"type": "Point",
                                 "coordinates": f["geometry"]["coordinates"][0][0]}}
              for f in feats])
    (out / "villages_empty.geojson").write_text("")
    (out / "villages_not_json.geojson").write_text("kode,nama\n99.01.01.2001,Desa A\n")
    villages("villages_no_features.geojson", [])
    gpd.read_file(base / "villages.geojson").set_crs(None, allow_override=True).to_file(
        out / "villages_no_crs.shp")

    # --- estimates ---
    good = pd.read_csv(base / "estimates.csv", sep=";", dtype=str)

    def est(name: str, df: pd.DataFrame, sep: str = ",", encoding: str = "utf-8") -> None:
        (out / name).write_bytes(df.to_csv(index=False, sep=sep, lineterminator="\n")
                                 .encode(encoding))

    est("estimates_ok_no_dots.csv", good.assign(kode=good["kode"].str.replace(".", "")))
    est("estimates_ok_spaces.csv", good.assign(kode="  " + good["kode"] + " "))
    est("estimates_ok_excel_numbers.csv",
        good.assign(kode=good["kode"].str.replace(".", "", regex=False) + ".0"))
    est("estimates_negative.csv", good.assign(recorded=["90", "-5", "20", "40", "60", "25"]))
    est("estimates_served_gt_eligible.csv",
        good.assign(recorded=["90", "150", "70", "40", "60", "25"]))
    est("estimates_non_numeric.csv", good.assign(eligible=["100", "200", "lima puluh", "40",
                                                           "80", "30"]))
    est("estimates_missing_column.csv", good.drop(columns=["recorded"]))
    est("estimates_decimal_comma.csv", good.assign(eligible=["100", "200,5", "50", "40", "80",
                                                             "30"]), sep=";")
    (out / "estimates_bom.csv").write_bytes(b"\xef\xbb\xbf" + (base / "estimates.csv")
                                            .read_bytes())
    est("estimates_latin1.csv", good.assign(catatan="Désa"), encoding="latin-1")
    (out / "estimates_empty.csv").write_text("")
    (out / "estimates_header_only.csv").write_text("kode;eligible;recorded\n")
    est("estimates_duplicate_codes.csv",
        pd.concat([good, good.iloc[[1]].assign(kode="9901012002")]))
    est("estimates_absurd.csv", good.assign(eligible=["100", "200", "50", "40",
                                                      "80000000000", "30"]))
    est("estimates_unknown_codes.csv", good.assign(kode=["77.01.01.2001", *list(good["kode"][1:])]))
    with pd.ExcelWriter(out / "estimates_title_rows.xlsx") as xl:
        title = pd.DataFrame([["Rekap perekaman KTP-el, Juni 2024", "", ""], ["", "", ""],
                              ["kode", "eligible", "recorded"]])
        pd.concat([title, pd.DataFrame(good[["kode", "eligible", "recorded"]].to_numpy())]
                  ).to_excel(xl, index=False, header=False)
    with pd.ExcelWriter(out / "estimates_xlsx_numbers.xlsx") as xl:
        num = good.assign(kode=good["kode"].str.replace(".", "", regex=False).astype("int64"),
                          eligible=good["eligible"].astype(int),
                          recorded=good["recorded"].astype(int))
        num.to_excel(xl, index=False)

    # --- service points ---
    svc = json.loads((base / "service.geojson").read_text())["features"][0]
    far = {**svc, "properties": {"id": "FAR", "nama": "Kantor jauh"},
           "geometry": {"type": "Point", "coordinates": [125.0, 10.0]}}
    (out / "service_outside_area.geojson").write_text(fc([svc, far]))
    (out / "service_only_outside.geojson").write_text(fc([far]))
    (out / "service_no_id.geojson").write_text(
        fc([{**svc, "properties": {"nama": "Office S"}}]))

    # --- network ---
    lines = gpd.read_file(base / "network.gpkg")
    zero = lines.copy()
    start = zero.geometry.iloc[0].coords[0]
    zero.loc[0, "geometry"] = LineString([start, start])
    zero.to_file(out / "network_zero_length.gpkg", driver="GPKG")
    lines.assign(speed_kmh=[0.0, -20.0, None]).to_file(out / "network_bad_speed.gpkg",
                                                       driver="GPKG")
    lines.assign(speed_kmh=["fast", "20", None]).to_file(out / "network_text_speed.gpkg",
                                                        driver="GPKG")
    lines.assign(mode=["road", "river", "hovercraft"]).to_file(out / "network_unknown_mode.gpkg",
                                                             driver="GPKG")
    lines.drop(columns=["mode"]).to_file(out / "network_no_mode.gpkg", driver="GPKG")
    (out / "links_unknown_place.csv").write_text(
        "from,to,mode,minutes,departures_per_week\nservice:S,village:99.01.01.2077,sea,30,7\n"
        "port:NOWHERE,village:99.01.01.2004,sea,30,7\n")
    (out / "links_bad_values.csv").write_text(
        "from,to,mode,minutes,departures_per_week\nservice:S,village:99.01.01.2004,sea,,7\n"
        "service:S,village:99.01.01.2004,sea,30,0\n")
    (out / "links_ok_island.csv").write_text(
        "from,to,mode,minutes,departures_per_week\nservice:S,village:99.01.01.2004,sea,45,7\n")

    # --- signal ---
    (out / "signal_points.geojson").write_text(fc([{"type": "Feature", "properties": {},
                                                     "geometry": {"type": "Point",
                                                                  "coordinates": [117, 3]}}]))
    damaged(base, out, feats, good, svc, lines)
    print(f"wrote the corpus in {out}")


def damaged(base: Path, out: Path, feats: list[dict], good: pd.DataFrame, svc: dict,
            lines: gpd.GeoDataFrame) -> None:
    """Damaged inputs of the kinds offices pass around by e-mail and USB stick (issue 11)."""
    from openpyxl import Workbook

    def villages(name: str, features: list[dict]) -> None:
        (out / name).write_text(fc(features))

    # numbers: Indonesian thousands dots (accepted), mixed with decimals (ambiguous), inf
    rows = good.assign(eligible=["1.000", "2.000", "500", "400", "800", "300"],
                       recorded=["900", "1.500", "200", "400", "600", "250"])
    (out / "estimates_thousands_dot.csv").write_text(rows.to_csv(index=False, sep=";"))
    rows = good.assign(eligible=["1.000", "2.5", "50", "40", "80", "30"])
    (out / "estimates_ambiguous_dots.csv").write_text(rows.to_csv(index=False, sep=";"))
    rows = good.assign(eligible=["100", "inf", "50", "40", "80", "30"])
    (out / "estimates_inf.csv").write_text(rows.to_csv(index=False, sep=";"))
    (out / "links_inf_minutes.csv").write_text(
        "from,to,mode,minutes,departures_per_week\nservice:S,village:99.01.01.2004,sea,inf,7\n")
    # encodings and layouts
    text = (base / "estimates.csv").read_text()
    (out / "estimates_utf16.csv").write_bytes(text.encode("utf-16"))
    (out / "estimates_utf16_no_bom.csv").write_bytes(text.encode("utf-16-le"))
    lines_ = text.splitlines()
    blank = [lines_[0], lines_[1], "", lines_[2].replace(";150", ";-5"), *lines_[3:]]
    (out / "estimates_blank_lines.csv").write_text("\n".join(blank) + "\n")
    wb = Workbook()
    ws = wb.active
    ws.append(["kode", "eligible", "recorded"])
    for r in good.itertuples(index=False):
        ws.append([r.kode, int(r.eligible), int(r.recorded)])
    ws["B3"] = "=100+100"  # a formula openpyxl cannot compute: no saved value
    wb.save(out / "estimates_formula_no_value.xlsx")
    rows = good.assign(kode=["=HYPERLINK(\"http://example.invalid\",\"x\")", *good["kode"][1:]])
    (out / "estimates_formula_code.csv").write_text(rows.to_csv(index=False, sep=";"))
    # shapes and sizes
    villages("villages_one.geojson", feats[:1])
    flat = {**feats[1], "geometry": {"type": "Polygon", "coordinates": [[
        feats[1]["geometry"]["coordinates"][0][0]] * 4]}}
    villages("villages_zero_area.geojson", [feats[0], flat, *feats[2:]])
    (out / "signal_far_away.geojson").write_text(fc([{
        "type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[100, -5], [101, -5], [101, -4],
                                                         [100, -4], [100, -5]]]}}]))
    wrong = gpd.read_file(base / "villages.geojson").set_crs(32650, allow_override=True)
    wrong.to_file(out / "villages_degrees_as_utm.gpkg", driver="GPKG")
    two = gpd.read_file(base / "villages.geojson")
    two.to_file(out / "villages_two_layers.gpkg", layer="villages", driver="GPKG")
    two.iloc[:2].to_file(out / "villages_two_layers.gpkg", layer="old_villages", driver="GPKG")
    zero = [{**f, "properties": {**f["properties"],
                                 "kode": f["properties"]["kode"].replace("99.01", "00.91", 1)}}
            for f in feats]
    villages("villages_leading_zeros.geojson", zero)
    (out / "estimates_pad_collision.csv").write_text(
        "kode;eligible;recorded\n91012001;100;90\n091012001;100;80\n"
        "00.91.01.2002;200;150\n")
    # control characters in names (replaced, with a warning)
    ctl = [{**f, "properties": {**f["properties"], "nama": "Desa\x07\x1bB\x00"}}
           if i == 1 else f for i, f in enumerate(feats)]
    villages("villages_control_chars.geojson", ctl)
    # a bad network line beside a good timetable that names a port
    (out / "ports_ok.geojson").write_text(fc([{
        **svc, "properties": {"kode": "P1", "nama": "Pelabuhan"}}]))
    (out / "links_via_port.csv").write_text(
        "from,to,mode,minutes,departures_per_week\nport:P1,village:99.01.01.2004,sea,45,7\n")
    lines.to_file(out / "network_two_layers.gpkg", layer="roads", driver="GPKG")
    lines.iloc[:1].to_file(out / "network_two_layers.gpkg", layer="old_roads", driver="GPKG")


if __name__ == "__main__":
    main()
