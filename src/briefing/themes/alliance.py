"""01 — The DPRK–Russia alliance since 2022: milestones, what flows each way, the treaty."""

from __future__ import annotations

import sys

import pandas as pd

from .. import brief, charts, data, line
from ..brief import Judgment, fmt_date, fmt_num, plural
from ..register import Registry, Seen
from . import SOURCE_ANALYSIS, Window

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
    """'ROK NIS, Ukraine (Zelensky) and 3 other claimants': the claimants of ``frame``, first to last."""
    names = list(dict.fromkeys(frame["claimant"]))
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:2]) + f" and {plural(len(names) - 2, 'other claimant')}"


BRIEF = "01-dprk-russia-alliance"
QUERIES = Registry()  # named data queries: the placeholders of this brief's register entries
SIGNPOSTS = Registry()  # named predicates: this brief's signposts


def _date_of(ed: Window, event_id: str, column: str = "date_start") -> str | None:
    event = ed.event(event_id)
    return None if event is None else fmt_date(event[column])


@QUERIES
def vostochny_summit(ed: Window) -> str | None:
    return _date_of(ed, "ev_20230913_kim_putin_vostochny_summit")


@QUERIES
def treaty_signed(ed: Window) -> str | None:
    return _date_of(ed, "ev_20240619_treaty_signed")


@QUERIES
def treaty_in_force(ed: Window) -> str | None:
    return _date_of(ed, "ev_20241204_treaty_in_force")


@QUERIES
def troop_range(ed: Window) -> str | None:
    """'11,000 to 15,000': the span of every troop estimate known."""
    r = span(claims(ed, "dprk_troops_in_russia"))
    return None if r is None else range_text(r)


@QUERIES
def troop_claimants(ed: Window) -> str | None:
    troops = claims(ed, "dprk_troops_in_russia")
    return None if troops.empty else _who(troops)


@QUERIES
def latest_deaths(ed: Window) -> str | None:
    deaths = claims(ed, "dprk_deaths")
    return None if deaths.empty else fmt_num(deaths.iloc[-1]["value_best"])


@QUERIES
def latest_deaths_claimant(ed: Window) -> str | None:
    deaths = claims(ed, "dprk_deaths")
    return None if deaths.empty else str(deaths.iloc[-1]["claimant"])


@QUERIES
def dprk_acknowledged(ed: Window) -> str | None:
    return _date_of(ed, "ev_20250428_dprk_confirms_troops")


def _shells(ed: Window) -> tuple[pd.Series, pd.Series] | None:
    """First and latest official shell estimates, when they differ."""
    shells = claims(ed, "dprk_shells")
    latest = _latest_official(shells)
    if latest is None or shells.iloc[0]["claim_id"] == latest["claim_id"]:
        return None
    return shells.iloc[0], latest


@QUERIES
def shell_latest_source(ed: Window) -> str | None:
    """'ROK DIA, 13 Jul 2025': who made the latest official shell estimate, and when."""
    found = _shells(ed)
    return None if found is None else f"{found[1]['claimant']}, {fmt_date(found[1]['claim_date'])}"


@QUERIES
def shell_latest_value(ed: Window) -> str | None:
    found = _shells(ed)
    return None if found is None else _value(found[1])


@QUERIES
def shell_first_value(ed: Window) -> str | None:
    found = _shells(ed)
    return None if found is None else _value(found[0])


@QUERIES
def shell_first_month(ed: Window) -> str | None:
    found = _shells(ed)
    return None if found is None else fmt_date(found[0]["claim_date"], "month")


@QUERIES
def ammo_share_range(ed: Window) -> str | None:
    """'30–50%' (or '50%'): the span of the estimates of the share of Russia's ammunition."""
    r = span(claims(ed, "dprk_share_russian_ammo"))
    if r is None:
        return None
    return f"{fmt_num(r[0])}–{fmt_num(r[1])}%" if r[0] != r[1] else f"{fmt_num(r[0])}%"


@QUERIES
def ammo_share_estimates(ed: Window) -> str | None:
    share = claims(ed, "dprk_share_russian_ammo")
    return None if share.empty else plural(len(share), "estimate")


@QUERIES
def ammo_share_claimants(ed: Window) -> str | None:
    share = claims(ed, "dprk_share_russian_ammo")
    return None if share.empty else "; ".join(f"{c} ({brief.label(str(t))})"
                                              for c, t in zip(share["claimant"], share["claimant_type"]))


def _inbound(ed: Window) -> pd.DataFrame:
    inbound = ed.known(data.flows())
    return inbound[inbound["direction"] == "russia_to_dprk"]


def reported_inbound(ed: Window) -> pd.DataFrame:
    """Support from Russia to the DPRK reported by a government or monitor, as known on ``as_of``.

    A flow counts only if it is not merely alleged and at least one of its sources is not the source
    analysis under review: the article's own unverified assertions are not evidence for a judgment on it.
    """
    inbound = _inbound(ed)
    independent = inbound["source_ids"].map(lambda cell: bool(set(data.split_ids(cell)) - {SOURCE_ANALYSIS}))
    return inbound[(inbound["status"] != "alleged") & independent]


@QUERIES
def inbound_kinds(ed: Window) -> str | None:
    """Kinds of support from Russia to the DPRK reported by governments or monitors (two at least, or None)."""
    inbound = reported_inbound(ed)
    return None if len(inbound) < 2 else str(len(inbound))


@QUERIES
def inbound_alleged(ed: Window) -> str | None:
    """Kinds asserted only by the source analysis or otherwise unconfirmed ('2 more'), or None."""
    extra = len(_inbound(ed)) - len(reported_inbound(ed))
    return None if extra <= 0 else str(extra)


@QUERIES
def inbound_reported(ed: Window) -> str | None:
    inbound = reported_inbound(ed)
    return None if len(inbound) < 2 else str(len(inbound))


@QUERIES
def missile_counts(ed: Window) -> str | None:
    missiles = claims(ed, "dprk_ballistic_missiles")
    if missiles.empty:
        return None
    return "; ".join(f"{_value(row)} ({row['claimant']}, {fmt_date(row['claim_date'], 'month')})"
                     for _, row in missiles.iterrows())


@QUERIES
def latest_builders(ed: Window) -> str | None:
    """'about 5,000': the latest estimate of DPRK military construction troops or workers sent to Russia."""
    frame = claims(ed, "dprk_military_workers")
    return None if frame.empty else "about " + _value(frame.sort_values(["claim_date", "claim_id"]).iloc[-1])


@QUERIES
def latest_builders_claimant(ed: Window) -> str | None:
    frame = claims(ed, "dprk_military_workers")
    if frame.empty:
        return None
    row = frame.sort_values(["claim_date", "claim_id"]).iloc[-1]
    return f"{row['claimant']} on {fmt_date(row['claim_date'])}"


HWASONG_20 = "ev_20251010_hwasong20_shown"


@QUERIES
def hwasong20_shown(ed: Window) -> str | None:
    return _date_of(ed, HWASONG_20)


def _icbm_launches(ed: Window) -> pd.DataFrame:
    events = ed.known(data.events())
    return events[(events["event_type"] == "missile_launch") & (events["theme"] == "dprk_military")
                  & events["summary"].str.contains(r"\bICBM\b", na=False)]


@QUERIES
def last_icbm_launch(ed: Window) -> str | None:
    """Date of the latest ICBM launch on record (None if none is known)."""
    launches = _icbm_launches(ed)
    return None if launches.empty else fmt_date(launches["date_start"].max())


@SIGNPOSTS
def icbm_launch_after_parade(ed: Window) -> Seen | None:
    """An ICBM launch on record after the Hwasong-20 was first shown (10 Oct 2025)."""
    shown = ed.event(HWASONG_20)
    if shown is None:
        return None
    launches = _icbm_launches(ed)
    later = launches[launches["date_start"] > shown["date_start"]].sort_values("reported_on")
    if later.empty:
        return None
    return Seen(later.iloc[0]["reported_on"].date().isoformat(), (later.iloc[0]["event_id"], HWASONG_20))


ICBM_TEST_BY = "2026-12-31"  # threshold: the horizon of the ICBM-testing judgment


@SIGNPOSTS
def no_icbm_test_by_horizon(ed: Window) -> Seen | None:
    """The record reaches :data:`ICBM_TEST_BY` with no ICBM launch after the Hwasong-20 was shown."""
    shown = ed.event(HWASONG_20)
    end = ed.record_end
    if shown is None or end is None or pd.Timestamp(end) < pd.Timestamp(ICBM_TEST_BY):
        return None
    if icbm_launch_after_parade(ed) is not None:
        return None
    return Seen(ICBM_TEST_BY, (HWASONG_20,))


@SIGNPOSTS
def second_troop_deployment(ed: Window) -> Seen | None:
    """A second deployment of DPRK troops to Russia reported after the first (NIS, Oct 2024)."""
    events = ed.known(data.events())
    waves = events[(events["event_type"] == "deployment") & events["theme"].isin(["dprk_russia", "dprk_military"])
                   & (events["date_start"] >= pd.Timestamp("2024-10-18"))].sort_values(["reported_on", "event_id"])
    if len(waves) < 2:
        return None
    return Seen(waves.iloc[1]["reported_on"].date().isoformat(), tuple(waves["event_id"].iloc[:2]))


@SIGNPOSTS
def container_estimate_rises(ed: Window) -> Seen | None:
    """The latest estimate of containers shipped is above every earlier one."""
    frame = ed.known(data.claims())
    frame = frame[frame["quantity"] == "dprk_containers"].sort_values(["reported_on", "claim_id"])
    if len(frame) < 2:
        return None
    top = frame[["value_low", "value_best", "value_high"]].max(axis=1)
    if top.iloc[-1] <= top.iloc[:-1].max():
        return None
    return Seen(frame.iloc[-1]["reported_on"].date().isoformat(),
                (frame.iloc[-1]["claim_id"], frame.iloc[:-1].loc[top.iloc[:-1].idxmax(), "claim_id"]))


@SIGNPOSTS
def troops_return(ed: Window) -> Seen | None:
    """DPRK troops reported returning home or withdrawn from Russia."""
    events = ed.known(data.events())
    back = events[events["theme"].isin(["dprk_russia", "dprk_military"])
                  & events["summary"].str.contains(r"\b(?:return(?:ed|ing)? home|withdr[ae]w)", case=False, na=False)
                  & events["summary"].str.contains("troops|soldiers", case=False, na=False)]
    if back.empty:
        return None
    first = back.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["event_id"],))


def judgments(ed: Window) -> list[Judgment]:
    """Key judgments for the alliance brief as known on ``as_of``, from the register."""
    return line.judgments(ed, sys.modules[__name__])


def why_it_matters(ed: Window):
    """One line for a policymaker: why this brief matters to the ROK (shown under the bottom line)."""
    if ed.event("ev_20240619_treaty_signed") is None:
        return brief.paragraph("Why it matters: Russian help could ease the sanctions that constrain the DPRK's "
                               "weapons programmes.", "why-it-matters")
    return brief.paragraph("Why it matters: a treaty ally with a UN Security Council veto shields Pyongyang from new "
                           "sanctions, and combat experience and Russian technology can raise the threat to the ROK.",
                           "why-it-matters")


def header(ed: Window):
    """Title stating the judgment and the bottom line, as known on ``as_of``."""
    troops = span(claims(ed, "dprk_troops_in_russia"))
    signed = ed.event("ev_20240619_treaty_signed")
    reported = reported_inbound(ed)
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


# The register's blocks for this brief (key judgments, signposts, assumptions, alternatives).
key_judgments, signposts, assumptions, alternatives = line.blocks(__name__)


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


def new_events(ed: Window):
    return brief.new_events(ed, THEMES + ("dprk_military",))
