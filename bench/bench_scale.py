"""Benchmark: how the whole pipeline grows from a province to the nation.

Scales: the bundled Kaltara scenario (482 real villages, illustrative data), a synthetic
mid-size province and the synthetic nation, both built by make_national.py from the real
village polygons. Each scale runs in its own process (so its peak memory is its own), without
the run cache, and times each stage: load + validate, join + overlay, network build, travel
times, priority (from the plan's step timings), site choice with k = 100, the map of one
province, and the summary by kabupaten. Baselines on the same data, as ratios: NetworkX
multi-source Dijkstra for the nearest-office times, and an overlay without a spatial index
(every village intersected with the union of the whole signal layer).

Run:  python bench/bench_scale.py [--province 73] [--repeat 3] [--skip-national]
Results are printed as JSON and written to bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_run(scenario: str, baselines: bool) -> dict:
    import networkx as nx

    import planner
    from planner.inputs import overlay
    from planner.network import travel
    from planner.outputs import render

    s = planner.load_scenario(scenario)
    t0 = time.perf_counter()
    plan = planner.run(s, use_cache=False)
    out = {"villages": len(plan.villages), "run_s": round(time.perf_counter() - t0, 2),
           **{f"{k}_s": v for k, v in plan.timings.items()}}
    t0 = time.perf_counter()
    choice = plan.choose_sites(k=100, time_limit=120)
    out["sites_k100_s"] = round(time.perf_counter() - t0, 2)
    out["sites_gap_percent"] = round(100 * choice.solution.gap, 3)
    out["sites_solver"] = choice.solution.solver
    v = plan.villages
    prov = v["kode"].str[:2].value_counts().idxmin() if len(v) > 5000 else v["kode"].str[:2].iloc[0]
    sub = v[v["kode"].str[:2] == prov]
    t0 = time.perf_counter()
    svc = plan.service_points
    in_prov = svc[svc["id"].str[:2] == prov]
    html = render.map_html(render.outreach_map(sub, in_prov if len(in_prov) else svc,
                                               s.indicators,
                                               text=render.MapText(s.title, s.data_date)))
    out["province_map_s"] = round(time.perf_counter() - t0, 2)
    out["province_map_villages"] = len(sub)
    out["province_map_mb"] = round(len(html.encode()) / 1e6, 2)
    t0 = time.perf_counter()
    summary = v.groupby(v["kode"].str[:5]).agg(
        eligible=("ktp_eligible", "sum"), recorded=("ktp_recorded", "sum"),
        gap=("ktp_gap", "sum"), villages=("kode", "size"))
    summary["coverage"] = summary["recorded"] / summary["eligible"]
    out["summary_by_kabupaten_s"] = round(time.perf_counter() - t0, 3)
    out["kabupaten"] = len(summary)
    out["nodes"] = int(plan.network.n_nodes)
    out["edges"] = len(plan.network.u)
    if baselines:
        net = plan.network
        csr = travel.to_csr(net)
        t0 = time.perf_counter()
        travel.nearest_source(csr, net.origin("service"), net.destination("village"))
        fast = time.perf_counter() - t0
        G = nx.DiGraph()
        G.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.minutes.tolist(),
                                      strict=True), weight="minutes")
        t0 = time.perf_counter()
        nx.multi_source_dijkstra_path_length(G, set(net.origin("service").tolist()),
                                             weight="minutes")
        out["networkx_over_planner_travel"] = round((time.perf_counter() - t0) / fast, 1)
        del G
        if plan.signal is not None and len(v) <= 10_000:
            import shapely
            t0 = time.perf_counter()
            overlay.blank_spot_share(v, plan.signal, s.signal_kind)
            fast = time.perf_counter() - t0
            t0 = time.perf_counter()
            union = shapely.union_all(plan.signal.geometry.values)
            shapely.area(shapely.intersection(v.geometry.values, union))
            out["no_index_overlay_over_planner"] = round((time.perf_counter() - t0) / fast, 1)
    out["peak_rss_mb"] = _peak_mb()
    return out


def _peak_mb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--province", default="73")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--baselines", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.baselines)))
        return
    sys.path.insert(0, str(HERE))
    from make_national import build

    work = Path(tempfile.mkdtemp())
    scales = {"kaltara": str(HERE.parent / "scenarios" / "kaltara.toml")}
    build(work / "province", args.province)
    scales[f"province_{args.province}"] = str(work / "province" / "national.toml")
    if not args.skip_national:
        build(work / "nation", None)
        scales["nation"] = str(work / "nation" / "national.toml")
    results = {}
    for name, scenario in scales.items():
        reps = 1 if name == "nation" else args.repeat
        runs = []
        for i in range(reps):
            cmd = [sys.executable, __file__, "--one", scenario] + (["--baselines"] if i == 0
                                                                   else [])
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        med = {k: (statistics.median(r[k] for r in runs)
                   if isinstance(runs[0][k], float) and all(k in r for r in runs)
                   else runs[0][k]) for k in runs[0]}
        results[name] = {"median": med, "runs": runs}
        print(name, json.dumps(med), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
