"""Read a brief's PDF the way a typesetter checks proofs: pages, bookmarks, where text sits.

Used by ``tests/test_layout.py`` and ``benchmarks/brief_growth.py``. Positions come
from pypdf's text visitor (PDF user space, origin bottom left); the page
furniture (running header, "Page n of N" footer, TLP boxes) sits in the
margins and is left out by position.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pypdf

MM = 72 / 25.4
TOP_MARGIN, FIRST_TOP_MARGIN, BOTTOM_MARGIN = 24 * MM, 14 * MM, 22 * MM  # print.css @page
NEAR_EMPTY = 0.25  # a page whose text ends in its top quarter is near-empty
ORPHAN_LINES = 2  # a heading needs at least this many lines of text under it on its page


@dataclass
class Bookmark:
    title: str
    level: int
    page: int  # 1-based
    top: float | None  # y of the heading's top, if the destination says


@dataclass
class Page:
    number: int  # 1-based
    lines: list[tuple[float, str]] = field(default_factory=list)  # (baseline y, text), top to bottom
    height: float = 842.0
    has_image: bool = False

    @property
    def content_top(self) -> float:
        return self.height - (FIRST_TOP_MARGIN if self.number == 1 else TOP_MARGIN)

    @property
    def fill(self) -> float:
        """How far down the text area the last line of text reaches (0 empty, 1 full)."""
        if not self.lines:
            return 0.0
        lowest = min(y for y, _ in self.lines)
        return (self.content_top - lowest) / (self.content_top - BOTTOM_MARGIN)


@dataclass
class Layout:
    pages: list[Page]
    bookmarks: list[Bookmark]

    def annexes(self) -> list[Bookmark]:
        return [b for b in self.bookmarks if re.match(r"Annex [A-Z] — \S", b.title)]

    def annex_start(self) -> int | None:
        """Page of the first annex (the main body is the pages before it)."""
        found = self.annexes()
        return found[0].page if found else None

    def last_pages(self) -> set[int]:
        """Pages allowed to be short: the last of the main body and of each annex."""
        starts = [b.page for b in self.annexes()]
        ends = {p - 1 for p in starts} | {len(self.pages)}
        return {p for p in ends if p >= 1}

    def near_empty(self) -> list[int]:
        """Pages other than a section's last whose text stops in the top quarter."""
        allowed = self.last_pages()
        return [p.number for p in self.pages if p.number not in allowed and p.fill < NEAR_EMPTY]

    def orphan_headings(self) -> list[str]:
        """Headings whose section runs on to the next page with fewer than :data:`ORPHAN_LINES` lines under them."""
        found = []
        for i, b in enumerate(self.bookmarks):
            if b.top is None or b.level == 1:
                continue
            following = self.bookmarks[i + 1] if i + 1 < len(self.bookmarks) else None
            if following is not None and following.page == b.page:
                continue  # the section ends on this page: short, not stranded
            if following is not None and following.page == b.page + 1 and self._opens_page(following):
                continue  # ... or the next section opens the next page
            page = self.pages[b.page - 1]
            heading_lines = [y for y, t in page.lines if y <= b.top + 2 and b.title.startswith(t.strip()[:12])]
            below_from = min(heading_lines) if heading_lines else b.top - 12
            under = [y for y, _ in page.lines if y < below_from - 2]
            if len(under) < ORPHAN_LINES and b.page < len(self.pages):
                found.append(f"{b.title!r} on page {b.page}")
        return found

    def _opens_page(self, b: Bookmark) -> bool:
        page = self.pages[b.page - 1]
        return bool(page.lines) and b.title.startswith(page.lines[0][1].strip()[:20])


def _lines(page) -> list[tuple[float, str]]:
    chunks: dict[int, list[str]] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        y = tm[5] * cm[3] + cm[5] if cm[3] else tm[5]
        chunks.setdefault(round(y), []).append(text.strip())

    page.extract_text(visitor_text=visit)
    return sorted(((float(y), " ".join(parts)) for y, parts in chunks.items()), reverse=True)


def read(pdf: bytes) -> Layout:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = []
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)
        p = Page(number, height=height)
        top = p.content_top
        p.lines = [(y, t) for y, t in _lines(page) if BOTTOM_MARGIN - 2 < y < top + 2]
        p.has_image = bool(page.images)
        pages.append(p)
    bookmarks: list[Bookmark] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            top = item.get("/Top")
            bookmarks.append(Bookmark(str(item.title), level, reader.get_destination_page_number(item) + 1,
                                      None if top is None else float(top)))

    walk(reader.outline, 1)
    return Layout(pages, bookmarks)
