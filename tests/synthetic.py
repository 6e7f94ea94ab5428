"""A synthetic evidence base with ten times the rows, to test and measure how the briefs grow.

Test-only, never published: every added row is a copy of a real row with ``_synthetic_<n>`` appended
to its id and "SYNTHETIC" written into its text, so no reader could take it for a fact; it is built in
a temporary folder and rendered there as a draft (an ad-hoc ``as_of``), never into ``briefs/``.
Sources are not copied (the copies cite the real rows' sources), nor are the indicator series (a
copy of a yearly figure would be a second value for the same year).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MARK = "SYNTHETIC"
# table -> (id column, text columns that say the row is synthetic)
GROWN = {"events": ("event_id", ("summary",)), "claims": ("claim_id", ("note",)),
         "flows": ("flow_id", ("description", "note")), "sanctions": ("measure_id", ("summary",)),
         "polls": ("poll_id", ("note",)), "crosscheck": ("check_id", ("analysis_quote", "finding"))}


def grow(data: Path, factor: int = 10) -> dict[str, int]:
    """Multiply the rows of the fact tables in ``data`` by ``factor`` in place; return the new row counts."""
    counts = {}
    for table, (key, texts) in GROWN.items():
        path = data / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        copies = [frame]
        for n in range(1, factor):
            copy = frame.copy()
            copy[key] = copy[key] + f"_synthetic_{n}"
            for col in texts:
                if col in copy:
                    copy[col] = f"{MARK} copy {n}: " + copy[col]
            copies.append(copy)
        grown = pd.concat(copies, ignore_index=True)
        grown.to_csv(path, index=False)
        counts[table] = len(grown)
    return counts


def project(root: Path, factor: int = 1) -> Path:
    """A throwaway copy of the real notebooks and data under ``root``, its fact tables grown ``factor`` times."""
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns(".*"))
    if (ROOT / "analysis").exists():
        shutil.copytree(ROOT / "analysis", root / "analysis", ignore=shutil.ignore_patterns(".*"))
    if factor > 1:
        grow(root / "data", factor)
    return root
