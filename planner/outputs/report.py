"""Reports for managers and for the field: ``villages.xlsx``, a multi-layer ``villages.gpkg``,
a one-page summary (``summary.md`` and ``summary.html``) and a static PNG map for slides.

Every file is deterministic: the same plan gives the same bytes (fixed timestamps inside XLSX
zips and GeoPackages; no dates taken from the clock).
"""

from __future__ import annotations

import contextlib
import html
import io as _io
import itertools
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..crs import WGS84
from ..decide.sites import people_needed
from ..text import (
    FORMULA_START,
    clock_text,
    count_text,
    minutes_text,
    percent_text,
    rupiah_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..decide.sites import SiteChoice
    from ..result import Result

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
    "terrain_walk_minutes": ("Jalan kaki lintas medan (menit)", "Walk across the land (min)"),
    "network_minutes": ("Waktu lewat jaringan saja (menit)", "Time over the lines alone (min)"),
    "reached_over_terrain": ("Terjangkau hanya lewat medan", "Reached only across the land"),
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




_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters an XLSX (XML 1.0) cell cannot hold."""


def write_cell(ws: Any, row: int, column: int, value: object, formats: _CellFormats,
               number_format: str = "", style: dict[str, Any] | None = None) -> None:
    """Write one value into an XlsxWriter worksheet cell (0-based), always as data: text is
    written as text, never as a formula or link; text a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@``...) gets Excel's quote prefix; characters XML cannot hold
    (control characters) become U+FFFD; missing and non-finite numbers leave the cell empty.

    Parameters
    ----------
    ws : xlsxwriter Worksheet
        The sheet.
    row, column : int
        The cell (0-based).
    value : object
        What to write.
    formats : _CellFormats
        The workbook's formats, made once.
    number_format : str, optional
        An Excel number format.
    style : dict, optional
        Other format properties (bold, wrap...).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        ws.write_blank(row, column, None, formats.get(style))
    elif isinstance(value, str):
        value = _XML_ILLEGAL.sub("\ufffd", value)
        quoted = value.startswith(FORMULA_START)
        ws.write_string(row, column, value,
                        formats.get({**(style or {}), **({"quote_prefix": True} if quoted
                                                         else {})}))
    elif isinstance(value, bool):
        ws.write_boolean(row, column, value, formats.get(style))
    elif isinstance(value, int | float):
        ws.write_number(row, column, value, formats.get(
            {**(style or {}), **({"num_format": number_format} if number_format else {})}))
    else:
        ws.write_string(row, column, _XML_ILLEGAL.sub("\ufffd", str(value)),
                        formats.get(style))


class _CellFormats:
    """XlsxWriter formats made once per distinct style (a dict of format properties)."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.made: dict[str, Any] = {}

    def get(self, style: dict[str, Any] | None) -> Any:
        if not style:
            return None
        key = repr(sorted(style.items()))
        if key not in self.made:
            self.made[key] = self.workbook.add_format(style)
        return self.made[key]


def _number_format(column: str, values: pd.Series) -> str:
    """Excel number format of a column: counts and rupiah with thousands separators, shares
    as percentages, minutes and metres with one decimal, score parts with three."""
    if column.endswith("_share"):
        return "0%"
    if column in ("priority_score", "weighted_gap") or column.endswith("_part") or \
            column.startswith("score_"):
        return "0.000" if column != "weighted_gap" else "#,##0.0"
    if column.endswith("_minutes") or column.endswith("_m"):
        return "#,##0.0"
    if column.endswith("_cost") or pd.api.types.is_integer_dtype(values):
        return "#,##0"
    return ""


def villages_xlsx(table: pd.DataFrame, title: str, note: str = "") -> bytes:
    """The ranked village table as XLSX bytes: two header rows (Indonesian, English), frozen
    below them, a filter, sensible column widths, number formats; a second sheet with the
    note. Written with XlsxWriter (a streaming writer: a quarter of openpyxl's time).

    Parameters
    ----------
    table : DataFrame
        The village table (:func:`planner.result.output_table`).
    title : str
        The study area's title.
    note : str, optional
        The illustrative-data note.

    Returns
    -------
    bytes
        The workbook.
    """
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    cols = ["priority_rank", *[c for c in table.columns if c != "priority_rank"]]
    t = table[cols]
    buf = _io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    formats = _CellFormats(wb)
    ws = wb.add_worksheet("desa_villages")
    head = {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
    for j, c in enumerate(cols):
        ind, en = LABELS.get(c, (c, c))
        write_cell(ws, 0, j, ind, formats, style=head)
        write_cell(ws, 1, j, en, formats, style=head)
        ws.set_column(j, j, min(45, max(10, len(ind) + 2, len(en) + 2)))
    for j, c in enumerate(cols):
        fmt = _number_format(c, t[c])
        for i, val in enumerate(t[c].tolist(), start=2):
            write_cell(ws, i, j, val, formats, fmt)
    ws.freeze_panes(2, 2)
    ws.autofilter(f"A2:{xl_col_to_name(len(cols) - 1)}{len(t) + 2}")
    info = wb.add_worksheet("catatan_notes")
    for i, line in enumerate([title, note, "Kolom / columns: see README.md (villages.csv)."]):
        write_cell(info, i, 0, line, formats)
    fixed = pd.Timestamp(FIXED_TIME).to_pydatetime().replace(tzinfo=None)
    wb.set_properties({"author": "Jangkau planner", "created": fixed})
    wb.close()
    return _normalise_zip(buf.getvalue())


def write_cog(path: Path, grid: Any, *, towards: bool = False, note: str = "") -> None:
    """A grid of minutes as a Cloud-Optimised GeoTIFF (float32, NaN for none; no
    timestamp: the same grid gives the same bytes).

    Parameters
    ----------
    path : Path
        Where to write.
    grid : Grid
        The grid (:class:`planner.inputs.raster.Grid`); ``inf`` is written as no data.
    towards : bool, default False
        What the minutes are, in the file's ``units`` tag: False, from the nearest office
        (the team goes out); True, from each cell to the nearest office or new stop (the
        residents come).
    note : str, optional
        Written as the file's ``note`` tag (the scenario's illustrative-data note).
    """
    import rasterio
    from rasterio.transform import from_origin

    values = np.where(np.isfinite(grid.values), grid.values, np.nan).astype(np.float32)
    rows, cols = values.shape
    # DEFLATE with the floating-point predictor: a third of the default LZW's size
    with rasterio.open(path, "w", driver="COG", height=rows, width=cols, count=1,
                       dtype="float32", crs=grid.crs, nodata=np.nan, compress="deflate",
                       predictor=3,
                       transform=from_origin(grid.x0, grid.y0, grid.cell_m, grid.cell_m)
                       ) as dst:
        dst.write(values, 1)
        dst.update_tags(1, units=(
            "minutes from the cell to the nearest office or new stop (walking over terrain "
            "allowed)" if towards else
            "minutes from the nearest office to the cell (walking over terrain allowed)"))
        if note:
            dst.update_tags(note=note)


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write several layers (WGS84) into one GeoPackage with a fixed timestamp.

    Parameters
    ----------
    path : Path
        The GeoPackage.
    layers : dict of str to GeoDataFrame
        Layer name -> layer (any CRS; written in WGS84).
    """
    with fixed_gdal_date():
        for name, gdf in layers.items():
            gdf.to_crs(WGS84).to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _md(text: object) -> str:
    """Text for a Markdown table cell (pipes would split the cell)."""
    return str(text).replace("|", "/").replace("\n", " ")


def nice_ticks(vmax: float, most: int = 5, integer: bool = False) -> np.ndarray:
    """Round tick values from 0 to at least ``vmax``: steps of 1, 2 or 5 × 10^k, at most
    ``most`` intervals (0, 1,000, 2,000... rather than 0, 1,941, 3,883).

    Parameters
    ----------
    vmax : float
        The largest value to show (> 0; 0 or less gives ``[0, 1]``).
    most : int, default 5
        The most intervals.
    integer : bool, default False
        Whole steps only (counts of stops).

    Returns
    -------
    ndarray of float
        The ticks, the last one at or above ``vmax``.
    """
    if not np.isfinite(vmax) or vmax <= 0:
        return np.array([0.0, 1.0])
    raw = vmax / most
    mag = float(10 ** np.floor(np.log10(raw)))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-12))
    if integer:
        step = max(step, 1.0)
    n = int(np.ceil(vmax / step - 1e-9))
    return np.arange(n + 1, dtype=float) * step


def _tick_texts(ticks: np.ndarray) -> list[str]:
    """Tick labels with the decimals their step needs (0.5, 1.0... or 1,000, 2,000...)."""
    step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, int(-np.floor(np.log10(step) + 1e-9))) if step > 0 else 0
    return [f"{t:,.{decimals}f}" for t in ticks]


def tradeoff_svg(curve: pd.DataFrame, needed: float | None, label: str) -> str:
    """Two small charts as one SVG: people covered against the number of stops, and against
    the cost: the most people ``k`` stops reach (a line, at their round trips) and the
    complete plans priced by their trips, nights included (diamonds; the decision's
    filled); the target as a line. Deterministic, offline, text escaped.

    Parameters
    ----------
    curve : DataFrame
        The trade-off curve.
    needed : float or None
        People the target needs (drawn as a line).
    label : str
        The y axis label.

    Returns
    -------
    str
        The SVG.
    """
    mc = curve[curve["kind"] == "max_coverage"]
    if mc.empty:
        return ""
    plans = curve[curve["kind"].astype(str).str.startswith("trips: ")] \
        if "trip_cost" in curve else curve.iloc[:0]
    w, h, pad = 300, 190, 44
    yticks = nice_ticks(float(max(mc["people_covered"].max(), needed or 0,
                                  plans["people_covered"].max() if len(plans) else 0)))
    ymax = float(yticks[-1])

    def panel(x0: float, xs: np.ndarray, xlabel: str, integer: bool,
              marks: np.ndarray) -> list[str]:
        xticks = nice_ticks(float(max(xs.max(), marks.max() if len(marks) else 0)),
                            integer=integer)
        xmax = float(xticks[-1])
        px = x0 + pad + (w - pad - 10) * xs / xmax
        py = h - pad + (pad + 10 - h) * mc["people_covered"].to_numpy(float) / ymax
        out = [f"<rect x='{x0 + pad}' y='10' width='{w - pad - 10}' height='{h - pad - 10}' "
               "fill='#fafafa' stroke='#999'/>",
               "<polyline fill='none' stroke='#6a3d9a' stroke-width='2' points='"
               + " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True)) + "'/>"]
        out += [f"<circle cx='{a:.1f}' cy='{b:.1f}' r='2.5' fill='#6a3d9a'/>"
                for a, b in zip(px, py, strict=True)]
        for mark, people, kept in zip(marks, plans["people_covered"].to_numpy(float),
                                      plans["kind"] == "trips: decision", strict=True):
            a = x0 + pad + (w - pad - 10) * mark / xmax
            b = h - pad + (pad + 10 - h) * people / ymax
            out.append(f"<path d='M{a:.1f},{b - 5:.1f} l5,5 l-5,5 l-5,-5 z' stroke='#e66101' "
                       f"fill='{'#e66101' if kept else 'none'}'/>")
        if needed:
            ty = h - pad + (pad + 10 - h) * needed / ymax
            out.append(f"<line x1='{x0 + pad}' x2='{x0 + w - 10}' y1='{ty:.1f}' y2='{ty:.1f}' "
                       "stroke='#b10026' stroke-dasharray='4 3'/>")
            out.append(f"<text x='{x0 + w - 12}' y='{ty - 4:.1f}' text-anchor='end' "
                       "fill='#b10026' font-size='10'>target</text>")
        for tick, text in zip(xticks, _tick_texts(xticks), strict=True):
            out.append(f"<text x='{x0 + pad + (w - pad - 10) * tick / xmax:.1f}' "
                       f"y='{h - pad + 14}' text-anchor='middle' font-size='10'>"
                       f"{html.escape(text)}</text>")
        out.append(f"<text x='{x0 + pad + (w - pad) / 2:.1f}' y='{h - 8}' text-anchor='middle'"
                   f" font-size='11'>{html.escape(xlabel)}</text>")
        for tick, text in zip(yticks, _tick_texts(yticks), strict=True):
            y = h - pad + (pad + 10 - h) * tick / ymax
            out.append(f"<text x='{x0 + pad - 4}' y='{y + 3:.1f}' text-anchor='end' "
                       f"font-size='10'>{text}</text>")
        return out

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{2 * w + 20}' height='{h + 20}' "
             f"viewBox='0 0 {2 * w + 20} {h + 20}' font-family='sans-serif' role='img' "
             f"aria-label='{html.escape(label, quote=True)}'>"]
    parts += panel(0, mc["stops"].to_numpy(float), "new stops", True,
                   plans["stops"].to_numpy(float))
    parts += panel(w + 20, mc["round_trip_cost"].to_numpy(float) / 1e6,
                   "Rp million: round trips (line), trips (◆)" if len(plans)
                   else "round-trip cost, Rp million", False,
                   plans["trip_cost"].to_numpy(float) / 1e6 if len(plans) else np.zeros(0))
    parts.append(f"<text x='4' y='{h + 14}' font-size='10'>{html.escape(label)}</text>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _decision(plan: Result, curve: pd.DataFrame | None) -> list[str]:
    """The first screen: where next, what it buys, what it costs, what is left out."""
    choice = plan.site_choice
    if choice is None:
        raise ValueError("the decision section needs a site choice")
    s = plan.scenario
    spec = choice.spec
    ind = next(i for i in s.indicators if i.key == spec.indicator)
    cov = choice.coverage
    prov = cov[(cov["indicator"] == ind.key) & (cov["level"] == "province")].iloc[0]
    new = choice.sites[choice.sites["rank"] > 0]
    target = choice.needed is not None
    lines = ["## Where next", ""]
    counted = ("people within the cover time of an existing office count towards the target "
               "(the office serves them)" if spec.offices_count else
               "only people reached by the proposed stops count")
    total_cost = float(new["round_trip_cost"].sum())
    kits = int(new["satellite_kit_needed"].sum())
    head = (f"**{len(new)} mobile-service stop(s)** proposed, each serving the villages whose "
            f"residents reach it within {spec.cover_minutes:g} min. ")
    after, now = float(prov["coverage_after"]), float(prov["coverage_now"])
    buys = (f"They reach **{count_text(prov['reached_by_new_sites'])} people** without "
            f"{ind.label}; with the {count_text(prov['covered_by_offices'])} near the offices, "
            f"{ind.label} goes from {percent_text(now)} to **{percent_text(after)}**")
    targets = choice.targets if choice.targets is not None else pd.DataFrame()
    if target:
        buys += (f" against a target of {percent_text(choice.target)} "
                 f"({count_text(choice.needed)} more people needed)")
    buys += f": **{_target_status(targets)}**." if len(targets) else "."
    lines += [head + buys,
              f"{_cost_line(plan, total_cost)}; {kits} stop(s) need a satellite kit (no "
              f"signal). Counting rule: {counted}. Map of the stops: [map.html](map.html).",
              "", *_how_decided(plan), *_targets_table(targets)]
    if choice.dropped:
        lines += [f"{len(choice.dropped)} site(s) the solver opened reach nobody new and are "
                  f"left out ({', '.join(choice.dropped[:5])}).", ""]
    trip_of = _trip_of_stop(plan)
    lines += ["| # | stop | kecamatan, kabupaten | people | cumulative (incl. offices) "
              f"| share of needed | from office | {'trip' if trip_of else 'round trip'} | kit |",
              "|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for r in new.itertuples():
        how = (trip_of.get(str(r.site_code), "none") if trip_of
               else rupiah_text(r.round_trip_cost, short=True))
        where = ", ".join(str(x) for x in (r.kecamatan, r.kabupaten) if x)
        share = "" if not np.isfinite(r.cumulative_share_of_target) else \
            percent_text(r.cumulative_share_of_target)
        lines.append(f"| {r.rank} | {_md(r.site_name)} ({_md(r.site_code)}) | {_md(where)} | "
                     f"{count_text(r.people_newly_covered)} | "
                     f"{count_text(r.cumulative_people)} | {share} | "
                     f"{minutes_text(r.travel_minutes_from_office)} from "
                     f"{_md(r.nearest_office_name or r.nearest_office)} | {how} | "
                     f"{'needed' if r.satellite_kit_needed else '-'} |")
    lines += ["", "### What is left out, per kabupaten", "",
              f"People without {ind.label} (gap) by who would serve them; each village counts "
              "once, for the nearest open site.", "",
              "| kabupaten | gap | near an office | reached by stops | left out | coverage after "
              "| why left out |", "|---|---:|---:|---:|---:|---:|---|"]
    smallest = float(new["people_newly_covered"].min()) if len(new) else np.nan
    for r in cov[(cov["indicator"] == ind.key) & (cov["level"] != "province")].itertuples():
        why = ""
        if r.left_out > 0:
            parts = []
            if r.left_out_out_of_reach:
                parts.append(f"{count_text(r.left_out_out_of_reach)} beyond "
                             f"{spec.cover_minutes:g} min "
                             "of any possible stop")
            if r.left_out_not_chosen:
                best = r.best_next_stop_people
                parts.append(
                    f"{count_text(r.left_out_not_chosen)} could be reached, but the best next stop "
                    f"here adds {count_text(best)}"
                    + (f", fewer than the smallest chosen stop ({count_text(smallest)})"
                       if np.isfinite(smallest) and best < smallest else "")
                    + ("; the target is met without it" if target
                       and float(prov["coverage_after"]) + 1e-12 >= (choice.target or 1)
                       else ""))
            why = "; ".join(parts)
        lines.append(f"| {_md(r.area)} | {count_text(r.gap)} | "
                     f"{count_text(r.covered_by_offices)} | "
                     f"{count_text(r.reached_by_new_sites)} | {count_text(r.left_out)} | "
                     f"{percent_text(r.coverage_after)} | {_md(why)} |")
    if curve is not None and len(curve):
        lines += ["", "### Trade-off: more stops, more people, more cost", "",
                  "<!-- chart -->", "",
                  "The most people k new stops can reach (each proven optimal or with its "
                  "gap; of equal answers the cheapest) and their round trips from the "
                  "nearest offices (before nights); the complete plans tried, priced by "
                  "their trips with nights (diamonds; the decision filled). Full table in "
                  "`tradeoff.csv`.", ""]
        alt = curve[curve["kind"] != "max_coverage"]
        if len(alt):
            lines += ["| answer to the target | stops | people | round trips | trips (with "
                      "nights) | status |", "|---|---:|---:|---:|---:|---|"]
            for r in alt.itertuples():
                label = {"fewest_stops": "fewest stops",
                         "least_cost": "least round-trip cost"}.get(str(r.kind), str(r.kind))
                costs = [("" if pd.isna(c) else rupiah_text(c, short=True))
                         for c in (r.round_trip_cost, getattr(r, "trip_cost", np.nan))]
                lines.append(f"| {_md(label)} | {r.stops} | {count_text(r.people_covered)} | "
                             f"{costs[0]} | {costs[1]} | {_md(r.status)} |")
    lines.append("")
    return lines


def _target_status(targets: pd.DataFrame) -> str:
    """``target met``, ``every target met`` or ``not met: N people short in AREA; ...``."""
    short = targets[~targets["met"]]
    if not len(short):
        return "every target met" if len(targets) > 1 else "target met"
    return "not met: " + "; ".join(
        f"{count_text(r.short)} people short in "
        f"{'the study area' if r.level == 'study area' else _md(r.area)}"
        for r in short.itertuples())


def _cost_line(plan: Result, round_trips: float) -> str:
    """What the stops cost: the trips the office pays when they are planned, else the
    round trips (said to be before nights)."""
    tp = plan.trip_plan
    if tp is None:
        return ("Round trips from the nearest offices, one per stop, before nights and "
                f"days: **{rupiah_text(round_trips, short=True)}** (`planner plan` prices "
                "the trips the office would pay for)")
    paid = tp.costs()
    return (f"What the office pays: **{rupiah_text(paid['total'], short=True)}** for "
            f"{len(tp.trips)} trip(s) that serve every stop above (travel "
            f"{rupiah_text(paid['travel'], short=True)}, nights "
            f"{rupiah_text(paid['nights'], short=True)}, days "
            f"{rupiah_text(paid['days'], short=True)}, stops "
            f"{rupiah_text(paid['stops'], short=True)}; "
            "see Trips)")


def _trip_of_stop(plan: Result) -> dict[str, str]:
    """Each stop's trip as a link to its sheet (empty without trips)."""
    tp = plan.trip_plan
    if tp is None or not len(tp.trips):
        return {}
    out = {}
    for r in tp.trips.itertuples():
        for code in str(r.stops).split(";"):
            out[code] = f"[{int(r.trip)}](sheets/trip_{int(r.trip):03d}.html)"
    return out


def _how_decided(plan: Result) -> list[str]:
    """How the stops and trips were chosen, what else was tried and how good it is."""
    d = plan.decision
    if d is None:
        return []
    unit = "team days" if d.minimise == "days" else "rupiah"

    def value(v: float) -> str:
        return f"{count_text(v)} team days" if d.minimise == "days" else \
            rupiah_text(v, short=True)

    tried = d.tried
    first = tried[tried["how"] == "choose sites, then route"]
    text = f"Stops and trips chosen together ({d.method}), minimising {unit}: "
    if d.proven:
        text += "**proven optimal** (every stop set meeting the targets, exact trips)."
    else:
        text += (f"{value(d.objective)}, lower bound {value(d.bound)} (gap "
                 f"{100 * d.gap:.1f}%: {'; '.join(d.notes) or 'not proven optimal'}).")
    if len(first):
        best = first.sort_values(["short", "objective"]).iloc[0]
        text += (f" Choosing the sites first, then the trips: "
                 f"{value(best['objective'])}, {int(best['stops'])} stops"
                 + ("" if best["met"] else f", {count_text(best['short'])} people short")
                 + f"; {len(tried)} stop sets tried (`decision.json`).")
    return [text, ""]


def _targets_table(targets: pd.DataFrame) -> list[str]:
    """Each target's status, when there is more than the study area's one."""
    if not len(targets) or (len(targets) == 1 and targets["level"].iloc[0] == "study area"):
        return []
    lines = ["| target | area | needed | reached | coverage after | status |",
             "|---|---|---:|---:|---:|---|"]
    for r in targets.itertuples():
        lines.append(f"| {_md(r.label)} {percent_text(r.share)} | "
                     f"{'study area' if r.level == 'study area' else _md(r.area)} | "
                     f"{count_text(r.needed)} | {count_text(r.reached)} | "
                     f"{percent_text(r.coverage_after)} | "
                     f"{'met' if r.met else f'{count_text(r.short)} short'} |")
    return [*lines, ""]


def _terrain_lines(v: pd.DataFrame) -> list[str]:
    """With walking over terrain: how many routes walk across the land and what it
    changes (from the villages' own columns)."""
    if "terrain_walk_minutes" not in v:
        return []
    walk = v["terrain_walk_minutes"].astype(float)
    over = v["travel_minutes"].astype(float)
    alone = v["network_minutes"].astype(float) if "network_minutes" in v else over
    both = np.isfinite(over) & np.isfinite(alone)
    sooner = both & (over < alone - 1)
    only = v["reached_over_terrain"].astype(bool) if "reached_over_terrain" in v else over < 0
    walked = walk[walk > 0]
    median = float(walked.median()) if len(walked) else 0.0
    return ["", f"Walking over terrain: {len(walked):,} village(s)' fastest routes walk "
            f"across the land (median {median:,.0f} min of it); {int(only.sum()):,} "
            "village(s) are reached only across the land; "
            f"{int(sooner.sum()):,} are reached over a minute sooner than over the lines "
            "alone with a straight walk to them (`network_minutes` in villages.csv)."]


def summary_markdown(plan: Result, curve: pd.DataFrame | None = None) -> str:
    """The one-page summary for managers, as Markdown. It opens with the decision (where
    next, what it buys, what it costs, what is left out and why, the trade-off); then
    coverage per indicator and kabupaten, reach, unreachable villages, the site-choice
    settings and the data caveats. Every figure traces to the plan.

    Parameters
    ----------
    plan : Result
        The run's result (with its site choice and trips when attached).
    curve : DataFrame, optional
        The trade-off curve (:func:`planner.decide.sites.tradeoff`).

    Returns
    -------
    str
        Markdown.
    """
    s = plan.scenario
    v = plan.villages
    lines = [f"# Outreach plan: {s.title or s.name}", ""]
    if s.illustrative:
        lines += [f"> **{s.illustrative_note}**", ""]
    lines += [f"Data as of {plan.data_as_of()}. {len(v):,} villages. Travel times on the planner's "
              "network from the nearest office.", ""]
    choice = plan.site_choice
    if choice is not None:
        lines += _decision(plan, curve)
    elif plan.site_problem:
        lines += ["## Where next", "",
                  f"**The site choice could not meet its target.** {plan.site_problem}.",
                  "", "Every other part of the plan below holds; lower the target, allow "
                  "more satellite kits or a larger budget, or lengthen the cover time, and "
                  "choose again (`planner sites`).", ""]
    if plan.progress is not None:
        lines += _progress_section(plan)
    if plan.trip_plan is not None:
        lines += _trips_section(plan)
    lines += _coverage_table(plan)
    first = s.indicators[0]
    lines += ["", "## Reach", "", f"| reach band | villages | {_md(first.label)} gap |",
              "|---|---:|---:|"]
    gap_col = first.gap_col
    for band, n in plan.report["reach_bands"].items():
        g = int(v.loc[v["reach_band"] == band, gap_col].sum())
        lines.append(f"| {band} | {n:,} | {g:,} |")
    lines += _terrain_lines(v)
    unreach = plan.report["unreachable"]
    lines += ["", "## Unreachable villages", ""]
    lines += ([f"- {u['nama']} ({u['kode']}): {u['unreachable_reason']}" for u in unreach]
              or ["None: every village is reached from some office."])
    if choice is not None:
        lines += _settings_section(choice)
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


def progress_markdown(plan: Result) -> str:
    """``progress.md`` of ``planner progress``: the field-log section of the summary alone,
    under its own title (and the illustrative-data note).

    Parameters
    ----------
    plan : Result
        The run's result (with its site choice and trips when attached).

    Returns
    -------
    str
        Markdown.
    """
    s = plan.scenario
    lines = [f"# Field-log progress: {s.title or s.name}", "",
             *([f"> **{s.illustrative_note}**", ""] if s.illustrative else []),
             *_progress_section(plan)]
    if plan.progress is not None and plan.progress.roles:
        lines += ["", "## Columns read", "", "| file | role | column | why |",
                  "|---|---|---|---|"]
        lines += [f"| {_md(Path(r.file).name)} | {_md(r.role)} | {_md(r.column or '(none)')} "
                  f"| {_md(r.how)} |" for r in plan.progress.roles]
    return "\n".join(lines) + "\n"


def _trips_section(plan: Result) -> list[str]:
    """The trips that serve the new stops: days, cost and people per trip, what no trip
    reaches and how good the plan is."""
    tp = plan.trip_plan
    if tp is None:
        return []
    t, un = tp.trips, tp.unreached
    sp = tp.spec
    how = ("proven optimal (every assignment and order considered by dynamic programming)"
           if tp.method == "exact" and tp.gap <= 0 else
           f"within {100 * tp.gap:.1f}% of a lower bound ({sp.minimise} "
           f"{tp.bound:,.0f}); " + ("the fewest days within the total budget are not proven"
                                    if tp.method == "exact" else
                                    "insertion and relocation moves"))
    if tp.note:
        how += f" ({tp.note})"
    lines = ["## Trips", "",
             f"{len(t)} trip(s) from {t['office'].nunique()} office(s), "
             f"{count_text(t['days'].sum())} team days, "
             f"{rupiah_text(t['cost'].sum())}, {count_text(t['people'].sum())} people; "
             f"minimising {sp.minimise}: {how}. Trips leave from {sp.start}; the workday is "
             f"{clock_text(sp.workday[0])}-"
             f"{clock_text(sp.workday[1])}. Every activity is in "
             "[trips.csv](trips.csv); one printable sheet per trip in `sheets/`.", "",
             "| trip | team | leaves | returns | days | stops | people | cost (Rp) |",
             "|---:|---|---|---|---:|---|---:|---:|"]
    for r in t.itertuples():
        lines.append(f"| [{r.trip}](sheets/trip_{int(r.trip):03d}.html) | {_md(r.team)} | "
                     f"{r.leaves} | {r.returns} | {r.days} | {_md(r.stop_names)} | "
                     f"{count_text(r.people)} | {count_text(r.cost)} |")
    lines.append("")
    if len(un):
        lines += [f"**{len(un)} stop(s) no trip serves** "
                  f"({count_text(un['people'].sum())} people):",
                  ""]
        lines += [f"- {_md(r.name)} ({_md(r.code)}): {_md(r.reason)}" for r in un.itertuples()]
        lines.append("")
    return lines


def _settings_section(choice: SiteChoice) -> list[str]:
    """The site choice's settings and the solver's proof, as the summary lists them."""
    spec = choice.spec
    sol = choice.solution
    return ["", "## Site choice settings", "",
              f"- Model: {choice.model}; indicator {spec.indicator}; cover time "
              f"{spec.cover_minutes:g} min; "
              + (f"target {percent_text(choice.target)}; " if choice.target is not None else "")
              + (f"k = {choice.k}; " if choice.k is not None else "")
              + f"minimise {spec.minimise}; satellite kits "
              + ("unlimited" if spec.kits is None else str(spec.kits)) + "; budget "
              + ("none" if spec.budget is None else rupiah_text(spec.budget, short=True))
              + "; offices count "
              + ("yes" if spec.offices_count else "no") + ".",
              f"- Solver {sol.solver}: {sol.status}, proven gap {100 * sol.gap:.2f}% "
              "(solve time in run.json)."]


def _coverage_table(plan: Result) -> list[str]:
    """Coverage per indicator and area: now, the target, the people to it and after the
    proposed stops (with the assumption behind "after" for the other indicators)."""
    s = plan.scenario
    v = plan.villages
    choice = plan.site_choice
    lines: list[str] = []
    lines += ["## Coverage now, target and after", "",
              "| indicator | area | eligible | served | coverage now | gap (people) | target "
              "| people to target | coverage after the proposed stops |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    after: dict[tuple[str, str], float] = {}
    if choice is not None:
        cov = choice.coverage
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
                need = count_text(people_needed(ind.target, e, sv))
                tgt = percent_text(ind.target)
            now = percent_text(sv / e if e else np.nan)
            aft = percent_text(after[(ind.key, name)]) if (ind.key, name) in after else ""
            lines.append(f"| {_md(ind.label)} | {_md(name)} | {e:,} | {sv:,} | {now} | {gap:,} "
                         f"| {tgt} | {need} | {aft} |")
    if choice is not None:
        lines += _after_assumption(plan)
    return lines


def _after_assumption(plan: Result) -> list[str]:
    """The assumption behind "coverage after" for the indicators the stops were not chosen
    for: every person of theirs in a village credited to a stop is served there."""
    choice = plan.site_choice
    if choice is None:  # pragma: no cover - only called with a choice
        return []
    key = choice.spec.indicator or plan.scenario.indicators[0].key
    others = [i for i in plan.scenario.indicators if i.key != key]
    if not others:
        return []
    chosen = next(i for i in plan.scenario.indicators if i.key == key)
    minutes = choice.spec.cover_minutes
    return ["", f"Coverage after: the stops were chosen for {_md(chosen.label)}. For "
            + ", ".join(_md(i.label) for i in others)
            + f" it assumes that every person not yet served in a village within "
            f"{minutes:g} minutes of a stop (or an office) is served there; it is an upper "
            "figure, not a forecast."]


def _progress_section(plan: Result) -> list[str]:
    """What the field logs changed: rows applied and set aside, coverage at the baseline and
    now against the target, why rows were set aside, and the chart."""
    check, over = plan.progress, plan.progress_over_time
    if check is None or over is None:  # pragma: no cover - only called with progress
        return []
    s = plan.scenario
    area = over[over["level"] == "study area"]
    last = area["date"].max() if len(area) else ""
    lines = ["## Progress from field logs", "",
             f"{check.summary()}. Baseline {check.baseline or '(none)'}; sessions up to "
             f"{check.as_of or last or '(none)'}. Every row is in "
             "[logs_checked.csv](logs_checked.csv); those set aside, each with its reason, in "
             "[rejected_logs.csv](rejected_logs.csv); served counts with the sessions in "
             "[estimates_updated.csv](estimates_updated.csv).", "",
             "| indicator | coverage at the baseline | people served (logs) | coverage now | "
             "target | people still to target |", "|---|---:|---:|---:|---:|---:|"]
    for ind in s.indicators:
        g = area[area["indicator"] == ind.key]
        if not len(g):
            continue
        first, end = g.iloc[0], g.iloc[-1]
        need = ""
        if ind.target is not None:
            need = count_text(people_needed(ind.target, end["eligible"], end["served"]))
        lines.append(f"| {_md(ind.label)} | {percent_text(first['coverage'])} | "
                     f"{count_text(int(end['served']) - int(first['served']))} | "
                     f"{percent_text(end['coverage'])} | "
                     f"{percent_text(ind.target) if ind.target is not None else ''} | {need} |")
    aside = check.set_aside
    if len(aside):
        lines += ["", "Rows set aside, by reason:", "", "| reason | rows | people (all "
                  "indicators) |", "|---|---:|---:|"]
        people = aside[[f"{k}_logged" for k in check.indicators]].sum(axis=1)
        for kind, g in aside.groupby("reason_kind", sort=True):
            lines.append(f"| {_md(kind)} | {len(g):,} | {count_text(int(people[g.index].sum()))} |")
    lines += ["", "![Coverage over time from the field logs, with the target](progress.png)",
              ""]
    return lines


_LINK = re.compile(r"\[([^\]]+)\]\(([A-Za-z0-9_.-]+\.(?:html|csv|svg|png|xlsx|gpkg))\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([A-Za-z0-9_.-]+\.png)\)$")


def _inline(text: str) -> str:
    """Escape a line, then turn the summary's own **bold** and [links](file) (to files
    beside it; nothing else can become a link) into HTML."""
    out = html.escape(text)
    out = _BOLD.sub(r"<b>\1</b>", out)
    return _LINK.sub(lambda m: f"<a href='{m.group(2)}'>{m.group(1)}</a>", out)


def _block_kind(line: str) -> str:
    """The Markdown block a summary line belongs to: table row, list item or other."""
    return "table" if line.startswith("|") else "list" if line.startswith("- ") else "line"


def _html_table(rows: list[str]) -> list[str]:
    """Markdown table rows as HTML: the first row is the header, separator rows are left out."""
    out = ["<div class='scroll'><table>"]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if set("".join(cells)) <= set("-:"):
            continue
        tag = "th" if len(out) == 1 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
    return [*out, "</table></div>"]


def _html_line(line: str, chart_svg: str) -> str:
    """One summary line (heading, note, chart marker, image or paragraph) as HTML ("" for
    none)."""
    if line == "<!-- chart -->":
        return f"<figure>{chart_svg}</figure>" if chart_svg else ""
    if (m := _IMAGE.match(line)) is not None:  # only a file beside the summary
        return (f"<figure><img src='{m.group(2)}' alt='{html.escape(m.group(1))}' "
                "style='max-width:100%'></figure>")
    for prefix, tag in (("# ", "h1"), ("## ", "h2"), ("### ", "h3")):
        if line.startswith(prefix):
            return f"<{tag}>{html.escape(line[len(prefix):])}</{tag}>"
    if line.startswith("> "):
        return f"<p class='note'>{html.escape(line[2:].strip('*'))}</p>"
    return f"<p>{_inline(line)}</p>" if line.strip() else ""


def summary_html(markdown: str, title: str, chart_svg: str = "") -> str:
    """The summary as a standalone, printable HTML page (text escaped; no external files).
    ``chart_svg`` (made by :func:`tradeoff_svg`) replaces the ``<!-- chart -->`` line.

    Parameters
    ----------
    markdown : str
        The summary (:func:`summary_markdown`).
    title : str
        The page title.
    chart_svg : str, optional
        The trade-off chart.

    Returns
    -------
    str
        The HTML page.
    """
    body: list[str] = []
    for kind, group in itertools.groupby(markdown.splitlines(), key=_block_kind):
        lines = list(group)
        if kind == "table":
            body += _html_table(lines)
        elif kind == "list":
            body += ["<ul>", *(f"<li>{_inline(line[2:])}</li>" for line in lines), "</ul>"]
        else:
            body += [h for line in lines if (h := _html_line(line, chart_svg))]
    style = ("body{font:13px/1.4 sans-serif;max-width:64em;margin:1em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;"
             "padding:2px 6px;vertical-align:top}td{text-align:right}"
             "td:nth-child(-n+3){text-align:left}td:last-child{text-align:left}"
             "h2{border-bottom:2px solid #6a3d9a;margin-top:1.2em}figure{margin:.5em 0}"
             ".note{color:#b10026;font-weight:bold}"
             ".scroll{overflow-x:auto;max-width:100%}svg{max-width:100%;height:auto}"
             "@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
             "tr{break-inside:avoid}.scroll{overflow:visible}}")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def static_map_png(plan: Result) -> bytes:
    """A static PNG map for slides: villages by priority class, blank spots hatched ("no
    signal"), offices, airstrips and ports, proposed stops with their rank, the routes to
    them and the villages they serve; a legend entry for every layer drawn. Uses a figure
    object of its own (never pyplot's global state or backend).

    Parameters
    ----------
    plan : Result
        The run's result (with its site choice and trips when attached).

    Returns
    -------
    bytes
        The PNG (fixed metadata: the same plan gives the same bytes).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .render import PRIORITY_CLASSES, priority_class

    v = plan.villages
    cls = priority_class(v["priority_rank"].to_numpy(), len(v))
    colours = [PRIORITY_CLASSES[c][1] for c in cls]
    # the figure keeps matplotlib's inert base canvas while layers are added (GeoPandas asks
    # for a redraw after each layer: with an Agg canvas each one drew the whole map);
    # savefig renders once, with Agg
    fig = Figure(figsize=(8, 8), dpi=120)
    ax = fig.add_subplot()
    ax.set_axis_off()
    v.plot(ax=ax, color=colours, edgecolor="#666", linewidth=0.2)
    handles: list[Any] = [Patch(color=c, label=label) for _, c, label in PRIORITY_CLASSES]
    if plan.blank_spots is not None and len(plan.blank_spots):
        plan.blank_spots.plot(ax=ax, facecolor="none", edgecolor="#222", hatch="////",
                              linewidth=0.0, alpha=0.45)
        handles.append(Patch(facecolor="none", edgecolor="#222", hatch="////",
                             label="no signal (blank spot)"))
    net = plan.network
    for kind, colour in (("airstrip", "#000000"), ("port", "#1f78b4")):
        if kind in net.points and len(net.points[kind].xy):
            xy = net.points[kind].xy
            ax.scatter(xy[:, 0], xy[:, 1], s=10, c=colour, edgecolors="white", linewidths=0.4,
                       zorder=3)
            handles.append(Line2D([], [], marker="o", ls="", color=colour, label=kind))
    if plan.site_choice is not None:
        new, links, routes = plan.site_frames()
        if len(links):
            links.plot(ax=ax, color="#6a3d9a", linewidth=0.6, linestyle="--", zorder=3)
            handles.append(Line2D([], [], color="#6a3d9a", ls="--",
                                  label="village served by a new stop"))
        if len(routes):
            routes.plot(ax=ax, color="#ff7f00", linewidth=1.2, zorder=3)
            handles.append(Line2D([], [], color="#ff7f00", label="route from the office"))
        ax.scatter(new["x"], new["y"], s=140, c="#6a3d9a", edgecolors="white", zorder=5)
        for r in new.itertuples():
            ax.annotate(str(r.rank), (r.x, r.y), color="white", ha="center", va="center",
                        fontsize=7, fontweight="bold", zorder=6)
        handles.append(Line2D([], [], marker="o", ls="", color="#6a3d9a", markersize=9,
                              label="proposed stop (rank)"))
    plan.service_points.plot(ax=ax, color="#2171b5", edgecolor="#08306b", markersize=40,
                             zorder=4)
    handles.append(Line2D([], [], marker="o", ls="", color="#2171b5", markeredgecolor="#08306b",
                          label="office"))
    ax.legend(handles=handles, title="Outreach priority (by rank)", loc="lower left",
              fontsize=6.5, title_fontsize=7, framealpha=0.9)
    s = plan.scenario
    ax.set_title(f"{s.title or s.name}\n{'ILLUSTRATIVE DATA' if s.illustrative else ''}",
                 fontsize=10)
    buf = _io.BytesIO()
    # fixed margins rather than bbox_inches="tight" (which draws the whole map twice)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
