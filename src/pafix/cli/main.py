"""Command line: ``pafix parse | scan | rewrite | rule``. Front ends only read, render, write."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

import click

from pafix import __version__
from pafix.config import DEFAULT, Config, ConfigError, find_config, load_config
from pafix.dlp import dlp_scope
from pafix.dlp.cli_options import dlp_options, settings_from_cli
from pafix.errors import ParseError
from pafix.findings import FileResult
from pafix.report import ScanStats, render_github, render_json, render_sarif, render_text
from pafix.cli.cache import ResultCache
from pafix.cli.jobs import run_scan, tasks_of_paths
from pafix.cli.sources import expand, read_units

# The parser, the rules and the analysis are imported where they are used: a scan answered
# from the result cache needs none of them, and importing them took a third of its time.

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


def _fail(message: str) -> None:
    click.echo(f"pafix: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _LazyGroup(click.Group):
    """Subcommands in other modules (``rewrite``, ``lsp``, ``inventory``), imported when they
    are run or listed. A command whose optional dependencies are missing (``lsp`` without the
    ``lsp`` extra) is not listed."""

    lazy: dict[str, tuple[str, str]] = {
        "inventory": ("pafix.cli.inventory", "inventory_cmd"),
        "lsp": ("pafix.cli.lsp", "lsp_cmd"),
        "rewrite": ("pafix.cli.rewrite", "rewrite_cmd"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        names.update(name for name in self.lazy if self.get_command(ctx, name) is not None)
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        module_name, attr = self.lazy[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pafix")
def main() -> None:
    """Find and fix secrets leaking from Power Automate Desktop flows."""


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--tree", is_flag=True, help="Print the typed syntax tree.")
def parse_cmd(files: tuple[str, ...], tree: bool) -> None:
    """Check that FILES are valid Robin (exit 0), or list every error (exit 2)."""
    from pafix.syntax.parser import parse

    failed = False
    for unit in read_units(files):
        where = f"{unit.path}!{unit.flow}" if unit.flow else unit.path
        if unit.text is None:
            click.echo(f"{where}: error: {unit.error}", err=True)
            failed = True
            continue
        try:
            flow = parse(unit.text, where)
        except ParseError as exc:
            click.echo(f"{exc}", err=True)
            if exc.snippet:
                click.echo(exc.snippet, err=True)
            failed = True
            continue
        if tree:
            from pafix.syntax.treeprint import format_tree

            click.echo(format_tree(flow))
        else:
            click.echo(f"{where}: ok ({len(flow.body)} statements)")
    sys.exit(EXIT_ERROR if failed else EXIT_CLEAN)


def _common(f: Any) -> Any:
    f = click.option("--select", multiple=True, help="Only these rule codes or prefixes (repeatable, comma-separated).")(f)
    f = click.option("--ignore", multiple=True, help="Skip these rule codes or prefixes.")(f)
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file (pafix.toml or pyproject.toml).")(f)
    return f


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c for v in values for c in v.split(",") if c.strip()]


def load_cli_config(config_path: str | None, paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]) -> Config:
    try:
        config = resolve_config(config_path, paths)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable
    codes = _codes(select) + _codes(ignore)
    if codes:
        from pafix.rules import BY_CODE
    for code in codes:
        if not any(rule.startswith(code.upper()) for rule in BY_CODE):
            _fail(f"unknown rule code {code!r}")
    return config.with_overrides(_codes(select), _codes(ignore))


def scan_units(paths: tuple[str, ...], config: Config, progress: bool = False, *,
               jobs: int | None = 1, cache: ResultCache | None = None) -> list[FileResult]:
    """One result per unit of ``paths``, in order; ``jobs`` processes (None: one per CPU),
    results answered from ``cache`` when their key is there."""
    bar = None
    done: Any = None
    if progress:
        count = sum(1 for _ in expand(paths))
        if count > 20:
            bar = click.progressbar(length=count, label="scanning", file=sys.stderr)
            bar.__enter__()
            done = lambda _n: bar.update(1)  # noqa: E731 - one task (a file or a solution) done
    try:
        return run_scan(tasks_of_paths(paths), config, jobs=jobs, cache=cache, on_task_done=done)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@main.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when stdout is a terminal).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU; 1 scans in this process).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Result cache folder (default: $PAFIX_CACHE_DIR, $XDG_CACHE_HOME/pafix or ~/.cache/pafix).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--min-confidence", type=click.Choice(["high", "medium", "low"]), default=None,
              help="Report findings of at least this confidence (default: medium, or min-confidence in the configuration).")
@_common
@dlp_options
def scan_cmd(paths: tuple[str, ...], fmt: str, output: str | None, color: bool | None,
             select: tuple[str, ...], ignore: tuple[str, ...], config_path: str | None,
             dlp_policies: tuple[str, ...] = (), dlp_action_ids: str | None = None,
             jobs: int | None = None, cache_dir: str | None = None, no_cache: bool = False,
             min_confidence: str | None = None) -> None:
    """Scan flows (.robin/.txt files, folders, solution .zip files and unpacked solutions).

    Every finding has a confidence (high, medium, low); by default high and medium ones are
    reported, and the exit code counts only what is reported."""
    config = load_cli_config(config_path, paths, select, ignore).with_min_confidence(min_confidence)
    dlp = settings_from_cli(dlp_policies, dlp_action_ids)
    started = time.perf_counter()
    with dlp_scope(dlp):  # check_units has no dlp parameter: the policies reach check_flow this way
        results = scan_units(paths, config, progress=sys.stderr.isatty() and fmt == "text", jobs=jobs,
                             cache=None if no_cache else ResultCache(cache_dir))
    stats = ScanStats(len({r.path for r in results}), sum(r.lines for r in results), time.perf_counter() - started)
    if fmt == "json":
        text = render_json(results, stats, tool_version=__version__)
    elif fmt == "sarif":
        from pafix.rules import RULES

        rules = {r.code: r.info() for r in RULES}
        text = render_sarif(results, rules, tool_version=__version__, root=Path.cwd())
    elif fmt == "github":
        text = render_github(results)
    else:
        use_color = color if color is not None else (output is None and sys.stdout.isatty())
        text = render_text(results, stats, color=use_color)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    if any(r.errors for r in results):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if any(r.findings for r in results) else EXIT_CLEAN)


@main.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
def rule_cmd(code: str | None, show_all: bool) -> None:
    """Show the documentation of rule CODE (or list the rules)."""
    from pafix.rules import BY_CODE, RULES

    if code is None or show_all:
        for rule in RULES:
            info = rule.info()
            click.echo(f"{info.code}  {info.name:<36} {info.severity:<8} {info.summary}")
        return
    rule_cls = BY_CODE.get(code.upper())
    if rule_cls is None:
        _fail(f"unknown rule code {code!r}; run 'pafix rule' for the list")
        return
    click.echo(render_rule_doc(rule_cls.info()))


def render_rule_doc(info: Any) -> str:
    fix = {"safe": "safe fix", "unsafe": "unsafe fix", None: "no automatic fix"}[info.fix_safety]
    return f"# {info.code} {info.name}\n\nDefault severity: {info.severity}; {fix}.\n\n{info.doc}\n"


if __name__ == "__main__":  # pragma: no cover
    main()
