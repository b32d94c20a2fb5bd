"""SARIF 2.1.0 output (OASIS standard; what GitHub code scanning and most viewers read)."""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pafix.findings import FileResult, Finding, RuleInfo, Severity
from pafix.report.results import error_flow, finding_flow, sorted_errors, sorted_findings
from pafix.report.baseline import Marks

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# TODO(maintainers): the project has no published home page yet; replace with it.
INFORMATION_URI = "https://pypi.org/project/pafix/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pafix/v1"

#: GitHub code scanning reads this to rank security results (critical >= 9.0 > high >= 7.0
#: > medium >= 4.0 > low).
SECURITY_SEVERITY: dict[Severity, str] = {"error": "8.0", "warning": "5.0", "note": "2.0"}


#: a path that is a URI already (``dataverse://HOST/…``), not a file
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def _abspath(path: str | Path) -> Path:
    # normalise without resolving symlinks, so a path stays under the root it was given as
    return Path(os.path.abspath(path))


class _Locator:
    """Turns a result's path into a SARIF artifact location, relative to ``root`` if under it."""

    def __init__(self, root: Path | None) -> None:
        self.root = None if root is None else _abspath(root)

    def relative(self, path: str) -> str | None:
        """The POSIX path relative to the root, or None when not under it (or a URI)."""
        if self.root is None or _URI.match(path):
            return None
        try:
            rel = _abspath(path).relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix() if rel.parts else None

    def artifact(self, path: str) -> dict[str, Any]:
        rel = self.relative(path)
        if rel is not None:
            return {"uri": quote(rel), "uriBaseId": SRCROOT}
        if _URI.match(path):  # an online finding: dataverse://HOST/workflows(ID)
            return {"uri": quote(path, safe=":/()'=,")}
        return {"uri": _abspath(path).as_uri()}

    def qualified(self, path: str, flow: str) -> str:
        """``solution.zip!Flow``, the solution's path as shown in ``uri`` (relative if it can)."""
        rel = self.relative(path)
        return f"{rel if rel is not None else path}!{flow}"

    def location(
        self,
        path: str,
        flow: str | None,
        line: int,
        column: int,
        end_line: int = 0,
        end_column: int = 0,
        message: str | None = None,
    ) -> dict[str, Any]:
        physical: dict[str, Any] = {"artifactLocation": self.artifact(path)}
        region = _region(line, column, end_line, end_column)
        if region:
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if flow is not None:
            location["logicalLocations"] = [
                {"name": flow, "kind": "module", "fullyQualifiedName": self.qualified(path, flow)}
            ]
        if message is not None:
            location["message"] = {"text": message}
        return location


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    """A SARIF region; positions the core did not know (0) are left out, as SARIF requires >= 1."""
    if line < 1:
        return {}
    region = {"startLine": line}
    if column >= 1:
        region["startColumn"] = column
    if end_line >= line:
        region["endLine"] = end_line
        if end_column >= 1 and (end_line > line or end_column >= column):
            region["endColumn"] = end_column
    return region


def _first_paragraph(doc: str) -> str:
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    doc = inspect.cleandoc(info.doc) if info.doc.strip() else info.summary
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": _first_paragraph(doc) or info.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": info.severity},
        "properties": {
            "security-severity": SECURITY_SEVERITY[info.severity],
            "tags": ["security"],
        },
    }


def _unknown_rule_descriptor(finding: Finding) -> dict[str, Any]:
    """For a finding whose rule is missing from ``rules`` (so that ``ruleIndex`` stays valid)."""
    return {
        "id": finding.rule,
        "name": finding.name,
        "properties": {"tags": ["security"]},
    }


def _absent_results(baseline: Marks, locator: _Locator, index: dict[str, int],
                    descriptors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Baseline entries no longer found, as ``absent`` results (only those whose file is known:
    code scanning wants a location on every result)."""
    out: list[dict[str, Any]] = []
    for entry, path in sorted(baseline.absent, key=lambda item: (item[0].sort_key(), item[1] or "")):
        if path is None:
            continue
        if entry.rule not in index:
            index[entry.rule] = len(descriptors)
            descriptors.append({"id": entry.rule, "properties": {"tags": ["security"]}})
        out.append({
            "ruleId": entry.rule,
            "ruleIndex": index[entry.rule],
            "kind": "pass",
            "level": "none",
            "message": {"text": f"{entry.rule} in the baseline no longer occurs here"},
            "locations": [locator.location(path, entry.scope.flow, 0, 0)],
            "partialFingerprints": {FINGERPRINT_KEY: entry.fingerprint},
            "baselineState": "absent",
        })
    return out


def render_sarif(
    results: Sequence[FileResult],
    rules: Mapping[str, RuleInfo],
    *,
    tool_version: str,
    root: Path | None,
    baseline: Marks | None = None,
) -> str:
    """One SARIF run. Paths under ``root`` are relative to ``%SRCROOT%``; others are file URIs.

    Columns count code points (``columnKind: unicodeCodePoints``), as the core does; the end
    column is passed through as the core reports it.

    With ``baseline``, each result carries ``baselineState`` (``new`` or ``unchanged``) and
    every baseline entry no longer found whose file is known is added as a result with
    ``baselineState: absent`` (``kind: pass``, ``level: none``: nothing to fix there now).
    """
    locator = _Locator(root)
    findings = sorted_findings(results)

    descriptors = [_rule_descriptor(rules[code]) for code in sorted(rules)]
    index = {code: i for i, code in enumerate(sorted(rules))}
    for _, finding in findings:
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append(_unknown_rule_descriptor(finding))

    sarif_results: list[dict[str, Any]] = []
    for result, finding in findings:
        flow = finding_flow(result, finding)
        item: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [
                locator.location(
                    result.path,
                    flow,
                    finding.line,
                    finding.column,
                    finding.end_line,
                    finding.end_column,
                )
            ],
        }
        # CodeQL's words: "precision" (very-high/high/medium/low); ours map one to one
        properties: dict[str, Any] = {"precision": finding.confidence, "confidence": finding.confidence}
        if finding.kind is not None:
            properties["kind"] = finding.kind
        item["properties"] = properties
        if finding.fingerprint:
            item["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
        if baseline is not None:
            item["baselineState"] = baseline.states.get((result.path, flow, finding.fingerprint), "new")
        if finding.trace:
            steps = [
                {
                    "location": locator.location(
                        result.path,
                        step.flow if step.flow is not None else flow,
                        step.line,
                        step.column,
                        message=step.message,
                    )
                }
                for step in finding.trace
            ]
            item["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        sarif_results.append(item)
    if baseline is not None:
        sarif_results.extend(_absent_results(baseline, locator, index, descriptors))

    notifications = [
        {
            "level": "error",
            "message": {"text": error.message},
            "locations": [
                locator.location(result.path, error_flow(result, error), error.line, error.column)
            ],
        }
        for result, error in sorted_errors(results)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pafix",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
    }
    if locator.root is not None:
        root_uri = locator.root.as_uri()
        run["originalUriBaseIds"] = {
            SRCROOT: {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}
        }
    run["invocations"] = [invocation]
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = sarif_results

    document = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
