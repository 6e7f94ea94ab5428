"""Typed access to the shared datasets in ``data/``.

The Data Package descriptor (``data/datapackage.json``) defines every column
once; this module reads types from it, so the CSV files, the validator and the
notebooks cannot drift apart.  Tables are cached per process.

Each table a process loads is recorded (and, when ``BRIEFING_TRACE`` names a
file, appended to it): the render cache uses that trace to re-render only the
briefs whose tables changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import pandas as pd

DESCRIPTOR = "datapackage.json"
FACT_TABLES = ("events", "indicators", "claims", "flows", "sanctions", "polls", "crosscheck")
TRACE_ENV = "BRIEFING_TRACE"

tables_read: set[str] = set()


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


def table_hash(name: str, root: Path | None = None) -> str:
    """SHA-256 of a table's bytes: the render cache keys on content, not mtime."""
    root = root or data_dir()
    path = root / resources(root)[name]["path"]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(name: str) -> None:
    tables_read.add(name)
    if trace := os.environ.get(TRACE_ENV):
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(name + "\n")


@functools.cache
def _load(name: str, root: Path) -> pd.DataFrame:
    resource = resources(root)[name]
    fields = resource["schema"]["fields"]
    frame = pd.read_csv(root / resource["path"], dtype=str, keep_default_na=False,
                        na_values=resource["schema"].get("missingValues", [""]), encoding="utf-8")
    for field in fields:
        column, kind = field["name"], field["type"]
        if kind == "date":
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
        elif kind == "number":
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        elif kind == "integer":
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        else:
            frame[column] = frame[column].astype("string")
    frame.attrs["table"] = name
    return frame


def load(name: str) -> pd.DataFrame:
    """One shared table as a typed DataFrame (a copy: callers may mutate it).

    Dates are ``datetime64``, numbers ``float64``, integers nullable ``Int64``
    and text ``string``; empty cells are missing values.
    """
    _record(name)
    frame = _load(name, data_dir()).copy()
    frame.attrs["table"] = name
    return frame


def sources() -> pd.DataFrame:
    """Publications cited by the fact tables."""
    return load("sources")


def events() -> pd.DataFrame:
    """Dated milestones."""
    return load("events")


def indicators() -> pd.DataFrame:
    """Long-format series, joined with their metadata (title, short unit)."""
    meta = load("indicator_meta")[["indicator_id", "title", "short_unit"]]
    return load("indicators").merge(meta, on="indicator_id", how="left")


def claims() -> pd.DataFrame:
    """Contested estimates by claimant, low/best/high."""
    return load("claims")


def flows() -> pd.DataFrame:
    """Ledger of what moves between the DPRK and Russia."""
    return load("flows")


def sanctions() -> pd.DataFrame:
    """ROK sanctions designations and export-control steps."""
    return load("sanctions")


def polls() -> pd.DataFrame:
    """South Korean opinion polls."""
    return load("polls")


def crosscheck() -> pd.DataFrame:
    """The source analysis' claims checked against the data."""
    return load("crosscheck")


def known_on(frame: pd.DataFrame, as_of) -> pd.DataFrame:
    """Rows that had been reported by ``as_of`` (inclusive).

    The one place the "as known on" cut is made: every brief filters every
    fact table through it, so a past edition shows only what was public then.
    """
    cutoff = pd.Timestamp(as_of)
    return frame[frame["reported_on"] <= cutoff]


def split_ids(value) -> list[str]:
    """Keys of a semicolon-separated id cell (``source_ids``, ``matched_ids``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return []
    return [part for part in str(value).split(";") if part]
