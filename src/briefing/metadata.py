"""What a brief says about itself: title, bottom line, window, marking, provenance.

Read from an executed notebook by :func:`collect`, from every place a run
records it, so the exporters print the same head, marking and PDF metadata
whichever way the notebook was executed (``briefing render``, plain papermill,
JupyterLab).  Never scraped from the HTML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import mistune
from nbconvert.preprocessors import Preprocessor
from nbconvert.utils.iso639_1 import iso639_1
from traitlets import Bool

import briefing

from .edition import MARKINGS, METADATA_KEY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BriefMetadata:
    """What a brief says about itself (see :func:`collect` for where it is read).

    Every key but ``marking`` is optional. ``title`` falls back to the text of the first
    markdown h1, then to the notebook name, so ``<title>`` is never empty
    (WCAG 2.4.2). Dates are ISO 8601; ``generated`` needs a UTC offset because
    it becomes the PDF CreationDate. Leave it out for byte-reproducible PDFs.
    ``slug`` (written by the pipeline) names the brief's files. Other keys (``generator``) are ignored here.

    Attributes
    ----------
    title, subtitle, description, author, edition, slug, git_sha, data_hash : str
    marking : str
        One of :data:`MARKINGS`; required (never defaulted).
    as_of, since : datetime.date or None
        Information cut-off and start of the period covered.
    previous_edition : datetime.date or None
        The edition this one is compared with (the HTML links to it).
    record_end : datetime.date or None
        The newest ``reported_on`` the brief's record holds (the kernel says it).
    keywords : tuple of str
    language : str
        ``<html lang>``: an ISO 639-1 code, optionally with a region (``en-GB``).
    generated : datetime.datetime or None
    """

    title: str
    subtitle: str | None = None
    marking: str = ""
    as_of: date | None = None
    since: date | None = None
    record_end: date | None = None
    previous_edition: date | None = None
    edition: str | None = None
    slug: str | None = None
    author: str = "Peninsula Briefs"
    description: str | None = None
    keywords: tuple[str, ...] = ()
    language: str = "en"
    generated: datetime | None = None
    git_sha: str | None = None
    data_hash: str | None = None
    draft: bool = False
    revision: dict | None = None

    @property
    def marking_class(self) -> str:
        """CSS class for the marking colour, e.g. ``marking-amber-strict``."""
        return "marking-" + self.marking.removeprefix("TLP:").lower().replace("+", "-")

    @property
    def generator(self) -> str:
        """``<meta name="generator">``; WeasyPrint makes it the PDF /Creator."""
        return f"peninsula-briefs {briefing.__version__}"

    @classmethod
    def from_notebook(cls, nb: Any, fallback_title: str) -> BriefMetadata:
        """Read and check what ``nb`` says about itself (see :func:`collect`).

        Raises
        ------
        ValueError
            On a missing, unknown or conflicting marking, an unknown language,
            a malformed date, or a start date after the cut-off: each would
            print a wrong brief.
        """
        raw = collect(nb)
        ignored = sorted(set(raw) - set(cls.__dataclass_fields__))
        if ignored:
            log.debug("briefing metadata keys not used by the exporter: %s", ", ".join(ignored))
        marking = raw.get("marking")
        if marking not in MARKINGS:
            raise ValueError(
                f"this notebook has no readable TLP marking ({marking!r}); a brief is never printed "
                f"without one. Run it through themes.start(...) with marking one of {', '.join(MARKINGS)}"
            )
        language = raw.get("language", "en")
        if not isinstance(language, str) or language.split("-")[0].lower() not in iso639_1:
            raise ValueError(f"briefing language {language!r} is not an ISO 639-1 code")
        keywords = raw.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ValueError(f"briefing keywords must be a list of strings, got {keywords!r}")
        as_of = _as_date("as_of", raw.get("as_of"))
        since = _as_date("since", raw.get("since"))
        record_end = _as_date("record_end", raw.get("record_end"))
        if as_of and since and since > as_of:
            raise ValueError(f"briefing since ({since}) is after as_of ({as_of})")
        text = {key: _as_text(key, raw.get(key)) for key in _TEXT_KEYS}
        return cls(
            title=text.pop("title") or _first_h1(nb) or nb.metadata.get("title") or fallback_title,
            author=text.pop("author") or cls.author,
            marking=marking,
            as_of=as_of,
            since=since,
            record_end=record_end,
            previous_edition=_as_date("previous_edition", raw.get("previous_edition")),
            keywords=tuple(keywords),
            language=language,
            generated=_as_datetime("generated", raw.get("generated")),
            draft=bool(raw.get("draft", False)),
            revision=_as_revision(raw.get("revision")),
            **text,
        )


def kernel_metadata(nb: Any) -> dict:
    """What the kernel itself said about the brief: the ``briefing`` output metadata of its blocks.

    :func:`briefing.brief.header` attaches the title, the bottom line and the
    window the kernel actually ran with (``as_of``, ``since``,
    ``previous_edition``, ``marking``, ``record_end``), and
    :func:`briefing.brief.sources_cited` how many sources the brief cited, so
    every path that executed the notebook (briefing, papermill, JupyterLab)
    leaves the same record.  Later outputs add to earlier ones.
    """
    said: dict = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            metadata = output.get("metadata", {})
            # IPython files a display object's metadata under its mimetype.
            for found in (metadata.get(METADATA_KEY), metadata.get("text/html", {}).get(METADATA_KEY)):
                if isinstance(found, dict):
                    said.update(found)
    return said


def collect(nb: Any) -> dict:
    """One mapping of brief metadata from every place a run records it.

    Notebook metadata ``"briefing"`` (what ``briefing render`` adds: slug,
    keywords, provenance), papermill's recorded parameters, and the header's
    output metadata from the kernel (:func:`kernel_metadata`), later ones
    winning.  A marking that two of them give differently is an error: the
    brief would not know its audience.
    """
    raw = nb.metadata.get("briefing", {})
    if not isinstance(raw, dict):
        raise ValueError(f"notebook metadata 'briefing' must be a mapping, got {raw!r}")
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    window = {k: params[k] for k in ("as_of", "since", "previous_edition", "marking") if params.get(k)}
    layers = [raw, window, kernel_metadata(nb)]
    markings = {layer["marking"] for layer in layers if layer.get("marking")}
    if len(markings) > 1:
        raise ValueError(f"conflicting TLP markings recorded in this notebook: {', '.join(sorted(markings))}")
    merged: dict = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v not in (None, "")})
    return merged


_TEXT_KEYS = ("title", "subtitle", "edition", "slug", "author", "description", "git_sha", "data_hash")


def _as_revision(value: Any) -> dict | None:
    """A revision's self-description: number, date, changes and links to the original and the previous build."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("number"), int) or not isinstance(
            value.get("changes"), list):
        raise ValueError(f"briefing revision must be a mapping with a number and a list of changes, got {value!r}")
    return value


def _as_text(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"briefing {key} must be a string, got {value!r}")


def _as_date(key: str, value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"briefing {key} must be an ISO date (YYYY-MM-DD), got {value!r}"
        ) from None


def _as_datetime(key: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"briefing {key} must be an ISO datetime with a UTC offset, got {value!r}")
    return moment


def _first_h1(nb: Any) -> str | None:
    """Text of the first level-1 heading in the notebook's markdown cells."""
    parse = mistune.create_markdown(renderer=None)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token in parse(cell.source):
            if token["type"] == "heading" and token["attrs"]["level"] == 1:
                return _token_text(token).strip() or None
    return None


def _token_text(token: dict[str, Any]) -> str:
    if token["type"] in {"text", "codespan"}:
        return token["raw"]
    return "".join(_token_text(child) for child in token.get("children", ()))


class BriefMetadataPreprocessor(Preprocessor):
    """Put :class:`BriefMetadata` where the ``brief`` template reads it.

    Sets ``resources["briefing"]``, ``resources["language_code"]`` (lab's
    ``<html lang>``) and ``nb.metadata.title`` (lab's ``<title>``) on the copy
    of the notebook that nbconvert renders.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        """Read the metadata once, before the template needs it."""
        name = resources.get("metadata", {}).get("name") or "Brief"
        meta = BriefMetadata.from_notebook(nb, fallback_title=name)
        resources["briefing"] = meta
        resources["language_code"] = meta.language
        nb.metadata["title"] = meta.title
        return nb, resources
