"""04 — Seoul's Russia policy: Wi Sung-lac, trade, sanctions and the channels that worry Ukraine."""

from __future__ import annotations

import re
import sys

import pandas as pd

from .. import brief, charts, data, line
from ..brief import Judgment, fmt_date, plural
from ..register import Registry, Seen
from . import PERIOD_START, Window, check

THEMES = ("seoul_russia",)


def trade(ed: Window) -> pd.DataFrame:
    frame = ed.known(data.indicators())
    return frame[frame["indicator_id"].isin(["kor_rus_trade_total", "kor_exports_to_rus", "kor_imports_from_rus"])]


def _rok_totals(ed: Window) -> pd.DataFrame:
    frame = trade(ed)
    frame = frame[(frame["indicator_id"] == "kor_rus_trade_total") & ~frame["counting_basis"].fillna("").str.startswith("Russia")]
    return frame.assign(year=frame["period"].astype(int)).sort_values(["year", "reported_on"]).drop_duplicates("year", keep="last")


BRIEF = "04-seoul-russia-policy"
QUERIES = Registry()  # named data queries: the placeholders of this brief's register entries
SIGNPOSTS = Registry()  # named predicates: this brief's signposts


def _peak_and_last(ed: Window) -> tuple[pd.Series, pd.Series] | None:
    totals = _rok_totals(ed)
    return None if len(totals) < 2 else (totals.loc[totals["value"].idxmax()], totals.iloc[-1])


@QUERIES
def trade_peak(ed: Window) -> str | None:
    """'$25.8 billion (2014)': the highest ROK-reported total on record."""
    found = _peak_and_last(ed)
    return None if found is None else f"${found[0]['value']:.1f} billion ({found[0]['year']})"


@QUERIES
def trade_latest(ed: Window) -> str | None:
    found = _peak_and_last(ed)
    return None if found is None else f"${found[1]['value']:.1f} billion"


@QUERIES
def trade_latest_year(ed: Window) -> str | None:
    found = _peak_and_last(ed)
    return None if found is None else str(found[1]["year"])


def _control_items(ed: Window) -> pd.DataFrame:
    items = ed.known(data.indicators())
    return items[items["indicator_id"] == "rok_export_control_items"].sort_values(["period", "reported_on"])


@QUERIES
def control_list_items(ed: Window) -> str | None:
    items = _control_items(ed)
    return None if items.empty else f"{int(items.iloc[-1]['value']):,}"


@QUERIES
def control_list_period(ed: Window) -> str | None:
    items = _control_items(ed)
    return None if items.empty else str(items.iloc[-1]["period"])


@QUERIES
def control_list_month(ed: Window) -> str | None:
    """'June 2025': the month of the latest count of the export-control list, in reader form."""
    items = _control_items(ed)
    if items.empty:
        return None
    return pd.Timestamp(str(items.iloc[-1]["period"]) + "-01").strftime("%B %Y")


@QUERIES
def cho_lavrov(ed: Window) -> str | None:
    """Date of the first formal ROK–Russia foreign ministers' talks since the invasion, if on record."""
    event = ed.event("ev_20250926_cho_lavrov_unga")
    return None if event is None else fmt_date(event["date_start"])


def _ships(ed: Window) -> pd.DataFrame:
    ships = ed.known(data.sanctions())
    return ships[ships["vessels"].fillna(0) > 0]


@QUERIES
def designated_vessels(ed: Window) -> str | None:
    ships = _ships(ed)
    return None if ships.empty else plural(int(ships["vessels"].sum()), "vessel")


@QUERIES
def vessel_rounds(ed: Window) -> str | None:
    ships = _ships(ed)
    return None if ships.empty else plural(len(ships), "round")


@QUERIES
def wi_in_post(ed: Window) -> str | None:
    wi = ed.event("ev_20250604_wi_named_nsa")
    return None if wi is None else fmt_date(wi["date_start"])


@QUERIES
def unverified_wi_quotes(ed: Window) -> str | None:
    """How many of the source analysis' quotes of Wi the fact-check could not verify (None before it)."""
    quotes = [check(ed, c) for c in ("ck_45_wi_lethal_aid_quote", "ck_46_wi_2014_quote", "ck_47_wi_recent_quotes")]
    if all(q is None for q in quotes):
        return None
    return str(sum(1 for q in quotes if q is not None and q["verdict"] == "unverified"))


@SIGNPOSTS
def control_list_shrinks(ed: Window) -> Seen | None:
    """The export-control list holds fewer items than at its previous count (items removed)."""
    items = _control_items(ed)
    lower = items[items["value"] < items["value"].shift(1)]
    if lower.empty:
        return None
    return Seen(lower.iloc[0]["reported_on"].date().isoformat(), ("rok_export_control_items",))


@SIGNPOSTS
def russia_designation_under_lee(ed: Window) -> Seen | None:
    """A new ROK designation touching Russia announced after Wi Sung-lac became national security adviser."""
    wi = ed.event("ev_20250604_wi_named_nsa")
    if wi is None:
        return None
    frame = ed.known(data.sanctions())
    found = frame[(frame["announced"] > wi["date_start"]) & (frame["kind"] == "designation")
                  & frame["target"].str.contains("Russia", na=False)]
    if found.empty:
        return None
    first = found.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["measure_id"],))


@SIGNPOSTS
def trade_rebound(ed: Window) -> Seen | None:
    """A ROK-reported yearly total of ROK–Russia trade, after the invasion year, above the year before's."""
    totals = _rok_totals(ed).sort_values("year")
    higher = totals[(totals["value"] > totals["value"].shift(1)) & (totals["year"] == totals["year"].shift(1) + 1)
                    & (totals["year"] > pd.Timestamp(PERIOD_START).year)]
    if higher.empty:
        return None
    return Seen(higher.iloc[0]["reported_on"].date().isoformat(), ("kor_rus_trade_total",))


@SIGNPOSTS
def senior_rok_russia_talks(ed: Window) -> Seen | None:
    """A senior ROK–Russia visit or summit on record after Wi Sung-lac became national security adviser."""
    wi = ed.event("ev_20250604_wi_named_nsa")
    if wi is None:
        return None
    events = ed.known(data.events())
    actors = events["actor1"].fillna("") + ";" + events["actor2"].fillna("")
    found = events[(events["date_start"] > wi["date_start"]) & events["event_type"].isin(["visit", "summit"])
                   & actors.str.contains("ROK") & actors.str.contains("Russia")]
    if found.empty:
        return None
    first = found.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["event_id"],))


def judgments(ed: Window) -> list[Judgment]:
    """Key judgments on Seoul's Russia policy as known on ``as_of``, from the register."""
    return line.judgments(ed, sys.modules[__name__])


def why_it_matters(ed: Window):
    """One line for a policymaker: why this brief matters (shown under the bottom line)."""
    return brief.paragraph("Why it matters: Moscow is the one capital with both a treaty with Pyongyang and a "
                           "working channel to Seoul; how Seoul uses that channel tests its sanctions policy.",
                           "why-it-matters")


def header(ed: Window):
    totals = _rok_totals(ed)
    trend = ""
    if len(totals) >= 2:
        peak, last = totals.loc[totals["value"].idxmax()], totals.iloc[-1]
        trend = (f"trade stood at ${last['value']:.1f}bn in {last['year']}, against the highest total on record, "
                 f"${peak['value']:.1f}bn in {peak['year']}" if last["year"] != peak["year"]
                 else f"trade reached ${peak['value']:.1f}bn in {peak['year']}, the highest total on record")
    items = _control_items(ed)
    controls = (f"the export-control list held {int(items['value'].iloc[-1]):,} items in {control_list_month(ed)}"
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


# The register's blocks for this brief (key judgments, signposts, assumptions, alternatives).
key_judgments, signposts, assumptions, alternatives = line.blocks(__name__)


def trade_chart(ed: Window):
    frame = trade(ed)
    frame = frame[frame["indicator_id"] == "kor_rus_trade_total"]
    claimed = claimed_trade(ed)
    totals = _rok_totals(ed)
    title = (f"The highest total on record is ${totals['value'].max():.1f}bn; the article's ${claimed[1]:g}bn matches "
             f"neither {claimed[0]} series"
             if claimed and not totals.empty else
             (f"The highest ROK–Russia trade total on record is ${totals['value'].max():.1f}bn" if not totals.empty
              else "No trade figures on record"))
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


def new_events(ed: Window):
    return brief.new_events(ed, THEMES)
