"""What an edition showed, and what changed since: the basis of marked revisions.

Each published build keeps a snapshot of the rows it could show
(``inputs.json``): for every table it read, the rows known on its ``as_of``
(all rows of a table without ``reported_on``; a row without a report date is
not known, as in :func:`briefing.data.known_on`; and only the cited sources of
``sources``), keyed by the table's primary key, as the CSV text holds them.
Comparing the snapshot with the data now says, row by row, what a revision
adds, removes or corrects, and whether a change to a table touched the
edition at all (a row reported after ``as_of`` does not).

Pandas-free: the planner calls this before any build.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .datapackage import data_dir, resources, split_ids

SNAPSHOT = "inputs.json"
SHOWN_CHANGES = 12  # a revision note lists at most this many rows by name


def snapshot(tables, as_of: str, root: Path | None = None) -> dict[str, dict[str, dict[str, str]]]:
    """Rows of ``tables`` known on ``as_of``, by table and primary key (text as in the CSV)."""
    root = root or data_dir()
    described = resources(root)
    rows = {name: _rows(root, described[name]) for name in sorted(tables) if name in described}
    for name, table in rows.items():
        if any("reported_on" in row for row in table.values()):
            rows[name] = {k: r for k, r in table.items() if "" < (r.get("reported_on") or "") <= as_of}
    if "sources" in rows:
        cited = {sid for name, table in rows.items() if name != "sources"
                 for row in table.values() for sid in split_ids(row.get("source_ids"))}
        rows["sources"] = {k: r for k, r in rows["sources"].items() if k in cited} if cited else rows["sources"]
    return rows


def _rows(root: Path, resource: dict) -> dict[str, dict[str, str]]:
    key = resource["schema"].get("primaryKey") or [resource["schema"]["fields"][0]["name"]]
    key = [key] if isinstance(key, str) else key
    text = (root / resource["path"]).read_text(encoding="utf-8")
    return {"|".join(row[k] for k in key): row for row in csv.DictReader(io.StringIO(text, newline=""))}


def changes(before: dict, after: dict) -> list[str]:
    """What changed between two snapshots, in words a reader can check; empty when nothing did."""
    notes = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        added = [k for k in new if k not in old]
        removed = [k for k in old if k not in new]
        corrected = [k for k in new if k in old and new[k] != old[k]]
        if added:
            notes.append(f"{table}: {len(added)} row(s) added to the record ({_ids(added)})")
        if removed:
            notes.append(f"{table}: {len(removed)} row(s) removed ({_ids(removed)})")
        for key in corrected[:SHOWN_CHANGES]:
            moved = [f"{column} {old[key].get(column) or '–'} → {value or '–'}"
                     for column, value in new[key].items() if old[key].get(column) != value]
            notes.append(f"{table} {key} corrected: " + "; ".join(moved))
        if len(corrected) > SHOWN_CHANGES:
            notes.append(f"{table}: {len(corrected) - SHOWN_CHANGES} more row(s) corrected")
    return notes


def _ids(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOWN_CHANGES])
    return shown + (f" and {len(keys) - SHOWN_CHANGES} more" if len(keys) > SHOWN_CHANGES else "")
