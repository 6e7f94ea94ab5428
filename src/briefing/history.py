"""``briefs/<slug>/history.html``: how each brief's analytic line moved across its published editions.

Built from the editions' records (``edition.json``: the judgments shown, the
versions withdrawn, the signposts' status), never from the register as it is
now, so the page shows what readers were actually told.  Self-contained and
offline, with the index's Content-Security-Policy; every value is escaped.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import __version__, publish
from .brief import LIKELIHOOD, fmt_date

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("briefing", "templates"), autoescape=True)
TERMS = [term for term, _ in LIKELIHOOD]
CHART = {"width": 440, "height": 160, "left": 130, "right": 40, "top": 18, "bottom": 28}


def lineages(editions: list[dict]) -> list[dict]:
    """Per judgment lineage, its versions edition by edition (oldest edition first)."""
    found: dict[str, dict] = {}
    for record in editions:
        for j in record.get("judgments") or []:
            key = j.get("lineage") or j.get("id")
            line = found.setdefault(key, {"lineage": key, "brief": j.get("brief", ""), "rows": []})
            line["rows"].append({**j, "as_of": record["as_of"], "edition": record.get("edition", "")})
    for line in found.values():
        line["latest"] = line["rows"][-1]
        line["chart"] = chart(line["rows"], [r["as_of"] for r in editions])
    return list(found.values())  # first edition seen, then rank order within it


def chart(rows: list[dict], dates: list[str]) -> dict:
    """Coordinates of a small step chart: likelihood (ICD 203 rank) per edition, confidence as the label."""
    c = CHART
    span_x = c["width"] - c["left"] - c["right"]
    span_y = c["height"] - c["top"] - c["bottom"]
    xs = {d: c["left"] + (span_x * i / max(1, len(dates) - 1) if len(dates) > 1 else span_x / 2)
          for i, d in enumerate(dates)}
    y = {term: c["top"] + span_y * (len(TERMS) - 1 - i) / (len(TERMS) - 1) for i, term in enumerate(TERMS)}
    points = [{"x": round(xs[r["as_of"]], 1), "y": round(y[r["likelihood"]], 1), "label": r.get("confidence", ""),
               "title": f"{r['as_of']}: {r['likelihood']}, {r.get('confidence', 'unstated')} confidence"}
              for r in rows if r.get("likelihood") in y]
    return {**c, "points": points, "path": " ".join(f"{p['x']},{p['y']}" for p in points),
            "ticks": [{"y": round(v, 1), "term": t} for t, v in y.items()],
            "dates": [{"x": round(x, 1), "label": fmt_date(d, "month")} for d, x in xs.items()],
            "alt": "Likelihood of this judgment by edition: " + "; ".join(
                f"{fmt_date(r['as_of'])}: {r.get('likelihood')} ({r.get('confidence', 'unstated')} confidence)"
                for r in rows)}


def changes(editions: list[dict]) -> list[dict]:
    """What changed between consecutive editions: new, reworded, re-rated and withdrawn judgments."""
    steps = []
    for old, new in zip(editions, editions[1:]):
        before = {(j.get("lineage") or j.get("id")): j for j in old.get("judgments") or []}
        after = {(j.get("lineage") or j.get("id")): j for j in new.get("judgments") or []}
        items = []
        for key, j in after.items():
            was = before.get(key)
            if was is None:
                items.append({"kind": "new", "text": j.get("text", ""), "reason": j.get("reason", ""),
                              "detail": f"{j.get('likelihood')}, {j.get('confidence')} confidence"})
                continue
            moved = []
            for name in ("likelihood", "confidence"):
                if was.get(name) != j.get(name):
                    moved.append(f"{name} {was.get(name)} → {j.get(name)}")
            if was.get("id") != j.get("id"):
                items.append({"kind": "new version", "text": j.get("text", ""), "reason": j.get("reason", ""),
                              "detail": "; ".join(moved) or "reworded", "was": was.get("text", "")})
            elif moved:
                items.append({"kind": "re-rated", "text": j.get("text", ""), "reason": j.get("reason", ""),
                              "detail": "; ".join(moved)})
        withdrawn = {w.get("lineage"): w for w in new.get("withdrawn") or []}
        for key, j in before.items():
            if key not in after:
                items.append({"kind": "withdrawn" if key in withdrawn else "no longer shown", "text": j.get("text", ""),
                              "reason": withdrawn.get(key, {}).get("reason", ""), "detail": ""})
        signs_before = {s.get("lineage") or s.get("id"): s.get("status") for s in old.get("signposts") or []}
        for s in new.get("signposts") or []:
            was = signs_before.get(s.get("lineage") or s.get("id"))
            if was is not None and was != s.get("status"):
                items.append({"kind": "signpost", "text": s.get("text", ""), "reason": "",
                              "detail": f"{was} → {s.get('status')}"})
        steps.append({"from": old["as_of"], "to": new["as_of"], "entries": items})
    return steps


def build_history(briefs: Path, slug: str, editions: list[dict]) -> str:
    editions = sorted(editions, key=lambda r: r["as_of"])
    title = editions[-1].get("title") or slug
    return _ENV.get_template("history.html.j2").render(
        slug=slug, title=title, editions=editions, lineages=lineages(editions), changes=changes(editions),
        fmt_date=fmt_date, version=__version__)


def write_histories(briefs: Path, area: str = "") -> list[Path]:
    """One history page per brief with an edition published in ``area`` ('' is TLP:CLEAR), beside its editions."""
    by_slug: dict[str, list[dict]] = {}
    for record in publish.published_editions(briefs, area):
        by_slug.setdefault(record.get("slug") or record["folder"].split("/")[-2], []).append(record)
    written = []
    for slug, editions in sorted(by_slug.items()):
        path = briefs / area / slug / "history.html"
        publish.write_atomic(path, build_history(briefs, slug, editions))
        written.append(path)
    return written
