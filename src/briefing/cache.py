"""Decide whether an edition must be re-rendered.

An edition is current when nothing it depends on changed since it was
published: the notebook's cells (source and tags of code *and* markdown, since
prose is part of the brief; never outputs or execution counts), its resolved
parameters, the formats, the package and template sources, and the *content*
of each data table the last execution actually read (recorded by
:mod:`briefing.data`'s read trace).  Editing one table therefore re-renders
only the briefs that read it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import nbformat

from . import data

RECORD = "edition.json"


@functools.cache
def package_fingerprint() -> str:
    """Hash of the package's own sources and templates (its 'version')."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def notebook_fingerprint(notebook: Path) -> str:
    """Hash of every cell's type, source and tags (outputs and counts excluded)."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells]
    return hashlib.sha256(json.dumps([nb.metadata.get("kernelspec", {}), cells]).encode()).hexdigest()


def static_key(edition) -> str:
    """Key over everything known before execution."""
    payload = [notebook_fingerprint(edition.notebook), edition.parameters, list(edition.formats),
               package_fingerprint()]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def table_hashes(names) -> dict[str, str]:
    return {name: data.table_hash(name) for name in sorted(set(names))}


def is_current(edition, published: Path, key: str) -> bool:
    """True when ``published`` (the edition folder) was rendered from the same inputs."""
    record_path = published / RECORD
    if not record_path.is_file():
        return False
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("key") != key or record.get("status") != "ok":
            return False
        if not all((published / name).is_file() for name in record.get("files", [])):
            return False
        return record.get("tables", {}) == table_hashes(record.get("tables", {}))
    except (ValueError, KeyError, OSError):
        return False
