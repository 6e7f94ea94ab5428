"""Kernels started ahead of their edition: used once, replaced if dead, never left running."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import nbformat
import psutil
import pytest

from briefing import execute
from briefing import render as render_module
from briefing.render import plan, render

# Prints the kernel's pid and whether the package was imported before this cell ran.
PROBE = ("import os, sys\n"
         "print(os.getpid(), 'briefing.charts' in sys.modules)\n"
         "from briefing import data\n"
         "print(len(data.known_on(data.events(), as_of)))")


def kernels_in(root) -> list[psutil.Process]:
    """Kernel processes working in ``root``: whoever their parent now is (an orphan is re-parented)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        cmdline, cwd = proc.info["cmdline"] or [], proc.info["cwd"] or ""
        if any("ipykernel" in part for part in cmdline) and cwd.startswith(str(root)):
            found.append(proc)
    return found


@pytest.fixture
def probe(project):
    """An edition of the fixture catalog whose notebook reports its kernel."""
    source = nbformat.read(project / "notebooks" / "ok.ipynb", as_version=4)
    source.cells = [source.cells[1], nbformat.v4.new_code_cell(PROBE)]
    nbformat.write(source, project / "notebooks" / "probe.ipynb")
    edition = next(e for e in plan(project) if e.slug == "ok")
    return dataclasses.replace(edition, notebook=project / "notebooks" / "probe.ipynb", formats=("html",))


def probe_output(executed) -> tuple[int, bool, list]:
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    pid, imported = "".join(o.get("text", "") for o in code[-1].outputs).split()[:2]
    return int(pid), imported == "True", [c.execution_count for c in code]


def test_the_edition_runs_in_its_prestarted_kernel_with_counts_from_1(project, probe, tmp_path):
    kernel = execute.prestart(probe)
    assert kernel is not None
    pid = kernel.km.provisioner.pid
    result = execute.build(probe, tmp_path / "out", timeout=60, provenance={}, kernel=kernel)
    assert result.status == "ok", result
    ran_in, imported, counts = probe_output(tmp_path / "out" / f"{probe.slug}.ipynb")
    assert ran_in == pid and imported, "the pre-started kernel, package already imported, ran the notebook"
    assert counts == list(range(1, len(counts) + 1)), "the warm-up left no trace in the execution counts"
    assert result.tables == ["events"], "the edition's trace file reached the pre-started kernel"
    assert not psutil.pid_exists(pid) and not kernels_in(project)
    assert not os.path.exists(kernel.trace)


def test_a_prestarted_kernel_that_died_is_replaced(project, probe, tmp_path):
    kernel = execute.prestart(probe)
    dead = kernel.km.provisioner.pid
    os.kill(dead, signal.SIGKILL)
    psutil.Process(dead).wait(10) if psutil.pid_exists(dead) else None
    result = execute.build(probe, tmp_path / "out", timeout=60, provenance={}, kernel=kernel)
    assert result.status == "ok", result
    ran_in, imported, counts = probe_output(tmp_path / "out" / f"{probe.slug}.ipynb")
    assert ran_in != dead and not imported, "a fresh kernel, not the dead one"
    assert counts == list(range(1, len(counts) + 1))
    assert result.tables == ["events"]
    assert not kernels_in(project)


def test_plain_builds_are_unchanged(project, probe, tmp_path):
    result = execute.build(probe, tmp_path / "out", timeout=60, provenance={})
    assert result.status == "ok" and result.tables == ["events"]
    _, imported, counts = probe_output(tmp_path / "out" / f"{probe.slug}.ipynb")
    assert not imported and counts == list(range(1, len(counts) + 1))
    assert not kernels_in(project)


def test_no_kernel_is_left_after_a_render_even_with_failures(project):
    from conftest import write_catalog

    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {}\n  raises: {notebook: raises.ipynb}\n"
                  "  exits: {notebook: exits.ipynb}\n  hangs: {notebook: hangs.ipynb}\n  polls_only: {}\n")
    report = render(project, jobs=2, timeout=5)
    assert {b["brief"]: b["status"] for b in report["briefs"]} == {
        "ok": "ok", "raises": "failed", "exits": "failed", "hangs": "failed", "polls_only": "ok"}
    assert {b["brief"]: (b["error"]["ename"], b["error"]["cell"]) for b in report["briefs"] if "error" in b} == {
        "raises": ("ValueError", 3), "exits": ("DeadKernelError", 2), "hangs": ("CellTimeoutError", 2)}
    deadline = time.monotonic() + 10  # a graceful shutdown may take a moment
    while kernels_in(project) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not kernels_in(project)


def test_a_child_that_dies_while_waiting_for_its_turn_fails_only_its_edition(project, monkeypatch):
    real_prestart = render_module.prestart

    def prestart(edition):
        if edition.slug == "polls_only":
            os._exit(5)  # dies before it is told to build
        return real_prestart(edition)

    monkeypatch.setattr(render_module, "prestart", prestart)
    report = render(project, jobs=1)
    assert {f"{b['brief']}@{b['as_of']}": b["status"] for b in report["briefs"]} == {
        "ok@2025-04-30": "ok", "ok@2024-12-31": "ok", "polls_only@2025-04-30": "failed"}
    failed = next(b for b in report["briefs"] if b["status"] == "failed")
    assert failed["error"]["ename"] == "WorkerDied" and "code 5" in failed["error"]["evalue"]
    assert not kernels_in(project)
