"""02 — Seoul's response: the Yoon era, the Lee Jae-myung era, side by side, public opinion."""

from __future__ import annotations

import sys

import pandas as pd

from .. import brief, charts, data, line
from ..brief import Judgment, fmt_date, plural
from ..register import Registry, Seen
from . import Window, check

THEMES = ("seoul_response", "inter_korean")
LEE_INAUGURATED = "ev_20250604_lee_inauguration"
# The government in office decides the era of an event: Yoon governed until the Assembly impeached him (his
# powers were suspended that day, 14 Dec 2024); acting presidents governed until Lee took office (Yoon was
# removed on 4 Apr 2025, Lee inaugurated on 4 Jun 2025).  Boundaries are read from the events table.
YOON_SUSPENDED = "ev_20241214_yoon_impeached"
ERAS = ("Yoon", "Acting", "Lee")
# Measures compared side by side: (measure, event types, themes).
MEASURES = (("Sanctions designations", ("sanctions",), ("seoul_response",)),
            ("Export controls on Russia", ("export_control",), ("seoul_russia",)),
            ("Steps easing tension with the North", ("policy_measure", "statement"), ("seoul_response",)),
            ("Pyongyang's statements on Seoul", ("statement",), ("inter_korean",)))


def lee_start(ed: Window) -> pd.Timestamp | None:
    event = ed.event(LEE_INAUGURATED)
    return None if event is None else event["date_start"]


def era(ed: Window, events: pd.DataFrame) -> pd.Series:
    """'Yoon', 'Acting' or 'Lee' for each event: the government in office on the event's start date.

    Before Yoon's impeachment is on record every event is Yoon's; from the impeachment to Lee's
    inauguration the country was run by acting presidents, whose steps count for neither president.
    """
    bounds = [(ed.event(YOON_SUSPENDED), "Acting"), (ed.event(LEE_INAUGURATED), "Lee")]

    def government(day: pd.Timestamp) -> str:
        found = "Yoon"
        for event, name in bounds:
            if event is not None and day >= event["date_start"]:
                found = name
        return found

    return events["date_start"].map(government) if len(events) else pd.Series(dtype=str)


def budget(ed: Window) -> pd.DataFrame:
    frame = ed.known(data.indicators())
    return frame[frame["indicator_id"] == "rok_defence_budget"].sort_values(["period", "stage"])


def _enacted(frame: pd.DataFrame) -> pd.DataFrame:
    enacted = frame[(frame["stage"] == "enacted") & (frame["derivation"] == "reported")
                    & (frame["counting_basis"].fillna("").str.startswith("ROK"))]
    return enacted.sort_values(["period", "reported_on"]).drop_duplicates("period", keep="last")


BRIEF = "02-seoul-response"
QUERIES = Registry()  # named data queries: the placeholders of this brief's register entries
SIGNPOSTS = Registry()  # named predicates: this brief's signposts


def _enacted_pair(ed: Window) -> tuple[pd.Series, pd.Series] | None:
    enacted = _enacted(budget(ed))
    return None if len(enacted) < 2 else (enacted.iloc[0], enacted.iloc[-1])


@QUERIES
def first_enacted_budget(ed: Window) -> str | None:
    """'50.15' (KRW trillion): the earliest enacted budget reported by the ROK on record."""
    pair = _enacted_pair(ed)
    return None if pair is None else f"{pair[0]['value']:.2f}"


@QUERIES
def first_enacted_year(ed: Window) -> str | None:
    pair = _enacted_pair(ed)
    return None if pair is None else str(pair[0]["period"])


@QUERIES
def latest_enacted_budget(ed: Window) -> str | None:
    pair = _enacted_pair(ed)
    return None if pair is None else f"{pair[1]['value']:.2f}"


@QUERIES
def latest_enacted_year(ed: Window) -> str | None:
    pair = _enacted_pair(ed)
    return None if pair is None else str(pair[1]["period"])


@QUERIES
def budget_growth(ed: Window) -> str | None:
    """Growth in per cent from the first to the latest enacted budget on record."""
    pair = _enacted_pair(ed)
    return None if pair is None else f"{100 * (pair[1]['value'] / pair[0]['value'] - 1):.0f}"


def _lee_era(ed: Window) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Steps easing tension by Seoul and public rejections by Pyongyang since Lee took office."""
    start = lee_start(ed)
    events = ed.known(data.events())
    since_lee = events[events["date_start"] >= start] if start is not None else events.iloc[0:0]
    eased = since_lee[(since_lee["theme"] == "seoul_response") & (since_lee["security_effect"] == "eases")]
    rebuffs = since_lee[(since_lee["theme"] == "inter_korean") & (since_lee["security_effect"] == "worsens")]
    return eased, rebuffs


@QUERIES
def lee_inaugurated(ed: Window) -> str | None:
    start = lee_start(ed)
    return None if start is None else fmt_date(start)


@QUERIES
def easing_steps(ed: Window) -> str | None:
    return None if lee_start(ed) is None else plural(len(_lee_era(ed)[0]), "step")


@QUERIES
def rejections(ed: Window) -> str | None:
    """'4 public rejections' since Lee took office (None until Pyongyang has answered in public)."""
    rebuffs = _lee_era(ed)[1]
    return None if rebuffs.empty else plural(len(rebuffs), "public rejection")


@QUERIES
def latest_rejection(ed: Window) -> str | None:
    rebuffs = _lee_era(ed)[1]
    return None if rebuffs.empty else fmt_date(rebuffs["date_start"].max())


def _rounds(ed: Window) -> pd.DataFrame:
    frame = ed.known(data.sanctions())
    return frame[frame["kind"] == "designation"]


@QUERIES
def designation_rounds(ed: Window) -> str | None:
    rounds = _rounds(ed)
    return None if rounds.empty else str(len(rounds))


@QUERIES
def first_designation_month(ed: Window) -> str | None:
    rounds = _rounds(ed)
    return None if rounds.empty else fmt_date(rounds["announced"].min(), "month")


@QUERIES
def designated_individuals(ed: Window) -> str | None:
    rounds = _rounds(ed)
    return None if rounds.empty else str(int(rounds["individuals"].sum()))


@QUERIES
def designated_entities(ed: Window) -> str | None:
    rounds = _rounds(ed)
    return None if rounds.empty else str(int(rounds["entities"].sum()))


@QUERIES
def designated_vessels(ed: Window) -> str | None:
    rounds = _rounds(ed)
    return None if rounds.empty else str(int(rounds["vessels"].sum()))


@QUERIES
def hostile_state(ed: Window) -> str | None:
    """Date KCNA first said the DPRK constitution names the ROK a hostile state."""
    event = ed.event("ev_20241017_constitution_hostile_state")
    return None if event is None else fmt_date(event["date_start"])


def _rounds_since_lee(ed: Window) -> pd.DataFrame | None:
    start = lee_start(ed)
    if start is None:
        return None
    rounds = _rounds(ed)
    return rounds[rounds["announced"] >= start]


@QUERIES
def rounds_since_lee(ed: Window) -> str | None:
    """'none' or '2 rounds': designation rounds announced since Lee took office (None before he did)."""
    rounds = _rounds_since_lee(ed)
    if rounds is None:
        return None
    return "none" if rounds.empty else plural(len(rounds), "round")


@SIGNPOSTS
def designation_under_lee(ed: Window) -> Seen | None:
    """A first ROK sanctions designation round announced after Lee took office."""
    rounds = _rounds_since_lee(ed)
    if rounds is None or rounds.empty:
        return None
    first = rounds.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["measure_id"],))


def _nuclear_polls(ed: Window) -> pd.DataFrame:
    polls = ed.known(data.polls())
    return polls[polls["topic"] == "own_nuclear_weapons"]


@QUERIES
def nuclear_polls(ed: Window) -> str | None:
    """'9 polls from 2021 to 2025' on a South Korean nuclear weapon (two at least)."""
    nukes = _nuclear_polls(ed)
    if len(nukes) < 2:
        return None
    return f"{plural(len(nukes), 'poll')} from {nukes['fieldwork_year'].min()} to {nukes['fieldwork_year'].max()}"


@QUERIES
def nuclear_support_range(ed: Window) -> str | None:
    """'60% and 77%': the lowest and highest support in those polls."""
    nukes = _nuclear_polls(ed)
    if len(nukes) < 2:
        return None
    return f"{nukes['value_percent'].min():.0f}% and {nukes['value_percent'].max():.0f}%"


@SIGNPOSTS
def dprk_answer_not_rejection(ed: Window) -> Seen | None:
    """Since Lee took office, a DPRK step coded as easing tension on the inter-Korean theme."""
    start = lee_start(ed)
    if start is None:
        return None
    events = ed.known(data.events())
    found = events[(events["date_start"] >= start) & (events["theme"] == "inter_korean")
                   & (events["security_effect"] == "eases") & (events["actor1"] == "DPRK")]
    if found.empty:
        return None
    first = found.sort_values("reported_on").iloc[0]
    return Seen(first["reported_on"].date().isoformat(), (first["event_id"],))


REJECTION_PAUSE_DAYS = 90  # threshold: this long without a public rejection, while the record runs on


@QUERIES
def rejection_pause_days(ed: Window) -> str:
    return str(REJECTION_PAUSE_DAYS)


@SIGNPOSTS
def rejections_pause(ed: Window) -> Seen | None:
    """No new public DPRK rejection of Seoul for :data:`REJECTION_PAUSE_DAYS` days of record after the last one."""
    rebuffs = _lee_era(ed)[1]
    end = ed.record_end
    if rebuffs.empty or end is None:
        return None
    last = rebuffs.sort_values("date_start").iloc[-1]
    due = last["date_start"] + pd.Timedelta(days=REJECTION_PAUSE_DAYS)
    return Seen(due.date().isoformat(), (last["event_id"],)) if pd.Timestamp(end) >= due else None


@SIGNPOSTS
def budget_cut(ed: Window) -> Seen | None:
    """An enacted defence budget below the one enacted the year before."""
    enacted = _enacted(budget(ed)).sort_values("period")
    lower = enacted[enacted["value"] < enacted["value"].shift(1)]
    if lower.empty:
        return None
    row = lower.iloc[0]
    return Seen(row["reported_on"].date().isoformat(), ("rok_defence_budget",))


@SIGNPOSTS
def nuclear_support_below_half(ed: Window) -> Seen | None:
    """A poll putting support for a South Korean nuclear weapon below half."""
    nukes = _nuclear_polls(ed)
    below = nukes[nukes["value_percent"] < 50].sort_values("reported_on")
    if below.empty:
        return None
    return Seen(below.iloc[0]["reported_on"].date().isoformat(), (below.iloc[0]["poll_id"],))


def judgments(ed: Window) -> list[Judgment]:
    """Key judgments for Seoul's response as known on ``as_of``, from the register."""
    return line.judgments(ed, sys.modules[__name__])


def why_it_matters(ed: Window):
    """One line for a policymaker: why this brief matters (shown under the bottom line)."""
    return brief.paragraph("Why it matters: whether Seoul's deterrence and outreach move together decides how much "
                           "room it has with Pyongyang, Washington and Moscow.", "why-it-matters")


def header(ed: Window):
    start = lee_start(ed)
    events = ed.known(data.events())
    rebuffs = 0 if start is None else int(((events["date_start"] >= start) & (events["theme"] == "inter_korean")
                                           & (events["security_effect"] == "worsens")).sum())
    if start is not None and rebuffs:
        title = "Seoul has swung from pressure to outreach, and Pyongyang is rebuffing it"
        line = (f"Under President Yoon, Seoul raised defence spending, sanctioned DPRK–Russia arms networks and drew "
                f"closer to Washington and Tokyo; since {fmt_date(start)} President Lee has eased pressure on the North "
                f"and met {plural(rebuffs, 'public rejection')}, while the defence budget keeps rising.")
    elif start is not None:
        title = "Seoul has swung from pressure to outreach"
        line = (f"Since {fmt_date(start)} President Lee has eased pressure on the North; Pyongyang had not yet "
                "answered in public.")
    elif not ed.events(*THEMES).empty:
        title = "Seoul is answering the DPRK–Russia alignment with deterrence and sanctions"
        line = "President Yoon's government is raising defence spending, sanctioning arms networks and aligning with allies."
    else:
        title = "No Seoul response was on record yet"
        line = f"The dataset holds no reporting on Seoul's response for {ed.period}."
    return brief.header(ed, title, line)


# The register's blocks for this brief (key judgments, signposts, assumptions, alternatives).
key_judgments, signposts, assumptions, alternatives = line.blocks(__name__)


def budget_chart(ed: Window):
    frame = budget(ed)
    frame = frame[frame["period"] >= str(pd.Timestamp(ed.since).year - 2)]
    enacted = _enacted(frame)
    if len(enacted) >= 2:
        rising = "rose every year" if enacted["value"].is_monotonic_increasing else "reached"
        title = (f"The enacted defence budget {rising}{', to' if rising != 'reached' else ''} KRW "
                 f"{enacted.iloc[-1]['value']:.1f} trillion in {enacted.iloc[-1]['period']}")
    else:
        title = "Too few budget figures on record to show a trend"
    return brief.chart(ed, charts.budget_by_stage(frame, title, "ROK defence budget by year and budget stage, KRW trillion "
                                              "(nominal)", indicator_id="rok_defence_budget", as_of=ed.as_of))


def budget_table(ed: Window):
    return brief.table(ed, budget(ed), {"period": "Year", "stage": "Stage", "value": "KRW trillion",
                                    "derivation": "Reported or derived", "counting_basis": "Reported by",
                                    "note": "Note"}, "ROK defence budget by stage (stages kept apart)",
                       formats={"value": lambda r: f"{r['value']:.4g}"})


def sanctions(ed: Window):
    frame = ed.known(data.sanctions()).sort_values("announced")
    return brief.table(ed, frame, {"announced": "Announced", "kind": "Kind", "target": "Target",
                               "individuals": "Individuals", "entities": "Entities", "vessels": "Vessels",
                               "items_total": "Items listed", "summary": "Summary"},
                       "ROK sanctions designations and export-control steps")


def era_events(ed: Window, which: str):
    events = ed.events(*THEMES)
    eras = era(ed, events)
    # The Yoon table runs on to Lee's inauguration: the acting presidents' months close that era.
    events = events[eras.isin(("Yoon", "Acting")) if which == "Yoon" else eras == which]
    caption = ("The Yoon era and the acting presidents after his impeachment: what Seoul did and what it faced"
               if which == "Yoon" else "The Lee Jae-myung era: outreach and Pyongyang's answers")
    return brief.table(ed, events, {"date_start": "Date", "actor1": "Actor", "summary": "What happened",
                                "security_effect": "Effect on ROK security"}, caption)


def side_by_side_counts(ed: Window) -> pd.DataFrame:
    """Yoon vs Lee, measure by measure: counts of events of each kind under each government.

    An event is counted under the government in office on its date (:func:`era`); steps taken by the
    acting presidents between Yoon's impeachment and Lee's inauguration are counted apart.
    """
    events = ed.known(data.events())
    events = events[events["date_start"] >= pd.Timestamp(ed.since)]
    rows = []
    for measure, types, themes in MEASURES:
        subset = events[events["event_type"].isin(types) & events["theme"].isin(themes)]
        if measure.startswith("Steps easing"):
            subset = subset[subset["security_effect"] == "eases"]
        if measure.startswith("Pyongyang"):
            subset = subset[subset["security_effect"] == "worsens"]
        eras = era(ed, subset)
        rows.append({"measure": measure, **{name.lower(): int((eras == name).sum()) for name in ERAS},
                     "source_ids": ";".join(subset["source_ids"].dropna())})
    return pd.DataFrame(rows)


def side_by_side(ed: Window):
    """Yoon vs Lee, measure by measure: counts of events of each kind in each era."""
    frame = side_by_side_counts(ed)
    start = lee_start(ed)
    lee_label = f"Lee (from {fmt_date(start)})" if start is not None else "Lee (not yet in office)"
    columns = {"measure": "Measure", "yoon": "Yoon (events)"}
    suspended = ed.event(YOON_SUSPENDED)
    if suspended is not None:
        columns["acting"] = f"Acting presidents (from {fmt_date(suspended['date_start'])})"
    columns["lee"] = lee_label
    return brief.table(ed, frame, columns, "Yoon and Lee side by side: events in the dataset, by measure, "
                       "counted under the government in office on the day")


def polls_table(ed: Window):
    frame = ed.known(data.polls()).sort_values(["topic", "fieldwork_year", "poll_id"])
    return brief.table(ed, frame, {"topic": "Question", "pollster": "Pollster", "fieldwork_year": "Year",
                               "fieldwork_end": "Fieldwork ended", "sample_size": "Sample",
                               "value_percent": "Share"}, "Polls on the alliance and a national nuclear option",
                       formats={"topic": lambda r: str(r["topic"]).replace("_", " ").replace("us ", "US "),
                                "value_percent": lambda r: ("over " if r["value_qualifier"] == "over" else "")
                                + f"{r['value_percent']:g}%",
                                "sample_size": lambda r: "–" if pd.isna(r["sample_size"]) else f"{int(r['sample_size']):,}"})


def alliance_poll_check(ed: Window):
    """The source analysis' 96% against the alliance polls actually found."""
    frame = ed.known(data.polls())
    alliance = frame[frame["topic"].isin(["us_alliance_important", "us_alliance_necessary"])]
    if alliance.empty:
        return brief.no_data(ed.as_of, "poll on the US alliance")
    top = alliance.loc[alliance["value_percent"].idxmax()]
    ed.cite(s for cell in alliance["source_ids"] for s in data.split_ids(cell))
    claim = check(ed, "ck_22_poll_96_percent")
    said = ("" if claim is None else f"The source analysis gives {claim['analysis_value']} ({claim['verdict']}). ")
    return brief.paragraph(f"{said}The highest figure in the dataset for the US alliance is {top['value_percent']:g}% "
                           f"({top['pollster']}, {top['fieldwork_year']}, "
                           f"\"{str(top['topic']).replace('_', ' ').replace('us ', 'US ')}\").")


def changes(ed: Window):
    return brief.changes(ed, THEMES)


def new_events(ed: Window):
    return brief.new_events(ed, THEMES)
