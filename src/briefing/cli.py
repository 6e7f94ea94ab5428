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


@main.command()
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder (default: the project's data/).")
def validate(data):
    """Check every shared table against data/datapackage.json.

    Reports all problems at once, one per line as file:row: column: value: rule,
    and exits 2 if there is any.

    \b
    Example:
      briefing validate
      briefing validate --data tests/fixtures/data/bad_date
    """
    from .validate import validate as run

    problems = run(data)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found; nothing was rendered.", err=True)
        sys.exit(2)
    click.echo("data valid")


if __name__ == "__main__":  # pragma: no cover
    main()
