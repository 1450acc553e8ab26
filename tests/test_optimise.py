"""Site choice on travel-time tables worked out by hand, and against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from planner.decide import optimise
from planner.decide.optimise import (
    CoverageProblem,
    covered_demand,
    greedy,
    lagrangian_bound,
    marginal_gains,
    max_coverage,
    min_sites_for_target,
    p_median,
)
from planner.errors import InfeasibleError, InputError

INF = np.inf
# 4 villages x 3 candidate sites, minutes; cover time 30:
#   site 0 covers villages 0, 1; site 1 covers 1, 2; site 2 covers 3.
MIN = np.array([[10, 50, INF],
                [20, 25, 90],
                [60, 30, INF],
                [INF, 45, 5]], dtype=float)
DEMAND = np.array([10, 20, 30, 40], dtype=float)


def hand(**kw) -> CoverageProblem:
    return CoverageProblem.from_matrix(MIN, DEMAND, 30.0, **kw)


def test_max_coverage_by_hand():
    p = hand()
    # k=1: site 0 covers 10+20=30, site 1 20+30=50, site 2 40 -> site 1
    s1 = max_coverage(p, 1)
    assert s1.open.tolist() == [1] and s1.objective == 50 and s1.gap <= 1e-9
    # k=2: {1,2} = 90 beats {0,2} = 70 and {0,1} = 60
    s2 = max_coverage(p, 2)
    assert sorted(s2.open.tolist()) == [1, 2] and s2.objective == 90
    assert s2.solver == "highs" and s2.status == "Optimal"
    # reported order: the site adding most first; gains 50 then 40
    assert marginal_gains(p, s2.open).tolist() == [50.0, 40.0]


def test_kits_and_budget_by_hand():
    # site 2 is in a blank spot; with no kit: best pair {0,1} = 60
    p = hand(needs_kit=np.array([False, False, True]))
    s = max_coverage(p, 2, kits=0)
    assert sorted(s.open.tolist()) == [0, 1] and s.objective == 60
    # costs 1, 5, 2 and a budget of 4: only {0,2} (cost 3) fits -> 70
    p = hand(cost=np.array([1.0, 5.0, 2.0]))
    s = max_coverage(p, 2, budget=4.0)
    assert sorted(s.open.tolist()) == [0, 2] and s.objective == 70
    assert p.cost[s.open].sum() <= 4.0


def test_forced_existing_site():
    # site 2 exists (forced): one more site: site 1 adds 50 -> 90
    p = hand(forced=np.array([False, False, True]))
    s = max_coverage(p, 1)
    assert s.open.tolist() == [2, 1] and s.objective == 90


def test_target_fewest_and_cheapest():
    p = hand(cost=np.array([1.0, 5.0, 2.0]))
    # 65 people: one site covers at most 50, so 2 sites
    s = min_sites_for_target(p, 65)
    assert s.objective == 2 and covered_demand(p, s.open) >= 65
    # least cost reaching 65: {0,2} = 3 (covers 70) beats {1,2} = 7
    c = min_sites_for_target(p, 65, minimise="cost")
    assert sorted(c.open.tolist()) == [0, 2] and c.objective == pytest.approx(3.0)


def test_target_nobody_can_reach():
    with pytest.raises(InfeasibleError, match=r"reachable 100 < needed 200"):
        min_sites_for_target(hand(), 200)


def test_p_median_by_hand():
    # k=1, all pairs allowed (cover time 100): cost of site j = Σ d_i t_ij
    p = CoverageProblem.from_matrix(np.where(np.isinf(MIN), 1000, MIN), DEMAND, 100.0)
    # site 0: 10*10 + 20*20 + 30*60 + 40*unserved; site 1: 10*50+20*25+30*30+40*45 = 3700;
    # site 2: 20*90 + 40*5 + (10+30)*unserved. Unserved = 2 x 90 = 180 -> site 1 wins.
    s = p_median(p, 1)
    assert s.open.tolist() == [1] and s.objective == pytest.approx(3700.0)


def random_problem(rng, n=12, m=7, kit_share=0.3):
    mins = rng.uniform(0, 100, (n, m))
    mins[rng.random((n, m)) < 0.5] = np.inf
    return CoverageProblem.from_matrix(mins, rng.integers(0, 50, n).astype(float), 40.0,
                                       needs_kit=rng.random(m) < kit_share,
                                       cost=rng.integers(1, 10, m).astype(float))


def brute(p, k, kits=None, budget=None):
    best = 0.0
    for combo in itertools.combinations(range(p.m), k):
        c = np.array(combo, dtype=int)
        if kits is not None and p.needs_kit[c].sum() > kits:
            continue
        if budget is not None and p.cost[c].sum() > budget:
            continue
        best = max(best, covered_demand(p, c))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force_and_greedy_never_beats_it(seed):
    rng = np.random.default_rng(seed)
    p = random_problem(rng)
    for k in (1, 2, 3):
        kits = int(rng.integers(0, 2)) if seed % 2 else None
        budget = float(rng.integers(5, 15)) if seed % 3 == 0 else None
        exact = max_coverage(p, k, kits=kits, budget=budget)
        opt = max(brute(p, kk, kits, budget) for kk in range(0, k + 1))
        assert exact.objective == pytest.approx(opt), (seed, k)
        g = greedy(p, k=k, kits=kits, budget=budget)
        assert covered_demand(p, g) <= exact.objective + 1e-9
        if kits is not None:
            assert p.needs_kit[exact.open].sum() <= kits
        if budget is not None:
            assert p.cost[exact.open].sum() <= budget + 1e-9
        bound, _ = lagrangian_bound(p, k, max_seconds=5) if kits is None and budget is None \
            else (np.inf, 0)
        assert bound >= exact.objective - 1e-6


def test_lagrangian_bound_on_a_larger_instance():
    """The bound is valid (never below the proven optimum) and useful (random dense
    instances have LP gaps near 10%; here it lands within 15%)."""
    rng = np.random.default_rng(5)
    p = random_problem(rng, n=150, m=30)
    exact = max_coverage(p, 5)
    assert exact.status == "Optimal"
    bound, frac = lagrangian_bound(p, 5)
    assert exact.objective - 1e-6 <= bound <= exact.objective * 1.15
    assert frac.sum() == pytest.approx(5, abs=0.5)  # fractional sites add up to about k


def test_capacity_limits_people_per_site():
    # k=1; site 1 covers 50 people but serves at most 35: site 2 (40 people, cap 100) wins
    p = hand(capacity=np.array([100.0, 35.0, 100.0]))
    s = max_coverage(p, 1)
    assert s.open.tolist() == [2] and s.objective == pytest.approx(40.0)
    s2 = max_coverage(p, 2)
    assert s2.objective == pytest.approx(75.0)  # {1,2}: 35 + 40


def test_heuristic_path_reports_a_proven_gap():
    rng = np.random.default_rng(9)
    p = random_problem(rng, n=150, m=30)
    exact = max_coverage(p, 5)
    heur = max_coverage(p, 5, method="heuristic")
    assert heur.solver in ("greedy+swap", "lp-guided highs+swap")
    assert "Lagrangian" in heur.status
    assert heur.objective <= exact.objective + 1e-9 <= heur.bound + 1e-6
    assert heur.gap == pytest.approx((heur.bound - heur.objective) / heur.objective)


@pytest.mark.parametrize("seed", range(8))
def test_fixing_by_bound_keeps_an_optimum(seed):
    """Sites fixed open or closed by the Lagrangian bound against an incumbent one person
    below the optimum: the best solution respecting the fixings is still the optimum."""
    from planner.decide.optimise import fix_by_bound, lagrangian

    rng = np.random.default_rng(100 + seed)
    p = random_problem(rng, n=40, m=10, kit_share=0.0)
    k = 3
    opt = brute(p, k)
    bound, _, profit = lagrangian(p, k, max_seconds=5)
    fixed_open, fixed_closed = fix_by_bound(p, k, bound, opt - 1, profit)
    best = 0.0
    for combo in itertools.combinations(range(p.m), k):
        c = np.array(combo, dtype=int)
        if fixed_closed[c].any() or not set(np.flatnonzero(fixed_open)) <= set(combo):
            continue
        best = max(best, covered_demand(p, c))
    assert best == pytest.approx(opt)


def _random_problem(rng, big: bool):
    n, m = int(rng.integers(3, 9)), int(rng.integers(2, 7))
    mat = np.where(rng.random((n, m)) < 0.35, rng.uniform(1, 100, (n, m)), np.inf)
    demand = rng.integers(0, 20, n).astype(float)
    if big:  # district-level tables or other units: up to 10^8 per village
        demand *= 10.0 ** rng.integers(0, 8)
    forced = np.zeros(m, bool)
    forced[0] = rng.random() < 0.5
    cost = rng.integers(1, 10, m).astype(float)
    cost[rng.random(m) < 0.2] = cost.max()  # ties in cost
    needs_kit = rng.random(m) < 0.4
    p = optimise.CoverageProblem.from_matrix(mat, demand, 60.0, forced=forced,
                                             needs_kit=needs_kit, cost=cost)
    kits = None if rng.random() < 0.6 else int(rng.integers(0, 3))
    budget = None if rng.random() < 0.6 else float(rng.integers(0, 20))
    return p, kits, budget


def _brute_target(p, target, kits, budget, how):
    free = np.flatnonzero(~p.forced)
    forced = np.flatnonzero(p.forced)
    best = None
    for r in range(len(free) + 1):
        for subset in itertools.combinations(free, r):
            s = list(subset)
            if kits is not None and p.needs_kit[s].sum() > kits:
                continue
            if budget is not None and p.cost[s].sum() > budget + 1e-9:
                continue
            if optimise.covered_demand(p, np.r_[forced, s].astype(int)) + 1e-9 >= target:
                val = len(s) if how == "sites" else float(p.cost[s].sum())
                best = val if best is None else min(best, val)
    return best


@pytest.mark.parametrize("big", [False, True])
def test_target_models_equal_brute_force(big):
    """Fewest sites and least cost under a target, with kits and budgets, ties, zero, full
    and unreachable targets, and demands up to 10^8 per village: the answer is optimal, its
    coverage (recomputed from the table) meets the target, its objective is the count or
    cost of the sites returned, and only a proven impossibility raises."""
    rng = np.random.default_rng(7 if big else 3)
    for _ in range(150):
        p, kits, budget = _random_problem(rng, big)
        reach = float(p.demand[np.diff(p.cover.indptr) > 0].sum())
        target = float(np.ceil(rng.choice([0.0, 1.0, reach, reach + 1,
                                           rng.uniform(0, reach)])))
        for how in ("sites", "cost"):
            best = _brute_target(p, target, kits, budget, how)
            try:
                sol = optimise.min_sites_for_target(p, target, kits=kits, budget=budget,
                                                    minimise=how, time_limit=10)
            except InfeasibleError:
                assert best is None
                continue
            assert best is not None
            new = [j for j in sol.open if not p.forced[j]]
            got = len(new) if how == "sites" else float(p.cost[new].sum())
            assert got == pytest.approx(best)
            assert sol.objective == pytest.approx(got)
            assert optimise.covered_demand(p, np.asarray(sol.open)) + 1e-9 >= target


def test_symmetric_large_instance_does_not_recurse():
    """A ring with uniform demand, above the guided-path size: no bound fixes anything and
    the sub-problem is the whole problem; it is solved, not recursed into."""
    n, w = 1000, 30
    rows = [(j + d) % n for j in range(n) for d in range(-w, w + 1)]
    cols = [j for j in range(n) for _ in range(-w, w + 1)]
    t = pd.DataFrame({"village": rows, "site": cols, "minutes": np.full(len(rows), 10.0)})
    p = optimise.CoverageProblem.from_table(t, np.ones(n), np.arange(n).astype(str), 60.0)
    assert len(rows) > optimise.GUIDED_MIN_NNZ
    sol = optimise.max_coverage(p, 10, time_limit=30)
    assert sol.objective == 610 and sol.bound < 611  # integer demand: proven optimal


def test_reported_objectives_are_recomputed():
    rng = np.random.default_rng(11)
    for _ in range(30):
        p, _, _ = _random_problem(rng, False)
        k = int(min(2, (~p.forced).sum()))
        mc = optimise.max_coverage(p, k, time_limit=5)
        assert mc.objective == pytest.approx(optimise.covered_demand(p, np.asarray(mc.open)))


def test_p_median_equals_brute_force():
    """The p-median method (Lagrangian bound, fixing, exact model on the rest) returns the
    brute-force optimum with a true bound, also with forced sites, unreachable pairs and
    villages no site reaches."""
    from planner.decide import pmedian

    rng = np.random.default_rng(17)
    for _ in range(120):
        n, m = int(rng.integers(3, 10)), int(rng.integers(2, 8))
        mat = np.where(rng.random((n, m)) < 0.6, rng.integers(1, 100, (n, m)).astype(float),
                       np.inf)
        demand = rng.integers(0, 10, n).astype(float)
        forced = np.zeros(m, bool)
        forced[0] = rng.random() < 0.4
        p = optimise.CoverageProblem.from_matrix(mat, demand, 1e9, forced=forced)
        k = int(rng.integers(0, (~forced).sum() + 1))
        if k == 0 and not forced.any():  # nothing would be open: said, not "optimal"
            with pytest.raises(InputError, match="expected k >= 1"):
                optimise.p_median(p, k, time_limit=10)
            continue
        sol = optimise.p_median(p, k, time_limit=10)
        pen = 2 * float(np.max(p.minutes.tocoo().data, initial=1.0))
        D = pmedian.dense(p.demand, p.minutes, p.forced, pen)
        best = min(pmedian.cost_of(D, np.r_[np.flatnonzero(forced), s].astype(int))
                   for s in itertools.combinations(np.flatnonzero(~forced), k))
        assert sol.objective == pytest.approx(best)
        assert sol.bound <= best + 1e-6
        assert len([j for j in sol.open if not forced[j]]) == k


def test_p_median_medium_graph_equals_an_independent_model():
    """On a 60-node graph with all-pairs shortest paths, the optimum equals HiGHS on the
    classic strong formulation (x_j, z_ij <= x_j, Σ_j z_ij = 1), built here."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    from planner.decide.milp import Milp, solve_milp

    rng = np.random.default_rng(60)
    n = 60
    xy = rng.random((n, 2))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    near = np.argsort(d, axis=1)[:, 1:4]
    rows, cols = np.repeat(np.arange(n), 3), near.ravel()
    g = sp.coo_matrix((np.round(d[rows, cols] * 1000) + 1, (rows, cols)), shape=(n, n))
    dist = shortest_path(g.tocsr().maximum(g.tocsr().T), directed=False)
    dist[~np.isfinite(dist)] = 1e5
    demand = rng.integers(1, 5, n).astype(float)
    for k in (3, 8):
        p = optimise.CoverageProblem.from_matrix(dist, demand, 1e12)
        sol = optimise.p_median(p, k, time_limit=30)
        # independent strong formulation
        nv = n + n * n
        c = np.r_[np.zeros(n), (demand[:, None] * dist).ravel()]
        zi = np.arange(n * n)
        link = sp.hstack([-sp.csr_matrix((np.ones(n * n), (zi, np.tile(np.arange(n), n))),
                                         shape=(n * n, n)), sp.identity(n * n)])
        assign = sp.hstack([sp.csr_matrix((n, n)),
                            sp.csr_matrix((np.ones(n * n), (np.repeat(np.arange(n), n), zi)),
                                          shape=(n, n * n))])
        card = sp.csr_matrix(np.r_[np.ones(n), np.zeros(n * n)])
        A = sp.vstack([link, assign, card]).tocsr()
        status, _x, obj, _ = solve_milp(Milp(
            c, np.zeros(nv), np.ones(nv), np.r_[np.ones(n, bool), np.zeros(n * n, bool)], A,
            np.r_[np.full(n * n, -np.inf), np.ones(n), k], np.r_[np.zeros(n * n), np.ones(n), k],
            False), 60)
        assert status == "Optimal"
        assert sol.objective == pytest.approx(obj, rel=1e-9)
        assert sol.status.startswith("Optimal") and sol.bound == pytest.approx(obj, rel=1e-9)


def test_p_center_and_set_cover_equal_brute_force():
    rng = np.random.default_rng(9)
    for _ in range(120):
        n, m = int(rng.integers(3, 9)), int(rng.integers(2, 7))
        mat = np.where(rng.random((n, m)) < 0.5, rng.integers(1, 50, (n, m)).astype(float),
                       np.inf)
        forced = np.zeros(m, bool)
        forced[0] = rng.random() < 0.4
        demand = rng.integers(0, 5, n).astype(float)
        free, fz = np.flatnonzero(~forced), np.flatnonzero(forced)
        reach = np.isfinite(mat).any(axis=1)
        k = int(rng.integers(0, len(free) + 1))

        def longest(s, mat=mat, fz=fz, reach=reach):
            o = np.r_[fz, s].astype(int)
            if not reach.any():
                return 0.0
            return float(mat[reach][:, o].min(axis=1).max()) if len(o) else np.inf

        best = min(longest(list(s)) for s in itertools.combinations(free, k))
        wide = optimise.CoverageProblem.from_matrix(mat, demand, 1e9, forced=forced)
        try:
            got = optimise.p_center(wide, k, time_limit=10)
            assert len([j for j in got.open if not forced[j]]) <= k
            assert got.objective == pytest.approx(best)
        except InfeasibleError:
            assert np.isinf(best)
        cov = mat <= 30
        need = cov.any(axis=1) & ~(cov[:, fz].any(axis=1) if len(fz) else np.zeros(n, bool))
        fewest = next(r for r in range(len(free) + 1) for s in itertools.combinations(free, r)
                      if (cov[need][:, list(s)].any(axis=1) if r
                          else np.zeros(int(need.sum()), bool)).all())
        p = optimise.CoverageProblem.from_matrix(mat, demand, 30.0, forced=forced)
        assert optimise.set_cover(p).objective == fewest


def test_what_spopt_calls_infeasible_is_said_plainly():
    """k above the number of candidates, sites that would add nobody, p-median with nothing
    open and set covering with nothing in reach are said in the status (or refused), never
    a bare "Optimal"."""
    mat = np.array([[5.0, np.inf], [np.inf, 5.0], [np.inf, np.inf]])
    p = optimise.CoverageProblem.from_matrix(mat, np.array([3.0, 4.0, 5.0]), 10)
    sol = optimise.max_coverage(p, 5)
    assert "k = 5 is more than the 2 candidates: 2 opened" in sol.status
    lone = optimise.CoverageProblem.from_matrix(np.array([[5.0, 5.0]]), np.array([3.0]), 10)
    sol = optimise.max_coverage(lone, 2)
    assert "1 of the k = 2 opened" in sol.status and sol.objective == 3
    with pytest.raises(InputError, match="expected k >= 0"):
        optimise.max_coverage(p, -1)
    with pytest.raises(InputError, match="expected k >= 1"):
        optimise.p_median(p, 0)
    far = optimise.CoverageProblem.from_matrix(np.full((2, 2), np.inf), np.ones(2), 10)
    assert optimise.set_cover(far).status.startswith("nothing to cover")
