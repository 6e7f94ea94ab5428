"""The analytic line in a brief: key judgments, assumptions, alternatives and signposts from the register.

The records are the analysts' own (:mod:`briefing.register`, outside
Python); this module picks the versions known on ``as_of``, fills their
placeholders from the brief's named data queries, evaluates the signposts'
predicates on the data, and renders the blocks.  What a brief showed also
travels as output metadata under :data:`LINE_KEY` (judgments and signposts,
as rendered), which the pipeline copies into ``edition.json``
(:func:`recorded`) and the history page reads.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType

from IPython.display import HTML

from . import brief, data, register
from .brief import Judgment, fmt_date
from .edition import Window

LINE_KEY = "briefing_line"  # output metadata key of the key judgments and signposts blocks


@functools.cache
def _entries(root: str, stamp: tuple) -> tuple[register.Entry, ...]:
    return tuple(register.load(Path(root)))


def entries() -> list[register.Entry]:
    """The register, read again whenever a file of it changes (a kernel left open sees an analyst's edit)."""
    root = register.register_dir()
    stamp = tuple((p.as_posix(), p.stat().st_mtime_ns) for p in register.files(root))
    return list(_entries(str(root), stamp))


def versions(ed: Window, module: ModuleType, kind: str) -> list[register.Entry]:
    return register.as_known(entries(), module.BRIEF, ed.as_of, kind)


def _judgment(ed: Window, module: ModuleType, entry: register.Entry) -> Judgment | None:
    queries = getattr(module, "QUERIES", {})
    text, reason = register.fill(entry.text, ed, queries), register.fill(entry.confidence_reason, ed, queries)
    if text is None or reason is None:  # the data on as_of hold nothing for a placeholder
        return None
    return Judgment(text, entry.confidence, reason, id=entry.id, authored=entry.authored, horizon=entry.horizon,
                    reconstructed_on=entry.reconstructed_on if entry.reconstructed else None,
                    lineage=register.lineage(entry, {e.id: e for e in entries()}), reason=entry.reason or "",
                    brief=entry.brief)


def judgments(ed: Window, module: ModuleType) -> list[Judgment]:
    """The brief's key judgments as known on ``as_of``, in rank order, their numbers filled from the data."""
    found = (_judgment(ed, module, e) for e in versions(ed, module, "judgment"))
    return [j for j in found if j is not None]


def record(items) -> list[dict]:
    """What ``edition.json`` keeps of each judgment shown."""
    return [{"id": j.id, "lineage": j.lineage, "brief": j.brief, "likelihood": j.likelihood,
             "confidence": j.confidence, "authored": j.authored, "reconstructed": j.reconstructed_on is not None,
             "reconstructed_on": j.reconstructed_on, "horizon": j.horizon, "reason": j.reason, "text": j.text}
            for j in items]


def withdrawn(ed: Window, module: ModuleType | None) -> list[dict]:
    """Lineages the analysts withdrew from the key judgments by ``as_of``, with their reason."""
    if module is None:
        return []
    by_id = {e.id: e for e in entries()}
    latest = {}
    for e in entries():
        if e.brief == module.BRIEF and e.kind == "judgment" and e.authored <= ed.as_of:
            root = register.lineage(e, by_id)
            if root not in latest or (e.authored, e.id) > (latest[root].authored, latest[root].id):
                latest[root] = e
    return [{"id": e.id, "lineage": root, "authored": e.authored, "reason": e.reason or ""}
            for root, e in sorted(latest.items()) if e.withdrawn]


def key_judgments(ed: Window, module: ModuleType | None, items: list[Judgment] | None = None) -> HTML:
    """The Key judgments box; the versions shown (and those withdrawn) travel as output metadata."""
    items = judgments(ed, module) if items is None else items
    said = {"judgments": record(items), "withdrawn": withdrawn(ed, module)}
    return brief.key_judgments(items, ed.as_of, metadata={LINE_KEY: said})


def assumptions(ed: Window, module: ModuleType) -> HTML:
    items = [register.fill(e.text, ed, getattr(module, "QUERIES", {})) or e.text
             for e in versions(ed, module, "assumption")]
    return brief._html("assumptions", items, _written(versions(ed, module, "assumption")), fmt_date(ed.as_of))


def _written(found: list[register.Entry]) -> str:
    """'Written 15 Dec 2025' / 'Reconstructed on … for …' notes of a group of records."""
    notes = []
    for e in found:
        note = (f"reconstructed on {fmt_date(e.reconstructed_on)} for {fmt_date(e.authored)}" if e.reconstructed
                else f"written {fmt_date(e.authored)}")
        if note not in notes:
            notes.append(note)
    return "; ".join(notes)


# -- signposts ----------------------------------------------------------------------

def evaluate(ed: Window, module: ModuleType, data_window: Window | None = None) -> list[dict]:
    """Each signpost known on ``as_of`` with its status on the data: seen (date, rows) or not seen.

    ``data_window`` evaluates the same signposts on the data as known on another date
    (the previous edition's), so a change of status is the data's, not the register's.
    """
    predicates = getattr(module, "SIGNPOSTS", {})
    alternatives = {e.id: e for e in entries() if e.kind == "alternative"}
    by_id = {e.id: e for e in entries()}
    found = []
    for entry in versions(ed, module, "signpost"):
        seen = predicates[entry.predicate](data_window or ed)
        alt = alternatives.get(entry.alternative)
        tested = by_id.get(entry.judgment)
        tested_text = register.fill(tested.text, ed, getattr(module, "QUERIES", {})) if tested else None
        points = alt.title if alt else (f"Would overturn: {tested_text.split(':')[0].split(';')[0]}"
                                        if tested_text else "")
        found.append({"id": entry.id, "lineage": register.lineage(entry, by_id), "brief": entry.brief,
                      "text": register.fill(entry.text, ed, getattr(module, "QUERIES", {})) or entry.text,
                      "alternative": points,
                      "alternative_id": register.lineage(alt, by_id) if alt else "",
                      "status": "seen" if seen else "not seen",
                      "evidence": {"date": seen.date, "ids": list(seen.ids)} if seen else None,
                      "authored": entry.authored, "reconstructed": bool(entry.reconstructed)})
    return found


def _evidence_rows(ids) -> list[str]:
    """Source ids of the rows that showed a signpost."""
    sources = []
    for table, column in register.BASIS_COLUMNS.items():
        if table == "indicator_meta":
            continue
        frame = data.load(table)
        for cell in frame[frame[column].isin(list(ids))].get("source_ids", []):
            sources += data.split_ids(cell)
    return sources


def _rows(ed: Window, found: list[dict]) -> tuple[list[dict], str]:
    rows, cited = [], []
    for s in found:
        evidence = s["evidence"]
        rows.append({"text": s["text"], "alternative": s["alternative"], "status": s["status"],
                     "when": fmt_date(evidence["date"]) if evidence else "",
                     "ids": ", ".join(evidence["ids"]) if evidence else ""})
        if evidence:
            cited += _evidence_rows(evidence["ids"])
    return rows, brief.source_line(ed, cited)


def signposts(ed: Window, module: ModuleType) -> HTML:
    """The signposts' status on ``as_of``: the block after the change since the last edition."""
    found = evaluate(ed, module)
    rows, line = _rows(ed, found)
    return brief._html("signposts", rows, line, fmt_date(ed.as_of), metadata={LINE_KEY: {"signposts": found}})


def alternatives(ed: Window, module: ModuleType) -> HTML:
    """Each alternative scenario with the signposts that would show it coming and their status."""
    found = evaluate(ed, module)
    items = []
    for alt in versions(ed, module, "alternative"):
        mine = [s for s in found if s["alternative_id"] in (alt.id, register.lineage(alt, {e.id: e for e in entries()}))
                or s["alternative"] == alt.title]
        items.append({"title": alt.title, "text": register.fill(alt.text, ed, getattr(module, "QUERIES", {})) or alt.text,
                      "signposts": [f"{s['text']} ({s['status']}" + (f", {fmt_date(s['evidence']['date'])})"
                                                                    if s["evidence"] else ")") for s in mine]})
    return brief._html("alternatives", items, _written(versions(ed, module, "alternative")), fmt_date(ed.as_of))


def signpost_changes(ed: Window, modules) -> HTML:
    """Signposts of every themed brief whose status changed since the previous edition (the overview's block)."""
    before = Window(ed.previous_edition, min(ed.since, ed.previous_edition), ed.previous_edition, ed.marking)
    changed = []
    for module in modules:
        then = {s["lineage"]: s for s in evaluate(ed, module, data_window=before)}
        for s in evaluate(ed, module):
            old = then.get(s["lineage"])
            if old is None or old["status"] != s["status"]:
                changed.append({**s, "was": old["status"] if old else "not yet tracked",
                                "brief_label": module.BRIEF})
    rows, line = _rows(ed, changed)
    for row, s in zip(rows, changed):
        row["alternative"] = s["brief_label"]
        row["status"] = f"{s['was']} → {s['status']}"
    return brief._html("signpost_changes", rows, line, fmt_date(ed.previous_edition),
                       metadata={LINE_KEY: {"signposts": changed}})


# -- what the pipeline reads back ----------------------------------------------------

def blocks(module_name: str):
    """The register blocks of a theme module, bound to it: key_judgments, signposts, assumptions, alternatives.

    In a theme module: ``key_judgments, signposts, assumptions, alternatives = line.blocks(__name__)``;
    each then takes the edition's Window, as every other block of the module does.
    """
    import sys

    def bind(block):
        return functools.wraps(block)(lambda ed: block(ed, sys.modules[module_name]))

    return bind(key_judgments), bind(signposts), bind(assumptions), bind(alternatives)


def recorded(nb) -> dict:
    """The judgments and signposts a brief showed, from its outputs' :data:`LINE_KEY` metadata."""
    found: dict = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            metadata = output.get("metadata", {})
            for said in (metadata.get(LINE_KEY), metadata.get("text/html", {}).get(LINE_KEY)):
                if isinstance(said, dict):
                    for key, value in said.items():
                        found.setdefault(key, []).extend(value)
    return found
