"""Render: the outreach map (Folium/Leaflet) and the village table. WGS84 only here.

The map is one self-contained HTML file: Leaflet's JS and CSS are inlined from the vendored
copy in ``planner/static/leaflet`` and no request leaves the file unless the optional online
basemap is switched on in the layer control. Every string from input files is HTML-escaped
before it reaches a tooltip. Element ids are numbered, not random, so the same plan gives the
same bytes.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement, Template

from .crs import WGS84

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
    """Index into :data:`PRIORITY_CLASSES` for each priority rank (1 = highest)."""
    share = (np.asarray(rank, dtype=float) - 0.5) / max(n, 1)
    bounds = np.array([c[0] for c in PRIORITY_CLASSES])
    return np.minimum(np.searchsorted(bounds, share, side="left"), len(bounds) - 1)


def _static(name: str) -> bytes:
    return resources.files("planner").joinpath("static", "leaflet", name).read_bytes()


def _leaflet_inline() -> tuple[str, str]:
    css = _static("leaflet.css").decode("utf-8")
    for img in ("layers-2x.png", "layers.png"):
        uri = "data:image/png;base64," + base64.b64encode(_static(img)).decode("ascii")
        css = css.replace(f"url(images/{img})", f"url({uri})")
    js = _static("leaflet.js").decode("utf-8")
    return css, js


SEARCH_HTML = """
<div class='jk-box jk-noprint' id='jk-tools' style='top:120px;left:60px;width:250px'>
 <input id='jk-search' type='search' placeholder='Find a village (name or code)'
  style='width:100%;box-sizing:border-box' aria-label='Find a village'>
 <div id='jk-results'></div>
 <label>Colour villages by <select id='jk-colour'>__OPTIONS__</select></label><br>
 <button id='jk-full' type='button'>Full screen</button>
 <button id='jk-print' type='button'>Print</button>
</div>
<style>@media print{.jk-noprint,.leaflet-control-layers,.leaflet-control-zoom{display:none}
#jk-legend,#jk-title{position:absolute}}#jk-results div{cursor:pointer;padding:1px 2px}
#jk-results div:hover{background:#eee}</style>
"""

# Search and tools. Names come from the data: shown with textContent only, never as HTML.
SEARCH_JS = """
(function () {
  var map = __MAP__, layer = __VILLAGES__;
  var box = document.getElementById('jk-search'), out = document.getElementById('jk-results');
  var last = null;
  function go(l) {
    if (last) { layer.resetStyle(last); }
    l.setStyle({weight: 4, color: '#000'});
    last = l;
    map.fitBounds(l.getBounds(), {maxZoom: 12});
    l.fire('mouseover', {latlng: l.getBounds().getCenter()}, true);  // opens its tooltip
  }
  window.jkFind = function (q) {
    q = String(q || '').trim().toLowerCase();
    var hits = [];
    if (q.length < 2) { return hits; }
    layer.eachLayer(function (l) {
      if (hits.length < 8 && l.feature.properties.q.indexOf(q) >= 0) { hits.push(l); }
    });
    return hits;
  };
  box.addEventListener('input', function () {
    out.replaceChildren();
    window.jkFind(box.value).forEach(function (l) {
      var d = document.createElement('div');
      d.textContent = l.feature.properties.q;
      d.addEventListener('click', function () { go(l); });
      out.appendChild(d);
    });
  });
  box.addEventListener('keydown', function (e) {
    var hits = window.jkFind(box.value);
    if (e.key === 'Enter' && hits.length) { go(hits[0]); }
  });
  document.getElementById('jk-full').addEventListener('click', function () {
    var el = map.getContainer();
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (el.requestFullscreen) { el.requestFullscreen(); }
  });
  document.getElementById('jk-print').addEventListener('click', function () { window.print(); });
  var pick = document.getElementById('jk-colour');
  if (pick) {
    pick.addEventListener('change', function () {
      var key = pick.value;
      layer.setStyle(function (f) { return {fillColor: f.properties[key]}; });
      var t = document.getElementById('jk-legend-title');
      if (t) { t.textContent = pick.options[pick.selectedIndex].textContent; }
    });
  }
})();
"""


def _display_geometry(gdf_m: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify in metres, reproject to WGS84, round to 1e-5 degrees (about 1 m)."""
    simple = gdf_m.geometry.simplify(tolerance_m, preserve_topology=True)
    geo = gpd.GeoSeries(simple, crs=gdf_m.crs).to_crs(WGS84)
    return gpd.GeoSeries(shapely.set_precision(geo.values, 1e-5), crs=WGS84)


def _fmt_minutes(m: float) -> str:
    if not np.isfinite(m):
        return "unreachable"
    return f"{int(m // 60)} h {round(m % 60):02d} min" if m >= 60 else f"{m:.0f} min"


def _esc(v: object) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def _feature_collection(gdf: gpd.GeoDataFrame) -> dict[str, object]:
    return json.loads(gdf.to_json(drop_id=True))


def _renumber_ids(m: folium.Map) -> None:
    """Give every element a sequential id so the HTML is byte-identical across runs."""
    counter = 0

    def walk(el: object) -> None:
        nonlocal counter
        el._id = f"{counter:08d}"  # type: ignore[attr-defined]
        counter += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(m)


def _line_layer(m: folium.Map, lines_m: gpd.GeoDataFrame | None, name: str, alias: str,
                style: dict[str, object]) -> None:
    """Add a layer of lines (metric CRS, with an escaped ``label`` tooltip) to the map."""
    if lines_m is None or not len(lines_m):
        return
    g = gpd.GeoDataFrame({"label": lines_m["label"].map(_esc)},
                         geometry=lines_m.to_crs(WGS84).geometry.values, crs=WGS84)
    g["geometry"] = shapely.set_precision(g.geometry.values, 1e-5)
    folium.GeoJson(_feature_collection(g), name=name, style_function=lambda f: style,
                   tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[alias])).add_to(m)


def base_map(bounds: np.ndarray) -> folium.Map:
    """An empty map over ``bounds`` (WGS84 minx, miny, maxx, maxy) with Leaflet inlined, the
    planner's styles, a scale bar and the optional online basemap (off by default)."""
    centre = [float((bounds[1] + bounds[3]) / 2), float((bounds[0] + bounds[2]) / 2)]
    m = folium.Map(location=centre, tiles=None, control_scale=True, prefer_canvas=True)
    m.default_js = []
    m.default_css = []
    css, js = _leaflet_inline()
    fig = m.get_root()
    fig.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    fig.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    fig.header.add_child(Element(
        "<style>.leaflet-container{background:#dfe9ef}"
        ".jk-box{position:fixed;z-index:1000;background:#fff;padding:6px 10px;"
        "border:1px solid #888;border-radius:4px;font:13px/1.35 sans-serif}"
        ".jk-site{width:22px;height:22px;border-radius:11px;background:#6a3d9a;color:#fff;"
        "font:bold 12px/22px sans-serif;text-align:center;border:2px solid #fff}</style>"),
        name="jk_css")
    m.fit_bounds([[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]])
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap basemap (needs internet)",
                     show=False).add_to(m)
    return m


def finish_map(m: folium.Map, boxes_html: str, village_layer: folium.GeoJson,
               colour_options: list[tuple[str, str]] | None = None) -> None:
    """Add the title/legend boxes, the search and tools (with a "colour villages by" choice
    of ``(property, label)``), and number every element."""
    options = "".join(f"<option value='{html.escape(k)}'>{html.escape(label)}</option>"
                      for k, label in (colour_options or []))
    tools_html = SEARCH_HTML.replace("__OPTIONS__", options)
    if not colour_options:
        tools_html = tools_html.replace(
            " <label>Colour villages by <select id='jk-colour'></select></label><br>\n", "")
    macro = MacroElement()
    macro._template = Template("{% macro html(this, kwargs) %}" + boxes_html + tools_html +
                               "{% endmacro %}")
    m.get_root().add_child(macro)
    _renumber_ids(m)  # names are final from here on: the script below refers to them
    tools = MacroElement()
    tools._template = Template(
        "{% macro script(this, kwargs) %}" + SEARCH_JS.replace(
            "__MAP__", m.get_name()).replace("__VILLAGES__", village_layer.get_name()) +
        "{% endmacro %}")
    m.add_child(tools)
    _renumber_ids(m)


def village_layer_data(villages_m: gpd.GeoDataFrame, props: pd.DataFrame,
                       tolerance_m: float) -> gpd.GeoDataFrame:
    """Display geometry (WGS84, simplified) with escaped properties and the search key."""
    geo = _display_geometry(villages_m, tolerance_m)
    vg = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=geo.values, crs=WGS84)
    kode = villages_m["kode"].astype(str)
    vg["q"] = (villages_m["nama"].astype(str) + " " + kode + " "
               + kode.str.replace(r"[^0-9A-Za-z]", "", regex=True)).str.lower().to_numpy()
    return vg


def outreach_map(villages_m: gpd.GeoDataFrame, service_m: gpd.GeoDataFrame,
                 blank_m: gpd.GeoDataFrame | None, indicators: tuple, title: str,
                 data_date: str, illustrative_note: str = "",
                 reach_m: gpd.GeoDataFrame | None = None,
                 sites: pd.DataFrame | None = None,
                 site_links_m: gpd.GeoDataFrame | None = None,
                 routes_m: gpd.GeoDataFrame | None = None,
                 places: list[tuple[str, list[str], np.ndarray]] | None = None,
                 indicator_labels: list[tuple[str, str]] | None = None,
                 tolerance_m: float = 40.0) -> folium.Map:
    """Build the outreach map.

    Parameters
    ----------
    villages_m : GeoDataFrame
        Ranked villages in the metric CRS with the output columns.
    service_m : GeoDataFrame
        Service points (metric CRS) with ``id`` and ``nama``.
    blank_m : GeoDataFrame or None
        Blank-spot polygons (metric CRS).
    indicators : tuple of Indicator
    reach_m : GeoDataFrame or None
        Villages dissolved by reach band (metric CRS), shown as a layer (off by default).
    sites : DataFrame or None
        Chosen new sites (``rank``, ``site_name``, ``people_newly_covered``,
        ``satellite_kit_needed``...) with ``x``, ``y`` (metric CRS).
    site_links_m : GeoDataFrame or None
        Lines from each new site to the villages it serves (metric CRS).
    routes_m : GeoDataFrame or None
        Routes from the nearest office to each new site (metric CRS), with ``label``.
    places : list of (kind, labels, xy), optional
        Airstrips, ports and other named places (metric CRS coordinates) for their layer.
    title, data_date, illustrative_note : str
        Shown in the title box; the note (if any) marks illustrative data.
    tolerance_m : float
        Display simplification tolerance, metres.
    """
    n = len(villages_m)
    v = villages_m
    cls = priority_class(v["priority_rank"].to_numpy(), n)
    props = pd.DataFrame({
        "nama": v["nama"].map(_esc), "kode": v["kode"].map(_esc),
        "kecamatan": v.get("kecamatan", pd.Series("", index=v.index)).map(_esc),
        "kabupaten": v.get("kabupaten", pd.Series("", index=v.index)).map(_esc),
        "rank": v["priority_rank"].astype(int).astype(str) + f" of {n}",
        "score": v["priority_score"].map(lambda s: f"{s:.3f}"),
        "travel": v["travel_minutes"].map(_fmt_minutes),
        "band": v["reach_band"], "from": v["nearest_service"].map(_esc),
        "blank": v["blank_spot_share"].map(
            lambda s: "unknown" if pd.isna(s) else f"{100 * s:.0f}%"),
        "why": v["priority_why"].map(_esc),
        "legs": v.get("route_legs", pd.Series("", index=v.index)).map(_esc),
        "color": [PRIORITY_CLASSES[c][1] for c in cls],
    })
    fields = ["nama", "kode", "kecamatan", "kabupaten", "rank", "score"]
    aliases = ["Village", "Code", "Kecamatan", "Kabupaten", "Priority rank", "Score"]
    for ind in indicators:
        props[ind.key] = [("no estimate" if pd.isna(g) else f"{int(g):,} of {int(e):,}")
                          for g, e in zip(v[ind.gap_col], v[ind.eligible_col], strict=True)]
        fields.append(ind.key)
        aliases.append(f"{_esc(ind.label)} gap")
        gap = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
        gap_rank = np.empty(n, int)
        gap_rank[np.argsort(-gap, kind="stable")] = np.arange(1, n + 1)
        props[f"c_{ind.key}"] = [PRIORITY_CLASSES[c][1] if g > 0 else "#f7f7f7"
                                 for c, g in zip(priority_class(gap_rank, n), gap, strict=True)]
    fields += ["travel", "band", "from", "blank", "why"]
    aliases += ["Travel time", "Reach band", "Nearest service", "Blank spot", "Why"]
    vg = village_layer_data(v, props, tolerance_m)
    m = base_map(vg.total_bounds)
    village_layer = folium.GeoJson(
        _feature_collection(vg), name="Villages by priority",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#555",
                                  "weight": 0.5, "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 2, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        popup=folium.GeoJsonPopup(fields=[*fields, "legs"], aliases=[*aliases, "Route legs"],
                                  max_width=420),
    )
    village_layer.add_to(m)

    if blank_m is not None and len(blank_m):
        bg = gpd.GeoDataFrame(geometry=_display_geometry(blank_m, tolerance_m * 2).values,
                              crs=WGS84)
        folium.GeoJson(_feature_collection(bg), name="Signal blank spots",
                       style_function=lambda f: {"fillColor": "#444", "color": "#444",
                                                 "weight": 0, "fillOpacity": 0.25}).add_to(m)

    if reach_m is not None and len(reach_m):
        rg = gpd.GeoDataFrame({"band": reach_m["reach_band"].map(_esc),
                               "villages": reach_m["villages"].astype(int),
                               "color": reach_m["reach_band"].map(REACH_COLOURS)},
                              geometry=_display_geometry(reach_m, tolerance_m).values, crs=WGS84)
        folium.GeoJson(_feature_collection(rg), name="Reach bands (travel time from an office)",
                       show=False,
                       style_function=lambda f: {"fillColor": f["properties"]["color"],
                                                 "color": "#333", "weight": 0.6,
                                                 "fillOpacity": 0.6},
                       tooltip=folium.GeoJsonTooltip(fields=["band", "villages"],
                                                     aliases=["Reach band", "Villages"]),
                       ).add_to(m)

    _line_layer(m, site_links_m, "Villages served by each new site", "Served",
                {"color": "#6a3d9a", "weight": 1.5, "dashArray": "4 4"})
    _line_layer(m, routes_m, "Routes from the office to each new site", "Route",
                {"color": "#ff7f00", "weight": 2.5})
    if sites is not None and len(sites):
        layer = folium.FeatureGroup(name="Proposed mobile-service sites (by rank)")
        pts = gpd.GeoSeries(gpd.points_from_xy(sites["x"], sites["y"]),
                            crs=villages_m.crs).to_crs(WGS84)
        for r, pt in zip(sites.to_dict("records"), pts, strict=True):
            kit = "needs a satellite kit" if r["satellite_kit_needed"] else "has signal"
            tip = (f"#{int(r['rank'])} {_esc(r['site_name'])} ({_esc(r['site_code'])}): "
                   f"{r['people_newly_covered']:,.0f} people newly covered, "
                   f"{int(r['villages_served'])} villages; {kit}")
            folium.Marker([pt.y, pt.x], tooltip=tip, icon=folium.DivIcon(
                icon_size=(22, 22), icon_anchor=(11, 11),
                html=(f"<div class='jk-site'>{int(r['rank'])}</div>"))).add_to(layer)
        layer.add_to(m)

    if places:
        pl = folium.FeatureGroup(name="Airstrips and ports")
        for kind, labels, xy in places:
            pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                                crs=villages_m.crs).to_crs(WGS84)
            colour = "#000000" if kind == "airstrip" else "#1f78b4"
            for label, pt in zip(labels, pts, strict=True):
                folium.CircleMarker(
                    [pt.y, pt.x], radius=5, color="#ffffff", fill=True, fill_color=colour,
                    fill_opacity=0.9, weight=1.5,
                    tooltip=f"{_esc(kind)}: {_esc(label)}").add_to(pl)
        pl.add_to(m)

    sp_layer = folium.FeatureGroup(name="Service points (offices)")
    sw = service_m.to_crs(WGS84)
    for row in sw.itertuples():
        folium.CircleMarker(location=[row.geometry.y, row.geometry.x], radius=7, color="#08306b",
                            fill=True, fill_color="#2171b5", fill_opacity=1.0, weight=2,
                            tooltip=f"{_esc(row.nama)} ({_esc(row.id)})").add_to(sp_layer)
    sp_layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)

    legend_rows = "".join(
        f"<div><span style='display:inline-block;width:14px;height:10px;background:{c};"
        f"border:1px solid #555;margin-right:6px'></span>{label}</div>"
        for _, c, label in PRIORITY_CLASSES)
    legend = (f"<div class='jk-box' id='jk-legend' style='bottom:24px;right:10px'>"
              f"<b id='jk-legend-title'>Outreach priority</b> (by rank)<br>{legend_rows}"
              "<div><span style='display:inline-block;width:14px;height:10px;background:#444;"
              "opacity:.4;margin-right:6px'></span>signal blank spot</div>"
              "<div><span style='display:inline-block;width:10px;height:10px;"
              "border-radius:5px;background:#2171b5;border:2px solid #08306b;"
              "margin-right:6px'></span>service point</div>"
              "<b>Reach band</b> (layer)<br>" + "".join(
                  f"<span style='display:inline-block;width:14px;height:10px;background:{c};"
                  f"margin:0 3px 0 6px'></span>{html.escape(b)}"
                  for b, c in REACH_COLOURS.items()) + "</div>")
    note = (f"<div style='color:#b10026;font-weight:bold'>{_esc(illustrative_note)}</div>"
            if illustrative_note else "")
    title_html = (f"<div class='jk-box' id='jk-title' style='top:10px;left:60px;max-width:46%'>"
                  f"<b>{_esc(title)}</b><br>Data as of {_esc(data_date)} · {n} villages · "
                  f"travel times on the planner's network{note}</div>")
    colour_options = [("color", "Outreach priority")] + [
        (f"c_{ind.key}", f"{ind.label} gap") for ind in indicators]
    finish_map(m, title_html + legend, village_layer, colour_options)
    return m


def map_html(m: folium.Map) -> str:
    """The map as one HTML string (deterministic)."""
    return m.get_root().render()
