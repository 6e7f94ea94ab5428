"""Publish editions into ``briefs/`` so that readers never see a partial file.

Everything is built under ``briefs/.staging/<run>/`` and moved into place
with :func:`os.replace` (atomic on one file system) only once complete; the
edition record ``edition.json`` goes last, so a killed run leaves either the
old edition or the new one, never a mix that claims to be current.  The index
is written the same way.  One lock (``briefs/.lock``, an OS file lock that
dies with its holder) keeps two runs from interleaving.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import LockedError

RECORD = "edition.json"
STAGING = ".staging"
RUNS = "_runs"
FAILED = "_failed"

log = logging.getLogger("briefing")


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``path`` through a temporary sibling and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(tmp, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextmanager
def locked(briefs: Path, wait: float = 0):
    """Hold the publish lock; raise :class:`LockedError` naming the holder if taken."""
    from filelock import FileLock, Timeout

    briefs.mkdir(parents=True, exist_ok=True)
    info = briefs / ".lock.json"
    lock = FileLock(briefs / ".lock")
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        holder = read_json(info) or {}
        raise LockedError(f"another render holds {briefs / '.lock'} (pid {holder.get('pid', '?')}, "
                          f"started {holder.get('started', '?')}); retry later or use --wait SECONDS") from None
    try:
        stale = read_json(info)
        if stale and stale.get("pid") != os.getpid():
            # We hold the OS lock, so its previous holder died without releasing it.
            log.warning("took over the lock left by pid %s (started %s), which is no longer running",
                        stale.get("pid"), stale.get("started"))
        write_atomic(info, json.dumps({"pid": os.getpid(), "started": now()}))
        clear_leftovers(briefs)
        yield
    finally:
        info.unlink(missing_ok=True)
        lock.release()


def clear_leftovers(briefs: Path) -> None:
    """Remove what a killed run left: the staging folder and half-written temporaries."""
    shutil.rmtree(briefs / STAGING, ignore_errors=True)
    for tmp in briefs.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publish(staging: Path, target: Path, files: list[str], record: dict) -> None:
    """Move a complete edition from ``staging`` into ``target``, record last.

    Each file is flushed to disk, then renamed over the old one: a reader sees
    the old file or the new one, never part of one.  Files of the previous
    edition that this one no longer produces (a dropped format) are removed
    after the record is written.
    """
    target.mkdir(parents=True, exist_ok=True)
    for name in files:
        with open(staging / name, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staging / name, target / name)
    write_atomic(target / RECORD, json.dumps(record, indent=2, sort_keys=True))
    for old in target.iterdir():
        if old.is_file() and old.name not in {*files, RECORD}:
            old.unlink()


def keep_failure(staging: Path, briefs: Path, folder: Path, files: list[str]) -> list[str]:
    """Keep what a failed build left (the executed notebook) under ``_failed/``."""
    kept = []
    for name in files:
        if (staging / name).is_file():
            target = briefs / FAILED / folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            kept.append(str(target.relative_to(briefs)))
    return kept


def published_editions(briefs: Path) -> list[dict]:
    """Every published edition's record, by brief then ``as_of`` (oldest first)."""
    records = []
    for path in sorted(briefs.glob(f"*/*/{RECORD}")):
        if path.parts[-3].startswith(("_", ".")):
            continue
        if record := read_json(path):
            record["folder"] = path.parent.relative_to(briefs).as_posix()
            records.append(record)
    return sorted(records, key=lambda r: (r.get("slug", ""), r.get("as_of", "")))


def write_report(briefs: Path, report: dict, keep: int = 50) -> Path:
    """Write the run report, point ``latest.json`` at it, keep the last ``keep``."""
    runs = briefs / RUNS
    stamp = report["started"].replace(":", "").replace("+0000", "Z")
    path = runs / f"{stamp}-{os.getpid()}.json"
    text = json.dumps(report, indent=2)
    write_atomic(path, text)
    write_atomic(runs / "latest.json", text)
    for old in sorted(p for p in runs.glob("*.json") if p.name != "latest.json")[:-keep]:
        old.unlink()
    return path


def prune(briefs: Path, keep: int, protect: set[str] = frozenset()) -> list[str]:
    """Delete all but the newest ``keep`` editions of each brief; return what went.

    Folders in ``protect`` (the catalog's named editions) are never deleted,
    or the next run would only render them again.
    """
    removed = []
    by_slug: dict[str, list[dict]] = {}
    for record in published_editions(briefs):
        if record["folder"] not in protect:
            by_slug.setdefault(record["folder"].split("/")[0], []).append(record)
    for records in by_slug.values():
        for record in sorted(records, key=lambda r: r["as_of"], reverse=True)[keep:]:
            shutil.rmtree(briefs / record["folder"])
            removed.append(record["folder"])
    return removed
