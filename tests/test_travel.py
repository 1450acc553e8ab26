from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from planner.travel import nearest_source, path_nodes, reach_band, route_modes, to_csr


def random_graph(n: int, m: int, seed: int) -> nx.DiGraph:
    rng = np.random.default_rng(seed)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.exponential(30.0, m)
    w[rng.random(m) < 0.05] = 0.0  # some zero-minute edges (transfers)
    for a, b, c in zip(u, v, w, strict=True):
        if a != b:
            G.add_edge(int(a), int(b), minutes=float(c), mode="road")
    return G


@pytest.mark.parametrize("n,m,k,seed", [(50, 120, 3, 1), (2_000, 6_000, 20, 2),
                                        (10_000, 30_000, 50, 3)])
def test_bulk_equals_networkx(n, m, k, seed):
    G = random_graph(n, m, seed)
    rng = np.random.default_rng(seed + 100)
    sources = rng.choice(n, k, replace=False)
    targets = np.arange(n)
    res = nearest_source(to_csr(G), sources, targets)
    ref = nx.multi_source_dijkstra_path_length(G, set(sources.tolist()), weight="minutes")
    for t in targets:
        if t in ref:
            assert abs(res.minutes[t] - ref[t]) <= 1e-9
        else:
            assert np.isinf(res.minutes[t]) and res.source[t] == -1
    # the reported nearest source really reaches the target in that time (a sample)
    reached = [t for t in targets if t in ref]
    for t in rng.choice(reached, min(50, len(reached)), replace=False):
        s = int(sources[res.source[t]])
        assert abs(nx.dijkstra_path_length(G, s, int(t), weight="minutes") - ref[t]) <= 1e-9


def test_limit_and_unattached_targets():
    G = nx.DiGraph()
    G.add_edge(0, 1, minutes=10.0)
    G.add_edge(1, 2, minutes=10.0)
    res = nearest_source(to_csr(G), np.array([0]), np.array([1, 2, -1]), limit=15.0)
    assert res.minutes[0] == 10.0 and np.isinf(res.minutes[1]) and np.isinf(res.minutes[2])


def test_directed_times():
    G = nx.DiGraph()
    G.add_edge(0, 1, minutes=30.0, mode="river")  # downstream
    G.add_edge(1, 0, minutes=60.0, mode="river")  # upstream
    assert nearest_source(to_csr(G), np.array([1]), np.array([0])).minutes[0] == 60.0


def test_path_and_modes():
    G = nx.DiGraph()
    for a, b, mode in [(0, 1, "sea"), (1, 2, "road"), (2, 3, "road"), (3, 4, "foot")]:
        G.add_edge(a, b, minutes=1.0, mode=mode)
    res = nearest_source(to_csr(G), np.array([0]), np.array([4]))
    nodes = path_nodes(res, 4)
    assert nodes == [0, 1, 2, 3, 4]
    assert route_modes(G, nodes) == "sea>road>foot"


def test_reach_band_edges():
    got = reach_band(np.array([0, 60, 60.001, 180, 480, 1440, 1441, np.inf, np.nan]))
    assert got.tolist() == ["<=1h", "<=1h", "1-3h", "1-3h", "3-8h", "8-24h", ">24h",
                            "unreachable", "unreachable"]
