"""The analytic line: the analysts' register of judgments, assumptions, alternatives and signposts.

Each record is one Markdown file with YAML front matter under
``analysis/judgments/<brief-slug>/<id>.md``, one file per *version*: a
reworded judgment is a new file that ``supersedes`` the old one and says why
(``reason``).  The text's numbers are placeholders (``{troop_range}``) bound to
named data queries that the brief's theme module registers (:class:`Registry`),
so they follow the data as known on ``as_of``.

An edition shows, per lineage, the latest version authored on or before its
``as_of`` (:func:`as_known`).  A version written later for a past date says so
(``reconstructed: true`` with ``reconstructed_on``) and the brief prints it.

:func:`validate` checks the register like the data: every problem at once,
as ``file:line: field: value: rule``.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

REGISTER_ENV = "BRIEFING_REGISTER"
KINDS = ("judgment", "assumption", "alternative", "signpost")
CONFIDENCE = ("low", "moderate", "high")
FIELDS = ("id", "brief", "kind", "authored", "supersedes", "reason", "withdrawn", "rank", "title", "likelihood",
          "horizon", "confidence", "confidence_reason", "reconstructed", "reconstructed_on", "basis", "predicate",
          "alternative", "judgment")
REQUIRED = {"judgment": ("likelihood", "horizon", "confidence", "confidence_reason"),
            "assumption": (), "alternative": ("title",), "signpost": ("predicate",)}
# Tables and id columns a ``basis`` may point at (indicators are series: their id names the series).
BASIS_COLUMNS = {"events": "event_id", "claims": "claim_id", "flows": "flow_id", "sanctions": "measure_id",
                 "polls": "poll_id", "indicator_meta": "indicator_id", "crosscheck": "check_id"}


@dataclass(frozen=True)
class Entry:
    """One version of one record of the analytic line, as written in its file."""

    id: str
    brief: str
    kind: str
    authored: str
    text: str
    path: str = ""
    lines: dict = field(default_factory=dict, compare=False, repr=False)
    supersedes: str | None = None
    reason: str | None = None
    withdrawn: bool = False
    rank: int = 0
    title: str | None = None
    likelihood: str | None = None
    horizon: str | None = None
    confidence: str | None = None
    confidence_reason: str | None = None
    reconstructed: bool = False
    reconstructed_on: str | None = None
    basis: tuple[str, ...] = ()
    predicate: str | None = None
    alternative: str | None = None  # a signpost's scenario (id of an alternative) ...
    judgment: str | None = None  # ... or the judgment it would overturn (id of a judgment version)

    def line(self, name: str) -> int:
        return self.lines.get(name, 1)


class Registry(dict):
    """Named functions of a :class:`~briefing.edition.Window`, registered with ``@NAME``.

    A theme module keeps one for its data queries (each returns the text a
    placeholder stands for, or None when the data hold nothing for it) and one
    for its signposts' predicates (each returns a :class:`Seen` or None).
    """

    def __call__(self, fn: Callable) -> Callable:
        self[fn.__name__] = fn
        return fn


@dataclass(frozen=True)
class Seen:
    """A signpost's condition met: on ``date``, shown by the rows ``ids``."""

    date: str
    ids: tuple[str, ...]


# -- where the register is, reading it ------------------------------------------

def register_dir(data_root: Path | None = None) -> Path:
    """``BRIEFING_REGISTER`` if set, else ``analysis/judgments`` beside the data folder."""
    if env := os.environ.get(REGISTER_ENV):
        return Path(env).resolve()
    if data_root is None:
        from .datapackage import data_dir

        data_root = data_dir()
    return Path(data_root).resolve().parent / "analysis" / "judgments"


class ParseError(ValueError):
    def __init__(self, line: int, field_: str, value, rule: str):
        self.line, self.field, self.value, self.rule = line, field_, value, rule
        super().__init__(rule)


def parse(path: Path, base: Path | None = None) -> Entry:
    """One register file; a :class:`ParseError` (with its line) if it cannot be read as one."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ParseError(1, "front matter", None, "a register file starts with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ParseError(1, "front matter", None, "front matter is not closed by '---'") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ParseError(2 + (mark.line if mark else 0), "front matter", None, "not valid YAML") from None
    if not isinstance(meta, dict):
        raise ParseError(2, "front matter", None, "front matter must be a mapping of fields")
    where = {m.group(1): number + 1 for number, raw in enumerate(lines[:end])
             if (m := re.match(r"^([A-Za-z_]+)\s*:", raw))}
    body_start = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), end + 1)
    where["text"] = body_start + 1
    for key in meta:
        if key not in FIELDS:
            raise ParseError(where.get(key, 2), str(key), None, f"unknown field (fields: {', '.join(FIELDS)})")
    body = " ".join(line.strip() for line in lines[end + 1:] if line.strip())
    basis = meta.get("basis") or ()
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in meta.items()}
    return Entry(
        id=str(values.get("id", "")), brief=str(values.get("brief", "")), kind=str(values.get("kind", "")),
        authored=str(values.get("authored", "")), text=body,
        path=(path.relative_to(base).as_posix() if base else path.as_posix()), lines=where,
        supersedes=values.get("supersedes"), reason=values.get("reason"), withdrawn=values.get("withdrawn", False),
        rank=values.get("rank", 0), title=values.get("title"), likelihood=values.get("likelihood"),
        horizon=None if values.get("horizon") is None else str(values["horizon"]),
        confidence=values.get("confidence"), confidence_reason=values.get("confidence_reason"),
        reconstructed=values.get("reconstructed", False),
        reconstructed_on=None if values.get("reconstructed_on") is None else str(values["reconstructed_on"]),
        basis=tuple(str(b) for b in basis) if isinstance(basis, list | tuple) else (str(basis),),
        predicate=values.get("predicate"), alternative=values.get("alternative"), judgment=values.get("judgment"))


def files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.md")) if root.is_dir() else []


def load(root: Path | None = None) -> list[Entry]:
    """Every readable entry of the register (unreadable files are :func:`validate`'s business)."""
    root = Path(root) if root else register_dir()
    found = []
    for path in files(root):
        try:
            found.append(parse(path, root.parent.parent))
        except ParseError:
            continue
    return found


# -- as known on ----------------------------------------------------------------

def lineage(entry: Entry, by_id: dict[str, Entry]) -> str:
    """Id of the first version of ``entry``'s lineage (following ``supersedes``)."""
    seen = set()
    while entry.supersedes and entry.supersedes in by_id and entry.id not in seen:
        seen.add(entry.id)
        entry = by_id[entry.supersedes]
    return entry.id


def as_known(entries: list[Entry], brief: str, as_of: str, kind: str | None = None) -> list[Entry]:
    """Per lineage, the latest version authored on or before ``as_of``; withdrawn lineages left out."""
    by_id = {e.id: e for e in entries}
    latest: dict[str, Entry] = {}
    for entry in entries:
        if entry.brief != brief or (kind and entry.kind != kind) or entry.authored > as_of:
            continue
        root = lineage(entry, by_id)
        if root not in latest or (entry.authored, entry.id) > (latest[root].authored, latest[root].id):
            latest[root] = entry
    return sorted((e for e in latest.values() if not e.withdrawn), key=lambda e: (e.rank, e.id))


def placeholders(text: str | None) -> list[str]:
    """Names of the ``{placeholders}`` in ``text``."""
    if not text:
        return []
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["{"]  # an unbalanced brace: reported as an unresolved placeholder


def fill(text: str | None, ed, queries: dict[str, Callable]) -> str | None:
    """``text`` with every placeholder replaced by its query's answer on ``ed``; None if one has none."""
    if text is None:
        return None
    values = {}
    for name in placeholders(text):
        query = queries.get(name)
        value = query(ed) if query else None
        if value is None:
            return None
        values[name] = value
    return text.format(**values)


# -- validation -------------------------------------------------------------------

def validate(root: Path, data_root: Path | None = None, *, evaluate: bool = True) -> list[Problem]:
    """Every problem in the register at ``root``, as :class:`~briefing.errors.Problem` (row = line).

    ``data_root`` is the data folder the ``basis`` ids must exist in; with
    ``evaluate`` the placeholders are also resolved on the data as known on
    each version's ``authored`` date (the data must be the project's own).
    """
    from .brief import LIKELIHOOD, likelihood_terms
    from .themes import by_brief

    problems: list[Problem] = []
    base = root.parent.parent
    entries: list[Entry] = []
    for path in files(root):
        try:
            entries.append(parse(path, base))
        except ParseError as err:
            rel = path.relative_to(base).as_posix()
            problems.append(Problem(rel, err.line, err.field, err.value, err.rule))
    ids = _basis_ids(data_root) if data_root else None
    modules = by_brief()
    by_id: dict[str, Entry] = {}
    terms = [t for t, _ in LIKELIHOOD]

    for e in entries:
        def add(name, value, rule, e=e):
            problems.append(Problem(e.path, e.line(name), name, None if value is None else str(value), rule))

        if e.id in by_id:
            add("id", e.id, f"duplicate id (also in {by_id[e.id].path})")
        by_id.setdefault(e.id, e)
        if not e.id:
            add("id", None, "missing")
        elif Path(e.path).stem != e.id:
            add("id", e.id, f"does not match the file name {Path(e.path).name}")
        if e.brief not in modules:
            add("brief", e.brief or None, f"not a themed brief ({', '.join(sorted(modules))})")
        elif Path(e.path).parent.name != e.brief:
            add("brief", e.brief, f"file sits in the folder of {Path(e.path).parent.name}")
        if e.kind not in KINDS:
            add("kind", e.kind or None, f"not one of {', '.join(KINDS)}")
        authored = _iso(e.authored)
        if authored is None:
            add("authored", e.authored or None, "not a date YYYY-MM-DD")
        elif authored > date.today().isoformat():
            add("authored", e.authored, "in the future")
        if not isinstance(e.reconstructed, bool):
            add("reconstructed", e.reconstructed, "must be true or false")
        elif e.reconstructed:
            on = _iso(e.reconstructed_on)
            if on is None:
                add("reconstructed_on", e.reconstructed_on, "a reconstructed version says when it was written "
                                                            "(a date YYYY-MM-DD)")
            elif authored and on < authored:
                add("reconstructed_on", e.reconstructed_on, f"before the date it was written for ({e.authored})")
        if not isinstance(e.withdrawn, bool):
            add("withdrawn", e.withdrawn, "must be true or false")
        if not isinstance(e.rank, int) or isinstance(e.rank, bool):
            add("rank", e.rank, "must be a whole number")
        if e.supersedes is not None and not e.reason:
            add("reason", None, "a new version says why it replaces the old one")
        if e.withdrawn:
            if not e.supersedes:
                add("withdrawn", True, "only a later version can withdraw a lineage (set supersedes)")
            continue
        if not e.text:
            add("text", None, "missing: the record's text follows the front matter")
        for name in REQUIRED.get(e.kind, ()):
            if getattr(e, name) in (None, ""):
                add(name, None, "missing")
        if e.likelihood is not None and e.likelihood not in terms:
            add("likelihood", e.likelihood, f"not an ICD 203 term ({', '.join(terms)})")
        if e.confidence is not None and e.confidence not in CONFIDENCE:
            add("confidence", e.confidence, "not one of high, moderate, low")
        if e.horizon is not None:
            horizon = _iso(e.horizon)
            if horizon is None:
                add("horizon", e.horizon, "not a date YYYY-MM-DD")
            elif authored and horizon <= authored:
                add("horizon", e.horizon, f"not after the date authored ({e.authored})")
        if e.kind == "judgment" and e.likelihood in terms:
            found = likelihood_terms(e.text)
            if found != [e.likelihood]:
                add("text", e.text[:60], f"must use its likelihood term {e.likelihood!r} exactly once "
                                         f"(found {found or 'none'})")
        if e.kind == "judgment" and "confidence" in e.text.lower():
            add("text", e.text[:60], "state the confidence in confidence_reason, not in the judgment")
        if ids is not None:
            for row_id in e.basis:
                if row_id not in ids:
                    add("basis", row_id, "no such row id in the data (event, claim, flow, measure, poll, "
                                         "indicator or check)")
                elif ids[row_id] and authored and ids[row_id] > authored:
                    add("basis", row_id, f"reported {ids[row_id]}, after the version was authored ({e.authored})")
        module = modules.get(e.brief)
        if module is not None:
            queries = getattr(module, "QUERIES", {})
            for name_field in ("text", "confidence_reason"):
                for name in placeholders(getattr(e, name_field)):
                    if name not in queries:
                        add(name_field, "{" + name + "}", f"unresolved placeholder: no query named {name!r} "
                                                          f"for {e.brief}")
            if e.predicate is not None and e.predicate not in getattr(module, "SIGNPOSTS", {}):
                add("predicate", e.predicate, f"no signpost predicate named {e.predicate!r} for {e.brief}")
    for e in entries:
        if e.supersedes is not None:
            old = by_id.get(e.supersedes)
            if old is None:
                problems.append(Problem(e.path, e.line("supersedes"), "supersedes", e.supersedes, "no such id"))
            elif (old.brief, old.kind) != (e.brief, e.kind):
                problems.append(Problem(e.path, e.line("supersedes"), "supersedes", e.supersedes,
                                        "supersedes a record of another brief or kind"))
            elif old.authored > e.authored:
                problems.append(Problem(e.path, e.line("supersedes"), "supersedes", e.supersedes,
                                        f"authored after this version ({old.authored})"))
        for name in ("alternative", "judgment"):
            target = getattr(e, name)
            if target is not None and (target not in by_id or by_id[target].kind != name):
                problems.append(Problem(e.path, e.line(name), name, target, f"no {name} with this id"))
        if e.kind == "signpost" and not e.withdrawn and not (e.alternative or e.judgment):
            problems.append(Problem(e.path, e.line("predicate"), "alternative", None,
                                    "a signpost names the alternative it points to or the judgment it tests"))
    if evaluate:
        problems += _unresolved_on_authored(entries, modules)
    return sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.rule))


def _unresolved_on_authored(entries: list[Entry], modules: dict) -> list[Problem]:
    """Placeholders whose query has no answer on the data as known on the version's date."""
    from .themes import start

    problems = []
    for e in entries:
        module = modules.get(e.brief)
        if module is None or e.withdrawn or _iso(e.authored) is None:
            continue
        queries = getattr(module, "QUERIES", {})
        names = placeholders(e.text) + placeholders(e.confidence_reason)
        if not names:
            continue
        ed = start(e.authored, "", "", "TLP:CLEAR")
        for name_field in ("text", "confidence_reason"):
            for name in placeholders(getattr(e, name_field)):
                if name in queries and queries[name](ed) is None:
                    problems.append(Problem(e.path, e.line(name_field), name_field, "{" + name + "}",
                                            f"unresolved placeholder: the data as known on {e.authored} "
                                            "hold nothing for it"))
    return problems


def _basis_ids(data_root: Path) -> dict[str, str]:
    """Every row id a ``basis`` may name, with the earliest date it was reported ('' if undated)."""
    import csv

    ids: dict[str, str] = {}
    for table, column in (*BASIS_COLUMNS.items(), ("indicators", "indicator_id")):
        path = Path(data_root) / f"{table}.csv"
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    key, when = row.get(column, ""), row.get("reported_on", "") or ""
                    if key and (key not in ids or (when and (not ids[key] or when < ids[key]))):
                        ids[key] = when
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return ids


def _iso(value: Any) -> str | None:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None
