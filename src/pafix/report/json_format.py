"""The machine-readable format, a versioned contract (``"version": 1``).

Adding keys is a compatible change; renaming, removing or retyping one needs version 2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pafix.findings import FileResult, Finding, SourceError
from pafix.report.results import ScanStats, error_flow, finding_flow, sorted_errors, sorted_findings

JSON_FORMAT_VERSION = 1


def _finding(result: FileResult, finding: Finding) -> dict[str, Any]:
    flow = finding_flow(result, finding)
    trace: list[dict[str, Any]] = []
    for step in finding.trace:
        item: dict[str, Any] = {"path": result.path}
        # a step is in its own flow when it names one, else in the finding's
        step_flow = step.flow if step.flow is not None else flow
        if step_flow is not None:
            item["flow"] = step_flow
        item.update(line=step.line, column=step.column, message=step.message)
        trace.append(item)
    fix = finding.fix
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity,
        "kind": finding.kind,
        "confidence": finding.confidence,
        "path": result.path,
        "flow": flow,
        "subflow": finding.subflow,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "message": finding.message,
        "variable": finding.variable,
        "trace": trace,
        "fix": None if fix is None else {"safety": fix.safety, "description": fix.description},
        "fingerprint": finding.fingerprint,
    }


def _error(result: FileResult, error: SourceError) -> dict[str, Any]:
    item: dict[str, Any] = {"path": result.path}
    flow = error_flow(result, error)
    if flow is not None:
        item["flow"] = flow
    item.update(line=error.line, column=error.column, message=error.message)
    return item


def render_json(results: Sequence[FileResult], stats: ScanStats, *, tool_version: str,
                extra: Mapping[str, Any] | None = None) -> str:
    """``extra``: more top-level keys (``baseline``, ``statistics``), added after the others."""
    document: dict[str, Any] = {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": "pafix", "version": tool_version},
        "findings": [_finding(r, f) for r, f in sorted_findings(results)],
        "errors": [_error(r, e) for r, e in sorted_errors(results)],
        "stats": {
            "files": stats.files,
            "lines": stats.lines,
            # rounded so that the output does not carry float noise
            "seconds": round(stats.seconds, 3),
        },
    }
    document.update(extra or {})
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
