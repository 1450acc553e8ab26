"""Printable trip sheets: one self-contained HTML page per trip for the team leader (works
offline: no scripts, fonts or tiles; the route map is an inline SVG drawn from the route's
own coordinates). Every input string is escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import shapely

_CSS = """
body{font-family:system-ui,Arial,sans-serif;margin:1.5em;color:#222;font-size:13px}
h1{font-size:18px;margin:0 0 .3em}h2{font-size:15px;margin:1.2em 0 .3em}
.note{background:#fff3cd;border:1px solid #e0c36b;padding:.4em .6em;margin:.5em 0}
table{border-collapse:collapse;width:100%;margin:.3em 0}
.scroll{overflow-x:auto;max-width:100%}
svg{max-width:100%;height:auto}
td,th{border:1px solid #bbb;padding:2px 5px;text-align:left;vertical-align:top}
th{background:#eee}td.n,th.n{text-align:right}h3{font-size:14px;margin:.8em 0 .2em}
.facts td{border:none;padding:1px 8px 1px 0}
svg{border:1px solid #bbb;background:#fafafa}
@media (max-width:600px){body{margin:.6em}td,th{padding:2px 3px}}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}
.scroll{overflow:visible}}
"""


def trip_sheet(title: str, trip: pd.Series, activities: pd.DataFrame,
               line_m: shapely.LineString | None, places: pd.DataFrame,
               illustrative_note: str = "", context: MapContext | None = None) -> str:
    """One trip as a printable page: facts, the villages to call in at each stop, the route
    map and the plan day by day.

    Parameters
    ----------
    title : str
        The study area's title.
    trip : Series
        The trip's row of :attr:`planner.decide.trips.TripPlan.trips`.
    activities : DataFrame
        The trip's rows of ``trips.csv`` (:data:`planner.decide.trips.ACTIVITY_COLUMNS`).
    line_m : LineString or None
        The trip's route (metric CRS).
    places : DataFrame
        The office and stops in visiting order (``order``, ``code``, ``name``, ``office``,
        ``x``, ``y`` in metres).
    illustrative_note : str
        Shown at the top when the inputs are illustrative.
    context : MapContext, optional
        The plan's villages to call in at each stop (listed under it) and its land, lines
        and villages, drawn around the route.

    Returns
    -------
    str
        The HTML page (every string escaped).
    """
    e = escape
    facts = [("Team", trip["team"]), ("Office", f"{trip['office_name']} ({trip['office']})"),
             ("Leaves", trip["leaves"]), ("Returns", trip["returns"]),
             ("Days / nights", f"{trip['days']} / {trip['nights']}"),
             ("People to serve", f"{trip['people']:,.0f}"),
             ("Cost", f"Rp {trip['cost']:,.0f} (travel Rp {trip['travel_cost']:,.0f}, "
                      f"nights Rp {trip['night_cost']:,.0f}, days Rp {trip['day_cost']:,.0f}, "
                      f"stops Rp {trip['stop_cost']:,.0f})")]
    stops = places[~places["office"].astype(bool)]
    heading = f"Trip {int(trip['trip'])} - {title}"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(heading)}</title><style>{_CSS}</style>",
           "</head><body>", f"<h1>Trip {int(trip['trip'])}: {e(str(title))}</h1>"]
    if illustrative_note:
        out.append(f'<p class="note">{e(illustrative_note)}</p>')
    out.append('<table class="facts">' + "".join(
        f"<tr><td><b>{e(k)}</b></td><td>{e(str(v))}</td></tr>" for k, v in facts) + "</table>")
    out.append("<h2>Stops and the villages to call in</h2>")
    call_in = context.call_in if context is not None else None
    out.extend(_stop_sections(stops, call_in, context.labels if context is not None else {}))
    codes = set(stops["code"].astype(str))
    mine = (call_in[call_in["site_code"].astype(str).isin(codes)]
            if call_in is not None else None)
    out.append("<h2>Route</h2>" + route_svg(line_m, places, context=context, call_in=mine))
    out.append("<h2>Day by day</h2>")
    for date, day in activities.groupby("date", sort=True):
        n = int(day["day"].iloc[0])
        out.append(f"<h3>Day {n}: {e(str(date))}</h3><div class=scroll><table><tr>"
                   "<th>From</th><th>To</th>"
                   "<th>Activity</th><th>Where</th><th>Mode</th><th>Minutes</th>"
                   "<th>People</th><th>Rp</th><th>Note</th></tr>")
        for r in day.to_dict("records"):
            where = r["from"] if r["from"] == r["to"] else f"{r['from']} \u2192 {r['to']}"
            out.append(
                f"<tr><td>{e(str(r['start'])[11:])}</td><td>{e(str(r['end'])[11:])}</td>"
                f"<td>{e(str(r['activity']))}</td><td>{e(str(where))}</td>"
                f"<td>{e(str(r['mode']))}</td><td class=n>{r['minutes']:,.0f}</td>"
                f"<td class=n>{r['people']:,.0f}</td><td class=n>{r['cost']:,.0f}</td>"
                f"<td>{e(str(r['note']))}</td></tr>")
        out.append("</table></div>")
    out.append("<p>Times are local; travel times follow the planner's network and its "
               "stated assumptions. Check departures with the operators before leaving.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _stop_sections(stops: pd.DataFrame, call_in: pd.DataFrame | None,
                   labels: dict[str, str]) -> list[str]:
    """Each stop with the villages whose people it serves (name, code, people per
    indicator, how they come and how long), nearest first, and their totals."""
    e = escape
    out = []
    if call_in is None or not len(call_in):
        return ["<ol>" + "".join(f"<li>{e(str(r.name))} ({e(str(r.code))})</li>"
                                 for r in stops.itertuples()) + "</ol>"]
    keys = [c for c in labels if c in call_in.columns] or [
        c for c in call_in.columns if c not in ("site_code", "kode", "nama", "minutes", "way")
        and pd.api.types.is_integer_dtype(call_in[c])]
    head = "".join(f"<th>{e(labels.get(k, k))}</th>" for k in keys)
    for r in stops.itertuples():
        rows = call_in[call_in["site_code"].astype(str) == str(r.code)]
        out.append(f"<h3>{int(r.order)}. {e(str(r.name))} ({e(str(r.code))})</h3>")
        if not len(rows):
            out.append("<p>No village is credited to this stop.</p>")
            continue
        body = "".join(
            f"<tr><td>{e(str(v['nama']))}</td><td>{e(str(v['kode']))}</td>"
            + "".join(f"<td class=n>{int(v[k]):,}</td>" for k in keys)
            + f"<td>{e(str(v['way']))}</td><td class=n>{v['minutes']:,.0f}</td></tr>"
            for v in rows.to_dict("records"))
        total = ("<tr><th>Total</th><th>" + f"{len(rows)} villages</th>"
                 + "".join(f"<th class=n>{int(rows[k].sum()):,}</th>" for k in keys)
                 + "<th></th><th></th></tr>")
        out.append("<div class=scroll><table><tr><th>Village</th><th>Code</th>" + head
                   + "<th>How they come</th><th>Minutes</th></tr>" + body + total
                   + "</table></div>")
    out.append("<p>People: those not yet served in each village (the estimates), by "
               "indicator. Minutes: the fastest way from the village to the stop.</p>")
    return out


@dataclass(frozen=True)
class MapContext:
    """What a trip's route map draws around the route, from the plan's own layers (metric
    CRS): the village polygons (land, coast and boundaries), the network's lines by mode
    and the villages' points with their codes.

    Attributes
    ----------
    land : ndarray of Polygon
        Village polygons.
    lines : dict
        Mode -> the network's lines of that mode, merged (one geometry).
    village_xy : DataFrame
        ``kode, x, y`` of every village (metres).
    call_in : DataFrame or None
        The villages each stop serves (:meth:`planner.result.Result.call_in`).
    labels : dict
        Indicator key -> label (the people columns).
    """

    land: np.ndarray
    lines: dict[str, Any]
    village_xy: pd.DataFrame
    call_in: pd.DataFrame | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, villages: Any, net: Any, call_in: pd.DataFrame | None = None,
                  labels: dict[str, str] | None = None) -> MapContext:
        """The context of a plan.

        Parameters
        ----------
        villages : GeoDataFrame
            The plan's villages (metric CRS).
        net : Network
            The plan's network.
        call_in : DataFrame, optional
            The villages each stop serves (:meth:`planner.result.Result.call_in`).
        labels : dict, optional
            Indicator key -> label.

        Returns
        -------
        MapContext
            Land, lines by mode, village points and the call-in lists.
        """
        line = np.asarray(net.kind == "line")
        a = net.phys_xy[net.node_phys[net.u[line]]]
        b = net.phys_xy[net.node_phys[net.v[line]]]
        modes = np.asarray(net.mode[line])
        lines = {}
        for mode in sorted(set(modes.tolist())):
            sel = modes == mode
            pairs = {tuple(sorted((tuple(p), tuple(q)))) for p, q in zip(
                a[sel].tolist(), b[sel].tolist(), strict=True) if p != q}
            if pairs:
                lines[mode] = shapely.line_merge(shapely.multilinestrings(
                    [shapely.linestrings(list(pq)) for pq in sorted(pairs)]))
        pts = villages.geometry.representative_point()
        return cls(np.asarray(villages.geometry.values, dtype=object), lines,
                   pd.DataFrame({"kode": villages["kode"].to_numpy(object),
                                 "x": pts.x.to_numpy(float), "y": pts.y.to_numpy(float)}),
                   call_in, dict(labels or {}))


_LINE_STYLE = {  # mode -> stroke, width, dash: as on the outreach map
    "road": ("#8c8c8c", 1.2, ""), "track": ("#a6761d", 1.0, "4 2"),
    "river": ("#4a90d9", 1.4, ""), "sea": ("#6baed6", 1.0, "6 3"),
    "air": ("#7570b3", 0.8, "1 3"), "foot": ("#b3b3b3", 0.8, "2 2"),
}


def _svg_path(geom: Any, sx: Any) -> str:
    """An SVG path's ``d`` for the lines and polygon rings of ``geom`` (metric)."""
    parts = []
    for g in shapely.get_parts(geom):
        rings = ([g] if g.geom_type in ("LineString", "LinearRing")
                 else [g.exterior, *g.interiors] if g.geom_type == "Polygon" else [])
        for ring in rings:
            xy = shapely.get_coordinates(ring)
            if len(xy) > 1:
                pts = [sx(p) for p in xy]
                parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts))
    return " ".join(parts)


def route_svg(line_m: shapely.LineString | None, places: pd.DataFrame, width: int = 560,
              height: int = 360, context: MapContext | None = None,
              call_in: pd.DataFrame | None = None) -> str:
    """The route and its numbered stops as an inline SVG (north up, equal scale), over the
    land, the network's lines and the villages around it when a context is given.

    Parameters
    ----------
    line_m : LineString or None
        The route, metric CRS.
    places : DataFrame
        The office and stops in order (x, y metres).
    width, height : int
        Size in pixels.
    context : MapContext, optional
        The plan's land, lines and villages, drawn clipped to the map's extent.
    call_in : DataFrame, optional
        The villages the stops serve (``kode``): drawn as small dots.

    Returns
    -------
    str
        The SVG (``""`` without a route).
    """
    pts = np.asarray(places[["x", "y"]].to_numpy(float))
    coords = shapely.get_coordinates(line_m) if line_m is not None else pts
    allxy = np.vstack([coords, pts]) if len(pts) else coords
    if context is not None and call_in is not None and len(call_in):
        vxy = context.village_xy.set_index("kode").loc[call_in["kode"], ["x", "y"]]
        allxy = np.vstack([allxy, vxy.to_numpy(float)])
    if not len(allxy):
        return ""
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    span = max(float((hi - lo).max()), 1.0)
    pad = 24
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)

    ox = pad + ((width - 2 * pad) - (hi[0] - lo[0]) * scale) / 2   # centred
    oy = pad + ((height - 2 * pad) - (hi[1] - lo[1]) * scale) / 2

    def sx(p: np.ndarray) -> tuple[float, float]:
        return (ox + (p[0] - lo[0]) * scale, height - oy - (p[1] - lo[1]) * scale)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="route map">']
    if context is not None:
        x0, y0 = lo[0] - ox / scale, lo[1] - oy / scale              # the whole frame
        frame = (x0, y0, x0 + width / scale, y0 + height / scale)
        parts.extend(_context_svg(context, call_in, frame, 1 / scale, sx))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (sx(c) for c in coords))
    parts.append(f'<polyline points="{path}" fill="none" stroke="#ff7f00" '
                 'stroke-width="3"/>')
    for r, p in zip(places.itertuples(), pts, strict=True):
        x, y = sx(p)
        name = escape(str(r.name))
        if r.office:
            parts.append(f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                         f'fill="#000"><title>{name}</title></rect>')
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#6a3d9a">'
                         f'<title>{name}</title></circle>'
                         f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#fff" '
                         f'text-anchor="middle">{int(r.order)}</text>')
        anchor = "end" if x > width * 0.7 else "start"
        dx = -12 if anchor == "end" else 12
        parts.append(f'<text x="{x + dx:.1f}" y="{y - 8:.1f}" font-size="11" '
                     f'text-anchor="{anchor}" stroke="#fff" stroke-width="3" '
                     f'paint-order="stroke" fill="#222">{name}</text>')
    km = span / 1000
    legend = ("orange: this trip; black square: office; numbers: stops"
              + ("; blue: rivers; grey: roads; brown: tracks; dashed: sea; dotted: air; "
                 "small dots: villages called in" if context is not None else ""))
    parts.append(f'<text x="{pad}" y="{height - 6}" font-size="10">{km:,.0f} km across'
                 f"; north up</text><title>{escape(legend)}</title></svg>")
    return "".join(parts)


def _context_svg(context: MapContext, call_in: pd.DataFrame | None,
                 frame: tuple[float, float, float, float], px: float, sx: Any) -> list[str]:
    """The land, the network's lines and the called-in villages within the map's frame
    (x0, y0, x1, y1 metres), simplified to a pixel (``px`` metres)."""
    x0, y0, x1, y1 = frame
    box = shapely.box(x0, y0, x1, y1)
    out = ['<rect width="100%" height="100%" fill="#dbe9f6"/>']      # sea where no land
    land = context.land[shapely.intersects(context.land, box)]
    if len(land):
        clipped = shapely.simplify(shapely.clip_by_rect(land, x0, y0, x1, y1), px)
        d = " ".join(_svg_path(g, sx) for g in clipped if not shapely.is_empty(g))
        out.append(f'<path d="{d}" fill="#f4f1ea" stroke="#c9c4b8" stroke-width="0.5" '
                   'fill-rule="evenodd"/>')
    for mode, geom in context.lines.items():
        clipped = shapely.simplify(shapely.clip_by_rect(geom, x0, y0, x1, y1), px)
        if shapely.is_empty(clipped):
            continue
        colour, w, dash = _LINE_STYLE.get(mode, ("#999999", 0.8, ""))
        out.append(f'<path d="{_svg_path(clipped, sx)}" fill="none" stroke="{colour}" '
                   f'stroke-width="{w}"' + (f' stroke-dasharray="{dash}"' if dash else "")
                   + "/>")
    if call_in is not None and len(call_in):
        vxy = context.village_xy.set_index("kode").loc[call_in["kode"], ["x", "y"]]
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#555"/>'
                   for x, y in (sx(p) for p in vxy.to_numpy(float)))
    return out


def sheet_name(trip: Any) -> str:
    """File name of a trip's sheet.

    Parameters
    ----------
    trip : int
        The trip's number.

    Returns
    -------
    str
        ``trip_NNN.html``.
    """
    return f"trip_{int(trip):03d}.html"
