"""The ``--dlp-policy`` / ``--dlp-action-ids`` options of ``pafix scan``, kept out of cli.py."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from pafix.dlp import load_settings

if TYPE_CHECKING:
    from pafix.dlp.evaluate import DlpSettings


def dlp_options(f: Any) -> Any:
    f = click.option(
        "--dlp-action-ids", "dlp_action_ids", type=click.Path(dir_okay=False),
        help="JSON map of Robin action names to DLP actionIds (UNVERIFIED default: Module.Action.Variant -> Action).",
    )(f)
    f = click.option(
        "--dlp-policy", "dlp_policies", multiple=True, type=click.Path(dir_okay=False),
        help="DLP policy JSON (Get-DlpPolicy or admin API v2); repeatable. Enables the PAF3xx rules.",
    )(f)
    return f


def settings_from_cli(policies: tuple[str, ...], action_ids: str | None) -> DlpSettings | None:
    """The DLP settings, or exit 2 with a one-line error naming the bad file."""
    if action_ids and not policies:
        click.echo("pafix: error: --dlp-action-ids needs at least one --dlp-policy", err=True)
        sys.exit(2)
    if not policies:
        return None
    from pafix.dlp.policy import DlpPolicyError  # (a scan without a policy reads none)

    try:
        return load_settings(policies, action_ids)
    except DlpPolicyError as exc:
        click.echo(f"pafix: error: {exc}", err=True)
        sys.exit(2)
