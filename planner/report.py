"""Reports for managers and for the field: ``villages.xlsx``, a multi-layer ``villages.gpkg``,
a one-page summary (``summary.md`` and ``summary.html``) and a static PNG map for slides.

Every file is deterministic: the same plan gives the same bytes (fixed timestamps inside XLSX
zips and GeoPackages; no dates taken from the clock).
"""

from __future__ import annotations

import contextlib
import html
import io as _io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .crs import WGS84

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Plan

FIXED_TIME = "2000-01-01T00:00:00.000Z"
"""Timestamp written inside files that want one, so outputs do not depend on the clock."""

LABELS: dict[str, tuple[str, str]] = {
    "priority_rank": ("Peringkat prioritas", "Priority rank"),
    "kode": ("Kode wilayah", "Village code"),
    "nama": ("Nama desa/kelurahan", "Village"),
    "kecamatan": ("Kecamatan", "District"),
    "kabupaten": ("Kabupaten/kota", "Regency/city"),
    "ktp_eligible": ("Wajib KTP", "e-KTP eligible"),
    "ktp_recorded": ("Sudah rekam KTP-el", "e-KTP recorded"),
    "ktp_gap": ("Belum rekam KTP-el", "e-KTP not recorded"),
    "kia_eligible": ("Anak wajib KIA", "Children eligible for KIA"),
    "kia_served": ("Sudah punya KIA", "KIA issued"),
    "kia_gap": ("Belum punya KIA", "KIA gap"),
    "akta_eligible": ("Penduduk (akta kelahiran)", "Residents (birth certificate)"),
    "akta_served": ("Sudah punya akta", "Birth certificate held"),
    "akta_gap": ("Belum punya akta", "Birth certificate gap"),
    "blank_spot_share": ("Porsi blank spot", "Blank-spot share"),
    "nearest_service": ("Kode kantor terdekat", "Nearest office id"),
    "nearest_office_name": ("Kantor terdekat", "Nearest office"),
    "travel_minutes": ("Waktu tempuh (menit)", "Travel time (min)"),
    "reach_band": ("Kelas jangkauan", "Reach band"),
    "priority_score": ("Skor prioritas", "Priority score"),
    "route_modes": ("Moda perjalanan", "Travel modes"),
    "access_m": ("Jalan kaki ke jaringan (m)", "Walk to network (m)"),
    "travel_cost": ("Biaya rute tercepat (Rp)", "Fastest route cost (Rp)"),
    "cheapest_cost": ("Biaya rute termurah (Rp)", "Cheapest route cost (Rp)"),
    "cheapest_minutes": ("Waktu rute termurah (menit)", "Cheapest route time (min)"),
    "unreachable_reason": ("Alasan tak terjangkau", "Why unreachable"),
    "has_estimate": ("Ada data", "Has an estimate"),
    "weighted_gap": ("Kesenjangan berbobot", "Weighted gap"),
    "gap_part": ("Bagian kesenjangan", "Gap part"),
    "remoteness_part": ("Bagian keterpencilan", "Remoteness part"),
    "blank_part": ("Bagian blank spot", "Blank-spot part"),
    "score_gap": ("Skor: kesenjangan", "Score: gap"),
    "score_remoteness": ("Skor: keterpencilan", "Score: remoteness"),
    "score_blank_spot": ("Skor: blank spot", "Score: blank spot"),
    "priority_why": ("Alasan prioritas", "Why this rank"),
}
"""Indonesian and English labels of the village table's columns."""


@contextlib.contextmanager
def fixed_gdal_date() -> Iterator[None]:
    """Make GeoPackages carry a fixed timestamp while inside the block."""
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIME})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip (XLSX) with fixed entry times and order, so bytes are reproducible."""
    src = zipfile.ZipFile(_io.BytesIO(data))
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = src.read(name)
            if name == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)",
                              rb"\g<1>" + FIXED_TIME[:19].encode() + rb"Z\g<2>", data)
            dst.writestr(info, data)
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                  "\uff20")
"""Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), with
their full-width forms."""


def put_cell(ws: Any, row: int, column: int, value: object) -> Any:
    """Write one value into a worksheet cell, always as data: text that a spreadsheet would
    take for a formula (``=``, ``+``, ``-``, ``@``...) is stored as a text cell with Excel's
    quote prefix, and characters XML cannot hold (control characters) become U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, float) and not np.isfinite(value):
        value = None
    elif isinstance(value, np.generic):
        value = value.item()
    elif value is pd.NA:
        value = None
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.value = value
        if value.startswith(_FORMULA_START) or cell.data_type != "s":
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def villages_xlsx(table: pd.DataFrame, title: str, note: str = "") -> bytes:
    """The ranked village table as XLSX bytes: two header rows (Indonesian, English), frozen
    below them, a filter, sensible column widths; a second sheet with the note."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = ["priority_rank", *[c for c in table.columns if c != "priority_rank"]]
    t = table[cols]
    wb = Workbook()
    ws = wb.active
    ws.title = "desa_villages"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, c in enumerate(cols, start=1):
        ind, en = LABELS.get(c, (c, c))
        for i, text in ((1, ind), (2, en)):
            cell = put_cell(ws, i, j, text)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = min(
            45, max(10, len(ind) + 2, len(en) + 2))
    for i, row in enumerate(t.itertuples(index=False), start=3):
        for j, val in enumerate(row, start=1):
            put_cell(ws, i, j, val)
    ws.freeze_panes = "C3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{len(t) + 2}"
    info = wb.create_sheet("catatan_notes")
    for i, line in enumerate([title, note, "Kolom / columns: see README.md (villages.csv)."],
                             start=1):
        put_cell(info, i, 1, line)
    wb.properties.creator = "Jangkau planner"
    fixed = pd.Timestamp(FIXED_TIME).to_pydatetime().replace(tzinfo=None)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = _io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write several layers (WGS84) into one GeoPackage with a fixed timestamp."""
    with fixed_gdal_date():
        for name, gdf in layers.items():
            gdf.to_crs(WGS84).to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.2f}%"


def summary_markdown(plan: Plan) -> str:
    """The one-page summary for managers, as Markdown (every figure traces to the plan)."""
    s = plan.scenario
    v = plan.villages
    lines = [f"# Outreach summary: {s.title or s.name}", ""]
    if s.illustrative:
        lines += [f"> **{s.illustrative_note}**", ""]
    lines += [f"Data as of {s.data_date}. {len(v)} villages. Travel times on the planner's "
              "network from the nearest office.", "", "## Coverage now and target", "",
              "| indicator | area | eligible | served | coverage now | gap (people) | target "
              "| people to target | coverage after the proposed sites |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    after: dict[tuple[str, str], float] = {}
    if plan.site_choice is not None:
        cov = plan.site_choice.coverage
        after = {(r.indicator, "province" if r.level == "province" else r.area):
                 r.coverage_after for r in cov.itertuples()}
    areas = [("province", v)] + ([(k, g) for k, g in v.groupby("kabupaten", sort=True)]
                                 if "kabupaten" in v.columns else [])
    for ind in s.indicators:
        for name, g in areas:
            e = int(g[ind.eligible_col].sum())
            sv = int(g[ind.served_col].sum())
            gap = int(g[ind.gap_col].sum())
            need = tgt = ""
            if ind.target is not None:
                need = f"{max(0, int(np.ceil(round(ind.target * e, 6))) - sv):,}"
                tgt = _pct(ind.target)
            now = _pct(sv / e if e else np.nan)
            aft = _pct(after[(ind.key, name)]) if (ind.key, name) in after else ""
            lines.append(f"| {ind.label} | {name} | {e:,} | {sv:,} | {now} | {gap:,} | {tgt} "
                         f"| {need} | {aft} |")
    lines += ["", "## Reach", "", "| reach band | villages | e-KTP gap |", "|---|---:|---:|"]
    gap_col = s.indicators[0].gap_col
    for band, n in plan.report["reach_bands"].items():
        g = int(v.loc[v["reach_band"] == band, gap_col].sum())
        lines.append(f"| {band} | {n} | {g:,} |")
    choice = plan.site_choice
    if choice is not None:
        lines += ["", "## Proposed mobile-service sites", "", choice.summary() + ".", "",
                  "| # | site | kabupaten | people newly covered | cumulative share of target "
                  "| villages served | hours from office | satellite kit | round trip (Rp) |",
                  "|---:|---|---|---:|---:|---:|---:|---|---:|"]
        for r in choice.sites[choice.sites["rank"] > 0].itertuples():
            share = ("" if not np.isfinite(r.cumulative_share_of_target)
                     else _pct(r.cumulative_share_of_target))
            lines.append(f"| {r.rank} | {r.site_name} ({r.site_code}) | {r.kabupaten} | "
                         f"{r.people_newly_covered:,.0f} | {share} | {r.villages_served} | "
                         f"{r.travel_minutes_from_office / 60:.1f} | "
                         f"{'needed' if r.satellite_kit_needed else 'signal'} | "
                         f"{r.round_trip_cost:,.0f} |")
    unreach = plan.report["unreachable"]
    lines += ["", "## Unreachable villages", ""]
    lines += ([f"- {u['nama']} ({u['kode']}): {u['unreachable_reason']}" for u in unreach]
              or ["None: every village is reached from some office."])
    join = plan.report["join"]
    lines += ["", "## Data caveats", ""]
    if s.illustrative:
        lines.append("- Village estimates, blank spots, the travel network and office "
                     "locations are generated, illustrative layers (see the README); "
                     "boundaries and province totals are real.")
    lines.append(f"- Estimate rows matching no village: {len(join['unmatched_estimate_rows'])};"
                 f" villages without an estimate: {len(join['villages_without_estimate'])}.")
    for w in plan.report["warnings"]:
        lines.append(f"- Warning: {w}")
    return "\n".join(lines) + "\n"


def summary_html(markdown: str, title: str) -> str:
    """The summary as a standalone, printable HTML page (text escaped; no external files)."""
    body: list[str] = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-:"):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells)
                        + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("> "):
            body.append(f"<p class='note'>{html.escape(line[2:].strip('*'))}</p>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</table>")
    style = ("body{font:13px/1.4 sans-serif;max-width:60em;margin:1em auto}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;"
             "padding:2px 6px}td{text-align:right}td:nth-child(-n+2){text-align:left}"
             ".note{color:#b10026;font-weight:bold}@media print{body{margin:0}}")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def static_map_png(plan: Plan) -> bytes:
    """A static PNG map for slides: villages by priority class, offices, proposed sites."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from .render import PRIORITY_CLASSES, priority_class

    v = plan.villages
    cls = priority_class(v["priority_rank"].to_numpy(), len(v))
    colours = [PRIORITY_CLASSES[c][1] for c in cls]
    fig, ax = plt.subplots(figsize=(8, 8), dpi=120)
    v.plot(ax=ax, color=colours, edgecolor="#666", linewidth=0.2)
    if plan.blank_spots is not None and len(plan.blank_spots):
        plan.blank_spots.plot(ax=ax, color="#444", alpha=0.2, linewidth=0)
    plan.service_points.plot(ax=ax, color="#2171b5", edgecolor="#08306b", markersize=40,
                             zorder=3)
    if plan.site_choice is not None:
        new, _, _ = plan._site_layers()
        ax.scatter(new["x"], new["y"], s=140, c="#6a3d9a", edgecolors="white", zorder=4)
        for r in new.itertuples():
            ax.annotate(str(r.rank), (r.x, r.y), color="white", ha="center", va="center",
                        fontsize=7, fontweight="bold", zorder=5)
    handles = [Patch(color=c, label=label) for _, c, label in PRIORITY_CLASSES]
    ax.legend(handles=handles, title="Outreach priority", loc="lower left", fontsize=7)
    s = plan.scenario
    ax.set_title(f"{s.title or s.name}\n{'ILLUSTRATIVE DATA' if s.illustrative else ''}",
                 fontsize=10)
    ax.set_axis_off()
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
