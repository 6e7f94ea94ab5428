"""Offline check for tests: every URL a browser would fetch to show a page.

Test-only: the briefs are offline by construction (no CDN blocks, a
Content-Security-Policy without ``script-src``); these helpers prove it after
the fact on rendered pages.
"""

from __future__ import annotations

from html.parser import HTMLParser

import tinycss2

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
# The one file a published brief loads: its brief's status stylesheet, beside the editions, rewritten by
# the reader portal (briefing.portal) at each publish. A local file, never the network.
PORTAL_FILES = {"../editions.css"}


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
    return [url for url in _scan(html).fetched
            if url and not url.lower().startswith(_NOT_FETCHED) and url not in PORTAL_FILES]


def outbound_links(html: str) -> list[str]:
    """URLs of ``<a>``/``<area>`` links, which load only when clicked.

    Allowed in a brief (source lists link to their sources), but worth
    listing: a reader who follows one leaves the offline copy.
    """
    return [url for url in _scan(html).links if url and not url.startswith("#")]
