"""The plain result of a run: the ranked villages, the network, the report, and views.

:class:`Result` holds what :func:`planner.run` computed (frames, the network, the run report)
and answers questions from that data alone: a village's rank and route, the travel table,
the reach bands, the site choice as frames. It does not change once made; attaching a site
choice or trips gives a new result. Drawing and writing it are :class:`planner.Plan`'s
(:mod:`planner.pipeline`), which adds the map and the writers to this record.
"""

from __future__ import annotations

import html as _html
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Self, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import steps
from .config import REACH_BANDS, Scenario, SiteModel, TripSpec
from .crs import WGS84
from .decide.decision import Decision, decide, trip_stops
from .decide.sites import SiteChoice, choose_sites
from .decide.trips import TripPlan, plan_trips
from .errors import InputError, Problem
from .inputs import overlay, validate
from .inputs.fieldlog import LogCheck
from .inputs.overlay import JoinSection
from .inputs.raster import Grid
from .jsontypes import JsonTable
from .network import terrain, travel
from .network.graph import Network


class IndicatorTotals(TypedDict):
    """People per indicator over the study area (whole persons)."""

    eligible: int
    served: int
    gap: int
    unmatched_gap: int  # in estimate rows that matched no village (reported, not dropped)


class RunReport(TypedDict, total=False):
    """The run report: ``plan.report`` and ``run.json``'s ``report``.

    ``villages`` (count), ``metric_crs``, ``totals`` per indicator, ``reach_bands``
    (villages per band), ``unreachable`` (code, name, reason), ``network`` (its build
    report, parts), ``join`` (unmatched rows), ``warnings`` and, with field logs,
    ``progress``.
    """

    villages: int
    metric_crs: str
    totals: dict[str, IndicatorTotals]
    reach_bands: dict[str, int]
    unreachable: list[dict[str, str]]
    network: JsonTable
    join: JoinSection
    warnings: list[str]
    progress: JsonTable


@dataclass(frozen=True)
class Result:
    """The result of a run: its data, and views computed from that data alone.

    A result does not change once made: :meth:`with_sites` and :meth:`with_trips` return
    a new one (:class:`planner.Plan` adds the map and the writers).

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
    report : RunReport
        Totals, reach bands, unreachable villages, network statistics, unmatched rows,
        warnings (what ``run.json`` holds as ``report``).
    timings : dict
        Seconds per step.
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    service_points: gpd.GeoDataFrame
    network: Network
    signal: gpd.GeoDataFrame | None
    report: RunReport
    timings: dict[str, float] = field(default_factory=dict)
    paths: dict[str, list[np.ndarray]] = field(default_factory=dict)
    site_choice: SiteChoice | None = None
    site_problem: str = ""
    progress: LogCheck | None = None
    progress_over_time: pd.DataFrame | None = None
    terrain: Grid | None = None  # minutes from the nearest office to every cell ([terrain])
    trip_plan: TripPlan | None = None  # multi-day trips serving the new stops
    decision: Decision | None = None  # stops and trips chosen together (one source)
    # layers derived from the villages alone, computed on first use and shared with the
    # views made by with_sites (they hold the same villages)
    _derived: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        """One line: what the plan holds (the frames are attributes)."""
        choice = "none" if self.site_choice is None else \
            f"{int((self.site_choice.sites['rank'] > 0).sum())} new"
        return (f"{type(self).__name__}(scenario={self.scenario.name!r}, "
                f"villages={len(self.villages)}, "
                f"service_points={len(self.service_points)}, "
                f"crs={self.villages.crs.to_string()!r}, sites={choice})")

    def _repr_html_(self) -> str:
        """A short summary table for notebooks (totals per indicator, reach bands)."""
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
        key = ("blank", id(self.villages))
        if key not in self._derived:
            self._derived[key] = overlay.blank_from_coverage(self.villages, self.signal)
        return self._derived[key]

    def table(self) -> pd.DataFrame:
        """The village table as written to ``villages.csv``.

        Returns
        -------
        DataFrame
            One row per input village (rank order), the documented columns first; no geometry;
            minutes of unreachable villages are NaN.
        """
        return output_table(self)

    def site_layers(self, sites: SiteChoice
                    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """A site choice as frames (metric CRS), as on the map and in ``villages.gpkg``.

        Parameters
        ----------
        sites : SiteChoice
            A :meth:`choose_sites` result.

        Returns
        -------
        stops : GeoDataFrame
            The new stops as points, with the columns of ``sites.csv``.
        links : GeoDataFrame
            A line from each stop to each village credited to it (``label``).
        routes : GeoDataFrame
            The route from the nearest office to each stop (``label``).
        """
        new, links, routes = self.with_sites(sites).site_frames()
        points = gpd.GeoDataFrame(new.drop(columns=["x", "y"]),
                                  geometry=gpd.points_from_xy(new["x"], new["y"]),
                                  crs=self.network.crs)
        return points, links, routes

    def data_as_of(self) -> str:
        """When the figures hold, as every page says it: the estimates' date, or with field
        logs applied the last session's date and what it adds to.

        Returns
        -------
        str
            E.g. ``"2024-06-03"`` or ``"2024-10-31 (estimates of 2024-06-03 with 1,204 field
            sessions applied)"``.
        """
        applied = self.progress.applied if self.progress is not None else None
        if applied is None or not len(applied):
            return str(self.scenario.data_date)
        last = str(applied["date"].max())
        return (f"{last} (estimates of {self.scenario.data_date} with {len(applied):,} field "
                "sessions applied)")

    def call_in(self, sites: SiteChoice | None = None) -> pd.DataFrame:
        """Whom each new stop serves: its villages, their people and how they come.

        The villages are those the coverage model credits to the stop (the nearest open
        site within the cover time); their people are each indicator's gap; the way is the
        fastest route from the village to the stop, leg by leg.

        Parameters
        ----------
        sites : SiteChoice, optional
            A site choice (default: the attached one).

        Returns
        -------
        DataFrame
            One row per stop and village, the stops in rank order and each stop's villages
            nearest first: ``site_code, kode, nama`` (and the admin levels' names), one
            column per indicator key (people), ``minutes`` (village to stop) and ``way``
            (e.g. ``foot 40 min → river 1 h 5 min``).

        Raises
        ------
        ValueError
            When there is no site choice.
        """
        choice = sites if sites is not None else self.site_choice
        if choice is None:
            raise ValueError("this plan has no site choice: pass one (plan.call_in(c))")
        net = self.network
        new = choice.sites[choice.sites["rank"] > 0]
        a = choice.assignment[choice.assignment["site"].isin(set(new["site_code"]))]
        rank = dict(zip(new["site_code"], new["rank"], strict=True))
        a = a.assign(_rank=a["site"].map(rank)).sort_values(["_rank", "minutes", "kode"],
                                                              kind="stable")
        kind = net.site_kind
        site_pos = {r: i for i, r in enumerate(net.points[kind].refs)}
        vil_pos = {r: i for i, r in enumerate(net.points["village"].refs)}
        origins = net.origin("village")
        csr = travel.to_csr(net)
        ways: dict[tuple[str, str], str] = {}
        for code, group in a.groupby("site", sort=False):
            stop = net.destination(kind)[site_pos[code]]
            targets = origins[[vil_pos[k] for k in group["kode"]]]
            res = travel.nearest_source(csr, np.array([stop]), targets, reverse=True)
            texts = travel.legs_texts(net, travel.paths_to(res, targets))
            ways.update({(str(code), str(k)): t or "on the spot"
                         for k, t in zip(group["kode"], texts, strict=True)})
        v = self.villages.set_index("kode")
        levels = [lv.level for lv in self.scenario.admin if lv.level in v.columns]
        out = pd.DataFrame({"site_code": a["site"].to_numpy(object),
                            "kode": a["kode"].to_numpy(object)})
        for col in ["nama", *levels]:
            out[col] = v.loc[out["kode"], col].to_numpy(object)
        for ind in self.scenario.indicators:
            out[ind.key] = (v.loc[out["kode"], ind.gap_col].astype("Float64").fillna(0)
                            .to_numpy(float).round().astype(np.int64))
        out["minutes"] = a["minutes"].to_numpy(float)
        out["way"] = [ways[(str(c), str(k))] for c, k in zip(out["site_code"], out["kode"],
                                                             strict=True)]
        return out

    def site_frames(self) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The attached site choice as frames (metric CRS).

        Returns
        -------
        new : DataFrame
            The new sites (``rank`` > 0) with their coordinates ``x``, ``y``.
        links : GeoDataFrame
            A line from each site to each village credited to it.
        routes : GeoDataFrame
            The route from the nearest office to each site.

        Raises
        ------
        ValueError
            When the result has no site choice.
        """
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
        kind = net.site_kind
        index = {r: i for i, r in enumerate(net.points[kind].refs)}
        targets = net.site_destinations(new["site_code"].tolist())
        if kind == "village":  # the villages' routes are already known
            if "fastest" not in self.paths:
                self.paths["fastest"] = travel.all_paths(net, "fastest")
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
        """Why a village ranks where it does, and how it is reached.

        Parameters
        ----------
        kode : str
            The village code (dots optional: ``65.02.05.2001`` or ``6502052001``).

        Returns
        -------
        str
            Plain text: rank and score with their parts, each indicator's gap, the nearest
            service point, minutes, reach band and modes (or why it is unreachable), and the
            blank-spot share.

        Raises
        ------
        InputError
            When no village has that code.
        """
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

    def route(self, kode: str, *, cheapest: bool = False
              ) -> tuple[pd.DataFrame, shapely.LineString | None]:
        """The fastest (or cheapest) route from the nearest service point to a village.

        Parameters
        ----------
        kode : str
            The village code (dots optional).
        cheapest : bool, default False
            The route of least rupiah instead of the fastest.

        Returns
        -------
        legs : DataFrame
            ``mode, from, to, minutes, length_m, cost, name`` per leg (minutes, metres, rupiah).
        line : shapely.LineString or None
            The route in WGS84 (straight between network nodes), None if unreachable.

        Raises
        ------
        InputError
            When no village has that code.
        """
        i = self.village_index(kode)
        net = self.network
        kind: Literal["fastest", "cheapest"] = "cheapest" if cheapest else "fastest"
        if kind not in self.paths:
            self.paths[kind] = travel.all_paths(net, kind)
        edges = self.paths[kind][i]
        line = travel.route_line(net, edges)
        if line is not None:
            line = gpd.GeoSeries([line], crs=net.crs).to_crs(WGS84).iloc[0]
        return travel.legs(net, edges).drop(columns="_edges"), line

    def choose_sites(self, *, k: int | None = None, target: float | None = None,
                     model: SiteModel | None = None,
                     **spec_changes: Any) -> SiteChoice:
        """Choose the next mobile-service sites; the result itself is not changed.

        Pass the choice on: ``plan.write(out, sites=c)``, ``plan.map(sites=c)``.

        Parameters
        ----------
        k : int, optional
            The ``k`` new sites covering the most people (max coverage).
        target : float, optional
            A share (e.g. 0.994): the fewest sites reaching it (target mode).
        model : str, optional
            One of the site models (``target``, ``max_coverage``, ``p_median``, ``p_center``,
            ``set_cover``); default: as ``k``/``target`` say, else the scenario's ``[sites]``.
        **spec_changes
            Other ``[sites]`` settings for this choice (``kits=2``, ``cover_minutes=90``...).

        Returns
        -------
        SiteChoice
            The sites, what each buys, the coverage per area and the solver's proof.

        Raises
        ------
        InputError
            For a setting the scenario could not hold.
        InfeasibleError
            When the target cannot be reached (both figures given).
        """
        spec = replace(self.scenario.sites, **spec_changes)
        return choose_sites(self, spec, k=k, target=target, model=model)

    def with_sites(self, sites: SiteChoice | None = None,
                   problem: str = "") -> Self:
        """A new result with a site choice (or the reason there is none) attached.

        For :meth:`planner.Plan.write`, :meth:`planner.Plan.map` and the reports; this result is
        not changed.

        Parameters
        ----------
        sites : SiteChoice, optional
            A :meth:`choose_sites` result.
        problem : str, optional
            Why there is no site choice (said in the summary).

        Returns
        -------
        Result
            A result of the same class with the choice attached.
        """
        return replace(self, site_choice=sites, site_problem=problem)

    def _trip_spec(self, teams: int | None, days: int | None, budget: float | None,
                   start: str | None, spec_changes: dict[str, Any]) -> TripSpec:
        """``[trips]`` with the given changes; a start date is required."""
        changes: dict[str, Any] = {k: v for k, v in (("teams", teams), ("max_days", days),
                                     ("total_budget", budget), ("start", start)) if v is not None}
        spec = replace(self.scenario.trips, **changes, **spec_changes)
        if not spec.start:
            raise InputError([Problem(str(self.scenario.source), "trips need a start date: "
                                      "set [trips] start = \"YYYY-MM-DD\" or give --start",
                                      where="[trips]", column="start")])
        modes = {str(m) for m in self.network.mode} - {"", "transfer", "stop", "access"}
        unknown = sorted(set(spec.after_dark) - modes - set(TripSpec().after_dark))
        if unknown:
            raise InputError([Problem(str(self.scenario.source), f"unknown mode(s) "
                                      f"{', '.join(map(repr, unknown))}; the network's modes "
                                      f"are {', '.join(sorted(modes))}", where="[trips]",
                                      column="after_dark")])
        return spec

    def plan_trips(self, *, sites: SiteChoice | None = None,
                   teams: int | None = None, days: int | None = None,
                   budget: float | None = None, start: str | None = None,
                   exact_limit: int = 7, time_limit: float = 300.0,
                   **spec_changes: Any) -> TripPlan:
        """Multi-day trips serving the new stops of a site choice (see :mod:`planner.decide.trips`).

        Parameters
        ----------
        sites : SiteChoice, optional
            The stops (its new sites, with the people each newly covers); default: the plan's
            site choice, else the scenario's ``[sites]`` model.
        teams : int, optional
            Teams per office, instead of ``[trips] teams``.
        days : int, optional
            The longest trip in days, instead of ``[trips] max_days``.
        budget : float, optional
            The total budget (rupiah), instead of ``[trips] total_budget``.
        start : str, optional
            The start date ``YYYY-MM-DD``, instead of ``[trips] start``.
        exact_limit : int, default 7
            Up to this many stops the trips are searched exhaustively.
        time_limit : float, default 300
            Seconds the improvement moves may run on larger plans (a safety net).
        **spec_changes
            Other ``[trips]`` settings (``night_rupiah=...``).

        Returns
        -------
        TripPlan
            The trips, every activity, what no trip reaches and the bound.

        Raises
        ------
        InputError
            Without a start date, or for a setting the scenario could not hold.
        """
        spec = self._trip_spec(teams, days, budget, start, spec_changes)
        choice = sites or self.site_choice or self.choose_sites()
        with steps.step("plan trips", self.timings):
            return plan_trips(self.network, trip_stops(self, choice), spec,
                                    exact_limit=exact_limit, time_limit=time_limit)

    def decide(self, *, target: float | None = None, joint: bool = True,
               teams: int | None = None, days: int | None = None,
               budget: float | None = None, start: str | None = None,
               time_limit: float = 300.0, stops: Collection[str] | None = None,
               **spec_changes: Any) -> Decision:
        """Stops and trips chosen together against every target (see
        :mod:`planner.decide.decision`).

        Parameters
        ----------
        target : float, optional
            The study-area share of the site indicator, instead of the scenario's.
        joint : bool, default True
            Try other stop sets at real trip cost; False: the site choice, then its trips
            (stops no trip serves are still replaced when others can meet the targets).
        teams : int, optional
            Teams per office, instead of ``[trips] teams``.
        days : int, optional
            The longest trip in days, instead of ``[trips] max_days``.
        budget : float, optional
            The trips' total budget (rupiah), instead of ``[trips] total_budget``.
        start : str, optional
            The start date ``YYYY-MM-DD``, instead of ``[trips] start``.
        time_limit : float, default 300
            Seconds each trip search may use (a safety net).
        stops : collection of str, optional
            Serve these stops as given (codes; e.g. the map's downloaded ``stops.csv``,
            :func:`planner.inputs.io.read_stops`): no search, their trips and what they buy.
        **spec_changes
            Other ``[trips]`` settings (``night_rupiah=...``).

        Returns
        -------
        Decision
            The stops, the trips, each target's status (``decision.headline()``) and every
            stop set tried; ``plan.with_decision(d)`` attaches it for the pages.

        Raises
        ------
        InputError
            Without a start date, or for a setting the scenario could not hold.
        InfeasibleError
            When no stop set meets the targets even before trips.
        """
        spec = self._trip_spec(teams, days, budget, start, spec_changes)
        with steps.step("decide stops and trips", self.timings):
            return decide(self, spec=spec, target=target, joint=joint,
                          time_limit=time_limit, stops=stops)

    def with_decision(self, decision: Decision) -> Self:
        """A new result with a decision attached: its stops as the site choice, its trips,
        and the decision itself (``decision.json``, the summary's headline).

        Parameters
        ----------
        decision : Decision
            A :meth:`decide` result.

        Returns
        -------
        Result
            A result of the same class; this one is not changed.
        """
        return replace(self, site_choice=decision.choice, trip_plan=decision.trips,
                       decision=decision)

    def with_trips(self, trips: TripPlan | None) -> Self:
        """A new result with trips attached; this result is not changed.

        Parameters
        ----------
        trips : TripPlan or None
            A :meth:`plan_trips` result (None: no trips).

        Returns
        -------
        Result
            A result of the same class with the trips attached (map layer, summary, files).
        """
        return replace(self, trip_plan=trips)

    def travel_table(self, *, cutoff: float = np.inf, reverse: bool = True) -> pd.DataFrame:
        """Village × service-point travel times within ``cutoff`` minutes, as a long table.

        Parameters
        ----------
        cutoff : float, default inf
            Pairs beyond this many minutes are left out.
        reverse : bool, default True
            From the village to the site (as residents travel to a stop); False: from the site
            to the village.

        Returns
        -------
        DataFrame
            ``kode, site, minutes``.
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

    def terrain_catchments(self, sites: SiteChoice | None = None
                           ) -> tuple[Grid, gpd.GeoDataFrame] | None:
        """With ``[terrain]``: where the residents of every cell go, over lines and land,
        to reach a service soonest: the offices and, with a site choice, its new stops
        (:func:`planner.network.terrain.catchments`).

        Parameters
        ----------
        sites : SiteChoice, optional
            A :meth:`choose_sites` result (default: the plan's own, if any).

        Returns
        -------
        minutes : Grid
            Minutes from each cell to its nearest office or stop (the residents' way).
        areas : GeoDataFrame
            Per office or stop: ``code``, ``name``, ``kind`` (office or new stop),
            ``cells``, ``area_km2``, ``median_minutes``; its catchment (metric CRS).
        None
            Without ``[terrain]``.
        """
        net = self.network
        if net.cells is None:
            return None
        choice = sites if sites is not None else self.site_choice
        svc = net.points["service"]
        codes, names = [str(r) for r in svc.refs], [str(n) for n in svc.labels]
        nodes = [np.asarray(net.destination("service"), np.int64)]
        n_offices = len(codes)
        if choice is not None:
            new = choice.sites[choice.sites["rank"] > 0]
            nodes.append(net.site_destinations(new["site_code"].tolist()))
            codes += [str(c) for c in new["site_code"]]
            names += [str(n) for n in new["site_name"]]
        key = ("catchments", hash(tuple(codes)))
        if key not in self._derived:
            grid, areas = terrain.catchments(net, np.concatenate(nodes), codes, names)
            pos = {c: i for i, c in enumerate(codes)}
            areas.insert(2, "kind", ["office" if pos[c] < n_offices else "new stop"
                                     for c in areas["code"]])
            self._derived[key] = (grid, areas)
        grid, areas = self._derived[key]
        return grid, areas.copy()

    def reach_band_areas(self) -> gpd.GeoDataFrame:
        """Villages dissolved by reach band.

        Returns
        -------
        GeoDataFrame
            One (multi)polygon per reach band (``reach_band``, ``villages``: how many), in band
            order, metric CRS.
        """
        key = ("reach", id(self.villages))  # a view with other villages computes its own
        if key not in self._derived:
            v = self.villages[["reach_band", "geometry"]]
            out = v.dissolve(by="reach_band", as_index=False)
            order = {b: i for i, b in enumerate(REACH_BANDS)}
            out["villages"] = out["reach_band"].map(v["reach_band"].value_counts())
            self._derived[key] = out.sort_values(
                "reach_band", key=lambda s: s.map(order)).reset_index(drop=True)
        return self._derived[key].copy()

    def routes(self) -> pd.DataFrame:
        """Every village's fastest route, leg by leg.

        Returns
        -------
        DataFrame
            ``kode, leg`` then the columns of :meth:`route`; one row per leg (unreachable
            villages and villages at an office have none).
        """
        net = self.network
        if "fastest" not in self.paths:
            self.paths["fastest"] = travel.all_paths(net, "fastest")
        frames = []
        for kode, edges in zip(net.points["village"].refs, self.paths["fastest"], strict=True):
            lg = travel.legs(net, edges).drop(columns="_edges")
            lg.insert(0, "leg", np.arange(1, len(lg) + 1))
            lg.insert(0, "kode", kode)
            frames.append(lg)
        return pd.concat(frames, ignore_index=True)

    def village_index(self, kode: str) -> int:
        """A village's position in the network's village arrays (input order).

        Parameters
        ----------
        kode : str
            The village code (dots optional).

        Returns
        -------
        int
            The position.

        Raises
        ------
        InputError
            When no village has that code.
        """
        key = validate.normalise_code(kode)
        refs = [validate.normalise_code(r) for r in self.network.points["village"].refs]
        if key not in refs:
            raise InputError([Problem("route", f"no village with code {kode!r}")])
        return refs.index(key)



def output_table(plan: Result) -> pd.DataFrame:
    """The ranked village table (no geometry), with the documented columns first.

    Parameters
    ----------
    plan : Result
        The run's result.

    Returns
    -------
    DataFrame
        The columns of ``villages.csv`` (README, "villages.csv"); minutes of unreachable
        villages are NaN.
    """
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
             *[c for c in ("travel_cost", "cheapest_cost", "cheapest_minutes",
                           "terrain_walk_minutes", "network_minutes", "reached_over_terrain")
               if c in v],
             "unreachable_reason",
             "has_estimate", "weighted_gap", "gap_part", "remoteness_part", "blank_part",
             "score_gap", "score_remoteness", "score_blank_spot", "priority_why"]
    out = pd.DataFrame(v[cols])
    for c in ("travel_minutes", "network_minutes"):
        if c in out:
            out[c] = out[c].replace([np.inf], np.nan)
    return out


