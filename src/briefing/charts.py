"""Charts for the briefs, in one house style, with the data and alt text behind them.

Every builder takes typed frames already cut to what the brief may show (the
caller applies :func:`briefing.data.known_on`) and returns a :class:`Chart`:
the figure, a finding-first title, a subtitle (measure, units, period), alt
text with the key numbers, and the rows actually plotted with their sources.
Tests check that data rather than pixels (nbval ignores images), and the
caller builds the source line from ``Chart.source_ids``.

Figures are made with :class:`matplotlib.figure.Figure` directly: no pyplot
registry to leak into, no backend state, and the house style is applied with
:func:`matplotlib.style.context` around building and rendering only.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from . import brief as _brief
from . import data as _data

STYLE = Path(__file__).with_name("house.mplstyle")
DPI = 120
ANALYSIS = "analysis_article"
MARKED_YEARS = {2014: "Crimea", 2022: "full-scale invasion"}


@dataclass(eq=False)
class Chart:
    """A rendered chart with what a brief needs around it.

    ``data`` holds one row per mark with a ``source_ids`` column, so tests can
    check what is plotted and the caller can print the source line;
    ``source_ids`` is the ordered unique list over those rows.
    """

    figure: Figure = field(repr=False)
    title: str
    subtitle: str
    alt: str
    data: pd.DataFrame = field(repr=False)
    source_ids: list[str]
    _png: bytes | None = field(default=None, init=False, repr=False)

    def png(self) -> bytes:
        """The chart as PNG bytes, rendered once; no timestamp or version, so builds are byte-stable."""
        if self._png is None:
            buffer = io.BytesIO()
            with mpl.style.context(STYLE):
                self.figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                                    metadata={"Software": None})
            self._png = buffer.getvalue()
        return self._png

    def _repr_mimebundle_(self, include=None, exclude=None):
        """PNG plus alt text: Jupyter shows the image, nbconvert writes the alt, nbval compares the text."""
        bundle = {"image/png": base64.b64encode(self.png()).decode("ascii"), "text/plain": self.alt}
        bundle = {k: v for k, v in bundle.items()
                  if (not include or k in include) and (not exclude or k not in exclude)}
        return bundle, {"image/png": {"alt": self.alt}}


def source_ids_of(frame: pd.DataFrame) -> list[str]:
    """Ordered unique source ids over a frame's ``source_ids`` cells (first seen first)."""
    if "source_ids" not in frame:
        return []
    return list(dict.fromkeys(i for cell in frame["source_ids"] for i in _data.split_ids(cell)))


# -- shared pieces -------------------------------------------------------------

def _fmt(value: float, unit: str | None = None) -> str:
    """'12,000', '61.25', '17.5' or '30%': thousands separators, no trailing zeros."""
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + "%" if unit == "percent" else text


def _month(stamp, long: bool = False) -> str:
    return pd.Timestamp(stamp).strftime("%B %Y" if long else "%b %Y")


def _day(stamp) -> str:
    stamp = pd.Timestamp(stamp)
    return f"{stamp.day} {stamp:%B %Y}"


def _years(years: list[int]) -> str:
    """'2010–2013, 2020': runs of consecutive years collapsed."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _who(claimant) -> str:
    """A claimant's name for prose: 'Resurgam (source analysis)' reads 'Resurgam'."""
    return str(claimant).replace(" (source analysis)", "")


def _styles() -> list[dict]:
    """Colour, line style and marker per series, from the house cycle (call inside the style)."""
    return list(mpl.rcParams["axes.prop_cycle"])


def _flag(series: pd.Series, value: str) -> np.ndarray:
    """``series == value`` as plain booleans (missing text counts as no match)."""
    return series.eq(value).fillna(False).to_numpy(dtype=bool)


def _figure(height: float = 3.8, left: float = 0.1, right: float = 0.97, bottom: float = 0.14):
    fig = Figure(figsize=(7.5, height), dpi=DPI)
    FigureCanvasAgg(fig)  # a renderer to measure labels with; no pyplot, no global backend
    ax = fig.add_subplot()
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=1 - 0.25 / height)
    return fig, ax


def _ruler(**font):
    """A function giving the width in points of a text in ``font`` and the current style."""
    renderer, prop = FigureCanvasAgg(Figure(dpi=72)).get_renderer(), FontProperties(**font)
    return lambda text: renderer.get_text_width_height_descent(text, prop, ismath=False)[0]


def _wrap(text: str, width_in: float = 7.0, **font) -> str:
    """Break ``text`` into lines that fit ``width_in`` inches, so a long title never widens the image."""
    measure = _ruler(**font)

    def fill(width_pt: float) -> list[str]:
        lines, line = [], ""
        for word in str(text).split():
            trial = f"{line} {word}".strip()
            if line and measure(trial) > width_pt:
                lines.append(line)
                line = word
            else:
                line = trial
        return [*lines, line]

    lines = fill(width_in * 72)
    if len(lines) > 1:  # balance the lines rather than leave one word dangling
        lines = next(trial for w in np.linspace(0.5, 1, 11) if len(trial := fill(w * width_in * 72)) == len(lines))
    return "\n".join(lines)


def _header(fig: Figure, ax, title: str, subtitle: str, anchor=None) -> None:
    """Title (bold) and subtitle, left-aligned above the axes and everything drawn beside them."""
    anchor = anchor if anchor is not None else (lambda renderer: ax.get_tightbbox(renderer))
    rc = mpl.rcParams
    sub_font = dict(size=rc["axes.titlesize"])
    title_font = dict(size=rc["figure.titlesize"], weight=rc["figure.titleweight"])
    sub = fig.add_artist(Annotation(
        _wrap(subtitle, **sub_font), (0, 1), xycoords=anchor, xytext=(0, 10), textcoords="offset points",
        ha="left", va="bottom", color=rc["axes.titlecolor"], annotation_clip=False, parse_math=False,
        fontsize=sub_font["size"]))
    fig.add_artist(Annotation(
        _wrap(title, **title_font), (0, 1), xycoords=sub, xytext=(0, 4), textcoords="offset points",
        ha="left", va="bottom", annotation_clip=False, parse_math=False, fontsize=title_font["size"],
        fontweight=title_font["weight"]))


def _note(ax, text: str) -> None:
    """A grey note under the plot (what is counted, how to read the marks)."""
    ax.figure.add_artist(Annotation(  # a figure artist, so the axes' own tight box does not include it
        _wrap(text, size="small"), (0, 0), xycoords=lambda r: ax.get_tightbbox(r), xytext=(0, -6),
        textcoords="offset points", ha="left", va="top", fontsize="small", color="#595959",
        annotation_clip=False, parse_math=False))


# Where a direct label may go around its point, in order of preference (offset in points, ha, va).
_SPOTS = [((9, 0), "left", "center"), ((7, -7), "left", "top"), ((7, 7), "left", "bottom"),
          ((0, -11), "center", "top"), ((0, 11), "center", "bottom"), ((-9, 0), "right", "center")]


def _obstacles(ax) -> list:
    """Display boxes of what is already drawn: points along every line, and the texts."""
    boxes = []
    for line in ax.lines:
        ends = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        steps = [np.linspace(a, b, 12) for a, b in zip(ends[:-1], ends[1:]) if np.isfinite([a, b]).all()]
        half = max(line.get_markersize() * ax.figure.dpi / 144, 2) if line.get_marker() not in ("", "None") else 2
        boxes += [Bbox.from_extents(x - half, y - half, x + half, y + half)
                  for x, y in np.vstack([ends, *steps]) if np.isfinite([x, y]).all()]
    renderer = ax.figure.canvas.get_renderer()
    return boxes + [t.get_window_extent(renderer) for t in ax.texts]


def _place(ax, xy, text: str, obstacles: list, **style) -> None:
    """Annotate ``xy`` at the first spot that overlaps nothing drawn so far (else to the right)."""
    renderer = ax.figure.canvas.get_renderer()
    for offset, ha, va in _SPOTS:
        label = ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va, fontsize="small",
                            annotation_clip=False, parse_math=False, **style)
        box = label.get_window_extent(renderer).padded(2)
        if not any(box.overlaps(o) for o in obstacles):
            obstacles.append(box)
            return
        label.remove()
    ax.annotate(text, xy, xytext=_SPOTS[0][0], textcoords="offset points", va="center", fontsize="small",
                annotation_clip=False, parse_math=False, **style)


def _empty(title: str, subtitle: str, what: str, as_of, columns) -> Chart:
    """A chart that says nothing was reported yet, instead of an error or a blank axes."""
    when = f" by {_day(as_of)}" if as_of is not None else ""
    with mpl.style.context(STYLE):
        fig, ax = _figure(height=1.5, bottom=0.05)
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"No data reported{when}", transform=ax.transAxes, ha="center", va="center",
                fontsize="large", color="#595959")
        _header(fig, ax, title, subtitle, anchor=ax.bbox)
    frame = pd.DataFrame({c: pd.Series(dtype="string" if c == "source_ids" else "object") for c in columns})
    return Chart(fig, title, subtitle, f"{what}: no data reported{when}.", frame, [])


def _one_indicator(indicators: pd.DataFrame, indicator_id: str | None) -> pd.DataFrame:
    """Annual rows of one indicator (a chart never mixes two measures on one axis)."""
    frame = indicators if indicator_id is None else indicators[_flag(indicators["indicator_id"], indicator_id)]
    ids = frame["indicator_id"].dropna().unique()
    if len(ids) > 1:
        raise ValueError(f"one indicator per chart, got {sorted(ids)}: pass indicator_id=")
    frame = frame[frame["period"].str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)]
    frame = frame[frame["value"].notna()].copy()
    frame["year"] = frame["period"].astype(int)
    return frame


def _unit_label(frame: pd.DataFrame) -> str:
    unit = frame["unit"].dropna()
    text = str(unit.iloc[0]).replace("_", " ") if len(unit) else ""
    basis = frame["price_basis"].dropna().unique() if "price_basis" in frame else []
    return f"{text} ({basis[0]})" if len(basis) == 1 else text


# -- timeline --------------------------------------------------------------------

def _short(text, limit: int = 40) -> str:
    text = str(text).strip().rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def timeline(events: pd.DataFrame, title: str, subtitle: str, highlight=None, *, lane: str | None = None,
             as_of=None) -> Chart:
    """Milestones as dots on a date axis, one lane per theme (or event type).

    Labels sit beside their dot and are packed into rows within a lane so none
    collide, which keeps 5–40 events readable; ``highlight`` (event ids) are
    drawn bold.  An event with a date window (``date_end``) gets a bar over
    it; one known only to the week, month or year a hollow dot mid-window.
    A ``label`` column, where present, replaces the shortened summary.
    ``lane`` defaults to ``theme`` when several themes are present, else to
    ``event_type`` when it makes four lanes or fewer, else one lane.
    """
    cols = ["event_id", "date_start", "date_end", "date_mark", "lane", "label", "row", "highlighted", "source_ids"]
    if events.empty:
        return _empty(title, subtitle, "Timeline of events", as_of, cols)
    ev = events.sort_values(["date_start", "event_id"]).reset_index(drop=True)
    if lane is None:  # lanes must group; six lanes for seven events would not
        lane = "theme" if ev["theme"].nunique() > 1 else "event_type" if ev["event_type"].nunique() <= 4 else None
    labels = ev["label"] if "label" in ev else pd.Series(pd.NA, index=ev.index)
    ev["label"] = [_short(lab if pd.notna(lab) else summ) for lab, summ in zip(labels, ev["summary"])]
    marked = {highlight} if isinstance(highlight, str) else set(highlight or ())
    ev["highlighted"] = ev["event_id"].isin(marked)
    ev["lane"] = ev[lane].fillna("other").astype(str) if lane else "all"
    lanes = list(dict.fromkeys(ev["lane"]))

    # Each event spans [x0, x1] (one day, or its window); imprecise dates get a hollow dot mid-window.
    ends = ev["date_end"].where(ev["date_end"] > ev["date_start"], ev["date_start"])
    precision = ev["date_precision"] if "date_precision" in ev else pd.Series("day", index=ev.index)
    precise = precision.fillna("day").eq("day").to_numpy(dtype=bool)
    ev["date_mark"] = ev["date_start"].where(precise, ev["date_start"] + (ends - ev["date_start"]) / 2)
    x0, x1, xm = (mdates.date2num(d.to_numpy()) for d in (ev["date_start"], ends, ev["date_mark"]))

    # Pack labels into rows, measured in points on the axes' real width.
    left, right = (1.45 if lane else 0.25) / 7.5, 0.97
    span = max(x1.max() - x0.min(), 60.0)
    lo, hi = x0.min() - 0.03 * span, x1.max() + 0.03 * span
    per_pt = (hi - lo) / (7.5 * (right - left) * 72)
    with mpl.style.context(STYLE):
        rulers = {bold: _ruler(size="small", weight="bold" if bold else "normal") for bold in (False, True)}
        widths = [rulers[bold](text) + 10 for text, bold in zip(ev["label"], ev["highlighted"])]
    rows, sides, taken = [], [], {name: [] for name in lanes}
    for a0, a1, width, name in zip(x0, x1, widths, ev["lane"]):
        spans = {True: (a0 - 4 * per_pt, a1 + width * per_pt), False: (a0 - width * per_pt, a1 + 4 * per_pt)}
        fits = [side for side in (True, False) if spans[side][0] >= lo and spans[side][1] <= hi] or [True]
        occupied = taken[name]
        # First row where the label fits right of its mark, or else left of it.
        row, side = next(((r, side) for r, used in enumerate(occupied) for side in fits
                          if all(spans[side][1] < a or spans[side][0] > b for a, b in used)), (len(occupied), fits[0]))
        if row == len(occupied):
            occupied.append([])
        occupied[row].append(spans[side])
        rows.append(row)
        sides.append(side)
    ev["row"] = rows

    row_in = 0.22
    base, y, centres = {}, 0.0, []
    for name in lanes:  # first lane on top
        n = len(taken[name])
        base[name] = y
        centres.append(y + (n - 1) / 2)
        y += n + 0.8
    ys = np.array([base[name] + r for name, r in zip(ev["lane"], ev["row"])])
    with mpl.style.context(STYLE):
        height = 1.0 + row_in * y
        fig, ax = _figure(height=height, left=left, right=right, bottom=0.55 / height)
        styles = _styles()
        for i, name in enumerate(lanes):
            style, inlane = styles[i % len(styles)], (ev["lane"] == name).to_numpy()
            for a0, a1, ye in zip(x0[inlane], x1[inlane], ys[inlane]):
                if a1 > a0:
                    ax.plot([a0, a1], [ye, ye], color=style["color"], lw=4, alpha=0.4, marker="",
                            solid_capstyle="butt")
            for bold in (False, True):
                for exact in (True, False):
                    pick = inlane & (ev["highlighted"].to_numpy() == bold) & (precise == exact)
                    ax.plot(xm[pick], ys[pick], ls="none", marker=style["marker"], color=style["color"],
                            mfc=style["color"] if exact else "white", ms=8 if bold else 6,
                            mec="#222222" if bold else style["color"], mew=1.3 if bold or not exact else 0.5,
                            zorder=3)
            if i:
                ax.axhline(base[name] - 0.9, color="#bbbbbb", lw=0.6)
        for label, bold, a0, a1, ye, on_right in zip(ev["label"], ev["highlighted"], x0, x1, ys, sides):
            ax.annotate(label, (a1 if on_right else a0, ye), xytext=(6 if on_right else -6, 0),
                        textcoords="offset points", ha="left" if on_right else "right", va="center",
                        fontsize="small", fontweight="bold" if bold else "normal", annotation_clip=False,
                        parse_math=False)
        ax.set_xlim(lo, hi)
        ax.set_ylim(y - 0.8 - 0.4, -0.6)
        ax.set_yticks(centres, [_brief.sentence_case(_brief.label(n, lane)) if lane else "" for n in lanes])
        ax.xaxis.set_major_locator(locator := mdates.AutoDateLocator(minticks=4, maxticks=9))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.grid(axis="x", visible=True)
        ax.grid(axis="y", visible=False)
        ax.spines["left"].set_visible(False)
        _header(fig, ax, title, subtitle)
    shown = ev[cols].copy()
    first, last = ev.iloc[0], ev.iloc[-1]
    grouped = f", in {len(lanes)} lanes by {lane.replace('_', ' ')}" if lane and len(lanes) > 1 else ""
    alt = (f"Timeline of {len(ev)} events, {_month(first['date_start'], True)} to {_month(last['date_start'], True)}"
           f"{grouped}: from “{first['label']}” ({_day(first['date_start'])}) to “{last['label']}” "
           f"({_day(last['date_start'])}).")
    if ev["highlighted"].any():
        alt += " Highlighted: " + "; ".join(f"{r.label} ({_day(r.date_start)})"
                                            for r in ev[ev["highlighted"]].itertuples()) + "."
    return Chart(fig, title, subtitle, alt, shown, source_ids_of(shown))


# -- contested estimates ---------------------------------------------------------

def estimate_ranges(claims: pd.DataFrame, quantity: str, title: str, subtitle: str, *, as_of=None) -> Chart:
    """One row per claim for one quantity, low to high with the best figure marked.

    Claims are drawn as claimed and never averaged: a line spans low to high,
    a dot marks the best figure, an arrow marks an open-ended "more than" or
    "up to".  The source analysis' own figure (``claimant_type ==
    'analysis_article'``) is drawn hollow in its own colour and labelled.
    """
    name = _brief.label(quantity, "quantity")
    cols = ["claim_id", "label", "claim_date", "claimant", "claimant_type", "value_low", "value_best", "value_high",
            "unit", "kind", "figure", "source_analysis", "source_ids"]
    rows = claims[_flag(claims["quantity"], quantity)]
    rows = rows[rows[["value_low", "value_best", "value_high"]].notna().any(axis=1)]
    if rows.empty:
        return _empty(title, subtitle, f"Range chart of estimates of {name}", as_of, cols)
    units = rows["unit"].dropna().unique()
    if len(units) > 1:
        raise ValueError(f"claims for {quantity} mix units {sorted(units)}; chart one unit at a time")
    unit = str(units[0]) if len(units) else ""
    cl = rows.sort_values(["claim_date", "claimant", "claim_id"]).reset_index(drop=True)
    cl["label"] = [f"{c}, {_month(d)}" for c, d in zip(cl["claimant"], cl["claim_date"])]
    cl["source_analysis"] = _flag(cl["claimant_type"], ANALYSIS)
    lo, best, hi = (cl[c].to_numpy(dtype=float) for c in ("value_low", "value_best", "value_high"))
    kinds = np.where(~np.isnan(lo) & ~np.isnan(hi), "range",
                     np.where(~np.isnan(best) & (~np.isnan(lo) | ~np.isnan(hi)), "range",
                              np.where(~np.isnan(best), "point", np.where(~np.isnan(lo), "more_than", "up_to"))))
    cl["kind"] = kinds
    start, end = np.nanmin(np.c_[lo, best, hi], axis=1), np.nanmax(np.c_[lo, best, hi], axis=1)
    figures = []  # each claim in words, as the chart labels it
    for i, kind in enumerate(kinds):
        text = {"range": f"{_fmt(start[i])}–{_fmt(end[i], unit)}", "point": _fmt(best[i], unit),
                "more_than": f"more than {_fmt(lo[i], unit)}", "up_to": f"up to {_fmt(hi[i], unit)}"}[kind]
        if kind == "range" and start[i] < best[i] < end[i]:
            text += f" (best {_fmt(best[i], unit)})"
        figures.append(text)
    cl["figure"] = pd.array(figures, dtype="string")

    height = max(2.4, 1.3 + 0.34 * len(cl))
    with mpl.style.context(STYLE):
        fig, ax = _figure(height=height, left=0.3, right=0.8, bottom=0.75 / height)
        styles = _styles()
        reach = 0.07 * np.nanmax(end)
        tips = np.where(kinds == "more_than", lo + reach, np.where(kinds == "up_to", np.maximum(hi - reach, 0), end))
        for y, r in cl.iterrows():
            analysis = r["source_analysis"]
            colour = styles[1 if analysis else 0]["color"]
            if r["kind"] == "range":
                ax.plot([start[y], end[y]], [y, y], color=colour, ls="--" if analysis else "-", lw=2.5, marker="|",
                        ms=10, mew=2)
            if r["kind"] in ("more_than", "up_to"):
                edge = lo[y] if r["kind"] == "more_than" else hi[y]
                ax.annotate("", (tips[y], y), xytext=(edge, y), annotation_clip=False,
                            arrowprops=dict(arrowstyle="-|>", color=colour, lw=2, shrinkA=0, shrinkB=0))
                ax.plot([edge], [y], color=colour, marker="|", ms=10, mew=2)
            if not np.isnan(best[y]):
                ax.plot([best[y]], [y], ls="none", marker="D" if analysis else "o", ms=8, color=colour,
                        mfc="white" if analysis else colour, mew=1.8, zorder=3)
            named = "source analysis" in str(r["claimant"]).lower()
            text = r["figure"] + (", source analysis" if analysis and not named else "")
            ax.annotate(text, (max(end[y], tips[y]), y), xytext=(8, 0), textcoords="offset points", va="center",
                        fontsize="small", annotation_clip=False, parse_math=False,
                        color=colour if analysis else "#222222", fontweight="bold" if analysis else "normal")
        ax.set_yticks(range(len(cl)), cl["label"])
        ax.set_ylim(len(cl) - 0.4, -0.6)
        low, high = min(np.nanmin(start), tips.min()), max(np.nanmax(end), tips.max())
        low, high = (0, 100) if unit == "percent" else (0 if low <= 0.5 * high else low, high)  # shares on 0–100
        ax.set_xlim(low - 0.04 * (high - low), high + 0.04 * (high - low))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v, unit)))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(f"Estimate ({unit})" if unit and unit != "percent" else "Estimate")
        ax.grid(axis="x", visible=True)
        ax.grid(axis="y", visible=False)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        _header(fig, ax, title, subtitle)
        arrows = "; arrows mark “more than” and “up to”" if np.isin(kinds, ["more_than", "up_to"]).any() else ""
        _note(ax, f"Lines span each claim's low to high figure; dots mark the figure given as best{arrows}. "
                  "Claims are shown as made, not averaged.")
    shown = cl[cols].copy()
    alt = (f"Range chart of estimates of {name} by claimant, {_month(cl['claim_date'].min(), True)} to "
           f"{_month(cl['claim_date'].max(), True)}")
    reported = np.flatnonzero(~cl["source_analysis"].to_numpy())
    if len(reported):
        i_min, i_max = reported[np.argmin(start[reported])], reported[np.argmax(end[reported])]
        who = [f"{_who(cl.at[i, 'claimant'])}, {_month(cl.at[i, 'claim_date'], True)}" for i in (i_min, i_max)]
        open_ended = {"more_than": "more than ", "up_to": "up to "}
        low = open_ended.get(kinds[i_min], "") + _fmt(start[i_min], unit)
        high = open_ended.get(kinds[i_max], "") + _fmt(end[i_max], unit)
        alt += f": from {low} ({who[0]}) to {high} ({who[1]})." if low != high else f": {low} ({who[0]})."
    else:
        alt += "."
    for i in np.flatnonzero(cl["source_analysis"].to_numpy()):
        alt += (f" The source analysis ({_who(cl.at[i, 'claimant'])}, {_month(cl.at[i, 'claim_date'], True)}) "
                f"gives {figures[i]}.")
    return Chart(fig, title, subtitle, alt, shown, source_ids_of(shown))


# -- indicators ------------------------------------------------------------------

def _end_labels(ax, ends: list[tuple[float, float, str, dict]]) -> list:
    """Label each line at its last point, in its colour, where the label hides nothing."""
    obstacles = _obstacles(ax)
    for x, y, text, style in ends:
        _place(ax, (x, y), text, obstacles, color=style["color"], fontweight="bold")
    return obstacles


def budget_by_stage(indicators: pd.DataFrame, title: str, subtitle: str, *, indicator_id: str | None = None,
                    counting_basis: str | None = None, as_of=None) -> Chart:
    """A budget by year with one series per stage (proposal, enacted, supplementary).

    Stages differ by billions of won, so they are kept as separate series,
    never merged; the latest enacted figure is written on the chart.  Where a
    stage has several figures for a year, one is drawn, never an average: a
    reported figure before a derived one, then the most common counting basis
    (or ``counting_basis``), then the latest; the note lists the figures left
    out.  Hollow markers are derived figures.
    """
    cols = ["year", "stage", "value", "x", "derivation", "counting_basis", "source_ids"]
    frame = _one_indicator(indicators, indicator_id)
    if frame.empty:
        return _empty(title, subtitle, "Chart of the budget by year and stage", as_of, cols)
    bases = frame["counting_basis"].fillna("")
    basis = counting_basis if counting_basis is not None else bases.value_counts().index[0]
    frame["stage"] = frame["stage"].fillna("reported")
    frame["rank"] = frame["derivation"].ne("reported").fillna(True).astype(int)
    frame["off_basis"] = (bases != basis).to_numpy(dtype=int)
    frame = frame.sort_values(["stage", "year", "rank", "off_basis", "reported_on"],
                              ascending=[True, True, True, True, False])
    left_out = frame[frame.duplicated(["stage", "year"])]
    frame = frame.drop_duplicates(["stage", "year"]).reset_index(drop=True)
    order = ["enacted", "proposal", "supplementary", "outturn", "reported", "partial_year"]
    stages = sorted(frame["stage"].unique(), key=lambda st: (order.index(st) if st in order else 99, st))
    offset = {st: (i - (len(stages) - 1) / 2) * 0.12 for i, st in enumerate(stages)}
    frame["x"] = frame["year"] + frame["stage"].map(offset)
    years = np.arange(frame["year"].min(), frame["year"].max() + 1)
    derived = frame["rank"].to_numpy(dtype=bool)
    with mpl.style.context(STYLE):
        fig, ax = _figure(right=0.8)
        styles, ends = _styles(), []
        for i, stage in enumerate(stages):
            style, sub = styles[i % len(styles)], frame[frame["stage"] == stage]
            line = sub.set_index("year")["value"].reindex(years)  # NaN at missing years breaks the line
            ax.plot(years + offset[stage], line.to_numpy(), color=style["color"], ls=style["linestyle"], lw=1.5,
                    marker="")
            for hollow in (False, True):
                pts = sub[derived[sub.index] == hollow]
                ax.plot(pts["x"], pts["value"], ls="none", marker=style["marker"], ms=7, color=style["color"],
                        mfc="white" if hollow else style["color"], mew=1.5, zorder=3)
            last = sub.loc[sub["year"].idxmax()]
            text = _brief.sentence_case(_brief.proper_case(stage.replace("_", " ")))
            if stage == "enacted":
                text += f"\n{last['year']}: {_fmt(last['value'])}"
            ends.append((last["x"], last["value"], text, style))
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.margins(y=0.15)
        ax.set_ylim(ax.get_ylim())
        ax.set_ylabel(_unit_label(frame))
        _end_labels(ax, ends)
        _header(fig, ax, title, subtitle)
        notes = ["Hollow markers: derived figures, not reported ones."] if derived.any() else []
        if len(left_out):
            dropped = [f"{r.year} {r.stage}: {_fmt(r.value)} by "
                       f"{r.counting_basis if pd.notna(r.counting_basis) else 'an unnamed basis'}"
                       f"{' (derived)' if r.rank else ''}" for r in left_out.itertuples()]
            notes.append("Other figures for the same year and stage, not drawn: " + "; ".join(dropped) + ".")
        if notes:
            _note(ax, " ".join(notes))
    shown = frame[cols].copy()
    name = frame["title"].dropna().iloc[0] if "title" in frame and frame["title"].notna().any() else "the budget"
    alt = f"Chart of {name} by year and budget stage, {years[0]} to {years[-1]}, {_unit_label(frame)}"
    parts = []
    for stage in stages:
        sub = frame[frame["stage"] == stage].sort_values("year")
        first, last = sub.iloc[0], sub.iloc[-1]
        parts.append(f"{stage.replace('_', ' ')} {_fmt(first['value'])} ({first['year']})" if len(sub) == 1 else
                     f"{stage.replace('_', ' ')} from {_fmt(first['value'])} ({first['year']}) to "
                     f"{_fmt(last['value'])} ({last['year']})")
    alt += ": " + "; ".join(parts) + "."
    return Chart(fig, title, subtitle, alt, shown, source_ids_of(shown))


def exercise_tempo(events: pd.DataFrame, title: str, subtitle: str, *, by: str = "auto", as_of=None) -> Chart:
    """Exercises in the dataset per half-year (spans up to four years) or per year.

    Periods with none are shown as zero rather than dropped.  The count is of
    exercises recorded in the dataset, not of all exercises held, and the
    chart says so.
    """
    cols = ["period", "start", "count", "event_ids", "source_ids"]
    ex = events[_flag(events["event_type"], "exercise")].sort_values(["date_start", "event_id"])
    if ex.empty:
        return _empty(title, subtitle, "Bar chart of exercises per period", as_of, cols)
    dates = ex["date_start"]
    if by == "auto":
        by = "half" if (dates.max() - dates.min()).days <= 4 * 366 else "year"
    key = pd.Series([pd.Timestamp(d.year, 1 if by == "year" or d.month <= 6 else 7, 1) for d in dates],
                    index=ex.index)
    starts = pd.date_range(key.min(), key.max(), freq="6MS" if by == "half" else "YS")
    rows = []
    for start in starts:
        sub = ex[(key == start).to_numpy()]
        label = f"H{1 if start.month == 1 else 2} {start.year}" if by == "half" else str(start.year)
        rows.append({"period": label, "start": start, "count": len(sub), "event_ids": ";".join(sub["event_id"]),
                     "source_ids": ";".join(source_ids_of(sub))})
    counts = pd.DataFrame(rows).astype({"period": "string", "event_ids": "string", "source_ids": "string"})
    with mpl.style.context(STYLE):
        fig, ax = _figure(bottom=0.2)
        xs = np.arange(len(counts))
        ax.bar(xs, counts["count"], width=0.65, color=_styles()[0]["color"])
        for xi, n in zip(xs, counts["count"]):
            ax.annotate(str(n), (xi, n), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize="small")
        ticks = [p.replace(" ", "\n") for p in counts["period"]]
        ax.set_xticks(xs, ticks)
        ax.tick_params(axis="x", length=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.set_ylim(0, max(counts["count"].max() * 1.18, 1))
        ax.set_ylabel("exercises (count)")
        _header(fig, ax, title, subtitle)
        _note(ax, "Counts are of exercises recorded in the dataset, not all exercises held.")
    top = counts.loc[counts["count"].idxmax()]
    span = "half-year" if by == "half" else "year"
    alt = (f"Bar chart of exercises recorded in the dataset per {span}, {counts['period'].iloc[0]} to "
           f"{counts['period'].iloc[-1]}: {len(ex)} in all, from {counts['count'].min()} to {counts['count'].max()} "
           f"per {span}, most in {top['period']} ({top['count']}). Counts are of exercises in the dataset, "
           "not all exercises held.")
    return Chart(fig, title, subtitle, alt, counts, source_ids_of(counts))


def _side(basis) -> str:
    """Which side counted a trade figure: the two sides' customs data differ and are never mixed."""
    if basis is None or pd.isna(basis):
        return "Basis not stated"
    return "Russian data" if "russia" in str(basis).lower() else "ROK data"


def trade_series(indicators: pd.DataFrame, title: str, subtitle: str, marked_years=(2014, 2022), claimed=None, *,
                 indicator_id: str | None = None, series=None, as_of=None) -> Chart:
    """Trade by year, one line per counting side, with missing years left as gaps.

    Lines break where a year has no figure (never interpolated), so the eye
    does not read a trend the data do not hold.  ``series`` maps a
    ``counting_basis`` to its line (dict or function); by default ROK-side
    (KITA, ROK customs) and Russian-side figures are separate lines.
    ``marked_years`` (years, or ``{year: label}``) get a vertical rule;
    ``claimed=(year, value, label[, source_ids])`` adds the source analysis'
    figure as a hollow marker.
    """
    cols = ["series", "year", "value", "kind", "counting_basis", "source_ids"]
    frame = _one_indicator(indicators, indicator_id)
    frame = frame[~_flag(frame["stage"], "partial_year")] if "stage" in frame else frame
    if frame.empty:
        return _empty(title, subtitle, "Line chart of trade by year", as_of, cols)
    frame["series"] = [series(b) if callable(series) else (series or {}).get(b, _side(b))
                       for b in frame["counting_basis"]]
    marks = marked_years if isinstance(marked_years, dict) else {y: MARKED_YEARS.get(y, "") for y in marked_years}
    if claimed is not None:
        claim_year, claim_value, claim_label, *claim_ids = claimed
    extra = [*marks, *([claim_year] if claimed is not None else [])]
    years = np.arange(min([frame["year"].min(), *extra]), max([frame["year"].max(), *extra]) + 1)
    names = list(frame["series"].value_counts(sort=True).index)  # the longest series gets the first style
    parts = []
    for name in names:
        sub = frame[frame["series"] == name].sort_values(["year", "reported_on"])
        sub = sub.drop_duplicates("year", keep="last").set_index("year")  # the latest figure per year
        full = sub.reindex(years)[["value", "counting_basis", "source_ids"]].rename_axis("year").reset_index()
        full["series"], full["kind"] = name, np.where(full["value"].isna(), "gap", "reported")
        first, last = sub.index.min(), sub.index.max()
        parts.append(full[(full["year"] >= first) & (full["year"] <= last)])
    if claimed is not None:
        parts.append(pd.DataFrame({"series": ["Source analysis"], "year": [int(claim_year)],
                                   "value": [float(claim_value)], "kind": ["claimed"],
                                   "counting_basis": pd.array([pd.NA], dtype="string"),
                                   "source_ids": pd.array([claim_ids[0] if claim_ids else pd.NA], dtype="string")}))
    shown = pd.concat(parts, ignore_index=True)[cols]
    shown = shown.astype({"series": "string", "kind": "string", "counting_basis": "string", "source_ids": "string",
                          "value": "float64", "year": "int64"})
    with mpl.style.context(STYLE):
        fig, ax = _figure(right=0.8)
        styles, ends = _styles(), []
        for i, name in enumerate(names):
            style, sub = styles[i % len(styles)], shown[shown["series"] == name]
            ax.plot(sub["year"], sub["value"], color=style["color"], ls=style["linestyle"], marker=style["marker"],
                    ms=5.5)
            last = sub.dropna(subset=["value"]).iloc[-1]
            ends.append((last["year"], last["value"], name, style))
        top = np.nanmax(shown["value"]) * 1.18
        ax.set_ylim(0, top)
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        for mark, text in marks.items():
            ax.axvline(mark, color="#595959", lw=0.9, ls=(0, (4, 3)), zorder=1)
            ax.annotate(f"{mark}: {text}" if text else str(mark), (mark, 1), xycoords=("data", "axes fraction"),
                        xytext=(4, -2), textcoords="offset points", va="top", fontsize="small", color="#444444",
                        parse_math=False)
        if claimed is not None:
            ax.plot([claim_year], [claim_value], ls="none", marker="D", ms=9, mfc="white", mec="#222222", mew=1.8,
                    zorder=4)
        obstacles = _end_labels(ax, ends)
        if claimed is not None:
            _place(ax, (claim_year, claim_value), claim_label, obstacles, color="#222222", fontweight="bold")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v)))
        ax.set_ylabel(_unit_label(frame))
        _header(fig, ax, title, subtitle)
        _note(ax, "Gaps in a line are years with no reported figure; they are not filled in.")
    name = frame["title"].dropna().iloc[0] if "title" in frame and frame["title"].notna().any() else "Trade"
    alt = f"Line chart of {name} by year, {_unit_label(frame)}, {years[0]} to {years[-1]}"
    alt += f", by who counted ({', '.join(names)})." if len(names) > 1 else "."
    for s in names:
        sub = shown[(shown["series"] == s) & (shown["kind"] == "reported")]
        peak, first, last = sub.loc[sub["value"].idxmax()], sub.iloc[0], sub.iloc[-1]
        alt += (f" {s}: {_fmt(first['value'])} ({first['year']})" if len(sub) == 1 else
                f" {s}: {_fmt(first['value'])} ({first['year']}) to {_fmt(last['value'])} ({last['year']}), "
                f"peak {_fmt(peak['value'])} ({peak['year']})") + "."
    have = set(frame["year"])
    gaps = [y for y in range(min(have), max(have) + 1) if y not in have]
    if gaps:
        alt += " No figure for " + _years(gaps) + "."
    if claimed is not None:
        there = shown[(shown["year"] == claim_year) & (shown["kind"] == "reported")]
        against = ", ".join(f"{_fmt(v)} ({s})" for s, v in zip(there["series"], there["value"]))
        alt += f" {claim_label} for {claim_year}" + (f", against {against}." if against else ".")
    return Chart(fig, title, subtitle, alt, shown, source_ids_of(shown))


# -- launch tempo ----------------------------------------------------------------------

def launch_tempo(indicators: pd.DataFrame, title: str, subtitle: str, *,
                 indicator_id: str = "dprk_ballistic_launches", as_of=None) -> Chart:
    """Counts per year, one series per counting basis (never summed or joined across bases).

    Each basis keeps its own colour and marker, dodged side by side within a
    year; a count for part of a year is drawn hollow and labelled "to date",
    so a low partial figure never reads as a quiet year.  Where a basis has
    several figures for one year, the latest reported one is shown.
    """
    cols = ["counting_basis", "year", "value", "partial", "derivation", "reported_on", "source_ids"]
    frame = indicators[_flag(indicators["indicator_id"], indicator_id)]
    frame = frame[frame["period"].str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)].copy()
    if frame.empty:
        return _empty(title, subtitle, "Dot chart of launches per year by counting basis", as_of, cols)
    frame["year"] = frame["period"].astype(int)
    frame["partial"] = _flag(frame["stage"], "partial_year")
    shown = (frame.sort_values(["counting_basis", "year", "reported_on"])
             .drop_duplicates(["counting_basis", "year"], keep="last")[cols].reset_index(drop=True))
    bases = list(dict.fromkeys(shown.sort_values(["year", "counting_basis"])["counting_basis"]))
    crowd = shown.groupby("year")["counting_basis"].transform("size")
    slot = shown.groupby("year").cumcount()
    shown["x"] = shown["year"] + (slot - (crowd - 1) / 2) * 0.17  # dodged within a year
    with mpl.style.context(STYLE):
        fig, ax = _figure(right=0.72)
        styles = _styles()
        for i, basis in enumerate(bases):
            style, sub = styles[i % len(styles)], shown[shown["counting_basis"] == basis]
            for filled, part in ((True, ~sub["partial"]), (False, sub["partial"])):
                if part.any():
                    ax.plot(sub["x"][part], sub["value"][part], ls="none", marker=style["marker"], ms=7,
                            color=style["color"], mfc=style["color"] if filled else "white", mew=1.6,
                            label=basis if filled or not (~sub["partial"]).any() else None)
        for row, few in zip(shown.itertuples(), crowd <= 2):
            if few or row.partial:  # crowded years are read from the legend and the alt text
                ax.annotate(f"{_fmt(row.value)}{' to date' if row.partial else ''}", (row.x, row.value),
                            xytext=(0, 7), textcoords="offset points", ha="center", fontsize="x-small",
                            color="#333333", annotation_clip=False, parse_math=False)
        years = range(int(shown["year"].min()), int(shown["year"].max()) + 1)
        ax.set_xticks(list(years), [str(y) for y in years])
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
        ax.set_ylim(0, shown["value"].max() * 1.2)
        ax.set_ylabel("launches (as counted by each basis)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small",
                  title="Counting basis", title_fontsize="small")
        _header(fig, ax, title, subtitle)
        _note(ax, "Bases count differently (missiles fired, tests, launch events) and are never added up. "
                  "Hollow: part of a year only. Years without a dot have no figure on record.")
    alt = (f"Dot chart of DPRK ballistic missile launches per year, {min(years)} to {max(years)}, "
           f"by counting basis ({', '.join(bases)}).")
    for basis in bases:
        sub = shown[shown["counting_basis"] == basis]
        alt += f" {basis}: " + ", ".join(f"{_fmt(r.value)} in {r.year}{' (part of the year)' if r.partial else ''}"
                                         for r in sub.itertuples()) + "."
    return Chart(fig, title, subtitle, alt, shown[cols], source_ids_of(shown))
