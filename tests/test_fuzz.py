"""Generated bad input: every corruption is reported as file:row: column, never a traceback.

Hypothesis corrupts each data table (bad dates, wrong types, missing or extra
columns, stray quotes and delimiters, byte-order marks, control characters,
huge fields, truncated files, duplicate keys, dangling references), the brief
catalog and ``-p NAME=VALUE`` parameters.  The validator, catalog and
parameter checks run in-process (fast); a few cases go through the real
command line, which must exit 2 and leave every published file unchanged.

Profiles (tests/conftest.py): ``ci`` (default, bounded) and ``nightly``
(``HYPOTHESIS_PROFILE=nightly``, many more examples).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from briefing import catalog, params
from briefing.cli import main
from briefing.errors import Problem, UsageError
from briefing.validate import validate
from conftest import FIXTURES, ROOT

DESCRIPTOR = json.loads((ROOT / "data" / "datapackage.json").read_text())
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"]}
PATHS = {r["path"] for r in DESCRIPTOR["resources"]} | {"datapackage.json"}
VALID = FIXTURES / "data" / "valid"
LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<row>\d*): (?P<column>[\w.+-]+|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"): .*$")
# file:row: column: value: rule (a column that is not a plain name is quoted)


def fields(table: str, *types: str, constrained: bool = False) -> list[str]:
    """Field names of ``table``, optionally only of some types or only those with a pattern/maxLength."""
    out = []
    for f in RESOURCES[table]["schema"]["fields"]:
        c = f.get("constraints", {})
        if types and f["type"] not in types:
            continue
        if constrained and not ({"pattern", "maxLength", "enum"} & set(c)):
            continue
        out.append(f["name"])
    return out


def read(table: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((VALID / RESOURCES[table]["path"]).read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def write(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def id_field(table: str) -> str:
    return RESOURCES[table]["schema"]["fields"][0]["name"]


# -- corruptions -------------------------------------------------------------------
# Each strategy yields (table, new bytes of its file, (row, column) that a problem must name;
# None = any).  Every corruption is invalid by construction.

TABLES = st.sampled_from(sorted(RESOURCES))
CELL_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\x00"), min_size=1, max_size=20)


def _not_a_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return True
    return False


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


@st.composite
def set_cell(draw, kind: str):
    types = {"date": ("date",), "type": ("number", "integer")}[kind]
    table = draw(TABLES.filter(lambda t: fields(t, *types)))
    header, rows = read(table)
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(fields(table, *types)))
    if kind == "date":
        value = draw(st.sampled_from(["2024-02-30", "2024-13-01", "2024-00-10", "24-01-01", "2024/01/01",
                                      "01/02/2024", "31/03/2024", "2024-1-1", "2024-01-01T00:00", "today", "0"])
                     | CELL_TEXT.filter(lambda t: t.strip() == t and _not_a_date(t)))
    else:
        value = draw(st.sampled_from(["twelve", "1,000", "12k", "$5", "1.5.2", "--1", "0x10", "١٢"])
                     | CELL_TEXT.filter(lambda t: t.strip() == t and _not_a_number(t)))
    rows[row][header.index(column)] = value
    return table, write(header, rows), (row + 2, column)


@st.composite
def missing_column(draw):
    table = draw(TABLES)
    header, rows = read(table)
    i = draw(st.integers(0, len(header) - 1))
    column = header[i]
    return table, write(header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows]), (1, column)


@st.composite
def extra_column(draw):
    table = draw(TABLES)
    header, rows = read(table)
    name = draw(CELL_TEXT.filter(lambda t: t not in header))
    at = draw(st.integers(0, len(header)))
    value = draw(CELL_TEXT)
    return (table, write(header[:at] + [name] + header[at:], [r[:at] + [value] + r[at:] for r in rows]),
            (1, name))


@st.composite
def raw_insert(draw, kind: str):
    """Bytes spliced into the id cell of a data row (ids have a strict pattern)."""
    table = draw(TABLES)
    raw = (VALID / RESOURCES[table]["path"]).read_bytes()
    lines = raw.split(b"\n")
    row = draw(st.integers(1, len([line for line in lines if line]) - 1))
    cell_end = lines[row].index(b",")
    at = draw(st.integers(1, cell_end))
    junk = {"quote": st.sampled_from([b",", b'"', b";", b"'", b"\t", b'""', b'","']),
            "bom": st.just("\ufeff".encode()),
            "control": st.sampled_from([bytes([c]) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]]),
            "huge": st.integers(70_000, 300_000).map(lambda n: b"X" * n)}[kind]  # ids are lower case
    lines[row] = lines[row][:at] + draw(junk) + lines[row][at:]
    return table, b"\n".join(lines), (row + 1, None)


@st.composite
def leading_bom(draw):
    table = draw(TABLES)
    return table, b"\xef\xbb\xbf" + (VALID / RESOURCES[table]["path"]).read_bytes(), (1, None)


@st.composite
def huge_text(draw):
    """A huge value in a field with a length limit, a pattern or an enum."""
    table = draw(TABLES)
    header, rows = read(table)
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(fields(table, "string", constrained=True)))
    rows[row][header.index(column)] = "Y" * draw(st.integers(1_000, 300_000))  # no pattern here takes it
    return table, write(header, rows), (row + 2, column)


@st.composite
def truncated(draw):
    """The file cut inside a data row, before its last cell."""
    table = draw(TABLES)
    raw = (VALID / RESOURCES[table]["path"]).read_bytes()
    starts = [i + 1 for i, b in enumerate(raw[:-1]) if b == ord("\n")]
    row = draw(st.integers(0, len(starts) - 1))
    last_comma = raw.rindex(b",", starts[row], raw.index(b"\n", starts[row]))
    cut = draw(st.integers(starts[row] + 1, last_comma))
    return table, raw[:cut], (row + 2, None)


@st.composite
def duplicate_key(draw):
    table = draw(TABLES)
    header, rows = read(table)
    row = draw(st.integers(0, len(rows) - 1))
    return table, write(header, [*rows, rows[row]]), (len(rows) + 2, None)


REFERENCES = [(t, "source_ids") for t in sorted(RESOURCES) if "source_ids" in fields(t)] + [
    ("flows", "claim_ids"), ("crosscheck", "matched_ids"), ("indicators", "indicator_id"), ("claims", "supersedes")]


@st.composite
def dangling(draw):
    table, column = draw(st.sampled_from(REFERENCES))
    header, rows = read(table)
    row = draw(st.integers(0, len(rows) - 1))
    prefix = "cl_" if column in {"claim_ids", "supersedes"} else ""
    missing = prefix + draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)).strip()
    assume(missing not in {c for r in (read(t)[1] for t in RESOURCES) for row_ in r for c in row_})
    rows[row][header.index(column)] = missing
    return table, write(header, rows), (row + 2, column)


CORRUPTIONS = {
    "bad date": set_cell("date"), "wrong type": set_cell("type"), "missing column": missing_column(),
    "extra column": extra_column(), "quote or delimiter": raw_insert("quote"), "BOM": leading_bom(),
    "BOM inside a cell": raw_insert("bom"), "control character": raw_insert("control"),
    "huge field": raw_insert("huge"), "huge text": huge_text(), "truncated": truncated(),
    "duplicate key": duplicate_key(), "dangling reference": dangling(),
}


class Case(tuple):
    """(kind, table, content, where), shown briefly: a huge field would make a 300 kB report."""

    def __repr__(self):
        kind, table, content, where = self
        shown = content if len(content) <= 400 else content[:200] + b"...%d bytes..." % len(content) + content[-100:]
        return f"Case({kind!r}, {table!r}, {shown!r}, {where!r})"


ANY_CORRUPTION = st.sampled_from(sorted(CORRUPTIONS)).flatmap(lambda k: CORRUPTIONS[k].map(lambda c: Case((k, *c))))


@contextlib.contextmanager
def corrupted(table: str, content: bytes):
    """A fresh copy of the valid data with one table's bytes replaced."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(VALID, data)
        shutil.copy(ROOT / "data" / "datapackage.json", data)
        (data / RESOURCES[table]["path"]).write_bytes(content)
        yield data


def assert_well_formed(problems: list[Problem]) -> None:
    for p in problems:
        assert p.file in PATHS, p
        assert p.row is None or (isinstance(p.row, int) and p.row >= 1), p
        assert LINE.match(str(p)), str(p)


def assert_names(problems: list[Problem], table: str, where) -> None:
    row, column = where
    path = RESOURCES[table]["path"]
    assert problems, "an invalid table passed validation"
    hits = [p for p in problems if p.file == path and (row is None or p.row == row)
            and (column is None or p.column == column)]
    assert hits, f"nothing at {path}:{row}: {column}; got {[str(p)[:200] for p in problems]}"


# -- data: in-process --------------------------------------------------------------

@given(case=ANY_CORRUPTION)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_every_corruption_of_a_table_is_reported_at_its_file_row_and_column(case):
    kind, table, content, where = case
    with corrupted(table, content) as data:
        problems = validate(data)
    assert_well_formed(problems)
    assert_names(problems, table, where)


@given(table=TABLES, data=st.data())
@settings(max_examples=max(5, settings().max_examples // 2), suppress_health_check=[HealthCheck.too_slow])
def test_any_bytes_in_any_cell_never_crash_the_validator(table, data):
    """Not every value is invalid (a note may say anything), but none may raise."""
    header, rows = read(table)
    row = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(header))
    value = data.draw(st.text(max_size=50) | st.binary(max_size=30).map(lambda b: b.decode("latin-1")))
    rows[row][header.index(column)] = value
    with corrupted(table, write(header, rows)) as folder:
        problems = validate(folder)
    assert_well_formed(problems)


@given(table=TABLES, junk=st.binary(max_size=400))
@settings(max_examples=max(5, settings().max_examples // 3), suppress_health_check=[HealthCheck.too_slow])
def test_a_table_replaced_by_random_bytes_never_crashes_the_validator(table, junk):
    with corrupted(table, junk) as data:
        problems = validate(data)
    assert_well_formed(problems)
    assert problems


def test_a_truncated_descriptor_is_one_problem(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(VALID, data)
    text = (ROOT / "data" / "datapackage.json").read_text()
    for cut in (0, 1, len(text) // 2, len(text) - 2):
        (data / "datapackage.json").write_text(text[:cut])
        problems = validate(data)
        assert [p.file for p in problems] == ["datapackage.json"], problems


# -- data: the real command line ---------------------------------------------------

CLI = [sys.executable, "-m", "briefing.cli"]


def cli_examples(divisor: int) -> settings:
    return settings(max_examples=max(1, settings().max_examples // divisor),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def published_project(tmp_path_factory):
    """The fixture project with two published editions (written by hand: no run may touch them)."""
    root = tmp_path_factory.mktemp("fuzz") / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copytree(VALID, root / "data")
    shutil.copy(ROOT / "data" / "datapackage.json", root / "data")
    for slug in ("ok", "polls_only"):
        folder = root / "briefs" / slug / "2025-04-30"
        folder.mkdir(parents=True)
        (folder / f"{slug}.html").write_text("<html>published</html>")
        (folder / "edition.json").write_text(json.dumps({"slug": slug, "as_of": "2025-04-30", "status": "ok",
                                                         "files": [f"{slug}.html"], "key": "k", "tables": {}}))
    (root / "briefs" / "index.html").write_text("<html>index</html>")
    return root


def _snapshot(briefs: Path) -> dict[str, bytes]:
    return {p.relative_to(briefs).as_posix(): p.read_bytes() for p in briefs.rglob("*") if p.is_file()}


@contextlib.contextmanager
def project_copy(root: Path):
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root, copy, symlinks=True)
        yield copy


@contextlib.contextmanager
def _cwd_and_env(project: Path):
    old_cwd, old_data = Path.cwd(), os.environ.get("BRIEFING_DATA")
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        os.environ.pop("BRIEFING_DATA", None) if old_data is None else os.environ.update(BRIEFING_DATA=old_data)


@given(case=ANY_CORRUPTION)
@cli_examples(30)
def test_cli_validate_and_render_exit_2_with_located_messages_and_publish_nothing(published_project, case):
    """The real command line, in a subprocess, for a few cases."""
    kind, table, content, where = case
    note(f"{kind} in {table}")
    with project_copy(published_project) as project:
        (project / "data" / RESOURCES[table]["path"]).write_bytes(content)
        before = _snapshot(project / "briefs")
        env = {**os.environ, "BRIEFING_DATA": str(project / "data")}
        checked = subprocess.run([*CLI, "validate", "--data", "data"], cwd=project, env=env,
                                 capture_output=True, text=True)
        rendered = subprocess.run([*CLI, "render"], cwd=project, env=env, capture_output=True, text=True)
        assert _snapshot(project / "briefs") == before, "nothing published changes"
    for result in (checked, rendered):
        assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
        assert "Traceback" not in result.stdout + result.stderr
    lines = checked.stdout.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines[:5]
    assert any(line.startswith(RESOURCES[table]["path"] + ":") for line in lines)
    assert rendered.stderr.startswith("error: ") and "problem(s) in the shared data" in rendered.stderr
    assert any(LINE.match(line) for line in rendered.stderr.splitlines()[1:])


@given(case=ANY_CORRUPTION)
@cli_examples(3)
def test_render_refuses_any_corrupted_table_with_exit_2_and_publishes_nothing(published_project, case):
    """``briefing render`` in-process (click's runner): exit 2 from a clean error, briefs/ untouched."""
    kind, table, content, where = case
    with project_copy(published_project) as project:
        (project / "data" / RESOURCES[table]["path"]).write_bytes(content)
        before = _snapshot(project / "briefs")
        with _cwd_and_env(project):
            result = CliRunner().invoke(main, ["render"])
        assert _snapshot(project / "briefs") == before, "nothing published changes"
    assert result.exit_code == 2, (result.output[-2000:], result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output.startswith("error: ") and "problem(s) in the shared data" in result.output
    assert any(LINE.match(line) and line.startswith(RESOURCES[table]["path"]) for line in result.output.splitlines())


# -- catalog -----------------------------------------------------------------------

YAML_SCALARS = (st.none() | st.booleans() | st.integers(-10, 3000) | st.floats(allow_nan=False) | CELL_TEXT
                | st.dates().map(str) | st.dates() | st.sampled_from(["ok", "polls_only", "html", "pdf", "current",
                                                                        "ok.ipynb", "../ok.ipynb", "/", ""]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(YAML_SCALARS.filter(lambda v: not isinstance(v, (list, dict))),
                                             inner, max_size=3), max_leaves=8)
CATALOG = {"formats": ["html"], "briefs": {"ok": {"editions": {"current": {}, "early": {"as_of": "2024-12-31"}}},
                                           "polls_only": {}}}
# Where a generated value goes in an otherwise valid catalog.
SLOTS = [(), ("formats",), ("briefs",), ("briefs", "ok"), ("briefs", "ok", "notebook"), ("briefs", "ok", "editions"),
         ("briefs", "ok", "editions", "early"), ("briefs", "ok", "editions", "early", "as_of"),
         ("briefs", "ok", "editions", "early", "top"), ("briefs", "ok", "editions", "early", "marking"),
         ("briefs", "ok", "formats"), ("briefs", "ok", "keywords"), ("briefs", "ok", "colour"),
         ("briefs", "new brief")]


@st.composite
def catalogs(draw):
    doc = json.loads(json.dumps(CATALOG))
    for _ in range(draw(st.integers(1, 3))):
        slot, value = draw(st.sampled_from(SLOTS)), draw(YAML_VALUES)
        if not slot:
            doc = value
            continue
        parent = doc
        for key in slot[:-1]:
            if not isinstance(parent, dict) or not isinstance(parent.get(key), dict):
                break
            parent = parent[key]
        else:
            if isinstance(parent, dict):
                parent[slot[-1]] = value
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):  # or cut the text anywhere
        text = text[: draw(st.integers(0, len(text)))]
    return text


@pytest.fixture(scope="module")
def catalog_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog") / "project"
    shutil.copytree(FIXTURES / "project", root)
    return root


@given(text=catalogs())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_catalog_loads_or_is_refused_with_a_usage_error(catalog_project, text):
    path = catalog_project / "notebooks" / "catalog.yml"
    path.write_text(text, encoding="utf-8")
    try:
        editions = catalog.editions(catalog.load(path))
    except UsageError as err:
        assert str(err) and "Traceback" not in str(err)
        return
    for edition in editions:
        assert edition.folder.parts == (edition.slug, edition.as_of), "an edition publishes inside briefs/"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", edition.as_of)


@given(text=catalogs())
@cli_examples(30)
def test_cli_refuses_a_bad_catalog_with_exit_2_and_publishes_nothing(published_project, text):
    with project_copy(published_project) as project:
        path = project / "notebooks" / "catalog.yml"
        path.write_text(text, encoding="utf-8")
        try:
            catalog.editions(catalog.load(path))
        except UsageError:
            pass
        else:
            assume(False)  # a valid catalog would render: not this test's business
        before = _snapshot(project / "briefs")
        env = {**os.environ, "BRIEFING_DATA": str(project / "data")}
        result = subprocess.run([*CLI, "render"], cwd=project, env=env, capture_output=True, text=True)
        assert _snapshot(project / "briefs") == before
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


# -- parameters (-p NAME=VALUE) ----------------------------------------------------

OK_NOTEBOOK = FIXTURES / "project" / "notebooks" / "ok.ipynb"
DECLARED = list(params.declared(OK_NOTEBOOK))
NAMES = st.sampled_from(DECLARED) | CELL_TEXT
VALUES = (st.text(max_size=30) | st.sampled_from(["2024-06-30", "31/03/2024", "2024-02-30", "2999-01-01", "7", "-1",
                                                 "1e3", "7.0", "True", "[1]", "None", "TLP:RED", "TLP:WHITE",
                                                 "__import__('os')", "(" * 200, "[" * 5000]))


@given(name=NAMES, value=VALUES)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_parameter_value_is_parsed_or_refused_naming_the_parameter(name, value):
    try:
        resolved = params.resolve(OK_NOTEBOOK, {name: value})
    except UsageError as err:
        assert getattr(err, "name", name) == name, err
        assert f"parameter {name!r}" in str(err)
        return
    assert name in DECLARED
    assert type(resolved[name]).__name__ == params.declared(OK_NOTEBOOK)[name].type
    for key in params.DATE_PARAMETERS:  # a date, or empty: it then follows from as_of in the kernel
        assert resolved[key] == "" and key != "as_of" or date.fromisoformat(resolved[key])
    assert resolved["marking"] in params.MARKINGS


@given(name=NAMES, value=VALUES)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_cli_p_name_value_is_refused_with_exit_2_when_invalid(published_project, name, value):
    assume("\x00" not in name + value)  # the OS refuses NUL in an argument before we see it
    try:
        params.resolve(OK_NOTEBOOK, {name.strip(): value})
    except UsageError:
        pass
    else:
        assume(name.strip() == "" or "=" in name)  # valid values would render: covered elsewhere
    before = _snapshot(published_project / "briefs")
    with _cwd_and_env(published_project):
        result = CliRunner().invoke(main, ["render", "ok", "-p", f"{name}={value}"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert _snapshot(published_project / "briefs") == before
