"""01 — The DPRK–Russia alliance since 2022: milestones, what flows each way, the treaty."""

from __future__ import annotations

import pandas as pd

from .. import brief, charts, data
from ..brief import Judgment, fmt_date, fmt_num, plural
from . import Window

THEMES = ("dprk_russia",)
MILESTONES = ("summit", "agreement_signed", "ratification", "agreement_in_force", "deployment", "statement", "combat")


def claims(ed: Window, quantity: str) -> pd.DataFrame:
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


def range_text(r: tuple[float, float]) -> str:
    """'11,000 to 15,000', or 'about 12,000' when every claim gives the same figure."""
    return f"about {fmt_num(r[0])}" if r[0] == r[1] else f"{fmt_num(r[0])} to {fmt_num(r[1])}"


def _who(frame: pd.DataFrame) -> str:
    """'ROK NIS, Ukraine (Zelensky) and 3 others': the claimants of ``frame``, first to last."""
    names = list(dict.fromkeys(frame["claimant"]))
    return names[0] if len(names) == 1 else ", ".join(names[:2]) + (
        f" and {plural(len(names) - 2, 'other')}" if len(names) > 2 else "")


def judgments(ed: Window) -> list[Judgment]:
    """Key judgments for the alliance brief (at most five), from what was known on ``as_of``."""
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
        tail = ("" if deaths.empty else f"; the latest death toll, from {deaths.iloc[-1]['claimant']}, is about "
                f"{fmt_num(deaths.iloc[-1]['value_best'])}")
        found.append(Judgment(
            f"North Korean troops will very likely stay committed to Russia's war: estimates put the force at "
            f"{range_text(r)} ({_who(troops)}){tail}.",
            "moderate" if acknowledged is not None else "low",
            (f"Pyongyang acknowledged the deployment on {fmt_date(acknowledged['date_start'])}, but gives no "
             "numbers; every figure comes from foreign governments, media or analysts."
             if acknowledged is not None else "Neither Moscow nor Pyongyang had confirmed the deployment; the "
             "figures come from foreign intelligence.")))
    shells = claims(ed, "dprk_shells")
    if (latest := _latest_official(shells)) is not None:
        first = shells.iloc[0]
        history = ("" if first["claim_id"] == latest["claim_id"]
                   else f", up from {_value(first)} in the first estimate ({fmt_date(first['claim_date'], 'month')})")
        found.append(Judgment(
            f"North Korean shell deliveries are very likely in the millions of rounds: the latest estimate "
            f"({latest['claimant']}, {fmt_date(latest['claim_date'])}) is {_value(latest)} rounds{history}.",
            "moderate", "Estimates convert counted containers into rounds, so they move with the assumed load "
                        "per container."))
    share = claims(ed, "dprk_share_russian_ammo")
    if not share.empty:
        figures = (f"{fmt_num(span(share)[0])}–{fmt_num(span(share)[1])}%" if span(share)[0] != span(share)[1]
                   else f"{fmt_num(span(share)[0])}%")
        found.append(Judgment(
            f"It is likely that North Korean ammunition covers a large part of Russia's artillery fire, but the "
            f"figures ({figures}) rest on {plural(len(share), 'estimate')} without a stated method.",
            "low", "Source: " + "; ".join(f"{c} ({str(t).replace('_', ' ')})"
                                          for c, t in zip(share["claimant"], share["claimant_type"])) + "."))
    inbound = ed.known(data.flows())
    inbound = inbound[inbound["direction"] == "russia_to_dprk"]
    if len(inbound) >= 2:
        confirmed = inbound[inbound["status"] != "alleged"]
        found.append(Judgment(
            f"Russia is likely to keep paying Pyongyang in kind: the ledger holds {len(inbound)} kinds of support "
            f"to the DPRK, {len(confirmed)} of them reported by governments or monitors.",
            "low", "Most transfers to the DPRK are reported once, by one intelligence service or monitor."))
    missiles = claims(ed, "dprk_ballistic_missiles")
    if (r := span(missiles)) is not None and len(found) < 5:
        counts = "; ".join(f"{_value(row)} ({row['claimant']}, {fmt_date(row['claim_date'], 'month')})"
                           for _, row in missiles.iterrows())
        found.append(Judgment(
            f"North Korean ballistic missiles are very likely part of Russia's strikes on Ukraine: the counts "
            f"reported are {counts}.",
            "moderate", "The counts come from the claimants named and are not independently checked."))
    return found


def header(ed: Window):
    """Title stating the judgment and the bottom line, as known on ``as_of``."""
    troops = span(claims(ed, "dprk_troops_in_russia"))
    signed = ed.event("ev_20240619_treaty_signed")
    inbound = ed.known(data.flows())
    reported = inbound[(inbound["direction"] == "russia_to_dprk") & (inbound["status"] != "alleged")]
    paid = [brief.label(i, "item") for i in dict.fromkeys(reported["item"])]
    payment = f"; Russia pays in {', '.join(paid[:-1])} and {paid[-1]}" if len(paid) >= 2 else ""
    if signed is not None and troops:
        title = "Pyongyang and Moscow have moved from arms trade to a wartime alliance"
        line = (f"A treaty, North Korean troops ({range_text(troops)} by the estimates held) and shells bind "
                f"the DPRK to Russia's war{payment}.")
    elif signed is not None:
        title = "Pyongyang and Moscow have put their arms trade under a treaty"
        line = (f"The treaty of {fmt_date(signed['date_start'])} formalises a relationship built on North Korean "
                f"munitions for Russia's war{payment}.")
    elif not ed.events(*THEMES).empty:
        title = "Pyongyang is becoming an arms supplier to Russia's war"
        line = "Summits and munitions deliveries point to a deepening, still informal, military relationship."
    else:
        title = "No DPRK–Russia military alignment was on record yet"
        line = f"The dataset holds no DPRK–Russia reporting for {ed.period}."
    return brief.header(ed, title, line)


def key_judgments(ed: Window):
    return brief.key_judgments(judgments(ed), ed.as_of)


def timeline(ed: Window):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES)]
    title = (f"{plural(len(events), 'milestone')} in the DPRK–Russia relationship" if len(events)
             else "No DPRK–Russia milestone on record")
    return brief.chart(ed, charts.timeline(events, title, f"DPRK–Russia milestones, {ed.period}; by date of event",
                                       lane="event_type", as_of=ed.as_of))


def milestones(ed: Window):
    events = ed.events(*THEMES)
    events = events[events["event_type"].isin(MILESTONES)]
    return brief.table(ed, events, {"date_start": "Date", "event_type": "Type", "summary": "What happened",
                                "confidence": "Confidence"}, "Milestones of the DPRK–Russia relationship")


def estimates(ed: Window, quantity: str):
    frame = claims(ed, quantity)
    name = brief.label(quantity, "quantity")
    if (r := span(frame)) is None:
        title = f"No estimate of {name} on record"
    else:
        title = f"Estimates of {name} range from {fmt_num(r[0])} to {fmt_num(r[1])}"
    subtitle = f"By claimant and date of claim, {ed.period}; line = range, dot = figure given"
    return brief.chart(ed, charts.estimate_ranges(frame, quantity, title, subtitle, as_of=ed.as_of))


def estimates_table(ed: Window, quantities: tuple[str, ...]):
    frame = ed.known(data.claims())
    frame = frame[frame["quantity"].isin(quantities)].sort_values(["quantity", "claim_date"])
    return brief.table(ed, frame, {"quantity": "Quantity", "claimant": "Claimant", "claim_date": "Claimed",
                               "value_best": "Figure", "status": "Status", "method_note": "Method"},
                       "Estimates by claimant, as claimed (never averaged)",
                       formats={"value_best": lambda r: f"{_value(r)} {r['unit']}"})


def ledger(ed: Window):
    """What flows each way, with the date first reported and the status of the report."""
    frame = ed.known(data.flows()).sort_values(["direction", "first_reported"])
    return brief.table(ed, frame, {"direction": "Direction", "item": "Item", "description": "What is reported",
                               "first_reported": "First reported", "status": "Status"},
                       "Ledger of what moves between the DPRK and Russia")


def treaty(ed: Window):
    events = ed.known(data.events())
    steps = events[events["event_type"].isin(["agreement_signed", "ratification", "agreement_in_force"])
                   & (events["theme"] == "dprk_russia")].sort_values("date_start")
    return brief.table(ed, steps, {"date_start": "Date", "summary": "Step"}, "The treaty, step by step")


def launch_tempo(ed: Window):
    """DPRK ballistic-missile launches per year, one series per counting basis, as known on ``as_of``."""
    frame = ed.known(data.indicators())
    frame = frame[frame["indicator_id"] == "dprk_ballistic_launches"]
    full = frame[frame["stage"] != "partial_year"]
    if full.empty:
        title = "No full-year launch count on record"
    else:
        peak = full[full["period"] == full.loc[full["value"].idxmax(), "period"]]
        low, high = peak["value"].min(), peak["value"].max()
        counts = f"{fmt_num(high)}" if low == high else f"{fmt_num(low)} to {fmt_num(high)}"
        title = (f"Launches peaked in {peak['period'].iloc[0]}: {counts} by "
                 f"{plural(peak['counting_basis'].nunique(), 'count')}; every later figure held is lower"
                 if (full[full["period"] > peak["period"].iloc[0]]["value"] < low).all()
                 else f"The highest full-year count held is {fmt_num(high)}, in {peak['period'].iloc[0]}")
    return brief.chart(ed, charts.launch_tempo(frame, title, "DPRK ballistic missile launches per year by who "
                                                         f"counted, as known on {fmt_date(ed.as_of)}",
                                               as_of=ed.as_of))


def changes(ed: Window):
    return brief.changes(ed, THEMES + ("dprk_military",))
