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
import os
from pathlib import Path

import pandas as pd

from .datapackage import DESCRIPTOR, TRACE_ENV, codes, data_dir, descriptor, labels, resources, split_ids, table_hash  # noqa: F401

FACT_TABLES = ("events", "indicators", "claims", "flows", "sanctions", "polls", "crosscheck")

def _record(name: str) -> None:
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
