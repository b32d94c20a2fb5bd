"""Running the solution-metadata rules (PAF4xx) on a solution export's roles and tables.

One :class:`~pafix.findings.FileResult` per file that has findings: for an unpacked solution
the role or table file itself (``<folder>/Roles/X.xml``), so every report format points at
it; for a packed zip the zip, with ``flow`` set to the member (``customizations.xml``), as
flows inside a zip are shown (``sol.zip!customizations.xml:3187:5``). A solution whose
metadata cannot be read gets an error result (exit code 2), like an unreadable flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pafix.access.roles import SolutionMetadata
from pafix.config import Config
from pafix.findings import FileResult, Finding, SourceError
from pafix.guard import debugging, internal_error
from pafix.rules import METADATA_RULES
from pafix.solutions.model import SolutionError
from pafix.solutions.metadata import load_metadata


def check_metadata(meta: SolutionMetadata, config: Config) -> list[FileResult]:
    """The enabled metadata rules' findings on ``meta``, grouped by file, in file order."""
    found: dict[tuple[str, str | None], list[Finding]] = {}
    for rule_cls in METADATA_RULES:
        if not config.enabled(rule_cls.code):
            continue
        for placed in rule_cls().check_metadata(meta):
            finding = placed.finding
            level = config.severity.get(finding.rule)
            if level and level != finding.severity:
                finding = replace(finding, severity=level)
            found.setdefault((placed.where.file, placed.where.member), []).append(finding)
    out = []
    for (file, member), findings in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        findings.sort(key=lambda f: (f.line, f.column, f.rule, f.message))
        out.append(FileResult(file, tuple(findings), (), 0, member))
    return out


def metadata_results(solution_paths: Iterable[str], config: Config) -> list[FileResult]:
    """Results of the metadata rules on each solution export, in order."""
    if not any(config.enabled(r.code) for r in METADATA_RULES):
        return []
    out: list[FileResult] = []
    for path in solution_paths:
        try:
            meta = load_metadata(path)
        except (SolutionError, OSError) as exc:
            out.append(FileResult(path, (), (SourceError(_message(exc, path)),)))
            continue
        except Exception as exc:  # noqa: BLE001 - a bug in pafix: this solution fails, the run goes on
            if debugging():
                raise
            out.append(FileResult(path, (), (SourceError(internal_error(exc, "reading", "solution")),)))
            continue
        out.extend(check_metadata(meta, config))
    return out


def _message(exc: Exception, path: str) -> str:
    text = str(exc)
    return text[len(path) + 2:] if text.startswith(path + ": ") else text
