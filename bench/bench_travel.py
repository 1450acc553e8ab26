"""Benchmark: bulk travel times on a synthetic road-like graph (issue: multimodal network).

Builds a jittered grid graph of N nodes (about 4 directed edges per node, 8% of grid links
removed, speeds 20-60 km/h by a random road class), picks service points and villages at
random (seeded), then times, on the same arrays:

  planner    planner.network.travel.nearest_source on the CSR copy (the planner's bulk path), for
             times only and with the shortest-path tree (routes)
  scipy      a bare scipy.sparse.csgraph.dijkstra(min_only=True) call
  networkx   networkx.multi_source_dijkstra_path_length on the same graph
  table      planner.network.travel.travel_table: villages x sites within a cut-off

Run:  python bench/bench_travel.py [--nodes 1000000] [--sites 500] [--repeat 3]
Results are printed as JSON and written to bench/results/travel.json.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import networkx as nx
import numpy as np
from _common import record
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from planner.network.graph import Network
from planner.network.travel import nearest_source, to_csr, travel_table


def grid_network(n_nodes: int, seed: int = 1) -> Network:
    """A jittered square grid of about n_nodes nodes with two-way road edges."""
    rng = np.random.default_rng(seed)
    side = round(np.sqrt(n_nodes))
    n = side * side
    idx = np.arange(n).reshape(side, side)
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2) * 500.0
    xy += rng.normal(0, 80, xy.shape)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    keep = rng.random(len(a)) > 0.08
    a, b = a[keep], b[keep]
    length = np.hypot(*(xy[a] - xy[b]).T) * 1.2
    speed = rng.choice([20.0, 30.0, 40.0, 60.0], len(a), p=[0.5, 0.25, 0.15, 0.1])
    minutes = length / 1000 / speed * 60
    u, v = np.r_[a, b], np.r_[b, a]
    m = len(u)
    return Network(
        crs=CRS.from_epsg(32650), phys_xy=xy, phys_label=np.full(n, "", dtype=object),
        node_phys=np.arange(n), node_mode=np.full(n, "road", dtype=object), u=u, v=v,
        minutes=np.r_[minutes, minutes], length_m=np.r_[length, length],
        cost=np.full(m, np.nan), mode=np.full(m, "road", dtype=object),
        kind=np.full(m, "line", dtype=object), name=np.full(m, "", dtype=object),
        wait=np.zeros(m))


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=500)
    ap.add_argument("--villages", type=int, default=83_246)
    ap.add_argument("--table-sites", type=int, default=1_000)
    ap.add_argument("--cutoff", type=float, default=120.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "travel.json")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    res: dict[str, object] = {"machine": {"python": platform.python_version(),
                                          "cpu": platform.processor() or platform.machine()},
                              "args": {k: str(v) for k, v in vars(args).items()}}
    t0 = time.perf_counter()
    net = grid_network(args.nodes)
    res["graph"] = {"nodes": int(net.n_nodes), "edges": len(net.u),
                    "build_s": round(time.perf_counter() - t0, 2)}
    t0 = time.perf_counter()
    csr = to_csr(net)
    res["csr_build_s"] = round(time.perf_counter() - t0, 2)
    sources = rng.choice(net.n_nodes, args.sites, replace=False)
    targets = np.arange(net.n_nodes)

    med_r, all_r, _ = timed(lambda: nearest_source(csr, sources, targets), args.repeat)
    med_p, all_p, planner_out = timed(
        lambda: nearest_source(csr, sources, targets, predecessors=False), args.repeat)
    med_s, all_s, scipy_out = timed(
        lambda: dijkstra(csr.matrix, directed=True, indices=sources, min_only=True),
        args.repeat)
    assert np.allclose(planner_out.value, scipy_out, atol=1e-9, equal_nan=True)
    res["nearest"] = {"planner_s": round(med_p, 3), "planner_runs": [round(t, 3) for t in all_p],
                      "scipy_bare_s": round(med_s, 3), "scipy_runs": [round(t, 3) for t in all_s],
                      "planner_over_scipy": round(med_p / med_s, 3),
                      "planner_with_routes_s": round(med_r, 3),
                      "planner_with_routes_runs": [round(t, 3) for t in all_r],
                      "planner_with_routes_over_scipy": round(med_r / med_s, 3)}
    if not args.skip_networkx:
        t0 = time.perf_counter()
        G = nx.DiGraph()
        G.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.minutes.tolist(),
                                      strict=True), weight="minutes")
        build = time.perf_counter() - t0
        med_n, _all_n, nx_out = timed(lambda: nx.multi_source_dijkstra_path_length(
            G, set(sources.tolist()), weight="minutes"), 1)
        check = rng.choice(net.n_nodes, 1000, replace=False)
        assert all(abs(nx_out[int(c)] - planner_out.value[c]) <= 1e-9 for c in check)
        res["nearest"].update({"networkx_s": round(med_n, 3), "networkx_graph_build_s":
                               round(build, 2), "networkx_over_planner": round(med_n / med_p, 1)})
        del G, nx_out
    villages = rng.choice(net.n_nodes, args.villages, replace=False)
    sites = rng.choice(net.n_nodes, args.table_sites, replace=False)
    med_t, all_t, table = timed(lambda: travel_table(net, sites, villages, cutoff=args.cutoff,
                                                     weight=csr), max(1, args.repeat - 2))
    res["table"] = {"villages": args.villages, "sites": args.table_sites,
                    "cutoff_min": args.cutoff, "seconds": round(med_t, 2),
                    "runs": [round(t, 2) for t in all_t], "pairs": len(table),
                    "pairs_per_village": round(len(table) / args.villages, 1)}
    import resource
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    record(res, args.out)


if __name__ == "__main__":
    main()
