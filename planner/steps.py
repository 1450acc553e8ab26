"""Progress of the long steps, told as log records (the library never prints).

Each step sends one INFO record on the ``planner.progress`` logger when it starts (the step's
name in ``record.jangkau_step``) and one on ``planner`` when it ends, with its time. Nothing
shows unless an application listens: the ``planner`` command draws a progress bar on a
terminal and plain lines otherwise; a notebook may attach any handler.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("planner")
progress_log = logging.getLogger("planner.progress")

RUN_STEPS = ("load_validate", "join", "network", "travel", "prioritise")
"""The steps of :func:`planner.pipeline.run`, in order (a reused cache skips the middle)."""

WRITE_STEPS = ("write villages.csv", "write villages.xlsx", "write villages.gpkg",
               "trade-off curve", "write summary", "write map.png", "write map.html")
"""The steps of ``Plan.write``, in order (the trade-off curve only with a site choice)."""


def expected(*, with_sites: bool, with_logs: bool = False,
             with_trips: bool = False, decide: bool = False) -> tuple[str, ...]:
    """The steps a run announces, in order.

    The run's steps, ``field logs`` when the scenario has logs, ``choose sites``, ``plan
    trips``, then the outputs (the trade-off curve with a site choice, the progress files
    with logs, the trip files with trips).

    Parameters
    ----------
    with_sites : bool
        A site choice is made.
    with_logs : bool, default False
        Field logs are applied.
    with_trips : bool, default False
        Trips are planned.
    decide : bool, default False
        Stops and trips are chosen together (``decide stops and trips`` instead of ``plan
        trips``; implies trips).

    Returns
    -------
    tuple of str
        The step names.
    """
    run = RUN_STEPS[:-1] + (("field logs",) if with_logs else ()) + RUN_STEPS[-1:]
    write = tuple(s for s in WRITE_STEPS if with_sites or s != "trade-off curve")
    i = write.index("write summary")
    write = (*write[:i], *(("write progress",) if with_logs else ()),
             *(("write trips",) if with_trips or decide else ()), *write[i:])
    return (*run, *(("choose sites",) if with_sites or decide else ()),
            *(("decide stops and trips",) if decide else ("plan trips",) if with_trips
              else ()), *write)


@contextmanager
def step(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    """Announce a step, time it, and log its time.

    Parameters
    ----------
    name : str
        The step's name (as :func:`expected` lists it).
    timings : dict, optional
        Where the seconds go, under ``name``.

    Yields
    ------
    None
        The step runs inside the ``with`` block.
    """
    progress_log.info("%s", name, extra={"jangkau_step": name})
    t0 = time.perf_counter()
    yield
    seconds = round(time.perf_counter() - t0, 3)
    if timings is not None:
        timings[name] = seconds
    log.info("%s: %.2f s", name, seconds)
