"""One render requested from the JupyterLab page (:mod:`briefing.lab`), in its own process.

``python -m briefing.labjob SPEC.json`` calls :func:`briefing.render.render`,
the same function ``briefing render`` calls, with the checked values of the
form, and keeps a small JSON state file up to date for the page to show:
``validating`` → ``rendering`` (with one entry per edition as it finishes) →
``done`` (the run report) or ``error`` (the one-line message the CLI prints).

A process of its own keeps the server responsive and out of the way of the
render's forked build processes; the publish lock keeps it apart from any
other render, from the page or the terminal.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .errors import BriefingError
from .publish import write_atomic


def run(spec: dict) -> int:
    """Render what ``spec`` asks for; write progress and outcome to ``spec['state']``; return the exit code."""
    from .render import render

    path, clock = Path(spec["state"]), time.perf_counter()
    state: dict = {"state": "validating", "entries": [], "error": None, "report": None, "seconds": 0.0}

    def save(**changes) -> None:
        state.update(changes, seconds=round(time.perf_counter() - clock, 2))
        write_atomic(path, json.dumps(state))

    def planned(entries: list[dict]) -> None:
        save(state="rendering", entries=entries)

    def finished(entry: dict) -> None:
        key = (entry["brief"], entry["edition"])
        save(entries=[entry if (e["brief"], e["edition"]) == key else e for e in state["entries"]])

    save()
    try:
        report = render(Path(spec["root"]), (spec["brief"],), overrides=spec["overrides"],
                        formats=tuple(spec["formats"]), jobs=1, publish_drafts=spec["publish"],
                        on_plan=planned, on_result=finished)
    except BriefingError as err:
        save(state="error", error=str(err))
        return getattr(err, "exit_code", 1)
    except Exception as err:  # shown on the page; the traceback goes to the job's log
        import traceback

        traceback.print_exc()
        save(state="error", error=f"{type(err).__name__}: {err}")
        return 1
    save(state="done", report=report, entries=report["briefs"])
    return report["exit_code"]


if __name__ == "__main__":
    sys.exit(run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
