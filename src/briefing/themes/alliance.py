"""01 — The DPRK–Russia alliance since 2022: milestones, what flows each way, the treaty."""

from __future__ import annotations

import pandas as pd

from .. import brief, charts, data
from ..brief import Judgment, fmt_date, fmt_num, plural
from . import Edition, judgments_box

THEMES = ("dprk_russia",)
MILESTONES = ("summit", "agreement_signed", "ratification", "agreement_in_force", "deployment", "statement", "combat")
ITEMS = {"artillery_shells": "Artillery shells", "ballistic_missiles": "Ballistic missiles", "troops": "Troops",
         "workers": "Workers", "military_workers": "Military builders and sappers", "air_defence": "Air defence",
         "space_technology": "Space-programme help", "oil": "Oil", "food": "Food",
         "infrastructure": "Infrastructure", "diplomatic_cover": "Diplomatic cover"}


def claims(ed: Edition, quantity: str) -> pd.DataFrame:
    """Claims about ``quantity`` known on ``as_of``, oldest first."""
    frame = ed.known(data.claims())
    return frame[frame["quantity"] == quantity].sort_values(["claim_date", "claim_id"]).reset_index(drop=True)


def span(frame: pd.DataFrame) -> tuple[float, float] | None:
    """Lowest and highest figure over all claims (low, best and high): the range, never an average."""
    values = pd.concat([frame["value_low"], frame["value_best"], frame["value_high"]]).dropna()
    return None if values.empty else (float(values.min()), float(values.max()))


def _value(row) -> str:
    low, best, high = row["value_low"], row["value_best"], row["value_high"]
    if pd.notna(low) and pd.notna(high):
        return f"{fmt_num(low)}–{fmt_num(high)}"
    if pd.notna(best):
        return fmt_num(best)
    return f"more than {fmt_num(low)}" if pd.notna(low) else f"up to {fmt_num(high)}"


def _latest_official(frame: pd.DataFrame) -> pd.Series | None:
    official = frame[frame["claimant_type"] != "analysis_article"]
    return None if official.empty else official.iloc[-1]


def judgments(ed: Edition) -> list[Judgment]:
    """Key judgments for the alliance brief, from what was known on ``as_of``."""
    found = []
    signed, in_force = ed.event("ev_20240619_treaty_signed"), ed.event("ev_20241204_treaty_in_force")
    summit = ed.event("ev_20230913_kim_putin_vostochny_summit")
    if signed is not None:
        status = (f"it has been in force since {fmt_date(in_force['date_start'])}" if in_force is not None
                  else "ratification was still pending")
        found.append(Judgment(
            f"Moscow and Pyongyang will almost certainly keep the partnership treaty signed on "
            f"{fmt_date(signed['date_start'])} as the frame of a long-term alignment; {status}.",
            "high", "Both governments signed it at a summit reported by Russian and international media."))
    elif summit is not None:
        found.append(Judgment(
            f"Closer DPRK–Russia military cooperation is likely after the Kim–Putin summit of "
            f"{fmt_date(summit['date_start'])}.", "moderate", "The summit is well documented; its terms are not."))
    troops = claims(ed, "dprk_troops_in_russia")
    if (r := span(troops)) is not None:
        acknowledged = ed.event("ev_20250428_dprk_confirms_troops")
        deaths = claims(ed, "dprk_deaths")
        tail = (f"; the latest death toll cited by Seoul is about {fmt_num(deaths.iloc[-1]['value_best'])}"
                if not deaths.empty else "")
        found.append(Judgment(
            f"North Korean troops will very likely stay committed to Russia's war: estimates put the force at "
            f"{fmt_num(r[0])} to {fmt_num(r[1])} from {troops['claimant'].nunique()} claimants{tail}.",
            "moderate" if acknowledged is not None else "low",
            ("Both governments acknowledged the deployment in April 2025, but only Seoul and Kyiv give numbers."
             if acknowledged is not None else "The figures come from ROK and Ukrainian intelligence; "
             "neither Moscow nor Pyongyang had confirmed the deployment.")))
    shells = claims(ed, "dprk_shells")
    if (latest := _latest_official(shells)) is not None:
        found.append(Judgment(
            f"North Korean shell deliveries are very likely in the millions of rounds: the latest estimate "
            f"({latest['claimant']}, {fmt_date(latest['claim_date'])}) is {_value(latest)} rounds, up from "
            f"{_value(shells.iloc[0])} in the first estimate.",
            "moderate", "Estimates convert counted containers into rounds, so they move with the assumed load "
                        "per container."))
    share = claims(ed, "dprk_share_russian_ammo")
    if not share.empty:
        r = span(share)
        found.append(Judgment(
            f"It is likely that North Korean ammunition covers a large part of Russia's artillery fire, but the "
            f"figures ({fmt_num(r[0])}–{fmt_num(r[1])}%) rest on {plural(len(share), 'estimate')} without a stated method.",
            "low", "One figure is from anonymous officials and one from the source analysis."))
    inbound = ed.known(data.flows())
    inbound = inbound[inbound["direction"] == "russia_to_dprk"]
    if len(inbound) >= 2:
        confirmed = inbound[inbound["status"] != "alleged"]
        found.append(Judgment(
            f"Russia is likely to keep paying Pyongyang in kind: the ledger holds {len(inbound)} kinds of support "
            f"to the DPRK, {len(confirmed)} of them reported by governments or monitors.",
            "low", "Most transfers to the DPRK are reported once, by one intelligence service or monitor."))
    missiles = claims(ed, "dprk_ballistic_missiles")
    if (r := span(missiles)) is not None:
        first = missiles.iloc[0]
        found.append(Judgment(
            f"North Korean ballistic missiles are very likely part of Russia's strikes on Ukraine: estimates run from "
            f"at least {fmt_num(r[0])} ({first['claimant']}, {fmt_date(first['claim_date'], 'month')}) to "
            f"{fmt_num(r[1])} missiles.", "moderate", "Ukraine has shown debris; the counts are not independently checked."))
    return found


def header(ed: Edition):
    """Title stating the judgment and the bottom line, as known on ``as_of``."""
    troops = span(claims(ed, "dprk_troops_in_russia"))
    if ed.event("ev_20240619_treaty_signed") is not None and troops:
        title = "Pyongyang and Moscow have moved from arms trade to a wartime alliance"
        line = (f"A treaty, North Korean troops ({fmt_num(troops[0])}–{fmt_num(troops[1])} by the estimates held) "
                "and millions of shells now bind the DPRK to Russia's war; Russia pays in technology, fuel and "
                "diplomatic cover.")
    elif ed.event("ev_20240619_treaty_signed") is not None:
        title = "Pyongyang and Moscow have put their arms trade under a treaty"
        line = "The June 2024 treaty formalises a relationship built on North Korean shells for Russia's war."
    elif not ed.events(*THEMES).empty:
        title = "Pyongyang is becoming an arms supplier to Russia's war"
        line = "Summits and shell deliveries point to a deepening, still informal, military relationship."
    else:
        title = "No DPRK–Russia military alignment was on record yet"
        line = f"The dataset holds no DPRK–Russia reporting for {ed.period}."
    return brief.header(title, line)


def key_judgments(ed: Edition):
    return judgments_box(judgments(ed), ed.as_of)


def timeline(ed: Edition):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES)]
    title = (f"{len(events)} milestones took the relationship from summit to alliance" if len(events)
             else "No DPRK–Russia milestone on record")
    return brief.chart(charts.timeline(events, title, f"DPRK–Russia milestones, {ed.period}; by date of event",
                                       lane="event_type", as_of=ed.as_of))


def milestones(ed: Edition):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES)]
    return brief.table(events, {"date_start": "Date", "event_type": "Type", "summary": "What happened",
                                "confidence": "Confidence"}, "Milestones of the DPRK–Russia relationship",
                       formats={"event_type": lambda r: str(r["event_type"]).replace("_", " ")})


def estimates(ed: Edition, quantity: str):
    frame = claims(ed, quantity)
    name = charts.QUANTITY_NAMES[quantity]
    if (r := span(frame)) is None:
        title = f"No estimate of {name} on record"
    else:
        title = f"Estimates of {name} range from {fmt_num(r[0])} to {fmt_num(r[1])}"
    subtitle = f"By claimant and date of claim, {ed.period}; line = range, dot = figure given"
    return brief.chart(charts.estimate_ranges(frame, quantity, title, subtitle, as_of=ed.as_of))


def estimates_table(ed: Edition, quantities: tuple[str, ...]):
    frame = ed.known(data.claims())
    frame = frame[frame["quantity"].isin(quantities)].sort_values(["quantity", "claim_date"])
    return brief.table(frame, {"quantity": "Quantity", "claimant": "Claimant", "claim_date": "Claimed",
                               "value_best": "Figure", "status": "Status", "method_note": "Method"},
                       "Estimates by claimant, as claimed (never averaged)",
                       formats={"quantity": lambda r: charts.QUANTITY_NAMES[r["quantity"]].capitalize(),
                                "value_best": lambda r: f"{_value(r)} {r['unit']}",
                                "status": lambda r: str(r["status"]).replace("_", " ")})


def ledger(ed: Edition):
    """What flows each way, with the date first reported and the status of the report."""
    frame = ed.known(data.flows()).sort_values(["direction", "first_reported"])
    return brief.table(frame, {"direction": "Direction", "item": "Item", "description": "What is reported",
                               "first_reported": "First reported", "status": "Status"},
                       "Ledger of what moves between the DPRK and Russia",
                       formats={"direction": lambda r: "DPRK → Russia" if r["direction"] == "dprk_to_russia"
                                else "Russia → DPRK", "item": lambda r: ITEMS[r["item"]]})


def treaty(ed: Edition):
    events = ed.known(data.events())
    steps = events[events["event_type"].isin(["agreement_signed", "ratification", "agreement_in_force"])
                   & (events["theme"] == "dprk_russia")].sort_values("date_start")
    return brief.table(steps, {"date_start": "Date", "summary": "Step"}, "The treaty, step by step")


def changes(ed: Edition):
    return brief.changes(ed.known(data.events()), ed.previous_edition, ed.as_of,
                         THEMES + ("dprk_military",))
