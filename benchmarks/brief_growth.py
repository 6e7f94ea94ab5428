"""How render time and PDF size grow with the evidence base: real data against ten times the rows.

Renders the same briefs (HTML and PDF, as drafts for an ad-hoc date, so nothing is published) in two
throwaway projects: one with the real data, one with the fact tables grown tenfold by
``tests/synthetic.py`` (every added row is marked SYNTHETIC). Prints, per brief, the PDF's pages,
where the annexes start, its size, and the render time of the whole set; then the growth ratios.
A figure below 10× is sub-linear growth. Not a test: run it by hand, once.

    PYTHONPATH=src python benchmarks/brief_growth.py [--factor 10] [BRIEF ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pdflayout  # noqa: E402
import synthetic  # noqa: E402

from briefing.render import render  # noqa: E402

AS_OF = "2025-12-14"  # not a catalog edition: every render is a draft


def measure(root: Path, names: list[str]) -> dict:
    os.environ["BRIEFING_DATA"] = str(root / "data")
    os.chdir(root)
    started = time.perf_counter()
    report = render(root, tuple(names), overrides={"as_of": AS_OF}, jobs=1)
    seconds = time.perf_counter() - started
    if report["counts"]["failed"]:
        raise SystemExit(f"render failed: {report}")
    briefs = {}
    for name in names:
        pdf = root / "briefs" / "_drafts" / name / AS_OF / f"{name}.pdf"
        layout = pdflayout.read(pdf.read_bytes())
        briefs[name] = {"bytes": pdf.stat().st_size, "pages": len(layout.pages), "annex_from": layout.annex_start()}
    return {"seconds": seconds, "briefs": briefs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", default=["00-overview", "01-dprk-russia-alliance", "02-seoul-response",
                                                      "03-trilateral-and-trump", "04-seoul-russia-policy"])
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (1, args.factor):
            root = synthetic.project(Path(tmp) / f"x{factor}", factor)
            results[factor] = measure(root, args.briefs)
    one, many = results[1], results[args.factor]
    print(f"{'brief':28} {'pages 1x':>8} {'pages':>6} {'annex@':>6} {'KiB 1x':>8} {'KiB':>8} {'size x':>7}")
    for name in args.briefs:
        a, b = one["briefs"][name], many["briefs"][name]
        print(f"{name:28} {a['pages']:>8} {b['pages']:>6} {b['annex_from']!s:>6} {a['bytes'] / 1024:>8.0f} "
              f"{b['bytes'] / 1024:>8.0f} {b['bytes'] / a['bytes']:>7.2f}")
    size_a = sum(v["bytes"] for v in one["briefs"].values())
    size_b = sum(v["bytes"] for v in many["briefs"].values())
    print(f"rows x{args.factor}: render {one['seconds']:.1f} s -> {many['seconds']:.1f} s "
          f"(x{many['seconds'] / one['seconds']:.2f}); PDF bytes {size_a / 1024:.0f} KiB -> {size_b / 1024:.0f} KiB "
          f"(x{size_b / size_a:.2f}); main body fits two pages in every brief: "
          f"{all(v['annex_from'] and v['annex_from'] <= 3 for v in many['briefs'].values())}")


if __name__ == "__main__":
    main()
