"""The catalog lists briefs and editions; every parameter set is checked up front."""

from __future__ import annotations

import json

import pytest

from briefing import catalog
from briefing.errors import CatalogError, ParameterError
from conftest import FIXTURES, write_catalog

FIXTURE_CATALOG = FIXTURES / "project" / "notebooks" / "catalog.yml"


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


def test_an_edition_is_published_under_brief_and_as_of(project):
    edition = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))[1]
    assert edition.as_of == "2024-12-31"
    assert edition.folder.as_posix() == "ok/2024-12-31"
    assert edition.label == "ok@2024-12-31"
    assert edition.notebook == project / "notebooks" / "ok.ipynb"


def test_a_brief_with_no_entry_uses_its_own_notebook_and_the_default_formats(project):
    write_catalog(project, "formats: [pdf]\nbriefs:\n  ok:\n  polls_only: {formats: [html, pdf], keywords: [Polls]}\n")
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    assert [(b.slug, b.notebook.name, b.formats, b.keywords, b.editions) for b in briefs] == [
        ("ok", "ok.ipynb", ("pdf",), (), {"current": {}}),
        ("polls_only", "polls_only.ipynb", ("html", "pdf"), ("Polls",), {"current": {}})]


def test_without_formats_a_catalog_renders_every_format(project):
    write_catalog(project, "briefs:\n  ok: {editions: {current: , early: {as_of: '2024-12-31'}}}\n")
    [brief] = catalog.load(project / "notebooks" / "catalog.yml")
    assert brief.formats == ("html", "pdf") and brief.editions == {"current": {}, "early": {"as_of": "2024-12-31"}}


@pytest.mark.parametrize("keywords", ["[1, 2]", "DPRK", "{a: b}"])
def test_keywords_must_be_a_list_of_words(project, keywords):
    write_catalog(project, f"briefs:\n  ok: {{keywords: {keywords}}}\n")
    with pytest.raises(CatalogError, match="keywords must be a list of words"):
        catalog.load(project / "notebooks" / "catalog.yml")


@pytest.mark.parametrize("editions", ["[a, b]", "{a: 1}", "{a: [1]}"])
def test_editions_must_map_names_to_parameters(project, editions):
    write_catalog(project, f"briefs:\n  ok: {{editions: {editions}}}\n")
    with pytest.raises(CatalogError, match="editions must map a name to parameters"):
        catalog.load(project / "notebooks" / "catalog.yml")


def test_check_formats_accepts_a_list_or_tuple_of_known_formats():
    assert catalog.check_formats(["pdf", "html"], "here") == ("pdf", "html")
    assert catalog.check_formats(("html",), "here") == ("html",)
    for bad in ("html", [], ["html", "docx"], None, {"html": 1}):
        with pytest.raises(CatalogError, match=r"^here: formats must be a list of html, pdf, not "):
            catalog.check_formats(bad, "here")


def test_format_override_and_overrides_apply_to_every_chosen_brief(project):
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    editions = catalog.editions(briefs, overrides={"as_of": "2024-06-30", "top": "2"}, formats=("pdf",))
    assert [(e.slug, e.name, e.as_of, e.formats, e.parameters["top"]) for e in editions] == [
        ("ok", "current", "2024-06-30", ("pdf",), 2), ("polls_only", "current", "2024-06-30", ("pdf",), 2)]
    assert [e.slug for e in catalog.editions(briefs, ("polls_only",))] == ["polls_only"]


def test_an_override_on_a_brief_without_a_current_edition_starts_from_the_defaults(project):
    write_catalog(project, "briefs:\n  ok: {editions: {early: {as_of: '2024-12-31', top: 2}}}\n")
    [edition] = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"), overrides={"as_of": "2024-06-30"})
    assert (edition.name, edition.as_of, edition.parameters["top"]) == ("current", "2024-06-30", 5)


def test_a_notebook_without_as_of_is_refused(project):
    nb = json.loads((project / "notebooks" / "ok.ipynb").read_text())
    source = "".join(nb["cells"][1]["source"])
    nb["cells"][1]["source"] = "\n".join(line for line in source.splitlines() if not line.startswith("as_of"))
    (project / "notebooks" / "no_as_of.ipynb").write_text(json.dumps(nb))
    write_catalog(project, "briefs:\n  no_as_of: {}\n")
    with pytest.raises(CatalogError, match="no_as_of.ipynb: declares no 'as_of' parameter"):
        catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))


def test_two_editions_on_one_folder_are_named(project):
    write_catalog(project, "briefs:\n  ok: {editions: {current: {}, again: {as_of: '2025-04-30'}}}\n")
    with pytest.raises(CatalogError, match=r"editions 'current' and 'again' of ok both publish to ok/2025-04-30"):
        catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))


def test_a_missing_catalog_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="catalog.yml"):
        catalog.load(tmp_path / "catalog.yml")
    (tmp_path / "catalog.yml").write_text("")
    with pytest.raises(CatalogError, match="needs a 'briefs:' mapping"):
        catalog.load(tmp_path / "catalog.yml")


def test_refusals_say_where_the_problem_is(project):
    path = project / "notebooks" / "catalog.yml"
    cases = [("formats: [doc]\nbriefs:\n  ok: {}\n", f"{path}: formats: formats must be a list of html, pdf, not ['doc']"),
             ("briefs:\n  ok: {formats: doc}\n", f"{path}: brief 'ok': formats must be a list of html, pdf, not 'doc'"),
             ("briefs:\n  a/b: {}\n", f"{path}: brief 'a/b': a brief's name is its folder in briefs/: "
                                      "letters, digits, '-' and '_' only")]
    for text, message in cases:
        write_catalog(project, text)
        with pytest.raises(CatalogError) as info:
            catalog.load(path)
        assert str(info.value) == message
    briefs = catalog.load(FIXTURE_CATALOG)
    with pytest.raises(CatalogError) as info:
        catalog.editions(briefs, ("nope", "ok"))
    assert str(info.value) == "unknown brief(s) ['nope']; known: ok, polls_only"
    with pytest.raises(CatalogError) as info:
        catalog.editions(briefs, formats=("docx",))
    assert str(info.value) == "--format: formats must be a list of html, pdf, not ('docx',)"


def test_overrides_start_from_the_current_editions_parameters_and_keep_keywords(project):
    write_catalog(project, "briefs:\n  ok: {keywords: [DPRK, troops], editions: {current: {top: 3}, early: {top: 4}}}\n")
    [edition] = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"), overrides={"as_of": "2024-06-30"})
    assert (edition.name, edition.parameters["top"], edition.keywords) == ("current", 3, ("DPRK", "troops"))


# -- publications and drafts -----------------------------------------------------------------------

def _drafts(briefs, names=(), **kw):
    return {e.label: e.draft for e in catalog.editions(briefs, names, **kw)}


def test_catalog_editions_and_todays_scheduled_edition_are_publications(project):
    from datetime import date

    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    assert _drafts(briefs) == {"ok@2025-04-30": False, "ok@2024-12-31": False, "polls_only@2025-04-30": False}
    today = date.today().isoformat()
    assert _drafts(briefs, overrides={"as_of": today}) == {f"ok@{today}": False, f"polls_only@{today}": False}


def test_any_other_parameters_are_drafts_unless_published(project):
    from datetime import date

    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    assert set(_drafts(briefs, overrides={"as_of": "2024-11-30"}).values()) == {True}
    today = date.today().isoformat()
    assert set(_drafts(briefs, overrides={"as_of": today, "marking": "TLP:AMBER"}).values()) == {True}
    assert set(_drafts(briefs, overrides={"as_of": "2024-11-30"}, publish=True).values()) == {False}


def _draft_brief(project, notebook: str) -> list:
    import shutil

    from conftest import ROOT

    shutil.copy(ROOT / "notebooks" / notebook, project / "notebooks" / "copy.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  copy: {draft: true}\n  ok: {}\n")
    return catalog.load(project / "notebooks" / "catalog.yml")


def test_a_draft_brief_is_listed_only_when_named_and_is_always_a_draft(project):
    briefs = _draft_brief(project, "_template.ipynb")
    assert [b.draft for b in briefs] == [True, False]
    assert _drafts(briefs) == {"ok@2025-04-30": False}
    copy_date = next(e.as_of for e in catalog.editions(briefs, ("copy",)))
    assert _drafts(briefs, ("copy",)) == {f"copy@{copy_date} (draft)": True}


def test_a_draft_brief_holding_placeholders_is_refused_for_publication_with_each_named(project):
    briefs = _draft_brief(project, "_template.ipynb")
    with pytest.raises(CatalogError) as caught:
        catalog.editions(briefs, ("copy",), publish=True)
    message = str(caught.value)
    assert message.startswith("brief 'copy' still holds template placeholders (copy.ipynb: ")
    assert message.endswith("); it cannot be published")
    assert "'; copy.ipynb: '" in message, "each placeholder is named, separated by '; '"


def test_a_finished_draft_brief_can_be_published(project):
    import shutil

    shutil.copy(project / "notebooks" / "ok.ipynb", project / "notebooks" / "copy.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  copy: {draft: true}\n")
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    assert set(_drafts(briefs, ("copy",), publish=True).values()) == {False}
    assert set(_drafts(briefs, ("copy",)).values()) == {True}


def test_a_brief_holding_placeholders_must_be_marked_draft(project):
    import shutil

    from conftest import ROOT

    shutil.copy(ROOT / "notebooks" / "_template.ipynb", project / "notebooks" / "copy.ipynb")
    for entry in ("{}", "{draft: false}"):
        write_catalog(project, f"briefs:\n  copy: {entry}\n")
        with pytest.raises(CatalogError) as caught:
            catalog.load(project / "notebooks" / "catalog.yml")
        message = str(caught.value)
        assert message.startswith(f"{project / 'notebooks' / 'catalog.yml'}: brief 'copy' still holds template "
                                  "placeholders (copy.ipynb: ")
        assert "'; copy.ipynb: '" in message
        assert message.endswith("); replace them, or mark the brief 'draft: true'")


def test_draft_must_be_a_boolean(project):
    write_catalog(project, "briefs:\n  ok: {draft: 'yes'}\n")
    with pytest.raises(CatalogError, match=r"catalog.yml: brief 'ok': draft must be true or false$"):
        catalog.load(project / "notebooks" / "catalog.yml")


def test_placeholders_are_sought_in_the_notebook_and_in_its_theme_module(project, monkeypatch):
    import nbformat

    from briefing.scaffold import PLACEHOLDERS

    theme = project / "theme.py"
    theme.write_text('"""A theme."""\n')
    monkeypatch.setattr(catalog, "theme_module", lambda notebook: theme)
    notebook = nbformat.read(project / "notebooks" / "ok.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"## {PLACEHOLDERS[0]}"))
    nbformat.write(notebook, project / "notebooks" / "copy.ipynb")
    write_catalog(project, "briefs:\n  copy: {draft: true}\n")
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    with pytest.raises(CatalogError, match=r"\(copy.ipynb: 'A title that states the judgment'\)"):
        catalog.editions(briefs, ("copy",), publish=True)
    write_catalog(project, "briefs:\n  copy: {}\n")
    with pytest.raises(CatalogError, match=r"\(copy.ipynb: 'A title that states the judgment'\)"):
        catalog.load(project / "notebooks" / "catalog.yml")

    theme.write_text(f'"""{PLACEHOLDERS[1]}"""\n')
    nbformat.write(nbformat.read(project / "notebooks" / "ok.ipynb", as_version=4), project / "notebooks" / "copy.ipynb")
    with pytest.raises(CatalogError, match=r"\(theme.py: 'The bottom line in one sentence'\)"):
        catalog.load(project / "notebooks" / "catalog.yml")
    write_catalog(project, "briefs:\n  copy: {draft: true}\n")
    briefs = catalog.load(project / "notebooks" / "catalog.yml")
    with pytest.raises(CatalogError, match=r"\(theme.py: 'The bottom line in one sentence'\)"):
        catalog.editions(briefs, ("copy",), publish=True)
