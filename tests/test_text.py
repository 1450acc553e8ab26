"""planner.text: the one home of figures as text (known answers, worked out by hand)."""

import math

import pytest

from planner.text import (
    clock_minutes,
    clock_text,
    count_text,
    minutes_text,
    percent_text,
    rupiah_text,
)


@pytest.mark.parametrize("m, expected", [
    (0, "0 min"), (45, "45 min"), (59.4, "59 min"), (59.6, "1 h 00 min"), (125, "2 h 05 min"),
    (24 * 60 + 1, "24 h 01 min"), (math.inf, "unreachable"), (math.nan, "unreachable"),
    (None, "unreachable"),
])
def test_minutes(m, expected):
    assert minutes_text(m) == expected


@pytest.mark.parametrize("x, short, expected", [
    (0, False, "Rp 0"), (1_234_567.4, False, "Rp 1,234,567"), (999_999, True, "Rp 999,999"),
    (51_300_000, True, "Rp 51.3 M"), (1_000_000, True, "Rp 1.0 M"), (-2_500_000, True,
                                                                   "Rp -2.5 M"),
    (math.nan, False, "n/a"), (None, True, "n/a"), (math.inf, True, "n/a"),
])
def test_rupiah(x, short, expected):
    assert rupiah_text(x, short=short) == expected


def test_count_and_percent():
    assert count_text(1932.4) == "1,932"
    assert count_text(0) == "0"
    assert count_text(None) == count_text(math.nan) == "n/a"
    assert percent_text(0.98809) == "98.81%"
    assert percent_text(0.994, digits=1) == "99.4%"
    assert percent_text(math.inf) == "n/a"


@pytest.mark.parametrize("text, minutes", [("08:30", 510), ("8:30", 510), (" 23:59 ", 1439),
                                           ("00:00", 0), ("14.00", 840)])
def test_clock_round_trip(text, minutes):
    assert clock_minutes(text) == minutes
    assert clock_minutes(clock_text(minutes)) == minutes


@pytest.mark.parametrize("bad", ["24:00", "12:60", "8h30", "", "noon"])
def test_clock_refuses_what_is_not_a_time(bad):
    with pytest.raises(ValueError, match="is not a time of day"):
        clock_minutes(bad)


def test_clock_text_wraps_days():
    assert clock_text(1440 + 61) == "01:01"
