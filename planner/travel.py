"""Travel times on the network: bulk shortest paths on a compressed sparse copy of the graph
(scipy.sparse.csgraph, compiled), routes and explanations from NetworkX.

Times run from the service point to the village (the team travels out), on the directed graph.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .config import REACH_BANDS

BAND_EDGES_MIN: tuple[float, ...] = (60.0, 180.0, 480.0, 1440.0)
"""Upper bounds (minutes, inclusive) of the reach bands ``<=1h, 1-3h, 3-8h, 8-24h``."""


@dataclass(frozen=True)
class CSRGraph:
    """A graph as CSR arrays: node ``i`` of the matrix is ``nodes[i]`` of the NetworkX graph."""

    matrix: sp.csr_matrix
    nodes: np.ndarray
    index: dict[int, int]


def to_csr(G: nx.DiGraph, weight: str = "minutes") -> CSRGraph:
    """Copy the graph's ``weight`` into a CSR matrix (zero weights kept as real edges)."""
    nodes = np.array(sorted(G.nodes), dtype=np.int64)
    index = {int(n): i for i, n in enumerate(nodes)}
    m = G.number_of_edges()
    rows = np.empty(m, np.int64)
    cols = np.empty(m, np.int64)
    data = np.empty(m, float)
    for k, (u, v, w) in enumerate(G.edges(data=weight)):
        rows[k], cols[k], data[k] = index[u], index[v], w
    order = np.lexsort((cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    indptr = np.zeros(len(nodes) + 1, np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    mat = sp.csr_matrix((data, cols, indptr), shape=(len(nodes), len(nodes)))
    return CSRGraph(matrix=mat, nodes=nodes, index=index)


@dataclass(frozen=True)
class NearestResult:
    """For each target: minutes from its nearest source (inf when none reaches it), which
    source (index into the sources given, -1 if none), and the predecessor tree."""

    minutes: np.ndarray
    source: np.ndarray
    predecessors: np.ndarray
    csr: CSRGraph


def nearest_source(csr: CSRGraph, sources: np.ndarray, targets: np.ndarray,
                   limit: float = np.inf) -> NearestResult:
    """Minutes from the nearest of ``sources`` to each of ``targets`` (graph node ids).

    Targets with node id -1 (not attached to the network) get ``inf`` and source -1.
    """
    src_idx = np.array([csr.index[int(s)] for s in sources], dtype=np.int64)
    dist, pred, origin = dijkstra(csr.matrix, directed=True, indices=src_idx, min_only=True,
                                  return_predecessors=True, limit=limit)
    pos_of = {int(s): i for i, s in enumerate(src_idx)}
    minutes = np.full(len(targets), np.inf)
    source = np.full(len(targets), -1, dtype=np.int64)
    for i, t in enumerate(targets):
        if t < 0:
            continue
        j = csr.index[int(t)]
        if np.isfinite(dist[j]):
            minutes[i] = dist[j]
            source[i] = pos_of[int(origin[j])]
    return NearestResult(minutes=minutes, source=source, predecessors=pred, csr=csr)


def path_nodes(result: NearestResult, target: int) -> list[int]:
    """The node path (graph ids) from the nearest source to ``target``.

    A target that no source reaches gives a one-node path (itself); check ``minutes`` first.
    """
    j = result.csr.index[int(target)]
    path = [j]
    while result.predecessors[path[-1]] >= 0:
        path.append(int(result.predecessors[path[-1]]))
    nodes = [int(result.csr.nodes[k]) for k in reversed(path)]
    return nodes


def route_modes(G: nx.DiGraph, nodes: list[int]) -> str:
    """Modes along a node path, consecutive repeats merged, e.g. ``sea>road>foot``."""
    modes: list[str] = []
    for a, b in itertools.pairwise(nodes):
        m = G.edges[a, b]["mode"]
        if not modes or modes[-1] != m:
            modes.append(m)
    return ">".join(modes)


def reach_band(minutes: np.ndarray) -> np.ndarray:
    """Reach band label per travel time (minutes); ``inf`` or NaN is ``unreachable``."""
    minutes = np.asarray(minutes, dtype=float)
    idx = np.searchsorted(np.array(BAND_EDGES_MIN), minutes, side="left")
    labels = np.array(REACH_BANDS[:-1], dtype=object)[np.minimum(idx, len(REACH_BANDS) - 2)]
    labels[~np.isfinite(minutes)] = REACH_BANDS[-1]
    return labels
