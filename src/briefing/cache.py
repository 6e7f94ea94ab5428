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
import os
from pathlib import Path

from . import datapackage as data
from . import publish


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
    nb = json.loads(notebook.read_text(encoding="utf-8"))  # plain JSON: nbformat costs a second to import
    cells = [(c["cell_type"], "".join(c["source"]), sorted(c.get("metadata", {}).get("tags", [])))
             for c in nb["cells"]]
    return hashlib.sha256(json.dumps([nb["metadata"].get("kernelspec", {}), cells]).encode()).hexdigest()


def memo(kind: str, home: Path, parts: list[bytes | str], compute):
    """JSON result of ``compute()``, kept under ``home/.cache/`` by a hash of ``parts``.

    ``compute=None`` only looks: the remembered result, or ``None``.

    For deterministic, slow-to-start work on unchanged inputs (data
    validation, parameter inspection): a no-change run must take well under a
    second.  Any read or write error just recomputes.
    """
    path = _memo_path(kind, home, parts)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if compute is None:
            return None
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return value


def _memo_path(kind: str, home: Path, parts: list[bytes | str]) -> Path:
    digest = hashlib.sha256(package_fingerprint().encode())
    for part in parts:
        raw = part if isinstance(part, bytes) else part.encode()
        digest.update(len(raw).to_bytes(8, "big") + raw)  # length-prefixed: no two splits collide
    return home / ".cache" / "briefing" / f"{kind}-{digest.hexdigest()[:32]}.json"


@functools.cache
def environment_fingerprint() -> str:
    """Versions of the libraries that shape a brief: an upgrade re-renders everything."""
    from importlib.metadata import version

    names = ("papermill", "nbclient", "nbconvert", "ipykernel", "pandas", "matplotlib", "weasyprint")
    return ";".join(f"{name}={version(name)}" for name in names)


def register_fingerprint() -> str:
    """Hash of the analysts' register (``analysis/judgments``): a reworded judgment re-renders its briefs."""
    from .register import files, register_dir

    root = register_dir(data.data_dir())
    digest = hashlib.sha256()
    for path in files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def static_key(edition) -> str:
    """Key over everything known before execution (the data descriptor and the register included)."""
    descriptor = (data.data_dir() / data.DESCRIPTOR).read_bytes()
    payload = [notebook_fingerprint(edition.notebook), edition.parameters, list(edition.formats),
               package_fingerprint(), environment_fingerprint(), hashlib.sha256(descriptor).hexdigest(),
               register_fingerprint()]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def table_hashes(names=None) -> dict[str, str]:
    """Content hash of each named table (all tables when ``names`` is None)."""
    names = data.resources() if names is None else names
    return {name: data.table_hash(name) for name in sorted(set(names))}


def state(published: Path, key: str, hashes: dict[str, str]) -> str:
    """'new' (nothing published there), 'current' (same inputs) or 'changed'.

    ``hashes`` are the tables' content hashes now; the edition's record holds
    those of the tables it read when it was rendered.  A table whose hash
    moved still leaves the edition current when every row the edition could
    show (known on its ``as_of``) is unchanged: news reported later never
    revises a past edition.
    """
    from . import revision

    record_path = published / publish.RECORD
    if not record_path.is_file():
        return "new"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("key") != key or record.get("status") != "ok":
            return "changed"
        if not all((published / name).is_file() for name in record.get("files", [])):
            return "changed"
        tables = record.get("tables", {})
        if all(hashes.get(name) == digest for name, digest in tables.items()):
            return "current"
        shown = json.loads((published / revision.SNAPSHOT).read_text(encoding="utf-8"))
        return "current" if shown == revision.snapshot(tables, record["as_of"]) else "changed"
    except (ValueError, KeyError, OSError, AttributeError, TypeError):
        return "changed"


def is_current(published: Path, key: str, hashes: dict[str, str]) -> bool:
    """True when the edition in ``published`` was rendered from the same inputs (see :func:`state`)."""
    return state(published, key, hashes) == "current"
