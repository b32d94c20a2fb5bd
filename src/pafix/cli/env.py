"""``pafix env``: a Dataverse environment's audit settings, broad roles, desktop flows, who they
are shared with and the access gaps of the shared ones — read-only (see
:mod:`pafix.access.online`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from pafix.access.auth import AUTH_METHODS
from pafix.access.dataverse import DEFAULT_TIMEOUT, DataverseError
from pafix.cli.options import EXIT_ERROR, load_cli_config


@click.command("env")
@click.option("--url", required=True, metavar="URL", help="The environment: https://ORG.crm.dynamics.com.")
@click.option("--auth", "auth", type=click.Choice(AUTH_METHODS), default="default", show_default=True,
              help="How to sign in: Azure CLI login, device code, a service principal from the AZURE_* "
                   "environment variables, or azure-identity's default chain. Never a secret on the command line.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--max-access-checks", type=click.IntRange(min=0), default=500, show_default=True,
              help="At most this many RetrievePrincipalAccess questions (access gaps of shared flows).")
@click.option("--select", multiple=True, help="Only these rule codes or prefixes.")
@click.option("--ignore", multiple=True, help="Skip these rule codes or prefixes.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (2 still means an error).")
def env_cmd(url: str, auth: str, fmt: str, output: str | None, timeout: float, max_access_checks: int,
            select: tuple[str, ...], ignore: tuple[str, ...], config_path: str | None, exit_zero: bool) -> None:
    """Read a Dataverse environment (GET only, nothing is changed): auditing of the environment
    and of the automation tables, roles with Global access to them, desktop flows with their
    owners and sharees, and the components shared flows reference that their users cannot read.

    Exit codes: 0 clean, 1 findings, 2 usage, sign-in or read error.
    """
    from pafix.access.auth import connect
    from pafix.access.env_check import environment_results, summary, summary_text
    from pafix.access.online import read_environment
    from pafix.cli import scan_options as so
    from pafix.cli.main import _render
    from pafix.report import ScanStats

    config = load_cli_config(config_path, (".",), select, ignore)
    started = time.perf_counter()
    try:
        with connect(url, auth, timeout=timeout) as client:
            state = read_environment(client, max_checks=max_access_checks)
    except DataverseError as exc:
        click.echo(f"pafix: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    results = environment_results(state, config)
    stats = ScanStats(len(results), 0, time.perf_counter() - started)
    extra = {"environment": summary(state)}
    text = _render(fmt, results, stats, output=output, color=False if output else None, quiet=False,
                   show_fixes=False, statistics=False, marks=None, extra=extra)
    if fmt == "text":
        text = summary_text(state) + "\n" + text
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    sys.exit(so.exit_code(results, fail_on="note", exit_zero=exit_zero))

