"""Rendering the catalog: publish, cache keys, failure isolation, exit codes."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.errors import DataValidationError, LockedError
from briefing.publish import locked
from briefing.render import render
from conftest import write_catalog


def statuses(report):
    return {f"{b['brief']}@{b['as_of']}": b["status"] for b in report["briefs"]}


def test_first_render_publishes_every_edition_and_the_index(project):
    report = render(project, jobs=2)
    assert statuses(report) == {"ok@2025-04-30": "ok", "ok@2024-12-31": "ok", "polls_only@2025-04-30": "ok"}
    briefs = project / "briefs"
    for folder in ("ok/2025-04-30", "ok/2024-12-31", "polls_only/2025-04-30"):
        names = {p.name for p in (briefs / folder).iterdir()}
        assert {"edition.json", f"{folder.split('/')[0]}.html", f"{folder.split('/')[0]}.ipynb"} <= names
    index = (briefs / "index.html").read_text()
    assert 'href="ok/2025-04-30/ok.html"' in index and "Troops reported" in index
    assert json.loads((briefs / "_runs" / "latest.json").read_text())["exit_code"] == 0
    assert not any((briefs / ".staging").iterdir()), "nothing left in staging"


def test_as_of_cut_reaches_the_notebook(project):
    render(project, jobs=1)
    early = (project / "briefs" / "ok" / "2024-12-31" / "ok.html").read_text()
    late = (project / "briefs" / "ok" / "2025-04-30" / "ok.html").read_text()
    assert "1 events known on 2024-12-31" in early and "KCNA confirms" not in early
    assert "2 events known on 2025-04-30" in late and "KCNA confirms" in late


def test_nothing_changed_means_nothing_rerendered(project):
    render(project, jobs=2)
    report = render(project, jobs=2)
    assert set(statuses(report).values()) == {"cached"}
    assert all(b["cache_hit"] for b in report["briefs"])


def test_editing_one_table_rerenders_only_the_briefs_that_read_it(project):
    render(project, jobs=2)
    polls = project / "data" / "polls.csv"
    polls.write_text(polls.read_text().replace(",66,exact,", ",67,exact,"))
    assert statuses(render(project, jobs=2)) == {
        "ok@2025-04-30": "cached", "ok@2024-12-31": "cached", "polls_only@2025-04-30": "held"}
    assert statuses(render(project, jobs=2, revise=True)) == {
        "ok@2025-04-30": "cached", "ok@2024-12-31": "cached", "polls_only@2025-04-30": "revised"}


def test_touching_a_table_without_changing_it_rerenders_nothing(project):
    render(project, jobs=2)
    events = project / "data" / "events.csv"
    events.write_bytes(events.read_bytes())
    assert set(statuses(render(project, jobs=2)).values()) == {"cached"}


def test_parameters_and_notebook_code_are_part_of_the_key(project):
    render(project, jobs=2)
    assert statuses(render(project, ("ok",), overrides={"as_of": "2025-04-30", "top": "3"}))["ok@2025-04-30"] == "draft"
    nb = project / "notebooks" / "polls_only.ipynb"
    nb.write_text(nb.read_text().replace("'polls'", "'opinion polls'"))
    assert statuses(render(project, ("polls_only",)))["polls_only@2025-04-30"] == "held"
    assert statuses(render(project, ("polls_only",), revise=True))["polls_only@2025-04-30"] == "revised"


def test_force_never_replaces_a_published_edition(project):
    render(project, jobs=2)
    before = {p: p.read_bytes() for p in (project / "briefs" / "ok").rglob("*") if p.is_file()}
    assert set(statuses(render(project, jobs=2, force=True)).values()) == {"held"}
    assert {p: p.read_bytes() for p in (project / "briefs" / "ok").rglob("*") if p.is_file()} == before
    assert set(statuses(render(project, ("ok",), overrides={"top": "3"}, force=True)).values()) == {"draft"}


def test_as_of_override_compares_with_the_latest_earlier_edition(project):
    render(project, ("ok",), jobs=2)
    render(project, ("ok",), overrides={"as_of": "2025-06-30"})
    record = json.loads((project / "briefs" / "_drafts" / "ok" / "2025-06-30" / "edition.json").read_text())
    assert record["parameters"]["previous_edition"] == "2025-04-30"


@pytest.mark.parametrize(("notebook", "ename", "cell"), [
    ("raises", "ValueError", 3),
    ("exits", "DeadKernelError", 2),
    ("hangs", "CellTimeoutError", 2),
])
def test_a_failing_brief_keeps_its_last_good_edition_and_spares_the_others(project, notebook, ename, cell):
    write_catalog(project, "formats: [html]\nbriefs:\n  flaky: {notebook: ok.ipynb}\n  polls_only: {}\n")
    render(project, jobs=2)
    published = project / "briefs" / "flaky" / "2025-04-30"
    before = {p.name: p.read_bytes() for p in published.iterdir()}
    assert {"flaky.html", "flaky.ipynb", "edition.json"} <= set(before)
    write_catalog(project, f"formats: [html]\nbriefs:\n  flaky: {{notebook: {notebook}.ipynb}}\n  polls_only: {{}}\n")
    polls = project / "data" / "polls.csv"
    polls.write_text(polls.read_text().replace(",66,exact,", ",67,exact,"))
    report = render(project, jobs=2, timeout=5, revise=True)
    assert report["exit_code"] == 1
    failed = next(b for b in report["briefs"] if b["brief"] == "flaky")
    assert failed["status"] == "failed"
    assert failed["error"]["ename"] == ename and failed["error"]["cell"] == cell
    assert failed["error"]["notebook"] == f"{notebook}.ipynb"
    assert failed["error"]["kept"] == ["_failed/flaky/2025-04-30/flaky.ipynb"]
    kept = json.loads((project / "briefs" / failed["error"]["kept"][0]).read_text())
    title = "".join(json.loads((project / "notebooks" / f"{notebook}.ipynb").read_text())["cells"][0]["source"])
    assert title in ["".join(c["source"]) for c in kept["cells"]], "the failed run's own notebook is kept"
    assert {p.name: p.read_bytes() for p in published.iterdir()} == before, "every published file is untouched"
    assert statuses(report)["polls_only@2025-04-30"] == "revised"
    runs = (project / "briefs" / "_runs" / "index.html").read_text()
    assert '<td class="status-failed">failed</td>' in runs
    assert f"{notebook}.ipynb, cell {cell}: <code>{ename}: " in runs
    assert 'href="../_failed/flaky/2025-04-30/flaky.ipynb"' in runs
    assert ename not in (project / "briefs" / "index.html").read_text(), "run status is for operators only"


def test_invalid_data_refuses_to_run_and_changes_nothing(project):
    render(project, jobs=2)
    snapshot = {p: p.read_bytes() for p in (project / "briefs").rglob("*") if p.is_file()}
    events = project / "data" / "events.csv"
    events.write_text(events.read_text().replace("2024-10-18,,day", "2024-10-99,,day"))
    with pytest.raises(DataValidationError, match="events.csv:2: date_start"):
        render(project, jobs=2)
    assert {p: p.read_bytes() for p in (project / "briefs").rglob("*") if p.is_file()} == snapshot


def test_data_are_checked_beside_the_warm_up_and_bad_data_still_stop_the_run(project, monkeypatch):
    """A cold check runs in a process of its own while this one imports what builds need; its verdict is
    raised here, and if that process dies the check runs here."""
    import briefing.render as render_module

    warmed = []
    monkeypatch.setattr(render_module, "warm_up", lambda: warmed.append(1))
    events = project / "data" / "events.csv"
    events.write_text(events.read_text().replace("2024-10-18,,day", "2024-10-99,,day"))
    with pytest.raises(DataValidationError, match="events.csv:2: date_start"):
        render(project, jobs=1)
    assert warmed == [1], "the warm-up ran beside the check"
    monkeypatch.setattr(render_module, "_check_child", lambda data, writer: os._exit(1))
    events.write_text(events.read_text().replace("2024-10-99,,day", "2024-10-98,,day"))
    with pytest.raises(DataValidationError, match="events.csv:2: date_start"):
        render(project, jobs=1)
    assert not (project / "briefs" / "_runs").exists(), "no run started"


def test_a_run_with_nothing_to_build_does_not_warm_up(project, monkeypatch):
    import briefing.render as render_module

    render(project, jobs=1)
    warmed = []
    monkeypatch.setattr(render_module, "warm_up", lambda: warmed.append(1))
    assert set(statuses(render(project, jobs=1)).values()) == {"cached"}
    assert warmed == [], "data already checked, nothing to build: no imports, the no-change run stays under a second"


def test_a_held_lock_stops_a_second_run(project):
    with locked(project / "briefs"):
        with pytest.raises(LockedError, match="another render holds"):
            render(project, jobs=1)


def test_cli_exit_codes(project):
    runner = CliRunner()
    result = runner.invoke(main, ["render", "ok", "--as-of", "2025-04-30"])
    assert result.exit_code == 0, result.output
    assert "1 rendered, 0 unchanged, 0 failed" in result.output
    result = runner.invoke(main, ["render", "-p", "as_off=2025-01-01"])
    assert result.exit_code == 2 and "parameter 'as_off': unknown parameter" in result.output
    result = runner.invoke(main, ["render", "nope"])
    assert result.exit_code == 2 and "unknown brief" in result.output
    write_catalog(project, "formats: [html]\nbriefs:\n  raises: {}\n")
    assert runner.invoke(main, ["render"]).exit_code == 1


def test_cli_list_and_params(project):
    runner = CliRunner()
    listing = runner.invoke(main, ["list"]).output
    assert "ok" in listing and "early" in listing and "as_of=2024-12-31" in listing
    params = runner.invoke(main, ["params", "notebooks/ok.ipynb"]).output
    assert "top: int = 5  # rows to show" in params


def test_a_worker_that_dies_fails_only_its_own_edition(project, monkeypatch):
    import os

    from briefing import render as render_module

    real_build = render_module.build

    def build(edition, *args, **kwargs):
        if edition.slug == "polls_only":
            os._exit(3)  # the build process itself dies, not only the kernel
        return real_build(edition, *args, **kwargs)

    monkeypatch.setattr(render_module, "build", build)
    report = render(project, jobs=2)
    assert statuses(report) == {"ok@2025-04-30": "ok", "ok@2024-12-31": "ok", "polls_only@2025-04-30": "failed"}
    failed = next(b for b in report["briefs"] if b["status"] == "failed")
    assert failed["error"]["ename"] == "WorkerDied" and "code 3" in failed["error"]["evalue"]


def test_a_changed_descriptor_rerenders(project):
    render(project, jobs=2)
    descriptor = project / "data" / "datapackage.json"
    descriptor.write_text(descriptor.read_text().replace('"Stable key, lower case."', '"Stable key."'))
    assert set(statuses(render(project, jobs=2)).values()) == {"held"}
    assert set(statuses(render(project, jobs=2, revise=True)).values()) == {"revised"}


def test_a_notebook_reading_data_around_the_loader_depends_on_every_table(project):
    nb = project / "notebooks" / "polls_only.ipynb"
    nb.write_text(nb.read_text().replace("from briefing import data", "import pandas as pd").replace(
        "data.known_on(data.polls(), as_of)", "pd.read_csv('../data/polls.csv')"))
    write_catalog(project, "formats: [html]\nbriefs:\n  polls_only: {}\n")
    first = render(project, jobs=1)
    assert first["briefs"][0]["tables"] == sorted(["claims", "crosscheck", "events", "flows", "indicator_meta",
                                                   "indicators", "polls", "sanctions", "sources"])
    events = project / "data" / "events.csv"
    events.write_text(events.read_text().replace("NIS reports", "NIS said"))
    assert statuses(render(project, jobs=1, revise=True)) == {"polls_only@2025-04-30": "revised"}


def test_the_pages_are_rewritten_when_something_is_published_and_only_then(project, monkeypatch):
    render(project, jobs=1)
    index = project / "briefs" / "index.html"
    index.write_text(index.read_text() + "<!-- untouched -->")
    render(project, jobs=1)  # nothing to build: the pages stay (a no-change run stays well under a second)
    assert index.read_text().endswith("<!-- untouched -->")
    events = project / "data" / "events.csv"
    events.write_text(events.read_text().replace("NIS reports troops sent to Russia.", "NIS reports troops sent."))
    assert "revised" in statuses(render(project, jobs=1, revise=True)).values()
    assert not index.read_text().endswith("<!-- untouched -->"), "a revision is a publication: pages rewritten"
    index.write_text(index.read_text() + "<!-- untouched -->")
    import briefing.cache

    monkeypatch.setattr(briefing.cache, "package_fingerprint", lambda: "another version of the software")
    render(project, jobs=1)
    assert not index.read_text().endswith("<!-- untouched -->"), "other software, other pages"
