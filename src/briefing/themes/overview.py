"""00 — Overview: cross-theme key judgments, combined timeline, what moved, the fact-check."""

from __future__ import annotations

import pandas as pd

from .. import brief, charts, data, line
from ..brief import fmt_date
from . import Window, alliance, crosscheck_table, russia_policy, seoul, trilateral

BRIEF = "00-overview"

THEMES = data.codes("events", "theme")  # every theme, in the data package's order
MODULES = (alliance, seoul, trilateral, russia_policy)
MILESTONE_TYPES = ("summit", "agreement_signed", "agreement_in_force", "deployment", "inauguration", "impeachment",
                   "trade_measure")


def judgments(ed: Window):
    """The lead judgment of each theme (its first in the register's rank order), in theme order."""
    return [found[0] for found in (m.judgments(ed) for m in MODULES) if found]


def signposts(ed: Window):
    """Signposts of the themed briefs whose status changed since the previous edition."""
    return line.signpost_changes(ed, MODULES)


def why_it_matters(ed: Window):
    """One line for a policymaker: why the overview matters (shown under the bottom line)."""
    return brief.paragraph("Why it matters: the DPRK–Russia alliance, Seoul's outreach and the US alliance now move "
                           "on different clocks; the signposts show which way each is heading.", "why-it-matters")


def header(ed: Window):
    known = ed.known(data.events())
    if known.empty:
        return brief.header(ed, "No reporting on the peninsula was on record yet",
                            f"The dataset holds nothing published by {fmt_date(ed.as_of)}.")
    flags = {t: brief.trend(known[known["theme"] == t], ed.previous_edition, ed.as_of) for t in THEMES}
    worse = [brief.label(t, "theme") for t, f in flags.items() if f == "deteriorated"]
    if ed.event(seoul.LEE_INAUGURATED) is not None and ed.event("ev_20241018_nis_troop_dispatch") is not None:
        # Follows from the lead judgments of the alliance and Seoul briefs: the treaty holds, the outreach is rebuffed.
        title = "The DPRK–Russia treaty alliance holds while Pyongyang rebuffs Seoul's outreach"
    elif ed.event("ev_20241018_nis_troop_dispatch") is not None:
        title = "North Korean troops in Russia's war are reshaping the security picture around Korea"
    else:
        title = "Moscow's turn to Pyongyang is changing the security picture around Korea"
    if ed.record_end <= ed.previous_edition:
        line = (f"The record ends {fmt_date(ed.record_end)}, before the last edition "
                f"({fmt_date(ed.previous_edition)}): no change since then can be assessed.")
        return brief.header(ed, title, line)
    line = (f"Since the last edition ({fmt_date(ed.previous_edition)}), "
            f"{brief.count_phrase(len(worse), len(flags), 'theme', 'deteriorated')}"
            + (f": {', '.join(worse)}." if worse else "."))
    return brief.header(ed, title, line)


def key_judgments(ed: Window):
    return line.key_judgments(ed, None, judgments(ed))


def timeline(ed: Window):
    events = ed.events()
    events = events[events["event_type"].isin(MILESTONE_TYPES)]
    title = f"{len(events)} turning points across the themes" if len(events) else "No turning point on record"
    return brief.chart(ed, charts.timeline(events, title, f"Summits, agreements, deployments and changes of leader, "
                                       f"{ed.period}; one lane per theme", lane="theme", as_of=ed.as_of))


def _period_and_stage(row) -> str:
    """'2025, to date' or '2026, enacted': the stage in words, left out when it is just 'reported'."""
    stage = {"partial_year": "to date", "reported": ""}.get(row["stage"], str(row["stage"]).replace("_", " "))
    return f"{row['period']}, {stage}" if stage else str(row["period"])


def _amount(row) -> str:
    """'KRW 1.24 tn', '$4.53 bn', '1,431 items': the currency before the number, as a reader writes it."""
    unit, value = str(row["short_unit"]), f"{row['value']:,.4g}"
    if unit.startswith("$"):
        return f"${value} {unit[1:].strip()}".strip()
    if unit.startswith("KRW"):
        return f"KRW {value} {unit[3:].strip()}".strip()
    return f"{value} {unit}"


def moved(ed: Window):
    """Indicators, estimates and polls that entered the record since the last edition."""
    rows = []
    for name, label, value in (
            ("indicators", lambda r: f"{r['title']} ({_period_and_stage(r)})", _amount),
            ("claims", lambda r: f"{brief.sentence_case(brief.label(r['quantity'], 'quantity'))}: {r['claimant']}",
             lambda r: alliance._value(r) + f" {r['unit']}"),
            ("polls", lambda r: f"Poll: {brief.label(str(r['topic']), 'topic')} ({r['pollster']})",
             lambda r: f"{r['value_percent']:g}%")):
        frame = data.indicators() if name == "indicators" else data.load(name)
        for _, row in brief.new_since(frame, ed.previous_edition, ed.as_of).iterrows():
            rows.append({"reported_on": row["reported_on"], "what": label(row), "value": value(row),
                         "source_ids": row["source_ids"]})
    frame = pd.DataFrame(rows, columns=["reported_on", "what", "value", "source_ids"])
    frame["reported_on"] = pd.to_datetime(frame["reported_on"])
    return brief.table(ed, frame.sort_values(["reported_on", "what"]),
                       {"reported_on": "Reported", "what": "Indicator or estimate", "value": "Value"},
                       f"Figures that entered the record since the last edition ({fmt_date(ed.previous_edition)})")


def trends(ed: Window):
    return brief.changes(ed, THEMES)


def new_events(ed: Window):
    return brief.new_events(ed, THEMES)


def fact_check(ed: Window):
    return crosscheck_table(ed)


def verdict_counts(ed: Window):
    frame = ed.known(data.crosscheck())
    if frame.empty:
        return brief.HTML("")
    counts = frame["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("confirmed", "partly", "contradicted", "unverified")]
    return brief.paragraph(f"Of {len(frame)} dated or numeric claims in the source analysis: {', '.join(parts)}.")
