"""The Ruff-like conventions of ``pafix scan``: stdin input, the exit code policy
(``--exit-zero``, ``--fail-on``), and what the text format prints around the findings
(``--quiet``, ``--statistics``, the baseline summary line)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from pafix.units import Unit
from pafix.findings import SEVERITIES, FileResult, Severity
from pafix.syntax.textio import MAX_FILE_SIZE, DecodeError, decode

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: ``--stdin-filename`` endings that name a solution: stdin carries one flow's text only
SOLUTION_SUFFIXES = (".zip", ".xml")


class StdinError(ValueError):
    """Stdin cannot be scanned as asked (a usage error, exit 2)."""


def stdin_unit(name: str, stream: BinaryIO | None = None) -> Unit:
    """The flow text on stdin as a unit named ``name`` (shown in the output)."""
    if name.lower().endswith(SOLUTION_SUFFIXES):
        raise StdinError(f"--stdin-filename {name!r}: stdin holds one flow's text; give a solution as a path")
    data = (stream or sys.stdin.buffer).read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:
        return Unit(name, None, f"stdin is larger than {MAX_FILE_SIZE} bytes")
    try:
        decoded = decode(data, name)
    except DecodeError as exc:
        return Unit(name, None, exc.reason)
    return Unit(name, decoded.text, None, None, decoded, data)


def stdin_config_start(name: str) -> str:
    """Where to look for ``pafix.toml`` for stdin: beside the file it names, else here."""
    folder = Path(name).parent
    return str(folder) if folder.is_dir() else "."


def exit_code(results: Sequence[FileResult], *, fail_on: Severity, exit_zero: bool) -> int:
    """2 for a source error; else 1 when a finding is at least as severe as ``fail_on``
    (and not ``exit_zero``); else 0."""
    if any(r.errors for r in results):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    limit = SEVERITIES.index(fail_on)
    failing = any(SEVERITIES.index(f.severity) <= limit for r in results for f in r.findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def baseline_summary(new: int, unchanged: int, absent: int, baseline_file: str) -> str:
    gone = "entry no longer occurs" if absent == 1 else "entries no longer occur"
    return (f"baseline {baseline_file}: {new} new, {unchanged} in the baseline (not shown), "
            f"{absent} baseline {gone}")


__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "StdinError", "baseline_summary",
           "exit_code", "stdin_config_start", "stdin_unit"]
