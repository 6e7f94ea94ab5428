"""The real notebooks: clean for git, typed parameters, as-known-on, nbval sensitivity."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from offline import offline_violations

from briefing import data
from briefing.catalog import load
from briefing.notebooks import NOISY_CELL_KEYS, NOISY_NOTEBOOK_KEYS, themed
from briefing.params import declared
from briefing.render import render
from conftest import ROOT

NOTEBOOKS = themed(ROOT / "notebooks") + [ROOT / "notebooks" / "_template.ipynb"]
STANDARD = {"as_of": "str", "since": "str", "previous_edition": "str", "marking": "str"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_carry_outputs_but_no_execution_noise(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "peninsula-briefs"
    assert not set(NOISY_NOTEBOOK_KEYS) & set(nb.metadata)
    for cell in nb.cells:
        assert not set(NOISY_CELL_KEYS) & set(cell.metadata), cell.source[:40]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "run `make refresh` to store outputs"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_typed_and_documented(path):
    params = declared(path)
    assert {name: p.type for name, p in params.items() if name in STANDARD} == STANDARD
    assert all(p.help for p in params.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_stay_thin(path):
    """Narrative and calls: no code cell longer than a few lines, no function definitions."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= 5 and "def " not in cell.source, cell.source


def test_catalog_lists_every_themed_notebook():
    briefs = load(ROOT / "notebooks" / "catalog.yml")
    assert sorted(b.notebook.name for b in briefs) == sorted(p.name for p in themed(ROOT / "notebooks"))


def test_papermill_cli_lists_and_injects_the_parameters(tmp_path):
    nb = ROOT / "notebooks" / "03-trilateral-and-trump.ipynb"
    listing = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(nb)],
                             capture_output=True, text=True, check=True).stdout
    assert "as_of: str (default \"2025-12-15\")" in listing
    out = tmp_path / "out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(nb), str(out), "-p", "as_of", "2024-06-30",
                    "--cwd", str(nb.parent), "--no-progress-bar"], capture_output=True, check=True)
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(out, as_version=4).cells])
    raid = data.events().set_index("event_id").loc["ev_20250904_georgia_plant_raid", "summary"]
    assert "Freedom Edge" in outputs and json.dumps(html.escape(raid))[1:-1] not in outputs


def _project_copy(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns(".*"))
    return root


def test_a_changed_data_value_fails_nbval_until_refreshed(tmp_path):
    root = _project_copy(tmp_path)
    claims = root / "data" / "claims.csv"
    claims.write_text(claims.read_text().replace(",15000,,persons,2025-04-30", ",16000,,persons,2025-04-30"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "-o", "addopts=",
         "-o", "filterwarnings=", str(root / "notebooks" / "01-dprk-russia-alliance.ipynb")],
        capture_output=True, text=True, cwd=root, env={**_env(), "BRIEFING_DATA": str(root / "data")})
    assert result.returncode == 1, result.stdout[-2000:]
    assert "16,000" in result.stdout and "15,000" in result.stdout


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "BRIEFING_DATA"}


def test_a_2024_edition_shows_nothing_reported_later(tmp_path, monkeypatch):
    root = _project_copy(tmp_path)
    monkeypatch.setenv("BRIEFING_DATA", str(root / "data"))
    monkeypatch.chdir(root)
    report = render(root, overrides={"as_of": "2024-06-30"}, formats=("html",), jobs=2)
    assert report["counts"]["failed"] == 0, report
    cutoff = pd.Timestamp("2024-06-30")
    later_events = data.events()[data.events()["reported_on"] > cutoff]
    claims = data.claims()
    later_claims = claims[claims["reported_on"] > cutoff]
    early_ids = {sid for name in data.FACT_TABLES for _, row in data.load(name).iterrows()
                 if row["reported_on"] <= cutoff for sid in data.split_ids(row["source_ids"])}
    pages = sorted((root / "briefs" / "_drafts").glob("*/2024-06-30/*.html"))
    assert len(pages) == report["counts"]["draft"] == len(_catalog_slugs(root)), "an ad-hoc date: a draft of every brief"
    for page in pages:
        text = html.unescape(page.read_text())
        for summary in later_events["summary"]:
            assert summary not in text, (page.name, summary)
        for _, claim in later_claims.iterrows():
            assert f"{claim['claimant']}, {claim['claim_date']:%-d %b %Y}" not in text
        cited = {c.split('"')[0] for c in page.read_text().split('id="src-')[1:]}
        assert cited and cited <= early_ids, (page.name, cited - early_ids)
    record = json.loads((root / "briefs" / "_drafts" / "01-dprk-russia-alliance" / "2024-06-30" / "edition.json")
                        .read_text())
    assert record["parameters"]["as_of"] == "2024-06-30" and record["draft"] is True


def test_an_edition_before_the_data_starts_says_so(tmp_path, monkeypatch):
    root = _project_copy(tmp_path)
    monkeypatch.setenv("BRIEFING_DATA", str(root / "data"))
    monkeypatch.chdir(root)
    report = render(root, overrides={"as_of": "2019-06-30"}, formats=("html",), jobs=2, publish_drafts=True)
    briefs = len(load(root / "notebooks" / "catalog.yml"))
    assert report["counts"]["draft"] + report["counts"]["ok"] == briefs and report["counts"]["draft"] >= 1, report
    for entry in report["briefs"]:
        folder = root / "briefs" / entry["folder"]
        page = (folder / f"{entry['brief']}.html").read_text()
        assert "Too little had been reported by 30 Jun 2019" in page, entry["brief"]
        assert offline_violations(page) == []
        cited = page.count('id="src-')
        if entry["status"] == "draft":  # an empty edition is never published, even with --publish
            assert cited == 0 and "nothing on record for this brief" in entry["note"]
            assert entry["folder"].startswith("_drafts/") and not (root / "briefs" / entry["brief"] / "2019-06-30").exists()
        else:
            assert cited > 0 and entry["status"] == "ok"


def test_real_briefs_render_offline_html_and_paged_pdf(tmp_path, monkeypatch):
    from pypdf import PdfReader

    root = _project_copy(tmp_path)
    monkeypatch.setenv("BRIEFING_DATA", str(root / "data"))
    monkeypatch.chdir(root)
    report = render(root, ("04-seoul-russia-policy",), overrides={"as_of": "2025-12-15"}, jobs=1)
    assert report["counts"]["ok"] == 1, report
    folder = root / "briefs" / "04-seoul-russia-policy" / "2025-12-15"
    page = (folder / "04-seoul-russia-policy.html").read_text()
    assert offline_violations(page) == [] and offline_violations((root / "briefs" / "index.html").read_text()) == []
    assert page.count("<h1") == 1 and '<html lang="en"' in page
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), "no skipped heading level"
    assert "<th" in page and 'scope="col"' in page
    assert 'alt="No description has been provided' not in page
    reader = PdfReader(folder / "04-seoul-russia-policy.pdf")
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert "TLP:CLEAR" in first and f"Page 1 of {len(reader.pages)}" in first
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    assert reader.metadata.title.startswith("Seoul is keeping a door open to Moscow")
    assert reader.metadata.subject.startswith("A former ambassador to Moscow now advises President Lee")
    assert "export controls" in reader.metadata["/Keywords"]
    assert reader.outline, "bookmarks from headings"


def _catalog_slugs(root) -> list[str]:
    import yaml

    return list(yaml.safe_load((root / "notebooks" / "catalog.yml").read_text())["briefs"])
