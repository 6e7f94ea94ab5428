"""The cross-check covers the whole source analysis and quotes it faithfully.

The article lives in the shared folder beside the repository (``../shared``,
next to the clone in CI as on the team's machines); its tests skip with a clear
reason where that folder is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from briefing import data

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT.parent / "shared" / "sources" / "resurgam-2025-10-25-korean-peninsula-at-a-crossroads.txt"

# Curly, angled and prime quotes all count as one quote mark; so do the
# apostrophes the article mixes with them.
_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`´\"“”„‟″«»"})


def normalise(text: str) -> str:
    """Quote marks unified and every whitespace run (NBSP included) one space."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


@pytest.fixture(scope="module")
def rows():
    return data.crosscheck()


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE.is_file():
        pytest.skip(f"source analysis not found at {ARTICLE} (shared/ is not beside the repository)")
    return normalise(ARTICLE.read_text(encoding="utf-8"))


def test_the_whole_article_is_checked(rows):
    assert len(rows) >= 60


def test_check_ids_are_unique(rows):
    assert rows["check_id"].is_unique


def test_every_verdict_is_in_the_enum(rows):
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    fields = next(r for r in descriptor["resources"] if r["name"] == "crosscheck")["schema"]["fields"]
    allowed = set(next(f for f in fields if f["name"] == "verdict")["constraints"]["enum"])
    assert set(rows["verdict"]) <= allowed, set(rows["verdict"]) - allowed


def test_every_quote_occurs_verbatim_in_the_article(rows, article):
    missing = [cid for cid, quote in zip(rows["check_id"], rows["analysis_quote"]) if normalise(quote) not in article]
    assert missing == []


def test_no_two_rows_quote_the_same_statement(rows, article):
    spans = []
    for cid, quote in zip(rows["check_id"], rows["analysis_quote"]):
        text = normalise(quote)
        start = article.find(text)
        if start >= 0:  # a missing quote fails the verbatim test
            spans.append((start, start + len(text), cid))
    spans.sort()
    overlapping = [(a[2], b[2]) for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    assert overlapping == []
    quotes = [normalise(q) for q in rows["analysis_quote"]]
    assert len(quotes) == len(set(quotes))
