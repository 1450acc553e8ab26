from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pyogrio
from openpyxl import load_workbook

import planner
from planner.outputs import report


def test_xlsx_two_header_rows_frozen_and_complete(kaltara_plan, tmp_path):
    paths = kaltara_plan.write(tmp_path / "out", sites=kaltara_plan.choose_sites())
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
    choice = kaltara_plan.choose_sites()
    paths = kaltara_plan.write(tmp_path / "out", sites=choice)
    layers = {name for name, _ in pyogrio.list_layers(paths["gpkg"])}
    assert layers == {"villages", "service_points", "reach_bands", "blank_spots", "sites",
                      "site_links", "routes"}
    v = gpd.read_file(paths["gpkg"], layer="villages")
    assert len(v) == 482 and v.crs.to_epsg() == 4326
    sites = gpd.read_file(paths["gpkg"], layer="sites")
    assert len(sites) == (choice.sites["rank"] > 0).sum()


def test_summary_opens_with_the_decision(kaltara_plan):
    """The first screen answers where next, what it buys, what it costs and what is left
    out (and why); the trade-off follows; the figures agree with sites.csv and coverage.csv."""
    from planner.decide.sites import tradeoff

    choice = kaltara_plan.choose_sites()
    curve = tradeoff(kaltara_plan, choice)
    md = report.summary_markdown(kaltara_plan.with_sites(choice), curve)
    headings = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert headings[0] == "## Where next"
    first_screen = md.split("## Coverage now", 1)[0]
    new = choice.sites[choice.sites["rank"] > 0]
    prov = choice.coverage.set_index(["indicator", "level"]).loc[("ktp", "province")]
    for piece in (f"**{len(new)} mobile-service stop(s)**",
                  f"**{prov['reached_by_new_sites']:,} people**",
                  f"**{100 * prov['coverage_after']:.2f}%**", "**target met**",
                  f"**Rp {new['round_trip_cost'].sum() / 1e6:,.1f} M**",
                  "### What is left out, per kabupaten", "| Kabupaten Malinau | 1,119 |",
                  "the best next stop here adds", "### Trade-off", "| fewest stops | 12 |",
                  "| least round-trip cost | 23 |", "[map.html](map.html)"):
        assert piece in first_screen, piece
    # the stops in order, most people first, and their sum is what the text says
    assert list(new["people_newly_covered"]) == sorted(new["people_newly_covered"],
                                                       reverse=True)
    assert new["people_newly_covered"].sum() == prov["reached_by_new_sites"]
    for piece in ("ILLUSTRATIVE DATA", "| e-KTP recording | province | 530,130 | 523,815 | "
                  "98.81% | 6,315 | 99.40% | 3,135 | 99.40% |", "## Unreachable villages",
                  "## Site choice settings", "satellite kits unlimited", "## Data caveats"):
        assert piece in md, piece
    assert not re.search(r"\bnan\b", md, re.I) and not re.search(r"\d\.0 people", md)
    svg = report.tradeoff_svg(curve, choice.needed, "people <b>")
    assert svg.startswith("<svg") and "people &lt;b&gt;" in svg
    page = report.summary_html(md, "t", svg)
    assert "<svg" in page and "<a href='map.html'>map.html</a>" in page
    assert "<script" not in page
    evil = report.summary_html("# <script>alert(1)</script>\n[x](javascript:alert(1))\n", "<b>")
    assert "<script>" not in evil and "&lt;script&gt;" in evil and "href" not in evil


def test_png_is_an_image(kaltara_plan):
    png = report.static_map_png(kaltara_plan)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_xlsx_cells_are_data(tmp_path):
    """Formula-like text is stored as text; control characters cannot break the writer."""
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook

    from planner.outputs.report import villages_xlsx

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
    # what a spreadsheet would take for a formula carries Excel's quote prefix; the rest not
    quoted = [ws.cell(row=i, column=2).quotePrefix for i in range(3, 3 + len(values))]
    assert quoted == [True, True, True, True, True, False, False, False]
    assert villages_xlsx(table, "=title", "@note") == data  # byte-identical


def test_nice_ticks_known_answers():
    assert report.nice_ticks(3883).tolist() == [0, 1000, 2000, 3000, 4000]
    assert report.nice_ticks(130.6).tolist() == [0, 50, 100, 150]
    assert report.nice_ticks(1, integer=True).tolist() == [0, 1]     # stops: whole steps
    assert report.nice_ticks(12, integer=True).tolist() == [0, 5, 10, 15]
    assert report.nice_ticks(0).tolist() == [0, 1]


def test_tradeoff_chart_ticks_are_round_and_label_names_the_indicator(kaltara_plan, tmp_path):
    """The written chart's ticks are round numbers (steps of 1, 2 or 5 × 10^k) covering the
    data, and its label uses the indicator's label, not its key."""
    choice = kaltara_plan.choose_sites()
    kaltara_plan.write(tmp_path / "o", sites=choice)
    svg = (tmp_path / "o" / "tradeoff.svg").read_text()
    assert "e-KTP recording" in svg and "without ktp" not in svg
    ticks = [float(t.replace(",", "")) for t in re.findall(r"font-size='10'>([\d,.]+)</text>",
                                                           svg)]
    assert ticks
    for t in ticks:
        mantissa = t / 10 ** np.floor(np.log10(t)) if t else 1
        assert round(mantissa, 9) in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9) or t % 1 == 0, t
    people = [t for t in ticks if t >= 1000]
    assert people and all(t % 500 == 0 for t in people)  # not 1,941 / 3,883


def test_data_as_of_the_last_log_and_the_assumption_of_coverage_after(kaltara_plan,
                                                                      tmp_path):
    from .test_fieldlog import _tiny_with_logs

    choice = kaltara_plan.choose_sites()
    md = report.summary_markdown(kaltara_plan.with_sites(choice))
    assert "Data as of 2024-06-03 (registry totals); boundaries Kepmendagri 2025." in md
    assert ("Coverage after: the stops were chosen for e-KTP recording. For Child ID card "
            "(KIA), Birth certificate it assumes that every person not yet served in a "
            "village within 60 minutes of a stop") in md
    scenario, logs = _tiny_with_logs(tmp_path)
    s = planner.load_scenario(scenario)
    plan = planner.run(s.replace(progress={"logs": (logs,)}), use_cache=False)
    last = plan.progress.applied["date"].max()
    md = report.summary_markdown(plan)
    assert (f"Data as of {last} (estimates of {s.data_date} with "
            f"{len(plan.progress.applied)} field sessions applied).") in md
    assert f"Data as of {plan.data_as_of()}" in plan.map().get_root().render()
    assert last == "2024-03-04" and "Coverage after:" not in md  # one indicator, no choice
