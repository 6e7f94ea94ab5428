"""The reader portal (briefing.portal): index, brief pages, comparisons, Atom feed, search, older-edition notice.

Unit tests build published editions with :func:`briefing.publish.publish` (the real
switch, records and revisions) from small hand-written pages; the browser tests render
the fixture project and the real alliance brief and open the pages from ``file://`` in
Debian's Chromium with every non-file request aborted.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from offline import offline_violations

from briefing import portal, publish
from briefing.index import write_index
from briefing.render import render
from conftest import FIXTURES, ROOT, launch_chromium, write_catalog

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _page(title: str, bottom: str, body: str, marking: str = "TLP:CLEAR") -> str:
    return (f'<!DOCTYPE html><html><head><title>{title}</title><meta content="{bottom}" name="description"/>'
            f'<style>p {{ color: red }}</style></head><body data-tlp="{marking}"><p>{marking}</p><h1>{title}</h1>'
            f'<p class="standfirst">{bottom}</p><main>{body}</main></body></html>')


def _publish(briefs: Path, slug: str, as_of: str, *, area: str = "", title: str = "A title", bottom: str = "",
             body: str = "", judgments=(), signposts=(), withdrawn=(), inputs=None, changes=(),
             marking: str = "TLP:CLEAR", rendered_at: str = "2026-01-01T00:00:00+00:00") -> Path:
    """Publish one build of ``slug``@``as_of`` the way render does (a new revision if one exists)."""
    address = briefs / area / slug / as_of
    number = publish.next_revision(address)
    staging = briefs / ".staging" / f"{slug}-{as_of}-{number}"
    staging.mkdir(parents=True)
    (staging / f"{slug}.html").write_text(_page(title, bottom or f"Bottom line of {as_of}.", body, marking))
    (staging / f"{slug}.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    (staging / "inputs.json").write_text(json.dumps(inputs or {}))
    files = [f"{slug}.html", f"{slug}.pdf", "inputs.json"]
    record = {"slug": slug, "title": title, "edition": "current", "as_of": as_of, "marking": marking,
              "draft": False, "record_end": as_of, "judgments": list(judgments), "signposts": list(signposts),
              "withdrawn": list(withdrawn), "parameters": {"as_of": as_of, "marking": marking}, "status": "ok",
              "revision": number, "changes": list(changes), "files": files, "rendered_at": rendered_at}
    publish.publish(staging, address, files, record)
    shutil.rmtree(briefs / ".staging")
    return address


def _j(id_, lineage=None, text="Moscow will very likely keep it.", likelihood="very likely", confidence="moderate",
       reason=""):
    return {"id": id_, "lineage": lineage or id_, "text": text, "likelihood": likelihood,
            "confidence": confidence, "reason": reason}


def _event(key, date, summary):
    return key, {"event_id": key, "date_start": date, "date_end": "", "summary": summary, "label": summary[:20],
                 "reported_on": date, "reported_on_basis": "exact"}


def _claim(key, quantity, low, high, claimant, date):
    return key, {"claim_id": key, "quantity": quantity, "value_low": low, "value_best": "", "value_high": high,
                 "unit": "persons", "claimant": claimant, "claim_date": date, "reported_on": date}


@pytest.fixture
def published(tmp_path):
    """Brief 'alliance' with two editions (the later one revised), brief 'seoul' with one; an AMBER brief."""
    briefs = tmp_path / "briefs"
    old_inputs = {"events": dict([_event("ev1", "2024-06-19", "The treaty is signed.")]),
                  "claims": dict([_claim("c1", "dprk_troops", "10000", "12000", "ROK NIS", "2024-06-01")])}
    new_inputs = {"events": dict([_event("ev1", "2024-06-19", "The treaty is signed."),
                                  _event("ev2", "2025-01-11", "Two soldiers are captured in the Kursk region."),
                                  _event("ev3", "2025-02-01", "An event this brief never shows.")]),
                  "claims": dict([_claim("c1", "dprk_troops", "10000", "12000", "ROK NIS", "2024-06-01"),
                                  _claim("c2", "dprk_troops", "11000", "15000", "Ukraine", "2025-04-26"),
                                  _claim("c3", "dprk_workers", "13221", "13221", "Rosstat", "2025-02-09")])}
    _publish(briefs, "alliance", "2024-06-30", title="Arms trade", bottom="Shells flow north to south.",
             body="<p>The treaty is signed.</p>", inputs=old_inputs, rendered_at="2024-07-01T08:00:00+00:00",
             judgments=[_j("treaty-1", text="The treaty will almost certainly hold; ratification is pending.",
                           likelihood="almost certain", confidence="high"),
                        _j("shells-1", text="Shells are very likely in the millions: up to 4,800,000 rounds."),
                        _j("missiles-1", text="Missiles are likely used."),
                        _j("gone-1", text="A judgment simply dropped.")],
             signposts=[{"id": "s1", "lineage": "s1", "text": "A second deployment is reported.",
                         "status": "not seen"}])
    later = dict(title="A wartime alliance", bottom="Troops and shells bind the DPRK to Russia's war.",
                 body="<p>Two soldiers are captured in the Kursk region.</p><p>11,000–15,000 troops.</p>",
                 inputs=new_inputs,
                 judgments=[_j("treaty-2", "treaty-1", text="The treaty will almost certainly hold; in force since "
                               "4 Dec 2024.", likelihood="almost certain", confidence="high",
                               reason="Both sides ratified it."),
                            _j("shells-1", text="Shells are very likely in the millions: more than 12,000,000 rounds."),
                            _j("troops-1", text="Troops will likely stay.", likelihood="likely", confidence="low"),
                            _j("missiles-1", text="Missiles are likely used.", confidence="low")],
                 withdrawn=[{"id": "gone-2", "lineage": "gone-1", "reason": "Outranked by the troop judgment."}],
                 signposts=[{"id": "s1", "lineage": "s1", "text": "A second deployment is reported.",
                             "status": "seen"}])
    _publish(briefs, "alliance", "2025-12-15", rendered_at="2025-12-16T08:00:00+00:00", **later)
    _publish(briefs, "alliance", "2025-12-15", rendered_at="2026-01-05T09:30:00+00:00",
             changes=["events ev2 corrected: summary → Two soldiers are captured in the Kursk region."], **later)
    _publish(briefs, "seoul", "2025-12-15", title="Seoul swings to outreach", bottom="Seoul eased pressure.",
             body="<p>Budget talks.</p>", rendered_at="2025-12-16T09:00:00+00:00")
    _publish(briefs, "secret", "2025-12-15", area="_tlp-amber", title="Zanzibar channel", marking="TLP:AMBER",
             bottom="Zanzibar bottom line.", body="<p>Zanzibar is mentioned only here.</p>",
             rendered_at="2025-12-17T09:00:00+00:00")
    write_index(briefs, None)
    return briefs


# -- index and brief page ------------------------------------------------------------------------

def test_index_lists_latest_editions_then_every_edition_with_revisions_under_it(published):
    soup = BeautifulSoup((published / "index.html").read_text(), "html.parser")
    latest = soup.select("section.latest-edition")
    assert [s.h3.get_text(strip=True) for s in latest] == ["A wartime alliance", "Seoul swings to outreach"]
    first = latest[0].get_text(" ", strip=True)
    assert "Troops and shells bind the DPRK to Russia's war." in first, "the bottom line"
    assert "As of 15 Dec 2025" in first and "record ends 15 Dec 2025" in first and "TLP:CLEAR" in first
    links = [a["href"] for a in latest[0].find_all("a")]
    assert {"alliance/2025-12-15/alliance.html", "alliance/2025-12-15/alliance.pdf",
            "alliance/compare/2025-12-15.html", "alliance/history.html", "alliance/index.html"} <= set(links)
    archive = soup.select_one("#brief-alliance")
    editions = [li.strong.get_text() for li in archive.ul.find_all("li", recursive=False)]
    assert editions == ["15 Dec 2025", "30 Jun 2024"], "newest first, human dates"
    revised = archive.ul.find_all("li", recursive=False)[0].select("ul.revisions li")
    assert [li.a["href"] for li in revised] == ["alliance/2025-12-15.r1/alliance.html",
                                                "alliance/2025-12-15.r2/alliance.html"]
    assert "Revised 5 Jan 2026 (revision 2)" in revised[1].get_text() and "(current)" in revised[1].get_text()
    assert "2026-01-05T" not in str(soup.body), "no raw timestamps for readers"
    assert soup.find("a", href="_runs/index.html"), "operators find the run status on their own page"
    assert offline_violations(str(soup)) == [], "the search index is in the page: nothing to fetch"


def test_a_brief_page_lists_every_edition_and_revision_and_links_its_history(published):
    soup = BeautifulSoup((published / "alliance" / "index.html").read_text(), "html.parser")
    assert soup.find("a", href="history.html") and soup.find("a", href="../index.html")
    assert soup.find("a", href="2025-12-15/alliance.pdf"), "the latest edition, first"
    rows = soup.tbody.find_all("tr")
    assert [r["id"] for r in rows] == ["edition-2025-12-15", "edition-2024-06-30"]
    assert [a["href"] for a in rows[0].find_all("a")] == [
        "2025-12-15.r1/alliance.html", "2025-12-15.r2/alliance.html", "2025-12-15/alliance.html",
        "2025-12-15/alliance.pdf", "compare/2025-12-15.html"]
    assert "events ev2 corrected" in rows[0].get_text(), "what the revision changed"
    assert "first published edition" in rows[1].get_text()


def test_another_markings_editions_never_reach_the_public_pages_feed_or_search(published):
    public = [p for p in published.rglob("*") if p.is_file() and "_tlp-amber" not in p.parts]
    assert public and not [p for p in public if b"Zanzibar" in p.read_bytes()]
    amber = (published / "_tlp-amber" / "index.html").read_text()
    assert "Zanzibar channel" in amber and "TLP:AMBER" in amber
    assert "zanzibar" in _search_data(amber)["terms"], "each marking's area searches its own editions"
    assert not (published / "_tlp-amber" / "feed.atom").exists(), "the feed is TLP:CLEAR only"


# -- comparison ----------------------------------------------------------------------------------

def test_comparison_names_each_kind_of_change(published):
    page = (published / "alliance" / "compare" / "2025-12-15.html").read_text()
    assert page == (published / "alliance" / "compare" / "after-2024-06-30.html").read_text(), \
        "the older edition reaches the same page"
    soup = BeautifulSoup(page, "html.parser")
    rows = {tr["class"][0]: tr.get_text(" ", strip=True) for tr in soup.select("table.judgments tbody tr")}
    assert set(rows) == {"judgment-reworded", "judgment-figures-updated", "judgment-added", "judgment-re-rated",
                         "judgment-withdrawn"}
    assert "in force since 4 Dec 2024" in rows["judgment-reworded"] and "Both sides ratified it." in rows[
        "judgment-reworded"]
    assert "up to 4,800,000 → more than 12,000,000" in rows["judgment-figures-updated"]
    assert "confidence moderate → low" in rows["judgment-re-rated"]
    assert "Outranked by the troop judgment." in rows["judgment-withdrawn"]
    [signpost] = soup.select("table.signposts tbody tr")
    assert [td.get_text() for td in signpost.find_all("td")] == ["A second deployment is reported.", "not seen",
                                                                 "seen"]
    [figure] = soup.select("table.figures tbody tr")
    cells = [td.get_text(" ", strip=True) for td in figure.find_all("td")]
    assert cells[1].startswith("10,000–12,000 persons (ROK NIS, 1 Jun 2024)"), "the figure it moved from"
    assert "11,000–15,000 persons (Ukraine, 26 Apr 2025)" in cells[2]
    assert "1 more quantity moved in the shared record outside this brief" in page, "workers: not printed here"
    events = [tr.get_text(" ", strip=True) for tr in soup.select("table.events tbody tr")]
    assert events == ["11 Jan 2025 Two soldiers are captured in the Kursk region. 11 Jan 2025"]
    assert "1 more entered the shared record but are outside this brief" in page


def test_the_first_edition_has_no_comparison_and_every_link_resolves(published):
    assert not (published / "alliance" / "compare" / "2024-06-30.html").exists()
    for page in [published / "index.html", *published.glob("*/index.html"), *published.glob("*/compare/*.html")]:
        for a in BeautifulSoup(page.read_text(), "html.parser").find_all("a", href=True):
            if "://" not in a["href"] and a["href"] != "_runs/index.html" and not a["href"].endswith("feed.atom"):
                assert (page.parent / a["href"]).resolve().exists(), (page, a["href"])


# -- the older-edition notice ----------------------------------------------------------------------

def test_status_stylesheet_shows_the_notice_on_every_build_but_the_latest_current_one(published):
    css = (published / "alliance" / portal.STATUS_CSS).read_text()
    assert '.portal-status:not([data-build="2025-12-15.r2"]) .older-edition { display: block; }' in css
    assert '.portal-status[data-as-of="2025-12-15"] .prev-compare { display: inline; }' in css
    assert '.portal-status[data-as-of="2024-06-30"] .next-compare { display: inline; }' in css
    assert '[data-as-of="2024-06-30"] .prev-compare' not in css and '[data-as-of="2025-12-15"] .next-compare' not in css
    latest = (published / "alliance" / portal.LATEST).read_text()
    assert 'url=2025-12-15/alliance.html"' in latest and 'href="2025-12-15/alliance.html"' in latest


def test_the_portal_rewrites_nothing_when_nothing_was_published(published):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in published.rglob("*")
              if p.is_file() and "_runs" not in p.parts}
    write_index(published, None)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in published.rglob("*")
             if p.is_file() and "_runs" not in p.parts}
    assert {p: b for p, (b, _) in after.items()} == {p: b for p, (b, _) in before.items()}
    assert after[published / "feed.atom"][1] == before[published / "feed.atom"][1], "the feed is not touched"


# -- Atom ----------------------------------------------------------------------------------------

def test_feed_is_atom_with_one_entry_per_published_build(published):
    root = ET.parse(published / "feed.atom").getroot()
    assert root.tag == f"{ATOM}feed"

    def one(parent, tag):
        found = parent.findall(f"{ATOM}{tag}")
        assert len(found) == 1, (tag, len(found))
        return found[0]

    assert one(root, "id").text.startswith("urn:uuid:") and one(root, "title").text
    assert RFC3339.match(one(root, "updated").text) and one(one(root, "author"), "name").text
    [self_link] = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link.get("href") == "feed.atom"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4, "alliance 2024-06-30, 2025-12-15 and its revision 2, seoul 2025-12-15"
    ids = [one(e, "id").text for e in entries]
    assert len(set(ids)) == 4 and all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in ids)
    for entry in entries:
        assert one(entry, "title").text and RFC3339.match(one(entry, "updated").text)
        assert one(one(entry, "author"), "name").text == "Peninsula Briefs"
        links = {link.get("type"): link.get("href") for link in entry.findall(f"{ATOM}link")}
        assert all(link.get("rel") == "alternate" for link in entry.findall(f"{ATOM}link"))
        assert set(links) == {"text/html", "application/pdf"}, "at most one alternate per type"
        assert all((published / href).is_file() for href in links.values())
    newest = entries[0]
    assert one(newest, "title").text == "A wartime alliance: edition of 15 Dec 2025, revision 2"
    assert one(newest, "summary").text == "Troops and shells bind the DPRK to Russia's war."
    assert one(newest, "updated").text == "2026-01-05T09:30:00+00:00"
    assert {link.get("href") for link in newest.findall(f"{ATOM}link")} == {
        "alliance/2025-12-15.r2/alliance.html", "alliance/2025-12-15.r2/alliance.pdf"}
    assert one(root, "updated").text == "2026-01-05T09:30:00+00:00", "the feed's time is its newest entry's"


def test_entry_ids_do_not_depend_on_where_the_briefs_live(published, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(published, moved, symlinks=True)
    (moved / "feed.atom").unlink()
    write_index(moved, None)
    assert (moved / "feed.atom").read_bytes() == (published / "feed.atom").read_bytes()


# -- search ------------------------------------------------------------------------------------------

def _search_data(page: str) -> dict:
    soup = BeautifulSoup(page, "html.parser")
    return json.loads(soup.find("script", id="search-data").string)


def test_search_index_covers_the_text_of_every_published_edition(published):
    data = _search_data((published / "index.html").read_text())
    assert [d["href"] for d in data["docs"]] == ["alliance/2025-12-15/alliance.html",
                                                 "alliance/2024-06-30/alliance.html", "seoul/2025-12-15/seoul.html"]
    assert [d for d, _ in data["terms"]["kursk"]] == [0], "only the edition whose text says it"
    assert "color" not in data["terms"], "styles are not text"
    assert portal.tokens("Naïve KURSK, 11,000–15,000; 북한") == ["naive", "kursk", "11", "000", "15", "000",
                                                                   *portal.tokens("북한")]


def test_search_data_cannot_close_its_script_element():
    assert portal.json_for_script({"t": "</script><script>alert(1)</script>"}).count("<") == 0


# -- Chromium, network blocked -------------------------------------------------------------------------

class Offline:
    """One Chromium tab that may read file: and data: URLs only; records what else it tried and every error."""

    def __init__(self, browser):
        self.tab = browser.new_page()
        self.external, self.errors = [], []
        self.tab.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.tab.on("pageerror", lambda e: self.errors.append(str(e)))
        self.tab.route("**/*", self._route)

    def _route(self, route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def open(self, path: Path):
        self.tab.goto(path.as_uri(), wait_until="load")
        return self.tab


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The fixture project rendered (two editions of 'ok', one of 'polls_only'), then 'ok' 2025-04-30 revised."""
    root = tmp_path_factory.mktemp("portal") / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copytree(FIXTURES / "data" / "valid", root / "data")
    shutil.copy(ROOT / "data" / "datapackage.json", root / "data")
    write_catalog(root, "formats: [html, pdf]\nbriefs:\n  ok:\n    editions:\n      current: {}\n"
                        "      early: {as_of: '2024-12-31', previous_edition: '2024-06-30'}\n  polls_only: {}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BRIEFING_DATA", str(root / "data"))
        mp.chdir(root)
        assert render(root, jobs=2)["counts"]["ok"] == 3
        events = root / "data" / "events.csv"
        events.write_text(events.read_text().replace(",KCNA confirms the troops.,",
                                                     ",KCNA confirms the troops in Kursk.,"))
        assert render(root, ("ok",), jobs=1, revise=True)["counts"]["revised"] == 1
    return root / "briefs"


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


def test_browser_older_edition_shows_the_notice_and_reaches_the_latest(rendered, chromium):
    offline = Offline(chromium)
    tab = offline.open(rendered / "ok" / "2024-12-31" / "ok.html")
    assert tab.is_visible(".older-edition") and "You are reading an older edition" in tab.inner_text("body")
    assert tab.is_visible(".next-compare") and not tab.is_visible(".prev-compare")
    tab.click("text=Read the latest edition")
    tab.wait_for_url("**/ok/2025-04-30/ok.html")  # the address: a link to the current build, r2
    assert not tab.is_visible(".older-edition"), "the latest edition's current build has no notice"
    assert tab.is_visible(".prev-compare") and not tab.is_visible(".next-compare")
    assert "Revised edition (revision 2)" in tab.inner_text("body")
    tab = offline.open(rendered / "ok" / "2025-04-30.r1" / "ok.html")
    assert tab.is_visible(".older-edition"), "a superseded revision of the latest edition is not the latest"
    assert offline.external == [] and offline.errors == []


def test_browser_a_draft_or_a_page_without_the_portal_shows_no_notice(rendered, chromium, tmp_path):
    offline = Offline(chromium)
    alone = tmp_path / "x" / "ok.html"
    alone.parent.mkdir()
    shutil.copy(rendered / "ok" / "2024-12-31" / "ok.html", alone)
    tab = offline.open(alone)
    assert tab.locator(".portal-status").count() == 1 and not tab.is_visible(".portal-status")
    assert not tab.is_visible(".older-edition") and offline.external == []


def test_the_pdf_of_an_edition_neither_shows_nor_fetches_the_notice(rendered, caplog):
    from pypdf import PdfReader

    from briefing.pdf import html_to_pdf

    page = (rendered / "ok" / "2024-12-31" / "ok.html").read_text()
    assert 'href="../editions.css"' in page
    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = html_to_pdf(page)
    assert caplog.records == [], "a print stylesheet fetch would be refused and logged"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "TLP:CLEAR" in text and "older edition" not in text


def test_browser_index_brief_page_and_comparison_offline(rendered, chromium):
    offline = Offline(chromium)
    tab = offline.open(rendered / "index.html")
    body = tab.inner_text("body")
    assert "Latest editions" in body and "Every edition" in body and tab.is_visible("#search-box")
    assert "As of 30 Apr 2025" in body and "Revised" in body
    tab.click("#brief-ok h3 a")
    tab.wait_for_url("**/ok/index.html")
    assert "Editions and revisions" in tab.inner_text("body")
    tab.click("text=What changed since 31 Dec 2024")
    tab.wait_for_url("**/ok/compare/2025-04-30.html")
    body = tab.inner_text("body")
    assert "What changed: 31 Dec 2024 → 30 Apr 2025" in body
    assert all(h in body for h in ("Key judgments", "Signposts", "Figures that moved", "Events new to the record"))
    tab.click("text=as of 30 Apr 2025")
    tab.wait_for_url("**/ok/2025-04-30/ok.html")
    tab.click(".prev-compare")
    tab.wait_for_url("**/ok/compare/2025-04-30.html")
    tab = offline.open(rendered / "ok" / "2024-12-31" / "ok.html")
    tab.click(".next-compare")
    tab.wait_for_url("**/ok/compare/after-2024-12-31.html")
    assert "What changed: 31 Dec 2024 → 30 Apr 2025" in tab.inner_text("body")
    assert offline.external == [] and offline.errors == []


def test_browser_search_finds_kursk_offline(rendered, chromium):
    offline = Offline(chromium)
    tab = offline.open(rendered / "index.html")
    tab.fill("#search-box", "kursk")
    results = tab.locator("#search-results li")
    assert results.count() == 1
    assert results.first.locator("a").get_attribute("href") == "ok/2025-04-30/ok.html"
    assert "1 edition mentions kursk" in tab.inner_text("#search-results")
    tab.fill("#search-box", "zzzz-not-in-any-brief")
    assert tab.locator("#search-results li").count() == 0
    assert offline.external == [] and offline.errors == []


def test_browser_search_kursk_finds_the_alliance_briefs(tmp_path_factory, chromium):
    """The real briefs: 'Kursk' finds the alliance brief of Dec 2025, not the one of Jun 2024 (before Kursk)."""
    root = tmp_path_factory.mktemp("real") / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns(".*"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BRIEFING_DATA", str(root / "data"))
        mp.chdir(root)
        report = render(root, ("01-dprk-russia-alliance", "04-seoul-russia-policy"), formats=("html",), jobs=2)
    assert report["counts"]["ok"] == 4, report
    offline = Offline(chromium)
    tab = offline.open(root / "briefs" / "index.html")
    tab.fill("#search-box", "Kursk")
    hrefs = [a.get_attribute("href") for a in tab.locator("#search-results li a").all()]
    assert hrefs == ["01-dprk-russia-alliance/2025-12-15/01-dprk-russia-alliance.html"]
    tab.fill("#search-box", "Wi Sung")
    assert "04-seoul-russia-policy/2025-12-15/04-seoul-russia-policy.html" in [
        a.get_attribute("href") for a in tab.locator("#search-results li a").all()]
    assert offline.external == [] and offline.errors == []
    assert os.path.getsize(root / "briefs" / "index.html") < 200_000
