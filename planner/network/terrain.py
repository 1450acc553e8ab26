"""Walking over terrain: travel time across a friction surface (AccessMod's core).

Where no road, track or river line exists, people walk across the land: through forest and
fields at the speed their land cover allows, slower up a slope than down it, never across a
barrier (open water, a cliff) except where something crosses it (a bridge, a ferry, a
boat line: the network's own lines). This module holds that surface, computes travel over
it, and makes its cells nodes of the network (:func:`extend`), so that every step after it
(travel, site choice, trips, routes) walks over the land where no line runs.

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

from collections.abc import Callable, Iterator, Mapping
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
    blocks = list(move_blocks(surface, neighbours))
    if not blocks:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    return (np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]),
            np.concatenate([b[2] for b in blocks]))


def _directions(surface: Surface, neighbours: int
                ) -> Iterator[tuple[tuple[slice, slice], tuple[slice, slice], np.ndarray,
                                    float]]:
    """Per direction of move: the start and end windows of the grid, which starts are kept
    (both cells passable), and the move's length in metres."""
    if neighbours not in (8, 16):
        raise ValueError(f"neighbours: expected 8 or 16, found {neighbours}")
    rows, cols = surface.shape
    ok = surface.passable()
    for dr, dc in (_MOVES_8 if neighbours == 8 else _MOVES_16):
        # the cells a move (dr, dc) can start from without leaving the grid
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        if r0 >= r1 or c0 >= c1:
            continue
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        yield a, b, ok[a] & ok[b], surface.cell_m * float(np.hypot(dr, dc))


def move_count(surface: Surface, neighbours: int = 8) -> int:
    """How many moves :func:`moves` gives (without making them).

    Parameters
    ----------
    surface : Surface
        The friction surface.
    neighbours : int, default 8
        8 or 16.

    Returns
    -------
    int
        The number of moves between passable neighbour cells.
    """
    return sum(int(keep.sum()) for _, _, keep, _ in _directions(surface, neighbours))


def move_blocks(surface: Surface, neighbours: int = 8
                ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """The moves of :func:`moves`, one direction at a time (to fill large arrays without
    holding every move twice).

    Parameters
    ----------
    surface : Surface
        The friction surface.
    neighbours : int, default 8
        8 or 16.

    Yields
    ------
    u, v : ndarray of int
        From and to cells of the direction's moves.
    minutes : ndarray of float
        Their times.
    length_m : float
        Their length, metres.

    Raises
    ------
    ValueError
        For another number of neighbours.
    """
    rows, cols = surface.shape
    speed = np.asarray(surface.speed_kmh, float)
    elev = None if surface.elevation_m is None else np.asarray(surface.elevation_m, float)
    idx = np.arange(rows * cols).reshape(rows, cols)
    for a, b, keep, length_m in _directions(surface, neighbours):
        km = length_m / 1000.0
        minutes = 60.0 * (km / 2 / speed[a][keep] + km / 2 / speed[b][keep])
        if elev is not None:  # a cell without elevation: the move is walked as flat
            factor = tobler_factor((elev[b][keep] - elev[a][keep]) / length_m)
            minutes /= np.where(np.isnan(factor), 1.0, factor)
        yield idx[a][keep], idx[b][keep], minutes, length_m


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
penalty) and the land modes (with the network's change-of-mode penalty from ``foot``).
Boats and planes are boarded only where the network says: at the nodes where a place or
point sits (a landing, a port, an airstrip, a village on the river)."""

TERRAIN = "terrain"
"""The mode of the cells and of the moves between them (a leg "terrain" walks across the
land, off every line)."""


@dataclass(frozen=True)
class Extension:
    """What a network with terrain cells was made from (:func:`extend`); the cache stores
    this and makes the cells again.

    Attributes
    ----------
    base : Network
        The network without the cells.
    surface : Surface
        The friction surface.
    penalties : dict of str to (float, float)
        Per mode, minutes to step onto it from the land and off it onto the land.
    neighbours : int
        8 or 16.
    """

    base: Any
    surface: Surface
    penalties: dict[str, tuple[float, float]]
    neighbours: int


def extend(net: Any, surface: Surface, *,
           transfer: Callable[[str, str], float] | Mapping[str, tuple[float, float]]
           | None = None, neighbours: int = 8) -> Any:
    """The network with the surface's cells as nodes of mode ``terrain``: a resident's
    trip can be terrain -> track -> boat -> stop, and every step after it (travel, site
    choice, trips, routes) runs on the one graph.

    Added, per passable cell:

    - a node at its centre, and the moves to its neighbours (:func:`moves`; edges of kind
      and mode ``terrain``, centre to centre);
    - links both ways to the nodes in it one can step on and off: every walking, road and
      track node (:data:`WALK_ON`), and any line's node where a place or point sits on it
      (a landing, a port, a village on the river). A link is the straight walk between the
      node and the cell's centre at the cell's speed (kind ``terrain``), plus, for another
      mode, the network's change-of-mode penalty from or to ``foot`` (then kind
      ``transfer``);
    - for each village, service point and candidate site in it, a link from its origin
      stop and one to its destination stop (kind ``terrain``: the walk between the point
      and the cell's centre). The point walks from its own cell: its straight walk to the
      network (kind ``access``) is dropped. A point in an impassable cell keeps it.

    Build the network with ``node_every_m`` (:func:`planner.network.build.build_network`)
    at about half a cell, so that each cell a line crosses holds a node of it.

    Parameters
    ----------
    net : Network
        The network, points joined (:class:`planner.network.graph.Network`).
    surface : Surface
        The friction surface, in the network's CRS.
    transfer : callable or mapping, optional
        ``transfer(a, b)``: minutes to change from mode ``a`` to ``b`` (e.g.
        :meth:`planner.config.NetworkSpec.transfer`), or per mode the minutes
        ``(onto it, off it)``; None: no penalty.
    neighbours : int, default 8
        8 or 16 (see :func:`moves`).

    Returns
    -------
    Network
        A new network: the base's nodes first (same ids), then one node per cell
        (``net.cells``); the base's edges without the dropped walks, then the new ones.
    """
    from .graph import CellNodes, Network, texts

    rows, cols = surface.shape
    n_cells = rows * cols
    ok = surface.passable().ravel()
    node0, phys0 = int(net.n_nodes), len(net.phys_xy)
    mode = np.asarray(net.node_mode, dtype=object)
    if callable(transfer):
        penalties = {str(m): (float(transfer("foot", m)), float(transfer(m, "foot")))
                     for m in sorted(set(mode.tolist()) - {"", TERRAIN})}
    else:
        penalties = {m: (float(a), float(b)) for m, (a, b) in (transfer or {}).items()}
    # the points with stops: their cells, and their straight walks to drop
    stop_u: list[np.ndarray] = []
    stop_v: list[np.ndarray] = []
    over_land = np.zeros(len(net.phys_xy), bool)
    joined = {k: np.asarray(v, dtype=object).copy() for k, v in net.joined.items()}
    access_m = {k: np.asarray(v, float).copy() for k, v in net.access_m.items()}
    labels = np.r_[np.asarray(net.phys_label, dtype=object), texts(n_cells, "")]
    off_land: dict[str, list[str]] = {}  # points in no passable cell: their straight walk
    stop_t: list[np.ndarray] = []
    stop_m: list[np.ndarray] = []
    for kind, st in net.stops.items():
        xy = net.points[kind].xy
        cell = surface.cell_of(xy[:, 0], xy[:, 1])
        inside = cell >= 0
        inside[inside] = ok[cell[inside]]
        off_land[kind] = [str(r) for r, i in zip(net.points[kind].refs, inside, strict=True)
                          if not i]
        c = cell[inside] + node0
        stop_u += [np.asarray(st["out"], np.int64)[inside], c]
        stop_v += [c, np.asarray(st["in"], np.int64)[inside]]
        metres, walk_in = _to_centre(surface, cell[inside], xy[inside])
        stop_t += [walk_in, walk_in]
        stop_m += [metres, metres]
        own = inside & ~np.asarray(net.snapped[kind], bool)
        over_land[net.node_phys[np.asarray(st["out"], np.int64)[own]]] = True
        if kind in joined:
            joined[kind][inside] = "over terrain"
            access_m[kind][inside] = np.nan
        named = cell[inside] + phys0
        fresh = labels[named] == ""
        labels[named[fresh]] = np.asarray(net.points[kind].labels, dtype=object)[inside][fresh]
    kind_e = np.asarray(net.kind, dtype=object)
    keep = ~((kind_e == "access") & (over_land[net.node_phys[net.u]]
                                     | over_land[net.node_phys[net.v]]))
    # the links between a cell and the nodes in it one can step on and off: the land
    # lines' anywhere, any line's where a place or point sits on it (a landing, a port)
    xy = net.phys_xy[net.node_phys]
    cell = surface.cell_of(xy[:, 0], xy[:, 1])
    at_place = np.asarray(net.phys_label, dtype=object)[net.node_phys] != ""
    walk = (np.isin(mode, WALK_ON) | (at_place & (mode != ""))) & (cell >= 0)
    walk[walk] = ok[cell[walk]]
    linked = np.flatnonzero(walk)
    lmode = mode[linked]
    on = np.array([penalties.get(str(m), (0.0, 0.0))[0] for m in lmode], float)
    off = np.array([penalties.get(str(m), (0.0, 0.0))[1] for m in lmode], float)
    on[lmode == "foot"] = 0.0
    off[lmode == "foot"] = 0.0
    link_m, walk_in = _to_centre(surface, cell[linked], xy[linked])
    lcell = cell[linked] + node0
    su = np.concatenate(stop_u) if stop_u else np.zeros(0, np.int64)
    sv = np.concatenate(stop_v) if stop_v else np.zeros(0, np.int64)
    # a link is a walk over the land (kind and mode terrain) unless it changes mode with a
    # penalty (a transfer, the walk to the cell's centre included)
    link_kind = np.where(np.r_[on, off] > 0, "transfer", TERRAIN).astype(object)
    link_name = np.r_[TERRAIN + ">" + lmode.astype(str), lmode.astype(str) + ">" + TERRAIN]
    # every edge array made once at its full size and filled in place (a province at 100 m
    # has tens of millions of moves: no second copy of them)
    n_keep, n_m = int(keep.sum()), move_count(surface, neighbours)
    n_l, n_s = 2 * len(linked), len(su)
    total = n_keep + n_m + n_l + n_s
    n_all = node0 + n_cells
    idx = np.int32 if max(n_all, total) < np.iinfo(np.int32).max else np.int64
    u, v = np.empty(total, idx), np.empty(total, idx)
    minutes, length_m = np.empty(total), np.empty(total)
    cost, wait = np.zeros(total), np.zeros(total)
    e_mode, e_kind, e_name = texts(total, TERRAIN), texts(total, TERRAIN), texts(total, "")
    u[:n_keep], v[:n_keep] = net.u[keep], net.v[keep]
    minutes[:n_keep], length_m[:n_keep] = net.minutes[keep], net.length_m[keep]
    cost[:n_keep] = net.cost[keep]
    if len(net.wait) == len(net.u):
        wait[:n_keep] = net.wait[keep]
    e_mode[:n_keep] = np.asarray(net.mode, dtype=object)[keep]
    e_kind[:n_keep] = kind_e[keep]
    e_name[:n_keep] = np.asarray(net.name, dtype=object)[keep]
    at = n_keep
    for mu, mv, mt, step_m in move_blocks(surface, neighbours):
        k = len(mu)
        u[at:at + k], v[at:at + k] = mu + node0, mv + node0
        minutes[at:at + k], length_m[at:at + k] = mt, step_m
        at += k
    links = slice(at, at + n_l)
    u[links], v[links] = np.r_[lcell, linked], np.r_[linked, lcell]
    minutes[links], length_m[links] = np.r_[walk_in + on, walk_in + off], np.r_[link_m, link_m]
    e_mode[links], e_kind[links], e_name[links] = link_kind, link_kind, link_name
    at += n_l
    u[at:], v[at:] = su, sv
    minutes[at:] = np.concatenate(stop_t) if stop_t else np.zeros(0)
    length_m[at:] = np.concatenate(stop_m) if stop_m else np.zeros(0)
    k_days = keep[:len(net.days)]
    k_dep = keep[:len(net.depart)]
    centres = _centres(surface, np.arange(n_cells))
    out = Network(
        crs=net.crs, phys_xy=np.vstack([net.phys_xy, centres]), phys_label=labels,
        node_phys=np.r_[net.node_phys, phys0 + np.arange(n_cells)].astype(np.int64),
        node_mode=np.r_[mode, texts(n_cells, TERRAIN)],
        u=u, v=v, minutes=minutes, length_m=length_m, cost=cost, mode=e_mode, kind=e_kind,
        name=e_name, wait=wait, days=np.asarray(net.days)[k_days],
        depart=np.asarray(net.depart, dtype=object)[k_dep],
        stops=net.stops, access_m=access_m, joined=joined, snapped=net.snapped,
        points=net.points, report=dict(net.report))
    out.report["terrain"] = {
        "cells": int(n_cells), "passable_cells": int(ok.sum()), "cell_m": surface.cell_m,
        "neighbours": int(neighbours), "moves": int(n_m), "line_links": len(linked),
        "straight_walks_replaced": int((~keep).sum() // 2),
        "points_off_the_land": off_land}
    out.cells = CellNodes((rows, cols), float(surface.cell_m), float(surface.x0),
                          float(surface.y0), node0, phys0,
                          Extension(net, surface, penalties, int(neighbours)))
    return out


def _centres(surface: Surface, cell: np.ndarray) -> np.ndarray:
    """The centre (x, y, metres) of each cell (row-major index)."""
    r, c = np.divmod(cell, surface.shape[1])
    return np.column_stack([surface.x0 + (c + 0.5) * surface.cell_m,
                            surface.y0 - (r + 0.5) * surface.cell_m])


def _to_centre(surface: Surface, cell: np.ndarray, xy: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Metres and minutes of the straight walk between points and the centres of their
    (passable) cells, at the cell's speed on the flat."""
    metres = np.hypot(*(xy - _centres(surface, cell)).T)
    speed = np.asarray(surface.speed_kmh, float).ravel()[cell]
    return metres, np.asarray(60.0 * metres / 1000.0 / speed, float)


def rebuild(ext: Extension) -> Any:
    """The network with cells again, from what it was made from (:attr:`CellNodes.source`).

    Parameters
    ----------
    ext : Extension
        The base network, surface, penalties and neighbours.

    Returns
    -------
    Network
        Equal to the network :func:`extend` made.
    """
    return extend(ext.base, ext.surface, transfer=ext.penalties, neighbours=ext.neighbours)


def read_surface(spec: Any, crs: Any, points: Mapping[str, Any],
                 warnings: list[str] | None = None) -> Surface:
    """The scenario's ``[terrain]`` rasters read onto one grid in the network's CRS.

    Parameters
    ----------
    spec : TerrainSpec
        The ``[terrain]`` settings (:class:`planner.config.TerrainSpec`).
    crs : pyproj.CRS
        The study area's metric CRS (the grid's).
    points : mapping of str to Points
        The ``village`` and ``service`` points (:class:`planner.network.graph.Points`): the
        land cover must cover them.
    warnings : list of str, optional
        Where reading notes go.

    Returns
    -------
    Surface
        The friction surface.

    Raises
    ------
    InputError
        For a raster that cannot be read or has no CRS, land-cover classes without a speed,
        or villages or service points the land cover does not cover.
    """
    cover = raster.read_grid(spec.landcover, crs, cell_m=spec.cell_m, categorical=True,
                             what="land cover")
    speed = raster.speeds_of(cover, spec.speeds, spec.landcover, warnings)
    for kind in ("village", "service"):
        pts = points[kind]
        raster.check_covers(cover, pts.xy[:, 0], pts.xy[:, 1],
                            [f"{lab} ({ref})" for lab, ref in zip(pts.labels, pts.refs,
                                                                  strict=True)],
                            spec.landcover, "land cover")
    elevation = (raster.read_grid(spec.elevation, crs, like=cover, what="elevation")
                 if spec.elevation is not None else None)
    barrier = (raster.read_grid(spec.barriers, crs, like=cover, categorical=True,
                                what="barriers") if spec.barriers is not None else None)
    walkable = np.isfinite(speed) & (speed > 0)
    for grid, path, what in ((elevation, spec.elevation, "no elevation: walked as flat "
                              "there (Tobler's factor 1)"),
                             (barrier, spec.barriers, "no barrier data: walked as open "
                              "land")):
        gap = 0 if grid is None else int((walkable & ~np.isfinite(grid.values)).sum())
        if gap and warnings is not None:
            warnings.append(f"{path}: {gap:,} walkable cell(s) of the land cover have "
                            f"{what} (outside the raster or no data)")
    return surface_from_grids(Grid(speed, cover.cell_m, cover.x0, cover.y0, cover.crs),
                              elevation, barrier)


def cell_minutes(net: Any, sources: np.ndarray, *, reverse: bool = False) -> Grid:
    """The travel-time raster: minutes from the nearest of ``sources`` to every cell of a
    network with cells (:func:`extend`), over lines and land alike; ``reverse``: from
    every cell to its nearest source (residents going to a stop).

    Parameters
    ----------
    net : Network
        A network with cells (``net.cells``).
    sources : ndarray of int
        Node ids (e.g. ``net.origin("service")``, or ``net.destination(...)`` with
        ``reverse``).
    reverse : bool, default False
        Towards the sources.

    Returns
    -------
    Grid
        Minutes per cell (``inf``: not reached), in the network's CRS.

    Raises
    ------
    ValueError
        For a network without cells.
    """
    from .travel import to_csr

    cells = _cells(net)
    mat = to_csr(net).matrix
    if reverse:
        mat = mat.T.tocsr()
    src = np.asarray(sources, np.int64)
    src = src[src >= 0]
    if not len(src):
        return Grid(np.full(cells.shape, np.inf), cells.cell_m, cells.x0, cells.y0, net.crs)
    dist = dijkstra(mat, directed=True, indices=src, min_only=True)
    values = np.asarray(dist, float)[cells.node0:cells.node0 + cells.n].reshape(cells.shape)
    return Grid(values, cells.cell_m, cells.x0, cells.y0, net.crs)


def _cells(net: Any) -> Any:
    """The network's terrain cells (:class:`planner.network.graph.CellNodes`)."""
    if net.cells is None:
        raise ValueError("the network has no terrain cells (see terrain.extend)")
    return net.cells


def reach_areas(grid: Grid) -> Any:
    """The travel-time raster as reach-band areas (the bands of
    :data:`planner.config.REACH_BANDS`): one (multi)polygon per band reached, in band order.

    Parameters
    ----------
    grid : Grid
        Minutes per cell (:func:`cell_minutes`, ``Result.terrain``).

    Returns
    -------
    GeoDataFrame
        ``reach_band`` and ``cells`` (how many), geometry in the grid's CRS; the cells no
        walk reaches are left out.
    """
    import geopandas as gpd

    from ..config import REACH_BANDS
    from .travel import reach_band

    labels = reach_band(grid.values.ravel()).reshape(grid.values.shape)
    code = np.full(grid.values.shape, -1, np.int32)
    for i, band in enumerate(REACH_BANDS[:-1]):
        code[labels == band] = i
    found, counts, shapes = _areas(code, grid.x0, grid.y0, grid.cell_m)
    return gpd.GeoDataFrame({"reach_band": [REACH_BANDS[i] for i in found],
                             "cells": counts}, geometry=shapes, crs=grid.crs)


def _areas(code: np.ndarray, x0: float, y0: float, cell_m: float
           ) -> tuple[list[int], list[int], list[Any]]:
    """The cells of each code (>= 0) of a grid as one (multi)polygon: the codes found in
    ascending order, their cell counts and their shapes (the grid's CRS)."""
    import shapely
    from rasterio.features import shapes
    from rasterio.transform import from_origin

    parts: dict[int, list[Any]] = {}
    for geom, value in shapes(code, mask=code >= 0, transform=from_origin(x0, y0, cell_m,
                                                                          cell_m)):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    found = sorted(parts)
    counts = np.bincount(code[code >= 0].ravel(), minlength=max(found, default=-1) + 1)
    return found, [int(counts[i]) for i in found], [shapely.union_all(parts[i])
                                                    for i in found]


def catchments(net: Any, sources: np.ndarray, codes: list[str], names: list[str], *,
               limit: float = 1440.0) -> tuple[Grid, Any]:
    """Catchments over the land: for every cell of a network with cells (:func:`extend`),
    the minutes to the nearest of ``sources`` the residents can reach, going there over
    lines and land, and which one it is; each source's catchment as one (multi)polygon.

    Parameters
    ----------
    net : Network
        A network with cells (``net.cells``).
    sources : ndarray of int
        The destination nodes people go to (offices, proposed stops).
    codes, names : list of str
        Each source's code and name.
    limit : float, default 1440
        Minutes: cells farther from every source belong to no catchment (24 h, the last
        reach band's start).

    Returns
    -------
    minutes : Grid
        Minutes from each cell to its nearest source (``inf``: none reached).
    areas : GeoDataFrame
        One row per source that is the nearest of some cell within ``limit``, in the
        sources' order: ``code``, ``name``, ``cells``, ``area_km2``, ``median_minutes``,
        geometry (the cells' union, the network's CRS).

    Raises
    ------
    ValueError
        For a network without cells.
    """
    import geopandas as gpd

    from .travel import nearest_source, to_csr

    cells = _cells(net)
    cell_nodes = cells.node0 + np.arange(cells.n)
    res = nearest_source(to_csr(net), np.asarray(sources, np.int64), cell_nodes,
                         reverse=True)
    minutes = res.value.reshape(cells.shape)
    which = np.where(np.isfinite(res.value) & (res.value <= limit), res.source, -1)
    which = which.reshape(cells.shape).astype(np.int32)
    found, counts, shapes = _areas(which, cells.x0, cells.y0, cells.cell_m)
    frame = gpd.GeoDataFrame({
        "code": [codes[i] for i in found], "name": [names[i] for i in found],
        "cells": counts,
        "area_km2": [round(n * cells.cell_m ** 2 / 1e6, 6) for n in counts],
        "median_minutes": [round(float(np.median(minutes[which == i])), 1) for i in found]},
        geometry=shapes, crs=net.crs)
    return Grid(minutes, cells.cell_m, cells.x0, cells.y0, net.crs), frame
