"""Execute one edition with papermill (in-process API) and export its formats.

Runs inside a worker process: one kernel per edition, outputs written only to
a staging folder.  Every failure (a raising cell, a dead kernel, a cell past
the timeout, an export error) becomes a :class:`BuildResult` with the cell
index, error name and message; the executed notebook is kept for debugging.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from . import datapackage as data


@dataclass
class BuildResult:
    """What one edition's build produced (picklable: it crosses processes)."""

    label: str
    status: str  # "ok" | "failed"
    files: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    seconds: float = 0.0
    title: str | None = None
    record_end: str | None = None
    empty: bool = False  # the kernel said it had nothing to show by as_of
    line: dict = field(default_factory=dict)  # judgments and signposts shown (briefing.line.recorded)
    cell: int | None = None
    ename: str | None = None
    evalue: str | None = None


# The kernel's own log (transport warnings, shutdown notices) is noise in a
# nightly log; cell errors still arrive as messages and are reported.
QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]
# The project's kernelspec (installed by `make setup`): every notebook names it, and
# render uses it, so a JupyterLab installed elsewhere still finds the package.
KERNEL_NAME = "peninsula-briefs"


INPUTS = ("notebooks", "data", "src")  # what a brief is made from, for provenance


def git_state(root: Path) -> dict:
    """Provenance of a run: the commit, whether the inputs differ from it, and a hash of those differences.

    ``git_dirty`` is true when tracked or untracked files under the inputs
    (notebooks, data, package) differ from the commit; ``dirty_hash`` hashes
    the diff and the untracked files, so two editions from the same dirty
    tree can be told apart from each other and from the commit.
    """
    def git(*args) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None

    sha = (git("rev-parse", "--short", "HEAD") or "").strip() or None
    status = git("status", "--porcelain", "--untracked-files=all", "--", *INPUTS)
    if sha is None or status is None:
        return {"git_sha": sha, "git_dirty": None, "dirty_hash": None}
    if not status.strip():
        return {"git_sha": sha, "git_dirty": False, "dirty_hash": None}
    digest = hashlib.sha256((git("diff", "HEAD", "--", *INPUTS) or "").encode())
    for line in sorted(status.splitlines()):
        if line.startswith("??"):
            path = root / line[3:].strip()
            digest.update(line.encode() + (path.read_bytes() if path.is_file() else b""))
    return {"git_sha": sha, "git_dirty": True, "dirty_hash": digest.hexdigest()[:16]}


def _failed_cell(path: Path, index: int | None = None) -> int | None:
    """Index, in the analyst's notebook, of the cell that raised or was running.

    papermill adds an injected-parameters cell to the executed copy; it is
    not counted, so the index matches what the analyst sees in JupyterLab
    (papermill's own index predates its error banner cells).  Without
    ``index`` (dead kernel, timeout), it is the last cell that started.
    """
    import nbformat

    try:
        cells = nbformat.read(path, as_version=4).cells
    except (OSError, ValueError):
        return index
    if index is not None:  # papermill's index predates the banner and anchor cells it then added
        cells = [c for c in cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    else:
        started = [i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")]
        if not started:
            return None
        index = started[-1]  # the last cell that began: later ones never ran
    added = sum(1 for c in cells[:index] if "injected-parameters" in c.metadata.get("tags", []))
    return index - added


def build(edition, staging: Path, *, timeout: int, provenance: dict) -> BuildResult:
    """Execute ``edition`` into ``staging`` and render its formats there."""
    import nbformat
    from papermill import execute_notebook
    from papermill.exceptions import PapermillExecutionError

    from .kernels import ForkingKernelManager
    from .line import recorded
    from .metadata import kernel_metadata

    start = time.perf_counter()
    staging.mkdir(parents=True, exist_ok=True)
    executed = staging / f"{edition.slug}.ipynb"
    result = BuildResult(edition.label, "failed", files=[executed.name])
    with tempfile.NamedTemporaryFile("w+", suffix=".trace", delete=False) as trace:
        trace_path = trace.name
    os.environ[data.TRACE_ENV] = trace_path  # the kernel's output channel for the tables it read
    try:
        nb = execute_notebook(str(edition.notebook), str(executed), parameters=edition.parameters,
                         kernel_name=KERNEL_NAME, cwd=str(edition.notebook.parent),
                         execution_timeout=timeout, progress_bar=False, log_output=False,
                         extra_arguments=QUIET_KERNEL, kernel_manager_class=ForkingKernelManager,
                         engine_name=_engine(), shutdown_kernel="immediate")
        result.tables = sorted(set(Path(trace_path).read_text().split()))
        # This host's folders are no part of an edition: built here or on a Dask worker, it is the same file.
        nb.metadata.get("papermill", {}).update(input_path=f"notebooks/{edition.notebook.name}",
                                                output_path=executed.name)
        for cell in nb.cells:  # papermill gives its parameters cell a random id on every run
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.id = "injected-parameters"
        said = kernel_metadata(nb)
        result.title = said.get("title") or _markdown_title(nb)
        result.record_end = said.get("record_end")
        result.line = recorded(nb)
        # Nothing on record by as_of, or a brief that showed no row at all: not a brief to publish.
        result.empty = ("record_end" in said and said["record_end"] is None) or said.get("sources_cited") == 0
        nb.metadata["briefing"] = _metadata(edition, provenance)
        nbformat.write(nb, executed)
        result.files += _export(nb, edition.formats, staging, edition.slug)
        result.status = "ok"
    except PapermillExecutionError as err:
        result.cell, result.ename, result.evalue = _failed_cell(executed, err.cell_index), err.ename, err.evalue
    except Exception as err:  # noqa: BLE001 - any failure is reported, never raised
        result.cell = _failed_cell(executed)
        result.ename, result.evalue = type(err).__name__, str(err) or traceback.format_exc(limit=1)
    finally:
        os.environ.pop(data.TRACE_ENV, None)
        Path(trace_path).unlink(missing_ok=True)
        result.seconds = round(time.perf_counter() - start, 3)
    return result


@functools.cache
def _engine() -> str:
    """papermill's nbclient engine, saving the output notebook when the run starts and ends, not at every cell.

    papermill writes (and validates) the whole notebook at the start and the end of every cell: about 80
    writes of a notebook that grows to its charts, 1.8 s of a 4 s build.  Here it is written when the run
    starts, every ``autosave_cell_every`` seconds while outputs arrive, and when the run ends, also after a
    failed cell, a dead kernel or a timeout (papermill's ``finally``), so the cells that ran are still kept.
    papermill's own ``request_save_on_cell_execute=False`` writes nothing at all when the kernel dies.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    def at_each_cell(step):
        def quietly(self, *args, **kwargs):
            self.each_cell = True
            try:
                return step(self, *args, **kwargs)
            finally:
                self.each_cell = False
        return quietly

    class Manager(NotebookExecutionManager):
        each_cell = False
        cell_start = at_each_cell(NotebookExecutionManager.cell_start)
        cell_complete = at_each_cell(NotebookExecutionManager.cell_complete)

        def save(self, **kwargs):
            if not self.each_cell:
                super().save(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # papermill's Engine.execute_notebook, with the manager above
            nb_man = Manager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register("briefing", Engine)
    return "briefing"


def _markdown_title(nb) -> str | None:
    """A visible markdown ``# `` line, for a notebook whose kernel emitted no header."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "remove-cell" not in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def _metadata(edition, provenance: dict) -> dict:
    """What the pipeline adds to the kernel's own record: the edition's identity, keywords, provenance."""
    return {"slug": edition.slug, "edition": f"{edition.slug}/{edition.as_of}", "language": "en",
            "keywords": list(edition.keywords), "marking": edition.marking, "draft": edition.draft,
            "revision": edition.revision,
            "generated": datetime.now(UTC).isoformat(timespec="seconds"),
            "generator": f"peninsula-briefs {__version__}", **provenance}


def warm_up() -> None:
    """Import the executor and exporters, and build the HTML exporter, once.

    Called in the parent before forking builds, so each child starts with
    papermill, nbconvert's template and WeasyPrint already loaded.
    """
    import papermill  # noqa: F401
    import weasyprint  # noqa: F401

    from .kernels import preload

    _html_exporter()
    preload()


@functools.cache
def _html_exporter():
    """One exporter per worker process: template loading is the slow part."""
    from .exporters import BriefHTMLExporter

    return BriefHTMLExporter()


def _export(nb, formats: tuple[str, ...], folder: Path, stem: str) -> list[str]:
    """Write each format from the registry; all are made from one HTML rendering."""
    from .formats import get

    html, _ = _html_exporter().from_notebook_node(nb)
    written = []
    for fmt in map(get, formats):
        path = folder / f"{stem}{fmt.extension}"
        path.write_bytes(fmt.from_html(html))
        written.append(path.name)
    return written
