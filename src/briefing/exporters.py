"""nbconvert exporters that turn an executed notebook into a brief.

``BriefHTMLExporter`` (``jupyter nbconvert --to brief``) writes one HTML file for
readers: no code, no scripts, nothing fetched from the network, the TLP marking
and the edition line first, and alt text on every chart. ``BriefPDFExporter``
(``--to briefpdf``) prints that HTML with WeasyPrint as a tagged PDF/UA-1 with a
running header and footer. Both are registered as ``nbconvert.exporters`` entry
points in ``pyproject.toml``.

Brief metadata is read from the notebook metadata key ``"briefing"``; see
:class:`BriefMetadata` for the keys and their fallbacks.

Offline by construction, checked after the fact: the template empties lab's
CDN blocks and sets a Content-Security-Policy without ``script-src``;
:func:`offline_violations` lists any URL a browser would still fetch, so tests
and the CLI can fail a brief that would leak requests.

Fonts
-----
WeasyPrint draws with the fonts fontconfig knows. Korean text needs a CJK font
(e.g. Noto Sans CJK KR, Debian ``fonts-noto-cjk``); without one, Hangul prints
as empty boxes and is lost from the text layer too (every missing glyph maps
to one character, and pypdf then misreads the rest of that font's text). When a
brief contains Hangul and ``fc-list :lang=ko`` finds no font, the PDF exporter
logs one warning per process and still writes the PDF: a missing font should
not block a brief, nor go unnoticed.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import mistune
import tinycss2
from bs4 import BeautifulSoup
from nbconvert.exporters import Exporter, HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbconvert.utils.iso639_1 import iso639_1
from traitlets import Bool, Unicode, default
from traitlets.config import Config

from .params import MARKINGS

import briefing

__all__ = [
    "MARKINGS",
    "BriefHTMLExporter",
    "BriefMetadata",
    "BriefMetadataPreprocessor",
    "BriefPDFExporter",
    "alt_text",
    "html_to_pdf",
    "offline_violations",
    "outbound_links",
]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
PRINT_CSS = TEMPLATES_DIR / "brief" / "print.css"

#: Output types a reader can see without JavaScript, best first. lab's list
#: minus widgets, JavaScript and mermaid, which need scripts we do not ship.
DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
]

_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


# --- Brief metadata ----------------------------------------------------------


@dataclass(frozen=True)
class BriefMetadata:
    """What a brief says about itself, from notebook metadata ``"briefing"``.

    Every key is optional. ``title`` falls back to the text of the first
    markdown h1, then to the notebook name, so ``<title>`` is never empty
    (WCAG 2.4.2). Dates are ISO 8601; ``generated`` needs a UTC offset because
    it becomes the PDF CreationDate. Leave it out for byte-reproducible PDFs.
    Other keys (the pipeline also writes ``slug``, ``previous_edition``,
    ``generator``) are ignored here.

    Attributes
    ----------
    title, subtitle, description, author, edition, git_sha, data_hash : str
    marking : str
        One of :data:`MARKINGS`; default ``"TLP:CLEAR"``.
    as_of, since : datetime.date or None
        Information cut-off and start of the period covered.
    keywords : tuple of str
    language : str
        ``<html lang>``: an ISO 639-1 code, optionally with a region (``en-GB``).
    generated : datetime.datetime or None
    """

    title: str
    subtitle: str | None = None
    marking: str = "TLP:CLEAR"
    as_of: date | None = None
    since: date | None = None
    edition: str | None = None
    author: str = "Peninsula Briefs"
    description: str | None = None
    keywords: tuple[str, ...] = ()
    language: str = "en"
    generated: datetime | None = None
    git_sha: str | None = None
    data_hash: str | None = None

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
        """Read and check ``nb.metadata["briefing"]``.

        Raises
        ------
        ValueError
            On an unknown marking or language, a malformed date, or a start
            date after the cut-off: each would print a wrong brief.
        """
        raw = nb.metadata.get("briefing", {})
        if not isinstance(raw, dict):
            raise ValueError(f"notebook metadata 'briefing' must be a mapping, got {raw!r}")
        ignored = sorted(set(raw) - set(cls.__dataclass_fields__))
        if ignored:
            log.debug("briefing metadata keys not used by the exporter: %s", ", ".join(ignored))
        marking = raw.get("marking", "TLP:CLEAR")
        if marking not in MARKINGS:
            raise ValueError(
                f"briefing marking {marking!r} is not a TLP 2.0 label; "
                f"use one of {', '.join(MARKINGS)}"
            )
        language = raw.get("language", "en")
        if not isinstance(language, str) or language.split("-")[0].lower() not in iso639_1:
            raise ValueError(f"briefing language {language!r} is not an ISO 639-1 code")
        keywords = raw.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ValueError(f"briefing keywords must be a list of strings, got {keywords!r}")
        as_of = _as_date("as_of", raw.get("as_of"))
        since = _as_date("since", raw.get("since"))
        if as_of and since and since > as_of:
            raise ValueError(f"briefing since ({since}) is after as_of ({as_of})")
        text = {key: _as_text(key, raw.get(key)) for key in _TEXT_KEYS}
        return cls(
            title=text.pop("title") or _first_h1(nb) or nb.metadata.get("title") or fallback_title,
            author=text.pop("author") or cls.author,
            marking=marking,
            as_of=as_of,
            since=since,
            keywords=tuple(keywords),
            language=language,
            generated=_as_datetime("generated", raw.get("generated")),
            **text,
        )


_TEXT_KEYS = ("title", "subtitle", "edition", "author", "description", "git_sha", "data_hash")


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


# --- Alt text ---------------------------------------------------------------


def alt_text(output: Any, mimetype: str) -> str | None:
    """Alt text an image output carries in its metadata, if any.

    Looks at ``output.metadata[mimetype]["alt"]`` (what ``IPython.display``
    writes for per-type metadata), then ``output.metadata["alt"]``.
    """
    metadata = output.get("metadata", {})
    per_type = metadata.get(mimetype, {})
    alt = per_type.get("alt") if isinstance(per_type, dict) else None
    return alt or metadata.get("alt") or None


# --- HTML --------------------------------------------------------------------


class BriefHTMLExporter(HTMLExporter):
    """Self-contained, script-free HTML brief from an executed notebook.

    The ``brief`` template (``briefing/templates/brief``) extends lab's. What a
    reader never sees is removed with nbconvert's own switches: inputs and
    prompts (``exclude_*``), cells tagged ``remove-cell`` and papermill's
    ``injected-parameters`` cell, outputs tagged ``remove-output`` (a cell tag
    drops all its outputs, an output tag that output) through
    ``TagRemovePreprocessor``, and stderr streams in the template. Tracebacks
    and papermill's error banner stay visible: a failed run must not read as a
    finished brief.
    """

    export_from_notebook = "Brief (HTML)"

    @default("template_name")
    def _template_name_default(self):
        return "brief"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self):
        return True

    @property
    def default_config(self):
        """HTMLExporter's defaults plus tag removal and a script-free display order."""
        config = super().default_config
        config.merge(
            Config(
                {
                    "NbConvertBase": {"display_data_priority": DISPLAY_PRIORITY},
                    "TagRemovePreprocessor": {
                        "enabled": True,
                        "remove_cell_tags": {"remove-cell", "injected-parameters"},
                        "remove_all_outputs_tags": {"remove-output"},
                        "remove_single_output_tags": {"remove-output"},
                    },
                    # Pygments CSS for code nobody sees, plus the user's
                    # ~/.jupyter/custom/custom.css, which would make briefs
                    # depend on the machine that rendered them.
                    "CSSHTMLHeaderPreprocessor": {"enabled": False},
                }
            )
        )
        return config

    def _init_preprocessors(self):
        super()._init_preprocessors()
        self.register_preprocessor(BriefMetadataPreprocessor(parent=self), enabled=True)

    def default_filters(self):
        """Add the alt-text filters the ``brief`` template uses."""
        yield from super().default_filters()
        yield ("alt_text", self._output_alt_text)
        yield ("fill_missing_alt", self._fill_missing_alt)

    def _output_alt_text(self, output, mimetype):
        alt = alt_text(output, mimetype)
        if alt:
            return alt
        # alt="" would hide the chart from screen readers: say what the kernel said.
        fallback = output.get("data", {}).get("text/plain", "")
        self.log.warning(
            "An image output has no alt text in its metadata; using its text/plain %r",
            fallback,
        )
        return fallback

    def _fill_missing_alt(self, html):
        """Give alt text to images the template did not write itself.

        HTMLExporter labels every ``<img>`` without ``alt`` with the placeholder
        "No description has been provided for this image", which a screen
        reader then reads out. Raw ``<img>`` tags in markdown or HTML outputs
        get their ``title`` as alt, or ``alt=""`` with a warning.
        """
        if "<img" not in html:
            return html
        soup = BeautifulSoup(html, features="html.parser")
        missing = soup.select("img:not([alt])")
        if not missing:
            return html
        for img in missing:
            img["alt"] = img.get("title", "")
            if not img["alt"]:
                self.log.warning("Image %.60s has no alt text", img.get("src", ""))
        return str(soup)


# --- PDF ---------------------------------------------------------------------


class BriefPDFExporter(Exporter):
    """PDF brief: the ``brief`` HTML printed by WeasyPrint.

    WeasyPrint fetches nothing: its URL fetcher accepts ``data:`` URIs only
    and refuses ``file:``, ``http(s):`` and the rest (each refusal is logged by
    WeasyPrint and the element is left out). Bookmarks come from the headings,
    Info metadata from the ``<head>`` (plus ``/tlp`` and ``/edition``), and the
    output claims PDF/UA-1, which WeasyPrint does not guarantee: check with
    veraPDF when it matters.
    """

    export_from_notebook = "Brief (PDF)"
    output_mimetype = "application/pdf"

    pdf_variant = Unicode(
        "pdf/ua-1", help="WeasyPrint pdf_variant, e.g. pdf/ua-1, pdf/ua-2, pdf/a-3u."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @functools.cached_property
    def html_exporter(self) -> BriefHTMLExporter:
        """The HTML exporter, built once (template loading is the slow part)."""
        return BriefHTMLExporter(parent=self)

    def from_notebook_node(self, nb, resources=None, **kw):
        """Render ``nb`` to PDF.

        Returns
        -------
        pdf : bytes
        resources : dict
            The HTML exporter's resources, with ``output_extension`` ``.pdf``.
        """
        html, resources = self.html_exporter.from_notebook_node(nb, resources, **kw)
        resources["output_extension"] = self.file_extension
        return html_to_pdf(html, pdf_variant=self.pdf_variant), resources


def html_to_pdf(html: str, *, pdf_variant: str = "pdf/ua-1") -> bytes:
    """Print brief HTML to PDF with the house print stylesheet.

    ``base_url=None`` and :func:`data_only_fetcher` mean relative, ``file:``
    and network URLs all fail instead of reading the disk or the network.
    """
    import weasyprint  # half a second to import, and only PDF needs it

    if _HANGUL.search(html) and not korean_font_installed():
        _warn_no_korean_font()
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=data_only_fetcher())
    return document.write_pdf(
        stylesheets=[print_stylesheet()], pdf_variant=pdf_variant, custom_metadata=True
    )


@functools.cache
def data_only_fetcher():
    """WeasyPrint URL fetcher that allows ``data:`` URIs and refuses the rest."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


@functools.cache
def print_stylesheet():
    """``print.css`` parsed once per process (it is the same for every brief)."""
    import weasyprint

    return weasyprint.CSS(
        string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=data_only_fetcher()
    )


@functools.cache
def korean_font_installed() -> bool:
    """Whether fontconfig knows a font covering Korean (``fc-list :lang=ko``)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(
        [fc_list, ":lang=ko", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


@functools.cache  # once per process
def _warn_no_korean_font() -> None:
    log.warning(
        "This brief contains Korean text but no Korean font is installed "
        "(fc-list :lang=ko is empty): Hangul will print as empty boxes. "
        "Install a CJK font such as fonts-noto-cjk."
    )


# --- Offline check -------------------------------------------------------------

# Attributes whose URL the browser loads with the page (or on submit), by tag;
# "*" applies to every tag. <a href> is a link the reader may follow, not a fetch.
_FETCH_ATTRIBUTES = {
    "*": {"src", "background"},
    "link": {"href"},
    "object": {"data"},
    "video": {"poster"},
    "form": {"action"},
    "button": {"formaction"},
    "input": {"formaction"},
    "html": {"manifest"},
    "image": {"href", "xlink:href"},
    "use": {"href", "xlink:href"},
    "feimage": {"href", "xlink:href"},
}
_LINK_TAGS = {"a", "area"}
_NOT_FETCHED = ("data:", "about:", "javascript:", "mailto:", "#")


class _URLCollector(HTMLParser):
    """Collects fetched URLs and followed links; comments never reach it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fetched: list[str] = []
        self.links: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = [(name, value or "") for name, value in attrs]
        names = _FETCH_ATTRIBUTES["*"] | _FETCH_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name in names:
                self.fetched.append(value.strip())
            elif name == "srcset" or (name == "imagesrcset" and tag == "link"):
                self.fetched.extend(_srcset_urls(value))
            elif name == "style":
                self.fetched.extend(_css_urls(value, declarations=True))
            elif name == "href" and tag in _LINK_TAGS:
                self.links.append(value.strip())
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.fetched.extend(_refresh_url(attributes.get("content", "")))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.fetched.extend(_css_urls(data))


def _srcset_urls(value: str) -> list[str]:
    """URLs of a ``srcset``: each candidate is a URL then optional descriptors.

    Split as the HTML standard does, so commas inside a data: URL survive.
    """
    urls, position = [], 0
    while position < len(value):
        while position < len(value) and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < len(value) and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while position < len(value) and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[position], 0)
                position += 1
        if url:
            urls.append(url)
    return urls


def _css_urls(css: str, declarations: bool = False) -> list[str]:
    """URLs a stylesheet (or a style attribute) loads: url(), image-set(), @import."""
    if declarations:
        nodes = tinycss2.parse_blocks_contents(css, skip_comments=True)
    else:
        nodes = tinycss2.parse_stylesheet(css, skip_comments=True)
    urls: list[str] = []

    def walk(node):
        if node.type == "url":
            urls.append(node.value)
        elif node.type == "function" and node.lower_name in {"url", "src"}:
            urls.extend(arg.value for arg in node.arguments[:1] if arg.type == "string")
        elif node.type == "function" and node.lower_name.endswith("image-set"):
            urls.extend(arg.value for arg in node.arguments if arg.type == "string")
        if node.type == "at-rule" and node.lower_at_keyword == "import":
            urls.extend(token.value for token in node.prelude[:3] if token.type == "string")
        if node.type == "at-rule" and node.lower_at_keyword == "namespace":
            return  # a name, not a resource
        for child in _children(node):
            walk(child)

    for node in nodes:
        walk(node)
    return urls


def _children(node) -> list:
    if node.type == "function":
        return node.arguments
    if node.type in {"() block", "[] block", "{} block"}:
        return node.content
    if node.type in {"qualified-rule", "at-rule"}:
        return [*node.prelude, *(node.content or [])]
    if node.type == "declaration":
        return node.value
    return []


def _refresh_url(content: str) -> list[str]:
    """The URL of ``<meta http-equiv=refresh content="5; url=...">``, if any."""
    _, separator, rest = content.partition(";")
    rest = rest.strip()
    if not separator or not rest:
        _, separator, rest = content.partition(",")
        rest = rest.strip()
    if rest.lower().startswith("url"):
        rest = rest[3:].lstrip()
        if rest.startswith("="):
            rest = rest[1:].strip()
    return [rest.strip("'\"")] if rest else []


def _scan(html: str) -> _URLCollector:
    collector = _URLCollector()
    collector.feed(html)
    collector.close()
    return collector


def offline_violations(html: str) -> list[str]:
    """Every URL a browser would fetch to show ``html``, in document order.

    Covers ``src``/``srcset`` (img, script, iframe, embed, source, …),
    ``<link href>``, ``<object data>``, ``<form action>``, ``poster``,
    ``<meta http-equiv=refresh>``, SVG ``href``, and CSS ``url()``,
    ``image-set()`` and ``@import`` in ``<style>`` and ``style=""``. Comments,
    ``data:`` URIs and in-page ``#anchors`` are not fetches. Nor is
    ``<a href>``, which only loads when the reader clicks it: see
    :func:`outbound_links`.

    Returns
    -------
    list of str
        Empty when the page is self-contained.
    """
    return [url for url in _scan(html).fetched if url and not url.lower().startswith(_NOT_FETCHED)]


def outbound_links(html: str) -> list[str]:
    """URLs of ``<a>``/``<area>`` links, which load only when clicked.

    Allowed in a brief (source lists link to their sources), but worth
    listing: a reader who follows one leaves the offline copy.
    """
    return [url for url in _scan(html).links if url and not url.startswith("#")]
