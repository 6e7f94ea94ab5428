"""``briefs/index.html``: generated from the published editions, never kept by hand.

Lists the latest edition of each brief, the archive, and the status of the
last run (failures with their cell and error).  Self-contained and offline,
with the same Content-Security-Policy as the briefs; every value is escaped.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import __version__, publish
from .edition import MARKINGS, marking_area, stale_days

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("briefing", "templates"),
                          autoescape=True)  # lenient: records of older runs may lack a key


AREAS_HEADING = {"": "Peninsula briefs", "_drafts": "Drafts (not publications)"}


def areas(briefs: Path) -> list[str]:
    """Each place editions live, relative to ``briefs/``: '' (TLP:CLEAR), '_tlp-*', '_drafts', '_drafts/_tlp-*'."""
    found = [""] + sorted(p.name for p in briefs.glob("_tlp-*") if p.is_dir())
    drafts = briefs / "_drafts"
    if drafts.is_dir():
        found += ["_drafts"] + sorted(f"_drafts/{p.name}" for p in drafts.glob("_tlp-*") if p.is_dir())
    return found


def build_index(briefs: Path, report: dict | None, area: str = "") -> str:
    """HTML of the index of one place: the public one ('') lists only TLP:CLEAR publications."""
    editions = []
    for record in publish.published_editions(briefs, area):
        link = Path(record["folder"]).relative_to(area).as_posix() if area else record["folder"]
        revisions = [{**r, "link": Path(r["folder"]).relative_to(area).as_posix() if area else r["folder"]}
                     for r in record["revisions"]]
        editions.append({**record, "link": link, "revisions": revisions, "stale_days": _stale_days(record)})
    latest: dict[str, dict] = {}
    for record in editions:
        if record["slug"] not in latest or record["as_of"] > latest[record["slug"]]["as_of"]:
            latest[record["slug"]] = record
    archive = sorted(editions, key=lambda r: (r["slug"], r["as_of"]), reverse=True)
    marking = next((m for m in MARKINGS if marking_area(m) == area.removeprefix("_drafts").strip("/")), "")
    heading = AREAS_HEADING.get(area) or (f"Drafts under {marking}" if area.startswith("_drafts") else
                                          f"Editions under {marking}")
    return _ENV.get_template("index.html.j2").render(
        latest=[latest[k] for k in sorted(latest)], archive=archive, report=report, heading=heading,
        marking=marking, public=area == "", version=__version__)


def _stale_days(record: dict) -> int | None:
    try:
        return stale_days(record["as_of"], record.get("record_end"))
    except (KeyError, TypeError, ValueError):  # records of older runs may lack or mangle a date
        return None


def write_index(briefs: Path, report: dict | None) -> Path:
    """Write the index of every place editions live, and the operator's page; return the public index.

    The run's status (which editions ran, failed, under which marking) is for
    operators: it goes to ``_runs/index.html``, never onto a reader's index,
    so a render under another marking leaves the public index unchanged.
    """
    from .history import write_histories

    for area in areas(briefs):
        publish.write_atomic(briefs / area / "index.html", build_index(briefs, None, area))
        if not area.startswith("_drafts"):  # a history of publications, each beside its own marking's editions
            write_histories(briefs, area)
    publish.write_atomic(briefs / publish.RUNS / "index.html", _ENV.get_template("runs.html.j2").render(
        report=report, version=__version__))
    return briefs / "index.html"
