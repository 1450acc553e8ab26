"""The multimodal travel network as a NetworkX graph.

Input: any line layer with a ``mode`` column (road, track, river, sea, air, foot...). Each line
is an edge between its end points (snapped to ``snap_m`` metres). Its travel time is

    minutes = length_m / 1000 / speed_kmh * 60 + wait_minutes

unless the line gives ``minutes`` itself (then ``minutes + wait_minutes``). ``length_m``
defaults to the line's length in the study area's metric CRS; ``speed_kmh`` defaults to the
scenario's speed for the mode. Lines are two-way unless ``oneway`` is true.

Points (villages, service points) join the nearest network node on foot: a connector of
``straight distance × detour`` metres at ``walk_kmh``. Points farther than ``max_km`` are
not connected and are reported as beyond the walking limit.

The graph is a ``networkx.DiGraph``; ``G.graph["crs"]`` holds the metric CRS; nodes carry
``x``, ``y`` (metres), ``kind`` and ``ref``; edges carry ``mode``, ``length_m``, ``minutes``,
``wait_minutes`` and ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from .config import Access
from .errors import ProblemCollector
from .validate import _features, check_geometries

_OPTIONAL_NUMERIC = ("length_m", "speed_kmh", "minutes", "wait_minutes")


def _numeric(gdf: gpd.GeoDataFrame, col: str, src: str, pc: ProblemCollector) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), np.nan)
    raw = gdf[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        pc.add(src, f"expected a number, found {raw[bad].iloc[0]!r}",
               where=_features(np.flatnonzero(bad)), column=col)
    return num.to_numpy(dtype=float)


def build_graph(lines: gpd.GeoDataFrame, crs: CRS, speed_kmh: dict[str, float],
                src: str = "network", snap_m: float = 1.0) -> nx.DiGraph:
    """Build the travel graph from a line layer.

    Parameters
    ----------
    lines : GeoDataFrame
        LineStrings with a ``mode`` column and optional ``length_m`` (m), ``speed_kmh``
        (km/h), ``minutes``, ``wait_minutes`` (min), ``oneway`` (bool) and ``name``.
    crs : pyproj.CRS
        The study area's metric CRS.
    speed_kmh : dict
        Default speed per mode, km/h.
    src : str
        The file name, for messages.
    snap_m : float
        End points closer than this (metres, on a grid) become one node.

    Raises
    ------
    InputError
        Listing every bad feature: missing mode, no usable speed, zero length, speed <= 0,
        negative wait, non-numeric values, bad geometry.
    """
    pc = ProblemCollector()
    warnings: list[str] = []
    if len(lines) == 0:
        pc.add(src, "the network layer has no lines; expected at least one")
        pc.raise_if_any()
    if "mode" not in lines.columns:
        pc.add(src, f"missing column 'mode'; found {', '.join(map(str, lines.columns))}",
               column="mode")
        pc.raise_if_any()
    lines = check_geometries(lines, src, pc, ("LineString",), warnings)
    pc.raise_if_any()
    mode = lines["mode"].fillna("").astype(str).str.strip().to_numpy()
    if (mode == "").any():
        pc.add(src, "empty mode; expected e.g. road, river, sea, air",
               where=_features(np.flatnonzero(mode == "")), column="mode")
    vals = {c: _numeric(lines, c, src, pc) for c in _OPTIONAL_NUMERIC}
    proj = lines.to_crs(crs)
    length = np.where(np.isnan(vals["length_m"]), proj.geometry.length.to_numpy(),
                      vals["length_m"])
    default_speed = np.array([speed_kmh.get(m, np.nan) for m in mode])
    speed = np.where(np.isnan(vals["speed_kmh"]), default_speed, vals["speed_kmh"])
    wait = np.nan_to_num(vals["wait_minutes"], nan=0.0)
    given = ~np.isnan(vals["minutes"])
    for mask, msg, col in (
        (~given & np.isnan(speed) & (mode != ""),
         "no speed for this mode: give speed_kmh or minutes on the line, or a speed for the "
         "mode in the scenario's [network.speed_kmh]", "speed_kmh"),
        (~given & (speed <= 0), "speed must be > 0 km/h", "speed_kmh"),
        (~given & (length <= 0), "zero-length line; expected two distinct end points or a "
         "length_m > 0", "length_m"),
        (given & (vals["minutes"] < 0), "minutes must be >= 0", "minutes"),
        (wait < 0, "wait_minutes must be >= 0", "wait_minutes"),
        (~given & (speed > 1000), "speed above 1000 km/h is not plausible", "speed_kmh"),
    ):
        if mask.any():
            pc.add(src, msg, where=_features(np.flatnonzero(mask)), column=col)
    pc.raise_if_any()
    minutes = np.where(given, vals["minutes"], length / 1000.0 / speed * 60.0) + wait

    g = proj.geometry.values
    start = shapely.get_coordinates(shapely.get_point(g, 0))
    end = shapely.get_coordinates(shapely.get_point(g, -1))
    ends = np.vstack([start, end])
    grid = np.round(ends / snap_m).astype(np.int64)
    uniq, inverse = np.unique(grid, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    u, v = inverse[: len(g)], inverse[len(g):]
    oneway = (lines["oneway"].fillna(False).astype(bool).to_numpy()
              if "oneway" in lines.columns else np.zeros(len(g), bool))
    names = (lines["name"].fillna("").astype(str).to_numpy() if "name" in lines.columns
             else np.full(len(g), "", dtype=object))

    G = nx.DiGraph(crs=crs, snap_m=snap_m)
    coords = uniq.astype(float) * snap_m
    G.add_nodes_from((i, {"x": float(coords[i, 0]), "y": float(coords[i, 1]), "kind": "network",
                          "ref": ""}) for i in range(len(uniq)))
    for i in np.argsort(minutes, kind="stable")[::-1]:  # the fastest parallel line wins
        attrs = {"mode": mode[i], "length_m": float(length[i]), "minutes": float(minutes[i]),
                 "wait_minutes": float(wait[i]), "name": names[i], "line": int(i)}
        if u[i] == v[i]:
            continue
        G.add_edge(int(u[i]), int(v[i]), **attrs)
        if not oneway[i]:
            G.add_edge(int(v[i]), int(u[i]), **attrs)
    return G


@dataclass
class Attachment:
    """How points joined the network.

    Attributes
    ----------
    node : ndarray of int
        Graph node of each point, or -1 when it is beyond the walking limit.
    access_m : ndarray of float
        Walking connector length, metres (detour included); NaN when not connected.
    """

    node: np.ndarray
    access_m: np.ndarray


def attach_points(G: nx.DiGraph, points_m: gpd.GeoSeries, refs: list[str], kind: str,
                  access: Access) -> Attachment:
    """Join each point to its nearest network node on foot, adding nodes and foot edges.

    A point within ``snap_m`` of a node becomes that node. Points farther than
    ``access.max_km`` stay unconnected (node -1).
    """
    net_nodes = np.array([n for n, d in G.nodes(data=True) if d["kind"] == "network"])
    xy_net = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in net_nodes])
    xy = shapely.get_coordinates(points_m.values)
    dist, idx = cKDTree(xy_net).query(xy)
    snap = float(G.graph.get("snap_m", 1.0))
    node = np.full(len(xy), -1, dtype=np.int64)
    access_m = np.full(len(xy), np.nan)
    next_id = max(G.nodes) + 1 if len(G) else 0
    for i, (d, j) in enumerate(zip(dist, idx, strict=True)):
        target = int(net_nodes[j])
        if d <= snap:
            node[i], access_m[i] = target, 0.0
            continue
        if d > access.max_km * 1000.0:
            continue
        length = float(d) * access.detour
        minutes = length / 1000.0 / access.walk_kmh * 60.0
        G.add_node(next_id, x=float(xy[i, 0]), y=float(xy[i, 1]), kind=kind, ref=refs[i])
        attrs = {"mode": "foot", "length_m": length, "minutes": minutes, "wait_minutes": 0.0,
                 "name": f"walk to {refs[i]}", "line": -1}
        G.add_edge(next_id, target, **attrs)
        G.add_edge(target, next_id, **attrs)
        node[i], access_m[i] = next_id, length
        next_id += 1
    return Attachment(node=node, access_m=access_m)


def components_report(G: nx.DiGraph) -> list[int]:
    """Sizes of the weakly connected parts of the graph, largest first."""
    return sorted((len(c) for c in nx.weakly_connected_components(G)), reverse=True)
