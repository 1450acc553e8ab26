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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import optimise, travel
from .config import SitesSpec, _in_range
from .errors import InputError, Problem, ProblemCollector

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


def _site_kind(plan: Plan) -> str:
    """``candidate`` when the scenario names a candidate file, else ``village``."""
    return "candidate" if "candidate" in plan.network.stops else "village"


def site_info(plan: Plan) -> pd.DataFrame:
    """Every possible site (offices first, then candidates) with its name, area, metric
    coordinates, travel time and one-way cost from the nearest office, and signal."""
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


def build_problem(plan: Plan, spec: SitesSpec,
                  info: pd.DataFrame | None = None) -> optimise.CoverageProblem:
    """The coverage problem of a plan: demand villages (input order) × (offices, then the
    candidates: a candidate file's points, or every village)."""
    net = plan.network
    ind = _indicator(plan, spec)
    refs = net.points["village"].refs
    v = plan.villages.set_index("kode").loc[refs]
    demand = v[ind.gap_col].astype("Float64").fillna(0).to_numpy(float)
    info = site_info(plan) if info is None else info
    kind = _site_kind(plan)
    sites = np.r_[net.destination("service"), net.destination(kind)]
    t = travel.travel_table(net, sites, net.origin("village"), cutoff=spec.cover_minutes,
                            reverse=True)
    # a candidate the team cannot reach from any office cannot host a stop
    unreachable = ~np.isfinite(info["minutes_from_office"].to_numpy(float))
    t = t[~unreachable[t["site"].to_numpy()]]
    capacity = None
    if spec.people_per_day and spec.days:
        capacity = np.where(info["existing"], np.inf, spec.people_per_day * spec.days)
    return optimise.CoverageProblem.from_table(
        t, demand, info["code"].to_numpy(object), spec.cover_minutes,
        info["existing"].to_numpy(bool), info["needs_kit"].to_numpy(bool),
        2 * info["one_way_cost"].to_numpy(float), capacity)


def _in_blank_spot(plan: Plan, xy: np.ndarray) -> np.ndarray:
    """Whether each point (metric CRS) lies in a blank spot."""
    sig = plan.signal
    coverage = plan.scenario.signal_kind == "coverage"
    if sig is None or len(sig) == 0:
        return np.full(len(xy), coverage and sig is not None)
    inside = np.zeros(len(xy), bool)
    inside[shapely.STRtree(sig.geometry.values).query(shapely.points(xy),
                                                       predicate="within")[0]] = True
    return ~inside if coverage else inside


def _check_arguments(spec: SitesSpec, k: object, target: object, model: object) -> None:
    """Every argument of a site choice finite and in its range (all problems at once)."""
    pc = ProblemCollector()
    where = "choose_sites"
    if k is not None and (not isinstance(k, int | np.integer) or isinstance(k, bool)):
        pc.add(where, f"expected a whole number of sites, found {k!r}", column="k")
    elif k is not None:
        _in_range(pc, where, "", "k", int(k))
    if target is not None:
        _in_range(pc, where, "", "target", target)
    if model not in (None, "", "target", "max_coverage", "p_median"):
        pc.add(where, f"expected 'target', 'max_coverage' or 'p_median', found {model!r}",
               column="model")
    for key in ("cover_minutes", "k", "target", "kits", "budget", "people_per_day", "days",
                "time_limit"):
        v = getattr(spec, key)
        if v is not None:
            _in_range(pc, where, "", key, v)
    if spec.minimise not in ("sites", "cost"):
        pc.add(where, f"expected 'sites' or 'cost', found {spec.minimise!r}", column="minimise")
    pc.raise_if_any()


def choose_sites(plan: Plan, spec: SitesSpec | None = None, *, k: int | None = None,
                 target: float | None = None, model: str | None = None) -> SiteChoice:
    """Choose sites for a plan: ``k`` given -> max coverage; ``target`` given -> target
    mode; neither -> the scenario's ``[sites]`` model. ``model="p_median"`` with ``k``:
    the ``k`` sites minimising demand-weighted travel time to the nearest open site (pairs
    beyond the cover time count as unserved, at twice the longest time in the table).

    Raises
    ------
    InfeasibleError
        When the target cannot be reached (message: reachable X < needed Y).
    """
    spec = spec or plan.scenario.sites
    _check_arguments(spec, k, target, model)
    model = model or ("max_coverage" if k is not None else "target" if target is not None
                      else (spec.model or "target"))
    info = site_info(plan)
    p = build_problem(plan, spec, info)
    needed = None
    if model == "target":
        _, needed = needed_people(plan, spec, target)
        sol = optimise.min_sites_for_target(p, needed, kits=spec.kits, budget=spec.budget,
                                            minimise=spec.minimise,
                                            time_limit=spec.time_limit)
    elif model == "p_median":
        sol = optimise.p_median(p, k if k is not None else spec.k, time_limit=spec.time_limit)
    else:
        sol = optimise.max_coverage(p, k if k is not None else spec.k, kits=spec.kits,
                                    budget=spec.budget, time_limit=spec.time_limit)
    return _describe(plan, spec, p, sol, needed, model, info)


def _describe(plan: Plan, spec: SitesSpec, p: optimise.CoverageProblem,
              sol: optimise.Solution, needed: float | None, model: str,
              info: pd.DataFrame) -> SiteChoice:
    net = plan.network
    refs = net.points["village"].refs
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
    office_names = dict(zip(net.points["service"].refs, net.points["service"].labels,
                            strict=True))
    rows = []
    cum = 0.0
    rank = 0
    for j, gain in zip(open_, gains, strict=True):
        is_office = j < n_off
        rank = 0 if is_office else rank + 1
        cum += gain
        code = p.site_ids[j]
        r = info.iloc[j]
        name, kec, kab = r["name"], r["kecamatan"], r["kabupaten"]
        minutes_from, office, trip = r["minutes_from_office"], r["office"], p.cost[j]
        rows.append({
            "rank": rank, "site_code": code, "site_name": name, "kecamatan": kec,
            "kabupaten": kab, "existing_office": is_office,
            "people_newly_covered": round(gain, 1), "cumulative_people": round(cum, 1),
            "cumulative_share_of_target": (round(cum / needed, 4) if needed else np.nan),
            "villages_served": int(served_by.get(code, 0)),
            "travel_minutes_from_office": round(float(minutes_from), 1),
            "nearest_office": office, "nearest_office_name": office_names.get(office, ""),
            "satellite_kit_needed": bool(p.needs_kit[j]),
            "x": float(r["x"]), "y": float(r["y"]),
            "round_trip_cost": round(float(trip), 0),
            "model": model, "solver": sol.solver, "status": sol.status,
            "optimality_gap": round(sol.gap, 6),
        })
    sites = pd.DataFrame(rows)
    lonlat = shapely.get_coordinates(gpd.GeoSeries(gpd.points_from_xy(sites["x"], sites["y"]),
                                                   crs=net.crs).to_crs(4326).values)
    sites.insert(5, "lon", np.round(lonlat[:, 0], 6))
    sites.insert(6, "lat", np.round(lonlat[:, 1], 6))
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
