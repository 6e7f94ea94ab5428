"""04 — Seoul's Russia policy: Wi Sung-lac, trade, sanctions and the channels that worry Ukraine."""

from __future__ import annotations

import re

import pandas as pd

from .. import brief, charts, data
from ..brief import Judgment, fmt_date, plural
from . import Window, check

THEMES = ("seoul_russia",)


def trade(ed: Window) -> pd.DataFrame:
    frame = ed.known(data.indicators())
    return frame[frame["indicator_id"].isin(["kor_rus_trade_total", "kor_exports_to_rus", "kor_imports_from_rus"])]


def _rok_totals(ed: Window) -> pd.DataFrame:
    frame = trade(ed)
    frame = frame[(frame["indicator_id"] == "kor_rus_trade_total") & ~frame["counting_basis"].fillna("").str.startswith("Russia")]
    return frame.assign(year=frame["period"].astype(int)).sort_values(["year", "reported_on"]).drop_duplicates("year", keep="last")


def judgments(ed: Window) -> list[Judgment]:
    found = []
    totals = _rok_totals(ed)
    if len(totals) >= 2:
        peak = totals.loc[totals["value"].idxmax()]
        last = totals.iloc[-1]
        found.append(Judgment(
            f"ROK–Russia trade is very unlikely to regain its peak soon: the reported total peaked at "
            f"${peak['value']:.1f} billion ({peak['year']}) and stood at ${last['value']:.1f} billion in "
            f"{last['year']}, the latest year on record.",
            "moderate", "Totals after the latest year on record were not found; the trend rests on export data."))
    items = ed.known(data.indicators())
    items = items[items["indicator_id"] == "rok_export_control_items"].sort_values("period")
    if not items.empty:
        latest = items.iloc[-1]
        found.append(Judgment(
            f"Seoul will likely keep its export controls on Russia: the control list held {int(latest['value']):,} "
            f"items by {latest['period']}.", "moderate",
            "The list is official; enforcement data (seizures, prosecutions) are not in the dataset."))
    ships = ed.known(data.sanctions())
    ships = ships[ships["vessels"].fillna(0) > 0]
    if not ships.empty:
        found.append(Judgment(
            f"Shipping is likely to stay the main channel of sanctions friction with Moscow: Seoul has designated "
            f"{plural(int(ships['vessels'].sum()), 'vessel')} in {plural(len(ships), 'round')} tied to the DPRK.",
            "moderate", "Designations are official; the wider traffic through Korean ports is not measured here."))
    wi = ed.event("ev_20250604_wi_named_nsa")
    if wi is not None:
        quotes = [check(ed, c) for c in ("ck_45_wi_lethal_aid_quote", "ck_46_wi_2014_quote", "ck_47_wi_recent_quotes")]
        unverified = sum(1 for q in quotes if q is not None and q["verdict"] == "unverified")
        found.append(Judgment(
            f"Under national security adviser Wi Sung-lac, in post since {fmt_date(wi['date_start'])}, Seoul is likely "
            f"to keep channels to Moscow open without lifting sanctions.", "low",
            f"Wi's record as ambassador in Moscow is documented, but {unverified} of the source analysis' quotes of "
            "him could not be verified." if unverified else "Wi's record as ambassador in Moscow is documented."))
    return found


def header(ed: Window):
    totals = _rok_totals(ed)
    trend = ""
    if len(totals) >= 2:
        peak, last = totals.loc[totals["value"].idxmax()], totals.iloc[-1]
        trend = (f"trade stood at ${last['value']:.1f}bn in {last['year']}, against a peak of "
                 f"${peak['value']:.1f}bn in {peak['year']}" if last["year"] != peak["year"]
                 else f"trade peaked at ${peak['value']:.1f}bn in {peak['year']}")
    items = ed.known(data.indicators())
    items = items[items["indicator_id"] == "rok_export_control_items"]
    controls = (f"the export-control list held {int(items['value'].iloc[-1]):,} items by {items['period'].iloc[-1]}"
                if not items.empty else "")
    facts = "; ".join(part for part in (trend, controls) if part)
    if ed.event("ev_20250604_wi_named_nsa") is not None:
        title = "Seoul is keeping a door open to Moscow while its sanctions stay in place"
        line = f"A former ambassador to Moscow now advises President Lee; {facts}." if facts else \
            "A former ambassador to Moscow now advises President Lee."
    elif facts:
        title = "Seoul has aligned with Western export controls on Russia" if controls else \
            "Seoul's trade with Russia is on record"
        line = facts[0].upper() + facts[1:] + "."
    else:
        title = "No ROK–Russia reporting was on record yet"
        line = f"The dataset holds no ROK–Russia reporting for {ed.period}."
    return brief.header(ed, title, line)


def key_judgments(ed: Window):
    return brief.key_judgments(judgments(ed), ed.as_of)


def trade_chart(ed: Window):
    frame = trade(ed)
    frame = frame[frame["indicator_id"] == "kor_rus_trade_total"]
    claimed = claimed_trade(ed)
    totals = _rok_totals(ed)
    title = (f"Trade peaked at ${totals['value'].max():.1f}bn; the article's ${claimed[1]:g}bn matches neither "
             f"{claimed[0]} series"
             if claimed and not totals.empty else
             (f"Trade with Russia peaked at ${totals['value'].max():.1f}bn" if not totals.empty else "No trade figures on record"))
    return brief.chart(ed, charts.trade_series(frame, title, "ROK–Russia total trade by year, USD billion (nominal), by "
                                           "who reported it", claimed=claimed, as_of=ed.as_of))


def claimed_trade(ed: Window) -> tuple[int, float, str] | None:
    """(year, USD bn, label) of the source analysis' trade figure, read from its cross-check row."""
    claim = check(ed, "ck_48_trade_17_5bn")
    if claim is None:
        return None
    value = re.search(r"\d+(?:\.\d+)?", claim["analysis_value"])
    year = re.search(r"\b(19|20)\d{2}\b", claim["analysis_value"])
    if not (value and year):
        return None
    return int(year.group()), float(value.group()), f"Source analysis: ${float(value.group()):g}bn"


def trade_table(ed: Window):
    frame = trade(ed).sort_values(["period", "indicator_id"])
    return brief.table(ed, frame, {"period": "Year", "title": "Series", "value": "USD billion",
                               "counting_basis": "Reported by", "note": "Note"},
                       "ROK–Russia trade as reported (gaps are years with no figure found)")


def record(ed: Window):
    events = ed.known(data.events())
    events = events[events["theme"] == "seoul_russia"].sort_values("date_start")
    return brief.table(ed, events, {"date_start": "Date", "event_type": "Type", "summary": "What happened"},
                       "Seoul–Moscow: appointments, export controls and the record")


def sanctions(ed: Window):
    frame = ed.known(data.sanctions())
    frame = frame[frame["target"].str.contains("Russia", na=False)].sort_values("announced")
    return brief.table(ed, frame, {"announced": "Announced", "kind": "Kind", "target": "Target", "vessels": "Vessels",
                               "items_added": "Items added", "items_total": "Items listed"},
                       "ROK measures touching Russia")


def changes(ed: Window):
    return brief.changes(ed, THEMES)
