"""One decision: which stops, which trips, what they cost and whether every target is met.

Site choice alone prices a stop by its round trip from the nearest office; the office pays
for trips: legs, days and nights (nights waiting for a weekly flight too). :func:`decide`
chooses the stops and the trips together:

1. Stop sets are proposed by the site choice under every target (per area and indicator):
   the scenario's own choice (choosing sites, then routing: the baseline, always tried),
   the least round-trip cost and the least *lone-trip* cost (each candidate priced by the
   cheapest trip serving it alone, timed exactly, nights included).
2. Each set gets its trips (:func:`planner.decide.trips.plan_trips`). A stop no trip can
   serve is excluded and the site choice asked again, so other stops are tried before the
   plan gives up; the stops finally kept are exactly those the trips serve, described again
   in the one coverage model, so people count only when a trip serves them or an office
   already reaches them.
3. The best plan is kept: every target met first (else the fewest people short), then the
   least objective of the trips (rupiah or team days), then the fewest stops.
4. On small instances (at most :data:`EXHAUSTIVE_CANDIDATES` useful candidates) every stop
   set meeting the targets is routed exactly, and the answer is proven optimal.

The result, :class:`Decision`, is the one source of every figure the pages show
(``decision.json``).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import os
import time
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..config import SitesSpec, TripSpec
from ..errors import InfeasibleError
from . import optimise, sites, trips

if TYPE_CHECKING:  # pragma: no cover
    from .sites import SiteChoice, StudyArea
    from .trips import Stops, TripPlan

EXHAUSTIVE_CANDIDATES = 8
"""Up to this many useful candidates (sites that would newly reach someone), every stop set
meeting the targets is routed with the exact trips: the decision is proven optimal."""

ROUNDS = 4
"""How many times the site choice is asked again after trips leave stops unserved."""

DECIDED = "target+trips"
"""The ``model`` of a decision's stops (``sites.csv``): chosen against the targets together
with the trips that serve them."""


def trip_stops(plan: StudyArea, choice: SiteChoice) -> Stops:
    """The new sites of a choice as trip stops, the service points as offices.

    Parameters
    ----------
    plan : StudyArea
        The run's result (its network holds the sites and offices).
    choice : SiteChoice
        The site choice whose new sites (``rank`` > 0) the trips serve.

    Returns
    -------
    Stops
        Stops (code, name, people, blank spot, network index) and offices.
    """
    net = plan.network
    kind = net.site_kind
    index = {r: i for i, r in enumerate(net.points[kind].refs)}
    new = choice.sites[choice.sites["rank"] > 0]
    stops = pd.DataFrame({"code": new["site_code"].astype(str).to_numpy(),
                          "name": new["site_name"].astype(str).to_numpy(),
                          "people": new["people_newly_covered"].to_numpy(float),
                          "blank": new["satellite_kit_needed"].to_numpy(bool),
                          "index": [index[c] for c in new["site_code"]]})
    return trips.Stops(stops, _offices(plan), kind)


def _offices(plan: StudyArea) -> pd.DataFrame:
    """The service points as the offices teams leave from (code, name, index)."""
    svc = plan.network.points["service"]
    return pd.DataFrame({"code": [str(r) for r in svc.refs],
                         "name": [str(n) for n in svc.labels],
                         "index": np.arange(len(svc.refs))})


@dataclass(frozen=True)
class Decision:
    """Stops and trips chosen together, and what they deliver against every target.

    Attributes
    ----------
    choice : SiteChoice
        The stops the trips serve (every one of them), in the one coverage model; its
        ``targets`` say what is delivered against each target.
    trips : TripPlan
        The trips serving them.
    tried : DataFrame
        Every stop set tried: ``how, round, stops, served, people, objective, cost, days,
        short, met`` (the kept one flagged ``kept``).
    method : str
        How the stops were chosen (``exhaustive``: every stop set meeting the targets
        routed exactly; ``joint search``: the best of the proposals and their repairs).
    proven : bool
        Whether the decision is proven optimal (every stop set routed exactly, exact trips).
    minimise : str
        ``cost`` (rupiah) or ``days`` (team days).
    seconds : float
        Time taken.
    notes : tuple of str
        What else to know (e.g. why the bound is weak).
    bound : float
        A lower bound on the objective of any decision meeting every target (see
        :func:`joint_bound`); equal to the objective when proven.
    """

    choice: SiteChoice
    trips: TripPlan
    tried: pd.DataFrame
    method: str
    proven: bool
    minimise: str
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    bound: float = 0.0

    @property
    def objective(self) -> float:
        """The trips' objective (rupiah or team days)."""
        return float(self.trips.objective)

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the lower bound on any decision meeting
        the targets (0 when proven optimal)."""
        if self.proven:
            return 0.0
        return 0.0 if self.objective <= 0 else max(0.0, 1 - self.bound / self.objective)

    @property
    def targets(self) -> pd.DataFrame:
        """Every target and what the trips deliver against it (see :class:`SiteChoice`)."""
        t = self.choice.targets
        return t if t is not None else pd.DataFrame()

    @property
    def met(self) -> bool:
        """Whether every target is met by what the trips serve (and the offices reach)."""
        return bool(self.targets["met"].all()) if len(self.targets) else True

    def headline(self) -> str:
        """One line: target met, or how many people short in which areas.

        Returns
        -------
        str
            ``"every target met"`` or ``"not met: 45 people short in Kabupaten Malinau
            (e-KTP recording 99.4%)"``.
        """
        t = self.targets
        if not len(t):
            return "no target set"
        if self.met:
            return "every target met" if len(t) > 1 else "target met"
        return "not met: " + "; ".join(
            f"{r.short:,} people short in {_where(r)} ({r.label} "
            f"{100 * r.share:g}%)" for r in t[~t["met"]].itertuples())

    def cost(self) -> dict[str, float]:
        """The trips' cost by component (rupiah): ``travel``, ``nights``, ``days``,
        ``stops`` (each stop's own cost and satellite link), ``total``.

        Returns
        -------
        dict
            The components; ``total`` is their sum and the trips' cost.
        """
        return self.trips.costs()

    def tradeoff_rows(self) -> pd.DataFrame:
        """Every complete plan tried, as rows of the trade-off table, priced by its trips.

        Returns
        -------
        DataFrame
            The trade-off columns; ``kind`` ``trips: <how it was proposed>`` (``trips:
            decision`` for the one kept), ``people_covered`` the people the trips serve
            plus those the offices reach, ``trip_cost`` what the trips cost (rupiah,
            nights included), ``status`` met or how many people short.
        """
        offices = float(self.choice.sites.loc[self.choice.sites["rank"] == 0,
                                              "people_newly_covered"].sum())
        needed = self.choice.needed
        rows = []
        for r in self.tried.itertuples():
            people = offices + float(r.people)
            rows.append({"kind": "trips: decision" if r.kept else f"trips: {r.how}",
                         "stops": int(r.stops), "people_covered": round(people, 1),
                         "share_of_needed": round(people / needed, 4) if needed else np.nan,
                         "round_trip_cost": np.nan, "trip_cost": round(float(r.cost), 0),
                         "status": "met" if r.met else f"{r.short:,.0f} short",
                         "gap": round(self.gap, 6) if r.kept else np.nan})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The decision as ``decision.json`` holds it (plain JSON types).

        Returns
        -------
        dict
            Stops, trips, people per indicator and area, cost components, each target's
            status, method, proof and the trips' bound and gap.
        """
        ch, tp = self.choice, self.trips
        new = ch.sites[ch.sites["rank"] > 0]
        t = tp.trips
        return {
            "headline": self.headline(),
            "met": self.met,
            "method": self.method,
            "proven_optimal": self.proven,
            "minimise": self.minimise,
            "stops": [{"rank": int(r.rank), "code": str(r.site_code), "name": str(r.site_name),
                       "kabupaten": str(r.kabupaten), "people": int(r.people_newly_covered),
                       "villages": int(r.villages_served),
                       "satellite_kit": bool(r.satellite_kit_needed)}
                      for r in new.itertuples()],
            "offices": {"people": int(ch.sites.loc[ch.sites["rank"] == 0,
                                                   "people_newly_covered"].sum())},
            "trips": [{"trip": int(r.trip), "team": str(r.team), "office": str(r.office),
                       "leaves": str(r.leaves), "returns": str(r.returns),
                       "days": int(r.days), "nights": int(r.nights), "stops": str(r.stops),
                       "people": int(r.people), "cost": float(r.cost)}
                      for r in t.itertuples()],
            "totals": {"stops": len(new), "trips": len(t),
                       "team_days": int(t["days"].sum()) if len(t) else 0,
                       "people": int(t["people"].sum()) if len(t) else 0,
                       "cost": self.cost()},
            "objective": self.objective, "bound": self.bound, "gap": self.gap,
            "trips_method": tp.method, "trips_objective": float(tp.objective),
            "trips_bound": float(tp.bound), "trips_gap": float(tp.gap),
            "unreached": [{"code": str(r.code), "name": str(r.name), "people": float(r.people),
                           "reason": str(r.reason)} for r in tp.unreached.itertuples()],
            "targets": _records(self.targets),
            "coverage": _records(ch.coverage),
            "tried": _records(self.tried),
            "notes": list(self.notes),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as JSON objects (pandas gives Python scalars; a missing figure is
    null, JSON having no NaN)."""
    return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
            for row in frame.to_dict("records")]


def _where(r: Any) -> str:
    return "the study area" if r.level == "study area" else str(r.area)


@dataclass
class _Search:
    """What every step of the search shares: the study area, the trip settings, the start
    date, the trips' time limit, the target asked and every plan tried so far."""

    plan: StudyArea
    spec: TripSpec
    start: str | None
    time_limit: float
    target: float | None
    info: pd.DataFrame | None = None  # the possible sites (sites.site_info), made once
    tried: list[_Tried] = field(default_factory=list)

    def route(self, choice: SiteChoice) -> tuple[SiteChoice, TripPlan, list[str]]:
        """:func:`_route` with the shared settings."""
        return _route(self.plan, choice, self.spec, self.start, self.time_limit, self.info)

    def better(self, a: _Tried, b: _Tried) -> bool:
        """Whether plan ``a`` beats plan ``b``."""
        return a.key() < b.key()


@dataclass
class _Tried:
    how: str
    round: int
    choice: SiteChoice
    trips: TripPlan

    def key(self) -> tuple[float, float, int]:
        """Fewest people short, then the least objective, then the fewest stops."""
        t = self.choice.targets
        short = float(t["short"].sum()) if t is not None and len(t) else 0.0
        return (short, float(self.trips.objective), int((self.choice.sites["rank"] > 0).sum()))


def _route(plan: StudyArea, choice: SiteChoice, spec: TripSpec, start: str | None,
           time_limit: float, info: pd.DataFrame | None = None
           ) -> tuple[SiteChoice, TripPlan, list[str]]:
    """Trips for a choice; the stops no trip serves are closed, the rest described again
    (their villages re-credited) and routed again, until the trips serve every stop kept.
    Returns the kept choice, its trips and the codes no plan can serve at all (not those
    the total budget left out: another set may fit it)."""
    never: list[str] = []
    left_out: list[pd.DataFrame] = []
    for _ in range(ROUNDS + 2):
        tp = trips.plan_trips(plan.network, trip_stops(plan, choice), spec, start=start,
                              time_limit=time_limit)
        un = tp.unreached
        if not len(un):
            break
        left_out.append(un)
        never += [str(c) for c, why in zip(un["code"], un["reason"], strict=True)
                  if why != "over the total budget"]
        served = set(choice.sites.loc[choice.sites["rank"] > 0, "site_code"].astype(str)) \
            - {str(c) for c in un["code"]}
        choice = sites.with_only(plan, choice, served, info=info)
    if left_out:  # the stops closed on the way stay listed, with why
        un = pd.concat([*left_out, tp.unreached]).drop_duplicates("code", keep="last")
        tp = replace(tp, unreached=un.reset_index(drop=True))
    return choice, tp, never


def decide(plan: StudyArea, *, spec: TripSpec | None = None, target: float | None = None,
           joint: bool = True, start: str | None = None,
           time_limit: float = 300.0, stops: Collection[str] | None = None) -> Decision:
    """Choose the stops and the trips together against every target.

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    spec : TripSpec, optional
        Teams, days, costs and budgets (default: the scenario's ``[trips]``).
    target : float, optional
        The study-area share of the site indicator, instead of the scenario's.
    joint : bool, default True
        Try other stop sets (least round-trip cost, least lone-trip cost, exhaustive on
        small instances); False: the scenario's site choice, then its trips (the stops no
        trip serves are still replaced when other stops can meet the targets).
    start : str, optional
        The date the first trips leave (default ``[trips] start``).
    time_limit : float, default 300
        Seconds each trip search may use (a safety net).
    stops : collection of str, optional
        The stops to serve, as given (a file, the map's "try other stops" panel): no search;
        the trips serve them (a stop no trip can serve is closed and listed, not replaced)
        and each target's status says what they buy.

    Returns
    -------
    Decision
        The stops, the trips, each target's status and every stop set tried.

    Raises
    ------
    InfeasibleError
        When no stop set can meet the targets even before trips (the message names each
        area short and by how many people).
    """
    t0 = time.perf_counter()
    spec = spec or plan.scenario.trips
    if stops is not None:
        return _given(plan, spec, stops, start, time_limit, t0)
    s_spec = replace(plan.scenario.sites, model="target")
    has_targets = bool(plan.scenario.all_targets) or target is not None \
        or plan.scenario.sites.target is not None
    if not has_targets:  # nothing to meet: the scenario's own site choice, then its trips
        joint = False
    base = sites.choose_sites(plan, s_spec if joint else
                              replace(plan.scenario.sites,
                                      model=plan.scenario.sites.model or "target"),
                              target=target)
    proposals: list[tuple[str, SiteChoice]] = [("choose sites, then route", base)]
    search = _Search(plan, spec, start, time_limit, target, sites.site_info(plan))
    tried = search.tried
    proven = False
    method = "sites first, then trips"
    if joint:
        p = base.problem
        assert p is not None
        useful = _useful(plan, base)
        if len(useful) <= EXHAUSTIVE_CANDIDATES:
            found = _exhaustive(search, base, useful)
            proven = found and all(tr.trips.method == "exact" and tr.trips.gap <= 0
                                   for tr in tried)
            method = "exhaustive: every stop set meeting the targets, exact trips"
        else:
            method = ("joint search: proposals by round-trip and lone-trip cost (stops no "
                      "trip can serve left out), repaired")
            lone = trips.lone_trip_costs(plan.network, _alone(plan, base, useful), spec,
                                         start=start)
            never = [c for c, v in zip(useful, lone, strict=True) if not np.isfinite(v)]
            cost = {c: float(v) for c, v in zip(useful, lone, strict=True) if np.isfinite(v)}
            for how, s_how, weights in (
                    ("fewest stops trips can serve", s_spec, None),
                    ("least round-trip cost", replace(s_spec, minimise="cost"), None),
                    ("least lone-trip cost", s_spec, cost)):
                if weights is None and not never and s_how is s_spec:
                    continue  # the same as choosing sites first
                choice = _propose(plan, s_how, target, never, weights)
                if choice is not None:
                    proposals.append((how, choice))
    _try_all(search, proposals)
    kept = min(tried, key=lambda tr: tr.key())
    met = kept.key()[0] <= 0
    if joint and met and not proven:
        if spec.minimise == "cost" and len(useful) > EXHAUSTIVE_CANDIDATES:
            kept = _reprice(search, base, kept, useful, cost, never)
        kept = _drop_stops(search, kept)
    proven = proven and met
    bound = float(kept.trips.objective) if proven else (
        joint_bound(plan, base, spec) if met else 0.0)
    table = _tried_table(tried, kept)
    notes = () if proven or not met else (
        "the lower bound counts one trip (the dearest stop any decision meeting the targets "
        "must serve, there and back at the least, with the nights its travel and service "
        "force), not the others: the gap over-states the distance to the optimum",)
    choice = kept.choice
    if choice.model == "target":  # chosen with the trips, not the site choice's own answer
        choice = replace(choice, model=DECIDED, sites=choice.sites.assign(model=DECIDED))
    return Decision(choice, kept.trips, table, method, proven, spec.minimise,
                    time.perf_counter() - t0, notes, bound)


def _tried_table(tried: list[_Tried], kept: _Tried) -> pd.DataFrame:
    """Every stop set tried, a row each (``decision.json``'s ``tried``)."""
    return pd.DataFrame([{
        "how": tr.how, "round": tr.round,
        "stops": int((tr.choice.sites["rank"] > 0).sum()),
        "people": int(tr.trips.trips["people"].sum()) if len(tr.trips.trips) else 0,
        "objective": float(tr.trips.objective),
        "cost": tr.trips.costs()["total"],
        "days": int(tr.trips.trips["days"].sum()) if len(tr.trips.trips) else 0,
        "short": tr.key()[0], "met": tr.key()[0] <= 0,
        "kept": tr is kept} for tr in tried])


def _given(plan: StudyArea, spec: TripSpec, stops: Collection[str], start: str | None,
           time_limit: float, t0: float) -> Decision:
    """The decision for stops given as they are: their trips, nothing searched."""
    choice = sites.stops_choice(plan, stops)
    search = _Search(plan, spec, start, time_limit, None, sites.site_info(plan))
    kept, tp, _ = search.route(choice)
    kept.targets = sites.target_status(plan, sites.area_targets(plan, plan.scenario.sites),
                                       kept.assignment, kept.spec)
    kept.model = sites.GIVEN
    kept.sites = kept.sites.assign(model=sites.GIVEN)
    tried = _Tried("the stops given", 0, kept, tp)
    table = _tried_table([tried], tried)
    notes = ("the stops were given (a file or the map), not chosen: no other stop set was "
             "tried, and the bound is the trips' own",)
    return Decision(kept, tp, table, "the stops given, then trips", False, spec.minimise,
                    time.perf_counter() - t0, notes, float(tp.bound))


def joint_bound(plan: StudyArea, base: SiteChoice, spec: TripSpec) -> float:
    """A lower bound on the trips' objective of any decision meeting every target: the
    dearest stop any such decision must serve.

    Any such decision serves a stop set meeting the targets, and the trip serving a stop
    costs at least :func:`planner.decide.trips.lone_trip_bounds` (there and back at the
    least on any path, with the nights its workday-bound travel and the service of the
    people only it can reach force). So the decision costs at least the smallest ``τ``
    such that the stops whose bound is at most ``τ`` can meet every target. It counts one
    trip, not the others: a weak bound where many stops are needed.

    Parameters
    ----------
    plan : StudyArea
        A run's result.
    base : SiteChoice
        A target site choice (its problem and targets).
    spec : TripSpec
        The trip settings.

    Returns
    -------
    float
        The bound (rupiah or team days); 0 when no stop is needed.
    """
    p = base.problem
    assert p is not None
    needs = sites.needs_of(plan, sites.area_targets(plan, base.spec, base.target))
    forced = np.flatnonzero(p.forced)
    if not (optimise.shortfalls(p, needs, forced) > 1e-9).any():
        return 0.0
    useful = _useful(plan, base)
    col = {str(c): j for j, c in enumerate(p.site_ids)}
    cols = np.array([col[c] for c in useful], dtype=int)
    by_forced = np.asarray((p.cover @ p.forced.astype(float)) > 0)
    others = np.asarray(p.cover[:, cols].sum(axis=1)).ravel()
    alone = np.asarray(p.cover[:, cols].T.astype(float) @ (p.demand * (~by_forced)
                                                            * (others == 1)))
    lb = trips.lone_trip_bounds(plan.network, _alone(plan, base, useful), spec, people=alone)
    for tau in np.unique(lb[np.isfinite(lb)]):
        if not (optimise.shortfalls(p, needs, np.r_[forced, cols[lb <= tau]].astype(int))
                > 1e-9).any():
            return float(tau)
    return 0.0


def _propose(plan: StudyArea, spec: SitesSpec, target: float | None, never: list[str],
             weights: dict[str, float] | None) -> SiteChoice | None:
    """A target site choice without the stops no trip can serve (as near each target as
    the others reach; None when the site choice's own limits leave no answer)."""
    try:
        return sites.choose_sites(plan, spec, target=target, exclude=never, site_cost=weights,
                                  as_near_as_possible=True)
    except InfeasibleError:  # the kits or the budget of [sites]
        return None


REPRICE_ROUNDS = 3
"""How many times the joint search prices the candidates again from its best trips."""


def _reprice(search: _Search, base: SiteChoice, kept: _Tried, useful: list[str],
             lone: dict[str, float], never: list[str]) -> _Tried:
    """Price each candidate by what adding it to the best trips so far may cost (the
    cheapest detour from their stops and back, and the share of a night its service
    takes), at most its lone trip; choose the stops again, route them, and keep the plan
    when it is cheaper (up to :data:`REPRICE_ROUNDS` times)."""
    plan, spec = search.plan, search.spec
    stops = _alone(plan, base, useful)
    people = stops.stops["people"].to_numpy(float)
    length = spec.workday[1] - spec.workday[0]
    service = spec.night_rupiah * (spec.setup_minutes + spec.serve_minutes * people) / length
    for rnd in range(REPRICE_ROUNDS):
        current = set(kept.choice.sites.loc[kept.choice.sites["rank"] > 0,
                                            "site_code"].astype(str))
        via = np.array([c in current for c in useful])
        detour = trips.detour_costs(plan.network, stops, via)
        weights = {c: min(lone[c], float(d + sv)) for c, d, sv in
                   zip(useful, detour, service, strict=True) if c in lone}
        choice = _propose(plan, replace(base.spec, model="target"), search.target, never,
                          weights)
        if choice is None:
            return kept
        new = set(choice.sites.loc[choice.sites["rank"] > 0, "site_code"].astype(str))
        if new == current:
            return kept
        routed, tp, _ = search.route(choice)
        trial = _Tried("priced by the best trips", rnd, routed, tp)
        search.tried.append(trial)
        if not search.better(trial, kept):
            return kept
        kept = trial
    return kept


def _drop_stops(search: _Search, kept: _Tried) -> _Tried:
    """Close each stop of the kept plan in turn (most expensive trips first) when the
    targets are still met without it (its villages re-credited to the others), route the
    rest and keep the first cheaper plan; repeat until no stop can go."""
    while True:
        codes = kept.choice.sites.loc[kept.choice.sites["rank"] > 0, "site_code"].astype(str)
        better = None
        for code in codes:
            fewer = sites.with_only(search.plan, kept.choice, set(codes) - {code},
                                    info=search.info)
            if fewer.targets is None or not bool(fewer.targets["met"].all()):
                continue
            choice, tp, _ = search.route(fewer)
            trial = _Tried("one stop fewer", 0, choice, tp)
            search.tried.append(trial)
            if search.better(trial, kept):
                better = trial
                break
        if better is None:
            return kept
        kept = better


_FORKED: tuple[_Search, list[tuple[str, SiteChoice]]] | None = None
"""The search and its proposals, as a forked worker inherits them (never pickled)."""


def _try_one(i: int) -> list[_Tried]:
    """In a worker: route proposal ``i`` of the inherited search (see :func:`_try`)."""
    assert _FORKED is not None
    search, proposals = _FORKED
    own = replace(search, tried=[])
    _try(own, *proposals[i])
    return own.tried


def _try_all(search: _Search, proposals: list[tuple[str, SiteChoice]]) -> None:
    """Route every proposal (:func:`_try`), in worker processes when the machine has more
    than one core and can fork (each proposal is independent and deterministic; the plans
    are collected in the proposals' order, so the answer is the same on any machine)."""
    global _FORKED
    workers = min(len(proposals), os.cpu_count() or 1)
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        for how, choice in proposals:
            _try(search, how, choice)
        return
    _FORKED = (search, proposals)
    try:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=mp.get_context("fork")) as pool:
            for found in pool.map(_try_one, range(len(proposals))):
                search.tried.extend(found)
    finally:
        _FORKED = None


def _try(search: _Search, how: str, choice: SiteChoice) -> None:
    """Route a proposal; when trips leave stops out, ask the site choice again without
    them (up to :data:`ROUNDS` times) and route that too."""
    excluded: set[str] = set()
    for rnd in range(ROUNDS):
        kept, tp, never = search.route(choice)
        search.tried.append(_Tried(how, rnd, kept, tp))
        if not never or kept.targets is None or not len(kept.targets) \
                or bool(kept.targets["met"].all()):
            return
        excluded |= set(never)
        try:
            choice = sites.choose_sites(search.plan, replace(choice.spec, model="target"),
                                        target=search.target, exclude=excluded)
        except InfeasibleError:
            return


def _gains(p: optimise.CoverageProblem) -> np.ndarray:
    """People each site would newly reach, alone with the offices."""
    covered = np.asarray((p.cover @ p.forced.astype(float)) > 0)
    return np.asarray(p.cover.T.tocsr().astype(float) @ (p.demand * ~covered))


def _useful(plan: StudyArea, base: SiteChoice) -> list[str]:
    """Candidate codes that would newly reach someone (beyond the offices)."""
    p = base.problem
    assert p is not None
    gains = _gains(p)
    return [str(p.site_ids[j]) for j in range(p.m) if not p.forced[j] and gains[j] > 0]


def _alone(plan: StudyArea, base: SiteChoice, codes: list[str]) -> Stops:
    """Candidates as trip stops, each with the people it would reach alone."""
    p = base.problem
    assert p is not None
    net = plan.network
    kind = net.site_kind
    index = {str(r): i for i, r in enumerate(net.points[kind].refs)}
    names = dict(zip((str(r) for r in net.points[kind].refs),
                     (str(n) for n in net.points[kind].labels), strict=True))
    col = {str(c): j for j, c in enumerate(p.site_ids)}
    gains = _gains(p)
    stops = pd.DataFrame({"code": codes, "name": [names.get(c, c) for c in codes],
                          "people": [float(gains[col[c]]) for c in codes],
                          "blank": [bool(p.needs_kit[col[c]]) for c in codes],
                          "index": [index[c] for c in codes]})
    return trips.Stops(stops, _offices(plan), kind)


def _exhaustive(search: _Search, base: SiteChoice, useful: list[str]) -> bool:
    """Every stop set of the useful candidates meeting every target, routed exactly."""
    plan = search.plan
    p = base.problem
    assert p is not None
    needs = sites.needs_of(plan, sites.area_targets(plan, base.spec, base.target))
    index = {str(c): j for j, c in enumerate(p.site_ids)}
    forced = np.flatnonzero(p.forced)
    found = False
    for size in range(len(useful) + 1):
        for combo in itertools.combinations(useful, size):
            open_ = np.r_[forced, [index[c] for c in combo]].astype(int)
            if (optimise.shortfalls(p, needs, open_) > 1e-9).any():
                continue
            choice = sites.with_only(plan, base, combo, info=search.info)
            if len(choice.sites[choice.sites["rank"] > 0]) != size:
                continue  # a stop credited with nobody: the smaller set is tried too
            kept, tp, _ = search.route(choice)
            search.tried.append(_Tried("every stop set", 0, kept, tp))
            found = True
    return found
