"""02 — Seoul's response: the Yoon era, the Lee Jae-myung era, side by side, public opinion."""

from __future__ import annotations

import pandas as pd

from .. import brief, charts, data
from ..brief import Judgment, fmt_date, plural
from . import Window, check

THEMES = ("seoul_response", "inter_korean")
LEE_INAUGURATED = "ev_20250604_lee_inauguration"
# Measures compared side by side: (measure, event types, themes).
MEASURES = (("Sanctions designations", ("sanctions",), ("seoul_response",)),
            ("Export controls on Russia", ("export_control",), ("seoul_russia",)),
            ("Steps easing tension with the North", ("policy_measure", "statement"), ("seoul_response",)),
            ("Pyongyang's statements on Seoul", ("statement",), ("inter_korean",)))


def lee_start(ed: Window) -> pd.Timestamp | None:
    event = ed.event(LEE_INAUGURATED)
    return None if event is None else event["date_start"]


def era(ed: Window, events: pd.DataFrame) -> pd.Series:
    """'Yoon' or 'Lee' for each event, split at Lee's inauguration."""
    start = lee_start(ed)
    if start is None:
        return pd.Series("Yoon", index=events.index)
    return events["date_start"].map(lambda d: "Lee" if d >= start else "Yoon")


def budget(ed: Window) -> pd.DataFrame:
    frame = ed.known(data.indicators())
    return frame[frame["indicator_id"] == "rok_defence_budget"].sort_values(["period", "stage"])


def _enacted(frame: pd.DataFrame) -> pd.DataFrame:
    enacted = frame[(frame["stage"] == "enacted") & (frame["derivation"] == "reported")
                    & (frame["counting_basis"].fillna("").str.startswith("ROK"))]
    return enacted.sort_values(["period", "reported_on"]).drop_duplicates("period", keep="last")


def judgments(ed: Window) -> list[Judgment]:
    found = []
    enacted = _enacted(budget(ed))
    if len(enacted) >= 2:
        first, last = enacted.iloc[0], enacted.iloc[-1]
        growth = 100 * (last["value"] / first["value"] - 1)
        found.append(Judgment(
            f"Seoul's defence budget will very likely keep rising: the enacted budget grew from KRW "
            f"{first['value']:.2f} trillion ({first['period']}) to KRW {last['value']:.2f} trillion "
            f"({last['period']}), up {growth:.0f}%.",
            "high", "The figures are enacted budgets reported by the ROK government and Korean media."))
    start = lee_start(ed)
    events = ed.known(data.events())
    since_lee = events[events["date_start"] >= start] if start is not None else events.iloc[0:0]
    eased = since_lee[(since_lee["theme"] == "seoul_response") & (since_lee["security_effect"] == "eases")]
    rebuffs = since_lee[(since_lee["theme"] == "inter_korean") & (since_lee["security_effect"] == "worsens")]
    if not rebuffs.empty:  # judged only once Pyongyang has answered in public
        found.append(Judgment(
            f"Pyongyang is very unlikely to take up President Lee's offers in the coming months: since "
            f"{fmt_date(start)} Seoul took {plural(len(eased), 'step')} to ease tension and the North answered "
            f"with {plural(len(rebuffs), 'public rejection')}, most recently on "
            f"{fmt_date(rebuffs['date_start'].max())}.",
            "moderate", "The rejections are on the record in KCNA and official statements; Pyongyang's private "
                        "channels are unknown."))
    sanctions = ed.known(data.sanctions())
    rounds = sanctions[sanctions["kind"] == "designation"]
    if not rounds.empty:
        found.append(Judgment(
            f"Seoul will likely keep its sanctions on DPRK–Russia networks in place: {len(rounds)} designation "
            f"rounds since {fmt_date(rounds['announced'].min(), 'month')} named {int(rounds['individuals'].sum())} "
            f"individuals, {int(rounds['entities'].sum())} entities and {int(rounds['vessels'].sum())} vessels.",
            "moderate", "Designations are official; whether Seoul adds more is a policy choice not yet visible."))
    nukes = ed.known(data.polls())
    nukes = nukes[nukes["topic"] == "own_nuclear_weapons"]
    if len(nukes) >= 2:
        low, high = nukes["value_percent"].min(), nukes["value_percent"].max()
        outlook = "stay above half" if low > 50 else "stay divided"
        found.append(Judgment(
            f"Public support for a South Korean nuclear weapon will likely {outlook}: {len(nukes)} polls "
            f"from {nukes['fieldwork_year'].min()} to {nukes['fieldwork_year'].max()} put it between "
            f"{low:.0f}% and {high:.0f}%.",
            "moderate", "Pollsters and wording differ, so levels are not strictly comparable across polls."))
    return found


def header(ed: Window):
    start = lee_start(ed)
    events = ed.known(data.events())
    rebuffs = 0 if start is None else int(((events["date_start"] >= start) & (events["theme"] == "inter_korean")
                                           & (events["security_effect"] == "worsens")).sum())
    if start is not None and rebuffs:
        title = "Seoul has swung from pressure to outreach, and Pyongyang is rebuffing it"
        line = (f"Under President Yoon Seoul armed, sanctioned and aligned; since {fmt_date(start)} President Lee has "
                f"eased pressure on the North and met {plural(rebuffs, 'public rejection')}, while the defence "
                "build-up continues.")
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


def key_judgments(ed: Window):
    return brief.key_judgments(judgments(ed), ed.as_of)


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
    events = events[era(ed, events) == which]
    caption = ("The Yoon era: what Seoul did and what it faced" if which == "Yoon"
               else "The Lee Jae-myung era: outreach and Pyongyang's answers")
    return brief.table(ed, events, {"date_start": "Date", "actor1": "Actor", "summary": "What happened",
                                "security_effect": "Effect on ROK security"}, caption)


def side_by_side(ed: Window):
    """Yoon vs Lee, measure by measure: counts of events of each kind in each era."""
    events = ed.known(data.events())
    events = events[events["date_start"] >= pd.Timestamp(ed.since)]
    start = lee_start(ed)
    rows = []
    for measure, types, themes in MEASURES:
        subset = events[events["event_type"].isin(types) & events["theme"].isin(themes)]
        if measure.startswith("Steps easing"):
            subset = subset[subset["security_effect"] == "eases"]
        if measure.startswith("Pyongyang"):
            subset = subset[subset["security_effect"] == "worsens"]
        lee = subset[subset["date_start"] >= start] if start is not None else subset.iloc[0:0]
        yoon = subset.drop(lee.index)
        rows.append({"measure": measure, "yoon": len(yoon), "lee": len(lee),
                     "source_ids": ";".join(subset["source_ids"].dropna())})
    frame = pd.DataFrame(rows)
    lee_label = f"Lee (from {fmt_date(start)})" if start is not None else "Lee (not yet in office)"
    return brief.table(ed, frame, {"measure": "Measure", "yoon": "Yoon (events)", "lee": lee_label},
                       "Yoon and Lee side by side: events in the dataset, by measure")


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
