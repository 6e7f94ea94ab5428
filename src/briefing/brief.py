"""Building blocks every brief shares: header, key judgments, tables, sources.

Each function returns an object Jupyter displays as HTML (and nbconvert
exports), so a notebook cell stays one call.  The HTML comes from the macros
in ``templates/blocks.html.j2``, rendered with autoescaping: text from the
data is escaped by construction.  The sources a brief shows are recorded on
its :class:`~briefing.edition.Window` as it goes, so the closing list
(:func:`sources_cited`) is built from the rows actually shown.

The header carries the brief's title and bottom line as structured output
metadata (``{"briefing": {"title", "description"}}``): the pipeline and the
exporters read them there, never from the HTML.

Estimative language follows ICD 203: one row of the likelihood scale
throughout, and the confidence in its own sentence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jinja2
import pandas as pd
from IPython.display import HTML

from . import data
from .edition import METADATA_KEY, Window

# ICD 203, row 1 of the likelihood scale, with its probability bands.
LIKELIHOOD = (("almost no chance", "1–5%"), ("very unlikely", "5–20%"), ("unlikely", "20–45%"),
              ("roughly even chance", "45–55%"), ("likely", "55–80%"), ("very likely", "80–95%"),
              ("almost certain", "95–99%"))
CONFIDENCE = ("low", "moderate", "high")
TRENDS = ("deteriorated", "improved", "unchanged")
NO_NEW_REPORTING = "no new reporting"  # the flag of a window the record does not reach
STATE_MEDIA = ("state_media_dprk", "state_media_russia", "state_media_other")
KEEP_ROWS = 12  # a table this short is kept on one page with its caption and source line ...
KEEP_CHARS = 1800  # ... if its text is short too (about a third of a page); a longer one flows, header repeated


@functools.cache
def _blocks():
    env = jinja2.Environment(loader=jinja2.PackageLoader("briefing", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    return env.get_template("blocks.html.j2").module


def _html(block: str, *args, metadata: dict | None = None) -> HTML:
    return HTML(str(getattr(_blocks(), block)(*args)), metadata=metadata)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def fmt_date(value, precision: str = "day") -> str:
    """'18 Oct 2024' (or 'Oct 2024' / '2024' for coarser precision)."""
    if value is None or pd.isna(value):
        return "–"
    stamp = pd.Timestamp(value)
    pattern = {"month": "%b %Y", "quarter": "%b %Y", "year": "%Y"}.get(precision, "%-d %b %Y")
    return stamp.strftime(pattern)


def sentence_case(text: str) -> str:
    """First letter upper case, the rest as written (proper nouns keep their case); never ``str.capitalize``."""
    return text[:1].upper() + text[1:]


# Words a code spells in lower case that a reader must see as proper nouns or acronyms.
PROPER_NOUNS = {w.lower(): w for w in (
    "US", "ROK", "DPRK", "UN", "EU", "NATO", "NIS", "KINU", "MND", "UNSC", "Korea", "Korean", "Koreans", "Russia",
    "Russian", "Russians", "Japan", "Japanese", "China", "Chinese", "Ukraine", "Ukrainian", "America", "American",
    "Pyongyang", "Seoul", "Moscow", "Tokyo", "Washington", "Beijing", "Kyiv", "Kursk", "Trump", "Yoon", "Lee", "Putin",
    "Kim", "North", "South")}
_NORTH_SOUTH = re.compile(r"(north|south)(?= kore)", re.IGNORECASE)


def proper_case(text: str) -> str:
    """'north korean artillery shells sent to russia' -> 'north Korean artillery shells sent to Russia'.

    Only whole words on :data:`PROPER_NOUNS` change ('North'/'South' only before 'Korea…'), so a
    word that is also a common word ('us', 'lee') is left alone unless the code spells it in a
    proper-noun sense: pass codes, not prose.
    """
    words = re.split(r"(\W+)", text)
    out = [PROPER_NOUNS.get(w.lower(), w) if w.lower() not in ("north", "south") and w.islower() else w
           for w in words]
    return _NORTH_SOUTH.sub(lambda m: m.group(1).capitalize(), "".join(out))


def label(value: str, column: str | None = None) -> str:
    """Reader-facing form of a coded value: its label in the data package, else the code in words.

    A code in words keeps its proper nouns' case ('us_alliance_necessary' -> 'US alliance necessary').
    """
    if column and (found := data.labels(column).get(value)):
        return found
    return proper_case(value.replace("_", " ")) if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", value) else value


_CURATION = ("reported_on", "research", "earliest possible", "first day of the", "source date")


def reader_note(note) -> str:
    """A data note without the curators' bookkeeping (how ``reported_on`` was set, what the research saw)."""
    if _missing(note):
        return "–"
    parts = [p.rstrip(";") for p in re.split(r"(?<=[.;])\s+", str(note))]
    kept = [p for p in parts if not any(word in p.lower() for word in _CURATION)]
    return " ".join(kept).strip().rstrip(";") or "–"


def fmt_num(value, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{digits}f}"


def plural(count: int, noun: str) -> str:
    """'1 estimate', '2 estimates'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def paragraph(text: str, class_: str = "") -> HTML:
    """One paragraph of generated prose (escaped)."""
    return _html("paragraph", text, class_)


# -- judgments ---------------------------------------------------------------

@dataclass(frozen=True)
class Judgment:
    """A key judgment: one likelihood term in ``text``, confidence stated apart.

    ``basis`` says why the confidence is what it is (sources, corroboration,
    gaps); it is printed as its own sentence after the judgment.
    """

    text: str
    confidence: str
    basis: str
    id: str = ""  # the register version shown (see briefing.register); empty for an ad-hoc judgment
    authored: str = ""
    horizon: str = ""
    reconstructed_on: str | None = None  # set when the version was written later for a past date
    lineage: str = ""
    reason: str = ""
    brief: str = ""

    def __post_init__(self):
        terms = likelihood_terms(self.text)
        if len(terms) != 1:
            raise ValueError(f"a key judgment needs exactly one ICD 203 likelihood term, found {terms}: {self.text!r}")
        if self.confidence not in CONFIDENCE:
            raise ValueError(f"confidence must be one of {CONFIDENCE}, not {self.confidence!r}")
        if "confidence" in self.text.lower():
            raise ValueError("state the confidence in its own sentence, not in the judgment")

    @property
    def likelihood(self) -> str:
        return likelihood_terms(self.text)[0]


def likelihood_terms(text: str) -> list[str]:
    """ICD 203 row-1 terms (:data:`LIKELIHOOD`) in ``text``, longest first.

    Longest first, so that a two-word term is not also counted as the
    one-word term it ends with; the adverbial form of a term counts too.
    """
    found, rest = [], text.lower()
    for term, _ in sorted(LIKELIHOOD, key=lambda t: -len(t[0])):
        pattern = rf"\b{re.escape(term)}(?:ly)?\b"  # the adverb too: almost certainly
        found += [term] * len(re.findall(pattern, rest))
        rest = re.sub(pattern, " ", rest)
    return found


def key_judgments(judgments: Iterable[Judgment], as_of=None, metadata: dict | None = None) -> HTML:
    """The Key judgments box, before any background: 3–5 bullets.

    Fewer than three are shown with a note saying too little had been
    reported by ``as_of`` (an early edition); more than five is an error in
    the theme, never silently cut.
    """
    items = list(judgments)
    if len(items) > 5:
        raise ValueError(f"a brief carries 3–5 key judgments, not {len(items)}")
    note = ("" if len(items) >= 3 else
            f"Too little had been reported by {fmt_date(as_of)} to support three key judgments on this theme; "
            "the evidence below is all the dataset held on that date.")
    dated = [{"text": j.text, "confidence": j.confidence, "basis": j.basis, "written": _written(j, as_of)}
             for j in items]
    return _html("key_judgments", dated, note, metadata=metadata)


def _written(j: Judgment, as_of=None) -> str:
    """When the judgment was written, whether it was reconstructed later for this date, and its check date."""
    if not j.authored:
        return ""
    check = f"; to be checked by {fmt_date(j.horizon)}" if j.horizon else ""
    if j.horizon and as_of and str(as_of) > j.horizon:
        check = f"; its check date ({fmt_date(j.horizon)}) has passed: due for review"
    if j.reconstructed_on:
        return (f"Reconstructed on {fmt_date(j.reconstructed_on)} for {fmt_date(j.authored)}, not written at the "
                f"time{check}.")
    return f"Written {fmt_date(j.authored)}{check}."


def estimative_language() -> HTML:
    """The box that explains the likelihood scale and the confidence levels."""
    return _html("estimative", LIKELIHOOD)


# -- header, tables, source lines --------------------------------------------

def header(ed: Window, title: str, standfirst: str) -> HTML:
    """The brief's only ``h1``: a title that states the judgment, then the bottom line.

    Title, bottom line and the window the kernel ran with (dates, marking)
    also travel as output metadata, where the pipeline and the exporters read
    them: whichever way the notebook ran, the brief knows its marking.
    """
    end = ed.record_end
    said = {"title": title, "description": standfirst, "as_of": ed.as_of, "since": ed.since,
            "previous_edition": ed.previous_edition, "marking": ed.marking, "record_end": end}
    return _html("header", title, standfirst, freshness(ed), metadata={METADATA_KEY: said})


def freshness(ed: Window) -> dict:
    """Where the record ends, and a plain warning when the edition is dated well after it."""
    end = ed.record_end
    if end is None:
        return {"line": f"The record holds nothing reported by {fmt_date(ed.as_of)}.", "stale": ""}
    stale = ""
    if days := ed.stale_days:
        stale = (f"This edition is dated {fmt_date(ed.as_of)}, but its record ends {fmt_date(end)}, "
                 f"{days} days earlier: nothing reported since then is in it. Read it as the picture on "
                 f"{fmt_date(end)}, not as current.")
    return {"line": f"The record ends {fmt_date(end)}.", "stale": stale}


def no_data(as_of, what: str = "reporting") -> HTML:
    return paragraph(f"No {what} in the dataset had been published by {fmt_date(as_of)}.", "no-data")


def source_line(ed: Window, frame_or_ids, label: str = "Source") -> str:
    """'Sources: KBS World (ROK NIS), 18 Oct 2024; …' for the rows shown; records them on ``ed``."""
    parts = source_parts(ed, frame_or_ids)
    if not parts:
        return ""
    return f"{label}{'s' if len(parts) > 1 else ''}: " + "; ".join(text for text, _ in parts) + "."


def source_parts(ed: Window, frame_or_ids) -> list[tuple[str, list[str]]]:
    """The source line's entries, each with the ids it stands for (for links to the sources list).

    Two items of one outlet on one day read as one entry, linked to the first.
    """
    if isinstance(frame_or_ids, pd.DataFrame):
        ids = [i for cell in frame_or_ids.get("source_ids", []) for i in data.split_ids(cell)]
    else:
        ids = list(frame_or_ids)
    ids = ed.cite(ids)
    table = data.sources().set_index("source_id")
    parts: dict[str, list[str]] = {}
    for sid in ids:
        row = table.loc[sid]
        who = row["publisher"] if pd.isna(row["original_claimant"]) or row["original_claimant"] == row["publisher"] \
            else f"{row['publisher']} ({row['original_claimant']})"
        when = "" if pd.isna(row["published_date"]) else f", {fmt_date(row['published_date'])}"
        flag = " [state media]" if row["source_type"] in STATE_MEDIA else ""
        parts.setdefault(f"{who}{when}{flag}", []).append(sid)
    return list(parts.items())


def _linked_line(ed: Window, frame_or_ids, label: str = "Source") -> dict | None:
    """What the ``source_line`` macro needs: the label and each entry with the anchor of its first source."""
    parts = source_parts(ed, frame_or_ids)
    if not parts:
        return None
    return {"label": f"{label}{'s' if len(parts) > 1 else ''}",
            "parts": [{"text": text, "href": f"#src-{ids[0]}"} for text, ids in parts]}


def _cell(frame: pd.DataFrame, row, col: str, formats: dict) -> str:
    value = row[col]
    if col in formats:
        return formats[col](row)
    if col == "note":
        return reader_note(value)
    if pd.api.types.is_datetime64_any_dtype(frame[col]):
        return fmt_date(value, row.get("date_precision", "day") if col == "date_start" else "day")
    if pd.api.types.is_float_dtype(frame[col]):
        return fmt_num(value, 0 if pd.isna(value) or float(value).is_integer() else 2)
    return "–" if _missing(value) else sentence_case(label(str(value), col)) if data.labels(col) else label(str(value))


def table(ed: Window, frame: pd.DataFrame, columns: dict[str, str], caption: str, *, sources: bool = True,
          formats: dict | None = None) -> HTML:
    """An accessible table (caption, column headers) of ``columns`` with a source line.

    ``formats`` maps a column to a function turning a cell into text; dates
    and numbers get house formats, coded values their labels, by default.
    """
    formats = formats or {}
    rows = [[_cell(frame, row, col, formats) for col in columns] for _, row in frame.iterrows()]
    line = _linked_line(ed, frame) if sources and "source_ids" in frame else None
    kinds = [_kind(frame, col) if col not in formats else "" for col in columns]
    keep = len(rows) <= KEEP_ROWS and sum(len(cell) for row in rows for cell in row) <= KEEP_CHARS
    return _html("table", caption, list(columns.values()), rows, line, keep, kinds)


def _kind(frame: pd.DataFrame, col: str) -> str:
    """CSS class of a column: dates and numbers stay on one line, text wraps."""
    if col not in frame:
        return ""
    if pd.api.types.is_datetime64_any_dtype(frame[col]):
        return "date"
    return "num" if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]) else ""


def chart(ed: Window, chart_obj) -> ChartBlock:
    """Display a :class:`briefing.charts.Chart` with its source line and its data as CSV under it."""
    return ChartBlock(chart_obj, _linked_line(ed, chart_obj.source_ids))


def chart_csv(chart_obj) -> str:
    """The rows behind a chart as CSV text (what the reader downloads from the HTML brief)."""
    return chart_obj.data.to_csv(index=False, date_format="%Y-%m-%d")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"


class ChartBlock:
    """A chart (PNG with alt text) followed by the linked source line and a CSV of the rows plotted.

    The CSV travels inside the page as a ``data:`` link, so the brief still
    fetches nothing; the PDF leaves it out (print.css).
    """

    def __init__(self, chart_obj, line: dict | None):
        self.chart, self.line = chart_obj, line

    def _ipython_display_(self):
        import base64

        from IPython.display import display

        display(self.chart)
        csv = base64.b64encode(chart_csv(self.chart).encode("utf-8")).decode("ascii")
        display(_html("chart_caption", self.line, f"data:text/csv;base64,{csv}", f"{_slug(self.chart.title)}.csv",
                      len(self.chart.data)))


# -- change since the last edition, sources ------------------------------------

def new_since(frame: pd.DataFrame, previous, as_of) -> pd.DataFrame:
    """Rows that entered the record after ``previous`` and by ``as_of``."""
    start, end = pd.Timestamp(previous), pd.Timestamp(as_of)
    return frame[(frame["reported_on"] > start) & (frame["reported_on"] <= end)]


def trend(events: pd.DataFrame, previous, as_of) -> str:
    """Trend flag from the events new since ``previous``: deteriorated, improved or unchanged.

    Net of the analysts' coding of each event's effect on the ROK's security
    (``security_effect``): more worsening than easing events is
    'deteriorated'.
    """
    new = new_since(events, previous, as_of)
    net = int((new["security_effect"] == "worsens").sum()) - int((new["security_effect"] == "eases").sum())
    return "deteriorated" if net > 0 else "improved" if net < 0 else "unchanged"


def _flags(ed: Window, themes: Iterable[str]) -> pd.DataFrame:
    events, previous, as_of = ed.known(data.events()), ed.previous_edition, ed.as_of
    end = ed.record_end
    blind = end is None or end <= previous  # nothing could have entered the record in this window
    rows = []
    for theme in themes:
        subset = events[events["theme"] == theme]
        new = new_since(subset, previous, as_of)
        rows.append({"theme": label(theme, "theme"), "new": len(new),
                     "worsens": int((new["security_effect"] == "worsens").sum()),
                     "eases": int((new["security_effect"] == "eases").sum()),
                     "trend": NO_NEW_REPORTING if blind else trend(subset, previous, as_of)})
    return pd.DataFrame(rows, columns=["theme", "new", "worsens", "eases", "trend"])


def count_phrase(count: int, total: int, noun: str, verb: str) -> str:
    """'no theme deteriorated', '1 of 6 themes deteriorated', 'both themes …', 'all 6 themes deteriorated'."""
    if count == 0:
        return f"no {noun} {verb}"
    if count == total:
        return {1: f"the only {noun}", 2: f"both {noun}s"}.get(total, f"all {total} {noun}s") + f" {verb}"
    return f"{count} of {total} {noun}s {verb}"


def changes(ed: Window, themes: Iterable[str]) -> HTML:
    """'Change since the last edition': a trend flag per theme (the events themselves: :func:`new_events`)."""
    themes = list(themes)
    previous, as_of, end = ed.previous_edition, ed.as_of, ed.record_end
    blind = end is None or end <= previous
    flags = _flags(ed, themes)
    intro = (f"Between the previous edition ({fmt_date(previous)}) and this one ({fmt_date(as_of)}), "
             f"{plural(int(flags['new'].sum()), 'event') if flags['new'].sum() else 'no event'} entered the record"
             f" ({count_phrase(int((flags['trend'] == 'deteriorated').sum()), len(flags), 'theme', 'deteriorated')}). "
             "Trend flags net the events coded as worsening or easing the ROK's security environment.")
    if blind:
        intro = (f"Between the previous edition ({fmt_date(previous)}) and this one ({fmt_date(as_of)}). " +
                 (f"The record ends {fmt_date(end)}, before the previous edition: nothing new could be assessed, "
                  "so no theme is called unchanged." if end else "The record holds nothing yet."))
    summary = table(ed, flags, {"theme": "Theme", "new": "New events", "worsens": "Worsening", "eases": "Easing",
                                "trend": "Trend"}, "Trend by theme since the last edition", sources=False)
    if blind or not flags["new"].sum():
        intro = paragraph(intro).data
    else:  # one paragraph, pointing at the listing
        intro = str(_blocks().xref(intro + " The events are listed in ", "#evidence", "the evidence annex", "."))
    return HTML("\n".join((intro, summary.data)))


def new_events(ed: Window, themes: Iterable[str]) -> HTML:
    """The events behind the trend flags of :func:`changes`, by date (for the evidence annex)."""
    events, previous, as_of = ed.known(data.events()), ed.previous_edition, ed.as_of
    new = new_since(events[events["theme"].isin(list(themes))], previous, as_of).sort_values(["date_start", "event_id"])
    return table(ed, new, {"date_start": "Date", "summary": "What happened", "security_effect": "Effect"},
                 f"Events reported since the last edition ({fmt_date(previous)})")


def sources_cited(ed: Window) -> HTML:
    """The full list of sources the brief cited, with type and date; state media flagged."""
    table_ = data.sources().set_index("source_id")
    items = []
    for sid in sorted(ed.cited, key=lambda s: (str(table_.loc[s, "publisher"]), s)):
        row = table_.loc[sid]
        url = "" if _missing(row["url"]) else str(row["url"])
        items.append({
            "id": sid, "publisher": row["publisher"], "title": row["title"],
            "when": "date not seen" if pd.isna(row["published_date"]) else fmt_date(row["published_date"]),
            "kind": label(str(row["source_type"])), "state_media": row["source_type"] in STATE_MEDIA,
            "claimant": "" if _missing(row["original_claimant"]) else row["original_claimant"],
            "host": "" if _missing(row["host"]) else row["host"],
            "lang": "" if _missing(row["language"]) or row["language"] == "en" else row["language"],
            "url": url if url.startswith(("https://", "http://")) else ""})
    return _html("sources", items, metadata={METADATA_KEY: {"sources_cited": len(items)}})
