"""Wire the steps: load, validate, join, network, travel, prioritise, render; write outputs.

``run(scenario) -> Plan``. The library logs each step's duration at INFO on the ``planner``
logger and never configures logging itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from . import io, network, overlay, prioritise, render, travel, validate
from .config import Scenario
from .crs import WGS84, metric_crs
from .errors import InputError, Problem

log = logging.getLogger("planner")


@dataclass
class Plan:
    """The result of a run.

    Attributes
    ----------
    scenario : Scenario
    villages : GeoDataFrame
        One row per input village, ranked (rank 1 first), in the study area's metric CRS.
    service_points : GeoDataFrame
        Service points (metric CRS) with the graph node each joined.
    graph : networkx.DiGraph
        The travel network with villages and service points attached.
    blank_spots : GeoDataFrame or None
        Blank-spot polygons (metric CRS).
    report : dict
        Warnings, unmatched rows, network statistics, totals.
    timings : dict
        Seconds per step.
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    service_points: gpd.GeoDataFrame
    graph: nx.DiGraph
    blank_spots: gpd.GeoDataFrame | None
    report: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The village table as written to ``villages.csv`` (no geometry)."""
        return output_table(self)

    def map(self) -> folium.Map:
        """The outreach map (a ``folium.Map``, shown inline in Jupyter)."""
        s = self.scenario
        return render.outreach_map(self.villages, self.service_points, self.blank_spots,
                                   s.indicators, s.title or s.name, s.data_date,
                                   s.illustrative_note if s.illustrative else "")

    def explain(self, kode: str) -> str:
        """Why a village ranks where it does, and how it is reached (plain text)."""
        key = validate.normalise_code(kode)
        rows = self.villages[self.villages["code_key"] == key]
        if rows.empty:
            raise InputError([Problem("explain", f"no village with code {kode!r}")])
        r = rows.iloc[0]
        lines = [f"{r['nama']} ({r['kode']}), {r.get('kecamatan', '')}, {r.get('kabupaten', '')}",
                 f"priority rank {r['priority_rank']} of {len(self.villages)}, "
                 f"score {r['priority_score']:.3f}: {r['priority_why']}"]
        for ind in self.scenario.indicators:
            lines.append(f"  {ind.label}: gap {r[ind.gap_col]} of {r[ind.eligible_col]} eligible")
        if np.isfinite(r["travel_minutes"]):
            lines.append(f"  reached from {r['nearest_service']} in "
                         f"{r['travel_minutes']:.0f} min ({r['reach_band']}) by "
                         f"{r['route_modes']}; walking connector {r['access_m']:.0f} m")
        else:
            lines.append(f"  unreachable: {r['unreachable_reason']}")
        lines.append(f"  blank-spot share of area: {r['blank_spot_share']:.0%}")
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``villages.csv``, ``villages.gpkg``, ``map.html`` and ``run.json``."""
        return write_outputs(self, Path(out_dir))


@contextmanager
def _step(name: str, timings: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 3)
    log.info("%s: %.2f s", name, timings[name])


def run(scenario: Scenario) -> Plan:
    """Run the whole plan for a scenario.

    Raises
    ------
    InputError
        For any bad input, listing every problem found in the failing file.
    """
    s = scenario
    timings: dict[str, float] = {}
    warnings: list[str] = []

    with _step("load_validate", timings):
        vil = validate.check_villages(io.read_vector(s.villages.path), s.villages, warnings)
        crs = metric_crs(vil, s.crs)
        admin_tables = {a.level: io.read_vector(a.layer.path) for a in s.admin}
        for a in s.admin:
            pc_cols = [c for c in (a.layer.code, a.layer.name) if c not in admin_tables[a.level]]
            if pc_cols:
                raise InputError([Problem(str(a.layer.path), f"missing column '{c}'", column=c)
                                  for c in pc_cols])
        svc = validate.check_points(io.read_vector(s.service_points.path), s.service_points,
                                    warnings)
        est = None
        if s.estimates is not None:
            est = validate.check_estimates(io.read_table(s.estimates.path, s.estimates.sheet),
                                           s.estimates, s.indicators)
        sig = None
        if s.signal is not None:
            sig = validate.check_polygons(io.read_vector(s.signal), str(s.signal), warnings)
        lines = io.read_vector(s.network)

    with _step("join", timings):
        vil = overlay.add_admin_names(vil, s.admin, admin_tables, warnings)
        if est is not None:
            vil, join_report = overlay.join_estimates(vil, est, s.indicators)
        else:
            join_report = overlay.JoinReport(villages_without_estimate=vil["kode"].tolist())
            vil["has_estimate"] = False
            for ind in s.indicators:
                for c in (ind.eligible_col, ind.served_col, ind.gap_col):
                    vil[c] = pd.array([pd.NA] * len(vil), dtype="Int64")
        vil_m = vil.to_crs(crs)
        sig_m = sig.to_crs(crs) if sig is not None else None
        vil_m["blank_spot_share"] = np.round(
            overlay.blank_spot_share(vil_m, sig_m, s.signal_kind), 6)
        blank_m = sig_m
        if sig_m is not None and s.signal_kind == "coverage":
            area = gpd.GeoSeries([vil_m.union_all()], crs=crs)
            blank_m = gpd.GeoDataFrame(geometry=area.difference(sig_m.union_all()), crs=crs)
        svc_m = svc.to_crs(crs)
        outside = ~svc_m.within(vil_m.union_all().buffer(s.access.max_km * 1000))
        for r in svc_m[outside].itertuples():
            warnings.append(f"{s.service_points.path}: service point {r.id} ({r.nama}) lies "
                            f"more than {s.access.max_km:g} km outside the study area")

    with _step("network", timings):
        G = network.build_graph(lines, crs, s.speed_kmh, str(s.network), s.snap_m)
        n_net_nodes, n_net_edges = G.number_of_nodes(), G.number_of_edges()
        reps = vil_m.geometry.representative_point()
        v_att = network.attach_points(G, reps, vil_m["kode"].tolist(), "village", s.access)
        s_att = network.attach_points(G, svc_m.geometry, svc_m["id"].tolist(), "service",
                                      s.access)
        if (s_att.node < 0).all():
            raise InputError([Problem(str(s.service_points.path),
                                      f"no service point lies within {s.access.max_km:g} km of "
                                      "the network; expected at least one")])
        for r in svc_m[s_att.node < 0].itertuples():
            warnings.append(f"{s.service_points.path}: service point {r.id} is more than "
                            f"{s.access.max_km:g} km from the network and is not used")
        parts = network.components_report(G)

    with _step("travel", timings):
        ok = s_att.node >= 0
        sources = s_att.node[ok]
        svc_ids = svc_m["id"].to_numpy()[ok]
        csr = travel.to_csr(G)
        res = travel.nearest_source(csr, sources, v_att.node)
        vil_m["nearest_service"] = np.where(res.source >= 0, svc_ids[np.maximum(res.source, 0)],
                                            "")
        vil_m["travel_minutes"] = np.round(res.minutes, 3)
        vil_m["reach_band"] = travel.reach_band(res.minutes)
        vil_m["access_m"] = np.round(v_att.access_m, 1)
        modes, reasons = [], []
        for node, minutes in zip(v_att.node, res.minutes, strict=True):
            if node < 0:
                modes.append("")
                reasons.append(f"beyond the walking limit: more than {s.access.max_km:g} km "
                               "from the nearest network node")
            elif not np.isfinite(minutes):
                modes.append("")
                reasons.append("no path from any service point: its part of the network "
                               "holds no service point")
            else:
                modes.append(travel.route_modes(G, travel.path_nodes(res, int(node))))
                reasons.append("")
        vil_m["route_modes"] = modes
        vil_m["unreachable_reason"] = reasons
        vil_m["graph_node"] = v_att.node
        svc_m["graph_node"] = s_att.node

    with _step("prioritise", timings):
        ranked = prioritise.score(vil_m, s.indicators, s.weights)
        ranked = gpd.GeoDataFrame(ranked, geometry="geometry", crs=crs)

    totals = {}
    for ind in s.indicators:
        totals[ind.key] = {
            "eligible": int(ranked[ind.eligible_col].sum()),
            "served": int(ranked[ind.served_col].sum()),
            "gap": int(ranked[ind.gap_col].sum()),
            "unmatched_gap": int(join_report.unmatched_estimates.get(
                ind.eligible_col, pd.Series(dtype=int)).astype(int).sum()
                - join_report.unmatched_estimates.get(
                ind.served_col, pd.Series(dtype=int)).astype(int).sum()),
        }
    band_counts = ranked["reach_band"].value_counts().to_dict()
    report = {
        "villages": len(ranked),
        "metric_crs": crs.to_string(),
        "totals": totals,
        "reach_bands": {b: int(band_counts.get(b, 0)) for b in travel.REACH_BANDS},
        "unreachable": ranked.loc[ranked["reach_band"] == "unreachable",
                                  ["kode", "nama", "unreachable_reason"]].to_dict("records"),
        "network": {"nodes": n_net_nodes, "edges": n_net_edges,
                    "parts_with_villages_and_services": parts[:10],
                    "parts": len(parts)},
        "join": join_report.as_dict(),
        "warnings": warnings,
    }
    return Plan(scenario=s, villages=ranked, service_points=svc_m, graph=G,
                blank_spots=blank_m, report=report, timings=timings)


OUTPUT_COLUMNS_HEAD = ("kode", "nama")


def output_table(plan: Plan) -> pd.DataFrame:
    """The ranked village table (no geometry), with the documented columns first."""
    v = plan.villages
    cols = ["kode", "nama", *[a.level for a in plan.scenario.admin]]
    for ind in plan.scenario.indicators:
        cols += [ind.eligible_col, ind.served_col, ind.gap_col]
    cols += ["blank_spot_share", "nearest_service", "travel_minutes", "reach_band",
             "priority_score", "priority_rank", "route_modes", "access_m", "unreachable_reason",
             "has_estimate", "weighted_gap", "gap_part", "remoteness_part", "blank_part",
             "score_gap", "score_remoteness", "score_blank_spot", "priority_why"]
    out = pd.DataFrame(v[cols])
    out["travel_minutes"] = out["travel_minutes"].replace([np.inf], np.nan)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("jangkau-planner", "geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy",
                "networkx", "scipy", "folium"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def write_outputs(plan: Plan, out_dir: Path) -> dict[str, Path]:
    """Write the four outputs atomically; return their paths."""
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: out_dir / f for k, f in (("csv", "villages.csv"), ("gpkg", "villages.gpkg"),
                                         ("map", "map.html"), ("run", "run.json"))}
    table = output_table(plan)
    io.write_csv(paths["csv"], table)
    geo = gpd.GeoDataFrame(table, geometry=plan.villages.geometry.values,
                           crs=plan.villages.crs).to_crs(WGS84)
    io.write_with(paths["gpkg"], lambda p: geo.to_file(p, layer="villages", driver="GPKG",
                                                       engine="pyogrio"))
    html = render.map_html(plan.map())
    io.write_text(paths["map"], html)
    timings = {**plan.timings, "write": round(time.perf_counter() - t0, 3)}
    manifest = {
        "scenario": plan.scenario.name,
        "inputs": {k: {"path": str(p), "sha256": _sha256(p)}
                   for k, p in plan.scenario.input_files().items()},
        "parameters": _jsonable(asdict(plan.scenario)),
        "versions": _versions(),
        "timings_s": timings,
        "report": _jsonable(plan.report),
        "outputs": {k: p.name for k, p in paths.items()},
    }
    io.write_text(paths["run"], json.dumps(manifest, indent=2, ensure_ascii=False,
                                           default=str) + "\n")
    return paths
