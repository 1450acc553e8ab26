"""Multi-day outreach trips: from chosen stops to day-by-day itineraries a team can follow.

A team leaves its office on the start date at the start of the workday, travels by the
network's fastest route (on average) to each of its stops, serves the people there, sleeps
wherever the evening finds it, and returns. The timing of every route is **exact** against
the rules of :class:`planner.config.TripSpec`:

* a leg of a mode outside ``after_dark`` travels only within the workday; one of an
  ``after_dark`` mode until ``travel_until``; a leg the evening interrupts continues the
  next morning (the team spends the night on the way);
* a scheduled service (link tables' ``days`` and ``depart``, :mod:`planner.network.schedule`) waits
  for the actual next departure on its weekdays; an unscheduled one for its stated wait;
* serving takes ``setup_minutes`` once per stop and ``serve_minutes`` per person, within the
  workday and up to ``people_per_day`` a day per team; a stop may take several days;
* a trip lasts at most ``max_days`` calendar days and costs at most ``trip_budget``; a team
  leaves on its next trip the morning after it returns.

A trip costs its routes' rupiah (per-km costs and fares), ``night_rupiah`` per night away and
``day_rupiah`` per day. Stops are assigned to teams and ordered to minimise the total cost (or
team days): exactly by dynamic programming over the subsets of stops when there are few
(:func:`plan_trips`'s ``exact_limit``, 7 by default), otherwise from two starts (cheapest
insertion, and PyVRP's routes on a static model of the problem, both timed exactly) improved
by relocation moves, with a lower bound and the gap to it reported. The routes between stops are
fixed (the fastest on average): optimality is over the assignment, the order and the days.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import TripSpec
from ..network import schedule, travel
from ..network.graph import Network

DAY = schedule.DAY

ACTIVITY_COLUMNS = ["trip", "team", "office", "day", "date", "sequence", "activity", "from",
                    "to", "mode", "start", "end", "minutes", "people", "cost", "stop", "note"]
"""Columns of ``trips.csv``: one row per activity (travel, wait, set up, serve, overnight);
``stop`` is the code of the stop set up or served at."""

TRIP_COLUMNS = ["trip", "team", "office", "office_name", "leaves", "returns", "days",
                "nights", "stops", "stop_names", "people", "travel_cost", "night_cost",
                "day_cost", "stop_cost", "cost"]
"""Columns of the per-trip summary."""


@dataclass(frozen=True)
class Leg:
    """One leg of a fixed route: ``kind`` is ``travel`` (a mode's stretch, its stated wait
    included in ``wait``), ``scheduled`` (a service with weekday departures) or
    ``transfer`` (a change of mode: a penalty in minutes)."""

    kind: str
    mode: str
    minutes: float      # moving (scheduled: on board)
    wait: float         # stated wait before moving (unscheduled services)
    cost: float         # rupiah
    frm: str
    to: str
    name: str
    days: int = 0       # weekday mask (scheduled)
    times: tuple[int, ...] = ()


@dataclass
class Stops:
    """What trips must do: the stops (``code``, ``name``, ``people``, ``blank``: a satellite
    kit is needed) and the offices teams leave from (``code``, ``name``), each with its index
    among the network's points of its kind."""

    stops: pd.DataFrame
    offices: pd.DataFrame
    stop_kind: str = "village"


@dataclass
class TripPlan:
    """Trips and how good they are.

    Attributes
    ----------
    activities : DataFrame
        ``trips.csv`` (:data:`ACTIVITY_COLUMNS`): start and end as ``YYYY-MM-DD HH:MM``,
        minutes, people served, rupiah.
    trips : DataFrame
        One row per trip (:data:`TRIP_COLUMNS`).
    unreached : DataFrame
        Stops no trip serves (``code``, ``name``, ``people``, ``reason``).
    objective : float
        Total cost (rupiah) or team days, as ``spec.minimise`` says.
    people_bound : float
        An upper bound on the people any plan can serve within the limits and the total
        budget (equal to the people served when that is proven: the exact method, or every
        servable stop served).
    bound : float
        A lower bound on the objective (equal to it when ``method`` is ``exact``).
    method : str
        ``exact`` (dynamic programming over subsets: proven optimal, the gap 0; under a
        total budget with ``minimise = "days"``, when the fewest-days plan is over the
        budget, the cheapest plan is kept and the gap to the fewest days is given) or
        ``heuristic (<start>,
        then relocation)`` (``<start>``: the start that led to the answer).
    spec : TripSpec
    """

    activities: pd.DataFrame
    trips: pd.DataFrame
    unreached: pd.DataFrame
    objective: float
    bound: float
    method: str
    spec: TripSpec
    seconds: float = 0.0
    lines: gpd.GeoDataFrame | None = None  # one route line per trip (metric CRS), ``label``
    places: pd.DataFrame | None = None  # office and stops of each trip in order (x, y metres)
    note: str = ""  # e.g. that the time limit stopped the improvement moves
    people_bound: float = math.inf  # the most people any plan within the limits can serve

    def costs(self) -> dict[str, float]:
        """The trips' cost by component (rupiah), from ``trips``.

        Returns
        -------
        dict
            ``travel``, ``nights``, ``days``, ``stops`` and ``total`` (their sum, the
            trips' cost).
        """
        t = self.trips
        return {name: float(t[col].sum()) if len(t) else 0.0 for name, col in (
            ("travel", "travel_cost"), ("nights", "night_cost"), ("days", "day_cost"),
            ("stops", "stop_cost"), ("total", "cost"))}

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the bound (0 when proven optimal)."""
        return 0.0 if self.objective <= 0 else max(0.0, 1 - self.bound / self.objective)


# --- routes as legs ---------------------------------------------------------------------


def route_legs(net: Network, edges: np.ndarray) -> list[Leg]:
    """A route's edges as :class:`Leg` s: consecutive edges of one mode merged, each
    scheduled service and each transfer with a penalty a leg of its own.

    Parameters
    ----------
    net : Network
        The network.
    edges : ndarray of int
        The route's edges.

    Returns
    -------
    list of Leg
        The legs in travel order.
    """
    kept, starts = travel.leg_groups(net, edges)
    out: list[Leg] = []
    n_days = len(net.days)  # edges past the schedule arrays: unscheduled
    for group in np.split(kept, starts[1:]) if len(kept) else []:
        run: list[int] = []
        for e in [*group.tolist(), -1]:
            if e >= 0 and not (e < n_days and net.days[e]):
                run.append(e)
                continue
            if run:
                out.append(_leg(net, run, "transfer" if net.mode[run[0]] == "transfer"
                                else "travel"))
                run = []
            if e >= 0:
                out.append(_leg(net, [e], "scheduled"))
    return out


def _leg(net: Network, edges: list[int], kind: str) -> Leg:
    e0, e1 = edges[0], edges[-1]
    wait = float(sum(float(net.wait[e]) for e in edges)) if len(net.wait) else 0.0
    minutes = float(sum(float(net.minutes[e]) for e in edges))
    cost = float(np.nansum(net.cost[edges]))
    names: list[str] = []
    for e in edges:
        if net.name[e] and net.name[e] not in names:
            names.append(str(net.name[e]))
    frm = travel.place_label(net, int(net.node_phys[net.u[e0]]))
    to = travel.place_label(net, int(net.node_phys[net.v[e1]]))
    if kind == "scheduled":
        return Leg(kind, str(net.mode[e0]), minutes - wait, 0.0, cost, frm, to,
                   "; ".join(names), int(net.days[e0]),
                   schedule.parse_times(str(net.depart[e0])))
    if kind == "transfer":
        return Leg(kind, "transfer", minutes, 0.0, cost, frm, to, "; ".join(names))
    return Leg(kind, str(net.mode[e0]), minutes - wait, wait, cost, frm, to, "; ".join(names))


# --- the clock: exact timing of legs and service ----------------------------------------


@dataclass
class _Clock:
    """A team's time (minutes from 00:00 of the start date) and, when ``log`` is a list,
    the activities it records."""

    spec: TripSpec
    weekday0: int
    t: float
    served_day: int = -1
    served: float = 0.0
    log: list[dict[str, Any]] | None = None
    moved: float | None = None  # when the team first moved (a trip leaves then)

    def window(self, mode: str) -> tuple[int, int]:
        ws, we = self.spec.workday
        return ws, (self.spec.travel_until if mode in self.spec.after_dark else we)

    def _record(self, activity: str, start: float, end: float, leg: Leg | None = None,
                **given: Any) -> None:
        """Log an activity; ``given`` may name ``place`` (when there is no leg), ``people``,
        ``cost``, ``note`` and ``stop``."""
        if self.log is None:
            return
        place = given.get("place", "")
        self.log.append({"activity": activity, "from": leg.frm if leg else place,
                         "to": leg.to if leg else place, "mode": leg.mode if leg else "",
                         "start": start, "end": end, "people": given.get("people", 0.0),
                         "cost": given.get("cost", 0.0),
                         "note": given.get("note") or (leg.name if leg else ""),
                         "stop": given.get("stop", "")})

    def move(self, minutes: float, mode: str, activity: str, leg: Leg | None,
             cost: float = 0.0) -> None:
        """Spend ``minutes`` in ``mode``'s daily window, continuing on later days."""
        ws, we = self.window(mode)
        left = minutes
        first = True
        while left > 1e-9:  # nothing to do: no wait for the window either
            day = math.floor(self.t / DAY)
            if self.t < day * DAY + ws:
                self.t = day * DAY + ws
            if self.t >= day * DAY + we - 1e-9:
                self.t = (day + 1) * DAY + ws
                continue
            chunk = min(left, day * DAY + we - self.t)
            if activity == "travel" and self.moved is None:
                self.moved = self.t
            self._record(activity, self.t, self.t + chunk, leg, cost=cost if first else 0.0,
                         note="" if first else "continued")
            first = False
            self.t += chunk
            left -= chunk
            if left > 1e-9 and self.log and leg is not None:  # the evening interrupts it
                self.log[-1]["_rest"] = f"on the way {leg.frm} - {leg.to}"

    def route(self, legs: list[Leg]) -> float:
        """A route's legs, timed exactly; returns their rupiah."""
        for leg in legs:
            self.ride(leg)
        return float(sum(leg.cost for leg in legs))

    def leave_day(self) -> int:
        """The day the trip left: when the team first moved (else now)."""
        return math.floor((self.moved if self.moved is not None else self.t) / DAY)

    def ride(self, leg: Leg) -> None:
        """A leg, timed exactly."""
        if leg.kind == "scheduled":
            dep = schedule.next_departure(self.t, leg.days, leg.times, self.weekday0)
            if dep > self.t + 1e-9:
                self._record("wait", self.t, dep, leg,
                             note=f"for the {schedule.format_days(leg.days)} "
                                  f"{schedule.format_times(leg.times)} departure")
            self._record("travel", dep, dep + leg.minutes, leg, cost=leg.cost)
            if self.moved is None:
                self.moved = dep
            self.t = dep + leg.minutes
        elif leg.kind == "transfer":
            self._record("wait", self.t, self.t + leg.minutes, leg, note="change of mode")
            self.t += leg.minutes
        else:
            if leg.wait > 0:
                self.move(leg.wait, leg.mode, "wait", leg)
            self.move(leg.minutes, leg.mode, "travel", leg, leg.cost)

    def serve(self, people: float, place: str, stop: str = "") -> None:
        """Set up once, then serve up to the day's capacity, day after day."""
        sp = self.spec
        ws, we = sp.workday
        left = people
        setup = sp.setup_minutes
        while True:
            day = math.floor(self.t / DAY)
            if self.t < day * DAY + ws:
                self.t = day * DAY + ws
            if day != self.served_day:
                self.served_day, self.served = day, 0.0
            room = day * DAY + we - self.t - setup
            cap = sp.people_per_day - self.served
            # whole persons (a fraction only when the estimate itself ends in one)
            fit = math.inf if sp.serve_minutes <= 0 else math.floor(
                max(room, 0) / sp.serve_minutes + 1e-9)
            n = min(left, fit, math.floor(cap + 1e-9))
            if room < 0 or (n <= 1e-9 and left > 1e-9):
                self.t = (day + 1) * DAY + ws
                continue
            if setup:
                self._record("set up", self.t, self.t + setup, place=place, stop=stop)
                self.t += setup
                setup = 0.0
            if n > 1e-9:
                self._record("serve", self.t, self.t + n * sp.serve_minutes, place=place,
                             people=n, stop=stop)
                self.t += n * sp.serve_minutes
                self.served += n
                left -= n
            if left <= 1e-9:
                return


def workable(spec: TripSpec) -> str:
    """Why no stop can be served under ``spec`` ("" when service is possible).

    Parameters
    ----------
    spec : TripSpec
        The trip settings.

    Returns
    -------
    str
        The reason, or ``""``.
    """
    ws, we = spec.workday
    if spec.setup_minutes + spec.serve_minutes > we - ws:
        return "setting up and serving one person takes longer than the workday"
    return ""


# --- the problem -----------------------------------------------------------------------


@dataclass
class _Problem:
    spec: TripSpec
    weekday0: int
    legs: dict[tuple[int, int], list[Leg]]       # (from location, to location)
    edges: dict[tuple[int, int], np.ndarray]     # the same routes as network edges
    static: np.ndarray                            # minutes between locations (inf: none)
    static_cost: np.ndarray
    constrained: np.ndarray                       # minutes of a route bound to daily hours
    daylight: np.ndarray                          # of which bound to the workday
    n_off: int
    people: np.ndarray                            # per stop
    names: list[str]                              # per location
    codes: list[str]
    teams: list[tuple[int, int]] = field(default_factory=list)  # (office location, number)
    stop_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # rupiah per stop
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # evaluations already made

    def loc(self, stop: int) -> int:
        return self.n_off + stop


def _problem(net: Network, stops: Stops, spec: TripSpec, weekday0: int,
             between: bool = True) -> _Problem:
    offices, st = stops.offices, stops.stops
    out_nodes = np.r_[net.origin("service")[offices["index"].to_numpy(int)],
                      net.origin(stops.stop_kind)[st["index"].to_numpy(int)]]
    in_nodes = np.r_[net.destination("service")[offices["index"].to_numpy(int)],
                     net.destination(stops.stop_kind)[st["index"].to_numpy(int)]]
    n = len(out_nodes)
    csr = travel.to_csr(net)
    legs: dict[tuple[int, int], list[Leg]] = {}
    paths: dict[tuple[int, int], np.ndarray] = {}
    static = np.full((n, n), np.inf)
    static_cost = np.full((n, n), np.inf)
    constrained = np.full((n, n), np.inf)
    daylight = np.full((n, n), np.inf)
    for i in range(n):
        res = travel.nearest_source(csr, out_nodes[i:i + 1], in_nodes)
        for j, edges in enumerate(travel.paths_to(res, in_nodes)):
            if i == j or not np.isfinite(res.value[j]) or (
                    not between and i >= len(offices) and j >= len(offices)):
                continue
            legs[i, j] = route_legs(net, edges)
            paths[i, j] = edges
            static[i, j] = res.value[j]
            static_cost[i, j] = sum(leg.cost for leg in legs[i, j])
            constrained[i, j] = sum(leg.minutes + leg.wait for leg in legs[i, j]
                                    if leg.kind == "travel")
            daylight[i, j] = sum(leg.minutes + leg.wait for leg in legs[i, j]
                                 if leg.kind == "travel" and leg.mode not in spec.after_dark)
    names = [*offices["name"].astype(str), *st["name"].astype(str)]
    codes = [*offices["code"].astype(str), *st["code"].astype(str)]
    teams = [(o, k) for o in range(len(offices)) for k in range(spec.teams)]
    blank = st["blank"].to_numpy(bool) if "blank" in st else np.zeros(len(st), bool)
    return _Problem(spec, weekday0, legs, paths, static, static_cost, constrained, daylight,
                    len(offices),
                    st["people"].to_numpy(float), names, codes, teams,
                    spec.stop_rupiah + spec.kit_rupiah * blank)


# --- evaluating a team's trips ------------------------------------------------------------


@dataclass
class _Eval:
    feasible: bool
    objective: float
    cost: float
    trips: list[dict[str, Any]]
    log: list[list[dict[str, Any]]]
    why: str = ""


def _trip_start(spec: TripSpec, day: int) -> float:
    return day * DAY + spec.workday[0]


def _last_day(t: float) -> int:
    """The day a timeline moment ending an activity belongs to (midnight: the day before)."""
    return math.floor((t - 1e-9) / DAY)


def _trip_cost(spec: TripSpec, route_rupiah: float, days: int) -> float:
    """A trip's rupiah: its routes (and its stops' own costs), a night between each two
    days, and its days."""
    return route_rupiah + (days - 1) * spec.night_rupiah + days * spec.day_rupiah


def evaluate(p: _Problem, office: int, trips: list[list[int]], record: bool = False,
             first_day: int = 0) -> _Eval:
    """A team's trips (each a list of stop numbers), timed exactly from the start date
    (remembered: the search asks for the same schedules again and again).

    Parameters
    ----------
    p : _Problem
        The trip problem (stops, offices, exact clock).
    office : int
        The office the team leaves from.
    trips : list of list of int
        Each trip's stops in order.
    record : bool, default False
        Keep every activity (for trips.csv).
    first_day : int, default 0
        The day the team's first trip may leave (days after the start date); the plan's
        teams all start on day 0, a later day tells whether a stop could be served on
        another weekday.

    Returns
    -------
    _Eval
        Cost, days, feasibility and, with ``record``, the activities.
    """
    if record:
        return _evaluate(p, office, trips, True, first_day)
    key = (office, first_day, tuple(tuple(t) for t in trips))
    found = p.memo.get(key)
    if found is None:
        found = p.memo[key] = _evaluate(p, office, trips, False, first_day)
    return found


def _evaluate(p: _Problem, office: int, trips: list[list[int]], record: bool,
              first_day: int = 0) -> _Eval:
    sp = p.spec
    day = first_day
    total_obj = total_cost = 0.0
    out_trips, logs = [], []
    for trip in trips:
        if not trip:
            continue
        if record:
            one = _time_trip(p, office, trip, day, True)
        else:  # every rule repeats weekly: a trip timed once per weekday it leaves on
            key = ("trip", office, day % 7, tuple(trip))
            rel = p.memo.get(key)
            if rel is None:
                rel = p.memo[key] = _time_trip(p, office, trip, day % 7, False)
            shift = day - day % 7
            one = rel if rel["why"] else {**rel, "leave": rel["leave"] + shift,
                                          "back": rel["back"] + shift}
        if one["why"]:
            return _Eval(False, math.inf, math.inf, [], [], one["why"])
        log = one.pop("log")
        one.pop("why")
        total_cost += one["cost"]
        total_obj += one["cost"] if sp.minimise == "cost" else one["days"]
        out_trips.append(one)
        if log is not None:
            logs.append(log)
        day = one["back"] + 1
    return _Eval(True, total_obj, total_cost, out_trips, logs)


def _time_trip(p: _Problem, office: int, trip: list[int], day: int, record: bool
               ) -> dict[str, Any]:
    """One trip leaving ``office`` on ``day`` (or later, for a departure), timed exactly:
    its days, nights and costs, ``why`` it breaks a limit ("" when it does not) and, with
    ``record``, its activities (waiting at the office before leaving is no part of it)."""
    sp = p.spec
    clock = _Clock(sp, p.weekday0, _trip_start(sp, day), log=[] if record else None)
    travel_cost = 0.0
    stop_cost = float(sum(p.stop_cost[s] for s in trip))
    here = office
    for s in [*trip, None]:
        to = office if s is None else p.loc(s)
        route = p.legs.get((here, to))
        if route is None:
            return {"why": f"no route from {p.names[here]} to {p.names[to]}"}
        travel_cost += clock.route(route)
        if s is not None:
            clock.serve(float(p.people[s]), p.names[to], p.codes[to])
        here = to
    back_day = _last_day(clock.t)
    leave_day = clock.leave_day()
    days = back_day - leave_day + 1
    nights = days - 1
    cost = _trip_cost(sp, travel_cost + stop_cost, days)
    why = ""
    if days > sp.max_days:
        why = f"a trip would take {days} days (at most {sp.max_days})"
    elif cost > sp.trip_budget + 1e-6:
        why = f"a trip would cost Rp {cost:,.0f} (at most Rp {sp.trip_budget:,.0f})"
    log = None if clock.log is None else [
        a for a in clock.log
        if clock.moved is None or a["end"] > clock.moved or a["activity"] != "wait"]
    return {"why": why, "stops": list(trip), "leave": leave_day, "back": back_day,
            "days": days, "nights": nights, "travel_cost": travel_cost,
            "night_cost": nights * sp.night_rupiah, "day_cost": days * sp.day_rupiah,
            "stop_cost": stop_cost, "cost": cost,
            "people": float(sum(p.people[s] for s in trip)), "log": log}


# --- exact: dynamic programming over subsets -------------------------------------------


@dataclass
class _Label:
    t: float
    closed: float        # objective of the team's finished trips
    legs_cost: float     # rupiah of the current trip's routes
    start_day: int       # the current trip's first day (-1: at the office, between trips)
    served_day: int
    served: float
    trips: tuple[tuple[int, ...], ...]   # finished trips and the current one (last)


WEEK = 7 * DAY


def _dominates(a: _Label, b: _Label, period: float = WEEK) -> bool:
    """Whether ``a`` is never worse than ``b`` whatever comes next.

    Every rule repeats weekly and no rule looks at the calendar beyond the weekday, so what
    comes next depends on the moment only through its place in the week (a team free a day
    earlier is not better off: a later start may meet a weekly departure without nights
    of waiting). ``a`` dominates ``b`` only at the same moment of the week, with no more
    days spent on the current trip, no more cost, and no more served today. When every
    scheduled service runs daily the rules repeat daily: ``period`` is then a day.
    """
    if abs((a.t - b.t) % period) > 1e-6 and abs((a.t - b.t) % period - period) > 1e-6:
        return False
    a_day, b_day = _day(a.t), _day(b.t)
    return (a.closed <= b.closed + 1e-9 and a.legs_cost <= b.legs_cost + 1e-6
            and (a_day - a.start_day if a.start_day >= 0 else 0)
            <= (b_day - b.start_day if b.start_day >= 0 else 0)
            and (a.start_day < 0) == (b.start_day < 0)
            and (a.served_day - a_day < b.served_day - b_day or a.served <= b.served + 1e-9)
            and (a.t <= b.t + 1e-9 or a.closed < b.closed - 1e-9
                 or a.legs_cost < b.legs_cost - 1e-6))


def _period(p: _Problem) -> float:
    """How often the rules repeat: a day, unless a service runs on some weekdays only."""
    weekly = any(leg.kind == "scheduled" and leg.days != schedule.EVERY_DAY
                 for legs in p.legs.values() for leg in legs)
    return WEEK if weekly else DAY


def _day(t: float) -> int:
    return math.floor(t / DAY)


def _add_label(bucket: list[_Label], new: _Label, period: float = WEEK) -> None:
    if any(_dominates(old, new, period) for old in bucket):
        return
    bucket[:] = [old for old in bucket if not _dominates(new, old, period)]
    bucket.append(new)


def _exact_team(p: _Problem, office: int, allowed: int
                ) -> dict[int, tuple[float, list[Any], float]]:
    """Best objective of one team for every subset of stops (bit masks within
    ``allowed``), its trips and when the team is free again (among equal objectives the
    earliest): labels over (subset, place) with dominance, every move timed exactly."""
    sp = p.spec
    n = len(p.people)
    period = _period(p)
    start = _Label(_trip_start(sp, 0), 0.0, 0.0, -1, -1, 0.0, ())
    labels: dict[tuple[int, int], list[_Label]] = {(0, -1): [start]}
    best: dict[int, tuple[float, list[Any], float]] = {0: (0.0, [], 0.0)}
    order = sorted(range(1 << n), key=lambda m: bin(m).count("1"))
    for mask in order:
        if mask & ~allowed:
            continue
        for here in [*range(n), -1]:  # trips closed at this subset are extended last
            for lab in labels.pop((mask, here), []):
                if here >= 0:  # go home: close the trip
                    done = _close(p, office, lab, here)
                    if done is not None:
                        _add_label(labels.setdefault((mask, -1), []), done, period)
                        old = best.get(mask, (math.inf, [], math.inf))
                        if done.closed < old[0] - 1e-9 or (done.closed <= old[0] + 1e-9
                                                           and done.t < old[2]):
                            best[mask] = (done.closed, [list(t) for t in done.trips], done.t)
                for s in range(n):
                    if mask >> s & 1 or not allowed >> s & 1:
                        continue
                    nxt = _visit(p, office, lab, here, s)
                    if nxt is not None:
                        _add_label(labels.setdefault((mask | 1 << s, s), []), nxt, period)
    return best


def _visit(p: _Problem, office: int, lab: _Label, here: int, s: int) -> _Label | None:
    sp = p.spec
    frm = office if here < 0 else p.loc(here)
    route = p.legs.get((frm, p.loc(s)))
    if route is None:
        return None
    clock = _Clock(sp, p.weekday0, lab.t, lab.served_day, lab.served)
    cost = (lab.legs_cost if here >= 0 else 0.0) + clock.route(route) + p.stop_cost[s]
    start_day = lab.start_day if here >= 0 else clock.leave_day()
    clock.serve(float(p.people[s]), "")
    days = _last_day(clock.t) - start_day + 1
    if days > sp.max_days or _trip_cost(sp, cost, days) > sp.trip_budget + 1e-6:
        return None
    trips = lab.trips if here >= 0 else (*lab.trips, ())
    trips = (*trips[:-1], (*trips[-1], s))
    return _Label(clock.t, lab.closed, cost, start_day, clock.served_day, clock.served, trips)


def _close(p: _Problem, office: int, lab: _Label, here: int) -> _Label | None:
    sp = p.spec
    route = p.legs.get((p.loc(here), office))
    if route is None:
        return None
    clock = _Clock(sp, p.weekday0, lab.t, lab.served_day, lab.served)
    cost = lab.legs_cost + clock.route(route)
    back = _last_day(clock.t)
    days = back - lab.start_day + 1
    total = _trip_cost(sp, cost, days)
    if days > sp.max_days or total > sp.trip_budget + 1e-6:
        return None
    obj = total if sp.minimise == "cost" else days
    return _Label(_trip_start(sp, back + 1), lab.closed + obj, 0.0, -1, -1, 0.0, lab.trips)


Combined = dict[int, tuple[float, list[tuple[int, list[Any]]], float]]


def _solve_exact(p: _Problem, allowed: int) -> Combined:
    """Best total objective for every subset of ``allowed``, teams combined (each team's
    best per subset, then subsets split among the teams); among equal objectives the one
    whose last team is free first (work shared between teams)."""
    combined: Combined = {0: (0.0, [], 0.0)}
    tables: dict[int, dict[int, tuple[float, list[Any], float]]] = {}  # an office's teams alike
    for ti, (office, _) in enumerate(p.teams):
        if office not in tables:
            tables[office] = _exact_team(p, office, allowed)
        team = tables[office]
        nxt: Combined = dict(combined)
        for mask, (obj, plan, free) in combined.items():
            rest = allowed & ~mask
            sub = rest
            while sub:
                if sub in team:
                    val, until = obj + team[sub][0], max(free, team[sub][2])
                    old = nxt.get(mask | sub, (math.inf, [], math.inf))
                    if val < old[0] - 1e-9 or (val <= old[0] + 1e-9 and until < old[2]):
                        nxt[mask | sub] = (val, [*plan, (ti, team[sub][1])], until)
                sub = (sub - 1) & rest
        combined = nxt
    return combined


# --- heuristic: cheapest insertion, then relocation -------------------------------------


def _solve_heuristic(p: _Problem, allowed: list[int], time_limit: float
                     ) -> tuple[list[list[list[int]]], list[int], bool, str]:
    """Trips of every team (a list of trips per team), the stops left out, whether the time
    limit stopped the relocation moves (else they ran until none improved: the answer is
    then the same on any machine), and which start led to the answer: cheapest insertion
    timed exactly, or PyVRP's multi-depot routes (a static model: route costs, travel and
    service minutes stretched to calendar time, nights priced per minute away, trips of at
    most ``max_days``) timed exactly and repaired; both are improved by relocation and the
    better kept."""
    t0 = time.perf_counter()
    routes, values, left = _insertion_start(p, allowed)
    deadline = t0 + time_limit
    routes, values, left = _repair(p, routes, values, left, deadline)
    routes, values, stopped = _relocate(p, routes, values, allowed, left, t0, time_limit)
    routes, values, left = _repair(p, routes, values, left, deadline)
    routes, values = _spread(p, routes, values)
    start = "cheapest insertion"
    library = _library_start(p, [s for s in allowed if s not in left])
    if library is not None:  # improved too; the better end wins (ties: insertion)
        lib_values = [evaluate(p, p.teams[ti][0], trips).objective
                      for ti, trips in enumerate(library)]
        lib_routes, lib_values, lib_stopped = _relocate(p, library, lib_values, allowed, left,
                                                        t0, time_limit)
        lib_routes, lib_values = _spread(p, lib_routes, lib_values)
        if sum(lib_values) < sum(values) - 1e-6:
            routes, values, start, stopped = lib_routes, lib_values, "PyVRP", lib_stopped
        stopped = stopped or lib_stopped
    return routes, left, stopped, start


def _insertion_start(p: _Problem, allowed: list[int]
                     ) -> tuple[list[list[list[int]]], list[float], list[int]]:
    """Every stop, the farthest first, inserted where it adds least (each option timed)."""
    routes: list[list[list[int]]] = [[] for _ in p.teams]
    values = [0.0 for _ in p.teams]
    left: list[int] = []
    nearest = p.static[:p.n_off, p.n_off:].min(axis=0)
    for s in sorted(allowed, key=lambda s: -nearest[s]):  # the farthest first
        best = _best_insertion(p, routes, values, s)
        if best is None:
            left.append(s)
            continue
        ti, new, val = best
        routes[ti], values[ti] = new, val
    return routes, values, left


def _repair(p: _Problem, routes: list[list[list[int]]], values: list[float], left: list[int],
            deadline: float = math.inf
            ) -> tuple[list[list[list[int]]], list[float], list[int]]:
    """Insert the stops left out again, now that the others are placed: their trips make a
    team leave later, on other weekdays, where a weekly service may fit. When none fits
    alone: two left-out stops together, a placed stop ejected and placed again, or a trip
    cut in two so that the team leaves later. Repeated while one more fits (until
    ``deadline``, a ``time.perf_counter()`` value)."""
    while left and time.perf_counter() < deadline:
        placed = False
        for s in list(left):
            best = _best_insertion(p, routes, values, s)
            if best is not None:
                ti, new, val = best
                routes[ti], values[ti] = new, val
                left.remove(s)
                placed = True
        if not placed and not _place_a_pair(p, routes, values, left) \
                and not _place_by_ejection(p, routes, values, left) \
                and not _place_by_splitting(p, routes, values, left) \
                and not _place_by_resolving(p, routes, values, left, deadline):
            break
    return routes, values, left


RESOLVE_STOPS = 8
"""At most this many stops are re-planned exactly at once by the repair."""


def _subproblem(p: _Problem, stops: list[int], teams: list[int]) -> _Problem:
    """The problem restricted to some stops (numbered 0.. in the order given) and teams."""
    where = [*range(p.n_off), *(p.loc(s) for s in stops)]
    new = {old: i for i, old in enumerate(where)}
    idx = np.asarray(where)
    return _Problem(p.spec, p.weekday0,
                    {(new[a], new[b]): v for (a, b), v in p.legs.items() if a in new and b in new},
                    {(new[a], new[b]): v for (a, b), v in p.edges.items() if a in new and b in new},
                    p.static[np.ix_(idx, idx)], p.static_cost[np.ix_(idx, idx)],
                    p.constrained[np.ix_(idx, idx)], p.daylight[np.ix_(idx, idx)], p.n_off,
                    p.people[stops], [p.names[i] for i in where], [p.codes[i] for i in where],
                    [p.teams[t] for t in teams], p.stop_cost[stops])


def _place_by_resolving(p: _Problem, routes: list[list[list[int]]], values: list[float],
                        left: list[int], deadline: float = math.inf) -> bool:
    """A stop left out and the stops of one or two teams re-planned exactly together (when
    they are few): the teams' trips change so that the stop fits, if any plan of theirs
    serves them all (the cheapest such re-plan is kept)."""
    best: tuple[float, list[int], list[list[list[int]]], list[float], int] | None = None
    groups = [[ti] for ti in range(len(p.teams))]
    groups += [list(g) for g in itertools.combinations(range(len(p.teams)), 2)]
    for s in left:
        for group in groups:
            mine = sorted({x for ti in group for t in routes[ti] for x in t})
            if len(mine) + 1 > RESOLVE_STOPS or time.perf_counter() > deadline:
                continue
            order = [*mine, s]
            sub = _subproblem(p, order, group)
            full = (1 << len(order)) - 1
            table = _solve_exact(sub, full)
            if full not in table:
                continue
            plans: list[list[list[int]]] = [[] for _ in group]
            for k, trips in table[full][1]:
                plans[k] = [[order[x] for x in t] for t in trips]
            vals = [evaluate(p, p.teams[ti][0], plans[k]).objective
                    for k, ti in enumerate(group)]
            delta = sum(vals) - sum(values[ti] for ti in group)
            if best is None or delta < best[0] - 1e-9:
                best = (delta, group, plans, vals, s)
    if best is None:
        return False
    _, group, plans, vals, s = best
    for k, ti in enumerate(group):
        routes[ti], values[ti] = plans[k], vals[k]
    left.remove(s)
    return True


def _place_by_splitting(p: _Problem, routes: list[list[list[int]]], values: list[float],
                        left: list[int]) -> bool:
    """A stop left out placed after a team's trip is cut in two: the team comes home in
    between, so the trips after leave on later weekdays (the cheapest such plan)."""
    def options() -> Iterator[tuple[int, list[list[int]], int]]:
        for s in left:
            for ti, trips in enumerate(routes):
                for k, trip in enumerate(trips):
                    for cut in range(1, len(trip)):
                        split = [*trips[:k], trip[:cut], trip[cut:], *trips[k + 1:]]
                        for pos in range(len(split) + 1):
                            yield ti, [*split[:pos], [s], *split[pos:]], s

    best = _least_added(p, values, options())
    if best is None:
        return False
    ti, new, val, s = best
    routes[ti], values[ti] = new, val
    left.remove(s)
    return True


def _place_by_ejection(p: _Problem, routes: list[list[list[int]]], values: list[float],
                       left: list[int]) -> bool:
    """A stop left out takes the place of a placed one, which is then placed again
    elsewhere (the first such exchange that serves both, the cheapest for the stop)."""
    for s in left:
        for ti, trips in enumerate(routes):
            for r in sorted({x for t in trips for x in t}):
                without = [t2 for t2 in ([x for x in t if x != r] for t in trips) if t2]
                trial = [list(t) for t in routes]
                trial[ti] = without
                trial_values = list(values)
                trial_values[ti] = evaluate(p, p.teams[ti][0], without).objective
                first = _best_insertion(p, trial, trial_values, s)
                if first is None:
                    continue
                tj, new, val = first
                trial[tj], trial_values[tj] = new, val
                second = _best_insertion(p, trial, trial_values, r)
                if second is None:
                    continue
                tk, new2, val2 = second
                trial[tk], trial_values[tk] = new2, val2
                routes[:], values[:] = trial, trial_values
                left.remove(s)
                return True
    return False


def _place_a_pair(p: _Problem, routes: list[list[list[int]]], values: list[float],
                  left: list[int]) -> bool:
    """Two stops that fit only together (one trip, or two trips in a row: the first makes
    the team leave on the weekday the second needs), placed where they add least."""
    def options() -> Iterator[tuple[int, list[list[int]], tuple[int, int]]]:
        for a, b in itertools.permutations(left, 2):
            for block in ([[a, b]], [[a], [b]]):
                for ti, trips in enumerate(routes):
                    for k in range(len(trips) + 1):
                        yield ti, [*trips[:k], *block, *trips[k:]], (a, b)

    best = _least_added(p, values, options())
    if best is None:
        return False
    ti, new, val, pair = best
    routes[ti], values[ti] = new, val
    for s in pair:
        left.remove(s)
    return True


def _relocate(p: _Problem, routes: list[list[list[int]]], values: list[float],
              allowed: list[int], left: list[int], t0: float, time_limit: float
              ) -> tuple[list[list[list[int]]], list[float], bool]:
    """Move single stops to their best place elsewhere while that lowers the objective."""
    improved = True
    while improved and time.perf_counter() - t0 < time_limit:
        improved = False
        for s in [s for s in allowed if s not in left]:
            ti = next(i for i, r in enumerate(routes) if any(s in t for t in r))
            without = [[x for x in t if x != s] for t in routes[ti]]
            without = [t for t in without if t]
            ev = evaluate(p, p.teams[ti][0], without)
            if not ev.feasible:
                continue
            trial_routes = [*routes[:ti], without, *routes[ti + 1:]]
            trial_values = [*values[:ti], ev.objective, *values[ti + 1:]]
            best = _best_insertion(p, trial_routes, trial_values, s)
            if best is None:
                continue
            tj, new, val = best
            gain = (values[ti] - ev.objective) - (val - trial_values[tj])
            if gain > 1e-6:
                routes, values = trial_routes, trial_values
                routes[tj], values[tj] = new, val
                improved = True
            if time.perf_counter() - t0 > time_limit:
                break
    return routes, values, improved


def _spread(p: _Problem, routes: list[list[list[int]]], values: list[float]
            ) -> tuple[list[list[list[int]]], list[float]]:
    """Share the work out: a team's last trip moves to another team of its office when that
    costs nothing more and the office's teams are free sooner (repeated while it helps)."""
    def free(team: list[list[int]], office: int) -> int:
        ev = evaluate(p, office, team)
        return ev.trips[-1]["back"] if ev.trips else -1

    moved = True
    while moved:
        moved = False
        for ti, (office, _) in enumerate(p.teams):
            if len(routes[ti]) < 2:
                continue
            mates = [tj for tj, (o, _) in enumerate(p.teams) if o == office and tj != ti]
            last, rest = routes[ti][-1], routes[ti][:-1]
            before = max(free(routes[t], office) for t in [ti, *mates])
            for tj in mates:
                ev_i, ev_j = evaluate(p, office, rest), evaluate(p, office, [*routes[tj], last])
                if not (ev_i.feasible and ev_j.feasible):
                    continue
                extra = ev_i.objective + ev_j.objective - values[ti] - values[tj]
                after = max([free(rest, office), free([*routes[tj], last], office),
                             *(free(routes[t], office) for t in mates if t != tj)])
                if extra <= 1e-6 and after < before:
                    routes = [list(r) for r in routes]
                    routes[ti], routes[tj] = rest, [*routes[tj], last]
                    values = [*values]
                    values[ti], values[tj] = ev_i.objective, ev_j.objective
                    moved = True
                    break
    return routes, values


def _library_start(p: _Problem, stops: list[int], iterations: int = 3000
                   ) -> list[list[list[int]]] | None:
    """Trips from PyVRP's hybrid genetic search on a static model of the problem (None when
    PyVRP is missing or finds nothing): every trip a vehicle of its office (as many as
    stops), costs in units of 100 rupiah (route costs, and nights and days priced per
    calendar minute), durations stretched from active to calendar time, each trip at most
    ``max_days`` long. Its trips are then timed exactly: a trip the timetable makes too
    long or too dear is split until each part holds, and an office's trips are dealt to its
    teams, each to the team free first. Deterministic (fixed seed and iterations)."""
    try:
        import pyvrp
        from pyvrp.stop import MaxIterations
    except ImportError:  # pragma: no cover - a dependency; kept optional for the library
        return None
    if not stops:
        return None
    sp = p.spec
    ws, we = sp.workday
    span = max(sp.travel_until, we) - ws
    unit = 100.0
    m = pyvrp.Model()
    locs = [m.add_location(0, 0) for _ in range(p.n_off + len(stops))]
    depots = [m.add_depot(locs[o]) for o in range(p.n_off)]
    for k, s in enumerate(stops):
        work = sp.setup_minutes + p.people[s] * sp.serve_minutes
        m.add_client(locs[p.n_off + k], service_duration=round(work * 1440 / (we - ws)))
    per_minute = round((sp.night_rupiah + sp.day_rupiah) / 1440 / unit)
    for dep in depots:
        m.add_vehicle_type(num_available=len(stops), start_depot=dep, end_depot=dep,
                           shift_duration=sp.max_days * 1440, unit_distance_cost=1,
                           unit_duration_cost=per_minute)
    where = [*range(p.n_off), *(p.loc(s) for s in stops)]
    for a, la in enumerate(where):
        for b, lb in enumerate(where):
            if a != b and (a >= p.n_off or b >= p.n_off) and np.isfinite(p.static[la, lb]):
                m.add_edge(locs[a], locs[b], distance=round(p.static_cost[la, lb] / unit),
                           duration=round(p.static[la, lb] * 1440 / span))
    result = m.solve(MaxIterations(iterations), seed=0, display=False)
    if not result.best.is_complete():
        return None
    per_office: dict[int, list[list[int]]] = {}
    for route in result.best.routes():
        trip = [stops[a.idx] for a in route if a.is_client()]
        per_office.setdefault(int(route.start_depot()), []).extend(_split(p, route.start_depot(),
                                                                         trip))
    teams: list[list[list[int]]] = [[] for _ in p.teams]
    for office, trips in sorted(per_office.items()):
        mine = [ti for ti, (o, _) in enumerate(p.teams) if o == office]
        for trip in sorted(trips, key=lambda t: -p.static[office, p.loc(t[0])]):
            days = [sum(_days_alone(p, office, t) for t in teams[ti]) for ti in mine]
            teams[mine[int(np.argmin(days))]].append(trip)
    for ti, trips in enumerate(teams):  # a schedule the timetable breaks: its trips alone
        if trips and not evaluate(p, p.teams[ti][0], trips).feasible:
            return None
    return teams


def _days_alone(p: _Problem, office: int, trip: list[int]) -> int:
    """Days a trip takes leaving on the start date (``max_days`` when it cannot)."""
    ev = evaluate(p, office, [trip])
    return int(ev.trips[0]["days"]) if ev.feasible else p.spec.max_days


def _split(p: _Problem, office: int, trip: list[int]) -> list[list[int]]:
    """A trip as parts that each hold alone (in halves until they do)."""
    if not trip or evaluate(p, office, [trip]).feasible or len(trip) == 1:
        return [trip] if trip else []
    half = len(trip) // 2
    return _split(p, office, trip[:half]) + _split(p, office, trip[half:])


T = TypeVar("T")


def _least_added(p: _Problem, values: list[float],
                 options: Iterable[tuple[int, list[list[int]], T]]
                 ) -> tuple[int, list[list[int]], float, T] | None:
    """Of ``(team, its new trips, what was placed)`` options, the feasible one that adds
    least to the objective (the first of equals): the team, its trips, their objective and
    what was placed; None when none is feasible."""
    best: tuple[float, int, list[list[int]], float, T] | None = None
    for ti, opt, what in options:
        ev = evaluate(p, p.teams[ti][0], opt)
        if ev.feasible and (best is None or ev.objective - values[ti] < best[0] - 1e-9):
            best = (ev.objective - values[ti], ti, opt, ev.objective, what)
    return None if best is None else best[1:]


def _best_insertion(p: _Problem, routes: list[list[list[int]]], values: list[float],
                    s: int) -> tuple[int, list[list[int]], float] | None:
    def options() -> Iterator[tuple[int, list[list[int]], None]]:
        idle: set[int] = set()  # offices with an idle team tried: their others are alike
        for ti, (office, _) in enumerate(p.teams):
            if not np.isfinite(p.static[office, p.loc(s)]):
                continue
            trips = routes[ti]
            if not trips:
                if office in idle:
                    continue
                idle.add(office)
            # a trip of its own at any place in the team's order (the trips after it then
            # leave on other weekdays), or the stop inside any trip at any place
            for k in range(len(trips), -1, -1):
                yield ti, [*trips[:k], [s], *trips[k:]], None
            for k, trip in enumerate(trips):
                for pos in range(len(trip) + 1):
                    yield ti, [*trips[:k], [*trip[:pos], s, *trip[pos:]], *trips[k + 1:]], None

    # the least added (work is shared out afterwards: _spread)
    best = _least_added(p, values, options())
    return None if best is None else best[:3]


def lower_bound(p: _Problem, stops: list[int]) -> float:
    """A lower bound on the objective of serving ``stops``.

    Every minute of travel bound to daily hours (all but scheduled services and changes of
    mode) and of service falls within ``workday[0]``..``travel_until`` of some day, and every
    minute of service and of travel in a mode not allowed after dark within the workday: a
    trip lasts at least (such minutes / the span) days for either kind, hence for any mix of
    the two, and has one night fewer. These are linear in the routes a trip takes, so they
    join the route costs in the routing problem's linear relaxation (:func:`_routing_bound`)
    (three mixes tried). Cost: the largest of these bounds (routes, nights and days) and the
    routes' bound plus the nights that multi-day service at a stop forces. Days: the largest
    of these bounds and the days the service alone needs.

    Parameters
    ----------
    p : _Problem
        The trip problem (stops, offices, exact clock).
    stops : list of int
        The stops to serve.

    Returns
    -------
    float
        A valid lower bound (rupiah or team days).
    """
    sp = p.spec
    ws, we = sp.workday
    if not stops:
        return 0.0
    span, day = max(sp.travel_until, we) - ws, we - ws
    service = np.array([sp.setup_minutes + p.people[s] * sp.serve_minutes for s in stops])
    work_days = max(math.ceil(service.sum() / day - 1e-9),
                    math.ceil(sum(p.people[s] for s in stops) / sp.people_per_day - 1e-9), 1)
    loc = [p.loc(s) for s in stops]
    off = list(range(p.n_off))

    def relaxed(arc: np.ndarray, per_trip: float = 0.0) -> float:
        return _routing_bound(arc[np.ix_(loc, loc)], arc[np.ix_(off, loc)].min(axis=0)
                              + per_trip, arc[np.ix_(loc, off)].min(axis=1))

    # days per minute of each kind for a mix: lam / day (workday-bound) + (1 - lam) / span
    mixes = [(lam / day + (1 - lam) / span, (1 - lam) / span) for lam in (0.0, 0.5, 1.0)]

    def trip_days(w_day: float, w_any: float) -> tuple[np.ndarray, float]:
        ok = np.isfinite(p.constrained)  # pairs without a route stay without one
        arc = np.full(p.constrained.shape, np.inf)
        arc[ok] = w_day * p.daylight[ok] + w_any * (p.constrained[ok] - p.daylight[ok])
        return arc, w_day * service.sum()

    if sp.minimise == "days":
        best = float(work_days)
        for w_day, w_any in mixes:
            arc, const = trip_days(w_day, w_any)
            best = max(best, relaxed(arc) + const)
        return float(best)
    nights = 0.0
    for s, need in zip(stops, service, strict=True):
        serve_days = max(math.ceil(need / day - 1e-9),
                         math.ceil(p.people[s] / sp.people_per_day - 1e-9))
        nights += max(serve_days - 1, 0) * sp.night_rupiah
    fixed = float(sum(p.stop_cost[s] for s in stops))  # every stop's own cost is paid
    best = max(relaxed(p.static_cost), 0.0) + nights + work_days * sp.day_rupiah
    if sp.night_rupiah <= 0 and sp.day_rupiah <= 0:
        return float(best + fixed)
    rate = sp.night_rupiah + sp.day_rupiah
    for w_day, w_any in mixes:
        arc, const = trip_days(w_day, w_any)
        best = max(best, relaxed(p.static_cost + rate * arc, -sp.night_rupiah) + rate * const)
    return float(best + fixed)


def _routing_bound(between: np.ndarray, leave: np.ndarray, home: np.ndarray,
                   rounds: int = 50) -> float:
    """The linear-programming bound of the routing problem on route costs: arcs between
    stops and to and from one depot (the offices merged: the cheapest office each way), every
    stop entered once and left once, and every set of stops entered at least once from
    outside it (cuts added while the solution has a part the depot does not reach, up to
    ``rounds`` times; each round's optimum is a valid bound). Solved with HiGHS."""
    import scipy.sparse as sps
    from scipy.optimize import linprog

    n = len(leave)
    # arcs: stop -> stop, depot (n) -> stop, stop -> depot; those without a route left out
    full = np.full((n + 1, n + 1), np.inf)
    full[:n, :n] = between
    np.fill_diagonal(full, np.inf)
    full[n, :n], full[:n, n] = leave, home
    t, h = np.nonzero(np.isfinite(full))
    c = full[t, h]
    m = len(c)
    rows = np.r_[h[h < n], t[t < n] + n]
    cols = np.r_[np.flatnonzero(h < n), np.flatnonzero(t < n)]
    a_eq = sps.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * n, m))
    cuts: list[np.ndarray] = []
    best = -np.inf  # arcs may cost less than nothing (a night fewer per trip)
    for _ in range(rounds):
        a_ub = (sps.csr_matrix(-np.array([np.isin(h, S) & ~np.isin(t, S) for S in cuts],
                                         dtype=float)) if cuts else None)
        res = linprog(c, A_ub=a_ub, b_ub=-np.ones(len(cuts)) if cuts else None, A_eq=a_eq,
                      b_eq=np.ones(2 * n), bounds=(0, 1), method="highs")
        if res.status != 0:
            return float(best)  # no routing at all: the other bounds hold
        best = max(best, float(res.fun))
        x = res.x
        new = _weak_parts(n, t, h, x)
        if not new:
            break
        cuts += new
    return float(best)


def _weak_parts(n: int, t: np.ndarray, h: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
    """Sets of stops joined by the solution's arcs (depot left out) that are entered from
    outside with a flow below 1: violated cuts."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    on = (x > 1e-6) & (t < n) & (h < n)
    g = coo_matrix((np.ones(on.sum()), (t[on], h[on])), shape=(n, n))
    k, label = connected_components(g, directed=True, connection="weak")
    out = []
    for part in range(k):
        members = np.flatnonzero(label == part)
        inside = np.isin(h, members) & ~np.isin(t, members)
        if x[inside].sum() < 1 - 1e-6:
            out.append(members)
    return out


# --- the public entry --------------------------------------------------------------------


def plan_trips(net: Network, stops: Stops, spec: TripSpec, *, start: str | None = None,
               exact_limit: int = 7, time_limit: float = 300.0) -> TripPlan:
    """Assign the stops to teams and order them into day-by-day trips.

    Parameters
    ----------
    net : Network
        The travel network (routes and their minutes, rupiah and schedules).
    stops : Stops
        The stops (with people to serve) and the offices teams leave from.
    spec : TripSpec
        Teams, days, workday, costs and budgets.
    start : str, optional
        The date the first trips leave (``YYYY-MM-DD``); default ``spec.start``.
    exact_limit : int
        Up to this many stops the plan is proven optimal (dynamic programming).
    time_limit : float
        Seconds at most for larger plans; their improvement moves run until none improves
        (the same answer on any machine) unless this limit stops them first (said in
        ``note``).

    Returns
    -------
    TripPlan
    """
    t0 = time.perf_counter()
    day0 = dt.date.fromisoformat(start or spec.start or dt.date.today().isoformat())
    p = _problem(net, stops, spec, day0.weekday())
    n = len(p.people)
    reasons = _unservable(p, stops, day0)
    ok = [s for s in range(n) if s not in reasons]
    team_trips: list[list[list[int]]] = [[] for _ in p.teams]
    note = ""
    left_out = "over the total budget"
    exact_bound = math.inf
    if len(ok) <= exact_limit:
        allowed = sum(1 << s for s in ok)
        table = _solve_exact(p, allowed)
        cheapest = _cheapest_table(p, table, allowed)
        chosen = _within_total_budget(p, cheapest, allowed)
        if allowed not in table:  # no plan serves them all: the most people are served
            left_out = ("no plan serves it together with the other stops within the limits "
                        "(the plan serving the most people leaves it out)")
        plan_of = table if _fits(p, table, chosen) else cheapest
        for ti, trips in plan_of.get(chosen, (0.0, [], 0.0))[1]:
            team_trips[ti] = trips
        exact_bound = table.get(chosen, (0.0, [], 0.0))[0]
        method = "exact"
    else:
        team_trips, left, stopped, start_from = _solve_heuristic(p, ok, time_limit)
        method = f"heuristic ({start_from}, then relocation)"
        if stopped:
            note = (f"the time limit ({time_limit:g} s) stopped the improvement moves: "
                    "another machine may find other trips; raise time_limit")
        for s in left:
            reasons[s] = "no team can fit it into its trips within the limits"
    evals = [evaluate(p, p.teams[ti][0], trips, record=True)
             for ti, trips in enumerate(team_trips)]
    if method != "exact":
        evals, dropped = _cut_to_total_budget(p, team_trips, evals)
        evals, dropped = _refill_within_budget(p, team_trips, evals, dropped,
                                               t0 + time_limit)
        for s in dropped:
            reasons[s] = "over the total budget"
    served = {s for ev in evals for tr in ev.trips for s in tr["stops"]}
    for s in ok:
        if s not in served and s not in reasons:
            reasons[s] = left_out

    objective = float(sum(ev.objective for ev in evals))
    bound = min(objective, exact_bound) if method == "exact" else \
        min(objective, lower_bound(p, sorted(served)))
    people = float(sum(p.people[s] for s in served))
    people_bound = people if method == "exact" or len(served) == len(ok) \
        else max(people, _people_bound(p, ok))
    activities, trips = _tables(p, stops, evals, day0)
    lines, places = _geometry(net, p, stops, evals, trips)
    unreached = pd.DataFrame(
        [{"code": p.codes[p.loc(s)], "name": p.names[p.loc(s)], "people": p.people[s],
          "reason": r} for s, r in sorted(reasons.items())],
        columns=["code", "name", "people", "reason"])
    return TripPlan(activities, trips, unreached, objective, bound, method, spec,
                    time.perf_counter() - t0, lines, places, note, people_bound)


def lone_trip_costs(net: Network, stops: Stops, spec: TripSpec, *,
                    start: str | None = None) -> np.ndarray:
    """What serving each stop alone costs at best: the cheapest lone trip (rupiah, or team
    days with ``minimise = "days"``) from any office, leaving on any day of the first week,
    timed exactly (nights waiting for a departure included); ``inf`` when none fits.

    Parameters
    ----------
    net : Network
        The travel network.
    stops : Stops
        The stops (people to serve) and the offices.
    spec : TripSpec
        Teams, days, workday, costs and budgets.
    start : str, optional
        The start date (default ``spec.start``).

    Returns
    -------
    ndarray
        Per stop, the least objective of a trip serving it alone.
    """
    day0 = dt.date.fromisoformat(start or spec.start or dt.date.today().isoformat())
    p = _problem(net, stops, spec, day0.weekday(), between=False)
    out = np.full(len(p.people), np.inf)
    if workable(spec):
        return out
    blank = stops.stops["blank"].to_numpy(bool) if "blank" in stops.stops else \
        np.zeros(len(p.people), bool)
    for s in range(len(p.people)):
        if not (blank[s] and spec.kits < 1):
            out[s] = min((ev.objective for ev in _lone_trips(p, s) if ev.feasible),
                         default=np.inf)
    return out


def _lone_trips(p: _Problem, s: int) -> Iterator[_Eval]:
    """Stop ``s`` served alone: a trip from each office that reaches it, leaving on each day
    of the first week (every rule repeats weekly), timed exactly."""
    for office in np.flatnonzero(np.isfinite(p.static[:p.n_off, p.loc(s)])):
        for day in range(7):
            yield evaluate(p, int(office), [[s]], first_day=day)


def _least(net: Network, weight: np.ndarray, sources: np.ndarray, targets: np.ndarray,
           reverse: bool = False) -> np.ndarray:
    """Per target, the least sum of ``weight`` over any path of the network from any of
    the sources (``reverse``: from the target to any source): a lower bound on the same sum
    along any route, the fixed routes of trips included. One multi-source search."""
    from scipy.sparse.csgraph import dijkstra

    g = travel.to_csr(net, np.asarray(weight, float)).matrix
    if reverse:
        g = g.T.tocsr()
    return np.asarray(dijkstra(g, indices=sources, min_only=True)[targets])


def _ends(net: Network, stops: Stops, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per stop, the least ``weight`` from any office to it and from it to any office."""
    off, st = stops.offices, stops.stops
    out_nodes = net.origin("service")[off["index"].to_numpy(int)]
    in_nodes = net.destination("service")[off["index"].to_numpy(int)]
    s_in = net.destination(stops.stop_kind)[st["index"].to_numpy(int)]
    s_out = net.origin(stops.stop_kind)[st["index"].to_numpy(int)]
    return _least(net, weight, out_nodes, s_in), _least(net, weight, in_nodes, s_out,
                                                        reverse=True)


def detour_costs(net: Network, stops: Stops, via: np.ndarray) -> np.ndarray:
    """Per stop, the least rupiah (any path of the network) of going there from any stop
    in ``via`` and back to any of them: what adding it to a trip through them may cost.

    Parameters
    ----------
    net : Network
        The travel network.
    stops : Stops
        The stops.
    via : ndarray of bool
        The stops already visited.

    Returns
    -------
    ndarray
        Rupiah (0 for the stops in ``via``; ``inf`` when none reaches it).
    """
    from scipy.sparse.csgraph import dijkstra

    st = stops.stops
    if not via.any():
        return np.full(len(st), np.inf)
    g = travel.to_csr(net, np.nan_to_num(np.asarray(net.cost, float), nan=0.0)).matrix
    idx = st["index"].to_numpy(int)
    outs, ins = net.origin(stops.stop_kind)[idx], net.destination(stops.stop_kind)[idx]
    go = dijkstra(g, indices=outs[via], min_only=True)[ins]
    back = dijkstra(g.T.tocsr(), indices=ins[via], min_only=True)[outs]
    return np.where(via, 0.0, np.asarray(go + back, float))


def workday_travel(net: Network, stops: Stops, spec: TripSpec
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per stop, the least minutes of workday-bound travel (modes not allowed after dark;
    not scheduled services or changes of mode) from any office to it and back, on any path.

    Parameters
    ----------
    net : Network
        The travel network.
    stops : Stops
        The stops and the offices.
    spec : TripSpec
        Which modes travel after dark.

    Returns
    -------
    go, back : ndarray
        Minutes there and back (``inf`` when no office reaches it).
    """
    days = np.zeros(len(net.u), np.int64)
    days[:len(net.days)] = net.days[:len(net.u)]
    bound = (~np.isin(net.mode, list(spec.after_dark)) & (net.mode != "transfer")
             & (days == 0))
    return _ends(net, stops, np.where(bound, net.minutes, 0.0))


def lone_trip_bounds(net: Network, stops: Stops, spec: TripSpec,
                     people: np.ndarray | None = None) -> np.ndarray:
    """A lower bound on what any trip serving each stop costs (rupiah, or team days with
    ``minimise = "days"``), whatever other stops it serves.

    A trip leaves an office and comes back to it, passing the stop: it pays the stop's own
    cost, its routes cost at least the cheapest path there and back (rupiah on the
    network, any path), and every
    minute of travel in a mode not allowed after dark and of service lies within the
    workday of some day, so it lasts at least (those minutes at the least / the workday)
    days, and at least the days ``people_per_day`` needs; one night fewer than its days.

    Parameters
    ----------
    net : Network
        The travel network.
    stops : Stops
        The stops and the offices.
    spec : TripSpec
        Workday, service and costs.
    people : ndarray, optional
        People the stop serves at the least (default: its ``people``).

    Returns
    -------
    ndarray
        Per stop, the bound (``inf`` when no office reaches it).
    """
    st = stops.stops
    go_cost, back_cost = _ends(net, stops, np.nan_to_num(np.asarray(net.cost, float), nan=0.0))
    go_day, back_day = workday_travel(net, stops, spec)
    ppl = st["people"].to_numpy(float) if people is None else np.asarray(people, float)
    work = go_day + back_day + spec.setup_minutes + spec.serve_minutes * ppl
    length = spec.workday[1] - spec.workday[0]
    n_days = np.maximum(np.ceil(work / length - 1e-9),
                        np.ceil(ppl / spec.people_per_day - 1e-9)).clip(min=1)
    if spec.minimise == "days":
        value = n_days
    else:
        blank = st["blank"].to_numpy(bool) if "blank" in st else np.zeros(len(st), bool)
        value = go_cost + back_cost + (n_days - 1) * spec.night_rupiah \
            + n_days * spec.day_rupiah + spec.stop_rupiah + spec.kit_rupiah * blank
    return np.where(np.isfinite(go_cost + back_cost), value, np.inf)


def _unservable(p: _Problem, stops: Stops, day0: dt.date) -> dict[int, str]:
    """The stops no plan can serve, each with why: the spec allows no service, a blank
    spot and no kits, no route from any office, or no lone trip fits the limits on any
    weekday from any office."""
    n, spec = len(p.people), p.spec
    reasons: dict[int, str] = {}
    why_not = workable(spec)
    blank = stops.stops["blank"].to_numpy(bool) if "blank" in stops.stops else np.zeros(n, bool)
    for s in range(n):
        if why_not:
            reasons[s] = why_not
        elif blank[s] and spec.kits < 1:
            reasons[s] = "in a signal blank spot: needs a satellite kit, teams have none"
        elif not np.isfinite(p.static[:p.n_off, p.loc(s)]).any():
            reasons[s] = "no route from any office"
        elif why := _why_unservable(p, s, day0):
            reasons[s] = why
    return reasons


def _why_unservable(p: _Problem, s: int, day0: dt.date) -> str:
    """Why no trip can serve stop ``s`` ("" when one can): a lone trip from each office,
    leaving on each day of the first week (a team's earlier trips may make it leave on any
    weekday), is timed; only when none fits the limits is the stop unservable, and the
    reason names the attempt that came closest (fewest days, then least cost)."""
    if any(ev.feasible for ev in _lone_trips(p, s)):
        return ""
    attempts = [(office, day) for office in range(p.n_off) for day in range(7)]
    loose = replace(p, spec=replace(p.spec, max_days=366, trip_budget=math.inf), memo={})
    tried = []
    for office, day in attempts:
        ev = evaluate(loose, office, [[s]], first_day=day)
        if ev.feasible:
            tr = ev.trips[0]
            tried.append((tr["days"], tr["cost"], office, day))
    if not tried:
        return "no trip can serve it: " + evaluate(p, 0, [[s]]).why
    days, cost, office, day = min(tried)
    when = day0 + dt.timedelta(days=day)
    limits = []
    if days > p.spec.max_days:
        limits.append(f"take {days} days (at most {p.spec.max_days})")
    if cost > p.spec.trip_budget + 1e-6:
        limits.append(f"cost Rp {cost:,.0f} (at most Rp {p.spec.trip_budget:,.0f})")
    return (f"no trip can serve it within the limits: at best, from {p.names[office]} "
            f"leaving {when:%a %Y-%m-%d}, a trip would {' and '.join(limits)}")


def _geometry(net: Network, p: _Problem, stops: Stops, evals: list[_Eval],
              trips: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """Each trip's route as one line (metric CRS) and its places in order."""
    import geopandas as gpd
    import shapely

    xy = np.r_[net.points["service"].xy[stops.offices["index"].to_numpy(int)],
               net.points[stops.stop_kind].xy[stops.stops["index"].to_numpy(int)]]
    geoms, rows = [], []
    number = 0
    for ti, ev in enumerate(evals):
        office = p.teams[ti][0]
        for tr in ev.trips:
            number += 1
            hops = [office, *(p.loc(s) for s in tr["stops"]), office]
            parts = []
            for a, b in itertools.pairwise(hops):
                line = travel.route_line(net, p.edges[a, b])
                parts.append(shapely.get_coordinates(line) if line is not None
                             else np.array([xy[a], xy[b]]))
            geoms.append(shapely.LineString(np.vstack(parts)))
            for order, loc in enumerate(hops[:-1]):
                rows.append({"trip": number, "order": order, "code": p.codes[loc],
                             "name": p.names[loc], "office": order == 0,
                             "x": float(xy[loc, 0]), "y": float(xy[loc, 1])})
    t = trips.assign(label=[f"Trip {r.trip} ({r.team}): {r.leaves} to {r.returns}, "
                            f"{r.days} day(s), {r.people:,.0f} people, Rp {r.cost:,.0f}"
                            for r in trips.itertuples()])
    lines = gpd.GeoDataFrame(t, geometry=geoms, crs=net.crs)
    return lines, pd.DataFrame(rows, columns=["trip", "order", "code", "name", "office",
                                              "x", "y"])


def _fits(p: _Problem, table: Combined, mask: int) -> bool:
    """Whether a subset's plan in ``table`` keeps within the total budget."""
    if mask not in table:
        return False
    cost = sum(evaluate(p, p.teams[ti][0], trips).cost for ti, trips in table[mask][1])
    return cost <= p.spec.total_budget + 1e-6


def _cheapest_table(p: _Problem, table: Combined, allowed: int) -> Combined:
    """The cheapest plan of every subset, to tell which fit the total budget: ``table``
    itself when it minimises cost or there is no budget; else a second exact solve
    minimising cost (a subset whose fewest-days plan is over the budget may still fit)."""
    if p.spec.minimise == "cost" or not math.isfinite(p.spec.total_budget):
        return table
    by_cost = replace(p, spec=replace(p.spec, minimise="cost"), memo={})
    cheap = _solve_exact(by_cost, allowed)
    # the same plans, valued as the days they take (the objective asked for)
    return {mask: (sum(evaluate(p, p.teams[ti][0], trips).objective for ti, trips in plan),
                   plan, free) for mask, (_, plan, free) in cheap.items()}


def _within_total_budget(p: _Problem, table: Combined, allowed: int) -> int:
    """The subset to serve: all stops when the total budget allows, else the one serving
    the most people within it (then the lowest objective)."""
    def cost(mask: int) -> float:
        return sum(evaluate(p, p.teams[ti][0], trips).cost for ti, trips in table[mask][1])

    if allowed in table and cost(allowed) <= p.spec.total_budget + 1e-6:
        return allowed
    best, best_key = 0, (0.0, 0.0)
    for mask, (obj, _, _) in table.items():
        people = float(sum(p.people[s] for s in range(len(p.people)) if mask >> s & 1))
        key = (people, -obj)
        if key > best_key and cost(mask) <= p.spec.total_budget + 1e-6:
            best, best_key = mask, key
    return best


def _cut_to_total_budget(p: _Problem, team_trips: list[list[list[int]]], evals: list[_Eval]
                         ) -> tuple[list[_Eval], list[int]]:
    """Drop the stops with the fewest people per rupiah saved until the total budget holds."""
    dropped: list[int] = []
    while sum(ev.cost for ev in evals) > p.spec.total_budget + 1e-6:
        best: tuple[float, int, int, list[list[int]], _Eval] | None = None
        for ti, trips in enumerate(team_trips):
            for s in {s for t in trips for s in t}:
                without = [t2 for t2 in ([x for x in t if x != s] for t in trips) if t2]
                ev = evaluate(p, p.teams[ti][0], without, record=True)
                saved = evals[ti].cost - ev.cost
                if ev.feasible and saved > 0:
                    ratio = p.people[s] / saved
                    if best is None or ratio < best[0]:
                        best = (ratio, ti, s, without, ev)
        if best is None:
            break
        _, ti, s, without, ev = best
        team_trips[ti], evals[ti] = without, ev
        dropped.append(s)
    return evals, dropped


def _refill_within_budget(p: _Problem, team_trips: list[list[list[int]]], evals: list[_Eval],
                          dropped: list[int], deadline: float = math.inf
                          ) -> tuple[list[_Eval], list[int]]:
    """After the cut to the total budget: stops put back where the budget still allows
    (the most people first, each at its cheapest place), then exchanges of a served stop
    for a dropped one with more people while the budget holds, until none helps."""
    if not dropped or not math.isfinite(p.spec.total_budget):
        return evals, dropped
    while dropped and time.perf_counter() < deadline:
        if any(_put_back(p, team_trips, evals, dropped, s)
               for s in sorted(dropped, key=lambda s: -p.people[s])):
            continue
        if not _exchange(p, team_trips, evals, dropped, deadline):
            break
    return evals, dropped


def _put_back(p: _Problem, team_trips: list[list[list[int]]], evals: list[_Eval],
              dropped: list[int], s: int) -> bool:
    """Stop ``s`` at its cheapest place, if the total budget still holds."""
    best = _best_insertion(p, team_trips, [ev.objective for ev in evals], s)
    if best is None:
        return False
    ti, new, _ = best
    ev = evaluate(p, p.teams[ti][0], new, record=True)
    if sum(e.cost for e in evals) - evals[ti].cost + ev.cost > p.spec.total_budget + 1e-6:
        return False
    team_trips[ti], evals[ti] = new, ev
    dropped.remove(s)
    return True


def _exchange(p: _Problem, team_trips: list[list[list[int]]], evals: list[_Eval],
              dropped: list[int], deadline: float = math.inf) -> bool:
    """A served stop given up for dropped ones serving more people within the budget (they
    are put back the most people first): the first such exchange is kept."""
    for ti in range(len(team_trips)):
        for r in sorted({x for t in team_trips[ti] for x in t}, key=lambda r: p.people[r]):
            if not any(p.people[s] > 0 for s in dropped) or time.perf_counter() > deadline:
                return False
            saved = [[list(t) for t in tt] for tt in team_trips], list(evals), list(dropped)
            team_trips[ti] = [t2 for t2 in ([x for x in t if x != r] for t in team_trips[ti])
                              if t2]
            evals[ti] = evaluate(p, p.teams[ti][0], team_trips[ti], record=True)
            dropped.append(r)
            gained = 0.0
            for s in sorted(dropped, key=lambda s: -p.people[s]):
                if s != r and _put_back(p, team_trips, evals, dropped, s):
                    gained += float(p.people[s])
            if gained > p.people[r] + 1e-9:
                return True
            team_trips[:], evals[:], dropped[:] = saved
    return False


def _people_bound(p: _Problem, stops: list[int]) -> float:
    """An upper bound on the people any plan serves within the total budget.

    Every served stop is entered once, by a route costing at least its cheapest way in
    (from an office or another stop), and its service takes at least ``ceil(people /
    daily capacity)`` days, so its trip at least that many nights less one: a cost no plan
    serving it avoids, and these costs add up over stops. The most people whose costs fit
    the budget (a fractional knapsack, taken whole but the last) bounds every plan.
    """
    sp = p.spec
    ws, we = sp.workday
    per_day = min(sp.people_per_day, (we - ws) / sp.serve_minutes if sp.serve_minutes > 0
                  else math.inf)
    cost = []
    for s in stops:
        way_in = float(np.min(np.r_[p.static_cost[:, p.loc(s)][np.arange(len(p.names))
                                                                != p.loc(s)], np.inf]))
        days = math.ceil(p.people[s] / per_day - 1e-9) if per_day > 0 else 1
        cost.append(way_in + max(days - 1, 0) * (sp.night_rupiah + sp.day_rupiah)
                    + float(p.stop_cost[s]))
    left, people = sp.total_budget, 0.0
    for c, s in sorted(zip(cost, stops, strict=True),
                       key=lambda cs: -p.people[cs[1]] / max(cs[0], 1e-9)):
        if c <= left:
            left -= c
            people += float(p.people[s])
        else:
            return people + float(p.people[s]) * max(left, 0.0) / c
    return people


def _stamp(day0: dt.date, t: float) -> str:
    moment = dt.datetime.combine(day0, dt.time()) + dt.timedelta(minutes=round(t))
    return moment.strftime("%Y-%m-%d %H:%M")


def _tables(p: _Problem, stops: Stops, evals: list[_Eval], day0: dt.date
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    trips: list[dict[str, Any]] = []
    number = 0
    stop_cost = {p.codes[p.loc(s)]: float(c) for s, c in enumerate(p.stop_cost)}
    for ti, ev in enumerate(evals):
        office, k = p.teams[ti]
        team = f"{p.codes[office]}/{k + 1}"
        for tr, log in zip(ev.trips, ev.log, strict=True):
            number += 1
            for seq, a in enumerate(_with_nights(p.spec, log, p.names[office], tr), 1):
                if a["activity"] == "set up":  # the stop's own cost, where it is paid
                    a = {**a, "cost": float(stop_cost.get(a["stop"], 0.0))}
                rows.append(_row(number, team, p.codes[office], day0, tr, seq, a))
            names = [p.names[p.loc(s)] for s in tr["stops"]]
            trips.append({"trip": number, "team": team, "office": p.codes[office],
                          "office_name": p.names[office],
                          "leaves": (day0 + dt.timedelta(days=tr["leave"])).isoformat(),
                          "returns": (day0 + dt.timedelta(days=tr["back"])).isoformat(),
                          "days": tr["days"], "nights": tr["nights"],
                          "stops": ";".join(p.codes[p.loc(s)] for s in tr["stops"]),
                          "stop_names": "; ".join(names), "people": tr["people"],
                          "travel_cost": tr["travel_cost"], "night_cost": tr["night_cost"],
                          "day_cost": tr["day_cost"], "stop_cost": tr["stop_cost"],
                          "cost": tr["cost"]})
    return (pd.DataFrame(rows, columns=ACTIVITY_COLUMNS),
            pd.DataFrame(trips, columns=TRIP_COLUMNS))


def _night(place: str, start: float, end: float, spec: TripSpec, note: str = ""
           ) -> dict[str, Any]:
    return {"activity": "overnight", "from": place, "to": place, "mode": "", "start": start,
            "end": end, "people": 0.0, "cost": spec.night_rupiah, "note": note, "stop": ""}


def _with_nights(spec: TripSpec, log: list[dict[str, Any]], office: str,
                 tr: dict[str, Any]) -> list[dict[str, Any]]:
    """A trip's activities with one ``overnight`` row for every night away, each costing
    ``night_rupiah``, and, when ``day_rupiah`` is set, a ``day`` row opening every day with
    its cost: the ``cost`` column then adds up to the trip's cost. A night spent waiting
    for a departure splits the wait (until the workday ends, the night, from the next
    workday on); a night on board a service that runs through it follows the ride."""
    ws, we = spec.workday
    out: list[dict[str, Any]] = []
    place = office
    nights = 0
    for a in log:
        start, end = a["start"], a["end"]
        if out and _day(start) > _last_day(out[-1]["end"]) and start > out[-1]["end"]:
            crossed = _day(start) - _last_day(out[-1]["end"])  # between activities
            out.append(_night(place, out[-1]["end"], start, spec))
            out.extend(_night(place, start, start, spec) for _ in range(crossed - 1))
            nights += crossed
        while a["activity"] == "wait" and _last_day(end) > _day(start):
            day = _day(start)
            stop = max(start, min(day * DAY + we, end))
            if stop > start:
                out.append({**a, "end": stop})
            nxt = min((day + 1) * DAY + ws, end)
            out.append(_night(a["to"], stop, nxt, spec, a["note"]))
            nights += 1
            start = nxt
            a = {**a, "start": nxt, "note": "continued"}
        if end > start or not out or a["activity"] != "wait":
            out.append({**a, "start": start, "end": end})
        place = a.get("_rest", a["to"])
        for _ in range(_last_day(end) - _day(start)):  # on board through the night
            out.append(_night(a["to"], end, end, spec, "on board"))
            nights += 1
    if nights != tr["nights"]:  # pragma: no cover - the clock and the rows disagree: a bug
        raise RuntimeError(f"trip rows hold {nights} nights, the trip {tr['nights']}")
    if spec.day_rupiah:  # a day opens the trip and follows each night: days = nights + 1
        out = [row for i, a in enumerate(out) for row in (
            [_day_row(a, spec), a] if i == 0 else
            [a, _day_row(a, spec, a["end"])] if a["activity"] == "overnight" else [a])]
    return out


def _day_row(a: dict[str, Any], spec: TripSpec, at: float | None = None) -> dict[str, Any]:
    at = a["start"] if at is None else at
    return {"activity": "day", "from": a["to"], "to": a["to"], "mode": "", "start": at,
            "end": at, "people": 0.0, "cost": spec.day_rupiah, "note": "cost of a trip day",
            "stop": ""}


def _row(number: int, team: str, office: str, day0: dt.date, tr: dict[str, Any], seq: int,
         a: dict[str, Any]) -> dict[str, Any]:
    day = math.floor(a["start"] / DAY)
    return {"trip": number, "team": team, "office": office, "day": day - tr["leave"] + 1,
            "date": (day0 + dt.timedelta(days=day)).isoformat(), "sequence": seq,
            "activity": a["activity"], "from": a["from"], "to": a["to"], "mode": a["mode"],
            "start": _stamp(day0, a["start"]), "end": _stamp(day0, a["end"]),
            "minutes": round(a["end"] - a["start"], 3), "people": round(a["people"], 3),
            "cost": round(a["cost"], 2), "stop": a["stop"], "note": a["note"]}
