"""``briefing new NN-topic``: a new themed brief from the template, marked draft.

Writes the four things a brief needs (its notebook, its theme module, its
test, its catalog entry) so that an analyst starts from a brief that runs and
a suite that stays honest.  The brief stays ``draft: true`` in the catalog
until its placeholders are replaced: :func:`placeholders` finds them, and the
catalog refuses a published brief that still holds any.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import UsageError

# Text the template and the scaffold put where the analyst must write.
PLACEHOLDERS = ("A title that states the judgment", "The bottom line in one sentence",
                "Name the alternative", "State what the judgments rely on")

THEME_MODULE = '''"""{number} — {title}: the analysis behind the brief (scaffolded by `briefing new`)."""

from __future__ import annotations

import sys

from .. import brief, charts, line
from ..register import Registry
from . import Window

THEMES = ("{theme}",)  # event themes this brief follows (codes in data/datapackage.json)
BRIEF = "{slug}"  # its judgments live in analysis/judgments/{slug}/ (see README, "Changing a judgment")
QUERIES = Registry()  # named data queries: @QUERIES def name(ed) -> str | None, used as {{name}} in the register
SIGNPOSTS = Registry()  # named predicates: @SIGNPOSTS def name(ed) -> register.Seen | None


def header(ed: Window):
    return brief.header(ed, "A title that states the judgment",
                        "The bottom line in one sentence, before any background.")


def judgments(ed: Window) -> list[brief.Judgment]:
    """Key judgments (3–5) from the register, as known on ``as_of``; their numbers read from the data."""
    return line.judgments(ed, sys.modules[__name__])


def key_judgments(ed: Window):
    return line.key_judgments(ed, sys.modules[__name__])


def signposts(ed: Window):
    return line.signposts(ed, sys.modules[__name__])


def changes(ed: Window):
    return brief.changes(ed, THEMES)


def timeline(ed: Window):
    events = ed.events(*THEMES)
    return brief.chart(ed, charts.timeline(events, f"{{len(events)}} events on record",
                                           f"{title} events, {{ed.period}}", as_of=ed.as_of))


def events(ed: Window):
    return brief.table(ed, ed.events(*THEMES), {{"date_start": "Date", "summary": "What happened"}},
                       "Events on record")
'''

TEST_MODULE = '''"""{number} — {title}: the theme module runs on the current data (scaffolded by `briefing new`)."""

from briefing.themes import {module} as theme, start


def test_{module}_renders_every_block_as_known_on_the_catalog_date():
    ed = start("2025-12-15", marking="TLP:CLEAR")
    assert len(theme.judgments(ed)) <= 5
    for block in (theme.header, theme.key_judgments, theme.changes, theme.events):
        assert block(ed).data
'''


def scaffold(root: Path, slug: str, theme: str) -> list[Path]:
    """Create brief ``slug`` (``NN-topic``) under project ``root``; return the files written."""
    if not re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise UsageError(f"{slug!r}: a brief is named NN-topic (two digits, lower-case words joined by '-')")
    from .datapackage import codes

    if theme not in codes("events", "theme", root / "data"):
        raise UsageError(f"--theme {theme!r} is not an event theme in data/datapackage.json")
    number, topic = slug.split("-", 1)
    module = topic.replace("-", "_")
    title = topic.replace("-", " ").capitalize()
    paths = {"notebook": root / "notebooks" / f"{slug}.ipynb",
             "module": root / "src" / "briefing" / "themes" / f"{module}.py",
             "test": root / "tests" / f"test_theme_{module}.py"}
    if existing := [p for p in paths.values() if p.exists()]:
        raise UsageError(f"{slug}: already exists: {', '.join(str(p.relative_to(root)) for p in existing)}")
    catalog = root / "notebooks" / "catalog.yml"
    text = catalog.read_text(encoding="utf-8")
    if re.search(rf"^  {re.escape(slug)}:", text, re.M):
        raise UsageError(f"{slug}: already in notebooks/catalog.yml")
    import nbformat

    fields = {"number": number, "title": title, "theme": theme, "module": module, "slug": slug}
    paths["notebook"].write_text(nbformat.writes(_notebook(root, slug, module, number, title)), encoding="utf-8")
    paths["module"].write_text(THEME_MODULE.format(**fields), encoding="utf-8")
    paths["test"].write_text(TEST_MODULE.format(**fields), encoding="utf-8")
    catalog.write_text(text.rstrip("\n") + f"\n  {slug}:\n    draft: true  # until its placeholders are replaced\n",
                       encoding="utf-8")
    return [*paths.values(), catalog]


def _notebook(root: Path, slug: str, module: str, number: str, title: str):
    import nbformat

    nb = nbformat.read(root / "notebooks" / "_template.ipynb", as_version=4)
    for cell in nb.cells:
        cell.outputs, cell.execution_count = ([], None) if cell.cell_type == "code" else (None, None)
        if cell.cell_type != "code":
            del cell["outputs"], cell["execution_count"]
    nb.cells[0].source = (f"# {number} · {title}\n\nAnalyst notes (not shown to readers): what this brief covers, "
                          f"and which section of the source analysis. Render it: `briefing render {slug}`.")
    calls = [f"from briefing import brief\nfrom briefing.themes import {module} as theme, start\n\n"
             "ed = start(as_of, since, previous_edition, marking)\ntheme.header(ed)",
             "theme.key_judgments(ed)", "theme.changes(ed)", "theme.timeline(ed)", "theme.events(ed)",
             "brief.estimative_language()", "brief.sources_cited(ed)"]
    code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    for cell, source in zip(code, calls):
        cell.source = source
    for cell in code[len(calls):]:
        nb.cells.remove(cell)
    return nb


def theme_module(notebook: Path) -> Path | None:
    """The theme module a notebook imports as ``theme``, if any (read, not imported)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if found := re.search(r"from briefing\.themes import (\w+) as theme", "".join(cell["source"])):
            return Path(__file__).parent / "themes" / f"{found.group(1)}.py"
    return None


def placeholders(*paths: Path) -> list[str]:
    """Template placeholders still present in ``paths`` (notebook sources, theme module)."""
    found = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":  # sources only: a stored output may quote anything
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        found += [f"{path.name}: {p!r}" for p in PLACEHOLDERS if p in text]
    return found
