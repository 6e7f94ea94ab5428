"""The output formats a brief can be published in: one registry, read everywhere.

Each format names its nbconvert exporter (the entry point analysts can call as
``jupyter nbconvert --to NAME``), its file extension and media type, and how
it is made from the brief's HTML (which is rendered once per edition and
shared by every format).  The catalog, the CLI and the pipeline accept
exactly the names listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    exporter: str  # nbconvert exporter name (entry point in pyproject.toml)
    extension: str
    media_type: str
    from_html: Callable[[str], bytes]


def _utf8(html: str) -> bytes:
    return html.encode("utf-8")


def _pdf(html: str) -> bytes:
    from .pdf import html_to_pdf

    return html_to_pdf(html)


FORMATS: dict[str, Format] = {
    "html": Format("html", "brief", ".html", "text/html", _utf8),
    "pdf": Format("pdf", "briefpdf", ".pdf", "application/pdf", _pdf),
}


def get(name: str) -> Format:
    """The format called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None
