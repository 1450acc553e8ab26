"""Benchmark: p-median to proven optimality on graphs of 100-1,000 nodes, beside spopt.

Instances (generated, seeded): random sparse graphs (each node joined to its 3 nearest
neighbours in the unit square, integer edge lengths = 1,000 x the distance, components
chained), all-pairs shortest paths by scipy.sparse.csgraph; every node is a village of
demand 1 and a candidate site, as in the OR-Library p-median instances. For each instance:
the planner's p_median (greedy + interchange, Lagrangian bound, reduced-cost fixing,
HiGHS on Elloumi's compact model; 60 s limit) and spopt's PMedian (PuLP + CBC, 60 s limit)
on the same cost matrix. Every objective is recomputed from the matrix here.

Run:  python bench/bench_pmedian.py [--skip-spopt] [--quick]   (spopt: pip install -e '.[bench]')
Results are printed as JSON lines and written to bench/results/pmedian.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, shortest_path
from scipy.spatial import cKDTree

from planner.decide.optimise import CoverageProblem, p_median

RESULTS = Path(__file__).resolve().parent / "results" / "pmedian.json"


def graph_distances(n: int, seed: int, neighbours: int = 3) -> np.ndarray:
    """All-pairs shortest path lengths of a seeded random sparse graph (integers)."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2))
    d, idx = cKDTree(xy).query(xy, k=neighbours + 1)
    rows = np.repeat(np.arange(n), neighbours)
    cols = idx[:, 1:].ravel()
    w = np.maximum(1, np.round(d[:, 1:].ravel() * 1000))
    g = sp.coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()
    g = g.maximum(g.T)
    nc, lab = connected_components(g, directed=False)
    if nc > 1:
        reps = [int(np.flatnonzero(lab == c)[0]) for c in range(nc)]
        r, c, ww = [], [], []
        for a, b in itertools.pairwise(reps):
            length = max(1.0, round(float(np.linalg.norm(xy[a] - xy[b])) * 1000))
            r += [a, b]
            c += [b, a]
            ww += [length, length]
        g = g + sp.csr_matrix((ww, (r, c)), shape=(n, n))
    return shortest_path(g, directed=False)


def cost(D: np.ndarray, sites: np.ndarray) -> float:
    return float(D[:, sites].min(axis=1).sum())


def run_planner(D: np.ndarray, k: int, limit: float) -> dict:
    n = len(D)
    prob = CoverageProblem.from_matrix(D, np.ones(n), 1e12)
    t0 = time.perf_counter()
    sol = p_median(prob, k, time_limit=limit)
    secs = time.perf_counter() - t0
    value = cost(D, np.asarray(sol.open))
    return {"objective": value, "bound": sol.bound, "gap": (value - sol.bound) / value,
            "status": sol.status, "seconds": round(secs, 2), **sol.details}


def run_spopt(D: np.ndarray, k: int, limit: float) -> dict:
    import pulp
    from spopt.locate import PMedian

    n = len(D)
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(D, np.ones(n), p_facilities=k)
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    except RuntimeError as exc:  # spopt raises when CBC stops without a proven answer
        return {"objective": float("nan"), "status": f"no answer ({exc})"[:80],
                "seconds": round(time.perf_counter() - t0, 2)}
    secs = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status]
    sites = np.array([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5])
    value = cost(D, sites) if len(sites) == k else float("nan")
    return {"objective": value, "status": status, "seconds": round(secs, 2)}


def instances(quick: bool) -> list[tuple[int, int]]:
    if quick:
        return [(100, 5), (100, 20), (400, 40)]
    out = []
    for n in (100, 200, 400, 700, 1000):
        for k in sorted({5, 10, n // 10, n // 5, min(200, n // 4)}):
            out.append((n, k))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-spopt", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--spopt-max-nodes", type=int, default=1000)
    args = ap.parse_args()
    rows = []
    for n, k in instances(args.quick):
        D = graph_distances(n, seed=n)
        row = {"nodes": n, "p": k, "planner": run_planner(D, k, args.limit)}
        if not args.skip_spopt and n <= args.spopt_max_nodes:
            row["spopt"] = run_spopt(D, k, args.limit)
        rows.append(row)
        print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
