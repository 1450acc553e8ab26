"""Reading OpenStreetMap: a real extract tiled to millions of objects, read into the network.

The real extract (tests/data/osm/West-Oakland.osm.bz2, © OpenStreetMap contributors, ODbL)
is copied on a grid until it holds ``--objects`` (each copy shifted 0.01° east or 0.008° north; ids
renumbered per copy), written as one ``.osm.pbf``; then ``planner.inputs.osm.read_osm``
and ``planner.network.build_network`` read it, each timed in its own process with its peak
memory. The travel times of the first copy equal those of the untiled extract (the same
network). Run from the repository root:

    python bench/bench_osm.py --objects 10000000     # about 10 million OSM objects
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "tests" / "data" / "osm" / "West-Oakland.osm.bz2"


def load_source() -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict]]]:
    import osmium

    nodes, ways = {}, []
    for o in osmium.FileProcessor(str(SRC)):
        if o.is_node():
            nodes[o.id] = (o.location.lon, o.location.lat)
        elif o.is_way():
            ways.append(([n.ref for n in o.nodes], dict(o.tags)))
    return nodes, ways


def write_tiled(path: Path, tiles: int) -> int:
    """The extract copied ``tiles`` times; returns the number of objects written."""
    import osmium

    nodes, ways = load_source()
    ids = {nid: i + 1 for i, nid in enumerate(sorted(nodes))}
    xy = np.array([nodes[n] for n in sorted(nodes)])
    n_nodes = len(ids)
    side = int(np.ceil(np.sqrt(tiles)))
    w = osmium.SimpleWriter(str(path))
    count = 0
    for t in range(tiles):  # nodes first (sorted ids), as a PBF expects
        dx, dy = (t % side) * 0.01, (t // side) * 0.008
        base = t * n_nodes
        for i, (x, y) in enumerate(xy):
            w.add_node(osmium.osm.mutable.Node(id=base + i + 1, location=(x + dx, y + dy)))
        count += n_nodes
    for t in range(tiles):
        base = t * n_nodes
        for j, (refs, tags) in enumerate(ways):
            w.add_way(osmium.osm.mutable.Way(id=t * len(ways) + j + 1,
                                             nodes=[base + ids[r] for r in refs if r in ids],
                                             tags=tags))
        count += len(ways)
    w.close()
    return count


def measure(step: str, path: str) -> dict:
    """One step in this process: seconds and peak memory."""
    from pyproj import CRS

    from planner.config import Access, NetworkSpec
    from planner.inputs import osm
    from planner.network.build import build_network
    from planner.network.graph import Points

    osm.use_store.set(step in ("keep", "reuse"))  # read/build: the extract itself
    t0 = time.perf_counter()
    if step in ("read", "keep", "reuse"):
        lines, _ = osm.read_osm(Path(path))
        out = {"lines": len(lines), "report": {k: v for k, v in lines.attrs["osm_report"].items()
                                               if k != "file"}}
    else:
        crs = CRS.from_epsg(32610)
        empty = Points("village", [], [], np.zeros((0, 2)))
        net = build_network(NetworkSpec(osm=(Path(path),)), crs,
                            {"village": empty, "service": Points("service", [], [],
                                                                 np.zeros((0, 2)))},
                            Access(4.0, 1.3, 0.5))
        out = {"nodes": int(net.n_nodes), "edges": len(net.u)}
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    return out


def same_travel_times(tiled: Path) -> float:
    """Largest difference (minutes) between the travel times on the first copy inside the
    tiled file and on the untiled extract, from one office to 20 villages."""
    from pyproj import CRS, Transformer

    from planner.config import Access, NetworkSpec
    from planner.network.build import build_network
    from planner.network.graph import Points
    from planner.network.travel import nearest_source, to_csr

    crs = CRS.from_epsg(32610)
    nodes, _ = load_source()
    rng = np.random.default_rng(7)
    lonlat = np.array(list(nodes.values()))[rng.choice(len(nodes), 21, replace=False)]
    xy = np.array(Transformer.from_crs(4326, crs, always_xy=True).transform(*lonlat.T)).T

    def times(path: Path) -> np.ndarray:
        pts = {"village": Points("village", [f"v{i}" for i in range(20)],
                                 [f"v{i}" for i in range(20)], xy[1:]),
               "service": Points("service", ["s"], ["s"], xy[:1])}
        net = build_network(NetworkSpec(osm=(path,)), crs, pts, Access(4.0, 1.3, 0.3))
        return nearest_source(to_csr(net), net.origin("service"),
                              net.destination("village")).value

    a, b = times(SRC), times(tiled)
    both = np.isfinite(a) & np.isfinite(b)
    assert (np.isfinite(a) == np.isfinite(b)).all()
    return float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=10_000_000)
    ap.add_argument("--step", choices=["read", "build", "keep", "reuse"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(measure(args.step, args.file)))
        return
    nodes, ways = load_source()
    per_tile = len(nodes) + len(ways)
    tiles = max(1, round(args.objects / per_tile))
    path = Path("/tmp") / f"jangkau_bench_osm_{tiles}.osm.pbf"
    t0 = time.perf_counter()
    if not path.exists():
        written = write_tiled(path, tiles)
    else:
        written = tiles * per_tile
    res = {"source": str(SRC.relative_to(ROOT)), "objects_per_copy": per_tile,
           "copies": tiles, "objects": written, "file_mb": round(path.stat().st_size / 1e6, 1),
           "write_seconds": round(time.perf_counter() - t0, 1)}
    import os
    import tempfile

    env = {**os.environ, "JANGKAU_CACHE": tempfile.mkdtemp(prefix="jangkau-bench-osm-")}
    # read and build from the extract; then read it keeping the lines in an empty cache
    # folder (keep), and read them back from there in a new process (reuse)
    for step in ("read", "build", "keep", "reuse"):
        out = subprocess.run([sys.executable, __file__, "--step", step, "--file", str(path)],
                             capture_output=True, text=True, check=True, env=env)
        res[step] = json.loads(out.stdout.strip().splitlines()[-1])
    res["max_travel_time_difference_min"] = same_travel_times(path)
    print(json.dumps(res, indent=2))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "osm.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
