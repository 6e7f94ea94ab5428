"""Benchmark: a backfill of at least 100 editions on a Dask LocalCluster of 1 and of 2 workers.

Prints, on a throwaway copy of the project (notebooks, data, register), for
``briefing backfill --from FROM --to TO --scheduler local --jobs W`` run cold
(fresh process, empty briefs/) with W = 1 and W = 2:

- wall seconds, editions per minute, speed-up and parallel efficiency
  (speed-up / workers);
- mean build seconds per edition on a worker, and the client's serial share
  (cluster start, bundle, publishing, index and history pages);
- the no-change re-run (every edition cached);
- the same backfill without ``--scheduler`` (local processes, kernels forked from the warm render
  process), the default on one machine;
- an estimate on paper for 1,000 editions on N machines, from those figures.

The load average is printed before and after: on a shared machine, read the
figures with it.  Options through the environment: ``BENCH_FROM``/``BENCH_TO``
(default 2024-05-01..2025-12-31: 20 month ends x 5 briefs = 100 editions),
``BENCH_FORMATS`` (default ``html``; ``html,pdf`` for the full formats).
Run it with ``make bench``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START = os.environ.get("BENCH_FROM", "2024-05-01")
END = os.environ.get("BENCH_TO", "2025-12-31")
FORMATS = os.environ.get("BENCH_FORMATS", "html")


def backfill(project: Path, env: dict, workers: int, dask: bool = True) -> tuple[float, dict]:
    """Wall seconds of one backfill run, and its report."""
    cmd = [str(BIN / "briefing"), "backfill", "--from", START, "--to", END, "--format", FORMATS,
           *(["--scheduler", "local"] if dask else []), "--jobs", str(workers)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, json.loads((project / "briefs" / "_runs" / "latest.json").read_text())


def main() -> None:
    print(f"backfill {START}..{END} monthly, formats {FORMATS}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="brief-bench-backfill-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ROOT / "notebooks", project / "notebooks")
        shutil.copytree(ROOT / "data", project / "data", ignore=shutil.ignore_patterns(".*"))
        shutil.copytree(ROOT / "analysis", project / "analysis")
        env = {**os.environ, "BRIEFING_DATA": str(project / "data"), "MPLBACKEND": "Agg"}
        env.pop("BRIEFING_REGISTER", None)
        for workers in (1, 2):
            shutil.rmtree(project / "briefs", ignore_errors=True)
            wall, report = backfill(project, env, workers)
            built = [b for b in report["briefs"] if b["status"] not in ("cached", "held")]
            failed = [b for b in built if b["status"] == "failed"]
            if failed:
                sys.exit(f"{len(failed)} edition(s) failed, e.g. {failed[0]}")
            rows[workers] = {"editions": len(built), "wall": wall,
                             "build": sum(b["seconds"] for b in built) / len(built)}
            print(f"  {workers} worker(s): {len(built)} editions in {wall:.1f} s", flush=True)
        again, report = backfill(project, env, 2)
        cached = report["counts"]["cached"]
        shutil.rmtree(project / "briefs", ignore_errors=True)  # the default: local processes, forked kernels
        local, report = backfill(project, env, os.cpu_count() or 2, dask=False)
        local_built = sum(b["status"] not in ("cached", "held") for b in report["briefs"])
        print(f"  local processes: {local_built} editions in {local:.1f} s", flush=True)

    one, two = rows[1], rows[2]
    rate = {w: r["editions"] / r["wall"] * 60 for w, r in rows.items()}
    speedup = two["editions"] / two["wall"] / (one["editions"] / one["wall"])
    serial = max(one["wall"] - one["editions"] * one["build"], 0.0)  # what one worker's builds do not explain
    print()
    print(f"{'':24}{'editions':>9}{'wall s':>9}{'ed./min':>9}{'build s/ed.':>13}")
    for workers, row in rows.items():
        print(f"{f'LocalCluster, {workers} worker(s)':24}{row['editions']:>9}{row['wall']:>9.1f}"
              f"{rate[workers]:>9.1f}{row['build']:>13.2f}")
    print(f"{f'local, {os.cpu_count()} processes':24}{local_built:>9}{local:>9.1f}{local_built / local * 60:>9.1f}")
    print(f"{'no-change re-run':24}{cached:>9}{again:>9.1f}")
    print(f"\nspeed-up 1 -> 2 workers: {speedup:.2f}x; efficiency {speedup / 2:.0%} "
          f"(on {os.cpu_count()} CPUs; a worker's kernel and exporter share them with the client)")
    print(f"serial share of the 1-worker run: {serial:.1f} s of {one['wall']:.1f} s "
          f"({serial / one['editions']:.2f} s per edition: cluster start, bundle, publishing, pages)")

    # On paper: 1,000 editions, N machines of C cores, one worker per core; builds scale with the
    # measured efficiency, the client's serial share does not scale at all (Amdahl).
    n, cores, efficiency = 1000, os.cpu_count() or 2, speedup / 2
    per_edition_serial = serial / one["editions"]
    print(f"\nestimate for {n} editions (machines of {cores} cores, one worker per core, build "
          f"{one['build']:.2f} s per edition, efficiency {efficiency:.0%} per added worker, client serial "
          f"{per_edition_serial:.2f} s per edition):")
    print(f"{'machines':>9}{'workers':>9}{'minutes':>9}{'ed./min':>9}")
    for machines in (1, 2, 4, 8, 16, 32):
        workers = machines * cores
        minutes = (n * one["build"] / (workers * (efficiency if workers > 1 else 1)) + n * per_edition_serial) / 60
        print(f"{machines:>9}{workers:>9}{minutes:>9.1f}{n / minutes:>9.0f}")
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
