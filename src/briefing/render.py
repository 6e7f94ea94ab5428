"""Render the catalog: validate, plan, execute in parallel, publish, report.

:func:`render` returns the run report (a dict, also written as JSON under
``briefs/_runs/``); the CLI only formats it.  Order of work:

1. validate the shared data and every parameter set: any problem stops the run
   before a kernel starts (exit 2, nothing published changes);
2. take the publish lock;
3. skip editions whose inputs are unchanged (:mod:`briefing.cache`);
4. build the rest in separate processes, one kernel each;
5. publish each complete edition atomically, keep failures' notebooks, write
   the report and the index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache, catalog, publish, revision, validate
from .edition import Edition, marking_area
from .errors import UsageError
from .execute import BuildResult, build, git_state, warm_up


def project_paths(root: Path) -> dict[str, Path]:
    return {"data": root / "data", "briefs": root / "briefs", "catalog": root / "notebooks" / "catalog.yml"}


def plan(root: Path, names=(), overrides: dict[str, Any] | None = None,
         formats: tuple[str, ...] | None = None, publish_drafts: bool = False) -> list[Edition]:
    """Editions to consider, every parameter set already checked."""
    paths = project_paths(root)
    chosen = catalog.editions(catalog.load(paths["catalog"]), tuple(names), overrides or None, formats,
                              publish=publish_drafts)
    if overrides and "as_of" in overrides and "previous_edition" not in overrides:
        chosen = [_with_previous(e, paths["briefs"]) for e in chosen]
    return chosen


def _with_previous(edition: Edition, briefs: Path) -> Edition:
    """For an ad-hoc ``--as-of``, compare against the latest published edition before it."""
    earlier = [r["as_of"] for r in publish.published_editions(briefs, marking_area(edition.marking))
               if r.get("slug") == edition.slug and r.get("as_of", "") < edition.as_of]
    if not earlier:
        return edition
    return dataclasses.replace(edition, parameters={**edition.parameters, "previous_edition": max(earlier)})


def render(root: Path, names=(), *, overrides: dict[str, Any] | None = None,
           formats: tuple[str, ...] | None = None, publish_drafts: bool = False, **run) -> dict:
    """Render editions of the catalog under ``root``; return the run report.

    A published edition whose inputs changed is *held* (left as readers saw
    it, and reported) unless ``revise``: then a marked revision is published
    beside it.  Drafts are simply rebuilt.  ``run`` takes the options of
    :func:`execute` (jobs, force, revise, timeout, wait, scheduler, callbacks).
    """
    _check(project_paths(root)["data"], warm=not run.get("scheduler"))
    return execute(root, plan(root, names, overrides, formats, publish_drafts), **run)


def backfill(root: Path, names=(), *, start: str, end: str, every: str = "month",
             formats: tuple[str, ...] | None = None, **run) -> dict:
    """Render each brief's series of editions as known on each date from ``start`` to ``end``; the run report.

    The dates are month ends (``every="month"``) or Sundays (``"week"``).
    Backfilled editions are *published*, as regular editions: each shows only
    what was known on its date (the same window rules as any edition), so they
    are the series readers would have had, and the history pages fill from
    them.  A date that is already a catalog edition renders that edition; one
    with nothing on record yet is kept as a draft (as in :func:`render`).
    ``previous_edition`` is the series' previous date.
    """
    _check(project_paths(root)["data"], warm=not run.get("scheduler"))
    return execute(root, backfill_plan(root, names, start, end, every, formats), **run)


def _check(data: Path, *, warm: bool) -> None:
    """Validate the data; when builds will run here, warm this process up meanwhile.

    On a cold start validating and warming up (importing what builds and kernels need) take about 3 s
    each: the check runs in a forked process beside the warm-up.  Bad data still stops the run before
    any kernel starts, with the same error as :func:`validate.check` raised here.
    """
    if not warm:
        validate.check(data)
        return
    if validate.check(data, remembered_only=True):
        return  # known for these bytes: no warm-up here, nothing may need building
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_check_child, args=(data, writer), daemon=True)
    child.start()
    writer.close()
    warm_up()
    try:
        error = reader.recv()
    except EOFError:  # the checking process died: check here
        error = None
        validate.check(data)
    finally:
        child.join()
    if error is not None:
        raise error


def _check_child(data: Path, writer) -> None:
    try:
        validate.check(data)
        writer.send(None)
    except Exception as err:  # noqa: BLE001 - raised again in the parent
        writer.send(err)
    writer.close()


def series(start: str, end: str, every: str) -> list[str]:
    """Month ends or Sundays from ``start`` to ``end`` (inclusive), ISO strings; one earlier date first.

    The extra first date is the previous edition of the first one.
    """
    import calendar
    from datetime import date, timedelta

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as err:
        raise UsageError(f"--from/--to: {err}") from None
    if last > date.today():
        raise UsageError(f"--to {end} is in the future: an edition is as known on a past or present day")
    if first > last:
        raise UsageError(f"--from {start} is after --to {end}")
    if every == "week":
        day = first + timedelta(days=(6 - first.weekday()) % 7)  # the first Sunday on or after start
        days = [day - timedelta(days=7)]
        while day <= last:
            days.append(day)
            day += timedelta(days=7)
    elif every == "month":
        year, month = first.year, first.month
        days = []
        while True:
            day = date(year, month, calendar.monthrange(year, month)[1])
            if day > last:
                break
            days.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        previous = date(first.year, first.month, 1) - timedelta(days=1)
        days.insert(0, previous)
    else:
        raise UsageError(f"--every must be 'month' or 'week', not {every!r}")
    return [d.isoformat() for d in days]


def backfill_plan(root: Path, names, start: str, end: str, every: str,
                  formats: tuple[str, ...] | None = None) -> list[Edition]:
    """The editions of a backfill, every parameter set checked before any kernel starts."""
    dates = series(start, end, every)
    if len(dates) < 2:
        raise UsageError(f"no {'month end' if every == 'month' else 'Sunday'} between {start} and {end}")
    briefs = catalog.load(project_paths(root)["catalog"])
    listed = {(e.slug, e.as_of, e.marking): e for e in catalog.editions(briefs, tuple(names), None, formats)}
    chosen = []
    for previous, as_of in zip(dates, dates[1:]):
        for edition in catalog.editions(briefs, tuple(names), {"as_of": as_of, "previous_edition": previous},
                                        formats, publish=True):
            edition = listed.get((edition.slug, edition.as_of, edition.marking)) or dataclasses.replace(
                edition, name=f"{every}ly")
            chosen.append(edition)
    return chosen


def execute(root: Path, editions: list[Edition], *, jobs: int | None = None, force: bool = False,
            revise: bool = False, timeout: int = 600, wait: float = 0, scheduler: str | None = None,
            on_result: Callable[[dict], None] | None = None,
            on_plan: Callable[[list[dict]], None] | None = None) -> dict:
    """Build and publish ``editions`` (already planned and checked); return the run report.

    Builds run in local processes, or as tasks on a Dask cluster when
    ``scheduler`` names one (``tcp://host:8786``, or ``local``); either way
    this process publishes, under the lock.
    """
    paths = project_paths(root)
    briefs = paths["briefs"]
    with publish.locked(briefs, wait):
        started, clock = publish.now(), time.perf_counter()
        hashes = cache.table_hashes()  # the inputs as they are now, before any build reads them
        provenance = {**git_state(root),
                      "data_hash": hashlib.sha256("".join(hashes.values()).encode()).hexdigest()[:16]}
        keys = {e.label: cache.static_key(e) for e in editions}
        entries, todo = {}, []
        for edition in editions:
            state = cache.state(briefs / edition.folder, keys[edition.label], hashes)
            if state == "current" and not force:
                entries[edition.label] = _entry(edition, "cached")
            elif state == "new" or edition.draft:
                todo.append(edition)
            elif revise:
                todo.append(dataclasses.replace(edition, revision=_revision(briefs / edition.folder, edition)))
            else:
                entries[edition.label] = _entry(edition, "held", note="its inputs changed since it was published; "
                                                "it stays as readers saw it (briefing render --revise issues a revision)")
        if on_plan:
            on_plan([_entry(e, "queued" if e in todo else entries[e.label]["status"]) for e in editions])
        for entry in entries.values():
            on_result and on_result(entry)
        staging = briefs / publish.STAGING / f"{os.getpid()}"
        by_label = {e.label: e for e in todo}
        if scheduler:
            from .cluster import run_on_dask

            results = run_on_dask(todo, staging, scheduler, timeout, provenance, jobs=jobs)
        else:
            results = _run(todo, staging, jobs, timeout, provenance)
        for result in results:
            edition = by_label[result.label]
            entry = _finish(edition, result, staging / edition.folder, briefs, keys[edition.label], provenance,
                            hashes)
            entries[edition.label] = entry
            on_result and on_result(entry)
        shutil.rmtree(staging, ignore_errors=True)
        report = _report(started, time.perf_counter() - clock, [entries[e.label] for e in editions])
        publish.write_report(briefs, report)
        from .index import write_index

        write_index(briefs, report)
    return report


def _revision(address: Path, edition: Edition) -> dict:
    """What a revision of the edition at ``address`` says about itself: number, date, changes, original."""
    record = publish.read_json(address / publish.RECORD) or {}
    before = publish.read_json(address / revision.SNAPSHOT) or {}
    after = revision.snapshot(record.get("tables", {}), edition.as_of)
    notes = revision.changes(before, after) or ["no row of the record changed: the software or the notebook did"]
    number = publish.next_revision(address)
    return {"number": number, "date": publish.now()[:10], "changes": notes,
            "original": f"../{publish.build_folder(address, 1).name}/{edition.slug}.html",
            "previous": f"../{os.readlink(address) if address.is_symlink() else address.name}/{edition.slug}.html"}


def _entry(edition: Edition, status: str, **extra) -> dict:
    return {"brief": edition.slug, "edition": edition.name, "as_of": edition.as_of, "marking": edition.marking,
            "draft": edition.draft,
            "folder": edition.folder.as_posix(), "status": status, "cache_hit": status == "cached",
            "seconds": 0.0, **extra}


def _run(todo, staging: Path, jobs: int | None, timeout: int, provenance: dict):
    """Yield :class:`BuildResult` as builds finish, one process per edition.

    A process per edition (at most ``jobs`` at once), even with one job, means
    a build that kills its own process fails only itself.  Heavy modules are
    imported and the HTML exporter is built here, before forking, so each
    child starts warm.
    """
    if not todo:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    warm_up()
    context = multiprocessing.get_context("fork")
    pending, running = list(todo), {}
    while pending or running:
        while pending and len(running) < jobs:
            edition = pending.pop(0)
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(edition, staging / edition.folder, timeout,
                                                           provenance, writer), daemon=True)
            process.start()
            writer.close()
            running[reader] = (process, edition)
        for reader in multiprocessing.connection.wait(list(running)):
            process, edition = running.pop(reader)
            try:
                result = reader.recv()
            except EOFError:  # the child died before it could report
                process.join()
                result = BuildResult(edition.label, "failed", ename="WorkerDied",
                                     evalue=f"build process exited with code {process.exitcode}")
            reader.close()
            process.join()
            yield result


def _child(edition, staging: Path, timeout: int, provenance: dict, writer) -> None:
    writer.send(build(edition, staging, timeout=timeout, provenance=provenance))
    writer.close()


def _finish(edition: Edition, result: BuildResult, staging: Path, briefs: Path, key: str, provenance: dict,
            hashes: dict[str, str]) -> dict:
    if result.status == "ok" and result.empty and not edition.draft:
        # Nothing had been reported by as_of (or the brief showed no row): not a brief to publish.
        edition = dataclasses.replace(edition, draft=True)
        note = "nothing on record for this brief by its as_of: kept as a draft, not published"
    else:
        note = None
    if result.status == "ok":
        # A notebook that read no table through briefing.data may have read the
        # files some other way: then every table counts as an input.
        read = result.tables or sorted(hashes)
        address = briefs / edition.folder
        number = edition.revision["number"] if edition.revision else publish.next_revision(address)
        publish.write_atomic(staging / revision.SNAPSHOT, json.dumps(revision.snapshot(read, edition.as_of)))
        files = [*result.files, revision.SNAPSHOT]
        record = {"slug": edition.slug, "title": result.title, "edition": edition.name, "as_of": edition.as_of,
                  "marking": edition.marking, "draft": edition.draft, "record_end": result.record_end,
                  **{k: result.line.get(k, []) for k in ("judgments", "withdrawn", "signposts")},
                  "parameters": edition.parameters, "key": key, "status": "ok", "revision": number,
                  "changes": (edition.revision or {}).get("changes", []),
                  "tables": {name: hashes[name] for name in read}, "files": files,
                  "sha256": {name: _sha256(staging / name) for name in files},
                  "rendered_at": publish.now(), **provenance}
        try:
            publish.publish(staging, address, files, record, keep_history=not edition.draft)
        except publish.PublishError as err:
            return _entry(edition, "failed", seconds=result.seconds,
                          error={"cell": None, "ename": "PublishError", "evalue": str(err),
                                 "notebook": edition.notebook.name, "kept": []})
        status = "draft" if edition.draft else "revised" if edition.revision else "ok"
        return _entry(edition, status, seconds=result.seconds, files=result.files, tables=read, revision=number,
                      **({"note": note} if note else {}))
    kept = publish.keep_failure(staging, briefs, edition.folder, result.files)
    error = {"cell": result.cell, "ename": result.ename, "evalue": (result.evalue or "")[:2000],
             "notebook": edition.notebook.name, "kept": kept}
    return _entry(edition, "failed", seconds=result.seconds, error=error)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report(started: str, seconds: float, entries: list[dict]) -> dict:
    counts = {s: sum(e["status"] == s for e in entries) for s in ("ok", "revised", "draft", "held", "cached", "failed")}
    return {"started": started, "finished": publish.now(), "seconds": round(seconds, 3),
            "status": "failed" if counts["failed"] else "ok", "counts": counts,
            "exit_code": 1 if counts["failed"] else 0, "briefs": entries}
