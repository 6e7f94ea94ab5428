"""What an edition showed and what changed since (briefing.revision): the basis of marked revisions.

Fast unit tests on the fixture tables; also the guard of `make mutate` for revision.py.
The end-to-end behaviour (held editions, `--revise`) is in test_editions.py.
"""

from __future__ import annotations

import json

import pytest

from briefing.revision import SHOWN_CHANGES, changes, snapshot


def test_a_snapshot_keeps_the_rows_known_on_as_of_inclusive(data_copy):
    rows = snapshot(["events", "claims"], "2024-10-18", data_copy)
    assert list(rows["events"]) == ["ev_20241018_troops"]  # the KCNA event was reported on 2025-04-28
    assert list(snapshot(["events"], "2025-04-28", data_copy)["events"]) == ["ev_20241018_troops",
                                                                           "ev_20250428_confirm"]
    assert list(snapshot(["events"], "2024-10-17", data_copy)["events"]) == []


def test_a_snapshot_keeps_rows_as_the_csv_holds_them(data_copy):
    row = snapshot(["events"], "2025-12-31", data_copy)["events"]["ev_20241018_troops"]
    assert row["summary"] == "NIS reports troops sent to Russia."
    assert row["date_end"] == "" and row["reported_on"] == "2024-10-18"


def test_a_table_without_report_dates_is_kept_whole(data_copy):
    rows = snapshot(["claims", "indicator_meta"], "2000-01-01", data_copy)
    assert list(rows["indicator_meta"]) == ["rok_defence_budget"]
    assert rows["claims"] == {}  # claims carry report dates: none known in 2000


def test_rows_are_keyed_by_the_whole_primary_key(data_copy):
    rows = snapshot(["indicators"], "2025-12-31", data_copy)
    assert list(rows["indicators"]) == ["rok_defence_budget|KOR|2024|enacted|kbs_a"]


def test_only_the_sources_cited_by_known_rows_are_in_a_snapshot(data_copy):
    assert list(snapshot(["events", "sources"], "2024-10-18", data_copy)["sources"]) == ["kbs_a"]
    assert list(snapshot(["events", "sources"], "2025-04-28", data_copy)["sources"]) == ["kbs_a", "kcna_b"]


def test_with_nothing_cited_every_source_is_kept(data_copy):
    assert list(snapshot(["sources"], "2024-10-18", data_copy)["sources"]) == ["kbs_a", "kcna_b"]


def test_unknown_tables_are_left_out_and_tables_come_sorted(data_copy):
    assert list(snapshot(["sources", "events", "nowhere"], "2025-12-31", data_copy)) == ["events", "sources"]


def test_the_data_folder_defaults_to_the_projects(data_copy, monkeypatch):
    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    assert snapshot(["events"], "2025-12-31") == snapshot(["events"], "2025-12-31", data_copy)


def test_a_row_without_a_report_date_is_not_known_as_in_the_briefs(data_copy):
    text = (data_copy / "events.csv").read_text(encoding="utf-8")
    (data_copy / "events.csv").write_text(text.replace(",2024-10-18,exact,", ",,exact,"), encoding="utf-8")
    assert list(snapshot(["events"], "2025-12-31", data_copy)["events"]) == ["ev_20250428_confirm"]


def described(data_copy, change) -> None:
    descriptor = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    change({r["name"]: r for r in descriptor["resources"]}, descriptor)
    (data_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def test_the_snapshot_reads_the_descriptor_of_its_own_data_folder(data_copy):
    described(data_copy, lambda by_name, d: d["resources"].remove(by_name["polls"]))
    assert "polls" not in snapshot(["polls", "events"], "2025-12-31", data_copy)


def test_a_table_without_a_primary_key_is_keyed_by_its_first_column(data_copy):
    described(data_copy, lambda by_name, d: by_name["indicators"]["schema"].pop("primaryKey"))
    assert list(snapshot(["indicators"], "2025-12-31", data_copy)["indicators"]) == ["rok_defence_budget"]


def test_a_primary_key_may_be_one_name(data_copy):
    described(data_copy, lambda by_name, d: by_name["events"]["schema"].update(primaryKey="event_id"))
    assert list(snapshot(["events"], "2025-12-31", data_copy)["events"]) == ["ev_20241018_troops",
                                                                           "ev_20250428_confirm"]


def test_a_row_reported_after_as_of_does_not_touch_the_snapshot(data_copy):
    before = snapshot(["events"], "2024-12-31", data_copy)
    with open(data_copy / "events.csv", "a", encoding="utf-8") as fh:
        fh.write("ev_20250501_new,2025-05-01,,day,dprk_russia,statement,DPRK,Russia,,New.,New,worsens,"
                 "confirmed_single,2025-05-01,exact,kbs_a,alliance,\n")
    assert snapshot(["events"], "2024-12-31", data_copy) == before
    assert list(snapshot(["events"], "2025-05-01", data_copy)["events"])[-1] == "ev_20250501_new"


# -- changes -----------------------------------------------------------------------------------------

def row(**cells):
    return {"id": "x", "value": "1", "note": "", **cells}


def test_no_change_says_nothing():
    same = {"events": {"a": row()}}
    assert changes(same, {"events": {"a": row()}}) == []
    assert changes({}, {}) == []


def test_added_and_removed_rows_are_named():
    before = {"events": {"a": row(), "b": row()}}
    after = {"events": {"a": row(), "c": row(), "d": row()}}
    assert changes(before, after) == ["events: 2 row(s) added to the record (c, d)",
                                      "events: 1 row(s) removed (b)"]


def test_a_table_new_to_the_snapshot_adds_its_rows_and_a_dropped_one_removes_them():
    assert changes({}, {"polls": {"p": row()}}) == ["polls: 1 row(s) added to the record (p)"]
    assert changes({"polls": {"p": row()}}, {}) == ["polls: 1 row(s) removed (p)"]


def test_a_correction_names_each_moved_column_with_a_dash_for_empty():
    before = {"claims": {"c1": row(value="12000", note="")}}
    after = {"claims": {"c1": row(value="11000", note="NIS revised")}}
    assert changes(before, after) == ["claims c1 corrected: value 12000 → 11000; note – → NIS revised"]
    assert changes(after, before) == ["claims c1 corrected: value 11000 → 12000; note NIS revised → –"]


def test_a_new_column_counts_as_a_correction_from_empty():
    assert changes({"t": {"k": {"a": "1"}}}, {"t": {"k": {"a": "1", "b": "2"}}}) == ["t k corrected: b – → 2"]


def test_tables_are_reported_in_name_order():
    before = {"polls": {"p": row()}, "claims": {"c": row()}}
    after = {"polls": {}, "claims": {}}
    assert changes(before, after) == ["claims: 1 row(s) removed (c)", "polls: 1 row(s) removed (p)"]


@pytest.mark.parametrize("extra", [1, 3])
def test_long_lists_are_cut_with_a_count(extra):
    keys = [f"k{i:02d}" for i in range(SHOWN_CHANGES + extra)]
    added = changes({}, {"t": {k: row() for k in keys}})
    assert added == [f"t: {len(keys)} row(s) added to the record ({', '.join(keys[:SHOWN_CHANGES])} "
                     f"and {extra} more)"]
    corrected = changes({"t": {k: row() for k in keys}}, {"t": {k: row(value="2") for k in keys}})
    assert len(corrected) == SHOWN_CHANGES + 1
    assert corrected[0] == "t k00 corrected: value 1 → 2"
    assert corrected[SHOWN_CHANGES - 1] == f"t k{SHOWN_CHANGES - 1:02d} corrected: value 1 → 2"
    assert corrected[-1] == f"t: {extra} more row(s) corrected"


def test_exactly_the_shown_number_needs_no_count():
    keys = [f"k{i:02d}" for i in range(SHOWN_CHANGES)]
    assert changes({}, {"t": {k: row() for k in keys}}) == [
        f"t: {SHOWN_CHANGES} row(s) added to the record ({', '.join(keys)})"]
    corrected = changes({"t": {k: row() for k in keys}}, {"t": {k: row(value="2") for k in keys}})
    assert len(corrected) == SHOWN_CHANGES and "more" not in corrected[-1]

