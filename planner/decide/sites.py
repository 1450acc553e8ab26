"""Choose the next mobile-service sites for a plan and say what each buys.

Candidates are the villages' representative points; existing offices are always open. The
demand is the gap of one indicator (people). The travel-time table runs from each village to
each site (residents travel to the stop) and is cut at the cover time. Models and solvers are
in :mod:`planner.decide.optimise`; this module builds the problem from a plan and writes the answer
as tables: ``sites.csv`` (one row per site), ``coverage.csv`` (coverage now and after, per
indicator and kabupaten) and ``site_villages.csv`` (which site serves which village).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import steps
from ..config import SITE_MODELS, Indicator, SiteModel, SitesSpec, TargetSpec, in_range
from ..errors import InfeasibleError, InputError, Problem, ProblemCollector
from ..network import travel
from . import optimise

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Scenario
    from ..network.graph import Network


class StudyArea(Protocol):
    """What site choice reads from a run's result (:class:`planner.result.Result` has it):
    the scenario, the ranked villages (metric CRS), the network with the villages, offices
    and candidates joined, and the signal layer."""

    @property
    def scenario(self) -> Scenario:
        """The scenario (settings, indicators, ``[sites]``)."""
        ...

    @property
    def villages(self) -> gpd.GeoDataFrame:
        """The ranked villages, metric CRS."""
        ...

    @property
    def network(self) -> Network:
        """The network with villages, offices and candidates joined."""
        ...

    @property
    def signal(self) -> gpd.GeoDataFrame | None:
        """The signal layer (blank spots or coverage), or None."""
        ...


@dataclass
class SiteChoice:
    """The chosen sites and what they buy.

    Attributes
    ----------
    sites : DataFrame
        One row per open site: existing offices (``rank`` 0) then the new stops, most
        people first (``rank`` 1, 2, ...); people as credited in the coverage model.
    coverage : DataFrame
        Per indicator and area (province, then kabupaten): eligible, served, coverage now,
        people the new sites reach, coverage after, target.
    assignment : DataFrame
        Each covered village, the open site serving it (the nearest) and the minutes.
    solution : optimise.Solution
    needed : float or None
        People needed to reach the target (target mode).
    spec : SitesSpec
        The settings used (cover time, kits, budget...).
    dropped : list of str
        Sites the solver opened that reach nobody new (left out of ``sites``).
    model, k, target
        What was asked: the model, the number of new sites, the target share.
    problem : CoverageProblem
        The village × site table (cut at the cover time) the answer is described on.
    targets : DataFrame
        Every target (:func:`area_targets`) and what the choice buys against it:
        ``indicator, level, area, share, eligible, served, needed, reached, coverage_after,
        short, met`` (people; ``reached`` in the coverage model, offices included when they
        count).
    """

    sites: pd.DataFrame
    coverage: pd.DataFrame
    assignment: pd.DataFrame
    solution: optimise.Solution
    needed: float | None
    spec: SitesSpec
    dropped: list[str] = field(default_factory=list)
    model: str = ""
    k: int | None = None
    target: float | None = None
    problem: optimise.CoverageProblem | None = None
    targets: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return (f"SiteChoice(model={self.model!r}, new_sites="
                f"{int((self.sites['rank'] > 0).sum())}, status={self.solution.status!r}, "
                f"gap={self.solution.gap:.4f})")

    def summary(self) -> str:
        """One paragraph for managers.

        Returns
        -------
        str
            How many new stops, the people they reach, the coverage after and the proof.
        """
        new = self.sites[self.sites["rank"] > 0]
        s = self.solution
        reach = float(self.sites["people_newly_covered"].sum())
        text = (f"{len(new)} new site(s) reach {new['people_newly_covered'].sum():,.0f} more "
                f"people (with the existing offices: {reach:,.0f}) within "
                f"{self.spec.cover_minutes:g} min")
        if self.needed is not None:
            text += f"; the target needs {self.needed:,.0f}"
        if self.model == "p_center":
            text += (f"; the longest trip from a village to its nearest site is "
                     f"{s.objective:,.0f} min")
        elif self.model == "p_median":
            text += f"; total people × minutes to the nearest site {s.objective:,.0f}"
        kits = int(new["satellite_kit_needed"].sum())
        text += (f"; {kits} satellite kit(s) needed; solver {s.solver} ({s.status}), proven gap "
                 f"{100 * s.gap:.2f}%")
        return text


def _in_network_order(plan: StudyArea) -> pd.DataFrame:
    """The villages (indexed by code) in the order of the network's village points, the
    rows of every coverage problem."""
    return plan.villages.set_index("kode").loc[plan.network.points["village"].refs]


def _gaps(scenario: Scenario, v: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each indicator's gap per village of ``v`` (people; 0 without an estimate)."""
    return {i.key: v[i.gap_col].astype("Float64").fillna(0).to_numpy(float)
            for i in scenario.indicators}


def needed_people(plan: StudyArea, spec: SitesSpec,
                  target: float | None = None) -> tuple[float, float]:
    """(target share, people needed): ``ceil(share × eligible) − served``, at least 0.

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    spec : SitesSpec
        The settings (indicator, target).
    target : float, optional
        The share instead of the settings'.

    Returns
    -------
    share : float
        The target share.
    needed : float
        People needed.
    """
    ind = _indicator(plan, spec)
    share = target if target is not None else (spec.target or ind.target)
    if share is None:
        raise InputError([Problem("scenario", f"no target for indicator '{ind.key}': set "
                                  "[sites] target or the indicator's target", column="target")])
    v = plan.villages
    return share, people_needed(share, int(v[ind.eligible_col].sum()),
                                int(v[ind.served_col].sum()))


@dataclass(frozen=True)
class AreaTarget:
    """One target for one area: the indicator, the area (``level`` ``""`` and ``area``
    ``"all"`` for the study area), the share, eligible and served people now, the people
    needed (``ceil(share × eligible) − served``, at least 0) and which villages are in the
    area (a mask in the network's village order)."""

    indicator: str
    label: str
    level: str
    area: str
    share: float
    eligible: float
    served: float
    needed: float
    mask: np.ndarray

    @property
    def name(self) -> str:
        """How messages name it: ``e-KTP recording 99.4% in Kabupaten Malinau``."""
        where = "the study area" if not self.level else self.area
        return f"{self.label} {100 * self.share:g}% in {where}"


def people_needed(share: float, eligible: float, served: float) -> float:
    """People still to serve for ``share`` of ``eligible``: ``ceil(share × eligible) −
    served``, at least 0 (the share × eligible product rounded to 6 decimals first, so
    99.4% of 1,000 is 994, not 995).

    Parameters
    ----------
    share : float
        The target share (0..1).
    eligible : float
        People who should hold it.
    served : float
        People who do.

    Returns
    -------
    float
        People needed.
    """
    return float(max(0, math.ceil(round(share * eligible, 6)) - int(served)))


def area_targets(plan: StudyArea, spec: SitesSpec | None = None,
                 target: float | None = None) -> list[AreaTarget]:
    """Every target of the scenario, one per area it applies to.

    The scenario's targets (each indicator's ``target`` and the ``[[targets]]`` tables);
    ``target`` (or ``[sites] target``) replaces the study-area target of the site choice's
    indicator. A ``[[targets]]`` table with a level gives one target per unit of that level
    (or per unit named in its ``areas``: a name or a code, dots optional).

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    spec : SitesSpec, optional
        The site-choice settings (default: the scenario's).
    target : float, optional
        The study-area share for the site indicator, instead of the settings'.

    Returns
    -------
    list of AreaTarget
        In the scenario's order; within a level, areas by name.

    Raises
    ------
    InputError
        When an area named in ``areas`` is not in the study area.
    """
    s = plan.scenario
    spec = spec or s.sites
    v = _in_network_order(plan)
    specs = list(s.all_targets)
    share = target if target is not None else spec.target
    if share is not None:
        specs = [t for t in specs if t.level or t.indicator != spec.indicator]
        specs.insert(0, TargetSpec(spec.indicator, share))
    labels = {i.key: i for i in s.indicators}
    digits = {a.level: a.prefix_digits for a in s.admin}
    codes = pd.Series(v.index, dtype=object).astype(str).str.replace(".", "", regex=False)
    out = []
    problems = ProblemCollector()
    for t in specs:
        ind = labels[t.indicator]
        e = v[ind.eligible_col].astype("Float64").fillna(0).to_numpy(float)
        srv = v[ind.served_col].astype("Float64").fillna(0).to_numpy(float)
        units: list[tuple[str, np.ndarray]] = [("all", np.ones(len(v), bool))]
        if t.level:
            names = v[t.level].astype(str).to_numpy() if t.level in v.columns else \
                np.full(len(v), "")
            prefix = codes.str[: digits.get(t.level, 0)].to_numpy()
            units = [(str(a), names == a) for a in sorted(set(names) - {""})]
            if t.areas:
                wanted = []
                for a in t.areas:
                    key = a.replace(".", "")
                    hit = [(u, m) for u, m in units if u.casefold() == a.casefold()
                           or (key and bool((prefix[m] == key).any()))]
                    if not hit:
                        problems.add(str(s.source), f"no {t.level} named or coded {a!r} in "
                                     "the study area",
                                     where=f"[targets #{s.targets.index(t) + 1}]",
                                     column="areas")
                    wanted += [h for h in hit if h not in wanted]
                units = wanted
        for area, m in units:
            E, S = float(e[m].sum()), float(srv[m].sum())
            out.append(AreaTarget(t.indicator, ind.label, t.level, area, t.share, E, S,
                                  people_needed(t.share, E, S), m))
    problems.raise_if_any()
    return out


def target_status(plan: StudyArea, targets: list[AreaTarget],
                  assignment: pd.DataFrame, spec: SitesSpec) -> pd.DataFrame:
    """What a choice buys against each target, in the one coverage model.

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    targets : list of AreaTarget
        The targets (:func:`area_targets`).
    assignment : DataFrame
        The choice's ``kode, site`` rows (each covered village and its site).
    spec : SitesSpec
        The settings (whether the offices count).

    Returns
    -------
    DataFrame
        ``indicator, label, level, area, share, eligible, served, needed, reached,
        coverage_after, short, met``.
    """
    net = plan.network
    refs = net.points["village"].refs
    v = _in_network_order(plan)
    offices = {str(r) for r in net.points["service"].refs}
    site = pd.Series(pd.Index(refs).map(assignment.set_index("kode")["site"]), dtype=object)
    counted = site.notna() & (spec.offices_count | ~site.astype(str).isin(offices))
    counted_arr = counted.to_numpy(bool)
    gaps = _gaps(plan.scenario, v)
    rows = []
    for t in targets:
        reached = float(gaps[t.indicator][t.mask & counted_arr].sum())
        short = max(0.0, t.needed - reached)
        rows.append({"indicator": t.indicator, "label": t.label,
                     "level": t.level or "study area",
                     "area": t.area, "share": t.share, "eligible": round(t.eligible),
                     "served": round(t.served), "needed": round(t.needed),
                     "reached": round(reached),
                     "coverage_after": (round((t.served + reached) / t.eligible, 6)
                                        if t.eligible else np.nan),
                     "short": round(short), "met": bool(short <= 1e-9)})
    return pd.DataFrame(rows, columns=["indicator", "label", "level", "area", "share",
                                       "eligible",
                                       "served", "needed", "reached", "coverage_after",
                                       "short", "met"])


def needs_of(plan: StudyArea, targets: list[AreaTarget]) -> list[optimise.Need]:
    """The targets as the solver's needs (each indicator's gap inside its area).

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    targets : list of AreaTarget
        The targets.

    Returns
    -------
    list of Need
        One per target, in order.
    """
    gaps = _gaps(plan.scenario, _in_network_order(plan))
    return [optimise.Need(t.name, gaps[t.indicator] * t.mask, t.needed) for t in targets]


def _indicator(plan: StudyArea, spec: SitesSpec) -> Indicator:
    for ind in plan.scenario.indicators:
        if ind.key == spec.indicator:
            return ind
    raise InputError([Problem("scenario", f"unknown indicator {spec.indicator!r}",
                              column="indicator")])


def _site_kind(plan: StudyArea) -> str:
    """``candidate`` when the scenario names a candidate file, else ``village``."""
    return plan.network.site_kind


def site_info(plan: StudyArea) -> pd.DataFrame:
    """Every possible site (offices first, then candidates) with its name, area, metric
    coordinates, travel time and one-way cost from the nearest office, and signal.

    Parameters
    ----------
    plan : StudyArea
        A run's result.

    Returns
    -------
    DataFrame
        One row per possible site.
    """
    net = plan.network
    kind = _site_kind(plan)
    offices = net.points["service"]
    cands = net.points[kind]
    if kind == "village":
        v = plan.villages.set_index("kode").loc[cands.refs]
        minutes = v["travel_minutes"].to_numpy(float)
        office = v["nearest_service"].to_numpy(object)
        cost = v.get("travel_cost", pd.Series(0.0, index=v.index)).fillna(0).to_numpy(float)
        names = v["nama"].to_numpy(object)
        kec = v.get("kecamatan", pd.Series("", index=v.index)).to_numpy(object)
        kab = v.get("kabupaten", pd.Series("", index=v.index)).to_numpy(object)
    else:
        csr = travel.to_csr(net)
        res = travel.nearest_source(csr, net.origin("service"), net.destination(kind))
        minutes = res.value
        office = np.where(res.source >= 0, np.array(offices.refs, dtype=object)[
            np.maximum(res.source, 0)], "")
        cost = np.array([np.nansum(net.cost[e])
                         for e in travel.paths_to(res, net.destination(kind))])
        names = np.array(cands.labels, dtype=object)
        kec = kab = np.full(len(cands.refs), "", dtype=object)
    n_off = len(offices.refs)
    return pd.DataFrame({
        "code": np.r_[np.array(offices.refs, dtype=object), np.array(cands.refs, dtype=object)],
        "name": np.r_[np.array(offices.labels, dtype=object), names],
        "kecamatan": np.r_[np.full(n_off, "", dtype=object), kec],
        "kabupaten": np.r_[np.full(n_off, "", dtype=object), kab],
        "x": np.r_[offices.xy[:, 0], cands.xy[:, 0]], "y": np.r_[offices.xy[:, 1], cands.xy[:, 1]],
        "minutes_from_office": np.r_[np.zeros(n_off), minutes],
        "office": np.r_[np.array(offices.refs, dtype=object), office],
        "one_way_cost": np.r_[np.zeros(n_off), cost],
        "existing": np.r_[np.ones(n_off, bool), np.zeros(len(cands.refs), bool)],
        "needs_kit": np.r_[np.zeros(n_off, bool), _in_blank_spot(plan, cands.xy)],
    })


def build_problem(plan: StudyArea, spec: SitesSpec,
                  info: pd.DataFrame | None = None) -> optimise.CoverageProblem:
    """The coverage problem of a plan: demand villages (input order) × (offices, then the
    candidates: a candidate file's points, or every village).

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    spec : SitesSpec
        The settings (indicator, cover time, kits, costs, capacity).
    info : DataFrame, optional
        :func:`site_info` when already made.

    Returns
    -------
    CoverageProblem
        Demand villages × sites, cut at the cover time.
    """
    net = plan.network
    ind = _indicator(plan, spec)
    v = _in_network_order(plan)
    demand = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
    info = site_info(plan) if info is None else info
    kind = _site_kind(plan)
    sites = np.r_[net.destination("service"), net.destination(kind)]
    t = travel.travel_table(net, sites, net.origin("village"), cutoff=spec.cover_minutes,
                            reverse=True)
    # a candidate the team cannot reach from any office cannot host a stop
    unreachable = ~np.isfinite(info["minutes_from_office"].to_numpy(float))
    t = t[~unreachable[t["site"].to_numpy()]]
    existing = info["existing"].to_numpy(bool)
    if not spec.offices_count:  # only stops count: the offices cover nobody in the model
        t = t[~existing[t["site"].to_numpy()]]
    capacity = None
    if spec.people_per_day and spec.days:
        capacity = np.where(info["existing"], np.inf, spec.people_per_day * spec.days)
    return optimise.CoverageProblem.from_table(
        t, demand, info["code"].to_numpy(object), spec.cover_minutes,
        info["existing"].to_numpy(bool), info["needs_kit"].to_numpy(bool),
        2 * info["one_way_cost"].to_numpy(float), capacity)


def _in_blank_spot(plan: StudyArea, xy: np.ndarray) -> np.ndarray:
    """Whether each point (metric CRS) lies in a blank spot."""
    sig = plan.signal
    coverage = plan.scenario.signal_kind == "coverage"
    if sig is None or len(sig) == 0:
        return np.full(len(xy), coverage and sig is not None)
    inside = np.zeros(len(xy), bool)
    inside[shapely.STRtree(sig.geometry.values).query(shapely.points(xy),
                                                       predicate="within")[0]] = True
    return ~inside if coverage else inside


P_CENTER_CUTOFF = 10080.0
"""Travel-time table cut-off for p-center (minutes, a week): longer trips are not stops."""


def _check_arguments(spec: SitesSpec, k: object, target: object, model: object) -> None:
    """Every argument of a site choice finite and in its range (all problems at once)."""
    pc = ProblemCollector()
    where = "choose_sites"
    if k is not None and (not isinstance(k, int | np.integer) or isinstance(k, bool)):
        pc.add(where, f"expected a whole number of sites, found {k!r}", column="k")
    elif k is not None:
        in_range(pc, where, "", "k", int(k))
    if target is not None:
        in_range(pc, where, "", "target", target)
    if model not in (None, "", *SITE_MODELS):
        pc.add(where, f"expected one of {', '.join(SITE_MODELS)}, found {model!r}",
               column="model")
    for key in ("cover_minutes", "k", "target", "kits", "budget", "people_per_day", "days",
                "time_limit"):
        v = getattr(spec, key)
        if v is not None:
            in_range(pc, where, "", key, v)
    if spec.minimise not in ("sites", "cost"):
        pc.add(where, f"expected 'sites' or 'cost', found {spec.minimise!r}", column="minimise")
    pc.raise_if_any()


def choose_sites(plan: StudyArea, spec: SitesSpec | None = None, *, k: int | None = None,
                 target: float | None = None, model: SiteModel | None = None,
                 exclude: Collection[str] = (),
                 site_cost: Mapping[str, float] | None = None,
                 as_near_as_possible: bool = False) -> SiteChoice:
    """Choose sites for a plan.

    ``k`` given -> max coverage; ``target`` given -> target mode; neither -> the scenario's
    ``[sites]`` model. ``model="p_median"`` with ``k``: the ``k`` sites minimising
    demand-weighted travel time to the nearest open site (pairs beyond the cover time count
    as unserved, at twice the longest time in the table).

    Parameters
    ----------
    plan : StudyArea
        A run's result (villages, network with candidates joined, scenario, signal).
    spec : SitesSpec, optional
        The settings (default: the scenario's ``[sites]``).
    k : int, optional
        Number of new sites (max coverage, p-median, p-center).
    target : float, optional
        Share of eligible people to reach (target mode).
    model : str, optional
        One of :data:`planner.config.SITE_MODELS`.
    exclude : collection of str, optional
        Candidate codes that may not host a stop (target model).
    site_cost : mapping of str to float, optional
        What opening each candidate costs in the target model's objective (rupiah, e.g. the
        cheapest trip serving it alone), instead of one per stop or the round trip; a
        candidate left out costs its round trip.
    as_near_as_possible : bool, default False
        In the target model, when the allowed candidates cannot meet a target, come as
        near it as they can (each target capped at what they reach) instead of raising
        :class:`InfeasibleError`.

    Returns
    -------
    SiteChoice
        The sites, what each buys, coverage per area, the assignment and the solver's proof.

    Raises
    ------
    InputError
        For contradictory arguments (e.g. ``k`` with the target model).
    InfeasibleError
        When the target cannot be reached (message: reachable X < needed Y).
    """
    spec = spec or plan.scenario.sites
    _check_arguments(spec, k, target, model)
    with steps.step("choose sites"):
        return _choose(plan, spec, k, target, model, exclude, site_cost, as_near_as_possible)


def _choose(plan: StudyArea, spec: SitesSpec, k: int | None, target: float | None,
            model: SiteModel | None, exclude: Collection[str] = (),
            site_cost: Mapping[str, float] | None = None,
            near: bool = False) -> SiteChoice:
    model = model or ("max_coverage" if k is not None else "target" if target is not None
                      else (spec.model or "target"))
    info = site_info(plan)
    p = build_problem(plan, spec, info)
    needed = None
    share = None
    targets = area_targets(plan, spec, target) if model == "target" or \
        plan.scenario.all_targets else []
    if model == "target":
        share, needed = needed_people(plan, spec, target)
        banned = np.isin(p.site_ids, list(exclude))
        needs = needs_of(plan, targets)
        if near:  # each target capped at what the allowed sites reach
            short = optimise.shortfalls(p, needs, np.flatnonzero(~banned))
            needs = [replace(n, people=n.people - sh) for n, sh in zip(needs, short,
                                                                        strict=True)]
        sol = optimise.min_weight_for_needs(
            p, needs, objective_weights(p, spec.minimise, site_cost),
            kits=spec.kits, budget=spec.budget, exclude=banned,
            time_limit=spec.time_limit)
    elif model == "p_center":
        wide = build_problem(plan, replace(spec, cover_minutes=P_CENTER_CUTOFF), info)
        sol = optimise.p_center(wide, k if k is not None else spec.k,
                                time_limit=spec.time_limit)
    elif model == "set_cover":
        sol = optimise.set_cover(p, minimise=spec.minimise, kits=spec.kits, budget=spec.budget,
                                 time_limit=spec.time_limit)
    elif model == "p_median":
        sol = optimise.p_median(p, k if k is not None else spec.k, time_limit=spec.time_limit)
    else:
        sol = optimise.max_coverage(p, k if k is not None else spec.k, kits=spec.kits,
                                    budget=spec.budget, time_limit=spec.time_limit)
    choice = _describe(plan, spec, p, sol, needed, model, info, targets)
    choice.model = model
    choice.target = share
    choice.k = None if model in ("target", "set_cover") else int(k if k is not None
                                                                 else spec.k)
    return choice


def objective_weights(p: optimise.CoverageProblem, minimise: str,
                      site_cost: Mapping[str, float] | None = None) -> np.ndarray:
    """What opening each site costs in a target model: 1 (fewest sites), its round trip
    (``minimise = "cost"``), or the given cost per site code (others: their round trip).

    Parameters
    ----------
    p : CoverageProblem
        The problem (site codes, round-trip costs).
    minimise : str
        ``"sites"`` or ``"cost"``.
    site_cost : mapping of str to float, optional
        A cost per site code (rupiah).

    Returns
    -------
    ndarray (m,)
        The weights.
    """
    if site_cost is not None:
        return np.array([site_cost.get(str(c), float(p.cost[j]))
                         for j, c in enumerate(p.site_ids)], dtype=float)
    return np.ones(p.m) if minimise == "sites" else np.asarray(p.cost, float)


def _assign(p: optimise.CoverageProblem, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each village's site, or -1, and the minutes to it: an existing office when one
    reaches it within the cover time (the nearest: the office serves them already, so a
    stop is credited only with people no office reaches), else the nearest open stop
    (ties: the site opened first)."""
    site = np.full(p.n, -1)
    best = np.full(p.n, np.inf)
    mins = p.minutes.tocsc()
    open_ = np.asarray(open_, int)
    for group in (open_[p.forced[open_]], open_[~p.forced[open_]]):
        free = site < 0
        for j in group:
            rows = mins.indices[mins.indptr[j]:mins.indptr[j + 1]]
            vals = mins.data[mins.indptr[j]:mins.indptr[j + 1]] - 1e-12
            better = (vals < best[rows] - 1e-9) & free[rows]
            site[rows[better]] = j
            best[rows[better]] = vals[better]
    return site, best


def _describe(plan: StudyArea, spec: SitesSpec, p: optimise.CoverageProblem,
              sol: optimise.Solution, needed: float | None, model: str,
              info: pd.DataFrame, targets: list[AreaTarget] | None = None) -> SiteChoice:
    """The answer in the one coverage model (README, "Coverage model"): every covered village
    is credited to one site, the nearest open one within the cover time; a site's people are
    its villages' gap. A proposed stop credited with nobody buys nothing and is left out."""
    net = plan.network
    refs = net.points["village"].refs
    n_off = len(net.points["service"].refs)
    open_ = np.asarray(sol.open)
    site, best = _assign(p, open_)
    people = np.bincount(site[site >= 0], weights=p.demand[site >= 0], minlength=p.m)
    # in the coverage models a stop credited with nobody buys nothing; p-median, p-center
    # and set covering need every site they open (for distance, or to reach every village)
    useless = [j for j in open_ if j >= n_off and people[j] <= 0] \
        if model in ("max_coverage", "target") else []
    if useless:
        open_ = np.array([j for j in open_ if j not in set(useless)], dtype=int)
        site, best = _assign(p, open_)
        people = np.bincount(site[site >= 0], weights=p.demand[site >= 0], minlength=p.m)
    # offices first, then the stops by the people credited to them (most first)
    offices = [j for j in open_ if j < n_off]
    stops = sorted((j for j in open_ if j >= n_off), key=lambda j: (-people[j],
                                                                    str(p.site_ids[j])))
    open_ = np.array([*offices, *stops], dtype=int)
    covered = site >= 0
    assignment = pd.DataFrame({"kode": np.array(refs, dtype=object)[covered],
                               "site": p.site_ids[site[covered]],
                               "minutes": np.round(best[covered], 3)})
    villages = np.bincount(site[covered], minlength=p.m)
    office_names = dict(zip(net.points["service"].refs, net.points["service"].labels,
                            strict=True))
    rows = []
    cum = 0.0
    rank = 0
    for j in open_:
        is_office = j < n_off
        rank = 0 if is_office else rank + 1
        cum += people[j]
        r = info.iloc[j]
        office = r["office"]
        rows.append({
            "rank": rank, "site_code": p.site_ids[j], "site_name": r["name"],
            "kecamatan": r["kecamatan"], "kabupaten": r["kabupaten"],
            "existing_office": is_office,
            "people_newly_covered": round(float(people[j])),
            "cumulative_people": round(cum),
            "cumulative_share_of_target": (round(cum / needed, 4) if needed else np.nan),
            "villages_served": int(villages[j]),
            "travel_minutes_from_office": round(float(r["minutes_from_office"]), 1),
            "nearest_office": office, "nearest_office_name": office_names.get(office, ""),
            "satellite_kit_needed": bool(p.needs_kit[j]),
            "x": float(r["x"]), "y": float(r["y"]),
            "round_trip_cost": round(float(p.cost[j]), 0),
            "model": model, "solver": sol.solver, "status": sol.status,
            "optimality_gap": round(sol.gap, 6),
        })
    sites = pd.DataFrame(rows)
    lonlat = shapely.get_coordinates(gpd.GeoSeries(gpd.points_from_xy(sites["x"], sites["y"]),
                                                   crs=net.crs).to_crs(4326).values)
    sites.insert(5, "lon", np.round(lonlat[:, 0], 6))
    sites.insert(6, "lat", np.round(lonlat[:, 1], 6))
    reachable = np.array(refs, dtype=object)[np.diff(p.cover.tocsr().indptr) > 0]
    coverage = _coverage(plan, assignment, sites, spec, set(reachable))
    coverage["best_next_stop_people"] = _best_next(plan, p, covered, open_, coverage)
    choice = SiteChoice(sites, coverage, assignment, sol, needed, spec, problem=p,
                        targets=target_status(plan, targets or [], assignment, spec))
    choice.dropped = [str(p.site_ids[j]) for j in useless]
    return choice


def with_only(plan: StudyArea, choice: SiteChoice, codes: Collection[str],
              status: str = "", info: pd.DataFrame | None = None) -> SiteChoice:
    """The same choice with only some of its new stops open, described again in the one
    coverage model (villages re-credited, coverage and targets recomputed).

    Parameters
    ----------
    plan : StudyArea
        The run's result the choice was made on.
    choice : SiteChoice
        A site choice.
    codes : collection of str
        The new stops to open (the choice's others are closed; any other candidate named
        is opened; the offices stay open).
    status : str, optional
        The status to record instead of the solver's (e.g. what the trips delivered).
    info : DataFrame, optional
        :func:`site_info` when already made (a search describing many choices).

    Returns
    -------
    SiteChoice
        The reduced choice.
    """
    p = choice.problem if choice.problem is not None else build_problem(plan, choice.spec)
    keep = set(codes)
    known = [j for j in choice.solution.open if p.forced[j] or str(p.site_ids[j]) in keep]
    open_ = np.array(known + [j for j, c in enumerate(p.site_ids)
                              if str(c) in keep and j not in set(known)], dtype=int)
    sol = replace(choice.solution, open=open_, status=status or choice.solution.status)
    targets = area_targets(plan, choice.spec, choice.target) \
        if choice.targets is not None and len(choice.targets) else []
    out = _describe(plan, choice.spec, p, sol, choice.needed, choice.model,
                    site_info(plan) if info is None else info, targets)
    out.model, out.k, out.target = choice.model, choice.k, choice.target
    return out


def _best_next(plan: StudyArea, p: optimise.CoverageProblem, covered: np.ndarray,
               open_: np.ndarray, coverage: pd.DataFrame) -> np.ndarray:
    """Per coverage row: the most people (of that indicator, in that area) that one more
    stop, at any site not open, would add."""
    v = _in_network_order(plan)
    closed = np.ones(p.m, bool)
    closed[open_] = False
    closed &= ~p.forced
    cover_t = p.cover.T.tocsr().astype(float)
    out = []
    for r in coverage.itertuples():
        ind = next(i for i in plan.scenario.indicators if i.key == r.indicator)
        gap = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float) * ~covered
        if r.level != "province":
            gap = gap * (v["kabupaten"] == r.area).to_numpy()
        gains = cover_t @ gap
        out.append(int(gains[closed].max()) if closed.any() else 0)
    return np.array(out)


def _coverage(plan: StudyArea, assignment: pd.DataFrame, sites: pd.DataFrame,
              spec: SitesSpec, reachable: set[str]) -> pd.DataFrame:
    """Coverage now and after, per indicator and area, in the one coverage model: a covered
    village's gap counts as served by its site; villages credited to an existing office
    count when ``spec.offices_count`` (their share is its own column). People left out are
    split into those no possible site reaches within the cover time (``reachable`` lists
    the villages some site reaches) and those a stop could reach but none was chosen."""
    v = plan.villages.set_index("kode")
    office_codes = set(sites.loc[sites["rank"] == 0, "site_code"])
    site_of = assignment.set_index("kode")["site"]
    by = pd.Series(v.index.map(site_of), index=v.index)
    is_office = by.isin(list(office_codes)).to_numpy()
    by_office = is_office & spec.offices_count
    by_stop = by.notna().to_numpy() & ~is_office
    in_reach = v.index.isin(list(reachable))
    areas = [("province", "all", np.ones(len(v), bool))]
    if "kabupaten" in v.columns:
        areas += [("kabupaten", k, (v["kabupaten"] == k).to_numpy())
                  for k in sorted(v["kabupaten"].unique())]
    rows = []
    for ind in plan.scenario.indicators:
        e = v[ind.eligible_col].astype("Float64").fillna(0).to_numpy(float)
        s = v[ind.served_col].astype("Float64").fillna(0).to_numpy(float)
        g = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
        for level, name, m in areas:
            E, S = e[m].sum(), s[m].sum()
            off, G = g[m & by_office].sum(), g[m & by_stop].sum()
            rows.append({"indicator": ind.key, "level": level, "area": name,
                         "eligible": int(E), "served": int(S),
                         "coverage_now": round(S / E, 6) if E else np.nan,
                         "gap": int(g[m].sum()),
                         "covered_by_offices": int(off),
                         "reached_by_new_sites": int(G),
                         "left_out": int(g[m].sum() - off - G),
                         "left_out_out_of_reach": int(g[m & ~in_reach].sum()),
                         "left_out_not_chosen": int(g[m & in_reach & ~by_office
                                                      & ~by_stop].sum()),
                         "coverage_after": round((S + off + G) / E, 6) if E else np.nan,
                         "target": ind.target if ind.target is not None else np.nan})
    return pd.DataFrame(rows)


def _or_none(solve: Callable[..., optimise.Solution], *args: Any,
             **kwargs: Any) -> optimise.Solution | None:
    """A target solve, or None when the target cannot be reached (the curve leaves it out)."""
    try:
        solution: optimise.Solution = solve(*args, **kwargs)
        return solution
    except InfeasibleError:
        return None


def _cheapest_of_the_most(p: optimise.CoverageProblem, k: int, kits: int | None,
                          budget: float | None, time_limit: float) -> optimise.Solution:
    """The most people ``k`` new sites can cover (max coverage), and among the answers
    covering that many, the least round-trip cost (a second solve; kept only when it
    covers as many people)."""
    sol = optimise.max_coverage(p, k, kits=kits, budget=budget, time_limit=time_limit)
    covered = optimise.covered_demand(p, np.asarray(sol.open))
    if k == 0 or covered <= 0:
        return sol
    try:
        cheap = optimise.min_weight_for_needs(
            p, [optimise.Need("the most people", p.demand, covered - 1e-6)],
            np.asarray(p.cost, float), kits=kits, budget=budget, time_limit=time_limit,
            max_sites=k)
    except InfeasibleError:
        return sol
    new = [j for j in sol.open if not p.forced[j]]
    if optimise.covered_demand(p, np.asarray(cheap.open)) + 1e-6 < covered or \
            float(p.cost[[j for j in cheap.open if not p.forced[j]]].sum()) >= \
            float(p.cost[new].sum()):
        return sol
    return replace(sol, open=np.asarray(cheap.open))


def tradeoff(plan: StudyArea, choice: SiteChoice, *, max_stops: int | None = None) -> pd.DataFrame:
    """What more stops buy, for ``k`` = 0 .. ``max_stops`` new stops.

    For each ``k``, the most people ``k`` stops can cover (max coverage, proven or with its
    gap, under the choice's kits and budget; of the answers covering that many, the least
    round-trip cost) and the round-trip cost of those stops; with a target, also the
    fewest-stops and the least-cost answers. People count in the one coverage model
    (offices included when they count). Complete plans priced by their trips (nights
    included) are added by :meth:`planner.decide.decision.Decision.tradeoff_rows`.

    Parameters
    ----------
    plan : StudyArea
        The run's result the choice was made on.
    choice : SiteChoice
        The site choice (its settings and problem are reused).
    max_stops : int, optional
        The largest ``k`` (default: the choice's stops + 6, at least 12, at most 40).

    Returns
    -------
    DataFrame
        ``kind, stops, people_covered, share_of_needed, round_trip_cost, trip_cost,
        status, gap`` (``trip_cost`` empty here).
    """
    spec = choice.spec
    p = choice.problem if choice.problem is not None else build_problem(plan, spec)
    n_new = int((choice.sites["rank"] > 0).sum())
    top = max_stops if max_stops is not None else min(max(n_new + 6, 12), 40)
    free = int((~p.forced).sum())
    rows = []

    def add(kind: str, sol: optimise.Solution) -> None:
        new = [j for j in sol.open if not p.forced[j]]
        people = optimise.covered_demand(p, np.asarray(sol.open))
        rows.append({"kind": kind, "stops": len(new), "people_covered": round(people, 1),
                     "share_of_needed": (round(people / choice.needed, 4)
                                         if choice.needed else np.nan),
                     "round_trip_cost": round(float(p.cost[new].sum()), 0),
                     "trip_cost": np.nan, "status": sol.status, "gap": round(sol.gap, 6)})

    # the solves are independent: they run on a pool of threads (HiGHS releases the GIL; each
    # solve uses one thread and a fixed seed), and are collected in order, so the curve is
    # the same whatever the number of cores
    jobs: list[tuple[str, Any]] = [
        ("max_coverage", partial(_cheapest_of_the_most, p, k, spec.kits, spec.budget,
                                 min(spec.time_limit, 10.0)))
        for k in range(0, min(top, free) + 1)]
    if choice.needed is not None:
        for how, kind in (("sites", "fewest_stops"), ("cost", "least_cost")):
            if choice.model == "target" and spec.minimise == how:
                # the choice itself answers this one: its sites, not a second solve
                index = {c: j for j, c in enumerate(p.site_ids)}
                open_ = np.array([index[c] for c in choice.sites["site_code"]], dtype=int)
                sol = optimise.Solution(open_, np.nan, np.nan, choice.solution.gap,
                                        choice.solution.solver, choice.solution.status, 0.0)
                jobs.append((kind, sol))  # ready: nothing to solve
                continue
            needs = needs_of(plan, area_targets(plan, spec, choice.target))
            jobs.append((kind, partial(_or_none, optimise.min_weight_for_needs, p, needs,
                                       objective_weights(p, how), kits=spec.kits,
                                       budget=spec.budget,
                                       time_limit=min(spec.time_limit, 20.0))))
    # the slowest (target) solves first, so they overlap the many small ones
    order = sorted((i for i, (_, job) in enumerate(jobs) if callable(job)),
                   key=lambda i: jobs[i][0] == "max_coverage")
    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 4))) as pool:
        futures = {i: pool.submit(jobs[i][1]) for i in order}
        for i, (kind, job) in enumerate(jobs):
            sol = futures[i].result() if i in futures else job
            if sol is not None:
                add(kind, sol)
    return pd.DataFrame(rows)


GIVEN = "given stops"
"""The model name of a choice whose stops were given (a file, the map's what-if panel)."""


def stops_choice(plan: StudyArea, codes: Collection[str],
                 spec: SitesSpec | None = None) -> SiteChoice:
    """A site choice with exactly the given stops open (and the offices), described in the
    one coverage model: each village credited to the nearest open site within the cover
    time, offices first; a stop credited with nobody buys nothing and is left out
    (``choice.dropped``).

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    codes : collection of str
        Candidate codes (dots optional, as village codes); a
        :class:`planner.inputs.io.StopList` names its file and rows in messages.
    spec : SitesSpec, optional
        The settings (cover time, indicator, kits...; default the scenario's).

    Returns
    -------
    SiteChoice
        The choice (model ``"given stops"``), its coverage and each target's status.

    Raises
    ------
    InputError
        When a code is not a candidate site (every such code listed).
    """
    from ..inputs.validate import normalise_code

    spec = replace(spec or plan.scenario.sites, model="max_coverage")
    base = _choose(plan, spec, 0, None, "max_coverage")  # the offices alone
    p = base.problem
    assert p is not None
    known = {normalise_code(c): str(c) for c in p.site_ids[~p.forced]}
    offices = {normalise_code(c) for c in p.site_ids[p.forced]}
    pc = ProblemCollector()
    chosen: list[str] = []
    source = str(getattr(codes, "source", "stops"))  # a file's name and rows (io.read_stops)
    rows = getattr(codes, "rows", None)
    for i, c in enumerate(codes):
        key = normalise_code(c)
        if key in known:
            if known[key] not in chosen:
                chosen.append(known[key])
        elif key not in offices:  # an office is open anyway
            pc.add(source, f"{c!r} is not a candidate site of this plan (expected a "
                   "candidate or village code)",
                   where=f"row {rows[i]}" if rows else f"stop {i + 1}", column="code")
    pc.raise_if_any()
    out = with_only(plan, base, chosen, status=GIVEN)
    out.model = GIVEN
    out.sites = out.sites.assign(model=GIVEN)
    targets = area_targets(plan, plan.scenario.sites)
    out.targets = target_status(plan, targets, out.assignment, spec)
    return out


def whatif_tables(plan: StudyArea, choice: SiteChoice,
                  max_pairs: int = 300_000) -> dict[str, Any] | None:
    """What the map's "try other stops" panel needs to price any stop set in the browser by
    the rules of :func:`stops_choice` (offices first, then the stops in the table's order,
    each village credited to the nearest): the site × village table within the cover time, each
    village's gap per indicator and kabupaten, each site's round-trip cost and kit, the
    areas' eligible and served people and every target's villages and needs.

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    choice : SiteChoice
        The plan's site choice (its stops start switched on).
    max_pairs : int, default 300,000
        Larger tables (national plans) are left out of the map: ``None``.

    Returns
    -------
    dict or None
        JSON-ready tables (villages and sites in the coverage problem's order).
    """
    spec = choice.spec
    info = site_info(plan)
    # the problem every stop set is described on (the model does not change it)
    p = choice.problem if choice.problem is not None else build_problem(plan, spec, info)
    mins = p.minutes.tocsc()
    if mins.nnz > max_pairs:
        return None
    mins.sort_indices()
    v = _in_network_order(plan)
    gaps = _gaps(plan.scenario, v)
    kab = v["kabupaten"].astype(str).to_numpy() if "kabupaten" in v.columns else \
        np.full(len(v), "")
    kab_names = sorted(set(kab) - {""})
    kab_index = {k: i for i, k in enumerate(kab_names)}
    areas = [("province", "all", np.ones(len(v), bool))] + [
        ("kabupaten", k, kab == k) for k in kab_names]
    indicators = []
    for ind in plan.scenario.indicators:
        e = v[ind.eligible_col].astype("Float64").fillna(0).to_numpy(float)
        s = v[ind.served_col].astype("Float64").fillna(0).to_numpy(float)
        indicators.append({"key": ind.key, "label": ind.label,
                           "gap": [float(x) for x in gaps[ind.key]],
                           "eligible": [float(e[m].sum()) for _, _, m in areas],
                           "served": [float(s[m].sum()) for _, _, m in areas]})
    lonlat = shapely.get_coordinates(gpd.GeoSeries(
        gpd.points_from_xy(info["x"], info["y"]), crs=plan.network.crs).to_crs(4326).values)
    chosen = [str(c) for c in choice.sites.loc[choice.sites["rank"] > 0, "site_code"]]
    targets = area_targets(plan, plan.scenario.sites)
    return {
        "cover_minutes": float(spec.cover_minutes), "offices_count": bool(spec.offices_count),
        "indicator": _indicator(plan, spec).key, "indicators": indicators,
        "areas": [{"level": lv, "name": name} for lv, name, _ in areas],
        "village_kabupaten": [kab_index.get(k, -1) + 1 for k in kab],  # 0: none
        "sites": {"code": [str(c) for c in p.site_ids],
                  "name": [str(x) for x in info["name"]],
                  "forced": [bool(x) for x in p.forced],
                  "cost": [round(float(x), 0) for x in p.cost],
                  "kit": [bool(x) for x in p.needs_kit],
                  "lon": [round(float(x), 6) for x in lonlat[:, 0]],
                  "lat": [round(float(x), 6) for x in lonlat[:, 1]]},
        "indptr": [int(x) for x in mins.indptr], "rows": [int(x) for x in mins.indices],
        "minutes": [float(x) for x in mins.data],
        "targets": [{"name": t.name, "indicator": t.indicator, "needed": float(t.needed),
                     "villages": (None if not t.level
                                  else [int(i) for i in np.flatnonzero(t.mask)])}
                    for t in targets],
        "chosen": chosen,
    }
