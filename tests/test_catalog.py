"""The catalog lists briefs and editions; every parameter set is checked up front."""

from __future__ import annotations

import pytest

from briefing import catalog
from briefing.errors import CatalogError, ParameterError

from conftest import write_catalog


def test_editions_resolve_defaults_and_named_sets(project):
    editions = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))
    assert [(e.slug, e.name, e.as_of) for e in editions] == [
        ("ok", "current", "2025-04-30"), ("ok", "early", "2024-12-31"), ("polls_only", "current", "2025-04-30")]
    assert editions[1].parameters["previous_edition"] == "2024-06-30"
    assert editions[0].formats == ("html",)


def test_overrides_render_only_current_editions(project):
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    editions = catalog.editions(briefs, ("ok",), {"as_of": "2024-06-30"})
    assert [(e.name, e.as_of) for e in editions] == [("current", "2024-06-30")]


def test_a_bad_parameter_anywhere_fails_the_whole_catalog(project):
    write_catalog(project, "briefs:\n  ok: {editions: {current: {}, bad: {as_of: nope}}}\n  polls_only: {}\n")
    with pytest.raises(ParameterError, match="as_of"):
        catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))


@pytest.mark.parametrize(("text", "message"), [
    ("briefs: {}\n", "at least one brief"),
    ("briefs:\n  missing: {}\n", "missing.ipynb not found"),
    ("briefs:\n  ok: {formats: [docx]}\n", "formats must be a list of html, pdf"),
    ("formats: 5\nbriefs:\n  ok: {}\n", "formats must be a list"),
    ("- just\n- a list\n", "needs a 'briefs:' mapping"),
    ("briefs:\n  ok: [1]\n", "expected a mapping"),
    ("briefs:\n  ok: {colour: red}\n", "unknown key"),
    ("briefs:\n  ok: {editions: {a: {}, b: {}}}\n", "both publish to"),
    ("briefs: [\n", "catalog.yml"),
    ("briefs:\n  ../../outside: {notebook: ok.ipynb}\n", "letters, digits"),
    ("briefs:\n  123: {notebook: ok.ipynb}\n", "letters, digits"),
    ("briefs:\n  ok: {notebook: [ok.ipynb]}\n", "notebook must be a file name"),
    ("briefs:\n  ok: {null: 1, true: 2, colour: 3}\n", r"unknown key\(s\) \['None', 'True', 'colour'\]"),
])
def test_malformed_catalogs_are_rejected(project, text, message):
    write_catalog(project, text)
    with pytest.raises(CatalogError, match=message):
        catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))


def test_unknown_brief_name(project):
    with pytest.raises(CatalogError, match="unknown brief"):
        catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"), ("nope",))


def test_cli_formats_are_checked(project):
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    with pytest.raises(CatalogError, match="--format"):
        catalog.editions(briefs, formats=("html", "docx"))
    with pytest.raises(CatalogError, match="--format"):
        catalog.editions(briefs, formats=())
