"""On-disk cache of the expensive steps (join, overlay, network, travel) of a run.

The key is a SHA-256 over every input file's bytes, the scenario settings those steps use
(everything but the priority weights, the site-choice settings other than the candidate
layer, and titles), the cache format and the planner's own source code (so a changed planner
never serves results of an older one, whatever its version number). Re-running with new
weights reuses the travel tables and overlays. Stored as GeoParquet, ``.npz`` (no pickles:
loading cached data never runs code) and JSON, with a SHA-256 of every file checked on load.

A cache is a convenience, never a reason to fail: an entry that is truncated, corrupt, from
another format or does not match its checksums is ignored with a warning and recomputed; a
cache folder that cannot be used (a file, read-only, full) means running without the cache,
with one warning. The folder is ``$JANGKAU_CACHE`` or ``~/.cache/jangkau``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .config import Scenario
from .inputs.overlay import JoinReport
from .network import terrain
from .network.graph import Network
from .store import load_folder, save_folder

FORMAT = 7  # 7: the travel-time raster of a network with terrain cells

_CODE_HASH: str | None = None


def code_hash() -> str:
    """SHA-256 of the planner's own source files and static assets (computed once).

    Returns
    -------
    str
        The digest, hexadecimal.
    """
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in (".py", ".js", ".css"):
                h.update(p.relative_to(root).as_posix().encode())
                h.update(p.read_bytes())
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH


def key(scenario: Scenario) -> str:
    """Hash of the inputs and settings that the cached steps depend on.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its input files are read and hashed).

    Returns
    -------
    str
        32 hexadecimal characters.
    """
    h = hashlib.sha256()
    for role, path in sorted(scenario.input_files().items()):
        if role == "scenario":
            continue
        h.update(role.encode())
        h.update(Path(path).read_bytes())
    settings = {k: v for k, v in asdict(scenario).items()
                if k not in ("name", "source", "title", "data_date", "illustrative",
                             "illustrative_note", "weights", "sites")}
    # the candidate layer (and its id/name columns) is joined to the network: part of the key
    settings["sites.candidates"] = asdict(scenario.sites).get("candidates")
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    try:
        version = metadata.version("jangkau-planner")
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "source"
    h.update(f"{FORMAT}:{version}:{code_hash()}".encode())
    return h.hexdigest()[:32]


@dataclass
class Steps:
    """What the cached steps (load, join, overlay, network, travel) produce."""

    villages: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    blank: gpd.GeoDataFrame | None
    network: Network
    paths: dict[str, list[np.ndarray]]
    labels: np.ndarray
    n_parts: int
    warnings: list[str]
    timings: dict[str, float]
    join: JoinReport
    crs: CRS
    terrain: np.ndarray | None = None  # minutes from the nearest office to every cell


def save(k: str, state: Steps, warnings: list[str] | None = None) -> bool:
    """Store the cached steps' results atomically (see :func:`planner.store.save_folder`).

    Parameters
    ----------
    k : str
        The key (:func:`key`).
    state : Steps
        What the steps produced.
    warnings : list of str, optional
        Where a fault's warning goes.

    Returns
    -------
    bool
        Whether it was stored.
    """
    return save_folder(k, lambda tmp: _write_entry(tmp, state), warnings, "the run")


def _write_entry(tmp: Path, state: Steps) -> None:
    state.villages.to_parquet(tmp / "villages.parquet")
    state.services.to_parquet(tmp / "services.parquet")
    if state.blank is not None:
        state.blank.to_parquet(tmp / "blank.parquet")
    net = state.network
    ext = net.cells.source if net.cells is not None else None
    if isinstance(ext, terrain.Extension):  # the cells are made again on loading
        arrays, net_meta = ext.base.to_arrays()
        sf = ext.surface
        arrays["terrain_speed"] = np.asarray(sf.speed_kmh, float)
        if sf.elevation_m is not None:
            arrays["terrain_elevation"] = np.asarray(sf.elevation_m, float)
        if sf.barrier is not None:
            arrays["terrain_barrier"] = np.asarray(sf.barrier, bool)
        net_meta["terrain"] = {"cell_m": sf.cell_m, "x0": sf.x0, "y0": sf.y0,
                               "penalties": {m: list(v) for m, v in ext.penalties.items()},
                               "neighbours": ext.neighbours}
    else:
        arrays, net_meta = net.to_arrays()
    for kind, lst in state.paths.items():
        arrays[f"paths_{kind}_edges"] = (np.concatenate(lst) if lst
                                         else np.zeros(0, np.int64))
        arrays[f"paths_{kind}_offsets"] = np.cumsum([0] + [len(x) for x in lst])
    arrays["labels"] = state.labels
    if state.terrain is not None:
        arrays["terrain_minutes"] = state.terrain
    np.savez(tmp / "arrays.npz", **cast(dict[str, Any], arrays))  # numpy types allow_pickle
    meta = {"crs": CRS.from_user_input(state.crs).to_wkt(), "network": net_meta,
            "paths": list(state.paths), "n_parts": int(state.n_parts),
            "warnings": state.warnings, "timings": state.timings,
            "join": {"unmatched": state.join.unmatched_estimates.to_dict("list"),
                     "missing": state.join.villages_without_estimate,
                     "padded": state.join.padded_codes},
            "format": FORMAT}
    (tmp / "meta.json").write_text(json.dumps(meta, default=str))


def load(k: str, warnings: list[str] | None = None) -> Steps | None:
    """The cached steps' results for a key (see :func:`planner.store.load_folder`).

    Parameters
    ----------
    k : str
        The key (:func:`key`).
    warnings : list of str, optional
        Where a damaged entry's warning goes.

    Returns
    -------
    Steps or None
        None when there is no entry, or a damaged one.
    """
    return load_folder(k, _read_entry, warnings, required="meta.json")


def _read_entry(folder: Path) -> Steps:
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"cache format {meta.get('format')}, expected {FORMAT}")
    with np.load(folder / "arrays.npz", allow_pickle=False) as z:
        a = {name: z[name] for name in z.files}
    net = Network.from_arrays(a, meta["network"])
    t = meta["network"].get("terrain")
    if t is not None:
        surface = terrain.Surface(a["terrain_speed"], float(t["cell_m"]), float(t["x0"]),
                                  float(t["y0"]), elevation_m=a.get("terrain_elevation"),
                                  barrier=a.get("terrain_barrier"))
        net = terrain.rebuild(terrain.Extension(
            net, surface, {m: (float(x), float(y)) for m, (x, y) in t["penalties"].items()},
            int(t["neighbours"])))
    paths = {}
    for kind in meta["paths"]:
        e, off = a[f"paths_{kind}_edges"], a[f"paths_{kind}_offsets"]
        paths[kind] = [e[off[i]:off[i + 1]] for i in range(len(off) - 1)]
    blank = (gpd.read_parquet(folder / "blank.parquet")
             if (folder / "blank.parquet").is_file() else None)
    join = JoinReport(unmatched_estimates=pd.DataFrame(meta["join"]["unmatched"]),
                      villages_without_estimate=meta["join"]["missing"],
                      padded_codes=meta["join"]["padded"])
    return Steps(villages=gpd.read_parquet(folder / "villages.parquet"),
                 services=gpd.read_parquet(folder / "services.parquet"), blank=blank,
                 network=net, paths=paths, labels=a["labels"], n_parts=int(meta["n_parts"]),
                 warnings=list(meta["warnings"]), timings=dict(meta["timings"]), join=join,
                 crs=CRS.from_wkt(meta["crs"]), terrain=a.get("terrain_minutes"))
