"""One exception root with structured subclasses; the CLI maps them to exit codes.

Each subclass carries the facts a user needs to act (file, row, column; notebook,
cell) and formats them itself, so callers never build messages by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLAIN = re.compile(r"[\w.+-]+")


class BriefingError(Exception):
    """Root of every error this package raises on bad input or a failed run."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One rule broken by one cell (or file) of the shared data.

    ``row`` counts the header as row 1, as spreadsheet programs and
    Frictionless do, so ``sources.csv:14`` is the 14th line of a file
    without multi-line cells.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        row = "" if self.row is None else self.row
        column = self.column or "-"
        if not _PLAIN.fullmatch(column):  # an odd header (":", spaces) must not blur the file:row: column: form
            column = repr(column)
        value = "-" if self.value is None else repr(self.value)
        return f"{self.file}:{row}: {column}: {value}: {self.rule}"


class DataValidationError(BriefingError):
    """The shared data break one or more rules; nothing may render."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "", p.rule))
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the shared data:\n{lines}")

    def __reduce__(self):  # crosses processes whole (the check runs beside render's warm-up)
        return type(self), (self.problems,)


class UsageError(BriefingError):
    """Bad command line, catalog entry or parameter: nothing is rendered."""

    exit_code = 2


class ParameterError(UsageError):
    """A parameter set does not match what a notebook declares."""

    def __init__(self, notebook: str, name: str, message: str):
        self.notebook, self.name = notebook, name
        super().__init__(f"{notebook}: parameter {name!r}: {message}")


class CatalogError(UsageError):
    """The brief catalog is malformed or points at something missing."""


class LockedError(BriefingError):
    """Another render holds the publish lock."""

    exit_code = 2
