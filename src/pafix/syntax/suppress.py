"""Suppression comments: ``# pafix: ignore[CODE, ...] reason`` on the line before a statement
(Robin has only whole-line comments) and ``# pafix: ignore-file[CODE, ...]``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pafix.syntax import nodes as n

SUPPRESS_RE = re.compile(r"^\s*pafix:\s*(ignore|ignore-file)\s*\[([^\]]*)\]\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Suppression:
    comment: n.Comment
    codes: tuple[str, ...]
    whole_file: bool
    first_line: int  #: lines covered (inclusive); 0 for a whole-file suppression
    last_line: int


def find_suppressions(flow: n.Flow) -> list[Suppression]:
    if "pafix:" not in flow.source:
        # a comment's text is a piece of the source, so a flow without the marker has none
        # (most flows): no walk and sort of all its statements
        return []
    stmts = sorted(n.walk_statements(flow.body), key=lambda s: s.span.start)
    out: list[Suppression] = []
    for i, stmt in enumerate(stmts):
        if not isinstance(stmt, n.Comment) or stmt.block:
            continue
        m = SUPPRESS_RE.match(stmt.text)
        if not m:
            continue
        codes = tuple(c.strip().upper() for c in m.group(2).split(",") if c.strip())
        if m.group(1) == "ignore-file":
            out.append(Suppression(stmt, codes, True, 0, 0))
            continue
        target = next((s for s in stmts[i + 1 :] if not isinstance(s, (n.Comment, n.Annotation))), None)
        if target is None:
            out.append(Suppression(stmt, codes, False, -1, -1))
            continue
        last = target.span.line if type(target) in n.COMPOUND else target.span.end_line
        out.append(Suppression(stmt, codes, False, target.span.line, last))
    return out
