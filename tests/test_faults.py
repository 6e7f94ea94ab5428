"""Faults injected into real runs: kill -9, two runs at once, hostile data, a real browser.

Each test fails if its protection is removed: staging + atomic rename,
the publish lock, HTML escaping, the data-only PDF fetcher and the CSP.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from offline import offline_violations

from briefing import portal
from briefing.render import render
from conftest import ROOT, launch_chromium, write_catalog

CLI = [sys.executable, "-m", "briefing.cli"]


def _snapshot(briefs: Path) -> dict[Path, bytes]:
    """Every published byte: the editions' builds, not the pages the portal rewrites after each publish."""
    return {p: p.read_bytes() for p in briefs.rglob("*") if p.is_file() and ".staging" not in p.parts
            and "_runs" not in p.parts and portal.COMPARE not in p.parts
            and p.name not in {*portal.PAGES, ".lock", ".lock.json"}}


def _complete(path: Path) -> bool:
    data = path.read_bytes()
    if path.suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    if path.suffix == ".pdf":
        return data.rstrip().endswith(b"%%EOF")
    if path.suffix in {".json", ".ipynb"}:
        json.loads(data)
    return True


def _whole(address: Path) -> bool:
    """Every file the edition's record lists is there with the bytes the record hashed: one build, complete."""
    record = json.loads((address / "edition.json").read_text())
    return all(hashlib.sha256((address / name).read_bytes()).hexdigest() == digest
               for name, digest in record["sha256"].items())


def test_kill_9_mid_run_leaves_every_published_edition_whole(project):
    write_catalog(project, "formats: [html, pdf]\nbriefs:\n  ok: {editions: {current: {}, early: {as_of: '2024-12-31'}}}\n"
                           "  polls_only: {}\n")
    render(project, jobs=1)
    before = _snapshot(project / "briefs")
    addresses = sorted(p for p in (project / "briefs").glob("*/*") if p.is_symlink())
    assert len(addresses) == 3
    links = {a: os.readlink(a) for a in addresses}
    for table, old, new in (("events", "NIS reports", "NIS said"), ("polls", ",66,exact,", ",67,exact,")):
        path = project / "data" / f"{table}.csv"
        path.write_text(path.read_text().replace(old, new))
    proc = subprocess.Popen([*CLI, "render", "--revise", "--jobs", "1"], cwd=project, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True,
                            env={**os.environ, "BRIEFING_DATA": str(project / "data")})
    timer = threading.Timer(120, os.killpg, (proc.pid, signal.SIGKILL))  # never hang the suite
    timer.start()
    for line in proc.stderr:  # kill right after the first revision is published, before the others
        if line.strip().startswith("revised "):
            break
    timer.cancel()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    after = _snapshot(project / "briefs")
    assert all(after.get(p) == data for p, data in before.items()), "no published byte changed or went missing"
    assert all(_complete(p) for p in after)
    assert all(_whole(a) for a in addresses), "every address shows formats of one build"
    moved = [a for a in addresses if os.readlink(a) != links[a]]
    assert len(moved) == 1 and os.readlink(moved[0]).endswith(".r2"), "exactly the revision published before the kill"
    assert not any(p.name.endswith((".tmp", ".link")) for p in (project / "briefs").rglob("*")
                   if ".staging" not in p.parts)
    again = subprocess.run([*CLI, "render", "--revise"], cwd=project, capture_output=True, text=True,
                           env={**os.environ, "BRIEFING_DATA": str(project / "data")})
    assert again.returncode == 0, again.stderr
    assert not any((project / "briefs" / ".staging").iterdir()) if (project / "briefs" / ".staging").exists() else True
    assert all(_whole(a) and os.readlink(a).endswith(".r2") for a in addresses)


def test_two_runs_started_together_never_interleave(project):
    env = {**os.environ, "BRIEFING_DATA": str(project / "data")}
    cmd = [*CLI, "render", "--force", "--format", "html"]
    first = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock_info = project / "briefs" / ".lock.json"
    deadline = time.monotonic() + 60
    while not lock_info.exists() and time.monotonic() < deadline:  # the first run holds the lock now
        time.sleep(0.05)
    second = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    _, first_err = first.communicate()
    results = [(first.returncode, first_err), (second.returncode, second.stderr)]
    assert [code for code, _ in results] == [0, 2], results
    assert "another render holds" in second.stderr and "--wait" in second.stderr
    waited = [subprocess.Popen([*CLI, "render", "--force", "--format", "html", "--wait", "120"], cwd=project,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    assert [p.communicate() and p.returncode for p in waited] == [0, 0]
    reports = sorted((json.loads(p.read_text()) for p in (project / "briefs" / "_runs").glob("2*.json")),
                     key=lambda r: r["started"])[-2:]
    assert reports[0]["finished"] <= reports[1]["started"], "the second run started after the first finished"


HOSTILE = ('<script>alert(1)</script> <img src=x onerror=alert(2)> '
           '<img src="http://127.0.0.1:9/beacon.png"> <link rel=stylesheet href="file:///etc/passwd">')


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    """The real project with a hostile event summary, rendered once (HTML and PDF)."""
    root = tmp_path_factory.mktemp("hostile") / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns(".*"))
    events = root / "data" / "events.csv"
    rows = list(csv.DictReader(io.StringIO(events.read_text(encoding="utf-8"))))
    # Dated on the day its cited source was published, so the dating rules of the validator hold.
    hostile = dict(rows[-1], event_id="ev_20251025_hostile", date_start="2025-10-25", date_end="",
                   theme="dprk_russia", event_type="statement", summary=HOSTILE, reported_on="2025-10-25",
                   reported_on_basis="source_published", source_ids="resurgam_20251025", analysis_ref="", note="")
    with events.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, hostile])
    old = os.environ.get("BRIEFING_DATA")
    os.environ["BRIEFING_DATA"] = str(root / "data")
    try:
        report = render(root, ("01-dprk-russia-alliance",), overrides={"as_of": "2025-12-15"}, jobs=1)
    finally:
        os.environ.pop("BRIEFING_DATA") if old is None else os.environ.__setitem__("BRIEFING_DATA", old)
    assert report["counts"]["ok"] == 1, report
    return root / "briefs"


def test_hostile_text_in_data_renders_as_text(hostile_project):
    page = (hostile_project / "01-dprk-russia-alliance" / "2025-12-15" / "01-dprk-russia-alliance.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = _Tags()
    tags.feed(page)
    assert "script" not in tags.names
    assert not [a for a in tags.attrs if a.startswith("on")], "no event-handler attribute"
    assert all(src.startswith("data:") for src in tags.img_src)
    assert offline_violations(page) == []
    assert "default-src 'none'" in page


class _Tags(HTMLParser):
    """Every tag name, attribute name and img src of a page, as a browser would parse it."""

    def __init__(self):
        super().__init__()
        self.names, self.attrs, self.img_src = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attrs |= {name for name, _ in attrs}
        if tag == "img":
            self.img_src += [value or "" for name, value in attrs if name == "src"]


def test_pdf_prints_hostile_data_as_text(hostile_project):
    from pypdf import PdfReader

    pdf = hostile_project / "01-dprk-russia-alliance" / "2025-12-15" / "01-dprk-russia-alliance.pdf"
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", " ")


@pytest.mark.parametrize("page", ["01-dprk-russia-alliance/2025-12-15/01-dprk-russia-alliance.html", "index.html"])
def test_a_real_browser_loads_the_brief_offline(hostile_project, page):
    from playwright.sync_api import sync_playwright

    external, dialogs = [], []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            tab = browser.new_page()
            tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            def route(r):
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            tab.route("**/*", route)
            tab.goto((hostile_project / page).as_uri(), wait_until="load")
            body = tab.inner_text("body")
            images = tab.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.alt])")
        finally:
            browser.close()
    assert external == [] and dialogs == []
    if page == "index.html":
        assert "Latest editions" in body and "01-dprk-russia-alliance" in body
    else:
        assert body.lstrip().startswith("TLP:CLEAR")
        assert len(images) >= 3 and all(width > 0 and alt for width, alt in images)
        assert "<script>alert(1)</script>" in body


# -- kill -9 inside a build and inside publish() -----------------------------------

def _env(project: Path) -> dict:
    return {**os.environ, "BRIEFING_DATA": str(project / "data")}


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before reaching the point to kill it at: "
                        f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"never reached {path.name}")
        time.sleep(0.02)


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        stream and stream.close()


def _assert_whole(briefs: Path, before: dict[Path, bytes]) -> dict[Path, bytes]:
    after = _snapshot(briefs)
    assert set(after) == set(before), "no file lost, no partial or temporary file beside the published ones"
    assert all(_complete(p) for p in after)
    return after


def test_kill_9_during_a_build_leaves_every_published_edition_unchanged(project, tmp_path):
    started = tmp_path / "slow-cell-started"
    nb = json.loads((project / "notebooks" / "ok.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "slowcell", "metadata": {}, "outputs": [],
                        "source": f"open({str(started)!r}, 'w').close()\nimport time\ntime.sleep(300)"})
    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {editions: {current: {}, early: {as_of: '2024-12-31'}}}\n"
                           "  polls_only: {}\n")
    render(project, jobs=1)
    before = _snapshot(project / "briefs")
    assert len({p.parent for p in before if p.name == "edition.json"}) == 3
    (project / "notebooks" / "ok.ipynb").write_text(json.dumps(nb))
    proc = subprocess.Popen([*CLI, "render", "--revise", "--jobs", "1"], cwd=project, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True, env=_env(project))
    _wait_for(started, proc)  # the kernel is inside the slow cell of the first edition
    _kill(proc)
    after = _assert_whole(project / "briefs", before)
    assert after == before, "a build in progress never touches briefs/ outside its staging folder"
    assert json.loads((project / "briefs" / "_runs" / "latest.json").read_text())["status"] == "ok", \
        "the killed run wrote no report"
    nb["cells"].pop()
    (project / "notebooks" / "ok.ipynb").write_text(json.dumps(nb))
    again = subprocess.run([*CLI, "render"], cwd=project, capture_output=True, text=True, env=_env(project))
    assert again.returncode == 0, again.stderr
    assert "0 rendered, 3 unchanged" in again.stdout, "the interrupted run changed no record"
    assert not (project / "briefs" / ".staging").exists() or not any((project / "briefs" / ".staging").iterdir())


# Runs the real CLI with publish.os.replace pausing before the second file of the
# first edition it publishes (after the first is already in place), so a kill
# lands inside publish() itself.
_PAUSE_IN_PUBLISH = """
import os, sys, time
from pathlib import Path
from briefing import publish
from briefing.cli import main

marker = Path(sys.argv[1])
renames = []

class PausingOs:
    def __getattr__(self, name):
        return getattr(os, name)

    def replace(self, src, dst):
        if not Path(dst).name.startswith("."):
            renames.append(dst)
            if len(renames) == 2:
                marker.write_text(str(dst))
                time.sleep(300)
        return os.replace(src, dst)

publish.os = PausingOs()
main(sys.argv[2:])
"""


def test_kill_9_inside_publish_leaves_whole_files_and_no_record_claiming_the_new_edition(project, tmp_path):
    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {editions: {current: {}, early: {as_of: '2024-12-31'}}}\n"
                           "  polls_only: {}\n")
    render(project, jobs=1)
    briefs = project / "briefs"
    before = _snapshot(briefs)
    addresses = sorted(p for p in briefs.glob("*/*") if p.is_symlink())
    records = {a: json.loads((a / "edition.json").read_text()) for a in addresses}
    assert len(records) == 3
    events = project / "data" / "events.csv"  # every edition of "ok" reads it: each must change
    events.write_text(events.read_text().replace("NIS reports troops sent to Russia.", "NIS reports troops sent."))
    paused = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-c", _PAUSE_IN_PUBLISH, str(paused), "render", "--revise", "--jobs", "1"],
                            cwd=project, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            start_new_session=True, env=_env(project))
    _wait_for(paused, proc)
    _kill(proc)
    after = _snapshot(briefs)
    assert all(after.get(p) == data for p, data in before.items()), "no published byte changed or went missing"
    build = Path(paused.read_text()).parent  # the half-written revision the kill interrupted
    assert build.name.endswith(".r2") and all(p.parent == build for p in set(after) - set(before))
    assert {a: json.loads((a / "edition.json").read_text()) for a in addresses} == records, \
        "every address still shows its published build, record and all"
    again = subprocess.run([*CLI, "render", "--revise", "--jobs", "1"], cwd=project, capture_output=True, text=True,
                           env=_env(project))
    assert again.returncode == 0, again.stderr
    address = build.with_name(build.name.removesuffix(".r2"))
    slug, as_of = address.parts[-2:]
    assert f"revised  {slug}@{as_of}" in again.stderr, "the next run publishes the revision the kill interrupted"
    assert os.readlink(address) == build.name and "NIS reports troops sent." in (address / f"{slug}.html").read_text()
    assert all(_snapshot(briefs).get(p) == data for p, data in before.items()), "r1 stays as it was"
