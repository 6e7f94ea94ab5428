"""Building blocks every brief shares: header, key judgments, tables, sources.

Each function returns an object Jupyter displays as HTML (and nbconvert
exports), so a notebook cell stays one call.  All text from the data is
escaped here, once.  The sources a brief shows are tracked as it goes, so the
closing list (:func:`sources_cited`) is built from the rows actually shown.

Estimative language follows ICD 203: one row of the likelihood scale
throughout, and the confidence in its own sentence.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from IPython.display import HTML

from . import data

# ICD 203, row 1 of the likelihood scale, with its probability bands.
LIKELIHOOD = (("almost no chance", "1–5%"), ("very unlikely", "5–20%"), ("unlikely", "20–45%"),
              ("roughly even chance", "45–55%"), ("likely", "55–80%"), ("very likely", "80–95%"),
              ("almost certain", "95–99%"))
CONFIDENCE = ("low", "moderate", "high")
TRENDS = ("deteriorated", "improved", "unchanged")
STATE_MEDIA = ("state_media_dprk", "state_media_russia", "state_media_other")
KEEP_ROWS = 12  # a table this short is kept on one page with its caption and source line

_cited: dict[str, None] = {}


def reset() -> None:
    """Forget the sources cited so far (one kernel renders one brief)."""
    _cited.clear()


def cite(frame_or_ids) -> list[str]:
    """Record the sources of ``frame_or_ids`` (a frame with ``source_ids`` or ids)."""
    if isinstance(frame_or_ids, pd.DataFrame):
        ids = [i for cell in frame_or_ids.get("source_ids", []) for i in data.split_ids(cell)]
    else:
        ids = list(frame_or_ids)
    for sid in ids:
        _cited.setdefault(sid, None)
    return list(dict.fromkeys(ids))


def esc(value) -> str:
    return html.escape("" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))
                       else str(value))


def fmt_date(value, precision: str = "day") -> str:
    """'18 Oct 2024' (or 'Oct 2024' / '2024' for coarser precision)."""
    if value is None or pd.isna(value):
        return "–"
    stamp = pd.Timestamp(value)
    pattern = {"month": "%b %Y", "quarter": "%b %Y", "year": "%Y"}.get(precision, "%-d %b %Y")
    return stamp.strftime(pattern)


LABELS = {"confirmed_multi": "confirmed (several sources)", "confirmed_single": "confirmed (one source)"}


def label(value: str) -> str:
    """Readable form of a coded value ('briefing_to_lawmakers' -> 'briefing to lawmakers')."""
    if value in LABELS:
        return LABELS[value]
    return value.replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", value) else value


_CURATION = ("reported_on", "research", "earliest possible", "first day of the", "source date")


def reader_note(note) -> str:
    """A data note without the curators' bookkeeping (how ``reported_on`` was set, what the research saw)."""
    if note is None or pd.isna(note):
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
    """ICD 203 row-1 terms in ``text``, longest first so 'very likely' is not also 'likely'.

    The adverbial form counts too ('almost certainly').
    """
    found, rest = [], text.lower()
    for term, _ in sorted(LIKELIHOOD, key=lambda t: -len(t[0])):
        pattern = rf"\b{re.escape(term)}(?:ly)?\b"  # the adverb too: almost certainly
        found += [term] * len(re.findall(pattern, rest))
        rest = re.sub(pattern, " ", rest)
    return found


def key_judgments(judgments: Iterable[Judgment], as_of=None) -> HTML:
    """The Key judgments box, before any background: 3–5 bullets.

    Fewer than three are shown with a note saying too little had been
    reported by ``as_of`` (an early edition); more than five is an error in
    the theme, never silently cut.
    """
    items = list(judgments)
    if len(items) > 5:
        raise ValueError(f"a brief carries 3–5 key judgments, not {len(items)}")
    lis = "".join(f"<li><p>{esc(j.text)}</p><p class=\"confidence\">We have {j.confidence} confidence in this "
                  f"judgment. {esc(j.basis)}</p></li>" for j in items)
    note = ("" if len(items) >= 3 else
            f"<p>Too little had been reported by {fmt_date(as_of)} to support three key judgments on this theme; "
            "the evidence below is all the dataset held on that date.</p>")
    return HTML(f'<section class="key-judgments"><h2>Key judgments</h2>{note}'
                f'{f"<ul>{lis}</ul>" if lis else ""}</section>')


def estimative_language() -> HTML:
    """The box that explains the likelihood scale and the confidence levels."""
    rows = "".join(f"<tr><td>{t}</td><td>{p}</td></tr>" for t, p in LIKELIHOOD)
    return HTML(
        '<aside class="estimative"><h3>How to read the judgments</h3>'
        "<p>Likelihood terms follow the US ICD 203 scale (one row of it throughout). Confidence "
        "(high, moderate, low) rates the evidence: the quality and corroboration of sources and the "
        "assumptions we rely on, not the likelihood.</p>"
        '<table class="brief-table"><caption>ICD 203 likelihood scale</caption><thead><tr>'
        '<th scope="col">Term</th><th scope="col">Probability</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></aside>")


# -- header, tables, source lines --------------------------------------------

def header(title: str, standfirst: str) -> HTML:
    """The brief's only ``h1``: a title that states the judgment, then the bottom line."""
    return HTML(f"<h1>{esc(title)}</h1><p class=\"standfirst\">{esc(standfirst)}</p>")


def no_data(as_of, what: str = "reporting") -> HTML:
    return HTML(f'<p class="no-data">No {esc(what)} in the dataset had been published by '
                f"{fmt_date(as_of)}.</p>")


def source_line(frame_or_ids, label: str = "Source") -> str:
    """'Sources: KBS World (ROK NIS), 18 Oct 2024; …' for the rows shown; records them."""
    ids = cite(frame_or_ids)
    if not ids:
        return ""
    table = data.sources().set_index("source_id")
    parts = []
    for sid in ids:
        row = table.loc[sid]
        who = row["publisher"] if pd.isna(row["original_claimant"]) or row["original_claimant"] == row["publisher"] \
            else f"{row['publisher']} ({row['original_claimant']})"
        when = "" if pd.isna(row["published_date"]) else f", {fmt_date(row['published_date'])}"
        flag = " [state media]" if row["source_type"] in STATE_MEDIA else ""
        parts.append(f"{who}{when}{flag}")
    parts = list(dict.fromkeys(parts))  # two items of one outlet on one day read as one
    return f"{label}{'s' if len(parts) > 1 else ''}: " + "; ".join(parts) + "."


def table(frame: pd.DataFrame, columns: dict[str, str], caption: str, *, sources: bool = True,
          formats: dict | None = None) -> HTML:
    """An accessible table (caption, column headers) of ``columns`` with a source line.

    ``formats`` maps a column to a function turning a cell into text; dates
    and numbers get house formats by default.  Every cell is escaped.
    """
    formats = formats or {}
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in columns.values())
    body = []
    for _, row in frame.iterrows():
        cells = []
        for col in columns:
            value = row[col]
            if col in formats:
                text = formats[col](row)
            elif col == "note":
                text = reader_note(value)
            elif pd.api.types.is_datetime64_any_dtype(frame[col]):
                text = fmt_date(value, row.get("date_precision", "day") if col == "date_start" else "day")
            elif pd.api.types.is_float_dtype(frame[col]):
                text = fmt_num(value, 0 if pd.isna(value) or float(value).is_integer() else 2)
            else:
                text = "–" if value is None or pd.isna(value) else label(str(value))
            cells.append(f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body = [f'<tr><td colspan="{len(columns)}">No rows reported by this edition\'s date.</td></tr>']
    line = source_line(frame) if sources and "source_ids" in frame else ""
    foot = f'<p class="source-line">{esc(line)}</p>' if line else ""
    keep = " keep" if len(body) <= KEEP_ROWS else ""  # short tables never split across pages
    return HTML(f'<div class="table-block{keep}"><table class="brief-table"><caption>{esc(caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}</div>")


def chart(chart_obj) -> "ChartBlock":
    """Display a :class:`briefing.charts.Chart` with its source line under it."""
    return ChartBlock(chart_obj)


class ChartBlock:
    """A chart (PNG with alt text) followed by the source line of the rows plotted."""

    def __init__(self, chart_obj):
        self.chart = chart_obj
        self.line = source_line(chart_obj.source_ids)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.chart)
        if self.line:
            display(HTML(f'<p class="source-line">{esc(self.line)}</p>'))


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


THEME_NAMES = {"dprk_russia": "DPRK–Russia alliance", "seoul_response": "Seoul's response",
               "trilateral_trump": "Trilateral ties and the Trump factor", "seoul_russia": "Seoul's Russia policy",
               "inter_korean": "Inter-Korean relations", "dprk_military": "DPRK military activity"}


def changes(events: pd.DataFrame, previous, as_of, themes: Iterable[str]) -> HTML:
    """'Change since the last edition': a trend flag per theme and the new events."""
    rows = []
    for theme in themes:
        subset = events[events["theme"] == theme]
        new = new_since(subset, previous, as_of)
        rows.append({"theme": THEME_NAMES.get(theme, theme), "new": len(new),
                     "worsens": int((new["security_effect"] == "worsens").sum()),
                     "eases": int((new["security_effect"] == "eases").sum()),
                     "trend": trend(subset, previous, as_of)})
    flags = pd.DataFrame(rows)
    intro = (f"<p>Between the previous edition ({fmt_date(previous)}) and this one ({fmt_date(as_of)}). "
             "Trend flags net the events coded as worsening or easing the ROK's security environment.</p>")
    summary = table(flags, {"theme": "Theme", "new": "New events", "worsens": "Worsening", "eases": "Easing",
                            "trend": "Trend"}, "Trend by theme since the last edition", sources=False)
    new = new_since(events[events["theme"].isin(list(themes))], previous, as_of).sort_values(["date_start", "event_id"])
    listing = table(new, {"date_start": "Date", "summary": "What happened", "security_effect": "Effect"},
                    "Events reported since the last edition")
    return HTML(intro + summary.data + listing.data)


def sources_cited() -> HTML:
    """The full list of sources the brief cited, with type and date; state media flagged."""
    if not _cited:
        return HTML("<p>No sources cited.</p>")
    table_ = data.sources().set_index("source_id")
    items = []
    for sid in sorted(_cited, key=lambda s: (str(table_.loc[s, "publisher"]), s)):
        row = table_.loc[sid]
        kind = str(row["source_type"]).replace("_", " ")
        flag = ' <strong class="state-media">State media.</strong>' if row["source_type"] in STATE_MEDIA else ""
        claimant = "" if pd.isna(row["original_claimant"]) else f" Claimant: {esc(row['original_claimant'])}."
        host = "" if pd.isna(row["host"]) else f" Carried by {esc(row['host'])}."
        when = "date not seen" if pd.isna(row["published_date"]) else fmt_date(row["published_date"])
        lang = "" if pd.isna(row["language"]) or row["language"] == "en" else f' lang="{esc(row["language"])}"'
        url = "" if pd.isna(row["url"]) else str(row["url"])
        link = f' <a href="{esc(url)}">{esc(url)}</a>' if url.startswith(("https://", "http://")) else ""
        items.append(f'<li id="src-{esc(sid)}">{esc(row["publisher"])}, <cite{lang}>{esc(row["title"])}</cite>, '
                     f"{when}. Type: {esc(kind)}.{flag}{claimant}{host}{link}</li>")
    return HTML(f'<ol class="sources">{"".join(items)}</ol>')
