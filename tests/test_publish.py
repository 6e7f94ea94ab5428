"""Publishing helpers: atomic writes, retention, the lock, the index."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from briefing import publish
from briefing.errors import LockedError
from briefing.index import build_index, write_index


def _edition(briefs, slug, as_of):
    folder = briefs / slug / as_of
    folder.mkdir(parents=True)
    (folder / f"{slug}.html").write_text("<html></html>")
    (folder / "edition.json").write_text(json.dumps({"slug": slug, "as_of": as_of, "edition": "current",
                                                      "files": [f"{slug}.html"], "parameters": {}}))


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "index.html"
    publish.write_atomic(target, "<html>new</html>")
    publish.write_atomic(target, b"<html>newer</html>")
    assert target.read_text() == "<html>newer</html>"
    assert [p.name for p in target.parent.iterdir()] == ["index.html"]


def test_prune_keeps_the_newest_and_the_protected(tmp_path):
    for as_of in ("2024-06-30", "2025-01-31", "2025-02-28", "2025-03-31"):
        _edition(tmp_path, "brief", as_of)
    removed = publish.prune(tmp_path, keep=2, protect={"brief/2024-06-30"})
    assert removed == ["brief/2025-01-31"]
    assert sorted(p.name for p in (tmp_path / "brief").iterdir()) == ["2024-06-30", "2025-02-28", "2025-03-31"]


def test_second_lock_holder_is_refused_with_the_holder_named(tmp_path):
    with publish.locked(tmp_path):
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            with publish.locked(tmp_path):
                pass


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path, caplog):
    (tmp_path / ".lock").touch()
    (tmp_path / ".lock.json").write_text(json.dumps({"pid": 999999999, "started": "2025-01-01T00:00:00+00:00"}))
    (tmp_path / ".staging" / "123" / "brief").mkdir(parents=True)
    with publish.locked(tmp_path):
        assert not (tmp_path / ".staging").exists(), "leftovers of the dead run are cleared"
    assert "took over the lock left by pid 999999999" in caplog.text
    assert not (tmp_path / ".lock.json").exists()


def test_report_history_is_kept_and_bounded(tmp_path):
    for second in range(5):
        publish.write_report(tmp_path, {"started": f"2025-01-01T00:00:0{second}+00:00", "status": "ok"}, keep=3)
    runs = sorted(p.name for p in (tmp_path / "_runs").iterdir())
    assert len(runs) == 4 and "latest.json" in runs
    assert json.loads((tmp_path / "_runs" / "latest.json").read_text())["started"].endswith("04+00:00")


def test_index_escapes_everything_it_shows(tmp_path):
    _edition(tmp_path, "brief", "2025-01-31")
    report = {"started": "s", "finished": "f", "seconds": 1, "status": "failed",
              "counts": {"ok": 0, "cached": 0, "failed": 1},
              "briefs": [{"brief": "brief", "edition": "current", "as_of": "2025-01-31", "status": "failed",
                          "seconds": 1, "error": {"notebook": "x.ipynb", "cell": 3, "ename": "ValueError",
                                                  "evalue": "<script>alert(1)</script>", "kept": []}}]}
    write_index(tmp_path, report)
    page = (tmp_path / "_runs" / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "cell 3" in page and "The last good edition stays published" in page
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "alert(1)" not in build_index(tmp_path, report), "run errors are for operators, not readers"


def test_a_write_that_fails_midway_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "index.html"
    target.write_text("<html>old</html>")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish.os, "fsync", disk_full)
    with pytest.raises(OSError):
        publish.write_atomic(target, "<html>new</html>")
    assert target.read_text() == "<html>old</html>"


def test_write_atomic_swaps_the_file_so_an_open_reader_keeps_the_old_one(tmp_path):
    target = tmp_path / "index.html"
    target.write_text("<html>old</html>")
    with open(target) as reader:
        publish.write_atomic(target, "<html>new, and longer</html>")
        assert reader.read() == "<html>old</html>", "the old file was rewritten in place"
    assert target.read_text() == "<html>new, and longer</html>"


def _published(tmp_path):
    """An edition published once (r1: old files), and a staged new build of it."""
    staging, address = tmp_path / "staging", tmp_path / "briefs" / "b" / "2025-01-31"
    staging.mkdir()
    old = tmp_path / "old"
    old.mkdir()
    for name in ("b.html", "b.pdf", "b.ipynb"):
        (old / name).write_text(f"old {name}")
        (staging / name).write_text(f"new {name}")
    publish.publish(old, address, ["b.html", "b.pdf", "b.ipynb"], {"key": "old", "revision": 1})
    return staging, address


def test_publish_switches_the_address_to_a_whole_new_build_and_keeps_the_old_one(tmp_path):
    staging, address = _published(tmp_path)
    with open(address / "b.html") as reader:
        publish.publish(staging, address, ["b.html", "b.pdf", "b.ipynb"], {"key": "new", "revision": 2})
        assert reader.read() == "old b.html", "a reader of the old build keeps it"
    assert os.readlink(address) == "2025-01-31.r2"
    assert {p.name: p.read_text() for p in address.iterdir() if p.suffix != ".json"} == {
        "b.html": "new b.html", "b.pdf": "new b.pdf", "b.ipynb": "new b.ipynb"}
    assert json.loads((address / "edition.json").read_text()) == {"key": "new", "revision": 2}
    first = address.with_name("2025-01-31.r1")
    assert (first / "b.html").read_text() == "old b.html", "the published build is never rewritten"
    assert list(staging.iterdir()) == [], "every staged file was moved, none copied"


def test_a_publish_stopped_midway_leaves_the_address_on_the_old_build(tmp_path, monkeypatch):
    staging, address = _published(tmp_path)
    real_replace = os.replace

    def crash_on_pdf(src, dst):
        if str(dst).endswith("b.pdf"):
            raise OSError("killed here")
        return real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", crash_on_pdf)
    with pytest.raises(publish.PublishError, match="killed here"):
        publish.publish(staging, address, ["b.html", "b.pdf", "b.ipynb"], {"key": "new", "revision": 2})
    assert os.readlink(address) == "2025-01-31.r1"
    assert json.loads((address / "edition.json").read_text()) == {"key": "old", "revision": 1}
    assert not address.with_name("2025-01-31.r2").exists(), "the half-written build is removed"


def test_a_build_with_fewer_formats_shows_only_its_own_files(tmp_path):
    staging, address = _published(tmp_path)
    publish.publish(staging, address, ["b.html", "b.ipynb"], {"key": "new", "revision": 2})
    assert sorted(p.name for p in address.iterdir()) == ["b.html", "b.ipynb", "edition.json"]


def test_a_draft_keeps_no_history(tmp_path):
    staging, address = _published(tmp_path)
    publish.publish(staging, address, ["b.html"], {"key": "new", "revision": 2}, keep_history=False)
    assert [p.name for p in publish.revisions(address)] == ["2025-01-31.r2"]


def test_leftovers_of_a_killed_publish_are_cleared_but_live_builds_stay(tmp_path):
    staging, address = _published(tmp_path)
    orphan = address.with_name("2025-01-31.r2")
    orphan.mkdir()
    (orphan / "b.html").write_text("never switched to")
    (address.parent / ".2025-01-31.123.link").symlink_to("2025-01-31.r2")
    publish.clear_leftovers(tmp_path / "briefs")
    assert not orphan.exists() and not (address.parent / ".2025-01-31.123.link").is_symlink()
    assert (address / "b.html").read_text() == "old b.html"
    assert publish.next_revision(address) == 2


def test_index_content_security_policy_allows_only_inline_style_data_images_and_its_one_hashed_script(tmp_path):
    import base64
    import hashlib

    from bs4 import BeautifulSoup

    _edition(tmp_path, "brief", "2025-01-31")
    soup = BeautifulSoup(build_index(tmp_path, None), "html.parser")
    [meta] = soup.head.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
    policy = {d.split()[0]: d.split()[1:] for d in meta["content"].split(";") if d.strip()}
    [script] = [s for s in soup.find_all("script") if s.get("type") != "application/json"]
    digest = base64.b64encode(hashlib.sha256(script.string.encode()).digest()).decode()
    assert policy == {"default-src": ["'none'"], "img-src": ["data:"], "style-src": ["'unsafe-inline'"],
                      "script-src": [f"'sha256-{digest}'"]}
    assert not script.get("src"), "no external script"


def test_write_atomic_writes_text_as_utf8_and_bytes_as_given(tmp_path):
    publish.write_atomic(tmp_path / "deep" / "er" / "a.txt", "북한 — ünïcode")
    assert (tmp_path / "deep" / "er" / "a.txt").read_bytes() == "북한 — ünïcode".encode()
    publish.write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"


def test_a_temporary_left_by_a_killed_write_is_hidden_and_cleared(tmp_path, monkeypatch):
    monkeypatch.setattr(publish.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError):
        publish.write_atomic(tmp_path / "brief" / "a.html", "x")
    [left] = (tmp_path / "brief").iterdir()
    assert left.name.startswith(".a.html.") and left.name.endswith(".tmp"), "hidden, named after its target"
    monkeypatch.undo()
    (tmp_path / "brief" / "keep.html").write_text("kept")
    (tmp_path / ".staging" / "1" / "b").mkdir(parents=True)
    publish.clear_leftovers(tmp_path)
    assert [p.name for p in (tmp_path / "brief").iterdir()] == ["keep.html"]
    assert not (tmp_path / ".staging").exists()


def test_the_lock_records_its_holder_while_held(tmp_path):
    with publish.locked(tmp_path):
        info = json.loads((tmp_path / ".lock.json").read_text())
        assert info["pid"] == os.getpid() and info["started"].endswith("+00:00")
    assert not (tmp_path / ".lock.json").exists()


def test_now_is_utc_to_the_second():
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", publish.now())


def test_read_json_is_none_for_a_missing_or_broken_file(tmp_path):
    assert publish.read_json(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text("{")
    assert publish.read_json(tmp_path / "broken.json") is None
    (tmp_path / "ok.json").write_text('{"a": "é"}', encoding="utf-8")
    assert publish.read_json(tmp_path / "ok.json") == {"a": "é"}


def test_keep_failure_moves_what_the_build_left_under_failed(tmp_path):
    staging, briefs = tmp_path / "staging", tmp_path / "briefs"
    staging.mkdir()
    (staging / "b.ipynb").write_text("executed")
    kept = publish.keep_failure(staging, briefs, Path("b") / "2025-01-31", ["b.ipynb", "b.html"])
    assert kept == ["_failed/b/2025-01-31/b.ipynb"]
    assert (briefs / "_failed" / "b" / "2025-01-31" / "b.ipynb").read_text() == "executed"
    assert not (staging / "b.ipynb").exists()
    assert not (briefs / "b").exists(), "nothing beside the published editions"


def test_published_editions_lists_whole_editions_only_in_order(tmp_path):
    _edition(tmp_path, "b", "2025-01-31")
    _edition(tmp_path, "a", "2025-02-28")
    _edition(tmp_path, "a", "2024-12-31")
    for hidden in ("_failed", ".staging"):
        _edition(tmp_path / hidden, "x", "2025-01-31")
        _edition(tmp_path, hidden, "2025-01-31")
    broken = tmp_path / "c" / "2025-01-31"
    broken.mkdir(parents=True)
    (broken / "edition.json").write_text("{half")
    records = publish.published_editions(tmp_path)
    assert [r["folder"] for r in records] == ["a/2024-12-31", "a/2025-02-28", "b/2025-01-31"]
    assert records[0] == {"slug": "a", "as_of": "2024-12-31", "edition": "current", "files": ["a.html"],
                          "parameters": {}, "folder": "a/2024-12-31", "revisions": []}


def test_write_report_names_the_run_and_points_latest_at_it(tmp_path):
    report = {"started": "2025-01-01T06:00:00+00:00", "status": "ok", "brief": "북한"}
    path = publish.write_report(tmp_path, report)
    assert path == tmp_path / "_runs" / f"2025-01-01T060000Z-{os.getpid()}.json"
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert (tmp_path / "_runs" / "latest.json").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith('{\n  "started"'), "indented for people"


def test_report_history_keeps_the_newest_runs(tmp_path):
    for second in range(4):
        publish.write_report(tmp_path, {"started": f"2025-01-01T00:00:0{second}+00:00"}, keep=2)
    runs = sorted(p.name for p in (tmp_path / "_runs").iterdir())
    assert runs[:2] == [f"2025-01-01T00000{s}Z-{os.getpid()}.json" for s in (2, 3)] and runs[2] == "latest.json"


def test_prune_returns_nothing_when_every_brief_is_within_keep(tmp_path):
    _edition(tmp_path, "a", "2025-01-31")
    _edition(tmp_path, "b", "2025-01-31")
    _edition(tmp_path, "b", "2025-02-28")
    assert publish.prune(tmp_path, keep=2) == []
    assert publish.prune(tmp_path, keep=1) == ["b/2025-01-31"]


def test_publish_creates_the_folders_of_a_new_brief(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "b.html").write_text("new")
    target = tmp_path / "briefs" / "new-brief" / "2025-01-31"
    publish.publish(staging, target, ["b.html"], {"b": 2, "a": 1, "revision": 1})
    assert (target / "b.html").read_text() == "new"
    assert (target / "edition.json").read_text() == '{\n  "a": 1,\n  "b": 2,\n  "revision": 1\n}', "sorted, indented"


def test_a_second_failure_of_the_same_edition_replaces_the_kept_notebook(tmp_path):
    staging, briefs = tmp_path / "staging", tmp_path / "briefs"
    for attempt in ("first", "second"):
        staging.mkdir(exist_ok=True)
        (staging / "b.ipynb").write_text(attempt)
        assert publish.keep_failure(staging, briefs, Path("b") / "2025-01-31", ["b.ipynb"]) == [
            "_failed/b/2025-01-31/b.ipynb"]
    assert (briefs / "_failed" / "b" / "2025-01-31" / "b.ipynb").read_text() == "second"


def test_records_of_older_runs_without_slug_or_as_of_still_list_oldest_first(tmp_path):
    for slug, as_of in (("AB", "2025-01-31"), ("ZZ", "2025-01-31"), ("a", "2024-12-31"), ("a", "2025-01-31")):
        _edition(tmp_path, slug, as_of)
    lenient = tmp_path / "a" / "2025-01-31" / "edition.json"
    lenient.write_text(json.dumps({"slug": "a", "files": []}))  # no as_of: taken as the oldest
    lenient = tmp_path / "ZZ" / "2025-01-31" / "edition.json"
    lenient.write_text(json.dumps({"as_of": "2025-01-31", "files": []}))  # no slug: listed first
    assert [r["folder"] for r in publish.published_editions(tmp_path)] == [
        "ZZ/2025-01-31", "AB/2025-01-31", "a/2025-01-31", "a/2024-12-31"]


def test_report_history_keeps_fifty_runs_by_default(tmp_path):
    for n in range(51):
        publish.write_report(tmp_path, {"started": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00"})
    runs = sorted(p.name for p in (tmp_path / "_runs").iterdir() if p.name != "latest.json")
    assert len(runs) == 50 and runs[0].startswith("2025-01-01T000001Z")


def test_a_build_number_already_taken_is_refused_and_that_build_stays_whole(tmp_path):
    staging, address = _published(tmp_path)
    with pytest.raises(publish.PublishError, match=r"2025-01-31 of b: .*\(FileExistsError\); the published "
                       "edition is unchanged"):
        publish.publish(staging, address, ["b.html"], {"key": "new", "revision": 1})
    assert (address / "b.html").read_text() == "old b.html"
    assert json.loads((address / "edition.json").read_text()) == {"key": "old", "revision": 1}


def test_a_half_written_build_that_vanished_is_still_a_publish_error(tmp_path, monkeypatch):
    staging, address = _published(tmp_path)
    real_replace = os.replace

    def lose_the_build(src, dst):
        if str(dst).endswith("b.pdf"):
            shutil.rmtree(Path(dst).parent)
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", lose_the_build)
    with pytest.raises(publish.PublishError, match=r"No space left on device \(OSError\)"):
        publish.publish(staging, address, ["b.html", "b.pdf"], {"key": "new", "revision": 2})
    assert os.readlink(address) == "2025-01-31.r1"


def test_an_edition_published_before_revisions_becomes_its_first_build(tmp_path):
    briefs = tmp_path / "briefs"
    _edition(briefs, "b", "2025-01-31")  # a plain folder, as published before revisions existed
    address = briefs / "b" / "2025-01-31"
    assert publish.next_revision(address) == 2
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "b.html").write_text("revised")
    publish.publish(staging, address, ["b.html"], {"revision": 2})
    assert os.readlink(address) == "2025-01-31.r2"
    assert (briefs / "b" / "2025-01-31.r1" / "b.html").read_text() == "<html></html>"
    assert [p.name for p in publish.revisions(address)] == ["2025-01-31.r1", "2025-01-31.r2"]
    assert publish.next_revision(address) == 3


def test_next_revision_of_a_new_edition_is_one_and_counts_past_gaps(tmp_path):
    address = tmp_path / "b" / "2025-01-31"
    assert publish.next_revision(address) == 1
    (tmp_path / "b" / "2025-01-31.r3").mkdir(parents=True)
    (tmp_path / "b" / "2025-01-31.rx").mkdir()
    (tmp_path / "b" / "2025-01-31.r4").write_text("a file, not a build")
    assert [p.name for p in publish.revisions(address)] == ["2025-01-31.r3"]
    assert publish.next_revision(address) == 4


def test_published_editions_carry_each_revision_and_keep_to_their_area(tmp_path):
    briefs = tmp_path / "briefs"
    staging = tmp_path / "staging"
    for area, revisions in (("", 2), ("_tlp-amber", 1)):
        address = briefs / area / "b" / "2025-01-31"
        for n in range(1, revisions + 1):
            staging.mkdir(exist_ok=True)
            (staging / "b.html").write_text(f"r{n}")
            publish.publish(staging, address, ["b.html"], {"slug": "b", "as_of": "2025-01-31", "revision": n,
                                                            "rendered_at": f"2025-02-0{n}", "changes": [f"c{n}"]})
    (briefs / "b" / "2025-01-31.r2" / "edition.json").write_text(json.dumps({"slug": "b"}))  # an older record
    (briefs / "b" / "notes.txt").write_text("not an edition")
    (briefs / "b" / ".2025-01-31.99.link").symlink_to("2025-01-31.r1")
    [clear] = publish.published_editions(briefs)
    assert clear["folder"] == "b/2025-01-31"
    assert clear["revisions"] == [
        {"folder": "b/2025-01-31.r1", "revision": 1, "rendered_at": "2025-02-01", "changes": ["c1"]},
        {"folder": "b/2025-01-31.r2", "revision": 0, "rendered_at": None, "changes": []}]
    [amber] = publish.published_editions(briefs, "_tlp-amber")
    assert amber["folder"] == "_tlp-amber/b/2025-01-31"
    assert amber["revisions"] == [{"folder": "_tlp-amber/b/2025-01-31.r1", "revision": 1,
                                   "rendered_at": "2025-02-01", "changes": ["c1"]}]


def test_prune_removes_an_edition_with_all_its_builds_in_its_area_only(tmp_path):
    briefs, staging = tmp_path / "briefs", tmp_path / "staging"
    for area in ("", "_tlp-amber"):
        for as_of in ("2025-01-31", "2025-02-28"):
            for n in (1, 2):
                staging.mkdir(exist_ok=True)
                (staging / "b.html").write_text("x")
                publish.publish(staging, briefs / area / "b" / as_of, ["b.html"],
                                {"slug": "b", "as_of": as_of, "revision": n})
    _edition(briefs, "legacy", "2024-12-31")
    _edition(briefs, "legacy", "2025-01-31")
    assert publish.prune(briefs, keep=1, area="_tlp-amber") == ["_tlp-amber/b/2025-01-31"]
    assert sorted(p.name for p in (briefs / "_tlp-amber" / "b").iterdir()) == [
        "2025-02-28", "2025-02-28.r1", "2025-02-28.r2"]
    assert sorted(p.name for p in (briefs / "b").iterdir()) == [
        "2025-01-31", "2025-01-31.r1", "2025-01-31.r2", "2025-02-28", "2025-02-28.r1", "2025-02-28.r2"]
    assert publish.prune(briefs, keep=1) == ["b/2025-01-31", "legacy/2024-12-31"]
    assert sorted(p.name for p in (briefs / "legacy").iterdir()) == ["2025-01-31"]


def test_clearing_leftovers_passes_over_folders_that_only_look_like_builds(tmp_path):
    staging, address = _published(tmp_path)
    lookalike = address.with_name("2025-01-31.rx")
    lookalike.mkdir()
    publish.clear_leftovers(tmp_path / "briefs")
    assert lookalike.is_dir() and os.readlink(address) == "2025-01-31.r1"
