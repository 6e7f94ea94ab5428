"""The brief catalog: one manifest (``notebooks/catalog.yml``) lists every brief.

Adding a brief is one entry: its notebook and, optionally, named editions
(parameter sets such as past ``as_of`` dates) and output formats.  Every
parameter set is resolved against the notebook's declared parameters when the
catalog is loaded, so a typo fails the whole run before any kernel starts.

.. code-block:: yaml

    formats: [html, pdf]
    briefs:
      01-dprk-russia-alliance:
        notebook: 01-dprk-russia-alliance.ipynb
        keywords: [DPRK, Russia, alliance]
        editions:
          current: {}
          mid-2024: {as_of: "2024-06-30", previous_edition: "2024-03-31"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import params as parameters
from .edition import Edition
from .errors import CatalogError
from .formats import FORMATS
from .scaffold import placeholders, theme_module

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Brief:
    slug: str
    notebook: Path
    editions: dict[str, dict[str, Any]]
    formats: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    draft: bool = False


def load(path: Path) -> list[Brief]:
    """Briefs listed in the catalog at ``path``, in file order."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise CatalogError(f"{path}: {err}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("briefs"), dict) or not raw["briefs"]:
        raise CatalogError(f"{path}: needs a 'briefs:' mapping with at least one brief")
    default_formats = check_formats(raw.get("formats", ["html", "pdf"]), f"{path}: formats")
    briefs = []
    for slug, entry in raw["briefs"].items():
        entry = entry or {}
        if not isinstance(entry, dict):
            raise CatalogError(f"{path}: brief {slug!r}: expected a mapping (notebook, editions, formats)")
        unknown = set(entry) - {"notebook", "editions", "formats", "keywords", "draft"}
        if unknown:
            raise CatalogError(f"{path}: brief {slug!r}: unknown key(s) {sorted(map(str, unknown))}")
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise CatalogError(f"{path}: brief {slug!r}: a brief's name is its folder in briefs/: "
                               "letters, digits, '-' and '_' only")
        notebook = entry.get("notebook", f"{slug}.ipynb")
        if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
            raise CatalogError(f"{path}: brief {slug!r}: notebook must be a file name ending .ipynb, not {notebook!r}")
        notebook = path.parent / notebook
        if not notebook.is_file():
            raise CatalogError(f"{path}: brief {slug!r}: notebook {notebook.name} not found")
        editions = entry.get("editions") or {"current": {}}
        if not isinstance(editions, dict) or not all(isinstance(v or {}, dict) for v in editions.values()):
            raise CatalogError(f"{path}: brief {slug!r}: editions must map a name to parameters")
        formats = check_formats(entry.get("formats", default_formats), f"{path}: brief {slug!r}")
        keywords = entry.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise CatalogError(f"{path}: brief {slug!r}: keywords must be a list of words")
        draft = entry.get("draft", False)
        if not isinstance(draft, bool):
            raise CatalogError(f"{path}: brief {slug!r}: draft must be true or false")
        if not draft and (left := placeholders(notebook, theme_module(notebook) or notebook)):
            raise CatalogError(f"{path}: brief {slug!r} still holds template placeholders ({'; '.join(left)}); "
                               "replace them, or mark the brief 'draft: true'")
        briefs.append(Brief(slug, notebook, {k: dict(v or {}) for k, v in editions.items()}, formats,
                            tuple(keywords), draft))
    return briefs


def check_formats(value, where: str) -> tuple[str, ...]:
    """``value`` as a tuple of known output formats, or a :class:`CatalogError` saying where."""
    formats = tuple(value) if isinstance(value, (list, tuple)) else None
    if not formats or any(not isinstance(f, str) or f not in FORMATS for f in formats):
        raise CatalogError(f"{where}: formats must be a list of {', '.join(FORMATS)}, not {value!r}")
    return formats


def editions(briefs: list[Brief], names: tuple[str, ...] = (), overrides: dict[str, Any] | None = None,
             formats: tuple[str, ...] | None = None, *, publish: bool = False) -> list[Edition]:
    """Resolve the editions to render; every parameter set is type-checked here.

    With ``overrides`` (``--as-of``, ``-p``) only each brief's ``current``
    edition is rendered, with the overrides applied.  Draft briefs are left
    out unless named.

    An edition is a publication when its parameters are those of a catalog
    edition, or when the only override is today's ``as_of`` (the scheduled
    run); anything else (another date, another marking, any ``-p``) and
    every edition of a draft brief is a draft, unless ``publish`` says it is
    meant for readers.
    """
    from datetime import date

    formats = check_formats(formats, "--format") if formats is not None else None
    known = {b.slug for b in briefs}
    if missing := [n for n in names if n not in known]:
        raise CatalogError(f"unknown brief(s) {missing}; known: {', '.join(sorted(known))}")
    chosen = [b for b in briefs if b.slug in names or (not names and not b.draft)]
    scheduled = overrides == {"as_of": date.today().isoformat()}
    result = []
    for brief in chosen:
        listed = [parameters.resolve(brief.notebook, values) for values in brief.editions.values()]
        sets = {"current": brief.editions.get("current", {})} if overrides else brief.editions
        for name, values in sets.items():
            resolved = parameters.resolve(brief.notebook, {**values, **(overrides or {})})
            if "as_of" not in resolved:
                raise CatalogError(f"{brief.notebook.name}: declares no 'as_of' parameter")
            draft = brief.draft or not (publish or scheduled or resolved in listed)
            if brief.draft and publish and (left := placeholders(brief.notebook, theme_module(brief.notebook)
                                                                  or brief.notebook)):
                raise CatalogError(f"brief {brief.slug!r} still holds template placeholders ({'; '.join(left)}); "
                                   "it cannot be published")
            result.append(Edition(brief.slug, name, brief.notebook, resolved, formats or brief.formats,
                                  brief.keywords, draft=draft and not publish))
    seen = {}
    for edition in result:
        if (other := seen.setdefault(edition.folder, edition)) is not edition:
            raise CatalogError(f"editions {other.name!r} and {edition.name!r} of {edition.slug} both publish to {edition.folder}")
    return result
