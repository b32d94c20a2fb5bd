"""``pafix access``: the access plan of each desktop flow (see :mod:`pafix.access.plan`)."""

from __future__ import annotations

import click

from pafix.access.plan import plan_paths, to_csv, to_json, to_text
from pafix.cli.sources import expand, read_file_unit
from pafix.cli.inventory import emit


@click.command("access")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the plan to a file instead of stdout.")
def access_cmd(paths: tuple[str, ...], fmt: str, output: str | None) -> None:
    """For each desktop flow, every component it needs (child flows followed), the Dataverse
    table and privilege a person who runs it needs, and which security roles of the solution
    grant it: the checklist before sharing a flow. Exit 2 if a flow or a role cannot be read."""
    plans, errors = plan_paths(expand(paths), read_file_unit)
    emit({"json": to_json, "csv": to_csv}.get(fmt, to_text)(plans), output, errors)
