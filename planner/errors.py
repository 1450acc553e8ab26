"""Typed errors. Every input problem is collected and reported together.

``InputError`` subclasses ``ValueError`` so callers that catch ``ValueError`` keep working.
The CLI maps ``InputError`` to exit code 2, ``InfeasibleError`` to 3 and ``OutputError``
to 4.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    source : str
        The file (or scenario section) the problem is in.
    message : str
        What was expected, what was found and how to fix it.
    where : str, optional
        Row, feature or key, e.g. ``"row 12"`` or ``"feature 3"``.
    column : str, optional
        The column or key concerned.
    """

    source: str
    message: str
    where: str = ""
    column: str = ""

    def __str__(self) -> str:
        col = f"column '{self.column}'" if self.column else ""
        loc = ", ".join(p for p in (self.where, col) if p)
        return f"{self.source}: {loc + ': ' if loc else ''}{self.message}"


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class InputError(PlannerError, ValueError):
    """One or more problems in the inputs; ``problems`` lists all of them."""

    def __init__(self, problems: list[Problem] | Problem | str, source: str = "input") -> None:
        if isinstance(problems, str):
            problems = [Problem(source, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:" if n > 1 else "bad input:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class OutputError(PlannerError, OSError):
    """The outputs could not be written (disk full, read-only or missing folder, no
    permission). The previous complete outputs are left as they were. CLI exit code 4."""


class InfeasibleError(PlannerError, ValueError):
    """A requested target cannot be reached; the message gives both numbers."""


class ProblemCollector:
    """Collect problems, then raise them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: str, message: str, where: str = "", column: str = "") -> None:
        """Record one problem (once: the same problem found by two checks is kept once).

        Parameters
        ----------
        source : str
            The file (or scenario section).
        message : str
            What was expected and found.
        where : str, optional
            Row, feature or key.
        column : str, optional
            The column or key.
        """
        p = Problem(str(source), message, where, column)
        if p not in self.problems:
            self.problems.append(p)

    def raise_if_any(self) -> None:
        """Raise an ``InputError`` listing every recorded problem, if there is one."""
        if self.problems:
            raise InputError(self.problems)
