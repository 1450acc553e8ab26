from __future__ import annotations

import geopandas as gpd
import pyogrio
from openpyxl import load_workbook

from planner import report


def test_xlsx_two_header_rows_frozen_and_complete(kaltara_plan, tmp_path):
    kaltara_plan.choose_sites()
    paths = kaltara_plan.write(tmp_path / "out")
    wb = load_workbook(paths["xlsx"])
    ws = wb["desa_villages"]
    assert ws.freeze_panes == "C3"
    assert ws.cell(1, 1).value == "Peringkat prioritas" and ws.cell(2, 1).value == "Priority rank"
    assert ws.cell(1, 3).value == "Nama desa/kelurahan" and ws.cell(2, 3).value == "Village"
    assert ws.max_row == 482 + 2
    assert [ws.cell(r, 1).value for r in (3, 4, 484)] == [1, 2, 482]
    ktp = [c.value for c in ws[2]].index("e-KTP eligible") + 1
    assert sum(ws.cell(r, ktp).value for r in range(3, 485)) == 530_130
    assert "ILLUSTRATIVE" in wb["catatan_notes"].cell(2, 1).value
    import zipfile
    core = zipfile.ZipFile(paths["xlsx"]).read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified: not the clock


def test_gpkg_layers_for_qgis(kaltara_plan, tmp_path):
    kaltara_plan.choose_sites()
    paths = kaltara_plan.write(tmp_path / "out")
    layers = {name for name, _ in pyogrio.list_layers(paths["gpkg"])}
    assert layers == {"villages", "service_points", "reach_bands", "blank_spots", "sites",
                      "site_links", "routes"}
    v = gpd.read_file(paths["gpkg"], layer="villages")
    assert len(v) == 482 and v.crs.to_epsg() == 4326
    sites = gpd.read_file(paths["gpkg"], layer="sites")
    assert len(sites) == (kaltara_plan.site_choice.sites["rank"] > 0).sum()


def test_summary_names_every_section(kaltara_plan):
    kaltara_plan.choose_sites()
    md = report.summary_markdown(kaltara_plan)
    for piece in ("ILLUSTRATIVE DATA", "| e-KTP recording | province | 530,130 | 523,815 | 98.81% "
                  "| 6,315 | 99.40% | 3,135 |", "## Proposed mobile-service sites",
                  "## Unreachable villages", "## Data caveats", "coverage after"):
        assert piece in md, piece
    page = report.summary_html(md, "t")
    assert page.count("<table>") == 3 and "<script" not in page
    evil = report.summary_html("# <script>alert(1)</script>\n", "<b>")
    assert "<script>" not in evil and "&lt;script&gt;" in evil


def test_png_is_an_image(kaltara_plan):
    png = report.static_map_png(kaltara_plan)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_xlsx_cells_are_data(tmp_path):
    """Formula-like text is stored as text; control characters cannot break the writer."""
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook

    from planner.report import villages_xlsx

    values = ["=1+1", "+SUM(A1)", "-2", "@x", "\tTAB", "#N/A", "bell\x07nul\x00", "ok"]
    table = pd.DataFrame({"priority_rank": range(1, len(values) + 1), "nama": values})
    data = villages_xlsx(table, "=title", "@note")
    path = tmp_path / "v.xlsx"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as z:
        assert all("<f>" not in z.read(n).decode() for n in z.namelist()
                   if n.startswith("xl/worksheets/"))
    ws = load_workbook(path)["desa_villages"]
    got = [ws.cell(row=i, column=2).value for i in range(3, 3 + len(values))]
    assert got[:6] == values[:6] and got[6] == "bell\ufffdnul\ufffd" and got[7] == "ok"
    assert all(ws.cell(row=i, column=2).data_type == "s" for i in range(3, 3 + len(values)))
