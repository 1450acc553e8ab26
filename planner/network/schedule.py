"""Scheduled services by weekday: a flight that leaves on Tuesdays and Fridays at 08:30.

A link table row may carry ``days`` (``"Tue,Fri"``, ``"Mon-Fri"``, ``"daily"``; English or
Indonesian day names, three letters or whole) and ``depart`` (``"08:30"``, several as
``"08:30;14:00"``). Route choice uses the expected wait (half the time between departures);
a trip (:mod:`planner.decide.trips`) waits for the actual next departure.

Times are minutes. A timeline counts minutes from 00:00 of a trip plan's start date, whose
weekday (Monday 0 ... Sunday 6) is given.
"""

from __future__ import annotations

import re

from ..text import clock_minutes, clock_text

DAY_NAMES = {
    "mon": 0, "monday": 0, "sen": 0, "senin": 0,
    "tue": 1, "tuesday": 1, "sel": 1, "selasa": 1,
    "wed": 2, "wednesday": 2, "rab": 2, "rabu": 2,
    "thu": 3, "thursday": 3, "kam": 3, "kamis": 3,
    "fri": 4, "friday": 4, "jum": 4, "jumat": 4, "jum'at": 4,
    "sat": 5, "saturday": 5, "sab": 5, "sabtu": 5,
    "sun": 6, "sunday": 6, "min": 6, "minggu": 6, "ahad": 6,
}
"""Day names understood in ``days`` (case-insensitive), Monday 0 ... Sunday 6."""

EVERY_DAY = 0b1111111
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY = 24 * 60


def parse_days(text: str) -> int:
    """The weekdays of ``text`` as a bit mask (bit 0 Monday ... bit 6 Sunday).

    Parameters
    ----------
    text : str
        ``"Tue,Fri"``, ``"Mon-Fri"``, ``"daily"``; English or Indonesian names.

    Returns
    -------
    int
        The mask (never 0).

    Raises
    ------
    ValueError
        Naming the part that is not a day, a range or ``daily``.
    """
    t = str(text).strip().lower()
    if t in ("daily", "every day", "setiap hari", "*"):
        return EVERY_DAY
    mask = 0
    for part in re.split(r"[,;/ ]+", t):
        if not part:
            continue
        if "-" in part:
            a, _, b = part.partition("-")
            if a not in DAY_NAMES or b not in DAY_NAMES:
                raise ValueError(f"{part!r} is not a range of days such as Mon-Fri")
            i, j = DAY_NAMES[a], DAY_NAMES[b]
            for k in range(7):
                if (k - i) % 7 <= (j - i) % 7:
                    mask |= 1 << k
        elif part in DAY_NAMES:
            mask |= 1 << DAY_NAMES[part]
        else:
            raise ValueError(f"{part!r} is not a day name (Mon, Tue, ... or Senin, Selasa, ...)")
    if not mask:
        raise ValueError("no day given")
    return mask


def parse_times(text: str) -> tuple[int, ...]:
    """Departure times ``"08:30;14:00"`` as sorted minutes after midnight.

    Parameters
    ----------
    text : str
        Times ``HH:MM`` separated by ``;``.

    Returns
    -------
    tuple of int
        Distinct minutes after midnight, sorted.

    Raises
    ------
    ValueError
        When a part is not a time of day.
    """
    parts = [p for p in re.split(r"[;, ]+", str(text).strip()) if p]
    if not parts:
        raise ValueError("no departure time given")
    return tuple(sorted({clock_minutes(p) for p in parts}))


def format_days(mask: int) -> str:
    """The mask as day names.

    Parameters
    ----------
    mask : int
        Bit 0 Monday ... bit 6 Sunday.

    Returns
    -------
    str
        ``Tue,Fri`` (``daily`` for every day).
    """
    if mask == EVERY_DAY:
        return "daily"
    return ",".join(DAY_LABELS[k] for k in range(7) if mask >> k & 1)


def format_times(times: tuple[int, ...]) -> str:
    """Departure times as text.

    Parameters
    ----------
    times : tuple of int
        Minutes after midnight.

    Returns
    -------
    str
        ``08:30;14:00``.
    """
    return ";".join(clock_text(t) for t in times)


def per_week(mask: int, times: tuple[int, ...]) -> int:
    """Departures per week.

    Parameters
    ----------
    mask : int
        The weekdays.
    times : tuple of int
        The departures on each of them.

    Returns
    -------
    int
        Days × departures a day.
    """
    return bin(mask).count("1") * len(times)


def next_departure(t: float, mask: int, times: tuple[int, ...], first_weekday: int) -> float:
    """The first departure at or after ``t``.

    Parameters
    ----------
    t : float
        Minutes on a timeline whose day 0 has weekday ``first_weekday``.
    mask : int
        The weekdays of the service.
    times : tuple of int
        Its departures (minutes after midnight).
    first_weekday : int
        The weekday of day 0 (Monday 0 ... Sunday 6).

    Returns
    -------
    float
        The departure, in minutes on the same timeline.
    """
    day = int(t // DAY)
    for d in range(day, day + 8):
        if mask >> ((first_weekday + d) % 7) & 1:
            for at in times:
                dep = d * DAY + at
                if dep >= t - 1e-9:
                    return float(dep)
    raise ValueError("a schedule without departures")  # parse_days never gives one
