"""The cache key covers every input of a brief: change one, and the edition is re-rendered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from briefing import cache, catalog
from briefing.render import render
from conftest import FIXTURES


def statuses(report):
    return {f"{b['brief']}@{b['as_of']}": b["status"] for b in report["briefs"]}


@pytest.fixture
def edition(project):
    return catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"), ("ok",))[0]


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the package's sources that package_fingerprint() reads instead of the real ones."""
    root = tmp_path / "briefing"
    shutil.copytree(Path(cache.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "__file__", str(root / "cache.py"))
    return root


def _fingerprint():
    return cache.package_fingerprint.__wrapped__()  # uncached


@pytest.mark.parametrize("changed", ["publish.py", "templates/index.html.j2", "house.mplstyle"])
def test_editing_any_package_source_or_template_changes_the_package_fingerprint(package_copy, changed):
    before = _fingerprint()
    path = package_copy / changed
    path.write_bytes(path.read_bytes() + b"\n")
    assert _fingerprint() != before


def test_a_new_package_file_changes_the_fingerprint_but_bytecode_does_not(package_copy):
    before = _fingerprint()
    (package_copy / "__pycache__").mkdir()
    (package_copy / "__pycache__" / "cache.cpython-311.pyc").write_bytes(b"bytecode")
    assert _fingerprint() == before, "compiled files are not sources"
    (package_copy / "extra.py").write_text("")
    assert _fingerprint() != before


def test_moving_a_file_within_the_package_changes_the_fingerprint(package_copy):
    before = _fingerprint()
    (package_copy / "index.py").rename(package_copy / "index2.py")
    assert _fingerprint() != before


def test_package_and_library_versions_are_part_of_the_static_key(edition, monkeypatch):
    key = cache.static_key(edition)
    with monkeypatch.context() as m:
        m.setattr(cache, "package_fingerprint", lambda: "another package version")
        assert cache.static_key(edition) != key
    with monkeypatch.context() as m:
        m.setattr(cache, "environment_fingerprint", lambda: "pandas=99.0")
        assert cache.static_key(edition) != key
    assert cache.static_key(edition) == key


@pytest.mark.parametrize("library", ["papermill", "nbclient", "nbconvert", "ipykernel", "pandas", "matplotlib",
                                     "weasyprint"])
def test_upgrading_a_library_that_shapes_a_brief_changes_the_environment_fingerprint(monkeypatch, library):
    import importlib.metadata

    real = importlib.metadata.version
    before = cache.environment_fingerprint.__wrapped__()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0" if name == library else real(name))
    after = cache.environment_fingerprint.__wrapped__()
    assert after != before and f"{library}=99.0" in after


def test_upgrading_the_package_or_a_library_rerenders_every_edition(project, monkeypatch):
    render(project, jobs=2)
    monkeypatch.setattr(cache, "package_fingerprint", lambda: "another package version")
    assert set(statuses(render(project, jobs=2)).values()) == {"held"}, "published editions are never replaced"
    assert set(statuses(render(project, jobs=2, revise=True)).values()) == {"revised"}
    assert set(statuses(render(project, jobs=2)).values()) == {"cached"}
    monkeypatch.setattr(cache, "environment_fingerprint", lambda: "pandas=99.0")
    assert set(statuses(render(project, jobs=2, revise=True)).values()) == {"revised"}


def _edit_cell(path: Path, index: int, **changes):
    nb = json.loads(path.read_text())
    for key, value in changes.items():
        if key == "tags":
            nb["cells"][index].setdefault("metadata", {})["tags"] = value
        else:
            nb["cells"][index][key] = value
    path.write_text(json.dumps(nb))


def test_prose_and_tags_are_part_of_the_notebook_fingerprint(tmp_path):
    nb = tmp_path / "ok.ipynb"
    shutil.copy(FIXTURES / "project" / "notebooks" / "ok.ipynb", nb)
    before = cache.notebook_fingerprint(nb)
    _edit_cell(nb, 0, source="# Troops reported, revised")  # a markdown cell
    prose = cache.notebook_fingerprint(nb)
    assert prose != before
    _edit_cell(nb, 3, tags=["hide-input"])
    assert cache.notebook_fingerprint(nb) != prose
    _edit_cell(nb, 0, cell_type="raw")
    assert cache.notebook_fingerprint(nb) != prose


def test_outputs_and_execution_counts_are_not_part_of_the_notebook_fingerprint(tmp_path):
    nb = tmp_path / "ok.ipynb"
    shutil.copy(FIXTURES / "project" / "notebooks" / "ok.ipynb", nb)
    before = cache.notebook_fingerprint(nb)
    _edit_cell(nb, 2, outputs=[{"output_type": "stream", "name": "stdout", "text": ["3 events\n"]}],
               execution_count=42)
    assert cache.notebook_fingerprint(nb) == before
    spec = json.loads(nb.read_text())
    spec["metadata"]["kernelspec"] = {"name": "python2", "display_name": "Python 2", "language": "python"}
    nb.write_text(json.dumps(spec))
    assert cache.notebook_fingerprint(nb) != before, "another kernel is another brief"


def test_editing_prose_in_a_notebook_rerenders_its_brief(project):
    render(project, jobs=2)
    _edit_cell(project / "notebooks" / "polls_only.ipynb", 0, source="# Polls, revised")
    assert statuses(render(project, jobs=2, revise=True)) == {
        "ok@2025-04-30": "cached", "ok@2024-12-31": "cached", "polls_only@2025-04-30": "revised"}


def test_a_record_of_another_key_a_failed_run_or_a_missing_file_is_not_current(project, edition):
    folder = project / "briefs" / edition.folder
    folder.mkdir(parents=True)
    key, hashes = cache.static_key(edition), cache.table_hashes()
    (folder / "ok.html").write_text("<html></html>")
    (folder / "edition.json").write_text(json.dumps({"key": key, "status": "ok", "files": ["ok.html"],
                                                     "tables": {"events": hashes["events"]}}))
    assert cache.is_current(folder, key, hashes)
    assert not cache.is_current(folder, "another key", hashes)
    assert not cache.is_current(folder, key, {**hashes, "events": "changed"})
    assert cache.is_current(folder, key, {**hashes, "polls": "changed"}), "a table it did not read"
    record_path = folder / "edition.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "status": "failed"}))
    assert not cache.is_current(folder, key, hashes)
    record_path.write_text(json.dumps(record))
    (folder / "ok.html").unlink()
    assert not cache.is_current(folder, key, hashes)
    record_path.write_text("{not json")
    assert not cache.is_current(folder, key, hashes)
    record_path.unlink()
    assert not cache.is_current(folder, key, hashes)


def test_table_hashes_are_content_hashes_of_the_named_tables(project):
    import hashlib

    hashes = cache.table_hashes()
    assert sorted(hashes) == sorted(p.stem for p in (project / "data").glob("*.csv"))
    assert hashes["events"] == hashlib.sha256((project / "data" / "events.csv").read_bytes()).hexdigest()
    assert cache.table_hashes(["polls", "events", "polls"]) == {"events": hashes["events"], "polls": hashes["polls"]}


def test_the_static_key_covers_parameters_formats_and_the_descriptor(project, edition):
    import dataclasses

    key = cache.static_key(edition)
    assert cache.static_key(dataclasses.replace(edition, parameters={**edition.parameters, "top": 6})) != key
    assert cache.static_key(dataclasses.replace(edition, formats=("html", "pdf"))) != key
    descriptor = project / "data" / "datapackage.json"
    descriptor.write_text(descriptor.read_text() + "\n")
    assert cache.static_key(edition) != key


def test_memo_computes_once_per_input_and_recomputes_on_a_broken_entry(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert cache.memo("k", tmp_path, ["a", b"b"], compute) == {"n": 1}
    assert cache.memo("k", tmp_path, ["a", b"b"], compute) == {"n": 1}, "remembered"
    assert cache.memo("k", tmp_path, ["ab", b""], compute) == {"n": 2}, "parts are length-prefixed"
    assert cache.memo("other", tmp_path, ["a", b"b"], compute) == {"n": 3}, "kinds are kept apart"
    [entry] = [p for p in (tmp_path / ".cache" / "briefing").iterdir() if p.name.startswith("k-") and
               json.loads(p.read_text()) == {"n": 1}]
    entry.write_text("{broken")
    assert cache.memo("k", tmp_path, ["a", b"b"], compute) == {"n": 4}
    assert not list((tmp_path / ".cache" / "briefing").glob("*.tmp")), "no temporary left"


def test_memo_still_answers_when_the_cache_cannot_be_written(tmp_path):
    (tmp_path / ".cache").write_text("a file where the folder should be")
    assert cache.memo("k", tmp_path, ["a"], lambda: [1, 2]) == [1, 2]


def test_a_record_without_files_or_tables_lists_is_checked_on_its_key_alone(project, edition):
    folder = project / "briefs" / edition.folder
    folder.mkdir(parents=True)
    key = cache.static_key(edition)
    (folder / "edition.json").write_text(json.dumps({"key": key, "status": "ok"}))
    assert cache.is_current(folder, key, cache.table_hashes())


def test_every_new_memo_entry_is_remembered(tmp_path):
    calls = []
    for parts in (["a"], ["b"], ["c"]):
        for _ in range(2):
            cache.memo("k", tmp_path, parts, lambda: calls.append(1) or len(calls))
    assert len(calls) == 3


def test_the_notebook_fingerprint_ignores_how_the_source_is_split_into_lines(tmp_path):
    nb = json.loads((FIXTURES / "project" / "notebooks" / "ok.ipynb").read_text())
    path = tmp_path / "ok.ipynb"
    path.write_text(json.dumps(nb))
    before = cache.notebook_fingerprint(path)
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell.pop("metadata") if not cell.get("metadata") else None
    path.write_text(json.dumps(nb))
    assert cache.notebook_fingerprint(path) == before, "one string or a list of lines; no metadata or empty"


def test_the_static_key_ignores_parameter_order_and_takes_any_parameter_value(edition):
    import dataclasses
    from datetime import date

    key = cache.static_key(edition)
    reordered = dict(reversed(list(edition.parameters.items())))
    assert cache.static_key(dataclasses.replace(edition, parameters=reordered)) == key
    odd = dataclasses.replace(edition, parameters={**edition.parameters, "when": date(2025, 1, 1), "ids": {"a"}})
    assert cache.static_key(odd) != key


def test_the_register_fingerprint_follows_each_files_name_and_words(tmp_path, monkeypatch):
    root = tmp_path / "judgments"
    (root / "01-x").mkdir(parents=True)
    monkeypatch.setenv("BRIEFING_REGISTER", str(root))
    empty = cache.register_fingerprint()
    (root / "01-x" / "kj-a.md").write_text("The alliance holds.")
    first = cache.register_fingerprint()
    assert first != empty and cache.register_fingerprint() == first
    (root / "01-x" / "kj-a.md").write_text("The alliance likely holds.")
    reworded = cache.register_fingerprint()
    assert reworded != first
    (root / "01-x" / "kj-a.md").rename(root / "01-x" / "kj-b.md")
    assert cache.register_fingerprint() not in (reworded, first)
    (root / "01-x" / "notes.txt").write_text("not a register entry")
    (root / "01-x" / "kj-b.md").rename(root / "01-x" / "kj-a.md")
    assert cache.register_fingerprint() == reworded


def _published_edition(folder: Path, data: Path, **record) -> Path:
    """An edition as the pipeline leaves it: its record, its file and the snapshot of what it showed."""
    from briefing import revision

    folder.mkdir(parents=True)
    (folder / "b.html").write_text("<html></html>")
    record = {"key": "k1", "status": "ok", "files": ["b.html"], "as_of": "2024-12-31",
              "tables": {"events": "h1"}, **record}
    (folder / "edition.json").write_text(json.dumps(record))
    (folder / revision.SNAPSHOT).write_text(json.dumps(revision.snapshot(["events"], "2024-12-31", data)))
    return folder


def test_state_of_an_edition_by_its_record(tmp_path, data_copy, monkeypatch):
    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    assert cache.state(tmp_path / "none", "k1", {"events": "h1"}) == "new"
    ok = _published_edition(tmp_path / "ok", data_copy)
    assert cache.state(ok, "k1", {"events": "h1"}) == "current"
    assert cache.is_current(ok, "k1", {"events": "h1"})
    assert cache.state(ok, "k2", {"events": "h1"}) == "changed"
    failed = _published_edition(tmp_path / "failed", data_copy, status="failed")
    assert cache.state(failed, "k1", {"events": "h1"}) == "changed"
    (ok / "b.html").unlink()
    assert cache.state(ok, "k1", {"events": "h1"}) == "changed"


def test_a_table_that_moved_only_after_as_of_leaves_the_edition_current(tmp_path, data_copy, monkeypatch):
    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    folder = _published_edition(tmp_path / "e", data_copy)
    with open(data_copy / "events.csv", "a", encoding="utf-8") as fh:  # news of 2025: after the edition's as_of
        fh.write("ev_20250501_new,2025-05-01,,day,dprk_russia,statement,DPRK,Russia,,New.,New,worsens,"
                 "confirmed_single,2025-05-01,exact,kbs_a,alliance,\n")
    assert cache.state(folder, "k1", {"events": "h2"}) == "current"
    text = (data_copy / "events.csv").read_text(encoding="utf-8")
    (data_copy / "events.csv").write_text(text.replace("NIS reports troops", "NIS reported troops"), encoding="utf-8")
    assert cache.state(folder, "k1", {"events": "h2"}) == "changed"
    assert not cache.is_current(folder, "k1", {"events": "h2"})


def test_an_edition_whose_snapshot_is_lost_or_broken_is_changed(tmp_path, data_copy, monkeypatch):
    from briefing import revision

    monkeypatch.setenv("BRIEFING_DATA", str(data_copy))
    folder = _published_edition(tmp_path / "e", data_copy)
    (folder / revision.SNAPSHOT).write_text("{half")
    assert cache.state(folder, "k1", {"events": "h2"}) == "changed"
    (folder / revision.SNAPSHOT).unlink()
    assert cache.state(folder, "k1", {"events": "h2"}) == "changed"
    assert cache.state(folder, "k1", {"events": "h1"}) == "current", "no snapshot needed while no table moved"
