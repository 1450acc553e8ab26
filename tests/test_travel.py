"""Bulk shortest paths (scipy.sparse.csgraph) equal NetworkX's own Dijkstra."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS

from planner.network.graph import Network
from planner.network.travel import (
    legs,
    nearest_source,
    path_edges,
    reach_band,
    route_modes,
    to_csr,
    travel_table,
)


def random_network(n: int, m: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.exponential(30.0, len(u))
    w[rng.random(len(u)) < 0.05] = 0.0  # some zero-minute edges (free transfers)
    k = len(u)
    return Network(
        crs=CRS.from_epsg(32650), phys_xy=rng.random((n, 2)) * 1e5,
        phys_label=np.full(n, "", dtype=object), node_phys=np.arange(n),
        node_mode=np.full(n, "road", dtype=object), u=u, v=v, minutes=w,
        length_m=w * 500, cost=np.full(k, np.nan), mode=np.full(k, "road", dtype=object),
        kind=np.full(k, "line", dtype=object), name=np.full(k, "", dtype=object))


@pytest.mark.parametrize("n,m,k,seed", [(50, 120, 3, 1), (2_000, 6_000, 20, 2),
                                        (10_000, 30_000, 50, 3)])
def test_bulk_equals_networkx(n, m, k, seed):
    net = random_network(n, m, seed)
    G = net.to_networkx()
    rng = np.random.default_rng(seed + 100)
    sources = rng.choice(n, k, replace=False)
    targets = np.arange(n)
    res = nearest_source(to_csr(net), sources, targets)
    ref = nx.multi_source_dijkstra_path_length(G, set(sources.tolist()), weight="minutes")
    for t in targets:
        if t in ref:
            assert abs(res.value[t] - ref[t]) <= 1e-9
        else:
            assert np.isinf(res.value[t]) and res.source[t] == -1
    # the reported nearest source reaches the target in that time, along the reported path
    reached = [t for t in targets if t in ref]
    for t in rng.choice(reached, min(50, len(reached)), replace=False):
        s = int(sources[res.source[t]])
        assert abs(nx.dijkstra_path_length(G, s, int(t), weight="minutes") - ref[t]) <= 1e-9
        assert abs(net.minutes[path_edges(res, int(t))].sum() - ref[t]) <= 1e-9


def test_reverse_equals_networkx_reverse():
    net = random_network(500, 2000, 7)
    G = net.to_networkx()
    sites = np.array([3, 40, 99])
    res = nearest_source(to_csr(net), sites, np.arange(500), reverse=True)
    ref = nx.multi_source_dijkstra_path_length(G.reverse(copy=True), set(sites.tolist()),
                                               weight="minutes")
    for t in range(500):
        expected = ref.get(t, np.inf)
        assert res.value[t] == pytest.approx(expected, abs=1e-9) or (
            np.isinf(expected) and np.isinf(res.value[t]))
    t = next(t for t in range(500) if t in ref and t not in sites)
    assert abs(net.minutes[path_edges(res, t)].sum() - ref[t]) <= 1e-9


def test_travel_table_equals_networkx_with_cutoff():
    net = random_network(3_000, 10_000, 11)
    G = net.to_networkx()
    sites = np.array([5, 17, 2999, -1])
    villages = np.r_[np.arange(0, 3000, 7), -1]
    table = travel_table(net, sites, villages, cutoff=90.0, max_cells=4000)  # forces chunks
    got = {(int(r.village), int(r.site)): r.minutes for r in table.itertuples()}
    expected = {}
    for si, s in enumerate(sites):
        if s < 0:
            continue
        d = nx.single_source_dijkstra_path_length(G, int(s), cutoff=90.0, weight="minutes")
        for vi, node in enumerate(villages):
            if node >= 0 and node in d:
                expected[(vi, si)] = d[node]
    assert got.keys() == expected.keys()
    for key, val in expected.items():
        assert abs(got[key] - val) <= 1e-9
    assert (table["minutes"] <= 90.0).all()


def chain(minutes, modes, kinds, costs=None, labels=None) -> Network:
    """Nodes 0 -> 1 -> ... -> n along edges of the given minutes, modes and kinds."""
    k = len(minutes)
    return Network(
        crs=CRS.from_epsg(32650), phys_xy=np.zeros((k + 1, 2)),
        phys_label=np.array(labels or [""] * (k + 1), dtype=object),
        node_phys=np.arange(k + 1), node_mode=np.full(k + 1, "", dtype=object),
        u=np.arange(k), v=np.arange(1, k + 1), minutes=np.array(minutes, dtype=float),
        length_m=np.arange(1.0, k + 1), cost=np.array(costs or [0.0] * k, dtype=float),
        mode=np.array(modes, dtype=object), kind=np.array(kinds, dtype=object),
        name=np.full(k, "", dtype=object))


def test_limit_and_unattached_targets():
    net = chain([10.0, 10.0], ["road", "road"], ["line", "line"])
    res = nearest_source(to_csr(net), np.array([0]), np.array([1, 2, -1]), limit=15.0)
    assert res.value[0] == 10.0 and np.isinf(res.value[1]) and np.isinf(res.value[2])


def test_legs_merge_modes():
    net = chain([5.0, 10.0, 20.0, 2.0], ["sea", "road", "road", "foot"],
                ["link", "line", "line", "access"], [100.0, 0.0, 0.0, 0.0],
                ["Port", "Jetty", "", "", "Village"])
    res = nearest_source(to_csr(net), np.array([0]), np.array([4]))
    e = path_edges(res, 4)
    assert route_modes(net, e) == "sea>road>foot"
    lg = legs(net, e)
    assert lg["mode"].tolist() == ["sea", "road", "foot"]
    assert lg["minutes"].tolist() == [5.0, 30.0, 2.0]
    assert lg["cost"].tolist() == [100.0, 0.0, 0.0]
    assert lg.loc[1, "from"] == "Jetty" and lg.loc[1, "to"] == "junction 3"
    assert lg.loc[2, "to"] == "Village"


def test_reach_band_edges():
    got = reach_band(np.array([0, 60, 60.001, 180, 480, 1440, 1441, np.inf, np.nan]))
    assert got.tolist() == ["<=1h", "<=1h", "1-3h", "1-3h", "3-8h", "8-24h", ">24h",
                            "unreachable", "unreachable"]


def test_local_table_equals_global_table():
    """The windowed table (exact by the speed bound) equals the plain one."""
    rng = np.random.default_rng(4)
    n = 3000
    xy = rng.random((n, 2)) * 50_000  # metres
    from scipy.spatial import cKDTree
    pairs = cKDTree(xy).query_pairs(1500, output_type="ndarray")
    u, v = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
    dist = np.hypot(*(xy[u] - xy[v]).T)
    minutes = dist / 1000 / rng.choice([20.0, 40.0, 60.0], len(u)) * 60 + rng.random(len(u))
    # flights: far apart at 600 km/h, but each with a 25-minute wait, longer than the
    # cut-off: the window's speed bound leaves them out (no path within it takes one)
    fa, fb = rng.choice(n, 20), rng.choice(n, 20)
    fd = np.hypot(*(xy[fa] - xy[fb]).T)
    u, v, dist = np.r_[u, fa], np.r_[v, fb], np.r_[dist, fd]
    minutes = np.r_[minutes, fd / 1000 / 600 * 60 + 25.0]
    k = len(u)
    net = Network(crs=CRS.from_epsg(32650), phys_xy=xy, phys_label=np.full(n, "", dtype=object),
                  node_phys=np.arange(n), node_mode=np.full(n, "road", dtype=object), u=u, v=v,
                  minutes=minutes, length_m=dist, cost=np.zeros(k),
                  mode=np.full(k, "road", dtype=object), kind=np.full(k, "line", dtype=object),
                  name=np.full(k, "", dtype=object))
    sites = rng.choice(n, 200, replace=False)
    villages = rng.choice(n, 1500, replace=False)
    for reverse in (False, True):
        a = travel_table(net, sites, villages, cutoff=20.0, reverse=reverse, local=False)
        b = travel_table(net, sites, villages, cutoff=20.0, reverse=reverse, local=True,
                         max_cells=10_000)
        assert len(a) > 1000
        pd.testing.assert_frame_equal(a, b)
    from planner.network.travel import max_speed

    assert max_speed(net, within=20.0) < 60_000 / 60 < max_speed(net)   # m/min


def test_a_village_whose_nearby_lines_are_closed_in_the_season_says_so(tiny_scenario):
    """In the wet season the river is closed: C (on the river, 10 km from the road) has
    no open line within walking reach. The reason says the season closed it, not that it
    lies beyond the walking limit (which it does not, in the baseline); D, off every line
    in any season, is beyond the walking limit (from the nearest line, not "node")."""
    import planner

    text = tiny_scenario.read_text().replace('[network.speed_kmh]',
                                             'season = "wet"\n[network.speed_kmh]')
    tiny_scenario.write_text(text + '\n[network.seasons.wet.river]\nclosed = true\n')
    t = planner.run(planner.load_scenario(tiny_scenario), use_cache=False).table()
    why = t.set_index("nama")["unreachable_reason"]
    assert why["Desa C"].startswith("closed in season 'wet': the lines within walking reach")
    assert why["Desa D"].startswith("beyond the walking limit: more than 5 km from the "
                                    "nearest line of the network")
