"""The project's dating rules hold for the real data: no approximated dates,
every basis stated, and no period total public before the period ends."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from briefing import data

BASES = {"exact", "source_published", "upper_bound"}

# Indicators whose value is not a total over the period, so it can be public
# before the period ends.
NOT_PERIOD_TOTALS = {
    "un_oil_cap_dprk": "a standing annual ceiling set by UN Security Council resolution",
    "rok_export_control_items": "the size of a list on a date within the month",
}
# Budget stages are decisions taken before or during the budget year.
DECISION_STAGES = {"proposal", "enacted", "supplementary"}


def _period_end(period: str) -> date | None:
    if re.fullmatch(r"\d{4}", period):
        return date(int(period), 12, 31)
    if m := re.fullmatch(r"(\d{4})-H([12])", period):
        return date(int(m[1]), 6, 30) if m[2] == "1" else date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", period):
        month = 3 * int(m[2])
        return (pd.Timestamp(int(m[1]), month, 1) + pd.offsets.MonthEnd(0)).date()
    return None


@pytest.mark.parametrize("table", data.FACT_TABLES)
def test_no_note_says_a_date_was_approximated(table):
    frame = data.load(table)
    if "note" not in frame:
        return
    notes = frame["note"].dropna().astype(str)
    bad = notes[notes.str.contains(r"approximated|earliest possible", case=False, regex=True)]
    assert bad.empty, f"{table}: {list(bad)}"


@pytest.mark.parametrize("table", data.FACT_TABLES)
def test_every_row_states_how_reported_on_was_set(table):
    frame = data.load(table)
    assert set(frame["reported_on_basis"].dropna()) <= BASES
    assert frame["reported_on_basis"].notna().all()


@pytest.mark.parametrize("table", data.FACT_TABLES)
def test_no_reported_on_is_the_start_of_a_year_unless_a_source_shows_that_day(table):
    # 1 January is where "start of the year" approximations landed; it is allowed only
    # when the day itself is shown: basis exact (e.g. Kim's New Year statement), or the
    # publication date a cited source shows (basis source_published).
    frame = data.load(table)
    published = data.sources().set_index("source_id")["published_date"]
    first = frame[(frame["reported_on"].dt.month == 1) & (frame["reported_on"].dt.day == 1)]
    for _, row in first.iterrows():
        shown = {published.get(s) for s in data.split_ids(row["source_ids"])}
        assert row["reported_on_basis"] == "exact" or (
            row["reported_on_basis"] == "source_published" and row["reported_on"] in shown), row.to_dict()


def test_no_period_total_is_reported_before_its_period_ends():
    frame = data.indicators()
    late = []
    for _, row in frame.iterrows():
        if row["stage"] == "partial_year" or row["stage"] in DECISION_STAGES:
            continue
        if row["indicator_id"] in NOT_PERIOD_TOTALS:
            continue
        end = _period_end(str(row["period"]))
        if end is not None and row["reported_on"].date() <= end:
            late.append((row["indicator_id"], row["period"], row["stage"], row["reported_on"].date()))
    assert late == []


def test_re_dated_rows_carry_their_new_dates():
    """Spot checks of rows that used to carry the start of a period (issue 8)."""
    events = data.events().set_index("event_id")
    madrid = events.loc["ev_20220101_yoon_nato_madrid"]
    assert (madrid["date_start"].date(), madrid["date_end"].date(), madrid["date_precision"]) == (
        date(2022, 6, 29), date(2022, 6, 30), "day")
    assert madrid["reported_on"].date() == date(2022, 7, 1)
    ind = data.indicators()
    izv = ind[(ind["indicator_id"] == "kor_rus_trade_change") & (ind["period"] == "2024-H1")].iloc[0]
    assert izv["reported_on"].date() == date(2025, 1, 28)
    assert "interviewer" in izv["note"]
    tass = ind[(ind["indicator_id"] == "kor_rus_trade_total") & (ind["source_ids"] == "tass_795441")].iloc[0]
    assert tass["reported_on"].date() == date(2015, 5, 19)
    claims = data.claims().set_index("claim_id")
    assert claims.loc["cl_containers_usstate_20240101", "claim_date"].date() == date(2024, 2, 23)


def test_sources_are_not_cited_for_later_treaty_steps():
    events = data.events().set_index("event_id")
    for event_id in ("ev_20241112_dprk_ratifies_treaty", "ev_20241204_treaty_in_force"):
        assert "tass_1862721" not in data.split_ids(events.loc[event_id, "source_ids"])
