"""Write a result's outputs as one generation: tables, layers, the map, the summary.

Every writer takes a :class:`planner.result.Result` (with its site choice and trips when
attached) and a folder; the files are written into a staging folder and moved into place
together (:func:`planner.inputs.io.generation`), ``run.json`` last, listing every other file with
its SHA-256.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import steps
from ..decide.sites import tradeoff
from ..errors import InputError, Problem
from ..inputs import fieldlog, io
from ..network.terrain import reach_areas
from ..result import Result, output_table
from . import render, report

_step = steps.step


def write_progress(plan: Result, out_dir: Path, *, producer: str = "python"
                   ) -> dict[str, Path]:
    """Write the field-log outputs only (``planner progress``), as one generation.

    Parameters
    ----------
    plan : Result
        A result with field logs applied.
    out_dir : Path
        The output folder (made or replaced as one generation).
    producer : str, default "python"
        What writes it (the CLI says ``planner progress``); a folder another producer
        wrote is refused.

    Returns
    -------
    dict of str to Path
        Each output's final path: progress.csv, progress_villages.csv, logs_checked.csv,
        rejected_logs.csv, estimates_updated.csv, progress.png, progress.md and run.json.

    Raises
    ------
    InputError
        When the result applied no field logs.
    """
    if plan.progress is None:
        raise InputError([Problem("progress", "this plan applied no field logs; set "
                                  "[progress] logs in the scenario or give log files")])
    final = io.resolve_output(Path(out_dir))
    with io.generation(final, producer=producer) as staging, _step("write progress"):
        names = _write_progress(plan, staging)
        io.write_text(staging / "progress.md", report.progress_markdown(plan))
        names["progress_md"] = "progress.md"
        io.write_manifest(staging, {**_manifest_base(plan, producer),
                                    "report": _jsonable(plan.report), "outputs": dict(names)})
    names["run"] = "run.json"
    return {k: final / name for k, name in names.items()}


def _write_progress(plan: Result, out_dir: Path) -> dict[str, str]:
    """The field-log outputs: coverage over time (CSV and chart), per village, every log row
    with its outcome, the rows set aside, and an updated estimates table."""
    check, over = plan.progress, plan.progress_over_time
    if check is None or over is None:  # pragma: no cover - only called with progress
        return {}
    s = plan.scenario
    files = {"progress": "progress.csv", "progress_villages": "progress_villages.csv",
             "logs_checked": "logs_checked.csv", "rejected_logs": "rejected_logs.csv",
             "estimates_updated": "estimates_updated.csv", "progress_png": "progress.png"}
    io.write_csv(out_dir / files["progress"], over)
    io.write_csv(out_dir / files["progress_villages"],
                 fieldlog.village_progress(plan.villages, s.indicators, s.admin))
    io.write_csv(out_dir / files["logs_checked"], check.rows)
    io.write_csv(out_dir / files["rejected_logs"], check.set_aside)
    io.write_csv(out_dir / files["estimates_updated"],
                 fieldlog.updated_estimates(plan.villages, s.indicators))
    io.write_bytes(out_dir / files["progress_png"], fieldlog.chart_png(
        over, f"{s.title or s.name}: coverage from field logs"
        + (" (ILLUSTRATIVE)" if s.illustrative else ""), {i.key: i.label for i in s.indicators}))
    return files


def _write_trips(plan: Result, out_dir: Path) -> dict[str, str]:
    """trips.csv (every activity), trips_summary.csv, trips_unreached.csv and one printable
    sheet per trip (sheets/trip_NNN.html)."""
    from . import sheets

    tp = plan.trip_plan
    if tp is None:
        return {}
    s = plan.scenario
    files = {"trips": "trips.csv", "trips_summary": "trips_summary.csv",
             "trips_unreached": "trips_unreached.csv"}
    io.write_csv(out_dir / files["trips"], tp.activities)
    io.write_csv(out_dir / files["trips_summary"], tp.trips)
    io.write_csv(out_dir / files["trips_unreached"], tp.unreached)
    if len(tp.trips):  # no empty folder: a later run must recognise every entry as output
        (out_dir / "sheets").mkdir(exist_ok=True)
    places = tp.places if tp.places is not None else pd.DataFrame({"trip": []})
    context = None
    if len(tp.trips):
        context = sheets.MapContext.from_plan(
            plan.villages, plan.network,
            plan.call_in() if plan.site_choice is not None else None,
            {ind.key: ind.label for ind in s.indicators})
    for i, trip in tp.trips.iterrows():
        name = f"sheets/{sheets.sheet_name(trip['trip'])}"
        io.write_text(out_dir / name, sheets.trip_sheet(
            s.title or s.name, trip, tp.activities[tp.activities["trip"] == trip["trip"]],
            tp.lines.geometry.iloc[i] if tp.lines is not None else None,
            places[places["trip"] == trip["trip"]],
            s.illustrative_note if s.illustrative else "", context))
        files[f"sheet_{int(trip['trip'])}"] = name
    return files


def _manifest_base(plan: Result, producer: str) -> dict[str, Any]:
    """What every run.json starts with: the scenario, its input files with their SHA-256,
    its parameters and the package versions, and what wrote it (``producer``)."""
    return {"producer": producer, "scenario": plan.scenario.name,
            "inputs": {k: {"path": str(p), "sha256": io.file_sha256(p)}
                       for k, p in plan.scenario.input_files().items()},
            "parameters": _jsonable(asdict(plan.scenario)), "versions": _versions()}


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


def write_outputs(plan: Result, out_dir: Path, *, producer: str = "python"
                  ) -> dict[str, Path]:
    """Write every output as one generation (see :func:`planner.inputs.io.generation`); return
    their final paths.

    ``villages.csv``, ``villages.xlsx``, ``villages.gpkg`` (layers villages, service_points,
    blank_spots, reach_bands and, with a site choice, sites, site_links, routes),
    ``map.html``, ``summary.md``, ``summary.html``, ``map.png``, ``run.json``; with a site
    choice also ``sites.csv``, ``coverage.csv``, ``site_villages.csv``. ``run.json`` is
    written last and lists every other file with its SHA-256.

    Parameters
    ----------
    plan : Result
        The run's result (with site choice and trips when attached).
    out_dir : Path
        The output folder.
    producer : str, default "python"
        What writes it (the CLI says ``planner run``, ``planner trips``...); a folder
        another producer wrote is refused.

    Returns
    -------
    dict of str to Path
        Each output's final path, keyed by its role.
    """
    final = io.resolve_output(out_dir)
    with io.generation(final, producer=producer) as staging:
        names = _write_files(plan, staging, producer)
    return {k: final / name for k, name in names.items()}


def _write_terrain(plan: Result, out_dir: Path, names: dict[str, str],
                   paths: dict[str, Path], layers: dict[str, gpd.GeoDataFrame]) -> None:
    """With ``[terrain]``: the travel-time rasters (from the nearest office; with a site
    choice, to the nearest office or new stop) and the reach bands and catchments over the
    land as GeoPackage layers."""
    if plan.terrain is None:
        return
    names["terrain_tif"] = "travel_time_terrain.tif"
    paths["terrain_tif"] = out_dir / names["terrain_tif"]
    grid = plan.terrain
    s = plan.scenario
    note = s.illustrative_note if s.illustrative else ""
    io.write_with(paths["terrain_tif"], lambda p: report.write_cog(p, grid, note=note))
    layers["terrain_reach"] = reach_areas(grid)
    made = plan.terrain_catchments()
    if made is None:
        return
    to_stops, layers["terrain_catchments"] = made
    if plan.site_choice is not None:
        names["terrain_stops_tif"] = "travel_time_to_stops_terrain.tif"
        paths["terrain_stops_tif"] = out_dir / names["terrain_stops_tif"]
        io.write_with(paths["terrain_stops_tif"],
                      lambda p: report.write_cog(p, to_stops, towards=True, note=note))


def _write_files(plan: Result, out_dir: Path, producer: str) -> dict[str, str]:
    t0 = time.perf_counter()
    names = {"csv": "villages.csv", "xlsx": "villages.xlsx", "gpkg": "villages.gpkg",
             "map": "map.html", "summary_md": "summary.md", "summary_html": "summary.html",
             "png": "map.png", "run": "run.json"}
    paths = {k: out_dir / f for k, f in names.items()}
    table = output_table(plan)
    write_steps: dict[str, float] = {}
    with _step("write villages.csv", write_steps):
        io.write_csv(paths["csv"], table)
    s = plan.scenario
    with _step("write villages.xlsx", write_steps):
        io.write_bytes(paths["xlsx"], report.villages_xlsx(
            table, s.title or s.name, s.illustrative_note if s.illustrative else ""))
    geo = gpd.GeoDataFrame(table, geometry=plan.villages.geometry.values, crs=plan.villages.crs)
    layers = {"villages": geo,
              "service_points": plan.service_points[["id", "nama", "geometry"]],
              "reach_bands": plan.reach_band_areas()}
    if plan.blank_spots is not None and len(plan.blank_spots):
        layers["blank_spots"] = gpd.GeoDataFrame(geometry=plan.blank_spots.geometry.values,
                                                 crs=plan.blank_spots.crs)
    choice = plan.site_choice
    if choice is not None:
        new, links, routes = plan.site_frames()
        layers["sites"] = gpd.GeoDataFrame(
            new.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(new["x"], new["y"]),
            crs=plan.villages.crs)
        layers["site_links"] = links
        layers["routes"] = routes
        for key, name, frame in (("sites", "sites.csv", choice.sites),
                                 ("coverage", "coverage.csv", choice.coverage),
                                 ("site_villages", "site_villages.csv", choice.assignment)):
            names[key] = name
            paths[key] = out_dir / name
            io.write_csv(paths[key], frame)
    if plan.trip_plan is not None and plan.trip_plan.lines is not None:
        layers["trips"] = plan.trip_plan.lines
    _write_terrain(plan, out_dir, names, paths, layers)
    with _step("write villages.gpkg", write_steps):
        io.write_with(paths["gpkg"], lambda p: report.write_gpkg(p, layers))
    curve = svg = None
    if choice is not None:
        with _step("trade-off curve", write_steps):
            curve = tradeoff(plan, choice)
            if plan.decision is not None:
                curve = pd.concat([curve, plan.decision.tradeoff_rows()], ignore_index=True)
        labels = {i.key: i.label for i in plan.scenario.indicators}
        ind = labels.get(choice.spec.indicator, choice.spec.indicator)
        svg = report.tradeoff_svg(curve, choice.needed,
                                  f"people reached, not yet served for {ind} (offices "
                                  f"{'included' if choice.spec.offices_count else 'excluded'})"
                                  )
        for key, name in (("tradeoff", "tradeoff.csv"), ("tradeoff_svg", "tradeoff.svg")):
            names[key] = name
            paths[key] = out_dir / name
        io.write_csv(paths["tradeoff"], curve)
        io.write_text(paths["tradeoff_svg"], svg)
    if plan.progress is not None:
        with _step("write progress", write_steps):
            for key, name in _write_progress(plan, out_dir).items():
                names[key] = name
                paths[key] = out_dir / name
    if plan.trip_plan is not None:
        with _step("write trips", write_steps):
            for key, name in _write_trips(plan, out_dir).items():
                names[key] = name
                paths[key] = out_dir / name
    if plan.decision is not None:
        names["decision"] = "decision.json"
        paths["decision"] = out_dir / "decision.json"
        io.write_text(paths["decision"], json.dumps(_jsonable(plan.decision.to_dict()),
                                                    indent=1, ensure_ascii=False,
                                                    allow_nan=False) + "\n")
    with _step("write summary", write_steps):
        md = report.summary_markdown(plan, curve)
        io.write_text(paths["summary_md"], md)
        io.write_text(paths["summary_html"], report.summary_html(md, s.title or s.name,
                                                                 svg or ""))
    with _step("write map.png", write_steps):
        io.write_bytes(paths["png"], report.static_map_png(plan))
    with _step("write map.html", write_steps):
        io.write_text(paths["map"], render.map_html(render.plan_map(plan)))
    timings = {**plan.timings, "write": round(time.perf_counter() - t0, 3),
               "write_steps": write_steps}
    manifest = {
        **_manifest_base(plan, producer),
        "timings_s": timings,
        "report": _jsonable(plan.report),
        "site_problem": plan.site_problem or None,
        "sites": None if choice is None else {
            "summary": choice.summary(), "model": str(choice.sites["model"].iloc[0]),
            "solver": choice.solution.solver, "status": choice.solution.status,
            "objective": choice.solution.objective, "bound": choice.solution.bound,
            "gap": choice.solution.gap, "seconds": round(choice.solution.seconds, 3),
            "needed": choice.needed, "asked": {"model": choice.model, "k": choice.k,
                                               "target": choice.target},
            "settings": _jsonable(asdict(choice.spec)), "dropped_sites": choice.dropped},
        "trips": None if plan.trip_plan is None else _jsonable({
            "method": plan.trip_plan.method, "minimise": plan.trip_plan.spec.minimise,
            "objective": plan.trip_plan.objective, "bound": plan.trip_plan.bound,
            "gap": plan.trip_plan.gap, "seconds": round(plan.trip_plan.seconds, 3),
            "note": plan.trip_plan.note,
            "people": float(plan.trip_plan.trips["people"].sum()),
            "people_bound": (plan.trip_plan.people_bound
                             if math.isfinite(plan.trip_plan.people_bound) else None),
            "trips": len(plan.trip_plan.trips), "stops_unreached": len(plan.trip_plan.unreached),
            "settings": asdict(plan.trip_plan.spec)}),
        "outputs": dict(names),
    }
    io.write_manifest(out_dir, manifest)
    return names
