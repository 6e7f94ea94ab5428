"""03 — US–ROK–Japan coordination and the Trump factor."""

from __future__ import annotations

import pandas as pd

from .. import brief, charts, data
from ..brief import Judgment, fmt_date, plural
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


def judgments(ed: Window) -> list[Judgment]:
    found = []
    drills = exercises(ed)
    edge = drills[drills["summary"].str.contains("Freedom Edge", na=False)]
    if len(drills) >= 2:
        opens = trump_start(ed)
        under_trump = drills.iloc[0:0] if opens is None else drills[drills["date_start"] >= opens]
        tail = f" ({len(under_trump)} since {fmt_date(opens, 'month')})" if len(under_trump) else ""
        found.append(Judgment(
            f"Allied exercises will very likely continue on their annual rhythm: the dataset records "
            f"{plural(len(drills), 'major exercise')} since {fmt_date(ed.since, 'month')}{tail}, including "
            f"{plural(len(edge), 'Freedom Edge round')}.",
            "high", "Exercise dates come from the allies' own announcements."))
    framework = ed.event("ev_20240728_tscf_memorandum")
    camp_david = ed.event("ev_20230818_camp_david_summit")
    if camp_david is not None:
        tail = (f" and the security cooperation memorandum of {fmt_date(framework['date_start'])}, which is "
                "not legally binding" if framework is not None else "")
        found.append(Judgment(
            f"The trilateral machinery is likely to outlast changes of government: it rests on the Camp David "
            f"commitments of {fmt_date(camp_david['date_start'])}{tail}.",
            "moderate", "The texts are public; their durability under new leaders is an assumption."))
    trade = ed.events(*THEMES)
    trade = trade[trade["event_type"].isin(["trade_measure", "incident"])]
    if not trade.empty:
        found.append(Judgment(
            f"Frictions over trade and investment with Washington are likely to persist: "
            f"{plural(len(trade), 'trade or enforcement dispute')} on record since {fmt_date(trade['date_start'].min(), 'month')}, the latest "
            f"on {fmt_date(trade['date_start'].max())}.",
            "moderate", "The disputes are on record; how the announced deals are implemented is not yet visible."
            if (trade["event_type"] == "trade_measure").any() else "The disputes are on record; no settlement was."))
    rebuff = ed.event("ev_20250921_kim_no_dialogue_seoul")
    apec = ed.event("ev_20251031_apec_gyeongju")
    if rebuff is not None:
        tail = f"; the APEC summit ending {fmt_date(apec['date_end'])} passed without a meeting" if apec is not None else ""
        found.append(Judgment(
            f"A Trump–Kim summit in the next six months is unlikely: on {fmt_date(rebuff['date_start'])} Kim set the "
            f"end of US denuclearisation demands as the price of talks{tail}.",
            "low", "Both leaders say they are open to meeting, and such meetings have been arranged at short notice before."))
    nato = ed.known(data.events())
    nato = nato[nato["summary"].str.contains("NATO", na=False)]
    if not nato.empty and len(found) < 3:
        found.append(Judgment(
            f"Seoul's ties with NATO are likely to keep deepening: {plural(len(nato), 'NATO-related step')} on record, the "
            f"latest on {fmt_date(nato['date_start'].max())}.",
            "moderate", "The steps are official; their substance beyond statements is limited."))
    return found


def header(ed: Window):
    deal, raid = ed.event("ev_20250730_us_rok_tariff_deal"), ed.event("ev_20250904_georgia_plant_raid")
    if deal is not None:
        title = "The trilateral military track holds while Trump turns the alliance into a trade negotiation"
        agenda = "tariffs, an immigration raid and an investment deal" if raid is not None else "a tariff deal"
        line = f"Exercises continue on schedule; {agenda} now share the agenda with security."
    elif not ed.events(*THEMES).empty:
        events = ed.events(*THEMES)
        summits = events[events["event_type"].isin(["summit", "agreement_signed"])]
        title = "Washington, Seoul and Tokyo are building a standing trilateral framework"
        line = (f"{plural(len(summits), 'summit or agreement')} and {plural(len(exercises(ed)), 'major exercise')} "
                f"since {fmt_date(ed.since, 'month')} answer the DPRK–Russia alignment.")
    else:
        title = "No trilateral milestone was on record yet"
        line = f"The dataset holds no trilateral reporting for {ed.period}."
    return brief.header(ed, title, line)


def key_judgments(ed: Window):
    return brief.key_judgments(judgments(ed), ed.as_of)


def timeline(ed: Window):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES) & (events["event_type"] != "exercise")]
    title = (f"{len(events)} summits, deployments and disputes shaped the triangle" if len(events)
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
