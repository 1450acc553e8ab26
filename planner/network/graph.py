"""The multimodal graph as compact numpy arrays (:class:`Network`) and the points joined to it.

A :class:`Network` is what bulk shortest paths run on (:mod:`planner.network.travel`);
``Network.to_networkx()`` gives the same graph as a ``networkx.DiGraph`` with ``mode``,
``length_m``, ``minutes`` and ``cost`` on every edge and the CRS in ``G.graph["crs"]``. It is
built by :func:`planner.network.build.build_network`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS

from ..jsontypes import JsonTable

WEEK_MINUTES = 7 * 24 * 60.0

EDGE_KINDS = ("line", "link", "access", "transfer", "stop", "terrain")
"""What an edge stands for: a network line, a link-table service, a walking connector, a
change of mode at a node, the zero-cost step from/to a village's or office's stop, or a
walk across the land (between terrain cells, and between a cell's centre and a point or
line node in it)."""


@dataclass
class Points:
    """Points (villages, services or places) to join to the network, in the metric CRS."""

    kind: str
    refs: list[str]
    labels: list[str]
    xy: np.ndarray


def texts(n: int, value: str = "") -> np.ndarray:
    """An object array of ``n`` references to one string (``numpy.full`` with
    ``dtype=object`` makes a copy of the string per element: a gigabyte for a province's
    terrain moves).

    Parameters
    ----------
    n : int
        Length.
    value : str, default ""
        The string.

    Returns
    -------
    ndarray of object
        ``n`` times ``value``.
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


@dataclass(frozen=True)
class CellNodes:
    """The cells of a terrain grid as nodes of a network (walking over terrain,
    :func:`planner.network.terrain.extend`): cell ``c`` (row-major) is expanded node
    ``node0 + c`` and physical node ``phys0 + c``, at its centre.

    Attributes
    ----------
    shape : tuple of int
        The grid's (rows, cols).
    cell_m : float
        The side of a cell, metres.
    x0, y0 : float
        The grid's top-left corner, metres in the network's CRS.
    node0, phys0 : int
        The first cell's expanded and physical node ids.
    source : object
        What the cells were made from (the base network and the surface; the cache stores
        it instead of the cells).
    """

    shape: tuple[int, int]
    cell_m: float
    x0: float
    y0: float
    node0: int
    phys0: int
    source: object = None

    @property
    def n(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]


@dataclass
class Network:
    """A multimodal network as arrays (see module docstring).

    Node arrays are indexed by expanded node id; edge arrays by edge id.
    """

    crs: CRS
    phys_xy: np.ndarray                      # (P, 2) metres
    phys_label: np.ndarray                   # name of the point at the node, or ""
    node_phys: np.ndarray                    # (N,) physical node of each expanded node
    node_mode: np.ndarray                    # (N,) mode, "" for stops
    u: np.ndarray
    v: np.ndarray
    minutes: np.ndarray                      # total, waits included
    length_m: np.ndarray
    cost: np.ndarray                         # rupiah, NaN = unknown
    mode: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    wait: np.ndarray = field(default_factory=lambda: np.zeros(0))  # minutes within `minutes`
    # weekday schedules of link edges (planner.network.schedule): a day mask (0 = not scheduled) and
    # departure times "HH:MM;HH:MM"; edges beyond the arrays' length are not scheduled
    days: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    depart: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    stops: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    access_m: dict[str, np.ndarray] = field(default_factory=dict)
    joined: dict[str, np.ndarray] = field(default_factory=dict)  # what each point joined
    snapped: dict[str, np.ndarray] = field(default_factory=dict)
    points: dict[str, Points] = field(default_factory=dict)
    report: JsonTable = field(default_factory=dict)
    cells: CellNodes | None = None  # terrain cells as nodes (walking over terrain)

    @property
    def n_nodes(self) -> int:
        """Number of expanded nodes (one per mode at each physical node, plus stops)."""
        return len(self.node_phys)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], JsonTable]:
        """The network as plain arrays and JSON, to store without pickles.

        Returns
        -------
        arrays : dict of str to ndarray
            Every array (text as fixed-width unicode), for ``numpy.savez``.
        meta : dict
            The CRS (WKT), the kinds of stops and points, and the build report.

        See Also
        --------
        from_arrays : the inverse (tested equal on a round trip).
        """
        arrays = {f: getattr(self, f) for f in _NUMBER_FIELDS}
        for f in _TEXT_FIELDS:
            arrays[f] = _text(getattr(self, f))
        for kind, d in self.stops.items():
            arrays[f"stops_{kind}_in"], arrays[f"stops_{kind}_out"] = d["in"], d["out"]
            arrays[f"access_{kind}"] = self.access_m[kind]
            arrays[f"snapped_{kind}"] = self.snapped[kind]
            arrays[f"joined_{kind}"] = _text(self.joined.get(kind, np.full(
                len(self.access_m[kind]), "", dtype=object)))
        for kind, pts in self.points.items():
            arrays[f"points_{kind}_refs"] = _text(np.array(pts.refs, dtype=object))
            arrays[f"points_{kind}_labels"] = _text(np.array(pts.labels, dtype=object))
            arrays[f"points_{kind}_xy"] = pts.xy
        meta: JsonTable = {"crs": CRS.from_user_input(self.crs).to_wkt(),
                           "kinds": list(self.stops), "points": list(self.points),
                           "report": self.report}
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: JsonTable) -> Network:
        """A network from :meth:`to_arrays`' arrays and meta.

        Parameters
        ----------
        arrays : mapping of str to ndarray
            The arrays (e.g. an opened ``.npz``).
        meta : dict
            The CRS, kinds and report.

        Returns
        -------
        Network
            Equal to the network the arrays were made from.
        """
        a = arrays
        def text(f: str) -> np.ndarray:
            return np.asarray(a[f].astype(object))

        net = cls(crs=CRS.from_wkt(str(meta["crs"])), phys_xy=a["phys_xy"],
                  phys_label=text("phys_label"), node_phys=a["node_phys"],
                  node_mode=text("node_mode"), u=a["u"], v=a["v"], minutes=a["minutes"],
                  length_m=a["length_m"], cost=a["cost"], mode=text("mode"),
                  kind=text("kind"), name=text("name"), wait=a["wait"], days=a["days"],
                  depart=text("depart"))
        for kind in cast(list[str], meta["kinds"]):
            net.stops[kind] = {"in": a[f"stops_{kind}_in"], "out": a[f"stops_{kind}_out"]}
            net.access_m[kind] = a[f"access_{kind}"]
            net.snapped[kind] = a[f"snapped_{kind}"]
            net.joined[kind] = a[f"joined_{kind}"].astype(object)
        for kind in cast(list[str], meta["points"]):
            net.points[kind] = Points(kind, list(a[f"points_{kind}_refs"]),
                                      list(a[f"points_{kind}_labels"]), a[f"points_{kind}_xy"])
        net.report = cast(JsonTable, meta["report"])
        return net

    def origin(self, kind: str) -> np.ndarray:
        """Origin-stop node of each point of a kind (``village``, ``service``).

        Parameters
        ----------
        kind : str
            ``village``, ``service``, ``candidate``.

        Returns
        -------
        ndarray of int
            Node ids, in the points' order.
        """
        return self.stops[kind]["out"]

    def destination(self, kind: str) -> np.ndarray:
        """Destination-stop node of each point of a kind.

        Parameters
        ----------
        kind : str
            ``village``, ``service``, ``candidate``.

        Returns
        -------
        ndarray of int
            Node ids, in the points' order.
        """
        return self.stops[kind]["in"]

    @property
    def site_kind(self) -> str:
        """The kind of point new stops are chosen among: ``candidate`` when the network
        has candidate sites joined, else ``village``."""
        return "candidate" if "candidate" in self.stops else "village"

    def site_destinations(self, codes: list[str] | np.ndarray) -> np.ndarray:
        """The destination-stop node of each site code (of :attr:`site_kind`).

        Parameters
        ----------
        codes : list of str
            Site codes (a candidate's id or a village's code).

        Returns
        -------
        ndarray of int
            Node ids, in the codes' order.
        """
        kind = self.site_kind
        index = {r: i for i, r in enumerate(self.points[kind].refs)}
        return np.asarray(self.destination(kind)[[index[c] for c in codes]], np.int64)

    def to_gdfs(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The graph as two GeoDataFrames (as osmnx's ``graph_to_gdfs``), in the metric CRS.

        Returns
        -------
        nodes : GeoDataFrame
            One row per expanded node (index = node id): ``phys`` (physical node), ``mode``
            ("" for stops), ``label`` (the place at the node, if any), point geometry.
        edges : GeoDataFrame
            One row per edge (index = edge id): ``u``, ``v``, ``mode``, ``kind`` (line, link,
            access, transfer...), ``name``, ``minutes`` (waits included), ``wait``,
            ``length_m``, ``cost`` (rupiah, NaN = unknown), straight line between the nodes.
        """
        p = self.node_phys
        xy = self.phys_xy[p]
        nodes = gpd.GeoDataFrame(
            {"phys": p, "mode": self.node_mode, "label": self.phys_label[p]},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=self.crs)
        a, b = self.phys_xy[p[self.u]], self.phys_xy[p[self.v]]
        lines = shapely.linestrings(np.stack([a, b], axis=1)) if len(a) else []
        wait = self.wait if len(self.wait) == len(self.u) else np.zeros(len(self.u))
        edges = gpd.GeoDataFrame(
            {"u": self.u, "v": self.v, "mode": self.mode, "kind": self.kind, "name": self.name,
             "minutes": self.minutes, "wait": wait, "length_m": self.length_m,
             "cost": self.cost}, geometry=lines, crs=self.crs)
        return nodes, edges

    def to_networkx(self) -> nx.DiGraph:
        """The same graph in NetworkX (the fastest of parallel edges is kept).

        Returns
        -------
        networkx.DiGraph
            Edges with ``mode``, ``length_m``, ``minutes``, ``cost``, ``kind``, ``name``;
            the CRS in ``G.graph["crs"]``.
        """
        G = nx.DiGraph(crs=self.crs)
        for i in range(self.n_nodes):
            p = self.node_phys[i]
            G.add_node(i, x=float(self.phys_xy[p, 0]), y=float(self.phys_xy[p, 1]),
                       phys=int(p), mode=self.node_mode[i], label=self.phys_label[p])
        for e in np.argsort(-self.minutes, kind="stable"):
            G.add_edge(int(self.u[e]), int(self.v[e]), minutes=float(self.minutes[e]),
                       length_m=float(self.length_m[e]), cost=float(self.cost[e]),
                       mode=self.mode[e], kind=self.kind[e], name=self.name[e], edge=int(e))
        return G


# --- reading sources ----------------------------------------------------------------------

# OSM extracts: the tag rules live in planner/osm.py (read_osm is re-exported here)


_NUMBER_FIELDS = ("phys_xy", "node_phys", "u", "v", "minutes", "length_m", "cost", "wait",
                  "days")
_TEXT_FIELDS = ("phys_label", "node_mode", "mode", "kind", "name", "depart")


def _text(a: np.ndarray) -> np.ndarray:
    """Text as fixed-width unicode (``savez`` without pickles), an empty array as ``U1``."""
    return np.asarray([str(x) for x in a], dtype=str) if len(a) else np.zeros(0, dtype="U1")
