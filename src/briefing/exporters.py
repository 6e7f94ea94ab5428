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
import re
import string
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from nbconvert.exporters import Exporter, HTMLExporter
from traitlets import Unicode, default
from traitlets.config import Config

from .formats import FORMATS
from .metadata import BriefMetadataPreprocessor
from .pdf import html_to_pdf

__all__ = ["BriefHTMLExporter", "BriefPDFExporter", "alt_text", "finish"]

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


# --- Structure: annexes, numbering, references, contents ----------------------

ANNEX_TAG = "annex"  # a markdown cell with this tag opens an annex: its h2 becomes "Annex A — <h2>"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def finish(html: str) -> str:
    """Give a rendered brief its structure: annexes lettered, tables and figures numbered, references, contents.

    - The ``h2`` of each cell tagged ``annex`` becomes "Annex A — …", "Annex B — …" in order (the bookmarks
      of the PDF follow the headings), with the anchor ``#<slug of its title>``; the cell starts a new page.
    - Tables with a caption and charts are numbered in order: "Table 1", "Figure 2" in the main body,
      "Table A3", "Figure B1" in an annex; each gets an anchor (``#table-a3``).
    - An ``<a class="xref" href="#…">`` is given the name of what it points at ("Annex C", "Table A3").
    - Every ``h2``/``h3`` gets an anchor, and a table of contents (``nav.toc``) follows the title and bottom line.
    """
    soup = BeautifulSoup(html, features="html.parser")
    main = soup.find("main")
    if main is None:
        return html
    names: dict[str, str] = {}
    ids = {tag["id"] for tag in soup.find_all(id=True)}

    def anchor(tag, wanted: str) -> str:
        if tag.get("id"):
            return tag["id"]
        candidate, n = wanted, 2
        while candidate in ids:
            candidate, n = f"{wanted}-{n}", n + 1
        ids.add(candidate)
        tag["id"] = candidate
        return candidate

    letters = iter(string.ascii_uppercase)
    prefix, counts = "", {"Table": 0, "Figure": 0}
    for cell in main.select("div.jp-Cell"):
        if ANNEX_TAG in _cell_tags(cell):
            heading = cell.find("h2")
            if heading is not None:
                prefix, counts = next(letters), {"Table": 0, "Figure": 0}
                title = re.sub(r"^Annex\b[^A-Za-z]*", "", heading.get_text(" ", strip=True))
                heading.clear()
                heading.append(f"Annex {prefix} — {title}")
                if heading.get("id"):
                    ids.discard(heading["id"])
                    del heading["id"]
                names[anchor(heading, _slug(title))] = f"Annex {prefix}"
                cell["class"] = [*cell.get("class", []), "annex-start"]
        if not prefix:  # before the first annex: the two-page main body
            cell["class"] = [*cell.get("class", []), "main-body"]
        for kind, found in _numbered(cell):
            counts[kind] += 1
            number = f"{prefix}{counts[kind]}"
            names[anchor(found["target"], f"{kind.lower()}-{number.lower()}")] = f"{kind} {number}"
            label = soup.new_tag("span", attrs={"class": "number"})
            label.string = f"{kind} {number}."
            found["label_in"].insert(0, " ")
            found["label_in"].insert(0, label)
    for ref in soup.select("a.xref[href^='#']"):
        name = names.get(ref["href"][1:])
        if name:
            ref.clear()
            ref.append(name)
    headings = main.find_all(["h2", "h3"])
    for heading in headings:
        anchor(heading, _slug(heading.get_text(" ", strip=True)))
    if headings:  # after the title and bottom line, before the key judgments
        title = main.find("h1")
        cell = title.find_parent("div", class_="jp-Cell") if title is not None else None
        if cell is not None:
            cell.insert_after(_contents(soup, headings))
        else:
            main.insert(0, _contents(soup, headings))
    return str(soup)


def _cell_tags(cell) -> set[str]:
    """A cell's tags: lab puts them on a code cell's div, and on a markdown cell's rendered markdown inside it."""
    classes = list(cell.get("class", []))
    for inner in cell.select(".jp-RenderedMarkdown"):
        classes += inner.get("class", [])
    return {c.removeprefix("celltag_") for c in classes if c.startswith("celltag_")}


def _numbered(cell):
    """Tables with a caption and charts in ``cell``, in order, with where their number goes."""
    for tag in cell.find_all(["table", "img"]):
        if tag.name == "table":
            caption = tag.find("caption")
            if caption is not None:
                yield "Table", {"target": tag, "label_in": caption}
            continue
        holder = tag.find_parent("div", class_="jp-RenderedImage") or tag
        caption = holder.find_next("div", class_="chart-caption")
        line = caption.find("p") if caption is not None and caption.find_parent("div", class_="jp-Cell") is cell \
            else None
        if line is None:
            line = BeautifulSoup("<p class=\"figure-label\"></p>", "html.parser").p
            holder.insert_after(line)
        yield "Figure", {"target": holder, "label_in": line}


def _contents(soup, headings):
    """``nav.toc``: the h2 sections, each with its h3 subsections."""
    nav = soup.new_tag("nav", attrs={"class": "toc", "aria-label": "Contents"})
    title = soup.new_tag("h2", attrs={"class": "toc-title", "id": "contents"})
    title.string = "Contents"
    top = soup.new_tag("ol")
    nav.extend([title, top])
    current = None
    for heading in headings:
        item = soup.new_tag("li")
        link = soup.new_tag("a", href=f"#{heading['id']}")
        link.string = heading.get_text(" ", strip=True)
        item.append(link)
        if heading.name == "h2" or current is None:
            top.append(item)
            current = item
        else:
            sub = current.find("ol")
            if sub is None:
                sub = soup.new_tag("ol")
                current.append(sub)
            sub.append(item)
    return nav


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

    def from_notebook_node(self, nb, resources=None, **kw):
        """The lab template's HTML, then :func:`finish`: annexes, numbering, references, contents."""
        html, resources = super().from_notebook_node(nb, resources, **kw)
        return finish(html), resources

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
