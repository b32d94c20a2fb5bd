"""``pafix rewrite``: apply verified, byte-minimal fixes to flow files.

Reads input through :func:`pafix.cli.sources.read_units`, rewrites each flow's text with the pure
:func:`pafix.fixes.rewrite.rewrite_text` and then shows a diff (the default), checks (``--check``)
or writes (``--in-place``). A file is written only when its rewrite passed every check, its
new text encodes back to the same text in the file's own encoding (BOM and newlines kept),
and its bytes on disk are still the ones that were read.

Exit codes: 2 when any input could not be read or parsed, a rewrite failed verification or a
write failed (the other files are still processed); else 1 with ``--check`` when a file would
change; else 0. A bug in pafix met while rewriting one file is reported for that file as
``internal error (<type>) while rewriting this flow; please report it`` (never the exception's
text, which may quote the flow), the file is not written, and the other files are still
processed (``PAFIX_DEBUG=1`` lets the exception through instead).
"""

from __future__ import annotations

import os
import sys

import click

from pafix.fixes.audit import append_audit_record
from pafix.fixes.edits import unified_diff
from pafix.fixes.rewrite import rewrite_text
from pafix.fixes.safewrite import WriteError, atomic_write, sha256_hex
from pafix.report.masking import mask_literals
from pafix.errors import ParseError
from pafix.guard import NestingTooDeep, debugging, internal_error, public_message
from pafix.syntax.parser import parse
from pafix.solutions.rewrite import rewrite_solution
from pafix.cli.options import load_cli_config
from pafix.cli.baseline import keep_for, read_baseline_option
from pafix.cli.sources import read_units
from pafix.units import Unit
from pafix.syntax.textio import DecodeError, EncodeError, decode, encode

EXIT_CLEAN, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def masked_diff(old: str, new: str, label: str) -> str:
    """The diff with string-literal contents masked on both sides (both texts parse: the old one
    was checked, the new one was verified), so that context lines never echo a secret."""
    try:
        return unified_diff(mask_literals(parse(old)), mask_literals(parse(new)), label)
    except ParseError:  # pragma: no cover - both parse; never fall back to the raw text
        return f"--- a/{label}\n+++ b/{label}\n@@ (diff not shown: it could not be masked) @@\n"


def _fixes(count: int) -> str:
    return f"{count} fix" if count == 1 else f"{count} fixes"


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


@click.command("rewrite")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff of the fixes (the default unless --check or --in-place).")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a file would change.")
@click.option("--in-place", "in_place", is_flag=True, help="Write the fixed files.")
@click.option("--unsafe-fixes", "unsafe", is_flag=True,
              help="Also apply unsafe fixes (Get credential for secret inputs). Review them.")
@click.option("--select", multiple=True, help="Only these rule codes or prefixes (repeatable, comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rule codes or prefixes.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (pafix.toml or pyproject.toml).")
@click.option("--backup", metavar="SUFFIX", help="With --in-place: keep each original as PATH+SUFFIX.")
@click.option("--audit-log", "audit_log", type=click.Path(dir_okay=False),
              help="With --in-place: append one JSON line per rewritten file (hashes, rule codes, variable names).")
@click.option("--min-confidence", type=click.Choice(["high", "medium", "low"]), default="high", show_default=True,
              help="Apply fixes only for findings of at least this confidence.")
@click.option("--show-secrets", is_flag=True,
              help="Show string literals in the diff as they are (by default their contents are masked with *).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Leave the findings recorded in this baseline file alone (see scan --write-baseline).")
@click.option("--include-baseline", is_flag=True, help="With --baseline: fix the baseline's findings too.")
def rewrite_cmd(
    paths: tuple[str, ...], show_diff: bool, check: bool, in_place: bool, unsafe: bool,
    select: tuple[str, ...], ignore: tuple[str, ...], config_path: str | None,
    backup: str | None, audit_log: str | None, show_secrets: bool, min_confidence: str = "high",
    baseline_file: str | None = None, include_baseline: bool = False,
) -> None:
    """Fix flows: print the diff, check (--check) or write the files (--in-place).

    Only safe fixes unless --unsafe-fixes, and only for high-confidence findings unless
    --min-confidence asks for more. A file that does not parse is never written.
    Solution exports (.zip, unpacked folders, customizations.xml) are rewritten in place too:
    only the changed Definition/Inputs/Outputs text is spliced back, and the written archive
    is re-opened and re-checked before it replaces the original.
    """
    if check and in_place:
        raise click.UsageError("--check and --in-place exclude each other")
    if (backup is not None or audit_log is not None) and not in_place:
        raise click.UsageError("--backup and --audit-log need --in-place")
    if backup is not None and (not backup or os.sep in backup or (os.altsep and os.altsep in backup)):
        raise click.UsageError(f"invalid backup suffix {backup!r}")
    if include_baseline and not baseline_file:
        raise click.UsageError("--include-baseline needs --baseline")
    # the rewrite acts on certainty: the configuration's min-confidence is for reports
    config = load_cli_config(config_path, paths, select, ignore).with_min_confidence(min_confidence)
    diff = show_diff or not (check or in_place)
    baseline = read_baseline_option(baseline_file) if baseline_file and not include_baseline else None

    def keep(path: str, flow: str | None) -> frozenset[str]:
        """The fingerprints of the baseline's findings in this flow: not fixed."""
        if baseline is None or baseline_file is None:
            return frozenset()
        return keep_for(baseline, baseline_file, path, flow)

    failed = False
    changed = fixes = 0
    solutions: dict[str, list[Unit]] = {}

    def error(path: str, message: str) -> None:
        nonlocal failed
        failed = True
        click.echo(f"{path}: error: {message}", err=True)

    def show(old: str, new: str, label: str) -> None:
        if show_secrets:
            click.echo(unified_diff(old, new, label), nl=False)
        else:
            click.echo(masked_diff(old, new, label), nl=False)

    def rewrite_file(unit: Unit) -> None:
        nonlocal changed, fixes
        if unit.text is None or unit.decoded is None or unit.raw is None:
            error(unit.path, unit.error or "cannot read")
            return
        result = rewrite_text(unit.text, unit.path, config, unsafe=unsafe, password_io=unit.password_io,
                              keep=keep(unit.path, None))
        if result.error is not None:
            error(unit.path, public_message(result.error))
            return
        if not result.changed:
            return
        count = len(result.applied)
        if diff:
            show(unit.text, result.text, unit.path)
        for note in result.notes:
            click.echo(f"{unit.path}: note: {note}", err=True)
        if not in_place:
            changed += 1
            fixes += count
            if check:
                click.echo(f"would fix {unit.path} ({_fixes(count)})", err=True)
            return
        try:
            data = encode(result.text, unit.decoded)
            back = decode(data, unit.path)
        except (EncodeError, DecodeError) as exc:
            error(unit.path, f"the fixed text cannot be stored in the file's encoding ({exc}); not changed")
            return
        if back.text != result.text or back.encoding != unit.decoded.encoding:
            error(unit.path, "the fixed text does not read back the same in the file's encoding; not changed")
            return
        try:
            atomic_write(unit.path, data, expected_sha256=sha256_hex(unit.raw), backup_suffix=backup)
        except WriteError as exc:
            message = str(exc)  # names the file first; say "file" after our "path:" prefix
            if message.startswith(unit.path + " "):
                message = "file" + message[len(unit.path):]
            error(unit.path, message)
            return
        changed += 1
        fixes += count
        click.echo(f"fixed {unit.path} ({_fixes(count)})", err=True)
        if audit_log is not None:
            try:
                append_audit_record(audit_log, path=unit.path, before=unit.raw, after=data,
                                    fixes=result.applied, flow=unit.flow)
            except (OSError, ValueError) as exc:
                error(unit.path, f"written, but the audit log was not appended: {exc}")

    for unit in read_units(paths):
        if unit.flow is not None:
            solutions.setdefault(unit.path, []).append(unit)
            continue
        try:
            rewrite_file(unit)
        except NestingTooDeep as exc:
            error(unit.path, f"{exc.message}; not rewritten")
        except Exception as exc:  # noqa: BLE001 - a bug in pafix: this file is not written, the others go on
            if debugging():
                raise
            error(unit.path, internal_error(exc, "rewriting"))

    for container, units in solutions.items():
        try:
            outcome = rewrite_solution(container, units, config, unsafe=unsafe, write=in_place,
                                       backup=backup, audit_log=audit_log, show=show if diff else None,
                                       keep={u.flow or "": keep(container, u.flow) for u in units})
        except Exception as exc:  # noqa: BLE001 - a bug in pafix: nothing of it written, the others go on
            if debugging():
                raise
            error(container, internal_error(exc, "rewriting", "solution"))
            continue
        for message in outcome.errors:
            error(container, message)
        for note in outcome.notes:
            click.echo(f"{container}: note: {note}", err=True)
        if outcome.changed_flows:
            changed += 1
            fixes += outcome.fixes
            verb = "fixed" if in_place else ("would fix" if check else "")
            if verb:
                click.echo(f"{verb} {container} ({_fixes(outcome.fixes)} in {outcome.changed_flows} flow(s))", err=True)

    if in_place:
        summary = f"fixed {_files(changed)} ({_fixes(fixes)})"
    else:
        summary = f"{_files(changed)} would be fixed ({_fixes(fixes)})"
    if failed:
        summary += "; some files had errors (see above)"
    click.echo(summary, err=True)
    if failed:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CHANGES if check and changed else EXIT_CLEAN)


__all__ = ["rewrite_cmd"]
