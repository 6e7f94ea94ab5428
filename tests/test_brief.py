"""Shared brief blocks: estimative language, escaping, source lines, change flags."""

from __future__ import annotations

import pandas as pd
import pytest

from briefing import brief, data
from briefing.edition import Window


def test_judgment_needs_exactly_one_likelihood_term():
    ok = brief.Judgment("Pyongyang will very likely keep troops in Russia.", "moderate", "Two agencies agree.")
    assert ok.likelihood == "very likely"
    with pytest.raises(ValueError, match="exactly one"):
        brief.Judgment("It is likely and almost certain.", "high", "x")
    with pytest.raises(ValueError, match="exactly one"):
        brief.Judgment("Troops are in Russia.", "high", "x")


def test_confidence_is_kept_out_of_the_judgment_sentence():
    with pytest.raises(ValueError, match="own sentence"):
        brief.Judgment("With high confidence, talks are unlikely.", "high", "x")
    with pytest.raises(ValueError, match="confidence must be"):
        brief.Judgment("Talks are unlikely.", "certain", "x")


def test_key_judgments_box_has_three_to_five_and_separate_confidence():
    items = [brief.Judgment(f"Event {i} is likely.", "low", "Single source.") for i in range(6)]
    html = brief.key_judgments(items[:3]).data
    assert html.count("<li>") == 3 and "We have low confidence in this judgment." in html
    assert "Too little" not in html
    with pytest.raises(ValueError, match="3–5"):
        brief.key_judgments(items)
    early = brief.key_judgments(items[:2], "2019-06-30").data
    assert early.count("<li>") == 2 and "Too little had been reported by 30 Jun 2019" in early


def test_table_escapes_hostile_text(fixture_data, ed):
    frame = pd.DataFrame({"summary": ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">']})
    html = brief.table(ed, frame, {"summary": "Summary"}, "Hostile").data
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_source_line_names_publisher_claimant_date_and_flags_state_media(fixture_data, ed):
    line = brief.source_line(ed, data.events())
    assert line == "Sources: KBS World (ROK NIS), 18 Oct 2024; KCNA, 28 Apr 2025 [state media]."


def test_sources_cited_lists_what_was_shown_only(fixture_data, ed):
    brief.source_line(ed, data.known_on(data.events(), "2024-12-31"))
    html = brief.sources_cited(ed).data
    assert 'id="src-kbs_a"' in html and "kcna_b" not in html


def test_sources_cited_links_only_web_urls(fixture_data, ed):
    path = fixture_data / "sources.csv"
    path.write_text(path.read_text().replace("http://world.kbs.co.kr/a", "javascript:alert(1)"))
    data._load.cache_clear()
    ed.cite(["kbs_a"])
    html = brief.sources_cited(ed).data
    assert 'id="src-kbs_a"' in html and "<a href" not in html


def test_trend_flags_net_worsening_and_easing():
    events = pd.DataFrame({"reported_on": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-04", "2024-01-01"]),
                           "security_effect": ["worsens", "worsens", "eases", "eases"]})
    assert brief.trend(events, "2025-01-01", "2025-02-01") == "deteriorated"
    assert brief.trend(events, "2025-01-03", "2025-02-01") == "improved"
    assert brief.trend(events, "2025-02-01", "2025-03-01") == "unchanged"


def test_new_since_is_half_open():
    frame = pd.DataFrame({"reported_on": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-02-01", "2025-02-02"])})
    assert list(brief.new_since(frame, "2025-01-01", "2025-02-01").index) == [1, 2]


def test_reader_notes_drop_curation_bookkeeping():
    note = "Peak year; reported_on approximated (source date not in the research): day after the period."
    assert brief.reader_note(note) == "Peak year"
    assert brief.reader_note("Rounded figure.") == "Rounded figure."
    html = brief.table(Window.checked("2025-06-30", marking="TLP:CLEAR"), pd.DataFrame({"note": [note]}),
                       {"note": "Note"}, "Notes").data
    assert "reported_on" not in html and "Peak year" in html
