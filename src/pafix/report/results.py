"""What every renderer shows the same way: the scan's statistics, the name of a result's flow,
and the order of findings and errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pafix.findings import FileResult, Finding, SourceError


@dataclass(frozen=True, slots=True)
class ScanStats:
    files: int
    lines: int
    seconds: float


def flow_display(path: str, flow: str | None) -> str:
    """``path``, or ``path!flow`` for a workflow inside a solution export."""
    return path if flow is None else f"{path}!{flow}"


def display_path(result: FileResult) -> str:
    """``"path"``, or ``"solution.zip!Flow name"`` when ``result.flow`` is set."""
    return flow_display(result.path, result.flow)


def position(line: int, column: int) -> str:
    """``:line:col``, ``:line`` or nothing, for positions the core did not know (0)."""
    if line <= 0:
        return ""
    if column <= 0:
        return f":{line}"
    return f":{line}:{column}"


def finding_flow(result: FileResult, finding: Finding) -> str | None:
    """The solution workflow a finding is in (its own ``flow``, else its result's)."""
    return finding.flow if finding.flow is not None else result.flow


def error_flow(result: FileResult, error: SourceError) -> str | None:
    return error.flow if error.flow is not None else result.flow


def _flow_key(flow: str | None) -> tuple[int, str]:
    # plain files (no flow) sort before the workflows of a solution with the same path
    return (0, "") if flow is None else (1, flow)


def sorted_findings(results: Iterable[FileResult]) -> list[tuple[FileResult, Finding]]:
    """All findings, ordered by path, flow, line, column, rule (then the rest, for ties)."""
    pairs = [(r, f) for r in results for f in r.findings]
    pairs.sort(
        key=lambda rf: (
            rf[0].path,
            _flow_key(finding_flow(*rf)),
            rf[1].line,
            rf[1].column,
            rf[1].rule,
            rf[1].end_line,
            rf[1].end_column,
            rf[1].message,
            rf[1].fingerprint,
        )
    )
    return pairs


def sorted_errors(results: Iterable[FileResult]) -> list[tuple[FileResult, SourceError]]:
    """All source errors, ordered by path, flow, line, column, message."""
    pairs = [(r, e) for r in results for e in r.errors]
    pairs.sort(
        key=lambda re: (
            re[0].path,
            _flow_key(error_flow(*re)),
            re[1].line,
            re[1].column,
            re[1].message,
        )
    )
    return pairs


__all__ = ["ScanStats", "display_path", "error_flow", "finding_flow", "flow_display", "position", "sorted_errors",
           "sorted_findings"]
