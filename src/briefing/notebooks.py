"""Keep the committed notebooks reproducible and clean for git.

The notebooks are committed with the outputs of their default parameters;
nbval compares against them.  :func:`refresh` re-executes them in place after
an intended change, and :func:`clean` strips what would only add diff noise
(timings, papermill bookkeeping, widget state), keeping outputs.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
NOISY_CELL_KEYS = ("execution", "papermill", "collapsed", "scrolled", "ExecuteTime")
NOISY_NOTEBOOK_KEYS = ("papermill", "widgets", "briefing", "toc", "varInspector")


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
    return nb


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Execute ``path`` with its default parameters (working folder: its own)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    from .execute import QUIET_KERNEL

    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, extra_arguments=QUIET_KERNEL,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return clean(nb)


def refresh(folder: Path, names=()):
    """Re-execute the notebooks in place (themed ones and the template); yield (path, seconds)."""
    paths = sorted(p for p in folder.glob("*.ipynb"))
    for path in (p for p in paths if not names or p.stem in names):
        start = time.perf_counter()
        nb = execute(path)
        nbformat.write(nb, path)
        yield path, time.perf_counter() - start
