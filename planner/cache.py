"""On-disk cache of the expensive steps (join, overlay, network, travel) of a run.

The key is a SHA-256 over every input file's bytes and the scenario settings those steps use
(not the priority weights, site settings or titles), so re-running with new weights reuses
the travel tables and overlays. Stored as GeoParquet, ``.npz`` (no pickles: loading cached
data never runs code) and JSON. The folder is ``$JANGKAU_CACHE`` or ``~/.cache/jangkau``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .network import Network, Points
from .overlay import JoinReport

FORMAT = 1


def cache_dir() -> Path:
    """Where cached steps live."""
    return Path(os.environ.get("JANGKAU_CACHE", Path.home() / ".cache" / "jangkau"))


def key(scenario: Any) -> str:
    """Hash of the inputs and settings that the cached steps depend on."""
    h = hashlib.sha256()
    for role, path in sorted(scenario.input_files().items()):
        if role == "scenario":
            continue
        h.update(role.encode())
        h.update(Path(path).read_bytes())
    settings = {k: v for k, v in asdict(scenario).items()
                if k not in ("name", "source", "title", "data_date", "illustrative",
                             "illustrative_note", "weights", "sites")}
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    try:
        version = metadata.version("jangkau-planner")
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "source"
    h.update(f"{FORMAT}:{version}".encode())
    return h.hexdigest()[:32]


def _str(a: np.ndarray) -> np.ndarray:
    return np.asarray([str(x) for x in a], dtype=str) if len(a) else np.zeros(0, dtype="U1")


def _obj(a: np.ndarray) -> np.ndarray:
    return a.astype(object)


def save(k: str, state: dict[str, Any]) -> None:
    """Write a state atomically (a temporary folder renamed into place)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        state["villages"].to_parquet(tmp / "villages.parquet")
        state["services"].to_parquet(tmp / "services.parquet")
        if state["blank"] is not None:
            state["blank"].to_parquet(tmp / "blank.parquet")
        net: Network = state["network"]
        arrays = {f: getattr(net, f) for f in ("phys_xy", "node_phys", "u", "v", "minutes",
                                               "length_m", "cost", "wait")}
        for f in ("phys_label", "node_mode", "mode", "kind", "name"):
            arrays[f] = _str(getattr(net, f))
        for kind, d in net.stops.items():
            arrays[f"stops_{kind}_in"], arrays[f"stops_{kind}_out"] = d["in"], d["out"]
            arrays[f"access_{kind}"] = net.access_m[kind]
            arrays[f"snapped_{kind}"] = net.snapped[kind]
        for kind, p in net.points.items():
            arrays[f"points_{kind}_refs"] = _str(np.array(p.refs, dtype=object))
            arrays[f"points_{kind}_labels"] = _str(np.array(p.labels, dtype=object))
            arrays[f"points_{kind}_xy"] = p.xy
        paths = state["paths"]
        for kind, lst in paths.items():
            arrays[f"paths_{kind}_edges"] = (np.concatenate(lst) if lst
                                             else np.zeros(0, np.int64))
            arrays[f"paths_{kind}_offsets"] = np.cumsum([0] + [len(x) for x in lst])
        arrays["labels"] = state["labels"]
        np.savez(tmp / "arrays.npz", **arrays)
        meta = {"crs": CRS.from_user_input(state["crs"]).to_wkt(),
                "kinds": list(net.stops), "points": list(net.points), "paths": list(paths),
                "report": net.report, "n_parts": int(state["n_parts"]),
                "warnings": state["warnings"], "timings": state["timings"],
                "join": {"unmatched": state["join"].unmatched_estimates.to_dict("list"),
                         "missing": state["join"].villages_without_estimate,
                         "padded": state["join"].padded_codes}}
        (tmp / "meta.json").write_text(json.dumps(meta, default=str))
        target = root / k
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load(k: str) -> dict[str, Any] | None:
    """The cached state for a key, or None."""
    folder = cache_dir() / k
    if not (folder / "meta.json").is_file():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    with np.load(folder / "arrays.npz", allow_pickle=False) as z:
        a = {name: z[name] for name in z.files}
    crs = CRS.from_wkt(meta["crs"])
    net = Network(crs=crs, phys_xy=a["phys_xy"], phys_label=_obj(a["phys_label"]),
                  node_phys=a["node_phys"], node_mode=_obj(a["node_mode"]), u=a["u"], v=a["v"],
                  minutes=a["minutes"], length_m=a["length_m"], cost=a["cost"],
                  mode=_obj(a["mode"]), kind=_obj(a["kind"]), name=_obj(a["name"]),
                  wait=a["wait"])
    for kind in meta["kinds"]:
        net.stops[kind] = {"in": a[f"stops_{kind}_in"], "out": a[f"stops_{kind}_out"]}
        net.access_m[kind] = a[f"access_{kind}"]
        net.snapped[kind] = a[f"snapped_{kind}"]
    for kind in meta["points"]:
        net.points[kind] = Points(kind, list(a[f"points_{kind}_refs"]),
                                  list(a[f"points_{kind}_labels"]), a[f"points_{kind}_xy"])
    net.report = meta["report"]
    paths = {}
    for kind in meta["paths"]:
        e, off = a[f"paths_{kind}_edges"], a[f"paths_{kind}_offsets"]
        paths[kind] = [e[off[i]:off[i + 1]] for i in range(len(off) - 1)]
    blank = (gpd.read_parquet(folder / "blank.parquet")
             if (folder / "blank.parquet").is_file() else None)
    join = JoinReport(unmatched_estimates=pd.DataFrame(meta["join"]["unmatched"]),
                      villages_without_estimate=meta["join"]["missing"],
                      padded_codes=meta["join"]["padded"])
    return {"villages": gpd.read_parquet(folder / "villages.parquet"),
            "services": gpd.read_parquet(folder / "services.parquet"), "blank": blank,
            "network": net, "paths": paths, "labels": a["labels"],
            "n_parts": meta["n_parts"], "warnings": meta["warnings"],
            "timings": meta["timings"], "join": join, "crs": crs}
