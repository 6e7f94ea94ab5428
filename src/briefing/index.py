"""``briefs/index.html``: generated from the published editions, never kept by hand.

Lists the latest edition of each brief, the archive, and the status of the
last run (failures with their cell and error).  Self-contained and offline,
with the same Content-Security-Policy as the briefs; every value is escaped.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import __version__, publish

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("briefing", "templates"),
                          autoescape=True)  # lenient: records of older runs may lack a key


def build_index(briefs: Path, report: dict | None) -> str:
    """HTML of the index for the editions published under ``briefs``."""
    editions = [{**r, "stale_days": _stale_days(r)} for r in publish.published_editions(briefs)]
    latest: dict[str, dict] = {}
    for record in editions:
        slug = record["folder"].split("/")[0]
        if slug not in latest or record["as_of"] > latest[slug]["as_of"]:
            latest[slug] = record
    archive = sorted(editions, key=lambda r: (r["folder"].split("/")[0], r["as_of"]), reverse=True)
    return _ENV.get_template("index.html.j2").render(
        latest=[latest[k] for k in sorted(latest)], archive=archive, report=report,
        version=__version__)


def _stale_days(record: dict) -> int | None:
    """Days between the end of an edition's record and its date, when past the stale threshold."""
    from datetime import date

    from .edition import STALE_AFTER_DAYS

    try:
        days = (date.fromisoformat(record["as_of"]) - date.fromisoformat(record["record_end"])).days
    except (KeyError, TypeError, ValueError):
        return None
    return days if days > STALE_AFTER_DAYS else None


def write_index(briefs: Path, report: dict | None) -> Path:
    """The index, and beside each brief's editions its history page (:mod:`briefing.history`)."""
    from .history import write_histories

    path = briefs / "index.html"
    publish.write_atomic(path, build_index(briefs, report))
    write_histories(briefs)
    return path
