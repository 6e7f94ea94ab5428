"""``briefs/index.html`` and the reader portal: generated from the published editions, never kept by hand.

Readers get, per place editions live, the latest edition of each brief and
every edition with its revisions (see :mod:`briefing.portal`); the status of
the last run is for operators, on ``_runs/index.html``.  Self-contained and
offline, under a Content-Security-Policy; every value is escaped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jinja2

from . import __version__, portal, publish
from .edition import MARKINGS, marking_area

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


def _heading(area: str) -> tuple[str, str]:
    marking = next((m for m in MARKINGS if marking_area(m) == area.removeprefix("_drafts").strip("/")), "")
    heading = AREAS_HEADING.get(area) or (f"Drafts under {marking}" if area.startswith("_drafts") else
                                          f"Editions under {marking}")
    return heading, marking


def _pages_key(briefs: Path, area: str) -> str:
    """What the pages of ``area`` are made from: every edition's record and builds, and this software.

    Published builds never change, so an unchanged key means unchanged pages (a no-change run then
    writes only the operators' run page).
    """
    from .cache import package_fingerprint

    records = publish.published_editions(briefs, area)
    current = [os.path.realpath(briefs / r["folder"]) for r in records]
    text = json.dumps([package_fingerprint(), records, current], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build_index(briefs: Path, report: dict | None = None, area: str = "") -> str:
    """HTML of the index of one place: the public one ('') lists only TLP:CLEAR publications.

    ``report`` (the run's status) is accepted for compatibility and never shown: it is for operators.
    """
    return portal.render_index(briefs, area, *_heading(area))


def write_index(briefs: Path, report: dict | None) -> Path:
    """Write the portal of every place editions live, and the operator's page; return the public index.

    The run's status (which editions ran, failed, under which marking) is for
    operators: it goes to ``_runs/index.html``, never onto a reader's index,
    so a render under another marking leaves the public index unchanged.
    """
    for area in areas(briefs):
        key, done = _pages_key(briefs, area), briefs / area / portal.PAGES_KEY
        if done.is_file() and done.read_text(encoding="utf-8") == key:
            continue  # nothing published or revised here since its pages were written, by this software
        if area.startswith("_drafts"):  # drafts are not publications: a plain list, no feed, no comparisons
            publish.write_atomic(briefs / area / "index.html", build_index(briefs, None, area))
        else:  # a portal and a history of publications, each beside its own marking's editions
            from .history import write_histories

            portal.write_portal(briefs, area, *_heading(area))
            write_histories(briefs, area)
        publish.write_atomic(done, key)
    publish.write_atomic(briefs / publish.RUNS / "index.html", _ENV.get_template("runs.html.j2").render(
        report=report, version=__version__))
    return briefs / "index.html"
