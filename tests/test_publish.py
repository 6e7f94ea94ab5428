"""Publishing helpers: atomic writes, retention, the lock, the index."""

from __future__ import annotations

import json
import os

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
