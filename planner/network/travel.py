"""Travel on the network: bulk shortest paths on a compressed sparse copy of the graph
(``scipy.sparse.csgraph``, compiled code), the village × site table, routes as legs, reach
bands. NetworkX gives the same answers (the tests check it to 1e-9 minutes) and explains.

Times run from the service point to the village (the team travels out) unless
``reverse=True`` (residents travel to the site), on the directed graph.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from ..config import REACH_BANDS, Scenario
from ..text import minutes_text
from .build import Sources, build_network
from .graph import Network, texts

BAND_EDGES_MIN: tuple[float, ...] = (60.0, 180.0, 480.0, 1440.0)
"""Upper bounds (minutes, inclusive) of the reach bands ``<=1h, 1-3h, 3-8h, 8-24h``."""

EMPTY_WHEN_ZERO = ("transfer", "access", "terrain")
"""Edge kinds that make no leg when they take no time (a change of mode without a penalty,
a walk of no length)."""

TIE_RUPIAH_PER_MINUTE = 1e-3
"""On the cheapest route, each minute also costs this much (rupiah), so that among equally
cheap routes the fastest wins. Edges without a known cost count as free."""


@dataclass(frozen=True)
class CSRGraph:
    """The network as a CSR matrix; ``edge[k]`` is the network edge behind entry ``k``."""

    matrix: sp.csr_matrix
    edge: np.ndarray
    keys: np.ndarray  # row * n + column of each entry, ascending: finds an entry's edge
    weight: str = "minutes"  # what the entries hold (minutes, cost...)

    @property
    def n(self) -> int:
        """Number of nodes of the graph."""
        return int(self.matrix.shape[0])


def edge_weight(net: Network, weight: str) -> np.ndarray:
    """Edge weights: ``minutes`` or ``cost`` (unknown cost = 0, plus the tie-breaker).

    Parameters
    ----------
    net : Network
        The network.
    weight : str
        ``"minutes"`` or ``"cost"`` (rupiah; a tie-breaker of
        ``TIE_RUPIAH_PER_MINUTE`` per minute keeps the faster of equally dear routes).

    Returns
    -------
    ndarray of float
        One weight per edge.
    """
    if weight == "minutes":
        return net.minutes
    if weight == "cost":
        return np.asarray(np.nan_to_num(net.cost, nan=0.0) + TIE_RUPIAH_PER_MINUTE * net.minutes,
                          dtype=float)
    raise ValueError(f"unknown weight {weight!r}; expected 'minutes' or 'cost'")


def to_csr(net: Network, weight: str | np.ndarray = "minutes") -> CSRGraph:
    """Copy the network into CSR form; of parallel edges the lightest is kept.

    Zero weights (transfers without penalty, stops) are stored as real edges.

    Parameters
    ----------
    net : Network
        The network.
    weight : str or ndarray, default "minutes"
        ``"minutes"`` or ``"cost"`` (see :func:`edge_weight`), or one weight per edge
        (e.g. rupiah without the tie-breaker, for a lower bound).

    Returns
    -------
    CSRGraph
        The sparse matrix and, per stored entry, the network edge it came from.
    """
    w = edge_weight(net, weight) if isinstance(weight, str) else np.asarray(weight, float)
    n = net.n_nodes
    keys = net.u.astype(np.int64) * n + net.v       # one key per (from, to) pair
    keep = np.lexsort((w, keys))                   # by pair, the lightest first
    keys = keys[keep]
    first = np.r_[True, keys[1:] != keys[:-1]]
    keep, keys = keep[first], keys[first]
    del first
    # 32-bit indices when they fit: what scipy's shortest paths use (no copy per search)
    idx = np.int32 if max(n, len(keep)) < np.iinfo(np.int32).max else np.int64
    rows, cols = np.divmod(keys, n)
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))].astype(idx)
    del rows
    matrix = sp.csr_matrix((w[keep], cols.astype(idx), indptr), shape=(n, n))
    return CSRGraph(matrix, keep, keys, weight if isinstance(weight, str) else "given")


@dataclass(frozen=True)
class NearestResult:
    """For each target: minutes (or cost) from its nearest source (``inf`` when none reaches
    it), which source (index into the sources, -1 if none), and the shortest-path tree."""

    value: np.ndarray
    source: np.ndarray
    predecessors: np.ndarray
    csr: CSRGraph
    reverse: bool = False


def nearest_source(csr: CSRGraph, sources: np.ndarray, targets: np.ndarray,
                   limit: float = np.inf, reverse: bool = False,
                   predecessors: bool = True) -> NearestResult:
    """Shortest distance from the nearest of ``sources`` to each of ``targets`` (node ids).

    Parameters
    ----------
    csr : CSRGraph
        The network in CSR form (:func:`to_csr`).
    sources : ndarray of int
        Source nodes (e.g. the offices' origin stops).
    targets : ndarray of int
        Target nodes; ``-1`` gets ``inf``.
    limit : float, default inf
        Distances beyond this are not searched (``inf`` in the answer).
    reverse : bool, default False
        From each target to its nearest source instead.
    predecessors : bool, default True
        Keep the shortest-path tree (for routes); False is a little faster.

    Returns
    -------
    NearestResult
        Per target: the distance (``value``), the nearest source (``source``, -1 if none)
        and, with ``predecessors``, the tree to walk routes back.
    """
    mat = csr.matrix.T.tocsr() if reverse else csr.matrix
    sources = np.asarray(sources, dtype=np.int64)
    if predecessors:
        dist, pred, origin = dijkstra(mat, directed=True, indices=sources, min_only=True,
                                      return_predecessors=True, limit=limit)
    else:
        dist, origin = dijkstra(mat, directed=True, indices=sources, min_only=True,
                                return_predecessors=False, limit=limit), None
        pred = np.zeros(0, np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    ok = targets >= 0
    value = np.full(len(targets), np.inf)
    value[ok] = dist[targets[ok]]
    source = np.full(len(targets), -1, dtype=np.int64)
    if origin is not None:
        src_pos = np.full(csr.n, -1, dtype=np.int64)
        src_pos[sources[::-1]] = np.arange(len(sources))[::-1]  # first listed wins on ties
        reached = ok.copy()
        reached[ok] = np.isfinite(dist[targets[ok]])
        source[reached] = src_pos[origin[targets[reached]]]
    return NearestResult(value, source, pred, csr, reverse)


def _edge_ids(csr: CSRGraph, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Network edge id of the CSR entry (a -> b), vectorised."""
    pos = np.searchsorted(csr.keys, a.astype(np.int64) * csr.n + b)
    return np.asarray(csr.edge[pos], dtype=np.int64)


def path_edges(res: NearestResult, target: int) -> np.ndarray:
    """Network edge ids along the path from the nearest source to ``target``, in travel order.

    Parameters
    ----------
    res : NearestResult
        A :func:`nearest_source` answer with predecessors.
    target : int
        The target node.

    Returns
    -------
    ndarray of int
        The edge ids; empty if ``target`` is a source or unreachable.
    """
    chain = [int(target)]
    while res.predecessors[chain[-1]] >= 0:
        chain.append(int(res.predecessors[chain[-1]]))
    nodes = np.array(chain[::-1])
    if res.reverse:  # the tree was grown on the transposed graph: walk it backwards
        nodes = nodes[::-1]
    return _edge_ids(res.csr, nodes[:-1], nodes[1:])


def paths_to(res: NearestResult, targets: np.ndarray) -> list[np.ndarray]:
    """:func:`path_edges` for each target.

    Parameters
    ----------
    res : NearestResult
        A :func:`nearest_source` answer with predecessors.
    targets : ndarray of int
        The target nodes.

    Returns
    -------
    list of ndarray
        One edge-id array per target; empty where nothing reaches it.
    """
    targets = np.asarray(targets, np.int64)
    out = [np.zeros(0, np.int64) for _ in range(len(targets))]
    ok = np.flatnonzero((targets >= 0) & np.isfinite(res.value))
    for start in range(0, len(ok), 4096):  # a block of targets at a time (memory)
        block = ok[start:start + 4096]
        for i, e in zip(block, _walk_back(res, targets[block]), strict=True):
            out[i] = e
    return out


def _walk_back(res: NearestResult, targets: np.ndarray) -> list[np.ndarray]:
    """The paths to ``targets`` (reached, not -1), all walked back along the tree at once:
    one row per step, one column per target."""
    pred = res.predecessors
    cur = targets
    steps = [cur]
    while (cur >= 0).any():
        cur = np.where(cur >= 0, pred[np.maximum(cur, 0)], -1)
        steps.append(cur)
    chain = np.stack(steps)                      # (steps, targets): target first, -1 after
    n_edges = (chain >= 0).sum(axis=0) - 1
    col = np.repeat(np.arange(len(targets)), n_edges)
    k = np.arange(int(n_edges.sum())) - np.repeat(np.cumsum(n_edges) - n_edges, n_edges)
    later, earlier = chain[k, col], chain[k + 1, col]   # the tree's edge earlier -> later
    # on the transposed graph (reverse) the tree's edges run against travel: the walk back
    # from the target is the travel order itself; else the walk back is reversed
    a, b = (later, earlier) if res.reverse else (earlier, later)
    edges = _edge_ids(res.csr, a, b) if len(a) else np.zeros(0, np.int64)
    bounds = np.r_[0, np.cumsum(n_edges)]
    return [edges[x:y] if res.reverse else edges[x:y][::-1].copy()
            for x, y in itertools.pairwise(bounds)]


def leg_groups(net: Network, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule that cuts a route into legs.

    Zero-cost stop edges and empty walks or transfers are left out; consecutive edges of one
    mode form a leg; every transfer with a penalty is a leg of its own.

    Parameters
    ----------
    net : Network
        The network.
    edges : ndarray of int
        A route's edge ids in travel order.

    Returns
    -------
    kept : ndarray of int
        The edges that make legs.
    starts : ndarray of int
        The index in ``kept`` where each leg starts.
    """
    edges = np.asarray(edges, dtype=np.int64)
    kind = net.kind[edges]
    skip = (kind == "stop") | (np.isin(kind, EMPTY_WHEN_ZERO) & (net.minutes[edges] == 0))
    kept = edges[~skip]
    mode = net.mode[kept]
    new = np.r_[True, (mode[1:] != mode[:-1]) | (mode[1:] == "transfer")] if len(kept) \
        else np.zeros(0, bool)
    return kept, np.flatnonzero(new)


def legs(net: Network, edges: np.ndarray) -> pd.DataFrame:
    """A route as legs: consecutive edges of one mode merged.

    Transfers with a penalty are legs of their own; zero-cost stop edges and empty walks are
    left out.

    Parameters
    ----------
    net : Network
        The network.
    edges : ndarray of int
        The route's edge ids in travel order.

    Returns
    -------
    DataFrame
        ``mode, from, to, minutes, wait_minutes, length_m, cost, name`` (minutes, the
        expected wait included in ``minutes``; metres; rupiah) and ``_edges`` (each leg's
        edge ids).
    """
    kept, starts = leg_groups(net, edges)
    rows = []
    for group in np.split(kept, starts[1:]) if len(kept) else []:
        first, last = int(group[0]), int(group[-1])
        names: list[str] = []
        for e in group:
            if net.name[e] and net.name[e] not in "; ".join(names):
                names.append(net.name[e])
        rows.append({"mode": net.mode[first],
                     "from": place_label(net, net.node_phys[net.u[first]]),
                     "to": place_label(net, net.node_phys[net.v[last]]),
                     "minutes": float(sum(net.minutes[group].tolist())),
                     "wait_minutes": sum(_wait(net, int(e)) for e in group),
                     "length_m": float(sum(net.length_m[group].tolist())),
                     "cost": float(sum(net.cost[group].tolist())),
                     "name": "; ".join(names), "_edges": group.tolist()})
    return pd.DataFrame(rows, columns=["mode", "from", "to", "minutes", "wait_minutes",
                                       "length_m", "cost", "name", "_edges"])


def legs_texts(net: Network, paths: list[np.ndarray]) -> list[str]:
    """Each route in one line, as on the map.

    E.g. ``road 6 min → air 22 h 38 min (21 h wait) → track 2 h 58 min`` (the legs of
    :func:`legs`). All routes in one vectorised pass.

    Parameters
    ----------
    net : Network
        The network.
    paths : list of ndarray
        Each route's edge ids.

    Returns
    -------
    list of str
        One text per route; ``""`` for an empty route.
    """
    if not paths:
        return []
    sizes = np.array([len(e) for e in paths])
    allp = np.concatenate([np.asarray(e, dtype=np.int64) for e in paths]) if sizes.sum() \
        else np.zeros(0, np.int64)
    route = np.repeat(np.arange(len(paths)), sizes)
    kind = net.kind[allp]
    keep = ~((kind == "stop") | (np.isin(kind, EMPTY_WHEN_ZERO) & (net.minutes[allp] == 0)))
    e, route = allp[keep], route[keep]
    out = [""] * len(paths)
    if not len(e):
        return out
    mode = net.mode[e]
    new = np.r_[True, (route[1:] != route[:-1]) | (mode[1:] != mode[:-1])
                | (mode[1:] == "transfer")]
    starts = np.flatnonzero(new)
    minutes = np.add.reduceat(net.minutes[e], starts)
    wait = np.add.reduceat(net.wait[e], starts) if len(net.wait) else np.zeros(len(starts))
    parts: dict[int, list[str]] = {}
    for r, m, mins, w in zip(route[starts].tolist(), mode[starts].tolist(), minutes.tolist(),
                             wait.tolist(), strict=True):
        text = f"{m} {minutes_text(mins)}"
        if w:
            text += f" ({minutes_text(w)} wait)"
        parts.setdefault(r, []).append(text)
    for r, words in parts.items():
        out[r] = " → ".join(words)
    return out


def place_label(net: Network, phys: int) -> str:
    """The name of a physical node: its place, else ``junction <number>``.

    Parameters
    ----------
    net : Network
        The network.
    phys : int
        The physical node.

    Returns
    -------
    str
        The label.
    """
    return net.phys_label[phys] or _junction(net, phys)


def _wait(net: Network, e: int) -> float:
    return float(net.wait[e]) if len(net.wait) else 0.0


def _junction(net: Network, phys: int) -> str:
    cells = net.cells
    if cells is not None and cells.phys0 <= phys < cells.phys0 + cells.n:
        row, col = divmod(int(phys) - cells.phys0, cells.shape[1])
        return f"open land (cell {row}, {col})"
    return f"junction {int(phys)}"


def route_line(net: Network, edges: np.ndarray) -> shapely.LineString | None:
    """The route as a LineString in the network's metric CRS (straight between nodes).

    Parameters
    ----------
    net : Network
        The network.
    edges : ndarray of int
        The route's edge ids.

    Returns
    -------
    shapely.LineString or None
        None for an empty route.
    """
    if len(edges) == 0:
        return None
    phys = np.r_[net.node_phys[net.u[edges[0]]], net.node_phys[net.v[edges]]]
    keep = np.r_[True, phys[1:] != phys[:-1]]
    xy = net.phys_xy[phys[keep]]
    return shapely.LineString(xy) if len(xy) > 1 else None


def route_modes(net: Network, edges: np.ndarray) -> str:
    """Modes along a route, repeats merged, transfers and stops left out: ``sea>road>foot``.

    A zero-length walk (a village sitting on the network) is not a mode of the route.

    Parameters
    ----------
    net : Network
        The network.
    edges : ndarray of int
        The route's edge ids.

    Returns
    -------
    str
        The modes joined by ``>`` (``""`` for an empty route).
    """
    out: list[str] = []
    for e in edges:
        if net.kind[e] in ("stop", "transfer") or (net.kind[e] in ("access", "terrain")
                                                    and net.length_m[e] == 0):
            continue
        m = net.mode[e]
        if not out or out[-1] != m:
            out.append(m)
    return ">".join(out)


def max_speed(net: Network, within: float = np.inf) -> float:
    """Fastest straight-line progress of any edge, metres per minute.

    Parameters
    ----------
    net : Network
        The network.
    within : float, default inf
        Only the edges a trip of this many minutes can take (an edge longer than the trip
        is never on it: a flight with its check-in is not within an hour's walk).

    Returns
    -------
    float
        ``inf`` when an edge joins two distinct places in no time (e.g. a link given 0
        minutes).
    """
    xy = net.phys_xy[net.node_phys]
    d = np.hypot(*(xy[net.u] - xy[net.v]).T)
    moving = (d > 0) & (net.minutes <= within)
    if not moving.any():
        return 0.0
    if (net.minutes[moving] <= 0).any():
        return np.inf
    return float((d[moving] / net.minutes[moving]).max())


def travel_table(net: Network, sites: np.ndarray, villages: np.ndarray, *,
                 cutoff: float = np.inf, reverse: bool = False,
                 weight: str | CSRGraph = "minutes", max_cells: int = 50_000_000,
                 local: bool | None = None) -> pd.DataFrame:
    """Long village × site table of travel times within ``cutoff`` minutes.

    Parameters
    ----------
    net : Network
        The network.
    sites, villages : ndarray of int
        Network nodes (``-1`` = not on the network: no rows).
    cutoff : float
        Pairs slower than this (minutes) are left out.
    reverse : bool
        False: from the site to the village (the team travels); True: from the village to the
        site (residents travel to the stop).
    weight : str or CSRGraph
        What to add up along a path (``"minutes"``, ``"cost"``), or the network already in
        CSR form (:func:`to_csr`) when tables are made repeatedly.
    max_cells : int
        Sites are run in chunks so that a chunk's dense distance block has at most this many
        cells (memory: 8 bytes each).
    local : bool or None
        Search each group of nearby sites on a window of the graph: every node a path within
        ``cutoff`` can reach lies within ``cutoff × max_speed`` metres of its site (each edge
        such a path can take, one of at most ``cutoff`` minutes, moves at most that fast),
        so the answer is exact and the work stays local. ``None``
        (default): on graphs over 200,000 nodes when the cut-off and the top speed are finite.

    Returns
    -------
    DataFrame
        ``village`` (index into ``villages``), ``site`` (index into ``sites``), ``minutes``,
        sorted by village then site.
    """
    csr = weight if isinstance(weight, CSRGraph) else to_csr(net, weight)
    mat = csr.matrix.T.tocsr() if reverse else csr.matrix
    n_nodes, is_minutes = csr.n, csr.weight == "minutes"
    del csr  # the entries' edge ids are not needed here (memory on large graphs)
    if np.isfinite(cutoff):  # a trip of exactly the cut-off counts, whatever float rounding
        cutoff = cutoff * (1 + 1e-9) + 1e-9
    sites = np.asarray(sites, np.int64)
    villages = np.asarray(villages, np.int64)
    vok = np.flatnonzero(villages >= 0)
    vnodes = villages[vok]
    valid_sites = np.flatnonzero(sites >= 0)
    vmax = max_speed(net, within=cutoff) if np.isfinite(cutoff) and is_minutes else np.inf
    if local is None:
        local = n_nodes > 200_000 and np.isfinite(vmax)
    if local and np.isfinite(cutoff) and np.isfinite(vmax):
        parts = _local_table(net, mat, sites, vok, vnodes, cutoff, vmax, max_cells)
        return _finish_table(parts)
    chunk = max(1, int(max_cells // max(n_nodes, 1)))
    parts = []
    for start in range(0, len(valid_sites), chunk):
        idx = valid_sites[start:start + chunk]
        d = dijkstra(mat, directed=True, indices=sites[idx], limit=cutoff)
        block = d[:, vnodes]
        si, vi = np.nonzero(np.isfinite(block) & (block <= cutoff))
        parts.append(pd.DataFrame({"village": vok[vi], "site": idx[si],
                                   "minutes": block[si, vi]}))
    return _finish_table(parts)


def _finish_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"village": np.zeros(0, np.int64), "site": np.zeros(0, np.int64),
                             "minutes": np.zeros(0)})
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["village", "site"], kind="mergesort").reset_index(drop=True)


def _local_table(net: Network, mat: sp.csr_matrix, sites: np.ndarray, vok: np.ndarray,
                 vnodes: np.ndarray, cutoff: float, vmax: float,
                 max_cells: int) -> list[pd.DataFrame]:
    """Travel table computed window by window (see ``travel_table(local=True)``)."""
    from scipy.spatial import cKDTree

    valid_sites = np.flatnonzero(sites >= 0)
    xy = net.phys_xy[net.node_phys]
    reach = cutoff * vmax * (1 + 1e-9) + 1e-6
    cell = max(reach / 2, 1.0)
    sxy = xy[sites[valid_sites]]
    keys = np.floor(sxy / cell).astype(np.int64)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    tree = cKDTree(xy)
    is_village = np.zeros(len(xy), bool)
    is_village[vnodes] = True
    village_pos = np.full(len(xy), -1, np.int64)
    village_pos[vnodes] = np.arange(len(vnodes))
    parts = []
    bounds = np.flatnonzero(np.r_[True, (np.diff(keys[order], axis=0) != 0).any(axis=1)])
    for a, b in zip(bounds, np.r_[bounds[1:], len(order)], strict=True):
        group = valid_sites[order[a:b]]
        gxy = xy[sites[group]]
        centre = (gxy.min(axis=0) + gxy.max(axis=0)) / 2
        half = float(np.hypot(*(gxy.max(axis=0) - gxy.min(axis=0)))) / 2
        window = np.sort(np.asarray(tree.query_ball_point(centre, reach + half), np.int64))
        if 2 * len(window) > mat.shape[0]:  # most of the graph: search it whole, no copy
            window = np.arange(mat.shape[0])
            sub = mat
        else:
            sub = mat[window][:, window]
        local_src = np.searchsorted(window, sites[group])
        targets = window[is_village[window]]
        local_tgt = np.searchsorted(window, targets)
        step = max(1, int(max_cells // max(len(window), 1)))
        for s0 in range(0, len(group), step):
            d = dijkstra(sub, directed=True, indices=local_src[s0:s0 + step], limit=cutoff)
            block = d[:, local_tgt]
            si, ti = np.nonzero(np.isfinite(block) & (block <= cutoff))
            parts.append(pd.DataFrame({"village": vok[village_pos[targets[ti]]],
                                       "site": group[s0:s0 + step][si],
                                       "minutes": block[si, ti]}))
    return parts


def parts(net: Network) -> tuple[int, np.ndarray]:
    """Weakly connected parts of the network (those with at least one edge: the impassable
    cells of a terrain are not counted).

    Parameters
    ----------
    net : Network
        The network.

    Returns
    -------
    n : int
        Their number.
    labels : ndarray of int
        The part of each node.
    """
    links = sp.coo_matrix((np.ones(len(net.u), np.int8), (net.u, net.v)),
                          shape=(net.n_nodes, net.n_nodes))
    _, labels = connected_components(links, directed=True, connection="weak")
    # parts with an edge: a cell no one can walk into (water, no data) is not a part
    return len(np.unique(labels[net.u])), np.asarray(labels)


def reach_band(minutes: np.ndarray) -> np.ndarray:
    """Reach band label per travel time.

    Parameters
    ----------
    minutes : ndarray of float
        Travel times (minutes); ``inf`` or NaN is ``unreachable``.

    Returns
    -------
    ndarray of str
        One of :data:`planner.config.REACH_BANDS` per time.
    """
    minutes = np.asarray(minutes, dtype=float)
    idx = np.searchsorted(np.array(BAND_EDGES_MIN), minutes, side="left")
    labels = np.array(REACH_BANDS[:-1], dtype=object)[np.minimum(idx, len(REACH_BANDS) - 2)]
    labels[~np.isfinite(minutes)] = REACH_BANDS[-1]
    return labels


def all_paths(net: Network,
              kind: Literal["fastest", "cheapest"] = "fastest") -> list[np.ndarray]:
    """Each village's fastest (or cheapest) route from its nearest office.

    Parameters
    ----------
    net : Network
        The network with villages and offices joined.
    kind : {"fastest", "cheapest"}, default "fastest"
        Least minutes, or least rupiah.

    Returns
    -------
    list of ndarray
        Edge ids per village (input order); empty when unreachable or when the village is
        the office's own node.
    """
    csr = to_csr(net, "cost" if kind == "cheapest" else "minutes")
    res = nearest_source(csr, net.origin("service"), net.destination("village"))
    return paths_to(res, net.destination("village"))


def _terrain_columns(net: Network, paths: list[np.ndarray], minutes: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """With terrain cells: ``terrain_walk_minutes`` (the minutes of each village's route
    walked across the land, off every line), ``network_minutes`` (over the lines alone, with
    the straight walks to them: the network without the cells) and ``reached_over_terrain``
    (reached only because people may walk across the land)."""
    sizes = np.array([len(e) for e in paths], np.int64)
    allp = (np.concatenate([np.asarray(e, np.int64) for e in paths]) if sizes.sum()
            else np.zeros(0, np.int64))
    route = np.repeat(np.arange(len(paths)), sizes)
    on_land = net.kind[allp] == "terrain"
    walked = np.bincount(route[on_land], net.minutes[allp[on_land]], minlength=len(paths))
    walked[~np.isfinite(minutes)] = np.nan
    base = getattr(net.cells, "source", None)
    base_net = getattr(base, "base", None)
    out = {"terrain_walk_minutes": np.round(walked, 3)}
    if base_net is not None:
        alone = nearest_source(to_csr(base_net), base_net.origin("service"),
                               base_net.destination("village"), predecessors=False).value
        out["network_minutes"] = np.round(alone, 3)
        out["reached_over_terrain"] = np.isfinite(minutes) & ~np.isfinite(alone)
    return out


def travel_columns(net: Network, s: Scenario, service_ids: np.ndarray, *,
                   sources: Sources | None = None
                   ) -> tuple[dict[str, np.ndarray], dict[str, list[np.ndarray]],
                              np.ndarray | None]:
    """The travel columns of every village (and, with terrain cells, the minutes to every
    cell from the same search).

    Nearest service, minutes, band, route modes, walking connector, reason when unreachable,
    and (where costs exist) the fastest route's cost and the cheapest route's cost and
    minutes.

    Parameters
    ----------
    net : Network
        The network with villages and service points joined.
    s : Scenario
        The scenario (its season and walking limit word the reasons).
    service_ids : ndarray
        The service points' ids, in the network's order.
    sources : Sources, optional
        The network's files as read; in a season, the network without it is built from
        them to tell the villages the season cuts off (read again when not given).

    Returns
    -------
    columns : dict of str to ndarray
        One array per column of ``villages.csv`` this step makes.
    paths : dict of str to list of ndarray
        Each village's ``fastest`` (and ``cheapest``) route as edge ids.
    cells : ndarray or None
        With terrain cells (``net.cells``): minutes from the nearest service point to each
        cell, (rows, cols), the travel-time raster; else None.
    """
    villages = net.destination("village")
    n = len(villages)
    cell_nodes = (np.zeros(0, np.int64) if net.cells is None
                  else net.cells.node0 + np.arange(net.cells.n))
    found = nearest_source(to_csr(net), net.origin("service"), np.r_[villages, cell_nodes])
    cells = (None if net.cells is None
             else found.value[n:].reshape(net.cells.shape))
    res = replace(found, value=found.value[:n], source=found.source[:n])
    del found
    value = res.value
    out: dict[str, np.ndarray] = {
        "nearest_service": np.where(res.source >= 0, service_ids[np.maximum(res.source, 0)],
                                    ""),
        "travel_minutes": np.round(value, 3),
        "reach_band": reach_band(value),
        "access_m": np.round(net.access_m["village"], 1),
        "joined_to": net.joined.get("village", texts(n, "")),
    }
    paths = paths_to(res, villages)
    del res  # its tree and sparse copy of the graph (memory, before the next search)
    stored = {"fastest": paths}
    out["route_modes"] = np.array([route_modes(net, e) for e in paths], dtype=object)
    has_cost = bool(np.isfinite(net.cost[np.isin(net.kind, ("line", "link"))]).any())
    if has_cost:
        out["travel_cost"] = np.array([net.cost[e].sum() if np.isfinite(value[i])
                                       else np.nan for i, e in enumerate(paths)]).round(0)
        cp = all_paths(net, "cheapest")
        stored["cheapest"] = cp
        ok = np.isfinite(value)  # the cheapest route exists where the fastest does
        out["cheapest_cost"] = np.array([np.nansum(net.cost[e]) if r else np.nan
                                         for e, r in zip(cp, ok, strict=True)]).round(0)
        out["cheapest_minutes"] = np.array([net.minutes[e].sum() if r else np.nan
                                            for e, r in zip(cp, ok, strict=True)]).round(3)
    if net.cells is not None:  # walking over terrain: what the land adds
        out.update(_terrain_columns(net, paths, value))
    reasons = texts(n, "")
    unreached = ~np.isfinite(value)
    if unreached.any() and net.cells is not None:
        on_land = np.asarray(net.joined["village"], dtype=object) == "over terrain"
        reasons[unreached & on_land] = ("no route from any service point over the lines or "
                                        "the land: impassable cells, barriers or one-way "
                                        "links cut it off")
        reasons[unreached & ~on_land] = (f"in an impassable cell of the land cover (water, a "
                                         f"barrier), more than {s.access.max_km:g} km from "
                                         "the nearest line, and no link reaches it")
    elif unreached.any():
        beyond = unreached & np.isnan(net.access_m["village"])
        rest = unreached & ~beyond
        if s.network.season:  # what the season closes: the baseline network tells
            base = build_network(replace(s.network, season=""), net.crs,
                                 {k: net.points[k] for k in ("village", "service")},
                                 s.access, sources=sources)
            alt = nearest_source(to_csr(base), base.origin("service"),
                                 base.destination("village"))
            closed = unreached & np.isfinite(alt.value)
            walk = closed & beyond
            reasons[walk] = (f"closed in season '{s.network.season}': the lines within "
                             f"walking reach ({s.access.max_km:g} km) are closed in that "
                             "season")
            reasons[closed & ~beyond] = (f"closed in season '{s.network.season}': reachable "
                                         "only by lines closed in that season")
            beyond &= ~closed
            rest &= ~closed
        reasons[beyond] = (f"beyond the walking limit: more than {s.access.max_km:g} km from "
                           "the nearest line of the network, and no link reaches it")
        # a part with an office, yet no route: links of one direction (a boat downstream)
        # turn the way (one-way roads do not: people walk them back); else the part holds
        # no service point at all
        _, part = parts(net)
        with_office = np.isin(part[net.destination("village")],
                              part[net.origin("service")])
        one_way = rest & with_office
        reasons[one_way] = ("no route from any service point in the direction of travel: its "
                            "part of the network has a service point, but one-way links "
                            "only lead away from this village")
        reasons[rest & ~with_office] = ("no path from any service point: its part of the "
                                        "network holds no service point")
    out["unreachable_reason"] = reasons
    return out, stored, cells
