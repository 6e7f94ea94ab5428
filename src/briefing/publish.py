"""Publish editions into ``briefs/`` so that readers never see a partial or mixed edition.

An edition's address, ``briefs/<slug>/<as_of>`` (inside its marking's place,
see :func:`briefing.edition.marking_area`), is a symbolic link to one
immutable build folder, ``<as_of>.r<N>``: revision ``N`` of the edition.  A
build is written there completely (every format, the executed notebook,
``edition.json`` last, each file fsynced) and then the link is switched with
one :func:`os.replace`, so a reader sees every format from one build, and a
killed run leaves the previous revision in place.  Earlier revisions stay
where they were, reachable at their own address.  Drafts use the same switch
but keep no history.  One lock (``briefs/.lock``, an OS file lock that dies
with its holder) keeps two runs from interleaving.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import BriefingError, LockedError

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
    """Remove what a killed run left: staging, half-written temporaries and builds never switched to."""
    shutil.rmtree(briefs / STAGING, ignore_errors=True)
    for tmp in [*briefs.rglob(".*.tmp"), *briefs.rglob(".*.link")]:
        tmp.unlink(missing_ok=True)
    for build in [p for p in briefs.rglob("*.r*") if p.is_dir() and p.name.rsplit(".r", 1)[1].isdigit()]:
        address = build.with_name(build.name.rsplit(".r", 1)[0])
        if address.is_symlink() and _number(build.name) > _number(os.readlink(address)):
            shutil.rmtree(build, ignore_errors=True)  # written by a run killed before its switch: never seen


def _number(build_name: str) -> int:
    return int(build_name.rsplit(".r", 1)[1])


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class PublishError(BriefingError):
    """The files of a build could not be published (disk full, read-only folder, ...).

    Raised after the half-written build is removed: the published edition is
    unchanged.
    """


def build_folder(address: Path, revision: int) -> Path:
    """Where revision ``revision`` of the edition at ``address`` lives: a sibling ``<as_of>.r<N>``."""
    return address.with_name(f"{address.name}.r{revision}")


def next_revision(address: Path) -> int:
    """The number the next build of the edition at ``address`` gets: one more than any build there."""
    legacy = address.is_dir() and not address.is_symlink()  # published before revisions: it becomes r1
    return max([_number(b.name) for b in revisions(address)] + [1 if legacy else 0]) + 1


def revisions(address: Path) -> list[Path]:
    """The build folders of the edition at ``address``, oldest first."""
    found = [(_number(p.name), p) for p in address.parent.glob(f"{address.name}.r*")
             if p.is_dir() and p.name.rsplit(".r", 1)[1].isdigit()]
    return [p for _, p in sorted(found)]


def publish(staging: Path, address: Path, files: list[str], record: dict, *, keep_history: bool = True) -> Path:
    """Make the build in ``staging`` the edition at ``address`` in one atomic switch; return its folder.

    ``record["revision"]`` numbers the build (see :func:`next_revision`).
    With ``keep_history`` (a publication), earlier builds stay; without it
    (a draft), they are removed once the switch is done.
    """
    build, made = build_folder(address, record["revision"]), False
    try:
        build.mkdir(parents=True)  # never an existing build: those are immutable
        made = True
        for name in files:
            with open(staging / name, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(staging / name, build / name)
        write_atomic(build / RECORD, json.dumps(record, indent=2, sort_keys=True))
        _fsync_dir(build)
        _switch(address, build)
    except OSError as err:
        if made:  # only what this call wrote; an existing build stays whole
            shutil.rmtree(build, ignore_errors=True)
        raise PublishError(f"could not publish {address.name} of {address.parent.name}: {err.strerror or err} "
                           f"({type(err).__name__}); the published edition is unchanged") from None
    if not keep_history:
        for old in revisions(address):
            if old != build:
                shutil.rmtree(old, ignore_errors=True)
    return build


def _switch(address: Path, build: Path) -> None:
    """Point ``address`` at ``build`` atomically (a relative link, so ``briefs/`` can move)."""
    if address.is_dir() and not address.is_symlink():  # published before revisions existed: its first build
        os.replace(address, build_folder(address, 1))
    link = address.with_name(f".{address.name}.{os.getpid()}.link")
    link.unlink(missing_ok=True)
    os.symlink(build.name, link, target_is_directory=True)
    os.replace(link, address)
    _fsync_dir(address.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def published_editions(briefs: Path, area: str = "") -> list[dict]:
    """Every edition published in ``area`` of ``briefs`` ('' is TLP:CLEAR), by brief then ``as_of``.

    One record per edition address (its current revision), with
    ``folder`` (the address) and ``revisions``: each build's folder,
    number, date and what it changed, oldest first.
    """
    records = []
    root = briefs / area
    for address in sorted(root.glob("*/*")):
        slug, name = address.parts[-2], address.name
        if slug.startswith(("_", ".")) or name.startswith(".") or ".r" in name or not address.is_dir():
            continue
        if record := read_json(address / RECORD):
            record["folder"] = address.relative_to(briefs).as_posix()
            record["revisions"] = [
                {"folder": build.relative_to(briefs).as_posix(), "revision": r.get("revision", 0),
                 "rendered_at": r.get("rendered_at"), "changes": r.get("changes", [])}
                for build in revisions(address) if (r := read_json(build / RECORD))]
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


def prune(briefs: Path, keep: int, protect: set[str] = frozenset(), area: str = "") -> list[str]:
    """Delete all but the newest ``keep`` editions of each brief in ``area``; return what went.

    An edition goes with all its revisions.  Folders in ``protect`` (the
    catalog's named editions) are never deleted, or the next run would only
    render them again.
    """
    removed = []
    by_slug: dict[str, list[dict]] = {}
    for record in published_editions(briefs, area):
        if record["folder"] not in protect:
            by_slug.setdefault(record["slug"], []).append(record)
    for records in by_slug.values():
        for record in sorted(records, key=lambda r: r["as_of"], reverse=True)[keep:]:
            address = briefs / record["folder"]
            for build in revisions(address):
                shutil.rmtree(build)
            address.unlink() if address.is_symlink() else shutil.rmtree(address)
            removed.append(record["folder"])
    return removed
