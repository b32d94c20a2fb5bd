"""``pafix inventory``: the components each flow references (see :mod:`pafix.access.inventory`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from pafix.access.inventory import InventoryError, inventory_paths, to_csv, to_json, to_text
from pafix.cli.sources import expand, read_file_unit

EXIT_CLEAN, EXIT_ERROR = 0, 2


@click.command("inventory")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the inventory to a file instead of stdout.")
def inventory_cmd(paths: tuple[str, ...], fmt: str, output: str | None) -> None:
    """List what each flow references (child flows, work queues, credentials, UI elements,
    custom actions, connection references), the Dataverse table that governs access to it,
    and the DLP action groups the flow uses. Exit 2 if a flow cannot be read."""
    flows, errors = inventory_paths(expand(paths), read_file_unit)
    emit({"json": to_json, "csv": to_csv}.get(fmt, to_text)(flows), output, errors)


def emit(text: str, output: str | None, errors: Sequence[InventoryError]) -> None:
    """Write a report to ``output`` or stdout, the errors to stderr, and exit (2 on errors)."""
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)
    for err in errors:
        where = f"{err.path}!{err.flow}" if err.flow else err.path
        click.echo(f"pafix: error: {where}: {err.message}", err=True)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)
