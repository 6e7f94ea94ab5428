"""nbconvert exporters that turn an executed notebook into a brief.

``BriefHTMLExporter`` (``jupyter nbconvert --to brief``) writes one HTML file for
readers: no code, no scripts, nothing fetched from the network, the TLP marking
and the edition line first, and alt text on every chart. ``BriefPDFExporter``
(``--to briefpdf``) prints that HTML with WeasyPrint (:mod:`briefing.pdf`).
Both are registered as ``nbconvert.exporters`` entry points in
``pyproject.toml`` and listed in :mod:`briefing.formats`.

What a brief says about itself (title, window, marking) is read by
:class:`briefing.metadata.BriefMetadataPreprocessor` from every place a run
records it, so papermill + nbconvert and ``briefing render`` print the same
marking; a notebook without one is refused.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from nbconvert.exporters import Exporter, HTMLExporter
from traitlets import Unicode, default
from traitlets.config import Config

from .formats import FORMATS
from .metadata import BriefMetadataPreprocessor
from .pdf import html_to_pdf

__all__ = ["BriefHTMLExporter", "BriefPDFExporter", "alt_text"]

TEMPLATES_DIR = Path(__file__).parent / "templates"

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
    output_mimetype = FORMATS["pdf"].media_type

    pdf_variant = Unicode(
        "pdf/ua-1", help="WeasyPrint pdf_variant, e.g. pdf/ua-1, pdf/ua-2, pdf/a-3u."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return FORMATS["pdf"].extension

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
