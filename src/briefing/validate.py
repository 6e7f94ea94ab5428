"""Validate the shared data before anything runs.

Two layers, both reported together so an analyst fixes everything in one pass:

1. the Frictionless Data Package descriptor (types, required, enums, patterns,
   ranges, primary and foreign keys), checked by ``frictionless`` itself;
2. rules Table Schema cannot express: semicolon-separated keys into
   ``sources.csv``, ``low <= best <= high``, date order, and the dating rules
   for ``reported_on`` (the earliest date a fact can be shown to have been
   public): never before any cited source was published; an event never
   reported before it starts unless it is an ``announcement``; and a source
   published before the fact's own date backs it only if the row's note names
   that source and says why.

Bytes are checked first (empty file, non-UTF-8) so that a broken file yields
one clear line instead of a cascade.

The analysts' register beside the data (``analysis/judgments/``, see
:mod:`briefing.register`) is checked in the same pass and reported the same
way, as ``file:line: field: value: rule``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from .datapackage import data_dir, descriptor, split_ids
from .errors import DataValidationError, Problem

# Frictionless reports these per resource; the byte check words them better.
_BYTE_LEVEL = {"encoding-error", "source-error", "scheme-error", "format-error"}

# The fact's own date per table: a source published before it cannot report
# the fact, unless the row's note names that source (an advance announcement).
_FACT_DATE = {"events": "date_start", "claims": "claim_date", "flows": "first_reported",
              "sanctions": "announced", "polls": "fieldwork_end"}

# Event types that may be public before date_start: the announcement of a plan.
_ANNOUNCEMENT_TYPES = {"announcement"}

# Type -> (the only accepted spelling, rule): ASCII digits, dates YYYY-MM-DD.
_FORMS = {"date": (re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII), "not a date YYYY-MM-DD"),
          "number": (re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|NaN|-?INF", re.ASCII), "not a number"),
          "integer": (re.compile(r"[+-]?\d+", re.ASCII), "not a whole number")}

# Tables whose ids a crosscheck row may point at.
_ID_COLUMNS = {"events": "event_id", "claims": "claim_id", "flows": "flow_id",
               "sanctions": "measure_id", "polls": "poll_id", "indicator_meta": "indicator_id"}


def validate(root: Path | None = None) -> list[Problem]:
    """Every problem in the data package at ``root``; empty when valid."""
    root = Path(root or data_dir()).resolve()
    try:
        package = descriptor(root)
        assert isinstance(package.get("resources"), list) and package["resources"], "no resources"
    except (OSError, ValueError, AssertionError) as err:
        return [Problem("datapackage.json", None, None, None, f"cannot read the descriptor: {err}")]
    problems: list[Problem] = _vocabulary(package)
    tables: dict[str, list[tuple[int, dict]]] = {}
    for resource in package["resources"]:
        text, byte_problem = _read_text(root, resource["path"])
        if byte_problem:
            problems.append(byte_problem)
            continue
        header = _header_problems(resource, text)
        problems += header
        if not header:
            tables[resource["name"]] = _rows(text)
    problems += _frictionless(root, broken={r["name"] for r in package["resources"]} - set(tables))
    problems += _cross_table(package, tables)
    problems += _lexical_forms(package, tables)
    if not problems:  # the register's placeholders are resolved on the data: only on valid data
        problems += validate_register(root)
    return sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.rule))


def validate_register(root: Path) -> list[Problem]:
    """Problems of the register beside the data folder ``root`` (none when it has no register)."""
    import os

    from . import register

    folder = register.register_dir(root)
    if not folder.is_dir():
        return []
    saved = os.environ.get("BRIEFING_DATA")
    os.environ["BRIEFING_DATA"] = str(Path(root).resolve())  # placeholders are resolved on this data
    try:
        return register.validate(folder, root)
    finally:
        if saved is None:
            os.environ.pop("BRIEFING_DATA", None)
        else:
            os.environ["BRIEFING_DATA"] = saved


def check(root: Path | None = None, *, remembered_only: bool = False) -> bool:
    """Raise :class:`DataValidationError` listing every problem, if any; ``True`` once checked.

    A result is remembered for the exact bytes of the package, so an
    unchanged data folder is not validated twice.  ``remembered_only``
    answers only from memory: ``False`` when these bytes were never checked.
    """
    from .cache import memo

    root = Path(root or data_dir())
    found = memo("validated", root.parent, _contents(root),
                 None if remembered_only else lambda: [vars(p) for p in validate(root)])
    if found:
        raise DataValidationError([Problem(**p) for p in found])
    return found is not None


def _contents(root: Path) -> list[bytes | str]:
    """The names and bytes of the data package and the register: what a validation result holds for."""
    if not root.is_dir():
        raise DataValidationError([Problem(str(root), None, None, None, "data folder not found")])
    from .register import files as register_files
    from .register import register_dir

    files = sorted(p for p in root.iterdir() if p.is_file()) + register_files(register_dir(root))
    return [(p.relative_to(root.parent) if p.is_relative_to(root.parent) else p).as_posix() + "\0"
            for p in files] + [p.read_bytes() for p in files]


def _vocabulary(package: dict) -> list[Problem]:
    """Labels sit beside codes: a field's ``categories`` cover its ``enum`` exactly, one label per code."""
    problems, seen = [], {}
    for resource in package["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            if "categories" not in field:
                continue
            where = f"{resource['name']}.{field['name']}"
            labels = {c.get("value"): c.get("label") for c in field["categories"]}
            enum = field.get("constraints", {}).get("enum", [])
            for code in sorted(set(enum) ^ set(labels)):
                problems.append(Problem("datapackage.json", None, where, code,
                                        "in enum but has no label in categories" if code in enum
                                        else "labelled in categories but not in enum"))
            for code, label in labels.items():
                if not label:
                    problems.append(Problem("datapackage.json", None, where, code, "category without a label"))
                elif seen.setdefault((field["name"], code), label) != label:
                    problems.append(Problem("datapackage.json", None, where, code,
                                            f"labelled differently elsewhere ({seen[(field['name'], code)]!r})"))
    return problems


def _read_text(root: Path, path: str) -> tuple[str, Problem | None]:
    file = root / path
    if not file.is_file():
        return "", Problem(path, None, None, None, "file is missing")
    raw = file.read_bytes()
    if not raw.strip():
        return "", Problem(path, None, None, None, "file is empty (a header row is required)")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        bad = raw[err.start : err.end].hex(" ")
        return "", Problem(path, line, None, f"0x{bad}", f"not UTF-8 (byte {err.start}); save the file as UTF-8")


def _header_problems(resource: dict, text: str) -> list[Problem]:
    # Frictionless matches columns by position, so one missing column would
    # shift every cell after it; name the column instead and skip the table.
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    expected = [f["name"] for f in resource["schema"]["fields"]]
    path = resource["path"]
    problems = [Problem(path, 1, name, None, "required column is missing from the header")
                for name in expected if name not in header]
    problems += [Problem(path, 1, name, None, f"unknown column (expected: {', '.join(expected)})")
                 for name in header if name not in expected]
    if not problems and header != expected:
        problems.append(Problem(path, 1, None, None, f"columns out of order (expected: {', '.join(expected)})"))
    return problems


def _rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [(number, row) for number, row in enumerate(reader, start=2)]


def _frictionless(root: Path, broken: set[str]) -> list[Problem]:
    from frictionless import Dialect, FrictionlessException, Package, formats

    try:
        package = Package(str(root / "datapackage.json"))
        for resource in package.resources:  # plain CSV: never let the sniffer guess (it misreads a short file)
            resource.dialect = Dialect(header_rows=[1], controls=[formats.CsvControl(delimiter=",", quote_char='"')])
        report = package.validate()
    except FrictionlessException as err:
        return [Problem("datapackage.json", None, None, None, f"invalid descriptor: {err.error.message}")]
    paths = {r.name: r.path for r in package.resources}
    problems = []
    for task in report.tasks:
        if task.name in broken:
            continue
        fields = [f.name for f in package.get_resource(task.name).schema.fields]
        for error in task.errors:
            if error.type in _BYTE_LEVEL:
                continue
            problems.append(_from_frictionless(paths[task.name], fields, package, task.name, error))
    problems += [Problem("datapackage.json", None, None, None, e.message) for e in report.errors]
    return problems


def _from_frictionless(path, fields, package, name, error) -> Problem:
    row = getattr(error, "row_number", None)
    column = getattr(error, "field_name", None) or getattr(error, "label", None) or None
    value = getattr(error, "cell", None)
    kind = error.type
    if kind == "type-error":
        field = package.get_resource(name).schema.get_field(column)
        expected = {"date": "a date YYYY-MM-DD", "number": "a number", "integer": "a whole number"}
        rule = f"not {expected.get(field.type, field.type)}"
    elif kind == "constraint-error":
        rule = _constraint_rule(error.note)
        value = "" if rule.startswith("required") else value
    elif kind in {"primary-key", "unique-error"}:
        key = package.get_resource(name).schema.primary_key
        column = column or "+".join(key)
        value = "|".join(error.cells[fields.index(k)] for k in key) if error.cells else value
        rule = f"duplicate key ({error.note})"
    elif kind == "foreign-key":
        key = error.note.split('"')[1] if '"' in error.note else None
        column = key or column
        value = error.cells[fields.index(key)] if key in fields and error.cells else value
        table, _, target = error.note.split("lookup table ")[-1].replace('"', "").partition(" as ")
        rule = f"unknown key: not in {table or name}.{target}"  # "" is the table itself
    else:
        rule = f"{error.title.lower()}: {error.note}".rstrip(": ")
    return Problem(path, row, column, value, rule)


def _constraint_rule(note: str) -> str:
    # note looks like: constraint "enum" is "['a', 'b']"
    name, _, bound = note.removeprefix('constraint "').partition('" is "')
    bound = bound.rstrip('"')
    words = {"required": "required value is empty", "enum": "not one of: " + bound.strip("[]").replace("'", ""),
             "pattern": f"does not match pattern {bound}", "maxLength": f"longer than {bound} characters",
             "minLength": f"shorter than {bound} characters", "minimum": f"below minimum {bound}",
             "maximum": f"above maximum {bound}", "unique": "duplicate value"}
    return words.get(name, note)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None  # already reported as a type error


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _cross_table(package: dict, tables: dict[str, list[tuple[int, dict]]]) -> list[Problem]:
    paths = {r["name"]: r["path"] for r in package["resources"]}
    published = {row["source_id"]: _date(row.get("published_date"))
                 for _, row in tables.get("sources", [])}
    known_ids = {row.get(col) for table, col in _ID_COLUMNS.items()
                 for _, row in tables.get(table, [])}
    claim_ids = {row.get("claim_id") for _, row in tables.get("claims", [])}
    problems = []

    def add(table, number, column, value, rule):
        problems.append(Problem(paths[table], number, column, value, rule))

    for table, rows in tables.items():
        for number, row in rows:
            if "source_ids" in row and "sources" in tables:
                cited = split_ids(row["source_ids"])
                for sid in cited:
                    if sid not in published:
                        add(table, number, "source_ids", sid, "unknown source id (not in sources.csv)")
                reported = _date(row.get("reported_on"))
                for sid in cited:
                    if reported and published.get(sid) and reported < published[sid]:
                        add(table, number, "reported_on", row["reported_on"],
                            f"reported before its cited source {sid} was published ({published[sid]})")
                fact_column = _FACT_DATE.get(table)
                fact = _date(row.get(fact_column)) if fact_column else None
                explained = set(re.findall(r"[a-z0-9_]+", row.get("note") or ""))
                for sid in cited:
                    if fact and published.get(sid) and published[sid] < fact and sid not in explained:
                        add(table, number, "source_ids", sid,
                            f"source published {published[sid]}, before the fact's {fact_column} ({fact}); "
                            f"cite it only with a note that names {sid} and says why")
            for first, last in (("date_start", "date_end"), ("fieldwork_start", "fieldwork_end"),
                                ("announced", "effective")):
                start, end = _date(row.get(first)), _date(row.get(last))
                if start and end and end < start:
                    add(table, number, last, row[last], f"before {first} ({start})")
    for number, row in tables.get("events", []):
        start, reported = _date(row.get("date_start")), _date(row.get("reported_on"))
        if start and reported and reported < start and row.get("event_type") not in _ANNOUNCEMENT_TYPES:
            add("events", number, "reported_on", row["reported_on"],
                f"reported before the event's date_start ({start}); only an 'announcement' may be")
    for number, row in tables.get("claims", []):
        values = {k: _num(row.get(f"value_{k}")) for k in ("low", "best", "high")}
        if all(v is None for v in values.values()):
            add("claims", number, "value_best", "", "a claim needs at least one of value_low, value_best, value_high")
        pairs = [("low", "best"), ("best", "high")] if values["best"] is not None else [("low", "high")]
        for a, b in pairs:
            if values[a] is not None and values[b] is not None and values[a] > values[b]:
                add("claims", number, f"value_{a}", row[f"value_{a}"], f"value_{a} > value_{b} ({row[f'value_{b}']})")
    for number, row in tables.get("flows", []):
        for cid in split_ids(row.get("claim_ids")):
            if cid not in claim_ids:
                add("flows", number, "claim_ids", cid, "unknown claim id (not in claims.csv)")
    for number, row in tables.get("crosscheck", []):
        for mid in split_ids(row.get("matched_ids")):
            if mid not in known_ids:
                add("crosscheck", number, "matched_ids", mid, "unknown id (not an event, claim, flow, measure, poll or indicator)")
    return problems


def _lexical_forms(package: dict, tables: dict[str, list[tuple[int, dict]]]) -> list[Problem]:
    # Frictionless parses with strptime and float(), which also take 2024-1-1 and Arabic-Indic
    # digits; the loaders and the rules above need the plain forms.  Same messages as
    # Frictionless's own, so a value both reject is reported once.
    problems = []
    for resource in package["resources"]:
        typed = [(f["name"], f.get("type")) for f in resource["schema"]["fields"] if f.get("type") in _FORMS]
        for number, row in tables.get(resource["name"], []):
            for name, kind in typed:
                value = row.get(name)
                pattern, rule = _FORMS[kind]
                if value and (not pattern.fullmatch(value) or (kind == "date" and _date(value) is None)):
                    problems.append(Problem(resource["path"], number, name, value, rule))
    return problems
