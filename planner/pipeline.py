"""Wire the steps: load, validate, join, network, travel, prioritise, render; write outputs.

``run(scenario) -> Plan``. The library logs each step's duration at INFO on the ``planner``
logger and never configures logging itself.
"""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import (
    cache,
    fieldlog,
    io,
    network,
    overlay,
    prioritise,
    render,
    report,
    steps,
    travel,
    validate,
)
from . import sites as sites_mod
from .config import Scenario
from .crs import metric_crs
from .errors import InputError, Problem
from .result import Result, all_paths, output_table
from .sites import SiteChoice
from .trips import TripPlan

log = logging.getLogger("planner")


class Plan(Result):
    """The result of a run (:class:`planner.result.Result`: the ranked villages, the network,
    the report and views of them), with the outreach map and the writers.

    Attributes
    ----------
    scenario, villages, service_points, network, signal, report, timings
        See :class:`planner.result.Result`.
    """

    def map(self, *, area: str | None = None,
            sites: SiteChoice | None = None, trips: TripPlan | None = None) -> folium.Map:
        """The outreach map (a ``folium.Map``, shown inline in Jupyter); with ``sites`` (a
        :meth:`choose_sites` result) the proposed stops, their routes and served villages;
        with ``trips`` (a :meth:`plan_trips` result) one line per trip.

        Parameters
        ----------
        area : str, optional
            A code prefix (e.g. ``"65.02"`` or ``"6502"`` for one kabupaten, ``"73"`` for a
            province): map only the villages whose code starts with it, with the offices
            serving them and the proposed sites among them. For national plans.
        """
        if sites is not None or trips is not None:
            view = self.with_sites(sites) if sites is not None else self
            return (view.with_trips(trips) if trips is not None else view).map(area=area)
        return render.plan_map(self, area=area)

    def write(self, out_dir: str | Path, *, sites: SiteChoice | None = None,
              site_problem: str = "", trips: TripPlan | None = None) -> dict[str, Path]:
        """Write every output as one generation (see :func:`write_outputs`); with ``sites``
        (a :meth:`choose_sites` result) also the site outputs; ``site_problem`` says in the
        summary why there is no site choice; with ``trips`` (a :meth:`plan_trips` result)
        also the trip outputs."""
        plan = self.with_sites(sites, site_problem) if sites is not None or site_problem \
            else self
        if trips is not None:
            plan = plan.with_trips(trips)
        return write_outputs(plan, Path(out_dir))

    def write_progress(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the field-log outputs only (``planner progress``), as one generation:
        progress.csv, progress_villages.csv, logs_checked.csv, rejected_logs.csv,
        estimates_updated.csv, progress.png, progress.md and run.json."""
        if self.progress is None:
            raise InputError([Problem("progress", "this plan applied no field logs; set "
                                      "[progress] logs in the scenario or give log files")])
        final = io.resolve_output(Path(out_dir))
        with io.generation(final) as staging:
            names = _write_progress(self, staging)
            io.write_text(staging / "progress.md", report.progress_markdown(self))
            names["progress_md"] = "progress.md"
            io.write_manifest(staging, {**_manifest_base(self), "report": _jsonable(self.report),
                                        "outputs": dict(names)})
        names["run"] = "run.json"
        return {k: final / name for k, name in names.items()}



_step = steps.step


@dataclass
class _Prepared:
    """What the load, join and network steps produce (shared by run and validate)."""

    villages: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    blank: gpd.GeoDataFrame | None
    network: network.Network
    join: overlay.JoinReport
    crs: Any
    warnings: list[str]
    timings: dict[str, float]


def _collect(problems: list[Problem], fn, *args, **kwargs):
    """Call a loader; on bad input keep its problems and return None (to report all files)."""
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


@dataclass
class _Inputs:
    """Every input layer of a scenario, read and checked (WGS84 or as given)."""

    villages: gpd.GeoDataFrame
    admin_tables: dict[str, gpd.GeoDataFrame]
    services: gpd.GeoDataFrame
    estimates: pd.DataFrame | None
    signal: gpd.GeoDataFrame | None
    candidates: gpd.GeoDataFrame | None


def _prepare(s: Scenario) -> _Prepared:
    timings: dict[str, float] = {}
    warnings: list[str] = []
    with _step("load_validate", timings):
        inputs = _load_inputs(s, warnings)
        crs = metric_crs(inputs.villages, s.crs)
    with _step("join", timings):
        vil_m, blank_m, join_report = _join_layers(s, inputs, crs, warnings)
        svc_m = inputs.services.to_crs(crs)
        _warn_far_services(s, vil_m, svc_m, warnings)
    with _step("network", timings):
        net = _build_network(s, vil_m, svc_m, inputs.candidates, crs, warnings)
    return _Prepared(vil_m, svc_m, blank_m, net, join_report, crs, warnings, timings)


def _load_inputs(s: Scenario, warnings: list[str]) -> _Inputs:
    """Read and check every input; one InputError lists the problems of all of them."""
    problems: list[Problem] = []
    vil = _collect(problems, lambda: validate.check_villages(
        io.read_vector(s.villages.path, s.villages.layer, warnings), s.villages, warnings))
    admin_tables = {}
    for a in s.admin:
        t = _collect(problems, io.read_vector, a.layer.path, a.layer.layer, warnings)
        if t is None:
            continue
        problems.extend(Problem(str(a.layer.path), f"missing column '{c}'", column=c)
                        for c in (a.layer.code, a.layer.name) if c not in t.columns)
        admin_tables[a.level] = t
    svc = _collect(problems, lambda: validate.check_points(
        io.read_vector(s.service_points.path, s.service_points.layer, warnings),
        s.service_points, warnings))
    est = sig = cand = None
    if s.estimates is not None:
        est = _collect(problems, lambda: validate.check_estimates(
            io.read_table(s.estimates.path, s.estimates.sheet, find_header=s.estimates.code,
                          warnings=warnings), s.estimates, s.indicators, warnings))
    if s.signal is not None:
        sig = _collect(problems, lambda: validate.check_polygons(
            io.read_vector(s.signal, s.signal_layer), str(s.signal), warnings))
    if s.sites.candidates is not None:
        cand = _collect(problems, lambda: validate.check_points(
            io.read_vector(s.sites.candidates.path, None, warnings), s.sites.candidates,
            warnings))
    if problems:
        raise InputError(problems)
    return _Inputs(vil, admin_tables, svc, est, sig, cand)


def _join_layers(s: Scenario, inputs: _Inputs, crs: Any, warnings: list[str]
                 ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, overlay.JoinReport]:
    """Area names, estimates and blank-spot shares joined to the villages (metric CRS);
    the signal layer in the metric CRS; the join's report."""
    vil = overlay.add_admin_names(inputs.villages, s.admin, inputs.admin_tables, warnings)
    if inputs.estimates is not None:
        vil, join_report = overlay.join_estimates(vil, inputs.estimates, s.indicators)
    else:
        join_report = overlay.JoinReport(villages_without_estimate=vil["kode"].tolist())
        vil["has_estimate"] = False
        for ind in s.indicators:
            for c in (ind.eligible_col, ind.served_col, ind.gap_col):
                vil[c] = pd.array([pd.NA] * len(vil), dtype="Int64")
    vil_m = vil.to_crs(crs)
    sig_m = inputs.signal.to_crs(crs) if inputs.signal is not None else None
    vil_m["blank_spot_share"] = np.round(
        overlay.blank_spot_share(vil_m, sig_m, s.signal_kind), 6)
    if sig_m is not None and len(sig_m) and not len(
            vil_m.sindex.query(sig_m.geometry.values, predicate="intersects")[0]):
        warnings.append(f"{s.signal}: the signal layer touches no village (is it the right "
                        "file, in the right CRS?); "
                        + ("no village has a blank spot" if s.signal_kind == "blank_spot"
                           else "every village counts as a blank spot"))
    # the signal layer as given: blank spots or coverage (Plan.blank_spots derives)
    return vil_m, sig_m, join_report


def _warn_far_services(s: Scenario, vil_m: gpd.GeoDataFrame, svc_m: gpd.GeoDataFrame,
                       warnings: list[str]) -> None:
    """A service point far outside the study area is most likely a wrong coordinate."""
    near, dist = vil_m.sindex.nearest(svc_m.geometry.values, return_distance=True,
                                      return_all=False)
    far = np.zeros(len(svc_m), bool)
    far[near[0]] = dist > s.access.max_km * 1000
    for r in svc_m[far].itertuples():
        warnings.append(f"{s.service_points.path}: service point {r.id} ({r.nama}) lies "
                        f"more than {s.access.max_km:g} km outside the study area")


def _build_network(s: Scenario, vil_m: gpd.GeoDataFrame, svc_m: gpd.GeoDataFrame,
                   cand: gpd.GeoDataFrame | None, crs: Any, warnings: list[str]
                   ) -> network.Network:
    """The network with the villages, service points (and candidate sites) joined."""
    reps = vil_m.geometry.representative_point()
    points = {
        "village": network.Points("village", vil_m["kode"].tolist(),
                                  (vil_m["nama"] + " (" + vil_m["kode"] + ")").tolist(),
                                  shapely.get_coordinates(reps.values)),
        "service": network.Points("service", svc_m["id"].tolist(), svc_m["nama"].tolist(),
                                  shapely.get_coordinates(svc_m.geometry.values)),
    }
    if cand is not None:
        cm = cand.to_crs(crs)
        points["candidate"] = network.Points("candidate", cm["id"].tolist(),
                                             cm["nama"].tolist(),
                                             shapely.get_coordinates(cm.geometry.values))
    net = network.build_network(s.network, crs, points, s.access)
    osm_reports: list[dict[str, Any]] = net.report.get("osm", [])
    for r in osm_reports:
        damaged = (r["ways_cut_at_missing_nodes"], r["ways_outside_the_extract"],
                   r["parts_too_short"])
        if any(damaged):
            warnings.append(f"{r['file']}: {damaged[0]} way(s) cut at nodes missing from the "
                            f"extract (a download clipped at its border), {damaged[1]} "
                            f"wholly outside it, {damaged[2]} part(s) too short to keep "
                            "(repeated or lone nodes); the parts present are used (counts in "
                            "run.json, report.network.osm)")
        if r["classes_at_fallback_speed"]:
            warnings.append(f"{r['file']}: highway classes without a default speed, at "
                            f"{network.osm.FALLBACK_KMH:g} km/h as roads: "
                            f"{', '.join(r['classes_at_fallback_speed'])} (set them in "
                            "[network.classes] if they differ)")
    svc_ok = np.isin(net.origin("service"), net.u)
    if not svc_ok.any():
        raise InputError([Problem(str(s.service_points.path),
                                  f"no service point lies within {s.access.max_km:g} km of "
                                  "the network or on a link; expected at least one")])
    for r in svc_m[~svc_ok].itertuples():
        warnings.append(f"{s.service_points.path}: service point {r.id} is more than "
                        f"{s.access.max_km:g} km from the network and on no link: unused")
    return net


def validate_scenario(scenario: Scenario) -> dict[str, Any]:
    """Check every input of a scenario (load, validate, join, build the network) without
    running the plan. Returns what was found; raises :class:`InputError` on bad input."""
    prep = _prepare(scenario)
    return {"villages": len(prep.villages), "service_points": len(prep.services),
            "network": prep.network.report, "join": prep.join.as_dict(),
            "warnings": prep.warnings}


def run(scenario: Scenario, *, use_cache: bool = True) -> Plan:
    """Run the whole plan for a scenario.

    Parameters
    ----------
    scenario : Scenario
    use_cache : bool
        Reuse (and store) the join, overlay, network and travel steps on disk, keyed by a
        hash of every input file and the settings they use (see :mod:`planner.cache`), and
        the lines read from OSM extracts (keyed by the extract alone); the priority and site
        steps always run.

    Raises
    ------
    InputError
        For any bad input, listing every problem found in every input file.
    """
    s = scenario
    cache_warnings: list[str] = []
    k = ""
    if use_cache:
        try:
            k = cache.key(s)
        except OSError:  # an unreadable input: the load step below says which and why
            k = ""
    state = cache.load(k, cache_warnings) if k else None
    if state is None:
        from . import osm

        token = osm.use_store.set(use_cache)  # read OSM extracts kept in the cache folder
        try:
            prep = _prepare(s)
        finally:
            osm.use_store.reset(token)
        timings = prep.timings
        with _step("travel", timings):
            tr, paths = travel_columns(prep.network, s, prep.services["id"].to_numpy())
            for col, values in tr.items():
                prep.villages[col] = values
            names = dict(zip(prep.services["id"], prep.services["nama"], strict=True))
            prep.villages["nearest_office_name"] = (prep.villages["nearest_service"]
                                                    .map(names).fillna(""))
            n_parts, labels = travel.parts(prep.network)
        state = {"villages": prep.villages, "services": prep.services, "blank": prep.blank,
                 "network": prep.network, "paths": paths, "labels": labels,
                 "n_parts": n_parts, "warnings": prep.warnings, "timings": timings,
                 "join": prep.join, "crs": prep.crs}
        if k:
            cache.save(k, state, cache_warnings)
    else:
        log.info("cache: reused the join, network and travel steps (%s)", k)
        state["timings"] = {"cache_load": 0.0}
    vil_m, svc_m, blank_m, net = (state["villages"], state["services"], state["blank"],
                                  state["network"])
    join_report, crs, timings = state["join"], state["crs"], dict(state["timings"])
    warnings = [*state["warnings"], *cache_warnings]
    paths, n_parts, labels = state["paths"], state["n_parts"], state["labels"]

    check = over_time = None
    if s.progress.logs:
        with _step("field logs", timings):
            vil_m, check, over_time = _apply_field_logs(s, vil_m)

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
        "network": {**net.report, "parts": int(n_parts),
                    "parts_with_villages_but_no_service": len(
                        set(labels[net.destination("village")])
                        - set(labels[net.origin("service")]))},
        "join": join_report.as_dict(),
        "warnings": warnings,
    }
    if check is not None:
        report["progress"] = {"logs": [str(p) for p in s.progress.logs],
                              "baseline": check.baseline, "as_of": check.as_of,
                              "totals": check.totals().to_dict("records")}
    return Plan(scenario=s, villages=ranked, service_points=svc_m, network=net,
                signal=blank_m, report=report, timings=timings, paths=paths, progress=check,
                progress_over_time=over_time)


def _apply_field_logs(s: Scenario, villages: gpd.GeoDataFrame
                      ) -> tuple[gpd.GeoDataFrame, fieldlog.LogCheck, pd.DataFrame]:
    """Read and check the scenario's field logs, add the applied sessions to the villages'
    served counts, and follow coverage over time (see :mod:`planner.fieldlog`)."""
    raw = fieldlog.read_logs(s.progress.logs, s.progress, s.indicators)
    check = fieldlog.check_logs(raw, villages, s.indicators, s.progress)
    over_time = fieldlog.progress_over_time(villages, check, s.indicators, s.admin)
    return fieldlog.apply_logs(villages, check, s.indicators), check, over_time



def travel_columns(net: network.Network, s: Scenario,
                   service_ids: np.ndarray) -> tuple[dict[str, np.ndarray],
                                                     dict[str, list[np.ndarray]]]:
    """Per village: nearest service, minutes, band, route modes, walking connector, reason
    when unreachable, and (where costs exist) the fastest route's cost and the cheapest
    route's cost and minutes."""
    csr = travel.to_csr(net)
    res = travel.nearest_source(csr, net.origin("service"), net.destination("village"))
    n = len(res.value)
    out: dict[str, np.ndarray] = {
        "nearest_service": np.where(res.source >= 0, service_ids[np.maximum(res.source, 0)],
                                    ""),
        "travel_minutes": np.round(res.value, 3),
        "reach_band": travel.reach_band(res.value),
        "access_m": np.round(net.access_m["village"], 1),
        "joined_to": net.joined.get("village", np.full(len(res.value), "", dtype=object)),
    }
    paths = travel.paths_to(res, net.destination("village"))
    stored = {"fastest": paths}
    out["route_modes"] = np.array([travel.route_modes(net, e) for e in paths], dtype=object)
    has_cost = bool(np.isfinite(net.cost[np.isin(net.kind, ("line", "link"))]).any())
    if has_cost:
        out["travel_cost"] = np.array([net.cost[e].sum() if np.isfinite(res.value[i])
                                       else np.nan for i, e in enumerate(paths)]).round(0)
        cp = all_paths(net, "cheapest")
        stored["cheapest"] = cp
        ok = np.isfinite(res.value)  # the cheapest route exists where the fastest does
        out["cheapest_cost"] = np.array([np.nansum(net.cost[e]) if r else np.nan
                                         for e, r in zip(cp, ok, strict=True)]).round(0)
        out["cheapest_minutes"] = np.array([net.minutes[e].sum() if r else np.nan
                                            for e, r in zip(cp, ok, strict=True)]).round(3)
    reasons = np.full(n, "", dtype=object)
    unreached = ~np.isfinite(res.value)
    if unreached.any():
        beyond = unreached & np.isnan(net.access_m["village"])
        reasons[beyond] = (f"beyond the walking limit: more than {s.access.max_km:g} km from "
                           "the nearest network node, and no link reaches it")
        rest = unreached & ~beyond
        if rest.any() and s.network.season:
            dry = network.build_network(replace(s.network, season=""), net.crs,
                                        {k: net.points[k] for k in ("village", "service")},
                                        s.access)
            alt = travel.nearest_source(travel.to_csr(dry), dry.origin("service"),
                                        dry.destination("village"))
            closed = rest & np.isfinite(alt.value)
            reasons[closed] = (f"closed in season '{s.network.season}': reachable only by "
                               "lines closed in that season")
            rest &= ~closed
        # a part with an office, yet no route: lines of one direction (one-way roads or
        # links, currents) turn the way; else the part holds no service point at all
        _, part = travel.parts(net)
        with_office = np.isin(part[net.destination("village")],
                              part[net.origin("service")])
        one_way = rest & with_office
        reasons[one_way] = ("no route from any service point in the direction of travel: its "
                            "part of the network has a service point, but one-way lines (roads "
                            "or links) only lead away from this village")
        reasons[rest & ~with_office] = ("no path from any service point: its part of the "
                                        "network holds no service point")
    out["unreachable_reason"] = reasons
    return out, stored


def _write_progress(plan: Plan, out_dir: Path) -> dict[str, str]:
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
        + (" (ILLUSTRATIVE)" if s.illustrative else "")))
    return files


def _write_trips(plan: Plan, out_dir: Path) -> dict[str, str]:
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
    for i, trip in tp.trips.iterrows():
        name = f"sheets/{sheets.sheet_name(trip['trip'])}"
        io.write_text(out_dir / name, sheets.trip_sheet(
            s.title or s.name, trip, tp.activities[tp.activities["trip"] == trip["trip"]],
            tp.lines.geometry.iloc[i] if tp.lines is not None else None,
            tp.places[tp.places["trip"] == trip["trip"]],
            s.illustrative_note if s.illustrative else ""))
        files[f"sheet_{int(trip['trip'])}"] = name
    return files


def _manifest_base(plan: Plan) -> dict[str, Any]:
    """What every run.json starts with: the scenario, its input files with their SHA-256,
    its parameters and the package versions."""
    return {"scenario": plan.scenario.name,
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


def write_outputs(plan: Plan, out_dir: Path) -> dict[str, Path]:
    """Write every output as one generation (see :func:`planner.io.generation`); return
    their final paths.

    ``villages.csv``, ``villages.xlsx``, ``villages.gpkg`` (layers villages, service_points,
    blank_spots, reach_bands and, with a site choice, sites, site_links, routes),
    ``map.html``, ``summary.md``, ``summary.html``, ``map.png``, ``run.json``; with a site
    choice also ``sites.csv``, ``coverage.csv``, ``site_villages.csv``. ``run.json`` is
    written last and lists every other file with its SHA-256.
    """
    final = io.resolve_output(out_dir)
    with io.generation(final) as staging:
        names = _write_files(plan, staging)
    return {k: final / name for k, name in names.items()}


def _write_files(plan: Plan, out_dir: Path) -> dict[str, str]:
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
    with _step("write villages.gpkg", write_steps):
        io.write_with(paths["gpkg"], lambda p: report.write_gpkg(p, layers))
    curve = svg = None
    if choice is not None:
        with _step("trade-off curve", write_steps):
            curve = sites_mod.tradeoff(plan, choice)
        ind = choice.spec.indicator
        svg = report.tradeoff_svg(curve, choice.needed,
                                  f"people without {ind} reached by k new stops (offices "
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
    with _step("write summary", write_steps):
        md = report.summary_markdown(plan, curve)
        io.write_text(paths["summary_md"], md)
        io.write_text(paths["summary_html"], report.summary_html(md, s.title or s.name,
                                                                 svg or ""))
    with _step("write map.png", write_steps):
        io.write_bytes(paths["png"], report.static_map_png(plan))
    with _step("write map.html", write_steps):
        io.write_text(paths["map"], render.map_html(plan.map()))
    timings = {**plan.timings, "write": round(time.perf_counter() - t0, 3),
               "write_steps": write_steps}
    manifest = {
        **_manifest_base(plan),
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
            "trips": len(plan.trip_plan.trips), "stops_unreached": len(plan.trip_plan.unreached),
            "settings": asdict(plan.trip_plan.spec)}),
        "outputs": dict(names),
    }
    io.write_manifest(out_dir, manifest)
    return names
