"""The shared data package on disk: where it is, its descriptor, content hashes.

Kept free of pandas so that the render planner (which only hashes files) starts
fast; :mod:`briefing.data` builds the typed loaders on top of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

DESCRIPTOR = "datapackage.json"
TRACE_ENV = "BRIEFING_TRACE"


def data_dir() -> Path:
    """Folder holding ``datapackage.json``.

    ``BRIEFING_DATA`` wins; otherwise the nearest ``data/`` above the working
    directory (notebooks run from ``notebooks/``), then the repository that
    holds this package.
    """
    if env := os.environ.get("BRIEFING_DATA"):
        return Path(env).resolve()
    for base in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (base / "data" / DESCRIPTOR).is_file():
            return base / "data"
    raise FileNotFoundError(f"no data/{DESCRIPTOR} above {Path.cwd()}; set BRIEFING_DATA")


def descriptor(root: Path | None = None) -> dict:
    """The parsed Data Package descriptor."""
    root = root or data_dir()
    return json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))


def resources(root: Path | None = None) -> dict[str, dict]:
    """Resource descriptors by name, in descriptor order."""
    return {r["name"]: r for r in descriptor(root)["resources"]}


@functools.cache
def _vocabulary(root: Path) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for resource in resources(root).values():
        for field in resource["schema"]["fields"]:
            for category in field.get("categories", []):
                found.setdefault(field["name"], {})[category["value"]] = category["label"]
    return found


def labels(column: str, root: Path | None = None) -> dict[str, str]:
    """Reader-facing labels of a coded column's values, from the descriptor's ``categories``.

    The one vocabulary of the project: codes and their labels are defined
    side by side in ``datapackage.json`` and every brief, chart and table
    reads them here.  Empty for a column without categories.
    """
    return _vocabulary((root or data_dir()).resolve()).get(column, {})


def codes(table: str, column: str, root: Path | None = None) -> tuple[str, ...]:
    """Allowed values of a coded column, in the descriptor's order."""
    fields = {f["name"]: f for f in resources(root)[table]["schema"]["fields"]}
    return tuple(fields[column]["constraints"]["enum"])


def table_hash(name: str, root: Path | None = None) -> str:
    """SHA-256 of a table's bytes: the render cache keys on content, not mtime."""
    root = root or data_dir()
    path = root / resources(root)[name]["path"]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_ids(value) -> list[str]:
    """Keys of a semicolon-separated id cell (``source_ids``, ``matched_ids``)."""
    if value is None or type(value).__name__ == "NAType" or value != value:  # None, pd.NA, NaN
        return []
    return [part for part in str(value).split(";") if part]
