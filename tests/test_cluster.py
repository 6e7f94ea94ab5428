"""Backfills, and builds on a Dask cluster: a LocalCluster, and a real scheduler with two workers, one killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.render import backfill, render, series
from conftest import TIMESTAMP, write_catalog


def statuses(report):
    return {f"{b['brief']}@{b['as_of']}": b["status"] for b in report["briefs"]}


def record(project: Path, folder: str) -> dict:
    return json.loads((project / "briefs" / folder / "edition.json").read_text())


def test_series_are_month_ends_or_sundays_with_the_previous_date_first():
    assert series("2024-01-15", "2024-04-30", "month") == ["2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31",
                                                           "2024-04-30"]
    assert series("2024-01-01", "2024-04-29", "month")[-1] == "2024-03-31", "a month not yet ended is left out"
    assert series("2024-12-02", "2024-12-22", "week") == ["2024-12-01", "2024-12-08", "2024-12-15", "2024-12-22"]


def test_backfill_on_a_local_cluster_publishes_the_series_and_fills_the_history(project):
    report = backfill(project, ("ok",), start="2025-02-01", end="2025-04-30", scheduler="local", jobs=2)
    assert statuses(report) == {"ok@2025-02-28": "ok", "ok@2025-03-31": "ok", "ok@2025-04-30": "ok"}
    # Published as regular editions, each with the series' previous date; a date that is a
    # catalog edition is that edition, with its own parameters.
    march = record(project, "ok/2025-03-31")
    assert (march["draft"], march["edition"], march["parameters"]["previous_edition"]) == (False, "monthly",
                                                                                           "2025-02-28")
    assert record(project, "ok/2025-04-30")["edition"] == "current"
    assert "2 events known on 2025-04-30" in (project / "briefs" / "ok" / "2025-04-30" / "ok.html").read_text()
    assert "1 events known on 2025-02-28" in (project / "briefs" / "ok" / "2025-02-28" / "ok.html").read_text()
    history = (project / "briefs" / "ok" / "history.html").read_text()
    assert all(day in history for day in ("2025-02-28", "2025-03-31", "2025-04-30"))
    # The same cache as render: nothing changed, nothing rebuilt (local processes or Dask alike).
    assert set(statuses(backfill(project, ("ok",), start="2025-02-01", end="2025-04-30")).values()) == {"cached"}
    assert statuses(render(project, ("ok",))) == {"ok@2025-04-30": "cached", "ok@2024-12-31": "ok"}


def test_backfill_refuses_a_future_or_reversed_range(project):
    runner = CliRunner()
    future = runner.invoke(main, ["backfill", "--from", "2025-01-01", "--to", "2999-01-31"])
    assert future.exit_code == 2 and "--to 2999-01-31 is in the future" in future.output
    reversed_ = runner.invoke(main, ["backfill", "--from", "2025-03-01", "--to", "2025-01-31"])
    assert reversed_.exit_code == 2 and "--from 2025-03-01 is after --to 2025-01-31" in reversed_.output
    assert not (project / "briefs" / "ok").exists()


def test_the_same_edition_renders_to_the_same_files_locally_and_on_dask(project):
    render(project, ("ok",), jobs=1)
    (project / "briefs").rename(project / "local")
    render(project, ("ok",), scheduler="local", jobs=1)
    for folder in ("ok/2025-04-30", "ok/2024-12-31"):
        local, dask = project / "local" / folder, project / "briefs" / folder
        names = sorted(p.name for p in local.iterdir())
        assert names == sorted(p.name for p in dask.iterdir()) and "ok.ipynb" in names and "ok.html" in names
        for name in names:
            if name == "edition.json":
                continue
            assert TIMESTAMP.sub(b"T", (local / name).read_bytes()) == TIMESTAMP.sub(b"T", (dask / name).read_bytes()), name
        ours, theirs = (json.loads((where / "edition.json").read_text()) for where in (local, dask))
        for rec in (ours, theirs):
            del rec["rendered_at"], rec["sha256"]["ok.ipynb"], rec["sha256"]["ok.html"]  # they hold timestamps
        assert ours == theirs


@pytest.fixture
def cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes (no nanny) on 127.0.0.1, in another folder.

    The workers get no BRIEFING_DATA and run outside the project: the data and
    notebooks must travel with the tasks.  Every process is stopped at the end.
    """
    dask = str(Path(sys.executable).parent / "dask")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATA"}
    address_file = elsewhere / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                               "--scheduler-file", str(address_file)], cwd=elsewhere, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        workers = [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--host", "127.0.0.1", "--name", f"w{i}"], cwd=elsewhere, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                   for i in range(2)]
        procs += workers
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address, workers
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group: kernels too
            proc.wait(timeout=30)


def test_a_real_cluster_with_a_worker_killed_mid_run_publishes_every_edition(project, cluster):
    address, workers = cluster
    victim = psutil.Process(workers[0].pid)
    killed = {}

    def kill_once(entry):
        if killed:
            return
        # Wait (bounded) until the victim is building, i.e. has a kernel running, then kill it and its kernel.
        deadline = time.monotonic() + 60
        while not victim.children(recursive=True) and time.monotonic() < deadline:
            time.sleep(0.05)
        kernels = victim.children(recursive=True)
        killed["kernels"] = len(kernels)
        os.killpg(workers[0].pid, signal.SIGKILL)
        for kernel in kernels:
            kernel.kill()

    report = backfill(project, ("ok", "polls_only"), start="2024-12-01", end="2025-04-30", scheduler=address,
                      on_result=kill_once)
    assert killed["kernels"] >= 1, "the worker was killed while it built an edition"
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    assert len(report["briefs"]) == 10 and set(statuses(report).values()) == {"ok"}, statuses(report)
    for entry in report["briefs"]:
        folder = project / "briefs" / entry["folder"]
        assert (folder / f"{entry['brief']}.html").is_file() and record(project, entry["folder"])["status"] == "ok"
    assert not list((project / "briefs").glob("*/*.r2")), "one build per edition"


def test_a_failing_edition_on_dask_is_reported_and_its_notebook_kept(project):
    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {}\n  raises: {}\n")
    report = render(project, scheduler="local", jobs=1)
    assert statuses(report) == {"ok@2025-04-30": "ok", "raises@2025-04-30": "failed"}
    error = next(b["error"] for b in report["briefs"] if b["status"] == "failed")
    assert error["ename"] == "ValueError" and error["cell"] == 3
    assert (project / "briefs" / "_failed" / "raises" / "2025-04-30" / "raises.ipynb").is_file()


def test_an_unreachable_scheduler_is_a_usage_error(project, monkeypatch):
    monkeypatch.setattr("briefing.cluster.TIMEOUT", "2s")
    result = CliRunner().invoke(main, ["render", "ok", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "--scheduler tcp://127.0.0.1:9: no Dask scheduler answers there" in result.output
    assert not (project / "briefs" / "ok" / "2025-04-30").exists()


def test_a_worker_with_other_software_builds_nothing(project):
    from briefing.cluster import build_task, bundle, software
    from briefing.render import plan

    edition = plan(project, ("ok",))[0]
    key, content = bundle([edition])
    result, files = build_task(edition, key, content, 60, {}, {**software(), "package": "another"})
    assert (result.status, result.ename, files) == ("failed", "WorkerMismatch", {})
    assert "runs other package than the client" in result.evalue
