"""Mixed-integer programs solved by HiGHS: the one home of the MILP plumbing.

A :class:`Milp` holds a model in HiGHS's form; :func:`solve_milp` solves it with one thread
and a fixed seed (the same answer on every machine) and returns the status, the solution, the
objective and the proven bound. Used by the coverage models (:mod:`planner.decide.optimise`) and by
the p-median solver (:mod:`planner.decide.pmedian`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

_HIGHS_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner on stdout when the first solver is made; keep stdout clean."""
    try:
        fd = os.dup(1)
    except OSError:  # pragma: no cover - no real stdout
        yield
        return
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)


@dataclass(frozen=True)
class Milp:
    """A mixed-integer program in HiGHS's form: ``c`` (objective per variable), variable
    ``lower``/``upper`` bounds and ``integer`` flags, the constraint matrix ``A`` with row
    bounds ``row_lo <= A x <= row_hi``, and the sense (``maximise``)."""

    c: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    A: Any
    row_lo: np.ndarray
    row_hi: np.ndarray
    maximise: bool


def solve_milp(m: Milp, time_limit: float, start: np.ndarray | None = None,
                options: dict[str, Any] | None = None
                ) -> tuple[str, np.ndarray | None, float, float]:
    """Solve ``m`` with HiGHS: one thread, fixed seed, within ``time_limit`` seconds.

    Parameters
    ----------
    m : Milp
        The model.
    time_limit : float
        Seconds HiGHS may use.
    start : ndarray, optional
        Values to start from (a feasible solution speeds the search).
    options : dict, optional
        Other HiGHS options.

    Returns
    -------
    status : str
        HiGHS's model status (``"Optimal"``, ``"Time limit reached"``...).
    x : ndarray or None
        The solution (None if none).
    objective : float
        Its objective.
    bound : float
        The proven bound.
    """
    import highspy

    with _HIGHS_LOCK, _quiet_stdout():  # one at a time: the fd swap is process-wide
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    for key_, value in (options or {}).items():
        h.setOptionValue(key_, value)
    lp = highspy.HighsLp()
    c, lower, upper, integer = m.c, m.lower, m.upper, m.integer
    row_lo, row_hi, maximise = m.row_lo, m.row_hi, m.maximise
    A = sp.csc_matrix(m.A)
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.asarray(c, float)
    lp.col_lower_, lp.col_upper_ = np.asarray(lower, float), np.asarray(upper, float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lo, float), np.asarray(row_hi, float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                       for f in integer]
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    x = np.array(h.getSolution().col_value) if info.primal_solution_status else None
    return status, x, float(info.objective_function_value), float(info.mip_dual_bound)


def relative_gap(obj: float, bound: float) -> float:
    """The relative gap between an objective and its proven bound.

    Parameters
    ----------
    obj : float
        The objective.
    bound : float
        Its proven bound.

    Returns
    -------
    float
        ``|bound − obj| / |obj|`` (0 when proven optimal).
    """
    return abs(bound - obj) / max(abs(obj), 1e-9)
