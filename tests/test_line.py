"""The analytic line in the briefs: as known on ``as_of``, reconstructed versions flagged, signposts on the data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from briefing import data, history, line
from briefing.themes import alliance, overview, russia_policy, seoul, start, trilateral

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "analysis" / "judgments"
CURRENT = ("2025-12-15", "2022-02-24", "2025-11-15", "TLP:CLEAR")
MID_2024 = ("2024-06-30", "2022-02-24", "2024-03-31", "TLP:CLEAR")
THEMED = (alliance, seoul, trilateral, russia_policy)


@pytest.fixture
def register_copy(tmp_path: Path, monkeypatch) -> Path:
    """A throwaway copy of the register that the briefs read (``BRIEFING_REGISTER``)."""
    copy = tmp_path / "analysis" / "judgments"
    shutil.copytree(REGISTER, copy)
    monkeypatch.setenv("BRIEFING_REGISTER", str(copy))
    return copy


def _write(folder: Path, name: str, front: str, text: str) -> None:
    (folder / f"{name}.md").write_text(f"---\nid: {name}\n{front.strip()}\n---\n{text}\n", encoding="utf-8")


SHELLS_V2 = """
brief: 01-dprk-russia-alliance
kind: judgment
authored: {authored}
supersedes: shell-deliveries-2024-06
reason: "{reason}"
rank: 3
likelihood: {likelihood}
horizon: 2026-12-31
confidence: moderate
confidence_reason: "Estimates convert counted containers into rounds."
reconstructed: false
basis:
  - cl_shells_dia_20250713
"""


def test_a_judgment_authored_after_as_of_is_absent_from_that_edition(register_copy):
    _write(register_copy / "02-seoul-response", "late-judgment",
           SHELLS_V2.replace("01-dprk-russia-alliance", "02-seoul-response")
           .replace("supersedes: shell-deliveries-2024-06\n", "")
           .format(authored="2025-12-01", reason="New.", likelihood="likely"),
           "Seoul will likely keep the budget above KRW {latest_enacted_budget} trillion.")
    before = seoul.judgments(start("2025-11-30", "", "", "TLP:CLEAR"))
    after = seoul.judgments(start(*CURRENT))
    assert not any(j.id == "late-judgment" for j in before)
    assert any(j.id == "late-judgment" for j in after)


def test_a_reworded_judgment_shows_in_new_editions_and_not_old_ones(register_copy):
    _write(register_copy / "01-dprk-russia-alliance", "shell-deliveries-2025-12",
           SHELLS_V2.format(authored="2025-12-15", reason="Reworded: rounds are counted, not weighed.",
                            likelihood="very likely"),
           "North Korea has very likely shipped millions of rounds: the latest estimate ({shell_latest_source}) "
           "is {shell_latest_value} rounds.")
    old = " ".join(j.text for j in alliance.judgments(start(*MID_2024)))
    new = " ".join(j.text for j in alliance.judgments(start(*CURRENT)))
    assert "North Korea has very likely shipped millions of rounds" in new
    assert "shell deliveries are very likely in the millions" not in new
    assert "North Korea has very likely shipped" not in old and "shell deliveries are very likely" in old
    assert "more than 12,000,000 rounds" in new  # the placeholders follow the data as known on as_of


def test_a_likelihood_change_appears_on_the_history_page(register_copy, tmp_path):
    _write(register_copy / "01-dprk-russia-alliance", "shell-deliveries-2025-12",
           SHELLS_V2.format(authored="2025-12-15", reason="Deliveries slowed in the latest estimates.",
                            likelihood="likely"),
           "North Korean shell deliveries are likely to stay in the millions of rounds: the latest estimate "
           "({shell_latest_source}) is {shell_latest_value} rounds.")
    briefs = tmp_path / "briefs"
    for params in (MID_2024, CURRENT):
        ed = start(*params)
        folder = briefs / alliance.BRIEF / ed.as_of
        folder.mkdir(parents=True)
        record = {"slug": alliance.BRIEF, "title": "Alliance", "as_of": ed.as_of, "edition": "x", "status": "ok",
                  "judgments": line.record(alliance.judgments(ed)), "signposts": line.evaluate(ed, alliance)}
        (folder / "edition.json").write_text(json.dumps(record))
    page = history.write_histories(briefs)[0].read_text()
    assert "likelihood very likely → likely" in page
    assert "Deliveries slowed in the latest estimates." in page
    assert "<script" not in page and "default-src &#39;none&#39;" not in page and "default-src 'none'" in page
    assert "<svg" in page and "reconstructed on 15 Dec 2025 for 30 Jun 2024" in page


def test_reconstructed_versions_are_flagged_to_readers_and_in_the_record():
    box = alliance.key_judgments(start(*MID_2024))
    assert "Reconstructed on 15 Dec 2025 for 30 Jun 2024, not written at the time" in box.data
    said = box.metadata[line.LINE_KEY]["judgments"]
    assert said and all(j["reconstructed"] and j["reconstructed_on"] == "2025-12-15" for j in said)
    current = alliance.key_judgments(start(*CURRENT)).metadata[line.LINE_KEY]["judgments"]
    revised = [j for j in current if j["reconstructed_on"] == "2026-11-30"]  # the review of issue 11
    assert revised and all(j["reconstructed"] for j in revised)
    assert "Reconstructed on 30 Nov 2026 for 15 Dec 2025" in alliance.key_judgments(start(*CURRENT)).data


def test_a_signpost_flips_when_a_row_that_meets_it_is_added(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    monkeypatch.setenv("BRIEFING_REGISTER", str(REGISTER))
    ed = start(*CURRENT)
    before = {s["id"]: s for s in line.evaluate(ed, alliance)}["signpost-troops-return-2025-12"]
    row = ("ev_20251201_troops_return,2025-12-01,,day,dprk_russia,deployment,DPRK,Russia,,"
           "ROK NIS says North Korean troops are returning home from Kursk.,Troops return,eases,"
           "confirmed_single,2025-12-01,exact,kbs_192744,,\n")
    (copy / "events.csv").write_text((copy / "events.csv").read_text() + row)
    monkeypatch.setenv("BRIEFING_DATA", str(copy))
    data._load.cache_clear()
    try:
        after = {s["id"]: s for s in line.evaluate(start(*CURRENT), alliance)}["signpost-troops-return-2025-12"]
        changed = overview.signposts(start(*CURRENT))
    finally:
        data._load.cache_clear()
    assert before["status"] == "not seen" and before["evidence"] is None
    assert after["status"] == "seen" and after["evidence"] == {"date": "2025-12-01", "ids": ["ev_20251201_troops_return"]}
    assert "not seen → seen" in changed.data and "returning home" in changed.data


@pytest.mark.parametrize("module", THEMED, ids=lambda m: m.BRIEF)
def test_each_themed_brief_tracks_three_signposts_or_more_with_a_status(module):
    found = line.evaluate(start(*CURRENT), module)
    assert len(found) >= 3
    assert all(s["status"] in ("seen", "not seen") and (s["evidence"] is None) == (s["status"] == "not seen")
               for s in found)
    assert "<h2>Signposts</h2>" in module.signposts(start(*CURRENT)).data


def test_an_edition_dated_before_the_register_says_nothing_was_recorded():
    ed = start("2019-06-30", "", "2019-01-01", "TLP:CLEAR")
    assert "No signpost had been recorded by 30 Jun 2019" in alliance.signposts(ed).data
    assert "No key assumption had been recorded" in alliance.assumptions(ed).data


def test_the_committed_notebook_records_its_judgments_and_signposts_for_edition_json():
    nb = nbformat.read(ROOT / "notebooks" / "01-dprk-russia-alliance.ipynb", as_version=4)
    said = line.recorded(nb)
    assert [j["id"] for j in said["judgments"]] == [j.id for j in alliance.judgments(start("2025-12-15", "", "",
                                                                                           "TLP:CLEAR"))]
    assert {"id", "likelihood", "confidence", "authored", "reconstructed", "horizon", "text"} <= set(said["judgments"][0])
    assert [s["id"] for s in said["signposts"]] and all("evidence" in s for s in said["signposts"])


def test_judgments_and_signposts_a_notebook_shows_reach_edition_json(project):
    """Kernel output metadata ``briefing_line`` -> execute.BuildResult.line -> the edition's record."""
    from briefing.render import render
    from conftest import write_catalog

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "peninsula-briefs", "display_name": "Python",
                                                           "language": "python"}})
    params = nbformat.v4.new_code_cell('as_of: str = "2025-04-30"\nmarking: str = "TLP:CLEAR"')
    params.metadata["tags"] = ["parameters"]
    said = {"judgments": [{"id": "j-1", "lineage": "j-1", "likelihood": "likely", "text": "X is likely."}],
            "signposts": [{"id": "s-1", "status": "seen", "evidence": {"date": "2025-04-01", "ids": ["ev_1"]}}]}
    show = nbformat.v4.new_code_cell("from IPython.display import HTML, display\n"
                                     f"display(HTML('<p>line</p>', metadata={{'briefing_line': {said!r}}}))")
    nb.cells = [nbformat.v4.new_markdown_cell("# Line"), params, show]
    nbformat.write(nb, project / "notebooks" / "line.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  line: {}\n")
    report = render(project, jobs=1)
    assert report["exit_code"] == 0, report
    record = json.loads((project / "briefs" / "line" / "2025-04-30" / "edition.json").read_text())
    assert record["judgments"] == said["judgments"] and record["signposts"] == said["signposts"]
    assert (project / "briefs" / "line" / "history.html").is_file()


def test_a_changed_register_file_changes_the_render_key(register_copy, project):
    from briefing import cache, catalog

    edition = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))[0]
    before = cache.static_key(edition)
    path = register_copy / "01-dprk-russia-alliance" / "paid-in-kind-2025-12.md"
    path.write_text(path.read_text().replace("confidence: low", "confidence: moderate"))
    assert cache.static_key(edition) != before


def test_a_judgment_shown_after_its_horizon_says_it_is_due_for_review():
    box = seoul.key_judgments(start("2026-07-01", "", "", "TLP:CLEAR")).data
    assert "its check date (30 Jun 2026) has passed: due for review" in box
    assert "due for review" not in seoul.key_judgments(start(*CURRENT)).data


def test_a_history_page_stays_beside_its_marking(tmp_path):
    """An AMBER brief's judgments never reach the public area: its history page lives in _tlp-amber/."""
    from briefing.index import write_index

    briefs = tmp_path / "briefs"
    for area, as_of in (("_tlp-amber", "2025-12-15"), ("_drafts", "2025-12-01")):
        folder = briefs / area / "secret" / as_of
        folder.mkdir(parents=True)
        (folder / "edition.json").write_text(json.dumps({
            "slug": "secret", "as_of": as_of, "status": "ok", "parameters": {"marking": "TLP:AMBER"},
            "judgments": [{"id": "j", "lineage": "j", "likelihood": "likely", "confidence": "low", "text": "Hidden."}]}))
    write_index(briefs, None)
    assert "Hidden." in (briefs / "_tlp-amber" / "secret" / "history.html").read_text()
    assert not (briefs / "secret").exists() and not (briefs / "_drafts" / "secret" / "history.html").exists()
