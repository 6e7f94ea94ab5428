"""03 — US–ROK–Japan coordination and the Trump factor."""

from __future__ import annotations

import sys

import pandas as pd

from .. import brief, charts, data, line
from ..brief import Judgment, fmt_date, plural
from ..register import Registry, Seen
from . import Window

THEMES = ("trilateral_trump",)
# Trump's first statement on Korea in his second term opens the "Trump factor" (the source analysis
# dates his return to "early 2025"); the date comes from the events table.
TRUMP_OPENS = "ev_20250120_trump_kim_nuclear_power"
MILESTONES = ("summit", "agreement_signed", "deployment", "statement", "visit", "exercise", "trade_measure", "incident")


def trump_start(ed: Window) -> pd.Timestamp | None:
    """Date the Trump factor opens, if it was known on ``as_of``."""
    event = ed.event(TRUMP_OPENS)
    return None if event is None else event["date_start"]


def exercises(ed: Window) -> pd.DataFrame:
    events = ed.events(*THEMES)
    return events[events["event_type"] == "exercise"]


BRIEF = "03-trilateral-and-trump"
QUERIES = Registry()  # named data queries: the placeholders of this brief's register entries
SIGNPOSTS = Registry()  # named predicates: this brief's signposts
FREEDOM_EDGE = "Freedom Edge"
LAPSE_DAYS = 365  # threshold: this long after the last Freedom Edge round, within the record, without another


def _freedom_edge(ed: Window) -> pd.DataFrame:
    drills = exercises(ed)
    return drills[drills["summary"].str.contains(FREEDOM_EDGE, na=False)]


@QUERIES
def exercise_count(ed: Window) -> str | None:
    """'9 major exercises' on record in the period (two at least)."""
    drills = exercises(ed)
    return None if len(drills) < 2 else plural(len(drills), "major exercise")


@QUERIES
def first_exercise_month(ed: Window) -> str | None:
    """Month of the first exercise on record: the count runs from there, not from the period's start."""
    drills = exercises(ed)
    return None if drills.empty else fmt_date(drills["date_start"].min(), "month")


OFFICIAL_TYPES = ("government_official", "intergovernmental")


@QUERIES
def exercise_sources(ed: Window) -> str | None:
    """'2 of 11 exercise dates rest on official releases, the rest on media reports' (who reported the dates)."""
    drills = exercises(ed)
    if drills.empty:
        return None
    kinds = data.sources().set_index("source_id")["source_type"]
    official = drills["source_ids"].map(
        lambda cell: any(kinds.get(i) in OFFICIAL_TYPES for i in data.split_ids(cell)))
    return (f"{int(official.sum())} of {len(drills)} exercise dates rest on official releases, "
            f"the rest on media reports")


@QUERIES
def period_start_month(ed: Window) -> str:
    return fmt_date(ed.since, "month")


@QUERIES
def exercises_since_trump(ed: Window) -> str | None:
    opens = trump_start(ed)
    if opens is None:
        return None
    drills = exercises(ed)
    return str(int((drills["date_start"] >= opens).sum()))


@QUERIES
def trump_opens_month(ed: Window) -> str | None:
    opens = trump_start(ed)
    return None if opens is None else fmt_date(opens, "month")


@QUERIES
def freedom_edge_rounds(ed: Window) -> str:
    return plural(len(_freedom_edge(ed)), "Freedom Edge round")


def _date_of(ed: Window, event_id: str, column: str = "date_start") -> str | None:
    event = ed.event(event_id)
    return None if event is None else fmt_date(event[column])


@QUERIES
def camp_david(ed: Window) -> str | None:
    return _date_of(ed, "ev_20230818_camp_david_summit")


@QUERIES
def security_memorandum(ed: Window) -> str | None:
    return _date_of(ed, "ev_20240728_tscf_memorandum")


def _disputes(ed: Window) -> pd.DataFrame:
    """Trade and enforcement frictions with Washington: incidents and trade measures coded as worsening.

    A deal that settles a friction (the July 2025 tariff deal, the October investment split) is a trade
    measure but not a dispute: only rows whose security effect is 'worsens' count.
    """
    trade = ed.events(*THEMES)
    return trade[trade["event_type"].isin(["trade_measure", "incident"]) & (trade["security_effect"] == "worsens")]


def _deals(ed: Window) -> pd.DataFrame:
    trade = ed.events(*THEMES)
    return trade[(trade["event_type"] == "trade_measure") & (trade["security_effect"] != "worsens")]


@QUERIES
def trade_deals(ed: Window) -> str | None:
    deals = _deals(ed)
    return None if deals.empty else plural(len(deals), "trade or investment deal")


@QUERIES
def latest_deal(ed: Window) -> str | None:
    deals = _deals(ed)
    return None if deals.empty else fmt_date(deals["date_start"].max())


@QUERIES
def trade_disputes(ed: Window) -> str | None:
    trade = _disputes(ed)
    return None if trade.empty else plural(len(trade), "trade or enforcement friction")


@QUERIES
def first_dispute_month(ed: Window) -> str | None:
    trade = _disputes(ed)
    return None if trade.empty else fmt_date(trade["date_start"].min(), "month")


@QUERIES
def latest_dispute(ed: Window) -> str | None:
    trade = _disputes(ed)
    return None if trade.empty else fmt_date(trade["date_start"].max())


@QUERIES
def kim_terms_for_talks(ed: Window) -> str | None:
    return _date_of(ed, "ev_20250921_kim_no_dialogue_seoul")


@QUERIES
def apec_summit_end(ed: Window) -> str | None:
    return _date_of(ed, "ev_20251031_apec_gyeongju", "date_end")


@QUERIES
def takaichi_in_office(ed: Window) -> str | None:
    return _date_of(ed, "ev_20251021_takaichi_prime_minister")


@QUERIES
def scm_57(ed: Window) -> str | None:
    return _date_of(ed, "ev_20251104_scm_57")


def _nato(ed: Window) -> pd.DataFrame:
    nato = ed.known(data.events())
    return nato[nato["summary"].str.contains("NATO", na=False)]


@QUERIES
def nato_steps(ed: Window) -> str | None:
    nato = _nato(ed)
    return None if nato.empty else plural(len(nato), "NATO-related step")


@QUERIES
def latest_nato_step(ed: Window) -> str | None:
    nato = _nato(ed)
    return None if nato.empty else fmt_date(nato["date_start"].max())


@QUERIES
def lapse_days(ed: Window) -> str:
    return str(LAPSE_DAYS)


@SIGNPOSTS
def exercise_cancelled(ed: Window) -> Seen | None:
    """An allied exercise reported cancelled, postponed, suspended or scaled down, or its field drills moved."""
    events = ed.known(data.events())
    found = events[(events["theme"] == THEMES[0]) & (events["event_type"] == "exercise")
                   & events["summary"].str.contains(r"cancel|postpon|suspend|scaled? (?:back|down)|drills (?:are )?moved",
                                                    case=False, na=False)]
    if found.empty:
        return None
    first = found.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["event_id"],))


@SIGNPOSTS
def trump_kim_meeting(ed: Window) -> Seen | None:
    """A summit between the US and DPRK leaders after Trump's return (the first Trump factor event)."""
    opens = trump_start(ed)
    if opens is None:
        return None
    events = ed.known(data.events())
    actors = events["actor1"].fillna("") + ";" + events["actor2"].fillna("")
    found = events[(events["event_type"] == "summit") & (events["date_start"] >= opens)
                   & actors.str.contains("USA") & actors.str.contains("DPRK")]
    if found.empty:
        return None
    first = found.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["event_id"],))


@SIGNPOSTS
def freedom_edge_lapse(ed: Window) -> Seen | None:
    """:data:`LAPSE_DAYS` days of record pass after the last Freedom Edge round without another."""
    edge = _freedom_edge(ed)
    end = ed.record_end
    if edge.empty or end is None:
        return None
    last = edge.sort_values("date_start").iloc[-1]
    due = last["date_start"] + pd.Timedelta(days=LAPSE_DAYS)
    return Seen(due.date().isoformat(), (last["event_id"],)) if pd.Timestamp(end) >= due else None


def judgments(ed: Window) -> list[Judgment]:
    """Key judgments on the trilateral track as known on ``as_of``, from the register."""
    return line.judgments(ed, sys.modules[__name__])


def why_it_matters(ed: Window):
    """One line for a policymaker: why this brief matters (shown under the bottom line)."""
    return brief.paragraph("Why it matters: the drills and the trilateral framework are the allies' answer to the "
                           "DPRK–Russia alignment; tying them to trade or to a Trump–Kim deal would change that answer.",
                           "why-it-matters")


def header(ed: Window):
    deal, raid = ed.event("ev_20250730_us_rok_tariff_deal"), ed.event("ev_20250904_georgia_plant_raid")
    if deal is not None:
        title = "The trilateral military track holds while Trump turns the alliance into a trade negotiation"
        agenda = "tariffs, an immigration raid and an investment deal" if raid is not None else "a tariff deal"
        moved = exercise_cancelled(ed)
        drills = ("Exercises continue, though some field drills were moved in "
                  f"{fmt_date(ed.event(moved.ids[0])['date_start'], 'month')}" if moved else "Exercises continue on schedule")
        line = f"{drills}; {agenda} now share the agenda with security."
    elif not ed.events(*THEMES).empty:
        events = ed.events(*THEMES)
        summits = events[events["event_type"].isin(["summit", "agreement_signed"])]
        title = "Washington, Seoul and Tokyo are building a standing trilateral framework"
        pacts = f"{len(summits)} {'summit or agreement' if len(summits) == 1 else 'summits or agreements'}"
        line = (f"{pacts} and {plural(len(exercises(ed)), 'major exercise')} "
                f"on record answer the DPRK–Russia alignment.")
    else:
        title = "No trilateral milestone was on record yet"
        line = f"The dataset holds no trilateral reporting for {ed.period}."
    return brief.header(ed, title, line)


# The register's blocks for this brief (key judgments, signposts, assumptions, alternatives).
key_judgments, signposts, assumptions, alternatives = line.blocks(__name__)


def timeline(ed: Window):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES) & (events["event_type"] != "exercise")]
    title = (f"{len(events)} summits, deployments, deals and frictions shaped the triangle" if len(events)
             else "No trilateral milestone on record")
    return brief.chart(ed, charts.timeline(events, title, f"US–ROK–Japan milestones and the Trump factor, {ed.period}",
                                       lane="event_type", as_of=ed.as_of))


def tempo(ed: Window):
    drills = exercises(ed)
    title = (f"{plural(len(drills), 'major allied exercise')} on record, {ed.period}" if len(drills)
             else "No exercise on record")
    return brief.chart(ed, charts.exercise_tempo(drills, title, f"Major US–ROK and trilateral exercises, {ed.period}",
                                             as_of=ed.as_of))


def milestones(ed: Window, trump: bool = False):
    events = ed.events(*THEMES)
    opens = trump_start(ed)
    era = events["date_start"] >= opens if opens is not None else pd.Series(False, index=events.index)
    events = events[era] if trump else events[~era]
    caption = (f"The Trump factor: what changed from {fmt_date(opens, 'month')}" if trump and opens is not None
               else "The Trump factor: not yet on record" if trump
               else "Trilateral and allied milestones" + (f" before {fmt_date(opens, 'month')}" if opens is not None else ""))
    return brief.table(ed, events, {"date_start": "Date", "event_type": "Type", "summary": "What happened",
                                "confidence": "Confidence"}, caption)


def changes(ed: Window):
    return brief.changes(ed, THEMES)


def new_events(ed: Window):
    return brief.new_events(ed, THEMES)
