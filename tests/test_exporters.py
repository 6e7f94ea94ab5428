"""Behaviour of the brief exporters (HTML and PDF) and of the offline check."""

from __future__ import annotations

import io
import logging
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.exporters import get_exporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from offline import offline_violations, outbound_links
from pypdf import PdfReader

from briefing import __version__, pdf
from briefing.edition import MARKINGS
from briefing.exporters import BriefHTMLExporter, BriefPDFExporter

NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
EXECUTED = NOTEBOOKS / "executed_brief.ipynb"
PLACEHOLDER = "No description has been provided for this image"

# 1x1 transparent PNG.
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
    "AAAABJRU5ErkJggg=="
)


def notebook(*cells, **briefing):
    """A notebook with ``cells`` and ``briefing`` as its brief metadata (TLP:CLEAR unless given)."""
    nb = new_notebook(cells=list(cells))
    briefing.setdefault("marking", "TLP:CLEAR")
    nb.metadata["briefing"] = {k: v for k, v in briefing.items() if v is not None}
    return nb


def png_output(metadata=None, text="<Figure size 640x480 with 1 Axes>"):
    return new_output(
        "display_data", data={"image/png": PIXEL, "text/plain": text}, metadata=metadata or {}
    )


def to_html(nb) -> str:
    html, _ = BriefHTMLExporter().from_notebook_node(nb)
    return html


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture(scope="module")
def executed():
    return nbformat.read(EXECUTED, as_version=4)


@pytest.fixture(scope="module")
def executed_html(executed):
    return to_html(executed)


@pytest.fixture(scope="module")
def long_pdf(executed):
    """The fixture brief padded to several pages, as a pypdf reader.

    Its Hangul is swapped out: where no Korean font is installed, WeasyPrint's
    .notdef glyphs garble pypdf's text extraction for the whole font, and that
    case has its own test (test_missing_korean_font_warns_once).
    """
    nb = nbformat.from_dict(executed)
    nb.cells[0].source = nb.cells[0].source.replace("국방예산", "gukbang yesan")
    paragraph = "Pyongyang's ties with Moscow have deepened since the June 2024 treaty. " * 12
    nb.cells[-1:-1] = [
        new_markdown_cell(f"## Section {n}\n\n{paragraph}\n\n{paragraph}") for n in range(1, 9)
    ]
    nb.metadata["briefing"]["generated"] = "2025-11-15T06:00:00+00:00"
    pdf, resources = BriefPDFExporter().from_notebook_node(nb)
    assert resources["output_extension"] == ".pdf"
    return PdfReader(io.BytesIO(pdf))


# --- HTML: offline, no code --------------------------------------------------


def test_html_has_no_fetchable_urls(executed, executed_html):
    # The check has teeth: nbconvert's own lab output loads require.js and
    # MathJax from a CDN.
    stock, _ = HTMLExporter().from_notebook_node(executed)
    assert any("cdnjs" in url for url in offline_violations(stock))
    assert offline_violations(executed_html) == []


def test_html_runs_no_scripts_under_strict_csp(executed_html):
    soup = soup_of(executed_html)
    assert soup.find_all("script") == []
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    # 'self': the one stylesheet the portal writes beside the editions (../editions.css, the older-edition notice)
    assert csp["content"] == (
        "default-src 'none'; img-src data:; style-src 'self' 'unsafe-inline'; font-src data:"
    )


def test_html_has_marking_as_first_body_line(executed_html):
    body = soup_of(executed_html).body
    first = body.find(string=lambda text: text.strip())
    assert first.strip() == "TLP:CLEAR"
    assert first.parent.name == "p"
    assert first.parent["class"] == ["marking", "marking-clear"]


def test_html_has_edition_line_after_marking(executed_html):
    header = soup_of(executed_html).body.header
    marking, edition = header.find_all("p")[:2]
    assert "marking" in marking["class"]
    # The " · " separators are CSS-generated.
    assert " ".join(edition.get_text().split()) == (
        "As of 2025-11-15 Covers 2025-10-01 to 2025-11-15 Edition 99-test-brief/2025-11-15"
    )


@pytest.mark.parametrize(
    ("marking", "css_class"),
    [("TLP:CLEAR", "marking-clear"), ("TLP:GREEN", "marking-green"), ("TLP:AMBER", "marking-amber"),
     ("TLP:AMBER+STRICT", "marking-amber-strict"), ("TLP:RED", "marking-red")],
)
def test_marking_gets_its_colour_class(marking, css_class):
    html = to_html(notebook(new_markdown_cell("# T"), marking=marking))
    assert soup_of(html).find("p", class_="marking")["class"] == ["marking", css_class]


def test_html_lang_and_single_h1():
    nb = notebook(new_markdown_cell("# 제목\n\n## Part\n\nText"), language="ko")
    soup = soup_of(to_html(nb))
    assert soup.html["lang"] == "ko"
    assert [h1.get_text() for h1 in soup.find_all("h1")] == ["제목"]
    assert soup_of(to_html(notebook(new_markdown_cell("# T")))).html["lang"] == "en"


def test_headings_have_no_anchor_links(executed_html):
    assert "anchor-link" not in executed_html
    assert "¶" not in executed_html


def test_code_is_hidden(executed, executed_html):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.source not in executed_html
    assert "In&nbsp;[" not in executed_html and "Out[" not in executed_html
    assert "jp-InputArea-editor" not in executed_html
    assert "Budget share: 15.9%" in executed_html


def test_injected_parameters_hidden(executed_html):
    assert "INJECTED-PARAMETERS-OUTPUT" not in executed_html
    assert 'id="cell-id=injected"' not in executed_html


def test_tagged_cells_and_outputs_removed(executed_html):
    assert "REMOVE-CELL-OUTPUT" not in executed_html
    assert "REMOVE-OUTPUT-OUTPUT" not in executed_html
    single = new_code_cell(
        "x",
        outputs=[
            new_output("stream", name="stdout", text="kept\n"),
            new_output(
                "display_data", data={"text/plain": "dropped"}, metadata={"tags": ["remove-output"]}
            ),
        ],
    )
    html = to_html(notebook(single))
    assert "kept" in html and "dropped" not in html


def test_stderr_is_hidden(executed_html):
    assert "STDERR-OUTPUT" not in executed_html


def test_errors_stay_visible():
    # papermill marks a failed run with a banner cell and keeps the traceback.
    banner = new_markdown_cell(
        '<span style="color:red">An Exception was encountered</span>',
        metadata={"tags": ["papermill-error-cell-tag"]},
    )
    failed = new_code_cell(
        "1/0",
        outputs=[
            new_output(
                "error",
                ename="ZeroDivisionError",
                evalue="division by zero",
                traceback=["ZeroDivisionError: division by zero"],
            )
        ],
    )
    html = to_html(notebook(banner, failed))
    assert "An Exception was encountered" in html
    assert "ZeroDivisionError: division by zero" in html


# --- HTML: metadata ---------------------------------------------------------------


def test_head_carries_brief_metadata(executed_html):
    head = soup_of(executed_html).head
    meta = {tag["name"]: tag["content"] for tag in head.find_all("meta", attrs={"name": True})}
    assert head.title.get_text() == "North Korea holds defence spending at 15.9% of its budget"
    assert meta["author"] == "Peninsula Briefs"
    assert meta["description"] == "Test brief on DPRK defence spending."
    assert meta["keywords"] == "DPRK, defence budget"
    assert meta["generator"] == f"peninsula-briefs {__version__}"
    assert meta["tlp"] == "TLP:CLEAR"
    assert meta["edition"] == "99-test-brief/2025-11-15"
    assert "dcterms.created" not in meta  # no "generated": reproducible output


def test_generated_becomes_dcterms_created():
    nb = notebook(new_markdown_cell("# T"), generated="2025-11-15T06:00:00+00:00", title="Given")
    head = soup_of(to_html(nb)).head
    assert head.find("meta", attrs={"name": "dcterms.created"})["content"] == (
        "2025-11-15T06:00:00+00:00"
    )
    assert head.title.get_text() == "Given"


def test_title_falls_back_to_notebook_name():
    html, _ = BriefHTMLExporter().from_notebook_node(
        notebook(new_markdown_cell("## Not a title")), resources={"metadata": {"name": "07-polls"}}
    )
    assert soup_of(html).title.get_text() == "07-polls"


def test_a_notebook_without_a_marking_is_refused_never_defaulted_to_clear():
    with pytest.raises(ValueError, match="no readable TLP marking"):
        to_html(notebook(new_markdown_cell("# T"), marking=None))


def test_marking_recorded_by_papermill_is_printed():
    nb = notebook(new_markdown_cell("# T"), marking=None)
    nb.metadata["papermill"] = {"parameters": {"as_of": "2025-01-31", "marking": "TLP:AMBER"}}
    soup = soup_of(to_html(nb))
    assert soup.find("p", class_="marking").get_text(strip=True) == "TLP:AMBER"
    assert "TLP:CLEAR" not in str(soup)


def test_marking_said_by_the_kernel_header_is_printed():
    header = new_code_cell("brief.header(...)", outputs=[new_output(
        "display_data", data={"text/html": "<h1>Title</h1>", "text/plain": "<HTML>"},
        metadata={"briefing": {"title": "Title", "description": "Bottom line.", "marking": "TLP:RED"}})])
    soup = soup_of(to_html(notebook(header, marking=None)))
    assert soup.find("p", class_="marking").get_text(strip=True) == "TLP:RED"
    assert soup.title.get_text() == "Title"
    assert soup.find("meta", attrs={"name": "description"})["content"] == "Bottom line."


def test_conflicting_markings_are_refused():
    nb = notebook(new_markdown_cell("# T"), marking="TLP:CLEAR")
    nb.metadata["papermill"] = {"parameters": {"marking": "TLP:AMBER"}}
    with pytest.raises(ValueError, match="conflicting TLP markings"):
        to_html(nb)


def test_invalid_marking_rejected():
    with pytest.raises(ValueError, match=r"TLP:WHITE"):
        to_html(notebook(new_markdown_cell("# T"), marking="TLP:WHITE"))
    # TLP 2.0 (FIRST, 2022) has exactly these five labels; TLP:WHITE was 1.0's name for CLEAR.
    assert sorted(MARKINGS) == ["TLP:AMBER", "TLP:AMBER+STRICT", "TLP:CLEAR", "TLP:GREEN", "TLP:RED"]
    for old_or_wrong in ("TLP:AMBER-STRICT", "tlp:clear", "TLP:CLEAR ", ""):
        with pytest.raises(ValueError):
            to_html(notebook(new_markdown_cell("# T"), marking=old_or_wrong))


@pytest.mark.parametrize(
    ("briefing", "message"),
    [
        ({"as_of": "15/11/2025"}, "as_of"),
        ({"since": "2025-12-01", "as_of": "2025-11-15"}, "after"),
        ({"generated": "2025-11-15T06:00:00"}, "UTC offset"),
        ({"language": "english"}, "ISO 639-1"),
        ({"keywords": "DPRK"}, "keywords"),
        ({"title": 7}, "title"),
    ],
)
def test_malformed_metadata_rejected(briefing, message):
    with pytest.raises(ValueError, match=message):
        to_html(notebook(new_markdown_cell("# T"), **briefing))


# --- HTML: images and escaping ---------------------------------------------------


def test_alt_text_from_output_metadata(executed_html):
    alts = [img["alt"] for img in soup_of(executed_html).find_all("img")]
    assert alts == [
        "Line chart: declared defence spending share rises from 15.7% in 2021 to 15.9% in 2024."
    ]
    nb = notebook(new_code_cell("c", outputs=[png_output({"alt": "Bar chart of flows."})]))
    assert soup_of(to_html(nb)).img["alt"] == "Bar chart of flows."


def test_alt_text_falls_back_to_text_plain():
    nb = notebook(new_code_cell("c", outputs=[png_output(text="Chart: launches by year")]))
    assert soup_of(to_html(nb)).img["alt"] == "Chart: launches by year"


def test_no_placeholder_alt():
    nb = notebook(
        new_markdown_cell(
            f'![](data:image/png;base64,{PIXEL})\n\n<img src="data:image/png;base64,{PIXEL}">'
        ),
        new_markdown_cell(f'<img src="data:image/png;base64,{PIXEL}" title="Map of the DMZ">'),
        new_code_cell("c", outputs=[png_output(text="")]),
        new_code_cell(
            "h",
            outputs=[
                new_output(
                    "display_data", data={"text/html": f'<img src="data:image/png;base64,{PIXEL}">'}
                )
            ],
        ),
    )
    html = to_html(nb)
    images = soup_of(html).find_all("img")
    assert len(images) == 5
    assert all(img.has_attr("alt") for img in images)
    assert "Map of the DMZ" in [img["alt"] for img in images]
    assert PLACEHOLDER not in html


def test_data_text_is_escaped():
    payload = "<script>alert(1)</script>"
    frame = pd.DataFrame({"claim": [payload], "best": [1]})
    nb = notebook(
        # a raw <img> without alt sends the body through the alt-fixing parser too
        new_markdown_cell(f'# T\n\n<img src="data:image/png;base64,{PIXEL}">'),
        new_code_cell(
            "frame",
            outputs=[
                new_output(
                    "execute_result",
                    data={"text/html": frame._repr_html_(), "text/plain": repr(frame)},
                    execution_count=1,
                )
            ],
        ),
        new_code_cell("print", outputs=[new_output("stream", name="stdout", text=payload)]),
    )
    html = to_html(nb)
    soup = soup_of(html)
    assert payload not in html
    assert soup.find_all("script") == []
    assert soup.find("table", class_="dataframe").find("td").get_text() == payload
    assert soup.find("pre").get_text() == payload


# --- PDF ---------------------------------------------------------------------------


def test_pdf_has_marking_and_page_numbers(long_pdf):
    pages = [page.extract_text() for page in long_pdf.pages]
    count = len(pages)
    assert count > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in text
        assert text.count("TLP:CLEAR") >= 2  # header (or body line on page 1) and footer
        assert "Edition 2025-11-15" in text
    # From page 2 on, the running header carries the brief's title.
    assert "North Korea holds defence spending" in pages[1]


def test_pdf_metadata_from_head(long_pdf):
    info = long_pdf.metadata
    assert info["/Title"] == "North Korea holds defence spending at 15.9% of its budget"
    assert info["/Author"] == "Peninsula Briefs"
    assert info["/Subject"] == "Test brief on DPRK defence spending."
    assert info["/Keywords"] == "DPRK, defence budget"
    assert info["/Creator"] == f"peninsula-briefs {__version__}"
    assert info["/CreationDate"].startswith("D:20251115060000")
    assert info["/tlp"] == "TLP:CLEAR"
    assert info["/edition"] == "99-test-brief/2025-11-15"
    assert long_pdf.trailer["/Root"]["/Lang"] == "en"


def test_pdf_outline_from_headings(long_pdf):
    outline = long_pdf.outline
    assert outline
    assert outline[0].title == "North Korea holds defence spending at 15.9% of its budget"
    nested = [item.title for item in outline[1] if not isinstance(item, list)]
    assert "Section 1" in nested and "Sources" in nested


def test_pdf_is_tagged_for_accessibility(long_pdf):
    root = long_pdf.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root


def test_pdf_engine_never_fetches(monkeypatch):
    remote, local = "http://127.0.0.1:9/x.png", "file:///etc/passwd"
    nb = notebook(
        new_markdown_cell(
            f'# Fetch test\n\n<img src="{remote}" alt="remote">\n\n'
            f'<img src="{local}" alt="local">\n\n'
            '<div style="background: url(http://127.0.0.1:9/bg.png)">styled</div>'
        )
    )
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connections.append(address))
    fetcher = pdf.data_only_fetcher()
    asked, refused = [], []
    real_fetch = fetcher.fetch

    def spy(url, headers=None):
        asked.append(url)
        try:
            return real_fetch(url, headers)
        except ValueError:
            refused.append(url)
            raise

    monkeypatch.setattr(fetcher, "fetch", spy)
    document, _ = BriefPDFExporter().from_notebook_node(nb)

    assert {remote, local, "http://127.0.0.1:9/bg.png"} <= set(refused)
    assert set(asked) == set(refused)
    assert connections == []
    reader = PdfReader(io.BytesIO(document))
    text = reader.pages[0].extract_text()
    assert "Fetch test" in text and "root:" not in text


def test_missing_korean_font_warns_once(monkeypatch, caplog):
    monkeypatch.setattr(pdf, "korean_font_installed", lambda: False)
    pdf._warn_no_korean_font.cache_clear()
    html = to_html(notebook(new_markdown_cell('# T\n\n<span lang="ko">국방예산</span>')))
    with caplog.at_level(logging.WARNING, logger="briefing.pdf"):
        first = pdf.html_to_pdf(html)
        pdf.html_to_pdf(html)
    warnings = [r for r in caplog.records if r.name == "briefing.pdf"]
    assert len(warnings) == 1 and "Korean" in warnings[0].getMessage()
    assert first.startswith(b"%PDF")


# --- Registration -----------------------------------------------------------------------


def test_entry_points_registered():
    assert get_exporter("brief") is BriefHTMLExporter
    assert get_exporter("briefpdf") is BriefPDFExporter


def test_nbconvert_cli_writes_brief_and_pdf(tmp_path):
    for target in ("brief", "briefpdf"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nbconvert",
                "--to",
                target,
                str(EXECUTED),
                "--output-dir",
                str(tmp_path),
            ],
            check=True,
            capture_output=True,
        )
    html = (tmp_path / "executed_brief.html").read_text(encoding="utf-8")
    assert offline_violations(html) == [] and "TLP:CLEAR" in html
    assert (tmp_path / "executed_brief.pdf").read_bytes().startswith(b"%PDF-")


# --- offline_violations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "url"),
    [
        ('<script src="https://cdn.example/r.js"></script>', "https://cdn.example/r.js"),
        ('<img src="chart.png">', "chart.png"),
        (
            '<img srcset="data:image/png;base64,AA== 1x, https://x.example/b.png 2x">',
            "https://x.example/b.png",
        ),
        (
            '<picture><source srcset="https://x.example/a.webp"></picture>',
            "https://x.example/a.webp",
        ),
        ('<link rel="stylesheet" href="https://x.example/s.css">', "https://x.example/s.css"),
        ('<link rel="icon" href="/favicon.ico">', "/favicon.ico"),
        (
            "<style>body { background: url(https://x.example/bg.png) }</style>",
            "https://x.example/bg.png",
        ),
        (
            "<style>@font-face { src: url('https://x.example/f.woff2') }</style>",
            "https://x.example/f.woff2",
        ),
        ('<style>@import "https://x.example/i.css";</style>', "https://x.example/i.css"),
        ("<style>@import url(https://x.example/j.css);</style>", "https://x.example/j.css"),
        ("<style>@media print { p { background: url(p.png) } }</style>", "p.png"),
        (
            '<div style="background-image: url(&quot;https://x.example/d.png&quot;)"></div>',
            "https://x.example/d.png",
        ),
        (
            '<meta http-equiv="refresh" content="0; url=https://x.example/next">',
            "https://x.example/next",
        ),
        ('<object data="https://x.example/o.svg"></object>', "https://x.example/o.svg"),
        ('<iframe src="https://x.example/frame"></iframe>', "https://x.example/frame"),
        ('<embed src="https://x.example/e.swf">', "https://x.example/e.swf"),
        ('<form action="https://x.example/post"></form>', "https://x.example/post"),
        ('<video poster="https://x.example/p.jpg"></video>', "https://x.example/p.jpg"),
        ('<svg><image href="https://x.example/i.png"/></svg>', "https://x.example/i.png"),
        ('<svg><use xlink:href="https://x.example/s.svg#a"/></svg>', "https://x.example/s.svg#a"),
    ],
)
def test_offline_violations_detects_each_kind(html, url):
    assert offline_violations(html) == [url]


@pytest.mark.parametrize(
    "html",
    [
        '<img src="data:image/png;base64,AA==">',
        '<img srcset="data:image/png;base64,AA==, data:image/png;base64,BB== 2x">',
        '<a href="https://kcnawatch.org/">KCNA</a>',
        '<a href="#sources">Sources</a><link href="#x">',
        '<!-- <script src="https://cdn.example/r.js"></script> -->',
        "<style>/* url(https://x.example/c.png) */ p { color: red }</style>",
        "<style>@namespace svg url(http://www.w3.org/2000/svg);</style>",
        "<p>Seen at https://x.example/in-text</p>",
    ],
)
def test_offline_violations_ignores_non_fetches(html):
    assert offline_violations(html) == []


def test_outbound_links_lists_clickable_links():
    html = '<a href="https://kcnawatch.org/">KCNA</a> <a href="#s">S</a> <img src="data:,">'
    assert outbound_links(html) == ["https://kcnawatch.org/"]
