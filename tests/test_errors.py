from __future__ import annotations

import pytest

from planner.errors import InfeasibleError, InputError, Problem, ProblemCollector


def test_problem_names_file_row_column():
    p = Problem("est.csv", "expected a number, found 'x'", "row 3", "ktp_eligible")
    assert str(p) == "est.csv: row 3, column 'ktp_eligible': expected a number, found 'x'"


def test_collector_raises_all_together():
    pc = ProblemCollector()
    pc.raise_if_any()  # nothing yet
    pc.add("a.csv", "first", "row 2")
    pc.add("a.csv", "second", "row 9", "kode")
    with pytest.raises(InputError) as err:
        pc.raise_if_any()
    assert len(err.value.problems) == 2
    assert "2 problems" in str(err.value) and "second" in str(err.value)


def test_errors_are_value_errors():
    assert issubclass(InputError, ValueError) and issubclass(InfeasibleError, ValueError)
