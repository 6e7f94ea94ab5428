"""The edition model (briefing.edition), rule by rule: fast unit tests, also the guard of `make mutate`.

The behaviour tests in test_editions.py render whole briefs; these pin each rule
(the window's parameters, the as-of cut, the record's end, a marking's place)
on tiny tables, so that a changed rule fails here in milliseconds.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefing.edition import (
    DRAFTS,
    MARKINGS,
    Edition,
    EditionRuleError,
    Window,
    marking_area,
    month_before,
    parse_date,
    stale_days,
    window_rules,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2025, 12, 31)


def rules(as_of="2025-06-30", since="", previous_edition="", marking="TLP:CLEAR", **kw):
    return window_rules(as_of, since, previous_edition, marking, today=kw.pop("today", TODAY), **kw)


def refused(name: str, message: str, **parameters) -> None:
    with pytest.raises(EditionRuleError) as caught:
        rules(**parameters)
    assert caught.value.name == name
    assert str(caught.value) == f"parameter {name!r}: {message}"


# -- the window's parameters -----------------------------------------------------------------------

def test_a_full_window_is_returned_as_iso_dates_and_the_marking():
    assert rules("2025-06-30", "2025-01-01", "2025-03-31", "TLP:AMBER") == {
        "as_of": "2025-06-30", "since": "2025-01-01", "previous_edition": "2025-03-31", "marking": "TLP:AMBER"}


def test_an_empty_since_is_the_brief_start_and_never_after_as_of():
    assert rules(default_since="2022-02-24")["since"] == "2022-02-24"
    assert rules("2021-12-31", previous_edition="2021-11-30", default_since="2022-02-24")["since"] == "2021-12-31"
    assert rules("2025-06-30")["since"] == "2025-06-30"  # no natural start: the window is as_of alone


def test_since_may_equal_as_of_but_not_follow_it():
    assert rules(since="2025-06-30")["since"] == "2025-06-30"
    refused("since", "2025-07-01 is after as_of (2025-06-30)", since="2025-07-01")


def test_an_empty_previous_edition_is_one_month_before():
    assert rules("2025-06-30")["previous_edition"] == "2025-05-30"
    assert rules("2024-03-31")["previous_edition"] == "2024-02-29"


def test_the_previous_edition_must_come_strictly_before_as_of():
    assert rules(previous_edition="2025-06-29")["previous_edition"] == "2025-06-29"
    refused("previous_edition", "2025-06-30 is not before as_of (2025-06-30)", previous_edition="2025-06-30")
    refused("previous_edition", "2025-07-01 is not before as_of (2025-06-30)", previous_edition="2025-07-01")


def test_as_of_may_be_today_but_not_in_the_future():
    assert rules("2025-12-31")["as_of"] == "2025-12-31"
    refused("as_of", "2026-01-01 is in the future", as_of="2026-01-01")


def test_without_today_the_calendar_decides_what_is_future():
    tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
    with pytest.raises(EditionRuleError, match="is in the future"):
        window_rules(tomorrow, "", "", "TLP:CLEAR")
    assert window_rules(date.today().isoformat(), "", "", "TLP:CLEAR")["as_of"] == date.today().isoformat()


def test_an_as_of_with_no_earlier_month_is_refused():
    refused("as_of", "0001-01-15 leaves no earlier date for a previous edition", as_of="0001-01-15")


@pytest.mark.parametrize("name", ["as_of", "since", "previous_edition"])
def test_each_date_names_itself_when_unreadable(name):
    parameters = {"as_of": "2025-06-30", name: "31/03/2024"}
    refused(name, "'31/03/2024' is not a date YYYY-MM-DD", **parameters)


def test_an_unreadable_default_since_is_named_since():
    refused("since", "'spring' is not a date YYYY-MM-DD", default_since="spring")


@pytest.mark.parametrize("marking", [None, "", "CLEAR", "TLP:WHITE", "tlp:clear"])
def test_a_marking_is_never_defaulted_or_guessed(marking):
    refused("marking", f"{marking!r} is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, "
            "TLP:AMBER+STRICT, TLP:RED)", marking=marking)


def test_parse_date_normalises_and_names_the_parameter():
    assert parse_date("as_of", "2024-02-29") == "2024-02-29"
    with pytest.raises(EditionRuleError) as caught:
        parse_date("since", "2023-02-29")
    assert caught.value.name == "since"


def test_a_rule_error_shows_as_one_line_in_a_kernel():
    error = EditionRuleError("since", "2025-07-01 is after as_of (2025-06-30)")
    assert error._render_traceback_() == ["EditionRuleError: parameter 'since': 2025-07-01 is after as_of (2025-06-30)"]


@pytest.mark.parametrize(("as_of", "before"), [
    ("2025-06-30", "2025-05-30"), ("2024-03-31", "2024-02-29"), ("2023-03-31", "2023-02-28"),
    ("2025-01-15", "2024-12-15"), ("2025-12-31", "2025-11-30"), ("0002-01-01", "0001-12-01"),
    ("0001-02-10", "0001-01-10"), ("0001-01-10", None)])
def test_month_before(as_of, before):
    assert month_before(as_of) == before


@pytest.mark.parametrize(("as_of", "record_end", "days"), [
    ("2025-06-30", None, None), ("2025-06-30", "", None), ("2025-06-30", "2025-06-30", None),
    ("2025-06-30", "2025-05-16", None), ("2025-06-30", "2025-05-15", 46), ("2025-06-30", "2024-06-30", 365)])
def test_a_record_is_stale_only_past_45_days(as_of, record_end, days):
    assert stale_days(as_of, record_end) == days


# -- what a window shows ---------------------------------------------------------------------------

EVENTS = """event_id,date_start,date_end,date_precision,theme,event_type,actor1,actor2,location,summary,label,security_effect,confidence,reported_on,reported_on_basis,source_ids,analysis_ref,note
ev_b,2024-10-18,,day,dprk_russia,deployment,DPRK,Russia,,B.,B,worsens,confirmed_single,2024-10-18,exact,kbs_a,alliance,
ev_a,2024-10-18,,day,dprk_russia,statement,DPRK,Russia,,A.,A,worsens,confirmed_single,2024-10-19,exact,kbs_a,alliance,
ev_old,2023-09-13,,day,dprk_russia,summit,DPRK,Russia,,Old.,Old,worsens,confirmed_single,2023-09-13,exact,kbs_a,alliance,
ev_seoul,2024-12-03,,day,seoul,statement,KOR,,,Seoul.,Seoul,neutral,confirmed_single,2024-12-03,exact,kbs_a,seoul,
ev_late,2024-11-01,,day,dprk_russia,statement,DPRK,Russia,,Late.,Late,worsens,confirmed_single,2025-04-28,exact,kcna_b,alliance,
ev_bound,2024-12-20,,day,seoul,statement,KOR,,,Bound.,Bound,neutral,confirmed_single,2025-03-01,upper_bound,kbs_a,seoul,
"""


@pytest.fixture
def tables(tmp_path, monkeypatch) -> Path:
    """The valid fixture package with a handful of events made for the window's rules."""
    root = tmp_path / "data"
    shutil.copytree(FIXTURES / "data" / "valid", root)
    shutil.copy(ROOT / "data" / "datapackage.json", root)
    (root / "events.csv").write_text(EVENTS, encoding="utf-8")
    monkeypatch.setenv("BRIEFING_DATA", str(root))
    return root


def window(as_of="2025-03-31", since="2024-01-01", marking="TLP:CLEAR") -> Window:
    return Window.checked(as_of, since, "", marking, today=TODAY)


def test_checked_applies_the_rules_to_every_parameter():
    assert window() == Window("2025-03-31", "2024-01-01", "2025-02-28", "TLP:CLEAR")
    assert Window.checked("2025-03-31", "", "2024-06-30", "TLP:RED", today=TODAY).previous_edition == "2024-06-30"
    with pytest.raises(EditionRuleError, match="since"):
        Window.checked("2025-01-31", "2025-02-01", "", "TLP:CLEAR", today=TODAY)
    with pytest.raises(EditionRuleError, match="future"):
        Window.checked("2026-01-01", "", "", "TLP:CLEAR", today=TODAY)


def test_cite_records_each_source_once_in_order():
    ed = window()
    assert ed.cite(["b", "a", "b"]) == ["b", "a"]
    assert ed.cite(("c", "a")) == ["c", "a"]
    assert list(ed.cited) == ["b", "a", "c"]


def test_known_cuts_at_as_of_inclusive(tables):
    frame = pd.DataFrame({"reported_on": pd.to_datetime(["2025-03-30", "2025-03-31", "2025-04-01"])})
    assert list(window().known(frame).index) == [0, 1]


def test_events_are_those_known_in_the_period_by_date_then_id(tables):
    shown = window().events()
    assert list(shown["event_id"]) == ["ev_a", "ev_b", "ev_seoul", "ev_bound"]
    assert list(shown.index) == [0, 1, 2, 3]
    assert list(shown.columns) == EVENTS.splitlines()[0].split(",")  # the old index is dropped, not a column
    assert list(window(since="2024-10-19").events()["event_id"]) == ["ev_seoul", "ev_bound"]
    assert list(window(since="2024-10-18").events()["event_id"]) == ["ev_a", "ev_b", "ev_seoul", "ev_bound"]


def test_events_of_some_themes(tables):
    assert list(window().events("seoul")["event_id"]) == ["ev_seoul", "ev_bound"]
    assert list(window().events("seoul", "dprk_russia")["event_id"]) == ["ev_a", "ev_b", "ev_seoul", "ev_bound"]
    assert window().events("trilateral").empty


def test_a_row_reported_after_as_of_is_never_an_event(tables):
    assert "ev_late" not in set(window().events()["event_id"])
    assert "ev_late" in set(window("2025-04-28").events()["event_id"])


def test_event_looks_up_one_known_event_whatever_the_period(tables):
    ed = window(since="2024-12-01")
    assert ed.event("ev_old")["label"] == "Old"
    assert ed.event("ev_late") is None  # reported on 2025-04-28
    assert ed.event("ev_nowhere") is None
    assert window("2025-04-28").event("ev_late")["event_id"] == "ev_late"


def test_the_record_ends_at_the_newest_dated_report(tables):
    assert window("2024-12-31").record_end == "2024-12-03"
    assert window("2025-02-28").record_end == "2024-12-03"  # ev_bound's date is only an upper bound
    assert window("2025-04-30").record_end == "2025-04-28"  # ev_late, and the fixture's other tables


def test_a_window_before_any_report_has_no_record(tables):
    ed = Window.checked("2020-01-31", "", "", "TLP:CLEAR", today=TODAY)
    assert ed.record_end is None
    assert ed.stale_days is None


def test_stale_days_of_a_window(tables):
    assert window("2025-02-28").stale_days == (date(2025, 2, 28) - date(2024, 12, 3)).days
    assert window("2024-12-31").stale_days is None


def test_period_reads_as_dates():
    assert window().period == "1 Jan 2024 to 31 Mar 2025"


# -- where an edition lives ------------------------------------------------------------------------

def test_each_marking_has_its_own_place():
    assert [marking_area(m) for m in MARKINGS] == ["", "_tlp-green", "_tlp-amber", "_tlp-amber-strict", "_tlp-red"]


@pytest.mark.parametrize("marking", ["", "TLP:WHITE", "amber"])
def test_an_unknown_marking_has_no_place(marking):
    with pytest.raises(EditionRuleError) as caught:
        marking_area(marking)
    assert caught.value.name == "marking"
    assert str(caught.value) == (f"parameter 'marking': {marking!r} is not a TLP 2.0 label "
                                 "(TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)")


def edition(marking="TLP:CLEAR", draft=False) -> Edition:
    return Edition("01-x", "x", Path("notebooks/01-x.ipynb"), {"as_of": "2025-06-30", "marking": marking}, draft=draft)


@pytest.mark.parametrize(("marking", "draft", "folder", "label"), [
    ("TLP:CLEAR", False, "01-x/2025-06-30", "01-x@2025-06-30"),
    ("TLP:AMBER", False, "_tlp-amber/01-x/2025-06-30", "01-x@2025-06-30 [TLP:AMBER]"),
    ("TLP:CLEAR", True, f"{DRAFTS}/01-x/2025-06-30", "01-x@2025-06-30 (draft)"),
    ("TLP:AMBER+STRICT", True, f"{DRAFTS}/_tlp-amber-strict/01-x/2025-06-30",
     "01-x@2025-06-30 [TLP:AMBER+STRICT] (draft)"),
])
def test_an_editions_address_and_label(marking, draft, folder, label):
    ed = edition(marking, draft)
    assert ed.folder == Path(folder)
    assert ed.label == label
    assert (ed.as_of, ed.marking) == ("2025-06-30", marking)


def test_an_edition_without_a_marking_has_no_address():
    ed = Edition("01-x", "x", Path("n.ipynb"), {"as_of": "2025-06-30"})
    assert ed.marking == ""
    with pytest.raises(EditionRuleError):
        _ = ed.folder
