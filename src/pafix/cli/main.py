"""Command line: ``pafix parse | scan | rewrite | rule``. Front ends only read, render, write."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

import click

from pafix import __version__
from pafix.config import Config
from pafix.dlp import dlp_scope
from pafix.dlp.cli_options import dlp_options, settings_from_cli
from pafix.errors import ParseError
from pafix.findings import FileResult
from pafix.report.json_format import render_json
from pafix.report.results import ScanStats
from pafix.report.text import render_text
from pafix.cli.cache import ResultCache
from pafix.cli.jobs import run_scan, tasks_of_paths
from pafix.cli.options import EXIT_CLEAN, EXIT_ERROR, fail, load_cli_config
from pafix.cli.sources import expand, read_units

# The parser, the rules and the analysis are imported where they are used: a scan answered
# from the result cache needs none of them, and importing them took a third of its time.


class _LazyGroup(click.Group):
    """Subcommands in other modules (``rewrite``, ``lsp``, ``inventory``), imported when they
    are run or listed. A command whose optional dependencies are missing (``lsp`` without the
    ``lsp`` extra) is not listed."""

    lazy: dict[str, tuple[str, str]] = {
        "access": ("pafix.cli.access", "access_cmd"),
        "env": ("pafix.cli.env", "env_cmd"),
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
    found: list[Path] = []  # the solution exports among the paths, met while the tasks are made
    try:
        results = run_scan(tasks_of_paths(paths, found), config, jobs=jobs, cache=cache, on_task_done=done)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    unreadable = {r.path for r in results if r.errors and r.flow is None}  # already reported once
    return results + _metadata_results(found, config, unreadable)


def _metadata_results(found: list[Path], config: Config, skip: set[str]) -> list[FileResult]:
    """The solution-metadata rules (PAF4xx: roles, table audit) on each solution export that
    could be read; imported only when there is one (they load the rules)."""
    solutions = [str(p) for p in found if str(p) not in skip]
    if not solutions:
        return []
    from pafix.solutions.metadata_check import metadata_results

    return metadata_results(solutions, config)


#: ``scan --format`` values; a new format adds its name here and its renderer in ``_render``
SCAN_FORMATS = ["text", "json", "sarif", "github", "html"]


@main.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(SCAN_FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when stdout is a terminal).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU; 1 scans in this process).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Result cache folder (default: $PAFIX_CACHE_DIR, $XDG_CACHE_HOME/pafix or ~/.cache/pafix).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--min-confidence", type=click.Choice(["high", "medium", "low"]), default=None,
              help="Report findings of at least this confidence (default: medium, or min-confidence in the configuration).")
@click.option("--stdin-filename", metavar="NAME",
              help="With PATH '-': the name of the flow read from stdin (shown in the output, used to find the configuration).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (2 still means an error).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default="note", show_default=True,
              help="The lowest severity that makes the exit code 1 (default: any finding).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings (text or json).")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary, no notes on stderr.")
@click.option("--show-fixes", is_flag=True, help="Text format: show the fix offered under each finding.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline file (see --write-baseline).")
@click.option("--include-baseline", is_flag=True,
              help="With --baseline: report the baseline's findings too (SARIF marks them 'unchanged'); only new ones fail.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False),
              help="Record every finding in this baseline file and exit 0 (2 when a flow could not be read).")
@_common
@dlp_options
def scan_cmd(paths: tuple[str, ...], fmt: str, output: str | None, color: bool | None,
             select: tuple[str, ...], ignore: tuple[str, ...], config_path: str | None,
             dlp_policies: tuple[str, ...] = (), dlp_action_ids: str | None = None,
             jobs: int | None = None, cache_dir: str | None = None, no_cache: bool = False,
             stdin_filename: str | None = None, exit_zero: bool = False, fail_on: str = "note",
             statistics: bool = False, quiet: bool = False, show_fixes: bool = False,
             baseline_file: str | None = None, include_baseline: bool = False,
             write_baseline_file: str | None = None, min_confidence: str | None = None) -> None:
    """Scan flows (.robin/.txt files, folders, solution .zip files and unpacked solutions).

    PATH '-' reads one flow's text from stdin (name it with --stdin-filename).
    Exit codes: 0 clean, 1 findings (at or above --fail-on; new ones with --baseline),
    2 usage, configuration, read or parse error.
    Every finding has a confidence (high, medium, low); by default high and medium ones are
    reported (--min-confidence), and the exit code counts only what is reported.
    """
    from pafix.cli import scan_options as so

    if "-" in paths and len(paths) > 1:
        raise click.UsageError("'-' (stdin) must be the only PATH")
    if stdin_filename is not None and paths != ("-",):
        raise click.UsageError("--stdin-filename needs PATH '-'")
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError("--statistics works with --format text or json")
    if write_baseline_file and (baseline_file or include_baseline):
        raise click.UsageError("--write-baseline excludes --baseline and --include-baseline")
    if include_baseline and not baseline_file:
        raise click.UsageError("--include-baseline needs --baseline")
    from_stdin = paths == ("-",)
    config_start = (so.stdin_config_start(stdin_filename or "-"),) if from_stdin else paths
    config = load_cli_config(config_path, config_start, select, ignore).with_min_confidence(min_confidence)
    baseline = None
    if baseline_file:  # (its module reads solution manifests: not imported by every scan)
        from pafix.cli.baseline import read_baseline_option

        baseline = read_baseline_option(baseline_file)
    dlp = settings_from_cli(dlp_policies, dlp_action_ids)
    started = time.perf_counter()
    with dlp_scope(dlp):  # check_units has no dlp parameter: the policies reach check_flow this way
        if from_stdin:
            try:
                unit = so.stdin_unit(stdin_filename or "-")
            except so.StdinError as exc:
                raise click.UsageError(str(exc)) from None
            results = run_scan([unit], config, jobs=1, cache=None)
        else:
            results = scan_units(paths, config, progress=sys.stderr.isatty() and fmt == "text" and not quiet,
                                 jobs=jobs, cache=None if no_cache else ResultCache(cache_dir))
    stats = ScanStats(len({r.path for r in results}), sum(r.lines for r in results), time.perf_counter() - started)
    if write_baseline_file:
        sys.exit(_write_baseline(write_baseline_file, results, quiet))
    marks = None
    extra: dict[str, Any] = {}
    if baseline is not None and baseline_file:
        from pafix.cli.baseline import apply_baseline

        applied = apply_baseline(results, baseline, baseline_file, include=include_baseline)
        comparison = applied.comparison
        results, marks = applied.results, applied.marks
        extra["baseline"] = {"file": baseline_file, "new": comparison.new, "unchanged": comparison.unchanged,
                             "absent": len(comparison.absent)}
        if fmt == "text" and not quiet:
            click.echo(so.baseline_summary(comparison.new, comparison.unchanged, len(comparison.absent), baseline_file),
                       err=True)
        # the exit code counts new findings only, even when the old ones are shown
        failing = _only_new(results, marks) if include_baseline else results
    else:
        failing = results
    text = _render(fmt, results, stats, output=output, color=color, quiet=quiet, show_fixes=show_fixes,
                   statistics=statistics, marks=marks, extra=extra, paths=paths)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    sys.exit(so.exit_code(failing, fail_on=fail_on, exit_zero=exit_zero))  # type: ignore[arg-type]


def _write_baseline(path: str, results: list[FileResult], quiet: bool) -> int:
    from pafix.cli.baseline import write_baseline

    for result in results:
        for error in result.errors:
            where = f"{result.path}!{error.flow or result.flow}" if (error.flow or result.flow) else result.path
            click.echo(f"{where}: error: {error.message}", err=True)
    try:
        count = write_baseline(path, results)
    except OSError as exc:
        fail(f"{path}: cannot write the baseline ({exc.strerror or type(exc).__name__})")
    if not quiet:
        click.echo(f"wrote {count} finding(s) to the baseline {path}", err=True)
    return EXIT_ERROR if any(r.errors for r in results) else EXIT_CLEAN


def _only_new(results: list[FileResult], marks: Any) -> list[FileResult]:
    from dataclasses import replace

    from pafix.report.results import finding_flow

    return [replace(r, findings=tuple(f for f in r.findings
                                      if marks.states.get((r.path, finding_flow(r, f), f.fingerprint)) != "unchanged"))
            for r in results]


def _render(fmt: str, results: list[FileResult], stats: ScanStats, *, output: str | None, color: bool | None,
            quiet: bool, show_fixes: bool, statistics: bool, marks: Any, extra: dict[str, Any],
            paths: tuple[str, ...] = ()) -> str:
    if statistics:
        from pafix.report.statistics import render_statistics_text, statistics_json

        if fmt == "json":
            return render_json(results, stats, tool_version=__version__,
                               extra={**extra, "statistics": statistics_json(results)})
        return render_statistics_text(results)
    if fmt == "json":
        return render_json(results, stats, tool_version=__version__, extra=extra)
    if fmt == "sarif":  # (SARIF and GitHub are imported when asked for: most scans render text or JSON)
        from pafix.report.sarif import render_sarif
        from pafix.rules import RULES

        rules = {r.code: r.info() for r in RULES}
        return render_sarif(results, rules, tool_version=__version__, root=Path.cwd(), baseline=marks)
    if fmt == "github":
        from pafix.report.github import render_github

        return render_github(results)
    if fmt == "html":
        from pafix.cli.html_report import render_html_report

        return render_html_report(paths, results, stats)
    use_color = color if color is not None else (output is None and sys.stdout.isatty())
    return render_text(results, stats, color=use_color, show_fixes=show_fixes, show_summary=not quiet)


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
        fail(f"unknown rule code {code!r}; run 'pafix rule' for the list")
        return
    click.echo(render_rule_doc(rule_cls.info()))


def render_rule_doc(info: Any) -> str:
    fix = {"safe": "safe fix", "unsafe": "unsafe fix", None: "no automatic fix"}[info.fix_safety]
    return f"# {info.code} {info.name}\n\nDefault severity: {info.severity}; {fix}.\n\n{info.doc}\n"


if __name__ == "__main__":  # pragma: no cover
    main()
