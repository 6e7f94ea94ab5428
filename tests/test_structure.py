"""One owner per concept, and the analyst's everyday paths: formats, labels, escaping, scaffold, refresh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbconvert.exporters import get_exporter

from briefing import brief, data, formats
from briefing.catalog import load
from briefing.datapackage import descriptor
from briefing.edition import EditionRuleError, Window, window_rules
from briefing.validate import validate
from conftest import ROOT

BRIEFING = Path(sys.executable).with_name("briefing")
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _env():
    return {k: v for k, v in os.environ.items() if k != "BRIEFING_DATA"}


# -- formats -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(formats.FORMATS))
def test_each_registered_format_is_an_nbconvert_exporter_with_its_extension_and_type(name):
    fmt = formats.FORMATS[name]
    exporter = get_exporter(fmt.exporter)()
    assert exporter.file_extension == fmt.extension
    assert exporter.output_mimetype == fmt.media_type


def test_the_catalog_accepts_exactly_the_registered_formats(tmp_path):
    from briefing.catalog import check_formats
    from briefing.errors import CatalogError

    assert check_formats(list(formats.FORMATS), "x") == tuple(formats.FORMATS)
    with pytest.raises(CatalogError, match="formats must be a list of html, pdf"):
        check_formats(["docx"], "x")


def test_export_writes_every_format_from_the_registry(tmp_path, monkeypatch):
    from briefing import execute

    calls = []
    fake = formats.Format("txt", "brief", ".txt", "text/plain", lambda html: calls.append(html) or b"plain")
    monkeypatch.setitem(formats.FORMATS, "txt", fake)
    nb = nbformat.read(ROOT / "tests" / "fixtures" / "notebooks" / "executed_brief.ipynb", as_version=4)
    written = execute._export(nb, ("html", "txt"), tmp_path, "brief")
    assert written == ["brief.html", "brief.txt"]
    assert (tmp_path / "brief.txt").read_bytes() == b"plain"
    assert calls == [(tmp_path / "brief.html").read_text()], "every format is made from the one HTML rendering"


# -- labels beside codes -------------------------------------------------------------------------

def test_every_labelled_code_has_exactly_one_label_in_the_data_package():
    for resource in descriptor(ROOT / "data")["resources"]:
        for field in resource["schema"]["fields"]:
            if "categories" in field:
                assert [c["value"] for c in field["categories"]] == field["constraints"]["enum"]
    assert data.labels("theme")["trilateral_trump"] == "Trilateral ties and the Trump factor"


def test_a_code_without_a_label_is_a_validation_error(data_copy):
    package = json.loads((data_copy / "datapackage.json").read_text())
    events = next(r for r in package["resources"] if r["name"] == "events")
    theme = next(f for f in events["schema"]["fields"] if f["name"] == "theme")
    theme["categories"] = theme["categories"][1:]
    (data_copy / "datapackage.json").write_text(json.dumps(package))
    problems = [str(p) for p in validate(data_copy)]
    assert "datapackage.json:: events.theme: 'dprk_russia': in enum but has no label in categories" in problems


def test_generated_labels_keep_proper_nouns(monkeypatch):
    ed = Window.checked("2025-12-15", marking="TLP:CLEAR")
    frame = pd.DataFrame({"quantity": ["dprk_shells"], "item": ["air_defence"]})
    html = brief.table(ed, frame, {"quantity": "Quantity", "item": "Item"}, "Labels").data
    assert "<td>North Korean artillery shells sent to Russia</td>" in html
    assert "<td>Air defence</td>" in html


# -- escaping by construction -------------------------------------------------------------------

def test_sources_list_and_source_line_escape_every_field(data_copy, monkeypatch):
    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    sources = pd.read_csv(data_copy / "sources.csv", dtype=str, keep_default_na=False)
    for column in ("publisher", "title", "original_claimant", "host"):
        sources[column] = HOSTILE
    sources["url"] = 'https://example.org/"><script>alert(3)</script>'
    sources.to_csv(data_copy / "sources.csv", index=False)
    data._load.cache_clear()
    ed = Window.checked("2025-12-15", marking="TLP:CLEAR")
    line = brief.table(ed, data.events(), {"summary": "Summary"}, "Events").data
    listing = brief.sources_cited(ed).data
    for html in (line, listing):
        assert "<script>" not in html and "<img" not in html and "onerror=\"" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://example.org/&#34;&gt;&lt;script&gt;' in listing
    data._load.cache_clear()


def test_header_escapes_and_carries_its_window_as_metadata():
    ed = Window.checked("2025-12-15", marking="TLP:AMBER")
    shown = brief.header(ed, HOSTILE, "Bottom & line")
    assert "<script>" not in shown.data and "Bottom &amp; line" in shown.data
    assert shown.metadata["briefing"] == {"title": HOSTILE, "description": "Bottom & line", "as_of": "2025-12-15",
                                          "since": "2025-12-15", "previous_edition": "2025-11-15",
                                          "marking": "TLP:AMBER", "record_end": ed.record_end}


# -- the edition window: one set of rules ---------------------------------------------------------

def test_window_rules_derive_defaults_from_as_of_and_refuse_inconsistent_values():
    assert window_rules("2024-03-31", marking="TLP:CLEAR", default_since="2022-02-24") == {
        "as_of": "2024-03-31", "since": "2022-02-24", "previous_edition": "2024-02-29", "marking": "TLP:CLEAR"}
    assert window_rules("2021-01-01", marking="TLP:CLEAR", default_since="2022-02-24")["since"] == "2021-01-01"
    assert window_rules("0001-02-28", marking="TLP:CLEAR")["previous_edition"] == "0001-01-28"
    with pytest.raises(EditionRuleError, match="leaves no earlier date"):
        window_rules("0001-01-15", marking="TLP:CLEAR")
    for values, name in ((dict(since="2024-04-01"), "since"), (dict(previous_edition="2024-03-31"), "previous_edition"),
                         (dict(previous_edition="31/03/2024"), "previous_edition"), (dict(marking=None), "marking"),
                         (dict(marking="TLP:WHITE"), "marking")):
        with pytest.raises(EditionRuleError) as err:
            window_rules("2024-03-31", **{"marking": "TLP:CLEAR", **values})
        assert err.value.name == name


def test_plain_papermill_with_only_as_of_gives_a_consistent_window(tmp_path):
    nb = ROOT / "notebooks" / "02-seoul-response.ipynb"
    out = tmp_path / "out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(nb), str(out), "-p", "as_of", "2024-06-30",
                    "--cwd", str(nb.parent), "--no-progress-bar"], capture_output=True, check=True, env=_env())
    text = json.dumps([c.get("outputs", []) for c in nbformat.read(out, as_version=4).cells])
    assert "Between the previous edition (30 May 2024) and this one (30 Jun 2024)" in text


def test_plain_papermill_with_since_after_as_of_stops_in_the_first_cell_in_one_line(tmp_path):
    nb = ROOT / "notebooks" / "02-seoul-response.ipynb"
    result = subprocess.run([sys.executable, "-m", "papermill", str(nb), str(tmp_path / "out.ipynb"),
                             "-p", "as_of", "2024-06-30", "-p", "since", "2025-01-01", "--cwd", str(nb.parent),
                             "--no-progress-bar"], capture_output=True, text=True, env=_env())
    assert result.returncode != 0
    assert "EditionRuleError: parameter 'since': 2025-01-01 is after as_of (2024-06-30)" in result.stderr
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    failed = [i for i, c in enumerate(executed.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    first_code = next(i for i, c in enumerate(executed.cells)
                      if c.cell_type == "code" and not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", [])))
    assert failed == [first_code]


# -- the analyst's paths: scaffold, refresh, pytest from anywhere --------------------------------

def _project(tmp_path) -> Path:
    root = tmp_path / "project"
    for folder in ("notebooks", "data", "tests"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root


def test_new_scaffolds_a_draft_brief_that_runs_and_is_held_back_until_its_placeholders_go(tmp_path):
    root = _project(tmp_path)
    env = {**_env(), "PYTHONPATH": str(root / "src")}
    made = subprocess.run([BRIEFING, "new", "05-china-factor"], cwd=root, capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    for path in ("notebooks/05-china-factor.ipynb", "src/briefing/themes/china_factor.py",
                 "tests/test_theme_china_factor.py"):
        assert (root / path).is_file(), path
    briefs = load(root / "notebooks" / "catalog.yml")
    assert [b.draft for b in briefs if b.slug == "05-china-factor"] == [True]
    cells = json.loads((root / "notebooks/05-china-factor.ipynb").read_text())["cells"]
    annexes = ["".join(c["source"]).split("\n")[0] for c in cells if "annex" in c["metadata"].get("tags", [])]
    assert annexes == ["## Evidence", "## Key assumptions and alternatives", "## Estimative language and method",
                       "## Sources"], "a new brief starts with the two-page main body and its annexes"
    calls = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert calls.index("theme.changes(ed)") < calls.index("theme.events(ed)") < calls.index("brief.sources_cited(ed)")
    listed = subprocess.run([BRIEFING, "list"], cwd=root, capture_output=True, text=True, env=env).stdout
    assert "05-china-factor" not in listed and "01-dprk-russia-alliance" in listed
    again = subprocess.run([BRIEFING, "new", "05-china-factor"], cwd=root, capture_output=True, text=True, env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "tests/test_theme_china_factor.py"], cwd=root, capture_output=True, text=True, env=env)
    assert test.returncode == 0, test.stdout[-2000:]
    catalog = root / "notebooks" / "catalog.yml"
    catalog.write_text(catalog.read_text().replace("    draft: true  # until its placeholders are replaced\n", "    {}\n"))
    refused = subprocess.run([BRIEFING, "list"], cwd=root, capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "still holds template placeholders" in refused.stderr


def test_refresh_validates_first_and_refuses_unknown_names(tmp_path):
    root = _project(tmp_path)
    events = root / "data" / "events.csv"
    events.write_text(events.read_text().replace("2023-09-13,", "2023-09-32,", 1))
    bad = subprocess.run([BRIEFING, "refresh"], cwd=root, capture_output=True, text=True, env=_env())
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "events.csv:" in bad.stderr and "date_start: '2023-09-32': not a date YYYY-MM-DD" in bad.stderr
    unknown = subprocess.run([BRIEFING, "refresh", "nonexistent"], cwd=root, capture_output=True, text=True,
                             env=_env())
    assert unknown.returncode == 2 and "unknown notebook(s) ['nonexistent']" in unknown.stderr


def test_pytest_runs_from_the_notebooks_folder():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "04-seoul-russia-policy.ipynb"], cwd=ROOT / "notebooks", capture_output=True, text=True,
                            env=_env())
    assert result.returncode == 0, result.stdout[-2000:]
    assert " passed" in result.stdout


def test_committed_notebooks_carry_no_image_payloads_but_keep_alt_text():
    alts = 0
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                assert not {"image/png", "image/jpeg"} & set(output.get("data", {})), path.name
                alts += "Range chart" in output.get("data", {}).get("text/plain", "") or "Timeline" in output.get(
                    "data", {}).get("text/plain", "")
    assert alts >= 3
