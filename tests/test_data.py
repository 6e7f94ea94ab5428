"""Typed loaders, the as-known-on cut, the read trace, and the real data."""

from __future__ import annotations

import pandas as pd
import pytest

from briefing import data
from briefing.validate import validate


def test_types_come_from_the_descriptor(fixture_data):
    claims = data.claims()
    assert claims["claim_date"].dtype == "datetime64[ns]" or str(claims["claim_date"].dtype).startswith("datetime64")
    assert claims["value_best"].dtype == "float64"
    assert data.sanctions()["individuals"].dtype == "Int64"
    assert claims["claimant"].dtype == "string"
    assert pd.isna(claims.loc[0, "value_low"])


def test_indicators_carry_their_title_and_unit(fixture_data):
    row = data.indicators().iloc[0]
    assert (row["title"], row["short_unit"]) == ("ROK defence budget", "KRW tn")


def test_known_on_drops_rows_reported_later(fixture_data):
    events = data.events()
    assert list(data.known_on(events, "2024-12-31")["event_id"]) == ["ev_20241018_troops"]
    assert len(data.known_on(events, "2025-04-28")) == 2
    assert data.known_on(events, "2020-01-01").empty


def test_loaders_return_copies(fixture_data):
    events = data.events()
    events.loc[0, "summary"] = "changed"
    assert data.events().loc[0, "summary"] != "changed"


def test_reads_are_traced_to_a_file(fixture_data, tmp_path, monkeypatch):
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv(data.TRACE_ENV, str(trace))
    data.polls()
    data.indicators()
    assert set(trace.read_text().split()) == {"polls", "indicators", "indicator_meta"}


def test_table_hash_follows_content_not_mtime(fixture_data):
    before = data.table_hash("events")
    path = fixture_data / "events.csv"
    path.write_text(path.read_text())
    assert data.table_hash("events") == before
    path.write_text(path.read_text().replace("NIS reports", "NIS said"))
    assert data.table_hash("events") != before


def test_split_ids():
    assert data.split_ids("a;b") == ["a", "b"]
    assert data.split_ids(pd.NA) == []


# The project's own evidence base -------------------------------------------

def test_project_data_is_valid():
    assert [str(p) for p in validate(data.data_dir())] == []


@pytest.mark.parametrize("table", data.FACT_TABLES)
def test_every_fact_row_cites_an_existing_source(table):
    known = set(data.sources()["source_id"])
    frame = data.load(table)
    assert len(frame) > 0
    for _, row in frame.iterrows():
        cited = data.split_ids(row["source_ids"])
        assert cited, f"{table}: a row cites no source"
        assert set(cited) <= known, f"{table}: {set(cited) - known} not in sources.csv"


def test_every_source_is_cited():
    cited = {sid for table in data.FACT_TABLES for ids in data.load(table)["source_ids"] for sid in data.split_ids(ids)}
    assert set(data.sources()["source_id"]) - cited == set()


# Issue 8, "Evidence you can date": how much of sources.csv can be dated, located and named.

SOURCE_COVERAGE_TARGET = 0.80
NO_HEADLINE = "[headline not seen]"
# Fields still below the target after the search of stored public reporting (see the sources report of
# issue 8). The xfail is strict: once a field reaches the target, drop it from this set.
SOURCE_FIELDS_BELOW_TARGET = {"published_date", "title"}
# What was reached; coverage may grow but must not shrink.
SOURCE_COVERAGE_FLOOR = {"published_date": 151, "url": 215, "title": 133}


def _source_field_present(sources: pd.DataFrame, field: str) -> pd.Series:
    values = sources[field]
    present = values.notna() & (values.astype("string").str.strip() != "")
    if field == "title":
        present &= values.astype("string").str.strip() != NO_HEADLINE
    return present.fillna(False).astype(bool)


@pytest.mark.parametrize("field", ["published_date", "url", "title"])
def test_most_sources_have_a_date_a_url_and_a_real_headline(field, request):
    if field in SOURCE_FIELDS_BELOW_TARGET:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"sources.csv {field} coverage is below 80% (issue 8)"))
    sources = data.sources()
    share = _source_field_present(sources, field).mean()
    assert share >= SOURCE_COVERAGE_TARGET, f"only {share:.0%} of sources have a {field}"


@pytest.mark.parametrize("field", sorted(SOURCE_COVERAGE_FLOOR))
def test_source_coverage_does_not_shrink(field):
    count = int(_source_field_present(data.sources(), field).sum())
    assert count >= SOURCE_COVERAGE_FLOOR[field], f"{field}: {count} sources, was {SOURCE_COVERAGE_FLOOR[field]}"


def test_every_source_url_is_http():
    urls = data.sources()["url"].dropna().astype(str)
    bad = [u for u in urls if not u.startswith(("https://", "http://"))]
    assert bad == []
