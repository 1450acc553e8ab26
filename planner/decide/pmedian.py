"""p-median at benchmark sizes: a Lagrangian bound, reduced-cost fixing, a good incumbent
and an exact model on what is left.

Problem: open ``k`` sites (forced sites open too) to minimise ``Σ_i d_i · c_ij`` with every
village ``i`` served by its nearest open site ``j``; a village with no site in the table (or
beyond its cut-off) pays the penalty ``c_i0`` (an always-open "unserved" option).

1. Incumbent: greedy (add the site that lowers the cost most) then fast interchange
   (for each open site, the best replacement among all closed ones, evaluated for all
   candidates at once with the nearest/second-nearest costs, as in Whitaker's and
   Resende–Werneck's swaps), repeated while it improves.
2. Bound: relax ``Σ_j z_ij = 1`` with multipliers ``λ_i``:
   ``L(λ) = Σ_i λ_i + Σ_i min(0, d_i c_i0 − λ_i) + Σ_{j open} ρ_j`` with
   ``ρ_j = Σ_i min(0, d_i c_ij − λ_i)``, the ``k`` smallest ``ρ_j`` taken among free sites.
   ``L(λ)`` is a lower bound for every ``λ``; subgradient steps (Held–Karp) raise it, and the
   Lagrangian's open sets feed the incumbent.
3. Fixing: a closed site ``j`` with ``L + ρ_j − ρ_(k) ≥ UB`` (``> UB − 1`` for integer
   costs) cannot be in a better solution, nor can an open one be closed when
   ``L − ρ_j + ρ_(k+1)`` passes that line.
4. Exact: on the sites left, HiGHS solves Elloumi's compact formulation (per village, one
   variable per distinct distance step below the cost through the fixed-open sites), warm
   started with the incumbent. The bound reported is proven; the objective is the cost of
   the sites returned, recomputed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .milp import Milp, solve_milp


@dataclass
class Dense:
    """Weighted costs ``W[i, j] = d_i · c_ij`` (``inf`` where no pair) and the unserved cost
    ``U[i] = d_i · penalty``."""

    W: np.ndarray
    U: np.ndarray
    forced: np.ndarray
    integral: bool


def dense(demand: np.ndarray, minutes: sp.spmatrix, forced: np.ndarray,
          penalty: float) -> Dense:
    """Dense weighted cost matrix from a sparse village × site table (minutes stored with a
    tiny offset, as in :class:`planner.decide.optimise.CoverageProblem`).

    Parameters
    ----------
    demand : ndarray of float
        People per village.
    minutes : sparse matrix
        Village × site minutes (stored with a tiny offset; absent = no path).
    forced : ndarray of bool
        Sites that stay open.
    penalty : float
        Minutes counted for a village no open site reaches.

    Returns
    -------
    Dense
        ``W = demand × minutes`` (``inf`` where no pair) and ``U = demand × penalty``.
    """
    d = np.asarray(demand, float)
    T = minutes.tocoo()
    W = np.full(minutes.shape, np.inf)
    W[T.row, T.col] = d[T.row] * np.maximum(T.data - 1e-12, 0.0)
    W = np.minimum(W, (d * penalty)[:, None])  # a pair never costs more than being unserved
    U = d * penalty
    vals = W[np.isfinite(W)]
    integral = bool(np.all(np.abs(vals - np.round(vals)) < 1e-9)) and \
        bool(np.all(np.abs(U - np.round(U)) < 1e-9))
    if integral:
        W = np.round(W)
        U = np.round(U)
    return Dense(W, U, np.asarray(forced, bool), integral)


def cost_of(D: Dense, open_: np.ndarray) -> float:
    """Σ_i min(U_i, min_{j open} W_ij).

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    open_ : ndarray of int
        The open sites.

    Returns
    -------
    float
        The cost: each village at its cheapest open site, or unserved.
    """
    if len(open_) == 0:
        return float(D.U.sum())
    return float(np.minimum(D.U, D.W[:, open_].min(axis=1)).sum())


def _nearest_two(D: Dense, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per village: cost to the nearest open option, its site (-1 = unserved), and the cost
    of the second nearest (the unserved option counts as an option)."""
    n = len(D.U)
    if len(open_) == 0:
        return D.U.copy(), np.full(n, -1), np.full(n, np.inf)
    sub = D.W[:, open_]
    cand = np.c_[sub, D.U]
    idx = np.argpartition(cand, 1, axis=1)[:, :2] if cand.shape[1] > 1 else \
        np.zeros((n, 1), int)
    rows = np.arange(n)
    if cand.shape[1] > 1:
        a, b = cand[rows, idx[:, 0]], cand[rows, idx[:, 1]]
        first = np.where(a <= b, idx[:, 0], idx[:, 1])
        second = np.maximum(a, b)
        best = np.minimum(a, b)
    else:
        first, best, second = idx[:, 0], cand[:, 0], np.full(n, np.inf)
    site = np.where(first < len(open_), np.asarray(open_)[np.minimum(first, len(open_) - 1)],
                    -1)
    return best, site, second


def greedy(D: Dense, k: int) -> np.ndarray:
    """Add, k times, the free site that lowers the cost most (forced sites first).

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    k : int
        New sites.

    Returns
    -------
    ndarray of int
        The open sites, forced ones first.
    """
    open_ = np.flatnonzero(D.forced).tolist()
    best = np.minimum(D.U, D.W[:, open_].min(axis=1)) if open_ else D.U.copy()
    free = ~D.forced
    for _ in range(k):
        gain = np.where(free, np.maximum(0.0, best[:, None] - D.W).sum(axis=0), -np.inf)
        j = int(np.argmax(gain))
        if not np.isfinite(gain[j]):
            break
        open_.append(j)
        free[j] = False
        best = np.minimum(best, D.W[:, j])
    return np.array(open_, dtype=int)


def interchange(D: Dense, open_: np.ndarray, deadline: float) -> np.ndarray:
    """Best swaps until none improves: for each open free site ``r``, the closed site ``j``
    whose swap lowers the cost most, all ``j`` evaluated at once.

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    open_ : ndarray of int
        The starting open sites.
    deadline : float
        ``time.perf_counter()`` value to stop at.

    Returns
    -------
    ndarray of int
        The improved open sites.
    """
    open_ = np.array(open_, dtype=int)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for r in [int(x) for x in open_ if not D.forced[x]]:
            if time.perf_counter() > deadline:
                break
            best, site, second = _nearest_two(D, open_)
            without = np.where(site == r, second, best)   # each village's cost if r closes
            closed = np.ones(D.W.shape[1], bool)
            closed[open_] = False
            if not closed.any():
                return open_
            new = np.minimum(without[:, None], D.W[:, closed]).sum(axis=0)
            j = int(np.argmin(new))
            current = float(best.sum())
            if new[j] < current - 1e-9 * max(1.0, abs(current)):
                open_ = np.array([x for x in open_ if x != r] + [int(np.flatnonzero(closed)[j])],
                                 dtype=int)
                improved = True
    return open_


@dataclass
class Bound:
    value: float
    lam: np.ndarray
    rho: np.ndarray
    open_: np.ndarray


def _lagrangian(D: Dense, k: int, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray,
                                                             np.ndarray]:
    R = np.minimum(0.0, D.W - lam[:, None])            # inf - lam stays inf -> min 0
    rho = R.sum(axis=0)
    forced = np.flatnonzero(D.forced)
    free = np.flatnonzero(~D.forced)
    pick = free[np.argsort(rho[free], kind="stable")[:k]] if k > 0 else np.zeros(0, int)
    open_ = np.r_[forced, pick].astype(int)
    unserved = np.minimum(0.0, D.U - lam)
    value = float(lam.sum() + unserved.sum() + rho[open_].sum())
    served = (D.W[:, open_] < lam[:, None]).sum(axis=1) + (D.U < lam)
    return value, rho, open_, 1.0 - served


STALL = 30
"""Subgradient steps without a better bound before the step factor halves."""


def lagrangian_bound(D: Dense, k: int, ub: float, deadline: float,
                     iterations: int = 3000) -> tuple[Bound, list[np.ndarray]]:
    """Subgradient ascent on ``L(λ)``; returns the best bound and the open sets met.

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    k : int
        New sites.
    ub : float
        The incumbent's cost (sets the step size).
    deadline : float
        ``time.perf_counter()`` value to stop at.
    iterations : int, default 3000
        Iterations at most.

    Returns
    -------
    bound : Bound
        The best bound and its multipliers.
    open_sets : list of ndarray
        The open sets met (candidate incumbents).
    """
    finite = np.where(np.isfinite(D.W), D.W, np.nan)
    with np.errstate(all="ignore"):
        lam = np.nan_to_num(np.nanmin(finite, axis=1), nan=0.0)
    lam = np.minimum(lam, D.U)
    # start just above each village's cheapest option, below the unserved cost
    lam = np.minimum(D.U, lam + 0.5 * (np.minimum(D.U, np.nan_to_num(
        np.nanpercentile(finite, 5, axis=1), nan=0.0)) - lam).clip(0))
    best = Bound(-np.inf, lam.copy(), np.zeros(D.W.shape[1]), np.zeros(0, int))
    seen: list[np.ndarray] = []
    f, stall = 2.0, 0
    for it in range(iterations):
        value, rho, open_, g = _lagrangian(D, k, lam)
        if value > best.value + 1e-9:
            best = Bound(value, lam.copy(), rho, open_)
            stall = 0
        else:
            stall += 1
            if stall >= STALL:
                f, stall = f / 2, 0
        if it % 25 == 0:
            seen.append(open_)
        gap = ub - best.value
        if f < 1e-5 or gap <= (1 - 1e-9 if D.integral else 1e-9 * max(1.0, abs(ub))) or \
                time.perf_counter() > deadline:
            break
        norm = float(g @ g)
        if norm == 0:
            break
        lam = np.maximum(0.0, lam + f * max(gap, 1e-9 * max(1.0, abs(ub))) / norm * g)
        lam = np.minimum(lam, D.U)
    return best, seen


def fix_sites(D: Dense, k: int, b: Bound, ub: float) -> tuple[np.ndarray, np.ndarray]:
    """Reduced-cost fixing: (must be open, must be closed) for free sites.

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    k : int
        New sites.
    b : Bound
        The Lagrangian bound and its reduced costs.
    ub : float
        The incumbent's cost.

    Returns
    -------
    must_open, must_closed : ndarray of bool
        Free sites every better solution opens, and leaves closed.
    """
    m = D.W.shape[1]
    free = np.flatnonzero(~D.forced)
    order = free[np.argsort(b.rho[free], kind="stable")]
    must_open = np.zeros(m, bool)
    must_closed = np.zeros(m, bool)
    if k <= 0 or k >= len(free):
        return must_open, must_closed
    line = ub - 1 + 1e-6 if D.integral else ub * (1 - 1e-12)
    rho_k, rho_k1 = b.rho[order[k - 1]], b.rho[order[k]]
    inside = np.zeros(m, bool)
    inside[order[:k]] = True
    out = free[~inside[free]]
    must_closed[out[b.value + b.rho[out] - rho_k > line]] = True
    ins = order[:k]
    must_open[ins[b.value - b.rho[ins] + rho_k1 > line]] = True
    return must_open, must_closed


def exact(D: Dense, k: int, must_open: np.ndarray, must_closed: np.ndarray,
          start: np.ndarray, time_limit: float, cap: np.ndarray | None = None
          ) -> tuple[str, np.ndarray | None, float, float]:
    """Elloumi's formulation on the sites left; returns (status, open sites, bound, the
    model's objective).

    ``cap`` (per village): a cost no village can exceed in a solution better than the
    incumbent (from the Lagrangian: ``λ_i + UB − L``). Levels above it are dropped and a
    village above it counts as ``cap_i``: the model's cost never exceeds the true cost, so
    its bound stays valid, and a model optimum whose villages all lie below their caps is
    the true optimum (the caller checks by recomputing the cost).

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    k : int
        New sites.
    must_open, must_closed : ndarray of bool
        Sites fixed by reduced costs.
    start : ndarray of int
        The incumbent (a warm start).
    time_limit : float
        Seconds HiGHS may use.
    cap : ndarray of float, optional
        Per village, the most it can cost in a better solution.

    Returns
    -------
    status : str
        HiGHS's status.
    open : ndarray of int
        The sites opened.
    bound : float
        The proven bound.
    objective : float
        The model's objective.
    """
    forced = D.forced | must_open
    cols = np.flatnonzero(~must_closed)          # sites still in play (forced included)
    k_free = k - int((must_open & ~D.forced).sum())
    W = D.W[:, cols]
    base = np.minimum(D.U, D.W[:, np.flatnonzero(forced)].min(axis=1)) \
        if forced.any() else D.U.copy()
    if cap is not None:
        base = np.minimum(base, cap)
    n = len(D.U)
    xcols = np.flatnonzero(~forced[cols])        # free decision columns (positions in cols)
    # per village: distinct costs below its cost through the forced sites; one variable
    # y_is per level ("not served at level s or below"), in the chained form
    #   y_i0 + Σ_{c_ij = l_0} x_j >= 1,   y_is - y_i,s-1 + Σ_{c_ij = l_s} x_j >= 0,
    # equivalent (also for the LP) to Elloumi's y_is >= 1 - Σ_{c_ij <= l_s} x_j, with O(m)
    # nonzeros per village instead of O(m²)
    var_coef: list[np.ndarray] = []
    a_rows, a_cols, a_vals, rhs = [], [], [], []
    const = 0.0
    nv = len(xcols)
    nrow = 0
    for i in range(n):
        c = W[i, xcols]
        ok = np.flatnonzero(np.isfinite(c) & (c < base[i]))
        if len(ok) == 0:
            const += base[i]
            continue
        levels, which = np.unique(c[ok], return_inverse=True)
        L = len(levels)
        steps = np.r_[levels, base[i]]
        const += steps[0]
        y0 = nv + sum(len(v) for v in var_coef)
        var_coef.append(np.diff(steps))
        rows = nrow + np.arange(L)
        a_rows += [rows[which], rows, rows[1:]]
        a_cols += [ok, y0 + np.arange(L), y0 + np.arange(L - 1)]
        a_vals += [np.ones(len(ok)), np.ones(L), -np.ones(L - 1)]
        rhs.append(np.r_[1.0, np.zeros(L - 1)])
        nrow += L
    var_coef_arr = np.concatenate(var_coef) if var_coef else np.zeros(0)
    rhs_lo = np.concatenate(rhs) if rhs else np.zeros(0)
    ny = len(var_coef_arr)
    card_row = nrow
    a_rows.append(np.full(nv, card_row))
    a_cols.append(np.arange(nv))
    a_vals.append(np.ones(nv))
    A = sp.csr_matrix((np.concatenate(a_vals), (np.concatenate(a_rows),
                                                np.concatenate(a_cols))),
                      shape=(card_row + 1, nv + ny))
    c = np.r_[np.zeros(nv), var_coef_arr]
    row_lo = np.r_[rhs_lo, k_free]
    row_hi = np.r_[np.full(len(rhs_lo), np.inf), k_free]
    integer = np.r_[np.ones(nv, bool), np.zeros(ny, bool)]
    x0 = None
    if start is not None and len(start):
        pos = {int(cols[x]): t for t, x in enumerate(xcols)}
        x0 = np.zeros(nv + ny)
        for j in start:
            if int(j) in pos:
                x0[pos[int(j)]] = 1.0
        if int((x0[:nv] > 0.5).sum()) != k_free:
            x0 = None
        else:
            # y from the chained rows, in order (each row's y after the previous one's)
            Ax = A[:card_row, :nv] @ x0[:nv]
            y = np.zeros(ny)
            first = np.r_[True, rhs_lo[1:] == 1.0] if ny else np.zeros(0, bool)
            prev = 0.0
            for t in range(ny):
                prev = max(0.0, (1.0 if first[t] else prev) - Ax[t])
                y[t] = prev
            x0[nv:] = y
    options = {"mip_abs_gap": 0.999} if D.integral else {}
    model = Milp(c, np.zeros(nv + ny), np.r_[np.ones(nv), np.full(ny, np.inf)], integer, A,
                 row_lo, row_hi, False)
    status, x, _, bound = solve_milp(model, time_limit, x0, options)
    if x is None:
        return status, None, bound + const, np.inf
    chosen = cols[xcols[x[:nv] > 0.5]]
    open_ = np.r_[np.flatnonzero(forced), chosen].astype(int)
    return status, open_, bound + const, float(c @ x + const)


def solve(D: Dense, k: int, time_limit: float = 60.0) -> dict[str, Any]:
    """The whole method; returns ``open``, ``objective`` (recomputed), ``bound`` (proven),
    ``status`` and counts.

    Parameters
    ----------
    D : Dense
        Weighted costs village × site and the unserved cost.
    k : int
        New sites.
    time_limit : float, default 60
        Seconds for the whole method.

    Returns
    -------
    dict
        ``open``, ``objective`` (recomputed), ``bound`` (proven), ``status`` and counts.
    """
    t0 = time.perf_counter()
    free = int((~D.forced).sum())
    k = min(k, free)
    inc = greedy(D, k)
    inc = interchange(D, inc, t0 + time_limit * 0.25)
    ub = cost_of(D, inc)
    b, seen = lagrangian_bound(D, k, ub, t0 + time_limit * 0.5)
    for cand in seen[-8:]:                      # Lagrangian open sets, polished
        if time.perf_counter() > t0 + time_limit * 0.55:
            break
        cand = interchange(D, cand, t0 + time_limit * 0.55)
        val = cost_of(D, cand)
        if val < ub - 1e-9:
            inc, ub = cand, val
    lb = b.value
    tol = 1 - 1e-9 if D.integral else 1e-9 * max(1.0, abs(ub))
    info = {"lagrangian_bound": lb, "fixed_open": 0, "fixed_closed": 0}
    if ub - lb <= tol:
        # integer costs: the bound rounds up to the next integer, here the incumbent
        return {"open": inc, "objective": ub,
                "bound": min(ub, float(np.ceil(lb - 1e-9))) if D.integral else lb,
                "status": "Optimal (proven by the Lagrangian bound)", **info}
    must_open, must_closed = fix_sites(D, k, b, ub)
    info.update(fixed_open=int(must_open.sum()), fixed_closed=int(must_closed.sum()))
    left = time_limit - (time.perf_counter() - t0)
    if left <= 0.5:
        return {"open": inc, "objective": ub, "bound": lb, "status": "time limit", **info}
    # no village can cost more than λ_i + (UB − L) in a better solution
    slack = ub - lb + (1.0 if D.integral else 1e-9 * max(1.0, abs(ub)))
    cap = b.lam + slack
    status, open_, bound, model_value = exact(D, k, must_open, must_closed, inc,
                                              t0 + time_limit - time.perf_counter(), cap)
    proven = False
    if open_ is not None:
        val = cost_of(D, open_)
        if val < ub - 1e-9:
            inc, ub = open_, val
        # a model optimum that costs what the model says is the true optimum
        proven = status == "Optimal" and abs(val - model_value) <= 1e-6 * max(1.0, abs(val))
    bound = max(lb, bound if np.isfinite(bound) else lb)
    if proven or (status == "Optimal" and bound >= ub - tol):
        bound = ub
        status = "Optimal"
    elif status == "Optimal":
        status = "bound from the truncated model"
    return {"open": inc, "objective": ub, "bound": min(bound, ub), "status": status, **info}
