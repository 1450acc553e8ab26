"""Printable trip sheets: one self-contained HTML page per trip for the team leader (works
offline: no scripts, fonts or tiles; the route map is an inline SVG drawn from the route's
own coordinates). Every input string is escaped."""

from __future__ import annotations

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
th{background:#eee}td.n{text-align:right}.facts td{border:none;padding:1px 8px 1px 0}
svg{border:1px solid #bbb;background:#fafafa}
@media (max-width:600px){body{margin:.6em}td,th{padding:2px 3px}}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}
.scroll{overflow:visible}}
"""


def trip_sheet(title: str, trip: pd.Series, activities: pd.DataFrame,
               line_m: shapely.LineString | None, places: pd.DataFrame,
               illustrative_note: str = "") -> str:
    """One trip as a printable page: facts, the route map and the plan day by day.

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
    out.append("<h2>Stops</h2><ol>" + "".join(
        f"<li>{e(str(r.name))} ({e(str(r.code))})</li>" for r in stops.itertuples()) + "</ol>")
    out.append("<h2>Route</h2>" + route_svg(line_m, places))
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


def route_svg(line_m: shapely.LineString | None, places: pd.DataFrame, width: int = 560,
              height: int = 360) -> str:
    """The route and its numbered stops as an inline SVG (north up, equal scale).

    Parameters
    ----------
    line_m : LineString or None
        The route, metric CRS.
    places : DataFrame
        The office and stops in order (x, y metres).
    width, height : int
        Size in pixels.

    Returns
    -------
    str
        The SVG (``""`` without a route).
    """
    pts = np.asarray(places[["x", "y"]].to_numpy(float))
    coords = shapely.get_coordinates(line_m) if line_m is not None else pts
    allxy = np.vstack([coords, pts]) if len(pts) else coords
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

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (sx(c) for c in coords))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="route map">',
             f'<polyline points="{path}" fill="none" stroke="#ff7f00" stroke-width="2.5"/>']
    for r, p in zip(places.itertuples(), pts, strict=True):
        x, y = sx(p)
        if r.office:
            parts.append(f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                         f'fill="#000"><title>{escape(str(r.name))}</title></rect>')
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#6a3d9a">'
                         f'<title>{escape(str(r.name))}</title></circle>'
                         f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#fff" '
                         f'text-anchor="middle">{int(r.order)}</text>')
    km = span / 1000
    parts.append(f'<text x="{pad}" y="{height - 6}" font-size="11">{km:,.0f} km across'
                 "; north up; black square: office</text></svg>")
    return "".join(parts)


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
