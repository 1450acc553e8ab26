"""Helpers for generated (illustrative) data: exact integer allocation of totals.

Used by ``tools/make_kaltara_demo.py``; general enough for any study area.
"""

from __future__ import annotations

import numpy as np


def largest_remainder(total: int, weights: np.ndarray,
                      caps: np.ndarray | None = None) -> np.ndarray:
    """Split an integer ``total`` into integers proportional to ``weights``, each at most its cap.

    The result sums exactly to ``total``. With caps, shares above a cap are clipped and the
    excess is shared among the others in proportion to their weights (water-filling), then
    rounded by largest remainder (ties to the lower index, so the result is deterministic).

    Parameters
    ----------
    total : int
        What to split.
    weights : ndarray of float
        Non-negative weights.
    caps : ndarray of int, optional
        Most each may get.

    Returns
    -------
    ndarray of int
        The parts, summing to ``total``.

    Raises
    ------
    ValueError
        If ``total`` is negative, a weight is negative, or the caps add up to less than total.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any():
        raise ValueError("total and weights must be >= 0")
    cap = np.full(len(w), np.inf) if caps is None else np.asarray(caps, dtype=float)
    if cap.sum() < total:
        raise ValueError(f"caps add up to {cap.sum():.0f} < total {total}")
    if total == 0:
        return np.zeros(len(w), dtype=np.int64)
    share = np.zeros(len(w))
    free = (w > 0) & (cap > 0)
    remaining = float(total)
    while remaining > 1e-9 and free.any():
        alloc = remaining * w[free] / w[free].sum()
        room = cap[free] - share[free]
        over = alloc >= room
        if not over.any():
            share[free] += alloc
            remaining = 0.0
            break
        idx = np.flatnonzero(free)[over]
        remaining -= float((cap[idx] - share[idx]).sum())
        share[idx] = cap[idx]
        free[idx] = False
    if remaining > 1e-6:  # weights were zero where room remains: spread evenly over room
        room = cap - share
        share += remaining * room / room.sum()
    base = np.floor(share + 1e-9).astype(np.int64)
    base = np.minimum(base, cap).astype(np.int64)
    short = total - int(base.sum())
    frac = share - base
    frac[base >= cap] = -1.0
    order = np.lexsort((np.arange(len(w)), -frac))
    base[order[:short]] += 1
    return np.asarray(base, dtype=np.int64)
