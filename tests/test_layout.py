"""A brief is brief: two-page main body, lettered annexes, clean pages, navigation, proper nouns.

The catalog is rendered once into a throwaway copy of the project (every brief, every catalog
edition, HTML and PDF); each PDF is then read with pypdf (:mod:`pdflayout`): bookmarks, and where
the text sits on each page.  A synthetic evidence base with ten times the rows (:mod:`synthetic`,
rendered as a draft) shows the main body still fits.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path

import pandas as pd
import pdflayout
import pytest
import synthetic
from bs4 import BeautifulSoup

from briefing import brief
from briefing.exporters import finish
from briefing.render import render
from conftest import ROOT

ANNEX = re.compile(r"^Annex ([A-Z]) — \S")
# Place and people names that must never be printed in lower case (URLs and ids are left out).
PROPER = re.compile(r"(?<![\w./#@:=-])(russia|russian|north korea|north korean|south korea|korea|korean|japan|"
                    r"japanese|china|chinese|ukraine|ukrainian|pyongyang|seoul|moscow|tokyo|washington|kyiv|"
                    r"united states|us (?=alliance|forces|troops|president|tariffs?))(?![\w/.-])")


def _editions():
    import yaml

    catalog = yaml.safe_load((ROOT / "notebooks" / "catalog.yml").read_text())
    notebooks = ROOT / "notebooks"
    from briefing.params import declared

    found = []
    for slug, entry in catalog["briefs"].items():
        if entry.get("draft"):
            continue
        default = declared(notebooks / f"{slug}.ipynb")["as_of"].default
        for params in entry.get("editions", {"current": {}}).values():
            found.append((slug, (params or {}).get("as_of", default)))
    return found


CATALOG = _editions()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """Every catalog edition rendered (HTML and PDF) into a throwaway project; its briefs/ folder."""
    root = synthetic.project(tmp_path_factory.mktemp("catalog"))
    mp = pytest.MonkeyPatch()
    mp.setenv("BRIEFING_DATA", str(root / "data"))
    mp.chdir(root)
    try:
        report = render(root, jobs=2)
    finally:
        mp.undo()
    assert report["counts"]["failed"] == 0, report
    return root / "briefs"


def _files(briefs: Path, slug: str, as_of: str):
    folder = briefs / slug / as_of
    return folder / f"{slug}.pdf", folder / f"{slug}.html"


@pytest.fixture(scope="module")
def layouts(catalog):
    return {(slug, as_of): pdflayout.read(_files(catalog, slug, as_of)[0].read_bytes()) for slug, as_of in CATALOG}


def _id(edition):
    return "@".join(edition)


# --- the PDF of every catalog edition -------------------------------------------------------------

@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_main_body_is_at_most_two_pages_and_annexes_follow_lettered(layouts, edition):
    layout = layouts[edition]
    annexes = layout.annexes()
    assert annexes, [b.title for b in layout.bookmarks]
    assert layout.annex_start() <= 3, f"main body runs to page {layout.annex_start() - 1}"
    letters = [ANNEX.match(b.title).group(1) for b in annexes]
    assert letters == [chr(ord("A") + i) for i in range(len(letters))]
    titles = " | ".join(b.title for b in annexes)
    for part in ("Evidence", "Fact-check", "Estimative language", "Sources"):
        assert part in titles, titles
    for b in annexes:  # each annex opens a page: its heading is the first text there
        page = layout.pages[b.page - 1]
        assert page.lines and page.lines[0][1].startswith(b.title[:20]), (b.title, page.lines[:2])


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_main_body_holds_the_judgments_changes_and_signposts(layouts, edition):
    layout = layouts[edition]
    main = [b.title for b in layout.bookmarks if b.page < layout.annex_start()]
    assert "Key judgments" in main and "Change since the last edition" in main, main
    assert any("Signposts" in t for t in main), main
    assert sum(p.has_image for p in layout.pages[: layout.annex_start() - 1]) <= 2


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_no_near_empty_page(layouts, edition):
    assert layouts[edition].near_empty() == []


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_no_heading_alone_at_the_foot_of_a_page(layouts, edition):
    assert layouts[edition].orphan_headings() == []


# --- the HTML of every catalog edition ------------------------------------------------------------

def _soup(catalog, edition) -> BeautifulSoup:
    return BeautifulSoup(_files(catalog, *edition)[1].read_text(), "html.parser")


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_html_navigation_contents_anchors_and_links(catalog, edition):
    slug, as_of = edition
    soup = _soup(catalog, edition)
    ids = {t["id"] for t in soup.find_all(id=True)}
    toc = soup.select_one("nav.toc")
    targets = [a["href"][1:] for a in toc.select("a")]
    assert targets and set(targets) <= ids
    assert all(h.get("id") for h in soup.select("main h2, main h3"))
    assert any(t.startswith("Annex A — ") for t in (a.get_text() for a in toc.select("a")))
    links = {a.get_text(): a["href"] for a in soup.select("nav.edition-links a")}
    assert links["PDF"] == f"{slug}.pdf" and links["All briefs"] == "../../index.html"
    assert links["How the judgments moved (history)"] == "../history.html"
    assert links["Every edition of this brief"] == "../index.html"  # the portal's page: every edition, comparisons
    folder = catalog / slug / as_of
    for name in ("PDF", "All briefs", "Every edition of this brief", "How the judgments moved (history)"):
        assert (folder / links[name]).resolve().exists(), links[name]
    refs = soup.select("a.source-ref")
    assert refs and {a["href"][1:] for a in refs} <= ids, "every source-line entry links into the sources list"
    for xref in soup.select("a.xref"):
        assert xref["href"][1:] in ids and re.fullmatch(r"(Annex|Table|Figure) [A-Z]?\d*", xref.get_text()), xref
    # every in-page link, analysts' markdown included ("[Figure 1](#figure-1)" broke when a chart moved to an annex)
    dangling = [a["href"] for a in soup.select("a[href^='#']") if a["href"][1:] not in ids]
    assert not dangling, f"links to no anchor in {slug} {as_of}: {dangling}"


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_every_chart_offers_its_data_as_embedded_csv(catalog, edition):
    soup = _soup(catalog, edition)
    charts = soup.select("main .jp-RenderedImage img")
    downloads = soup.select("a[download]")
    assert len(downloads) == len(charts) > 0
    for a in downloads:
        head, _, payload = a["href"].partition(",")
        assert head == "data:text/csv;base64" and a["download"].endswith(".csv")
        text = base64.b64decode(payload).decode("utf-8")
        assert "source_ids" in text.splitlines()[0]


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_tables_and_figures_are_numbered_in_order(catalog, edition):
    soup = _soup(catalog, edition)
    labels = [s.get_text() for s in soup.select("span.number")]
    assert any(re.match(r"Figure [A-Z]?1\.", t) for t in labels), labels  # the main body may hold no chart
    assert any(re.match(r"Table A\d", t) for t in labels), labels
    seen: dict[str, list[int]] = {}
    for text in labels:
        kind, prefix, n = re.fullmatch(r"(Table|Figure) ([A-Z]?)(\d+)\.", text).groups()
        seen.setdefault(kind + prefix, []).append(int(n))
    assert all(ns == list(range(1, len(ns) + 1)) for ns in seen.values()), seen


@pytest.mark.parametrize("edition", CATALOG, ids=_id)
def test_no_lower_cased_country_or_capital_names(catalog, edition):
    soup = _soup(catalog, edition)
    for tag in soup(["style", "script", "head"]):
        tag.decompose()
    text = html_lib.unescape(soup.get_text(" "))
    found = [text[max(0, m.start() - 40): m.end() + 20] for m in PROPER.finditer(text)]
    assert found == []


# --- ten times the rows ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_drafts(tmp_path_factory):
    root = synthetic.project(tmp_path_factory.mktemp("synthetic"), factor=10)
    mp = pytest.MonkeyPatch()
    mp.setenv("BRIEFING_DATA", str(root / "data"))
    mp.chdir(root)
    try:
        report = render(root, ("00-overview", "01-dprk-russia-alliance"), overrides={"as_of": "2025-12-14"}, jobs=2)
    finally:
        mp.undo()
    return root, report


def test_ten_times_the_rows_still_fit_a_two_page_main_body(synthetic_drafts):
    root, report = synthetic_drafts
    assert report["counts"]["failed"] == 0 and report["counts"]["draft"] == 2, report
    assert not (root / "briefs" / "01-dprk-russia-alliance").exists(), "synthetic data is never published"
    for slug in ("00-overview", "01-dprk-russia-alliance"):
        folder = root / "briefs" / "_drafts" / slug / "2025-12-14"
        page = (folder / f"{slug}.html").read_text()
        assert synthetic.MARK in page  # the copies are there, and say what they are
        layout = pdflayout.read((folder / f"{slug}.pdf").read_bytes())
        assert layout.annex_start() <= 3, slug
        assert layout.near_empty() == [] and layout.orphan_headings() == [], slug


# --- the pieces, without a render ---------------------------------------------------------------------

@pytest.mark.parametrize("code, expected", [
    ("north_korean_artillery_shells_to_russia", "North Korean artillery shells to Russia"),
    ("us_alliance_necessary", "US alliance necessary"),
    ("rok_russia_trade", "ROK Russia trade"),
    ("own_nuclear_weapons", "Own nuclear weapons"),
])
def test_labels_from_codes_keep_proper_nouns(code, expected):
    assert brief.sentence_case(brief.label(code)) == expected


@pytest.mark.parametrize("count, total, expected", [
    (0, 6, "no theme deteriorated"), (1, 6, "1 of 6 themes deteriorated"), (6, 6, "all 6 themes deteriorated"),
    (1, 1, "the only theme deteriorated"), (2, 2, "both themes deteriorated")])
def test_counts_read_naturally(count, total, expected):
    assert brief.count_phrase(count, total, "theme", "deteriorated") == expected


def _cell(inner: str, tags: tuple[str, ...] = (), markdown: bool = True) -> str:
    classes = " ".join(f"celltag_{t}" for t in tags)
    if markdown:
        return f'<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedMarkdown {classes}">{inner}</div></div>'
    return f'<div class="jp-Cell jp-CodeCell {classes}">{inner}</div>'


def test_finish_letters_annexes_numbers_tables_and_figures_and_resolves_references():
    table = "<table class='brief-table'><caption>{}</caption><tr><td>1</td></tr></table>"
    chart = ("<div class='jp-RenderedImage'><img src='data:image/png;base64,AA==' alt='a'></div>"
             "<div class='chart-caption'><p class='source-line'>Source: X.</p></div>")
    page = ("<html><body><main>"
            + _cell("<h2>Key judgments</h2><p>See <a class='xref' href='#sources'>the sources</a>, "
                    "<a class='xref' href='#table-a2'>a table</a>.</p>")
            + _cell(table.format("Trend"), markdown=False) + _cell(chart, markdown=False)
            + _cell("<h2>Evidence</h2>", ("annex",)) + _cell(table.format("One") + table.format("Two"), markdown=False)
            + _cell(chart, markdown=False)
            + _cell("<h2 id='Sources'>Sources</h2>", ("annex",)) + "</main></body></html>")
    soup = BeautifulSoup(finish(page), "html.parser")
    assert [h.get_text() for h in soup.select("main h2")] == ["Contents", "Key judgments", "Annex A — Evidence",
                                                              "Annex B — Sources"]
    assert [s.get_text() for s in soup.select("span.number")] == ["Table 1.", "Figure 1.", "Table A1.", "Table A2.",
                                                                  "Figure A1."]
    assert [a.get_text() for a in soup.select("a.xref")] == ["Annex B", "Table A2"]
    assert len(soup.select(".annex-start")) == 2
    assert [a["href"] for a in soup.select("nav.toc a")] == ["#key-judgments", "#evidence", "#sources"]


def test_a_source_line_links_each_entry_to_the_sources_list(fixture_data, ed):
    from briefing import data

    events = data.events()
    html = brief.table(ed, events.head(3), {"summary": "What"}, "Events").data
    soup = BeautifulSoup(html, "html.parser")
    refs = soup.select("p.source-line a.source-ref")
    assert refs and all(a["href"].startswith("#src-") for a in refs)
    cited = set(ed.cited)
    assert {a["href"].removeprefix("#src-") for a in refs} <= cited
    assert brief.source_line(ed, events.head(3)).removeprefix("Sources: ").removeprefix("Source: ").rstrip(".") \
        == "; ".join(a.get_text() for a in refs)


def test_dates_and_numbers_are_marked_to_stay_on_one_line(fixture_data, ed):
    frame = pd.DataFrame({"date_start": pd.to_datetime(["2024-01-02"]), "value": [3.5], "summary": ["A long text"]})
    soup = BeautifulSoup(brief.table(ed, frame, {"date_start": "Date", "value": "Value", "summary": "What"},
                                     "T", sources=False).data, "html.parser")
    assert [td.get("class") for td in soup.select("td")] == [["date"], ["num"], None]
