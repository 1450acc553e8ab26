"""Wire the steps: load, validate, join, network, travel, prioritise, render; write outputs.

``run(scenario) -> Plan``. The library logs each step's duration at INFO on the ``planner``
logger and never configures logging itself.
"""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

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
from .config import Scenario, SiteModel
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
        Service points (metric CRS).
    network : Network
        The multimodal network with villages and service points joined (arrays; use
        ``plan.network.to_networkx()`` for a NetworkX graph).
    signal : GeoDataFrame or None
        The signal layer as given (blank spots or coverage, metric CRS); ``blank_spots``
        gives the blank spots either way.
        Blank-spot polygons (metric CRS).
    report : dict
        Warnings, unmatched rows, network statistics, totals.
    timings : dict
        Seconds per step.
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    service_points: gpd.GeoDataFrame
    network: network.Network
    signal: gpd.GeoDataFrame | None
    report: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    paths: dict[str, list[np.ndarray]] = field(default_factory=dict)
    site_choice: sites_mod.SiteChoice | None = None
    site_problem: str = ""
    progress: fieldlog.LogCheck | None = None
    progress_over_time: pd.DataFrame | None = None
    trip_plan: Any = None  # trips.TripPlan: multi-day trips serving the new stops
    _blank: gpd.GeoDataFrame | None = None
    # layers derived from the villages alone, computed on first use and shared with the
    # views made by with_sites (they hold the same villages)
    _derived: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        """One line: what the plan holds (the frames are attributes)."""
        choice = "none" if self.site_choice is None else \
            f"{int((self.site_choice.sites['rank'] > 0).sum())} new"
        return (f"Plan(scenario={self.scenario.name!r}, villages={len(self.villages)}, "
                f"service_points={len(self.service_points)}, "
                f"crs={self.villages.crs.to_string()!r}, sites={choice})")

    def _repr_html_(self) -> str:
        """A short summary table for notebooks (totals per indicator, reach bands)."""
        import html as _html

        rows = "".join(
            f"<tr><td>{_html.escape(k)}</td><td>{t['eligible']:,}</td><td>{t['served']:,}</td>"
            f"<td>{t['gap']:,}</td></tr>" for k, t in self.report["totals"].items())
        bands = ", ".join(f"{_html.escape(b)} {n}" for b, n in self.report["reach_bands"].items())
        return (f"<b>Plan {_html.escape(self.scenario.name)}</b>: {len(self.villages):,} "
                f"villages, {len(self.service_points)} service points<br>"
                "<table><tr><th>indicator</th><th>eligible</th><th>served</th><th>gap</th></tr>"
                f"{rows}</table>Reach: {bands}")

    @property
    def blank_spots(self) -> gpd.GeoDataFrame | None:
        """Blank-spot polygons (metric CRS): the signal layer itself, or, for a coverage
        layer, the villages' area outside it (computed on first use)."""
        if self.signal is None or self.scenario.signal_kind == "blank_spot":
            return self.signal
        if self._blank is None:
            self._blank = overlay.blank_from_coverage(self.villages, self.signal)
        return self._blank

    def table(self) -> pd.DataFrame:
        """The village table as written to ``villages.csv`` (no geometry)."""
        return output_table(self)

    def map(self, *, area: str | None = None,
            sites: sites_mod.SiteChoice | None = None, trips: Any = None) -> folium.Map:
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
        s = self.scenario
        keep = np.ones(len(self.villages), bool)
        if area:
            keep = self.villages["code_key"].str.startswith(
                validate.normalise_code(area)).to_numpy()
            if not keep.any():
                raise InputError([Problem("map", f"no village code starts with {area!r}")])
        stops = links = routes = None
        if self.site_choice is not None:
            stops, links, routes = self._site_layers()
            if area:
                inside = set(self.villages.loc[keep, "kode"])
                stops = stops[stops["site_code"].isin(inside)]
                links = links.iloc[0:0] if stops.empty else links
                routes = routes.iloc[0:0] if stops.empty else routes
        net = self.network
        if "fastest" not in self.paths:
            self.paths["fastest"] = all_paths(net, "fastest")
        legs_text = dict(zip(net.points["village"].refs,
                             travel.legs_texts(net, self.paths["fastest"]), strict=True))
        legs = self.villages["kode"].map(legs_text).fillna("")
        minutes = self.villages["travel_minutes"].to_numpy(float)
        legs = np.where(~np.isfinite(minutes), "unreachable",
                        np.where(legs == "", "at the office", legs))
        v = self.villages.assign(route_legs=legs)[keep].reset_index(drop=True)
        services = self.service_points
        blank = self.blank_spots
        places = [(k, p.labels, p.xy) for k, p in net.points.items()
                  if k not in ("village", "service")]
        reach = self.reach_band_areas() if not area else None
        if area:
            services = services[services["id"].isin(set(v["nearest_service"]))]
            box = shapely.box(*v.total_bounds)
            if blank is not None:
                blank = blank.iloc[blank.sindex.query(box, predicate="intersects")]
            reach = v[["reach_band", "geometry"]].dissolve(by="reach_band", as_index=False)
            reach["villages"] = reach["reach_band"].map(v["reach_band"].value_counts())
            inside_places = []
            for k, labels, xy in places:
                ok = shapely.contains_xy(box, xy[:, 0], xy[:, 1])
                inside_places.append((k, list(np.array(labels, dtype=object)[ok]), xy[ok]))
            places = inside_places
        return render.outreach_map(
            v, services, s.indicators,
            text=render.MapText(s.title or s.name, s.data_date,
                                s.illustrative_note if s.illustrative else ""),
            blank_m=blank, reach_m=reach,
            overlays=render.Overlays(
                site_layers=(render.SiteLayers(stops, links, routes) if stops is not None
                             and links is not None and routes is not None else None),
                places=places,
                sessions=self.progress.rows if self.progress is not None else None,
                trips=(self.trip_plan.lines if self.trip_plan is not None and not area
                       else None)))

    def site_layers(self, sites: sites_mod.SiteChoice
                    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """A site choice as frames (metric CRS): the new stops as points (the columns of
        ``sites.csv``), a line from each stop to each village credited to it, and the route
        from the nearest office to each stop (as on the map and in ``villages.gpkg``)."""
        new, links, routes = self.with_sites(sites)._site_layers()
        points = gpd.GeoDataFrame(new.drop(columns=["x", "y"]),
                                  geometry=gpd.points_from_xy(new["x"], new["y"]),
                                  crs=self.network.crs)
        return points, links, routes

    def _site_layers(self) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """New sites with coordinates, site -> village links and office -> site routes."""
        choice = self.site_choice
        if choice is None:
            raise ValueError("this plan has no site choice: pass one (plan.with_sites(c))")
        net = self.network
        refs = net.points["village"].refs
        xy = dict(zip(refs, map(tuple, net.points["village"].xy), strict=True))
        new = choice.sites[choice.sites["rank"] > 0].copy()
        site_xy = dict(zip(new["site_code"], zip(new["x"], new["y"], strict=True),
                           strict=True))
        a = choice.assignment[choice.assignment["site"].isin(set(new["site_code"]))]
        names = self.villages.set_index("kode")["nama"]
        site_names = dict(zip(new["site_code"], new["site_name"], strict=True))
        links = gpd.GeoDataFrame(
            {"label": [f"{names[k]} ({m:.0f} min to the stop at {site_names[s]})"
                       for k, s, m in zip(a["kode"], a["site"], a["minutes"], strict=True)]},
            geometry=[shapely.LineString([site_xy[s], xy[k]]) for k, s in
                      zip(a["kode"], a["site"], strict=True)], crs=net.crs)
        kind = "candidate" if "candidate" in net.stops else "village"
        index = {r: i for i, r in enumerate(net.points[kind].refs)}
        targets = net.destination(kind)[[index[c] for c in new["site_code"]]]
        if kind == "village":  # the villages' routes are already known
            if "fastest" not in self.paths:
                self.paths["fastest"] = all_paths(net, "fastest")
            site_paths = [self.paths["fastest"][index[c]] for c in new["site_code"]]
        else:
            res = travel.nearest_source(travel.to_csr(net), net.origin("service"), targets)
            site_paths = travel.paths_to(res, targets)
        lines, labels = [], []
        for edges, name, rank, office, minutes in zip(
                site_paths, new["site_name"], new["rank"], new["nearest_office_name"],
                new["travel_minutes_from_office"], strict=True):
            line = travel.route_line(net, edges)
            if line is not None:
                lines.append(line)
                labels.append(f"{office} to site #{rank} {name}: {minutes / 60:.1f} h")
        routes = gpd.GeoDataFrame({"label": labels}, geometry=lines, crs=net.crs)
        return new, links, routes

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

    def route(self, kode: str, *, cheapest: bool = False) -> tuple[pd.DataFrame, Any]:
        """The fastest (or cheapest) route from the nearest service point to a village.

        Returns
        -------
        legs : DataFrame
            ``mode, from, to, minutes, length_m, cost, name`` per leg (minutes, metres, rupiah).
        line : shapely.LineString or None
            The route in WGS84 (straight between network nodes), None if unreachable.
        """
        i = self._village_index(kode)
        net = self.network
        kind: Literal["fastest", "cheapest"] = "cheapest" if cheapest else "fastest"
        if kind not in self.paths:
            self.paths[kind] = all_paths(net, kind)
        edges = self.paths[kind][i]
        line = travel.route_line(net, edges)
        if line is not None:
            line = gpd.GeoSeries([line], crs=net.crs).to_crs(WGS84).iloc[0]
        return travel.legs(net, edges).drop(columns="_edges"), line

    def choose_sites(self, *, k: int | None = None, target: float | None = None,
                     model: SiteModel | None = None,
                     **spec_changes: Any) -> sites_mod.SiteChoice:
        """Choose the next mobile-service sites (see :mod:`planner.sites`) and return the
        choice; the plan is not changed (pass the choice on: ``plan.write(out, sites=c)``,
        ``plan.map(sites=c)``).

        ``k`` -> the ``k`` sites covering the most people; ``target`` (a share, e.g. 0.994) ->
        the fewest sites reaching it; neither -> the scenario's ``[sites]`` model. Other
        ``[sites]`` settings may be changed here (``kits=2``, ``cover_minutes=90``...).
        """
        spec = replace(self.scenario.sites, **spec_changes)
        return sites_mod.choose_sites(self, spec, k=k, target=target, model=model)

    def with_sites(self, sites: sites_mod.SiteChoice | None = None,
                   problem: str = "") -> Plan:
        """A view of this plan with a site choice (or the reason there is none) attached, for
        :meth:`write`, :meth:`map` and the reports. The plan itself is not changed."""
        return replace(self, site_choice=sites, site_problem=problem)

    def plan_trips(self, *, sites: sites_mod.SiteChoice | None = None,
                   teams: int | None = None, days: int | None = None,
                   budget: float | None = None, start: str | None = None,
                   exact_limit: int = 8, time_limit: float = 300.0,
                   **spec_changes: Any) -> Any:
        """Multi-day trips serving the new stops of a site choice (see :mod:`planner.trips`).

        Parameters
        ----------
        sites : SiteChoice, optional
            The stops (its new sites, with the people each newly covers); default: the plan's
            site choice, else the scenario's ``[sites]`` model.
        teams, days, budget, start
            Teams per office, the longest trip (days), the total budget (rupiah) and the
            start date (``YYYY-MM-DD``), instead of the scenario's ``[trips]``; other
            ``[trips]`` settings may be changed too (``night_rupiah=...``).
        exact_limit, time_limit
            Up to ``exact_limit`` stops the trips are proven optimal; larger plans improve
            until no move improves (at most ``time_limit`` seconds) and report the gap to a
            lower bound.

        Returns
        -------
        trips.TripPlan
        """
        from . import trips

        changes: dict[str, Any] = {k: v for k, v in (("teams", teams), ("max_days", days),
                                     ("total_budget", budget), ("start", start)) if v is not None}
        spec = replace(self.scenario.trips, **changes, **spec_changes)
        if not spec.start:
            raise InputError([Problem(str(self.scenario.source), "trips need a start date: "
                                      "set [trips] start = \"YYYY-MM-DD\" or give --start",
                                      where="[trips]", column="start")])
        choice = sites or self.site_choice or self.choose_sites()
        with _step("plan trips", self.timings):
            return trips.plan_trips(self.network, _trip_stops(self, choice), spec,
                                    exact_limit=exact_limit, time_limit=time_limit)

    def with_trips(self, trips: Any) -> Plan:
        """A view of this plan with trips (a :meth:`plan_trips` result) attached, for
        :meth:`write`, :meth:`map` and the summary. The plan itself is not changed."""
        return replace(self, trip_plan=trips)

    def travel_table(self, *, cutoff: float = np.inf, reverse: bool = True) -> pd.DataFrame:
        """Village × service-point travel times within ``cutoff`` minutes (long table).

        ``reverse=True`` (default): from the village to the site, as residents travel to a
        stop; ``False``: from the site to the village. Columns ``kode, site, minutes``.
        """
        net = self.network
        t = travel.travel_table(net, net.destination("service") if reverse else
                                net.origin("service"),
                                net.origin("village") if reverse else
                                net.destination("village"), cutoff=cutoff, reverse=reverse)
        refs = np.array(net.points["village"].refs, dtype=object)
        sites = np.array(net.points["service"].refs, dtype=object)
        return pd.DataFrame({"kode": refs[t["village"]], "site": sites[t["site"]],
                             "minutes": t["minutes"].to_numpy()})

    def reach_band_areas(self) -> gpd.GeoDataFrame:
        """Villages dissolved by reach band: one (multi)polygon per band, metric CRS."""
        key = ("reach", id(self.villages))  # a view with other villages computes its own
        if key not in self._derived:
            v = self.villages[["reach_band", "geometry"]]
            out = v.dissolve(by="reach_band", as_index=False)
            order = {b: i for i, b in enumerate(travel.REACH_BANDS)}
            out["villages"] = out["reach_band"].map(v["reach_band"].value_counts())
            self._derived[key] = out.sort_values(
                "reach_band", key=lambda s: s.map(order)).reset_index(drop=True)
        return self._derived[key].copy()

    def routes(self) -> pd.DataFrame:
        """Every village's fastest route as legs: ``kode, leg`` then the columns of
        :meth:`route` (one row per leg; unreachable villages have none)."""
        net = self.network
        if "fastest" not in self.paths:
            self.paths["fastest"] = all_paths(net, "fastest")
        frames = []
        for kode, edges in zip(net.points["village"].refs, self.paths["fastest"], strict=True):
            lg = travel.legs(net, edges).drop(columns="_edges")
            lg.insert(0, "leg", np.arange(1, len(lg) + 1))
            lg.insert(0, "kode", kode)
            frames.append(lg)
        return pd.concat(frames, ignore_index=True)

    def _village_index(self, kode: str) -> int:
        """Position of a village in the network's village arrays (input order)."""
        key = validate.normalise_code(kode)
        refs = [validate.normalise_code(r) for r in self.network.points["village"].refs]
        if key not in refs:
            raise InputError([Problem("route", f"no village with code {kode!r}")])
        return refs.index(key)

    def write(self, out_dir: str | Path, *, sites: sites_mod.SiteChoice | None = None,
              site_problem: str = "", trips: Any = None) -> dict[str, Path]:
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



def _trip_stops(plan: Plan, choice: sites_mod.SiteChoice) -> Any:
    """The new sites of a choice as trip stops, the service points as offices."""
    from . import trips

    net = plan.network
    kind = "candidate" if "candidate" in net.stops else "village"
    index = {r: i for i, r in enumerate(net.points[kind].refs)}
    new = choice.sites[choice.sites["rank"] > 0]
    stops = pd.DataFrame({"code": new["site_code"].astype(str).to_numpy(),
                          "name": new["site_name"].astype(str).to_numpy(),
                          "people": new["people_newly_covered"].to_numpy(float),
                          "blank": new["satellite_kit_needed"].to_numpy(bool),
                          "index": [index[c] for c in new["site_code"]]})
    svc = net.points["service"]
    offices = pd.DataFrame({"code": [str(r) for r in svc.refs],
                            "name": [str(n) for n in svc.labels],
                            "index": np.arange(len(svc.refs))})
    return trips.Stops(stops, offices, kind)


def output_table(plan: Plan) -> pd.DataFrame:
    """The ranked village table (no geometry), with the documented columns first."""
    v = plan.villages
    cols = ["kode", "nama", *[a.level for a in plan.scenario.admin]]
    for ind in plan.scenario.indicators:
        cols += [ind.eligible_col, ind.served_col, ind.gap_col]
    cols += [c for ind in plan.scenario.indicators
             if (c := f"{ind.key}_served_from_logs") in v]
    cols += [c for c in ("sessions_logged",) if c in v]
    cols += ["blank_spot_share", "nearest_service", "travel_minutes", "reach_band",
             "priority_score", "priority_rank", "nearest_office_name", "route_modes", "access_m",
             "joined_to",
             *[c for c in ("travel_cost", "cheapest_cost", "cheapest_minutes") if c in v],
             "unreachable_reason",
             "has_estimate", "weighted_gap", "gap_part", "remoteness_part", "blank_part",
             "score_gap", "score_remoteness", "score_blank_spot", "priority_why"]
    out = pd.DataFrame(v[cols])
    out["travel_minutes"] = out["travel_minutes"].replace([np.inf], np.nan)
    return out


def all_paths(net: network.Network,
              kind: Literal["fastest", "cheapest"] = "fastest") -> list[np.ndarray]:
    """Edge ids of each village's fastest (or cheapest) route from its nearest office
    (input order; empty when unreachable or when the village is the office's own node)."""
    csr = travel.to_csr(net, "cost" if kind == "cheapest" else "minutes")
    res = travel.nearest_source(csr, net.origin("service"), net.destination("village"))
    return travel.paths_to(res, net.destination("village"))


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
        new, links, routes = plan._site_layers()
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
