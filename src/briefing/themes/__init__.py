"""The analysis behind each themed brief: one module per notebook.

A notebook holds narrative and calls; the logic lives here and is tested:
what an edition may show (:class:`Edition`), the key judgments computed from
the data, and the charts and tables.  Every number in a judgment is read
from the data, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import brief, data


@dataclass(frozen=True)
class Edition:
    """What one rendering may show: as known on ``as_of``, for the period from ``since``."""

    as_of: str
    since: str
    previous_edition: str
    marking: str = "TLP:CLEAR"

    def known(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows reported by ``as_of``."""
        return data.known_on(frame, self.as_of)

    def events(self, *themes: str) -> pd.DataFrame:
        """Events known on ``as_of`` that started in the period, optionally for some themes."""
        events = self.known(data.events())
        events = events[events["date_start"] >= pd.Timestamp(self.since)]
        if themes:
            events = events[events["theme"].isin(themes)]
        return events.sort_values(["date_start", "event_id"]).reset_index(drop=True)

    def event(self, event_id: str) -> pd.Series | None:
        """One event if it was known on ``as_of`` (whatever the period)."""
        events = self.known(data.events())
        match = events[events["event_id"] == event_id]
        return None if match.empty else match.iloc[0]

    @property
    def period(self) -> str:
        return f"{brief.fmt_date(self.since)} to {brief.fmt_date(self.as_of)}"


def start(as_of: str, since: str, previous_edition: str, marking: str = "TLP:CLEAR") -> Edition:
    """Begin a brief: forget earlier citations and fix the edition's cut.

    A period cannot start after its edition date, so ``since`` is capped at
    ``as_of`` (an edition dated before the data starts then says so).
    """
    brief.reset()
    return Edition(as_of, min(since, as_of), previous_edition, marking)


VERDICTS = ("contradicted", "partly", "unverified", "confirmed")
SOURCE_ANALYSIS = "resurgam_20251025"  # sources.csv row of the analysis the briefs check


def check(ed: Edition, check_id: str) -> pd.Series | None:
    """One cross-check of the source analysis, if its evidence was public on ``as_of``."""
    frame = ed.known(data.crosscheck())
    match = frame[frame["check_id"] == check_id]
    return None if match.empty else match.iloc[0]


def crosscheck_table(ed: Edition, *sections: str):
    """The source analysis' claims against the data, worst verdicts first."""
    frame = ed.known(data.crosscheck())
    if sections:
        frame = frame[frame["section"].isin(sections)]
    if frame.empty:
        article = data.sources().set_index("source_id").loc[SOURCE_ANALYSIS]
        return brief.HTML(f"<p>The source analysis ({brief.esc(article['publisher'])}, "
                          f"{brief.fmt_date(article['published_date'])}) postdates this edition, or none of its "
                          "claims on this theme had been checked by then.</p>")
    frame = frame.assign(order=frame["verdict"].map(VERDICTS.index)).sort_values(["order", "check_id"])
    return brief.table(frame, {"analysis_quote": "The source analysis says", "verdict": "Verdict",
                               "finding": "What the data show"},
                       "Fact-check: the source analysis against the data")
