"""Keep the committed notebooks reproducible and clean for git.

The notebooks are committed with the outputs of their default parameters;
nbval compares against them.  :func:`refresh` re-executes them in place after
an intended change, and :func:`clean` strips what would only add diff noise
(timings, papermill bookkeeping, widget state) and the chart images, which
nbval never compares (the data behind each chart is tested instead); a chart
keeps its alt text, so the stored output still says what it shows.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat

from .errors import BriefingError, UsageError


class RefreshError(BriefingError):
    """A notebook failed while being refreshed; the file on disk is left as it was."""

KERNELSPEC = {"name": "peninsula-briefs", "display_name": "Python (peninsula briefs)", "language": "python"}
NOISY_CELL_KEYS = ("execution", "papermill", "collapsed", "scrolled", "ExecuteTime")
NOISY_NOTEBOOK_KEYS = ("papermill", "widgets", "briefing", "toc", "varInspector")
IMAGE_TYPES = ("image/png", "image/jpeg")  # rebuilt on every run; never compared by nbval


def themed(folder: Path, names=()) -> list[Path]:
    """The numbered brief notebooks (``NN-topic.ipynb``), optionally filtered by slug."""
    paths = sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))
    return [p for p in paths if not names or p.stem in names]


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop execution noise from ``nb`` in place; outputs stay."""
    for key in NOISY_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        for key in NOISY_CELL_KEYS:
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            for kind in IMAGE_TYPES:
                output.get("data", {}).pop(kind, None)
                output.get("metadata", {}).pop(kind, None)
    return nb


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Execute ``path`` with its default parameters (working folder: its own).

    Raises :class:`RefreshError` naming the notebook, cell, error and message
    (one line, no traceback) when a cell fails.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from .execute import KERNEL_NAME, QUIET_KERNEL

    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME, record_timing=False,
                       extra_arguments=QUIET_KERNEL, resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as err:
        cell = next((i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error"
                                                              for o in c.get("outputs", []))), None)
        raise RefreshError(f"{path.name}: cell {cell}: {err.ename}: {err.evalue}") from None
    return clean(nb)


def refresh(folder: Path, names=()):
    """Re-execute the notebooks in place (themed ones and the template); yield (path, seconds).

    Validates the shared data first (a broken table is one line from the
    validator, not a traceback from a kernel) and refuses unknown names.
    """
    from .validate import check

    paths = sorted(p for p in folder.glob("*.ipynb"))
    known = [p.stem for p in paths]
    if unknown := [n for n in names if n not in known]:
        raise UsageError(f"unknown notebook(s) {unknown}; known: {', '.join(known)}")
    check(folder.parent / "data")
    for path in (p for p in paths if not names or p.stem in names):
        start = time.perf_counter()
        nb = execute(path)
        nbformat.write(nb, path)
        yield path, time.perf_counter() - start
