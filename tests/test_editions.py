"""Editions you can trust: markings on every path, drafts apart, marked revisions, provenance, faults."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from briefing import publish
from briefing.catalog import editions, load
from briefing.errors import CatalogError
from briefing.execute import git_state
from briefing.render import render
from conftest import ROOT, write_catalog

BIN = Path(sys.executable).parent


def statuses(report):
    return {f"{b['brief']}@{b['as_of']}": b["status"] for b in report["briefs"]}


def _published(briefs: Path) -> dict[Path, bytes]:
    """Every file readers can reach outside the drafts, the marking areas and the operator's runs."""
    def public(path: Path) -> bool:
        parts = path.relative_to(briefs).parts
        return not any(part in {"_drafts", "_runs", ".staging"} or part.startswith("_tlp") for part in parts) \
            and path.name not in {".lock", ".lock.json"}

    return {p: p.read_bytes() for p in briefs.rglob("*") if p.is_file() and public(p)}


# -- markings hold on every path -----------------------------------------------------------------

@pytest.fixture(scope="module")
def amber_notebook(tmp_path_factory):
    """The Russia-policy brief executed by plain papermill with -p marking TLP:AMBER."""
    out = tmp_path_factory.mktemp("amber") / "amber.ipynb"
    nb = ROOT / "notebooks" / "04-seoul-russia-policy.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATA"}
    subprocess.run([BIN / "papermill", str(nb), str(out), "-p", "as_of", "2025-12-15", "-p", "marking", "TLP:AMBER",
                    "--cwd", str(nb.parent), "--no-progress-bar"], check=True, capture_output=True, env=env)
    return out


def test_amber_through_papermill_and_nbconvert_to_brief_prints_amber_everywhere(amber_notebook):
    subprocess.run([BIN / "jupyter", "nbconvert", "--to", "brief", str(amber_notebook)], check=True, capture_output=True)
    html = amber_notebook.with_suffix(".html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.body.find("p").get_text(strip=True) == "TLP:AMBER", "the marking is the first line of the body"
    assert soup.find("meta", attrs={"name": "tlp"})["content"] == "TLP:AMBER"
    assert soup.body["data-tlp"] == "TLP:AMBER"
    assert "TLP:CLEAR" not in html


def test_amber_through_papermill_and_nbconvert_to_briefpdf_prints_amber_on_every_page(amber_notebook):
    subprocess.run([BIN / "jupyter", "nbconvert", "--to", "briefpdf", str(amber_notebook)], check=True,
                   capture_output=True)
    reader = PdfReader(amber_notebook.with_suffix(".pdf"))
    assert reader.metadata["/tlp"] == "TLP:AMBER"
    for page in reader.pages:
        text = page.extract_text()
        assert "TLP:AMBER" in text and "TLP:CLEAR" not in text


def test_a_red_ad_hoc_render_changes_no_published_byte_nor_the_public_index(project):
    render(project, jobs=2)
    before = _published(project / "briefs")
    assert (project / "briefs" / "index.html") in before
    report = render(project, ("ok",), overrides={"marking": "TLP:RED"}, jobs=1)
    assert statuses(report) == {"ok@2025-04-30": "draft"}
    assert _published(project / "briefs") == before
    red = project / "briefs" / "_drafts" / "_tlp-red" / "ok" / "2025-04-30" / "ok.html"
    assert "TLP:RED" in red.read_text()
    assert "TLP:RED" not in (project / "briefs" / "index.html").read_text()
    published = render(project, ("ok",), overrides={"marking": "TLP:RED"}, publish_drafts=True, jobs=1)
    assert statuses(published) == {"ok@2025-04-30": "ok"}
    assert (project / "briefs" / "_tlp-red" / "ok" / "2025-04-30" / "ok.html").is_file()
    assert _published(project / "briefs") == before, "an edition of another marking lives in its own place"
    assert "ok/2025-04-30" in (project / "briefs" / "_tlp-red" / "index.html").read_text()


def test_ad_hoc_dates_and_parameters_are_drafts_and_catalog_editions_are_publications(project):
    briefs = load(project / "notebooks" / "catalog.yml")
    assert {e.label: e.draft for e in editions(briefs)} == {
        "ok@2025-04-30": False, "ok@2024-12-31": False, "polls_only@2025-04-30": False}
    assert all(e.draft for e in editions(briefs, overrides={"as_of": "2024-11-30"}))
    assert all(e.draft for e in editions(briefs, overrides={"top": "2"}))
    early = editions(briefs, ("ok",), overrides={"as_of": "2024-12-31", "previous_edition": "2024-06-30"})
    assert [e.draft for e in early] == [False], "the catalog's own parameters are its edition"
    assert not any(e.draft for e in editions(briefs, overrides={"as_of": "2024-11-30"}, publish=True))


def test_a_draft_brief_holding_placeholders_cannot_be_published(project):
    shutil.copy(ROOT / "notebooks" / "_template.ipynb", project / "notebooks" / "copy.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  copy: {draft: true}\n  ok: {}\n")
    briefs = load(project / "notebooks" / "catalog.yml")
    assert [e.draft for e in editions(briefs, ("copy",))] == [True]
    with pytest.raises(CatalogError, match="template placeholders"):
        editions(briefs, ("copy",), publish=True)


# -- published once: revisions ---------------------------------------------------------------------

def test_a_correction_keeps_the_original_reachable_and_publishes_a_marked_revision(project):
    render(project, ("ok",), jobs=1)
    address = project / "briefs" / "ok" / "2025-04-30"
    original = {p.name: p.read_bytes() for p in address.iterdir()}
    events = project / "data" / "events.csv"
    text = events.read_text()
    assert ",KCNA confirms the troops.," in text
    events.write_text(text.replace(",KCNA confirms the troops.,", ",KCNA confirms the troops in Kursk.,"))
    held = render(project, ("ok",), jobs=1)
    assert statuses(held)["ok@2025-04-30"] == "held"
    assert {p.name: p.read_bytes() for p in address.iterdir()} == original, "never changed in silence"
    revised = render(project, ("ok",), jobs=1, revise=True)
    assert statuses(revised)["ok@2025-04-30"] == "revised"
    first = address.with_name("2025-04-30.r1")
    assert {p.name: p.read_bytes() for p in first.iterdir()} == original, "the original stays, byte for byte"
    assert os.readlink(address) == "2025-04-30.r2"
    page = (address / "ok.html").read_text()
    assert "Revised edition (revision 2)" in page and 'href="../2025-04-30.r1/ok.html"' in page
    assert "events ev_20250428_confirm corrected: summary KCNA confirms the troops. → KCNA confirms the troops in Kursk." in page
    record = json.loads((address / "edition.json").read_text())
    assert record["revision"] == 2 and any("Kursk" in c for c in record["changes"])
    index = (project / "briefs" / "index.html").read_text()
    assert 'href="ok/2025-04-30.r1/ok.html"' in index and "revision 2" in index
    early = project / "briefs" / "ok" / "2024-12-31"
    assert os.readlink(early) == "2024-12-31.r1", "a row reported after an edition's date never revises it"


def test_news_reported_after_an_edition_never_revises_it(project):
    render(project, ("ok",), jobs=1)
    events = project / "data" / "events.csv"
    rows = events.read_text().splitlines()
    later = rows[-1].replace("ev_20250428_confirm", "ev_20250428_later").replace(",2025-04-28,exact,", ",2025-09-01,exact,")
    assert later != rows[-1]
    events.write_text("\n".join([*rows, later]) + "\n")
    report = render(project, ("ok",), jobs=1, revise=True)
    assert set(statuses(report).values()) == {"cached"}


# -- durability ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_during_publish_leaves_every_edition_intact(project, monkeypatch, code):
    render(project, ("ok",), jobs=1)
    before = _published(project / "briefs")
    events = project / "data" / "events.csv"
    events.write_text(events.read_text().replace(",KCNA confirms the troops.,", ",KCNA confirms the troops in Kursk.,"))
    real_replace = os.replace

    def failing(src, dst, *args, **kwargs):
        if ".r2" in str(dst) and str(dst).endswith(".html"):
            raise OSError(code, os.strerror(code), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(publish.os, "replace", failing)
    report = render(project, ("ok",), jobs=1, revise=True)
    failed = next(b for b in report["briefs"] if b["as_of"] == "2025-04-30")
    assert report["exit_code"] == 1 and failed["status"] == "failed"
    assert failed["error"]["ename"] == "PublishError" and os.strerror(code) in failed["error"]["evalue"]
    assert "the published edition is unchanged" in failed["error"]["evalue"]
    after = _published(project / "briefs")
    assert {p: d for p, d in after.items() if p.name != "index.html"} == {
        p: d for p, d in before.items() if p.name != "index.html"}
    assert not (project / "briefs" / "ok" / "2025-04-30.r2").exists(), "no half-written build is left"


# -- provenance ---------------------------------------------------------------------------------

def test_provenance_records_the_commit_and_whether_the_inputs_were_dirty(tmp_path):
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_text("a\n1\n")
    git = ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    clean = git_state(root)
    assert clean["git_sha"] and clean["git_dirty"] is False and clean["dirty_hash"] is None
    (root / "data" / "t.csv").write_text("a\n2\n")
    edited = git_state(root)
    assert edited["git_dirty"] is True and edited["git_sha"] == clean["git_sha"]
    (root / "data" / "new.csv").write_text("b\n")
    untracked = git_state(root)
    assert untracked["dirty_hash"] != edited["dirty_hash"], "untracked inputs count too"
    (root / "notes.txt").write_text("not an input")
    assert git_state(root)["dirty_hash"] == untracked["dirty_hash"], "only inputs count"


def test_every_edition_record_states_its_provenance_and_file_hashes(project):
    render(project, ("ok",), jobs=1)
    record = json.loads((project / "briefs" / "ok" / "2025-04-30" / "edition.json").read_text())
    assert {"git_sha", "git_dirty", "dirty_hash", "data_hash", "revision", "marking"} <= set(record)
    assert record["marking"] == "TLP:CLEAR" and record["revision"] == 1
    assert set(record["sha256"]) == set(record["files"])
