"""Walking over terrain: travel time across a friction surface (AccessMod's core).

Where no road, track or river line exists, people walk across the land: through forest and
fields at the speed their land cover allows, slower up a slope than down it, never across a
barrier (open water, a cliff) except where something crosses it. This module holds that
surface and computes travel over it; joining its cells to the network's lines comes next
(issue 29).

The surface is a grid in the study area's metric CRS (square cells, north up):

- ``speed_kmh``: the walking speed on flat ground in each cell (from land cover: a class ->
  speed table); 0 or NaN is impassable;
- ``elevation_m`` (optional): the slope between two cells scales the speed by Tobler's
  hiking function, ``6 exp(-3.5 |dh/dx + 0.05|)`` km/h, relative to its value on the flat
  (5.04 km/h), so a step up costs more than the same step down;
- ``barrier`` (optional): cells no one walks into or out of (water where no bridge or ford
  crosses it).

A move goes from a cell to one of its 8 neighbours (or 16: the knight's moves too, for
straighter paths), along the straight line between cell centres; half of it lies in each
cell and is walked at that cell's speed (the slope is the move's own). Times are minutes.
Bulk travel times are one multi-source Dijkstra on a CSR matrix (scipy); the same graph in
NetworkX, and scikit-image's ``MCP_Geometric`` on isotropic surfaces, give the same answers
(tests/test_terrain.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..inputs import raster
from ..inputs.raster import Grid

TOBLER_FLAT_KMH = 6.0 * float(np.exp(-3.5 * 0.05))
"""Tobler's hiking speed on flat ground, km/h (5.04): the reference the slope factor is
relative to."""

_MOVES_8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
_MOVES_16 = (*_MOVES_8, (-2, -1), (-2, 1), (-1, -2), (-1, 2), (1, -2), (1, 2), (2, -1),
             (2, 1))


def surface_from_grids(speed: Grid, elevation: Grid | None = None,
                       barrier: Grid | None = None) -> Surface:
    """A surface from grids read onto one grid (:func:`planner.inputs.raster.read_grid`
    with ``like``): the walking speeds, and optionally the elevation and the barrier cells
    (any value above 0 is a barrier).

    Parameters
    ----------
    speed : Grid
        Walking speed on flat ground per cell, km/h (:func:`planner.inputs.raster.speeds_of`
        on a land-cover grid).
    elevation : Grid, optional
        Elevation, metres.
    barrier : Grid, optional
        Barrier cells (> 0).

    Returns
    -------
    Surface
        The friction surface.

    Raises
    ------
    ValueError
        When the grids do not share one grid.
    """
    for name, g in (("elevation", elevation), ("barrier", barrier)):
        if g is not None and (g.shape != speed.shape or g.cell_m != speed.cell_m
                              or (g.x0, g.y0) != (speed.x0, speed.y0)):
            raise ValueError(f"{name}: expected the land cover's grid (read it with "
                             "like=...)")
    return Surface(speed.values, speed.cell_m, speed.x0, speed.y0,
                   elevation_m=None if elevation is None else elevation.values,
                   barrier=None if barrier is None else np.nan_to_num(barrier.values) > 0)


def tobler_factor(slope: np.ndarray) -> np.ndarray:
    """Tobler's hiking speed at a slope, relative to flat ground.

    Parameters
    ----------
    slope : ndarray
        Rise over run (dimensionless; +0.1 climbs 10 m per 100 m).

    Returns
    -------
    ndarray
        The factor (1 on the flat; about 1.16 at the fastest, a 5% descent).
    """
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(slope, float) + 0.05)) / TOBLER_FLAT_KMH


@dataclass(frozen=True)
class Surface:
    """A friction surface on a north-up grid in a metric CRS.

    Attributes
    ----------
    speed_kmh : ndarray (rows, cols)
        Walking speed on flat ground per cell, km/h; 0 or NaN: impassable.
    cell_m : float
        The side of a cell, metres.
    x0, y0 : float
        The grid's top-left corner (metres in the study area's CRS).
    elevation_m : ndarray (rows, cols) or None
        Elevation per cell, metres (slope by Tobler's function); None: flat.
    barrier : ndarray (rows, cols) of bool or None
        Cells no one walks into or out of.
    """

    speed_kmh: np.ndarray
    cell_m: float
    x0: float = 0.0
    y0: float = 0.0
    elevation_m: np.ndarray | None = None
    barrier: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = np.shape(self.speed_kmh)
        if len(shape) != 2 or not shape[0] or not shape[1]:
            raise ValueError(f"speed_kmh: expected a 2-D grid, found shape {shape}")
        if not np.isfinite(self.cell_m) or self.cell_m <= 0:
            raise ValueError(f"cell_m: expected a size above 0 metres, found {self.cell_m}")
        for name in ("elevation_m", "barrier"):
            grid = getattr(self, name)
            if grid is not None and np.shape(grid) != shape:
                raise ValueError(f"{name}: expected the speed grid's shape {shape}, found "
                                 f"{np.shape(grid)}")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        r, c = np.shape(self.speed_kmh)
        return int(r), int(c)

    def passable(self) -> np.ndarray:
        """Cells one can walk in: a speed above 0, no barrier.

        Returns
        -------
        ndarray of bool
            (rows, cols).
        """
        v = np.asarray(self.speed_kmh, float)
        ok: np.ndarray = np.isfinite(v) & (v > 0)
        if self.barrier is not None:
            ok &= ~np.asarray(self.barrier, bool)
        return ok

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell index (row-major) holding each point; -1 outside the grid.

        Parameters
        ----------
        x, y : ndarray
            Points, metres in the surface's CRS.

        Returns
        -------
        ndarray of int
            ``row * cols + col``, or -1.
        """
        return raster.cell_index(x, y, self.x0, self.y0, self.cell_m, self.shape)


def moves(surface: Surface, neighbours: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every move between passable neighbour cells and its walking time.

    Parameters
    ----------
    surface : Surface
        The friction surface.
    neighbours : int, default 8
        8 (the adjacent cells) or 16 (also the knight's moves, for straighter paths).

    Returns
    -------
    u, v : ndarray of int
        From and to cells (row-major indices).
    minutes : ndarray of float
        Time of each move: half its length at each cell's speed, times Tobler's factor for
        the move's slope when the surface has elevation.

    Raises
    ------
    ValueError
        For another number of neighbours.
    """
    if neighbours not in (8, 16):
        raise ValueError(f"neighbours: expected 8 or 16, found {neighbours}")
    rows, cols = surface.shape
    ok = surface.passable()
    speed = np.asarray(surface.speed_kmh, float)
    elev = None if surface.elevation_m is None else np.asarray(surface.elevation_m, float)
    idx = np.arange(rows * cols).reshape(rows, cols)
    us, vs, ts = [], [], []
    for dr, dc in (_MOVES_8 if neighbours == 8 else _MOVES_16):
        # the cells a move (dr, dc) can start from without leaving the grid
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        if r0 >= r1 or c0 >= c1:
            continue
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        keep = ok[a] & ok[b]
        length_m = surface.cell_m * float(np.hypot(dr, dc))
        km = length_m / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):  # impassable cells: not kept
            minutes = 60.0 * (km / 2 / speed[a] + km / 2 / speed[b])
        if elev is not None:
            factor = tobler_factor((elev[b] - elev[a]) / length_m)
            minutes = minutes / factor
        us.append(idx[a][keep])
        vs.append(idx[b][keep])
        ts.append(minutes[keep])
    if not us:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(us), np.concatenate(vs), np.concatenate(ts)


def to_csr(surface: Surface, neighbours: int = 8) -> sp.csr_matrix:
    """The surface's moves as a CSR matrix of minutes (cells × cells).

    Parameters
    ----------
    surface : Surface
        The friction surface.
    neighbours : int, default 8
        8 or 16 (see :func:`moves`).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``m[u, v]`` = minutes of the move from cell ``u`` to cell ``v``.
    """
    u, v, t = moves(surface, neighbours)
    n = surface.shape[0] * surface.shape[1]
    # a move of 0 minutes cannot happen (speeds are finite); csgraph drops explicit zeros
    return sp.csr_matrix((t, (u, v)), shape=(n, n))


def travel_minutes(surface: Surface, sources: np.ndarray, *, neighbours: int = 8,
                   limit: float = np.inf, reverse: bool = False) -> np.ndarray:
    """Minutes from the nearest source cell to every cell (or, ``reverse``, from every cell
    to its nearest source: the way residents walk to a stop).

    Parameters
    ----------
    surface : Surface
        The friction surface.
    sources : ndarray of int
        Source cells (row-major; -1 and impassable cells are ignored).
    neighbours : int, default 8
        8 or 16 (see :func:`moves`).
    limit : float, default inf
        Cells farther than this (minutes) are left at ``inf``.
    reverse : bool, default False
        Times towards the sources instead of from them (they differ on slopes).

    Returns
    -------
    ndarray (rows, cols)
        Minutes; ``inf`` where no walk reaches.
    """
    rows, cols = surface.shape
    src = np.asarray(sources, np.int64)
    ok = surface.passable().ravel()
    src = np.unique(src[(src >= 0) & (src < rows * cols)])
    src = src[ok[src]]
    if not len(src):
        return np.full((rows, cols), np.inf)
    m = to_csr(surface, neighbours)
    if reverse:
        m = m.T.tocsr()
    dist = dijkstra(m, directed=True, indices=src, min_only=True, limit=limit)
    return np.asarray(dist, float).reshape(rows, cols)


WALK_ON = ("foot", "road", "track")
"""Modes a walker steps onto wherever the line crosses their cell: walking itself (no
penalty) and the land modes (with the network's transfer penalty). Boats and planes are
boarded only where the network says (landings, ports, airstrips: their own points)."""


@dataclass(frozen=True)
class Joined:
    """The network and a surface in one graph: the network's expanded nodes first, then one
    node per cell (``n_net + cell``).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Minutes of every move: the network's edges, the surface's moves, and the links
        between a cell and the network nodes (and village, office and candidate stops) in it.
    n_net : int
        Number of network nodes; cell ``c`` is node ``n_net + c``.
    shape : tuple of int
        The surface's (rows, cols).
    """

    matrix: sp.csr_matrix
    n_net: int
    shape: tuple[int, int]


def join(surface: Surface, net: Any, *,
         transfer_minutes: float | Mapping[str, float] = 0.0, neighbours: int = 8) -> Joined:
    """The network and the surface as one graph: a resident's trip can be terrain -> track
    -> boat -> stop, and bulk travel stays one compiled shortest-path run.

    Links, both ways, between each passable cell and what lies in it: the network's walking
    nodes (0 minutes) and its road and track nodes (``transfer_minutes``, the change of
    mode), and the stops of the villages, offices and candidates (0 minutes: a point walks
    from its own cell).

    Parameters
    ----------
    surface : Surface
        The friction surface, in the network's CRS.
    net : Network
        The network (:class:`planner.network.graph.Network`).
    transfer_minutes : float or mapping of str to float, default 0
        Minutes to change from walking to a road or track vehicle (one figure, or per mode
        as the network's ``transfer_minutes``).
    neighbours : int, default 8
        8 or 16 (see :func:`moves`).

    Returns
    -------
    Joined
        The combined graph.
    """
    rows, cols = surface.shape
    n_net = int(net.n_nodes)
    n = n_net + rows * cols
    ok = surface.passable().ravel()
    parts_u = [np.asarray(net.u, np.int64)]                   # the network's edges
    parts_v = [np.asarray(net.v, np.int64)]
    parts_t = [np.asarray(net.minutes, float)]
    u, v, t = moves(surface, neighbours)                       # the surface
    parts_u.append(u + n_net)
    parts_v.append(v + n_net)
    parts_t.append(t)
    xy = net.phys_xy[net.node_phys]                            # every network node's cell
    cell = surface.cell_of(xy[:, 0], xy[:, 1])
    mode = np.asarray(net.node_mode, dtype=object)
    stop_nodes = np.zeros(n_net, bool)
    for kind in net.stops:
        for side in ("in", "out"):
            stop_nodes[np.asarray(net.stops[kind][side], np.int64)] = True
    walk = np.isin(mode, WALK_ON) | stop_nodes
    linked = np.flatnonzero(walk & (cell >= 0))
    linked = linked[ok[cell[linked]]]
    if isinstance(transfer_minutes, Mapping):
        penalty = np.array([float(transfer_minutes.get(str(m), 0.0)) for m in mode[linked]])
    else:
        penalty = np.full(len(linked), float(transfer_minutes))
    cost = np.where((mode[linked] == "foot") | stop_nodes[linked], 0.0, penalty)
    parts_u += [cell[linked] + n_net, linked]
    parts_v += [linked, cell[linked] + n_net]
    parts_t += [cost, cost]
    u_all, v_all, t_all = (np.concatenate(parts_u), np.concatenate(parts_v),
                           np.concatenate(parts_t))
    # one entry per pair, the lightest (parallel network edges too, as travel.to_csr keeps);
    # zero weights stay stored edges
    order = np.lexsort((t_all, v_all, u_all))
    u_all, v_all, t_all = u_all[order], v_all[order], t_all[order]
    first = np.r_[True, (u_all[1:] != u_all[:-1]) | (v_all[1:] != v_all[:-1])]
    u_all, v_all, t_all = u_all[first], v_all[first], t_all[first]
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, u_all + 1, 1)
    indptr = np.cumsum(indptr)
    return Joined(sp.csr_matrix((t_all, v_all, indptr), shape=(n, n)), n_net, (rows, cols))


def joined_minutes(joined: Joined, sources: np.ndarray, *, reverse: bool = False,
                   limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from the nearest source (network node ids, e.g. the offices' origin stops) to
    every network node and every cell of a :func:`join`; ``reverse``: towards them.

    Parameters
    ----------
    joined : Joined
        The combined graph.
    sources : ndarray of int
        Network node ids.
    reverse : bool, default False
        Times towards the sources (residents walking and riding to a stop).
    limit : float, default inf
        Farther is ``inf``.

    Returns
    -------
    nodes : ndarray of float
        Minutes per network node.
    cells : ndarray (rows, cols) of float
        Minutes per cell (the travel-time raster).
    """
    m = joined.matrix.T.tocsr() if reverse else joined.matrix
    dist = dijkstra(m, directed=True, indices=np.asarray(sources, np.int64), min_only=True,
                    limit=limit)
    dist = np.asarray(dist, float)
    return dist[: joined.n_net], dist[joined.n_net:].reshape(joined.shape)


@dataclass(frozen=True)
class TerrainTravel:
    """Travel from the offices with walking over terrain allowed.

    Attributes
    ----------
    village_minutes : ndarray of float
        Per village (the network's village order), minutes from the nearest office.
    grid : Grid
        The travel-time raster: minutes from the nearest office to every cell.
    """

    village_minutes: np.ndarray
    grid: Grid


def from_offices(spec: Any, net: Any, transfer_minutes: Mapping[str, float] | float = 0.0,
                 warnings: list[str] | None = None) -> TerrainTravel:
    """The scenario's ``[terrain]`` read onto one grid, joined to the network, and travel
    from the nearest office to every village and cell.

    Parameters
    ----------
    spec : TerrainSpec
        The ``[terrain]`` settings (:class:`planner.config.TerrainSpec`).
    net : Network
        The network, villages and offices joined.
    transfer_minutes : float or mapping, default 0
        The network's change-of-mode penalties.
    warnings : list of str, optional
        Where reading notes go.

    Returns
    -------
    TerrainTravel
        Minutes per village and the travel-time raster.

    Raises
    ------
    InputError
        For a raster that cannot be read or has no CRS, land-cover classes without a speed,
        or villages or offices the land cover does not cover.
    """
    crs = net.crs
    cover = raster.read_grid(spec.landcover, crs, cell_m=spec.cell_m, categorical=True,
                             what="land cover")
    speed = raster.speeds_of(cover, spec.speeds, spec.landcover, warnings)
    for kind in ("village", "service"):
        pts = net.points[kind]
        raster.check_covers(cover, pts.xy[:, 0], pts.xy[:, 1],
                            [f"{lab} ({ref})" for lab, ref in zip(pts.labels, pts.refs,
                                                                  strict=True)],
                            spec.landcover, "land cover")
    elevation = (raster.read_grid(spec.elevation, crs, like=cover, what="elevation")
                 if spec.elevation is not None else None)
    barrier = (raster.read_grid(spec.barriers, crs, like=cover, categorical=True,
                                what="barriers") if spec.barriers is not None else None)
    surface = surface_from_grids(Grid(speed, cover.cell_m, cover.x0, cover.y0, cover.crs),
                                 elevation, barrier)
    joined = join(surface, net, transfer_minutes=transfer_minutes,
                  neighbours=spec.neighbours)
    nodes, cells = joined_minutes(joined, net.origin("service"))
    return TerrainTravel(nodes[net.destination("village")],
                         Grid(cells, cover.cell_m, cover.x0, cover.y0, cover.crs))


def reach_areas(grid: Grid) -> Any:
    """The travel-time raster as reach-band areas (the bands of
    :data:`planner.config.REACH_BANDS`): one (multi)polygon per band reached, in band order.

    Parameters
    ----------
    grid : Grid
        Minutes per cell (:attr:`TerrainTravel.grid`).

    Returns
    -------
    GeoDataFrame
        ``reach_band`` and ``cells`` (how many), geometry in the grid's CRS; the cells no
        walk reaches are left out.
    """
    import geopandas as gpd
    import shapely
    from rasterio.features import shapes
    from rasterio.transform import from_origin

    from ..config import REACH_BANDS
    from .travel import reach_band

    labels = reach_band(grid.values.ravel()).reshape(grid.values.shape)
    code = np.full(grid.values.shape, -1, np.int16)
    for i, band in enumerate(REACH_BANDS[:-1]):
        code[labels == band] = i
    transform = from_origin(grid.x0, grid.y0, grid.cell_m, grid.cell_m)
    parts: dict[int, list[Any]] = {}
    for geom, value in shapes(code, mask=code >= 0, transform=transform):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    rows = [(REACH_BANDS[i], int((code == i).sum()), shapely.union_all(parts[i]))
            for i in sorted(parts)]
    return gpd.GeoDataFrame({"reach_band": [r[0] for r in rows],
                             "cells": [r[1] for r in rows]},
                            geometry=[r[2] for r in rows], crs=grid.crs)
