"""The analysis behind each themed brief: one module per notebook.

A notebook holds narrative and calls; the logic lives here and is tested:
what an edition may show (:class:`~briefing.edition.Window`), the named data
queries that fill the placeholders of the analysts' judgments (``QUERIES``),
the signposts' predicates (``SIGNPOSTS``), and the charts and tables.  The
judgments' wording lives in the register (``analysis/judgments/``, see
:mod:`briefing.register`); every number in it is read from the data, never typed.
"""

from __future__ import annotations

import pandas as pd

from .. import brief, data
from ..edition import Window

PERIOD_START = "2022-02-24"  # Russia's full-scale invasion: where every brief's period starts by default


def start(as_of: str, since: str = "", previous_edition: str = "", marking: str | None = None) -> Window:
    """Begin a brief: check its parameters and fix what it may show.

    The first call of every notebook, so that plain papermill, JupyterLab and
    ``briefing render`` apply the same rules (:func:`briefing.edition.window_rules`):
    an inconsistent window or a missing marking stops the notebook here, in
    one line.  Empty ``since`` and ``previous_edition`` follow from ``as_of``.
    """
    return Window.checked(as_of, since, previous_edition, marking, default_since=PERIOD_START)


def by_brief() -> dict:
    """Theme module of each brief slug (``BRIEF`` of each module)."""
    import importlib
    import pkgutil

    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if getattr(module, "BRIEF", None):
            found[module.BRIEF] = module
    return found


VERDICTS = ("contradicted", "partly", "unverified", "confirmed")
SOURCE_ANALYSIS = "resurgam_20251025"  # sources.csv row of the analysis the briefs check


def check(ed: Window, check_id: str) -> pd.Series | None:
    """One cross-check of the source analysis, if its evidence was public on ``as_of``."""
    frame = ed.known(data.crosscheck())
    match = frame[frame["check_id"] == check_id]
    return None if match.empty else match.iloc[0]


def crosscheck_table(ed: Window, *sections: str):
    """The source analysis' claims against the data, worst verdicts first."""
    frame = ed.known(data.crosscheck())
    if sections:
        frame = frame[frame["section"].isin(sections)]
    if frame.empty:
        article = data.sources().set_index("source_id").loc[SOURCE_ANALYSIS]
        return brief.paragraph(f"The source analysis ({article['publisher']}, "
                               f"{brief.fmt_date(article['published_date'])}) postdates this edition, or none of its "
                               "claims on this theme had been checked by then.")
    frame = frame.assign(order=frame["verdict"].map(VERDICTS.index)).sort_values(["order", "check_id"])
    return brief.table(ed, frame, {"analysis_quote": "The source analysis says", "verdict": "Verdict",
                               "finding": "What the data show"},
                       "Fact-check: the source analysis against the data")
