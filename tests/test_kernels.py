"""Kernels forked from the warm render process: what a launched kernel would be, one per edition, gone after it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from briefing import kernels
from briefing.render import render
from conftest import ROOT, TIMESTAMP, write_catalog

# What the kernel says about itself, as the notebook's second cell.
PROBE = """\
import json, os, sys, threading
def link(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the listing's own descriptor, closed by now
        return ""
print(json.dumps({"preloaded": sorted({"pandas", "matplotlib.figure", "briefing.brief"} & set(sys.modules)),
                  "cwd": os.getcwd(), "path": sys.path, "own_group": os.getpgid(0) == os.getpid(),
                  "parent_pid_set": os.environ.get("JPY_PARENT_PID") == str(os.getppid()),
                  "trace": bool(os.environ.get("BRIEFING_TRACE")), "stdin_at_end": os.read(0, 1) == b"",
                  "inherited": sorted(fd for fd in map(int, os.listdir("/proc/self/fd"))
                                      if fd > 2 and link(fd).startswith("pipe:")),
                  "poller": any(type(t).__name__ == "ParentPollerUnix" for t in threading.enumerate()),
                  "backend": __import__("matplotlib").get_backend(),
                  "transport": __import__("ipykernel.kernelapp").kernelapp.IPKernelApp.instance().transport,
                  "leak": getattr(sys.modules.get("briefing"), "LEAK", None), "pid": os.getpid()}))
import briefing
briefing.LEAK = as_of  # a later edition must never see this
"""


def _probe_notebook(project: Path) -> None:
    nb = nbformat.read(project / "notebooks" / "ok.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(PROBE))
    nbformat.write(nb, project / "notebooks" / "ok.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {editions: {current: {}, early: {as_of: '2024-12-31'}}}\n")


def _said(project: Path, folder: str) -> dict:
    nb = nbformat.read(project / "briefs" / "ok" / folder / "ok.ipynb", as_version=4)
    probe = next(c for c in nb.cells if c.source.startswith("import json, os, sys"))
    return json.loads(probe.outputs[0]["text"])


def test_a_forked_kernel_starts_with_the_modules_imported_and_is_otherwise_a_launched_kernel(project, monkeypatch):
    _probe_notebook(project)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # then ipykernel picks the inline backend
    render(project, jobs=1)
    forked = {folder: _said(project, folder) for folder in ("2025-04-30", "2024-12-31")}
    shutil.rmtree(project / "briefs")
    monkeypatch.setattr(kernels, "forkable", lambda cmd, env=None: False)  # inherited by the forked build processes
    render(project, jobs=1)
    launched = {folder: _said(project, folder) for folder in ("2025-04-30", "2024-12-31")}

    notebooks = str(project / "notebooks")
    for said in forked.values():
        assert said["preloaded"] == ["briefing.brief", "matplotlib.figure", "pandas"], "the fork is what saves time"
    for said in launched.values():
        assert said["preloaded"] == [], "a launched kernel imports nothing before its first cell"
    for said in (*forked.values(), *launched.values()):
        assert said["cwd"] == notebooks
        assert said["own_group"] and said["parent_pid_set"] and said["trace"]
        assert said["poller"], "it watches its build, and exits when the build dies"
        assert said["backend"] == "module://matplotlib_inline.backend_inline"
        assert said["transport"] == "ipc", "no TCP port to race another build's kernel for"
        assert said["stdin_at_end"] and said["inherited"] == [], "no input, no pipe of the build or the render"
        assert said["leak"] is None, "each edition has a kernel of its own, never one another edition used"
    assert len({s["pid"] for s in (*forked.values(), *launched.values())}) == 4
    assert {json.dumps(s["path"]) for s in (*forked.values(), *launched.values())} == {json.dumps(
        launched["2025-04-30"]["path"])}, "the same import path ('' before site-packages, as IPython puts it)"


def test_a_real_brief_renders_to_the_same_files_from_a_forked_or_a_launched_kernel(tmp_path, monkeypatch):
    project = tmp_path / "real"
    for part in ("notebooks", "data", "analysis"):
        shutil.copytree(ROOT / part, project / part)
    monkeypatch.setenv("BRIEFING_DATA", str(project / "data"))
    monkeypatch.chdir(project)
    names, folder = ("04-seoul-russia-policy",), "04-seoul-russia-policy/2024-06-30"
    render(project, names, jobs=1)
    (project / "briefs").rename(project / "forked")
    monkeypatch.setattr(kernels, "forkable", lambda cmd, env=None: False)
    render(project, names, jobs=1)
    forked, launched = project / "forked" / folder, project / "briefs" / folder
    names = sorted(p.name for p in forked.iterdir() if p.name != "edition.json")
    assert {"04-seoul-russia-policy.html", "04-seoul-russia-policy.pdf", "04-seoul-russia-policy.ipynb"} <= set(names)
    for name in names:
        if name.endswith(".pdf"):  # its dates sit in compressed metadata: compare what is drawn
            ours, theirs = (_drawn(where / name) for where in (forked, launched))
        else:
            ours, theirs = (TIMESTAMP.sub(b"T", (where / name).read_bytes()) for where in (forked, launched))
        assert ours == theirs, name


def _drawn(pdf: Path) -> list:
    """Each page's content stream and images."""
    from pypdf import PdfReader

    return [(page.get_contents().get_data(), [image.data for image in page.images]) for page in PdfReader(pdf).pages]


def test_a_kernel_does_not_outlive_its_build(project, tmp_path):
    started = tmp_path / "kernel-pid"
    nb = nbformat.read(project / "notebooks" / "ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import os, time\nopen({str(started)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)"))
    nbformat.write(nb, project / "notebooks" / "ok.ipynb")
    write_catalog(project, "formats: [html]\nbriefs:\n  ok: {}\n")
    env = {**os.environ, "BRIEFING_DATA": str(project / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "briefing.cli", "render", "--jobs", "1"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
        assert proc.poll() is None, "render ended before the slow cell"
        time.sleep(0.2)
    kernel = psutil.Process(int(started.read_text()))
    assert kernel.ppid() != proc.pid, "the kernel is a process of the build, not of render"
    os.killpg(proc.pid, signal.SIGKILL)  # render and its build; the kernel has a session of its own
    proc.wait()
    gone, _ = psutil.wait_procs([kernel], timeout=15)
    assert gone, "the kernel saw its build die and exited"


@pytest.mark.parametrize(("cmd", "expected"), [
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"], True),
    ([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"], True),
    ([sys.executable, "-I", "-m", "ipykernel_launcher", "-f", "k.json"], False),  # an option that changes Python
    ([sys.executable, "-m", "other_kernel", "-f", "k.json"], False),
    (["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "k.json"], False),  # another interpreter
    (["R", "--slave", "-e", "IRkernel::main()", "--args", "k.json"], False),
])
def test_only_this_interpreter_starting_an_ipython_kernel_is_forked(cmd, expected, monkeypatch):
    monkeypatch.setattr(kernels, "_preloaded", True)
    monkeypatch.setitem(kernels._fresh, "pythonpath", "/site")
    monkeypatch.setenv("PYTHONPATH", "/site")
    monkeypatch.setattr(kernels.threading, "active_count", lambda: 1)
    assert kernels.forkable(cmd) is expected
    monkeypatch.setattr(kernels.threading, "active_count", lambda: 2)
    assert not kernels.forkable(cmd), "a process with other threads is never forked"
    monkeypatch.setattr(kernels.threading, "active_count", lambda: 1)
    assert not kernels.forkable(cmd, {"PYTHONPATH": "/elsewhere"}), "another import path: launched"
    monkeypatch.setattr(kernels, "_preloaded", False)
    monkeypatch.setattr(kernels.threading, "active_count", lambda: 1)
    assert not kernels.forkable(cmd), "without the modules imported a fork saves nothing"


def test_the_template_holds_modules_never_a_table():
    code = ("from briefing import kernels, data\nkernels.preload()\n"
            "print(data._load.cache_info().currsize, kernels._preloaded)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True"]


@pytest.mark.parametrize("notebook", ["ok", "raises"])
def test_the_executed_notebook_is_written_when_the_run_starts_and_ends_not_at_every_cell(project, tmp_path, notebook,
                                                                                          monkeypatch):
    """papermill writes the whole notebook at each cell's start and end (80 writes for a brief); twice is enough,
    and a failed cell still leaves the cells that ran, its error and papermill's banner on disk."""
    import papermill.engines

    from briefing import catalog, execute

    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: (writes.append(path), real(nb, path)))
    write_catalog(project, f"formats: [html]\nbriefs:\n  {notebook}: {{}}\n")
    (edition,) = catalog.editions(catalog.load(project / "notebooks" / "catalog.yml"))
    result = execute.build(edition, tmp_path / "out", timeout=60, provenance={})
    cells = nbformat.read(project / "notebooks" / f"{notebook}.ipynb", as_version=4).cells
    assert len(cells) >= 4 and len(writes) == 2, writes  # start and end, however many cells
    executed = nbformat.read(tmp_path / "out" / f"{notebook}.ipynb", as_version=4)
    ran = [c for c in executed.cells if c.cell_type == "code" and c.get("execution_count")]
    if notebook == "ok":
        assert result.status == "ok" and len(ran) == sum(c.cell_type == "code" for c in cells) + 1  # + parameters
    else:
        assert result.status == "failed" and result.ename and result.cell is not None
        assert ran and any(o.get("output_type") == "error" for c in ran for o in c.outputs)
