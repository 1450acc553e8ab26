"""Choose the next mobile-service sites for a plan and say what each buys.

Candidates are the villages' representative points; existing offices are always open. The
demand is the gap of one indicator (people). The travel-time table runs from each village to
each site (residents travel to the stop) and is cut at the cover time. Models and solvers are
in :mod:`planner.optimise`; this module builds the problem from a plan and writes the answer
as tables: ``sites.csv`` (one row per site), ``coverage.csv`` (coverage now and after, per
indicator and kabupaten) and ``site_villages.csv`` (which site serves which village).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from . import optimise, travel
from .config import SitesSpec
from .errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Plan


@dataclass
class SiteChoice:
    """The chosen sites and what they buy.

    Attributes
    ----------
    sites : DataFrame
        One row per open site: existing offices (``rank`` 0) then new sites in the order
        each adds the most (``rank`` 1, 2, ...).
    coverage : DataFrame
        Per indicator and area (province, then kabupaten): eligible, served, coverage now,
        people the new sites reach, coverage after, target.
    assignment : DataFrame
        Each covered village, the open site serving it (the nearest) and the minutes.
    solution : optimise.Solution
    needed : float or None
        People needed to reach the target (target mode).
    """

    sites: pd.DataFrame
    coverage: pd.DataFrame
    assignment: pd.DataFrame
    solution: optimise.Solution
    needed: float | None
    spec: SitesSpec

    def summary(self) -> str:
        """One paragraph for managers."""
        new = self.sites[self.sites["rank"] > 0]
        s = self.solution
        reach = float(self.sites["people_newly_covered"].sum())
        text = (f"{len(new)} new site(s) reach {new['people_newly_covered'].sum():,.0f} more "
                f"people (with the existing offices: {reach:,.0f}) within "
                f"{self.spec.cover_minutes:g} min")
        if self.needed is not None:
            text += f"; the target needs {self.needed:,.0f}"
        kits = int(new["satellite_kit_needed"].sum())
        text += (f"; {kits} satellite kit(s) needed; solver {s.solver} ({s.status}), proven gap "
                 f"{100 * s.gap:.2f}%")
        return text


def needed_people(plan: Plan, spec: SitesSpec, target: float | None = None) -> tuple[float, float]:
    """(target share, people needed): ``ceil(share × eligible) − served``, at least 0."""
    ind = _indicator(plan, spec)
    share = target if target is not None else (spec.target or ind.target)
    if share is None:
        raise InputError([Problem("scenario", f"no target for indicator '{ind.key}': set "
                                  "[sites] target or the indicator's target", column="target")])
    v = plan.villages
    eligible = int(v[ind.eligible_col].sum())
    served = int(v[ind.served_col].sum())
    return share, float(max(0, math.ceil(round(share * eligible, 6)) - served))


def _indicator(plan: Plan, spec: SitesSpec):
    for ind in plan.scenario.indicators:
        if ind.key == spec.indicator:
            return ind
    raise InputError([Problem("scenario", f"unknown indicator {spec.indicator!r}",
                              column="indicator")])


def build_problem(plan: Plan, spec: SitesSpec) -> optimise.CoverageProblem:
    """The coverage problem of a plan: demand villages (input order) × (offices, villages)."""
    net = plan.network
    ind = _indicator(plan, spec)
    refs = net.points["village"].refs
    v = plan.villages.set_index("kode").loc[refs]
    demand = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
    sites = np.r_[net.destination("service"), net.destination("village")]
    n_off = len(net.points["service"].refs)
    t = travel.travel_table(net, sites, net.origin("village"), cutoff=spec.cover_minutes,
                            reverse=True)
    # a village the team cannot reach from any office cannot host a stop
    unreachable = ~np.isfinite(v["travel_minutes"].to_numpy(float))
    t = t[~np.isin(t["site"].to_numpy(), n_off + np.flatnonzero(unreachable))]
    needs_kit = np.r_[np.zeros(n_off, bool), _in_blank_spot(plan, refs)]
    cost = np.r_[np.zeros(n_off), 2 * v.get("travel_cost", pd.Series(0.0, index=v.index))
                 .fillna(0).to_numpy(float)]
    capacity = None
    if spec.people_per_day and spec.days:
        capacity = np.full(len(sites), spec.people_per_day * spec.days)
        capacity[:n_off] = np.inf
    ids = np.r_[np.array(net.points["service"].refs, dtype=object),
                np.array(refs, dtype=object)]
    forced = np.r_[np.ones(n_off, bool), np.zeros(len(refs), bool)]
    return optimise.CoverageProblem.from_table(t, demand, ids, spec.cover_minutes, forced,
                                               needs_kit, cost, capacity)


def _in_blank_spot(plan: Plan, refs: list[str]) -> np.ndarray:
    """Whether each village's representative point lies in a blank spot."""
    sig = plan.signal
    xy = plan.network.points["village"].xy
    coverage = plan.scenario.signal_kind == "coverage"
    if sig is None or len(sig) == 0:
        return np.full(len(refs), coverage and sig is not None)
    pts = shapely.points(xy)
    inside = np.zeros(len(refs), bool)
    inside[shapely.STRtree(sig.geometry.values).query(pts, predicate="within")[0]] = True
    return ~inside if coverage else inside


def choose_sites(plan: Plan, spec: SitesSpec | None = None, *, k: int | None = None,
                 target: float | None = None) -> SiteChoice:
    """Choose sites for a plan: ``k`` given -> max coverage; ``target`` given -> target
    mode; neither -> the scenario's ``[sites]`` model.

    Raises
    ------
    InfeasibleError
        When the target cannot be reached (message: reachable X < needed Y).
    """
    spec = spec or plan.scenario.sites
    model = "max_coverage" if k is not None else "target" if target is not None else (
        spec.model or "target")
    p = build_problem(plan, spec)
    needed = None
    if model == "target":
        _, needed = needed_people(plan, spec, target)
        sol = optimise.min_sites_for_target(p, needed, kits=spec.kits, budget=spec.budget,
                                            minimise=spec.minimise,
                                            time_limit=spec.time_limit)
    else:
        sol = optimise.max_coverage(p, k if k is not None else spec.k, kits=spec.kits,
                                    budget=spec.budget, time_limit=spec.time_limit)
    return _describe(plan, spec, p, sol, needed, model)


def _describe(plan: Plan, spec: SitesSpec, p: optimise.CoverageProblem,
              sol: optimise.Solution, needed: float | None, model: str) -> SiteChoice:
    net = plan.network
    refs = net.points["village"].refs
    v = plan.villages.set_index("kode")
    n_off = int(p.forced.sum())
    open_ = sol.open
    gains = optimise.marginal_gains(p, open_)
    # each covered village is served by its nearest open site
    mins = p.minutes[:, open_].tocsr()
    assign_rows = []
    for i in range(p.n):
        row = mins.indices[mins.indptr[i]:mins.indptr[i + 1]]
        if len(row):
            vals = mins.data[mins.indptr[i]:mins.indptr[i + 1]]
            j = open_[row[np.argmin(vals)]]
            assign_rows.append((refs[i], p.site_ids[j], float(vals.min()) - 1e-12))
    assignment = pd.DataFrame(assign_rows, columns=["kode", "site", "minutes"])
    served_by = assignment.groupby("site")["kode"].count()
    rows = []
    cum = 0.0
    rank = 0
    for j, gain in zip(open_, gains, strict=True):
        is_office = j < n_off
        rank = 0 if is_office else rank + 1
        cum += gain
        code = p.site_ids[j]
        if is_office:
            name, kec, kab = (net.points["service"].labels[j], "", "")
            minutes_from, office, trip = 0.0, code, 0.0
        else:
            r = v.loc[code]
            name, kec, kab = r["nama"], r.get("kecamatan", ""), r.get("kabupaten", "")
            minutes_from, office, trip = r["travel_minutes"], r["nearest_service"], p.cost[j]
        rows.append({
            "rank": rank, "site_code": code, "site_name": name, "kecamatan": kec,
            "kabupaten": kab, "existing_office": is_office,
            "people_newly_covered": round(gain, 1), "cumulative_people": round(cum, 1),
            "cumulative_share_of_target": (round(cum / needed, 4) if needed else np.nan),
            "villages_served": int(served_by.get(code, 0)),
            "travel_minutes_from_office": round(float(minutes_from), 1),
            "nearest_office": office,
            "satellite_kit_needed": bool(p.needs_kit[j]),
            "round_trip_cost": round(float(trip), 0),
            "model": model, "solver": sol.solver, "status": sol.status,
            "optimality_gap": round(sol.gap, 6),
        })
    sites = pd.DataFrame(rows)
    office_cov = (p.cover @ p.forced.astype(float)) > 0
    coverage = _coverage(plan, assignment, sites, [refs[i] for i in np.flatnonzero(office_cov)])
    return SiteChoice(sites, coverage, assignment, sol, needed, spec)


def _coverage(plan: Plan, assignment: pd.DataFrame, sites: pd.DataFrame,
              office_reach: list[str]) -> pd.DataFrame:
    """Coverage now and after the new sites serve every gap they cover, per indicator and
    area. Villages covered only by existing offices count as reached already (no change)."""
    v = plan.villages.set_index("kode")
    new_codes = set(sites.loc[sites["rank"] > 0, "site_code"])
    by_new = set(assignment.loc[assignment["site"].isin(new_codes), "kode"])
    reached = v.index.isin(list(by_new - set(office_reach)))
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
            E, S, G = e[m].sum(), s[m].sum(), g[m & reached].sum()
            rows.append({"indicator": ind.key, "level": level, "area": name,
                         "eligible": int(E), "served": int(S),
                         "coverage_now": round(S / E, 6) if E else np.nan,
                         "reached_by_new_sites": int(G),
                         "coverage_after": round((S + G) / E, 6) if E else np.nan,
                         "target": ind.target if ind.target is not None else np.nan})
    return pd.DataFrame(rows)
