"""What every command shares: its exit codes, the configuration it runs with (``--config``,
``--select``, ``--ignore``) and how it fails on a usage error. Both :mod:`pafix.cli.main` and the
commands in their own modules import it, so no command module imports :mod:`pafix.cli.main`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pafix.config import DEFAULT, Config, ConfigError, find_config, load_config

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def resolve_config(config_path: str | None, paths: tuple[str, ...]) -> Config:
    """An explicit ``--config``, else the nearest ``pafix.toml`` / ``[tool.pafix]`` above the
    first path (or the current folder)."""
    if config_path:
        return load_config(Path(config_path))
    start = Path(paths[0]) if paths else Path.cwd()
    try:
        usable = start.exists()  # raises PermissionError under a folder we may not search
    except OSError:
        usable = False
    found = find_config(start if usable else Path.cwd())
    return load_config(found) if found else DEFAULT


def fail(message: str) -> None:
    click.echo(f"pafix: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c for v in values for c in v.split(",") if c.strip()]


def load_cli_config(config_path: str | None, paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]) -> Config:
    try:
        config = resolve_config(config_path, paths)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable
    codes = _codes(select) + _codes(ignore)
    if codes:
        from pafix.rules import BY_CODE
    for code in codes:
        if not any(rule.startswith(code.upper()) for rule in BY_CODE):
            fail(f"unknown rule code {code!r}")
    return config.with_overrides(_codes(select), _codes(ignore))


__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "fail", "load_cli_config", "resolve_config"]
