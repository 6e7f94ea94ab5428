"""Benchmark: render the whole catalog cold, against the naive per-notebook loop.

Prints, in one run, on a throwaway copy of the project:

- naive loop: per edition, the ``papermill`` CLI, ``jupyter nbconvert --to html
  --no-input`` CLI and a PDF of that HTML with the ``weasyprint`` CLI;
- ``briefing render --force`` cold (fresh process, empty briefs/), HTML + PDF;
- ``briefing render`` again with nothing changed;
- peak memory of each (resident memory summed over the whole process tree,
  kernels included, sampled every 20 ms).

Targets (issue "brief production"): cold <= 0.3 x naive; no-change re-run
< 1 s and < 5% of cold; peak < 1 GiB (issue 14: cold <= 0.2 x naive).  Run it
with ``make bench``.

``--baseline SRC`` also renders cold with the package found in ``SRC`` (e.g. a
``git archive main src`` of the code before a change), right after the current
code, on the same copy and under the same load, so a change can be measured
back to back.  The system load average is printed at the start and the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode not in (0,):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return time.perf_counter() - start, peak / 2**20


def main() -> None:
    import argparse

    from briefing.render import plan

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a src/ folder to render with too, for comparison")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    with tempfile.TemporaryDirectory(prefix="brief-bench-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ROOT / "notebooks", project / "notebooks")
        shutil.copytree(ROOT / "data", project / "data", ignore=shutil.ignore_patterns(".*"))
        env = {**os.environ, "BRIEFING_DATA": str(project / "data"), "MPLBACKEND": "Agg"}
        os.environ["BRIEFING_DATA"] = env["BRIEFING_DATA"]
        editions = plan(project)
        print(f"catalog: {len(editions)} editions of {len({e.slug for e in editions})} briefs, HTML + PDF, "
              f"{os.cpu_count()} CPUs")

        naive_dir = Path(tmp) / "naive"
        naive_dir.mkdir()
        naive, naive_peak = 0.0, 0.0
        for e in editions:
            stem = naive_dir / f"{e.slug}-{e.as_of}"
            params = [arg for name, value in e.parameters.items() for arg in ("-p", name, str(value))]
            steps = [[str(BIN / "papermill"), str(e.notebook), f"{stem}.ipynb", *params,
                      "--cwd", str(e.notebook.parent), "--no-progress-bar"],
                     [str(BIN / "jupyter-nbconvert"), "--to", "html", "--no-input", f"{stem}.ipynb"],
                     [str(BIN / "weasyprint"), f"{stem}.html", f"{stem}.pdf"]]
            for cmd in steps:
                seconds, peak = run(cmd, project, env)
                naive += seconds
                naive_peak = max(naive_peak, peak)

        if args.baseline:  # first, on its own fresh copy (same data, empty briefs/)
            shutil.copytree(project, Path(tmp) / "baseline")
            base_env = {**env, "PYTHONPATH": str(args.baseline.resolve()),
                        "BRIEFING_DATA": str(Path(tmp) / "baseline" / "data")}
            base, base_peak = run([str(BIN / "briefing"), "render", "--force"], Path(tmp) / "baseline", base_env)
        cold, cold_peak = run([str(BIN / "briefing"), "render", "--force"], project, env)
        rerun, rerun_peak = run([str(BIN / "briefing"), "render"], project, env)

    print(f"naive loop (papermill + nbconvert + weasyprint CLIs): {naive:7.1f} s   peak {naive_peak:6.0f} MiB")
    print(f"briefing render, cold:                               {cold:7.1f} s   peak {cold_peak:6.0f} MiB")
    if args.baseline:
        print(f"baseline ({args.baseline}) render, cold:   {base:7.1f} s   peak {base_peak:6.0f} MiB   "
              f"(cold / naive = {base / naive:.2f}; this code {cold / base:.2f} x baseline)")
    print(f"briefing render, nothing changed:                    {rerun:7.2f} s   peak {rerun_peak:6.0f} MiB")
    n = len(editions)
    print(f"per edition: naive {naive / n:.2f} s, cold {cold / n:.2f} s; "
          f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"cold / naive = {cold / naive:.2f} (target <= 0.20)   re-run / cold = {100 * rerun / cold:.1f}% "
          f"(target < 5%, < 1 s)   peak {cold_peak / 1024:.2f} GiB (target < 1 GiB)")


if __name__ == "__main__":
    main()
