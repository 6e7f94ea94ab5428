"""The errors an editor found in the 2025-12-15 editions (issue 11), each with the check that would have caught it."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from briefing import data
from briefing.themes import SOURCE_ANALYSIS, alliance, russia_policy, seoul, start, trilateral

CURRENT = ("2025-12-15", "2022-02-24", "2025-10-25", "TLP:CLEAR")
LATER = (date.today().isoformat(), "2022-02-24", "2026-01-01", "TLP:CLEAR")  # everything in the record is known


def _events(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"date_start": pd.to_datetime(list(days))})


def test_an_event_belongs_to_the_government_in_office_on_its_date():
    """Yoon's powers were suspended on 14 Dec 2024 and he was removed on 4 Apr 2025; Lee took office on 4 Jun."""
    ed = start(*CURRENT)
    eras = seoul.era(ed, _events("2024-12-13", "2024-12-17", "2025-04-10", "2025-06-01", "2025-06-04", "2025-06-09"))
    assert list(eras) == ["Yoon", "Acting", "Acting", "Acting", "Lee", "Lee"]


def test_before_the_impeachment_every_event_is_yoons():
    ed = start("2024-06-30", "2022-02-24", "2024-03-31", "TLP:CLEAR")
    assert set(seoul.era(ed, _events("2023-01-01", "2025-06-09"))) == {"Yoon"}


def test_the_june_2025_leaflet_request_counts_for_lee_and_no_easing_step_for_yoon():
    counts = seoul.side_by_side_counts(start(*CURRENT)).set_index("measure")
    easing = counts.loc["Steps easing tension with the North"]
    events = data.events().set_index("event_id")
    assert events.loc["ev_20250601_leaflet_balloons_request", "date_start"] >= pd.Timestamp("2025-06-04")
    assert easing["yoon"] == 0 and easing["acting"] == 0 and easing["lee"] >= 8
    # The December 2024 sanctions round was the acting government's, not Yoon's.
    assert counts.loc["Sanctions designations", "acting"] >= 1


def test_a_fact_check_that_names_a_trade_peak_agrees_with_the_trade_series():
    """No fact-check finding may call a year 'the peak' that the ROK-reported series, fully known, contradicts."""
    totals = russia_policy._rok_totals(start(*LATER))
    peak_year = int(totals.loc[totals["value"].idxmax(), "year"])
    for _, row in data.crosscheck().iterrows():
        for year in re.findall(r"\bpeak(?:ed)?\b[^.;]*?\b((?:19|20)\d{2})\b|\b((?:19|20)\d{2})\b[^.;]*?\(the peak\)",
                               row["finding"]):
            stated = int(next(y for y in year if y))
            assert stated == peak_year, f"{row['check_id']}: calls {stated} the peak; the series peaks in {peak_year}"


def test_every_trade_figure_plotted_has_a_year_its_source_shows():
    """A figure whose year the source does not give is not plotted on a guessed year."""
    frame = data.indicators()
    frame = frame[frame["indicator_id"] == "kor_rus_trade_total"]
    assert not frame["note"].fillna("").str.contains("year not shown|guessed", case=False).any()
    assert "vazhno_zinoviev" not in ";".join(frame["source_ids"])


def test_ledger_counts_only_support_reported_by_a_government_or_monitor():
    """The source analysis' own unverified 'food' and 'space help' are not kinds of support on record."""
    ed = start(*CURRENT)
    counted = alliance.reported_inbound(ed)
    assert not counted.empty
    assert not counted["item"].isin(["food", "space_technology"]).any()
    for cell in counted["source_ids"]:
        assert set(data.split_ids(cell)) - {SOURCE_ANALYSIS}
    assert alliance.inbound_kinds(ed) == str(len(counted))


def test_deals_are_not_counted_as_disputes():
    ed = start(*CURRENT)
    frictions = set(trilateral._disputes(ed)["event_id"])
    assert "ev_20250904_georgia_plant_raid" in frictions
    assert not frictions & {"ev_20250730_us_rok_tariff_deal", "ev_20251029_gyeongju_investment_deal"}


def test_exercise_count_starts_at_the_first_exercise_on_record():
    ed = start(*CURRENT)
    first = trilateral.exercises(ed)["date_start"].min()
    assert trilateral.first_exercise_month(ed) == first.strftime("%b %Y")
    assert first < pd.Timestamp("2023-01-01"), "the 2022 exercises are on record"


def test_exercise_confidence_matches_who_reported_the_dates():
    """'Dates come from the allies' own announcements' was false: say what the sources are."""
    ed = start(*CURRENT)
    text = trilateral.exercise_sources(ed)
    drills = trilateral.exercises(ed)
    assert str(len(drills)) in text


def test_no_event_rests_only_on_a_flagged_look_alike_site():
    """A source the data flags as 'not verified as an official outlet' is never an event's only source."""
    sources = data.sources().set_index("source_id")
    flagged = set(sources.index[sources["notes"].fillna("").str.contains("not verified as an official outlet")])
    for table in ("events", "crosscheck"):
        for _, row in data.load(table).iterrows():
            ids = set(data.split_ids(row["source_ids"])) - {SOURCE_ANALYSIS}
            assert not ids or ids - flagged, f"{table}: {row.iloc[0]} rests only on {sorted(ids)}"


def test_no_key_judgment_rests_on_the_article_under_review():
    """A judgment whose basis is a row sourced only to the analysis it fact-checks would be circular."""
    from briefing import register

    article_rows = set()
    for table, key in (("claims", "claim_id"), ("flows", "flow_id"), ("events", "event_id")):
        frame = data.load(table)
        article_rows |= set(frame[frame["source_ids"].fillna("") == SOURCE_ANALYSIS][key])
    assert article_rows
    entries = register.load()
    for brief in {e.brief for e in entries}:
        for entry in register.as_known(entries, brief, CURRENT[0], "judgment"):
            if not entry.withdrawn:
                assert not set(entry.basis) & article_rows, f"{entry.id} rests on {set(entry.basis) & article_rows}"


def test_moved_field_drills_count_as_a_scaled_down_exercise():
    seen = trilateral.exercise_cancelled(start(*CURRENT))
    assert seen is not None and seen.ids == ("ev_20250818_ulchi_freedom_shield_25",)
    assert trilateral.exercise_cancelled(start("2024-06-30", "2022-02-24", "2024-03-31", "TLP:CLEAR")) is None


def test_icbm_signpost_is_seen_only_after_a_launch_later_than_the_parade(tmp_path, monkeypatch):
    import shutil

    assert alliance.icbm_launch_after_parade(start(*CURRENT)) is None  # Hwasong-19 (Oct 2024) predates the parade
    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    row = ("ev_20251210_icbm_test,2025-12-10,,day,dprk_military,missile_launch,DPRK,,,"
           "The DPRK launches a Hwasong-20 ICBM.,Hwasong-20 launch,worsens,confirmed_single,2025-12-10,exact,"
           "kbs_196565_hwasong20,,\n")
    (copy / "events.csv").write_text((copy / "events.csv").read_text() + row)
    monkeypatch.setenv("BRIEFING_DATA", str(copy))
    data._load.cache_clear()
    try:
        seen = alliance.icbm_launch_after_parade(start(*CURRENT))
        last = alliance.last_icbm_launch(start(*CURRENT))
    finally:
        data._load.cache_clear()
    assert seen is not None and seen.date == "2025-12-10" and last == "10 Dec 2025"


def test_the_icbm_signpost_waits_for_its_threshold_date():
    """'No ICBM test by 31 Dec 2026' cannot be seen before the record reaches that date."""
    assert alliance.no_icbm_test_by_horizon(start(*CURRENT)) is None


def test_no_sanctions_round_under_lee_until_one_is_announced():
    ed = start(*CURRENT)
    assert seoul.rounds_since_lee(ed) == "none" and seoul.designation_under_lee(ed) is None
    assert seoul.rounds_since_lee(start("2024-06-30", "2022-02-24", "2024-03-31", "TLP:CLEAR")) is None


def test_reader_form_amounts_in_what_moved():
    from briefing.themes import overview

    assert overview._amount({"short_unit": "KRW tn", "value": 1.24}) == "KRW 1.24 tn"
    assert overview._amount({"short_unit": "$ bn", "value": 4.53}) == "$4.53 bn"
    assert overview._period_and_stage({"period": "2025", "stage": "partial_year"}) == "2025, to date"
    assert "partial_year" not in overview.moved(start(*CURRENT)).data
    assert "1,431 items by 2025-06" not in russia_policy.header(start(*CURRENT)).data


def test_each_brief_says_why_it_matters_in_one_line():
    from briefing.themes import overview

    for module in (alliance, seoul, trilateral, russia_policy, overview):
        text = module.why_it_matters(start(*CURRENT)).data
        assert "Why it matters:" in text and text.count(". ") <= 1
