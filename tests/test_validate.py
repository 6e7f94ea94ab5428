"""Validation reports every problem as file:row: column: value: rule."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.errors import DataValidationError
from briefing.validate import check, validate


def test_valid_fixture_has_no_problems(data_copy):
    assert validate(data_copy) == []


@pytest.mark.parametrize(
    ("fixture", "file", "row", "column", "value", "rule"),
    [
        ("bad_date.events", "events.csv", 2, "date_start", "2024-10-32", "not a date"),
        ("unknown_enum.events", "events.csv", 2, "event_type", "invasion", "not one of"),
        ("duplicate_key.sources", "sources.csv", 4, "source_id", "kcna_b", "duplicate key"),
        ("unknown_source.claims", "claims.csv", 2, "source_ids", "nyt_missing", "unknown source id"),
        ("missing_column.polls", "polls.csv", 1, "value_percent", None, "required column is missing"),
        ("empty_source.events", "events.csv", 3, "source_ids", "", "required value is empty"),
        ("low_above_best.claims", "claims.csv", 3, "value_low", "16000", "value_low > value_best"),
        ("non_utf8.sources", "sources.csv", 4, None, "0xb1", "not UTF-8"),
        ("empty_file.flows", "flows.csv", None, None, None, "file is empty"),
        ("reported_before_source.claims", "claims.csv", 3, "reported_on", "2025-04-01", "before its cited source kcna_b"),
        ("reported_before_later_source.events", "events.csv", 2, "reported_on", "2024-10-18",
         "before its cited source kcna_b was published"),
        ("reported_before_start.events", "events.csv", 2, "reported_on", "2024-10-20", "before the event's date_start"),
        ("unknown_basis.claims", "claims.csv", 2, "reported_on_basis", "approximated", "not one of"),
        ("empty_basis.sanctions", "sanctions.csv", 2, "reported_on_basis", "", "required value is empty"),
        ("source_before_fact.claims", "claims.csv", 3, "source_ids", "kbs_a", "before the fact's claim_date"),
        ("unknown_claim.flows", "flows.csv", 2, "claim_ids", "cl_unknown", "unknown claim id"),
    ],
)
def test_each_broken_fixture_names_file_row_column_value_rule(broken_data, fixture, file, row, column, value, rule):
    problems = validate(broken_data(fixture))
    matching = [p for p in problems if p.file == file and p.row == row and p.column == column and rule in p.rule]
    assert matching, f"no {rule!r} at {file}:{row}:{column} in {[str(p) for p in problems]}"
    if value is not None:
        assert matching[0].value == value


def _rewrite(path, **changes):
    """Set columns of every row in a fixture table copy."""
    import csv
    import io

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(changes)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue())


def test_an_announcement_may_be_reported_before_it_starts(broken_data):
    data = broken_data("reported_before_start.events")
    _rewrite(data / "events.csv", event_type="announcement")
    assert validate(data) == []


def test_a_source_published_before_the_fact_is_allowed_when_the_note_names_it(broken_data):
    data = broken_data("source_before_fact.claims")
    _rewrite(data / "claims.csv", note="kbs_a reported the planned deployment before the claim.")
    assert validate(data) == []


def test_a_note_that_only_contains_the_id_as_part_of_a_longer_id_does_not_count(broken_data):
    data = broken_data("source_before_fact.claims")
    _rewrite(data / "claims.csv", note="see kbs_ab")
    assert any("before the fact's claim_date" in p.rule for p in validate(data))


def test_all_problems_reported_at_once(data_copy, broken_data):
    for name in ("bad_date.events", "unknown_source.claims", "empty_file.flows"):
        broken_data(name)
    files = {p.file for p in validate(data_copy)}
    assert {"events.csv", "claims.csv", "flows.csv"} <= files


def test_a_broken_file_does_not_cascade_into_other_tables(broken_data):
    problems = validate(broken_data("non_utf8.sources"))
    assert [p.file for p in problems] == ["sources.csv"]


def test_check_raises_structured_error(broken_data):
    with pytest.raises(DataValidationError) as info:
        check(broken_data("bad_date.events"))
    assert info.value.exit_code == 2
    assert "events.csv:2: date_start: '2024-10-32'" in str(info.value)


def test_missing_table_file_is_a_problem(data_copy):
    (data_copy / "polls.csv").unlink()
    assert [str(p) for p in validate(data_copy)] == ["polls.csv:: -: -: file is missing"]


def test_cli_exits_2_and_prints_every_problem_without_traceback(broken_data):
    data = broken_data("bad_date.events")
    result = CliRunner().invoke(main, ["validate", "--data", str(data)])
    assert result.exit_code == 2
    assert "events.csv:2: date_start: '2024-10-32': not a date YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


def test_cli_reports_valid_data(data_copy):
    result = CliRunner().invoke(main, ["validate", "--data", str(data_copy)])
    assert result.exit_code == 0, result.output
    assert "data valid" in result.output


def test_a_broken_descriptor_is_one_problem_not_a_traceback(data_copy):
    (data_copy / "datapackage.json").write_text("{not json")
    [problem] = validate(data_copy)
    assert problem.file == "datapackage.json" and "cannot read the descriptor" in problem.rule


def test_relative_data_path_works(data_copy, monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    assert validate("data") == []


def set_cells(data, table, row, **values):
    """Set cells of data row ``row`` (the header is row 1) of ``table``.csv."""
    import csv
    import io

    path = data / f"{table}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[row - 2].update(values)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return data


@pytest.mark.parametrize(("table", "row", "values", "column", "value", "rule"), [
    ("claims", 3, {"value_high": "14000"}, "value_best", "15000", "value_best > value_high (14000)"),
    ("claims", 3, {"value_best": "10000"}, "value_low", "11000", "value_low > value_best (10000)"),
    ("claims", 3, {"value_best": "", "value_high": "10000"}, "value_low", "11000", "value_low > value_high (10000)"),
    ("claims", 2, {"value_best": ""}, "value_best", "", "a claim needs at least one of"),
    ("events", 2, {"date_end": "2024-10-17"}, "date_end", "2024-10-17", "before date_start (2024-10-18)"),
    ("polls", 2, {"fieldwork_end": "2024-09-30"}, "fieldwork_end", "2024-09-30", "before fieldwork_start (2024-10-01)"),
    ("sanctions", 2, {"effective": "2024-10-17"}, "effective", "2024-10-17", "before announced (2024-10-18)"),
    ("events", 3, {"reported_on": "2025-04-27", "date_start": "2025-04-27"}, "reported_on", "2025-04-27",
     "reported before its cited source kcna_b was published"),
])
def test_ranges_and_date_order_are_checked_per_row(data_copy, table, row, values, column, value, rule):
    problems = validate(set_cells(data_copy, table, row, **values))
    assert [(p.file, p.row, p.column, p.value) for p in problems if rule in p.rule] == [
        (f"{table}.csv", row, column, value)], [str(p) for p in problems]


@pytest.mark.parametrize(("table", "row", "values"), [
    ("claims", 3, {"value_low": "15000", "value_best": "15000", "value_high": "15000"}),
    ("claims", 3, {"value_low": "", "value_best": "", "value_high": "15000"}),
    ("claims", 3, {"value_best": "", "value_low": "15000", "value_high": "15000"}),
    ("events", 2, {"date_end": "2024-10-18"}),
    ("polls", 2, {"fieldwork_end": "2024-10-01"}),
    ("sanctions", 2, {"effective": "2024-10-18"}),
    ("events", 3, {"reported_on": "2025-04-28"}),
])
def test_equal_bounds_and_same_day_dates_are_valid(data_copy, table, row, values):
    assert validate(set_cells(data_copy, table, row, **values)) == []


@pytest.mark.parametrize("value", ["2024-1-1", "2024-10-1", "20241018", "2024-10-18T00:00"])
def test_a_date_must_be_written_yyyy_mm_dd(data_copy, value):
    problems = validate(set_cells(data_copy, "events", 2, date_start=value))
    assert [(p.row, p.column, p.value, p.rule) for p in problems if p.column == "date_start"] == [
        (2, "date_start", value, "not a date YYYY-MM-DD")]


@pytest.mark.parametrize(("table", "column", "value", "rule"), [
    ("claims", "value_best", "١٢٠٠٠", "not a number"),
    ("claims", "value_best", "12 000", "not a number"),
    ("sanctions", "individuals", "٢", "not a whole number"),
    ("sanctions", "individuals", "2.0", "not a whole number"),
])
def test_numbers_must_be_written_in_ascii_digits(data_copy, table, column, value, rule):
    problems = validate(set_cells(data_copy, table, 2, **{column: value}))
    assert [(p.row, p.column, p.value, p.rule) for p in problems if p.column == column and p.rule.startswith("not a")] \
        == [(2, column, value, rule)]


def test_problems_are_listed_by_file_row_column_rule_file_level_first():
    from briefing.errors import Problem

    expected = [Problem("a.csv", None, "zz", None, "file-level"), Problem("a.csv", 1, "c", None, "y"),
                Problem("a.csv", 1, "c", None, "z"), Problem("a.csv", 3, None, None, "row-level"),
                Problem("a.csv", 3, "Amount", "1", "a rule"), Problem("b.csv", 2, "x", "v", "r")]
    error = DataValidationError(expected[::-1])
    assert error.problems == expected
    assert str(error) == "6 problem(s) in the shared data:\n" + "\n".join(str(p) for p in expected)
    assert error.exit_code == 2


def test_a_problem_prints_as_file_row_column_value_rule():
    from briefing.errors import Problem

    assert str(Problem("a.csv", 3, "col", "v'1", "bad")) == "a.csv:3: col: \"v'1\": bad"
    assert str(Problem("a.csv", None, None, None, "gone")) == "a.csv:: -: -: gone"
    assert str(Problem("a.csv", 1, None, "", "empty")) == "a.csv:1: -: '': empty"
    assert str(Problem("a.csv", 1, ":", None, "unknown column")) == "a.csv:1: ':': -: unknown column"
    assert str(Problem("a.csv", 1, "a b", None, "x")) == "a.csv:1: 'a b': -: x"
    assert str(Problem("a.csv", 1, "id+entity", None, "x")) == "a.csv:1: id+entity: -: x"


@pytest.mark.parametrize(("table", "row", "values", "expected"), [
    ("events", 2, {"event_type": "invasion"}, ["events.csv:2: event_type: 'invasion': not one of: summit, visit, "
     "agreement_signed, agreement_in_force, ratification, exercise, deployment, combat, arms_transfer, "
     "missile_launch, satellite_launch, statement, policy_measure, sanctions, export_control, trade_measure, "
     "un_action, election, inauguration, appointment, impeachment, incident, poll, announcement"]),
    ("sources", 2, {"language": "eng"}, ["sources.csv:2: language: 'eng': does not match pattern [a-z]{2}"]),
    ("events", 2, {"summary": "x" * 301}, [f"events.csv:2: summary: '{'x' * 301}': longer than 300 characters"]),
    ("events", 2, {"summary": ""}, ["events.csv:2: summary: '': required value is empty"]),
    ("events", 2, {"date_start": "2024-10-32"}, ["events.csv:2: date_start: '2024-10-32': not a date YYYY-MM-DD"]),
    ("claims", 2, {"value_best": "-5"}, ["claims.csv:2: value_best: '-5': below minimum 0"]),
    ("claims", 3, {"value_best": "many"}, ["claims.csv:3: value_best: 'many': not a number"]),
    ("polls", 2, {"value_percent": "101"}, ["polls.csv:2: value_percent: '101': above maximum 100"]),
    ("polls", 2, {"sample_size": "1.5"}, ["polls.csv:2: sample_size: '1.5': not a whole number"]),
    ("events", 3, {"event_id": "ev_20241018_troops"},
     ["events.csv:3: event_id: 'ev_20241018_troops': duplicate key (the same as in the row at position 2)"]),
    ("indicators", 2, {"indicator_id": "nope"},
     ["indicators.csv:2: indicator_id: 'nope': unknown key: not in indicator_meta.indicator_id"]),
    ("claims", 3, {"supersedes": "cl_nope"}, ["claims.csv:3: supersedes: 'cl_nope': unknown key: not in claims.claim_id"]),
    ("crosscheck", 2, {"matched_ids": "ev_nope"},
     ["crosscheck.csv:2: matched_ids: 'ev_nope': unknown id (not an event, claim, flow, measure, poll or indicator)"]),
])
def test_each_rule_has_its_own_exact_message(data_copy, table, row, values, expected):
    assert [str(p) for p in validate(set_cells(data_copy, table, row, **values))] == expected


def test_a_row_with_too_many_or_too_few_cells_is_reported_at_its_row(data_copy):
    polls = data_copy / "polls.csv"
    header, row = polls.read_text().splitlines()
    polls.write_text(f"{header}\n{row},extra\n{row.rsplit(',', 3)[0].replace('po_2024', 'po_2025')}\n")
    assert [str(p) for p in validate(data_copy)] == [
        "polls.csv:2: -: 'extra': extra cell", "polls.csv:3: note: '': missing cell",
        "polls.csv:3: reported_on_basis: '': missing cell",
        "polls.csv:3: reported_on_basis: '': required value is empty",
        "polls.csv:3: source_ids: '': missing cell", "polls.csv:3: source_ids: '': required value is empty"]


def test_a_missing_data_folder_is_one_problem(tmp_path):
    with pytest.raises(DataValidationError) as info:
        check(tmp_path / "nowhere")
    assert [str(p) for p in info.value.problems] == [f"{tmp_path / 'nowhere'}:: -: -: data folder not found"]


def test_check_remembers_a_clean_result_and_never_a_stale_one(data_copy):
    check(data_copy)
    check(data_copy)  # from the cache
    events = data_copy / "events.csv"
    events.write_text(events.read_text().replace("2024-10-18,,day", "2024-10-32,,day", 1))
    with pytest.raises(DataValidationError, match="events.csv:2: date_start"):
        check(data_copy)


def test_a_file_cut_inside_its_only_row_is_reported_at_that_row(data_copy):
    """Found by fuzzing: Frictionless's dialect sniffer misread such a file and blamed the header."""
    (data_copy / "indicator_meta.csv").write_text(
        "indicator_id,title,unit,short_unit,description,counting_rule\nrok_defence_budget,ROK defence budget,")
    problems = [p for p in validate(data_copy) if p.file == "indicator_meta.csv"]
    assert problems and all(p.row == 2 for p in problems), [str(p) for p in problems]


def test_a_descriptor_frictionless_rejects_is_one_problem_on_the_descriptor(data_copy):
    import json

    package = json.loads((data_copy / "datapackage.json").read_text())
    package["resources"][0]["schema"]["fields"][0]["type"] = "no-such-type"
    (data_copy / "datapackage.json").write_text(json.dumps(package))
    problems = validate(data_copy)
    assert problems and all(p.file == "datapackage.json" and p.row is None for p in problems), problems
    assert any("invalid descriptor" in p.rule or "no-such-type" in p.rule for p in problems), problems


# -- labels beside codes (datapackage `categories`) ------------------------------------------------------

def _package(*fields):
    return {"resources": [{"name": f"t{i}", "schema": {"fields": [f]}} for i, f in enumerate(fields)]}


def _field(name, enum, categories):
    return {"name": name, "constraints": {"enum": enum}, "categories": [{"value": v, "label": lab}
                                                                         for v, lab in categories]}


def test_the_projects_codes_all_have_one_label():
    import json

    from briefing import validate
    from conftest import ROOT

    assert validate._vocabulary(json.loads((ROOT / "data" / "datapackage.json").read_text())) == []


def test_every_code_needs_a_label_and_every_label_a_code():
    from briefing import validate

    problems = validate._vocabulary(_package(_field("theme", ["a", "b"], [("a", "A"), ("c", "C")])))
    assert [(p.file, p.row, p.column, p.value, p.rule) for p in problems] == [
        ("datapackage.json", None, "t0.theme", "b", "in enum but has no label in categories"),
        ("datapackage.json", None, "t0.theme", "c", "labelled in categories but not in enum")]


def test_a_category_needs_words_and_one_code_one_label_everywhere():
    from briefing import validate

    problems = validate._vocabulary(_package(
        _field("theme", ["a", "b"], [("a", "A"), ("b", "")]),
        _field("theme", ["a"], [("a", "Other A")]),
        _field("other", ["a"], [("a", "Not the same field: fine")]),
        {"name": "plain", "constraints": {"enum": ["x"]}}))
    assert [(p.column, p.value, p.rule) for p in problems] == [
        ("t0.theme", "b", "category without a label"),
        ("t1.theme", "a", "labelled differently elsewhere ('A')")]


def test_a_field_without_constraints_lists_its_labels_as_extra():
    from briefing import validate

    problems = validate._vocabulary({"resources": [{"name": "t", "schema": {"fields": [
        {"name": "f", "categories": [{"value": "a", "label": "A"}]}]}}, {"name": "no-schema"}]})
    assert [(p.column, p.value, p.rule) for p in problems] == [("t.f", "a", "labelled in categories but not in enum")]


# -- the header row, checked before any cell --------------------------------------------------------------

RESOURCE = {"path": "t.csv", "schema": {"fields": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}


def _header(text):
    from briefing import validate

    return [(p.file, p.row, p.column, p.value, p.rule) for p in validate._header_problems(RESOURCE, text)]


def test_a_missing_column_is_named_on_line_one():
    assert _header("a,c\n1,2\n") == [("t.csv", 1, "b", None, "required column is missing from the header")]


def test_an_unknown_column_is_named_with_the_expected_ones():
    assert _header("a,b,c,d\n") == [("t.csv", 1, "d", None, "unknown column (expected: a, b, c)")]
    assert _header("a,x,c\n") == [("t.csv", 1, "b", None, "required column is missing from the header"),
                                  ("t.csv", 1, "x", None, "unknown column (expected: a, b, c)")]


def test_columns_out_of_order_are_one_problem_of_the_header():
    assert _header("b,a,c\n") == [("t.csv", 1, None, None, "columns out of order (expected: a, b, c)")]
    assert _header("a,b,c\n1,2,3\n") == []


def test_an_empty_text_misses_every_column():
    assert [p[2] for p in _header("")] == ["a", "b", "c"]


@pytest.mark.parametrize(("note", "rule"), [
    ('constraint "required" is "True"', "required value is empty"),
    ('''constraint "enum" is "['a', 'b']"''', "not one of: a, b"),
    ('constraint "pattern" is "^[a-z]+$"', "does not match pattern ^[a-z]+$"),
    ('constraint "pattern" is "^ev_[0-9]+X"', "does not match pattern ^ev_[0-9]+X"),
    ('constraint "maxLength" is "5"', "longer than 5 characters"),
    ('constraint "minLength" is "2"', "shorter than 2 characters"),
    ('constraint "minimum" is "0"', "below minimum 0"),
    ('constraint "maximum" is "100"', "above maximum 100"),
    ('constraint "unique" is "True"', "duplicate value"),
    ('constraint "format" is "email"', 'constraint "format" is "email"'),  # unknown: Frictionless's own words
])
def test_each_constraint_reads_in_plain_words(note, rule):
    from briefing import validate

    assert validate._constraint_rule(note) == rule
