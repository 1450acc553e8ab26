"""Figures as text: the one home of minutes, rupiah, counts, percentages and clock times.

Every page, sheet, message and table that shows one of these figures formats it here, so a
figure reads the same everywhere (the summary, the map, the trip sheets, the CLI).
"""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(float(x))


def minutes_text(m: float | None) -> str:
    """A duration as ``45 min`` or ``2 h 05 min``.

    Parameters
    ----------
    m : float or None
        Minutes; rounded to the whole minute first.

    Returns
    -------
    str
        ``"unreachable"`` when ``m`` is None, NaN or infinite.
    """
    if m is None or _missing(m):
        return "unreachable"
    h, mm = divmod(round(float(m)), 60)
    return f"{h} h {mm:02d} min" if h else f"{mm} min"


def rupiah_text(x: float | None, *, short: bool = False) -> str:
    """An amount of money as ``Rp 1,234,567``.

    Parameters
    ----------
    x : float or None
        Rupiah.
    short : bool, default False
        Amounts of a million or more in millions with one decimal (``Rp 51.3 M``).

    Returns
    -------
    str
        ``"n/a"`` when ``x`` is None, NaN or infinite.
    """
    if x is None or _missing(x):
        return "n/a"
    if short and abs(x) >= 1e6:
        return f"Rp {x / 1e6:,.1f} M"
    return f"Rp {x:,.0f}"


def count_text(x: float | None) -> str:
    """A count of people (or anything) rounded to a whole number, with thousands separators.

    Parameters
    ----------
    x : float or None
        The count.

    Returns
    -------
    str
        ``"1,234"``; ``"n/a"`` when ``x`` is None, NaN or infinite.
    """
    if x is None or _missing(x):
        return "n/a"
    return f"{round(float(x)):,}"


def percent_text(share: float | None, digits: int = 2) -> str:
    """A share (0..1) as a percentage, ``98.81%``.

    Parameters
    ----------
    share : float or None
        The share, 1 = 100%.
    digits : int, default 2
        Decimals shown.

    Returns
    -------
    str
        ``"n/a"`` when ``share`` is None, NaN or infinite.
    """
    if share is None or _missing(share):
        return "n/a"
    return f"{100 * share:.{digits}f}%"


def clock_minutes(text: str) -> int:
    """A time of day ``"08:30"`` as minutes after midnight (0 .. 1439).

    Parameters
    ----------
    text : str
        ``HH:MM`` or ``HH.MM`` (24-hour clock; surrounding spaces allowed).

    Returns
    -------
    int
        Minutes after midnight.

    Raises
    ------
    ValueError
        When ``text`` is not a time of day ``HH:MM``.
    """
    m = _CLOCK.match(str(text))
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


def clock_text(m: float) -> str:
    """Minutes after midnight as a time of day ``HH:MM`` (days beyond the first wrap).

    Parameters
    ----------
    m : float
        Minutes after midnight (rounded to the whole minute).

    Returns
    -------
    str
        ``"08:30"``.
    """
    h, mm = divmod(round(m) % 1440, 60)
    return f"{h:02d}:{mm:02d}"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                 "\uff20")
"""Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), with
their full-width forms."""


def as_data(value: object) -> object:
    """A value for a CSV cell a spreadsheet will open: text a spreadsheet would take for a
    formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break, or their
    full-width forms) gets a leading ``'`` (OWASP's rule, as Excel shows it: the text, not
    a formula); anything else is returned as it is.

    Parameters
    ----------
    value : object
        A cell's value.

    Returns
    -------
    object
        The value, neutralised when it is text that would run as a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def from_data(value: str) -> str:
    """The text :func:`as_data` neutralised: a leading ``'`` before a formula character is
    dropped (a file the planner wrote, read back).

    Parameters
    ----------
    value : str
        A cell's text.

    Returns
    -------
    str
        The text as it was before :func:`as_data`.
    """
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
