"""Output formats for ``pafix scan``: text, JSON (versioned contract), SARIF 2.1.0, GitHub.

Every renderer is a pure function of the shared result values in :mod:`pafix.findings`;
it prints only fields of those values (never ``repr()`` of an object, never fix edit text)
and never redacts or un-redacts anything itself: finding and trace messages name variables,
not values, by contract of the core.

Every renderer returns the complete output, ending with a newline (the GitHub format
returns ``""`` when there is nothing to report), so callers write it with ``nl=False``.
"""

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


# The renderers import the helpers above from this (partially initialised) package, so
# these imports must stay below them.
from pafix.report.github import render_github  # noqa: E402
from pafix.report.json_format import render_json  # noqa: E402
from pafix.report.sarif import render_sarif  # noqa: E402
from pafix.report.text import render_text  # noqa: E402

__all__ = [
    "ScanStats",
    "display_path",
    "flow_display",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
