"""The multimodal travel network: line layers, OSM extracts and link tables -> one graph.

Pipeline of this module (all in the study area's metric CRS):

1. **Line edges.** Every line (from a line layer or an ``.osm.pbf`` extract) is an edge
   between its end points (snapped to ``snap_m`` metres). Its class (the ``class_column``)
   gives its mode, speed and cost (:class:`~planner.config.ClassSpec`)::

       minutes = length_m / 1000 / speed_kmh × 60 + wait_minutes

   Rivers: the line's direction is downstream; against it the class's ``upstream_kmh``
   applies (a line may say ``flow = "upstream"`` when drawn against the current). A line that
   gives ``minutes`` uses them both ways. ``oneway`` lines are one-way. In the active season,
   a class (or mode) may be slower (``speed_factor``) or closed; a line may list the seasons
   it is closed in (``closed_seasons``).
2. **Points.** Villages, service points and places (airstrips, ports) join the nearest point
   ON the nearest usable line within ``max_km`` (the line is split there: a village beside a
   long track joins it where it passes, not at a far junction); motorways and trunk links
   only when nothing else is in reach, sea and air lines only at their ends. A point within
   ``snap_m`` of that place sits on it; any other gets its own node and a walk to it
   (``straight × detour`` metres at ``walk_kmh``); a point with no line in reach keeps an
   unconnected node (links may still reach it: an island's jetty).
3. **Link edges** from link tables: scheduled or chartered services between named points
   (``village:KODE``, ``service:ID``, ``{prefix}:{code}`` of a places layer). Minutes are the
   time on board; the expected wait is half the headway, ``7 × 24 × 60 / (2 × departures per
   week)`` minutes, unless ``wait_minutes`` is given. ``fare`` is the cost in rupiah.
4. **Modes and transfers.** Each node is split into one node per mode that meets there;
   moving between them costs the scenario's ``transfer_minutes`` for that mode pair. Each
   village and service point also has an *origin* and a *destination* stop joined to every
   mode at its node at no cost, so a journey starts or ends in any mode but never changes
   mode for free at a stop.

The result is a :class:`Network` of compact numpy arrays (what the bulk shortest paths use);
``Network.to_networkx()`` gives the same graph as a ``networkx.DiGraph`` with ``mode``,
``length_m``, ``minutes`` and ``cost`` on every edge and the CRS in ``G.graph["crs"]``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree
from shapely.ops import substring

from ..config import Access, NetworkSpec
from ..errors import InputError, Problem, ProblemCollector
from ..inputs import io, osm
from ..inputs.osm import read_osm
from ..inputs.validate import check_geometries, feature_refs, normalise_code, row_refs
from .graph import WEEK_MINUTES, Network, Points, texts


def _numeric(gdf: pd.DataFrame, col: str, src: str, pc: ProblemCollector,
             fmt: Callable[[np.ndarray], str] = feature_refs) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), np.nan)
    raw = gdf[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna()  # a value that is no number: blank text is no value
    if bad.any():
        bad[bad] = raw[bad].astype(str).str.strip() != ""
    if bad.any():
        pc.add(src, f"expected a number, found {raw[bad].iloc[0]!r}",
               where=fmt(np.flatnonzero(bad)), column=col)
    return np.asarray(num.to_numpy(dtype=float), dtype=float)


def _truthy(series: pd.Series) -> np.ndarray:
    return np.asarray(series.astype(object).fillna("").astype(str).str.strip().str.lower().isin(
        ["true", "1", "yes", "y"]).to_numpy(), dtype=bool)


@dataclass
class _Edges:
    """Directed physical edges collected from all sources."""

    a: list[np.ndarray] = field(default_factory=list)   # physical ids (filled later for lines)
    b: list[np.ndarray] = field(default_factory=list)
    minutes: list[np.ndarray] = field(default_factory=list)
    wait: list[np.ndarray] = field(default_factory=list)
    length: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    mode: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    name: list[np.ndarray] = field(default_factory=list)
    days: list[np.ndarray] = field(default_factory=list)    # weekday mask, 0 = unscheduled
    depart: list[np.ndarray] = field(default_factory=list)  # "HH:MM;HH:MM" or ""

    def add(self, a: Any, b: Any, minutes: Any, length: Any, cost: Any,  # noqa: PLR0913
            mode: Any, kind: Any, name: Any, wait: Any = 0.0) -> None:
        """Edges ``a[i] -> b[i]``: one value (or array) per edge attribute."""
        n = len(a)
        self.wait.append(np.broadcast_to(np.asarray(wait, dtype=float), (n,)).copy())
        self.a.append(np.asarray(a, dtype=np.int64))
        self.b.append(np.asarray(b, dtype=np.int64))
        self.minutes.append(np.asarray(minutes, dtype=float))
        self.length.append(np.asarray(length, dtype=float))
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self.mode.append(np.broadcast_to(np.asarray(mode, dtype=object), (n,)).copy())
        self.kind.append(texts(n, kind))
        self.name.append(np.broadcast_to(np.asarray(name, dtype=object), (n,)).copy())
        self.days.append(np.zeros(n, np.int64))
        self.depart.append(texts(n, ""))

    def scheduled(self, days: np.ndarray, depart: np.ndarray) -> None:
        """The weekday schedule of the edges added last (see :mod:`planner.network.schedule`)."""
        self.days[-1] = np.asarray(days, np.int64)
        self.depart[-1] = np.asarray(depart, dtype=object)

    def cat(self, attr: str, dtype: Any = None) -> np.ndarray:
        parts = getattr(self, attr)
        if not parts:
            return np.zeros(0, dtype=dtype or float)
        return np.concatenate(parts)


def _line_edges(lines: gpd.GeoDataFrame, spec: NetworkSpec, crs: CRS, src: str,
                class_column: str, pc: ProblemCollector, closed_log: list[str]
                ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Validate a line layer and return (start xy, end xy, per-direction edge attributes)."""
    warnings: list[str] = []
    if len(lines) == 0:
        return np.zeros((0, 2)), np.zeros((0, 2)), {}
    if class_column not in lines.columns:
        pc.add(src, f"missing column '{class_column}' (the class or mode of each line); found "
               f"{', '.join(map(str, lines.columns))}", column=class_column)
        return np.zeros((0, 2)), np.zeros((0, 2)), {}
    lines = check_geometries(lines, src, pc, ("LineString", "MultiLineString"), warnings)
    if pc.problems:
        return np.zeros((0, 2)), np.zeros((0, 2)), {}
    if (lines.geom_type == "MultiLineString").any():
        lines = lines.explode(index_parts=False)
    lines = lines.reset_index(names="_feature")
    feat = lines["_feature"].to_numpy()
    # per class once, then spread to the lines (a class code per line)
    code, classes = pd.factorize(lines[class_column].fillna("").astype(str).str.strip())
    classes = np.asarray(classes, dtype=object)
    cls = classes[code]
    if (classes == "").any():
        empty = (classes == "")[code]
        pc.add(src, "empty class; expected e.g. road, river, sea", column=class_column,
               where=feature_refs(np.unique(feat[empty])))
    specs = [spec.class_spec(c) for c in classes]
    mode = np.array([s.mode for s in specs], dtype=object)[code]
    vals = {c: _numeric(lines, c, src, pc) for c in
            ("length_m", "speed_kmh", "upstream_kmh", "minutes", "wait_minutes", "cost_rupiah")}
    proj = lines.to_crs(crs)
    length = np.where(np.isnan(vals["length_m"]), proj.geometry.length.to_numpy(),
                      vals["length_m"])
    cls_speed = np.array([np.nan if s.speed_kmh is None else s.speed_kmh for s in specs],
                         dtype=float)[code]
    cls_up = np.array([np.nan if s.upstream_kmh is None else s.upstream_kmh for s in specs],
                      dtype=float)[code]
    cls_cost = np.array([np.nan if s.rupiah_per_km is None else s.rupiah_per_km
                         for s in specs], dtype=float)[code]
    speed = np.where(np.isnan(vals["speed_kmh"]), cls_speed, vals["speed_kmh"])
    up = np.where(np.isnan(vals["upstream_kmh"]), cls_up, vals["upstream_kmh"])
    up = np.where(np.isnan(up), speed, up)
    wait = np.nan_to_num(vals["wait_minutes"], nan=0.0)
    given = ~np.isnan(vals["minutes"])
    for mask, msg, col in (
        (~given & np.isnan(speed) & (cls != ""),
         "no speed for this class: give speed_kmh or minutes on the line, or a speed in the "
         "scenario's [network.classes.<class>] or [network.speed_kmh]", "speed_kmh"),
        (~given & (speed <= 0), "speed must be > 0 km/h", "speed_kmh"),
        (~given & (up <= 0), "upstream speed must be > 0 km/h", "upstream_kmh"),
        (~given & (length <= 0), "zero-length line; expected two distinct end points or a "
         "length_m > 0", "length_m"),
        (given & (vals["minutes"] < 0), "minutes must be >= 0", "minutes"),
        (wait < 0, "wait_minutes must be >= 0", "wait_minutes"),
        (~given & (speed > 1000), "speed above 1000 km/h is not plausible", "speed_kmh"),
        (np.isinf(vals["minutes"]), "expected a finite number of minutes", "minutes"),
        (np.isinf(vals["wait_minutes"]), "expected a finite number of minutes", "wait_minutes"),
        (np.isinf(vals["length_m"]), "expected a finite length", "length_m"),
        (np.isinf(vals["upstream_kmh"]), "expected a finite speed", "upstream_kmh"),
        (np.isinf(vals["cost_rupiah"]) | (vals["cost_rupiah"] < 0),
         "expected a finite cost >= 0", "cost_rupiah"),
    ):
        if mask.any():
            pc.add(src, msg, where=feature_refs(np.unique(feat[mask])), column=col)
    if pc.problems:
        return np.zeros((0, 2)), np.zeros((0, 2)), {}
    # seasons
    rules = [spec.season_rule(c, s.mode) for c, s in zip(classes, specs, strict=True)]
    factor = np.array([r.speed_factor for r in rules], dtype=float)[code]
    closed = np.array([r.closed for r in rules], dtype=bool)[code]
    if spec.season and "closed_seasons" in lines.columns:
        which, listed = pd.factorize(lines["closed_seasons"].fillna("").astype(str))
        closed |= np.array([spec.season in [t.strip() for t in re.split(r"[,;]", v)]
                            for v in listed], dtype=bool)[which]
    if closed.any():
        closed_log.append(f"{src}: {int(closed.sum())} line(s) closed in season "
                          f"'{spec.season}'")
    flow_up = (lines["flow"].fillna("").astype(str).str.strip().str.lower() == "upstream"
               ).to_numpy() if "flow" in lines.columns else np.zeros(len(lines), bool)
    fwd_speed = np.where(flow_up, up, speed) * factor
    back_speed = np.where(flow_up, speed, up) * factor
    fwd = np.where(given, vals["minutes"] / factor, length / 1000 / np.where(
        given, 1, fwd_speed) * 60) + wait
    back = np.where(given, vals["minutes"] / factor, length / 1000 / np.where(
        given, 1, back_speed) * 60) + wait
    cost = np.where(np.isnan(vals["cost_rupiah"]), length / 1000 * cls_cost,
                    vals["cost_rupiah"])
    oneway = _truthy(lines["oneway"]) if "oneway" in lines.columns else np.zeros(len(lines),
                                                                                   bool)
    names = (lines["name"].fillna("").astype(str).to_numpy(dtype=object)
             if "name" in lines.columns else np.full(len(lines), "", dtype=object))
    keep = ~closed
    g = np.asarray(proj.geometry.values, dtype=object)
    xy = shapely.get_coordinates(g)
    last = np.cumsum(shapely.get_num_coordinates(g)) - 1
    start = xy[np.r_[0, last[:-1] + 1]] if len(g) else np.zeros((0, 2))
    end = xy[last]
    attrs = {"fwd": fwd, "back": back, "length": length, "cost": cost, "mode": mode,
             "oneway": oneway, "name": names, "keep": keep, "wait": wait,
             "cls": np.asarray(cls, dtype=object), "geom": np.asarray(g, dtype=object)}
    return start, end, attrs


def _read_links(path: Path, pc: ProblemCollector) -> pd.DataFrame | None:
    try:
        df = io.read_table(path)
    except InputError as exc:
        pc.problems.extend(exc.problems)
        return None
    src = str(path)
    nums = df.attrs.get("row_numbers")

    def rows(idx: np.ndarray) -> str:
        return row_refs(idx, numbers=nums)

    needed = {"from": "start place", "to": "end place", "mode": "sea, air, river...",
              "minutes": "time on board"}
    missing = [c for c in needed if c not in df.columns]
    for c in missing:
        pc.add(src, f"missing column '{c}' ({needed[c]}); found {', '.join(df.columns)}",
               column=c)
    if missing:
        return None
    for c in ("minutes", "departures_per_week", "wait_minutes", "fare"):
        df[c] = _numeric(df, c, src, pc, fmt=rows)
    for col, msg in (("minutes", "minutes must be a finite number >= 0"),
                     ("departures_per_week", "departures_per_week must be a finite number > 0"),
                     ("wait_minutes", "wait_minutes must be a finite number >= 0"),
                     ("fare", "fare must be a finite number >= 0")):
        v = df[col].to_numpy()
        bad = (v <= 0) if col == "departures_per_week" else (v < 0)
        bad = bad | np.isinf(v)
        if col == "minutes":
            bad = bad | np.isnan(v)
        if bad.any():
            pc.add(src, msg, where=rows(np.flatnonzero(bad)), column=col)
    empty = df["mode"].fillna("").astype(str).str.strip() == ""
    if empty.any():
        pc.add(src, "empty mode", where=rows(np.flatnonzero(empty)), column="mode")
    _read_schedule(df, src, pc, rows)
    return df


def _read_schedule(df: pd.DataFrame, src: str, pc: ProblemCollector,
                   rows: Callable[[np.ndarray], str]) -> None:
    """Optional ``days`` and ``depart`` columns (see :mod:`planner.network.schedule`) as
    ``_days`` (bit mask, 0 = not scheduled) and ``_depart`` (normalised ``HH:MM;HH:MM``);
    a scheduled row without ``departures_per_week`` gets its count from the schedule."""
    from . import schedule

    def text(col: str) -> pd.Series:
        if col not in df.columns:
            return pd.Series([""] * len(df), index=df.index)
        return df[col].fillna("").astype(str).str.strip()

    days, depart = text("days"), text("depart")
    masks = np.zeros(len(df), np.int64)
    times = np.full(len(df), "", dtype=object)
    problems: dict[tuple[str, str], list[int]] = {}
    for i, (d, t) in enumerate(zip(days, depart, strict=True)):
        if not d and not t:
            continue
        found: list[Any] = []
        for col, parse, value in (("days", schedule.parse_days, d or "daily"),
                                  ("depart", schedule.parse_times, t)):
            try:
                found.append(parse(value))
            except ValueError as exc:
                msg = (str(exc) if t or col == "days" else "a scheduled service needs its "
                       "departure time(s), e.g. 08:30")
                problems.setdefault((col, msg), []).append(i)
        if len(found) < 2:
            continue
        mask, clock = found
        masks[i], times[i] = mask, schedule.format_times(clock)
        if np.isnan(df["departures_per_week"].iat[i]):
            df.loc[df.index[i], "departures_per_week"] = schedule.per_week(mask, clock)
    for (col, msg), idx in problems.items():
        pc.add(src, msg, where=rows(np.array(idx)), column=col)
    df["_days"], df["_depart"] = masks, times


# --- building -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """Every source file of a network spec, read (and its tables checked) once.

    A seasonal run builds the network twice from the same reads: in its season, and
    without it to tell which villages the season closes. ``line_problems``,
    ``place_problems`` (one tuple per place layer) and the link tables' problems are
    reported by :func:`build_network` in the order the files are listed.
    """

    line_layers: tuple[tuple[Path, gpd.GeoDataFrame], ...]
    line_problems: tuple[Problem, ...]
    osm: tuple[tuple[Path, gpd.GeoDataFrame, gpd.GeoDataFrame], ...]
    place_layers: tuple[gpd.GeoDataFrame | None, ...]
    place_problems: tuple[tuple[Problem, ...], ...]
    links: tuple[tuple[Path, pd.DataFrame], ...]
    link_problems: tuple[Problem, ...]


def read_sources(spec: NetworkSpec) -> Sources:
    """Read every source file of a network spec once.

    Parameters
    ----------
    spec : NetworkSpec
        Its line layers, OSM extracts, place layers and link tables.

    Returns
    -------
    Sources
        The layers and tables as read, with the problems found reading them (raised by
        :func:`build_network`, together with every other problem).
    """
    lines: list[tuple[Path, gpd.GeoDataFrame]] = []
    line_pc = ProblemCollector()
    for path in spec.lines:
        try:
            lines.append((path, io.read_vector(
                path, choose="a network line file is read whole: save the line layer in a "
                "GeoPackage of its own (QGIS: Export, or ogr2ogr)")))
        except InputError as exc:
            line_pc.problems.extend(exc.problems)
    extracts = [(path, *read_osm(path)) for path in spec.osm]
    layers: list[gpd.GeoDataFrame | None] = []
    place_problems: list[tuple[Problem, ...]] = []
    for pl in spec.places:
        try:
            layers.append(io.read_vector(pl.layer.path, pl.layer.layer))
            place_problems.append(())
        except InputError as exc:
            layers.append(None)
            place_problems.append(tuple(exc.problems))
    link_pc = ProblemCollector()
    links = [(p, df) for p in spec.links if (df := _read_links(p, link_pc)) is not None]
    return Sources(tuple(lines), tuple(line_pc.problems), tuple(extracts), tuple(layers),
                   tuple(place_problems), tuple(links), tuple(link_pc.problems))


def build_network(spec: NetworkSpec, crs: CRS, points: dict[str, Points],
                  access: Access, *, sources: Sources | None = None,
                  node_every_m: float | None = None) -> Network:
    """Build the network from every source in ``spec`` and join the points to it.

    Parameters
    ----------
    spec : NetworkSpec
        Sources, classes, speeds, seasons, transfers.
    crs : pyproj.CRS
        The study area's metric CRS.
    points : dict
        ``{"village": Points, "service": Points}``; more kinds may be given.
    access : Access
        Walking speed (km/h), detour factor and the walking limit (km).
    sources : Sources, optional
        The spec's files as read by :func:`read_sources` (read here when not given).
    node_every_m : float, optional
        Give the land lines a walker can step onto (foot, road and track, not motorways)
        a node at least every this many metres along them (their time, length and cost
        shared out by length; travel times unchanged): walking over terrain joins a line
        at the nodes in a cell, so a long straight road is joined wherever it passes
        (:func:`planner.network.terrain.extend`).

    Returns
    -------
    Network
        The mode-expanded graph with the points joined, and its build report.

    Raises
    ------
    InputError
        Listing every problem of every source file at once.
    """
    if sources is None:
        sources = read_sources(spec)
    pc = ProblemCollector()
    closed_log: list[str] = []
    src = _read_lines(spec, crs, pc, closed_log, sources)
    place_points, failed_prefixes = _read_places(spec, crs, pc, sources)
    pc.problems.extend(sources.link_problems)
    links = list(sources.links)
    all_points = {**points, **{p.kind: p for p in src.places + place_points}}
    _check_link_places(links, all_points, failed_prefixes, pc)
    pc.raise_if_any()

    attrs, la, lb, net_xy = _line_nodes(src.starts, src.ends, src.attrs, spec.snap_m)
    landing_layers = {p.prefix for p in spec.places if p.landing}
    landings = np.vstack([np.zeros((0, 2)), *src.landings,
                          *(p.xy for p in place_points if p.kind in landing_layers)])
    attrs, la, lb, net_xy, water_report = _connect_water(attrs, la, lb, net_xy, landings,
                                                         spec, access)
    targets, attrs, la, lb, net_xy = _split_at_points(
        all_points, attrs, la, lb, net_xy, spec.snap_m, access.max_km * 1000.0,
        _link_pairs(links, all_points))
    if node_every_m is not None and attrs:
        attrs, la, lb, net_xy = _nodes_along(attrs, la, lb, net_xy, node_every_m)
    edges = _Edges()
    phys_xy, labels, point_phys, access_m, snapped = _join_points(
        all_points, net_xy, spec.snap_m, access, edges, targets)
    if attrs:  # line edges (both directions unless one-way; closed lines dropped)
        k = attrs["keep"]
        two = k & ~attrs["oneway"]
        edges.add(la[k], lb[k], attrs["fwd"][k], attrs["length"][k], attrs["cost"][k],
                  attrs["mode"][k], "line", attrs["name"][k], attrs["wait"][k])
        edges.add(lb[two], la[two], attrs["back"][two], attrs["length"][two],
                  attrs["cost"][two], attrs["mode"][two], "line", attrs["name"][two],
                  attrs["wait"][two])
        # a one-way road or track stops vehicles, not people: they walk it back on foot
        walk = k & attrs["oneway"] & np.isin(attrs["mode"], list(LAND_MODES - {"foot"}))
        if walk.any():
            edges.add(lb[walk], la[walk], attrs["length"][walk] / (access.walk_kmh * 1000 / 60),
                      attrs["length"][walk], 0.0, "foot", "line", attrs["name"][walk])
    _add_link_edges(edges, links, all_points, point_phys, phys_xy)

    net = _expand(crs, phys_xy, labels, edges, spec)
    # stops for villages and services: origin (out) and destination (in)
    _add_stops(net, point_phys, points)
    net.access_m = {k: access_m[k] for k in points}
    net.snapped = {k: snapped[k] for k in points}
    net.joined = {k: np.where(np.isfinite(access_m[k]), targets[k][2], "").astype(object)
                  for k in points}
    net.points = dict(all_points)  # villages, services and the places of the spec
    net.report = {"network_nodes": len(net_xy), "line_edges": int((net.kind == "line").sum()),
                  "link_edges": int((net.kind == "link").sum()),
                  "transfer_edges": int((net.kind == "transfer").sum()),
                  "closed": closed_log, "season": spec.season or "(none)"}
    if src.osm_reports:
        net.report["osm"] = src.osm_reports
    if water_report["landings"] or water_report["dead_ends"]:
        net.report["road_water_connections"] = water_report
    return net


@dataclass
class _Lines:
    """What the line sources give: per source the segments' start and end points and
    attributes; the OSM extracts' aerodromes (as places), reports and landings (metric)."""

    starts: list[np.ndarray] = field(default_factory=list)
    ends: list[np.ndarray] = field(default_factory=list)
    attrs: list[dict[str, np.ndarray]] = field(default_factory=list)
    places: list[Points] = field(default_factory=list)
    osm_reports: list[dict[str, Any]] = field(default_factory=list)
    landings: list[np.ndarray] = field(default_factory=list)


def _read_lines(spec: NetworkSpec, crs: CRS, pc: ProblemCollector, closed_log: list[str],
                read: Sources) -> _Lines:
    """Every line source (line files and OSM extracts) as segments (see :class:`_Lines`)."""
    out = _Lines()
    pc.problems.extend(read.line_problems)
    sources: list[tuple[Path, gpd.GeoDataFrame, NetworkSpec, str]] = [
        (path, layer, spec, spec.class_column) for path, layer in read.line_layers]
    for path, lines, aero in read.osm:
        osm_spec = spec_with_osm_defaults(spec, lines)
        classes = pd.unique(lines["class"].to_numpy(object))
        walking = [c for c in classes if osm_spec.class_spec(c).mode == "foot"]
        if walking:  # classes the scenario walks: no vehicle rules (surface, one-way)
            on_foot = lines["class"].isin(walking).to_numpy()
            lines = lines.assign(
                speed_factor=np.where(on_foot, 1.0, lines["speed_factor"].astype(float)),
                maxspeed_kmh=np.where(on_foot, np.nan, lines["maxspeed_kmh"].astype(float)),
                oneway=np.where(on_foot, False, lines["oneway"].astype(bool)))
        lines = osm.with_speeds(lines, {c: osm_spec.class_spec(c).speed_kmh for c in classes})
        sources.append((path, lines, osm_spec, "class"))
        out.osm_reports.append(lines.attrs.get("osm_report", {}))
        if len(lines.attrs.get("landings", ())):
            xy = np.asarray(lines.attrs["landings"], dtype=float).reshape(-1, 2)
            proj = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326"
                                 ).to_crs(crs)
            out.landings.append(shapely.get_coordinates(proj.values))
        if len(aero):
            xy = shapely.get_coordinates(aero.to_crs(crs).geometry.values)
            out.places.append(Points("aerodrome", aero["code"].tolist(),
                                     aero["name"].tolist(), xy))
    for path, layer, source_spec, class_column in sources:
        s, e, found = _line_edges(layer, source_spec, crs, str(path), class_column, pc,
                                  closed_log)
        if found:
            out.starts.append(s)
            out.ends.append(e)
            out.attrs.append(found)
    return out


def _read_places(spec: NetworkSpec, crs: CRS, pc: ProblemCollector, read: Sources
                 ) -> tuple[list[Points], set[str]]:
    """The place layers (airstrips, ports...) and the prefixes of those that failed (their
    problems are collected; links naming them are not reported a second time)."""
    place_points: list[Points] = []
    failed_prefixes: set[str] = set()
    for pl, gdf, problems in zip(spec.places, read.place_layers, read.place_problems,
                                 strict=True):
        own = ProblemCollector()  # a bad place file must not hide or fake other problems
        own.problems.extend(problems)
        if gdf is not None:
            for c in (pl.layer.code, pl.layer.name):
                if c not in gdf.columns:
                    own.add(str(pl.layer.path), f"missing column '{c}'", column=c)
        if gdf is not None and not own.problems:
            gdf = check_geometries(gdf, str(pl.layer.path), own, ("Point",), [])
        if gdf is None or own.problems:
            pc.problems.extend(own.problems)
            failed_prefixes.add(pl.prefix)
            continue
        xy = shapely.get_coordinates(gdf.to_crs(crs).geometry.values)
        place_points.append(Points(pl.prefix, gdf[pl.layer.code].astype(str).str.strip()
                                   .tolist(), gdf[pl.layer.name].fillna("").astype(str).tolist(),
                                   xy))
    return place_points, failed_prefixes


def _check_link_places(links: list[tuple[Path, pd.DataFrame]], all_points: dict[str, Points],
                       failed_prefixes: set[str], pc: ProblemCollector) -> None:
    """Every ``from``/``to`` of the link tables names a point of the scenario."""
    known = {_key(kind, ref) for kind, pts in all_points.items() for ref in pts.refs}
    kinds = sorted({k.split(":")[0] for k in known} | failed_prefixes)
    for path, df in links:
        nums = df.attrs.get("row_numbers")
        for col in ("from", "to"):
            refs = df[col].fillna("").astype(str).str.strip()
            unknown: dict[str, list[int]] = {}
            for i, ref in enumerate(refs):
                if ref.split(":", 1)[0] in failed_prefixes:
                    continue  # its place file is already reported
                if _ref_key(ref) not in known:
                    unknown.setdefault(ref, []).append(i)
            for ref, rows in unknown.items():
                where = row_refs(np.array(rows), numbers=nums)
                pc.add(str(path), f"unknown place {ref!r}; expected one of the forms "
                       f"{', '.join(f'{k}:<code>' for k in kinds)} naming a point of the "
                       "scenario", where=where, column=col)


def _line_nodes(starts: list[np.ndarray], ends: list[np.ndarray],
                attrs_list: list[dict[str, np.ndarray]], snap: float
                ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The physical nodes of the line segments: ends closer than ``snap`` metres (real
    distance, chained: a KD-tree finds the close pairs, connected components merge them) are
    one node, at the mean of its ends. Returns the segments' attributes, start and end node
    ids, and the nodes' coordinates."""
    if not starts:
        empty = np.zeros(0, np.int64)
        return {}, empty, empty, np.zeros((0, 2))
    start = np.vstack(starts)
    end = np.vstack(ends)
    attrs = {k: np.concatenate([a[k] for a in attrs_list]) for k in attrs_list[0]}
    xy = np.vstack([start, end])
    # exact repeats first (as complex numbers: one sort, lexicographic by x then y)
    uz, inverse = np.unique(np.ascontiguousarray(xy, dtype=float).view(np.complex128).ravel(),
                            return_inverse=True)
    uniq = np.c_[uz.real, uz.imag]
    inverse = inverse.ravel()
    labels = _merge_close(uniq, snap)
    n = int(labels.max()) + 1 if len(labels) else 0
    counts = np.bincount(labels, minlength=n).astype(float)
    node_xy = np.c_[np.bincount(labels, uniq[:, 0], n), np.bincount(labels, uniq[:, 1], n)]
    node_xy /= counts[:, None]
    ids = labels[inverse]
    return attrs, ids[: len(start)], ids[len(start):], node_xy


def _merge_close(xy: np.ndarray, snap: float) -> np.ndarray:
    """Component label of each point when points closer than ``snap`` are joined (labels
    numbered in order of each component's first point, so the result is deterministic)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(xy)
    if n == 0:
        return np.zeros(0, np.int64)
    pairs = cKDTree(xy).query_pairs(snap, output_type="ndarray") if snap > 0 \
        else np.zeros((0, 2), np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    # renumber in order of first appearance
    first = np.full(comp.max() + 1, n, np.int64)
    np.minimum.at(first, comp, np.arange(n))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return np.asarray(rank[comp], dtype=np.int64)


NOT_JOINABLE_CLASSES = frozenset({"motorway", "motorway_link", "trunk_link"})
"""Line classes a person cannot join from the roadside: points join them only when no other
line is within the walking limit."""

NOT_JOINABLE_MODES = frozenset({"air", "sea"})
"""Line modes joined only at their ends (ports, airstrips), never along the way."""


LAND_MODES = frozenset({"road", "track", "foot"})
WATER_MODES = frozenset({"river", "ferry"})


def _connect_water(attrs: dict[str, np.ndarray], la: np.ndarray, lb: np.ndarray,
                   net_xy: np.ndarray, landings: np.ndarray, spec: NetworkSpec,
                   access: Access) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                            np.ndarray, dict[str, int]]:
    """Where land and water lines meet without sharing a node (OSM rivers never share one
    with roads): at each landing, its nearest land node (road, track or path end or
    junction) joins the nearest point on a water line, both within ``spec.landing_m``; as a
    fallback, every land dead end within ``landing_m`` of a water line joins it. The water
    line is split there; the connection is a line of the water mode walked at ``walk_kmh``
    (``straight × detour``), so the scenario's transfer penalty between the two modes is paid
    at the land node."""
    report = {"landings": 0, "dead_ends": 0}
    if not attrs or spec.landing_m <= 0:
        return attrs, la, lb, net_xy, report
    keep = attrs["keep"]
    land = keep & np.isin(attrs["mode"], list(LAND_MODES))
    water = keep & np.isin(attrs["mode"], list(WATER_MODES))
    if not land.any() or not water.any():
        return attrs, la, lb, net_xy, report
    n = len(net_xy)
    land_deg = np.bincount(np.r_[la[land], lb[land]], minlength=n)
    water_deg = np.bincount(np.r_[la[water], lb[water]], minlength=n)
    on_land = np.flatnonzero((land_deg > 0) & (water_deg == 0))
    # (land node, where the water is looked for, metres walked before): at a landing, from
    # the land node to the landing, then to the water; at a dead end, from the node itself
    node_l, look, before = [], [], []
    if len(landings) and len(on_land):
        d, i = cKDTree(net_xy[on_land]).query(landings)
        near = d <= spec.landing_m
        node_l += on_land[i[near]].tolist()
        look += landings[near].tolist()
        before += d[near].tolist()
    dead = np.flatnonzero((land_deg == 1) & (water_deg == 0))
    node_l += dead.tolist()
    look += net_xy[dead].tolist()
    before += [0.0] * len(dead)
    if not node_l:
        return attrs, la, lb, net_xy, report
    cand = np.flatnonzero(water)
    pts = shapely.points(np.asarray(look, dtype=float))
    pi, ci = shapely.STRtree(attrs["geom"][cand]).query(pts, predicate="dwithin",
                                                          distance=spec.landing_m)
    if not len(pi):
        return attrs, la, lb, net_xy, report
    li = cand[ci]
    d = shapely.distance(pts[pi], attrs["geom"][li]) + np.asarray(before)[pi]
    pi, li, d = _nearest(pi, li, d, np.zeros(len(li), bool), np.zeros(len(li), bool))
    # one connection per land node (the shortest)
    spot = np.asarray(node_l, np.int64)[pi]
    order = np.lexsort((d, spot))
    first = np.r_[True, spot[order][1:] != spot[order][:-1]]
    pi, li, d, spot = pi[order][first], li[order][first], d[order][first], spot[order][first]
    from_landing = pi < (len(node_l) - len(dead))
    report["landings"] = int(from_landing.sum())
    report["dead_ends"] = int((~from_landing).sum())
    along = shapely.line_locate_point(attrs["geom"][li], pts[pi])
    mode = attrs["mode"][li]
    attrs, la, lb, net_xy, water_node = _nodes_on_lines(attrs, la, lb, net_xy, li, along)
    walk_m = d * access.detour
    minutes = walk_m / 1000 / access.walk_kmh * 60
    extra = {"fwd": minutes, "back": minutes, "length": walk_m, "cost": np.zeros(len(pi)),
             "mode": mode, "oneway": np.zeros(len(pi), bool),
             "name": np.full(len(pi), "landing", dtype=object), "keep": np.ones(len(pi), bool),
             "wait": np.zeros(len(pi)), "cls": np.full(len(pi), "landing", dtype=object),
             "geom": np.asarray(shapely.linestrings(np.stack(
                 [net_xy[spot], net_xy[water_node]], axis=1)), dtype=object)}
    attrs = {k: np.concatenate([v, np.asarray(extra[k], dtype=v.dtype)])
             for k, v in attrs.items()}
    return attrs, np.r_[la, spot], np.r_[lb, water_node], net_xy, report


def _split_at_points(all_points: dict[str, Points], attrs: dict[str, np.ndarray],
                     la: np.ndarray, lb: np.ndarray, net_xy: np.ndarray, snap: float,
                     max_m: float, link_pairs: np.ndarray | None = None
                     ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                                dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Join every point to the nearest point ON the nearest usable line within ``max_m``
    (a village beside a long track joins it where it passes, not at its far end). A line
    is split there: a new node, the line's time, length and cost shared out by length
    (a wait, e.g. for a boat, is paid on each piece: boarding there); lines of the
    :data:`NOT_JOINABLE_CLASSES` are used only when nothing else is in reach, lines of the
    :data:`NOT_JOINABLE_MODES` never; of the lines in reach, those of a part of the network
    that holds a service point (through lines and the ``link_pairs`` of points) come
    first, so a village is not joined to an isolated stub. Returns per kind of point (target
    node, distance m, the line joined: -1, inf, -1 when none is in reach) and the lines, their
    end nodes and the node coordinates with the new nodes. The third array per kind says
    what each point joined (class, mode, along the line or at its end)."""
    n_pts = {k: len(p.refs) for k, p in all_points.items()}
    total = sum(n_pts.values())
    empty = {k: (np.full(n, -1, np.int64), np.full(n, np.inf), texts(n, ""))
             for k, n in n_pts.items()}
    if not attrs or total == 0:
        return empty, attrs, la, lb, net_xy
    usable = attrs["keep"] & ~np.isin(attrs["mode"], list(NOT_JOINABLE_MODES))
    cand = np.flatnonzero(usable)
    if not len(cand):
        return empty, attrs, la, lb, net_xy
    geoms = attrs["geom"]
    xy = np.vstack([p.xy for p in all_points.values()])
    pts = shapely.points(xy)
    pi, ci = shapely.STRtree(geoms[cand]).query(pts, predicate="dwithin", distance=max_m)
    li = cand[ci]
    d = shapely.distance(pts[pi], geoms[li])
    second = np.isin(attrs["cls"][li], list(NOT_JOINABLE_CLASSES))
    p0, l0, _ = _nearest(pi, li, d, second, np.zeros(len(li), bool))
    chosen = np.full(total, -1, np.int64)
    chosen[p0] = l0
    service = np.zeros(total, bool)
    start = 0
    for k, n in n_pts.items():
        service[start:start + n] = k == "service"
        start += n
    served = _served_lines(la, lb, attrs["keep"], len(net_xy), chosen, service, link_pairs)
    pi, li, d = _nearest(pi, li, d, second, ~served[li])
    target = np.full(total, -1, np.int64)
    dist = np.full(total, np.inf)
    joined = texts(total, "")
    dist[pi] = d
    along = shapely.line_locate_point(geoms[li], pts[pi])
    length = shapely.length(geoms[li])
    at_start, at_end = along <= snap, along >= length - snap
    target[pi[at_start]] = la[li[at_start]]
    target[pi[at_end & ~at_start]] = lb[li[at_end & ~at_start]]
    inner = ~at_start & ~at_end
    cls, mode = attrs["cls"][li], attrs["mode"][li]
    joined[pi] = [f"{c} ({m}) " + ("along the line" if i else "at a line end or junction")
                  + ("" if ok else ", in a part of the network without an office")
                  for c, m, i, ok in zip(cls, mode, inner, served[li], strict=True)]
    attrs, la, lb, net_xy, new_ids = _nodes_on_lines(attrs, la, lb, net_xy, li[inner],
                                                     along[inner])
    target[pi[inner]] = new_ids
    out, start = {}, 0
    for k, n in n_pts.items():
        out[k] = (target[start:start + n], dist[start:start + n], joined[start:start + n])
        start += n
    return out, attrs, la, lb, net_xy


def _nodes_on_lines(attrs: dict[str, np.ndarray], la: np.ndarray, lb: np.ndarray,
                    net_xy: np.ndarray, line: np.ndarray, along: np.ndarray
                    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray,
                               np.ndarray]:
    """New nodes ``along`` metres into each ``line`` (one per distinct place: points that
    project to the same spot share it), the lines split there (:func:`_split_lines`).
    Returns the lines, their end nodes, the node coordinates and each place's node id."""
    if not len(line):
        return attrs, la, lb, net_xy, np.zeros(0, np.int64)
    geoms = attrs["geom"]
    key = np.c_[line, np.round(along, 3)]
    places, which = np.unique(key, axis=0, return_inverse=True)
    place_line = places[:, 0].astype(np.int64)
    new_ids = len(net_xy) + np.arange(len(places))
    new_xy = shapely.get_coordinates(shapely.line_interpolate_point(geoms[place_line],
                                                                    places[:, 1]))
    frac = np.clip(places[:, 1] / np.maximum(shapely.length(geoms[place_line]), 1e-9), 0, 1)
    attrs, la, lb = _split_lines(attrs, la, lb, place_line, frac, new_ids)
    return attrs, la, lb, np.vstack([net_xy, new_xy]), new_ids[np.asarray(which).ravel()]


def _nodes_along(attrs: dict[str, np.ndarray], la: np.ndarray, lb: np.ndarray,
                 net_xy: np.ndarray, every_m: float
                 ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Cut each joinable land line (open, foot/road/track, not of the
    :data:`NOT_JOINABLE_CLASSES`, without a wait) longer than ``every_m`` metres into equal
    pieces no longer than that, with a node between pieces on the line itself; each piece
    has its share of the line's time, length and cost (so any route's time is unchanged).
    Vectorised; the pieces carry no geometry of their own (nothing splits them again)."""
    geoms = attrs["geom"]
    glen = np.asarray(shapely.length(geoms), float)
    pick = (attrs["keep"] & np.isin(attrs["mode"], list(LAND_MODES))
            & ~np.isin(attrs["cls"], list(NOT_JOINABLE_CLASSES)) & (attrs["wait"] == 0)
            & (glen > every_m))
    lines = np.flatnonzero(pick)
    if not len(lines):
        return attrs, la, lb, net_xy
    n_pieces = np.ceil(glen[lines] / every_m).astype(np.int64)
    line = np.repeat(lines, n_pieces)                 # one row per piece, in line order
    first = np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    k = np.arange(len(line)) - first                  # the piece's rank along its line
    n = n_pieces.repeat(n_pieces)
    inner = k > 0                                     # a piece starting inside its line
    new_xy = shapely.get_coordinates(shapely.line_interpolate_point(
        geoms[line[inner]], (k[inner] / n[inner]), normalized=True))
    new_ids = len(net_xy) + np.arange(int(inner.sum()))
    start = la[line].copy()
    start[inner] = new_ids
    end = lb[line].copy()
    ends_inside = np.r_[inner[1:], False]             # the next piece starts inside this line
    end[ends_inside] = new_ids
    share = 1.0 / n
    pieces = {key: vals[line] for key, vals in attrs.items()}
    for key in ("fwd", "back", "length", "cost"):
        pieces[key] = attrs[key][line] * share
    pieces["geom"] = np.full(len(line), None, dtype=object)
    rest = ~pick
    out = {key: np.concatenate([vals[rest], pieces[key]]) for key, vals in attrs.items()}
    return out, np.r_[la[rest], start], np.r_[lb[rest], end], np.vstack([net_xy, new_xy])


def _nearest(pi: np.ndarray, li: np.ndarray, d: np.ndarray, second: np.ndarray,
             elsewhere: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point, of its candidate lines: first those not ``elsewhere`` (a part without an
    office), then the joinable ones, then the nearest (ties: the lowest line)."""
    order = np.lexsort((li, d, second, elsewhere, pi))
    pi, li, d = pi[order], li[order], d[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    return pi[first], li[first], d[first]


def _served_lines(la: np.ndarray, lb: np.ndarray, keep: np.ndarray, n_nodes: int,
                  chosen: np.ndarray, service: np.ndarray,
                  link_pairs: np.ndarray | None) -> np.ndarray:
    """Per line: does its part of the network (lines, the points on them and the links
    between points) hold a service point?"""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_pts = len(chosen)
    on = np.flatnonzero(chosen >= 0)
    a = [la[keep], n_nodes + on]
    b = [lb[keep], la[chosen[on]]]
    if link_pairs is not None and len(link_pairs):
        a.append(n_nodes + link_pairs[:, 0])
        b.append(n_nodes + link_pairs[:, 1])
    u, v = np.concatenate(a), np.concatenate(b)
    n = n_nodes + n_pts
    _, comp = connected_components(coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)),
                                   directed=False)
    with_office = np.zeros(comp.max() + 1, bool)
    with_office[comp[n_nodes + np.flatnonzero(service)]] = True
    return np.asarray(with_office[comp[la]], dtype=bool)


def _split_lines(attrs: dict[str, np.ndarray], la: np.ndarray, lb: np.ndarray,
                 line: np.ndarray, frac: np.ndarray, node: np.ndarray
                 ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Replace each line that has split points by its pieces: consecutive pieces between its
    ends and the points (in order along it), each with its share of the time (travel part;
    the wait whole), length and cost; for a line with a wait, a piece between every pair
    of its nodes, so boarding anywhere pays one wait."""
    if not len(line):
        return attrs, la, lb
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in attrs}
    pa: list[int] = []
    pb: list[int] = []
    order = np.lexsort((frac, line))
    line, frac, node = line[order], frac[order], node[order]
    bounds = np.flatnonzero(np.r_[True, line[1:] != line[:-1], True])
    for s, e in itertools.pairwise(bounds):
        j = int(line[s])
        f = np.r_[0.0, frac[s:e], 1.0]
        ids = np.r_[la[j], node[s:e], lb[j]]
        pairs = ([(a, b) for a in range(len(ids)) for b in range(a + 1, len(ids))]
                 if attrs["wait"][j] > 0 else [(a, a + 1) for a in range(len(ids) - 1)])
        wait = attrs["wait"][j]
        for a, b in pairs:
            share = f[b] - f[a]
            for k in attrs:
                pieces[k].append(attrs[k][j])
            pieces["fwd"][-1] = (attrs["fwd"][j] - wait) * share + wait
            pieces["back"][-1] = (attrs["back"][j] - wait) * share + wait
            pieces["length"][-1] = attrs["length"][j] * share
            pieces["cost"][-1] = attrs["cost"][j] * share
            if "geom" in pieces:  # the piece's own stretch of the line (it may be split again)
                pieces["geom"][-1] = substring(attrs["geom"][j], f[a], f[b], normalized=True)
            pa.append(int(ids[a]))
            pb.append(int(ids[b]))
    split = np.zeros(len(la), bool)
    split[np.unique(line)] = True
    keep_rows = ~split
    new = {k: np.concatenate([v[keep_rows], np.asarray(pieces[k], dtype=v.dtype)])
           for k, v in attrs.items()}
    return new, np.r_[la[keep_rows], np.asarray(pa, np.int64)], \
        np.r_[lb[keep_rows], np.asarray(pb, np.int64)]


def _join_points(all_points: dict[str, Points], net_xy: np.ndarray, snap: float,
                 access: Access, edges: _Edges,
                 targets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
                 ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray],
                            dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Points -> physical nodes: a point within ``snap`` of its target node (the point where
    it joins a line, see :func:`_split_at_points`) sits on it;
    any other gets a node of its own and a walking connector (both ways) to the target within
    the walking limit. Returns every node's coordinates and label, and per kind of point its
    node ids, walking metres (NaN: too far) and whether it sits on the network."""
    n_net = len(net_xy)
    phys_xy = [net_xy]
    phys_label = [texts(n_net, "")]
    next_id = n_net
    point_phys: dict[str, np.ndarray] = {}
    access_m: dict[str, np.ndarray] = {}
    snapped: dict[str, np.ndarray] = {}
    for kind, pts in all_points.items():
        n = len(pts.refs)
        idx, dist, _ = targets[kind]
        on = dist <= snap
        own = ~on
        ids = np.where(on, idx, -1).astype(np.int64)
        ids[own] = np.arange(next_id, next_id + int(own.sum()))
        next_id += int(own.sum())
        phys_xy.append(pts.xy[own])
        phys_label.append(np.array(pts.labels, dtype=object)[own])
        walk = own & (dist <= access.max_km * 1000.0)
        length = dist[walk] * access.detour
        minutes = length / 1000.0 / access.walk_kmh * 60.0
        a, b = ids[walk], idx[walk]
        names = np.array([f"walk {pts.refs[i]}" for i in np.flatnonzero(walk)], dtype=object)
        edges.add(np.r_[a, b], np.r_[b, a], np.r_[minutes, minutes], np.r_[length, length],
                  0.0, "foot", "access", np.r_[names, names])
        acc = np.full(n, np.nan)
        acc[on] = 0.0
        acc[walk] = length
        point_phys[kind], access_m[kind], snapped[kind] = ids, acc, on
    xy = np.vstack(phys_xy)
    labels = np.concatenate(phys_label)
    for kind, pts in all_points.items():  # label network nodes that a point sits on
        on = snapped[kind]
        ids = point_phys[kind][on]
        fresh = labels[ids] == ""
        labels[ids[fresh]] = np.array(pts.labels, dtype=object)[on][fresh]
    return xy, labels, point_phys, access_m, snapped


def _link_pairs(links: list[tuple[Path, pd.DataFrame]],
                all_points: dict[str, Points]) -> np.ndarray:
    """The (from, to) point of every link row, as indices into all points in order."""
    index: dict[str, int] = {}
    start = 0
    for kind, pts in all_points.items():
        for i, ref in enumerate(pts.refs):
            index[_key(kind, ref)] = start + i
        start += len(pts.refs)
    pairs = [(index[_ref_key(f)], index[_ref_key(t)]) for _p, df in links
             for f, t in zip(df["from"].fillna("").astype(str).str.strip(),
                             df["to"].fillna("").astype(str).str.strip(), strict=True)
             if _ref_key(f) in index and _ref_key(t) in index]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _add_link_edges(edges: _Edges, links: list[tuple[Path, pd.DataFrame]],
                    all_points: dict[str, Points], point_phys: dict[str, np.ndarray],
                    phys_xy: np.ndarray) -> None:
    """The link tables' rows as edges (both ways unless one-way); the expected wait is the
    stated one, else half the time between departures."""
    lookup = {_key(kind, ref): int(pid) for kind, pts in all_points.items()
              for ref, pid in zip(pts.refs, point_phys[kind], strict=True)}
    for _path, df in links:
        ok_rows = [(i, lookup[_ref_key(f)], lookup[_ref_key(t)]) for i, (f, t) in enumerate(zip(
            df["from"].fillna("").astype(str).str.strip(),
            df["to"].fillna("").astype(str).str.strip(), strict=True))]
        if not ok_rows:
            continue
        idx = np.array([o[0] for o in ok_rows])
        a = np.array([o[1] for o in ok_rows])
        b = np.array([o[2] for o in ok_rows])
        sub = df.iloc[idx]
        dep = sub["departures_per_week"].to_numpy()
        wait = np.where(np.isnan(sub["wait_minutes"].to_numpy()),
                        np.where(np.isnan(dep), 0.0, WEEK_MINUTES / (2 * np.where(
                            np.isnan(dep), 1, dep))), sub["wait_minutes"].to_numpy())
        minutes = sub["minutes"].to_numpy() + wait
        length = np.hypot(*(phys_xy[a] - phys_xy[b]).T)
        mode = sub["mode"].astype(str).str.strip().to_numpy(dtype=object)
        nm = (sub["name"].fillna("").astype(str) if "name" in sub.columns
              else sub["from"].astype(str) + " - " + sub["to"].astype(str)).to_numpy(dtype=object)
        fare = sub["fare"].to_numpy()
        oneway = _truthy(sub["oneway"]) if "oneway" in sub.columns else np.zeros(len(sub), bool)
        days, depart = sub["_days"].to_numpy(np.int64), sub["_depart"].to_numpy(object)
        edges.add(a, b, minutes, length, fare, mode, "link", nm, wait)
        edges.scheduled(days, depart)
        edges.add(b[~oneway], a[~oneway], minutes[~oneway], length[~oneway], fare[~oneway],
                  mode[~oneway], "link", nm[~oneway], wait[~oneway])
        edges.scheduled(days[~oneway], depart[~oneway])


def _key(kind: str, ref: str) -> str:
    """Lookup key of a point: ``village:<normalised code>`` or ``{kind}:{ref}``."""
    return f"village:{normalise_code(ref)}" if kind == "village" else f"{kind}:{ref}"


def _ref_key(ref: str) -> str:
    kind, _, code = ref.partition(":")
    return _key(kind, code)


def spec_with_osm_defaults(spec: NetworkSpec, lines: gpd.GeoDataFrame) -> NetworkSpec:
    """The spec with OSM default speeds/modes (:mod:`planner.inputs.osm`) for the classes the
    scenario does not set (a ``highway`` value without a default gets the fallback speed).

    Parameters
    ----------
    spec : NetworkSpec
        The scenario's network spec.
    lines : GeoDataFrame
        Lines read from an extract (their classes).

    Returns
    -------
    NetworkSpec
        The spec with a class spec for every class in ``lines``.
    """
    from dataclasses import replace

    from ..config import ClassSpec
    classes = dict(spec.classes)
    for c in sorted(pd.unique(lines["class"].to_numpy(dtype=object))):
        if c not in classes and c not in spec.speed_kmh:
            mode = osm.MODE.get(c, "road")
            classes[c] = ClassSpec(mode=mode,
                                   speed_kmh=osm.DEFAULT_KMH.get(c, osm.FALLBACK_KMH),
                                   rupiah_per_km=spec.rupiah_per_km.get(mode))
    return replace(spec, classes=classes)


def _expand(crs: CRS, phys_xy: np.ndarray, labels: np.ndarray, edges: _Edges,
            spec: NetworkSpec) -> Network:
    a, b = edges.cat("a", np.int64), edges.cat("b", np.int64)
    mode = edges.cat("mode", object)
    # one expanded node per (physical node, mode) met there, numbered in sorted order
    # (an integer key per pair: physical node times the number of modes plus the mode's rank)
    m_code, modes = pd.factorize(mode, sort=True)
    n_modes = max(len(modes), 1)
    keys, inv = np.unique(np.r_[a * n_modes + m_code, b * n_modes + m_code],
                          return_inverse=True)
    u, v = inv[: len(a)].astype(np.int64), inv[len(a):].astype(np.int64)
    node_phys = (keys // n_modes).astype(np.int64)
    node_mode = np.asarray(modes, dtype=object)[keys % n_modes]
    pm = pd.DataFrame({"p": node_phys, "m": node_mode})
    # transfers between modes meeting at the same physical node
    tu: Any = []
    tv: Any = []
    tm: Any = []
    tmode: Any = []
    counts = np.bincount(node_phys)[node_phys] if len(node_phys) else np.zeros(0, np.int64)
    multi = pm[counts > 1]
    if len(multi):
        pairs = multi.reset_index().merge(multi.reset_index(), on="p", suffixes=("_a", "_b"))
        pairs = pairs[pairs["index_a"] != pairs["index_b"]]
        tu = pairs["index_a"].to_numpy(np.int64)
        tv = pairs["index_b"].to_numpy(np.int64)
        which, combos = pd.factorize(pd.MultiIndex.from_arrays([pairs["m_a"], pairs["m_b"]]))
        tm = np.array([spec.transfer(x, y) for x, y in combos], dtype=float)[which]
        tmode = (pairs["m_a"] + ">" + pairs["m_b"]).to_numpy(object)
    n_t = len(tu)
    return Network(
        crs=crs, phys_xy=phys_xy, phys_label=labels, node_phys=node_phys, node_mode=node_mode,
        u=np.r_[u, np.asarray(tu, np.int64)], v=np.r_[v, np.asarray(tv, np.int64)],
        minutes=np.r_[edges.cat("minutes"), np.asarray(tm, float)],
        length_m=np.r_[edges.cat("length"), np.zeros(n_t)],
        cost=np.r_[edges.cat("cost"), np.zeros(n_t)],
        mode=np.r_[mode, texts(n_t, "transfer")],
        kind=np.r_[edges.cat("kind", object), texts(n_t, "transfer")],
        name=np.r_[edges.cat("name", object), np.asarray(tmode, dtype=object)],
        wait=np.r_[edges.cat("wait"), np.zeros(n_t)],
        days=np.r_[edges.cat("days", np.int64), np.zeros(n_t, np.int64)],
        depart=np.r_[edges.cat("depart", object), texts(n_t, "")],
    )


def _add_stops(net: Network, point_phys: dict[str, np.ndarray],
               points: dict[str, Points]) -> None:
    layers = pd.DataFrame({"p": net.node_phys, "node": np.arange(net.n_nodes)})
    new_phys, new_mode, eu, ev = [], [], [], []
    nid = net.n_nodes
    for kind in points:
        phys = point_phys[kind]
        out_ids = np.arange(nid, nid + len(phys))
        in_ids = np.arange(nid + len(phys), nid + 2 * len(phys))
        nid += 2 * len(phys)
        new_phys += [phys, phys]
        new_mode += [np.full(2 * len(phys), "", dtype=object)]
        j = pd.DataFrame({"p": phys, "out": out_ids, "in": in_ids}).merge(layers, on="p")
        eu += [j["out"].to_numpy(), j["node"].to_numpy()]
        ev += [j["node"].to_numpy(), j["in"].to_numpy()]
        net.stops[kind] = {"out": out_ids, "in": in_ids}
    if not new_phys:
        return
    m = int(sum(len(x) for x in eu))
    net.node_phys = np.r_[net.node_phys, np.concatenate(new_phys)]
    net.node_mode = np.r_[net.node_mode, np.concatenate(new_mode)]
    net.u = np.r_[net.u, np.concatenate(eu)]
    net.v = np.r_[net.v, np.concatenate(ev)]
    net.minutes = np.r_[net.minutes, np.zeros(m)]
    net.length_m = np.r_[net.length_m, np.zeros(m)]
    net.cost = np.r_[net.cost, np.zeros(m)]
    net.mode = np.r_[net.mode, texts(m, "stop")]
    net.kind = np.r_[net.kind, texts(m, "stop")]
    net.name = np.r_[net.name, texts(m, "")]
    net.wait = np.r_[net.wait, np.zeros(m)]
    net.days = np.r_[net.days, np.zeros(m, np.int64)]
    net.depart = np.r_[net.depart, texts(m, "")]
