"""The edition model: what to build, and what a brief may show.

An :class:`Edition` is the unit the pipeline executes and publishes: one brief
at one parameter set.  Its :class:`Window` is what the brief itself may show:
rows known on ``as_of``, events from ``since``, changes since the
``previous_edition``, under one ``marking``.  The rules that tie those
parameters together live here and nowhere else (:func:`window_rules`); the
CLI, the kernel (:func:`briefing.themes.start`) and the exporters all call
them, so every path (``briefing render``, plain papermill, JupyterLab,
``nbconvert --to brief``) refuses the same bad values with the same words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

MARKINGS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")  # TLP 2.0
DATE_PARAMETERS = ("as_of", "since", "previous_edition")
STALE_AFTER_DAYS = 45  # an edition dated this long after its newest row says its record is stale
METADATA_KEY = "briefing"  # where a brief records what it is: notebook and output metadata


class EditionRuleError(ValueError):
    """Parameters that no edition may have; ``name`` is the parameter to fix."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"parameter {name!r}: {message}")

    def _render_traceback_(self):
        """IPython shows this one line instead of a traceback (JupyterLab, papermill, nbval)."""
        return [f"{type(self).__name__}: {self}"]


def parse_date(name: str, value: Any) -> str:
    """``value`` as an ISO date string, or an :class:`EditionRuleError` naming ``name``."""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise EditionRuleError(name, f"{value!r} is not a date YYYY-MM-DD") from None


def window_rules(as_of: str, since: str | None = None, previous_edition: str | None = None,
                 marking: str | None = None, *, default_since: str | None = None,
                 today: date | None = None) -> dict[str, str]:
    """Checked, completed window parameters; the one place edition rules are enforced.

    - ``as_of`` is a date, not in the future;
    - ``since`` is a date no later than ``as_of``; empty means ``default_since``
      (the brief's natural start), capped at ``as_of`` for an edition dated
      before it;
    - ``previous_edition`` is a date before ``as_of``; empty means one calendar
      month before ``as_of`` (the monthly cadence), so ``as_of`` alone always
      gives a consistent window;
    - ``marking`` is a TLP 2.0 label; it is never defaulted here: a brief
      without a readable marking is refused, not published as CLEAR.
    """
    as_of = parse_date("as_of", as_of)
    if as_of > (today or date.today()).isoformat():
        raise EditionRuleError("as_of", f"{as_of} is in the future")
    since = parse_date("since", since) if since else min(parse_date("since", default_since or as_of), as_of)
    if since > as_of:
        raise EditionRuleError("since", f"{since} is after as_of ({as_of})")
    if previous_edition:
        previous_edition = parse_date("previous_edition", previous_edition)
    elif (previous_edition := month_before(as_of)) is None:
        raise EditionRuleError("as_of", f"{as_of} leaves no earlier date for a previous edition")
    if previous_edition >= as_of:
        raise EditionRuleError("previous_edition", f"{previous_edition} is not before as_of ({as_of})")
    if marking not in MARKINGS:
        raise EditionRuleError("marking", f"{marking!r} is not a TLP 2.0 label ({', '.join(MARKINGS)})")
    return {"as_of": as_of, "since": since, "previous_edition": previous_edition, "marking": marking}


def stale_days(as_of: str, record_end: str | None) -> int | None:
    """Days from the end of the record to ``as_of`` when that exceeds :data:`STALE_AFTER_DAYS`, else None."""
    if not record_end:
        return None
    days = (date.fromisoformat(as_of) - date.fromisoformat(record_end)).days
    return days if days > STALE_AFTER_DAYS else None


def month_before(as_of: str) -> str | None:
    """The same day one month earlier, clipped to the month's end ('2024-03-31' -> '2024-02-29').

    None when the calendar has no such day (January of year 1).
    """
    import calendar

    day = date.fromisoformat(as_of)
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    if year < 1:
        return None
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1])).isoformat()


@dataclass
class Window:
    """What one brief may show: as known on ``as_of``, from ``since``, under ``marking``.

    Also the brief's citation record: every table and chart it shows adds
    its sources to :attr:`cited`, in order, and the closing list is built
    from that (so no module-level state outlives a brief).
    """

    as_of: str
    since: str
    previous_edition: str
    marking: str
    cited: dict[str, None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def checked(cls, as_of, since=None, previous_edition=None, marking=None, **rules) -> Window:
        return cls(**window_rules(as_of, since, previous_edition, marking, **rules))

    def cite(self, ids) -> list[str]:
        """Record ``ids`` as cited; return them without repeats, in order."""
        ids = list(dict.fromkeys(ids))
        for sid in ids:
            self.cited.setdefault(sid, None)
        return ids

    def known(self, frame):
        """Rows reported by ``as_of``."""
        from .data import known_on

        return known_on(frame, self.as_of)

    def events(self, *themes: str):
        """Events known on ``as_of`` that started in the period, optionally for some themes."""
        import pandas as pd

        from . import data

        events = self.known(data.events())
        events = events[events["date_start"] >= pd.Timestamp(self.since)]
        if themes:
            events = events[events["theme"].isin(themes)]
        return events.sort_values(["date_start", "event_id"]).reset_index(drop=True)

    def event(self, event_id: str):
        """One event if it was known on ``as_of`` (whatever the period), else None."""
        from . import data

        events = self.known(data.events())
        match = events[events["event_id"] == event_id]
        return None if match.empty else match.iloc[0]

    @functools.cached_property
    def record_end(self) -> str | None:
        """Where the record ends: the newest dated report known on ``as_of`` across the fact tables.

        Rows whose date is only an upper bound (``reported_on_basis`` =
        ``upper_bound``: public by then at the latest) do not extend it: they
        say when a fact was seen, not how far the reporting reaches.
        """
        from . import data

        ends = [data.known_on(data.load(name), self.as_of)
                .loc[lambda f: f["reported_on_basis"] != "upper_bound", "reported_on"].max()
                for name in data.FACT_TABLES]
        ends = [end for end in ends if end == end and end is not None]  # NaT-free
        return max(ends).date().isoformat() if ends else None

    @property
    def stale_days(self) -> int | None:
        return stale_days(self.as_of, self.record_end)

    @property
    def period(self) -> str:
        from .brief import fmt_date

        return f"{fmt_date(self.since)} to {fmt_date(self.as_of)}"


DRAFTS = "_drafts"  # renders that are not publications: never on the public index or feed


def marking_area(marking: str) -> str:
    """Where editions under ``marking`` live, relative to ``briefs/``: '' for TLP:CLEAR, else '_tlp-amber' etc.

    Each marking has its own place, so no render can ever replace (or sit in
    one listing with) an edition of another marking.
    """
    if marking not in MARKINGS:
        raise EditionRuleError("marking", f"{marking!r} is not a TLP 2.0 label ({', '.join(MARKINGS)})")
    return "" if marking == "TLP:CLEAR" else "_tlp-" + marking.removeprefix("TLP:").lower().replace("+", "-")


@dataclass(frozen=True)
class Edition:
    """One brief at one parameter set: the unit that is executed and published.

    Its identity is (brief, ``as_of``, marking): :attr:`folder` is its
    address under ``briefs/``, inside the place of its marking, or under
    ``_drafts/`` when it is a draft (not a catalog edition, not the
    scheduled edition of today, a draft brief).  ``revise`` carries what a
    revision must say about itself (set by the pipeline, never by a user).
    """

    slug: str
    name: str
    notebook: Path
    parameters: dict[str, Any] = field(hash=False)
    formats: tuple[str, ...] = ("html", "pdf")
    keywords: tuple[str, ...] = ()
    draft: bool = False
    revision: dict | None = field(default=None, hash=False, compare=False)

    @property
    def as_of(self) -> str:
        return self.parameters["as_of"]

    @property
    def marking(self) -> str:
        return self.parameters.get("marking", "")

    @property
    def folder(self) -> Path:
        """The edition's address relative to ``briefs/``: ``[_drafts/][_tlp-x/]<slug>/<as_of>``."""
        area = Path(DRAFTS) if self.draft else Path()
        return area / marking_area(self.marking) / self.slug / self.as_of

    @property
    def label(self) -> str:
        where = " (draft)" if self.draft else ""
        tlp = "" if self.marking == "TLP:CLEAR" else f" [{self.marking}]"
        return f"{self.slug}@{self.as_of}{tlp}{where}"
