"""Print brief HTML to PDF with WeasyPrint: tagged PDF/UA-1, house print stylesheet, nothing fetched.

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
from pathlib import Path

log = logging.getLogger(__name__)

PRINT_CSS = Path(__file__).parent / "templates" / "brief" / "print.css"
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


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
