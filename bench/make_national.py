"""Build a synthetic national scenario from the 83,246 real village polygons (seeded).

Real: village polygons, codes and names (../shared/data/indonesia/villages_simplified.parquet).
Generated (ILLUSTRATIVE, for benchmarks only):
  - service points: one per kecamatan (code prefix PP.KK.CC), at the village nearest the mean
    of its villages' representative points (about 7,000 district centres);
  - estimates: eligible = lognormal(6.5, 0.8) people, served = eligible × uniform(0.95, 1.0);
  - coverage: 12 km discs around service points (the planner derives blank spots);
  - network: Delaunay triangulation of the village representative points (EPSG:4087 metres),
    links longer than 25 km dropped, each kept link densified into ~600 m road segments
    (speed class 20/40/60 km/h drawn per link); the parts this leaves are joined to their
    nearest other part by a sea link (25 km/h, 12 h expected wait).

    python bench/make_national.py OUT_DIR [--province 65]

Writes villages.parquet, estimates.csv, service_points.parquet, coverage.parquet,
network.parquet and national.toml into OUT_DIR. ``--province`` keeps one province (2-digit
code) for the growth curve.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "indonesia"
CRS = "EPSG:4087"  # world equidistant cylindrical, metres; scale error <= 1.6% at 11 deg


def build(out: Path, province: str | None, seed: int = 8) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    v = gpd.read_parquet(SHARED / "villages_simplified.parquet")[["kode", "nama", "geometry"]]
    if province:
        v = v[v["kode"].str.startswith(province + ".")]
    v = v.sort_values("kode").reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    v.to_parquet(out / "villages.parquet")
    vm = v.to_crs(CRS)
    rep = vm.geometry.representative_point()
    xy = shapely.get_coordinates(rep.values)

    eligible = np.maximum(1, np.round(rng.lognormal(6.5, 0.8, len(v)))).astype(int)
    served = np.floor(eligible * rng.uniform(0.95, 1.0, len(v))).astype(int)
    pd.DataFrame({"kode": v["kode"], "ktp_eligible": eligible, "ktp_recorded": served}).to_csv(
        out / "estimates.csv", index=False)

    kec = v["kode"].str[:8].to_numpy()
    df = pd.DataFrame({"kec": kec, "x": xy[:, 0], "y": xy[:, 1]})
    mean = df.groupby("kec")[["x", "y"]].transform("mean").to_numpy()
    df["d"] = np.hypot(*(xy - mean).T)
    centre = df.sort_values(["kec", "d"]).groupby("kec").head(1).sort_values("kec").index
    svc = gpd.GeoDataFrame({"id": kec[centre], "nama": "Kantor " + v["nama"].to_numpy()[centre]},
                           geometry=rep.iloc[centre].values, crs=CRS)
    svc.to_crs(4326).to_parquet(out / "service_points.parquet")
    cover = gpd.GeoDataFrame(geometry=svc.buffer(12_000, quad_segs=8).values, crs=CRS)
    cover.to_crs(4326).to_parquet(out / "coverage.parquet")

    tri = Delaunay(xy)
    e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    e, length = e[length <= 25_000], length[length <= 25_000]
    n = len(xy)
    ncomp, labels = connected_components(coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])),
                                                    shape=(n, n)), directed=False)
    speed = rng.choice([20.0, 40.0, 60.0], len(e), p=[0.5, 0.35, 0.15])
    segs = np.maximum(1, np.ceil(length / 600).astype(int))
    # densify: each link becomes segs[i] straight segments between interpolated points
    idx = np.repeat(np.arange(len(e)), segs)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(segs) - segs, segs)
    f0, f1 = k / segs[idx], (k + 1) / segs[idx]
    a, b = xy[e[idx, 0]], xy[e[idx, 1]]
    p0 = a + (b - a) * f0[:, None]
    p1 = a + (b - a) * f1[:, None]
    lines = shapely.linestrings(np.stack([p0, p1], axis=1))
    roads = gpd.GeoDataFrame({"mode": "road", "speed_kmh": speed[idx], "wait_minutes": 0.0},
                             geometry=lines, crs=CRS)
    # sea links: each part but the largest joins its nearest node in another part
    sea = []
    main = np.bincount(labels).argmax()
    for c in range(ncomp):
        if c == main:
            continue
        inside = np.flatnonzero(labels == c)
        outside = np.flatnonzero(labels != c)
        d, j = cKDTree(xy[outside]).query(xy[inside])
        i = int(np.argmin(d))
        sea.append(shapely.LineString([xy[inside[i]], xy[outside[j[i]]]]))
    seas = gpd.GeoDataFrame({"mode": ["sea"] * len(sea), "speed_kmh": 25.0,
                             "wait_minutes": 720.0}, geometry=sea, crs=CRS)
    net = pd.concat([roads, seas], ignore_index=True)
    gpd.GeoDataFrame(net, geometry="geometry", crs=CRS).to_parquet(out / "network.parquet")
    (out / "national.toml").write_text(f'''# Synthetic benchmark scenario (ILLUSTRATIVE)
# made by bench/make_national.py
name = "{'province_' + province if province else 'national'}"
title = "Synthetic benchmark: {'province ' + province if province else 'Indonesia'}"
data_date = "synthetic"
illustrative = true
illustrative_note = "ILLUSTRATIVE: synthetic benchmark data"
crs = "{CRS}"

[villages]
path = "villages.parquet"

[estimates]
path = "estimates.csv"

[[indicators]]
key = "ktp"
label = "e-KTP recording"
eligible = "ktp_eligible"
served = "ktp_recorded"
served_suffix = "recorded"
target = 0.994

[signal]
path = "coverage.parquet"
kind = "coverage"

[service_points]
path = "service_points.parquet"

[network]
paths = ["network.parquet"]

[access]
max_km = 25

[sites]
cover_minutes = 60
k = 100
time_limit = 120
''')
    return {"villages": len(v), "service_points": len(svc), "network_lines": len(net),
            "sea_links": len(sea), "parts_before_sea": int(ncomp),
            "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--province")
    args = ap.parse_args()
    print(build(args.out, args.province))


if __name__ == "__main__":
    main()
