"""Choose mobile-service sites on a village × site travel-time table (never on geometries).

Models (all take a :class:`CoverageProblem`, built from a long table or a small matrix):

- :func:`max_coverage`: choose ``k`` new sites to cover the most demand;
- :func:`min_sites_for_target`: the fewest sites (or the least total trip cost) covering at
  least a target number of people;
- :func:`p_median`: ``k`` sites minimising demand-weighted travel time.

A village is covered by a site when its travel time to the site is within the cover time.
Existing service points are always open. Side constraints: at most ``kits`` satellite kits
(one per chosen site in a blank spot), a total trip-cost ``budget``, and optional site
``capacity`` (people per day × days).

Exact answers come from a MILP solved by HiGHS (``highspy``) on a reduced sparse model
(villages nobody can cover dropped; villages with identical coverage merged), with a time
limit; the answer carries HiGHS's proven bound and gap. A greedy + 1-swap local search gives a
warm start and the fallback. :func:`lagrangian_bound` gives a proven upper bound for max
coverage that scales to national size (subgradient steps on the sparse coverage matrix).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError, InputError, Problem
from .milp import Milp, relative_gap, solve_milp

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Minimise


@dataclass(frozen=True)
class CoverageProblem:
    """Demand villages, candidate sites and which candidate covers which village.

    Attributes
    ----------
    demand : ndarray (n,)
        People to serve per village (e.g. the e-KTP gap).
    cover : scipy.sparse.csr_matrix (n, m), bool
        ``cover[i, j]``: site ``j`` covers village ``i`` (travel time within the cover time).
    minutes : scipy.sparse.csr_matrix (n, m)
        Travel time of each covering pair (minutes), for p-median and reports.
    site_ids : ndarray (m,)
        Site codes.
    forced : ndarray (m,) bool
        Sites always open (existing offices).
    needs_kit : ndarray (m,) bool
        Sites in a blank spot: a satellite kit is needed to record there.
    cost : ndarray (m,)
        Trip cost of opening a site (rupiah; 0 if unknown).
    capacity : ndarray (m,) or None
        People a site can serve (None = unlimited).
    """

    demand: np.ndarray
    cover: sp.csr_matrix
    minutes: sp.csr_matrix
    site_ids: np.ndarray
    forced: np.ndarray
    needs_kit: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of demand villages (rows)."""
        return int(self.cover.shape[0])

    @property
    def m(self) -> int:
        """Number of candidate sites (columns), offices first."""
        return int(self.cover.shape[1])

    @classmethod
    def from_table(cls, table: pd.DataFrame, demand: np.ndarray, site_ids: np.ndarray,
                   cover_minutes: float, forced: np.ndarray | None = None,
                   needs_kit: np.ndarray | None = None, cost: np.ndarray | None = None,
                   capacity: np.ndarray | None = None) -> CoverageProblem:
        """From a long table with integer columns ``village``, ``site`` and ``minutes``.

        Parameters
        ----------
        table : DataFrame
            ``village`` and ``site`` (row and column indices) and ``minutes``.
        demand : ndarray of float
            People per village.
        site_ids : ndarray
            The sites' codes (offices first).
        cover_minutes : float
            A village is covered by a site it reaches within this time.
        forced : ndarray of bool, optional
            Sites that stay open (the offices).
        needs_kit : ndarray of bool, optional
            Sites in a signal blank spot.
        cost : ndarray of float, optional
            Round-trip cost of each site (rupiah).
        capacity : ndarray of float, optional
            People a visit can serve at each site.

        Returns
        -------
        CoverageProblem
            The problem.
        """
        n, m = len(demand), len(site_ids)
        t = table[table["minutes"] <= cover_minutes * (1 + 1e-9) + 1e-9]  # float-safe
        vi, si = t["village"].to_numpy(), t["site"].to_numpy()
        mins = sp.csr_matrix((t["minutes"].to_numpy(dtype=float) + 1e-12, (vi, si)),
                             shape=(n, m))
        cover = sp.csr_matrix((np.ones(len(t), bool), (vi, si)), shape=(n, m))
        return cls(np.asarray(demand, float), cover, mins, np.asarray(site_ids),
                   np.zeros(m, bool) if forced is None else np.asarray(forced, bool),
                   np.zeros(m, bool) if needs_kit is None else np.asarray(needs_kit, bool),
                   np.zeros(m) if cost is None else np.nan_to_num(np.asarray(cost, float)),
                   None if capacity is None else np.asarray(capacity, float))

    @classmethod
    def from_matrix(cls, minutes: np.ndarray, demand: np.ndarray, cover_minutes: float,
                    **kwargs: Any) -> CoverageProblem:
        """From a dense village × site matrix of minutes (``inf`` = no path).

        Parameters
        ----------
        minutes : ndarray (n, m)
            Travel minutes village × site.
        demand : ndarray of float
            People per village.
        cover_minutes : float
            A village is covered by a site it reaches within this time.
        **kwargs
            The other arguments of :meth:`from_table`.

        Returns
        -------
        CoverageProblem
            The problem.
        """
        mat = np.asarray(minutes, float)
        vi, si = np.nonzero(np.isfinite(mat))
        table = pd.DataFrame({"village": vi, "site": si, "minutes": mat[vi, si]})
        site_ids = kwargs.pop("site_ids", np.arange(mat.shape[1]).astype(str))
        return cls.from_table(table, demand, site_ids, cover_minutes, **kwargs)


@dataclass
class Solution:
    """Chosen sites and what they buy.

    Attributes
    ----------
    open : ndarray of int
        Indices of open sites (forced ones included), in the order they were added.
    objective : float
        Covered demand (people) for coverage models; number of sites or cost for target;
        demand-weighted minutes for p-median.
    bound : float
        Best proven bound on the objective (upper for max, lower for min).
    gap : float
        Relative optimality gap ``|bound - objective| / max(|objective|, 1e-9)``.
    solver : str
        Who answered: ``highs`` (optimal or time-limited), ``greedy+swap``, ``lagrangian``.
    status : str
    seconds : float
    """

    open: np.ndarray
    objective: float
    bound: float
    gap: float
    solver: str
    status: str
    seconds: float
    details: dict[str, object] = field(default_factory=dict)


def covered_demand(p: CoverageProblem, sites: np.ndarray) -> float:
    """Demand covered by a set of open sites (no capacity).

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    sites : ndarray of int
        The open sites.

    Returns
    -------
    float
        People covered.
    """
    mask = np.zeros(p.m, bool)
    mask[np.asarray(sites, int)] = True
    hit = (p.cover @ mask.astype(float)) > 0
    return float(p.demand[hit].sum())


def marginal_gains(p: CoverageProblem, order: np.ndarray) -> np.ndarray:
    """People newly covered by each site when the sites open in ``order``.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    order : ndarray of int
        Sites in opening order.

    Returns
    -------
    ndarray of float
        People each adds.
    """
    covered = np.zeros(p.n, bool)
    gains = []
    cover_csc = p.cover.tocsc()
    for j in order:
        rows = cover_csc.indices[cover_csc.indptr[j]:cover_csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        gains.append(float(p.demand[new].sum()))
        covered[new] = True
    return np.array(gains)


def _feasible_add(p: CoverageProblem, j: int, used_kits: int, spent: float,
                  kits: int | None, budget: float | None) -> bool:
    if kits is not None and p.needs_kit[j] and used_kits + 1 > kits:
        return False
    return not (budget is not None and spent + p.cost[j] > budget + 1e-9)


def greedy(p: CoverageProblem, k: int | None = None, target: float | None = None,
           kits: int | None = None, budget: float | None = None,
           per_cost: bool = False) -> np.ndarray:
    """Greedy: open the feasible site that covers the most uncovered demand, repeatedly.

    Per rupiah when ``per_cost``; until ``k`` new sites or the ``target`` is reached.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    k : int, optional
        New sites to open.
    target : float, optional
        People to reach (with the forced sites).
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost of the chosen sites (rupiah).
    per_cost : bool, default False
        Rank sites by people per rupiah.

    Returns
    -------
    ndarray of int
        The sites opened, forced ones first.
    """
    cover_csc = p.cover.tocsc()
    covered = np.zeros(p.n, bool)
    forced = np.flatnonzero(p.forced)
    for f in forced:
        covered[cover_csc.indices[cover_csc.indptr[f]:cover_csc.indptr[f + 1]]] = True
    chosen: list[int] = []
    used_kits, spent = 0, 0.0
    available = ~p.forced
    while True:
        if k is not None and len(chosen) >= k:
            break
        got = float(p.demand[covered].sum())
        if target is not None and got >= target - 1e-9:
            break
        gains = cover_csc.T @ np.where(covered, 0.0, p.demand)
        score = gains / np.maximum(p.cost, 1.0) if per_cost else gains.copy()
        score[~available] = -1
        j = -1
        for cand in np.argsort(-score, kind="stable").tolist():
            if score[cand] <= 0:
                break
            if _feasible_add(p, cand, used_kits, spent, kits, budget):
                j = cand
                break
            available[cand] = False
        if j < 0:
            break
        chosen.append(int(j))
        available[j] = False
        used_kits += int(p.needs_kit[j])
        spent += float(p.cost[j])
        covered[cover_csc.indices[cover_csc.indptr[j]:cover_csc.indptr[j + 1]]] = True
    return np.array(chosen, dtype=np.int64)


def swap_search(p: CoverageProblem, chosen: np.ndarray, kits: int | None = None,
                budget: float | None = None, max_rounds: int = 50,
                time_limit: float = 60.0) -> np.ndarray:
    """1-swap local search for max coverage.

    Replace an open site by a closed one while that covers more demand (kits and budget
    respected). Keeps, for each village, how many open sites cover it; trying every
    replacement of one site then costs one sparse product.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    chosen : ndarray of int
        The starting sites.
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost of the chosen sites (rupiah).
    max_rounds : int, default 50
        Passes over the sites at most.
    time_limit : float, default 60
        Seconds at most.

    Returns
    -------
    ndarray of int
        The improved sites.
    """
    t0 = time.perf_counter()
    open_sites = [int(j) for j in chosen]
    cover = p.cover.tocsr().astype(float)
    cover_csc = cover.tocsc()
    cov_t = cover_csc.T.tocsr()
    open_mask = p.forced.copy()
    open_mask[open_sites] = True
    cnt = cover @ open_mask.astype(float)
    for _ in range(max_rounds):
        improved = False
        for pos in range(len(open_sites)):
            if time.perf_counter() - t0 > time_limit:
                return np.array(open_sites, dtype=np.int64)
            j = open_sites[pos]
            rows = cover_csc.indices[cover_csc.indptr[j]:cover_csc.indptr[j + 1]]
            loss = float(p.demand[rows][cnt[rows] == 1].sum())
            w = np.where(cnt == 0, p.demand, 0.0)
            only_j = rows[cnt[rows] == 1]
            w[only_j] = p.demand[only_j]
            gains = cov_t @ w
            gains[open_mask] = -np.inf
            others = [c for c in open_sites if c != j]
            used = int(p.needs_kit[others].sum())
            spent = float(p.cost[others].sum())
            for jj in np.argsort(-gains, kind="stable")[:20]:
                if gains[jj] <= loss + 1e-9:
                    break
                if _feasible_add(p, int(jj), used, spent, kits, budget):
                    cnt[rows] -= 1
                    new_rows = cover_csc.indices[cover_csc.indptr[jj]:cover_csc.indptr[jj + 1]]
                    cnt[new_rows] += 1
                    open_mask[j], open_mask[jj] = False, True
                    open_sites[pos] = int(jj)
                    improved = True
                    break
        if not improved:
            break
    return np.array(open_sites, dtype=np.int64)


# --- exact MILP through HiGHS -------------------------------------------------------------

def _reduce(p: CoverageProblem) -> tuple[np.ndarray, sp.csr_matrix, float]:
    """Drop villages nobody can cover or that forced sites cover; merge identical rows.

    Returns demand of the kept rows, their coverage over candidates, and the demand the
    forced sites cover (a constant of the objective).
    """
    forced_cov = (p.cover @ p.forced.astype(float)) > 0
    const = float(p.demand[forced_cov].sum())
    keep = ~forced_cov & (np.diff(p.cover.indptr) > 0) & (p.demand > 0)
    sub = p.cover[keep].astype(float).tocsr()
    sub.sort_indices()
    keys = [sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tobytes() for i in range(sub.shape[0])]
    codes = pd.factorize(pd.Series(keys, dtype=object))[0]
    dem = np.bincount(codes, weights=p.demand[keep]) if len(codes) else np.zeros(0)
    _, first = np.unique(codes, return_index=True)
    return dem, sub[first].tocsr(), const


def _side_rows(p: CoverageProblem, cols: np.ndarray, kits: int | None, budget: float | None
               ) -> tuple[list[np.ndarray], list[float], list[float]]:
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    if kits is not None:
        rows.append(p.needs_kit[cols].astype(float))
        lo.append(-np.inf)
        hi.append(float(kits))
    if budget is not None:
        rows.append(p.cost[cols].astype(float))
        lo.append(-np.inf)
        hi.append(float(budget))
    return rows, lo, hi


GUIDED_MIN_NNZ = 50_000
"""Above this many coverage pairs the exact path first computes the Lagrangian bound and an
LP-guided solution (the MILP's warm start, or already proven optimal)."""

EXACT_MAX_NNZ = 1_500_000
"""Above this many coverage pairs (after reduction) ``method="auto"`` skips the MILP: at
national size HiGHS does not finish its root LP in minutes; greedy + swap with a Lagrangian
bound answers instead, with a proven gap."""


def _max_coverage_heuristic(p: CoverageProblem, k: int, start: np.ndarray, heur: float,
                            kits: int | None, budget: float | None, time_limit: float,
                            t0: float) -> Solution:
    """Max coverage without a MILP: the greedy+swap answer, improved by an LP-guided start
    and bounded by the Lagrangian when there are no kit or budget limits."""
    forced = np.flatnonzero(p.forced)
    bound = np.inf
    status, solver = "heuristic", "greedy+swap"
    best, best_val = start, heur
    if kits is None and budget is None and p.capacity is None:
        bound, frac = lagrangian_bound(p, k, max_seconds=time_limit / 2)
        status = "heuristic with Lagrangian bound"
        guided = _lp_guided(p, k, frac, time_limit=time_limit / 4)
        if guided is not None and len(guided):
            guided = swap_search(p, guided, time_limit=time_limit / 4)
            val = covered_demand(p, np.r_[forced, guided])
            if val > best_val:
                best, best_val, solver = guided, val, "lp-guided highs+swap"
    order = _order_by_gain(p, forced, best)
    return Solution(np.r_[forced, order], best_val, bound, relative_gap(best_val, bound), solver,
                    status, time.perf_counter() - t0, {"greedy+swap": heur})


def _guided(p: CoverageProblem, k: int, start: np.ndarray, heur: float, integer: bool,
            time_limit: float, t0: float) -> tuple[Solution | None, np.ndarray, float]:
    """Large tables: the Lagrangian bound and an LP-guided start. Returns a finished
    solution when the bound proves the start optimal (integer demand, within 1 person) or
    fixing by the bound leaves a smaller model to solve; else None with the better start."""
    forced = np.flatnonzero(p.forced)
    bound, frac, profit = lagrangian(p, k, max_seconds=time_limit / 4)
    guided = _lp_guided(p, k, frac, time_limit=time_limit / 4)
    if guided is not None and len(guided):
        guided = swap_search(p, guided, time_limit=time_limit / 8)
        if covered_demand(p, np.r_[forced, guided]) > heur:
            start, heur = guided, covered_demand(p, np.r_[forced, guided])
    if integer and bound - heur < 1 - 1e-9:
        order = _order_by_gain(p, forced, start)
        return (Solution(np.r_[forced, order], heur, bound, relative_gap(heur, bound),
                         "lp-guided highs+swap", "Optimal (proven by the Lagrangian bound)",
                         time.perf_counter() - t0), start, heur)
    if integer:
        fixed_open, fixed_closed = fix_by_bound(p, k, bound, heur, profit)
        fixed_open &= ~p.forced
        fixed_closed &= ~p.forced
        if fixed_open.any() or fixed_closed.any():
            return (_solve_fixed(p, k, (fixed_open, fixed_closed), (start, heur), bound,
                                 time_limit - (time.perf_counter() - t0), t0), start, heur)
    return None, start, heur


def max_coverage(p: CoverageProblem, k: int, kits: int | None = None,
                 budget: float | None = None, time_limit: float = 60.0, exact: bool = True,
                 method: str = "auto", start: np.ndarray | None = None) -> Solution:
    """Choose at most ``k`` new sites covering the most demand.

    MILP: max Σ d_r y_r  s.t.  y_r ≤ Σ_j a_rj x_j,  Σ x_j ≤ k,  kits and budget rows,
    x binary, 0 ≤ y ≤ 1 (identical rows merged). Capacity, when set, turns coverage into
    assignment (z_rj ≤ x_j, Σ_j z_rj ≤ 1, Σ_r d_r z_rj ≤ cap_j x_j). At most ``k``: a site
    that would add nobody is not opened, and when ``k`` is more than the candidates all of
    them may open; the status then says how many were opened of the ``k`` asked.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    k : int
        New sites, at most (>= 0).
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost of the chosen sites (rupiah).
    time_limit : float, default 60
        Seconds HiGHS may use.
    exact : bool, default True
        Solve the MILP (else greedy + swap with the Lagrangian bound).
    method : str, default "auto"
        ``"auto"``, ``"milp"``, ``"guided"`` (the MILP on the sites the bound leaves open).
    start : ndarray of int, optional
        A warm start.

    Returns
    -------
    Solution
        The sites, the people covered, the proven bound and gap, the solver and status.

    Raises
    ------
    InputError
        When ``k`` is negative.
    """
    if k < 0:
        raise InputError([Problem("max_coverage", f"expected k >= 0, found {k}", column="k")])
    sol = _max_coverage_solve(p, k, kits, budget, time_limit, exact, method, start)
    opened = int((~p.forced[np.asarray(sol.open, int)]).sum()) if len(sol.open) else 0
    free = int((~p.forced).sum())
    if k > free:
        return replace(sol, status=f"{sol.status}; k = {k} is more than the {free} "
                                   f"candidates: {opened} opened")
    if opened < k:
        return replace(sol, status=f"{sol.status}; {opened} of the k = {k} opened (another "
                                   "would add nobody, or the kits or budget stop it)")
    return sol


def _max_coverage_solve(p: CoverageProblem, k: int, kits: int | None = None,
                 budget: float | None = None, time_limit: float = 60.0,
                 exact: bool = True, method: str = "auto",
                 start: np.ndarray | None = None) -> Solution:
    """The model of :func:`max_coverage` (``k`` already at most the candidates)."""
    t0 = time.perf_counter()
    free = np.flatnonzero(~p.forced)
    k = min(k, len(free))
    if start is None:
        start = greedy(p, k=k, kits=kits, budget=budget)
        start = swap_search(p, start, kits, budget, time_limit=time_limit / 2)
    forced = np.flatnonzero(p.forced)
    heur = covered_demand(p, np.r_[forced, start])
    if method == "auto" and exact and p.capacity is None:
        dem, A, _ = _reduce(p)
        if A.nnz > EXACT_MAX_NNZ:
            method = "heuristic"
    if not exact or method == "heuristic":
        return _max_coverage_heuristic(p, k, start, heur, kits, budget, time_limit, t0)
    if p.capacity is not None:
        return _max_coverage_capacity(p, k, kits, budget, time_limit, t0, start)
    dem, A, const = _reduce(p)
    options: dict[str, object] = {}
    if np.all(np.mod(p.demand, 1) == 0):
        options["mip_abs_gap"] = 0.999  # integer objective: a gap under 1 proves optimality
    if A.nnz > GUIDED_MIN_NNZ and kits is None and budget is None and method != "milp":
        # a bound and an LP-guided start first: often optimal already, and it proves so
        # when the bound is within 1 person; else it is HiGHS's warm start
        done, start, heur = _guided(p, k, start, heur, "mip_abs_gap" in options, time_limit,
                                    t0)
        if done is not None:
            return done
    # the model is already reduced (duplicate and dominated rows merged, forced sites'
    # villages taken out): HiGHS's presolve finds little and costs more than the solve on
    # small tables (19 solves of the Kaltara trade-off curve: 1.9 s with it, 0.7 s without)
    options["presolve"] = "off"
    r = A.shape[0]
    cols = free
    Ax = A[:, cols]
    # variables: x (len cols), y (r)
    c = np.r_[np.zeros(len(cols)), dem]
    lower = np.zeros(len(cols) + r)
    upper = np.ones(len(cols) + r)
    integer = np.r_[np.ones(len(cols), bool), np.zeros(r, bool)]
    cover_rows = sp.hstack([-Ax, sp.identity(r)]).tocsr()  # y - Σ a x <= 0
    extra, lo, hi = _side_rows(p, cols, kits, budget)
    card = sp.csr_matrix(np.r_[np.ones(len(cols)), np.zeros(r)])
    blocks = [cover_rows, card] + [sp.csr_matrix(np.r_[e, np.zeros(r)]) for e in extra]
    M = sp.vstack(blocks).tocsr()
    # at most k: coverage never falls when a site opens, so this equals "exactly k" whenever
    # k sites fit the kits and budget, and stays feasible when they do not
    row_lo = np.r_[np.full(r, -np.inf), 0, lo]
    row_hi = np.r_[np.zeros(r), k, hi]
    x0 = np.zeros(len(cols) + r)
    pos = {int(j): i for i, j in enumerate(cols)}
    for j in start:
        x0[pos[int(j)]] = 1
    x0[len(cols):] = np.minimum(1, Ax @ x0[: len(cols)])
    status, x, obj, bound = solve_milp(Milp(c, lower, upper, integer, M, row_lo, row_hi, True),
                                        time_limit, x0, options)
    if x is None or obj + const < heur - 1e-6:
        return Solution(np.r_[forced, start], heur, bound + const,
                        relative_gap(heur, bound + const),
                        "greedy+swap", f"highs: {status}; heuristic kept",
                        time.perf_counter() - t0)
    chosen = cols[x[: len(cols)] > 0.5]
    order = _order_by_gain(p, forced, chosen)
    total = covered_demand(p, np.r_[forced, order])
    return Solution(np.r_[forced, order], total, bound + const, relative_gap(total, bound + const),
                    "highs", status, time.perf_counter() - t0,
                    {"rows": int(r), "rows_before_reduction": int(p.n), "greedy": heur})


def _solve_fixed(p: CoverageProblem, k: int, fixed: tuple[np.ndarray, np.ndarray],
                 incumbent: tuple[np.ndarray, float], bound: float, time_limit: float,
                 t0: float) -> Solution:
    """Solve with sites fixed by :func:`fix_by_bound`: fixed-open sites become forced,
    fixed-closed ones are dropped. The answer is optimal for the whole problem: any better
    solution would have to respect the fixings. ``fixed`` = (fixed open, fixed closed)
    masks; ``incumbent`` = (sites, covered people) of the best answer so far."""
    fixed_open, fixed_closed = fixed
    start, heur = incumbent
    keep = ~fixed_closed
    cols = np.flatnonzero(keep)
    forced_sub = (p.forced | fixed_open)[cols]
    sub = CoverageProblem(p.demand, p.cover[:, cols].tocsr(), p.minutes[:, cols].tocsr(),
                          p.site_ids[cols], forced_sub, p.needs_kit[cols], p.cost[cols])
    k_sub = k - int(fixed_open.sum())
    pos = {int(j): i for i, j in enumerate(cols)}
    start_sub = np.array([pos[int(j)] for j in start if int(j) in pos and not fixed_open[j]],
                         dtype=np.int64)[:k_sub]
    # "milp": the sub-problem goes straight to HiGHS (no second round of fixing, so no
    # recursion however symmetric the instance)
    sol = max_coverage(sub, k_sub, time_limit=max(time_limit, 1.0), method="milp",
                       start=start_sub)
    if sol.objective < heur:
        chosen, value = start, heur
    else:
        chosen = cols[sol.open[~forced_sub[sol.open]]] if len(sol.open) else np.zeros(0, int)
        chosen = np.r_[np.flatnonzero(fixed_open & ~p.forced), chosen]
        value = sol.objective
    forced = np.flatnonzero(p.forced)
    optimal = sol.status == "Optimal" or sol.status.startswith("Optimal")
    final_bound = value if optimal else bound
    order = _order_by_gain(p, forced, np.asarray(chosen, dtype=np.int64))
    return Solution(np.r_[forced, order], value, final_bound, relative_gap(value, final_bound),
                    "highs", "Optimal" if optimal else sol.status, time.perf_counter() - t0,
                    {"fixed_open": int(fixed_open.sum()), "fixed_closed":
                     int(fixed_closed.sum())})


def _order_by_gain(p: CoverageProblem, forced: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Order chosen sites so each adds the most newly covered demand (for reporting)."""
    order = greedy(CoverageProblem(p.demand, p.cover[:, np.r_[forced, chosen]],
                                   p.minutes[:, np.r_[forced, chosen]],
                                   p.site_ids[np.r_[forced, chosen]],
                                   np.r_[np.ones(len(forced), bool), np.zeros(len(chosen), bool)],
                                   np.zeros(len(forced) + len(chosen), bool),
                                   np.zeros(len(forced) + len(chosen))), k=len(chosen))
    picked = list(chosen[order - len(forced)]) if len(order) else []
    rest = [j for j in chosen if j not in picked]  # sites that add nothing new
    return np.array(picked + rest, dtype=np.int64)


def _max_coverage_capacity(p: CoverageProblem, k: int, kits: int | None,
                           budget: float | None, time_limit: float, t0: float,
                           start: np.ndarray) -> Solution:
    A = p.cover.tocoo()
    free = ~p.forced
    pairs = len(A.row)
    m = p.m
    # variables: x (m), z (pairs)
    c = np.r_[np.zeros(m), p.demand[A.row]]
    lower = np.zeros(m + pairs)
    upper = np.r_[np.where(p.forced, 1.0, 1.0), np.ones(pairs)]
    lower[:m] = p.forced.astype(float)
    integer = np.r_[np.ones(m, bool), np.zeros(pairs, bool)]
    zx = sp.hstack([-sp.csr_matrix((np.ones(pairs), (np.arange(pairs), A.col)),
                                   shape=(pairs, m)), sp.identity(pairs)])
    one = sp.hstack([sp.csr_matrix((p.n, m)), sp.csr_matrix((np.ones(pairs),
                                                              (A.row, np.arange(pairs))),
                                                             shape=(p.n, pairs))])
    capr = sp.hstack([-sp.diags(p.capacity), sp.csr_matrix((p.demand[A.row],
                                                            (A.col, np.arange(pairs))),
                                                           shape=(m, pairs))])
    card = sp.csr_matrix(np.r_[free.astype(float), np.zeros(pairs)])
    extra, lo, hi = _side_rows(p, np.arange(m), kits, budget)
    extra = [np.where(free, e, 0.0) for e in extra]
    M = sp.vstack([zx, one, capr, card] +
                  [sp.csr_matrix(np.r_[e, np.zeros(pairs)]) for e in extra]).tocsr()
    row_lo = np.r_[np.full(pairs, -np.inf), np.full(p.n, -np.inf), np.full(m, -np.inf), 0, lo]
    row_hi = np.r_[np.zeros(pairs), np.ones(p.n), np.zeros(m), k, hi]
    status, x, obj, bound = solve_milp(Milp(c, lower, upper, integer, M, row_lo, row_hi, True),
                                        time_limit)
    if x is None:
        raise InfeasibleError(f"no solution with capacities (HiGHS: {status})")
    chosen = np.flatnonzero((x[:m] > 0.5) & free)
    served = np.bincount(A.col, weights=p.demand[A.row] * x[m:], minlength=m)
    return Solution(np.r_[np.flatnonzero(p.forced), chosen], obj, bound, relative_gap(obj, bound),
                    "highs", status, time.perf_counter() - t0, {"served_by_site": served})


def min_sites_for_target(p: CoverageProblem, target: float, kits: int | None = None,
                         budget: float | None = None, minimise: Minimise = "sites",
                         time_limit: float = 60.0) -> Solution:
    """The fewest new sites, or least total trip cost, reaching ``target`` people.

    Coverage counts the forced sites.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    target : float
        People to reach.
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost of the chosen sites (rupiah).
    minimise : {"sites", "cost"}, default "sites"
        Fewest sites, or least round-trip cost.
    time_limit : float, default 60
        Seconds HiGHS may use.

    Returns
    -------
    Solution
        The sites, the objective (sites or rupiah), bound and gap.

    Raises
    ------
    InfeasibleError
        When even every candidate together cannot reach the target; the message gives both
        numbers ("reachable X < needed Y").
    """
    t0 = time.perf_counter()
    reachable = float(p.demand[np.diff(p.cover.indptr) > 0].sum())
    if reachable < target - 1e-9:
        raise InfeasibleError(
            f"the target cannot be reached: reachable {reachable:,.0f} < needed "
            f"{target:,.0f} people (only villages within the cover time of some candidate "
            "can be covered)")
    dem, A, const = _reduce(p)
    forced = np.flatnonzero(p.forced)
    if const >= target - 1e-9:
        return Solution(forced, 0.0, 0.0, 0.0, "highs", "target met by existing sites",
                        time.perf_counter() - t0)
    cols = np.flatnonzero(~p.forced)
    r = A.shape[0]
    Ax = A[:, cols]
    weight = np.ones(len(cols)) if minimise == "sites" else p.cost[cols]
    c = np.r_[weight, np.zeros(r)]
    integer = np.r_[np.ones(len(cols), bool), np.zeros(r, bool)]
    cover_rows = sp.hstack([-Ax, sp.identity(r)]).tocsr()
    # the target row, well conditioned: no village counts for more than what is still
    # needed (an exact reformulation for 0/1 coverage), then the row is divided by it, so
    # the coefficients lie in (0, 1] whatever the units of demand (people, thousands...)
    need = target - const
    tgt = sp.csr_matrix(np.r_[np.zeros(len(cols)), np.minimum(dem, need) / need])
    extra, lo, hi = _side_rows(p, cols, kits, budget)
    M = sp.vstack([cover_rows, tgt] + [sp.csr_matrix(np.r_[e, np.zeros(r)])
                                       for e in extra]).tocsr()
    row_lo = np.r_[np.full(r, -np.inf), 1.0, lo]
    row_hi = np.r_[np.zeros(r), np.inf, hi]
    x0 = _target_start(p, target, kits, budget, minimise, cols, Ax)
    status, x, _, bound = solve_milp(Milp(c, np.zeros(len(cols) + r), np.ones(len(cols) + r),
                                           integer, M, row_lo, row_hi, False), time_limit, x0,
                                      {"presolve": "off"})
    chosen: np.ndarray | None = np.zeros(0, int)
    if x is not None:
        chosen = _repair_target(p, forced, cols[x[: len(cols)] > 0.5], target, kits, budget,
                                weight, cols)
    if x is None or chosen is None:
        if status == "Infeasible":
            best = max_coverage(p, int((~p.forced).sum()), kits=kits, budget=budget,
                                time_limit=max(1.0, time_limit / 4)).objective
            raise InfeasibleError(
                f"the target cannot be reached within the limits (kits {kits}, budget "
                f"{budget}): reachable {best:,.0f} < needed {target:,.0f} people (proven)")
        # out of time before any solution: the greedy answer, if it meets the target
        start = greedy(p, target=target, kits=kits, budget=budget,
                       per_cost=minimise == "cost")
        start = np.asarray([j for j in start if not p.forced[j]], dtype=int)
        if covered_demand(p, np.r_[forced, start]) + 1e-9 < target:
            return Solution(forced, np.nan, bound, np.inf, "highs",
                            f"time limit: no solution found ({status})",
                            time.perf_counter() - t0, {"covered": const})
        chosen, status = start, f"time limit: greedy answer ({status})"
    order = _order_by_gain(p, forced, chosen)
    value = float(len(order)) if minimise == "sites" else float(p.cost[order].sum())
    if not np.isfinite(bound) or bound > value:
        bound = min(value, bound) if np.isfinite(bound) else 0.0
    return Solution(np.r_[forced, order], value, bound, relative_gap(value, bound), "highs", status,
                    time.perf_counter() - t0, {"covered": covered_demand(p, np.r_[forced,
                                                                                   order])})


def _target_start(p: CoverageProblem, target: float, kits: int | None, budget: float | None,
                  minimise: Minimise,
                  cols: np.ndarray, Ax: sp.csr_matrix) -> np.ndarray | None:
    """The greedy answer (most people per site, or per rupiah) as HiGHS's warm start, when
    it meets the target within the limits; None otherwise. On the reduced model (presolve
    off) it halves the least-cost solve of the Kaltara trade-off curve."""
    start = greedy(p, target=target, kits=kits, budget=budget, per_cost=minimise == "cost")
    start = np.asarray([j for j in start if not p.forced[j]], dtype=int)
    if covered_demand(p, np.r_[np.flatnonzero(p.forced), start]) + 1e-9 < target:
        return None
    x = np.zeros(len(cols))
    x[np.searchsorted(cols, start)] = 1
    return np.asarray(np.r_[x, np.minimum(1, Ax @ x)], dtype=float)


def _repair_target(p: CoverageProblem, forced: np.ndarray, chosen: np.ndarray,
                   target: float, kits: int | None, budget: float | None, weight: np.ndarray,
                   cols: np.ndarray) -> np.ndarray | None:
    """Check a solver's answer against the table (coverage recomputed, never taken from the
    solver); if tolerances left it short of the target, add the site that covers most per
    unit of weight until it is met. None if it cannot be repaired within the limits."""
    chosen = np.asarray(chosen, int)
    w = dict(zip(cols.tolist(), weight.tolist(), strict=True))
    while covered_demand(p, np.r_[forced, chosen]) + 1e-9 < target:
        covered = (p.cover[:, np.r_[forced, chosen].astype(int)].sum(axis=1).A1 > 0)
        gains = p.cover.T.tocsr().astype(float) @ (p.demand * ~covered)
        best, best_val = -1, 0.0
        for j in cols:
            if j in set(chosen.tolist()) or gains[j] <= 0:
                continue
            trial = np.r_[chosen, j]
            if kits is not None and p.needs_kit[trial].sum() > kits:
                continue
            if budget is not None and p.cost[trial].sum() > budget + 1e-9:
                continue
            val = gains[j] / max(w[j], 1e-9)
            if val > best_val:
                best, best_val = j, val
        if best < 0:
            return None
        chosen = np.r_[chosen, best]
    return chosen


def p_median(p: CoverageProblem, k: int, unserved_minutes: float | None = None,
             time_limit: float = 60.0) -> Solution:
    """``k`` new sites (forced ones open) minimising Σ demand × minutes to the nearest open site.

    Pairs beyond the table's cut-off are not allowed; a village no open site reaches counts
    ``unserved_minutes``. Method (:mod:`planner.decide.pmedian`): greedy + fast interchange,
    a Lagrangian bound, reduced-cost fixing, then HiGHS on Elloumi's compact formulation of
    what is left. The objective is recomputed from the table; the bound is proven.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    k : int
        New sites.
    unserved_minutes : float, optional
        Minutes counted for a village no open site reaches (default: twice the largest
        time in the table).
    time_limit : float, default 60
        Seconds for the whole method.

    Returns
    -------
    Solution
        The sites, people × minutes, the proven bound and gap.
    """
    from . import pmedian

    if k < 0 or (k == 0 and not p.forced.any()):
        raise InputError([Problem("p_median", f"expected k >= 1 when no site is open already "
                                  f"(nobody would be served), found {k}", column="k")])
    t0 = time.perf_counter()
    T = p.minutes.tocoo()
    pen = unserved_minutes if unserved_minutes is not None else \
        2 * float(np.max(T.data, initial=1.0))
    D = pmedian.dense(p.demand, p.minutes, p.forced, pen)
    # keep the whole call within the limit: what was spent building, and a margin
    res = pmedian.solve(D, k, time_limit=max(1.0, time_limit - (time.perf_counter() - t0)
                                             - 0.5))
    forced = np.flatnonzero(p.forced)
    chosen = np.array([j for j in res["open"] if not p.forced[j]], dtype=int)
    value = pmedian.cost_of(D, np.r_[forced, chosen].astype(int))
    bound = min(float(res["bound"]), value)
    return Solution(np.r_[forced, chosen].astype(int), value, bound, relative_gap(value, bound),
                    "lagrangian+highs", res["status"], time.perf_counter() - t0,
                    {k_: v for k_, v in res.items() if k_ not in ("open", "objective",
                                                               "bound", "status")})


def lagrangian_bound(p: CoverageProblem, k: int, max_seconds: float = 60.0,
                     iterations: int = 300) -> tuple[float, np.ndarray]:
    """The bound and fractional sites of :func:`lagrangian`.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    k : int
        New sites.
    max_seconds : float, default 60
        Seconds at most.
    iterations : int, default 300
        Iterations per temperature at most.

    Returns
    -------
    bound : float
        Proven upper bound on the covered demand (people).
    fractional : ndarray
        Estimated LP value of each site.
    """
    bound, frac, _ = lagrangian(p, k, max_seconds, iterations)
    return bound, frac


def lagrangian(p: CoverageProblem, k: int, max_seconds: float = 60.0,
               iterations: int = 300) -> tuple[float, np.ndarray, np.ndarray]:
    """A proven upper bound on max coverage with ``k`` new sites (no kits/budget/capacity),
    and the fractional site values that come with it.

    Relaxing ``y_i ≤ Σ_j a_ij x_j`` with multipliers ``λ ≥ 0`` gives, on the villages the
    forced sites do not cover (their demand is a constant),
    ``L(λ) = Σ_i max(0, d_i − λ_i) + (sum of the k largest (Aᵀλ)_j)``, and for every ``t``
    the sum of the k largest ``r_j`` is at most ``k t + Σ_j max(0, r_j − t)``. So
    ``F(λ, t) = Σ_i max(0, d_i − λ_i) + k t + Σ_j max(0, (Aᵀλ)_j − t)`` is an upper bound for
    every ``λ ≥ 0`` and ``t``. It is minimised by L-BFGS-B on a smoothed ``F`` (softplus with a
    temperature lowered in steps); every iterate is scored with the exact, non-smooth
    ``L(λ)``, and the best is returned. The softplus slopes estimate the LP's fractional
    ``x_j`` (used to guide the search for good solutions).

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites.
    k : int
        New sites.
    max_seconds : float, default 60
        Seconds at most.
    iterations : int, default 300
        Iterations per temperature at most.

    Returns
    -------
    bound : float
        Proven upper bound on the covered demand (people).
    fractional : ndarray (m,)
        Estimated LP value of each site (forced sites 1).
    profit : ndarray (m,)
        Lagrangian profit ``(Aᵀλ)_j`` of each free site at the best multipliers (0 for
        forced sites), for :func:`fix_by_bound`.
    """
    from scipy.optimize import minimize

    t_start = time.perf_counter()
    dem, A, const = _reduce(p)
    free = np.flatnonzero(~p.forced)
    A = A[:, free].astype(float).tocsr()
    AT = A.T.tocsr()
    n = A.shape[0]
    frac = np.where(p.forced, 1.0, 0.0)
    if n == 0 or k <= 0:
        return const, frac, np.zeros(p.m)
    k = min(k, len(free))

    def exact(lam: np.ndarray) -> float:
        r = AT @ lam
        return float(np.maximum(dem - lam, 0).sum() + np.sort(r)[-k:].sum())

    def softplus(z: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
        zt = z / tau
        val = np.where(zt > 30, z, tau * np.log1p(np.exp(np.minimum(zt, 30))))
        return val, 1.0 / (1.0 + np.exp(-np.clip(zt, -60, 60)))

    def smooth(v: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
        lam, t = v[:n], v[n]
        a, da = softplus(dem - lam, tau)
        b, db = softplus(AT @ lam - t, tau)
        return float(a.sum() + k * t + b.sum()), np.r_[-da + A @ db, k - db.sum()]

    lam = dem * 0.5
    v = np.r_[lam, np.sort(AT @ lam)[-k]]
    best, best_v = exact(lam), v.copy()
    tau = max(float(dem.mean()), 1e-6)
    last_tau = tau
    while time.perf_counter() - t_start < max_seconds and tau > 1e-3 * float(dem.mean()):
        res = minimize(smooth, v, args=(tau,), jac=True, method="L-BFGS-B",
                       bounds=[(0.0, None)] * n + [(None, None)],
                       options={"maxiter": iterations})
        v = res.x
        val = exact(v[:n])
        if val < best:
            best, best_v = val, v.copy()
        last_tau = tau
        tau /= 4
    r = AT @ best_v[:n]
    frac[free] = 1.0 / (1.0 + np.exp(-np.clip((r - best_v[n]) / last_tau, -60, 60)))
    profit = np.zeros(p.m)
    profit[free] = r
    return best + const, frac, profit


def fix_by_bound(p: CoverageProblem, k: int, bound: float, incumbent: float,
                 profit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sites that no solution better than ``incumbent`` can open (or leave closed).

    With the Lagrangian profits ``r`` of the best multipliers, opening a site outside the
    ``k`` best costs the bound ``r_(k) − r_j``; closing one of the ``k`` best costs
    ``r_j − r_(k+1)``. When the bound minus that cost is below ``incumbent + 1`` (integer
    demand: a better solution covers at least one more person), every better solution keeps
    the site closed (or open).

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites.
    k : int
        New sites.
    bound : float
        The Lagrangian bound.
    incumbent : float
        People the best known solution covers.
    profit : ndarray
        The Lagrangian profit of each site (:func:`lagrangian`).

    Returns
    -------
    fixed_open, fixed_closed : ndarray of bool
        Sites every better solution opens, and leaves closed.
    """
    free = np.flatnonzero(~p.forced)
    open_, closed = np.zeros(p.m, bool), np.zeros(p.m, bool)
    if len(free) <= k:
        return open_, closed
    r = profit[free]
    order = np.argsort(-r, kind="stable")
    kth, next_ = r[order[k - 1]], r[order[k]]
    top = np.zeros(len(free), bool)
    top[order[:k]] = True
    limit = incumbent + 1 - 1e-6
    closed[free[~top & (bound - (kth - r) < limit)]] = True
    open_[free[top & (bound - (r - next_) < limit)]] = True
    return open_, closed


def _lp_guided(p: CoverageProblem, k: int, frac: np.ndarray, time_limit: float,
               fix_above: float = 0.9, pool_above: float = 0.005) -> np.ndarray | None:
    """Open the sites the LP estimate says are (almost) surely open, then solve the rest
    exactly (HiGHS) among the sites it leaves fractional. Returns new sites or None."""
    free = ~p.forced
    fixed = np.flatnonzero(free & (frac > fix_above))[:k]
    pool = np.flatnonzero(free & (frac > pool_above) & (frac <= fix_above))
    if len(fixed) >= k or len(pool) == 0:
        return fixed[:k]
    forced_idx = np.flatnonzero(p.forced)
    cols = np.r_[forced_idx, fixed, pool]
    n_f = len(forced_idx) + len(fixed)
    sub = CoverageProblem(p.demand, p.cover[:, cols].tocsr(), p.minutes[:, cols].tocsr(),
                          p.site_ids[cols], np.r_[np.ones(n_f, bool), np.zeros(len(pool), bool)],
                          p.needs_kit[cols], p.cost[cols])
    sol = max_coverage(sub, k - len(fixed), time_limit=time_limit, method="milp")
    return np.r_[fixed, cols[sol.open[n_f:]]] if sol.objective > 0 else None


def set_cover(p: CoverageProblem, minimise: Minimise = "sites", kits: int | None = None,
              budget: float | None = None, time_limit: float = 60.0,
              radius: float | None = None) -> Solution:
    """Location set covering: the fewest new sites (or least cost) covering every village.

    Every village some site reaches within the cover time (or ``radius`` minutes) is
    covered, whatever its demand; villages no site reaches are left out (listed by the
    caller). Forced sites stay open.

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    minimise : {"sites", "cost"}, default "sites"
        Fewest sites, or least round-trip cost.
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost of the chosen sites (rupiah).
    time_limit : float, default 60
        Seconds HiGHS may use.
    radius : float, optional
        Cover time in minutes instead of the problem's.

    Returns
    -------
    Solution
        The sites, the objective, bound and gap.

    Raises
    ------
    InfeasibleError
        When the kits or budget cannot cover every reachable village (proven).
    """
    t0 = time.perf_counter()
    if radius is None:
        cover = sp.csr_matrix(p.cover, dtype=bool)
    else:
        T = p.minutes.tocsr()
        keep = T.data - 1e-12 <= radius + 1e-9
        rows = np.repeat(np.arange(T.shape[0]), np.diff(T.indptr))[keep]
        cover = sp.csr_matrix((np.ones(int(keep.sum()), bool), (rows, T.indices[keep])),
                              shape=T.shape)
    forced = np.flatnonzero(p.forced)
    done = (cover @ p.forced.astype(float)) > 0
    need = ~done & (np.diff(cover.indptr) > 0)
    if radius is not None:  # every village of the table must be within the radius
        stranded = ~done & (np.diff(p.minutes.tocsr().indptr) > 0) & \
            (np.diff(cover.indptr) == 0)
        if stranded.any():
            raise InfeasibleError(f"{int(stranded.sum())} village(s) have no site within "
                                  f"{radius:g} min (proven)")
    cols = np.flatnonzero(~p.forced)
    rows = cover[need][:, cols].astype(float).tocsr()
    if rows.shape[0] == 0:
        status = "Optimal (the offices cover them)" if done.any() else \
            "nothing to cover: no village is within the cover time of any site"
        return Solution(forced, 0.0, 0.0, 0.0, "highs", status, time.perf_counter() - t0)
    rows.sort_indices()
    keys = [rows.indices[rows.indptr[i]:rows.indptr[i + 1]].tobytes()
            for i in range(rows.shape[0])]
    _, first = np.unique(pd.factorize(pd.Series(keys, dtype=object))[0], return_index=True)
    rows = rows[first]
    weight = np.ones(len(cols)) if minimise == "sites" else p.cost[cols]
    extra, lo, hi = _side_rows(p, cols, kits, budget)
    M = sp.vstack([rows] + [sp.csr_matrix(e) for e in extra]).tocsr()
    status, x, _, bound = solve_milp(Milp(
        weight, np.zeros(len(cols)), np.ones(len(cols)), np.ones(len(cols), bool), M,
        np.r_[np.ones(rows.shape[0]), lo], np.r_[np.full(rows.shape[0], np.inf), hi], False),
        time_limit, options={"mip_abs_gap": 0.999} if minimise == "sites" else None)
    if x is None:
        if status == "Infeasible":
            raise InfeasibleError(f"every reachable village cannot be covered within the "
                                  f"limits (kits {kits}, budget {budget}) (proven)")
        return Solution(forced, np.nan, bound, np.inf, "highs",
                        f"time limit: no solution found ({status})", time.perf_counter() - t0)
    chosen = cols[x > 0.5]
    value = float(len(chosen)) if minimise == "sites" else float(p.cost[chosen].sum())
    bound = value if status == "Optimal" else min(value, bound)
    return Solution(np.r_[forced, _order_by_gain(p, forced, chosen)], value, bound,
                    relative_gap(value, bound), "highs", status, time.perf_counter() - t0)


def p_center(p: CoverageProblem, k: int, time_limit: float = 60.0) -> Solution:
    """``k`` new sites (forced ones open) minimising the longest time to the nearest open site.

    Over the villages some site reaches in the table. Binary search over the distinct times
    in the table; each step is a set-covering feasibility model (at most ``k`` new sites).

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: demand, who covers whom, forced sites, kits, costs.
    k : int
        New sites.
    time_limit : float, default 60
        Seconds HiGHS may use in all.

    Returns
    -------
    Solution
        The sites and the longest time in minutes (recomputed), with its bound.
    """
    t0 = time.perf_counter()
    forced = np.flatnonzero(p.forced)
    T = p.minutes.tocsr()
    reach = np.diff(T.indptr) > 0
    levels = np.unique(T.data - 1e-12)
    lo_i, hi_i = 0, len(levels) - 1
    status = "Optimal"

    def longest(open_: np.ndarray) -> float:
        sub = T[:, open_].tocsr()
        nnz = np.diff(sub.indptr)
        if (reach & (nnz == 0)).any():
            return np.inf
        rows = np.flatnonzero(nnz > 0)
        if len(rows) == 0:
            return 0.0
        mins = np.minimum.reduceat(sub.data, sub.indptr[:-1][rows])
        return float(mins.max()) - 1e-12

    if len(levels) == 0:
        return Solution(forced, 0.0, 0.0, 0.0, "highs", "Optimal (no village in reach)",
                        time.perf_counter() - t0)
    # every village in reach at all: how many sites that takes at the largest time
    full = set_cover(p, time_limit=time_limit / 2, radius=float(levels[-1]))
    if full.status.startswith("Optimal") and full.objective > k:
        raise InfeasibleError(f"{k} new site(s) cannot reach every village in the table: at "
                              f"least {full.objective:.0f} are needed (proven)")
    best = full.open
    # find the smallest level that needs at most k new sites
    while lo_i < hi_i:
        mid = (lo_i + hi_i) // 2
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.5:
            status = "time limit"
            break
        try:
            sol = set_cover(p, time_limit=left, radius=float(levels[mid]))
        except InfeasibleError:
            lo_i = mid + 1
            continue
        if sol.status.startswith("Optimal") and sol.objective <= k:
            hi_i = mid
            best = sol.open
        elif sol.status.startswith("Optimal"):
            lo_i = mid + 1
        else:
            status = "time limit"
            break
    chosen = [j for j in best if not p.forced[j]]
    if len(chosen) < k:  # spare sites: add those that help coverage most (same radius)
        extra = greedy(p, k=k - len(chosen) + len([j for j in best if p.forced[j]]))
        chosen += [j for j in extra if j not in set(best) and not p.forced[j]][:k - len(chosen)]
    open_ = np.r_[forced, np.asarray(chosen, dtype=int)].astype(int)
    value = longest(open_)
    lower = float(levels[lo_i]) if status != "Optimal" else value
    return Solution(open_, value, min(lower, value), relative_gap(value, min(lower, value)),
                    "highs", status, time.perf_counter() - t0, {"villages": int(reach.sum())})


@dataclass(frozen=True)
class Need:
    """One coverage target as the solver sees it: people per village that count for it
    (``demand``, e.g. the e-KTP gap of one kabupaten's villages, 0 elsewhere) and how many
    must be covered (``people``); ``name`` says which target it is in messages."""

    name: str
    demand: np.ndarray
    people: float


def _covered_by(p: CoverageProblem, sites: np.ndarray) -> np.ndarray:
    """Which villages an open set covers (bool per village)."""
    mask = np.zeros(p.m, bool)
    mask[np.asarray(sites, int)] = True
    return np.asarray((p.cover @ mask.astype(float)) > 0)


def shortfalls(p: CoverageProblem, needs: list[Need], sites: np.ndarray) -> np.ndarray:
    """People each need still lacks when ``sites`` are open (0 when met).

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites.
    needs : list of Need
        The targets.
    sites : ndarray of int
        The open sites (forced ones included).

    Returns
    -------
    ndarray of float
        Per need, ``max(0, people − covered demand)``.
    """
    hit = _covered_by(p, sites)
    return np.array([max(0.0, n.people - float(n.demand[hit].sum())) for n in needs])


def _greedy_needs(p: CoverageProblem, needs: list[Need], weight: np.ndarray,
                  allowed: np.ndarray, kits: int | None, budget: float | None
                  ) -> np.ndarray | None:
    """Add the site buying most of what is still lacking (each need's share of its
    shortfall) per unit of weight until every need is met; None when it cannot."""
    open_: list[int] = [int(j) for j in np.flatnonzero(p.forced)]
    cover_t = p.cover.T.tocsr().astype(float)
    used_kits, spent = 0, 0.0
    while True:
        short = shortfalls(p, needs, np.asarray(open_, int))
        if (short <= 1e-9).all():
            return np.asarray([j for j in open_ if not p.forced[j]], int)
        hit = _covered_by(p, np.asarray(open_, int))
        value = np.zeros(p.m)
        for n, s in zip(needs, short, strict=True):
            if s > 1e-9:
                value += np.minimum(cover_t @ (n.demand * ~hit), s) / s
        value[~allowed | p.forced] = 0
        value[open_] = 0
        if kits is not None and used_kits >= kits:
            value[p.needs_kit] = 0
        if budget is not None:
            value[p.cost + spent > budget + 1e-9] = 0
        if value.max() <= 1e-12:
            return None
        j = int(np.argmax(value / np.maximum(weight, 1e-9)))
        open_.append(j)
        used_kits += int(p.needs_kit[j])
        spent += float(p.cost[j])


def min_weight_for_needs(p: CoverageProblem, needs: list[Need], weight: np.ndarray,
                         kits: int | None = None, budget: float | None = None,
                         exclude: np.ndarray | None = None, time_limit: float = 60.0,
                         max_sites: int | None = None) -> Solution:
    """The least total ``weight`` of new sites meeting every need at once.

    The model of :func:`min_sites_for_target` with one covering row per need (targets per
    area and per indicator) and any site weight (1 per site: fewest sites; round-trip or
    trip cost: least cost). Villages with the same covering sites are merged; each row's
    coefficients are capped at what is still needed and scaled to (0, 1].

    Parameters
    ----------
    p : CoverageProblem
        Villages × sites: who covers whom, forced sites (always open), kits, costs.
    needs : list of Need
        The targets (people per village that count, and how many must be covered).
    weight : ndarray (m,)
        What opening each site costs in the objective (rupiah, or 1).
    kits : int, optional
        At most this many chosen sites in a blank spot.
    budget : float, optional
        Most total round-trip cost (``p.cost``) of the chosen sites.
    exclude : ndarray of bool (m,), optional
        Sites that may not be chosen.
    time_limit : float, default 60
        Seconds HiGHS may use.
    max_sites : int, optional
        At most this many new sites (e.g. the least cost among the ``k``-site answers
        covering the most people).

    Returns
    -------
    Solution
        The sites (forced first, then the chosen ones in order of gain), the objective
        (total weight), HiGHS's bound and gap.

    Raises
    ------
    InfeasibleError
        When no choice meets every need; the message names each need that cannot be met
        and by how many people (reachable within the limits < needed).
    """
    t0 = time.perf_counter()
    allowed = ~p.forced if exclude is None else ~p.forced & ~np.asarray(exclude, bool)
    forced = np.flatnonzero(p.forced)
    everything = np.r_[forced, np.flatnonzero(allowed)]
    short_all = shortfalls(p, needs, everything)
    if (short_all > 1e-9).any():
        raise InfeasibleError("the target cannot be reached: " + "; ".join(
            f"{n.name}: reachable {n.people - s:,.0f} < needed {n.people:,.0f} people "
            f"({s:,.0f} short)" for n, s in zip(needs, short_all, strict=True) if s > 1e-9)
            + " (only villages within the cover time of some candidate can be covered)")
    if (shortfalls(p, needs, forced) <= 1e-9).all():
        return Solution(forced, 0.0, 0.0, 0.0, "highs", "targets met by existing sites",
                        time.perf_counter() - t0)
    hit0 = _covered_by(p, forced)
    demand = np.column_stack([n.demand for n in needs])
    keep = ~hit0 & (np.diff(p.cover.indptr) > 0) & (demand > 0).any(axis=1)
    sub = p.cover[keep].astype(float).tocsr()
    sub.sort_indices()
    keys = [sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tobytes() for i in range(sub.shape[0])]
    codes = pd.factorize(pd.Series(keys, dtype=object))[0]
    _, first = np.unique(codes, return_index=True)
    A = sub[first].tocsr()
    r = A.shape[0]
    dem = np.column_stack([np.bincount(codes, weights=demand[keep, t], minlength=r)
                           for t in range(len(needs))]) if r else np.zeros((0, len(needs)))
    cols = np.flatnonzero(allowed)
    Ax = A[:, cols]
    integer = np.r_[np.ones(len(cols), bool), np.zeros(r, bool)]
    rows = [sp.hstack([-Ax, sp.identity(r)]).tocsr()]
    lo, hi = [np.full(r, -np.inf)], [np.zeros(r)]
    for t, n in enumerate(needs):
        need = n.people - float(n.demand[hit0].sum())
        if need <= 1e-9:
            continue
        rows.append(sp.csr_matrix(np.r_[np.zeros(len(cols)), np.minimum(dem[:, t], need)
                                        / need]))
        lo.append(np.ones(1))
        hi.append(np.full(1, np.inf))
    extra, elo, ehi = _side_rows(p, cols, kits, budget)
    if max_sites is not None:
        extra.append(np.ones(len(cols)))
        elo.append(-np.inf)
        ehi.append(float(max_sites))
    rows += [sp.csr_matrix(np.r_[e, np.zeros(r)]) for e in extra]
    M = sp.vstack(rows).tocsr()
    w = np.asarray(weight, float)
    start = _greedy_needs(p, needs, w, allowed, kits, budget)
    if start is not None and max_sites is not None and len(start) > max_sites:
        start = None
    x0 = None
    if start is not None:
        xs = np.zeros(len(cols))
        xs[np.searchsorted(cols, start)] = 1
        x0 = np.asarray(np.r_[xs, np.minimum(1, Ax @ xs)], dtype=float)
    status, x, _, bound = solve_milp(
        Milp(np.r_[w[cols], np.zeros(r)], np.zeros(len(cols) + r), np.ones(len(cols) + r),
             integer, M, np.concatenate([*lo, elo]),
             np.concatenate([*hi, ehi]), False), time_limit, x0, {"presolve": "off"})
    chosen: np.ndarray | None = None if x is None else cols[x[: len(cols)] > 0.5]
    if chosen is not None and (shortfalls(p, needs, np.r_[forced, chosen]) > 1e-9).any():
        chosen = start  # tolerances left it short: the greedy answer meets every need
    if chosen is None:
        if status == "Infeasible":
            raise InfeasibleError(f"the targets cannot all be met within the limits (kits "
                                  f"{kits}, budget {budget}) (proven)")
        if start is None:
            return Solution(forced, np.nan, bound, np.inf, "highs",
                            f"time limit: no solution found ({status})",
                            time.perf_counter() - t0)
        chosen, status = start, f"time limit: greedy answer ({status})"
    order = _order_by_gain(p, forced, np.asarray(chosen, int))
    value = float(w[order].sum())
    bound = min(value, bound) if np.isfinite(bound) else 0.0
    return Solution(np.r_[forced, order], value, bound, relative_gap(value, bound), "highs",
                    status, time.perf_counter() - t0)
