"""``pafix access``: the access plan of each desktop flow (see :mod:`pafix.access.plan`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pafix.access.plan import plan_paths, to_csv, to_json, to_text

EXIT_CLEAN, EXIT_ERROR = 0, 2


@click.command("access")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the plan to a file instead of stdout.")
def access_cmd(paths: tuple[str, ...], fmt: str, output: str | None) -> None:
    """For each desktop flow, every component it needs (child flows followed), the Dataverse
    table and privilege a person who runs it needs, and which security roles of the solution
    grant it: the checklist before sharing a flow. Exit 2 if a flow or a role cannot be read."""
    plans, errors = plan_paths(paths)
    text = {"json": to_json, "csv": to_csv}.get(fmt, to_text)(plans)
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)
    for err in errors:
        where = f"{err.path}!{err.flow}" if err.flow else err.path
        click.echo(f"pafix: error: {where}: {err.message}", err=True)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)
