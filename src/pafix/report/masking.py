"""Masking string literals in flow text, for output channels that must show code (diffs).

``mask_literals(flow)`` returns the flow's source with the characters of every string literal's
content replaced by ``*``, except the ``%expr%`` holes of interpolated text (variable names, not
values), and the secret values written in comments (``# password: …``). Newlines are kept, so line numbers and the shape of a diff stay the same.
"""

from __future__ import annotations

from pafix.analysis.literals import comment_secrets
from pafix.analysis.names import DEFAULT_POLICY
from pafix.syntax import nodes as n


def literal_ranges(flow: n.Flow) -> list[tuple[int, int]]:
    """Offsets ``[start, end)`` of literal text inside string literals (holes excluded)."""
    ranges: list[tuple[int, int]] = []
    for stmt in n.walk_statements(flow.body):
        if isinstance(stmt, n.Comment):  # a password written in a comment (PAF104)
            base = flow.source.find(stmt.text, stmt.span.start, stmt.span.end) if stmt.text else -1
            if base >= 0:
                ranges.extend((base + h.start, base + h.end) for h in comment_secrets(stmt.text, DEFAULT_POLICY))
            continue
        for expr, _written in n.statement_exprs(stmt):
            keys: set[int] = set()  # object keys and index keys name things; they are shown
            for e in n.walk_expr(expr):
                if isinstance(e, n.ObjectLit):
                    keys.update(id(entry.key) for entry in e.entries)
                elif isinstance(e, n.Index):
                    keys.add(id(e.index))
                elif isinstance(e, n.StringLit) and id(e) not in keys:
                    ranges.extend(_content_ranges(e))
    return ranges


def _content_ranges(lit: n.StringLit) -> list[tuple[int, int]]:
    raw = lit.raw
    if lit.kind in ("triple", "interpolated"):
        head, tail = raw.index("'''") + 3, 3
    else:
        head, tail = raw.index("'") + 1 if "'" in raw else 1, 1
    start, end = lit.span.start + head, lit.span.end - tail
    if end <= start:
        return []
    out: list[tuple[int, int]] = []
    pos = start
    for hole in lit.holes:
        if hole.span.start > pos:
            out.append((pos, hole.span.start))
        pos = max(pos, hole.span.end)
    if pos < end:
        out.append((pos, end))
    return out


def mask_literals(flow: n.Flow) -> str:
    text = flow.source
    chars = list(text)
    for start, end in literal_ranges(flow):
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = "*"
    return "".join(chars)
