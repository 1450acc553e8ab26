"""Wire the steps: load, validate, join, network, travel, field logs, prioritise.

``run(scenario) -> Plan``. The library logs each step's duration at INFO on the ``planner``
logger and never configures logging itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import cache, steps
from .config import REACH_BANDS, Scenario
from .crs import metric_crs
from .decide import prioritise
from .decide.sites import SiteChoice
from .decide.trips import TripPlan
from .errors import InputError, Problem
from .inputs import fieldlog, io, osm, overlay, validate
from .inputs.raster import Grid
from .jsontypes import Json
from .network import terrain, travel
from .network.build import Sources, build_network, read_sources
from .network.graph import Network, Points
from .outputs import render
from .outputs.writing import write_outputs, write_progress
from .result import IndicatorTotals, Result, RunReport

log = logging.getLogger("planner")
T = TypeVar("T")


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
        """The outreach map, shown inline in Jupyter.

        Parameters
        ----------
        area : str, optional
            A code prefix (e.g. ``"65.02"`` or ``"6502"`` for one kabupaten, ``"73"`` for a
            province): map only the villages whose code starts with it, with the offices
            serving them and the proposed sites among them. For national plans.
        sites : SiteChoice, optional
            A :meth:`choose_sites` result: the proposed stops, their routes and served villages.
        trips : TripPlan, optional
            A :meth:`plan_trips` result: one line per trip.

        Returns
        -------
        folium.Map
            The map (Leaflet inlined: it works offline once saved).

        Raises
        ------
        InputError
            When no village code starts with ``area``.
        """
        if sites is not None or trips is not None:
            view = self.with_sites(sites) if sites is not None else self
            return (view.with_trips(trips) if trips is not None else view).map(area=area)
        return render.plan_map(self, area=area)

    def write(self, out_dir: str | Path, *, sites: SiteChoice | None = None,
              site_problem: str = "", trips: TripPlan | None = None,
              producer: str = "python") -> dict[str, Path]:
        """Write every output as one generation (see :func:`planner.outputs.writing.write_outputs`).

        Parameters
        ----------
        out_dir : str or Path
            The output folder; it is replaced whole, or left as it was on any fault.
        sites : SiteChoice, optional
            A :meth:`choose_sites` result: also the site outputs.
        site_problem : str, optional
            Why there is no site choice (said in the summary).
        trips : TripPlan, optional
            A :meth:`plan_trips` result: also the trip outputs.
        producer : str, default "python"
            What writes the folder (recorded in run.json; the CLI gives its command): a
            folder another producer wrote is refused, never silently replaced.

        Returns
        -------
        dict of str to Path
            Each output's final path, keyed by its role (``csv``, ``map``, ``run``...).

        Raises
        ------
        OutputError
            When the folder cannot be written (the previous outputs are kept).
        """
        plan = self.with_sites(sites, site_problem) if sites is not None or site_problem \
            else self
        if trips is not None:
            plan = plan.with_trips(trips)
        return write_outputs(plan, Path(out_dir), producer=producer)

    def write_progress(self, out_dir: str | Path, *, producer: str = "python"
                       ) -> dict[str, Path]:
        """Write the field-log outputs only (``planner progress``), as one generation.

        Parameters
        ----------
        out_dir : str or Path
            The output folder.
        producer : str, default "python"
            What writes the folder (recorded in run.json); another producer's folder is
            refused.

        Returns
        -------
        dict of str to Path
            progress.csv, progress_villages.csv, logs_checked.csv, rejected_logs.csv,
            estimates_updated.csv, progress.png, progress.md and run.json.

        Raises
        ------
        InputError
            When the plan applied no field logs.
        """
        return write_progress(self, Path(out_dir), producer=producer)



_step = steps.step


@dataclass
class _Prepared:
    """What the load, join and network steps produce (shared by run and validate)."""

    villages: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    blank: gpd.GeoDataFrame | None
    network: Network
    join: overlay.JoinReport
    crs: Any
    warnings: list[str]
    timings: dict[str, float]
    sources: Sources  # the network's files as read (the travel step builds from them too)


def _collect(problems: list[Problem], fn: Callable[..., T], *args: Any, **kwargs: Any
             ) -> T | None:
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
        net, sources = _build_network(s, vil_m, svc_m, inputs.candidates, crs, warnings)
    return _Prepared(vil_m, svc_m, blank_m, net, join_report, crs, warnings, timings, sources)


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
    estimates, signal, candidates = s.estimates, s.signal, s.sites.candidates
    if estimates is not None:
        est = _collect(problems, lambda: validate.check_estimates(
            io.read_table(estimates.path, estimates.sheet, find_header=estimates.code,
                          warnings=warnings), estimates, s.indicators, warnings))
    if signal is not None:
        sig = _collect(problems, lambda: validate.check_polygons(
            io.read_vector(signal, s.signal_layer), str(signal), warnings))
    if candidates is not None:
        cand = _collect(problems, lambda: validate.check_points(
            io.read_vector(candidates.path, None, warnings), candidates, warnings))
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
                   ) -> tuple[Network, Sources]:
    """The network with the villages, service points (and candidate sites) joined, and its
    source files as read."""
    reps = vil_m.geometry.representative_point()
    points = {
        "village": Points("village", vil_m["kode"].tolist(),
                                  (vil_m["nama"] + " (" + vil_m["kode"] + ")").tolist(),
                                  shapely.get_coordinates(reps.values)),
        "service": Points("service", svc_m["id"].tolist(), svc_m["nama"].tolist(),
                                  shapely.get_coordinates(svc_m.geometry.values)),
    }
    if cand is not None:
        cm = cand.to_crs(crs)
        points["candidate"] = Points("candidate", cm["id"].tolist(),
                                             cm["nama"].tolist(),
                                             shapely.get_coordinates(cm.geometry.values))
    sources = read_sources(s.network)
    surface = None
    if s.terrain.landcover is not None:  # walking over terrain: the cells join the graph
        surface = terrain.read_surface(s.terrain, crs, points, warnings)
    net = build_network(s.network, crs, points, s.access, sources=sources,
                        node_every_m=None if surface is None else surface.cell_m / 2)
    if surface is not None:
        net = terrain.extend(net, surface, transfer=s.network.transfer,
                             neighbours=s.terrain.neighbours)
        off = cast(dict[str, list[str]], cast(dict[str, Any], net.report["terrain"])
                   ["points_off_the_land"])
        for kind, path in (("village", s.villages.path),
                           ("service", s.service_points.path)):
            if off.get(kind):
                warnings.append(f"{path}: {len(off[kind])} point(s) in impassable cells of "
                                f"the land cover (water, a barrier or a class at 0 km/h) "
                                f"keep their straight walk to the network: "
                                f"{', '.join(off[kind][:10])}"
                                + (" ..." if len(off[kind]) > 10 else ""))
    osm_reports = cast(list[dict[str, Any]], net.report.get("osm", []))
    for r in osm_reports:
        if not r.get("ways_kept"):
            warnings.append(f"{r['file']}: the extract adds no line to the network "
                            f"({r.get('ways_read', 0)} way(s) read, none a road, track, path, "
                            "river or ferry the rules keep; counts in run.json, "
                            "report.network.osm)")
        damaged = (r["ways_cut_at_missing_nodes"], r["ways_outside_the_extract"],
                   r["parts_too_short"])
        if any(damaged):
            warnings.append(f"{r['file']}: {damaged[0]} way(s) cut at nodes missing from the "
                            f"extract (a download clipped at its border), {damaged[1]} "
                            f"wholly outside it, {damaged[2]} part(s) too short to keep "
                            "(repeated or lone nodes); the parts present are used (counts in "
                            "run.json, report.network.osm)")
        given = set(s.network.classes) | set(s.network.speed_kmh)
        fallback = [c for c in r["classes_at_fallback_speed"] if c not in given]
        if fallback:  # the classes the scenario sets have its speeds
            warnings.append(f"{r['file']}: highway classes without a default speed, at "
                            f"{osm.FALLBACK_KMH:g} km/h as roads: "
                            f"{', '.join(fallback)} (set them in "
                            "[network.classes] if they differ)")
        for c in sorted(given & osm.EXCLUDED_HIGHWAY):
            n = r.get("excluded", {}).get(f"highway={c}", 0)
            if n:
                warnings.append(f"{r['file']}: {n} way(s) highway={c} are not travelled and "
                                f"left out of OSM extracts; the scenario's speed for class "
                                f"'{c}' is not used")
    svc_ok = np.isin(net.origin("service"), net.u)
    if not svc_ok.any():
        raise InputError([_no_office_on_the_network(s, net, vil_m)])
    for r in svc_m[~svc_ok].itertuples():
        warnings.append(f"{s.service_points.path}: service point {r.id} is more than "
                        f"{s.access.max_km:g} km from the network and on no link"
                        + (" or passable land" if net.cells is not None else "")
                        + ": unused")
    return net, sources


def _no_office_on_the_network(s: Scenario, net: Network, vil_m: gpd.GeoDataFrame) -> Problem:
    """Why no office joins the network: when the network lies away from the villages (a
    wrong extract or layer), the network's files are named with the distance; else the
    offices are."""
    on_lines = net.u[net.kind == "line"]
    xy = net.phys_xy[net.node_phys[on_lines]] if len(on_lines) else np.zeros((0, 2))
    if len(xy):
        lines = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
        area = shapely.box(*vil_m.total_bounds)
        gap_km = float(shapely.distance(lines, area)) / 1000
        if gap_km > s.access.max_km:
            files = ", ".join(str(p) for p in s.network.files()) or "the network"
            return Problem(files, f"the network lies {gap_km:,.0f} km from the study area's "
                           "villages (its extent does not reach theirs): is it the extract or "
                           "layer of this area?")
    return Problem(str(s.service_points.path),
                   f"no service point lies within {s.access.max_km:g} km of the network or "
                   "on a link; expected at least one")


def validate_scenario(scenario: Scenario) -> dict[str, Any]:
    """Check every input of a scenario without running the plan.

    Loads, validates and joins every layer and builds the network.

    Parameters
    ----------
    scenario : Scenario
        The scenario to check.

    Returns
    -------
    dict
        ``villages`` and ``service_points`` (counts), ``network`` (its report), ``join``
        (unmatched rows) and ``warnings``.

    Raises
    ------
    InputError
        For any bad input, listing every problem found in every input file.
    """
    prep = _prepare(scenario)
    return {"villages": len(prep.villages), "service_points": len(prep.services),
            "network": prep.network.report, "join": prep.join.as_dict(),
            "warnings": prep.warnings}


def run(scenario: Scenario, *, use_cache: bool = True) -> Plan:
    """Run the whole plan for a scenario.

    Parameters
    ----------
    scenario : Scenario
        What to run (:func:`planner.load_scenario` or :func:`planner.scenario_from_frames`).
    use_cache : bool, default True
        Reuse (and store) the join, overlay, network and travel steps on disk, keyed by a
        hash of every input file and the settings they use (see :mod:`planner.cache`), and
        the lines read from OSM extracts (keyed by the extract alone); the priority and site
        steps always run.

    Returns
    -------
    Plan
        The ranked villages, the network, the report, and the map and writers.

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
        token = osm.use_store.set(use_cache)  # read OSM extracts kept in the cache folder
        try:
            prep = _prepare(s)
        finally:
            osm.use_store.reset(token)
        timings = prep.timings
        with _step("travel", timings):
            tr, paths, cell_minutes = travel.travel_columns(
                prep.network, s, prep.services["id"].to_numpy(), sources=prep.sources)
            for col, values in tr.items():
                prep.villages[col] = values
            names = dict(zip(prep.services["id"], prep.services["nama"], strict=True))
            prep.villages["nearest_office_name"] = (prep.villages["nearest_service"]
                                                    .map(names).fillna(""))
            n_parts, labels = travel.parts(prep.network)
        state = cache.Steps(villages=prep.villages, services=prep.services,
                            blank=prep.blank, network=prep.network, paths=paths,
                            labels=labels, n_parts=n_parts, warnings=prep.warnings,
                            timings=timings, join=prep.join, crs=prep.crs,
                            terrain=cell_minutes)
        if k:
            cache.save(k, state, cache_warnings)
    else:
        log.info("cache: reused the join, network and travel steps (%s)", k)
        state.timings = {"cache_load": 0.0}
    vil_m, svc_m, blank_m, net = state.villages, state.services, state.blank, state.network
    join_report, crs, timings = state.join, state.crs, dict(state.timings)
    warnings = [*state.warnings, *cache_warnings]
    paths, n_parts, labels = state.paths, state.n_parts, state.labels

    cells = net.cells  # walking over terrain: the travel-time raster of the travel step
    terrain_grid = (Grid(state.terrain, cells.cell_m, cells.x0, cells.y0, crs)
                    if cells is not None and state.terrain is not None else None)

    check = over_time = None
    if s.progress.logs:
        with _step("field logs", timings):
            vil_m, check, over_time = _apply_field_logs(s, vil_m, warnings)

    with _step("prioritise", timings):
        ranked = prioritise.score(vil_m, s.indicators, s.weights)
        ranked = gpd.GeoDataFrame(ranked, geometry="geometry", crs=crs)

    totals: dict[str, IndicatorTotals] = {}
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
    unreachable = ranked.loc[ranked["reach_band"] == "unreachable",
                             ["kode", "nama", "unreachable_reason"]]
    report: RunReport = {
        "villages": len(ranked),
        "metric_crs": crs.to_string(),
        "totals": totals,
        "reach_bands": {b: int(band_counts.get(b, 0)) for b in REACH_BANDS},
        "unreachable": cast(list[dict[str, str]], unreachable.to_dict("records")),
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
                              "columns": cast(list[Json],
                                              check.roles_table().to_dict("records")),
                              "totals": cast(list[Json],
                                             check.totals().to_dict("records"))}
    return Plan(scenario=s, villages=ranked, service_points=svc_m, network=net,
                signal=blank_m, report=report, timings=timings, paths=paths, progress=check,
                progress_over_time=over_time, terrain=terrain_grid)


def _apply_field_logs(s: Scenario, villages: gpd.GeoDataFrame, warnings: list[str]
                      ) -> tuple[gpd.GeoDataFrame, fieldlog.LogCheck, pd.DataFrame]:
    """Read and check the scenario's field logs, add the applied sessions to the villages'
    served counts, and follow coverage over time (see :mod:`planner.inputs.fieldlog`)."""
    raw = fieldlog.read_logs(s.progress.logs, s.progress, s.indicators, warnings)
    check = fieldlog.check_logs(raw, villages, s.indicators, s.progress)
    over_time = fieldlog.progress_over_time(villages, check, s.indicators, s.admin)
    return fieldlog.apply_logs(villages, check, s.indicators), check, over_time



