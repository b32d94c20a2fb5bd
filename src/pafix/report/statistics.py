"""``scan --statistics``: how many findings each rule has, like ``ruff check --statistics``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pafix.findings import FileResult


@dataclass(frozen=True, slots=True)
class RuleCount:
    code: str
    name: str
    count: int
    fixable: int  #: findings with a fix (safe or unsafe)


def rule_counts(results: Sequence[FileResult]) -> list[RuleCount]:
    """One row per rule with findings: the most frequent first, then by code."""
    rows: dict[str, list[Any]] = {}
    for result in results:
        for f in result.findings:
            row = rows.setdefault(f.rule, [f.name, 0, 0])
            row[1] += 1
            row[2] += f.fix is not None
    counts = [RuleCount(code, name, count, fixable) for code, (name, count, fixable) in rows.items()]
    return sorted(counts, key=lambda c: (-c.count, c.code))


def render_statistics_text(results: Sequence[FileResult]) -> str:
    """``count  CODE  [*] name`` lines; ``[*]`` when every finding of the rule has a fix."""
    rows = rule_counts(results)
    if not rows:
        return ""
    width = max(len(str(r.count)) for r in rows)
    lines = []
    for r in rows:
        mark = "[*]" if r.fixable == r.count else "[ ]" if r.fixable == 0 else "[-]"
        lines.append(f"{r.count:>{width}}  {r.code}  {mark} {r.name}")
    return "\n".join(lines) + "\n"


def statistics_json(results: Sequence[FileResult]) -> list[dict[str, Any]]:
    return [{"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable} for r in rule_counts(results)]


def render_statistics_json(results: Sequence[FileResult]) -> str:
    return json.dumps(statistics_json(results), indent=2) + "\n"


__all__ = ["RuleCount", "render_statistics_json", "render_statistics_text", "rule_counts", "statistics_json"]
