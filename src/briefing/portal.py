"""The reader portal: every published edition findable, comparable, subscribable and searchable, offline.

Written by :func:`briefing.index.write_index` after every render or prune, for
each place editions live (``''`` is TLP:CLEAR; ``_tlp-amber`` etc. get their
own pages, never mixed with the public ones):

- ``<area>/index.html``: the latest edition of each brief, then each brief's
  editions newest first with their revisions, and a search box;
- ``<area>/<slug>/index.html``: one brief, every edition and revision;
- ``<area>/<slug>/compare/<as_of>.html``: an edition against the previous
  published edition of the brief (also written as ``compare/after-<prev>.html``,
  the address the older edition links to, since it cannot know its successor);
- ``<area>/<slug>/latest.html`` and ``<area>/<slug>/editions.css``: how an
  immutable edition page learns that it is no longer the latest.  Each brief
  page links ``../editions.css`` (allowed by ``style-src 'self'``); the portal
  rewrites that stylesheet at each publish so that it shows the page's hidden
  "older edition" notice on every build but the latest one's current build.
  No script runs in a brief and no published byte changes;
- ``feed.atom`` (public area only): RFC 4287, one entry per published build.

Pages are self-contained and offline, built only from the editions' records
(``edition.json``, ``inputs.json``) and their HTML, and byte-identical when
nothing was published (no clock is read).
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import json
import os
import re
import unicodedata
import uuid
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import jinja2

from . import __version__, publish, revision
from .edition import stale_days

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("briefing", "templates"), autoescape=True)
STATUS_CSS = "editions.css"
LATEST = "latest.html"
COMPARE = "compare"
FEED = "feed.atom"
AUTHOR = "Peninsula Briefs"
# Files the portal (re)writes; everything else under briefs/ is a published build or a run report.
PAGES_KEY = ".pages-key"  # what the pages of a place were last written from (see index.write_index)
PAGES = frozenset({"index.html", "history.html", LATEST, STATUS_CSS, FEED, PAGES_KEY})  # rewritten after a publish
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:peninsula-briefs")


def human_date(value: str | None) -> str:
    """'15 Dec 2025' from '2025-12-15' (or an RFC 3339 time); '–' when unknown."""
    if not value:
        return "–"
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


# -- what each build says about itself ------------------------------------------------------

# Pages are nbconvert output we wrote ourselves: regular expressions suffice, and read a brief in ~10 ms.
_DROP = re.compile(r"<(style|script|head|svg)\b.*?</\1\s*>|<img\b[^>]*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_DESCRIPTION = re.compile(r'<meta\b[^>]*\bname="description"[^>]*>', re.I)
_CONTENT = re.compile(r'\bcontent="([^"]*)"', re.I)
_STANDFIRST = re.compile(r'<p class="[^"]*\b(?:standfirst|subtitle)\b[^"]*">(.*?)</p>', re.S | re.I)


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


_TEXTS: dict[tuple, tuple[str, str]] = {}  # builds are immutable: read each page once per process


def build_text(briefs: Path, folder: str, slug: str, record: dict) -> tuple[str, str]:
    """The bottom line and the reader-visible text of one build's HTML page."""
    key = (str((briefs / folder).resolve()), (record.get("sha256") or {}).get(f"{slug}.html"))
    if key[1] and key in _TEXTS:
        return _TEXTS[key]
    _TEXTS[key] = found = _read_text(briefs, folder, slug, record)
    return found


def _read_text(briefs: Path, folder: str, slug: str, record: dict) -> tuple[str, str]:
    try:
        page = (briefs / folder / f"{slug}.html").read_text(encoding="utf-8")
    except OSError:
        return record.get("bottom_line") or "", ""
    head, _, _ = page.partition("<body")
    meta = _DESCRIPTION.search(head)
    described = meta and _CONTENT.search(meta.group(0))
    standfirst = _STANDFIRST.search(page)
    bottom = record.get("bottom_line") or (described and html.unescape(described.group(1))) or \
        (standfirst and _plain(standfirst.group(1))) or ""
    return " ".join(bottom.split()), _plain(_DROP.sub(" ", page))


# -- the editions of one place ---------------------------------------------------------------

def briefs_in(briefs: Path, area: str = "") -> dict[str, list[dict]]:
    """Published editions of ``area`` by brief, newest first, each ready for the pages.

    Every edition gets ``link`` (its address, relative to the area), ``html``/``pdf``
    (file names it has), ``bottom_line``, ``revisions`` (each build, oldest first,
    with its own link and changes), ``previous``/``next`` (the neighbouring
    published editions of the brief) and ``latest`` (is it the brief's newest).
    """
    by_slug: dict[str, list[dict]] = {}
    for record in publish.published_editions(briefs, area):
        slug = record.get("slug") or record["folder"].split("/")[-2]
        link = _relative(record["folder"], area)
        files = record.get("files") or []
        bottom, _ = build_text(briefs, record["folder"], slug, record)
        builds = []
        for build in record.get("revisions") or []:
            built = publish.read_json(briefs / build["folder"] / publish.RECORD) or {}
            builds.append({**build, "link": _relative(build["folder"], area), "record": built,
                           "name": Path(build["folder"]).name})
        by_slug.setdefault(slug, []).append({
            **record, "slug": slug, "link": link, "bottom_line": bottom,
            "html": f"{slug}.html" if f"{slug}.html" in files else None,
            "pdf": f"{slug}.pdf" if f"{slug}.pdf" in files else None,
            "revisions": builds, "stale_days": _stale_days(record), "current_build": Path(_current(briefs / record["folder"])).name})
    for editions in by_slug.values():
        editions.sort(key=lambda r: r.get("as_of", ""), reverse=True)
        for i, record in enumerate(editions):
            record["latest"] = i == 0
            record["next"] = editions[i - 1] if i > 0 else None
            record["previous"] = editions[i + 1] if i + 1 < len(editions) else None
    return dict(sorted(by_slug.items()))


def _stale_days(record: dict) -> int | None:
    try:
        return stale_days(record["as_of"], record.get("record_end"))
    except (KeyError, TypeError, ValueError):  # records of older runs may lack or mangle a date
        return None


def _relative(folder: str, area: str) -> str:
    return Path(folder).relative_to(area).as_posix() if area else folder


def _current(address: Path) -> str:
    """The build folder an edition address points at (the address itself before revisions existed)."""
    return os.readlink(address) if address.is_symlink() else address.name


# -- comparison of an edition with the previous one ------------------------------------------

def _key(item: dict) -> str:
    return item.get("lineage") or item.get("id") or ""


def wording(before: str, after: str, limit: int = 6) -> list[str]:
    """The spans of words that changed between two texts: 'old → new', '+ added', '− removed'."""
    old, new = before.split(), after.split()
    spans = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        was, now = " ".join(old[i1:i2]).strip(".,;:"), " ".join(new[j1:j2]).strip(".,;:")
        if op == "replace":
            spans.append(f"{was} → {now}")
        elif op == "insert":
            spans.append(f"+ {now}")
        elif op == "delete":
            spans.append(f"− {was}")
    return spans[:limit] + ([f"and {len(spans) - limit} more"] if len(spans) > limit else [])


def compare(old: dict, new: dict, before: dict, after: dict, shown: str | None = None) -> dict:
    """What a reader of ``old`` needs to know about ``new``: judgments, signposts, figures, events.

    ``old``/``new`` are edition records; ``before``/``after`` the rows each could show
    (their ``inputs.json``, the whole shared record as known on each date); ``shown``
    the newer edition's text, to keep the events it shows apart from the rest of the record.
    """
    was = {_key(j): j for j in old.get("judgments") or []}
    now = {_key(j): j for j in new.get("judgments") or []}
    judgments = []
    for key, j in now.items():
        prior = was.get(key)
        if prior is None:
            judgments.append({"kind": "added", "now": j})
            continue
        moved = [f"{name} {prior.get(name) or 'unstated'} → {j.get(name) or 'unstated'}"
                 for name in ("likelihood", "confidence") if prior.get(name) != j.get(name)]
        if prior.get("id") != j.get("id") or moved:
            kind = "reworded" if prior.get("id") != j.get("id") else "re-rated"
            judgments.append({"kind": kind, "now": j, "was": prior, "moved": moved})
        elif prior.get("text") != j.get("text"):
            judgments.append({"kind": "figures updated", "now": j, "was": prior,
                              "moved": wording(prior.get("text", ""), j.get("text", ""))})
    withdrawn = {w.get("lineage"): w for w in new.get("withdrawn") or []}
    for key, j in was.items():
        if key not in now:
            judgments.append({"kind": "withdrawn" if key in withdrawn else "removed", "was": j,
                              "reason": withdrawn.get(key, {}).get("reason", "")})
    signs_was = {_key(s): s for s in old.get("signposts") or []}
    signposts = []
    for s in new.get("signposts") or []:
        prior = signs_was.get(_key(s))
        if prior is None:
            signposts.append({"text": s.get("text", ""), "was": "not tracked", "now": s.get("status", "")})
        elif prior.get("status") != s.get("status"):
            signposts.append({"text": s.get("text", ""), "was": prior.get("status", ""), "now": s.get("status", "")})
    events = new_events(before, after)
    text = None if shown is None else " ".join(shown.split())
    if text is not None:
        in_brief = [e for e in events if any(" ".join((e.get(c) or "").split()) in text
                                             for c in ("label", "summary") if e.get(c))]
    else:
        in_brief = events
    moved, moved_elsewhere = figures(before, after, text)
    return {"judgments": judgments, "signposts": signposts, "figures": moved, "figures_elsewhere": moved_elsewhere,
            "events": in_brief, "events_elsewhere": len(events) - len(in_brief), "corrections": [
                c for c in revision.changes({t: before.get(t, {}) for t in ("events",)},
                                            {t: after.get(t, {}) for t in ("events",)}) if " corrected: " in c]}


def new_events(before: dict, after: dict) -> list[dict]:
    """Events the newer edition's record holds and the older one's did not, oldest first."""
    old = before.get("events") or {}
    rows = [row for key, row in (after.get("events") or {}).items() if key not in old]
    return sorted(rows, key=lambda r: (r.get("date_start", ""), r.get("event_id", "")))


def figures(before: dict, after: dict, shown: str | None = None) -> tuple[list[dict], int]:
    """Contested numbers (claims) and series values (indicators) that are new or corrected, by quantity.

    With ``shown`` (the newer edition's text), only quantities with a new value the edition prints;
    the second item counts the others (moved in the shared record, outside this brief).
    """
    moved, elsewhere = [], 0
    titles = {k: r.get("title", "") for k, r in (after.get("indicator_meta") or {}).items()}
    names = {**_labels("quantity"), **titles}
    for table, group, describe in (("claims", "quantity", _claim), ("indicators", "indicator_id", _indicator)):
        old, new = before.get(table) or {}, after.get(table) or {}
        by_group: dict[str, dict] = {}
        for key, row in new.items():
            if key in old and old[key] == row:
                continue
            code = row.get(group, "")
            entry = by_group.setdefault(code, {"what": names.get(code) or _words(code), "rows": [], "was": None,
                                               "values": set()})
            entry["rows"].append({"now": describe(row), "was": describe(old[key]) if key in old else None})
            values = [_number(row.get(c)) for c in ("value", "value_low", "value_best", "value_high")]
            entry["values"] |= {v for v in values if len(v) >= 3}  # '6' or '30' is found in any text
            if values[1] and values[3]:
                entry["values"].add(f"{values[1]}–{values[3]}")
        for code, entry in by_group.items():
            if shown is not None and not any(v and v in shown for v in entry["values"]):
                elsewhere += 1
                continue
            earlier = [r for r in old.values() if r.get(group) == code]
            if earlier:
                entry["was"] = describe(max(earlier, key=lambda r: (r.get("reported_on", ""), str(sorted(r.items())))))
            moved.append(entry)
    return moved, elsewhere


def _labels(column: str) -> dict[str, str]:
    from .datapackage import labels

    try:
        return labels(column)
    except (OSError, ValueError, KeyError):  # no data package here: the codes will do
        return {}


def _words(code: str) -> str:
    return code.replace("_", " ")


def _number(value: str | None) -> str:
    """'12,000,000' from '12000000' (as the briefs print numbers); other text as it is."""
    try:
        number = float(value or "")
    except ValueError:
        return value or ""
    return f"{number:,.0f}" if number.is_integer() else f"{number:,}"


def _claim(row: dict) -> str:
    low, best, high = (_number(row.get(c)) for c in ("value_low", "value_best", "value_high"))
    value = best or (f"{low}–{high}" if low and high else f"at least {low}" if low else f"up to {high}" if high else "–")
    return f"{value} {_words(row.get('unit', ''))} ({row.get('claimant', '')}, {human_date(row.get('claim_date') or row.get('reported_on'))})"


def _indicator(row: dict) -> str:
    basis = f", {row['counting_basis']}" if row.get("counting_basis") else ""
    return f"{row.get('entity', '')} {row.get('period', '')}: {_number(row.get('value'))} {_words(row.get('unit', ''))} " \
           f"({_words(row.get('stage', ''))}{basis})"


# -- search ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")
# The search script runs in the reader's browser; the page's policy allows exactly this text (by hash).
SEARCH_SCRIPT = (Path(__file__).parent / "templates" / "portal" / "search.js").read_text(encoding="utf-8")


def tokens(text: str) -> list[str]:
    """Lower-case words without accents: the same rule as ``search.js`` (NFKD, drop marks, letters and digits)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    marks = {ord(c): None for c in set(plain) if not c.isascii() and unicodedata.category(c).startswith("M")}
    return _TOKEN.findall(plain.translate(marks) if marks else plain)


def search_index(briefs: Path, by_slug: dict[str, list[dict]]) -> dict:
    """An inverted index of every published edition's text (current builds): word → [[doc, count], ...]."""
    docs, postings = [], {}
    for slug, editions in by_slug.items():
        for record in editions:
            if not record["html"]:
                continue
            _, text = build_text(briefs, record["folder"], slug, record)
            n = len(docs)
            docs.append({"title": record.get("title") or slug, "as_of": human_date(record.get("as_of")),
                         "href": f"{record['link']}/{record['html']}", "latest": record["latest"],
                         "bottom": record["bottom_line"]})
            counts: dict[str, int] = {}
            for word in tokens(text) + tokens(record.get("title") or "") * 5:
                counts[word] = counts.get(word, 0) + 1
            for word, count in counts.items():
                postings.setdefault(word, []).append([n, count])
    return {"docs": docs, "terms": dict(sorted(postings.items()))}


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def json_for_script(value) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script`` or ``<!--`` can close it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


# -- the files ---------------------------------------------------------------------------------

def render_index(briefs: Path, area: str, heading: str, marking: str, by_slug: dict | None = None) -> str:
    """The index of one place: latest edition of each brief, every edition, search over their text."""
    by_slug = briefs_in(briefs, area) if by_slug is None else by_slug
    index = search_index(briefs, by_slug)
    return _ENV.get_template("index.html.j2").render(
        briefs=by_slug, latest=[e[0] for e in by_slug.values()], heading=heading, marking=marking,
        public=area == "", version=__version__, human_date=human_date, search_data=json_for_script(index),
        search_script=SEARCH_SCRIPT, script_hash=script_hash(SEARCH_SCRIPT), feed=area == "",
        runs_link="../" * len(Path(area).parts) + f"{publish.RUNS}/index.html")


def write_portal(briefs: Path, area: str, heading: str, marking: str) -> list[Path]:
    """Write every portal page of ``area``; return their paths."""
    root = briefs / area
    by_slug = briefs_in(briefs, area)
    written = [root / "index.html"]
    publish.write_atomic(root / "index.html", render_index(briefs, area, heading, marking, by_slug))
    for slug, editions in by_slug.items():
        folder = root / slug
        pages = {
            folder / "index.html": _ENV.get_template("portal/brief.html.j2").render(
                slug=slug, editions=editions, latest=editions[0], marking=marking, human_date=human_date,
                version=__version__),
            folder / LATEST: _ENV.get_template("portal/latest.html.j2").render(latest=editions[0]),
            folder / STATUS_CSS: status_css(editions),
        }
        for record in editions:
            if record["previous"]:
                old = record["previous"]
                page = _ENV.get_template("portal/compare.html.j2").render(
                    old=old, new=record, slug=slug, marking=marking, human_date=human_date, version=__version__,
                    diff=compare(old, record, _inputs(briefs, old), _inputs(briefs, record),
                                 build_text(briefs, record["folder"], slug, record)[1]))
                pages[folder / COMPARE / f"{record['as_of']}.html"] = page
                pages[folder / COMPARE / f"after-{old['as_of']}.html"] = page
        for path, text in pages.items():
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                publish.write_atomic(path, text)
        written += list(pages)
    if area == "":
        feed = atom_feed(briefs, by_slug)
        if not (root / FEED).is_file() or (root / FEED).read_text(encoding="utf-8") != feed:
            publish.write_atomic(root / FEED, feed)
        written.append(root / FEED)
    return written


def _inputs(briefs: Path, record: dict) -> dict:
    return publish.read_json(briefs / record["folder"] / revision.SNAPSHOT) or {}


def status_css(editions: list[dict]) -> str:
    """The stylesheet every edition page of a brief links: shows its notices by what is now published."""
    latest = editions[0]
    lines = [f"/* Written by briefing.portal at each publish: the latest edition of {latest['slug']} is",
             f"   {latest['as_of']} (build {latest['current_build']}). */",
             ".portal-status { display: block; margin: .6rem 0; padding: .5rem .8rem; border-left: 4px solid #8a4100;"
             " background: #fff4e5; }",
             ".portal-status p:last-child a { margin-right: 1em; }",
             ".portal-status .older-edition, .portal-status .prev-compare, .portal-status .next-compare"
             " { display: none; }",
             f'.portal-status:not([data-build="{latest["current_build"]}"]) .older-edition {{ display: block; }}']
    for record in editions:
        if record["previous"]:
            lines.append(f'.portal-status[data-as-of="{record["as_of"]}"] .prev-compare {{ display: inline; }}')
        if record["next"]:
            lines.append(f'.portal-status[data-as-of="{record["as_of"]}"] .next-compare {{ display: inline; }}')
    return "\n".join(lines) + "\n"


# -- Atom ------------------------------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"


def entry_id(folder: str) -> str:
    """A permanent id for one build (``<slug>/<as_of>.r<N>``): a name-based UUID, not the path it is read at."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, folder)}"


def atom_feed(briefs: Path, by_slug: dict[str, list[dict]]) -> str:
    """RFC 4287 feed of every published build in the public area, newest first."""
    entries = []
    for slug, editions in by_slug.items():
        for record in editions:
            for build in record["revisions"]:
                built = build["record"]
                if built.get("marking", record.get("marking")) not in (None, "TLP:CLEAR"):
                    continue  # never, in the public area; a guard all the same
                bottom, _ = build_text(briefs, build["folder"], slug, built)
                number = build.get("revision") or 1
                title = f"{built.get('title') or slug}: edition of {human_date(record['as_of'])}"
                entries.append({
                    "id": entry_id(f"{slug}/{build['name']}"), "updated": built.get("rendered_at") or "",
                    "title": title + (f", revision {number}" if number > 1 else ""),
                    "summary": bottom or built.get("title") or slug,
                    "html": f"{build['link']}/{slug}.html", "pdf": f"{build['link']}/{slug}.pdf"
                    if f"{slug}.pdf" in (built.get("files") or []) else None})
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def add(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(feed, "id", f"urn:uuid:{_NAMESPACE}")
    add(feed, "title", "Peninsula briefs")
    add(feed, "subtitle", "Sourced, dated briefs on the Korean peninsula: every published edition and revision "
                          "(TLP:CLEAR).")
    add(feed, "updated", max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z"))
    add(add(feed, "author"), "name", AUTHOR)
    add(feed, "link", rel="self", href=FEED, type="application/atom+xml")
    add(feed, "link", rel="alternate", href="index.html", type="text/html")
    add(feed, "generator", "peninsula-briefs", version=__version__)
    for e in entries:
        entry = add(feed, "entry")
        add(entry, "id", e["id"])
        add(entry, "title", e["title"])
        add(entry, "updated", e["updated"])
        add(add(entry, "author"), "name", AUTHOR)
        add(entry, "summary", e["summary"])
        add(entry, "link", rel="alternate", type="text/html", href=e["html"])
        if e["pdf"]:
            add(entry, "link", rel="alternate", type="application/pdf", href=e["pdf"])
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
