"""The ``briefing`` command line: validate data, render briefs, inspect the catalog.

Exit codes: 0 all good; 1 some briefs failed; 2 invalid data or usage
(nothing rendered).  Heavy imports stay inside the commands so ``--help`` is
instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import BriefingError


class _Group(click.Group):
    """Map package errors to their exit codes and a one-screen message."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BriefingError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="peninsula-briefs")
def main():
    """Sourced, dated briefs on the Korean peninsula, rendered from notebooks.

    \b
    Example:
      briefing validate
      briefing render --as-of 2024-06-30 01-dprk-russia-alliance
    """
    import logging

    logging.basicConfig(level=logging.WARNING, format="note: %(message)s")


def _run_options(command):
    """The options of a run that render and backfill share: lock wait, timeout, Dask scheduler."""
    for option in reversed([
        click.option("--timeout", default=600, show_default=True, type=click.IntRange(min=1),
                     help="Per-cell execution timeout in seconds."),
        click.option("--wait", default=0.0, show_default=True, type=float,
                     help="Seconds to wait for another run's lock before giving up."),
        click.option("--scheduler", metavar="ADDRESS", help="Build on a Dask cluster: its scheduler "
                     "(tcp://host:8786), or 'local' for a LocalCluster of --jobs workers. Default: local processes."),
    ]):
        command = option(command)
    return command


@main.command()
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder (default: the project's data/).")
def validate(data):
    """Check every shared table against data/datapackage.json, and the analysts' register.

    The register is analysis/judgments/ beside the data folder. Reports all
    problems at once, one per line as file:row: column: value: rule (a
    register problem: file:line: field: value: rule), and exits 2 if there is any.

    \b
    Example:
      briefing validate
      briefing validate --data tests/fixtures/data/bad_date
    """
    from .errors import DataValidationError
    from .validate import check

    try:  # remembered for these exact bytes: `make briefs` validates, then render finds it done
        check(data)
        problems = []
    except DataValidationError as err:
        problems = err.problems
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found; nothing was rendered.", err=True)
        sys.exit(2)
    click.echo("data valid")


def _root() -> Path:
    """Project folder: the nearest one above the working directory with notebooks/catalog.yml."""
    for base in (Path.cwd(), *Path.cwd().parents):
        if (base / "notebooks" / "catalog.yml").is_file():
            return base
    raise click.UsageError("no notebooks/catalog.yml here or above; run from the project folder")


def _key_values(pairs) -> dict:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not name=value", param_hint="-p")
        values[name.strip()] = value
    return values


@main.command()
@click.argument("names", nargs=-1)
@click.option("--as-of", help="Edition date YYYY-MM-DD (or 'today'): renders each brief's current edition as known on that day.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a declared parameter (parsed as its declared type). Repeatable.")
@click.option("--format", "formats", help="Comma-separated formats: html,pdf (default: the catalog's).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parallel builds (default: CPU count).")
@click.option("--force", is_flag=True, help="Re-render drafts and new editions even when nothing changed "
              "(a published edition is never replaced: see --revise).")
@click.option("--revise", is_flag=True, help="Publish a marked revision of each published edition whose inputs "
              "changed (the original stays reachable).")
@click.option("--publish", "publish_drafts", is_flag=True,
              help="Publish ad-hoc parameters (another date or marking) as an edition instead of a draft.")
@_run_options
def render(names, as_of, params, formats, jobs, force, revise, publish_drafts, timeout, wait, scheduler):
    """Execute and publish briefs into briefs/ (HTML, PDF, index, run report).

    Validates the data and every parameter set first; renders only what is
    new or changed.  A published edition never changes in silence: when its
    inputs change it is held as readers saw it until --revise publishes a
    marked revision beside it.  Parameters that are not a catalog edition (or
    today's scheduled edition) render as drafts under briefs/_drafts/, off the
    public index.  Each TLP marking has its own place (briefs/_tlp-amber/...):
    no render replaces an edition of another marking.
    Exit 0 all good, 1 some briefs failed (their last good edition stays), 2
    invalid data or usage.

    \b
    Example:
      briefing render
      briefing render 01-dprk-russia-alliance --as-of 2024-06-30 --format html
      briefing render --as-of today -p marking=TLP:GREEN --jobs 2
      briefing render --revise
      briefing render --scheduler tcp://scheduler.example:8786
    """
    from datetime import date

    from .render import render as run

    overrides = _key_values(params)
    if as_of:
        overrides["as_of"] = date.today().isoformat() if as_of == "today" else as_of
    with _Progress() as progress:
        report = run(_root(), names, overrides=overrides, formats=_formats(formats), jobs=jobs, force=force,
                     revise=revise, publish_drafts=publish_drafts, timeout=timeout, wait=wait, scheduler=scheduler,
                     on_plan=progress.plan, on_result=progress.result)
    _summary(report)


@main.command()
@click.argument("names", nargs=-1)
@click.option("--from", "start", required=True, metavar="DATE", help="First day of the series (YYYY-MM-DD).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day of the series (YYYY-MM-DD or 'today').")
@click.option("--every", type=click.Choice(["month", "week"]), default="month", show_default=True,
              help="One edition per month end, or per week (Sundays).")
@click.option("--format", "formats", help="Comma-separated formats: html,pdf (default: the catalog's).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parallel builds (default: CPU count).")
@click.option("--revise", is_flag=True, help="Publish a marked revision of each published edition whose inputs "
              "changed (the original stays reachable).")
@_run_options
def backfill(names, start, end, every, formats, jobs, revise, timeout, wait, scheduler):
    """Render each brief's series of editions as known on each date from --from to --to.

    One edition per month end (or per Sunday with --every week), each as known
    on its date, its previous edition the series' previous date.  They are
    published as regular editions, as render publishes catalog editions: the
    same cache (an unchanged edition is not rebuilt), the same rule that a
    published edition is never replaced (--revise), and the history pages
    fill from them.  A date with nothing on record yet is kept as a draft.

    \b
    Example:
      briefing backfill --from 2022-03-01 --to 2025-12-31
      briefing backfill --from 2024-01-01 --to today --every week 01-dprk-russia-alliance --format html
      briefing backfill --from 2022-03-01 --to today --scheduler tcp://scheduler.example:8786
    """
    from datetime import date

    from .render import backfill as run

    end = date.today().isoformat() if end == "today" else end
    with _Progress() as progress:
        report = run(_root(), names, start=start, end=end, every=every, formats=_formats(formats), jobs=jobs,
                     revise=revise, timeout=timeout, wait=wait, scheduler=scheduler, on_plan=progress.plan,
                     on_result=progress.result)
    _summary(report)


def _formats(formats: str | None) -> tuple[str, ...] | None:
    return tuple(f.strip() for f in formats.split(",") if f.strip()) if formats is not None else None


def _summary(report: dict) -> None:
    c = report["counts"]
    extra = "".join(f", {c[k]} {k}" for k in ("revised", "draft", "held") if c[k])
    click.echo(f"{c['ok']} rendered, {c['cached']} unchanged, {c['failed']} failed{extra} "
               f"in {report['seconds']:.1f} s; see briefs/index.html and briefs/_runs/latest.json")
    if c["held"]:
        click.echo(f"{c['held']} published edition(s) held: their inputs changed; `briefing render --revise` "
                   "publishes marked revisions", err=True)
    sys.exit(report["exit_code"])


class _Progress:
    """A rich progress bar on a terminal, plain log lines otherwise."""

    def __enter__(self):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.bar = None
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
        return self

    def plan(self, entries):
        queued = sum(e["status"] == "queued" for e in entries)
        if self.bar:
            self.task = self.bar.add_task("rendering", total=len(entries))
        else:
            click.echo(f"{len(entries)} edition(s): {queued} to render, {len(entries) - queued} unchanged", err=True)

    def result(self, entry):
        where = ("" if entry.get("marking", "TLP:CLEAR") == "TLP:CLEAR" else f" [{entry['marking']}]") + (
            " (draft)" if entry.get("draft") else "")
        line = f"{entry['status']:>6}  {entry['brief']}@{entry['as_of']}{where}  {entry['seconds']:.1f}s"
        if error := entry.get("error"):
            line += f"  cell {error['cell']}: {error['ename']}: {error['evalue'][:200]}"
        if note := entry.get("note"):
            line += f"  ({note})"
        if self.bar:
            self.bar.advance(self.task)
            self.bar.console.print(line, highlight=False, markup=False)
        else:
            click.echo(line, err=True)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


@main.command("list")
def list_():
    """List the briefs and editions in notebooks/catalog.yml.

    \b
    Example:
      briefing list
    """
    from .render import plan

    for edition in plan(_root()):
        click.echo(f"{edition.slug:32} {edition.name:12} as_of={edition.as_of}  "
                   f"{','.join(edition.formats)}  {edition.notebook.name}")


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def params(notebook):
    """Show the parameters NOTEBOOK declares (name, type, default, help).

    \b
    Example:
      briefing params notebooks/01-dprk-russia-alliance.ipynb
    """
    from .params import declared

    for p in declared(notebook).values():
        click.echo(f"{p.name}: {p.type} = {p.default!r}" + (f"  # {p.help}" if p.help else ""))


@main.command()
@click.argument("names", nargs=-1)
def refresh(names):
    """Re-execute notebooks in place with their defaults, for review and commit.

    Use after an intended change to data or code: the stored outputs (which
    nbval compares) are rebuilt; review the diff, then commit.

    \b
    Example:
      briefing refresh
      briefing refresh 02-seoul-response
    """
    from .notebooks import refresh as run

    for path, seconds in run(_root() / "notebooks", names):
        click.echo(f"refreshed {path.name} in {seconds:.1f} s")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a notebook would change.")
def clean(paths, check):
    """Strip execution noise and chart images from notebooks (outputs stay).

    What `refresh` does after executing, for a notebook saved from JupyterLab;
    the pre-commit hook runs it with --check.

    \b
    Example:
      briefing clean notebooks/01-dprk-russia-alliance.ipynb
    """
    import nbformat

    from .notebooks import clean as tidy

    dirty = []
    for path in paths or sorted((_root() / "notebooks").glob("*.ipynb")):
        before = path.read_text(encoding="utf-8")
        after = nbformat.writes(tidy(nbformat.reads(before, as_version=4))) + "\n"
        if after != before:
            dirty.append(path)
            if not check:
                path.write_text(after, encoding="utf-8")
    for path in dirty:
        click.echo(f"{'would clean' if check else 'cleaned'} {path}")
    sys.exit(1 if check and dirty else 0)


@main.command()
@click.argument("slug")
@click.option("--theme", default="inter_korean", show_default=True,
              help="Event theme the brief follows (a code of events.theme in data/datapackage.json).")
def new(slug, theme):
    """Scaffold brief SLUG (NN-topic): notebook, theme module, test, catalog entry.

    The brief is marked 'draft: true' in notebooks/catalog.yml, so it is never
    rendered with the others until its placeholders are replaced and the flag
    is removed.

    \b
    Example:
      briefing new 05-china-factor --theme inter_korean
    """
    from .scaffold import scaffold

    root = _root()
    for path in scaffold(root, slug, theme):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"next: write the analysis in the theme module, `briefing refresh {slug}`, `make test`; "
               "remove 'draft: true' from the catalog when no placeholder is left")


@main.command()
@click.option("--keep", default=10, show_default=True, type=click.IntRange(min=1),
              help="Editions to keep per brief (newest as_of first).")
def prune(keep):
    """Delete old editions, keeping the newest KEEP of each brief.

    Editions named in notebooks/catalog.yml are always kept.

    \b
    Example:
      briefing prune --keep 5
    """
    from .index import areas, write_index
    from .publish import locked, read_json
    from .publish import prune as run
    from .render import plan

    root = _root()
    briefs = root / "briefs"
    protect = {e.folder.as_posix() for e in plan(root)}
    with locked(briefs):
        removed = [folder for area in areas(briefs) for folder in run(briefs, keep, protect, area)]
        write_index(briefs, read_json(briefs / "_runs" / "latest.json"))
    for folder in removed:
        click.echo(f"removed {folder}")
    click.echo(f"{len(removed)} edition(s) removed")


if __name__ == "__main__":  # pragma: no cover
    main()
