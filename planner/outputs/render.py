"""Render: the outreach map (Folium/Leaflet). WGS84 only here.

The map is one self-contained HTML file: Leaflet's JS and CSS are inlined from the vendored
copy in ``planner/static/leaflet`` and no request leaves the file unless the optional online
basemap is switched on in the layer control.

Data never becomes code. Folium (through branca) compiles the output of its elements as Jinja
templates a second time, and its tooltips sit inside JavaScript template literals, so no input
string may pass through a Folium element. Here Folium only makes the empty map; everything
drawn on it (layers, tooltips, legend, search) is described by one JSON document, placed in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, and built in
the browser by the static runtime ``planner/static/jangkau_map.js``, which shows every string
with ``textContent``. Element ids are numbered, not random, so the same plan gives the same
bytes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement, Template  # type: ignore[attr-defined]

from ..config import Indicator
from ..crs import WGS84
from ..decide.sites import whatif_tables
from ..errors import InputError, Problem
from ..inputs import validate
from ..network import travel
from ..network.terrain import reach_areas
from ..result import Result
from ..text import minutes_text

PRIORITY_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.10, "#b10026", "top 10% of villages"),
    (0.25, "#e31a1c", "10-25%"),
    (0.50, "#fd8d3c", "25-50%"),
    (0.75, "#fed976", "50-75%"),
    (1.00, "#ffffcc", "bottom 25%"),
)
"""Priority map classes by rank share: (upper share, colour, legend label)."""


REACH_COLOURS: dict[str, str] = {"<=1h": "#1a9850", "1-3h": "#91cf60", "3-8h": "#fee08b",
                                  "8-24h": "#fc8d59", ">24h": "#d73027",
                                  "unreachable": "#4d4d4d"}
"""Colour of each reach band on the map."""


def priority_class(rank: np.ndarray, n: int) -> np.ndarray:
    """Index into :data:`PRIORITY_CLASSES` for each priority rank (1 = highest).

    Parameters
    ----------
    rank : ndarray of int
        Priority ranks.
    n : int
        Villages in all.

    Returns
    -------
    ndarray of int
        The class of each.
    """
    share = (np.asarray(rank, dtype=float) - 0.5) / max(n, 1)
    bounds = np.array([c[0] for c in PRIORITY_CLASSES])
    return np.minimum(np.searchsorted(bounds, share, side="left"), len(bounds) - 1)


def _static(*parts: str) -> bytes:
    return resources.files("planner").joinpath("static", *parts).read_bytes()


def _leaflet_inline() -> tuple[str, str]:
    css = _static("leaflet", "leaflet.css").decode("utf-8")
    for img in ("layers-2x.png", "layers.png"):
        uri = ("data:image/png;base64," +
               base64.b64encode(_static("leaflet", img)).decode("ascii"))
        css = css.replace(f"url(images/{img})", f"url({uri})")
    js = _static("leaflet", "leaflet.js").decode("utf-8")
    return css, js


def _display_geometry(gdf_m: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify in metres, reproject to WGS84, round to 1e-5 degrees (about 1 m)."""
    simple = gdf_m.geometry.simplify(tolerance_m, preserve_topology=True)
    geo = gpd.GeoSeries(simple, crs=gdf_m.crs).to_crs(WGS84)
    return gpd.GeoSeries(shapely.set_precision(geo.values, 1e-5), crs=WGS84)




def display_text(v: object) -> str:
    """A value as display text ('' for missing). Never escaped here: the page shows text.

    Parameters
    ----------
    v : object
        A value.

    Returns
    -------
    str
        Its text.
    """
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v)


def json_for_script(data: object) -> str:
    """JSON that is safe inside an HTML ``<script type="application/json">`` block.

    ``<``, ``>`` and ``&`` (and the JavaScript line separators) are written as ``\\uXXXX``
    escapes, so no string can close the block or open a comment; ``JSON.parse`` reads them
    back unchanged. Non-finite numbers are refused (they are not JSON).

    Parameters
    ----------
    data : object
        JSON-able data.

    Returns
    -------
    str
        The JSON text.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


class RawElement(Element):
    """Text added to the page verbatim: never compiled or rendered as a Jinja template.

    Only the planner's own static files and JSON made by :func:`json_for_script` go here.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """The element's HTML: the text it holds, as is.

        Parameters
        ----------
        **kwargs
            Ignored (branca's signature).

        Returns
        -------
        str
            The HTML.
        """
        return self._text


class MapData(MacroElement):
    """The map's content as JSON, and the call of the runtime that draws it.

    Added to a ``folium.Map``; when the page renders it puts the JSON block in the body and
    ``jangkauMap(map, data)`` after Folium's own script (which creates the map).
    """

    _template = Template("")

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "JangkauData"
        self.data = data

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as folium's macros
        """Add the data block and the runtime to the page (branca's render step).

        Parameters
        ----------
        **kwargs
            Ignored (branca's signature).
        """
        fig: Any = self.get_root()  # a branca Figure (html, script, header)
        name = self.get_name()
        fig.html.add_child(RawElement(
            f'<script type="application/json" id="{name}">{json_for_script(self.data)}'
            "</script>"), name=name)
        fig.script.add_child(RawElement(
            f"jangkauMap({self._parent.get_name()}, "  # type: ignore[union-attr]
            f"JSON.parse(document.getElementById('{name}').textContent));"), name=name)


def feature_collection(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (as ``gdf.to_json`` gives, missing values null), built
    with GEOS's GeoJSON writer for the geometries: several times faster for real boundaries
    than going through shapely's Python coordinate iterators.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in WGS84.

    Returns
    -------
    dict
        The FeatureCollection.
    """
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    records = props.astype(object).where(props.notna(), None).to_dict("records")
    arr = np.asarray(gdf.geometry.values, dtype=object)
    # empty geometries are null, as in to_json
    null = shapely.is_empty(arr) | shapely.is_missing(arr)
    text: list[str] = shapely.to_geojson(arr).tolist()
    geoms = [None if n else g for n, g in zip(null.tolist(), text, strict=True)]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": r,
                          "geometry": json.loads(g) if g is not None else None}
                         for r, g in zip(records, geoms, strict=True)]}


def _renumber_ids(m: folium.Map) -> None:
    """Give every element a sequential id so the HTML is byte-identical across runs."""
    counter = 0

    def walk(el: object) -> None:
        nonlocal counter
        el._id = f"{counter:08d}"  # type: ignore[attr-defined]  # noqa: SLF001 (folium has no public setter)
        counter += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(m)


BASEMAP = {"name": "OpenStreetMap basemap (needs internet)",
           "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
           "attribution": "© OpenStreetMap contributors"}
"""The optional online basemap (off by default; the map works without it)."""


def make_map(bounds: np.ndarray, data: dict[str, Any]) -> folium.Map:
    """A self-contained map over ``bounds`` (WGS84 minx, miny, maxx, maxy) drawing ``data``.

    ``data`` is the JSON document the runtime reads: ``title``, ``subtitle`` (lines),
    ``note``, ``layers`` (each with ``name``, ``type`` = polygons | lines | circles |
    numbered, ``data`` (a GeoJSON FeatureCollection with text properties), ``style``,
    ``style_properties``, ``fields`` / ``popup`` (``[property, label]`` pairs), ``show``,
    ``interactive``, ``search``, ``colour_switch``), ``legend`` (sections of items) and
    ``colour_options``.

    Parameters
    ----------
    bounds : ndarray
        WGS84 minx, miny, maxx, maxy.
    data : dict
        The document the runtime draws.

    Returns
    -------
    folium.Map
        The map (Leaflet and the runtime inlined).
    """
    b = [float(x) for x in bounds]
    centre = [(b[1] + b[3]) / 2, (b[0] + b[2]) / 2]
    m = folium.Map(location=centre, zoom_start=7, tiles=None, control_scale=True,
                   prefer_canvas=True)
    m.default_js = []
    m.default_css = []
    css, js = _leaflet_inline()
    fig: Any = m.get_root()
    fig.header.add_child(RawElement(f"<style>{css}</style>"), name="leaflet_css")
    fig.header.add_child(RawElement(f"<script>{js}</script>"), name="leaflet_js")
    fig.header.add_child(RawElement(
        f"<style>{_static('jangkau_map.css').decode('utf-8')}</style>"), name="jk_css")
    fig.header.add_child(RawElement(
        f"<script>{_static('jangkau_map.js').decode('utf-8')}</script>"), name="jk_js")
    full = {"basemap": BASEMAP, "bounds": [[b[1], b[0]], [b[3], b[2]]], **data}
    m.add_child(MapData(full))
    _renumber_ids(m)
    return m


def village_layer_data(villages_m: gpd.GeoDataFrame, props: pd.DataFrame,
                       tolerance_m: float) -> gpd.GeoDataFrame:
    """Display geometry (WGS84, simplified) with text properties, the search key ``q`` and
    ``where`` (kecamatan, kabupaten and code, to tell villages of one name apart).

    Parameters
    ----------
    villages_m : GeoDataFrame
        Ranked villages, metric CRS.
    props : DataFrame
        Text properties, one row per village.
    tolerance_m : float
        Simplification tolerance, metres.

    Returns
    -------
    GeoDataFrame
        WGS84 display geometries with properties.
    """
    geo = _display_geometry(villages_m, tolerance_m)
    vg = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=geo.values, crs=WGS84)
    kode = villages_m["kode"].astype(str)
    nama = villages_m["nama"].map(display_text)
    vg["q"] = (nama + " " + kode + " "
               + kode.str.replace(r"[^0-9A-Za-z]", "", regex=True)).str.lower().to_numpy()
    parts = [villages_m[c].map(display_text) for c in ("kecamatan", "kabupaten")
             if c in villages_m.columns]
    where = [", ".join(p for p in ps if p) for ps in zip(*parts, strict=True)] if parts \
        else [""] * len(villages_m)
    vg["where"] = [f"{w} ({k})" if w else f"({k})" for w, k in zip(where, kode, strict=True)]
    return vg


def _points(xy_m: np.ndarray, crs: Any, props: dict[str, list[str]]) -> dict[str, Any]:
    pts = gpd.GeoSeries(gpd.points_from_xy(xy_m[:, 0], xy_m[:, 1]), crs=crs).to_crs(WGS84)
    g = gpd.GeoDataFrame(props, geometry=shapely.set_precision(pts.values, 1e-5), crs=WGS84)
    return feature_collection(g)


def _lines(lines_m: gpd.GeoDataFrame) -> dict[str, Any]:
    g = gpd.GeoDataFrame({"label": lines_m["label"].map(display_text)},
                         geometry=lines_m.to_crs(WGS84).geometry.values, crs=WGS84)
    g["geometry"] = shapely.set_precision(g.geometry.values, 1e-5)
    return feature_collection(g)


def _village_props(v: gpd.GeoDataFrame, indicators: tuple[Indicator, ...]
                   ) -> tuple[pd.DataFrame, list[list[str]]]:
    """Text properties of each village (and the colour of each colouring) and the fields
    of its profile card as ``[property, label]``."""
    n = len(v)
    cls = priority_class(v["priority_rank"].to_numpy(), n)
    blank = v["blank_spot_share"] if "blank_spot_share" in v else pd.Series(np.nan, v.index)
    props = pd.DataFrame({
        "nama": v["nama"].map(display_text), "kode": v["kode"].map(display_text),
        "kecamatan": v.get("kecamatan", pd.Series("", index=v.index)).map(display_text),
        "kabupaten": v.get("kabupaten", pd.Series("", index=v.index)).map(display_text),
        "rank": v["priority_rank"].astype(int).astype(str) + f" of {n}",
        "score": v["priority_score"].map(lambda s: f"{s:.3f}"),
        "travel": v["travel_minutes"].map(minutes_text),
        "band": v["reach_band"].map(display_text),
        "from": [f"{display_text(n)} ({display_text(i)})"
                 if display_text(n) and display_text(i) else display_text(i) for n, i in
                 zip(v.get("nearest_office_name", pd.Series("", index=v.index)),
                     v["nearest_service"], strict=True)],
        "blank": blank.map(lambda s: "unknown" if pd.isna(s) else f"{100 * s:.0f}%"),
        "why": v["priority_why"].map(display_text),
        "legs": v.get("route_legs", pd.Series("", index=v.index)).map(display_text),
        "color": [PRIORITY_CLASSES[c][1] for c in cls],
    })
    fields = [["nama", "Village"], ["kode", "Code"], ["kecamatan", "Kecamatan"],
              ["kabupaten", "Kabupaten"], ["rank", "Priority rank"], ["score", "Score"]]
    for ind in indicators:
        props[ind.key] = [("no estimate" if pd.isna(g) else f"{int(g):,} of {int(e):,}")
                          for g, e in zip(v[ind.gap_col], v[ind.eligible_col], strict=True)]
        fields.append([ind.key, f"{ind.label} gap"])
        gap = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
        gap_rank = np.empty(n, int)
        gap_rank[np.argsort(-gap, kind="stable")] = np.arange(1, n + 1)
        props[f"c_{ind.key}"] = [PRIORITY_CLASSES[c][1] if g > 0 else "#f7f7f7"
                                 for c, g in zip(priority_class(gap_rank, n), gap, strict=True)]
    fields += [["travel", "Travel time"], ["band", "Reach band"], ["from", "Nearest office"],
               ["blank", "Blank spot"], ["why", "Why"]]
    return props, fields


@dataclass(frozen=True)
class MapText:
    """The map's title box: title, the data's date and the illustrative-data note ("" for
    real data)."""

    title: str
    data_date: str = ""
    illustrative_note: str = ""


@dataclass(frozen=True)
class SiteLayers:
    """A site choice as map layers (metric CRS): the new stops (``rank``, ``site_name``,
    ``site_code``, ``people_newly_covered``, ``villages_served``, ``satellite_kit_needed``,
    ``x``, ``y``), a line from each stop to each village it serves and the route from the
    office to each stop (both with ``label``)."""

    sites: pd.DataFrame
    links_m: gpd.GeoDataFrame
    routes_m: gpd.GeoDataFrame


@dataclass(frozen=True)
class Overlays:
    """What a plan adds on top of the villages: a site choice, named places (kind, labels,
    metric xy) and field sessions (:attr:`planner.inputs.fieldlog.LogCheck.rows`)."""

    site_layers: SiteLayers | None = None
    places: list[tuple[str, list[str], np.ndarray]] | None = None
    sessions: pd.DataFrame | None = None
    trips: gpd.GeoDataFrame | None = None  # one route line per trip (metric), ``label``
    whatif: dict[str, Any] | None = None  # the "try other stops" tables (sites.whatif_tables)
    terrain_reach: gpd.GeoDataFrame | None = None  # reach bands over terrain (metric CRS)
    terrain_catchments: gpd.GeoDataFrame | None = None  # per office/stop (metric CRS)


SESSION_COLOURS = ("#fde0dd", "#fa9fb5", "#f768a1", "#c51b8a", "#7a0177")
"""Applied sessions by date, earliest to latest (five equal spans of the logged dates)."""

DISPLAY_TOLERANCE_M = 40.0
"""Village outlines on the map are simplified within this many metres (blank spots twice)."""

_Layer = dict[str, Any]
_LegendItem = dict[str, Any]


def outreach_map(villages_m: gpd.GeoDataFrame, service_m: gpd.GeoDataFrame,
                 indicators: tuple[Indicator, ...], *, text: MapText,
                 blank_m: gpd.GeoDataFrame | None = None,
                 reach_m: gpd.GeoDataFrame | None = None,
                 overlays: Overlays | None = None) -> folium.Map:
    """Build the outreach map.

    Parameters
    ----------
    villages_m : GeoDataFrame
        Ranked villages in the metric CRS with the output columns.
    service_m : GeoDataFrame
        Service points (metric CRS) with ``id`` and ``nama``.
    indicators : tuple of Indicator
    text : MapText
        Title, data date and the illustrative-data note of the title box.
    blank_m : GeoDataFrame or None
        Blank-spot polygons (metric CRS).
    reach_m : GeoDataFrame or None
        Villages dissolved by reach band (metric CRS), shown as a layer (off by default).
    overlays : Overlays or None
        A site choice (the new stops, the villages they serve and the routes to them),
        airstrips, ports and other named places, and logged field sessions.

    Returns
    -------
    folium.Map
        The map.
    """
    extra = overlays or Overlays()
    site_layers, places = extra.site_layers, extra.places
    props, fields = _village_props(villages_m, indicators)
    vg = village_layer_data(villages_m, props, DISPLAY_TOLERANCE_M)
    layers: list[_Layer] = [{
        "name": "Villages by priority", "type": "polygons", "data": feature_collection(vg),
        "style": {"color": "#555", "weight": 0.5, "fillOpacity": 0.75},
        "style_properties": [["color", "fillColor"]], "fields": fields,
        "popup": [*fields, ["legs", "Route legs"]], "heading": "nama",
        "highlight": True, "search": True, "colour_switch": True}]
    layer_legend: list[_LegendItem] = []
    for made in (_blank_layer(blank_m), _reach_layer(reach_m),
                 _reach_layer(extra.terrain_reach, "Reach over terrain (walking across the "
                              "land allowed)"),
                 _catchment_layer(extra.terrain_catchments),
                 *(_site_map_layers(site_layers, villages_m.crs) if site_layers else []),
                 _places_layer(places or [], villages_m.crs),
                 _sessions_layer(extra.sessions), _trips_layer(extra.trips),
                 _office_layer(service_m)):
        for layer, legend_items in made:
            layers.append(layer)
            layer_legend += legend_items
    legend = [{"title": "Outreach priority (by rank)",
               "items": [{"label": label, "color": c} for _, c, label in PRIORITY_CLASSES]},
              {"title": "Layers", "items": layer_legend}]
    if reach_m is not None and len(reach_m):
        legend.append({"title": "Reach band (layer)",
                       "items": [{"label": b, "color": c} for b, c in REACH_COLOURS.items()]})
    data: dict[str, Any] = {
        "title": text.title, "note": text.illustrative_note,
        "subtitle": [f"Data as of {text.data_date} · {len(villages_m)} villages · travel "
                     "times on the planner's network"
                     + (" and across the land" if extra.terrain_reach is not None else "")],
        "layers": layers, "legend": legend,
        "colour_options": [["color", "Outreach priority"]] + [
            [f"c_{ind.key}", f"{ind.label} gap"] for ind in indicators],
    }
    if extra.whatif is not None:
        data["whatif"] = extra.whatif
    return make_map(vg.total_bounds, data)


_Made = list[tuple[_Layer, list[_LegendItem]]]
"""Map layers made by one step, each with its legend entries (none when nothing to draw)."""


def _blank_layer(blank_m: gpd.GeoDataFrame | None) -> _Made:
    if blank_m is None or not len(blank_m):
        return []
    bg = gpd.GeoDataFrame(geometry=_display_geometry(blank_m, DISPLAY_TOLERANCE_M * 2).values,
                          crs=WGS84)
    return [({"name": "Signal blank spots", "type": "polygons",
              "data": feature_collection(bg), "interactive": False, "hatch": True,
              "style": {"fillColor": "url(#jk-hatch)", "color": "#222",
                        "weight": 0.8, "dashArray": "3 3", "fillOpacity": 1}},
             [{"label": "no signal (blank spot)", "color": "#222", "shape": "hatch"}])]


def _reach_layer(reach_m: gpd.GeoDataFrame | None,
                 name: str = "Reach bands (travel time from an office)") -> _Made:
    if reach_m is None or not len(reach_m):
        return []
    rg = gpd.GeoDataFrame({"band": reach_m["reach_band"].map(display_text),
                           "color": reach_m["reach_band"].map(REACH_COLOURS)},
                          geometry=_display_geometry(reach_m, DISPLAY_TOLERANCE_M).values,
                          crs=WGS84)
    return [({"name": name, "type": "polygons",
              "data": feature_collection(rg), "show": False, "interactive": False,
              "style": {"color": "#333", "weight": 0.6, "fillOpacity": 0.6},
              "style_properties": [["color", "fillColor"]]}, [])]


CATCHMENT_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                     "#a6761d", "#666666")
"""Catchments over terrain, in turn (neighbours rarely share a colour at province scale)."""


def _catchment_layer(areas_m: gpd.GeoDataFrame | None) -> _Made:
    if areas_m is None or not len(areas_m):
        return []
    g = gpd.GeoDataFrame(
        {"label": [f"{display_text(n)} ({display_text(c)}, {k})" for n, c, k in
                   zip(areas_m["name"], areas_m["code"], areas_m["kind"], strict=True)],
         "area": [f"{a:,.0f} km²" for a in areas_m["area_km2"]],
         "minutes": [f"{m:,.0f} min" for m in areas_m["median_minutes"]],
         "color": [CATCHMENT_COLOURS[i % len(CATCHMENT_COLOURS)]
                   for i in range(len(areas_m))]},
        geometry=_display_geometry(areas_m, DISPLAY_TOLERANCE_M).values, crs=WGS84)
    return [({"name": "Catchments over terrain (nearest office or new stop, within 24 h)",
              "type": "polygons", "data": feature_collection(g), "show": False,
              "fields": [["label", "Nearest service"], ["area", "Area"],
                         ["minutes", "Median time to it"]],
              "style": {"color": "#333", "weight": 0.8, "fillOpacity": 0.35},
              "style_properties": [["color", "fillColor"]]}, [])]


def _site_map_layers(site_layers: SiteLayers, crs: Any) -> list[_Made]:
    out: list[_Made] = []
    links, routes, sites = site_layers.links_m, site_layers.routes_m, site_layers.sites
    if len(links):
        out.append([({"name": "Villages served by each new site", "type": "lines",
                      "data": _lines(links), "fields": [["label", "Served"]],
                      "style": {"color": "#6a3d9a", "weight": 1.5, "dashArray": "4 4"}},
                     [{"label": "village served by a new site", "color": "#6a3d9a",
                       "shape": "dash"}])])
    if len(routes):
        out.append([({"name": "Routes from the office to each new site", "type": "lines",
                      "data": _lines(routes), "fields": [["label", "Route"]],
                      "style": {"color": "#ff7f00", "weight": 2.5}},
                     [{"label": "route from the office to a new site", "color": "#ff7f00",
                       "shape": "line"}])])
    if len(sites):
        kit = ["needs a satellite kit" if k else "has signal"
               for k in sites["satellite_kit_needed"]]
        out.append([({
            "name": "Proposed mobile-service sites (by rank)", "type": "numbered",
            "number": "rank", "heading": "site",
            "data": _points(sites[["x", "y"]].to_numpy(float), crs, {
                "rank": [str(int(r)) for r in sites["rank"]],
                "site": [f"#{int(r)} {display_text(nm)} ({display_text(c)})" for r, nm, c in
                         zip(sites["rank"], sites["site_name"], sites["site_code"],
                             strict=True)],
                "people": [f"{p:,.0f}" for p in sites["people_newly_covered"]],
                "villages": [str(int(x)) for x in sites["villages_served"]],
                "kit": kit}),
            "fields": [["site", "Site"], ["people", "People newly covered"],
                       ["villages", "Villages served"], ["kit", "Signal"]]},
            [{"label": "proposed mobile-service site (rank)", "color": "#6a3d9a",
              "shape": "number", "text": "1"}])])
    return out


def _trips_layer(trips_m: gpd.GeoDataFrame | None) -> _Made:
    if trips_m is None or not len(trips_m):
        return []
    return [({"name": "Trips (one line per trip)", "type": "lines", "data": _lines(trips_m),
              "fields": [["label", "Trip"]],
              "style": {"color": "#e31a1c", "weight": 3, "opacity": 0.8}},
             [{"label": "outreach trip (route there and back)", "color": "#e31a1c",
               "shape": "line"}])]


def _places_layer(places: list[tuple[str, list[str], np.ndarray]], crs: Any) -> _Made:
    places = [(k, lab, xy) for k, lab, xy in places if len(lab)]
    if not places:
        return []
    colours = {k: "#000000" if k == "airstrip" else "#1f78b4" for k, _, _ in places}
    return [({
        "name": "Airstrips and ports", "type": "circles",
        "data": _points(np.concatenate([np.asarray(xy, float) for _, _, xy in places]),
                        crs, {"label": [f"{display_text(k)}: {display_text(x)}"
                                        for k, lab, _ in places for x in lab],
                              "fill": [colours[k] for k, lab, _ in places for _ in lab]}),
        "fields": [["label", "Place"]], "style_properties": [["fill", "fillColor"]],
        "style": {"radius": 5, "color": "#ffffff", "fillOpacity": 0.9, "weight": 1.5}},
        [{"label": k, "color": c, "shape": "dot", "border": "#ffffff"}
         for k, c in colours.items()])]


def _sessions_layer(rows: pd.DataFrame | None) -> _Made:
    """Logged sessions as dots: applied ones coloured by date, set-aside ones grey, each with
    its date, team, village, people and (set aside) the reason."""
    if rows is None:
        return []
    r = rows[np.isfinite(rows["lat"].astype(float)) & np.isfinite(rows["lon"].astype(float))]
    r = r[(r["lat"].astype(float).abs() <= 90) & (r["lon"].astype(float).abs() <= 180)]
    if not len(r):
        return []
    if len(r) > MAX_SESSION_DOTS:
        return _sessions_by_place(r)
    applied = (r["status"] == "applied").to_numpy()
    dates = pd.to_datetime(r["date"].where(r["date"] != ""), errors="coerce")
    ok = dates[applied]
    lo, hi = (ok.min(), ok.max()) if len(ok) else (pd.NaT, pd.NaT)
    span = (hi - lo) if len(ok) else pd.Timedelta(0)
    edges = [lo + span * i / len(SESSION_COLOURS) for i in range(len(SESSION_COLOURS) + 1)]
    bins = np.zeros(len(r), np.int64)
    if len(ok) and span > pd.Timedelta(0):
        frac = ((dates - lo) / span).fillna(0).to_numpy(float)
        bins = np.clip((frac * len(SESSION_COLOURS)).astype(np.int64), 0,
                       len(SESSION_COLOURS) - 1)
    fill = np.where(applied, np.array(SESSION_COLOURS, dtype=object)[bins], "#9e9e9e")
    people = _people_text(r)
    xy = np.c_[r["lon"].astype(float), r["lat"].astype(float)]
    legend = [{"label": f"session {a:%Y-%m-%d} to {b:%Y-%m-%d}", "color": c, "shape": "dot",
               "border": "#555555"}
              for a, b, c in zip(edges[:-1], edges[1:], SESSION_COLOURS, strict=True)
              if len(ok)] + [{"label": "session set aside (see its reason)",
                             "color": "#9e9e9e", "shape": "dot", "border": "#555555"}]
    return [({
        "name": "Logged field sessions (by date)", "type": "circles", "show": True,
        "data": _points(xy, WGS84, {
            "when": [display_text(d) for d in r["date"]],
            "team": [display_text(t) for t in r["team"]],
            "village": [f"{display_text(n)} ({display_text(k)})" if k else "" for n, k in
                        zip(r["nama"], r["kode"], strict=True)],
            "people": people, "status": [display_text(s).replace("_", " ") for s in r["status"]],
            "reason": [display_text(x) for x in r["reason"]],
            "where": [f"{Path(str(f)).name} {display_text(w)}" for f, w in
                      zip(r["file"], r["row"], strict=True)],
            "fill": fill.tolist()}),
        "fields": [["when", "Date"], ["team", "Team"], ["village", "Village"],
                   ["people", "People served"], ["status", "Status"], ["reason", "Reason"],
                   ["where", "Log row"]],
        "style_properties": [["fill", "fillColor"]],
        "style": {"radius": 4, "color": "#555555", "fillOpacity": 0.9, "weight": 1}},
        legend)]


def _people_text(rows: pd.DataFrame) -> list[str]:
    """Per row, the people logged per indicator (``ktp 12, kia 3``; zeros left out)."""
    cols = [c for c in rows.columns if c.endswith("_logged")]
    return [", ".join(f"{c[: -len('_logged')]} {int(n)}" for c, n in zip(cols, vals,
                                                                        strict=True) if n)
            for vals in rows[cols].to_numpy()]


MAX_SESSION_DOTS = 5000
"""Above this many logged sessions the map draws one dot per village (and status) with
their count, people and dates, instead of one per session (a phone opens it)."""


def _sessions_by_place(r: pd.DataFrame) -> _Made:
    """Logged sessions gathered per village (or, without one, per point to 3 decimals)
    and status: one dot each, with the number of sessions, the people and the dates."""
    lat, lon = r["lat"].astype(float), r["lon"].astype(float)
    place = np.where(r["kode"].astype(str) != "", r["kode"].astype(str),
                     lat.round(3).astype(str) + "," + lon.round(3).astype(str))
    people_cols = [c for c in r.columns if c.endswith("_logged")]
    g = r.assign(_place=place, _lat=lat, _lon=lon, _n=1).groupby(
        ["_place", "status"], sort=True)
    agg = g.agg(_lat=("_lat", "mean"), _lon=("_lon", "mean"), _n=("_n", "sum"),
                first=("date", "min"), last=("date", "max"), nama=("nama", "first"),
                kode=("kode", "first"), **{c: (c, "sum") for c in people_cols}).reset_index()
    applied = (agg["status"] == "applied").to_numpy()
    people = _people_text(agg)
    xy = np.c_[agg["_lon"].to_numpy(float), agg["_lat"].to_numpy(float)]
    return [({
        "name": f"Logged field sessions ({len(r):,}, per village)", "type": "circles",
        "show": True,
        "data": _points(xy, WGS84, {
            "village": [f"{display_text(n)} ({display_text(k)})" if k else display_text(p)
                        for n, k, p in zip(agg["nama"], agg["kode"], agg["_place"],
                                           strict=True)],
            "sessions": [f"{int(n):,}" for n in agg["_n"]],
            "when": [f"{display_text(a)} to {display_text(b)}"
                     for a, b in zip(agg["first"], agg["last"], strict=True)],
            "people": people,
            "status": [display_text(x).replace("_", " ") for x in agg["status"]],
            "fill": np.where(applied, SESSION_COLOURS[-1], "#9e9e9e").tolist()}),
        "fields": [["village", "Village"], ["sessions", "Sessions"], ["when", "Dates"],
                   ["people", "People served"], ["status", "Status"]],
        "style_properties": [["fill", "fillColor"]],
        "style": {"radius": 5, "color": "#555555", "fillOpacity": 0.9, "weight": 1}},
        [{"label": "sessions applied, per village", "color": SESSION_COLOURS[-1],
          "shape": "dot", "border": "#555555"},
         {"label": "sessions set aside, per village (reasons in rejected_logs.csv)",
          "color": "#9e9e9e", "shape": "dot", "border": "#555555"}])]


def _office_layer(service_m: gpd.GeoDataFrame) -> _Made:
    sxy = shapely.get_coordinates(service_m.geometry.values)
    return [({
        "name": "Service points (offices)", "type": "circles",
        "data": _points(sxy, service_m.crs, {
            "office": [display_text(x) for x in service_m["nama"]],
            "id": [display_text(x) for x in service_m["id"]]}),
        "fields": [["office", "Office"], ["id", "Id"]],
        "style": {"radius": 7, "color": "#08306b", "fillColor": "#2171b5", "fillOpacity": 1.0,
                  "weight": 2}},
        [{"label": "service point (office)", "color": "#2171b5", "shape": "dot",
          "border": "#08306b"}])]


def map_html(m: folium.Map) -> str:
    """The map as one HTML string (deterministic).

    Parameters
    ----------
    m : folium.Map
        A map.

    Returns
    -------
    str
        The page.
    """
    return m.get_root().render()


def plan_map(plan: Result, *, area: str | None = None) -> folium.Map:
    """The outreach map of a result (see :meth:`planner.Plan.map`).

    Parameters
    ----------
    plan : Result
        The run's result, with its site choice and trips when attached.
    area : str, optional
        A code prefix: only the villages whose code starts with it, the offices serving
        them and the sites among them.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        When no village code starts with ``area``.
    """
    s = plan.scenario
    keep = np.ones(len(plan.villages), bool)
    if area:
        keep = plan.villages["code_key"].str.startswith(
            validate.normalise_code(area)).to_numpy()
        if not keep.any():
            raise InputError([Problem("map", f"no village code starts with {area!r}")])
    stops = links = routes = None
    if plan.site_choice is not None:
        stops, links, routes = plan.site_frames()
        if area:
            inside = set(plan.villages.loc[keep, "kode"])
            stops = stops[stops["site_code"].isin(inside)]
            links = links.iloc[0:0] if stops.empty else links
            routes = routes.iloc[0:0] if stops.empty else routes
    net = plan.network
    if "fastest" not in plan.paths:
        plan.paths["fastest"] = travel.all_paths(net, "fastest")
    legs_text = dict(zip(net.points["village"].refs,
                         travel.legs_texts(net, plan.paths["fastest"]), strict=True))
    legs = plan.villages["kode"].map(legs_text).fillna("")
    minutes = plan.villages["travel_minutes"].to_numpy(float)
    legs = np.where(~np.isfinite(minutes), "unreachable",
                    np.where(legs == "", "at the office", legs))
    v = plan.villages.assign(route_legs=legs)[keep].reset_index(drop=True)
    services = plan.service_points
    blank = plan.blank_spots
    places = [(k, p.labels, p.xy) for k, p in net.points.items()
              if k not in ("village", "service")]
    reach = plan.reach_band_areas() if not area else None
    if area:
        services = services[services["id"].isin(set(v["nearest_service"]))]
        box = shapely.box(*v.total_bounds)
        if blank is not None:
            blank = blank.iloc[blank.sindex.query(box, predicate="intersects")]
        reach = v[["reach_band", "geometry"]].dissolve(by="reach_band", as_index=False)
        reach["villages"] = reach["reach_band"].map(v["reach_band"].value_counts())
        inside_places = []
        for k, labels, xy in places:
            ok = shapely.contains_xy(box, xy[:, 0], xy[:, 1])
            inside_places.append((k, list(np.array(labels, dtype=object)[ok]), xy[ok]))
        places = inside_places
    return outreach_map(
        v, services, s.indicators,
        text=MapText(s.title or s.name, plan.data_as_of(),
                            s.illustrative_note if s.illustrative else ""),
        blank_m=blank, reach_m=reach,
        overlays=Overlays(
            site_layers=(SiteLayers(stops, links, routes) if stops is not None
                         and links is not None and routes is not None else None),
            places=places,
            sessions=plan.progress.rows if plan.progress is not None else None,
            trips=(plan.trip_plan.lines if plan.trip_plan is not None and not area
                   else None),
            whatif=(whatif_tables(plan, plan.site_choice)
                    if plan.site_choice is not None and not area else None),
            terrain_reach=(reach_areas(plan.terrain) if plan.terrain is not None
                           and not area else None),
            terrain_catchments=(made[1] if not area and (made := plan.terrain_catchments())
                                is not None else None)))
